/*
 * Unit tests for the scorer's burst policy (scorer_defer()): when scoring
 * steps aside for the ingest path and when it must not. The thread and
 * its exactly-once cursor are tested end to end in
 * tests/integration/scorer.sh.
 */
#include <stdint.h>

#include "harness.h"
#include "../../collector/collector.h"

#define MS	1000LL		/* in microseconds */
#define T0	(1800000000LL * 1000000)	/* any wall-clock time */

/* Full batches still coming: wait for the gap after the newest. */
static void
test_waits_for_gap(void)
{
	/* newest full batch 5 ms ago, first unscored 300 ms ago */
	CHECK_INT(scorer_defer(5000, T0, T0 - 5 * MS, T0 - 300 * MS), 95 * MS);
	/* just now: the whole 100 ms gap */
	CHECK_INT(scorer_defer(5000, T0, T0, T0), 100 * MS);
}

/*
 * 100 ms without a full batch: the burst is over, score. (A batch the
 * commit timer closed ends it at once: the scorer then passes 0.)
 */
static void
test_scores_after_gap(void)
{
	CHECK_INT(scorer_defer(5000, T0, T0 - 100 * MS, T0 - 300 * MS), 0);
	CHECK_INT(scorer_defer(5000, T0, T0 - 101 * MS, T0 - 1 * MS), 0);
}

/*
 * The bound: never past score-delay after the first unscored commit,
 * however long the burst lasts; and the wait is cut to what is left.
 */
static void
test_bounded_by_delay(void)
{
	CHECK_INT(scorer_defer(5000, T0, T0 - 1 * MS, T0 - 5000 * MS), 0);
	CHECK_INT(scorer_defer(5000, T0, T0 - 1 * MS, T0 - 60000 * MS), 0);
	CHECK_INT(scorer_defer(5000, T0, T0 - 1 * MS, T0 - 4990 * MS),
	    10 * MS);
	CHECK_INT(scorer_defer(5000, T0, T0 - 1 * MS, T0 - 4950 * MS),
	    50 * MS);
	CHECK_INT(scorer_defer(1, T0, T0, T0), 1 * MS);
}

/* Nothing waiting, no full batch seen, or score-delay 0: score now. */
static void
test_no_wait(void)
{
	CHECK_INT(scorer_defer(5000, T0, T0 - 1 * MS, 0), 0);
	CHECK_INT(scorer_defer(5000, T0, 0, T0 - 1 * MS), 0);
	CHECK_INT(scorer_defer(0, T0, T0 - 1 * MS, T0 - 1 * MS), 0);
}

static const struct test tests[] = {
	{ "waits_for_gap", test_waits_for_gap },
	{ "scores_after_gap", test_scores_after_gap },
	{ "bounded_by_delay", test_bounded_by_delay },
	{ "no_wait", test_no_wait },
};

HARNESS_MAIN(tests)
