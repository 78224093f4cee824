/*
 * lwsim: the organisation simulator behind the detection gate and
 * `make bench-detect`. It makes up a company - departments with their own
 * habits, weekends, holidays, vacations, joiners, leavers, night shifts,
 * service accounts, legitimate bulk jobs - and writes what leakwatch's
 * agents would have reported about it: db.query events as the database
 * agent emits them and net.flow records as the egress agent emits them,
 * in time order. Into that it injects insider scenarios (slow theft, a
 * ramping slow theft, smash-and-grab, a leaver's upload, DNS tunnelling,
 * a borrowed database account) and writes where and when each one is, so
 * lwscore can measure what the collector caught.
 *
 *   lwsim --seed N --out DIR [--employees 1000] [--days 60]
 *         [--start 2026-01-05] [--scenarios a,a_ramp,b,c,d,e|all|none]
 *         [--count-per-scenario 1] [--jitter 0.5] [--set NAME=VALUE]...
 *         [--holidays YYYY-MM-DD,...|none] [--validate]
 *         [--aggregate SECONDS]
 *
 * DIR receives events.jsonl, directory.csv, labels.jsonl, lookalikes.jsonl,
 * meta.json and sensitive.args; the --sensitive arguments are also printed
 * on stdout, one per line. docs/simulator.md describes the organisation,
 * every scenario and parameter.
 *
 * It is not a model of any real company and not a load generator for the
 * live path: it writes files. Every random draw comes from xoshiro256**
 * streams seeded from (seed, person, day, purpose), so one seed gives the
 * same bytes every time, and enabling a scenario leaves everybody else's
 * background events as they were. Events are generated one day at a time
 * into a ring of per-day buckets, sorted, and written, so memory stays
 * proportional to a day of events, not the whole run.
 *
 * --aggregate SECONDS writes the same organisation with its db.query
 * events folded the way the database agent folds them (`count`,
 * docs/events.md; fold_day() below): a second implementation of that
 * contract, written from the contract alone, which the collector's
 * identity test takes as its reference.
 */
#include <errno.h>
#include <limits.h>
#include <sys/stat.h>

#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "leakwatch/event.h"
#include "leakwatch/util.h"
#include "lwsim.h"

#define SEC_US		1000000LL
#define MIN_US		(60 * SEC_US)
#define HOUR_US		(60 * MIN_US)
#define DAY_US		(24 * HOUR_US)
#define FLOW_UPDATE_US	(60 * SEC_US)	/* agent's periodic update */
#define NBUCKET		4
#define MAXSCEN		256
#define LINE_MAX_LEN	8192
#define MB		(1024.0 * 1024.0)

/* Stream purposes, so each kind of draw has its own PRNG stream. */
enum { P_ORG = 1, P_DAY, P_SCEN, P_SVC, P_STRUCT, P_REPEAT };

static void
die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void
die(const char *fmt, ...)
{
	va_list ap;

	fputs("lwsim: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

/* ---------------------------------------------------------------------
 * The company's systems: two database servers and the sites it talks to.
 */

static const struct server {
	const char	*agent, *system, *addr;
} servers[] = {
	{ "db1", "postgresql", "10.0.0.2:5432" },
	{ "db2", "mysql", "10.0.0.3:3306" },
};

enum tpl_id {
	T_CUST_BY_ID, T_CUST_BY_EMAIL, T_CUST_SEARCH, T_CUST_ADDR,
	T_TICKETS, T_TICKET_UPD, T_TICKET_NOTE, T_ORDERS_BY_CUST,
	T_CUST_CHUNK, T_ACCOUNTS, T_CUST_SEGMENT,
	T_APP_FLAGS, T_APP_EVENTS, T_APP_JOBS_UPD, T_APP_USERS,
	T_RPT_CUST_ORDERS, T_RPT_REGION, T_DWH_ORDERS, T_DWH_COUNT,
	T_PAY_INVOICES, T_PAY_TX_ACCOUNT, T_PAY_TX_PERIOD,
	T_DBA_ACTIVITY, T_DBA_LOCKS, T_DBA_COUNT, T_DBA_CTAS,
	T_BK_CUSTOMERS, T_BK_ADDR, T_BK_ORDERS, T_BK_TICKETS,
	T_BK_PAY_TX, T_BK_PAY_CARDS, T_ETL_ORDERS,
	T_HR_EMP, T_MKT_SEGMENTS,
	NTPL
};

/*
 * Statements are already in normalised form (docs/events.md); `tables`
 * is the JSON array body; width is result bytes per row; affected means
 * the count is rows_affected (a write, or a read that returns nothing).
 */
static struct tpl {
	int		 server;
	const char	*database, *app, *command, *stmt, *tables;
	int		 width, affected;
	char		 fp[17];
} tpls[NTPL] = {
	[T_CUST_BY_ID] = { 0, "crm", "crm-console", "SELECT",
	    "SELECT id, name, email, phone FROM crm.customers WHERE id = ?",
	    "\"crm.customers\"", 160, 0, "" },
	[T_CUST_BY_EMAIL] = { 0, "crm", "crm-console", "SELECT",
	    "SELECT * FROM crm.customers WHERE email = ?",
	    "\"crm.customers\"", 420, 0, "" },
	[T_CUST_SEARCH] = { 0, "crm", "crm-console", "SELECT",
	    "SELECT id, name, phone, city FROM crm.customers WHERE name "
	    "ILIKE ? ORDER BY name LIMIT ?",
	    "\"crm.customers\"", 140, 0, "" },
	[T_CUST_ADDR] = { 0, "crm", "crm-console", "SELECT",
	    "SELECT * FROM crm.customer_addresses WHERE customer_id = ?",
	    "\"crm.customer_addresses\"", 210, 0, "" },
	[T_TICKETS] = { 0, "crm", "crm-console", "SELECT",
	    "SELECT id, subject, status, updated FROM crm.tickets WHERE "
	    "assignee = ? AND status IN (?+)",
	    "\"crm.tickets\"", 120, 0, "" },
	[T_TICKET_UPD] = { 0, "crm", "crm-console", "UPDATE",
	    "UPDATE crm.tickets SET status = ?, updated = now() WHERE id = ?",
	    "\"crm.tickets\"", 0, 1, "" },
	[T_TICKET_NOTE] = { 0, "crm", "crm-console", "INSERT",
	    "INSERT INTO crm.ticket_notes (ticket_id, author, body) VALUES "
	    "(?, ?, ?)",
	    "\"crm.ticket_notes\"", 0, 1, "" },
	[T_ORDERS_BY_CUST] = { 0, "crm", "crm-console", "SELECT",
	    "SELECT id, created, total, status FROM crm.orders WHERE "
	    "customer_id = ? ORDER BY created DESC",
	    "\"crm.orders\"", 64, 0, "" },
	[T_CUST_CHUNK] = { 0, "crm", "psql", "SELECT",
	    "SELECT * FROM crm.customers WHERE id > ? ORDER BY id LIMIT ?",
	    "\"crm.customers\"", 420, 0, "" },
	[T_ACCOUNTS] = { 0, "crm", "crm-console", "SELECT",
	    "SELECT id, company, stage, value FROM crm.accounts WHERE "
	    "owner = ?",
	    "\"crm.accounts\"", 96, 0, "" },
	[T_CUST_SEGMENT] = { 0, "crm", "crm-console", "SELECT",
	    "SELECT id, name, email FROM crm.customers WHERE segment = ? "
	    "LIMIT ?",
	    "\"crm.customers\"", 110, 0, "" },
	[T_APP_FLAGS] = { 0, "app", "psql", "SELECT",
	    "SELECT * FROM app.feature_flags WHERE name = ?",
	    "\"app.feature_flags\"", 80, 0, "" },
	[T_APP_EVENTS] = { 0, "app", "DBeaver", "SELECT",
	    "SELECT kind, count(*) FROM app.events WHERE ts > ? GROUP BY kind",
	    "\"app.events\"", 40, 0, "" },
	[T_APP_JOBS_UPD] = { 0, "app", "psql", "UPDATE",
	    "UPDATE app.jobs SET state = ? WHERE id = ?",
	    "\"app.jobs\"", 0, 1, "" },
	[T_APP_USERS] = { 0, "app", "DBeaver", "SELECT",
	    "SELECT id, plan, created FROM app.accounts WHERE created > ? "
	    "LIMIT ?",
	    "\"app.accounts\"", 48, 0, "" },
	[T_RPT_CUST_ORDERS] = { 0, "crm", "Metabase", "SELECT",
	    "SELECT c.id, c.name, c.email, c.city, sum(o.total) FROM "
	    "crm.customers c JOIN crm.orders o ON o.customer_id = c.id "
	    "WHERE o.created > ? GROUP BY c.id, c.name, c.email, c.city",
	    "\"crm.customers\",\"crm.orders\"", 150, 0, "" },
	[T_RPT_REGION] = { 0, "crm", "Metabase", "SELECT",
	    "SELECT region, count(*), avg(ltv) FROM crm.customers GROUP BY "
	    "region",
	    "\"crm.customers\"", 48, 0, "" },
	[T_DWH_ORDERS] = { 1, "dwh", "Metabase", "SELECT",
	    "SELECT * FROM dwh.orders WHERE created > ? AND region = ?",
	    "\"dwh.orders\"", 120, 0, "" },
	[T_DWH_COUNT] = { 1, "dwh", "Metabase", "SELECT",
	    "SELECT count(*) FROM dwh.orders WHERE created > ?",
	    "\"dwh.orders\"", 16, 0, "" },
	[T_PAY_INVOICES] = { 1, "pay", "erp", "SELECT",
	    "SELECT * FROM pay.invoices WHERE due < ? AND status = ?",
	    "\"pay.invoices\"", 180, 0, "" },
	[T_PAY_TX_ACCOUNT] = { 1, "pay", "erp", "SELECT",
	    "SELECT id, ts, amount, card_id FROM pay.transactions WHERE "
	    "account_id = ?",
	    "\"pay.transactions\"", 72, 0, "" },
	[T_PAY_TX_PERIOD] = { 1, "pay", "erp", "SELECT",
	    "SELECT * FROM pay.transactions WHERE ts BETWEEN ? AND ?",
	    "\"pay.transactions\"", 130, 0, "" },
	[T_DBA_ACTIVITY] = { 0, "postgres", "psql", "SELECT",
	    "SELECT pid, usename, state, query_start FROM pg_stat_activity",
	    "\"pg_catalog.pg_stat_activity\"", 200, 0, "" },
	[T_DBA_LOCKS] = { 0, "postgres", "psql", "SELECT",
	    "SELECT * FROM pg_locks WHERE NOT granted",
	    "\"pg_catalog.pg_locks\"", 120, 0, "" },
	[T_DBA_COUNT] = { 0, "crm", "psql", "SELECT",
	    "SELECT count(*) FROM crm.customers",
	    "\"crm.customers\"", 16, 0, "" },
	[T_DBA_CTAS] = { 0, "crm", "psql", "CREATE",
	    "CREATE TABLE staging.customers_copy AS SELECT * FROM "
	    "crm.customers WHERE created > ?",
	    "\"staging.customers_copy\",\"crm.customers\"", 0, 1, "" },
	[T_BK_CUSTOMERS] = { 0, "crm", "pg_dump", "COPY",
	    "COPY crm.customers TO STDOUT", "\"crm.customers\"", 380, 0, "" },
	[T_BK_ADDR] = { 0, "crm", "pg_dump", "COPY",
	    "COPY crm.customer_addresses TO STDOUT",
	    "\"crm.customer_addresses\"", 200, 0, "" },
	[T_BK_ORDERS] = { 0, "crm", "pg_dump", "COPY",
	    "COPY crm.orders TO STDOUT", "\"crm.orders\"", 90, 0, "" },
	[T_BK_TICKETS] = { 0, "crm", "pg_dump", "COPY",
	    "COPY crm.tickets TO STDOUT", "\"crm.tickets\"", 300, 0, "" },
	[T_BK_PAY_TX] = { 1, "pay", "mysqldump", "SELECT",
	    "SELECT * FROM pay.transactions", "\"pay.transactions\"", 110, 0,
	    "" },
	[T_BK_PAY_CARDS] = { 1, "pay", "mysqldump", "SELECT",
	    "SELECT * FROM pay.cards", "\"pay.cards\"", 90, 0, "" },
	[T_ETL_ORDERS] = { 0, "crm", "airflow", "SELECT",
	    "SELECT * FROM crm.orders WHERE updated > ?", "\"crm.orders\"", 90,
	    0, "" },
	[T_HR_EMP] = { 1, "hr", "hr-portal", "SELECT",
	    "SELECT * FROM hr.employees WHERE id = ?", "\"hr.employees\"", 300,
	    0, "" },
	[T_MKT_SEGMENTS] = { 0, "crm", "Metabase", "SELECT",
	    "SELECT segment, count(*) FROM crm.customers GROUP BY segment",
	    "\"crm.customers\"", 32, 0, "" },
};

/* What the simulator assumes the operator marked sensitive. */
static const char *const sensitive[] = {
	"crm.customer*=customer_pii",
	"pay.*=payment",
	"hr.*=employee_pii",
	"auth.*=credentials",
	NULL
};

enum site_id {
	S_GOOGLE, S_NEWS, S_WIKI, S_CDN, S_LINKEDIN, S_O365MAIL, S_GMAIL,
	S_SLACK, S_ONEDRIVE, S_GDRIVE, S_DROPBOX, S_BOX, S_WETRANSFER, S_S3,
	S_GITHUB, S_PYPI, S_DEBIAN, S_MEGA, S_DNS, S_DNS_TUN, S_DNS_POLL,
	NSITE
};

/*
 * Destinations as the egress agent labels them: nDPI's app and category,
 * leakwatch's exfiltration category from its editable map (issue 8),
 * SNI / Host / DNS name. DNS rows have a name made per flow.
 */
static const struct site {
	const char	*app, *category, *ndpi, *name, *dst;
	int		 dport, udp;
} sites[NSITE] = {
	[S_GOOGLE] = { "TLS.Google", "other", "Web", "www.google.com",
	    "142.250.74.36", 443, 0 },
	[S_NEWS] = { "TLS", "other", "Web", "www.reuters.com",
	    "23.45.180.12", 443, 0 },
	[S_WIKI] = { "TLS.Wikipedia", "other", "Web", "en.wikipedia.org",
	    "185.15.59.224", 443, 0 },
	[S_CDN] = { "TLS.Cloudflare", "other", "Web", "cdnjs.cloudflare.com",
	    "104.17.24.14", 443, 0 },
	[S_LINKEDIN] = { "TLS.LinkedIn", "other", "SocialNetwork",
	    "www.linkedin.com", "13.107.42.14", 443, 0 },
	[S_O365MAIL] = { "TLS.Outlook", "webmail", "Email",
	    "outlook.office365.com", "52.97.146.162", 443, 0 },
	[S_GMAIL] = { "TLS.Gmail", "webmail", "Email", "mail.google.com",
	    "142.250.74.69", 443, 0 },
	[S_SLACK] = { "TLS.Slack", "messaging", "Collaborative",
	    "files.slack.com", "3.120.55.3", 443, 0 },
	[S_ONEDRIVE] = { "TLS.OneDrive", "cloud_storage", "Cloud",
	    "acme-my.sharepoint.com", "13.107.136.9", 443, 0 },
	[S_GDRIVE] = { "TLS.GoogleDrive", "cloud_storage", "Cloud",
	    "drive.google.com", "142.250.74.46", 443, 0 },
	[S_DROPBOX] = { "TLS.Dropbox", "cloud_storage", "Cloud",
	    "content.dropboxapi.com", "162.125.6.18", 443, 0 },
	[S_BOX] = { "TLS.Box", "cloud_storage", "Cloud", "upload.box.com",
	    "74.112.186.144", 443, 0 },
	[S_WETRANSFER] = { "TLS", "file_transfer", "Web",
	    "storm-eu-west-1.wetransfer.net", "52.212.57.10", 443, 0 },
	[S_S3] = { "TLS.AmazonAWS", "cloud_storage", "Cloud",
	    "acme-artifacts.s3.eu-west-1.amazonaws.com", "52.218.48.10", 443,
	    0 },
	[S_GITHUB] = { "TLS.GitHub", "other", "SoftwareUpdate", "github.com",
	    "140.82.121.4", 443, 0 },
	[S_PYPI] = { "TLS", "other", "SoftwareUpdate",
	    "files.pythonhosted.org", "151.101.0.223", 443, 0 },
	[S_DEBIAN] = { "HTTP", "other", "SoftwareUpdate", "deb.debian.org",
	    "151.101.2.132", 80, 0 },
	[S_MEGA] = { "TLS", "cloud_storage", "Web",
	    "gfs270n071.userstorage.mega.co.nz", "31.216.147.135", 443, 0 },
	[S_DNS] = { "DNS", "other", "Network", NULL, "8.8.8.8", 53, 1 },
	[S_DNS_TUN] = { "DNS", NULL, "Network", NULL, "1.1.1.1", 53, 1 },
	[S_DNS_POLL] = { "DNS", NULL, "Network", NULL, "1.1.1.1", 53, 1 },
};

/* Ordinary names a developer machine resolves directly (look-alike). */
static const char *const dns_names[] = {
	"www.google.com", "api.github.com", "registry.npmjs.org",
	"r4---sn-4g5ednsz.googlevideo.com", "e6858.dscx.akamaiedge.net",
	"d2fk9ulvzemfad.cloudfront.net", "pypi.org", "deb.debian.org",
	"ocsp.digicert.com", "login.microsoftonline.com",
	"s3.eu-west-1.amazonaws.com", "fonts.gstatic.com",
	"ec2-52-28-101-7.eu-central-1.compute.amazonaws.com",
	"slack-imgs.com", "clientservices.googleapis.com",
	"a1887.dscq.akamai.net",
};

/* ---------------------------------------------------------------------
 * The organisation.
 */

enum { D_SUPPORT, D_SALES, D_ENG, D_ANALYTICS, D_FINANCE, D_DBA, D_HR,
    D_MARKETING, NDEPT, D_IT = NDEPT };

static const struct dept {
	const char	*name, *role;
	double		 share;
	int		 team;
} depts[NDEPT + 1] = {
	{ "Support", "agent", 0.30, 12 },
	{ "Sales", "account_manager", 0.18, 10 },
	{ "Engineering", "engineer", 0.20, 8 },
	{ "Analytics", "analyst", 0.08, 8 },
	{ "Finance", "accountant", 0.07, 7 },
	{ "DBA", "dba", 0.02, 10 },
	{ "HR", "hr_partner", 0.05, 8 },
	{ "Marketing", "marketer", 0.10, 10 },
	{ "IT", "service", 0.0, 1 },
};

static const char *const first_names[] = {
	"Ana", "Budi", "Siti", "Kenji", "Aiko", "Rahul", "Mei", "Daniel",
	"Fatimah", "Arif", "Yuki", "Nur", "Hana", "Rizal", "Chen", "Lina",
	"Marco", "Sofia", "Ahmad", "Dewi", "Hiroshi", "Priya", "Tomas",
	"Elena", "Omar", "Wei", "Rina", "Jonas", "Aisha", "Kevin", "Maya",
	"Putri", "Sato", "Ivan", "Lucia", "Hassan", "Grace", "Farid", "Emi",
	"Noor",
};
static const char *const last_names[] = {
	"Santoso", "Tanaka", "Rahman", "Wijaya", "Suzuki", "Lim", "Ibrahim",
	"Kumar", "Nakamura", "Hidayat", "Tan", "Yamamoto", "Abdullah",
	"Pratama", "Ng", "Kobayashi", "Hassan", "Lestari", "Wong", "Ito",
	"Silva", "Chua", "Saputra", "Mori", "Ismail", "Goh", "Kato", "Osman",
	"Putra", "Ong", "Sasaki", "Aziz", "Halim", "Yoshida", "Teo",
	"Nasution", "Fujita", "Razak", "Koh", "Setiawan",
};

struct person {
	char		 id[16], name[48], dbu[24], host[24];
	uint32_t	 ip;
	int		 dept, team, lead, service;
	int		 start_day, leave_day;	/* index; leave_day > days: none */
	int64_t		 start_abs;		/* directory `start`, days */
	int		 vac_from, vac_to;	/* inclusive, -1 none */
	int		 night, weekend, dns_direct;
	unsigned	 days_mask;		/* part-time: weekdays worked */
	int		 begin_min;		/* day shift start, minutes */
	double		 act;			/* personal activity level */
	int		 upload_site;		/* team's cloud storage habit */
	int		 used;			/* picked for a scenario */
};

enum scen_kind { SC_A, SC_A_RAMP, SC_B, SC_C, SC_D, SC_E, NSCKIND };

static const char *const scen_names[NSCKIND] = {
	"a", "a_ramp", "b", "c", "d", "e"
};
static const char *const scen_types[NSCKIND] = {
	"slow_theft", "slow_theft_ramp", "smash_and_grab", "leaver_upload",
	"dns_tunnel", "borrowed_account"
};

struct scen {
	int		 kind, nth, who, owner;	/* owner: e's account */
	int		 start, end;		/* day indices, inclusive */
	double		 v1, v2;		/* realised magnitudes */
	double		 own, peer;		/* varied a: x own / peer normal */
	int		 days;			/* realised duration */
	uint64_t	 total;			/* realised total (rows/bytes) */
};

/* Parameters: name, default, whether --jitter scales it. */
static struct param {
	const char	*name;
	double		 val;
	int		 jitter;
	const char	*doc;
} params[] = {
	{ "a.rows_min", 300, 0, "slow theft: least extra rows a day" },
	{ "a.rows_max", 800, 0, "slow theft: most extra rows a day" },
	{ "a.weeks", 6, 1, "slow theft: duration in weeks" },
	{ "a.start", -1, 0, "slow theft: start day index (-1: random)" },
	{ "a_ramp.growth", 0.10, 0, "ramp: weekly growth of the extra" },
	{ "a_ramp.start", -1, 0, "ramp: start day index" },
	{ "b.rows", 300000, 1, "smash-and-grab: rows read in the evening" },
	{ "b.upload_mb", 2048, 1, "smash-and-grab: MB uploaded after" },
	{ "b.start", -1, 0, "smash-and-grab: day index" },
	{ "c.upload_mb", 5120, 1, "leaver: MB uploaded before leaving" },
	{ "c.days", 14, 0, "leaver: length of the window before leaving" },
	{ "c.start", -1, 0, "leaver: first day index of the window" },
	{ "d.queries", 3000, 1, "DNS tunnel: queries a day" },
	{ "d.days", 7, 1, "DNS tunnel: days it runs" },
	{ "d.start", -1, 0, "DNS tunnel: start day index" },
	{ "e.rows", 60000, 1, "borrowed account: rows read in total" },
	{ "e.nights", 3, 0, "borrowed account: evenings used" },
	{ "e.start", -1, 0, "borrowed account: start day index" },
	{ "app.repeat", 0, 0, "mean re-runs of a small read within 2 s" },
};
#define NPARAM	(sizeof(params) / sizeof(params[0]))

static double
param(const char *name)
{
	size_t i;

	for (i = 0; i < NPARAM; i++)
		if (strcmp(params[i].name, name) == 0)
			return params[i].val;
	die("internal: no parameter %s", name);
}

static int
param_jittered(const char *name)
{
	size_t i;

	for (i = 0; i < NPARAM; i++)
		if (strcmp(params[i].name, name) == 0)
			return params[i].jitter;
	return 0;
}

/* One generated event, kept compact until its day is written. */
struct ev {
	int64_t		 ts, first;
	uint64_t	 a, b, c, e;	/* q: ret aff bytes dur; f: out in dout din */
	uint64_t	 fid;
	uint32_t	 seq, who, acct;
	uint16_t	 what, sport;
	uint8_t		 kind, final, err;
};
enum { K_QUERY, K_FLOW };

struct bucket {
	struct ev	*v;
	size_t		 n, cap;
};

struct gen {
	uint64_t	 seed;
	int		 nemp, np, days;
	int64_t		 day0;		/* days since epoch of index 0 */
	int64_t		 t0;		/* microseconds of index 0 */
	double		 jitter;
	int		 count, validate;
	unsigned	 scen_mask;
	struct person	*p;
	char		*holiday;	/* per day index */
	struct scen	 sc[MAXSCEN];
	int		 nsc;
	struct bucket	 b[NBUCKET];
	int		 cur;		/* day index of the oldest bucket */
	uint32_t	 seq;
	uint64_t	 nq, nf, nbytes, invalid;
	int64_t		 agg_us;	/* --aggregate window, 0: off */
	double		 repeat;	/* app.repeat */
	uint64_t	 nstmt;		/* statements behind the db.query */
	FILE		*out;
	int		 svc_backup, svc_etl;
	/* --structure varied: the organisation's shape, drawn per seed. */
	int		 varied;
	int		 dcount[NDEPT], dteam[NDEPT];
	double		 rate_sigma, night_share, part_share;
	double		 joiner_share, leaver_share;
	int		 surge_at[2];
};

/* ---------------------------------------------------------------------
 * Small helpers.
 */

static void *
xcalloc_or_die(size_t n, size_t sz)
{
	void *p;

	if ((p = calloc(n, sz)) == NULL)
		die("out of memory");
	return p;
}

static void
ip_str(uint32_t ip, char *buf, size_t len)
{
	snprintf(buf, len, "%u.%u.%u.%u", ip >> 24, (ip >> 16) & 255,
	    (ip >> 8) & 255, ip & 255);
}

/* Writes v as exactly n decimal digits at out. */
static void
digits(char *out, long long v, int n)
{
	while (n-- > 0) {
		out[n] = (char)('0' + v % 10);
		v /= 10;
	}
}

/*
 * RFC 3339 with microseconds, without gmtime or printf: the simulator
 * formats several timestamps per event, millions of times.
 */
static void
fmt_ts(int64_t us, char out[TS_STRLEN])
{
	int64_t days, y, rem;
	int m, d;

	days = us / DAY_US;
	if (us % DAY_US < 0)
		days--;
	rem = us - days * DAY_US;
	civil_from_days(days, &y, &m, &d);
	digits(out, y, 4);
	out[4] = '-';
	digits(out + 5, m, 2);
	out[7] = '-';
	digits(out + 8, d, 2);
	out[10] = 'T';
	digits(out + 11, rem / HOUR_US, 2);
	out[13] = ':';
	digits(out + 14, rem / MIN_US % 60, 2);
	out[16] = ':';
	digits(out + 17, rem / SEC_US % 60, 2);
	out[19] = '.';
	digits(out + 20, rem % SEC_US, 6);
	out[26] = 'Z';
	out[27] = '\0';
}

static int
is_workday(struct gen *g, int d)
{
	return weekday(g->day0 + d) < 5 && !g->holiday[d];
}

/* Whether the person is employed on day d at all. */
static int
employed(const struct person *p, int d)
{
	return d >= p->start_day && d < p->leave_day;
}

/* Whether the person works on day d (shift starting that day). */
static int
works(struct gen *g, const struct person *p, int d)
{
	int wd = weekday(g->day0 + d);

	if (!employed(p, d))
		return 0;
	if (p->vac_from >= 0 && d >= p->vac_from && d <= p->vac_to)
		return 0;
	if (p->night)	/* 24/7 desk: off on Friday and Saturday nights */
		return wd != 4 && wd != 5;
	if (p->days_mask != 0 && wd < 5 && !(p->days_mask >> wd & 1u))
		return 0;	/* part-time: not one of their days */
	if (wd == 5 && p->weekend)
		return 1;
	return is_workday(g, d);
}

/* A random moment of the person's shift on day d, in microseconds. */
static int64_t
work_ts(struct gen *g, const struct person *p, int d, struct rng *r)
{
	int64_t base = g->t0 + (int64_t)d * DAY_US, off;

	if (p->night)
		return base + 22 * HOUR_US + (int64_t)rng_below(r,
		    (uint64_t)(8 * HOUR_US));
	/* 8 hours of work in a 9-hour span, lunch 12:00-13:00. */
	off = (int64_t)p->begin_min * MIN_US + (int64_t)rng_below(r,
	    (uint64_t)(8 * HOUR_US));
	if (off >= 12 * HOUR_US)
		off += HOUR_US;
	return base + off;
}

/* A moment between from_h and to_h (hours, may pass 24) of day d. */
static int64_t
window_ts(struct gen *g, int d, double from_h, double to_h, struct rng *r)
{
	return g->t0 + (int64_t)d * DAY_US + (int64_t)(from_h * HOUR_US) +
	    (int64_t)rng_below(r, (uint64_t)((to_h - from_h) * HOUR_US));
}

/* ---------------------------------------------------------------------
 * Emitting events into the day buckets.
 */

static void
push(struct gen *g, const struct ev *e)
{
	struct bucket *b;
	int64_t x;

	x = (e->ts - g->t0) / DAY_US;
	if (e->ts < g->t0 || x < g->cur || x >= g->cur + NBUCKET)
		die("internal: event on day %lld outside the window at %d",
		    (long long)x, g->cur);
	b = &g->b[x % NBUCKET];
	if (b->n == b->cap) {
		b->cap = b->cap ? b->cap * 2 : 4096;
		if ((b->v = realloc(b->v, b->cap * sizeof(*b->v))) == NULL)
			die("out of memory");
	}
	b->v[b->n] = *e;
	b->v[b->n].seq = g->seq++;
	b->n++;
}

/*
 * app.repeat: the application behind a small read runs it again a few
 * times within the next 2 s, on the same connection (an ORM's N+1
 * pattern, a page that polls) - the load the database agent's
 * aggregation exists for. Its draws come from a stream of their own,
 * so everything else stays as it was; 0 (the default) adds nothing.
 */
static void
repeats(struct gen *g, const struct ev *e)
{
	struct rng r;
	struct ev x = *e;
	uint64_t k, i;

	rng_seed(&r, mix4(g->seed, P_REPEAT, e->who, (uint64_t)e->ts));
	k = rng_poisson(&r, g->repeat);
	for (i = 0; i < k; i++) {
		x.ts += 20000 + (int64_t)rng_below(&r, 2000000 / (k + 1));
		x.e = 300 + rng_below(&r, 1500) + x.a * (4 + rng_below(&r, 6));
		push(g, &x);
	}
}

/* One statement by `who` (client IP) with acct's database user. */
static void
query(struct gen *g, struct rng *r, int64_t ts, int who, int acct, int t,
    uint64_t rows)
{
	struct ev e;
	const struct tpl *tp = &tpls[t];

	memset(&e, 0, sizeof(e));
	e.kind = K_QUERY;
	e.ts = ts;
	e.who = (uint32_t)who;
	e.acct = (uint32_t)acct;
	e.what = (uint16_t)t;
	e.sport = (uint16_t)(32768 + rng_below(r, 28000));
	if (rng_chance(r, 0.002)) {
		e.err = 1;
	} else if (tp->affected) {
		e.b = rows;
		e.c = 15;
	} else {
		e.a = rows;
		e.c = rows * (uint64_t)tp->width + 60 +
		    rng_below(r, 40);
	}
	/* Roughly: planning plus per-row cost, heavier for big results. */
	e.e = 300 + rng_below(r, 1500) + rows * (4 + rng_below(r, 6));
	push(g, &e);
	if (g->repeat > 0 && !tp->affected && !e.err && rows <= 30)
		repeats(g, &e);
}

/*
 * One connection to a site, reported the way the egress agent does: a
 * periodic update every minute while it lasts and a final record; totals
 * so far plus the deltas since the previous record. rate is bytes/s of
 * the dominant direction.
 */
static void
flow(struct gen *g, struct rng *r, int64_t start, int who, int site,
    uint64_t out, uint64_t in, double rate)
{
	struct ev e;
	int64_t dur, t, end;
	uint64_t po = 0, pi = 0, no, ni;
	double big = (double)(out > in ? out : in);

	memset(&e, 0, sizeof(e));
	e.kind = K_FLOW;
	e.who = (uint32_t)who;
	e.what = (uint16_t)site;
	e.fid = rng_next(r);
	e.sport = (uint16_t)(32768 + rng_below(r, 28000));
	e.first = start;
	if (sites[site].udp)
		dur = 2000 + (int64_t)rng_below(r, 60000);
	else
		dur = (int64_t)(big / rate * SEC_US) + 50000 +
		    (int64_t)rng_below(r, 2000000);
	end = start + dur;
	for (t = start + FLOW_UPDATE_US;; t += FLOW_UPDATE_US) {
		if (t >= end)
			t = end;
		no = t == end ? out : (uint64_t)((double)out *
		    (double)(t - start) / (double)dur);
		ni = t == end ? in : (uint64_t)((double)in *
		    (double)(t - start) / (double)dur);
		e.ts = t;
		e.a = no;
		e.b = ni;
		e.c = no - po;
		e.e = ni - pi;
		e.final = t == end;
		push(g, &e);
		po = no;
		pi = ni;
		if (t == end)
			break;
	}
}

/* Everyday traffic everyone has: web, mail, chat, the company drive. */
static void
background_flows(struct gen *g, struct person *p, int d, struct rng *r,
    double f)
{
	static const int web[] = { S_GOOGLE, S_NEWS, S_WIKI, S_CDN,
	    S_LINKEDIN };
	uint64_t i, n;

	n = rng_poisson(r, 5 * f);
	for (i = 0; i < n; i++)
		flow(g, r, work_ts(g, p, d, r), (int)(p - g->p),
		    web[rng_below(r, 5)], (uint64_t)rng_lognormal(r, 6000, 0.8),
		    (uint64_t)rng_lognormal(r, 300000, 1.4), 2e6);
	n = rng_poisson(r, 4 * f);
	for (i = 0; i < n; i++)
		flow(g, r, work_ts(g, p, d, r), (int)(p - g->p), S_O365MAIL,
		    fmin(rng_lognormal(r, 30000, 1.5), 25 * MB),
		    (uint64_t)rng_lognormal(r, 60000, 1.2), 1e6);
	n = rng_poisson(r, 1.5 * f);
	for (i = 0; i < n; i++)
		flow(g, r, work_ts(g, p, d, r), (int)(p - g->p), S_SLACK,
		    (uint64_t)rng_lognormal(r, 20000, 1.2),
		    (uint64_t)rng_lognormal(r, 80000, 1.2), 1e6);
	n = rng_poisson(r, 1.2 * f);
	for (i = 0; i < n; i++)
		flow(g, r, work_ts(g, p, d, r), (int)(p - g->p), S_ONEDRIVE,
		    fmin(rng_lognormal(r, 800000, 1.5), 400 * MB),
		    (uint64_t)rng_lognormal(r, 200000, 1.2), 4e6);
	if (rng_chance(r, 0.3 * f))	/* personal webmail at lunch */
		flow(g, r, work_ts(g, p, d, r), (int)(p - g->p), S_GMAIL,
		    (uint64_t)rng_lognormal(r, 15000, 1.0),
		    (uint64_t)rng_lognormal(r, 200000, 1.0), 1e6);
}

/* ---------------------------------------------------------------------
 * Departments' habits. f scales the person's day (activity level,
 * new-joiner ramp-up, Saturday rota).
 */

/* Whether a ticket-surge week covers day d (support reads more). */
static int
surge(struct gen *g, int d)
{
	int s1 = g->surge_at[0], s2 = g->surge_at[1];

	return (d >= s1 && d < s1 + 7) || (d >= s2 && d < s2 + 7);
}

/* One support customer lookup: the queries slow theft also uses. */
static void
support_lookup(struct gen *g, struct rng *r, int64_t ts, int who, int acct,
    uint64_t *rows)
{
	double u = rng_unit(r);
	uint64_t n;
	int t;

	if (u < 0.40) {
		t = T_CUST_BY_ID;
		n = 1;
	} else if (u < 0.50) {
		t = T_CUST_BY_EMAIL;
		n = rng_chance(r, 0.85);
	} else if (u < 0.85) {
		t = T_CUST_SEARCH;
		n = (uint64_t)rng_int(r, 1, 25);
	} else {
		t = T_CUST_ADDR;
		n = (uint64_t)rng_int(r, 1, 3);
	}
	query(g, r, ts, who, acct, t, n);
	if (rows != NULL)
		*rows += n;
}

static void
gen_support(struct gen *g, struct person *p, int d, struct rng *r, double f)
{
	int me = (int)(p - g->p);
	uint64_t i, n;

	if (surge(g, d))
		f *= 1.7;
	n = rng_poisson(r, 50 * f);
	for (i = 0; i < n; i++)
		support_lookup(g, r, work_ts(g, p, d, r), me, me, NULL);
	n = rng_poisson(r, 12 * f);
	for (i = 0; i < n; i++)
		query(g, r, work_ts(g, p, d, r), me, me, T_TICKETS,
		    (uint64_t)rng_int(r, 2, 30));
	n = rng_poisson(r, 6 * f);
	for (i = 0; i < n; i++)
		query(g, r, work_ts(g, p, d, r), me, me, T_TICKET_UPD, 1);
	n = rng_poisson(r, 4 * f);
	for (i = 0; i < n; i++)
		query(g, r, work_ts(g, p, d, r), me, me, T_TICKET_NOTE, 1);
	n = rng_poisson(r, 4 * f);
	for (i = 0; i < n; i++)
		query(g, r, work_ts(g, p, d, r), me, me, T_ORDERS_BY_CUST,
		    (uint64_t)rng_int(r, 0, 8));
}

static void
gen_sales(struct gen *g, struct person *p, int d, struct rng *r, double f)
{
	int me = (int)(p - g->p);
	uint64_t i, n;

	n = rng_poisson(r, 12 * f);
	for (i = 0; i < n; i++)
		query(g, r, work_ts(g, p, d, r), me, me, T_ACCOUNTS,
		    (uint64_t)rng_int(r, 3, 40));
	n = rng_poisson(r, 2 * f);
	for (i = 0; i < n; i++)
		query(g, r, work_ts(g, p, d, r), me, me, T_CUST_SEGMENT,
		    (uint64_t)rng_int(r, 20, 150));
	/* Proposals and decks to the team's cloud storage, legitimately. */
	n = rng_poisson(r, 2 * f);
	for (i = 0; i < n; i++)
		flow(g, r, work_ts(g, p, d, r), me, p->upload_site,
		    fmin(rng_lognormal(r, 5 * MB, 1.3), 800 * MB),
		    (uint64_t)rng_lognormal(r, 300000, 1.0), 5e6);
	if (rng_chance(r, 0.02))	/* a product video for a client */
		flow(g, r, work_ts(g, p, d, r), me, p->upload_site,
		    (uint64_t)rng_range(r, 200 * MB, 700 * MB), 2 * MB, 6e6);
	n = rng_poisson(r, 3 * f);	/* more mail than most */
	for (i = 0; i < n; i++)
		flow(g, r, work_ts(g, p, d, r), me, S_O365MAIL,
		    fmin(rng_lognormal(r, 200000, 1.5), 25 * MB),
		    (uint64_t)rng_lognormal(r, 60000, 1.2), 1e6);
}

static void
gen_eng(struct gen *g, struct person *p, int d, struct rng *r, double f)
{
	static const int tpl[] = { T_APP_FLAGS, T_APP_EVENTS, T_APP_JOBS_UPD,
	    T_APP_USERS };
	int me = (int)(p - g->p), t;
	uint64_t i, n, rows;

	n = rng_poisson(r, 16 * f);
	for (i = 0; i < n; i++) {
		t = tpl[rng_below(r, 4)];
		rows = t == T_APP_USERS ? (uint64_t)fmin(rng_lognormal(r, 200,
		    1.5), 50000) : t == T_APP_EVENTS ? (uint64_t)rng_int(r, 3,
		    40) : 1;
		query(g, r, work_ts(g, p, d, r), me, me, t, rows);
	}
	n = rng_poisson(r, 4 * f);
	for (i = 0; i < n; i++)
		flow(g, r, work_ts(g, p, d, r), me, S_GITHUB,
		    (uint64_t)rng_lognormal(r, 150000, 1.5),
		    (uint64_t)rng_lognormal(r, 2 * MB, 1.5), 3e6);
	n = rng_poisson(r, 2 * f);
	for (i = 0; i < n; i++)
		flow(g, r, work_ts(g, p, d, r), me,
		    rng_chance(r, 0.5) ? S_PYPI : S_DEBIAN,
		    (uint64_t)rng_lognormal(r, 20000, 1.0),
		    (uint64_t)rng_lognormal(r, 30 * MB, 1.2), 20e6);
	if (rng_chance(r, 0.6 * f))	/* build artefacts to S3 */
		flow(g, r, work_ts(g, p, d, r), me, S_S3,
		    fmin(rng_lognormal(r, 20 * MB, 1.5), 2048 * MB),
		    (uint64_t)rng_lognormal(r, 100000, 1.0), 15e6);
	if (p->dns_direct) {	/* a developer box with its own resolver */
		n = rng_poisson(r, 150 * f);
		for (i = 0; i < n; i++)
			flow(g, r, work_ts(g, p, d, r), me, S_DNS,
			    (uint64_t)rng_int(r, 60, 90),
			    (uint64_t)rng_int(r, 90, 300), 1e6);
	}
}

static void
gen_analytics(struct gen *g, struct person *p, int d, struct rng *r,
    double f)
{
	int me = (int)(p - g->p);
	uint64_t i, n;

	n = rng_poisson(r, 4 * f);
	for (i = 0; i < n; i++)
		query(g, r, work_ts(g, p, d, r), me, me, T_RPT_CUST_ORDERS,
		    (uint64_t)fmin(rng_lognormal(r, 2500, 0.9), 80000));
	n = rng_poisson(r, 3 * f);
	for (i = 0; i < n; i++)
		query(g, r, work_ts(g, p, d, r), me, me, T_DWH_ORDERS,
		    (uint64_t)fmin(rng_lognormal(r, 8000, 1.0), 200000));
	n = rng_poisson(r, 6 * f);
	for (i = 0; i < n; i++)
		query(g, r, work_ts(g, p, d, r), me, me, T_RPT_REGION,
		    (uint64_t)rng_int(r, 5, 40));
	n = rng_poisson(r, 10 * f);
	for (i = 0; i < n; i++)
		query(g, r, work_ts(g, p, d, r), me, me, T_DWH_COUNT, 1);
	if (rng_chance(r, 0.5 * f))	/* a report to the shared drive */
		flow(g, r, work_ts(g, p, d, r), me, S_GDRIVE,
		    fmin(rng_lognormal(r, 4 * MB, 1.2), 300 * MB),
		    (uint64_t)rng_lognormal(r, 100000, 1.0), 5e6);
}

static void
gen_finance(struct gen *g, struct person *p, int d, struct rng *r,
    double f)
{
	int me = (int)(p - g->p);
	uint64_t i, n;

	n = rng_poisson(r, 16 * f);
	for (i = 0; i < n; i++)
		query(g, r, work_ts(g, p, d, r), me, me, T_PAY_INVOICES,
		    (uint64_t)rng_int(r, 1, 30));
	n = rng_poisson(r, 12 * f);
	for (i = 0; i < n; i++)
		query(g, r, work_ts(g, p, d, r), me, me, T_PAY_TX_ACCOUNT,
		    (uint64_t)rng_int(r, 5, 60));
	/* Month-end closing: everyone in Finance runs the big reports. */
	if (month_end_workday(g->day0 + d))
		n = 2 + rng_poisson(r, 4);
	else
		n = rng_poisson(r, 0.4);
	for (i = 0; i < n; i++)
		query(g, r, work_ts(g, p, d, r), me, me, T_PAY_TX_PERIOD,
		    (uint64_t)fmin(rng_lognormal(r, month_end_workday(g->day0 +
		    d) ? 60000 : 5000, 0.6), 250000));
}

static void
gen_dba(struct gen *g, struct person *p, int d, struct rng *r, double f)
{
	static const int tpl[] = { T_DBA_ACTIVITY, T_DBA_LOCKS, T_DBA_COUNT };
	int me = (int)(p - g->p), t;
	uint64_t i, n;

	n = rng_poisson(r, 16 * f);
	for (i = 0; i < n; i++) {
		t = tpl[rng_below(r, 3)];
		query(g, r, work_ts(g, p, d, r), me, me, t,
		    t == T_DBA_ACTIVITY ? (uint64_t)rng_int(r, 20, 200) :
		    t == T_DBA_LOCKS ? (uint64_t)rng_int(r, 0, 5) : 1);
	}
}

static void
gen_hr(struct gen *g, struct person *p, int d, struct rng *r, double f)
{
	int me = (int)(p - g->p);
	uint64_t i, n;

	n = rng_poisson(r, 8 * f);
	for (i = 0; i < n; i++)
		query(g, r, work_ts(g, p, d, r), me, me, T_HR_EMP,
		    (uint64_t)rng_int(r, 1, 3));
}

static void
gen_marketing(struct gen *g, struct person *p, int d, struct rng *r,
    double f)
{
	int me = (int)(p - g->p);
	uint64_t i, n;

	n = rng_poisson(r, 2 * f);
	for (i = 0; i < n; i++)
		query(g, r, work_ts(g, p, d, r), me, me, T_MKT_SEGMENTS,
		    (uint64_t)rng_int(r, 5, 30));
	n = rng_poisson(r, 2 * f);
	for (i = 0; i < n; i++)
		flow(g, r, work_ts(g, p, d, r), me, S_GDRIVE,
		    fmin(rng_lognormal(r, 8 * MB, 1.4), 1024 * MB),
		    (uint64_t)rng_lognormal(r, 500000, 1.0), 6e6);
	if (rng_chance(r, 0.03))	/* videos to the agency */
		flow(g, r, work_ts(g, p, d, r), me, S_WETRANSFER,
		    (uint64_t)rng_range(r, 300 * MB, 1500 * MB), 3 * MB, 8e6);
}

/* ---------------------------------------------------------------------
 * Legitimate look-alikes that are not a department's daily habit.
 */

static FILE *lookalike_f;

static void
lookalike(struct gen *g, const char *kind, int who, int day, uint64_t total)
{
	char date[11];

	sim_date_format(g->day0 + day, date);
	fprintf(lookalike_f, "{\"employee\":\"%s\",\"kind\":\"%s\","
	    "\"day\":%d,\"date\":\"%s\",\"total\":%llu}\n", g->p[who].id,
	    kind, day, date, (unsigned long long)total);
}

/*
 * Day d's one-off jobs: a team-wide table migration read, an analyst's
 * one-off export, a DBA's staging copy, legit leavers' hand-over uploads.
 */
static void
gen_oneoffs(struct gen *g, int d)
{
	struct rng r;
	struct person *p;
	int i, mig = g->days * 11 / 20, exp = g->days * 2 / 5,
	    ctas = g->days * 3 / 5;
	uint64_t left, n;

	rng_seed(&r, mix4(g->seed, P_DAY, 1000003, (uint64_t)d));
	for (i = 0; i < g->nemp; i++) {
		p = &g->p[i];
		if (!works(g, p, d) || p->night)
			continue;
		if (d == mig && p->dept == D_ENG && p->team == 0) {
			left = (uint64_t)rng_int(&r, 100000, 300000);
			lookalike(g, "table_migration", i, d, left);
			while (left > 0) {
				n = left < 5000 ? left : 5000;
				query(g, &r, work_ts(g, p, d, &r), i, i,
				    T_CUST_CHUNK, n);
				left -= n;
			}
		}
		if (d == exp && p->dept == D_ANALYTICS && p->team == 0 &&
		    !p->lead && !p->used) {
			left = (uint64_t)rng_int(&r, 150000, 300000);
			lookalike(g, "one_off_export", i, d, left);
			while (left > 0) {
				n = left < 20000 ? left : 20000;
				query(g, &r, work_ts(g, p, d, &r), i, i,
				    T_RPT_CUST_ORDERS, n);
				left -= n;
			}
			exp = -1;	/* one analyst only */
		}
		if (d == ctas && p->dept == D_DBA && !p->lead) {
			n = (uint64_t)rng_int(&r, 200000, 600000);
			lookalike(g, "staging_copy", i, d, n);
			query(g, &r, work_ts(g, p, d, &r), i, i, T_DBA_CTAS, n);
			ctas = -1;
		}
		if (p->leave_day <= g->days && d >= p->leave_day - 5 &&
		    !p->used && rng_chance(&r, 0.4)) {
			n = (uint64_t)rng_range(&r, 50 * MB, 300 * MB);
			lookalike(g, "handover_upload", i, d, n);
			flow(g, &r, work_ts(g, p, d, &r), i, S_ONEDRIVE, n,
			    n / 50, 6e6);
		}
	}
}

/* Service accounts: nightly dumps and the ETL, every day of the year. */
static void
gen_services(struct gen *g, int d)
{
	static const struct {
		int	 tpl;
		double	 rows;
	} dump[] = {
		{ T_BK_CUSTOMERS, 2.0e6 }, { T_BK_ADDR, 2.6e6 },
		{ T_BK_ORDERS, 9.0e6 }, { T_BK_TICKETS, 1.2e6 },
		{ T_BK_PAY_TX, 12.0e6 }, { T_BK_PAY_CARDS, 1.5e6 },
	};
	struct rng r;
	int64_t ts;
	uint64_t rows;
	size_t i;

	rng_seed(&r, mix4(g->seed, P_SVC, 0, (uint64_t)d));
	ts = window_ts(g, d, 1.5, 1.75, &r);
	for (i = 0; i < sizeof(dump) / sizeof(dump[0]); i++) {
		rows = (uint64_t)(dump[i].rows * (1.0 + 0.0007 * d));
		query(g, &r, ts, g->svc_backup, g->svc_backup, dump[i].tpl,
		    rows);
		ts += (int64_t)(rows / 200000.0 * SEC_US) + SEC_US;
	}
	query(g, &r, window_ts(g, d, 2.5, 2.6, &r), g->svc_etl, g->svc_etl,
	    T_ETL_ORDERS, (uint64_t)rng_int(&r, 15000, 40000));
}

/* ---------------------------------------------------------------------
 * Scenarios.
 */

/* A fresh employee matching the predicate, or -1. */
static int
pick(struct gen *g, struct rng *r, const int *deptok, int dayshift)
{
	int tries, i;
	struct person *p;

	for (tries = 0; tries < 100000; tries++) {
		i = (int)rng_below(r, (uint64_t)g->nemp);
		p = &g->p[i];
		if (p->used || p->lead || !deptok[p->dept] ||
		    p->start_day > 0 || p->leave_day <= g->days)
			continue;
		if (dayshift && (p->night || p->weekend))
			continue;
		p->used = 1;
		return i;
	}
	return -1;
}

static double
jittered(struct gen *g, struct rng *r, const char *name)
{
	double v = param(name);

	if (param_jittered(name))
		v *= 1.0 + g->jitter * rng_range(r, -1.0, 1.0);
	return v;
}

static int
start_day(struct gen *g, struct rng *r, const char *pname, double lo,
    double hi, int minlen)
{
	double s = param(pname);
	int a, b;

	if (s >= 0)
		return (int)s < g->days ? (int)s : g->days - 1;
	a = (int)(g->days * lo);
	b = (int)(g->days * hi);
	if (b > g->days - minlen)
		b = g->days - minlen;
	if (b < a)
		b = a;
	return (int)rng_int(r, a, b);
}

/*
 * Customer rows a support lookup returns on average (support_lookup:
 * 0.40 x 1 + 0.10 x 0.85 + 0.35 x 13 + 0.15 x 2) times the 50 lookups
 * of a day at activity 1 (gen_support): a person's normal is this times
 * their activity.
 */
#define LOOKUP_ROWS_DAY	(50.0 * 5.335)

/* Median activity of the non-lead people of department k. */
static double
peer_act(struct gen *g, int k)
{
	double *v, m;
	int i, n = 0, a, b;

	v = xcalloc_or_die((size_t)g->nemp, sizeof(*v));
	for (i = 0; i < g->nemp; i++)
		if (g->p[i].dept == k && !g->p[i].lead)
			v[n++] = g->p[i].act;
	for (a = 1; a < n; a++)	/* insertion sort: one department */
		for (b = a; b > 0 && v[b - 1] > v[b]; b--) {
			m = v[b];
			v[b] = v[b - 1];
			v[b - 1] = m;
		}
	m = n == 0 ? 1.0 : n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
	free(v);
	return m;
}

/*
 * --structure varied, slow theft: a thief whose day, theft included,
 * is 1.5 to 6 times their own normal and 0.5 to 5 times their peers'
 * median, drawn uniformly within both; a thief for whom the two ranges
 * do not meet is passed over. The start is drawn from two weeks before
 * the end of the theft's run before day 0 (already running when the
 * data begins) to two weeks before the last day. Returns the thief.
 */
static int
plan_varied_theft(struct gen *g, struct rng *r, struct scen *s,
    const int *deptok, const char *pname)
{
	double pm, lo, hi, extra;
	int who, tries, a, b;

	for (tries = 0; tries < 1000; tries++) {
		if ((who = pick(g, r, deptok, 1)) < 0)
			return -1;
		pm = peer_act(g, g->p[who].dept);
		lo = fmax(1.5, 0.5 * pm / g->p[who].act);
		hi = fmin(6.0, 5.0 * pm / g->p[who].act);
		if (lo <= hi)
			break;
		g->p[who].used = 0;	/* passed over, free for others */
	}
	if (tries == 1000)
		return -1;
	s->own = rng_range(r, lo, hi);
	s->peer = s->own * g->p[who].act / pm;
	extra = (s->own - 1.0) * LOOKUP_ROWS_DAY * g->p[who].act;
	s->v1 = extra * 0.8;
	s->v2 = extra * 1.2;
	if (param(pname) >= 0) {
		s->start = start_day(g, r, pname, 0, 0, 1);
		return who;
	}
	a = 14 - s->days;
	b = g->days - 14;
	s->start = (int)rng_int(r, a, b > a ? b : a);
	return who;
}

/* First day >= d the person works, or d itself when there is none. */
static int
next_workday(struct gen *g, const struct person *p, int d)
{
	int x;

	for (x = d; x < g->days; x++)
		if (works(g, p, x) && is_workday(g, x))
			return x;
	return d;
}

static void
clear_vacation(struct person *p, int from, int to)
{
	if (p->vac_from >= 0 && p->vac_from <= to && p->vac_to >= from)
		p->vac_from = p->vac_to = -1;
}

static void
plan_scenarios(struct gen *g)
{
	static const int support[NDEPT] = { [D_SUPPORT] = 1 };
	static const int grab[NDEPT] = { [D_SUPPORT] = 1, [D_ANALYTICS] = 1,
	    [D_SALES] = 1 };
	static const int leaver[NDEPT] = { [D_SALES] = 1, [D_ENG] = 1,
	    [D_ANALYTICS] = 1, [D_FINANCE] = 1, [D_MARKETING] = 1 };
	static const int any[NDEPT] = { 1, 1, 1, 1, 1, 1, 1, 1 };
	static const int borrow[NDEPT] = { [D_SUPPORT] = 1,
	    [D_ANALYTICS] = 1 };
	struct rng r;
	struct scen *s;
	struct person *p;
	int k, c, w, tries, dayok[NDEPT];

	for (k = 0; k < NSCKIND; k++) {
		if (!(g->scen_mask & (1u << k)))
			continue;
		for (c = 0; c < g->count; c++) {
			if (g->nsc == MAXSCEN)
				die("too many scenarios");
			rng_seed(&r, mix4(g->seed, P_SCEN, (uint64_t)k,
			    (uint64_t)c));
			s = &g->sc[g->nsc];
			memset(s, 0, sizeof(*s));
			s->kind = k;
			s->nth = c;
			s->owner = -1;
			switch (k) {
			case SC_A:
			case SC_A_RAMP:
				if (g->varied) {
					s->days = (int)lround(jittered(g, &r,
					    "a.weeks") * 7);
					if (s->days < 7)
						s->days = 7;
					s->who = plan_varied_theft(g, &r, s,
					    support, k == SC_A ? "a.start" :
					    "a_ramp.start");
					s->end = s->start + s->days - 1;
					break;
				}
				s->who = pick(g, &r, support, 1);
				s->days = (int)lround(jittered(g, &r,
				    "a.weeks") * 7);
				if (s->days < 7)
					s->days = 7;
				s->start = start_day(g, &r, k == SC_A ?
				    "a.start" : "a_ramp.start", 0.3, 0.5, 1);
				s->end = s->start + s->days - 1;
				s->v1 = param("a.rows_min");
				s->v2 = param("a.rows_max");
				break;
			case SC_B:
				s->who = pick(g, &r, grab, 1);
				s->v1 = jittered(g, &r, "b.rows");
				s->v2 = jittered(g, &r, "b.upload_mb");
				s->start = start_day(g, &r, "b.start", 0.3,
				    0.85, 1);
				break;
			case SC_C:
				s->who = pick(g, &r, leaver, 1);
				s->v1 = jittered(g, &r, "c.upload_mb");
				s->days = (int)param("c.days");
				s->start = start_day(g, &r, "c.start", 0.3,
				    1.0, s->days);
				s->end = s->start + s->days - 1;
				break;
			case SC_D:
				s->who = pick(g, &r, any, 1);
				s->v1 = jittered(g, &r, "d.queries");
				s->days = (int)lround(jittered(g, &r,
				    "d.days"));
				if (s->days < 1)
					s->days = 1;
				s->start = start_day(g, &r, "d.start", 0.3,
				    0.85, 1);
				s->end = s->start + s->days - 1;
				break;
			case SC_E:
				s->who = pick(g, &r, borrow, 1);
				s->v1 = jittered(g, &r, "e.rows");
				s->days = (int)param("e.nights");
				s->start = start_day(g, &r, "e.start", 0.3,
				    0.85, 1);
				break;
			}
			if (k == SC_B || k == SC_E)
				s->end = s->start;
			if (s->who < 0)
				die("no employee left for scenario %s (make "
				    "--employees larger)", scen_names[k]);
			p = &g->p[s->who];
			if (s->end >= g->days)
				s->end = g->days - 1;
			if (k == SC_C) {
				/* The thief is the leaver: gone after. */
				p->leave_day = s->start + s->days;
			}
			if (k == SC_B)
				s->start = s->end = next_workday(g, p,
				    s->start);
			if (k == SC_E) {
				/* A colleague's account, same department. */
				memset(dayok, 0, sizeof(dayok));
				dayok[p->dept] = 1;
				for (tries = 0; tries < 1000; tries++) {
					w = (int)rng_below(&r,
					    (uint64_t)g->nemp);
					if (w != s->who && g->p[w].dept ==
					    p->dept && employed(&g->p[w],
					    s->start))
						break;
				}
				if (tries == 1000)
					die("no colleague for scenario e");
				s->owner = w;
				s->start = next_workday(g, p, s->start);
			}
			clear_vacation(p, s->start, s->end > s->start ?
			    s->end : s->start + 7);
			g->nsc++;
		}
	}
}

/* Extra customer rows scenario a takes on day d (0 when off). */
static uint64_t
slow_theft_rows(struct gen *g, const struct scen *s, struct rng *r, int d)
{
	double v;
	int week;

	if (d < s->start || d > s->end)
		return 0;
	v = rng_range(r, s->v1, s->v2);
	if (s->kind == SC_A_RAMP) {
		week = (d - s->start) / 7;
		v *= pow(1.0 + param("a_ramp.growth"), week);
	}
	(void)g;
	return (uint64_t)v;
}

/* The DNS tunnel's query name for one flow, from its id. */
static void
tunnel_name(uint64_t fid, int poll, char *buf, size_t len)
{
	static const char b32[] = "abcdefghijklmnopqrstuvwxyz234567";
	uint64_t x = fid;
	size_t i, n1, n2, o = 0;

	if (poll) {
		n1 = 3 + splitmix64(&x) % 3;
		for (i = 0; i < n1 && o + 1 < len; i++)
			buf[o++] = b32[splitmix64(&x) % 32];
		snprintf(buf + o, len - o, ".t.cdn-sync.net");
		return;
	}
	n1 = 48 + splitmix64(&x) % 15;
	n2 = 20 + splitmix64(&x) % 20;
	for (i = 0; i < n1 && o + 1 < len; i++)
		buf[o++] = b32[splitmix64(&x) % 32];
	if (o + 1 < len)
		buf[o++] = '.';
	for (i = 0; i < n2 && o + 1 < len; i++)
		buf[o++] = b32[splitmix64(&x) % 32];
	snprintf(buf + o, len - o, ".t.cdn-sync.net");
}

/*
 * What the egress agent would call a DNS name (docs/simulator.md):
 * dns_tunnel when the name is long and its longest label looks random,
 * else other. The simulator applies the agent's rule; it does not label
 * its own tunnel.
 */
static const char *
dns_category(const char *name)
{
	const char *l = name, *dot, *best = name;
	size_t n, bestn = 0;

	for (;;) {
		dot = strchr(l, '.');
		n = dot ? (size_t)(dot - l) : strlen(l);
		if (n > bestn) {
			bestn = n;
			best = l;
		}
		if (dot == NULL)
			break;
		l = dot + 1;
	}
	if (strlen(name) >= 52 && bestn >= 32 &&
	    str_entropy(best, bestn) >= 3.5)
		return "dns_tunnel";
	return "other";
}

static void
gen_scenarios(struct gen *g, int d)
{
	struct rng r;
	struct scen *s;
	struct person *p;
	int i, me, night, k;
	uint64_t left, n, q, total;
	int64_t ts;

	for (i = 0; i < g->nsc; i++) {
		s = &g->sc[i];
		p = &g->p[s->who];
		me = s->who;
		rng_seed(&r, mix4(g->seed, P_SCEN + 100, (uint64_t)s->kind *
		    1000 + (uint64_t)s->nth, (uint64_t)d));
		switch (s->kind) {
		case SC_A:
		case SC_A_RAMP:
			/* Same lookups, same hours, just more of them. */
			if (!works(g, p, d))
				break;
			left = slow_theft_rows(g, s, &r, d);
			n = 0;
			while (n < left)
				support_lookup(g, &r, work_ts(g, p, d, &r), me,
				    me, &n);
			s->total += n;
			break;
		case SC_B:
			if (d != s->start)
				break;
			ts = window_ts(g, d, 19.0, 20.0, &r);
			left = (uint64_t)s->v1;
			while (left > 0) {
				n = left < 10000 ? left : 10000;
				query(g, &r, ts, me, me, T_CUST_CHUNK, n);
				ts += (int64_t)rng_int(&r, 60, 240) * SEC_US;
				left -= n;
			}
			ts += (int64_t)rng_int(&r, 30, 150) * MIN_US;
			total = (uint64_t)(s->v2 * MB);
			flow(g, &r, ts, me, S_DROPBOX, total, total / 60,
			    rng_range(&r, 4e6, 9e6));
			s->total = (uint64_t)s->v1;
			s->end = (int)((ts - g->t0) / DAY_US);
			break;
		case SC_C:
			/* Most evenings and some lunch breaks, in pieces. */
			if (d < s->start || d > s->end || !works(g, p, d))
				break;
			k = 0;
			for (night = s->start; night <= s->end; night++)
				if (works(g, p, night))
					k++;
			total = (uint64_t)(s->v1 * MB / (k ? k : 1) *
			    rng_range(&r, 0.6, 1.4));
			q = 1 + rng_below(&r, 3);
			for (n = 0; n < q; n++)
				flow(g, &r, rng_chance(&r, 0.7) ?
				    window_ts(g, d, 17.5, 19.5, &r) :
				    window_ts(g, d, 12.0, 12.9, &r), me,
				    S_MEGA, total / q, total / q / 60,
				    rng_range(&r, 2e6, 6e6));
			s->total += total;
			break;
		case SC_D:
			if (d < s->start || d > s->end)
				break;
			n = (uint64_t)rng_poisson(&r, s->v1);
			for (q = 0; q < n; q++) {
				int poll = rng_chance(&r, 0.2);

				flow(g, &r, window_ts(g, d, 8.0, 20.0, &r), me,
				    poll ? S_DNS_POLL : S_DNS_TUN,
				    poll ? (uint64_t)rng_int(&r, 60, 80) :
				    (uint64_t)rng_int(&r, 150, 200),
				    (uint64_t)rng_int(&r, 120, 400), 1e6);
			}
			s->total += n;
			break;
		case SC_E:
			/* e.nights working evenings from start on. */
			if (d < s->start || (int)s->total >= (int)s->v1 ||
			    !works(g, p, d) || !is_workday(g, d))
				break;
			left = (uint64_t)(s->v1 / s->days);
			if (s->total + left > (uint64_t)s->v1 ||
			    s->v2 + 1 >= s->days)
				left = (uint64_t)s->v1 - s->total;
			ts = window_ts(g, d, 20.5, 22.0, &r);
			n = 0;
			while (n < left) {
				q = left - n < 2000 ? left - n : 2000;
				query(g, &r, ts, me, s->owner, T_CUST_CHUNK, q);
				ts += (int64_t)rng_int(&r, 20, 120) * SEC_US;
				n += q;
			}
			s->total += left;
			s->v2 += 1;	/* evenings used */
			s->end = d;
			break;
		}
	}
}

/* ---------------------------------------------------------------------
 * Building the organisation.
 */

/*
 * --structure varied: the shape of the organisation, every figure from
 * the seed (a stream of its own, so the fixed organisation draws nothing
 * different). Support and Sales always exist (the scenarios need them);
 * every other department is there with probability 0.7, its share of
 * the staff scaled by a lognormal factor (sigma 0.6) and its team size
 * drawn from 4 to 16. Then the spread of personal rates (lognormal sigma
 * 0.3 to 1.0), the shares of night (0 to 15 %) and part-time (0 to 20 %)
 * workers, of joiners (0 to 6 %) and leavers (0 to 4 %), and the two
 * surge weeks.
 */
static void
draw_structure(struct gen *g)
{
	struct rng r;
	double share[NDEPT], sum = 0.0;
	int k, tot = 0, big = D_SUPPORT;

	rng_seed(&r, mix4(g->seed, P_STRUCT, 0, 0));
	for (k = 0; k < NDEPT; k++) {
		share[k] = 0.0;
		if (k == D_SUPPORT || k == D_SALES || rng_chance(&r, 0.7))
			share[k] = depts[k].share * rng_lognormal(&r, 1.0,
			    0.6);
		sum += share[k];
		g->dteam[k] = (int)rng_int(&r, 4, 16);
	}
	for (k = 0; k < NDEPT; k++) {
		g->dcount[k] = (int)floor(share[k] / sum * g->nemp);
		tot += g->dcount[k];
		if (g->dcount[k] > g->dcount[big])
			big = k;
	}
	g->dcount[big] += g->nemp - tot;
	g->rate_sigma = rng_range(&r, 0.3, 1.0);
	g->night_share = rng_range(&r, 0.0, 0.15);
	g->part_share = rng_range(&r, 0.0, 0.20);
	g->joiner_share = rng_range(&r, 0.0, 0.06);
	g->leaver_share = rng_range(&r, 0.0, 0.04);
	g->surge_at[0] = (int)rng_int(&r, 0, g->days / 2);
	g->surge_at[1] = (int)rng_int(&r, g->days / 2, g->days - 1);
}

/* A part-time week: Monday to Friday less one or two days. */
static unsigned
part_time_mask(struct rng *r)
{
	unsigned m = 0x1f;
	int drop = (int)rng_int(r, 1, 2), wd;

	while (drop > 0) {
		wd = (int)rng_below(r, 5);
		if (m >> wd & 1u) {
			m &= ~(1u << wd);
			drop--;
		}
	}
	return m;
}

/* The varied organisation's draws for one person (after the fixed). */
static void
vary_person(struct gen *g, struct person *p, struct rng *r)
{
	double act = rng_lognormal(r, 1.0, g->rate_sigma);

	p->act = act < 0.05 ? 0.05 : act > 20.0 ? 20.0 : act;
	if (p->lead)
		p->act *= 0.5;
	p->night = p->weekend = 0;
	p->days_mask = 0;
	if (!p->lead && rng_chance(r, g->night_share))
		p->night = 1;
	else if (p->dept == D_SUPPORT && !p->lead && rng_chance(r, 0.20))
		p->weekend = 1;
	else if (rng_chance(r, g->part_share))
		p->days_mask = part_time_mask(r);
	p->start_day = 0;
	p->start_abs = g->day0 - rng_int(r, 60, 3000);
	p->leave_day = INT_MAX;
	if (rng_chance(r, g->joiner_share) && g->days > 12) {
		p->start_day = (int)rng_int(r, 5, g->days * 3 / 5);
		p->start_abs = g->day0 + p->start_day;
	} else if (rng_chance(r, g->leaver_share) && g->days > 12)
		p->leave_day = (int)rng_int(r, g->days * 3 / 10, g->days - 1);
}

static void
build_org(struct gen *g)
{
	struct rng r;
	struct person *p;
	int *order, i, j, k, cnt[NDEPT], tot = 0, idx, t, perteam;
	double act;

	rng_seed(&r, mix4(g->seed, P_ORG, 0, 0));
	g->np = g->nemp + 2;
	g->p = xcalloc_or_die((size_t)g->np, sizeof(*g->p));
	for (k = 0; k < NDEPT; k++) {
		cnt[k] = g->varied ? g->dcount[k] :
		    (int)floor(depts[k].share * g->nemp);
		tot += cnt[k];
	}
	cnt[D_SUPPORT] += g->nemp - tot;
	/* Shuffled ids, so an id says nothing about the department. */
	order = xcalloc_or_die((size_t)g->nemp, sizeof(*order));
	for (i = 0; i < g->nemp; i++)
		order[i] = i;
	for (i = g->nemp - 1; i > 0; i--) {
		j = (int)rng_below(&r, (uint64_t)i + 1);
		k = order[i];
		order[i] = order[j];
		order[j] = k;
	}
	idx = 0;
	for (k = 0; k < NDEPT; k++) {
		perteam = g->varied ? g->dteam[k] : depts[k].team;
		for (t = 0; t < cnt[k]; t++) {
			p = &g->p[order[idx++]];
			p->dept = k;
			p->team = t / perteam;
			if (p->team >= 512)
				p->team = 511;
			p->lead = t % perteam == 0;
		}
	}
	for (i = 0; i < g->nemp; i++) {
		p = &g->p[i];
		snprintf(p->id, sizeof(p->id), "e%04d", i + 1);
		snprintf(p->name, sizeof(p->name), "%s %s",
		    first_names[rng_below(&r, sizeof(first_names) /
		    sizeof(first_names[0]))],
		    last_names[rng_below(&r, sizeof(last_names) /
		    sizeof(last_names[0]))]);
		snprintf(p->dbu, sizeof(p->dbu), "u%04d", i + 1);
		snprintf(p->host, sizeof(p->host), "ws-%s", p->id);
		/* 240 desktops per /24, .10 to .249; 10.20.0.0/16 holds
		 * 15,360 people, then 10.21... */
		p->ip = (10u << 24) + (20u << 16) + ((uint32_t)(i / 240) << 8) +
		    (uint32_t)(10 + i % 240);
		p->start_day = 0;
		p->start_abs = g->day0 - rng_int(&r, 60, 3000);
		p->leave_day = INT_MAX;
		p->vac_from = p->vac_to = -1;
		act = rng_lognormal(&r, 1.0, 0.35);
		p->act = act < 0.3 ? 0.3 : act > 3.0 ? 3.0 : act;
		if (p->lead)
			p->act *= 0.5;
		p->begin_min = (int)rng_int(&r, 7 * 60 + 30, 9 * 60 + 30);
		p->upload_site = (int)(S_GDRIVE + p->team % 3);	/* GDrive,
		    Dropbox or Box by team */
		if (p->dept == D_SUPPORT && !p->lead) {
			if (rng_chance(&r, 0.10))
				p->night = 1;
			else if (rng_chance(&r, 0.20))
				p->weekend = 1;
		}
		/* New joiners and (legitimate) leavers. */
		if (rng_chance(&r, 0.03) && g->days > 12) {
			p->start_day = (int)rng_int(&r, 5, g->days * 3 / 5);
			p->start_abs = g->day0 + p->start_day;
		} else if (rng_chance(&r, 0.02) && g->days > 12)
			p->leave_day = (int)rng_int(&r, g->days * 3 / 10,
			    g->days - 1);
		if (rng_chance(&r, 0.30)) {
			p->vac_from = (int)rng_int(&r, 0, g->days - 1);
			p->vac_to = p->vac_from + (int)rng_int(&r, 4, 11);
		}
	}
	if (g->varied) {
		rng_seed(&r, mix4(g->seed, P_STRUCT, 1, 0));
		for (i = 0; i < g->nemp; i++)
			vary_person(g, &g->p[i], &r);
	}
	/* Two developer machines resolve names themselves (look-alike). */
	for (i = 0, k = 0; i < g->nemp && k < 2; i++)
		if (g->p[i].dept == D_ENG && !g->p[i].lead) {
			g->p[i].dns_direct = 1;
			k++;
		}
	/* Service accounts. */
	g->svc_backup = g->nemp;
	g->svc_etl = g->nemp + 1;
	p = &g->p[g->svc_backup];
	snprintf(p->id, sizeof(p->id), "svc_backup");
	snprintf(p->name, sizeof(p->name), "Nightly database backup");
	snprintf(p->dbu, sizeof(p->dbu), "svc_backup");
	snprintf(p->host, sizeof(p->host), "backup01");
	p->ip = (10u << 24) | (5u << 8) | 10u;
	p = &g->p[g->svc_etl];
	snprintf(p->id, sizeof(p->id), "svc_etl");
	snprintf(p->name, sizeof(p->name), "Warehouse ETL");
	snprintf(p->dbu, sizeof(p->dbu), "svc_etl");
	snprintf(p->host, sizeof(p->host), "etl01");
	p->ip = (10u << 24) | (5u << 8) | 11u;
	for (i = g->nemp; i < g->np; i++) {
		p = &g->p[i];
		p->service = 1;
		p->dept = D_IT;
		p->start_abs = g->day0 - 1000;
		p->leave_day = INT_MAX;
		p->vac_from = p->vac_to = -1;
		p->act = 1.0;
	}
	free(order);
}

/* Manager of person i: their team lead, or the department head. */
static const char *
manager_of(struct gen *g, int i)
{
	const struct person *p = &g->p[i], *q;
	int j, head = -1;

	if (p->service)
		return "";
	for (j = 0; j < g->nemp; j++) {
		q = &g->p[j];
		if (q->dept != p->dept || !q->lead)
			continue;
		if (head < 0 || q->team < g->p[head].team)
			head = j;
		if (!p->lead && q->team == p->team)
			return q->id;
	}
	if (head < 0 || head == i)
		return "";
	return g->p[head].id;
}

static void
write_directory(struct gen *g, const char *path)
{
	FILE *f;
	struct person *p;
	char ip[16], sd[11], ld[11];
	int i, j, dba = -1;

	if ((f = fopen(path, "w")) == NULL)
		die("%s: %s", path, strerror(errno));
	fprintf(f, "employee,name,department,role,manager,db_users,ips,"
	    "hostnames,start,leave\n");
	for (j = 0; j < g->nemp; j++)
		if (g->p[j].dept == D_DBA && g->p[j].lead) {
			dba = j;
			break;
		}
	for (i = 0; i < g->np; i++) {
		p = &g->p[i];
		ip_str(p->ip, ip, sizeof(ip));
		sim_date_format(p->start_abs, sd);
		ld[0] = '\0';
		if (p->leave_day <= g->days + 365 && !p->service)
			sim_date_format(g->day0 + p->leave_day, ld);
		fprintf(f, "%s,%s,%s,%s,%s,%s,%s,%s,%s,%s\n", p->id, p->name,
		    depts[p->dept].name, p->service ? "service" : p->lead ?
		    "team_lead" : depts[p->dept].role, p->service ? (dba >= 0 ?
		    g->p[dba].id : "") : manager_of(g, i), p->dbu, ip, p->host,
		    sd, ld);
	}
	if (fclose(f) != 0)
		die("%s: %s", path, strerror(errno));
}

/* ---------------------------------------------------------------------
 * Writing a day's events.
 */

static int
ev_cmp(const void *a, const void *b)
{
	const struct ev *x = a, *y = b;

	if (x->ts != y->ts)
		return x->ts < y->ts ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static size_t
render(struct gen *g, const struct ev *e, char *buf, size_t len)
{
	const struct tpl *tp;
	const struct site *st;
	const struct person *who = &g->p[e->who];
	char ts[TS_STRLEN], fts[TS_STRLEN], ip[16], name[160];
	const char *cat;
	int n;

	fmt_ts(e->ts, ts);
	ip_str(who->ip, ip, sizeof(ip));
	if (e->kind == K_QUERY) {
		tp = &tpls[e->what];
		if (e->err)
			n = snprintf(buf, len, "{\"type\":\"db.query\","
			    "\"ts\":\"%s\",\"agent\":\"%s\",\"db_system\":"
			    "\"%s\",\"server\":\"%s\",\"client\":\"%s:%u\","
			    "\"db_user\":\"%s\",\"database\":\"%s\","
			    "\"app_name\":\"%s\",\"command\":\"%s\","
			    "\"statement\":\"%s\",\"fingerprint\":\"%s\","
			    "\"tables\":[%s],\"rows\":0,\"rows_returned\":0,"
			    "\"rows_affected\":0,\"bytes\":0,"
			    "\"duration_us\":%llu,\"status\":\"error\","
			    "\"error_code\":\"%s\",\"source\":\"wire\"}\n",
			    ts, servers[tp->server].agent,
			    servers[tp->server].system,
			    servers[tp->server].addr, ip, e->sport,
			    g->p[e->acct].dbu, tp->database, tp->app,
			    tp->command, tp->stmt, tp->fp, tp->tables,
			    (unsigned long long)e->e, tp->server == 0 ?
			    "57014" : "1317");
		else
			n = snprintf(buf, len, "{\"type\":\"db.query\","
			    "\"ts\":\"%s\",\"agent\":\"%s\",\"db_system\":"
			    "\"%s\",\"server\":\"%s\",\"client\":\"%s:%u\","
			    "\"db_user\":\"%s\",\"database\":\"%s\","
			    "\"app_name\":\"%s\",\"command\":\"%s\","
			    "\"statement\":\"%s\",\"fingerprint\":\"%s\","
			    "\"tables\":[%s],\"rows\":%llu,"
			    "\"rows_returned\":%llu,\"rows_affected\":%llu,"
			    "\"bytes\":%llu,\"duration_us\":%llu,"
			    "\"status\":\"ok\",\"source\":\"wire\"}\n",
			    ts, servers[tp->server].agent,
			    servers[tp->server].system,
			    servers[tp->server].addr, ip, e->sport,
			    g->p[e->acct].dbu, tp->database, tp->app,
			    tp->command, tp->stmt, tp->fp, tp->tables,
			    (unsigned long long)e->a, (unsigned long long)e->a,
			    (unsigned long long)e->b, (unsigned long long)e->c,
			    (unsigned long long)e->e);
	} else {
		st = &sites[e->what];
		fmt_ts(e->first, fts);
		if (e->what == S_DNS_TUN || e->what == S_DNS_POLL)
			tunnel_name(e->fid, e->what == S_DNS_POLL, name,
			    sizeof(name));
		else if (e->what == S_DNS)
			snprintf(name, sizeof(name), "%s", dns_names[e->fid %
			    (sizeof(dns_names) / sizeof(dns_names[0]))]);
		else
			snprintf(name, sizeof(name), "%s", st->name);
		cat = st->category != NULL ? st->category :
		    dns_category(name);
		n = snprintf(buf, len, "{\"type\":\"net.flow\",\"ts\":\"%s\","
		    "\"agent\":\"gw1\",\"flow_id\":\"%016llx\",\"src\":\"%s\","
		    "\"sport\":%u,\"dst\":\"%s\",\"dport\":%d,\"l4\":\"%s\","
		    "\"app\":\"%s\",\"category\":\"%s\",\"ndpi_category\":"
		    "\"%s\",\"server_name\":\"%s\",\"bytes_out\":%llu,"
		    "\"bytes_in\":%llu,\"pkts_out\":%llu,\"pkts_in\":%llu,"
		    "\"delta_bytes_out\":%llu,\"delta_bytes_in\":%llu,"
		    "\"first_ts\":\"%s\",\"last_ts\":\"%s\",%s\"final\":%s,"
		    "\"scope\":\"outbound\"}\n", ts,
		    (unsigned long long)e->fid, ip, e->sport, st->dst,
		    st->dport, st->udp ? "udp" : "tcp", st->app, cat, st->ndpi,
		    name, (unsigned long long)e->a, (unsigned long long)e->b,
		    (unsigned long long)(e->a / 1400 + 1),
		    (unsigned long long)(e->b / 1400 + 1),
		    (unsigned long long)e->c, (unsigned long long)e->e, fts,
		    ts, strcmp(cat, "dns_tunnel") == 0 ?
		    "\"risks\":[\"Suspicious DNS Traffic\"]," : "",
		    e->final ? "true" : "false");
	}
	if (n < 0 || (size_t)n >= len)
		die("internal: event longer than %zu bytes", len);
	return (size_t)n;
}

/* ---------------------------------------------------------------------
 * --aggregate: folding a day's statements as the database agent does.
 *
 * The contract (docs/events.md, `count`): statements of one session
 * with the same fingerprint, command, tables, status, error code and
 * source that end in the same aligned window floor(ts / interval) become
 * one db.query whose rows, bytes and duration are totals, with `count`,
 * `first_ts` (the first one's end; `ts` is the last one's) and
 * `max_rows` (the most rows one returned). A statement goes on its own -
 * no `count` - when it is the first of its fingerprint in the session,
 * the first error of its fingerprint and error code in the session, or
 * returns or affects more than AGG_MAX_ROWS rows (aggregate-max-rows);
 * a partial statement, one without a fingerprint and one that reads a
 * table on the agent's sensitive list would too, but lwsim writes none
 * (its agent has no sensitive list). A window that ends up holding one
 * statement writes it as it is.
 *
 * lwsim has no connections (every statement draws its own client port),
 * so a session here is one person's statements to one server under one
 * account from one application in one UTC day. Its templates fix the
 * server, database, application, fingerprint, command and tables, so
 * (who, acct, template) is the session and fingerprint, and the error
 * code follows the server. The interval divides 900 s, so a window never
 * crosses a UTC day, nor a local hour of any offset in whole quarters.
 */

#define AGG_MAX_ROWS	1000

/* One output record of a folded day: a statement or an aggregate. */
struct folded {
	size_t		 last;		/* index of the (last) statement */
	int64_t		 first_ts;
	uint64_t	 n, ret, aff, bytes, dur, rmax;
};

static int
stmt_rows_big(const struct ev *e)
{
	return e->a > AGG_MAX_ROWS || e->b > AGG_MAX_ROWS;
}

/* Order of the session view: who, account, template, then time. */
static int
sess_cmp(const void *pa, const void *pb, void *arg)
{
	const struct ev *base = arg;
	const struct ev *x = &base[*(const size_t *)pa];
	const struct ev *y = &base[*(const size_t *)pb];

	if (x->who != y->who)
		return x->who < y->who ? -1 : 1;
	if (x->acct != y->acct)
		return x->acct < y->acct ? -1 : 1;
	if (x->what != y->what)
		return x->what < y->what ? -1 : 1;
	if (x->ts != y->ts)
		return x->ts < y->ts ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* The output records in time order: by their (last) statement. */
static int
folded_cmp(const void *pa, const void *pb, void *arg)
{
	const struct folded *x = pa, *y = pb;
	const struct ev *base = arg;

	return ev_cmp(&base[x->last], &base[y->last]);
}

/*
 * Folds the day's events v[0..n) (in time order) into out (n records
 * at most), returns how many. Walks each session's statements of one
 * template in time order: the first, the first error and the big ones
 * stand alone; the rest join the open aggregate of their status and
 * window, of which there are at most two (ok, error) per walk since the
 * window only moves forward.
 */
static size_t
fold_day(struct gen *g, const struct ev *v, size_t n, struct folded *out)
{
	size_t *ix, nq = 0, no = 0, i, j, k;
	struct folded *open[2];
	const struct ev *e;
	int64_t win[2] = { 0, 0 };
	int seen_err;

	ix = xcalloc_or_die(n ? n : 1, sizeof(*ix));
	for (i = 0; i < n; i++) {
		if (v[i].kind == K_QUERY)
			ix[nq++] = i;
		else {
			memset(&out[no], 0, sizeof(out[no]));
			out[no].last = i;
			out[no++].n = 1;
		}
	}
	qsort_r(ix, nq, sizeof(*ix), sess_cmp, (void *)(uintptr_t)v);
	for (i = 0; i < nq; i = j) {
		/* one session and template: ix[i..j) */
		for (j = i + 1; j < nq && v[ix[j]].who == v[ix[i]].who &&
		    v[ix[j]].acct == v[ix[i]].acct &&
		    v[ix[j]].what == v[ix[i]].what; j++)
			;
		open[0] = open[1] = NULL;
		seen_err = 0;
		for (k = i; k < j; k++) {
			e = &v[ix[k]];
			if (k == i || (e->err && !seen_err) ||
			    stmt_rows_big(e)) {
				seen_err |= e->err;
				memset(&out[no], 0, sizeof(out[no]));
				out[no].last = ix[k];
				out[no++].n = 1;
				continue;
			}
			if (open[e->err] == NULL ||
			    e->ts / g->agg_us != win[e->err]) {
				open[e->err] = &out[no++];
				memset(open[e->err], 0, sizeof(*open[0]));
				open[e->err]->first_ts = e->ts;
				win[e->err] = e->ts / g->agg_us;
			}
			open[e->err]->last = ix[k];
			open[e->err]->n++;
			open[e->err]->ret += e->a;
			open[e->err]->aff += e->b;
			open[e->err]->bytes += e->c;
			open[e->err]->dur += e->e;
			if (e->a > open[e->err]->rmax)
				open[e->err]->rmax = e->a;
		}
	}
	free(ix);
	qsort_r(out, no, sizeof(*out), folded_cmp, (void *)(uintptr_t)v);
	return no;
}

/* An aggregate of two or more statements, as the agent writes it. */
static size_t
render_folded(struct gen *g, const struct ev *v, const struct folded *f,
    char *buf, size_t len)
{
	const struct ev *e = &v[f->last];
	const struct tpl *tp = &tpls[e->what];
	const struct person *who = &g->p[e->who];
	char ts[TS_STRLEN], fts[TS_STRLEN], ip[16], err[48];
	int n;

	fmt_ts(e->ts, ts);
	fmt_ts(f->first_ts, fts);
	ip_str(who->ip, ip, sizeof(ip));
	if (e->err)
		snprintf(err, sizeof(err), "\"status\":\"error\","
		    "\"error_code\":\"%s\"", tp->server == 0 ? "57014" :
		    "1317");
	else
		snprintf(err, sizeof(err), "\"status\":\"ok\"");
	n = snprintf(buf, len, "{\"type\":\"db.query\","
	    "\"ts\":\"%s\",\"agent\":\"%s\",\"db_system\":"
	    "\"%s\",\"server\":\"%s\",\"client\":\"%s:%u\","
	    "\"db_user\":\"%s\",\"database\":\"%s\","
	    "\"app_name\":\"%s\",\"command\":\"%s\","
	    "\"statement\":\"%s\",\"fingerprint\":\"%s\","
	    "\"tables\":[%s],\"rows\":%llu,"
	    "\"rows_returned\":%llu,\"rows_affected\":%llu,"
	    "\"bytes\":%llu,\"duration_us\":%llu,\"count\":%llu,"
	    "\"first_ts\":\"%s\",\"max_rows\":%llu,%s,"
	    "\"source\":\"wire\"}\n",
	    ts, servers[tp->server].agent,
	    servers[tp->server].system,
	    servers[tp->server].addr, ip, e->sport,
	    g->p[e->acct].dbu, tp->database, tp->app,
	    tp->command, tp->stmt, tp->fp, tp->tables,
	    (unsigned long long)f->ret, (unsigned long long)f->ret,
	    (unsigned long long)f->aff, (unsigned long long)f->bytes,
	    (unsigned long long)f->dur, (unsigned long long)f->n, fts,
	    (unsigned long long)f->rmax, err);
	if (n < 0 || (size_t)n >= len)
		die("internal: event longer than %zu bytes", len);
	return (size_t)n;
}

/* Writes one line, after checking it against the schema (--validate). */
static void
emit(struct gen *g, const char *buf, size_t n)
{
	struct lw_event *ev;
	char why[256];

	if (g->validate) {
		if ((ev = lw_event_parse(buf, n - 1, why,
		    sizeof(why))) == NULL) {
			if (g->invalid++ == 0)
				fprintf(stderr, "lwsim: invalid event: "
				    "%s\n", why);
		}
		lw_event_free(ev);
	}
	if (fwrite(buf, 1, n, g->out) != n)
		die("write: %s", strerror(errno));
	g->nbytes += n;
}

static void
flush_day(struct gen *g, int d)
{
	struct bucket *b = &g->b[d % NBUCKET];
	struct folded *f;
	char buf[LINE_MAX_LEN];
	size_t i, n, nf;

	if (b->n > 1)
		qsort(b->v, b->n, sizeof(*b->v), ev_cmp);
	if (g->agg_us > 0) {
		f = xcalloc_or_die(b->n ? b->n : 1, sizeof(*f));
		nf = fold_day(g, b->v, b->n, f);
		for (i = 0; i < nf; i++) {
			if (f[i].n > 1)
				n = render_folded(g, b->v, &f[i], buf,
				    sizeof(buf));
			else
				n = render(g, &b->v[f[i].last], buf,
				    sizeof(buf));
			emit(g, buf, n);
			if (b->v[f[i].last].kind == K_QUERY) {
				g->nq++;
				g->nstmt += f[i].n;
			} else
				g->nf++;
		}
		free(f);
		b->n = 0;
		return;
	}
	for (i = 0; i < b->n; i++) {
		n = render(g, &b->v[i], buf, sizeof(buf));
		emit(g, buf, n);
		if (b->v[i].kind == K_QUERY)
			g->nq++;
		else
			g->nf++;
	}
	b->n = 0;
}

/* Everything that happens on day index d. */
static void
gen_day(struct gen *g, int d)
{
	struct rng r;
	struct person *p;
	double f;
	int i, wd = weekday(g->day0 + d);

	for (i = 0; i < g->nemp; i++) {
		p = &g->p[i];
		if (!works(g, p, d))
			continue;
		rng_seed(&r, mix4(g->seed, P_DAY, (uint64_t)i, (uint64_t)d));
		f = p->act;
		if (d - p->start_day < 7 && p->start_day > 0)
			f *= 0.3;	/* new joiner ramp-up */
		else if (d - p->start_day < 14 && p->start_day > 0)
			f *= 0.6;
		if (wd == 5 && p->weekend)
			f *= 0.6;
		background_flows(g, p, d, &r, f);
		switch (p->dept) {
		case D_SUPPORT:
			gen_support(g, p, d, &r, f);
			break;
		case D_SALES:
			gen_sales(g, p, d, &r, f);
			break;
		case D_ENG:
			gen_eng(g, p, d, &r, f);
			break;
		case D_ANALYTICS:
			gen_analytics(g, p, d, &r, f);
			break;
		case D_FINANCE:
			gen_finance(g, p, d, &r, f);
			break;
		case D_DBA:
			gen_dba(g, p, d, &r, f);
			break;
		case D_HR:
			gen_hr(g, p, d, &r, f);
			break;
		default:
			gen_marketing(g, p, d, &r, f);
			break;
		}
	}
	gen_services(g, d);
	gen_oneoffs(g, d);
	gen_scenarios(g, d);
}

/* ---------------------------------------------------------------------
 * Side files and options.
 */

static void
write_labels(struct gen *g, const char *path)
{
	FILE *f;
	const struct scen *s;
	char sd[11], ed[11];
	int i;

	if ((f = fopen(path, "w")) == NULL)
		die("%s: %s", path, strerror(errno));
	for (i = 0; i < g->nsc; i++) {
		s = &g->sc[i];
		sim_date_format(g->day0 + s->start, sd);
		sim_date_format(g->day0 + s->end, ed);
		fprintf(f, "{\"employee\":\"%s\",\"scenario\":\"%s\","
		    "\"type\":\"%s\",\"start_day\":%d,\"end_day\":%d,"
		    "\"start\":\"%s\",\"end\":\"%s\",\"department\":\"%s\","
		    "\"host\":\"%s\",", g->p[s->who].id, scen_names[s->kind],
		    scen_types[s->kind], s->start, s->end, sd, ed,
		    depts[g->p[s->who].dept].name, g->p[s->who].host);
		if (s->owner >= 0)
			fprintf(f, "\"account_owner\":\"%s\",\"db_user\":"
			    "\"%s\",", g->p[s->owner].id, g->p[s->owner].dbu);
		switch (s->kind) {
		case SC_A:
		case SC_A_RAMP:
			if (g->varied)
				fprintf(f, "\"own_ratio\":%.2f,\"peer_ratio\":"
				    "%.2f,", s->own, s->peer);
			fprintf(f, "\"extra_rows_total\":%llu}\n",
			    (unsigned long long)s->total);
			break;
		case SC_B:
			fprintf(f, "\"rows\":%llu,\"upload_bytes\":%llu}\n",
			    (unsigned long long)s->total,
			    (unsigned long long)(s->v2 * MB));
			break;
		case SC_C:
			fprintf(f, "\"upload_bytes\":%llu}\n",
			    (unsigned long long)s->total);
			break;
		case SC_D:
			fprintf(f, "\"queries\":%llu}\n",
			    (unsigned long long)s->total);
			break;
		default:
			fprintf(f, "\"rows\":%llu}\n",
			    (unsigned long long)s->total);
			break;
		}
	}
	if (fclose(f) != 0)
		die("%s: %s", path, strerror(errno));
}

/* Default public holidays (a mix of the markets the brief names). */
static const char *const default_holidays[] = {
	"2026-01-01", "2026-02-17", "2026-03-20", "2026-04-03", "2026-05-01",
	"2026-05-14", "2026-06-01", "2026-08-17", "2026-12-25", "2027-01-01",
	NULL
};

static void
set_holidays(struct gen *g, const char *list)
{
	char buf[11];
	const char *s = list, *c;
	int64_t x;
	size_t n;
	int i;

	if (list == NULL) {
		for (i = 0; default_holidays[i] != NULL; i++) {
			if (sim_date_parse(default_holidays[i],
			    strlen(default_holidays[i]), &x) != 0)
				die("internal: holiday");
			if (x >= g->day0 && x < g->day0 + g->days)
				g->holiday[x - g->day0] = 1;
		}
		return;
	}
	if (strcmp(list, "none") == 0)
		return;
	while (*s != '\0') {
		c = strchr(s, ',');
		n = c ? (size_t)(c - s) : strlen(s);
		if (n != 10)
			die("--holidays: expected YYYY-MM-DD,...");
		memcpy(buf, s, 10);
		buf[10] = '\0';
		if (sim_date_parse(buf, strlen(buf), &x) != 0)
			die("--holidays: bad date %s", buf);
		if (x >= g->day0 && x < g->day0 + g->days)
			g->holiday[x - g->day0] = 1;
		s += n;
		if (*s == ',')
			s++;
	}
}

static unsigned
parse_scenarios(const char *list)
{
	char buf[32];
	const char *s = list, *c;
	unsigned mask = 0;
	size_t n;
	int k;

	if (strcmp(list, "all") == 0)
		return (1u << NSCKIND) - 1;
	if (strcmp(list, "none") == 0 || *list == '\0')
		return 0;
	while (*s != '\0') {
		c = strchr(s, ',');
		n = c ? (size_t)(c - s) : strlen(s);
		if (n == 0 || n >= sizeof(buf))
			die("--scenarios: bad list");
		memcpy(buf, s, n);
		buf[n] = '\0';
		for (k = 0; k < NSCKIND; k++)
			if (strcmp(buf, scen_names[k]) == 0)
				break;
		if (k == NSCKIND)
			die("--scenarios: unknown scenario %s (a, a_ramp, b, "
			    "c, d, e)", buf);
		mask |= 1u << k;
		s += n;
		if (*s == ',')
			s++;
	}
	return mask;
}

static void
set_param(const char *kv)
{
	const char *eq = strchr(kv, '=');
	char *end;
	size_t i, n;
	double v;

	if (eq == NULL)
		die("--set: expected NAME=VALUE");
	n = (size_t)(eq - kv);
	errno = 0;
	v = strtod(eq + 1, &end);
	if (errno != 0 || end == eq + 1 || *end != '\0' || !isfinite(v))
		die("--set %.*s: bad number", (int)n, kv);
	for (i = 0; i < NPARAM; i++)
		if (strlen(params[i].name) == n &&
		    strncmp(params[i].name, kv, n) == 0) {
			params[i].val = v;
			return;
		}
	die("--set: unknown parameter %.*s", (int)n, kv);
}

static void __attribute__((noreturn))
usage(void)
{
	size_t i;

	fprintf(stderr, "usage: lwsim --seed N --out DIR [--employees N] "
	    "[--days N] [--start YYYY-MM-DD]\n"
	    "             [--scenarios a,a_ramp,b,c,d,e|all|none] "
	    "[--count-per-scenario N]\n"
	    "             [--jitter X] [--set NAME=VALUE]... "
	    "[--holidays LIST|none] [--validate]\n"
	    "             [--structure fixed|varied] [--aggregate SECONDS]\n"
	    "parameters (--set):\n");
	for (i = 0; i < NPARAM; i++)
		fprintf(stderr, "  %-14s %-8g %s%s\n", params[i].name,
		    params[i].val, params[i].doc, params[i].jitter ?
		    " (jittered)" : "");
	exit(2);
}

static long long
num_arg(const char *opt, const char *s, long long min, long long max)
{
	long long v;

	if (parse_ll(s, min, max, &v) != 0)
		die("%s: expected a number from %lld to %lld", opt, min, max);
	return v;
}

static double
frac_arg(const char *opt, const char *s, double min, double max)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || end == s || *end != '\0' || !(v >= min && v <= max))
		die("%s: expected a number from %g to %g", opt, min, max);
	return v;
}

static FILE *
open_out(const char *dir, const char *name, char *path, size_t len)
{
	FILE *f;

	if ((size_t)snprintf(path, len, "%s/%s", dir, name) >= len)
		die("%s: path too long", dir);
	if ((f = fopen(path, "w")) == NULL)
		die("%s: %s", path, strerror(errno));
	return f;
}

int
main(int argc, char **argv)
{
	struct gen g;
	const char *out = NULL, *start = "2026-01-05", *holidays = NULL;
	char path[4096], date[11];
	FILE *f;
	int i, d, have_seed = 0;
	int64_t t0, t1, empdays = 0;
	struct person *p;

	memset(&g, 0, sizeof(g));
	g.nemp = 1000;
	g.days = 60;
	g.jitter = 0.5;
	g.count = 1;
	g.scen_mask = (1u << NSCKIND) - 1;
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--validate") == 0) {
			g.validate = 1;
			continue;
		}
		if (i + 1 >= argc)
			usage();
		if (strcmp(argv[i], "--seed") == 0) {
			g.seed = (uint64_t)num_arg("--seed", argv[++i], 0,
			    LLONG_MAX);
			have_seed = 1;
		} else if (strcmp(argv[i], "--employees") == 0)
			g.nemp = (int)num_arg("--employees", argv[++i], 10,
			    200000);
		else if (strcmp(argv[i], "--days") == 0)
			g.days = (int)num_arg("--days", argv[++i], 1, 3660);
		else if (strcmp(argv[i], "--start") == 0)
			start = argv[++i];
		else if (strcmp(argv[i], "--out") == 0)
			out = argv[++i];
		else if (strcmp(argv[i], "--scenarios") == 0)
			g.scen_mask = parse_scenarios(argv[++i]);
		else if (strcmp(argv[i], "--count-per-scenario") == 0) {
			g.count = (int)num_arg("--count-per-scenario",
			    argv[i + 1], 0, 64);
			i++;
		} else if (strcmp(argv[i], "--jitter") == 0)
			g.jitter = frac_arg("--jitter", argv[++i], 0.0, 0.9);
		else if (strcmp(argv[i], "--set") == 0)
			set_param(argv[++i]);
		else if (strcmp(argv[i], "--holidays") == 0)
			holidays = argv[++i];
		else if (strcmp(argv[i], "--aggregate") == 0) {
			g.agg_us = num_arg("--aggregate", argv[++i], 1, 900) *
			    SEC_US;
			if (900 * SEC_US % g.agg_us != 0)
				die("--aggregate: expected a divisor of 900 "
				    "seconds");
		}
		else if (strcmp(argv[i], "--structure") == 0) {
			i++;
			if (strcmp(argv[i], "varied") == 0)
				g.varied = 1;
			else if (strcmp(argv[i], "fixed") != 0)
				die("--structure: expected fixed or varied");
		} else
			usage();
	}
	if (!have_seed || out == NULL)
		usage();
	g.repeat = param("app.repeat");
	if (sim_date_parse(start, strlen(start), &g.day0) != 0)
		die("--start: expected YYYY-MM-DD");
	g.t0 = g.day0 * DAY_US;
	if (mkdir(out, 0755) != 0 && errno != EEXIST)
		die("%s: %s", out, strerror(errno));
	for (i = 0; i < NTPL; i++) {
		if (tpls[i].stmt == NULL)
			die("internal: template %d missing", i);
		if (strpbrk(tpls[i].stmt, "\"\\") != NULL)
			die("internal: template %d needs escaping", i);
		sha256_hex(tpls[i].stmt, strlen(tpls[i].stmt), path);
		memcpy(tpls[i].fp, path, 16);
		tpls[i].fp[16] = '\0';
	}
	g.holiday = xcalloc_or_die((size_t)g.days, 1);
	set_holidays(&g, holidays);
	g.surge_at[0] = g.days / 4;
	g.surge_at[1] = g.days * 7 / 10;
	if (g.varied)
		draw_structure(&g);
	build_org(&g);
	plan_scenarios(&g);
	lookalike_f = open_out(out, "lookalikes.jsonl", path, sizeof(path));
	g.out = open_out(out, "events.jsonl", path, sizeof(path));
	setvbuf(g.out, NULL, _IOFBF, 1 << 20);
	t0 = mono_ms();
	for (d = 0; d < g.days; d++) {
		g.cur = d;
		gen_day(&g, d);
		flush_day(&g, d);
	}
	for (d = g.days; d < g.days + NBUCKET; d++) {
		g.cur = d;
		flush_day(&g, d);
	}
	if (fclose(g.out) != 0 || fclose(lookalike_f) != 0)
		die("%s: %s", out, strerror(errno));
	t1 = mono_ms();
	snprintf(path, sizeof(path), "%s/directory.csv", out);
	write_directory(&g, path);
	snprintf(path, sizeof(path), "%s/labels.jsonl", out);
	write_labels(&g, path);
	f = open_out(out, "sensitive.args", path, sizeof(path));
	for (i = 0; sensitive[i] != NULL; i++) {
		fprintf(f, "--sensitive %s\n", sensitive[i]);
		printf("--sensitive %s\n", sensitive[i]);
	}
	fclose(f);
	for (i = 0; i < g.nemp; i++) {
		p = &g.p[i];
		for (d = 0; d < g.days; d++)
			empdays += employed(p, d);
	}
	f = open_out(out, "meta.json", path, sizeof(path));
	sim_date_format(g.day0, date);
	fprintf(f, "{\"seed\":%llu,\"employees\":%d,\"services\":%d,"
	    "\"days\":%d,\"start\":\"%s\",\"employee_days\":%lld,"
	    "\"events\":%llu,\"db_query\":%llu,\"net_flow\":%llu,"
	    "\"bytes\":%llu,\"scenarios\":%d}\n", (unsigned long long)g.seed,
	    g.nemp, g.np - g.nemp, g.days, date, (long long)empdays,
	    (unsigned long long)(g.nq + g.nf), (unsigned long long)g.nq,
	    (unsigned long long)g.nf, (unsigned long long)g.nbytes, g.nsc);
	fclose(f);
	if (g.agg_us > 0)
		fprintf(stderr, "lwsim: --aggregate %lld: %llu statements in "
		    "%llu db.query events (%.1f%%)\n",
		    (long long)(g.agg_us / SEC_US),
		    (unsigned long long)g.nstmt, (unsigned long long)g.nq,
		    g.nstmt > 0 ? 100.0 * (double)g.nq / (double)g.nstmt : 0);
	fprintf(stderr, "lwsim: %llu events (%llu db.query, %llu net.flow), "
	    "%llu bytes, %d employees x %d days, %d scenarios, %.2f s, "
	    "%.0f events/s\n", (unsigned long long)(g.nq + g.nf),
	    (unsigned long long)g.nq, (unsigned long long)g.nf,
	    (unsigned long long)g.nbytes, g.nemp, g.days, g.nsc,
	    (double)(t1 - t0) / 1000.0, (double)(g.nq + g.nf) * 1000.0 /
	    (double)(t1 - t0 > 0 ? t1 - t0 : 1));
	if (g.invalid > 0)
		fprintf(stderr, "lwsim: %llu events failed validation\n",
		    (unsigned long long)g.invalid);
	for (i = 0; i < NBUCKET; i++)
		free(g.b[i].v);
	free(g.p);
	free(g.holiday);
	return g.invalid > 0 ? 1 : 0;
}
