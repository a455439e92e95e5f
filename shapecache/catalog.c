/*
 * catalog: table resolution and schema inspection for shapecache (see
 * catalog.h).  Queries use parameters, never the user's text spliced into
 * SQL; identifiers that must appear in DDL are quoted with
 * PQescapeIdentifier.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <libpq-fe.h>

#include "catalog.h"
#include "log.h"

/*
 * Everything a shape request needs to know about its table, in one round
 * trip: the name split by parse_ident (an unqualified name is in
 * "public"), the relation, whether it is in the publication ($2) already,
 * and one row per column (none: a.attname is NULL).  Prepared once per
 * connection (catalog_prepare): planning these joins costs ~1.5 ms of
 * Postgres CPU, executing the plan ~0.1 ms, and shapecache answers one
 * request at a time.
 */
#define CATALOG_STMT	"electricd_catalog_table"
static const char catalog_sql_table[] =
    "SELECT x.parts, c.oid, c.relkind, c.relreplident, "
    " EXISTS (SELECT 1 FROM pg_publication_rel pr JOIN pg_publication p "
    "   ON p.oid = pr.prpubid WHERE p.pubname = $2 AND pr.prrelid = c.oid), "
    " a.attname, "
    " CASE WHEN t.typcategory = 'A' THEN et.typname ELSE t.typname END, "
    " CASE WHEN t.typcategory = 'A' THEN greatest(a.attndims, 1) ELSE 0 END, "
    " a.attnotnull, a.atttypmod, "
    " coalesce(array_position(i.indkey::int2[], a.attnum) "
    "   - array_lower(i.indkey::int2[], 1) + 1, 0) "  /* int2vector is 0-based */
    " , a.attgenerated <> '', "
    " CASE WHEN t.typcategory = 'A' THEN et.typtype ELSE t.typtype END, "
    " bt.typname, a.atttypid "
    "FROM (SELECT parse_ident($1)::text[] AS parts) x "
    "LEFT JOIN pg_namespace n ON n.nspname = CASE "
    "  WHEN cardinality(x.parts) = 2 THEN x.parts[1] ELSE 'public' END "
    "LEFT JOIN pg_class c ON c.relnamespace = n.oid "
    "  AND c.relname = x.parts[cardinality(x.parts)] "
    "LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 "
    "  AND NOT a.attisdropped "
    "LEFT JOIN pg_type t ON t.oid = a.atttypid "
    "LEFT JOIN pg_type et ON et.oid = t.typelem "
    "LEFT JOIN pg_type bt ON bt.oid = CASE WHEN t.typcategory = 'A' "
    "  THEN et.typbasetype ELSE t.typbasetype END "
    "LEFT JOIN pg_index i ON i.indrelid = c.oid AND i.indisprimary "
    "ORDER BY a.attnum";

/* The fields of catalog_sql_table's rows: the relation's, then the column's. */
enum {
	CT_PARTS, CT_OID, CT_RELKIND, CT_REPLIDENT, CT_PUBLISHED,
	CT_NAME, CT_TYPE, CT_DIMS, CT_NOTNULL, CT_TYPMOD, CT_PKPOS,
	CT_GENERATED, CT_TYPTYPE, CT_BASE, CT_TYPOID
};

static PGresult *
catalog_query(PGconn *pg, const char *sql, int n, const char *const *params)
{
	return PQexecParams(pg, sql, n, NULL, params, NULL, NULL, 0);
}

/* Splits "{a,b}" from parse_ident()::text[]; Postgres quotes elements
 * that need it, so parse the array literal properly. */
static int
catalog_split_ident(const char *lit, char *parts[3])
{
	const char *p = lit + 1;
	struct sbuf b;
	int n = 0, quoted;

	if (*lit != '{')
		return -1;
	while (*p && *p != '}') {
		sbuf_init(&b);
		sbuf_add(&b, "", 0);
		quoted = *p == '"';
		if (quoted)
			p++;
		while (*p && (quoted ? *p != '"' : (*p != ',' && *p != '}'))) {
			if (quoted && *p == '\\' && p[1])
				p++;
			sbuf_addc(&b, *p++);
		}
		if (quoted && *p == '"')
			p++;
		if (n < 3)
			parts[n] = b.p;
		else
			free(b.p);
		n++;
		if (*p == ',')
			p++;
	}
	return n;
}

static char *
catalog_not_found(const char *schema, const char *table)
{
	return xasprintf("Table \"%s\".\"%s\" does not exist. If the table name "
	    "contains capitals or special characters you must quote it.",
	    schema, table);
}

/* The name and relation facts from row 0 of catalog_sql_table. */
static enum catalog_result
catalog_resolve(PGresult *r, const char *param, struct catalog_table *t,
    char **err)
{
	char *parts[3] = { NULL, NULL, NULL };
	int n, i;
	enum catalog_result rc = CATALOG_OK;

	n = catalog_split_ident(PQgetvalue(r, 0, CT_PARTS), parts);
	if (n < 1 || n > 2) {
		*err = xasprintf("Invalid relation identifier, too many delimiters: %s",
		    param);
		rc = CATALOG_INVALID;
	} else {
		t->schema = n == 2 ? xstrdup(parts[0]) : xstrdup("public");
		t->table = xstrdup(parts[n - 1]);
		if (PQgetisnull(r, 0, CT_OID) ||
		    strchr("rp", PQgetvalue(r, 0, CT_RELKIND)[0]) == NULL) {
			*err = catalog_not_found(t->schema, t->table);
			rc = CATALOG_INVALID;
		} else {
			t->relid = (uint32_t)strtoul(PQgetvalue(r, 0, CT_OID),
			    NULL, 10);
			t->replident = PQgetvalue(r, 0, CT_REPLIDENT)[0];
			t->published = PQgetvalue(r, 0, CT_PUBLISHED)[0] == 't';
		}
	}
	for (i = 0; i < 3; i++)
		free(parts[i]);
	return rc;
}

/* The §11.2 modifiers for one column (type = the element type for arrays),
 * first matching rule; bit/varbit get "length" even for typmod -1, and any
 * type not named here gets the raw "type_mod". */
static void
catalog_modifiers(json_t *o, const char *type, int typmod)
{
	/* interval typmod: range bits << 16 | precision (0xffff = none) */
	static const struct { int bit; const char *name; } ivl[] = {
		{ 2, "YEAR" }, { 1, "MONTH" }, { 3, "DAY" }, { 10, "HOUR" },
		{ 11, "MINUTE" }, { 12, "SECOND" },
	};
	static const char *const timetypes[] = {
		"date", "time", "timetz", "timestamp", "timestamptz",
	};
	unsigned range = ((unsigned)typmod >> 16) & 0xffff, prec = typmod & 0xffff;
	const char *first = NULL, *last = NULL;
	size_t i;

	if ((strcmp(type, "varchar") == 0 || strcmp(type, "text") == 0) &&
	    typmod > 0) {
		json_object_set_new(o, "max_length", json_integer(typmod - 4));
		return;
	}
	if (strcmp(type, "bpchar") == 0 && typmod > 0) {
		json_object_set_new(o, "length", json_integer(typmod - 4));
		return;
	}
	if (strcmp(type, "bit") == 0 || strcmp(type, "varbit") == 0) {
		json_object_set_new(o, "length", json_integer(typmod));
		return;
	}
	if (typmod < 0)
		return;
	if (strcmp(type, "interval") == 0) {
		for (i = 0; i < sizeof(ivl) / sizeof(ivl[0]); i++)
			if (range != 0x7fff && (range & (1u << ivl[i].bit))) {
				first = first != NULL ? first : ivl[i].name;
				last = ivl[i].name;
			}
		if (first != NULL && first == last)
			json_object_set_new(o, "fields", json_string(first));
		else if (first != NULL)
			json_object_set_new(o, "fields", json_sprintf("%s TO %s",
			    first, last));
		if (prec != 0xffff)
			json_object_set_new(o, "precision", json_integer(prec));
		return;
	}
	for (i = 0; i < sizeof(timetypes) / sizeof(timetypes[0]); i++)
		if (strcmp(type, timetypes[i]) == 0 && typmod > 0) {
			json_object_set_new(o, "precision", json_integer(typmod));
			return;
		}
	if (strcmp(type, "numeric") == 0) {
		json_object_set_new(o, "precision", json_integer((typmod - 4) >> 16));
		json_object_set_new(o, "scale", json_integer((typmod - 4) & 0xffff));
		return;
	}
	json_object_set_new(o, "type_mod", json_integer(typmod));
}

static void
catalog_column(PGresult *r, int row, json_t *cols, json_t *schema, struct sbuf *pk)
{
	const char *name = PQgetvalue(r, row, CT_NAME);
	const char *type = PQgetvalue(r, row, CT_TYPE);
	int dims = atoi(PQgetvalue(r, row, CT_DIMS));
	int notnull = PQgetvalue(r, row, CT_NOTNULL)[0] == 't';
	int typmod = atoi(PQgetvalue(r, row, CT_TYPMOD));
	int pkpos = atoi(PQgetvalue(r, row, CT_PKPOS)) - 1;
	json_t *o = json_pack("{s:s}", "type", type), *c;

	if (dims > 0)
		json_object_set_new(o, "dims", json_integer(dims));
	if (pkpos >= 0)
		json_object_set_new(o, "pk_index", json_integer(pkpos));
	if (notnull)
		json_object_set_new(o, "not_null", json_true());
	catalog_modifiers(o, type, typmod);
	json_object_set_new(schema, name, o);
	c = json_pack("{s:s,s:s,s:i,s:b}", "name", name, "type", type, "pk",
	    pkpos, "generated", PQgetvalue(r, row, CT_GENERATED)[0] == 't');
	if (dims > 0)
		json_object_set_new(c, "dims", json_integer(dims));
	if (PQgetvalue(r, row, CT_TYPTYPE)[0] == 'e')
		json_object_set_new(c, "enum", json_true());
	if (!PQgetisnull(r, row, CT_BASE))	/* a domain: its base type */
		json_object_set_new(c, "base",
		    json_string(PQgetvalue(r, row, CT_BASE)));
	json_object_set_new(c, "typoid", json_integer(atoll(PQgetvalue(r, row,
	    CT_TYPOID))));
	json_array_append_new(cols, c);
	if (pkpos >= 0) {
		if (pk->len > 0)
			sbuf_addc(pk, ',');
		sbuf_adds(pk, name);
	}
}

int
catalog_prepare(struct pg_conn *pg, char **err)
{
	PGresult *r = PQprepare(pg, CATALOG_STMT, catalog_sql_table, 2, NULL);
	int rc = PQresultStatus(r) == PGRES_COMMAND_OK ? 0 : -1;

	if (rc == -1)
		*err = xasprintf("prepare: %s", PQresultErrorMessage(r));
	PQclear(r);
	return rc;
}

/* A failed lookup: parse_ident's complaint (SQLSTATE class 22) is the
 * user's; anything else is the database's. */
static enum catalog_result
catalog_failed(PGconn *pg, PGresult *r, const char *param, char **err)
{
	const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);

	if (PQstatus(pg) == CONNECTION_OK && state != NULL &&
	    strncmp(state, "22", 2) == 0) {
		*err = xasprintf("Invalid relation identifier: %s", param);
		return CATALOG_INVALID;
	}
	*err = xasprintf("catalog: %s", PQresultErrorMessage(r));
	return CATALOG_DB_ERROR;
}

enum catalog_result
catalog_lookup(struct pg_conn *pg, const char *publication, const char *param,
    struct catalog_table *t, char **err)
{
	const char *params[2] = { param, publication };
	enum catalog_result rc;
	json_t *cols, *schema;
	struct sbuf pk;
	PGresult *r;
	int i;

	memset(t, 0, sizeof(*t));
	r = PQexecPrepared(pg, CATALOG_STMT, 2, params, NULL, NULL, 0);
	if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) < 1)
		rc = catalog_failed(pg, r, param, err);
	else
		rc = catalog_resolve(r, param, t, err);
	if (rc != CATALOG_OK) {
		PQclear(r);
		catalog_table_free(t);
		return rc;
	}
	cols = json_array();
	schema = json_object();
	sbuf_init(&pk);
	sbuf_add(&pk, "", 0);
	for (i = 0; i < PQntuples(r); i++)
		if (!PQgetisnull(r, i, CT_NAME))
			catalog_column(r, i, cols, schema, &pk);
	PQclear(r);
	t->columns = json_dumps(cols, JSON_COMPACT);
	t->electric_schema = json_dumps(schema, JSON_COMPACT | JSON_SORT_KEYS);
	t->pk = pk.p;
	json_decref(cols);
	json_decref(schema);
	return CATALOG_OK;
}

void
catalog_table_free(struct catalog_table *t)
{
	free(t->schema);
	free(t->table);
	free(t->columns);
	free(t->electric_schema);
	free(t->pk);
	memset(t, 0, sizeof(*t));
}

/* 0; -1 (*err set); -2 insufficient privilege (*err set). */
static int
catalog_exec(PGconn *pg, const char *sql, char **err)
{
	PGresult *r = PQexec(pg, sql);
	const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
	int rc = PQresultStatus(r) == PGRES_COMMAND_OK ||
	    PQresultStatus(r) == PGRES_TUPLES_OK ? 0 :
	    state != NULL && strcmp(state, "42501") == 0 ? -2 : -1;

	if (rc != 0)
		*err = xasprintf("%s", PQresultErrorMessage(r));
	PQclear(r);
	return rc;
}

/* The role may not publish the table: say what the operator can do. */
static void
catalog_not_owner(PGconn *pg, const char *pub, const char *sch,
    const char *tab, char **err)
{
	free(*err);
	*err = xasprintf("Cannot publish table %s.%s: the database role %s "
	    "does not own it. Make the role its owner (ALTER TABLE %s.%s OWNER "
	    "TO %s), or let the owner run ALTER PUBLICATION %s ADD TABLE %s.%s "
	    "and ALTER TABLE %s.%s REPLICA IDENTITY FULL", sch, tab, PQuser(pg),
	    sch, tab, PQuser(pg), pub, sch, tab, sch, tab);
}

int
catalog_publish(struct pg_conn *pg, const char *publication,
    const struct catalog_table *t, char **err)
{
	char *pub, *sch, *tab, *lit, *sql;
	int rc = 0;

	if (t->published && t->replident == 'f')
		return 0;	/* as of this request's lookup */
	pub = PQescapeIdentifier(pg, publication, strlen(publication));
	sch = PQescapeIdentifier(pg, t->schema, strlen(t->schema));
	tab = PQescapeIdentifier(pg, t->table, strlen(t->table));
	lit = PQescapeLiteral(pg, publication, strlen(publication));
	if (pub == NULL || sch == NULL || tab == NULL || lit == NULL) {
		*err = xasprintf("escape: %s", PQerrorMessage(pg));
		rc = -1;
		goto out;
	}
	/* "already a member" is fine: ask first, add only when missing. */
	sql = xasprintf("DO $$BEGIN IF NOT EXISTS (SELECT 1 FROM "
	    "pg_publication_rel pr JOIN pg_publication p ON p.oid = pr.prpubid "
	    "WHERE p.pubname = %s AND pr.prrelid = %u) THEN "
	    "ALTER PUBLICATION %s ADD TABLE %s.%s; END IF; END$$",
	    lit, t->relid, pub, sch, tab);
	rc = catalog_exec(pg, sql, err);
	free(sql);
	if (rc == 0 && t->replident != 'f') {
		sql = xasprintf("ALTER TABLE %s.%s REPLICA IDENTITY FULL", sch, tab);
		rc = catalog_exec(pg, sql, err);
		free(sql);
	}
	if (rc == -2)
		catalog_not_owner(pg, pub, sch, tab, err);
	if (rc != 0)
		rc = -1;
out:
	PQfreemem(lit);
	PQfreemem(pub);
	PQfreemem(sch);
	PQfreemem(tab);
	return rc;
}

int
catalog_relations(struct pg_conn *pg, const uint32_t *relids, size_t n,
    char **names)
{
	struct sbuf arr;
	const char *params[1];
	PGresult *r;
	uint32_t oid;
	size_t i, k, sl, tl;
	int row;

	sbuf_init(&arr);
	sbuf_addc(&arr, '{');
	for (i = 0; i < n; i++) {
		names[i] = NULL;
		sbuf_addf(&arr, "%s%u", i ? "," : "", relids[i]);
	}
	sbuf_addc(&arr, '}');
	params[0] = arr.p;
	r = catalog_query(pg, "SELECT c.oid, n.nspname, c.relname FROM pg_class c "
	    "JOIN pg_namespace n ON n.oid = c.relnamespace "
	    "WHERE c.oid = ANY($1::oid[])", 1, params);
	sbuf_free(&arr);
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		PQclear(r);
		return -1;
	}
	for (row = 0; row < PQntuples(r); row++) {
		oid = (uint32_t)strtoul(PQgetvalue(r, row, 0), NULL, 10);
		sl = strlen(PQgetvalue(r, row, 1));
		tl = strlen(PQgetvalue(r, row, 2));
		for (k = 0; k < n; k++) {
			if (relids[k] != oid || names[k] != NULL)
				continue;
			names[k] = xmalloc(sl + tl + 2);
			memcpy(names[k], PQgetvalue(r, row, 1), sl + 1);
			memcpy(names[k] + sl + 1, PQgetvalue(r, row, 2), tl + 1);
		}
	}
	PQclear(r);
	return 0;
}
