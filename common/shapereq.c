/*
 * shapereq: the MSG_SHAPE_REQ / MSG_SHAPE_DELETE codec (see shapereq.h).
 * Wire: str table, str handle, u8 flags, u8 log_mode, u8 replica_full,
 * str where, u16 nparams + strs, u8 has_columns, then (if set) u16
 * ncolumns + strs.
 */
#include <stdlib.h>
#include <string.h>

#include "shapereq.h"

#define SHAPEREQ_MAX_LIST	1000

static void
enc_list(struct mbuf *m, char *const *v, size_t n)
{
	size_t i;

	mbuf_u16(m, (uint16_t)n);
	for (i = 0; i < n; i++)
		mbuf_str(m, v[i]);
}

void
shape_req_encode(const struct shape_req *r, struct mbuf *m)
{
	mbuf_str(m, r->table);
	mbuf_str(m, r->handle);
	mbuf_u8(m, r->flags);
	mbuf_u8(m, r->log_mode);
	mbuf_u8(m, r->replica_full);
	mbuf_str(m, r->where);
	enc_list(m, r->params, r->nparams);
	mbuf_u8(m, r->columns != NULL);
	if (r->columns != NULL)
		enc_list(m, r->columns, r->ncolumns);
}

static char **
dec_list(struct mreader *mr, size_t *n)
{
	char **v;
	size_t i;

	*n = mr_u16(mr);
	if (*n > SHAPEREQ_MAX_LIST)
		mr->err = 1;
	if (mr->err)
		*n = 0;
	v = xcalloc(*n ? *n : 1, sizeof(*v));
	for (i = 0; i < *n; i++)
		v[i] = mr_str(mr);
	return v;
}

int
shape_req_decode(const uint8_t *p, size_t len, struct shape_req *r)
{
	struct mreader mr;

	memset(r, 0, sizeof(*r));
	mr_init(&mr, p, len);
	r->table = mr_str(&mr);
	r->handle = mr_str(&mr);
	r->flags = mr_u8(&mr);
	r->log_mode = mr_u8(&mr) != 0;
	r->replica_full = mr_u8(&mr) != 0;
	r->where = mr_str(&mr);
	r->params = dec_list(&mr, &r->nparams);
	if (mr_u8(&mr))
		r->columns = dec_list(&mr, &r->ncolumns);
	if (mr_done(&mr) == -1) {
		shape_req_free(r);
		return -1;
	}
	return 0;
}

static void
free_list(char **v, size_t n)
{
	size_t i;

	for (i = 0; v != NULL && i < n; i++)
		free(v[i]);
	free(v);
}

void
shape_req_free(struct shape_req *r)
{
	free(r->table);
	free(r->handle);
	free(r->where);
	free_list(r->params, r->nparams);
	free_list(r->columns, r->ncolumns);
	memset(r, 0, sizeof(*r));
}

static void
key_str(struct sbuf *b, const char *s)
{
	sbuf_addf(b, "%zu:", s != NULL ? strlen(s) : 0);
	if (s != NULL)
		sbuf_adds(b, s);
}

char *
shape_req_key(const struct shape_req *r)
{
	struct sbuf b;
	size_t i;

	sbuf_init(&b);
	sbuf_addf(&b, "%u|%u|", r->log_mode, r->replica_full);
	key_str(&b, r->table);
	key_str(&b, r->where);
	sbuf_addf(&b, "|%zu|", r->nparams);
	for (i = 0; i < r->nparams; i++)
		key_str(&b, r->params[i]);
	if (r->columns != NULL) {
		sbuf_addf(&b, "|c%zu|", r->ncolumns);
		for (i = 0; i < r->ncolumns; i++)
			key_str(&b, r->columns[i]);
	}
	sbuf_add(&b, "", 0);
	return b.p;
}
