#!/bin/sh
# `make bench`, SIEM part: alerts per second forwarded to a real rsyslog
# over TCP (octet counting) and TLS, from the outbox through formatting
# and framing until rsyslog has written them, next to the ceiling: the
# same number of pre-framed messages written straight into rsyslog's TCP
# input by `socat`-free plain shell (bash /dev/tcp), measured in the same
# run. Usage: sh tests/bench/siem.sh BUILD [N]
set -e
BUILD=$(cd "$1" && pwd)
TOP=$(cd "$(dirname "$0")/../.." && pwd)
export LW_BUILD="$BUILD" LW_TOP="$TOP"
N=${2:-${BENCH_ALERTS:-20000}}
. "$TOP/tests/integration/lib.sh"
make_pki
TCP=$(free_port); TLS=$(free_port)
cat >"$T/rsyslog.conf" <<CONF
global(workDirectory="$T" maxMessageSize="64k")
module(load="imtcp")
template(name="m" type="string" string="%msgid%\n")
ruleset(name="r") { action(type="omfile" file="$T/out.txt" template="m") }
input(type="imtcp" port="$TCP" address="127.0.0.1" ruleset="r")
input(type="imtcp" port="$TLS" address="127.0.0.1" ruleset="r"
      streamDriver.name="ossl" streamDriver.mode="1"
      streamDriver.authMode="anon" streamDriver.CAFile="$T/pki/ca.crt"
      streamDriver.CertFile="$T/pki/collector.crt"
      streamDriver.KeyFile="$T/pki/collector.key")
CONF
rsyslogd -n -f "$T/rsyslog.conf" -i "$T/rsyslog.pid" >"$T/rsyslog.log" 2>&1 &
PIDS="$PIDS $!"
while ! ss -Hltn "sport = :$TLS" | grep -q .; do sleep 0.1; done

awk -v n="$N" 'BEGIN { for (i = 0; i < n; i++)
	printf("{\"type\":\"alert\",\"ts\":\"2026-11-22T11:00:00.000000Z\",\"id\":\"%016x\",\"employee\":\"employee%d\",\"rule\":\"bulk_read\",\"severity\":\"high\",\"score\":80,\"summary\":\"employee%d read 2,300 customer_pii rows today, 41x their 30-day median\",\"evidence\":{\"rows\":2300,\"median\":56,\"peers\":60}}\n", i, i % 997, i % 997) }' >"$T/alerts.jsonl"

now() { date +%s.%N; }
# wait_out N : until rsyslog wrote N lines in all
wait_out() {
	while [ "$(wc -l <"$T/out.txt" 2>/dev/null || echo 0)" -lt "$1" ]; do
		sleep 0.05
	done
}
rate() { awk -v n="$1" -v a="$2" -v b="$3" 'BEGIN { printf "%d", n / (b - a) }'; }

# Ceiling: the RFC 5424 messages lwfwd would send, pre-framed, written
# straight into the socket.
"$LW_BUILD/tests/lwfwd" --db "$T/pre.db" --forward "udp://127.0.0.1:9" \
    --wait 1 </dev/null 2>/dev/null || true
t0=$(now)
bash -c "exec 3<>/dev/tcp/127.0.0.1/$TCP; awk '{ m = \"<107>1 2026-11-22T11:00:00.000000Z h leakwatch 1 ALERT [leakwatch@32473 id=\\\"\" NR \"\\\"] \" \$0; printf(\"%d %s\", length(m), m) }' '$T/alerts.jsonl' >&3"
wait_out "$N"
t1=$(now)
RAW=$(rate "$N" "$t0" "$t1")
echo "siem ceiling (pre-framed bytes into rsyslog tcp): $N messages, $RAW msg/s"
: >"$T/out.txt"; sleep 0.5; : >"$T/out.txt"

for tr in tcp tls; do
	case $tr in
	tcp) url="tcp://127.0.0.1:$TCP" ;;
	tls) url="tls://127.0.0.1:$TLS?ca=$T/pki/ca.crt" ;;
	esac
	t0=$(now)
	"$LW_BUILD/tests/lwfwd" --db "$T/$tr.db" --forward "$url" \
	    --wait 120000 <"$T/alerts.jsonl" 2>>"$T/lwfwd.log"
	wait_out "$N"
	t1=$(now)
	R=$(rate "$N" "$t0" "$t1")
	echo "siem forward over $tr (outbox -> rfc5424 -> rsyslog): $N alerts, $R msg/s, ratio $(awk -v a="$R" -v b="$RAW" 'BEGIN { printf "%.2f", a / b }') of the ceiling"
	: >"$T/out.txt"; sleep 0.5; : >"$T/out.txt"
done
