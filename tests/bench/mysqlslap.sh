#!/bin/sh
# `make bench`, live capture at full speed on MariaDB: what the database
# agent costs a busy server and whether it misses anything, the MariaDB
# twin of pgbench.sh. Its own MariaDB on loopback (lib-mysql.sh, a free
# port, a temporary directory, stopped on every exit path), a table of
# 10,000 rows, then BENCH_MY_Q primary-key lookups (default 200,000) from
# mysqlslap with 4 clients over TCP without TLS (what the agent decodes):
#
#   none       mysqlslap alone
#   tcpdump    `tcpdump -i lo -s 0 -B 65536 -w /dev/null tcp port P`:
#              the capture floor, measured in the same run
#   spool      the agent (--source db:lo) spooling, no collector
#   collector  the agent shipping over TLS to a collector on this host
#
# mysqlslap reports the seconds a run took, so queries per second is
# BENCH_MY_Q divided by them. For the agent: its CPU per query (utime +
# stime from /proc/PID/stat over the run, divided by the queries), its
# share of a core, kernel and queue drops and events out (the agent's own
# counts, logged when it exits on SIGTERM).
#
# Usage: sh tests/bench/mysqlslap.sh BUILD
#   BENCH_MY_Q (queries per run, 200000), BENCH_MY_CLIENTS (4),
#   BENCH_MY_AGENT (extra agent options)
set -e
BUILD=$(cd "$1" && pwd)
TOP=$(cd "$(dirname "$0")/../.." && pwd)
export LW_BUILD="$BUILD" LW_TOP="$TOP"
NQ=${BENCH_MY_Q:-200000}
CLIENTS=${BENCH_MY_CLIENTS:-4}
. "$TOP/tests/integration/lib.sh"
. "$TOP/tests/integration/lib-mysql.sh"
. "$TOP/tests/bench/lib-live.sh"

live_require mysqlslap mariadbd mariadb mariadb-install-db mysqlslap tcpdump

chmod 755 "$T"
MYD="$T/my"
MYP=$(free_port)
CP=$(free_port)
my_cleanup() {
	rc=$?
	set +e	# a server already gone must not cut the clean-up short
	mysql_stop "$MYD"
	cleanup
	exit $rc
}
trap my_cleanup EXIT
mysql_start "$MYD" "$MYP" ||
    { echo "bench mysqlslap: MariaDB did not start:"; tail -5 "$MYD/err"; exit 1; }
mysql_root "$MYD" <<EOF
CREATE DATABASE slap;
USE slap;
CREATE TABLE t (id INT PRIMARY KEY, v VARCHAR(32));
INSERT INTO t SELECT seq, CONCAT('v', seq) FROM seq_1_to_10000;
CREATE USER bench@'%' IDENTIFIED BY 'pw-bench-1';
GRANT SELECT ON slap.* TO bench@'%';
EOF
echo "bench mysqlslap: MariaDB $(mariadbd --version | awk '{print $3}')" \
    "on 127.0.0.1:$MYP; $NQ lookups, $CLIENTS clients per run"
make_pki bench

# run_slap : sets QPS from the seconds mysqlslap reports.
run_slap() {
	mysqlslap --no-defaults -h 127.0.0.1 -P "$MYP" -u bench \
	    -ppw-bench-1 --skip-ssl --create-schema=slap --no-drop \
	    --query="SELECT v FROM t WHERE id = 4242" \
	    --concurrency="$CLIENTS" --iterations=1 \
	    --number-of-queries="$NQ" >"$T/slap.out" 2>&1 ||
	    { echo "bench mysqlslap: mysqlslap failed:"; cat "$T/slap.out"; exit 1; }
	secs=$(sed -n 's/.*Average number of seconds to run all queries: \([0-9.]*\).*/\1/p' \
	    "$T/slap.out")
	[ -n "$secs" ] ||
	    { echo "bench mysqlslap: no time in:"; cat "$T/slap.out"; exit 1; }
	DUR=$secs
	QPS=$(awk -v n="$NQ" -v s="$secs" 'BEGIN { printf "%d", n / s }')
}

# run_tcpdump : the floor; sets QPS, ACPU and KDROP.
run_tcpdump() {
	live_tcpdump_start "$MYP"
	c0=$(cpu_s $TD)
	run_slap
	c1=$(cpu_s $TD)
	live_tcpdump_stop
	ACPU=$(us_per $c0 $c1 $NQ)
}

# run_agent LOG ARGS... : the agent around one run; sets QPS, ACPU (us
# per query), ACORE (% of a core), KDROP, QDROP, EVENTS.
run_agent() {
	log=$1
	shift
	# shellcheck disable=SC2086
	live_agent_start "$log" "mysql:$MYP" ${BENCH_MY_AGENT:-} "$@"
	c0=$(cpu_s $AP)
	run_slap
	# What is still queued is decoded now, and counted in the CPU.
	sleep 1
	c1=$(cpu_s $AP)
	kill -TERM $AP
	wait $AP || { echo "bench mysqlslap: agent exit $?:"; tail "$log"; exit 1; }
	ACPU=$(us_per $c0 $c1 $NQ)
	ACORE=$(awk -v a=$c0 -v b=$c1 -v t=$DUR 'BEGIN { printf "%d", (b - a) * 100 / (t + 1) }')
	live_agent_counts "$log"
}

run_slap
NONE=$QPS
echo "mysqlslap: no capture: $QPS queries/s ($NQ in $DUR s)"

run_tcpdump
FLOOR=$QPS
echo "mysqlslap: tcpdump (the floor): $QPS queries/s = $(ratio $QPS $NONE)x" \
    "no capture; tcpdump CPU $ACPU us/query, kernel drops ${KDROP:-?}"

run_agent "$T/agent-spool.log" \
    --collector 127.0.0.1:1 --insecure --backoff-min 60s --backoff-max 60s
echo "mysqlslap: agent, spooling only: $QPS queries/s = $(ratio $QPS $FLOOR)x" \
    "tcpdump ($(ratio $QPS $NONE)x no capture); agent CPU $ACPU us/query" \
    "($ACORE% of a core); kernel drops $KDROP, queue drops $QDROP ($QWAIT waits for room);" \
    "events out ${EVENTS:-?} for $NQ queries"

start_collector c --listen 127.0.0.1:$CP --db "$T/c.db" \
    --rules "$TOP/rules" --tls-cert "$T/pki/collector.crt" \
    --tls-key "$T/pki/collector.key" --tls-client-ca "$T/pki/ca.crt" ||
    { echo "bench mysqlslap: collector:"; cat "$T/c.log"; exit 1; }
cc0=$(cpu_s $CPID)
run_agent "$T/agent-coll.log" \
    --collector 127.0.0.1:$CP --tls-ca "$T/pki/ca.crt" \
    --tls-cert "$T/pki/bench.crt" --tls-key "$T/pki/bench.key"
cc1=$(cpu_s $CPID)
kill -TERM $CPID
wait $CPID || true
stored=$(sql "$T/c.db" "SELECT count(*) FROM events")
echo "mysqlslap: agent + collector: $QPS queries/s = $(ratio $QPS $FLOOR)x" \
    "tcpdump ($(ratio $QPS $NONE)x no capture); agent CPU $ACPU us/query" \
    "($ACORE% of a core); kernel drops $KDROP, queue drops $QDROP ($QWAIT waits for room);" \
    "events out ${EVENTS:-?}, $stored stored by the SIGTERM; collector CPU" \
    "$(us_per $cc0 $cc1 $NQ)" \
    "us/query"
# What arrived against what mysqlslap ran: every lookup returns one row,
# so the stored db.query events on slap.t must stand for NQ queries and
# NQ rows (the sum of `count` and of rows_returned), none partial.
stored=$(sql "$T/c.db" "SELECT sum(coalesce(json_extract(json, '\$.count'),
    1)) || ' ' || sum(json_extract(json, '\$.rows_returned')) FROM events
    WHERE type = 'db.query' AND json_extract(json, '\$.db_user') = 'bench'
    AND json_extract(json, '\$.tables[0]') = 'slap.t'")
partial=$(sql "$T/c.db" "SELECT count(*) FROM events
    WHERE json_extract(json, '\$.partial') = 1")
verdict=equal
[ "$stored" = "$NQ $NQ" ] && [ "$partial" = 0 ] || verdict=DIFFERENT
echo "mysqlslap: counts: mysqlslap $NQ queries; collector $stored (sum of" \
    "count, rows_returned); $partial partial: $verdict"
[ $verdict = equal ]
