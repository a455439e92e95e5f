/*
 * where_diff_file: reads clauses.txt and rejects.txt (format in the head
 * comment of each file) into wd_case lists for where_diff.c.
 *   clause [ " #params:" [" "] v1 "|" v2 ... ] [ " ==> " [params: ]message ]
 * The " ==> " part is required in rejects.txt and absent in clauses.txt.
 * A clause line starting with "~ " is a documented deviation: where_sql
 * may select other rows than the user's text itself (COLLATE "C").
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "where_diff.h"

#define PARAMS_MARK	" #params:"	/* then one optional space */
#define REJECT_MARK	" ==> "

char *
wd_slurp(const char *path)
{
	FILE		*f;
	struct sbuf	 b;
	char		 buf[8192];
	size_t		 n;

	if ((f = fopen(path, "r")) == NULL) {
		fprintf(stderr, "where-diff: %s: %m\n", path);
		return NULL;
	}
	sbuf_init(&b);
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		sbuf_add(&b, buf, n);
	fclose(f);
	return b.p != NULL ? b.p : xstrdup("");
}

/* Decodes one parameter value: \| \\ \n \t; any other "\" stays. */
static char *
param_decode(const char *s, size_t n)
{
	struct sbuf	 b;
	size_t		 i;

	sbuf_init(&b);
	sbuf_add(&b, "", 0);
	for (i = 0; i < n; i++) {
		if (s[i] == '\\' && i + 1 < n && strchr("|\\nt", s[i + 1])) {
			i++;
			sbuf_addc(&b, s[i] == 'n' ? '\n' :
			    s[i] == 't' ? '\t' : s[i]);
		} else
			sbuf_addc(&b, s[i]);
	}
	return b.p;
}

static void
params_parse(struct wd_case *c, const char *s)
{
	const char	*p = s;
	size_t		 i;

	for (;;) {
		for (i = 0; p[i] != '\0' && p[i] != '|'; i++)
			if (p[i] == '\\' && p[i + 1] != '\0')
				i++;
		c->params = xrealloc(c->params,
		    (c->nparams + 1) * sizeof(*c->params));
		c->params[c->nparams++] = param_decode(p, i);
		if (p[i] == '\0')
			break;
		p += i + 1;
	}
}

/* Splits the reject part off line (cut in place). */
static int
reject_parse(struct wd_case *c, char *line)
{
	char	*m = NULL, *q;

	for (q = strstr(line, REJECT_MARK); q != NULL;
	    q = strstr(q + 1, REJECT_MARK))
		m = q;
	if (m == NULL)
		return -1;
	*m = '\0';
	m += strlen(REJECT_MARK);
	if (strncmp(m, "params: ", 8) == 0) {
		c->want_field = xstrdup("params");
		m += 8;
	} else
		c->want_field = xstrdup("where");
	c->want_msg = xstrdup(m);
	return 0;
}

static int
case_parse(struct wd_case *c, char *line, int rejects)
{
	char	*p;

	if (rejects && reject_parse(c, line) == -1)
		return -1;
	if (!rejects && strncmp(line, "~ ", 2) == 0) {
		c->deviation = 1;
		line += 2;
	}
	if ((p = strstr(line, PARAMS_MARK)) != NULL) {
		*p = '\0';
		p += strlen(PARAMS_MARK);
		params_parse(c, *p == ' ' ? p + 1 : p);
	}
	c->text = xstrdup(line);
	return 0;
}

int
wd_cases_load(const char *path, int rejects, struct wd_cases *out)
{
	char	*buf, *line, *next;
	int	 lineno = 0, rc = 0;

	memset(out, 0, sizeof(*out));
	if ((buf = wd_slurp(path)) == NULL)
		return -1;
	for (line = buf; line != NULL && *line != '\0'; line = next) {
		lineno++;
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		if (*line == '\0' || strncmp(line, "--", 2) == 0)
			continue;
		out->v = xrealloc(out->v, (out->n + 1) * sizeof(*out->v));
		memset(&out->v[out->n], 0, sizeof(out->v[0]));
		out->v[out->n].line = lineno;
		if (case_parse(&out->v[out->n], line, rejects) == -1) {
			fprintf(stderr, "%s:%d: no \"%s\" part\n", path, lineno,
			    REJECT_MARK + 1);
			rc = -1;
		}
		out->n++;
	}
	free(buf);
	return rc;
}

void
wd_cases_free(struct wd_cases *cs)
{
	size_t	 i, j;

	for (i = 0; i < cs->n; i++) {
		for (j = 0; j < cs->v[i].nparams; j++)
			free(cs->v[i].params[j]);
		free(cs->v[i].params);
		free(cs->v[i].text);
		free(cs->v[i].want_field);
		free(cs->v[i].want_msg);
	}
	free(cs->v);
	memset(cs, 0, sizeof(*cs));
}
