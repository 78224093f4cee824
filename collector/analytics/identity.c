/*
 * Identity: who is behind an event. The directory file (CSV, documented in
 * docs/directory.md) lists employees and service accounts with their
 * database users, addresses (IPs and CIDRs) and host names; DHCP lease
 * files (ISC dhcpd.leases, dnsmasq) map dynamic addresses to host names or
 * MAC addresses, which the directory maps to people. Resolution follows
 * the settled order: the application's `end_user` (from an account the
 * directory declares a service account only) wins over the database
 * user's owner, which wins over the client address's owner; when two of
 * them name different people the event is marked as a mismatch (a
 * colleague's account used from one's own desk), which rules can score.
 * Nothing that resolves becomes `unknown:<key>`.
 *
 * Parsing is strict per line and lenient per file: a bad line is logged
 * as file:line and skipped, the rest loads. Every parser takes (buf, len).
 */
#include <sys/stat.h>
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analytics.h"
#include "leakwatch/event.h"
#include "leakwatch/event-view.h"
#include "leakwatch/log.h"
#include "leakwatch/util.h"
#include "leakwatch/xmalloc.h"

#define DIR_MAX_BYTES	(64 << 20)	/* directory or lease file */
#define DIR_MAX_FIELDS	64
#define LEASES_PER_IP	8

struct cidr {
	int		 family;
	uint8_t		 addr[16];
	int		 bits;
	struct person	*p;
};

struct lease {
	int64_t		 starts, ends;	/* us; ends 0 = never */
	char		*key;		/* host name or MAC, lower case */
	char		*mac;
};

struct lease_ip {
	struct lease	 l[LEASES_PER_IP];
	int		 n;
};

struct lease_file {
	char		*path;
	struct stat	 st;
};

struct directory {
	struct person	**people;
	size_t		  npeople;
	struct hmap	 *by_id;	/* id and aliases -> person */
	struct hmap	 *by_dbuser;
	struct hmap	 *by_ip;	/* exact addresses, normalised */
	struct cidr	 *cidrs;
	size_t		  ncidrs;
	struct hmap	 *by_host;	/* host names and MACs, lower case */
	struct hmap	 *leases;	/* ip -> struct lease_ip */
	struct lease_file *lfiles;
	size_t		  nlfiles;
	size_t		  bad;		/* lines skipped */
	int64_t		  lease_check_ms;
};

struct directory *
directory_new(void)
{
	struct directory *d = xcalloc(1, sizeof(*d));

	d->by_id = hmap_new();
	d->by_dbuser = hmap_new();
	d->by_ip = hmap_new();
	d->by_host = hmap_new();
	d->leases = hmap_new();
	return d;
}

static void
lease_ip_free(void *v)
{
	struct lease_ip *li = v;
	int i;

	for (i = 0; i < li->n; i++) {
		free(li->l[i].key);
		free(li->l[i].mac);
	}
	free(li);
}

static void
person_free(struct person *p)
{
	free(p->id);
	free(p->name);
	free(p->department);
	free(p->role);
	free(p->manager);
	free(p->group);
	free(p);
}

void
directory_free(struct directory *d)
{
	size_t i;

	if (d == NULL)
		return;
	for (i = 0; i < d->npeople; i++)
		person_free(d->people[i]);
	free(d->people);
	hmap_free(d->by_id, NULL);
	hmap_free(d->by_dbuser, NULL);
	hmap_free(d->by_ip, NULL);
	hmap_free(d->by_host, NULL);
	hmap_free(d->leases, lease_ip_free);
	free(d->cidrs);
	for (i = 0; i < d->nlfiles; i++)
		free(d->lfiles[i].path);
	free(d->lfiles);
	free(d);
}

size_t
directory_bad(const struct directory *d)
{
	return d->bad;
}

size_t
directory_count(const struct directory *d)
{
	return d == NULL ? 0 : d->npeople;
}

/* The i-th person in file order, NULL past the end (readers' tables). */
const struct person *
directory_person(const struct directory *d, size_t i)
{
	return d == NULL || i >= d->npeople ? NULL : d->people[i];
}

const struct person *
directory_find(const struct directory *d, const char *id)
{
	return d == NULL ? NULL : hmap_get(d->by_id, id);
}

static void
lower(char *s)
{
	for (; *s != '\0'; s++)
		*s = (char)tolower((unsigned char)*s);
}

/*
 * Normalises an address so "10.0.1.7" and "::ffff:10.0.1.7"-style
 * spellings meet in one key. Returns the family, 0 if not an address.
 */
static int
addr_parse(const char *s, uint8_t out[16])
{
	char buf[64];
	size_t n = strlen(s);

	if (n >= sizeof(buf))
		return 0;
	memcpy(buf, s, n + 1);
	if (n > 2 && buf[0] == '[' && buf[n - 1] == ']') {
		memmove(buf, buf + 1, n - 2);
		buf[n - 2] = '\0';
	}
	memset(out, 0, 16);
	if (inet_pton(AF_INET, buf, out) == 1)
		return AF_INET;
	if (inet_pton(AF_INET6, buf, out) == 1) {
		static const uint8_t v4mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0,
		    0, 0, 0xff, 0xff };

		if (memcmp(out, v4mapped, 12) == 0) {
			memmove(out, out + 12, 4);
			memset(out + 4, 0, 12);
			return AF_INET;
		}
		return AF_INET6;
	}
	return 0;
}

static void
addr_key(int family, const uint8_t *a, char *out, size_t outlen)
{
	if (inet_ntop(family, a, out, (socklen_t)outlen) == NULL)
		snprintf(out, outlen, "?");
}

/* "YYYY-MM-DD" -> us at 00:00 UTC. */
static int
parse_date(const char *s, int64_t *out)
{
	char buf[40];

	if (strlen(s) != 10)
		return -1;
	snprintf(buf, sizeof(buf), "%sT00:00:00Z", s);
	return ts_parse(buf, out);
}

/*
 * Splits one CSV record of at most DIR_MAX_FIELDS fields. Quotes follow
 * RFC 4180 ("" inside quotes is a quote). Fields are copied into `store`
 * (as long as the line) NUL-terminated. -1 on an unterminated quote.
 */
static int
csv_split(const char *line, size_t len, char *store, char **fields,
    int *nfields)
{
	size_t i = 0;
	char *o = store;
	int n = 0, q;

	for (;;) {
		if (n == DIR_MAX_FIELDS)
			return -1;
		fields[n++] = o;
		q = 0;
		if (i < len && line[i] == '"') {
			q = 1;
			i++;
		}
		for (; i < len; i++) {
			if (q && line[i] == '"') {
				if (i + 1 < len && line[i + 1] == '"') {
					*o++ = '"';
					i++;
					continue;
				}
				q = 0;
				continue;
			}
			if (!q && line[i] == ',')
				break;
			*o++ = line[i];
		}
		if (q)
			return -1;
		*o++ = '\0';
		if (i >= len)
			break;
		i++;	/* the comma */
	}
	*nfields = n;
	return 0;
}

static char *
trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

enum dcol {
	C_EMPLOYEE, C_NAME, C_DEPARTMENT, C_ROLE, C_MANAGER, C_DB_USERS,
	C_IPS, C_HOSTNAMES, C_START, C_LEAVE, C_TYPE, C_ALIASES, C_NCOLS
};

static const char *const dcol_names[C_NCOLS] = {
	"employee", "name", "department", "role", "manager", "db_users",
	"ips", "hostnames", "start", "leave", "type", "aliases"
};

/*
 * Adds the `;`-separated addresses of one row. Every entry is checked
 * before any is added, so a bad line leaves no trace.
 */
static int
add_ips(struct directory *d, struct person *p, char *list, int commit,
    char *why, size_t whylen)
{
	char *e, *next, *slash, key[64];
	uint8_t a[16];
	long long bits;
	int fam;

	for (e = list; e != NULL; e = next) {
		if ((next = strchr(e, ';')) != NULL)
			*next++ = '\0';
		e = trim(e);
		if (*e == '\0')
			continue;
		bits = -1;
		if ((slash = strchr(e, '/')) != NULL) {
			*slash = '\0';
			if (parse_ll(slash + 1, 0, 128, &bits) != 0) {
				snprintf(why, whylen, "ips: bad prefix length");
				return -1;
			}
		}
		if ((fam = addr_parse(e, a)) == 0 || (fam == AF_INET &&
		    bits > 32)) {
			snprintf(why, whylen, "ips: bad address or CIDR");
			return -1;
		}
		if (slash != NULL)
			*slash = '/';
		if (!commit)
			continue;
		if (bits < 0 || bits == (fam == AF_INET ? 32 : 128)) {
			addr_key(fam, a, key, sizeof(key));
			if (hmap_get(d->by_ip, key) == NULL)
				hmap_put(d->by_ip, key, p);
		} else {
			d->cidrs = xreallocarray(d->cidrs, d->ncidrs + 1,
			    sizeof(*d->cidrs));
			d->cidrs[d->ncidrs].family = fam;
			memcpy(d->cidrs[d->ncidrs].addr, a, 16);
			d->cidrs[d->ncidrs].bits = (int)bits;
			d->cidrs[d->ncidrs].p = p;
			d->ncidrs++;
		}
	}
	return 0;
}

/* Adds each `;` entry of list to map -> p (lower-cased when fold). */
static void
add_list(struct hmap *m, struct person *p, const char *list, int fold)
{
	char *copy = xstrdup(list), *e, *next;

	for (e = copy; e != NULL; e = next) {
		if ((next = strchr(e, ';')) != NULL)
			*next++ = '\0';
		e = trim(e);
		if (*e == '\0')
			continue;
		if (fold)
			lower(e);
		if (hmap_get(m, e) == NULL)
			hmap_put(m, e, p);
		else if (hmap_get(m, e) != p)
			log_warnx("directory: \"%s\" belongs to two entries; "
			    "the first one keeps it", e);
	}
	free(copy);
}

static int
valid_id(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0 || n > 128 || strncmp(s, "unknown:", 8) == 0)
		return 0;
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x21 || s[i] == ',' || s[i] == '"')
			return 0;
	return 1;
}

/* One data row; -1 with why set when it is refused. */
static int
add_row(struct directory *d, char **f, int nf, const int *col, char *why,
    size_t whylen)
{
	const char *v[C_NCOLS];
	struct person *p;
	char *ips;
	int i, rc;

	for (i = 0; i < C_NCOLS; i++)
		v[i] = (col[i] >= 0 && col[i] < nf) ? trim(f[col[i]]) : "";
	if (!valid_id(v[C_EMPLOYEE])) {
		snprintf(why, whylen, "employee: missing or not a valid id");
		return -1;
	}
	if (hmap_get(d->by_id, v[C_EMPLOYEE]) != NULL) {
		snprintf(why, whylen, "employee \"%s\" listed twice",
		    v[C_EMPLOYEE]);
		return -1;
	}
	if (*v[C_TYPE] != '\0' && strcmp(v[C_TYPE], "employee") != 0 &&
	    strcmp(v[C_TYPE], "service") != 0) {
		snprintf(why, whylen, "type: expected employee or service");
		return -1;
	}
	p = xcalloc(1, sizeof(*p));
	if ((*v[C_START] != '\0' && parse_date(v[C_START],
	    &p->start_us) != 0) || (*v[C_LEAVE] != '\0' &&
	    parse_date(v[C_LEAVE], &p->leave_us) != 0)) {
		free(p);
		snprintf(why, whylen, "start/leave: expected YYYY-MM-DD");
		return -1;
	}
	ips = xstrdup(v[C_IPS]);
	rc = add_ips(d, p, ips, 0, why, whylen);
	free(ips);
	if (rc != 0) {
		free(p);
		return -1;
	}
	p->id = xstrdup(v[C_EMPLOYEE]);
	p->name = xstrdup(v[C_NAME]);
	p->department = xstrdup(v[C_DEPARTMENT]);
	p->role = xstrdup(v[C_ROLE]);
	p->manager = xstrdup(v[C_MANAGER]);
	p->service = strcmp(v[C_TYPE], "service") == 0 ||
	    strcasecmp(v[C_ROLE], "service") == 0;
	/* The peer group: service accounts form their own. */
	if (p->service)
		p->group = xstrdup("service");
	else if (*p->department != '\0')
		p->group = xstrdup(p->department);
	else if (*p->role != '\0')
		p->group = xstrdup(p->role);
	else
		p->group = xstrdup("none");
	ips = xstrdup(v[C_IPS]);
	add_ips(d, p, ips, 1, why, whylen);
	free(ips);
	hmap_put(d->by_id, p->id, p);
	add_list(d->by_id, p, v[C_ALIASES], 0);
	add_list(d->by_dbuser, p, v[C_DB_USERS], 0);
	add_list(d->by_host, p, v[C_HOSTNAMES], 1);
	d->people = xreallocarray(d->people, d->npeople + 1,
	    sizeof(*d->people));
	d->people[d->npeople++] = p;
	return 0;
}

/*
 * Loads a directory from memory. `name` is used in messages. Returns the
 * number of bad lines (each logged as name:line: why), or -1 if the
 * header is unusable (err set).
 */
int
directory_load_buf(struct directory *d, const char *name, const char *buf,
    size_t len, char *err, size_t errlen)
{
	size_t pos = 0, ll;
	const char *line, *nl;
	char *store, *f[DIR_MAX_FIELDS], why[256];
	int col[C_NCOLS], nf, i, j, lineno = 0, header = 0, bad = 0;

	for (i = 0; i < C_NCOLS; i++)
		col[i] = -1;
	while (pos < len) {
		line = buf + pos;
		nl = memchr(line, '\n', len - pos);
		ll = nl != NULL ? (size_t)(nl - line) : len - pos;
		pos += ll + (nl != NULL);
		lineno++;
		if (ll > 0 && line[ll - 1] == '\r')
			ll--;
		if (ll == 0 || line[0] == '#')
			continue;
		if (memchr(line, '\0', ll) != NULL) {
			log_warnx("%s:%d: NUL byte; line skipped", name,
			    lineno);
			bad++;
			continue;
		}
		store = xmalloc(ll + DIR_MAX_FIELDS + 1);
		if (csv_split(line, ll, store, f, &nf) != 0) {
			free(store);
			if (!header) {
				snprintf(err, errlen, "%s:%d: bad header line",
				    name, lineno);
				return -1;
			}
			log_warnx("%s:%d: unterminated quote or too many "
			    "fields; line skipped", name, lineno);
			bad++;
			continue;
		}
		if (!header) {
			for (j = 0; j < nf; j++)
				for (i = 0; i < C_NCOLS; i++)
					if (strcmp(trim(f[j]),
					    dcol_names[i]) == 0 && col[i] < 0)
						col[i] = j;
			free(store);
			if (col[C_EMPLOYEE] < 0) {
				snprintf(err, errlen, "%s:%d: header has no "
				    "\"employee\" column", name, lineno);
				return -1;
			}
			header = 1;
			continue;
		}
		if (add_row(d, f, nf, col, why, sizeof(why)) != 0) {
			log_warnx("%s:%d: %s; line skipped", name, lineno,
			    why);
			bad++;
		}
		free(store);
	}
	if (!header) {
		snprintf(err, errlen, "%s: no header line", name);
		return -1;
	}
	d->bad += (size_t)bad;
	return bad;
}

int
directory_load(struct directory *d, const char *path, char *err,
    size_t errlen)
{
	char *buf;
	size_t len;
	int rc;

	if ((buf = file_read_alloc(path, DIR_MAX_BYTES, &len, err,
	    errlen)) == NULL)
		return -1;
	rc = directory_load_buf(d, path, buf, len, err, errlen);
	free(buf);
	return rc;
}

/* ---- DHCP leases ---- */

static void
lease_add(struct directory *d, const char *ip, int64_t starts, int64_t ends,
    const char *host, const char *mac)
{
	struct lease_ip *li;
	struct lease *l;
	uint8_t a[16];
	char key[64], *k;
	int fam;

	if ((fam = addr_parse(ip, a)) == 0 || (host == NULL && mac == NULL))
		return;
	addr_key(fam, a, key, sizeof(key));
	if ((li = hmap_get(d->leases, key)) == NULL) {
		li = xcalloc(1, sizeof(*li));
		hmap_put(d->leases, key, li);
	}
	if (li->n == LEASES_PER_IP) {	/* keep the newest ones */
		free(li->l[0].key);
		free(li->l[0].mac);
		memmove(&li->l[0], &li->l[1], (LEASES_PER_IP - 1) *
		    sizeof(li->l[0]));
		li->n--;
	}
	l = &li->l[li->n++];
	l->starts = starts;
	l->ends = ends;
	k = xstrdup(host != NULL && *host != '\0' && strcmp(host, "*") != 0 ?
	    host : "");
	lower(k);
	l->key = k;
	l->mac = mac != NULL ? xstrdup(mac) : NULL;
	if (l->mac != NULL)
		lower(l->mac);
}

/* A token of dhcpd.leases: word, quoted string, or one of { } ;. */
static size_t
isc_token(const char *b, size_t len, size_t *pos, char *out, size_t outlen)
{
	size_t n = 0;

	for (;;) {
		while (*pos < len && isspace((unsigned char)b[*pos]))
			(*pos)++;
		if (*pos < len && b[*pos] == '#') {
			while (*pos < len && b[*pos] != '\n')
				(*pos)++;
			continue;
		}
		break;
	}
	if (*pos >= len)
		return 0;
	if (strchr("{};", b[*pos]) != NULL) {
		out[0] = b[(*pos)++];
		out[1] = '\0';
		return 1;
	}
	if (b[*pos] == '"') {
		(*pos)++;
		while (*pos < len && b[*pos] != '"') {
			if (b[*pos] == '\\' && *pos + 1 < len)
				(*pos)++;
			if (n + 1 < outlen)
				out[n++] = b[*pos];
			(*pos)++;
		}
		if (*pos < len)
			(*pos)++;
		out[n] = '\0';
		return n + 1;	/* an empty string is still a token */
	}
	while (*pos < len && !isspace((unsigned char)b[*pos]) &&
	    strchr("{};\"", b[*pos]) == NULL) {
		if (n + 1 < outlen)
			out[n++] = b[*pos];
		(*pos)++;
	}
	out[n] = '\0';
	return n;
}

/* "2026/11/19" "08:00:00" (UTC, as dhcpd writes them). */
static int
isc_time(const char *date, const char *tim, int64_t *out)
{
	char buf[24];
	size_t i;

	if (strlen(date) != 10 || strlen(tim) != 8)
		return -1;
	memcpy(buf, date, 10);
	buf[10] = 'T';
	memcpy(buf + 11, tim, 8);
	buf[19] = 'Z';
	buf[20] = '\0';
	for (i = 0; i < 10; i++)
		if (buf[i] == '/')
			buf[i] = '-';
	return ts_parse(buf, out);
}

/* Copies a NUL-terminated string, cutting it to fit. */
static void
copy(char *dst, size_t dstlen, const char *src)
{
	size_t n = strlen(src);

	if (n >= dstlen)
		n = dstlen - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

/*
 * Reads one statement of a lease block into words (at most 6 kept): up to
 * ";" (returns 1), "}" (returns 2, the block ended) or the end (0).
 */
static int
isc_stmt(const char *b, size_t len, size_t *pos, char w[6][256], int *nw)
{
	char tok[256];
	size_t n;

	*nw = 0;
	while ((n = isc_token(b, len, pos, tok, sizeof(tok))) > 0) {
		if (strcmp(tok, ";") == 0)
			return 1;
		if (strcmp(tok, "}") == 0)
			return 2;
		if (*nw < 6)
			memcpy(w[(*nw)++], tok, strlen(tok) + 1);
	}
	return 0;
}

/*
 * ISC dhcpd.leases: `lease IP { starts W DATE TIME; ends W DATE TIME |
 * never; binding state S; hardware ethernet MAC; client-hostname "h"; }`.
 * Later entries for an address are newer (dhcpd appends). Leases whose
 * binding state is not active (free, abandoned, expired, released) are
 * ignored. Other top-level statements and blocks are skipped.
 */
static int
leases_isc(struct directory *d, const char *b, size_t len)
{
	size_t pos = 0;
	char tok[256], ip[64], host[256], mac[64], w[6][256];
	int64_t starts, ends, t;
	int depth, active, n = 0, nw, rc;

	while (isc_token(b, len, &pos, tok, sizeof(tok)) > 0) {
		if (strcmp(tok, "lease") != 0) {
			depth = strcmp(tok, "{") == 0;
			while (isc_token(b, len, &pos, tok, sizeof(tok)) > 0) {
				if (strcmp(tok, "{") == 0)
					depth++;
				else if (strcmp(tok, "}") == 0) {
					if (--depth <= 0)
						break;
				} else if (strcmp(tok, ";") == 0 && depth == 0)
					break;
			}
			continue;
		}
		if (isc_token(b, len, &pos, ip, sizeof(ip)) == 0 ||
		    isc_token(b, len, &pos, tok, sizeof(tok)) == 0 ||
		    strcmp(tok, "{") != 0)
			break;
		starts = ends = 0;
		active = 1;
		host[0] = mac[0] = '\0';
		do {
			rc = isc_stmt(b, len, &pos, w, &nw);
			if (nw == 0)
				continue;
			if (nw >= 4 && (strcmp(w[0], "starts") == 0 ||
			    strcmp(w[0], "ends") == 0) &&
			    isc_time(w[2], w[3], &t) == 0) {
				if (w[0][0] == 's')
					starts = t;
				else
					ends = t;
			} else if (nw >= 3 && strcmp(w[0], "binding") == 0)
				active = strcmp(w[2], "active") == 0 ||
				    strcmp(w[2], "backup") == 0;
			else if (nw >= 3 && strcmp(w[0], "hardware") == 0)
				copy(mac, sizeof(mac), w[2]);
			else if (nw >= 2 && strcmp(w[0], "client-hostname") == 0)
				copy(host, sizeof(host), w[1]);
		} while (rc == 1);
		if (active) {
			lease_add(d, ip, starts, ends, host[0] ? host : NULL,
			    mac[0] ? mac : NULL);
			n++;
		}
		if (rc == 0)
			break;
	}
	return n;
}

/* dnsmasq: "EXPIRY MAC IP HOSTNAME CLIENTID" per line; "duid" lines skipped. */
static int
leases_dnsmasq(struct directory *d, const char *b, size_t len)
{
	size_t pos = 0, ll, i;
	const char *line, *nl;
	char buf[512], *w[5];
	long long exp;
	int nw, n = 0, in;

	while (pos < len) {
		line = b + pos;
		nl = memchr(line, '\n', len - pos);
		ll = nl != NULL ? (size_t)(nl - line) : len - pos;
		pos += ll + (nl != NULL);
		if (ll == 0 || ll >= sizeof(buf))
			continue;
		memcpy(buf, line, ll);
		buf[ll] = '\0';
		for (i = 0, nw = 0, in = 0; i < ll && nw < 5; i++) {
			if (isspace((unsigned char)buf[i])) {
				buf[i] = '\0';
				in = 0;
			} else if (!in) {
				w[nw++] = buf + i;
				in = 1;
			}
		}
		for (; i < ll; i++)
			if (isspace((unsigned char)buf[i]))
				buf[i] = '\0';
		if (nw < 4 || strcmp(w[0], "duid") == 0)
			continue;
		if (parse_ll(w[0], 0, TS_LAST_SEC, &exp) != 0)
			continue;
		lease_add(d, w[2], 0, exp * 1000000LL, w[3], w[1]);
		n++;
	}
	return n;
}

/* Parses a lease file's contents, guessing the format. */
int
directory_leases_buf(struct directory *d, const char *buf, size_t len)
{
	const char *p = buf, *end = buf + len;

	/* the first word after blanks and comments */
	while (p < end) {
		if (isspace((unsigned char)*p))
			p++;
		else if (*p == '#') {
			while (p < end && *p != '\n')
				p++;
		} else
			break;
	}
	if ((size_t)(end - p) >= 6 && (memcmp(p, "lease ", 6) == 0 ||
	    memcmp(p, "author", 6) == 0 || memcmp(p, "server", 6) == 0))
		return leases_isc(d, buf, len);
	return leases_dnsmasq(d, buf, len);
}

static void
leases_reload(struct directory *d)
{
	char err[256], *buf;
	size_t i, len;

	hmap_free(d->leases, lease_ip_free);
	d->leases = hmap_new();
	for (i = 0; i < d->nlfiles; i++) {
		if (stat(d->lfiles[i].path, &d->lfiles[i].st) != 0)
			memset(&d->lfiles[i].st, 0, sizeof(d->lfiles[i].st));
		if ((buf = file_read_alloc(d->lfiles[i].path, DIR_MAX_BYTES,
		    &len, err, sizeof(err))) == NULL) {
			log_warnx("leases: %s", err);
			continue;
		}
		log_debug("leases: %s: %d leases", d->lfiles[i].path,
		    directory_leases_buf(d, buf, len));
		free(buf);
	}
}

/* Watches a lease file: read now and again whenever it changes. */
int
directory_add_leases(struct directory *d, const char *path, char *err,
    size_t errlen)
{
	struct stat st;

	if (stat(path, &st) != 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	d->lfiles = xreallocarray(d->lfiles, d->nlfiles + 1,
	    sizeof(*d->lfiles));
	d->lfiles[d->nlfiles].path = xstrdup(path);
	d->nlfiles++;
	leases_reload(d);
	return 0;
}

/*
 * Re-reads the lease files if any changed (inode, size or mtime). Called
 * on the event path, so it looks at most once a second.
 */
void
directory_refresh(struct directory *d)
{
	struct stat st;
	int64_t now = mono_ms();
	size_t i;

	if (d == NULL || d->nlfiles == 0 || now - d->lease_check_ms < 1000)
		return;
	d->lease_check_ms = now;
	for (i = 0; i < d->nlfiles; i++) {
		if (stat(d->lfiles[i].path, &st) != 0)
			memset(&st, 0, sizeof(st));
		if (st.st_ino != d->lfiles[i].st.st_ino ||
		    st.st_size != d->lfiles[i].st.st_size ||
		    st.st_mtim.tv_sec != d->lfiles[i].st.st_mtim.tv_sec ||
		    st.st_mtim.tv_nsec != d->lfiles[i].st.st_mtim.tv_nsec) {
			log_info("leases: %s changed, re-reading",
			    d->lfiles[i].path);
			leases_reload(d);
			return;
		}
	}
}

static const struct person *
host_owner(const struct directory *d, const char *host)
{
	const struct person *p;
	char buf[256], *dot;

	if (host == NULL || *host == '\0')
		return NULL;
	if ((p = hmap_get(d->by_host, host)) != NULL)
		return p;
	snprintf(buf, sizeof(buf), "%s", host);
	if ((dot = strchr(buf, '.')) != NULL) {
		*dot = '\0';
		return hmap_get(d->by_host, buf);
	}
	return NULL;
}

/* Who holds address ip (no port) at time ts: static entries first. */
const struct person *
directory_ip_owner(const struct directory *d, const char *ip, int64_t ts)
{
	const struct person *p;
	struct lease_ip *li;
	uint8_t a[16];
	char key[64];
	size_t i;
	int fam, j, bits;

	if (d == NULL || (fam = addr_parse(ip, a)) == 0)
		return NULL;
	addr_key(fam, a, key, sizeof(key));
	if ((p = hmap_get(d->by_ip, key)) != NULL)
		return p;
	if ((li = hmap_get(d->leases, key)) != NULL) {
		for (j = li->n - 1; j >= 0; j--) {
			const struct lease *l = &li->l[j];

			if (ts < l->starts || (l->ends != 0 && ts > l->ends))
				continue;
			if ((p = host_owner(d, l->key)) != NULL ||
			    (p = host_owner(d, l->mac)) != NULL)
				return p;
		}
	}
	for (i = 0; i < d->ncidrs; i++) {
		const struct cidr *c = &d->cidrs[i];

		if (c->family != fam)
			continue;
		for (bits = c->bits, j = 0; bits >= 8; bits -= 8, j++)
			if (a[j] != c->addr[j])
				break;
		if (bits >= 8)
			continue;
		if (bits > 0 && ((a[j] ^ c->addr[j]) &
		    (0xff << (8 - bits)) & 0xff) != 0)
			continue;
		return c->p;
	}
	return NULL;
}

static const char *
jstr(const struct lw_event *ev, const char *k)
{
	return lw_event_str(ev, k);
}

/*
 * May this event's end_user name the person? Only an application's own
 * account - one the directory declares a service account - tags queries
 * on behalf of its users; any database user can write a sqlcommenter
 * comment, so a tag on a personal or unknown account would let anyone
 * put their reads on a colleague. Nor from a person's own machine: an
 * application account used from someone's desk speaks for that someone.
 */
static int
end_user_trusted(const struct identity *id)
{
	if (id->by_end_user == NULL || id->by_db_user == NULL ||
	    !id->by_db_user->service)
		return 0;
	return id->by_ip == NULL || id->by_ip->service ||
	    id->by_ip == id->by_db_user;
}

/*
 * Resolves an event. db.query/db.session: end_user (trusted, above) >
 * db_user's owner > client address's owner. net.flow: the owner of src.
 * A mismatch is two different people (service accounts aside) among
 * the three; an untrusted end_user naming someone other than who the
 * event goes to is a claim, kept for rules (end_user_claim) and never
 * followed.
 */
void
identity_resolve(const struct directory *d, const struct lw_event *ev,
    struct identity *id)
{
	const char *eu = NULL, *du = NULL, *addr = NULL, *key;
	char host[64], port[16];
	const struct person *c[3];
	int i, j;

	memset(id, 0, sizeof(*id));
	switch (ev->type) {
	case EVENT_DB_QUERY:
	case EVENT_DB_SESSION:
		eu = jstr(ev, "end_user");
		du = jstr(ev, "db_user");
		if ((addr = jstr(ev, "client")) != NULL &&
		    hostport_split(addr, host, sizeof(host), port,
		    sizeof(port)) == 0)
			addr = host;
		break;
	case EVENT_NET_FLOW:
		addr = jstr(ev, "src");
		break;
	default:
		break;
	}
	if (eu != NULL && *eu != '\0')
		id->by_end_user = directory_find(d, eu);
	if (du != NULL && *du != '\0' && d != NULL)
		id->by_db_user = hmap_get(d->by_dbuser, du);
	if (addr != NULL && *addr != '\0')
		id->by_ip = directory_ip_owner(d, addr, ev->ts_us);
	id->end_user_trusted = end_user_trusted(id);
	c[0] = id->end_user_trusted ? id->by_end_user : NULL;
	c[1] = id->by_db_user;
	c[2] = id->by_ip;
	for (i = 0; i < 3; i++)
		if (c[i] != NULL && !c[i]->service)
			for (j = i + 1; j < 3; j++)
				if (c[j] != NULL && !c[j]->service &&
				    c[j] != c[i])
					id->mismatch = 1;
	for (i = 0; i < 3 && c[i] == NULL; i++)
		;
	if (i < 3) {
		id->person = c[i];
		id->via = i == 0 ? "end_user" : i == 1 ? "db_user" : "ip";
		snprintf(id->employee, sizeof(id->employee), "%s",
		    c[i]->id);
	}
	if (eu != NULL && *eu != '\0' && !id->end_user_trusted &&
	    (id->by_end_user == NULL || id->by_end_user != id->person))
		id->end_user_claim = 1;
	if (i < 3)
		return;
	id->via = "unknown";
	/* An unknown is keyed by what vouches for it: never a bare tag. */
	key = (du != NULL && *du != '\0') ? du :
	    (addr != NULL && *addr != '\0') ? addr : "none";
	snprintf(id->employee, sizeof(id->employee), "unknown:%s", key);
}
