/*
 * The event model every program shares: the five event types of the brief,
 * their field schema and their JSON encoding (jansson). The model is closed:
 * every field has a kind and a size bound and an unknown field is an error,
 * so nothing - row contents in particular - can ride along unvalidated.
 * docs/events.md documents each field; the tables (event-schema.h) are
 * the code side of that document and a test keeps the two in step.
 */
#ifndef LEAKWATCH_EVENT_H
#define LEAKWATCH_EVENT_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "leakwatch/event-schema.h"

/*
 * An event is held one of two ways: as a jansson DOM (obj), or, when a
 * trusted producer wrote the JSON itself (lib/jsonw.c) and the streaming
 * validator vouched for it, as those compact bytes (enc, enclen; obj is
 * then NULL). Code that reads fields needs obj; code that only ships the
 * event goes through lw_event_set_agent() and lw_event_encode(), which
 * handle both forms.
 */
struct lw_event {
	enum event_type	 type;
	int64_t		 ts_us;		/* `ts`, microseconds since epoch */
	json_t		*obj;		/* owned, validated; or NULL */
	char		*enc;		/* owned, validated compact JSON; or NULL */
	size_t		 enclen;	/* bytes of enc (a NUL may follow) */
	/* borrowed, or NULL: fields read without a DOM (event-view.h) */
	struct lw_event_view *view;
};

/*
 * Validates obj against the schema. 0 on success with *type and *ts_us
 * set; -1 with a message naming the field and the problem in err.
 */
int		 lw_event_validate(const json_t *obj, enum event_type *type,
		    int64_t *ts_us, char *err, size_t errlen);

/* Parses and validates one JSON text of len bytes (no NUL needed). */
struct lw_event	*lw_event_parse(const char *buf, size_t len, char *err,
		    size_t errlen);

/* Validates obj and wraps it; takes ownership of obj in every case. */
struct lw_event	*lw_event_from_json(json_t *obj, char *err, size_t errlen);

/*
 * Validates len bytes of one JSON object and wraps them as they are
 * (enc): the fast path for events an agent writes itself. buf must come
 * from malloc(); it is owned by the event, or freed, in every case. The
 * bytes are checked by lw_event_scan() without a DOM; what it leaves to
 * the reference (and bytes holding a line break, which a JSON Lines
 * consumer would split) go through lw_event_parse() and come back as a
 * DOM event, so the verdict and the error are always lw_event_parse()'s.
 */
struct lw_event	*lw_event_from_encoded(char *buf, size_t len, char *err,
		    size_t errlen);

/* Sets `agent`; fails (-1) if the name is empty or too long. */
int		 lw_event_set_agent(struct lw_event *, const char *agent);

/*
 * Compact JSON, NUL-terminated, caller frees; *len excludes the NUL. An
 * encoded event gives its bytes back unchanged.
 */
char		*lw_event_encode(const struct lw_event *, size_t *len);

void		 lw_event_free(struct lw_event *);

#endif
