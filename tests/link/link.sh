#!/usr/bin/env bash
# The library links cleanly.  Usage: tests/link/link.sh BUILD (the release
# build directory, build/; run from the top of the tree).
#  1. libvmlab.a and libvmlab.so export only vml_ names;
#  2. a program defining tlb_flush, phys_init ... links libvmlab.a;
#  3. make install into a temporary PREFIX: a program built with
#     `cc prog.c $(pkg-config --cflags --libs vmlab)` runs without
#     LD_LIBRARY_PATH and loads the installed libvmlab.so.0;
#  4. make install DESTDIR=... PREFIX=/usr/local stages the files (SONAME
#     symlinks, no rpath for a system directory) and touches nothing else;
#  5. make uninstall removes what install put there.
set -u
b=${1:-build}
fails=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { fails=$((fails + 1)); echo "FAIL: $*"; }
cc=${CC:-cc}

# 1. exported names
others=$(nm -g --defined-only "$b/libvmlab.a" | awk 'NF == 3 { print $3 }' | grep -v '^vml_')
[ -z "$others" ] || fail "libvmlab.a exports non-vml_ symbols: $(echo $others | head -c 300)"
others=$(nm -D --defined-only "$b/libvmlab.so" | awk 'NF == 3 { print $3 }' | grep -v '^vml_')
[ -z "$others" ] || fail "libvmlab.so exports non-vml_ symbols: $(echo $others | head -c 300)"
readelf -d "$b/libvmlab.so" | grep -q 'SONAME.*\[libvmlab.so.0\]' || fail "no SONAME libvmlab.so.0"

# 2. a program with the library's internal names (the static library
#    needs the libraries of vmlab.pc's Libs.private: the trace layer's)
private=$(sed -n 's/^Libs.private: *//p' vmlab.pc.in)
# shellcheck disable=SC2086
if $cc -std=c11 -Iinclude tests/link/own_symbols.c "$b/libvmlab.a" $private -o "$tmp/own" 2>"$tmp/err"; then
    out=$("$tmp/own") || fail "own_symbols ran wrong: $out"
else
    fail "own_symbols does not link with libvmlab.a:"; head -n 5 "$tmp/err"
fi

# 3. install into a temporary prefix, build with pkg-config, run
prefix=$tmp/prefix
make -s --no-print-directory install PREFIX="$prefix" >"$tmp/install.log" 2>&1 ||
    { fail "make install PREFIX=$prefix"; cat "$tmp/install.log"; }
for f in include/vmlab.h lib/libvmlab.a lib/libvmlab.so.0.1.0 bin/vmlab lib/pkgconfig/vmlab.pc; do
    [ -e "$prefix/$f" ] || fail "make install left no $f"
done
[ "$(readlink "$prefix/lib/libvmlab.so.0")" = libvmlab.so.0.1.0 ] || fail "libvmlab.so.0 symlink"
[ "$(readlink "$prefix/lib/libvmlab.so")" = libvmlab.so.0 ] || fail "libvmlab.so symlink"
flags=$(PKG_CONFIG_PATH="$prefix/lib/pkgconfig" pkg-config --cflags --libs vmlab) ||
    fail "pkg-config vmlab"
# shellcheck disable=SC2086
if $cc examples/hello_machine.c $flags -o "$tmp/hello" 2>"$tmp/err"; then
    out=$(env -u LD_LIBRARY_PATH "$tmp/hello") || fail "hello_machine did not run: $out"
    grep -q "1 demand-zero fault" <<<"$out" || fail "hello_machine printed: $out"
    ldd "$tmp/hello" | grep -q "libvmlab.so.0 => $prefix/lib/libvmlab.so.0" ||
        fail "hello_machine does not load the installed library: $(ldd "$tmp/hello" | grep vmlab)"
else
    fail "cc examples/hello_machine.c $flags:"; head -n 5 "$tmp/err"
fi
"$prefix/bin/vmlab" --version >/dev/null || fail "the installed vmlab does not run"

# 4. a staged install into a system prefix
dest=$tmp/dest
make -s --no-print-directory install DESTDIR="$dest" PREFIX=/usr/local >"$tmp/install.log" 2>&1 ||
    { fail "make install DESTDIR=$dest"; cat "$tmp/install.log"; }
[ -e "$dest/usr/local/lib/libvmlab.so.0.1.0" ] || fail "DESTDIR install left no library"
grep -q 'rpath' "$dest/usr/local/lib/pkgconfig/vmlab.pc" &&
    fail "vmlab.pc for /usr/local/lib carries an rpath"
grep -q '^libdir=/usr/local/lib$' "$dest/usr/local/lib/pkgconfig/vmlab.pc" ||
    fail "vmlab.pc names the DESTDIR: $(grep libdir= "$dest/usr/local/lib/pkgconfig/vmlab.pc")"
grep -q ldconfig "$tmp/install.log" && fail "a DESTDIR install ran ldconfig"

# 5. uninstall
make -s --no-print-directory uninstall PREFIX="$prefix" >/dev/null 2>&1 || fail "make uninstall"
left=$(find "$prefix" -type f -o -type l)
[ -z "$left" ] || fail "make uninstall left: $left"

[ "$fails" -eq 0 ]
