#!/bin/sh
# MariaDB server logs and statistics as db sources, for what the wire
# decoder cannot see: a real MariaDB with require_secure_transport=ON
# (clients over TLS, or over the Unix socket), the slow query log at
# long_query_time=0, the server_audit plugin (CONNECT,QUERY,TABLE) and
# performance_schema. The workload: a 70,000-row SELECT over TLS, the
# same over the socket, a paged read in 70 pages of 1000, writes, a
# failing query.
#
#   1. `--read-log mysql-slow:FILE`: per user, exactly the rows the
#      queries returned (counted from the clients' own output) and the
#      rows the writes changed; no literal value in any event.
#   2. `--read-log mariadb-audit:FILE`: the same statements (count and
#      fingerprints per user) and the failure with its error number.
#   3. performance_schema polling (mystat:FILE): the same per-user rows.
#   4. The slow log followed live through FLUSH SLOW LOGS rotation and
#      an agent restart: every statement exactly once.
#   Sessions: server_audit's DISCONNECT carries the time since its
#   CONNECT (a session held open 2 s by SLEEP), as the plugin's own
#   timestamps say.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-mysql.sh"

N=70000
SECRET="LITERAL-XYZZY"
trap 'mysql_stop "$MD"; cleanup' EXIT

if [ "$(id -u)" != 0 ]; then
	skip setup "needs root"; exit 0
fi
if ! command -v mariadbd >/dev/null 2>&1 ||
    ! ls /usr/lib/mysql/plugin/server_audit.so >/dev/null 2>&1; then
	skip setup "MariaDB server or server_audit not installed"; exit 0
fi

PORT=$(free_port)
chmod 755 "$T"
MD="$T/my"
mkdir -p "$MD/logs"
MYSQL_EXTRA_ARGS="--require-secure-transport=ON --slow-query-log=1
 --slow-query-log-file=$MD/logs/slow.log --long-query-time=0
 --plugin-load-add=server_audit --server-audit-logging=ON
 --server-audit-file-path=$MD/logs/audit.log
 --server-audit-events=CONNECT,QUERY,TABLE --performance-schema=ON"
mysql_start "$MD" "$PORT" ||
    { fail setup "MariaDB did not start: $(tail -3 "$MD/err" 2>/dev/null)"; exit 1; }
chown -R mysql "$MD/logs"

mysql_root "$MD" -e "
CREATE DATABASE crm;
USE crm;
CREATE TABLE crm.customers (id int PRIMARY KEY, name text, email text,
    phone text);
INSERT INTO crm.customers SELECT seq, CONCAT('Name ', seq),
    CONCAT('user', seq, '@example.com'), CONCAT('+62-21-', seq)
    FROM seq_1_to_$N;
CREATE TABLE crm.notes (id int, body text);
CREATE USER lwmon@localhost IDENTIFIED BY 'mon-pw';
GRANT PROCESS ON *.* TO lwmon@localhost;
GRANT SELECT ON performance_schema.* TO lwmon@localhost;
" || { fail setup "load"; exit 1; }
for u in alice bob carol frank rot sam; do
	mysql_root "$MD" -e "CREATE USER $u@'%' IDENTIFIED BY 'pw-$u';
	    CREATE USER $u@localhost IDENTIFIED BY 'pw-$u';
	    GRANT ALL ON crm.* TO $u@'%'; GRANT ALL ON crm.* TO $u@localhost" ||
	    { fail setup "user $u"; exit 1; }
done

CPORT=$(free_port)
start_collector c --listen 127.0.0.1:$CPORT --db "$T/c.db" --insecure ||
    { fail setup "collector did not start"; exit 1; }
AG="--collector 127.0.0.1:$CPORT --insecure --backoff-min 50ms --heartbeat 1s"
printf 'socket = %s\nuser = lwmon\npassword = mon-pw\n' "$MD/sock" \
    >"$T/mystat.cred"
chmod 600 "$T/mystat.cred"
start_agent st --name st $AG --spool "$T/sst" \
    --source "mystat:$T/mystat.cred" --stat-interval 1s
STPID=$APID
wait_log "$T/st.log" "mystat.*baseline" 20 ||
    fail stats_start "$(tail -2 "$T/st.log")"

tls() {
	u=$1; shift
	mariadb --no-defaults -h 127.0.0.1 -P "$PORT" --ssl -u "$u" \
	    -p"pw-$u" crm "$@"
}
sock() {
	u=$1; shift
	mariadb --no-defaults -S "$MD/sock" -u "$u" -p"pw-$u" crm "$@"
}
check plaintext_refused sh -c "! mariadb --no-defaults -h 127.0.0.1 -P $PORT --skip-ssl -u alice -ppw-alice crm -e 'SELECT 1' 2>/dev/null"
# Rows as the clients saw them.
A=$(tls alice -N -B -e "SELECT * FROM customers" | wc -l)
B=$(sock bob -N -B -e "SELECT * FROM crm.customers" | wc -l)
C=0
i=0
while [ $i -lt 70 ]; do
	r=$(tls carol -N -B -e "SELECT id, email FROM customers ORDER BY id LIMIT 1000 OFFSET $((i * 1000))" | wc -l)
	C=$((C + r))
	i=$((i + 1))
done
tls alice -N -B -e "SELECT id FROM customers WHERE email = '$SECRET@example.org'
   AND id > 5" >/dev/null
tls alice -e "SELECT * FROM nosuch" >/dev/null 2>&1
sock frank -e "INSERT INTO notes SELECT seq, CONCAT('$SECRET-', seq) FROM seq_1_to_250"
tls frank -e "UPDATE notes SET body = '$SECRET' WHERE id <= 100"
sock frank -e "DELETE FROM notes WHERE id > 200"
tls sam -N -B -e "SELECT SLEEP(2)" >/dev/null
mariadb --no-defaults -h 127.0.0.1 -P "$PORT" --ssl -u mallory -pwrong crm \
    -e "SELECT 1" >/dev/null 2>&1
is() {
	if [ "$2" = "$3" ]; then pass "$1"; else fail "$1" "got '$2', want '$3'"; fi
}
is client_rows "$A $B $C" "$N $N $N"
sleep 1

J='function f(k,  re, v) {
	re = "\"" k "\":(\"[^\"]*\"|[-0-9.]+|true|false)"
	if (!match($0, re)) return ""
	v = substr($0, RSTART + length(k) + 3, RLENGTH - length(k) - 3)
	gsub(/"/, "", v)
	return v
}'
q() {	# q FILE USER AWK-CONDITION AWK-EXPR -> "count sum"
	awk "$J"' f("type") == "db.query" && f("db_user") == u && ('"$3"') {
		n++; s += '"$4"' } END { printf "%d %d\n", n, s }' u="$2" "$1"
}

# 1. The slow log.
"$AGENT" --read-log "mysql-slow:$MD/logs/slow.log" >"$T/slow.jsonl" \
    2>"$T/slow.err"
check slow_exit [ $? -eq 0 ]
O="$T/slow.jsonl"
is slow_alice_rows "$(q $O alice 1 'f("rows_returned")')" "3 $A"
is slow_alice_select "$(q $O alice 'f("statement") == "SELECT * FROM customers" && f("client") == "127.0.0.1" && $0 ~ /"tables":\["crm.customers"\]/' 'f("rows_returned")')" "1 $N"
is slow_bob_socket "$(q $O bob 'f("client") == ""' 'f("rows_returned")')" "1 $B"
is slow_carol_pages "$(q $O carol 1 'f("rows_returned")')" "70 $C"
is slow_carol_one_fingerprint "$(awk "$J"' f("db_user") == "carol" { print f("fingerprint") }' $O | sort -u | wc -l)" 1
is slow_frank_affected "$(q $O frank 1 'f("rows_affected")')" "3 400"
check slow_no_literals sh -c "! grep -q -e '$SECRET' -e example -e 'Name 1' -e '+62-21' '$O'"

# 2. server_audit: the same statements, by fingerprint, and the failure.
"$AGENT" --read-log "mariadb-audit:$MD/logs/audit.log" >"$T/audit.jsonl" \
    2>"$T/audit.err"
check audit_exit [ $? -eq 0 ]
fps() {
	awk "$J"' f("type") == "db.query" && f("db_user") ~ /^(alice|bob|carol|frank)$/ {
	    print f("db_user"), f("session_id"), f("fingerprint") }' "$1"
}
fps "$T/audit.jsonl" >"$T/audit.fps"
fps "$O" >"$T/slow.fps"
check audit_statements_equal_slow cmp -s "$T/audit.fps" "$T/slow.fps"
is audit_alice_error "$(q $T/audit.jsonl alice 'f("status") == "error" && f("error_code") == "1146"' 1)" "1 1"
is audit_partial "$(grep -c '"partial":true' "$T/audit.jsonl")" "$(grep -c '"type":"db.query"' "$T/audit.jsonl")"
is audit_auth_failed "$(grep '"action":"auth_failed"' "$T/audit.jsonl" | grep '"db_user":"mallory"' | grep -c '"error_code":"1045"')" 1
is audit_connects "$(grep '"action":"connect"' "$T/audit.jsonl" | grep -c '"db_user":"carol"')" 70
# sam's session: DISCONNECT less CONNECT, from the plugin's lines.
SID=$(grep '"type":"db.query"' "$T/audit.jsonl" | grep '"db_user":"sam"' | grep SLEEP | sed 's/.*"session_id":"\([0-9]*\)".*/\1/')
secs() {	# secs OP: epoch seconds of sam's OP line
	date -d "$(grep ",sam,[^,]*,$SID,[0-9]*,$1," "$MD/logs/audit.log" | cut -d, -f1)" +%s
}
SDUR=$(( ($(secs DISCONNECT) - $(secs CONNECT)) * 1000000 ))
is audit_session_duration "$(grep '"action":"disconnect"' "$T/audit.jsonl" | grep "\"session_id\":\"$SID\"" | sed 's/.*"duration_us":\([0-9]*\).*/\1/')" "$SDUR"
check audit_session_duration_2s sh -c "[ $SDUR -ge 2000000 ] && [ $SDUR -le 3000000 ]"
check audit_no_literals sh -c "! grep -q -e '$SECRET' -e example '$T/audit.jsonl'"

# 3. performance_schema polling.
S="$T/st.jsonl"
stat_rows() {
	sql "$T/c.db" "SELECT json FROM events WHERE agent='st'" >"$S"
	q "$S" "$1" 1 'f("rows_returned")' | cut -d' ' -f2
}
i=0
while [ $i -lt 100 ]; do
	[ "$(stat_rows alice)" = "$A" ] && [ "$(stat_rows bob)" = "$B" ] &&
	    [ "$(stat_rows carol)" = "$C" ] && break
	sleep 0.2; i=$((i + 1))
done
is stats_alice_rows "$(stat_rows alice)" "$A"
is stats_bob_rows "$(stat_rows bob)" "$B"
is stats_carol_rows "$(stat_rows carol)" "$C"
is stats_frank_affected "$(q $S frank 1 'f("rows_affected")' | cut -d' ' -f2)" 400
is stats_source "$(grep -c '"source":"stats"' $S)" "$(grep -c . $S)"
kill -TERM $STPID

# 4. The slow log followed live: FLUSH SLOW LOGS rotation, restart.
ROT=0
batch() {
	b=0
	while [ $b -lt "$1" ]; do
		ROT=$((ROT + 1))
		tls rot -N -B -e "SELECT id FROM customers WHERE id <= $ROT" \
		    >/dev/null
		b=$((b + 1))
	done
}
live_count() {
	sql "$T/c.db" "SELECT count(*) || ' ' || coalesce(sum(json_extract(json, '\$.rows_returned')), 0) FROM events WHERE agent='lv' AND json_extract(json, '\$.db_user') = 'rot' AND json_extract(json, '\$.command') = 'SELECT'"
}
want() {
	echo "$ROT $((ROT * (ROT + 1) / 2))"
}
wait_live() {
	i=0
	while [ $i -lt 150 ]; do
		[ "$(live_count)" = "$(want)" ] && return 0
		sleep 0.2; i=$((i + 1))
	done
	return 1
}
SL="$MD/logs/slow.log"
start_agent lv --name lv $AG --spool "$T/slv" --source "log:mysql-slow:$SL"
LVPID=$APID
batch 10
wait_live && pass live_follow || fail live_follow "$(live_count), want $(want)"
mv "$SL" "$SL.1"
mysql_root "$MD" -e "FLUSH SLOW LOGS"
batch 10
wait_live && pass live_flush_rotation || fail live_flush_rotation "$(live_count), want $(want)"
kill -TERM $LVPID; wait $LVPID 2>/dev/null
batch 10
start_agent lv2 --name lv $AG --spool "$T/slv" --source "log:mysql-slow:$SL"
batch 10
wait_live && pass live_restart || fail live_restart "$(live_count), want $(want)"
sleep 1
is live_no_duplicates "$(live_count)" "$(want)"
finish
