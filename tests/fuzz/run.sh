#!/usr/bin/env bash
# tests/fuzz/run.sh FUZZDIR SECONDS [WORKDIR]
#                                         fuzz each target for SECONDS
# tests/fuzz/run.sh --regress FUZZDIR     run every kept input once
#
# Targets: FUZZDIR/fuzz_api, fuzz_script, fuzz_pe, fuzz_elf, fuzz_plotcsv
# and a trace reader per format, fuzz_trace_lackey, _text, _csv, _vmt,
# _oracle and _auto (detection and the zstd/xz/gzip decompressors) (make
# fuzz builds them).  Each fuzzes a corpus in WORKDIR/corpus-TARGET (WORKDIR
# defaults to FUZZDIR: make fuzz's corpus grows from run to run), seeded
# from tests/fuzz/seeds/TARGET and tests/fuzz/regress/TARGET; the script
# target also from every scenario under tests/scenarios, the PE and ELF
# targets from the test images and the malformed files the loader's unit
# tests write ($VMLAB_TB, default build/test: images/ and seeds/TARGET/)
# and the ELF target from two binaries of this machine.  A crash is
# written to WORKDIR/crashes-TARGET/.
# Keep a crash as a regression test by copying it to
# tests/fuzz/regress/TARGET/ under a name that says what it found.
set -u
export ASAN_OPTIONS=${ASAN_OPTIONS:-allocator_may_return_null=1:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
here=$(cd "$(dirname "$0")" && pwd)
targets="api script pe elf plotcsv trace_lackey trace_text trace_csv trace_vmt trace_oracle trace_auto"
tb=${VMLAB_TB:-build/test}

if [ "${1:-}" = "--regress" ]; then
    fz=$2
    fails=0
    for t in $targets; do
        dir=$here/regress/$t
        [ -d "$dir" ] || continue
        for f in "$dir"/*; do
            [ -f "$f" ] || continue
            if "$fz/fuzz_$t" "$f" >"$fz/regress.log" 2>&1; then
                echo "ok   fuzz_$t $(basename "$f")"
            else
                echo "FAIL fuzz_$t $(basename "$f")"; tail -n 30 "$fz/regress.log"
                fails=$((fails + 1))
            fi
        done
    done
    exit $((fails > 0))
fi

fz=$1
secs=$2
work=${3:-$fz}
status=0
for t in $targets; do
    corpus=$work/corpus-$t
    crashes=$work/crashes-$t
    mkdir -p "$corpus" "$crashes"
    seeds=()
    for d in "$here/seeds/$t" "$here/regress/$t"; do [ -d "$d" ] && seeds+=("$d"); done
    maxlen=4096
    if [ "$t" = script ]; then
        mkdir -p "$work/seeds-scenarios"
        find "$here/../scenarios" -name '*.vms' -o -name '*.vmslib' | while IFS= read -r s; do
            cp "$s" "$work/seeds-scenarios/$(echo "${s#"$here"/../scenarios/}" | tr / _)"
        done
        seeds+=("$work/seeds-scenarios")
    fi
    if [ "$t" = pe ] || [ "$t" = elf ]; then
        # executables are larger than scripts
        maxlen=262144
        mkdir -p "$work/seeds-files-$t"
        for f in "$tb"/images/* "$tb/seeds/$t"/*; do
            case $f in *.a) continue ;; esac
            [ -f "$f" ] && cp "$f" "$work/seeds-files-$t/"
        done
        [ "$t" = elf ] && cp /usr/bin/true /usr/bin/ls "$work/seeds-files-$t/" 2>/dev/null
        seeds+=("$work/seeds-files-$t")
    fi
    echo "== fuzz_$t for ${secs}s (corpus $corpus)"
    if ! "$fz/fuzz_$t" -max_total_time="$secs" -timeout=20 -max_len=$maxlen -print_final_stats=1 \
            -artifact_prefix="$crashes/" "$corpus" "${seeds[@]}" >"$work/fuzz_$t.log" 2>&1; then
        echo "FAIL fuzz_$t: a crash, kept in $crashes/"; grep -A 30 "ERROR\|==.*==\|fuzz_api:" \
            "$work/fuzz_$t.log" | head -n 40
        status=1
    fi
    grep -E "^stat::number_of_executed_units|^Done" "$work/fuzz_$t.log" | tail -n 2
done
exit $status
