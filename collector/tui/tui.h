/*
 * leakwatch-tui: the analyst's terminal on the collector host. This header
 * is the map of the program. The model (model.c) is the only code that
 * reads the collector's database, over a read-only connection, through
 * the named queries of the schema (../schema.h); the
 * drawing (draw.c) only turns model rows into ncurses calls; the
 * control client (ctl.c) sends triage actions to the collector's
 * control socket, so the TUI itself never writes the database;
 * main.c owns the one context struct, keys and the refresh loop.
 */
#ifndef LEAKWATCH_TUI_H
#define LEAKWATCH_TUI_H

#include <stddef.h>
#include <stdint.h>

#define TUI_DAYS	30	/* chart span, days */
#define TUI_ID_MAX	64
#define TUI_TEXT_MAX	1024

enum tui_view {
	VIEW_CASES,		/* the first view: what to work on */
	VIEW_ALERTS,
	VIEW_EMPLOYEES,
	VIEW_AGENTS,
	VIEW_NVIEWS,		/* the Tab cycle ends here */
	VIEW_ALERT,		/* detail of one alert */
	VIEW_EMPLOYEE,		/* detail of one employee */
	VIEW_CASE,		/* one case's timeline */
	VIEW_COUNT
};

/* A row of the cases view (the schema's "case row"). */
struct tui_case {
	char		 id[TUI_ID_MAX];
	char		 kind[16];	/* person, group; alert (old db) */
	char		 subject[256];
	char		 members[1024];
	char		 department[128];
	char		 severity[16];
	double		 score;
	int64_t		 first_ts;
	int64_t		 last_ts;
	long long	 alerts;
	char		 story[TUI_TEXT_MAX];
	char		 status[32];
	char		 assignee[128];
};

struct tui_alert {
	char		 id[TUI_ID_MAX];
	int64_t		 ts;		/* first firing, us */
	int64_t		 last_ts;
	char		 employee[256];
	char		 department[128];
	char		 rule[128];
	char		 severity[16];
	double		 score;
	char		 status[32];
	char		 summary[TUI_TEXT_MAX];
	long long	 count;
};

struct tui_employee {
	char		 employee[256];
	char		 name[256];
	char		 department[128];
	char		 role[128];
	double		 risk;
	long long	 open_alerts;
	double		 rows[TUI_DAYS];	/* sensitive rows read per day */
	double		 bytes_out[TUI_DAYS];
	int		 trend;		/* -1, 0, 1: last 7 days vs before */
};

struct tui_agent {
	char		 agent[128];
	char		 addr[64];
	int		 connected;
	int64_t		 last_seen;
	char		 version[32];
	long long	 spool_events;
	long long	 dropped;
	long long	 errors;
	long long	 skew_ms;
	int		 stale;
};

/* One employee's page. */
struct tui_person {
	char		 employee[256];
	char		 name[256];
	char		 department[128];
	char		 role[128];
	char		 manager[256];
	char		 leave[32];
	double		 risk;
	double		 rows[TUI_DAYS];
	double		 rows_lo[TUI_DAYS];	/* baseline band */
	double		 rows_hi[TUI_DAYS];
	double		 bytes_out[TUI_DAYS];
	struct tui_alert *alerts;
	size_t		 nalerts;
	char		 (*firsts)[300];	/* first-seen tables/dests */
	size_t		 nfirsts;
	char		 (*events)[300];	/* latest events, one line each */
	size_t		 nevents;
};

/* One alert's page: the alert, its evidence flattened, its audit trail. */
struct tui_alert_page {
	struct tui_alert a;
	char		 (*evidence)[TUI_TEXT_MAX];
	size_t		 nevidence;
	char		 (*audit)[TUI_TEXT_MAX];
	size_t		 naudit;
};

/*
 * One case's page: the case, its timeline (its alerts, oldest first,
 * each with a line of its evidence's figures) and its audit trail.
 */
struct tui_case_page {
	struct tui_case	 c;
	struct tui_alert *alerts;
	char		 (*evidence)[TUI_TEXT_MAX]; /* one per alert */
	size_t		 nalerts;
	char		 (*audit)[TUI_TEXT_MAX];
	size_t		 naudit;
};

struct tui_filter {
	char		 text[128];	/* substring of employee/rule/summary */
	int		 open_only;
	int		 min_sev;	/* 0 low .. 3 critical */
};

/* model.c */
struct tui_model;
struct tui_model *model_open(const char *dbpath, char *err, size_t errlen);
void		 model_close(struct tui_model *);
/* Re-opens after the collector replaced or restarted the database. */
int		 model_refresh(struct tui_model *);
int64_t		 model_day_start(int64_t us);
int64_t		 model_asof(struct tui_model *, int64_t wall);
/* Rows for a view; each returns how many (0.. max), -1 on error. */
int		 model_cases(struct tui_model *, const struct tui_filter *,
		    struct tui_case *, size_t max);
/* model_case_page(), model_alert_page(): pg is zeroed or read before (it
 * is cleared first);
 * id may be pg's own and stays in pg when the page cannot be read. */
int		 model_case_page(struct tui_model *, const char *id,
		    struct tui_case_page *);
void		 model_case_page_clear(struct tui_case_page *);
int		 model_alerts(struct tui_model *, const struct tui_filter *,
		    struct tui_alert *, size_t max);
int		 model_employees(struct tui_model *, int64_t now,
		    struct tui_employee *, size_t max);
int		 model_agents(struct tui_model *, int64_t now,
		    struct tui_agent *, size_t max);
int		 model_person(struct tui_model *, const char *employee,
		    int64_t now, struct tui_person *);
void		 model_person_clear(struct tui_person *);
int		 model_alert_page(struct tui_model *, const char *id,
		    struct tui_alert_page *);
void		 model_alert_page_clear(struct tui_alert_page *);
int		 model_sev_rank(const char *severity);
const char	*model_error(const struct tui_model *);

/* ctl.c */
int		 ctl_triage(const char *sock, int is_case, const char *id,
		    const char *action, const char *note,
		    const char *assignee, char *msg, size_t msglen);

/* draw.c */
struct tui_screen {
	enum tui_view	 view;
	int		 cursor;
	int		 top;
	const char	*status;	/* bottom line message */
	int		 help;
	int		 color;
	const struct tui_filter *filter;
	const struct tui_case *cases;
	int		 ncases;
	const struct tui_case_page *cpage;
	const struct tui_alert *alerts;
	int		 nalerts;
	const struct tui_employee *emps;
	int		 nemps;
	const struct tui_agent *agents;
	int		 nagents;
	const struct tui_person *person;
	const struct tui_alert_page *page;
	int64_t		 now;
};

void		 draw_init(int color);
void		 draw(const struct tui_screen *);
int		 draw_rows(void);	/* list rows that fit */
int		 draw_case_rows(void);	/* timeline entries that fit */
void		 draw_prompt(const char *label, const char *text);
/* Renders the cases, alerts and employees views as text (--print). */
void		 draw_print(const struct tui_screen *, int width);
/* One employee's identity and latest events as text (--employee). */
void		 draw_print_person(const struct tui_person *);
size_t		 str_cols(const char *s);
void		 sparkline(const double *v, size_t n, char *out, size_t len);

#endif
