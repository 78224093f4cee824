# leakwatch — plain GNU Makefile.
#
#   make            build the programs into build/
#   make deps       install the Debian 12 packages (root) or print the line
#   make check      deps, then build under ASan+UBSan and run every test
#   make bench      optimised build, then the benchmarks with their figures
#   make fuzz       libFuzzer targets (clang), each run FUZZ_SECONDS
#   make demo       the end-to-end demo (simulated company + real captures)
#   make install    PREFIX=/usr/local DESTDIR=

PREFIX	?= /usr/local
BINDIR	?= $(PREFIX)/bin
SBINDIR	?= $(PREFIX)/sbin
SYSCONFDIR ?= /etc
DOCDIR	?= $(PREFIX)/share/doc/leakwatch
DATADIR	?= $(PREFIX)/share/leakwatch
MANDIR	?= $(PREFIX)/share/man
UNITDIR	?= $(PREFIX)/lib/systemd/system
SYSUSERSDIR ?= $(PREFIX)/lib/sysusers.d
BUILD	?= build
CC	?= cc
CFLAGS	?= -O2 -g
FUZZ_SECONDS ?= 60

# Compiler and linker flags come from pkg-config, asked once, on first use
# in the make that compiles, never when make reads this file: `make deps`
# may be about to install the very packages pkg-config looks for, so the
# targets that run deps build in a second make started after it
# (tests/integration/build.sh holds the Makefile to that).
PKGS	= jansson libevent libevent_openssl openssl sqlite3 libpcap libndpi \
	  libpq libmariadb
pkgconf = $(call pkgfound,$(shell pkg-config $(1) $(2) 2>/dev/null || \
	  echo LW_PKG_MISSING),$(2))
pkgfound = $(if $(filter LW_PKG_MISSING,$(1)),$(error pkg-config finds no \
	   $(2) (or not all of them): run `make deps` first),$(1))
PKG_CFLAGS = $(eval PKG_CFLAGS := $$(call pkgconf,--cflags,$$(PKGS)))$(PKG_CFLAGS)
PKG_LIBS = $(eval PKG_LIBS := $$(call pkgconf,--libs,$$(PKGS)))$(PKG_LIBS)

WARN	= -Wall -Wextra -Werror -Wshadow -Wpointer-arith -Wcast-qual \
	  -Wstrict-prototypes -Wmissing-prototypes -Wmissing-declarations \
	  -Wformat=2 -Wundef -Wvla -Wwrite-strings \
	  -Wold-style-definition -Wimplicit-fallthrough -Wnull-dereference
ALL_CFLAGS = -std=c11 -D_GNU_SOURCE -Iinclude $(WARN) $(PKG_CFLAGS) $(CFLAGS) \
	     -MMD -MP
LDLIBS	= $(PKG_LIBS) -lm

LIB_SRC	= $(wildcard lib/*.c)
AGENT_SRC = $(filter-out agent/main.c,$(wildcard agent/*.c))
TUI_SRC   = $(wildcard collector/tui/*.c)
CTL_SRC   = $(wildcard collector/ctl/*.c)
SCHEMA_SRC = collector/schema.c
COLL_SRC  = $(filter-out collector/main.c $(SCHEMA_SRC),$(wildcard collector/*.c))
ANA_SRC   = $(wildcard collector/analytics/*.c)
SIEM_SRC  = $(wildcard collector/siem/*.c)
UNIT_SRC  = $(wildcard tests/unit/test_*.c)
FUZZ_SRC  = $(wildcard tests/fuzz/fuzz_*.c)
TOOL_SRC  = $(wildcard tests/tools/*.c)

LIB_A	= $(BUILD)/liblw.a
AGENT_A	= $(BUILD)/agent.a
COLL_A	= $(BUILD)/collector.a
ANA_A	= $(BUILD)/analytics.a
SIEM_A	= $(BUILD)/siem.a
SCHEMA_A = $(BUILD)/schema.a
# The collector's archives in link order: each calls only into those after
# it (the daemon into the analytics and the SIEM forwarder, the analytics
# into the forwarder, any of them, the TUI and leakwatch-ctl into the
# database schema, all of them into lib/; docs/architecture.md).
COLL_LIBS = $(COLL_A) $(ANA_A) $(SIEM_A) $(SCHEMA_A) $(LIB_A)
PROGS	= $(BUILD)/leakwatch-agent $(BUILD)/leakwatch-collector \
	  $(BUILD)/leakwatch-tui $(BUILD)/leakwatch-ctl
TUI_LIBS = $(eval TUI_LIBS := $$(call pkgconf,--libs,ncursesw))$(TUI_LIBS)
UNITS	= $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
FUZZ_REPLAY = $(FUZZ_SRC:tests/fuzz/%.c=$(BUILD)/tests/%)
TOOLS	= $(TOOL_SRC:tests/tools/%.c=$(BUILD)/tests/%)

# Everything the build, the tests and the demo run: man-db for
# `systemd-analyze verify` (it checks the units' Documentation=man: lines)
# and the man page tests, gawk because the test scripts' awk is gawk's.
DEB_PKGS = build-essential pkg-config clang libclang-rt-14-dev \
	   libpcap-dev libndpi-dev libevent-dev libsqlite3-dev libssl-dev \
	   libjansson-dev libncurses-dev sqlite3 openssl procps psmisc \
	   iproute2 tcpdump libndpi-bin postgresql postgresql-client \
	   mariadb-server mariadb-client rsyslog rsyslog-openssl time \
	   libdbd-mariadb-perl tmux libpq-dev libmariadb-dev \
	   postgresql-15-pgaudit nginx-light curl systemd logrotate \
	   man-db gawk libpg-query-dev \
	   cppcheck clang-tidy dnsmasq-base bind9-dnsutils

.PHONY: all deps check test bench bench-detect fuzz demo install clean FORCE
all: $(PROGS)

$(BUILD)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

# Each archive is made afresh: `ar r` only adds and replaces members, so a
# file moved or removed would linger in it and be linked instead. One
# recipe serves every archive; the lines above it say what each holds.
$(LIB_A): $(LIB_SRC:%.c=$(BUILD)/%.o)
$(AGENT_A): $(AGENT_SRC:%.c=$(BUILD)/%.o)
$(COLL_A): $(COLL_SRC:%.c=$(BUILD)/%.o)
$(ANA_A): $(ANA_SRC:%.c=$(BUILD)/%.o)
$(SIEM_A): $(SIEM_SRC:%.c=$(BUILD)/%.o)
$(SCHEMA_A): $(SCHEMA_SRC:%.c=$(BUILD)/%.o)
$(LIB_A) $(AGENT_A) $(COLL_A) $(ANA_A) $(SIEM_A) $(SCHEMA_A):
	@rm -f $@
	$(AR) rcs $@ $^

# DATADIR is compiled into the collector: its default rules are
# DATADIR/rules (collector/config.c). The stamp holds the DATADIR built
# with, so `make install PREFIX=/usr` after `make` rebuilds that file.
$(BUILD)/collector/config.o: ALL_CFLAGS += -DLW_DATADIR='"$(DATADIR)"'
$(BUILD)/collector/config.o: $(BUILD)/datadir.stamp
$(BUILD)/datadir.stamp: FORCE
	@mkdir -p $(@D)
	@echo '$(DATADIR)' >$@.tmp; \
	cmp -s $@.tmp $@ && rm -f $@.tmp || mv -f $@.tmp $@
FORCE:

$(BUILD)/leakwatch-agent: $(BUILD)/agent/main.o $(AGENT_A) $(LIB_A)
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)
$(BUILD)/leakwatch-collector: $(BUILD)/collector/main.o $(COLL_LIBS)
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)
# The TUI uses ncurses' wide-character API (UTF-8 names).
$(TUI_SRC:%.c=$(BUILD)/%.o): ALL_CFLAGS += -DNCURSES_WIDECHAR=1
# The TUI and leakwatch-ctl take only the configuration (config.c) and the
# database schema (schema.c) from the collector's archives.
$(BUILD)/leakwatch-tui: $(TUI_SRC:%.c=$(BUILD)/%.o) $(COLL_LIBS)
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS) $(TUI_LIBS)
# The operator's command (docs/operations.md).
$(BUILD)/leakwatch-ctl: $(CTL_SRC:%.c=$(BUILD)/%.o) \
    $(BUILD)/collector/tui/ctl.o $(COLL_LIBS)
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tests/%: $(BUILD)/tests/unit/%.o $(AGENT_A) $(COLL_LIBS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)
# PostgreSQL's own parser as the oracle of the lexer's differential test
# (tests only, never linked into a program).
$(BUILD)/tests/test_sqllex: LDLIBS += -lpg_query
# test_detect fails an allocation and a day's close on purpose: the
# linker routes those calls through wrappers the test defines.
$(BUILD)/tests/test_detect: LDLIBS += \
	-Wl,--wrap=calloc,--wrap=detect_day_close
# test_pgqueue fails the PostgreSQL request queue's allocation.
$(BUILD)/tests/test_pgqueue: LDLIBS += -Wl,--wrap=calloc
$(BUILD)/tests/fuzz_%: $(BUILD)/tests/fuzz/fuzz_%.o $(BUILD)/tests/fuzz/driver.o \
		$(AGENT_A) $(COLL_LIBS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)
$(BUILD)/tests/%: $(BUILD)/tests/tools/%.o $(AGENT_A) $(COLL_LIBS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

# Everything the test runner needs, in one build directory.
testbins: $(PROGS) $(UNITS) $(FUZZ_REPLAY) $(TOOLS)

deps:
	@sh tests/deps.sh $(DEB_PKGS)

SAN = -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all \
      -fno-omit-frame-pointer
check:
	$(MAKE) deps
	$(MAKE) BUILD=build-asan CFLAGS="$(SAN)" testbins
	sh tests/run.sh build-asan

# Without deps or sanitizers: for a quick loop while editing.
test:
	$(MAKE) BUILD=build-asan CFLAGS="$(SAN)" testbins
	sh tests/run.sh build-asan

# The replay cases alone (tests/replay, docs/testing.md), and after a
# change meant to alter the agent's events, their expected.jsonl
# rewritten (the differences are printed; read them, then commit).
REPLAY_BINS = build-asan/leakwatch-agent build-asan/tests/lwjsondiff
.PHONY: replay replay-update
replay:
	$(MAKE) BUILD=build-asan CFLAGS="$(SAN)" $(REPLAY_BINS)
	sh tests/replay/run.sh build-asan

replay-update:
	$(MAKE) BUILD=build-asan CFLAGS="$(SAN)" $(REPLAY_BINS)
	sh tests/replay/run.sh build-asan --update

# Lint (tests/lint.sh, run by tests/run.sh): the compiler flags of the
# build, for the compilation database it writes for clang-tidy.
.PHONY: lint lint-flags
lint-flags:
	@echo $(filter-out -MMD -MP,$(ALL_CFLAGS))
lint:
	sh tests/lint.sh

bench:
	$(MAKE) deps
	$(MAKE) BUILD=build-bench CFLAGS="-O2 -g -DNDEBUG" testbins
	sh tests/bench/run.sh build-bench
	sh tests/bench/detect.sh build-bench

# Detection quality on the simulated organisation (docs/simulator.md).
bench-detect:
	$(MAKE) deps
	$(MAKE) BUILD=build-bench CFLAGS="-O2 -g -DNDEBUG" testbins
	sh tests/bench/detect.sh build-bench

FUZZ_CFLAGS = -O1 -g -fsanitize=fuzzer-no-link,address,undefined
fuzz:
	$(MAKE) deps
	$(MAKE) BUILD=build-fuzz CC=clang CFLAGS="$(FUZZ_CFLAGS)" \
		build-fuzz/liblw.a build-fuzz/agent.a build-fuzz/collector.a \
		build-fuzz/analytics.a build-fuzz/siem.a build-fuzz/schema.a \
		$(FUZZ_SRC:tests/fuzz/%.c=build-fuzz/tests/fuzz/%.o)
	sh tests/fuzz/run.sh build-fuzz $(FUZZ_SECONDS)

demo:
	$(MAKE) deps
	$(MAKE) all $(BUILD)/tests/lwsim
	sh tests/demo.sh $(BUILD)

# Programs, man pages, example configurations, the default rules, systemd
# units with their users, log rotation (docs/deployment.md). Existing
# configurations are never overwritten: examples go in as *.example.
install: all
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(BINDIR) \
		$(DESTDIR)$(SYSCONFDIR)/leakwatch $(DESTDIR)$(DOCDIR) \
		$(DESTDIR)$(DATADIR)/rules $(DESTDIR)$(MANDIR)/man1 \
		$(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man8 \
		$(DESTDIR)$(UNITDIR) $(DESTDIR)$(SYSUSERSDIR) \
		$(DESTDIR)$(SYSCONFDIR)/logrotate.d \
		$(DESTDIR)$(SYSCONFDIR)/rsyslog.d
	install -m 0755 $(BUILD)/leakwatch-agent $(BUILD)/leakwatch-collector \
		$(BUILD)/leakwatch-ctl $(DESTDIR)$(SBINDIR)/
	install -m 0755 $(BUILD)/leakwatch-tui $(DESTDIR)$(BINDIR)/
	install -m 0644 etc/agent.conf $(DESTDIR)$(SYSCONFDIR)/leakwatch/agent.conf.example
	install -m 0644 etc/collector.conf $(DESTDIR)$(SYSCONFDIR)/leakwatch/collector.conf.example
	install -m 0644 rules/*.rules $(wildcard rules/categories.map) \
		$(DESTDIR)$(DATADIR)/rules/
	install -m 0644 docs/man/*.1 $(DESTDIR)$(MANDIR)/man1/
	install -m 0644 docs/man/*.5 $(DESTDIR)$(MANDIR)/man5/
	install -m 0644 docs/man/*.8 $(DESTDIR)$(MANDIR)/man8/
	for u in leakwatch-agent leakwatch-collector; do \
		sed -e 's|@SBINDIR@|$(SBINDIR)|g' \
		    -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' \
		    etc/systemd/$$u.service >$(DESTDIR)$(UNITDIR)/$$u.service && \
		chmod 0644 $(DESTDIR)$(UNITDIR)/$$u.service || exit 1; \
	done
	install -m 0644 etc/sysusers.d/leakwatch.conf $(DESTDIR)$(SYSUSERSDIR)/
	install -m 0644 etc/logrotate.d/leakwatch $(DESTDIR)$(SYSCONFDIR)/logrotate.d/
	install -m 0644 etc/rsyslog.d/30-leakwatch.conf $(DESTDIR)$(SYSCONFDIR)/rsyslog.d/
	install -m 0644 docs/*.md README.md $(DESTDIR)$(DOCDIR)/

clean:
	rm -rf build build-asan build-bench build-fuzz

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
