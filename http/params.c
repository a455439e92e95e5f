/*
 * params: pure decoding and validation of Shape API requests (see
 * params.h).  Called by http.c for every request, before anything else
 * happens; nothing here allocates state beyond the returned strings.
 * Invariants: bad input never crashes or aborts, it yields -1 and a
 * message; every message that echoes user input is only produced after
 * that input was checked to be valid UTF-8, so error bodies are valid JSON.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ident.h"
#include "params.h"

/* ---- percent decoding ---- */

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
http_pct_decode(const char *s, size_t n, int plus_space, char **out,
    size_t *outlen)
{
	char *d;
	size_t i, j = 0;
	int hi, lo;

	d = xmalloc(n + 1);
	for (i = 0; i < n; i++) {
		if (s[i] == '%') {
			if (i + 2 >= n) {
				free(d);
				return -1;
			}
			if ((hi = hexval(s[i + 1])) < 0 ||
			    (lo = hexval(s[i + 2])) < 0) {
				free(d);
				return -1;
			}
			d[j++] = (char)(hi << 4 | lo);
			i += 2;
		} else if (s[i] == '+' && plus_space)
			d[j++] = ' ';
		else
			d[j++] = s[i];
	}
	d[j] = '\0';
	*out = d;
	*outlen = j;
	return 0;
}

/* ---- routes ---- */

static char *
dupn(const char *s, size_t n)
{
	char *d = xmalloc(n + 1);

	memcpy(d, s, n);
	d[n] = '\0';
	return d;
}

void
http_target_split(const char *raw, char **path, char **query)
{
	const char *p = raw;
	size_t n;

	if (strncasecmp(p, "http://", 7) == 0 ||
	    strncasecmp(p, "https://", 8) == 0) {
		p = strstr(p, "//") + 2;
		p += strcspn(p, "/?#");
	}
	n = strcspn(p, "?#");
	*path = n > 0 ? dupn(p, n) : xstrdup("/");
	*query = NULL;
	if (p[n] == '?')
		*query = dupn(p + n + 1, strcspn(p + n + 1, "#"));
}

static const struct {
	const char	*segs[2];
	size_t		 nsegs;
	enum http_route	 route;
} route_table[] = {
	{ { NULL, NULL }, 0, HTTP_ROUTE_ROOT },
	{ { "v1", "shape" }, 2, HTTP_ROUTE_SHAPE },
	{ { "v1", "health" }, 2, HTTP_ROUTE_HEALTH },
};
#define ROUTE_MAX_SEGS	2

int
http_route_parse(const char *path, enum http_route *out)
{
	char *seg[ROUTE_MAX_SEGS + 1] = { NULL };
	size_t seglen[ROUTE_MAX_SEGS + 1] = { 0 };
	size_t nseg = 0, len, dlen, i, k;
	const char *p = path, *e;
	int rc = 0;

	*out = HTTP_ROUTE_NOT_FOUND;
	while (*p != '\0') {
		e = strchr(p, '/');
		len = e != NULL ? (size_t)(e - p) : strlen(p);
		if (len > 0) {
			char *d;

			if (http_pct_decode(p, len, 0, &d, &dlen) == -1) {
				rc = -1;
				break;
			}
			if (nseg < ROUTE_MAX_SEGS + 1) {
				seg[nseg] = d;
				seglen[nseg] = dlen;
			} else
				free(d);
			nseg++;
		}
		p += len;
		if (*p == '/')
			p++;
	}
	for (i = 0; rc == 0 && i < sizeof(route_table) / sizeof(route_table[0]); i++) {
		if (route_table[i].nsegs != nseg)
			continue;
		for (k = 0; k < nseg; k++)
			if (seglen[k] != strlen(route_table[i].segs[k]) ||
			    memcmp(seg[k], route_table[i].segs[k], seglen[k]) != 0)
				break;
		if (k == nseg) {
			*out = route_table[i].route;
			break;
		}
	}
	for (i = 0; i < ROUTE_MAX_SEGS + 1; i++)
		free(seg[i]);
	return rc;
}

/* ---- query strings ---- */

static void
query_split_bracket(struct http_qparam *qp)
{
	char *lb;

	if (qp->klen < 3 || qp->key[qp->klen - 1] != ']')
		return;
	if ((lb = memchr(qp->key, '[', qp->klen)) == NULL || lb == qp->key)
		return;
	qp->slen = (size_t)(qp->key + qp->klen - 1 - (lb + 1));
	qp->sub = xmalloc(qp->slen + 1);
	memcpy(qp->sub, lb + 1, qp->slen);
	qp->sub[qp->slen] = '\0';
	qp->klen = (size_t)(lb - qp->key);
	qp->key[qp->klen] = '\0';
}

static int
query_add(struct http_query *q, const char *s, size_t n)
{
	struct http_qparam qp = { 0 };
	const char *eq = memchr(s, '=', n);
	size_t kn = eq != NULL ? (size_t)(eq - s) : n;

	if (q->n >= HTTP_QUERY_MAX_PARAMS) {
		errno = E2BIG;
		return -1;
	}
	errno = EINVAL;
	if (http_pct_decode(s, kn, 1, &qp.key, &qp.klen) == -1)
		return -1;
	if (eq == NULL)
		qp.val = xstrdup("");
	else if (http_pct_decode(eq + 1, n - kn - 1, 1, &qp.val,
	    &qp.vlen) == -1) {
		free(qp.key);
		return -1;
	}
	query_split_bracket(&qp);
	if (q->n == q->cap) {
		q->cap = q->cap ? q->cap * 2 : 16;
		q->v = xrealloc(q->v, q->cap * sizeof(*q->v));
	}
	q->v[q->n++] = qp;
	return 0;
}

int
http_query_parse(const char *qs, struct http_query *q)
{
	const char *p = qs, *e;
	size_t len;

	memset(q, 0, sizeof(*q));
	if (qs == NULL)
		return 0;
	while (*p != '\0') {
		e = strchr(p, '&');
		len = e != NULL ? (size_t)(e - p) : strlen(p);
		if (len > 0 && query_add(q, p, len) == -1) {
			int saved = errno;

			http_query_free(q);
			errno = saved;
			return -1;
		}
		p += len;
		if (*p == '&')
			p++;
	}
	return 0;
}

void
http_query_free(struct http_query *q)
{
	size_t i;

	for (i = 0; i < q->n; i++) {
		free(q->v[i].key);
		free(q->v[i].sub);
		free(q->v[i].val);
	}
	free(q->v);
	memset(q, 0, sizeof(*q));
}

const struct http_qparam *
http_query_get(const struct http_query *q, const char *key)
{
	size_t i, kl = strlen(key);

	for (i = q->n; i-- > 0;)
		if (q->v[i].klen == kl && memcmp(q->v[i].key, key, kl) == 0)
			return &q->v[i];
	return NULL;
}

/* A scalar value: present, not in bracket form, no NUL byte. */
static const char *
query_scalar(const struct http_query *q, const char *key)
{
	const struct http_qparam *qp = http_query_get(q, key);

	if (qp == NULL || qp->sub != NULL || strlen(qp->val) != qp->vlen)
		return NULL;
	return qp->val;
}

/* ---- authentication ---- */

static int
secret_eq(const char *a, size_t alen, const char *b)
{
	size_t blen = strlen(b), i;
	unsigned char diff = alen != blen;

	for (i = 0; i < alen && i < blen; i++)
		diff |= (unsigned char)(a[i] ^ b[i]);
	return diff == 0;
}

int
http_auth_ok(const struct http_query *q, int insecure, const char *secret)
{
	const struct http_qparam *qp;

	if (insecure)
		return 1;
	if (secret == NULL)
		return 0;
	if ((qp = http_query_get(q, "secret")) == NULL &&
	    (qp = http_query_get(q, "api_secret")) == NULL)
		return 0;
	if (qp->sub != NULL)
		return 0;
	return secret_eq(qp->val, qp->vlen, secret);
}

/* ---- validation (§2.2) ---- */

char *
http_invalid_body(const char *field, const char *msg)
{
	struct sbuf b;

	sbuf_init(&b);
	sbuf_adds(&b, "{\"message\":\"Invalid request\",\"errors\":{");
	sbuf_add_json_str(&b, field, strlen(field));
	sbuf_adds(&b, ":[");
	sbuf_add_json_str(&b, msg, strlen(msg));
	sbuf_adds(&b, "]}}");
	return b.p;
}

/* Scalar parameters: a bracket form ("table[x]=") or a NUL byte is a
 * failed cast, as is an enum value outside its list. */
static const struct {
	const char	*key;
	const char	*enum_vals[3];
} scalar_params[] = {
	{ "table", { NULL } }, { "offset", { NULL } }, { "handle", { NULL } },
	{ "live", { NULL } }, { "live_sse", { NULL } },
	{ "replica", { "default", "full", NULL } },
	{ "log", { "full", "changes_only", NULL } },
	{ "where", { NULL } }, { "columns", { NULL } },
};

static int
enum_ok(const char *const *vals, const char *v)
{
	if (vals[0] == NULL || *v == '\0')
		return 1;
	for (; *vals != NULL; vals++)
		if (strcmp(*vals, v) == 0)
			return 1;
	return 0;
}

static const char *
check_casts(const struct http_query *q)
{
	const struct http_qparam *qp;
	size_t i;

	for (i = 0; i < sizeof(scalar_params) / sizeof(scalar_params[0]); i++) {
		qp = http_query_get(q, scalar_params[i].key);
		if (qp == NULL)
			continue;
		if (qp->sub != NULL || strlen(qp->val) != qp->vlen ||
		    !enum_ok(scalar_params[i].enum_vals, qp->val))
			return scalar_params[i].key;
	}
	for (i = 0; i < q->n; i++)
		if (strcmp(q->v[i].key, "params") == 0 && q->v[i].sub == NULL)
			return "params";
	return NULL;
}

static int
fail(char **err_body, const char *field, const char *msg)
{
	*err_body = http_invalid_body(field, msg);
	return -1;
}

/* §2.5: params[1..k], numbered sequentially; values without NUL. */
static int
params_collect(const struct http_query *q, struct shape_params *p,
    char **err_body)
{
	const struct http_qparam *qp;
	size_t i, k, max = 0;
	char *end;

	for (i = 0; i < q->n; i++) {
		qp = &q->v[i];
		if (strcmp(qp->key, "params") != 0)
			continue;
		k = strtoul(qp->sub, &end, 10);
		if (*qp->sub < '0' || *qp->sub > '9' || *end != '\0' ||
		    qp->slen != strlen(qp->sub))
			return fail(err_body, "params",
			    "Parameters can only use numbers as keys");
		if (k > HTTP_QUERY_MAX_PARAMS || k == 0)
			return fail(err_body, "params", "Parameters must be "
			    "numbered sequentially, starting from 1");
		if (strlen(qp->val) != qp->vlen)
			return fail(err_body, "params", "Parameter values must not "
			    "contain NUL characters");
		if (k > max)
			max = k;
	}
	if (max == 0)
		return 0;
	p->params = xcalloc(max, sizeof(char *));
	p->nparams = max;
	for (i = 0; i < q->n; i++)	/* the last occurrence wins */
		if (strcmp(q->v[i].key, "params") == 0) {
			k = strtoul(q->v[i].sub, NULL, 10) - 1;
			free(p->params[k]);
			p->params[k] = xstrdup(q->v[i].val);
		}
	for (k = 0; k < max; k++)
		if (p->params[k] == NULL)
			return fail(err_body, "params", "Parameters must be "
			    "numbered sequentially, starting from 1");
	return 0;
}

/* §2.2 stage 8, the parts that need no catalog: columns syntax, params
 * numbering; where is kept as text for shapecache. */
static int
params_definition(const struct http_query *q, struct shape_params *p,
    char **err_body)
{
	const struct http_qparam *qp;
	char *err;

	if ((qp = http_query_get(q, "columns")) != NULL) {
		if (http_columns_parse(qp->val, qp->vlen, &p->columns,
		    &p->ncolumns, &err) == -1) {
			fail(err_body, "columns", err);
			free(err);
			return -1;
		}
	}
	if (params_collect(q, p, err_body) == -1)
		return -1;
	if ((qp = http_query_get(q, "where")) != NULL && qp->vlen > 0) {
		if (!http_utf8_valid(qp->val, qp->vlen))
			return fail(err_body, "where", "is not valid UTF-8");
		p->where = xstrdup(qp->val);
	}
	qp = http_query_get(q, "replica");
	p->replica_full = qp != NULL && strcmp(qp->val, "full") == 0;
	return 0;
}

static int
query_log_mode(const struct http_query *q)
{
	const struct http_qparam *qp = http_query_get(q, "log");

	return qp != NULL && strcmp(qp->val, "changes_only") == 0;
}

/* "present and not the literal false"; absent => -1. */
static int
query_bool(const struct http_query *q, const char *key)
{
	const struct http_qparam *qp = http_query_get(q, key);

	if (qp == NULL)
		return -1;
	return strcmp(qp->val, "false") != 0;
}

/* Stages 3-6: offset, handle, live, live_sse. */
static int
validate_offset_live(const struct http_query *q, struct shape_params *p,
    char **err_body)
{
	const char *v;

	v = query_scalar(q, "offset");
	if (v == NULL || *v == '\0')
		return fail(err_body, "offset", "can't be blank");
	p->offset_kind = offset_parse(v, &p->offset);
	if (p->offset_kind == OFFSET_INVALID)
		return fail(err_body, "offset", "has invalid format");
	v = query_scalar(q, "handle");
	if (p->offset_kind == OFFSET_REAL) {
		if (v == NULL || *v == '\0')
			return fail(err_body, "handle",
			    "can't be blank when offset != -1");
		p->handle = xstrdup(v);
	}
	p->live = query_bool(q, "live") == 1;
	if ((p->live_sse = query_bool(q, "live_sse")) == -1)
		p->live_sse = query_bool(q, "experimental_live_sse") == 1;
	if (p->live && p->offset_kind == OFFSET_BEFORE_ALL)
		return fail(err_body, "live", "can't be true when offset == -1");
	if (p->live && p->offset_kind == OFFSET_NOW)
		return fail(err_body, "live",
		    "can't be true when offset is 'now'");
	if (p->live_sse && !p->live)
		return fail(err_body, "live_sse",
		    "can't be true unless live is also true");
	return 0;
}

/* The table parameter (§2.3) and the rest of the definition; shared by
 * GET and DELETE.  -1 with *err_body set. */
static int
params_table(const struct http_query *q, const struct http_qparam *qp,
    struct shape_params *p, char **err_body)
{
	char *err;

	if (http_table_parse(qp->val, qp->vlen, &p->schema_name,
	    &p->table_name, &err) == -1) {
		fail(err_body, "table", err);
		free(err);
		return -1;
	}
	p->table = xstrdup(qp->val);
	return params_definition(q, p, err_body);
}

int
http_params_validate(const struct http_query *q, struct shape_params *p,
    char **err_body)
{
	const struct http_qparam *qp;
	const char *field;

	memset(p, 0, sizeof(*p));
	*err_body = NULL;
	if ((field = check_casts(q)) != NULL) {
		fail(err_body, field, "is invalid");
		goto bad;
	}
	if (validate_offset_live(q, p, err_body) == -1)
		goto bad;
	if ((qp = http_query_get(q, "table")) == NULL || qp->vlen == 0) {
		fail(err_body, "table", "can't be blank");
		goto bad;
	}
	if (params_table(q, qp, p, err_body) == -1)
		goto bad;
	p->log_mode = query_log_mode(q);
	if ((qp = http_query_get(q, "cursor")) != NULL && qp->sub == NULL &&
	    strlen(qp->val) == qp->vlen)
		p->cursor = xstrdup(qp->val);
	return 0;
bad:
	http_params_free(p);
	return -1;
}

int
http_delete_validate(const struct http_query *q, struct shape_params *p,
    char **err_body)
{
	const struct http_qparam *qp;
	const char *field, *v;

	memset(p, 0, sizeof(*p));
	*err_body = NULL;
	if ((field = check_casts(q)) != NULL)
		return fail(err_body, field, "is invalid");
	if ((v = query_scalar(q, "handle")) != NULL && *v != '\0')
		p->handle = xstrdup(v);
	if ((qp = http_query_get(q, "table")) != NULL && qp->vlen > 0) {
		if (params_table(q, qp, p, err_body) == -1)
			goto bad;
	} else if (p->handle == NULL) {
		fail(err_body, "handle",
		    "can't be blank when shape definition is missing");
		goto bad;
	}
	p->log_mode = query_log_mode(q);
	return 0;
bad:
	http_params_free(p);
	return -1;
}

void
http_params_free(struct shape_params *p)
{
	size_t i;

	for (i = 0; i < p->nparams; i++)
		free(p->params[i]);
	free(p->params);
	for (i = 0; i < p->ncolumns; i++)
		free(p->columns[i]);
	free(p->columns);
	free(p->where);
	free(p->handle);
	free(p->cursor);
	free(p->table);
	free(p->schema_name);
	free(p->table_name);
	memset(p, 0, sizeof(*p));
}

/* ---- response helpers ---- */

uint64_t
http_cursor_next(int long_poll_ms, uint64_t now_s, const char *prev,
    uint32_t rnd)
{
	uint64_t t, s, next, pv = 0;
	const char *c;

	if (long_poll_ms < 1000)
		return 0;
	t = (uint64_t)long_poll_ms / 1000;
	s = now_s > HTTP_CURSOR_EPOCH ? now_s - HTTP_CURSOR_EPOCH : 0;
	next = (s + t - 1) / t * t;
	for (c = prev; c != NULL && *c >= '0' && *c <= '9'; c++) {
		if (pv > (UINT64_MAX - 4000) / 10) {
			pv = 0;
			break;
		}
		pv = pv * 10 + (uint64_t)(*c - '0');
	}
	if (c != NULL && *c != '\0')
		pv = 0;
	return next > pv ? next : pv + 1 + rnd % 3600;
}

int
http_etag_match(const char *inm, const char *etag)
{
	size_t el = strlen(etag), n;
	const char *p, *e;

	for (p = inm; p != NULL && *p != '\0'; p = *e ? e + 1 : e) {
		if ((e = strchr(p, ',')) == NULL)
			e = p + strlen(p);
		while (p < e && (*p == ' ' || *p == '\t'))
			p++;
		n = (size_t)(e - p);
		while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
			n--;
		if (n >= 2 && p[0] == 'W' && p[1] == '/') {
			p += 2;
			n -= 2;
		}
		if (n >= 2 && p[0] == '"' && p[n - 1] == '"') {
			p++;
			n -= 2;
		}
		if (n == el && memcmp(p, etag, n) == 0)
			return 1;
	}
	return 0;
}

int
http_handle_ok(const char *h)
{
	size_t i;

	for (i = 0; h[i] != '\0'; i++)
		if (i >= 128 || !((h[i] >= 'a' && h[i] <= 'z') ||
		    (h[i] >= 'A' && h[i] <= 'Z') || (h[i] >= '0' && h[i] <= '9') ||
		    h[i] == '_' || h[i] == '-'))
			return 0;
	return i > 0;
}
