#!/bin/sh
# Collector down: the agent keeps everything in its spool and delivers it
# when the collector comes up. With a spool too small for the backlog the
# oldest events are dropped, counted, warned about and reported to the
# collector as an explicit gap - received + lost = produced, exactly.
. "$(dirname "$0")/lib.sh"

PORT=$(free_port)
AG="--collector 127.0.0.1:$PORT --insecure --backoff-min 50ms --backoff-max 200ms --heartbeat 1s"

# 1. Collector starts after the agent has spooled everything.
gen_events 5000 p >"$T/p.jsonl"
start_agent a1 --name p1 $AG --spool "$T/s1" --source "jsonl:$T/p.jsonl" --drain
sleep 1.5
start_collector c --listen 127.0.0.1:$PORT --db "$T/c.db" --insecure ||
    { fail setup "collector did not start"; exit 1; }
wait $APID
c=$(sql "$T/c.db" "SELECT count(*) FROM events WHERE agent='p1'")
check late_collector_gets_all [ "$c" = 5000 ]
kill -9 $CPID; wait $CPID 2>/dev/null

# 2. Overflow: stdin cannot wait, so a 1 MiB spool must drop the oldest.
gen_events 20000 q >"$T/q.jsonl"
cat "$T/q.jsonl" | "$AGENT" $AG_USER --name q1 $AG --spool "$T/s2" --source jsonl:- \
    --spool-max 1M --spool-segment 128K >"$T/a2.log" 2>&1 &
APID=$!; PIDS="$PIDS $APID"
wait_log "$T/a2.log" "end of input after 20000 lines" 60
start_collector c2 --listen 127.0.0.1:$PORT --db "$T/c.db" --insecure ||
    { fail setup "collector did not restart"; exit 1; }
i=0
while [ $i -lt 300 ]; do
	got=$(sql "$T/c.db" "SELECT count(*) FROM events WHERE agent='q1'")
	lost=$(sql "$T/c.db" "SELECT coalesce(sum(last_seq - first_seq + 1), 0) FROM gaps WHERE agent='q1'")
	[ $((got + lost)) -ge 20000 ] && break
	sleep 0.1; i=$((i + 1))
done
echo "received $got, lost $lost"
check overflow_accounts_for_all [ $((got + lost)) = 20000 ]
check overflow_dropped_some [ "$lost" -gt 0 ]
check overflow_kept_newest [ "$(sql "$T/c.db" "SELECT max(seq) FROM events WHERE agent='q1'")" = 20000 ]
check overflow_warned grep -q "unsent events (seq 1-[0-9]*) dropped" "$T/a2.log"
check collector_logged_gap grep -q "to its full spool" "$T/c2.log"
finish
