/*
 * roles: the entry point of every process role.  supervisor/electricd.c
 * dispatches "electricd --role ROLE" to these; each returns the process's
 * exit status (0 = stopped on purpose, never restarted).
 */
#ifndef ELECTRICD_ROLES_H
#define ELECTRICD_ROLES_H

int connmgr_main(void);			/* replication/connmgr.c */
int replication_main(void);		/* replication/replication.c */
int collector_main(void);		/* shapecache/collector.c */
int shapecache_main(void);		/* shapecache/shapecache.c */
int consumer_main(const char *handle);	/* consumer/consumer.c */
int http_main(void);			/* http/http.c */

#endif
