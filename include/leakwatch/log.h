/*
 * Logging shared by every leakwatch program: stderr in the foreground,
 * syslog when daemonised. fatal()/fatalx() are for start-up and impossible
 * states only; the hot path logs and carries on.
 */
#ifndef LEAKWATCH_LOG_H
#define LEAKWATCH_LOG_H

#include <stdarg.h>

void	log_init(const char *progname, int foreground, int verbose);
void	log_setverbose(int);
int	log_getverbose(void);
void	log_reopen(void);
void	log_warn(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_warnx(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_info(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_debug(const char *, ...) __attribute__((format(printf, 1, 2)));
void	fatal(const char *, ...) __attribute__((format(printf, 1, 2),
	    noreturn));
void	fatalx(const char *, ...) __attribute__((format(printf, 1, 2),
	    noreturn));
void	log_libevent(void);

#endif
