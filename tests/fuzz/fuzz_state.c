/*
 * libFuzzer target for the saved state images (collector/analytics/
 * state.c) and the raw layouts older versions saved (state-compat.c):
 * the blobs come from the database, but a damaged or hostile one must
 * cost that one person's baselines, never a crash, a hang or an
 * over-read. The bytes are read as a person's and as a peer group's
 * image, and as a raw dump of each; beyond "no crash" it checks that a
 * refused image leaves the state as it was and that an accepted one,
 * written again, reads back to the very same state. Under gcc,
 * tests/fuzz/driver.c replays the corpus.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../collector/analytics/analytics.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static struct sensitivity *
classes(void)
{
	struct sensitivity *s = sensitivity_new();
	char err[128];

	if (sensitivity_add(s, "crm.*=customer_pii", err, sizeof(err)) != 0 ||
	    sensitivity_add(s, "pay.*=payment", err, sizeof(err)) != 0)
		abort();
	return s;
}

static void
entity(const struct sensitivity *sens, const uint8_t *data, size_t size)
{
	struct entity_state *a = malloc(sizeof(*a)), *b = malloc(sizeof(*b));
	struct entity_state *c = malloc(sizeof(*c));
	struct state_result r;
	uint8_t *im;
	size_t len;

	if (a == NULL || b == NULL || c == NULL)
		abort();
	baseline_init(a);
	*b = *a;
	*c = *a;
	if (state_entity_decode(a, sens, data, size, &r) != 0) {
		if (memcmp(a, b, sizeof(*a)) != 0 || r.error[0] == '\0')
			abort();
	} else {
		im = state_entity_encode(a, sens, &len);
		if (state_entity_decode(c, sens, im, len, &r) != 0 ||
		    memcmp(a, c, sizeof(*a)) != 0)
			abort();
		free(im);
	}
	baseline_init(b);
	if (compat_entity(b, data, size, &r) == 0 && r.layout == NULL)
		abort();
	free(a);
	free(b);
	free(c);
}

static void
peer(const struct sensitivity *sens, const uint8_t *data, size_t size)
{
	struct peer *a = calloc(1, sizeof(*a)), *b = calloc(1, sizeof(*b));
	struct state_result r;
	uint8_t *im;
	size_t len;

	if (a == NULL || b == NULL)
		abort();
	if (state_peer_decode(a, sens, data, size, &r) != 0) {
		if (memcmp(a, b, sizeof(*a)) != 0)
			abort();
	} else {
		im = state_peer_encode(a, sens, &len);
		if (state_peer_decode(b, sens, im, len, &r) != 0 ||
		    memcmp(a, b, sizeof(*a)) != 0)
			abort();
		free(im);
	}
	memset(b, 0, sizeof(*b));
	(void)compat_peer(b, data, size, &r);
	free(a);
	free(b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sensitivity *sens = classes();

	entity(sens, data, size);
	peer(sens, data, size);
	sensitivity_free(sens);
	return 0;
}
