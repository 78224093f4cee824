/*
 * The collector's control socket: a Unix stream socket through which the
 * analyst TUI (and scripts) triage alerts. The collector is the only
 * process that writes its database, and the socket tells it who is
 * asking: the peer's uid from SO_PEERCRED, turned into a login name, is
 * the analyst recorded in the audit trail - a client cannot claim to be
 * somebody else. The socket is created 0660, group leakwatch-analysts
 * when that group exists. What it writes - alerts.status, cases.status
 * and assignee, and the triage_audit rows - goes to tables of
 * collector/schema.c, which the store created when the collector
 * started.
 *
 * Protocol: one JSON object per line each way, at most CTL_LINE_MAX
 * bytes; a connection idle for CTL_IDLE seconds is closed.
 *   {"op":"triage","id":ALERT,"action":ACTION[,"note":S][,"assignee":S]}
 *   {"op":"triage","case":CASE,"action":ACTION[,"note":S][,"assignee":S]}
 *     ACTION: ack | assign | close_tp | close_fp | reopen
 * A case's triage moves the case and every alert of its timeline to the
 * new status (the verdict is on the evidence too) and is audited once,
 * under the case's id; a case is reopened only while its person has no
 * other open case (one open case per person).
 *   {"op":"ping"}
 * Answers: {"ok":true[,"status":S]} or {"ok":false,"error":S}.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <jansson.h>
#include <sqlite3.h>

#include "collector.h"
#include "leakwatch/log.h"
#include "leakwatch/util.h"
#include "leakwatch/xmalloc.h"

#define CTL_LINE_MAX	8192
#define CTL_IDLE	60	/* seconds */
#define CTL_NOTE_MAX	2000
#define CTL_GROUP	"leakwatch-analysts"

struct ctl_conn;

struct control {
	struct evconnlistener	*lev;
	struct ctl_conn		*conns;		/* open connections */
	sqlite3			*db;
	char			*path;
	uint64_t		 actions;
};

struct ctl_conn {
	struct control		*ctl;
	struct ctl_conn		*next;
	struct bufferevent	*bev;
	char			 analyst[64];
};

/* What each action sets the alert's status to. */
static const struct {
	const char	*action;
	const char	*status;
} actions[] = {
	{ "ack", "acknowledged" },
	{ "assign", "assigned" },
	{ "close_tp", "closed_true_positive" },
	{ "close_fp", "closed_false_positive" },
	{ "reopen", "open" },
};

static const char *
action_status(const char *action)
{
	size_t i;

	for (i = 0; i < sizeof(actions) / sizeof(actions[0]); i++)
		if (strcmp(actions[i].action, action) == 0)
			return actions[i].status;
	return NULL;
}

static void
reply(struct ctl_conn *c, json_t *o)
{
	char *s = json_dumps(o, JSON_COMPACT);

	if (s != NULL) {
		bufferevent_write(c->bev, s, strlen(s));
		bufferevent_write(c->bev, "\n", 1);
		free(s);
	}
	json_decref(o);
}

static void
reply_error(struct ctl_conn *c, const char *msg)
{
	reply(c, json_pack("{s:b, s:s}", "ok", 0, "error", msg));
}

/*
 * One statement with up to three text parameters (b and c unbound, so
 * NULL, when NULL): a query's first column as an int, else the rows it
 * changed; -1 on a database error.
 */
static int
step_text(sqlite3 *db, const char *sql, const char *a, const char *b,
    const char *c)
{
	sqlite3_stmt *st = NULL;
	int rc = -1;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(st, 1, a, -1, SQLITE_STATIC);
	if (b != NULL)
		sqlite3_bind_text(st, 2, b, -1, SQLITE_STATIC);
	if (c != NULL)
		sqlite3_bind_text(st, 3, c, -1, SQLITE_STATIC);
	switch (sqlite3_step(st)) {
	case SQLITE_ROW:
		rc = sqlite3_column_int(st, 0);
		break;
	case SQLITE_DONE:
		rc = sqlite3_changes(db);
		break;
	default:
		break;
	}
	sqlite3_finalize(st);
	return rc;
}

/*
 * What a triage action changes before it is audited, inside the
 * transaction: the alert's status, or the case's and its alerts'. 1 when
 * the target exists, 0 when not, -1 on a database error; *why set when
 * the action is refused.
 */
static int
triage_alert(sqlite3 *db, const char *id, const char *status,
    const char *assignee, const char **why)
{
	int n;

	(void)assignee;
	(void)why;
	n = step_text(db, "UPDATE alerts SET status = ?2 WHERE id = ?1", id,
	    status, NULL);
	return n < 0 ? -1 : n == 1;
}

static int
triage_case(sqlite3 *db, const char *id, const char *status,
    const char *assignee, const char **why)
{
	int n;

	if (strcmp(status, "open") == 0 && (n = step_text(db, "SELECT "
	    "count(*) FROM cases o JOIN cases c ON o.subject = c.subject "
	    "WHERE c.id = ?1 AND c.kind = 'person' AND o.id <> c.id AND "
	    "o.status NOT LIKE 'closed%'", id, NULL, NULL)) != 0) {
		*why = "that person has another open case";
		return n < 0 ? -1 : 0;
	}
	n = step_text(db, "UPDATE cases SET status = ?2, assignee = "
	    "coalesce(?3, assignee) WHERE id = ?1", id, status,
	    assignee != NULL && *assignee != '\0' ? assignee : NULL);
	if (n != 1)
		return n < 0 ? -1 : 0;
	if (step_text(db, "UPDATE alerts SET status = ?2 WHERE id IN (SELECT "
	    "alert_id FROM case_alerts WHERE case_id = ?1)", id, status,
	    NULL) < 0)
		return -1;
	return 1;
}

/*
 * One triage action in one short transaction: the alert's (or the
 * case's and its alerts') status moves and the audit row is written
 * together, or neither.
 */
static int
triage(sqlite3 *db, int is_case, const char *id, const char *action,
    const char *analyst, const char *note, const char *assignee,
    char *err, size_t errlen)
{
	const char *status = action_status(action), *why = NULL;
	sqlite3_stmt *st = NULL;
	int rc = -1, found;

	if (status == NULL) {
		snprintf(err, errlen, "unknown action (ack, assign, close_tp, "
		    "close_fp, reopen)");
		return -1;
	}
	if (strcmp(action, "assign") == 0 && (assignee == NULL ||
	    *assignee == '\0')) {
		snprintf(err, errlen, "assign needs an assignee");
		return -1;
	}
	if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) !=
	    SQLITE_OK) {
		snprintf(err, errlen, "database busy: %s", sqlite3_errmsg(db));
		return -1;
	}
	found = is_case ? triage_case(db, id, status, assignee, &why) :
	    triage_alert(db, id, status, assignee, &why);
	if (found < 0)
		goto fail;
	if (found == 0) {
		snprintf(err, errlen, "%s", why != NULL ? why : is_case ?
		    "no case with that id" : "no alert with that id");
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
		return -1;
	}
	if (sqlite3_prepare_v2(db, "INSERT INTO triage_audit(ts, alert_id, "
	    "analyst, action, status, assignee, note) VALUES (?, ?, ?, ?, ?, "
	    "?, ?)", -1, &st, NULL) != SQLITE_OK)
		goto fail;
	sqlite3_bind_int64(st, 1, now_us());
	sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, analyst, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, action, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, status, -1, SQLITE_STATIC);
	if (assignee != NULL && *assignee != '\0')
		sqlite3_bind_text(st, 6, assignee, -1, SQLITE_STATIC);
	if (note != NULL && *note != '\0')
		sqlite3_bind_text(st, 7, note, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE)
		goto fail;
	sqlite3_finalize(st);
	st = NULL;
	if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		goto fail;
	return 0;
fail:
	snprintf(err, errlen, "database: %s", sqlite3_errmsg(db));
	sqlite3_finalize(st);
	sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	return rc;
}

static int
valid_text(const char *s, size_t max)
{
	size_t i;

	if (s == NULL)
		return 1;
	if (strlen(s) > max)
		return 0;
	for (i = 0; s[i] != '\0'; i++)
		if ((unsigned char)s[i] < 0x20 && s[i] != '\n' && s[i] != '\t')
			return 0;
	return 1;
}

static void
handle_line(struct ctl_conn *c, const char *line, size_t len)
{
	const char *op, *id, *case_id, *action, *note, *assignee;
	char err[256];
	json_error_t je;
	json_t *req;

	if ((req = json_loadb(line, len, JSON_REJECT_DUPLICATES, &je)) ==
	    NULL || !json_is_object(req)) {
		json_decref(req);
		reply_error(c, "not a JSON object");
		return;
	}
	op = json_string_value(json_object_get(req, "op"));
	if (op != NULL && strcmp(op, "ping") == 0) {
		reply(c, json_pack("{s:b, s:s}", "ok", 1, "analyst",
		    c->analyst));
		json_decref(req);
		return;
	}
	if (op == NULL || strcmp(op, "triage") != 0) {
		json_decref(req);
		reply_error(c, "unknown op (triage, ping)");
		return;
	}
	id = json_string_value(json_object_get(req, "id"));
	if ((case_id = json_string_value(json_object_get(req, "case"))) !=
	    NULL)
		id = case_id;
	action = json_string_value(json_object_get(req, "action"));
	note = json_string_value(json_object_get(req, "note"));
	assignee = json_string_value(json_object_get(req, "assignee"));
	if (id == NULL || action == NULL || strlen(id) > 64) {
		reply_error(c, "triage needs id (or case) and action");
	} else if (!valid_text(note, CTL_NOTE_MAX) ||
	    !valid_text(assignee, 64)) {
		reply_error(c, "note or assignee too long or has control "
		    "characters");
	} else if (triage(c->ctl->db, case_id != NULL, id, action,
	    c->analyst, note, assignee, err, sizeof(err)) != 0) {
		reply_error(c, err);
	} else {
		c->ctl->actions++;
		log_info("triage: %s %s %s %s", c->analyst, action,
		    case_id != NULL ? "case" : "alert", id);
		reply(c, json_pack("{s:b, s:s}", "ok", 1, "status",
		    action_status(action)));
	}
	json_decref(req);
}

static void
conn_free(struct ctl_conn *c)
{
	struct ctl_conn **p;

	for (p = &c->ctl->conns; *p != NULL; p = &(*p)->next)
		if (*p == c) {
			*p = c->next;
			break;
		}
	bufferevent_free(c->bev);
	free(c);
}

static void
read_cb(struct bufferevent *bev, void *arg)
{
	struct ctl_conn *c = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	char *line;
	size_t n;

	while ((line = evbuffer_readln(in, &n, EVBUFFER_EOL_LF)) != NULL) {
		handle_line(c, line, n);
		free(line);
	}
	if (evbuffer_get_length(in) > CTL_LINE_MAX) {
		log_warnx("control: %s sent a line over %d bytes; closed",
		    c->analyst, CTL_LINE_MAX);
		conn_free(c);
	}
}

static void
event_cb(struct bufferevent *bev, short what, void *arg)
{
	(void)bev;
	(void)what;
	conn_free(arg);
}

static void
accept_cb(struct evconnlistener *lev, evutil_socket_t fd,
    struct sockaddr *sa, int salen, void *arg)
{
	struct control *ctl = arg;
	struct ctl_conn *c;
	struct ucred cred;
	socklen_t cl = sizeof(cred);
	struct passwd *pw;
	struct timeval tv = { CTL_IDLE, 0 };

	(void)lev;
	(void)sa;
	(void)salen;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &cl) != 0) {
		log_warn("control: SO_PEERCRED");
		evutil_closesocket(fd);
		return;
	}
	c = xcalloc(1, sizeof(*c));
	c->ctl = ctl;
	if ((pw = getpwuid(cred.uid)) != NULL)
		snprintf(c->analyst, sizeof(c->analyst), "%s", pw->pw_name);
	else
		snprintf(c->analyst, sizeof(c->analyst), "uid:%u",
		    (unsigned)cred.uid);
	c->bev = bufferevent_socket_new(evconnlistener_get_base(ctl->lev), fd,
	    BEV_OPT_CLOSE_ON_FREE);
	if (c->bev == NULL) {
		evutil_closesocket(fd);
		free(c);
		return;
	}
	c->next = ctl->conns;
	ctl->conns = c;
	bufferevent_setcb(c->bev, read_cb, NULL, event_cb, c);
	bufferevent_setwatermark(c->bev, EV_READ, 0, CTL_LINE_MAX + 1);
	bufferevent_set_timeouts(c->bev, &tv, NULL);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
}

struct control *
control_new(struct event_base *base, const char *path, const char *dbpath,
    char *err, size_t errlen)
{
	struct control *ctl;
	struct sockaddr_un sun;
	struct group *gr;
	mode_t old;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		snprintf(err, errlen, "control-socket %s: path too long", path);
		return NULL;
	}
	memcpy(sun.sun_path, path, strlen(path));
	ctl = xcalloc(1, sizeof(*ctl));
	ctl->path = xstrdup(path);
	if (sqlite3_open_v2(dbpath, &ctl->db, SQLITE_OPEN_READWRITE, NULL) !=
	    SQLITE_OK || sqlite3_busy_timeout(ctl->db, 2000) != SQLITE_OK) {
		snprintf(err, errlen, "control: %s: %s", dbpath,
		    sqlite3_errmsg(ctl->db));
		control_free(ctl);
		return NULL;
	}
	/* A stale socket from a crash would make bind() fail. */
	if (unlink(path) != 0 && errno != ENOENT) {
		snprintf(err, errlen, "control-socket %s: %s", path,
		    strerror(errno));
		control_free(ctl);
		return NULL;
	}
	old = umask(0117);
	ctl->lev = evconnlistener_new_bind(base, accept_cb, ctl,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, 16,
	    (struct sockaddr *)&sun, (int)sizeof(sun));
	umask(old);
	if (ctl->lev == NULL) {
		snprintf(err, errlen, "control-socket %s: %s", path,
		    strerror(errno));
		control_free(ctl);
		return NULL;
	}
	if ((gr = getgrnam(CTL_GROUP)) != NULL &&
	    chown(path, (uid_t)-1, gr->gr_gid) != 0)
		log_warn("control-socket %s: chgrp %s", path, CTL_GROUP);
	return ctl;
}

void
control_free(struct control *ctl)
{
	if (ctl == NULL)
		return;
	/*
	 * conn_free() unlinks its connection from c->ctl->conns, which is
	 * ctl->conns; clang's analyzer does not know that c->ctl == ctl and
	 * reports a use after free, a false positive (tests/lint.sh).
	 */
	/* NOLINTBEGIN(clang-analyzer-unix.Malloc) */
	while (ctl->conns != NULL)
		conn_free(ctl->conns);
	/* NOLINTEND(clang-analyzer-unix.Malloc) */
	if (ctl->lev != NULL) {
		evconnlistener_free(ctl->lev);
		unlink(ctl->path);
	}
	sqlite3_close(ctl->db);
	free(ctl->path);
	free(ctl);
}
