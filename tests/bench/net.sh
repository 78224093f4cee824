#!/bin/sh
# `make bench`, net source: packets/s and Gbit/s of `leakwatch-agent
# --read FILE --source net` on a large mixed capture (the nDPI corpus,
# Ethernet files, repeated, plus 500,000 synthetic flows), next to
# `ndpiReader -i` on the same file in the same run, and their ratio;
# then the peak RSS per 100,000 concurrent flows. Figures go to stdout;
# docs/benchmarks.md quotes them.
set -e
BUILD=$(cd "$1" && pwd)
TOP=$(cd "$(dirname "$0")/../.." && pwd)
export LW_BUILD="$BUILD" LW_TOP="$TOP"
. "$TOP/tests/integration/lib.sh"
CORPUS=${LW_CORPUS:-$TOP/../shared/corpus/ndpi}
REPEAT=${BENCH_NET_REPEAT:-3}

if ! command -v ndpiReader >/dev/null 2>&1; then
	echo "bench net: ndpiReader not installed, skipped"; exit 0
fi
"$BUILD/tests/lwflowgen" "$T/flows.pcap" 500000
if [ -d "$CORPUS" ]; then
	"$BUILD/tests/lwpcapcat" "$T/mixed.pcap" "$REPEAT" "$CORPUS"/*.pcap \
	    "$CORPUS"/*.pcapng "$T/flows.pcap" 2>"$T/cat.log"
else
	"$BUILD/tests/lwpcapcat" "$T/mixed.pcap" 1 "$T/flows.pcap" \
	    2>"$T/cat.log"
fi
frames=$(sed -n 's/^lwpcapcat: \([0-9]*\) frames/\1/p' "$T/cat.log")
bytes=$(stat -c %s "$T/mixed.pcap")
echo "bench net: $frames frames, $bytes bytes of pcap"

# best3 COMMAND... : the best of three runs, as "WALL CPU" seconds (CPU =
# user + system, lwtime's rusage of the child): the machine is shared, and
# the best run is the one least disturbed.
best3() {
	bw="" bc=""
	for k in 1 2 3; do
		"$BUILD/tests/lwtime" "$T/time.out" "$@" >/dev/null 2>&1 || true
		w=$(awk '{ printf "%.3f", $1 }' "$T/time.out")
		c=$(awk '{ printf "%.3f", $2 + $3 }' "$T/time.out")
		if [ -z "$bw" ] || awk -v a="$w" -v b="$bw" 'BEGIN { exit !(a < b) }'
		then
			bw=$w
		fi
		if [ -z "$bc" ] || awk -v a="$c" -v b="$bc" 'BEGIN { exit !(a < b) }'
		then
			bc=$c
		fi
	done
	echo "$bw $bc"
}

set -- $(best3 "$AGENT" --read "$T/mixed.pcap" --source net --internal 10.0.0.0/8)
LW=$1 LWC=$2
set -- $(best3 ndpiReader -i "$T/mixed.pcap" -q)
ND=$1 NDC=$2
for x in "leakwatch:$LW:$LWC" "ndpiReader:$ND:$NDC"; do
	name=${x%%:*}; t=${x#*:}; c=${t#*:}; t=${t%%:*}
	awk -v n="$name" -v f="$frames" -v b="$bytes" -v t="$t" -v c="$c" 'BEGIN {
		printf "bench net: %-10s %.3f s wall (best of 3), %.3f s CPU, %.0f packets/s, %.2f Gbit/s\n",
		    n, t, c, f / t, b * 8 / t / 1e9 }'
done
echo "bench net: ratio leakwatch/ndpiReader speed, CPU time $(awk -v a="$LWC" -v b="$NDC" 'BEGIN { printf "%.2f", b / a }')"
echo "bench net: ratio leakwatch/ndpiReader speed, wall time $(awk -v a="$LW" -v b="$ND" 'BEGIN { printf "%.2f", b / a }')"

# Memory: 100,000 flows open at once (2 packets each, no eviction) against
# a run of 1,000 flows; the difference is the cost of 99,000 flows.
"$BUILD/tests/lwflowgen" "$T/open.pcap" 100000 2
"$BUILD/tests/lwflowgen" "$T/few.pcap" 1000 2
r1=$(/usr/bin/time -f %M "$AGENT" --read "$T/few.pcap" --source net \
    --internal 10.0.0.0/8 2>&1 >/dev/null | tail -1)
r2=$(/usr/bin/time -f %M "$AGENT" --read "$T/open.pcap" --source net \
    --internal 10.0.0.0/8 2>&1 >/dev/null | tail -1)
echo "bench net: peak RSS $r2 KB with 100,000 open flows, $r1 KB with 1,000: $(( (r2 - r1) * 100000 / 99000 )) KB per 100,000 flows"
