# vmlab -- one GNU Makefile.
#   make            library (build/libvmlab.a, build/libvmlab.so) and build/vmlab
#   make run        the guided tour on a built-in default machine
#   make test       unit + scenario + bad-input tests under ASan/UBSan
#   make bench      benchmarks (optimised build), operations per second
#   make bench-cg   instruction counts of the hardware's hot paths (callgrind)
#   make fuzz       the PE and ELF parsers' libFuzzer targets, long (FUZZ_RUNS=N)
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

# Layers, bottom up: hw, policy <- mm <- os, loader <- view (trace comes later).
LIB_SRC := $(wildcard src/hw/*.c) $(wildcard src/policy/*.c) $(wildcard src/mm/*.c) $(wildcard src/os/*.c) \
           $(wildcard src/view/*.c) $(wildcard src/loader/*.c)
LIB_HDR := include/vmlab.h $(wildcard src/*/*.h)
CLI_SRC := $(wildcard src/cli/*.c)
CLI_HDR := $(wildcard src/cli/*.h)

B  := build
TB := build/test
LIB_OBJ  := $(LIB_SRC:%.c=$(B)/%.o)
TLIB_OBJ := $(LIB_SRC:%.c=$(TB)/%.o)

.PHONY: all run test unit bench icount install uninstall clean cmocka
all: $(B)/libvmlab.a $(B)/libvmlab.so $(B)/vmlab

$(B)/%.o: %.c $(LIB_HDR)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_LIB) -c $< -o $@
$(B)/libvmlab.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^
$(B)/libvmlab.so: $(LIB_OBJ)
	$(CC) -shared -o $@ $^
CLI_LIBS := -ledit
$(B)/vmlab: $(CLI_SRC) $(CLI_HDR) $(B)/libvmlab.a
	$(CC) $(CFLAGS_APP) $(CLI_SRC) $(B)/libvmlab.a $(CLI_LIBS) -o $@

run: $(B)/vmlab
	./$(B)/vmlab tour

# ---- tests -----------------------------------------------------------
$(TB)/%.o: %.c $(LIB_HDR)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_TLIB) -c $< -o $@
$(TB)/libvmlab.a: $(TLIB_OBJ)
	@rm -f $@
	ar rcs $@ $^
$(TB)/vmlab: $(CLI_SRC) $(CLI_HDR) $(TB)/libvmlab.a
	$(CC) $(CFLAGS_TAPP) $(CLI_SRC) $(TB)/libvmlab.a $(CLI_LIBS) -o $@

UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(TB)/unit/%)
$(TB)/unit/%: tests/unit/%.c tests/unit/testutil.h $(TB)/libvmlab.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_TAPP) $< $(TB)/libvmlab.a -lcmocka -o $@

# The unit tests use cmocka (Debian: libcmocka-dev); installed when missing.
cmocka:
	@if [ ! -f /usr/include/cmocka.h ]; then \
	  echo "installing libcmocka-dev (test framework)"; \
	  (apt-get update -qq && apt-get install -y -qq libcmocka-dev) >/dev/null || \
	  { echo "could not install libcmocka-dev"; exit 1; }; fi

# ptyexpect plays dialogues with `vmlab shell` on a pseudo-terminal.
$(TB)/ptyexpect: tests/cli/ptyexpect.c
	@mkdir -p $(dir $@)
	$(CC) $(CSTD) -D_DEFAULT_SOURCE $(WARN) -O1 -g $< -lutil -o $@

test: cmocka loader-deps loader-images $(UNIT_BIN) $(TB)/vmlab $(TB)/ptyexpect
	@$(MAKE) --no-print-directory fuzz-short
	@./tests/run_tests.sh $(TB)

unit: cmocka loader-deps loader-images $(UNIT_BIN)
	@for t in $(UNIT_BIN); do $$t || exit 1; done

# ---- loader: test images and fuzzing --------------------------------------
# The PE test images are built with mingw-w64, the 32-bit ELF ones with
# gcc -m32, the fuzzers with clang's libFuzzer: Debian packages installed
# here when missing (as root; otherwise the apt-get line is printed), after
# cmocka's install so two apt-get runs never race under make -j.
IMG := $(TB)/images
LOADER_IMAGES := $(foreach b,32 64,$(IMG)/pedll$(b).dll $(IMG)/peexe$(b).exe $(IMG)/peexe$(b)_fixed.exe) \
                 $(IMG)/static_pie $(IMG)/pie32
MINGW_x64 := x86_64-w64-mingw32-gcc
MINGW_x86 := i686-w64-mingw32-gcc
PE_FLAGS := -O1 -s -Wl,--no-insert-timestamp
.PHONY: loader-deps loader-images fuzz fuzz-short
loader-deps: | cmocka
	@missing=""; \
	command -v $(MINGW_x64) >/dev/null || missing="$$missing gcc-mingw-w64-x86-64"; \
	command -v $(MINGW_x86) >/dev/null || missing="$$missing gcc-mingw-w64-i686"; \
	command -v readelf >/dev/null && command -v objdump >/dev/null || missing="$$missing binutils"; \
	[ -e /usr/lib32/crt1.o ] && [ -d /usr/lib/gcc/x86_64-linux-gnu/$$(gcc -dumpversion)/32 ] || \
	  missing="$$missing gcc-multilib"; \
	command -v clang >/dev/null || missing="$$missing clang"; \
	ls /usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a >/dev/null 2>&1 || \
	  missing="$$missing libclang-rt-14-dev"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then echo "installing$$missing (loader test images, fuzzers)"; \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing) \
	      >/dev/null || { echo "could not install$$missing"; exit 1; }; \
	  else echo "missing Debian packages:$$missing"; \
	    echo "  sudo apt-get install -y$$missing"; exit 1; fi; fi
loader-images: loader-deps $(LOADER_IMAGES)
$(LOADER_IMAGES): | loader-deps
$(IMG)/pedll64.dll: tests/images/pedll.c tests/images/pedll.def
	@mkdir -p $(IMG)
	$(MINGW_x64) $(PE_FLAGS) -shared -o $@ $^ -Wl,--out-implib,$(IMG)/libpedll64.a
$(IMG)/pedll32.dll: tests/images/pedll.c tests/images/pedll.def
	@mkdir -p $(IMG)
	$(MINGW_x86) $(PE_FLAGS) -shared -o $@ $^ -Wl,--out-implib,$(IMG)/libpedll32.a
$(IMG)/peexe%.exe: tests/images/peexe.c $(IMG)/pedll%.dll
	$(MINGW_x$(if $(filter 32,$*),86,64)) $(PE_FLAGS) -o $@ $< $(IMG)/libpedll$*.a
$(IMG)/peexe%_fixed.exe: tests/images/peexe.c $(IMG)/pedll%.dll
	$(MINGW_x$(if $(filter 32,$*),86,64)) $(PE_FLAGS) -o $@ $< $(IMG)/libpedll$*.a -Wl,--disable-dynamicbase
$(IMG)/static_pie: tests/images/elfhello.c
	@mkdir -p $(IMG)
	$(CC) -O1 -static-pie -o $@ $<
$(IMG)/pie32: tests/images/elfhello.c
	@mkdir -p $(IMG)
	$(CC) -O1 -m32 -pie -fPIE -o $@ $<

# libFuzzer targets: the parsers built with clang and sanitizers.  Corpus:
# the test images, real binaries of this machine, the malformed files the
# unit tests write (build/test/seeds/) and every crash ever found
# (tests/fuzz/regress/, also replayed by the unit tests).
FUZZ_CC   := clang
FUZZ_B    := build/fuzz
FUZZ_SECS ?= 4
FUZZ_RUNS ?= 10000000
$(FUZZ_B)/fuzz_%: tests/fuzz/fuzz_%.c $(wildcard src/loader/*.c) $(wildcard src/loader/*.h) | loader-deps
	@mkdir -p $(FUZZ_B)
	$(FUZZ_CC) -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
	  -Iinclude -Isrc $< $(wildcard src/loader/*.c) -o $@
$(FUZZ_B)/corpus_%: $(FUZZ_B)/fuzz_% loader-images
	@mkdir -p $@
	@for f in $(TB)/images/* tests/fuzz/regress/$*/* $(TB)/seeds/$*/*; do \
	  [ -f "$$f" ] && cp "$$f" $@/ || true; done
	@if [ "$*" = elf ]; then cp /usr/bin/ls /usr/bin/true $@/ 2>/dev/null || true; fi
	@rm -f $@/libpedll*.a
fuzz-short: $(FUZZ_B)/fuzz_pe $(FUZZ_B)/fuzz_elf $(FUZZ_B)/corpus_pe $(FUZZ_B)/corpus_elf
	@for t in pe elf; do rm -rf $(FUZZ_B)/run_$$t; mkdir -p $(FUZZ_B)/run_$$t; \
	  ./$(FUZZ_B)/fuzz_$$t -max_total_time=$(FUZZ_SECS) -max_len=262144 -seed=1 -print_final_stats=1 \
	    -artifact_prefix=$(FUZZ_B)/crash_$$t- $(FUZZ_B)/run_$$t $(FUZZ_B)/corpus_$$t \
	    >$(FUZZ_B)/short_$$t.log 2>&1 || { tail -n 30 $(FUZZ_B)/short_$$t.log; exit 1; }; \
	  echo "fuzz_$$t: $$(grep -o 'stat::number_of_executed_units: *[0-9]*' $(FUZZ_B)/short_$$t.log \
	    | grep -o '[0-9]*$$') executions in $(FUZZ_SECS) s, no crash"; done
# A long run: make fuzz FUZZ_RUNS=10000000 (nice; one target after the other).
fuzz: $(FUZZ_B)/fuzz_pe $(FUZZ_B)/fuzz_elf $(FUZZ_B)/corpus_pe $(FUZZ_B)/corpus_elf
	@for t in pe elf; do mkdir -p $(FUZZ_B)/long_$$t; \
	  nice ./$(FUZZ_B)/fuzz_$$t -runs=$(FUZZ_RUNS) -max_len=262144 -print_final_stats=1 \
	    -artifact_prefix=$(FUZZ_B)/crash_$$t- $(FUZZ_B)/long_$$t $(FUZZ_B)/corpus_$$t \
	    2>&1 | tail -n 25; done

# ---- benchmarks --------------------------------------------------------
$(B)/bench: bench/bench.c tests/unit/testutil.h $(B)/libvmlab.a
	$(CC) $(CSTD) $(WARN) -O2 -g -Iinclude -Itests/unit bench/bench.c $(B)/libvmlab.a -o $@
$(B)/bench_loader: bench/bench_loader.c $(B)/libvmlab.a
	$(CC) $(CSTD) $(WARN) -O2 -g -Iinclude -Isrc bench/bench_loader.c $(B)/libvmlab.a -o $@
bench: $(B)/bench $(B)/bench_loader
	./$(B)/bench
	./$(B)/bench_loader

# Instructions per operation under callgrind (repeatable, unlike timings).
$(B)/icount: bench/icount.c $(B)/libvmlab.a
	$(CC) $(CSTD) $(WARN) -O2 -g -Iinclude bench/icount.c $(B)/libvmlab.a -o $@
icount: $(B)/icount
	./bench/icount.sh ./$(B)/icount

# Instructions per TLB hit, walk, fill and invlpg under callgrind (valgrind).
.PHONY: bench-cg
$(B)/cg_hw: bench/cg_hw.c $(B)/libvmlab.a
	$(CC) $(CSTD) $(WARN) -O2 -g -Iinclude bench/cg_hw.c $(B)/libvmlab.a -o $@
bench-cg: $(B)/cg_hw
	./bench/callgrind.sh $(B)

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
