/*
 * pgoutput: decoder for the replication CopyData stream and for pgoutput
 * protocol version 1 (see pgoutput.h).  Called by walstream.c for every
 * message from the walsender; unit-tested in tests/unit/test_pgoutput.c.
 *
 * Invariants: a reader never moves past its buffer (every getter checks
 * the remaining length and latches an error); a message must be consumed
 * exactly, trailing bytes are an error; a change, Truncate or Commit
 * outside a transaction and a Begin inside one are errors; the change
 * index counts Insert/Update/Delete from 0 and restarts at every Begin.
 * Column values are text ('n', 'u', 't'); binary values ('b') cannot
 * occur because we never ask for binary mode, so they are errors too.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "msg.h"
#include "pgoutput.h"

/* A big-endian reader over one message. */
struct pgr {
	const uint8_t	*p;
	size_t		 len;
	size_t		 off;
	int		 err;
};

static int
pgr_need(struct pgr *r, size_t n)
{
	if (r->err || r->len - r->off < n) {
		r->err = 1;
		return 0;
	}
	return 1;
}

static uint64_t
pgr_be(struct pgr *r, size_t n)
{
	uint64_t v = 0;
	size_t i;

	if (!pgr_need(r, n))
		return 0;
	for (i = 0; i < n; i++)
		v = (v << 8) | r->p[r->off + i];
	r->off += n;
	return v;
}

static uint8_t pgr_u8(struct pgr *r) { return (uint8_t)pgr_be(r, 1); }
static uint16_t pgr_u16(struct pgr *r) { return (uint16_t)pgr_be(r, 2); }
static uint32_t pgr_u32(struct pgr *r) { return (uint32_t)pgr_be(r, 4); }
static uint64_t pgr_u64(struct pgr *r) { return pgr_be(r, 8); }

/* A NUL-terminated string inside the message; "" and err if unterminated. */
static const char *
pgr_cstr(struct pgr *r)
{
	const uint8_t *nul;
	const char *s;

	if (r->err)
		return "";
	nul = memchr(r->p + r->off, 0, r->len - r->off);
	if (nul == NULL) {
		r->err = 1;
		return "";
	}
	s = (const char *)r->p + r->off;
	r->off = (size_t)(nul - r->p) + 1;
	return s;
}

static const uint8_t *
pgr_bytes(struct pgr *r, size_t n)
{
	const uint8_t *b;

	if (!pgr_need(r, n))
		return NULL;
	b = r->p + r->off;
	r->off += n;
	return b;
}

static void
be_put(uint8_t *out, uint64_t v, size_t n)
{
	while (n-- > 0) {
		out[n] = (uint8_t)v;
		v >>= 8;
	}
}

int
pgoutput_copy_parse(const uint8_t *buf, size_t len, struct pgoutput_copy *c)
{
	struct pgr r = { buf, len, 0, 0 };

	memset(c, 0, sizeof(*c));
	c->kind = (char)pgr_u8(&r);
	switch (c->kind) {
	case 'w':
		c->start_lsn = pgr_u64(&r);
		c->wal_end = pgr_u64(&r);
		c->send_time = pgr_u64(&r);
		if (r.err)
			return -1;
		c->data = buf + r.off;
		c->len = len - r.off;
		return 0;
	case 'k':
		c->wal_end = pgr_u64(&r);
		c->send_time = pgr_u64(&r);
		c->reply = pgr_u8(&r) != 0;
		return r.err || r.off != len ? -1 : 0;
	default:
		return -1;
	}
}

void
pgoutput_status_encode(uint8_t out[PGOUTPUT_STATUS_LEN], uint64_t lsn,
    uint64_t pg_now_us, int reply)
{
	out[0] = 'r';
	be_put(out + 1, lsn, 8);	/* written */
	be_put(out + 9, lsn, 8);	/* flushed */
	be_put(out + 17, lsn, 8);	/* applied */
	be_put(out + 25, pg_now_us, 8);
	out[33] = reply ? 1 : 0;
}

uint64_t
pgoutput_pg_now(void)
{
	return now_us() - PG_EPOCH_OFFSET_US;
}

void
pgoutput_state_reset(struct pgoutput_state *st)
{
	memset(st, 0, sizeof(*st));
}

char *
pgoutput_lsn_fmt(uint64_t lsn, char *buf)
{
	snprintf(buf, PGOUTPUT_LSN_STRLEN, "%X/%X", (unsigned)(lsn >> 32),
	    (unsigned)lsn);
	return buf;
}

int
pgoutput_lsn_parse(const char *s, uint64_t *out)
{
	unsigned hi, lo;
	int n = 0;

	if (s == NULL || sscanf(s, "%8X/%8X%n", &hi, &lo, &n) != 2 ||
	    s[n] != '\0')
		return -1;
	*out = ((uint64_t)hi << 32) | lo;
	return 0;
}

/* ---- pgoutput messages ---- */

/* TupleData -> u16 ncols, ncols x { u8 kind, if 't': str }. */
static int
pgo_tuple(struct pgr *r, struct pgoutput_state *st, struct mbuf *out)
{
	uint16_t i, ncols = pgr_u16(r);
	const uint8_t *v;
	uint32_t n;
	uint8_t kind;

	mbuf_u16(out, ncols);
	for (i = 0; i < ncols && !r->err; i++) {
		kind = pgr_u8(r);
		if (kind == 'n' || kind == 'u') {
			mbuf_u8(out, kind);
			continue;
		}
		if (kind != 't') {
			st->err = kind == 'b' ? "binary column value" :
			    "unknown column value kind";
			return -1;
		}
		n = pgr_u32(r);
		if ((v = pgr_bytes(r, n)) == NULL)
			break;
		if (memchr(v, 0, n) != NULL) {
			st->err = "NUL byte in a text value";
			return -1;
		}
		mbuf_u8(out, 't');
		mbuf_bytes(out, v, n);
	}
	return r->err ? -1 : 0;
}

/* Appends has_X and the tuple when the next byte is one of tags. */
static int
pgo_opt_tuple(struct pgr *r, struct pgoutput_state *st, struct mbuf *out,
    const char *tags)
{
	if (!r->err && r->off < r->len && r->p[r->off] != 0 &&
	    strchr(tags, r->p[r->off]) != NULL) {
		r->off++;
		mbuf_u8(out, 1);
		return pgo_tuple(r, st, out);
	}
	mbuf_u8(out, 0);
	return 0;
}

static void
pgo_change_head(struct pgoutput_state *st, struct mbuf *out, uint32_t relid,
    uint8_t op)
{
	mbuf_u32(out, relid);
	mbuf_u8(out, op);
	mbuf_u32(out, st->index++);
}

static int
pgo_begin(struct pgr *r, struct pgoutput_state *st, struct mbuf *out)
{
	uint64_t final_lsn = pgr_u64(r);
	uint64_t commit_time = pgr_u64(r);
	uint32_t xid = pgr_u32(r);

	mbuf_u64(out, 0);
	mbuf_u64(out, final_lsn);
	mbuf_u64(out, commit_time);
	mbuf_u32(out, xid);
	st->in_tx = 1;
	st->index = 0;
	st->final_lsn = final_lsn;
	return 0;
}

static int
pgo_commit(struct pgr *r, struct pgoutput_state *st, struct mbuf *out)
{
	uint64_t commit_lsn, end_lsn, commit_time;

	(void)pgr_u8(r);			/* flags, unused */
	commit_lsn = pgr_u64(r);
	end_lsn = pgr_u64(r);
	commit_time = pgr_u64(r);
	mbuf_u64(out, 0);
	mbuf_u64(out, commit_lsn);
	mbuf_u64(out, end_lsn);
	mbuf_u64(out, commit_time);
	st->in_tx = 0;
	return 0;
}

static int
pgo_relation(struct pgr *r, struct pgoutput_state *st UNUSED, struct mbuf *out)
{
	uint16_t i, ncols;

	mbuf_u32(out, pgr_u32(r));		/* relid */
	mbuf_str(out, pgr_cstr(r));		/* schema */
	mbuf_str(out, pgr_cstr(r));		/* table */
	mbuf_u8(out, pgr_u8(r));		/* replica identity */
	ncols = pgr_u16(r);
	mbuf_u16(out, ncols);
	for (i = 0; i < ncols && !r->err; i++) {
		mbuf_u8(out, pgr_u8(r));	/* flags */
		mbuf_str(out, pgr_cstr(r));	/* name */
		mbuf_u32(out, pgr_u32(r));	/* type oid */
		mbuf_i32(out, (int32_t)pgr_u32(r));	/* typmod */
	}
	return 0;
}

static int
pgo_insert(struct pgr *r, struct pgoutput_state *st, struct mbuf *out)
{
	uint32_t relid = pgr_u32(r);

	if (pgr_u8(r) != 'N') {
		st->err = "no new tuple";
		return -1;
	}
	pgo_change_head(st, out, relid, 'I');
	mbuf_u8(out, 0);
	mbuf_u8(out, 1);
	return pgo_tuple(r, st, out);
}

static int
pgo_update(struct pgr *r, struct pgoutput_state *st, struct mbuf *out)
{
	uint32_t relid = pgr_u32(r);

	pgo_change_head(st, out, relid, 'U');
	if (pgo_opt_tuple(r, st, out, "OK") == -1)
		return -1;
	if (pgr_u8(r) != 'N') {
		st->err = "no new tuple";
		return -1;
	}
	mbuf_u8(out, 1);
	return pgo_tuple(r, st, out);
}

static int
pgo_delete(struct pgr *r, struct pgoutput_state *st, struct mbuf *out)
{
	uint32_t relid = pgr_u32(r);
	uint8_t tag = pgr_u8(r);

	if (tag != 'O' && tag != 'K') {
		st->err = "no old tuple";
		return -1;
	}
	pgo_change_head(st, out, relid, 'D');
	mbuf_u8(out, 1);
	if (pgo_tuple(r, st, out) == -1)
		return -1;
	mbuf_u8(out, 0);
	return 0;
}

/* Wire: u32 nrels, u8 options, nrels x u32; frame: nrels, relids, options. */
static int
pgo_truncate(struct pgr *r, struct pgoutput_state *st, struct mbuf *out)
{
	uint32_t i, nrels = pgr_u32(r);
	uint8_t options = pgr_u8(r);

	if (!r->err && nrels > (r->len - r->off) / 4) {
		st->err = "relation count past the end";
		return -1;
	}
	mbuf_u32(out, nrels);
	for (i = 0; i < nrels; i++)
		mbuf_u32(out, pgr_u32(r));
	mbuf_u8(out, options);
	return 0;
}

/* Ignored messages are still parsed, so that garbage is noticed. */
static int
pgo_type(struct pgr *r, struct pgoutput_state *st UNUSED, struct mbuf *out UNUSED)
{
	(void)pgr_u32(r);
	(void)pgr_cstr(r);
	(void)pgr_cstr(r);
	return 0;
}

static int
pgo_origin(struct pgr *r, struct pgoutput_state *st UNUSED, struct mbuf *out UNUSED)
{
	(void)pgr_u64(r);
	(void)pgr_cstr(r);
	return 0;
}

static int
pgo_message(struct pgr *r, struct pgoutput_state *st UNUSED, struct mbuf *out UNUSED)
{
	(void)pgr_u8(r);
	(void)pgr_u64(r);
	(void)pgr_cstr(r);
	(void)pgr_bytes(r, pgr_u32(r));
	return 0;
}

enum pgo_when { PGO_ANY, PGO_OUTSIDE_TX, PGO_INSIDE_TX };

static const struct pgo_kind {
	uint8_t		 tag;
	uint16_t	 type;		/* frame produced, 0 = ignored */
	enum pgo_when	 when;
	const char	*name;
	int		(*fn)(struct pgr *, struct pgoutput_state *,
			    struct mbuf *);
} pgo_kinds[] = {
	{ 'B', MSG_BEGIN,	PGO_OUTSIDE_TX,	"Begin",	pgo_begin },
	{ 'C', MSG_COMMIT,	PGO_INSIDE_TX,	"Commit",	pgo_commit },
	{ 'R', MSG_RELATION,	PGO_ANY,	"Relation",	pgo_relation },
	{ 'I', MSG_CHANGE,	PGO_INSIDE_TX,	"Insert",	pgo_insert },
	{ 'U', MSG_CHANGE,	PGO_INSIDE_TX,	"Update",	pgo_update },
	{ 'D', MSG_CHANGE,	PGO_INSIDE_TX,	"Delete",	pgo_delete },
	{ 'T', MSG_TRUNCATE,	PGO_INSIDE_TX,	"Truncate",	pgo_truncate },
	{ 'Y', 0,		PGO_ANY,	"Type",		pgo_type },
	{ 'O', 0,		PGO_ANY,	"Origin",	pgo_origin },
	{ 'M', 0,		PGO_ANY,	"Message",	pgo_message },
};

static const struct pgo_kind *
pgo_kind_find(uint8_t tag)
{
	size_t i;

	for (i = 0; i < sizeof(pgo_kinds) / sizeof(pgo_kinds[0]); i++)
		if (pgo_kinds[i].tag == tag)
			return &pgo_kinds[i];
	return NULL;
}

static int
pgo_fail(struct pgoutput_state *st, const char *why, uint8_t tag)
{
	if (tag >= 0x20 && tag < 0x7f)
		snprintf(st->errbuf, sizeof(st->errbuf), "'%c' message: %s",
		    tag, why);
	else
		snprintf(st->errbuf, sizeof(st->errbuf), "0x%02x message: %s",
		    tag, why);
	st->err = st->errbuf;
	return -1;
}

int
pgoutput_decode(const uint8_t *msg, size_t len, struct pgoutput_state *st,
    struct mbuf *out, uint16_t *out_type)
{
	struct pgr r = { msg, len, 1, 0 };
	const struct pgo_kind *k;
	struct pgoutput_state next;

	mbuf_reset(out);
	st->err = NULL;
	if (len == 0 || (k = pgo_kind_find(msg[0])) == NULL)
		return pgo_fail(st, "unknown message type", len ? msg[0] : 0);
	if (k->when == PGO_OUTSIDE_TX && st->in_tx)
		return pgo_fail(st, "inside a transaction", k->tag);
	if (k->when == PGO_INSIDE_TX && !st->in_tx)
		return pgo_fail(st, "outside a transaction", k->tag);
	next = *st;			/* state changes only on success */
	if (k->fn(&r, &next, out) == -1)
		return pgo_fail(st, next.err ? next.err : "truncated", k->tag);
	if (r.err || r.off != len)
		return pgo_fail(st, r.err ? "truncated" : "trailing bytes",
		    k->tag);
	*st = next;
	*out_type = k->type;
	return k->type != 0;
}
