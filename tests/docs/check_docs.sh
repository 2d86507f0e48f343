#!/usr/bin/env bash
# The examples of the documentation are run, and their output compared
# with what the document shows.  Usage (from the top of the tree):
#   tests/docs/check_docs.sh VMLAB_BUILD RELEASE_BUILD FILE.md...
#
# The convention: a fenced block whose info string is vmlab-session is a
# terminal session.  Each line starting with "$ " is a command, run by bash
# in a fresh copy of examples/ with `vmlab` on the PATH (VMLAB_BUILD/vmlab)
# and PKG_CONFIG_PATH naming a temporary `make install` of RELEASE_BUILD;
# the lines after it, up to the next "$ " line, are its output (standard
# output and error together), compared line for line.  A line "..." stands
# for any number of lines (none included), so a document may show the part
# of an output it talks about.  Blank lines at the end of an output are not
# compared.  The exit status of a command is not checked (documents show
# failures too).  Every other block is text and is not run.
#
# Prints "FILE:LINE: ..." for each session whose output differs, and exits
# 1 if any did.
set -u
tb=$1 rb=$2
shift 2
top=$(pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/bin"
ln -s "$(realpath "$tb/vmlab")" "$tmp/bin/vmlab"
export PATH="$tmp/bin:$PATH"
make -s --no-print-directory install PREFIX="$tmp/prefix" B="$rb" >"$tmp/install.log" 2>&1 ||
    { echo "check_docs: make install failed:"; cat "$tmp/install.log"; exit 1; }
export PKG_CONFIG_PATH="$tmp/prefix/lib/pkgconfig"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
fails=0
n_sessions=0

# match EXPECTED ACTUAL: 0 when ACTUAL matches EXPECTED ("..." lines are
# wildcards over whole lines; trailing blank lines dropped from both).
match() {
    awk -v E="$1" -v A="$2" '
    function load(f, arr,    n, line) {
        n = 0
        while ((getline line < f) > 0) arr[++n] = line
        while (n > 0 && arr[n] ~ /^[ \t]*$/) n--
        return n
    }
    BEGIN {
        m = load(E, e); n = load(A, a)
        # ok[i, j]: e[i..m] matches a[j..n]
        for (i = m + 1; i >= 1; i--)
            for (j = n + 1; j >= 1; j--) {
                if (i == m + 1) { ok[i, j] = (j == n + 1); continue }
                if (e[i] == "...") { ok[i, j] = ok[i + 1, j] || (j <= n && ok[i, j + 1]); continue }
                ok[i, j] = j <= n && e[i] == a[j] && ok[i + 1, j + 1]
            }
        exit ok[1, 1] ? 0 : 1
    }'
}

# first_difference EXPECTED ACTUAL CMDLINE: where they part, found
# greedily ("..." skips to the next expected line's first occurrence):
# the document's line and what the output has there.
first_difference() {
    awk -v E="$1" -v A="$2" -v base="$3" '
    BEGIN {
        m = 0; while ((getline l < E) > 0) e[++m] = l
        n = 0; while ((getline l < A) > 0) a[++n] = l
        j = 1; skip = 0
        for (i = 1; i <= m; i++) {
            if (e[i] == "...") { skip = 1; continue }
            if (skip) { while (j <= n && a[j] != e[i]) j++ }
            if (j > n || a[j] != e[i]) {
                printf "  document line %d: %s\n", base + i, e[i]
                if (j <= n) printf "  output line %d:   %s\n", j, a[j]
                else print "  (the output has ended)"
                exit
            }
            j++; skip = 0
        }
        if (j <= n) printf "  the output goes on at its line %d: %s\n", j, a[j]
    }'
}
for doc in "$@"; do
    # Split the document's sessions: one file per command (s.N.cmd) and its
    # expected output (s.N.out), with the line of the command (s.N.line).
    rm -rf "$tmp/split"
    mkdir -p "$tmp/split"
    awk -v dir="$tmp/split" '
        /^```/ {
            if (insess) { insess = 0; next }
            if ($0 ~ /^```vmlab-session[ \t]*$/) { insess = 1; block++; next }
            next
        }
        insess && /^\$ / {
            cmd++
            print substr($0, 3) > (dir "/" cmd ".cmd")
            print NR > (dir "/" cmd ".line")
            print block > (dir "/" cmd ".block")
            printf "" > (dir "/" cmd ".out")
            next
        }
        insess && cmd > 0 { print >> (dir "/" cmd ".out") }
    ' "$doc"
    last_block=""
    for c in $(ls "$tmp/split" | grep '\.cmd$' | sort -n); do
        k=${c%.cmd}
        block=$(cat "$tmp/split/$k.block")
        if [ "$block" != "$last_block" ]; then       # each session: a fresh copy
            rm -rf "$tmp/work"
            cp -r "$top/examples" "$tmp/work"
            last_block=$block
            n_sessions=$((n_sessions + 1))
        fi
        cmd=$(cat "$tmp/split/$k.cmd")
        (cd "$tmp/work" && bash -c "$cmd") >"$tmp/actual" 2>&1
        if ! match "$tmp/split/$k.out" "$tmp/actual"; then
            fails=$((fails + 1))
            line=$(cat "$tmp/split/$k.line")
            echo "$doc:$line: the output of \`$cmd\` differs from the document:"
            first_difference "$tmp/split/$k.out" "$tmp/actual" "$line"
        fi
    done
done
echo "check_docs: $n_sessions sessions, $fails differing"
[ "$fails" -eq 0 ]
