#!/bin/sh
# Configuration files and -t: a good file passes, each kind of mistake is
# reported with file:line:col (or names the key), nothing starts, and
# SIGHUP reloads the collector's secrets without a restart.
. "$(dirname "$0")/lib.sh"

make_pki db1 || { fail setup "cannot make certificates"; exit 1; }
PORT=$(free_port)
cat >"$T/c.conf" <<EOC
# leakwatch collector
listen 127.0.0.1:$PORT
db "$T/c.db"
tls-cert $T/pki/collector.crt
tls-key $T/pki/collector.key   # trailing comment
tls-client-ca $T/pki/ca.crt
agent-secrets $T/secrets
commit-interval 20ms
max-frame 256K
EOC
: >"$T/secrets"
chmod 600 "$T/secrets"
out=$("$COLLECTOR" -t -c "$T/c.conf" 2>&1)
# the file names no rules: -t checks the shipped ones and says which
check collector_t_ok [ "$(printf '%s\n' "$out" | tail -n 1)" = "leakwatch-collector: configuration OK" ]
check collector_t_default_rules contains "$out" "^leakwatch-collector: analytics: .* rules from $(cd "$LW_TOP/rules" && pwd -P)\$"
"$COLLECTOR" -t -v -c "$T/c.conf" >"$T/dump" 2>/dev/null
check collector_t_v_dumps grep -qx "max-frame 262144" "$T/dump"

printf 'listen 127.0.0.1:1\nmax-frame 12Q\n' >"$T/bad1.conf"
out=$("$COLLECTOR" -t -c "$T/bad1.conf" 2>&1); rc=$?
check bad_value_exit_status [ $rc -ne 0 ]
check bad_value_position contains "$out" "bad1.conf:2:11: max-frame: expected a size"
printf 'listen 127.0.0.1:1\n  colour blue\n' >"$T/bad2.conf"
out=$("$COLLECTOR" -t -c "$T/bad2.conf" 2>&1)
check unknown_key_position contains "$out" 'bad2.conf:2:3: unknown key "colour"'
printf 'db "unterminated\n' >"$T/bad3.conf"
out=$("$COLLECTOR" -t -c "$T/bad3.conf" 2>&1)
check unterminated_quote contains "$out" "bad3.conf:1:4: syntax error"
out=$("$COLLECTOR" -t --listen 127.0.0.1:1 --db "$T/x.db" 2>&1)
check tls_required contains "$out" "tls-cert and tls-key are required"
out=$("$COLLECTOR" -t --listen 127.0.0.1:1 --db "$T/x.db" --tls-cert "$T/nope.crt" --tls-key "$T/nope.key" --agent-secrets "$T/secrets" 2>&1)
check missing_cert_named contains "$out" "nope.crt"
out=$("$COLLECTOR" -t --listen 127.0.0.1:1 --db "$T/x.db" --tls-cert "$T/pki/collector.crt" --tls-key "$T/pki/collector.key" 2>&1)
check agent_auth_required contains "$out" "no way to authenticate agents"
# insecure: refused off loopback, and -t says what it means.
printf 'listen 0.0.0.0:%s\ndb "%s/i.db"\ninsecure yes\n' "$PORT" "$T" >"$T/insecure.conf"
out=$("$COLLECTOR" -t -c "$T/insecure.conf" 2>&1)
check insecure_off_loopback_refused contains "$out" "insecure: plaintext is for tests on loopback only, but listen is 0.0.0.0:$PORT"
printf 'listen 127.0.0.1:%s\ndb "%s/i.db"\ninsecure yes\n' "$PORT" "$T" >"$T/insecure.conf"
out=$("$COLLECTOR" -t -c "$T/insecure.conf" 2>&1)
check insecure_t_says_what [ "$(echo "$out" | tail -n 1)" = "leakwatch-collector: configuration OK (insecure: plaintext, no agent authentication, loopback only: for tests)" ]
out=$("$AGENT" -t --collector 127.0.0.1:1 --spool "$T/sp" --source jsonl:- 2>&1)
check agent_needs_ca contains "$out" "tls-ca is required"
printf 'short\n' >"$T/weak.secret"; chmod 644 "$T/weak.secret"
out=$("$AGENT" -t --collector 127.0.0.1:1 --spool "$T/sp" --source jsonl:- --tls-ca "$T/pki/ca.crt" --secret-file "$T/weak.secret" 2>&1)
check agent_secret_mode contains "$out" "readable by its owner only"
out=$("$AGENT" -t --collector 127.0.0.1:1 --spool "$T/sp" --source jsonl:- --insecure 2>&1)
check agent_t_ok [ "$out" = "leakwatch-agent: configuration OK" ]
out=$("$AGENT" $AG_USER --collector 127.0.0.1:1 --spool "$T/sp" --source bogus:x --insecure 2>&1)
check unknown_source_kind contains "$out" 'unknown kind "bogus"'

# SIGHUP: a secret added to the file is accepted after a reload.
start_collector c -c "$T/c.conf" || { fail setup "collector did not start"; exit 1; }
SECRET="late-comer-secret-0123456789"
r1=$("$LW_BUILD/tests/lwpeer" 127.0.0.1 $PORT hello -ca "$T/pki/ca.crt" -name late -secret "$SECRET")
printf 'late %s\n' "$(printf '%s' "$SECRET" | sha256sum | cut -d' ' -f1)" >"$T/secrets"
kill -HUP $CPID
wait_log "$T/c.log" "configuration reloaded (1 agent secrets;" 5
r2=$("$LW_BUILD/tests/lwpeer" 127.0.0.1 $PORT hello -ca "$T/pki/ca.crt" -name late -secret "$SECRET")
case "$r1" in *'wrong secret for agent "late"'*) pass before_reload_refused ;; *) fail before_reload_refused "$r1" ;; esac
case "$r2" in WELCOME*) pass sighup_reloads_secrets ;; *) fail sighup_reloads_secrets "$r2" ;; esac
st=$(stat -c %a "$T/c.db")
check db_mode_0640 [ "$st" = 640 ]

# Its memory holds the TLS key: the collector is not dumpable, so its
# /proc files belong to root even when it runs as another user.
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
	chmod 755 "$T"
	mkdir -m 777 "$T/nb"
	# nobody may not read the tree (a clone under /root): its own rules
	mkdir -m 755 "$T/nb/rules"
	cp "$LW_TOP"/rules/*.rules "$T/nb/rules/"
	P2=$(free_port)
	setpriv --reuid=nobody --regid=nogroup --clear-groups \
	    "$COLLECTOR" --listen 127.0.0.1:$P2 --db "$T/nb/n.db" --insecure \
	    --rules "$T/nb/rules" >"$T/nb.log" 2>&1 &
	NB=$!
	PIDS="$PIDS $NB"
	if wait_log "$T/nb.log" "listening on" 10; then
		check collector_not_dumpable [ "$(stat -c %U /proc/$NB/environ)" = root ]
	else
		fail collector_not_dumpable "did not start: $(tail -2 "$T/nb.log")"
	fi
	kill "$NB"
else
	skip collector_not_dumpable "needs root and setpriv"
fi
finish
