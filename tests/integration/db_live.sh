#!/bin/sh
# The database agent live, end to end: a real PostgreSQL and a real
# MariaDB on loopback (lib-pg.sh, lib-mysql.sh), the agent capturing on `lo` (--source db:lo,
# snaplen 262144, a large kernel buffer) and shipping through its spool to
# a real collector, while psql and mariadb run queries as four database
# users. The collector's SQLite `events` table must then hold, per user,
# exactly the rows each query returned (70,000-row reads, a COPY, a cursor
# read in 70 FETCHes, small reads, errors with their SQLSTATE / error
# number), a connect and a disconnect per client session, and no literal
# from the queries; and an offline --read of a tcpdump capture of the
# same traffic finds the same rows per user. Kernel drops fail the test
# loudly: they would make the counts wrong for a reason that is not the
# agent's.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-pg.sh"
. "$(dirname "$0")/lib-mysql.sh"

N=70000
SECRET="zq-secret-7731"		# a literal that must never be shipped

if [ "$(id -u)" != 0 ]; then
	skip setup "needs root (live capture, runuser)"; exit 0
fi
if ! pg_have; then
	skip setup "PostgreSQL not installed"; exit 0
fi
for c in mariadbd mariadb mariadb-install-db; do
	if ! command -v "$c" >/dev/null 2>&1; then
		skip setup "$c not installed"; exit 0
	fi
done

PGP=$(free_port)
MYP=$(free_port)
CP=$(free_port)
chmod 755 "$T"
PGD="$T/pg"
MYD="$T/my"

db_cleanup() {
	rc=$?
	set +e	# a server already gone must not cut the clean-up short
	pg_stop_all
	mysql_stop "$MYD"
	cleanup
	exit $rc
}
trap db_cleanup EXIT

# The clients over TCP (what libpcap sees), TLS off: both servers offer
# it, and an encrypted session is only a db.session "tls" event.
pg_client_env "$PGP"
pg() {
	u=$1; shift
	psql -X -q -v ON_ERROR_STOP=1 -U "$u" -d crm "$@"
}
my() {
	u=$1; shift
	mariadb --no-defaults --skip-ssl -h 127.0.0.1 -P "$MYP" -u "$u" \
	    -p"pw-$u" crm "$@"
}

pg_start "$PGD" "$PGP" ||
    { fail setup "PostgreSQL did not start: $(tail -3 "$PGD/log" 2>/dev/null)"; exit 1; }
mysql_start "$MYD" "$MYP" ||
    { fail setup "MariaDB did not start: $(tail -3 "$MYD/err" 2>/dev/null)"; exit 1; }

# The data, over the Unix sockets: not part of what is captured.
pg_sql "$PGD" postgres "CREATE DATABASE crm" >/dev/null &&
pg_sql "$PGD" crm "
CREATE SCHEMA crm;
CREATE TABLE crm.customers AS
  SELECT g AS id, 'name' || g AS name,
         CASE WHEN g % 3 = 0 THEN NULL ELSE '+62' || g END AS phone,
         decode(md5(g::text), 'hex') AS photo
  FROM generate_series(1, $N) g;
CREATE ROLE alice LOGIN; CREATE ROLE bob LOGIN;
GRANT USAGE ON SCHEMA crm TO alice, bob;
GRANT SELECT ON crm.customers TO alice, bob;" >/dev/null ||
    { fail setup "PostgreSQL data"; exit 1; }
mysql_root "$MYD" >/dev/null <<EOF || { fail setup "MariaDB data"; exit 1; }
CREATE DATABASE crm;
USE crm;
CREATE TABLE customers (id INT PRIMARY KEY, name VARCHAR(64),
  phone VARCHAR(32) NULL, photo BLOB);
INSERT INTO customers SELECT seq, CONCAT('name', seq),
  IF(seq % 3 = 0, NULL, CONCAT('+62', seq)), UNHEX(MD5(seq))
  FROM seq_1_to_$N;
CREATE USER carol@'%' IDENTIFIED BY 'pw-carol';
CREATE USER dave@'%' IDENTIFIED BY 'pw-dave';
GRANT SELECT ON crm.* TO carol@'%', dave@'%';
EOF

start_collector c --listen 127.0.0.1:$CP --db "$T/c.db" --insecure ||
    { fail setup "collector did not start"; exit 1; }
# Statement by statement: these checks count decoded statements one
# event each; folding is tests/unit/test_aggregate.c and capture_burst.sh.
start_agent a --name db1 --collector 127.0.0.1:$CP --insecure \
    --spool "$T/spool" --source db:lo --snaplen 262144 --aggregate=no \
    --pcap-buffer 256M --port "pgsql:$PGP" --port "mysql:$MYP" \
    --heartbeat 1s --backoff-min 50ms
if ! wait_log "$T/a.log" "lo: capturing" 20; then
	fail setup "agent did not start capturing: $(tail -3 "$T/a.log")"
	exit 1
fi
# The same traffic, recorded for an offline --read to compare with.
if command -v tcpdump >/dev/null 2>&1; then
	tcpdump -i lo -s 262144 -B 262144 -w "$T/live.pcap" \
	    "tcp port $PGP or tcp port $MYP" 2>"$T/tcpdump.log" &
	TD=$!
	PIDS="$PIDS $TD"
	wait_log "$T/tcpdump.log" "listening on" 20 || TD=
fi
sleep 0.5

# The workload. Each client process is one session.
ok=1
pg alice -c "SELECT * FROM crm.customers" >/dev/null || ok=0
pg alice -c "SELECT id, name FROM crm.customers WHERE id <= 1234 AND name <> '$SECRET'" >/dev/null || ok=0
pg bob -c "COPY crm.customers TO STDOUT" >/dev/null || ok=0
{
	echo "BEGIN;"
	echo "DECLARE c CURSOR FOR SELECT * FROM crm.customers;"
	i=0
	while [ $i -lt 70 ]; do echo "FETCH 1000 FROM c;"; i=$((i + 1)); done
	echo "CLOSE c;"
	echo "COMMIT;"
} | pg bob >/dev/null || ok=0
pg bob -c "SELECT * FROM crm.nosuch" >/dev/null 2>&1 && ok=0
my carol -e "SELECT * FROM customers" >/dev/null || ok=0
my carol -e "SELECT * FROM crm.customers WHERE id > 69000 AND name <> '$SECRET'" >/dev/null || ok=0
my dave -e "SELECT id, phone FROM customers WHERE id <= 500" >/dev/null || ok=0
my dave -e "SELECT * FROM crm.nosuch" >/dev/null 2>&1 && ok=0
check workload_ran [ $ok = 1 ]

# Every client has disconnected: 9 sessions, each a connect, a
# disconnect and its queries. bob's session 2 runs BEGIN, DECLARE, 70
# FETCH, CLOSE, COMMIT = 74 statements.
QUERIES=$((1 + 1 + 1 + 74 + 1 + 2 + 2))
WANT=$((QUERIES + 18))
if ! wait_rows "$T/c.db" "$WANT" 60; then
	fail delivered "$(sql "$T/c.db" "SELECT count(*) FROM events") of $WANT events stored"
fi
sleep 1	# anything extra would show up now
kill -TERM "$APID"
wait "$APID"
check agent_sigterm_clean_exit [ $? -eq 0 ]

# Kernel drops make every count below meaningless: fail loudly.
if grep -q "kernel dropped\|packets in the kernel" "$T/a.log"; then
	fail kernel_drops "THE KERNEL DROPPED PACKETS: $(grep "kernel" "$T/a.log" | head -3)"
else
	pass kernel_drops_zero
fi

q() {
	sql "$T/c.db" "$1"
}
# same NAME GOT WANT : PASS when equal, else FAIL showing both.
same() {
	if [ "$2" = "$3" ]; then pass "$1"; else fail "$1" "got '$2', want '$3'"; fi
}
rows_of() {
	q "SELECT coalesce(sum(json_extract(json, '$.rows_returned')), 0)
	   FROM events WHERE type = 'db.query'
	   AND json_extract(json, '$.db_user') = '$1'
	   AND json_extract(json, '$.status') = 'ok'"
}

n=$(q "SELECT count(*) FROM events WHERE type = 'db.query'")
same "queries_$QUERIES" "$n" "$QUERIES"
got=$(rows_of alice)
same alice_rows_71234 "$got" $((N + 1234))
got=$(rows_of bob)
same bob_rows_140000 "$got" $((2 * N))
got=$(rows_of carol)
same carol_rows_71000 "$got" $((N + 1000))
got=$(rows_of dave)
same dave_rows_500 "$got" 500

got=$(q "SELECT count(*) FROM events WHERE type = 'db.query'
	 AND json_extract(json, '$.db_user') = 'bob'
	 AND json_extract(json, '$.rows_returned') = 1000
	 AND json_extract(json, '$.command') = 'SELECT'")
same bob_cursor_70_fetches_as_select "$got" 70
got=$(q "SELECT json_extract(json, '$.rows_returned') || ' ' ||
	 json_extract(json, '$.command') FROM events
	 WHERE type = 'db.query' AND json_extract(json, '$.db_user') = 'bob'
	 AND json_extract(json, '$.rows_returned') = $N")
same bob_copy_70000 "$got" "$N COPY"
got=$(q "SELECT group_concat(e, ' ') FROM (SELECT
	 json_extract(json, '$.db_user') || ':' ||
	 json_extract(json, '$.error_code') AS e FROM events
	 WHERE type = 'db.query' AND json_extract(json, '$.status') = 'error'
	 ORDER BY e)")
same errors_with_codes "$got" "bob:42P01 dave:1146"
got=$(q "SELECT count(*) FROM events WHERE type = 'db.query'
	 AND json_extract(json, '$.partial') = 1")
same no_partial_queries "$got" 0
for a in connect disconnect; do
	got=$(q "SELECT count(*) FROM events WHERE type = 'db.session'
		 AND json_extract(json, '$.action') = '$a'")
	same "sessions_${a}_9" "$got" 9
done
got=$(q "SELECT count(DISTINCT json_extract(json, '$.session_id'))
	 FROM events WHERE type = 'db.query'")
same session_ids_9 "$got" 9
got=$(q "SELECT count(*) FROM events WHERE agent = 'db1'
	 AND json_extract(json, '$.source') = 'wire'")
same all_from_the_wire "$got" "$WANT"
# Normalised statements; an unqualified MySQL table takes the session's
# database (the connection's default schema).
got=$(q "SELECT json_extract(json, '$.statement') || ' ' ||
	 json_extract(json, '$.tables') FROM events
	 WHERE type = 'db.query' AND json_extract(json, '$.db_user') = 'dave'
	 AND json_extract(json, '$.status') = 'ok'")
same dave_statement_and_tables "$got" 'SELECT id, phone FROM customers WHERE id <= ? ["crm.customers"]'
got=$(q "SELECT json_extract(json, '$.statement') FROM events
	 WHERE type = 'db.query' AND json_extract(json, '$.db_user') = 'alice'
	 AND json_extract(json, '$.rows_returned') = 1234")
same alice_statement_normalised "$got" 'SELECT id, name FROM crm.customers WHERE id <= ? AND name <> ?'
# Offline, the tcpdump capture of the same traffic gives the same rows
# per user (unless tcpdump itself lost packets: then it cannot).
if [ -n "${TD:-}" ]; then
	kill -INT "$TD"
	wait "$TD" 2>/dev/null
	if grep -q "^0 packets dropped by kernel" "$T/tcpdump.log"; then
		"$AGENT" --read "$T/live.pcap" --source db --name db1 \
		    --port "pgsql:$PGP" --port "mysql:$MYP" --aggregate=no \
		    >"$T/offline.jsonl" 2>"$T/offline.log"
		off=$(grep '"type":"db.query"' "$T/offline.jsonl" | awk '
		    { u = $0; sub(/.*"db_user":"/, "", u); sub(/".*/, "", u)
		      r = $0; sub(/.*"rows_returned":/, "", r); sub(/,.*/, "", r)
		      if ($0 ~ /"status":"ok"/) n[u] += r }
		    END { for (u in n) print u "=" n[u] }' | sort | tr '\n' ' ')
		live=$(q "SELECT json_extract(json, '$.db_user') || '=' ||
		    sum(json_extract(json, '$.rows_returned')) FROM events
		    WHERE type = 'db.query' AND json_extract(json, '$.status') = 'ok'
		    GROUP BY json_extract(json, '$.db_user') ORDER BY 1" | tr '\n' ' ')
		same offline_read_same_rows "$off" "$live"
		n=$(grep -c '"type":"db.query"' "$T/offline.jsonl")
		same offline_read_same_queries "$n" "$QUERIES"
	else
		skip offline_read_same_rows "tcpdump lost packets: $(tail -1 "$T/tcpdump.log")"
	fi
else
	skip offline_read_same_rows "tcpdump not installed"
fi

# Neither the literal in the WHERE clauses nor any row content.
check no_literal_shipped sh -c "! sqlite3 '$T/c.db' 'SELECT json FROM events' | grep -q -e '$SECRET' -e '+62' -e 'name1'"
finish
