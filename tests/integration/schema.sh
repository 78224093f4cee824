#!/bin/sh
# The database schema across versions (docs/schema.md, collector/schema.c),
# with the real programs:
#  - a new database holds the same definitions, byte for byte, as the
#    last collector before version 2 wrote with every part running, and
#    version 3's cases;
#  - on each database an older collector made (tests/data/schema/, its
#    README says how), the TUI and leakwatch-ctl read it as it is and
#    write nothing; the collector then migrates it and a replay of more
#    events appends them and alerts exactly as on a new database, the
#    rows already there kept (alerts, triage, outbox, baselines), and the
#    file ends with the new database's definitions;
#  - the TUI and leakwatch-ctl run no SQL of their own.
. "$(dirname "$0")/lib.sh"
D="$LW_TOP/tests/data/schema"
TUI="$LW_BUILD/leakwatch-tui"
CTL="$LW_BUILD/leakwatch-ctl"
SENS="--sensitive crm.customer*=customer_pii --sensitive pay.*=payment --sensitive hr.*=employee_pii"
ANA="--directory $LW_TOP/tests/rules/directory.csv $SENS --rules $LW_TOP/rules"

# count DB TABLE : its rows, 0 when the table is absent
count() {
	c=$(sql "$1" "SELECT count(*) FROM $2")
	echo "${c:-0}"
}
definitions() {
	sqlite3 "$1" .schema | sort
}

# --- a new database ---------------------------------------------------------
# shellcheck disable=SC2086
"$COLLECTOR" --replay "$D/events.jsonl" --db "$T/new.db" $ANA \
    >/dev/null 2>"$T/new.err"
check new_db_replayed [ $? -eq 0 ]
check new_db_version_3 [ "$(sql "$T/new.db" "PRAGMA user_version")" = 3 ]
definitions "$T/new.db" >"$T/new.schema"
cp "$D/v1-1496160-last.db" "$T/last.db"
definitions "$T/last.db" >"$T/last.schema"
# version 3 adds the cases; the rest is as the last version-1 collector
grep -v ' case' "$T/new.schema" >"$T/new-v1.schema"
check new_db_definitions_as_before cmp -s "$T/new-v1.schema" "$T/last.schema"
check new_db_all_tables [ "$(grep -c '^CREATE TABLE' "$T/new.schema")" = 19 ]
check new_db_one_case [ "$(sql "$T/new.db" "SELECT count(*) FROM cases")" = 1 ]

# more.jsonl on a new database: the alerts every old one must give too
# shellcheck disable=SC2086
"$COLLECTOR" --replay "$D/more.jsonl" --db "$T/fresh.db" $ANA \
    >"$T/fresh.out" 2>"$T/fresh.err"
check fresh_replayed [ $? -eq 0 ]
check fresh_one_alert [ "$(grep -c '"rule":"borrowed_account"' "$T/fresh.out")" = 1 ]
sql "$T/fresh.db" "SELECT entity FROM an_entities" >"$T/fresh.entities"

# --- each older database ----------------------------------------------------
for f in "$D"/v1-*.db "$D"/v2-*.db; do
	n=$(basename "$f" .db)
	db="$T/$n.db"
	cp "$f" "$db"
	ev=$(count "$db" events)
	al=$(count "$db" alerts)
	tr=$(count "$db" triage_audit)
	ob=$(count "$db" fwd_outbox)
	sql "$db" "SELECT entity FROM an_entities" >"$T/$n.entities"
	sum=$(sha256sum <"$db")

	"$TUI" --db "$db" --print >"$T/$n.tui" 2>&1
	check "${n}_tui_reads_old" [ $? -eq 0 ]
	if [ "$al" -gt 0 ]; then
		check "${n}_tui_shows_alert" grep -q "borrowed_account" "$T/$n.tui"
	fi
	"$CTL" --db "$db" agents >/dev/null 2>"$T/$n.ctl"
	check "${n}_ctl_reads_old" grep -q "^0 agents, 0 need attention" "$T/$n.ctl"
	check "${n}_readers_wrote_nothing" [ "$(sha256sum <"$db")" = "$sum" ]

	# shellcheck disable=SC2086
	"$COLLECTOR" --replay "$D/more.jsonl" --db "$db" $ANA \
	    >"$T/$n.out" 2>"$T/$n.err"
	check "${n}_replayed" [ $? -eq 0 ]
	check "${n}_version_3" [ "$(sql "$db" "PRAGMA user_version")" = 3 ]
	check "${n}_alerts_as_on_new" cmp -s "$T/$n.out" "$T/fresh.out"
	check "${n}_events_appended" [ "$(count "$db" events)" = $((ev + 7)) ]
	check "${n}_alerts_appended" [ "$(count "$db" alerts)" = $((al + 1)) ]
	check "${n}_triage_kept" [ "$(count "$db" triage_audit)" = "$tr" ]
	check "${n}_outbox_kept" [ "$(count "$db" fwd_outbox)" = "$ob" ]
	sort -u "$T/$n.entities" "$T/fresh.entities" >"$T/$n.want"
	sql "$db" "SELECT entity FROM an_entities" | sort >"$T/$n.got"
	check "${n}_baselines_kept" cmp -s "$T/$n.got" "$T/$n.want"
	definitions "$db" >"$T/$n.schema"
	check "${n}_definitions_as_new" cmp -s "$T/$n.schema" "$T/new.schema"
	if [ "$tr" -gt 0 ]; then
		check "${n}_triaged_alert_kept" [ "$(sql "$db" "SELECT count(*) FROM alerts WHERE status = 'closed_true_positive'")" = 1 ]
	fi
done

# --- no SQL in the readers ----------------------------------------------------
sqlin=$(grep -nE 'sqlite3_(prepare|exec)|"(SELECT|INSERT|UPDATE|DELETE|CREATE|PRAGMA|VACUUM|BEGIN)[ "]' \
    "$LW_TOP"/collector/tui/*.c "$LW_TOP"/collector/ctl/*.c)
check "readers_run_no_sql_of_their_own${sqlin:+ ($sqlin)}" [ -z "$sqlin" ]
finish
