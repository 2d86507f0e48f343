#!/usr/bin/env bash
# The pictures from the command line: what the terminal gets (colour only
# on a terminal and never with NO_COLOR, box drawing on a UTF-8 locale,
# the width of COLUMNS when not a terminal), `vmlab report` and its
# errors, SVG files, report inside a script.
# Usage: tests/cli/pictures.sh VMLAB
set -u
vmlab=$(realpath "${1:-build/test/vmlab}")
fails=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { fails=$((fails + 1)); echo "FAIL: $*"; }
esc=$'\e'

cat >"$tmp/lists.vms" <<'END'
machine ram=4M
process A
$p = VirtualAlloc A 0 0x10000 MEM_RESERVE|MEM_COMMIT PAGE_READWRITE
touch A $p 0x10000 w
diagram lists
END

# On a terminal (script(1) gives the command a pseudo-terminal): colour.
script -qec "$vmlab run $tmp/lists.vms" /dev/null >"$tmp/tty.out" 2>&1
grep -q "$esc\[3" "$tmp/tty.out" || fail "no colour on a terminal"
# NO_COLOR set (any non-empty value): none, on a terminal too.
NO_COLOR=1 script -qec "$vmlab run $tmp/lists.vms" /dev/null >"$tmp/nocolor.out" 2>&1
grep -q "$esc" "$tmp/nocolor.out" && fail "colour with NO_COLOR set"
grep -q "Frame map" "$tmp/nocolor.out" || fail "no diagram with NO_COLOR: $(head -5 "$tmp/nocolor.out")"
# An empty NO_COLOR does not count (no-color.org).
NO_COLOR= script -qec "$vmlab run $tmp/lists.vms" /dev/null >"$tmp/empty.out" 2>&1
grep -q "$esc\[3" "$tmp/empty.out" || fail "an empty NO_COLOR turned colour off"
# Not a terminal: no colour.
"$vmlab" run "$tmp/lists.vms" >"$tmp/pipe.out" 2>&1
grep -q "$esc" "$tmp/pipe.out" && fail "colour into a pipe"

# The character set follows the locale; --ascii and --unicode choose.
LC_ALL=C.UTF-8 "$vmlab" run "$tmp/lists.vms" | grep -q '┌' || fail "no box drawing on UTF-8"
LC_ALL=C "$vmlab" run "$tmp/lists.vms" | grep -q '┌' && fail "box drawing in the C locale"
LC_ALL=C "$vmlab" run "$tmp/lists.vms" | grep -q '^+---' || fail "no ASCII box in the C locale"
LC_ALL= LC_CTYPE= LANG=en_US.UTF-8 "$vmlab" run "$tmp/lists.vms" | grep -q '┌' ||
    fail "LANG's UTF-8 not seen"
sed 's/^diagram lists$/diagram lists --ascii/' "$tmp/lists.vms" >"$tmp/ascii.vms"
LC_ALL=C.UTF-8 "$vmlab" run "$tmp/ascii.vms" | grep -q '┌' && fail "--ascii drew box drawing"

# The width: COLUMNS when the output is not a terminal, else 80.
w=$(COLUMNS=100 LC_ALL=C "$vmlab" run "$tmp/lists.vms" | awk '/^\+-/ { print length($0); exit }')
[ "$w" = 100 ] || fail "COLUMNS=100 gave a bar of width $w"
w=$(env -u COLUMNS LC_ALL=C "$vmlab" run "$tmp/lists.vms" | awk '/^\+-/ { print length($0); exit }')
[ "$w" = 80 ] || fail "without COLUMNS the width is $w, not 80"
w=$(COLUMNS=20 LC_ALL=C "$vmlab" run "$tmp/lists.vms" | awk '/^\+-/ { print length($0); exit }')
[ "$w" = 40 ] || fail "COLUMNS=20 gave $w columns, not the narrowest, 40"

# vmlab report: usage errors exit 2 and say what is wrong.
check_usage() {
    local want=$1; shift
    "$vmlab" report "$@" >"$tmp/u.out" 2>&1
    local rc=$?
    [ $rc -eq 2 ] && grep -qF -- "$want" "$tmp/u.out" ||
        fail "vmlab report $*: exit $rc, wanted 2 and '$want': $(cat "$tmp/u.out")"
}
check_usage "no -o FILE.html to write" "$tmp/lists.vms"
check_usage "no SCRIPT to run" -o "$tmp/r.html"
check_usage "one SCRIPT only" "$tmp/lists.vms" "$tmp/lists.vms" -o "$tmp/r.html"
check_usage "unknown option" "$tmp/lists.vms" -o "$tmp/r.html" --pdf
check_usage "take a count of at least 1" "$tmp/lists.vms" -o "$tmp/r.html" --every 0
check_usage "cannot open" "$tmp/missing.vms" -o "$tmp/r.html"
check_usage "--plot needs a CSV file after it" "$tmp/lists.vms" -o "$tmp/r.html" --plot
check_usage "cannot open the plot" "$tmp/lists.vms" -o "$tmp/r.html" --plot "$tmp/none.csv"
# A bad plot file is refused before the script runs, naming its line and column.
printf 'frames,lru\n1,1\n2,0.5x\n' >"$tmp/cell.csv"
check_usage "cell.csv:3: column 2 (lru): '0.5x' is not a finite number" \
    "$tmp/lists.vms" -o "$tmp/r.html" --plot "$tmp/cell.csv"
grep -q 'Frame map' "$tmp/u.out" && fail "the script ran before its bad --plot was refused"
printf '# y: miss ratio\nframes,lru\n2,1\n1,1\n' >"$tmp/back.csv"
check_usage "back.csv:4: x 1 is less than the x before it (2)" \
    "$tmp/lists.vms" -o "$tmp/r.html" --plot "$tmp/back.csv"
printf 'frames,lru,opt\n1,1\n' >"$tmp/ragged.csv"
check_usage "ragged.csv:2: 2 columns, the header has 3" \
    "$tmp/lists.vms" -o "$tmp/r.html" --plot "$tmp/ragged.csv"
printf 'frames\n1\n' >"$tmp/alone.csv"
check_usage "alone.csv:1: the header names x and no series" \
    "$tmp/lists.vms" -o "$tmp/r.html" --plot "$tmp/alone.csv"
[ -e "$tmp/r.html" ] && fail "a failed vmlab report wrote its file"

# A report, its charts as SVG files: 3 machine charts, space and vad of
# the process, 4 timelines.
"$vmlab" report "$tmp/lists.vms" -o "$tmp/r.html" --svg "$tmp/svg" >"$tmp/r.out" 2>&1 ||
    fail "vmlab report: $(cat "$tmp/r.out")"
n=$(ls "$tmp/svg" | wc -l)
[ "$n" = 9 ] || fail "--svg wrote $n files, not 9: $(ls "$tmp/svg")"
for f in usecounts frames standby space-1 vad-1 timeline-lists timeline-faults timeline-commit \
         timeline-ws; do
    [ -s "$tmp/svg/$f.svg" ] || fail "no $f.svg"
    head -c 5 "$tmp/svg/$f.svg" | grep -q '<?xml' || fail "$f.svg is not an XML document"
done
grep -q '<section id="timelines">' "$tmp/r.html" || fail "no timelines section"
grep -q 'samples, one every 1 accesses' "$tmp/r.html" || fail "vmlab report did not record from the start"
# By ticks: no tick, no sample, and the report says so.
"$vmlab" report "$tmp/lists.vms" -o "$tmp/t.html" --ticks 1 >/dev/null 2>&1 || fail "--ticks"
grep -q 'Nothing was recorded' "$tmp/t.html" || fail "--ticks with no tick recorded samples"

# report inside a script: the path is relative to where vmlab runs; the
# same state gives the same bytes.
mkdir -p "$tmp/cwd"
printf 'machine ram=4M\nprocess A\nreport here.html\nreport again.html\n' >"$tmp/cwd/in.vms"
(cd "$tmp/cwd" && "$vmlab" run in.vms >/dev/null 2>&1) || fail "report in a script"
cmp -s "$tmp/cwd/here.html" "$tmp/cwd/again.html" || fail "two reports of one state differ"

# --plot: a plot of the CSV's curves in the report and as plot-1.svg, with
# its title, its axes, a line per series (an empty cell: no point there).
printf '# title: Two curves\n# y: miss ratio\nframes,lru,opt\n1,1,1\n2,0.5,\n4,0.25,0.2\n' \
    >"$tmp/cwd/mrc.csv"
printf 'machine ram=4M\nprocess A\nreport p.html --plot mrc.csv --svg svgp\n' >"$tmp/cwd/p.vms"
(cd "$tmp/cwd" && "$vmlab" run p.vms >/dev/null 2>&1) || fail "report --plot in a script"
svg=$tmp/cwd/svgp/plot-1.svg
[ -s "$svg" ] || fail "no plot-1.svg"
[ "$(grep -o '<polyline class="series' "$svg" | wc -l)" = 2 ] || fail "plot-1.svg: not 2 series"
grep -q '>miss ratio</text>' "$svg" && grep -q '>frames</text>' "$svg" &&
    grep -q '>Two curves</text>' "$svg" || fail "plot-1.svg: no title or axis names"
grep -q 'opt: (1, 1) (4, 0.2)' "$svg" || fail "plot-1.svg: the empty cell made a point"
grep -q 'data-chart="plot-1"' "$tmp/cwd/p.html" || fail "the report has no plot-1"
printf 'machine ram=4M\nreport q.html --plot ragged.csv\n' >"$tmp/cwd/q.vms"
cp "$tmp/ragged.csv" "$tmp/cwd/"
(cd "$tmp/cwd" && "$vmlab" run q.vms >"$tmp/q.out" 2>&1)
[ $? = 2 ] && grep -q 'q.vms:2: error: ragged.csv:2: 2 columns' "$tmp/q.out" ||
    fail "a bad --plot in a script: $(cat "$tmp/q.out")"
[ -e "$tmp/cwd/q.html" ] && fail "a report with a bad --plot was written"

# Replay's own CSV plots as it is: --mrc --csv gives the ratio curves, a
# sweep's --csv a curve per policy over its frames (tests/traces/loop.lackey:
# 10 references to 5 pages in a loop).
loop=$(cd "$(dirname "$0")/../traces" && pwd)/loop.lackey
"$vmlab" replay "$loop" --mrc --csv >"$tmp/cwd/rmrc.csv" 2>/dev/null &&
    "$vmlab" replay "$loop" -p lru,fifo,opt -f 1,2,4,8 --csv >"$tmp/cwd/rsweep.csv" 2>/dev/null ||
    fail "replay --csv"
printf 'machine ram=4M\nreport r.html --plot rmrc.csv --plot rsweep.csv --svg svgr\n' \
    >"$tmp/cwd/r.vms"
(cd "$tmp/cwd" && "$vmlab" run r.vms >"$tmp/r.out" 2>&1) || fail "report --plot of replay's CSV: $(cat "$tmp/r.out")"
grep -q 'lru: (1, 1) (2, 1) (3, 0.6) (4, 0.6) (5, 0.5)' "$tmp/cwd/svgr/plot-1.svg" &&
    grep -q '>fault ratio (faults / references)</text>' "$tmp/cwd/svgr/plot-1.svg" ||
    fail "plot of replay --mrc --csv: not the LRU ratios"
[ "$(grep -o '<polyline class="series' "$tmp/cwd/svgr/plot-1.svg" | wc -l)" = 2 ] ||
    fail "plot of replay --mrc --csv: not 2 curves (lru, opt)"
"$vmlab" replay "$loop" --machine "ram=4M" --timeline 2 --timeline-out "$tmp/cwd/rtl.csv" \
    >/dev/null 2>&1 || fail "replay --timeline"
printf 'machine ram=4M\nreport t.html --plot rtl.csv --svg svgt\n' >"$tmp/cwd/t.vms"
(cd "$tmp/cwd" && "$vmlab" run t.vms >"$tmp/t.out" 2>&1) || fail "report --plot of a timeline: $(cat "$tmp/t.out")"
grep -q '^page_faults: (2, 2) (4, 4)' "$tmp/cwd/svgt/plot-1.svg" ||
    fail "plot of replay --timeline-out: no page_faults over the accesses"
grep -q 'opt: (1, 1) (2, 0.8) (4, 0.5) (8, 0.5)' "$tmp/cwd/svgr/plot-2.svg" &&
    grep -q 'fifo: (1, 1) (2, 1) (4, 0.6) (8, 0.5)' "$tmp/cwd/svgr/plot-2.svg" ||
    fail "plot of a sweep's --csv: not a curve per policy"

[ "$fails" -eq 0 ] && echo "pictures: all held"
exit $((fails > 0))
