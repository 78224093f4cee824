#!/bin/sh
# Control characters in names never reach a terminal (finding 5 of
# docs/threat-model.md; the SIEM side is siem.sh's ctl-chars checks):
#  - the agent reads a PostgreSQL csvlog whose failed login's user name
#    and application_name hold ESC [2J and CR LF with a forged syslog
#    header; its events carry them escaped (\x1b, \x0d\x0a) and the
#    collector stores them, none dropped;
#  - events that still hold raw control characters in db_user, app_name,
#    server_name or an agent.status version (an agent that does not
#    escape) are refused by the collector, the statement is not a name
#    and keeps its newline;
#  - names written raw into the database (an older tree, a hand edit)
#    come out of `leakwatch-tui --print` and `leakwatch-ctl agents`
#    escaped: no ESC, CR, BEL or LF inside a line, the escapes visible.
. "$(dirname "$0")/lib.sh"
TUI="$LW_BUILD/leakwatch-tui"
CTL="$LW_BUILD/leakwatch-ctl"
ESC=$(printf '\033')
CR=$(printf '\r')
BEL=$(printf '\007')
FORGE='<13>1 2026-11-30T10:00:02Z h leakwatch - ALERT - forged'

# --- the agent escapes what it decodes ---------------------------------
{
	printf '2026-11-30 10:00:02.000 UTC,"m%s[2J%s\n%s","crm",8,' \
	    "$ESC" "$CR" "$FORGE"
	printf '"10.0.0.1:5001",s.2,1,"authentication",2026-11-30 10:00:02 UTC,'
	printf '3/2,0,FATAL,28P01,"password authentication failed for user '
	printf '""m""",,,,,,,,,"","client backend",,0\n'
	printf '2026-11-30 10:00:03.000 UTC,"u","crm",9,"10.0.0.1:5002",s.3,1,'
	printf '"authentication",2026-11-30 10:00:03 UTC,3/1,0,LOG,00000,'
	printf '"connection authorized: user=u database=crm",,,,,,,,,'
	printf '"psql%s]0;pwned%s%s\n%s","client backend",,0\n' \
	    "$ESC" "$BEL" "$CR" "$FORGE"
} >"$T/pg.csv"
"$AGENT" --read-log "pgcsv:$T/pg.csv" >"$T/events.jsonl" 2>"$T/agent.err"
check agent/exit [ $? -eq 0 ]
check agent/two-events [ "$(wc -l <"$T/events.jsonl")" -eq 2 ]
check agent/no-raw-controls [ "$(tr -cd '\033\007\r' <"$T/events.jsonl" | wc -c)" -eq 0 ]
check agent/user-escaped grep -qF '"db_user":"m\\x1b[2J\\x0d\\x0a<13>1 2026-11-30T10:00:02Z h leakwatch - ALERT - forged"' "$T/events.jsonl"
check agent/app-escaped grep -qF '"app_name":"psql\\x1b]0;pwned\\x07\\x0d\\x0a<13>1' "$T/events.jsonl"
"$COLLECTOR" --replay "$T/events.jsonl" --db "$T/a.db" >/dev/null \
    2>"$T/replay-a.err"
check agent/events-stored [ "$(sql "$T/a.db" "SELECT count(*) FROM events")" -eq 2 ]

# --- the collector refuses raw control characters in names -------------
Q='"type":"db.query","ts":"2026-11-30T10:00:00.000000Z","db_system":"postgresql","command":"SELECT","status":"ok"'
{
	printf '{%s,"db_user":"ok"}\n' "$Q"
	printf '{%s,"db_user":"e\\u001b[2J"}\n' "$Q"
	printf '{%s,"db_user":"u","app_name":"a\\r\\n%s"}\n' "$Q" "$FORGE"
	printf '{%s,"db_user":"u","app_name":"a\\u009b2J"}\n' "$Q"
	printf '{%s,"db_user":"u","statement":"SELECT\\n1"}\n' "$Q"
	printf '{"type":"net.flow","ts":"2026-11-30T10:00:00.000000Z","flow_id":"f","src":"10.0.0.1","dst":"10.0.0.2","l4":"tcp","bytes_out":1,"bytes_in":1,"server_name":"x\\u001b[2J"}\n'
} >"$T/hostile.jsonl"
"$COLLECTOR" --replay "$T/hostile.jsonl" --db "$T/h.db" >/dev/null \
    2>"$T/replay-h.err"
check collector/kept-two [ "$(sql "$T/h.db" "SELECT count(*) FROM events")" -eq 2 ]
check collector/refused-named grep -q 'contains a control character' "$T/replay-h.err"
check collector/log-has-no-esc [ "$(tr -cd '\033\r' <"$T/replay-h.err" | wc -c)" -eq 0 ]

# --- the outputs escape what the database holds -------------------------
R="$LW_TOP/tests/rules"
cat "$R/background.jsonl" "$R/bulk_read_spike/pos.jsonl" |
    "$COLLECTOR" --replay - --db "$T/c.db" --directory "$R/directory.csv" \
    --sensitive 'crm.customer*=customer_pii' --rules "$LW_TOP/rules" \
    >"$T/alerts.jsonl" 2>"$T/replay-c.err"
na=$(sql "$T/c.db" "SELECT count(*) FROM alerts")
check setup/alerts [ "$na" -ge 1 ]
sql "$T/c.db" "UPDATE alerts SET summary = 'sum' || char(27) || '[2J' || char(13) || char(10) || '$FORGE', employee = employee || char(27) || ']0;t' || char(7) || char(155)"
sql "$T/c.db" "UPDATE cases SET story = 'story' || char(27) || '[2J' || char(13) || char(10) || '$FORGE', department = 'dep' || char(27) || ']0;t' || char(7)"
check setup/cases [ "$(sql "$T/c.db" "SELECT count(*) FROM cases")" -ge 1 ]
cid=$(sql "$T/c.db" "SELECT id FROM cases LIMIT 1")
sql "$T/c.db" "INSERT INTO agents (agent, addr, connected, first_seen, last_seen, version) VALUES ('ag' || char(27) || '[2J', '10.0.0.1:1' || char(13) || char(10) || 'x', 0, 1, 1, '0.1' || char(27) || '[31m' || char(10) || '$FORGE')"
LANG=C.UTF-8 LC_ALL=C.UTF-8 "$TUI" --db "$T/c.db" --print >"$T/print.txt" \
    2>"$T/tui.err"
check tui/exit [ $? -eq 0 ]
check tui/no-controls [ "$(tr -cd '\033\r\007' <"$T/print.txt" | wc -c)" -eq 0 ]
check tui/no-c1 [ "$(grep -c "$(printf '\302\233')" "$T/print.txt")" -eq 0 ]
check tui/no-forged-line [ "$(grep -c '^<13>' "$T/print.txt")" -eq 0 ]
check tui/escapes-visible grep -qF 'sum\x1b[2J\x0d\x0a<13>1' "$T/print.txt"
check tui/c1-visible grep -qF '\x07\u009b' "$T/print.txt"
"$CTL" --db "$T/c.db" agents >"$T/agents.txt" 2>"$T/ctl.err"
check ctl/no-controls [ "$(tr -cd '\033\r\007' <"$T/agents.txt" | wc -c)" -eq 0 ]
check ctl/one-line-per-agent [ "$(wc -l <"$T/agents.txt")" -eq 2 ]
check ctl/escapes-visible grep -qF 'ag\x1b[2J' "$T/agents.txt"
check ctl/version-escaped grep -qF '0.1\x1b[31m\x0a<13>1' "$T/agents.txt"
"$CTL" --db "$T/c.db" cases >"$T/cases.txt" 2>>"$T/ctl.err"
check ctl/cases-no-controls [ "$(tr -cd '\033\r\007' <"$T/cases.txt" | wc -c)" -eq 0 ]
check ctl/cases-no-forged-line [ "$(grep -c '^<13>' "$T/cases.txt")" -eq 0 ]
check ctl/cases-escaped grep -qF 'story\x1b[2J\x0d\x0a<13>1' "$T/cases.txt"
"$CTL" --db "$T/c.db" case "$cid" >"$T/case.txt" 2>>"$T/ctl.err"
check ctl/case-no-controls [ "$(tr -cd '\033\r\007' <"$T/case.txt" | wc -c)" -eq 0 ]
check ctl/case-escaped grep -qF 'dep\x1b]0;t\x07' "$T/case.txt"
check tui/case-story-escaped grep -qF 'story\x1b[2J\x0d\x0a<13>1' "$T/print.txt"
[ -z "$FAILED" ]
