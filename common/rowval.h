/*
 * rowval: one column value of a row as Postgres renders it (text output
 * under PROTOCOL.md §11.1), shared by the consumer (encoding changes and
 * snapshot rows), the WHERE evaluator and the collector's index.  Values
 * point into a frame or a PGresult; they are never NUL-terminated.
 */
#ifndef ELECTRICD_ROWVAL_H
#define ELECTRICD_ROWVAL_H

#include <stdint.h>

#define CHANGE_NULL	'n'
#define CHANGE_TOAST	'u'	/* unchanged TOASTed value (updates only) */
#define CHANGE_TEXT	't'
struct change_val {
	char		 kind;
	uint32_t	 len;
	const char	*s;		/* CHANGE_TEXT only; not NUL-terminated */
};

#endif
