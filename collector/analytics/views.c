/*
 * Tables the collector keeps for its readers - the analyst TUI and
 * leakwatch-ctl - so they can show who a person is and what their days
 * looked like without re-running the analytics: `employees` (the
 * directory as last loaded) and `an_daily` (per employee and local day,
 * the day's value of the headline features and the band their baseline
 * expected). Written by the analytics on the collector's one writer
 * connection, inside its transactions; never read back by the collector.
 * The tables are collector/schema.c's, the readers' queries too.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

#include "analytics.h"
#include "leakwatch/log.h"
#include "leakwatch/util.h"

/* The features a reader charts: what the brief's analyst looks at. */
static const int charted[] = {
	FT_ROWS_SENSITIVE, FT_OUT_EXFIL, FT_ROWS, FT_QUERIES
};

static void
date_text(int64_t us, char *buf, size_t len)
{
	char ts[TS_STRLEN];

	buf[0] = '\0';
	if (us != 0 && ts_format(us, ts, sizeof(ts)) == 0)
		snprintf(buf, len, "%.10s", ts);
}

/* Replaces the employees table with the directory just loaded. */
void
views_employees(sqlite3 *db, const struct directory *dir)
{
	const struct person *p;
	sqlite3_stmt *st = NULL;
	char start[16], leave[16];
	size_t i;

	if (db == NULL || dir == NULL)
		return;
	if (sqlite3_exec(db, "SAVEPOINT views; DELETE FROM employees", NULL,
	    NULL, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "INSERT OR REPLACE INTO employees (employee, "
	    "name, department, role, manager, start, leave, service) VALUES "
	    "(?, ?, ?, ?, ?, ?, ?, ?)", -1, &st, NULL) != SQLITE_OK) {
		log_warnx("employees table: %s", sqlite3_errmsg(db));
		sqlite3_exec(db, "ROLLBACK TO views; RELEASE views", NULL, NULL,
		    NULL);
		return;
	}
	for (i = 0; (p = directory_person(dir, i)) != NULL; i++) {
		date_text(p->start_us, start, sizeof(start));
		date_text(p->leave_us, leave, sizeof(leave));
		sqlite3_bind_text(st, 1, p->id, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, p->name, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, p->department, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, p->role, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 5, p->manager, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 6, start, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 7, leave, -1, SQLITE_STATIC);
		sqlite3_bind_int(st, 8, p->service);
		if (sqlite3_step(st) != SQLITE_DONE)
			log_warnx("employees table: %s", sqlite3_errmsg(db));
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	sqlite3_exec(db, "RELEASE views", NULL, NULL, NULL);
}

/*
 * One closed day of one entity: value and band of each charted feature.
 * Called before the day is learnt, so the band is what the baseline
 * expected of that day, not what it became after seeing it.
 */
void
views_day(struct analytics *an, sqlite3 *db, struct entity *e,
    int64_t day_start_us)
{
	struct figure fig;
	sqlite3_stmt *st = NULL;
	char buf[64];
	const char *name;
	size_t i;

	if (db == NULL || sqlite3_prepare_v2(db, "INSERT OR REPLACE INTO "
	    "an_daily (employee, day, feature, value, lo, hi) VALUES (?, ?, "
	    "?, ?, ?, ?)", -1, &st, NULL) != SQLITE_OK)
		return;
	for (i = 0; i < sizeof(charted) / sizeof(charted[0]); i++) {
		detect_figure(an, e, charted[i], PER_DAY, &fig);
		if ((name = feature_name(an, charted[i], buf, sizeof(buf))) ==
		    NULL)
			continue;
		sqlite3_bind_text(st, 1, e->id, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, day_start_us);
		sqlite3_bind_text(st, 3, name, -1, SQLITE_STATIC);
		sqlite3_bind_double(st, 4, fig.value);
		sqlite3_bind_double(st, 5, fig.band_lo);
		sqlite3_bind_double(st, 6, fig.band_hi);
		if (sqlite3_step(st) != SQLITE_DONE)
			log_warnx("an_daily: %s", sqlite3_errmsg(db));
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
}
