/*
 * libFuzzer target for the PostgreSQL wire decoder (agent/decode-pgsql.c),
 * which sees every byte a database client or server sends. The input is
 * a script of records, each a control byte and a length byte: bit 0 of
 * the control byte picks the direction (client, server), bit 1 makes the
 * record a capture gap of (length * 61 + 1) bytes instead of data, and
 * otherwise the next `length` bytes are delivered as one data() call.
 * Data records are cut where the fuzzer likes, so framing across calls,
 * resynchronisation after gaps and garbage, and every request/response
 * pairing path get exercised. Beyond "no crash, no overread" it checks the
 * contract db.c relies on: every query has a readable text no longer than
 * statement_max + 1, an error has a SQLSTATE-shaped code and nothing
 * else, and session actions are from the documented set. Under gcc,
 * tests/fuzz/driver.c replays the corpus.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../agent/agent.h"

#define STMT_MAX	1024

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static volatile unsigned sink;

static void
check_str(const char *s, size_t cap)
{
	if (memchr(s, '\0', cap) == NULL)
		abort();
	sink += (unsigned char)s[0];
}

static void
on_query(void *arg, const struct db_session_info *info,
    const struct db_query *q)
{
	size_t i;

	(void)arg;
	if (q->sql == NULL || q->sql_len > STMT_MAX + 1)
		abort();
	if (q->sql_len > 0)	/* ASan: the whole text is readable */
		sink += (unsigned char)q->sql[0] +
		    (unsigned char)q->sql[q->sql_len - 1];
	if (q->origin_sql != NULL && q->origin_len > 0)
		sink += (unsigned char)q->origin_sql[q->origin_len - 1];
	if (q->origin_sql == NULL && q->origin_len != 0)
		abort();
	check_str(q->error_code, sizeof(q->error_code));
	if (q->error && q->error_code[0] == '\0')
		abort();
	if (!q->error && q->error_code[0] != '\0')
		abort();
	for (i = 0; q->error_code[i] != '\0'; i++)
		if (!((q->error_code[i] >= '0' && q->error_code[i] <= '9') ||
		    (q->error_code[i] >= 'A' && q->error_code[i] <= 'Z')))
			abort();
	if (q->command != NULL)
		sink += (unsigned char)q->command[0];
	if (q->end_us < q->start_us || (q->has_affected != 0 &&
	    q->has_affected != 1))
		abort();
	check_str(info->db_user, sizeof(info->db_user));
	check_str(info->database, sizeof(info->database));
	check_str(info->app_name, sizeof(info->app_name));
	check_str(info->search_path, sizeof(info->search_path));
	check_str(info->session_id, sizeof(info->session_id));
}

static void
on_session(void *arg, const struct db_session_info *info,
    const char *action, int64_t ts, const char *code)
{
	(void)arg;
	(void)ts;
	if (strcmp(action, "connect") != 0 && strcmp(action, "disconnect") !=
	    0 && strcmp(action, "tls") != 0 && strcmp(action, "auth_failed") !=
	    0)
		abort();
	if ((code != NULL) != (strcmp(action, "auth_failed") == 0))
		abort();
	if (code != NULL)
		check_str(code, 16);
	check_str(info->db_user, sizeof(info->db_user));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct db_session_info info;
	struct agent_config cfg;
	struct db_out out;
	void *ctx;
	size_t off = 0, n;
	int64_t ts = 1000;
	uint8_t ctl;

	memset(&info, 0, sizeof(info));
	memset(&cfg, 0, sizeof(cfg));
	cfg.statement_max = STMT_MAX;
	out.query = on_query;
	out.session = on_session;
	out.arg = NULL;
	if ((ctx = db_proto_pgsql.new(&info, &out, &cfg)) == NULL)
		abort();
	while (off + 2 <= size) {
		ctl = data[off];
		n = data[off + 1];
		off += 2;
		ts += 10;
		if (ctl & 2) {
			db_proto_pgsql.gap(ctx, (enum db_dir)(ctl & 1),
			    n * 61 + 1, ts);
			continue;
		}
		if (n > size - off)
			n = size - off;
		db_proto_pgsql.data(ctx, (enum db_dir)(ctl & 1), data + off,
		    n, ts);
		off += n;
	}
	db_proto_pgsql.close(ctx, ts + 1);
	/* After close, nothing more is reported, and nothing breaks. */
	db_proto_pgsql.data(ctx, DB_FROM_SERVER, data, size, ts + 2);
	db_proto_pgsql.free(ctx);
	return 0;
}
