#!/usr/bin/env bash
# execve as Linux does it, checked against this machine's kernel: the
# program /bin/cat prints its own /proc/self/maps with address space
# randomization off (setarch -R), and vmlab, with aslr=off, execs the same
# file and prints its maps.  The lines of the program itself and of its
# interpreter must be the same (addresses, permissions, offsets, paths;
# not the device and inode columns); libc, which ld.so maps below the
# vdso vmlab does not have, must have the same mappings relative to its
# first one.  The [heap] glibc's first malloc makes (one small request:
# the 132 KiB sbrk) must be Linux's line, right after the program's .bss;
# the [stack] must have Linux's size and permissions (vmlab's user space
# ends 64 KiB lower, so not its addresses), and VmStk in status Linux's.
# Usage: tests/cli/linux_maps.sh [VMLAB]
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
if ! setarch -R /bin/cat /proc/self/status >"$tmp/linux_status" 2>"$tmp/err"; then
    fail "setarch -R /bin/cat /proc/self/status: $(cat "$tmp/err")"
    exit 1
fi
printf 'machine ram=64M aslr=off\nexecve A /bin/cat /proc/self/maps\n$p = malloc A 16\nmaps A\nstatus A\n' \
    >"$tmp/s.vms"
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
# [heap] exactly; [stack] by size and permissions; VmStk
for f in "[heap]"; do
    if ! diff <(cols "$f" "$tmp/linux") <(cols "$f" "$tmp/vmlab") >"$tmp/d"; then
        fail "the $f line differs from Linux's (< Linux, > vmlab):"
        cat "$tmp/d"
    fi
done
size() {
    local range perm _ path
    while read -r range perm _ _ _ path; do
        [ "$path" = "$1" ] && echo $((16#${range#*-} - 16#${range%-*})) "$perm"
    done <"$2"
}
if [ -z "$(size "[stack]" "$tmp/vmlab")" ] ||
   ! diff <(size "[stack]" "$tmp/linux") <(size "[stack]" "$tmp/vmlab") >"$tmp/d"; then
    fail "the [stack] differs from Linux's in size or permissions (< Linux, > vmlab):"
    cat "$tmp/d"
fi
if ! diff <(grep '^VmStk:' "$tmp/linux_status") <(grep '^VmStk:' "$tmp/vmlab") >"$tmp/d"; then
    fail "VmStk differs from Linux's (< Linux, > vmlab):"
    cat "$tmp/d"
fi
[ $fails -eq 0 ] && echo "ok   execve /bin/cat: the maps ([heap], [stack]) and VmStk of Linux 6 with setarch -R"
exit $((fails > 0))
