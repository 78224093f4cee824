/*
 * One stderr line of a PostgreSQL log against a log_line_prefix: the
 * escapes' values (user, database, application, pid, client, time,
 * SQLSTATE) read into a struct pgl_rec, the client written as the wire
 * decoder writes it, and where the severity starts. decode-pglog.c
 * decides which prefix to try and what the message means; this file
 * only matches, and keeps nothing.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "agent.h"
#include "decode-pglog.h"

/*
 * stderr: matches log_line_prefix against the line. Each escape's value
 * runs to the literal text that follows it in the prefix (timestamps,
 * pids and %r by their own syntax); %q ends the prefix of lines from
 * processes without a session, which are then not ours. Values are
 * written NUL-terminated into w. Returns the offset of the message, or
 * -1 when the line does not match.
 */
long
pglog_match_prefix(const char *prefix, const char *line, size_t len,
    struct pgl_rec *r, char *w)
{
	const char *f = prefix, *lit;
	size_t i = 0, litlen, vb, ve;
	const char **dst;
	char esc;

	while (*f != '\0') {
		if (*f != '%') {
			if (i >= len || line[i] != *f)
				return -1;
			i++;
			f++;
			continue;
		}
		esc = f[1];
		if (esc == '\0')
			return -1;
		f += 2;
		if (esc == '%') {
			if (i >= len || line[i] != '%')
				return -1;
			i++;
			continue;
		}
		if (esc == 'q')
			continue;
		/* The literal run after this escape. */
		lit = f;
		while (*f != '\0' && *f != '%')
			f++;
		litlen = (size_t)(f - lit);
		f = lit;
		vb = i;
		if (esc == 'm' || esc == 't' || esc == 's') {
			/* "2026-11-30 15:53:17.226 UTC": two spaces in. */
			int sp = 0;

			while (i < len && !(line[i] == ' ' && ++sp == 3))
				i++;
			if (sp < 2 && i >= len)
				return -1;
		} else if (esc == 'p' || esc == 'l' || esc == 'x' ||
		    esc == 'P' || esc == 'n') {
			while (i < len && (isdigit((unsigned char)line[i]) ||
			    line[i] == '.'))
				i++;
		} else if (litlen == 0) {
			while (i < len && line[i] != ' ')
				i++;
		} else {
			while (i + litlen <= len &&
			    memcmp(line + i, lit, litlen) != 0)
				i++;
			if (i + litlen > len)
				return -1;
		}
		ve = i;
		dst = NULL;
		switch (esc) {
		case 'u':
			dst = &r->user;
			break;
		case 'd':
			dst = &r->db;
			break;
		case 'a':
			dst = &r->app;
			break;
		case 'p':
			dst = &r->pid;
			break;
		case 'e':
			dst = &r->sqlstate;
			break;
		case 'r':
		case 'h':
			dst = &r->client;
			break;
		case 'm':
		case 't':
			if (dblog_ts(line + vb, ve - vb, 0, &r->ts_us) != 0)
				return -1;
			break;
		default:
			break;
		}
		if (dst != NULL) {
			memcpy(w, line + vb, ve - vb);
			w[ve - vb] = '\0';
			*dst = w;
			w += ve - vb + 1;
		}
	}
	return (long)i;
}

/*
 * The client as the wire decoder writes it: "ip:port", "[v6]:port".
 * From %r "127.0.0.1(50892)" or "::1(50892)", csvlog's "::1:50892",
 * "[local]" (the Unix socket: no client); a bare host stays as it is.
 */
void
pglog_fix_client(const char *c, char *out, size_t len)
{
	const char *p, *e;
	size_t hl;

	out[0] = '\0';
	if (*c == '\0' || strcmp(c, "[local]") == 0)
		return;
	if ((p = strchr(c, '(')) != NULL) {
		hl = (size_t)(p - c);
		e = strchr(p, ')');
		p++;
	} else if ((p = strrchr(c, ':')) != NULL) {
		hl = (size_t)(p - c);
		e = NULL;
		p++;
	} else {
		snprintf(out, len, "%s", c);
		return;
	}
	snprintf(out, len, memchr(c, ':', hl) != NULL ? "[%.*s]:%.*s" :
	    "%.*s:%.*s", (int)hl, c, (int)(e != NULL ? (size_t)(e - p) :
	    strlen(p)), p);
}

void
pglog_rec_defaults(struct pgl_rec *r)
{
	memset(r, 0, sizeof(*r));
	r->user = r->db = r->app = r->pid = r->client = r->severity = "";
	r->sqlstate = r->message = "";
}

/*
 * "LOG:  message": the length of the severity before the colon, 0 when
 * the text does not start with one. A prefix that does not fit the line
 * leaves values in front of the severity, and they hold a space.
 */
size_t
pglog_severity_len(const char *m)
{
	size_t n = strcspn(m, ": ");

	return m[n] == ':' && n > 0 && n <= 16 ? n : 0;
}
