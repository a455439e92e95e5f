/*
 * frame_helpers: the raw peer shared by test_frame.c and test_chan.c.
 */
#ifndef ELECTRICD_FRAME_HELPERS_H
#define ELECTRICD_FRAME_HELPERS_H

#include <stddef.h>
#include <stdint.h>

#include "util.h"

/* Frames from the raw peer carry this pid. */
#define RAW_PID 4242

void raw_socketpair(int sv[2]);
/* Appends one raw frame (header + payload) to b. */
void raw_frame(struct sbuf *b, uint16_t type, uint16_t flags, uint32_t id,
    const void *p, uint32_t len);
void raw_hello(struct sbuf *b, uint32_t version, const char *role);
void raw_write(int fd, const void *p, size_t n);
/* Sends bytes with fd attached by hand (no FRAME_F_FD in their header). */
void raw_send_fd(int sock, const void *p, size_t n, int fd);

#endif
