/*
 * The normaliser's fingerprints, through a memo of those already
 * computed (sqlnorm_memo() in sqlnorm.c calls it for every statement it
 * normalises).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "leakwatch/hash.h"
#include "leakwatch/sqlnorm.h"
#include "leakwatch/util.h"

/*
 * The fingerprint memo. Statements of one shape differ only in their
 * literals, which normalisation removes, so most normalised texts have
 * been hashed before; SHA-256 through OpenSSL's EVP interface (a method
 * fetch per call) cost about a third of normalising a short statement.
 * The memo is a direct-mapped table of normalised texts and their
 * fingerprints: a slot is found by a keyed 64-bit hash of the text and
 * confirmed by comparing the whole text, so a fingerprint it hands out
 * is always the SHA-256 of that very text; a collision only costs the
 * hash being computed again. Texts over FPMEMO_TEXT_MAX bytes are hashed
 * every time, which bounds the memo at FPMEMO_SLOTS times that.
 */
#define FPMEMO_SLOTS	1024	/* a power of two */
#define FPMEMO_TEXT_MAX	1024

struct fpslot {
	uint64_t	 h;
	char		*text;		/* NULL: empty */
	size_t		 len;
	char		 fp[16];
};

struct sqlnorm_fpmemo {
	uint64_t	 key;
	uint64_t	 hits;
	uint64_t	 misses;
	struct fpslot	 slot[FPMEMO_SLOTS];
};

struct sqlnorm_fpmemo *
sqlnorm_fpmemo_new(uint64_t key)
{
	struct sqlnorm_fpmemo *m;

	if ((m = calloc(1, sizeof(*m))) == NULL)
		return NULL;
	m->key = key;
	return m;
}

void
sqlnorm_fpmemo_free(struct sqlnorm_fpmemo *m)
{
	size_t i;

	if (m == NULL)
		return;
	for (i = 0; i < FPMEMO_SLOTS; i++)
		free(m->slot[i].text);
	free(m);
}

void
sqlnorm_fpmemo_stats(const struct sqlnorm_fpmemo *m, uint64_t *hits,
    uint64_t *misses)
{
	*hits = m != NULL ? m->hits : 0;
	*misses = m != NULL ? m->misses : 0;
}

void
sqlnorm_fingerprint(struct sqlnorm_fpmemo *m, const char *s, size_t len,
    char *fp)
{
	struct fpslot *sl;
	char hex[65], *copy;
	uint64_t h;

	if (m == NULL || len > FPMEMO_TEXT_MAX) {
		sha256_hex(s, len, hex);
		memcpy(fp, hex, 16);
		fp[16] = '\0';
		return;
	}
	h = hash_mix64_bytes(m->key, s, len);
	sl = &m->slot[h & (FPMEMO_SLOTS - 1)];
	if (sl->text != NULL && sl->h == h && sl->len == len &&
	    memcmp(sl->text, s, len) == 0) {
		m->hits++;
		memcpy(fp, sl->fp, 16);
		fp[16] = '\0';
		return;
	}
	m->misses++;
	sha256_hex(s, len, hex);
	memcpy(fp, hex, 16);
	fp[16] = '\0';
	/* Out of memory only costs the memo its slot. */
	if ((copy = malloc(len + 1)) == NULL)
		return;
	memcpy(copy, s, len);
	free(sl->text);
	sl->text = copy;
	sl->len = len;
	sl->h = h;
	memcpy(sl->fp, hex, 16);
}
