#!/bin/sh
# make.sh TREE OUT.db [forward] [triage]: one schema fixture, made by the
# collector built in TREE - a checkout of an older commit, built there
# with `make build/leakwatch-collector` - from the events of events.jsonl
# (next to this script), replayed with TREE's own default rules when TREE
# has analytics. "forward" adds a --forward destination that refuses
# connections, so what the forwarder queued stays in its outbox; "triage"
# then runs TREE's collector live on the database with a control socket
# and sends three triage actions on its first alert. README says which
# commit made which file. KEEP=1 keeps the work directory.
set -e
TREE=$(cd "$1" && pwd); OUT=$2; shift 2
HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/../../.." && pwd)
C="$TREE/build/leakwatch-collector"
W=$(mktemp -d /tmp/lwfixture.XXXXXX)
CPID=
trap '[ -z "$CPID" ] || kill "$CPID"; [ -n "$KEEP" ] || rm -rf "$W"' EXIT INT TERM
SENS="--sensitive crm.customer*=customer_pii --sensitive pay.*=payment"
SENS="$SENS --sensitive hr.*=employee_pii"
ANA=""
[ -d "$TREE/rules" ] &&
    ANA="--directory $TOP/tests/rules/directory.csv $SENS --rules $TREE/rules"
FWD=""
TRIAGE=""
for a in "$@"; do
	case $a in
	forward) FWD="--forward tcp://127.0.0.1:9" ;;
	triage) TRIAGE=1 ;;
	*) echo "make.sh: unknown option $a" >&2; exit 2 ;;
	esac
done

# shellcheck disable=SC2086
"$C" --replay "$HERE/events.jsonl" --db "$W/f.db" $ANA $FWD \
    >"$W/alerts.jsonl" 2>"$W/replay.err" || { cat "$W/replay.err"; exit 1; }

if [ -n "$TRIAGE" ]; then
	# shellcheck disable=SC2086
	"$C" --listen 127.0.0.1:0 --insecure --db "$W/f.db" \
	    --control-socket "$W/ctl.sock" $ANA >"$W/live.log" 2>&1 &
	CPID=$!
	i=0
	while [ ! -S "$W/ctl.sock" ] && [ $i -lt 100 ]; do
		sleep 0.1; i=$((i + 1))
	done
	id=$(sqlite3 "$W/f.db" "SELECT id FROM alerts ORDER BY id LIMIT 1")
	{
		printf '{"op":"triage","id":"%s","action":"ack","note":"looking"}\n' "$id"
		printf '{"op":"triage","id":"%s","action":"assign","assignee":"ana"}\n' "$id"
		printf '{"op":"triage","id":"%s","action":"close_tp","note":"confirmed"}\n' "$id"
	} | socat -t 2 - "UNIX-CONNECT:$W/ctl.sock" >"$W/triage.out"
	kill -TERM "$CPID"
	wait "$CPID" || true
	CPID=
fi

# The WAL folded into the file, then small pages keep the file small:
# the tables, their rows and the schema's text stay as TREE wrote them.
sqlite3 "$W/f.db" "PRAGMA wal_checkpoint(TRUNCATE); PRAGMA journal_mode = DELETE; PRAGMA page_size = 1024; VACUUM; PRAGMA journal_mode = WAL" >/dev/null
cp "$W/f.db" "$OUT"
echo "$OUT: $(wc -l <"$W/alerts.jsonl") alerts printed, $(grep -c '"ok":true' "$W/triage.out" 2>/dev/null || echo 0) triage actions"
