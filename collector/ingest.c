/*
 * What the collector does with each frame an agent sends: authenticate the
 * HELLO, validate and deduplicate EVENTs, record STATUS heartbeats and
 * GAPs. No sockets here - server.c hands in payloads and acts on the
 * result - so every rule below is testable on plain buffers. The rules:
 * nothing is stored before the peer is authenticated; the `agent` of a
 * stored event is the authenticated name, never the one in the event; an
 * event at or below the stream cursor is a duplicate and dropped; an event
 * that fails validation is logged, counted and skipped (its seq is still
 * consumed, so the agent does not resend it for ever).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "collector.h"
#include "analytics/analytics.h"
#include "leakwatch/event.h"
#include "leakwatch/event-scan.h"
#include "leakwatch/event-view.h"
#include "leakwatch/log.h"
#include "leakwatch/proto.h"
#include "leakwatch/util.h"
#include "leakwatch/xmalloc.h"

static int
valid_instance(const char *s)
{
	return strlen(s) == PROTO_INSTANCE_LEN &&
	    strspn(s, "0123456789abcdef") == PROTO_INSTANCE_LEN;
}

/* Who may this peer be? Sets peer->agent on success. */
static int
authenticate(struct ingest_ctx *ctx, struct ingest_peer *peer,
    const char *agent, const char *secret, char *err, size_t errlen)
{
	if (peer->cn[0] != '\0') {
		if (strcmp(peer->cn, agent) != 0) {
			snprintf(err, errlen, "certificate is for \"%s\", "
			    "not agent \"%s\"", peer->cn, agent);
			return -1;
		}
		return 0;
	}
	if (ctx->secrets != NULL) {
		if (secret == NULL) {
			snprintf(err, errlen, "agent \"%s\" sent no "
			    "certificate and no secret", agent);
			return -1;
		}
		if (!secrets_check(ctx->secrets, agent, secret)) {
			snprintf(err, errlen, "wrong secret for agent \"%s\"",
			    agent);
			return -1;
		}
		sha256_hex(secret, strlen(secret), peer->secret_hash);
		return 0;
	}
	if (ctx->insecure)
		return 0;
	snprintf(err, errlen, "agent \"%s\" sent no certificate", agent);
	return -1;
}

/*
 * After a reload: may this authenticated peer stay? A peer that came in
 * with a secret needs that secret still in the file; a certificate is
 * checked by the server, which holds the TLS session.
 */
int
ingest_peer_valid(const struct ingest_ctx *ctx,
    const struct ingest_peer *peer, char *err, size_t errlen)
{
	if (!peer->authenticated || peer->secret_hash[0] == '\0')
		return 1;
	if (secrets_has(ctx->secrets, peer->agent, peer->secret_hash))
		return 1;
	snprintf(err, errlen, "secret for agent \"%s\" revoked",
	    peer->agent);
	return 0;
}

enum ingest_result
ingest_hello(struct ingest_ctx *ctx, struct ingest_peer *peer,
    const uint8_t *buf, size_t len, char *reply, size_t replylen,
    char *err, size_t errlen)
{
	json_t *o;
	json_error_t je;
	const char *agent, *instance, *secret;
	json_int_t proto;
	enum ingest_result rc = INGEST_CLOSE;
	int n;

	if (peer->authenticated) {
		snprintf(err, errlen, "second HELLO");
		return INGEST_CLOSE;
	}
	if (len > PROTO_HELLO_MAX || (o = json_loadb((const char *)buf, len,
	    JSON_REJECT_DUPLICATES, &je)) == NULL) {
		snprintf(err, errlen, "HELLO is not a JSON object");
		return INGEST_CLOSE;
	}
	if (json_unpack(o, "{s:I, s:s, s:s, s?s}", "proto", &proto,
	    "agent", &agent, "instance", &instance, "secret", &secret) != 0) {
		snprintf(err, errlen, "HELLO lacks proto, agent or instance");
		goto out;
	}
	secret = json_string_value(json_object_get(o, "secret"));
	if (proto != PROTO_VERSION) {
		snprintf(err, errlen, "protocol version %" JSON_INTEGER_FORMAT
		    " not supported (this collector speaks %d)", proto,
		    PROTO_VERSION);
		goto out;
	}
	if (!proto_valid_agent_name(agent) || !valid_instance(instance)) {
		snprintf(err, errlen, "HELLO has a malformed agent name or "
		    "instance id");
		goto out;
	}
	if (authenticate(ctx, peer, agent, secret, err, errlen) != 0)
		goto out;
	memcpy(peer->agent, agent, strlen(agent) + 1);
	memcpy(peer->instance, instance, PROTO_INSTANCE_LEN + 1);
	peer->stream = store_stream(ctx->store, agent, instance);
	peer->authenticated = 1;
	store_agent_seen(ctx->store, agent, instance, peer->addr, 1,
	    now_us());
	n = snprintf(reply, replylen, "{\"proto\":%d,\"agent\":\"%s\","
	    "\"acked\":%" PRIu64 "}", PROTO_VERSION, agent,
	    stream_committed(peer->stream));
	if (n < 0 || (size_t)n >= replylen) {
		snprintf(err, errlen, "WELCOME does not fit");
		goto out;
	}
	rc = INGEST_OK;
out:
	json_decref(o);
	return rc;
}

/*
 * What an agent observes; an alert is the collector's own conclusion and
 * agent.status has its own frame. An agent that sends either would be
 * writing the analysts' queue or another agent's health.
 */
static int
agent_may_send(enum event_type t)
{
	return t == EVENT_DB_QUERY || t == EVENT_DB_SESSION ||
	    t == EVENT_NET_FLOW;
}

/* A valid event of a type agents may not send: skipped and counted. */
static enum ingest_result
refuse_type(struct ingest_ctx *ctx, struct ingest_peer *peer, uint64_t seq,
    enum event_type t)
{
	log_warnx("agent %s (%s): event %" PRIu64 " dropped: agents may not "
	    "send %s events", peer->agent, peer->addr, seq,
	    lw_event_type_name(t));
	peer->rejected++;
	ctx->events_rejected++;
	store_skip(ctx->store, peer->stream, seq);
	return INGEST_OK;
}

enum ingest_result
ingest_event(struct ingest_ctx *ctx, struct ingest_peer *peer,
    const uint8_t *buf, size_t len, char *err, size_t errlen)
{
	struct lw_event *ev, fast;
	struct lw_event_scan sc;
	uint64_t seq, last;
	char why[256];
	const char *agent, *raw;

	if (!peer->authenticated) {
		snprintf(err, errlen, "EVENT before HELLO");
		return INGEST_CLOSE;
	}
	seq = proto_get_u64(buf);
	last = stream_last(peer->stream);
	if (seq == 0) {
		snprintf(err, errlen, "EVENT with sequence number 0");
		return INGEST_CLOSE;
	}
	if (seq <= last) {
		peer->duplicates++;
		return INGEST_OK;
	}
	if (seq > last + 1) {
		log_warnx("agent %s (%s): events %" PRIu64 "-%" PRIu64
		    " never arrived; recorded as a gap", peer->agent,
		    peer->addr, last + 1, seq - 1);
		store_gap(ctx->store, peer->stream, last + 1, seq - 1,
		    now_us());
	}
	/*
	 * The fast path: lib/event-scan.c checks the bytes against the
	 * schema without building a DOM. When it vouches for them and they
	 * carry the authenticated name, they are stored as sent (fast.obj
	 * stays NULL: store_event() reads only type and ts when given the
	 * bytes). Anything else - an invalid event, another name, a shape
	 * the scanner leaves to the reference - takes the DOM path below,
	 * which also words the error.
	 */
	raw = (const char *)buf + 8;
	if (lw_event_scan(raw, len - 8, &sc) == 0 && sc.agent != NULL &&
	    sc.agent_len == strlen(peer->agent) &&
	    memcmp(sc.agent, peer->agent, sc.agent_len) == 0) {
		if (!agent_may_send(sc.type))
			return refuse_type(ctx, peer, seq, sc.type);
		memset(&fast, 0, sizeof(fast));
		fast.type = sc.type;
		fast.ts_us = sc.ts_us;
		if (store_event(ctx->store, peer->stream, seq, &fast, raw,
		    len - 8, now_us()) != 0) {
			snprintf(err, errlen, "cannot store event %" PRIu64,
			    seq);
			return INGEST_CLOSE;
		}
		if (ctx->analytics != NULL)
			analytics_event(ctx->analytics, &fast, raw, len - 8);
		return INGEST_OK;
	}
	ev = lw_event_parse((const char *)buf + 8, len - 8, why, sizeof(why));
	if (ev == NULL) {
		log_warnx("agent %s (%s): event %" PRIu64 " dropped: %s",
		    peer->agent, peer->addr, seq, why);
		peer->rejected++;
		ctx->events_rejected++;
		store_skip(ctx->store, peer->stream, seq);
		return INGEST_OK;
	}
	if (!agent_may_send(ev->type)) {
		enum event_type t = ev->type;

		lw_event_free(ev);
		return refuse_type(ctx, peer, seq, t);
	}
	/*
	 * Agents put their own name in `agent`; when it is the authenticated
	 * one the validated bytes are stored as sent. Otherwise the name is
	 * replaced and the event re-encoded: the stored agent is always the
	 * authenticated one.
	 */
	agent = json_string_value(json_object_get(ev->obj, "agent"));
	raw = (const char *)buf + 8;
	if (agent == NULL || strcmp(agent, peer->agent) != 0) {
		lw_event_set_agent(ev, peer->agent);
		raw = NULL;
	}
	if (store_event(ctx->store, peer->stream, seq, ev, raw, len - 8,
	    now_us()) != 0) {
		lw_event_free(ev);
		snprintf(err, errlen, "cannot store event %" PRIu64, seq);
		return INGEST_CLOSE;
	}
	if (ctx->analytics != NULL)
		analytics_event(ctx->analytics, ev, NULL, 0);
	lw_event_free(ev);
	return INGEST_OK;
}

enum ingest_result
ingest_status(struct ingest_ctx *ctx, struct ingest_peer *peer,
    const uint8_t *buf, size_t len, char *err, size_t errlen)
{
	struct lw_event *ev;
	char why[256];
	int64_t now = now_us(), skew_ms;

	if (!peer->authenticated) {
		snprintf(err, errlen, "STATUS before HELLO");
		return INGEST_CLOSE;
	}
	ev = lw_event_parse((const char *)buf, len, why, sizeof(why));
	if (ev == NULL || ev->type != EVENT_AGENT_STATUS) {
		log_warnx("agent %s (%s): status dropped: %s", peer->agent,
		    peer->addr, ev ? "not an agent.status event" : why);
		lw_event_free(ev);
		return INGEST_OK;
	}
	lw_event_set_agent(ev, peer->agent);
	skew_ms = (ev->ts_us - now) / 1000;
	if (skew_ms > ctx->clock_skew || -skew_ms > ctx->clock_skew)
		log_warnx("agent %s (%s): clock is off by %" PRId64 " ms",
		    peer->agent, peer->addr, skew_ms);
	store_agent_status(ctx->store, peer->agent, ev, skew_ms, now);
	lw_event_free(ev);
	return INGEST_OK;
}

enum ingest_result
ingest_gap(struct ingest_ctx *ctx, struct ingest_peer *peer,
    const uint8_t *buf, size_t len, char *err, size_t errlen)
{
	uint64_t first, last;

	(void)len;
	if (!peer->authenticated) {
		snprintf(err, errlen, "GAP before HELLO");
		return INGEST_CLOSE;
	}
	first = proto_get_u64(buf);
	last = proto_get_u64(buf + 8);
	if (first == 0 || first > last) {
		snprintf(err, errlen, "GAP with an empty or reversed range");
		return INGEST_CLOSE;
	}
	if (last <= stream_last(peer->stream))
		return INGEST_OK;	/* a resend of a known gap */
	log_warnx("agent %s (%s): lost %" PRIu64 " events (%" PRIu64 "-%"
	    PRIu64 ") to its full spool", peer->agent, peer->addr,
	    last - first + 1, first, last);
	if (store_gap(ctx->store, peer->stream, first, last, now_us()) != 0) {
		snprintf(err, errlen, "cannot store gap");
		return INGEST_CLOSE;
	}
	return INGEST_OK;
}

/*
 * Scores one replayed event. When the analytics cannot (a day it ended
 * could not be closed: out of memory, detect.c), the replay stops: its
 * alerts would no longer be those of its events. Live, the scorer keeps
 * the day open and tries again instead.
 */
static int
replay_score(struct ingest_ctx *ctx, const struct lw_event *ev,
    const char *path, uint64_t lineno)
{
	if (ctx->analytics == NULL ||
	    analytics_event(ctx->analytics, ev, NULL, 0) == 0)
		return 0;
	log_warnx("%s:%" PRIu64 ": the analytics failed; replay stopped", path,
	    lineno);
	return -1;
}

/*
 * --replay: events from a JSON Lines file go through the same validation
 * and store as live ones. A fresh random instance per run means a replay
 * is never mistaken for duplicates of an earlier one; the agent recorded
 * is the event's own `agent` (there is no connection to take it from).
 */
int
ingest_replay(struct ingest_ctx *ctx, const char *path, uint64_t *stored,
    uint64_t *rejected)
{
	FILE *f;
	char *line = NULL, why[256], instance[PROTO_INSTANCE_LEN + 1];
	uint8_t rnd[PROTO_INSTANCE_LEN / 2];
	size_t cap = 0;
	ssize_t n;
	uint64_t lineno = 0;
	struct lw_event *ev, fast;
	struct lw_event_view view;
	struct stream *st;
	const char *agent;
	int rc, failed = 0;

	memset(&view, 0, sizeof(view));
	if (strcmp(path, "-") == 0)
		f = stdin;
	else if ((f = fopen(path, "r")) == NULL) {
		log_warn("%s", path);
		return -1;
	}
	if (random_bytes(rnd, sizeof(rnd)) != 0)
		fatalx("no randomness");
	hex_encode(rnd, sizeof(rnd), instance);
	while ((n = getline(&line, &cap, f)) != -1) {
		lineno++;
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = '\0';
		if (n == 0)
			continue;
		/* The fast path, as live: validated bytes, no DOM. */
		memset(&fast, 0, sizeof(fast));
		if (lw_event_view_init(&view, &fast, line, (size_t)n) == 0) {
			agent = lw_event_str(&fast, "agent");
			if (agent == NULL || !proto_valid_agent_name(agent))
				agent = "replay";
			st = store_stream(ctx->store, agent, instance);
			if (store_event(ctx->store, st, stream_last(st) + 1,
			    &fast, line, (size_t)n, now_us()) != 0)
				break;
			(*stored)++;
			if ((failed = replay_score(ctx, &fast, path,
			    lineno)) != 0)
				break;
			if (store_pending(ctx->store) >= 10000)
				store_commit(ctx->store);
			continue;
		}
		if ((ev = lw_event_parse(line, (size_t)n, why,
		    sizeof(why))) == NULL) {
			log_warnx("%s:%" PRIu64 ": %s", path, lineno, why);
			(*rejected)++;
			continue;
		}
		agent = json_string_value(json_object_get(ev->obj, "agent"));
		if (agent == NULL || !proto_valid_agent_name(agent))
			agent = "replay";
		st = store_stream(ctx->store, agent, instance);
		if (store_event(ctx->store, st, stream_last(st) + 1, ev,
		    NULL, 0, now_us()) != 0) {
			lw_event_free(ev);
			break;
		}
		(*stored)++;
		failed = replay_score(ctx, ev, path, lineno);
		lw_event_free(ev);
		if (failed)
			break;
		if (store_pending(ctx->store) >= 10000)
			store_commit(ctx->store);
	}
	free(line);
	if (f != stdin)
		fclose(f);
	rc = store_commit(ctx->store);
	lw_event_view_clear(&view);
	return failed ? -1 : rc;
}
