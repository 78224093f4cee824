#!/bin/sh
# The live capture path under a burst (agent/capture.c: a capture thread
# and a bounded queue in front of the decoders) and the aggregated events
# it ships (agent/aggregate.c). A real PostgreSQL on loopback (lib-pg.sh),
# the agent capturing on `lo` and shipping to a real collector, and
# pgbench firing 20,000 small queries from 4 clients as fast as the
# server answers:
#
#  1. With the default queue and aggregation on (the default): all 20,000
#     queries arrive - the sum of `count` is 20,000 and the sum of
#     rows_returned 60,000 (3 rows each), none partial - in at most 1% as
#     many events; the agent's agent.status says 0 kernel drops and 0
#     queue drops. The collector is stopped in the middle of the burst and
#     started again, and the agent is stopped (SIGTERM) as soon as the
#     burst ends and started again on the same spool: nothing is lost,
#     since aggregates are spooled like any event. When the server has
#     pg_stat_statements, its per-user calls and rows are the same.
#  2. With the queue forced tiny (capture-queue 64K) and the agent
#     stopped for the burst's first second, the capture thread must wait
#     for room as it catches up (the exit summary counts the waits) while
#     the kernel's ring (64 MiB) holds the burst: still every query,
#     exact rows, none partial, 0 queue drops and 0 kernel drops, and the
#     packets the capture thread took are the packets tcpdump saw on the
#     same port.
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

# pg_stat_statements, when the server has it: the server's own counts.
PGSS=
if [ -f "$(pg_bin)/../lib/pg_stat_statements.so" ]; then
	PGSS=1
	PG_EXTRA_CONF="shared_preload_libraries = 'pg_stat_statements'"
fi
pg_start "$PGD" "$PGP" ||
    { fail setup "PostgreSQL did not start: $(tail -3 "$PGD/log" 2>/dev/null)"; exit 1; }
pg_sql "$PGD" postgres "CREATE DATABASE crm" >/dev/null &&
pg_sql "$PGD" crm "CREATE ROLE burst LOGIN; CREATE ROLE tiny LOGIN;
    CREATE ROLE stopped LOGIN; CREATE ROLE held LOGIN;" \
    >/dev/null || { fail setup "PostgreSQL roles"; exit 1; }
[ -z "$PGSS" ] || pg_sql "$PGD" crm "CREATE EXTENSION pg_stat_statements" \
    >/dev/null || { fail setup "pg_stat_statements"; exit 1; }
pg_client_env "$PGP"
# One statement, 3 rows per query: the totals are exact multiples.
echo "SELECT g FROM generate_series(1, 3) g;" >"$T/burst.sql"
# A session still open when the agent stops: 100 queries, then a wait.
HELD=100
i=0
while [ $i -lt $HELD ]; do
	echo "SELECT g FROM generate_series(1, 3) g WHERE g > $i - $i;"
	i=$((i + 1))
done >"$T/held.sql"
echo "SELECT pg_sleep(120);" >>"$T/held.sql"

start_collector c --listen 127.0.0.1:$CP --db "$T/c.db" --insecure ||
    { fail setup "collector did not start"; exit 1; }
CPID1=$CPID

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

# wait_sum USER N SECONDS : until the stored db.query events of USER
# stand for N queries (the sum of count, absent meaning 1).
wait_sum() {
	i=0
	while [ $i -lt $(($3 * 10)) ]; do
		c=$(q "SELECT sum(coalesce(json_extract(json, '\$.count'), 1))
		       FROM events WHERE type = 'db.query'
		       AND json_extract(json, '\$.db_user') = '$1'")
		[ "${c:-0}" -ge "$2" ] && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

# 1. The default queue, aggregation on: nothing lost, through a collector
# restart in the middle and an agent restart at the end.
agent_up a1
burst burst &
BP=$!
# The first statement of each client goes out on its own at once.
wait_queries burst 1 60 || { fail setup "no event of the burst"; exit 1; }
kill -TERM "$CPID1"
wait "$CPID1"
check collector_stopped_mid_burst kill -0 $BP
sleep 1
start_collector c --listen 127.0.0.1:$CP --db "$T/c.db" --insecure ||
    { fail setup "collector did not restart"; exit 1; }
wait $BP || { fail burst_burst "pgbench failed"; exit 1; }
# The held session: its aggregate is pending when the agent stops.
psql -X -q -U held -d crm -f "$T/held.sql" >/dev/null 2>&1 &
HP=$!
PIDS="$PIDS $HP"
i=0
while [ $i -lt 300 ]; do
	pg_sql "$PGD" crm "COPY (SELECT 1 FROM pg_stat_activity
	    WHERE usename = 'held' AND query LIKE 'SELECT pg_sleep%')
	    TO STDOUT" 2>/dev/null | grep -q 1 && break
	sleep 0.1
	i=$((i + 1))
done
# Packets seen by the agent: one heartbeat after the burst has them.
pk=0
i=0
while [ $i -lt 600 ]; do
	pk=$(counter a1 packets)
	[ "${pk:-0}" -ge $((Q * 2)) ] && break
	sleep 0.1
	i=$((i + 1))
done
same burst_kernel_drops_0 "$(counter a1 kernel_drops)" 0
same burst_queue_drops_0 "$(counter a1 queue_drops)" 0
# Stopped before the window's end: its aggregates go to the spool.
kill -TERM "$APID"
wait "$APID"
check agent_sigterm_clean_exit [ $? -eq 0 ]
line=$(grep "lo: .* packets captured" "$T/a1.log")
mv "$T/a1.log" "$T/a1-first.log"
set -- $(printf '%s\n' "$line" | sed -n \
    's/.* \([0-9]*\) packets captured, \([0-9]*\) decoded, \([0-9]*\) kernel drops, [0-9]* interface drops, \([0-9]*\) queue drops.*/\1 \2 \3 \4/p')
# captured, decoded, kernel drops, queue drops: all taken, none lost.
summary_clean() {
	[ -n "${1:-}" ] && [ "$1" = "$2" ] && [ "$3" = 0 ] && [ "$4" = 0 ]
}
check burst_exit_summary summary_clean "$@"
# sumq USER : the queries the stored db.query events of USER stand for.
sumq() {
	q "SELECT coalesce(sum(coalesce(json_extract(json, '\$.count'), 1)), 0)
	   FROM events WHERE type = 'db.query' AND json_extract(json,
	   '\$.db_user') = '$1' AND json_extract(json, '\$.command') =
	   'SELECT' AND json_extract(json, '\$.statement') NOT LIKE '%pg_sleep%'"
}
sleep 1		# what the stopped agent sent is stored
before=$(sumq held)
# The same agent again on its spool: it sends what the stop spooled.
agent_up a1
wait_sum burst $Q 60 ||
    fail burst_delivered "$(sumq burst) of $Q queries stored"
wait_sum held $HELD 30
if [ "${before:-0}" -lt $HELD ]; then
	same "held_session_spooled_at_sigterm_$((HELD - ${before:-0}))_delivered" \
	    "$(sumq held)" $HELD
else
	skip held_session_spooled_at_sigterm_delivered \
	    "its window ended before the stop"
fi
kill $HP 2>/dev/null
kill -TERM "$APID"
wait "$APID"
got=$(q "SELECT coalesce(sum(coalesce(json_extract(json, '\$.count'), 1)), 0)
	 || ' ' || coalesce(sum(json_extract(json, '\$.rows_returned')), 0)
	 || ' ' || coalesce(sum(json_extract(json, '\$.partial')), 0)
	 FROM events WHERE type = 'db.query'
	 AND json_extract(json, '\$.db_user') = 'burst'
	 AND json_extract(json, '\$.status') = 'ok'")
same "burst_${Q}_queries_$((Q * 3))_rows_none_partial" "$got" "$Q $((Q * 3)) 0"
ev=$(q "SELECT count(*) FROM events WHERE type = 'db.query'
	AND json_extract(json, '\$.db_user') = 'burst'")
check "burst_events_${ev:-0}_at_most_1pct_of_$Q" \
    test "${ev:-0}" -gt 0 -a "${ev:-0}" -le $((Q / 100))
# Each aggregate within one 10 s window, max_rows the 3 of one query.
# The window is the time up to the tens of seconds ("...T23:40:0"), read
# off the text: SQLite's strftime('%s') rounds to the millisecond, so a
# statement at :09.9996 would count in the next window.
bad=$(q "SELECT count(*) FROM events WHERE type = 'db.query'
	 AND json_extract(json, '\$.count') IS NOT NULL
	 AND (json_extract(json, '\$.max_rows') != 3
	   OR substr(json_extract(json, '\$.first_ts'), 1, 18)
	   != substr(json_extract(json, '\$.ts'), 1, 18))")
same burst_aggregates_in_one_window_max_rows_3 "$bad" 0
if [ -n "$PGSS" ]; then
	# What the server itself counted for the user, against the store.
	pgss=$(pg_sql "$PGD" crm "COPY (SELECT sum(calls) || ' ' || sum(rows)
	    FROM pg_stat_statements s JOIN pg_roles r ON r.oid = s.userid
	    WHERE r.rolname = 'burst' AND s.query LIKE '%generate_series%')
	    TO STDOUT")
	same burst_equals_pg_stat_statements "$pgss" "$Q $((Q * 3))"
else
	skip burst_equals_pg_stat_statements "pg_stat_statements not installed"
fi

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
# Whether a burst outruns the decoder is up to the machine: on a loaded
# one pgbench is the slower, and the queue never fills. So the agent is
# stopped for the burst's first second, its kernel ring (64 MiB) keeping
# the packets: let go, the capture thread reads that backlog at memory
# speed, faster than any decoder, and must wait for room.
tcpdump_start
agent_up a2 --capture-queue 64K --pcap-buffer 64M
kill -STOP "$APID"
burst tiny &
BP=$!
sleep 1
kill -CONT "$APID"
wait $BP || { fail burst_tiny "pgbench failed"; exit 1; }
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
