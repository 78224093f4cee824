/*
 * The closed event schema: the five event types, the fields each may
 * carry, every field's kind and bound, and the limits an encoded event
 * lives within. It is data and lookups only, below both judges of an
 * event - the DOM validator (event.c) and the streaming scanner
 * (event-scan.c) - so they read one table and neither calls the other.
 * docs/events.md is the prose side of these tables and
 * tests/unit/test_event.c keeps the two in step.
 */
#ifndef LEAKWATCH_EVENT_SCHEMA_H
#define LEAKWATCH_EVENT_SCHEMA_H

#include <stddef.h>

#define EVENT_MAX_LEN		65536	/* one encoded event, bytes */
#define EVENT_MAX_DEPTH		8	/* nesting inside object fields */
#define EVENT_AGENT_MAX		64	/* == PROTO_MAX_NAME */
/* 2^53 - 1: the largest integer a double (JavaScript, most SIEMs) keeps. */
#define EVENT_UINT_MAX		9007199254740991LL
/* The longest string ts_parse() accepts: 19 + '.' + 9 digits + 'Z'. */
#define EVENT_TS_MAXLEN		30

/*
 * Every type's table starts with these three entries, in this order, so
 * a judge can find the type, the timestamp and the sender by position.
 */
#define EVENT_FIELD_TYPE	0
#define EVENT_FIELD_TS		1
#define EVENT_FIELD_AGENT	2

enum event_type {
	EVENT_DB_QUERY,
	EVENT_DB_SESSION,
	EVENT_NET_FLOW,
	EVENT_ALERT,
	EVENT_AGENT_STATUS,
	EVENT_NTYPES
};

enum event_kind {
	FIELD_STR,	/* string of at most maxlen bytes, valid UTF-8 */
	FIELD_ENUM,	/* string, one of values[] */
	FIELD_HEX,	/* exactly maxlen lower-case hex digits */
	FIELD_UINT,	/* integer 0..max */
	FIELD_NUM,	/* number (integer or real) 0..max */
	FIELD_BOOL,
	FIELD_TS,	/* RFC 3339 UTC with microseconds */
	FIELD_STRLIST,	/* array of at most max strings of maxlen bytes */
	FIELD_UINTMAP,	/* object of at most max keys, values integers >= 0 */
	FIELD_OBJECT	/* any JSON object, depth and encoded size bounded */
};

#define FIELD_REQUIRED	0x1
/*
 * A FIELD_STR that names someone or something (user, database,
 * application, host, version): also no control characters - C0, DEL,
 * C1 - which is what text_is_clean() (leakwatch/text.h) checks. The agent
 * escapes them before an event is built, so a raw one means an agent
 * that does not (docs/events.md).
 */
#define FIELD_TEXT	0x2
/*
 * A FIELD_UINT that counts things an event stands for (db.query's
 * `count`): 0 would be an event about nothing, so it is refused.
 */
#define FIELD_NONZERO	0x4

struct event_field {
	const char	 *name;
	enum event_kind	  kind;
	int		  flags;
	size_t		  maxlen;	/* bytes per string, or encoded size */
	long long	  max;		/* UINT/NUM upper bound; list length */
	const char *const *values;	/* FIELD_ENUM: NULL-terminated */
};

const char	*lw_event_type_name(enum event_type);
int		 lw_event_type_lookup(const char *name, enum event_type *out);

/*
 * The schema of one type (common fields first), terminated by name NULL;
 * NULL for a type out of range. A table holds fewer than 64 entries, so
 * one uint64_t can mark the fields an event carries.
 */
const struct event_field *lw_event_fields(enum event_type);

#endif
