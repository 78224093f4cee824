/*
 * leakwatch-ctl: the operator's routine on the collector host, without
 * touching SQL by hand. It reads the collector's configuration (the same
 * file and keys as leakwatch-collector) and works on its database and its
 * agent-secrets file:
 *
 *   agents            every agent the collector has met and its health
 *   secret-issue      a new per-agent secret (only its SHA-256 is stored)
 *   secret-revoke     removes an agent's secret
 *   secrets           the agent names in the secrets file
 *   config            the configuration as parsed (= collector -t -v)
 *   vacuum            deletes raw events older than `retention`, keeping
 *                     alert events and the events around every alert
 *   cases             the cases, open first (--all: closed too), and the
 *                     new cases per day
 *   case ID [ACTION]  one case's timeline and triage trail; with an
 *                     ACTION (ack, assign, close_tp, close_fp, reopen),
 *                     triage through the collector's control socket,
 *                     which audits it under the caller's login name
 *
 * It is not a second collector: it never listens, never scores, and the
 * database writes it does (vacuum) are short transactions that interleave
 * with a running collector's (WAL, busy timeout). It reads the database
 * through the named queries of collector/schema.c and deletes through
 * schema_purge_events(): no SQL of its own, and it never migrates;
 * triage goes through the control socket (collector/tui/ctl.c, linked
 * in), never into the database. The
 * collector re-reads the secrets file on SIGHUP, which ctl tells the
 * operator to send rather than sending it itself. docs/operations.md is
 * the manual.
 */
#include <sys/random.h>
#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <sqlite3.h>

#include "../config.h"
#include "../schema.h"
#include "../tui/tui.h"
#include "leakwatch/log.h"
#include "leakwatch/proto.h"
#include "leakwatch/text.h"
#include "leakwatch/util.h"
#include "leakwatch/xmalloc.h"

#define CTL_DEFAULT_CONF "/etc/leakwatch/collector.conf"
#define VACUUM_BATCH	5000	/* rows per transaction: the collector waits
				   at most one batch for the write lock */

/* ctl's own options, parsed with the same conf machinery as the keys. */
struct ctl_opts {
	long long	 older_than;	/* ms; overrides `retention` */
	long long	 keep_around;	/* ms kept each side of an alert */
	long long	 stale;		/* ms without news: agent is silent */
	char		*out;		/* secret-issue: write the secret here */
	int		 dry_run;
	int		 compact;
	int		 check;		/* agents: exit 1 unless all are ok */
	int		 force;		/* secret-issue: replace */
	int		 all;		/* cases: closed ones too */
	char		*note;		/* case ID ACTION */
	char		*assignee;
};

#define O(n, kind, field, lo, hi) \
	{ n, kind, offsetof(struct ctl_opts, field), lo, hi }
static const struct conf_key ctl_keys[] = {
	O("older-than", CONF_DURATION, older_than, 1000, 3650LL * 86400000),
	O("keep-around", CONF_DURATION, keep_around, 0, 365LL * 86400000),
	O("stale", CONF_DURATION, stale, 1000, 365LL * 86400000),
	O("out", CONF_STR, out, 0, 0),
	O("dry-run", CONF_FLAG, dry_run, 0, 1),
	O("compact", CONF_FLAG, compact, 0, 1),
	O("check", CONF_FLAG, check, 0, 1),
	O("force", CONF_FLAG, force, 0, 1),
	O("all", CONF_FLAG, all, 0, 1),
	O("note", CONF_STR, note, 0, 0),
	O("assignee", CONF_STR, assignee, 0, 0),
	{ NULL, CONF_STR, 0, 0, 0 }
};

struct ctl {
	struct collector_config	 cfg;
	struct ctl_opts		 o;
	const char		*conf_path;
	const char		*cmd;
	const char		*arg;
	const char		*arg2;
};

static void __attribute__((noreturn))
usage(FILE *f, int status)
{
	fprintf(f,
	    "usage: leakwatch-ctl [-h] [-c collector.conf] [--db path] "
	    "[--key value ...] command\n"
	    "  agents [--stale 60s] [--check]\n"
	    "  secret-issue NAME [--out FILE] [--force]\n"
	    "  secret-revoke NAME\n"
	    "  secrets\n"
	    "  config\n"
	    "  vacuum [--older-than 2160h] [--keep-around 24h] [--dry-run] "
	    "[--compact]\n"
	    "  cases [--all]\n"
	    "  case ID [ack|assign|close_tp|close_fp|reopen] [--note TEXT] "
	    "[--assignee NAME]\n"
	    "       leakwatch-ctl --version\n");
	exit(status);
}

/*
 * Long options: ctl's own, then ctl_keys (OPT_CTL + index) and every
 * collector key (OPT_COLL + index), built from the key tables by
 * conf_options() so that getopt_long() sees the whole command line.
 */
enum { OPT_VERSION = 256, OPT_CTL = 1024, OPT_COLL = 2048 };
static const struct option ctl_opts[] = {
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ NULL, 0, NULL, 0 }
};

static struct option *
ctl_options(void)
{
	struct option *own, *all;

	own = conf_options(ctl_opts, ctl_keys, OPT_CTL);
	all = conf_options(own, collector_keys, OPT_COLL);
	free(own);
	return all;
}

/*
 * -c FILE first (else the default file when it exists and no --db is
 * given), then every option in order, so the command line wins; the
 * words that are not options are the command and its argument.
 */
static void
parse_args(struct ctl *c, int argc, char **argv)
{
	struct option *opts;
	char err[512], *p;
	int ch, li, have_db = 0, bad;

	/* getopt's messages start with argv[0]: the name, not the path */
	if (argc > 0 && (p = strrchr(argv[0], '/')) != NULL)
		argv[0] = p + 1;
	config_defaults(&c->cfg);
	c->o.keep_around = 24LL * 3600000;
	c->o.stale = 60000;
	opts = ctl_options();
	opterr = 0;
	while ((ch = conf_getopt(argc, argv, "c:h", opts, &li)) != -1) {
		if (ch == 'c')
			c->conf_path = optarg;
		else if (ch >= OPT_COLL && strcmp(opts[li].name, "db") == 0)
			have_db = 1;
		else if (ch == 'h') {
			free(opts);
			usage(stdout, 0);
		} else if (ch == OPT_VERSION) {
			free(opts);
			printf("leakwatch-ctl %s\n", LEAKWATCH_VERSION);
			exit(0);
		}
	}
	if (c->conf_path == NULL && !have_db &&
	    access(CTL_DEFAULT_CONF, R_OK) == 0)
		c->conf_path = CTL_DEFAULT_CONF;
	if (c->conf_path != NULL && conf_load(c->conf_path, collector_keys,
	    &c->cfg, err, sizeof(err)) != 0) {
		fprintf(stderr, "leakwatch-ctl: %s\n", err);
		exit(1);
	}
	optind = 0;
	opterr = 1;
	while ((ch = conf_getopt(argc, argv, "c:h", opts, &li)) != -1) {
		if (ch == '?')
			bad = 1;
		else if (ch >= OPT_COLL)
			bad = conf_set(collector_keys, &c->cfg, opts[li].name,
			    optarg != NULL ? optarg : "yes", err,
			    sizeof(err)) != 0;
		else if (ch >= OPT_CTL)
			bad = conf_set(ctl_keys, &c->o, opts[li].name,
			    optarg != NULL ? optarg : "yes", err,
			    sizeof(err)) != 0;
		else
			bad = 0;
		if (bad) {
			if (ch != '?')
				fprintf(stderr, "leakwatch-ctl: %s\n", err);
			free(opts);
			usage(stderr, 2);
		}
	}
	free(opts);
	/* `config` shows the rules the collector would use, as its -t -v */
	if (c->cfg.rules == NULL)
		(void)config_rules_default(&c->cfg, err, sizeof(err));
	if (optind < argc)
		c->cmd = argv[optind++];
	if (optind < argc)
		c->arg = argv[optind++];
	if (optind < argc && c->cmd != NULL && strcmp(c->cmd, "case") == 0)
		c->arg2 = argv[optind++];
	if (c->cmd == NULL || optind < argc)
		usage(stderr, 2);
}

/*
 * The database, refused when it is not one a collector made (version 0)
 * or one newer than this program.
 */
static sqlite3 *
open_db(const struct ctl *c, int writable)
{
	sqlite3 *db = NULL;
	int flags = writable ? SQLITE_OPEN_READWRITE : SQLITE_OPEN_READONLY;
	char err[256];
	int v;

	if (c->cfg.db == NULL) {
		fprintf(stderr, "leakwatch-ctl: no database: give -c "
		    "collector.conf or --db PATH\n");
		return NULL;
	}
	if (sqlite3_open_v2(c->cfg.db, &db, flags, NULL) != SQLITE_OK) {
		fprintf(stderr, "leakwatch-ctl: %s: %s\n", c->cfg.db,
		    db ? sqlite3_errmsg(db) : "out of memory");
		sqlite3_close(db);
		return NULL;
	}
	sqlite3_busy_timeout(db, 10000);
	if ((v = schema_read_version(db, err, sizeof(err))) <= 0) {
		fprintf(stderr, "leakwatch-ctl: %s: %s\n", c->cfg.db, v < 0 ?
		    err : "not a collector database");
		sqlite3_close(db);
		return NULL;
	}
	return db;
}

static void
fmt_age(int64_t us, char *buf, size_t len)
{
	long long s = us / 1000000;

	if (s < 0)
		s = 0;
	if (s < 120)
		snprintf(buf, len, "%llds", s);
	else if (s < 7200)
		snprintf(buf, len, "%lldm", s / 60);
	else if (s < 172800)
		snprintf(buf, len, "%lldh", s / 3600);
	else
		snprintf(buf, len, "%lldd", s / 86400);
}

static long long
status_num(json_t *st, const char *key)
{
	json_t *v = st ? json_object_get(st, key) : NULL;

	return json_is_integer(v) ? (long long)json_integer_value(v) : 0;
}

/* The counts of an agent's status that `agents` notes when not zero,
 * in this order: the key, inside obj when set, and the note's name. */
struct status_note {
	const char	*obj;
	const char	*key;
	const char	*note;
};
static const struct status_note status_notes[] = {
	{ NULL, "spool_dropped", "spool-dropped" },
	{ "counters", "kernel_drops", "kernel-drops" },
	{ "counters", "queue_drops", "queue-drops" },
	{ NULL, "parse_errors", "parse-errors" },
};

/*
 * Events the live scorer has yet to reach (collector/scorer.c keeps its
 * cursor in an_meta); -1 on a database no live collector has scored.
 */
static long long
scoring_backlog(sqlite3 *db)
{
	sqlite3_stmt *st;
	char err[256];

	if ((st = schema_prepare(db, SQ_SCORING_BACKLOG, err,
	    sizeof(err))) == NULL)
		return -1;
	return schema_int64(st, -1);
}

/*
 * Health, worst first: `disconnected` (no open connection), `silent`
 * (connected but nothing for --stale: a wedged agent or network), else
 * `ok`; and notes for what an operator must look at even when it is
 * connected: lost events (gaps, spool drops), kernel capture drops,
 * capture queue drops, a backlog in the spool, a clock off by more than
 * `clock-skew`.
 */
static int
cmd_agents(struct ctl *c)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	int64_t now = now_us();
	long long backlog;
	int bad = 0, n = 0, rc;
	size_t k;
	char err[256];

	if ((db = open_db(c, 0)) == NULL)
		return 1;
	if ((st = schema_prepare(db, SQ_AGENT_HEALTH, err,
	    sizeof(err))) == NULL) {
		fprintf(stderr, "leakwatch-ctl: %s: not a collector database\n",
		    c->cfg.db);
		sqlite3_close(db);
		return 1;
	}
	printf("%-20s %-12s %-9s %-21s %-8s %10s %8s %5s  %s\n", "AGENT",
	    "STATE", "LAST SEEN", "ADDRESS", "VERSION", "EVENTS", "SPOOLED",
	    "GAPS", "NOTES");
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(st, 0);
		const char *addr = (const char *)sqlite3_column_text(st, 1);
		const char *ver = (const char *)sqlite3_column_text(st, 4);
		const char *sj = (const char *)sqlite3_column_text(st, 6);
		int connected = sqlite3_column_int(st, 2);
		int64_t last = sqlite3_column_int64(st, 3);
		long long skew = sqlite3_column_int64(st, 5);
		long long gaps = sqlite3_column_int64(st, 7);
		long long events = sqlite3_column_int64(st, 8);
		const char *state;
		char age[32], notes[256], vis[64], vaddr[128], vver[160];
		json_t *js = NULL;
		size_t nl = 0;

		notes[0] = '\0';
		if (sj != NULL)
			js = json_loads(sj, 0, NULL);
		if (!connected)
			state = "disconnected";
		else if (now - last > c->o.stale * 1000)
			state = "silent";
		else
			state = "ok";
#define NOTE(...) do {							\
	int w_ = snprintf(notes + nl, sizeof(notes) - nl, __VA_ARGS__); \
	if (w_ > 0 && (size_t)w_ < sizeof(notes) - nl)			\
		nl += (size_t)w_;					\
} while (0)
		if (gaps > 0)
			NOTE("%sgaps:%lld", nl ? " " : "", gaps);
		for (k = 0; k < sizeof(status_notes) /
		    sizeof(status_notes[0]); k++) {
			const struct status_note *sn = &status_notes[k];
			long long v = status_num(sn->obj == NULL ? js :
			    json_object_get(js, sn->obj), sn->key);

			if (v > 0)
				NOTE("%s%s:%lld", nl ? " " : "", sn->note, v);
		}
		if (c->cfg.clock_skew > 0 && (skew > c->cfg.clock_skew ||
		    -skew > c->cfg.clock_skew))
			NOTE("%sclock-skew:%lldms", nl ? " " : "", skew);
#undef NOTE
		if (strcmp(state, "ok") != 0 || nl > 0)
			bad++;
		fmt_age(now - last, age, sizeof(age));
		/* Names, addresses and versions escaped (lib/text.c). */
		str_vis(name ? name : "", name ? strlen(name) : 0, vis,
		    sizeof(vis));
		str_vis(addr ? addr : "-", addr ? strlen(addr) : 1, vaddr,
		    sizeof(vaddr));
		str_vis(ver ? ver : "-", ver ? strlen(ver) : 1, vver,
		    sizeof(vver));
		printf("%-20s %-12s %-9s %-21s %-8s %10lld %8lld %5lld  %s\n",
		    vis, state, age, vaddr, vver, events,
		    status_num(js, "spool_events"), gaps, nl ? notes : "-");
		json_decref(js);
		n++;
	}
	sqlite3_finalize(st);
	backlog = scoring_backlog(db);
	sqlite3_close(db);
	if (rc != SQLITE_DONE) {
		fprintf(stderr, "leakwatch-ctl: reading agents failed\n");
		return 1;
	}
	fprintf(stderr, "%d agents, %d need attention\n", n, bad);
	if (backlog >= 0)
		fprintf(stderr, "scoring: %lld events stored but not yet "
		    "scored\n", backlog);
	return c->o.check && bad > 0 ? 1 : 0;
}

/* The first field of a secrets line, or "" for comments and blanks. */
static void
line_name(const char *line, char *name, size_t len)
{
	size_t n;

	line += strspn(line, " \t");
	if (*line == '#') {
		name[0] = '\0';
		return;
	}
	n = strcspn(line, " \t\r\n");
	if (n >= len)
		n = len - 1;
	memcpy(name, line, n);
	name[n] = '\0';
}

/*
 * Rewrites the secrets file without NAME's lines, plus `add` at the end
 * when given: a temporary file in the same directory, fsync, rename, so
 * a collector reloading at that moment sees the old file or the new one.
 * The mode of the old file is kept (0640 for a new one). Returns how many
 * lines of NAME were dropped, or -1.
 */
static int
rewrite_secrets(const char *path, const char *name, const char *add)
{
	char tmp[4096], line[1024], first[256];
	FILE *in, *out;
	struct stat sb;
	mode_t mode = 0640;
	int fd, dropped = 0, n;

	if ((n = snprintf(tmp, sizeof(tmp), "%s.tmpXXXXXX", path)) < 0 ||
	    (size_t)n >= sizeof(tmp)) {
		fprintf(stderr, "leakwatch-ctl: %s: path too long\n", path);
		return -1;
	}
	in = fopen(path, "r");
	if (in == NULL && errno != ENOENT) {
		fprintf(stderr, "leakwatch-ctl: %s: %s\n", path,
		    strerror(errno));
		return -1;
	}
	if (in != NULL && fstat(fileno(in), &sb) == 0)
		mode = sb.st_mode & 0777;
	if ((fd = mkstemp(tmp)) == -1) {
		fprintf(stderr, "leakwatch-ctl: %s: %s\n", tmp,
		    strerror(errno));
		if (in != NULL)
			fclose(in);
		return -1;
	}
	if (fchmod(fd, mode) != 0 || (out = fdopen(fd, "w")) == NULL) {
		fprintf(stderr, "leakwatch-ctl: %s: %s\n", tmp,
		    strerror(errno));
		close(fd);
		unlink(tmp);
		if (in != NULL)
			fclose(in);
		return -1;
	}
	if (in != NULL && fstat(fileno(in), &sb) == 0 && getuid() == 0 &&
	    fchown(fd, sb.st_uid, sb.st_gid) != 0)
		fprintf(stderr, "leakwatch-ctl: %s: chown: %s\n", tmp,
		    strerror(errno));
	while (in != NULL && fgets(line, sizeof(line), in) != NULL) {
		line_name(line, first, sizeof(first));
		if (strcmp(first, name) == 0) {
			dropped++;
			continue;
		}
		fputs(line, out);
		if (strchr(line, '\n') == NULL)
			fputc('\n', out);
	}
	if (in != NULL)
		fclose(in);
	if (add != NULL)
		fprintf(out, "%s\n", add);
	if (fflush(out) != 0 || fsync(fileno(out)) != 0 ||
	    fclose(out) != 0 || rename(tmp, path) != 0) {
		fprintf(stderr, "leakwatch-ctl: %s: %s\n", path,
		    strerror(errno));
		unlink(tmp);
		return -1;
	}
	return dropped;
}

static int
secrets_path(const struct ctl *c)
{
	if (c->cfg.agent_secrets == NULL) {
		fprintf(stderr, "leakwatch-ctl: no agent-secrets file in the "
		    "configuration (key agent-secrets)\n");
		return -1;
	}
	return 0;
}

/* Does the secrets file list NAME already? */
static int
secret_listed(const char *path, const char *name)
{
	char line[1024], first[256];
	FILE *f;
	int found = 0;

	if ((f = fopen(path, "r")) == NULL)
		return 0;
	while (!found && fgets(line, sizeof(line), f) != NULL) {
		line_name(line, first, sizeof(first));
		found = strcmp(first, name) == 0;
	}
	fclose(f);
	return found;
}

/*
 * 32 random bytes as 64 hex digits: the agent's secret. Only its SHA-256
 * goes into the collector's file; the secret itself is printed once (or
 * written to --out, created 0600, never overwritten) for the agent's
 * secret-file.
 */
static int
cmd_secret_issue(struct ctl *c)
{
	uint8_t raw[32];
	char secret[65], hash[65], line[PROTO_MAX_NAME + 80];
	ssize_t got;
	int fd;

	if (c->arg == NULL || !proto_valid_agent_name(c->arg)) {
		fprintf(stderr, "leakwatch-ctl: secret-issue needs an agent "
		    "name (letters, digits, - _ . @; at most %d)\n",
		    PROTO_MAX_NAME);
		return 2;
	}
	if (secrets_path(c) != 0)
		return 1;
	if (!c->o.force && secret_listed(c->cfg.agent_secrets, c->arg)) {
		fprintf(stderr, "leakwatch-ctl: %s already has a secret; "
		    "revoke it first or use --force\n", c->arg);
		return 1;
	}
	if ((got = getrandom(raw, sizeof(raw), 0)) != (ssize_t)sizeof(raw)) {
		fprintf(stderr, "leakwatch-ctl: getrandom failed\n");
		return 1;
	}
	hex_encode(raw, sizeof(raw), secret);
	explicit_bzero(raw, sizeof(raw));
	sha256_hex(secret, strlen(secret), hash);
	if (c->o.out != NULL) {
		fd = open(c->o.out, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
		    0600);
		if (fd == -1 || dprintf(fd, "%s\n", secret) < 0 ||
		    close(fd) != 0) {
			fprintf(stderr, "leakwatch-ctl: %s: %s\n", c->o.out,
			    strerror(errno));
			explicit_bzero(secret, sizeof(secret));
			return 1;
		}
	}
	snprintf(line, sizeof(line), "%s %s", c->arg, hash);
	if (rewrite_secrets(c->cfg.agent_secrets, c->arg, line) < 0) {
		explicit_bzero(secret, sizeof(secret));
		if (c->o.out != NULL)
			unlink(c->o.out);
		return 1;
	}
	if (c->o.out == NULL)
		printf("%s\n", secret);
	explicit_bzero(secret, sizeof(secret));
	fprintf(stderr, "leakwatch-ctl: secret for %s added to %s%s%s; "
	    "reload the collector (systemctl reload leakwatch-collector)\n",
	    c->arg, c->cfg.agent_secrets, c->o.out ? ", secret in " : "",
	    c->o.out ? c->o.out : "");
	return 0;
}

static int
cmd_secret_revoke(struct ctl *c)
{
	int n;

	if (c->arg == NULL)
		usage(stderr, 2);
	if (secrets_path(c) != 0)
		return 1;
	if (!secret_listed(c->cfg.agent_secrets, c->arg)) {
		fprintf(stderr, "leakwatch-ctl: %s: no secret for %s\n",
		    c->cfg.agent_secrets, c->arg);
		return 1;
	}
	if ((n = rewrite_secrets(c->cfg.agent_secrets, c->arg, NULL)) < 0)
		return 1;
	fprintf(stderr, "leakwatch-ctl: secret of %s removed from %s; reload "
	    "the collector (systemctl reload leakwatch-collector): its "
	    "connections are refused from then on\n", c->arg,
	    c->cfg.agent_secrets);
	return 0;
}

static int
cmd_secrets(struct ctl *c)
{
	char line[1024], first[256];
	FILE *f;

	if (secrets_path(c) != 0)
		return 1;
	if ((f = fopen(c->cfg.agent_secrets, "r")) == NULL) {
		fprintf(stderr, "leakwatch-ctl: %s: %s\n", c->cfg.agent_secrets,
		    strerror(errno));
		return 1;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		line_name(line, first, sizeof(first));
		if (first[0] != '\0')
			printf("%s\n", first);
	}
	fclose(f);
	return 0;
}

/* One [from, to) range of event time to keep, from the alerts. */
struct keep {
	int64_t	from, to;
};

static int
keep_cmp(const void *a, const void *b)
{
	const struct keep *x = a, *y = b;

	return x->from < y->from ? -1 : x->from > y->from;
}

/*
 * The alerts' time spans widened by --keep-around, sorted and merged, so
 * the deletion runs over the gaps between them with the events_ts index
 * instead of testing every event against every alert.
 */
static struct keep *
load_keeps(sqlite3 *db, int64_t around, size_t *np)
{
	struct keep *k = NULL;
	sqlite3_stmt *st;
	size_t n = 0, cap = 0, i, m;
	char err[256];

	*np = 0;
	if ((st = schema_prepare(db, SQ_ALERT_SPANS, err, sizeof(err))) ==
	    NULL)
		return NULL;
	while (sqlite3_step(st) == SQLITE_ROW) {
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			k = xreallocarray(k, cap, sizeof(*k));
		}
		k[n].from = sqlite3_column_int64(st, 0) - around;
		k[n].to = sqlite3_column_int64(st, 1) + around + 1;
		n++;
	}
	sqlite3_finalize(st);
	if (n == 0)
		return k;
	qsort(k, n, sizeof(*k), keep_cmp);
	for (m = 0, i = 1; i < n; i++) {
		if (k[i].from <= k[m].to) {
			if (k[i].to > k[m].to)
				k[m].to = k[i].to;
		} else
			k[++m] = k[i];
	}
	*np = m + 1;
	return k;
}

static int
cmd_vacuum(struct ctl *c)
{
	long long keep_ms = c->o.older_than ? c->o.older_than :
	    c->cfg.retention, deleted = 0;
	struct keep *k;
	sqlite3 *db;
	int64_t cutoff, from = INT64_MIN;
	size_t n, i;
	char when[64];
	int rc = 0;

	if (keep_ms <= 0) {
		fprintf(stderr, "leakwatch-ctl: no retention: set `retention` "
		    "in the configuration or give --older-than\n");
		return 2;
	}
	if ((db = open_db(c, !c->o.dry_run)) == NULL)
		return 1;
	cutoff = now_us() - keep_ms * 1000;
	k = load_keeps(db, c->o.keep_around * 1000, &n);
	for (i = 0; i < n && rc == 0 && k[i].from < cutoff; i++) {
		rc = schema_purge_events(db, from, k[i].from, VACUUM_BATCH,
		    c->o.dry_run, &deleted);
		from = k[i].to;
	}
	if (rc == 0 && from < cutoff)
		rc = schema_purge_events(db, from, cutoff, VACUUM_BATCH,
		    c->o.dry_run, &deleted);
	free(k);
	if (rc != 0) {
		fprintf(stderr, "leakwatch-ctl: vacuum: %s\n",
		    sqlite3_errmsg(db));
		sqlite3_close(db);
		return 1;
	}
	ts_format(cutoff, when, sizeof(when));
	printf("%s %lld events older than %s (kept: alert events and %zu "
	    "spans around alerts)\n", c->o.dry_run ? "would delete" :
	    "deleted", deleted, when, n);
	if (c->o.compact && !c->o.dry_run) {
		if (schema_compact(db) != 0) {
			fprintf(stderr, "leakwatch-ctl: compact: %s\n",
			    sqlite3_errmsg(db));
			rc = 1;
		} else
			printf("compacted %s\n", c->cfg.db);
	}
	sqlite3_close(db);
	return rc;
}

/* ---- cases ---- */

/*
 * A text column escaped (lib/text.c) into the next of the row's slots:
 * names, stories and notes come from events and analysts, and must not
 * drive the terminal or forge a line of the listing.
 */
struct row_vis {
	char	 slot[12][1024];
	int	 n;
};

static const char *
col(struct row_vis *rv, sqlite3_stmt *st, int i)
{
	const unsigned char *s = sqlite3_column_text(st, i);
	char *out = rv->slot[rv->n++ % 12];

	if (s == NULL)
		return "";
	text_vis(s, strlen((const char *)s), out, sizeof(rv->slot[0]), 0);
	return out;
}

/* "2026-11-16 23:59" of a time in microseconds. */
static void
fmt_minute(int64_t us, char *buf, size_t len)
{
	char ts[TS_STRLEN];

	if (ts_format(us, ts, sizeof(ts)) != 0)
		ts[0] = '\0';
	snprintf(buf, len, "%.10s %.5s", ts, ts[0] ? ts + 11 : "");
}

/* New cases per day over the days that had any, and the busiest day. */
static void
cases_per_day(sqlite3 *db)
{
	sqlite3_stmt *st;
	long long days = 0, total = 0, most = 0, first = 0, last = 0, d, n;
	char err[256];

	if ((st = schema_prepare(db, SQ_CASES_PER_DAY, err,
	    sizeof(err))) == NULL)
		return;
	while (sqlite3_step(st) == SQLITE_ROW) {
		d = sqlite3_column_int64(st, 0);
		n = sqlite3_column_int64(st, 1);
		if (days++ == 0)
			first = d;
		last = d;
		total += n;
		if (n > most)
			most = n;
	}
	sqlite3_finalize(st);
	if (days > 0)
		printf("new cases: %lld over %lld days (%.2f a day), at most "
		    "%lld in one day\n", total, last - first + 1,
		    (double)total / (double)(last - first + 1), most);
}

static int
cmd_cases(struct ctl *c)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	char err[256], first[32], last[32];
	struct row_vis rv;
	int n = 0;

	if ((db = open_db(c, 0)) == NULL)
		return 1;
	if ((st = schema_prepare(db, SQ_CASE_LIST, err, sizeof(err))) ==
	    NULL) {
		fprintf(stderr, "leakwatch-ctl: %s: %s\n", c->cfg.db, err);
		sqlite3_close(db);
		return 1;
	}
	sqlite3_bind_int(st, 1, c->o.all ? 0 : 1);	/* open_only */
	sqlite3_bind_int(st, 2, 0);
	sqlite3_bind_text(st, 3, "", -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 4, 100000);
	printf("%-16s  %-8s  %5s  %-14s  %-16s  %-16s  %6s  %-24s  %-14s  "
	    "%s\n", "CASE", "SEVERITY", "SCORE", "STATUS", "FIRST", "LAST",
	    "ALERTS", "WHO", "DEPARTMENT", "STORY");
	while (sqlite3_step(st) == SQLITE_ROW) {
		rv.n = 0;
		fmt_minute(sqlite3_column_int64(st, 7), first, sizeof(first));
		fmt_minute(sqlite3_column_int64(st, 8), last, sizeof(last));
		printf("%-16s  %-8s  %5.0f  %-14s  %-16s  %-16s  %6d  %-24s  "
		    "%-14s  %s\n", col(&rv, st, 0), col(&rv, st, 5),
		    sqlite3_column_double(st, 6), col(&rv, st, 11), first,
		    last, sqlite3_column_int(st, 9),
		    strcmp(col(&rv, st, 1), "group") == 0 ? col(&rv, st, 3) :
		    col(&rv, st, 2), col(&rv, st, 4), col(&rv, st, 10));
		n++;
	}
	sqlite3_finalize(st);
	printf("%d %scases\n", n, c->o.all ? "" : "open ");
	cases_per_day(db);
	sqlite3_close(db);
	return 0;
}

/* A row of a case's timeline: an alert, with its evidence. */
static void
timeline_line(sqlite3_stmt *st, struct row_vis *rv)
{
	char t[32];

	fmt_minute(sqlite3_column_int64(st, 1), t, sizeof(t));
	printf("  %s  %-8s  %-20s  %s  %3.0f  %s\n    %s\n", t,
	    col(rv, st, 5), col(rv, st, 4), col(rv, st, 3),
	    sqlite3_column_double(st, 6), col(rv, st, 8), col(rv, st, 11));
}

/* A row of a case's audit: who moved it to which status, and why. */
static void
triage_line(sqlite3_stmt *st, struct row_vis *rv)
{
	char t[32];

	fmt_minute(sqlite3_column_int64(st, 0), t, sizeof(t));
	printf("  %s  %s %s -> %s%s%s%s%s\n", t, col(rv, st, 1),
	    col(rv, st, 2), col(rv, st, 3), *col(rv, st, 4) ? " to " : "",
	    col(rv, st, 4), *col(rv, st, 5) ? ": " : "", col(rv, st, 5));
}

/* A section of a case: its title, then line() for each row of q. A
 * database without the section's tables shows none of it. */
static void
case_section(sqlite3 *db, enum schema_query q, const char *id,
    const char *title, void (*line)(sqlite3_stmt *, struct row_vis *))
{
	sqlite3_stmt *st;
	struct row_vis rv = { .n = 0 };
	char err[256];

	if ((st = schema_prepare(db, q, err, sizeof(err))) == NULL)
		return;
	printf("%s\n", title);
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	while (sqlite3_step(st) == SQLITE_ROW) {
		rv.n = 0;
		line(st, &rv);
	}
	sqlite3_finalize(st);
}

/* The case, its timeline (alerts with their evidence), its audit. */
static int
show_case(sqlite3 *db, const char *id)
{
	sqlite3_stmt *st;
	char err[256], t[32];
	struct row_vis rv = { .n = 0 };
	int found = 0;

	if ((st = schema_prepare(db, SQ_CASE, err, sizeof(err))) == NULL)
		return -1;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW) {
		found = 1;
		printf("case %s (%s): %s\n", col(&rv, st, 0),
		    col(&rv, st, 1), col(&rv, st, 2));
		printf("  members     %s\n  department  %s\n",
		    col(&rv, st, 3), col(&rv, st, 4));
		printf("  severity    %s, score %.1f, %d alerts\n",
		    col(&rv, st, 5), sqlite3_column_double(st, 6),
		    sqlite3_column_int(st, 9));
		fmt_minute(sqlite3_column_int64(st, 7), t, sizeof(t));
		printf("  evidence    %s", t);
		fmt_minute(sqlite3_column_int64(st, 8), t, sizeof(t));
		printf(" to %s\n  status      %s%s%s\n  story       %s\n",
		    t, col(&rv, st, 11),
		    *col(&rv, st, 12) ? ", assigned to " : "",
		    col(&rv, st, 12), col(&rv, st, 10));
	}
	sqlite3_finalize(st);
	if (!found)
		return 0;
	case_section(db, SQ_CASE_ALERTS, id, "timeline", timeline_line);
	case_section(db, SQ_CASE_AUDIT, id, "triage", triage_line);
	return 1;
}

static int
cmd_case(struct ctl *c)
{
	sqlite3 *db;
	char msg[512];
	int rc;

	if (c->arg == NULL)
		usage(stderr, 2);
	if (c->arg2 != NULL) {
		if (c->cfg.control_socket == NULL) {
			fprintf(stderr, "leakwatch-ctl: triage needs the "
			    "collector's control-socket (-c collector.conf "
			    "or --control-socket PATH)\n");
			return 1;
		}
		rc = ctl_triage(c->cfg.control_socket, 1, c->arg, c->arg2,
		    c->o.note, c->o.assignee, msg, sizeof(msg));
		fprintf(rc == 0 ? stdout : stderr, "%s%s\n", rc == 0 ? "" :
		    "leakwatch-ctl: ", msg);
		return rc == 0 ? 0 : 1;
	}
	if ((db = open_db(c, 0)) == NULL)
		return 1;
	rc = show_case(db, c->arg);
	sqlite3_close(db);
	if (rc <= 0)
		fprintf(stderr, "leakwatch-ctl: no case %s\n", c->arg);
	return rc > 0 ? 0 : 1;
}

int
main(int argc, char **argv)
{
	struct ctl c;
	int rc;

	memset(&c, 0, sizeof(c));
	log_init("leakwatch-ctl", 1, 0);
	parse_args(&c, argc, argv);
	if (strcmp(c.cmd, "agents") == 0)
		rc = cmd_agents(&c);
	else if (strcmp(c.cmd, "secret-issue") == 0)
		rc = cmd_secret_issue(&c);
	else if (strcmp(c.cmd, "secret-revoke") == 0)
		rc = cmd_secret_revoke(&c);
	else if (strcmp(c.cmd, "secrets") == 0)
		rc = cmd_secrets(&c);
	else if (strcmp(c.cmd, "config") == 0) {
		conf_dump(collector_keys, &c.cfg, stdout);
		rc = 0;
	} else if (strcmp(c.cmd, "vacuum") == 0)
		rc = cmd_vacuum(&c);
	else if (strcmp(c.cmd, "cases") == 0)
		rc = cmd_cases(&c);
	else if (strcmp(c.cmd, "case") == 0)
		rc = cmd_case(&c);
	else {
		fprintf(stderr, "leakwatch-ctl: unknown command \"%s\"\n",
		    c.cmd);
		usage(stderr, 2);
	}
	conf_clear(collector_keys, &c.cfg);
	conf_clear(ctl_keys, &c.o);
	return rc;
}
