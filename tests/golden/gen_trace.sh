#!/usr/bin/env bash
# Prints a deterministic text trace (R|W ADDRESS PID) of N accesses (default
# 20000) by two processes: a drifting working set, a loop, random pages, a
# write now and then.  awk's arithmetic is exact below 2^53: the LCG's
# numbers stay below 2^31.  Usage: tests/golden/gen_trace.sh [N]
set -eu
awk -v n="${1:-20000}" 'BEGIN {
    x = 12345; base = 0
    for (i = 0; i < n; i++) {
        x = (x * 1103515245 + 12345) % 2147483648; r = int(x / 65536)
        if (r % 97 == 0) base = r % 300
        if (r % 5 == 0) page = r % 300
        else if (r % 5 == 1) page = int(i / 3) % 151
        else page = (base + r % 8) % 300
        pid = (r % 11 == 0) ? 2 : 1
        printf "%s 0x%x %d\n", (r % 7 == 0) ? "W" : "R", 4194304 + page * 4096 + (r % 512) * 8, pid
    }
}'
