#!/bin/sh
# `make demo`: what leakwatch does so far, end to end on bundled data. It
# makes a throw-away CA, starts a collector on a free loopback port with
# TLS and client certificates, runs two agents (a database server's and
# an egress gateway's) that ship tests/data/*.jsonl, stops the collector
# and prints what it stored. Nothing is left running; the database is kept
# in the directory printed at the end (DEMO_DIR to choose it).
set -u
BUILD=${1:-build}
TOP=$(cd "$(dirname "$0")/.." && pwd)
case "$BUILD" in /*) ;; *) BUILD="$TOP/$BUILD" ;; esac
BUILD=$(cd "$BUILD" && pwd) || exit 1
export LW_BUILD="$BUILD" LW_TOP="$TOP"
. "$TOP/tests/integration/lib.sh"
OUT=${DEMO_DIR:-$(mktemp -d /tmp/leakwatch-demo.XXXXXX)}
mkdir -p "$OUT"
exec 3>&1

step() { printf '==> %s\n' "$*" >&3; }

step "making a demo CA and certificates (openssl, see docs/deployment.md)"
make_pki db-crm gw-egress >/dev/null || { echo "demo: openssl failed"; exit 1; }
PORT=$(free_port)
DB="$OUT/collector.db"
rm -f "$DB" "$DB-wal" "$DB-shm"
step "starting leakwatch-collector on 127.0.0.1:$PORT (TLS), database $DB"
start_collector collector --listen 127.0.0.1:$PORT --db "$DB" \
    --tls-cert "$T/pki/collector.crt" --tls-key "$T/pki/collector.key" \
    --tls-client-ca "$T/pki/ca.crt" || {
	echo "demo: collector did not start:"; cat "$T/collector.log"; exit 1; }
for a in db-crm:demo-db gw-egress:demo-egress; do
	name=${a%%:*}; file=${a#*:}
	step "agent $name ships $(wc -l <"$TOP/tests/data/$file.jsonl") events from tests/data/$file.jsonl"
	start_agent "$name" --name "$name" --collector 127.0.0.1:$PORT \
	    --spool "$T/$name.spool" --source "jsonl:$TOP/tests/data/$file.jsonl" \
	    --tls-ca "$T/pki/ca.crt" --tls-cert "$T/pki/$name.crt" \
	    --tls-key "$T/pki/$name.key" --drain
	eval "pid_$(echo "$name" | tr - _)=$APID"
done
rc=0
wait "$pid_db_crm" || rc=1
wait "$pid_gw_egress" || rc=1
kill -TERM "$CPID"; wait "$CPID" || rc=1
if [ $rc -ne 0 ]; then
	echo "demo: a component failed:"
	tail -n 5 "$T"/*.log
	exit 1
fi

q() { sqlite3 -batch -column -header "$DB" "$1"; }
step "stored events by agent and type"
q "SELECT agent, type, count(*) AS events FROM events GROUP BY 1, 2 ORDER BY 1, 2"
step "agents as the collector saw them"
q "SELECT agent, version, datetime(last_seen / 1000000, 'unixepoch') AS last_seen,
    connected, json_extract(status, '$.spool_events') AS spooled_at_connect,
    (SELECT count(*) FROM gaps g WHERE g.agent = a.agent) AS gaps
    FROM agents a ORDER BY agent"
step "database users by rows read from crm.customer (sensitive)"
q "SELECT json_extract(e.json, '$.db_user') AS db_user, count(*) AS queries,
    sum(json_extract(e.json, '$.rows_returned')) AS rows_read
    FROM events e, json_each(json_extract(e.json, '$.tables')) t
    WHERE e.type = 'db.query' AND t.value = 'crm.customer'
    GROUP BY 1 ORDER BY rows_read DESC LIMIT 5"
step "internal hosts by bytes sent to cloud storage, webmail and file transfer"
q "SELECT json_extract(json, '$.src') AS host,
    group_concat(DISTINCT json_extract(json, '$.server_name')) AS destinations,
    sum(json_extract(json, '$.delta_bytes_out')) AS bytes_out
    FROM events WHERE type = 'net.flow' AND json_extract(json, '$.category')
    IN ('cloud_storage', 'webmail', 'file_transfer')
    GROUP BY 1 ORDER BY bytes_out DESC LIMIT 5"
total=$(sql "$DB" "SELECT count(*) FROM events")
step "$total of 1200 events stored; database kept at $DB"
[ "$total" = 1200 ]
