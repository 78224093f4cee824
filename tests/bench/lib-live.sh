# The live-capture benchmarks' shared measures (sourced by pgbench.sh and
# mysqlslap.sh after tests/integration/lib.sh; POSIX sh). Only defines
# functions, so running this file by itself does nothing.
#
#   live_require NAME CMD...  stops the benchmark NAME unless it runs as
#                           root (capture on lo) and every CMD is installed
#   cpu_s PID               CPU seconds (user + system, all threads) so far
#   us_per C0 C1 N          microseconds of CPU per item between two cpu_s
#   ratio A B               A / B to two places
#   live_agent_start LOG PORTSPEC ARGS...
#                           the agent capturing db:lo for PORTSPEC
#                           (pgsql:P, mysql:P), spooling to $T/spool; sets
#                           AP once it says it is capturing
#   live_tcpdump_start PORT the capture floor: tcpdump on lo for PORT, to
#                           /dev/null; sets TD once it listens
#   live_tcpdump_stop       stops it; sets KDROP (its kernel drops)
#   live_agent_counts LOG   from the summary the agent logs at exit: sets
#                           KDROP, QDROP, QWAIT (the capture thread's
#                           waits for room in the hand-off queue: the
#                           decoders fell behind), EVENTS (db.query +
#                           db.session events out) and GAPS

live_require() {
	_name=$1
	shift
	for _c in "$@"; do
		command -v "$_c" >/dev/null 2>&1 ||
		    { echo "bench $_name: $_c missing"; exit 1; }
	done
	[ "$(id -u)" = 0 ] ||
	    { echo "bench $_name: needs root (capture on lo)"; exit 1; }
}

cpu_s() {
	awk -v hz="$(getconf CLK_TCK)" '{ printf "%.2f", ($14 + $15) / hz }' \
	    "/proc/$1/stat"
}

us_per() {
	awk -v a="$1" -v b="$2" -v n="$3" 'BEGIN { printf "%.2f", (b - a) * 1e6 / n }'
}

ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'
}

live_tcpdump_start() {
	tcpdump -i lo -s 0 -B 65536 -w /dev/null "tcp port $1" \
	    2>"$T/tcpdump.log" &
	TD=$!
	PIDS="$PIDS $TD"
	while ! grep -q "listening on" "$T/tcpdump.log" 2>/dev/null; do
		sleep 0.1
	done
}

live_tcpdump_stop() {
	kill -INT $TD
	wait $TD || true
	KDROP=$(sed -n 's/^\([0-9]*\) packets* dropped by kernel.*/\1/p' \
	    "$T/tcpdump.log")
}

live_agent_start() {
	_log=$1 _port=$2
	shift 2
	rm -rf "$T/spool"
	: >"$_log"
	"$AGENT" $AG_USER --name bench --spool "$T/spool" --spool-max 4G \
	    --source db:lo --port "$_port" --heartbeat 1s "$@" >>"$_log" 2>&1 &
	AP=$!
	PIDS="$PIDS $AP"
	while ! grep -q "lo: capturing" "$_log" 2>/dev/null; do
		kill -0 $AP 2>/dev/null ||
		    { echo "bench: agent died:"; cat "$_log"; exit 1; }
		sleep 0.1
	done
	sleep 0.5
}

live_agent_counts() {
	KDROP=$(sed -n 's/.* \([0-9]*\) kernel drops, .*/\1/p' "$1" | tail -1)
	KDROP=${KDROP:-?}
	QDROP=$(sed -n 's/.* \([0-9]*\) queue drops.*/\1/p' "$1" | tail -1)
	QDROP=${QDROP:-?}
	QWAIT=$(sed -n 's/.* \([0-9]*\) waits for queue room.*/\1/p' "$1" | tail -1)
	QWAIT=${QWAIT:-?}
	# db.query events (statements on their own and aggregates) plus
	# db.session events.
	EVENTS=$(sed -n 's/.* [0-9]* queries (\([0-9]*\) db.query events, [0-9]* folded), \([0-9]*\) session events.*/\1 \2/p' \
	    "$1" | tail -1 | awk '{ print $1 + $2 }')
	EVENTS=${EVENTS:-?}
	GAPS=$(sed -n 's/.*reassembly: \([0-9]*\) gaps (\([0-9]*\) bytes).*/\1 gaps, \2 bytes/p' \
	    "$1" | tail -1)
}
