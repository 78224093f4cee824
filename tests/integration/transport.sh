#!/bin/sh
# The spine's delivery promise, end to end over TLS with client
# certificates: 100,000 events from a jsonl file through a real agent and a
# real collector land as exactly 100,000 rows - also when the collector is
# SIGKILLed twice and the agent once mid-stream and each is restarted.
. "$(dirname "$0")/lib.sh"

N=100000
make_pki db1 || { fail setup "cannot make certificates"; exit 1; }
gen_events $N >"$T/events.jsonl"
PORT=$(free_port)

collector() {
	start_collector "$1" --listen 127.0.0.1:$PORT --db "$T/$2.db" \
	    --tls-cert "$T/pki/collector.crt" --tls-key "$T/pki/collector.key" \
	    --tls-client-ca "$T/pki/ca.crt"
}
agent() {
	start_agent "$1" --name db1 --collector 127.0.0.1:$PORT \
	    --spool "$T/$2.spool" --source "jsonl:$T/events.jsonl" \
	    --tls-ca "$T/pki/ca.crt" --tls-cert "$T/pki/db1.crt" \
	    --tls-key "$T/pki/db1.key" --backoff-min 50ms --backoff-max 500ms \
	    --heartbeat 1s $3
}

# Exactly N rows, N distinct sequence numbers and N distinct events.
exact() {
	db=$1
	c=$(sql "$db" "SELECT count(*) FROM events")
	s=$(sql "$db" "SELECT count(*) FROM (SELECT DISTINCT instance, seq FROM events)")
	d=$(sql "$db" "SELECT count(DISTINCT json_extract(json, '$.statement')) FROM events")
	a=$(sql "$db" "SELECT count(*) FROM events WHERE agent = 'db1'")
	echo "rows=$c distinct_seq=$s distinct_events=$d agent_db1=$a"
	[ "$c" = $N ] && [ "$s" = $N ] && [ "$d" = $N ] && [ "$a" = $N ]
}

# 1. Clean run: the agent drains the file and exits 0 once all is acked.
collector c1 clean || { fail tls_100k "collector did not start"; exit 1; }
agent a1 clean --drain
wait $APID
rc=$?
out=$(exact "$T/clean.db")
if [ $rc -eq 0 ] && exact "$T/clean.db" >/dev/null; then
	pass tls_100k
else
	fail tls_100k "agent exit $rc; $out"
fi
grep -q "agent db1 connected" "$T/c1.log" && pass tls_client_cert_identity ||
    fail tls_client_cert_identity "no 'agent db1 connected' in collector log"
kill -TERM $CPID
wait $CPID
rc=$?
check collector_sigterm_clean_exit [ $rc -eq 0 ]
check collector_sigterm_logged grep -q "exited cleanly" "$T/c1.log"
last=$(sql "$T/clean.db" "SELECT last_seq FROM streams")
check stream_cursor_at_n [ "$last" = $N ]
st=$(sql "$T/clean.db" "SELECT json_extract(status, '$.version') FROM agents WHERE agent='db1'")
check heartbeat_recorded [ -n "$st" ]

# 2. Crashes: collector SIGKILL at >=20k and >=60k rows, agent SIGKILL at
# >=40k; both restarted; still exactly N.
collector c2 crash || { fail crash_100k "collector did not start"; exit 1; }
agent a2 crash
ok=1
wait_rows "$T/crash.db" 20000 120 || ok=0
kill -9 $CPID; wait $CPID 2>/dev/null
before=$(sql "$T/crash.db" "SELECT count(*) FROM events")
sleep 0.3
collector c2 crash || ok=0
wait_rows "$T/crash.db" 40000 120 || ok=0
kill -9 $APID; wait $APID 2>/dev/null
agent a2 crash
wait_rows "$T/crash.db" 60000 120 || ok=0
kill -9 $CPID; wait $CPID 2>/dev/null
sleep 0.3
collector c2 crash || ok=0
wait_rows "$T/crash.db" $N 180 || ok=0
# Let resends settle: a duplicate would show up as an extra row now.
sleep 2
out=$(exact "$T/crash.db")
if [ $ok -eq 1 ] && exact "$T/crash.db" >/dev/null; then
	pass crash_100k
else
	fail crash_100k "$out (first kill at $before rows)"
fi
grep -q "resuming at byte" "$T/a2.log" && pass agent_resumes_source ||
    fail agent_resumes_source "restarted agent did not resume its file"
kill -TERM $APID; wait $APID
check agent_sigterm_clean_exit [ $? -eq 0 ]
finish
