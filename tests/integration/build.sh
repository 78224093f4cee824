#!/bin/sh
# The first `make demo` / `make check` on a machine without the packages.
# Those targets run `make deps` and then build, so nothing the build needs
# from a package may be looked up when make reads the Makefile: the
# pkg-config answers must come from the make that compiles, started after
# deps. Here a pkg-config of the test's own on PATH finds nothing (or, where said, a
# marker), and dry runs (`make -n`, sub-makes replaced by `echo`) show who
# asks it and when. Optionally (LW_FRESH_ROOT=1, as root, with debootstrap
# and a Debian mirror) the real thing: `make demo` in a clean Debian 12
# minbase root; it takes many minutes, so the suite skips it by default.
. "$(dirname "$0")/lib.sh"

# verdict NAME STATUS WHY : PASS when STATUS is 0.
verdict() {
	if [ "$2" -eq 0 ]; then pass "$1"; else fail "$1" "$3"; fi
}

mkdir -p "$T/bin"
cat >"$T/bin/pkg-config" <<'EOF'
#!/bin/sh
# the test's pkg-config: logs every question; answers only once "installed"
echo "$*" >>"$PC_LOG"
[ -f "$PC_OK" ] || exit 1
case "$1" in
--cflags) echo "-DLW_PKGCONF_CFLAGS" ;;
--libs) echo "-lLW_PKGCONF_LIBS" ;;
esac
EOF
chmod +x "$T/bin/pkg-config"
PC_LOG="$T/pc.log"
PC_OK="$T/pc.ok"
export PC_LOG PC_OK

# dry MAKE-ARGS... : make -n in the source tree with that pkg-config first on
# PATH, outside any make that runs this suite; output in $T/out.
dry() {
	: >"$PC_LOG"
	env -u MAKEFLAGS -u MAKELEVEL -u MFLAGS PATH="$T/bin:$PATH" \
	    make --no-print-directory -n -C "$LW_TOP" "$@" >"$T/out" 2>&1
}

# The targets that install packages first: reading the Makefile, and
# their own recipe, ask pkg-config nothing; deps is a make of its own
# and the build another one after it (MAKE=echo prints each sub-make's
# arguments instead of running it).
for t in check demo bench bench-detect fuzz; do
	dry -B MAKE=echo "$t"
	rc=$?
	[ $rc -eq 0 ] && [ ! -s "$PC_LOG" ]
	verdict "${t}_parse_asks_no_package" $? "make -n exit $rc; pkg-config asked: $(head -1 "$PC_LOG")"
	first_deps=$(grep -n -x -m1 'deps' "$T/out" | cut -d: -f1)
	first_build=$(grep -n -m1 'BUILD=\|^all \|testbins' "$T/out" |
	    cut -d: -f1)
	[ -n "$first_deps" ] && [ -n "$first_build" ] &&
	    [ "$first_deps" -lt "$first_build" ]
	verdict "${t}_deps_then_build" $? "deps line ${first_deps:-none}, build line ${first_build:-none}"
	check "${t}_compiles_nothing_itself" [ "$(grep -c -- ' -c -o ' \
	    "$T/out")" = 0 ]
done

# Without the packages, the build stops with what to do, not with a
# compiler error about a missing header.
dry -B BUILD="$T/b" all
rc=$?
[ $rc -ne 0 ] && grep -q 'pkg-config finds no .*run `make deps` first' \
    "$T/out"
verdict missing_packages_stop $? "exit $rc: $(tail -1 "$T/out")"
check missing_packages_no_compile [ "$(grep -c -- ' -c -o ' "$T/out")" = 0 ]

# With them, every compile and link carries pkg-config's answer, asked
# once per question however many files are built.
touch "$PC_OK"
dry -B BUILD="$T/b" all
rc=$?
nc=$(grep -c -- ' -c -o ' "$T/out")
[ $rc -eq 0 ] && [ "$nc" -ge 50 ]
verdict build_dry_run_ok $? "exit $rc, $nc compiles"
check every_compile_has_cflags [ "$(grep -- ' -c -o ' "$T/out" |
    grep -vc -- '-DLW_PKGCONF_CFLAGS')" = 0 ]
nl=$(grep -c -- "-o $T/b/leakwatch-" "$T/out")
[ "$nl" = 4 ] && [ "$(grep -- "-o $T/b/leakwatch-" "$T/out" |
    grep -vc -- '-lLW_PKGCONF_LIBS')" = 0 ]
verdict every_link_has_libs $? "$nl program links"
[ "$(sort "$PC_LOG" | uniq -d | wc -l)" = 0 ] && [ "$(wc -l <"$PC_LOG")" = 3 ]
verdict pkg_config_asked_once $? "$(wc -l <"$PC_LOG") questions"
# DATADIR (the default rules' home) is compiled into the collector.
dry -B BUILD="$T/b" PREFIX=/opt/lwx "$T/b/collector/config.o"
check datadir_compiled_in grep -q -- "-DLW_DATADIR='\"/opt/lwx/share/leakwatch\"'.* -o $T/b/collector/config.o" "$T/out"
# and the recursive build of `make check` asks in its own make
: >"$PC_LOG"
env -u MAKEFLAGS -u MAKELEVEL -u MFLAGS PATH="$T/bin:$PATH" \
    make --no-print-directory -n -B -C "$LW_TOP" check >"$T/out" 2>&1
check check_sub_make_has_cflags [ "$(grep -- ' -c -o build-asan/' \
    "$T/out" | grep -c -- '-DLW_PKGCONF_CFLAGS')" -ge 50 ]

# The real thing, in a throw-away Debian 12 root (opt-in: many minutes).
fresh_root() {
	if [ -z "${LW_FRESH_ROOT:-}" ]; then
		skip fresh_root_demo "set LW_FRESH_ROOT=1 (root, debootstrap, a mirror; many minutes)"
		return
	fi
	if [ "$(id -u)" != 0 ] || ! command -v debootstrap >/dev/null; then
		skip fresh_root_demo "needs root and debootstrap"
		return
	fi
	R="$T/root"
	mirror=$(awk '/^URIs:/ { print $2; exit }' \
	    /etc/apt/sources.list.d/debian.sources 2>/dev/null)
	if ! debootstrap --variant=minbase --include=make,ca-certificates \
	    bookworm "$R" ${mirror:-http://deb.debian.org/debian} \
	    >"$T/debootstrap.log" 2>&1; then
		skip fresh_root_demo "debootstrap failed: $(tail -1 "$T/debootstrap.log")"
		return
	fi
	cp /etc/apt/sources.list.d/debian.sources \
	    "$R/etc/apt/sources.list.d/" 2>/dev/null
	cp /etc/resolv.conf "$R/etc/resolv.conf" 2>/dev/null
	for m in proc sys dev dev/pts; do
		case $m in
		proc) mount -t proc proc "$R/proc" ;;
		sys) mount -t sysfs sys "$R/sys" ;;
		*) mount --bind "/$m" "$R/$m" ;;
		esac
		MOUNTS="$R/$m ${MOUNTS:-}"
	done
	mkdir -p "$R/root/leakwatch"
	tar -C "$LW_TOP" --exclude='./build*' --exclude=./.git -cf - . |
	    tar -C "$R/root/leakwatch" -xf -
	chroot "$R" sh -c 'cd /root/leakwatch && make demo' \
	    >"$T/fresh.log" 2>&1
	rc=$?
	[ $rc -ne 0 ] && tail -n 20 "$T/fresh.log"
	check fresh_root_demo [ $rc -eq 0 ]
}
fresh_root
finish
