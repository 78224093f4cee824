/*
 * Reading an event's fields without a DOM. The collector's scorer reads a
 * handful of fields of every stored event; parsing each into a jansson
 * DOM cost more than all the rest of scoring. A view is built from bytes
 * the streaming validator (event-scan.h) vouches for: one pass notes where
 * each value is and decodes the strings, numbers and string lists into
 * one reusable buffer. The accessors below read a field the same way
 * whether the event holds a DOM (obj) or a view, so callers need not care.
 */
#ifndef LEAKWATCH_EVENT_VIEW_H
#define LEAKWATCH_EVENT_VIEW_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "leakwatch/event.h"
#include "leakwatch/event-scan.h"

enum lw_value_kind {
	LW_NONE,		/* absent */
	LW_STR,
	LW_NUM,
	LW_BOOL,
	LW_LIST,		/* array of strings: lw_event_list() */
	LW_OTHER		/* object or another array: use lw_event_dom() */
};

struct lw_view_value {
	enum lw_value_kind	 kind;
	const char		*s;	/* LW_STR */
	double			 n;	/* LW_NUM, LW_BOOL (0 or 1) */
	const char *const	*list;	/* LW_LIST, views only */
	size_t			 nlist;	/* LW_LIST */
};

struct lw_event_view {
	const char			*raw;	/* borrowed */
	size_t				 len;
	const struct event_field	*tab;
	uint64_t			 seen;
	struct lw_view_value		 val[EVENT_SCAN_FIELDS];
	char				*buf;	/* decoded strings, lists */
	size_t				 cap;
	json_t				*dom;	/* lw_event_dom(), on demand */
};

/*
 * Points ev at a view of len bytes at raw (which must outlive both) and
 * fills ev's type and ts. -1 when the validator does not vouch for the
 * bytes: the caller then parses them into a DOM instead. The view is
 * reused from one event to the next; lw_event_view_clear() frees it.
 */
int	 lw_event_view_init(struct lw_event_view *, struct lw_event *ev,
	    const char *raw, size_t len);
void	 lw_event_view_clear(struct lw_event_view *);

/* Field `key` of ev (DOM or view): kind LW_NONE when absent. */
void	 lw_event_get(const struct lw_event *, const char *key,
	    struct lw_view_value *out);
/* The string value of key, or NULL when absent or not a string. */
const char *lw_event_str(const struct lw_event *, const char *key);
/* 1 and *out when key holds a number, else 0. */
int	 lw_event_num(const struct lw_event *, const char *key, double *out);
/* 1 when key holds true. */
int	 lw_event_true(const struct lw_event *, const char *key);
/* Up to max strings of the string list key into out; how many. */
size_t	 lw_event_list(const struct lw_event *, const char *key,
	    const char **out, size_t max);
/* The event as a DOM: obj, or built from the view once and kept there. */
const json_t *lw_event_dom(const struct lw_event *);

#endif
