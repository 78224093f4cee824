#!/bin/sh
# SIEM forwarding against a real rsyslog (Debian package) started here on
# loopback: alerts with hostile texts go out over UDP, TCP (octet
# counting) and TLS (certificates made here), and rsyslog's own parser
# (mmpstrucdata for RFC 5424 structured data) must show HOSTNAME,
# APP-NAME, MSGID and every parameter intact, control characters escaped
# (\x0a for a newline). CEF, LEEF and JSON arrive whole. An alert with
# ESC sequences and CR LF plus a forged syslog header in every string
# arrives as exactly one message per format and transport, with no
# control byte in it (rawmsg, as received). Then 1,000 alerts raised
# while the receiver is down arrive exactly once, in order, after it comes back, across a forwarder
# restart. The forwarder is driven by tests/tools/lwfwd.c (collector/siem/fwd.c
# alone); the collector's own --forward path is in analytics tests.
. "$(dirname "$0")/lib.sh"
LWFWD="$LW_BUILD/tests/lwfwd"
RSYSLOGD=$(command -v rsyslogd || echo /usr/sbin/rsyslogd)
if [ ! -x "$RSYSLOGD" ]; then
	skip setup "rsyslogd not installed (make deps installs it)"
	exit 0
fi
make_pki || { fail setup "pki"; exit 1; }
UDP=$(free_port); TCP=$(free_port); TLS=$(free_port)
OUT="$T/out.txt"
cat >"$T/rsyslog.conf" <<CONF
global(workDirectory="$T" parser.escapeControlCharactersOnReceive="off"
       maxMessageSize="64k")
module(load="imudp")
module(load="imtcp")
module(load="mmpstrucdata")
template(name="fields" type="list") {
  property(name="inputname") constant(value="\t")
  property(name="hostname") constant(value="\t")
  property(name="app-name") constant(value="\t")
  property(name="msgid") constant(value="\t")
  property(name="syslogseverity") constant(value="\t")
  property(name="syslogfacility") constant(value="\t")
  property(name="\$!") constant(value="\t")
  property(name="msg" format="json")
  constant(value="\n")
}
template(name="raw" type="list") {
  property(name="inputname") constant(value="\t")
  property(name="rawmsg") constant(value="\n")
}
ruleset(name="r") {
  action(type="omfile" file="$T/raw.txt" template="raw")
  action(type="mmpstrucdata")
  action(type="omfile" file="$OUT" template="fields")
}
input(type="imudp" port="$UDP" address="127.0.0.1" ruleset="r" name="udp")
input(type="imtcp" port="$TCP" address="127.0.0.1" ruleset="r" name="tcp")
input(type="imtcp" port="$TLS" address="127.0.0.1" ruleset="r" name="tls"
      streamDriver.name="ossl" streamDriver.mode="1"
      streamDriver.authMode="anon" streamDriver.CAFile="$T/pki/ca.crt"
      streamDriver.CertFile="$T/pki/collector.crt"
      streamDriver.KeyFile="$T/pki/collector.key")
CONF

RPID=
start_rsyslog() {
	"$RSYSLOGD" -n -f "$T/rsyslog.conf" -i "$T/rsyslog.pid" \
	    >>"$T/rsyslog.log" 2>&1 &
	RPID=$!
	PIDS="$PIDS $RPID"
	i=0
	while [ $i -lt 50 ]; do
		ss -Hltn "sport = :$TLS" | grep -q . && return 0
		sleep 0.1; i=$((i + 1))
	done
	return 1
}
stop_rsyslog() {
	kill "$RPID" 2>/dev/null
	wait "$RPID" 2>/dev/null
}
# wait_lines PATTERN N : until OUT holds N lines matching PATTERN.
wait_lines() {
	i=0
	while [ $i -lt 100 ]; do
		[ "$(grep -c -- "$1" "$OUT" 2>/dev/null)" -ge "$2" ] && return 0
		sleep 0.1; i=$((i + 1))
	done
	return 1
}

start_rsyslog || { fail setup "rsyslogd did not start: $(cat "$T/rsyslog.log")"; exit 1; }

# One alert whose texts hold every character a format must escape.
cat >"$T/hostile.jsonl" <<'JSON'
{"type":"alert","ts":"2026-11-22T10:00:00.123456Z","id":"5f2c0d1e9a8b7c6d","employee":"o'brien \"ob\"","rule":"bulk_read","severity":"critical","score":97.5,"summary":"q\"b\\c]d|e=f\nnext line, caf\u00e9 \u65e5\u672c","evidence":{"rows":2300,"table":"crm.customers]x","peers":"Support|Sales=2"}}
JSON
for tr in udp tcp tls; do
	case $tr in
	udp) url="udp://127.0.0.1:$UDP" ;;
	tcp) url="tcp://127.0.0.1:$TCP" ;;
	tls) url="tls://127.0.0.1:$TLS?ca=$T/pki/ca.crt" ;;
	esac
	"$LWFWD" --db "$T/$tr.db" --forward "$url" --hostname siem-test \
	    <"$T/hostile.jsonl" 2>>"$T/lwfwd.log" ||
	    fail "$tr/send" "lwfwd failed: $(tail -3 "$T/lwfwd.log")"
	if ! wait_lines "^$tr	" 1; then
		fail "$tr/received" "nothing arrived"
		continue
	fi
	line=$(grep "^$tr	" "$OUT" | head -1)
	# input, HOSTNAME, APP-NAME, MSGID, severity (critical=2), facility 13
	check "$tr/header" contains "$line" "^$tr	siem-test	leakwatch	ALERT	2	13	"
	ok=1
	for p in '"id": "5f2c0d1e9a8b7c6d"' \
	    '"employee": "o'"'"'brien \"ob\""' \
	    '"rule": "bulk_read"' '"severity": "critical"' '"score": "97.5"' \
	    '"summary": "q\"b\\c]d|e=f\\x0anext line, café 日本"' \
	    '"ev.rows": "2300"' '"ev.table": "crm.customers]x"' \
	    '"ev.peers": "Support|Sales=2"'; do
		printf '%s\n' "$line" | grep -qF -- "$p" || {
			fail "$tr/sd" "parameter $p not intact in: $line"
			ok=0
		}
	done
	[ $ok -eq 1 ] && pass "$tr/sd"
	check "$tr/msg" contains "$line" 'q\\"b\\\\c\]d|e=f\\\\x0anext line, café 日本$'
done

# The other formats over TCP: the message arrives whole, escaped as the
# format says (CEF: \| in the header, \= in extensions; the newline
# escaped before, as \x0a, and that backslash escaped in turn).
for f in cef leef json; do
	: >"$OUT.$f"
	"$LWFWD" --db "$T/$f.db" --forward "tcp://127.0.0.1:$TCP?format=$f" \
	    --hostname siem-test <"$T/hostile.jsonl" 2>>"$T/lwfwd.log"
done
wait_lines "^tcp	.*CEF:0" 1 && wait_lines "^tcp	.*LEEF:2.0" 1 &&
    wait_lines '^tcp	.*@timestamp' 1
cef=$(grep 'CEF:0' "$OUT")
check cef/header contains "$cef" 'CEF:0|leakwatch|leakwatch|[0-9.]*|bulk_read|q\\"b\\\\\\\\c]d\\\\|e=f\\\\\\\\x0anext line, café 日本|10|'
check cef/extension contains "$cef" 'msg=q\\"b\\\\\\\\c]d|e\\\\=f\\\\\\\\x0anext line, café 日本 '
check cef/suser contains "$cef" "suser=o'brien \\\\\"ob\\\\\""
leef=$(grep 'LEEF:2.0' "$OUT")
check leef/header contains "$leef" 'LEEF:2.0|leakwatch|leakwatch|[0-9.]*|bulk_read|x09|'
check leef/sanitised contains "$leef" 'msg=q\\"b\\\\c]d|e=f\\\\x0anext line, café 日本\\tev_rows=2300'
js=$(grep '@timestamp' "$OUT")
check json/ecs contains "$js" '\\"user\\":{\\"name\\":\\"o'"'"'brien \\\\\\"ob\\\\\\"\\"}'
check json/rule contains "$js" '\\"rule\\":{\\"name\\":\\"bulk_read\\"'

# Control characters (finding 5 of docs/threat-model.md): ESC sequences
# and CR LF followed by a forged syslog header in the employee, summary
# and evidence. Every format over UDP and TCP must arrive as exactly one
# message (one line of rawmsg holding the alert's id, none starting with
# the forged header) with no ESC, CR or LF byte in it.
FORGED='\r\n<13>1 2026-11-22T10:00:00Z forged leakwatch - ALERT - x'
printf '%s\n' '{"type":"alert","ts":"2026-11-22T10:00:00.123456Z","id":"6e5c6e5c6e5c6e5c","employee":"eve\u001b[2J'"$FORGED"'","rule":"bulk_read","severity":"high","score":80,"summary":"s\u001b]0;pwned\u0007'"$FORGED"'","evidence":{"db_user":"u'"$FORGED"'","app_name":"\u001b[31m\u009b2J","tables":["a\rb","c\nd"]}}' >"$T/ctl-chars.jsonl"
for f in rfc5424 cef leef json; do
	for tr in udp tcp; do
		case $tr in
		udp) url="udp://127.0.0.1:$UDP?format=$f" ;;
		tcp) url="tcp://127.0.0.1:$TCP?format=$f" ;;
		esac
		"$LWFWD" --db "$T/ctl-$f-$tr.db" --forward "$url" \
		    --hostname siem-test <"$T/ctl-chars.jsonl" \
		    2>>"$T/lwfwd.log" || fail "ctl-chars/$f-$tr" "lwfwd failed"
	done
done
i=0
while [ $i -lt 100 ] && [ "$(grep -c 6e5c6e5c6e5c6e5c "$T/raw.txt")" -lt 8 ]; do
	sleep 0.1; i=$((i + 1))
done
sleep 0.3	# a split message's second half would come right after
check ctl-chars/one-message-each [ "$(grep -c 6e5c6e5c6e5c6e5c "$T/raw.txt")" -eq 8 ]
check ctl-chars/forged-in-message-only [ "$(grep -c forged "$T/raw.txt")" -eq 8 ]
check ctl-chars/no-forged-line [ "$(grep -c '^<13>' "$T/raw.txt")" -eq 0 ]
check ctl-chars/no-esc [ "$(tr -cd '\033\r\007' <"$T/raw.txt" | wc -c)" -eq 0 ]
for f in 'CEF:0' 'LEEF:2.0' '@timestamp' 'ALERT \['; do
	check "ctl-chars/udp-tcp-$f" [ "$(grep 6e5c6e5c6e5c6e5c "$T/raw.txt" | grep -c -- "$f")" -eq 2 ]
done
check ctl-chars/escapes-visible grep -q 'eve\\\\x1b\[2J\\\\x0d\\\\x0a<13>1' "$T/raw.txt"

# Outage: 1,000 alerts while rsyslog is down; the forwarder gives up
# after a short wait and exits (restart); a second run after rsyslog is
# back delivers all 1,000 exactly once and in order. Over TCP and TLS.
awk 'BEGIN { for (i = 0; i < 1000; i++)
	printf("{\"type\":\"alert\",\"ts\":\"2026-11-22T11:00:00.000000Z\",\"id\":\"%016x\",\"employee\":\"e%d\",\"rule\":\"r\",\"severity\":\"low\",\"score\":10,\"summary\":\"outage alert %04d\"}\n", i, i, i) }' >"$T/many.jsonl"
awk 'BEGIN { for (i = 0; i < 1000; i++) printf("%04d\n", i) }' >"$T/want"
for tr in tcp tls; do
	case $tr in
	tcp) url="tcp://127.0.0.1:$TCP" ;;
	tls) url="tls://127.0.0.1:$TLS?ca=$T/pki/ca.crt" ;;
	esac
	stop_rsyslog
	"$LWFWD" --db "$T/outage-$tr.db" --forward "$url" --wait 500 \
	    <"$T/many.jsonl" 2>>"$T/lwfwd.log"
	check "outage-$tr/not-sent-while-down" [ $? -ne 0 ]
	: >"$OUT"
	start_rsyslog || fail "outage-$tr/restart" "rsyslogd did not come back"
	"$LWFWD" --db "$T/outage-$tr.db" --forward "$url" --wait 20000 \
	    </dev/null 2>>"$T/lwfwd.log"
	check "outage-$tr/flushed" [ $? -eq 0 ]
	wait_lines "outage alert" 1000
	n=$(grep -c "^$tr	.*outage alert" "$OUT")
	check "outage-$tr/count" [ "$n" -eq 1000 ]
	u=$(grep -o "outage alert [0-9]*$" "$OUT" | sort -u | wc -l)
	check "outage-$tr/exactly-once" [ "$u" -eq 1000 ]
	grep -o "outage alert [0-9]*$" "$OUT" | awk '{ print $3 }' >"$T/order"
	check "outage-$tr/in-order" cmp -s "$T/order" "$T/want"
done

# The collector itself: --replay scores a file and forwards its cases
# (and, with forward-events, its net.flow events) over TLS in the same
# command: one CASE message per alert filed (here: each opens or joins a
# person's case), no ALERT message; with forward-alerts, rsyslog also
# receives exactly the alerts --replay printed.
R="$LW_TOP/tests/rules"
replay() {
	n=$1
	shift
	cat "$R/background.jsonl" "$R/bulk_read_spike/pos.jsonl" |
	    "$COLLECTOR" --replay - --db "$T/$n.db" \
	    --directory "$R/directory.csv" \
	    --sensitive 'crm.customer*=customer_pii' \
	    --rules "$LW_TOP/rules" --syslog-hostname replay-host \
	    --forward "tls://127.0.0.1:$TLS?ca=$T/pki/ca.crt&format=rfc5424" \
	    --forward-events net.flow "$@" >"$T/$n.out" 2>"$T/$n.err"
}
: >"$OUT"
replay replay
check replay/exit [ $? -eq 0 ]
na=$(grep -c '"type":"alert"' "$T/replay.out")
nf=$(grep -c '"type":"net.flow"' "$R/background.jsonl")
nc=$(sql "$T/replay.db" "SELECT count(*) FROM cases")
check replay/alerts-raised [ "$na" -ge 1 ]
check replay/cases-opened [ "$nc" -ge 1 ]
wait_lines "^tls	replay-host	leakwatch	CASE	" "$na"
wait_lines "^tls	replay-host	leakwatch	EVENT	" "$nf"
check replay/case-per-alert [ "$(grep -c "^tls	replay-host	leakwatch	CASE	" "$OUT")" -eq "$na" ]
check replay/cases-opened-once [ "$(grep -c '"rule": "case_opened"' "$OUT")" -eq "$nc" ]
# each says where the person stands among their peers, in numbers
check replay/case-peer-standing [ "$(grep "	CASE	" "$OUT" | grep -c '"ev.peer_standing": "rank [0-9]* of [0-9]* in ')" -eq "$na" ]
check replay/no-alerts-forwarded [ "$(grep -c "^tls	replay-host	leakwatch	ALERT	" "$OUT")" -eq 0 ]
check replay/events-forwarded [ "$(grep -c "^tls	replay-host	leakwatch	EVENT	" "$OUT")" -eq "$nf" ]
cid=$(sql "$T/replay.db" "SELECT id FROM cases ORDER BY first_ts LIMIT 1")
check replay/case-id-intact grep -q "\"id\": \"$cid\"" "$OUT"
check replay/event-rule-is-type sh -c "grep '	EVENT	' '$OUT' | head -1 | grep -q '\"rule\": \"net.flow\"'"
: >"$OUT"
replay replay2 --forward-alerts
check replay/alerts-exit [ $? -eq 0 ]
wait_lines "^tls	replay-host	leakwatch	ALERT	" "$na"
check replay/alerts-forwarded [ "$(grep -c "^tls	replay-host	leakwatch	ALERT	" "$OUT")" -eq "$na" ]
id=$(sed -n 's/.*"id":"\([0-9a-f]*\)".*/\1/p' "$T/replay2.out" | head -1)
check replay/alert-id-intact grep -q "\"id\": \"$id\"" "$OUT"

stop_rsyslog
[ -z "$FAILED" ]
