/*
 * metrics: Prometheus text format (0.0.4) at GET /metrics on
 * ELECTRIC_PROMETHEUS_PORT, served by the http process on a second evhttp
 * listener.  Each scrape asks the root for its snapshot ({"cmd":"metrics"}
 * on the root channel, supervisor/control_metrics.c) and adds this
 * process's own numbers: Shape API responses by status, requests in
 * flight by state (hreq.h), open connections to ELECTRIC_PORT.
 */
#ifndef ELECTRICD_HTTP_METRICS_H
#define ELECTRICD_HTTP_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

struct chan;
struct event_base;
struct frame;

#define METRICS_MAX_STATUS	600

/* Listens on cfg.prometheus_port (nothing if 0); scrapes ask over root. */
void metrics_init(struct event_base *, struct chan *root);
/* A Shape API response with this status was sent. */
void metrics_count_status(int code);
/* A MSG_CTL_REPLY on the root channel: the answer to a scrape. */
void metrics_root_reply(const struct frame *);

/* What the http process adds to the root's snapshot. */
struct metrics_local {
	const uint64_t	*status;	/* [METRICS_MAX_STATUS], by code */
	const char	**state_names;	/* requests in flight: nstates names */
	const unsigned	*inflight;	/* and counts */
	size_t		 nstates;
	long long	 connections;	/* -1: unknown */
};
/* The exposition text (malloc'd) of the root's snapshot (NULL: the root
 * did not answer) and loc.  Pure: unit-tested. */
char *metrics_format(const json_t *snapshot, const struct metrics_local *loc);

#endif
