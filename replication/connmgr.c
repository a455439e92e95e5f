/*
 * connmgr: the first child of the root.  It holds the lock connection to
 * Postgres: checks that logical replication is possible, takes the
 * advisory lock of the slot (only one electricd per slot), creates the
 * publication and the persistent logical slot when missing, then reports
 * READY and keeps the lock connection open for its whole life.
 *
 * Progress is reported to the root as MSG_STATE ("connecting",
 * "waiting_lock", "error", "ready"; the detail says why).  A connection
 * failure is retried with a backoff (1 s doubling to 30 s), a
 * configuration error every 10 s; neither ever ends the process.  Once
 * READY, losing the lock connection ends it with status 1: the root then
 * restarts connmgr and everything started after it (rest_for_one).
 *
 * The set-up after connecting is one table of steps (cm_steps), each a
 * query and a function judging its result; every query is asynchronous
 * (pgasync) so that the root channel is served while we wait for the lock.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "config.h"
#include "log.h"
#include "msg.h"
#include "pgasync.h"
#include "proc.h"
#include "roles.h"

#define CM_BACKOFF_MIN_MS	1000
#define CM_BACKOFF_MAX_MS	30000
#define CM_CONFIG_RETRY_MS	10000
#define CM_CONNECT_TIMEOUT_S	5

/* A step's one query parameter; CM_P_PUB_IDENT puts the quoted
 * publication name into the SQL text instead (DDL takes no parameters). */
enum cm_param { CM_P_NONE, CM_P_SLOT, CM_P_PUB, CM_P_PUB_IDENT };

/* What a step's result says to do next. */
enum cm_next {
	CM_NEXT,	/* go on with the next step */
	CM_SKIP,	/* skip the next step (it is not needed) */
	CM_RETRY,	/* failed: cm_error() was called, start over later */
	CM_AGAIN	/* run the same step again (cancelled lock wait) */
};

struct connmgr {
	struct event_base	*base;
	struct chan		*root;
	struct pgasync		 pg;
	struct event		*retry;
	int			 backoff_ms;
	size_t			 step;
	int			 ready;
	char			*state;		/* last MSG_STATE sent */
	char			*detail;
};

struct cm_step {
	const char	*name;
	const char	*sql;
	enum cm_param	 param;
	enum cm_next	(*done)(struct connmgr *, PGresult *);
};

static void cm_run_step(struct connmgr *);

static void
cm_state(struct connmgr *cm, const char *state, const char *detail)
{
	struct mbuf mb;

	if (cm->state != NULL && strcmp(cm->state, state) == 0 &&
	    strcmp(cm->detail, detail) == 0)
		return;
	free(cm->state);
	free(cm->detail);
	cm->state = xstrdup(state);
	cm->detail = xstrdup(detail);
	mbuf_init(&mb);
	mbuf_str(&mb, state);
	mbuf_str(&mb, detail);
	if (chan_sendm(cm->root, MSG_STATE, 0, &mb) == -1)
		log_debug("root channel closed");
	mbuf_free(&mb);
}

/* Drops the connection (and with it the lock) and starts over later. */
static void
cm_retry_in(struct connmgr *cm, int ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

	pga_close(&cm->pg);
	evtimer_add(cm->retry, &tv);
}

/* A configuration or permission problem: reported, retried every 10 s. */
static void
cm_error(struct connmgr *cm, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
cm_error(struct connmgr *cm, const char *fmt, ...)
{
	va_list ap;
	char buf[768];

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	log_warnx("%s; retrying in %d s", buf, CM_CONFIG_RETRY_MS / 1000);
	cm_state(cm, "error", buf);
}

/* The connection failed or broke before READY: retried with backoff. */
static void
cm_conn_failed(struct connmgr *cm, const char *during, const char *err)
{
	log_warnx("Postgres connection failed (%s): %s; retrying in %d s",
	    during, err, cm->backoff_ms / 1000);
	cm_state(cm, "connecting", err);
	cm_retry_in(cm, cm->backoff_ms);
	cm->backoff_ms *= 2;
	if (cm->backoff_ms > CM_BACKOFF_MAX_MS)
		cm->backoff_ms = CM_BACKOFF_MAX_MS;
}

static const char *
cm_value(PGresult *res)
{
	return PQntuples(res) > 0 ? PQgetvalue(res, 0, 0) : "";
}

static enum cm_next
cm_need_ok(struct connmgr *cm, PGresult *res, const char *what)
{
	ExecStatusType st = PQresultStatus(res);

	if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK)
		return CM_NEXT;
	cm_error(cm, "%s: %s", what, pga_res_error(&cm->pg, res));
	return CM_RETRY;
}

static enum cm_next
cm_done_settings(struct connmgr *cm, PGresult *res)
{
	return cm_need_ok(cm, res, "cannot set session timeouts");
}

static enum cm_next
cm_done_wal_level(struct connmgr *cm, PGresult *res)
{
	if (cm_need_ok(cm, res, "SHOW wal_level") != CM_NEXT)
		return CM_RETRY;
	if (strcmp(cm_value(res), "logical") == 0)
		return CM_NEXT;
	cm_error(cm, "wal_level is %s; set wal_level = logical in "
	    "postgresql.conf and restart Postgres", cm_value(res));
	return CM_RETRY;
}

static enum cm_next
cm_done_role(struct connmgr *cm, PGresult *res)
{
	if (cm_need_ok(cm, res, "cannot read the role's attributes") !=
	    CM_NEXT)
		return CM_RETRY;
	if (PQntuples(res) == 1 && strcmp(PQgetvalue(res, 0, 0), "t") == 0)
		return CM_NEXT;
	cm_error(cm, "role %s may not replicate; run ALTER ROLE %s WITH "
	    "REPLICATION (or connect as a superuser)",
	    PQntuples(res) ? PQgetvalue(res, 0, 1) : "?",
	    PQntuples(res) ? PQgetvalue(res, 0, 1) : "?");
	return CM_RETRY;
}

static enum cm_next
cm_done_try_lock(struct connmgr *cm, PGresult *res)
{
	char buf[256];

	if (cm_need_ok(cm, res, "pg_try_advisory_lock") != CM_NEXT)
		return CM_RETRY;
	if (strcmp(cm_value(res), "t") == 0)
		return CM_SKIP;
	snprintf(buf, sizeof(buf), "another electricd holds the lock for %s",
	    cfg.slot);
	log_warnx("%s; waiting for it", buf);
	cm_state(cm, "waiting_lock", buf);
	return CM_NEXT;
}

static enum cm_next
cm_done_lock(struct connmgr *cm, PGresult *res)
{
	/* query_canceled: a statement timeout set elsewhere; wait again. */
	if (strcmp(pga_sqlstate(res), "57014") == 0) {
		log_info("advisory lock wait cancelled; waiting again");
		return CM_AGAIN;
	}
	return cm_need_ok(cm, res, "pg_advisory_lock");
}

static enum cm_next
cm_done_exists(struct connmgr *cm, PGresult *res)
{
	if (cm_need_ok(cm, res, "catalog query") != CM_NEXT)
		return CM_RETRY;
	return PQntuples(res) > 0 ? CM_SKIP : CM_NEXT;
}

/* duplicate_object: someone else created it meanwhile, which is fine. */
static enum cm_next
cm_done_create_pub(struct connmgr *cm, PGresult *res)
{
	if (strcmp(pga_sqlstate(res), "42710") == 0)
		return CM_NEXT;
	if (cm_need_ok(cm, res, "CREATE PUBLICATION") != CM_NEXT)
		return CM_RETRY;
	log_info("created publication %s", cfg.publication);
	return CM_NEXT;
}

static enum cm_next
cm_done_slot_check(struct connmgr *cm, PGresult *res)
{
	if (cm_need_ok(cm, res, "reading pg_replication_slots") != CM_NEXT)
		return CM_RETRY;
	if (PQntuples(res) == 0)
		return CM_NEXT;
	if (strcmp(PQgetvalue(res, 0, 0), "t") != 0) {
		cm_error(cm, "replication slot %s exists but is not a pgoutput "
		    "logical slot of this database; drop it or choose "
		    "another ELECTRIC_REPLICATION_STREAM_ID", cfg.slot);
		return CM_RETRY;
	}
	return CM_SKIP;
}

static enum cm_next
cm_done_create_slot(struct connmgr *cm, PGresult *res)
{
	if (strcmp(pga_sqlstate(res), "42710") == 0)
		return CM_NEXT;
	if (cm_need_ok(cm, res, "creating the replication slot") != CM_NEXT)
		return CM_RETRY;
	log_info("created logical replication slot %s at %s", cfg.slot,
	    cm_value(res));
	return CM_NEXT;
}

static const struct cm_step cm_steps[] = {
	{ "settings", "SET statement_timeout = 0; SET lock_timeout = 0",
	  CM_P_NONE, cm_done_settings },
	{ "wal_level", "SHOW wal_level", CM_P_NONE, cm_done_wal_level },
	{ "role", "SELECT rolreplication OR rolsuper, rolname FROM pg_roles "
	  "WHERE rolname = current_user", CM_P_NONE, cm_done_role },
	{ "try_lock", "SELECT pg_try_advisory_lock(hashtext($1))", CM_P_SLOT,
	  cm_done_try_lock },
	{ "lock", "SELECT pg_advisory_lock(hashtext($1))", CM_P_SLOT,
	  cm_done_lock },
	{ "publication", "SELECT 1 FROM pg_publication WHERE pubname = $1",
	  CM_P_PUB, cm_done_exists },
	{ "create_publication", "CREATE PUBLICATION %s", CM_P_PUB_IDENT,
	  cm_done_create_pub },
	{ "slot", "SELECT plugin = 'pgoutput' AND slot_type = 'logical' AND "
	  "database = current_database() FROM pg_replication_slots "
	  "WHERE slot_name = $1", CM_P_SLOT, cm_done_slot_check },
	{ "create_slot", "SELECT lsn FROM "
	  "pg_create_logical_replication_slot($1, 'pgoutput')", CM_P_SLOT,
	  cm_done_create_slot },
};
#define CM_NSTEPS (sizeof(cm_steps) / sizeof(cm_steps[0]))

static void
cm_lock_lost(struct pgasync *pg UNUSED, PGresult *res UNUSED, const char *err, void *arg UNUSED)
{
	log_warnx("lost the lock connection: %s", err ? err : "closed");
	exit(1);
}

static void
cm_all_done(struct connmgr *cm)
{
	log_info("holding the lock for %s; publication %s and slot %s ready",
	    cfg.slot, cfg.publication, cfg.slot);
	cm_state(cm, "ready", "");
	cm->backoff_ms = CM_BACKOFF_MIN_MS;
	if (!cm->ready)
		proc_ready(cm->root);
	cm->ready = 1;
	pga_watch(&cm->pg, cm_lock_lost, cm);
}

static void
cm_step_done(struct pgasync *pg UNUSED, PGresult *res, const char *err, void *arg)
{
	struct connmgr *cm = arg;

	if (res == NULL) {
		cm_conn_failed(cm, cm_steps[cm->step].name, err);
		return;
	}
	switch (cm_steps[cm->step].done(cm, res)) {
	case CM_SKIP:
		cm->step++;
		/* FALLTHROUGH */
	case CM_NEXT:
		cm->step++;
		/* FALLTHROUGH */
	case CM_AGAIN:
		if (cm->step >= CM_NSTEPS)
			cm_all_done(cm);
		else
			cm_run_step(cm);
		break;
	case CM_RETRY:
		cm_retry_in(cm, CM_CONFIG_RETRY_MS);
		break;
	}
}

static void
cm_run_step(struct connmgr *cm)
{
	const struct cm_step *s = &cm_steps[cm->step];
	const char *param = NULL;
	char *sql = NULL, *q;
	int rc;

	if (s->param == CM_P_SLOT)
		param = cfg.slot;
	else if (s->param == CM_P_PUB)
		param = cfg.publication;
	else if (s->param == CM_P_PUB_IDENT) {
		q = PQescapeIdentifier(cm->pg.conn, cfg.publication,
		    strlen(cfg.publication));
		if (q == NULL)
			fatalx("PQescapeIdentifier: %s",
			    PQerrorMessage(cm->pg.conn));
		sql = xasprintf("CREATE PUBLICATION %s", q);
		PQfreemem(q);
	}
	log_debug("step %s", s->name);
	rc = pga_query(&cm->pg, sql ? sql : s->sql, param ? 1 : 0, &param,
	    cm_step_done, cm);
	free(sql);
	if (rc == -1)
		cm_conn_failed(cm, s->name, cm->pg.err);
}

static void
cm_connected(struct pgasync *pg UNUSED, PGresult *res UNUSED, const char *err, void *arg)
{
	struct connmgr *cm = arg;

	if (err != NULL) {
		cm_conn_failed(cm, "connect", err);
		return;
	}
	log_debug("connected to Postgres");
	cm->step = 0;
	cm_run_step(cm);
}

static void
cm_start(struct connmgr *cm)
{
	static const char *const keys[] = { "dbname",
	    "fallback_application_name", NULL };
	const char *vals[] = { cfg.database_url, "electricd-connmgr", NULL };

	if (cm->state == NULL)
		cm_state(cm, "connecting", "");
	pga_connect(&cm->pg, keys, vals, CM_CONNECT_TIMEOUT_S, cm_connected,
	    cm);
}

static void
cm_on_retry(evutil_socket_t fd UNUSED, short what UNUSED, void *arg)
{
	cm_start(arg);
}

static void
cm_stop(void *arg)
{
	struct connmgr *cm = arg;

	log_info("stopping");
	pga_close(&cm->pg);
	exit(0);
}

int
connmgr_main(void)
{
	struct connmgr cm;

	memset(&cm, 0, sizeof(cm));
	cm.base = proc_init("connmgr", NULL);
	cm.root = proc_root_chan(cm.base, "connmgr", NULL, NULL);
	proc_signals(cm.base, cm_stop, &cm);
	pga_init(&cm.pg, cm.base);
	cm.backoff_ms = CM_BACKOFF_MIN_MS;
	if ((cm.retry = evtimer_new(cm.base, cm_on_retry, &cm)) == NULL)
		fatalx("evtimer_new");
	cm_start(&cm);
	event_base_dispatch(cm.base);
	return 1;
}
