/*
 * util: allocation wrappers (allocation failure is fatal), a growable byte
 * buffer (sbuf) used to build JSON and frames, time and fd helpers.
 */
#ifndef ELECTRICD_UTIL_H
#define ELECTRICD_UTIL_H

#include <stddef.h>
#include <stdint.h>

#define WUR __attribute__((warn_unused_result))
#define UNUSED __attribute__((unused))

void *xmalloc(size_t);
void *xcalloc(size_t, size_t);
void *xrealloc(void *, size_t);
char *xstrdup(const char *);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A growable byte buffer; always NUL-terminated after its len bytes. */
struct sbuf {
	char	*p;
	size_t	 len;
	size_t	 cap;
};

void sbuf_init(struct sbuf *);
void sbuf_free(struct sbuf *);
void sbuf_reset(struct sbuf *);
void sbuf_reserve(struct sbuf *, size_t extra);
void sbuf_add(struct sbuf *, const void *, size_t);
void sbuf_adds(struct sbuf *, const char *);
void sbuf_addc(struct sbuf *, char);
void sbuf_addf(struct sbuf *, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sbuf_addu64(struct sbuf *, uint64_t);
/* Appends s (n bytes) as a JSON string literal, with quotes. */
void sbuf_add_json_str(struct sbuf *, const char *s, size_t n);
/* The same without the quotes: what goes between them. */
void sbuf_add_json_inner(struct sbuf *, const char *s, size_t n);
/* s as a double-quoted SQL identifier (" doubled). */
void sbuf_add_sql_ident(struct sbuf *, const char *s);

uint64_t now_us(void);		/* wall clock, microseconds since the epoch */
uint64_t mono_ms(void);		/* monotonic clock, milliseconds */
/* The next delay of a retry that starts at min ms and doubles up to max;
 * *cur is the state (0: start again at min). */
int backoff_step(int *cur, int min, int max);
int fd_nonblock(int fd) WUR;
int fd_cloexec(int fd) WUR;
int mkdir_p(const char *path, int mode) WUR;
int rm_rf(const char *path) WUR;
/* FNV-1a 64-bit hash. */
uint64_t hash64(const void *, size_t);

#endif
