/*
 * The agent's sources behind one interface. A source spec is "kind:arg";
 * the table below maps each kind to its implementation, so adding the pcap
 * and log sources later adds a row, not a branch. Each source gets a
 * stable id (CRC-32C of its spec) under which the spool keeps its resume
 * position.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "leakwatch/util.h"
#include "leakwatch/xmalloc.h"

struct source_type {
	const char	*kind;
	void		*(*new)(struct event_base *, const char *arg,
			    const struct agent_config *, uint32_t src_id,
			    const struct sink *, uint64_t resume, int follow,
			    char *, size_t);
	int		(*done)(const void *);
	void		(*stats)(const void *, struct source_stats *);
	void		(*free)(void *);
};

/* Adapters: each implementation keeps its own typed API. */
static void *
jsonl_new_any(struct event_base *b, const char *arg,
    const struct agent_config *cfg, uint32_t id, const struct sink *s,
    uint64_t resume, int follow, char *e, size_t el)
{
	(void)cfg;
	if (*arg == '\0') {
		snprintf(e, el, "source jsonl: expected jsonl:PATH or jsonl:-");
		return NULL;
	}
	return jsonl_new(b, arg, id, s, resume, follow, e, el);
}
static int
jsonl_done_any(const void *p)
{
	return jsonl_done(p);
}
static void
jsonl_stats_any(const void *p, struct source_stats *st)
{
	jsonl_stats(p, st);
}
static void
jsonl_free_any(void *p)
{
	jsonl_free(p);
}

/* net: a packet source; not resumable, so `resume` and `follow` do not
 * apply (a live capture always follows). */
static void *
net_new_any(struct event_base *b, const char *arg,
    const struct agent_config *cfg, uint32_t id, const struct sink *s,
    uint64_t resume, int follow, char *e, size_t el)
{
	(void)resume;
	(void)follow;
	return source_net_new(b, arg, cfg, id, s, e, el);
}
static int
net_done_any(const void *p)
{
	return source_net_done(p);
}
static void
net_stats_any(const void *p, struct source_stats *st)
{
	source_net_stats(p, st);
}
static void
net_free_any(void *p)
{
	source_net_free(p);
}

/* db: a packet source like net; a capture cannot resume either. */
static void *
db_new_any(struct event_base *b, const char *arg,
    const struct agent_config *cfg, uint32_t id, const struct sink *s,
    uint64_t resume, int follow, char *e, size_t el)
{
	(void)resume;
	(void)follow;
	return source_db_new(b, arg, cfg, id, s, e, el);
}
static int
db_done_any(const void *p)
{
	return source_db_done(p);
}
static void
db_stats_any(const void *p, struct source_stats *st)
{
	source_db_stats(p, st);
}
static void
db_free_any(void *p)
{
	source_db_free(p);
}

/* log: a server log file, resumable like jsonl. */
static void *
log_new_any(struct event_base *b, const char *arg,
    const struct agent_config *cfg, uint32_t id, const struct sink *s,
    uint64_t resume, int follow, char *e, size_t el)
{
	return source_log_new(b, arg, cfg, id, s, resume, follow, e, el);
}
static int
log_done_any(const void *p)
{
	return source_log_done(p);
}
static void
log_stats_any(const void *p, struct source_stats *st)
{
	source_log_stats(p, st);
}
static void
log_free_any(void *p)
{
	source_log_free(p);
}

/* pgstat, mystat: polling; the counters are the position, not a file. */
static void *
pgstat_new_any(struct event_base *b, const char *arg,
    const struct agent_config *cfg, uint32_t id, const struct sink *s,
    uint64_t resume, int follow, char *e, size_t el)
{
	(void)resume;
	(void)follow;
	return source_stat_new(b, "pgstat", arg, cfg, id, s, e, el);
}
static void *
mystat_new_any(struct event_base *b, const char *arg,
    const struct agent_config *cfg, uint32_t id, const struct sink *s,
    uint64_t resume, int follow, char *e, size_t el)
{
	(void)resume;
	(void)follow;
	return source_stat_new(b, "mystat", arg, cfg, id, s, e, el);
}
static int
stat_done_any(const void *p)
{
	return source_stat_done(p);
}
static void
stat_stats_any(const void *p, struct source_stats *st)
{
	source_stat_stats(p, st);
}
static void
stat_free_any(void *p)
{
	source_stat_free(p);
}

static const struct source_type source_types[] = {
	{ "jsonl", jsonl_new_any, jsonl_done_any, jsonl_stats_any,
	    jsonl_free_any },
	{ "net", net_new_any, net_done_any, net_stats_any, net_free_any },
	{ "db", db_new_any, db_done_any, db_stats_any, db_free_any },
	{ "log", log_new_any, log_done_any, log_stats_any, log_free_any },
	{ "pgstat", pgstat_new_any, stat_done_any, stat_stats_any,
	    stat_free_any },
	{ "mystat", mystat_new_any, stat_done_any, stat_stats_any,
	    stat_free_any },
};

struct source {
	const struct source_type	*type;
	void				*impl;
	char				*spec;
};

struct source *
source_new(struct event_base *base, const char *spec,
    const struct agent_config *cfg, const struct sink *sink,
    const struct spool *spool, int follow, char *err, size_t errlen)
{
	const char *colon = strchr(spec, ':');
	const struct source_type *t = NULL;
	struct source *s;
	uint32_t id;
	size_t i, klen;

	/* A bare kind ("db" with --read, or on the default interface)
	 * has an empty argument; each kind decides whether it needs one. */
	klen = colon == NULL ? strlen(spec) : (size_t)(colon - spec);
	for (i = 0; i < sizeof(source_types) / sizeof(source_types[0]); i++)
		if (strlen(source_types[i].kind) == klen &&
		    strncmp(source_types[i].kind, spec, klen) == 0)
			t = &source_types[i];
	if (t == NULL) {
		snprintf(err, errlen, "source \"%s\": unknown kind \"%.*s\"",
		    spec, (int)klen, spec);
		return NULL;
	}
	id = crc32c(0, spec, strlen(spec));
	s = xcalloc(1, sizeof(*s));
	s->type = t;
	s->spec = xstrdup(spec);
	s->impl = t->new(base, colon == NULL ? "" : colon + 1, cfg, id, sink,
	    spool == NULL ? 0 : spool_source_pos(spool, id), follow, err,
	    errlen);
	if (s->impl == NULL) {
		free(s->spec);
		free(s);
		return NULL;
	}
	return s;
}

int
source_done(const struct source *s)
{
	return s->type->done(s->impl);
}

void
source_stats(const struct source *s, struct source_stats *st)
{
	memset(st, 0, sizeof(*st));
	s->type->stats(s->impl, st);
}

const char *
source_spec(const struct source *s)
{
	return s->spec;
}

void
source_free(struct source *s)
{
	if (s == NULL)
		return;
	s->type->free(s->impl);
	free(s->spec);
	free(s);
}
