/*
** fuzz_script.c -- libFuzzer target for the scenario language: the input
** is a script, run as `vmlab run -` runs one (script_run_buffer: the same
** words, expressions, commands, blocks and defs, nothing that exits).
**
** The run is bounded so that every input ends quickly: at most
** FUZZ_STEPS lines, loop passes and units of long work (pages touched,
** ticks), machines of at most FUZZ_RAM of RAM and of pagefile (a larger
** one is made that size, so the scenarios seed the corpus well), and no
** host files (source and pagefile=PATH refuse: an input must not read
** /dev/stdin or truncate a file of the host).  Output goes to /dev/null;
** crashes, sanitizer reports, leaks and broken invariants (the library
** checks them after every call in this build) are what is looked for.
** FUZZ_SCRIPT_OUTPUT=1 sends the output to stderr instead (to read what a
** kept input does, and for tests/cli/sandbox.sh).
*/
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"

#define FUZZ_STEPS 2000
#define FUZZ_RAM   (UINT64_C(4) << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static FILE *null_out;
    const struct run_limits lim = { FUZZ_STEPS, FUZZ_RAM, 1 };

    if (null_out == NULL && getenv("FUZZ_SCRIPT_OUTPUT") != NULL)
        null_out = stderr;
    if (null_out == NULL && (null_out = fopen("/dev/null", "w")) == NULL)
        return 0;
    script_run_buffer("fuzz", (const char *)data, size, null_out, null_out, &lim);
    return 0;
}
