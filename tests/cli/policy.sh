#!/usr/bin/env bash
# `vmlab policy` end to end: Belady's anomaly, the JSON object, reference
# files, the golden fault counts, and bad input (exit 2, a message naming
# the problem, no crash).  Usage: tests/cli/policy.sh [VMLAB]
set -u
vmlab=${1:-build/vmlab}
belady=1,2,3,4,1,2,5,1,2,3,4,5
fails=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

fail() { fails=$((fails + 1)); echo "FAIL: $*"; }

# expect_out DESC WANT CMD...: exit 0 and stdout holds WANT.
expect_out() {
    local desc=$1 want=$2 out rc
    shift 2
    out=$("$@" 2>&1); rc=$?
    if [ "$rc" -ne 0 ] || ! grep -qF -- "$want" <<<"$out"; then
        fail "$desc: exit $rc, wanted '$want' in:"; echo "$out" | head -n 5
    fi
}

# expect_exact DESC WANT CMD...: exit 0 and stdout is exactly WANT.
expect_exact() {
    local desc=$1 want=$2 out rc
    shift 2
    out=$("$@"); rc=$?
    if [ "$rc" -ne 0 ] || [ "$out" != "$want" ]; then
        fail "$desc: exit $rc"; echo " got:  $out"; echo " want: $want"
    fi
}

# expect_error DESC WANT CMD...: exit 2, nothing on stdout, WANT on stderr.
expect_error() {
    local desc=$1 want=$2 out err rc
    shift 2
    out=$("$@" 2>"$tmp/err"); rc=$?
    err=$(cat "$tmp/err")
    if [ "$rc" -ne 2 ] || [ -n "$out" ] || ! grep -qF -- "$want" <<<"$err"; then
        fail "$desc: exit $rc (wanted 2), wanted '$want' in:"; echo "$err$out" | head -n 5
    fi
}

# Belady's anomaly: FIFO takes more faults with more frames; LRU does not.
expect_out "fifo 3 frames" "9 faults" "$vmlab" policy -p fifo -f 3 "$belady"
expect_out "fifo 4 frames" "10 faults" "$vmlab" policy -p fifo -f 4 "$belady"
expect_out "lru 4 frames" "8 faults" "$vmlab" policy -p lru -f 4 "$belady"
expect_out "text block" \
    "fifo, 3 frames, 12 references: 9 faults, 3 hits, 6 evictions, 0 write-backs (fault rate 75.0%)" \
    "$vmlab" policy -p fifo -f 3 "$belady"
expect_out "resident pages" "resident (3): 3 4 5" "$vmlab" policy -p fifo -f 3 "$belady"
expect_out "blanks separate too" "9 faults" "$vmlab" policy -p fifo -f 3 1 2 3 4 1 2 5 1 2 3 4 5
expect_out "hex pages print as hex" "resident (2): 0x10 0x20" \
    "$vmlab" policy -p lru -f 2 0x10w,0x20,0x10

# JSON: one object with every field.  With one frame, 1w,2,3,1w evicts
# 1 (dirty: a write-back), 2 and 3 (clean); the last 1w stays resident.
expect_exact "json fifo" \
    '{"policy":"fifo","frames":3,"refs":12,"faults":9,"hits":3,"evictions":6,"writebacks":0,"resident":[3,4,5]}' \
    "$vmlab" policy -p fifo -f 3 "$belady" --json
expect_exact "json opt" \
    '{"policy":"opt","frames":3,"refs":12,"faults":7,"hits":5,"evictions":4,"writebacks":0,"resident":[2,4,5]}' \
    "$vmlab" policy --json --policy=opt --frames 3 "$belady"
expect_exact "json write-backs" \
    '{"policy":"lru","frames":1,"refs":4,"faults":4,"hits":0,"evictions":3,"writebacks":1,"resident":[1]}' \
    "$vmlab" policy -p lru -f 1 1w,2,3,1w --json
expect_out "json all" '"policies":[{"policy":"fifo","faults":9,' \
    "$vmlab" policy -p all -f 3 "$belady" --json
out=$("$vmlab" policy -p all -f 3 "$belady" --json)
[ "$(grep -c '' <<<"$out")" -eq 1 ] || fail "json all is not one line"

# -p all: one line per policy that runs on a reference string.
for p in fifo lru mru clock clock0 opt lfu arc 2q lru2 clockpro sieve s3fifo wsclock nru aging \
         random optclean; do
    expect_out "all lists $p" "$p " "$vmlab" policy -p all -f 3 "$belady"
done

# Reference files and stdin; comments there.
printf '# Belady\n1 2 3 4\n1,2,5  # comment\n1 2 3 4 5\n' >"$tmp/belady.refs"
expect_out "@FILE" "9 faults" "$vmlab" policy -p fifo -f 3 "@$tmp/belady.refs"
expect_out "stdin" "10 faults" "$vmlab" policy -p fifo -f 4 - <"$tmp/belady.refs"
: >"$tmp/empty.refs"
expect_out "empty file" "0 references: 0 faults" "$vmlab" policy -p opt -f 2 "@$tmp/empty.refs"

# The golden numbers.
if ! diff <(tests/golden/policy_faults.sh "$vmlab") tests/golden/policy_faults.txt >"$tmp/diff"; then
    fail "golden fault counts differ (tests/golden/policy_faults.txt):"; head -n 20 "$tmp/diff"
fi

# Help.
expect_out "help policy" "clock0" "$vmlab" help policy
expect_out "policy --help" "usage: vmlab policy" "$vmlab" policy --help

# Bad input: exit 2 and a message naming the problem.
expect_error "bad reference" "reference 3 ('2x'): expected a page number with an optional 'w'" \
    "$vmlab" policy -p lru -f 3 1,2,2x
expect_error "bad reference in a file" ":3: reference 4 ('4x')" \
    bash -c "printf '1 2\n# c\n3,4x\n' | \"\$0\" policy -p lru -f 3 -" "$vmlab"
expect_error "empty reference" "reference 2: no page before this ','" "$vmlab" policy -p lru -f 3 1,,2
expect_error "trailing comma" "reference 3: no page after the last ','" "$vmlab" policy -p lru -f 3 1,2,
expect_error "page too large" "out of range" "$vmlab" policy -p lru -f 3 18446744073709551616
expect_error "bare w" "reference 1 ('w')" "$vmlab" policy -p lru -f 3 w
expect_error "binary junk" "reference 1 ('\\x01')" "$vmlab" policy -p lru -f 3 $'\x01'
expect_error "unknown policy" "unknown policy 'belady'" "$vmlab" policy -p belady -f 3 1
expect_error "ws runs only in a machine" "runs only inside a machine" "$vmlab" policy -p ws -f 3 1
expect_error "no policy" "-p NAME is missing" "$vmlab" policy -f 3 1
expect_error "no frames" "-f FRAMES is missing" "$vmlab" policy -p lru 1
expect_error "zero frames" "expected a number of frames (1 or more), got '0'" "$vmlab" policy -p lru -f 0 1
expect_error "bad frames" "got 'x'" "$vmlab" policy -p lru -f x 1
expect_error "no refs" "REFS is missing" "$vmlab" policy -p lru -f 3
expect_error "-p without a value" "-p needs a policy name" "$vmlab" policy -f 3 1 -p
expect_error "unknown option" "unknown option '--frobnicate'" "$vmlab" policy -p lru -f 3 --frobnicate 1
expect_error "missing file" "cannot open" "$vmlab" policy -p lru -f 3 "@$tmp/none"
expect_error "@ alone" "needs a file name" "$vmlab" policy -p lru -f 3 @
expect_error "@FILE with more words" "must be the only REFS word" \
    "$vmlab" policy -p lru -f 3 "@$tmp/belady.refs" 1

[ "$fails" -eq 0 ]
