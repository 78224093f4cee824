/*
 * leakwatch's exfiltration categories. nDPI says what a flow is (an
 * application, an nDPI category, a server name, risks); the category map
 * says what that means for data leaving: cloud_storage, webmail,
 * file_transfer, messaging, remote_access, dns_tunnel, unknown_encrypted
 * or other. The map is a small text file (rules/categories.map documents
 * the format in its header); rules are tried in order and the first match
 * wins, so an operator reads the policy top to bottom. This file only
 * parses and evaluates the map; it has no opinion of its own except the
 * DNS-name heuristic the `dns-name suspicious` rule names, and one rule
 * that comes before the map: a flow whose server does not belong to the
 * name it announced (flow.c) is unknown_encrypted, whatever the name
 * says. It is not a map rule, so a map written before it cannot lose it.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "agent.h"
#include "leakwatch/util.h"
#include "leakwatch/xmalloc.h"

#define CATMAP_MAX_FILE		(1024 * 1024)
#define CATMAP_MAX_RULES	4096
#define CATMAP_PATTERN_MAX	256
#define UPLOAD_MIN_BYTES	(1024 * 1024)
#define UPLOAD_RATIO		4

enum rule_kind {
	R_APP,
	R_MASTER,
	R_CATEGORY,
	R_HOST,
	R_PORT,
	R_RISK,
	R_DNSNAME,
	R_UPLOAD,
	R_ANY
};

static const struct {
	const char	*name;
	enum rule_kind	 kind;
} kinds[] = {
	{ "app", R_APP }, { "master", R_MASTER }, { "category", R_CATEGORY },
	{ "host", R_HOST }, { "port", R_PORT }, { "risk", R_RISK },
	{ "dns-name", R_DNSNAME }, { "upload", R_UPLOAD }, { "any", R_ANY },
};

static const char *const categories[] = {
	"cloud_storage", "webmail", "file_transfer", "messaging",
	"remote_access", "dns_tunnel", "unknown_encrypted", "other", NULL
};

struct rule {
	enum rule_kind	 kind;
	char		*pattern;
	uint8_t		 proto;		/* R_PORT */
	uint16_t	 port;
	int		 risk;		/* R_RISK: nDPI risk number */
	const char	*category;	/* points into categories[] */
};

struct catmap {
	struct rule	*rules;
	size_t		 n;
};

/*
 * Splits the next token off *p: a run of non-blanks, or a double-quoted
 * string (no escapes). Returns its length, 0 at the end of the line, -1
 * on an unterminated quote.
 */
static int
next_token(const char **p, const char *end, const char **tok)
{
	const char *s = *p, *e;

	while (s < end && (*s == ' ' || *s == '\t' || *s == '\r'))
		s++;
	if (s == end || *s == '#') {
		*p = end;
		return 0;
	}
	if (*s == '"') {
		for (e = s + 1; e < end && *e != '"'; e++)
			;
		if (e == end)
			return -1;
		*tok = s + 1;
		*p = e + 1;
		return (int)(e - s - 1);
	}
	for (e = s; e < end && *e != ' ' && *e != '\t' && *e != '\r' &&
	    *e != '#'; e++)
		;
	*tok = s;
	*p = e;
	return (int)(e - s);
}

static int
parse_line(struct catmap *m, const char *line, size_t len, char *why,
    size_t whylen)
{
	const char *p = line, *end = line + len, *tok[4];
	int n[4], i, k;
	struct rule r;
	char buf[CATMAP_PATTERN_MAX], *e;
	long port;

	for (i = 0; i < 4; i++) {
		n[i] = next_token(&p, end, &tok[i]);
		if (n[i] < 0) {
			snprintf(why, whylen, "unterminated quote");
			return -1;
		}
		if (n[i] == 0)
			break;
	}
	if (i == 0)
		return 0;		/* blank or comment */
	if (i != 3) {
		snprintf(why, whylen, "expected KIND PATTERN CATEGORY");
		return -1;
	}
	memset(&r, 0, sizeof(r));
	for (k = 0; k < (int)(sizeof(kinds) / sizeof(kinds[0])); k++)
		if ((size_t)n[0] == strlen(kinds[k].name) &&
		    strncasecmp(tok[0], kinds[k].name, (size_t)n[0]) == 0)
			break;
	if (k == (int)(sizeof(kinds) / sizeof(kinds[0]))) {
		snprintf(why, whylen, "unknown kind \"%.*s\"",
		    n[0] > 32 ? 32 : n[0], tok[0]);
		return -1;
	}
	r.kind = kinds[k].kind;
	if (n[1] >= (int)sizeof(buf)) {
		snprintf(why, whylen, "pattern longer than %d bytes",
		    CATMAP_PATTERN_MAX - 1);
		return -1;
	}
	memcpy(buf, tok[1], (size_t)n[1]);
	buf[n[1]] = '\0';
	for (k = 0; categories[k] != NULL; k++)
		if ((size_t)n[2] == strlen(categories[k]) &&
		    strncmp(tok[2], categories[k], (size_t)n[2]) == 0)
			break;
	if (categories[k] == NULL) {
		snprintf(why, whylen, "unknown category \"%.*s\"",
		    n[2] > 32 ? 32 : n[2], tok[2]);
		return -1;
	}
	r.category = categories[k];
	switch (r.kind) {
	case R_PORT:
		if (strncasecmp(buf, "tcp/", 4) == 0)
			r.proto = 6;
		else if (strncasecmp(buf, "udp/", 4) == 0)
			r.proto = 17;
		else {
			snprintf(why, whylen, "port: expected tcp/N or udp/N");
			return -1;
		}
		errno = 0;
		port = strtol(buf + 4, &e, 10);
		if (buf[4] < '0' || buf[4] > '9' || *e != '\0' || errno != 0 ||
		    port < 1 || port > 65535) {
			snprintf(why, whylen, "port: bad port number");
			return -1;
		}
		r.port = (uint16_t)port;
		break;
	case R_RISK:
		for (k = 1; k < dpi_risk_max(); k++)
			if (dpi_risk_name(k) != NULL &&
			    strcasecmp(dpi_risk_name(k), buf) == 0)
				break;
		if (k >= dpi_risk_max()) {
			snprintf(why, whylen, "risk: no nDPI risk named "
			    "\"%.64s\"", buf);
			return -1;
		}
		r.risk = k;
		break;
	case R_DNSNAME:
		if (strcasecmp(buf, "suspicious") != 0) {
			snprintf(why, whylen, "dns-name: the pattern is "
			    "\"suspicious\"");
			return -1;
		}
		break;
	case R_ANY:
		if (strcmp(buf, "-") != 0) {
			snprintf(why, whylen, "any: the pattern is \"-\"");
			return -1;
		}
		break;
	case R_HOST:
		if (buf[0] == '.') {
			/* ".example.com" and "example.com" mean the same. */
			memmove(buf, buf + 1, strlen(buf));
		}
		if (buf[0] == '\0') {
			snprintf(why, whylen, "host: empty name");
			return -1;
		}
		break;
	default:
		break;
	}
	if (m->n == CATMAP_MAX_RULES) {
		snprintf(why, whylen, "more than %d rules", CATMAP_MAX_RULES);
		return -1;
	}
	r.pattern = xstrdup(buf);
	m->rules = xreallocarray(m->rules, m->n + 1, sizeof(*m->rules));
	m->rules[m->n++] = r;
	return 0;
}

struct catmap *
catmap_parse(const char *buf, size_t len, const char *name, char *err,
    size_t errlen)
{
	struct catmap *m;
	const char *p = buf, *end = buf + len, *nl;
	char why[160];
	size_t lineno = 0;

	m = xcalloc(1, sizeof(*m));
	while (p < end) {
		lineno++;
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		if (memchr(p, '\0', (size_t)(nl - p)) != NULL) {
			snprintf(err, errlen, "%s:%zu: NUL byte", name, lineno);
			catmap_free(m);
			return NULL;
		}
		if (parse_line(m, p, (size_t)(nl - p), why, sizeof(why)) != 0) {
			snprintf(err, errlen, "%s:%zu: %s", name, lineno, why);
			catmap_free(m);
			return NULL;
		}
		p = nl + 1;
	}
	return m;
}

struct catmap *
catmap_load(const char *path, char *err, size_t errlen)
{
	struct catmap *m;
	char *buf;
	size_t n;

	if (path == NULL)
		return catmap_parse(catmap_builtin, strlen(catmap_builtin),
		    "(built-in categories)", err, errlen);
	if ((buf = file_read_alloc(path, CATMAP_MAX_FILE, &n, err,
	    errlen)) == NULL)
		return NULL;
	m = catmap_parse(buf, n, path, err, errlen);
	free(buf);
	return m;
}

void
catmap_free(struct catmap *m)
{
	size_t i;

	if (m == NULL)
		return;
	for (i = 0; i < m->n; i++)
		free(m->rules[i].pattern);
	free(m->rules);
	free(m);
}

size_t
catmap_rules(const struct catmap *m)
{
	return m->n;
}

/* The part after the last '.' of "Master.App", or the whole name. */
static const char *
app_part(const char *app)
{
	const char *dot = strrchr(app, '.');

	return dot != NULL ? dot + 1 : app;
}

static int
master_is(const char *app, const char *master, const char *pat)
{
	size_t n = strlen(pat);

	if (master != NULL && strcasecmp(master, pat) == 0)
		return 1;
	/* "DNS.Dropbox" names its master first. */
	return strncasecmp(app, pat, n) == 0 && app[n] == '.';
}

static int
host_matches(const char *name, const char *suffix)
{
	size_t n = strlen(name), s = strlen(suffix);

	if (n < s || strcasecmp(name + n - s, suffix) != 0)
		return 0;
	return n == s || name[n - s - 1] == '.';
}

/* app: the query's application, "Unknown" when nDPI named none. */
static int
is_dns(const struct cat_query *q, const char *app)
{
	return master_is(app, q->master, "DNS") ||
	    strcasecmp(app, "DNS") == 0 ||
	    (q->proto == 17 && (q->dport == 53 || q->sport == 53));
}

static int
rule_matches(const struct rule *r, const struct cat_query *q)
{
	const char *app = q->app != NULL ? q->app : "Unknown";

	switch (r->kind) {
	case R_APP:
		return strcasecmp(app, r->pattern) == 0 ||
		    strcasecmp(app_part(app), r->pattern) == 0;
	case R_MASTER:
		return master_is(app, q->master, r->pattern);
	case R_CATEGORY:
		return q->ndpi_category != NULL &&
		    strcasecmp(q->ndpi_category, r->pattern) == 0;
	case R_HOST:
		return q->server_name != NULL &&
		    host_matches(q->server_name, r->pattern);
	case R_PORT:
		return q->proto == r->proto && q->dport == r->port;
	case R_RISK:
		return r->risk < 64 && (q->risks >> r->risk) & 1;
	case R_DNSNAME:
		return q->server_name != NULL && is_dns(q, app) &&
		    dns_name_suspicious(q->server_name);
	case R_UPLOAD:
		if (strcasecmp(app, r->pattern) != 0 &&
		    strcasecmp(app_part(app), r->pattern) != 0 &&
		    !master_is(app, q->master, r->pattern))
			return 0;
		return q->bytes_out >= UPLOAD_MIN_BYTES &&
		    q->bytes_out / UPLOAD_RATIO >= q->bytes_in;
	case R_ANY:
		return 1;
	}
	return 0;
}

const char *
catmap_lookup(const struct catmap *m, const struct cat_query *q)
{
	size_t i;

	/* The name is a lie: what it claims says nothing of the upload. */
	if (q->mismatch)
		return "unknown_encrypted";
	for (i = 0; i < m->n; i++)
		if (rule_matches(&m->rules[i], q))
			return m->rules[i].category;
	return "other";
}

/* Shannon entropy in bits per character of s[0..n). */
static double
entropy(const char *s, size_t n)
{
	unsigned cnt[256];
	double h = 0, p;
	size_t i;

	if (n == 0)
		return 0;
	memset(cnt, 0, sizeof(cnt));
	for (i = 0; i < n; i++)
		cnt[(unsigned char)s[i]]++;
	for (i = 0; i < 256; i++) {
		if (cnt[i] == 0)
			continue;
		p = (double)cnt[i] / (double)n;
		h -= p * log2(p);
	}
	return h;
}

/*
 * A DNS name that carries data rather than names a host. Tunnels (iodine,
 * dnscat2, DNSExfiltrator) pack encoded bytes into the labels left of
 * their own domain, so those labels are long and close to random. The
 * name minus its last two labels (the tunnel's domain) is suspicious when
 * one label is 40 bytes or more, or the whole part is 60 or more, or it
 * is 24 or more with an entropy of 4 bits per character or more (English
 * host names stay well below; base32/hex/base64 data is above). These are
 * the thresholds docs/network.md documents.
 */
int
dns_name_suspicious(const char *name)
{
	size_t n = strlen(name), sub, lab = 0, maxlab = 0, i;
	const char *last = NULL, *prev = NULL;

	if (n > 0 && name[n - 1] == '.')
		n--;
	for (i = 0; i < n; i++) {
		if (name[i] == '.') {
			prev = last;
			last = name + i;
			if (lab > maxlab)
				maxlab = lab;
			lab = 0;
		} else
			lab++;
	}
	if (lab > maxlab)
		maxlab = lab;
	/* The registered domain: from the second-to-last dot on. */
	sub = prev != NULL ? (size_t)(prev - name) : 0;
	if (maxlab >= 40 || sub >= 60)
		return 1;
	if (sub >= 24 && entropy(name, sub) >= 4.0)
		return 1;
	return 0;
}

/*
 * The built-in map, used when the `categories` key is not set: the rules
 * of rules/categories.map without its comments (test_category checks
 * that both give the same rules; edit the file, then this copy).
 */
const char catmap_builtin[] =
	"# app the nDPI protocol name: the whole \"Master.App\" name\n"
	"# (\"TLS.GoogleDrive\") or either part (\"GoogleDrive\", \"TLS\" )\n"
	"# master the first part only (\"DNS\" in \"DNS.Dropbox\" )\n"
	"# category nDPI's category name (\"Cloud\", \"Email\" , \"VPN\" , ...)\n"
	"# \".PATTERN\"\n"
	"# risk nDPI reports that risk (\"Suspicious DNS Traffic\")\n"
	"# DNS tunnels first: the name and nDPI's DNS risks, before DNS is \"other\" .\n"
	"risk \"Suspicious DNS Traffic\" dns_tunnel\n"
	"risk \"Suspicious DGA Domain name\" dns_tunnel\n"
	"dns-name suspicious dns_tunnel\n"
	"master DNS other\n"
	"app MDNS other\n"
	"app LLMNR other\n"
	"app DNScrypt remote_access\n"
	"app DoH_DoT remote_access\n"
	"port udp/17500 other\n"
	"app Dropbox cloud_storage\n"
	"app GoogleDrive cloud_storage\n"
	"app MS_OneDrive cloud_storage\n"
	"app UbuntuONE cloud_storage\n"
	"host dropbox.com cloud_storage\n"
	"host dropboxapi.com cloud_storage\n"
	"host dropboxusercontent.com cloud_storage\n"
	"host drive.google.com cloud_storage\n"
	"host docs.google.com cloud_storage\n"
	"host googleusercontent.com cloud_storage\n"
	"host onedrive.live.com cloud_storage\n"
	"host onedrive.com cloud_storage\n"
	"host 1drv.com cloud_storage\n"
	"host 1drv.ms cloud_storage\n"
	"host sharepoint.com cloud_storage\n"
	"host box.com cloud_storage\n"
	"host boxcloud.com cloud_storage\n"
	"host mega.nz cloud_storage\n"
	"host mega.co.nz cloud_storage\n"
	"host mega.io cloud_storage\n"
	"host wetransfer.com cloud_storage\n"
	"host icloud.com cloud_storage\n"
	"host icloud-content.com cloud_storage\n"
	"host s3.amazonaws.com cloud_storage\n"
	"host amazonaws.com cloud_storage\n"
	"host storage.googleapis.com cloud_storage\n"
	"host blob.core.windows.net cloud_storage\n"
	"host pcloud.com cloud_storage\n"
	"host mediafire.com cloud_storage\n"
	"host sendspace.com cloud_storage\n"
	"host transfer.sh cloud_storage\n"
	"host file.io cloud_storage\n"
	"host anonfiles.com cloud_storage\n"
	"host gofile.io cloud_storage\n"
	"app AppleiCloud cloud_storage\n"
	"app Pastebin file_transfer\n"
	"host pastebin.com file_transfer\n"
	"app GMail webmail\n"
	"app Hotmail webmail\n"
	"app YahooMail webmail\n"
	"host mail.google.com webmail\n"
	"host outlook.live.com webmail\n"
	"host outlook.office.com webmail\n"
	"host outlook.office365.com webmail\n"
	"host mail.yahoo.com webmail\n"
	"host mail.proton.me webmail\n"
	"host protonmail.com webmail\n"
	"host tutanota.com webmail\n"
	"host mail.ru webmail\n"
	"category Email webmail\n"
	"app FTP_CONTROL file_transfer\n"
	"app FTP_DATA file_transfer\n"
	"app FTPS file_transfer\n"
	"app TFTP file_transfer\n"
	"app RSYNC file_transfer\n"
	"app NFS file_transfer\n"
	"app SMBv1 file_transfer\n"
	"app SMBv23 file_transfer\n"
	"app AFP file_transfer\n"
	"app BitTorrent file_transfer\n"
	"app WhatsAppFiles file_transfer\n"
	"upload HTTP file_transfer\n"
	"upload SSH file_transfer\n"
	"category Chat messaging\n"
	"app Slack messaging\n"
	"app Teams messaging\n"
	"app Skype_Teams messaging\n"
	"app Telegram messaging\n"
	"app Signal messaging\n"
	"app WhatsApp messaging\n"
	"app Discord messaging\n"
	"category RemoteAccess remote_access\n"
	"category VPN remote_access\n"
	"app SSH remote_access\n"
	"app Tor remote_access\n"
	"app TeamViewer remote_access\n"
	"app AnyDesk remote_access\n"
	"app HTTP_Connect remote_access\n"
	"app HTTP_Proxy remote_access\n"
	"app Unknown unknown_encrypted\n"
	"app TLS unknown_encrypted\n"
	"app QUIC unknown_encrypted\n"
	"app DTLS unknown_encrypted\n"
	"any - other\n";
