#!/bin/sh
# Live scoring behind the store (collector/scorer.c): every committed
# event is scored exactly once - while events arrive, from a backlog
# found at start-up, across a SIGKILL of the collector mid-stream, and
# at a clean stop, which scores what was committed before exiting. The
# proof is event_identity: one row per stored db.query, none missing,
# and an_meta.scored at the newest events.id. A restart mid-day keeps the
# day's totals: the open day is counted again at start, rules muted, so
# an open sequence survives the restart.
. "$(dirname "$0")/lib.sh"

R="$LW_TOP/tests/rules"
SENS="--sensitive crm.customer*=customer_pii"

# unscored DB : stored db.query events with no event_identity row
unscored() {
	sql "$1" "SELECT count(*) FROM events e LEFT JOIN event_identity i ON i.event_id = e.id WHERE e.type = 'db.query' AND i.event_id IS NULL"
}

# wait_scored DB SECONDS : until an_meta.scored reaches max(events.id)
wait_scored() {
	i=0
	while [ $i -lt $(($2 * 10)) ]; do
		[ "$(sql "$1" "SELECT value FROM an_meta WHERE key = 'scored'")" = \
		    "$(sql "$1" "SELECT max(id) FROM events")" ] && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

collector() {
	# shellcheck disable=SC2086
	start_collector "$1" --listen 127.0.0.1:$PORT --db "$T/c.db" --insecure \
	    --directory "$R/directory.csv" $SENS --rules "$LW_TOP/rules"
}

# --- while events arrive ---------------------------------------------------
PORT=$(free_port)
gen_events 3000 u >"$T/a.jsonl"
collector c1 || { fail setup "collector did not start"; finish; }
"$AGENT" $AG_USER --name a --collector 127.0.0.1:$PORT --insecure --backoff-min 50ms \
    --spool "$T/a.spool" --source "jsonl:$T/a.jsonl" --drain >"$T/a.log" 2>&1
wait_scored "$T/c.db" 30
check live_scored_to_the_end [ $? -eq 0 ]
check live_started_at_zero grep -q "scorer: scoring after event 0$" "$T/c1.log"
check live_identity_per_event [ "$(sql "$T/c.db" "SELECT count(*) FROM event_identity")" -eq 3000 ]
check live_none_unscored [ "$(unscored "$T/c.db")" -eq 0 ]
kill -TERM "$CPID"; wait "$CPID"

# --- a backlog found at start-up -------------------------------------------
# 2,000 committed events the scorer never saw, as after a crash with the
# scorer behind: copies of stored rows under another agent name.
sql "$T/c.db" "INSERT INTO events (type, ts, recv_ts, agent, instance, seq, json) SELECT type, ts, recv_ts, 'bulk', instance, seq, json FROM events ORDER BY id LIMIT 2000"
check backlog_made [ "$(unscored "$T/c.db")" -eq 2000 ]
collector c2 || { fail setup "collector did not restart"; finish; }
wait_scored "$T/c.db" 30
check backlog_scored [ $? -eq 0 ]
check backlog_resumed_at_cursor grep -q "scorer: scoring after event 3000$" "$T/c2.log"
check backlog_identity_exact [ "$(sql "$T/c.db" "SELECT count(*) FROM event_identity")" -eq 5000 ]
check backlog_none_unscored [ "$(unscored "$T/c.db")" -eq 0 ]
kill -TERM "$CPID"; wait "$CPID"

# --- SIGKILL mid-stream, then a clean stop right after the last ack --------
gen_events 20000 k >"$T/k.jsonl"
collector c3 || { fail setup "collector did not restart"; finish; }
"$AGENT" $AG_USER --name k --collector 127.0.0.1:$PORT --insecure --backoff-min 50ms \
    --backoff-max 200ms --spool "$T/k.spool" --source "jsonl:$T/k.jsonl" \
    --drain >"$T/k.log" 2>&1 &
KPID=$!
PIDS="$PIDS $KPID"
wait_rows "$T/c.db" 9000 30
kill -KILL "$CPID"; wait "$CPID" 2>/dev/null
collector c4 || { fail setup "collector did not restart"; finish; }
wait "$KPID"
check kill_agent_drained [ $? -eq 0 ]
# stop at once: the scorer scores what is committed before the exit
kill -TERM "$CPID"; wait "$CPID"
check stop_scored_everything [ "$(sql "$T/c.db" "SELECT value FROM an_meta WHERE key = 'scored'")" = "$(sql "$T/c.db" "SELECT max(id) FROM events")" ]
check kill_events_exact [ "$(sql "$T/c.db" "SELECT count(*) FROM events WHERE agent = 'k'")" -eq 20000 ]
check kill_identity_exact [ "$(sql "$T/c.db" "SELECT count(*) FROM event_identity")" -eq 25000 ]
check kill_none_unscored [ "$(unscored "$T/c.db")" -eq 0 ]

# --- a restart mid-day keeps the day's totals --------------------------------
# s1 reads 100 customer rows six times an hour, two hours before a
# restart and two after; the day closes with all 24 queries and 2,400
# rows (the scorer counts the morning again at start, rules off), and
# only one 'counted again' line: morning events are not scored twice.
day() {
	for h in $2; do for m in 00 10 20 30 40 50; do
		printf '{"type":"db.query","ts":"2026-03-0%sT%s:%s:00.000000Z","agent":"db1","db_system":"postgresql","client":"10.0.0.1:40000","db_user":"u_s1","database":"crm","command":"SELECT","statement":"SELECT * FROM crm.customer WHERE id > ?","tables":["crm.customer"],"rows":100,"rows_returned":100,"status":"ok","source":"wire"}\n' "$1" "$h" "$m"
	done; done
}
day 2 "09 10" >"$T/am.jsonl"
{ day 2 "14 15"; day 3 09 | head -n 1; } >"$T/pm.jsonl"
# one_run NAME DB DIRECTORY FILE : one collector run on DB with FILE's
# events, stopped once they are all scored
one_run() {
	# shellcheck disable=SC2086
	start_collector "$1" --listen 127.0.0.1:$PORT --db "$2" --insecure \
	    --directory "$3" $SENS --rules "$LW_TOP/rules" ||
	    { fail setup "collector did not start"; finish; }
	"$AGENT" $AG_USER --name "$1" --collector 127.0.0.1:$PORT --insecure \
	    --backoff-min 50ms --spool "$T/$1.spool" --source "jsonl:$4" \
	    --drain >"$T/$1.agent.log" 2>&1
	wait_scored "$2" 60 || fail "$1_scored" "scoring did not finish"
	kill -TERM "$CPID"; wait "$CPID"
}
one_run d1 "$T/d.db" "$R/directory.csv" "$T/am.jsonl"
one_run d2 "$T/d.db" "$R/directory.csv" "$T/pm.jsonl"
check midday_recounted grep -q "scorer: 12 events of the open day counted again" "$T/d2.log"
check midday_first_run_nothing_to_recount [ "$(grep -c "counted again" "$T/d1.log")" -eq 0 ]
check midday_queries_whole_day [ "$(sql "$T/d.db" "SELECT value FROM an_daily WHERE employee = 's1' AND feature = 'queries'")" = "24.0" ]
check midday_rows_whole_day [ "$(sql "$T/d.db" "SELECT value FROM an_daily WHERE employee = 's1' AND feature = 'rows.sensitive'")" = "2400.0" ]
check midday_identity_once [ "$(sql "$T/d.db" "SELECT count(*) FROM event_identity")" -eq 25 ]

# --- a restart inside a sequence ---------------------------------------------
# read_then_upload's bulk read (14:40-14:43) is scored before a restart,
# its upload (16:30) after: the re-count at start runs the rules muted,
# so the sequence is still open and fires once; nothing that had already
# alerted is raised again.
RU="$LW_TOP/tests/rules"
cat "$RU/background.jsonl" "$RU/read_then_upload/pos.jsonl" |
    sort -s -t'"' -k8,8 >"$T/seq.jsonl"
awk -F'"' '$8 < "2026-01-19T16:30"' "$T/seq.jsonl" >"$T/seq1.jsonl"
awk -F'"' '$8 >= "2026-01-19T16:30"' "$T/seq.jsonl" >"$T/seq2.jsonl"
one_run s1 "$T/s.db" "$RU/directory.csv" "$T/seq1.jsonl"
before=$(sql "$T/s.db" "SELECT count(*) FROM alerts")
check seq_not_before_upload [ "$(sql "$T/s.db" "SELECT count(*) FROM alerts WHERE rule = 'read_then_upload'")" -eq 0 ]
one_run s2 "$T/s.db" "$RU/directory.csv" "$T/seq2.jsonl"
check seq_recounted grep -q "events of the open day counted again" "$T/s2.log"
check seq_fired_after_restart [ "$(sql "$T/s.db" "SELECT count(*) FROM alerts WHERE rule = 'read_then_upload' AND employee = 's1'")" -eq 1 ]
check seq_nothing_raised_twice [ "$(sql "$T/s.db" "SELECT count(*) FROM alerts WHERE ts < (SELECT min(ts) FROM alerts WHERE rule = 'read_then_upload')")" -eq "$before" ]
finish
