#!/bin/sh
# lwsim's --structure varied (docs/simulator.md, "Structural variety"):
# every draw comes from the seed, so one seed gives the same bytes twice
# and two seeds give organisations of different shapes (the department
# lists below are what seeds 1 and 3 draw: a change to the draws must
# update them here, on purpose); every event passes --validate; a slow
# theft already running when the data begins is labelled with its true,
# negative start day and its date, and lwscore counts the days to its
# first alert from day 0; the theft's size lies within 1.5x-6x the
# thief's own normal and 0.5x-5x the peers'. And the default,
# --structure fixed, is the organisation lwsim always made.
. "$(dirname "$0")/lib.sh"

SIM="$LW_BUILD/tests/lwsim"
SCORE="$LW_BUILD/tests/lwscore"

# gen NAME SEED [ARGS...] : 200 employees x 30 days of the varied shape.
gen() {
	_n=$1 _s=$2
	shift 2
	"$SIM" --seed "$_s" --employees 200 --days 30 --structure varied \
	    --validate --out "$T/$_n" "$@" >/dev/null 2>"$T/$_n.log"
}

# depts DIR : the department list of an organisation, on one line.
depts() {
	tail -n +2 "$1/directory.csv" | cut -d, -f3 | sort -u | tr '\n' ' '
}

gen v1 1
rc1=$?
gen v1b 1
gen v3 3
rc3=$?
check varied_runs_and_validates [ "$rc1 $rc3" = "0 0" ]
check varied_events_written [ -s "$T/v1/events.jsonl" ]
check varied_no_invalid_event sh -c "! grep -q 'failed validation' '$T/v1.log' '$T/v3.log'"
same=1
for f in events.jsonl labels.jsonl directory.csv lookalikes.jsonl meta.json; do
	cmp -s "$T/v1/$f" "$T/v1b/$f" || same=0
done
check varied_same_seed_same_bytes [ $same = 1 ]
check varied_seed1_departments [ "$(depts "$T/v1")" = "Analytics DBA Engineering Finance HR IT Sales Support " ]
check varied_seed3_departments [ "$(depts "$T/v3")" = "Engineering HR IT Sales Support " ]

# Seed 3's slow theft began nine days before the data: the label says so.
check varied_theft_before_day0_labelled grep -q '"scenario":"a","type":"slow_theft","start_day":-9,"end_day":29,"start":"2025-12-27",' "$T/v3/labels.jsonl"
check varied_theft_before_day0_rows grep -q '"scenario":"a",.*"extra_rows_total":[1-9]' "$T/v3/labels.jsonl"
check varied_theft_sizes_in_range awk '/"scenario":"a/ {
    o = $0; sub(/.*"own_ratio":/, "", o); o += 0
    p = $0; sub(/.*"peer_ratio":/, "", p); p += 0
    n++; if (o < 1.5 || o > 6 || p < 0.5 || p > 5) bad++ }
    END { exit !(n == 4 && bad == 0) }' "$T/v1/labels.jsonl" "$T/v3/labels.jsonl"

# lwscore: an alert on the thief on day 2 of the data is 2 days to the
# first alert, not 11 (the days count from day 0 when the start is
# before it).
a_emp=$(sed -n 's/.*"employee":"\([^"]*\)","scenario":"a".*/\1/p' "$T/v3/labels.jsonl")
printf '{"type":"alert","ts":"2026-01-07T15:00:00.000000Z","id":"1","employee":"%s","rule":"r","severity":"high","score":80,"summary":"s"}\n' \
    "$a_emp" >"$T/hand.jsonl"
"$SCORE" --sim "$T/v3" --alerts "$T/hand.jsonl" --no-naive >"$T/hand.out"
check lwscore_days_from_day0 grep -q "^scenario=a employee=$a_emp start_day=-9 .* lw_caught=1 lw_days=2 " "$T/hand.out"

# The default is today's organisation, byte for byte.
"$SIM" --seed 1 --employees 200 --days 30 --out "$T/f1" >/dev/null 2>&1
"$SIM" --seed 1 --employees 200 --days 30 --structure fixed --out "$T/f2" \
    >/dev/null 2>&1
check fixed_is_default cmp -s "$T/f1/events.jsonl" "$T/f2/events.jsonl"
check varied_differs_from_fixed sh -c "! cmp -s '$T/f1/directory.csv' '$T/v1/directory.csv'"
"$SIM" --seed 1 --structure odd --out "$T/bad" >/dev/null 2>"$T/bad.log"
check bad_structure_refused [ $? -ne 0 ]
check bad_structure_says_why grep -q -- "--structure: expected fixed or varied" "$T/bad.log"
finish
