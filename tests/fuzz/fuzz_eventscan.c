/*
 * Differential libFuzzer target for lib/event-scan.c, the collector's
 * DOM-free fast path, against lib/event.c's lw_event_parse(), the
 * reference. The scanner may pass any input on to the reference, but
 * whatever it vouches for the reference must accept with the same type,
 * timestamp and `agent`; any difference aborts. Under gcc,
 * tests/fuzz/driver.c replays the corpus in `make check`.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "leakwatch/event.h"
#include "leakwatch/event-scan.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lw_event_scan sc;
	struct lw_event *ev;
	const char *agent;
	char err[256];
	int rc;

	rc = lw_event_scan((const char *)data, size, &sc);
	ev = lw_event_parse((const char *)data, size, err, sizeof(err));
	if (rc == 0) {
		if (ev == NULL)
			abort();	/* vouched for an invalid event */
		if (sc.type != ev->type || sc.ts_us != ev->ts_us)
			abort();
		agent = json_string_value(json_object_get(ev->obj, "agent"));
		if (sc.agent != NULL && (agent == NULL ||
		    strlen(agent) != sc.agent_len ||
		    memcmp(agent, sc.agent, sc.agent_len) != 0))
			abort();
	}
	lw_event_free(ev);
	return 0;
}
