#!/usr/bin/env bash
# layers.sh -- the architecture's boundaries, checked on the sources:
#   1. no cycle in the graph of #include "..." between headers;
#   2. a layer includes headers of its own layer and those below it
#      (hw <- mm <- os/loader <- trace <- view <- cli); os/ and loader/
#      include of mm/ only the narrow interface (vm.h, handle.h, vad.h);
#      view/ and cli/ include no library internals but their own;
#   3. inside mm/, a module header includes only headers of modules below
#      it (machine.h's list), and no header includes machine.h.
# Run from the source root (as run_tests.sh does).  Exits 1 with the
# offending file and include.
set -u
cd "$(dirname "$0")/../.."
fail=0
bad() { echo "layers: $*"; fail=1; }

incs() { sed -n 's/^#include "\([^"]*\)".*/\1/p' "$1"; }

# resolve an include of file $1 to a path under src/ or include/
resolve() {
    local from=$1 inc=$2 dir
    dir=$(dirname "$from")
    for cand in "$dir/$inc" "src/$inc" "include/$inc"; do
        [ -f "$cand" ] && { echo "${cand#./}"; return; }
    done
}

# 1. cycles (depth-first search over headers)
declare -A state
visit() {
    local h=$1 dep
    state[$h]=1
    for inc in $(incs "$h"); do
        dep=$(resolve "$h" "$inc")
        [ -n "$dep" ] || continue
        if [ "${state[$dep]:-0}" = 1 ]; then bad "include cycle through $h -> $dep"; continue; fi
        [ "${state[$dep]:-0}" = 0 ] && visit "$dep"
    done
    state[$h]=2
}
for h in $(find src include -name '*.h' | sort); do
    [ "${state[$h]:-0}" = 0 ] && visit "$h"
done

# 2. layers
rank() {
    case $1 in
        include/*) echo 0 ;; src/hw/*) echo 1 ;; src/policy/*) echo 1 ;;
        src/mm/*) echo 2 ;; src/os/*|src/loader/*) echo 3 ;; src/trace/*) echo 4 ;;
        src/view/*) echo 5 ;; src/cli/*) echo 6 ;; *) echo 9 ;;
    esac
}
for f in $(find src -name '*.c' -o -name '*.h' | sort); do
    fr=$(rank "$f")
    for inc in $(incs "$f"); do
        dep=$(resolve "$f" "$inc")
        [ -n "$dep" ] || { bad "$f includes \"$inc\", which is not in the tree"; continue; }
        dr=$(rank "$dep")
        [ "$dr" -le "$fr" ] || bad "$f (layer $fr) includes $dep (layer $dr, above it)"
        case $f in
            src/os/*|src/loader/*)
                case $dep in src/mm/vm.h|src/mm/handle.h|src/mm/vad.h) ;;
                    src/mm/*) bad "$f includes $dep: os/ and loader/ see mm/ through vm.h only" ;;
                esac ;;
            src/view/*|src/cli/*|src/trace/*)
                case $dep in include/*|"$(dirname "$f")"/*) ;;
                    src/trace/*|src/policy/*|src/loader/*) [ "${f#src/cli/}" != "$f" ] && bad "$f includes $dep: the CLI links only vmlab.h" ;;
                    *) bad "$f includes library internals: $dep" ;;
                esac ;;
        esac
    done
done

# 3. inside mm/: module headers in machine.h's order
order=$(sed -n 's/^#include "\([a-z]*\)\.h".*/\1/p' src/mm/machine.h | tr '\n' ' ')
pos() { local i=0 w; for w in $order; do [ "$w" = "$1" ] && { echo $i; return; }; i=$((i+1)); done; echo 99; }
for h in src/mm/*.h; do
    name=$(basename "$h" .h)
    [ "$name" = machine ] && continue
    for inc in $(incs "$h"); do
        case $inc in machine.h) bad "$h includes machine.h" ;; esac
        iname=$(basename "$inc" .h)
        case $inc in */*) continue ;; esac    # hw/, policy/: below mm
        [ "$(pos "$iname")" -lt "$(pos "$name")" ] || bad "$h includes $inc, which is not below it"
    done
done
exit $fail
