/*
 * Drawing for the TUI: turns the model's rows into ncurses calls, and
 * nothing else - no SQL, no state beyond what struct tui_screen hands in,
 * so a screen is a pure function of the model. Text is UTF-8 cut by
 * display columns (wcwidth), so names in any script line up; colours
 * degrade to bold/reverse on monochrome terminals; the layout adapts from
 * 80x24 upwards, adding columns as the width allows. draw_print() renders
 * the list views as plain text for --print (scripts, the demo without a
 * terminal) from the same rows.
 */
#include <langinfo.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <wchar.h>

#include <curses.h>

#include "tui.h"
#include "leakwatch/text.h"
#include "leakwatch/util.h"

enum {
	PAIR_CRIT = 1,
	PAIR_HIGH,
	PAIR_MED,
	PAIR_LOW,
	PAIR_TITLE,
	PAIR_STALE,
	PAIR_BAND
};

static int	 has_color;
static int	 utf8;

void
draw_init(int color)
{
	const char *cs = nl_langinfo(CODESET);

	utf8 = cs != NULL && strcmp(cs, "UTF-8") == 0;
	has_color = color && has_colors();
	if (has_color) {
		start_color();
		use_default_colors();
		init_pair(PAIR_CRIT, COLOR_WHITE, COLOR_RED);
		init_pair(PAIR_HIGH, COLOR_RED, -1);
		init_pair(PAIR_MED, COLOR_YELLOW, -1);
		init_pair(PAIR_LOW, COLOR_CYAN, -1);
		init_pair(PAIR_TITLE, COLOR_BLACK, COLOR_CYAN);
		init_pair(PAIR_STALE, COLOR_RED, -1);
		init_pair(PAIR_BAND, COLOR_GREEN, -1);
	}
}

/* Display columns of a UTF-8 string (invalid bytes count one each). */
size_t
str_cols(const char *s)
{
	mbstate_t ps;
	wchar_t wc;
	size_t n, cols = 0;
	int w;

	memset(&ps, 0, sizeof(ps));
	while (*s != '\0') {
		n = mbrtowc(&wc, s, strlen(s), &ps);
		if (n == (size_t)-1 || n == (size_t)-2) {
			memset(&ps, 0, sizeof(ps));
			s++;
			cols++;
			continue;
		}
		w = wcwidth(wc);
		cols += w > 0 ? (size_t)w : 0;
		s += n;
	}
	return cols;
}

/*
 * Writes s at (y, x) in exactly `width` columns: cut at a character
 * boundary, padded with spaces. Control characters and invalid UTF-8
 * show escaped (lib/text.c), so a hostile name cannot move the cursor
 * and the analyst sees what it holds; a character the terminal cannot
 * draw shows as '?'.
 */
static void
put(int y, int x, int width, const char *text, attr_t attr)
{
	mbstate_t ps;
	wchar_t wc, buf[512];
	char vis[2048];
	const char *s = vis;
	size_t n;
	int used = 0, nw = 0, w;

	if (width <= 0)
		return;
	text_vis(text, strlen(text), vis, sizeof(vis), 0);
	memset(&ps, 0, sizeof(ps));
	while (*s != '\0' && nw < 511) {
		n = mbrtowc(&wc, s, strlen(s), &ps);
		if (n == (size_t)-1 || n == (size_t)-2) {
			memset(&ps, 0, sizeof(ps));
			wc = L'?';
			n = 1;
		}
		if (wc < 0x20 || wc == 0x7f)
			wc = L'?';
		w = wcwidth(wc);
		if (w < 0)
			w = 1, wc = L'?';
		if (used + w > width)
			break;
		buf[nw++] = wc;
		used += w;
		s += n;
	}
	while (used < width && nw < 511) {
		buf[nw++] = L' ';
		used++;
	}
	buf[nw] = L'\0';
	attron(attr);
	mvaddnwstr(y, x, buf, nw);
	attroff(attr);
}

static attr_t
sev_attr(const char *sev)
{
	switch (model_sev_rank(sev)) {
	case 3:
		return has_color ? COLOR_PAIR(PAIR_CRIT) | A_BOLD :
		    A_BOLD | A_UNDERLINE;
	case 2:
		return has_color ? COLOR_PAIR(PAIR_HIGH) | A_BOLD : A_BOLD;
	case 1:
		return has_color ? COLOR_PAIR(PAIR_MED) : A_NORMAL;
	default:
		return has_color ? COLOR_PAIR(PAIR_LOW) : A_DIM;
	}
}

static void
fmt_time(int64_t us, char *buf, size_t len)
{
	time_t t = (time_t)(us / 1000000);
	struct tm tm;

	if (us <= 0 || gmtime_r(&t, &tm) == NULL) {
		snprintf(buf, len, "-");
		return;
	}
	strftime(buf, len, "%m-%d %H:%M", &tm);
}

static void
fmt_ago(int64_t now, int64_t us, char *buf, size_t len)
{
	int64_t s = (now - us) / 1000000;

	if (us <= 0)
		snprintf(buf, len, "never");
	else if (s < 120)
		snprintf(buf, len, "%llds ago", (long long)s);
	else if (s < 7200)
		snprintf(buf, len, "%lldm ago", (long long)(s / 60));
	else if (s < 172800)
		snprintf(buf, len, "%lldh ago", (long long)(s / 3600));
	else
		snprintf(buf, len, "%lldd ago", (long long)(s / 86400));
}

/* Sparkline of n values into out (UTF-8 blocks, or ASCII). */
void
sparkline(const double *v, size_t n, char *out, size_t len)
{
	static const char *const blocks[] = { " ", "\u2581", "\u2582",
	    "\u2583", "\u2584", "\u2585", "\u2586", "\u2587", "\u2588" };
	static const char ascii[] = " .:-=+*#%";
	double max = 0;
	size_t i, o = 0, k;

	for (i = 0; i < n; i++)
		if (v[i] > max)
			max = v[i];
	for (i = 0; i < n && o + 4 < len; i++) {
		k = max <= 0 || v[i] <= 0 ? 0 :
		    1 + (size_t)(v[i] / max * 7.999);
		if (k > 8)
			k = 8;
		if (utf8) {
			memcpy(out + o, blocks[k], strlen(blocks[k]));
			o += strlen(blocks[k]);
		} else
			out[o++] = ascii[k];
	}
	out[o] = '\0';
}

static void
title(const struct tui_screen *s, int cols)
{
	static const char *const names[] = { "Cases", "Alerts", "Employees",
	    "Agents" };
	char buf[256];
	int x = 0, i;
	attr_t t = has_color ? COLOR_PAIR(PAIR_TITLE) : A_REVERSE;

	put(0, 0, cols, " leakwatch", t | A_BOLD);
	x = 11;
	for (i = 0; i < VIEW_NVIEWS && x < cols; i++) {
		snprintf(buf, sizeof(buf), " %s ", names[i]);
		put(0, x, (int)strlen(buf), buf, ((int)s->view == i ||
		    (i == VIEW_CASES && s->view == VIEW_CASE) ||
		    (i == VIEW_ALERTS && s->view == VIEW_ALERT) ||
		    (i == VIEW_EMPLOYEES && s->view == VIEW_EMPLOYEE)) ?
		    A_REVERSE | A_BOLD : t);
		x += (int)strlen(buf) + 1;
	}
	if (s->filter != NULL && (s->filter->text[0] || s->filter->open_only ||
	    s->filter->min_sev)) {
		snprintf(buf, sizeof(buf), " filter:%s%s%s%s%s ",
		    s->filter->text[0] ? " /" : "", s->filter->text,
		    s->filter->open_only ? " open" : "",
		    s->filter->min_sev ? " >=" : "",
		    s->filter->min_sev ? (const char *[]){ "low", "medium",
		    "high", "critical" }[s->filter->min_sev] : "");
		if (x + (int)str_cols(buf) < cols)
			put(0, cols - (int)str_cols(buf), (int)str_cols(buf),
			    buf, t);
	}
}

static void
footer(const struct tui_screen *s, int rows, int cols)
{
	const char *hint = "?:help  Tab:view  Enter:open  /:filter  "
	    "a:ack  c:close  q:quit";

	put(rows - 1, 0, cols, s->status != NULL && *s->status ? s->status :
	    hint, A_REVERSE);
}

/* One cell of a list line: its width, its text and how it is drawn. */
struct cell {
	int		 width;		/* nothing drawn when 0 or less */
	const char	*text;
	attr_t		 attr;
};

/* A list line: its cells from the left, one blank column apart. */
static void
put_cells(int y, const struct cell *c, size_t n)
{
	size_t i;
	int x = 0;

	for (i = 0; i < n; i++) {
		put(y, x, c[i].width, c[i].text, c[i].attr);
		x += c[i].width + 1;
	}
}

/* A severity cell: its colour, unless the line is the selected one. */
static attr_t
sev_cell(const char *sev, int selected)
{
	return selected ? A_REVERSE : sev_attr(sev);
}

/* A status cell: a closed alert or case is dimmed. */
static attr_t
status_cell(const char *status, attr_t base)
{
	return base | (strncmp(status, "closed", 6) == 0 ? A_DIM : A_NORMAL);
}

/* Column widths for the alerts list at this terminal width. */
struct alert_cols {
	int	 time, sev, emp, dept, rule, score, status, summary;
};

static void
alert_layout(int cols, struct alert_cols *c)
{
	c->time = 11;
	c->sev = 8;
	c->score = 5;
	c->status = 12;
	c->dept = cols >= 100 ? 14 : 10;
	c->emp = cols >= 100 ? 20 : 14;
	c->rule = cols - (c->time + c->sev + c->emp + c->dept + c->score +
	    c->status + 7);
	c->summary = 0;
	if (c->rule > 28) {
		c->summary = c->rule - 28;
		c->rule = 24;
	}
	if (c->rule < 8)
		c->rule = 8;
}

static void
alert_line(int y, const struct tui_alert *a, const struct alert_cols *c,
    int selected)
{
	char t[32], score[16];
	attr_t base = selected ? A_REVERSE : A_NORMAL;
	const struct cell cells[] = {
		{ c->time, t, base },
		{ c->sev, a->severity, sev_cell(a->severity, selected) },
		{ c->emp, a->employee, base | A_BOLD },
		{ c->dept, a->department, base },
		{ c->rule, a->rule, base },
		{ c->score, score, base },
		{ c->status, a->status, status_cell(a->status, base) },
		{ c->summary, a->summary, base }
	};

	fmt_time(a->last_ts, t, sizeof(t));
	snprintf(score, sizeof(score), "%5.0f", a->score);
	put_cells(y, cells, sizeof(cells) / sizeof(cells[0]));
}

static void
draw_alerts(const struct tui_screen *s, int rows, int cols)
{
	struct alert_cols c;
	int i, y;

	alert_layout(cols, &c);
	attron(A_BOLD);
	mvprintw(1, 0, "%-*s %-*s %-*s %-*s %-*s %*s %-*s", c.time, "TIME",
	    c.sev, "SEVERITY", c.emp, "EMPLOYEE", c.dept, "DEPARTMENT",
	    c.rule, "RULE", c.score, "SCORE", c.status, "STATUS");
	if (c.summary > 0)
		printw(" %-*s", c.summary - 1, "SUMMARY");
	attroff(A_BOLD);
	if (s->nalerts == 0)
		put(3, 2, cols - 4, "No alerts (yet). New ones appear here "
		    "as the collector raises them.", A_DIM);
	for (i = s->top, y = 2; i < s->nalerts && y < rows - 1; i++, y++)
		alert_line(y, &s->alerts[i], &c, i == s->cursor);
}

/* Who a case is about: the person, or a group's members. */
static void
case_who(const struct tui_case *c, char *buf, size_t len)
{
	if (strcmp(c->kind, "group") == 0)
		snprintf(buf, len, "%s (%s)", c->subject, c->members);
	else
		snprintf(buf, len, "%s", c->subject);
}

/* Column widths of the cases list: the story takes what is left. */
struct case_cols {
	int	 sev, who, dept, first, last, n, score, status, story;
};

static void
case_layout(int cols, struct case_cols *c)
{
	c->sev = 8;
	c->who = cols >= 120 ? 28 : 18;
	c->dept = cols >= 100 ? 14 : 10;
	c->first = 11;
	c->last = 11;
	c->n = 3;
	c->score = 5;
	c->status = 12;
	c->story = cols - (c->sev + c->who + c->dept + c->first + c->last +
	    c->n + c->score + c->status + 8);
	if (c->story < 0)
		c->story = 0;
}

static void
case_line(int y, const struct tui_case *k, const struct case_cols *c,
    int selected)
{
	char t1[32], t2[32], score[16], n[16], who[1400];
	attr_t base = selected ? A_REVERSE : A_NORMAL;
	const struct cell cells[] = {
		{ c->sev, k->severity, sev_cell(k->severity, selected) },
		{ c->who, who, base | A_BOLD },
		{ c->dept, k->department, base },
		{ c->first, t1, base },
		{ c->last, t2, base },
		{ c->n, n, base },
		{ c->score, score, base },
		{ c->status, k->status, status_cell(k->status, base) },
		{ c->story, k->story, base }
	};

	fmt_time(k->first_ts, t1, sizeof(t1));
	fmt_time(k->last_ts, t2, sizeof(t2));
	snprintf(score, sizeof(score), "%5.0f", k->score);
	snprintf(n, sizeof(n), "%3lld", k->alerts);
	case_who(k, who, sizeof(who));
	put_cells(y, cells, sizeof(cells) / sizeof(cells[0]));
}

static void
draw_cases(const struct tui_screen *s, int rows, int cols)
{
	struct case_cols c;
	int i, y;

	case_layout(cols, &c);
	attron(A_BOLD);
	mvprintw(1, 0, "%-*s %-*s %-*s %-*s %-*s %*s %*s %-*s", c.sev,
	    "SEVERITY", c.who, "WHO", c.dept, "DEPARTMENT", c.first, "FIRST",
	    c.last, "LAST", c.n, "#", c.score, "SCORE", c.status, "STATUS");
	if (c.story > 0)
		printw(" %-*s", c.story - 1, "STORY");
	attroff(A_BOLD);
	if (s->ncases == 0)
		put(3, 2, cols - 4, "No cases (yet). A case opens with the "
		    "first alert on a person.", A_DIM);
	for (i = s->top, y = 2; i < s->ncases && y < rows - 1; i++, y++)
		case_line(y, &s->cases[i], &c, i == s->cursor);
}

/* A case's page: the case, its timeline (cursor), its audit trail. */
#define CASE_HEAD	8	/* lines above the timeline */
#define CASE_AUDIT	5	/* lines kept for the audit trail */

int
draw_case_rows(void)
{
	int n = (LINES - CASE_HEAD - CASE_AUDIT - 1) / 2;

	return n > 1 ? n : 1;
}

static void
draw_case_page(const struct tui_screen *s, int rows, int cols)
{
	const struct tui_case_page *pg = s->cpage;
	const struct tui_case *k;
	struct alert_cols ac;
	char buf[2400], who[1400], t1[32], t2[32];
	int y = 1, i, end;
	size_t j;

	if (pg == NULL)
		return;
	k = &pg->c;
	case_who(k, who, sizeof(who));
	snprintf(buf, sizeof(buf), "%s  %s case  score %.0f  %s%s%s",
	    k->severity, k->kind, k->score, k->status, k->assignee[0] ?
	    ", assigned to " : "", k->assignee);
	put(y++, 0, cols, buf, sev_attr(k->severity) | A_BOLD);
	snprintf(buf, sizeof(buf), "%s   %s   case %s", who, k->department,
	    k->id);
	put(y++, 0, cols, buf, A_NORMAL);
	fmt_time(k->first_ts, t1, sizeof(t1));
	fmt_time(k->last_ts, t2, sizeof(t2));
	snprintf(buf, sizeof(buf), "evidence %s to %s, %lld alerts", t1, t2,
	    k->alerts);
	put(y++, 0, cols, buf, A_NORMAL);
	put(y++, 0, cols, k->story, A_BOLD);
	y = CASE_HEAD - 1;
	put(y++, 0, cols, "timeline (Enter: the alert's evidence)", A_BOLD);
	/* the alerts list's columns, without department and status */
	alert_layout(cols, &ac);
	ac.summary += ac.dept + ac.status + 2;
	ac.dept = ac.status = -1;
	end = rows - CASE_AUDIT - 1;
	for (i = s->top; (size_t)i < pg->nalerts && y + 1 < end; i++) {
		alert_line(y++, &pg->alerts[i], &ac, i == s->cursor);
		put(y++, 4, cols - 4, pg->evidence[i], A_DIM);
	}
	y = end;
	put(y++, 0, cols, "triage", A_BOLD);
	for (j = 0; j < pg->naudit && y < rows - 1; j++)
		put(y++, 2, cols - 2, pg->audit[j], A_NORMAL);
}

static const char *
trend_arrow(int t)
{
	if (utf8)
		return t > 0 ? "\u2191" : t < 0 ? "\u2193" : "\u2192";
	return t > 0 ? "^" : t < 0 ? "v" : "-";
}

static void
draw_employees(const struct tui_screen *s, int rows, int cols)
{
	char buf[512], spark[256], risk[32];
	int i, y, empw = cols >= 100 ? 24 : 16, deptw = cols >= 100 ? 16 : 11;
	int sw = cols >= 120 ? 30 : 14;

	attron(A_BOLD);
	mvprintw(1, 0, "%4s %-*s %-*s %6s %6s  %-*s %-*s %s", "#", empw,
	    "EMPLOYEE", deptw, "DEPARTMENT", "RISK", "OPEN", sw,
	    "SENSITIVE ROWS/DAY", sw, "BYTES OUT/DAY", "TREND");
	attroff(A_BOLD);
	if (s->nemps == 0)
		put(3, 2, cols - 4, "No employee has risk or alerts yet.",
		    A_DIM);
	for (i = s->top, y = 2; i < s->nemps && y < rows - 1; i++, y++) {
		const struct tui_employee *e = &s->emps[i];
		attr_t a = i == s->cursor ? A_REVERSE : A_NORMAL;
		int x = 0;

		/* the gaps between columns too: nothing of the last view */
		move(y, 0);
		clrtoeol();
		snprintf(buf, sizeof(buf), "%4d", i + 1);
		put(y, x, 4, buf, a);
		x += 5;
		put(y, x, empw, e->employee, a | A_BOLD);
		x += empw + 1;
		put(y, x, deptw, e->department, a);
		x += deptw + 1;
		snprintf(risk, sizeof(risk), "%6.1f", e->risk);
		put(y, x, 6, risk, a);
		x += 7;
		snprintf(buf, sizeof(buf), "%6lld", e->open_alerts);
		put(y, x, 6, buf, a);
		x += 8;
		sparkline(e->rows + TUI_DAYS - sw, (size_t)sw, spark,
		    sizeof(spark));
		put(y, x, sw, spark, a);
		x += sw + 1;
		sparkline(e->bytes_out + TUI_DAYS - sw, (size_t)sw, spark,
		    sizeof(spark));
		put(y, x, sw, spark, a);
		x += sw + 1;
		put(y, x, cols - x, trend_arrow(e->trend), a | (e->trend > 0 ?
		    A_BOLD : A_NORMAL));
	}
}

static void
draw_agents(const struct tui_screen *s, int rows, int cols)
{
	char seen[32], buf[64];
	attr_t stale_attr = has_color ? COLOR_PAIR(PAIR_STALE) | A_BOLD :
	    A_BOLD | A_BLINK;
	int i, y;

	attron(A_BOLD);
	mvprintw(1, 0, "%-16s %-21s %-10s %-8s %8s %7s %7s %s", "AGENT",
	    "ADDRESS", "LAST SEEN", "VERSION", "SPOOL", "DROPS", "ERRORS",
	    "STATE");
	attroff(A_BOLD);
	if (s->nagents == 0)
		put(3, 2, cols - 4, "No agent has connected yet.", A_DIM);
	for (i = s->top, y = 2; i < s->nagents && y < rows - 1; i++, y++) {
		const struct tui_agent *g = &s->agents[i];
		attr_t a = i == s->cursor ? A_REVERSE : A_NORMAL;
		const struct cell cells[] = {
			{ 16, g->agent, a | A_BOLD },
			{ 21, g->addr, a },
			{ 10, seen, a },
			{ 8, g->version, a },
			{ 24, buf, a | ((g->dropped || g->errors) ? A_BOLD :
			    A_NORMAL) },
			{ cols - 84, g->stale ? "STALE" : "ok", a | (g->stale ?
			    stale_attr : A_NORMAL) }
		};

		fmt_ago(s->now, g->last_seen, seen, sizeof(seen));
		snprintf(buf, sizeof(buf), "%8lld %7lld %7lld", g->spool_events,
		    g->dropped, g->errors);
		put_cells(y, cells, sizeof(cells) / sizeof(cells[0]));
	}
}

/*
 * A bar chart of daily values, `h` rows high, one column per day, with the
 * baseline band (lo..hi) drawn where the bars are not: the analyst sees a
 * day "above its band" at a glance.
 */
static void
chart(int y, int x, int h, const double *v, const double *lo,
    const double *hi, const char *label)
{
	double max = 1;
	char buf[64];
	int i, r, bar, l, u;

	for (i = 0; i < TUI_DAYS; i++) {
		if (v[i] > max)
			max = v[i];
		if (hi != NULL && hi[i] > max)
			max = hi[i];
	}
	snprintf(buf, sizeof(buf), "%s, max %.0f", label, max);
	put(y, x, 35, buf, A_BOLD);
	for (i = 0; i < TUI_DAYS; i++) {
		bar = (int)(v[i] / max * h + 0.5);
		l = lo != NULL ? (int)(lo[i] / max * h + 0.5) : -1;
		u = hi != NULL ? (int)(hi[i] / max * h + 0.5) : -1;
		for (r = 0; r < h; r++) {
			const char *c = " ";
			attr_t a = A_NORMAL;

			if (r < bar)
				c = utf8 ? "\u2588" : "#", a = (u > 0 &&
				    r >= u) ? A_BOLD : A_NORMAL;
			else if (hi != NULL && r >= l && r < u && u > 0)
				c = utf8 ? "\u2591" : ":", a = has_color ?
				    COLOR_PAIR(PAIR_BAND) : A_DIM;
			put(y + h - r, x + i, 1, c, a);
		}
	}
}

static void
draw_person(const struct tui_screen *s, int rows, int cols)
{
	const struct tui_person *p = s->person;
	struct alert_cols c;
	char buf[1200];
	int y = 1, i, h = rows >= 40 ? 8 : 5;

	if (p == NULL)
		return;
	snprintf(buf, sizeof(buf), "%s  %s", p->employee, p->name);
	put(y++, 0, cols, buf, A_BOLD);
	snprintf(buf, sizeof(buf), "department %s  role %s  manager %s%s%s  "
	    "risk %.1f", *p->department ? p->department : "-",
	    *p->role ? p->role : "-", *p->manager ? p->manager : "-",
	    *p->leave ? "  LEAVES " : "", p->leave, p->risk);
	put(y++, 0, cols, buf, *p->leave ? A_BOLD : A_NORMAL);
	chart(y, 0, h, p->rows, p->rows_lo, p->rows_hi,
	    "sensitive rows/day");
	if (cols >= 72)
		chart(y, 36, h, p->bytes_out, NULL, NULL, "bytes out/day");
	y += h + 2;
	put(y++, 0, cols, "alerts", A_BOLD);
	alert_layout(cols, &c);
	for (i = s->top; (size_t)i < p->nalerts && y < rows - 1 -
	    (p->nfirsts ? 3 : 0) - (p->nevents ? 4 : 0); i++)
		alert_line(y++, &p->alerts[i], &c, i == s->cursor);
	if (p->nevents > 0 && y < rows - 2) {
		put(y++, 0, cols, "latest events", A_BOLD);
		for (i = 0; (size_t)i < p->nevents && y < rows - 1 -
		    (p->nfirsts ? 2 : 0) && i < 6; i++)
			put(y++, 2, cols - 2, p->events[i], A_NORMAL);
	}
	if (p->nfirsts > 0 && y < rows - 2) {
		put(y++, 0, cols, "first seen (tables, destinations)", A_BOLD);
		for (i = 0; (size_t)i < p->nfirsts && y < rows - 1; i++)
			put(y++, 2, cols - 2, p->firsts[i], A_NORMAL);
	}
}

static void
draw_alert_page(const struct tui_screen *s, int rows, int cols)
{
	const struct tui_alert_page *pg = s->page;
	char buf[1200], t1[TS_STRLEN], t2[TS_STRLEN];
	int y = 1;
	size_t i;

	if (pg == NULL)
		return;
	snprintf(buf, sizeof(buf), "%s  %s  score %.0f  %s", pg->a.severity,
	    pg->a.rule, pg->a.score, pg->a.status);
	put(y++, 0, cols, buf, sev_attr(pg->a.severity) | A_BOLD);
	snprintf(buf, sizeof(buf), "employee %s   alert %s", pg->a.employee,
	    pg->a.id);
	put(y++, 0, cols, buf, A_NORMAL);
	put(y++, 0, cols, pg->a.summary, A_BOLD);
	y++;
	put(y++, 0, cols, "evidence", A_BOLD);
	for (i = 0; i < pg->nevidence && y < rows - 6; i++)
		put(y++, 2, cols - 2, pg->evidence[i], A_NORMAL);
	y++;
	put(y++, 0, cols, "timeline", A_BOLD);
	ts_format(pg->a.ts, t1, sizeof(t1));
	ts_format(pg->a.last_ts, t2, sizeof(t2));
	snprintf(buf, sizeof(buf), "%.19s  first fired", t1);
	put(y++, 2, cols - 2, buf, A_NORMAL);
	if (pg->a.count > 1 && y < rows - 1) {
		snprintf(buf, sizeof(buf), "%.19s  fired again (%lld times in "
		    "all)", t2, pg->a.count);
		put(y++, 2, cols - 2, buf, A_NORMAL);
	}
	for (i = 0; i < pg->naudit && y < rows - 1; i++)
		put(y++, 2, cols - 2, pg->audit[i], A_NORMAL);
}

static void
draw_help(int rows, int cols)
{
	static const char *const lines[] = {
		"Keys",
		"",
		"Tab / Shift-Tab   next / previous view",
		"1 2 3 4           Cases, Alerts, Employees, Agents",
		"Up Down j k       move      PgUp PgDn g G  page, top, end",
		"Enter             open the case / alert / employee",
		"Esc q             back (q on a list view quits)",
		"/                 filter by text (employee, rule, summary)",
		"o                 only open alerts on/off",
		"s                 minimum severity: all, medium, high, critical",
		"a                 acknowledge the case (or alert)",
		"A                 assign it to someone",
		"c / f             close as true / false positive, with a note",
		"r                 reopen it",
		"Ctrl-L            redraw      R  reload now",
		"?                 this help (any key closes it)",
		"",
		"Triage goes through the collector's control socket and is",
		"recorded with your login name in the audit trail.",
	};
	int n = (int)(sizeof(lines) / sizeof(lines[0]));
	int w = 66, h = n + 2, y0, x0, i;

	if (w > cols - 2)
		w = cols - 2;
	if (h > rows - 2)
		h = rows - 2;
	y0 = (rows - h) / 2;
	x0 = (cols - w) / 2;
	for (i = 0; i < h; i++)
		put(y0 + i, x0, w, "", A_REVERSE);
	for (i = 0; i < n && i < h - 2; i++)
		put(y0 + 1 + i, x0 + 2, w - 4, lines[i], A_REVERSE |
		    (i == 0 ? A_BOLD : A_NORMAL));
}

int
draw_rows(void)
{
	return LINES - 3 > 1 ? LINES - 3 : 1;
}

/* Each view's page; VIEW_NVIEWS and VIEW_COUNT are markers, no view. */
static void (*const view_draw[VIEW_COUNT])(const struct tui_screen *, int,
    int) = {
	[VIEW_CASES] = draw_cases,
	[VIEW_CASE] = draw_case_page,
	[VIEW_ALERTS] = draw_alerts,
	[VIEW_EMPLOYEES] = draw_employees,
	[VIEW_AGENTS] = draw_agents,
	[VIEW_EMPLOYEE] = draw_person,
	[VIEW_ALERT] = draw_alert_page,
};

void
draw(const struct tui_screen *s)
{
	int rows = LINES, cols = COLS;

	erase();
	title(s, cols);
	if (s->view < VIEW_COUNT && view_draw[s->view] != NULL)
		view_draw[s->view](s, rows, cols);
	footer(s, rows, cols);
	if (s->help)
		draw_help(rows, cols);
	refresh();
}

void
draw_prompt(const char *label, const char *text)
{
	char buf[600];

	snprintf(buf, sizeof(buf), "%s%s", label, text);
	put(LINES - 1, 0, COLS, buf, A_BOLD);
	move(LINES - 1, (int)str_cols(buf) < COLS ? (int)str_cols(buf) :
	    COLS - 1);
	refresh();
}

/* s escaped (lib/text.c) into buf, for --print. */
static const char *
vis(char *buf, size_t len, const char *s)
{
	text_vis(s, strlen(s), buf, len, 0);
	return buf;
}

#define VIS(k, str)	vis(v[k], sizeof(v[k]), (str))

/*
 * --print: the cases, the alerts and the employees ranked by risk, as
 * plain text.
 * Every string from the database is escaped into one of v[]'s slots
 * first, so a name cannot drive the terminal or forge a line of the
 * listing.
 */
void
draw_print(const struct tui_screen *s, int width)
{
	char t[32], spark[256], v[6][2048];
	int i;

	(void)width;
	utf8 = 0;
	{
		const char *cs = nl_langinfo(CODESET);

		utf8 = cs != NULL && strcmp(cs, "UTF-8") == 0;
	}
	printf("CASES (%d)\n", s->ncases);
	printf("%-8s  %-24s  %-14s  %-11s  %-11s  %6s  %5s  %-12s  %s\n",
	    "SEVERITY", "WHO", "DEPARTMENT", "FIRST", "LAST", "ALERTS",
	    "SCORE", "STATUS", "STORY");
	for (i = 0; i < s->ncases; i++) {
		const struct tui_case *k = &s->cases[i];
		char t2[32], who[1400];

		fmt_time(k->first_ts, t, sizeof(t));
		fmt_time(k->last_ts, t2, sizeof(t2));
		case_who(k, who, sizeof(who));
		printf("%-8s  %-24s  %-14s  %-11s  %-11s  %6lld  %5.0f  %-12s  "
		    "%s\n", VIS(0, k->severity), VIS(1, who),
		    VIS(2, k->department), t, t2, k->alerts, k->score,
		    VIS(3, k->status), VIS(4, k->story));
	}
	printf("\nALERTS (%d)\n", s->nalerts);
	printf("%-11s  %-8s  %-20s  %-14s  %-24s  %5s  %-12s  %s\n", "TIME",
	    "SEVERITY", "EMPLOYEE", "DEPARTMENT", "RULE", "SCORE", "STATUS",
	    "SUMMARY");
	for (i = 0; i < s->nalerts; i++) {
		const struct tui_alert *a = &s->alerts[i];

		fmt_time(a->last_ts, t, sizeof(t));
		printf("%-11s  %-8s  %-20s  %-14s  %-24s  %5.0f  %-12s  %s\n", t,
		    VIS(0, a->severity), VIS(1, a->employee),
		    VIS(2, a->department), VIS(3, a->rule), a->score,
		    VIS(4, a->status), VIS(5, a->summary));
	}
	printf("\nEMPLOYEES BY RISK (%d)\n", s->nemps);
	printf("%4s  %-20s  %-14s  %6s  %5s  %-30s\n", "#", "EMPLOYEE",
	    "DEPARTMENT", "RISK", "OPEN", "SENSITIVE ROWS/DAY (30 days)");
	for (i = 0; i < s->nemps; i++) {
		const struct tui_employee *e = &s->emps[i];

		sparkline(e->rows, TUI_DAYS, spark, sizeof(spark));
		printf("%4d  %-20s  %-14s  %6.1f  %5lld  %s\n", i + 1,
		    VIS(0, e->employee), VIS(1, e->department), e->risk,
		    e->open_alerts, spark);
	}
}

/*
 * --print --employee ID: the employee page's identity line and latest
 * events (newest first; an aggregate's rows end in "xN", its number of
 * queries), as plain text, escaped like the lists.
 */
void
draw_print_person(const struct tui_person *p)
{
	char v[4][2048];
	size_t i;

	printf("EMPLOYEE %s  %s\n", VIS(0, p->employee), VIS(1, p->name));
	printf("department %s  role %s  risk %.1f\n",
	    VIS(2, *p->department ? p->department : "-"),
	    VIS(3, *p->role ? p->role : "-"), p->risk);
	printf("\nLATEST EVENTS (%zu)\n", p->nevents);
	for (i = 0; i < p->nevents; i++)
		printf("%s\n", VIS(0, p->events[i]));
}
