#!/bin/sh
# `make bench`, database part: how fast the agent decodes a capture of
# PostgreSQL traffic, next to the ceiling - a bare libpcap read loop
# (tests/tools/pcapread.c) over the same file, in the same run - and how
# much memory it needs for 10,000 sessions open at once.
#
#  1. A real PostgreSQL on loopback (lib-pg.sh); tcpdump on `lo` records pgbench
#     reading a wide table (>= 1 GB of result traffic) plus many small
#     queries (pgbench -S).
#  2. `leakwatch-agent --read` over it, events to /dev/null, timed; then
#     pcapread over it. MB/s (captured bytes), queries/s and the ratio.
#  3. Peak RSS (the child's rusage, tests/tools/lwtime.c) of the agent reading a
#     synthetic capture of 10,000 interleaved open sessions
#     (tests/tools/pgsessions.c), and of one session for comparison.
#
# Usage: sh tests/bench/db.sh BUILD   (BENCH_DB_MB: result MB, default 1100)
set -e
BUILD=$(cd "$1" && pwd)
TOP=$(cd "$(dirname "$0")/../.." && pwd)
export LW_BUILD="$BUILD" LW_TOP="$TOP"
MB=${BENCH_DB_MB:-1100}
. "$TOP/tests/integration/lib.sh"
. "$TOP/tests/integration/lib-pg.sh"

for c in pgbench tcpdump; do
	command -v "$c" >/dev/null 2>&1 || { echo "bench db: $c missing"; exit 1; }
done
pg_have || { echo "bench db: PostgreSQL missing"; exit 1; }
[ "$(id -u)" = 0 ] || { echo "bench db: needs root (tcpdump on lo)"; exit 1; }

chmod 755 "$T"
PGD="$T/pg"
PGP=$(free_port)
db_cleanup() {
	rc=$?
	set +e	# a server already gone must not cut the clean-up short
	pg_stop_all
	cleanup
	exit $rc
}
trap db_cleanup EXIT
pg_start "$PGD" "$PGP"
pg_client_env "$PGP"	# TCP, TLS off: what the agent can decode

# A wide table of 100,000 rows of about 1 KB: about 100 MB per SELECT *.
pg_sql "$PGD" postgres "CREATE TABLE wide AS SELECT g AS id,
    repeat(md5(g::text), 28) AS a,
    CASE WHEN g % 5 = 0 THEN NULL ELSE g * 3 END AS b, now() AS c
    FROM generate_series(1, 100000) g" >/dev/null
pg_sql "$PGD" postgres "VACUUM ANALYZE wide" >/dev/null
pgbench -i -q -s 2 -U postgres postgres >"$T/pgbench-init.log" 2>&1
echo 'SELECT * FROM wide;' >"$T/wide.sql"
ROUNDS=$(( (MB + 99) / 100 ))

# capture NAME PGBENCH-ARGS... : tcpdump on lo around one pgbench run.
capture() {
	name=$1; shift
	tcpdump -i lo -s 262144 -B 262144 -w "$T/$name.pcap" \
	    "tcp port $PGP" 2>"$T/$name.tcpdump" &
	TD=$!
	PIDS="$PIDS $TD"
	while ! grep -q "listening on" "$T/$name.tcpdump" 2>/dev/null; do
		sleep 0.1
	done
	pgbench "$@" -U postgres postgres >"$T/$name.pgbench" 2>&1
	sleep 1
	kill -INT $TD
	wait $TD || true
	d=$(sed -n 's/^\([0-9]*\) packets* dropped by kernel.*/\1/p' \
	    "$T/$name.tcpdump")
	[ "${d:-0}" = 0 ] || echo "bench db: WARNING: tcpdump lost $d" \
	    "packets in $name (counts are lower bounds)"
}

# Timing: CPU seconds (user + system, from the child's rusage, measured
# by tests/tools/lwtime.c) of each process, not wall time: the machine is
# shared, and the CPU time is what decoding costs. Each is run twice and
# the better run is kept (the first read may come from disk). Wall times
# are printed too.
agent_run() {
	"$BUILD/tests/lwtime" "$T/cost" "$BUILD/leakwatch-agent" --name bench \
	    --read "$1" --source db --port "pgsql:$2" >/dev/null 2>"$T/agent.err"
}
cost() {	# field: 1 wall, 2 cpu, 3 maxrss
	awk -v f="$1" '{ if (f == 1) print $1; else if (f == 2)
	    printf "%.6f\n", $2 + $3; else print $4 }' "$T/cost"
}
best() {
	awk -v a="$1" -v b="$2" 'BEGIN { print (a < b ? a : b) }'
}
# measure NAME: agent vs bare read over $T/NAME.pcap; prints the figures.
measure() {
	AGENT_S=999999; READ_S=999999; AGENT_W=999999; READ_W=999999
	for i in 1 2; do
		agent_run "$T/$1.pcap" "$PGP"
		AGENT_S=$(best "$AGENT_S" "$(cost 2)")
		AGENT_W=$(best "$AGENT_W" "$(cost 1)")
		RSS=$(cost 3)
		"$BUILD/tests/lwtime" "$T/cost" "$BUILD/tests/pcapread" \
		    "$T/$1.pcap" >"$T/read.out"
		READ_S=$(best "$READ_S" "$(cost 2)")
		READ_W=$(best "$READ_W" "$(cost 1)")
	done
	set -- $(cat "$T/read.out")
	PKTS=$1; BYTES=$2
	Q=$(sed -n 's/.*db: end of .*, \([0-9]*\) queries, .*/\1/p' \
	    "$T/agent.err")
	GAPS=$(sed -n 's/.*db: end of .* queries, \([0-9]*\) gaps.*/\1/p' \
	    "$T/agent.err")
	echo "  $PKTS packets, $BYTES captured bytes; the agent found $Q" \
	    "queries, $GAPS gaps; peak RSS $RSS KB"
	echo "  bare libpcap read (ceiling): $(printf %.3f $READ_S) s CPU =" \
	    "$(awk -v b=$BYTES -v s=$READ_S 'BEGIN { printf "%.0f", b / s / 1e6 }')" \
	    "MB/s (wall $(printf %.3f $READ_W) s)"
	echo "  agent --read (reassemble, decode, normalise, JSON):" \
	    "$(printf %.3f $AGENT_S) s CPU =" \
	    "$(awk -v b=$BYTES -v s=$AGENT_S 'BEGIN { printf "%.0f", b / s / 1e6 }')" \
	    "MB/s, $(awk -v q=$Q -v s=$AGENT_S 'BEGIN { printf "%.0f", q / s }')" \
	    "queries/s (wall $(printf %.3f $AGENT_W) s)"
	echo "  ratio agent / bare read: $(awk -v a=$READ_S -v b=$AGENT_S \
	    'BEGIN { printf "%.2f", a / b }')"
}

# 1. Bulk results: the shape of an insider's bulk read.
capture wide -n -M simple -t "$ROUNDS" -f "$T/wide.sql"
echo "bench db: bulk results, $ROUNDS x SELECT * FROM wide (100,000 rows of ~1 KB), $(wc -c <"$T/wide.pcap") bytes of capture:"
measure wide
[ "$Q" = "$ROUNDS" ] || echo "bench db: WARNING: $Q queries decoded, $ROUNDS run"

# 2. Many small queries: the per-statement cost.
capture small -n -S -M extended -c 4 -t 5000
echo "bench db: 20,000 small queries (pgbench -S -M extended, 4 clients), $(wc -c <"$T/small.pcap") bytes of capture:"
measure small

# Memory with 10,000 sessions open at once, and with one.
"$BUILD/tests/pgsessions" "$T/s10k.pcap" 10000 2 5
"$BUILD/tests/pgsessions" "$T/s1.pcap" 1 2 5
agent_run "$T/s10k.pcap" 5432
RSS_10K=$(cost 3)
Q10K=$(sed -n 's/.*db: end of .*, \([0-9]*\) queries, .*/\1/p' "$T/agent.err")
agent_run "$T/s1.pcap" 5432
RSS_1=$(cost 3)
echo "bench db: agent peak RSS, 10,000 concurrent sessions: $RSS_10K KB ($Q10K queries, expected 20000); one session: $RSS_1 KB; per session: $(awk -v a=$RSS_10K -v b=$RSS_1 'BEGIN { printf "%.1f", (a - b) / 10000 }') KB"
