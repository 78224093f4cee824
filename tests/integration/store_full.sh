#!/bin/sh
# A collector whose database cannot be written: the disk under it (a small
# tmpfs) fills up mid-stream, so the writer's batches fail and are retried
# and nothing is acked. SIGTERM must then wait no longer than
# shutdown-timeout, log what it gave up and exit 1, not hang until
# systemd's SIGKILL. Once space is freed, a restarted collector gets the
# given-up events again from the agent's spool: exactly once in the end.
. "$(dirname "$0")/lib.sh"

N1=3000		# stored before the disk fills
N=23000		# in all
BOUND=2000	# ms, --shutdown-timeout

mkdir "$T/mnt"
if [ "$(id -u)" != 0 ] ||
    ! mount -t tmpfs -o size=32m,mode=0700 tmpfs "$T/mnt" 2>/dev/null; then
	skip all "cannot mount a tmpfs (needs root)"
	rmdir "$T/mnt"
	exit 0
fi
MOUNTS="$T/mnt"		# lib.sh's cleanup unmounts it

make_pki db1 || { fail setup "cannot make certificates"; exit 1; }
gen_events $N >"$T/all.jsonl"
head -n $N1 "$T/all.jsonl" >"$T/events.jsonl"
PORT=$(free_port)

collector() {
	start_collector "$1" --listen 127.0.0.1:$PORT --db "$T/mnt/c.db" \
	    --tls-cert "$T/pki/collector.crt" --tls-key "$T/pki/collector.key" \
	    --tls-client-ca "$T/pki/ca.crt" --shutdown-timeout ${BOUND}ms
}
now_ms() {
	echo $(( $(date +%s%N) / 1000000 ))
}

collector c1 || { fail setup "collector did not start"; exit 1; }
# Following the file (no --drain): the rest is appended once disk is full.
start_agent a --name db1 --collector 127.0.0.1:$PORT --spool "$T/spool" \
    --source "jsonl:$T/events.jsonl" --tls-ca "$T/pki/ca.crt" \
    --tls-cert "$T/pki/db1.crt" --tls-key "$T/pki/db1.key" \
    --backoff-min 50ms --backoff-max 500ms --heartbeat 1s
wait_rows "$T/mnt/c.db" $N1 60 ||
    { fail setup "only $(sql "$T/mnt/c.db" "SELECT count(*) FROM events") of $N1 rows"; exit 1; }

# Fill the disk, then send more than the WAL has room for.
dd if=/dev/zero of="$T/mnt/fill" bs=16k 2>/dev/null
tail -n +$((N1 + 1)) "$T/all.jsonl" >>"$T/events.jsonl"
if wait_log "$T/c1.log" "disk is full" 60; then
	pass writes_fail
else
	fail writes_fail "no 'disk is full' in the collector's log"
fi
sleep 1		# let batches and heartbeats queue up behind the failing one
stored=$(sql "$T/mnt/c.db" "SELECT count(*) FROM events")

# A watchdog, so a hang is a FAIL and not a stuck test.
(sleep 30; kill -9 $CPID 2>/dev/null) &
WD=$!
t0=$(now_ms)
kill -TERM $CPID
wait $CPID
rc=$?
took=$(( $(now_ms) - t0 ))
kill $WD 2>/dev/null
wait $WD 2>/dev/null
echo "sigterm: exit $rc after $took ms ($stored rows stored before)"
check sigterm_bounded [ $took -lt $((BOUND + 2000)) ]
check sigterm_waited_for_disk [ $took -ge $((BOUND - 200)) ]
check sigterm_exit_1 [ $rc -eq 1 ]
check giveup_logged grep -q "store: gave up at shutdown (shutdown-timeout $BOUND ms): [0-9]* events in [0-9]* batch(es) not stored, last error: .*disk is full.*never acked" "$T/c1.log"
check not_clean grep -q "exited; not everything received was stored" "$T/c1.log"

# Space again: the restarted collector gets what was given up.
rm -f "$T/mnt/fill"
collector c2 || { fail restart "collector did not start"; exit 1; }
wait_rows "$T/mnt/c.db" $N 120
sleep 2		# a duplicate would show up as an extra row now
c=$(sql "$T/mnt/c.db" "SELECT count(*) FROM events")
s=$(sql "$T/mnt/c.db" "SELECT count(DISTINCT seq) FROM events")
d=$(sql "$T/mnt/c.db" "SELECT count(DISTINCT json_extract(json, '$.statement')) FROM events")
echo "after restart: rows=$c distinct_seq=$s distinct_events=$d"
exact() { [ "$c" = $N ] && [ "$s" = $N ] && [ "$d" = $N ]; }
check resent_exactly_once exact
kill -TERM $CPID
wait $CPID
check clean_exit_after [ $? -eq 0 ]
finish
