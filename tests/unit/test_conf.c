/*
 * Unit tests for lib/conf.c, the config reader both programs share, on a
 * small key table of our own with one field of every kind: the file
 * syntax (comments, quotes and their escapes, repeated list keys), the
 * command-line path through conf_set(), the exact "file:line:col: message"
 * of every kind of mistake, conf_clear() (ASan's leak check is the
 * assertion) and conf_dump(). Files are written to harness_tmpdir().
 */
#include "harness.h"
#include <stddef.h>

#include "leakwatch/conf.h"

struct tcfg {
	char		*name;
	int		 verbose;
	long long	 count;
	long long	 limit;
	long long	 timeout;
	struct conf_list source;
	char		*path;
};

static const struct conf_key tkeys[] = {
	{ "name", CONF_STR, offsetof(struct tcfg, name), 0, 0 },
	{ "verbose", CONF_FLAG, offsetof(struct tcfg, verbose), 0, 0 },
	{ "count", CONF_UINT, offsetof(struct tcfg, count), 1, 1000 },
	{ "limit", CONF_SIZE, offsetof(struct tcfg, limit), 1024, 16 << 20 },
	{ "timeout", CONF_DURATION, offsetof(struct tcfg, timeout), 10,
	    3600000 },
	{ "source", CONF_LIST, offsetof(struct tcfg, source), 0, 0 },
	{ "path", CONF_STR, offsetof(struct tcfg, path), 0, 0 },
	{ NULL, CONF_STR, 0, 0, 0 }
};

static char	 conf_path[512];
static int	 conf_seq;

/* Writes text to a new file in a temporary directory; returns its path. */
static const char *
write_conf(const char *text)
{
	static const char *dir;
	FILE *f;

	if (dir == NULL)
		dir = harness_tmpdir();
	snprintf(conf_path, sizeof(conf_path), "%s/t%d.conf", dir,
	    conf_seq++);
	if ((f = fopen(conf_path, "w")) == NULL)
		abort();
	fputs(text, f);
	fclose(f);
	return conf_path;
}

/* Loads text into a fresh config; returns conf_load()'s result. */
static int
load(const char *text, struct tcfg *c, char *err, size_t errlen)
{
	memset(c, 0, sizeof(*c));
	err[0] = '\0';
	return conf_load(write_conf(text), tkeys, c, err, errlen);
}

/*
 * Expects text to fail at line:col with msg, and the error to start with
 * the path so an editor can jump to it.
 */
static void
load_fails(const char *text, int line, int col, const char *msg)
{
	struct tcfg c;
	char err[1024], want[1024];

	if (load(text, &c, err, sizeof(err)) != -1) {
		FAILF("accepted: \"%s\"", text);
		conf_clear(tkeys, &c);
		return;
	}
	snprintf(want, sizeof(want), "%s:%d:%d: %s", conf_path, line, col,
	    msg);
	if (strcmp(err, want) != 0)
		FAILF("error \"%s\", expected \"%s\"", err, want);
	conf_clear(tkeys, &c);
}

static void
test_every_kind(void)
{
	struct tcfg c;
	char err[512];

	REQUIRE(load("name agent-1\n"
	    "verbose yes\n"
	    "count 42\n"
	    "limit 64K\n"
	    "timeout 1500ms\n"
	    "source jsonl:/var/log/a.jsonl\n"
	    "path /etc/x\n", &c, err, sizeof(err)) == 0);
	CHECK_STR(c.name, "agent-1");
	CHECK_INT(c.verbose, 1);
	CHECK_INT(c.count, 42);
	CHECK_INT(c.limit, 65536);
	CHECK_INT(c.timeout, 1500);
	REQUIRE(c.source.n == 1);
	CHECK_STR(c.source.v[0], "jsonl:/var/log/a.jsonl");
	CHECK_STR(c.path, "/etc/x");
	conf_clear(tkeys, &c);
}

static void
test_values(void)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };
	struct tcfg c;
	char err[256];
	size_t i;

	memset(&c, 0, sizeof(c));
	for (i = 0; i < 4; i++) {
		c.verbose = 0;
		CHECK_INT(conf_set(tkeys, &c, "verbose", yes[i], err,
		    sizeof(err)), 0);
		CHECK_INT(c.verbose, 1);
		CHECK_INT(conf_set(tkeys, &c, "verbose", no[i], err,
		    sizeof(err)), 0);
		CHECK_INT(c.verbose, 0);
	}
	CHECK_INT(conf_set(tkeys, &c, "count", "1", err, sizeof(err)), 0);
	CHECK_INT(c.count, 1);
	CHECK_INT(conf_set(tkeys, &c, "count", "1000", err, sizeof(err)), 0);
	CHECK_INT(c.count, 1000);
	CHECK_INT(conf_set(tkeys, &c, "limit", "1K", err, sizeof(err)), 0);
	CHECK_INT(c.limit, 1024);
	CHECK_INT(conf_set(tkeys, &c, "limit", "16M", err, sizeof(err)), 0);
	CHECK_INT(c.limit, 16 << 20);
	CHECK_INT(conf_set(tkeys, &c, "limit", "5000", err, sizeof(err)), 0);
	CHECK_INT(c.limit, 5000);
	CHECK_INT(conf_set(tkeys, &c, "timeout", "10ms", err, sizeof(err)),
	    0);
	CHECK_INT(c.timeout, 10);
	CHECK_INT(conf_set(tkeys, &c, "timeout", "1h", err, sizeof(err)), 0);
	CHECK_INT(c.timeout, 3600000);
	CHECK_INT(conf_set(tkeys, &c, "timeout", "2m", err, sizeof(err)), 0);
	CHECK_INT(c.timeout, 120000);
}

static void
test_comments_and_blanks(void)
{
	struct tcfg c;
	char err[512];

	REQUIRE(load("# a comment\n"
	    "\n"
	    "   \t  \n"
	    "   # indented comment\n"
	    "name a # trailing comment\n"
	    "count 7# no space before it\n"
	    "\tpath\t/x\t\n"
	    "source \"q\" # after quotes\n"
	    "source \"r\"#tight\n"
	    "#name b\n", &c, err, sizeof(err)) == 0);
	CHECK_STR(err, "");
	CHECK_STR(c.name, "a");
	CHECK_INT(c.count, 7);
	CHECK_STR(c.path, "/x");
	REQUIRE(c.source.n == 2);
	CHECK_STR(c.source.v[0], "q");
	CHECK_STR(c.source.v[1], "r");
	conf_clear(tkeys, &c);

	/* An empty file and one without a final newline are fine. */
	CHECK_INT(load("", &c, err, sizeof(err)), 0);
	CHECK_INT(load("count 9", &c, err, sizeof(err)), 0);
	CHECK_INT(c.count, 9);
}

static void
test_quotes(void)
{
	struct tcfg c;
	char err[512];

	REQUIRE(load("name \"two words\"\n"
	    "path \"say \\\"hi\\\" to C:\\\\dir\"\n"
	    "source \"# not a comment\"\n"
	    "source \"tab\there\"\n"
	    "source \"back\\slash \\n kept\"\n"
	    "\"count\" \"12\"\n", &c, err, sizeof(err)) == 0);
	CHECK_STR(c.name, "two words");
	CHECK_STR(c.path, "say \"hi\" to C:\\dir");
	REQUIRE(c.source.n == 3);
	CHECK_STR(c.source.v[0], "# not a comment");
	CHECK_STR(c.source.v[1], "tab\there");
	/* Only \" and \\ are escapes; any other backslash is kept. */
	CHECK_STR(c.source.v[2], "back\\slash \\n kept");
	CHECK_INT(c.count, 12);
	conf_clear(tkeys, &c);
}

static void
test_list_appends(void)
{
	struct tcfg c;
	char err[512];
	size_t i;

	REQUIRE(load("source a\nsource b\nname x\nsource c\n", &c, err,
	    sizeof(err)) == 0);
	REQUIRE(c.source.n == 3);
	CHECK_STR(c.source.v[0], "a");
	CHECK_STR(c.source.v[1], "b");
	CHECK_STR(c.source.v[2], "c");
	/* The command line appends to what the file gave. */
	CHECK_INT(conf_set(tkeys, &c, "source", "d", err, sizeof(err)), 0);
	REQUIRE(c.source.n == 4);
	CHECK_STR(c.source.v[3], "d");
	for (i = 0; i < 100; i++)
		CHECK_INT(conf_set(tkeys, &c, "source", "more", err,
		    sizeof(err)), 0);
	CHECK_INT(c.source.n, 104);
	conf_clear(tkeys, &c);
	CHECK_INT(c.source.n, 0);
	CHECK(c.source.v == NULL);
}

static void
test_cli_overrides(void)
{
	struct tcfg c;
	char err[512];

	REQUIRE(load("name from-file\ncount 5\nverbose no\n", &c, err,
	    sizeof(err)) == 0);
	CHECK_INT(conf_set(tkeys, &c, "name", "from-cli", err, sizeof(err)),
	    0);
	CHECK_INT(conf_set(tkeys, &c, "count", "6", err, sizeof(err)), 0);
	CHECK_INT(conf_set(tkeys, &c, "verbose", "on", err, sizeof(err)), 0);
	CHECK_STR(c.name, "from-cli");	/* old string freed: ASan */
	CHECK_INT(c.count, 6);
	CHECK_INT(c.verbose, 1);
	/* A refused value leaves the old one. */
	CHECK_INT(conf_set(tkeys, &c, "count", "0", err, sizeof(err)), -1);
	CHECK_INT(c.count, 6);
	CHECK_INT(conf_set(tkeys, &c, "name", "", err, sizeof(err)), -1);
	CHECK_STR(c.name, "from-cli");
	conf_clear(tkeys, &c);
	CHECK(c.name == NULL);
}

static void
test_set_errors(void)
{
	struct tcfg c;
	char err[256];

	memset(&c, 0, sizeof(c));
	CHECK_INT(conf_set(tkeys, &c, "colour", "blue", err, sizeof(err)), -1);
	CHECK_STR(err, "unknown key \"colour\"");
	CHECK_INT(conf_set(tkeys, &c, "verbose", "maybe", err, sizeof(err)),
	    -1);
	CHECK_STR(err, "verbose: expected yes or no");
	CHECK_INT(conf_set(tkeys, &c, "verbose", "YES", err, sizeof(err)),
	    -1);
	CHECK_INT(conf_set(tkeys, &c, "count", "1001", err, sizeof(err)), -1);
	CHECK_STR(err, "count: expected a number from 1 to 1000");
	CHECK_INT(conf_set(tkeys, &c, "count", "12abc", err, sizeof(err)),
	    -1);
	CHECK_INT(conf_set(tkeys, &c, "count", "-3", err, sizeof(err)), -1);
	CHECK_INT(conf_set(tkeys, &c, "limit", "1023", err, sizeof(err)), -1);
	CHECK_STR(err, "limit: expected a size from 1024 to 16777216 bytes "
	    "(suffix K, M, G, T)");
	CHECK_INT(conf_set(tkeys, &c, "limit", "17M", err, sizeof(err)), -1);
	CHECK_INT(conf_set(tkeys, &c, "limit", "1X", err, sizeof(err)), -1);
	CHECK_INT(conf_set(tkeys, &c, "timeout", "9ms", err, sizeof(err)),
	    -1);
	CHECK_STR(err, "timeout: expected a duration from 10ms to 3600000ms "
	    "(suffix ms, s, m, h)");
	CHECK_INT(conf_set(tkeys, &c, "timeout", "61m", err, sizeof(err)),
	    -1);
	CHECK_INT(conf_set(tkeys, &c, "timeout", "100", err, sizeof(err)),
	    -1);	/* a bare number has no unit */
	CHECK_INT(conf_set(tkeys, &c, "source", "", err, sizeof(err)), -1);
	CHECK_STR(err, "source: empty value");
	CHECK_INT(conf_set(tkeys, &c, "name", "", err, sizeof(err)), -1);
	CHECK_STR(err, "name: empty value");
	CHECK(c.name == NULL && c.source.n == 0 && c.count == 0 &&
	    c.limit == 0 && c.timeout == 0 && c.verbose == 0);
}

static void
test_err_unknown_key(void)
{
	load_fails("name a\ncolour blue\n", 2, 1, "unknown key \"colour\"");
	load_fails("name a\n\n   colour blue\n", 3, 4,
	    "unknown key \"colour\"");
	load_fails("\tcolour blue # x\n", 1, 2, "unknown key \"colour\"");
	load_fails("# c\n\"col our\" x\n", 2, 1, "unknown key \"col our\"");
	/* Keys are case-sensitive. */
	load_fails("Name a\n", 1, 1, "unknown key \"Name\"");
}

static void
test_err_bad_value(void)
{
	load_fails("count abc\n", 1, 7,
	    "count: expected a number from 1 to 1000");
	load_fails("name a\n  count    0\n", 2, 12,
	    "count: expected a number from 1 to 1000");
	load_fails("verbose perhaps\n", 1, 9, "verbose: expected yes or no");
	load_fails("verbose \"\"\n", 1, 9, "verbose: expected yes or no");
	load_fails("name \"\"\n", 1, 6, "name: empty value");
	load_fails("source\t\t\"\"\n", 1, 9, "source: empty value");
	load_fails("timeout 10\n", 1, 9, "timeout: expected a duration from "
	    "10ms to 3600000ms (suffix ms, s, m, h)");
}

static void
test_err_range(void)
{
	load_fails("limit 17M\n", 1, 7, "limit: expected a size from 1024 to "
	    "16777216 bytes (suffix K, M, G, T)");
	load_fails("limit 1023\n", 1, 7, "limit: expected a size from 1024 "
	    "to 16777216 bytes (suffix K, M, G, T)");
	load_fails("limit 99999999999999999999\n", 1, 7, "limit: expected a "
	    "size from 1024 to 16777216 bytes (suffix K, M, G, T)");
	load_fails("timeout 9ms\n", 1, 9, "timeout: expected a duration from "
	    "10ms to 3600000ms (suffix ms, s, m, h)");
	load_fails("# x\ntimeout 2h\n", 2, 9, "timeout: expected a duration "
	    "from 10ms to 3600000ms (suffix ms, s, m, h)");
	load_fails("count 1001\n", 1, 7,
	    "count: expected a number from 1 to 1000");
}

static void
test_err_missing_value(void)
{
	load_fails("count\n", 1, 1, "count: missing value");
	load_fails("name a\n   count   # none\n", 2, 4,
	    "count: missing value");
	load_fails("name a\n\tsource", 2, 2, "source: missing value");
}

static void
test_err_syntax(void)
{
	static const char syn[] = "syntax error (one key and one value per "
	    "line; quote values with spaces)";

	/* Unterminated quote: the column of the opening quote. */
	load_fails("name \"abc\n", 1, 6, syn);
	load_fails("name a\npath   \"abc \\\"\n", 2, 8, syn);
	load_fails("\"name abc\n", 1, 1, syn);
	/* Three words: the column of the third. */
	load_fails("name two words\n", 1, 10, syn);
	load_fails("name \"two words\" three\n", 1, 18, syn);
	load_fails("count 1\nname a  b # c\n", 2, 9, syn);
	/* Text glued to a closing quote. */
	load_fails("name \"a\"b\n", 1, 9, syn);
}

static void
test_err_long_line(void)
{
	static char text[8192];
	struct tcfg c;
	char err[512];

	/* A 4096-byte line is allowed, newline or not. */
	memset(text, 0, sizeof(text));
	memcpy(text, "path ", 5);
	memset(text + 5, 'p', 4091);
	CHECK_INT(load(text, &c, err, sizeof(err)), 0);
	CHECK_INT(c.path ? strlen(c.path) : 0, 4091);
	conf_clear(tkeys, &c);
	text[4096] = '\n';
	CHECK_INT(load(text, &c, err, sizeof(err)), 0);
	CHECK_STR(err, "");
	CHECK_INT(c.path ? strlen(c.path) : 0, 4091);
	conf_clear(tkeys, &c);

	/* 4097 bytes is one too many, with or without the newline. */
	memset(text, 0, sizeof(text));
	memcpy(text, "name a\npath ", 12);
	memset(text + 12, 'p', 4092);
	load_fails(text, 2, 1, "line longer than 4096 bytes");
	text[12 + 4092] = '\n';
	load_fails(text, 2, 1, "line longer than 4096 bytes");
	/* And a very long one is not read as several lines. */
	memset(text + 12, 'p', 8000);
	text[8012] = '\n';
	load_fails(text, 2, 1, "line longer than 4096 bytes");
}

static void
test_err_stops_at_first(void)
{
	struct tcfg c;
	char err[512], want[600];

	/* Loading stops at the first mistake; what came before is set. */
	REQUIRE(load("name a\ncount 0\ncolour x\n", &c, err, sizeof(err)) ==
	    -1);
	snprintf(want, sizeof(want), "%s:2:7: count: expected a number from "
	    "1 to 1000", conf_path);
	CHECK_STR(err, want);
	CHECK_STR(c.name, "a");
	conf_clear(tkeys, &c);

	/* A file that cannot be opened names itself and the reason. */
	memset(&c, 0, sizeof(c));
	CHECK_INT(conf_load("/nonexistent/leakwatch.conf", tkeys, &c, err,
	    sizeof(err)), -1);
	CHECK_STR(err, "/nonexistent/leakwatch.conf: No such file or "
	    "directory");
}

static void
test_duplicate_scalar(void)
{
	/*
	 * lib/conf.c's header promises that a duplicate scalar stops
	 * start-up, and docs/config.md lets only a list key repeat: a second
	 * "count" most likely means an edit that did not take.
	 */
	struct tcfg c;
	char err[512], want[600];

	if (load("count 1\nname a\ncount 2\n", &c, err, sizeof(err)) != -1)
		FAILF("a second \"count\" was accepted (count %lld)",
		    c.count);
	else {
		/* The wording is the fixer's; the position is not. */
		snprintf(want, sizeof(want), "%s:3:1: count", conf_path);
		CHECK(strncmp(err, want, strlen(want)) == 0);
	}
	conf_clear(tkeys, &c);
	/* The same key twice on the command line is an override. */
	memset(&c, 0, sizeof(c));
	CHECK_INT(conf_set(tkeys, &c, "count", "1", err, sizeof(err)), 0);
	CHECK_INT(conf_set(tkeys, &c, "count", "2", err, sizeof(err)), 0);
	CHECK_INT(c.count, 2);
}

static void
test_clear(void)
{
	struct tcfg c;
	char err[512];

	REQUIRE(load("name n\npath p\nsource a\nsource b\ncount 3\n", &c, err,
	    sizeof(err)) == 0);
	conf_clear(tkeys, &c);
	CHECK(c.name == NULL);
	CHECK(c.path == NULL);
	CHECK(c.source.v == NULL);
	CHECK_INT(c.source.n, 0);
	CHECK_INT(c.count, 3);		/* scalars are left alone */
	conf_clear(tkeys, &c);		/* twice is harmless */

	/* After a failed load too: what was set is freed. */
	CHECK_INT(load("name n\nsource a\nbogus x\n", &c, err, sizeof(err)),
	    -1);
	conf_clear(tkeys, &c);
	CHECK(c.name == NULL && c.source.n == 0);
}

/* conf_dump() into a string; the caller frees it. */
static char *
dump(const struct tcfg *c)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	if ((f = open_memstream(&buf, &len)) == NULL)
		abort();
	conf_dump(tkeys, c, f);
	fclose(f);
	return buf;
}

static void
test_dump(void)
{
	struct tcfg c;
	char err[512], *out;

	REQUIRE(load("name \"two words\"\nverbose on\ncount 42\nlimit 64K\n"
	    "timeout 2m\nsource a\nsource \"b c\"\n", &c, err,
	    sizeof(err)) == 0);
	out = dump(&c);
	CHECK_STR(out,
	    "name \"two words\"\n"
	    "verbose yes\n"
	    "count 42\n"
	    "limit 65536\n"
	    "timeout 120000ms\n"
	    "source \"a\"\n"
	    "source \"b c\"\n");
	free(out);
	conf_clear(tkeys, &c);

	/* Unset strings and empty lists print nothing. */
	memset(&c, 0, sizeof(c));
	out = dump(&c);
	CHECK_STR(out, "verbose no\ncount 0\nlimit 0\ntimeout 0ms\n");
	free(out);
}

static void
test_dump_reloads(void)
{
	struct tcfg c, d;
	char err[512], *out, *out2;

	/*
	 * `-t -v` prints the effective configuration in the file syntax, so
	 * it must read back as the same configuration, escapes and all.
	 */
	REQUIRE(load("name \"say \\\"hi\\\"\"\npath \"C:\\\\tmp\\\\\"\n"
	    "count 5\ntimeout 10s\nlimit 2K\nsource \"x\\\"y\"\n", &c, err,
	    sizeof(err)) == 0);
	CHECK_STR(c.name, "say \"hi\"");
	CHECK_STR(c.path, "C:\\tmp\\");
	out = dump(&c);
	memset(&d, 0, sizeof(d));
	if (conf_load(write_conf(out), tkeys, &d, err, sizeof(err)) != 0)
		FAILF("dump does not load back: %s\n---\n%s---", err, out);
	else {
		CHECK_STR(d.name, c.name);
		CHECK_STR(d.path, c.path);
		CHECK_INT(d.count, 5);
		CHECK_INT(d.timeout, 10000);
		CHECK_INT(d.limit, 2048);
		REQUIRE(d.source.n == 1);
		CHECK_STR(d.source.v[0], "x\"y");
		out2 = dump(&d);
		CHECK_STR(out2, out);
		free(out2);
	}
	free(out);
	conf_clear(tkeys, &c);
	conf_clear(tkeys, &d);
}

static const struct test tests[] = {
	{ "every_kind", test_every_kind },
	{ "values", test_values },
	{ "comments_and_blanks", test_comments_and_blanks },
	{ "quotes", test_quotes },
	{ "list_appends", test_list_appends },
	{ "cli_overrides", test_cli_overrides },
	{ "set_errors", test_set_errors },
	{ "err_unknown_key", test_err_unknown_key },
	{ "err_bad_value", test_err_bad_value },
	{ "err_range", test_err_range },
	{ "err_missing_value", test_err_missing_value },
	{ "err_syntax", test_err_syntax },
	{ "err_long_line", test_err_long_line },
	{ "err_stops_at_first", test_err_stops_at_first },
	{ "duplicate_scalar", test_duplicate_scalar },
	{ "clear", test_clear },
	{ "dump", test_dump },
	{ "dump_reloads", test_dump_reloads },
};

HARNESS_MAIN(tests)
