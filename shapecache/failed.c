/*
 * failed: recently failed shape definitions (see failed.h).  A small ring:
 * at most FAILED_MAX entries, the oldest replaced first.  Failures with
 * field "storage" (a damaged shape directory, a snapshot cut by a storage
 * fault) are not remembered: the shape is deleted and recreated on demand.
 */
#include <stdlib.h>
#include <string.h>

#include "failed.h"
#include "util.h"

struct failed {
	char		*definition;
	char		*field;
	char		*msg;
	uint64_t	 at_ms;
};

static struct failed failed_ring[FAILED_MAX];
static size_t failed_next;

static void
failed_clear(struct failed *f)
{
	free(f->definition);
	free(f->field);
	free(f->msg);
	memset(f, 0, sizeof(*f));
}

void
failed_remember(const char *definition, const char *field, const char *msg)
{
	struct failed *f = NULL;
	size_t i;

	/* A storage fault or damaged directory (consumer_storage.c) is no
	 * property of the definition: the next request just recreates it. */
	if (strcmp(field, "storage") == 0)
		return;
	for (i = 0; i < FAILED_MAX && f == NULL; i++)
		if (failed_ring[i].definition != NULL &&
		    strcmp(failed_ring[i].definition, definition) == 0)
			f = &failed_ring[i];
	if (f == NULL) {
		f = &failed_ring[failed_next];
		failed_next = (failed_next + 1) % FAILED_MAX;
	}
	failed_clear(f);
	f->definition = xstrdup(definition);
	f->field = xstrdup(field);
	f->msg = xstrdup(msg);
	f->at_ms = mono_ms();
}

int
failed_lookup(const char *definition, char **field, char **msg)
{
	struct failed *f;
	size_t i;

	for (i = 0; i < FAILED_MAX; i++) {
		f = &failed_ring[i];
		if (f->definition == NULL || strcmp(f->definition, definition))
			continue;
		if (mono_ms() - f->at_ms >= FAILED_TTL_MS) {
			failed_clear(f);
			return 0;
		}
		*field = xstrdup(f->field);
		*msg = xstrdup(f->msg);
		return 1;
	}
	return 0;
}
