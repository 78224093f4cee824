/*
 * Per-agent shared secrets, the alternative to client certificates. The
 * file holds "agent-name sha256-hex-of-secret" per line, so a copy of the
 * collector's file does not give away the agents' secrets. Comparison is
 * in constant time.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "collector.h"
#include "leakwatch/log.h"
#include "leakwatch/proto.h"
#include "leakwatch/util.h"
#include "leakwatch/xmalloc.h"

struct secret {
	char	name[PROTO_MAX_NAME + 1];
	char	hash[65];
};

struct secrets {
	struct secret	*v;
	size_t		 n;
};

struct secrets *
secrets_load(const char *path, char *err, size_t errlen)
{
	struct secrets *s;
	FILE *f;
	char line[512], name[128], hash[128];
	int lineno = 0;
	struct stat st;

	if ((f = fopen(path, "r")) == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	if (fstat(fileno(f), &st) == 0 && (st.st_mode & 0007) != 0)
		log_warnx("%s: readable by others; chmod o-rwx", path);
	s = xcalloc(1, sizeof(*s));
	while (fgets(line, sizeof(line), f) != NULL) {
		lineno++;
		if (line[0] == '#' || strspn(line, " \t\r\n") == strlen(line))
			continue;
		if (sscanf(line, "%127s %127s", name, hash) != 2 ||
		    !proto_valid_agent_name(name) || strlen(hash) != 64 ||
		    strspn(hash, "0123456789abcdef") != 64) {
			snprintf(err, errlen, "%s:%d: expected \"agent-name "
			    "sha256-hex\" (64 lower-case hex digits)", path,
			    lineno);
			fclose(f);
			secrets_free(s);
			return NULL;
		}
		s->v = xreallocarray(s->v, s->n + 1, sizeof(*s->v));
		/* Both lengths were checked above. */
		memcpy(s->v[s->n].name, name, strlen(name) + 1);
		memcpy(s->v[s->n].hash, hash, sizeof(s->v[0].hash));
		s->n++;
	}
	fclose(f);
	return s;
}

/* 1 when agent is listed and sha256(secret) matches its hash. */
int
secrets_check(const struct secrets *s, const char *agent,
    const char *secret)
{
	char hash[65];
	size_t i;

	if (s == NULL || secret == NULL)
		return 0;
	sha256_hex(secret, strlen(secret), hash);
	for (i = 0; i < s->n; i++)
		if (strcmp(s->v[i].name, agent) == 0)
			return ct_streq(s->v[i].hash, hash);
	return 0;
}

/* 1 when agent is still listed with this hash (a reload's check). */
int
secrets_has(const struct secrets *s, const char *agent, const char *hash)
{
	size_t i;

	if (s == NULL)
		return 0;
	for (i = 0; i < s->n; i++)
		if (strcmp(s->v[i].name, agent) == 0)
			return ct_streq(s->v[i].hash, hash);
	return 0;
}

size_t
secrets_count(const struct secrets *s)
{
	return s ? s->n : 0;
}

void
secrets_free(struct secrets *s)
{
	if (s == NULL)
		return;
	free(s->v);
	free(s);
}
