/*
 * The event schema as data: one static table per event type naming every
 * field it may carry, with the field's kind, bound and, for an enum, its
 * values. Both judges of an event read these tables - the DOM validator
 * (event.c) and the streaming scanner (event-scan.c) - and nothing else
 * here: no JSON, no I/O, no state. A new field is added here and in
 * docs/events.md, and tests/unit/test_event.c fails until both agree.
 */
#include <string.h>

#include "leakwatch/event-schema.h"

#define F_STR(n, fl, len)	{ n, FIELD_STR, fl, len, 0, NULL }
#define F_ENUM(n, fl, v)	{ n, FIELD_ENUM, fl, 0, 0, v }
#define F_HEX(n, fl, len)	{ n, FIELD_HEX, fl, len, 0, NULL }
#define F_UINT(n, fl, max)	{ n, FIELD_UINT, fl, 0, max, NULL }
#define F_NUM(n, fl, max)	{ n, FIELD_NUM, fl, 0, max, NULL }
#define F_BOOL(n)		{ n, FIELD_BOOL, 0, 0, 0, NULL }
#define F_TS(n, fl)		{ n, FIELD_TS, fl, EVENT_TS_MAXLEN, 0, NULL }
#define F_LIST(n, max, len)	{ n, FIELD_STRLIST, 0, len, max, NULL }
#define F_MAP(n, max, klen)	{ n, FIELD_UINTMAP, 0, klen, max, NULL }
#define F_OBJ(n, len)		{ n, FIELD_OBJECT, 0, len, 0, NULL }
#define F_END			{ NULL, FIELD_STR, 0, 0, 0, NULL }

#define REQ	FIELD_REQUIRED
#define TXT	FIELD_TEXT
#define NZ	FIELD_NONZERO

/* Indexed by enum event_type; also the values of the `type` field. */
static const char *const type_names[] = {
	"db.query", "db.session", "net.flow", "alert", "agent.status", NULL
};

static const char *const db_systems[] = { "postgresql", "mysql", NULL };
static const char *const statuses[] = { "ok", "error", NULL };
static const char *const sources[] = { "wire", "log", "stats", NULL };
static const char *const actions[] = {
	"connect", "disconnect", "tls", "auth_failed", NULL
};
static const char *const l4s[] = {
	"tcp", "udp", "icmp", "icmp6", "other", NULL
};
static const char *const scopes[] = {
	"internal", "outbound", "inbound", "external", NULL
};
static const char *const mismatch_kinds[] = {
	"certificate", "dns", "address_list", NULL
};
static const char *const severities[] = {
	"low", "medium", "high", "critical", NULL
};

/*
 * Every table starts with these three, in this order (EVENT_FIELD_TYPE,
 * EVENT_FIELD_TS, EVENT_FIELD_AGENT): the validator and the scanner find
 * the timestamp and the sender by position.
 */
#define COMMON_FIELDS							\
	F_ENUM("type", REQ, type_names),				\
	F_TS("ts", REQ),						\
	F_STR("agent", 0, EVENT_AGENT_MAX)

static const struct event_field db_query_fields[] = {
	COMMON_FIELDS,
	F_ENUM("db_system", REQ, db_systems),
	F_STR("server", TXT, 64),
	F_STR("client", TXT, 64),
	F_STR("session_id", TXT, 64),
	F_STR("db_user", REQ | TXT, 128),
	F_STR("database", TXT, 128),
	F_STR("app_name", TXT, 256),
	F_STR("end_user", TXT, 256),
	F_STR("command", REQ, 32),
	F_STR("statement", 0, 16384),
	F_HEX("fingerprint", 0, 16),
	F_LIST("tables", 256, 256),
	F_UINT("rows", 0, EVENT_UINT_MAX),
	F_UINT("rows_returned", 0, EVENT_UINT_MAX),
	F_UINT("rows_affected", 0, EVENT_UINT_MAX),
	F_UINT("bytes", 0, EVENT_UINT_MAX),
	F_UINT("duration_us", 0, EVENT_UINT_MAX),
	F_UINT("count", NZ, EVENT_UINT_MAX),
	F_TS("first_ts", 0),
	F_UINT("max_rows", 0, EVENT_UINT_MAX),
	F_MAP("errors", 64, 16),
	F_ENUM("status", REQ, statuses),
	F_BOOL("partial"),
	F_STR("error_code", TXT, 16),
	F_ENUM("source", 0, sources),
	F_END
};

static const struct event_field db_session_fields[] = {
	COMMON_FIELDS,
	F_ENUM("db_system", REQ, db_systems),
	F_ENUM("action", REQ, actions),
	F_STR("server", TXT, 64),
	F_STR("client", TXT, 64),
	F_STR("session_id", TXT, 64),
	F_STR("db_user", TXT, 128),
	F_STR("database", TXT, 128),
	F_STR("app_name", TXT, 256),
	F_UINT("duration_us", 0, EVENT_UINT_MAX),
	F_STR("error_code", TXT, 16),
	F_ENUM("source", 0, sources),
	F_END
};

static const struct event_field net_flow_fields[] = {
	COMMON_FIELDS,
	F_STR("flow_id", REQ, 64),
	F_STR("src", REQ, 64),
	F_UINT("sport", 0, 65535),
	F_STR("dst", REQ, 64),
	F_UINT("dport", 0, 65535),
	F_ENUM("l4", REQ, l4s),
	F_UINT("vlan", 0, 4095),
	F_STR("app", 0, 64),
	F_STR("category", 0, 32),
	F_STR("ndpi_category", 0, 64),
	F_STR("server_name", TXT, 256),
	F_UINT("bytes_out", REQ, EVENT_UINT_MAX),
	F_UINT("bytes_in", REQ, EVENT_UINT_MAX),
	F_UINT("pkts_out", 0, EVENT_UINT_MAX),
	F_UINT("pkts_in", 0, EVENT_UINT_MAX),
	F_UINT("delta_bytes_out", 0, EVENT_UINT_MAX),
	F_UINT("delta_bytes_in", 0, EVENT_UINT_MAX),
	F_TS("first_ts", 0),
	F_TS("last_ts", 0),
	F_LIST("risks", 64, 64),
	F_BOOL("mismatch"),
	F_ENUM("mismatch_by", 0, mismatch_kinds),
	F_BOOL("final"),
	F_ENUM("scope", 0, scopes),
	F_END
};

static const struct event_field alert_fields[] = {
	COMMON_FIELDS,
	F_STR("id", REQ, 64),
	F_STR("employee", REQ, 256),
	F_STR("rule", REQ, 128),
	F_ENUM("severity", REQ, severities),
	F_NUM("score", REQ, 100),
	F_STR("summary", REQ, 1024),
	F_OBJ("evidence", 32768),
	F_END
};

static const struct event_field agent_status_fields[] = {
	COMMON_FIELDS,
	F_STR("version", REQ | TXT, 32),
	F_HEX("instance", 0, 32),
	F_UINT("uptime_s", 0, EVENT_UINT_MAX),
	F_UINT("spool_events", 0, EVENT_UINT_MAX),
	F_UINT("spool_bytes", 0, EVENT_UINT_MAX),
	F_UINT("spool_dropped", 0, EVENT_UINT_MAX),
	F_UINT("events_read", 0, EVENT_UINT_MAX),
	F_UINT("events_sent", 0, EVENT_UINT_MAX),
	F_UINT("events_acked", 0, EVENT_UINT_MAX),
	F_UINT("parse_errors", 0, EVENT_UINT_MAX),
	F_MAP("counters", 64, 64),
	F_LIST("sources", 32, 256),
	F_END
};

/*
 * Indexed by enum event_type. A table holds fewer than 64 entries, so one
 * uint64_t marks the fields an event carries (the unit test checks this).
 */
static const struct event_field *const schemas[EVENT_NTYPES] = {
	db_query_fields,
	db_session_fields,
	net_flow_fields,
	alert_fields,
	agent_status_fields
};

const char *
lw_event_type_name(enum event_type t)
{
	if ((int)t < 0 || t >= EVENT_NTYPES)
		return "unknown";
	return type_names[t];
}

int
lw_event_type_lookup(const char *name, enum event_type *out)
{
	int i;

	if (name == NULL)
		return -1;
	for (i = 0; i < EVENT_NTYPES; i++) {
		if (strcmp(name, type_names[i]) == 0) {
			if (out != NULL)
				*out = (enum event_type)i;
			return 0;
		}
	}
	return -1;
}

const struct event_field *
lw_event_fields(enum event_type t)
{
	if ((int)t < 0 || t >= EVENT_NTYPES)
		return NULL;
	return schemas[t];
}
