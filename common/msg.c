/*
 * msg: names of frame types, for logs and protocol errors.
 */
#include <stddef.h>

#include "msg.h"

static const struct {
	uint16_t	 type;
	const char	*name;
} msg_names[] = {
	{ MSG_HELLO, "HELLO" }, { MSG_READY, "READY" }, { MSG_STATE, "STATE" },
	{ MSG_HEALTH, "HEALTH" }, { MSG_SPAWN, "SPAWN" },
	{ MSG_STOP_CONSUMER, "STOP_CONSUMER" }, { MSG_CTL_REQ, "CTL_REQ" },
	{ MSG_CTL_REPLY, "CTL_REPLY" }, { MSG_SHAPE_FAILED, "SHAPE_FAILED" },
	{ MSG_STATS, "STATS" },
	{ MSG_RELATION, "RELATION" },
	{ MSG_BEGIN, "BEGIN" }, { MSG_CHANGE, "CHANGE" },
	{ MSG_TRUNCATE, "TRUNCATE" }, { MSG_COMMIT, "COMMIT" },
	{ MSG_KEEPALIVE, "KEEPALIVE" }, { MSG_ACK, "ACK" },
	{ MSG_REWIND, "REWIND" }, { MSG_REWOUND, "REWOUND" },
	{ MSG_SUBSCRIBE, "SUBSCRIBE" }, { MSG_SUBSCRIBED, "SUBSCRIBED" },
	{ MSG_FLUSHED, "FLUSHED" }, { MSG_INVALIDATE, "INVALIDATE" },
	{ MSG_SHAPE_REQ, "SHAPE_REQ" }, { MSG_SHAPE_REPLY, "SHAPE_REPLY" },
	{ MSG_SHAPE_GONE, "SHAPE_GONE" }, { MSG_SHAPE_NOTIFY, "SHAPE_NOTIFY" },
	{ MSG_SHAPE_DELETE, "SHAPE_DELETE" },
	{ MSG_SHAPE_DELETE_REPLY, "SHAPE_DELETE_REPLY" }, { MSG_FORGET, "FORGET" },
	{ MSG_SHAPE_INVALID, "SHAPE_INVALID" }, { MSG_SUBSET_REQ, "SUBSET_REQ" },
	{ MSG_SUBSET_REPLY, "SUBSET_REPLY" }, { MSG_SUSPEND, "SUSPEND" },
	{ MSG_READERS_Q, "READERS_Q" }, { MSG_READERS, "READERS" },
	{ MSG_SHAPE_FAULT, "SHAPE_FAULT" },
	{ MSG_POOL_BORROW, "POOL_BORROW" }, { MSG_POOL_LEND, "POOL_LEND" },
	{ MSG_POOL_RETURN, "POOL_RETURN" },
};

const char *
msg_name(uint16_t type)
{
	size_t i;

	for (i = 0; i < sizeof(msg_names) / sizeof(msg_names[0]); i++)
		if (msg_names[i].type == type)
			return msg_names[i].name;
	return "UNKNOWN";
}
