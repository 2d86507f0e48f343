#!/bin/sh
# callgrind.sh -- instruction counts of the hardware's hot paths (make bench-cg).
# Runs bench/cg_hw under callgrind once per phase (collecting only inside
# that phase's function) and prints instructions (Ir) per operation:
#   Ir/op      the whole phase, per access (or per invlpg call)
#   Ir/walk    the whole phase, per page walk
#   translate  mmu_translate() with the walk and the fill it makes, per walk
#   tlb_fill   tlb_fill(), per walk
#   tlb_invlpg tlb_invlpg(), per operation of the phase
#   usage: bench/callgrind.sh BUILD_DIR     (needs valgrind: apt-get install valgrind)
set -eu
B=${1:-build}
if ! command -v valgrind >/dev/null || ! command -v callgrind_annotate >/dev/null; then
    echo "callgrind.sh: valgrind is missing (Debian: apt-get install -y valgrind)" >&2
    exit 1
fi
OUT=$(mktemp -d "${TMPDIR:-/tmp}/vmlab-cg.XXXXXX")
trap 'rm -rf "$OUT"' EXIT
"$B/cg_hw" > "$OUT/counts"
printf '%-16s %8s %8s %8s %8s %10s %9s %10s\n' phase ops walks Ir/op Ir/walk \
       translate tlb_fill tlb_invlpg
while read -r phase ops walks; do
    valgrind --tool=callgrind --collect-atstart=no --toggle-collect="$phase" --toggle-collect="$phase.*" \
             --callgrind-out-file="$OUT/$phase.cg" "$B/cg_hw" > /dev/null 2>&1
    callgrind_annotate --inclusive=yes --threshold=100 "$OUT/$phase.cg" > "$OUT/$phase.txt"
    # "1,234,567 (12.3%)  file:function [obj]" -> Ir of one function
    ir() { awk -v f="$1" '{ n = $1; gsub(",", "", n) }
                         $0 ~ ":" f "([ .]|$)" && n ~ /^[0-9]+$/ { print n; exit }' "$OUT/$phase.txt"; }
    total=$(ir "$phase"); walk=$(ir mmu_translate); fill=$(ir tlb_fill); inv=$(ir tlb_invlpg)
    awk -v p="$phase" -v o="$ops" -v w="$walks" -v t="${total:-0}" -v mw="${walk:-0}" \
        -v tf="${fill:-0}" -v ti="${inv:-0}" 'BEGIN {
        d = w > 0 ? w : o
        printf "%-16s %8d %8d %8.1f %8.1f %10.1f %9.1f %10.1f\n", p, o, w, t / o,
               (w > 0 ? t / w : 0), mw / d, tf / d, ti / o }'
done < "$OUT/counts"
