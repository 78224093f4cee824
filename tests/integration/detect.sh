#!/bin/sh
# The detection gate of issue 9, and the simulator's own checks.
#
# Simulator (tests/tools/lwsim.c, docs/simulator.md): one seed gives the
# same bytes twice, another seed other bytes; a tiny fixed configuration
# gives exactly the number of events it always gave (a change to the
# generator must update GOLDEN_TINY here, on purpose); every line it
# writes is a valid event - the collector's --replay stores each one.
#
# Gate: 100 employees x 45 days on two seeds with a slow theft (a) from
# day 14 and a smash-and-grab (b) from day 17, replayed through
# `leakwatch-collector --replay` with the directory, the sensitivity
# marks lwsim assumes and the default rules/ of the repository. By day
# GATE_BY_DAY the (a) and (b) employees must be the GATE_TOP highest
# ranked by summed alert score, both caught, with at most GATE_MAX_FALSE
# false alerts over the 45 days (under 1 per 1,000 employee-days), and
# the naive fixed-threshold detector (lwscore's own) must do worse on (a).
# And a theft already running when the data begins: the same 100 x 45
# with a slow theft (a) from day 0 of 1,000-1,400 extra rows a day (about
# five times what the agents read), which the thief's own baseline learns
# as normal: peer standing alone must put them first by day
# GATE0_BY_DAY, with the same false-alert bound.
. "$(dirname "$0")/lib.sh"

SIM="$LW_BUILD/tests/lwsim"
SCORE="$LW_BUILD/tests/lwscore"
GOLDEN_TINY=2258
GATE_BY_DAY=20
GATE_TOP=2
GATE_MAX_FALSE=4
GATE0_BY_DAY=5
set -f		# the --sensitive patterns hold '*'

# --- the simulator -----------------------------------------------------
"$SIM" --seed 7 --employees 30 --days 10 --out "$T/s1" >"$T/s1.args" \
    2>"$T/s1.log"
rc1=$?
"$SIM" --seed 7 --employees 30 --days 10 --out "$T/s2" >/dev/null 2>&1
"$SIM" --seed 8 --employees 30 --days 10 --out "$T/s3" >/dev/null 2>&1
check sim_runs [ $rc1 -eq 0 ] && [ -s "$T/s1/events.jsonl" ]
same=1
for f in events.jsonl labels.jsonl directory.csv lookalikes.jsonl meta.json; do
	cmp -s "$T/s1/$f" "$T/s2/$f" || same=0
done
check same_seed_same_bytes [ $same = 1 ]
check other_seed_other_events sh -c "! cmp -s '$T/s1/events.jsonl' '$T/s3/events.jsonl'"
check other_seed_other_labels sh -c "! cmp -s '$T/s1/labels.jsonl' '$T/s3/labels.jsonl'"
n=$(wc -l <"$T/s1/labels.jsonl")
check six_scenarios_labelled [ "$n" = 6 ]
check sensitive_args_printed grep -qx -- '--sensitive crm.customer\*=customer_pii' "$T/s1.args"

"$SIM" --seed 1 --employees 10 --days 3 --scenarios none --out "$T/tiny" \
    >/dev/null 2>&1
n=$(wc -l <"$T/tiny/events.jsonl")
check tiny_config_event_count [ "$n" = "$GOLDEN_TINY" ]
check tiny_config_no_labels [ ! -s "$T/tiny/labels.jsonl" ]

# Time order, and the counts in meta.json agree with the file.
check events_in_time_order sh -c "LC_ALL=C; export LC_ALL; sed 's/^{\"type\":\"[a-z.]*\",\"ts\":\"\\([^\"]*\\)\".*/\\1/' '$T/s1/events.jsonl' | sort -c"
lines=$(wc -l <"$T/s1/events.jsonl")
check meta_counts_events grep -q "\"events\":$lines," "$T/s1/meta.json"

# Every line is a valid event: the collector stores every one of them.
"$COLLECTOR" --replay "$T/s1/events.jsonl" --db "$T/v.db" >/dev/null \
    2>"$T/v.log"
stored=$(sql "$T/v.db" "SELECT count(*) FROM events")
check every_event_valid_for_collector [ "$stored" = "$lines" ]
check none_rejected grep -q "$lines events stored, 0 rejected" "$T/v.log"
"$SIM" --seed 9 --employees 30 --days 10 --out "$T/s4" --validate \
    >/dev/null 2>"$T/s4.log"
check lwsim_validate_clean [ $? -eq 0 ]

# lwscore's arithmetic on a hand-made alert file: one true alert on the
# (a) employee two days after its start, one false alert elsewhere.
a_emp=$(sed -n 's/.*"employee":"\([^"]*\)","scenario":"a".*/\1/p' "$T/s1/labels.jsonl")
a_start=$(sed -n 's/.*"scenario":"a",.*"start":"\([^"]*\)".*/\1/p' "$T/s1/labels.jsonl")
a_day=$(sed -n 's/.*"scenario":"a",.*"start_day":\([0-9]*\).*/\1/p' "$T/s1/labels.jsonl")
other=$(awk -F, -v a="$a_emp" 'NR > 1 && $1 != a && $4 != "service" { print $1; exit }' "$T/s1/directory.csv")
d2=$(date -u -d "$a_start + 2 days" +%Y-%m-%d)
printf '{"type":"alert","ts":"%sT15:00:00.000000Z","id":"1","employee":"%s","rule":"r","severity":"high","score":80,"summary":"s"}\n{"type":"alert","ts":"2026-01-05T10:00:00.000000Z","id":"2","employee":"%s","rule":"r","severity":"low","score":10,"summary":"s"}\n' \
    "$d2" "$a_emp" "$other" >"$T/hand.jsonl"
"$SCORE" --sim "$T/s1" --alerts "$T/hand.jsonl" --no-naive >"$T/hand.out"
check lwscore_days_to_alert grep -q "^scenario=a employee=$a_emp start_day=$a_day .* lw_caught=1 lw_days=2 lw_rank=1 lw_in_budget=1" "$T/hand.out"
check lwscore_false_alerts grep -q "^summary detector=leakwatch .* alerts=2 false_alerts=1 " "$T/hand.out"
"$SCORE" --sim "$T/s1" --alerts "$T/hand.jsonl" --no-naive --max-false 0 \
    >/dev/null
check lwscore_gate_exit_status [ $? -eq 1 ]
# ... and its cases per analyst-day from a database: three cases, two
# opened on one day, over the simulated days and employees
sql "$T/v.db" "DELETE FROM cases; INSERT INTO cases (id, kind, subject, members, department, severity, score, first_ts, last_ts, alerts, story) VALUES ('c1', 'person', 'x', 'x', '', 'high', 50, 1767600000000000, 1767600000000000, 1, 's'), ('c2', 'person', 'y', 'y', '', 'high', 50, 1767610000000000, 1767610000000000, 1, 's'), ('c3', 'group', 'group:g', 'a,b,c', 'g', 'low', 30, 1767800000000000, 1767800000000000, 3, 's')"
"$SCORE" --sim "$T/s1" --alerts "$T/hand.jsonl" --no-naive --db "$T/v.db" \
    >"$T/cases.out"
check lwscore_cases grep -q "^cases detector=leakwatch cases=3 days=[0-9]* employees=[0-9]* cases_per_day=[0-9.]* cases_per_day_10k=[0-9.]* max_cases_day=2$" "$T/cases.out"
check lwscore_cases_rate awk '/^cases / { split($4, d, "="); split($5, e, "="); split($6, c, "="); split($7, k, "=");
    exit !(c[2] == sprintf("%.3f", 3 / d[2]) && k[2] == sprintf("%.2f", 3 / d[2] * 10000 / e[2])) }' "$T/cases.out"

# --- the detection gate --------------------------------------------------
for seed in 1 2; do
	g="$T/g$seed"
	"$SIM" --seed $seed --employees 100 --days 45 --scenarios a,b \
	    --set a.start=14 --set b.start=17 --out "$g" >"$g.args" \
	    2>"$g.log" || { fail "gate_seed$seed" "lwsim failed"; continue; }
	# shellcheck disable=SC2046
	"$COLLECTOR" --replay "$g/events.jsonl" --db "$g.db" \
	    --directory "$g/directory.csv" $(cat "$g.args") \
	    --rules "$LW_TOP/rules" >"$g.alerts" 2>"$g.clog"
	rc=$?
	if [ $rc -ne 0 ]; then
		fail "gate_seed${seed}_replay" "leakwatch-collector --replay with analytics exited $rc: $(tail -n 2 "$g.clog" | tr '\n' ' ')"
		continue
	fi
	pass "gate_seed${seed}_replay"
	"$SCORE" --sim "$g" --alerts "$g.alerts" --by-day $GATE_BY_DAY \
	    --require-top $GATE_TOP --max-false $GATE_MAX_FALSE \
	    --require-caught --require-beats-naive a >"$g.score" 2>&1
	rc=$?
	sed 's/^/    /' "$g.score"
	if [ $rc -eq 0 ]; then
		pass "gate_seed${seed}_a_b_top${GATE_TOP}_by_day${GATE_BY_DAY}_max${GATE_MAX_FALSE}_false_beats_naive"
	else
		fail "gate_seed${seed}_a_b_top${GATE_TOP}_by_day${GATE_BY_DAY}_max${GATE_MAX_FALSE}_false_beats_naive" \
		    "lwscore exited $rc: $(grep '^gate FAIL' "$g.score" | tr '\n' ' ')$(tail -n 1 "$g.score")"
	fi
done
for seed in 1 2; do
	g="$T/z$seed"
	"$SIM" --seed $seed --employees 100 --days 45 --scenarios a \
	    --set a.start=0 --set a.rows_min=1000 --set a.rows_max=1400 \
	    --out "$g" >"$g.args" 2>"$g.log" ||
	    { fail "gate_day0_seed$seed" "lwsim failed"; continue; }
	# shellcheck disable=SC2046
	"$COLLECTOR" --replay "$g/events.jsonl" --db "$g.db" \
	    --directory "$g/directory.csv" $(cat "$g.args") \
	    --rules "$LW_TOP/rules" >"$g.alerts" 2>"$g.clog" ||
	    { fail "gate_day0_seed${seed}_replay" "replay failed"; continue; }
	"$SCORE" --sim "$g" --alerts "$g.alerts" --by-day $GATE0_BY_DAY \
	    --require-top 1 --max-false $GATE_MAX_FALSE --require-caught \
	    --require-beats-naive a >"$g.score" 2>&1
	rc=$?
	sed 's/^/    /' "$g.score"
	name="gate_day0_seed${seed}_a_from_day0_top1_by_day${GATE0_BY_DAY}_max${GATE_MAX_FALSE}_false"
	if [ $rc -eq 0 ]; then
		pass "$name"
	else
		fail "$name" "lwscore exited $rc: $(grep '^gate FAIL' "$g.score" | tr '\n' ' ')"
	fi
	check "gate_day0_seed${seed}_caught_in_3_days" grep -q '^scenario=a .* start_day=0 .* lw_caught=1 lw_days=[0-3] ' "$g.score"
	check "gate_day0_seed${seed}_peer_outlier_explains" grep -q '"rule":"peer_outlier".*"summary":"rank 1 of [0-9]* in Support (agent) for sensitive rows read; [0-9.]*x the peer median over 30 days' "$g.alerts"
done
finish
