/*
 * The PostgreSQL decoder's queue of pending requests when memory runs
 * out (agent/decode-pgsql-session.c). calloc() is wrapped (the Makefile
 * links this test with --wrap=calloc) so that the queue's allocation can
 * fail on demand: a failure must drop the request, never index an empty
 * queue (its capacity is 0 then, and the index is taken modulo it), and
 * the queue must work again once memory is back.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "../../agent/agent.h"
#include "../../agent/decode-pgsql.h"

void	*__real_calloc(size_t, size_t);
void	*__wrap_calloc(size_t, size_t);

static int	 fail_calloc;		/* the next calloc() returns NULL */

void *
__wrap_calloc(size_t n, size_t size)
{
	if (fail_calloc) {
		fail_calloc = 0;
		errno = ENOMEM;
		return NULL;
	}
	return __real_calloc(n, size);
}

/* The first allocation fails: nothing queued, nothing marked. */
static void
test_first_allocation_fails(void)
{
	struct pg_conn c;

	memset(&c, 0, sizeof(c));
	fail_calloc = 1;
	pg_q_push(&c, REQ_QUERY, NULL, 1);
	CHECK_INT(c.q_len, 0);
	CHECK_INT(c.q_cap, 0);
	CHECK(pg_q_front(&c) == NULL);
	/* Memory is back: the next request is queued as usual. */
	pg_q_push(&c, REQ_QUERY, NULL, 2);
	CHECK_INT(c.q_len, 1);
	REQUIRE(pg_q_front(&c) != NULL);
	CHECK_INT(pg_q_front(&c)->kind, REQ_QUERY);
	CHECK_INT(pg_q_front(&c)->start_us, 2);
	CHECK_INT(pg_q_front(&c)->partial, 0);
	pg_q_pop(&c);
	CHECK_INT(c.q_len, 0);
	free(c.q);
}

/* A later growth fails: the newest entry becomes the LOST marker. */
static void
test_growth_fails(void)
{
	struct pg_conn c;
	size_t i, cap;

	memset(&c, 0, sizeof(c));
	pg_q_push(&c, REQ_QUERY, NULL, 1);
	cap = c.q_cap;
	REQUIRE(cap > 1);
	for (i = 1; i < cap; i++)
		pg_q_push(&c, REQ_EXECUTE, NULL, (int64_t)i + 1);
	CHECK_INT(c.q_len, cap);
	fail_calloc = 1;
	pg_q_push(&c, REQ_EXECUTE, NULL, 99);
	CHECK_INT(c.q_len, cap);
	CHECK_INT(c.q_cap, cap);
	CHECK_INT(pg_q_at(&c, cap - 1)->kind, REQ_LOST);
	CHECK_INT(pg_q_at(&c, cap - 1)->partial, 1);
	CHECK_INT(pg_q_front(&c)->kind, REQ_QUERY);
	free(c.q);
}

static const struct test tests[] = {
	{ "first_allocation_fails", test_first_allocation_fails },
	{ "growth_fails", test_growth_fails },
};

HARNESS_MAIN(tests)
