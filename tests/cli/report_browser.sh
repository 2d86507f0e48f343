#!/usr/bin/env bash
# The HTML report in a real browser: headless Chromium (Debian's chromium,
# installed by make test through tools/deps.sh) opens a report of a known
# scenario from file:// and
#   - logs no console message (a page with console.error shows the check
#     would see one),
#   - holds every chart with the expected number of elements: a cell per
#     frame, a region and a tree node per VAD, a <details> per page table,
#     a line per recorded series,
#   - shows in its tables the numbers the --json views print for the
#     same state (!memusage, taskmgr, !vad, stats, vmmap),
#   - paints a screenshot that is not blank (tests/cli/pngcheck.c).
# The DOM checked is Chromium's (--dump-dom), not the file: what the
# browser parsed.  jq reads the JSON.
# Usage: tests/cli/report_browser.sh VMLAB (pngcheck is next to VMLAB)
set -u
vmlab=$(realpath "${1:-build/test/vmlab}")
pngcheck=$(dirname "$vmlab")/pngcheck
fails=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { fails=$((fails + 1)); echo "FAIL: $*"; }

chrome=$(command -v chromium || command -v chromium-browser) ||
    { echo "FAIL: no chromium (make test installs Debian's chromium: tools/deps.sh test)"; exit 1; }
# headless: a fresh profile, no sandbox (root), nothing but the page
browse() {
    timeout 120 "$chrome" --headless --no-sandbox --disable-gpu --no-first-run \
        --no-default-browser-check --disable-extensions --disable-background-networking \
        --user-data-dir="$tmp/profile" --enable-logging=stderr --v=0 "$@"
}

# The scenario: two processes and a fork child, private, shared and
# copy-on-write pages, a working set trimmed to the standby and modified
# lists; the JSON views of the state the report shows.
cat >"$tmp/scene.vms" <<'END'
machine ram=8M pagefile=16M seed=1
process A
$p = VirtualAlloc A 0 256K MEM_RESERVE|MEM_COMMIT PAGE_READWRITE
touch A $p 256K w
$r = VirtualAlloc A 0 1M MEM_RESERVE PAGE_READWRITE
$s = mmap A 0 64K PROT_READ|PROT_WRITE MAP_SHARED|MAP_ANONYMOUS
touch A $s 64K w
fork A C
touch C $p 32K w
process B
$q = VirtualAlloc B 0 512K MEM_RESERVE|MEM_COMMIT PAGE_READWRITE
touch B $q 512K r
SetProcessWorkingSetSize B 16 32
!memusage --json
taskmgr --json
!vad A --json
!vad B --json
!vad C --json
stats A --json
stats B --json
stats C --json
vmmap A --json
vmmap B --json
vmmap C --json
END
# A plot from a CSV file (--plot): the faults of every policy that runs
# alone, with 1 to 5 frames, on Belady's string, as vmlab policy counts them.
refs=1,2,3,4,1,2,5,1,2,3,4,5
for f in 1 2 3 4 5; do "$vmlab" policy -p all -f $f $refs --json >"$tmp/pol$f.json"; done
n_pol=$(jq '.policies | length' "$tmp/pol1.json")
{
    echo "# title: Faults of every policy on $refs"
    echo "# y: faults"
    echo "frames,$(jq -r '[.policies[].policy] | join(",")' "$tmp/pol1.json")"
    for f in 1 2 3 4 5; do echo "$f,$(jq -r '[.policies[].faults] | join(",")' "$tmp/pol$f.json")"; done
} >"$tmp/faults.csv"
"$vmlab" report "$tmp/scene.vms" -o "$tmp/report.html" --plot "$tmp/faults.csv" >"$tmp/scene.out" 2>&1 ||
    { fail "vmlab report: $(tail -5 "$tmp/scene.out")"; exit 1; }
grep '^{' "$tmp/scene.out" >"$tmp/views.json"

# 1. The page loads and logs nothing; the check sees a console error.
printf '<!DOCTYPE html><title>x</title><script>console.error("seen")</script>\n' >"$tmp/bad.html"
browse --dump-dom "file://$tmp/bad.html" >/dev/null 2>"$tmp/bad.log"
grep -q 'CONSOLE.*seen' "$tmp/bad.log" || fail "the console check saw nothing on a page that logs"
browse --dump-dom "file://$tmp/report.html" >"$tmp/dom.html" 2>"$tmp/chrome.log"
grep -q '</html>' "$tmp/dom.html" || fail "Chromium returned no document: $(tail -3 "$tmp/chrome.log")"
if grep -q 'CONSOLE' "$tmp/chrome.log"; then
    fail "console messages:"; grep 'CONSOLE' "$tmp/chrome.log" | head -5
fi

# 2. Element counts.
count() { grep -o "$1" "$tmp/dom.html" | wc -l; }
jqv() { jq -r "$1" "$tmp/views.json" | grep -v '^null$' | head -1; }
frames=$(jq -r 'select(.view == "memusage") | .total.pages' "$tmp/views.json")
[ "$(count '<rect class="cell ')" = "$frames" ] ||
    fail "the frame map has $(count '<rect class="cell ') cells, not one per frame ($frames)"
vads=0 pts=0
for pid in 1 2 3; do
    n=$(jq -r "select(.view == \"vad\" and .pid == $pid) | .total_vads" "$tmp/views.json")
    vads=$((vads + n))
    pt=$(jq -r "select(.view == \"stats\" and .id == $pid) | .counters.pagetable_pages" "$tmp/views.json")
    pts=$((pts + pt))
    got=$(grep -o "data-k=\"$pid.total.blocks\">[0-9]*<" "$tmp/dom.html" | grep -o '[0-9]*<' | tr -d '<')
    [ "$got" = "$n" ] || fail "pid $pid: $got blocks in its type table, !vad says $n"
done
[ "$(count '<rect class="region ')" = "$vads" ] ||
    fail "$(count '<rect class="region ') regions in the strips, $vads VADs"
[ "$(count '<g class="vadnode"')" = "$vads" ] ||
    fail "$(count '<g class="vadnode"') tree nodes, $vads VADs"
[ "$(count '<details class="pt"')" = "$pts" ] ||
    fail "$(count '<details class="pt"') page tables drawn, the processes have $pts"
# lists 5, faults 4, commit 2, working sets 3; then a line per policy
[ "$n_pol" -ge 12 ] || fail "vmlab policy -p all ran $n_pol policies"
[ "$(count '<polyline class="series')" = $((14 + n_pol)) ] ||
    fail "$(count '<polyline class="series') series, not 14 timeline series and $n_pol policies"
[ "$(count '<svg class="chart"')" = 14 ] || fail "$(count '<svg class="chart"') charts, not 14"
[ "$(count 'data-chart="plot-1"')" = 1 ] || fail "no chart of the --plot file"

# 3. The tables hold the --json views' numbers.
cell() { grep -o "data-k=\"$1\">[0-9]*<" "$tmp/dom.html" | head -1 | grep -o '[0-9]*<' | tr -d '<'; }
same() {   # same WHAT TABLE-KEY JQ
    local t j
    t=$(cell "$2"); j=$(jqv "$3")
    [ -n "$t" ] && [ "$t" = "$j" ] || fail "$1: the table says '$t', --json says '$j'"
}
for l in zeroed free standby modified active; do
    key=$l; [ $l = modified ] && key=modified
    same "Use Counts, $l" "total.$l" "select(.view == \"memusage\") | .lists.$key.kb"
done
same "Use Counts, all" "total.total" 'select(.view == "memusage") | .total.kb'
for k in 0 1 2 3 4 5 6 7; do
    same "standby priority $k" "standby.$k" "select(.view == \"memusage\") | .standby_by_priority[$k]"
done
for pid in 1 2 3; do
    for f in working_set ws_private ws_shareable ws_shared peak_working_set private_bytes virtual_size; do
        same "pid $pid $f" "$pid.${f}_kb" \
            "select(.view == \"taskmgr\") | .processes[] | select(.pid == $pid) | (.$f / 1024 | floor)"
    done
    for f in page_faults hard_faults; do
        same "pid $pid $f" "$pid.$f" \
            "select(.view == \"taskmgr\") | .processes[] | select(.pid == $pid) | .$f"
    done
    for f in size:size_kb committed:committed_kb ws:working_set_kb private_ws:private_ws_kb \
             shareable_ws:shareable_ws_kb shared_ws:shared_ws_kb blocks:blocks; do
        same "pid $pid VMMap total ${f%%:*}" "$pid.total.${f%%:*}" \
            "select(.view == \"vmmap\" and .pid == $pid) | .types[] | select(.type == \"Total\") | .${f#*:}"
    done
done

# The plot's table holds vmlab policy's counts: FIFO's 9 faults with 3
# frames and 10 with 4 (Belady's anomaly), every policy with 5 frames.
grep -q 'id="t-plot-1"' "$tmp/dom.html" || fail "no table beside the plot"
point() { grep -c "<tr><td>$1</td><td class=\"n\">$2</td><td class=\"n\">$3</td></tr>" "$tmp/dom.html"; }
[ "$(point fifo 3 9)" = 1 ] && [ "$(point fifo 4 10)" = 1 ] ||
    fail "the plot's table lacks FIFO's Belady anomaly (3 frames: 9, 4 frames: 10)"
while read -r name faults; do
    [ "$(point "$name" 5 "$faults")" = 1 ] || fail "the plot's table: $name with 5 frames is not $faults"
done < <(jq -r '.policies[] | "\(.policy) \(.faults)"' "$tmp/pol5.json")

# 4. A screenshot, not blank: many colours and ink on a good part of it.
browse --screenshot="$tmp/shot.png" --window-size=1280,1600 --hide-scrollbars \
    "file://$tmp/report.html" >/dev/null 2>&1
if [ -s "$tmp/shot.png" ]; then
    read -r w h colours ink < <("$pngcheck" "$tmp/shot.png")
    [ "${colours:-0}" -ge 16 ] && [ "${ink:-0}" -ge $((w * h / 50)) ] ||
        fail "the screenshot looks blank: ${w}x$h, $colours colours, $ink pixels of ink"
else
    fail "no screenshot"
fi

[ -n "${VERBOSE:-}" ] && echo "frames $frames vads $vads pts $pts series $(count "<polyline class=\"series") zeroed $(cell total.zeroed) ws1 $(cell 1.working_set_kb) shot $w $h $colours $ink"
[ "$fails" -eq 0 ] && echo "report in Chromium: all held"
exit $((fails > 0))
