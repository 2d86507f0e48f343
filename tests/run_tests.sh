#!/usr/bin/env bash
# Runs the whole test suite against the sanitizer build in $1 (build/test):
#   1. every unit test binary (cmocka),
#   2. every scenario under tests/scenarios/ (any depth; must exit 0: all
#      expects held); a scenario FOO.vms with a FOO.out next to it must
#      also print exactly FOO.out (stdout and stderr together),
#   3. every bad script under tests/bad/ (must exit 2 and print the
#      substring its first line names: "# error: <text>"; a FOO.out next
#      to it is compared exactly too),
#   4. determinism: a scenario run twice gives byte-identical output,
#   5. the guided tour (what `make run` shows) exits 0,
#   6. every command-line test tests/cli/*.sh (run as: bash T VMLAB; must
#      exit 0),
#   7. the examples (examples/*.c, built on the sanitizer library in
#      $1/examples): each prints exactly examples/NAME.out,
#   8. the documentation: every vmlab-session block of README.md and
#      docs/*.md prints what the text shows (tests/docs/check_docs.sh),
#   9. linking (tests/link/link.sh on the release build in $2, build/):
#      only vml_ symbols exported, make install and pkg-config work,
#  10. fuzzing (the libFuzzer targets in $3, build/fuzz): every kept crash
#      in tests/fuzz/regress runs clean, and each target fuzzes for
#      $FUZZ_TEST_TIME seconds (default 5) without finding one.
# Each script runs in its own directory, named without a path
# (`cd tests/scenarios/tlb && vmlab run stale_tlb.vms`), so that the
# messages a golden file holds do not depend on where the tree lives.
#
# Golden files: after checking that a change of output is intended,
#   VMLAB_BLESS=1 tests/run_tests.sh build/test
# rewrites every existing FOO.out (and examples/*.out) from the current
# output (it never creates one: `vmlab run FOO.vms > FOO.out 2>&1` in FOO's
# directory does).
#
# Ends with the plain closing line "N passed, N failed".
set -u
tb=${1:-build/test}
rb=${2:-build}
fz=${3:-}
vmlab=$(realpath "$tb/vmlab")
bless=${VMLAB_BLESS:-}
pass=0
fail=0
failed=()
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

ok()  { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); failed+=("$1"); echo "FAIL: $1"; }

# run_in_dir SCRIPT: runs `vmlab run` on SCRIPT from its directory; the
# output (stdout and stderr) goes to $tmp/out, the exit status is returned.
run_in_dir() {
    (cd "$(dirname "$1")" && "$vmlab" run "$(basename "$1")") >"$tmp/out" 2>&1
}

# golden SCRIPT: 0 when SCRIPT has no .out or its output ($tmp/out) is
# exactly the .out; otherwise prints the difference.
golden() {
    local want=${1%.vms}.out
    [ -f "$want" ] || return 0
    if [ -n "$bless" ]; then cp "$tmp/out" "$want"; return 0; fi
    if ! diff -u "$want" "$tmp/out" >"$tmp/diff"; then
        echo "  output differs from $want:"; head -n 40 "$tmp/diff"
        return 1
    fi
}

echo "== unit tests"
for t in "$tb"/unit/test_*; do
    [ -x "$t" ] || continue
    if "$t" >"$t.log" 2>&1; then ok; echo "ok   $(basename "$t")"; else bad "$(basename "$t")"; cat "$t.log"; fi
done

echo "== scenarios"
while IFS= read -r s; do
    if run_in_dir "$s"; then
        if golden "$s"; then ok; echo "ok   $s"; else bad "$s (golden output)"; fi
    else
        bad "$s"; tail -n 20 "$tmp/out"
    fi
done < <(find tests/scenarios -name '*.vms' | LC_ALL=C sort)

echo "== bad inputs"
while IFS= read -r s; do
    want=$(head -n 1 "$s" | sed -n 's/^# error: //p')
    run_in_dir "$s"; rc=$?
    if [ "$rc" -eq 2 ] && [ -n "$want" ] && grep -qF -- "$want" "$tmp/out"; then
        if golden "$s"; then ok; echo "ok   $s"; else bad "$s (golden output)"; fi
    else
        bad "$s (exit $rc, wanted 2 and '$want')"; tail -n 5 "$tmp/out"
    fi
done < <(find tests/bad -name '*.vms' | LC_ALL=C sort)

echo "== determinism"
for s in tests/scenarios/basics/commit_no_frame_until_touch.vms tests/scenarios/tlb/stale_tlb.vms \
         tests/scenarios/paging/pressure_hard_fault_reads_data_back.vms \
         tests/scenarios/events/events_narrate_trims_and_writes.vms; do
    [ -f "$s" ] || { bad "$s is missing"; continue; }
    a=$("$vmlab" run "$s" 2>&1); b=$("$vmlab" run "$s" 2>&1)
    if [ "$a" == "$b" ]; then ok; echo "ok   $s twice"; else bad "$s is not deterministic"; fi
done

echo "== tour"
if "$vmlab" tour >"$tmp/out" 2>&1; then ok; echo "ok   vmlab tour"
else bad "vmlab tour"; tail -n 20 "$tmp/out"; fi

echo "== command-line tests"
for t in tests/cli/*.sh; do
    [ -f "$t" ] || continue
    if bash "$t" "$vmlab" >"$tmp/out" 2>&1; then ok; echo "ok   $t"
    else bad "$t"; tail -n 20 "$tmp/out"; fi
done

echo "== examples"
for e in examples/*.c; do
    name=$(basename "$e" .c)
    "$tb/examples/$name" >"$tmp/out" 2>&1 && [ -n "$bless" ] && cp "$tmp/out" "examples/$name.out"
    if "$tb/examples/$name" >"$tmp/out" 2>&1 && diff -u "examples/$name.out" "$tmp/out" >"$tmp/diff"
    then ok; echo "ok   examples/$name"
    else bad "examples/$name"; head -n 30 "$tmp/diff" "$tmp/out"; fi
done

echo "== documentation"
if bash tests/docs/check_docs.sh "$tb" "$rb" README.md docs/*.md >"$tmp/out" 2>&1; then
    ok; echo "ok   $(tail -n 1 "$tmp/out")"
else bad "documentation examples (tests/docs/check_docs.sh)"; tail -n 40 "$tmp/out"; fi

echo "== linking"
if bash tests/link/link.sh "$rb" >"$tmp/out" 2>&1; then ok; echo "ok   tests/link/link.sh"
else bad "tests/link/link.sh"; tail -n 20 "$tmp/out"; fi

if [ -n "$fz" ]; then
    echo "== fuzzing"
    if bash tests/fuzz/run.sh --regress "$fz" >"$tmp/out" 2>&1; then
        ok; echo "ok   $(grep -c '^ok' "$tmp/out") kept crash inputs run clean"
    else bad "tests/fuzz/regress"; grep -A 30 FAIL "$tmp/out" | head -n 40; fi
    mkdir -p "$tmp/fuzz"
    if VMLAB_TB=$tb bash tests/fuzz/run.sh "$fz" "${FUZZ_TEST_TIME:-5}" "$tmp/fuzz" >"$tmp/out" 2>&1; then
        ok; echo "ok   $(grep -c '^== ' "$tmp/out") targets fuzzed ${FUZZ_TEST_TIME:-5}s each"
    else bad "fuzzing found a crash (tests/fuzz/run.sh)"; tail -n 40 "$tmp/out"; fi
fi

echo
for f in "${failed[@]+"${failed[@]}"}"; do echo "failed: $f"; done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
