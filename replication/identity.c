/*
 * identity: see identity.h.  The recorded identity lives in meta.db's kv
 * table under the keys of id_keys; a key not recorded yet (a new storage
 * directory, or one written before these keys existed) is no reason to
 * purge.  The purge comes before the new identity is written, so a crash
 * in between purges again at the next start instead of keeping shapes
 * that do not match the stream.  Handles purged are announced to http
 * (MSG_SHAPE_GONE on run/http.sock) so that waiting live requests end
 * with 409 at once instead of at their timeout.
 */
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "config.h"
#include "frame.h"
#include "identity.h"
#include "log.h"
#include "meta.h"
#include "msg.h"
#include "purge.h"

struct id_key {
	const char	*key;
	size_t		 off;		/* of the value in struct identity */
	const char	*what;		/* why a change purges */
};

static const struct id_key id_keys[] = {
	{ "system_id", offsetof(struct identity, system_id),
	  "the Postgres system identifier changed (another cluster, or one "
	  "restored from a backup)" },
	{ "timeline", offsetof(struct identity, timeline),
	  "the Postgres timeline changed (point-in-time recovery or failover)" },
	{ "slot", offsetof(struct identity, slot),
	  "the replication slot changed (ELECTRIC_REPLICATION_STREAM_ID)" },
};
#define ID_NKEYS (sizeof(id_keys) / sizeof(id_keys[0]))

static const char *
id_value(const struct identity *id, const struct id_key *k)
{
	return *(const char *const *)(const void *)((const char *)id + k->off);
}

/* Why the shapes must go (into buf), or NULL; -1 in *err on a meta error. */
static const char *
id_reason(struct sqlite3 *db, const struct identity *id, char *buf,
    size_t len, int *err)
{
	char *old;
	size_t i;
	int rc;

	for (i = 0; i < ID_NKEYS; i++) {
		if ((rc = meta_kv_get(db, id_keys[i].key, &old)) == -1) {
			*err = -1;
			return NULL;
		}
		if (rc == 1)
			continue;
		if (strcmp(old, id_value(id, &id_keys[i])) != 0) {
			snprintf(buf, len, "%s: %s was %s, is %s", id_keys[i].what,
			    id_keys[i].key, old, id_value(id, &id_keys[i]));
			free(old);
			return buf;
		}
		free(old);
	}
	if (id->slot_created != NULL) {
		snprintf(buf, len, "%s", id->slot_created);
		return buf;
	}
	return NULL;
}

static int
id_blocking(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	return fl == -1 ? -1 : fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
}

/* Best effort: http may be down or starting, and its clients then learn
 * of the purge from their next request. */
static void
id_tell_http(const struct purge_result *pr)
{
	struct timeval tv = { 1, 0 };
	struct mbuf m;
	char *path;
	size_t i;
	int fd, rc = 0;

	if (pr->n == 0)
		return;
	path = config_sock_path("http");
	fd = unix_connect(path);
	free(path);
	if (fd == -1)
		return;
	if (id_blocking(fd) == -1 ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) == -1) {
		close(fd);
		return;
	}
	mbuf_init(&m);
	mbuf_u32(&m, FRAME_VERSION);
	mbuf_str(&m, "connmgr");
	rc = frame_write_blocking(fd, MSG_HELLO, 0, m.p, m.len, -1);
	for (i = 0; rc == 0 && i < pr->n; i++) {
		mbuf_reset(&m);
		mbuf_str(&m, pr->handles[i]);
		rc = frame_write_blocking(fd, MSG_SHAPE_GONE, 0, m.p, m.len, -1);
	}
	mbuf_free(&m);
	if (rc == -1)
		log_debug("telling http about the purge failed");
	close(fd);
}

static int
id_record(struct sqlite3 *db, const struct identity *id)
{
	size_t i;

	for (i = 0; i < ID_NKEYS; i++)
		if (meta_kv_set(db, id_keys[i].key, id_value(id, &id_keys[i])) == -1)
			return -1;
	return 0;
}

int
identity_reconcile(const struct identity *id)
{
	struct purge_result pr = { NULL, 0 };
	struct sqlite3 *db;
	const char *why;
	char buf[512];
	int err = 0, rc = -1;

	if ((db = meta_open(cfg.meta_path)) == NULL)
		return -1;
	why = id_reason(db, id, buf, sizeof(buf), &err);
	if (err == 0 && why != NULL) {
		if (purge_all(db, cfg.shapes_dir, why, &pr) == -1)
			goto out;
	}
	if (err == 0 && id_record(db, id) == 0)
		rc = 0;
	id_tell_http(&pr);
out:
	if (rc == -1)
		log_warnx("cannot check or record the stream identity in %s",
		    cfg.meta_path);
	purge_result_free(&pr);
	meta_close(db);
	return rc;
}
