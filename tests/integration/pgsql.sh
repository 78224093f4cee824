#!/bin/sh
# The PostgreSQL wire decoder on real traffic: a real PostgreSQL on
# loopback, the real clients (psql, pgbench in simple, extended and
# prepared mode) as several database users, a tcpdump capture of it all,
# then `leakwatch-agent --read cap.pcap --source db` must report, per
# user, exactly the rows each statement returned or changed: a 70,000-row
# SELECT, a 70,000-row COPY TO STDOUT, a cursor read in 70 FETCHes of
# 1000, a prepared statement executed 500 times (1 row each), pgbench
# simple and extended runs, INSERT/UPDATE/DELETE counts, a failing query
# with its SQLSTATE, a refused login, and one TLS session that yields a
# tls event and no query. No literal from the queries and no row content
# may appear in the output. Kernel drops fail the test loudly (they would
# make the counts wrong for a reason that is not the decoder's). Also
# decodes the public nDPI PostgreSQL captures when ../shared is present.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-pg.sh"

N=70000
SECRET="LITERAL-XYZZY"		# literals that must never be shipped
SECRET2="zz-secret-literal"

trap 'pg_stop_all; cleanup' EXIT

corpus() {
	for f in pgsql.pcap pgsql2.pcapng; do
		p="$LW_TOP/../shared/corpus/ndpi/$f"
		if [ ! -f "$p" ]; then
			skip "corpus_$f" "$p absent"
			continue
		fi
		if "$AGENT" --read "$p" --source db --port pgsql:5432 \
		    >"$T/$f.jsonl" 2>"$T/$f.err" &&
		    ! grep -qiE 'error|[1-9][0-9]* malformed' "$T/$f.err"; then
			pass "corpus_$f"
		else
			fail "corpus_$f" "$(tail -2 "$T/$f.err")"
		fi
	done
}
corpus
# pgsql2.pcapng is a BSD-loopback (DLT_NULL) capture of one TLS session
# to port 60102: libpcap refuses a "vlan" filter on that link type, so
# the agent must open it with the plain filter and see the session.
P2="$LW_TOP/../shared/corpus/ndpi/pgsql2.pcapng"
if [ -f "$P2" ]; then
	rc=0
	"$AGENT" --read "$P2" --source db --port pgsql:60102 \
	    >"$T/p2.jsonl" 2>"$T/p2.err" || rc=$?
	if [ "$rc" = 0 ] && ! grep -qi 'vlan\|error' "$T/p2.err" &&
	    grep -q 'end of .*: 19 packets, 1 connections' "$T/p2.err" &&
	    [ "$(grep -c '"action":"tls"' "$T/p2.jsonl")" = 1 ] &&
	    [ "$(grep -c '"type":"db.query"' "$T/p2.jsonl")" = 0 ]; then
		pass corpus_pgsql2_bsd_loopback
	else
		fail corpus_pgsql2_bsd_loopback "rc $rc: $(tail -2 "$T/p2.err")"
	fi
else
	skip corpus_pgsql2_bsd_loopback "$P2 absent"
fi
# On Ethernet the filter also matches one 802.1Q tag: a tagged packet
# carrying a Query (made here, byte by byte) must reach the decoder.
perl -e 'print pack("H*", $ARGV[0])' "d4c3b2a10200040000000000000000\
00000004000100000001000000000000004800000048000000000000000002000000\
0000018100006408004500003600010000400600007f0000017f0000019c40153800\
000004000000045018ffff00000000510000000d53454c454354203100" >"$T/vlan.pcap"
rc=0
"$AGENT" --read "$T/vlan.pcap" --source db >/dev/null 2>"$T/vlan.err" ||
    rc=$?
if [ "$rc" = 0 ] && grep -q 'end of .*: 1 packets, 1 connections' \
    "$T/vlan.err"; then
	pass ethernet_vlan
else
	fail ethernet_vlan "rc $rc: $(tail -2 "$T/vlan.err")"
fi
# pgsql.pcap holds a TLS session, 2 logins and 7 statements.
if [ -f "$T/pgsql.pcap.jsonl" ]; then
	check corpus_pgsql_queries [ "$(grep -c '"type":"db.query"' \
	    "$T/pgsql.pcap.jsonl")" = 7 ]
	check corpus_pgsql_tls [ "$(grep -c '"action":"tls"' \
	    "$T/pgsql.pcap.jsonl")" = 2 ]
fi

if [ "$(id -u)" != 0 ]; then
	skip setup "needs root (tcpdump, runuser)"; exit 0
fi
if ! pg_have || ! command -v pgbench >/dev/null 2>&1 ||
    ! command -v tcpdump >/dev/null 2>&1; then
	skip setup "PostgreSQL 15, pgbench or tcpdump not installed"; exit 0
fi

PORT=$(free_port)
chmod 755 "$T"
PGD="$T/pg"
PG_SCRAM_USERS="mallory"
pg_start "$PGD" "$PORT" ||
    { fail setup "PostgreSQL did not start: $(tail -3 "$PGD/log" 2>/dev/null)"; exit 1; }

# The data, over the Unix socket (not captured).
pg_sql "$PGD" postgres "CREATE DATABASE crm" || { fail setup "createdb"; exit 1; }
pg_sql "$PGD" crm "
CREATE SCHEMA crm;
CREATE TABLE crm.customers (id int PRIMARY KEY, name text, email text,
    phone text, note text, photo bytea);
INSERT INTO crm.customers SELECT g, 'Name ' || g,
    CASE WHEN g % 5 = 0 THEN NULL ELSE 'user' || g || '@example.com' END,
    CASE WHEN g % 3 = 0 THEN NULL ELSE '+62-21-' || g END, NULL,
    decode(md5(g::text), 'hex') FROM generate_series(1, $N) g;
CREATE TABLE crm.notes (id int, body text);
" || { fail setup "load"; exit 1; }
for u in alice bob carol bench dave erin frank grace henry ivan; do
	pg_sql "$PGD" crm "CREATE ROLE $u LOGIN; GRANT USAGE ON SCHEMA crm TO $u;
	    GRANT ALL ON ALL TABLES IN SCHEMA crm TO $u" ||
	    { fail setup "role $u"; exit 1; }
done
pg_sql "$PGD" crm "CREATE ROLE mallory LOGIN PASSWORD 'right-one'" ||
    { fail setup "role mallory"; exit 1; }

# Capture everything on the port. In immediate mode libpcap gives every
# frame a ring slot as large as the snap length, so the ring is sized in
# frames: 256 MiB holds about 1,000 of them, enough for a loaded host
# (64 MiB, 250 frames, lost packets under load).
tcpdump -i lo -s 262144 -B 262144 -U --immediate-mode -w "$T/cap.pcap" "tcp port $PORT" \
    2>"$T/tcpdump.err" &
TPID=$!
PIDS="$PIDS $TPID"
i=0
while ! grep -q "listening on" "$T/tcpdump.err" 2>/dev/null; do
	i=$((i + 1))
	[ $i -gt 100 ] && { fail setup "tcpdump did not start"; exit 1; }
	sleep 0.1
done

pg_client_env "$PORT"
psq() {
	u=$1; shift
	psql -X -q -d crm -U "$u" "$@"
}
# alice: a full read, a failing query, a query with a literal.
psq alice -c "SELECT * FROM crm.customers" >/dev/null
psq alice -c "SELECT * FROM crm.nosuch" >/dev/null 2>&1
psq alice -c "SELECT id FROM crm.customers WHERE email = '$SECRET2@example.org'" >/dev/null
# bob: COPY out.
psq bob -c "COPY crm.customers TO STDOUT" >/dev/null
# carol: a cursor read in 70 FETCHes, in one transaction.
{
	echo "BEGIN;"
	echo "DECLARE cur NO SCROLL CURSOR FOR SELECT * FROM crm.customers;"
	i=0
	while [ $i -lt 70 ]; do
		echo "FETCH 1000 FROM cur;"
		i=$((i + 1))
	done
	echo "CLOSE cur;"
	echo "COMMIT;"
} >"$T/cursor.sql"
psq carol -f "$T/cursor.sql" >/dev/null
# bench: one prepared statement, 500 executions, 1 row each.
printf '\\set id random(1, %d)\nSELECT * FROM crm.customers WHERE id = :id;\n' \
    $N >"$T/bench.sql"
pgbench -n -M prepared -c 1 -t 500 -f "$T/bench.sql" -U bench crm \
    >"$T/pgbench-prepared.log" 2>&1
pgbench -n -M simple -c 1 -t 100 -f "$T/bench.sql" -U dave crm \
    >"$T/pgbench-simple.log" 2>&1
pgbench -n -M extended -c 1 -t 100 -f "$T/bench.sql" -U erin crm \
    >"$T/pgbench-extended.log" 2>&1
# henry: psql's own cursor (FETCH_COUNT): DECLARE, FETCH FORWARD 1000...
psq henry -v FETCH_COUNT=1000 -c "SELECT * FROM crm.customers" >/dev/null
# ivan: pipelined extended queries (3 per Sync), 50 times.
{
	printf '\\set id random(1, %d)\n\\startpipeline\n' $N
	for i in 1 2 3; do
		echo "SELECT * FROM crm.customers WHERE id = :id + $i - 1;"
	done
	printf '\\endpipeline\n'
} >"$T/pipeline.sql"
pgbench -n -M extended -c 1 -t 50 -f "$T/pipeline.sql" -U ivan crm \
    >"$T/pgbench-pipeline.log" 2>&1
# frank: writes.
psq frank -c "INSERT INTO crm.notes SELECT g, '$SECRET-' || g FROM generate_series(1, 250) g"
psq frank -c "UPDATE crm.notes SET body = '$SECRET' WHERE id <= 100"
psq frank -c "DELETE FROM crm.notes WHERE id > 200"
# grace over TLS: encrypted, so one tls event and nothing else.
PGSSLMODE=require psq grace -c "SELECT * FROM crm.customers WHERE id < 100" >/dev/null
# mallory: a wrong password.
PGPASSWORD=wrong-one psq mallory -c "SELECT 1" >/dev/null 2>&1

sleep 1
kill -INT $TPID
wait $TPID 2>/dev/null
dropped=$(sed -n 's/^\([0-9]*\) packets dropped by kernel.*/\1/p' "$T/tcpdump.err")
if [ "$dropped" != 0 ]; then
	fail capture "kernel dropped ${dropped:-?} packets: counts would be wrong"
	exit 1
fi
check pgbench_ran grep -q "number of transactions actually processed: 500/500" "$T/pgbench-prepared.log"

# Statement by statement: these checks count decoded statements one
# event each; folding is tests/unit/test_aggregate.c and capture_burst.sh.
"$AGENT" --read "$T/cap.pcap" --source db --port "pgsql:$PORT" \
    --aggregate=no >"$T/out.jsonl" 2>"$T/agent.err"
check agent_exit [ $? -eq 0 ]
cp "$T/out.jsonl" /tmp/lw-pgsql-last.jsonl 2>/dev/null

# One field of a JSON line: strings unquoted, numbers and booleans as is.
J='function f(k,  re, v) {
	re = "\"" k "\":(\"[^\"]*\"|[-0-9.]+|true|false)"
	if (!match($0, re)) return ""
	v = substr($0, RSTART + length(k) + 3, RLENGTH - length(k) - 3)
	gsub(/"/, "", v)
	return v
}'
# q USER AWK-CONDITION AWK-EXPR : sums EXPR over db.query lines of USER
# matching the condition; prints "count sum".
q() {
	awk "$J"' f("type") == "db.query" && f("db_user") == u && ('"$2"') {
		n++; s += '"$3"' } END { printf "%d %d\n", n, s }' u="$1" \
	    "$T/out.jsonl"
}
is() {	# is NAME ACTUAL EXPECTED
	if [ "$2" = "$3" ]; then pass "$1"; else fail "$1" "got '$2', want '$3'"; fi
}

is alice_select "$(q alice 'f("statement") == "SELECT * FROM crm.customers" && f("status") == "ok"' 'f("rows_returned")')" "1 $N"
is alice_error "$(q alice 'f("status") == "error" && f("error_code") == "42P01"' 1)" "1 1"
is alice_total_rows "$(q alice 1 'f("rows_returned")')" "3 $N"
is bob_copy "$(q bob 'f("command") == "COPY"' 'f("rows_returned")')" "1 $N"
is carol_fetches "$(q carol 'f("statement") ~ /^FETCH/ && f("command") == "SELECT"' 'f("rows_returned")')" "70 $N"
# FETCH inherits the tables of its DECLARE.
is carol_fetch_tables "$(q carol 'f("statement") ~ /^FETCH/ && $0 ~ /"tables":\["crm.customers"\]/' 1)" "70 70"
is carol_total_rows "$(q carol 1 'f("rows_returned")')" "74 $N"
is bench_prepared "$(q bench 'f("statement") ~ /crm.customers WHERE id = \?$/ && f("rows_returned") == 1 && f("status") == "ok"' 1)" "500 500"
is bench_total_rows "$(q bench 1 'f("rows_returned")')" "500 500"
is dave_simple "$(q dave 'f("rows_returned") == 1 && f("command") == "SELECT"' 1)" "100 100"
is erin_extended "$(q erin 'f("rows_returned") == 1 && f("command") == "SELECT"' 1)" "100 100"
# psql fetches until a short batch: the 71st FETCH returns 0 rows.
is henry_fetch_count "$(q henry 'f("statement") ~ /^FETCH/ && f("command") == "SELECT"' 'f("rows_returned")')" "71 $N"
is ivan_pipelined "$(q ivan 'f("command") == "SELECT" && f("status") == "ok"' 'f("rows_returned")')" "150 150"
is frank_insert "$(q frank 'f("command") == "INSERT"' 'f("rows_affected")')" "1 250"
is frank_update "$(q frank 'f("command") == "UPDATE"' 'f("rows_affected")')" "1 100"
is frank_delete "$(q frank 'f("command") == "DELETE"' 'f("rows_affected")')" "1 50"
is grace_no_queries "$(q grace 1 1)" "0 0"
is tls_sessions "$(grep '"type":"db.session"' "$T/out.jsonl" | grep -c '"action":"tls"')" 1
is mallory_refused "$(grep '"action":"auth_failed"' "$T/out.jsonl" | grep '"db_user":"mallory"' | grep -c '"error_code":"28P01"')" 1
# psql: alice 3, bob, carol, henry, frank 3; pgbench: 2 each (its main
# connection and its client's), 4 runs.
is connects "$(grep -c '"action":"connect"' "$T/out.jsonl")" 17
is disconnects "$(grep -c '"action":"disconnect"' "$T/out.jsonl")" 19
is no_partial "$(grep -c '"partial":true' "$T/out.jsonl")" 0
# A session is named by its backend pid (BackendKeyData), not a hash.
is connect_pids "$(grep '"action":"connect"' "$T/out.jsonl" |
    grep -vc '"session_id":"[0-9]*"')" 0
is no_unknown_users "$(grep '"type":"db.query"' "$T/out.jsonl" | grep -vc '"db_user":"[a-z]')" 0
check no_literals sh -c "! grep -q -e '$SECRET' -e '$SECRET2' -e 'example.com' -e 'Name 1' -e '+62-21' '$T/out.jsonl'"
check no_error_texts sh -c "! grep -q -e 'does not exist' -e 'password authentication' '$T/out.jsonl'"
