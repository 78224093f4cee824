/*
 * The rules language, parser side (docs/rules.md is the reference).
 * A rules file holds rules:
 *
 *	rule bulk_read_spike {
 *		on day
 *		when baseline(rows.customer_pii, day) > 6 and
 *		    value(rows.customer_pii, day) >= 1000
 *		severity high
 *		score 60 + 4 * baseline(rows.customer_pii, day)
 *		summary "read {value(rows.customer_pii, day)} customer rows"
 *		suppress 24h
 *	}
 *
 * A hand-written recursive-descent parser (the grammar is small and the
 * error messages matter more than a generator would give): every token
 * carries its line and column, and the first error ends the load with
 * "file:line:column: message". A loaded rule is checked as a whole -
 * event fields only in event rules, aggregates only over events, known
 * features and functions - so a mistake is found at load (and by -t),
 * never at three in the morning. The tokens come from rules-lex.c; the
 * evaluator is rules-eval.c.
 */
#include <sys/types.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analytics.h"
#include "leakwatch/event.h"
#include "leakwatch/xmalloc.h"
#include "rules-lex.h"

#define DEPTH_MAX	64	/* expression nesting */
#define HEIGHT_MAX	128	/* levels of an expression tree */
#define RULES_MAX	1024

static const struct {
	const char	*name;
	int		 fn;
} fns[] = {
	{ "value", FN_VALUE }, { "baseline", FN_BASELINE },
	{ "peer_z", FN_PEER_Z }, { "ratio", FN_RATIO },
	{ "median", FN_MEDIAN }, { "peer", FN_PEER },
	{ "peer_ratio", FN_PEER_RATIO }, { "cusum", FN_CUSUM },
	{ "cum30", FN_CUM30 }, { "peer_cum30", FN_PEER_CUM30 },
	{ "cum30_ratio", FN_CUM30_RATIO }, { "converged", FN_CONVERGED },
	{ "first_seen", FN_FIRST_SEEN }, { "day_score", FN_DAY_SCORE },
	{ "risk", FN_RISK }, { "count", FN_COUNT }, { "sum", FN_SUM },
	{ "distinct", FN_DISTINCT }, { "max", FN_MAX }, { "min", FN_MIN },
	{ "team", FN_TEAM }, { "streak", FN_STREAK },
	{ "streak_days", FN_STREAK_DAYS },
	{ "team_usual", FN_TEAM_USUAL }, { "team_ratio", FN_TEAM_RATIO },
	{ "team_z", FN_TEAM_Z },
	{ "peer_rank", FN_PEER_RANK }, { "peer_n", FN_PEER_N },
	{ "peer_pct", FN_PEER_PCT }, { "peer_mratio", FN_PEER_MRATIO },
	{ "peer_rz", FN_PEER_RZ }, { "peer_median", FN_PEER_MEDIAN },
	{ "peer_group", FN_PEER_GROUP }, { "peer_days", FN_PEER_DAYS },
	{ "peer_routine", FN_PEER_ROUTINE }, { "days_seen", FN_DAYS_SEEN },
	{ "mix", FN_MIX }, { "mix_median", FN_MIX_MEDIAN },
	{ "mix_rz", FN_MIX_RZ }, { "mix_rank", FN_MIX_RANK },
	{ "mix_n", FN_MIX_N }, { "mix_rows", FN_MIX_ROWS },
	{ "mix_group", FN_MIX_GROUP }, { "alerted", FN_ALERTED },
	{ "own_max", FN_OWN_MAX }, { "if", FN_IF },
	{ "peer_chance", FN_PEER_CHANCE }, { "day_score_parts", FN_DAY_PARTS },
	{ "trend", FN_TREND }, { "trend_median", FN_TREND_MEDIAN },
	{ "trend_rz", FN_TREND_RZ }, { "trend_n", FN_TREND_N },
	{ "trend_group", FN_TREND_GROUP }, { "trend_days", FN_TREND_DAYS },
	{ NULL, 0 }
};

/*
 * The names of the fields a rule may name besides the event's own, by
 * their number: up to RF_HOLIDAY every rule sees them (the employee and
 * the bucket's time), from RF_TYPE on only event rules do.
 */
static const char *const field_names[RF_EVENT] = {
	[RF_EMPLOYEE] = "employee",
	[RF_NAME] = "name",
	[RF_DEPARTMENT] = "department",
	[RF_ROLE] = "role",
	[RF_GROUP] = "group",
	[RF_SERVICE] = "service",
	[RF_KNOWN] = "known",
	[RF_LEAVER] = "leaver",
	[RF_DAYS_TO_LEAVE] = "days_to_leave",
	[RF_LEAVE_WHEN] = "leave_when",
	[RF_HOUR] = "hour",
	[RF_WEEKDAY] = "weekday",
	[RF_WEEKEND] = "weekend",
	[RF_HOLIDAY] = "holiday",
	[RF_TYPE] = "type",
	[RF_ROWS_READ] = "rows_read",
	[RF_ROWS_SENSITIVE] = "rows_sensitive",
	[RF_MAX_ROWS] = "max_rows",
	[RF_COUNT] = "count",
	[RF_SENSITIVE] = "sensitive",
	[RF_CLASS] = "class",
	[RF_OUT_BYTES] = "out_bytes",
	[RF_EXFIL] = "exfil",
	[RF_OFFHOURS] = "offhours",
	[RF_MISMATCH] = "mismatch",
	[RF_END_USER_CLAIM] = "end_user_claim",
	[RF_VIA] = "via",
	[RF_IP_OWNER] = "ip_owner",
	[RF_DB_USER_OWNER] = "db_user_owner",
	[RF_END_USER_OWNER] = "end_user_owner",
	[RF_FIRST_TABLE] = "first_table",
	[RF_FIRST_DESTINATION] = "first_destination",
	[RF_FIRST_HOST] = "first_host",
	[RF_SHARED] = "shared",
	[RF_RARE] = "rare"
};

static const char *const clause_words[] = {
	"on", "when", "then", "within", "severity", "score", "summary",
	"suppress", "attribute", "rule", NULL
};

static struct rnode *
node(struct parser *p, enum rnode_kind k)
{
	struct rnode *n = xcalloc(1, sizeof(*n));

	n->kind = k;
	n->line = p->tline;
	n->col = p->tcol;
	n->feature = -1;
	n->field = RF_EVENT;
	n->height = 1;
	return n;
}

/*
 * Sets a node's height from its children's. The evaluator and
 * rnode_free() recurse as deep as a tree is tall, so a tree taller than
 * HEIGHT_MAX (a chain of thousands of '+' or '-') is a parse error at
 * the node that makes it so, not a stack overflow when the rule runs.
 */
static int
seal(struct parser *p, struct rnode *n)
{
	int h = 0, i;

	if (n->a != NULL && n->a->height > h)
		h = n->a->height;
	if (n->b != NULL && n->b->height > h)
		h = n->b->height;
	if (n->where != NULL && n->where->height > h)
		h = n->where->height;
	for (i = 0; i < n->nlist; i++)
		if (n->list[i]->height > h)
			h = n->list[i]->height;
	n->height = h + 1;
	if (n->height <= HEIGHT_MAX)
		return 0;
	rlex_err(p, n->line, n->col, "expression nested too deeply (more than "
	    "%d levels)", HEIGHT_MAX);
	return -1;
}

/* Recursion of the parser itself, bounded like parentheses. */
static int
descend(struct parser *p)
{
	if (++p->depth <= DEPTH_MAX)
		return 0;
	rlex_err(p, p->tline, p->tcol, "expression nested too deeply");
	p->depth--;
	return -1;
}

void
rnode_free(struct rnode *n)
{
	int i;

	if (n == NULL)
		return;
	rnode_free(n->a);
	rnode_free(n->b);
	rnode_free(n->where);
	for (i = 0; i < n->nlist; i++)
		rnode_free(n->list[i]);
	free(n->list);
	free(n->str);
	free(n->text);
	free(n);
}

static struct rnode *parse_expr(struct parser *);

/* Fails with "expected WHAT, found ..." unless the token is a t. */
static int
want(struct parser *p, int t, const char *what)
{
	if (p->t == t)
		return 0;
	rlex_err(p, p->tline, p->tcol, "expected %s, found %s", what, rlex_desc(p));
	return -1;
}

/* want(), then past the token. */
static int
expect(struct parser *p, int t, const char *what)
{
	if (want(p, t, what) != 0)
		return -1;
	rlex_next(p);
	return 0;
}

/* Which of a NULL-terminated list of words the token is, or -1. */
static int
word_index(const struct parser *p, const char *const *words)
{
	int i;

	for (i = 0; p->t == T_IDENT && words[i] != NULL; i++)
		if (strcmp(p->text, words[i]) == 0)
			return i;
	return -1;
}

/* word_index(), failing with "expected WHAT, found ..."; p stays. */
static int
choice(struct parser *p, const char *const *words, const char *what)
{
	int i;

	if ((i = word_index(p, words)) < 0)
		rlex_err(p, p->tline, p->tcol, "expected %s, found %s", what,
		    rlex_desc(p));
	return i;
}

static int
feature_arg(struct parser *p, struct rnode *n)
{
	if (want(p, T_IDENT, "a feature name") != 0)
		return -1;
	if ((n->feature = feature_lookup(p->sens, p->text)) < 0) {
		rlex_err(p, p->tline, p->tcol, "unknown feature '%s' (rows, "
		    "rows.sensitive, rows.CLASS, queries, tables, result_bytes, "
		    "out.CATEGORY, out.exfil, offhours.rows, offhours.out)",
		    p->text);
		return -1;
	}
	rlex_next(p);
	return 0;
}

/*
 * The window of an aggregate and its optional `where`; registers the
 * aggregate with the rule (its state lives per employee, rules-eval.c).
 */
static int
parse_window(struct parser *p, struct rnode *n)
{
	if (want(p, T_DUR, "a time window such as 1h") != 0)
		return -1;
	n->window_us = p->dur_us;
	if (n->window_us < 1000000 || n->window_us > 90LL * 86400 * 1000000) {
		rlex_err(p, p->tline, p->tcol, "window must be 1s to 90d");
		return -1;
	}
	rlex_next(p);
	if (rlex_is(p, "where")) {
		rlex_next(p);
		if ((n->where = parse_expr(p)) == NULL)
			return -1;
	}
	n->agg = p->rule->naggs;
	p->rule->aggs = xreallocarray(p->rule->aggs, (size_t)p->rule->naggs +
	    1, sizeof(*p->rule->aggs));
	p->rule->aggs[p->rule->naggs++] = n;
	return 0;
}

/*
 * The window of a peer standing function, after its feature: ", 1d",
 * ", 7d" or ", 30d" (1d when left out), as an index into n->what.
 */
static int
stand_window_arg(struct parser *p, struct rnode *n)
{
	n->what = 0;
	if (p->t != T_COMMA)
		return 0;
	rlex_next(p);
	if (want(p, T_DUR, "a window of 1d, 7d or 30d") != 0)
		return -1;
	if (p->dur_us == 7 * DAY_US)
		n->what = 1;
	else if (p->dur_us == 30 * DAY_US)
		n->what = 2;
	else if (p->dur_us != DAY_US) {
		rlex_err(p, p->tline, p->tcol, "the window must be 1d, 7d or 30d");
		return -1;
	}
	rlex_next(p);
	return 0;
}

/*
 * The arguments of a mix function: "share", "rpq" or "top", then ", 7d" or
 * ", 30d" (n->feature: the mix, n->what: the window).
 */
static int
mix_args(struct parser *p, struct rnode *n)
{
	static const char *const mixes[] = { "share", "rpq", "top", NULL };

	/* enum mix_kind order */
	if ((n->feature = choice(p, mixes, "share, rpq or top")) < 0)
		return -1;
	rlex_next(p);
	if (expect(p, T_COMMA, "','") != 0 ||
	    want(p, T_DUR, "a window of 7d or 30d") != 0)
		return -1;
	if (p->dur_us != 7 * DAY_US && p->dur_us != 30 * DAY_US) {
		rlex_err(p, p->tline, p->tcol, "the window must be 7d or 30d");
		return -1;
	}
	n->what = p->dur_us == 7 * DAY_US ? 0 : 1;
	rlex_next(p);
	return 0;
}

/* peer_days(F, N), trend_days(F, N): N active days, 1 to 32. */
static int
days_arg(struct parser *p, struct rnode *n)
{
	if (expect(p, T_COMMA, "','") != 0)
		return -1;
	if (want(p, T_NUM, "a number of days") != 0)
		return -1;
	if (p->num < 1 || p->num > 32 || p->num != floor(p->num)) {
		rlex_err(p, p->tline, p->tcol, "the number of days must be a whole "
		    "number from 1 to 32");
		return -1;
	}
	n->what = (int)p->num;
	rlex_next(p);
	return 0;
}

/* The arguments of a call, after its '('; leaves p after the ')'. */
static int
parse_call_args(struct parser *p, struct rnode *n)
{
	static const char *const periods[] = { "hour", "day", NULL };
	static const char *const seen[] = {
		"table", "destination", "host", NULL
	};

	switch (n->fn) {
	case FN_VALUE: case FN_BASELINE: case FN_PEER_Z: case FN_RATIO:
	case FN_MEDIAN: case FN_PEER: case FN_PEER_RATIO: case FN_TEAM:
		if (feature_arg(p, n) != 0)
			return -1;
		n->period = PER_DAY;
		if (p->t == T_COMMA) {
			rlex_next(p);
			/* enum period order */
			if ((n->period = choice(p, periods, "hour or day")) < 0)
				return -1;
			rlex_next(p);
		}
		break;
	case FN_CUSUM: case FN_CUM30: case FN_PEER_CUM30: case FN_CUM30_RATIO:
	case FN_CONVERGED: case FN_STREAK: case FN_STREAK_DAYS:
	case FN_TEAM_USUAL: case FN_TEAM_RATIO: case FN_TEAM_Z:
	case FN_PEER_ROUTINE: case FN_OWN_MAX: case FN_TREND:
	case FN_TREND_MEDIAN: case FN_TREND_RZ: case FN_TREND_N:
	case FN_TREND_GROUP:
		if (feature_arg(p, n) != 0)
			return -1;
		break;
	case FN_PEER_RANK: case FN_PEER_N: case FN_PEER_PCT:
	case FN_PEER_MRATIO: case FN_PEER_RZ: case FN_PEER_MEDIAN:
	case FN_PEER_GROUP: case FN_PEER_CHANCE:
		if (feature_arg(p, n) != 0 || stand_window_arg(p, n) != 0)
			return -1;
		break;
	case FN_PEER_DAYS: case FN_TREND_DAYS:
		if (feature_arg(p, n) != 0 || days_arg(p, n) != 0)
			return -1;
		break;
	case FN_MIX: case FN_MIX_MEDIAN: case FN_MIX_RZ: case FN_MIX_RANK:
	case FN_MIX_N: case FN_MIX_ROWS: case FN_MIX_GROUP:
		if (mix_args(p, n) != 0)
			return -1;
		break;
	case FN_FIRST_SEEN:
		n->what = choice(p, seen, "table, destination or host");
		if (n->what < 0)
			return -1;
		rlex_next(p);
		break;
	case FN_DAY_SCORE: case FN_RISK: case FN_DAYS_SEEN: case FN_ALERTED:
	case FN_DAY_PARTS:
		break;
	case FN_MAX: case FN_MIN:
		if ((n->a = parse_expr(p)) == NULL || expect(p, T_COMMA,
		    "','") != 0 || (n->b = parse_expr(p)) == NULL)
			return -1;
		break;
	case FN_IF:
		if ((n->where = parse_expr(p)) == NULL || expect(p, T_COMMA,
		    "','") != 0 || (n->a = parse_expr(p)) == NULL ||
		    expect(p, T_COMMA, "','") != 0 ||
		    (n->b = parse_expr(p)) == NULL)
			return -1;
		break;
	case FN_SUM: case FN_DISTINCT:
		if ((n->a = parse_expr(p)) == NULL || expect(p, T_COMMA,
		    "','") != 0 || parse_window(p, n) != 0)
			return -1;
		break;
	case FN_COUNT:
		if (parse_window(p, n) != 0)
			return -1;
		break;
	}
	if (want(p, T_RPAREN, "')'") != 0)
		return -1;
	n->text = xstrndup(p->buf + n->num_start, p->tend - n->num_start);
	rlex_next(p);
	return 0;
}

static void
add_call(struct parser *p, struct rnode *n)
{
	int i;

	for (i = 0; i < p->rule->ncalls; i++)
		if (strcmp(p->rule->calls[i]->text, n->text) == 0)
			return;
	p->rule->calls = xreallocarray(p->rule->calls,
	    (size_t)p->rule->ncalls + 1, sizeof(*p->rule->calls));
	p->rule->calls[p->rule->ncalls++] = n;
}

static struct rnode *
parse_primary(struct parser *p)
{
	struct rnode *n;
	size_t start;
	int i;

	switch (p->t) {
	case T_NUM:
		n = node(p, RN_NUM);
		n->num = p->num;
		rlex_next(p);
		return n;
	case T_DUR:
		n = node(p, RN_NUM);
		n->num = (double)p->dur_us / 1e6;	/* seconds */
		rlex_next(p);
		return n;
	case T_STR:
		n = node(p, RN_STR);
		n->str = xstrdup(p->text);
		rlex_next(p);
		return n;
	case T_LPAREN:
		rlex_next(p);
		if ((n = parse_expr(p)) == NULL)
			return NULL;
		if (expect(p, T_RPAREN, "')'") != 0) {
			rnode_free(n);
			return NULL;
		}
		return n;
	case T_IDENT:
		break;
	default:
		rlex_err(p, p->tline, p->tcol, "expected an expression, found %s",
		    rlex_desc(p));
		return NULL;
	}
	for (i = 0; clause_words[i] != NULL; i++)
		if (strcmp(p->text, clause_words[i]) == 0) {
			rlex_err(p, p->tline, p->tcol, "expected an expression, "
			    "found '%s'", p->text);
			return NULL;
		}
	if (strcmp(p->text, "true") == 0 || strcmp(p->text, "false") == 0) {
		n = node(p, RN_NUM);
		n->num = p->text[0] == 't';
		rlex_next(p);
		return n;
	}
	start = p->tstart;
	n = node(p, RN_FIELD);
	n->str = xstrdup(p->text);
	rlex_next(p);
	if (p->t == T_LPAREN) {
		for (i = 0; fns[i].name != NULL; i++)
			if (strcmp(fns[i].name, n->str) == 0)
				break;
		if (fns[i].name == NULL) {
			rlex_err(p, n->line, n->col, "unknown function '%s'",
			    n->str);
			rnode_free(n);
			return NULL;
		}
		n->kind = RN_CALL;
		n->fn = fns[i].fn;
		n->num_start = start;
		rlex_next(p);
		if (parse_call_args(p, n) != 0 || seal(p, n) != 0) {
			/* the rule is dropped: its lists only borrow nodes */
			rnode_free(n);
			return NULL;
		}
		if (n->fn != FN_MAX && n->fn != FN_MIN && n->fn != FN_IF)
			add_call(p, n);
		return n;
	}
	if ((n->feature = feature_lookup(p->sens, n->str)) >= 0) {
		n->kind = RN_FEATURE;
		n->text = xstrdup(n->str);
		add_call(p, n);
	}
	return n;
}

/* A prefix operator (unary minus, not) of kind k over what self parses. */
static struct rnode *
prefix(struct parser *p, enum rnode_kind k,
    struct rnode *(*self)(struct parser *))
{
	struct rnode *n, *a;

	if (descend(p) != 0)
		return NULL;
	n = node(p, k);
	rlex_next(p);
	a = self(p);
	p->depth--;
	if (a == NULL) {
		free(n);
		return NULL;
	}
	n->a = a;
	if (seal(p, n) != 0) {
		rnode_free(n);
		return NULL;
	}
	return n;
}

static struct rnode *
parse_unary(struct parser *p)
{
	if (p->t == T_MINUS)
		return prefix(p, RN_NEG, parse_unary);
	return parse_primary(p);
}

static struct rnode *
binary(struct parser *p, int op, struct rnode *a, struct rnode *b, int line,
    int col)
{
	struct rnode *n = node(p, RN_BIN);

	n->op = op;
	n->a = a;
	n->b = b;
	n->line = line;
	n->col = col;
	if (seal(p, n) != 0) {
		rnode_free(n);	/* and a, b */
		return NULL;
	}
	return n;
}

/*
 * One left-associative level of the grammar: operands from sub, joined
 * while op_of() names an operator (-1 when the token is not one).
 */
static struct rnode *
left_assoc(struct parser *p, struct rnode *(*sub)(struct parser *),
    int (*op_of)(const struct parser *))
{
	struct rnode *a, *b;
	int op, l, c;

	if ((a = sub(p)) == NULL)
		return NULL;
	while ((op = op_of(p)) != -1) {
		l = p->tline;
		c = p->tcol;
		rlex_next(p);
		if ((b = sub(p)) == NULL) {
			rnode_free(a);
			return NULL;
		}
		if ((a = binary(p, op, a, b, l, c)) == NULL)
			return NULL;
	}
	return a;
}

static int
mul_op(const struct parser *p)
{
	return p->t == T_STAR ? OP_MUL : p->t == T_SLASH ? OP_DIV : -1;
}

static int
add_op(const struct parser *p)
{
	return p->t == T_PLUS ? OP_ADD : p->t == T_MINUS ? OP_SUB : -1;
}

static int
and_op(const struct parser *p)
{
	return rlex_is(p, "and") ? OP_AND : -1;
}

static int
or_op(const struct parser *p)
{
	return rlex_is(p, "or") ? OP_OR : -1;
}

static struct rnode *
parse_mul(struct parser *p)
{
	return left_assoc(p, parse_unary, mul_op);
}

static struct rnode *
parse_add(struct parser *p)
{
	return left_assoc(p, parse_mul, add_op);
}

static struct rnode *
parse_cmp(struct parser *p)
{
	struct rnode *a, *b, *e;
	int op, l, c;

	if ((a = parse_add(p)) == NULL)
		return NULL;
	switch (p->t) {
	case T_EQ: op = OP_EQ; break;
	case T_NE: op = OP_NE; break;
	case T_LT: op = OP_LT; break;
	case T_LE: op = OP_LE; break;
	case T_GT: op = OP_GT; break;
	case T_GE: op = OP_GE; break;
	case T_MATCH: op = OP_MATCH; break;
	case T_NMATCH: op = OP_NMATCH; break;
	default:
		if (!rlex_is(p, "in"))
			return a;
		op = OP_IN;
		break;
	}
	l = p->tline;
	c = p->tcol;
	rlex_next(p);
	if (op != OP_IN) {
		if ((b = parse_add(p)) == NULL) {
			rnode_free(a);
			return NULL;
		}
		return binary(p, op, a, b, l, c);
	}
	b = node(p, RN_LIST);
	if (expect(p, T_LPAREN, "'(' after in") != 0)
		goto fail;
	for (;;) {
		if ((e = parse_add(p)) == NULL)
			goto fail;
		b->list = xreallocarray(b->list, (size_t)b->nlist + 1,
		    sizeof(*b->list));
		b->list[b->nlist++] = e;
		if (p->t == T_COMMA) {
			rlex_next(p);
			continue;
		}
		if (expect(p, T_RPAREN, "',' or ')'") != 0)
			goto fail;
		break;
	}
	if (seal(p, b) != 0)
		goto fail;
	return binary(p, op, a, b, l, c);
fail:
	rnode_free(a);
	rnode_free(b);
	return NULL;
}

static struct rnode *
parse_not(struct parser *p)
{
	if (rlex_is(p, "not"))
		return prefix(p, RN_NOT, parse_not);
	return parse_cmp(p);
}

static struct rnode *
parse_and(struct parser *p)
{
	return left_assoc(p, parse_not, and_op);
}

static struct rnode *
parse_expr(struct parser *p)
{
	struct rnode *a;

	if (++p->depth > DEPTH_MAX) {
		rlex_err(p, p->tline, p->tcol, "expression nested too deeply");
		p->depth--;
		return NULL;
	}
	a = left_assoc(p, parse_and, or_op);
	p->depth--;
	return a;
}

static int
is_event_field(const char *s)
{
	static const enum event_type types[] = {
		EVENT_DB_QUERY, EVENT_DB_SESSION, EVENT_NET_FLOW
	};
	const struct event_field *f;
	size_t i;

	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		for (f = lw_event_fields(types[i]); f->name != NULL; f++)
			if (strcmp(f->name, s) == 0)
				return 1;
	return 0;
}

/*
 * Names the field of an RN_FIELD node by its number (n->field), so the
 * evaluator compares no strings; fails on a name no rule knows and on an
 * event field in an hour or day rule.
 */
static int
resolve_field(struct parser *p, struct rnode *n)
{
	int i;

	n->field = RF_EVENT;
	for (i = 0; i < RF_EVENT; i++)
		if (field_names[i] != NULL && strcmp(field_names[i],
		    n->str) == 0) {
			n->field = i;
			break;
		}
	if (n->field < RF_TYPE)
		return 0;
	if (n->field == RF_EVENT && !is_event_field(n->str)) {
		rlex_err(p, n->line, n->col, "unknown field '%s'", n->str);
		return -1;
	}
	if (p->rule->on != ON_EVENT) {
		rlex_err(p, n->line, n->col, "field '%s' is an event field: "
		    "only in 'on event' rules", n->str);
		return -1;
	}
	return 0;
}

/* Checks a tree against the kind of its rule; in_agg: inside count() &c. */
static int
check(struct parser *p, struct rnode *n, int in_agg)
{
	int i;

	if (n == NULL)
		return 0;
	/* in event rules an event field wins over a feature of that name */
	if (n->kind == RN_FEATURE && p->rule->on == ON_EVENT &&
	    is_event_field(n->str))
		n->kind = RN_FIELD;
	if (n->kind == RN_FIELD && resolve_field(p, n) != 0)
		return -1;
	if (n->kind == RN_CALL && (n->fn == FN_COUNT || n->fn == FN_SUM ||
	    n->fn == FN_DISTINCT)) {
		if (p->rule->on != ON_EVENT) {
			rlex_err(p, n->line, n->col, "aggregates (count, sum, "
			    "distinct) are only for 'on event' rules");
			return -1;
		}
		if (in_agg) {
			rlex_err(p, n->line, n->col, "an aggregate inside an "
			    "aggregate");
			return -1;
		}
		in_agg = 1;
	}
	if (check(p, n->a, in_agg) != 0 || check(p, n->b, in_agg) != 0 ||
	    check(p, n->where, in_agg) != 0)
		return -1;
	for (i = 0; i < n->nlist; i++)
		if (check(p, n->list[i], in_agg) != 0)
			return -1;
	return 0;
}

/*
 * The summary template: text with {expression} or {expression | bytes}
 * holes; "{{" is a literal brace. Positions of errors inside a hole are
 * reported at their column in the file.
 */
static int
parse_template(struct parser *p, const char *s, int line, int col)
{
	struct rule *r = p->rule;
	struct parser sub;
	const char *q = s, *close, *bar;
	char lit[TOK_MAX + 1];
	size_t nl = 0, inner;
	struct tpl_part *tp;

	while (*q != '\0') {
		if (q[0] == '{' && q[1] == '{') {
			lit[nl++] = '{';
			q += 2;
			continue;
		}
		if (q[0] == '}' && q[1] == '}') {
			lit[nl++] = '}';
			q += 2;
			continue;
		}
		if (*q != '{') {
			lit[nl++] = *q++;
			continue;
		}
		if ((close = strchr(q, '}')) == NULL) {
			rlex_err(p, line, col + 1 + (int)(q - s), "'{' without "
			    "'}' in the summary");
			return -1;
		}
		if (nl > 0) {
			r->summary = xreallocarray(r->summary,
			    (size_t)r->nsummary + 1, sizeof(*r->summary));
			tp = &r->summary[r->nsummary++];
			memset(tp, 0, sizeof(*tp));
			tp->lit = xstrndup(lit, nl);
			nl = 0;
		}
		r->summary = xreallocarray(r->summary, (size_t)r->nsummary + 1,
		    sizeof(*r->summary));
		tp = &r->summary[r->nsummary++];
		memset(tp, 0, sizeof(*tp));
		inner = (size_t)(close - q - 1);
		bar = memchr(q + 1, '|', inner);
		if (bar != NULL) {
			char fmt[32];
			size_t fl = (size_t)(close - bar - 1), i, j = 0;

			for (i = 0; i < fl && j < sizeof(fmt) - 1; i++)
				if (!isspace((unsigned char)bar[1 + i]))
					fmt[j++] = bar[1 + i];
			fmt[j] = '\0';
			if (strcmp(fmt, "bytes") == 0)
				tp->fmt = 1;
			else if (strcmp(fmt, "int") == 0)
				tp->fmt = 2;
			else {
				rlex_err(p, line, col + 1 + (int)(bar - s) + 1,
				    "unknown format '%s' (bytes, int)", fmt);
				return -1;
			}
			inner = (size_t)(bar - q - 1);
		}
		memset(&sub, 0, sizeof(sub));
		sub.name = p->name;
		sub.buf = q + 1;
		sub.len = inner;
		sub.line = line;
		sub.col = col + 1 + (int)(q + 1 - s);
		sub.sens = p->sens;
		sub.rule = r;
		sub.err = p->err;
		sub.errlen = p->errlen;
		rlex_next(&sub);
		if (!sub.failed) {
			tp->expr = parse_expr(&sub);
			if (!sub.failed && sub.t != T_EOF)
				rlex_err(&sub, sub.tline, sub.tcol, "unexpected %s "
				    "in a summary hole", rlex_desc(&sub));
		}
		if (sub.failed) {
			p->failed = 1;
			return -1;
		}
		q = close + 1;
		if (nl >= TOK_MAX)
			break;
	}
	if (nl > 0) {
		r->summary = xreallocarray(r->summary, (size_t)r->nsummary + 1,
		    sizeof(*r->summary));
		tp = &r->summary[r->nsummary++];
		memset(tp, 0, sizeof(*tp));
		tp->lit = xstrndup(lit, nl);
	}
	return 0;
}

void
rule_free(struct rule *r)
{
	int i;

	if (r == NULL)
		return;
	free(r->name);
	free(r->file);
	rnode_free(r->when);
	rnode_free(r->then);
	rnode_free(r->score);
	free(r->severity);
	for (i = 0; i < r->nsummary; i++) {
		free(r->summary[i].lit);
		rnode_free(r->summary[i].expr);
	}
	free(r->summary);
	free(r->aggs);
	free(r->calls);
	free(r);
}

static int
valid_rule_name(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0 || n > 64 || !islower((unsigned char)s[0]))
		return 0;
	for (i = 0; i < n; i++)
		if (!islower((unsigned char)s[i]) &&
		    !isdigit((unsigned char)s[i]) && s[i] != '_')
			return 0;
	return 1;
}

/* One clause of a rule; p is at its keyword. */
static int
parse_clause(struct parser *p, struct rule *r)
{
	static const char *const kinds[] = {	/* enum rule_on order */
		"event", "hour", "day", NULL
	};
	static const char *const owners[] = {
		"ip_owner", "db_user_owner", "end_user_owner", NULL
	};
	int line = p->tline, col = p->tcol, i;
	char kw[32];
	enum event_type et;

	if (p->t == T_SEMI) {
		rlex_next(p);
		return 0;
	}
	if (p->t != T_IDENT) {
		rlex_err(p, line, col, "expected a clause (on, when, then, "
		    "severity, score, summary, suppress, attribute) or '}', "
		    "found %s", rlex_desc(p));
		return -1;
	}
	/* a keyword is short; a longer word is no keyword anyway */
	{
		size_t kl = strlen(p->text);

		if (kl >= sizeof(kw))
			kl = sizeof(kw) - 1;
		memcpy(kw, p->text, kl);
		kw[kl] = '\0';
	}
	rlex_next(p);
#define ONCE(cond) do {							\
	if (cond) {							\
		rlex_err(p, line, col, "'%s' given twice", kw);		\
		return -1;						\
	}								\
} while (0)
	if (strcmp(kw, "on") == 0) {
		if ((r->on = choice(p, kinds, "event, hour or day after "
		    "'on'")) < 0)
			return -1;
		rlex_next(p);
		if (r->on == ON_EVENT && p->t == T_IDENT &&
		    lw_event_type_lookup(p->text, &et) == 0) {
			if (et != EVENT_DB_QUERY && et != EVENT_DB_SESSION &&
			    et != EVENT_NET_FLOW) {
				rlex_err(p, p->tline, p->tcol, "rules see "
				    "db.query, db.session and net.flow events "
				    "only");
				return -1;
			}
			r->evtype = (int)et;
			rlex_next(p);
		}
		return 0;
	}
	if (strcmp(kw, "when") == 0) {
		ONCE(r->when != NULL);
		return (r->when = parse_expr(p)) == NULL ? -1 : 0;
	}
	if (strcmp(kw, "then") == 0) {
		ONCE(r->then != NULL);
		if ((r->then = parse_expr(p)) == NULL)
			return -1;
		if (!rlex_is(p, "within")) {
			rlex_err(p, p->tline, p->tcol, "expected 'within DURATION' "
			    "after the 'then' condition");
			return -1;
		}
		rlex_next(p);
		if (want(p, T_DUR, "a duration such as 6h") != 0)
			return -1;
		r->within_us = p->dur_us;
		rlex_next(p);
		return 0;
	}
	if (strcmp(kw, "severity") == 0) {
		ONCE(r->severity != NULL);
		if (!rlex_is(p, "low") && !rlex_is(p, "medium") &&
		    !rlex_is(p, "high") && !rlex_is(p, "critical")) {
			rlex_err(p, p->tline, p->tcol, "severity is low, medium, "
			    "high or critical, not %s", rlex_desc(p));
			return -1;
		}
		r->severity = xstrdup(p->text);
		rlex_next(p);
		return 0;
	}
	if (strcmp(kw, "score") == 0) {
		ONCE(r->score != NULL);
		return (r->score = parse_expr(p)) == NULL ? -1 : 0;
	}
	if (strcmp(kw, "summary") == 0) {
		char s[TOK_MAX + 1];
		int sl = p->tline, sc = p->tcol;

		ONCE(r->nsummary > 0);
		if (want(p, T_STR, "a string after summary") != 0)
			return -1;
		snprintf(s, sizeof(s), "%s", p->text);
		if (*s == '\0') {
			rlex_err(p, sl, sc, "empty summary");
			return -1;
		}
		if (parse_template(p, s, sl, sc) != 0)
			return -1;
		rlex_next(p);
		return 0;
	}
	if (strcmp(kw, "suppress") == 0) {
		if (want(p, T_DUR, "a duration such as 24h") != 0)
			return -1;
		r->suppress_us = p->dur_us;
		rlex_next(p);
		return 0;
	}
	if (strcmp(kw, "attribute") == 0) {
		/* 0 is the resolved employee, 1.. these owners */
		if ((i = word_index(p, owners)) < 0) {
			rlex_err(p, p->tline, p->tcol, "attribute is ip_owner, "
			    "db_user_owner or end_user_owner");
			return -1;
		}
		r->attribute = i + 1;
		rlex_next(p);
		return 0;
	}
#undef ONCE
	rlex_err(p, line, col, "unknown clause '%s'", kw);
	return -1;
}

static int
parse_rule(struct parser *p, struct ruleset *rs)
{
	struct rule *r;
	int line = p->tline, col = p->tcol, i;
	size_t k;

	rlex_next(p);	/* "rule" */
	if (p->t != T_IDENT || !valid_rule_name(p->text)) {
		rlex_err(p, p->tline, p->tcol, "expected a rule name (a-z, 0-9, "
		    "_; up to 64), found %s", rlex_desc(p));
		return -1;
	}
	for (k = 0; k < rs->n; k++)
		if (strcmp(rs->r[k]->name, p->text) == 0) {
			rlex_err(p, p->tline, p->tcol, "rule '%s' already defined "
			    "in %s:%d", p->text, rs->r[k]->file,
			    rs->r[k]->line);
			return -1;
		}
	r = xcalloc(1, sizeof(*r));
	r->name = xstrdup(p->text);
	r->file = xstrdup(p->name);
	r->line = line;
	r->evtype = -1;
	r->suppress_us = -1;
	p->rule = r;
	rlex_next(p);
	if (expect(p, T_LBRACE, "'{'") != 0)
		goto fail;
	while (p->t != T_RBRACE) {
		if (p->t == T_EOF) {
			rlex_err(p, line, col, "rule '%s' has no closing '}'",
			    r->name);
			goto fail;
		}
		if (parse_clause(p, r) != 0)
			goto fail;
	}
	if (r->when == NULL) {
		rlex_err(p, line, col, "rule '%s' has no 'when'", r->name);
		goto fail;
	}
	if (r->severity == NULL) {
		rlex_err(p, line, col, "rule '%s' has no 'severity'", r->name);
		goto fail;
	}
	if (r->nsummary == 0) {
		rlex_err(p, line, col, "rule '%s' has no 'summary'", r->name);
		goto fail;
	}
	if (r->then != NULL && r->on != ON_EVENT) {
		rlex_err(p, r->then->line, r->then->col, "sequences ('then') are "
		    "only for 'on event' rules");
		goto fail;
	}
	if (r->attribute != 0 && r->on != ON_EVENT) {
		rlex_err(p, line, col, "'attribute' is only for 'on event' rules");
		goto fail;
	}
	if (r->evtype >= 0 && r->on != ON_EVENT) {
		rlex_err(p, line, col, "an event type only after 'on event'");
		goto fail;
	}
	if (check(p, r->when, 0) != 0 || check(p, r->then, 0) != 0 ||
	    check(p, r->score, 0) != 0)
		goto fail;
	for (i = 0; i < r->nsummary; i++)
		if (check(p, r->summary[i].expr, 0) != 0)
			goto fail;
	if (r->suppress_us < 0)
		r->suppress_us = 24LL * 3600 * 1000000;
	rlex_next(p);	/* '}' */
	if (rs->n == RULES_MAX) {
		rlex_err(p, line, col, "more than %d rules", RULES_MAX);
		goto fail;
	}
	rs->r = xreallocarray(rs->r, rs->n + 1, sizeof(*rs->r));
	rs->r[rs->n++] = r;
	p->rule = NULL;
	return 0;
fail:
	rule_free(r);
	p->rule = NULL;
	return -1;
}

struct ruleset *
rules_new(void)
{
	return xcalloc(1, sizeof(struct ruleset));
}

size_t
rules_count(const struct ruleset *rs)
{
	return rs == NULL ? 0 : rs->n;
}

void
rules_free(struct ruleset *rs)
{
	size_t i;

	if (rs == NULL)
		return;
	for (i = 0; i < rs->n; i++)
		rule_free(rs->r[i]);
	free(rs->r);
	free(rs);
}

/*
 * Parses one file's text and appends its rules. On error nothing of the
 * file is kept and err is "name:line:col: message".
 */
int
rules_load_buf(struct ruleset *rs, const char *name, const char *buf,
    size_t len, const struct sensitivity *sens, char *err, size_t errlen)
{
	struct parser p;
	size_t before = rs->n;

	memset(&p, 0, sizeof(p));
	p.name = name;
	p.buf = buf;
	p.len = len;
	p.line = p.col = 1;
	p.sens = sens;
	p.err = err;
	p.errlen = errlen;
	if (len > RULES_MAX_BYTES) {
		snprintf(err, errlen, "%s: larger than %d bytes", name,
		    RULES_MAX_BYTES);
		return -1;
	}
	rlex_next(&p);
	while (!p.failed && p.t != T_EOF) {
		if (!rlex_is(&p, "rule")) {
			rlex_err(&p, p.tline, p.tcol, "expected 'rule', found %s",
			    rlex_desc(&p));
			break;
		}
		if (parse_rule(&p, rs) != 0)
			break;
	}
	if (p.failed) {
		while (rs->n > before)
			rule_free(rs->r[--rs->n]);
		return -1;
	}
	return 0;
}
