/*
 * Differential libFuzzer target for lib/event-scan.c, the collector's
 * DOM-free fast path, against lib/event.c's lw_event_parse(), the
 * reference. The scanner may pass any input on to the reference, but
 * whatever it vouches for the reference must accept with the same type,
 * timestamp and `agent`; any difference aborts. The same for the field
 * view built on the scanner (lib/event-view.c): every schema field must
 * read the same through the view as through the DOM. Under gcc,
 * tests/fuzz/driver.c replays the corpus in `make check`.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "leakwatch/event.h"
#include "leakwatch/event-scan.h"
#include "leakwatch/event-view.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* Every field of the schema reads the same through the view and the DOM. */
static void
same_fields(const struct lw_event *dom, const uint8_t *data, size_t size)
{
	static struct lw_event_view view;
	struct lw_event vev;
	struct lw_view_value a, b;
	const struct event_field *f;
	const char *la[256], *lb[256];
	size_t i, n, k;

	memset(&vev, 0, sizeof(vev));
	if (lw_event_view_init(&view, &vev, (const char *)data, size) != 0)
		abort();	/* the scanner vouched: the view must build */
	if (vev.type != dom->type || vev.ts_us != dom->ts_us)
		abort();
	f = lw_event_fields(dom->type);
	for (i = 0; f[i].name != NULL; i++) {
		lw_event_get(&vev, f[i].name, &a);
		lw_event_get(dom, f[i].name, &b);
		if (a.kind != b.kind)
			abort();
		if (a.kind == LW_STR && strcmp(a.s, b.s) != 0)
			abort();
		if ((a.kind == LW_NUM || a.kind == LW_BOOL) && a.n != b.n)
			abort();
		if (a.kind == LW_LIST) {
			n = lw_event_list(&vev, f[i].name, la, 256);
			if (n != lw_event_list(dom, f[i].name, lb, 256) ||
			    n != a.nlist || a.nlist != b.nlist)
				abort();
			for (k = 0; k < n; k++)
				if (strcmp(la[k], lb[k]) != 0)
					abort();
		}
	}
	if (!json_equal(lw_event_dom(&vev), dom->obj))
		abort();
}

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
		same_fields(ev, data, size);
	}
	lw_event_free(ev);
	return 0;
}
