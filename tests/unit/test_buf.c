/*
 * Unit tests for lib/buf.c: the string invariant (data[len] is '\0' once
 * allocated, and an untouched buffer is released as an allocated ""),
 * growth across the first allocation and by doubling, formatted appends
 * longer than the free room, binary bytes, truncation, and appends of a
 * megabyte checked byte for byte.
 */
#include "harness.h"

#include "leakwatch/buf.h"

static void
test_empty_release(void)
{
	struct buf b = BUF_INIT;
	size_t len = 99;
	char *s;

	s = buf_release(&b, &len);
	REQUIRE(s != NULL);
	CHECK_INT(len, 0);
	CHECK_STR(s, "");
	CHECK(b.data == NULL && b.len == 0 && b.cap == 0);
	free(s);
	/* NULL len is allowed. */
	s = buf_release(&b, NULL);
	CHECK_STR(s, "");
	free(s);
}

static void
test_reserve_terminates(void)
{
	struct buf b = BUF_INIT;

	buf_reserve(&b, 0);
	REQUIRE(b.data != NULL);
	CHECK_STR(b.data, "");
	CHECK_INT(b.len, 0);
	CHECK_INT(b.cap, 256);
	buf_free(&b);
	CHECK(b.data == NULL && b.len == 0 && b.cap == 0);
	buf_free(&b);		/* twice is harmless */
}

static void
test_growth(void)
{
	struct buf b = BUF_INIT;
	char want[600];
	size_t i, len;
	char *s;

	for (i = 0; i < 255; i++)
		buf_addc(&b, (char)('a' + i % 26));
	CHECK_INT(b.len, 255);
	CHECK_INT(b.cap, 256);		/* 255 bytes and the NUL */
	buf_addc(&b, 'x');
	CHECK_INT(b.cap, 512);
	buf_add(&b, "0123456789", 10);
	buf_puts(&b, "");
	buf_add(&b, NULL, 0);
	CHECK_INT(b.len, 266);
	for (i = 0; i < 255; i++)
		want[i] = (char)('a' + i % 26);
	memcpy(want + 255, "x0123456789", 12);
	CHECK_STR(b.data, want);
	s = buf_release(&b, &len);
	CHECK_INT(len, 266);
	CHECK_STR(s, want);
	free(s);
}

static void
test_printf(void)
{
	struct buf b = BUF_INIT;
	char big[1000];

	buf_printf(&b, "%s=%d", "n", 42);
	CHECK_STR(b.data, "n=42");
	CHECK_INT(b.len, 4);
	/* Longer than the room left: nothing is cut. */
	memset(big, 'z', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	buf_printf(&b, "[%s]", big);
	CHECK_INT(b.len, 4 + 1 + 999 + 1);
	CHECK(b.data[4] == '[' && b.data[1004] == ']');
	CHECK(b.data[b.len] == '\0');
	CHECK(memcmp(b.data + 5, big, 999) == 0);
	buf_printf(&b, "%s", "");
	CHECK_INT(b.len, 1005);
	buf_free(&b);
}

static void
test_binary_and_truncate(void)
{
	struct buf b = BUF_INIT;

	buf_truncate(&b, 0);		/* untouched: stays unallocated */
	CHECK(b.data == NULL);
	buf_add(&b, "a\0b", 3);
	CHECK_INT(b.len, 3);
	CHECK(memcmp(b.data, "a\0b", 4) == 0);
	buf_puts(&b, "cdef");
	buf_truncate(&b, 5);
	CHECK_INT(b.len, 5);
	CHECK(memcmp(b.data, "a\0bcd", 6) == 0);
	buf_truncate(&b, 9);		/* longer than len: no-op */
	CHECK_INT(b.len, 5);
	buf_truncate(&b, 0);
	CHECK_INT(b.len, 0);
	CHECK_STR(b.data, "");
	buf_addc(&b, 'q');
	CHECK_STR(b.data, "q");
	buf_free(&b);
}

static void
test_large(void)
{
	struct buf b = BUF_INIT;
	size_t n = 1 << 20, i, len;
	char *chunk, *s;
	int ok = 1;

	chunk = malloc(n);
	REQUIRE(chunk != NULL);
	for (i = 0; i < n; i++)
		chunk[i] = (char)(' ' + i % 95);
	buf_addc(&b, '<');
	buf_add(&b, chunk, n);
	buf_add(&b, chunk, n);
	buf_addc(&b, '>');
	CHECK_INT(b.len, 2 * n + 2);
	CHECK(b.cap >= b.len + 1);
	CHECK(b.cap < 2 * (b.len + 1));	/* doubling, no more */
	s = buf_release(&b, &len);
	REQUIRE(s != NULL);
	CHECK_INT(len, 2 * n + 2);
	for (i = 0; i < n && ok; i++)
		ok = s[1 + i] == chunk[i] && s[1 + n + i] == chunk[i];
	CHECK(ok);
	CHECK(s[0] == '<' && s[2 * n + 1] == '>' && s[2 * n + 2] == '\0');
	free(s);
	free(chunk);
}

static const struct test tests[] = {
	{ "empty_release", test_empty_release },
	{ "reserve_terminates", test_reserve_terminates },
	{ "growth", test_growth },
	{ "printf", test_printf },
	{ "binary_and_truncate", test_binary_and_truncate },
	{ "large", test_large },
};

HARNESS_MAIN(tests)
