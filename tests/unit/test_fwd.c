/*
 * Unit tests for SIEM forwarding (collector/siem/fwd.c) against real loopback
 * sockets: URL parsing and its errors; 1,000 alerts over TCP arrive
 * exactly once, in order, octet-counted; alerts queued while nothing
 * listens survive a restart of the forwarder and arrive when the receiver
 * appears; the outbox bound drops the oldest and counts them; UDP sends
 * one message per datagram, cut on a UTF-8 boundary. The real receivers
 * (rsyslog over UDP, TCP and TLS) are in tests/integration/siem.sh.
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <poll.h>

#include "harness.h"

#include <jansson.h>
#include <event2/event.h>
#include <sqlite3.h>

#include "../../collector/schema.h"
#include "../../collector/siem/siem.h"
#include "leakwatch/conf.h"
#include "leakwatch/util.h"

static int
listener(int type, int *port)
{
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);
	int fd = socket(AF_INET, type, 0), one = 1;

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &sl) != 0)
		abort();
	if (type == SOCK_STREAM && listen(fd, 16) != 0)
		abort();
	*port = ntohs(sa.sin_port);
	return fd;
}

/* A port nothing listens on: bind, learn, close. */
static int
dead_port(void)
{
	int port, fd = listener(SOCK_STREAM, &port);

	close(fd);
	return port;
}

static json_t *
alert(int i)
{
	char id[32], summary[64];

	snprintf(id, sizeof(id), "%016x", i);
	snprintf(summary, sizeof(summary), "alert number %d", i);
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:i, s:s}",
	    "type", "alert", "ts", "2026-11-22T10:00:00.000000Z", "id", id,
	    "employee", "ana", "rule", "bulk_read", "severity", "high",
	    "score", 80, "summary", summary);
}

/* The connection each forwarder uses; closed with fwd_close(). */
static sqlite3 *conn;

static void
fwd_close(struct fwd *f)
{
	fwd_free(f);
	sqlite3_close(conn);
	conn = NULL;
}

static struct fwd *
fwd_open(const char *db, const char *url, long long max)
{
	struct conf_list urls;
	struct fmt_opts o;
	char err[512], *v[1];
	struct fwd *f;

	v[0] = (char *)(uintptr_t)url;
	urls.v = v;
	urls.n = 1;
	fmt_opts_defaults(&o);
	o.hostname = "h";
	o.procid = 1;
	if (sqlite3_open(db, &conn) != SQLITE_OK ||
	    schema_migrate(conn, err, sizeof(err)) != 0)
		abort();
	f = fwd_new(NULL, conn, &urls, &o, max, err, sizeof(err));
	if (f == NULL)
		FAILF("fwd_new: %s", err);
	return f;
}

/* Reads octet-counted frames; returns how many, checking the order. */
static int
read_frames(int fd, int first, int want)
{
	static char buf[1 << 22];
	size_t have = 0, off = 0, n;
	struct pollfd p = { fd, POLLIN, 0 };
	char expect[64], *sp;
	int got = 0;
	ssize_t r;

	while (got < want && poll(&p, 1, 500) == 1) {
		r = read(fd, buf + have, sizeof(buf) - have);
		if (r <= 0)
			break;
		have += (size_t)r;
		for (;;) {
			sp = memchr(buf + off, ' ', have - off);
			if (sp == NULL)
				break;
			n = strtoul(buf + off, NULL, 10);
			if ((size_t)(sp + 1 - buf) + n > have)
				break;
			snprintf(expect, sizeof(expect), "alert number %d",
			    first + got);
			if (n < strlen(expect) || memcmp(sp + 1 + n -
			    strlen(expect), expect, strlen(expect)) != 0) {
				FAILF("frame %d is not \"%s\"", got, expect);
				return got;
			}
			got++;
			off = (size_t)(sp + 1 - buf) + n;
		}
	}
	return got;
}

/*
 * Non-blocking: takes what the socket holds, keeps a partial frame for
 * the next call, checks order from `first`; returns new whole frames.
 */
static int
read_frames_nb(int fd, int first)
{
	static char buf[1 << 22];
	static size_t have;
	char expect[64], *sp;
	size_t off = 0, n;
	ssize_t r;
	int got = 0;

	while (have < sizeof(buf) && (r = recv(fd, buf + have,
	    sizeof(buf) - have, MSG_DONTWAIT)) > 0)
		have += (size_t)r;
	for (;;) {
		sp = memchr(buf + off, ' ', have - off);
		if (sp == NULL)
			break;
		n = strtoul(buf + off, NULL, 10);
		if ((size_t)(sp + 1 - buf) + n > have)
			break;
		snprintf(expect, sizeof(expect), "alert number %d",
		    first + got);
		if (memmem(sp + 1, n, expect, strlen(expect)) == NULL) {
			FAILF("frame %d lacks \"%s\"", first + got, expect);
			return 1 << 20;
		}
		got++;
		off = (size_t)(sp + 1 - buf) + n;
	}
	memmove(buf, buf + off, have - off);
	have -= off;
	return got;
}

static void
test_url(void)
{
	struct fwd_url u;
	char err[256];

	CHECK_INT(fwd_parse_url("tcp://127.0.0.1:514", &u, err,
	    sizeof(err)), 0);
	CHECK_STR(u.format, "rfc5424");
	CHECK_STR(u.port, "514");
	CHECK_INT(fwd_parse_url("udp://siem.example:514?format=cef&"
	    "maxsize=1024", &u, err, sizeof(err)), 0);
	CHECK_STR(u.format, "cef");
	CHECK_INT(u.maxsize, 1024);
	CHECK_INT(fwd_parse_url("tls://[::1]:6514?ca=/x/ca.crt&format=json",
	    &u, err, sizeof(err)), 0);
	CHECK_STR(u.host, "::1");
	CHECK_STR(u.ca, "/x/ca.crt");
	CHECK_INT(fwd_parse_url("http://x:1", &u, err, sizeof(err)), -1);
	CHECK_CONTAINS(err, "scheme");
	CHECK_INT(fwd_parse_url("tcp://x:1?format=xml", &u, err,
	    sizeof(err)), -1);
	CHECK_CONTAINS(err, "format");
	CHECK_INT(fwd_parse_url("tcp://x:1?fromat=cef", &u, err,
	    sizeof(err)), -1);
	CHECK_CONTAINS(err, "unknown parameter \"fromat\"");
	CHECK_INT(fwd_parse_url("tls://x:1", &u, err, sizeof(err)), -1);
	CHECK_CONTAINS(err, "ca=FILE");
	CHECK_INT(fwd_parse_url("tcp://x:1?ca=/y", &u, err, sizeof(err)), -1);
	CHECK_INT(fwd_parse_url("tcp://x:99999", &u, err, sizeof(err)), -1);
	CHECK_INT(fwd_parse_url("udp://x:1?maxsize=10", &u, err,
	    sizeof(err)), -1);
}

static void
test_tcp_in_order(void)
{
	char db[512], url[64];
	struct fwd *f;
	struct fwd_stats st;
	int port, lfd, cfd, i;
	json_t *a;

	snprintf(db, sizeof(db), "%s/c.db", harness_tmpdir());
	lfd = listener(SOCK_STREAM, &port);
	snprintf(url, sizeof(url), "tcp://127.0.0.1:%d", port);
	REQUIRE((f = fwd_open(db, url, 100000)) != NULL);
	for (i = 0; i < 1000; i++) {
		a = alert(i);
		CHECK_INT(fwd_submit(f, a), 0);
		json_decref(a);
	}
	CHECK_INT(fwd_flush(f, 10000), 0);
	fwd_stats(f, &st);
	CHECK_INT(st.sent, 1000);
	CHECK_INT(st.dropped, 0);
	cfd = accept(lfd, NULL, NULL);
	REQUIRE(cfd != -1);
	CHECK_INT(read_frames(cfd, 0, 1001), 1000);
	fwd_close(f);
	close(cfd);
	close(lfd);
}

/*
 * The receiver is down while 1,000 alerts are raised and the forwarder
 * restarts; when a receiver appears, all 1,000 arrive once, in order.
 */
static void
test_outage_and_restart(void)
{
	char db[512], url[64];
	struct fwd *f;
	int port = dead_port(), lfd, cfd, i;
	json_t *a;

	snprintf(db, sizeof(db), "%s/c.db", harness_tmpdir());
	snprintf(url, sizeof(url), "tcp://127.0.0.1:%d", port);
	REQUIRE((f = fwd_open(db, url, 100000)) != NULL);
	for (i = 0; i < 1000; i++) {
		a = alert(i);
		fwd_submit(f, a);
		json_decref(a);
	}
	CHECK_INT(fwd_flush(f, 300), -1);	/* nobody listening */
	fwd_close(f);
	REQUIRE((f = fwd_open(db, url, 100000)) != NULL);
	/* Same port, now listening. */
	{
		struct sockaddr_in sa;
		int one = 1;

		lfd = socket(AF_INET, SOCK_STREAM, 0);
		setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		memset(&sa, 0, sizeof(sa));
		sa.sin_family = AF_INET;
		sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		sa.sin_port = htons((uint16_t)port);
		REQUIRE(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) == 0);
		REQUIRE(listen(lfd, 16) == 0);
	}
	CHECK_INT(fwd_flush(f, 40000), 0);
	cfd = accept(lfd, NULL, NULL);
	REQUIRE(cfd != -1);
	CHECK_INT(read_frames(cfd, 0, 1001), 1000);
	fwd_close(f);
	close(cfd);
	close(lfd);
	/* A third start has nothing left to send. */
	REQUIRE((f = fwd_open(db, url, 100000)) != NULL);
	CHECK_INT(fwd_flush(f, 100), 0);
	fwd_close(f);
}

static void
test_bound(void)
{
	char db[512], url[64];
	struct fwd *f;
	struct fwd_stats st;
	int port = dead_port(), i;
	json_t *a;

	snprintf(db, sizeof(db), "%s/c.db", harness_tmpdir());
	snprintf(url, sizeof(url), "tcp://127.0.0.1:%d", port);
	REQUIRE((f = fwd_open(db, url, 100)) != NULL);
	for (i = 0; i < 250; i++) {
		a = alert(i);
		fwd_submit(f, a);
		json_decref(a);
	}
	fwd_stats(f, &st);
	CHECK_INT(st.dropped, 150);
	fwd_close(f);
}

static void
test_udp(void)
{
	char db[512], url[96], buf[4096];
	struct pollfd p;
	struct fwd *f;
	int port, fd, i, n = 0;
	ssize_t r;
	json_t *a;

	snprintf(db, sizeof(db), "%s/c.db", harness_tmpdir());
	fd = listener(SOCK_DGRAM, &port);
	snprintf(url, sizeof(url), "udp://127.0.0.1:%d?maxsize=480", port);
	REQUIRE((f = fwd_open(db, url, 1000)) != NULL);
	for (i = 0; i < 3; i++) {
		a = alert(i);
		if (i == 2)	/* 2-byte characters straddle the cut */
			json_object_set_new(a, "summary", json_string(
			    "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
			    "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
			    "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
			    "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
			    "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
			    "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
			    "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
			    "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
			    "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
			    "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
			    "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
			    "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"));
		fwd_submit(f, a);
		json_decref(a);
	}
	CHECK_INT(fwd_flush(f, 5000), 0);
	p.fd = fd;
	p.events = POLLIN;
	while (poll(&p, 1, 1000) == 1 && (r = recv(fd, buf, sizeof(buf),
	    0)) > 0) {
		CHECK(r <= 480);
		CHECK(strncmp(buf, "<107>1 ", 7) == 0);
		if (n == 2)	/* cut, and not inside a character */
			CHECK(r <= 480 && ((unsigned char)buf[r - 1] == 0xa9 ||
			    (unsigned char)buf[r - 1] < 0x80));
		n++;
	}
	CHECK_INT(n, 3);
	fwd_close(f);
	close(fd);
}

/*
 * A receiver that accepts and never reads: the forwarder neither blocks
 * nor buffers without bound; what the socket does not take waits in the
 * outbox, and arrives once the receiver reads.
 */
static void
test_never_reads(void)
{
	char db[512], url[64], big[4000];
	struct fwd_stats st;
	struct fwd *f;
	int port, lfd, cfd, i, rcv = 4096;
	int64_t t0;
	json_t *a;

	snprintf(db, sizeof(db), "%s/c.db", harness_tmpdir());
	lfd = listener(SOCK_STREAM, &port);
	setsockopt(lfd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv));
	snprintf(url, sizeof(url), "tcp://127.0.0.1:%d", port);
	REQUIRE((f = fwd_open(db, url, 100000)) != NULL);
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	for (i = 0; i < 5000; i++) {	/* about 20 MB of messages */
		a = alert(i);
		json_object_set_new(a, "evidence", json_pack("{s:s}", "pad",
		    big));
		fwd_submit(f, a);
		json_decref(a);
	}
	t0 = mono_ms();
	CHECK_INT(fwd_flush(f, 1000), -1);
	CHECK(mono_ms() - t0 < 5000);
	fwd_stats(f, &st);
	CHECK(st.sent < 5000);
	CHECK(st.buffered <= 256 * 1024 + 8192);
	/* Now read: everything arrives, in order. */
	cfd = accept(lfd, NULL, NULL);
	REQUIRE(cfd != -1);
	{
		int got = 0, r;

		for (r = 0; r < 200 && got < 5000; r++) {
			fwd_flush(f, 50);
			got += read_frames_nb(cfd, got);
		}
		CHECK_INT(got, 5000);
	}
	fwd_close(f);
	close(cfd);
	close(lfd);
}

static const struct test tests[] = {
	{ "never_reads", test_never_reads },
	{ "url", test_url },
	{ "tcp_in_order", test_tcp_in_order },
	{ "outage_and_restart", test_outage_and_restart },
	{ "bound", test_bound },
	{ "udp", test_udp },
};

HARNESS_MAIN(tests)
