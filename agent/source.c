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

/* What every constructor is given; each takes what it uses. */
struct source_args {
	struct event_base		*base;
	const char			*kind;
	const char			*arg;	/* after "kind:"; may be "" */
	const struct agent_config	*cfg;
	uint32_t			 src_id;
	const struct sink		*sink;
	uint64_t			 resume;	/* spool position */
	int				 follow;
};

struct source_type {
	const char	*kind;
	void		*(*new)(const struct source_args *, char *, size_t);
	int		(*done)(const void *);
	void		(*stats)(const void *, struct source_stats *);
	void		(*free)(void *);
};

/*
 * The table's done, stats and free of one implementation, whose own API
 * takes its own type: SOURCE_OPS(net, source_net) makes net_done_any()
 * calling source_net_done(), and so on.
 */
#define SOURCE_OPS(kind, impl)						\
static int								\
kind##_done_any(const void *p)						\
{									\
	return impl##_done(p);						\
}									\
static void								\
kind##_stats_any(const void *p, struct source_stats *st)		\
{									\
	impl##_stats(p, st);						\
}									\
static void								\
kind##_free_any(void *p)						\
{									\
	impl##_free(p);							\
}

SOURCE_OPS(jsonl, jsonl)
SOURCE_OPS(net, source_net)
SOURCE_OPS(db, source_db)
SOURCE_OPS(log, source_log)
SOURCE_OPS(stat, source_stat)

/* Constructors. jsonl and log: files, resumable and followed. */
static void *
jsonl_new_any(const struct source_args *a, char *e, size_t el)
{
	if (*a->arg == '\0') {
		snprintf(e, el, "source jsonl: expected jsonl:PATH or jsonl:-");
		return NULL;
	}
	return jsonl_new(a->base, a->arg, a->src_id, a->sink, a->resume,
	    a->follow, e, el);
}

static void *
log_new_any(const struct source_args *a, char *e, size_t el)
{
	return source_log_new(a->base, a->arg, a->cfg, a->src_id, a->sink,
	    a->resume, a->follow, e, el);
}

/* net: a packet source; not resumable, so `resume` and `follow` do not
 * apply (a live capture always follows). */
static void *
net_new_any(const struct source_args *a, char *e, size_t el)
{
	return source_net_new(a->base, a->arg, a->cfg, a->src_id, a->sink,
	    e, el);
}

/* pgstat, mystat: polling; the counters are the position, not a file. */
static void *
stat_new_any(const struct source_args *a, char *e, size_t el)
{
	return source_stat_new(a->base, a->kind, a->arg, a->cfg, a->src_id,
	    a->sink, e, el);
}

/* db: a packet source like net; a capture cannot resume either. */
static void *
db_new_any(const struct source_args *a, char *e, size_t el)
{
	return source_db_new(a->base, a->arg, a->cfg, a->src_id, a->sink, e,
	    el);
}

static const struct source_type source_types[] = {
	{ "jsonl", jsonl_new_any, jsonl_done_any, jsonl_stats_any,
	    jsonl_free_any },
	{ "net", net_new_any, net_done_any, net_stats_any, net_free_any },
	{ "db", db_new_any, db_done_any, db_stats_any, db_free_any },
	{ "log", log_new_any, log_done_any, log_stats_any, log_free_any },
	{ "pgstat", stat_new_any, stat_done_any, stat_stats_any,
	    stat_free_any },
	{ "mystat", stat_new_any, stat_done_any, stat_stats_any,
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
	struct source_args a;
	struct source *s;
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
	a.base = base;
	a.kind = t->kind;
	a.arg = colon == NULL ? "" : colon + 1;
	a.cfg = cfg;
	a.src_id = crc32c(0, spec, strlen(spec));
	a.sink = sink;
	a.resume = spool == NULL ? 0 : spool_source_pos(spool, a.src_id);
	a.follow = follow;
	s = xcalloc(1, sizeof(*s));
	s->type = t;
	s->spec = xstrdup(spec);
	s->impl = t->new(&a, err, errlen);
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
