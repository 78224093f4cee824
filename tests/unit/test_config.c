/*
 * Tests of both programs' configuration tables: every key is documented
 * in docs/config.md, the shipped examples in etc/ load cleanly, defaults
 * are what the documentation says, and the cross-key checks refuse the
 * combinations they should.
 */
#include <getopt.h>
#include <stdarg.h>

#include "harness.h"
#include "../../agent/agent.h"
#include "../../collector/config.h"

static char *
slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf;
	long n;

	if (f == NULL)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = calloc(1, (size_t)n + 1);
	if (fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	return buf;
}

static void
keys_documented(const struct conf_key *keys)
{
	char *doc = slurp("docs/config.md"), pat[128];

	REQUIRE(doc != NULL);
	for (; keys->name != NULL; keys++) {
		snprintf(pat, sizeof(pat), "| `%s` |", keys->name);
		if (strstr(doc, pat) == NULL)
			FAILF("key \"%s\" has no row in docs/config.md",
			    keys->name);
	}
	free(doc);
}

static void
test_collector_keys_documented(void)
{
	keys_documented(collector_keys);
}

static void
test_agent_keys_documented(void)
{
	keys_documented(agent_keys);
}

static void
test_collector_example_loads(void)
{
	struct collector_config c;
	char err[512];

	memset(&c, 0, sizeof(c));
	config_defaults(&c);
	CHECK_INT(conf_load("etc/collector.conf", collector_keys, &c, err,
	    sizeof(err)), 0);
	CHECK_STR(c.listen, "0.0.0.0:7800");
	CHECK_STR(c.tls_client_ca, "/etc/leakwatch/pki/ca.crt");
	CHECK_INT(config_check(&c, err, sizeof(err)), 0);
	conf_clear(collector_keys, &c);
}

static void
test_agent_example_loads(void)
{
	struct agent_config c;
	char err[512];

	memset(&c, 0, sizeof(c));
	agent_config_defaults(&c);
	CHECK_INT(conf_load("etc/agent.conf", agent_keys, &c, err,
	    sizeof(err)), 0);
	CHECK_INT(c.sources.n, 1);
	CHECK_STR(c.sources.v[0], "jsonl:/var/log/app/leakwatch-events.jsonl");
	CHECK_INT(agent_config_check(&c, err, sizeof(err)), 0);
	conf_clear(agent_keys, &c);
}

static void
test_documented_defaults(void)
{
	struct collector_config c;
	struct agent_config a;

	memset(&c, 0, sizeof(c));
	config_defaults(&c);
	CHECK_INT(c.max_frame, 1 << 20);
	CHECK_INT(c.read_buffer, 4 << 20);
	CHECK_INT(c.idle_timeout, 90000);
	CHECK_INT(c.hello_timeout, 10000);
	CHECK_INT(c.commit_events, 2000);
	CHECK_INT(c.commit_interval, 50);
	memset(&a, 0, sizeof(a));
	agent_config_defaults(&a);
	CHECK_INT(a.spool_max, 1LL << 30);
	CHECK_INT(a.spool_segment, 16 << 20);
	CHECK_INT(a.heartbeat, 10000);
	CHECK_INT(a.backoff_min, 500);
	CHECK_INT(a.backoff_max, 30000);
	CHECK_INT(a.window, 50000);
}

static void
test_collector_checks(void)
{
	struct collector_config c;
	char err[512];

	memset(&c, 0, sizeof(c));
	config_defaults(&c);
	CHECK_INT(config_check(&c, err, sizeof(err)), -1);
	CHECK_STR(err, "listen: not set");
	conf_set(collector_keys, &c, "listen", "127.0.0.1:1", err, 512);
	conf_set(collector_keys, &c, "db", "/tmp/x.db", err, 512);
	CHECK_INT(config_check(&c, err, sizeof(err)), -1);
	CHECK_CONTAINS(err, "tls-cert and tls-key are required");
	conf_set(collector_keys, &c, "tls-cert", "a", err, 512);
	conf_set(collector_keys, &c, "tls-key", "b", err, 512);
	CHECK_INT(config_check(&c, err, sizeof(err)), -1);
	CHECK_CONTAINS(err, "no way to authenticate agents");
	conf_set(collector_keys, &c, "agent-secrets", "s", err, 512);
	CHECK_INT(config_check(&c, err, sizeof(err)), 0);
	conf_set(collector_keys, &c, "max-frame", "8M", err, 512);
	CHECK_INT(config_check(&c, err, sizeof(err)), -1);
	CHECK_CONTAINS(err, "read-buffer");
	conf_set(collector_keys, &c, "insecure", "yes", err, 512);
	CHECK_INT(config_check(&c, err, sizeof(err)), -1);
	CHECK_CONTAINS(err, "insecure: plaintext, but");
	conf_clear(collector_keys, &c);

	/* insecure only on loopback. */
	memset(&c, 0, sizeof(c));
	config_defaults(&c);
	conf_set(collector_keys, &c, "db", "/tmp/x.db", err, 512);
	conf_set(collector_keys, &c, "insecure", "yes", err, 512);
	conf_set(collector_keys, &c, "listen", "0.0.0.0:7000", err, 512);
	CHECK_INT(config_check(&c, err, sizeof(err)), -1);
	CHECK_STR(err, "insecure: plaintext is for tests on loopback only, "
	    "but listen is 0.0.0.0:7000");
	conf_set(collector_keys, &c, "listen", "10.1.2.3:7000", err, 512);
	CHECK_INT(config_check(&c, err, sizeof(err)), -1);
	conf_set(collector_keys, &c, "listen", "[::1]:7000", err, 512);
	CHECK_INT(config_check(&c, err, sizeof(err)), 0);
	conf_set(collector_keys, &c, "listen", "127.0.0.2:7000", err, 512);
	CHECK_INT(config_check(&c, err, sizeof(err)), 0);
	conf_set(collector_keys, &c, "listen", "localhost:7000", err, 512);
	CHECK_INT(config_check(&c, err, sizeof(err)), 0);
	conf_set(collector_keys, &c, "listen", "*:7000", err, 512);
	CHECK_INT(config_check(&c, err, sizeof(err)), -1);
	conf_clear(collector_keys, &c);

	/* A CRL needs the CA it revokes for. */
	memset(&c, 0, sizeof(c));
	config_defaults(&c);
	conf_set(collector_keys, &c, "db", "/tmp/x.db", err, 512);
	conf_set(collector_keys, &c, "listen", "127.0.0.1:1", err, 512);
	conf_set(collector_keys, &c, "tls-cert", "a", err, 512);
	conf_set(collector_keys, &c, "tls-key", "b", err, 512);
	conf_set(collector_keys, &c, "agent-secrets", "s", err, 512);
	conf_set(collector_keys, &c, "tls-client-crl", "r.pem", err, 512);
	CHECK_INT(config_check(&c, err, sizeof(err)), -1);
	CHECK_STR(err, "tls-client-crl: needs tls-client-ca");
	conf_clear(collector_keys, &c);
}

static void
test_agent_checks(void)
{
	struct agent_config c;
	char err[512];

	memset(&c, 0, sizeof(c));
	agent_config_defaults(&c);
	conf_set(agent_keys, &c, "collector", "h:1", err, 512);
	conf_set(agent_keys, &c, "spool", "/tmp/s", err, 512);
	CHECK_INT(agent_config_check(&c, err, sizeof(err)), -1);
	CHECK_STR(err, "source: none configured");
	conf_set(agent_keys, &c, "source", "jsonl:-", err, 512);
	CHECK_INT(agent_config_check(&c, err, sizeof(err)), -1);
	CHECK_CONTAINS(err, "tls-ca is required");
	conf_set(agent_keys, &c, "tls-ca", "ca", err, 512);
	CHECK_INT(agent_config_check(&c, err, sizeof(err)), -1);
	CHECK_CONTAINS(err, "no credential");
	conf_set(agent_keys, &c, "tls-cert", "c", err, 512);
	CHECK_INT(agent_config_check(&c, err, sizeof(err)), -1);
	CHECK_CONTAINS(err, "tls-cert and tls-key go together");
	conf_set(agent_keys, &c, "tls-key", "k", err, 512);
	CHECK_INT(agent_config_check(&c, err, sizeof(err)), 0);
	conf_set(agent_keys, &c, "spool-max", "16M", err, 512);
	CHECK_INT(agent_config_check(&c, err, sizeof(err)), -1);
	CHECK_CONTAINS(err, "two spool-segment");
	conf_clear(agent_keys, &c);
}

/*
 * getopt_long() over conf_options(collector_keys): what each command line
 * sets, or the first error's return; opterr stays 0 so the test's output
 * holds no getopt messages.
 */
static int
parse_cmdline(struct collector_config *c, int argc, char **argv)
{
	struct option *o;
	char err[512];
	int ch, li, rc = 0;

	o = conf_options(NULL, collector_keys, 1000);
	optind = 0;
	opterr = 0;
	while (rc == 0 && (ch = conf_getopt(argc, argv, "t", o, &li)) != -1) {
		if (ch == '?' || ch == ':')
			rc = ch;
		else if (ch >= 1000 && conf_set(collector_keys, c,
		    o[li].name, optarg != NULL ? optarg : "yes", err,
		    sizeof(err)) != 0)
			rc = -1;
	}
	free(o);
	return rc;
}

/* parse_cmdline() over a NULL-terminated list of words after "x". */
static int
cmdline(struct collector_config *c, ...)
{
	char words[16][64], *argv[17];
	const char *w;
	va_list ap;
	int n = 0, rc;

	snprintf(words[0], sizeof(words[0]), "x");
	argv[n] = words[n];
	n++;
	va_start(ap, c);
	while ((w = va_arg(ap, const char *)) != NULL && n < 16) {
		/* argv strings are writable in a real main(): copy them */
		snprintf(words[n], sizeof(words[n]), "%s", w);
		argv[n] = words[n];
		n++;
	}
	va_end(ap);
	argv[n] = NULL;
	memset(c, 0, sizeof(*c));
	config_defaults(c);
	rc = parse_cmdline(c, n, argv);
	return rc;
}

/*
 * The command line reaches the same keys: --k v, --k=v, bare flags, a
 * value that looks like an option; unknown keys, abbreviations, missing
 * and bad values are errors.
 */
static void
test_command_line(void)
{
	struct collector_config c;

	CHECK_INT(cmdline(&c, "--listen", "127.0.0.1:9", "--db=/tmp/a.db",
	    "--insecure", "--max-frame", "2M", "--db-sync-full=no", "-t",
	    "--rules", "-", NULL), 0);
	CHECK_STR(c.listen, "127.0.0.1:9");
	CHECK_STR(c.db, "/tmp/a.db");
	CHECK_INT(c.insecure, 1);
	CHECK_INT(c.max_frame, 2 << 20);
	CHECK_INT(c.db_sync_full, 0);
	CHECK_STR(c.rules, "-");
	conf_clear(collector_keys, &c);

	CHECK_INT(cmdline(&c, "--db", "a.db", "--colour", "red", NULL), '?');
	conf_clear(collector_keys, &c);
	/* getopt_long() alone would take "--list" for "--listen" */
	CHECK_INT(cmdline(&c, "--list", "127.0.0.1:9", NULL), '?');
	CHECK(c.listen == NULL);
	conf_clear(collector_keys, &c);
	CHECK_INT(cmdline(&c, "--list=127.0.0.1:9", NULL), '?');
	CHECK(c.listen == NULL);
	conf_clear(collector_keys, &c);
	CHECK_INT(cmdline(&c, "--insec", NULL), '?');
	CHECK_INT(c.insecure, 0);
	conf_clear(collector_keys, &c);
	CHECK_INT(cmdline(&c, "--commit-events", NULL), '?');
	conf_clear(collector_keys, &c);
	CHECK_INT(cmdline(&c, "--commit-events", "many", NULL), -1);
	conf_clear(collector_keys, &c);
	CHECK_INT(cmdline(&c, "--insecure=maybe", NULL), -1);
	conf_clear(collector_keys, &c);
}

static const struct test tests[] = {
	{ "command_line", test_command_line },
	{ "collector_keys_documented", test_collector_keys_documented },
	{ "agent_keys_documented", test_agent_keys_documented },
	{ "collector_example_loads", test_collector_example_loads },
	{ "agent_example_loads", test_agent_example_loads },
	{ "documented_defaults", test_documented_defaults },
	{ "collector_checks", test_collector_checks },
	{ "agent_checks", test_agent_checks },
};

HARNESS_MAIN(tests)
