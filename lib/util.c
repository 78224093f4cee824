/*
 * Helpers both programs use: timestamps, address and number parsing, hex,
 * hashing, error messages, checksums and reading a whole file (escaping
 * untrusted bytes is lib/text.c). Pure functions except the clocks,
 * random_bytes(), file_read_alloc() and str_cut_pad()'s buffer.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "leakwatch/log.h"
#include "leakwatch/util.h"
#include "leakwatch/xmalloc.h"

int64_t
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Floor division, so times before 1970 still format correctly. */
int
ts_format(int64_t us, char *buf, size_t len)
{
	int64_t sec = us / 1000000, frac = us % 1000000;
	time_t t;
	struct tm tm;
	int n;

	if (frac < 0) {
		frac += 1000000;
		sec--;
	}
	t = (time_t)sec;
	if (gmtime_r(&t, &tm) == NULL || tm.tm_year + 1900 > 9999 ||
	    tm.tm_year + 1900 < 0)
		return -1;
	n = snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, (int)frac);
	return (n < 0 || (size_t)n >= len) ? -1 : 0;
}

static int
digits(const char *s, int n, int *out)
{
	int i, v = 0;

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

static int
leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian, H. Hinnant). */
int64_t
days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/*
 * Accepts RFC 3339 in UTC: "YYYY-MM-DDTHH:MM:SS[.frac]Z" with 0 to 9
 * fraction digits (beyond 6 truncated). Offsets other than Z are refused on
 * purpose: the event contract says UTC, and a silent conversion would hide
 * an agent with a wrong clock configuration.
 */
int
ts_parse(const char *s, int64_t *us)
{
	static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
	    30, 31 };
	int y, mo, d, h, mi, se, i, frac = 0, scale = 100000;
	const char *p;

	if (strlen(s) < 20)
		return -1;
	if (digits(s, 4, &y) || s[4] != '-' || digits(s + 5, 2, &mo) ||
	    s[7] != '-' || digits(s + 8, 2, &d) || s[10] != 'T' ||
	    digits(s + 11, 2, &h) || s[13] != ':' || digits(s + 14, 2, &mi) ||
	    s[16] != ':' || digits(s + 17, 2, &se))
		return -1;
	if (mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || se > 60)
		return -1;
	if (d > mdays[mo - 1] + (mo == 2 && leap(y)))
		return -1;
	p = s + 19;
	if (*p == '.') {
		p++;
		for (i = 0; p[i] >= '0' && p[i] <= '9'; i++) {
			if (i >= 9)
				return -1;
			if (i < 6) {
				frac += (p[i] - '0') * scale;
				scale /= 10;
			}
		}
		if (i == 0)
			return -1;
		p += i;
	}
	if (p[0] != 'Z' || p[1] != '\0')
		return -1;
	if (se == 60)	/* leap second: fold into the next */
		se = 59, frac = 999999;
	*us = ((days_from_civil(y, mo, d) * 86400) + h * 3600 + mi * 60 +
	    se) * 1000000 + frac;
	return 0;
}

int
hostport_split(const char *s, char *host, size_t hostlen, char *port,
    size_t portlen)
{
	const char *colon, *h = s;
	size_t hl;

	if (s[0] == '[') {
		const char *end = strchr(s, ']');

		if (end == NULL || end[1] != ':')
			return -1;
		h = s + 1;
		hl = (size_t)(end - h);
		colon = end + 1;
	} else {
		if ((colon = strrchr(s, ':')) == NULL)
			return -1;
		if (memchr(s, ':', (size_t)(colon - s)) != NULL)
			return -1;	/* bare v6 needs brackets */
		hl = (size_t)(colon - s);
	}
	if (hl >= hostlen || strlen(colon + 1) >= portlen ||
	    colon[1] == '\0')
		return -1;
	memcpy(host, h, hl);
	host[hl] = '\0';
	memcpy(port, colon + 1, strlen(colon + 1) + 1);	/* checked above */
	return 0;
}

int
parse_ll(const char *s, long long min, long long max, long long *out)
{
	char *end;
	long long v;

	if (s == NULL || *s == '\0')
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

static int
parse_suffixed(const char *s, const char *const *sfx, const long long *mul,
    long long *out)
{
	char num[32];
	size_t n = strspn(s, "0123456789");
	long long v;
	int i;

	if (n == 0 || n >= sizeof(num))
		return -1;
	memcpy(num, s, n);
	num[n] = '\0';
	if (parse_ll(num, 0, LLONG_MAX, &v) != 0)
		return -1;
	for (i = 0; sfx[i] != NULL; i++) {
		if (strcmp(s + n, sfx[i]) == 0) {
			if (v > LLONG_MAX / mul[i])
				return -1;
			*out = v * mul[i];
			return 0;
		}
	}
	return -1;
}

int
parse_size(const char *s, long long *out)
{
	static const char *const sfx[] = { "", "K", "M", "G", "T", NULL };
	static const long long mul[] = { 1, 1LL << 10, 1LL << 20, 1LL << 30,
	    1LL << 40 };

	return parse_suffixed(s, sfx, mul, out);
}

int
parse_duration(const char *s, long long *out_ms)
{
	static const char *const sfx[] = { "ms", "s", "m", "h", NULL };
	static const long long mul[] = { 1, 1000, 60000, 3600000 };

	return parse_suffixed(s, sfx, mul, out_ms);
}

void
hex_encode(const uint8_t *in, size_t len, char *out)
{
	static const char hx[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < len; i++) {
		out[2 * i] = hx[in[i] >> 4];
		out[2 * i + 1] = hx[in[i] & 0xf];
	}
	out[2 * len] = '\0';
}

int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* The four hex digits of a JSON \u escape at p: 0 and *out, or -1. */
int
hex4(const unsigned char *p, unsigned int *out)
{
	unsigned int v = 0;
	int i, d;

	for (i = 0; i < 4; i++) {
		if ((d = hexval(p[i])) < 0)
			return -1;
		v = v << 4 | (unsigned int)d;
	}
	*out = v;
	return 0;
}

/*
 * One UTF-8 sequence starting at p (first byte >= 0x80), by jansson's
 * rules: no overlong forms, no surrogates, nothing above U+10FFFF. Its
 * length, or 0 if it is not well-formed.
 */
size_t
utf8_seq(const unsigned char *p, const unsigned char *end)
{
	unsigned int cp;
	size_t n, i;

	if (p[0] >= 0xc2 && p[0] <= 0xdf) {
		n = 2;
		cp = p[0] & 0x1f;
	} else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		n = 3;
		cp = p[0] & 0x0f;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		n = 4;
		cp = p[0] & 0x07;
	} else
		return 0;
	if ((size_t)(end - p) < n)
		return 0;
	for (i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return n;
}

int
hex_decode(const char *in, uint8_t *out, size_t outlen)
{
	size_t i;

	if (strlen(in) != 2 * outlen)
		return -1;
	for (i = 0; i < outlen; i++) {
		int hi = hexval(in[2 * i]), lo = hexval(in[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -1;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

void
sha256_hex(const void *buf, size_t len, char out[65])
{
	uint8_t md[32];
	unsigned int mdlen = sizeof(md);

	if (EVP_Digest(buf, len, md, &mdlen, EVP_sha256(), NULL) != 1)
		memset(md, 0, sizeof(md));
	hex_encode(md, 32, out);
}

int
random_bytes(void *buf, size_t len)
{
	return RAND_bytes(buf, (int)len) == 1 ? 0 : -1;
}

/* Compares in time that depends only on the lengths, for secrets. */
int
ct_streq(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i;
	unsigned char d = la != lb;

	for (i = 0; i < la && i < lb; i++)
		d |= (unsigned char)(a[i] ^ b[i]);
	return d == 0;
}

/* A struct's teardown frees what it set up: a timer it never made is
 * NULL, which event_free(3) does not take. */
void
ev_free(struct event *ev)
{
	if (ev != NULL)
		event_free(ev);
}

void
strv_free(char **v, size_t n)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

struct event *
ev_periodic(struct event_base *base, long long ms, event_callback_fn cb,
    void *arg)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };
	struct event *ev;

	if ((ev = event_new(base, -1, EV_PERSIST, cb, arg)) == NULL)
		fatalx("event_new");
	event_add(ev, &tv);
	return ev;
}

/* Two unordered values (NaN) compare equal. */
int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

void
seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/*
 * Read in steps that double from 8 KiB, so that a small file takes a
 * small buffer whatever max is; one byte past max tells a file that is
 * too large from one that is exactly max bytes.
 */
char *
file_read_alloc(const char *path, size_t max, size_t *len, char *err,
    size_t errlen)
{
	FILE *f;
	char *buf = NULL;
	size_t cap = 0, n = 0, got;
	int bad;

	if ((f = fopen(path, "r")) == NULL) {
		seterr(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	do {
		if (n == cap) {
			cap = cap == 0 ? 8192 : cap * 2;
			if (cap > max + 1)
				cap = max + 1;
			buf = xreallocarray(buf, cap + 1, 1);
		}
		got = fread(buf + n, 1, cap - n, f);
		n += got;
	} while (got > 0 && n <= max);
	if ((bad = ferror(f)) != 0 || n > max) {
		if (bad)
			seterr(err, errlen, "%s: read error", path);
		else
			seterr(err, errlen, "%s: larger than %zu bytes", path,
			    max);
		fclose(f);
		free(buf);
		return NULL;
	}
	fclose(f);
	buf[n] = '\0';
	*len = n;
	return buf;
}

int
str_cut_pad(char **pad, size_t max, const char **s, size_t *len)
{
	size_t n = *len > max ? max : *len;

	if (*pad == NULL && (*pad = malloc(max + 1)) == NULL)
		return -1;
	memmove(*pad, *s, n);
	memset(*pad + n, ' ', max + 1 - n);
	*s = *pad;
	*len = max + 1;
	return 0;
}

/* Copies up to n bytes into dst (size dstlen > 0), always terminated. */
void
str_copyn(char *dst, size_t dstlen, const char *src, size_t n)
{
	if (n >= dstlen)
		n = dstlen - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

/*
 * CRC-32C (Castagnoli). The agent checks every spool record twice (when
 * the spool is opened and when the record is sent), so this is on the hot
 * path: with SSE4.2 the CPU's crc32 instruction does 8 bytes a step;
 * elsewhere, slice-by-8 tables built once (a cache, not state).
 */
#define CRC32C_POLY	0x82f63b78u	/* reflected */

static uint32_t crc_table[8][256];
static pthread_once_t crc_once = PTHREAD_ONCE_INIT;

static void
crc_init(void)
{
	uint32_t c, n;
	int k;

	for (n = 0; n < 256; n++) {
		c = n;
		for (k = 0; k < 8; k++)
			c = c & 1 ? CRC32C_POLY ^ (c >> 1) : c >> 1;
		crc_table[0][n] = c;
	}
	for (n = 0; n < 256; n++)
		for (k = 1; k < 8; k++)
			crc_table[k][n] = (crc_table[k - 1][n] >> 8) ^
			    crc_table[0][crc_table[k - 1][n] & 0xff];
}

static uint32_t
le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

uint32_t
crc32c_soft(uint32_t crc, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	uint32_t one, two;

	pthread_once(&crc_once, crc_init);
	crc = ~crc;
	for (; len >= 8; p += 8, len -= 8) {
		one = le32(p) ^ crc;
		two = le32(p + 4);
		crc = crc_table[7][one & 0xff] ^
		    crc_table[6][(one >> 8) & 0xff] ^
		    crc_table[5][(one >> 16) & 0xff] ^
		    crc_table[4][one >> 24] ^
		    crc_table[3][two & 0xff] ^
		    crc_table[2][(two >> 8) & 0xff] ^
		    crc_table[1][(two >> 16) & 0xff] ^
		    crc_table[0][two >> 24];
	}
	while (len-- > 0)
		crc = crc_table[0][(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return ~crc;
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
__attribute__((target("sse4.2"))) static uint32_t
crc32c_sse42(uint32_t crc, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	uint64_t c = ~crc, v;

	for (; len >= 8; p += 8, len -= 8) {
		memcpy(&v, p, sizeof(v));	/* x86 is little-endian */
		c = __builtin_ia32_crc32di(c, v);
	}
	crc = (uint32_t)c;
	while (len-- > 0)
		crc = __builtin_ia32_crc32qi(crc, *p++);
	return ~crc;
}

uint32_t
crc32c(uint32_t crc, const void *buf, size_t len)
{
	if (__builtin_cpu_supports("sse4.2"))
		return crc32c_sse42(crc, buf, len);
	return crc32c_soft(crc, buf, len);
}
#else
uint32_t
crc32c(uint32_t crc, const void *buf, size_t len)
{
	return crc32c_soft(crc, buf, len);
}
#endif
