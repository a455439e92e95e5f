/*
 * where_val_int: internal contract between the where_val*.c files (one per
 * concern: where_val.c dispatch/arena/names, where_val_num.c ints and
 * floats, where_val_numeric.c decimals, where_val_time.c date/time,
 * where_val_text.c text/uuid/bytea/LIKE, where_val_array.c arrays,
 * where_val_cast.c casts, where_val_numpow.c numeric ^, where_val_json.c
 * json/jsonb).  Not for users of where_val.h.
 */
#ifndef ELECTRICD_WHERE_VAL_INT_H
#define ELECTRICD_WHERE_VAL_INT_H

#include "where_val.h"

int wvi_err(struct wv_err *, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
int wvi_bad_input(struct wv_err *, const char *tname, const char *s,
    size_t len);
int wvi_range(struct wv_err *, const char *tname, const char *s, size_t len);
void wvi_trim(const char **s, size_t *len);
int wvi_isspace(int c);

/* where_val_num.c */
int wvi_parse_int(enum wv_type, const char *, size_t, struct wv_val *,
    struct wv_err *);
int wvi_parse_float(enum wv_type, const char *, size_t, struct wv_val *,
    struct wv_err *);
int wvi_parse_bool(const char *, size_t, struct wv_val *, struct wv_err *);
void wvi_out_float(double, int is4, struct sbuf *);
int wvi_cmp_float(double, double);
int wvi_int_check(enum wv_type, int64_t, struct wv_err *);
int wvi_float_check(enum wv_type, double, int inf_ok, int zero_ok,
    struct wv_err *);
int wvi_num_binop(enum wv_op, const struct wv_val *, const struct wv_val *,
    struct wv_arena *, struct wv_val *, struct wv_err *);
int wvi_num_unop(enum wv_op, const struct wv_val *, struct wv_arena *,
    struct wv_val *, struct wv_err *);

/* where_val_numeric.c */
int wvi_parse_numeric(const char *, size_t, struct wv_arena *,
    struct wv_num *, struct wv_err *);
int wvi_numeric_cmp(const struct wv_num *, const struct wv_num *);
void wvi_numeric_out(const struct wv_num *, struct sbuf *);
int wvi_numeric_binop(enum wv_op, const struct wv_num *,
    const struct wv_num *, struct wv_arena *, struct wv_num *,
    struct wv_err *);
int wvi_numeric_unop(enum wv_op, const struct wv_num *, struct wv_arena *,
    struct wv_num *, struct wv_err *);
void wvi_numeric_from_int(int64_t, struct wv_arena *, struct wv_num *);
int wvi_numeric_from_float(double, int is4, struct wv_arena *,
    struct wv_num *, struct wv_err *);
int wvi_numeric_to_int(const struct wv_num *, enum wv_type, int64_t *,
    struct wv_err *);
double wvi_numeric_to_float(const struct wv_num *);
int wvi_numeric_scaled(enum wv_op, const struct wv_num *,
    const struct wv_num *, int rscale, struct wv_arena *, struct wv_num *,
    struct wv_err *);
int wvi_numeric_weight(const struct wv_num *);

/* where_val_json.c */
int wvi_parse_json(enum wv_type, const char *, size_t, struct wv_arena *,
    struct wv_val *, struct wv_err *);
int wvi_cmp_jsonb(const char *, size_t, const char *, size_t);

/* where_val_numpow.c */
int wvi_numeric_pow(const struct wv_num *, const struct wv_num *,
    struct wv_arena *, struct wv_num *, struct wv_err *);

/* where_val_time.c */
int wvi_parse_time_type(enum wv_type, const char *, size_t, struct wv_val *,
    struct wv_err *);
int wvi_parse_interval(const char *, size_t, struct wv_interval *,
    struct wv_err *);
void wvi_out_time_type(const struct wv_val *, struct sbuf *);
int wvi_cmp_interval(const struct wv_interval *, const struct wv_interval *);
int wvi_cmp_timetz(const struct wv_val *, const struct wv_val *);
int wvi_time_binop(enum wv_op, const struct wv_val *, const struct wv_val *,
    struct wv_val *, struct wv_err *);
int wvi_interval_neg(const struct wv_interval *, struct wv_interval *,
    struct wv_err *);
int wvi_date_to_ts(int32_t, int64_t *, struct wv_err *);
int32_t wvi_ts_to_date(int64_t);
int64_t wvi_days_from_civil(int64_t y, int m, int d);
void wvi_civil_from_days(int64_t, int64_t *y, int *m, int *d);
int wvi_mdays(int64_t y, int m);
int wvi_ts_check(int64_t, struct wv_err *);
int wvi_date_check(int64_t, struct wv_err *);

/* where_val_interval.c */
void wvi_out_interval(const struct wv_interval *, struct sbuf *);

/* where_val_text.c */
int wvi_parse_uuid(const char *, size_t, uint8_t *, struct wv_err *);
void wvi_out_uuid(const uint8_t *, struct sbuf *);
int wvi_parse_bytea(const char *, size_t, struct wv_arena *, struct wv_val *,
    struct wv_err *);
void wvi_out_bytea(const char *, size_t, struct sbuf *);
int wvi_cmp_text(const struct wv_val *, const struct wv_val *);
int wvi_text_concat(const struct wv_val *, const struct wv_val *,
    struct wv_arena *, struct wv_val *);

/* where_val_array.c */
int wvi_parse_array(enum wv_type elem, const char *, size_t,
    struct wv_arena *, struct wv_val *, struct wv_err *);
void wvi_out_array(const struct wv_array *, struct sbuf *);
int wvi_cmp_array(const struct wv_array *, const struct wv_array *);
int wvi_array_concat(const struct wv_val *, const struct wv_val *,
    struct wv_arena *, struct wv_val *, struct wv_err *);

#endif
