/*
 * The harness test_pglog.c and test_mylog.c share: a database log format
 * is driven the way agent/source-log.c drives it (feed()), and the
 * events, sessions and fill notes it hands out are kept, encoded, for the
 * tests to look at. Include after harness.h, with MAXEV defined (how many
 * of each are kept).
 */
#ifndef LEAKWATCH_DBLOG_HELPER_H
#define LEAKWATCH_DBLOG_HELPER_H

#include "leakwatch/util.h"

static char	*ev[MAXEV];
static uint64_t	 evpos[MAXEV];
static int	 nev;
static int	 nbad;
static struct agent_config cfg;

static void
on_query(void *arg, const struct db_session_info *info,
    const struct db_query *q, uint64_t pos)
{
	struct lw_event *e;
	uint64_t nerr = 0;
	char err[256];
	size_t len;

	(void)arg;
	if ((e = db_query_event(&cfg, info, q, "log", &nerr, err,
	    sizeof(err))) == NULL) {
		FAILF("event refused: %s", err);
		return;
	}
	if (nev < MAXEV) {
		evpos[nev] = pos;
		ev[nev++] = lw_event_encode(e, &len);
	}
	lw_event_free(e);
}

static char	*sess[MAXEV];
static int	 nsess;

static void
on_session(void *arg, const struct db_session_info *info,
    const char *action, int64_t ts, int64_t dur, const char *code,
    uint64_t pos)
{
	struct lw_event *e;
	char err[256];
	size_t len;

	(void)arg;
	(void)pos;
	if ((e = db_session_event(info, action, ts, dur, code, "log", err,
	    sizeof(err))) == NULL) {
		FAILF("session event refused: %s", err);
		return;
	}
	if (nsess < MAXEV)
		sess[nsess++] = lw_event_encode(e, &len);
	lw_event_free(e);
}

/* The fill notes, as "OP CALLS user statement-text". */
static char	*fills[MAXEV];
static int	 nfill;

static void
on_fill(void *arg, const struct db_session_info *info, const char *sql,
    int op, uint64_t calls)
{
	static const char *const ops[] = { "pending", "need", "counted",
	    "pending-need", "pending-counted" };
	char buf[512];

	(void)arg;
	if (op < STATFILL_PENDING || op > STATFILL_PENDING_COUNTED) {
		FAILF("fill op %d", op);
		return;
	}
	snprintf(buf, sizeof(buf), "%s %llu %s %s", ops[op],
	    (unsigned long long)calls, info->db_user, sql);
	if (nfill < MAXEV)
		fills[nfill++] = strdup(buf);
}

/* The last bad record's reason, and the notes, in order. */
static char	 lastbad[1024];
static char	*notes[MAXEV];
static int	 nnote;

static void
on_bad(void *arg, const char *why)
{
	(void)arg;
	snprintf(lastbad, sizeof(lastbad), "%s", why);
	nbad++;
}

static void
on_note(void *arg, const char *msg)
{
	(void)arg;
	if (nnote < MAXEV)
		notes[nnote++] = strdup(msg);
}

static void
reset(void)
{
	while (nev > 0)
		free(ev[--nev]);
	while (nsess > 0)
		free(sess[--nsess]);
	while (nfill > 0)
		free(fills[--nfill]);
	while (nnote > 0)
		free(notes[--nnote]);
	nbad = 0;
	lastbad[0] = '\0';
	agent_config_defaults(&cfg);
}

/* Feeds buf[from..len) line by line, then flush(), as source-log does. */
static void
feed(const struct dblog_format *f, const char *buf, size_t len,
    size_t from)
{
	struct dblog_out out = { on_query, on_session, on_bad, NULL,
	    on_fill, on_note };
	void *d = f->new(&cfg, &out);
	size_t i = from, e;

	while (i < len) {
		const char *nl = memchr(buf + i, '\n', len - i);

		e = nl == NULL ? len : (size_t)(nl - buf);
		f->line(d, buf + i, e - i, nl == NULL ? e : e + 1);
		i = nl == NULL ? e : e + 1;
	}
	f->flush(d);
	f->free(d);
}

/* A file of tests/data/dblog, whole; NULL when it cannot be read. */
static char *
slurp(const char *name, size_t *len)
{
	char path[512], err[600];
	const char *top = getenv("LW_TOP");

	snprintf(path, sizeof(path), "%s/tests/data/dblog/%s",
	    top != NULL ? top : ".", name);
	return file_read_alloc(path, 64 << 20, len, err, sizeof(err));
}

static int
count(const char *needle)
{
	int i, n = 0;

	for (i = 0; i < nev; i++)
		if (strstr(ev[i], needle) != NULL)
			n++;
	return n;
}

static const char *
find(const char *needle)
{
	int i;

	for (i = 0; i < nev; i++)
		if (strstr(ev[i], needle) != NULL)
			return ev[i];
	return NULL;
}

#endif
