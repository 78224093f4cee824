/*
 * What the net source learnt from DNS answers on its own capture: a
 * bounded, time-limited map from a name to the addresses and the CNAME
 * target it was answered with, so flow.c can ask whether the server name
 * a TLS flow announces was resolved to the address the flow went to.
 * It is evidence, not a resolver: nothing here sends a packet, and an
 * answer the capture did not carry (DNS over HTTPS, a hosts file, curl
 * --resolve, an answer older than the window) simply is not known.
 *
 * Input is a UDP payload from port 53 (flow.c picks them); the parser
 * takes (buf, len), checks bounds before every read, follows at most
 * DNS_JUMPS compression pointers per name and stops at the first
 * malformed record, keeping what came before it. Only class IN records
 * of type A, AAAA and CNAME are kept.
 *
 * Memory is fixed at creation: `max` names of DNS_ADDRS addresses and one
 * CNAME each, in an array with a hash index (keyed with a random value,
 * so an outsider who picks names cannot aim them at one bucket) and a
 * list by last update. A new name at the cap takes the slot of the name
 * updated longest ago (counted in `evicted`). Each address, and the
 * CNAME, is kept for its TTL clamped to [DNS_KEEP_MIN, DNS_KEEP_MAX]:
 * clients connect right after the answer, but keep using an address a
 * little past short TTLs, and a day-long TTL should not make an answer
 * evidence all day. Answers for a name accumulate (round-robin and CDN
 * answers change from one query to the next); at DNS_ADDRS addresses of
 * one family (A and AAAA answers do not crowd each other out) the one
 * that expires first makes room.
 *
 * Time is packet time, as in flow.c, so a capture file replays the same.
 */
#include <sys/queue.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/random.h>

#include "agent.h"
#include "leakwatch/util.h"
#include "leakwatch/xmalloc.h"

#define DNS_NAME_MAX	253		/* text, without the last dot */
#define DNS_ADDRS	24		/* per name and address family */
#define DNS_JUMPS	16		/* compression pointers per name */
#define DNS_CHAIN	8		/* CNAME hops followed by a lookup */
#define DNS_KEEP_MIN	(300 * 1000000LL)
#define DNS_KEEP_MAX	(3600 * 1000000LL)
#define DNS_T_A		1
#define DNS_T_CNAME	5
#define DNS_T_AAAA	28
#define DNS_C_IN	1

/* One family's addresses of a name; until_us 0 is a free slot. */
struct dns_v4 {
	int64_t		 until_us[DNS_ADDRS];
	uint8_t		 a[DNS_ADDRS][4];
};
struct dns_v6 {
	int64_t		 until_us[DNS_ADDRS];
	uint8_t		 a[DNS_ADDRS][16];
};

struct dns_name {
	TAILQ_ENTRY(dns_name)	 lru;	/* by last update, oldest first */
	struct dns_name		*hnext;
	uint64_t		 hash;
	int			 used;
	char			 name[DNS_NAME_MAX + 1];
	char			 cname[DNS_NAME_MAX + 1];
	int64_t			 cname_until_us;
	struct dns_v4		 v4;
	struct dns_v6		 v6;
};

TAILQ_HEAD(dns_list, dns_name);

struct dnscache {
	struct dns_name		*names;
	size_t			 max;
	size_t			 used;
	struct dns_name		**buckets;
	size_t			 nbuckets;	/* power of two */
	uint64_t		 hkey;
	struct dns_list		 lru;
	struct dnscache_stats	 st;
};

struct dnscache *
dnscache_new(size_t max)
{
	struct dnscache *c;

	if (max == 0)
		max = 1;
	c = xcalloc(1, sizeof(*c));
	c->max = max;
	c->names = xcalloc(max, sizeof(*c->names));
	for (c->nbuckets = 64; c->nbuckets < max; c->nbuckets <<= 1)
		;
	c->buckets = xcalloc(c->nbuckets, sizeof(*c->buckets));
	TAILQ_INIT(&c->lru);
	if (getrandom(&c->hkey, sizeof(c->hkey), 0) != sizeof(c->hkey))
		c->hkey = (uint64_t)getpid() ^ (uint64_t)now_us();
	return c;
}

void
dnscache_free(struct dnscache *c)
{
	if (c == NULL)
		return;
	free(c->buckets);
	free(c->names);
	free(c);
}

void
dnscache_stats(const struct dnscache *c, struct dnscache_stats *st)
{
	*st = c->st;
	st->names = c->used;
}

/* FNV-1a over the name, seeded with the cache's key. */
static uint64_t
name_hash(const struct dnscache *c, const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL ^ c->hkey;

	for (; *s != '\0'; s++) {
		h ^= (uint8_t)*s;
		h *= 0x100000001b3ULL;
	}
	return h ^ (h >> 29);
}

static struct dns_name *
name_find(const struct dnscache *c, const char *s)
{
	struct dns_name *n;
	uint64_t h = name_hash(c, s);

	for (n = c->buckets[h & (c->nbuckets - 1)]; n != NULL; n = n->hnext)
		if (n->hash == h && strcmp(n->name, s) == 0)
			return n;
	return NULL;
}

static void
name_unhash(struct dnscache *c, struct dns_name *n)
{
	struct dns_name **pp;

	pp = &c->buckets[n->hash & (c->nbuckets - 1)];
	while (*pp != NULL && *pp != n)
		pp = &(*pp)->hnext;
	if (*pp == n)
		*pp = n->hnext;
}

/* The entry of s, created (taking the oldest slot at the cap) if new;
 * either way it becomes the most recently updated. */
static struct dns_name *
name_get(struct dnscache *c, const char *s)
{
	struct dns_name *n;

	if ((n = name_find(c, s)) != NULL) {
		TAILQ_REMOVE(&c->lru, n, lru);
		TAILQ_INSERT_TAIL(&c->lru, n, lru);
		return n;
	}
	if (c->used < c->max)
		n = &c->names[c->used++];
	else {
		n = TAILQ_FIRST(&c->lru);
		TAILQ_REMOVE(&c->lru, n, lru);
		name_unhash(c, n);
		c->st.evicted++;
	}
	memset(n, 0, sizeof(*n));
	n->used = 1;
	snprintf(n->name, sizeof(n->name), "%s", s);
	n->hash = name_hash(c, s);
	n->hnext = c->buckets[n->hash & (c->nbuckets - 1)];
	c->buckets[n->hash & (c->nbuckets - 1)] = n;
	TAILQ_INSERT_TAIL(&c->lru, n, lru);
	return n;
}

static int64_t
keep_until(uint32_t ttl, int64_t now)
{
	int64_t keep = (int64_t)ttl * 1000000;

	if (keep < DNS_KEEP_MIN)
		keep = DNS_KEEP_MIN;
	if (keep > DNS_KEEP_MAX)
		keep = DNS_KEEP_MAX;
	return now + keep;
}

/* A fresh answer always finds room: at DNS_ADDRS it takes the slot of
 * the address that expires first. A known address keeps the later end. */
static void
addr_add(int64_t *until, uint8_t *a, size_t alen, const uint8_t *addr,
    int64_t end)
{
	size_t i, slot = 0;

	for (i = 0; i < DNS_ADDRS; i++) {
		if (until[i] != 0 && memcmp(a + i * alen, addr, alen) == 0) {
			if (until[i] < end)
				until[i] = end;
			return;
		}
		if (until[i] < until[slot])
			slot = i;	/* free, or expiring first */
	}
	until[slot] = end;
	memcpy(a + slot * alen, addr, alen);
}

/* Is addr among the addresses live at now? *live says if any is. */
static int
addr_has(const int64_t *until, const uint8_t *a, size_t alen,
    const uint8_t *addr, int64_t now, int *live)
{
	size_t i;

	for (i = 0; i < DNS_ADDRS; i++) {
		if (until[i] <= now)
			continue;
		*live = 1;
		if (memcmp(a + i * alen, addr, alen) == 0)
			return 1;
	}
	return 0;
}

/*
 * Reads the (possibly compressed) name at *off into out as lower-case
 * dotted text, without the root's dot; *off moves past the name where it
 * first appears. A byte that cannot stand in a host name (a dot inside a
 * label, a control character) becomes '?', so such a name never equals a
 * server name. Returns -1 when the name runs past the message, points
 * in a loop or is longer than a name can be.
 */
static int
read_name(const uint8_t *m, size_t len, size_t *off, char *out)
{
	size_t p = *off, o = 0, i;
	int jumps = 0, moved = 0;
	uint8_t l, ch;

	for (;;) {
		if (p >= len)
			return -1;
		l = m[p];
		if ((l & 0xc0) == 0xc0) {
			if (p + 1 >= len || ++jumps > DNS_JUMPS)
				return -1;
			if (!moved)
				*off = p + 2;
			moved = 1;
			p = (size_t)(l & 0x3f) << 8 | m[p + 1];
			continue;
		}
		if ((l & 0xc0) != 0)
			return -1;		/* 0x40/0x80: obsolete */
		if (l == 0) {
			if (!moved)
				*off = p + 1;
			out[o] = '\0';
			return 0;
		}
		if (p + 1 + l > len || o + l + 1 > DNS_NAME_MAX + 1)
			return -1;
		if (o > 0)
			out[o++] = '.';
		for (i = 0; i < l; i++) {
			ch = m[p + 1 + i];
			if (ch >= 'A' && ch <= 'Z')
				ch = (uint8_t)(ch - 'A' + 'a');
			else if (ch <= 0x20 || ch >= 0x7f || ch == '.')
				ch = '?';
			out[o++] = (char)ch;
		}
		if (o > DNS_NAME_MAX)
			return -1;
		p += 1 + (size_t)l;
	}
}

static uint16_t
get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* One answer record at *off; -1 when malformed. */
static int
read_answer(struct dnscache *c, const uint8_t *m, size_t len, size_t *off,
    int64_t now)
{
	char owner[DNS_NAME_MAX + 1], target[DNS_NAME_MAX + 1];
	struct dns_name *n;
	uint16_t type, klass, rdlen;
	uint32_t ttl;
	size_t rd;

	if (read_name(m, len, off, owner) != 0 || len - *off < 10)
		return -1;
	type = get16(m + *off);
	klass = get16(m + *off + 2);
	ttl = (uint32_t)get16(m + *off + 4) << 16 | get16(m + *off + 6);
	rdlen = get16(m + *off + 8);
	rd = *off + 10;
	if (len - rd < rdlen)
		return -1;
	*off = rd + rdlen;
	if (klass != DNS_C_IN || owner[0] == '\0')
		return 0;
	if ((type == DNS_T_A && rdlen == 4) ||
	    (type == DNS_T_AAAA && rdlen == 16)) {
		n = name_get(c, owner);
		if (type == DNS_T_A)
			addr_add(n->v4.until_us, &n->v4.a[0][0], 4, m + rd,
			    keep_until(ttl, now));
		else
			addr_add(n->v6.until_us, &n->v6.a[0][0], 16, m + rd,
			    keep_until(ttl, now));
		c->st.records++;
	} else if (type == DNS_T_CNAME) {
		if (read_name(m, len, &rd, target) != 0)
			return -1;
		n = name_get(c, owner);
		snprintf(n->cname, sizeof(n->cname), "%s", target);
		n->cname_until_us = keep_until(ttl, now);
		c->st.records++;
	}
	return 0;
}

/*
 * One DNS message (a UDP payload from port 53). A query or another
 * opcode is not read. A message cut short or malformed is counted in
 * `malformed`, the records before the fault kept; one read to its end
 * is counted in `answers`.
 */
int
dnscache_feed(struct dnscache *c, const uint8_t *m, size_t len,
    int64_t now_us)
{
	char skip[DNS_NAME_MAX + 1];
	uint16_t qd, an, i;
	size_t off = 12;

	if (len < 12)
		goto bad;
	if ((m[2] & 0x80) == 0 || (m[2] & 0x78) != 0)
		return -1;		/* a query, or not a standard one */
	qd = get16(m + 4);
	an = get16(m + 6);
	for (i = 0; i < qd; i++) {
		if (read_name(m, len, &off, skip) != 0 || len - off < 4)
			goto bad;
		off += 4;
	}
	for (i = 0; i < an; i++)
		if (read_answer(c, m, len, &off, now_us) != 0)
			goto bad;
	c->st.answers++;
	return 0;
bad:
	c->st.malformed++;
	return -1;
}

/* Lower-case copy of a server name without a last dot; -1 if too long. */
static int
fold_name(const char *in, char *out)
{
	size_t n = strlen(in), i;

	if (n > 0 && in[n - 1] == '.')
		n--;
	if (n == 0 || n > DNS_NAME_MAX)
		return -1;
	for (i = 0; i < n; i++)
		out[i] = (in[i] >= 'A' && in[i] <= 'Z') ?
		    (char)(in[i] - 'A' + 'a') : in[i];
	out[n] = '\0';
	return 0;
}

/*
 * Was `name` answered, in the window, with `a`? Follows the name's CNAME
 * chain (DNS_CHAIN hops). DNS_SEEN_MATCH when one of the live addresses
 * of a's family along the chain is a; DNS_SEEN_OTHER when the chain has
 * live addresses of that family but not a; DNS_UNSEEN when it has none
 * (never answered, only in the other family, or expired).
 */
enum dns_seen
dnscache_check(const struct dnscache *c, const char *name, uint8_t ipver,
    const uint8_t *a, int64_t now_us)
{
	char buf[DNS_NAME_MAX + 1];
	const struct dns_name *n;
	int hop, live = 0, hit;

	if (fold_name(name, buf) != 0)
		return DNS_UNSEEN;
	n = name_find(c, buf);
	for (hop = 0; n != NULL && hop <= DNS_CHAIN; hop++) {
		/* Only the flow's family: an AAAA answer says nothing of
		 * the IPv4 address the client may have had from an A answer
		 * the capture did not carry. */
		if (ipver == 4)
			hit = addr_has(n->v4.until_us, &n->v4.a[0][0], 4, a,
			    now_us, &live);
		else
			hit = addr_has(n->v6.until_us, &n->v6.a[0][0], 16, a,
			    now_us, &live);
		if (hit)
			return DNS_SEEN_MATCH;
		if (n->cname[0] == '\0' || n->cname_until_us <= now_us)
			break;
		n = name_find(c, n->cname);
	}
	return live ? DNS_SEEN_OTHER : DNS_UNSEEN;
}
