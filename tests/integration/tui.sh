#!/bin/sh
# The analyst TUI in a real terminal: tmux runs leakwatch-tui on a
# database built by the simulator and --replay, with a live collector
# (control socket) on the same database; the test sends keys and reads
# the screen with capture-pane. Checks: --print starts with the cases;
# the first view lists cases, the slow-theft employee's with their
# department; Enter opens its timeline (alerts with evidence figures);
# `a` acknowledges the case through the control socket (case, its alerts
# and the audit trail under the case id); the slow-theft employee is in
# the alerts view and ranked in the employees view; Enter opens their page
# with the rows-read chart; closing an alert as true positive with a note
# changes the status on screen and in the audit table; an alert written
# while the TUI runs appears without a key; 80x24 and 200x60 stay
# readable; `?` shows the help; the TUI survives a collector restart.
. "$(dirname "$0")/lib.sh"
TUI="$LW_BUILD/leakwatch-tui"
command -v tmux >/dev/null || { skip setup "tmux not installed"; exit 0; }

"$LW_BUILD/tests/lwsim" --seed 7 --out "$T/sim" --employees 40 --days 40 \
    --scenarios a,b >/dev/null 2>&1 || { fail setup "lwsim"; exit 1; }
THIEF=$(grep '"scenario":"a"' "$T/sim/labels.jsonl" | sed 's/.*"employee":"\([^"]*\)".*/\1/')
"$COLLECTOR" --replay "$T/sim/events.jsonl" --db "$T/c.db" \
    --directory "$T/sim/directory.csv" $(cat "$T/sim/sensitive.args") \
    --rules "$LW_TOP/rules" >"$T/alerts.jsonl" 2>"$T/replay.log" ||
    { fail setup "replay: $(tail -2 "$T/replay.log")"; exit 1; }
check setup/thief-alerted grep -q "\"employee\":\"$THIEF\"" "$T/alerts.jsonl"

# --print: the cases first, the thief's among them, one line each
"$TUI" --db "$T/c.db" --print >"$T/print.out" 2>&1
check print/exit [ $? -eq 0 ]
check print/cases-first [ "$(head -1 "$T/print.out" | sed 's/ (.*//')" = CASES ]
check print/cases-header grep -q "^SEVERITY  *WHO  *DEPARTMENT  *FIRST  *LAST  *ALERTS  *SCORE  *STATUS  *STORY" "$T/print.out"
DEPT=$(grep "^$THIEF," "$T/sim/directory.csv" | cut -d, -f3)
NCASE=$(sql "$T/c.db" "SELECT count(*) FROM cases WHERE status = 'open'")
check print/cases-count grep -q "^CASES ($NCASE)$" "$T/print.out"
TCASE=$(sql "$T/c.db" "SELECT severity || ' ' || alerts FROM cases WHERE subject = '$THIEF'")
check print/thief-case grep -q "^${TCASE% *}  *$THIEF  *$DEPT  .*  ${TCASE#* }  *[0-9]*  *open  " "$T/print.out"

PORT=$(free_port)
start_collector live --listen "127.0.0.1:$PORT" --db "$T/c.db" --insecure \
    --control-socket "$T/ctl.sock" || { fail setup "collector"; exit 1; }

TM="tmux -L lwtui$$ -f /dev/null"
$TM new-session -d -s tui -x 120 -y 40 \
    "env TERM=xterm-256color LANG=C.UTF-8 LC_ALL=C.UTF-8 $TUI --db $T/c.db --control $T/ctl.sock --refresh 300 2>$T/tui.err" ||
    { fail setup "tmux"; exit 1; }
PIDS="$PIDS $($TM display -p -t tui '#{pid}')"
cleanup_tmux() { $TM kill-server 2>/dev/null; }
trap 'cleanup_tmux; cleanup' EXIT

screen() { $TM capture-pane -p -t tui; }
keys() { $TM send-keys -t tui "$@"; sleep 0.5; }
# wait_screen PATTERN : until the screen shows it (5 s)
wait_screen() {
	i=0
	while [ $i -lt 50 ]; do
		screen | grep -q -- "$1" && return 0
		sleep 0.1; i=$((i + 1))
	done
	return 1
}

check cases/title wait_screen "leakwatch  *Cases  *Alerts"
check cases/header wait_screen "SEVERITY.*WHO.*DEPARTMENT.*FIRST.*LAST.*STORY"
check cases/thief-listed wait_screen "$THIEF  *$DEPT "
# Enter on the thief's case (filtered to them): its timeline
keys /
$TM send-keys -t tui "$THIEF" Enter
sleep 0.5
keys Enter
RULE=$(sql "$T/c.db" "SELECT a.rule FROM case_alerts l JOIN alerts a ON a.id = l.alert_id JOIN cases c ON c.id = l.case_id WHERE c.subject = '$THIEF' ORDER BY a.ts, a.id LIMIT 1")
check case/page wait_screen "case $(sql "$T/c.db" "SELECT id FROM cases WHERE subject = '$THIEF'")"
check case/timeline wait_screen "$THIEF .*$RULE"
check case/evidence wait_screen "value(rows.sensitive, day) [0-9]"
KID=$(sql "$T/c.db" "SELECT id FROM cases WHERE subject = '$THIEF'")
keys a
check case/acked-screen wait_screen "acknowledged"
check case/acked-db [ "$(sql "$T/c.db" "SELECT status FROM cases WHERE id = '$KID'")" = acknowledged ]
check case/alerts-acked [ "$(sql "$T/c.db" "SELECT count(*) FROM alerts a JOIN case_alerts l ON l.alert_id = a.id WHERE l.case_id = '$KID' AND a.status <> 'acknowledged'")" = 0 ]
check case/audit [ "$(sql "$T/c.db" "SELECT analyst || '|' || action FROM triage_audit WHERE alert_id = '$KID'")" = "$(id -un)|ack" ]
keys Escape
check case/back wait_screen "SEVERITY.*WHO"
keys /
$TM send-keys -t tui Enter
sleep 0.3

keys 2
check alerts/title wait_screen "leakwatch  *Cases  *Alerts"
check alerts/thief-listed wait_screen "$THIEF .*slow_drift"
check alerts/header wait_screen "SEVERITY.*EMPLOYEE.*RULE.*SCORE.*STATUS"
check alerts/department wait_screen "$THIEF  *$DEPT  *slow_drift"

keys Tab
check employees/view wait_screen "SENSITIVE ROWS/DAY"
rank=$(screen | awk -v e="$THIEF" '$2 == e { print $1 }')
check employees/thief-ranked [ "${rank:-99}" -le 3 ]
# The thief's sensitive-rows sparkline has bars (an_daily is written).
check employees/sparkline sh -c "$TM capture-pane -p -t tui | grep \" $THIEF \" | grep -q '[▂▃▄▅▆▇█]'"

# Enter on the thief: move the cursor to their row first.
i=1
while [ "$i" -lt "${rank:-1}" ]; do keys Down; i=$((i + 1)); done
keys Enter
check person/page wait_screen "sensitive rows/day, max [0-9]"
check person/latest-events wait_screen "SELECT crm.customer"
check person/name wait_screen "^$THIEF"
keys Escape
keys 2
check back/alerts wait_screen "SEVERITY.*EMPLOYEE"

# Filter to the thief, close the top alert as a true positive.
keys /
$TM send-keys -t tui "$THIEF" Enter
sleep 0.5
check filter/typed-again wait_screen "filter: /$THIEF\$"
keys c
$TM send-keys -t tui "confirmed with HR" Enter
sleep 0.8
check triage/screen wait_screen "closed_true_po"
# The top row's alert: the thief's alerts that last share their last
# evidence (a streak's and a drift's window move with each firing), so
# which of them sorts first among equals is the list's to say.
ID=$(sql "$T/c.db" "SELECT id FROM alerts WHERE employee = '$THIEF' AND status = 'closed_true_positive'")
check triage/db [ "$(sql "$T/c.db" "SELECT count(*) || ' ' || max(last_ts = (SELECT max(last_ts) FROM alerts WHERE employee = '$THIEF')) FROM alerts WHERE employee = '$THIEF' AND status = 'closed_true_positive'")" = "1 1" ]
row=$(sql "$T/c.db" "SELECT analyst || '|' || action || '|' || note FROM triage_audit WHERE alert_id = '$ID'")
check triage/audit [ "$row" = "$(id -un)|close_tp|confirmed with HR" ]
keys /
$TM send-keys -t tui Enter
sleep 0.3

# A new alert, written while the TUI runs, shows without a key press.
sql "$T/c.db" "INSERT INTO alerts (id, ts, last_ts, until_ts, employee, rule, severity, score, summary, evidence, count, status, json) VALUES ('feedfacefeedface', 1769990400000000, 4102444800000000, 4102444800000000, 'zoë.ñ', 'live_test_rule', 'critical', 99, 'inserted while the TUI runs', '{}', 1, 'open', '{}')"
check live/new-alert wait_screen "zoë.ñ .*live_test_rule"

keys '?'
check help/shown wait_screen "close as true / false positive"
keys q
check help/closed wait_screen "SEVERITY.*EMPLOYEE"

$TM resize-window -t tui -x 80 -y 24
sleep 0.6
s=$(screen)
check resize/80x24-header contains "$s" "TIME .*SEVERITY.*EMPLOYEE"
check resize/80x24-footer contains "$s" "?:help"
w=$(printf '%s\n' "$s" | awk '{ if (length($0) > m) m = length($0) } END { print m + 0 }')
check resize/80x24-width [ "$w" -le 80 ]
$TM resize-window -t tui -x 200 -y 60
sleep 0.6
check resize/200x60-summary wait_screen "SUMMARY"

# The collector restarts under the TUI; the TUI stays up and current.
kill -TERM "$CPID"; wait "$CPID" 2>/dev/null
start_collector live2 --listen "127.0.0.1:$PORT" --db "$T/c.db" --insecure \
    --control-socket "$T/ctl.sock" || fail restart/collector "did not start"
sleep 0.6
check restart/tui-alive wait_screen "SEVERITY.*EMPLOYEE"
keys 3
check restart/still-reads wait_screen "$THIEF"
check tui/no-stderr [ ! -s "$T/tui.err" ]
[ -z "$FAILED" ]
