#!/bin/sh
# `make bench-detect` (also run by `make bench`): detection quality and
# replay cost on the simulated organisations (docs/simulator.md).
#
# Two generators: lwsim, the workbench the rules were made on, and
# lworg, a second organisation written from a specification and never
# tuned on (the check). For each seed of each: the generator makes
# 1,000 employees x 60 days with every scenario; `leakwatch-collector
# --replay` runs the full pipeline on it with the directory, the
# collector options the organisation assumes (sensitive.args: the
# sensitivity marks, and for lworg its UTC offset) and the default
# rules/; lwscore scores the alerts and runs the naive fixed-threshold
# detector on the same events. Then, per generator over its seeds: per
# scenario recall and days from start to first alert (each seed's, and
# the median and worst); false alerts per 1,000 employee-days (median,
# worst seed, overall); alerts per day and new cases per day (what an
# analyst works on: docs/analytics.md, "Cases"), also scaled to 10,000
# employees; recall
# at a fixed daily budget; the naive detector's figures; leakwatch's
# false alerts by rule; replay throughput and the collector's peak RSS.
# Last, the RSS of a shorter replay with 10,000 employees. Figures go
# to stdout; docs/benchmarks.md records them.
#
# A third generator name, lwsim-varied, is lwsim with `--structure
# varied` (docs/simulator.md, "Structural variety"): an organisation of
# another shape on every seed, with thefts that may already be running
# when the data begins.
#
# Knobs: BENCH_GEN (lwsim | lwsim-varied | lworg | both | all; both is
# lwsim and lworg, all adds lwsim-varied), BENCH_SEEDS (lwsim's and
# lwsim-varied's, "1 2 3 4 5"), BENCH_ORG_SEEDS (lworg's, 1 to 20), BENCH_EMPLOYEES
# (1000), BENCH_DAYS (60), BENCH_BUDGET (5 alerts/day),
# BENCH_BIG_EMPLOYEES (10000), BENCH_BIG_DAYS (7). Replays run one at a
# time.
BUILD=$(cd "$1" && pwd) || exit 1
TOP=$(cd "$(dirname "$0")/../.." && pwd)
export LW_BUILD="$BUILD" LW_TOP="$TOP"
. "$TOP/tests/integration/lib.sh"
set -f		# the --sensitive patterns hold '*'
# A directory of our own name: the run takes minutes and holds gigabytes,
# and must not be mistaken for a leftover integration-test directory.
rmdir "$T"
T=$(mktemp -d /tmp/lwbench-detect.XXXXXX) || exit 1

SCORE="$BUILD/tests/lwscore"
GEN=${BENCH_GEN:-both}
SEEDS=${BENCH_SEEDS:-"1 2 3 4 5"}
ORG_SEEDS=${BENCH_ORG_SEEDS:-"1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20"}
EMP=${BENCH_EMPLOYEES:-1000}
DAYS=${BENCH_DAYS:-60}
BUDGET=${BENCH_BUDGET:-5}
BIG=${BENCH_BIG_EMPLOYEES:-10000}
BIGDAYS=${BENCH_BIG_DAYS:-7}
status=0

case $GEN in
lwsim) GENS=lwsim ;;
lwsim-varied) GENS=lwsim-varied ;;
lworg) GENS=lworg ;;
both) GENS="lwsim lworg" ;;
all) GENS="lwsim lwsim-varied lworg" ;;
*) echo "BENCH_GEN: expected lwsim, lwsim-varied, lworg, both or all" >&2
	exit 2 ;;
esac

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

# generate GEN SEED EMPLOYEES DAYS DIR LOG : one organisation of GEN.
generate() {
	case $1 in
	lwsim-varied) set -- lwsim "$2" "$3" "$4" "$5" "$6" \
	    --structure varied ;;
	esac
	_g=$1 _s=$2 _e=$3 _d=$4 _o=$5 _l=$6
	shift 6
	"$BUILD/tests/$_g" --seed "$_s" --employees "$_e" --days "$_d" \
	    --out "$_o" "$@" >/dev/null 2>"$_l"
}

# rate N SECONDS : N / SECONDS as an integer.
rate() {
	awk -v n="$1" -v s="$2" 'BEGIN { printf "%d", (s > 0) ? n / s : 0 }'
}

# run GEN SEED : one organisation, replayed and scored into
# $T/GEN.score (each line prefixed seed=SEED).
run() {
	g=$1
	seed=$2
	d="$T/$g$seed"
	generate "$g" "$seed" "$EMP" "$DAYS" "$d" "$d.log" ||
	    { cat "$d.log"; exit 1; }
	sed "s/^[a-z]*: /$g seed $seed: /" "$d.log"
	ev=$(sed -n 's/.*"events":\([0-9]*\).*/\1/p' "$d/meta.json")
	replay "$d" "$T/c.db" "$T/alerts-$g$seed.jsonl"
	if [ "$R_RC" -ne 0 ]; then
		echo "$g seed $seed: replay FAILED (exit $R_RC): $(tail -n 2 "$T/alerts-$g$seed.jsonl.log" | tr '\n' ' ')"
		status=1
	fi
	echo "$g seed $seed: replay $ev events in $R_S s = $(rate "$ev" "$R_S") events/s (CPU $R_CPU s = $(rate "$ev" "$R_CPU") events/s per CPU second), peak RSS $((R_KB / 1024)) MB, $(grep -c '"type":"alert"' "$T/alerts-$g$seed.jsonl") alerts"
	"$SCORE" --sim "$d" --alerts "$T/alerts-$g$seed.jsonl" \
	    --db "$T/c.db" --budget "$BUDGET" >"$T/score-$g$seed" 2>&1
	sed "s/^/seed=$seed /" "$T/score-$g$seed" >>"$T/$g.score"
	# The events file of 1,000 x 60 is over a gigabyte: keep disk use
	# to one organisation at a time.
	rm -f "$d/events.jsonl" "$T/c.db" "$T/c.db-wal" "$T/c.db-shm"
}

# The awk helpers the summaries share: a field of a key=value line, and
# the median of a[1..n] (sorted in place; mawk has no asort).
AWK_LIB='
function kv(k,   i, n) {
	for (i = 1; i <= NF; i++) {
		n = index($i, "=")
		if (substr($i, 1, n - 1) == k)
			return substr($i, n + 1)
	}
	return ""
}
function sort(a, n,   i, j, t) {
	for (i = 2; i <= n; i++)
		for (j = i; j > 1 && a[j - 1] + 0 > a[j] + 0; j--) {
			t = a[j]; a[j] = a[j - 1]; a[j - 1] = t
		}
}
function median(a, n) {
	if (n == 0)
		return "-"
	sort(a, n)
	return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}'

# summarise GEN : the figures over GEN's seeds.
summarise() {
	f="$T/$1.score"
	echo
	echo "== $1: per scenario over $(awk '$2 == "summary" && $3 == "detector=leakwatch"' "$f" | wc -l) organisations (days = from the scenario's start, or from the first day of data if it started before, to the first alert on that employee):"
	awk "$AWK_LIB"'
$2 ~ /^scenario=/ {
	s = kv("scenario"); seen[s]++
	if (!(s in order)) { order[s] = ++ns; names[ns] = s }
	# a missed scenario counts as the worst possible delay (9999)
	if (kv("lw_caught") == 1) {
		lc[s]++; ld[s] = ld[s] " " kv("lw_days")
		days[s, seen[s]] = kv("lw_days")
	} else {
		ld[s] = ld[s] " missed"
		days[s, seen[s]] = 9999
	}
	if (kv("lw_in_budget") == 1) lb[s]++
	if (kv("start_day") < 0) { pre[s]++; if (kv("lw_caught") == 1) prec[s]++ }
	if (kv("naive_caught") == 1) { nc[s]++; nd[s] = nd[s] " " kv("naive_days") }
	if (kv("naive_in_budget") == 1) nb[s]++
}
END {
	printf "  %-8s %-7s %-14s %-9s %-15s %s\n", "scenario", "recall",
	    "days: median", "worst", "at budget", "naive recall (at budget)"
	for (i = 1; i <= ns; i++) {
		s = names[i]; n = seen[s]
		for (k = 1; k <= n; k++) v[k] = days[s, k]
		m = median(v, n); w = v[n]
		note = pre[s] ? sprintf("   (running before day 0: %d of %d caught)", prec[s], pre[s]) : ""
		printf "  %-8s %3d/%-3d %-14s %-9s %3d/%-11d %d/%d (%d)%s\n", s,
		    lc[s], n, m >= 9999 ? "missed" : m, w >= 9999 ? "missed" : w,
		    lb[s], n, nc[s], n, nb[s], note
	}
	print "  days per organisation (in seed order):"
	for (i = 1; i <= ns; i++)
		printf "    %-8s%s\n", names[i], ld[names[i]]
}' "$f"
	awk -v emp="$EMP" "$AWK_LIB"'
$2 == "summary" {
	d = kv("detector")
	if (!(d in n)) order[++nd] = d
	k = ++n[d]
	fp[d, k] = kv("false_per_1000"); apd[d, k] = kv("alerts_per_day")
	fa[d] += kv("false_alerts"); ed[d] += kv("employee_days")
	rec[d] += kv("recall"); rb[d] += kv("recall_at_budget")
	b = kv("budget")
}
END {
	for (i = 1; i <= nd; i++) {
		d = order[i]; m = n[d]
		for (k = 1; k <= m; k++) { x[k] = fp[d, k]; y[k] = apd[d, k] }
		mf = median(x, m); wf = x[m]
		ma = median(y, m); wa = y[m]
		printf "  %-9s false alerts per 1,000 employee-days: median %.3f, worst %.3f (overall %d in %d employee-days = %.3f)\n",
		    d, mf, wf, fa[d], ed[d], ed[d] ? fa[d] * 1000 / ed[d] : 0
		printf "  %-9s alerts per day: median %.2f, worst %.2f; at 10,000 employees: median %.1f, worst %.1f\n",
		    d, ma, wa, ma * 10000 / emp, wa * 10000 / emp
		printf "  %-9s recall %.2f, recall at %d alerts/day %.2f (mean over organisations)\n",
		    d, rec[d] / m, b, rb[d] / m
	}
}' "$f"
	awk "$AWK_LIB"'
$2 == "cases" {
	k = ++n; c[k] = kv("cases_per_day"); c10[k] = kv("cases_per_day_10k")
	if (kv("max_cases_day") + 0 > most) most = kv("max_cases_day") + 0
}
END {
	if (n == 0)
		exit
	mc = median(c, n); wc = c[n]; m10 = median(c10, n); w10 = c10[n]
	printf "  leakwatch new cases per analyst-day: median %.2f, worst %.2f; at 10,000 employees: median %.1f, worst %.1f; busiest day %d\n",
	    mc, wc, m10, w10, most
}' "$f"
	awk '
$2 == "false_by_rule" {
	for (i = 4; i <= NF; i++) {
		if ((n = index($i, "=")) == 0)
			continue
		r = substr($i, 1, n - 1)
		if (!(r in c)) order[++nr] = r
		c[r] += substr($i, n + 1)
	}
}
END {
	line = "  leakwatch false alerts by rule (all organisations):"
	for (i = 1; i <= nr; i++)
		line = line " " order[i] "=" c[order[i]]
	print line
}' "$f"
}

echo "bench-detect: generators: $GENS; $EMP employees x $DAYS days, all scenarios, budget $BUDGET alerts/day"
for g in $GENS; do
	: >"$T/$g.score"
	if [ "$g" = lworg ]; then s=$ORG_SEEDS; else s=$SEEDS; fi
	echo "$g: seeds $s"
	for seed in $s; do
		run "$g" "$seed"
	done
done
for g in $GENS; do
	summarise "$g"
done
for g in $GENS; do
	grep -h -m1 "naive thresholds" "$T/$g.score"
done | head -n 1 | sed 's/^seed=[0-9]* /  /'

# A larger organisation over a shorter time: the collector's memory.
set -- $GENS
echo
d="$T/big"
generate "$1" 1 "$BIG" "$BIGDAYS" "$d" "$d.log" || { cat "$d.log"; exit 1; }
sed "s/^[a-z]*: /$BIG employees: $1: /" "$d.log"
ev=$(sed -n 's/.*"events":\([0-9]*\).*/\1/p' "$d/meta.json")
replay "$d" "$T/big.db" "$T/big.alerts"
[ "$R_RC" -eq 0 ] || { echo "$BIG employees: replay FAILED (exit $R_RC)"; status=1; }
echo "$BIG employees x $BIGDAYS days: replay $ev events in $R_S s = $(rate "$ev" "$R_S") events/s (CPU $R_CPU s = $(rate "$ev" "$R_CPU") events/s per CPU second), peak RSS $((R_KB / 1024)) MB, $(grep -c '"type":"alert"' "$T/big.alerts") alerts"
exit $status
