/*
 * The one logging module: stderr with the program name in the foreground,
 * syslog(3) when daemonised. libevent's own warnings are routed here so an
 * operator sees one stream. fatal() appends strerror(errno).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include <event2/event.h>

#include "leakwatch/log.h"

/* The whole mutable state of this module, set once by log_init(). */
static struct {
	const char	*progname;
	int		 foreground;
	int		 verbose;
} logctx = { "leakwatch", 1, 0 };

void
log_init(const char *progname, int foreground, int verbose)
{
	logctx.progname = progname;
	logctx.foreground = foreground;
	logctx.verbose = verbose;
	if (!foreground)
		openlog(progname, LOG_PID | LOG_NDELAY, LOG_DAEMON);
	tzset();
}

void
log_setverbose(int v)
{
	logctx.verbose = v;
}

int
log_getverbose(void)
{
	return logctx.verbose;
}

/* syslog needs no reopening; stderr is whatever the supervisor gave us. */
void
log_reopen(void)
{
	if (!logctx.foreground) {
		closelog();
		openlog(logctx.progname, LOG_PID | LOG_NDELAY, LOG_DAEMON);
	}
}

static void	vlog(int, const char *, va_list, int)
		    __attribute__((format(printf, 2, 0)));

static void
vlog(int pri, const char *fmt, va_list ap, int witherr)
{
	char msg[2048];
	int saved = errno;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (witherr) {
		size_t n = strlen(msg);

		snprintf(msg + n, sizeof(msg) - n, ": %s", strerror(saved));
	}
	if (logctx.foreground)
		fprintf(stderr, "%s: %s\n", logctx.progname, msg);
	else
		syslog(pri, "%s", msg);
	errno = saved;
}

void
log_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_WARNING, fmt, ap, 1);
	va_end(ap);
}

void
log_warnx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_WARNING, fmt, ap, 0);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list ap;

	if (logctx.verbose < 0)
		return;
	va_start(ap, fmt);
	vlog(LOG_INFO, fmt, ap, 0);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list ap;

	if (logctx.verbose < 2)
		return;
	va_start(ap, fmt);
	vlog(LOG_DEBUG, fmt, ap, 0);
	va_end(ap);
}

void
fatal(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_CRIT, fmt, ap, 1);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_CRIT, fmt, ap, 0);
	va_end(ap);
	exit(1);
}

static void
libevent_log_cb(int severity, const char *msg)
{
	if (severity >= EVENT_LOG_WARN)
		log_warnx("libevent: %s", msg);
	else
		log_debug("libevent: %s", msg);
}

void
log_libevent(void)
{
	event_set_log_callback(libevent_log_cb);
}
