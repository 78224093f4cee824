/*
 * The jsonl source: events as JSON Lines, from a file followed like
 * `tail -F` (rotation by rename and by truncation; follow.c does the
 * following) or from stdin. It is how third-party tools feed leakwatch
 * and how the transport is tested without the decoders. Each good line becomes one spooled event whose source
 * position is the byte offset just after that line, so after a SIGKILL
 * the agent resumes at the next line: nothing re-read, nothing skipped.
 * A bad line is reported with its line number and skipped; a line over
 * EVENT_MAX_LEN is skipped whole. Files are read in bounded batches so a
 * huge backlog never starves the uplink of loop turns, and pause while the
 * spool is nearly full (a file is its own buffer). A pipe does not pause:
 * like a live capture its producer cannot wait, so the spool's cap applies
 * and the oldest events are dropped and reported as a gap.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "leakwatch/event.h"
#include "leakwatch/log.h"
#include "leakwatch/xmalloc.h"

#define JSONL_LOGGED	100		/* bad lines logged one by one */

struct source_jsonl {
	struct sink		 sink;
	uint32_t		 src_id;
	struct follow		*f;
	struct source_stats	 st;
};

static void
bad_line(struct source_jsonl *j, uint64_t lineno, const char *why)
{
	j->st.errors++;
	if (j->st.errors <= JSONL_LOGGED)
		log_warnx("%s:%" PRIu64 ": %s; line skipped",
		    follow_name(j->f), lineno, why);
	if (j->st.errors == JSONL_LOGGED)
		log_warnx("%s: further bad lines are counted, not logged",
		    follow_name(j->f));
}

static void
too_long(void *arg, uint64_t lineno)
{
	bad_line(arg, lineno, "line longer than the 65536-byte limit");
}

/* One complete line, without its newline. -1: the sink failed; retry. */
static int
handle_line(void *arg, const char *line, size_t n, uint64_t end,
    uint64_t lineno)
{
	struct source_jsonl *j = arg;
	struct lw_event *ev;
	char err[256];
	size_t i = 0;

	if (n > 0 && line[n - 1] == '\r')
		n--;
	while (i < n && (line[i] == ' ' || line[i] == '\t'))
		i++;
	if (i == n)
		return 0;	/* blank */
	if ((ev = lw_event_parse(line, n, err, sizeof(err))) == NULL) {
		bad_line(j, lineno, err);
		return 0;
	}
	if (j->sink.emit(j->sink.arg, ev, j->src_id, end) != 0)
		return -1;
	j->st.read++;
	return 0;
}

static void
no_flush(void *arg)
{
	(void)arg;	/* every line is a whole event */
}

static int
sink_full(void *arg)
{
	struct source_jsonl *j = arg;

	return j->sink.full(j->sink.arg);
}

struct source_jsonl *
jsonl_new(struct event_base *base, const char *path, uint32_t src_id,
    const struct sink *sink, uint64_t resume, int follow, char *err,
    size_t errlen)
{
	struct source_jsonl *j;
	struct follow_cb cb;

	j = xcalloc(1, sizeof(*j));
	j->sink = *sink;
	j->src_id = src_id;
	cb.line = handle_line;
	cb.bad = too_long;
	cb.flush = no_flush;
	cb.full = sink_full;
	cb.arg = j;
	if ((j->f = follow_new(base, path, resume, follow, EVENT_MAX_LEN, &cb,
	    err, errlen)) == NULL) {
		free(j);
		return NULL;
	}
	return j;
}

int
jsonl_done(const struct source_jsonl *j)
{
	return follow_done(j->f);
}

void
jsonl_stats(const struct source_jsonl *j, struct source_stats *st)
{
	*st = j->st;
}

void
jsonl_free(struct source_jsonl *j)
{
	if (j == NULL)
		return;
	follow_free(j->f);
	free(j);
}
