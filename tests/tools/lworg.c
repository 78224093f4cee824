/*
 * lworg: the second simulated organisation (docs/simulator.md, "The
 * second organisation"). A retail bank whose work arrives in queues -
 * contact-centre contacts, branch walk-ins, back-office items, fraud
 * alerts - shared among the people on shift by their handling rate, in
 * the organisation's own time zone, with insider scenarios injected and
 * labelled with lwsim's names so lwscore scores them unchanged. It is
 * the check on rules made with lwsim: written from the specification,
 * not from lwsim's code, and nothing is tuned on it.
 *
 *   lworg --seed N --out DIR [--employees N] [--days N] [--start DATE]
 *         [--scenarios LIST|all|none] [--validate]
 *
 * It writes DIR/events.jsonl (valid leakwatch events in time order),
 * directory.csv, labels.jsonl, lookalikes.jsonl, meta.json and
 * sensitive.args (also printed on stdout), and a summary on stderr.
 *
 * Every draw comes from a PCG32 stream keyed by (seed, purpose, who,
 * day), so one seed gives the same bytes every time and a scenario
 * changes nothing but its own person's events. Days are generated one
 * at a time into a pool that is sorted and written up to the next day's
 * first possible event: every activity of local day d starts at or after
 * d's midnight, so nothing later can sort before what is written. The
 * background is generated a first time counting only, to measure each
 * person's normal for the slow theft's size.
 *
 * It is not a model of any real bank, and not tuned to make leakwatch
 * look good or bad: its numbers are the specification's.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "leakwatch/event.h"
#include "leakwatch/util.h"

#define MIN_US		60000000LL
#define DAY_MIN		1440
#define ACC_DAYS	28		/* days measured for "normal" */
#define NHOURS		32		/* hours of a shift day */
#define MAX_EMP		200000
#define MB		1048576.0

static void die(const char *, ...) __attribute__((format(printf, 1, 2),
    noreturn));

static void
die(const char *fmt, ...)
{
	va_list ap;

	fputs("lworg: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}

static void *
xcalloc_or_die(size_t n, size_t sz)
{
	void *p;

	if ((p = calloc(n ? n : 1, sz ? sz : 1)) == NULL)
		die("out of memory");
	return p;
}

static void *
xrealloc_or_die(void *p, size_t n, size_t sz)
{
	if (sz != 0 && n > SIZE_MAX / sz)
		die("out of memory");
	if ((p = realloc(p, n * sz)) == NULL)
		die("out of memory");
	return p;
}

/* ---------------------------------------------------------------------
 * Random streams: PCG32 (O'Neill's XSH-RR 64/32), each stream seeded by
 * a hash of what it is for, so no draw depends on the order in which
 * unrelated things were drawn.
 */

struct rng {
	uint64_t	 state, inc;
};

/* MurmurHash3's 64-bit finaliser: a bijection that mixes every bit. */
static uint64_t
mix64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x;
}

static uint64_t
key4(uint64_t seed, int purpose, int64_t who, int64_t day)
{
	uint64_t k;

	k = mix64(seed ^ 0x6c776f7267000000ULL);
	k = mix64(k ^ ((uint64_t)(uint32_t)purpose * 0x9e3779b97f4a7c15ULL));
	k = mix64(k ^ ((uint64_t)who * 0xbf58476d1ce4e5b9ULL));
	return mix64(k ^ ((uint64_t)day * 0x94d049bb133111ebULL));
}

static uint32_t
rng_u32(struct rng *r)
{
	uint64_t old = r->state;
	uint32_t xs, rot;

	r->state = old * 6364136223846793005ULL + r->inc;
	xs = (uint32_t)(((old >> 18) ^ old) >> 27);
	rot = (uint32_t)(old >> 59);
	return (xs >> rot) | (xs << ((32 - rot) & 31));
}

static void
rng_init(struct rng *r, uint64_t seed, int purpose, int64_t who, int64_t day)
{
	uint64_t k = key4(seed, purpose, who, day);

	r->state = 0;
	r->inc = (mix64(k ^ 0xda3e39cb94b95bdbULL) << 1) | 1;
	(void)rng_u32(r);
	r->state += k;
	(void)rng_u32(r);
}

/* Uniform in [0, 1), 53 bits. */
static double
unif(struct rng *r)
{
	uint64_t a = rng_u32(r) >> 5, b = rng_u32(r) >> 6;

	return ((double)a * 67108864.0 + (double)b) / 9007199254740992.0;
}

static double
range(struct rng *r, double lo, double hi)
{
	return lo + (hi - lo) * unif(r);
}

/* Uniform integer in [lo, hi]. */
static int
irange(struct rng *r, int lo, int hi)
{
	if (hi <= lo)
		return lo;
	return lo + (int)(unif(r) * (double)(hi - lo + 1));
}

static int
chance(struct rng *r, double p)
{
	return unif(r) < p;
}

static double
normal(struct rng *r)
{
	double u = 1.0 - unif(r), v = unif(r);

	return sqrt(-2.0 * log(u)) * cos(6.283185307179586 * v);
}

/* Log-normal with median m. */
static double
lognorm(struct rng *r, double m, double sigma)
{
	return m * exp(sigma * normal(r));
}

static double
logunif(struct rng *r, double lo, double hi)
{
	return exp(range(r, log(lo), log(hi)));
}

static int
poisson(struct rng *r, double mean)
{
	double l, p;
	int k;

	if (mean <= 0.0)
		return 0;
	if (mean > 30.0) {
		p = floor(mean + sqrt(mean) * normal(r) + 0.5);
		return p < 0 ? 0 : (int)p;
	}
	l = exp(-mean);
	p = unif(r);
	for (k = 0; p > l; k++)
		p *= unif(r);
	return k;
}

/* What a stream is for: part of every stream's key. */
enum {
	R_ORG = 1, R_DEPT, R_TEAM, R_PERSON, R_NAME, R_SHIFT, R_ABSENT,
	R_WORK, R_NET, R_GROUPDAY, R_SERVICE, R_LOOK, R_SCEN, R_SCENDAY,
	R_MAIL, R_LEAVER, R_ONCALL, R_PULL, R_INCIDENT, R_AUDIT
};

/* ---------------------------------------------------------------------
 * Calendar: days since 1970-01-01 (UTC) and local days of the
 * organisation. Local minute m of local day d is UTC
 * ((day0 + d) * 1440 + m - offset) minutes.
 */

static void
civil(int64_t z, int *y, int *m, int *d)
{
	int64_t era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)(yoe + era * 400 + (*m <= 2));
}

static void
date_str(int64_t z, char *buf, size_t len)
{
	int y, m, d;

	civil(z, &y, &m, &d);
	snprintf(buf, len, "%04d-%02d-%02d", y, m, d);
}

static int
date_parse(const char *s, int64_t *z)
{
	int y, m, d, i;

	/* Exactly YYYY-MM-DD: digits where digits go, nothing after. */
	for (i = 0; i < 10; i++)
		if ((i == 4 || i == 7) ? s[i] != '-' :
		    !isdigit((unsigned char)s[i]))
			return -1;
	if (s[10] != '\0')
		return -1;
	y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 +
	    (s[3] - '0');
	m = (s[5] - '0') * 10 + (s[6] - '0');
	d = (s[8] - '0') * 10 + (s[9] - '0');
	if (y < 1971 || y > 9000 || m < 1 || m > 12 || d < 1 || d > 31)
		return -1;
	*z = days_from_civil(y, m, d);
	return 0;
}

/* 0 = Monday ... 6 = Sunday; 1970-01-01 was a Thursday. */
static int
weekday(int64_t z)
{
	return (int)(((z % 7) + 7 + 3) % 7);
}

/* ---------------------------------------------------------------------
 * A growing text buffer and the JSON pieces events are made of.
 */

struct buf {
	char	*p;
	size_t	 len, cap;
};

static void
b_need(struct buf *b, size_t n)
{
	if (b->len + n <= b->cap)
		return;
	while (b->len + n > b->cap)
		b->cap = b->cap ? b->cap * 2 : 1 << 20;
	b->p = xrealloc_or_die(b->p, b->cap, 1);
}

static void
b_put(struct buf *b, const char *s, size_t n)
{
	b_need(b, n);
	memcpy(b->p + b->len, s, n);
	b->len += n;
}

static void
b_str(struct buf *b, const char *s)
{
	b_put(b, s, strlen(s));
}

static void
b_fmt(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2,
    3)));

static void
b_fmt(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	b_need(b, 256);
	va_start(ap, fmt);
	n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	if (n < 0)
		die("format error");
	if ((size_t)n >= b->cap - b->len) {
		b_need(b, (size_t)n + 1);
		va_start(ap, fmt);
		(void)vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
		va_end(ap);
	}
	b->len += (size_t)n;
}

/* A JSON string: quotes, and escapes for ", \ and control bytes. */
static void
b_jstr(struct buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *u;

	b_need(b, strlen(s) * 6 + 2);
	b->p[b->len++] = '"';
	for (u = (const unsigned char *)s; *u != '\0'; u++) {
		if (*u == '"' || *u == '\\') {
			b->p[b->len++] = '\\';
			b->p[b->len++] = (char)*u;
		} else if (*u < 0x20) {
			memcpy(b->p + b->len, "\\u00", 4);
			b->len += 4;
			b->p[b->len++] = hex[*u >> 4];
			b->p[b->len++] = hex[*u & 15];
		} else
			b->p[b->len++] = (char)*u;
	}
	b->p[b->len++] = '"';
}

/* `,"key":` */
static void
b_key(struct buf *b, const char *k)
{
	b_need(b, strlen(k) + 4);
	b->p[b->len++] = ',';
	b->p[b->len++] = '"';
	memcpy(b->p + b->len, k, strlen(k));
	b->len += strlen(k);
	b->p[b->len++] = '"';
	b->p[b->len++] = ':';
}

static void
b_u64(struct buf *b, uint64_t v)
{
	char tmp[24];
	int n = 0;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	b_need(b, (size_t)n);
	while (n > 0)
		b->p[b->len++] = tmp[--n];
}

static void
put2(char *p, int v)
{
	p[0] = (char)('0' + v / 10);
	p[1] = (char)('0' + v % 10);
}

/* A quoted RFC 3339 UTC timestamp with microseconds. */
static void
b_ts(struct buf *b, int64_t us)
{
	int64_t sec, z, s;
	int y, m, d, frac, i;
	char *p;

	sec = us >= 0 ? us / 1000000 : -((-us + 999999) / 1000000);
	frac = (int)(us - sec * 1000000);
	z = sec >= 0 ? sec / 86400 : -((-sec + 86399) / 86400);
	s = sec - z * 86400;
	civil(z, &y, &m, &d);
	b_need(b, 30);
	p = b->p + b->len;
	p[0] = '"';
	put2(p + 1, y / 100);
	put2(p + 3, y % 100);
	p[5] = '-';
	put2(p + 6, m);
	p[8] = '-';
	put2(p + 9, d);
	p[11] = 'T';
	put2(p + 12, (int)(s / 3600));
	p[14] = ':';
	put2(p + 15, (int)(s / 60 % 60));
	p[17] = ':';
	put2(p + 18, (int)(s % 60));
	p[20] = '.';
	for (i = 26; i >= 21; i--) {
		p[i] = (char)('0' + frac % 10);
		frac /= 10;
	}
	p[27] = 'Z';
	p[28] = '"';
	b->len += 29;
}

static void
hex16(uint64_t v, char out[17])
{
	static const char hex[] = "0123456789abcdef";
	int i;

	for (i = 15; i >= 0; i--) {
		out[i] = hex[v & 15];
		v >>= 4;
	}
	out[16] = '\0';
}

/* ---------------------------------------------------------------------
 * The organisation's fixed parts: departments, the statements its
 * applications and people run, and the services its desktops reach.
 */

enum {
	D_CC, D_VENDOR, D_BRANCH, D_BO, D_CARDOPS, D_FRAUD, D_DWH, D_IT,
	D_RISK, D_FINANCE, D_HR, D_MARKETING, NDEPT
};

/* How a person reaches customer data. */
enum { CH_NONE, CH_CONTACT, CH_BRANCH, CH_PERSONAL };

struct dept_def {
	const char	*name;
	double		 share, presence;
	int		 team_min, team_max, min_size;
	const char	*role, *lead_role;
	int		 channel;
	int		 locked;	/* desktop locked down: no uploads */
	const char	*tool;		/* personal-account client */
	int		 pg, my;	/* personal sessions on PG / MySQL */
};

static const struct dept_def depts[NDEPT] = {
	{ "Contact Centre", 0.30, 1.0, 10, 18, 8, "agent", "team_lead",
	    CH_CONTACT, 1, NULL, 0, 0 },
	{ "Vendor Contact Centre", 0.10, 0.6, 12, 20, 6, "contractor",
	    "vendor_supervisor", CH_CONTACT, 1, NULL, 0, 0 },
	{ "Branches", 0.15, 0.8, 4, 14, 4, "teller", "branch_manager",
	    CH_BRANCH, 1, NULL, 0, 0 },
	{ "Back Office", 0.12, 1.0, 6, 12, 4, "case_officer", "team_lead",
	    CH_PERSONAL, 0, "bo-workbench", 1, 0 },
	{ "Card Operations", 0.06, 1.0, 5, 10, 3, "dispute_officer",
	    "team_lead", CH_PERSONAL, 0, "cardops", 1, 1 },
	{ "Fraud", 0.03, 1.0, 1, 1, 4, "fraud_analyst", "crew_lead",
	    CH_PERSONAL, 0, "fraud-console", 1, 0 },
	{ "Data Warehouse", 0.04, 1.0, 4, 8, 2, "data_analyst", "lead",
	    CH_PERSONAL, 0, "jupyter", 0, 1 },
	{ "IT", 0.12, 1.0, 5, 10, 4, "engineer", "engineering_manager",
	    CH_PERSONAL, 0, "psql", 1, 1 },
	{ "Risk and Audit", 0.03, 1.0, 3, 6, 2, "risk_analyst", "head",
	    CH_PERSONAL, 0, "DBeaver 23.3.1", 1, 0 },
	{ "Finance", 0.03, 1.0, 4, 8, 2, "accountant", "controller",
	    CH_PERSONAL, 0, "excel-odbc", 0, 1 },
	{ "HR", 0.015, 1.0, 3, 6, 1, "hr_officer", "hr_manager",
	    CH_PERSONAL, 0, "hr-portal", 0, 1 },
	{ "Marketing", 0.025, 1.0, 4, 8, 1, "marketer", "marketing_lead",
	    CH_PERSONAL, 0, "metabase", 0, 1 },
};

enum { DB_PG, DB_MY };

/* How a statement's rows count (docs/events.md, "Rows"). */
enum { HOW_RET, HOW_AFFREAD, HOW_WRITE, HOW_NONE };

struct stmt_def {
	const char	*command;
	const char	*text;
	const char	*tables[3];
	int		 db;
	const char	*database;	/* MySQL default schema */
	int		 how;
	int		 bpr;		/* bytes per returned row */
};

enum {
	ST_CUST_PHONE, ST_CUST_SEARCH, ST_CUST_BYID, ST_ACCOUNTS,
	ST_TXN_RECENT, ST_TXN_POST, ST_ADDR, ST_ADDR_UPD, ST_CARDS,
	ST_CARD_UPD, ST_PAN, ST_CARD_BIN, ST_KYC_CUST, ST_KYC_DOCS,
	ST_KYC_QUEUE, ST_LOAN, ST_LOAN_UPD, ST_DISPUTE, ST_STMTS, ST_CASE_INS,
	ST_FRAUD_TXN, ST_FRAUD_INV, ST_DWH_AGG, ST_DWH_AGG2, ST_DWH_PULL,
	ST_DBA_ACT, ST_DBA_LOCKS, ST_DBA_COUNT, ST_MY_PROC, ST_RISK_AGG,
	ST_AUDIT_SAMPLE, ST_AUDIT_KYC, ST_REG_EXTRACT, ST_HR, ST_HR_ONE,
	ST_INVOICES, ST_STMT_RUN, ST_SEGMENTS, ST_EOD, ST_ETL_TXN,
	ST_ETL_CUST, ST_BK_CUST, ST_BK_ACC, ST_BK_ADDR, ST_BK_KYC, ST_BK_PAN,
	ST_INCIDENT_ACC, ST_INCIDENT_CARDS, ST_INCIDENT_KYC, ST_DUMP_PAGE,
	ST_DUMP_COPY, ST_CARD_DUMP, ST_DWH_DUMP, ST_BORROW_KYC,
	ST_BORROW_PAN, ST_BORROW_DWH, ST_BORROW_CUST, NST
};

static const struct stmt_def stmts[NST] = {
	[ST_CUST_PHONE] = { "SELECT", "SELECT c.id, c.full_name, c.phone, "
	    "c.email, c.segment FROM core.customers c WHERE c.phone = ?",
	    { "core.customers" }, DB_PG, NULL, HOW_RET, 180 },
	[ST_CUST_SEARCH] = { "SELECT", "SELECT c.id, c.full_name, c.phone, "
	    "c.birth_date FROM core.customers c WHERE c.full_name ILIKE ? "
	    "ORDER BY c.full_name LIMIT ?", { "core.customers" }, DB_PG, NULL,
	    HOW_RET, 150 },
	[ST_CUST_BYID] = { "SELECT", "SELECT * FROM core.customers WHERE "
	    "id = ?", { "core.customers" }, DB_PG, NULL, HOW_RET, 420 },
	[ST_ACCOUNTS] = { "SELECT", "SELECT a.id, a.product, a.currency, "
	    "a.balance, a.status FROM core.accounts a WHERE a.customer_id = ?",
	    { "core.accounts" }, DB_PG, NULL, HOW_RET, 90 },
	[ST_TXN_RECENT] = { "SELECT", "SELECT t.id, t.posted_at, t.amount, "
	    "t.merchant, t.channel FROM core.transactions t WHERE "
	    "t.account_id = ? AND t.posted_at > ? ORDER BY t.posted_at DESC "
	    "LIMIT ?", { "core.transactions" }, DB_PG, NULL, HOW_RET, 110 },
	[ST_TXN_POST] = { "INSERT", "INSERT INTO core.transactions "
	    "(account_id, amount, channel, teller, posted_at) VALUES "
	    "(?, ?, ?, ?, ?)", { "core.transactions" }, DB_PG, NULL,
	    HOW_WRITE, 0 },
	[ST_ADDR] = { "SELECT", "SELECT * FROM core.addresses WHERE "
	    "customer_id = ?", { "core.addresses" }, DB_PG, NULL, HOW_RET,
	    200 },
	[ST_ADDR_UPD] = { "UPDATE", "UPDATE core.addresses SET line1 = ?, "
	    "city = ?, postcode = ?, updated_at = ? WHERE id = ?",
	    { "core.addresses" }, DB_PG, NULL, HOW_WRITE, 0 },
	[ST_CARDS] = { "SELECT", "SELECT k.id, k.product, k.status, k.expiry "
	    "FROM cards.cards k WHERE k.customer_id = ?", { "cards.cards" },
	    DB_PG, NULL, HOW_RET, 80 },
	[ST_CARD_UPD] = { "UPDATE", "UPDATE cards.cards SET status = ?, "
	    "updated_at = ? WHERE id = ?", { "cards.cards" }, DB_PG, NULL,
	    HOW_WRITE, 0 },
	[ST_PAN] = { "SELECT", "SELECT p.token, p.bin, p.last4 FROM "
	    "cards.pan_tokens p WHERE p.card_id = ?", { "cards.pan_tokens" },
	    DB_PG, NULL, HOW_RET, 60 },
	[ST_CARD_BIN] = { "SELECT", "SELECT k.id, p.token, p.last4, "
	    "k.customer_id FROM cards.cards k JOIN cards.pan_tokens p ON "
	    "p.card_id = k.id WHERE p.bin = ? ORDER BY k.id LIMIT ?",
	    { "cards.cards", "cards.pan_tokens" }, DB_PG, NULL, HOW_RET, 90 },
	[ST_KYC_CUST] = { "SELECT", "SELECT k.customer_id, k.id_type, "
	    "k.id_number, k.risk_rating FROM kyc.customers k WHERE "
	    "k.id_number = ?", { "kyc.customers" }, DB_PG, NULL, HOW_RET,
	    160 },
	[ST_KYC_DOCS] = { "SELECT", "SELECT d.id, d.kind, d.status, "
	    "d.uploaded_at, d.checksum FROM kyc.documents d WHERE "
	    "d.customer_id = ?", { "kyc.documents" }, DB_PG, NULL, HOW_RET,
	    140 },
	[ST_KYC_QUEUE] = { "SELECT", "SELECT k.customer_id, k.id_type, "
	    "k.id_number, k.risk_rating, k.review_due FROM kyc.customers k "
	    "WHERE k.branch_id = ? AND k.review_due < ? ORDER BY k.review_due "
	    "LIMIT ?", { "kyc.customers" }, DB_PG, NULL, HOW_RET, 170 },
	[ST_LOAN] = { "SELECT", "SELECT * FROM loans.applications WHERE "
	    "id = ?", { "loans.applications" }, DB_PG, NULL, HOW_RET, 600 },
	[ST_LOAN_UPD] = { "UPDATE", "UPDATE loans.applications SET stage = ?, "
	    "officer = ?, updated_at = ? WHERE id = ?",
	    { "loans.applications" }, DB_PG, NULL, HOW_WRITE, 0 },
	[ST_DISPUTE] = { "SELECT", "SELECT * FROM cards.disputes WHERE "
	    "id = ?", { "cards.disputes" }, DB_PG, NULL, HOW_RET, 300 },
	[ST_STMTS] = { "SELECT", "SELECT period, opening_balance, "
	    "closing_balance, due_date FROM billing.statements WHERE "
	    "account_id = ? ORDER BY period DESC LIMIT ?",
	    { "billing.statements" }, DB_MY, "billing", HOW_RET, 80 },
	[ST_CASE_INS] = { "INSERT", "INSERT INTO tickets.cases (customer_id, "
	    "reason, channel, agent, opened_at) VALUES (?, ?, ?, ?, ?)",
	    { "tickets.cases" }, DB_MY, "tickets", HOW_WRITE, 0 },
	[ST_FRAUD_TXN] = { "SELECT", "SELECT t.id, t.posted_at, t.amount, "
	    "t.merchant, t.mcc, t.country, t.device_id FROM core.transactions "
	    "t WHERE t.account_id = ? AND t.posted_at BETWEEN ? AND ? ORDER BY "
	    "t.posted_at", { "core.transactions" }, DB_PG, NULL, HOW_RET,
	    140 },
	[ST_FRAUD_INV] = { "SELECT", "SELECT t.account_id, t.id, t.posted_at, "
	    "t.amount, t.merchant, t.mcc, t.country FROM core.transactions t "
	    "WHERE t.merchant = ? AND t.posted_at > ?", { "core.transactions" },
	    DB_PG, NULL, HOW_RET, 130 },
	[ST_DWH_AGG] = { "SELECT", "SELECT segment, product, COUNT(*), "
	    "SUM(balance) FROM dwh.agg_daily WHERE snapshot_date = ? GROUP BY "
	    "segment, product", { "dwh.agg_daily" }, DB_MY, "dwh", HOW_RET,
	    60 },
	[ST_DWH_AGG2] = { "SELECT", "SELECT branch_id, channel, COUNT(*) FROM "
	    "dwh.agg_channel WHERE month = ? GROUP BY branch_id, channel",
	    { "dwh.agg_channel" }, DB_MY, "dwh", HOW_RET, 40 },
	[ST_DWH_PULL] = { "SELECT", "SELECT customer_id, full_name, segment, "
	    "balance_total, products, last_contact FROM dwh.customer_360 WHERE "
	    "segment = ? AND balance_total > ?", { "dwh.customer_360" }, DB_MY,
	    "dwh", HOW_RET, 220 },
	[ST_DBA_ACT] = { "SELECT", "SELECT pid, usename, state, query_start "
	    "FROM pg_catalog.pg_stat_activity",
	    { "pg_catalog.pg_stat_activity" }, DB_PG, NULL, HOW_RET, 120 },
	[ST_DBA_LOCKS] = { "SELECT", "SELECT * FROM pg_catalog.pg_locks WHERE "
	    "NOT granted", { "pg_catalog.pg_locks" }, DB_PG, NULL, HOW_RET,
	    100 },
	[ST_DBA_COUNT] = { "SELECT", "SELECT COUNT(*) FROM core.accounts",
	    { "core.accounts" }, DB_PG, NULL, HOW_RET, 20 },
	[ST_MY_PROC] = { "SHOW", "SHOW FULL PROCESSLIST", { NULL }, DB_MY,
	    "billing", HOW_NONE, 150 },
	[ST_RISK_AGG] = { "SELECT", "SELECT a.product, a.status, COUNT(*), "
	    "SUM(a.balance) FROM core.accounts a GROUP BY a.product, a.status",
	    { "core.accounts" }, DB_PG, NULL, HOW_RET, 60 },
	[ST_AUDIT_SAMPLE] = { "SELECT", "SELECT a.id, a.customer_id, "
	    "a.product, a.opened_at, a.status, a.balance FROM core.accounts a "
	    "WHERE a.opened_at BETWEEN ? AND ? ORDER BY random() LIMIT ?",
	    { "core.accounts" }, DB_PG, NULL, HOW_RET, 110 },
	[ST_AUDIT_KYC] = { "SELECT", "SELECT k.customer_id, k.id_type, "
	    "k.risk_rating, k.reviewed_at FROM kyc.customers k WHERE "
	    "k.reviewed_at BETWEEN ? AND ? LIMIT ?", { "kyc.customers" },
	    DB_PG, NULL, HOW_RET, 90 },
	[ST_REG_EXTRACT] = { "COPY", "COPY (SELECT a.id, a.customer_id, "
	    "a.product, a.balance, a.status FROM core.accounts a WHERE "
	    "a.opened_at < ?) TO STDOUT", { "core.accounts" }, DB_PG, NULL,
	    HOW_RET, 70 },
	[ST_HR] = { "SELECT", "SELECT s.id, s.full_name, s.department, "
	    "s.grade, s.start_date FROM hr.staff s WHERE s.department = ?",
	    { "hr.staff" }, DB_MY, "hr", HOW_RET, 120 },
	[ST_HR_ONE] = { "SELECT", "SELECT * FROM hr.staff WHERE id = ?",
	    { "hr.staff" }, DB_MY, "hr", HOW_RET, 400 },
	[ST_INVOICES] = { "SELECT", "SELECT id, vendor, amount, due_date, "
	    "status FROM billing.invoices WHERE status = ? AND due_date < ?",
	    { "billing.invoices" }, DB_MY, "billing", HOW_RET, 90 },
	[ST_STMT_RUN] = { "SELECT", "SELECT s.account_id, s.period, "
	    "s.closing_balance, s.fees, s.interest FROM billing.statements s "
	    "WHERE s.period = ?", { "billing.statements" }, DB_MY, "billing",
	    HOW_RET, 70 },
	[ST_SEGMENTS] = { "SELECT", "SELECT segment, COUNT(*) FROM "
	    "dwh.customer_360 GROUP BY segment", { "dwh.customer_360" }, DB_MY,
	    "dwh", HOW_RET, 30 },
	[ST_EOD] = { "INSERT", "INSERT INTO core.balances_eod SELECT a.id, "
	    "a.balance, ? FROM core.accounts a", { "core.balances_eod",
	    "core.accounts" }, DB_PG, NULL, HOW_AFFREAD, 0 },
	[ST_ETL_TXN] = { "SELECT", "SELECT t.* FROM core.transactions t WHERE "
	    "t.posted_at >= ? AND t.posted_at < ?", { "core.transactions" },
	    DB_PG, NULL, HOW_RET, 160 },
	[ST_ETL_CUST] = { "SELECT", "SELECT c.* FROM core.customers c WHERE "
	    "c.updated_at >= ?", { "core.customers" }, DB_PG, NULL, HOW_RET,
	    420 },
	[ST_BK_CUST] = { "COPY", "COPY core.customers TO STDOUT",
	    { "core.customers" }, DB_PG, NULL, HOW_RET, 380 },
	[ST_BK_ACC] = { "COPY", "COPY core.accounts TO STDOUT",
	    { "core.accounts" }, DB_PG, NULL, HOW_RET, 90 },
	[ST_BK_ADDR] = { "COPY", "COPY core.addresses TO STDOUT",
	    { "core.addresses" }, DB_PG, NULL, HOW_RET, 180 },
	[ST_BK_KYC] = { "COPY", "COPY kyc.customers TO STDOUT",
	    { "kyc.customers" }, DB_PG, NULL, HOW_RET, 150 },
	[ST_BK_PAN] = { "COPY", "COPY cards.pan_tokens TO STDOUT",
	    { "cards.pan_tokens" }, DB_PG, NULL, HOW_RET, 60 },
	[ST_INCIDENT_ACC] = { "SELECT", "SELECT a.id, a.customer_id, "
	    "a.status, a.balance, a.updated_at FROM core.accounts a WHERE "
	    "a.updated_at BETWEEN ? AND ? AND a.status = ?",
	    { "core.accounts" }, DB_PG, NULL, HOW_RET, 100 },
	[ST_INCIDENT_CARDS] = { "SELECT", "SELECT k.id, k.customer_id, "
	    "k.status, k.updated_at FROM cards.cards k WHERE k.updated_at > ? "
	    "AND k.status = ?", { "cards.cards" }, DB_PG, NULL, HOW_RET, 80 },
	[ST_INCIDENT_KYC] = { "SELECT", "SELECT k.customer_id, k.risk_rating, "
	    "k.review_due FROM kyc.customers k WHERE k.review_due BETWEEN ? "
	    "AND ?", { "kyc.customers" }, DB_PG, NULL, HOW_RET, 70 },
	[ST_DUMP_PAGE] = { "SELECT", "SELECT c.id, c.full_name, c.phone, "
	    "c.email, c.birth_date, k.id_number FROM core.customers c JOIN "
	    "kyc.customers k ON k.customer_id = c.id ORDER BY c.id LIMIT ? "
	    "OFFSET ?", { "core.customers", "kyc.customers" }, DB_PG, NULL,
	    HOW_RET, 230 },
	[ST_DUMP_COPY] = { "COPY", "COPY (SELECT c.id, c.full_name, c.phone, "
	    "c.email, c.birth_date, k.id_number FROM core.customers c JOIN "
	    "kyc.customers k ON k.customer_id = c.id) TO STDOUT",
	    { "core.customers", "kyc.customers" }, DB_PG, NULL, HOW_RET, 200 },
	[ST_CARD_DUMP] = { "SELECT", "SELECT k.id, p.token, p.bin, p.last4, "
	    "k.expiry, c.full_name FROM cards.cards k JOIN cards.pan_tokens p "
	    "ON p.card_id = k.id JOIN core.customers c ON c.id = k.customer_id "
	    "ORDER BY k.id LIMIT ? OFFSET ?", { "cards.cards",
	    "cards.pan_tokens", "core.customers" }, DB_PG, NULL, HOW_RET, 120 },
	[ST_DWH_DUMP] = { "SELECT", "SELECT * FROM dwh.customer_360 ORDER BY "
	    "customer_id LIMIT ? OFFSET ?", { "dwh.customer_360" }, DB_MY,
	    "dwh", HOW_RET, 260 },
	[ST_BORROW_KYC] = { "SELECT", "SELECT * FROM kyc.customers WHERE "
	    "customer_id > ? ORDER BY customer_id LIMIT ?", { "kyc.customers" },
	    DB_PG, NULL, HOW_RET, 240 },
	[ST_BORROW_PAN] = { "SELECT", "SELECT * FROM cards.pan_tokens WHERE "
	    "card_id > ? ORDER BY card_id LIMIT ?", { "cards.pan_tokens" },
	    DB_PG, NULL, HOW_RET, 70 },
	[ST_BORROW_DWH] = { "SELECT", "SELECT * FROM dwh.customer_360 WHERE "
	    "customer_id > ? ORDER BY customer_id LIMIT ?",
	    { "dwh.customer_360" }, DB_MY, "dwh", HOW_RET, 260 },
	[ST_BORROW_CUST] = { "SELECT", "SELECT * FROM core.customers WHERE "
	    "id > ? ORDER BY id LIMIT ?", { "core.customers" }, DB_PG, NULL,
	    HOW_RET, 420 },
};

/* The sensitivity marks; `schema.*` is a prefix, anything else exact. */
static const char *const marks[][2] = {
	{ "core.customers", "customer_pii" },
	{ "core.addresses", "customer_pii" },
	{ "core.accounts", "account" },
	{ "core.transactions", "account" },
	{ "kyc.*", "kyc" },
	{ "cards.cards", "card_data" },
	{ "cards.pan_tokens", "card_data" },
	{ "billing.statements", "account" },
	{ "dwh.customer_360", "customer_pii" },
	{ "hr.*", "employee_pii" },
};
#define NMARKS	(sizeof(marks) / sizeof(marks[0]))

static int
table_sensitive(const char *t)
{
	size_t i, n;

	for (i = 0; i < NMARKS; i++) {
		n = strlen(marks[i][0]);
		if (n >= 2 && strcmp(marks[i][0] + n - 2, ".*") == 0) {
			if (strncmp(t, marks[i][0], n - 1) == 0)
				return 1;
		} else if (strcmp(t, marks[i][0]) == 0)
			return 1;
	}
	return 0;
}

/* Internet services; `category` is what rules/categories.map gives. */
struct svc_def {
	const char	*app, *category, *ndpi, *server, *dst;
	int		 dport;
};

enum {
	N_GOOGLE, N_MICROSOFT, N_NEWS, N_HTTP, N_TEAMS, N_SHAREPOINT,
	N_GMAIL, N_OUTLOOKCOM, N_YAHOO, N_PROTON, N_DROPBOX, N_MEGA,
	N_GDRIVE, N_PCLOUD, N_GITHUB, N_DEBIAN, N_S3, N_WETRANSFER,
	N_UNKNOWN, N_SMTP1, N_SMTP2, N_SMTP3, NSVC
};

static const struct svc_def svcs[NSVC] = {
	[N_GOOGLE] = { "TLS.Google", "other", "Web", "www.google.com",
	    "142.250.4.100", 443 },
	[N_MICROSOFT] = { "TLS.Microsoft", "other", "Cloud",
	    "www.microsoft.com", "23.45.130.10", 443 },
	[N_NEWS] = { "TLS.Wikipedia", "other", "Web", "en.wikipedia.org",
	    "103.102.166.224", 443 },
	[N_HTTP] = { "HTTP", "other", "Web", "www.bmkg.go.id",
	    "202.90.198.40", 80 },
	[N_TEAMS] = { "TLS.Teams", "messaging", "Collaborative",
	    "teams.microsoft.com", "52.113.194.132", 443 },
	[N_SHAREPOINT] = { "TLS.Microsoft365", "cloud_storage",
	    "Collaborative", "bankco.sharepoint.com", "13.107.136.9", 443 },
	[N_GMAIL] = { "TLS.GMail", "webmail", "Email", "mail.google.com",
	    "142.250.4.17", 443 },
	[N_OUTLOOKCOM] = { "TLS.Hotmail", "webmail", "Email",
	    "outlook.live.com", "40.97.153.146", 443 },
	[N_YAHOO] = { "TLS.YahooMail", "webmail", "Email", "mail.yahoo.com",
	    "87.248.119.251", 443 },
	[N_PROTON] = { "TLS", "webmail", "Unspecified", "mail.proton.me",
	    "185.70.42.37", 443 },
	[N_DROPBOX] = { "TLS.Dropbox", "cloud_storage", "Cloud",
	    "content.dropboxapi.com", "162.125.2.14", 443 },
	[N_MEGA] = { "TLS", "cloud_storage", "Unspecified",
	    "gfs270n132.userstorage.mega.co.nz", "66.203.125.13", 443 },
	[N_GDRIVE] = { "TLS.GoogleDrive", "cloud_storage", "Cloud",
	    "www.googleapis.com", "142.250.4.95", 443 },
	[N_PCLOUD] = { "TLS", "cloud_storage", "Unspecified",
	    "p-def2.pcloud.com", "74.120.8.13", 443 },
	[N_GITHUB] = { "TLS.Github", "other", "Collaborative", "github.com",
	    "20.205.243.166", 443 },
	[N_DEBIAN] = { "HTTP", "other", "SoftwareUpdate", "deb.debian.org",
	    "151.101.2.132", 80 },
	[N_S3] = { "TLS.AmazonAWS", "cloud_storage", "Cloud",
	    "bankco-artifacts.s3.ap-southeast-1.amazonaws.com",
	    "52.219.132.30", 443 },
	[N_WETRANSFER] = { "TLS", "cloud_storage", "Unspecified",
	    "storm-ap-southeast-1.wetransfer.com", "52.84.150.66", 443 },
	[N_UNKNOWN] = { "TLS", "unknown_encrypted", "Unspecified", NULL,
	    "203.0.113.77", 443 },
	[N_SMTP1] = { "SMTPS", "webmail", "Email", "aspmx.l.google.com",
	    "142.250.4.26", 465 },
	[N_SMTP2] = { "SMTPS", "webmail", "Email",
	    "bankco-partner.mail.protection.outlook.com", "52.101.68.3", 465 },
	[N_SMTP3] = { "SMTPS", "webmail", "Email", "mx1.mail.yahoo.com",
	    "98.136.96.74", 465 },
};

#define PG_SERVER	"10.10.1.20:5432"
#define MY_SERVER	"10.10.2.30:3306"
#define PG_AGENT	"pg-core"
#define MY_AGENT	"my-ops"
#define GW_AGENT	"edge-gw"

/* Service accounts, after the people in the directory. */
enum { SV_CONTACT, SV_BRANCH, SV_EOD, SV_DWHLOAD, SV_BACKUP, SV_MAIL, NSV };

static const struct {
	const char	*id, *name, *db_user, *ips, *host;
} services[NSV] = {
	[SV_CONTACT] = { "app_contact", "Contact desk application",
	    "app_contact", "10.40.0.11;10.40.0.12;10.40.0.13;10.40.0.14",
	    "app-cc01" },
	[SV_BRANCH] = { "app_branch", "Teller application", "app_branch",
	    "10.40.1.11;10.40.1.12", "app-br01" },
	[SV_EOD] = { "svc_eod", "End-of-day batch", "svc_eod", "10.40.9.5",
	    "batch01" },
	[SV_DWHLOAD] = { "svc_dwh_load", "Warehouse load", "svc_dwh_load",
	    "10.40.9.6", "etl01" },
	[SV_BACKUP] = { "svc_backup", "Database backup", "svc_backup",
	    "10.40.9.7", "backup01" },
	[SV_MAIL] = { "svc_mailrelay", "Outbound mail relay", "",
	    "10.0.6.25", "mailrelay01" },
};

static const char *const given[] = {
	"Ayu", "Budi", "Citra", "Dewi", "Eko", "Fitri", "Gilang", "Hana",
	"Indra", "Joko", "Kartika", "Lestari", "Made", "Nur", "Oki", "Putri",
	"Rizky", "Sari", "Teguh", "Utami", "Wahyu", "Yusuf", "Zainal",
	"Aisyah", "Bayu", "Dimas", "Farah", "Hendra", "Intan", "Kevin",
	"Mei", "Nadia", "Rina", "Siti", "Tono", "Wulan", "Arif", "Bambang",
	"Desi", "Fajar", "Ahmad", "Nurul", "Hafiz", "Siew", "Wei", "Priya",
	"Arjun", "Kumar", "Li", "Hiroshi", "Yuki", "Kenji", "Aiko", "Takeshi",
	"Ming", "Rahul", "Anita", "Lakshmi", "Chandra", "Ratna",
};

static const char *const family[] = {
	"Saputra", "Wijaya", "Santoso", "Pratama", "Hidayat", "Kusuma",
	"Setiawan", "Nugroho", "Lestari", "Halim", "Gunawan", "Susanto",
	"Siregar", "Nasution", "Harahap", "Simanjuntak", "Tan", "Lim",
	"Wong", "Abdullah", "Rahman", "Ismail", "Ibrahim", "Hassan", "Yusof",
	"Othman", "Ng", "Chong", "Lee", "Goh", "Nair", "Pillai", "Menon",
	"Sharma", "Iyer", "Tanaka", "Sato", "Suzuki", "Watanabe", "Ito",
	"Yamamoto", "Nakamura", "Kobayashi", "Hartono", "Sembiring",
	"Purnomo", "Syahputra", "Permana", "Ramadhan", "Hakim",
};
#define NGIVEN	(int)(sizeof(given) / sizeof(given[0]))
#define NFAMILY	(int)(sizeof(family) / sizeof(family[0]))

/* ---------------------------------------------------------------------
 * The organisation as drawn for one seed.
 */

/* Shift patterns. */
enum {
	SCH_ROTATE, SCH_EARLY, SCH_LATE, SCH_NIGHT, SCH_PART, SCH_VENDOR,
	SCH_BRANCH, SCH_FRAUD, SCH_OFFICE, SCH_FLEX
};

/* Sub-roles where a department holds different jobs. */
enum { SUB_NONE, SUB_DEV, SUB_SUPPORT, SUB_DBA, SUB_OPS, SUB_AUDITOR };

struct person {
	char		 id[12], name[56], login[32], alias[80], host[24],
			 ip[20];
	int		 dept, team, sub, lead, manager;
	int		 sched, phase;	/* pattern; rotation phase */
	int		 habit;		/* usual start (minutes) */
	double		 rate, thorough;
	int		 first, last;	/* employed: [first, last] */
	int64_t		 start_date;	/* in the directory */
	int		 joiner, leaver;
	int		 vac_from, vac_to;	/* leave: [from, to) */
	int		 webmail, s3, oncall_period, oncall_phase;
	double		 pull_p;	/* warehouse odd-hour pulls */
	int		 pull_kind;	/* evening, early, weekend */
	int		 personal_files;	/* leaver: personal upload */
	int		 scen;		/* scenario index, or -1 */
	int		 qgroup;	/* queue shared with, or -1 */
};

struct team {
	int		 dept, first, n;
	int		 off0;		/* first day off of the week */
	int		 saturday;	/* branch open on Saturdays */
};

/* A queue shared by the people on shift, by rate. */
struct qgroup {
	int		 dept;
	double		 rost[NHOURS], pres[NHOURS];	/* by hour */
	double		 drost, dpres;			/* by day */
};

/* One person's shift on one local day, minutes from its midnight. */
struct shift {
	int		 on, present;
	int		 start, end;	/* end may pass midnight */
	int		 brk, brk_len;
	double		 w;		/* effective handling rate */
};

struct surge {
	int		 from, to;	/* [from, to) */
	double		 factor;
};

struct incident {
	int		 day, team, st;
};

enum { SC_A, SC_A_RAMP, SC_B, SC_C, SC_E, NSCEN };

static const struct {
	const char	*name, *type;
} scen_names[NSCEN] = {
	[SC_A] = { "a", "slow_theft" },
	[SC_A_RAMP] = { "a_ramp", "slow_theft_ramp" },
	[SC_B] = { "b", "smash_and_grab" },
	[SC_C] = { "c", "leaver_upload" },
	[SC_E] = { "e", "borrowed_account" },
};

struct scen {
	int		 on, kind, who, owner;
	int		 start, end;	/* drawn first and last day */
	/* a, a_ramp */
	double		 k_own, k_peer, normal, peer_med, extra, growth,
			 p_act;
	int		 st, shape;
	/* b */
	int		 svc, hour;
	double		 rows, bpr, comp;
	/* c */
	int		 leave, window, plan[64], nplan;
	double		 p_up;
	/* e */
	int		 nsess, sess[6];
	double		 per_sess;
	/* realised, inside the data */
	uint64_t	 r_rows, r_queries, r_bytes, r_flows;
	int		 r_first, r_last;
};

struct org {
	uint64_t	 seed;
	int		 n, np, days;	/* people; people + services */
	int64_t		 day0;		/* first day, since 1970 */
	int		 off_min;	/* minutes east of UTC */
	double		 sigma;
	double		 customers;	/* customers on day 0 */
	struct person	*p;
	struct team	*t;
	int		 nt;
	struct qgroup	*g;
	int		 ng;
	int		 size[NDEPT], present[NDEPT];
	int		 hol[3], nhol;
	struct surge	 surge[3];
	int		 nsurge;
	struct incident	 inc[3];
	int		 ninc;
	int		 audit_from, audit_len, naudit, auditors[4];
	int		 reg_day, reg_who;
	double		 reg_rows;
	char		 fp[NST][17];
	unsigned char	 sens[NST];
	struct scen	 sc[NSCEN];
	struct shift	*sh;		/* today's, per person */
	struct buf	 look;		/* lookalikes.jsonl */
};

/* ---------------------------------------------------------------------
 * Output: the day pool, sorted and flushed; or, on the counting pass,
 * nothing but each person's sensitive rows per day.
 */

struct rec {
	int64_t		 ts;
	uint64_t	 seq;
	size_t		 off;
	uint32_t	 len;
	uint8_t		 type;
};

enum { EV_QUERY, EV_SESSION, EV_FLOW };

struct out {
	int		 counting, validate;
	FILE		*f;
	struct rec	*rec;
	size_t		 nrec, caprec;
	struct buf	 text, spare;
	uint64_t	 seq;
	int64_t		 t0, t_end;	/* UTC span of the data */
	uint64_t	 n[3], bytes, invalid;
	float		*acc;		/* person x ACC_DAYS rows */
	const struct org *g;
};

/* UTC microseconds of local minute m of local day d. */
static int64_t
utc_us(const struct org *g, int d, double m)
{
	return ((g->day0 + d) * DAY_MIN - g->off_min) * MIN_US +
	    (int64_t)(m * (double)MIN_US);
}

/* The local day of a UTC time. */
static int
local_day(const struct org *g, int64_t us)
{
	int64_t m = us / MIN_US + g->off_min - g->day0 * DAY_MIN;

	if (us < 0 && us % MIN_US != 0)
		m--;
	return (int)(m >= 0 ? m / DAY_MIN : -((-m + DAY_MIN - 1) / DAY_MIN));
}

/* Starts an event's text; out_end() files it. */
static size_t
out_begin(struct out *o)
{
	return o->text.len;
}

static void
out_end(struct out *o, size_t off, int64_t ts, int type)
{
	struct lw_event *ev;
	char err[256];

	if (o->validate) {
		if ((ev = lw_event_parse(o->text.p + off, o->text.len - off,
		    err, sizeof(err))) == NULL) {
			if (o->invalid++ < 5)
				fprintf(stderr, "lworg: invalid event: %s: "
				    "%.*s\n", err, (int)(o->text.len - off),
				    o->text.p + off);
		}
		lw_event_free(ev);
	}
	if (o->nrec == o->caprec) {
		o->caprec = o->caprec ? o->caprec * 2 : 65536;
		o->rec = xrealloc_or_die(o->rec, o->caprec, sizeof(*o->rec));
	}
	o->rec[o->nrec].ts = ts;
	o->rec[o->nrec].seq = o->seq++;
	o->rec[o->nrec].off = off;
	o->rec[o->nrec].len = (uint32_t)(o->text.len - off);
	o->rec[o->nrec].type = (uint8_t)type;
	o->nrec++;
}

static int
rec_cmp(const void *x, const void *y)
{
	const struct rec *a = x, *b = y;

	if (a->ts != b->ts)
		return a->ts < b->ts ? -1 : 1;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

/*
 * Writes, in time order, every pooled event before `limit` that lies in
 * the data's span, drops those before it, and keeps the rest (moved to a
 * fresh text buffer) for the next flush.
 */
static void
out_flush(struct out *o, int64_t limit)
{
	struct buf keep;
	size_t i, k = 0;
	struct rec *r;

	if (o->nrec > 1)
		qsort(o->rec, o->nrec, sizeof(*o->rec), rec_cmp);
	keep = o->spare;
	keep.len = 0;
	for (i = 0; i < o->nrec; i++) {
		r = &o->rec[i];
		if (r->ts >= limit) {
			b_put(&keep, o->text.p + r->off, r->len);
			o->rec[k] = *r;
			o->rec[k++].off = keep.len - r->len;
			continue;
		}
		if (r->ts < o->t0 || r->ts >= o->t_end)
			continue;
		if (fwrite(o->text.p + r->off, 1, r->len, o->f) != r->len ||
		    putc('\n', o->f) == EOF)
			die("write: %s", strerror(errno));
		o->n[r->type]++;
		o->bytes += r->len + 1;
	}
	o->nrec = k;
	o->spare = o->text;
	o->text = keep;
}

/* ---------------------------------------------------------------------
 * Events. Every builder draws the same random numbers whether it writes
 * or only counts, so the two passes see the same background.
 */

/* Who a database statement comes from, as the wire shows it. */
struct conn {
	const char	*db_user, *app_name, *end_user;
	char		 client[32], session[24];
	int		 who;		/* person counted, or -1 */
};

/* A person's own session on db (personal account, their desktop). */
static void
conn_personal(const struct org *g, int who, int d, int db,
    const char *db_user, const char *app, const char *ip, struct conn *c)
{
	uint64_t k = key4(g->seed, R_SCENDAY + 100 + db, who, d);

	memset(c, 0, sizeof(*c));
	c->db_user = db_user;
	c->app_name = app;
	c->who = who;
	snprintf(c->client, sizeof(c->client), "%s:%u", ip,
	    (unsigned)(32768 + k % 28000));
	if (db == DB_PG)
		snprintf(c->session, sizeof(c->session), "%08x.%04x",
		    (unsigned)(k >> 32), (unsigned)(k >> 8) & 0xffff);
	else
		snprintf(c->session, sizeof(c->session), "%u",
		    (unsigned)(k >> 40) + 1000);
}

/* One of the application's pooled connections; slot drawn by r. */
static void
conn_app(const struct org *g, int who, int d, int db, struct rng *r,
    struct conn *c)
{
	const struct person *p = &g->p[who];
	int branch = p->dept == D_BRANCH, server, slot;
	uint64_t k;

	server = irange(r, 0, branch ? 1 : 3);
	slot = irange(r, 0, 39);
	k = key4(g->seed, R_SERVICE + 50 + db, server * 64 + slot + branch *
	    4096, d);
	memset(c, 0, sizeof(*c));
	c->db_user = branch ? "app_branch" : "app_contact";
	c->app_name = branch ? "teller-web" : "contact-desk";
	c->end_user = p->alias;
	c->who = who;
	snprintf(c->client, sizeof(c->client), "10.40.%d.%d:%d", branch,
	    11 + server, 45000 + slot + db * 100);
	if (db == DB_PG)
		snprintf(c->session, sizeof(c->session), "%08x.%04x",
		    (unsigned)(k >> 32), (unsigned)(k >> 8) & 0xffff);
	else
		snprintf(c->session, sizeof(c->session), "%u",
		    (unsigned)(k >> 40) + 1000);
}

/* The person's usual way to db: the application or their account. */
static void
conn_own(const struct org *g, int who, int d, int db, struct rng *r,
    struct conn *c)
{
	const struct person *p = &g->p[who];

	if (depts[p->dept].channel != CH_PERSONAL) {
		conn_app(g, who, d, db, r, c);
		return;
	}
	conn_personal(g, who, d, db, p->login, db == DB_MY &&
	    p->dept == D_IT ? "mysql" : depts[p->dept].tool, p->ip, c);
}

static void
q_emit(struct out *o, const struct org *g, const struct conn *c, int st,
    int64_t ts, double rows, int err, struct rng *r)
{
	const struct stmt_def *s = &stmts[st];
	uint64_t n, ret = 0, aff = 0, bytes, dur;
	uint32_t jit = rng_u32(r);
	size_t off;
	int d, i;

	n = rows < 0.5 || err ? 0 : (uint64_t)(rows + 0.5);
	if (o->counting) {
		if (c->who >= 0 && g->sens[st] && (s->how == HOW_RET ||
		    s->how == HOW_AFFREAD) && (d = local_day(g, ts)) >= 0 &&
		    d < ACC_DAYS)
			o->acc[(size_t)c->who * ACC_DAYS + (size_t)d] +=
			    (float)n;
		return;
	}
	if (s->how == HOW_RET || s->how == HOW_NONE)
		ret = n;
	else
		aff = n;
	bytes = ret * (uint64_t)s->bpr + 40 + (jit & 63);
	dur = 150 + (jit >> 8) % 900 + (ret + aff) * (uint64_t)(4 +
	    s->bpr / 40) + (s->how == HOW_WRITE ? 800 : 0);
	off = out_begin(o);
	b_str(&o->text, "{\"type\":\"db.query\",\"ts\":");
	b_ts(&o->text, ts);
	b_key(&o->text, "db_system");
	b_str(&o->text, s->db == DB_PG ? "\"postgresql\"" : "\"mysql\"");
	b_key(&o->text, "server");
	b_str(&o->text, s->db == DB_PG ? "\"" PG_SERVER "\"" :
	    "\"" MY_SERVER "\"");
	b_key(&o->text, "client");
	b_jstr(&o->text, c->client);
	b_key(&o->text, "session_id");
	b_jstr(&o->text, c->session);
	b_key(&o->text, "db_user");
	b_jstr(&o->text, c->db_user);
	b_key(&o->text, "database");
	b_jstr(&o->text, s->db == DB_PG ? "corebank" : s->database);
	b_key(&o->text, "app_name");
	b_jstr(&o->text, c->app_name);
	if (c->end_user != NULL) {
		b_key(&o->text, "end_user");
		b_jstr(&o->text, c->end_user);
	}
	b_key(&o->text, "command");
	b_jstr(&o->text, s->command);
	b_key(&o->text, "statement");
	b_jstr(&o->text, s->text);
	b_key(&o->text, "fingerprint");
	b_jstr(&o->text, g->fp[st]);
	if (s->tables[0] != NULL) {
		b_key(&o->text, "tables");
		b_put(&o->text, "[", 1);
		for (i = 0; i < 3 && s->tables[i] != NULL; i++) {
			if (i > 0)
				b_put(&o->text, ",", 1);
			b_jstr(&o->text, s->tables[i]);
		}
		b_put(&o->text, "]", 1);
	}
	b_key(&o->text, "rows_returned");
	b_u64(&o->text, ret);
	b_key(&o->text, "rows_affected");
	b_u64(&o->text, aff);
	b_key(&o->text, "bytes");
	b_u64(&o->text, err ? 0 : bytes);
	b_key(&o->text, "duration_us");
	b_u64(&o->text, dur);
	if (err) {
		b_str(&o->text, ",\"status\":\"error\",\"error_code\":");
		b_str(&o->text, s->db == DB_PG ? (jit & 1 ? "\"57014\"" :
		    "\"42501\"") : (jit & 1 ? "\"1064\"" : "\"1146\""));
	} else
		b_str(&o->text, ",\"status\":\"ok\"");
	b_str(&o->text, ",\"source\":\"wire\",\"agent\":");
	b_str(&o->text, s->db == DB_PG ? "\"" PG_AGENT "\"}" :
	    "\"" MY_AGENT "\"}");
	out_end(o, off, ts, EV_QUERY);
}

/* A db.session connect or (with its duration) disconnect. */
static void
s_emit(struct out *o, const struct conn *c, int db, const char *database,
    int64_t ts, int64_t dur_us)
{
	size_t off;

	if (o->counting)
		return;
	off = out_begin(o);
	b_str(&o->text, "{\"type\":\"db.session\",\"ts\":");
	b_ts(&o->text, ts);
	b_key(&o->text, "db_system");
	b_str(&o->text, db == DB_PG ? "\"postgresql\"" : "\"mysql\"");
	b_key(&o->text, "action");
	b_str(&o->text, dur_us < 0 ? "\"connect\"" : "\"disconnect\"");
	b_key(&o->text, "server");
	b_str(&o->text, db == DB_PG ? "\"" PG_SERVER "\"" :
	    "\"" MY_SERVER "\"");
	b_key(&o->text, "client");
	b_jstr(&o->text, c->client);
	b_key(&o->text, "session_id");
	b_jstr(&o->text, c->session);
	b_key(&o->text, "db_user");
	b_jstr(&o->text, c->db_user);
	b_key(&o->text, "database");
	b_jstr(&o->text, database);
	b_key(&o->text, "app_name");
	b_jstr(&o->text, c->app_name);
	if (dur_us >= 0) {
		b_key(&o->text, "duration_us");
		b_u64(&o->text, (uint64_t)dur_us);
	}
	b_str(&o->text, ",\"source\":\"wire\",\"agent\":");
	b_str(&o->text, db == DB_PG ? "\"" PG_AGENT "\"}" :
	    "\"" MY_AGENT "\"}");
	out_end(o, off, ts, EV_SESSION);
}

/* One net.flow record. */
static void
f_record(struct out *o, const char *id, const char *src, int sport, int svc,
    int64_t first, int64_t ts, uint64_t out, uint64_t in, uint64_t dout,
    uint64_t din, int final)
{
	const struct svc_def *s = &svcs[svc];
	size_t off = out_begin(o);

	b_str(&o->text, "{\"type\":\"net.flow\",\"ts\":");
	b_ts(&o->text, ts);
	b_key(&o->text, "flow_id");
	b_jstr(&o->text, id);
	b_key(&o->text, "src");
	b_jstr(&o->text, src);
	b_key(&o->text, "sport");
	b_u64(&o->text, (uint64_t)sport);
	b_key(&o->text, "dst");
	b_jstr(&o->text, s->dst);
	b_key(&o->text, "dport");
	b_u64(&o->text, (uint64_t)s->dport);
	b_str(&o->text, ",\"l4\":\"tcp\"");
	b_key(&o->text, "app");
	b_jstr(&o->text, s->app);
	b_key(&o->text, "category");
	b_jstr(&o->text, s->category);
	b_key(&o->text, "ndpi_category");
	b_jstr(&o->text, s->ndpi);
	if (s->server != NULL) {
		b_key(&o->text, "server_name");
		b_jstr(&o->text, s->server);
	}
	b_key(&o->text, "bytes_out");
	b_u64(&o->text, out);
	b_key(&o->text, "bytes_in");
	b_u64(&o->text, in);
	b_key(&o->text, "pkts_out");
	b_u64(&o->text, out / 1400 + in / 2800 + 3);
	b_key(&o->text, "pkts_in");
	b_u64(&o->text, in / 1400 + out / 2800 + 2);
	b_key(&o->text, "delta_bytes_out");
	b_u64(&o->text, dout);
	b_key(&o->text, "delta_bytes_in");
	b_u64(&o->text, din);
	b_key(&o->text, "first_ts");
	b_ts(&o->text, first);
	b_key(&o->text, "last_ts");
	b_ts(&o->text, ts);
	b_str(&o->text, final ? ",\"final\":true" : ",\"final\":false");
	b_str(&o->text, ",\"scope\":\"outbound\",\"agent\":\"" GW_AGENT
	    "\"}");
	out_end(o, off, ts, EV_FLOW);
}

/*
 * A flow from src to a service: one final record when it lasts a minute
 * or less, else a record a minute (bytes spread evenly) and a final one.
 * key names the flow (its id and source port).
 */
static void
f_emit(struct out *o, const char *src, int svc, int64_t start, double secs,
    double out, double in, uint64_t key)
{
	char id[17];
	int64_t dur, t;
	uint64_t tout, tin, pout = 0, pin = 0, cout, cin;
	int sport;

	if (o->counting)
		return;
	key = mix64(key);
	hex16(key, id);
	sport = 49152 + (int)(key >> 48) % 16000;
	dur = (int64_t)(secs * 1e6) + 1000;
	tout = (uint64_t)(out < 0 ? 0 : out);
	tin = (uint64_t)(in < 0 ? 0 : in);
	for (t = start + MIN_US; t < start + dur; t += MIN_US) {
		cout = (uint64_t)((double)tout * (double)(t - start) /
		    (double)dur);
		cin = (uint64_t)((double)tin * (double)(t - start) /
		    (double)dur);
		f_record(o, id, src, sport, svc, start, t, cout, cin,
		    cout - pout, cin - pin, 0);
		pout = cout;
		pin = cin;
	}
	f_record(o, id, src, sport, svc, start, start + dur, tout, tin,
	    tout - pout, tin - pin, 1);
}

/* ---------------------------------------------------------------------
 * Building the organisation.
 */

/* A set of strings, to keep logins and e-mail addresses unique. */
struct sset {
	char		**k;
	size_t		 n, cap;
};

static uint64_t
str_hash(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	while (*s != '\0') {
		h ^= (unsigned char)*s++;
		h *= 0x100000001b3ULL;
	}
	return h;
}

/* Adds s; 0 when it was new, -1 when it was there already. */
static int
sset_add(struct sset *set, const char *s)
{
	size_t i, j;
	char **old;

	if ((set->n + 1) * 2 > set->cap) {
		old = set->k;
		j = set->cap;
		set->cap = set->cap ? set->cap * 2 : 1024;
		set->k = xcalloc_or_die(set->cap, sizeof(*set->k));
		set->n = 0;
		for (i = 0; i < j; i++)
			if (old[i] != NULL) {
				(void)sset_add(set, old[i]);
				free(old[i]);
			}
		free(old);
	}
	for (i = str_hash(s) & (set->cap - 1); set->k[i] != NULL;
	    i = (i + 1) & (set->cap - 1))
		if (strcmp(set->k[i], s) == 0)
			return -1;
	if ((set->k[i] = strdup(s)) == NULL)
		die("out of memory");
	set->n++;
	return 0;
}

static void
sset_free(struct sset *set)
{
	size_t i;

	for (i = 0; i < set->cap; i++)
		free(set->k[i]);
	free(set->k);
}

static void
lower(char *s)
{
	for (; *s != '\0'; s++)
		if (*s >= 'A' && *s <= 'Z')
			*s = (char)(*s - 'A' + 'a');
}

/* base, base2, base3, ... : the first that is not taken. */
static void
unique_name(struct sset *set, const char *base, const char *suffix,
    char *out, size_t len)
{
	int k;

	if ((size_t)snprintf(out, len, "%s%s", base, suffix) >= len)
		die("name too long");
	for (k = 2; sset_add(set, out) != 0; k++)
		if ((size_t)snprintf(out, len, "%s%d%s", base, k, suffix) >=
		    len)
			die("name too long");
}

static int
is_holiday(const struct org *g, int d)
{
	int i;

	for (i = 0; i < g->nhol; i++)
		if (g->hol[i] == d)
			return 1;
	return 0;
}

/* Monday to Friday and not a public holiday. */
static int
working_day(const struct org *g, int d)
{
	return weekday(g->day0 + d) < 5 && !is_holiday(g, d);
}

/* d is among the last k working days of its calendar month. */
static int
month_end(const struct org *g, int d, int k)
{
	int y, m, dd, y2, m2, e, n = 0;

	if (!working_day(g, d))
		return 0;
	civil(g->day0 + d, &y, &m, &dd);
	for (e = d + 1;; e++) {
		civil(g->day0 + e, &y2, &m2, &dd);
		if (m2 != m)
			break;
		n += working_day(g, e);
	}
	return n < k;
}

/* Department sizes: drawn shares, each at least its minimum. */
static void
draw_sizes(struct org *g, struct rng *r)
{
	double share[NDEPT], sum = 0;
	int k, total = 0, big;

	for (k = 0; k < NDEPT; k++) {
		g->present[k] = chance(r, depts[k].presence);
		share[k] = g->present[k] ? depts[k].share *
		    lognorm(r, 1.0, 0.4) : 0.0;
		sum += share[k];
	}
	for (k = 0; k < NDEPT; k++) {
		g->size[k] = (int)((double)g->n * share[k] / sum);
		if (g->present[k] && g->size[k] < depts[k].min_size)
			g->size[k] = depts[k].min_size;
		total += g->size[k];
	}
	/* Give or take the difference from the largest departments. */
	while (total != g->n) {
		big = D_CC;
		for (k = 0; k < NDEPT; k++)
			if (g->size[k] - depts[k].min_size > g->size[big] -
			    depts[big].min_size)
				big = k;
		if (total < g->n) {
			g->size[D_CC]++;
			total++;
		} else {
			g->size[big]--;
			total--;
		}
	}
}

/* The people of one department, in teams; the first of a team leads. */
static void
draw_teams(struct org *g, int k, int *next, struct rng *r)
{
	struct team *t;
	int left = g->size[k], n, crew = 0;

	while (left > 0) {
		if (k == D_FRAUD)
			n = (left + (3 - crew)) / (4 - crew);
		else {
			n = irange(r, depts[k].team_min, depts[k].team_max);
			if (n > left || left - n < 2)
				n = left;
		}
		g->t = xrealloc_or_die(g->t, (size_t)g->nt + 1,
		    sizeof(*g->t));
		t = &g->t[g->nt];
		t->dept = k;
		t->first = *next;
		t->n = n;
		t->off0 = k == D_VENDOR ? irange(r, 0, 5) : irange(r, 0, 6);
		t->saturday = chance(r, 0.3);
		*next += n;
		left -= n;
		crew++;
		g->nt++;
	}
}

static void
draw_address(struct person *p, int k, int seq)
{
	int base = k == D_CC ? 30 : k == D_VENDOR ? 80 : k == D_BRANCH ? 60 :
	    20;

	int n;

	(void)snprintf(p->ip, sizeof(p->ip), "10.%d.%d.%d", base + seq / 60000,
	    seq / 240 % 250, 10 + seq % 240);
	if (k == D_CC)
		n = snprintf(p->host, sizeof(p->host), "cc-%05d", seq);
	else if (k == D_VENDOR)
		n = snprintf(p->host, sizeof(p->host), "vdi-%05d", seq);
	else if (k == D_BRANCH)
		n = snprintf(p->host, sizeof(p->host), "br%03d-%02d",
		    p->team % 1000, seq % 100);
	else
		n = snprintf(p->host, sizeof(p->host), "hq-lt-%05d", seq);
	if (n < 0 || (size_t)n >= sizeof(p->host))
		die("host name too long");
}

static void
draw_schedule(struct person *p, struct rng *r)
{
	double u = unif(r);

	switch (p->dept) {
	case D_CC:
		if (p->lead)
			p->sched = chance(r, 0.5) ? SCH_EARLY : SCH_LATE;
		else if (u < 0.55)
			p->sched = SCH_ROTATE;
		else if (u < 0.80)
			p->sched = chance(r, 0.5) ? SCH_EARLY : SCH_LATE;
		else if (u < 0.90)
			p->sched = SCH_NIGHT;
		else
			p->sched = SCH_PART;
		p->phase = irange(r, 0, 2);
		break;
	case D_VENDOR:
		p->sched = SCH_VENDOR;
		p->phase = irange(r, 0, 1);
		break;
	case D_BRANCH:
		p->sched = SCH_BRANCH;
		p->phase = irange(r, 0, 1);
		break;
	case D_FRAUD:
		p->sched = SCH_FRAUD;	/* crew: set with the teams */
		break;
	case D_DWH:
		p->sched = SCH_FLEX;
		p->habit = irange(r, 360, 720);
		break;
	default:
		p->sched = SCH_OFFICE;
		p->habit = irange(r, 420, 600);
		p->phase = irange(r, 0, 3);
		break;
	}
}

/* One person: identity, habits, employment. */
static void
draw_person(struct org *g, int i, int k, int team, int lead, int seq,
    uint32_t idoff, struct sset *names)
{
	struct person *p = &g->p[i];
	char base[64], gv[24], fm[24];
	int n;
	struct rng r;
	double u;
	int len;

	rng_init(&r, g->seed, R_PERSON, i, 0);
	memset(p, 0, sizeof(*p));
	p->dept = k;
	p->team = team;
	p->lead = lead;
	p->scen = -1;
	p->qgroup = -1;
	snprintf(p->id, sizeof(p->id), "%c%06u", k == D_VENDOR ? 'V' : 'P',
	    100000 + (unsigned)(((uint64_t)i * 7919 + idoff) % 900000));
	snprintf(gv, sizeof(gv), "%s", given[irange(&r, 0, NGIVEN - 1)]);
	snprintf(fm, sizeof(fm), "%s", family[irange(&r, 0, NFAMILY - 1)]);
	n = snprintf(p->name, sizeof(p->name), "%s %s", gv, fm);
	if (n < 0 || (size_t)n >= sizeof(p->name))
		die("name too long");
	lower(gv);
	lower(fm);
	snprintf(base, sizeof(base), "%s.%s", gv, fm);
	unique_name(names, base, k == D_VENDOR ? "@vendor.example" :
	    "@bank.example", p->alias, sizeof(p->alias));
	if (k == D_IT && !lead) {
		u = unif(&r);
		p->sub = u < 0.55 ? SUB_DEV : u < 0.80 ? SUB_SUPPORT :
		    u < 0.90 ? SUB_DBA : SUB_OPS;
	} else if (k == D_IT)
		p->sub = SUB_DEV;
	else if (k == D_RISK && !lead && chance(&r, 0.4))
		p->sub = SUB_AUDITOR;
	if (depts[k].channel == CH_PERSONAL && !(k == D_IT &&
	    (p->sub == SUB_DEV || p->sub == SUB_OPS))) {
		snprintf(base, sizeof(base), "%c%.12s", gv[0], fm);
		unique_name(names, base, "", p->login, sizeof(p->login));
	}
	draw_address(p, k, seq);
	p->rate = lognorm(&r, 1.0, g->sigma);
	p->rate = p->rate < 0.1 ? 0.1 : p->rate > 8 ? 8 : p->rate;
	p->thorough = lognorm(&r, 1.0, 0.3);
	draw_schedule(p, &r);
	p->first = INT_MIN / 2;
	p->last = INT_MAX / 2;
	p->start_date = g->day0 - irange(&r, 30, 4000);
	u = unif(&r);
	if (!lead && u < (k == D_VENDOR ? 0.10 : 0.04)) {
		p->joiner = 1;
		p->first = irange(&r, 3, 3 + (int)(0.6 * g->days));
		p->start_date = g->day0 + p->first;
	} else if (!lead && u < (k == D_VENDOR ? 0.20 : 0.07)) {
		p->leaver = 1;
		p->last = irange(&r, (int)(0.15 * g->days), g->days - 1);
		p->personal_files = chance(&r, 0.25);
	}
	p->vac_from = p->vac_to = INT_MIN / 2;
	if (chance(&r, 0.25)) {
		len = irange(&r, 3, 10);
		p->vac_from = irange(&r, -5, g->days - 1);
		p->vac_to = p->vac_from + len + 2 * (len / 5) +
		    (len % 5 ? 2 : 0);
	}
	p->webmail = !depts[k].locked && chance(&r, 0.3);
	p->s3 = k == D_IT && (p->sub == SUB_DEV || p->sub == SUB_OPS) &&
	    chance(&r, 0.3);
	p->oncall_period = irange(&r, 6, 10);
	p->oncall_phase = irange(&r, 0, p->oncall_period - 1);
	p->pull_p = range(&r, 0.10, 0.35);
	u = unif(&r);
	p->pull_kind = u < 0.5 ? 0 : u < 0.8 ? 1 : 2;
}

/* Queues: the contact centre, the vendor, each branch, the fraud crews
 * together, each back-office and card-operations team. */
static void
draw_groups(struct org *g)
{
	int t, i, q, cc = -1, vendor = -1, fraud = -1, k;

	for (t = 0; t < g->nt; t++) {
		k = g->t[t].dept;
		if (k == D_CC && cc >= 0)
			q = cc;
		else if (k == D_VENDOR && vendor >= 0)
			q = vendor;
		else if (k == D_FRAUD && fraud >= 0)
			q = fraud;
		else if (k == D_CC || k == D_VENDOR || k == D_FRAUD ||
		    k == D_BRANCH || k == D_BO || k == D_CARDOPS) {
			q = g->ng++;
			g->g = xrealloc_or_die(g->g, (size_t)g->ng,
			    sizeof(*g->g));
			memset(&g->g[q], 0, sizeof(g->g[q]));
			g->g[q].dept = k;
			if (k == D_CC)
				cc = q;
			else if (k == D_VENDOR)
				vendor = q;
			else if (k == D_FRAUD)
				fraud = q;
		} else
			continue;
		for (i = g->t[t].first; i < g->t[t].first + g->t[t].n; i++)
			g->p[i].qgroup = q;
	}
}

/* The calendar's and the look-alikes' organisation-wide draws. */
static void
draw_events(struct org *g, struct rng *r)
{
	int i, d, tries, it[64], nit = 0, t, n;

	g->nhol = irange(r, 1, 3);
	for (i = 0; i < g->nhol; i++) {
		for (tries = 0; tries < 100; tries++) {
			d = irange(r, 0, g->days - 1);
			if (weekday(g->day0 + d) < 5 && !is_holiday(g, d))
				break;
		}
		g->hol[i] = d;
	}
	g->nsurge = irange(r, 1, 3);
	for (i = 0; i < g->nsurge; i++) {
		g->surge[i].from = irange(r, 0, g->days - 2);
		g->surge[i].to = g->surge[i].from + irange(r, 2, 6);
		g->surge[i].factor = range(r, 1.4, 2.5);
	}
	for (t = 0; t < g->nt && nit < 64; t++)
		if (g->t[t].dept == D_IT && g->t[t].n >= 3)
			it[nit++] = t;
	g->ninc = nit > 0 ? irange(r, 1, 3) : 0;
	for (i = 0; i < g->ninc; i++) {
		for (tries = 0; tries < 100; tries++)
			if (working_day(g, d = irange(r, 0, g->days - 1)))
				break;
		g->inc[i].day = d;
		g->inc[i].team = it[irange(r, 0, nit - 1)];
		g->inc[i].st = ST_INCIDENT_ACC + irange(r, 0, 2);
	}
	g->naudit = 0;
	if (chance(r, 0.8)) {
		/* 5-10 working days from a working day */
		for (tries = 0; tries < 100; tries++)
			if (working_day(g, g->audit_from = irange(r, 0,
			    g->days - 7)))
				break;
		n = irange(r, 5, 10);
		for (d = g->audit_from; n > 0 && d < g->days; d++)
			n -= working_day(g, d);
		g->audit_len = d - g->audit_from;
		/* 2-4 auditors, as many as there are */
		n = irange(r, 2, 4);
		for (i = 0; i < g->n && g->naudit < n; i++)
			if (g->p[i].sub == SUB_AUDITOR && !g->p[i].joiner &&
			    !g->p[i].leaver)
				g->auditors[g->naudit++] = i;
	}
	g->reg_who = -1;
	for (i = 0; i < g->n; i++)
		if (g->p[i].dept == D_RISK && !g->p[i].lead &&
		    g->p[i].sub != SUB_AUDITOR && !g->p[i].joiner &&
		    !g->p[i].leaver && chance(r, 0.5)) {
			g->reg_who = i;
			break;
		}
	for (tries = 0; tries < 100; tries++)
		if (working_day(g, g->reg_day = irange(r, 0, g->days - 1)))
			break;
	g->reg_rows = logunif(r, 50000, 200000);
}

static void
org_build(struct org *g, uint64_t seed, int n, int days, int64_t start)
{
	static const int offsets[] = { 330, 420, 480, 540 };
	struct sset names;
	struct rng r;
	int k, t, i, next = 0, seq[NDEPT];
	uint32_t idoff;
	char fp[65];

	memset(g, 0, sizeof(*g));
	memset(&names, 0, sizeof(names));
	memset(seq, 0, sizeof(seq));
	g->seed = seed;
	g->n = n;
	g->days = days;
	rng_init(&r, seed, R_ORG, 0, 0);
	g->off_min = offsets[irange(&r, 0, 3)];
	if (start >= 0)
		g->day0 = start;
	else
		do
			g->day0 = days_from_civil(2026, 2, 2) + irange(&r, 0,
			    days_from_civil(2026, 10, 30) -
			    days_from_civil(2026, 2, 2));
		while (weekday(g->day0) >= 5);
	g->sigma = range(&r, 0.25, 1.0);
	g->customers = (double)n * range(&r, 700, 1400);
	idoff = rng_u32(&r) % 900000;
	draw_sizes(g, &r);
	g->p = xcalloc_or_die((size_t)n, sizeof(*g->p));
	g->sh = xcalloc_or_die((size_t)n, sizeof(*g->sh));
	for (k = 0; k < NDEPT; k++) {
		rng_init(&r, seed, R_DEPT, k, 0);
		draw_teams(g, k, &next, &r);
	}
	for (t = 0; t < g->nt; t++) {
		k = g->t[t].dept;
		for (i = g->t[t].first; i < g->t[t].first + g->t[t].n; i++) {
			/* one address pool per floor: CC, vendor,
			 * branches, head office */
			draw_person(g, i, k, t, i == g->t[t].first,
			    seq[k < D_BO ? k : D_BO]++, idoff, &names);
			g->p[i].manager = i == g->t[t].first ? -1 :
			    g->t[t].first;
		}
	}
	/* fraud crews: the team's place among the department's four */
	for (t = 0, k = 0; t < g->nt; t++)
		if (g->t[t].dept == D_FRAUD) {
			for (i = g->t[t].first; i < g->t[t].first + g->t[t].n;
			    i++)
				g->p[i].phase = k % 4;
			k++;
		}
	draw_groups(g);
	rng_init(&r, seed, R_LOOK, 0, 0);
	draw_events(g, &r);
	for (i = 0; i < NST; i++) {
		sha256_hex(stmts[i].text, strlen(stmts[i].text), fp);
		memcpy(g->fp[i], fp, 16);
		g->fp[i][16] = '\0';
		for (k = 0; k < 3 && stmts[i].tables[k] != NULL; k++)
			if (table_sensitive(stmts[i].tables[k]))
				g->sens[i] = 1;
	}
	sset_free(&names);
}

/* ---------------------------------------------------------------------
 * Rosters: who works when on a local day, and the queues' capacity.
 */

static const unsigned char pitman[14] = {
	1, 1, 0, 0, 1, 1, 1, 0, 0, 1, 1, 0, 0, 0
};

static int
on_leave(const struct person *p, int d)
{
	return d >= p->vac_from && d < p->vac_to;
}

/* Whether and when person i works on local day d (rostered), and
 * whether they turn up (present). */
static void
roster(const struct org *g, int i, int d, struct shift *s)
{
	static const int cc_start[3] = { 360, 840, 1320 };
	const struct person *p = &g->p[i];
	const struct team *t = &g->t[p->team];
	int64_t z = g->day0 + d;
	int wd = weekday(z), wk = (int)((z + 3) / 7), k, hol;
	struct rng r;

	memset(s, 0, sizeof(*s));
	if (d < p->first || d > p->last)
		return;
	hol = is_holiday(g, d);
	rng_init(&r, g->seed, R_SHIFT, i, d);
	switch (p->sched) {
	case SCH_ROTATE:
	case SCH_EARLY:
	case SCH_LATE:
	case SCH_NIGHT:
		if (wd == t->off0 || wd == (t->off0 + 1) % 7)
			return;
		k = p->sched == SCH_ROTATE ? (wk + p->phase) % 3 :
		    p->sched == SCH_EARLY ? 0 : p->sched == SCH_LATE ? 1 : 2;
		s->start = cc_start[k];
		s->end = s->start + 510;
		s->brk = s->start + irange(&r, 210, 270);
		s->brk_len = 30;
		break;
	case SCH_PART:
		if ((wd - t->off0 + 7) % 7 < 3)
			return;
		s->start = p->phase == 0 ? 600 : 1020;
		s->end = s->start + 270;
		break;
	case SCH_VENDOR:
		if (wd == 6 || wd == t->off0)
			return;
		s->start = cc_start[(wk + p->phase) % 2];
		s->end = s->start + 510;
		s->brk = s->start + irange(&r, 210, 270);
		s->brk_len = 30;
		break;
	case SCH_BRANCH:
		if (hol)
			return;
		if (wd < 5) {
			s->start = 480;
			s->end = 960;
			s->brk = irange(&r, 690, 780);
			s->brk_len = 45;
		} else if (wd == 5 && t->saturday && (wk + p->phase) % 2 == 0) {
			s->start = 540;
			s->end = 780;
		} else
			return;
		break;
	case SCH_FRAUD:
		if (!pitman[(int)((z % 14 + 14 + (p->phase % 2) * 7) % 14)])
			return;
		s->start = p->phase < 2 ? 420 : 1140;
		s->end = s->start + 720;
		s->brk = s->start + irange(&r, 300, 420);
		s->brk_len = 60;
		break;
	default:
		if (hol)
			return;
		if (wd >= 5) {
			if (p->dept != D_CARDOPS || wd != 5 ||
			    (wk + p->phase) % 4 != 0)
				return;
			s->start = 540;
			s->end = 780;
			break;
		}
		s->start = p->habit + (p->sched == SCH_FLEX ?
		    irange(&r, -45, 45) : irange(&r, -30, 30));
		s->end = s->start + irange(&r, 510, 570);
		s->brk = irange(&r, 720, 780);
		s->brk_len = irange(&r, 30, 60);
		break;
	}
	s->on = 1;
	s->w = p->rate * (p->lead ? 0.5 : 1.0);
	if (p->joiner && d - p->first < 7)
		s->w *= 0.1;
	else if (p->joiner && d - p->first < 14)
		s->w *= 0.5;
	rng_init(&r, g->seed, R_ABSENT, i, d);
	s->present = !on_leave(p, d) && !chance(&r, 0.02);
}

/* The hours of a shift in which contacts are handled (whole hours). */
static void
contact_hours(const struct shift *s, int *h0, int *h1)
{
	*h0 = (s->start + 59) / 60;
	*h1 = s->end / 60;
	if (*h1 > NHOURS)
		*h1 = NHOURS;
}

static void
day_roster(struct org *g, int d)
{
	struct qgroup *q;
	struct shift *s;
	int i, h, h0, h1;

	for (i = 0; i < g->ng; i++) {
		memset(g->g[i].rost, 0, sizeof(g->g[i].rost));
		memset(g->g[i].pres, 0, sizeof(g->g[i].pres));
		g->g[i].drost = g->g[i].dpres = 0;
	}
	for (i = 0; i < g->n; i++) {
		s = &g->sh[i];
		roster(g, i, d, s);
		if (!s->on || g->p[i].qgroup < 0)
			continue;
		q = &g->g[g->p[i].qgroup];
		q->drost += s->w;
		q->dpres += s->present ? s->w : 0;
		contact_hours(s, &h0, &h1);
		for (h = h0; h < h1; h++) {
			q->rost[h] += s->w;
			q->pres[h] += s->present ? s->w : 0;
		}
	}
}

/* How much more each present person carries for the absent. */
static double
cover(double rost, double pres)
{
	if (pres <= 0)
		return 0;
	return rost / pres > 3 ? 3 : rost / pres;
}

/* A minute in [lo, hi) outside the shift's break. */
static double
pick_minute(const struct shift *s, struct rng *r, double lo, double hi)
{
	double m = range(r, lo, hi);

	if (s->brk_len > 0 && m >= s->brk && m < s->brk + s->brk_len)
		m += s->brk_len;
	return m;
}

static double
surge_factor(const struct org *g, int d)
{
	double f = 1.0;
	int i;

	for (i = 0; i < g->nsurge; i++)
		if (d >= g->surge[i].from && d < g->surge[i].to)
			f *= g->surge[i].factor;
	return f;
}

/* ---------------------------------------------------------------------
 * Work: what each person does on a day, from the queues and their job.
 */

/* Contacts per staffed hour at rate 1, by local hour and weekday. */
static const double cc_load[24] = {
	0.35, 0.30, 0.30, 0.30, 0.30, 0.40, 0.60, 0.80, 1.00, 1.10, 1.20,
	1.20, 1.00, 1.05, 1.20, 1.20, 1.10, 1.00, 0.90, 0.85, 0.80, 0.70,
	0.55, 0.45
};
static const double cc_week[7] = { 1.15, 1.0, 1.0, 1.0, 1.0, 0.7, 0.7 };
static const double br_load[24] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0.5, 0.9, 1.0, 1.15, 1.3, 1.1, 0.9, 0.5,
	0, 0, 0, 0, 0, 0, 0, 0
};

/* A lookalikes.jsonl line (written on the output pass only). */
static void
look_add(struct org *g, const struct out *o, int d, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void
look_add(struct org *g, const struct out *o, int d, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	if (o->counting || d < 0 || d >= g->days)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	b_fmt(&g->look, "{%s,\"day\":%d}\n", line, d);
}

/* One statement at *t, then the next one 5-40 seconds later. */
static void
qq(struct out *o, const struct org *g, const struct conn *c, int st,
    int64_t *t, double rows, struct rng *r)
{
	int err = chance(r, 0.003);

	q_emit(o, g, c, st, *t, rows, err, r);
	*t += (int64_t)(range(r, 5, 40) * 1e6);
}

/* A contact-centre contact taken at minute m of day d. */
static void
contact(struct org *g, struct out *o, int i, int d, double m, struct rng *r)
{
	const struct person *p = &g->p[i];
	struct conn c, cm;
	double u = unif(r), th = p->thorough;
	int64_t t = utc_us(g, d, m);

	conn_app(g, i, d, DB_PG, r, &c);
	conn_app(g, i, d, DB_MY, r, &cm);
	if (u < 0.95) {
		if (u < 0.35 && chance(r, 0.3))
			qq(o, g, &c, ST_CUST_SEARCH, &t, irange(r, 1, 25) * th,
			    r);
		else
			qq(o, g, &c, ST_CUST_PHONE, &t, chance(r, 0.1) ?
			    irange(r, 2, 3) : 1, r);
	}
	if (u < 0.35)
		qq(o, g, &c, ST_ACCOUNTS, &t, irange(r, 1, 4), r);
	else if (u < 0.60) {
		qq(o, g, &c, ST_CARDS, &t, irange(r, 1, 3), r);
		if (chance(r, 0.5))
			qq(o, g, &c, ST_PAN, &t, 1, r);
		if (chance(r, 0.4))
			qq(o, g, &c, ST_CARD_UPD, &t, 1, r);
	} else if (u < 0.75) {
		qq(o, g, &c, ST_ACCOUNTS, &t, irange(r, 1, 3), r);
		qq(o, g, &c, ST_TXN_RECENT, &t, irange(r, 10, 60) * th, r);
	} else if (u < 0.85) {
		qq(o, g, &c, ST_ADDR, &t, irange(r, 1, 2), r);
		qq(o, g, &c, ST_ADDR_UPD, &t, 1, r);
	} else if (u < 0.95)
		qq(o, g, &cm, ST_STMTS, &t, irange(r, 1, 12), r);
	qq(o, g, &cm, ST_CASE_INS, &t, 1, r);
}

static void
work_contacts(struct org *g, struct out *o, int i, int d, struct rng *r)
{
	const struct shift *s = &g->sh[i];
	const struct qgroup *q = &g->g[g->p[i].qgroup];
	int h, h0, h1, n, k, dd;
	double mean, dayf;
	struct rng gr;

	rng_init(&gr, g->seed, R_GROUPDAY, g->p[i].qgroup, d);
	dayf = lognorm(&gr, 1.0, 0.12) * surge_factor(g, d);
	contact_hours(s, &h0, &h1);
	for (h = h0; h < h1; h++) {
		dd = d + h / 24;
		mean = 3.0 * cc_load[h % 24] * cc_week[weekday(g->day0 + dd)] *
		    s->w * cover(q->rost[h], q->pres[h]) * dayf *
		    (is_holiday(g, dd) ? 0.5 : 1.0);
		if (s->brk_len > 0 && s->brk < (h + 1) * 60 &&
		    s->brk + s->brk_len > h * 60)
			mean *= 0.5;
		n = poisson(r, mean);
		for (k = 0; k < n; k++)
			contact(g, o, i, d, pick_minute(s, r, h * 60,
			    h * 60 + 60), r);
	}
}

static void
work_branch(struct org *g, struct out *o, int i, int d, struct rng *r)
{
	const struct shift *s = &g->sh[i];
	const struct qgroup *q = &g->g[g->p[i].qgroup];
	const struct person *p = &g->p[i];
	int h, h0, h1, n, k;
	double mean, dayf, th = p->thorough, base;
	struct conn c;
	struct rng gr;
	int64_t t;

	/* the branch's own level: 4-9 walk-ins an hour per ten staff (the
	 * load curve's mean over the opening hours is 0.92) */
	rng_init(&gr, g->seed, R_GROUPDAY, p->qgroup, -1000);
	base = range(&gr, 0.4, 0.9) / 0.92;
	rng_init(&gr, g->seed, R_GROUPDAY, p->qgroup, d);
	dayf = lognorm(&gr, 1.0, 0.15);
	contact_hours(s, &h0, &h1);
	for (h = h0; h < h1 && h < 24; h++) {
		mean = base * br_load[h] * s->w * cover(q->rost[h],
		    q->pres[h]) * dayf;
		n = poisson(r, mean);
		for (k = 0; k < n; k++) {
			t = utc_us(g, d, pick_minute(s, r, h * 60,
			    h * 60 + 60));
			conn_app(g, i, d, DB_PG, r, &c);
			qq(o, g, &c, ST_KYC_CUST, &t, 1, r);
			qq(o, g, &c, ST_ACCOUNTS, &t, irange(r, 1, 5), r);
			if (chance(r, 0.5))
				qq(o, g, &c, ST_TXN_RECENT, &t,
				    irange(r, 5, 30) * th, r);
			if (chance(r, 0.2))
				qq(o, g, &c, ST_CUST_SEARCH, &t,
				    irange(r, 1, 25) * th, r);
			if (chance(r, 0.3))
				qq(o, g, &c, ST_TXN_POST, &t, 1, r);
		}
	}
}

/* The MySQL database a department's sessions open in. */
static const char *
my_db(int dept)
{
	return dept == D_DWH || dept == D_MARKETING ? "dwh" : dept == D_HR ?
	    "hr" : "billing";
}

/* A personal account's session over the shift: connect, disconnect. */
static void
own_session(struct org *g, struct out *o, int i, int d, int db,
    const struct shift *s, struct rng *r)
{
	const char *database = db == DB_PG ? "corebank" :
	    my_db(g->p[i].dept);
	struct conn c;
	int64_t a, b;

	conn_own(g, i, d, db, r, &c);
	a = utc_us(g, d, s->start + range(r, 1, 15));
	b = utc_us(g, d, s->end + range(r, 0, 20));
	s_emit(o, &c, db, database, a, -1);
	s_emit(o, &c, db, database, b, b - a);
}

/* Back-office items and card disputes: a day's share of the team's. */
static void
work_items(struct org *g, struct out *o, int i, int d, struct rng *r)
{
	const struct shift *s = &g->sh[i];
	const struct person *p = &g->p[i];
	const struct qgroup *q = &g->g[p->qgroup];
	struct conn c, cm;
	double dayf, th = p->thorough, per;
	struct rng gr;
	int n, k, j;
	int64_t t;

	rng_init(&gr, g->seed, R_GROUPDAY, p->qgroup, d);
	dayf = lognorm(&gr, 1.0, 0.15);
	per = p->dept == D_BO ? 18 * (month_end(g, d, 3) ? 1.3 : 1.0) : 12;
	n = poisson(r, per * s->w * cover(q->drost, q->dpres) * dayf);
	conn_own(g, i, d, DB_PG, r, &c);
	conn_own(g, i, d, DB_MY, r, &cm);
	own_session(g, o, i, d, DB_PG, s, r);
	if (p->dept == D_CARDOPS)
		own_session(g, o, i, d, DB_MY, s, r);
	if (p->dept == D_BO)
		for (k = irange(r, 1, 3); k > 0; k--) {
			t = utc_us(g, d, pick_minute(s, r, s->start + 10,
			    s->end - 30));
			qq(o, g, &c, ST_KYC_QUEUE, &t, irange(r, 10, 40) * th,
			    r);
		}
	if (p->dept == D_CARDOPS && chance(r, 0.2))
		for (k = irange(r, 1, 3); k > 0; k--) {
			t = utc_us(g, d, pick_minute(s, r, s->start + 10,
			    s->end - 30));
			qq(o, g, &c, ST_CARD_BIN, &t, irange(r, 10, 50) * th,
			    r);
		}
	for (j = 0; j < n; j++) {
		t = utc_us(g, d, pick_minute(s, r, s->start + 5,
		    s->end - 15));
		if (p->dept == D_BO) {
			qq(o, g, &c, ST_KYC_DOCS, &t, irange(r, 2, 8), r);
			qq(o, g, &c, ST_KYC_CUST, &t, 1, r);
			qq(o, g, &c, ST_ACCOUNTS, &t, irange(r, 1, 3), r);
			qq(o, g, &c, ST_LOAN, &t, 1, r);
			qq(o, g, &c, ST_LOAN_UPD, &t, 1, r);
		} else {
			qq(o, g, &c, ST_DISPUTE, &t, 1, r);
			qq(o, g, &c, ST_TXN_RECENT, &t, irange(r, 20, 120) *
			    th, r);
			qq(o, g, &c, ST_PAN, &t, 1, r);
			qq(o, g, &cm, ST_STMTS, &t, irange(r, 1, 6), r);
		}
	}
}

static void
work_fraud(struct org *g, struct out *o, int i, int d, struct rng *r)
{
	const struct shift *s = &g->sh[i];
	const struct person *p = &g->p[i];
	const struct qgroup *q = &g->g[p->qgroup];
	struct conn c;
	double mean, total, th = p->thorough;
	int h, h0, h1, n, k;
	int64_t t;

	conn_own(g, i, d, DB_PG, r, &c);
	own_session(g, o, i, d, DB_PG, s, r);
	contact_hours(s, &h0, &h1);
	for (h = h0; h < h1; h++) {
		mean = 2.0 * (h % 24 >= 19 || h % 24 < 7 ? 1.5 : 1.0) * s->w *
		    cover(q->rost[h], q->pres[h]);
		n = poisson(r, mean);
		for (k = 0; k < n; k++) {
			t = utc_us(g, d, pick_minute(s, r, h * 60,
			    h * 60 + 60));
			qq(o, g, &c, ST_FRAUD_TXN, &t, logunif(r, 30, 400) * th,
			    r);
			qq(o, g, &c, ST_CARDS, &t, irange(r, 1, 3), r);
			qq(o, g, &c, ST_CUST_BYID, &t, 1, r);
		}
	}
	if (chance(r, 0.08)) {
		total = logunif(r, 1000, 12000);
		n = irange(r, 1, 6);
		t = utc_us(g, d, pick_minute(s, r, s->start + 30,
		    s->end - 60));
		for (k = 0; k < n; k++)
			qq(o, g, &c, ST_FRAUD_INV, &t, total / n, r);
		look_add(g, o, d, "\"kind\":\"fraud_investigation\","
		    "\"employee\":\"%s\",\"rows\":%.0f", p->id, total);
	}
}

/* A warehouse analyst's pull of customer rows at their odd hour. */
static void
dwh_pull(struct org *g, struct out *o, int i, int d, double m,
    struct rng *r)
{
	const struct person *p = &g->p[i];
	struct conn c;
	double total = logunif(r, 2000, 15000);
	int n = irange(r, 1, 4), k;
	int64_t t = utc_us(g, d, m), t0 = t;

	conn_personal(g, i, d + 100000, DB_MY, p->login, "jupyter", p->ip,
	    &c);
	c.who = i;
	s_emit(o, &c, DB_MY, "dwh", t - 60 * 1000000LL, -1);
	for (k = 0; k < n; k++) {
		qq(o, g, &c, ST_DWH_AGG, &t, irange(r, 10, 200), r);
		qq(o, g, &c, ST_DWH_PULL, &t, total / n, r);
	}
	s_emit(o, &c, DB_MY, "dwh", t + 120 * 1000000LL, t - t0 + 180000000LL);
	look_add(g, o, d, "\"kind\":\"dwh_offhours_pull\",\"employee\":\"%s\","
	    "\"rows\":%.0f,\"hour\":%d", p->id, total, (int)(m / 60) % 24);
}

static void
work_dwh(struct org *g, struct out *o, int i, int d, struct rng *r)
{
	const struct shift *s = &g->sh[i];
	const struct person *p = &g->p[i];
	struct conn c;
	int n, k;
	int64_t t;

	if (s->on && s->present) {
		conn_own(g, i, d, DB_MY, r, &c);
		own_session(g, o, i, d, DB_MY, s, r);
		for (n = irange(r, 10, 60), k = 0; k < n; k++) {
			t = utc_us(g, d, pick_minute(s, r, s->start + 5,
			    s->end - 10));
			qq(o, g, &c, chance(r, 0.6) ? ST_DWH_AGG : ST_DWH_AGG2,
			    &t, irange(r, 10, 500), r);
		}
		if (p->pull_kind == 0 && chance(r, p->pull_p))
			dwh_pull(g, o, i, d, range(r, 1140, 1410), r);
		else if (p->pull_kind == 1 && chance(r, p->pull_p))
			dwh_pull(g, o, i, d, range(r, 300, 450), r);
	} else if (!s->on && p->pull_kind == 2 && d >= p->first &&
	    d <= p->last && weekday(g->day0 + d) >= 5 && !on_leave(p, d) &&
	    chance(r, p->pull_p * 0.7))
		dwh_pull(g, o, i, d, range(r, 780, 1080), r);
}

/* IT: application support, DBAs, and everyone's on-call nights. */
static void
work_it(struct org *g, struct out *o, int i, int d, struct rng *r)
{
	const struct shift *s = &g->sh[i];
	const struct person *p = &g->p[i];
	struct conn c, cm;
	int n, k, wk = (int)((g->day0 + d + 3) / 7);
	int64_t t;

	if (p->login[0] == '\0')
		return;
	conn_own(g, i, d, DB_PG, r, &c);
	conn_own(g, i, d, DB_MY, r, &cm);
	if (s->on && s->present && p->sub == SUB_SUPPORT && chance(r, 0.4)) {
		own_session(g, o, i, d, DB_PG, s, r);
		for (n = irange(r, 1, 30), k = 0; k < n; k++) {
			t = utc_us(g, d, pick_minute(s, r, s->start + 5,
			    s->end - 10));
			qq(o, g, &c, ST_CUST_BYID, &t, 1, r);
		}
	} else if (s->on && s->present && p->sub == SUB_DBA) {
		own_session(g, o, i, d, DB_PG, s, r);
		for (n = irange(r, 20, 80), k = 0; k < n; k++) {
			t = utc_us(g, d, pick_minute(s, r, s->start + 5,
			    s->end - 10));
			qq(o, g, &c, chance(r, 0.7) ? ST_DBA_ACT : ST_DBA_LOCKS,
			    &t, irange(r, 1, 40), r);
		}
		for (n = irange(r, 1, 5), k = 0; k < n; k++) {
			t = utc_us(g, d, pick_minute(s, r, s->start + 5,
			    s->end - 10));
			qq(o, g, &c, ST_DBA_COUNT, &t, 1, r);
		}
		for (n = irange(r, 2, 10), k = 0; k < n; k++) {
			t = utc_us(g, d, pick_minute(s, r, s->start + 5,
			    s->end - 10));
			qq(o, g, &cm, ST_MY_PROC, &t, irange(r, 5, 60), r);
		}
	}
	if (wk % p->oncall_period == p->oncall_phase && d >= p->first &&
	    d <= p->last && !on_leave(p, d) && chance(r, 0.3)) {
		t = utc_us(g, d, range(r, 30, 270));
		for (n = irange(r, 1, 10), k = 0; k < n; k++)
			qq(o, g, &c, p->sub == SUB_DBA ? ST_DBA_ACT :
			    ST_CUST_BYID, &t, p->sub == SUB_DBA ?
			    irange(r, 1, 40) : 1, r);
	}
}

static void
work_risk(struct org *g, struct out *o, int i, int d, struct rng *r)
{
	const struct shift *s = &g->sh[i];
	const struct person *p = &g->p[i];
	struct conn c;
	double total;
	int n, k, a;
	int64_t t;

	conn_own(g, i, d, DB_PG, r, &c);
	own_session(g, o, i, d, DB_PG, s, r);
	if (p->sub != SUB_AUDITOR)
		for (n = irange(r, 5, 30), k = 0; k < n; k++) {
			t = utc_us(g, d, pick_minute(s, r, s->start + 5,
			    s->end - 10));
			qq(o, g, &c, ST_RISK_AGG, &t, irange(r, 10, 60), r);
		}
	else if (chance(r, 0.3))
		for (n = irange(r, 1, 5), k = 0; k < n; k++) {
			t = utc_us(g, d, pick_minute(s, r, s->start + 5,
			    s->end - 10));
			qq(o, g, &c, ST_AUDIT_SAMPLE, &t, irange(r, 5, 50), r);
		}
	for (a = 0; a < g->naudit; a++)
		if (g->auditors[a] == i && d >= g->audit_from &&
		    d < g->audit_from + g->audit_len && working_day(g, d)) {
			total = logunif(r, 1000, 8000);
			n = irange(r, 5, 20);
			for (k = 0; k < n; k++) {
				t = utc_us(g, d, pick_minute(s, r,
				    s->start + 5, s->end - 10));
				qq(o, g, &c, chance(r, 0.5) ? ST_AUDIT_SAMPLE :
				    ST_AUDIT_KYC, &t, total / n, r);
			}
			look_add(g, o, d, "\"kind\":\"audit_campaign\","
			    "\"employee\":\"%s\",\"rows\":%.0f", p->id, total);
		}
	if (i == g->reg_who && d == g->reg_day) {
		t = utc_us(g, d, pick_minute(s, r, s->start + 60,
		    s->end - 60));
		qq(o, g, &c, ST_REG_EXTRACT, &t, g->reg_rows, r);
		look_add(g, o, d, "\"kind\":\"regulatory_extract\","
		    "\"employee\":\"%s\",\"rows\":%.0f", p->id, g->reg_rows);
	}
}

/* Finance, HR and Marketing: small daily reads; Finance's month end. */
static void
work_office(struct org *g, struct out *o, int i, int d, struct rng *r)
{
	const struct shift *s = &g->sh[i];
	const struct person *p = &g->p[i];
	struct conn c;
	double rows;
	int n, k;
	int64_t t;

	conn_own(g, i, d, DB_MY, r, &c);
	own_session(g, o, i, d, DB_MY, s, r);
	n = p->dept == D_FINANCE ? irange(r, 10, 40) : p->dept == D_HR ?
	    irange(r, 3, 15) : irange(r, 5, 20);
	for (k = 0; k < n; k++) {
		t = utc_us(g, d, pick_minute(s, r, s->start + 5, s->end - 10));
		if (p->dept == D_FINANCE)
			qq(o, g, &c, ST_INVOICES, &t, irange(r, 1, 200), r);
		else if (p->dept == D_HR)
			qq(o, g, &c, chance(r, 0.7) ? ST_HR : ST_HR_ONE, &t,
			    irange(r, 1, 20), r);
		else if (chance(r, 0.5))
			qq(o, g, &c, ST_SEGMENTS, &t, irange(r, 5, 12), r);
		else
			qq(o, g, &c, ST_DWH_AGG, &t, irange(r, 10, 200), r);
	}
	if (p->dept == D_FINANCE && month_end(g, d, 2))
		for (n = irange(r, 1, 2), k = 0; k < n; k++) {
			rows = logunif(r, 20000, 120000);
			t = utc_us(g, d, pick_minute(s, r, s->start + 30,
			    s->end - 30));
			qq(o, g, &c, ST_STMT_RUN, &t, rows, r);
			look_add(g, o, d, "\"kind\":\"month_end\","
			    "\"employee\":\"%s\",\"rows\":%.0f", p->id, rows);
		}
}

/* An incident: the team reads a table none of them read, once. */
static void
work_incident(struct org *g, struct out *o, int i, int d, struct rng *r)
{
	const struct shift *s = &g->sh[i];
	const struct person *p = &g->p[i];
	struct conn c;
	double total;
	int k, n, j;
	int64_t t;

	for (j = 0; j < g->ninc; j++) {
		if (g->inc[j].day != d || g->inc[j].team != p->team ||
		    !s->on || !s->present || !chance(r, 0.9))
			continue;
		conn_personal(g, i, d + 200000, DB_PG, "breakglass_ro", "psql",
		    p->ip, &c);
		c.who = i;
		total = logunif(r, 200, 5000);
		n = irange(r, 1, 5);
		t = utc_us(g, d, range(r, 600, 960));
		s_emit(o, &c, DB_PG, "corebank", t - 30000000LL, -1);
		for (k = 0; k < n; k++)
			qq(o, g, &c, g->inc[j].st, &t, total / n, r);
		s_emit(o, &c, DB_PG, "corebank", t + 60000000LL, 0);
		look_add(g, o, d, "\"kind\":\"incident_day\",\"employee\":"
		    "\"%s\",\"team\":%d,\"table\":\"%s\",\"rows\":%.0f", p->id,
		    p->team, stmts[g->inc[j].st].tables[0], total);
	}
}

/* Everything person i does in the databases on local day d. */
static void
work_person(struct org *g, struct out *o, int i, int d)
{
	const struct shift *s = &g->sh[i];
	const struct person *p = &g->p[i];
	struct rng r;

	rng_init(&r, g->seed, R_WORK, i, d);
	if (p->dept == D_DWH)
		work_dwh(g, o, i, d, &r);
	else if (p->dept == D_IT) {
		work_it(g, o, i, d, &r);
		work_incident(g, o, i, d, &r);
	}
	if (!s->on || !s->present)
		return;
	switch (p->dept) {
	case D_CC:
	case D_VENDOR:
		work_contacts(g, o, i, d, &r);
		break;
	case D_BRANCH:
		work_branch(g, o, i, d, &r);
		break;
	case D_BO:
	case D_CARDOPS:
		work_items(g, o, i, d, &r);
		break;
	case D_FRAUD:
		work_fraud(g, o, i, d, &r);
		break;
	case D_RISK:
		work_risk(g, o, i, d, &r);
		break;
	case D_FINANCE:
	case D_HR:
	case D_MARKETING:
		work_office(g, o, i, d, &r);
		break;
	default:
		break;
	}
}

/* ---------------------------------------------------------------------
 * Network: each present person's flows, the leavers' last days, the
 * mail relay.
 */

/* Flow k of person i's day d: its start minute in the shift. */
static int64_t
flow_start(const struct org *g, const struct shift *s, int d,
    struct rng *r)
{
	return utc_us(g, d, pick_minute(s, r, s->start + 2, s->end - 5));
}

/* An upload: bytes out at a rate in MB/s. */
static void
upload(struct out *o, const char *src, int svc, int64_t t, double bytes,
    double mbps, uint64_t key)
{
	f_emit(o, src, svc, t, bytes / (mbps * MB) + 1.0, bytes,
	    bytes / 60 + 4000, key);
}

static void
net_person(struct org *g, struct out *o, int i, int d)
{
	static const int web[4] = { N_GOOGLE, N_MICROSOFT, N_NEWS, N_HTTP };
	static const int mail[3] = { N_GMAIL, N_OUTLOOKCOM, N_YAHOO };
	const struct shift *s = &g->sh[i];
	const struct person *p = &g->p[i];
	uint64_t key = key4(g->seed, R_NET, i, d);
	struct rng r;
	int n, k;

	if (o->counting)
		return;
	rng_init(&r, g->seed, R_NET, i, d);
	for (n = irange(&r, 1, depts[p->dept].locked ? 2 : 3), k = 0; k < n;
	    k++)
		f_emit(o, p->ip, N_TEAMS, flow_start(g, s, d, &r),
		    range(&r, 10, 180), lognorm(&r, 300e3, 1.0),
		    lognorm(&r, 600e3, 1.0), key++);
	for (n = depts[p->dept].locked ? irange(&r, 2, 8) :
	    irange(&r, 8, 35), k = 0; k < n; k++)
		f_emit(o, p->ip, web[irange(&r, 0, 3)], flow_start(g, s, d, &r),
		    range(&r, 1, 30), lognorm(&r, 8e3, 0.8),
		    lognorm(&r, 200e3, 1.2), key++);
	if (depts[p->dept].locked)
		return;
	if (chance(&r, 0.4))
		for (n = irange(&r, 1, 3), k = 0; k < n; k++)
			upload(o, p->ip, N_SHAREPOINT, flow_start(g, s, d, &r),
			    fmin(lognorm(&r, 0.5 * MB, 1.2), 200 * MB),
			    range(&r, 1, 10), key++);
	if (chance(&r, 0.3))
		f_emit(o, p->ip, N_UNKNOWN, flow_start(g, s, d, &r),
		    range(&r, 1, 20), lognorm(&r, 20e3, 1.0),
		    lognorm(&r, 50e3, 1.0), key++);
	if (p->webmail && chance(&r, 0.2))
		for (n = irange(&r, 1, 3), k = 0; k < n; k++)
			f_emit(o, p->ip, mail[i % 3], flow_start(g, s, d, &r),
			    range(&r, 5, 90), fmin(lognorm(&r, 200e3, 1.3),
			    20 * MB), lognorm(&r, 800e3, 1.0), key++);
	if (p->dept == D_IT) {
		for (n = irange(&r, 3, 15), k = 0; k < n; k++)
			f_emit(o, p->ip, N_GITHUB, flow_start(g, s, d, &r),
			    range(&r, 1, 40), lognorm(&r, 30e3, 1.5),
			    lognorm(&r, 300e3, 1.5), key++);
		for (n = irange(&r, 0, 10), k = 0; k < n; k++)
			f_emit(o, p->ip, N_DEBIAN, flow_start(g, s, d, &r),
			    range(&r, 2, 120), lognorm(&r, 20e3, 0.5),
			    logunif(&r, MB, 200 * MB), key++);
		if (p->s3 && chance(&r, 0.2))
			for (n = irange(&r, 1, 2), k = 0; k < n; k++)
				upload(o, p->ip, N_S3, flow_start(g, s, d, &r),
				    logunif(&r, 5 * MB, 1500 * MB),
				    range(&r, 5, 40), key++);
	}
	if (p->dept == D_MARKETING) {
		if (chance(&r, 0.5))
			for (n = irange(&r, 1, 3), k = 0; k < n; k++)
				upload(o, p->ip, N_GDRIVE,
				    flow_start(g, s, d, &r),
				    logunif(&r, 2 * MB, 80 * MB),
				    range(&r, 2, 10), key++);
		if (chance(&r, 0.03)) {
			double b = logunif(&r, 100 * MB, 1500 * MB);

			upload(o, p->ip, N_WETRANSFER, flow_start(g, s, d, &r),
			    b, range(&r, 3, 15), key++);
			look_add(g, o, d, "\"kind\":\"agency_transfer\","
			    "\"employee\":\"%s\",\"bytes\":%.0f", p->id, b);
		}
	}
	if (p->dept == D_DWH && chance(&r, 0.3))
		for (n = irange(&r, 1, 2), k = 0; k < n; k++)
			upload(o, p->ip, N_SHAREPOINT, flow_start(g, s, d, &r),
			    logunif(&r, MB, 40 * MB), range(&r, 2, 10), key++);
}

/* A leaver's last days: hand-over to SharePoint; for some, personal
 * files to their own cloud storage, once. */
static void
net_leaver(struct org *g, struct out *o, int i, int d)
{
	static const int cloud[4] = { N_DROPBOX, N_GDRIVE, N_MEGA, N_PCLOUD };
	const struct shift *s = &g->sh[i];
	const struct person *p = &g->p[i];
	uint64_t key = key4(g->seed, R_LEAVER, i, d);
	struct rng r, rd;
	double b;
	int n, k, day;

	if (o->counting || !p->leaver || d > p->last || d < p->last - 6 ||
	    depts[p->dept].locked || !s->on || !s->present)
		return;
	rng_init(&r, g->seed, R_LEAVER, i, d);
	if (chance(&r, 0.6)) {
		n = irange(&r, 1, 3);
		b = logunif(&r, 50 * MB, 300 * MB);
		for (k = 0; k < n; k++)
			upload(o, p->ip, N_SHAREPOINT, flow_start(g, s, d, &r),
			    b / n, range(&r, 3, 12), key++);
		look_add(g, o, d, "\"kind\":\"handover_upload\","
		    "\"employee\":\"%s\",\"bytes\":%.0f", p->id, b);
	}
	rng_init(&rd, g->seed, R_LEAVER, i, -1);
	day = p->last - irange(&rd, 0, 4);
	if (p->personal_files && d == day) {
		b = logunif(&r, 50 * MB, 800 * MB);
		upload(o, p->ip, cloud[i % 4], utc_us(g, d, s->end +
		    range(&r, 5, 60)), b, range(&r, 2, 8), key++);
		look_add(g, o, d, "\"kind\":\"leaver_personal_files\","
		    "\"employee\":\"%s\",\"bytes\":%.0f", p->id, b);
	}
}

/* Outbound mail from the relay, through the day, heavier in office
 * hours: the people's mail, never theirs by address. */
static void
net_mail(struct org *g, struct out *o, int d, int office)
{
	uint64_t key = key4(g->seed, R_MAIL, 0, d);
	struct rng r;
	int h, n, k, work = working_day(g, d);
	double bytes;

	if (o->counting)
		return;
	rng_init(&r, g->seed, R_MAIL, 0, d);
	for (h = 0; h < 24; h++) {
		n = poisson(&r, office * (work && h >= 8 && h < 18 ? 0.06 :
		    0.008));
		for (k = 0; k < n; k++) {
			bytes = fmin(lognorm(&r, 80e3, 1.5), 30 * MB);
			f_emit(o, "10.0.6.25", N_SMTP1 + irange(&r, 0, 2),
			    utc_us(g, d, h * 60 + range(&r, 0, 60)),
			    range(&r, 1, 10) + bytes / (5 * MB), bytes,
			    3000 + bytes / 200, key++);
		}
	}
}

/* ---------------------------------------------------------------------
 * Service accounts: the end-of-day batch, the warehouse load, the
 * weekly backup.
 */

static void
svc_conn(const struct org *g, int sv, int d, int db, const char *app,
    struct conn *c)
{
	char ip[16];
	const char *e = strchr(services[sv].ips, ';');
	size_t n = e ? (size_t)(e - services[sv].ips) :
	    strlen(services[sv].ips);

	snprintf(ip, sizeof(ip), "%.*s", (int)n, services[sv].ips);
	conn_personal(g, g->n + sv, d, db, services[sv].db_user, app, ip, c);
	c->who = -1;
}

static void
work_services(struct org *g, struct out *o, int d)
{
	static const int bk[5] = { ST_BK_CUST, ST_BK_ACC, ST_BK_ADDR,
	    ST_BK_KYC, ST_BK_PAN };
	static const double bkf[5] = { 1.0, 1.6, 1.2, 1.0, 0.9 };
	double cust = g->customers * (1 + 0.0004 * d), acc = cust * 1.6, rows;
	struct conn c;
	struct rng r;
	int64_t t, t0;
	int k;

	rng_init(&r, g->seed, R_SERVICE, 0, d);
	svc_conn(g, SV_EOD, d, DB_PG, "eod-batch", &c);
	t0 = t = utc_us(g, d, 1395 + range(&r, 0, 10));
	s_emit(o, &c, DB_PG, "corebank", t - 2000000, -1);
	q_emit(o, g, &c, ST_EOD, t + (int64_t)(acc * 20), acc, 0, &r);
	t += (int64_t)(acc * 20) + 5000000;
	s_emit(o, &c, DB_PG, "corebank", t, t - t0);
	svc_conn(g, SV_DWHLOAD, d, DB_PG, "dwh-loader", &c);
	t0 = t = utc_us(g, d, 90 + range(&r, 0, 5));
	s_emit(o, &c, DB_PG, "corebank", t - 2000000, -1);
	rows = acc * 0.03 * (weekday(g->day0 + d - 1) < 5 ? 1.0 : 0.6) *
	    lognorm(&r, 1.0, 0.1);
	t += (int64_t)(rows * 30);
	q_emit(o, g, &c, ST_ETL_TXN, t, rows, 0, &r);
	rows = irange(&r, 1000, 5000);
	t += (int64_t)(rows * 60) + 1000000;
	q_emit(o, g, &c, ST_ETL_CUST, t, rows, 0, &r);
	s_emit(o, &c, DB_PG, "corebank", t + 1000000, t + 1000000 - t0);
	if (weekday(g->day0 + d) != 6)
		return;
	svc_conn(g, SV_BACKUP, d, DB_PG, "pg_dump", &c);
	t0 = t = utc_us(g, d, 120 + range(&r, 0, 3));
	s_emit(o, &c, DB_PG, "corebank", t - 1000000, -1);
	for (k = 0; k < 5; k++) {
		rows = cust * bkf[k];
		t += (int64_t)(rows * 25);
		q_emit(o, g, &c, bk[k], t, rows, 0, &r);
	}
	s_emit(o, &c, DB_PG, "corebank", t + 2000000, t + 2000000 - t0);
}

/* ---------------------------------------------------------------------
 * Insider scenarios: who, when and how much, then their events.
 */

/* Free for a scenario: not a lead, a joiner, a leaver or taken. */
static int
eligible(const struct org *g, int i)
{
	const struct person *p = &g->p[i];

	return !p->lead && !p->joiner && !p->leaver && p->scen < 0;
}

/* A uniformly drawn person of the departments in mask, or -1. */
static int
pick_person(const struct org *g, struct rng *r, unsigned mask,
    int need_login)
{
	int i, n = 0, k;

	for (i = 0; i < g->n; i++)
		if ((mask >> g->p[i].dept & 1) && eligible(g, i) &&
		    (!need_login || g->p[i].login[0] != '\0'))
			n++;
	if (n == 0)
		return -1;
	k = irange(r, 0, n - 1);
	for (i = 0; i < g->n; i++)
		if ((mask >> g->p[i].dept & 1) && eligible(g, i) &&
		    (!need_login || g->p[i].login[0] != '\0') && k-- == 0)
			return i;
	return -1;
}

static void
cancel_leave(struct person *p, int from, int to)
{
	if (p->vac_to > from && p->vac_from <= to)
		p->vac_from = p->vac_to = INT_MIN / 2;
}

/* Days in [from, to] on which person i is rostered and turns up. */
static int
present_days(const struct org *g, int i, int from, int to, int *out,
    int max)
{
	struct shift s;
	int d, n = 0;

	for (d = from; d <= to && n < max; d++) {
		roster(g, i, d, &s);
		if (s.on && s.present)
			out[n++] = d;
	}
	return n;
}

#define BIT(k)	(1u << (k))

/* b: the weekend dump. */
static void
pick_b(struct org *g, struct scen *sc, struct rng *r)
{
	static const int mail[4] = { N_GMAIL, N_OUTLOOKCOM, N_YAHOO,
	    N_PROTON };
	struct shift s;
	int i, d = -1, tries;
	double u;

	i = pick_person(g, r, BIT(D_BO) | BIT(D_CARDOPS) | BIT(D_DWH) |
	    BIT(D_FRAUD) | BIT(D_RISK), 1);
	if (i < 0 || g->days < 10)
		return;
	for (tries = 0; tries < 200; tries++) {
		d = irange(r, 7, g->days - 2);
		roster(g, i, d, &s);
		if (weekday(g->day0 + d) >= 5 && !s.on)
			break;
	}
	if (tries == 200)
		return;
	cancel_leave(&g->p[i], d, d);
	sc->on = 1;
	sc->who = i;
	sc->start = sc->end = d;
	sc->hour = irange(r, 540, 1200);
	sc->rows = logunif(r, 20000, 250000);
	u = unif(r);
	sc->svc = mail[u < 0.5 ? 0 : u < 0.75 ? 1 : u < 0.9 ? 2 : 3];
	sc->bpr = range(r, 120, 400);
	sc->comp = range(r, 0.25, 0.7);
	sc->st = g->p[i].dept == D_CARDOPS ? ST_CARD_DUMP :
	    g->p[i].dept == D_DWH ? ST_DWH_DUMP : chance(r, 0.3) ?
	    ST_DUMP_COPY : ST_DUMP_PAGE;
}

/* c: the leaver's trickle; the upload days are planned here. */
static void
pick_c(struct org *g, struct scen *sc, struct rng *r)
{
	static const int cloud[5] = { N_DROPBOX, N_MEGA, N_GDRIVE, N_PCLOUD,
	    N_GMAIL };
	struct person *p;
	struct shift s;
	int i, d, n, days[64], k, lo;
	double u;

	i = pick_person(g, r, BIT(D_BO) | BIT(D_CARDOPS) | BIT(D_DWH) |
	    BIT(D_IT) | BIT(D_RISK) | BIT(D_FINANCE) | BIT(D_HR) |
	    BIT(D_MARKETING) | BIT(D_FRAUD), 0);
	if (i < 0 || g->days < 16)
		return;
	p = &g->p[i];
	lo = (int)(0.4 * g->days) > 14 ? (int)(0.4 * g->days) : 14;
	sc->leave = irange(r, lo, g->days - 1);
	sc->window = irange(r, 8, 25);
	sc->p_up = range(r, 0.5, 0.9);
	u = unif(r);
	sc->svc = cloud[u < 0.3 ? 0 : u < 0.55 ? 1 : u < 0.8 ? 2 : u < 0.9 ?
	    3 : 4];
	p->last = sc->leave;
	p->leaver = 1;
	p->personal_files = 0;
	/* the window: the last `window` rostered days up to the leave day */
	for (d = sc->leave, n = 0; d >= 0 && n < sc->window; d--) {
		roster(g, i, d, &s);
		n += s.on;
	}
	cancel_leave(p, d + 1, sc->leave);
	n = present_days(g, i, d + 1, sc->leave, days, 64);
	for (k = 0, sc->nplan = 0; k < n; k++)
		if (chance(r, sc->p_up))
			sc->plan[sc->nplan++] = days[k];
	if (sc->nplan < 2 && n >= 2) {
		sc->plan[0] = days[n - 2];
		sc->plan[1] = days[n - 1];
		sc->nplan = 2;
	}
	if (sc->nplan == 0)
		return;
	sc->on = 1;
	sc->who = i;
	sc->start = sc->plan[0];
	sc->end = sc->plan[sc->nplan - 1];
}

/* e: a colleague's account from the thief's desk. */
static void
pick_e(struct org *g, struct scen *sc, struct rng *r)
{
	int owner, i, days[16], n, k, j, tmp, last;

	owner = pick_person(g, r, BIT(D_BO) | BIT(D_CARDOPS) | BIT(D_DWH) |
	    BIT(D_FRAUD), 1);
	if (owner < 0 || g->days < 16)
		return;
	g->p[owner].scen = SC_E;	/* not the thief too */
	i = pick_person(g, r, BIT(D_CC) | BIT(D_VENDOR) | BIT(D_BRANCH) |
	    BIT(D_IT), 0);
	g->p[owner].scen = -1;
	if (i < 0)
		return;
	sc->start = irange(r, 5, g->days - 10);
	last = sc->start + 13 < g->days - 1 ? sc->start + 13 : g->days - 1;
	cancel_leave(&g->p[i], sc->start, last);
	n = present_days(g, i, sc->start, last, days, 16);
	if (n == 0)
		return;
	sc->nsess = irange(r, 2, 6);
	if (sc->nsess > n)
		sc->nsess = n;
	/* a random subset of the present days, in order */
	for (k = 0; k < sc->nsess; k++) {
		j = irange(r, k, n - 1);
		tmp = days[k];
		days[k] = days[j];
		days[j] = tmp;
	}
	for (k = 1; k < sc->nsess; k++)
		for (j = k; j > 0 && days[j - 1] > days[j]; j--) {
			tmp = days[j];
			days[j] = days[j - 1];
			days[j - 1] = tmp;
		}
	memcpy(sc->sess, days, (size_t)sc->nsess * sizeof(int));
	sc->on = 1;
	sc->who = i;
	sc->owner = owner;
	sc->start = sc->sess[0];
	sc->end = sc->sess[sc->nsess - 1];
	sc->rows = logunif(r, 4000, 40000);
	sc->per_sess = sc->rows / sc->nsess;
	k = g->p[owner].dept;
	sc->st = k == D_BO ? ST_BORROW_KYC : k == D_CARDOPS ? ST_BORROW_PAN :
	    k == D_DWH ? ST_BORROW_DWH : ST_BORROW_CUST;
}

/* The median of a person's measured days with sensitive reads; 0 when
 * fewer than five. */
static double
normal_of(const struct org *g, const float *acc, int i, int ndays)
{
	double v[ACC_DAYS];
	int d, n = 0;

	(void)g;
	for (d = 0; d < ndays; d++)
		if (acc[(size_t)i * ACC_DAYS + (size_t)d] > 0)
			v[n++] = acc[(size_t)i * ACC_DAYS + (size_t)d];
	if (n < 5)
		return 0;
	qsort(v, (size_t)n, sizeof(v[0]), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/*
 * a and a_ramp: the quiet siphon, sized against the person's own normal
 * and their department's, both measured on the counting pass.
 */
static void
pick_a(struct org *g, struct scen *sc, struct rng *r, const float *acc,
    int ndays)
{
	static const int from[5] = { D_CC, D_VENDOR, D_BRANCH, D_BO,
	    D_CARDOPS };
	double *nv, best = HUGE_VAL, target, x, *peers;
	int i, k, dept, ok[5], nok = 0, npeer = 0, who = -1, dur;

	nv = xcalloc_or_die((size_t)g->n, sizeof(*nv));
	peers = xcalloc_or_die((size_t)g->n, sizeof(*peers));
	for (i = 0; i < g->n; i++)
		nv[i] = normal_of(g, acc, i, ndays);
	for (k = 0; k < 5; k++) {
		for (i = 0, npeer = 0; i < g->n; i++)
			if (g->p[i].dept == from[k] && eligible(g, i) &&
			    nv[i] > 0)
				npeer++;
		if (npeer >= 3)
			ok[nok++] = from[k];
	}
	if (nok == 0)
		goto done;
	dept = ok[irange(r, 0, nok - 1)];
	for (i = 0, npeer = 0; i < g->n; i++)
		if (g->p[i].dept == dept && !g->p[i].lead && nv[i] > 0)
			peers[npeer++] = nv[i];
	qsort(peers, (size_t)npeer, sizeof(peers[0]), cmp_double);
	sc->peer_med = npeer % 2 ? peers[npeer / 2] :
	    (peers[npeer / 2 - 1] + peers[npeer / 2]) / 2;
	sc->k_own = range(r, 1.5, 6.0);
	sc->k_peer = range(r, 0.5, 5.0);
	sc->extra = sc->k_peer * sc->peer_med;
	sc->extra = sc->extra < 200 ? 200 : sc->extra > 5000 ? 5000 :
	    sc->extra;
	target = sc->extra / (sc->k_own - 1);
	for (i = 0; i < g->n; i++) {
		if (g->p[i].dept != dept || !eligible(g, i) || nv[i] <= 0)
			continue;
		x = fabs(log(nv[i]) - log(target));
		if (x < best) {
			best = x;
			who = i;
		}
	}
	if (who < 0)
		goto done;
	sc->on = 1;
	sc->who = who;
	sc->normal = nv[who];
	/* what was realised: the ratios the chosen person really has */
	sc->k_own = (sc->normal + sc->extra) / sc->normal;
	sc->k_peer = sc->extra / sc->peer_med;
	sc->start = irange(r, -28, g->days - 14);
	dur = chance(r, 0.5) ? g->days + 28 : irange(r, 21, 56);
	sc->end = sc->start + dur - 1;
	if (sc->end < (sc->start > 0 ? sc->start : 0) + 9)
		sc->end = (sc->start > 0 ? sc->start : 0) + 9;
	if (sc->end > g->days - 1)
		sc->end = g->days - 1;
	sc->p_act = range(r, 0.6, 1.0);
	sc->growth = sc->kind == SC_A_RAMP ? range(r, 0.05, 0.25) : 0;
	sc->st = dept == D_BO ? ST_KYC_QUEUE : dept == D_CARDOPS ?
	    ST_CARD_BIN : ST_CUST_SEARCH;
	cancel_leave(&g->p[who], sc->start, sc->end);
done:
	free(nv);
	free(peers);
}

/* Counts what a scenario event put inside the data. */
static void
realised(const struct org *g, struct scen *sc, int64_t ts, double rows,
    double bytes, int flows)
{
	int d = local_day(g, ts);

	if (d < 0 || d >= g->days)
		return;
	sc->r_rows += (uint64_t)(rows + 0.5);
	sc->r_queries += rows > 0;
	sc->r_bytes += (uint64_t)bytes;
	sc->r_flows += (uint64_t)flows;
	if (sc->r_first < 0 || d < sc->r_first)
		sc->r_first = d;
	if (d > sc->r_last)
		sc->r_last = d;
}

static void
scen_a_day(struct org *g, struct out *o, struct scen *sc, int d)
{
	const struct shift *s = &g->sh[sc->who];
	double extra, rows, lo, hi;
	struct conn c;
	struct rng r;
	int64_t t;

	if (d < sc->start || d > sc->end || !s->on || !s->present)
		return;
	rng_init(&r, g->seed, R_SCENDAY, sc->kind, d);
	if (!chance(&r, sc->p_act))
		return;
	extra = sc->extra;
	if (sc->kind == SC_A_RAMP)
		extra = fmin(3 * sc->extra, 0.5 * sc->extra *
		    pow(1 + sc->growth, (d - sc->start) / 7.0));
	extra *= lognorm(&r, 1.0, 0.25);
	lo = sc->st == ST_KYC_QUEUE ? 20 : 10;
	hi = sc->st == ST_KYC_QUEUE ? 100 : sc->st == ST_CARD_BIN ? 50 : 25;
	while (extra >= 1) {
		rows = fmin(extra, (double)irange(&r, (int)lo, (int)hi));
		extra -= rows;
		conn_own(g, sc->who, d, DB_PG, &r, &c);
		t = utc_us(g, d, pick_minute(s, &r, s->start + 10,
		    s->end - 20));
		q_emit(o, g, &c, sc->st, t, rows, 0, &r);
		realised(g, sc, t, rows, 0, 0);
	}
}

static void
scen_b_day(struct org *g, struct out *o, struct scen *sc, int d)
{
	const struct person *p = &g->p[sc->who];
	int db = stmts[sc->st].db;
	const char *database = db == DB_PG ? "corebank" : "dwh";
	double left = sc->rows, rows, bytes, size, secs;
	struct conn c;
	struct rng r;
	int64_t t, t0;
	uint64_t key = key4(g->seed, R_SCEN + 100, SC_B, d);

	if (d != sc->start)
		return;
	rng_init(&r, g->seed, R_SCENDAY, SC_B, d);
	conn_personal(g, sc->who, d + 300000, db, p->login,
	    depts[p->dept].tool, p->ip, &c);
	t0 = t = utc_us(g, d, sc->hour);
	s_emit(o, &c, db, database, t - 20000000, -1);
	while (left >= 1) {
		rows = sc->st == ST_DUMP_COPY ? left :
		    fmin(left, (double)irange(&r, 5000, 25000));
		left -= rows;
		t += (int64_t)(range(&r, 20, 120) * 1e6 + rows * 40);
		q_emit(o, g, &c, sc->st, t, rows, 0, &r);
		realised(g, sc, t, rows, 0, 0);
	}
	s_emit(o, &c, db, database, t + 15000000, t + 15000000 - t0 +
	    20000000);
	bytes = sc->rows * sc->bpr * sc->comp;
	t += (int64_t)(range(&r, 5, 90) * MIN_US);
	while (bytes >= 1) {
		size = fmin(bytes, range(&r, 18, 25) * MB);
		bytes -= size;
		secs = size / (range(&r, 2, 6) * MB) + 2;
		f_emit(o, p->ip, sc->svc, t, secs, size, size / 40 + 30000,
		    key++);
		realised(g, sc, t + (int64_t)(secs * 1e6), 0, size, 1);
		t += (int64_t)((secs + range(&r, 60, 180)) * 1e6);
	}
	sc->end = local_day(g, t);
}

static void
scen_c_day(struct org *g, struct out *o, struct scen *sc, int d)
{
	const struct shift *s = &g->sh[sc->who];
	const struct person *p = &g->p[sc->who];
	uint64_t key = key4(g->seed, R_SCEN + 100, SC_C, d);
	double size, u, m, rate;
	struct rng r;
	int k, n, planned = 0;
	int64_t t;

	for (k = 0; k < sc->nplan; k++)
		planned |= sc->plan[k] == d;
	if (!planned)
		return;
	rng_init(&r, g->seed, R_SCENDAY, SC_C, d);
	for (n = irange(&r, 1, 4), k = 0; k < n; k++) {
		size = sc->svc == N_GMAIL ? logunif(&r, 5 * MB, 25 * MB) :
		    logunif(&r, 15 * MB, 400 * MB);
		u = unif(&r);
		m = u < 0.3 ? range(&r, 720, 810) : u < 0.9 ?
		    s->end + range(&r, 0, 90) : s->start - range(&r, 0, 30);
		rate = range(&r, 2, 8);
		t = utc_us(g, d, m);
		upload(o, p->ip, sc->svc, t, size, rate, key++);
		realised(g, sc, t, 0, size, 1);
	}
}

static void
scen_e_day(struct org *g, struct out *o, struct scen *sc, int d)
{
	const struct shift *s = &g->sh[sc->who];
	const struct person *p = &g->p[sc->who], *w = &g->p[sc->owner];
	int db = stmts[sc->st].db, k, today = 0, n;
	const char *database = db == DB_PG ? "corebank" : "dwh";
	double left, rows, m, gap;
	struct conn c;
	struct rng r;
	int64_t t, t0;

	for (k = 0; k < sc->nsess; k++)
		today |= sc->sess[k] == d;
	if (!today || !s->on || !s->present)
		return;
	rng_init(&r, g->seed, R_SCENDAY, SC_E, d);
	m = p->dept == D_CC || p->dept == D_VENDOR ?
	    range(&r, s->start + 60, s->end - 120) : range(&r, 1170, 1350);
	left = sc->per_sess * lognorm(&r, 1.0, 0.2);
	n = (int)(left / 1000) + 1;
	gap = range(&r, 20, 90) * 60 / n;
	conn_personal(g, sc->who, d + 400000, db, w->login, "DBeaver 24.0.3",
	    p->ip, &c);
	c.who = -1;
	t0 = t = utc_us(g, d, m);
	s_emit(o, &c, db, database, t, -1);
	while (left >= 1) {
		rows = fmin(left, (double)irange(&r, 250, 2000));
		left -= rows;
		t += (int64_t)(range(&r, 0.5, 1.5) * gap * 1e6);
		q_emit(o, g, &c, sc->st, t, rows, 0, &r);
		realised(g, sc, t, rows, 0, 0);
	}
	s_emit(o, &c, db, database, t + 30000000, t + 30000000 - t0);
}

static void
scen_day(struct org *g, struct out *o, int d)
{
	struct scen *sc;
	int k;

	for (k = 0; k < NSCEN; k++) {
		sc = &g->sc[k];
		if (!sc->on)
			continue;
		switch (sc->kind) {
		case SC_A:
		case SC_A_RAMP:
			scen_a_day(g, o, sc, d);
			break;
		case SC_B:
			scen_b_day(g, o, sc, d);
			break;
		case SC_C:
			scen_c_day(g, o, sc, d);
			break;
		default:
			scen_e_day(g, o, sc, d);
			break;
		}
	}
}

/* One local day of the whole organisation. */
static void
run_day(struct org *g, struct out *o, int d)
{
	int i, office = 0;

	day_roster(g, d);
	for (i = 0; i < g->n; i++) {
		work_person(g, o, i, d);
		if (g->sh[i].on && g->sh[i].present) {
			net_person(g, o, i, d);
			office += !depts[g->p[i].dept].locked;
		}
		net_leaver(g, o, i, d);
	}
	work_services(g, o, d);
	if (o->counting)
		return;
	net_mail(g, o, d, office);
	scen_day(g, o, d);
}

/* ---------------------------------------------------------------------
 * The side files.
 */

static FILE *
open_out(const char *dir, const char *name)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((f = fopen(path, "w")) == NULL)
		die("%s: %s", path, strerror(errno));
	return f;
}

static void
close_out(FILE *f, const char *name)
{
	if (ferror(f) || fclose(f) != 0)
		die("%s: write error", name);
}

static const char *
role_of(const struct person *p)
{
	static const char *const it[] = { "engineer", "developer",
	    "app_support", "dba", "ops_engineer", "auditor" };

	if (p->lead)
		return depts[p->dept].lead_role;
	if (p->dept == D_IT)
		return it[p->sub];
	if (p->sub == SUB_AUDITOR)
		return "auditor";
	return depts[p->dept].role;
}

static void
offset_str(const struct org *g, char *buf, size_t len)
{
	int m = g->off_min < 0 ? -g->off_min : g->off_min;

	snprintf(buf, len, "%c%02d:%02d", g->off_min < 0 ? '-' : '+', m / 60,
	    m % 60);
}

/* directory.csv: lwsim's ten columns in its order, then aliases. */
static void
write_directory(const struct org *g, const char *dir)
{
	FILE *f = open_out(dir, "directory.csv");
	const struct person *p;
	char start[16], leave[16];
	int i;

	fprintf(f, "employee,name,department,role,manager,db_users,ips,"
	    "hostnames,start,leave,aliases\n");
	for (i = 0; i < g->n; i++) {
		p = &g->p[i];
		date_str(p->start_date, start, sizeof(start));
		leave[0] = '\0';
		if (p->last < INT_MAX / 2)
			date_str(g->day0 + p->last, leave, sizeof(leave));
		fprintf(f, "%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s\n", p->id, p->name,
		    depts[p->dept].name, role_of(p), p->manager >= 0 ?
		    g->p[p->manager].id : "", p->login, p->ip, p->host, start,
		    leave, p->alias);
	}
	for (i = 0; i < NSV; i++)
		fprintf(f, "%s,%s,,service,,%s,%s,%s,2019-03-01,,\n",
		    services[i].id, services[i].name, services[i].db_user,
		    services[i].ips, services[i].host);
	close_out(f, "directory.csv");
}

static void
write_labels(const struct org *g, const char *dir)
{
	FILE *f = open_out(dir, "labels.jsonl");
	const struct scen *sc;
	const struct person *p;
	char a[16], b[16];
	int k, start, end;

	for (k = 0; k < NSCEN; k++) {
		sc = &g->sc[k];
		if (!sc->on)
			continue;
		p = &g->p[sc->who];
		start = sc->start;
		end = sc->end;
		date_str(g->day0 + start, a, sizeof(a));
		date_str(g->day0 + end, b, sizeof(b));
		fprintf(f, "{\"employee\":\"%s\",\"scenario\":\"%s\","
		    "\"type\":\"%s\",\"start_day\":%d,\"end_day\":%d,"
		    "\"start\":\"%s\",\"end\":\"%s\",\"department\":\"%s\","
		    "\"host\":\"%s\"", p->id, scen_names[k].name,
		    scen_names[k].type, start, end, a, b, depts[p->dept].name,
		    p->host);
		switch (sc->kind) {
		case SC_A:
		case SC_A_RAMP:
			fprintf(f, ",\"table\":\"%s\",\"shape\":\"%s\","
			    "\"k_own\":%.2f,\"k_peer\":%.2f,"
			    "\"normal_rows\":%.0f,\"peer_median_rows\":%.0f,"
			    "\"extra_rows_per_day\":%.0f,\"p_active\":%.2f,"
			    "\"growth\":%.3f,\"via\":\"%s\"",
			    stmts[sc->st].tables[stmts[sc->st].tables[1] ?
			    1 : 0], sc->kind == SC_A_RAMP ? "ramp" :
			    sc->p_act >= 0.9 ? "steady" : "intermittent",
			    sc->k_own, sc->k_peer, sc->normal, sc->peer_med,
			    sc->extra, sc->p_act, sc->growth,
			    depts[p->dept].channel == CH_PERSONAL ?
			    "personal_account" : "application");
			break;
		case SC_B:
			fprintf(f, ",\"table\":\"%s\",\"webmail\":\"%s\","
			    "\"rows\":%.0f", stmts[sc->st].tables[0],
			    svcs[sc->svc].server, sc->rows);
			break;
		case SC_C:
			fprintf(f, ",\"leave\":\"%s\",\"destination\":\"%s\","
			    "\"upload_days\":%d", b, svcs[sc->svc].server,
			    sc->nplan);
			break;
		default:
			fprintf(f, ",\"account_owner\":\"%s\","
			    "\"db_user\":\"%s\",\"table\":\"%s\","
			    "\"sessions\":%d",
			    g->p[sc->owner].id, g->p[sc->owner].login,
			    stmts[sc->st].tables[0], sc->nsess);
			break;
		}
		fprintf(f, ",\"extra_rows_total\":%" PRIu64 ",\"queries\":%"
		    PRIu64 ",\"upload_bytes\":%" PRIu64 ",\"flows\":%" PRIu64
		    "}\n", sc->r_rows, sc->r_queries, sc->r_bytes, sc->r_flows);
	}
	close_out(f, "labels.jsonl");
}

/* Employee-days as lwscore counts them: days in [start, leave). */
static long long
employee_days(const struct org *g)
{
	long long n = 0;
	int i, d;

	for (i = 0; i < g->n; i++)
		for (d = 0; d < g->days; d++)
			if (g->day0 + d >= g->p[i].start_date &&
			    d < g->p[i].last)
				n++;
	return n;
}

static void
write_meta(const struct org *g, const struct out *o, const char *dir)
{
	FILE *f = open_out(dir, "meta.json");
	char date[16], off[16];
	int k;

	date_str(g->day0, date, sizeof(date));
	offset_str(g, off, sizeof(off));
	fprintf(f, "{\"generator\":\"lworg\",\"seed\":%" PRIu64 ","
	    "\"employees\":%d,\"service_accounts\":%d,\"days\":%d,"
	    "\"start\":\"%s\",\"utc_offset\":\"%s\",\"utc_offset_min\":%d,"
	    "\"holidays\":[", g->seed, g->n, NSV, g->days, date, off,
	    g->off_min);
	for (k = 0; k < g->nhol; k++) {
		date_str(g->day0 + g->hol[k], date, sizeof(date));
		fprintf(f, "%s\"%s\"", k ? "," : "", date);
	}
	fprintf(f, "],\"rate_sigma\":%.3f,\"departments\":{", g->sigma);
	for (k = 0; k < NDEPT; k++)
		fprintf(f, "%s\"%s\":%d", k ? "," : "", depts[k].name,
		    g->size[k]);
	fprintf(f, "},\"employee_days\":%lld,\"db_query\":%" PRIu64 ","
	    "\"db_session\":%" PRIu64 ",\"net_flow\":%" PRIu64 ","
	    "\"bytes\":%" PRIu64 ",\"events\":%" PRIu64 "}\n",
	    employee_days(g), o->n[EV_QUERY], o->n[EV_SESSION], o->n[EV_FLOW],
	    o->bytes, o->n[0] + o->n[1] + o->n[2]);
	close_out(f, "meta.json");
}

/* The collector options the organisation needs, on stdout and in
 * sensitive.args. */
static void
write_args(const struct org *g, const char *dir)
{
	FILE *f = open_out(dir, "sensitive.args");
	char off[16];
	size_t i;

	offset_str(g, off, sizeof(off));
	fprintf(f, "--utc-offset %s\n", off);
	printf("--utc-offset %s\n", off);
	for (i = 0; i < NMARKS; i++) {
		fprintf(f, "--sensitive %s=%s\n", marks[i][0], marks[i][1]);
		printf("--sensitive %s=%s\n", marks[i][0], marks[i][1]);
	}
	close_out(f, "sensitive.args");
}

/* ---------------------------------------------------------------------
 * main
 */

static void
usage(void)
{
	fprintf(stderr, "usage: lworg --seed N --out DIR [--employees N] "
	    "[--days N] [--start YYYY-MM-DD]\n"
	    "             [--scenarios a,a_ramp,b,c,e|all|none] "
	    "[--validate]\n");
	exit(2);
}

static long long
num(const char *opt, const char *s, long long lo, long long hi)
{
	long long v;

	if (parse_ll(s, lo, hi, &v) != 0)
		die("%s: expected a number from %lld to %lld", opt, lo, hi);
	return v;
}

static unsigned
parse_scenarios(const char *s)
{
	const char *e;
	unsigned mask = 0;
	size_t n;
	int k;

	if (strcmp(s, "all") == 0)
		return (1u << NSCEN) - 1;
	if (strcmp(s, "none") == 0)
		return 0;
	for (; *s != '\0'; s = *e == ',' ? e + 1 : e) {
		e = s + strcspn(s, ",");
		n = (size_t)(e - s);
		for (k = 0; k < NSCEN; k++)
			if (strlen(scen_names[k].name) == n &&
			    strncmp(s, scen_names[k].name, n) == 0)
				break;
		if (k == NSCEN)
			die("--scenarios: unknown scenario \"%.*s\"",
			    (int)(n > 32 ? 32 : n), s);
		mask |= 1u << k;
	}
	return mask;
}

static double
seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int
main(int argc, char **argv)
{
	struct org g;
	struct out o;
	struct rng r;
	const char *dir = NULL;
	long long seed = -1;
	int n = 1000, days = 60, validate = 0, d, k, nd;
	int64_t start = -1;
	unsigned mask = (1u << NSCEN) - 1;
	double t0 = seconds();
	char path[4096];

	for (k = 1; k < argc; k++) {
		if (strcmp(argv[k], "--validate") == 0) {
			validate = 1;
			continue;
		}
		if (k + 1 >= argc)
			usage();
		if (strcmp(argv[k], "--seed") == 0)
			seed = num("--seed", argv[++k], 0, LLONG_MAX);
		else if (strcmp(argv[k], "--out") == 0)
			dir = argv[++k];
		else if (strcmp(argv[k], "--employees") == 0)
			n = (int)num("--employees", argv[++k], 50, MAX_EMP);
		else if (strcmp(argv[k], "--days") == 0)
			days = (int)num("--days", argv[++k], 7, 400);
		else if (strcmp(argv[k], "--start") == 0) {
			if (date_parse(argv[++k], &start) != 0)
				die("--start: expected YYYY-MM-DD");
		} else if (strcmp(argv[k], "--scenarios") == 0)
			mask = parse_scenarios(argv[++k]);
		else
			usage();
	}
	if (seed < 0 || dir == NULL)
		usage();
	if (mkdir(dir, 0755) != 0 && errno != EEXIST)
		die("%s: %s", dir, strerror(errno));
	org_build(&g, (uint64_t)seed, n, days, start);
	for (k = 0; k < NSCEN; k++) {
		g.sc[k].kind = k;
		g.sc[k].r_first = g.sc[k].r_last = -1;
	}
	/* b, c and e first: they change their people's calendars */
	for (k = SC_B; k < NSCEN; k++) {
		if (!(mask >> k & 1))
			continue;
		rng_init(&r, g.seed, R_SCEN, k, 0);
		if (k == SC_B)
			pick_b(&g, &g.sc[k], &r);
		else if (k == SC_C)
			pick_c(&g, &g.sc[k], &r);
		else
			pick_e(&g, &g.sc[k], &r);
		if (g.sc[k].on)
			g.p[g.sc[k].who].scen = k;
	}
	/* the counting pass: everyone's normal, for the siphons' size */
	memset(&o, 0, sizeof(o));
	o.counting = 1;
	o.g = &g;
	nd = days < ACC_DAYS ? days : ACC_DAYS;
	if (mask & 3) {
		o.acc = xcalloc_or_die((size_t)n * ACC_DAYS, sizeof(*o.acc));
		for (d = -1; d < nd; d++)
			run_day(&g, &o, d);
		for (k = SC_A; k <= SC_A_RAMP; k++) {
			if (!(mask >> k & 1))
				continue;
			rng_init(&r, g.seed, R_SCEN, k, 0);
			pick_a(&g, &g.sc[k], &r, o.acc, nd);
			if (g.sc[k].on)
				g.p[g.sc[k].who].scen = k;
		}
		free(o.acc);
	}
	/* the output pass */
	memset(&o, 0, sizeof(o));
	o.g = &g;
	o.validate = validate;
	o.t0 = utc_us(&g, 0, 0);
	o.t_end = utc_us(&g, days, 0);
	snprintf(path, sizeof(path), "%s/events.jsonl", dir);
	if ((o.f = fopen(path, "w")) == NULL)
		die("%s: %s", path, strerror(errno));
	for (d = -1; d < days; d++) {
		run_day(&g, &o, d);
		out_flush(&o, utc_us(&g, d + 1, 0));
	}
	out_flush(&o, o.t_end);
	close_out(o.f, "events.jsonl");
	write_directory(&g, dir);
	write_labels(&g, dir);
	write_meta(&g, &o, dir);
	write_args(&g, dir);
	{
		FILE *f = open_out(dir, "lookalikes.jsonl");

		if (g.look.len > 0 && fwrite(g.look.p, 1, g.look.len, f) !=
		    g.look.len)
			die("lookalikes.jsonl: write error");
		close_out(f, "lookalikes.jsonl");
	}
	fprintf(stderr, "lworg: %" PRIu64 " events (%" PRIu64 " db.query, %"
	    PRIu64 " db.session, %" PRIu64 " net.flow), %" PRIu64 " bytes, "
	    "%d employees x %d days, UTC%+d:%02d, %d scenarios, %.2f s%s\n",
	    o.n[0] + o.n[1] + o.n[2], o.n[EV_QUERY], o.n[EV_SESSION],
	    o.n[EV_FLOW], o.bytes, n, days, g.off_min / 60,
	    abs(g.off_min % 60), g.sc[0].on + g.sc[1].on + g.sc[2].on +
	    g.sc[3].on + g.sc[4].on, seconds() - t0, o.invalid ?
	    ", INVALID EVENTS" : "");
	free(o.rec);
	free(o.text.p);
	free(o.spare.p);
	free(g.look.p);
	free(g.p);
	free(g.sh);
	free(g.t);
	free(g.g);
	return o.invalid ? 1 : 0;
}
