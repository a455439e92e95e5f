/*
 * frame_int: what frame.c shares with chan.c and nothing else uses:
 * SCM_RIGHTS control-message helpers.
 */
#ifndef ELECTRICD_FRAME_INT_H
#define ELECTRICD_FRAME_INT_H

#include <sys/socket.h>

#define FRAME_MAX_RXFDS		8	/* cmsg room per recvmsg */

union frame_cmsg {
	struct cmsghdr	h;
	char		buf[CMSG_SPACE(sizeof(int) * FRAME_MAX_RXFDS)];
};

/* Sets mh's control data to pass fd (stored in *cm). */
void frame_cmsg_put(struct msghdr *mh, union frame_cmsg *cm, int fd);
/* Stores the fds a recvmsg() brought into out[] (at most max; extras are
 * closed).  Returns how many were stored; *bad is set when fds were lost
 * (truncated control data or more than max). */
int frame_cmsg_take(struct msghdr *mh, int *out, int max, int *bad);

#endif
