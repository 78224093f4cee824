/*
 * libFuzzer target for the event model (lib/event.c), the first code to
 * touch every byte an agent sends. Beyond "no crash, no leak, no undefined
 * behaviour" it checks two invariants: a refused input always gets a
 * message, and an accepted event survives encode -> parse -> encode with
 * the same type, timestamp and bytes, so what the collector stores can
 * always be read back. Under gcc, tests/fuzz/driver.c replays the corpus.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "leakwatch/event.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lw_event *ev, *ev2;
	char err[256], *enc, *enc2;
	size_t len, len2;

	err[0] = '\0';
	ev = lw_event_parse((const char *)data, size, err, sizeof(err));
	if (ev == NULL) {
		if (err[0] == '\0' || memchr(err, '\0', sizeof(err)) == NULL)
			abort();
		return 0;
	}
	if ((enc = lw_event_encode(ev, &len)) == NULL)
		abort();
	if ((ev2 = lw_event_parse(enc, len, err, sizeof(err))) == NULL)
		abort();
	if (ev2->type != ev->type || ev2->ts_us != ev->ts_us)
		abort();
	if ((enc2 = lw_event_encode(ev2, &len2)) == NULL)
		abort();
	if (len2 != len || memcmp(enc, enc2, len) != 0)
		abort();

	/* The collector's overwrite must keep the event valid. */
	if (lw_event_set_agent(ev2, "fuzz-agent") != 0 ||
	    lw_event_validate(ev2->obj, NULL, NULL, err, sizeof(err)) != 0)
		abort();

	free(enc);
	free(enc2);
	lw_event_free(ev);
	lw_event_free(ev2);
	return 0;
}
