/*
 * metrics: GET /metrics in the Prometheus text format 0.0.4 (metrics.h).
 * Called by http.c (metrics_init, metrics_root_reply) and hreq.c
 * (metrics_count_status).
 *
 * A scrape waits for the root's snapshot (at most MET_WAIT_MS; without
 * it only this process's own metrics are served).  The root's answer is
 * JSON: {"version", "uptime_s", "roles":[{"role", "states":{state:n},
 * "restarts", "rss_kb", "pss_kb"}], "stats":[{"role","name","value"}],
 * "shapes":{state:n} (absent if the shapecache did not answer)}.
 * metrics_format() maps it to metric families through tables; a value
 * the snapshot lacks is left out, never invented.  Every family is
 * printed whole (# HELP, # TYPE, samples) and only if it has a sample.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "config.h"
#include "frame.h"
#include "hreq.h"
#include "log.h"
#include "metrics.h"
#include "msg.h"

#define MET_WAIT_MS	5000
#define MET_CTYPE	"text/plain; version=0.0.4; charset=utf-8"

struct met_scrape {
	struct evhttp_request	*req;		/* NULL: its client is gone */
	struct evhttp_connection *conn;
	uint32_t		 id;
	struct event		*timer;
	struct met_scrape	*next;
};

static uint64_t met_status[METRICS_MAX_STATUS];
static struct chan *met_root;
static struct event_base *met_base;
static struct met_scrape *met_scrapes;
static uint32_t met_next_id = 1;

void
metrics_count_status(int code)
{
	if (code >= 0 && code < METRICS_MAX_STATUS)
		met_status[code]++;
}

/* ---- the text format ---- */

/* A family: # HELP and # TYPE, printed before its first sample only. */
struct met_fam {
	FILE		*fp;
	const char	*name;
	const char	*type;
	const char	*help;
	int		 started;
};

static void
met_fam_start(struct met_fam *f)
{
	if (!f->started)
		fprintf(f->fp, "# HELP %s %s\n# TYPE %s %s\n", f->name, f->help,
		    f->name, f->type);
	f->started = 1;
}

/* A label value: backslash, double quote and newline escaped. */
static void
met_label(FILE *fp, const char *v)
{
	for (; *v != '\0'; v++) {
		if (*v == '\\' || *v == '"')
			fprintf(fp, "\\%c", *v);
		else if (*v == '\n')
			fputs("\\n", fp);
		else
			fputc(*v, fp);
	}
}

/* One sample: name{label="lv"} value (label NULL: no labels). */
static void
met_sample(struct met_fam *f, const char *label, const char *lv,
    long long value)
{
	met_fam_start(f);
	fputs(f->name, f->fp);
	if (label != NULL) {
		fprintf(f->fp, "{%s=\"", label);
		met_label(f->fp, lv);
		fputs("\"}", f->fp);
	}
	fprintf(f->fp, " %lld\n", value);
}

/* electricd_processes{role,state}: two labels, from the roles array. */
static void
met_processes(FILE *fp, const json_t *roles)
{
	struct met_fam f = { fp, "electricd_processes", "gauge",
	    "Processes of the supervision tree by role and supervisor state "
	    "(down, backoff, starting, ready, stopping).", 0 };
	const char *state;
	json_t *r, *n;
	size_t i;

	json_array_foreach(roles, i, r) {
		json_object_foreach(json_object_get(r, "states"), state, n) {
			met_fam_start(&f);
			fputs("electricd_processes{role=\"", fp);
			met_label(fp, json_string_value(json_object_get(r,
			    "role")) ?: "?");
			fputs("\",state=\"", fp);
			met_label(fp, state);
			fprintf(fp, "\"} %lld\n", (long long)json_integer_value(n));
		}
	}
}

/* The per-role families with one number each (scale: kB -> bytes). */
static const struct {
	const char	*key;
	const char	*name;
	const char	*type;
	const char	*help;
	long long	 scale;
} met_role_fams[] = {
	{ "restarts", "electricd_restarts_total", "counter",
	  "Restarts of the role's processes since electricd started.", 1 },
	{ "rss_kb", "electricd_memory_rss_bytes", "gauge",
	  "Resident memory (VmRSS) of the role's processes, summed; shared "
	  "pages are counted in every process.", 1024 },
	{ "pss_kb", "electricd_memory_pss_bytes", "gauge",
	  "Proportional set size (Pss) of the role's processes, summed: "
	  "shared pages divided among the processes sharing them.", 1024 },
};

static void
met_roles(FILE *fp, const json_t *roles)
{
	struct met_fam f;
	json_t *r, *v;
	size_t i, k;

	for (k = 0; k < sizeof(met_role_fams) / sizeof(met_role_fams[0]); k++) {
		f = (struct met_fam){ fp, met_role_fams[k].name,
		    met_role_fams[k].type, met_role_fams[k].help, 0 };
		json_array_foreach(roles, i, r) {
			v = json_object_get(r, met_role_fams[k].key);
			if (json_is_integer(v))
				met_sample(&f, "role", json_string_value(
				    json_object_get(r, "role")) ?: "?",
				    json_integer_value(v) *
				    met_role_fams[k].scale);
		}
	}
}

/* Children's MSG_STATS: (role, stat) -> family; micro: value in us. */
static const struct {
	const char	*role;
	const char	*stat;
	const char	*name;
	const char	*type;
	const char	*help;
	int		 micro;
} met_stat_fams[] = {
	{ "replication", "changes_total", "electricd_changes_total", "counter",
	  "Row changes (insert, update, delete) read from the replication "
	  "stream and passed to the collector; a replay after a restart "
	  "counts them again.", 0 },
	{ "replication", "transactions_total", "electricd_transactions_total",
	  "counter", "Transactions read from the replication stream and "
	  "passed to the collector.", 0 },
	{ "connmgr", "lag_bytes", "electricd_replication_lag_bytes", "gauge",
	  "pg_current_wal_lsn() minus the confirmed flush LSN of the "
	  "replication slot (polled every 2 s).", 0 },
	{ "replication", "lag_us", "electricd_replication_lag_seconds", "gauge",
	  "Age (by its commit time) of the oldest transaction passed to the "
	  "collector that is not yet durable in every shape; 0 if none.", 1 },
	{ "connmgr", "pool_open", "electricd_snapshot_pool_connections",
	  "gauge", "Snapshot connections connmgr has open or is opening.", 0 },
	{ "connmgr", "pool_lent", "electricd_snapshot_pool_lent", "gauge",
	  "Snapshot connections on loan to consumers now.", 0 },
	{ "connmgr", "pool_waiting", "electricd_snapshot_pool_waiting", "gauge",
	  "Consumers waiting for a snapshot connection.", 0 },
	{ "connmgr", "pool_loans", "electricd_snapshot_pool_loans_total",
	  "counter", "Snapshot connections lent to consumers.", 0 },
	{ "connmgr", "pool_opened", "electricd_snapshot_pool_opened_total",
	  "counter", "Snapshot connections opened by connmgr (a loan that "
	  "finds none idle opens one, up to ELECTRIC_DB_POOL_SIZE).", 0 },
};

static const json_t *
met_stat_find(const json_t *stats, const char *role, const char *stat)
{
	json_t *s;
	size_t i;

	json_array_foreach(stats, i, s)
		if (strcmp(json_string_value(json_object_get(s, "role")) ?: "",
		    role) == 0 && strcmp(json_string_value(json_object_get(s,
		    "name")) ?: "", stat) == 0)
			return json_object_get(s, "value");
	return NULL;
}

static void
met_stats(FILE *fp, const json_t *stats)
{
	struct met_fam f;
	const json_t *v;
	long long n;
	size_t k;

	for (k = 0; k < sizeof(met_stat_fams) / sizeof(met_stat_fams[0]); k++) {
		v = met_stat_find(stats, met_stat_fams[k].role,
		    met_stat_fams[k].stat);
		if (!json_is_integer(v))
			continue;
		f = (struct met_fam){ fp, met_stat_fams[k].name,
		    met_stat_fams[k].type, met_stat_fams[k].help, 0 };
		n = json_integer_value(v);
		if (!met_stat_fams[k].micro) {
			met_sample(&f, NULL, NULL, n);
			continue;
		}
		met_fam_start(&f);
		fprintf(fp, "%s %lld.%06lld\n", f.name, n / 1000000,
		    n % 1000000);
	}
}

static void
met_snapshot(FILE *fp, const json_t *snap)
{
	struct met_fam f = { fp, "electricd_build_info", "gauge",
	    "The running electricd's version (always 1).", 0 };
	json_t *v, *n;
	const char *state;

	if ((v = json_object_get(snap, "version")) != NULL)
		met_sample(&f, "version", json_string_value(v) ?: "?", 1);
	f = (struct met_fam){ fp, "electricd_uptime_seconds", "gauge",
	    "Seconds since the root process started.", 0 };
	if (json_is_integer(v = json_object_get(snap, "uptime_s")))
		met_sample(&f, NULL, NULL, json_integer_value(v));
	met_processes(fp, json_object_get(snap, "roles"));
	met_roles(fp, json_object_get(snap, "roles"));
	f = (struct met_fam){ fp, "electricd_shapes", "gauge",
	    "Shapes by state (snapshotting, active), as the shapecache "
	    "knows them.", 0 };
	if ((v = json_object_get(snap, "shapes")) != NULL) {
		met_fam_start(&f);	/* even with no shape: 0 shapes is a fact */
		json_object_foreach(v, state, n)
			met_sample(&f, "state", state, json_integer_value(n));
	}
	met_stats(fp, json_object_get(snap, "stats"));
}

static void
met_local(FILE *fp, const struct metrics_local *loc)
{
	struct met_fam f = { fp, "electricd_http_connections", "gauge",
	    "Established TCP connections to the Shape API port.", 0 };
	char code[8];
	size_t i;

	if (loc->connections >= 0)
		met_sample(&f, NULL, NULL, loc->connections);
	f = (struct met_fam){ fp, "electricd_http_requests_total", "counter",
	    "Shape API responses by HTTP status since the http process "
	    "started.", 0 };
	for (i = 0; i < METRICS_MAX_STATUS; i++)
		if (loc->status[i] > 0) {
			snprintf(code, sizeof(code), "%zu", i);
			met_sample(&f, "code", code, (long long)loc->status[i]);
		}
	f = (struct met_fam){ fp, "electricd_http_requests_in_flight", "gauge",
	    "Shape API requests being served or waiting, by state (wait-live: "
	    "live long-polls waiting for a change; sse: open SSE streams).", 0 };
	for (i = 0; i < loc->nstates; i++)
		met_sample(&f, "state", loc->state_names[i],
		    (long long)loc->inflight[i]);
}

char *
metrics_format(const json_t *snapshot, const struct metrics_local *loc)
{
	char *text = NULL;
	size_t len = 0;
	FILE *fp;

	if ((fp = open_memstream(&text, &len)) == NULL)
		fatal("open_memstream");
	if (snapshot != NULL)
		met_snapshot(fp, snapshot);
	met_local(fp, loc);
	if (fclose(fp) != 0)
		fatal("metrics text");
	return text;
}

/* ---- this process's numbers ---- */

/* ESTABLISHED sockets whose local port is port: one sock_diag query per
 * address family, filtered in the kernel (sport >= port && sport <= port),
 * counting the answers.  Reading /proc/self/net/tcp instead meant
 * formatting and parsing a line for every socket of the machine's network
 * namespace, clients included: 60 ms with 10,000 long-polls held, during
 * which the http event loop answered nobody. */
static long long
met_diag_count(int family, int port)
{
	struct {
		struct nlmsghdr		nlh;
		struct inet_diag_req_v2	r;
		struct nlattr		nla;
		struct inet_diag_bc_op	bc[4];
	} q;
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	static char buf[65536];
	const struct nlmsghdr *h;
	long long n = 0;
	ssize_t got;
	int fd, done = 0;

	memset(&q, 0, sizeof(q));
	q.nlh.nlmsg_len = sizeof(q);
	q.nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
	q.nlh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	q.r.sdiag_family = (uint8_t)family;
	q.r.sdiag_protocol = IPPROTO_TCP;
	q.r.idiag_states = 1u << 1;		/* TCP_ESTABLISHED */
	q.nla.nla_len = sizeof(q.nla) + sizeof(q.bc);
	q.nla.nla_type = INET_DIAG_REQ_BYTECODE;
	/* yes: on to the next test; no: past the end (rejected) */
	q.bc[0] = (struct inet_diag_bc_op){ INET_DIAG_BC_S_GE, 8, 20 };
	q.bc[1] = (struct inet_diag_bc_op){ 0, 0, (uint16_t)port };
	q.bc[2] = (struct inet_diag_bc_op){ INET_DIAG_BC_S_LE, 8, 12 };
	q.bc[3] = (struct inet_diag_bc_op){ 0, 0, (uint16_t)port };
	if ((fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC,
	    NETLINK_SOCK_DIAG)) == -1)
		return -1;
	if (sendto(fd, &q, sizeof(q), 0, (struct sockaddr *)&sa,
	    sizeof(sa)) != (ssize_t)sizeof(q)) {
		close(fd);
		return -1;
	}
	while (!done && (got = recv(fd, buf, sizeof(buf), 0)) > 0)
		for (h = (const struct nlmsghdr *)(void *)buf;
		    NLMSG_OK(h, (size_t)got); h = NLMSG_NEXT(h, got)) {
			if (h->nlmsg_type == NLMSG_DONE) {
				done = 1;
				break;
			}
			if (h->nlmsg_type == NLMSG_ERROR) {
				n = -1;
				done = 1;
				break;
			}
			if (h->nlmsg_type == SOCK_DIAG_BY_FAMILY)
				n++;
		}
	close(fd);
	return done ? n : -1;
}

/* The same from /proc/self/net, where sock_diag is not available (some
 * sandboxes): a line per socket to format and parse. */
static long long
met_proc_count(int port)
{
	static const char *const files[] = { "/proc/self/net/tcp",
	    "/proc/self/net/tcp6" };
	char line[512], local[64];
	unsigned lport, st;
	long long n = -1;
	const char *colon;
	size_t i;
	FILE *fp;

	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		if ((fp = fopen(files[i], "re")) == NULL)
			continue;
		n = n < 0 ? 0 : n;
		while (fgets(line, sizeof(line), fp) != NULL) {
			if (sscanf(line, " %*s %63s %*s %x", local, &st) != 2 ||
			    (colon = strrchr(local, ':')) == NULL ||
			    sscanf(colon + 1, "%x", &lport) != 1)
				continue;
			if (st == 1 && lport == (unsigned)port)
				n++;
		}
		fclose(fp);
	}
	return n;
}

static long long
met_connections(int port)
{
	long long v4 = met_diag_count(AF_INET, port);
	long long v6 = met_diag_count(AF_INET6, port);

	if (v4 < 0 && v6 < 0)
		return met_proc_count(port);
	return (v4 > 0 ? v4 : 0) + (v6 > 0 ? v6 : 0);
}

static char *
met_text(const json_t *snapshot)
{
	const char *names[HREQ_NSTATES];
	unsigned counts[HREQ_NSTATES];
	struct metrics_local loc;
	size_t i;

	for (i = 0; i < HREQ_NSTATES; i++) {
		names[i] = hreq_state_name((enum hreq_state)i);
		counts[i] = hreq_count[i];
	}
	loc.status = met_status;
	loc.state_names = names;
	loc.inflight = counts;
	loc.nstates = HREQ_NSTATES;
	loc.connections = met_connections(cfg.port);
	return metrics_format(snapshot, &loc);
}

/* ---- scrapes ---- */

static void
met_conn_closed(struct evhttp_connection *conn UNUSED, void *arg)
{
	struct met_scrape *sc = arg;

	sc->req = NULL;
	sc->conn = NULL;
}

static void
met_finish(struct met_scrape *sc, const json_t *snapshot)
{
	struct met_scrape **pp;
	struct evbuffer *b;
	char *text;

	for (pp = &met_scrapes; *pp != NULL; pp = &(*pp)->next)
		if (*pp == sc) {
			*pp = sc->next;
			break;
		}
	if (sc->req != NULL) {
		evhttp_connection_set_closecb(sc->conn, NULL, NULL);
		text = met_text(snapshot);
		if ((b = evbuffer_new()) == NULL)
			fatalx("evbuffer_new");
		evbuffer_add(b, text, strlen(text));
		free(text);
		evhttp_add_header(evhttp_request_get_output_headers(sc->req),
		    "Content-Type", MET_CTYPE);
		evhttp_send_reply(sc->req, 200, "OK", b);
		evbuffer_free(b);
	}
	event_free(sc->timer);
	free(sc);
}

static void
met_timeout(evutil_socket_t fd UNUSED, short ev UNUSED, void *arg)
{
	log_warnx("metrics: no answer from the root in %d ms", MET_WAIT_MS);
	met_finish(arg, NULL);
}

void
metrics_root_reply(const struct frame *f)
{
	struct met_scrape *sc;
	struct mreader r;
	json_t *snap = NULL;
	char *s;

	for (sc = met_scrapes; sc != NULL && sc->id != f->id; sc = sc->next)
		;
	if (sc == NULL)
		return;
	mr_init(&r, f->data, f->len);
	if (mr_u16(&r) == 0) {
		s = mr_str(&r);
		snap = json_loads(s, 0, NULL);
		free(s);
	}
	if (snap == NULL)
		log_warnx("metrics: bad snapshot from the root");
	met_finish(sc, snap);
	json_decref(snap);
}

static void
met_scrape_start(struct evhttp_request *req)
{
	struct timeval tv = { MET_WAIT_MS / 1000, (MET_WAIT_MS % 1000) * 1000 };
	static const char cmd[] = "{\"cmd\":\"metrics\"}";
	struct met_scrape *sc;
	struct mbuf m;

	sc = xcalloc(1, sizeof(*sc));
	sc->req = req;
	sc->conn = evhttp_request_get_connection(req);
	sc->id = met_next_id++;
	sc->timer = evtimer_new(met_base, met_timeout, sc);
	sc->next = met_scrapes;
	met_scrapes = sc;
	evhttp_connection_set_closecb(sc->conn, met_conn_closed, sc);
	mbuf_init(&m);
	mbuf_str(&m, cmd);
	if (chan_sendm(met_root, MSG_CTL_REQ, sc->id, &m) == -1)
		met_finish(sc, NULL);
	else
		evtimer_add(sc->timer, &tv);
	mbuf_free(&m);
}

static void
met_request_cb(struct evhttp_request *req, void *arg UNUSED)
{
	const char *uri = evhttp_request_get_uri(req);
	size_t n = strcspn(uri != NULL ? uri : "", "?");
	struct evbuffer *b;

	if (uri == NULL || n != strlen("/metrics") ||
	    strncmp(uri, "/metrics", n) != 0) {
		evhttp_send_error(req, 404, "Not found: try /metrics");
		return;
	}
	if (evhttp_request_get_command(req) != EVHTTP_REQ_GET &&
	    evhttp_request_get_command(req) != EVHTTP_REQ_HEAD) {
		evhttp_add_header(evhttp_request_get_output_headers(req),
		    "Allow", "GET, HEAD");
		if ((b = evbuffer_new()) == NULL)
			fatalx("evbuffer_new");
		evhttp_send_reply(req, 405, "Method Not Allowed", b);
		evbuffer_free(b);
		return;
	}
	met_scrape_start(req);
}

void
metrics_init(struct event_base *base, struct chan *root)
{
	struct evhttp *http;

	met_base = base;
	met_root = root;
	if (cfg.prometheus_port == 0)
		return;
	if ((http = evhttp_new(base)) == NULL)
		fatalx("evhttp_new");
	evhttp_set_allowed_methods(http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD |
	    EVHTTP_REQ_POST | EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE);
	evhttp_set_max_headers_size(http, 16 * 1024);
	evhttp_set_max_body_size(http, 4096);	/* then 405, not 413 */
	evhttp_set_timeout(http, 60);
	evhttp_set_gencb(http, met_request_cb, NULL);
	if (evhttp_bind_socket_with_handle(http, "0.0.0.0",
	    (ev_uint16_t)cfg.prometheus_port) == NULL)
		fatal("cannot listen on 0.0.0.0:%d for /metrics (is the port "
		    "already in use?)", cfg.prometheus_port);
	log_info("metrics on 0.0.0.0:%d/metrics", cfg.prometheus_port);
}
