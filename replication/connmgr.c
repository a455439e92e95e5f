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
 * query (or none: a local step) and a function judging its result, run
 * only when its condition holds; every query is asynchronous (pgasync) so
 * that the root channel is served while we wait for the lock.
 *
 * Stream identity (identity.c): before READY -- that is, before
 * replication, collector, shapecache or any consumer runs -- the system
 * identifier, timeline and slot are compared with those meta.db recorded;
 * a difference, or a slot that had to be (re-)created, purges every shape.
 * A slot that was invalidated (wal_status 'lost', max_slot_wal_keep_size)
 * is dropped and re-created; so is the slot when the publication had to
 * be created (PROTOCOL.md §12.2 step 4).  Once READY, the slot is checked
 * every CM_SLOT_POLL_MS: dropped or invalidated while running ends this
 * process (status 1), and the restart of everything after it, with the
 * purge above, recovers.
 *
 * connmgr also keeps the pool of snapshot connections that it lends to
 * consumers (pgpool.c), opened once READY.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "config.h"
#include "identity.h"
#include "log.h"
#include "msg.h"
#include "pgasync.h"
#include "pgpool.h"
#include "proc.h"
#include "roles.h"

#define CM_BACKOFF_MIN_MS	1000
#define CM_BACKOFF_MAX_MS	30000
#define CM_CONFIG_RETRY_MS	10000
#define CM_CONNECT_TIMEOUT_S	5
#define CM_SLOT_BUSY_MS		500	/* an old walsender still holds the slot */
#define CM_SLOT_POLL_MS		2000	/* slot health check once READY */

/* A step's one query parameter; CM_P_PUB_IDENT puts the quoted
 * publication name into the SQL text instead (DDL takes no parameters). */
enum cm_param { CM_P_NONE, CM_P_SLOT, CM_P_PUB, CM_P_PUB_IDENT };

/* What a step's result says to do next. */
enum cm_next {
	CM_NEXT,	/* go on with the next step that applies */
	CM_RETRY,	/* failed: cm_error() was called, start over later */
	CM_AGAIN,	/* run the same step again (cancelled lock wait) */
	CM_BUSY		/* start over soon (the slot is still in use) */
};

/* What connmgr learnt so far in this attempt (reset at each connect). */
struct cm_found {
	int	locked;
	int	pub_exists;
	int	pub_created;
	int	slot_exists;
	int	slot_lost;		/* wal_status 'lost': invalidated */
	int	slot_dropped;		/* we dropped it (lost, or new pub) */
	int	slot_created;
	char	system_id[32];
	char	timeline[16];
};

struct connmgr {
	struct event_base	*base;
	struct chan		*root;
	struct pgasync		 pg;
	struct event		*retry;
	int			 backoff_ms;
	size_t			 step;
	struct cm_found		 f;
	struct event		*poll;		/* slot health, once READY */
	int			 ready;
	char			*state;		/* last MSG_STATE sent */
	char			*detail;
};

struct cm_step {
	const char	*name;
	const char	*sql;		/* NULL: a local step, done(cm, NULL) */
	enum cm_param	 param;
	enum cm_next	(*done)(struct connmgr *, PGresult *);
	int		(*when)(const struct connmgr *);	/* NULL: always */
};

static void cm_run_step(struct connmgr *);

/* For /metrics: pg_current_wal_lsn() - the slot's confirmed flush LSN, from
 * the slot poll (CM_SLOT_POLL_MS); UINT64_MAX until the first poll. */
static uint64_t cm_lag_bytes = UINT64_MAX;
static const struct proc_stat cm_stats[] = {
	{ "lag_bytes", &cm_lag_bytes, NULL },
	{ "pool_open", NULL, pgpool_open },
	{ "pool_lent", NULL, pgpool_lent },
	{ "pool_waiting", NULL, pgpool_waiting },
	{ "pool_loans", NULL, pgpool_loans },
	{ "pool_opened", NULL, pgpool_opened },
};

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
	int ms = backoff_step(&cm->backoff_ms, CM_BACKOFF_MIN_MS,
	    CM_BACKOFF_MAX_MS);

	log_warnx("Postgres connection failed (%s): %s; retrying in %d s",
	    during, err, ms / 1000);
	cm_state(cm, "connecting", err);
	cm_retry_in(cm, ms);
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
	if (strcmp(cm_value(res), "t") == 0) {
		cm->f.locked = 1;
		return CM_NEXT;
	}
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
	if (cm_need_ok(cm, res, "pg_advisory_lock") != CM_NEXT)
		return CM_RETRY;
	cm->f.locked = 1;
	return CM_NEXT;
}

static enum cm_next
cm_done_pub_exists(struct connmgr *cm, PGresult *res)
{
	if (cm_need_ok(cm, res, "catalog query") != CM_NEXT)
		return CM_RETRY;
	cm->f.pub_exists = PQntuples(res) > 0;
	return CM_NEXT;
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
	cm->f.pub_created = 1;
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
	cm->f.slot_exists = 1;
	cm->f.slot_lost = strcmp(PQgetvalue(res, 0, 1), "t") == 0;
	return CM_NEXT;
}

static int
cm_when_drop_slot(const struct connmgr *cm)
{
	return cm->f.slot_exists && (cm->f.slot_lost || cm->f.pub_created);
}

/* object_in_use: the walsender of the replication process we replaced
 * has not ended yet; undefined_object: someone dropped it already. */
static enum cm_next
cm_done_drop_slot(struct connmgr *cm, PGresult *res)
{
	if (strcmp(pga_sqlstate(res), "55006") == 0) {
		log_info("replication slot %s is still in use; waiting",
		    cfg.slot);
		return CM_BUSY;
	}
	if (strcmp(pga_sqlstate(res), "42704") != 0 &&
	    cm_need_ok(cm, res, "dropping the replication slot") != CM_NEXT)
		return CM_RETRY;
	log_info("dropped replication slot %s: %s", cfg.slot, cm->f.slot_lost ?
	    "it was invalidated (wal_status lost: the WAL it needed was "
	    "removed, see max_slot_wal_keep_size)" :
	    "the publication was created anew");
	cm->f.slot_exists = 0;
	cm->f.slot_dropped = 1;
	return CM_NEXT;
}

static int
cm_when_create_slot(const struct connmgr *cm)
{
	return !cm->f.slot_exists;
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
	cm->f.slot_created = 1;
	return CM_NEXT;
}

static enum cm_next
cm_done_identity(struct connmgr *cm, PGresult *res)
{
	if (cm_need_ok(cm, res, "reading the system identifier") != CM_NEXT)
		return CM_RETRY;
	if (PQntuples(res) != 1 || PQnfields(res) != 2) {
		cm_error(cm, "reading the system identifier: unexpected result");
		return CM_RETRY;
	}
	snprintf(cm->f.system_id, sizeof(cm->f.system_id), "%s",
	    PQgetvalue(res, 0, 0));
	snprintf(cm->f.timeline, sizeof(cm->f.timeline), "%s",
	    PQgetvalue(res, 0, 1));
	return CM_NEXT;
}

/* Local: compare with meta.db and purge if the stream changed. */
static enum cm_next
cm_done_reconcile(struct connmgr *cm, PGresult *res UNUSED)
{
	char why[256];
	struct identity id = { cm->f.system_id, cm->f.timeline, cfg.slot,
	    NULL };

	if (cm->f.slot_created) {
		snprintf(why, sizeof(why), "replication slot %s was created%s: "
		    "the changes since the shapes were written are not "
		    "available", cfg.slot, !cm->f.slot_dropped ? "" :
		    cm->f.slot_lost ? " after it was invalidated" :
		    " with the publication");
		id.slot_created = why;
	}
	if (identity_reconcile(&id) == 0)
		return CM_NEXT;
	cm_error(cm, "cannot check the stream identity against %s",
	    cfg.meta_path);
	return CM_RETRY;
}

static int
cm_when_lock(const struct connmgr *cm)
{
	return !cm->f.locked;
}

static int
cm_when_create_pub(const struct connmgr *cm)
{
	return !cm->f.pub_exists;
}

static const struct cm_step cm_steps[] = {
	{ "settings", "SET statement_timeout = 0; SET lock_timeout = 0",
	  CM_P_NONE, cm_done_settings, NULL },
	{ "wal_level", "SHOW wal_level", CM_P_NONE, cm_done_wal_level, NULL },
	{ "role", "SELECT rolreplication OR rolsuper, rolname FROM pg_roles "
	  "WHERE rolname = current_user", CM_P_NONE, cm_done_role, NULL },
	{ "try_lock", "SELECT pg_try_advisory_lock(hashtext($1))", CM_P_SLOT,
	  cm_done_try_lock, NULL },
	{ "lock", "SELECT pg_advisory_lock(hashtext($1))", CM_P_SLOT,
	  cm_done_lock, cm_when_lock },
	{ "publication", "SELECT 1 FROM pg_publication WHERE pubname = $1",
	  CM_P_PUB, cm_done_pub_exists, NULL },
	{ "create_publication", "CREATE PUBLICATION %s", CM_P_PUB_IDENT,
	  cm_done_create_pub, cm_when_create_pub },
	{ "slot", "SELECT plugin = 'pgoutput' AND slot_type = 'logical' AND "
	  "database = current_database(), wal_status IS NOT DISTINCT FROM "
	  "'lost' FROM pg_replication_slots WHERE slot_name = $1", CM_P_SLOT,
	  cm_done_slot_check, NULL },
	{ "drop_slot", "SELECT pg_drop_replication_slot($1)", CM_P_SLOT,
	  cm_done_drop_slot, cm_when_drop_slot },
	{ "create_slot", "SELECT lsn FROM "
	  "pg_create_logical_replication_slot($1, 'pgoutput')", CM_P_SLOT,
	  cm_done_create_slot, cm_when_create_slot },
	/* The timeline of the WAL being written now (pg_control_checkpoint()
	 * lags behind a promotion until the next checkpoint). */
	{ "identity", "SELECT system_identifier::text, ('x' || "
	  "substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8))::bit(32)"
	  "::bigint::text FROM pg_control_system()",
	  CM_P_NONE, cm_done_identity, NULL },
	{ "reconcile", NULL, CM_P_NONE, cm_done_reconcile, NULL },
};
#define CM_NSTEPS (sizeof(cm_steps) / sizeof(cm_steps[0]))

/* ---- once READY: watch the lock connection and the slot ---- */

static void
cm_lock_lost(struct pgasync *pg UNUSED, PGresult *res UNUSED, const char *err, void *arg UNUSED)
{
	log_warnx("lost the lock connection: %s", err ? err : "closed");
	exit(1);
}

static void
cm_poll_arm(struct connmgr *cm)
{
	struct timeval tv = { CM_SLOT_POLL_MS / 1000,
	    (CM_SLOT_POLL_MS % 1000) * 1000 };

	pga_watch(&cm->pg, cm_lock_lost, cm);
	evtimer_add(cm->poll, &tv);
}

/* The slot is gone or useless: everything after us must restart, and
 * the next connmgr re-creates it and purges the shapes before READY. */
static void
cm_on_slot_health(struct pgasync *pg, PGresult *res, const char *err,
    void *arg)
{
	struct connmgr *cm = arg;

	if (res == NULL)
		cm_lock_lost(pg, res, err, arg);
	else if (PQresultStatus(res) != PGRES_TUPLES_OK)
		log_warnx("checking replication slot %s: %s", cfg.slot,
		    pga_res_error(pg, res));
	else if (PQntuples(res) == 0) {
		log_warnx("replication slot %s was dropped; restarting to "
		    "re-create it (every shape will be purged)", cfg.slot);
		exit(1);
	} else if (strcmp(PQgetvalue(res, 0, 0), "lost") != 0) {
		cm_lag_bytes = PQgetisnull(res, 0, 1) ? UINT64_MAX :
		    strtoull(PQgetvalue(res, 0, 1), NULL, 10);
	} else {
		log_warnx("replication slot %s was invalidated (the WAL it "
		    "needed was removed: raise max_slot_wal_keep_size); "
		    "restarting to re-create it (every shape will be purged)",
		    cfg.slot);
		exit(1);
	}
	cm_poll_arm(cm);
}

static void
cm_on_poll(evutil_socket_t fd UNUSED, short what UNUSED, void *arg)
{
	struct connmgr *cm = arg;
	const char *param = cfg.slot;

	if (pga_query(&cm->pg, "SELECT coalesce(wal_status, ''), "
	    "greatest(pg_current_wal_lsn() - confirmed_flush_lsn, 0)::bigint "
	    "FROM pg_replication_slots WHERE slot_name = $1", 1, &param,
	    cm_on_slot_health, cm) == -1)
		cm_lock_lost(&cm->pg, NULL, cm->pg.err, cm);
}

static void
cm_all_done(struct connmgr *cm)
{
	log_info("holding the lock for %s; publication %s and slot %s ready "
	    "(system %s, timeline %s)", cfg.slot, cfg.publication, cfg.slot,
	    cm->f.system_id, cm->f.timeline);
	cm_state(cm, "ready", "");
	cm->backoff_ms = CM_BACKOFF_MIN_MS;
	if (!cm->ready)
		proc_ready(cm->root);
	cm->ready = 1;
	pgpool_start();
	cm_poll_arm(cm);
}

/* ---- the set-up steps ---- */

/* Runs the next step that applies from cm->step on, or finishes. */
static void
cm_next_step(struct connmgr *cm)
{
	while (cm->step < CM_NSTEPS && cm_steps[cm->step].when != NULL &&
	    !cm_steps[cm->step].when(cm))
		cm->step++;
	if (cm->step >= CM_NSTEPS)
		cm_all_done(cm);
	else
		cm_run_step(cm);
}

static void
cm_judge(struct connmgr *cm, PGresult *res)
{
	switch (cm_steps[cm->step].done(cm, res)) {
	case CM_NEXT:
		cm->step++;
		/* FALLTHROUGH */
	case CM_AGAIN:
		cm_next_step(cm);
		break;
	case CM_RETRY:
		cm_retry_in(cm, CM_CONFIG_RETRY_MS);
		break;
	case CM_BUSY:
		cm_retry_in(cm, CM_SLOT_BUSY_MS);
		break;
	}
}

static void
cm_step_done(struct pgasync *pg UNUSED, PGresult *res, const char *err, void *arg)
{
	struct connmgr *cm = arg;

	if (res == NULL) {
		cm_conn_failed(cm, cm_steps[cm->step].name, err);
		return;
	}
	cm_judge(cm, res);
}

static void
cm_run_step(struct connmgr *cm)
{
	const struct cm_step *s = &cm_steps[cm->step];
	const char *param = NULL;
	char *sql = NULL, *q;
	int rc;

	if (s->sql == NULL) {
		log_debug("step %s", s->name);
		cm_judge(cm, NULL);
		return;
	}
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
	memset(&cm->f, 0, sizeof(cm->f));
	cm_next_step(cm);
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
	proc_stats_publish(cm.base, cm.root, cm_stats,
	    sizeof(cm_stats) / sizeof(cm_stats[0]));
	pga_init(&cm.pg, cm.base);
	pgpool_init(cm.base, cfg.db_pool_size);
	cm.backoff_ms = CM_BACKOFF_MIN_MS;
	if ((cm.retry = evtimer_new(cm.base, cm_on_retry, &cm)) == NULL ||
	    (cm.poll = evtimer_new(cm.base, cm_on_poll, &cm)) == NULL)
		fatalx("evtimer_new");
	cm_start(&cm);
	event_base_dispatch(cm.base);
	return 1;
}
