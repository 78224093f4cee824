/*
 * The collector's fast path for validating an event: a scanner that reads
 * the JSON bytes once against the closed schema (event-schema.h) without
 * building a jansson DOM. It only ever says "valid" when lw_event_parse()
 * would accept the same bytes with the same type and timestamp; everything
 * else (an error, or a shape it does not handle) is "ask lw_event_parse()",
 * which stays the reference and gives the verdict and the error message.
 * tests/fuzz/fuzz_eventscan.c checks that promise against the DOM path.
 */
#ifndef LEAKWATCH_EVENT_SCAN_H
#define LEAKWATCH_EVENT_SCAN_H

#include <stddef.h>
#include <stdint.h>

#include "leakwatch/event-schema.h"

/*
 * agent points into buf at the `agent` value as sent (agent_len bytes),
 * or is NULL when the event has none or writes it with escapes.
 */
struct lw_event_scan {
	enum event_type	 type;
	int64_t		 ts_us;		/* `ts`, us since epoch */
	const char	*agent;
	size_t		 agent_len;
};

/*
 * 0: buf holds an event lw_event_parse() accepts, *out filled in.
 * -1: not decided here (invalid, or a rare shape such as alert evidence,
 * escaped keys, reals): the caller must use lw_event_parse().
 */
int	lw_event_scan(const char *buf, size_t len,
	    struct lw_event_scan *out);

/*
 * The same, noting where each value is: spans[i] is the value token of
 * schema entry i of lw_event_fields(out->type) (a string with its quotes),
 * valid where bit i of *seen is set. The schema has at most
 * EVENT_SCAN_FIELDS entries per type.
 */
#define EVENT_SCAN_FIELDS	64

struct lw_event_span {
	uint32_t	 off;		/* from buf */
	uint32_t	 len;
};

int	lw_event_scan_spans(const char *buf, size_t len,
	    struct lw_event_scan *out,
	    struct lw_event_span spans[EVENT_SCAN_FIELDS], uint64_t *seen);

#endif
