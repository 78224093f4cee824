/*
 * libFuzzer target for the directory CSV and the DHCP lease parsers
 * (collector/analytics/identity.c). The first byte chooses: even, the
 * input is a directory file; odd, a lease file (either format, guessed)
 * read into a fixed small directory. Bad lines must be counted and skipped, never
 * crash; then a few look-ups run against whatever loaded. Under gcc,
 * tests/fuzz/driver.c replays the corpus.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../collector/analytics/analytics.h"
#include "leakwatch/event.h"
#include "leakwatch/log.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const char base[] =
    "employee,db_users,ips,hostnames\n"
    "a,ua,10.0.0.1,ws-a;00:11:22:33:44:55\n"
    "b,ub,10.1.0.0/16,ws-b\n";

static const char *const probes[] = {
	"{\"type\":\"db.query\",\"ts\":\"2026-11-23T10:00:00.000000Z\","
	"\"db_system\":\"postgresql\",\"client\":\"10.0.0.9:1\",\"db_user\":"
	"\"ub\",\"end_user\":\"a\",\"command\":\"SELECT\",\"status\":\"ok\"}",
	"{\"type\":\"net.flow\",\"ts\":\"2026-11-23T10:00:00.000000Z\","
	"\"flow_id\":\"1\",\"src\":\"10.0.0.20\",\"dst\":\"1.2.3.4\",\"l4\":"
	"\"tcp\",\"bytes_out\":1,\"bytes_in\":1}",
	"{\"type\":\"net.flow\",\"ts\":\"2026-11-23T10:00:00.000000Z\","
	"\"flow_id\":\"1\",\"src\":\"fe80::1\",\"dst\":\"1.2.3.4\",\"l4\":"
	"\"tcp\",\"bytes_out\":1,\"bytes_in\":1}",
};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int init;
	struct directory *d = directory_new();
	struct identity id;
	struct lw_event *ev;
	char err[512], why[256];
	size_t i;
	int rc;

	if (!init) {
		log_init("fuzz_directory", 1, -1);
		init = 1;
	}
	if (size == 0 || (data[0] & 1) == 0) {
		rc = directory_load_buf(d, "f.csv", size ? (const char *)data +
		    1 : "", size ? size - 1 : 0, err, sizeof(err));
		if (rc < 0 && strncmp(err, "f.csv", 5) != 0)
			abort();
	} else {
		if (directory_load_buf(d, "base.csv", base, sizeof(base) - 1,
		    err, sizeof(err)) != 0)
			abort();
		directory_leases_buf(d, (const char *)data + 1, size - 1);
	}
	for (i = 0; i < sizeof(probes) / sizeof(probes[0]); i++) {
		if ((ev = lw_event_parse(probes[i], strlen(probes[i]), why,
		    sizeof(why))) == NULL)
			abort();
		identity_resolve(d, ev, &id);
		if (id.employee[0] == '\0' || (id.person == NULL &&
		    strncmp(id.employee, "unknown:", 8) != 0))
			abort();
		lw_event_free(ev);
	}
	directory_free(d);
	return 0;
}
