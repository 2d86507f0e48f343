# vmlab -- one GNU Makefile.
#   make            library (build/libvmlab.a, build/libvmlab.so) and build/vmlab
#   make run        the guided tour on a built-in default machine
#   make test       unit + scenario + bad-input tests under ASan/UBSan
#   make bench      benchmarks (optimised build), operations per second, and
#                   trace replay against libCacheSim (bench/replay.sh)
#   make fuzz       the libFuzzer targets, FUZZ_TIME seconds each
#   make install    PREFIX=/usr/local: header, libraries, pkg-config file, vmlab

PREFIX  ?= /usr/local
CC      ?= cc
VERSION := 0.1.0

WARN    := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wvla
ifeq ($(CI),true)
WARN    += -Werror
endif
CSTD    := -std=c11 -D_POSIX_C_SOURCE=200809L
OPT     ?= -O2 -g
CFLAGS_LIB := $(CSTD) $(WARN) $(OPT) -fPIC -fvisibility=hidden -Iinclude -Isrc
CFLAGS_APP := $(CSTD) $(WARN) $(OPT) -Iinclude
SAN     := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
# Test build: sanitizers, and the library checks every invariant after
# every public operation (VML_TEST_BUILD turns VML_CFG_CHECK on by default).
CFLAGS_TLIB := $(CSTD) $(WARN) -O1 -g $(SAN) -DVML_TEST_BUILD -Iinclude -Isrc
CFLAGS_TAPP := $(CSTD) $(WARN) -O1 -g $(SAN) -DVML_TEST_BUILD -Iinclude -Isrc

# Layers, bottom up: hw, policy <- mm <- os <- view (trace and loader come later).
LIB_SRC := $(wildcard src/hw/*.c) $(wildcard src/policy/*.c) $(wildcard src/mm/*.c) $(wildcard src/os/*.c) \
           $(wildcard src/view/*.c)
# Traces (src/trace/): readers, decompression, replay engines.  They need
# Debian's libzstd-dev, liblzma-dev and zlib1g-dev (rule tracedeps below);
# the library's users link LIBS too (vmlab.pc says so).
LIB_SRC += $(wildcard src/trace/*.c)
LIBS    := -lzstd -llzma -lz -lpthread -lm
LIB_HDR := include/vmlab.h $(wildcard src/*/*.h)
CLI_SRC := $(wildcard src/cli/*.c)
CLI_HDR := $(wildcard src/cli/*.h)

B  := build
TB := build/test
LIB_OBJ  := $(LIB_SRC:%.c=$(B)/%.o)
TLIB_OBJ := $(LIB_SRC:%.c=$(TB)/%.o)

.PHONY: all run test unit bench install uninstall clean cmocka
all: $(B)/libvmlab.a $(B)/libvmlab.so $(B)/vmlab

$(B)/%.o: %.c $(LIB_HDR)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_LIB) -c $< -o $@
$(B)/libvmlab.a: $(LIB_OBJ)
	ar rcs $@ $^
$(B)/libvmlab.so: $(LIB_OBJ)
	$(CC) -shared -o $@ $^ $(LIBS)
$(B)/vmlab: $(CLI_SRC) $(CLI_HDR) $(B)/libvmlab.a
	$(CC) $(CFLAGS_APP) $(CLI_SRC) $(B)/libvmlab.a $(LIBS) -o $@

run: $(B)/vmlab
	./$(B)/vmlab tour

# ---- tests -----------------------------------------------------------
$(TB)/%.o: %.c $(LIB_HDR)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_TLIB) -c $< -o $@
$(TB)/libvmlab.a: $(TLIB_OBJ)
	ar rcs $@ $^
$(TB)/vmlab: $(CLI_SRC) $(CLI_HDR) $(TB)/libvmlab.a
	$(CC) $(CFLAGS_TAPP) $(CLI_SRC) $(TB)/libvmlab.a $(LIBS) -o $@

UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(TB)/unit/%)
$(TB)/unit/%: tests/unit/%.c tests/unit/testutil.h $(TB)/libvmlab.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_TAPP) $< $(TB)/libvmlab.a -lcmocka $(LIBS) -o $@

# The unit tests use cmocka (Debian: libcmocka-dev); installed when missing.
cmocka:
	@if [ ! -f /usr/include/cmocka.h ]; then \
	  echo "installing libcmocka-dev (test framework)"; \
	  (apt-get update -qq && apt-get install -y -qq libcmocka-dev) >/dev/null || \
	  { echo "could not install libcmocka-dev"; exit 1; }; fi

# The trace layer's libraries (and, for tests, valgrind to record traces and
# clang's libFuzzer), installed when missing: as root with apt-get, saying
# so; otherwise the missing packages and the command are printed.
TRACE_PKGS := libzstd-dev:/usr/include/zstd.h liblzma-dev:/usr/include/lzma.h \
              zlib1g-dev:/usr/include/zlib.h
TEST_PKGS  := valgrind:/usr/bin/valgrind clang:/usr/bin/clang \
              libclang-rt-14-dev:/usr/lib/llvm-14/lib/clang/14.0.6/lib/linux/libclang_rt.fuzzer-x86_64.a
define need_pkgs
	@missing=""; for pf in $(1); do [ -e "$${pf#*:}" ] || missing="$$missing $${pf%%:*}"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then echo "installing$$missing"; \
	    (apt-get update -qq && apt-get install -y -qq $$missing) >/dev/null || \
	    { echo "could not install$$missing"; exit 1; }; \
	  else echo "missing Debian packages:$$missing"; \
	    echo "install them with: sudo apt-get install -y$$missing"; exit 1; fi; fi
endef
.PHONY: tracedeps testdeps
tracedeps:
	$(call need_pkgs,$(TRACE_PKGS))
testdeps: tracedeps
	$(call need_pkgs,$(TEST_PKGS))
$(filter $(B)/src/trace/%,$(LIB_OBJ)) $(filter $(TB)/src/trace/%,$(TLIB_OBJ)): | tracedeps

test: cmocka testdeps $(UNIT_BIN) $(TB)/vmlab $(FUZZ_BIN)
	@./tests/run_tests.sh $(TB)

unit: cmocka $(UNIT_BIN)
	@for t in $(UNIT_BIN); do $$t || exit 1; done

# ---- fuzzing (libFuzzer: clang, Debian libclang-rt-14-dev) -----------------
# One target per trace reader (tests/fuzz/fuzz_trace.c built with
# -DFUZZ_FORMAT=...), on the library built with clang's coverage
# instrumentation and ASan/UBSan.  make test runs each for FUZZ_SHORT
# seconds (tests/run_tests.sh); make fuzz for FUZZ_TIME seconds each.
FZ          := build/fuzz
FUZZ_NAMES  := lackey text csv vmt oracle auto
FUZZ_BIN    := $(FUZZ_NAMES:%=$(FZ)/fuzz_%)
FUZZ_TIME   ?= 60
FUZZ_FLAGS  := $(CSTD) -D_GNU_SOURCE -g -O1 -fno-omit-frame-pointer -DVML_TEST_BUILD \
               -fsanitize=address,undefined -fno-sanitize-recover=all -Iinclude -Isrc
FUZZ_OBJ    := $(LIB_SRC:%.c=$(FZ)/%.o)
fuzz_format  = $(if $(filter auto,$(1)),VML_TRACE_AUTO,VML_TRACE_$(shell echo $(1) | tr a-z A-Z))
$(FZ)/%.o: %.c $(LIB_HDR) | testdeps
	@mkdir -p $(dir $@)
	clang $(FUZZ_FLAGS) -fsanitize=fuzzer-no-link -c $< -o $@
$(FZ)/libvmlab.a: $(FUZZ_OBJ)
	ar rcs $@ $^
$(FZ)/fuzz_%: tests/fuzz/fuzz_trace.c $(FZ)/libvmlab.a
	clang $(FUZZ_FLAGS) -fsanitize=fuzzer -DFUZZ_FORMAT=$(call fuzz_format,$*) $< \
	    $(FZ)/libvmlab.a $(LIBS) -o $@
.PHONY: fuzz
fuzz: $(FUZZ_BIN)
	@for n in $(FUZZ_NAMES); do mkdir -p $(FZ)/corpus-$$n; \
	  echo "fuzz_$$n for $(FUZZ_TIME) s"; \
	  $(FZ)/fuzz_$$n -max_total_time=$(FUZZ_TIME) -rss_limit_mb=2048 \
	    $(FZ)/corpus-$$n tests/fuzz/corpus/$$n || exit 1; done

# ---- benchmarks --------------------------------------------------------
$(B)/bench: bench/bench.c $(B)/libvmlab.a
	$(CC) $(CSTD) $(WARN) -O2 -g -Iinclude bench/bench.c $(B)/libvmlab.a $(LIBS) -o $@
bench: $(B)/bench $(B)/vmlab
	./$(B)/bench
	@bash bench/replay.sh $(B)

# ---- install -------------------------------------------------------------
install: all
	install -d $(DESTDIR)$(PREFIX)/include $(DESTDIR)$(PREFIX)/lib/pkgconfig $(DESTDIR)$(PREFIX)/bin
	install -m 644 include/vmlab.h $(DESTDIR)$(PREFIX)/include/
	install -m 644 $(B)/libvmlab.a $(DESTDIR)$(PREFIX)/lib/
	install -m 755 $(B)/libvmlab.so $(DESTDIR)$(PREFIX)/lib/
	install -m 755 $(B)/vmlab $(DESTDIR)$(PREFIX)/bin/
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@VERSION@|$(VERSION)|' vmlab.pc.in \
	    > $(DESTDIR)$(PREFIX)/lib/pkgconfig/vmlab.pc
uninstall:
	rm -f $(DESTDIR)$(PREFIX)/include/vmlab.h $(DESTDIR)$(PREFIX)/lib/libvmlab.* \
	      $(DESTDIR)$(PREFIX)/bin/vmlab $(DESTDIR)$(PREFIX)/lib/pkgconfig/vmlab.pc

clean:
	rm -rf $(B)
