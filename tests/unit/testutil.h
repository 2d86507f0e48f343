/*
** testutil.h -- the rig every unit test (and bench/bench.c) shares:
** machines and processes through the public API, allocation, byte and
** page helpers, counters, the fixed random sequences, and (with
** TESTUTIL_HW defined before the include) page tables built by hand in a
** machine-less struct phys for the hardware tests.
**
** Header-only: every helper is static inline, so a test file uses what it
** needs and the compiler drops the rest.  The helpers assert through
** tu_assert_eq(), which is cmocka's assert_int_equal() in the unit tests
** and a message plus exit(1) when TESTUTIL_NO_CMOCKA is defined (the
** benchmarks).
**
** Conventions: a helper takes the handle it needs (vml_proc *, vml_machine
** *), not a rig, so it works for any process of a test; a helper that
** cannot fail in a correct library asserts instead of returning a status.
*/
#ifndef VML_TESTUTIL_H
#define VML_TESTUTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <setjmp.h>

#ifdef TESTUTIL_NO_CMOCKA
static inline void tu_check_eq_(uint64_t want, uint64_t got, const char *expr, const char *file,
                                int line)
{
    if (want != got) {
        fprintf(stderr, "%s:%d: %s is %llu (%#llx), expected %llu\n", file, line, expr,
                (unsigned long long)got, (unsigned long long)got, (unsigned long long)want);
        exit(1);
    }
}
#define tu_assert_eq(want, got) \
    tu_check_eq_((uint64_t)(want), (uint64_t)(got), #got, __FILE__, __LINE__)
#else
#include <cmocka.h>
#define tu_assert_eq(want, got) assert_int_equal(want, got)
#endif

#include "vmlab.h"

#define PAGE    VML_PAGE_SIZE
#define MB(n)   ((uint64_t)(n) << 20)
#define N_OF(a) (sizeof (a) / sizeof (a)[0])

/* ---- fixed random sequences ------------------------------------------------ */

/* xorshift64* (Vigna): the sequence of the model-based property tests. */
static inline uint64_t xorshift64star(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * UINT64_C(2685821657736338717);
}

/* xorshift64 (Marsaglia 13/7/17): the paging property test, the VAD
** reference test and the benchmarks' page orders. */
static inline uint64_t xorshift64(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* ---- machines and processes ------------------------------------------------ */

/* A machine with the configuration cfg (which must be valid). */
static inline vml_machine *new_machine_cfg(const vml_config *cfg)
{
    vml_machine *m = NULL;

    tu_assert_eq(VML_OK, vml_machine_create(cfg, &m));
    return m;
}

/* A 4-level machine of ram bytes, a pagefile of pagefile bytes (0: none)
** and a replacement policy; every other setting is the default. */
static inline vml_machine *new_machine(uint64_t ram, uint64_t pagefile, vml_policy policy)
{
    vml_config cfg;

    vml_config_default(&cfg);
    cfg.ram_bytes = ram;
    cfg.pagefile_bytes = pagefile;
    cfg.policy = policy;
    return new_machine_cfg(&cfg);
}

static inline vml_proc *new_proc(vml_machine *m, const char *name)
{
    vml_proc *p = NULL;

    tu_assert_eq(VML_OK, vml_proc_create(m, name, &p));
    return p;
}

/* A machine and its process "A". */
struct rig {
    vml_machine *m;
    vml_proc    *p;
};

static inline void rig_up_cfg(struct rig *r, const vml_config *cfg)
{
    r->m = new_machine_cfg(cfg);
    r->p = new_proc(r->m, "A");
}

/* ram bytes, a pagefile of pagefile bytes, working sets (the default). */
static inline void rig_up(struct rig *r, uint64_t ram, uint64_t pagefile)
{
    r->m = new_machine(ram, pagefile, VML_POLICY_WS);
    r->p = new_proc(r->m, "A");
}

/* ram bytes in a paging mode, no pagefile. */
static inline void rig_up_paging(struct rig *r, uint64_t ram, vml_paging paging)
{
    vml_config cfg;

    vml_config_default(&cfg);
    cfg.ram_bytes = ram;
    cfg.paging = paging;
    rig_up_cfg(r, &cfg);
}

/* Checks every invariant, then destroys the machine. */
static inline void rig_down(struct rig *r)
{
    tu_assert_eq(VML_OK, vml_machine_check(r->m));
    vml_machine_destroy(r->m);
    r->m = NULL;
}

#ifndef TESTUTIL_NO_CMOCKA
/* cmocka fixtures: *state is a struct rig with an 8 MiB machine and
** process "A" (rig_setup), the same without the invariant check after
** every operation (rig_setup_unchecked: for tests of bugs that break an
** invariant, so that the test fails instead of aborting the binary), or
** an empty rig the test fills itself (rig_setup_empty).  rig_teardown
** destroys whatever machine the rig holds. */
static inline int rig_setup_flags(void **state, uint32_t clear_flags)
{
    struct rig *r = calloc(1, sizeof *r);
    vml_config cfg;

    if (r == NULL)
        return -1;
    *state = r;
    vml_config_default(&cfg);
    cfg.ram_bytes = MB(8);
    cfg.flags &= ~clear_flags;
    if (vml_machine_create(&cfg, &r->m) != VML_OK || vml_proc_create(r->m, "A", &r->p) != VML_OK)
        return -1;
    return 0;
}

static inline int rig_setup(void **state)
{
    return rig_setup_flags(state, 0);
}

static inline int rig_setup_unchecked(void **state)
{
    return rig_setup_flags(state, VML_CFG_CHECK);
}

static inline int rig_setup_empty(void **state)
{
    struct rig *r = calloc(1, sizeof *r);

    *state = r;
    return r == NULL ? -1 : 0;
}

static inline int rig_teardown(void **state)
{
    struct rig *r = *state;

    if (r != NULL && r->m != NULL)
        vml_machine_destroy(r->m);
    free(r);
    return 0;
}
#endif

/* ---- allocation ---------------------------------------------------------------- */

/* VirtualAlloc that must succeed; returns the address. */
static inline vml_va va_mem(vml_proc *p, vml_va va, uint64_t size, uint32_t type, uint32_t prot)
{
    vml_va out = 0;

    tu_assert_eq(VML_ERROR_SUCCESS, vml_win_VirtualAlloc(p, va, size, type, prot, &out));
    return out;
}

/* size bytes reserved and committed anywhere with protection prot. */
static inline vml_va alloc_prot(vml_proc *p, uint64_t size, uint32_t prot)
{
    return va_mem(p, 0, size, VML_MEM_RESERVE | VML_MEM_COMMIT, prot);
}

/* size bytes reserved and committed read/write anywhere. */
static inline vml_va alloc(vml_proc *p, uint64_t size)
{
    return alloc_prot(p, size, VML_PAGE_READWRITE);
}

/* VirtualProtect that must succeed; returns the old protection. */
static inline uint32_t protect(vml_proc *p, vml_va va, uint64_t size, uint32_t prot)
{
    uint32_t old = 0;

    tu_assert_eq(VML_ERROR_SUCCESS, vml_win_VirtualProtect(p, va, size, prot, &old));
    return old;
}

/* VirtualQuery that must succeed. */
static inline vml_mbi query(vml_proc *p, vml_va va)
{
    vml_mbi mbi;

    tu_assert_eq(VML_ERROR_SUCCESS, vml_win_VirtualQuery(p, va, &mbi));
    return mbi;
}

/* ---- bytes ------------------------------------------------------------------------ */

/* One byte read or written on CPU 0: the status (VML_FAULTED fills ex). */
static inline vml_status rd8(vml_proc *p, vml_va va, uint8_t *v, vml_exception *ex)
{
    return vml_mem_read(p, 0, va, v, 1, ex);
}

static inline vml_status wr8(vml_proc *p, vml_va va, uint8_t v, vml_exception *ex)
{
    return vml_mem_write(p, 0, va, &v, 1, ex);
}

/* One byte that must be readable / writable. */
static inline uint8_t peek(vml_proc *p, vml_va va)
{
    uint8_t v = 0xEE;

    tu_assert_eq(VML_OK, vml_mem_read(p, 0, va, &v, 1, NULL));
    return v;
}

static inline void poke(vml_proc *p, vml_va va, uint8_t v)
{
    tu_assert_eq(VML_OK, vml_mem_write(p, 0, va, &v, 1, NULL));
}

static inline void read_byte(vml_proc *p, vml_va va)
{
    (void)peek(p, va);
}

static inline void write_byte(vml_proc *p, vml_va va, uint8_t b)
{
    poke(p, va, b);
}

/* The pattern a page holds: a mix of the seed and each word's address. */
static inline uint64_t pattern(uint64_t seed, vml_va va)
{
    uint64_t x = (seed + 1) * UINT64_C(0x9E3779B97F4A7C15) ^ va;

    x ^= x >> 31;
    x *= UINT64_C(0xBF58476D1CE4E5B9);
    return x ^ (x >> 29);
}

static inline void fill_page(vml_proc *p, vml_va va, uint64_t seed)
{
    uint64_t buf[PAGE / 8];

    for (unsigned i = 0; i < PAGE / 8; i++)
        buf[i] = pattern(seed, va + i * 8);
    tu_assert_eq(VML_OK, vml_mem_write(p, 0, va, buf, PAGE, NULL));
}

/* Words of the page that differ from the pattern of seed (written == 0:
** from zero, a page never written). */
static inline unsigned page_diff(vml_proc *p, vml_va va, uint64_t seed, int written)
{
    uint64_t buf[PAGE / 8];
    unsigned bad = 0;

    tu_assert_eq(VML_OK, vml_mem_read(p, 0, va, buf, PAGE, NULL));
    for (unsigned i = 0; i < PAGE / 8; i++)
        bad += buf[i] != (written ? pattern(seed, va + i * 8) : 0);
    return bad;
}

/* ---- pages, frames, working sets, counters ------------------------------------------- */

/* The frame that maps va (VML_PFN_NONE when not valid). */
static inline vml_pfn frame_of(vml_proc *p, vml_va va)
{
    vml_walk w;

    tu_assert_eq(VML_OK, vml_walk_va(p, va, &w));
    return w.present ? w.pa >> 12 : VML_PFN_NONE;
}

static inline vml_list list_of(vml_machine *m, vml_pfn pfn)
{
    vml_pfn_info info;

    tu_assert_eq(VML_OK, vml_pfn_get(m, pfn, &info));
    return info.list;
}

/* The decoded PTE of va. */
static inline vml_pte_info pte_at(vml_proc *p, vml_va va)
{
    uint64_t pte = 0;
    vml_pte_info info;

    tu_assert_eq(VML_OK, vml_pte_get(p, va, &pte));
    vml_pte_decode(vml_proc_machine(p), pte, 1, &info);
    return info;
}

/* Trims every page out of p's working set. */
static inline void empty_working_set(vml_proc *p)
{
    tu_assert_eq(VML_OK, vml_ws_set(p, UINT64_MAX, UINT64_MAX));
}

static inline uint64_t sys_stat(vml_machine *m, const char *name)
{
    uint64_t v = 0;

    tu_assert_eq(VML_OK, vml_stat_get(m, VML_SCOPE_SYSTEM, 0, name, &v));
    return v;
}

static inline uint64_t proc_stat(vml_proc *p, const char *name)
{
    uint64_t v = 0;

    tu_assert_eq(VML_OK, vml_stat_get(vml_proc_machine(p), VML_SCOPE_PROC, vml_proc_pid(p), name,
                                      &v));
    return v;
}

/* ---- page tables built by hand (hardware tests) ------------------------------------------ */

#ifdef TESTUTIL_HW
#include "hw/phys.h"
#include "hw/paging.h"
#include "hw/tlb.h"
#include "hw/mmu.h"

/* Fails the test with tlb_check()'s message when an invariant is broken. */
static inline void assert_tlb_ok(const struct tlb *t)
{
    char msg[200];

    if (tlb_check(t, msg, sizeof msg) != 0)
        fail_msg("tlb_check: %s", msg);
}

/* A machine-less rig: 64 frames of physical memory, a paging mode, a
** CR3 at frame 1 and a bump allocator for table frames. */
struct hw_rig {
    struct phys           ph;
    const struct pg_mode *pm;
    vml_pa                cr3;
    vml_pfn               next;
    uint64_t              link[6];   /* bits of the entry at each level pointing down */
};

static inline void hw_rig_init(struct hw_rig *r, vml_paging mode)
{
    assert_int_equal(VML_OK, phys_init(&r->ph, 64, 0));
    r->pm = &pg_modes[mode];
    r->cr3 = UINT64_C(1) << 12;
    r->next = 2;
    for (unsigned l = 0; l < 6; l++)
        r->link[l] = PG_P | PG_RW | PG_US;
    /* PAE PDPTEs have only P (and PWT, PCD): RW/US/A/D/NX are reserved. */
    if (mode == VML_PAGING_PAE)
        r->link[3] = PG_P;
}

static inline void hw_rig_fini(struct hw_rig *r)
{
    phys_fini(&r->ph);
}

static inline vml_pa hw_entry_pa(const struct hw_rig *r, vml_pa table, unsigned level, vml_va va)
{
    return table + (vml_pa)pg_index(r->pm, level, va) * r->pm->entry_size;
}

static inline uint64_t hw_rd(const struct hw_rig *r, vml_pa pa)
{
    return r->pm->entry_size == 8 ? phys_read64(&r->ph, pa) : phys_read32(&r->ph, pa);
}

static inline void hw_wr(struct hw_rig *r, vml_pa pa, uint64_t v)
{
    if (r->pm->entry_size == 8)
        phys_write64(&r->ph, pa, v);
    else
        phys_write32(&r->ph, pa, (uint32_t)v);
}

/* Builds the tables down to leaf_level for va and writes leaf there;
** returns the physical address of every entry on the way in epa[level]. */
static inline void hw_map(struct hw_rig *r, vml_va va, unsigned leaf_level, uint64_t leaf,
                          vml_pa epa[6])
{
    vml_pa table = r->cr3;

    for (unsigned level = r->pm->levels; level > leaf_level; level--) {
        vml_pa pa = hw_entry_pa(r, table, level, va);
        uint64_t e = hw_rd(r, pa);
        if (!(e & PG_P)) {
            assert_true(r->next < 64);
            e = (r->next++ << 12) | r->link[level];
            hw_wr(r, pa, e);
        }
        epa[level] = pa;
        table = pg_frame(r->pm, e);
    }
    epa[leaf_level] = hw_entry_pa(r, table, leaf_level, va);
    hw_wr(r, epa[leaf_level], leaf);
}

static inline int hw_walk(struct hw_rig *r, vml_va va, unsigned access, unsigned user,
                          struct mmu_walk *w, struct mmu_fault *f)
{
    memset(w, 0, sizeof *w);
    memset(f, 0, sizeof *f);
    return mmu_walk(r->pm, &r->ph, r->cr3, va, access, user, w, f);
}

/* An hw_rig with a CPU in front of it: a 64-entry 4-way TLB, CR3 loaded. */
struct hw_cpu_rig {
    struct hw_rig hw;
    struct cpu    c;
};

static inline void hw_cpu_rig_init(struct hw_cpu_rig *cr, vml_paging mode)
{
    memset(cr, 0, sizeof *cr);
    hw_rig_init(&cr->hw, mode);
    assert_int_equal(VML_OK, tlb_init(&cr->c.tlb, 64, 4, 0, 0));
    cr->c.cr3 = cr->hw.cr3;
}

static inline void hw_cpu_rig_fini(struct hw_cpu_rig *cr)
{
    tlb_fini(&cr->c.tlb);
    hw_rig_fini(&cr->hw);
}

/* The physical address a successful walk translated va to. */
static inline vml_pa walk_pa(const struct mmu_walk *w, vml_va va)
{
    uint64_t mask = (UINT64_C(1) << tlb_size_shift[tlb_val_size(w->val)]) - 1;

    return (w->val & ~(uint64_t)TLB_FLAGS & ~mask) | (va & mask);
}
#endif /* TESTUTIL_HW */

#endif
