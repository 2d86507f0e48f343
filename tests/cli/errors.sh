#!/usr/bin/env bash
# Errors of the vmlab command line itself (tests/bad/ holds the errors of
# scripts): a directory, a missing file, control bytes in a word.
# Usage: tests/cli/errors.sh VMLAB
set -u
vmlab=${1:-build/test/vmlab}
fails=0
fail() { fails=$((fails + 1)); echo "FAIL: $*"; }

# expect_error DESC WANT CMD...: exit 2, WANT in the output, no raw ESC.
expect_error() {
    local desc=$1 want=$2 out rc
    shift 2
    out=$("$@" 2>&1); rc=$?
    if [ "$rc" -ne 2 ] || ! grep -qF -- "$want" <<<"$out"; then
        fail "$desc: exit $rc, wanted 2 and '$want' in:"; echo "$out" | head -n 5
    fi
    if grep -q $'\x1b' <<<"$out"; then fail "$desc: a raw escape byte in: $out"; fi
}

expect_error "run a directory" "vmlab: '/tmp' is a directory, not a script file" "$vmlab" run /tmp
expect_error "run a missing file" "cannot open '/nonexistent/x.vms': No such file or directory" \
    "$vmlab" run /nonexistent/x.vms
expect_error "an escape in a file name" "cannot open 'x\\x1b[31m.vms'" "$vmlab" run $'x\x1b[31m.vms'
expect_error "an escape in a command" "unknown command '\\x1b[2J'" "$vmlab" $'\x1b[2J'
expect_error "an escape in a help topic" "no help for 'a\\x07b'" "$vmlab" help $'a\x07b'
expect_error "an endless line" "/dev/zero:1: error: the line is longer than 1048576 bytes" \
    timeout 60 "$vmlab" run /dev/zero
[ "$fails" -eq 0 ]
