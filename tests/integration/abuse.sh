#!/bin/sh
# Hostile and broken peers cost only their own connection: no or a wrong
# certificate, a wrong secret, garbage, an oversized frame, a half-open
# connection, a TCP connection that never starts TLS. Meanwhile a valid
# agent connected at the same time delivers every event, and the collector
# logs one line per refused peer naming it and the reason.
. "$(dirname "$0")/lib.sh"

PEER="$LW_BUILD/tests/lwpeer"
N=20000
make_pki db1 || { fail setup "cannot make certificates"; exit 1; }
# A second CA whose agent certificate the collector must not trust.
mkdir -p "$T/evil"
cp "$T/pki/cli.ext" "$T/evil/"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$T/evil/ca.key" -out "$T/evil/ca.crt" -days 2 \
    -subj "/CN=evil CA" 2>/dev/null
make_agent_cert "$T/evil" db1 "$T/evil/ca"
SECRET="s3cret-for-db2-agent-0123456789"
printf 'db2 %s\n' "$(printf '%s' "$SECRET" | sha256sum | cut -d' ' -f1)" \
    >"$T/secrets"
printf '%s\n' "$SECRET" >"$T/db2.secret"
chmod 600 "$T/db2.secret" "$T/secrets"
gen_events $N >"$T/events.jsonl"
PORT=$(free_port)
start_collector c --listen 127.0.0.1:$PORT --db "$T/c.db" \
    --tls-cert "$T/pki/collector.crt" --tls-key "$T/pki/collector.key" \
    --tls-client-ca "$T/pki/ca.crt" --agent-secrets "$T/secrets" \
    --hello-timeout 1500ms --max-frame 65536 ||
    { fail setup "collector did not start"; exit 1; }

# The valid agent streams through all of the abuse below.
start_agent a --name db1 --collector 127.0.0.1:$PORT --spool "$T/spool" \
    --source "jsonl:$T/events.jsonl" --tls-ca "$T/pki/ca.crt" \
    --tls-cert "$T/pki/db1.crt" --tls-key "$T/pki/db1.key" --drain \
    --backoff-min 50ms
AGENT_PID=$APID

P="127.0.0.1 $PORT"
r_nocert=$("$PEER" $P hello -ca "$T/pki/ca.crt" -name db1)
r_evilcert=$("$PEER" $P hello -ca "$T/pki/ca.crt" -cert "$T/evil/db1.crt" \
    -key "$T/evil/db1.key" -name db1)
r_badsecret=$("$PEER" $P hello -ca "$T/pki/ca.crt" -name db2 \
    -secret wrong-secret-wrong-secret)
r_goodsecret=$("$PEER" $P hello -ca "$T/pki/ca.crt" -name db2 \
    -secret "$SECRET")
r_garbage=$("$PEER" $P garbage -ca "$T/pki/ca.crt" -cert "$T/pki/db1.crt" \
    -key "$T/pki/db1.key")
r_oversize=$("$PEER" $P oversize -ca "$T/pki/ca.crt" -cert \
    "$T/pki/db1.crt" -key "$T/pki/db1.key")
r_halfopen=$("$PEER" $P halfopen -ca "$T/pki/ca.crt" -cert \
    "$T/pki/db1.crt" -key "$T/pki/db1.key")
r_tcponly=$("$PEER" $P tcponly)
r_plain=$("$PEER" $P hello -name db2 -secret "$SECRET")

echo "nocert: $r_nocert"
echo "evilcert: $r_evilcert"
echo "badsecret: $r_badsecret"
echo "goodsecret: $r_goodsecret"
echo "garbage: $r_garbage"
echo "oversize: $r_oversize"
echo "halfopen: $r_halfopen"
echo "tcponly: $r_tcponly"
echo "plaintext: $r_plain"

case "$r_nocert" in *"sent no certificate and no secret"*) pass refuse_no_cert ;;
	*) fail refuse_no_cert "$r_nocert" ;; esac
case "$r_evilcert" in "handshake failed"*|"closed after"*) pass refuse_untrusted_cert ;;
	*) fail refuse_untrusted_cert "$r_evilcert" ;; esac
case "$r_evilcert" in *WELCOME*) fail untrusted_cert_not_welcomed "$r_evilcert" ;;
	*) pass untrusted_cert_not_welcomed ;; esac
case "$r_badsecret" in *'wrong secret for agent \x22db2\x22'*|*'wrong secret for agent "db2"'*)
	pass refuse_wrong_secret ;; *) fail refuse_wrong_secret "$r_badsecret" ;; esac
case "$r_goodsecret" in 'WELCOME {"proto":1,"agent":"db2","acked":0}') pass accept_right_secret ;;
	*) fail accept_right_secret "$r_goodsecret" ;; esac
case "$r_garbage" in *"unknown frame type"*) pass garbage_closed ;;
	*) fail garbage_closed "$r_garbage" ;; esac
# Before its HELLO a peer's frame is capped at the HELLO limit, not
# max-frame (preauth.sh covers the cap itself).
case "$r_oversize" in *"over the 4096-byte limit"*) pass oversize_closed ;;
	*) fail oversize_closed "$r_oversize" ;; esac
ms=$(echo "$r_halfopen" | sed -n 's/^closed after \([0-9]*\) ms.*/\1/p')
if [ -n "$ms" ] && [ "$ms" -ge 1400 ] && [ "$ms" -lt 10000 ]; then
	pass halfopen_timed_out
else
	fail halfopen_timed_out "$r_halfopen"
fi
ms=$(echo "$r_tcponly" | sed -n 's/^closed after \([0-9]*\) ms.*/\1/p')
if [ -n "$ms" ] && [ "$ms" -ge 1400 ] && [ "$ms" -lt 10000 ]; then
	pass no_handshake_timed_out
else
	fail no_handshake_timed_out "$r_tcponly"
fi
case "$r_plain" in *WELCOME*) fail plaintext_refused "$r_plain" ;;
	*) pass plaintext_refused ;; esac

# TLS 1.2 offers forward-secret AEAD suites only: a CBC suite is refused.
cbc=$(echo | openssl s_client -connect "127.0.0.1:$PORT" -tls1_2 \
    -cipher ECDHE-ECDSA-AES128-SHA -CAfile "$T/pki/ca.crt" 2>&1)
gcm=$(echo | openssl s_client -connect "127.0.0.1:$PORT" -tls1_2 \
    -cipher ECDHE-ECDSA-AES128-GCM-SHA256 -CAfile "$T/pki/ca.crt" 2>&1)
case "$cbc" in *"Cipher is ECDHE-ECDSA-AES128-SHA"*) fail tls12_cbc_refused "negotiated" ;;
	*) pass tls12_cbc_refused ;; esac
case "$gcm" in *"Cipher is ECDHE-ECDSA-AES128-GCM-SHA256"*) pass tls12_gcm_accepted ;;
	*) fail tls12_gcm_accepted "$(echo "$gcm" | tail -3)" ;; esac

wait $AGENT_PID
rc=$?
c=$(sql "$T/c.db" "SELECT count(*) FROM events")
d=$(sql "$T/c.db" "SELECT count(DISTINCT seq) FROM events WHERE agent='db1'")
if [ $rc -eq 0 ] && [ "$c" = $N ] && [ "$d" = $N ]; then
	pass valid_agent_unharmed
else
	fail valid_agent_unharmed "agent exit $rc, rows $c, distinct $d"
fi
grep -q "closing connection: wrong secret" "$T/c.log" &&
    pass log_names_secret_failure || fail log_names_secret_failure "no log line"
grep -q "127.0.0.1:[0-9]*: closing connection: .*over the 4096-byte limit" \
    "$T/c.log" && pass log_names_peer_and_reason ||
    fail log_names_peer_and_reason "no log line with peer and reason"
grep -q "closing connection: no HELLO within 1500 ms" "$T/c.log" &&
    pass log_names_timeout || fail log_names_timeout "no timeout log line"
grep -Eq "closing connection: TLS: .*(certificate|unknown ca)" "$T/c.log" &&
    pass log_names_tls_failure || fail log_names_tls_failure "no TLS log line"
finish
