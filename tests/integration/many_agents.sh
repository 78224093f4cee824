#!/bin/sh
# 200 agents connected to one collector at the same time, over TLS with
# per-agent secrets, each delivering 1,000 events: exactly 1,000 rows per
# agent, 200,000 in all.
. "$(dirname "$0")/lib.sh"

AGENTS=${LW_AGENTS:-200}
PER=1000
make_pki || { fail setup "cannot make certificates"; exit 1; }
PORT=$(free_port)
: >"$T/secrets"
i=1
while [ $i -le $AGENTS ]; do
	s="secret-of-agent-$i-$(od -An -N8 -tx8 /dev/urandom | tr -d ' ')"
	printf '%s\n' "$s" >"$T/a$i.secret"
	chmod 600 "$T/a$i.secret"
	printf 'a%d %s\n' $i "$(printf '%s' "$s" | sha256sum | cut -d' ' -f1)" \
	    >>"$T/secrets"
	gen_events $PER "a${i}u" >"$T/a$i.jsonl"
	i=$((i + 1))
done
start_collector c --listen 127.0.0.1:$PORT --db "$T/c.db" \
    --tls-cert "$T/pki/collector.crt" --tls-key "$T/pki/collector.key" \
    --agent-secrets "$T/secrets" ||
    { fail setup "collector did not start"; exit 1; }
i=1
while [ $i -le $AGENTS ]; do
	# Following (no --drain), so all stay connected until the end.
	start_agent a$i --name a$i --collector 127.0.0.1:$PORT \
	    --spool "$T/a$i.spool" --source "jsonl:$T/a$i.jsonl" \
	    --tls-ca "$T/pki/ca.crt" --secret-file "$T/a$i.secret" \
	    --spool-max 4M --spool-segment 1M --heartbeat 2s
	i=$((i + 1))
done
total=$((AGENTS * PER))
if wait_rows "$T/c.db" $total 240; then
	pass all_events_arrived
else
	fail all_events_arrived "$(sql "$T/c.db" "SELECT count(*) FROM events") of $total"
fi
sleep 1
c=$(sql "$T/c.db" "SELECT count(*) FROM events")
check exact_total [ "$c" = $total ]
per=$(sql "$T/c.db" "SELECT count(*) FROM (SELECT agent, count(*) n, count(DISTINCT seq) d FROM events GROUP BY agent) WHERE n = $PER AND d = $PER")
check exact_per_agent [ "$per" = $AGENTS ]
conn=$(sql "$T/c.db" "SELECT count(*) FROM agents WHERE connected = 1")
check all_connected_at_once [ "$conn" = $AGENTS ]
# Stored agent names come from the authenticated HELLO, one per agent.
names=$(sql "$T/c.db" "SELECT count(DISTINCT agent) FROM events")
check distinct_agent_names [ "$names" = $AGENTS ]
finish
