/*
 * The collector's configuration (collector.conf, docs/config.md): its keys,
 * their defaults and the cross-key checks. Three programs read the same
 * file - the collector itself, leakwatch-tui (for db and control-socket)
 * and leakwatch-ctl (db, agent-secrets, retention, ...) - so this header
 * stands apart from the daemon's map (collector.h) and gives the other
 * two programs the configuration without the daemon's internals.
 */
#ifndef LEAKWATCH_COLLECTOR_CONFIG_H
#define LEAKWATCH_COLLECTOR_CONFIG_H

#include <stddef.h>

#include "leakwatch/conf.h"

/* config.c */

struct collector_config {
	char		*listen;	/* ADDR:PORT */
	char		*db;
	int		 insecure;	/* plaintext, tests only */
	char		*tls_cert;
	char		*tls_key;
	char		*tls_client_ca;	/* verify agents' certificates */
	char		*tls_client_crl; /* revoked agent certificates */
	char		*agent_secrets;	/* "name sha256hex" per line */
	long long	 max_frame;
	long long	 read_buffer;
	long long	 idle_timeout;	/* ms */
	long long	 hello_timeout;	/* ms */
	long long	 max_connections;
	long long	 max_pending;	/* connections before HELLO, in all */
	long long	 max_pending_addr; /* ... from one source address */
	long long	 max_handshakes; /* ... with a TLS session */
	long long	 commit_events;
	long long	 commit_interval; /* ms */
	long long	 score_delay;	/* ms scoring waits out a burst */
	long long	 clock_skew;	/* ms */
	int		 db_sync_full;
	long long	 shutdown_timeout; /* ms to wait for a failing store */
	/* SIEM forwarding (siem/fwd.c, docs/siem.md). */
	struct conf_list forward;	/* udp|tcp|tls://HOST:PORT?... */
	long long	 forward_queue;	/* alerts kept for a slow SIEM */
	long long	 syslog_facility;
	char		*syslog_sd_id;
	char		*syslog_hostname;
	char		*control_socket; /* triage (control.c) */
	struct conf_list forward_events; /* raw event types also sent */
	int		 forward_alerts; /* each alert too, not only cases */
	/* Analytics (docs/analytics.md, docs/directory.md, docs/rules.md). */
	char		*directory;	/* employees CSV */
	struct conf_list dhcp_leases;	/* dhcpd.leases / dnsmasq files */
	struct conf_list sensitive;	/* PATTERN=CLASS */
	char		*rules;		/* directory of *.rules */
	struct conf_list holidays;	/* YYYY-MM-DD, not learnt from */
	long long	 risk_half_life; /* ms */
	long long	 risk_rule_cap;
	long long	 baseline_min_days;
	long long	 first_seen_bytes;
	char		*utc_offset;	/* "+07:00": local day and hours */
	long long	 retention;	/* ms; events older go (leakwatch-ctl vacuum) */
};

extern const struct conf_key collector_keys[];
void	 config_defaults(struct collector_config *);
int	 config_check(const struct collector_config *, char *, size_t);
int	 config_rules_default(struct collector_config *, char *, size_t);
int	 config_check_forward(const struct collector_config *, char *,
	    size_t);

#endif
