#!/bin/sh
# The MySQL wire decoder on real traffic: a real MariaDB 10.11 on loopback
# (lib-mysql.sh: own datadir, real users, TLS with a test certificate),
# crm.customers with 70,000 rows (NULL columns, a BLOB), driven by the
# real clients - mariadb, mysqlslap and, for the binary protocol, Perl's
# DBD::MariaDB (libmariadb, server-side prepared statements) - while
# tcpdump captures on lo. `leakwatch-agent --read cap.pcap --source db`
# must then report, per user, exactly: the 70,000-row read, a SQL-level
# PREPARE executed 500 times (1 row each), a binary-protocol statement
# executed 500 times (1 row each), the failing query's error number,
# INSERT / UPDATE / DELETE / LOAD DATA LOCAL counts, COM_INIT_DB moving
# the session to crm, one tls session event for the --ssl client and no
# query from it, and no literal used anywhere in its output. Kernel drops
# fail the test. Also decodes ../shared/corpus/ndpi/mysql.pcapng.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-mysql.sh"

N=70000
MYD="$T/my"

if [ "$(id -u)" != 0 ]; then
	skip setup "needs root (tcpdump, mariadbd as mysql)"; exit 0
fi
for c in mariadbd mariadb mariadb-install-db mysqlslap tcpdump openssl; do
	if ! command -v "$c" >/dev/null 2>&1; then
		skip setup "$c not installed"; exit 0
	fi
done

MYP=$(free_port)
chmod 755 "$T"
my_cleanup() {
	[ -n "${TDPID:-}" ] && kill "$TDPID" 2>/dev/null
	mysql_stop "$MYD"
	cleanup
}
trap my_cleanup EXIT

mysql_start "$MYD" "$MYP" || {
	fail setup "MariaDB did not start: $(tail -3 "$MYD/err" 2>/dev/null)"
	exit 1
}

# Data and users. Row contents use marker strings that must never appear
# in the agent's output.
mysql_root "$MYD" >"$T/setup.log" 2>&1 <<EOF || { fail setup "data: $(tail -2 "$T/setup.log")"; exit 1; }
CREATE DATABASE crm;
USE crm;
CREATE TABLE customers (id INT PRIMARY KEY, name VARCHAR(64) NOT NULL,
  phone VARCHAR(32) NULL, email VARCHAR(64) NULL, photo BLOB NULL);
INSERT INTO customers SELECT seq, CONCAT('Kundename ', seq),
  IF(seq % 3 = 0, NULL, CONCAT('+1-555-', LPAD(seq, 7, '0'))),
  IF(seq % 4 = 0, NULL, CONCAT('c', seq, '@kundenmail.example')),
  IF(seq % 5 = 0, NULL, UNHEX(SHA2(seq, 256))) FROM seq_1_to_$N;
CREATE DATABASE slap;
CREATE TABLE slap.t (id INT PRIMARY KEY, v VARCHAR(32));
INSERT INTO slap.t SELECT seq, CONCAT('slapvalue', seq) FROM crm.seq_1_to_500;
CREATE USER alice@'%' IDENTIFIED BY 'pw-alice-71';
CREATE USER bob@'%' IDENTIFIED BY 'pw-bob-72';
CREATE USER carol@'%' IDENTIFIED BY 'pw-carol-73';
CREATE USER dave@'%' IDENTIFIED BY 'pw-dave-74';
CREATE USER erin@'%' IDENTIFIED BY 'pw-erin-75';
CREATE USER frank@'%' IDENTIFIED BY 'pw-frank-76';
GRANT ALL ON crm.* TO alice@'%', bob@'%', carol@'%', dave@'%', erin@'%';
GRANT ALL ON slap.* TO frank@'%';
GRANT FILE ON *.* TO carol@'%';
EOF

my() {
	u=$1; shift
	mariadb --no-defaults -h 127.0.0.1 -P "$MYP" -u "$u" -p"$(pw "$u")" \
	    "$@"
}
pw() {
	case $1 in
	alice) echo pw-alice-71 ;; bob) echo pw-bob-72 ;;
	carol) echo pw-carol-73 ;; dave) echo pw-dave-74 ;;
	erin) echo pw-erin-75 ;; frank) echo pw-frank-76 ;;
	esac
}

tcpdump -i lo -s 262144 -B 65536 -U -w "$T/cap.pcap" "tcp port $MYP" \
    2>"$T/tcpdump.err" &
TDPID=$!
wait_log "$T/tcpdump.err" "listening on" 10 || {
	fail setup "tcpdump did not start: $(cat "$T/tcpdump.err")"; exit 1; }

ok=1
# alice: the whole table; then a session without a schema that moves to
# crm with COM_INIT_DB (the client's `use`) and reads 10 rows unqualified.
my alice --skip-ssl crm -e "SELECT * FROM customers" >"$T/alice.out" || ok=0
my alice --skip-ssl -e "use crm
SELECT * FROM customers WHERE id <= 10" >/dev/null || ok=0
# bob: SQL-level PREPARE, executed 500 times, 1 row each.
{
	echo "PREPARE s FROM 'SELECT name FROM customers WHERE id = ?';"
	i=1
	while [ $i -le 500 ]; do
		echo "SET @i = $((i * 7));"
		echo "EXECUTE s USING @i;"
		i=$((i + 1))
	done
	echo "DEALLOCATE PREPARE s;"
} >"$T/bob.sql"
my bob --skip-ssl crm <"$T/bob.sql" >"$T/bob.out" || ok=0
# carol: an error, writes with their counts, LOAD DATA LOCAL of 250 rows.
my carol --skip-ssl crm -e "SELECT * FROM no_such_table" \
    >/dev/null 2>&1 && ok=0
my carol --skip-ssl crm -e "INSERT INTO customers (id, name) VALUES
 (900001, 'Zeddicus One'), (900002, 'Zeddicus Two'), (900003, 'Zeddicus Three');
UPDATE customers SET phone = '+1-555-9998887' WHERE id IN (900001, 900002);
DELETE FROM customers WHERE id >= 900001" || ok=0
awk 'BEGIN { for (i = 1; i <= 250; i++)
	printf("%d,Infileperson %d\n", 800000 + i, i) }' >"$T/load.csv"
my carol --skip-ssl --local-infile=1 crm -e "LOAD DATA LOCAL INFILE
 '$T/load.csv' INTO TABLE customers FIELDS TERMINATED BY ',' (id, name)" \
    || ok=0
# carol again: three statements in one COM_QUERY (the client sends the
# text between delimiters as it is): three queries.
printf '%s\n' 'DELIMITER //' \
    'SELECT id FROM customers WHERE id <= 3; SELECT name FROM customers WHERE id <= 4;' \
    'UPDATE customers SET email = NULL WHERE id = 1 //' >"$T/multi.sql"
my carol --skip-ssl crm <"$T/multi.sql" >/dev/null || ok=0
# dave: TLS; nothing of it may be decoded.
my dave --ssl crm -e "SELECT * FROM customers WHERE id <= 5" >/dev/null \
    || ok=0
# erin: binary protocol, one statement prepared, executed 500 times.
HAVE_PERL=0
if perl -MDBD::MariaDB -e 1 2>/dev/null; then
	HAVE_PERL=1
	perl -MDBI -e '
	    my $d = DBI->connect("DBI:MariaDB:database=crm;host=127.0.0.1;" .
		"port=$ARGV[0];mariadb_server_prepare=1", "erin", $ARGV[1],
		{ RaiseError => 1, PrintError => 0 });
	    my $s = $d->prepare("SELECT name FROM customers WHERE id = ?");
	    my $n = 0;
	    for my $i (1 .. 500) {
		$s->execute($i * 11);
		while (my @r = $s->fetchrow_array) { $n++ }
	    }
	    $d->disconnect;
	    exit($n == 500 ? 0 : 1);' "$MYP" "$(pw erin)" || ok=0
fi
# frank: mysqlslap, 2 clients, 10 queries of 100 rows.
mysqlslap --no-defaults -h 127.0.0.1 -P "$MYP" -u frank -p"$(pw frank)" \
    --skip-ssl --create-schema=slap --no-drop \
    --query="SELECT id, v FROM t WHERE id <= 100" --concurrency=2 \
    --iterations=1 --number-of-queries=10 >"$T/slap.out" 2>&1 || ok=0
sleep 1
kill -INT "$TDPID"
wait "$TDPID"
TDPID=
check clients_ran [ "$ok" = 1 ]
check alice_client_rows [ "$(wc -l <"$T/alice.out")" -eq $((N + 1)) ]

drops=$(sed -n 's/^\([0-9]*\) packets dropped by kernel.*/\1/p' \
    "$T/tcpdump.err")
check no_kernel_drops [ "${drops:-x}" = 0 ]

# Statement by statement: these checks count decoded statements one
# event each; folding is tests/unit/test_aggregate.c and capture_burst.sh.
"$AGENT" --read "$T/cap.pcap" --source db --port "mysql:$MYP" \
    --aggregate=no >"$T/out.jsonl" 2>"$T/agent.err"
check agent_exit [ $? -eq 0 ]

# q USER : that user's db.query lines.
q() {
	grep '"type":"db.query"' "$T/out.jsonl" | grep "\"db_user\":\"$1\""
}
# n : lines on stdin; sum FIELD : sum of an integer field on stdin.
n() { grep -c . ; }
sum() { sed -n "s/.*\"$1\":\([0-9]*\).*/\1/p" | awk '{ s += $1 } END { print s + 0 }'; }
st() { grep -F "\"statement\":\"$1\""; }

# alice
# the client's `use` sends COM_INIT_DB, then SELECT DATABASE()
check alice_queries [ "$(q alice | n)" -eq 3 ]
check alice_70000 [ "$(q alice | st 'SELECT * FROM customers' | grep '"rows_returned":70000,' | grep '"status":"ok"' | grep -c '"partial":false')" -eq 1 ]
check alice_init_db [ "$(q alice | st 'SELECT * FROM customers WHERE id <= ?' | grep '"database":"crm"' | grep -c '"rows_returned":10,')" -eq 1 ]
# bob
check bob_queries [ "$(q bob | n)" -eq 1002 ]
check bob_execute_500 [ "$(q bob | grep '"command":"SELECT"' | grep '"statement":"EXECUTE s' | grep -c '"rows_returned":1,')" -eq 500 ]
check bob_rows [ "$(q bob | sum rows_returned)" -eq 500 ]
# carol
check carol_queries [ "$(q carol | n)" -eq 8 ]
multi_ok() {
	[ "$(q carol | st 'SELECT id FROM customers WHERE id <= ?' | grep -c '"rows_returned":3,')" -eq 1 ] &&
	[ "$(q carol | st 'SELECT name FROM customers WHERE id <= ?' | grep -c '"rows_returned":4,')" -eq 1 ] &&
	[ "$(q carol | st 'UPDATE customers SET email = NULL WHERE id = ?' | grep -c '"rows_affected":1,')" -eq 1 ]
}
check carol_multi_statement multi_ok
check carol_error [ "$(q carol | grep '"status":"error"' | grep -c '"error_code":"1146"')" -eq 1 ]
check carol_insert [ "$(q carol | grep '"command":"INSERT"' | grep -c '"rows_affected":3,')" -eq 1 ]
check carol_update [ "$(q carol | grep '"command":"UPDATE"' | grep -c '"rows_affected":2,')" -eq 1 ]
check carol_delete [ "$(q carol | grep '"command":"DELETE"' | grep -c '"rows_affected":3,')" -eq 1 ]
check carol_load_local [ "$(q carol | grep '"command":"LOAD"' | grep -c '"rows_affected":250,')" -eq 1 ]
# dave (TLS) and the session events
check dave_no_queries [ "$(q dave | n)" -eq 0 ]
check one_tls_session [ "$(grep '"type":"db.session"' "$T/out.jsonl" | grep -c '"action":"tls"')" -eq 1 ]
check connects [ "$(grep -c '"action":"connect"' "$T/out.jsonl")" -eq $((7 + HAVE_PERL + 3)) ]
# erin (binary protocol)
if [ "$HAVE_PERL" = 1 ]; then
	check erin_execute_500 [ "$(q erin | st 'SELECT name FROM customers WHERE id = ?' | grep '"tables":\["crm.customers"\]' | grep -c '"rows_returned":1,')" -eq 500 ]
else
	skip erin_execute_500 "perl DBD::MariaDB (libdbd-mariadb-perl) not installed"
fi
# frank (mysqlslap)
check frank_slap [ "$(q frank | st 'SELECT id, v FROM t WHERE id <= ?' | grep '"database":"slap"' | grep -c '"rows_returned":100,')" -eq 10 ]
# nothing partial, nothing unattributed, every query has its user
check none_partial [ "$(grep -c '"partial":true' "$T/out.jsonl")" -eq 0 ]
check all_attributed [ "$(grep '"type":"db.query"' "$T/out.jsonl" | grep -vc '"db_user":"')" -eq 0 ]
# no literal values, row contents, file contents or passwords; a number
# counts only standing alone, since a microsecond timestamp or a byte
# count may hold any six digits by chance
leaked=
for lit in Kundename kundenmail 555- Zeddicus 9998887 900001 Infileperson \
    800001 slapvalue pw-alice pw-erin; do
	case $lit in
	*[!0-9]*) pat=$lit ;;
	*) pat="(^|[^0-9])$lit([^0-9]|\$)" ;;
	esac
	grep -qE -- "$pat" "$T/out.jsonl" && leaked="$leaked $lit"
done
check no_literals [ -z "$leaked" ]
[ -n "$leaked" ] && echo "  leaked:$leaked"

# The nDPI project's MySQL capture, when the shared corpus is there.
NDPI="$LW_TOP/../shared/corpus/ndpi/mysql.pcapng"
if [ -f "$NDPI" ]; then
	"$AGENT" --read "$NDPI" --source db >"$T/ndpi.jsonl" 2>"$T/ndpi.err"
	check ndpi_exit [ $? -eq 0 ]
	check ndpi_session [ "$(grep '"action":"connect"' "$T/ndpi.jsonl" | grep -c '"db_user":"admin"')" -eq 1 ]
	check ndpi_query [ "$(grep '"type":"db.query"' "$T/ndpi.jsonl" | grep -c '"partial":false')" -ge 1 ]
	check ndpi_tls [ "$(grep -c '"action":"tls"' "$T/ndpi.jsonl")" -eq 1 ]
else
	skip ndpi "../shared/corpus/ndpi/mysql.pcapng absent"
fi
finish
