#!/bin/sh
# The second generator (tests/tools/lworg.c, docs/simulator.md "The
# second organisation") and what lwscore learnt for it.
#
# lworg: one seed gives the same bytes twice, another seed other
# events; a fixed small configuration gives exactly the number of events
# it always gave (a change to the generator must update GOLDEN_EVENTS
# here, on purpose); every line passes the collector's validator
# (--validate) and is stored by `leakwatch-collector --replay` with the
# directory and options it writes, which load without a complaint;
# events are in time order and meta.json counts them; every scenario is
# labelled.
#
# lwscore, on a hand-made organisation in UTC+07:00: days are local days
# (an alert at 01:00 local is on that local day, not the UTC day
# before), a theft running before the data began keeps its negative
# start_day and is timed from day 0, and the naive detector attributes
# an application's query to the person its end_user names.
. "$(dirname "$0")/lib.sh"

ORG="$LW_BUILD/tests/lworg"
SCORE="$LW_BUILD/tests/lwscore"
GOLDEN_EVENTS=51992	# --seed 1 --employees 100 --days 14 --scenarios none
set -f		# the --sensitive patterns hold '*'

# --- the generator -----------------------------------------------------
"$ORG" --seed 5 --employees 100 --days 16 --out "$T/o1" --validate \
    >"$T/o1.args" 2>"$T/o1.log"
check validate_clean [ $? -eq 0 ]
"$ORG" --seed 5 --employees 100 --days 16 --out "$T/o2" >/dev/null 2>&1
"$ORG" --seed 6 --employees 100 --days 16 --out "$T/o3" >/dev/null 2>&1
same=1
for f in events.jsonl labels.jsonl directory.csv lookalikes.jsonl \
    meta.json sensitive.args; do
	cmp -s "$T/o1/$f" "$T/o2/$f" || same=0
done
check same_seed_same_bytes [ $same = 1 ]
check other_seed_other_events sh -c "! cmp -s '$T/o1/events.jsonl' '$T/o3/events.jsonl'"
check five_scenarios_labelled [ "$(wc -l <"$T/o1/labels.jsonl")" = 5 ]
check args_printed grep -qx -- '--sensitive kyc\.\*=kyc' "$T/o1.args"
check args_give_local_time grep -qx -- '--utc-offset +0[5-9]:[03]0' \
    "$T/o1/sensitive.args"

"$ORG" --seed 1 --employees 100 --days 14 --scenarios none \
    --out "$T/tiny" >/dev/null 2>&1
check tiny_config_event_count [ "$(wc -l <"$T/tiny/events.jsonl")" = "$GOLDEN_EVENTS" ]
check tiny_config_no_labels [ ! -s "$T/tiny/labels.jsonl" ]

check events_in_time_order sh -c "LC_ALL=C; export LC_ALL; sed 's/^{\"type\":\"[a-z.]*\",\"ts\":\"\\([^\"]*\\)\".*/\\1/' '$T/o1/events.jsonl' | sort -c"
lines=$(wc -l <"$T/o1/events.jsonl")
check meta_counts_events grep -q "\"events\":$lines}" "$T/o1/meta.json"

# Every line is stored, with the directory and options lworg writes.
# shellcheck disable=SC2046
"$COLLECTOR" --replay "$T/o1/events.jsonl" --db "$T/v.db" \
    --directory "$T/o1/directory.csv" $(cat "$T/o1/sensitive.args") \
    >/dev/null 2>"$T/v.log"
check replay_exit_status [ $? -eq 0 ]
stored=$(sql "$T/v.db" "SELECT count(*) FROM events")
check every_event_stored [ "$stored" = "$lines" ]
check none_rejected grep -q "$lines events stored, 0 rejected" "$T/v.log"
check directory_loads_clean sh -c "! grep -q 'skipped\|belongs to two' '$T/v.log'"

# --- lwscore on a hand-made organisation in UTC+07:00 -------------------
h="$T/hand"
mkdir -p "$h"
echo '{"generator":"lworg","start":"2026-03-02","days":10,"utc_offset":"+07:00","utc_offset_min":420}' >"$h/meta.json"
cat >"$h/directory.csv" <<'EOF'
employee,name,department,role,manager,db_users,ips,hostnames,start,leave,aliases
e1,Ana,Contact Centre,agent,,,10.30.0.10,cc-1,2020-01-01,,ana@bank.example
e2,Budi,Back Office,case_officer,,budi,10.20.0.10,hq-1,2020-01-01,,budi@bank.example
app_contact,Contact desk,,service,,app_contact,10.40.0.11,app-1,2019-01-01,,
EOF
cat >"$h/labels.jsonl" <<'EOF'
{"employee":"e1","scenario":"a","type":"slow_theft","start_day":-5,"end_day":9}
{"employee":"e2","scenario":"b","type":"smash_and_grab","start_day":3,"end_day":3}
EOF
# local day 1 (2026-03-03 10:00 +07:00): 12,000 rows through the
# application for e1; the account is a service, end_user names e1
echo '{"type":"db.query","ts":"2026-03-03T03:00:00.000000Z","db_system":"postgresql","client":"10.40.0.11:45000","db_user":"app_contact","end_user":"ana@bank.example","command":"SELECT","statement":"SELECT * FROM core.customers WHERE id > ?","rows_returned":12000,"rows_affected":0,"status":"ok"}' >"$h/events.jsonl"
# e1 on local day 2 (03-04 03:00 +07:00, UTC 03-03); e2 on local day 3
# at 01:00 (UTC day 2, the day before b); a false one on e2, day 0
cat >"$T/hand.alerts" <<'EOF'
{"type":"alert","ts":"2026-03-03T20:00:00.000000Z","id":"1","employee":"e1","rule":"r","severity":"high","score":80,"summary":"s"}
{"type":"alert","ts":"2026-03-04T18:00:00.000000Z","id":"2","employee":"e2","rule":"r","severity":"high","score":80,"summary":"s"}
{"type":"alert","ts":"2026-03-02T10:00:00.000000Z","id":"3","employee":"e2","rule":"r","severity":"low","score":10,"summary":"s"}
EOF
"$SCORE" --sim "$h" --alerts "$T/hand.alerts" >"$T/hand.out" 2>&1
check lwscore_runs [ $? -eq 0 ]
check lwscore_negative_start_timed_from_day0 grep -q "^scenario=a employee=e1 start_day=-5 end_day=9 lw_caught=1 lw_days=2 " "$T/hand.out"
check lwscore_local_days grep -q "^scenario=b employee=e2 start_day=3 end_day=3 lw_caught=1 lw_days=0 " "$T/hand.out"
check lwscore_false_alerts grep -q "^summary detector=leakwatch .* alerts=3 false_alerts=1 employee_days=20 " "$T/hand.out"
check lwscore_naive_end_user grep -q "^scenario=a .* naive_caught=1 naive_days=1 " "$T/hand.out"
finish
