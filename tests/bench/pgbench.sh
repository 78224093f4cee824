#!/bin/sh
# `make bench`, live capture at full speed: what the database agent costs
# a busy PostgreSQL and whether it misses anything. Its own PostgreSQL 15
# on loopback (lib-pg.sh, a free port, a temporary directory, stopped on
# every exit path), `pgbench -i -s 5`, then for `-S -M simple` and
# `-S -M prepared`, 4 clients, BENCH_PG_T seconds each (default 15):
#
#   none       pgbench alone
#   tcpdump    `tcpdump -i lo -s 0 -B 65536 -w /dev/null tcp port P`:
#              the capture floor, measured in the same run
#   spool      the agent (--source db:lo) spooling, no collector
#   collector  the agent shipping over TLS to a collector on this host
#
# For each: TPS, and its ratio to the tcpdump run; for the agent, its CPU
# per query (utime + stime from /proc/PID/stat over the run, divided by
# the queries pgbench ran), its share of a core, kernel drops
# (pcap_stats), hand-off queue drops and events out (the agent's own
# counts, logged when it exits on SIGTERM). The agent runs with its
# defaults, so repeated statements fold into aggregated events
# (docs/aggregation.md); BENCH_PG_AGENT="--aggregate=no" measures one
# event per query.
#
# After the collector run, what arrived against what the server did: the
# queries pgbench ran, the calls and rows pg_stat_statements counted for
# pgbench_accounts (reset before the run, over the Unix socket the agent
# does not see) and the collector's stored db.query events on that table
# (the sum of `count` and of rows_returned, per hour of the run). A
# difference is printed as DIFFERENT and fails the benchmark.
#
# Usage: sh tests/bench/pgbench.sh BUILD
#   BENCH_PG_T (seconds per run, 15), BENCH_PG_CLIENTS (4),
#   BENCH_PG_MODES ("simple prepared"), BENCH_PG_AGENT (extra agent
#   options, e.g. "--capture-queue 1M")
set -e
BUILD=$(cd "$1" && pwd)
TOP=$(cd "$(dirname "$0")/../.." && pwd)
export LW_BUILD="$BUILD" LW_TOP="$TOP"
DUR=${BENCH_PG_T:-15}
CLIENTS=${BENCH_PG_CLIENTS:-4}
MODES=${BENCH_PG_MODES:-simple prepared}
. "$TOP/tests/integration/lib.sh"
. "$TOP/tests/integration/lib-pg.sh"
. "$TOP/tests/bench/lib-live.sh"

live_require pgbench pgbench tcpdump
pg_have || { echo "bench pgbench: PostgreSQL missing"; exit 1; }

chmod 755 "$T"
PGD="$T/pg"
PGP=$(free_port)
CP=$(free_port)
pg_cleanup() {
	rc=$?
	set +e	# a server already gone must not cut the clean-up short
	pg_stop_all
	cleanup
	exit $rc
}
trap pg_cleanup EXIT
PGSS=
if [ -f "$(pg_bin)/../lib/pg_stat_statements.so" ]; then
	PGSS=1
	PG_EXTRA_CONF="shared_preload_libraries = 'pg_stat_statements'"
fi
pg_start "$PGD" "$PGP"
[ -z "$PGSS" ] ||
    pg_sql "$PGD" postgres "CREATE EXTENSION pg_stat_statements" >/dev/null
pg_client_env "$PGP"	# TCP, TLS off: what the agent decodes
echo "bench pgbench: PostgreSQL $("$(pg_bin)/postgres" -V | awk '{print $3}')" \
    "on 127.0.0.1:$PGP; pgbench -S, $CLIENTS clients, $DUR s per run"
pgbench -i -q -s 5 -U postgres postgres >"$T/pgbench-init.log" 2>&1
make_pki bench

# run_pgbench MODE : sets TPS and NQ (transactions = queries with -S).
run_pgbench() {
	pgbench -n -S -M "$1" -c "$CLIENTS" -j 2 -T "$DUR" -U postgres \
	    postgres >"$T/pgbench.out" 2>&1
	TPS=$(sed -n 's/^tps = \([0-9.]*\).*/\1/p' "$T/pgbench.out" | head -1)
	NQ=$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' \
	    "$T/pgbench.out")
	[ -n "$TPS" ] && [ -n "$NQ" ] ||
	    { echo "bench pgbench: pgbench failed:"; cat "$T/pgbench.out"; exit 1; }
}

# run_tcpdump MODE : the floor; sets TPS, NQ and KDROP.
run_tcpdump() {
	live_tcpdump_start "$PGP"
	c0=$(cpu_s $TD)
	run_pgbench "$1"
	c1=$(cpu_s $TD)
	live_tcpdump_stop
	ACPU=$(us_per $c0 $c1 $NQ)
	ACORE=$(awk -v a=$c0 -v b=$c1 -v t=$DUR 'BEGIN { printf "%d", (b - a) * 100 / t }')
}

# run_agent MODE LOG ARGS... : the agent around one pgbench run; sets TPS,
# NQ, ACPU (us per query), ACORE (% of a core), KDROP, QDROP, EVENTS.
run_agent() {
	mode=$1 log=$2
	shift 2
	# shellcheck disable=SC2086
	live_agent_start "$log" "pgsql:$PGP" ${BENCH_PG_AGENT:-} "$@"
	c0=$(cpu_s $AP)
	run_pgbench "$mode"
	# What is still queued is decoded now, and counted in the CPU.
	sleep 1
	c1=$(cpu_s $AP)
	kill -TERM $AP
	wait $AP || { echo "bench pgbench: agent exit $?:"; tail "$log"; exit 1; }
	ACPU=$(us_per $c0 $c1 $NQ)
	ACORE=$(awk -v a=$c0 -v b=$c1 -v t=$DUR 'BEGIN { printf "%d", (b - a) * 100 / (t + 1) }')
	live_agent_counts "$log"
}

# compare_counts MODE : the three-way count after a collector run.
compare_counts() {
	if [ -z "$PGSS" ]; then
		echo "$1: counts: pg_stat_statements not installed, not compared"
		return 0
	fi
	server=$(pg_sql "$PGD" postgres "COPY (SELECT sum(calls) || ' ' ||
	    sum(rows) FROM pg_stat_statements
	    WHERE query LIKE '%pgbench_accounts%') TO STDOUT")
	stored=$(sql "$T/c.db" "SELECT sum(coalesce(json_extract(json,
	    '\$.count'), 1)) || ' ' || sum(json_extract(json, '\$.rows_returned'))
	    FROM events WHERE type = 'db.query'
	    AND json_extract(json, '\$.tables') LIKE '%pgbench_accounts%'")
	hours=$(sql "$T/c.db" "SELECT group_concat(hr || 'h ' || n || ' queries '
	    || r || ' rows', '; ') FROM (SELECT substr(json_extract(json,
	    '\$.ts'), 1, 13) AS hr, sum(coalesce(json_extract(json, '\$.count'),
	    1)) AS n, sum(json_extract(json, '\$.rows_returned')) AS r
	    FROM events WHERE type = 'db.query'
	    AND json_extract(json, '\$.tables') LIKE '%pgbench_accounts%'
	    GROUP BY hr ORDER BY hr)")
	partial=$(sql "$T/c.db" "SELECT count(*) FROM events
	    WHERE json_extract(json, '\$.partial') = 1")
	verdict=equal
	[ "$server" = "$NQ $NQ" ] && [ "$stored" = "$server" ] &&
	    [ "$partial" = 0 ] || verdict=DIFFERENT
	echo "$1: counts: pgbench $NQ queries; server $server (calls rows);" \
	    "collector $stored (sum of count, rows_returned; $hours);" \
	    "$partial partial: $verdict"
	[ $verdict = equal ]
}

for mode in $MODES; do
	run_pgbench "$mode"
	NONE=$TPS
	echo "$mode: no capture: $TPS TPS ($NQ queries)"

	run_tcpdump "$mode"
	FLOOR=$TPS
	echo "$mode: tcpdump (the floor): $TPS TPS = $(ratio $TPS $NONE)x no capture;" \
	    "tcpdump CPU $ACPU us/query ($ACORE% of a core), kernel drops ${KDROP:-?}"

	run_agent "$mode" "$T/agent-spool.log" \
	    --collector 127.0.0.1:1 --insecure --backoff-min 60s --backoff-max 60s
	echo "$mode: agent, spooling only: $TPS TPS = $(ratio $TPS $FLOOR)x tcpdump" \
	    "($(ratio $TPS $NONE)x no capture); agent CPU $ACPU us/query ($ACORE% of a core);" \
	    "kernel drops $KDROP, queue drops $QDROP ($QWAIT waits for room); events out $EVENTS" \
	    "for $NQ queries; reassembly $GAPS"

	rm -f "$T/c.db" "$T/c.db-wal" "$T/c.db-shm"
	[ -z "$PGSS" ] || pg_sql "$PGD" postgres \
	    "SELECT pg_stat_statements_reset()" >/dev/null
	start_collector "c-$mode" --listen 127.0.0.1:$CP --db "$T/c.db" \
	    --rules "$TOP/rules" --tls-cert "$T/pki/collector.crt" \
	    --tls-key "$T/pki/collector.key" --tls-client-ca "$T/pki/ca.crt" ||
	    { echo "bench pgbench: collector:"; cat "$T/c-$mode.log"; exit 1; }
	cc0=$(cpu_s $CPID)
	run_agent "$mode" "$T/agent-coll.log" \
	    --collector 127.0.0.1:$CP --tls-ca "$T/pki/ca.crt" \
	    --tls-cert "$T/pki/bench.crt" --tls-key "$T/pki/bench.key"
	cc1=$(cpu_s $CPID)
	kill -TERM $CPID
	wait $CPID || true
	stored=$(sql "$T/c.db" "SELECT count(*) FROM events")
	echo "$mode: agent + collector: $TPS TPS = $(ratio $TPS $FLOOR)x tcpdump" \
	    "($(ratio $TPS $NONE)x no capture); agent CPU $ACPU us/query ($ACORE% of a core);" \
	    "kernel drops $KDROP, queue drops $QDROP ($QWAIT waits for room); events out $EVENTS" \
	    "($(awk -v e=$EVENTS -v t=$DUR 'BEGIN { printf "%d", e / t }')/s)," \
	    "$stored stored by the SIGTERM; collector CPU" \
	    "$(us_per $cc0 $cc1 $NQ)" \
	    "us/query; reassembly $GAPS"
	compare_counts "$mode" || status=1
done
exit ${status:-0}
