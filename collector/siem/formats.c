/*
 * The table of SIEM formats by name, as a `forward` URL's format=
 * parameter names them (docs/siem.md). A new format is one fmt-<name>.c
 * and one line here. The table sits above the formats, which call down
 * into fmt.c, so that no file both lists them and serves them.
 */
#include <stddef.h>
#include <string.h>

#include "siem.h"

static const struct fwd_format *const formats[] = {
	&fmt_rfc5424,
	&fmt_cef,
	&fmt_leef,
	&fmt_json,
	NULL
};

const struct fwd_format *
fmt_lookup(const char *name)
{
	size_t i;

	for (i = 0; formats[i] != NULL; i++)
		if (strcmp(formats[i]->name, name) == 0)
			return formats[i];
	return NULL;
}
