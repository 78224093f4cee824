#!/bin/sh
# `make demo`: leakwatch end to end on one machine, with nothing mocked.
#
#  1. lwsim makes up an organisation (200 employees, 30 days) with two
#     injected insiders: a slow theft (scenario a) and a smash-and-grab
#     (scenario b); docs/simulator.md.
#  2. Real traffic: a real PostgreSQL on loopback, where the
#     smash-and-grab employee's database account reads crm.customers with
#     psql, and a real 600 MB HTTP upload with curl to a local nginx named
#     content.dropboxapi.com; tcpdump captures both on lo. The captures
#     are moved to the morning after the simulated month (their packet
#     timestamps are shifted; the bytes are untouched), and the employee's
#     desktop address becomes 127.0.0.1 in the directory.
#  3. leakwatch-agent --read decodes the captures (db and net sources).
#  4. A collector listens on loopback with TLS and client certificates
#     (a throw-away CA made with openssl) and scores live: directory,
#     sensitive tables and the repository's rules. Three agents ship over
#     TLS, one after the other so events arrive in time order: the
#     simulated month (jsonl source), then the decoded captures.
#  5. The collector stops; leakwatch-tui opens its database with the
#     insiders' cases at the top (and the simulated incident day, a team
#     reading a customer table for the first time, as one group case).
#     When stdout is not a terminal, or NO_TUI=1, the top cases, the top
#     alerts and the employees ranked by risk are printed instead
#     (leakwatch-tui --print).
#
# Nothing is left running (trap); the database and the simulated data are
# kept in the directory printed at the end (DEMO_DIR to choose it).
# Needs root (tcpdump, PostgreSQL through runuser), as `make deps` does.
set -u
BUILD=${1:-build}
TOP=$(cd "$(dirname "$0")/.." && pwd)
case "$BUILD" in /*) ;; *) BUILD="$TOP/$BUILD" ;; esac
BUILD=$(cd "$BUILD" && pwd) || exit 1
export LW_BUILD="$BUILD" LW_TOP="$TOP"
. "$TOP/tests/integration/lib.sh"
. "$TOP/tests/integration/lib-pg.sh"
OUT=${DEMO_DIR:-$(mktemp -d /tmp/leakwatch-demo.XXXXXX)}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
TUI="$BUILD/leakwatch-tui"
START=$(date +%s)
[ "$(id -u)" = 0 ] || {
	echo "demo: run as root (tcpdump captures, PostgreSQL through runuser)" >&2
	exit 1
}

demo_cleanup() {
	pg_stop_all
	[ -f "$T/nginx/nginx.pid" ] &&
	    kill "$(cat "$T/nginx/nginx.pid")" 2>/dev/null
	cleanup
}
trap demo_cleanup EXIT
# where the servers and agents run (the test checks nothing is left there)
echo "$T" >"$OUT/workdir"
exec 3>&1

step() { printf '==> %s\n' "$*" >&3; }
die() {
	echo "demo: $*" >&2
	set +f
	for f in "$T"/*.log "$T"/*.err; do
		[ -s "$f" ] && { echo "--- $f" >&2; tail -n 5 "$f" >&2; }
	done
	exit 1
}

# The simulated month: seed, size and scenario days are fixed so the demo
# tells the same story on every run (docs/simulator.md).
SIM_START=2026-10-31
REAL_DAY=2026-11-30T09:00:00Z	# the morning after the simulated month
step "simulating an organisation: 200 employees, 30 days from $SIM_START, a slow theft and a smash-and-grab (lwsim)"
rm -rf "$OUT/sim"
"$BUILD/tests/lwsim" --seed 4 --employees 200 --days 30 \
    --start "$SIM_START" --scenarios a,b --set a.start=14 --set b.start=27 \
    --out "$OUT/sim" >/dev/null 2>"$T/lwsim.err" || die "lwsim failed"
label() {
	grep "\"scenario\":\"$1\"" "$OUT/sim/labels.jsonl" |
	    sed 's/.*"employee":"\([^"]*\)".*/\1/'
}
THIEF=$(label a)
GRAB=$(label b)
# their personal database user (directory column db_users)
GRAB_DBUSER=$(awk -F, -v e="$GRAB" '$1 == e { print $6 }' \
    "$OUT/sim/directory.csv")
step "$(sed 's/lwsim: //; s/, [0-9.]* s,.*//' "$T/lwsim.err"); insiders: $THIEF (slow theft), $GRAB (smash-and-grab)"

# --- real traffic --------------------------------------------------------
chmod 755 "$T"
PGPORT=$(free_port)
HTTPPORT=$(free_port)
step "starting PostgreSQL on 127.0.0.1:$PGPORT and nginx on 127.0.0.2:$HTTPPORT (real servers, loopback only)"
pg_have || die "PostgreSQL is not installed (make deps)"
pg_start "$T/pg" "$PGPORT" || die "PostgreSQL did not start: $(tail -3 "$T/pg/log" 2>/dev/null)"
pg_sql "$T/pg" postgres "CREATE DATABASE crm" &&
pg_sql "$T/pg" crm "CREATE SCHEMA crm;
    CREATE TABLE crm.customers (id int PRIMARY KEY, name text,
	email text, phone text, national_id text);
    INSERT INTO crm.customers SELECT i, 'Customer ' || i,
	'c' || i || '@example.com', '+62-' || (800000000 + i),
	md5(i::text) FROM generate_series(1, 60000) i;
    CREATE ROLE $GRAB_DBUSER LOGIN;
    GRANT USAGE ON SCHEMA crm TO $GRAB_DBUSER;
    GRANT SELECT ON crm.customers TO $GRAB_DBUSER;" ||
    die "could not load crm.customers"
mkdir -p "$T/nginx"
cat >"$T/nginx/nginx.conf" <<EOF
daemon off;
master_process off;
worker_processes 1;
pid $T/nginx/nginx.pid;
error_log $T/nginx/error.log;
events { worker_connections 16; }
http {
	access_log off;
	client_body_temp_path $T/nginx/body;
	proxy_temp_path $T/nginx/proxy;
	fastcgi_temp_path $T/nginx/fcgi;
	uwsgi_temp_path $T/nginx/uwsgi;
	scgi_temp_path $T/nginx/scgi;
	server {
		listen 127.0.0.2:$HTTPPORT;
		client_max_body_size 0;
		location / { return 201; }
	}
}
EOF
command -v nginx >/dev/null || die "nginx is not installed (make deps)"
nginx -c "$T/nginx/nginx.conf" -p "$T/nginx" 2>"$T/nginx.err" &
PIDS="$PIDS $!"
i=0
until ss -Hltn "sport = :$HTTPPORT" | grep -q .; do
	i=$((i + 1)); [ $i -gt 50 ] && die "nginx did not start"; sleep 0.1
done

# Full packets for the database (the decoder needs every byte); headers
# and the first bytes for the upload (the gateway counts IP lengths and
# nDPI reads the request line and Host).
tcpdump -Z root -n -i lo -s 262144 -B 65536 -w "$T/db.pcap" \
    "tcp port $PGPORT" 2>"$T/tcpdump-db.err" &
TD1=$!
tcpdump -Z root -n -i lo -s 1024 -B 65536 -w "$T/net.pcap" \
    "tcp port $HTTPPORT" 2>"$T/tcpdump-net.err" &
TD2=$!
PIDS="$PIDS $TD1 $TD2"
for f in "$T/tcpdump-db.err" "$T/tcpdump-net.err"; do
	wait_log "$f" "listening on" 10 || die "tcpdump did not start"
done
step "$GRAB_DBUSER ($GRAB) reads crm.customers with psql: 4 queries of 12,000 rows"
pg_client_env "$PGPORT"
i=0
while [ $i -lt 4 ]; do
	psql -X -q -U "$GRAB_DBUSER" -d crm -c "SELECT * FROM crm.customers
	    WHERE id > $((i * 12000)) ORDER BY id LIMIT 12000" >/dev/null ||
	    die "psql failed"
	i=$((i + 1))
done
step "$GRAB uploads 600 MB with curl to content.dropboxapi.com (nginx on loopback)"
truncate -s 600M "$T/upload.bin"
code=$(curl -s -o /dev/null -w '%{http_code}' --interface 127.0.0.1 \
    -H 'Host: content.dropboxapi.com' --data-binary "@$T/upload.bin" \
    "http://127.0.0.2:$HTTPPORT/2/files/upload") || die "curl failed"
[ "$code" = 201 ] || die "upload answered $code"
rm -f "$T/upload.bin"
sleep 0.5
kill -INT $TD1 $TD2
wait $TD1 $TD2
for f in "$T/tcpdump-db.err" "$T/tcpdump-net.err"; do
	grep -q "^0 packets dropped by kernel" "$f" ||
	    die "tcpdump dropped packets: $(grep dropped "$f")"
done

# Shift every packet of a classic pcap file by whole seconds so that the
# first one falls at $2 (epoch seconds). Only timestamps change.
pcap_shift() {
	perl -e 'binmode STDIN; binmode STDOUT; local $/; my $d = <STDIN>;
	    my $m = unpack("V", substr($d, 0, 4));
	    die "not a little-endian pcap\n" unless
		$m == 0xa1b2c3d4 || $m == 0xa1b23c4d;
	    my ($o, $delta) = (24, undef);
	    while ($o + 16 <= length($d)) {
		my ($s, $u, $cl) = unpack("VVV", substr($d, $o, 12));
		$delta = $ARGV[0] - $s unless defined $delta;
		substr($d, $o, 4) = pack("V", $s + $delta);
		$o += 16 + $cl;
	    }
	    print $d;' "$2" <"$1"
}
t0=$(date -u -d "$REAL_DAY" +%s)
pcap_shift "$T/db.pcap" "$t0" >"$OUT/real-db.pcap" || die "pcap shift"
pcap_shift "$T/net.pcap" $((t0 + 300)) >"$OUT/real-net.pcap" ||
    die "pcap shift"
pg_stop_all
kill "$(cat "$T/nginx/nginx.pid")" 2>/dev/null

step "decoding the captures: leakwatch-agent --read (db and net sources)"
"$AGENT" --read "$OUT/real-db.pcap" --source db --port "pgsql:$PGPORT" \
    --name db-crm >"$OUT/real-db.jsonl" 2>"$T/read-db.err" ||
    die "agent --read db failed"
"$AGENT" --read "$OUT/real-net.pcap" --source net --internal 127.0.0.1/32 \
    --name gw-egress >"$OUT/real-net.jsonl" 2>"$T/read-net.err" ||
    die "agent --read net failed"
rows=$(grep '"db.query"' "$OUT/real-db.jsonl" |
    sed -n 's/.*"rows_returned":\([0-9]*\).*/\1/p' |
    awk '{ s += $1 } END { print s + 0 }')
upl=$(sed -n 's/.*"bytes_out":\([0-9]*\).*"final":true.*/\1/p' \
    "$OUT/real-net.jsonl" | awk '{ s += $1 } END { print s + 0 }')
step "  $(grep -c . "$OUT/real-db.jsonl") database events ($rows rows returned to $GRAB_DBUSER), $(grep -c . "$OUT/real-net.jsonl") flow records ($upl bytes out, $(sed -n 's/.*"category":"\([^"]*\)".*/\1/p' "$OUT/real-net.jsonl" | sort -u | paste -sd, -))"

# The smash-and-grab employee's desktop is 127.0.0.1 for the real part.
awk -F, -v OFS=, -v e="$GRAB" '$1 == e { $7 = $7 ";127.0.0.1" } { print }' \
    "$OUT/sim/directory.csv" >"$OUT/directory.csv"

# --- collector and agents over TLS ----------------------------------------
step "making a demo CA and certificates (openssl, see docs/deployment.md)"
make_pki lwsim db-crm gw-egress >/dev/null || die "openssl failed"
PORT=$(free_port)
DB="$OUT/collector.db"
rm -f "$DB" "$DB-wal" "$DB-shm"
set -f
step "starting leakwatch-collector on 127.0.0.1:$PORT (TLS), scoring live into $DB"
start_collector collector --listen "127.0.0.1:$PORT" --db "$DB" \
    --tls-cert "$T/pki/collector.crt" --tls-key "$T/pki/collector.key" \
    --tls-client-ca "$T/pki/ca.crt" --directory "$OUT/directory.csv" \
    $(cat "$OUT/sim/sensitive.args") --rules "$TOP/rules" ||
    die "collector did not start"
set +f
# ship NAME FILE : one agent, its own spool, drains FILE and exits
ship() {
	start_agent "$1" --name "$1" --collector "127.0.0.1:$PORT" \
	    --spool "$T/$1.spool" --source "jsonl:$2" \
	    --tls-ca "$T/pki/ca.crt" --tls-cert "$T/pki/$1.crt" \
	    --tls-key "$T/pki/$1.key" --drain
	wait "$APID" || die "agent $1 failed"
}
nsim=$(grep -c . "$OUT/sim/events.jsonl")
step "agent lwsim ships the simulated month: $nsim events (jsonl source, TLS)"
ship lwsim "$OUT/sim/events.jsonl"
step "agents db-crm and gw-egress ship the decoded captures (TLS)"
ship db-crm "$OUT/real-db.jsonl"
ship gw-egress "$OUT/real-net.jsonl"
# Scoring runs behind the store (collector/scorer.c) and a stop drains it
# for 10 s at most: wait until every stored event is scored, or a slower
# or busier machine would show the month scored only in part.
scored_up() {
	[ "$(sql "$DB" "SELECT value FROM an_meta WHERE key = 'scored'")" = \
	    "$(sql "$DB" "SELECT max(id) FROM events")" ]
}
if ! scored_up; then
	step "waiting for scoring to catch up with the store ($(sql "$DB" \
	    "SELECT (SELECT max(id) FROM events) - value FROM an_meta WHERE key = 'scored'") events behind)"
	i=0
	until scored_up; do
		i=$((i + 1))
		[ $i -le 6000 ] || die "scoring did not catch up within 10 minutes"
		sleep 0.1
	done
fi
kill -TERM "$CPID"
wait "$CPID" || die "collector failed"

total=$(sql "$DB" "SELECT count(*) FROM events")
nalerts=$(sql "$DB" "SELECT count(*) FROM alerts")
step "collector stored $total events from $(sql "$DB" "SELECT count(DISTINCT agent) FROM events") agents and raised $nalerts alerts; database $DB"
step "injected insiders (from lwsim's labels): $THIEF (slow theft, from $(sed -n 's/.*"scenario":"a".*"start":"\([^"]*\)".*/\1/p' "$OUT/sim/labels.jsonl")), $GRAB (smash-and-grab on $(sed -n 's/.*"scenario":"b".*"start":"\([^"]*\)".*/\1/p' "$OUT/sim/labels.jsonl"), then the real capture)"
step "demo took $(($(date +%s) - START)) s"

if [ "${NO_TUI:-0}" != 1 ] && [ -t 1 ]; then
	step "opening leakwatch-tui on $DB (q quits)"
	sleep 1
	"$TUI" --db "$DB"
	rc=$?
else
	"$TUI" --db "$DB" --print 2>&1 | awk '
	    /^CASES/ { n = 0; print; next }
	    /^ALERTS/ { n = 0; print ""; print; next }
	    /^EMPLOYEES BY RISK/ { n = 0; print ""; print; next }
	    /^$/ { next }
	    { if (++n <= 11) print }'
	rc=$?
fi
step "the database is kept at $DB (leakwatch-tui --db $DB)"
exit $rc
