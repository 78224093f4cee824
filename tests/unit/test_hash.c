/*
 * Unit tests for lib/hash.c against published values: FNV-1a's reference
 * vectors and the first outputs of splitmix64 seeded with 0 (its finaliser
 * applied to multiples of the golden gamma). These results are observable
 * - flow ids, the order of the collector's table walks - so a change to
 * either function must fail here.
 */
#include "harness.h"

#include "leakwatch/hash.h"

#define GAMMA	0x9e3779b97f4a7c15ULL

static void
test_fnv1a(void)
{
	/* The FNV reference vectors (draft-eastlake-fnv, 32-bit FNV-1a). */
	CHECK(hash_fnv1a("") == 0x811c9dc5u);
	CHECK(hash_fnv1a("a") == 0xe40c292cu);
	CHECK(hash_fnv1a("foobar") == 0xbf9cf968u);
	/* Bytes above 0x7f are taken unsigned. */
	CHECK(hash_fnv1a("\xff") == ((0x811c9dc5u ^ 0xffu) * 16777619u));
}

static void
test_mix64(void)
{
	CHECK(hash_mix64(0) == 0);
	/* splitmix64(seed 0): its first three outputs. */
	CHECK(hash_mix64(GAMMA) == 0xe220a8397b1dcdafULL);
	CHECK(hash_mix64(2 * GAMMA) == 0x6e789e6aa1b965f4ULL);
	CHECK(hash_mix64(3 * GAMMA) == 0x06c45d188009454fULL);
}

static void
test_mix64_words(void)
{
	uint64_t w[3] = { 1, GAMMA, 0xffffffffffffffffULL };
	unsigned char raw[1 + sizeof(w)];

	CHECK(hash_mix64_words(42, w, 0) == 42);
	CHECK(hash_mix64_words(7, w, 1) == hash_mix64(7 ^ 1));
	CHECK(hash_mix64_words(7, w, 3) ==
	    hash_mix64(hash_mix64(hash_mix64(7 ^ 1) ^ GAMMA) ^ w[2]));
	/* A word need not be aligned. */
	memcpy(raw + 1, w, sizeof(w));
	CHECK(hash_mix64_words(7, raw + 1, 3) == hash_mix64_words(7, w, 3));
	CHECK(hash_mix64_words(0, w + 1, 1) == 0xe220a8397b1dcdafULL);
}

/* Whole words, then the tail zero-padded to a word; the length is keyed. */
static void
test_mix64_bytes(void)
{
	const char s[] = "0123456789abc";
	uint64_t w, tail = 0;

	memcpy(&w, s, 8);
	memcpy(&tail, s + 8, 5);
	CHECK(hash_mix64_bytes(9, s, 13) ==
	    hash_mix64(hash_mix64(9 ^ 13 ^ w) ^ tail));
	CHECK(hash_mix64_bytes(9, s, 8) == hash_mix64(hash_mix64(9 ^ 8 ^ w)));
	CHECK(hash_mix64_bytes(9, s, 0) == hash_mix64(9));
	/* Trailing NULs are not the same key as a shorter one. */
	CHECK(hash_mix64_bytes(9, "ab\0", 3) != hash_mix64_bytes(9, "ab", 2));
}

static const struct test tests[] = {
	{ "fnv1a", test_fnv1a },
	{ "mix64", test_mix64 },
	{ "mix64_words", test_mix64_words },
	{ "mix64_bytes", test_mix64_bytes },
};

HARNESS_MAIN(tests)
