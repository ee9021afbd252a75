# jingle-sip: build, test, install, run, bench.
# `make help` prints the lines below that start with "#   make".
#
#   make            build the relay library and the Lua 5.4 binding (V=1: full commands)
#   make deps       install missing Debian packages (deps/*-packages.txt)
#   make test       deps + build + every suite; ends with "N passed, N failed"
#   make test-c     the C tests under ASan+UBSan (T=a,b: names containing a or b; T='!a,b': the others)
#   make lint       luacheck, the cdef check, the doc-citation check, the relay import graph
#   make run        local demo: Prosody with the module on phone.localhost
#   make web        npm ci (web/package-lock.json) + bundle the softphone into web/dist
#   make test-web   only the browser suite (Chromium + Firefox, own network namespace)
#   make install    PREFIX=/usr/local DESTDIR= MODDIR=$(PREFIX)/lib/prosody/modules
#   make uninstall  remove what make install put there (same variables)
#   make dist       build/dist/: source and binary rocks for prosodyctl install
#   make bench      benchmarks, results in build/bench/
#   make fuzz       libFuzzer targets relay/fuzz/fuzz_*.c + the Jingle parser
#                   fuzzer, FUZZ_SECONDS each (default 60); build/fuzz/results.txt
#   make clean      remove build/ and web/dist/
#   make help       this list

PREFIX ?= /usr/local
DESTDIR ?=
# Prosody finds modules in its plugin_paths; luarocks passes LUADIR instead.
MODDIR ?= $(PREFIX)/lib/prosody/modules
LUADIR ?=
INSTALL_MODDIR = $(if $(LUADIR),$(LUADIR),$(MODDIR))/mod_jingle_sip

BUILD ?= build

# Quiet by default: one line per step ("CC relay/src/call.c"); V=1 prints
# the full commands instead; make -s prints neither.
V ?= 0
ifeq ($(V),1)
Q =
say = @true
else ifneq ($(findstring s,$(firstword -$(MAKEFLAGS))),)
Q = @
say = @true
else
Q = @
say = @printf '%-7s %s\n'
endif
CC ?= cc
PKG_CONFIG ?= pkg-config
RELAY_PKGS = glib-2.0
RELAY_PKGS += nice openssl libsrtp2 gio-2.0
RELAY_PKGS += sofia-sip-ua-glib sofia-sip-ua
RELAY_PKGS += gstreamer-1.0 gstreamer-app-1.0
# The C tests encode and decode Opus themselves (a tone through the relay).
CTEST_PKGS = opus
LUA54_CFLAGS ?= $(shell $(PKG_CONFIG) --cflags lua5.4)

WARN = -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes
BASE_CFLAGS = -std=gnu11 $(WARN) -fPIC -D_GNU_SOURCE -Irelay/include \
	$(shell $(PKG_CONFIG) --cflags $(RELAY_PKGS))
RELAY_LIBS = $(shell $(PKG_CONFIG) --libs $(RELAY_PKGS)) -lpthread
OPT_CFLAGS ?= -O2 -g
SAN_FLAGS = -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer

RELAY_SRC = $(sort $(wildcard relay/src/*.c relay/src/*/*.c))
RELAY_HDR = $(wildcard relay/include/*.h relay/src/*.h relay/src/*/*.h)
RELAY_OBJ = $(RELAY_SRC:%.c=$(BUILD)/obj/%.o)
RELAY_ASAN_OBJ = $(RELAY_SRC:%.c=$(BUILD)/asan/%.o)
CTEST_SRC = $(sort $(wildcard relay/tests/*.c))
CTEST_HDR = $(wildcard relay/tests/*.h relay/tests/*.def)

LIB = $(BUILD)/lib/libcallrelay.so
LUA54_MOD = $(BUILD)/lib/callrelay_core.so
CTEST_BIN = $(BUILD)/asan/test_relay

.PHONY: all deps test test-c test-web lint check-cdef check-deps check-doc-refs check-merge-markers \
	check-relay-graph run install uninstall \
	dist bench clean web help fuzz fuzz-build

all: $(LIB) $(LUA54_MOD)

help:
	@sed -n 's/^#   make/make/p' $(firstword $(MAKEFILE_LIST))

deps:
	@sh scripts/deps.sh

$(BUILD)/obj/%.o: %.c $(RELAY_HDR)
	@mkdir -p $(dir $@)
	$(say) CC $<
	$(Q)$(CC) $(BASE_CFLAGS) $(OPT_CFLAGS) -fvisibility=hidden -c $< -o $@

$(LIB): $(RELAY_OBJ)
	@mkdir -p $(dir $@)
	$(say) LD $(notdir $@)
	$(Q)$(CC) -shared -o $@ $^ $(RELAY_LIBS) -Wl,--no-undefined -Wl,-soname,libcallrelay.so

# The Lua 5.4 binding finds libcallrelay.so next to itself ($ORIGIN), in the
# build tree and once installed alike.
$(LUA54_MOD): $(wildcard ffi/lua54/*.c ffi/lua54/*.h) relay/include/callrelay.h $(LIB)
	@mkdir -p $(dir $@)
	$(say) CCLD $(notdir $@)
	$(Q)$(CC) $(BASE_CFLAGS) $(OPT_CFLAGS) $(LUA54_CFLAGS) -shared -o $@ $(wildcard ffi/lua54/*.c) \
		-L$(BUILD)/lib -lcallrelay -Wl,-rpath,'$$ORIGIN'

$(BUILD)/asan/%.o: %.c $(RELAY_HDR) $(CTEST_HDR)
	@mkdir -p $(dir $@)
	$(say) CC-SAN $<
	$(Q)$(CC) $(BASE_CFLAGS) $(shell $(PKG_CONFIG) --cflags $(CTEST_PKGS)) -O1 -g $(SAN_FLAGS) \
		-Irelay/src -c $< -o $@

$(CTEST_BIN): $(RELAY_ASAN_OBJ) $(CTEST_SRC:%.c=$(BUILD)/asan/%.o)
	$(say) LD $(notdir $@)
	$(Q)$(CC) $(SAN_FLAGS) -o $@ $^ $(RELAY_LIBS) $(shell $(PKG_CONFIG) --libs $(CTEST_PKGS)) -lm

test-c: $(CTEST_BIN)
	$(say) TEST "$(notdir $(CTEST_BIN)) $(T)"
	$(Q)ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:fast_unwind_on_malloc=0 \
	LSAN_OPTIONS=suppressions=relay/tests/lsan.supp:print_suppressions=0 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	$(CTEST_BIN) '$(T)'

check-cdef:
	@lua5.4 scripts/check-cdef.lua relay/include/callrelay.h ffi/callrelay/cdef.lua

# Every program the build, tests and demo run comes from a package in deps/.
check-deps:
	@scripts/check-deps

# Comments and docs cite only documents inside the repository.
check-doc-refs:
	@sh scripts/check-doc-refs.sh

# The import graph of relay/src: no cycle between files outside the media
# packet loop and SIP UA<->dialog (docs/ARCHITECTURE.md, layers).
check-relay-graph: $(RELAY_OBJ)
	@lua5.4 scripts/relay-graph.lua $(BUILD)/obj

lint: check-cdef check-deps check-doc-refs check-merge-markers check-relay-graph
	$(say) LUACHECK "plugin ffi spec scripts"
	$(Q)luacheck -q plugin ffi spec scripts

# A merge conflict left in a comment still compiles; nothing else finds it.
check-merge-markers:
	$(say) CHECK "merge markers"
	$(Q)! git grep -n -E '^(<<<<<<<|>>>>>>>) ' -- . ':!Makefile' 2>/dev/null

# The web softphone: npm packages from web/package-lock.json (npm ci, only
# when the lock changed), bundled by esbuild into web/dist/, which
# scripts/prosody-config.sh copies next to Prosody's config and serves.
WEB_NPM_STAMP = web/node_modules/.package-lock.json
WEB_SRC = $(wildcard web/src/*.js web/static/*) web/build.mjs

$(WEB_NPM_STAMP): web/package.json web/package-lock.json
	cd web && npm ci --no-audit --no-fund
	@touch $@

web/dist/index.html: $(WEB_SRC) $(WEB_NPM_STAMP)
	$(say) BUNDLE web/dist
	$(Q)node web/build.mjs

web: web/dist/index.html

test-web: web all
	sh web/test/run.sh

test: deps
	@sh scripts/run-tests.sh

run: deps all web
	@sh scripts/run-demo.sh

install: all
	$(say) INSTALL $(DESTDIR)$(INSTALL_MODDIR)
	$(Q)install -d $(DESTDIR)$(INSTALL_MODDIR)/lib $(DESTDIR)$(INSTALL_MODDIR)/callrelay
	$(Q)install -m 644 plugin/mod_jingle_sip.lua $(DESTDIR)$(INSTALL_MODDIR)/
	$(Q)cd plugin && find jingle_sip -name '*.lua' -exec install -D -m 644 {} $(DESTDIR)$(INSTALL_MODDIR)/{} \;
	$(Q)install -m 644 ffi/callrelay.lua $(DESTDIR)$(INSTALL_MODDIR)/
	$(Q)install -m 644 ffi/callrelay/*.lua $(DESTDIR)$(INSTALL_MODDIR)/callrelay/
	$(Q)install -m 755 $(LIB) $(LUA54_MOD) $(DESTDIR)$(INSTALL_MODDIR)/lib/

uninstall:
	$(say) RM $(DESTDIR)$(INSTALL_MODDIR)
	$(Q)rm -rf $(DESTDIR)$(INSTALL_MODDIR)

# A source rock: the tracked files of this checkout as the tarball the
# rockspec names as its source, zipped with the rockspec the way
# `luarocks pack` lays them out. `prosodyctl install` (luarocks install)
# builds it in a temporary directory, so it installs from anywhere.
# And a binary rock built from it, for hosts without compilers: luarocks
# names it ".all" (our libraries sit in the Lua tree, not lib/); it is for
# this architecture only, so it is renamed after it and luarocks refuses it
# elsewhere.
DIST_NAME = mod_jingle_sip-scm-1
DIST_DIR = $(BUILD)/dist
DIST_ROCK = $(DIST_DIR)/$(DIST_NAME).src.rock
DIST_ARCH = $(shell luarocks --lua-version=5.4 config arch 2>/dev/null)

dist:
	$(say) DIST $(DIST_ROCK)
	$(Q)test "$$(git rev-parse --show-toplevel 2>/dev/null)" = "$(CURDIR)" || \
		{ echo "make dist: $(CURDIR) is not the top of a git checkout" >&2; exit 1; }
	$(Q)rm -rf $(DIST_DIR) && mkdir -p $(DIST_DIR)
	$(Q)git ls-files -z | tar --null -T - --transform 's,^,$(DIST_NAME)/,' \
		-czf $(DIST_DIR)/$(DIST_NAME).tar.gz
	$(Q)cp rockspec/$(DIST_NAME).rockspec $(DIST_DIR)/
	$(Q)cd $(DIST_DIR) && zip -q $(DIST_NAME).src.rock $(DIST_NAME).rockspec $(DIST_NAME).tar.gz
	$(say) DIST $(DIST_DIR)/$(DIST_NAME).$(DIST_ARCH).rock
	$(Q)cd $(DIST_DIR) && luarocks --lua-version=5.4 build --pack-binary-rock $(DIST_NAME).src.rock >build.log 2>&1 \
		|| { cat build.log >&2; exit 1; }
	$(Q)mv $(DIST_DIR)/$(DIST_NAME).all.rock $(DIST_DIR)/$(DIST_NAME).$(DIST_ARCH).rock

$(BUILD)/bench/bench_lifecycle: relay/bench/bench_lifecycle.c $(LIB)
	@mkdir -p $(dir $@)
	$(say) CCLD $(notdir $@)
	$(Q)$(CC) $(BASE_CFLAGS) $(OPT_CFLAGS) -o $@ $< -L$(BUILD)/lib -lcallrelay -Wl,-rpath,'$$ORIGIN/../lib'

BENCH_ANSWER_SRC = relay/bench/bench_answer.c relay/bench/janus_client.c relay/bench/sip_tap.c \
	relay/tests/peer_client.c relay/tests/sip_helpers.c \
	relay/tests/helpers.c relay/tests/netns.c
$(BUILD)/bench/bench_answer: $(BENCH_ANSWER_SRC) $(RELAY_OBJ) $(CTEST_HDR) $(wildcard relay/bench/*.h)
	@mkdir -p $(dir $@)
	$(say) CCLD $(notdir $@)
	$(Q)$(CC) $(BASE_CFLAGS) $(shell $(PKG_CONFIG) --cflags $(CTEST_PKGS)) $(OPT_CFLAGS) -Irelay/src \
		-o $@ $(BENCH_ANSWER_SRC) $(RELAY_OBJ) $(RELAY_LIBS) $(shell $(PKG_CONFIG) --libs $(CTEST_PKGS)) -lm

# The load generator and, in child processes, the relay and the bare loop
# (relay/bench/bench_ramp.c). Links the relay's objects, not the library,
# like bench_answer.
$(BUILD)/bench/bench_ramp: relay/bench/bench_ramp.c $(RELAY_OBJ)
	@mkdir -p $(dir $@)
	$(say) CCLD $(notdir $@)
	$(Q)$(CC) $(BASE_CFLAGS) $(shell $(PKG_CONFIG) --cflags $(CTEST_PKGS)) $(OPT_CFLAGS) -Irelay/src \
		-o $@ relay/bench/bench_ramp.c $(RELAY_OBJ) $(RELAY_LIBS) $(shell $(PKG_CONFIG) --libs $(CTEST_PKGS)) -lm

# The relay's memory per call; the peers run in a forked child.
BENCH_MEMORY_SRC = relay/bench/bench_memory.c relay/tests/peer_client.c relay/tests/peer_echo.c
$(BUILD)/bench/bench_memory: $(BENCH_MEMORY_SRC) $(RELAY_OBJ) $(CTEST_HDR)
	@mkdir -p $(dir $@)
	$(say) CCLD $(notdir $@)
	$(Q)$(CC) $(BASE_CFLAGS) $(OPT_CFLAGS) -Irelay/src \
		-o $@ $(BENCH_MEMORY_SRC) $(RELAY_OBJ) $(RELAY_LIBS) -lm

# libsrtp2 alone, stock (NSS) against our OpenSSL types, 1..2,000 sessions.
BENCH_SRTP_SRC = relay/bench/bench_srtp.c relay/src/media/srtp_ossl.c
$(BUILD)/bench/bench_srtp: $(BENCH_SRTP_SRC) relay/src/media/srtp_ossl.h
	@mkdir -p $(dir $@)
	$(say) CCLD $(notdir $@)
	$(Q)$(CC) $(BASE_CFLAGS) $(OPT_CFLAGS) -Irelay/src -o $@ $(BENCH_SRTP_SRC) $(RELAY_LIBS)

# The kernel's own cost per forwarded datagram on loopback, nothing else.
$(BUILD)/bench/bench_udp_floor: relay/bench/bench_udp_floor.c
	@mkdir -p $(dir $@)
	$(say) CCLD $(notdir $@)
	$(Q)$(CC) $(BASE_CFLAGS) $(OPT_CFLAGS) -o $@ $<

bench: all $(BUILD)/bench/bench_lifecycle $(BUILD)/bench/bench_answer \
	$(BUILD)/bench/bench_ramp $(BUILD)/bench/bench_srtp $(BUILD)/bench/bench_memory \
	$(BUILD)/bench/bench_udp_floor
	@sh scripts/bench.sh

# Fuzzing (relay/fuzz/): every relay/fuzz/fuzz_NAME.c is a libFuzzer target
# build/fuzz/bin/fuzz_NAME, linked with the whole relay compiled by clang
# with the same sanitizers, plus the shared helpers relay/fuzz/*.c that are
# not targets (relay/fuzz/harness.c). scripts/fuzz.sh runs each one from
# relay/fuzz/corpus/NAME/ and writes build/fuzz/results.txt.
FUZZ_CC ?= clang
FUZZ_SECONDS ?= 60
FUZZ_SAN = -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_CFLAGS = $(BASE_CFLAGS) -O1 -g $(FUZZ_SAN) -Irelay/src -Irelay/fuzz
FUZZ_SRC = $(sort $(wildcard relay/fuzz/fuzz_*.c))
FUZZ_HELPER_SRC = $(filter-out $(FUZZ_SRC),$(sort $(wildcard relay/fuzz/*.c)))
FUZZ_BIN = $(FUZZ_SRC:relay/fuzz/%.c=$(BUILD)/fuzz/bin/%)
FUZZ_RELAY_OBJ = $(RELAY_SRC:%.c=$(BUILD)/fuzz/obj/%.o) $(FUZZ_HELPER_SRC:%.c=$(BUILD)/fuzz/obj/%.o)

$(BUILD)/fuzz/obj/%.o: %.c $(RELAY_HDR) $(wildcard relay/fuzz/*.h)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c $< -o $@

# libFuzzer's entry points (LLVMFuzzerTestOneInput, ...) need no prototype.
$(BUILD)/fuzz/bin/%: relay/fuzz/%.c $(FUZZ_RELAY_OBJ) $(RELAY_HDR) $(wildcard relay/fuzz/*.h)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -Wno-missing-prototypes -fsanitize=fuzzer -o $@ $< \
		$(FUZZ_RELAY_OBJ) $(RELAY_LIBS) -lm

# Kept between runs: the objects are intermediates of the pattern rules.
.SECONDARY: $(FUZZ_RELAY_OBJ)

fuzz-build: $(FUZZ_BIN)

fuzz: fuzz-build
	@FUZZ_SECONDS=$(FUZZ_SECONDS) BUILD=$(BUILD) sh scripts/fuzz.sh $(FUZZ_BIN)

clean:
	$(say) RM "$(BUILD) web/dist"
	$(Q)rm -rf $(BUILD) web/dist
