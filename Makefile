# vmlab -- one GNU Makefile.
#   make            library (build/libvmlab.a, build/libvmlab.so) and build/vmlab
#   make run        the guided tour on a built-in default machine
#   make test       unit + scenario + bad-input tests under ASan/UBSan
#   make bench      benchmarks (optimised build), operations per second, and
#                   trace replay against libCacheSim (bench/replay.sh)
#   make bench-cg   instruction counts of the hardware's hot paths (callgrind)
#   make install    PREFIX=/usr/local (DESTDIR=): header, libraries,
#                   pkg-config file, vmlab
#   make fuzz       FUZZ_TIME=SECONDS of each libFuzzer target (API, script, PE, ELF,
#                   a trace reader per format)

PREFIX  ?= /usr/local
CC      ?= cc
LD      ?= ld
OBJCOPY ?= objcopy
VERSION := 0.1.0
SONAME  := libvmlab.so.0
SO_FILE := libvmlab.so.$(VERSION)

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

# Layers, bottom up: hw, policy <- mm <- os, loader <- trace <- view.
LIB_SRC := $(wildcard src/hw/*.c) $(wildcard src/policy/*.c) $(wildcard src/mm/*.c) $(wildcard src/os/*.c) \
           $(wildcard src/view/*.c) $(wildcard src/loader/*.c)
# Traces (src/trace/): readers, decompression, replay engines.  They need
# Debian's libzstd-dev, liblzma-dev and zlib1g-dev (tools/deps.sh, group
# build); whatever links the library links LIBS too (vmlab.pc says so).
LIB_SRC += $(wildcard src/trace/*.c)
LIBS    := -lzstd -llzma -lz -lpthread -lm
LIB_HDR := include/vmlab.h $(wildcard src/*/*.h)
CLI_SRC := $(wildcard src/cli/*.c)
CLI_HDR := $(wildcard src/cli/*.h)

B  := build
TB := build/test
FZ := build/fuzz
# One trace target per reader (tests/fuzz/fuzz_trace.c, -DFUZZ_FORMAT=...).
FUZZ_TRACE_FORMATS := lackey text csv vmt oracle auto
FUZZ_BIN := $(FZ)/fuzz_api $(FZ)/fuzz_script $(FZ)/fuzz_pe $(FZ)/fuzz_elf $(FZ)/fuzz_plotcsv \
            $(FUZZ_TRACE_FORMATS:%=$(FZ)/fuzz_trace_%)
# Seconds of each fuzz target in make test.
FUZZ_TEST_TIME ?= 5
LIB_OBJ  := $(LIB_SRC:%.c=$(B)/%.o)
TLIB_OBJ := $(LIB_SRC:%.c=$(TB)/%.o)

.PHONY: all run test unit bench icount install uninstall clean fuzz deps-build deps-test deps-fuzz
all: $(B)/libvmlab.a $(B)/libvmlab.so $(B)/vmlab

$(B)/%.o: %.c $(LIB_HDR)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_LIB) -c $< -o $@
# The static library is one relocatable object whose internal symbols are
# local: only the vml_ API (VML_API, default visibility; everything else
# is compiled hidden) is global, so a program may define its own tlb_flush
# or phys_init and still link libvmlab.a.
$(B)/vmlab.o: $(LIB_OBJ)
	$(LD) -r -o $@.tmp $^
	$(OBJCOPY) --localize-hidden $@.tmp $@
	rm -f $@.tmp
$(B)/libvmlab.a: $(B)/vmlab.o
	rm -f $@
	ar rcs $@ $<
# The shared library: a versioned file, its SONAME and the link-time name.
$(B)/$(SO_FILE): $(LIB_OBJ)
	$(CC) -shared -Wl,-soname,$(SONAME) -o $@ $^ $(LIBS)
$(B)/libvmlab.so: $(B)/$(SO_FILE)
	ln -sf $(SO_FILE) $(B)/$(SONAME)
	ln -sf $(SONAME) $@
# The Debian packages a target needs (tools/deps.sh: as root it installs the
# missing ones, saying so; otherwise it names them and the apt-get command,
# and the build stops).  Order-only: checking rebuilds nothing.
deps-build:
	@tools/deps.sh build
deps-test:
	@tools/deps.sh build test fuzz
deps-fuzz:
	@tools/deps.sh fuzz

# The trace layer includes zstd.h, lzma.h and zlib.h (group build).
$(filter %/src/trace/%,$(LIB_OBJ) $(TLIB_OBJ) $(LIB_SRC:%.c=$(FZ)/%.o)): | deps-build

CLI_LIBS := -ledit
$(B)/vmlab: $(CLI_SRC) $(CLI_HDR) $(B)/libvmlab.a | deps-build
	$(CC) $(CFLAGS_APP) $(CLI_SRC) $(B)/libvmlab.a $(CLI_LIBS) $(LIBS) -o $@

run: $(B)/vmlab
	./$(B)/vmlab tour

# ---- tests -----------------------------------------------------------
$(TB)/%.o: %.c $(LIB_HDR)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_TLIB) -c $< -o $@
$(TB)/libvmlab.a: $(TLIB_OBJ)
	@rm -f $@
	ar rcs $@ $^
$(TB)/vmlab: $(CLI_SRC) $(CLI_HDR) $(TB)/libvmlab.a | deps-build
	$(CC) $(CFLAGS_TAPP) $(CLI_SRC) $(TB)/libvmlab.a $(CLI_LIBS) $(LIBS) -o $@

UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(TB)/unit/%)
$(TB)/unit/%: tests/unit/%.c $(wildcard tests/unit/*.h) $(TB)/libvmlab.a | deps-test
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_TAPP) $< $(TB)/libvmlab.a -lcmocka $(LIBS) -o $@
# (a test's own header)
$(TB)/unit/test_share_property: tests/unit/share_model.h

# ptyexpect plays dialogues with `vmlab shell` on a pseudo-terminal.
$(TB)/ptyexpect: tests/cli/ptyexpect.c
	@mkdir -p $(dir $@)
	$(CC) $(CSTD) -D_DEFAULT_SOURCE $(WARN) -O1 -g $< -lutil -o $@

# pngcheck tells the report's browser test whether a screenshot is blank.
$(TB)/pngcheck: tests/cli/pngcheck.c | deps-test
	@mkdir -p $(dir $@)
	$(CC) $(CSTD) $(WARN) -O1 -g $< -lz -o $@

# The examples: C programs on the public API only, built on the sanitizer
# library, run by make test against their .out files.
EXAMPLE_SRC := $(wildcard examples/*.c)
EXAMPLE_BIN := $(EXAMPLE_SRC:examples/%.c=$(TB)/examples/%)
$(TB)/examples/%: examples/%.c include/vmlab.h $(TB)/libvmlab.a
	@mkdir -p $(dir $@)
	$(CC) $(CSTD) $(WARN) -O1 -g $(SAN) -Iinclude $< $(TB)/libvmlab.a $(LIBS) -o $@

test: deps-test loader-images $(UNIT_BIN) $(TB)/vmlab $(TB)/ptyexpect $(TB)/pngcheck $(EXAMPLE_BIN) all $(FUZZ_BIN)
	@FUZZ_TEST_TIME=$(FUZZ_TEST_TIME) ./tests/run_tests.sh $(TB) $(B) $(FZ)

unit: deps-test loader-images $(UNIT_BIN)
	@for t in $(UNIT_BIN); do $$t || exit 1; done

# ---- fuzzing (clang's libFuzzer) -----------------------------------------
# make fuzz FUZZ_TIME=SECONDS runs each target that long (default 60) on a
# corpus in build/fuzz/ seeded from tests/fuzz/seeds, tests/scenarios (the
# script target), the test images and the malformed files the loader's unit
# tests write (the PE and ELF targets);
# make test runs every kept crash (tests/fuzz/regress) and a few seconds of
# each target (FUZZ_TEST_TIME).  The library is the test build: every
# invariant checked after every call, a broken one aborts.
FUZZ_CC    ?= clang
FUZZ_TIME  ?= 60
FUZZ_SAN   := $(CSTD) -g -O1 -fsanitize=address,undefined -fno-sanitize-recover=all \
              -fno-omit-frame-pointer -DVML_TEST_BUILD
# The targets and the CLI get libFuzzer's full instrumentation; the library
# only its edge counters: comparison tracing (trace-cmp) in the invariant
# checks, run after every call, made the API target four times slower.
FUZZ_FLAGS := $(FUZZ_SAN) -fsanitize=fuzzer-no-link
FUZZ_LIB_FLAGS := $(FUZZ_SAN) -fsanitize-coverage=inline-8bit-counters,pc-table
FUZZ_LIB_OBJ := $(LIB_SRC:%.c=$(FZ)/%.o)
FUZZ_CLI_SRC := $(filter-out src/cli/main.c,$(CLI_SRC))

$(FZ)/%.o: %.c $(LIB_HDR)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_LIB_FLAGS) -Iinclude -Isrc -c $< -o $@
$(FUZZ_LIB_OBJ): | deps-fuzz
$(FZ)/fuzz_api: tests/fuzz/fuzz_api.c $(FUZZ_LIB_OBJ)
	$(FUZZ_CC) $(FUZZ_FLAGS) -fsanitize=fuzzer -Iinclude $^ $(LIBS) -o $@
# report --plot's CSV reader (the CLI's plotcsv.c) on the library.
$(FZ)/fuzz_plotcsv: tests/fuzz/fuzz_plotcsv.c src/cli/plotcsv.c src/cli/plotreplay.c $(CLI_HDR) $(FUZZ_LIB_OBJ)
	$(FUZZ_CC) $(FUZZ_FLAGS) -fsanitize=fuzzer -Iinclude -Isrc/cli tests/fuzz/fuzz_plotcsv.c \
	    src/cli/plotcsv.c src/cli/plotreplay.c $(FUZZ_LIB_OBJ) $(LIBS) -o $@
$(FZ)/fuzz_script: tests/fuzz/fuzz_script.c $(FUZZ_CLI_SRC) $(CLI_HDR) $(FUZZ_LIB_OBJ)
	$(FUZZ_CC) $(FUZZ_FLAGS) -fsanitize=fuzzer -Iinclude -Isrc/cli tests/fuzz/fuzz_script.c \
	    $(FUZZ_CLI_SRC) $(FUZZ_LIB_OBJ) $(CLI_LIBS) $(LIBS) -o $@
# A trace reader per target: fuzz_trace_FORMAT reads its input as
# VML_TRACE_FORMAT (fuzz_trace_auto: detection and the decompressors).
fuzz_format = VML_TRACE_$(shell echo $(1) | tr a-z A-Z)
$(FUZZ_TRACE_FORMATS:%=$(FZ)/fuzz_trace_%): $(FZ)/fuzz_trace_%: tests/fuzz/fuzz_trace.c $(FUZZ_LIB_OBJ)
	$(FUZZ_CC) $(FUZZ_FLAGS) -fsanitize=fuzzer -DFUZZ_FORMAT=$(call fuzz_format,$*) -Iinclude \
	    $^ $(LIBS) -o $@

# The PE and ELF parsers alone, fully instrumented: they use nothing else.
# (the parsers: not the loaders, ldfile/winload/elfload/modinfo, which map
# images through mm/)
LOADER_SRC := $(addprefix src/loader/,elf.c elf_dyn.c image.c pe.c pe_dirs.c reader.c reloc.c)
$(FZ)/fuzz_pe $(FZ)/fuzz_elf: $(FZ)/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz_image.h $(LOADER_SRC) $(wildcard src/loader/*.h) | deps-fuzz
	@mkdir -p $(FZ)
	$(FUZZ_CC) $(FUZZ_SAN) -fsanitize=fuzzer -Iinclude -Isrc $< $(LOADER_SRC) -o $@

fuzz: $(FUZZ_BIN) loader-images
	tests/fuzz/run.sh $(FZ) $(FUZZ_TIME)

# ---- loader: test images ------------------------------------------------
# The PE test images are built with mingw-w64, the 32-bit ELF ones with
# gcc -m32 (Debian packages of tools/deps.sh's group test).
IMG := $(TB)/images
LOADER_IMAGES := $(foreach b,32 64,$(IMG)/pedll$(b).dll $(IMG)/peexe$(b).exe $(IMG)/peexe$(b)_fixed.exe) \
                 $(IMG)/static_pie $(IMG)/pie32 \
                 $(foreach b,32 64,$(IMG)/win$(b)/pedll.dll $(IMG)/win$(b)/peexe.exe $(IMG)/win$(b)/peexe_fixed.exe)
MINGW_x64 := x86_64-w64-mingw32-gcc
MINGW_x86 := i686-w64-mingw32-gcc
PE_FLAGS := -O1 -s -Wl,--no-insert-timestamp
.PHONY: loader-images
loader-images: $(LOADER_IMAGES)
$(LOADER_IMAGES): | deps-test
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
# A directory per bitness where the EXEs find the DLL by the name they
# import (pedll.dll), as Windows' loader searches the EXE's directory.
$(IMG)/win%/pedll.dll: $(IMG)/pedll%.dll
	@mkdir -p $(dir $@)
	cp $< $@
$(IMG)/win%/peexe.exe: $(IMG)/peexe%.exe
	@mkdir -p $(dir $@)
	cp $< $@
$(IMG)/win%/peexe_fixed.exe: $(IMG)/peexe%_fixed.exe
	@mkdir -p $(dir $@)
	cp $< $@
$(IMG)/static_pie: tests/images/elfhello.c
	@mkdir -p $(IMG)
	$(CC) -O1 -static-pie -o $@ $<
$(IMG)/pie32: tests/images/elfhello.c
	@mkdir -p $(IMG)
	$(CC) -O1 -m32 -pie -fPIE -o $@ $<


# ---- benchmarks --------------------------------------------------------
$(B)/bench: bench/bench.c tests/unit/testutil.h $(B)/libvmlab.a
	$(CC) $(CSTD) $(WARN) -O2 -g -Iinclude -Itests/unit bench/bench.c $(B)/libvmlab.a $(LIBS) -o $@
# The loader's bench calls the parsers directly: their objects, not the
# library, whose internal symbols are local.
$(B)/bench_loader: bench/bench_loader.c $(LIB_OBJ)
	$(CC) $(CSTD) $(WARN) -O2 -g -Iinclude -Isrc bench/bench_loader.c $(LIB_OBJ) $(LIBS) -o $@
# The report's speed target: written (bench_report) and opened in Chromium.
$(B)/bench_report: bench/bench_report.c tests/unit/testutil.h $(B)/libvmlab.a
	$(CC) $(CSTD) $(WARN) -O2 -g -Iinclude -Itests/unit bench/bench_report.c $(B)/libvmlab.a $(LIBS) -o $@
# bench/replay.sh: trace replay against libCacheSim's cachesim, side by side.
bench: $(B)/bench $(B)/bench_loader $(B)/bench_report $(B)/vmlab
	./$(B)/bench
	./$(B)/bench_loader
	./bench/report.sh $(B)
	@bash bench/replay.sh $(B)

# Instructions per operation under callgrind (repeatable, unlike timings).
$(B)/icount: bench/icount.c $(B)/libvmlab.a
	$(CC) $(CSTD) $(WARN) -O2 -g -Iinclude bench/icount.c $(B)/libvmlab.a $(LIBS) -o $@
icount: $(B)/icount
	./bench/icount.sh ./$(B)/icount

# Instructions per TLB hit, walk, fill and invlpg under callgrind (valgrind).
.PHONY: bench-cg
$(B)/cg_hw: bench/cg_hw.c $(B)/libvmlab.a
	$(CC) $(CSTD) $(WARN) -O2 -g -Iinclude bench/cg_hw.c $(B)/libvmlab.a $(LIBS) -o $@
bench-cg: $(B)/cg_hw
	./bench/callgrind.sh $(B)

# ---- install -------------------------------------------------------------
# Where the dynamic loader finds libraries by itself (ld.so.conf), make
# install runs ldconfig (as root, without DESTDIR: a package's postinst
# does it otherwise); for any other LIBDIR, vmlab.pc links with an rpath,
# so `cc prog.c $(pkg-config --cflags --libs vmlab)` runs as it is.
LIBDIR       ?= $(PREFIX)/lib
INCLUDEDIR   ?= $(PREFIX)/include
BINDIR       ?= $(PREFIX)/bin
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
MULTIARCH    := $(shell $(CC) -print-multiarch 2>/dev/null)
SYSTEM_LIBDIRS := /lib /usr/lib /usr/local/lib $(if $(MULTIARCH),/lib/$(MULTIARCH) \
                  /usr/lib/$(MULTIARCH) /usr/local/lib/$(MULTIARCH))
PC_RPATH = $(if $(filter $(patsubst %/,%,$(LIBDIR)),$(SYSTEM_LIBDIRS)),,-Wl,-rpath,$${libdir} )

install: all
	install -d $(DESTDIR)$(INCLUDEDIR) $(DESTDIR)$(LIBDIR) $(DESTDIR)$(PKGCONFIGDIR) \
	    $(DESTDIR)$(BINDIR)
	install -m 644 include/vmlab.h $(DESTDIR)$(INCLUDEDIR)/
	install -m 644 $(B)/libvmlab.a $(DESTDIR)$(LIBDIR)/
	install -m 755 $(B)/$(SO_FILE) $(DESTDIR)$(LIBDIR)/
	ln -sf $(SO_FILE) $(DESTDIR)$(LIBDIR)/$(SONAME)
	ln -sf $(SONAME) $(DESTDIR)$(LIBDIR)/libvmlab.so
	install -m 755 $(B)/vmlab $(DESTDIR)$(BINDIR)/
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' -e 's|@INCLUDEDIR@|$(INCLUDEDIR)|' \
	    -e 's|@VERSION@|$(VERSION)|' -e 's|@RPATH@|$(PC_RPATH)|' vmlab.pc.in \
	    > $(DESTDIR)$(PKGCONFIGDIR)/vmlab.pc
	@if [ -z "$(DESTDIR)" ] && [ -z "$(PC_RPATH)" ] && [ "$$(id -u)" = 0 ]; then \
	    echo "ldconfig (the loader's cache, for $(LIBDIR)/$(SONAME))"; ldconfig; fi
uninstall:
	rm -f $(DESTDIR)$(INCLUDEDIR)/vmlab.h $(DESTDIR)$(LIBDIR)/libvmlab.a \
	      $(DESTDIR)$(LIBDIR)/$(SO_FILE) $(DESTDIR)$(LIBDIR)/$(SONAME) \
	      $(DESTDIR)$(LIBDIR)/libvmlab.so $(DESTDIR)$(BINDIR)/vmlab \
	      $(DESTDIR)$(PKGCONFIGDIR)/vmlab.pc

clean:
	rm -rf $(B)
