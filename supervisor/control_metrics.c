/*
 * control_metrics: what the root knows for Prometheus /metrics.  The http
 * process asks {"cmd":"metrics"} (MSG_CTL_REQ on its root channel) and
 * formats the answer (http/metrics.c); sup.c calls the rest:
 *
 *   control_metrics_on_stats    a child's MSG_STATS (proc_stats_publish):
 *                               kept per role; consumers' are ignored
 *   control_metrics_on_death    its gauges are dropped (unknown until the
 *                               next incarnation reports), its counters
 *                               ("*_total") are folded into a base, so the
 *                               sum stays monotonic across restarts
 *   control_metrics_restarted   one more restart of that role
 *   control_metrics_request     the answer: per role, the number of
 *                               processes in each supervisor state, the
 *                               restarts and the memory (VmRSS and Pss of
 *                               /proc, control_top.c); the children's
 *                               stats; and the shapes by state, counted
 *                               from the shapecache's "shapes" reply (left
 *                               out if it is down or silent for 2 s)
 *
 * A pending request is answered to whichever http runs then (its chan
 * can die meanwhile); its ids to the shapecache have MET_ID_BIT set so
 * that they never meet control.c's.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <jansson.h>

#include "config.h"
#include "control.h"
#include "frame.h"
#include "log.h"
#include "msg.h"
#include "sup.h"
#include "version.h"

#define MET_MAX_STATS		64
#define MET_MAX_ROLES		16
#define MET_SHAPES_WAIT_MS	2000
#define MET_ID_BIT		0x80000000u

struct met_stat {
	char		role[24];
	char		name[48];
	uint64_t	value;		/* of the running incarnation */
	uint64_t	base;		/* counters: sum of the dead ones */
	int		live;		/* value is known */
};

struct met_pending {
	uint32_t		 id;		/* ours, to the shapecache */
	uint32_t		 reply_id;	/* http's */
	struct event		*timer;
	struct met_pending	*next;
};

static struct met_stat met_stats[MET_MAX_STATS];
static size_t met_nstats;
static struct {
	const char	*role;
	uint64_t	 n;
} met_restarts[MET_MAX_ROLES];
static size_t met_nroles;
static struct met_pending *met_pendings;
static uint32_t met_next_id;

static int
met_is_counter(const char *name)
{
	size_t n = strlen(name);

	return n > 6 && strcmp(name + n - 6, "_total") == 0;
}

/* The roles in the order of the tree: root, sup_specs, consumer. */
static void
met_roles_init(void)
{
	const struct sup_spec *s;

	if (met_nroles > 0)
		return;
	met_restarts[met_nroles++].role = "root";
	for (s = sup_specs; s->role != NULL && met_nroles < MET_MAX_ROLES - 1; s++)
		met_restarts[met_nroles++].role = s->role;
	met_restarts[met_nroles++].role = sup_consumer_spec.role;
}

void
control_metrics_restarted(const struct sup_proc *p)
{
	size_t i;

	met_roles_init();
	for (i = 0; i < met_nroles; i++)
		if (strcmp(met_restarts[i].role, p->spec->role) == 0)
			met_restarts[i].n++;
}

static struct met_stat *
met_stat_find(const char *role, const char *name)
{
	struct met_stat *st;
	size_t i;

	for (i = 0; i < met_nstats; i++)
		if (strcmp(met_stats[i].role, role) == 0 &&
		    strcmp(met_stats[i].name, name) == 0)
			return &met_stats[i];
	if (met_nstats == MET_MAX_STATS || strlen(role) >= sizeof(st->role) ||
	    strlen(name) >= sizeof(st->name))
		return NULL;
	st = &met_stats[met_nstats++];
	memcpy(st->role, role, strlen(role) + 1);
	memcpy(st->name, name, strlen(name) + 1);
	return st;
}

void
control_metrics_on_stats(const struct sup_proc *p, const uint8_t *d,
    size_t len)
{
	struct met_stat *st;
	struct mreader r;
	uint32_t i, n;
	uint64_t v;
	char *name;

	if (p->spec == &sup_consumer_spec)
		return;
	mr_init(&r, d, len);
	n = mr_u32(&r);
	for (i = 0; i < n && !r.err; i++) {
		name = mr_str(&r);
		v = mr_u64(&r);
		if (!r.err && (st = met_stat_find(p->spec->role, name)) != NULL) {
			st->value = v == UINT64_MAX ? 0 : v;
			st->live = v != UINT64_MAX;
		}
		free(name);
	}
	if (r.err)
		log_warnx("%s sent a malformed STATS frame", p->id);
}

void
control_metrics_on_death(const struct sup_proc *p)
{
	struct met_stat *st;

	for (st = met_stats; st < met_stats + met_nstats; st++) {
		if (strcmp(st->role, p->spec->role) != 0)
			continue;
		if (met_is_counter(st->name))
			st->base += st->value;
		st->value = 0;
		st->live = 0;
	}
}

/* ---- the answer ---- */

static json_t *
met_stats_json(void)
{
	json_t *a = json_array();
	const struct met_stat *st;
	int counter;

	for (st = met_stats; st < met_stats + met_nstats; st++) {
		counter = met_is_counter(st->name);
		if (!counter && !st->live)
			continue;
		json_array_append_new(a, json_pack("{s:s,s:s,s:I}", "role",
		    st->role, "name", st->name,
		    "value", (json_int_t)(st->value + (counter ? st->base : 0))));
	}
	return a;
}

/* Adds pid's memory to the role's sums (kB; -1 while nothing was read). */
static void
met_mem_add(pid_t pid, long long *rss, long long *pss)
{
	long long kb;

	if ((kb = control_proc_kb(pid, "status", "VmRSS")) >= 0)
		*rss = (*rss < 0 ? 0 : *rss) + kb;
	if ((kb = control_proc_kb(pid, "smaps_rollup", "Pss")) >= 0)
		*pss = (*pss < 0 ? 0 : *pss) + kb;
}

static json_t *
met_num(long long v)
{
	return v >= 0 ? json_integer(v) : json_null();
}

static json_t *
met_role_json(size_t ri)
{
	const char *role = met_restarts[ri].role;
	const struct sup_proc *p;
	long long rss = -1, pss = -1;
	json_t *states = json_object(), *n;
	const char *sn;

	if (ri == 0) {
		met_mem_add(getpid(), &rss, &pss);
		json_object_set_new(states, "ready", json_integer(1));
	}
	for (p = sup_procs(); p != NULL; p = p->next) {
		if (strcmp(p->spec->role, role) != 0)
			continue;
		sn = sup_state_name(p->state);
		n = json_object_get(states, sn);
		json_object_set_new(states, sn,
		    json_integer(n != NULL ? json_integer_value(n) + 1 : 1));
		if (p->pid > 0)
			met_mem_add(p->pid, &rss, &pss);
	}
	/* the root is never restarted: no restarts for it */
	return json_pack("{s:s,s:o,s:o,s:o,s:o}", "role", role, "states",
	    states, "restarts", met_num(ri == 0 ? -1 : (long long)
	    met_restarts[ri].n), "rss_kb", met_num(rss), "pss_kb", met_num(pss));
}

static void
met_answer(struct met_pending *pe, json_t *shapes)
{
	struct sup_proc *h = sup_find("http");
	json_t *roles = json_array(), *body;
	size_t i;

	met_roles_init();
	for (i = 0; i < met_nroles; i++)
		json_array_append_new(roles, met_role_json(i));
	body = json_pack("{s:s,s:I,s:o,s:o}", "version", ELECTRICD_VERSION,
	    "uptime_s", (json_int_t)(sup_uptime_ms() / 1000), "roles", roles,
	    "stats", met_stats_json());
	if (shapes != NULL)
		json_object_set_new(body, "shapes", shapes);
	if (h != NULL && h->chan != NULL)
		control_reply(h->chan, pe->reply_id, 0, body);
	else
		json_decref(body);
}

static void
met_pending_done(struct met_pending *pe, json_t *shapes)
{
	struct met_pending **pp;

	for (pp = &met_pendings; *pp != NULL; pp = &(*pp)->next)
		if (*pp == pe) {
			*pp = pe->next;
			break;
		}
	met_answer(pe, shapes);
	event_free(pe->timer);
	free(pe);
}

static void
met_shapes_timeout(evutil_socket_t fd UNUSED, short ev UNUSED, void *arg)
{
	log_debug("metrics: no shapes from the shapecache in time");
	met_pending_done(arg, NULL);
}

/* {"shapes":[{"state":..},..]} -> {"active":n,...}; NULL if malformed. */
static json_t *
met_shapes_count(json_t *body)
{
	json_t *list = json_object_get(body, "shapes"), *s, *out, *n;
	const char *state;
	size_t i;

	if (!json_is_array(list))
		return NULL;
	out = json_object();
	json_array_foreach(list, i, s) {
		state = json_string_value(json_object_get(s, "state"));
		if (state == NULL)
			continue;
		n = json_object_get(out, state);
		json_object_set_new(out, state,
		    json_integer(n != NULL ? json_integer_value(n) + 1 : 1));
	}
	return out;
}

int
control_metrics_on_reply(uint32_t id, const uint8_t *d, size_t n)
{
	struct met_pending *pe;
	struct mreader r;
	json_t *body = NULL, *shapes = NULL;
	char *s;

	if (!(id & MET_ID_BIT))
		return 0;
	for (pe = met_pendings; pe != NULL && pe->id != id; pe = pe->next)
		;
	if (pe == NULL)
		return 1;	/* answered already, on its timeout */
	mr_init(&r, d, n);
	if (mr_u16(&r) == 0) {
		s = mr_str(&r);
		body = json_loads(s, 0, NULL);
		free(s);
	}
	if (!r.err && body != NULL)
		shapes = met_shapes_count(body);
	json_decref(body);
	met_pending_done(pe, shapes);
	return 1;
}

void
control_metrics_request(struct sup_proc *p, uint32_t id, const uint8_t *d,
    size_t n)
{
	struct timeval tv = { MET_SHAPES_WAIT_MS / 1000,
	    (MET_SHAPES_WAIT_MS % 1000) * 1000 };
	static const char req[] = "{\"cmd\":\"shapes\"}";
	struct met_pending *pe;
	struct mbuf m;

	(void)d; (void)n;	/* "metrics" is the only request http makes */
	if (strcmp(p->spec->role, "http") != 0) {
		log_warnx("%s sent a control request", p->id);
		return;
	}
	pe = xcalloc(1, sizeof(*pe));
	pe->id = MET_ID_BIT | (met_next_id++ & ~MET_ID_BIT);
	pe->reply_id = id;
	pe->timer = evtimer_new(control_evbase(), met_shapes_timeout, pe);
	pe->next = met_pendings;
	met_pendings = pe;
	mbuf_init(&m);
	mbuf_str(&m, req);
	if (sup_to_shapecache(MSG_CTL_REQ, pe->id, m.p, m.len) == -1)
		met_pending_done(pe, NULL);
	else
		evtimer_add(pe->timer, &tv);
	mbuf_free(&m);
}
