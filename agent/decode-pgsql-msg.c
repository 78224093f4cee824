/*
 * The shapes of PostgreSQL protocol messages, for the wire decoder
 * (decode-pgsql.c): how much of a body is worth keeping, whether a
 * header is plausible and a body well formed (which resynchronisation
 * relies on), and the fields read from CommandComplete and ErrorResponse
 * bodies. Pure functions of their arguments: no state, no I/O.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decode-pgsql.h"
#include "leakwatch/text.h"

uint32_t
pg_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

static uint16_t
be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/*
 * Copies a counted, maybe NUL-terminated string (a user, database or
 * application name, a statement or portal name) made safe by the shared
 * routine (lib/text.c): control characters and invalid UTF-8 escaped
 * visibly, cut with "..." if it does not fit.
 */
void
pg_copy(char *dst, size_t dstlen, const uint8_t *src, size_t srclen)
{
	const uint8_t *z = memchr(src, '\0', srclen);

	text_vis(src, z != NULL ? (size_t)(z - src) : srclen, dst, dstlen, 0);
}

/* Length of the C string at p within n bytes, or -1 if unterminated. */
long
pg_cstr(const uint8_t *p, size_t n)
{
	const uint8_t *z = memchr(p, '\0', n);

	return z == NULL ? -1 : (long)(z - p);
}


void
pg_tag_parse(const char *tag, struct pg_tag *tg)
{
	const char *p, *last;
	size_t i;
	uint64_t v = 0;

	memset(tg, 0, sizeof(*tg));
	for (i = 0; tag[i] != '\0' && tag[i] != ' ' &&
	    i + 1 < sizeof(tg->word); i++)
		tg->word[i] = tag[i];
	tg->word[i] = '\0';
	last = strrchr(tag, ' ');
	p = last == NULL ? tag : last + 1;
	if (*p == '\0' || last == NULL)
		return;
	for (; *p != '\0'; p++) {
		if (*p < '0' || *p > '9' || v > UINT64_MAX / 10 - 1)
			return;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	tg->n = v;
	tg->has_n = 1;
}

/* The SQLSTATE ('C' field) of an ErrorResponse body, or "" if absent. */
void
pg_error_code(const uint8_t *b, size_t n, char *out, size_t outlen)
{
	size_t i = 0;
	long l;

	out[0] = '\0';
	while (i < n && b[i] != '\0') {
		l = pg_cstr(b + i + 1, n - i - 1);
		if (l < 0)
			return;
		if (b[i] == 'C') {
			size_t j, m = (size_t)l;

			/* A SQLSTATE is exactly five characters [0-9A-Z]:
			 * anything else is not passed on. */
			if (m != 5)
				return;
			for (j = 0; j < m; j++) {
				unsigned char ch = b[i + 1 + j];

				if (!((ch >= '0' && ch <= '9') ||
				    (ch >= 'A' && ch <= 'Z')))
					return;
			}
			pg_copy(out, outlen, b + i + 1, m);
			return;
		}
		i += 1 + (size_t)l + 1;
	}
}

/* Bytes of the body worth keeping, by direction and type. */
size_t
pg_keep_for(const struct pg_conn *c, enum db_dir d, uint8_t type)
{
	size_t textmax = c->stmt_max + 1;

	if (d == DB_FROM_CLIENT) {
		switch (type) {
		case 0:
			return PG_STARTUP_MAX;
		case 'Q':
			return textmax + 1;
		case 'P':
			return PG_NAME_KEEP + textmax + 1;
		case 'B':
			return 2 * PG_NAME_KEEP;
		case 'E':
		case 'D':
		case 'C':
			return PG_NAME_KEEP + 1;
		default:
			return 0;
		}
	}
	switch (type) {
	case 'R':
		return 4;
	case 'K':
		return 4;
	case 'Z':
		return 1;
	case 'H':
		return 1;
	case 'S':
	case 'E':
	case 'C':
		return PG_SMALL_KEEP;
	default:
		return 0;
	}
}

/*
 * The bounds of the length field (which counts itself: 4 is an empty
 * body) of each message type, one table a direction. A type missing from
 * its direction's table is not plausible.
 */
struct pg_len {
	uint8_t		type;
	uint32_t	min, max;
};

#define ANY	PG_MSG_MAX

static const struct pg_len client_lens[] = {
	{ 'Q', 5, ANY }, { 'P', 8, ANY }, { 'B', 12, ANY },
	{ 'E', 9, 65536 }, { 'D', 6, 65536 }, { 'C', 6, 65536 },
	{ 'S', 4, 4 }, { 'H', 4, 4 }, { 'X', 4, 4 }, { 'c', 4, 4 },
	{ 'd', 4, ANY }, { 'f', 5, 65536 }, { 'p', 4, 65536 },
	{ 'F', 14, ANY }
};

static const struct pg_len server_lens[] = {
	{ 'R', 8, 65536 }, { 'K', 12, 264 }, { 'S', 6, 65536 },
	{ 'Z', 5, 5 }, { '1', 4, 4 }, { '2', 4, 4 }, { '3', 4, 4 },
	{ 'n', 4, 4 }, { 's', 4, 4 }, { 'I', 4, 4 }, { 'c', 4, 4 },
	{ 'C', 5, 1024 }, { 'E', 5, 1 << 20 }, { 'N', 5, 1 << 20 },
	{ 'T', 6, ANY }, { 'D', 6, ANY }, { 't', 6, ANY },
	{ 'H', 7, ANY }, { 'G', 7, ANY }, { 'W', 7, ANY },
	{ 'd', 4, ANY }, { 'A', 10, ANY }, { 'V', 8, ANY },
	{ 'v', 12, 65536 }
};

#undef ANY

/*
 * Is (type, len) a plausible message header for this direction? len is
 * the protocol's length field (which counts itself).
 */
int
pg_plausible(enum db_dir d, uint8_t type, uint32_t len)
{
	const struct pg_len *t = d == DB_FROM_CLIENT ? client_lens :
	    server_lens;
	size_t i, n = d == DB_FROM_CLIENT ?
	    sizeof(client_lens) / sizeof(client_lens[0]) :
	    sizeof(server_lens) / sizeof(server_lens[0]);

	if (len < 4 || len > PG_MSG_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if (t[i].type == type)
			return len >= t[i].min && len <= t[i].max;
	return 0;
}

/*
 * The length of two C strings at the start of b[0..total) (a Parse's name
 * and query, a ParameterStatus's name and value), or -1.
 */
static long
two_cstrs(const uint8_t *b, size_t total)
{
	long l1, l2;

	if ((l1 = pg_cstr(b, total)) < 0)
		return -1;
	if ((l2 = pg_cstr(b + l1 + 1, total - (size_t)l1 - 1)) < 0)
		return -1;
	return l1 + l2 + 2;
}

/*
 * Checks the have bytes seen of a body of total bytes: -1 impossible,
 * 1 complete and structurally right (a strong signal), 0 nothing wrong
 * found but not proven either.
 */
int
pg_body_check(enum db_dir d, uint8_t type, const uint8_t *b, size_t have,
    size_t total)
{
	size_t i, n;
	long l;
	int cols;

	if (total == 0)
		return 1;
	/* Nothing of the body in the window yet: every check below reads
	 * at least b[0], which may lie past the window's end. */
	if (have == 0)
		return 0;
	if (d == DB_FROM_CLIENT) {
		switch (type) {
		case 'Q':
			l = pg_cstr(b, have);
			if (l >= 0)
				return (size_t)l + 1 == total ? 1 : -1;
			return have == total ? -1 : 0;
		case 'E':
			if (have < total)
				return 0;
			l = pg_cstr(b, total);
			return l >= 0 && (size_t)l + 5 == total ? 1 : -1;
		case 'D':
		case 'C':
			if (b[0] != 'S' && b[0] != 'P')
				return -1;
			if (have < total)
				return 0;
			l = pg_cstr(b + 1, total - 1);
			return l >= 0 && (size_t)l + 2 == total ? 1 : -1;
		case 'P':
			if (have < total)
				return 0;
			if ((l = two_cstrs(b, total)) < 0)
				return -1;
			i = (size_t)l;
			if (i + 2 > total)
				return -1;
			n = be16(b + i);
			return i + 2 + 4 * n == total ? 1 : -1;
		default:
			return 0;
		}
	}
	switch (type) {
	case 'Z':
		return b[0] == 'I' || b[0] == 'T' || b[0] == 'E' ? 1 : -1;
	case 'C':
		for (i = 0; i < have; i++) {
			if (b[i] == '\0')
				return i + 1 == total ? 1 : -1;
			if (b[i] < ' ' || b[i] > '~')
				return -1;
		}
		return 0;
	case 'D':
		if (have < 2)
			return 0;
		cols = be16(b);
		if (cols > 1664)
			return -1;
		i = 2;
		while (cols-- > 0) {
			uint32_t cl;

			if (i + 4 > have)
				return i + 4 > total ? -1 : 0;
			cl = pg_be32(b + i);
			i += 4;
			if (cl == 0xffffffffU)
				continue;
			if (cl > total - i)
				return -1;
			i += cl;
		}
		return i == total ? (have == total ? 1 : 0) : -1;
	case 'E':
	case 'N':
		i = 0;
		while (i < have) {
			if (b[i] == '\0')
				return i + 1 == total ? 1 : -1;
			if (b[i] < 'A' || b[i] > 'z')
				return -1;
			if ((l = pg_cstr(b + i + 1, have - i - 1)) < 0)
				return 0;
			i += (size_t)l + 2;
		}
		return 0;
	case 'S':
		if (have < total)
			return 0;
		l = two_cstrs(b, total);
		return l >= 0 && (size_t)l == total ? 1 : -1;
	default:
		return 0;
	}
}
