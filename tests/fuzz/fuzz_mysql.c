/*
 * libFuzzer target for the MySQL / MariaDB decoder (agent/decode-mysql.c).
 * The input is a script of records, the way db.c drives a decoder: one
 * header byte h, then data. Bit 0 of h is the direction (0 client, 1
 * server); bit 1 set means a gap() of the record's size in that
 * direction, with no data following; bits 2..7 give the size s: s + 1
 * bytes for s < 48, else 1 << (s - 40) bytes (up to 8 MB), cut to what
 * is left. The decoder gets close() at the end and free().
 *
 * Beyond "no crash, no overread, no leak" it checks what db.c relies on:
 * every reported text is readable for its length, statement text never
 * exceeds statement_max + 1 (a cut text is padded one past it), error
 * codes are short NUL-terminated strings,
 * the end of a query is not before its start, and the session strings
 * stay NUL-terminated, and a malformed query attribute block is told
 * with a bounded reason. tests/unit/test_mysql.c writes the seed corpus
 * (LW_MYSQL_CORPUS=dir); tests/fuzz/driver.c replays it under gcc.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../agent/agent.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static volatile unsigned sink;

static void
touch(const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		sink += (unsigned char)p[i];
}

static void
check_info(const struct db_session_info *info)
{
	if (memchr(info->db_user, '\0', sizeof(info->db_user)) == NULL ||
	    memchr(info->database, '\0', sizeof(info->database)) == NULL ||
	    memchr(info->app_name, '\0', sizeof(info->app_name)) == NULL ||
	    memchr(info->session_id, '\0', sizeof(info->session_id)) == NULL)
		abort();
}

static void
on_query(void *arg, const struct db_session_info *info,
    const struct db_query *q)
{
	(void)arg;
	check_info(info);
	if (q->sql == NULL || q->sql_len > 64 * 1024 + 1)
		abort();
	touch(q->sql, q->sql_len);
	if (q->origin_sql != NULL)
		touch(q->origin_sql, q->origin_len);
	if (q->command != NULL)
		touch(q->command, strlen(q->command));
	if (memchr(q->error_code, '\0', sizeof(q->error_code)) == NULL)
		abort();
	if (q->error && q->error_code[0] == '\0')
		abort();
	if (q->end_us < q->start_us)
		abort();
}

static void
on_session(void *arg, const struct db_session_info *info, const char *action,
    int64_t ts, const char *code)
{
	(void)arg;
	(void)ts;
	check_info(info);
	if (action == NULL || (strcmp(action, "connect") != 0 &&
	    strcmp(action, "disconnect") != 0 && strcmp(action, "tls") != 0 &&
	    strcmp(action, "auth_failed") != 0))
		abort();
	if (code != NULL)
		touch(code, strlen(code));
}

/* Input the decoder could not read: a short constant reason. */
static void
on_bad(void *arg, const struct db_session_info *info, const char *why)
{
	(void)arg;
	check_info(info);
	if (why == NULL || memchr(why, '\0', 256) == NULL)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct agent_config cfg;
	struct db_session_info info;
	struct db_out out = { on_query, on_session, NULL, on_bad };
	void *ctx;
	size_t off = 0, n, s;
	int64_t ts = 1;
	uint8_t h;

	agent_config_defaults(&cfg);
	memset(&info, 0, sizeof(info));
	info.db_system = "mysql";
	ctx = db_proto_mysql.new(&info, &out, &cfg);
	if (ctx == NULL)
		return 0;
	while (off < size) {
		h = data[off++];
		s = h >> 2;
		n = s < 48 ? s + 1 : (size_t)1 << (s - 40);
		if (h & 2) {
			db_proto_mysql.gap(ctx, (enum db_dir)(h & 1), n, ts++);
			continue;
		}
		if (n > size - off)
			n = size - off;
		db_proto_mysql.data(ctx, (enum db_dir)(h & 1), data + off, n,
		    ts++);
		off += n;
	}
	db_proto_mysql.close(ctx, ts);
	db_proto_mysql.free(ctx);
	return 0;
}
