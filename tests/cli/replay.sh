#!/usr/bin/env bash
# vmlab replay, record, convert, merge end to end: the golden fault counts,
# the same results from every format and compression, shards merged equal
# one run, any number of threads, a trace recorded under Valgrind's lackey
# (its curves against per-size runs), full-stack replay with a timeline,
# and bad input (exit 2, a message naming the place, PARTIAL results).
# Usage: tests/cli/replay.sh [VMLAB]
set -u
vmlab=${1:-build/vmlab}
here=$(cd "$(dirname "$0")/.." && pwd)
fails=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

fail() { fails=$((fails + 1)); echo "FAIL: $*"; }

# same DESC FILE1 FILE2: the files are identical.
same() { cmp -s "$2" "$3" || { fail "$1"; diff "$2" "$3" | head -n 5; }; }

# expect_error DESC STATUS WANT CMD...: exit STATUS and WANT on stderr.
expect_error() {
    local desc=$1 want_rc=$2 want=$3 rc
    shift 3
    "$@" >"$tmp/out" 2>"$tmp/err"; rc=$?
    if [ "$rc" -ne "$want_rc" ] || ! grep -qF -- "$want" "$tmp/err"; then
        fail "$desc: exit $rc (wanted $want_rc), stderr:"; head -n 3 "$tmp/err"
    fi
}

"$here/golden/gen_trace.sh" 20000 > "$tmp/gen.txt"

# ---- golden fault counts -----------------------------------------------------
"$here/golden/replay_faults.sh" "$vmlab" > "$tmp/golden.txt" 2>&1
same "golden fault counts (tests/golden/replay_faults.txt)" "$here/golden/replay_faults.txt" \
     "$tmp/golden.txt"

# ---- every format and compression gives the same counts --------------------------
"$vmlab" replay "$tmp/gen.txt" -p all -f 3,50 --csv -q | cut -d, -f2- > "$tmp/ref.csv"
for out in gen.vmt gen.vmt.zst gen.txt.xz gen.csv.gz gen.txt.zst; do   # (lackey has no PIDs)
    "$vmlab" convert "$tmp/gen.txt" -o "$tmp/$out" 2>/dev/null || fail "convert to $out"
    "$vmlab" replay "$tmp/$out" -p all -f 3,50 --csv -q | cut -d, -f2- > "$tmp/got.csv"
    same "replay of $out equals the text trace" "$tmp/ref.csv" "$tmp/got.csv"
done
cat "$tmp/gen.vmt.zst" | "$vmlab" replay - -p all -f 3,50 --csv -q | cut -d, -f2- > "$tmp/got.csv"
same "a trace from a pipe (stdin) equals the file" "$tmp/ref.csv" "$tmp/got.csv"

# ---- threads, shards and merge --------------------------------------------------------
sweep=("$tmp/gen.vmt" "$tmp/gen.txt.xz" -p lru,fifo,clock,opt -f 2,8,32,128 -q)
"$vmlab" replay "${sweep[@]}" --json -j 1 > "$tmp/one.json"
"$vmlab" replay "${sweep[@]}" --json -j 3 > "$tmp/three.json"
same "three threads give what one gives" "$tmp/one.json" "$tmp/three.json"
for k in 1 2 3 4 5; do "$vmlab" replay "${sweep[@]}" --json --shard $k/5 > "$tmp/s$k.json"; done
"$vmlab" merge "$tmp"/s[1-5].json > "$tmp/merged.json"
same "five shards merged equal one run" "$tmp/one.json" "$tmp/merged.json"
expect_error "a missing shard" 2 "shard 4/5 is missing" \
    "$vmlab" merge "$tmp/s1.json" "$tmp/s2.json" "$tmp/s3.json" "$tmp/s5.json"
expect_error "a shard twice" 2 "given twice" "$vmlab" merge "$tmp/s1.json" "$tmp/s1.json"
"$vmlab" replay "$tmp/gen.vmt" -p lru -f 2 --json --shard 1/2 -q > "$tmp/other.json"
expect_error "shards of two sweeps" 2 "a shard of another sweep" \
    "$vmlab" merge "$tmp/s1.json" "$tmp/other.json"
echo '{"vmlab":"replay",' > "$tmp/broken.json"
expect_error "broken JSON" 2 "broken.json: byte 19: expected a key" "$vmlab" merge "$tmp/broken.json"

# ---- curves: one pass equals one run per size ------------------------------------------
"$vmlab" replay "$tmp/gen.vmt" --mrc --csv -q > "$tmp/mrc.csv"
"$vmlab" replay "$tmp/gen.vmt" -p lru,opt -f 1,5,37,200 --csv -q > "$tmp/sizes.csv"
for f in 1 5 37 200; do
    want=$(awk -F, -v f=$f '$1 == f { print $2 "," $4 }' "$tmp/mrc.csv")
    got=$(awk -F, -v f=$f '$3 == f && $2 == "lru" { l = $5 } $3 == f && $2 == "opt" { o = $5 }
                           END { print l "," o }' "$tmp/sizes.csv")
    [ "$want" = "$got" ] || fail "curves at $f frames: $want, per-size runs: $got"
done

# ---- a trace recorded under Valgrind's lackey ------------------------------------------------
if command -v valgrind >/dev/null; then
    "$vmlab" record -o "$tmp/rec.trace.gz" -- /bin/echo recorded > "$tmp/rec.out" 2>"$tmp/rec.err" \
        || fail "record: $(cat "$tmp/rec.err")"
    grep -q recorded "$tmp/rec.out" || fail "the recorded program's own output is kept"
    grep -q "accesses written to" "$tmp/rec.err" || fail "record says what it wrote"
    "$vmlab" convert "$tmp/rec.trace.gz" -o "$tmp/rec.vmt.zst" 2>/dev/null || fail "convert rec"
    "$vmlab" replay "$tmp/rec.trace.gz" -p all -f 4,64 --csv -q | cut -d, -f2- > "$tmp/r1.csv"
    "$vmlab" replay "$tmp/rec.vmt.zst" -p all -f 4,64 --csv -q | cut -d, -f2- > "$tmp/r2.csv"
    same "a recorded trace: lackey text and vmt give the same counts" "$tmp/r1.csv" "$tmp/r2.csv"
    "$vmlab" replay "$tmp/rec.vmt.zst" --mrc --csv -q > "$tmp/rmrc.csv"
    "$vmlab" replay "$tmp/rec.vmt.zst" -p lru,opt -f 3,30 --csv -q > "$tmp/rsz.csv"
    for f in 3 30; do
        want=$(awk -F, -v f=$f '$1 == f { print $2 "," $4 }' "$tmp/rmrc.csv")
        got=$(awk -F, -v f=$f '$3 == f && $2 == "lru" { l = $5 } $3 == f && $2 == "opt" { o = $5 }
                               END { print l "," o }' "$tmp/rsz.csv")
        [ "$want" = "$got" ] || fail "recorded trace: curves at $f frames $want, runs $got"
    done
    "$vmlab" record -o "$tmp/direct.vmt" -- /bin/true 2>/dev/null || fail "record straight to vmt"
    "$vmlab" replay "$tmp/direct.vmt" -p lru -f 8 -q > /dev/null || fail "replay a recorded vmt"
else
    fail "valgrind is not installed (make test installs it)"
fi

# ---- full-stack replay --------------------------------------------------------------------
"$vmlab" replay "$tmp/gen.vmt" --machine "ram=2M tlb=16x4 pagefile=8M" -p lru,ws \
    --timeline 5000 --timeline-out "$tmp/tl.csv" -q > "$tmp/m.txt" || fail "machine replay"
grep -q "20000 accesses, 20000 memory accesses, 0 exceptions" "$tmp/m.txt" \
    || fail "machine replay counts: $(head -n 1 "$tmp/m.txt")"
[ "$(grep -c '^  TLB' "$tmp/m.txt")" = 2 ] || fail "one machine per policy"
[ "$(wc -l < "$tmp/tl.csv")" = 9 ] || fail "timeline: a header and 4 samples per run"
"$vmlab" replay "$tmp/gen.vmt" --machine "ram=2M pagefile=8M" --json -q | grep -q '"complete":true}' \
    || fail "machine replay --json"
expect_error "a bad machine key" 2 "unknown machine key 'rom'" \
    "$vmlab" replay "$tmp/gen.vmt" --machine "rom=2M"
expect_error "opt runs in no machine" 2 "not 'opt'" \
    "$vmlab" replay "$tmp/gen.vmt" --machine "ram=2M" -p opt

# ---- bad input ---------------------------------------------------------------------------
printf 'R 0x1000\nR 0x2000\nR 0xZ\n' > "$tmp/bad.txt"
expect_error "a malformed line" 2 "bad.txt:3: 'R 0xZ': expected a hex address" \
    "$vmlab" replay "$tmp/bad.txt" -p lru -f 1
grep -q "^PARTIAL" "$tmp/out" || fail "results of a failed trace are marked PARTIAL"
head -c 3000 "$tmp/gen.vmt.zst" > "$tmp/cut.vmt.zst"
expect_error "a truncated zstd stream" 2 "truncated zstd stream" \
    "$vmlab" replay "$tmp/cut.vmt.zst" -p lru -f 1
head -c 5000 "$tmp/gen.vmt" > "$tmp/cut.vmt"
expect_error "a truncated vmt" 2 "truncated" "$vmlab" replay "$tmp/cut.vmt" -p lru -f 1
echo "hello" > "$tmp/u.txt"
expect_error "an unknown format" 2 "unknown trace format: the first line 'hello'" \
    "$vmlab" replay "$tmp/u.txt" -p lru -f 1
expect_error "no such file" 2 "cannot open" "$vmlab" replay "$tmp/none.vmt" -p lru -f 1
expect_error "no frames" 2 "-f FRAMES is missing" "$vmlab" replay "$tmp/gen.vmt"
expect_error "an unknown policy" 2 "unknown policy 'lfu2'" \
    "$vmlab" replay "$tmp/gen.vmt" -p lfu2 -f 1
expect_error "ws alone" 2 "machine-only policy 'ws'" "$vmlab" replay "$tmp/gen.vmt" -p ws -f 1
expect_error "a bad shard" 2 "--shard: expected K/N" "$vmlab" replay "$tmp/gen.vmt" -f 1 --shard 3/2
expect_error "zero frames" 2 "-f: '0' is not a number of frames" "$vmlab" replay "$tmp/gen.vmt" -f 0
expect_error "record without a program" 2 "no program" "$vmlab" record -o "$tmp/x.trace"
expect_error "convert to an unknown format" 2 "use --to" \
    "$vmlab" convert "$tmp/gen.txt" -o "$tmp/x.unknown"

# ---- help -------------------------------------------------------------------------------
for topic in replay record convert merge; do
    "$vmlab" help $topic > "$tmp/help.txt" || fail "vmlab help $topic"
    grep -q "usage: vmlab $topic" "$tmp/help.txt" || fail "vmlab help $topic: no usage line"
done

[ "$fails" -eq 0 ] && echo "replay: all checks passed"
exit $((fails > 0))
