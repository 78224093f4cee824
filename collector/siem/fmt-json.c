/*
 * JSON messages with Elastic Common Schema names where ECS has them
 * (@timestamp, event.*, rule.*, user.*, message) and the alert's own
 * evidence under `leakwatch`, so Elastic and Sentinel index an alert
 * without a custom parser. One compact object per message; jansson does
 * the escaping.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "siem.h"

static char *
json_format(const json_t *alert, const struct fmt_opts *o, size_t *len)
{
	const char *sev = fmt_str(alert, "severity");
	json_t *m, *ev;
	char *s;

	ev = json_object_get(alert, "evidence");
	ev = ev != NULL ? json_incref(ev) : json_object();
	m = json_pack("{s:s, s:{s:s, s:s, s:s, s:s, s:i, s:f, s:s}, "
	    "s:{s:s, s:s}, s:{s:s}, s:s, s:{s:s, s:s}, s:{s:s, s:s, s:o}}",
	    "@timestamp", fmt_str(alert, "ts"),
	    "event", "kind", strcmp(fmt_msgid(alert), "EVENT") != 0 ?
	    "alert" : "event",
	    "id", fmt_str(alert, "id"),
	    "dataset", strcmp(fmt_msgid(alert), "CASE") == 0 ?
	    "leakwatch.case" : "leakwatch.alert", "module", "leakwatch",
	    "severity", fmt_sev_ecs(sev),
	    "risk_score", fmt_num(alert, "score"),
	    "category", "intrusion_detection",
	    "rule", "name", fmt_str(alert, "rule"),
	    "id", fmt_str(alert, "rule"),
	    "user", "name", fmt_str(alert, "employee"),
	    "message", fmt_str(alert, "summary"),
	    "observer", "hostname", o->hostname, "product", "leakwatch",
	    "leakwatch", "severity", sev, "employee",
	    fmt_str(alert, "employee"),
	    "evidence", ev);
	if (m == NULL)
		return NULL;
	s = json_dumps(m, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(m);
	if (s != NULL && len != NULL)
		*len = strlen(s);
	return s;
}

const struct fwd_format fmt_json = { "json", json_format, 0 };
