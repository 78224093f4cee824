/*
 * The non-cryptographic hashes the programs share: FNV-1a for strings
 * (the collector's hash tables and distinct-value sets) and splitmix64's
 * finaliser for the agent's keyed flow and connection tables and its flow
 * ids. Results are part of observable behaviour - flow ids and the order
 * of hash-table walks - so these functions never change. Nothing here is
 * fit for secrets; that is sha256_hex() in util.h.
 */
#ifndef LEAKWATCH_HASH_H
#define LEAKWATCH_HASH_H

#include <stddef.h>
#include <stdint.h>

/* 32-bit FNV-1a of a NUL-terminated string. */
uint32_t	 hash_fnv1a(const char *s);

/* splitmix64's finaliser: a bijection, so distinct inputs stay distinct. */
uint64_t	 hash_mix64(uint64_t x);

/*
 * Folds nwords 64-bit words of buf (read in host byte order, no
 * alignment needed) into h, one hash_mix64() a word.
 */
uint64_t	 hash_mix64_words(uint64_t h, const void *buf, size_t nwords);

/*
 * A keyed hash of len bytes: the whole words folded into key ^ len, then
 * the zero-padded tail, the key tables' hash (aggregates, normaliser
 * caches).
 */
uint64_t	 hash_mix64_bytes(uint64_t key, const void *buf, size_t len);

#endif
