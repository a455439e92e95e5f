/*
 * electricctl: asks a running electricd about itself over
 * <storage>/run/control.sock.  One request per run: connect, exchange
 * HELLO (checking the frame protocol version), send MSG_CTL_REQ id 1 with
 * {"cmd":...}, read MSG_CTL_REPLY (u16 status, str JSON) and print it as a
 * table (ctl_fmt.c) or, with --json, as JSON.  Exit statuses are enum
 * ctl_exit; every failure prints one line on stderr naming its cause.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "ctl.h"
#include "frame.h"
#include "log.h"
#include "msg.h"
#include "util.h"
#include "version.h"

#define CTL_TIMEOUT_S	30
#define CTL_REQ_ID	1

struct ctl_opts {
	const char		*dir;
	int			 json;
	const struct ctl_cmd	*cmd;
	const char		*arg;
};

static void __attribute__((noreturn))
ctl_die(enum ctl_exit code, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
ctl_die(enum ctl_exit code, const char *fmt, ...)
{
	va_list ap;

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
	const struct ctl_cmd *cmd;
	int ambiguous;

	if ((cmd = ctl_cmd_find(word, &ambiguous)) != NULL)
		return cmd;
	ctl_die(CTL_EXIT_USAGE, "%s command \"%s\"",
	    ambiguous ? "ambiguous" : "unknown", word);
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
		else if (opts && strcmp(argv[i], "-d") == 0) {
			if (++i == argc)
				ctl_die(CTL_EXIT_USAGE, "-d needs a directory");
			o->dir = argv[i];
		} else if (opts && strncmp(argv[i], "-d", 2) == 0)
			o->dir = argv[i] + 2;
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
	if (o->cmd->args != NULL && o->arg == NULL)
		ctl_die(CTL_EXIT_USAGE, "%s needs %s", o->cmd->name, o->cmd->args);
	if (o->cmd->args == NULL && o->arg != NULL)
		ctl_die(CTL_EXIT_USAGE, "%s takes no argument", o->cmd->name);
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

/* Sends the request; returns the reply JSON (malloc'd), *status set. */
static char *
ctl_call(int fd, const struct ctl_opts *o, unsigned *status)
{
	struct mbuf m;
	struct mreader r;
	struct frame f;
	char *req, *json;
	int rc;

	if ((req = ctl_request_json(o->cmd, o->arg)) == NULL)
		ctl_die(CTL_EXIT_USAGE, "the argument is not valid UTF-8");
	mbuf_init(&m);
	mbuf_str(&m, req);
	free(req);
	rc = frame_write_blocking(fd, MSG_CTL_REQ, CTL_REQ_ID, m.p, m.len, -1);
	mbuf_free(&m);
	if (rc == -1)
		ctl_io_failed("reply");
	for (;;) {
		if (frame_read_blocking(fd, FRAME_MAX_CTL, &f) == -1)
			ctl_io_failed("reply");
		if (f.fd != -1)
			close(f.fd);
		if (f.type == MSG_CTL_REPLY && f.id == CTL_REQ_ID)
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

static int
ctl_output(const struct ctl_opts *o, unsigned status, const char *text)
{
	json_error_t jerr;
	json_t *reply, *err;
	char *s;

	reply = json_loads(text, 0, &jerr);
	if (!json_is_object(reply))
		ctl_die(CTL_EXIT_PROTOCOL, "reply from electricd is not a JSON "
		    "object: %s", text);
	if (o->json) {
		if (o->cmd->print == ctl_print_version)
			json_object_set_new(reply, "electricctl",
			    json_string(ELECTRICD_VERSION));
		s = json_dumps(reply, JSON_INDENT(2));
		printf("%s\n", s);
		free(s);
	}
	if (status != 0) {
		err = json_object_get(reply, "error");
		ctl_die(CTL_EXIT_DAEMON, "%s", json_is_string(err) ?
		    json_string_value(err) : text);
	}
	if (!o->json && o->cmd->print(stdout, reply) == -1)
		ctl_die(CTL_EXIT_PROTOCOL, "unexpected reply from electricd: %s",
		    text);
	json_decref(reply);
	return CTL_EXIT_OK;
}

int
main(int argc, char **argv)
{
	struct ctl_opts o = { NULL, 0, NULL, NULL };
	unsigned status;
	char *path, *text;
	int fd, rc;

	log_init("electricctl", NULL);
	ctl_parse_args(argc, argv, &o);
	if (o.cmd->local) {
		ctl_usage(stdout);
		return CTL_EXIT_OK;
	}
	if (o.dir == NULL && (o.dir = getenv("ELECTRIC_STORAGE_DIR")) == NULL)
		o.dir = "./persistent";
	if (o.cmd->print == ctl_print_version && !o.json)
		printf("electricctl %s\n", ELECTRICD_VERSION);
	fflush(stdout);
	path = xasprintf("%s/run/control.sock", o.dir);
	fd = ctl_connect(&o, path);
	ctl_hello(fd);
	text = ctl_call(fd, &o, &status);
	close(fd);
	rc = ctl_output(&o, status, text);
	free(text);
	free(path);
	return rc;
}
