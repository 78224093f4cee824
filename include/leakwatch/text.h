/*
 * Untrusted text made safe to show: the one routine every output of a
 * name, a label or a message that came from the wire, a log or an agent
 * goes through (terminal, log line, syslog/CEF/LEEF message), and that
 * the agent's decoders apply before a string enters an event. Control
 * characters and invalid UTF-8 are written as visible escapes; valid,
 * printable UTF-8 ("Zoë", "Ørsted", CJK) is kept as it is. lib/text.c
 * states the exact rules.
 */
#ifndef LEAKWATCH_TEXT_H
#define LEAKWATCH_TEXT_H

#include <stddef.h>

/*
 * Also escape '\' (as \x5c), so that the output reads back unambiguously:
 * for log lines, where "\x1b" must mean the byte and not the four
 * characters. Without it the routine is idempotent, which is what event
 * fields and SIEM messages need.
 */
#define TEXT_BACKSLASH	0x1

/*
 * The escaped copy of inlen bytes at in, into out (outlen bytes, always
 * NUL-terminated when outlen > 0). When it does not fit, it is cut
 * between characters, never inside an escape or a UTF-8 sequence, and
 * ends in "...", so a cut value never looks whole. Returns the length
 * written (without the NUL).
 */
size_t	 text_vis(const void *in, size_t inlen, char *out, size_t outlen,
	    int flags);

/* The length text_vis() needs for the whole escaped copy, without NUL. */
size_t	 text_vis_len(const void *in, size_t inlen, int flags);

/* The whole escaped copy of the C string s, allocated (xmalloc). */
char	*text_vis_dup(const char *s, int flags);

/*
 * 1 when inlen bytes at in need no escaping (text_vis() with flags 0
 * would give them back unchanged): valid UTF-8 without C0 controls, DEL
 * or C1 controls. Validators use it to refuse what should have been
 * cleaned already.
 */
int	 text_is_clean(const void *in, size_t inlen);

/* For log lines: text_vis() with TEXT_BACKSLASH. */
void	 str_vis(const void *in, size_t inlen, char *out, size_t outlen);

#endif
