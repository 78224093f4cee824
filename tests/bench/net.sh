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

# Wall time of a command, in seconds (best of two: the machine is shared).
wall() {
	best=""
	for k in 1 2; do
		t0=$(date +%s.%N)
		"$@" >/dev/null 2>&1
		t1=$(date +%s.%N)
		t=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
		if [ -z "$best" ] || awk -v a="$t" -v b="$best" 'BEGIN { exit !(a < b) }'
		then
			best=$t
		fi
	done
	echo "$best"
}

LW=$(wall "$AGENT" --read "$T/mixed.pcap" --source net --internal 10.0.0.0/8)
ND=$(wall ndpiReader -i "$T/mixed.pcap" -q)
for x in "leakwatch:$LW" "ndpiReader:$ND"; do
	name=${x%%:*}; t=${x#*:}
	awk -v n="$name" -v f="$frames" -v b="$bytes" -v t="$t" 'BEGIN {
		printf "bench net: %-10s %.3f s, %.0f packets/s, %.2f Gbit/s\n",
		    n, t, f / t, b * 8 / t / 1e9 }'
done
echo "bench net: ratio leakwatch/ndpiReader speed $(awk -v a="$LW" -v b="$ND" 'BEGIN { printf "%.2f", b / a }')"

# Memory: 100,000 flows open at once (2 packets each, no eviction) against
# a run of 1,000 flows; the difference is the cost of 99,000 flows.
"$BUILD/tests/lwflowgen" "$T/open.pcap" 100000 2
"$BUILD/tests/lwflowgen" "$T/few.pcap" 1000 2
r1=$(/usr/bin/time -f %M "$AGENT" --read "$T/few.pcap" --source net \
    --internal 10.0.0.0/8 2>&1 >/dev/null | tail -1)
r2=$(/usr/bin/time -f %M "$AGENT" --read "$T/open.pcap" --source net \
    --internal 10.0.0.0/8 2>&1 >/dev/null | tail -1)
echo "bench net: peak RSS $r2 KB with 100,000 open flows, $r1 KB with 1,000: $(( (r2 - r1) * 100000 / 99000 )) KB per 100,000 flows"
