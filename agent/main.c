/*
 * leakwatch-agent: start-up, the command line, signals, heartbeats and the
 * event loop. The data path is source -> emit() -> spool -> uplink; this
 * file wires it and owns the one context struct, `struct agent`.
 *
 *   leakwatch-agent [-htv] [-c FILE] --collector ADDR:PORT --spool DIR
 *       --source jsonl:PATH [--insecure] [--drain] [--KEY VALUE ...]
 *   leakwatch-agent --read FILE.pcap --source db|net [--KEY VALUE ...]
 *   leakwatch-agent --read-log FORMAT:FILE [--KEY VALUE ...]
 *
 * The second form is offline: events go to stdout as JSON Lines, with no
 * spool and no collector, and the agent exits at the end of the file.
 */
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <jansson.h>

#include "agent.h"
#include "leakwatch/event.h"
#include "leakwatch/log.h"
#include "leakwatch/text.h"
#include "leakwatch/util.h"
#include "leakwatch/xmalloc.h"

#define TICK_MS		100

struct agent {
	struct agent_config	 cfg;
	const char		*conf_path;
	int			 drain;
	int			 check_only;
	int			 verbose;
	struct event_base	*base;
	struct spool		*spool;
	struct syncer		*syncer;
	struct syncer_stats	 synced;	/* as last reported */
	struct uplink		*uplink;
	struct source		**sources;
	size_t			 nsources;
	struct sink		 sink;
	char			*secret;
	struct event		*sig[3];
	struct event		*tick;
	struct event		*heartbeat;
	struct event		*kick;
	int64_t			 started_ms;
	int64_t			 synced_ms;
	uint64_t		 spool_errors;
	int			 dirty;
};

/* What -h prints after "usage: "; conf_daemon_args() adds the rest. */
static const char agent_synopsis[] =
    "leakwatch-agent [-htv] [-c file] "
    "[--collector addr:port] [--spool dir]\n"
    "           [--source jsonl:path|db:iface|net:iface|"
    "log:format:path|pgstat:file|mystat:file ...] "
    "[--insecure] [--drain] [--key value ...]\n"
    "       leakwatch-agent --read file.pcap --source db|net "
    "[--key value ...]\n"
    "       leakwatch-agent --read-log format:file [--key value ...]\n";

/* The agent's own option; conf_daemon_args() does the rest. */
static const struct option agent_opts[] = {
	{ "drain", no_argument, NULL, 0 },
	{ NULL, 0, NULL, 0 }
};

static void
parse_args(struct agent *ag, int argc, char **argv)
{
	static const struct conf_prog prog = { "leakwatch-agent", agent_keys,
	    agent_opts, agent_synopsis };
	struct conf_args a;
	char host[256];

	agent_config_defaults(&ag->cfg);
	conf_daemon_args(&prog, argc, argv, &ag->cfg, &a);
	ag->conf_path = a.path;
	ag->check_only = a.check_only;
	ag->verbose = a.verbose;
	ag->drain = a.own[0] != NULL;
	if (ag->cfg.name == NULL) {
		if (gethostname(host, sizeof(host)) != 0)
			snprintf(host, sizeof(host), "agent");
		host[sizeof(host) - 1] = '\0';
		host[strcspn(host, ".")] = '\0';
		ag->cfg.name = xstrdup(host);
	}
}

/* Sources that can wait (files) pause when the spool nears its cap. */
static int
sink_full(void *arg)
{
	struct agent *ag = arg;
	struct spool_stats ss;

	spool_stats(ag->spool, &ss);
	return ss.bytes > (uint64_t)ag->cfg.spool_max / 10 * 8;
}

static int
sink_emit(void *arg, struct lw_event *ev, uint32_t src_id, uint64_t pos)
{
	struct agent *ag = arg;
	char *json;
	size_t len;
	uint64_t seq;
	int rc;

	if (lw_event_set_agent(ev, ag->cfg.name) != 0 ||
	    (json = lw_event_encode(ev, &len)) == NULL) {
		lw_event_free(ev);
		return 0;	/* cannot happen for a validated event */
	}
	lw_event_free(ev);
	if (len > EVENT_MAX_LEN) {
		/* Only the agent name can push a valid event over; refuse
		 * here, the collector would refuse it anyway. */
		log_warnx("event of %zu bytes over the %d-byte limit dropped",
		    len, EVENT_MAX_LEN);
		free(json);
		return 0;
	}
	rc = spool_append(ag->spool, json, len, src_id, pos, &seq);
	free(json);
	if (rc != 0) {
		if (ag->spool_errors++ == 0)
			log_warn("spool append failed; retrying");
		return -1;
	}
	if (!ag->dirty) {
		ag->dirty = 1;
		event_active(ag->kick, EV_TIMEOUT, 0);
	}
	return 0;
}

/* Offline mode: each event is one line on stdout, in the order decoded. */
static int
stdout_emit(void *arg, struct lw_event *ev, uint32_t src_id, uint64_t pos)
{
	struct agent *ag = arg;
	char *json;
	size_t len;

	(void)src_id;
	(void)pos;
	if (lw_event_set_agent(ev, ag->cfg.name) != 0 ||
	    (json = lw_event_encode(ev, &len)) == NULL) {
		lw_event_free(ev);
		return 0;
	}
	lw_event_free(ev);
	json[len] = '\n';
	if (fwrite(json, 1, len + 1, stdout) != len + 1) {
		free(json);
		fatal("stdout");
	}
	free(json);
	return 0;
}

static int
never_full(void *arg)
{
	(void)arg;
	return 0;
}

static void
offline_tick_cb(evutil_socket_t fd, short what, void *arg)
{
	struct agent *ag = arg;
	size_t i;

	(void)fd;
	(void)what;
	for (i = 0; i < ag->nsources; i++)
		if (!source_done(ag->sources[i]))
			return;
	event_base_loopbreak(ag->base);
}

/*
 * --read: the sources decode one capture file and the events go to stdout.
 * The same source code runs as in live mode; only the sink differs, so
 * what a test sees offline is what the collector gets live.
 */
static int
run_offline(struct agent *ag)
{
	struct event *tick;
	char err[512];
	size_t i;
	int rc = 0;

	if (ag->cfg.read_log != NULL) {
		/* --read-log FORMAT:FILE is the log source, read once. */
		char spec[4096];

		if (snprintf(spec, sizeof(spec), "log:%s", ag->cfg.read_log) >=
		    (int)sizeof(spec)) {
			fprintf(stderr, "leakwatch-agent: --read-log: path "
			    "too long\n");
			return 2;
		}
		if (conf_set(agent_keys, &ag->cfg, "source", spec, err,
		    sizeof(err)) != 0) {
			fprintf(stderr, "leakwatch-agent: %s\n", err);
			return 2;
		}
	}
	if (ag->cfg.sources.n == 0) {
		fprintf(stderr, "leakwatch-agent: --read needs --source db "
		    "or --source net\n");
		return 2;
	}
	if (agent_config_check_decode(&ag->cfg, err, sizeof(err)) != 0) {
		fprintf(stderr, "leakwatch-agent: %s\n", err);
		conf_clear(agent_keys, &ag->cfg);
		return 2;
	}
	if ((ag->base = event_base_new()) == NULL)
		fatalx("event_base_new failed");
	ag->sink.emit = stdout_emit;
	ag->sink.full = never_full;
	ag->sink.arg = ag;
	ag->sources = xcalloc(ag->cfg.sources.n, sizeof(*ag->sources));
	for (i = 0; i < ag->cfg.sources.n; i++) {
		ag->sources[i] = source_new(ag->base, ag->cfg.sources.v[i],
		    &ag->cfg, &ag->sink, NULL, 0, err, sizeof(err));
		if (ag->sources[i] == NULL) {
			fprintf(stderr, "leakwatch-agent: %s\n", err);
			rc = 1;
			break;
		}
		ag->nsources++;
	}
	/* Every capture is open: nothing below parses packets as root. */
	if (rc == 0)
		priv_drop(&ag->cfg, 1);
	if (rc == 0) {
		tick = ev_periodic(ag->base, 10, offline_tick_cb, ag);
		event_base_dispatch(ag->base);
		event_free(tick);
	}
	for (i = 0; i < ag->nsources; i++)
		source_free(ag->sources[i]);
	free(ag->sources);
	event_base_free(ag->base);
	if (fflush(stdout) != 0) {
		log_warn("stdout");
		rc = 1;
	}
	conf_clear(agent_keys, &ag->cfg);
	return rc;
}

/* One pump per loop turn, however many events the sources produced. */
static void
kick_cb(evutil_socket_t fd, short what, void *arg)
{
	struct agent *ag = arg;

	(void)fd;
	(void)what;
	ag->dirty = 0;
	uplink_kick(ag->uplink);
}

static char *
status_json(struct agent *ag, size_t *len)
{
	struct spool_stats ss;
	struct uplink_stats us;
	struct source_stats st;
	uint64_t read = 0, errors = 0, pkts = 0, drops = 0, qdrops = 0;
	uint64_t evicted = 0, aggregated = 0, agg_evicted = 0;
	json_t *o, *srcs;
	char ts[TS_STRLEN], *s, *name, *version;
	size_t i;

	spool_stats(ag->spool, &ss);
	uplink_stats(ag->uplink, &us);
	srcs = json_array();
	for (i = 0; i < ag->nsources; i++) {
		source_stats(ag->sources[i], &st);
		read += st.read;
		errors += st.errors;
		pkts += st.packets;
		drops += st.kernel_drops;
		qdrops += st.queue_drops;
		evicted += st.evicted;
		aggregated += st.aggregated;
		agg_evicted += st.agg_evicted;
		json_array_append_new(srcs, json_string(source_spec(
		    ag->sources[i])));
	}
	ts_format(now_us(), ts, sizeof(ts));
	/* Made safe like every decoded name (lib/text.c), though ours. */
	name = text_vis_dup(ag->cfg.name, 0);
	version = text_vis_dup(LEAKWATCH_VERSION, 0);
	o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:I, "
	    "s:I, s:I, s:I, s:o}", "type", "agent.status", "ts", ts,
	    "agent", name, "version", version,
	    "instance", spool_instance(ag->spool),
	    "uptime_s", (json_int_t)((mono_ms() - ag->started_ms) / 1000),
	    "spool_events", (json_int_t)ss.events,
	    "spool_bytes", (json_int_t)ss.bytes,
	    "spool_dropped", (json_int_t)ss.dropped,
	    "events_read", (json_int_t)read,
	    "events_sent", (json_int_t)us.sent,
	    "events_acked", (json_int_t)us.acked,
	    "parse_errors", (json_int_t)errors,
	    "sources", srcs);
	free(name);
	free(version);
	if (o == NULL)
		return NULL;
	if (pkts != 0 || drops != 0 || qdrops != 0 || evicted != 0 ||
	    aggregated != 0 || agg_evicted != 0)
		json_object_set_new(o, "counters", json_pack("{s:I, s:I, s:I, "
		    "s:I, s:I, s:I}", "packets", (json_int_t)pkts,
		    "kernel_drops", (json_int_t)drops,
		    "queue_drops", (json_int_t)qdrops,
		    "evicted", (json_int_t)evicted,
		    "aggregated", (json_int_t)aggregated,
		    "aggregate_evicted", (json_int_t)agg_evicted));
	s = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	if (s != NULL)
		*len = strlen(s);
	return s;
}

static void
send_status(void *arg)
{
	struct agent *ag = arg;
	char *s;
	size_t len;

	if ((s = status_json(ag, &len)) == NULL)
		return;
	uplink_status(ag->uplink, s, len);
	free(s);
}

static void
heartbeat_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	send_status(arg);
}

static int
drained(struct agent *ag)
{
	struct spool_stats ss;
	size_t i;

	for (i = 0; i < ag->nsources; i++)
		if (!source_done(ag->sources[i]))
			return 0;
	spool_stats(ag->spool, &ss);
	return ss.next_seq - 1 == ss.acked;
}

/*
 * The periodic spool sync, on the syncer's thread (syncer.c). What went
 * wrong since the last tick is logged here: a failed sync, and a sync
 * still running when the next was due (the disk is slower than
 * spool-sync; decoding goes on, durability lags).
 */
static void
sync_spool(struct agent *ag)
{
	struct syncer_stats st;

	syncer_request(ag->syncer, spool_active_fd(ag->spool));
	syncer_stats(ag->syncer, &st);
	if (st.failed > ag->synced.failed)
		log_warnx("spool %s: sync failed: %s (%" PRIu64 " failures)",
		    ag->cfg.spool, strerror(st.last_errno), st.failed);
	if (st.skipped > ag->synced.skipped && ag->synced.skipped == 0)
		log_warnx("spool %s: a sync is still running after %lld ms; "
		    "the disk is slower than spool-sync (decoding goes on)",
		    ag->cfg.spool, ag->cfg.spool_sync);
	ag->synced = st;
}

static void
tick_cb(evutil_socket_t fd, short what, void *arg)
{
	struct agent *ag = arg;
	int64_t now = mono_ms();

	(void)fd;
	(void)what;
	if (now - ag->synced_ms >= ag->cfg.spool_sync) {
		sync_spool(ag);
		ag->synced_ms = now;
	}
	if (ag->drain && drained(ag)) {
		log_info("drained: every event is stored by the collector");
		event_base_loopbreak(ag->base);
	}
}

static void
signal_cb(evutil_socket_t sig, short what, void *arg)
{
	struct agent *ag = arg;

	(void)what;
	if (sig == SIGHUP) {
		log_reopen();
		log_info("SIGHUP: logs reopened; restart to apply config "
		    "changes");
		return;
	}
	log_info("signal %d: syncing the spool and exiting", (int)sig);
	event_base_loopbreak(ag->base);
}

/* A core dump of the agent could hold event data: none, ever. */
static void
no_core_dumps(void)
{
	struct rlimit rl = { 0, 0 };

	setrlimit(RLIMIT_CORE, &rl);
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
}

int
main(int argc, char **argv)
{
	struct agent ag;
	struct passwd pw;
	char err[512];
	static const int sigs[3] = { SIGTERM, SIGINT, SIGHUP };
	size_t i;
	int drop;

	memset(&ag, 0, sizeof(ag));
	no_core_dumps();
	log_init("leakwatch-agent", 1, 0);
	parse_args(&ag, argc, argv);
	log_setverbose(ag.verbose);
	if ((ag.cfg.read != NULL || ag.cfg.read_log != NULL) &&
	    !ag.check_only)
		return run_offline(&ag);
	if (agent_config_check(&ag.cfg, err, sizeof(err)) != 0 ||
	    (ag.cfg.secret_file != NULL && (ag.secret = agent_secret_load(
	    ag.cfg.secret_file, err, sizeof(err))) == NULL)) {
		fprintf(stderr, "leakwatch-agent: %s\n", err);
		conf_clear(agent_keys, &ag.cfg);
		return 1;
	}
	if (ag.check_only) {
		if (ag.verbose)
			conf_dump(agent_keys, &ag.cfg, stdout);
		fprintf(stderr, "leakwatch-agent: configuration OK\n");
		free(ag.secret);
		conf_clear(agent_keys, &ag.cfg);
		return 0;
	}
	umask(077);
	signal(SIGPIPE, SIG_IGN);
	log_libevent();
	ag.started_ms = ag.synced_ms = mono_ms();
	/* Refuse to parse as root before anything is opened. */
	if ((drop = priv_user(&ag.cfg, 0, &pw, err, sizeof(err))) == -1)
		fatalx("%s", err);
	if ((ag.spool = spool_open(ag.cfg.spool, (uint64_t)ag.cfg.spool_max,
	    (uint64_t)ag.cfg.spool_segment, err, sizeof(err))) == NULL)
		fatalx("%s", err);
	/* Created as root, the spool must be the dropped agent's. */
	if (drop == 1 && priv_chown_dir(ag.cfg.spool, pw.pw_uid, pw.pw_gid,
	    err, sizeof(err)) != 0)
		fatalx("spool %s", err);
	if ((ag.base = event_base_new()) == NULL)
		fatalx("event_base_new failed");
	if ((ag.uplink = uplink_new(ag.base, &ag.cfg, ag.spool, ag.secret,
	    err, sizeof(err))) == NULL)
		fatalx("%s", err);
	uplink_on_ready(ag.uplink, send_status, &ag);
	ag.kick = event_new(ag.base, -1, 0, kick_cb, &ag);
	ag.sink.emit = sink_emit;
	ag.sink.full = sink_full;
	ag.sink.arg = &ag;
	ag.sources = xcalloc(ag.cfg.sources.n, sizeof(*ag.sources));
	for (i = 0; i < ag.cfg.sources.n; i++) {
		ag.sources[i] = source_new(ag.base, ag.cfg.sources.v[i],
		    &ag.cfg, &ag.sink, ag.spool, !ag.drain, err,
		    sizeof(err));
		if (ag.sources[i] == NULL)
			fatalx("%s", err);
		ag.nsources++;
	}
	priv_drop(&ag.cfg, 0);
	if ((ag.syncer = syncer_new(fdatasync)) == NULL)
		fatalx("spool sync thread: cannot start");
	for (i = 0; i < 3; i++) {
		ag.sig[i] = evsignal_new(ag.base, sigs[i], signal_cb, &ag);
		evsignal_add(ag.sig[i], NULL);
	}
	ag.tick = ev_periodic(ag.base, TICK_MS, tick_cb, &ag);
	ag.heartbeat = ev_periodic(ag.base, ag.cfg.heartbeat, heartbeat_cb,
	    &ag);
	log_info("agent %s (instance %s): %zu source(s), collector %s%s",
	    ag.cfg.name, spool_instance(ag.spool), ag.nsources,
	    ag.cfg.collector, ag.cfg.insecure ? " (plaintext)" : "");
	event_base_dispatch(ag.base);

	for (i = 0; i < ag.nsources; i++)
		source_free(ag.sources[i]);
	free(ag.sources);
	uplink_free(ag.uplink);
	syncer_free(ag.syncer);
	spool_sync(ag.spool);
	spool_free(ag.spool);
	for (i = 0; i < 3; i++)
		event_free(ag.sig[i]);
	event_free(ag.tick);
	event_free(ag.heartbeat);
	event_free(ag.kick);
	event_base_free(ag.base);
	if (ag.secret != NULL) {
		explicit_bzero(ag.secret, strlen(ag.secret));
		free(ag.secret);
	}
	conf_clear(agent_keys, &ag.cfg);
	return 0;
}
