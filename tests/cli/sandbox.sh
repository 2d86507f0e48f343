#!/usr/bin/env bash
# The fuzz target's sandbox: a script run there reads and writes no host
# file (source, pagefile=PATH, files=PATH, absolute or ".." file names all
# refuse), and its machines are clamped to 4 MiB.  Runs the script target
# (../fuzz/fuzz_script next to VMLAB's directory) on each case.
# Usage: tests/cli/sandbox.sh VMLAB
set -u
vmlab=${1:-build/test/vmlab}
fz=$(dirname "$(dirname "$vmlab")")/fuzz/fuzz_script
fails=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { fails=$((fails + 1)); echo "FAIL: $*"; }
[ -x "$fz" ] || { echo "no $fz: make build/fuzz/fuzz_script"; exit 1; }

# refuses SCRIPT WANT: the script target prints WANT for SCRIPT.
refuses() {
    printf '%s\n' "$1" >"$tmp/in"
    FUZZ_SCRIPT_OUTPUT=1 "$fz" "$tmp/in" >"$tmp/out" 2>&1
    grep -qF -- "$2" "$tmp/out" || { fail "'$1': wanted '$2' in:"; grep -v '^INFO\|^Running\|^Executed\|^\*\*\*' "$tmp/out" | head -n 5; }
}

refuses "source /etc/passwd" "source is not allowed in this run (no host files)"
refuses "machine files=$tmp" "files=PATH is not allowed in this run (no host files)"
refuses "machine pagefile=$tmp/pf,1M" "pagefile=PATH,SIZE is not allowed in this run"
refuses $'process A\nCreateFile A /etc/passwd 0x80000000 3' "only files of the machine's file directory"
refuses $'process A\nopen A ../../x 0' "only files of the machine's file directory"
refuses $'file ../evil 4K 1' "only files of the machine's file directory"
refuses "machine ram=1G" "machine: ram 4096K"
refuses "file big.bin 1G 1" "file: at most 4096K in this run"
[ -z "$(ls -A "$tmp" | grep -v '^in$\|^out$')" ] || fail "a file appeared in $tmp: $(ls "$tmp")"
[ "$fails" -eq 0 ]
