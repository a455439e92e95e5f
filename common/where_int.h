/*
 * where_int: the internals of the WHERE compiler (where.h) shared by
 * where.c, where_parse*.c, where_type.c, where_sql.c, where_eval*.c and
 * where_index.c.  Not a contract for other modules.
 *
 * The compiled form is a typed AST: every node has a resolved type, every
 * implicit cast is an explicit WN_CAST node, except for the left operand
 * of IN / BETWEEN: Postgres resolves a comparison per item / bound on
 * copies of it, we keep it once (uncast: no exponential blow-up with
 * nesting) and cast its value per comparison.  Nodes may be shared (the
 * AST is a DAG); all live in the where's node list, freed together.
 */
#ifndef ELECTRICD_WHERE_INT_H
#define ELECTRICD_WHERE_INT_H

#include <stddef.h>
#include <stdint.h>

#include "where.h"
#include "where_val.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

/* Types: base is an enum wv_type (the element type for arrays), or one
 * of these two.  WV_JSON / WV_TIMETZ columns have no operators (IS NULL
 * and casts only), like WT_OTHER. */
#define WT_UNKNOWN	(WV_NTYPES + 1)	/* string literal / param not typed yet */
#define WT_OTHER	(WV_NTYPES + 2)	/* a column type we do not know */

struct wtype {
	uint8_t		 base;
	uint8_t		 array;		/* 1: an array of base */
	const char	*name;		/* WV_ENUM / WT_OTHER: the type name */
};

enum wn_kind {
	WN_CONST,	/* a typed constant (literal or param) */
	WN_COL,		/* column reference */
	WN_OP,		/* operator: op = index in where_ops[] */
	WN_FUNC,	/* function: op = enum wf */
	WN_CAST,	/* cast of args[0] to type */
	WN_AND, WN_OR, WN_NOT,
	WN_NULLTEST,	/* op: 0 IS NULL, 1 IS NOT NULL */
	WN_BOOLTEST,	/* op: enum wbt */
	WN_DISTINCT,	/* op: index of the = operator; neg: NOT DISTINCT */
	WN_ANY,		/* args[0] op ANY (args[1]); op = where_ops index */
	WN_ALL,
	WN_ARRAY,	/* ARRAY[args...] */
	WN_IN,		/* args[0] IN (args[1..]); ops[i - 1]: the = (NOT
			 * IN: <>) row for item i (maybe cross-type), ltypes[i
			 * - 1]: what args[0]'s value is cast to for it (the
			 * items are cast already); neg: NOT IN */
	WN_BETWEEN,	/* args[0] BETWEEN args[1] AND args[2]; op / op2: the
			 * rows comparing args[0] (its value cast to their left
			 * type) with args[1] / args[2]; neg: NOT; sym:
			 * SYMMETRIC (the same rows serve swapped bounds) */
	WN_SUBSCRIPT,	/* args[0][args[1]] or slice args[0][args[1]:args[2]]
			 * (op = 1 for a slice; a missing bound is NULL) */
};

enum wbt { WBT_TRUE, WBT_NOT_TRUE, WBT_FALSE, WBT_NOT_FALSE, WBT_UNKNOWN,
	WBT_NOT_UNKNOWN };

/* Functions (WN_FUNC). */
enum wf {
	WF_LOWER, WF_UPPER, WF_LIKE, WF_ILIKE, WF_CONCAT, WF_COALESCE,
	WF_GREATEST, WF_LEAST, WF_ARRAY_CAT, WF_ARRAY_PREPEND, WF_ARRAY_APPEND,
	WF_ARRAY_NDIMS, WF_TIMEZONE, WF_JUSTIFY_DAYS, WF_JUSTIFY_HOURS,
	WF_JUSTIFY_INTERVAL
};

/* Operator implementations (where_ops[].impl). */
enum wimpl {
	WI_EQ, WI_NE, WI_LT, WI_GT, WI_LE, WI_GE,
	WI_ADD, WI_SUB, WI_MUL, WI_DIV, WI_MOD, WI_POW,
	WI_BAND, WI_BOR, WI_BXOR, WI_SHL, WI_SHR,
	WI_NEG, WI_POS, WI_ABS, WI_SQRT, WI_BNOT,
	WI_CAT,		/* text || text */
	WI_CAT_ANY_R,	/* text || anynonarray (right via its output) */
	WI_CAT_ANY_L,	/* anynonarray || text */
	WI_LIKE, WI_NOT_LIKE, WI_ILIKE, WI_NOT_ILIKE,
	WI_CONTAINS, WI_CONTAINED, WI_OVERLAP,
	WI_ARR_CAT, WI_ARR_APPEND, WI_ARR_PREPEND,
	WI_UNSUPP,	/* Postgres has it (resolution), we do not */
};

/* Pseudo types in the operator table. */
#define WT_P_ANYARRAY		200	/* any array (same as the other side) */
#define WT_P_ANYELEM		201	/* the element of the other side */
#define WT_P_ANYNONARRAY	202	/* any non-array, non-unknown */
#define WT_P_ANYENUM		203	/* an enum, the same on both sides */

struct wop {
	const char	*name;
	uint8_t		 l, r;		/* l == 0xff: unary (prefix) */
	uint8_t		 res;		/* 0xfe: same as the array operand */
	uint8_t		 impl;		/* enum wimpl */
};
#define WOP_UNARY	0xff
#define WOP_RES_ARRAY	0xfe
extern const struct wop where_ops[];
extern const size_t where_nops;

struct wnode {
	uint8_t		 kind;		/* enum wn_kind */
	uint8_t		 neg;
	uint8_t		 isnull;	/* WN_CONST: NULL */
	uint8_t		 sym;
	int		 op2;
	int		 op;
	int		 col;		/* WN_COL: column index */
	int		 param;		/* WN_CONST: $N, or 0 for a literal */
	int		 loc;		/* byte offset in the parsed SQL */
	struct wtype	 type;
	size_t		 nargs;
	struct wnode	**args;
	int		*ops;		/* WN_IN */
	struct wtype	*ltypes;	/* WN_IN */
	char		*text;		/* WN_CONST: input text (NUL-free) */
	size_t		 textlen;
	struct wv_val	 val;		/* WN_CONST, not isnull: the value */
	struct wnode	*next;		/* every node of a where, for freeing */
};

struct where {
	struct wnode		*root;
	struct wnode		*nodes;		/* list for freeing */
	const struct where_col	*cols;		/* borrowed for compile only */
	size_t			 ncols;
	uint8_t			*used;
	char			*sql;
	struct where_term	*term;		/* NULL: none */
	struct wv_arena		 arena;		/* constants' memory */
	struct wv_arena		 scratch;	/* per where_eval */
	struct wcache		*cache;		/* ncols, per where_eval */
	int			*usedcols;	/* indexes of used columns */
	size_t			 nused;
};

/* Per-evaluation state of one column (where_eval). */
struct wcache {
	uint8_t		 state;		/* 0 not parsed, 1 value, 2 NULL, 3 bad */
	struct wv_val	 v;
};

/* ---- where_type.c ---- */
const char *wt_sqlname(const struct wtype *t);	/* "int4", "mood" */
int wt_from_name(const char *name, struct wtype *t);	/* cast targets */
void wt_of_col(const struct where_col *c, struct wtype *t);
int wt_equal(const struct wtype *a, const struct wtype *b);
/* Cost of an implicit cast from a to b, or -1 when there is none. */
int wt_cast_cost(const struct wtype *a, const struct wtype *b);
/* 1 when an explicit cast from a to b is allowed. */
int wt_can_cast(const struct wtype *a, const struct wtype *b);
/* Human name for messages ("integer", "text", ...): Postgres' names. */
const char *wt_errname(const struct wtype *t);
int wt_is_text(const struct wtype *t);	/* text/varchar/bpchar/name */

/* Parses a constant's text as its type into n->val (arena: the
 * where's).  0, or -1 with Postgres' input error in err. */
int wt_const_value(struct wnode *n, struct wv_arena *, struct wv_err *err);
/* Operator resolution: the where_ops row for name on (l, r) (l NULL:
 * unary); *tl / *tr / *res: the types to cast the operands to and the
 * result (impl >= 0: only rows of that implementation).  -1 when no row fits (or several fit equally well). */
int wt_resolve_op(const char *name, int impl, const struct wtype *l,
    const struct wtype *r, struct wtype *tl, struct wtype *tr,
    struct wtype *res);
/* Common type of n types (COALESCE, ARRAY[], IN, BETWEEN), or -1. */
int wt_common(const struct wtype *const *ts, size_t n, struct wtype *out);

/* ---- where_parse.c / where_expr.c ---- */
struct json_t;
struct wp {				/* one compilation */
	struct where		*w;
	const char		*src;	/* the user's text */
	size_t			 srclen;
	size_t			 prefix;	/* bytes before it in sql */
	const char		*sql;	/* prefix + text */
	char *const		*params;
	size_t			 nparams;
	struct wtype		*ptypes;	/* nparams; base 0: untyped */
	int			 depth;
	struct where_err	*err;
};
int where_parse(struct where *w, const char *text, size_t len,
    char *const *params, size_t nparams, struct where_err *err);
int wp_fail(struct wp *, int loc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
struct wnode *wp_new(struct wp *, int kind, int loc);
struct wnode *wp_node(struct wp *, struct json_t *, int loc);
/* Casts n implicitly to t (unknown constants just take the type). */
struct wnode *wp_coerce(struct wp *, struct wnode *n, const struct wtype *t);
struct wnode *wp_cast(struct wp *, struct wnode *n, const struct wtype *t);
struct wnode *wp_to_bool(struct wp *, struct wnode *n, const char *what);
int wp_type_name(struct wp *, struct json_t *tn, int loc, struct wtype *t);
/* where_expr.c: node kinds other than leaves. */
struct wnode *wp_aexpr(struct wp *, struct json_t *, int loc);
/* An enum compared with a literal / param: -1 (error set). */
int wp_enum_check(struct wp *, struct wnode *, struct wnode *);
/* where_in.c: x [NOT] IN (list) (op "=" or "<>"), x [NOT] BETWEEN
 * [SYMMETRIC] (kind: A_Expr kind); lexpr: x's JSON node. */
struct wnode *wp_in(struct wp *, struct json_t *, const char *op,
    struct json_t *lexpr, int loc);
struct wnode *wp_between(struct wp *, struct json_t *, const char *kind,
    struct json_t *lexpr, int loc);
struct wnode *wp_func(struct wp *, struct json_t *, int loc);
struct wnode *wp_binop(struct wp *, const char *op, int impl,
    struct wnode *l, struct wnode *r, int loc);
struct wnode *wp_array(struct wp *, struct json_t *, int);
struct wnode *wp_indirection(struct wp *, struct json_t *, int);
struct wnode *wp_minmax(struct wp *, struct json_t *, int);
struct wnode *wp_coalesce(struct wp *, struct json_t *, int);
void wp_set_args(struct wnode *, size_t);

/* ---- where_sql.c ---- */
char *where_render(const struct where *w);

/* ---- where_eval.c / where_evalfn.c ---- */
#define EV_NULL		0
#define EV_VAL		1
#define EV_ERR		(-1)
struct ev {
	struct where		*w;
	const struct change_val	*row;
	struct wv_arena		*a;
};
/* EV_VAL with *out, EV_NULL or EV_ERR. */
int where_ev(struct ev *, const struct wnode *, struct wv_val *out);
int where_ev_bool(struct wv_val *out, int b);
/* The text output of v as a WV_TEXT value. */
int where_ev_text(struct ev *, const struct wv_val *v, struct wv_val *out);
int where_eval_func(struct ev *, const struct wnode *, struct wv_val *);

/* ---- where_index.c ---- */
void where_find_term(struct where *w);

#endif
