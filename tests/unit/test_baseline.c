/*
 * Tests of collector/analytics/baseline.c: the robust EWMA of log1p(x)
 * (warm start, clipping at 3 standard deviations, variance floor), the
 * time-of-week slots, and the state surviving a restart: a pipeline that
 * learnt ten days, closed and reopened on the same database, carries on
 * exactly where one uninterrupted pipeline would be.
 */
#include <sys/stat.h>
#include <math.h>

#include "harness.h"
#include "ana_helper.h"

static int
near(double a, double b)
{
	return fabs(a - b) < 1e-9;
}

static void
test_slot_math(void)
{
	struct slot s;

	memset(&s, 0, sizeof(s));
	CHECK(near(slot_typical(&s), 0));
	slot_learn(&s, 99, 0.1, 0.3);		/* first: mean = log 100 */
	CHECK(near(s.m, log(100)));
	CHECK(near(s.v, 0.09));
	CHECK_INT(s.n, 1);
	CHECK(near(slot_typical(&s), 99));
	slot_learn(&s, 99, 0.1, 0.3);		/* warm start: a = 1/2 */
	CHECK(near(s.m, log(100)));
	CHECK(near(s.v, 0.045));
	/* z uses the floor when the spread is below it */
	CHECK(near(slot_z(&s, 999, 0.3), (log(1000) - log(100)) / 0.3));
	CHECK(near(slot_z(&s, -5, 0.3), (0 - log(100)) / 0.3));
	slot_learn(&s, 99, 0.1, 0.3);
	CHECK_INT(s.n, 3);
	/* from the fourth update a huge value is clipped to m + 3 sd */
	slot_learn(&s, 1e9, 0.1, 0.3);
	CHECK(near(s.m, log(100) + 0.25 * 0.9));
	CHECK_INT(s.n, 4);
}

static void
test_slot_converges(void)
{
	struct slot s;
	int i;

	memset(&s, 0, sizeof(s));
	/* alternating 100 and 10000: mean log = log(1001) roughly */
	for (i = 0; i < 400; i++)
		slot_learn(&s, i % 2 ? 9999 : 99, 0.07, 0.3);
	CHECK(fabs(s.m - log(1000)) < 0.2);
	CHECK(fabs(sqrt(s.v) - log(10)) < 0.25);
	/* a day at the usual 10000 is not a spike for this person */
	CHECK(slot_z(&s, 9999, 0.3) < 1.5);
}

static void
test_slots(void)
{
	CHECK_INT(baseline_hour_slot(1, 9, 0), 1);	/* Monday 09:00 */
	CHECK_INT(baseline_hour_slot(1, 23, 0), 3);
	CHECK_INT(baseline_hour_slot(6, 3, 0), 4);	/* Saturday night */
	CHECK_INT(baseline_hour_slot(0, 14, 0), 6);	/* Sunday */
	CHECK_INT(baseline_hour_slot(3, 14, 1), 6);	/* a holiday */
	CHECK_INT(baseline_day_slot(5, 0), 0);
	CHECK_INT(baseline_day_slot(6, 0), 1);
	CHECK_INT(baseline_day_slot(2, 1), 1);
}

static const char probe_rules[] =
    "rule probe {\n"
    "  on day\n"
    "  when value(rows.customer_pii, day) >= 5000\n"
    "  severity low\n"
    "  summary \"z={baseline(rows.customer_pii, day)} "
    "typical={median(rows.customer_pii, day)} "
    "peer={peer(rows.customer_pii, day)} "
    "conv={converged(rows.customer_pii)}\"\n"
    "}\n";

static const char *const users[4] = { "u_ana", "u_ben", "u_cat", "u_dan" };
static const char *const ips[4] = {
	"10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4"
};

static void
days(struct pipe *p, int from, int to)
{
	int i, k;

	for (i = from; i < to; i++)
		for (k = 0; k < 4; k++)
			pipe_query(p, users[k], ips[k], workday(i), 10, k,
			    100 + 10 * k + i, "crm.customers");
}

/*
 * One pipeline over 11 days versus two pipelines (6 days, restart, 5
 * days) on one database: the same alert, to the byte.
 */
static void
test_restart(void)
{
	struct pipe p;
	char db[512], *once, *split;

	snprintf(db, sizeof(db), "%s/once.db", harness_tmpdir());
	REQUIRE(pipe_open(&p, probe_rules, db) == 0);
	days(&p, 0, 10);
	pipe_query(&p, "u_ana", "10.0.0.1", workday(10), 11, 0, 6000,
	    "crm.customers");
	once = strdup(pipe_output(&p));
	pipe_close(&p);

	snprintf(db, sizeof(db), "%s/split.db", harness_tmpdir());
	REQUIRE(pipe_open(&p, probe_rules, db) == 0);
	days(&p, 0, 6);
	pipe_output(&p);
	pipe_close(&p);
	REQUIRE(pipe_open(&p, probe_rules, db) == 0);
	days(&p, 6, 10);
	pipe_query(&p, "u_ana", "10.0.0.1", workday(10), 11, 0, 6000,
	    "crm.customers");
	split = strdup(pipe_output(&p));
	pipe_close(&p);
	CHECK_INT(count_lines(once, "\"rule\":\"probe\""), 1);
	CHECK_CONTAINS(once, "conv=1");
	CHECK_STR(split, once);
	free(once);
	free(split);
}

/* Without the saved state the second half would start from nothing. */
static void
test_fresh_db_forgets(void)
{
	struct pipe p;
	char db[512];
	const char *out;

	snprintf(db, sizeof(db), "%s/fresh.db", harness_tmpdir());
	REQUIRE(pipe_open(&p, probe_rules, db) == 0);
	days(&p, 6, 10);
	pipe_query(&p, "u_ana", "10.0.0.1", workday(10), 11, 0, 6000,
	    "crm.customers");
	out = pipe_output(&p);
	CHECK_CONTAINS(out, "conv=0");
	pipe_close(&p);
}

static const struct test tests[] = {
	{ "slot_math", test_slot_math },
	{ "slot_converges", test_slot_converges },
	{ "slots", test_slots },
	{ "restart", test_restart },
	{ "fresh_db_forgets", test_fresh_db_forgets },
};

HARNESS_MAIN(tests)
