/*
** cg_hw.c -- a fixed-work driver for callgrind: instruction counts of the
** simulated hardware's hot paths, through the public API only.  Each
** phase is one function that callgrind reports inclusively; the driver
** prints how many operations each phase did, and bench/callgrind.sh
** divides.  Timings are meaningless under valgrind: only Ir counts.
**
**   cg_hits        reads that hit the first-level TLB (32 pages, 64 entries)
**   cg_walks_MODE  reads that miss a 64-entry TLB and walk (2048 pages in a
**                  random order), one phase per paging mode
**   cg_walks_l2    the same 4-level walks with a 1536-entry, 12-way L2
**   cg_invlpg      vml_tlb_invlpg of mapped pages, L1 only
**   cg_invlpg_l2   the same with the L2
*/
#include <stdio.h>
#include <stdlib.h>
#include "vmlab.h"

#define NOINLINE __attribute__((noinline))

static void die(const char *what, vml_machine *m)
{
    fprintf(stderr, "cg_hw: %s failed: %s\n", what, m ? vml_last_error(m) : "");
    exit(1);
}

static vml_machine *machine(vml_paging mode, unsigned l2_entries, unsigned l2_ways)
{
    vml_config cfg;
    vml_machine *m;
    vml_config_default(&cfg);
    cfg.ram_bytes = UINT64_C(64) << 20;
    cfg.paging = mode;
    cfg.tlb_entries = 64;
    cfg.tlb_ways = 4;
    cfg.tlb2_entries = l2_entries;
    cfg.tlb2_ways = l2_ways;
    cfg.flags = 0;
    if (vml_machine_create(&cfg, &m) != VML_OK)
        die("machine", NULL);
    return m;
}

static uint64_t rnd(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* pages committed and written once; the addresses of n accesses in a
** random order over them (or in order, cyclically, when !random). */
static vml_va *setup(vml_machine *m, vml_proc **p, size_t pages, size_t n, int random)
{
    vml_va base;
    uint64_t seed = 88172645463325252ULL;
    if (vml_proc_create(m, "cg", p) != VML_OK ||
        vml_win_VirtualAlloc(*p, 0, pages << 12, VML_MEM_RESERVE | VML_MEM_COMMIT,
                             VML_PAGE_READWRITE, &base))
        die("setup", m);
    vml_va *vas = malloc(n * sizeof *vas);
    if (vas == NULL)
        die("malloc", NULL);
    for (size_t i = 0; i < pages; i++) {
        vml_va va = base + (i << 12);
        if (vml_mem_batch(*p, 0, &va, 1, VML_ACCESS_WRITE, NULL, NULL, NULL) != VML_OK)
            die("touch", m);
    }
    for (size_t i = 0; i < n; i++)
        vas[i] = base + ((random ? rnd(&seed) % pages : i % pages) << 12);
    return vas;
}

static uint64_t walks_of(vml_machine *m)
{
    uint64_t v = 0;
    vml_stat_get(m, VML_SCOPE_CPU, 0, "page_walks", &v);
    return v;
}

NOINLINE static uint64_t cg_hits(vml_proc *p, const vml_va *vas, size_t n, unsigned rounds)
{
    uint64_t sum = 0;
    for (unsigned r = 0; r < rounds; r++)
        vml_mem_batch(p, 0, vas, n, VML_ACCESS_READ, &sum, NULL, NULL);
    return sum;
}

#define WALK_PHASE(name)                                                         \
    NOINLINE static uint64_t name(vml_proc *p, const vml_va *vas, size_t n)     \
    {                                                                            \
        uint64_t sum = 0;                                                        \
        vml_mem_batch(p, 0, vas, n, VML_ACCESS_READ, &sum, NULL, NULL);          \
        return sum;                                                              \
    }
WALK_PHASE(cg_walks_4level)
WALK_PHASE(cg_walks_5level)
WALK_PHASE(cg_walks_pae)
WALK_PHASE(cg_walks_legacy)
WALK_PHASE(cg_walks_l2)

NOINLINE static void cg_invlpg(vml_machine *m, vml_proc *p, const vml_va *vas, size_t n)
{
    for (size_t i = 0; i < n; i++)
        vml_tlb_invlpg(m, 0, p, vas[i]);
}
NOINLINE static void cg_invlpg_l2(vml_machine *m, vml_proc *p, const vml_va *vas, size_t n)
{
    for (size_t i = 0; i < n; i++)
        vml_tlb_invlpg(m, 0, p, vas[i]);
}

typedef uint64_t (*walk_fn)(vml_proc *, const vml_va *, size_t);

static void walks(const char *name, walk_fn fn, vml_paging mode, unsigned l2, unsigned l2_ways)
{
    const size_t pages = 2048, n = 1 << 16;
    vml_proc *p;
    vml_machine *m = machine(mode, l2, l2_ways);
    vml_va *vas = setup(m, &p, pages, n, 1);
    uint64_t sum = 0;                  /* warm, outside the phase: A bits set */
    vml_mem_batch(p, 0, vas, n / 4, VML_ACCESS_READ, &sum, NULL, NULL);
    uint64_t w0 = walks_of(m);
    fn(p, vas, n);
    printf("%s %zu %llu\n", name, n, (unsigned long long)(walks_of(m) - w0 + (sum == 1)));
    free(vas);
    vml_machine_destroy(m);
}

int main(void)
{
    {
        const size_t pages = 32, n = 1 << 16;
        const unsigned rounds = 8;
        vml_proc *p;
        vml_machine *m = machine(VML_PAGING_4LEVEL, 0, 0);
        vml_va *vas = setup(m, &p, pages, n, 0);
        uint64_t w0 = walks_of(m);
        cg_hits(p, vas, n, rounds);
        printf("cg_hits %zu %llu\n", n * rounds, (unsigned long long)(walks_of(m) - w0));
        free(vas);
        vml_machine_destroy(m);
    }
    walks("cg_walks_4level", cg_walks_4level, VML_PAGING_4LEVEL, 0, 0);
    walks("cg_walks_5level", cg_walks_5level, VML_PAGING_5LEVEL, 0, 0);
    walks("cg_walks_pae", cg_walks_pae, VML_PAGING_PAE, 0, 0);
    walks("cg_walks_legacy", cg_walks_legacy, VML_PAGING_LEGACY, 0, 0);
    walks("cg_walks_l2", cg_walks_l2, VML_PAGING_4LEVEL, 1536, 12);
    for (int with_l2 = 0; with_l2 < 2; with_l2++) {
        const size_t pages = 2048, n = 1 << 16;
        vml_proc *p;
        vml_machine *m = machine(VML_PAGING_4LEVEL, with_l2 ? 1536 : 0, with_l2 ? 12 : 0);
        vml_va *vas = setup(m, &p, pages, n, 1);
        (with_l2 ? cg_invlpg_l2 : cg_invlpg)(m, p, vas, n);
        printf("%s %zu 0\n", with_l2 ? "cg_invlpg_l2" : "cg_invlpg", n);
        free(vas);
        vml_machine_destroy(m);
    }
    return 0;
}
