/*
 * util: allocation wrappers, sbuf, JSON string escaping, small OS helpers.
 * sbuf_add_json_str is on the write hot path: it copies runs of plain bytes
 * in one memcpy and only escapes what JSON requires.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "util.h"

void *
xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (p == NULL)
		fatal("malloc");
	return p;
}

void *
xcalloc(size_t n, size_t sz)
{
	void *p = calloc(n ? n : 1, sz ? sz : 1);

	if (p == NULL)
		fatal("calloc");
	return p;
}

void *
xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (p == NULL)
		fatal("realloc");
	return p;
}

char *
xstrdup(const char *s)
{
	char *p = strdup(s);

	if (p == NULL)
		fatal("strdup");
	return p;
}

char *
xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *p;

	va_start(ap, fmt);
	if (vasprintf(&p, fmt, ap) < 0)
		fatal("vasprintf");
	va_end(ap);
	return p;
}

void
sbuf_init(struct sbuf *b)
{
	b->p = NULL;
	b->len = b->cap = 0;
}

void
sbuf_free(struct sbuf *b)
{
	free(b->p);
	sbuf_init(b);
}

void
sbuf_reset(struct sbuf *b)
{
	b->len = 0;
	if (b->p != NULL)
		b->p[0] = '\0';
}

void
sbuf_reserve(struct sbuf *b, size_t extra)
{
	size_t need = b->len + extra + 1;

	if (need <= b->cap)
		return;
	if (b->cap == 0)
		b->cap = 64;
	while (b->cap < need)
		b->cap *= 2;
	b->p = xrealloc(b->p, b->cap);
}

void
sbuf_add(struct sbuf *b, const void *d, size_t n)
{
	sbuf_reserve(b, n);
	memcpy(b->p + b->len, d, n);
	b->len += n;
	b->p[b->len] = '\0';
}

void
sbuf_adds(struct sbuf *b, const char *s)
{
	sbuf_add(b, s, strlen(s));
}

void
sbuf_addc(struct sbuf *b, char c)
{
	sbuf_reserve(b, 1);
	b->p[b->len++] = c;
	b->p[b->len] = '\0';
}

void
sbuf_addf(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	size_t room;
	int n;

	sbuf_reserve(b, 64);
	room = b->cap - b->len;
	va_start(ap, fmt);
	n = vsnprintf(b->p + b->len, room, fmt, ap);
	va_end(ap);
	if (n < 0)
		fatalx("sbuf_addf: bad format");
	if ((size_t)n >= room) {
		sbuf_reserve(b, (size_t)n);
		va_start(ap, fmt);
		vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
		va_end(ap);
	}
	b->len += (size_t)n;
}

void
sbuf_addu64(struct sbuf *b, uint64_t v)
{
	char tmp[24];
	int i = sizeof(tmp);

	do {
		tmp[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	sbuf_add(b, tmp + i, sizeof(tmp) - (size_t)i);
}

void
sbuf_add_sql_ident(struct sbuf *b, const char *s)
{
	sbuf_addc(b, '"');
	for (; *s != '\0'; s++) {
		if (*s == '"')
			sbuf_addc(b, '"');
		sbuf_addc(b, *s);
	}
	sbuf_addc(b, '"');
}

/* The JSON escape of each byte below 0x80 that needs one ("" = none). */
static const char *const json_esc[128] = {
	"\\u0000", "\\u0001", "\\u0002", "\\u0003", "\\u0004", "\\u0005",
	"\\u0006", "\\u0007", "\\b", "\\t", "\\n", "\\u000b", "\\f", "\\r",
	"\\u000e", "\\u000f", "\\u0010", "\\u0011", "\\u0012", "\\u0013",
	"\\u0014", "\\u0015", "\\u0016", "\\u0017", "\\u0018", "\\u0019",
	"\\u001a", "\\u001b", "\\u001c", "\\u001d", "\\u001e", "\\u001f",
	['"'] = "\\\"", ['\\'] = "\\\\",
};

void
sbuf_add_json_inner(struct sbuf *b, const char *s, size_t n)
{
	const char *e;
	size_t i, run = 0;
	unsigned char c;

	sbuf_reserve(b, n);
	for (i = 0; i < n; i++) {
		c = (unsigned char)s[i];
		if (c >= 0x80 || (e = json_esc[c]) == NULL)
			continue;
		sbuf_add(b, s + run, i - run);
		sbuf_adds(b, e);
		run = i + 1;
	}
	sbuf_add(b, s + run, n - run);
}

void
sbuf_add_json_str(struct sbuf *b, const char *s, size_t n)
{
	sbuf_reserve(b, n + 2);
	b->p[b->len++] = '"';
	sbuf_add_json_inner(b, s, n);
	sbuf_addc(b, '"');
}

uint64_t
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

int
backoff_step(int *cur, int min, int max)
{
	int d = *cur < min ? min : *cur;

	*cur = d > max / 2 ? max : d * 2;
	return d;
}

uint64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

int
fd_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl == -1)
		return -1;
	return fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

int
fd_cloexec(int fd)
{
	int fl = fcntl(fd, F_GETFD);

	if (fl == -1)
		return -1;
	return fcntl(fd, F_SETFD, fl | FD_CLOEXEC);
}

int
mkdir_p(const char *path, int mode)
{
	char tmp[4096], *p;

	if (strlen(path) >= sizeof(tmp)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(tmp, path);
	for (p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, (mode_t)mode) == -1 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	if (mkdir(tmp, (mode_t)mode) == -1 && errno != EEXIST)
		return -1;
	return 0;
}

static int
rm_rf_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb; (void)flag; (void)ftw;
	return remove(path);
}

int
rm_rf(const char *path)
{
	if (nftw(path, rm_rf_one, 16, FTW_DEPTH | FTW_PHYS) == -1 && errno != ENOENT)
		return -1;
	return 0;
}

uint64_t
hash64(const void *d, size_t n)
{
	const unsigned char *p = d;
	uint64_t h = 14695981039346656037ULL;	/* FNV-1a 64 offset basis */
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= p[i];
		h *= 1099511628211ULL;
	}
	return h;
}
