/*
 * leakwatch-tui: start-up, keys and the refresh loop; owns the one
 * context struct, `struct tui`. It reads the collector's database through
 * the model (read-only) and refreshes every second, keeping the cursor on
 * the same case, alert or employee while rows arrive; triage goes through the
 * collector's control socket (ctl.c), so this program never writes the
 * database.
 *
 *   leakwatch-tui [-h] [--db PATH | -c COLLECTOR.conf] [--control PATH]
 *       [--print [--employee ID]] [--no-color] [--refresh MS]
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <wchar.h>

#include <curses.h>

#include "../config.h"
#include "tui.h"
#include "leakwatch/conf.h"
#include "leakwatch/log.h"
#include "leakwatch/util.h"
#include "leakwatch/xmalloc.h"

#define MAX_CASES	10000
#define MAX_ALERTS	10000
#define MAX_EMPS	5000
#define MAX_AGENTS	1000
#define REFRESH_MS	1000

struct tui {
	struct tui_model	*model;
	const char		*dbpath;
	const char		*control;
	struct collector_config	 cfg;
	int			 print;
	const char		*print_employee;	/* --employee */
	int			 color;
	int			 refresh_ms;
	enum tui_view		 view;
	enum tui_view		 back;		/* view a detail returns to */
	int			 cursor[VIEW_COUNT];
	int			 top[VIEW_COUNT];
	struct tui_filter	 filter;
	struct tui_case		*cases;
	int			 ncases;
	struct tui_case_page	 cpage;
	struct tui_alert	*alerts;
	int			 nalerts;
	struct tui_employee	*emps;
	int			 nemps;
	struct tui_agent	*agents;
	int			 nagents;
	struct tui_person	 person;
	struct tui_alert_page	 page;
	char			 status[512];
	int			 help;
};

static void __attribute__((noreturn))
usage(FILE *f, int status)
{
	fprintf(f, "usage: leakwatch-tui [-h] [--db path | -c collector.conf] "
	    "[--control path]\n"
	    "                     [--print [--employee id]] [--no-color] "
	    "[--refresh ms]\n"
	    "       leakwatch-tui --version\n");
	exit(status);
}

enum { OPT_DB = 256, OPT_CONTROL, OPT_PRINT, OPT_NO_COLOR, OPT_REFRESH,
    OPT_VERSION, OPT_EMPLOYEE };
static const struct option tui_opts[] = {
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ "db", required_argument, NULL, OPT_DB },
	{ "control", required_argument, NULL, OPT_CONTROL },
	{ "print", no_argument, NULL, OPT_PRINT },
	{ "employee", required_argument, NULL, OPT_EMPLOYEE },
	{ "no-color", no_argument, NULL, OPT_NO_COLOR },
	{ "refresh", required_argument, NULL, OPT_REFRESH },
	{ NULL, 0, NULL, 0 }
};

/* --db and --control win over the file's db and control-socket. */
static void
parse_args(struct tui *t, int argc, char **argv)
{
	char err[512], *p;
	long long ms;
	int c;

	/* getopt's messages start with argv[0]: the name, not the path */
	if (argc > 0 && (p = strrchr(argv[0], '/')) != NULL)
		argv[0] = p + 1;
	t->color = 1;
	t->refresh_ms = REFRESH_MS;
	config_defaults(&t->cfg);
	/* -h and --version first, whatever else the line holds */
	opterr = 0;
	while ((c = conf_getopt(argc, argv, "c:h", tui_opts, NULL)) != -1) {
		if (c == 'h')
			usage(stdout, 0);
		if (c == OPT_VERSION) {
			printf("leakwatch-tui %s\n", LEAKWATCH_VERSION);
			exit(0);
		}
	}
	optind = 0;
	opterr = 1;
	while ((c = conf_getopt(argc, argv, "c:h", tui_opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			if (conf_load(optarg, collector_keys, &t->cfg, err,
			    sizeof(err)) != 0) {
				fprintf(stderr, "leakwatch-tui: %s\n", err);
				exit(1);
			}
			break;
		case OPT_DB:
			t->dbpath = optarg;
			break;
		case OPT_CONTROL:
			t->control = optarg;
			break;
		case OPT_PRINT:
			t->print = 1;
			break;
		case OPT_EMPLOYEE:
			t->print_employee = optarg;
			break;
		case OPT_NO_COLOR:
			t->color = 0;
			break;
		case OPT_REFRESH:
			if (parse_ll(optarg, 50, 3600000, &ms) != 0) {
				fprintf(stderr, "leakwatch-tui: --refresh: "
				    "expected milliseconds from 50 to "
				    "3600000\n");
				usage(stderr, 2);
			}
			t->refresh_ms = (int)ms;
			break;
		case 'h':
		case OPT_VERSION:
			break;
		default:
			usage(stderr, 2);
		}
	}
	if (optind < argc) {
		fprintf(stderr, "leakwatch-tui: unexpected argument \"%s\"\n",
		    argv[optind]);
		usage(stderr, 2);
	}
	if (t->print_employee != NULL && !t->print) {
		fprintf(stderr, "leakwatch-tui: --employee is for --print\n");
		usage(stderr, 2);
	}
	if (t->dbpath == NULL)
		t->dbpath = t->cfg.db;
	if (t->control == NULL)
		t->control = t->cfg.control_socket;
	if (t->dbpath == NULL) {
		fprintf(stderr, "leakwatch-tui: no database: give --db PATH "
		    "or -c COLLECTOR.conf\n");
		exit(2);
	}
}

static struct tui_model *asof_model;

/* The time the screens are drawn as of (model.c model_asof()). */
static int64_t
now(void)
{
	return asof_model != NULL ? model_asof(asof_model, now_us()) :
	    now_us();
}

/* The id under the cursor, so a reload can put the cursor back on it. */
static void
cursor_key(const struct tui *t, char *key, size_t len)
{
	int c = t->cursor[t->view];

	key[0] = '\0';
	if (t->view == VIEW_CASES && c < t->ncases)
		snprintf(key, len, "%s", t->cases[c].id);
	else if (t->view == VIEW_ALERTS && c < t->nalerts)
		snprintf(key, len, "%s", t->alerts[c].id);
	else if (t->view == VIEW_EMPLOYEES && c < t->nemps)
		snprintf(key, len, "%s", t->emps[c].employee);
}

static void
cursor_restore(struct tui *t, const char *key)
{
	int i;

	if (*key == '\0')
		return;
	if (t->view == VIEW_CASES) {
		for (i = 0; i < t->ncases; i++)
			if (strcmp(t->cases[i].id, key) == 0)
				t->cursor[t->view] = i;
	} else if (t->view == VIEW_ALERTS) {
		for (i = 0; i < t->nalerts; i++)
			if (strcmp(t->alerts[i].id, key) == 0)
				t->cursor[t->view] = i;
	} else if (t->view == VIEW_EMPLOYEES) {
		for (i = 0; i < t->nemps; i++)
			if (strcmp(t->emps[i].employee, key) == 0)
				t->cursor[t->view] = i;
	}
}

static int
count_of(const struct tui *t, enum tui_view v)
{
	switch (v) {
	case VIEW_CASES:
		return t->ncases;
	case VIEW_CASE:
		return (int)t->cpage.nalerts;
	case VIEW_ALERTS:
		return t->nalerts;
	case VIEW_EMPLOYEES:
		return t->nemps;
	case VIEW_AGENTS:
		return t->nagents;
	case VIEW_EMPLOYEE:
		return (int)t->person.nalerts;
	default:
		return 0;
	}
}

/* Reads what the current view shows; the other views load on entry. */
static void
load(struct tui *t)
{
	char key[300];
	int n;

	cursor_key(t, key, sizeof(key));
	switch (t->view) {
	case VIEW_CASES:
		n = model_cases(t->model, &t->filter, t->cases, MAX_CASES);
		t->ncases = n < 0 ? 0 : n;
		break;
	case VIEW_CASE:
		if (t->cpage.c.id[0] != '\0')
			model_case_page(t->model, t->cpage.c.id, &t->cpage);
		break;
	case VIEW_ALERTS:
		n = model_alerts(t->model, &t->filter, t->alerts, MAX_ALERTS);
		t->nalerts = n < 0 ? 0 : n;
		break;
	case VIEW_EMPLOYEES:
		n = model_employees(t->model, now(), t->emps, MAX_EMPS);
		t->nemps = n < 0 ? 0 : n;
		break;
	case VIEW_AGENTS:
		n = model_agents(t->model, now(), t->agents, MAX_AGENTS);
		t->nagents = n < 0 ? 0 : n;
		break;
	case VIEW_EMPLOYEE: {
		char emp[256];

		snprintf(emp, sizeof(emp), "%s", t->person.employee);
		model_person_clear(&t->person);
		model_person(t->model, emp, now(), &t->person);
		break;
	}
	case VIEW_ALERT:
		if (t->page.a.id[0] != '\0')
			model_alert_page(t->model, t->page.a.id, &t->page);
		break;
	default:
		break;
	}
	cursor_restore(t, key);
	n = count_of(t, t->view);
	if (t->cursor[t->view] >= n)
		t->cursor[t->view] = n > 0 ? n - 1 : 0;
}

static void
screen_of(struct tui *t, struct tui_screen *s)
{
	memset(s, 0, sizeof(*s));
	s->view = t->view;
	s->cursor = t->cursor[t->view];
	s->top = t->top[t->view];
	s->status = t->status;
	s->help = t->help;
	s->filter = &t->filter;
	s->cases = t->cases;
	s->ncases = t->ncases;
	s->cpage = &t->cpage;
	s->alerts = t->alerts;
	s->nalerts = t->nalerts;
	s->emps = t->emps;
	s->nemps = t->nemps;
	s->agents = t->agents;
	s->nagents = t->nagents;
	s->person = &t->person;
	s->page = &t->page;
	s->now = now();
}

/* Keeps the cursor on screen. */
static void
scroll_to_cursor(struct tui *t)
{
	int rows = draw_rows(), v = t->view;

	if (v == VIEW_EMPLOYEE)
		rows = LINES - (LINES >= 40 ? 8 : 5) - 8;
	if (v == VIEW_CASE)
		rows = draw_case_rows();
	if (rows < 1)
		rows = 1;
	if (t->cursor[v] < t->top[v])
		t->top[v] = t->cursor[v];
	if (t->cursor[v] >= t->top[v] + rows)
		t->top[v] = t->cursor[v] - rows + 1;
	if (t->top[v] < 0)
		t->top[v] = 0;
}

/*
 * A one-line editor on the bottom line; wide characters welcome. Returns
 * 0 with the text, -1 when the analyst pressed Esc.
 */
static int
prompt(const char *label, char *buf, size_t len)
{
	wint_t wc;
	char mb[MB_LEN_MAX];
	size_t n, used;
	int k;

	buf[0] = '\0';
	curs_set(1);
	timeout(-1);
	for (;;) {
		draw_prompt(label, buf);
		k = get_wch(&wc);
		if (k == ERR)
			continue;
		if (k == KEY_CODE_YES) {
			if (wc == KEY_BACKSPACE)
				goto backspace;
			if (wc == KEY_ENTER)
				break;
			continue;
		}
		if (wc == 27) {
			curs_set(0);
			return -1;
		}
		if (wc == '\n' || wc == '\r')
			break;
		if (wc == 127 || wc == 8) {
backspace:
			n = strlen(buf);
			while (n > 0 && ((unsigned char)buf[n - 1] & 0xc0) ==
			    0x80)
				n--;
			if (n > 0)
				n--;
			buf[n] = '\0';
			continue;
		}
		if (wc < 0x20)
			continue;
		n = wcrtomb(mb, (wchar_t)wc, NULL);
		/* the end before the copy: after it, what follows the old
		   NUL (a longer earlier text) would count too */
		if (n != (size_t)-1 && (used = strlen(buf)) + n < len) {
			memcpy(buf + used, mb, n);
			buf[used + n] = '\0';
		}
	}
	curs_set(0);
	return 0;
}

static const char *
selected_alert(struct tui *t)
{
	if (t->view == VIEW_ALERTS && t->cursor[VIEW_ALERTS] < t->nalerts)
		return t->alerts[t->cursor[VIEW_ALERTS]].id;
	if (t->view == VIEW_ALERT && t->page.a.id[0])
		return t->page.a.id;
	if (t->view == VIEW_EMPLOYEE && (size_t)t->cursor[VIEW_EMPLOYEE] <
	    t->person.nalerts)
		return t->person.alerts[t->cursor[VIEW_EMPLOYEE]].id;
	return NULL;
}

/* On the cases view and a case's page, triage acts on the case. */
static const char *
selected_case(struct tui *t)
{
	if (t->view == VIEW_CASES && t->cursor[VIEW_CASES] < t->ncases)
		return t->cases[t->cursor[VIEW_CASES]].id;
	if (t->view == VIEW_CASE && t->cpage.c.id[0])
		return t->cpage.c.id;
	return NULL;
}

/* The triage keys: the action each sends and what it asks for first. */
static const struct triage_key {
	int		 key;
	const char	*action;
	int		 want_note;
	int		 want_assignee;
} triage_keys[] = {
	{ 'a', "ack", 0, 0 },
	{ 'A', "assign", 0, 1 },
	{ 'c', "close_tp", 1, 0 },
	{ 'f', "close_fp", 1, 0 },
	{ 'r', "reopen", 1, 0 },
};

static void
triage(struct tui *t, const char *action, int want_note, int want_assignee)
{
	int is_case = t->view == VIEW_CASES || t->view == VIEW_CASE;
	const char *sel = is_case ? selected_case(t) : selected_alert(t);
	char id[TUI_ID_MAX], note[1024] = "", who[128] = "";

	if (sel == NULL) {
		snprintf(t->status, sizeof(t->status), "no %s selected",
		    is_case ? "case" : "alert");
		return;
	}
	snprintf(id, sizeof(id), "%s", sel);
	if (want_assignee && prompt("assign to: ", who, sizeof(who)) != 0)
		return;
	if (want_note && prompt("note: ", note, sizeof(note)) != 0)
		return;
	ctl_triage(t->control, is_case, id, action, note, who, t->status,
	    sizeof(t->status));
	load(t);
}

/* k as a triage key, if it is one. */
static void
triage_key(struct tui *t, int k)
{
	const struct triage_key *tk;

	for (tk = triage_keys; tk < triage_keys + sizeof(triage_keys) /
	    sizeof(triage_keys[0]); tk++)
		if (tk->key == k) {
			triage(t, tk->action, tk->want_note,
			    tk->want_assignee);
			return;
		}
}

static void
open_selected(struct tui *t)
{
	int c = t->cursor[t->view];
	char id[TUI_ID_MAX];

	if (t->view == VIEW_CASES && c < t->ncases) {
		model_case_page_clear(&t->cpage);
		snprintf(t->cpage.c.id, sizeof(t->cpage.c.id), "%s",
		    t->cases[c].id);
		t->view = VIEW_CASE;
		t->cursor[VIEW_CASE] = t->top[VIEW_CASE] = 0;
	} else if (t->view == VIEW_CASE && (size_t)c < t->cpage.nalerts) {
		snprintf(id, sizeof(id), "%s", t->cpage.alerts[c].id);
		model_alert_page_clear(&t->page);
		snprintf(t->page.a.id, sizeof(t->page.a.id), "%s", id);
		t->back = VIEW_CASE;
		t->view = VIEW_ALERT;
	} else if (t->view == VIEW_ALERTS && c < t->nalerts) {
		snprintf(id, sizeof(id), "%s", t->alerts[c].id);
		model_alert_page_clear(&t->page);
		snprintf(t->page.a.id, sizeof(t->page.a.id), "%s", id);
		t->back = t->view;
		t->view = VIEW_ALERT;
	} else if (t->view == VIEW_EMPLOYEES && c < t->nemps) {
		model_person_clear(&t->person);
		snprintf(t->person.employee, sizeof(t->person.employee), "%s",
		    t->emps[c].employee);
		t->back = t->view;
		t->view = VIEW_EMPLOYEE;
		t->cursor[VIEW_EMPLOYEE] = t->top[VIEW_EMPLOYEE] = 0;
	} else if (t->view == VIEW_EMPLOYEE && (size_t)c <
	    t->person.nalerts) {
		snprintf(id, sizeof(id), "%s", t->person.alerts[c].id);
		model_alert_page_clear(&t->page);
		snprintf(t->page.a.id, sizeof(t->page.a.id), "%s", id);
		t->back = VIEW_EMPLOYEE;
		t->view = VIEW_ALERT;
	} else if (t->view == VIEW_ALERT && t->page.a.employee[0]) {
		model_person_clear(&t->person);
		snprintf(t->person.employee, sizeof(t->person.employee), "%s",
		    t->page.a.employee);
		t->back = VIEW_ALERTS;
		t->view = VIEW_EMPLOYEE;
		t->cursor[VIEW_EMPLOYEE] = t->top[VIEW_EMPLOYEE] = 0;
	}
	load(t);
}

static void
go_view(struct tui *t, enum tui_view v)
{
	t->view = v;
	t->status[0] = '\0';
	load(t);
}

/* The list a filter applies to: the alerts there, else the cases. */
static enum tui_view
list_view(const struct tui *t)
{
	return t->view == VIEW_ALERTS || t->view == VIEW_ALERT ?
	    VIEW_ALERTS : VIEW_CASES;
}

/* One key; returns 1 to quit. */
static int
key(struct tui *t, int k)
{
	int n = count_of(t, t->view), *c = &t->cursor[t->view];
	static const char *const sevname[] = { "all", "medium and up",
	    "high and up", "critical" };

	if (t->help) {
		t->help = 0;
		return 0;
	}
	t->status[0] = '\0';
	switch (k) {
	case 'q':
	case 27:
		if (t->view == VIEW_CASE) {
			go_view(t, VIEW_CASES);
			return 0;
		}
		if (t->view == VIEW_ALERT || t->view == VIEW_EMPLOYEE) {
			go_view(t, t->back == t->view ? VIEW_ALERTS :
			    t->back);
			t->back = VIEW_ALERTS;
			return 0;
		}
		return k == 'q';
	case '\t':
		go_view(t, t->view >= VIEW_NVIEWS ? VIEW_CASES :
		    (enum tui_view)((t->view + 1) % VIEW_NVIEWS));
		break;
	case KEY_BTAB:
		go_view(t, t->view >= VIEW_NVIEWS ? VIEW_CASES :
		    (enum tui_view)((t->view + VIEW_NVIEWS - 1) %
		    VIEW_NVIEWS));
		break;
	case '1':
	case '2':
	case '3':
	case '4':
		go_view(t, (enum tui_view)(k - '1'));
		break;
	case KEY_DOWN:
	case 'j':
		if (*c + 1 < n)
			(*c)++;
		break;
	case KEY_UP:
	case 'k':
		if (*c > 0)
			(*c)--;
		break;
	case KEY_NPAGE:
	case ' ':
		*c = *c + draw_rows() < n ? *c + draw_rows() : (n ? n - 1 : 0);
		break;
	case KEY_PPAGE:
		*c = *c > draw_rows() ? *c - draw_rows() : 0;
		break;
	case 'g':
	case KEY_HOME:
		*c = 0;
		break;
	case 'G':
	case KEY_END:
		*c = n ? n - 1 : 0;
		break;
	case '\n':
	case '\r':
	case KEY_ENTER:
		open_selected(t);
		break;
	case '/':
		if (prompt("filter: ", t->filter.text,
		    sizeof(t->filter.text)) != 0)
			t->filter.text[0] = '\0';
		go_view(t, list_view(t));
		break;
	case 'o':
		t->filter.open_only = !t->filter.open_only;
		go_view(t, list_view(t));
		break;
	case 's':
		t->filter.min_sev = (t->filter.min_sev + 1) % 4;
		go_view(t, list_view(t));
		snprintf(t->status, sizeof(t->status), "severity: %s",
		    sevname[t->filter.min_sev]);
		break;
	case 'R':
		model_refresh(t->model);
		load(t);
		break;
	case '?':
		t->help = 1;
		break;
	case 12:	/* Ctrl-L */
		clearok(curscr, TRUE);
		break;
	case KEY_RESIZE:
		break;
	default:
		triage_key(t, k);
		break;
	}
	scroll_to_cursor(t);
	return 0;
}

static void
run(struct tui *t)
{
	struct tui_screen s;
	int64_t last = mono_ms();
	int k;

	initscr();
	cbreak();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	curs_set(0);
	set_escdelay(25);
	draw_init(t->color);
	load(t);
	for (;;) {
		screen_of(t, &s);
		draw(&s);
		timeout(t->refresh_ms);
		k = getch();
		if (k == ERR || mono_ms() - last >= t->refresh_ms) {
			/* Live: whatever the collector wrote meanwhile. */
			load(t);
			last = mono_ms();
			if (k == ERR)
				continue;
		}
		if (k == '\r')
			k = '\n';
		if (key(t, k))
			break;
	}
	endwin();
}

int
main(int argc, char **argv)
{
	struct tui t;
	struct tui_screen s;
	char err[512];

	memset(&t, 0, sizeof(t));
	setlocale(LC_ALL, "");
	log_init("leakwatch-tui", 1, 0);
	parse_args(&t, argc, argv);
	if ((t.model = model_open(t.dbpath, err, sizeof(err))) == NULL) {
		fprintf(stderr, "leakwatch-tui: %s\n", err);
		return 1;
	}
	asof_model = t.model;
	t.cases = xcalloc(MAX_CASES, sizeof(*t.cases));
	t.alerts = xcalloc(MAX_ALERTS, sizeof(*t.alerts));
	t.emps = xcalloc(MAX_EMPS, sizeof(*t.emps));
	t.agents = xcalloc(MAX_AGENTS, sizeof(*t.agents));
	if (t.print || !isatty(STDOUT_FILENO)) {
		t.ncases = model_cases(t.model, &t.filter, t.cases, 20);
		t.nalerts = model_alerts(t.model, &t.filter, t.alerts, 20);
		t.nemps = model_employees(t.model, now(), t.emps, 20);
		screen_of(&t, &s);
		s.ncases = t.ncases < 0 ? 0 : t.ncases;
		s.nalerts = t.nalerts < 0 ? 0 : t.nalerts;
		s.nemps = t.nemps < 0 ? 0 : t.nemps;
		if (t.print_employee != NULL) {
			model_person(t.model, t.print_employee, now(),
			    &t.person);
			draw_print_person(&t.person);
		} else
			draw_print(&s, 200);
	} else
		run(&t);
	model_person_clear(&t.person);
	model_alert_page_clear(&t.page);
	model_case_page_clear(&t.cpage);
	free(t.cases);
	free(t.alerts);
	free(t.emps);
	free(t.agents);
	model_close(t.model);
	conf_clear(collector_keys, &t.cfg);
	return 0;
}
