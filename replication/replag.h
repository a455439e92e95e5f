/*
 * replag: how far the shapes are behind Postgres, in time, as the
 * replication process sees it: the age of the oldest transaction it
 * forwarded to the collector that the collector has not acknowledged yet
 * (durable in every shape), 0 when everything is acknowledged.  Published
 * to the root for /metrics (electricd_replication_lag_seconds).
 */
#ifndef ELECTRICD_REPLAG_H
#define ELECTRICD_REPLAG_H

#include <stdint.h>

/* A transaction was forwarded: its end LSN and commit time (Postgres
 * microseconds since 2000-01-01). */
void replag_commit(uint64_t end_lsn, uint64_t commit_time);
/* The collector holds everything up to lsn durably. */
void replag_ack(uint64_t lsn);
/* Microseconds from the oldest unacknowledged commit to now_us (Unix
 * microseconds); 0 if none. */
uint64_t replag_lag_us(uint64_t now_us);
/* replag_lag_us(now_us()), for proc_stats_publish. */
uint64_t replag_now(void);

#endif
