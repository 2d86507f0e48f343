/*
** fuzz_trace.c -- a libFuzzer target per trace reader: the input is a
** trace file; it is read to its end (or its first error) through
** vml_trace_read, then replayed through two policies and both miss-ratio
** curves, which takes the page-reference path (vmt's own decoder) and the
** engines.  Nothing may crash, leak or be undefined, whatever the bytes.
**
** Built once per format with -DFUZZ_FORMAT=VML_TRACE_xxx (make fuzz):
** fuzz_trace_lackey, _text, _csv, _vmt, _oracle, and fuzz_trace_auto
** (detection and the zstd/xz/gzip decompressors); tests/fuzz/run.sh runs
** them on the seeds of tests/fuzz/seeds/trace_FORMAT.
*/
#define _GNU_SOURCE   /* memfd_create */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vmlab.h"

#ifndef FUZZ_FORMAT
#define FUZZ_FORMAT VML_TRACE_AUTO
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int fd = memfd_create("fuzz-trace", 0);
    vml_trace *t = NULL;
    char err[512], path[64];

    if (fd < 0)
        return 0;
    if (write(fd, data, size) != (ssize_t)size || lseek(fd, 0, SEEK_SET) != 0) {
        close(fd);
        return 0;
    }
    if (vml_trace_open_fd(fd, "fuzz", FUZZ_FORMAT, &t, err, sizeof err) == VML_OK) {
        vml_trace_access acc[256];
        size_t n;
        while (vml_trace_read(t, acc, 256, &n) == VML_OK && n > 0)
            ;
        vml_trace_close(t);
        /* the engines, through the path of the same bytes */
        snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
        {
            const char *traces[1] = { path };
            vml_replay_cell cells[2] = {
                { .trace = 0, .policy = VML_POLICY_LRU, .frames = 3 },
                { .trace = 0, .policy = VML_POLICY_OPT, .frames = 3 },
            };
            vml_replay_summary sum;
            vml_replay_opts o;
            vml_mrc mrc;
            vml_replay_opts_default(&o);
            o.format = FUZZ_FORMAT;
            o.flags = size > 0 && (data[0] & 1) ? VML_REPLAY_STRADDLE : 0;
            vml_replay_sweep(traces, 1, cells, 2, &o, &sum);
            if (vml_replay_mrc(path, VML_MRC_LRU | VML_MRC_OPT, &o, &mrc, &sum) == VML_OK
                || mrc.lru_faults != NULL || mrc.opt_faults != NULL)
                vml_mrc_free(&mrc);
        }
    }
    close(fd);
    return 0;
}
