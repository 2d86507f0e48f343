#!/usr/bin/env bash
# execve as Linux does it, checked against this machine's kernel: the
# program /bin/cat prints its own /proc/self/maps with address space
# randomization off (setarch -R), and vmlab, with aslr=off, execs the same
# file and prints its maps.  The lines of the program itself and of its
# interpreter must be the same (addresses, permissions, offsets, paths;
# not the device and inode columns); libc, which ld.so maps below the
# vdso vmlab does not have, must have the same mappings relative to its
# first one.  Usage: tests/cli/linux_maps.sh [VMLAB]
set -u
vmlab=${1:-build/vmlab}
fails=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { fails=$((fails + 1)); echo "FAIL: $*"; }

prog=$(readlink -f /bin/cat)
if ! setarch -R /bin/cat /proc/self/maps >"$tmp/linux" 2>"$tmp/err"; then
    fail "setarch -R /bin/cat /proc/self/maps: $(cat "$tmp/err")"
    exit 1
fi
printf 'machine ram=64M aslr=off\nexecve A /bin/cat\nmaps A\n' >"$tmp/s.vms"
if ! "$vmlab" run "$tmp/s.vms" >"$tmp/vmlab" 2>&1; then
    fail "vmlab run: $(tail -n 3 "$tmp/vmlab")"
    exit 1
fi

# range, permissions, offset and path of the lines naming $1
cols() { awk -v f="$1" '$6 == f { print $1, $2, $3, $6 }' "$2"; }
interp=$(awk '$6 ~ /ld-linux/ { print $6; exit }' "$tmp/linux")
libc=$(awk '$6 ~ /libc\.so/ { print $6; exit }' "$tmp/linux")

for f in "$prog" "$interp"; do
    if [ -z "$f" ] || ! diff <(cols "$f" "$tmp/linux") <(cols "$f" "$tmp/vmlab") >"$tmp/d"; then
        fail "the mappings of ${f:-the interpreter} differ from Linux's (< Linux, > vmlab):"
        cat "$tmp/d"
    fi
done

# libc relative to its first mapping
rel() {
    local base= range perm off _ path
    while read -r range perm off _ _ path; do
        [ "$path" = "$1" ] || continue
        local lo=$((16#${range%-*})) hi=$((16#${range#*-}))
        [ -n "$base" ] || base=$lo
        printf '%x-%x %s %s\n' $((lo - base)) $((hi - base)) "$perm" "$off"
    done <"$2"
}
if [ -z "$libc" ] || ! diff <(rel "$libc" "$tmp/linux") <(rel "$libc" "$tmp/vmlab") >"$tmp/d"; then
    fail "libc's mappings differ from Linux's (< Linux, > vmlab):"
    cat "$tmp/d"
fi
[ $fails -eq 0 ] && echo "ok   execve /bin/cat: the maps of Linux 6 with setarch -R"
exit $((fails > 0))
