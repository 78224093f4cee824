#!/bin/sh
# An end_user tag cannot put one person's reads on a colleague (issue:
# "any database user can put their reads on someone else"): alice reads
# 20 x 50,000 customer rows from her own desk under her own account,
# tagging every query /*user='bob'*/. The reads stay alice's, the tag is
# an end_user_claim alert on alice, and nothing names bob. The same tag
# from the CRM application's own account on its server is followed.
. "$(dirname "$0")/lib.sh"

cat >"$T/dir.csv" <<'EOC'
employee,name,department,role,db_users,ips,type
alice,Alice,Support,agent,u_alice,10.0.1.7,employee
bob,Bob,Support,agent,u_bob,10.0.1.8,employee
carol,Carol,Support,agent,u_carol,10.0.1.9,employee
crmapp,CRM application,IT,service,crm_app,10.0.5.20,service
EOC
q() {	# TS CLIENT DB_USER END_USER ROWS
	printf '{"type":"db.query","ts":"%s","agent":"db1","db_system":"postgresql","server":"10.0.0.2:5432","client":"%s:40000","db_user":"%s","database":"crm","end_user":"%s","command":"SELECT","statement":"SELECT * FROM crm.customers WHERE region = ?","fingerprint":"1f2e3d4c5b6a7988","tables":["crm.customers"],"rows_returned":%s,"status":"ok","source":"wire"}\n' "$@"
}
: >"$T/ev.jsonl"
i=0
while [ $i -lt 20 ]; do
	q "2026-11-20T10:$(printf %02d $i):00.000000Z" 10.0.1.7 u_alice bob 50000 >>"$T/ev.jsonl"
	q "2026-11-20T11:$(printf %02d $i):00.000000Z" 10.0.5.20 crm_app carol 25 >>"$T/ev.jsonl"
	i=$((i + 1))
done
"$COLLECTOR" --replay "$T/ev.jsonl" --db "$T/c.db" --directory "$T/dir.csv" \
    --sensitive 'crm.customer*=customer_pii' --rules "$LW_TOP/rules" \
    >"$T/alerts.jsonl" 2>"$T/c.log"
check replay_ok [ $? -eq 0 ]
n=$(sql "$T/c.db" "SELECT count(*) FROM event_identity WHERE employee = 'alice'")
check alices_reads_stay_hers [ "$n" = 20 ]
n=$(sql "$T/c.db" "SELECT count(*) FROM event_identity WHERE employee = 'bob'")
check nothing_on_bob [ "$n" = 0 ]
n=$(sql "$T/c.db" "SELECT count(*) FROM event_identity WHERE employee = 'carol' AND via = 'end_user'")
check app_account_tag_followed [ "$n" = 20 ]
check claim_alert_on_alice [ "$(grep -c '"employee":"alice","rule":"end_user_claim"' "$T/alerts.jsonl")" = 1 ]
check no_alert_on_bob [ "$(grep -c '"employee":"bob"' "$T/alerts.jsonl")" = 0 ]
check no_claim_for_the_app [ "$(grep -c '"rule":"end_user_claim".*crm_app' "$T/alerts.jsonl")" = 0 ]
check claim_summary contains "$(grep end_user_claim "$T/alerts.jsonl")" "tagged queries on your own database account u_alice as bob's; the reads stay yours (50,000 rows in 12 hours)"
finish
