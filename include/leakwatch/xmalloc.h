/*
 * Allocation for control-plane code: these never return NULL (they abort
 * with a message on exhaustion) and check multiplication for overflow.
 * Per-packet state uses bounded pools instead.
 */
#ifndef LEAKWATCH_XMALLOC_H
#define LEAKWATCH_XMALLOC_H

#include <stddef.h>

void	*xmalloc(size_t);
void	*xcalloc(size_t, size_t);
void	*xreallocarray(void *, size_t, size_t);
void	 xgrow(char **, size_t *cap, size_t need);
char	*xstrdup(const char *);
char	*xstrndup(const char *, size_t);
int	 xasprintf(char **, const char *, ...)
	    __attribute__((format(printf, 2, 3)));

#endif
