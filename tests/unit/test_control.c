/*
 * Unit tests for the triage socket (collector/control.c): a client on the
 * Unix socket acknowledges, assigns, closes and reopens an alert; each
 * action moves the alert's status and writes one audit row naming the
 * analyst the kernel vouches for (SO_PEERCRED), never one the client
 * claims; bad requests get an error line and change nothing; a line over
 * the bound closes the connection.
 */
#include <sys/socket.h>
#include <sys/un.h>
#include <pwd.h>
#include <poll.h>

#include "harness.h"

#include <event2/event.h>
#include <sqlite3.h>

#include "../../collector/collector.h"
#include "../../collector/schema.h"

static struct event_base *base;

static int
client(const char *path)
{
	struct sockaddr_un sun;
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0)
		abort();
	return fd;
}

/* Sends one line, turns the loop until the answer line is there. */
static char *
ask(int fd, const char *req)
{
	static char buf[4096];
	struct pollfd p = { fd, POLLIN, 0 };
	size_t have = 0;
	ssize_t n;
	int i;

	if (write(fd, req, strlen(req)) != (ssize_t)strlen(req))
		return NULL;
	for (i = 0; i < 200; i++) {
		event_base_loop(base, EVLOOP_NONBLOCK);
		if (poll(&p, 1, 10) == 1) {
			n = read(fd, buf + have, sizeof(buf) - 1 - have);
			if (n <= 0)
				return NULL;
			have += (size_t)n;
			buf[have] = '\0';
			if (strchr(buf, '\n') != NULL)
				return buf;
		}
	}
	return NULL;
}

static char *
sql1(sqlite3 *db, const char *q)
{
	static char out[256];
	sqlite3_stmt *st;

	out[0] = '\0';
	if (sqlite3_prepare_v2(db, q, -1, &st, NULL) != SQLITE_OK)
		return out;
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
		snprintf(out, sizeof(out), "%s",
		    (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	return out;
}

static void
test_triage(void)
{
	const char *dir = harness_tmpdir();
	char dbp[512], sock[512], err[256], me[64], *r;
	struct passwd *pw = getpwuid(getuid());
	struct control *ctl;
	sqlite3 *db;
	int fd;

	snprintf(dbp, sizeof(dbp), "%s/c.db", dir);
	snprintf(sock, sizeof(sock), "%s/ctl.sock", dir);
	snprintf(me, sizeof(me), "%s", pw ? pw->pw_name : "?");
	REQUIRE(sqlite3_open(dbp, &db) == SQLITE_OK);
	REQUIRE(schema_migrate(db, err, sizeof(err)) == 0);
	REQUIRE(sqlite3_exec(db, "INSERT INTO alerts (id, ts, last_ts, "
	    "until_ts, employee, rule, severity, score, summary, evidence, "
	    "count, json) VALUES ('a1', 1, 1, 1, 'e', 'r', 'high', 80, 's', "
	    "'{}', 1, '{}'), ('a2', 1, 1, 1, 'e', 'r', 'high', 80, 's', '{}', "
	    "1, '{}')", NULL, NULL, NULL) == SQLITE_OK);
	base = event_base_new();
	ctl = control_new(base, sock, dbp, err, sizeof(err));
	REQUIRE(ctl != NULL);
	fd = client(sock);

	r = ask(fd, "{\"op\":\"ping\"}\n");
	CHECK_CONTAINS(r, "\"ok\":true");
	CHECK_CONTAINS(r, me);
	r = ask(fd, "{\"op\":\"triage\",\"id\":\"a1\",\"action\":\"ack\","
	    "\"analyst\":\"mallory\"}\n");
	CHECK_CONTAINS(r, "\"status\":\"acknowledged\"");
	CHECK_STR(sql1(db, "SELECT status FROM alerts WHERE id='a1'"),
	    "acknowledged");
	r = ask(fd, "{\"op\":\"triage\",\"id\":\"a1\",\"action\":\"assign\","
	    "\"assignee\":\"bob\"}\n");
	CHECK_CONTAINS(r, "\"ok\":true");
	r = ask(fd, "{\"op\":\"triage\",\"id\":\"a1\",\"action\":\"close_tp\","
	    "\"note\":\"confirmed with HR\"}\n");
	CHECK_CONTAINS(r, "closed_true_positive");
	r = ask(fd, "{\"op\":\"triage\",\"id\":\"a1\",\"action\":\"reopen\"}"
	    "\n");
	CHECK_CONTAINS(r, "\"status\":\"open\"");
	CHECK_STR(sql1(db, "SELECT count(*) FROM triage_audit"), "4");
	/* The analyst is who the kernel says, not who the client says. */
	CHECK_STR(sql1(db, "SELECT count(*) FROM triage_audit WHERE "
	    "analyst = 'mallory'"), "0");
	{
		char want[512];

		snprintf(want, sizeof(want), "%s:ack:acknowledged::|%s:assign:"
		    "assigned:bob:|%s:close_tp:closed_true_positive::confirmed "
		    "with HR|%s:reopen:open::", me, me, me, me);
		CHECK_STR(sql1(db, "SELECT group_concat(x, '|') FROM (SELECT "
		    "analyst || ':' || action || ':' || status || ':' || "
		    "coalesce(assignee, '') || ':' || coalesce(note, '') AS x "
		    "FROM triage_audit ORDER BY seq)"), want);
	}

	/* Refusals change nothing. */
	r = ask(fd, "{\"op\":\"triage\",\"id\":\"nope\",\"action\":\"ack\"}\n");
	CHECK_CONTAINS(r, "no alert with that id");
	r = ask(fd, "{\"op\":\"triage\",\"id\":\"a2\",\"action\":\"delete\"}"
	    "\n");
	CHECK_CONTAINS(r, "unknown action");
	r = ask(fd, "{\"op\":\"triage\",\"id\":\"a2\",\"action\":\"assign\"}"
	    "\n");
	CHECK_CONTAINS(r, "needs an assignee");
	r = ask(fd, "not json\n");
	CHECK_CONTAINS(r, "not a JSON object");
	r = ask(fd, "{\"op\":\"drop\"}\n");
	CHECK_CONTAINS(r, "unknown op");
	CHECK_STR(sql1(db, "SELECT status FROM alerts WHERE id='a2'"), "open");
	CHECK_STR(sql1(db, "SELECT count(*) FROM triage_audit"), "4");
	close(fd);

	/* An endless line closes that connection, nothing else. */
	{
		char big[10000];
		int fd2 = client(sock);

		memset(big, 'x', sizeof(big));
		CHECK(write(fd2, big, sizeof(big)) == (ssize_t)sizeof(big));
		CHECK(ask(fd2, "\n") == NULL);
		close(fd2);
		fd2 = client(sock);
		CHECK_CONTAINS(ask(fd2, "{\"op\":\"ping\"}\n"), "\"ok\":true");
		close(fd2);
	}
	control_free(ctl);
	event_base_free(base);
	sqlite3_close(db);
}

static const struct test tests[] = {
	{ "triage", test_triage },
};

HARNESS_MAIN(tests)
