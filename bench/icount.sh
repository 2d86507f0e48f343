#!/usr/bin/env bash
# icount.sh ICOUNT_BINARY [MODE...] -- instructions per operation of the hot
# paths under callgrind (see bench/icount.c): total(2N) - total(N), over N.
set -eu
bin=$1; shift
modes=${*:-hit walk zero cow proto file}
n=2048 size=4096
total() {
    valgrind --tool=callgrind --callgrind-out-file=/dev/null "$bin" "$1" "$2" $size 2>&1 |
        sed -n 's/.*Collected : \([0-9]*\).*/\1/p'
}
printf '%-8s %12s\n' mode 'Ir per op'
for mode in $modes; do
    a=$(total "$mode" $n) b=$(total "$mode" $((2 * n)))
    awk -v m="$mode" -v a="$a" -v b="$b" -v n="$n" 'BEGIN { printf "%-8s %12.1f\n", m, (b - a) / n }'
done
