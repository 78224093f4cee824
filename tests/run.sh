#!/bin/sh
# Runs every test: the unit binaries, the fuzz targets over their regression
# corpora, the replay cases (tests/replay, one line per case), the lint
# (tests/lint.sh: cppcheck and clang-tidy) and the integration scripts,
# against the binaries in build dir $1.
# Each test prints PASS:/FAIL:/SKIP: lines; the last line of the run is
# "N passed, N failed, N skipped", which CI reads. Exit status is non-zero
# if anything failed.
BUILD=${1:-build-asan}
TOP=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$(cd "$TOP/$BUILD" && pwd) || exit 1
export LW_BUILD="$BUILD" LW_TOP="$TOP"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:halt_on_error=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
cd "$TOP" || exit 1
LOG=$(mktemp -d /tmp/lwrun.XXXXXX)
trap 'rm -rf "$LOG"' EXIT INT TERM

# One test program; its output is kept and echoed. A program that dies
# without printing a verdict for itself counts as one failure.
run() {
	name=$1; shift
	out="$LOG/$(echo "$name" | tr '/ ' '__').out"
	"$@" >"$out" 2>&1
	rc=$?
	cat "$out"
	if [ $rc -ne 0 ] && ! grep -q '^FAIL: ' "$out"; then
		echo "FAIL: $name (exit status $rc)" | tee -a "$out"
	fi
}

for t in "$BUILD"/tests/test_*; do
	[ -x "$t" ] || continue
	run "unit/$(basename "$t")" "$t"
done
for f in "$BUILD"/tests/fuzz_*; do
	[ -x "$f" ] || continue
	n=$(basename "$f")
	run "fuzz/$n" "$f" "$TOP/tests/fuzz/corpus/${n#fuzz_}"
done
run replay sh "$TOP/tests/replay/run.sh" "$BUILD"
if [ -z "$LW_ONLY" ] || echo lint | grep -q "$LW_ONLY"; then
	run lint sh "$TOP/tests/lint.sh"
fi
for s in "$TOP"/tests/integration/*.sh; do
	[ -f "$s" ] || continue
	if [ -n "$LW_ONLY" ] && ! echo "$s" | grep -q "$LW_ONLY"; then
		continue
	fi
	run "integration/$(basename "$s")" sh "$s"
done

p=$(cat "$LOG"/*.out 2>/dev/null | grep -c '^PASS: ')
f=$(cat "$LOG"/*.out 2>/dev/null | grep -c '^FAIL: ')
s=$(cat "$LOG"/*.out 2>/dev/null | grep -c '^SKIP: ')
if [ "$f" -ne 0 ]; then
	echo "failed:"
	cat "$LOG"/*.out | grep '^FAIL: ' | sed 's/^/  /'
fi
echo "$p passed, $f failed, $s skipped"
[ "$f" -eq 0 ] && [ "$p" -gt 0 ]
