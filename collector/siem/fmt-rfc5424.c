/*
 * RFC 5424 syslog messages: PRI from the alert's severity and the
 * configured facility, the alert's time, HOSTNAME/APP-NAME/PROCID/MSGID
 * held to the header's character set and lengths, one STRUCTURED-DATA
 * element (configurable SD-ID with an enterprise number) carrying every
 * alert field and the flattened evidence, and the summary as a UTF-8 MSG
 * with a BOM. Control characters in values and MSG are escaped
 * (lib/text.c) so a CR LF cannot forge a message. The receivers' traps
 * (docs/siem.md): values escape exactly `"`, `\` and `]`; parameter
 * names are 1-32 printable ASCII characters without `=`, space, `]` or
 * `"`, and a name appears once.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "siem.h"
#include "leakwatch/text.h"

#define SD_NAME_MAX	32
#define SD_PARAMS_MAX	64

/* A header field: printable US-ASCII, bounded, "-" when empty. */
static void
header_field(struct buf *b, const char *s, size_t max)
{
	size_t i, n = 0;

	for (i = 0; s[i] != '\0' && n < max; i++, n++)
		buf_addc(b, (s[i] > 32 && s[i] < 127) ? s[i] : '_');
	if (n == 0)
		buf_addc(b, '-');
}

/*
 * A PARAM-VALUE: control characters escaped first (lib/text.c), so no CR
 * or LF can end the message and forge another, then `"`, `\` and `]`.
 */
static void
sd_char(struct buf *b, char c)
{
	if (c == '"' || c == '\\' || c == ']')
		buf_addc(b, '\\');
	buf_addc(b, c);
}

static void
sd_value(struct buf *b, const char *s)
{
	fmt_escaped(b, s, sd_char);
}

struct sd_ctx {
	struct buf	*b;
	char		 seen[SD_PARAMS_MAX][SD_NAME_MAX + 1];
	size_t		 nseen;
};

/* Adds name="value" unless the (sanitised) name was already used. */
static void
sd_param(void *arg, const char *name, const char *value)
{
	struct sd_ctx *c = arg;
	char n[SD_NAME_MAX + 1];
	size_t i, len = 0;

	for (i = 0; name[i] != '\0' && len < SD_NAME_MAX; i++) {
		unsigned char ch = (unsigned char)name[i];

		n[len++] = (ch > 32 && ch < 127 && ch != '=' && ch != ']' &&
		    ch != '"') ? (char)ch : '_';
	}
	n[len] = '\0';
	if (len == 0 || c->nseen == SD_PARAMS_MAX)
		return;
	for (i = 0; i < c->nseen; i++)
		if (strcmp(c->seen[i], n) == 0)
			return;
	memcpy(c->seen[c->nseen++], n, len + 1);
	buf_printf(c->b, " %s=\"", n);
	sd_value(c->b, value);
	buf_addc(c->b, '"');
}

static void
evidence_param(void *arg, const char *key, const char *value)
{
	char name[SD_NAME_MAX + 1];

	/* "ev." keeps evidence apart from the alert's own fields. */
	snprintf(name, sizeof(name), "ev.%s", key);
	sd_param(arg, name, value);
}

/*
 * "<PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID": the RFC 5424 header,
 * also put in front of CEF, LEEF and JSON messages so every format
 * travels as a well-formed syslog message.
 */
void
fmt_header(struct buf *b, const json_t *alert, const struct fmt_opts *o)
{
	buf_printf(b, "<%d>1 ", o->facility * 8 +
	    fmt_sev_syslog(fmt_str(alert, "severity")));
	header_field(b, fmt_str(alert, "ts"), 32);
	buf_addc(b, ' ');
	header_field(b, o->hostname, 255);
	buf_addc(b, ' ');
	header_field(b, o->app_name, 48);
	buf_addc(b, ' ');
	if (o->procid > 0)
		buf_printf(b, "%ld", o->procid);
	else
		buf_addc(b, '-');
	/* MSGID: ALERT, CASE (opened or updated), EVENT for raw events. */
	buf_addc(b, ' ');
	buf_puts(b, fmt_msgid(alert));
}

static char *
rfc5424_format(const json_t *alert, const struct fmt_opts *o, size_t *len)
{
	static const char *const fields[] = {
		"id", "employee", "rule", "severity", "summary", NULL
	};
	struct buf b = { NULL, 0, 0 };
	struct sd_ctx *sd;
	char score[32], *msg;
	int i;

	fmt_header(&b, alert, o);
	buf_puts(&b, " [");
	header_field(&b, o->sd_id, SD_NAME_MAX);
	sd = calloc(1, sizeof(*sd));
	if (sd == NULL) {
		buf_free(&b);
		return NULL;
	}
	sd->b = &b;
	for (i = 0; fields[i] != NULL; i++)
		sd_param(sd, fields[i], fmt_str(alert, fields[i]));
	snprintf(score, sizeof(score), "%g", fmt_num(alert, "score"));
	sd_param(sd, "score", score);
	sd_param(sd, "ts", fmt_str(alert, "ts"));
	fmt_evidence_foreach(alert, evidence_param, sd);
	free(sd);
	buf_puts(&b, "] \xef\xbb\xbf");
	msg = text_vis_dup(fmt_str(alert, "summary"), 0);
	buf_puts(&b, msg);
	free(msg);
	return buf_release(&b, len);
}

const struct fwd_format fmt_rfc5424 = { "rfc5424", rfc5424_format, 1 };
