/*
 * log_line_prefix inference for the pgaudit (stderr) log format. The
 * stderr log has no field separators: decode-pglog.c reads each line's
 * session (time, pid, user, database, client) through log_line_prefix,
 * and a log-line-prefix that differs from the server's decodes nothing.
 * When a line that is surely a session's (a pgaudit record, a
 * connection) is not decoded by the configured prefix, the text the
 * server wrote before the line's severity is read back here into a
 * log_line_prefix:
 *
 *   2026-12-01 09:14:02.118 UTC   %m (with milliseconds), %t (without),
 *                                 a second one %s; 1764580442.118 %n
 *   17955                         a number: %p, then %l, then %x
 *                                 (pgbadger's "[%l-1]" keeps its 1)
 *   6567a1b2.4a2c  3/17  00000    %c (session id), %v, %e (SQLSTATE)
 *   127.0.0.1(50892)              %r; an address without a port %h,
 *                                 [local] %h (the caller settles %h
 *                                 or %r from a line with an address)
 *   alice@crm                     %u@%d
 *   user=alice,db=crm,app=psql    %u, %d, %a, %h, ... by the key
 *   psql                          a bare word: %u, %d, %a, %h in that
 *                                 order, or %a, %h after a user@db
 *
 * and punctuation and spaces are the literal text between the escapes.
 * A letter or a digit is never literal (but a key before its "=" and
 * the 1 of "[%l-1]"), so an inferred prefix holds no value of the line
 * and can be logged. %q cannot be seen (it only cuts lines of processes
 * without a session) and is not guessed. decode-pglog.c checks that an
 * inferred prefix decodes the line it came from before using it; one
 * line cannot tell an application name with spaces from two fields,
 * which is why the caller keeps a prefix only while it decodes lines
 * and infers again from a session's line that none decodes.
 *
 * It is not a log parser: it sees one prefix text and returns a format
 * or the reason there is none.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "agent.h"

#define SCAN_MAX	4096	/* a pgaudit record starts this early */
#define SEVERITY_MAX	16	/* bytes of a severity word */

struct infer {
	char		*out;
	size_t		 len;
	size_t		 cap;
	const char	*why;		/* set on the first failure */
	int		 stamps;	/* time stamps seen */
	int		 numbers;	/* bare numbers seen */
	int		 words;		/* bare words seen */
	int		 userdb;	/* a user@db seen */
	long		 local_at;	/* where a "[local]" put its escape */
};

/*
 * Where the severity begins in a stderr log line that is surely a
 * session's: a pgaudit record ("... LOG:  AUDIT: SESSION,1,1,READ,...",
 * *audit set), a connection authorized or ended. -1 when the line shows
 * none of them in its first SCAN_MAX bytes. The severity is the word
 * (upper-case letters, or the bytes of a translated one) just before
 * the marker's colon.
 */
long
pglog_anchor_at(const char *line, size_t len, int *audit)
{
	static const struct {
		const char	*mark;
		int		 audit;
	} marks[] = {
		{ ":  AUDIT: SESSION,", 1 },
		{ ":  AUDIT: OBJECT,", 1 },
		{ ":  connection authorized: user=", 0 },
		{ ":  disconnection: session time: ", 0 },
	};
	size_t i, n, k, b;

	*audit = 0;
	if (len > SCAN_MAX)
		len = SCAN_MAX;
	for (i = 1; i < len; i++) {
		if (line[i] != ':')
			continue;
		for (k = 0; k < sizeof(marks) / sizeof(marks[0]); k++) {
			n = strlen(marks[k].mark);
			if (len - i >= n &&
			    memcmp(line + i, marks[k].mark, n) == 0)
				break;
		}
		if (k == sizeof(marks) / sizeof(marks[0]))
			continue;
		b = i;
		while (b > 0 && i - b < SEVERITY_MAX &&
		    (isupper((unsigned char)line[b - 1]) ||
		    (unsigned char)line[b - 1] >= 0x80))
			b--;
		if (b == i)
			return -1;
		*audit = marks[k].audit;
		return (long)b;
	}
	return -1;
}

static void
emit(struct infer *f, const char *s)
{
	size_t n = strlen(s);

	if (f->why != NULL)
		return;
	if (f->len + n >= f->cap) {
		f->why = "the prefix is too long";
		return;
	}
	memcpy(f->out + f->len, s, n + 1);
	f->len += n;
}

static void
fail(struct infer *f, const char *why)
{
	if (f->why == NULL)
		f->why = why;
}

static int
is_word_start(unsigned char c)
{
	return isalnum(c) || c == '_' || c == '$' || c >= 0x80;
}

static int
is_word(unsigned char c)
{
	return is_word_start(c) || c == '.' || c == '-';
}

/* Is s[i] the end of a token: the text's end, or not a letter/digit? */
static int
bounded(const char *s, size_t len, size_t i)
{
	return i >= len || !isalnum((unsigned char)s[i]);
}

/* n digits at s[i..]; returns the index after them or 0. */
static size_t
ndigits(const char *s, size_t len, size_t i, size_t n)
{
	size_t k;

	for (k = 0; k < n; k++, i++)
		if (i >= len || !isdigit((unsigned char)s[i]))
			return 0;
	return i;
}

/* A run of 1..max digits at s[i..]: the index after it or 0. */
static size_t
digit_run(const char *s, size_t len, size_t i, size_t max)
{
	size_t b = i;

	while (i < len && i - b < max && isdigit((unsigned char)s[i]))
		i++;
	return i > b ? i : 0;
}

/*
 * "2026-12-01 09:14:02.118 UTC" (%m) or without ".118" (%t, %s): the
 * bytes it takes, 0 if none. *ms says whether it had milliseconds. The
 * zone is PostgreSQL's abbreviation ("UTC", "CET", "+07").
 */
static size_t
stamp_len(const char *s, size_t len, int *ms)
{
	size_t i, z;

	if ((i = ndigits(s, len, 0, 4)) == 0 || i >= len || s[i] != '-' ||
	    (i = ndigits(s, len, i + 1, 2)) == 0 || i >= len ||
	    s[i] != '-' || (i = ndigits(s, len, i + 1, 2)) == 0 ||
	    i >= len || s[i] != ' ' ||
	    (i = ndigits(s, len, i + 1, 2)) == 0 || i >= len ||
	    s[i] != ':' || (i = ndigits(s, len, i + 1, 2)) == 0 ||
	    i >= len || s[i] != ':' || (i = ndigits(s, len, i + 1, 2)) == 0)
		return 0;
	*ms = 0;
	if (i < len && s[i] == '.') {
		if ((i = ndigits(s, len, i + 1, 3)) == 0 || !bounded(s, len, i))
			return 0;
		*ms = 1;
	}
	if (i >= len || s[i] != ' ')
		return 0;
	z = ++i;
	while (i < len && (isalnum((unsigned char)s[i]) || s[i] == '+' ||
	    s[i] == '-' || s[i] == ':'))
		i++;
	return i > z ? i : 0;
}

/*
 * Two numbers joined by sep, then a boundary: the bytes they take, or 0.
 * digits is ndigits() (exactly a, b digits) or digit_run() (1..a, 1..b).
 */
static size_t
number_pair_len(const char *s, size_t len, size_t (*digits)(const char *,
    size_t, size_t, size_t), size_t a, char sep, size_t b)
{
	size_t i;

	if ((i = digits(s, len, 0, a)) == 0 || i >= len || s[i] != sep ||
	    (i = digits(s, len, i + 1, b)) == 0 || !bounded(s, len, i))
		return 0;
	return i;
}

/* "1764580442.118" (%n): seconds and milliseconds since the epoch. */
static size_t
epoch_len(const char *s, size_t len)
{
	return number_pair_len(s, len, ndigits, 10, '.', 3);
}

/* "6567a1b2.4a2c" (%c): the session's start and pid, in hex. */
static size_t
session_len(const char *s, size_t len)
{
	size_t i = 0, b;

	while (i < len && i < 8 && isxdigit((unsigned char)s[i]))
		i++;
	if (i != 8 || i >= len || s[i] != '.')
		return 0;
	b = ++i;
	while (i < len && i - b < 8 && isxdigit((unsigned char)s[i]))
		i++;
	return i > b && bounded(s, len, i) && (i >= len || s[i] != '.') ?
	    i : 0;
}

/* "(50892)" after an address: its length, 0 if none. */
static size_t
port_len(const char *s, size_t len, size_t i)
{
	size_t e;

	if (i >= len || s[i] != '(' || (e = digit_run(s, len, i + 1, 5)) == 0 ||
	    e >= len || s[e] != ')')
		return 0;
	return e + 1 - i;
}

/*
 * A client address: "127.0.0.1", "::1", "2001:db8::7" or "[local]",
 * with "(port)" (%r) or without (%h). Returns its length; *esc gets
 * the escape.
 */
static size_t
address_len(const char *s, size_t len, const char **esc)
{
	size_t i = 0, p, k, colons = 0;

	if (len >= 7 && memcmp(s, "[local]", 7) == 0) {
		*esc = "%h";	/* or %r: the caller's to settle */
		return 7;
	}
	for (k = 0; k < 4; k++) {
		if ((i = digit_run(s, len, i, 3)) == 0)
			break;
		if (k < 3) {
			if (i >= len || s[i] != '.')
				break;
			i++;
		}
	}
	if (k < 4 || !bounded(s, len, i) || (i < len && s[i] == '.')) {
		/* IPv6: hex digits and at least two colons. */
		i = 0;
		while (i < len && (isxdigit((unsigned char)s[i]) ||
		    s[i] == ':'))
			colons += s[i++] == ':';
		if (colons < 2 || !bounded(s, len, i) ||
		    (i < len && (s[i] == '.' || s[i] == ':')))
			return 0;
	}
	p = port_len(s, len, i);
	*esc = p > 0 ? "%r" : "%h";
	return i + p;
}

/* "3/17" (%v): a virtual transaction id. */
static size_t
vxid_len(const char *s, size_t len)
{
	return number_pair_len(s, len, digit_run, 10, '/', 20);
}

/* "00000", "42P01" (%e): five digits or capitals, not a pid. */
static size_t
sqlstate_len(const char *s, size_t len)
{
	int letters = 0, digits = 0;
	size_t i;

	if (len < 5 || !bounded(s, len, 5))
		return 0;
	for (i = 0; i < 5; i++) {
		if (isdigit((unsigned char)s[i]))
			digits++;
		else if (isupper((unsigned char)s[i]))
			letters++;
		else
			return 0;
	}
	if (letters == 0 && s[0] != '0')
		return 0;	/* a number: a pid, most likely */
	return digits > 0 ? 5 : 0;
}

/* A word (an application, user or database name) or "[unknown]". */
static size_t
word_len(const char *s, size_t len)
{
	size_t i = 0;

	if (len >= 9 && memcmp(s, "[unknown]", 9) == 0)
		return 9;
	if (len == 0 || !is_word_start((unsigned char)s[0]))
		return 0;
	while (i < len && is_word((unsigned char)s[i]))
		i++;
	/* A dot or dash that ends the word is punctuation after it. */
	while (i > 1 && (s[i - 1] == '.' || s[i - 1] == '-'))
		i--;
	return i;
}

/* "alice@crm" (%u@%d): its length, 0 if none. */
static size_t
userdb_len(const char *s, size_t len)
{
	size_t u, d;

	if ((u = word_len(s, len)) == 0 || u >= len || s[u] != '@' ||
	    (d = word_len(s + u + 1, len - u - 1)) == 0)
		return 0;
	return u + 1 + d;
}

/* The escape a "key=" names, or NULL. */
static const char *
key_escape(const char *k, size_t n)
{
	static const struct {
		const char	*key;
		const char	*esc;
	} keys[] = {
		{ "user", "%u" }, { "usr", "%u" }, { "u", "%u" },
		{ "db", "%d" }, { "database", "%d" }, { "dbname", "%d" },
		{ "app", "%a" }, { "application", "%a" }, { "appname", "%a" },
		{ "application_name", "%a" },
		{ "client", "%h" }, { "host", "%h" }, { "remote", "%h" },
		{ "remote_host", "%h" }, { "ip", "%h" },
		{ "pid", "%p" }, { "process", "%p" },
		{ "session", "%c" }, { "sess", "%c" }, { "session_id", "%c" },
		{ "line", "%l" }, { "xid", "%x" }, { "tx", "%x" },
		{ "vxid", "%v" }, { "vtx", "%v" },
		{ "sqlstate", "%e" }, { "state", "%e" }, { "err", "%e" },
		{ "code", "%e" },
	};
	size_t i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (strlen(keys[i].key) == n &&
		    strncasecmp(keys[i].key, k, n) == 0)
			return keys[i].esc;
	return NULL;
}

/*
 * "key=value" at s: the key stays literal, the value becomes the
 * key's escape (a client with a port: %r). Returns the bytes taken.
 */
static size_t
keyvalue(struct infer *f, const char *s, size_t len)
{
	const char *esc, *aesc;
	char key[40];
	size_t k = 0, v;

	while (k < len && (isalpha((unsigned char)s[k]) || s[k] == '_'))
		k++;
	if (k == 0 || k >= len || s[k] != '=' || k >= sizeof(key) - 1 ||
	    (esc = key_escape(s, k)) == NULL)
		return 0;
	memcpy(key, s, k);
	key[k] = '=';
	key[k + 1] = '\0';
	emit(f, key);
	s += k + 1;
	len -= k + 1;
	if (strcmp(esc, "%h") == 0 && (v = address_len(s, len, &aesc)) > 0)
		esc = aesc;
	else if ((v = word_len(s, len)) == 0)
		return k + 1;	/* an empty value: the next one goes on */
	emit(f, esc);
	if (strcmp(esc, "%u") == 0 || strcmp(esc, "%d") == 0)
		f->userdb = 1;
	return k + 1 + v;
}

/*
 * A bare number: the pid first, then the log line, then the xid. The
 * "-1" of pgbadger's "[%l-1]" (a syslog leftover) stays literal.
 */
static void
number(struct infer *f, const char *s, size_t n)
{
	static const char *const order[] = { "%p", "%l", "%x" };

	if (n == 1 && s[0] == '1' && f->len >= 3 &&
	    strcmp(f->out + f->len - 3, "%l-") == 0) {
		emit(f, "1");
		return;
	}
	if (f->numbers >= 3) {
		fail(f, "more numbers than %p, %l and %x");
		return;
	}
	emit(f, order[f->numbers++]);
}

/* A bare word: user, database, application, host (after user@db:
 * application, host). */
static void
word(struct infer *f)
{
	static const char *const plain[] = { "%u", "%d", "%a", "%h" };
	static const char *const after[] = { "%a", "%h" };

	if (f->userdb) {
		if (f->words >= 2) {
			fail(f, "more words than an application and a host");
			return;
		}
		emit(f, after[f->words++]);
		return;
	}
	if (f->words >= 4) {
		fail(f, "more words than a user, a database, an application "
		    "and a host");
		return;
	}
	emit(f, plain[f->words++]);
}

/* One token at s; returns the bytes taken (at least one unless failed). */
static size_t
token(struct infer *f, const char *s, size_t len)
{
	const char *esc;
	char lit[3];
	size_t n;
	int ms;

	if ((n = stamp_len(s, len, &ms)) > 0) {
		if (f->stamps >= 2 || (f->stamps == 1 && ms)) {
			fail(f, "a time stamp the prefix cannot hold");
			return 0;
		}
		emit(f, f->stamps++ == 0 ? (ms ? "%m" : "%t") : "%s");
		return n;
	}
	if ((n = epoch_len(s, len)) > 0) {
		emit(f, "%n");
		f->stamps++;
		return n;
	}
	if ((n = session_len(s, len)) > 0) {
		emit(f, "%c");
		return n;
	}
	if ((n = address_len(s, len, &esc)) > 0) {
		if (n == 7 && s[0] == '[' && f->local_at < 0)
			f->local_at = (long)f->len + 1;
		emit(f, esc);
		return n;
	}
	if ((n = vxid_len(s, len)) > 0) {
		emit(f, "%v");
		return n;
	}
	if ((n = sqlstate_len(s, len)) > 0) {
		emit(f, "%e");
		return n;
	}
	if (isdigit((unsigned char)s[0]) &&
	    (n = digit_run(s, len, 0, 20)) > 0 && bounded(s, len, n)) {
		number(f, s, n);
		return n;
	}
	if ((n = keyvalue(f, s, len)) > 0)
		return n;
	if ((n = userdb_len(s, len)) > 0) {
		emit(f, "%u@%d");
		f->userdb = 1;
		return n;
	}
	if ((n = word_len(s, len)) > 0) {
		word(f);
		return n;
	}
	if (s[0] == '%') {
		emit(f, "%%");
		return 1;
	}
	if ((ispunct((unsigned char)s[0]) && s[0] != '@') || s[0] == ' ' ||
	    s[0] == '\t') {
		lit[0] = s[0];
		lit[1] = '\0';
		emit(f, lit);
		return 1;
	}
	fail(f, "a character the prefix cannot hold");
	return 0;
}

/*
 * Reads text[0..len) - what the server wrote before a line's severity -
 * back into a log_line_prefix, written to out (outlen bytes). Returns 0,
 * or -1 with *why saying what could not be read. A prefix without a
 * time stamp is refused: the events need the time. *local_at is where
 * in out the letter of the escape read from "[local]" is (%h here; %r
 * prints it alike, so a line with an address settles it), or -1.
 */
int
pglog_prefix_infer(const char *text, size_t len, char *out, size_t outlen,
    long *local_at, const char **why)
{
	struct infer f;
	size_t i = 0, n;

	memset(&f, 0, sizeof(f));
	f.out = out;
	f.cap = outlen;
	f.local_at = -1;
	*local_at = -1;
	if (outlen == 0) {
		*why = "no room";
		return -1;
	}
	out[0] = '\0';
	while (i < len && f.why == NULL) {
		if ((n = token(&f, text + i, len - i)) == 0)
			break;
		i += n;
	}
	if (f.why == NULL && f.stamps == 0)
		f.why = "no time stamp (%m, %t or %n) before the severity";
	if (f.why == NULL && f.len == 0)
		f.why = "nothing before the severity";
	if (f.why != NULL) {
		*why = f.why;
		out[0] = '\0';
		return -1;
	}
	*local_at = f.local_at;
	return 0;
}
