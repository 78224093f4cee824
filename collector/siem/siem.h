/*
 * SIEM forwarding: cases, alerts (if asked) and raw events (if asked) to
 * SIEMs over syslog (UDP, TCP, TLS), queued in the collector's database
 * so a slow or absent SIEM loses nothing (docs/siem.md). This header is
 * the map of the folder, top to bottom (a file calls only files below
 * it):
 *
 *	fwd.c		the forwarder: outbox, connections, framing
 *	formats.c	the table of formats by name
 *	fmt-<name>.c	one format each: an alert in, a message out (a
 *			case message is alert-shaped: analytics/cases.c)
 *	fmt.c		what the formats share: severity scales,
 *			alert field accessors, the flattened evidence
 *
 * The analytics (alert.c, analytics.c) and the daemon (main.c, scorer.c,
 * config.c) call in; nothing here calls out of the folder but into lib/.
 */
#ifndef LEAKWATCH_SIEM_H
#define LEAKWATCH_SIEM_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "leakwatch/buf.h"

struct conf_list;
struct event_base;
struct sqlite3;

/* fmt.c: what the formats share */

struct fmt_opts {
	const char	*hostname;	/* RFC 5424 HOSTNAME */
	const char	*app_name;	/* APP-NAME, "leakwatch" */
	int		 facility;	/* 0..23 */
	const char	*sd_id;		/* "leakwatch@32473" */
	long		 procid;	/* 0: "-" */
};

/* One SIEM format: one alert event in, one unframed message out. */
struct fwd_format {
	const char	*name;
	char		*(*format)(const json_t *alert,
			    const struct fmt_opts *, size_t *len);
	int		 has_header;	/* else fwd.c adds fmt_header() */
};

void		 fmt_header(struct buf *, const json_t *alert,
		    const struct fmt_opts *);
void		 fmt_opts_defaults(struct fmt_opts *);
const char	*fmt_str(const json_t *alert, const char *key);
const char	*fmt_msgid(const json_t *alert);	/* ALERT CASE EVENT */
double		 fmt_num(const json_t *alert, const char *key);
int		 fmt_sev_syslog(const char *severity);
int		 fmt_sev_cef(const char *severity);
int		 fmt_sev_leef(const char *severity);
int		 fmt_sev_ecs(const char *severity);
void		 fmt_escaped(struct buf *, const char *text,
		    void (*one)(struct buf *, char));
void		 fmt_kv(struct buf *, char sep, const char *key,
		    const char *value, void (*kone)(struct buf *, char),
		    void (*vone)(struct buf *, char));
void		 fmt_evidence_foreach(const json_t *alert,
		    void (*)(void *, const char *key, const char *value),
		    void *);

/* fmt-rfc5424.c, fmt-cef.c, fmt-leef.c, fmt-json.c: the formats */
extern const struct fwd_format fmt_rfc5424;
extern const struct fwd_format fmt_cef;
extern const struct fwd_format fmt_leef;
extern const struct fwd_format fmt_json;

/* formats.c: the formats by name */
const struct fwd_format *fmt_lookup(const char *name);

/* fwd.c: alerts to SIEMs over syslog, queued in the database */

struct fwd_url {
	int		 kind;		/* udp, tcp, tls */
	char		 host[256];
	char		 port[16];
	char		 format[16];
	char		 ca[512];
	char		 cert[512];
	char		 key[512];
	char		 name[256];	/* TLS name to verify */
	size_t		 maxsize;	/* UDP datagram bound */
};

struct fwd_stats {
	uint64_t	 sent;		/* messages handed to the network */
	uint64_t	 errors;	/* connection failures */
	uint64_t	 dropped;	/* outbox overflow */
	uint64_t	 buffered;	/* bytes in output buffers, all */
	uint64_t	 events;	/* raw events queued */
};

/*
 * Live, the forwarder writes its cursors through the scorer's connection
 * while the store writes through its own: each write waits its turn. The
 * collector hands in how turns are taken (store_writer_enter() and
 * store_writer_leave()), so nothing here calls up into the daemon.
 */
struct fwd_turn {
	void		(*enter)(void *);
	void		(*leave)(void *);
	void		 *arg;
};

struct fwd;
int		 fwd_parse_url(const char *, struct fwd_url *, char *err,
		    size_t errlen);
struct fwd	*fwd_new(struct event_base *, struct sqlite3 *db,
		    const struct conf_list *urls, const struct fmt_opts *,
		    long long max, char *err, size_t errlen);
int		 fwd_submit(struct fwd *, const json_t *alert);
void		 fwd_set_event_types(struct fwd *, const struct conf_list *);
void		 fwd_set_turn(struct fwd *, const struct fwd_turn *);
json_t		*fwd_event_message(const json_t *ev, const char *employee);
int		 fwd_event(struct fwd *, const json_t *ev,
		    const char *employee);
int		 fwd_event_wanted(const struct fwd *, const char *type);
int		 fwd_flush(struct fwd *, long long timeout_ms);
void		 fwd_stats(const struct fwd *, struct fwd_stats *);
void		 fwd_free(struct fwd *);

#endif
