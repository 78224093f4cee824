/*
 * The growable string buffer of buf.h. Capacity doubles from 256 bytes,
 * so n appends cost O(log n) reallocations; a request that cannot be
 * sized without overflow is an impossible state and fatal, as is running
 * out of memory (xmalloc). Every operation that allocates or writes
 * leaves data[len] = '\0' behind it.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "leakwatch/buf.h"
#include "leakwatch/log.h"
#include "leakwatch/xmalloc.h"

#define BUF_MIN		256

void
buf_reserve(struct buf *b, size_t more)
{
	size_t need, want;

	if (more > SIZE_MAX - 1 - b->len)
		fatalx("buf_reserve: %zu + %zu bytes overflows", b->len, more);
	need = b->len + more + 1;
	if (need <= b->cap)
		return;
	want = b->cap == 0 ? BUF_MIN : b->cap;
	while (want < need)
		want = want > SIZE_MAX / 2 ? need : want * 2;
	b->data = xreallocarray(b->data, want, 1);
	b->cap = want;
	/*
	 * A buffer is a string from its first allocation on, even when
	 * empty: buf_release() of an untouched buffer hands out "" this way.
	 */
	b->data[b->len] = '\0';
}

void
buf_add(struct buf *b, const void *p, size_t len)
{
	buf_reserve(b, len);
	if (len > 0)
		memcpy(b->data + b->len, p, len);
	b->len += len;
	b->data[b->len] = '\0';
}

void
buf_puts(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

void
buf_addc(struct buf *b, char c)
{
	buf_add(b, &c, 1);
}

/* Formats twice, first to size the room, so nothing is ever cut. */
void
buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	buf_reserve(b, (size_t)n);
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

void
buf_truncate(struct buf *b, size_t len)
{
	if (b->data == NULL || len >= b->len)
		return;
	b->len = len;
	b->data[len] = '\0';
}

char *
buf_release(struct buf *b, size_t *len)
{
	char *p;

	if (b->data == NULL)
		buf_reserve(b, 0);
	p = b->data;
	if (len != NULL)
		*len = b->len;
	memset(b, 0, sizeof(*b));
	return p;
}

void
buf_free(struct buf *b)
{
	free(b->data);
	memset(b, 0, sizeof(*b));
}
