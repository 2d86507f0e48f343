#!/usr/bin/env bash
# tests/fuzz/long.sh FUZZDIR TARGET EXECUTIONS [MAX_LEN]
# A long run of one libFuzzer target (api or script) in its own process
# (no fork mode: it would re-run the whole corpus for every job): fuzz
# until EXECUTIONS inputs have run, restarting after each crash (kept in
# FUZZDIR/crashes-long-TARGET/) on the corpus FUZZDIR/long-TARGET.  The
# total so far is in FUZZDIR/long-TARGET.total.  Run it with nice.
set -u
fz=$1 t=$2 want=$3 maxlen=${4:-4096}
export ASAN_OPTIONS=${ASAN_OPTIONS:-allocator_may_return_null=1:detect_leaks=1}
mkdir -p "$fz/long-$t" "$fz/crashes-long-$t"
total=$(cat "$fz/long-$t.total" 2>/dev/null || echo 0)
while [ "$total" -lt "$want" ]; do
    left=$((want - total))
    "$fz/fuzz_$t" -runs="$left" -max_len="$maxlen" -timeout=30 -print_final_stats=1 \
        -artifact_prefix="$fz/crashes-long-$t/" "$fz/long-$t" >"$fz/long-$t.session.log" 2>&1
    done_now=$(grep -o 'stat::number_of_executed_units: [0-9]*' "$fz/long-$t.session.log" |
               tail -n 1 | grep -o '[0-9]*$')
    if [ -z "$done_now" ]; then       # no final stats: the last progress line
        done_now=$(grep -o '^#[0-9]*' "$fz/long-$t.session.log" | tail -n 1 | tr -d '#')
    fi
    total=$((total + ${done_now:-0}))
    echo "$total" >"$fz/long-$t.total"
    cat "$fz/long-$t.session.log" >>"$fz/long-$t.log"
    grep -q "Done [0-9]* runs" "$fz/long-$t.session.log" && break
    [ -n "${done_now:-}" ] && [ "$done_now" -gt 0 ] || sleep 5
done
echo "fuzz_$t: $total executions"
