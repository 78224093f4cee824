/*
 * Tests of collector/analytics/identity.c and sensitivity.c: the
 * directory CSV (columns by header name, quotes, extra columns, bad lines
 * skipped and counted), resolution order end_user (of a service
 * account only) > db_user owner >
 * client address owner, CIDRs, both DHCP lease formats with their time
 * windows, service accounts, unknown:<key>, the mismatch signal, and the
 * sensitivity patterns.
 */
#include "harness.h"
#include "../../collector/analytics/analytics.h"
#include "leakwatch/event.h"
#include "leakwatch/util.h"

static const char dir_csv[] =
    "# a comment line\n"
    "employee,name,department,role,manager,db_users,ips,hostnames,start,"
    "leave,extra\n"
    "alice,\"Alice, A.\",Support,agent,carol,u_alice;alice_ro,10.0.1.7,"
    "ws-alice,2024-01-01,,ignored\n"
    "bob,Bob,Support,agent,carol,u_bob,,ws-bob;00:11:22:33:44:55,"
    "2024-01-01,2026-12-31,x\n"
    "carol,Carol,Support,team_lead,,u_carol,10.0.2.0/24,,2020-01-01,,\n"
    "etl,ETL,IT,service,carol,etl,10.9.0.5,,2020-01-01,,\n"
    "dave,Dave,Sales,seller,,u_dave,10.0.3.300,,2024-01-01,,\n"
    "erin,Erin,Sales,seller,,u_erin,,,2024-13-01,,\n"
    "alice,Again,Support,agent,,,,,,,\n"
    ",nobody,Support,agent,,,,,,,\n"
    "frank,\"unterminated,Sales,seller,,,,,,,\n"
    "svc2,Reports,IT,service,,rep,,,,,\n";

static struct directory *
load(void)
{
	struct directory *d = directory_new();
	char err[256];

	if (directory_load_buf(d, "dir.csv", dir_csv, sizeof(dir_csv) - 1,
	    err, sizeof(err)) < 0) {
		directory_free(d);
		return NULL;
	}
	return d;
}

static struct lw_event *
ev(const char *json)
{
	char err[256];
	struct lw_event *e = lw_event_parse(json, strlen(json), err,
	    sizeof(err));

	if (e == NULL)
		printf("  bad test event: %s\n", err);
	return e;
}

static void
test_directory_load(void)
{
	struct directory *d = load();
	const struct person *p;

	REQUIRE(d != NULL);
	/* dave (bad IP), erin (bad date), alice twice, no id, quote */
	CHECK_INT(directory_bad(d), 5);
	CHECK_INT(directory_count(d), 5);
	p = directory_find(d, "alice");
	REQUIRE(p != NULL);
	CHECK_STR(p->name, "Alice, A.");
	CHECK_STR(p->group, "Support");
	CHECK_INT(p->service, 0);
	CHECK_INT(p->leave_us, 0);
	p = directory_find(d, "bob");
	REQUIRE(p != NULL);
	CHECK_INT(p->leave_us, 1798675200LL * 1000000);
	p = directory_find(d, "etl");
	REQUIRE(p != NULL);
	CHECK_INT(p->service, 1);
	CHECK_STR(p->group, "service");
	CHECK(directory_find(d, "dave") == NULL);
	CHECK(directory_find(d, "frank") == NULL);
	directory_free(d);
}

/* The optional `type` column declares a service account too. */
static void
test_type_column(void)
{
	struct directory *d = directory_new();
	char err[256];
	static const char csv[] =
	    "type,employee,department,db_users\n"
	    "service,backup,IT,pg_dump\n"
	    "employee,zoe,IT,u_zoe\n"
	    "robot,x,IT,\n";
	const struct person *p;

	CHECK_INT(directory_load_buf(d, "t.csv", csv, sizeof(csv) - 1, err,
	    sizeof(err)), 1);
	p = directory_find(d, "backup");
	CHECK(p != NULL && p->service == 1);
	p = directory_find(d, "zoe");
	CHECK(p != NULL && p->service == 0);
	CHECK(directory_find(d, "x") == NULL);
	directory_free(d);
}

static void
test_header_errors(void)
{
	struct directory *d = directory_new();
	char err[256];
	static const char nohdr[] = "name,department\nx,y\n";

	CHECK_INT(directory_load_buf(d, "h.csv", nohdr, sizeof(nohdr) - 1,
	    err, sizeof(err)), -1);
	CHECK_STR(err, "h.csv:1: header has no \"employee\" column");
	CHECK_INT(directory_load_buf(d, "e.csv", "", 0, err, sizeof(err)),
	    -1);
	CHECK_STR(err, "e.csv: no header line");
	directory_free(d);
}

static void
resolve(struct directory *d, const char *json, struct identity *id)
{
	struct lw_event *e = ev(json);

	memset(id, 0, sizeof(*id));
	if (e == NULL)
		return;
	identity_resolve(d, e, id);
	lw_event_free(e);
}

#define Q(extra) "{\"type\":\"db.query\",\"ts\":\"2026-11-22T10:00:00." \
	"000000Z\",\"db_system\":\"postgresql\"," extra ",\"command\":" \
	"\"SELECT\",\"status\":\"ok\"}"

static void
test_resolution_order(void)
{
	struct directory *d = load();
	struct identity id;

	REQUIRE(d != NULL);
	/* end_user on a personal account is a claim, never followed */
	resolve(d, Q("\"client\":\"10.0.1.7:5000\",\"db_user\":\"u_bob\","
	    "\"end_user\":\"carol\""), &id);
	CHECK_STR(id.employee, "bob");
	CHECK_STR(id.via, "db_user");
	CHECK_INT(id.mismatch, 1);
	CHECK_INT(id.end_user_trusted, 0);
	CHECK_INT(id.end_user_claim, 1);
	REQUIRE(id.by_ip != NULL && id.by_db_user != NULL &&
	    id.by_end_user != NULL);
	CHECK_STR(id.by_ip->id, "alice");
	CHECK_STR(id.by_db_user->id, "bob");
	CHECK_STR(id.by_end_user->id, "carol");
	/* ... also from the account owner's own desk */
	resolve(d, Q("\"client\":\"10.0.1.7:5000\",\"db_user\":\"u_alice\","
	    "\"end_user\":\"bob\""), &id);
	CHECK_STR(id.employee, "alice");
	CHECK_INT(id.mismatch, 0);
	CHECK_INT(id.end_user_claim, 1);
	/* a tag naming the account's own owner claims nothing */
	resolve(d, Q("\"db_user\":\"u_alice\",\"end_user\":\"alice\""),
	    &id);
	CHECK_STR(id.employee, "alice");
	CHECK_INT(id.end_user_claim, 0);
	/* an application's (service) account: its tag names the person */
	resolve(d, Q("\"client\":\"10.9.9.9:5000\",\"db_user\":\"etl\","
	    "\"end_user\":\"carol\""), &id);
	CHECK_STR(id.employee, "carol");
	CHECK_STR(id.via, "end_user");
	CHECK_INT(id.end_user_trusted, 1);
	CHECK_INT(id.end_user_claim, 0);
	/* ... but not when the account is used from a person's desk */
	resolve(d, Q("\"client\":\"10.0.1.7:5000\",\"db_user\":\"etl\","
	    "\"end_user\":\"carol\""), &id);
	CHECK_STR(id.employee, "etl");
	CHECK_INT(id.end_user_trusted, 0);
	CHECK_INT(id.end_user_claim, 1);
	/* the database user's owner beats the address's owner */
	resolve(d, Q("\"client\":\"10.0.1.7:5000\",\"db_user\":\"u_bob\""),
	    &id);
	CHECK_STR(id.employee, "bob");
	CHECK_STR(id.via, "db_user");
	CHECK_INT(id.mismatch, 1);
	/* agreeing sources are no mismatch; a second db user works */
	resolve(d, Q("\"client\":\"10.0.1.7:5000\",\"db_user\":\"alice_ro\""),
	    &id);
	CHECK_STR(id.employee, "alice");
	CHECK_INT(id.mismatch, 0);
	/* address only, through a CIDR */
	resolve(d, Q("\"client\":\"10.0.2.99:5000\",\"db_user\":\"nobody\""),
	    &id);
	CHECK_STR(id.employee, "carol");
	CHECK_STR(id.via, "ip");
	/* a service account used from a person's desk: no mismatch */
	resolve(d, Q("\"client\":\"10.0.1.7:5000\",\"db_user\":\"etl\""),
	    &id);
	CHECK_STR(id.employee, "etl");
	CHECK_INT(id.mismatch, 0);
	REQUIRE(id.person != NULL);
	CHECK_INT(id.person->service, 1);
	/* role "service" marks a service account too */
	resolve(d, Q("\"db_user\":\"rep\""), &id);
	CHECK_STR(id.employee, "svc2");
	REQUIRE(id.person != NULL);
	CHECK_INT(id.person->service, 1);
	directory_free(d);
}

static void
test_unknown(void)
{
	struct directory *d = load();
	struct identity id;

	REQUIRE(d != NULL);
	resolve(d, Q("\"client\":\"10.7.7.7:5000\",\"db_user\":\"ghost\""),
	    &id);
	CHECK_STR(id.employee, "unknown:ghost");
	CHECK_STR(id.via, "unknown");
	CHECK(id.person == NULL);
	/* an unknown account's tag names nobody, not even an unknown */
	resolve(d, Q("\"db_user\":\"ghost\",\"end_user\":\"zed\""), &id);
	CHECK_STR(id.employee, "unknown:ghost");
	CHECK_INT(id.end_user_claim, 1);
	resolve(d, "{\"type\":\"net.flow\",\"ts\":\"2026-11-22T10:00:00."
	    "000000Z\",\"flow_id\":\"1\",\"src\":\"10.7.7.7\",\"dst\":"
	    "\"1.2.3.4\",\"l4\":\"tcp\",\"bytes_out\":1,\"bytes_in\":1}", &id);
	CHECK_STR(id.employee, "unknown:10.7.7.7");
	resolve(NULL, Q("\"db_user\":\"u_alice\""), &id);
	CHECK_STR(id.employee, "unknown:u_alice");
	directory_free(d);
}

static void
test_leases_isc(void)
{
	struct directory *d = load();
	static const char leases[] =
	    "# dhcpd.leases\n"
	    "authoring-byte-order little-endian;\n"
	    "server-duid \"\\000\\001\";\n"
	    "failover peer \"x\" state { my state normal; }\n"
	    "lease 10.0.5.20 {\n"
	    "  starts 1 2026/11/23 08:00:00;\n"
	    "  ends 1 2026/11/23 20:00:00;\n"
	    "  binding state active;\n"
	    "  next binding state free;\n"
	    "  hardware ethernet 00:aa:bb:cc:dd:ee;\n"
	    "  client-hostname \"ws-alice\";\n"
	    "}\n"
	    "lease 10.0.5.21 {\n"
	    "  starts 1 2026/11/23 08:00:00;\n"
	    "  ends never;\n"
	    "  binding state active;\n"
	    "  hardware ethernet 00:11:22:33:44:55;\n"
	    "}\n"
	    "lease 10.0.5.22 {\n"
	    "  starts 1 2026/11/23 08:00:00;\n"
	    "  ends 1 2026/11/23 20:00:00;\n"
	    "  binding state free;\n"
	    "  client-hostname \"ws-alice\";\n"
	    "}\n";
	const struct person *p;
	int64_t t;

	REQUIRE(d != NULL);
	CHECK_INT(directory_leases_buf(d, leases, sizeof(leases) - 1), 2);
	ts_parse("2026-11-23T10:00:00Z", &t);
	p = directory_ip_owner(d, "10.0.5.20", t);
	CHECK(p != NULL && strcmp(p->id, "alice") == 0);
	/* outside the lease's window: nobody */
	ts_parse("2026-11-23T21:00:00Z", &t);
	CHECK(directory_ip_owner(d, "10.0.5.20", t) == NULL);
	/* by MAC (listed in bob's hostnames), lease without end */
	p = directory_ip_owner(d, "10.0.5.21", t);
	CHECK(p != NULL && strcmp(p->id, "bob") == 0);
	/* a free lease does not count */
	ts_parse("2026-11-23T10:00:00Z", &t);
	CHECK(directory_ip_owner(d, "10.0.5.22", t) == NULL);
	directory_free(d);
}

static void
test_leases_dnsmasq(void)
{
	struct directory *d = load();
	static const char leases[] =
	    "1795435200 00:aa:bb:cc:dd:ee 10.0.6.7 ws-alice.corp 01:00:aa\n"
	    "0 00:11:22:33:44:55 10.0.6.8 * *\n"
	    "1795435200 aa:aa:aa:aa:aa:aa 10.0.6.9 stranger *\n"
	    "duid 00:01:00:01:2c:1f\n"
	    "garbage\n";
	const struct person *p;
	struct identity id;
	int64_t t;

	REQUIRE(d != NULL);
	CHECK_INT(directory_leases_buf(d, leases, sizeof(leases) - 1), 3);
	ts_parse("2026-11-23T10:00:00Z", &t);
	/* host name with a domain matches the short name in the CSV */
	p = directory_ip_owner(d, "10.0.6.7", t);
	CHECK(p != NULL && strcmp(p->id, "alice") == 0);
	p = directory_ip_owner(d, "10.0.6.8", t);
	CHECK(p != NULL && strcmp(p->id, "bob") == 0);
	CHECK(directory_ip_owner(d, "10.0.6.9", t) == NULL);
	/* before and after its expiry (2026-11-23T12:00:00Z) */
	ts_parse("2026-11-23T10:00:00Z", &t);
	resolve(d, "{\"type\":\"net.flow\",\"ts\":\"2026-11-20T10:00:00."
	    "000000Z\",\"flow_id\":\"1\",\"src\":\"10.0.6.7\",\"dst\":"
	    "\"1.2.3.4\",\"l4\":\"tcp\",\"bytes_out\":1,\"bytes_in\":1}", &id);
	CHECK_STR(id.employee, "alice");
	resolve(d, "{\"type\":\"net.flow\",\"ts\":\"2026-11-24T10:00:00."
	    "000000Z\",\"flow_id\":\"1\",\"src\":\"10.0.6.7\",\"dst\":"
	    "\"1.2.3.4\",\"l4\":\"tcp\",\"bytes_out\":1,\"bytes_in\":1}", &id);
	CHECK_STR(id.employee, "unknown:10.0.6.7");
	directory_free(d);
}

static void
test_leases_reread(void)
{
	const char *dir = harness_tmpdir();
	char path[512], err[256];
	struct directory *d = load();
	const struct person *p;
	FILE *f;

	REQUIRE(d != NULL);
	snprintf(path, sizeof(path), "%s/dnsmasq.leases", dir);
	f = fopen(path, "w");
	REQUIRE(f != NULL);
	fprintf(f, "0 00:aa:bb:cc:dd:ee 10.0.7.1 ws-alice *\n");
	fclose(f);
	CHECK_INT(directory_add_leases(d, path, err, sizeof(err)), 0);
	p = directory_ip_owner(d, "10.0.7.1", 0);
	CHECK(p != NULL && strcmp(p->id, "alice") == 0);
	f = fopen(path, "w");
	REQUIRE(f != NULL);
	fprintf(f, "0 00:aa:bb:cc:dd:ee 10.0.7.1 ws-bob *\n"
	    "0 00:aa:bb:cc:dd:ff 10.0.7.2 ws-alice *\n");
	fclose(f);
	sleep(1);	/* directory_refresh() looks at most once a second */
	f = fopen(path, "a");
	REQUIRE(f != NULL);
	fclose(f);
	directory_refresh(d);
	p = directory_ip_owner(d, "10.0.7.1", 0);
	CHECK(p != NULL && strcmp(p->id, "bob") == 0);
	p = directory_ip_owner(d, "10.0.7.2", 0);
	CHECK(p != NULL && strcmp(p->id, "alice") == 0);
	CHECK_INT(directory_add_leases(d, "/nonexistent/leases", err,
	    sizeof(err)), -1);
	directory_free(d);
}

static void
test_sensitivity(void)
{
	struct sensitivity *s = sensitivity_new();
	char err[256];

	CHECK_INT(sensitivity_add(s, "crm.customer*=customer_pii", err,
	    sizeof(err)), 0);
	CHECK_INT(sensitivity_add(s, "pay.*=payment", err, sizeof(err)), 0);
	CHECK_INT(sensitivity_add(s, "salaries=employee_pii", err,
	    sizeof(err)), 0);
	CHECK_INT(sensitivity_add(s, "crm.*=crm_other", err, sizeof(err)), 0);
	CHECK_INT(sensitivity_add(s, "nope", err, sizeof(err)), -1);
	CHECK_STR(err, "sensitive: expected PATTERN=CLASS");
	CHECK_INT(sensitivity_add(s, "x=Bad-Class", err, sizeof(err)), -1);
	CHECK_INT(sensitivity_add(s, "x=sensitive", err, sizeof(err)), -1);
	CHECK_INT(sensitivity_nclasses(s), 4);
	CHECK_INT(sensitivity_class(s, "crm.customers"), 0);
	CHECK_INT(sensitivity_class(s, "CRM.Customer_Addr"), 0);
	CHECK_INT(sensitivity_class(s, "crm.customers"), 0);	/* cached */
	CHECK_INT(sensitivity_class(s, "pay.cards"), 1);
	CHECK_INT(sensitivity_class(s, "hr.salaries"), 2);
	CHECK_INT(sensitivity_class(s, "crm.tickets"), 3);	/* first wins */
	CHECK_INT(sensitivity_class(s, "shop.orders"), -1);
	CHECK_INT(sensitivity_class(s, "shop.orders"), -1);	/* cached */
	CHECK_STR(sensitivity_class_name(s, 1), "payment");
	CHECK_INT(sensitivity_lookup(s, "employee_pii"), 2);
	CHECK_INT(feature_lookup(s, "rows.payment"), FT_CLASS0 + 1);
	CHECK_INT(feature_lookup(s, "rows.nope"), -1);
	CHECK_INT(feature_lookup(s, "out.exfil"), FT_OUT_EXFIL);
	sensitivity_free(s);
}

static const struct test tests[] = {
	{ "directory_load", test_directory_load },
	{ "type_column", test_type_column },
	{ "header_errors", test_header_errors },
	{ "resolution_order", test_resolution_order },
	{ "unknown", test_unknown },
	{ "leases_isc", test_leases_isc },
	{ "leases_dnsmasq", test_leases_dnsmasq },
	{ "leases_reread", test_leases_reread },
	{ "sensitivity", test_sensitivity },
};

HARNESS_MAIN(tests)
