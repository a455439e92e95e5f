/*
 * electricctl: asks a running electricd about itself over
 * <storage>/run/control.sock: connect, exchange HELLO (checking the frame
 * protocol version), send MSG_CTL_REQ with {"cmd":...}, read MSG_CTL_REPLY
 * (u16 status, str JSON) and print it as a table (ctl_fmt.c) or, with
 * --json, as JSON.  How each command runs is its row's enum ctl_how:
 * one request; stop, which then waits for the socket to disappear; top,
 * which asks once a second on one connection; tail, which reads the
 * shape's files and needs no daemon.  Exit statuses are enum ctl_exit;
 * every failure prints one line on stderr naming its cause.  SIGINT ends
 * tail and top with status 0.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "ctl.h"
#include "frame.h"
#include "log.h"
#include "msg.h"
#include "util.h"
#include "version.h"

#define CTL_TIMEOUT_S	30
#define CTL_STOP_WAIT_S	30
#define CTL_TAIL_POLL_MS 200
#define CTL_TOP_EVERY_MS 1000
#define CTL_JSON_OUT	(JSON_INDENT(2) | JSON_REAL_PRECISION(10))

struct ctl_opts {
	const char		*dir;
	int			 json;
	const struct ctl_cmd	*cmd;
	const char		*arg;
	long long		 count;		/* -n N; -1 if not given */
	struct ctl_filter	 filter;	/* shapes: --table --state --sort */
};

static volatile sig_atomic_t ctl_interrupted;

static void __attribute__((noreturn))
ctl_die(enum ctl_exit code, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
ctl_die(enum ctl_exit code, const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);		/* what was printed goes before the error */
	fputs("electricctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	if (code == CTL_EXIT_USAGE)
		fputs("(electricctl help lists the commands)\n", stderr);
	exit(code);
}

static const struct ctl_cmd *
ctl_parse_cmd(const char *word)
{
	static const char *const what[] = { "unknown command",
	    "ambiguous command", "too short an abbreviation" };
	const struct ctl_cmd *cmd;
	enum ctl_miss why;

	if ((cmd = ctl_cmd_find(word, &why)) != NULL)
		return cmd;
	ctl_die(CTL_EXIT_USAGE, "%s \"%s\"", what[why], word);
}

static long long
ctl_parse_count(const char *s)
{
	char *end;
	long long n;

	errno = 0;
	n = strtoll(s, &end, 10);
	if (*s == '\0' || *end != '\0' || errno != 0 || n < 0)
		ctl_die(CTL_EXIT_USAGE, "-n needs a number, not \"%s\"", s);
	return n;
}

static void
ctl_check_args(struct ctl_opts *o)
{
	const struct ctl_cmd *c = o->cmd;
	char err[128];

	if (c->args != NULL && o->arg == NULL)
		ctl_die(CTL_EXIT_USAGE, "%s needs %s", c->name, c->args);
	if (c->args == NULL && o->arg != NULL)
		ctl_die(CTL_EXIT_USAGE, "%s takes no argument", c->name);
	if (c->count == NULL && o->count >= 0)
		ctl_die(CTL_EXIT_USAGE, "%s takes no -n", c->name);
	if (c->how == CTL_ASK_TOP && o->count == 0)
		ctl_die(CTL_EXIT_USAGE, "top -n needs at least 1");
	if (c->print != ctl_print_shapes && (o->filter.table != NULL ||
	    o->filter.state != NULL || o->filter.sort != NULL))
		ctl_die(CTL_EXIT_USAGE, "%s takes no --table, --state or --sort",
		    c->name);
	if (ctl_filter_check(&o->filter, err, sizeof(err)) == -1)
		ctl_die(CTL_EXIT_USAGE, "%s", err);
}

/* --table T, --table=T (and --state, --sort): 1 if argv[*i] was one. */
static int
ctl_parse_filter(int argc, char **argv, int *i, struct ctl_filter *f)
{
	static const char *const names[] = { "--table", "--state", "--sort" };
	const char **slot[] = { &f->table, &f->state, &f->sort };
	size_t k, n;

	for (k = 0; k < 3; k++) {
		n = strlen(names[k]);
		if (strncmp(argv[*i], names[k], n) != 0)
			continue;
		if (argv[*i][n] == '=')
			*slot[k] = argv[*i] + n + 1;
		else if (argv[*i][n] != '\0')
			continue;
		else if (++*i == argc)
			ctl_die(CTL_EXIT_USAGE, "%s needs a value", names[k]);
		else
			*slot[k] = argv[*i];
		return 1;
	}
	return 0;
}

static void
ctl_parse_args(int argc, char **argv, struct ctl_opts *o)
{
	char *pos[3];
	int i, npos = 0, opts = 1;

	for (i = 1; i < argc; i++) {
		if (opts && strcmp(argv[i], "--") == 0)
			opts = 0;
		else if (opts && strcmp(argv[i], "--json") == 0)
			o->json = 1;
		else if (opts && ctl_parse_filter(argc, argv, &i, &o->filter))
			;
		else if (opts && strcmp(argv[i], "-d") == 0) {
			if (++i == argc)
				ctl_die(CTL_EXIT_USAGE, "-d needs a directory");
			o->dir = argv[i];
		} else if (opts && strncmp(argv[i], "-d", 2) == 0)
			o->dir = argv[i] + 2;
		else if (opts && strcmp(argv[i], "-n") == 0) {
			if (++i == argc)
				ctl_die(CTL_EXIT_USAGE, "-n needs a number");
			o->count = ctl_parse_count(argv[i]);
		} else if (opts && strncmp(argv[i], "-n", 2) == 0)
			o->count = ctl_parse_count(argv[i] + 2);
		else if (opts && (strcmp(argv[i], "-h") == 0 ||
		    strcmp(argv[i], "--help") == 0)) {
			ctl_usage(stdout);
			exit(CTL_EXIT_OK);
		} else if (opts && argv[i][0] == '-' && argv[i][1] != '\0')
			ctl_die(CTL_EXIT_USAGE, "unknown option \"%s\"", argv[i]);
		else if (npos == 2)
			ctl_die(CTL_EXIT_USAGE, "too many arguments");
		else
			pos[npos++] = argv[i];
	}
	if (npos == 0) {
		ctl_usage(stderr);
		exit(CTL_EXIT_USAGE);
	}
	o->cmd = ctl_parse_cmd(pos[0]);
	o->arg = npos > 1 ? pos[1] : NULL;
	ctl_check_args(o);
}

static int
ctl_connect(const struct ctl_opts *o, const char *path)
{
	struct timeval tv = { CTL_TIMEOUT_S, 0 };
	int fd;

	if ((fd = unix_connect(path)) == -1) {
		if (o->json && o->cmd->print == ctl_print_version)
			printf("{\"electricctl\": \"%s\"}\n", ELECTRICD_VERSION);
		if (errno == ENOENT || errno == ECONNREFUSED)
			ctl_die(CTL_EXIT_NOT_RUNNING, "electricd is not running "
			    "(%s at %s)", errno == ENOENT ? "no socket" :
			    "nobody listening on the socket", path);
		if (errno == ENAMETOOLONG)
			ctl_die(CTL_EXIT_USAGE, "socket path too long: %s", path);
		ctl_die(CTL_EXIT_NOT_RUNNING, "cannot connect to %s: %s", path,
		    strerror(errno));
	}
	/* blocking, with timeouts: the helpers report ETIMEDOUT */
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) == -1 ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) == -1 ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) == -1)
		ctl_die(CTL_EXIT_NOT_RUNNING, "%s: %s", path, strerror(errno));
	return fd;
}

static void __attribute__((noreturn))
ctl_io_failed(const char *what)
{
	if (errno == ETIMEDOUT || errno == EAGAIN)
		ctl_die(CTL_EXIT_PROTOCOL, "no %s from electricd within %d s",
		    what, CTL_TIMEOUT_S);
	if (errno == ECONNRESET || errno == EPIPE)
		ctl_die(CTL_EXIT_PROTOCOL, "electricd closed the connection "
		    "before its %s", what);
	ctl_die(CTL_EXIT_PROTOCOL, "bad %s from electricd: %s", what,
	    strerror(errno));
}

/* The HELLO exchange of frame_hello_blocking, done by hand to name both
 * versions when they differ. */
static void
ctl_hello(int fd)
{
	struct mbuf m;
	struct mreader r;
	struct frame f;
	uint32_t version;
	char *role;
	int rc;

	mbuf_init(&m);
	mbuf_u32(&m, FRAME_VERSION);
	mbuf_str(&m, "electricctl");
	rc = frame_write_blocking(fd, MSG_HELLO, 0, m.p, m.len, -1);
	mbuf_free(&m);
	if (rc == -1)
		ctl_io_failed("handshake");
	if (frame_read_blocking(fd, FRAME_MAX_CTL, &f) == -1)
		ctl_io_failed("handshake");
	mr_init(&r, f.data, f.len);
	version = mr_u32(&r);
	role = mr_str(&r);
	if (f.type != MSG_HELLO || mr_done(&r) == -1)
		ctl_die(CTL_EXIT_PROTOCOL, "protocol mismatch: the peer on the "
		    "control socket did not start with a HELLO");
	if (version != FRAME_VERSION)
		ctl_die(CTL_EXIT_PROTOCOL, "protocol version mismatch: electricd "
		    "speaks frame protocol %u, electricctl %s speaks %u; use the "
		    "electricctl of the same release", version,
		    ELECTRICD_VERSION, FRAME_VERSION);
	free(role);
	free((void *)(uintptr_t)f.data);
}

/* Sends request id and returns the reply JSON text (malloc'd), *status set. */
static char *
ctl_call(int fd, const char *req, uint32_t id, unsigned *status)
{
	struct mbuf m;
	struct mreader r;
	struct frame f;
	char *json;
	int rc;

	mbuf_init(&m);
	mbuf_str(&m, req);
	rc = frame_write_blocking(fd, MSG_CTL_REQ, id, m.p, m.len, -1);
	mbuf_free(&m);
	if (rc == -1)
		ctl_io_failed("reply");
	for (;;) {
		if (frame_read_blocking(fd, FRAME_MAX_CTL, &f) == -1)
			ctl_io_failed("reply");
		if (f.fd != -1)
			close(f.fd);
		if (f.type == MSG_CTL_REPLY && f.id == id)
			break;
		free((void *)(uintptr_t)f.data);	/* not for us */
	}
	mr_init(&r, f.data, f.len);
	*status = mr_u16(&r);
	json = mr_str(&r);
	if (mr_done(&r) == -1)
		ctl_die(CTL_EXIT_PROTOCOL, "malformed reply from electricd");
	free((void *)(uintptr_t)f.data);
	return json;
}

/* The reply as a JSON object, or exit 4. */
static json_t *
ctl_parse_reply(const char *text)
{
	json_error_t jerr;
	json_t *reply = json_loads(text, 0, &jerr);

	if (!json_is_object(reply))
		ctl_die(CTL_EXIT_PROTOCOL, "reply from electricd is not a JSON "
		    "object: %s", text);
	return reply;
}

/* Exits 1 with the daemon's message; frees what it is given. */
static void __attribute__((noreturn))
ctl_daemon_error(json_t *reply, char *text)
{
	const json_t *err = json_object_get(reply, "error");
	char *msg = xstrdup(json_is_string(err) ? json_string_value(err) : text);

	json_decref(reply);
	free(text);
	ctl_die(CTL_EXIT_DAEMON, "%s", msg);
}

static void
ctl_print_json(const json_t *j)
{
	char *s = json_dumps(j, CTL_JSON_OUT);

	printf("%s\n", s);
	free(s);
}

/* One request; returns the reply (exits on an error reply or none). */
static json_t *
ctl_ask(int fd, const struct ctl_opts *o, uint32_t id, int print_error_json)
{
	unsigned status;
	char *req, *text;
	json_t *reply;

	if ((req = ctl_request_json(o->cmd, o->arg, &o->filter)) == NULL)
		ctl_die(CTL_EXIT_USAGE, "the argument is not valid UTF-8");
	text = ctl_call(fd, req, id, &status);
	free(req);
	reply = ctl_parse_reply(text);
	if (status != 0) {
		if (print_error_json)
			ctl_print_json(reply);
		ctl_daemon_error(reply, text);
	}
	free(text);
	return reply;
}

/* CTL_ASK, and the first half of CTL_ASK_STOP. */
static void
ctl_run_ask(int fd, const struct ctl_opts *o)
{
	json_t *reply = ctl_ask(fd, o, 1, o->json);

	if (o->json) {
		if (o->cmd->print == ctl_print_version)
			json_object_set_new(reply, "electricctl",
			    json_string(ELECTRICD_VERSION));
		ctl_print_json(reply);
	} else if (o->cmd->print(stdout, reply) == -1)
		ctl_die(CTL_EXIT_PROTOCOL, "unexpected reply from electricd");
	fflush(stdout);
	json_decref(reply);
}

static void
ctl_on_sigint(int sig UNUSED)
{
	ctl_interrupted = 1;
}

/* SIGINT (and SIGTERM) end tail and top in an orderly way: exit 0. */
static void
ctl_catch_sigint(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = ctl_on_sigint;	/* no SA_RESTART: sleeps end early */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

/* Sleeps ms, or less if interrupted; exits 0 on SIGINT. */
static void
ctl_nap(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	if (!ctl_interrupted)
		nanosleep(&ts, NULL);
	if (ctl_interrupted) {
		fflush(stdout);
		exit(CTL_EXIT_OK);
	}
}

/* 1 once electricd is gone: its socket removed, or nobody listening. */
static int
ctl_gone(const char *path)
{
	struct stat sb;
	int fd;

	if (lstat(path, &sb) == -1 && errno == ENOENT)
		return 1;
	if ((fd = unix_connect(path)) != -1) {
		close(fd);
		return 0;
	}
	return errno == ECONNREFUSED || errno == ENOENT;
}

static int
ctl_stop_wait(const char *path, const struct ctl_opts *o)
{
	int i;

	for (i = 0; i < CTL_STOP_WAIT_S * 10; i++) {
		if (ctl_gone(path)) {
			if (!o->json)
				printf("electricd stopped\n");
			return CTL_EXIT_OK;
		}
		ctl_nap(100);
	}
	ctl_die(CTL_EXIT_DAEMON, "electricd did not stop within %d s",
	    CTL_STOP_WAIT_S);
}

/* A sample from the daemon, every CTL_TOP_EVERY_MS; --json: one view. */
static int
ctl_run_top(int fd, const struct ctl_opts *o)
{
	json_t *prev, *cur, *view;
	uint32_t id = 1;
	long long i;
	int tty = isatty(STDOUT_FILENO);

	ctl_catch_sigint();
	prev = ctl_ask(fd, o, id++, o->json);
	for (i = 0; o->count < 0 || i < o->count; i++) {
		ctl_nap(CTL_TOP_EVERY_MS);
		cur = ctl_ask(fd, o, id++, o->json);
		view = ctl_top_view(prev, cur);
		if (o->json) {
			ctl_print_json(view);
			json_decref(view);
			json_decref(cur);
			break;
		}
		if (tty)
			fputs("\033[H\033[2J", stdout);
		else if (i > 0)
			fputc('\n', stdout);
		ctl_print_top(stdout, view);
		fflush(stdout);
		json_decref(view);
		json_decref(prev);
		prev = cur;
	}
	json_decref(prev);
	return CTL_EXIT_OK;
}

/* tail: needs no daemon; exits 1 when the shape is missing or deleted. */
static int
ctl_run_tail(const struct ctl_opts *o)
{
	struct ctl_tail *t;

	t = ctl_tail_open(o->dir, o->arg, o->count > 0 ? (uint64_t)o->count : 0);
	if (t == NULL && errno == ENOENT)
		ctl_die(CTL_EXIT_DAEMON, "no such shape: %s", o->arg);
	if (t == NULL)
		ctl_die(CTL_EXIT_DAEMON, "%s/shapes/%s: %s", o->dir, o->arg,
		    strerror(errno));
	ctl_catch_sigint();
	for (;;) {
		if (ctl_tail_poll(t, stdout, o->json) == -1) {
			fflush(stdout);
			if (errno == ENOENT)
				ctl_die(CTL_EXIT_DAEMON, "shape deleted");
			ctl_die(CTL_EXIT_DAEMON, "%s: %s", ctl_tail_dir(t),
			    strerror(errno));
		}
		fflush(stdout);
		ctl_nap(CTL_TAIL_POLL_MS);
	}
}

int
main(int argc, char **argv)
{
	struct ctl_opts o = { NULL, 0, NULL, NULL, -1, { NULL, NULL, NULL } };
	char *path;
	int fd, rc = CTL_EXIT_OK;

	log_init("electricctl", NULL);
	ctl_parse_args(argc, argv, &o);
	if (o.cmd->how == CTL_HELP) {
		ctl_usage(stdout);
		return CTL_EXIT_OK;
	}
	if (o.dir == NULL && (o.dir = getenv("ELECTRIC_STORAGE_DIR")) == NULL)
		o.dir = "./persistent";
	if (o.cmd->how == CTL_TAIL)
		return ctl_run_tail(&o);
	if (o.cmd->print == ctl_print_version && !o.json)
		printf("electricctl %s\n", ELECTRICD_VERSION);
	fflush(stdout);
	path = xasprintf("%s/run/control.sock", o.dir);
	fd = ctl_connect(&o, path);
	ctl_hello(fd);
	if (o.cmd->how == CTL_ASK_TOP)
		rc = ctl_run_top(fd, &o);
	else
		ctl_run_ask(fd, &o);
	close(fd);
	if (o.cmd->how == CTL_ASK_STOP)
		rc = ctl_stop_wait(path, &o);
	free(path);
	return rc;
}
