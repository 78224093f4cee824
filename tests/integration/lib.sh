# Shared helpers for the integration tests (sourced, POSIX sh). Every test
# works in its own temporary directory, starts what it needs on free
# loopback ports and stops it on every exit path through the trap below.
# Results are "PASS: name" / "FAIL: name: why" / "SKIP: name: why" lines.

: "${LW_BUILD:?run through tests/run.sh}"
: "${LW_TOP:?run through tests/run.sh}"
AGENT="$LW_BUILD/leakwatch-agent"
# A live agent started as root must be told whom to parse packets as;
# the tests run it as root knowingly (privdrop.sh tests the real set-up).
AG_USER=
[ "$(id -u)" = 0 ] && AG_USER="--user root"
COLLECTOR="$LW_BUILD/leakwatch-collector"
T=$(mktemp -d /tmp/lwit.XXXXXX)
PIDS=""
TESTFILE=$(basename "$0" .sh)

cleanup() {
	# `|| true`: under `set -e` (the bench scripts) the first PID that
	# already exited would end the trap, leaving the rest running.
	for p in $PIDS; do
		kill -9 "$p" 2>/dev/null || true
	done
	for p in $PIDS; do
		wait "$p" 2>/dev/null || true
	done
	# file systems a test mounted under $T, once nothing uses them
	for m in ${MOUNTS:-}; do
		umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
	done
	if [ -n "${LW_KEEP:-}" ]; then
		echo "kept $T"
	else
		rm -rf "$T"
	fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

pass() { echo "PASS: $TESTFILE/$1"; }
fail() { echo "FAIL: $TESTFILE/$1: $2"; FAILED=1; }
skip() { echo "SKIP: $TESTFILE/$1: $2"; }

# check NAME CONDITION-COMMAND... : PASS when the command succeeds.
check() {
	name=$1; shift
	if "$@"; then pass "$name"; else fail "$name" "$*"; fi
}

# contains TEXT PATTERN : the text holds a line matching the pattern.
contains() {
	printf '%s\n' "$1" | grep -q -- "$2"
}

# A random TCP port that no socket uses, below the kernel's ephemeral
# range: a port inside it can be taken, between this check and the
# server's bind, as the local end of any outgoing connection (a
# collector once failed to start with "Address already in use").
free_port() {
	lo=$(awk '{ print $1 }' /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null)
	[ "${lo:-0}" -gt 12000 ] 2>/dev/null || lo=32768
	while :; do
		p=$(( 10000 + $(od -An -N2 -tu2 /dev/urandom) % (lo - 10000) ))
		ss -Htan "sport = :$p" | grep -q . || { echo "$p"; return; }
	done
}

# A CA, a collector certificate for 127.0.0.1 and an agent certificate
# per name given, all in $T/pki. Mirrors docs/deployment.md.
make_pki() {
	d="$T/pki"
	mkdir -p "$d"
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
	    -nodes -keyout "$d/ca.key" -out "$d/ca.crt" -days 2 \
	    -subj "/CN=leakwatch test CA" 2>/dev/null || return 1
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -keyout "$d/collector.key" -out "$d/collector.csr" \
	    -subj "/CN=collector" 2>/dev/null || return 1
	printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n' >"$d/srv.ext"
	openssl x509 -req -in "$d/collector.csr" -CA "$d/ca.crt" \
	    -CAkey "$d/ca.key" -CAcreateserial -out "$d/collector.crt" \
	    -days 2 -extfile "$d/srv.ext" 2>/dev/null || return 1
	printf 'extendedKeyUsage=clientAuth\n' >"$d/cli.ext"
	for n in "$@"; do
		make_agent_cert "$d" "$n" "$d/ca" || return 1
	done
}

# make_agent_cert DIR NAME CAPREFIX
make_agent_cert() {
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -keyout "$1/$2.key" -out "$1/$2.csr" -subj "/CN=$2" \
	    2>/dev/null || return 1
	openssl x509 -req -in "$1/$2.csr" -CA "$3.crt" -CAkey "$3.key" \
	    -CAcreateserial -out "$1/$2.crt" -days 2 -extfile "$1/cli.ext" \
	    2>/dev/null
}

# gen_events N [PREFIX] : N valid db.query events, one per line, each
# with a distinct statement so duplicates would be visible.
gen_events() {
	awk -v n="$1" -v p="${2:-u}" 'BEGIN {
		for (i = 1; i <= n; i++)
			printf("{\"type\":\"db.query\",\"ts\":\"2026-11-02T10:%02d:%02d.%06dZ\",\"db_system\":\"postgresql\",\"db_user\":\"%s%d\",\"command\":\"SELECT\",\"statement\":\"SELECT * FROM crm.customer WHERE id = ? /* %d */\",\"rows\":%d,\"status\":\"ok\",\"source\":\"wire\"}\n", (i / 60) % 60, i % 60, i % 1000000, p, i % 50, i, i % 1000)
	}'
}

# start_collector NAME ARGS... : background collector, pid in $CPID,
# log in $T/NAME.log; waits until it listens.
start_collector() {
	cname=$1; shift
	"$COLLECTOR" "$@" >>"$T/$cname.log" 2>&1 &
	CPID=$!
	PIDS="$PIDS $CPID"
	i=0
	while [ $i -lt 100 ]; do
		grep -q "listening on" "$T/$cname.log" 2>/dev/null && return 0
		kill -0 "$CPID" 2>/dev/null || break
		sleep 0.1
		i=$((i + 1))
	done
	# $T goes at exit: say here why it did not start (or that it is slow)
	echo "collector $cname: not listening after $i tries; its log:" >&2
	tail -n 5 "$T/$cname.log" >&2
	return 1
}

# start_agent NAME ARGS... : background agent, pid in $APID.
start_agent() {
	aname=$1; shift
	# shellcheck disable=SC2086
	"$AGENT" $AG_USER "$@" >>"$T/$aname.log" 2>&1 &
	APID=$!
	PIDS="$PIDS $APID"
}

sql() {
	sqlite3 -batch -noheader "$1" "$2" 2>/dev/null
}

# wait_rows DB N SECONDS : until events holds N rows (or time is up).
wait_rows() {
	i=0
	lim=$(( $3 * 10 ))
	while [ $i -lt "$lim" ]; do
		c=$(sql "$1" "SELECT count(*) FROM events")
		[ "${c:-0}" -ge "$2" ] && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

# wait_log FILE PATTERN SECONDS
wait_log() {
	i=0
	lim=$(( $3 * 10 ))
	while [ $i -lt "$lim" ]; do
		grep -q -- "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

finish() {
	[ -z "${FAILED:-}" ]
}
