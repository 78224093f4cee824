/*
 * The agent's configuration keys, defaults and cross-key checks, and the
 * loading of its secret. Every key is documented in docs/config.md.
 */
#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "agent.h"
#include "leakwatch/xmalloc.h"

#define K(n, kind, field, lo, hi) \
	{ n, kind, offsetof(struct agent_config, field), lo, hi }

const struct conf_key agent_keys[] = {
	K("name", CONF_STR, name, 0, 0),
	K("collector", CONF_STR, collector, 0, 0),
	K("spool", CONF_STR, spool, 0, 0),
	K("source", CONF_LIST, sources, 0, 0),
	K("insecure", CONF_FLAG, insecure, 0, 1),
	K("tls-ca", CONF_STR, tls_ca, 0, 0),
	K("tls-cert", CONF_STR, tls_cert, 0, 0),
	K("tls-key", CONF_STR, tls_key, 0, 0),
	K("server-name", CONF_STR, server_name, 0, 0),
	K("secret-file", CONF_STR, secret_file, 0, 0),
	K("spool-max", CONF_SIZE, spool_max, 1 << 20, 1LL << 42),
	K("spool-segment", CONF_SIZE, spool_segment, 64 << 10, 1 << 30),
	K("spool-sync", CONF_DURATION, spool_sync, 10, 3600000),
	K("heartbeat", CONF_DURATION, heartbeat, 100, 3600000),
	K("backoff-min", CONF_DURATION, backoff_min, 10, 600000),
	K("backoff-max", CONF_DURATION, backoff_max, 10, 3600000),
	K("ack-timeout", CONF_DURATION, ack_timeout, 1000, 3600000),
	K("window", CONF_UINT, window, 1, 10000000),
	K("read", CONF_STR, read, 0, 0),
	K("interface", CONF_STR, interface, 0, 0),
	K("bpf", CONF_STR, bpf, 0, 0),
	K("snaplen", CONF_UINT, snaplen, 96, 262144),
	K("promisc", CONF_FLAG, promisc, 0, 1),
	K("pcap-buffer", CONF_SIZE, pcap_buffer, 1 << 20, 1LL << 32),
	K("capture-queue", CONF_SIZE, capture_queue, 64 << 10, 1LL << 32),
	K("user", CONF_STR, user, 0, 0),
	K("port", CONF_LIST, ports, 0, 0),
	K("internal", CONF_LIST, internal, 0, 0),
	K("reasm-stream-max", CONF_SIZE, reasm_stream_max, 4096, 1 << 30),
	K("reasm-memory", CONF_SIZE, reasm_memory, 1 << 20, 1LL << 36),
	K("db-sessions-max", CONF_UINT, db_sessions_max, 1, 10000000),
	K("db-idle-timeout", CONF_DURATION, db_idle_timeout, 1000,
	    86400000),
	K("statement-max", CONF_SIZE, statement_max, 1024, 16 << 20),
	K("end-user-tag", CONF_STR, end_user_tag, 0, 0),
	K("end-user-app-name", CONF_FLAG, end_user_app_name, 0, 1),
	K("flow-max", CONF_UINT, flow_max, 16, 100000000),
	K("flow-idle-timeout", CONF_DURATION, flow_idle_timeout, 1000,
	    86400000),
	K("flow-active-timeout", CONF_DURATION, flow_active_timeout, 1000,
	    7 * 86400000LL),
	K("flow-update", CONF_DURATION, flow_update, 100, 86400000),
	K("flow-scope", CONF_STR, flow_scope, 0, 0),
	K("categories", CONF_STR, categories, 0, 0),
	K("read-log", CONF_STR, read_log, 0, 0),
	K("log-line-prefix", CONF_STR, log_line_prefix, 0, 0),
	K("stat-interval", CONF_DURATION, stat_interval, 1000, 86400000),
	K("log-dedup", CONF_FLAG, log_dedup, 0, 1),
	K("stat-fill", CONF_FLAG, stat_fill, 0, 1),
	K("aggregate", CONF_FLAG, aggregate, 0, 1),
	K("aggregate-interval", CONF_DURATION, aggregate_interval, 1000,
	    900000),
	K("aggregate-max-rows", CONF_UINT, aggregate_max_rows, 0,
	    1000000000000LL),
	K("sensitive-tables", CONF_LIST, sensitive_tables, 0, 0),
	{ NULL, CONF_STR, 0, 0, 0 }
};

void
agent_config_defaults(struct agent_config *c)
{
	c->spool_max = 1LL << 30;
	c->spool_segment = 16 << 20;
	c->spool_sync = 1000;
	c->heartbeat = 10000;
	c->backoff_min = 500;
	c->backoff_max = 30000;
	c->ack_timeout = 60000;
	c->window = 50000;
	c->snaplen = 262144;
	c->pcap_buffer = 64 << 20;
	c->capture_queue = 32 << 20;
	c->reasm_stream_max = 1 << 20;
	c->reasm_memory = 256 << 20;
	c->db_sessions_max = 100000;
	c->db_idle_timeout = 3600000;
	c->statement_max = 64 << 10;
	c->flow_max = 1000000;
	c->flow_idle_timeout = 120000;
	c->flow_active_timeout = 3600000;
	c->flow_update = 60000;
	c->stat_interval = 60000;
	c->log_dedup = 1;
	c->stat_fill = 1;
	c->aggregate = 1;
	c->aggregate_interval = 10000;
	c->aggregate_max_rows = 1000;
}

/*
 * What the decoding sources need of the configuration, checked for a
 * live agent and for --read / --read-log alike.
 */
int
agent_config_check_decode(const struct agent_config *c, char *err,
    size_t errlen)
{
	if (c->ports.n > 0) {
		struct db_port dp[DB_MAX_PORTS];
		size_t ndp;

		/* The same check as the db source's, so -t catches it. */
		if (db_ports(c, dp, &ndp, err, errlen) != 0)
			return -1;
	}
	return agg_check_config(c, err, errlen);
}

int
agent_config_check(const struct agent_config *c, char *err, size_t errlen)
{
	if (c->collector == NULL)
		return conf_fail(err, errlen, "collector: not set");
	if (c->spool == NULL)
		return conf_fail(err, errlen, "spool: not set");
	if (c->sources.n == 0)
		return conf_fail(err, errlen, "source: none configured");
	if (c->backoff_min > c->backoff_max)
		return conf_fail(err, errlen,
		    "backoff-min is above backoff-max");
	if (c->spool_segment * 2 > c->spool_max)
		return conf_fail(err, errlen, "spool-max must hold at least "
		    "two spool-segment files");
	if (agent_config_check_decode(c, err, errlen) != 0)
		return -1;
	if (c->insecure) {
		if (c->tls_ca != NULL || c->tls_cert != NULL)
			return conf_fail(err, errlen, "insecure: plaintext, "
			    "but tls-ca/tls-cert are set; remove one");
		return 0;
	}
	if (c->tls_ca == NULL)
		return conf_fail(err, errlen, "tls-ca is required to verify "
		    "the collector (or insecure yes, for tests only)");
	if (c->tls_cert == NULL && c->secret_file == NULL)
		return conf_fail(err, errlen, "no credential: set tls-cert "
		    "and tls-key, or secret-file");
	if ((c->tls_cert == NULL) != (c->tls_key == NULL))
		return conf_fail(err, errlen,
		    "tls-cert and tls-key go together");
	return 0;
}

/*
 * The secret is the first line of a file only its owner can read, like an
 * ssh key: a group- or world-readable secret is refused, not warned about.
 */
char *
agent_secret_load(const char *path, char *err, size_t errlen)
{
	char buf[512];
	struct stat st;
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) != 0 || (st.st_mode & 077) != 0) {
		snprintf(err, errlen, "%s: must be readable by its owner only "
		    "(chmod 600)", path);
		close(fd);
		return NULL;
	}
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0) {
		snprintf(err, errlen, "%s: empty or unreadable", path);
		return NULL;
	}
	buf[n] = '\0';
	buf[strcspn(buf, "\r\n")] = '\0';
	if (strlen(buf) < 16) {
		snprintf(err, errlen, "%s: secret shorter than 16 characters",
		    path);
		return NULL;
	}
	return xstrdup(buf);
}
