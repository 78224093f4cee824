/*
 * A driver for the SIEM forwarder alone: reads alert events (JSON Lines)
 * from stdin and hands each to collector/siem/fwd.c as the collector's alert
 * path does, then waits until every destination took them. It lets
 * tests/integration/siem.sh exercise the real formats and transports
 * against a real rsyslog with chosen, hostile alert texts.
 *
 *   lwfwd --db PATH --forward URL [--forward URL ...] [--wait MS]
 *         [--hostname NAME] [--sd-id ID] [--facility N]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sqlite3.h>

#include "../../collector/schema.h"
#include "../../collector/siem/siem.h"
#include "leakwatch/conf.h"
#include "leakwatch/event.h"
#include "leakwatch/log.h"
#include "leakwatch/util.h"

int
main(int argc, char **argv)
{
	struct conf_list urls = { NULL, 0 };
	struct fmt_opts o;
	struct lw_event *ev;
	struct fwd *f;
	sqlite3 *sdb = NULL;
	const char *db = NULL;
	char *line = NULL, err[512];
	size_t cap = 0, lineno = 0;
	ssize_t n;
	long long wait = 20000;
	int i, rc = 0;

	log_init("lwfwd", 1, 0);
	fmt_opts_defaults(&o);
	urls.v = calloc((size_t)argc, sizeof(char *));
	for (i = 1; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--db") == 0)
			db = argv[i + 1];
		else if (strcmp(argv[i], "--forward") == 0)
			urls.v[urls.n++] = argv[i + 1];
		else if (strcmp(argv[i], "--wait") == 0)
			wait = strtoll(argv[i + 1], NULL, 10);
		else if (strcmp(argv[i], "--hostname") == 0)
			o.hostname = argv[i + 1];
		else if (strcmp(argv[i], "--sd-id") == 0)
			o.sd_id = argv[i + 1];
		else if (strcmp(argv[i], "--facility") == 0)
			o.facility = (int)strtol(argv[i + 1], NULL, 10);
		else
			break;
	}
	if (db == NULL || urls.n == 0 || i != argc) {
		fprintf(stderr, "usage: lwfwd --db PATH --forward URL ...\n");
		free(urls.v);
		return 2;
	}
	/* Autocommit, each alert its own transaction, as the collector
	 * commits them (WAL, synchronous=NORMAL). */
	if (sqlite3_open(db, &sdb) != SQLITE_OK ||
	    sqlite3_exec(sdb, "PRAGMA journal_mode=WAL; PRAGMA synchronous="
	    "NORMAL", NULL, NULL, NULL) != SQLITE_OK ||
	    schema_migrate(sdb, err, sizeof(err)) != 0) {
		fprintf(stderr, "lwfwd: %s: %s\n", db, sqlite3_errmsg(sdb));
		sqlite3_close(sdb);
		free(urls.v);
		return 1;
	}
	if ((f = fwd_new(NULL, sdb, &urls, &o, 100000, err,
	    sizeof(err))) == NULL) {
		fprintf(stderr, "lwfwd: %s\n", err);
		sqlite3_close(sdb);
		free(urls.v);
		return 1;
	}
	while ((n = getline(&line, &cap, stdin)) > 0) {
		lineno++;
		if ((ev = lw_event_parse(line, (size_t)n, err,
		    sizeof(err))) == NULL || ev->type != EVENT_ALERT) {
			fprintf(stderr, "lwfwd: line %zu: %s\n", lineno,
			    ev == NULL ? err : "not an alert");
			lw_event_free(ev);
			rc = 1;
			continue;
		}
		if (fwd_submit(f, ev->obj) != 0)
			rc = 1;
		lw_event_free(ev);
	}
	free(line);
	if (fwd_flush(f, wait) != 0) {
		fprintf(stderr, "lwfwd: not everything was sent\n");
		rc = 1;
	}
	fwd_free(f);
	sqlite3_close(sdb);
	free(urls.v);
	return rc;
}
