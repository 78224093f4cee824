/*
 * A bounded cache of normalised statements for the db sources. An
 * application sends the same few statement texts over and over (a
 * prepared statement's Parse text with every Execute, the same simple
 * query with other literals folded in by the driver's templates), and
 * normalising one - lexing, folding, SHA-256 of the result, table
 * extraction - is the largest per-query cost of decoding. sqlnorm() is a
 * pure function of the text and its options (sqlnorm.h: no I/O, no global
 * state), so its result can be kept and handed out again unchanged: the
 * events are byte for byte what they were without the cache.
 *
 * The key is the options and the whole text, or for plain text its
 * shape (sqlnorm_shape(): the text with its bare numbers masked, which
 * normalises to one result whatever the numbers were), so a statement a
 * driver fills in with new numbers each time is one entry and a hit,
 * not a new text. The table is found by a keyed hash (hash_mix64 with a
 * random key per cache, so crafted texts cannot force collisions) and
 * confirmed by comparing the whole key. A text is kept only the second
 * time it is seen within a while (its hash is remembered in a small
 * direct-mapped table, the doorkeeper): simple queries with string
 * literals in them are each new, and caching them would only cost an
 * allocation and an eviction per query. Least recently used entries go
 * first at NORMCACHE_ENTRIES; texts longer than NORMCACHE_TEXT_MAX are
 * normalised every time and never kept, so the cache stays within a few
 * MiB whatever the traffic. Texts that miss are still normalised, but
 * the SHA-256 of their normalised form - the same few shapes again and
 * again - is looked up in the fingerprint memo the cache owns
 * (sqlnorm_memo(), at most about 1 MiB). What it keeps is normalised
 * text only, as the events carry, plus the raw texts and shapes that are
 * its keys; it is never written anywhere.
 */
#include <sys/random.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "leakwatch/hash.h"
#include "leakwatch/log.h"
#include "leakwatch/sqlnorm.h"
#include "leakwatch/xmalloc.h"

#define NORMCACHE_BUCKETS	8192	/* a power of two */
#define NORMCACHE_SEEN		8192	/* doorkeeper slots, a power of two */
#define NC_SHAPE		0x80	/* key byte 0: the text's shape */

struct nc_entry {
	uint64_t	 hash;
	char		*key;		/* options, then the text */
	size_t		 keylen;
	struct sqlnorm	 n;
	struct nc_entry	*hnext;		/* bucket chain */
	struct nc_entry	*prev;		/* LRU list, most recent first */
	struct nc_entry	*next;
};

struct normcache {
	struct nc_entry	*buckets[NORMCACHE_BUCKETS];
	uint64_t	 seen[NORMCACHE_SEEN];	/* hashes seen once */
	struct nc_entry	 lru;		/* sentinel: lru.next most recent */
	size_t		 n;
	uint64_t	 hkey;
	struct sqlnorm_fpmemo *memo;	/* SHA-256 by normalised text */
	char		*kbuf;		/* the key being looked up */
	size_t		 kcap;
	struct normcache_stats st;
};

struct normcache *
normcache_new(void)
{
	struct normcache *c;

	c = xcalloc(1, sizeof(*c));
	c->lru.next = c->lru.prev = &c->lru;
	if (getrandom(&c->hkey, sizeof(c->hkey), 0) != sizeof(c->hkey))
		fatal("getrandom");
	if ((c->memo = sqlnorm_fpmemo_new(hash_mix64(c->hkey))) == NULL)
		fatal("sqlnorm_fpmemo_new");
	return c;
}

/* Appends s with its NUL (NULL as a lone 0xff, unlike any string). */
static size_t
nc_put_str(char *p, const char *s)
{
	size_t n;

	if (s == NULL) {
		*p = (char)0xff;
		return 1;
	}
	n = strlen(s) + 1;
	memcpy(p, s, n);
	return n;
}

/*
 * The lookup key of (sql, opts) in c->kbuf; returns its length. A plain
 * text is keyed by its shape (sqlnorm_shape(): its bare numbers as "0"),
 * which normalises as every text of that shape does, so the statements
 * a driver fills in with other numbers share one entry; the first byte
 * tells shapes from raw texts.
 */
static size_t
nc_key(struct normcache *c, const char *sql, size_t len,
    const struct sqlnorm_opts *o)
{
	size_t need, off = 0, slen;
	uint64_t ml = o->max_len;

	need = 2 + sizeof(ml) + (o->default_schema ?
	    strlen(o->default_schema) + 1 : 1) + (o->end_user_tag ?
	    strlen(o->end_user_tag) + 1 : 1) + len;
	if (need > c->kcap) {
		c->kcap = need + 256;
		c->kbuf = xreallocarray(c->kbuf, 1, c->kcap);
	}
	c->kbuf[off++] = (char)o->dialect;
	memcpy(c->kbuf + off, &ml, sizeof(ml));
	off += sizeof(ml);
	off += nc_put_str(c->kbuf + off, o->default_schema);
	off += nc_put_str(c->kbuf + off, o->end_user_tag);
	if (sqlnorm_shape(sql, len, o, c->kbuf + off, &slen) == 0) {
		c->kbuf[0] |= NC_SHAPE;
		return off + slen;
	}
	memcpy(c->kbuf + off, sql, len);
	return off + len;
}

static void
nc_unlink_lru(struct nc_entry *e)
{
	e->prev->next = e->next;
	e->next->prev = e->prev;
}

static void
nc_push_lru(struct normcache *c, struct nc_entry *e)
{
	e->next = c->lru.next;
	e->prev = &c->lru;
	c->lru.next->prev = e;
	c->lru.next = e;
}

/* Drops the least recently used entry. */
static void
nc_evict(struct normcache *c)
{
	struct nc_entry *e = c->lru.prev, **pp;

	if (e == &c->lru)
		return;
	for (pp = &c->buckets[e->hash & (NORMCACHE_BUCKETS - 1)]; *pp != e;
	    pp = &(*pp)->hnext)
		;
	*pp = e->hnext;
	nc_unlink_lru(e);
	sqlnorm_clear(&e->n);
	free(e->key);
	free(e);
	c->n--;
	c->st.evicted++;
}

/*
 * The normalised form of sql under opts: from the cache, or normalised
 * now (into *scratch when the text is too long to keep or seen for the
 * first time; the caller clears scratch). NULL when sqlnorm() fails (out
 * of memory), as sqlnorm() would report it. A lookup evicts only the
 * least recently used entry, never one of the last NORMCACHE_ENTRIES - 1
 * results, so a caller may hold two results at once.
 */
const struct sqlnorm *
normcache_get(struct normcache *c, const char *sql, size_t len,
    const struct sqlnorm_opts *opts, struct sqlnorm *scratch)
{
	struct nc_entry *e, **b;
	size_t klen;
	uint64_t h;

	if (len > NORMCACHE_TEXT_MAX) {
		c->st.uncached++;
		return sqlnorm_memo(sql, len, opts, c->memo, scratch) == 0 ?
		    scratch : NULL;
	}
	klen = nc_key(c, sql, len, opts);
	h = hash_mix64_bytes(c->hkey, c->kbuf, klen);
	b = &c->buckets[h & (NORMCACHE_BUCKETS - 1)];
	for (e = *b; e != NULL; e = e->hnext)
		if (e->hash == h && e->keylen == klen &&
		    memcmp(e->key, c->kbuf, klen) == 0) {
			c->st.hits++;
			nc_unlink_lru(e);
			nc_push_lru(c, e);
			return &e->n;
		}
	c->st.misses++;
	/* First sight (or its slot was taken since): normalise, remember. */
	if (c->seen[h & (NORMCACHE_SEEN - 1)] != h) {
		c->seen[h & (NORMCACHE_SEEN - 1)] = h;
		return sqlnorm_memo(sql, len, opts, c->memo, scratch) == 0 ?
		    scratch : NULL;
	}
	e = xcalloc(1, sizeof(*e));
	if (sqlnorm_memo(sql, len, opts, c->memo, &e->n) != 0) {
		free(e);
		return NULL;
	}
	if (c->n >= NORMCACHE_ENTRIES)
		nc_evict(c);
	e->hash = h;
	e->keylen = klen;
	e->key = xmalloc(klen);
	memcpy(e->key, c->kbuf, klen);
	e->hnext = *b;
	*b = e;
	nc_push_lru(c, e);
	c->n++;
	return &e->n;
}

void
normcache_stats(const struct normcache *c, struct normcache_stats *st)
{
	*st = c->st;
	st->entries = c->n;
}

void
normcache_free(struct normcache *c)
{
	if (c == NULL)
		return;
	while (c->n > 0)
		nc_evict(c);
	sqlnorm_fpmemo_free(c->memo);
	free(c->kbuf);
	free(c);
}
