#!/bin/sh
# Revocation bites on live sessions: two real agents ship events, one
# authenticated by a client certificate, one by a secret. The secret is
# revoked with leakwatch-ctl and the certificate by a new CRL
# (tls-client-crl); after SIGHUP both live connections are closed with
# the reason, both agents' reconnections are refused, and events written
# after the reload are not stored. A third agent, still valid, keeps
# delivering. Also: a CRL that lists an agent refuses it at start.
. "$(dirname "$0")/lib.sh"

CTL="$LW_BUILD/leakwatch-ctl"
make_pki db1 db3 || { fail setup "cannot make certificates"; exit 1; }

# A CRL from the test CA: empty first, then with db1's certificate.
mkdir -p "$T/crl"
: >"$T/crl/index.txt"
echo 01 >"$T/crl/crlnumber"
cat >"$T/crl/ca.cnf" <<EOF
[ ca ]
default_ca = test
[ test ]
database = $T/crl/index.txt
crlnumber = $T/crl/crlnumber
default_md = sha256
default_crl_days = 2
EOF
gencrl() {
	openssl ca -config "$T/crl/ca.cnf" -keyfile "$T/pki/ca.key" \
	    -cert "$T/pki/ca.crt" -gencrl -out "$T/crl.pem" 2>"$T/crl/err"
}
gencrl || { fail setup "openssl ca -gencrl: $(cat "$T/crl/err")"; exit 1; }

PORT=$(free_port)
cat >"$T/c.conf" <<EOF
listen 127.0.0.1:$PORT
db "$T/c.db"
tls-cert $T/pki/collector.crt
tls-key $T/pki/collector.key
tls-client-ca $T/pki/ca.crt
tls-client-crl $T/crl.pem
agent-secrets $T/secrets
commit-interval 20ms
EOF
: >"$T/secrets"
chmod 600 "$T/secrets"
secret=$("$CTL" -c "$T/c.conf" secret-issue db2 2>/dev/null)
start_collector c -c "$T/c.conf" ||
    { fail setup "collector did not start: $(tail -3 "$T/c.log")"; exit 1; }

# Three agents, each following its own file.
for a in db1 db2 db3; do
	gen_events 50 "$a-u" >"$T/$a.jsonl"
done
printf '%s\n' "$secret" >"$T/db2.secret"
chmod 600 "$T/db2.secret"
common="--collector 127.0.0.1:$PORT --tls-ca $T/pki/ca.crt --backoff-min 50ms --backoff-max 200ms --heartbeat 1s"
# shellcheck disable=SC2086
start_agent a1 --name db1 --spool "$T/s1" --source "jsonl:$T/db1.jsonl" \
    --tls-cert "$T/pki/db1.crt" --tls-key "$T/pki/db1.key" $common
# shellcheck disable=SC2086
start_agent a2 --name db2 --spool "$T/s2" --source "jsonl:$T/db2.jsonl" \
    --secret-file "$T/db2.secret" $common
# shellcheck disable=SC2086
start_agent a3 --name db3 --spool "$T/s3" --source "jsonl:$T/db3.jsonl" \
    --tls-cert "$T/pki/db3.crt" --tls-key "$T/pki/db3.key" $common
wait_rows "$T/c.db" 150 20 ||
    { fail setup "first 150 events not stored: $(sql "$T/c.db" "SELECT count(*) FROM events")"; exit 1; }

# Revoke both, reload.
"$CTL" -c "$T/c.conf" secret-revoke db2 2>/dev/null
openssl ca -config "$T/crl/ca.cnf" -keyfile "$T/pki/ca.key" \
    -cert "$T/pki/ca.crt" -revoke "$T/pki/db1.crt" 2>>"$T/crl/err" &&
    gencrl || { fail setup "revoking db1: $(cat "$T/crl/err")"; exit 1; }
kill -HUP "$CPID"
wait_log "$T/c.log" "configuration reloaded" 5
check reload_counts_two grep -q "2 agents disconnected as no longer valid" "$T/c.log"
check secret_session_closed grep -q "agent db2: closing connection: secret for agent \"db2\" revoked" "$T/c.log"
check cert_session_closed grep -q "agent db1: closing connection: certificate no longer valid: certificate revoked" "$T/c.log"

# What the revoked agents write now must not arrive; db3's must.
gen_events 30 late1 >>"$T/db1.jsonl"
gen_events 30 late2 >>"$T/db2.jsonl"
gen_events 30 late3 >>"$T/db3.jsonl"
wait_rows "$T/c.db" 180 20
sleep 2		# time for any reconnection to try and fail
n1=$(sql "$T/c.db" "SELECT count(*) FROM events WHERE agent='db1'")
n2=$(sql "$T/c.db" "SELECT count(*) FROM events WHERE agent='db2'")
n3=$(sql "$T/c.db" "SELECT count(*) FROM events WHERE agent='db3'")
echo "events stored after the revocations: db1 $n1, db2 $n2, db3 $n3"
check revoked_cert_stores_nothing_more [ "$n1" = 50 ]
check revoked_secret_stores_nothing_more [ "$n2" = 50 ]
check valid_agent_unharmed [ "$n3" = 80 ]
check cert_reconnect_refused grep -Eq "closing connection: TLS: .*certificate revoked" "$T/c.log"
check secret_reconnect_refused grep -q "wrong secret for agent \"db2\"" "$T/c.log"

# A collector started with that CRL refuses db1 from the start.
kill -TERM "$CPID"
wait "$CPID" 2>/dev/null
start_collector c2 -c "$T/c.conf" ||
    { fail setup "collector did not restart"; exit 1; }
r=$("$LW_BUILD/tests/lwpeer" 127.0.0.1 "$PORT" hello -ca "$T/pki/ca.crt" \
    -cert "$T/pki/db1.crt" -key "$T/pki/db1.key" -name db1)
case "$r" in *WELCOME*) fail revoked_cert_refused_at_start "$r" ;;
	*) pass revoked_cert_refused_at_start ;; esac
r=$("$LW_BUILD/tests/lwpeer" 127.0.0.1 "$PORT" hello -ca "$T/pki/ca.crt" \
    -cert "$T/pki/db3.crt" -key "$T/pki/db3.key" -name db3x)
case "$r" in *'certificate is for \x22db3\x22'*|*'certificate is for "db3"'*)
	pass crl_leaves_others_alone ;; *) fail crl_leaves_others_alone "$r" ;; esac
out=$("$COLLECTOR" -t -c "$T/c.conf" --tls-client-crl "$T/nope.pem" 2>&1)
check missing_crl_named contains "$out" "CRL file $T/nope.pem"
finish
