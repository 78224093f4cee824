#!/bin/sh
# Lint, as STYLE.md asks: cppcheck --error-exitcode=1 and a short list of
# clang-tidy 14 checks over agent/, collector/ (every folder), lib/ and
# the test tools (tests/tools), both clean. Run by tests/run.sh as one
# test each ("lint/cppcheck", "lint/clang-tidy"), and by `make lint`.
#
#   sh tests/lint.sh
#
# clang-tidy reads a compilation database written here from the build's
# own flags (`make lint-flags`: ALL_CFLAGS without -MMD -MP), one entry
# per file, the TUI's -DNCURSES_WIDECHAR=1 included; no build is needed.
# Both tools run two jobs at a time: about a minute on two idle cores.
# A finding prints as file:line, and fails the test.
#
# A finding is fixed in the code. Where a tool is wrong, the line says so
# in a comment beside a NOLINT (clang-tidy) or cppcheck-suppress, and
# the reasons for the few global choices are below.
TOP=$(cd "$(dirname "$0")/.." && pwd)
cd "$TOP" || exit 1
W=$(mktemp -d /tmp/lwlint.XXXXXX) || exit 1
trap 'rm -rf "$W"' EXIT
trap 'exit 1' INT TERM HUP

FILES=$(ls agent/*.c collector/*.c collector/*/*.c lib/*.c tests/tools/*.c)

# --- cppcheck -----------------------------------------------------------
#
# The checks of severity error plus --enable=warning,portability, with
# the libraries of what the code calls (posix, gnu, openssl, sqlite3) so
# their functions' contracts (leaks, NULL, buffer sizes) are known.
# Only include/ is on the include path (system headers are not parsed:
# faster, and no findings in them), but <sys/queue.h> is included in
# every file, because cppcheck cannot parse a struct with an unknown
# TAILQ_HEAD() member.
# Suppressed, all reports of "non-reentrant function called" from the
# posix library: readdirCalled (readdir_r is deprecated since glibc 2.24;
# readdir is safe on a stream of one thread, which is how it is used)
# and getpwnamCalled, getpwuidCalled, getgrnamCalled (each is called on
# the main thread only, start-up and the control socket's accept, never
# from the writer, scorer or checkpoint threads, so their static buffer
# is never shared; a call from another thread must use the _r form).
lint_cppcheck() {
	q=$(printf '#include <sys/queue.h>\n' | cc -M -x c - 2>/dev/null |
	    tr ' \\' '\n\n' | grep '/sys/queue\.h$' | head -1)
	[ -n "$q" ] || { echo "FAIL: lint/cppcheck: no <sys/queue.h>"; return; }
	# shellcheck disable=SC2086
	cppcheck -q -j2 --std=c11 -D_GNU_SOURCE -Iinclude --include="$q" \
	    --library=posix,gnu,openssl,sqlite3 \
	    --enable=warning,portability --inline-suppr \
	    --suppress=readdirCalled --suppress=getpwnamCalled \
	    --suppress=getpwuidCalled --suppress=getgrnamCalled \
	    --error-exitcode=1 \
	    --template='{file}:{line}: {severity}: {message} [{id}]' \
	    $FILES >"$W/cppcheck.out" 2>&1
	rc=$?
	if [ $rc -eq 0 ] && ! grep -q . "$W/cppcheck.out"; then
		echo "PASS: lint/cppcheck ($(echo "$FILES" | wc -l) files)"
	else
		echo "FAIL: lint/cppcheck: exit status $rc"
		sed 's/^/  /' "$W/cppcheck.out"
	fi
}

# --- clang-tidy ---------------------------------------------------------
#
# Checks that find real bugs in C and are clean on this tree:
#  - bugprone: macro arguments and side effects, strcmp used as a boolean, char sign extension, strings copied without their
#    NUL, memset/memcmp misuse, strlen/pointer arithmetic in allocation
#    sizes, loops that cannot end, integer division in float context,
#    missing commas in string arrays, stray semicolons, loop variables
#    narrower than their bound, branches on a condition already known,
#    posix_* return values, bool pointers in conditions, asserts with
#    side effects;
#  - cert-err34-c (atoi/sscanf, which cannot report a bad number: STYLE.md
#    asks for strtol with full checks), cert-flp30-c (float loop
#    counters);
#  - clang's static analyzer: core.* (NULL and undefined values, division
#    by zero, calls with garbage), unix.* (malloc/free: leaks, double
#    free, use after free; API misuse) and insecureAPI.strcpy.
# Left out, with the reason:
#  - bugprone-sizeof-expression: in clang-tidy 14 it flags every
#    xcalloc(n, sizeof(*p)) of an array of pointers, this code's
#    allocation idiom, and cannot be told not to (the option came in
#    15); cppcheck's pointerSize, sizeofsizeof and sizeofCalculation
#    cover the slips it is for;
#  - bugprone-easily-swappable-parameters, -narrowing-conversions,
#    -implicit-widening-of-multiplication-result, -misplaced-widening-cast
#    and -branch-clone: hundreds of findings on constant expressions,
#    byte escaping and parallel branches kept for reading, none a bug;
#  - cert-err33-c (every unchecked printf/snprintf: truncation is checked
#    where it matters) and the analyzer's
#    insecureAPI.DeprecatedOrUnsafeBufferHandling (asks for Annex K's
#    snprintf_s, which glibc does not have);
#  - deadcode.DeadStores: unused values, not bugs.
# The analyzer explores at most 50,000 nodes per function (its default
# is 225,000): the whole tree in under a minute on two cores instead of
# four. With the default budget this tree gives one finding more, a
# false positive: a memcpy in decode-pgsql.c's framing into a buffer the
# analyzer takes as freed, because answers_lost() writes the server
# direction's state and it cannot tell that apart from the client's.
CHECKS='-*,bugprone-macro-parentheses,bugprone-macro-repeated-side-effects,
bugprone-suspicious-string-compare,
bugprone-signed-char-misuse,bugprone-not-null-terminated-result,
bugprone-suspicious-memset-usage,bugprone-suspicious-memory-comparison,
bugprone-misplaced-operator-in-strlen-in-alloc,
bugprone-misplaced-pointer-arithmetic-in-alloc,bugprone-infinite-loop,
bugprone-integer-division,bugprone-suspicious-missing-comma,
bugprone-suspicious-semicolon,bugprone-too-small-loop-variable,
bugprone-redundant-branch-condition,bugprone-posix-return,
bugprone-bool-pointer-implicit-conversion,bugprone-assert-side-effect,
cert-err34-c,cert-flp30-c,
clang-analyzer-core.*,clang-analyzer-unix.*,
clang-analyzer-security.insecureAPI.strcpy'

compile_db() {
	flags=$(make -s --no-print-directory -C "$TOP" lint-flags) || return 1
	{
		echo '['
		sep=
		for f in $FILES; do
			x=
			case $f in collector/tui/*) x=" -DNCURSES_WIDECHAR=1" ;; esac
			printf '%s{"directory":"%s","file":"%s","command":"cc %s%s -c %s"}\n' \
			    "$sep" "$TOP" "$f" "$flags" "$x" "$f"
			sep=,
		done
		echo ']'
	} >"$W/compile_commands.json"
}

lint_tidy() {
	if ! compile_db; then
		echo "FAIL: lint/clang-tidy: make lint-flags failed"
		return
	fi
	checks=$(printf '%s' "$CHECKS" | tr -d '\n')
	# One file per call, two at a time; each call's output is whole.
	echo "$FILES" | xargs -P 2 -n 1 sh -c 'clang-tidy -p "$0" --quiet \
	    --checks="$1" --warnings-as-errors="*" \
	    --extra-arg=-Xclang --extra-arg=-analyzer-config \
	    --extra-arg=-Xclang --extra-arg=max-nodes=50000 "$2" \
	    >"$0/$(echo "$2" | tr / _).out" 2>&1 ||
	    echo "$2" >>"$0/tidy.failed"' "$W" "$checks"
	if [ ! -s "$W/tidy.failed" ]; then
		echo "PASS: lint/clang-tidy ($(echo "$FILES" | wc -l) files)"
		return
	fi
	echo "FAIL: lint/clang-tidy: $(sort "$W/tidy.failed" | tr '\n' ' ')"
	for f in $(sort "$W/tidy.failed"); do
		grep -E '(warning|error):' "$W/$(echo "$f" | tr / _).out" |
		    grep -v 'warnings generated\|treated as error' |
		    sed "s|^$TOP/||; s/^/  /"
	done
}

for t in cppcheck clang-tidy; do
	command -v "$t" >/dev/null 2>&1 ||
	    { echo "FAIL: lint/$t: not installed (make deps)"; continue; }
	case $t in
	cppcheck) lint_cppcheck ;;
	clang-tidy) lint_tidy ;;
	esac
done
