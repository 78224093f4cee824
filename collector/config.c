/*
 * The collector's configuration keys, their defaults (the shipped rules
 * among them) and the cross-key checks done once at start-up and by
 * `-t`. Every key here is documented in docs/config.md (a test checks
 * that).
 */
#include <sys/stat.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "collector.h"
#include "siem/siem.h"
#include "leakwatch/proto.h"
#include "leakwatch/util.h"
#include "leakwatch/xmalloc.h"

/* Where `make install` puts the shared files (the Makefile's DATADIR). */
#ifndef LW_DATADIR
#define LW_DATADIR	"/usr/local/share/leakwatch"
#endif

#define K(n, kind, field, lo, hi) \
	{ n, kind, offsetof(struct collector_config, field), lo, hi }

const struct conf_key collector_keys[] = {
	K("listen", CONF_STR, listen, 0, 0),
	K("db", CONF_STR, db, 0, 0),
	K("insecure", CONF_FLAG, insecure, 0, 1),
	K("tls-cert", CONF_STR, tls_cert, 0, 0),
	K("tls-key", CONF_STR, tls_key, 0, 0),
	K("tls-client-ca", CONF_STR, tls_client_ca, 0, 0),
	K("tls-client-crl", CONF_STR, tls_client_crl, 0, 0),
	K("agent-secrets", CONF_STR, agent_secrets, 0, 0),
	K("max-frame", CONF_SIZE, max_frame, PROTO_MIN_FRAME, 16 << 20),
	K("read-buffer", CONF_SIZE, read_buffer, 4096, 64 << 20),
	K("idle-timeout", CONF_DURATION, idle_timeout, 1000, 86400000),
	K("hello-timeout", CONF_DURATION, hello_timeout, 100, 600000),
	K("max-connections", CONF_UINT, max_connections, 1, 100000),
	K("max-pending", CONF_UINT, max_pending, 1, 100000),
	K("max-pending-per-address", CONF_UINT, max_pending_addr, 1, 100000),
	K("max-handshakes", CONF_UINT, max_handshakes, 1, 100000),
	K("commit-events", CONF_UINT, commit_events, 1, 1000000),
	K("commit-interval", CONF_DURATION, commit_interval, 1, 60000),
	K("score-delay", CONF_DURATION, score_delay, 0, 600000),
	K("clock-skew", CONF_DURATION, clock_skew, 0, 86400000),
	K("db-sync-full", CONF_FLAG, db_sync_full, 0, 1),
	K("shutdown-timeout", CONF_DURATION, shutdown_timeout, 1000, 600000),
	K("forward", CONF_LIST, forward, 0, 0),
	K("forward-queue", CONF_UINT, forward_queue, 1, 100000000),
	K("syslog-facility", CONF_UINT, syslog_facility, 0, 23),
	K("syslog-sd-id", CONF_STR, syslog_sd_id, 0, 0),
	K("syslog-hostname", CONF_STR, syslog_hostname, 0, 0),
	K("control-socket", CONF_STR, control_socket, 0, 0),
	K("forward-events", CONF_LIST, forward_events, 0, 0),
	K("forward-alerts", CONF_FLAG, forward_alerts, 0, 1),
	K("directory", CONF_STR, directory, 0, 0),
	K("dhcp-leases", CONF_LIST, dhcp_leases, 0, 0),
	K("sensitive", CONF_LIST, sensitive, 0, 0),
	K("rules", CONF_STR, rules, 0, 0),
	K("holiday", CONF_LIST, holidays, 0, 0),
	K("risk-half-life", CONF_DURATION, risk_half_life, 3600000,
	    31536000000LL),
	K("risk-rule-cap", CONF_UINT, risk_rule_cap, 1, 10000),
	K("baseline-min-days", CONF_UINT, baseline_min_days, 1, 365),
	K("first-seen-bytes", CONF_SIZE, first_seen_bytes, 0, 1LL << 50),
	K("utc-offset", CONF_STR, utc_offset, 0, 0),
	K("retention", CONF_DURATION, retention, 0, 3650LL * 86400000),
	{ NULL, CONF_STR, 0, 0, 0 }
};

void
config_defaults(struct collector_config *c)
{
	c->max_frame = PROTO_MAX_FRAME;
	c->read_buffer = 4 << 20;
	c->idle_timeout = 90000;
	c->hello_timeout = 10000;
	c->max_connections = 4096;
	c->max_pending = 512;
	c->max_pending_addr = 16;
	c->max_handshakes = 64;
	c->commit_events = 2000;
	c->commit_interval = 50;
	c->score_delay = 5000;
	c->clock_skew = 30000;
	c->shutdown_timeout = 5000;
	c->forward_queue = 100000;
	c->syslog_facility = 13;	/* log audit */
	c->risk_half_life = 7LL * 86400000;
	c->risk_rule_cap = 100;
	c->baseline_min_days = 7;
	c->first_seen_bytes = 10LL << 20;
}

/* Every --forward URL parses; used by -t, live and replay alike. */
int
config_check_forward(const struct collector_config *c, char *err,
    size_t errlen)
{
	struct fwd_url u;
	size_t i;

	for (i = 0; i < c->forward.n; i++)
		if (fwd_parse_url(c->forward.v[i], &u, err, errlen) != 0)
			return -1;
	return 0;
}

/* 1 when the listen address is a loopback one (127/8, ::1, localhost). */
static int
listen_loopback(const char *listen)
{
	char host[256], port[16];

	if (hostport_split(listen, host, sizeof(host), port,
	    sizeof(port)) != 0)
		return 0;
	return strncmp(host, "127.", 4) == 0 || strcmp(host, "::1") == 0 ||
	    strcmp(host, "localhost") == 0;
}

/* Checks that need several keys at once; messages name the keys. */
int
config_check(const struct collector_config *c, char *err, size_t errlen)
{
	if (c->listen == NULL)
		return conf_fail(err, errlen, "listen: not set");
	if (c->db == NULL)
		return conf_fail(err, errlen, "db: not set");
	if (c->insecure) {
		if (c->tls_cert != NULL || c->tls_client_ca != NULL)
			return conf_fail(err, errlen, "insecure: plaintext, "
			    "but tls-cert/tls-client-ca are set; remove one");
		if (!listen_loopback(c->listen))
			return conf_fail(err, errlen, "insecure: plaintext "
			    "is for tests on loopback only, but listen is %s",
			    c->listen);
		return 0;
	}
	if (c->tls_client_crl != NULL && c->tls_client_ca == NULL)
		return conf_fail(err, errlen,
		    "tls-client-crl: needs tls-client-ca");
	if (c->tls_cert == NULL || c->tls_key == NULL)
		return conf_fail(err, errlen, "tls-cert and tls-key are "
		    "required (or insecure yes, for tests only)");
	if (c->tls_client_ca == NULL && c->agent_secrets == NULL)
		return conf_fail(err, errlen, "no way to authenticate "
		    "agents: set tls-client-ca, agent-secrets or both");
	if (c->read_buffer < c->max_frame + 5)
		return conf_fail(err, errlen, "read-buffer (%lld) must hold "
		    "one frame of max-frame (%lld) bytes", c->read_buffer,
		    c->max_frame);
	return 0;
}

/* dir, canonical, into out when it is a directory; else 0. */
static int
is_dir(const char *dir, char *out)
{
	struct stat sb;

	return realpath(dir, out) != NULL && stat(out, &sb) == 0 &&
	    S_ISDIR(sb.st_mode);
}

/*
 * `rules` when the configuration names none: the shipped rules, so that a
 * collector started without thinking about rules still alerts. Searched
 * in order, the first directory that exists wins (and must then hold
 * rules, as a named one must):
 *  1. ../rules beside the directory of the running binary
 *     (/proc/self/exe): the source tree's rules/ for a binary built in
 *     one of its build directories (build/, build-asan/, ...); an
 *     installed binary's ../rules (/usr/rules for /usr/sbin) does not
 *     exist;
 *  2. DATADIR/rules, where `make install` puts them (DATADIR is compiled
 *     in from the Makefile: PREFIX/share/leakwatch).
 * Nothing found is an error naming both places.
 */
int
config_rules_default(struct collector_config *c, char *err, size_t errlen)
{
	char exe[PATH_MAX], cand[PATH_MAX + 16], found[PATH_MAX], *slash;
	ssize_t n;

	if (c->rules != NULL)
		return 0;
	cand[0] = '\0';
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = '\0';
		if ((slash = strrchr(exe, '/')) != NULL)
			*slash = '\0';
		snprintf(cand, sizeof(cand), "%s/../rules", exe);
		if (is_dir(cand, found)) {
			c->rules = xstrdup(found);
			return 0;
		}
	}
	if (is_dir(LW_DATADIR "/rules", found)) {
		c->rules = xstrdup(found);
		return 0;
	}
	snprintf(err, errlen, "no rules: set rules (or --rules DIR); the "
	    "shipped rules are in neither %s nor %s", cand[0] != '\0' ?
	    cand : "../rules beside the program", LW_DATADIR "/rules");
	return -1;
}
