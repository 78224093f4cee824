#!/bin/sh
# The agent's privileges, set up as docs/deployment.md says:
# - started as root with `user` (etc/agent.conf's hardened set-up), it
#   creates the spool for that user, drops to it, and delivers every
#   event (3,000 of 3,000; the earlier tree delivered none: the dropped
#   agent could not open the spool it had created as root);
# - started as root without `user`, a live agent refuses to start and
#   says what to set; an offline --read drops to nobody on its own;
# - installed with `make install` and started as the shipped unit would
#   (an unprivileged user, CAP_NET_RAW and CAP_NET_ADMIN as ambient
#   capabilities, no_new_privs), it opens its capture on lo, ships, and
#   holds no capability at all once the capture is open.
. "$(dirname "$0")/lib.sh"

if [ "$(id -u)" != 0 ]; then
	skip setup "needs root (users, capabilities)"; exit 0
fi
if ! command -v setpriv >/dev/null; then
	skip setup "setpriv not installed (util-linux)"; exit 0
fi
chmod 755 "$T"
N=3000

# status_field PID NAME : a line of /proc/PID/status, value only.
status_field() { awk -v k="$2:" '$1 == k { $1 = ""; sub(/^ /, ""); print }' "/proc/$1/status"; }

PORT=$(free_port)
start_collector c --listen 127.0.0.1:$PORT --db "$T/c.db" --insecure ||
    { fail setup "collector did not start"; exit 1; }

# 1. root + user: the spool belongs to the user; everything arrives.
gen_events $N a >"$T/a.jsonl"
"$AGENT" --name a1 --user nobody --collector 127.0.0.1:$PORT --insecure \
    --spool "$T/spool-a" --source "jsonl:$T/a.jsonl" --backoff-min 50ms \
    >"$T/a1.log" 2>&1 &
A1=$!
PIDS="$PIDS $A1"
if wait_rows "$T/c.db" $N 30; then
	pass root_with_user_delivers_all
else
	fail root_with_user_delivers_all "$(sql "$T/c.db" "SELECT count(*) FROM events") of $N; $(tail -2 "$T/a1.log")"
fi
check spool_owned_by_user [ "$(stat -c %U "$T/spool-a")" = nobody ]
check spool_files_owned_by_user [ "$(find "$T/spool-a" ! -user nobody | wc -l)" = 0 ]
check dropped_uid [ "$(status_field $A1 Uid | awk '{ print $1 $2 $3 }')" = 655346553465534 ]
check dropped_caps [ "$(status_field $A1 CapEff)$(status_field $A1 CapPrm)" = 00000000000000000000000000000000 ]
check drop_logged grep -q "dropped privileges to nobody (uid 65534)" "$T/a1.log"
kill $A1

# 2. root without user: a live agent refuses; an offline read drops.
out=$(timeout 10 "$AGENT" --name a2 --collector 127.0.0.1:$PORT --insecure \
    --spool "$T/spool-b" --source "jsonl:$T/a.jsonl" 2>&1)
rc=$?
check root_without_user_refused [ $rc = 1 ]
check root_without_user_says_why contains "$out" "running as root with no \`user\`"
check root_without_user_nothing_created [ ! -e "$T/spool-b" ]
out=$("$AGENT" $AG_USER --name a3 --collector 127.0.0.1:$PORT --insecure \
    --spool "$T/spool-c" --source "jsonl:$T/empty.jsonl" -t 2>&1)
check user_root_accepted contains "$out" "configuration OK"

# 3. The installed agent, run as its unit runs it.
R="$T/root"
make -s -C "$LW_TOP" -o all BUILD="$LW_BUILD" PREFIX=/usr DESTDIR="$R" \
    install >"$T/make.log" 2>&1 ||
    { fail setup "make install: $(tail -3 "$T/make.log")"; exit 1; }
U="$R/usr/lib/systemd/system/leakwatch-agent.service"
caps=$(sed -n 's/^AmbientCapabilities=//p' "$U" | tr ' ' '\n' |
    sed 's/^CAP_//' | tr 'A-Z' 'a-z' | sed 's/^/+/' | paste -sd, -)
check unit_grants_capture_caps [ "$caps" = "+net_raw,+net_admin" ]
# StateDirectory=: systemd makes /var/lib/leakwatch-agent, 0700, the
# unit's user's; here a directory of ours stands in for it.
mkdir -m 700 "$T/state" && chown nobody:nogroup "$T/state"
gen_events 500 u >"$T/u.jsonl"
chmod 644 "$T/u.jsonl"
cat >"$T/agent.conf" <<EOF
name unit1
collector 127.0.0.1:$PORT
insecure yes
spool $T/state/spool
source net:lo
source jsonl:$T/u.jsonl
internal 127.0.0.0/8
backoff-min 50ms
EOF
chmod 644 "$T/agent.conf"
setpriv --reuid=nobody --regid=nogroup --clear-groups \
    --inh-caps="$caps" --ambient-caps="$caps" --no-new-privs \
    "$R/usr/sbin/leakwatch-agent" -c "$T/agent.conf" >"$T/unit.log" 2>&1 &
UA=$!
PIDS="$PIDS $UA"
if wait_log "$T/unit.log" "lo: capturing, link type" 15; then
	pass unit_capture_opened
else
	fail unit_capture_opened "$(tail -3 "$T/unit.log")"
fi
if wait_rows "$T/c.db" $((N + 500)) 30; then
	pass unit_agent_delivers
else
	fail unit_agent_delivers "$(sql "$T/c.db" "SELECT count(*) FROM events WHERE agent='unit1'") of 500; $(tail -2 "$T/unit.log")"
fi
st="$(status_field $UA CapEff) $(status_field $UA CapPrm) $(status_field $UA CapAmb) $(status_field $UA CapInh)"
echo "unit agent after start: Uid $(status_field $UA Uid), caps eff/prm/amb/inh $st"
check unit_no_caps_once_open [ "$st" = "0000000000000000 0000000000000000 0000000000000000 0000000000000000" ]
check unit_no_new_privs [ "$(status_field $UA NoNewPrivs)" = 1 ]
kill $UA
finish
