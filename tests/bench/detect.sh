#!/bin/sh
# `make bench-detect` (also run by `make bench`): detection quality and
# replay cost on the simulated organisation (docs/simulator.md).
#
# For each seed: lwsim makes 1,000 employees x 60 days with every
# scenario (a, a_ramp, b, c, d, e); `leakwatch-collector --replay` runs
# the full pipeline on it with the directory, the sensitivity marks and
# the default rules/; lwscore scores the alerts and runs the naive
# fixed-threshold detector on the same events. Then the figures over all
# seeds: per scenario recall and days from start to first alert;
# false alerts per 1,000 employee-days, alerts per day and recall at a
# fixed daily budget, for leakwatch and the naive detector; replay
# throughput and the collector's peak RSS; and the RSS of a shorter
# replay with 10,000 employees. Figures go to stdout; docs/benchmarks.md
# records them.
#
# Knobs: BENCH_SEEDS ("1 2 3 4 5"), BENCH_EMPLOYEES (1000), BENCH_DAYS (60),
# BENCH_BUDGET (5 alerts/day), BENCH_BIG_EMPLOYEES (10000),
# BENCH_BIG_DAYS (7).
BUILD=$(cd "$1" && pwd) || exit 1
TOP=$(cd "$(dirname "$0")/../.." && pwd)
export LW_BUILD="$BUILD" LW_TOP="$TOP"
. "$TOP/tests/integration/lib.sh"
set -f		# the --sensitive patterns hold '*'
# A directory of our own name: the run takes minutes and holds gigabytes,
# and must not be mistaken for a leftover integration-test directory.
rmdir "$T"
T=$(mktemp -d /tmp/lwbench-detect.XXXXXX) || exit 1

SIM="$BUILD/tests/lwsim"
SCORE="$BUILD/tests/lwscore"
SEEDS=${BENCH_SEEDS:-"1 2 3 4 5"}
EMP=${BENCH_EMPLOYEES:-1000}
DAYS=${BENCH_DAYS:-60}
BUDGET=${BENCH_BUDGET:-5}
BIG=${BENCH_BIG_EMPLOYEES:-10000}
BIGDAYS=${BENCH_BIG_DAYS:-7}
status=0

# replay DIR DB OUT : the collector on DIR's events; sets R_S (wall
# seconds), R_CPU (user + system seconds), R_KB (peak RSS) and R_RC.
replay() {
	/usr/bin/time -f "%e %M %U %S" -o "$T/time" "$COLLECTOR" \
	    --replay "$1/events.jsonl" --db "$2" \
	    --directory "$1/directory.csv" $(cat "$1/sensitive.args") \
	    --rules "$TOP/rules" >"$3" 2>"$3.log"
	R_RC=$?
	set -- $(tail -n 1 "$T/time")
	R_S=$1
	R_KB=$2
	R_CPU=$(awk -v u="$3" -v s="$4" 'BEGIN { printf "%.2f", u + s }')
}

# rate N SECONDS : N / SECONDS as an integer.
rate() {
	awk -v n="$1" -v s="$2" 'BEGIN { printf "%d", (s > 0) ? n / s : 0 }'
}

echo "bench-detect: $EMP employees x $DAYS days, seeds: $SEEDS, all scenarios, budget $BUDGET alerts/day"
: >"$T/all.score"
for seed in $SEEDS; do
	d="$T/sim$seed"
	"$SIM" --seed "$seed" --employees "$EMP" --days "$DAYS" --out "$d" \
	    >/dev/null 2>"$d.log" || { cat "$d.log"; exit 1; }
	sed "s/^lwsim: /seed $seed: lwsim: /" "$d.log"
	ev=$(sed -n 's/.*"events":\([0-9]*\).*/\1/p' "$d/meta.json")
	replay "$d" "$T/c$seed.db" "$T/alerts$seed.jsonl"
	if [ "$R_RC" -ne 0 ]; then
		echo "seed $seed: replay FAILED (exit $R_RC): $(tail -n 2 "$T/alerts$seed.jsonl.log" | tr '\n' ' ')"
		status=1
	fi
	echo "seed $seed: replay $ev events in $R_S s = $(rate "$ev" "$R_S") events/s (CPU $R_CPU s = $(rate "$ev" "$R_CPU") events/s per CPU second), peak RSS $((R_KB / 1024)) MB, $(grep -c '"type":"alert"' "$T/alerts$seed.jsonl") alerts"
	"$SCORE" --sim "$d" --alerts "$T/alerts$seed.jsonl" --budget "$BUDGET" \
	    >"$T/score$seed" 2>&1
	sed "s/^/seed=$seed /" "$T/score$seed" >>"$T/all.score"
	# The events file of 1,000 x 60 is over a gigabyte: keep disk use
	# to one seed at a time.
	rm -f "$d/events.jsonl" "$T/c$seed.db" "$T/c$seed.db-wal" \
	    "$T/c$seed.db-shm"
done

echo
echo "per scenario (over seeds; days = from scenario start to first alert on that employee):"
awk '
function kv(k,   i, n, a) {
	for (i = 1; i <= NF; i++) {
		n = index($i, "=")
		if (substr($i, 1, n - 1) == k)
			return substr($i, n + 1)
	}
	return ""
}
$2 ~ /^scenario=/ {
	s = kv("scenario"); seen[s]++
	if (!(s in order)) { order[s] = ++ns; names[ns] = s }
	if (kv("lw_caught") == 1) { lc[s]++; ld[s] = ld[s] " " kv("lw_days") }
	if (kv("lw_in_budget") == 1) lb[s]++
	if (kv("naive_caught") == 1) { nc[s]++; nd[s] = nd[s] " " kv("naive_days") }
	if (kv("naive_in_budget") == 1) nb[s]++
}
END {
	printf "  %-8s %-26s %-26s\n", "scenario", "leakwatch recall (days)", "naive recall (days)"
	for (i = 1; i <= ns; i++) {
		s = names[i]
		printf "  %-8s %d/%d (days:%s) at-budget %d/%d   %d/%d (days:%s) at-budget %d/%d\n", s,
		    lc[s], seen[s], ld[s] == "" ? " -" : ld[s], lb[s], seen[s],
		    nc[s], seen[s], nd[s] == "" ? " -" : nd[s], nb[s], seen[s]
	}
}' "$T/all.score"
echo
echo "overall (mean over seeds):"
awk '
function kv(k,   i, n) {
	for (i = 1; i <= NF; i++) {
		n = index($i, "=")
		if (substr($i, 1, n - 1) == k)
			return substr($i, n + 1)
	}
	return ""
}
$2 == "summary" {
	d = kv("detector"); n[d]++
	fp[d] += kv("false_per_1000"); apd[d] += kv("alerts_per_day")
	rec[d] += kv("recall"); rb[d] += kv("recall_at_budget")
	fa[d] += kv("false_alerts"); ed[d] += kv("employee_days")
	b = kv("budget")
}
END {
	for (d in n)
		printf "  %-9s recall %.2f, recall at %d alerts/day %.2f, false alerts %d in %d employee-days = %.2f per 1,000, alerts/day %.2f\n",
		    d, rec[d] / n[d], b, rb[d] / n[d], fa[d], ed[d], fp[d] / n[d], apd[d] / n[d]
}' "$T/all.score" | sort
grep -m1 "naive thresholds" "$T/all.score" | sed 's/^seed=[0-9]* /  /'
# Where leakwatch's false alerts come from, summed over the seeds.
awk '
$2 == "false_by_rule" {
	for (i = 4; i <= NF; i++) {
		n = index($i, "=")
		r = substr($i, 1, n - 1)
		if (!(r in c)) order[++nr] = r
		c[r] += substr($i, n + 1)
	}
}
END {
	line = "  false alerts by rule (all seeds):"
	for (i = 1; i <= nr; i++)
		line = line " " order[i] "=" c[order[i]]
	print line
}' "$T/all.score"

# A larger organisation over a shorter time: the collector's memory.
echo
d="$T/big"
"$SIM" --seed 1 --employees "$BIG" --days "$BIGDAYS" --out "$d" \
    >/dev/null 2>"$d.log" || { cat "$d.log"; exit 1; }
sed "s/^lwsim: /$BIG employees: lwsim: /" "$d.log"
ev=$(sed -n 's/.*"events":\([0-9]*\).*/\1/p' "$d/meta.json")
replay "$d" "$T/big.db" "$T/big.alerts"
[ "$R_RC" -eq 0 ] || { echo "$BIG employees: replay FAILED (exit $R_RC)"; status=1; }
echo "$BIG employees x $BIGDAYS days: replay $ev events in $R_S s = $(rate "$ev" "$R_S") events/s (CPU $R_CPU s = $(rate "$ev" "$R_CPU") events/s per CPU second), peak RSS $((R_KB / 1024)) MB"
exit $status
