#!/bin/sh
# `make fuzz`: links each target with libFuzzer and runs it for $2 seconds
# on a scratch copy of its regression corpus. New crashes land in
# build-fuzz/crashes/<target>/; copy the input into tests/fuzz/corpus/ once
# fixed, so `make check` replays it for ever.
set -e
BUILD=$1
SECS=${2:-60}
TOP=$(cd "$(dirname "$0")/../.." && pwd)
cd "$TOP"
for src in tests/fuzz/fuzz_*.c; do
	n=$(basename "$src" .c)
	clang -fsanitize=fuzzer,address,undefined -o "$BUILD/$n" \
	    "$BUILD/tests/fuzz/$n.o" "$BUILD/agent.a" "$BUILD/collector.a" \
	    "$BUILD/analytics.a" "$BUILD/siem.a" "$BUILD/schema.a" \
	    "$BUILD/liblw.a" \
	    $(pkg-config --libs jansson libevent \
	    libevent_openssl openssl sqlite3 libpcap libndpi libpq \
	    libmariadb) -lm
	work="$BUILD/corpus/$n"
	mkdir -p "$work" "$BUILD/crashes/$n"
	cp -n tests/fuzz/corpus/"${n#fuzz_}"/* "$work"/ 2>/dev/null || true
	dict=
	[ -f "tests/fuzz/${n#fuzz_}.dict" ] && dict="-dict=tests/fuzz/${n#fuzz_}.dict"
	echo "fuzz: $n for ${SECS}s"
	"$BUILD/$n" $dict -max_total_time="$SECS" -max_len=70000 \
	    -artifact_prefix="$BUILD/crashes/$n/" "$work"
done
