/*
 * libFuzzer target for every database log format (agent/decode-pglog.c,
 * agent/decode-mylog.c). The first input byte picks the format: 0
 * pgaudit stderr with the prefix "%m [%p] %q%u@%d %a %r %e ", 1 csvlog,
 * 2 jsonlog, 3 the MySQL slow log, 4 MariaDB server_audit; the rest is
 * the log, fed line by line as the log source does, then flush(). Every
 * reported statement goes through db_query_event(), the real way out, so
 * the normaliser and the event schema see what the parser produced.
 * Beyond "no crash, no overread, no leak" it checks that positions never
 * go back and never pass the end of the input, and that every event
 * the parser reports is accepted by the schema. A pgaudit line with
 * another prefix has one read from it (agent/pglog-prefix.c), and its
 * note must be a bounded string.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../agent/agent.h"
#include "leakwatch/event.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static struct agent_config cfg;
static uint64_t last_pos, input_len;
static char prefix[] = "%m [%p] %q%u@%d %a %r %e ";

static void
on_query(void *arg, const struct db_session_info *info,
    const struct db_query *q, uint64_t pos)
{
	struct lw_event *e;
	uint64_t nerr = 0;
	char err[256];

	(void)arg;
	if (pos < last_pos || pos > input_len)
		abort();
	last_pos = pos;
	if (q->sql == NULL || memchr(q->error_code, '\0',
	    sizeof(q->error_code)) == NULL)
		abort();
	if ((e = db_query_event(&cfg, info, q, "log", &nerr, err,
	    sizeof(err))) == NULL)
		abort();
	lw_event_free(e);
}

/* The fill notes: a statement text and a known operation. */
static void
on_fill(void *arg, const struct db_session_info *info, const char *sql,
    int op, uint64_t calls)
{
	(void)arg;
	(void)info;
	if (sql == NULL || op < STATFILL_PENDING ||
	    op > STATFILL_PENDING_COUNTED || calls == 0)
		abort();
}

static void
on_session(void *arg, const struct db_session_info *info,
    const char *action, int64_t ts, int64_t dur, const char *code,
    uint64_t pos)
{
	struct lw_event *e;
	char err[256];

	(void)arg;
	if (pos < last_pos || pos > input_len)
		abort();
	last_pos = pos;
	if ((e = db_session_event(info, action, ts, dur, code, "log", err,
	    sizeof(err))) == NULL)
		abort();
	lw_event_free(e);
}

static void
on_bad(void *arg, const char *why)
{
	(void)arg;
	(void)why;
}

/* A note on the log (a prefix read from it): a bounded string. */
static void
on_note(void *arg, const char *msg)
{
	(void)arg;
	if (msg == NULL || memchr(msg, '\0', 4096) == NULL)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct dblog_format *const fmts[] = {
		&dblog_pgaudit, &dblog_pgcsv, &dblog_pgjson,
		&dblog_mysql_slow, &dblog_mariadb_audit
	};
	struct dblog_out out = { on_query, on_session, on_bad, NULL,
	    on_fill, on_note };
	const struct dblog_format *f;
	const char *buf;
	size_t len, i, e;
	void *d;

	if (size < 1)
		return 0;
	agent_config_defaults(&cfg);
	cfg.log_line_prefix = prefix;
	f = fmts[data[0] % 5];
	buf = (const char *)data + 1;
	len = size - 1;
	last_pos = 0;
	input_len = len;
	d = f->new(&cfg, &out);
	for (i = 0; i < len; ) {
		const char *nl = memchr(buf + i, '\n', len - i);

		e = nl == NULL ? len : (size_t)(nl - buf);
		f->line(d, buf + i, e - i, nl == NULL ? e : e + 1);
		i = nl == NULL ? e : e + 1;
	}
	f->flush(d);
	f->free(d);
	return 0;
}
