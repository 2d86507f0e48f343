/*
** bench.c -- `make bench`: operations per second of the hot paths, through
** the public API only.  Timings on a shared machine are noisy: compare
** ratios within one run, and use callgrind for instruction counts.
**
**   tlb-hit reads   batch reads of pages the TLB holds (target >= 100M/s)
**   page walks      batch reads that miss the TLB every time (>= 20M/s)
**   demand-zero     first touches of committed pages (>= 2M/s)
**   alloc+free      VirtualAlloc(reserve+commit 64K) + VirtualFree pairs
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "vmlab.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what, vml_machine *m)
{
    fprintf(stderr, "bench: %s failed: %s\n", what, m ? vml_last_error(m) : "");
    exit(1);
}

static vml_machine *machine(uint64_t ram, unsigned tlb)
{
    vml_config cfg;
    vml_machine *m;
    vml_config_default(&cfg);
    cfg.ram_bytes = ram;
    cfg.tlb_entries = tlb;
    cfg.tlb_ways = 4;
    cfg.flags = 0;      /* no per-operation invariant checks in a benchmark */
    if (vml_machine_create(&cfg, &m) != VML_OK)
        die("machine", NULL);
    return m;
}

static void report(const char *name, double ops, double secs, double target)
{
    double rate = ops / secs;
    printf("%-22s %12.1f M/s   (%.0f ops in %.3f s)", name, rate / 1e6, ops, secs);
    if (target > 0)
        printf("   target %.0f M/s: %s", target / 1e6, rate >= target ? "met" : "NOT met");
    printf("\n");
}

/* xorshift64: a reproducible order of pages */
static uint64_t rnd(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static void bench_tlb_hits(void)
{
    vml_machine *m = machine(UINT64_C(64) << 20, 64);
    vml_proc *p;
    vml_va base;
    const size_t n = 1 << 16, pages = 32;
    uint64_t sum = 0;
    if (vml_proc_create(m, "bench", &p) != VML_OK ||
        vml_win_VirtualAlloc(p, 0, pages << 12, VML_MEM_RESERVE | VML_MEM_COMMIT,
                             VML_PAGE_READWRITE, &base))
        die("setup", m);
    vml_va *vas = malloc(n * sizeof *vas);
    for (size_t i = 0; i < n; i++)
        vas[i] = base + ((i % pages) << 12) + (i * 8 % 4096);
    if (vml_mem_batch(p, 0, vas, n, VML_ACCESS_WRITE, NULL, NULL, NULL) != VML_OK)
        die("touch", m);
    double t0 = now(), ops = 0;
    while (now() - t0 < 1.0) {
        for (int r = 0; r < 16; r++)
            vml_mem_batch(p, 0, vas, n, VML_ACCESS_READ, &sum, NULL, NULL);
        ops += 16.0 * (double)n;
    }
    report("tlb-hit reads", ops, now() - t0, 100e6);
    free(vas);
    vml_machine_destroy(m);
    if (sum == 42)
        printf("(sum)\n");
}

static void bench_walks(void)
{
    /* 2048 pages (8 MiB) in a random order through a 64-entry TLB: almost
    ** every access misses and walks the four levels, while the simulated
    ** memory stays in the host's caches (what is measured is the walk). */
    vml_machine *m = machine(UINT64_C(256) << 20, 64);
    vml_proc *p;
    vml_va base;
    const size_t pages = 2048, n = 1 << 16;
    uint64_t seed = 88172645463325252ULL, walks0, walks1;
    if (vml_proc_create(m, "bench", &p) != VML_OK ||
        vml_win_VirtualAlloc(p, 0, pages << 12, VML_MEM_RESERVE | VML_MEM_COMMIT,
                             VML_PAGE_READWRITE, &base))
        die("setup", m);
    vml_va *vas = malloc(n * sizeof *vas);
    for (size_t i = 0; i < pages; i++) {
        vml_va va = base + (i << 12);
        if (vml_mem_batch(p, 0, &va, 1, VML_ACCESS_WRITE, NULL, NULL, NULL) != VML_OK)
            die("touch", m);
    }
    for (size_t i = 0; i < n; i++)
        vas[i] = base + ((rnd(&seed) % pages) << 12);
    vml_stat_get(m, VML_SCOPE_CPU, 0, "page_walks", &walks0);
    double t0 = now(), ops = 0;
    uint64_t sum = 0;
    while (now() - t0 < 1.0) {
        vml_mem_batch(p, 0, vas, n, VML_ACCESS_READ, &sum, NULL, NULL);
        ops += (double)n;
    }
    double secs = now() - t0;
    vml_stat_get(m, VML_SCOPE_CPU, 0, "page_walks", &walks1);
    report("page walks", (double)(walks1 - walks0), secs, 20e6);
    printf("%-22s %12.1f%%\n", "  (of accesses walked)", 100.0 * (double)(walks1 - walks0) / ops);
    free(vas);
    vml_machine_destroy(m);
}

static void bench_demand_zero(void)
{
    /* Commit 256 MiB, touch every page once (each touch a demand-zero
    ** fault), release; the next round's frames come from the free list and
    ** are zeroed in the fault, as Windows does when the zeroed list is empty. */
    vml_machine *m = machine(UINT64_C(512) << 20, 64);
    vml_proc *p;
    const size_t pages = 65536;
    vml_va *vas = malloc(pages * sizeof *vas);
    double t_fault = 0, faults = 0;
    if (vml_proc_create(m, "bench", &p) != VML_OK)
        die("setup", m);
    /* Rounds 0 and 1 take the never-used zeroed frames, whose host memory
    ** the host kernel maps on first touch: warm-up, not timed. */
    for (int round = 0; round < 10 || t_fault < 0.5; round++) {
        vml_va base;
        if (vml_win_VirtualAlloc(p, 0, pages << 12, VML_MEM_RESERVE | VML_MEM_COMMIT,
                                 VML_PAGE_READWRITE, &base))
            die("VirtualAlloc", m);
        for (size_t i = 0; i < pages; i++)
            vas[i] = base + (i << 12);
        double t0 = now();
        if (vml_mem_batch(p, 0, vas, pages, VML_ACCESS_WRITE, NULL, NULL, NULL) != VML_OK)
            die("touch", m);
        if (round >= 2) {
            t_fault += now() - t0;
            faults += (double)pages;
        }
        if (vml_win_VirtualFree(p, base, 0, VML_MEM_RELEASE))
            die("VirtualFree", m);
        if (round > 64)
            break;
    }
    report("demand-zero faults", faults, t_fault, 2e6);
    free(vas);
    vml_machine_destroy(m);
}

static void bench_alloc_free(void)
{
    vml_machine *m = machine(UINT64_C(64) << 20, 64);
    vml_proc *p;
    if (vml_proc_create(m, "bench", &p) != VML_OK)
        die("setup", m);
    double t0 = now(), ops = 0;
    while (now() - t0 < 1.0) {
        for (int i = 0; i < 1000; i++) {
            vml_va base;
            if (vml_win_VirtualAlloc(p, 0, 0x10000, VML_MEM_RESERVE | VML_MEM_COMMIT,
                                     VML_PAGE_READWRITE, &base) ||
                vml_win_VirtualFree(p, base, 0, VML_MEM_RELEASE))
                die("alloc/free", m);
        }
        ops += 1000;
    }
    report("VirtualAlloc+Free", ops, now() - t0, 0);
    vml_machine_destroy(m);
}

int main(int argc, char **argv)
{
    static const struct { const char *name; void (*fn)(void); } benches[] = {
        { "tlb", bench_tlb_hits }, { "walk", bench_walks },
        { "zero", bench_demand_zero }, { "alloc", bench_alloc_free },
    };
    printf("vmlab benchmarks (operations per second; higher is better)\n");
    for (size_t i = 0; i < sizeof benches / sizeof benches[0]; i++) {
        int run = argc < 2;
        for (int a = 1; a < argc; a++)
            run |= strcmp(argv[a], benches[i].name) == 0;
        if (run)
            benches[i].fn();
    }
    return 0;
}
