#!/bin/sh
# The live capture path under a burst (agent/capture.c: a capture thread
# and a bounded queue in front of the decoders). A real PostgreSQL on
# loopback (lib-pg.sh), the agent capturing on `lo` and shipping to a
# real collector, and pgbench firing 20,000 small queries from 4 clients
# as fast as the server answers:
#
#  1. With the default queue: all 20,000 queries arrive, with exact row
#     totals (3 rows each), none partial, and the agent's agent.status
#     says 0 kernel drops and 0 queue drops.
#  2. With the queue forced tiny (capture-queue 64K), the capture thread
#     must wait for room (the exit summary counts the waits) while the
#     kernel's ring holds the burst: still every query, exact rows, none
#     partial, 0 queue drops and 0 kernel drops, and the packets the
#     capture thread took are the packets tcpdump saw on the same port.
#  3. With the agent stopped (SIGSTOP) during a burst and a small kernel
#     ring (pcap-buffer 1M), the kernel must drop: no packet goes
#     uncounted - captured plus kernel drops cover the packets tcpdump saw
#     - agent.status, the exit summary and `leakwatch-ctl agents` report
#     the same count, and the run shows it: the queries the drops touched
#     are missing or partial.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-pg.sh"

Q=20000		# queries per burst
CLIENTS=4

if [ "$(id -u)" != 0 ]; then
	skip setup "needs root (live capture, runuser)"; exit 0
fi
if ! pg_have; then
	skip setup "PostgreSQL not installed"; exit 0
fi
for c in pgbench tcpdump; do
	if ! command -v "$c" >/dev/null 2>&1; then
		skip setup "$c not installed"; exit 0
	fi
done

PGP=$(free_port)
CP=$(free_port)
chmod 755 "$T"
PGD="$T/pg"
db_cleanup() {
	rc=$?
	set +e	# a server already gone must not cut the clean-up short
	pg_stop_all
	cleanup
	exit $rc
}
trap db_cleanup EXIT

pg_start "$PGD" "$PGP" ||
    { fail setup "PostgreSQL did not start: $(tail -3 "$PGD/log" 2>/dev/null)"; exit 1; }
pg_sql "$PGD" postgres "CREATE DATABASE crm" >/dev/null &&
pg_sql "$PGD" crm "CREATE ROLE burst LOGIN; CREATE ROLE tiny LOGIN; CREATE ROLE stopped LOGIN;" \
    >/dev/null || { fail setup "PostgreSQL roles"; exit 1; }
pg_client_env "$PGP"
# One statement, 3 rows per query: the totals are exact multiples.
echo "SELECT g FROM generate_series(1, 3) g;" >"$T/burst.sql"

start_collector c --listen 127.0.0.1:$CP --db "$T/c.db" --insecure ||
    { fail setup "collector did not start"; exit 1; }

# agent_up NAME ARGS... : a live agent on lo for the pgsql port.
agent_up() {
	n=$1; shift
	start_agent "$n" --name "$n" --collector 127.0.0.1:$CP --insecure \
	    --spool "$T/spool-$n" --source db:lo --port "pgsql:$PGP" \
	    --heartbeat 500ms --backoff-min 50ms "$@"
	wait_log "$T/$n.log" "lo: capturing" 20 ||
	    { fail setup "agent $n did not start: $(tail -3 "$T/$n.log")"; exit 1; }
}

# burst USER : Q queries from CLIENTS clients, as fast as they go.
burst() {
	pgbench -n -M simple -f "$T/burst.sql" -c $CLIENTS -j 2 \
	    -t $((Q / CLIENTS)) -U "$1" crm >"$T/pgbench-$1.out" 2>&1 ||
	    { fail "burst_$1" "$(tail -3 "$T/pgbench-$1.out")"; exit 1; }
}

q() {
	sql "$T/c.db" "$1"
}
# same NAME GOT WANT : PASS when equal, else FAIL showing both.
same() {
	if [ "$2" = "$3" ]; then pass "$1"; else fail "$1" "got '$2', want '$3'"; fi
}
# counter AGENT KEY : a counter of the agent's last agent.status.
counter() {
	q "SELECT json_extract(status, '\$.counters.$2') FROM agents
	   WHERE agent = '$1'"
}
# wait_queries USER N SECONDS : until N db.query events of USER are stored.
wait_queries() {
	i=0
	while [ $i -lt $(($3 * 10)) ]; do
		c=$(q "SELECT count(*) FROM events WHERE type = 'db.query'
		       AND json_extract(json, '\$.db_user') = '$1'")
		[ "${c:-0}" -ge "$2" ] && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}
# wait_status AGENT KEY VALUE SECONDS : until a heartbeat carries it.
wait_status() {
	i=0
	while [ $i -lt $(($4 * 10)) ]; do
		[ "$(counter "$1" "$2")" = "$3" ] && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

# 1. The default queue: nothing lost.
agent_up a1
burst burst
wait_queries burst $Q 120 ||
    fail burst_delivered "$(q "SELECT count(*) FROM events WHERE type = 'db.query'") of $Q queries stored"
# Packets seen by the agent so far: one heartbeat after the burst has them.
pk=0
i=0
while [ $i -lt 50 ]; do
	pk=$(counter a1 packets)
	[ "${pk:-0}" -ge $((Q * 2)) ] && break
	sleep 0.1
	i=$((i + 1))
done
kill -TERM "$APID"
wait "$APID"
check agent_sigterm_clean_exit [ $? -eq 0 ]
got=$(q "SELECT count(*) || ' ' ||
	 coalesce(sum(json_extract(json, '\$.rows_returned')), 0) || ' ' ||
	 coalesce(sum(json_extract(json, '\$.partial')), 0) FROM events
	 WHERE type = 'db.query' AND json_extract(json, '\$.db_user') = 'burst'
	 AND json_extract(json, '\$.status') = 'ok'")
same "burst_${Q}_queries_$((Q * 3))_rows_none_partial" "$got" "$Q $((Q * 3)) 0"
same burst_kernel_drops_0 "$(counter a1 kernel_drops)" 0
same burst_queue_drops_0 "$(counter a1 queue_drops)" 0
line=$(grep "lo: .* packets captured" "$T/a1.log")
set -- $(printf '%s\n' "$line" | sed -n \
    's/.* \([0-9]*\) packets captured, \([0-9]*\) decoded, \([0-9]*\) kernel drops, [0-9]* interface drops, \([0-9]*\) queue drops.*/\1 \2 \3 \4/p')
# captured, decoded, kernel drops, queue drops: all taken, none lost.
summary_clean() {
	[ -n "${1:-}" ] && [ "$1" = "$2" ] && [ "$3" = 0 ] && [ "$4" = 0 ]
}
check burst_exit_summary summary_clean "$@"

# tcpdump_start : tcpdump counting the port's packets on its own, for the
# exact comparisons; tcpdump_stop sets td (captured) and tdrop (its drops).
tcpdump_start() {
	tcpdump -i lo -s 262144 -B 262144 -w /dev/null "tcp port $PGP" \
	    2>"$T/tcpdump.log" &
	TD=$!
	PIDS="$PIDS $TD"
	wait_log "$T/tcpdump.log" "listening on" 20 ||
	    { fail setup "tcpdump did not start"; exit 1; }
}
tcpdump_stop() {
	sleep 1		# the last segments reach both captures
	kill -INT $TD
	wait $TD
	td=$(sed -n 's/^\([0-9]*\) packets* captured.*/\1/p' "$T/tcpdump.log")
	tdrop=$(sed -n 's/^\([0-9]*\) packets* dropped by kernel.*/\1/p' "$T/tcpdump.log")
}
# summary AGENT : the exit summary's captured, decoded, kernel drops,
# queue drops and waits, space-separated.
summary() {
	grep "lo: .* packets captured" "$T/$1.log" | sed -n \
	    's/.* \([0-9]*\) packets captured, \([0-9]*\) decoded, \([0-9]*\) kernel drops, [0-9]* interface drops, \([0-9]*\) queue drops, \([0-9]*\) waits for queue room.*/\1 \2 \3 \4 \5/p'
}
# stored USER : statements of USER stored as status ok and not partial,
# and their rows (an event may stand for several: `count`).
stored() {
	q "SELECT coalesce(sum(coalesce(json_extract(json, '\$.count'), 1)), 0)
	   || ' ' || coalesce(sum(json_extract(json, '\$.rows_returned')), 0)
	   FROM events WHERE type = 'db.query'
	   AND json_extract(json, '\$.db_user') = '$1'
	   AND json_extract(json, '\$.partial') = 0
	   AND json_extract(json, '\$.status') = 'ok'"
}
# wait_counted AGENT N : until a heartbeat accounts for N packets, decoded
# or dropped (a slow build may still be reading the kernel's ring).
wait_counted() {
	i=0
	while [ $i -lt 600 ]; do
		pk=$(counter "$1" packets)
		kd=$(counter "$1" kernel_drops)
		qd=$(counter "$1" queue_drops)
		[ $(( ${pk:-0} + ${kd:-0} + ${qd:-0} )) -ge "${2:-0}" ] && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

# 2. A queue of 64 KiB: the burst fills it, the thread waits, nothing lost.
tcpdump_start
agent_up a2 --capture-queue 64K
burst tiny
tcpdump_stop
wait_counted a2 "$td"
i=0
while [ $i -lt 600 ]; do
	[ "$(stored tiny)" = "$Q $((Q * 3))" ] && break
	sleep 0.1
	i=$((i + 1))
done
kill -TERM "$APID"
wait "$APID"
check tiny_agent_sigterm_clean_exit [ $? -eq 0 ]
same "tiny_${Q}_queries_$((Q * 3))_rows_none_partial" "$(stored tiny)" \
    "$Q $((Q * 3))"
set -- $(summary a2)
check "tiny_queue_filled_and_waited (${5:-?} waits)" [ "${5:-0}" -gt 0 ]
same tiny_queue_drops_0 "${4:-}" 0
same tiny_kernel_drops_0 "${3:-}" 0
same tiny_captured_is_decoded "${1:-}" "${2:-x}"
if [ "${tdrop:-x}" = 0 ]; then
	same tiny_captured_equals_tcpdump "${1:-}" "$td"
else
	skip tiny_captured_equals_tcpdump "tcpdump itself dropped ${tdrop:-?}"
fi

# 3. The agent stopped through a burst, a 1 MiB kernel ring: the kernel
# drops, and every count says so exactly.
tcpdump_start
agent_up a3 --capture-queue 64K --pcap-buffer 1M
kill -STOP "$APID"
burst stopped
kill -CONT "$APID"
tcpdump_stop
wait_counted a3 "$td"
check stopped_kernel_dropped [ "${kd:-0}" -gt 0 ]
# On lo the kernel's ring also receives each packet's outgoing copy,
# which libpcap discards after reading: a dropped packet can be counted
# twice, so the drops can only be checked never to fall short.
if [ "${tdrop:-x}" = 0 ]; then
	check "stopped_status_accounts_for_every_packet ($pk decoded + $kd dropped, tcpdump $td)" \
	    [ $(( ${pk:-0} + ${kd:-0} + ${qd:-0} )) -ge "$td" ]
else
	skip stopped_status_accounts_for_every_packet "tcpdump itself dropped ${tdrop:-?}"
fi
"$LW_BUILD/leakwatch-ctl" --db "$T/c.db" agents >"$T/ctl.out" 2>&1
check stopped_ctl_agents_note grep -q "a3 .*kernel-drops:$kd" "$T/ctl.out"
kill -TERM "$APID"
wait "$APID"
check stopped_agent_sigterm_clean_exit [ $? -eq 0 ]
set -- $(summary a3)
same stopped_status_equals_exit_count "${3:-}" "$kd"
same stopped_captured_is_decoded_plus_dropped "${1:-}" "$(( ${2:-0} + ${4:-0} ))"
if [ "${tdrop:-x}" = 0 ]; then
	covers() { [ $(( $1 + $2 )) -ge "$3" ] && [ "$1" -lt "$3" ]; }
	check "stopped_captured_plus_kernel_drops_cover_tcpdump (${1:-?} + ${3:-?}, tcpdump $td)" \
	    covers "${1:-0}" "${3:-0}" "$td"
else
	skip stopped_captured_plus_kernel_drops_cover_tcpdump "tcpdump itself dropped ${tdrop:-?}"
fi
set -- $(stored stopped)
check "stopped_run_shows_the_loss (${1:-?} of $Q whole)" [ "${1:-0}" -lt $Q ]
finish
