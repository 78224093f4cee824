#!/bin/sh
# No dependency circles between files: no file calls into a file that
# calls it back, directly or round a longer loop. The call graph comes
# from the object files of collector/, agent/ and lib/ in the build
# directory: file A depends on file B when A.o leaves a symbol undefined
# (nm) that B.o defines - a function called or a table referenced. Every
# strongly connected component of more than one file is a circle and
# fails, unless tests/layering.allow names it (a circle being removed by
# a change of its own); an allowed circle that is gone fails too, so the
# list never outlives its reason. docs/architecture.md has the layering
# these circles would break. Last, the size rule of the same document: no
# source file of the programs over 1,500 lines.
. "$(dirname "$0")/lib.sh"
cd "$LW_TOP" || exit 1
ALLOW=tests/layering.allow

# "from to symbol" for every call or reference from one file to another.
# Objects whose source is gone (a stale build of a moved file) are left
# out.
edges() {
	(cd "$LW_BUILD" && find collector agent lib -name '*.o' | sort) |
	while read -r o; do
		[ -f "${o%.o}.c" ] || continue
		nm -P -g "$LW_BUILD/$o" | sed "s|^|${o%.o}.c |"
	done | awk '
	$3 == "U" { und[++nu] = $1 " " $2; next }
	# a name two files define (each program'"'"'s main) says nothing
	$3 ~ /^[A-Z]$/ {
		if (($2 in def) && def[$2] != $1)
			twice[$2] = 1
		def[$2] = $1
	}
	END {
		for (i = 1; i <= nu; i++) {
			split(und[i], u, " ")
			if ((u[2] in def) && !(u[2] in twice) &&
			    def[u[2]] != u[1])
				print u[1], def[u[2]], u[2]
		}
	}' | sort -u
}

# Reads "from to ..." lines; prints each strongly connected component of
# two files or more on one line, its files sorted and space-separated.
# The graph is small (about a hundred files): the transitive closure,
# then the files that reach each other.
circles() {
	awk '
	{
		if (!($1 in id)) { id[$1] = ++n; name[n] = $1 }
		if (!($2 in id)) { id[$2] = ++n; name[n] = $2 }
		r[id[$1], id[$2]] = 1
	}
	END {
		for (k = 1; k <= n; k++)
			for (i = 1; i <= n; i++)
				if ((i, k) in r)
					for (j = 1; j <= n; j++)
						if ((k, j) in r)
							r[i, j] = 1
		for (i = 1; i <= n; i++) {
			if (i in done)
				continue
			line = name[i]
			m = 1
			for (j = 1; j <= n; j++)
				if (j != i && ((i, j) in r) && ((j, i) in r)) {
					line = line "\n" name[j]
					done[j] = 1
					m++
				}
			if (m > 1)
				print line | "sort | paste -s -d \" \" -"
			close("sort | paste -s -d \" \" -")
		}
	}'
}

# The finder itself, on a graph with one planted circle (a -> b -> c ->
# a) and a file that only calls into it (d): it must report a b c, once.
planted=$(printf 'a b\nb c\nc a\nd a\nd e\n' | circles)
check finds_a_planted_circle [ "$planted" = "a b c" ]

edges >"$T/edges"
nfiles=$(awk '{ print $1; print $2 }' "$T/edges" | sort -u | grep -c .)
check "graph_built ($nfiles files)" [ "$nfiles" -ge 60 ]
# one call every tree has: the pipeline drives the detectors
check graph_has_known_edge grep -q \
    '^collector/analytics/analytics.c collector/analytics/detect.c ' \
    "$T/edges"

circles <"$T/edges" >"$T/circles"
grep -v '^#' "$ALLOW" 2>/dev/null | grep . | tr -s ' \t' ' ' |
    sed 's/ $//' | sort -u >"$T/allow"
bad=""
while read -r c; do
	if ! grep -qxF "$c" "$T/allow"; then
		# the calls inside the circle, for the message
		calls=$(awk -v set=" $c " '
		    index(set, " " $1 " ") && index(set, " " $2 " ") {
			print "    " $1 " -> " $2 " (" $3 ")" }' "$T/edges")
		bad="$bad
  $(echo "$c" | sed 's/ / <-> /g')
$calls"
	fi
done <"$T/circles"
if [ -z "$bad" ]; then
	pass no_circles
else
	fail no_circles "files that call each other:$bad"
fi
while read -r a; do
	if grep -qxF "$a" "$T/circles"; then
		pass "allowed: $(echo "$a" | sed 's/ / <-> /g') ($ALLOW)"
	else
		fail allow_list_current \
		    "$ALLOW names $a, no longer a circle: delete the line"
	fi
done <"$T/allow"
big=$(find agent collector lib include -name '*.[ch]' -exec wc -l {} + |
    awk '$2 != "total" && $1 > 1500 { print "  " $2 ": " $1 " lines" }')
if [ -z "$big" ]; then
	pass no_file_over_1500_lines
else
	fail no_file_over_1500_lines "split by concern:
$big"
fi
finish
