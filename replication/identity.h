/*
 * identity: what the shapes of meta.db were built from -- the Postgres
 * cluster (system identifier), its timeline and the replication slot --
 * compared at every start with what connmgr finds (PROTOCOL.md §12.2
 * steps 6 and 8).  Any difference, or a slot connmgr had to create, means
 * the WAL between the shapes' last transaction and now cannot be read:
 * every shape is purged (purge.h), so clients holding old handles get
 * 409 and new requests build fresh shapes.  Called by connmgr.c before
 * READY, while nothing else that touches shapes runs (rest_for_one).
 */
#ifndef ELECTRICD_IDENTITY_H
#define ELECTRICD_IDENTITY_H

struct identity {
	const char	*system_id;
	const char	*timeline;
	const char	*slot;
	const char	*slot_created;	/* NULL, or why the slot is new */
};

/* Purges if needed, then records the identity in meta.db's kv table.
 * 0, or -1 if meta.db failed (logged). */
int identity_reconcile(const struct identity *) __attribute__((warn_unused_result));

#endif
