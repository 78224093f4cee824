#!/bin/sh
# `make demo` must keep working. First with stdout not a terminal: it
# exits 0, every simulated event and the decoded real captures are stored
# by three agents over TLS, the real capture decoded to the rows psql read
# and the bytes curl sent, the two injected insiders (lwsim's labels) are
# the two top-ranked employees of the printed ranking, the real
# read-then-upload raised its alert, and nothing is left running
# (collector, agents, PostgreSQL, nginx, tcpdump); the insiders' cases
# are the top two printed and the incident day is one group case. Then
# interactively in tmux: the TUI opens on the cases with the
# smash-and-grab insider's case on screen, and `q` ends the demo cleanly.
. "$(dirname "$0")/lib.sh"

D="$T/demo"
t0=$(date +%s)
out=$(NO_TUI=1 DEMO_DIR="$D" sh "$LW_TOP/tests/demo.sh" "$LW_BUILD" 2>&1)
rc=$?
echo "demo: $(($(date +%s) - t0)) s"
echo "$out" | sed -n '/^EMPLOYEES BY RISK/,/^   3 /p'
check demo_exit_0 [ $rc -eq 0 ]
[ $rc -eq 0 ] || echo "$out" | tail -n 15

grep_label() {
	grep "\"scenario\":\"$1\"" "$D/sim/labels.jsonl" 2>/dev/null |
	    sed 's/.*"employee":"\([^"]*\)".*/\1/'
}
THIEF=$(grep_label a)
GRAB=$(grep_label b)
check demo_labels [ -n "$THIEF" -a -n "$GRAB" ]
nsim=$(grep -c . "$D/sim/events.jsonl" 2>/dev/null)
nreal=$(cat "$D/real-db.jsonl" "$D/real-net.jsonl" 2>/dev/null | grep -c .)
stored=$(sql "$D/collector.db" "SELECT count(*) FROM events")
check demo_stored_all [ "${stored:-0}" -eq $((nsim + nreal)) -a "$nreal" -gt 0 ]
agents=$(sql "$D/collector.db" "SELECT group_concat(agent) FROM (SELECT DISTINCT agent FROM events ORDER BY 1)")
check demo_three_agents [ "$agents" = "db-crm,gw-egress,lwsim" ]
# psql read 4 x 12,000 rows; curl sent most of its 600 MiB (nginx answers
# before the end of the body and curl stops): over the 500M of the rule
rows=$(sql "$D/collector.db" "SELECT sum(json_extract(json, '\$.rows_returned')) FROM events WHERE agent = 'db-crm' AND type = 'db.query'")
check demo_real_rows [ "$rows" = 48000 ]
bytes=$(sql "$D/collector.db" "SELECT max(json_extract(json, '\$.bytes_out')) FROM events WHERE agent = 'gw-egress'")
check demo_real_upload [ "${bytes:-0}" -gt 524288000 ]
check demo_real_category [ "$(sql "$D/collector.db" "SELECT json_extract(json, '\$.category') FROM events WHERE agent = 'gw-egress' LIMIT 1")" = cloud_storage ]
# the printed ranking: the two insiders first, in either order
top2=$(echo "$out" | sed -n '/^EMPLOYEES BY RISK/,$p' |
    awk '$1 == 1 || $1 == 2 { print $2 }' | sort | tr '\n' ' ')
want=$(printf '%s\n%s\n' "$THIEF" "$GRAB" | sort | tr '\n' ' ')
check demo_insiders_top2 [ "$top2" = "$want" ]
# the printed cases: the two insiders' first, in either order; the
# simulated incident day (one team reading a table for the first time)
# is one low group case
cases=$(echo "$out" | sed -n '/^CASES/,/^$/p')
echo "$cases"
top2c=$(echo "$cases" | awk 'NR == 3 || NR == 4 { print $2 }' | sort | tr '\n' ' ')
check demo_insiders_top2_cases [ "$top2c" = "$want" ]
check demo_one_group_case [ "$(echo "$cases" | grep -c '^low  *group:.* for the first time on ')" = 1 ]
check demo_incident_members [ "$(sql "$D/collector.db" "SELECT length(members) - length(replace(members, ',', '')) + 1 FROM cases WHERE kind = 'group'")" -ge 3 ]
check demo_alerts_printed contains "$out" "^ALERTS"
# issue 18: a usual of nothing is never given as the reason for an alert
check demo_no_usual_zero [ "$(sql "$D/collector.db" "SELECT count(*) FROM alerts WHERE summary GLOB '*x your usual 0[;, ]*' OR summary GLOB '*x your usual 0'")" = 0 ]
check demo_thief_alerted contains "$out" " $THIEF .*slow_drift"
n=$(sql "$D/collector.db" "SELECT count(*) FROM alerts WHERE employee = '$GRAB' AND rule = 'read_then_upload' AND json LIKE '%content.dropboxapi.com%' AND ts >= $(date -u -d 2026-11-30 +%s)000000")
check demo_real_read_then_upload [ "${n:-0}" -ge 1 ]
check demo_no_literals [ "$(grep -c 'example.com\|Customer 1' "$D/real-db.jsonl")" = 0 ]
left=$(pgrep -f "$D" | wc -l)
check demo_nothing_running [ "$left" = 0 ]
W=$(cat "$D/workdir" 2>/dev/null)
# PostgreSQL, nginx, tcpdump and the agents all ran with paths under W
check demo_workdir_nothing_running [ -n "$W" -a "$(pgrep -f "$W" | wc -l)" = 0 -a ! -e "$W" ]

# Interactive: a terminal in tmux.
if ! command -v tmux >/dev/null; then
	skip demo_tui "tmux not installed"
	finish
	exit
fi
D2="$T/demo2"
TM="tmux -L lwdemo$$ -f /dev/null"
$TM new-session -d -s demo -x 160 -y 45 \
    "env TERM=xterm-256color LANG=C.UTF-8 DEMO_DIR=$D2 sh $LW_TOP/tests/demo.sh $LW_BUILD; echo demo-exit=\$?; sleep 30" ||
    { fail demo_tui "tmux"; finish; exit; }
trap '$TM kill-server 2>/dev/null; cleanup' EXIT
screen() { $TM capture-pane -p -t demo; }
i=0
while [ $i -lt 600 ]; do
	screen | grep -q "leakwatch  *Cases" && break
	screen | grep -q "demo-exit=" && break
	sleep 0.5; i=$((i + 1))
done
sleep 1
s=$(screen)
check demo_tui_opened contains "$s" "leakwatch  *Cases"
check demo_tui_insider_case contains "$s" "critical  *$GRAB "
$TM send-keys -t demo q
i=0
while [ $i -lt 40 ]; do
	screen | grep -q "demo-exit=" && break
	sleep 0.25; i=$((i + 1))
done
check demo_tui_quit_exit_0 contains "$(screen)" "demo-exit=0"
$TM kill-server 2>/dev/null
sleep 0.3
check demo_tui_nothing_running [ "$(pgrep -f "$D2" | wc -l)" = 0 ]
W2=$(cat "$D2/workdir" 2>/dev/null)
check demo_tui_workdir_nothing_running [ -n "$W2" -a "$(pgrep -f "$W2" | wc -l)" = 0 ]
finish
