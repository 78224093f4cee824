/*
 * The shape of a statement's text, the key agent/normcache.c caches
 * normalised results by, so that texts differing only in their numbers
 * (pgbench's `aid = 4242`, an application's ids written into the text)
 * are normalised once. Kept beside the normaliser because its promise is
 * one about the normaliser's lexer: see below.
 */
#include <stddef.h>
#include <string.h>

#include "leakwatch/sqlnorm.h"

/*
 * The shape of a text: the text with each number literal written as a
 * bare run of digits replaced by one '0'. The promise callers rely on
 * (agent/normcache.c keys its cache by it): two texts with the same
 * shape under the same options normalise to the same result, field by
 * field. It holds because the shape is only given for plain text - no
 * quote, comment, dollar quote, backslash or control character, so
 * every byte is code and no comment can carry an end user - and a run
 * of digits is replaced only where the lexer reads a number whatever its
 * digits: it starts a token (after a blank, "(", "[", ",", "=", "<",
 * ">" or at the start) and ends one (before a blank, ")", "]", ",", ";",
 * "=", "<", ">" or at the end), so it is never part of a name, a @var,
 * a :param, a decimal fraction, an exponent or a 0x prefix, and the
 * normaliser writes every number as "?". Texts over the options' length
 * bound (which fail closed on their length alone) have no shape.
 */
/* Inline: sqlchar_digit() is a call into sqllex.c, per byte here. */
static int
shape_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static int
shape_byte(unsigned char c)
{
	if (c >= 0x80 || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    shape_digit(c))
		return 1;
	switch (c) {
	case ' ': case '\t': case '\n': case '\r':
	case '_': case '.': case ',': case ':': case ';': case '=': case '<':
	case '>': case '+': case '*': case '!': case '~': case '%': case '^':
	case '&': case '|': case '@': case '?': case '[': case ']': case '(':
	case ')':
		return 1;
	default:
		return 0;
	}
}

static int
shape_before(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '(' ||
	    c == '[' || c == ',' || c == '=' || c == '<' || c == '>';
}

static int
shape_after(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == ')' ||
	    c == ']' || c == ',' || c == ';' || c == '=' || c == '<' ||
	    c == '>';
}

int
sqlnorm_shape(const char *sql, size_t len, const struct sqlnorm_opts *opts,
    char *out, size_t *outlen)
{
	const unsigned char *s = (const unsigned char *)sql;
	size_t i, j, o = 0, maxlen;

	if (sql == NULL)
		return -1;
	/* As sqlnorm() does: a C string's terminator is not text. */
	while (len > 0 && sql[len - 1] == '\0')
		len--;
	maxlen = opts != NULL && opts->max_len != 0 ? opts->max_len :
	    SQLNORM_DEFAULT_MAX_LEN;
	if (len > maxlen)
		return -1;
	for (i = 0; i < len; i++) {
		if (!shape_byte(s[i]))
			return -1;
		if (!shape_digit(s[i]) || (i > 0 && !shape_before(s[i - 1]))) {
			out[o++] = (char)s[i];
			continue;
		}
		for (j = i; j < len && shape_digit(s[j]); j++)
			;
		if (j < len && !shape_after(s[j])) {
			/* Part of something else: copied as it is. */
			memcpy(out + o, sql + i, j - i);
			o += j - i;
		} else
			out[o++] = '0';
		i = j - 1;
	}
	*outlen = o;
	return 0;
}
