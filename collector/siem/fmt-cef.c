/*
 * ArcSight CEF:0 messages. Every value has its control characters
 * escaped first (lib/text.c), so none reaches the SIEM raw; then header
 * fields escape `|` and `\`, extension values `=` and `\`.
 * Standard keys where CEF has them (rt, suser, msg, externalId, cat,
 * cn1 for the score, cs1..cs6 with labels); the evidence is flattened into
 * cs slots and a compact `cs6` JSON would break SIEM parsers, so it is
 * never used. Extension keys are fixed by this file, never taken from
 * input, so they need no escaping.
 */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "siem.h"
#include "leakwatch/util.h"
#include "leakwatch/xmalloc.h"

/* Both escape control characters first (fmt_escaped()), then CEF's own. */
static void
header_char(struct buf *b, char c)
{
	if (c == '|' || c == '\\')
		buf_addc(b, '\\');
	buf_addc(b, c == '\n' || c == '\r' ? ' ' : c);
}

static void
header_value(struct buf *b, const char *text)
{
	fmt_escaped(b, text, header_char);
}

static void
ext_char(struct buf *b, char c)
{
	switch (c) {
	case '=':
	case '\\':
		buf_addc(b, '\\');
		buf_addc(b, c);
		break;
	case '\n':
		buf_puts(b, "\\n");
		break;
	case '\r':
		buf_puts(b, "\\r");
		break;
	default:
		buf_addc(b, c);
	}
}

/* Keys are this file's own: written as they are. */
static void
ext(struct buf *b, const char *key, const char *value)
{
	fmt_kv(b, ' ', key, value, buf_addc, ext_char);
}

/* Evidence as one "k=v; k=v" string in a labelled custom field. */
static void
evidence_pair(void *arg, const char *key, const char *value)
{
	struct buf *e = arg;

	if (e->len > 0)
		buf_puts(e, "; ");
	buf_puts(e, key);
	buf_puts(e, ": ");
	buf_puts(e, value);
}

static char *
cef_format(const json_t *alert, const struct fmt_opts *o, size_t *len)
{
	struct buf b = { NULL, 0, 0 }, e = { NULL, 0, 0 };
	const char *sev = fmt_str(alert, "severity");
	char num[64];
	int64_t us;

	(void)o;
	buf_puts(&b, "CEF:0|leakwatch|leakwatch|");
	header_value(&b, LEAKWATCH_VERSION);
	buf_addc(&b, '|');
	header_value(&b, fmt_str(alert, "rule"));
	buf_addc(&b, '|');
	header_value(&b, fmt_str(alert, "summary"));
	buf_printf(&b, "|%d|", fmt_sev_cef(sev));
	if (ts_parse(fmt_str(alert, "ts"), &us) == 0) {
		snprintf(num, sizeof(num), "%lld", (long long)(us / 1000));
		ext(&b, "rt", num);
	}
	ext(&b, "externalId", fmt_str(alert, "id"));
	ext(&b, "suser", fmt_str(alert, "employee"));
	ext(&b, "cat", "insider/data-exfiltration");
	ext(&b, "msg", fmt_str(alert, "summary"));
	snprintf(num, sizeof(num), "%g", fmt_num(alert, "score"));
	ext(&b, "cn1Label", "score");
	ext(&b, "cn1", num);
	ext(&b, "cs1Label", "rule");
	ext(&b, "cs1", fmt_str(alert, "rule"));
	ext(&b, "cs2Label", "severity");
	ext(&b, "cs2", sev);
	fmt_evidence_foreach(alert, evidence_pair, &e);
	if (e.len > 0) {
		ext(&b, "cs3Label", "evidence");
		ext(&b, "cs3", e.data);
	}
	buf_free(&e);
	return buf_release(&b, len);
}

const struct fwd_format fmt_cef = { "cef", cef_format, 0 };
