/*
 * The ceiling for `make bench`: how fast this machine's SQLite takes the
 * very rows the collector stores, with the collector's schema, pragmas and
 * batch size, and nothing else - no network, no TLS, no JSON parsing. The
 * ingest figure is reported as a ratio of this.
 *
 *   lwbench FILE.jsonl DB BATCH   prints "<rows> <seconds> <rows/s>"
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "../../collector/collector.h"
#include "leakwatch/util.h"

int
main(int argc, char **argv)
{
	struct store *s;
	sqlite3 *db;
	sqlite3_stmt *st;
	FILE *f;
	char **lines = NULL, *line = NULL, err[256];
	size_t cap = 0, n = 0, alloc = 0, i, batch;
	ssize_t len;
	int64_t t0, t1;

	if (argc != 4)
		return 2;
	batch = (size_t)strtoul(argv[3], NULL, 10);
	if ((f = fopen(argv[1], "r")) == NULL)
		return 1;
	while ((len = getline(&line, &cap, f)) > 0) {
		if (n == alloc) {
			alloc = alloc ? alloc * 2 : 1024;
			lines = realloc(lines, alloc * sizeof(*lines));
		}
		line[len - 1] = '\0';
		lines[n++] = strdup(line);
	}
	fclose(f);
	free(line);
	/* The collector's own schema and pragmas. */
	if ((s = store_open(argv[2], 0, err, sizeof(err))) == NULL) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	store_close(s);
	sqlite3_open(argv[2], &db);
	sqlite3_exec(db, "PRAGMA journal_mode = WAL; PRAGMA synchronous = "
	    "NORMAL", NULL, NULL, NULL);
	sqlite3_prepare_v2(db, "INSERT INTO events (type, ts, recv_ts, agent, "
	    "instance, seq, json) VALUES (?, ?, ?, ?, ?, ?, ?)", -1, &st, NULL);
	t0 = now_us();
	for (i = 0; i < n; i++) {
		if (i % batch == 0)
			sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
		sqlite3_bind_text(st, 1, "db.query", -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, t0 + (int64_t)i);
		sqlite3_bind_int64(st, 3, t0);
		sqlite3_bind_text(st, 4, "bench", -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 5, "0123456789abcdef0123456789abcdef", -1,
		    SQLITE_STATIC);
		sqlite3_bind_int64(st, 6, (sqlite3_int64)i + 1);
		sqlite3_bind_text(st, 7, lines[i], -1, SQLITE_STATIC);
		sqlite3_step(st);
		sqlite3_reset(st);
		if (i % batch == batch - 1 || i == n - 1)
			sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
	}
	t1 = now_us();
	sqlite3_finalize(st);
	sqlite3_close(db);
	printf("%zu %.3f %.0f\n", n, (double)(t1 - t0) / 1e6,
	    (double)n * 1e6 / (double)(t1 - t0));
	for (i = 0; i < n; i++)
		free(lines[i]);
	free(lines);
	return 0;
}
