/*
 * leakwatch-collector: start-up, the command line, signals and the event
 * loop. Everything the program owns hangs off one context struct, `struct
 * collector`, so what is global is visible in one place.
 *
 *   leakwatch-collector [-htv] [-c FILE] [--listen ADDR:PORT] [--db PATH]
 *       [--insecure] [--KEY VALUE ...] [--replay FILE.jsonl]
 */
#include <sys/prctl.h>
#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <openssl/ssl.h>
#include <sqlite3.h>

#include "collector.h"
#include "analytics/analytics.h"
#include "siem/siem.h"
#include "leakwatch/log.h"
#include "leakwatch/tls.h"
#include "leakwatch/util.h"
#include "leakwatch/xmalloc.h"

#define FWD_REPLAY_WAIT	30000	/* ms a replay waits for its SIEMs */

struct collector {
	struct collector_config	 cfg;
	const char		*conf_path;
	const char		*replay;
	int			 check_only;
	int			 verbose;
	struct event_base	*base;
	struct store		*store;
	struct secrets		*secrets;
	struct server		*server;
	struct ingest_ctx	 ingest;
	struct fwd		*fwd;		/* --replay only */
	struct scorer		*scorer;	/* live only */
	struct control		*control;
	struct event		*sighup;
	struct event		*quit_ev;	/* SIGTERM, SIGINT: quit_pipe */
};

/*
 * SIGTERM and SIGINT come through a pipe of our own, not libevent's
 * evsignal, whose handler only wakes the loop: the event thread may be
 * waiting on a store whose writes keep failing and never get back to the
 * loop. So the handler also tells the store (store_quit(), async-signal-
 * safe), and that wait then ends after shutdown-timeout. The handler
 * reaches both through these two statics only.
 */
static struct store	*quit_store;
static int		 quit_pipe[2] = { -1, -1 };

/* What -h prints after "usage: "; conf_daemon_args() adds the rest. */
static const char collector_synopsis[] =
    "leakwatch-collector [-htv] [-c file] "
    "[--listen addr:port] [--db path]\n"
    "           [--insecure] [--key value ...] "
    "[--replay file.jsonl]\n";

/* The collector's own option; conf_daemon_args() does the rest. */
static const struct option collector_opts[] = {
	{ "replay", required_argument, NULL, 0 },
	{ NULL, 0, NULL, 0 }
};

static void
parse_args(struct collector *co, int argc, char **argv)
{
	static const struct conf_prog prog = { "leakwatch-collector",
	    collector_keys, collector_opts, collector_synopsis };
	struct conf_args a;

	config_defaults(&co->cfg);
	conf_daemon_args(&prog, argc, argv, &co->cfg, &a);
	co->conf_path = a.path;
	co->check_only = a.check_only;
	co->verbose = a.verbose;
	co->replay = a.own[0];
}

/* -t and start-up share this: every file the config names must load. */
static int
check_config(struct collector *co, char *err, size_t errlen)
{
	SSL_CTX *ctx;
	struct secrets *s;

	if (config_check_forward(&co->cfg, err, errlen) != 0)
		return -1;
	/* -t with neither a config file nor listen: analytics files only */
	if (co->check_only && co->replay == NULL && co->conf_path == NULL &&
	    co->cfg.listen == NULL)
		return analytics_check(&co->cfg, co->check_only, err, errlen);
	if (co->replay != NULL) {
		if (co->cfg.db == NULL) {
			snprintf(err, errlen, "--replay needs --db");
			return -1;
		}
		/* before the database is made: a bad rules dir stops here */
		return analytics_check(&co->cfg, 0, err, errlen);
	}
	if (config_check(&co->cfg, err, errlen) != 0)
		return -1;
	if (co->cfg.agent_secrets != NULL) {
		if ((s = secrets_load(co->cfg.agent_secrets, err,
		    errlen)) == NULL)
			return -1;
		secrets_free(s);
	}
	if (!co->cfg.insecure) {
		ctx = tls_server_ctx(co->cfg.tls_cert, co->cfg.tls_key,
		    co->cfg.tls_client_ca, co->cfg.tls_client_crl,
		    co->cfg.agent_secrets == NULL, err, errlen);
		if (ctx == NULL)
			return -1;
		SSL_CTX_free(ctx);
	}
	return analytics_check(&co->cfg, co->check_only, err, errlen);
}

/*
 * SIGHUP: reopen logs, re-read the config file, the secrets and the TLS
 * files (certificate, key, client CA, CRL). Scalar limits apply at once
 * (the server reads them live); agents whose secret is gone or whose
 * certificate no longer verifies are disconnected. listen, db and
 * insecure are bound at start and need a restart, which is logged.
 */
static void
reload(struct collector *co)
{
	struct collector_config nc;
	struct secrets *ns = NULL;
	char err[512];
	int closed;

	log_reopen();
	scorer_reload(co->scorer);
	if (co->conf_path == NULL) {
		log_info("SIGHUP: logs reopened (no config file to reload)");
		return;
	}
	memset(&nc, 0, sizeof(nc));
	config_defaults(&nc);
	if (conf_load(co->conf_path, collector_keys, &nc, err,
	    sizeof(err)) != 0 || config_check(&nc, err, sizeof(err)) != 0) {
		log_warnx("SIGHUP: keeping the old configuration: %s", err);
		conf_clear(collector_keys, &nc);
		return;
	}
	if (nc.agent_secrets != NULL && (ns = secrets_load(nc.agent_secrets,
	    err, sizeof(err))) == NULL) {
		log_warnx("SIGHUP: keeping the old configuration: %s", err);
		conf_clear(collector_keys, &nc);
		return;
	}
	if (strcmp(nc.listen, co->cfg.listen) != 0 ||
	    strcmp(nc.db, co->cfg.db) != 0 || nc.insecure != co->cfg.insecure)
		log_warnx("SIGHUP: listen, db and insecure changes need a "
		    "restart");
	secrets_free(co->secrets);
	co->secrets = ns;
	co->ingest.secrets = ns;
	co->cfg.max_frame = nc.max_frame;
	co->cfg.read_buffer = nc.read_buffer;
	co->cfg.idle_timeout = nc.idle_timeout;
	co->cfg.hello_timeout = nc.hello_timeout;
	co->cfg.max_connections = nc.max_connections;
	co->cfg.max_pending = nc.max_pending;
	co->cfg.max_pending_addr = nc.max_pending_addr;
	co->cfg.max_handshakes = nc.max_handshakes;
	co->cfg.commit_events = nc.commit_events;
	co->cfg.clock_skew = nc.clock_skew;
	co->cfg.shutdown_timeout = nc.shutdown_timeout;
	store_set_shutdown_timeout(co->store, nc.shutdown_timeout);
	co->ingest.clock_skew = nc.clock_skew;
	closed = co->server != NULL ? server_reload(co->server, &nc, err,
	    sizeof(err)) : 0;
	if (err[0] != '\0')
		log_warnx("SIGHUP: keeping the old TLS files: %s", err);
	conf_clear(collector_keys, &nc);
	log_info("SIGHUP: configuration reloaded (%zu agent secrets; %d "
	    "agents disconnected as no longer valid)",
	    secrets_count(co->secrets), closed);
}

static void
sighup_cb(evutil_socket_t sig, short what, void *arg)
{
	(void)sig;
	(void)what;
	reload(arg);
}

/* On whatever thread the signal lands: only async-signal-safe calls. */
static void
quit_handler(int sig)
{
	int saved = errno;
	unsigned char c = (unsigned char)sig;

	store_quit(quit_store);
	(void)!write(quit_pipe[1], &c, 1);
	errno = saved;
}

static void
quit_cb(evutil_socket_t fd, short what, void *arg)
{
	struct collector *co = arg;
	unsigned char c;

	(void)what;
	if (read(fd, &c, 1) != 1)
		return;
	log_info("signal %d: flushing and exiting", (int)c);
	event_base_loopbreak(co->base);
}

static void
signals_set(struct collector *co)
{
	struct sigaction sa;

	co->sighup = evsignal_new(co->base, SIGHUP, sighup_cb, co);
	evsignal_add(co->sighup, NULL);
	if (pipe2(quit_pipe, O_NONBLOCK | O_CLOEXEC) != 0)
		fatal("pipe");
	quit_store = co->store;
	co->quit_ev = event_new(co->base, quit_pipe[0], EV_READ | EV_PERSIST,
	    quit_cb, co);
	event_add(co->quit_ev, NULL);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = quit_handler;
	sigfillset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	if (sigaction(SIGTERM, &sa, NULL) != 0 ||
	    sigaction(SIGINT, &sa, NULL) != 0)
		fatal("sigaction");
}

/*
 * Before the store goes: a later SIGTERM or SIGINT is ignored (the exit
 * is under way, and bounded), so the handler no longer touches it.
 */
static void
signals_unset(struct collector *co)
{
	signal(SIGTERM, SIG_IGN);
	signal(SIGINT, SIG_IGN);
	quit_store = NULL;
	event_free(co->quit_ev);
	event_free(co->sighup);
	close(quit_pipe[0]);
	close(quit_pipe[1]);
}

/*
 * Live, the forwarder runs on the scorer's thread (base and connection);
 * in replay mode base is NULL and fwd runs its own loop when flushed.
 */
static struct fwd *
open_forward(struct collector *co, struct event_base *base,
    struct sqlite3 *db, char *err, size_t errlen)
{
	struct fmt_opts o;
	struct fwd *f;

	fmt_opts_defaults(&o);
	o.facility = (int)co->cfg.syslog_facility;
	if (co->cfg.syslog_sd_id != NULL)
		o.sd_id = co->cfg.syslog_sd_id;
	if (co->cfg.syslog_hostname != NULL)
		o.hostname = co->cfg.syslog_hostname;
	f = fwd_new(base, db, &co->cfg.forward, &o, co->cfg.forward_queue, err, errlen);
	fwd_set_event_types(f, &co->cfg.forward_events);
	return f;
}

static int
run_replay(struct collector *co)
{
	uint64_t stored = 0, rejected = 0;
	struct analytics *an;
	const char *path;
	char err[512], tmp[4096];
	int rc;

	/* the same pipeline as live, on events in time order */
	if ((an = analytics_new(&co->cfg, store_db(co->store), stdout, 1, err,
	    sizeof(err))) == NULL) {
		fprintf(stderr, "leakwatch-collector: %s\n", err);
		return 1;
	}
	an->fwd = co->fwd;
	co->ingest.analytics = an;
	if ((path = replay_sorted(co->replay, tmp, sizeof(tmp), err,
	    sizeof(err))) == NULL) {
		fprintf(stderr, "leakwatch-collector: %s\n", err);
		analytics_free(an);
		return 1;
	}
	rc = ingest_replay(&co->ingest, path, &stored, &rejected);
	if (analytics_flush(an) != 0)
		rc = -1;
	fflush(stdout);
	if (tmp[0] != '\0')
		unlink(tmp);
	fprintf(stderr, "leakwatch-collector: replay: %llu events stored, "
	    "%llu rejected, %llu alerts\n", (unsigned long long)stored,
	    (unsigned long long)rejected,
	    (unsigned long long)an->alerts_raised);
	co->ingest.analytics = NULL;
	analytics_free(an);
	return rc == 0 ? 0 : 1;
}

int
main(int argc, char **argv)
{
	struct collector co;
	char err[512];
	int rc = 0;

	memset(&co, 0, sizeof(co));
	/*
	 * Before SQLite's first use. Its allocation statistics, which nothing
	 * here reads, take one process-wide mutex on every malloc and free;
	 * the ingest, scorer and checkpoint threads queued on it.
	 */
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
	log_init("leakwatch-collector", 1, 0);
	parse_args(&co, argc, argv);
	log_setverbose(co.verbose);
	if (co.cfg.rules == NULL) {
		if (config_rules_default(&co.cfg, err, sizeof(err)) != 0) {
			fprintf(stderr, "leakwatch-collector: %s\n", err);
			conf_clear(collector_keys, &co.cfg);
			return 1;
		}
		if (!co.check_only)
			log_info("rules: none configured; using the shipped "
			    "rules in %s", co.cfg.rules);
	}
	if (check_config(&co, err, sizeof(err)) != 0) {
		fprintf(stderr, "leakwatch-collector: %s\n", err);
		conf_clear(collector_keys, &co.cfg);
		return 1;
	}
	if (co.check_only) {
		if (co.verbose)
			conf_dump(collector_keys, &co.cfg, stdout);
		fprintf(stderr, "leakwatch-collector: configuration OK%s\n",
		    co.cfg.insecure ? " (insecure: plaintext, no agent "
		    "authentication, loopback only: for tests)" : "");
		conf_clear(collector_keys, &co.cfg);
		return 0;
	}
	if (geteuid() == 0)
		log_warnx("running as root; the collector needs no privileges");
	/* Its memory holds the TLS key: no core files, no ptrace by peers. */
	if (prctl(PR_SET_DUMPABLE, 0) != 0)
		log_warn("prctl(PR_SET_DUMPABLE)");
	umask(077);
	signal(SIGPIPE, SIG_IGN);
	log_libevent();
	if ((co.store = store_open(co.cfg.db, co.cfg.db_sync_full, err,
	    sizeof(err))) == NULL)
		fatalx("%s", err);
	store_set_shutdown_timeout(co.store, co.cfg.shutdown_timeout);
	co.ingest.store = co.store;
	co.ingest.insecure = co.cfg.insecure;
	co.ingest.clock_skew = co.cfg.clock_skew;
	if (co.replay != NULL) {
		if (co.cfg.forward.n > 0 && (co.fwd = open_forward(&co, NULL,
		    store_db(co.store), err, sizeof(err))) == NULL)
			fatalx("%s", err);
		co.ingest.fwd = co.fwd;
		rc = run_replay(&co);
		if (co.fwd != NULL && fwd_flush(co.fwd, FWD_REPLAY_WAIT) != 0)
			log_warnx("forward: not every alert was sent within "
			    "%d s; they stay queued for the next run",
			    FWD_REPLAY_WAIT / 1000);
		fwd_free(co.fwd);
		store_close(co.store);
		conf_clear(collector_keys, &co.cfg);
		return rc;
	}
	if (co.cfg.agent_secrets != NULL && (co.secrets = secrets_load(
	    co.cfg.agent_secrets, err, sizeof(err))) == NULL)
		fatalx("%s", err);
	co.ingest.secrets = co.secrets;
	if (co.cfg.insecure)
		log_warnx("insecure: plaintext connections%s", co.secrets ?
		    "" : ", agents NOT authenticated (tests only)");
	if ((co.base = event_base_new()) == NULL)
		fatalx("event_base_new failed");
	if ((co.scorer = scorer_new(&co.cfg, co.store, err,
	    sizeof(err))) == NULL)
		fatalx("%s", err);
	if (co.cfg.forward.n > 0 && (co.fwd = open_forward(&co,
	    scorer_base(co.scorer), scorer_db(co.scorer), err,
	    sizeof(err))) == NULL)
		fatalx("%s", err);
	if (scorer_start(co.scorer, co.fwd, err, sizeof(err)) != 0)
		fatalx("%s", err);
	co.fwd = NULL;		/* the scorer's now */
	co.ingest.scorer = co.scorer;
	if ((co.server = server_new(co.base, &co.cfg, &co.ingest, err,
	    sizeof(err))) == NULL)
		fatalx("%s", err);
	if (co.cfg.control_socket != NULL && (co.control = control_new(
	    co.base, co.cfg.control_socket, co.cfg.db, err,
	    sizeof(err))) == NULL)
		fatalx("%s", err);
	signals_set(&co);
	log_info("listening on %s (%s), database %s", co.cfg.listen,
	    co.cfg.insecure ? "plaintext" : "TLS", co.cfg.db);
	event_base_dispatch(co.base);
	if (server_free(co.server) != 0)
		rc = 1;		/* logged: what the store gave up */
	scorer_free(co.scorer);
	signals_unset(&co);
	store_close(co.store);
	secrets_free(co.secrets);
	event_base_free(co.base);
	conf_clear(collector_keys, &co.cfg);
	if (rc == 0)
		log_info("exited cleanly");
	else
		log_warnx("exited; not everything received was stored");
	return rc;
}
