#!/bin/sh
# PostgreSQL server logs as a db source, for what the wire decoder cannot
# see: a real PostgreSQL 15 with ssl=on (a certificate made by lib-pg.sh),
# pgaudit (log_rows on) and pg_stat_statements, logging stderr (with a
# log_line_prefix), csvlog and jsonlog at once. Clients connect with
# sslmode=require over TCP and over the Unix socket; the workload of the
# wire-decoder test (a 70,000-row SELECT, a 70,000-row COPY TO STDOUT, a
# cursor read in 70 FETCHes of 1000, writes, a failing query).
#
#   1. `--read-log pgjson|pgcsv|pgaudit:FILE` each report the same
#      events: per user the rows pgaudit counts (the SELECT's 70,000,
#      the writes), FETCH and COPY of a table as partial (pgaudit counts
#      no rows for them), the failing query with its SQLSTATE, FETCH
#      attributed to crm.customers, no literal value anywhere.
#   2. pg_stat_statements polling (pgstat:CONNINFO-FILE) reports per user
#      the rows each statement returned: 70,000 for alice, bob and carol.
#   3. Live tailing of the csvlog into a collector through rotation by
#      rename (pg_rotate_logfile), copytruncate and an agent restart
#      during a workload: every statement exactly once.
#   4. Dedup: one agent with the wire source on lo and the log source:
#      a plaintext session is reported by the wire only, a TLS session
#      by the log only.
#   5. Exact per-user rows from the log: auto_explain (log_analyze, json)
#      gives each cursor's total at its end, so the log alone counts the
#      committed FETCH loops; one agent running the log source and
#      pgstat together (fill mode) reports per user exactly the rows the
#      queries returned - the SELECTs, COPY of a table (which no log
#      counts), COPY (query), a FETCH loop committed and one rolled
#      back - over TLS and over the Unix socket, and nothing twice.
#   6. A log_line_prefix the agent is not told ('%m [%p] %u@%d %a %h '):
#      the prefix is read from the log and named, the lines its own
#      prefix missed are counted, the rows are exact.
#   Sessions: a disconnect carries the server's "session time".
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-pg.sh"

N=70000
SECRET="LITERAL-XYZZY"
trap 'pg_stop_all; cleanup' EXIT

if [ "$(id -u)" != 0 ]; then
	skip setup "needs root (runuser)"; exit 0
fi
if ! pg_have || [ ! -f "$(pg_bin)/../lib/pgaudit.so" ]; then
	skip setup "PostgreSQL 15 or postgresql-15-pgaudit not installed"
	exit 0
fi

PORT=$(free_port)
chmod 755 "$T"
PGD="$T/pg"
LOGD="$T/pglogs"
mkdir -p "$LOGD"
chown postgres "$LOGD"
PG_EXTRA_CONF="shared_preload_libraries = 'pgaudit,pg_stat_statements,auto_explain'
auto_explain.log_min_duration = 0
auto_explain.log_analyze = on
auto_explain.log_timing = off
auto_explain.log_format = 'json'
pgaudit.log = 'read, write, ddl, misc'
pgaudit.log_rows = on
pgaudit.log_catalog = off
pgaudit.log_parameter = off
pgaudit.log_relation = off
logging_collector = on
log_destination = 'stderr,csvlog,jsonlog'
log_directory = '$LOGD'
log_filename = 'pg.log'
log_rotation_age = 0
log_rotation_size = 0
log_timezone = 'UTC'
log_connections = on
log_disconnections = on
log_line_prefix = '%m [%p] %q%u@%d %a %r %e '"
PREFIX='%m [%p] %q%u@%d %a %r %e '
PG_SCRAM_USERS="mallory"
pg_start "$PGD" "$PORT" ||
    { fail setup "PostgreSQL did not start: $(tail -3 "$PGD/log" 2>/dev/null)"; exit 1; }

pg_sql "$PGD" postgres "CREATE DATABASE crm" || { fail setup "createdb"; exit 1; }
pg_sql "$PGD" crm "
CREATE EXTENSION pg_stat_statements;
CREATE SCHEMA crm;
CREATE TABLE crm.customers (id int PRIMARY KEY, name text, email text,
    phone text);
INSERT INTO crm.customers SELECT g, 'Name ' || g,
    'user' || g || '@example.com', '+62-21-' || g
    FROM generate_series(1, $N) g;
CREATE TABLE crm.notes (id int, body text);
CREATE ROLE lwmon LOGIN PASSWORD 'mon-pw'; GRANT pg_monitor TO lwmon;
CREATE ROLE mallory LOGIN PASSWORD 'right-one';
ALTER ROLE lwmon SET pgaudit.log = 'none';
" || { fail setup "load"; exit 1; }
for u in alice bob carol dave erin grace frank rot dd1 dd2 pfx; do
	pg_sql "$PGD" crm "CREATE ROLE $u LOGIN; GRANT USAGE ON SCHEMA crm TO $u;
	    GRANT ALL ON ALL TABLES IN SCHEMA crm TO $u" ||
	    { fail setup "role $u"; exit 1; }
done

# The statistics source, started before the workload (its first poll
# is the baseline).
HAVE_PQ=1
CPORT=$(free_port)
start_collector c --listen 127.0.0.1:$CPORT --db "$T/c.db" --insecure ||
    { fail setup "collector did not start"; exit 1; }
AG="--collector 127.0.0.1:$CPORT --insecure --backoff-min 50ms --heartbeat 1s"
printf 'host=%s port=%s dbname=crm user=lwmon password=mon-pw\n' "$PGD" \
    "$PORT" >"$T/pgstat.conn"
# A credential file others can read is refused, naming the mode.
cp "$T/pgstat.conn" "$T/pgstat.open"
chmod 644 "$T/pgstat.open"
"$AGENT" $AG_USER --name bad $AG --spool "$T/sbad" --source "pgstat:$T/pgstat.open" \
    >"$T/bad.log" 2>&1
rc=$?
check stats_cred_mode_refused sh -c "[ $rc -ne 0 ] &&
    grep -q 'readable by others (mode 644)' '$T/bad.log'"
chmod 600 "$T/pgstat.conn"
if [ $HAVE_PQ = 1 ]; then
	start_agent st --name st $AG --spool "$T/sst" \
	    --source "pgstat:$T/pgstat.conn" --stat-interval 1s
	STPID=$APID
	wait_log "$T/st.log" "pgstat.*baseline" 20 ||
	    fail stats_start "$(tail -2 "$T/st.log")"
	# The complete set-up: the csvlog and pgstat in one agent.
	start_agent ex --name ex $AG --spool "$T/sex" \
	    --source "log:pgcsv:$LOGD/pg.csv" \
	    --source "pgstat:$T/pgstat.conn" --stat-interval 1s
	EXPID=$APID
	wait_log "$T/ex.log" "pgstat.*baseline" 20 ||
	    fail fill_start "$(tail -2 "$T/ex.log")"
fi

export PGHOST=127.0.0.1 PGPORT="$PORT" PGSSLMODE=require \
    PGGSSENCMODE=disable PGCONNECT_TIMEOUT=10
tls() {	# over TCP with TLS required
	u=$1; shift
	psql -X -q -d crm -U "$u" "$@"
}
sock() {	# over the Unix socket
	u=$1; shift
	PGHOST="$PGD" PGSSLMODE=disable psql -X -q -d crm -U "$u" "$@"
}
tls alice -c "SELECT * FROM crm.customers" >/dev/null
tls alice -c "SELECT id FROM crm.customers WHERE email = '$SECRET@example.org'
   AND id > 5" >/dev/null
tls alice -c "SELECT * FROM crm.nosuch" >/dev/null 2>&1
sock bob -c "COPY crm.customers TO STDOUT" >/dev/null
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
} | tls carol >/dev/null
cursor_loop() {	# cursor_loop BATCH END-STATEMENT [CLOSE]
	echo "BEGIN;"
	echo "DECLARE cur NO SCROLL CURSOR FOR SELECT * FROM crm.customers;"
	i=0
	while [ $i -lt $((N / $1)) ]; do
		echo "FETCH $1 FROM cur;"
		i=$((i + 1))
	done
	[ -n "${3:-}" ] && echo "CLOSE cur;"
	echo "$2;"
}
cursor_loop 1000 ROLLBACK | sock dave >/dev/null
sock erin -c "SELECT * FROM crm.customers" >/dev/null
tls erin -c "COPY (SELECT * FROM crm.customers WHERE id <= 5000) TO STDOUT" >/dev/null
tls grace -c "COPY crm.customers TO STDOUT" >/dev/null
cursor_loop 2000 COMMIT | sock grace >/dev/null
sock frank -c "INSERT INTO crm.notes SELECT g, '$SECRET-' || g FROM generate_series(1, 250) g"
tls frank -c "UPDATE crm.notes SET body = '$SECRET' WHERE id <= 100"
PGPASSWORD=wrong-one tls mallory -c "SELECT 1" >/dev/null 2>&1
sock frank -c "DELETE FROM crm.notes WHERE id > 200"
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
is() {
	if [ "$2" = "$3" ]; then pass "$1"; else fail "$1" "got '$2', want '$3'"; fi
}
is tls_used "$(tls postgres -t -A -c 'SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()')" t
is socket_used "$(sock postgres -t -A -c 'SELECT count(*) FROM pg_stat_ssl WHERE pid = pg_backend_pid() AND ssl')" 0

# 1. Offline, three formats of the same log.
"$AGENT" --read-log "pgjson:$LOGD/pg.json" >"$T/json.jsonl" 2>"$T/json.err"
check json_exit [ $? -eq 0 ]
"$AGENT" --read-log "pgcsv:$LOGD/pg.csv" >"$T/csv.jsonl" 2>"$T/csv.err"
check csv_exit [ $? -eq 0 ]
"$AGENT" --read-log "pgaudit:$LOGD/pg.log" --log-line-prefix "$PREFIX" \
    >"$T/stderr.jsonl" 2>"$T/stderr.err"
check stderr_exit [ $? -eq 0 ]
check csv_equals_json cmp -s "$T/json.jsonl" "$T/csv.jsonl"
check stderr_equals_json cmp -s "$T/json.jsonl" "$T/stderr.jsonl"
O="$T/json.jsonl"
is alice_select "$(q $O alice 'f("statement") == "SELECT * FROM crm.customers"' 'f("rows_returned")')" "1 $N"
is alice_select_tls_client "$(q $O alice 'f("statement") == "SELECT * FROM crm.customers" && f("client") ~ /^127.0.0.1:[0-9]+$/' 1)" "1 1"
is alice_error "$(q $O alice 'f("status") == "error" && f("error_code") == "42P01"' 1)" "1 1"
is alice_total_rows "$(q $O alice 1 'f("rows_returned")')" "3 $N"
is bob_copy_partial "$(q $O bob 'f("command") == "COPY" && f("partial") == "true" && f("client") == ""' 1)" "1 1"
is carol_fetches "$(q $O carol 'f("statement") ~ /^FETCH/ && f("command") == "SELECT" && $0 ~ /"tables":\["crm.customers"\]/ && f("partial") == "true"' 1)" "70 70"
# Cursors from the log alone: auto_explain's total at CLOSE / COMMIT,
# one event of the DECLARE; none for the one rolled back.
is carol_log_total "$(q $O carol 1 'f("rows_returned")')" "75 $N"
is carol_cursor_total "$(q $O carol 'f("statement") ~ /^DECLARE/ && f("command") == "SELECT" && f("partial") == "false" && $0 ~ /"tables":\["crm.customers"\]/' 'f("rows_returned")')" "1 $N"
is grace_socket_cursor_total "$(q $O grace 'f("statement") ~ /^DECLARE/' 'f("rows_returned")')" "2 $N"
is dave_rolled_back_no_total "$(q $O dave 'f("statement") ~ /^DECLARE/' 'f("rows_returned")')" "1 0"
is erin_copy_query "$(q $O erin 'f("command") == "COPY" && f("partial") == "false"' 'f("rows_returned")')" "2 5000"
is erin_log_total "$(q $O erin 1 'f("rows_returned")')" "3 $((N + 5000))"
is grace_copy_partial "$(q $O grace 'f("command") == "COPY" && f("partial") == "true" && f("client") ~ /^127.0.0.1:/' 1)" "1 1"
is frank_insert "$(q $O frank 'f("command") == "INSERT"' 'f("rows_affected")')" "1 250"
is frank_update "$(q $O frank 'f("command") == "UPDATE"' 'f("rows_affected")')" "1 100"
is frank_delete "$(q $O frank 'f("command") == "DELETE"' 'f("rows_affected")')" "1 50"
is all_source_log "$(grep -c '"source":"log"' $O)" "$(grep -c . $O)"
is carol_session "$(grep '"type":"db.session"' $O | grep '"db_user":"carol"' | grep -o '"action":"[a-z_]*"' | tr '\n' ' ')" '"action":"connect" "action":"disconnect" '
# The disconnect's duration is the server's "session time".
CPID_=$(grep '"type":"db.session"' $O | grep '"db_user":"carol"' | grep '"action":"disconnect"' | sed 's/.*"session_id":"\([0-9]*\)".*/\1/')
STIME=$(grep "\[$CPID_\] carol@crm.*disconnection: session time:" "$LOGD/pg.log" | sed 's/.*session time: \([0-9:.]*\) .*/\1/' | awk -F: '{ printf "%.0f\n", ($1 * 3600 + $2 * 60 + $3) * 1000000 }')
is carol_session_duration "$(grep '"type":"db.session"' $O | grep '"db_user":"carol"' | grep '"action":"disconnect"' | sed 's/.*"duration_us":\([0-9]*\).*/\1/')" "$STIME"
check carol_session_duration_positive [ "${STIME:-0}" -gt 0 ]
is mallory_auth_failed "$(grep '"action":"auth_failed"' $O | grep '"db_user":"mallory"' | grep -c '"error_code":"28P01"')" 1
check no_literals sh -c "! grep -q -e '$SECRET' -e 'example' -e 'Name 1' -e '+62-21' '$T/json.jsonl' '$T/stderr.jsonl'"
check no_error_texts sh -c "! grep -q 'does not exist' '$T/json.jsonl'"

# 2. pg_stat_statements polling: the rows every statement returned.
if [ $HAVE_PQ = 1 ]; then
	S="$T/st.jsonl"
	stat_rows() {
		sql "$T/c.db" "SELECT json FROM events WHERE agent='st'" >"$S"
		q "$S" "$1" 1 'f("rows_returned")' | cut -d' ' -f2
	}
	i=0
	while [ $i -lt 100 ]; do
		[ "$(stat_rows carol)" = $N ] && [ "$(stat_rows bob)" = $N ] &&
		    [ "$(stat_rows alice)" = $N ] && break
		sleep 0.2; i=$((i + 1))
	done
	is stats_alice_rows "$(stat_rows alice)" $N
	is stats_bob_copy_rows "$(q $S bob 'f("command") == "COPY"' 'f("rows_returned")' | cut -d' ' -f2)" $N
	is stats_carol_fetch_rows "$(q $S carol 'f("statement") ~ /^FETCH/' 'f("rows_returned")' | cut -d' ' -f2)" $N
	is stats_frank_affected "$(q $S frank 1 'f("rows_affected")' | cut -d' ' -f2)" 400
	i=0
	while [ $i -lt 50 ] && [ "$(stat_rows grace)" != $((2 * N)) ]; do
		sleep 0.2; i=$((i + 1))
	done
	is stats_per_user "$(for u in alice bob carol dave erin grace; do printf '%s=%s ' $u "$(stat_rows $u)"; done)" \
	    "alice=$N bob=$N carol=$N dave=$N erin=$((N + 5000)) grace=$((2 * N)) "
	is stats_source "$(grep -c '"source":"stats"' $S)" "$(grep -c . $S)"
	check stats_no_literals sh -c "! grep -q -e '$SECRET' -e 'example' '$S'"
	kill -TERM $STPID
else
	skip stats "agent built without libpq"
fi

# 5. Log and pgstat in one agent: per user, exactly what was returned.
if [ $HAVE_PQ = 1 ]; then
	E="$T/ex.jsonl"
	ex_rows() {	# ex_rows USER [SOURCE]: rows returned, all events
		sql "$T/c.db" "SELECT coalesce(sum(json_extract(json, '\$.rows_returned')), 0) FROM events WHERE agent='ex' AND type = 'db.query' AND json_extract(json, '\$.db_user') = '$1'${2:+ AND json_extract(json, '\$.source') = '$2'}"
	}
	ex_all() {
		for u in alice bob carol dave erin grace; do
			printf '%s=%s ' $u "$(ex_rows $u)"
		done
	}
	WANT="alice=$N bob=$N carol=$N dave=$N erin=$((N + 5000)) grace=$((2 * N)) "
	i=0
	while [ $i -lt 150 ] && [ "$(ex_all)" != "$WANT" ]; do
		sleep 0.2; i=$((i + 1))
	done
	is fill_per_user_exact "$(ex_all)" "$WANT"
	# The statistics gave only what the log could not: bob's and
	# grace's COPY of the table and dave's rolled back FETCHes.
	is fill_stats_share "$(for u in alice bob carol dave erin grace; do printf '%s=%s ' $u "$(ex_rows $u stats)"; done)" \
	    "alice=0 bob=$N carol=0 dave=$N erin=0 grace=$N "
	is fill_stats_statements "$(sql "$T/c.db" "SELECT json_extract(json, '\$.db_user') || ':' || json_extract(json, '\$.command') FROM events WHERE agent='ex' AND json_extract(json, '\$.source') = 'stats' ORDER BY 1" | tr '\n' ' ')" \
	    "bob:COPY dave:FETCH grace:COPY "
	is fill_frank_affected "$(sql "$T/c.db" "SELECT sum(json_extract(json, '\$.rows_affected')) FROM events WHERE agent='ex' AND json_extract(json, '\$.db_user') = 'frank'")" 400
	# Past the 10 s the statistics wait for the log: nothing more.
	sleep 12
	is fill_nothing_twice "$(ex_all)" "$WANT"
	check fill_logged grep -q "reporting only the rows the log cannot count" "$T/ex.log"
	sql "$T/c.db" "SELECT json FROM events WHERE agent='ex'" >"$E"
	check fill_no_literals sh -c "! grep -q -e '$SECRET' -e example -e '+62-21' '$E'"
	kill -TERM $EXPID
else
	skip fill "agent built without libpq"
fi

# 3. Live: the csvlog followed through rotation, truncation, restart.
ROT=0	# statements run by "rot"; the k-th reads k rows
batch() {
	b=0
	while [ $b -lt "$1" ]; do
		ROT=$((ROT + 1))
		tls rot -c "SELECT id FROM crm.customers WHERE id <= $ROT" \
		    >/dev/null
		b=$((b + 1))
	done
}
live_count() {
	sql "$T/c.db" "SELECT count(*) || ' ' || coalesce(sum(json_extract(json, '\$.rows_returned')), 0) FROM events WHERE agent='lv' AND json_extract(json, '\$.db_user') = 'rot' AND json_extract(json, '\$.command') = 'SELECT'"
}
want() {	# events and rows after $ROT statements
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
start_agent lv --name lv $AG --spool "$T/slv" --source "log:pgcsv:$LOGD/pg.csv"
LVPID=$APID
batch 15
wait_live && pass live_follow || fail live_follow "$(live_count), want $(want)"
mv "$LOGD/pg.csv" "$LOGD/pg.csv.1"
pg_sql "$PGD" postgres "SELECT pg_rotate_logfile()" >/dev/null
batch 15
wait_live && pass live_rename_rotation || fail live_rename_rotation "$(live_count), want $(want)"
cp "$LOGD/pg.csv" "$LOGD/pg.csv.2"
: >"$LOGD/pg.csv"
sleep 0.6
batch 15
wait_live && pass live_copytruncate || fail live_copytruncate "$(live_count), want $(want)"
kill -TERM $LVPID; wait $LVPID 2>/dev/null
batch 15
start_agent lv2 --name lv $AG --spool "$T/slv" --source "log:pgcsv:$LOGD/pg.csv"
LVPID=$APID
batch 15
wait_live && pass live_restart || fail live_restart "$(live_count), want $(want)"
check live_resumed grep -q "resuming at byte" "$T/lv2.log"
kill -KILL $LVPID; wait $LVPID 2>/dev/null
batch 10
start_agent lv3 --name lv $AG --spool "$T/slv" --source "log:pgcsv:$LOGD/pg.csv"
batch 5
wait_live && pass live_sigkill_restart || fail live_sigkill_restart "$(live_count), want $(want)"
sleep 1
is live_no_duplicates "$(live_count)" "$(want)"

# A followed file absent at start is waited for, then read.
start_agent late --name late $AG --spool "$T/slate" --source "log:pgcsv:$T/late.csv"
wait_log "$T/late.log" "late.csv: .*waiting for it" 20 &&
    pass late_file_waited || fail late_file_waited "$(tail -2 "$T/late.log")"
cp "$LOGD/pg.csv.1" "$T/late.csv"
late() {
	sql "$T/c.db" "SELECT count(*) FROM events WHERE agent='late' AND json_extract(json, '\$.db_user') = 'rot' AND type = 'db.query'"
}
i=0
while [ $i -lt 100 ] && [ "$(late)" != 15 ]; do sleep 0.2; i=$((i + 1)); done
is late_file_read "$(late)" 15

# 4. Wire and log in one agent: the wire wins for what it decoded.
start_agent dd --name dd $AG --spool "$T/sdd" --source db:lo \
    --port "pgsql:$PORT" --source "log:pgcsv:$LOGD/pg.csv"
wait_log "$T/dd.log" "db: capturing on lo" 20 ||
    fail dedup_start "$(tail -2 "$T/dd.log")"
sleep 0.5
PGSSLMODE=disable psql -X -q -d crm -U dd1 -c "SELECT id FROM crm.customers WHERE id <= 10" >/dev/null
tls dd2 -c "SELECT id FROM crm.customers WHERE id <= 10" >/dev/null
dd() {	# dd USER SOURCE: its SELECTs from that source
	sql "$T/c.db" "SELECT count(*) FROM events WHERE agent='dd' AND json_extract(json, '\$.db_user') = '$1' AND json_extract(json, '\$.source') = '$2' AND json_extract(json, '\$.type') = 'db.query'"
}
i=0
while [ $i -lt 100 ] && { [ "$(dd dd2 log)" != 1 ] || [ "$(dd dd1 wire)" != 1 ]; }; do
	sleep 0.2; i=$((i + 1))
done
sleep 1
is dedup_plaintext_wire_only "$(dd dd1 wire) $(dd dd1 log)" "1 0"
is dedup_tls_log_only "$(dd dd2 wire) $(dd dd2 log)" "0 1"
sql "$T/c.db" "SELECT json FROM events WHERE agent='lv'" >"$T/lv.jsonl"
is live_events_stored "$(grep -c '"source":"log"' "$T/lv.jsonl")" "$(grep -c . "$T/lv.jsonl")"
check live_no_literals sh -c "! grep -q -e '$SECRET' -e example '$T/lv.jsonl'"

# 6. A log_line_prefix the agent is not told: the server now writes
# '%m [%p] %u@%d %a %h ' into a new stderr file; --read-log without
# --log-line-prefix reads the prefix from the pgaudit lines, names it,
# counts the lines its own prefix did not decode, and reports each
# statement with its rows.
# The prefix first, then (once every process has it) the file name,
# whose change makes the logging collector switch files: the new file
# holds lines of the new prefix only.
NEWPFX='%m [%p] %u@%d %a %h '
pg_sql "$PGD" postgres "ALTER SYSTEM SET log_line_prefix = '$NEWPFX'" &&
    pg_sql "$PGD" postgres "SELECT pg_reload_conf()" >/dev/null &&
    sleep 1 &&
    pg_sql "$PGD" postgres "ALTER SYSTEM SET log_filename = 'pg2.log'" &&
    pg_sql "$PGD" postgres "SELECT pg_reload_conf()" >/dev/null ||
    fail prefix_setup "could not change log_line_prefix"
i=0
while [ $i -lt 50 ] && [ ! -f "$LOGD/pg2.log" ]; do sleep 0.1; i=$((i + 1)); done
[ -f "$LOGD/pg2.log" ] ||
    pg_sql "$PGD" postgres "SELECT pg_rotate_logfile()" >/dev/null
tls pfx -c "SELECT * FROM crm.customers WHERE id <= 4321" >/dev/null
tls pfx -c "SELECT id, email FROM crm.customers WHERE id > $((N - 4221))" >/dev/null
tls pfx -c "SELECT name FROM crm.customers WHERE id % 4 = 1 AND id <= 8640" >/dev/null
i=0
while [ $i -lt 50 ] && [ "$(grep -c 'pfx@crm .*AUDIT: SESSION' "$LOGD/pg2.log")" != 3 ]; do
	sleep 0.1; i=$((i + 1))
done
check prefix_server_format grep -q "\] pfx@crm psql 127\.0\.0\.1 LOG:  AUDIT: SESSION" "$LOGD/pg2.log"
"$AGENT" --read-log "pgaudit:$LOGD/pg2.log" >"$T/pfx.jsonl" 2>"$T/pfx.err"
check prefix_exit [ $? -eq 0 ]
P="$T/pfx.jsonl"
is prefix_rows "$(q $P pfx 'f("command") == "SELECT"' 'f("rows_returned")')" "3 $((4321 + 4221 + 2160))"
is prefix_each "$(awk "$J"' f("type") == "db.query" && f("db_user") == "pfx" { print f("rows_returned") }' "$P" | tr '\n' ' ')" "4321 4221 2160 "
is prefix_session "$(q $P pfx 'f("database") == "crm" && f("app_name") == "psql" && f("client") == "127.0.0.1" && f("session_id") ~ /^[0-9]+$/ && $0 ~ /"tables":\["crm.customers"\]/' 1)" "3 3"
check prefix_named grep -q "log lines do not match log-line-prefix '%m \\[%p\\] %q%u@%d ': decoding them with '%m \\[%p\\] %u@%d %a %h ', read from the log" "$T/pfx.err"
check prefix_counted grep -Eq "([0-9]+) of \\1 pgaudit lines do not match log-line-prefix '%m \\[%p\\] %q%u@%d ': \\1 decoded with '%m \\[%p\\] %u@%d %a %h ', read from the log, 0 not decoded" "$T/pfx.err"
# The numbers are literals of the statements above; searched for with the
# fields that are numbers by nature taken out (a timestamp's fraction
# such as .864000, or a backend PID, may hold the same digits).
sed -e 's/"ts":"[^"]*"//' -e 's/"session_id":"[0-9]*"//' \
    -e 's/":[0-9][0-9.]*/":/g' "$P" >"$T/pfx-text.jsonl"
# pfx's three only: on a slow machine the log is rotated by hand above, and
# that SELECT pg_rotate_logfile() is in the log too.
check prefix_text_kept [ "$(grep '"db_user":"pfx"' "$T/pfx-text.jsonl" | grep -c '"statement":"SELECT')" = 3 ]
check prefix_no_literals sh -c "! grep -q -e 8640 -e $((N - 4221)) -e '<= 4321' '$T/pfx-text.jsonl'"
is prefix_sessions "$(grep '"type":"db.session"' "$P" | grep -c '"db_user":"pfx"')" 6
# Told the server's prefix: the same events, nothing to say.
"$AGENT" --read-log "pgaudit:$LOGD/pg2.log" --log-line-prefix "$NEWPFX" \
    >"$T/pfx2.jsonl" 2>"$T/pfx2.err"
check prefix_told_same cmp -s "$T/pfx.jsonl" "$T/pfx2.jsonl"
check prefix_told_quiet sh -c "! grep -q 'do not match' '$T/pfx2.err'"
finish
