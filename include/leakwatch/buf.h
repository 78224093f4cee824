/*
 * A growable string buffer for control-plane code: messages for the SIEM,
 * lines for a report. Memory comes from the xmalloc family, so growth
 * never fails (it is fatal on exhaustion); per-packet code, which must
 * drop and count instead, keeps its own bounded buffers.
 *
 * Invariant: once a buffer holds memory, data[len] is '\0', so data is
 * always a C string of len bytes (binary bytes may sit inside it). A
 * buffer starts as all zeroes (BUF_INIT), and buf_release() of a buffer
 * nothing was ever added to still hands out an allocated "".
 */
#ifndef LEAKWATCH_BUF_H
#define LEAKWATCH_BUF_H

#include <stddef.h>

struct buf {
	char	*data;		/* NULL until first used */
	size_t	 len;		/* bytes before the NUL */
	size_t	 cap;		/* bytes allocated */
};

#define BUF_INIT	{ NULL, 0, 0 }

/* Room for `more` bytes after len, and the NUL. */
void	 buf_reserve(struct buf *, size_t more);
void	 buf_add(struct buf *, const void *, size_t);
void	 buf_puts(struct buf *, const char *);
void	 buf_addc(struct buf *, char);
void	 buf_printf(struct buf *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
/* Cuts the contents back to len bytes (no-op if already shorter). */
void	 buf_truncate(struct buf *, size_t len);
/*
 * Hands the string (malloc'd, NUL-terminated, *len without the NUL) to
 * the caller, who frees it; the buffer is empty and unallocated after.
 */
char	*buf_release(struct buf *, size_t *len);
/* Frees the memory; the buffer is as BUF_INIT after. */
void	 buf_free(struct buf *);

#endif
