/*
 * One implementation of each hash the programs use (hash.h): FNV-1a over
 * strings and splitmix64's finaliser over 64-bit words. Both are fixed
 * forever: a flow id is hash_mix64() of the flow's counter and salt, and
 * the collector's tables are walked in hash order.
 */
#include <string.h>

#include "leakwatch/hash.h"

#define FNV32_OFFSET	2166136261u
#define FNV32_PRIME	16777619u

uint32_t
hash_fnv1a(const char *s)
{
	uint32_t h = FNV32_OFFSET;

	while (*s != '\0') {
		h ^= (uint8_t)*s++;
		h *= FNV32_PRIME;
	}
	return h;
}

uint64_t
hash_mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return x;
}

uint64_t
hash_mix64_words(uint64_t h, const void *buf, size_t nwords)
{
	const uint8_t *b = buf;
	uint64_t w;
	size_t i;

	for (i = 0; i < nwords; i++) {
		memcpy(&w, b + 8 * i, 8);
		h = hash_mix64(h ^ w);
	}
	return h;
}

uint64_t
hash_mix64_bytes(uint64_t key, const void *buf, size_t len)
{
	uint64_t h, tail = 0;
	size_t words = len / 8;

	h = hash_mix64_words(key ^ len, buf, words);
	memcpy(&tail, (const uint8_t *)buf + words * 8, len - words * 8);
	return hash_mix64(h ^ tail);
}
