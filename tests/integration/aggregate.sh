#!/bin/sh
# Aggregated db.query events (docs/events.md, `count`) mean to the
# collector what the statements they fold mean. One lwsim organisation
# (100 employees x 14 days, its applications re-running small reads:
# app.repeat 4) is written one event per statement and again with
# `--aggregate 10`, lwsim's own folding by the agent's rules, and both
# are replayed: the per-employee per-hour features (rows, queries,
# result bytes, sensitive and off-hours rows, tables, bytes out, as an
# hourly rule prints them), the per-day readers' table (an_daily) and the
# default rules' alerts must be identical, from far fewer events. The
# event rules that add rows up fire on the folded form of their cases
# as on the statements (tests/rules/*/agg-*.jsonl), a rule about one
# statement's rows (max_rows) does not take 500 small statements for one
# huge one (tests/rules/aggregate/), and the TUI shows an aggregate's
# query count (--print --employee).
. "$(dirname "$0")/lib.sh"

SIM="$LW_BUILD/tests/lwsim"
TUI="$LW_BUILD/leakwatch-tui"
R="$LW_TOP/tests/rules"

# What seed 7 writes; a change to lwsim or its folding shows here first.
STATEMENTS=175721
RAW_EVENTS=200545
AGG_EVENTS=71311
AGG_QUERIES=46487
ACTIVE_HOURS=7221	# employee-hours with an event

for mode in raw agg; do
	a=
	[ $mode = agg ] && a="--aggregate 10"
	# shellcheck disable=SC2086
	"$SIM" --seed 7 --employees 100 --days 14 --set app.repeat=4 $a \
	    --out "$T/$mode" >/dev/null 2>"$T/$mode.sim" ||
	    fail "lwsim_$mode" "$(tail -n 1 "$T/$mode.sim")"
done
nraw=$(wc -l <"$T/raw/events.jsonl")
nagg=$(wc -l <"$T/agg/events.jsonl")
nq=$(grep -c '"type":"db.query"' "$T/agg/events.jsonl")
check raw_events [ "$nraw" = $RAW_EVENTS ]
check agg_events [ "$nagg" = $AGG_EVENTS ]
check agg_queries [ "$nq" = $AGG_QUERIES ]
check agg_says_statements grep -q "^lwsim: --aggregate 10: $STATEMENTS statements in $AGG_QUERIES db.query events" "$T/agg.sim"
# the same statements: the counts of the folded stream add up
sum=$(sed -n 's/.*"count":\([0-9]*\).*/\1/p' "$T/agg/events.jsonl" |
    awk '{ s += $1 - 1 } END { print s + 0 }')
check agg_counts_add_up [ $((nq + sum)) = $STATEMENTS ]
echo "aggregate: $nagg events for $nraw ($(awk -v a="$nagg" -v r="$nraw" \
    'BEGIN { printf "%.1f%%", 100 * a / r }')), $nq db.query for $STATEMENTS statements"

# The default rules and an hourly rule that prints every hour's features.
mkdir -p "$T/rules" "$T/probe"
cp "$LW_TOP"/rules/*.rules "$T/rules/"
cat >"$T/probe/probe.rules" <<'EOF'
rule hour_features {
	on hour
	when 1
	severity low
	score 0
	summary "{value(rows, hour)} {value(queries, hour)} {value(result_bytes, hour)} {value(rows.sensitive, hour)} {value(offhours.rows, hour)} {value(tables, hour)} {value(out.exfil, hour)}"
	suppress 1s
}
EOF
# replay OUT EVENTS RULES
replay() {
	# shellcheck disable=SC2046
	"$COLLECTOR" --replay "$2" --db "$T/$1.db" --rules "$3" \
	    --directory "$T/raw/directory.csv" $(cat "$T/raw/sensitive.args") \
	    >"$T/$1.out" 2>"$T/$1.err" ||
	    fail "replay_$1" "$(tail -n 1 "$T/$1.err")"
}
replay raw "$T/raw/events.jsonl" "$T/rules"
replay agg "$T/agg/events.jsonl" "$T/rules"
replay hraw "$T/raw/events.jsonl" "$T/probe"
replay hagg "$T/agg/events.jsonl" "$T/probe"

nh=$(grep -c '"rule":"hour_features"' "$T/hraw.out")
check hourly_rows_every_active_hour [ "$nh" = $ACTIVE_HOURS ]
check hourly_features_identical cmp "$T/hraw.out" "$T/hagg.out"
q() { sqlite3 "$T/$1.db" "$2"; }
check hourly_queries_are_statements [ "$(grep -o '"value(queries, hour)":[0-9]*' \
    "$T/hagg.out" | awk -F: '{ s += $2 } END { print s }')" = $STATEMENTS ]
daily="SELECT employee, day, feature, value, lo, hi FROM an_daily ORDER BY 1, 2, 3"
check daily_features_identical [ "$(q raw "$daily" | md5sum)" = "$(q agg "$daily" | md5sum)" ]
check daily_features_rows [ "$(q agg "SELECT count(*) FROM an_daily")" -gt 1000 ]
# (how many the default rules raise is theirs to change: not pinned here)
na=$(wc -l <"$T/raw.out")
check alerts_present [ "$na" -gt 0 ]
check alerts_identical cmp "$T/raw.out" "$T/agg.out"
check stored_fewer [ "$(q agg "SELECT count(*) FROM events")" = $AGG_EVENTS ]
echo "aggregate: $na alerts, $nh employee-hours"

# The event rules' cases, folded.
SENS="--sensitive crm.customer*=customer_pii --sensitive pay.*=payment --sensitive hr.*=employee_pii"
# who RULE FILE : the employees RULE alerted on, sorted, space separated
who() {
	grep "\"rule\":\"$1\"" "$2" | sed 's/.*"employee":"\([^"]*\)".*/\1/' |
	    sort -u | tr '\n' ' ' | sed 's/ $//'
}
# case NAME RULES FILE... : alerts into $T/NAME.out
rcase() {
	n=$1 rd=$2; shift 2
	rm -f "$T/$n.db"*
	# shellcheck disable=SC2086
	cat "$@" | "$COLLECTOR" --replay - --db "$T/$n.db" \
	    --directory "$R/directory.csv" $SENS --rules "$rd" \
	    >"$T/$n.out" 2>"$T/$n.err"
}
for f in "$R"/*/agg-pos.jsonl; do
	d=$(dirname "$f") rule=$(basename "$(dirname "$f")")
	rcase pos "$LW_TOP/rules" "$R/background.jsonl" "$f"
	check "rule_${rule}_folded_positive" [ "$(who "$rule" "$T/pos.out")" = "$(cat "$d/expected")" ]
	rcase neg "$LW_TOP/rules" "$R/background.jsonl" "$d/agg-neg.jsonl"
	check "rule_${rule}_folded_negative" [ -z "$(who "$rule" "$T/neg.out")" ]
done
mkdir -p "$T/huge"
cat >"$T/huge/huge.rules" <<'EOF'
rule one_huge_query {
	on event db.query
	when max_rows >= 10000 and sensitive
	severity medium
	summary "one query returned {max_rows} sensitive rows ({count} statements, {rows_read} rows)"
}
EOF
rcase huge "$T/huge" "$R/background.jsonl" "$R/aggregate/events.jsonl"
check rule_max_rows_one_statement [ "$(who one_huge_query "$T/huge.out")" = "$(cat "$R/aggregate/expected")" ]
check rule_max_rows_summary grep -q '"summary":"one query returned 20,000 sensitive rows (1 statements, 20,000 rows)"' "$T/huge.out"

# The TUI: an aggregate's line ends its rows with its query count.
emp=$(q agg "SELECT i.employee FROM events e JOIN event_identity i ON \
    i.event_id = e.id WHERE e.type = 'db.query' AND e.json LIKE \
    '%\"count\":%' ORDER BY e.id DESC LIMIT 1")
"$TUI" --db "$T/agg.db" --print --employee "$emp" >"$T/tui.out" 2>&1
check tui_employee_exit [ $? -eq 0 ]
check tui_employee_header grep -q "^EMPLOYEE $emp " "$T/tui.out"
check tui_count_shown grep -Eq '^[0-9-]{10} [0-9:]{5}  SELECT .* rows x[0-9]+  ' "$T/tui.out"
"$TUI" --db "$T/raw.db" --print --employee "$emp" >"$T/tui-raw.out" 2>&1
check tui_raw_no_count [ "$(grep -c ' rows x' "$T/tui-raw.out")" = 0 ]
check tui_raw_events grep -q '^LATEST EVENTS ([1-9]' "$T/tui-raw.out"
"$TUI" --db "$T/agg.db" --employee "$emp" >"$T/tui-bad.out" 2>&1
check tui_employee_needs_print [ $? -eq 2 ]
finish
