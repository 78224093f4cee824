/*
 * The fields and shapes of MySQL protocol packets, for the wire decoder
 * (decode-mysql.c): little-endian and length-encoded integers, strings,
 * OK and EOF packets, the commands a resynchronising client packet may
 * be. No state beyond what the caller passes, no I/O.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decode-mysql.h"
#include "leakwatch/text.h"

/* Little-endian readers; callers check the length first. */
uint32_t
le16(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8;
}

uint32_t
le24(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16;
}

uint32_t
le32(const uint8_t *p)
{
	return le24(p) | (uint32_t)p[3] << 24;
}

/*
 * A length-encoded integer at *off. Returns 0 and advances, or -1 when it
 * does not fit or is 0xfb (NULL) / 0xff (not an integer).
 */
int
lenenc(const uint8_t *p, size_t len, size_t *off, uint64_t *v)
{
	size_t o = *off, n, i;

	if (o >= len)
		return -1;
	switch (p[o]) {
	case 0xfb:
	case 0xff:
		return -1;
	case 0xfc:
		n = 2;
		break;
	case 0xfd:
		n = 3;
		break;
	case 0xfe:
		n = 8;
		break;
	default:
		*v = p[o];
		*off = o + 1;
		return 0;
	}
	if (len - o - 1 < n)
		return -1;
	*v = 0;
	for (i = 0; i < n; i++)
		*v |= (uint64_t)p[o + 1 + i] << (8 * i);
	*off = o + 1 + n;
	return 0;
}


/*
 * Copies a wire string into a fixed session field: up to the first NUL,
 * made safe by the shared routine (lib/text.c) so a user name cannot
 * drive a terminal or forge a log line or syslog message: control
 * characters and invalid UTF-8 escaped visibly, cut with "..." if it does
 * not fit. Printable UTF-8 stays as it is.
 */
void
set_field(char *dst, size_t dstsz, const uint8_t *p, size_t len)
{
	const uint8_t *z = memchr(p, '\0', len);

	text_vis(p, z != NULL ? (size_t)(z - p) : len, dst, dstsz, 0);
}

/* Length of the NUL-terminated string at p[off..len), -1 if unterminated. */
long
cstr_len(const uint8_t *p, size_t len, size_t off)
{
	const uint8_t *z;

	if (off >= len)
		return -1;
	if ((z = memchr(p + off, '\0', len - off)) == NULL)
		return -1;
	return (long)(z - (p + off));
}

/* OK packet (0x00 or 0xfe header): affected rows and status flags. */
int
parse_ok(const uint8_t *p, size_t len, uint64_t *affected,
    uint32_t *status)
{
	size_t o = 1;
	uint64_t id;

	*affected = 0;
	*status = 0;
	if (lenenc(p, len, &o, affected) == -1 ||
	    lenenc(p, len, &o, &id) == -1)
		return -1;
	if (len - o >= 2)
		*status = le16(p + o);
	return 0;
}

/* EOF (5 bytes) or OK-with-0xfe terminator: status flags. */
uint32_t
terminator_status(const uint8_t *p, size_t len)
{
	uint64_t aff;
	uint32_t status;

	if (len == 5)
		return le16(p + 3);
	if (parse_ok(p, len, &aff, &status) == -1)
		return 0;
	return status;
}

int
is_terminator(const uint8_t *p, size_t len, uint64_t llen)
{
	/*
	 * 0xfe starts an EOF / OK terminator unless the packet is at least
	 * 0xffffff long: then it is a text row whose first column has an
	 * 8-byte length (MySQL and MariaDB clients use the same rule).
	 */
	return len > 0 && p[0] == 0xfe && llen < MAX_PACKET;
}

/* Commands a resynchronising client packet may be, with their sizes. */
int
plausible_command(const uint8_t *h, size_t have)
{
	uint32_t plen = le24(h);
	size_t i;

	if (h[3] != 0 || plen == 0 || have < 5)
		return 0;
	switch (h[4]) {
	case COM_QUIT:
	case COM_PING:
	case COM_STATISTICS:
	case COM_RESET_CONNECTION:
		return plen == 1;
	case COM_STMT_CLOSE:
	case COM_STMT_RESET:
		return plen == 5;
	case COM_STMT_FETCH:
		return plen == 9;
	case COM_SET_OPTION:
		return plen == 3;
	case COM_STMT_EXECUTE:
		return plen >= 10;
	case COM_INIT_DB:
		return plen >= 2 && plen <= 65;
	case COM_QUERY:
	case COM_STMT_PREPARE:
		if (plen < 2)
			return 0;
		/* MySQL 8 query attributes: a small count, then a set
		 * count of 1, before the text. */
		if (h[4] == COM_QUERY && have > 6 && h[5] < 0x20 &&
		    h[5] != '\t' && h[5] != '\n' && h[5] != '\r')
			return h[6] == 0x01;
		/* The text must start like SQL: keyword, '(', comment. */
		for (i = 5; i < have && i < 4 + plen; i++) {
			uint8_t c = h[i];
			if (c == ' ' || c == '\t' || c == '\n' || c == '\r')
				continue;
			return (c >= 'a' && c <= 'z') || (c >= 'A' &&
			    c <= 'Z') || c == '(' || c == '/' || c == '#' ||
			    c == '-';
		}
		return 1;
	default:
		return 0;
	}
}
