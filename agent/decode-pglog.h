/*
 * What decode-pglog.c shares with pglog-line.c, the matcher of stderr
 * lines against a log_line_prefix: the decoded record and the matcher's
 * functions. Private to those files; agent.h has the decoder's public
 * face (the dblog formats).
 */
#ifndef LEAKWATCH_DECODE_PGLOG_H
#define LEAKWATCH_DECODE_PGLOG_H

#include <stddef.h>
#include <stdint.h>

/* One decoded message, whatever the container; strings NUL-terminated. */
struct pgl_rec {
	int64_t		 ts_us;
	const char	*user;
	const char	*db;
	const char	*app;
	const char	*pid;
	const char	*client;	/* "ip:port" or "" (Unix socket) */
	const char	*severity;
	const char	*sqlstate;
	const char	*message;
	const char	*query;		/* the failed statement (csv/json) */
};

/* pglog-line.c */
long	 pglog_match_prefix(const char *prefix, const char *line, size_t len,
	    struct pgl_rec *r, char *w);
void	 pglog_fix_client(const char *c, char *out, size_t len);
void	 pglog_rec_defaults(struct pgl_rec *r);
size_t	 pglog_severity_len(const char *m);

#endif
