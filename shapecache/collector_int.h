/*
 * collector_int: state shared by the collector's two files: collector.c
 * (routing, acknowledgements, the process) and collector_inval.c (shape
 * identities, invalidation, forgetting deleted shapes).
 */
#ifndef ELECTRICD_COLLECTOR_INT_H
#define ELECTRICD_COLLECTOR_INT_H

#include <stddef.h>
#include <stdint.h>

struct chan;
struct frame;

struct col_rel {
	uint32_t	 relid;
	uint32_t	 version;
	char		*schema;
	char		*table;
	uint8_t		*frame;		/* the RELATION payload, forwarded as is */
	uint32_t	 framelen;
	char		**colnames;	/* its columns, in pgoutput order */
	uint32_t	*coltypes;	/* and their type oids */
	uint16_t	 ncols;
	struct col_rel	*next;
};

struct col_seen {
	uint32_t	 relid;
	uint32_t	 version;
};

struct col_sub {
	char		*handle;
	char		*schema;
	char		*table;
	struct chan	*chan;		/* NULL while the consumer is down */
	uint64_t	*pending;	/* forwarded seqs not yet flushed (FIFO) */
	size_t		 npending;
	size_t		 cappending;
	uint64_t	*blocked;	/* seqs it holds back but will never flush
					 * (lost by a dead instance, or missed):
					 * released by FORGET or a rewind only */
	size_t		 nblocked;
	size_t		 capblocked;
	struct col_seen	*seen;		/* relation versions it has been sent */
	size_t		 nseen;
	int		 missed;	/* lost a transaction: needs a rewind */
	int		 joining;	/* subscribed mid-transaction */
	int		 in_txn;	/* got this transaction's BEGIN */
	int		 ended;		/* invalidated (§4.5): takes no more
					 * changes until shapecache deletes it */
	uint32_t	 relid;		/* the table's oid when created (0: unknown) */
	char		*columns;	/* the columns it depends on: "name\toid\n"
					 * (oid 0: unknown) */
	int		 all_columns;	/* selects every column */
	struct col_route_sub *rt;	/* collector_route.c */
	uint64_t	 wake_ms;	/* collector_wake.c: last asked (mono) */
	struct meta_shape *lazy;	/* identity loaded, not yet compiled */
	struct col_sub	*next, *prev;	/* col_subs */
	struct col_sub	*cnext, *cprev;	/* col_conn: consumer connected */
};

extern struct col_sub *col_subs;	/* every shape */
extern struct col_sub *col_conn;	/* those with a consumer (chan) */
extern struct chan *col_sc;
extern struct col_sub **col_affected;	/* subscribers of the open txn */
extern size_t col_naffected;

/* collector.c */
struct col_sub *col_sub_find(const char *handle);
struct col_sub *col_sub_add(const char *handle, const char *schema,
    const char *table);

/* collector_subs.c */
/* Unlinks s from col_subs, col_conn, the handle index, col_affected and
 * the joiners (not freed). */
void col_sub_unlink(struct col_sub *);
/* s's consumer connected (before s->chan is set) / left (before it is
 * cleared). */
void col_conn_link(struct col_sub *);
void col_conn_unlink(struct col_sub *);
/* s subscribed inside the open transaction; clear at its end. */
void col_joining_add(struct col_sub *);
void col_joining_clear(void);
int col_sub_matches(const struct col_sub *, const struct col_rel *);
void col_queue_release(uint64_t seq);
void col_advance(void);

/* collector_route.c */
struct meta_shape;
/* Registers a shape under its table (again after its schema/table
 * changed); it takes every change until its identity is known. */
void col_route_add(struct col_sub *);
/* The shape's columns and WHERE from meta.db: compiled and indexed. */
void col_route_identity(struct col_sub *, const struct meta_shape *);
void col_route_remove(struct col_sub *);
/* 1 when the shape's WHERE references its column number col. */
int col_route_uses(const struct col_sub *, size_t col);
/* A RELATION arrived: its column names (rel->colnames). */
void col_route_relation(struct col_rel *);
/* Calls fn(s, arg) once for every shape the MSG_CHANGE f must reach.
 * 0, or -1 when the frame is malformed. */
int col_route_change(const struct col_rel *, const struct frame *,
    void (*fn)(struct col_sub *, void *), void *arg);

/* collector_wake.c: ask the root for the consumer of a subscriber that
 * has none (rate-limited), and keep asking while it blocks. */
struct event_base;
void col_wake_init(struct event_base *, struct chan *root);
void col_wake(struct col_sub *);

/* collector_inval.c */
/* Reads every shape from meta.db; their WHEREs are compiled later, in
 * slices from the event loop, or at once by col_identity_all(). */
void col_load_shapes(struct event_base *);
/* Compiles every identity still pending (before routing anything). */
void col_identity_all(void);
void col_sub_lookup_identity(struct col_sub *);
void col_flush_invalid(void);
void col_invalidate_rel(const struct col_rel *);
void col_check_relation(const struct col_rel *);
void col_on_forget(const struct frame *);

#endif
