#!/bin/sh
# leakwatch-ctl, the operator's command (docs/operations.md), against a
# real collector:
#  - agents: one agent still connected (ok), one that drained and left
#    (disconnected), event counts per agent, a recorded gap shown as a
#    note, --check failing while an agent needs attention;
#  - secret-issue / secret-revoke: the secret printed once, only its
#    SHA-256 in the file; the collector welcomes the agent with that
#    secret, and after revoke + SIGHUP refuses it; --out writes a 0600
#    file; a duplicate name is refused;
#  - config: the same lines as `leakwatch-collector -t -v`;
#  - vacuum: events older than the retention go, except alert events and
#    the events within --keep-around of an alert; --dry-run deletes
#    nothing; `retention` from the configuration file is used;
#  - cases: listed with their person, severity and story; one case
#    shown with its timeline; acknowledged, assigned and closed through
#    a live collector's control socket - the case and its alert move,
#    each action audited under the case's id with the caller's login
#    name and shown by `case ID`; an unknown case is refused.
. "$(dirname "$0")/lib.sh"
CTL="$LW_BUILD/leakwatch-ctl"
PEER="$LW_BUILD/tests/lwpeer"

# --- agents ---------------------------------------------------------------
gen_events 300 a >"$T/a.jsonl"
gen_events 200 b >"$T/b.jsonl"
PORT=$(free_port)
start_collector c --listen 127.0.0.1:$PORT --db "$T/c.db" --insecure ||
    { fail setup "collector did not start"; exit 1; }
start_agent gone --name gone --collector 127.0.0.1:$PORT --insecure \
    --spool "$T/gone.spool" --source "jsonl:$T/b.jsonl" --drain
wait "$APID"
start_agent live --name live --collector 127.0.0.1:$PORT --insecure \
    --spool "$T/live.spool" --source "jsonl:$T/a.jsonl" --heartbeat 1s
wait_rows "$T/c.db" 500 20 || fail setup "events not stored"
sleep 1.5
out=$("$CTL" --db "$T/c.db" agents 2>"$T/ctl.err")
rc=$?
echo "$out"
check agents_exit_0 [ $rc -eq 0 ]
check agents_header contains "$out" "^AGENT  *STATE  *LAST SEEN"
check agents_live_ok contains "$out" "^live  *ok .* 300  *[0-9]*  *0  -$"
check agents_gone_disconnected contains "$out" "^gone  *disconnected .* 200 "
check agents_summary grep -q "^2 agents, 1 need attention" "$T/ctl.err"
# the scorer keeps up with 500 events within the 1.5 s above
check agents_scoring_backlog grep -q "^scoring: 0 events stored but not yet scored$" "$T/ctl.err"
"$CTL" --db "$T/c.db" agents --check >/dev/null 2>&1
check agents_check_fails [ $? -eq 1 ]
sql "$T/c.db" "INSERT INTO gaps (agent, instance, first_seq, last_seq, ts) VALUES ('live', 'x', 5, 9, 1)"
out=$("$CTL" --db "$T/c.db" agents 2>/dev/null)
check agents_gap_note contains "$out" "^live  *ok .*gaps:1$"
"$CTL" --db "$T/nonexistent.db" agents >/dev/null 2>&1
check agents_missing_db [ $? -eq 1 ]
kill -TERM "$CPID"; wait "$CPID"

# --- secrets ----------------------------------------------------------------
make_pki >/dev/null || { fail setup "openssl"; exit 1; }
: >"$T/secrets"
chmod 640 "$T/secrets"
cat >"$T/collector.conf" <<EOF
listen 127.0.0.1:$(free_port)
db $T/s.db
tls-cert $T/pki/collector.crt
tls-key $T/pki/collector.key
agent-secrets $T/secrets
retention 720h
EOF
P=$(sed -n 's/^listen 127.0.0.1://p' "$T/collector.conf")
secret=$("$CTL" -c "$T/collector.conf" secret-issue db7 2>"$T/issue.err")
check issue_exit_0 [ $? -eq 0 ]
check issue_secret_64_hex [ "$(printf '%s' "$secret" | grep -c '^[0-9a-f]\{64\}$')" = 1 ]
want="db7 $(printf '%s' "$secret" | sha256sum | cut -d' ' -f1)"
check issue_file_holds_hash [ "$(cat "$T/secrets")" = "$want" ]
check issue_secret_not_in_file [ "$(grep -c "$secret" "$T/secrets")" = 0 ]
check issue_mode_kept [ "$(stat -c %a "$T/secrets")" = 640 ]
check issue_says_reload grep -q "reload the collector" "$T/issue.err"
"$CTL" -c "$T/collector.conf" secret-issue db7 >/dev/null 2>&1
check issue_duplicate_refused [ $? -eq 1 ]
"$CTL" -c "$T/collector.conf" secret-issue db8 --out "$T/db8.secret" \
    >"$T/issue8.out" 2>/dev/null
check issue_out_file [ "$(stat -c %a "$T/db8.secret")" = 600 -a ! -s "$T/issue8.out" ]
check issue_out_hash [ "$(grep '^db8 ' "$T/secrets" | cut -d' ' -f2)" = "$(tr -d '\n' <"$T/db8.secret" | sha256sum | cut -d' ' -f1)" ]
check secrets_list [ "$("$CTL" -c "$T/collector.conf" secrets | tr '\n' ' ')" = "db7 db8 " ]

start_collector s -c "$T/collector.conf" ||
    { fail setup "collector (secrets) did not start"; exit 1; }
r=$("$PEER" 127.0.0.1 "$P" hello -ca "$T/pki/ca.crt" -name db7 -secret "$secret")
check issued_secret_welcomed contains "$r" "^WELCOME"
"$CTL" -c "$T/collector.conf" secret-revoke db7 2>/dev/null
check revoke_exit_0 [ $? -eq 0 ]
check revoke_line_gone [ "$(cut -d' ' -f1 "$T/secrets" | tr '\n' ' ')" = "db8 " ]
kill -HUP "$CPID"
wait_log "$T/s.log" "configuration reloaded" 5
r=$("$PEER" 127.0.0.1 "$P" hello -ca "$T/pki/ca.crt" -name db7 -secret "$secret")
echo "after revoke: $r"
case "$r" in *WELCOME*) fail revoked_secret_refused "$r" ;;
	*) pass revoked_secret_refused ;; esac
"$CTL" -c "$T/collector.conf" secret-revoke db7 >/dev/null 2>&1
check revoke_unknown_fails [ $? -eq 1 ]
kill -TERM "$CPID"; wait "$CPID"

# --- config -----------------------------------------------------------------
a=$("$CTL" -c "$T/collector.conf" config)
b=$("$COLLECTOR" -t -v -c "$T/collector.conf" 2>/dev/null)
check config_as_parsed [ -n "$a" -a "$a" = "$b" ]
check config_shows_retention contains "$a" "^retention "

# --- vacuum -----------------------------------------------------------------
# old events each hour of 2020-03-01..03 and of the last 2 hours; one
# alert on 2020-03-02 12:00
awk -v now="$(date -u +%Y-%m-%dT%H)" 'BEGIN {
	for (d = 1; d <= 3; d++) for (h = 0; h < 24; h++)
		printf("{\"type\":\"db.query\",\"ts\":\"2020-03-%02dT%02d:00:00.000000Z\",\"db_system\":\"postgresql\",\"db_user\":\"u1\",\"command\":\"SELECT\",\"statement\":\"SELECT ? /* %d %d */\",\"rows\":1,\"status\":\"ok\",\"source\":\"wire\"}\n", d, h, d, h)
	printf("{\"type\":\"db.query\",\"ts\":\"%s:00:00.000000Z\",\"db_system\":\"postgresql\",\"db_user\":\"u1\",\"command\":\"SELECT\",\"statement\":\"SELECT ? /* now */\",\"rows\":1,\"status\":\"ok\",\"source\":\"wire\"}\n", now)
}' >"$T/v.jsonl"
"$COLLECTOR" --replay "$T/v.jsonl" --db "$T/v.db" >/dev/null 2>&1 ||
    fail setup "replay"
check vacuum_setup [ "$(sql "$T/v.db" "SELECT count(*) FROM events")" = 73 ]
sql "$T/v.db" "CREATE TABLE IF NOT EXISTS alerts (id TEXT PRIMARY KEY, ts INTEGER, last_ts INTEGER, until_ts INTEGER, employee TEXT, rule TEXT, severity TEXT, score REAL, summary TEXT, evidence TEXT, count INTEGER, status TEXT, json TEXT)"
a_ts=$(( $(date -u -d 2020-03-02T12:00:00Z +%s) * 1000000 ))
sql "$T/v.db" "INSERT INTO alerts (id, ts, last_ts, until_ts, employee, rule, severity, score, summary, evidence, count, status, json) VALUES ('a1', $a_ts, $a_ts, $a_ts, 'e1', 'r', 'high', 90, 's', '{}', 1, 'open', '{}')"
"$CTL" --db "$T/v.db" vacuum >/dev/null 2>&1
check vacuum_needs_retention [ $? -eq 2 ]
out=$("$CTL" --db "$T/v.db" vacuum --older-than 720h --keep-around 6h --dry-run)
echo "$out"
# kept: 2020-03-02 06:00..18:00 inclusive (13 events) and the recent one
check vacuum_dry_run_count contains "$out" "^would delete 59 events older than"
check vacuum_dry_run_nothing [ "$(sql "$T/v.db" "SELECT count(*) FROM events")" = 73 ]
out=$("$CTL" --db "$T/v.db" vacuum --older-than 720h --keep-around 6h --compact)
echo "$out"
check vacuum_deleted contains "$out" "^deleted 59 events"
check vacuum_kept_count [ "$(sql "$T/v.db" "SELECT count(*) FROM events")" = 14 ]
check vacuum_kept_span [ "$(sql "$T/v.db" "SELECT strftime('%d %H', min(ts) / 1000000, 'unixepoch') || '-' || strftime('%d %H', max(ts) / 1000000, 'unixepoch') FROM events WHERE ts < $a_ts + 86400000000")" = "02 06-02 18" ]
check vacuum_alert_kept [ "$(sql "$T/v.db" "SELECT count(*) FROM alerts")" = 1 ]
# retention from the configuration file; nothing left to delete
sed -i "s|^db .*|db $T/v.db|" "$T/collector.conf"
out=$("$CTL" -c "$T/collector.conf" vacuum --keep-around 6h)
check vacuum_config_retention contains "$out" "^deleted 0 events"

# --- cases ------------------------------------------------------------------
D="$LW_TOP/tests/data/schema"
"$COLLECTOR" --replay "$D/events.jsonl" --db "$T/k.db" \
    --directory "$LW_TOP/tests/rules/directory.csv" \
    --sensitive 'crm.customer*=customer_pii' --rules "$LW_TOP/rules" \
    >/dev/null 2>&1 || fail setup "cases replay"
kid=$(sql "$T/k.db" "SELECT id FROM cases")
out=$("$CTL" --db "$T/k.db" cases)
echo "$out"
check cases_listed contains "$out" "^$kid  *high  *[0-9]*  *open .* 1  *s1  *Support  *.*s2"
check cases_counted contains "$out" "^1 open cases$"
out=$("$CTL" --db "$T/k.db" case "$kid")
check case_shown contains "$out" "^case $kid (person): s1$"
check case_timeline contains "$out" "  high  *borrowed_account  *s1 "
PORT=$(free_port)
start_collector k --listen 127.0.0.1:$PORT --db "$T/k.db" --insecure \
    --control-socket "$T/k.sock" || fail setup "cases collector"
K="$CTL --db $T/k.db --control-socket $T/k.sock"
$K case "$kid" ack --note looking >"$T/k.out" 2>&1
check case_ack [ $? -eq 0 ]
check case_ack_status grep -q "acknowledged" "$T/k.out"
$K case "$kid" assign --assignee ana >/dev/null 2>&1
$K case "$kid" close_tp --note confirmed >/dev/null 2>&1
check case_closed [ "$(sql "$T/k.db" "SELECT status || ' ' || assignee FROM cases")" = "closed_true_positive ana" ]
check case_alert_closed [ "$(sql "$T/k.db" "SELECT status FROM alerts")" = closed_true_positive ]
me=$(id -un)
check case_audited [ "$(sql "$T/k.db" "SELECT group_concat(action || ':' || status || ':' || analyst || ':' || coalesce(assignee, '') || ':' || coalesce(note, ''), ' ') FROM (SELECT * FROM triage_audit WHERE alert_id = '$kid' ORDER BY seq)")" = "ack:acknowledged:$me::looking assign:assigned:$me:ana: close_tp:closed_true_positive:$me::confirmed" ]
out=$("$CTL" --db "$T/k.db" case "$kid")
check case_trail_shown contains "$out" " $me close_tp -> closed_true_positive: confirmed$"
check cases_none_open contains "$("$CTL" --db "$T/k.db" cases)" "^0 open cases$"
check cases_all contains "$("$CTL" --db "$T/k.db" cases --all)" "^$kid .*closed_true_positive"
$K case 0000000000000000 ack >"$T/k.out" 2>&1
check case_unknown_refused [ $? -eq 1 ]
check case_unknown_says grep -q "no case with that id" "$T/k.out"
finish
