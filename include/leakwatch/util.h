/*
 * Small helpers both programs need: RFC 3339 timestamps in microseconds,
 * host:port parsing, hex, SHA-256, strict integer parsing, the monotonic
 * clock and reading a whole file. Nothing here allocates unless its name
 * says so.
 */
#ifndef LEAKWATCH_UTIL_H
#define LEAKWATCH_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include <event2/util.h>	/* evutil_socket_t */

#define LEAKWATCH_VERSION	"0.1.0"

/* "2026-11-22T10:00:00.123456Z" plus NUL. */
#define TS_STRLEN	28
/* The last second ts_format() can write: 9999-12-31T23:59:59Z. */
#define TS_LAST_SEC	253402300799LL

int64_t	 now_us(void);		/* wall clock, microseconds since epoch */
int64_t	 mono_ms(void);		/* monotonic clock, milliseconds */
int	 ts_format(int64_t us, char *buf, size_t len);
int	 ts_parse(const char *s, int64_t *us);
int64_t	 days_from_civil(int64_t y, int m, int d);	/* since 1970-01-01 */

/* Splits "host:port" or "[v6]:port"; host may be "" or "*". */
int	 hostport_split(const char *s, char *host, size_t hostlen,
	    char *port, size_t portlen);

/* strtoll with range and garbage checks; 0 on success. */
int	 parse_ll(const char *s, long long min, long long max, long long *out);
/* "64M", "1G", "4096": bytes. */
int	 parse_size(const char *s, long long *out);
/* "500ms", "10s", "5m", "1h": milliseconds. */
int	 parse_duration(const char *s, long long *out_ms);

void	 hex_encode(const uint8_t *in, size_t len, char *out);	/* 2*len+1 */
int	 hexval(int c);		/* one hex digit's value, or -1 */
int	 hex_decode(const char *in, uint8_t *out, size_t outlen);
int	 hex4(const unsigned char *p, unsigned int *out);	/* after \u */
size_t	 utf8_seq(const unsigned char *p, const unsigned char *end);
void	 sha256_hex(const void *buf, size_t len, char out[65]);
int	 random_bytes(void *buf, size_t len);
int	 ct_streq(const char *a, const char *b);	/* constant time */
int	 cmp_double(const void *, const void *);	/* qsort(3): up */
void	 strv_free(char **v, size_t n);	/* each string, then v */
struct event;
struct event_base;
void	 ev_free(struct event *);	/* event_free(3); NULL: a no-op */
/* A timer every ms milliseconds from now on, until freed; cb as
 * libevent's event_callback_fn. */
struct event	*ev_periodic(struct event_base *, long long ms,
		    void (*cb)(evutil_socket_t, short, void *), void *arg);

/*
 * An error message into err, for functions that report through
 * (err, errlen): cut to errlen (the text is for people, so truncation is
 * harmless), NUL-terminated when errlen > 0, nothing at all when err is
 * NULL.
 */
void	 seterr(char *err, size_t errlen, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));

/*
 * The whole file at path, allocated and NUL-terminated, its length in
 * *len; NULL with a message naming the path when it cannot be opened or
 * read or holds more than max bytes.
 */
char	*file_read_alloc(const char *path, size_t max, size_t *len,
	    char *err, size_t errlen);

/*
 * A text known to be cut short (*s, *len bytes), made to read as longer
 * than max whatever it held: its first max bytes at most, then blanks up
 * to max + 1, in *pad (allocated on first use, the caller's to free), so
 * that a consumer with a limit of max refuses it instead of taking a
 * prefix for the whole (the db decoders hand cut statements to the
 * normaliser so). *s may point into *pad. -1, *s and *len unchanged,
 * when *pad cannot be allocated (no fatal error: per-packet code).
 */
int	 str_cut_pad(char **pad, size_t max, const char **s, size_t *len);

/* The first n bytes of src as a C string in dst, cut to fit. */
void	 str_copyn(char *dst, size_t dstlen, const char *src, size_t n);

uint32_t crc32c(uint32_t crc, const void *buf, size_t len);
/* The same without the CPU's instruction (what crc32c() uses without it). */
uint32_t crc32c_soft(uint32_t crc, const void *buf, size_t len);

#endif
