#!/usr/bin/env bash
# tools/deps.sh GROUP... -- the Debian packages a make target needs.
#
# Checks the packages of the named groups (dpkg-query).  When some are
# missing: as root, installs them with apt-get, saying so; otherwise prints
# them and the one command that installs them, and fails, so that `make`
# never installs system packages behind a user's back.
#
# The list: one line per package, "GROUP PACKAGE  what it is for".  To add
# a package a new part needs, add one line (and the group to the make
# target that needs it: the Makefile calls tools/deps.sh GROUP...).
set -u
# VMLAB_DEPS_LIST=FILE replaces the list (tests/cli/deps.sh uses it).
list() {
    if [ -n "${VMLAB_DEPS_LIST:-}" ]; then cat "$VMLAB_DEPS_LIST"; return; fi
    cat <<'END'
build  libedit-dev          line editing of vmlab shell
build  libzstd-dev          the trace layer reads and writes zstd-compressed traces
build  liblzma-dev          the trace layer reads and writes xz-compressed traces
build  zlib1g-dev           the trace layer reads and writes gzip-compressed traces
test   libcmocka-dev        the unit tests
test   pkg-config           the install test builds a program with pkg-config
test   binutils             the loader's tests compare with readelf and objdump
test   gcc-mingw-w64-x86-64 the loader's PE32+ test images
test   gcc-mingw-w64-i686   the loader's PE32 test images
test   gcc-multilib         the loader's 32-bit ELF test image
test   valgrind             vmlab record's tests trace a program under lackey
test   chromium             the HTML report's tests in a real browser (headless)
test   jq                   the report's browser test reads the --json views
fuzz   clang                the libFuzzer targets (make fuzz, and make test's short run)
fuzz   libclang-rt-14-dev   libFuzzer itself
END
}

[ $# -gt 0 ] || { echo "usage: tools/deps.sh GROUP..." >&2; exit 2; }
missing=()
for group in "$@"; do
    while read -r g pkg _; do
        [ "$g" = "$group" ] || continue
        status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null)
        [ "$status" = "install ok installed" ] || missing+=("$pkg")
    done < <(list)
done
[ ${#missing[@]} -eq 0 ] && exit 0

# Each package once, in the list's order.
mapfile -t missing < <(printf '%s\n' "${missing[@]}" | awk '!seen[$0]++')
why=$(for p in "${missing[@]}"; do list | awk -v p="$p" '$2 == p { $1 = ""; $2 = ""; sub(/^  */, ""); print "  " p ": " $0 }'; done)
if [ "$(id -u)" -eq 0 ]; then
    echo "vmlab: installing the Debian packages $(echo "${missing[*]}") (you are root):"
    echo "$why"
    if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"; } >/dev/null; then
        echo "vmlab: apt-get install ${missing[*]} failed" >&2
        exit 1
    fi
    exit 0
fi
{
    echo "vmlab: these Debian packages are missing:"
    echo "$why"
    echo "Install them with:"
    echo "  sudo apt-get install ${missing[*]}"
} >&2
exit 1
