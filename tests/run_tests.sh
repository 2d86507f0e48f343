#!/usr/bin/env bash
# Runs the whole test suite against the sanitizer build in $1 (build/test):
#   1. every unit test binary (cmocka),
#   2. every scenario in tests/scenarios/ (must exit 0: all expects held),
#   3. every bad script in tests/bad/ (must exit 2 and print the substring
#      its first line names: "# error: <text>"),
#   4. determinism: a scenario run twice gives byte-identical output,
#   5. the guided tour (what `make run` shows) exits 0,
#   6. every command-line test tests/cli/*.sh (run as: bash T VMLAB; must
#      exit 0),
#   7. a short run (FUZZ_SHORT seconds, default 3) of every libFuzzer
#      target in build/fuzz (the trace readers).
# Ends with the plain closing line "N passed, N failed".
set -u
tb=${1:-build/test}
vmlab="$tb/vmlab"
pass=0
fail=0
failed=()
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

ok()  { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); failed+=("$1"); echo "FAIL: $1"; }

echo "== unit tests"
for t in "$tb"/unit/test_*; do
    [ -x "$t" ] || continue
    if "$t" >"$t.log" 2>&1; then ok; echo "ok   $(basename "$t")"; else bad "$(basename "$t")"; cat "$t.log"; fi
done

echo "== scenarios"
for s in tests/scenarios/*.vms; do
    if "$vmlab" run "$s" >/tmp/vmlab-scenario.log 2>&1; then ok; echo "ok   $s"
    else bad "$s"; tail -n 20 /tmp/vmlab-scenario.log; fi
done

echo "== bad inputs"
for s in tests/bad/*.vms; do
    [ -f "$s" ] || continue
    want=$(head -n 1 "$s" | sed -n 's/^# error: //p')
    out=$("$vmlab" run "$s" 2>&1); rc=$?
    if [ "$rc" -eq 2 ] && [ -n "$want" ] && grep -qF -- "$want" <<<"$out"; then ok; echo "ok   $s"
    else bad "$s (exit $rc, wanted 2 and '$want')"; echo "$out" | tail -n 5; fi
done

echo "== determinism"
for s in tests/scenarios/commit_no_frame_until_touch.vms tests/scenarios/stale_tlb.vms \
         tests/scenarios/pressure_hard_fault_reads_data_back.vms \
         tests/scenarios/events_narrate_trims_and_writes.vms; do
    [ -f "$s" ] || continue
    a=$("$vmlab" run "$s" 2>&1); b=$("$vmlab" run "$s" 2>&1)
    if [ "$a" == "$b" ]; then ok; echo "ok   $s twice"; else bad "$s is not deterministic"; fi
done

echo "== tour"
if "$vmlab" tour >/tmp/vmlab-tour.log 2>&1; then ok; echo "ok   vmlab tour"
else bad "vmlab tour"; tail -n 20 /tmp/vmlab-tour.log; fi

echo "== command-line tests"
for t in tests/cli/*.sh; do
    [ -f "$t" ] || continue
    if bash "$t" "$vmlab" >/tmp/vmlab-cli.log 2>&1; then ok; echo "ok   $t"
    else bad "$t"; tail -n 20 /tmp/vmlab-cli.log; fi
done

echo "== fuzz (short runs; make fuzz runs longer)"
fz="$(dirname "$tb")/fuzz"
for f in "$fz"/fuzz_*; do
    [ -x "$f" ] || continue
    name=${f##*/fuzz_}
    mkdir -p "$fz/corpus-$name"
    if "$f" -max_total_time="${FUZZ_SHORT:-3}" -rss_limit_mb=2048 "$fz/corpus-$name" \
           "tests/fuzz/corpus/$name" >"$fz/fuzz_$name.log" 2>&1; then
        ok; echo "ok   fuzz_$name"
    else bad "fuzz_$name"; tail -n 30 "$fz/fuzz_$name.log"; fi
done

echo
for f in "${failed[@]+"${failed[@]}"}"; do echo "failed: $f"; done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
