#!/bin/sh
# The analytics end to end through `leakwatch-collector --replay`: every
# default rule (rules/*.rules) on its positive and negative case
# (tests/rules/<rule>/, over a shared background of three weeks of a
# small office), `-t` exit codes and file:line:column errors, baseline
# state carried across two replays into one database, byte-identical
# output across runs, and input out of time order.
. "$(dirname "$0")/lib.sh"

R="$LW_TOP/tests/rules"
SENS="--sensitive crm.customer*=customer_pii --sensitive pay.*=payment --sensitive hr.*=employee_pii"

# replay NAME FILE... : alerts of the files (in any order) into $T/NAME.out
replay() {
	n=$1; shift
	rm -f "$T/$n.db"*
	# shellcheck disable=SC2086
	cat "$@" | "$COLLECTOR" --replay - --db "$T/$n.db" \
	    --directory "$R/directory.csv" $SENS --rules "$LW_TOP/rules" \
	    >"$T/$n.out" 2>"$T/$n.err"
}

# who RULE FILE : the employees RULE alerted on, sorted, space separated
who() {
	grep "\"rule\":\"$1\"" "$2" | sed 's/.*"employee":"\([^"]*\)".*/\1/' |
	    sort -u | tr '\n' ' ' | sed 's/ $//'
}

for d in "$R"/*/; do
	rule=$(basename "$d")
	[ -f "$d/pos.jsonl" ] || continue
	grep -q "^rule $rule " "$LW_TOP"/rules/*.rules ||
	    { fail "rule_$rule" "no such rule in rules/"; continue; }
	if replay pos "$R/background.jsonl" "$d/pos.jsonl"; then
		got=$(who "$rule" "$T/pos.out")
		if [ "$got" = "$(cat "$d/expected")" ]; then
			pass "rule_${rule}_positive"
		else
			fail "rule_${rule}_positive" "alerted on '$got', expected '$(cat "$d/expected")'"
		fi
	else
		fail "rule_${rule}_positive" "replay failed: $(tail -n 1 "$T/pos.err")"
	fi
	if replay neg "$R/background.jsonl" "$d/neg.jsonl"; then
		got=$(who "$rule" "$T/neg.out")
		check "rule_${rule}_negative" [ -z "$got" ]
	else
		fail "rule_${rule}_negative" "replay failed: $(tail -n 1 "$T/neg.err")"
	fi
done
# every default rule has its cases
for rule in $(sed -n 's/^rule \([a-z0-9_]*\) {.*/\1/p' "$LW_TOP"/rules/*.rules); do
	check "rule_${rule}_has_cases" test -f "$R/$rule/pos.jsonl" \
	    -a -f "$R/$rule/neg.jsonl" -a -f "$R/$rule/expected"
done

# --- -t ------------------------------------------------------------------
"$COLLECTOR" -t --rules "$LW_TOP/rules" $SENS >"$T/t.out" 2>&1
check t_default_rules_ok [ $? -eq 0 ]
check t_default_rules_counted grep -q "sensitivity classes, [0-9]* rules" "$T/t.out"
mkdir -p "$T/bad"
printf 'rule ok { on day when 1 severity low summary "s" }\n' >"$T/bad/a.rules"
printf '# bad\nrule x {\n  on day\n  when value(rows.nothing, day) > 1\n  severity low\n  summary "s"\n}\n' >"$T/bad/b.rules"
"$COLLECTOR" -t --rules "$T/bad" >"$T/t.out" 2>&1
check t_bad_rules_exit [ $? -eq 1 ]
check t_bad_rules_position grep -q "^leakwatch-collector: $T/bad/b.rules:4:14: unknown feature 'rows.nothing'" "$T/t.out"
"$COLLECTOR" -t --rules "$T/nonexistent" >"$T/t.out" 2>&1
check t_missing_dir_exit [ $? -eq 1 ]
printf 'employee,name\nann,Ann\nbad id,x\n' >"$T/dir.csv"
"$COLLECTOR" -t --directory "$T/dir.csv" >"$T/t.out" 2>&1
check t_bad_directory_exit [ $? -eq 1 ]
check t_bad_directory_line grep -q "dir.csv:3: employee: missing or not a valid id; line skipped" "$T/t.out"
printf 'listen 127.0.0.1:1\ndb %s/c.db\ninsecure yes\nrules %s/bad\n' "$T" "$T" >"$T/c.conf"
"$COLLECTOR" -t -c "$T/c.conf" >"$T/t.out" 2>&1
check t_config_with_bad_rules_exit [ $? -eq 1 ]
printf 'listen 127.0.0.1:1\ndb %s/c.db\ninsecure yes\nrules %s/rules\nsensitive "crm.customer*=customer_pii"\n' "$T" "$LW_TOP" >"$T/c.conf"
"$COLLECTOR" -t -c "$T/c.conf" >"$T/t.out" 2>&1
check t_config_ok_exit [ $? -eq 0 ]
# the examples in docs/rules.md are valid rules
mkdir -p "$T/docrules"
awk '/^```$/ { inb = !inb; next } inb' "$LW_TOP/docs/rules.md" |
    grep -v '^rules/site' >"$T/docrules/doc.rules"
"$COLLECTOR" -t --rules "$T/docrules" $SENS >"$T/t.out" 2>&1
check docs_rules_examples_load [ $? -eq 0 ]
check docs_rules_examples_counted grep -q ", 5 rules" "$T/t.out"
# the collector refuses to start with an invalid rule set
"$COLLECTOR" --replay "$R/background.jsonl" --db "$T/x.db" --rules "$T/bad" \
    >"$T/x.out" 2>&1
check replay_refuses_bad_rules [ $? -eq 1 ]

# --- determinism, order, restart -----------------------------------------
replay full "$R/background.jsonl" "$R/slow_drift/pos.jsonl" "$R/daily_score/pos.jsonl"
cp "$T/full.out" "$T/full1.out"
replay full "$R/background.jsonl" "$R/slow_drift/pos.jsonl" "$R/daily_score/pos.jsonl"
check replay_deterministic cmp -s "$T/full.out" "$T/full1.out"
check replay_has_alerts [ "$(wc -l <"$T/full.out")" -ge 3 ]
# the same events shuffled: the replay sorts them by time
cat "$R/background.jsonl" "$R/slow_drift/pos.jsonl" "$R/daily_score/pos.jsonl" |
    awk 'BEGIN { srand(7) } { printf("%.8f\t%s\n", rand(), $0) }' |
    sort -k1,1 | cut -f2- >"$T/shuffled.jsonl"
replay shuf "$T/shuffled.jsonl"
check replay_sorts_input cmp -s "$T/full.out" "$T/shuf.out"
# two replays into one database: the second carries on from the state of
# the first, so the alerts are the same as one replay of everything
cat "$R/background.jsonl" "$R/slow_drift/pos.jsonl" "$R/daily_score/pos.jsonl" |
    sort >"$T/all.jsonl"
awk -F'"ts":"' '{ split($2, a, "T"); if (a[1] < "2026-01-19") print }' "$T/all.jsonl" >"$T/first.jsonl"
awk -F'"ts":"' '{ split($2, a, "T"); if (a[1] >= "2026-01-19") print }' "$T/all.jsonl" >"$T/second.jsonl"
rm -f "$T/two.db"*
# shellcheck disable=SC2086
"$COLLECTOR" --replay "$T/first.jsonl" --db "$T/two.db" --directory "$R/directory.csv" \
    $SENS --rules "$LW_TOP/rules" >"$T/two.out" 2>"$T/two.err"
# shellcheck disable=SC2086
"$COLLECTOR" --replay "$T/second.jsonl" --db "$T/two.db" --directory "$R/directory.csv" \
    $SENS --rules "$LW_TOP/rules" >>"$T/two.out" 2>>"$T/two.err"
check restart_continues_baselines cmp -s "$T/full.out" "$T/two.out"
rm -f "$T/fresh.db"*
# shellcheck disable=SC2086
"$COLLECTOR" --replay "$T/second.jsonl" --db "$T/fresh.db" --directory "$R/directory.csv" \
    $SENS --rules "$LW_TOP/rules" >"$T/fresh.out" 2>/dev/null
check restart_needs_the_state [ "$(who slow_drift "$T/fresh.out")" = "" ]
check alerts_stored [ "$(sql "$T/two.db" "SELECT count(*) FROM alerts")" -eq "$(wc -l <"$T/two.out")" ]
check risk_stored [ "$(sql "$T/two.db" "SELECT count(*) FROM risk WHERE employee = 's1'")" -ge 1 ]
check alert_lines_validate sh -c "grep -c '^{\"type\":\"alert\",\"ts\":\"2026-' '$T/full.out' | grep -qx '$(wc -l <"$T/full.out")'"
# --- live: the same pipeline scores events as they arrive ----------------
PORT=$(free_port)
mkdir -p "$T/liverules"
cp "$LW_TOP"/rules/*.rules "$T/liverules/"
# shellcheck disable=SC2086
if start_collector live --listen 127.0.0.1:$PORT --db "$T/live.db" --insecure \
    --directory "$R/directory.csv" $SENS --rules "$T/liverules"; then
	# the events of the replay above, then one on the next day to close it
	cp "$T/all.jsonl" "$T/live.jsonl"
	printf '{"type":"db.session","ts":"2026-01-24T08:00:00.000000Z","db_system":"postgresql","action":"connect","db_user":"u_s1"}\n' >>"$T/live.jsonl"
	"$AGENT" $AG_USER --name live1 --collector 127.0.0.1:$PORT --insecure \
	    --backoff-min 50ms --spool "$T/lspool" --source "jsonl:$T/live.jsonl" \
	    --drain >"$T/lagent.log" 2>&1
	check live_agent_drained [ $? -eq 0 ]
	n=$(($(wc -l <"$T/live.jsonl")))
	wait_rows "$T/live.db" "$n" 20
	i=0
	while [ $i -lt 50 ] && ! grep -q "slow_drift" "$T/live.log"; do
		sleep 0.1; i=$((i + 1))
	done
	check live_alert_logged grep -q "alert [0-9a-f]*: s1 slow_drift (high" "$T/live.log"
	# scoring commits its batch after logging the alert: wait for the row
	i=0
	while [ $i -lt 50 ] && [ "$(sql "$T/live.db" "SELECT count(*) FROM alerts WHERE employee = 's1' AND rule = 'slow_drift'")" = 0 ]; do
		sleep 0.1; i=$((i + 1))
	done
	check live_alert_stored [ "$(sql "$T/live.db" "SELECT count(*) FROM alerts WHERE employee = 's1' AND rule = 'slow_drift'")" -ge 1 ]
	check live_same_ids_as_replay [ "$(sql "$T/live.db" "SELECT group_concat(id) FROM (SELECT id FROM alerts WHERE rule = 'slow_drift' ORDER BY id)")" = "$(grep '"rule":"slow_drift"' "$T/full.out" | sed 's/.*"id":"\([0-9a-f]*\)".*/\1/' | sort | paste -sd, -)" ]
	check live_events_have_employees [ "$(sql "$T/live.db" "SELECT count(*) FROM events e JOIN event_identity i ON i.event_id = e.id WHERE i.employee = 's1'")" -gt 100 ]
	# SIGHUP: a broken rules file is refused and the old set kept
	printf 'rule broken {\n  on day when nope > 1 severity low summary "s"\n}\n' >"$T/liverules/zz.rules"
	kill -HUP "$CPID"
	wait_log "$T/live.log" "keeping the old directory and rules: .*zz.rules:2:15: unknown field 'nope'" 5
	check sighup_keeps_old_rules [ $? -eq 0 ]
	rm "$T/liverules/zz.rules"
	kill -HUP "$CPID"
	wait_log "$T/live.log" "SIGHUP: $(grep -cv '^#\|^employee,' "$R/directory.csv") directory entries, $(grep -c '^rule ' "$LW_TOP"/rules/*.rules | awk -F: '{ s += $NF } END { print s }') rules" 5
	check sighup_reloads_rules [ $? -eq 0 ]
	kill "$CPID"
else
	fail live_collector_start "$(tail -n 3 "$T/live.log")"
fi
finish
