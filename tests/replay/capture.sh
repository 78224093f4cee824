#!/bin/sh
# Makes the replay cases' captures: tests/replay/<case>/input.pcap and
# its `args`, from real servers on loopback driven by their real clients
# (PostgreSQL 15 with psql and pgbench, MariaDB 10.11 with mariadb and
# Perl DBD::MariaDB, nginx with curl, dnsmasq with dig), each case
# captured by tcpdump on its own. It does not write expected.jsonl (that
# is `make replay-update`, after reading the new capture's events) nor
# the case's README. A maintainer's tool, not a test: run as root,
#
#   LW_TOP=$PWD sh tests/replay/capture.sh [CASE...]    (default: all)
#
# The servers listen on their standard ports (5432, 3306 on 127.0.0.1;
# 80, 443, 53 on 127.0.0.3) so the cases need no port options; the
# script stops if one is taken. Every row is made up here (names like
# "Name 7", addresses at example.com); nothing comes from elsewhere.
# Needs what tests/integration/pgsql.sh and mysql.sh need, plus
# dnsmasq-base and bind9-dnsutils (dig) for net-dns.
: "${LW_TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${LW_BUILD:=$LW_TOP/build-asan}"
export LW_TOP LW_BUILD
. "$LW_TOP/tests/integration/lib.sh"
. "$LW_TOP/tests/integration/lib-pg.sh"
. "$LW_TOP/tests/integration/lib-mysql.sh"

R="$LW_TOP/tests/replay"
PGD="$T/pg"
MYD="$T/my"
NG="$T/ng"
N=200
[ "$(id -u)" = 0 ] || { echo "capture.sh: needs root" >&2; exit 1; }

cap_cleanup() {
	set +e
	pg_stop_all
	mysql_stop "$MYD"
	cleanup
}
trap cap_cleanup EXIT

die() { echo "capture.sh: $*" >&2; exit 1; }

port_free() {	# port_free PORT [u]: nothing listens on it (TCP, or UDP)
	! ss -Hln"${2:-t}" "sport = :$1" | grep -q .
}

# cap_start CASE FILTER / cap_stop ARGS...: tcpdump on lo around a case;
# cap_stop installs the capture and the agent options the case needs.
cap_start() {
	CASE=$1
	tcpdump -i lo -s 262144 -B 65536 -U --immediate-mode \
	    -w "$T/$CASE.pcap" "$2" 2>"$T/$CASE.tcpdump" &
	TDPID=$!
	PIDS="$PIDS $TDPID"
	wait_log "$T/$CASE.tcpdump" "listening on" 10 ||
	    die "$CASE: tcpdump did not start"
}
cap_stop() {
	sleep 0.5
	kill -INT "$TDPID"
	wait "$TDPID"
	d=$(sed -n 's/^\([0-9]*\) packets dropped by kernel.*/\1/p' \
	    "$T/$CASE.tcpdump")
	[ "$d" = 0 ] || die "$CASE: kernel dropped ${d:-?} packets"
	mkdir -p "$R/$CASE"
	cp "$T/$CASE.pcap" "$R/$CASE/input.pcap"
	printf '%s\n' "$*" >"$R/$CASE/args"
	echo "$CASE: $(wc -c <"$R/$CASE/input.pcap") bytes"
}

want() {	# want CASE: the case was asked for (or all were)
	[ -z "$WANT" ] && return 0
	case " $WANT " in *" $1 "*) return 0 ;; esac
	return 1
}
WANT="$*"
want_any() {
	for c in "$@"; do want "$c" && return 0; done
	return 1
}

# --- PostgreSQL ---------------------------------------------------------

PG_CASES="pg-simple-query pg-extended-query-prepared pg-copy-out
    pg-cursor-fetch pg-error-sqlstate pg-multi-statement pg-dml-counts
    pg-tls-session pg-auth-failed"

pg_setup() {
	port_free 5432 || die "port 5432 is taken"
	chmod 755 "$T"
	PG_SCRAM_USERS="mallory" pg_start "$PGD" 5432 ||
	    die "PostgreSQL did not start: $(tail -3 "$PGD/log")"
	pg_sql "$PGD" postgres "CREATE DATABASE crm" >/dev/null &&
	pg_sql "$PGD" crm "
CREATE SCHEMA crm;
CREATE TABLE crm.customers (id int PRIMARY KEY, name text, email text,
    phone text, photo bytea);
INSERT INTO crm.customers SELECT g, 'Name ' || g,
    CASE WHEN g % 5 = 0 THEN NULL ELSE 'user' || g || '@example.com' END,
    CASE WHEN g % 3 = 0 THEN NULL ELSE '+1-555-' || lpad(g::text, 7, '0') END,
    decode(md5(g::text), 'hex') FROM generate_series(1, $N) g;
CREATE TABLE crm.notes (id int, body text);
CREATE ROLE mallory LOGIN PASSWORD 'right-one';" >/dev/null ||
	    die "PostgreSQL data"
	for u in alice bob carol dave erin frank grace; do
		pg_sql "$PGD" crm "CREATE ROLE $u LOGIN;
		    GRANT USAGE ON SCHEMA crm TO $u;
		    GRANT ALL ON ALL TABLES IN SCHEMA crm TO $u" ||
		    die "role $u"
	done
	pg_client_env 5432
}

psq() {
	u=$1; shift
	psql -X -q -d crm -U "$u" "$@"
}

pg_cases() {
	PGCAP="tcp port 5432"
	PGARGS="--source db --port pgsql:5432"
	if want pg-simple-query; then
		cap_start pg-simple-query "$PGCAP"
		psq alice -c "SELECT * FROM crm.customers WHERE id <= 20" >/dev/null
		psq alice -c "SELECT id, name FROM crm.customers WHERE email = 'user7@example.com'" >/dev/null
		cap_stop $PGARGS
	fi
	if want pg-extended-query-prepared; then
		printf 'SELECT name FROM crm.customers WHERE id = :client_id + 11;\n' \
		    >"$T/bench.sql"
		cap_start pg-extended-query-prepared "$PGCAP"
		pgbench -n -M prepared -c 1 -t 5 -f "$T/bench.sql" -U bob crm \
		    >"$T/pgbench.log" 2>&1 || die "pgbench"
		cap_stop $PGARGS
	fi
	if want pg-copy-out; then
		cap_start pg-copy-out "$PGCAP"
		psq carol -c "COPY crm.customers TO STDOUT" >/dev/null
		cap_stop $PGARGS
	fi
	if want pg-cursor-fetch; then
		cap_start pg-cursor-fetch "$PGCAP"
		psq dave <<'EOF' >/dev/null
BEGIN;
DECLARE cur NO SCROLL CURSOR FOR SELECT id, name FROM crm.customers WHERE id <= 25;
FETCH 10 FROM cur;
FETCH 10 FROM cur;
FETCH 10 FROM cur;
CLOSE cur;
COMMIT;
EOF
		cap_stop $PGARGS
	fi
	if want pg-error-sqlstate; then
		cap_start pg-error-sqlstate "$PGCAP"
		psq erin -c "SELECT * FROM crm.nosuch" >/dev/null 2>&1
		psq erin -c "SELECT id / 0 FROM crm.customers WHERE id = 1" \
		    >/dev/null 2>&1
		cap_stop $PGARGS
	fi
	if want pg-multi-statement; then
		cap_start pg-multi-statement "$PGCAP"
		psq frank -c "SELECT id FROM crm.customers WHERE id <= 3; SELECT name FROM crm.customers WHERE id <= 4; UPDATE crm.customers SET phone = NULL WHERE id = 1" >/dev/null
		cap_stop $PGARGS
	fi
	if want pg-dml-counts; then
		cap_start pg-dml-counts "$PGCAP"
		psq frank -c "INSERT INTO crm.notes SELECT g, 'note ' || g FROM generate_series(1, 25) g"
		psq frank -c "UPDATE crm.notes SET body = 'changed' WHERE id <= 10"
		psq frank -c "DELETE FROM crm.notes WHERE id > 20"
		cap_stop $PGARGS
	fi
	if want pg-tls-session; then
		cap_start pg-tls-session "$PGCAP"
		PGSSLMODE=require psq grace \
		    -c "SELECT * FROM crm.customers WHERE id < 10" >/dev/null
		cap_stop $PGARGS
	fi
	if want pg-auth-failed; then
		cap_start pg-auth-failed "$PGCAP"
		PGPASSWORD=wrong-one psq mallory -c "SELECT 1" >/dev/null 2>&1
		cap_stop $PGARGS
	fi
}

# --- MariaDB ------------------------------------------------------------

MY_CASES="my-com-query-rows my-init-db my-prepared-execute
    my-multi-statement my-error my-dml-counts my-load-data-local
    my-tls-session"

my_setup() {
	port_free 3306 || die "port 3306 is taken"
	chmod 755 "$T"
	mysql_start "$MYD" 3306 ||
	    die "MariaDB did not start: $(tail -3 "$MYD/err")"
	mysql_root "$MYD" >"$T/my-setup.log" 2>&1 <<EOF || die "MariaDB data"
CREATE DATABASE crm;
USE crm;
CREATE TABLE customers (id INT PRIMARY KEY, name VARCHAR(64) NOT NULL,
  phone VARCHAR(32) NULL, email VARCHAR(64) NULL, photo BLOB NULL);
INSERT INTO customers SELECT seq, CONCAT('Name ', seq),
  IF(seq % 3 = 0, NULL, CONCAT('+1-555-', LPAD(seq, 7, '0'))),
  IF(seq % 4 = 0, NULL, CONCAT('user', seq, '@example.com')),
  IF(seq % 5 = 0, NULL, UNHEX(SHA2(seq, 256))) FROM seq_1_to_$N;
CREATE USER alice@'%' IDENTIFIED BY 'pw-alice';
CREATE USER bob@'%' IDENTIFIED BY 'pw-bob';
CREATE USER carol@'%' IDENTIFIED BY 'pw-carol';
CREATE USER dave@'%' IDENTIFIED BY 'pw-dave';
GRANT ALL ON crm.* TO alice@'%', bob@'%', carol@'%', dave@'%';
GRANT FILE ON *.* TO carol@'%';
EOF
}

my() {
	u=$1; shift
	mariadb --no-defaults -h 127.0.0.1 -P 3306 -u "$u" -p"pw-$u" "$@"
}

my_cases() {
	MYCAP="tcp port 3306"
	MYARGS="--source db --port mysql:3306"
	if want my-com-query-rows; then
		cap_start my-com-query-rows "$MYCAP"
		my alice --skip-ssl crm \
		    -e "SELECT * FROM customers WHERE id <= 20" >/dev/null
		cap_stop $MYARGS
	fi
	if want my-init-db; then
		cap_start my-init-db "$MYCAP"
		my alice --skip-ssl -e "use crm
SELECT id, name FROM customers WHERE id <= 10" >/dev/null
		cap_stop $MYARGS
	fi
	if want my-prepared-execute; then
		cap_start my-prepared-execute "$MYCAP"
		perl -MDBI -e '
		    my $d = DBI->connect("DBI:MariaDB:database=crm;" .
			"host=127.0.0.1;port=3306;mariadb_server_prepare=1",
			"bob", "pw-bob", { RaiseError => 1, PrintError => 0 });
		    my $s = $d->prepare(
			"SELECT name FROM customers WHERE id = ?");
		    for my $i (1 .. 5) {
			$s->execute($i * 11);
			while (my @r = $s->fetchrow_array) { }
		    }
		    $d->disconnect;' || die "perl DBD::MariaDB"
		cap_stop $MYARGS
	fi
	if want my-multi-statement; then
		printf '%s\n' 'DELIMITER //' \
		    'SELECT id FROM customers WHERE id <= 3; SELECT name FROM customers WHERE id <= 4;' \
		    'UPDATE customers SET email = NULL WHERE id = 1 //' \
		    >"$T/multi.sql"
		cap_start my-multi-statement "$MYCAP"
		my carol --skip-ssl crm <"$T/multi.sql" >/dev/null
		cap_stop $MYARGS
	fi
	if want my-error; then
		cap_start my-error "$MYCAP"
		my carol --skip-ssl crm -e "SELECT * FROM no_such_table" \
		    >/dev/null 2>&1
		cap_stop $MYARGS
	fi
	if want my-dml-counts; then
		cap_start my-dml-counts "$MYCAP"
		my carol --skip-ssl crm -e "INSERT INTO customers (id, name) VALUES
 (900001, 'Name A'), (900002, 'Name B'), (900003, 'Name C');
UPDATE customers SET phone = '+1-555-0000000' WHERE id IN (900001, 900002);
DELETE FROM customers WHERE id >= 900001"
		cap_stop $MYARGS
	fi
	if want my-load-data-local; then
		awk 'BEGIN { for (i = 1; i <= 25; i++)
			printf("%d,Loaded %d\n", 800000 + i, i) }' >"$T/load.csv"
		cap_start my-load-data-local "$MYCAP"
		my carol --skip-ssl --local-infile=1 crm -e "LOAD DATA LOCAL INFILE
 '$T/load.csv' INTO TABLE customers FIELDS TERMINATED BY ',' (id, name)"
		cap_stop $MYARGS
	fi
	if want my-tls-session; then
		cap_start my-tls-session "$MYCAP"
		my dave --ssl crm -e "SELECT * FROM customers WHERE id <= 5" \
		    >/dev/null
		cap_stop $MYARGS
	fi
}

# --- network ------------------------------------------------------------

NET_CASES="net-http-upload net-http-download net-tls-sni net-dns"
NETARGS="--source net --internal 127.0.0.2/32"

net_setup() {
	for p in 80 443; do
		port_free $p || die "port $p is taken"
	done
	mkdir -p "$NG/html" "$NG/tmp" "$NG/logs"
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
	    -nodes -keyout "$NG/key.pem" -out "$NG/cert.pem" -days 90 \
	    -subj "/CN=content.dropboxapi.com" \
	    -addext "subjectAltName=DNS:content.dropboxapi.com" \
	    2>/dev/null || die "certificate"
	cat >"$NG/nginx.conf" <<EOF
daemon off;
master_process off;
user root;
worker_processes 1;
pid $NG/nginx.pid;
error_log $NG/logs/error.log;
events { worker_connections 64; }
http {
	access_log off;
	client_body_temp_path $NG/tmp;
	proxy_temp_path $NG/tmp;
	fastcgi_temp_path $NG/tmp;
	uwsgi_temp_path $NG/tmp;
	scgi_temp_path $NG/tmp;
	server {
		listen 127.0.0.3:443 ssl;
		server_name content.dropboxapi.com;
		ssl_certificate $NG/cert.pem;
		ssl_certificate_key $NG/key.pem;
		root $NG/html;
		client_max_body_size 0;
		location / { dav_methods PUT; }
	}
	server {
		listen 127.0.0.3:80;
		root $NG/html;
		client_max_body_size 0;
		location / { dav_methods PUT; }
	}
}
EOF
	nginx -c "$NG/nginx.conf" -p "$NG" >"$NG/logs/stdout" 2>&1 &
	PIDS="$PIDS $!"
	i=0
	while ! curl -s -o /dev/null "http://127.0.0.3/"; do
		i=$((i + 1))
		[ $i -gt 50 ] && die "nginx did not start"
		sleep 0.1
	done
	# Made-up contents, the same every time (no random bytes to vary
	# the capture's size from one run to the next).
	awk 'BEGIN { for (i = 0; i < 600; i++)
		printf("line %05d of a made-up report, nothing real\n", i) }' \
	    >"$NG/report.txt"
	cp "$NG/report.txt" "$NG/html/download.txt"
}

net_cases() {
	if want net-http-upload; then
		cap_start net-http-upload "host 127.0.0.3 and tcp port 80"
		curl -s -o /dev/null --interface 127.0.0.2 -T "$NG/report.txt" \
		    "http://127.0.0.3/upload.txt" || die "http upload"
		cap_stop $NETARGS
	fi
	if want net-http-download; then
		cap_start net-http-download "host 127.0.0.3 and tcp port 80"
		curl -s -o /dev/null --interface 127.0.0.2 \
		    "http://127.0.0.3/download.txt" || die "http download"
		cap_stop $NETARGS
	fi
	if want net-tls-sni; then
		cap_start net-tls-sni "host 127.0.0.3 and tcp port 443"
		curl -sk -o /dev/null --interface 127.0.0.2 \
		    --resolve "content.dropboxapi.com:443:127.0.0.3" \
		    -T "$NG/report.txt" \
		    "https://content.dropboxapi.com/report.txt" ||
		    die "https upload"
		cap_stop $NETARGS
	fi
	if want net-dns; then
		command -v dnsmasq >/dev/null && command -v dig >/dev/null ||
		    die "net-dns needs dnsmasq-base and bind9-dnsutils"
		port_free 53 u || die "port 53 is taken"
		dnsmasq --no-daemon --no-resolv --no-hosts --user=root \
		    --listen-address=127.0.0.3 --bind-interfaces --port=53 \
		    --pid-file="$T/dnsmasq.pid" \
		    --address=/files.example.com/192.0.2.10 \
		    --txt-record=files.example.com,"made-up text" \
		    >"$T/dnsmasq.log" 2>&1 &
		PIDS="$PIDS $!"
		sleep 0.5
		cap_start net-dns "host 127.0.0.3 and udp port 53"
		dig +tries=1 +time=2 -b 127.0.0.2 @127.0.0.3 \
		    files.example.com A >"$T/dig.out" || die "dig"
		dig +tries=1 +time=2 -b 127.0.0.2 @127.0.0.3 \
		    files.example.com TXT >>"$T/dig.out" || die "dig"
		grep -q 192.0.2.10 "$T/dig.out" || die "dnsmasq did not answer"
		cap_stop $NETARGS
	fi
}

# shellcheck disable=SC2086
if want_any $PG_CASES; then pg_setup; pg_cases; fi
# shellcheck disable=SC2086
if want_any $MY_CASES; then my_setup; my_cases; fi
# shellcheck disable=SC2086
if want_any $NET_CASES; then net_setup; net_cases; fi
