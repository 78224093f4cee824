/*
 * QRadar LEEF 2.0 messages with a tab delimiter, declared in the header
 * as x09. LEEF defines no escaping at all, so values are sanitised
 * instead: control characters (tab, CR and LF among them) are escaped
 * visibly (lib/text.c), and `|` becomes `/` in the header, so no value
 * can end a field or add an attribute.
 */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "siem.h"
#include "leakwatch/util.h"

/* An attribute's byte: tabs and line breaks become spaces. */
static void
attr_char(struct buf *b, char c)
{
	buf_addc(b, c == '\t' || c == '\n' || c == '\r' ? ' ' : c);
}

/* A header's byte: as an attribute's, and '|' becomes '/'. */
static void
header_char(struct buf *b, char c)
{
	if (c == '|')
		buf_addc(b, '/');
	else
		attr_char(b, c);
}

static void
attr(struct buf *b, const char *key, const char *value)
{
	fmt_kv(b, '\t', key, value, attr_char, attr_char);
}

static void
evidence_attr(void *arg, const char *key, const char *value)
{
	char k[128];

	/* '=' in a key would split it; keys are ours but be safe. */
	snprintf(k, sizeof(k), "ev_%s", key);
	k[strcspn(k, "=")] = '\0';
	attr(arg, k, value);
}

static char *
leef_format(const json_t *alert, const struct fmt_opts *o, size_t *len)
{
	struct buf b = { NULL, 0, 0 };
	const char *sev = fmt_str(alert, "severity");
	char num[64];
	int64_t us;

	(void)o;
	buf_puts(&b, "LEEF:2.0|leakwatch|leakwatch|");
	fmt_escaped(&b, LEAKWATCH_VERSION, header_char);
	buf_addc(&b, '|');
	fmt_escaped(&b, fmt_str(alert, "rule"), header_char);
	buf_puts(&b, "|x09|");
	if (ts_parse(fmt_str(alert, "ts"), &us) == 0) {
		snprintf(num, sizeof(num), "%lld", (long long)(us / 1000));
		/* Epoch milliseconds need no devTimeFormat in QRadar. */
		attr(&b, "devTime", num);
	}
	snprintf(num, sizeof(num), "%d", fmt_sev_leef(sev));
	attr(&b, "sev", num);
	attr(&b, "cat", "insider");
	attr(&b, "usrName", fmt_str(alert, "employee"));
	attr(&b, "alertId", fmt_str(alert, "id"));
	attr(&b, "severity", sev);
	snprintf(num, sizeof(num), "%g", fmt_num(alert, "score"));
	attr(&b, "score", num);
	attr(&b, "msg", fmt_str(alert, "summary"));
	fmt_evidence_foreach(alert, evidence_attr, &b);
	return buf_release(&b, len);
}

const struct fwd_format fmt_leef = { "leef", leef_format, 0 };
