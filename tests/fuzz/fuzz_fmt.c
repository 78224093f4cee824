/*
 * libFuzzer target for the SIEM formats (collector/fmt*.c), the last code
 * an alert passes before it leaves for another company's SIEM. The input
 * is cut at NUL bytes: the first piece is parsed as JSON of any shape and
 * becomes the evidence (raw bytes when it is not JSON), the next pieces
 * are the summary, employee, rule, severity, id, ts and one more evidence
 * key and value, taken as bytes even when they are not UTF-8. Every
 * format must then give a message whose length is what it says with no
 * byte below 0x20 in it (a line break would split the message, an ESC
 * drive a terminal; LEEF's tab delimiter aside); RFC 5424, CEF and LEEF
 * give valid UTF-8 without DEL or C1 controls either (lib/text.c's
 * text_is_clean()), and JSON parses back whenever the inputs were valid
 * UTF-8. Under gcc, tests/fuzz/driver.c replays the corpus.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "../../collector/siem/siem.h"
#include "leakwatch/text.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define NPIECES	9

static const char *const fields[] = {
	"summary", "employee", "rule", "severity", "id", "ts"
};

/* A string of the piece's bytes; *raw set when they are not UTF-8. */
static json_t *
piece_string(const uint8_t *p, size_t n, int *raw)
{
	json_t *s = json_stringn((const char *)p, n);

	if (s != NULL)
		return s;
	*raw = 1;
	return json_stringn_nocheck((const char *)p, n);
}

static json_t *
alert_new(const uint8_t *data, size_t size, int *raw)
{
	const uint8_t *piece[NPIECES], *end = data + size, *z;
	size_t len[NPIECES], n = 0, i;
	json_t *a, *ev;
	json_error_t e;

	while (n < NPIECES) {
		z = memchr(data, '\0', (size_t)(end - data));
		piece[n] = data;
		len[n] = (size_t)((z != NULL ? z : end) - data);
		n++;
		if (z == NULL)
			break;
		data = z + 1;
	}
	a = json_object();
	json_object_set_new(a, "type", json_string("alert"));
	json_object_set_new(a, "score", json_real(42.5));
	ev = json_loadb((const char *)piece[0], len[0],
	    JSON_DECODE_ANY | JSON_ALLOW_NUL, &e);
	if (ev == NULL)
		ev = piece_string(piece[0], len[0], raw);
	json_object_set_new(a, "evidence", ev);
	for (i = 1; i < n && i <= 6; i++)
		json_object_set_new(a, fields[i - 1],
		    piece_string(piece[i], len[i], raw));
	if (n == NPIECES && json_is_object(ev) && len[7] > 0 &&
	    memchr(piece[7], '\0', len[7]) == NULL) {
		/* A key is a C string; jansson checks it is UTF-8. */
		char *k = strndup((const char *)piece[7], len[7]);

		if (json_object_set_new(ev, k,
		    piece_string(piece[8], len[8], raw)) != 0)
			*raw = 1;
		free(k);
	}
	return a;
}

/* A text format's message: clean text, LEEF's tabs apart. */
static void
text_clean_or_abort(const char *s, size_t len, int tabs)
{
	char *copy = strndup(s, len);
	size_t i;

	if (copy == NULL)
		abort();
	for (i = 0; tabs && i < len; i++)
		if (copy[i] == '\t')
			copy[i] = ' ';
	if (!text_is_clean(copy, len))
		abort();
	free(copy);
}

static void
check(const struct fwd_format *f, const json_t *a, int raw)
{
	struct fmt_opts o;
	json_error_t e;
	json_t *back;
	size_t len = 0, i;
	char *s;

	fmt_opts_defaults(&o);
	s = f->format(a, &o, &len);
	if (s == NULL) {
		/* Only JSON may refuse, and only bytes that are not UTF-8. */
		if (strcmp(f->name, "json") != 0 || !raw)
			abort();
		return;
	}
	if (strlen(s) != len)
		abort();
	if (strcmp(f->name, "json") != 0)
		text_clean_or_abort(s, len, strcmp(f->name, "leef") == 0);
	else
		for (i = 0; i < len; i++)
			if ((unsigned char)s[i] < 0x20)
				abort();
	if (strcmp(f->name, "json") == 0 && !raw) {
		if ((back = json_loads(s, JSON_ALLOW_NUL, &e)) == NULL)
			abort();
		json_decref(back);
	}
	free(s);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const names[] = { "rfc5424", "cef", "leef",
	    "json" };
	const struct fwd_format *f;
	json_t *a;
	int raw = 0;
	size_t i;

	a = alert_new(data, size, &raw);
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if ((f = fmt_lookup(names[i])) == NULL)
			abort();
		check(f, a, raw);
	}
	json_decref(a);
	return 0;
}
