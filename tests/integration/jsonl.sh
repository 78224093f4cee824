#!/bin/sh
# The jsonl source: bad lines are reported with their line number and
# skipped while good ones go through; stdin works; a followed file is read
# across rotation by rename and by truncation (copytruncate), and the
# agent resumes where it stopped after a restart.
. "$(dirname "$0")/lib.sh"

PORT=$(free_port)
start_collector c --listen 127.0.0.1:$PORT --db "$T/c.db" --insecure ||
    { fail setup "collector did not start"; exit 1; }
AG="--collector 127.0.0.1:$PORT --insecure --backoff-min 50ms --heartbeat 1s"

# 1. Bad lines, from stdin.
{
	gen_events 3
	echo 'not json at all'
	echo '{"type":"db.query","ts":"2026-11-02T10:00:00.000000Z"}'
	echo '{"type":"nope","ts":"2026-11-02T10:00:00.000000Z"}'
	echo
	gen_events 2 v
	printf '{"type":"db.query","ts":"2026-11-02T10:00:00.000000Z","db_system":"mysql","db_user":"x","command":"SELECT","status":"ok","statement":"%s"}\n' \
	    "$(head -c 70000 /dev/zero | tr '\0' a)"
	gen_events 1 w
} >"$T/mixed.jsonl"
"$AGENT" $AG_USER --name j1 $AG --spool "$T/s1" --source jsonl:- --drain \
    <"$T/mixed.jsonl" >"$T/j1.log" 2>&1 &
APID=$!; PIDS="$PIDS $APID"
wait $APID
rc=$?
c=$(sql "$T/c.db" "SELECT count(*) FROM events WHERE agent='j1'")
check stdin_good_lines_delivered [ $rc -eq 0 ] && [ "$c" = 6 ]
check bad_line_4_reported grep -q "stdin:4: .*line skipped" "$T/j1.log"
check bad_line_5_names_field grep -q 'stdin:5: missing required field "db_system"' "$T/j1.log"
check bad_line_6_unknown_type grep -q 'stdin:6: unknown event type' "$T/j1.log"
check long_line_10_skipped grep -q "stdin:10: " "$T/j1.log"
n=$(grep -c "line skipped" "$T/j1.log")
check exactly_four_bad_lines [ "$n" = 4 ]
# The refused value must not be echoed into the log.
check log_has_no_values sh -c "! grep -q aaaaaaaaaa '$T/j1.log'"

# 2. A followed file: append, rotate by rename, truncate.
F="$T/follow.jsonl"
gen_events 100 f >"$F"
start_agent j2 --name j2 $AG --spool "$T/s2" --source "jsonl:$F"
wait_rows_agent() {
	i=0
	while [ $i -lt 300 ]; do
		c=$(sql "$T/c.db" "SELECT count(*) FROM events WHERE agent='j2'")
		[ "${c:-0}" -ge "$1" ] && return 0
		sleep 0.1; i=$((i + 1))
	done
	return 1
}
wait_rows_agent 100 && pass follow_initial || fail follow_initial "$c"
gen_events 50 g >>"$F"
wait_rows_agent 150 && pass follow_append || fail follow_append "$c"
mv "$F" "$F.1"
gen_events 30 h >"$F"
wait_rows_agent 180 && pass follow_rename_rotation || fail follow_rename_rotation "$c"
: >"$F"
sleep 0.5
gen_events 20 k >>"$F"
wait_rows_agent 200 && pass follow_copytruncate || fail follow_copytruncate "$c"

# 3. Restart: stop, append while down, start again: only the new lines.
kill -TERM $APID; wait $APID
gen_events 25 m >>"$F"
start_agent j2b --name j2 $AG --spool "$T/s2" --source "jsonl:$F"
wait_rows_agent 225 && pass resume_after_restart || fail resume_after_restart "$c"
sleep 1
c=$(sql "$T/c.db" "SELECT count(*) FROM events WHERE agent='j2'")
check resume_no_reread [ "$c" = 225 ]
check resume_logged grep -q "resuming at byte" "$T/j2b.log"
finish
