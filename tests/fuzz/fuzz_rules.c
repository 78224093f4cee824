/*
 * libFuzzer target for the rules language
 * (collector/analytics/rules-parse.c and rules-eval.c). A rules file is
 * written by an operator, but a typo or a half-saved file must end in a
 * "file:line:column: message" error, never a crash, a hang or a leak.
 * Whatever loads is then run: a fixed handful of events (a query, a bulk
 * read, an upload, across an hour and a day boundary) goes through a
 * pipeline with the fuzzed rules, so the evaluator, the templates and
 * the alert path see every shape the parser accepts. Under gcc,
 * tests/fuzz/driver.c replays the corpus.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../collector/config.h"
#include "../../collector/analytics/analytics.h"
#include "leakwatch/event.h"
#include "leakwatch/log.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const char *const events[] = {
	"{\"type\":\"db.query\",\"ts\":\"2026-01-05T10:00:00.000000Z\","
	"\"db_system\":\"postgresql\",\"client\":\"10.0.0.1:1\",\"db_user\":"
	"\"u1\",\"command\":\"SELECT\",\"statement\":\"SELECT * FROM t\","
	"\"tables\":[\"crm.customers\",\"crm.notes\"],\"rows_returned\":50,"
	"\"status\":\"ok\"}",
	"{\"type\":\"db.query\",\"ts\":\"2026-01-05T22:00:00.000000Z\","
	"\"db_system\":\"mysql\",\"client\":\"10.0.0.2:1\",\"db_user\":"
	"\"u1\",\"end_user\":\"u2\",\"command\":\"COPY\",\"statement\":"
	"\"<unparsed>\",\"tables\":[\"crm.customers\"],\"rows_affected\":"
	"90000,\"status\":\"ok\"}",
	"{\"type\":\"net.flow\",\"ts\":\"2026-01-05T23:00:00.000000Z\","
	"\"flow_id\":\"f1\",\"src\":\"10.0.0.1\",\"dst\":\"1.2.3.4\",\"l4\":"
	"\"tcp\",\"category\":\"cloud_storage\",\"server_name\":"
	"\"x.dropbox.com\",\"bytes_out\":900000000,\"bytes_in\":1,"
	"\"delta_bytes_out\":900000000,\"risks\":[\"a\"],\"final\":true}",
	"{\"type\":\"db.session\",\"ts\":\"2026-01-06T01:00:00.000000Z\","
	"\"db_system\":\"postgresql\",\"action\":\"connect\",\"db_user\":"
	"\"u1\"}",
	"{\"type\":\"db.query\",\"ts\":\"2026-01-07T09:00:00.000000Z\","
	"\"db_system\":\"postgresql\",\"db_user\":\"u3\",\"command\":"
	"\"SELECT\",\"status\":\"error\",\"error_code\":\"42501\"}",
};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct collector_config cfg;
	static int init;
	static FILE *devnull;
	struct sensitivity *sens;
	struct ruleset *rs = rules_new();
	struct analytics *an;
	struct lw_event *ev;
	char err[1024], why[256];
	const char *c;
	size_t i;

	if (!init) {
		log_init("fuzz_rules", 1, -1);
		config_defaults(&cfg);
		conf_set(collector_keys, &cfg, "sensitive",
		    "crm.customer*=customer_pii", err, sizeof(err));
		devnull = fopen("/dev/null", "w");
		init = 1;
	}
	sens = sensitivity_new();
	sensitivity_add(sens, "crm.customer*=customer_pii", err, sizeof(err));
	err[0] = '\0';
	if (rules_load_buf(rs, "f.rules", (const char *)data, size, sens, err,
	    sizeof(err)) != 0) {
		/* "f.rules:LINE:COL: message" */
		if (strncmp(err, "f.rules:", 8) != 0 || rules_count(rs) != 0)
			abort();
		for (c = err + 8; *c >= '0' && *c <= '9'; c++)
			;
		if (*c != ':' && strncmp(err, "f.rules: larger", 15) != 0)
			abort();
		rules_free(rs);
		sensitivity_free(sens);
		return 0;
	}
	an = analytics_new(&cfg, NULL, devnull, 1, err, sizeof(err));
	if (an == NULL)
		abort();
	rules_free(an->rules);
	an->rules = rs;
	for (i = 0; i < sizeof(events) / sizeof(events[0]); i++) {
		if ((ev = lw_event_parse(events[i], strlen(events[i]), why,
		    sizeof(why))) == NULL)
			abort();
		analytics_event(an, ev, NULL, 0);
		lw_event_free(ev);
	}
	analytics_flush(an);
	analytics_free(an);
	sensitivity_free(sens);
	return 0;
}
