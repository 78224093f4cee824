/*
 * A small JSON writer for trusted producers (the agent's own event
 * builders): it appends one flat object - keys, strings, unsigned
 * integers, booleans, RFC 3339 timestamps and arrays of strings - to a
 * growable buffer, in the order called, with no DOM and no allocation per
 * value. Its bytes are those jansson's json_dumps(obj, JSON_COMPACT) gives
 * for the object the same calls would build with json_object_set_new()
 * (tests/unit/test_jsonw.c holds it to that, byte for byte), so an event
 * keeps its exact encoding whichever way it was built.
 *
 * It is not a parser, does not check a schema (lw_event_from_encoded()
 * does that on the result) and has no nesting beyond one array in an
 * object. Strings are escaped as jansson escapes them: '"', '\\' and
 * control bytes, the latter as \b \f \n \r \t or \u00XX; everything else,
 * DEL and UTF-8 included, is copied. A string that is not valid UTF-8 is
 * left out together with its key (the call returns -1), which is what
 * json_object_set_new(o, key, json_string(s)) does: json_string() refuses
 * it and the set fails. Keys take the same path, so they need no care.
 */
#ifndef LEAKWATCH_JSONW_H
#define LEAKWATCH_JSONW_H

#include <stddef.h>
#include <stdint.h>

/*
 * hint: the capacity the next object starts with; comma: the next member
 * or element needs a ','; err: memory ran out, the object is lost; skip:
 * inside an array whose key was refused; ts_head[i]: "YYYY-MM-DDTHH:MM:SS"
 * of second ts_sec[i], for the first ts_n entries (ts_next is replaced
 * next).
 */
#define JSONW_TS_CACHE	4
struct jsonw {
	char		*buf;
	size_t		 len;
	size_t		 cap;
	size_t		 hint;
	int		 comma;
	int		 err;
	int		 skip;
	int		 ts_n;
	int		 ts_next;
	int64_t		 ts_sec[JSONW_TS_CACHE];
	char		 ts_head[JSONW_TS_CACHE][20];
};

/* A writer without a buffer; one can build any number of objects. */
void	 jsonw_init(struct jsonw *);
/* Frees the buffer of an object begun and not ended. */
void	 jsonw_free(struct jsonw *);

/* Starts an object ('{'), dropping anything not yet ended. */
void	 jsonw_begin(struct jsonw *);
/*
 * Ends the object and hands its buffer over: NUL-terminated, malloc'd,
 * *len without the NUL. NULL (and nothing to free) if memory ran out.
 */
char	*jsonw_end(struct jsonw *, size_t *len);

/* Members. -1 when the value was left out (NULL, bad UTF-8, bad time). */
int	 jsonw_str(struct jsonw *, const char *key, const char *s);
int	 jsonw_strn(struct jsonw *, const char *key, const char *s,
	    size_t len);
void	 jsonw_uint(struct jsonw *, const char *key, uint64_t v);
void	 jsonw_bool(struct jsonw *, const char *key, int v);
/* `us` as ts_format() writes it; left out where ts_format() fails. */
int	 jsonw_ts(struct jsonw *, const char *key, int64_t us);

/* An array of strings: begin, any number of elements, end. */
void	 jsonw_list_begin(struct jsonw *, const char *key);
int	 jsonw_list_str(struct jsonw *, const char *s);
int	 jsonw_list_strn(struct jsonw *, const char *s, size_t len);
void	 jsonw_list_end(struct jsonw *);
void	 jsonw_obj_begin(struct jsonw *, const char *key);
void	 jsonw_obj_end(struct jsonw *);

/* Whether len bytes are UTF-8 that jansson's json_stringn() accepts. */
int	 jsonw_utf8_valid(const char *s, size_t len);

#endif
