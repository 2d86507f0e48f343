/*
** test_hw.c -- the simulated hardware on its own: the TLB (any geometry,
** LRU, invlpg, flushes, global pages, PCIDs, a second level) and the page
** walker on page tables built by hand in a small struct phys, for every
** paging mode (Intel SDM Vol. 3A, chapter 4), large pages included.
** A few tests at the end go through the public API (CPUs and TLBs).
*/
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "vmlab.h"
#include "hw/phys.h"
#include "hw/paging.h"
#include "hw/tlb.h"
#include "hw/mmu.h"

/* ---- helpers --------------------------------------------------------- */

static void assert_tlb_ok(const struct tlb *t)
{
    char msg[200];

    if (tlb_check(t, msg, sizeof msg) != 0)
        fail_msg("tlb_check: %s", msg);
}

/* A TLB value for a 4 KiB translation of frame pfn with the given flags. */
static uint64_t val4k(vml_pfn pfn, unsigned flags)
{
    return (pfn << 12) | flags | ((uint64_t)TLB_4K << TLB_SZ_SHIFT);
}

/* How many valid slots of an array hold key. */
static unsigned copies_of(const struct tlb_array *a, uint64_t key)
{
    unsigned n = 0;

    for (unsigned i = 0; i < a->n_sets * a->ways; i++)
        n += a->e[i].key == key;
    return n;
}

static const unsigned RWUX = TLB_W | TLB_U | TLB_X;

/* xorshift64*: a fixed, portable random sequence for the tests. */
static uint64_t rnd(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * UINT64_C(2685821657736338717);
}

/* ---- TLB geometry ------------------------------------------------------ */

static void tlb_sets_need_not_be_a_power_of_two(void **state)
{
    static const struct { unsigned entries, ways, sets; } g[] = {
        { 48, 4, 12 }, { 48, 3, 16 }, { 12, 12, 1 }, { 6, 2, 3 },
        { 96, 8, 12 }, { 1536, 12, 128 }, { 1000, 1, 1000 }, { 64, 4, 16 },
    };
    uint64_t seed = 42;

    (void)state;
    for (size_t i = 0; i < sizeof g / sizeof g[0]; i++) {
        struct tlb t;

        assert_int_equal(VML_OK, tlb_init(&t, g[i].entries, g[i].ways, 0, 0));
        assert_int_equal(g[i].sets, t.l1.n_sets);
        assert_int_equal(g[i].ways, t.l1.ways);
        /* The set of a page is its (32-bit) page number modulo the number
        ** of sets, whether computed with a mask or with Lemire's fastmod. */
        for (unsigned k = 0; k < 20000; k++) {
            uint64_t pn = k < 8 ? (uint64_t[]){ 0, 1, 2, 11, 12, UINT32_MAX, UINT32_MAX - 1,
                                                UINT64_C(0xFFFFFFFFF) }[k]
                                : rnd(&seed) >> (k % 40);
            assert_int_equal((uint32_t)pn % g[i].sets, tlb_set_of(&t.l1, pn));
        }
        tlb_fini(&t);
    }
}

static void tlb_geometry_must_divide_evenly(void **state)
{
    struct tlb t;

    (void)state;
    assert_int_equal(VML_E_INVALID, tlb_init(&t, 7, 2, 0, 0));
    assert_int_equal(VML_E_INVALID, tlb_init(&t, 64, 4, 12, 5));
    assert_int_equal(VML_E_INVALID, tlb_init(&t, 4, 8, 0, 0));
    assert_int_equal(VML_E_RANGE, tlb_init(&t, 0, 1, 0, 0));
}

static void tlb_48x4_holds_48_consecutive_pages(void **state)
{
    struct tlb t;
    const uint64_t base = 0x7F000;   /* any page number */

    (void)state;
    assert_int_equal(VML_OK, tlb_init(&t, 48, 4, 0, 0));
    for (uint64_t i = 0; i < 48; i++)
        tlb_fill(&t, (base + i) << 12, 0, val4k(0x100 + i, RWUX));
    assert_tlb_ok(&t);
    /* Consecutive pages spread evenly over the 12 sets: all 48 fit. */
    for (uint64_t i = 0; i < 48; i++) {
        struct tlb_ent *e = tlb_lookup_4k(&t, base + i, 0);
        assert_non_null(e);
        assert_int_equal((0x100 + i) << 12, e->val & ~(uint64_t)TLB_FLAGS);
    }
    /* A 49th page evicts exactly one of them. */
    tlb_fill(&t, (base + 48) << 12, 0, val4k(0x200, RWUX));
    unsigned present = 0;
    for (uint64_t i = 0; i <= 48; i++)
        present += tlb_lookup_4k(&t, base + i, 0) != NULL;
    assert_int_equal(48, present);
    assert_tlb_ok(&t);
    tlb_fini(&t);
}

static void tlb_evicts_the_least_recently_used_way_of_a_set(void **state)
{
    struct tlb t;
    const uint64_t s = 5;            /* pages s + 12k all fall in set 5 */

    (void)state;
    assert_int_equal(VML_OK, tlb_init(&t, 48, 4, 0, 0));
    for (uint64_t k = 0; k < 4; k++)
        tlb_fill(&t, (s + 12 * k) << 12, 0, val4k(0x10 + k, RWUX));
    /* Use the oldest one: now page s + 12 is the least recently used. */
    assert_non_null(tlb_lookup_4k(&t, s, 0));
    tlb_fill(&t, (s + 48) << 12, 0, val4k(0x20, RWUX));
    assert_non_null(tlb_lookup_4k(&t, s, 0));
    assert_null(tlb_lookup_4k(&t, s + 12, 0));
    assert_non_null(tlb_lookup_4k(&t, s + 24, 0));
    assert_non_null(tlb_lookup_4k(&t, s + 36, 0));
    assert_non_null(tlb_lookup_4k(&t, s + 48, 0));
    /* Other sets were not touched by the eviction. */
    tlb_fill(&t, (s + 1) << 12, 0, val4k(0x30, RWUX));
    assert_non_null(tlb_lookup_4k(&t, s + 1, 0));
    assert_non_null(tlb_lookup_4k(&t, s + 24, 0));
    assert_tlb_ok(&t);
    tlb_fini(&t);
}

static void tlb_12x12_is_fully_associative(void **state)
{
    struct tlb t;
    static const uint64_t pages[12] = { 0, 1, 12, 144, 0x7FFFF, 3, 999, 0x123456,
                                        77, 78, 4096, 0xFFFFFFFFF };

    (void)state;
    assert_int_equal(VML_OK, tlb_init(&t, 12, 12, 0, 0));
    assert_int_equal(1, t.l1.n_sets);
    for (unsigned i = 0; i < 12; i++)
        tlb_fill(&t, pages[i] << 12, 0, val4k(i + 1, RWUX));
    for (unsigned i = 0; i < 12; i++)
        assert_non_null(tlb_lookup_4k(&t, pages[i], 0));
    /* All twelve were just used in order: pages[0] is the LRU one. */
    tlb_fill(&t, UINT64_C(0x555) << 12, 0, val4k(99, RWUX));
    assert_null(tlb_lookup_4k(&t, pages[0], 0));
    for (unsigned i = 1; i < 12; i++)
        assert_non_null(tlb_lookup_4k(&t, pages[i], 0));
    assert_tlb_ok(&t);
    tlb_fini(&t);
}

/* ---- invalidation ------------------------------------------------------------ */

static void invlpg_drops_one_page_only(void **state)
{
    struct tlb t;

    (void)state;
    assert_int_equal(VML_OK, tlb_init(&t, 48, 4, 0, 0));
    for (uint64_t i = 0; i < 3; i++)
        tlb_fill(&t, (0x400 + i) << 12, 0, val4k(0x10 + i, RWUX));
    /* Any address inside the page names it. */
    assert_int_equal(1, tlb_invlpg(&t, (UINT64_C(0x401) << 12) + 0x7FF, 0));
    assert_non_null(tlb_lookup_4k(&t, 0x400, 0));
    assert_null(tlb_lookup_4k(&t, 0x401, 0));
    assert_non_null(tlb_lookup_4k(&t, 0x402, 0));
    /* Nothing left to drop. */
    assert_int_equal(0, tlb_invlpg(&t, UINT64_C(0x401) << 12, 0));
    tlb_fini(&t);
}

static void flush_keeps_global_entries_unless_told_to_drop_them(void **state)
{
    struct tlb t;

    (void)state;
    assert_int_equal(VML_OK, tlb_init(&t, 64, 4, 0, 0));
    tlb_fill(&t, UINT64_C(0x10) << 12, 0, val4k(1, RWUX | TLB_G));   /* global */
    tlb_fill(&t, UINT64_C(0x11) << 12, 0, val4k(2, RWUX));           /* not */
    /* MOV to CR3 (SDM 4.10.4.1): non-global entries go, global ones stay. */
    assert_int_equal(1, tlb_flush(&t, 0, 1, 0));
    assert_non_null(tlb_lookup_4k(&t, 0x10, 0));
    assert_null(tlb_lookup_4k(&t, 0x11, 0));
    /* CR4.PGE toggle: everything goes. */
    assert_int_equal(1, tlb_flush(&t, 0, 1, 1));
    assert_null(tlb_lookup_4k(&t, 0x10, 0));
    tlb_fini(&t);
}

static void pcids_keep_address_spaces_apart(void **state)
{
    struct tlb t;
    const uint64_t v = 0x10;          /* the same page in two address spaces */

    (void)state;
    assert_int_equal(VML_OK, tlb_init(&t, 64, 4, 0, 0));
    tlb_fill(&t, v << 12, 1, val4k(0xA, RWUX));
    tlb_fill(&t, v << 12, 2, val4k(0xB, RWUX));
    assert_tlb_ok(&t);
    assert_int_equal(UINT64_C(0xA) << 12, tlb_lookup_4k(&t, v, 1)->val & ~(uint64_t)TLB_FLAGS);
    assert_int_equal(UINT64_C(0xB) << 12, tlb_lookup_4k(&t, v, 2)->val & ~(uint64_t)TLB_FLAGS);
    assert_null(tlb_lookup_4k(&t, v, 3));
    /* A CR3 load with PCID 1 (no-flush bit clear) drops PCID 1's entries only. */
    assert_int_equal(1, tlb_flush(&t, 1, 0, 0));
    assert_null(tlb_lookup_4k(&t, v, 1));
    assert_non_null(tlb_lookup_4k(&t, v, 2));
    /* INVLPG acts on the current PCID: PCID 3's invlpg leaves PCID 2's entry. */
    assert_int_equal(0, tlb_invlpg(&t, v << 12, 3));
    assert_non_null(tlb_lookup_4k(&t, v, 2));
    assert_int_equal(1, tlb_invlpg(&t, v << 12, 2));
    assert_null(tlb_lookup_4k(&t, v, 2));
    tlb_fini(&t);
}

static void a_global_entry_matches_every_pcid(void **state)
{
    struct tlb t;

    (void)state;
    assert_int_equal(VML_OK, tlb_init(&t, 64, 4, 0, 0));
    /* SDM 4.10.2.4: global translations are used whatever the PCID. */
    tlb_fill(&t, UINT64_C(0x20) << 12, 5, val4k(7, RWUX | TLB_G));
    assert_non_null(tlb_lookup_4k(&t, 0x20, 5));
    assert_non_null(tlb_lookup_4k(&t, 0x20, 9));
    assert_non_null(tlb_lookup_4k(&t, 0x20, 0));
    /* A flush of one PCID's non-global entries keeps it ... */
    tlb_flush(&t, 9, 0, 0);
    assert_non_null(tlb_lookup_4k(&t, 0x20, 9));
    /* ... INVLPG drops global entries for the page, whatever the PCID. */
    assert_int_equal(1, tlb_invlpg(&t, UINT64_C(0x20) << 12, 9));
    assert_null(tlb_lookup_4k(&t, 0x20, 5));
    tlb_fini(&t);
}

/* ---- large pages and the second level ---------------------------------------------- */

static void large_pages_live_in_their_own_array(void **state)
{
    struct tlb t;
    const vml_va va = UINT64_C(0x40000000);   /* a 2 MiB page */
    int l2_hit = 1;

    (void)state;
    assert_int_equal(VML_OK, tlb_init(&t, 64, 4, 0, 0));
    tlb_fill(&t, va, 0, UINT64_C(0x600000) | RWUX | ((uint64_t)TLB_2M << TLB_SZ_SHIFT));
    assert_tlb_ok(&t);   /* TLB3: not in the 4 KiB array */
    assert_null(tlb_lookup_4k(&t, va >> 12, 0));
    /* Every 4 KiB page inside the 2 MiB page hits the one entry. */
    struct tlb_ent *e = tlb_lookup_slow(&t, va + 0x1ABCDE, 0, &l2_hit);
    assert_non_null(e);
    assert_int_equal(0, l2_hit);
    assert_int_equal(TLB_2M, tlb_val_size(e->val));
    assert_null(tlb_lookup_slow(&t, va + 0x200000, 0, &l2_hit));
    /* invlpg of any address inside drops it. */
    assert_int_equal(1, tlb_invlpg(&t, va + 0x12345, 0));
    assert_null(tlb_lookup_slow(&t, va, 0, &l2_hit));
    tlb_fini(&t);
}

static void second_level_catches_what_the_first_level_evicted(void **state)
{
    struct tlb t;
    int l2_hit = 0;

    (void)state;
    /* L1: 2 entries, direct-mapped (2 sets); L2: 12 entries, 3-way. */
    assert_int_equal(VML_OK, tlb_init(&t, 2, 1, 12, 3));
    assert_int_equal(4, t.l2.n_sets);
    tlb_fill(&t, UINT64_C(0x0) << 12, 0, val4k(0x10, RWUX));
    tlb_fill(&t, UINT64_C(0x2) << 12, 0, val4k(0x12, RWUX));   /* evicts page 0 from L1 */
    assert_null(tlb_lookup_4k(&t, 0x0, 0));
    struct tlb_ent *e = tlb_lookup_slow(&t, 0x0, 0, &l2_hit);
    assert_non_null(e);
    assert_int_equal(1, l2_hit);
    assert_int_equal(UINT64_C(0x10) << 12, e->val & ~(uint64_t)TLB_FLAGS);
    /* The hit was copied into L1 (evicting page 2 there, not from L2). */
    assert_non_null(tlb_lookup_4k(&t, 0x0, 0));
    assert_null(tlb_lookup_4k(&t, 0x2, 0));
    assert_non_null(tlb_lookup_slow(&t, UINT64_C(0x2) << 12, 0, &l2_hit));
    assert_tlb_ok(&t);
    tlb_fini(&t);
}

/* Regression: array_insert() took the first empty way of a set before
** looking at the other ways for the key being inserted, so refilling a
** translation whose old copy sat behind a hole left two copies of one key
** (TLB2).  It happens in the MMU when a write goes through a clean entry:
** the L1 copy is dropped and the walk refills both levels, while L2 still
** holds the old copy behind the hole an invlpg left. */
static struct tlb hole_tlb;   /* freed by the teardown, even when a check fails */

static int hole_tlb_fini(void **state)
{
    (void)state;
    tlb_fini(&hole_tlb);
    return 0;
}

static void tlb_refill_after_a_hole_keeps_one_copy_of_the_key(void **state)
{
    struct tlb *t = &hole_tlb;
    const uint64_t x = 0x10, y = 0x11;    /* one set: both land in it */

    (void)state;
    assert_int_equal(VML_OK, tlb_init(t, 2, 2, 2, 2));    /* L1 and L2: 1 set, 2 ways */
    tlb_fill(t, x << 12, 0, val4k(1, RWUX));
    tlb_fill(t, y << 12, 0, val4k(2, RWUX));
    tlb_invlpg(t, x << 12, 0);                             /* way 0 empty in both */
    tlb_fill(t, y << 12, 0, val4k(2, RWUX | TLB_D));      /* refill y, now dirty */
    assert_int_equal(1, copies_of(&t->l1, tlb_key(y, TLB_4K, 0)));
    assert_int_equal(1, copies_of(&t->l2, tlb_key(y, TLB_4K, 0)));
    assert_tlb_ok(t);
}

/* ---- the page walker on hand-built tables -------------------------------------------- */

/* A machine-less rig: 64 frames of physical memory, a paging mode, a
** CR3 at frame 1 and a bump allocator for table frames. */
struct rig {
    struct phys           ph;
    const struct pg_mode *pm;
    vml_pa                cr3;
    vml_pfn               next;
    uint64_t              link[6];   /* bits of the entry at each level pointing down */
};

static void rig_init(struct rig *r, vml_paging mode)
{
    assert_int_equal(VML_OK, phys_init(&r->ph, 64));
    r->pm = &pg_modes[mode];
    r->cr3 = UINT64_C(1) << 12;
    r->next = 2;
    for (unsigned l = 0; l < 6; l++)
        r->link[l] = PG_P | PG_RW | PG_US;
    /* PAE PDPTEs have only P (and PWT, PCD): RW/US/A/D/NX are reserved. */
    if (mode == VML_PAGING_PAE)
        r->link[3] = PG_P;
}

static void rig_fini(struct rig *r)
{
    phys_fini(&r->ph);
}

static vml_pa entry_pa(const struct rig *r, vml_pa table, unsigned level, vml_va va)
{
    return table + (vml_pa)pg_index(r->pm, level, va) * r->pm->entry_size;
}

static uint64_t rd(const struct rig *r, vml_pa pa)
{
    return r->pm->entry_size == 8 ? phys_read64(&r->ph, pa) : phys_read32(&r->ph, pa);
}

static void wr(struct rig *r, vml_pa pa, uint64_t v)
{
    if (r->pm->entry_size == 8)
        phys_write64(&r->ph, pa, v);
    else
        phys_write32(&r->ph, pa, (uint32_t)v);
}

/* Builds the tables down to leaf_level for va and writes leaf there;
** returns the physical address of every entry on the way in epa[level]. */
static void map(struct rig *r, vml_va va, unsigned leaf_level, uint64_t leaf, vml_pa epa[6])
{
    vml_pa table = r->cr3;

    for (unsigned level = r->pm->levels; level > leaf_level; level--) {
        vml_pa pa = entry_pa(r, table, level, va);
        uint64_t e = rd(r, pa);
        if (!(e & PG_P)) {
            assert_true(r->next < 64);
            e = (r->next++ << 12) | r->link[level];
            wr(r, pa, e);
        }
        epa[level] = pa;
        table = pg_frame(r->pm, e);
    }
    epa[leaf_level] = entry_pa(r, table, leaf_level, va);
    wr(r, epa[leaf_level], leaf);
}

static int walk(struct rig *r, vml_va va, unsigned access, unsigned user, struct mmu_walk *w,
                struct mmu_fault *f)
{
    memset(w, 0, sizeof *w);
    memset(f, 0, sizeof *f);
    return mmu_walk(r->pm, &r->ph, r->cr3, va, access, user, w, f);
}

static vml_pa walk_pa(const struct mmu_walk *w, vml_va va)
{
    uint64_t mask = (UINT64_C(1) << tlb_size_shift[tlb_val_size(w->val)]) - 1;
    return (w->val & ~(uint64_t)TLB_FLAGS & ~mask) | (va & mask);
}

static void walk_4level_translates_a_4k_page_and_sets_a_on_every_level(void **state)
{
    struct rig r;
    struct mmu_walk w;
    struct mmu_fault f;
    vml_pa epa[6];
    const vml_va va = UINT64_C(0x00007F1234567ABC);

    (void)state;
    rig_init(&r, VML_PAGING_4LEVEL);
    map(&r, va, 1, (UINT64_C(0x30) << 12) | PG_P | PG_RW | PG_US, epa);
    assert_int_equal(0, walk(&r, va, VML_ACCESS_READ, 1, &w, &f));
    assert_int_equal((UINT64_C(0x30) << 12) | 0xABC, walk_pa(&w, va));
    assert_int_equal(1, w.leaf_level);
    assert_int_equal(epa[1], w.leaf_pa);
    assert_int_equal(TLB_4K, tlb_val_size(w.val));
    assert_int_equal(TLB_W | TLB_U | TLB_X, w.val & (TLB_W | TLB_U | TLB_X | TLB_D | TLB_G));
    /* SDM 4.8: A is set in every paging-structure entry used; a read
    ** sets no D anywhere. */
    for (unsigned l = 4; l >= 1; l--) {
        assert_true(rd(&r, epa[l]) & PG_A);
        assert_false(rd(&r, epa[l]) & PG_D);
    }
    rig_fini(&r);
}

static void walk_sets_d_only_in_the_leaf_and_only_on_a_write(void **state)
{
    struct rig r;
    struct mmu_walk w;
    struct mmu_fault f;
    vml_pa epa[6];
    const vml_va va = UINT64_C(0x10000);

    (void)state;
    rig_init(&r, VML_PAGING_4LEVEL);
    map(&r, va, 1, (UINT64_C(0x30) << 12) | PG_P | PG_RW | PG_US, epa);
    assert_int_equal(0, walk(&r, va, VML_ACCESS_READ, 1, &w, &f));
    assert_false(rd(&r, epa[1]) & PG_D);
    assert_false(w.val & TLB_D);
    assert_int_equal(0, walk(&r, va, VML_ACCESS_WRITE, 1, &w, &f));
    assert_true(rd(&r, epa[1]) & PG_D);
    assert_true(w.val & TLB_D);
    for (unsigned l = 4; l >= 2; l--)
        assert_false(rd(&r, epa[l]) & PG_D);
    assert_int_equal(rd(&r, epa[1]), w.leaf);
    rig_fini(&r);
}

static void walk_4level_maps_a_2m_page_from_a_pde_with_ps(void **state)
{
    struct rig r;
    struct mmu_walk w;
    struct mmu_fault f;
    vml_pa epa[6];
    const vml_va va = UINT64_C(0x00007F0000312345);   /* offset 0x112345 in its 2 MiB page */

    (void)state;
    rig_init(&r, VML_PAGING_4LEVEL);
    /* Bit 12 of a large-page entry is PAT, not part of the frame. */
    map(&r, va, 2, UINT64_C(0x200000) | (UINT64_C(1) << 12) | PG_PS | PG_P | PG_RW | PG_US, epa);
    assert_int_equal(0, walk(&r, va, VML_ACCESS_WRITE, 1, &w, &f));
    assert_int_equal(2, w.leaf_level);
    assert_int_equal(TLB_2M, tlb_val_size(w.val));
    assert_int_equal(UINT64_C(0x200000) | (va & 0x1FFFFF), walk_pa(&w, va));
    assert_true(rd(&r, epa[2]) & PG_A);
    assert_true(rd(&r, epa[2]) & PG_D);        /* the PDE is the leaf */
    assert_false(rd(&r, epa[3]) & PG_D);
    assert_true(rd(&r, epa[4]) & PG_A);
    rig_fini(&r);
}

static void walk_4level_maps_a_1g_page_from_a_pdpte_with_ps(void **state)
{
    struct rig r;
    struct mmu_walk w;
    struct mmu_fault f;
    vml_pa epa[6];
    const vml_va va = UINT64_C(0x0000004012345678);   /* 1 GiB page 0x40000000..., offset 0x12345678 */

    (void)state;
    rig_init(&r, VML_PAGING_4LEVEL);
    map(&r, va, 3, UINT64_C(0xC0000000) | PG_PS | PG_P | PG_RW | PG_US, epa);
    assert_int_equal(0, walk(&r, va, VML_ACCESS_READ, 1, &w, &f));
    assert_int_equal(3, w.leaf_level);
    assert_int_equal(TLB_1G, tlb_val_size(w.val));
    assert_int_equal(UINT64_C(0xC0000000) | (va & 0x3FFFFFFF), walk_pa(&w, va));
    assert_true(rd(&r, epa[3]) & PG_A);
    assert_true(rd(&r, epa[4]) & PG_A);
    rig_fini(&r);
}

static void walk_legacy_maps_a_4m_page_from_a_pde_with_ps(void **state)
{
    struct rig r;
    struct mmu_walk w;
    struct mmu_fault f;
    vml_pa epa[6];
    const vml_va va = 0x4ABCD123;   /* PDE 0x12A, offset 0x3CD123 in the 4 MiB page */

    (void)state;
    rig_init(&r, VML_PAGING_LEGACY);
    /* Bits 21-13 of a 4 MiB PDE are PSE-36 address bits (and bit 12 PAT):
    ** not part of the low 4 GiB frame address. */
    map(&r, va, 2, UINT64_C(0x00C00000) | (UINT64_C(1) << 13) | PG_PS | PG_P | PG_RW | PG_US, epa);
    /* The neighbouring 4-byte PDE must survive the A-bit update. */
    wr(&r, epa[2] + 4, 0xDEADB000);
    assert_int_equal(0, walk(&r, va, VML_ACCESS_WRITE, 1, &w, &f));
    assert_int_equal(2, w.leaf_level);
    assert_int_equal(TLB_4M, tlb_val_size(w.val));
    assert_int_equal(UINT64_C(0x00C00000) | (va & 0x3FFFFF), walk_pa(&w, va));
    assert_true(rd(&r, epa[2]) & PG_A);
    assert_true(rd(&r, epa[2]) & PG_D);
    assert_int_equal(0xDEADB000, rd(&r, epa[2] + 4));
    rig_fini(&r);
}

static void walk_legacy_uses_4_byte_entries_and_has_no_nx(void **state)
{
    struct rig r;
    struct mmu_walk w;
    struct mmu_fault f;
    vml_pa epa[6];
    const vml_va va = 0x7FFE1234;

    (void)state;
    rig_init(&r, VML_PAGING_LEGACY);
    map(&r, va, 1, (UINT64_C(0x30) << 12) | PG_P | PG_US, epa);
    assert_int_equal(epa[1] - ((epa[1] >> 12) << 12), (vml_pa)pg_index(r.pm, 1, va) * 4);
    /* 32-bit paging has no execute-disable bit: every readable page can
    ** be executed (SDM 4.3). */
    assert_int_equal(0, walk(&r, va, VML_ACCESS_EXEC, 1, &w, &f));
    assert_true(w.val & TLB_X);
    assert_int_equal((UINT64_C(0x30) << 12) | 0x234, walk_pa(&w, va));
    /* R/W = 0 still denies writes. */
    assert_int_equal(-1, walk(&r, va, VML_ACCESS_WRITE, 1, &w, &f));
    assert_int_equal(PF_P | PF_W | PF_U, f.error_code);
    rig_fini(&r);
}

static void walk_pae_sets_no_a_bit_in_a_pdpte(void **state)
{
    struct rig r;
    struct mmu_walk w;
    struct mmu_fault f;
    vml_pa epa[6];
    const vml_va va = 0xB0123456;   /* PDPTE 2 */

    (void)state;
    rig_init(&r, VML_PAGING_PAE);
    map(&r, va, 1, (UINT64_C(0x30) << 12) | PG_P | PG_RW | PG_US | PG_NX, epa);
    uint64_t pdpte = rd(&r, epa[3]);
    assert_int_equal(0, walk(&r, va, VML_ACCESS_WRITE, 1, &w, &f));
    assert_int_equal((UINT64_C(0x30) << 12) | 0x456, walk_pa(&w, va));
    /* PDPTE bits 5 and 6 are reserved in PAE paging (SDM Table 4-8): the
    ** walk leaves the entry as it was, while PDE and PTE get A. */
    assert_int_equal(pdpte, rd(&r, epa[3]));
    assert_true(rd(&r, epa[2]) & PG_A);
    assert_true(rd(&r, epa[1]) & PG_A);
    assert_true(rd(&r, epa[1]) & PG_D);
    /* ... and the PDPTE's missing RW/US bits restrict nothing. */
    assert_true(w.val & TLB_W);
    assert_true(w.val & TLB_U);
    /* PAE entries carry NX. */
    assert_false(w.val & TLB_X);
    assert_int_equal(-1, walk(&r, va, VML_ACCESS_EXEC, 1, &w, &f));
    assert_int_equal(PF_P | PF_U | PF_I, f.error_code);
    rig_fini(&r);
}

static void walk_pae_maps_a_2m_page(void **state)
{
    struct rig r;
    struct mmu_walk w;
    struct mmu_fault f;
    vml_pa epa[6];
    const vml_va va = 0x40312345;

    (void)state;
    rig_init(&r, VML_PAGING_PAE);
    map(&r, va, 2, UINT64_C(0x800000) | PG_PS | PG_P | PG_RW | PG_US, epa);
    assert_int_equal(0, walk(&r, va, VML_ACCESS_READ, 1, &w, &f));
    assert_int_equal(TLB_2M, tlb_val_size(w.val));
    assert_int_equal(UINT64_C(0x800000) | (va & 0x1FFFFF), walk_pa(&w, va));
    rig_fini(&r);
}

static void walk_5level_goes_through_five_tables(void **state)
{
    struct rig r;
    struct mmu_walk w;
    struct mmu_fault f;
    vml_pa epa[6];
    const vml_va va = UINT64_C(0x00ABCDEF12345678);   /* needs 57 bits */

    (void)state;
    rig_init(&r, VML_PAGING_5LEVEL);
    map(&r, va, 1, (UINT64_C(0x30) << 12) | PG_P | PG_RW | PG_US, epa);
    assert_int_equal(0, walk(&r, va, VML_ACCESS_READ, 1, &w, &f));
    assert_int_equal((UINT64_C(0x30) << 12) | 0x678, walk_pa(&w, va));
    for (unsigned l = 5; l >= 1; l--)
        assert_true(rd(&r, epa[l]) & PG_A);
    /* The same address under 4-level rules would not even be canonical. */
    assert_false(pg_canonical(&pg_modes[VML_PAGING_4LEVEL], va));
    assert_true(pg_canonical(&pg_modes[VML_PAGING_5LEVEL], va));
    rig_fini(&r);
}

/* ---- permissions combine over all levels (SDM 4.6) ---------------------------------------- */

static void rw_clear_in_a_pde_denies_writes_below_it(void **state)
{
    struct rig r;
    struct mmu_walk w;
    struct mmu_fault f;
    vml_pa epa[6];
    const vml_va va = UINT64_C(0x10000);

    (void)state;
    rig_init(&r, VML_PAGING_4LEVEL);
    r.link[2] = PG_P | PG_US;                   /* the PDE: read-only */
    map(&r, va, 1, (UINT64_C(0x30) << 12) | PG_P | PG_RW | PG_US, epa);
    assert_int_equal(-1, walk(&r, va, VML_ACCESS_WRITE, 1, &w, &f));
    assert_int_equal(PF_P | PF_W | PF_U, f.error_code);
    assert_int_equal(0, f.level);
    assert_int_equal(va, f.va);
    /* MMU2: a walk that faults writes nothing -- no A bit anywhere. */
    for (unsigned l = 4; l >= 1; l--)
        assert_false(rd(&r, epa[l]) & PG_A);
    /* CR0.WP = 1: the supervisor cannot write either. */
    assert_int_equal(-1, walk(&r, va, VML_ACCESS_WRITE, 0, &w, &f));
    assert_int_equal(PF_P | PF_W, f.error_code);
    /* Reads are fine, and the cached rights say read-only. */
    assert_int_equal(0, walk(&r, va, VML_ACCESS_READ, 1, &w, &f));
    assert_false(w.val & TLB_W);
    rig_fini(&r);
}

static void us_clear_in_the_pml4e_denies_user_access(void **state)
{
    struct rig r;
    struct mmu_walk w;
    struct mmu_fault f;
    vml_pa epa[6];
    const vml_va va = UINT64_C(0x10000);

    (void)state;
    rig_init(&r, VML_PAGING_4LEVEL);
    r.link[4] = PG_P | PG_RW;                   /* the PML4E: supervisor only */
    map(&r, va, 1, (UINT64_C(0x30) << 12) | PG_P | PG_RW | PG_US, epa);
    assert_int_equal(-1, walk(&r, va, VML_ACCESS_READ, 1, &w, &f));
    assert_int_equal(PF_P | PF_U, f.error_code);
    assert_false(rd(&r, epa[4]) & PG_A);
    /* The kernel may read it; the translation it caches is not user. */
    assert_int_equal(0, walk(&r, va, VML_ACCESS_READ, 0, &w, &f));
    assert_false(w.val & TLB_U);
    assert_true(w.val & TLB_W);
    rig_fini(&r);
}

static void nx_in_any_level_denies_instruction_fetches(void **state)
{
    struct rig r;
    struct mmu_walk w;
    struct mmu_fault f;
    vml_pa epa[6];
    const vml_va va = UINT64_C(0x10000);

    (void)state;
    rig_init(&r, VML_PAGING_4LEVEL);
    r.link[3] = PG_P | PG_RW | PG_US | PG_NX;   /* NX in the PDPTE only */
    map(&r, va, 1, (UINT64_C(0x30) << 12) | PG_P | PG_RW | PG_US, epa);
    assert_int_equal(-1, walk(&r, va, VML_ACCESS_EXEC, 1, &w, &f));
    assert_int_equal(PF_P | PF_U | PF_I, f.error_code);
    assert_int_equal(0, walk(&r, va, VML_ACCESS_READ, 1, &w, &f));
    assert_false(w.val & TLB_X);
    rig_fini(&r);
}

static void a_missing_entry_faults_at_its_level(void **state)
{
    struct rig r;
    struct mmu_walk w;
    struct mmu_fault f;
    vml_pa epa[6];
    const vml_va va = UINT64_C(0x10000), other = UINT64_C(0x40000000);

    (void)state;
    rig_init(&r, VML_PAGING_4LEVEL);
    map(&r, va, 1, (UINT64_C(0x30) << 12) | PG_P | PG_RW | PG_US, epa);
    /* Same PML4E, a PDPTE that is not present. */
    assert_int_equal(-1, walk(&r, other, VML_ACCESS_WRITE, 1, &w, &f));
    assert_int_equal(3, f.level);
    assert_int_equal(PF_W | PF_U, f.error_code);             /* P = 0: not present */
    assert_int_equal(entry_pa(&r, pg_frame(r.pm, rd(&r, epa[4])), 3, other), f.entry_pa);
    assert_false(rd(&r, epa[4]) & PG_A);                     /* MMU2 */
    /* A PTE that is not present: level 1, and its content is reported. */
    wr(&r, epa[1], 0x80);                                    /* a software PTE */
    assert_int_equal(-1, walk(&r, va, VML_ACCESS_READ, 1, &w, &f));
    assert_int_equal(1, f.level);
    assert_int_equal(epa[1], f.entry_pa);
    assert_int_equal(0x80, f.entry);
    /* An empty PML4: level 4. */
    assert_int_equal(-1, walk(&r, UINT64_C(0x00007F0000000000), VML_ACCESS_READ, 1, &w, &f));
    assert_int_equal(4, f.level);
    rig_fini(&r);
}

static void inspect_walks_without_side_effects(void **state)
{
    struct rig r;
    vml_walk out;
    vml_pa epa[6];
    const vml_va va = UINT64_C(0x12345678);

    (void)state;
    rig_init(&r, VML_PAGING_4LEVEL);
    map(&r, va, 1, (UINT64_C(0x30) << 12) | PG_P | PG_RW | PG_US, epa);
    mmu_inspect(r.pm, &r.ph, r.cr3, va, &out);
    assert_int_equal(1, out.present);
    assert_int_equal(4, out.n_steps);
    assert_int_equal((UINT64_C(0x30) << 12) | 0x678, out.pa);
    assert_int_equal(4096, out.page_size);
    assert_int_equal(epa[1], out.step[3].entry_pa);
    assert_string_equal("PTE", out.step[3].name);
    for (unsigned l = 4; l >= 1; l--)
        assert_false(rd(&r, epa[l]) & PG_A);
    rig_fini(&r);
}

/* ---- the TLB in front of the walker --------------------------------------------------------- */

struct cpu_rig {
    struct rig r;
    struct cpu c;
};

static void cpu_rig_init(struct cpu_rig *cr)
{
    memset(cr, 0, sizeof *cr);
    rig_init(&cr->r, VML_PAGING_4LEVEL);
    assert_int_equal(VML_OK, tlb_init(&cr->c.tlb, 64, 4, 0, 0));
    cr->c.cr3 = cr->r.cr3;
}

static void cpu_rig_fini(struct cpu_rig *cr)
{
    tlb_fini(&cr->c.tlb);
    rig_fini(&cr->r);
}

static int translate(struct cpu_rig *cr, vml_va va, unsigned access, vml_pa *pa)
{
    struct mmu_fault f;
    struct mmu_walk w;
    int walked;

    return mmu_translate(cr->r.pm, &cr->r.ph, &cr->c, va, access, 1, pa, &f, &walked, &w, 0);
}

static void translate_walks_once_then_hits(void **state)
{
    struct cpu_rig cr;
    vml_pa epa[6], pa = 0;

    (void)state;
    cpu_rig_init(&cr);
    map(&cr.r, 0x10000, 1, (UINT64_C(0x30) << 12) | PG_P | PG_RW | PG_US, epa);
    assert_int_equal(0, translate(&cr, 0x10123, VML_ACCESS_READ, &pa));
    assert_int_equal(0x30123, pa);
    assert_int_equal(0, translate(&cr, 0x10FFF, VML_ACCESS_READ, &pa));
    assert_int_equal(0x30FFF, pa);
    assert_int_equal(1, cr.c.st.tlb_misses);
    assert_int_equal(1, cr.c.st.page_walks);
    assert_int_equal(1, cr.c.st.tlb_hits);
    cpu_rig_fini(&cr);
}

static void a_write_through_a_clean_entry_walks_again_and_sets_d(void **state)
{
    struct cpu_rig cr;
    vml_pa epa[6], pa = 0;

    (void)state;
    cpu_rig_init(&cr);
    map(&cr.r, 0x10000, 1, (UINT64_C(0x30) << 12) | PG_P | PG_RW | PG_US, epa);
    assert_int_equal(0, translate(&cr, 0x10000, VML_ACCESS_READ, &pa));   /* cached clean */
    assert_false(rd(&cr.r, epa[1]) & PG_D);
    /* MMU3: the D bit must reach memory, so the write walks. */
    assert_int_equal(0, translate(&cr, 0x10000, VML_ACCESS_WRITE, &pa));
    assert_int_equal(2, cr.c.st.page_walks);
    assert_true(rd(&cr.r, epa[1]) & PG_D);
    /* Now cached dirty: the next write hits. */
    assert_int_equal(0, translate(&cr, 0x10000, VML_ACCESS_WRITE, &pa));
    assert_int_equal(2, cr.c.st.page_walks);
    assert_int_equal(1, cr.c.st.tlb_hits);
    assert_tlb_ok(&cr.c.tlb);
    cpu_rig_fini(&cr);
}

static void a_stale_entry_is_used_until_invlpg(void **state)
{
    struct cpu_rig cr;
    vml_pa epa[6], pa = 0;

    (void)state;
    cpu_rig_init(&cr);
    map(&cr.r, 0x10000, 1, (UINT64_C(0x30) << 12) | PG_P | PG_RW | PG_US, epa);
    assert_int_equal(0, translate(&cr, 0x10000, VML_ACCESS_WRITE, &pa));
    /* The OS clears R/W in memory and forgets to invalidate. */
    wr(&cr.r, epa[1], rd(&cr.r, epa[1]) & ~PG_RW);
    assert_int_equal(0, translate(&cr, 0x10000, VML_ACCESS_WRITE, &pa));
    assert_int_equal(1, cr.c.st.tlb_hits);
    tlb_invlpg(&cr.c.tlb, 0x10000, 0);
    assert_int_equal(-1, translate(&cr, 0x10000, VML_ACCESS_WRITE, &pa));
    /* A failed walk caches nothing. */
    assert_null(tlb_lookup_4k(&cr.c.tlb, 0x10, 0));
    cpu_rig_fini(&cr);
}

/* ---- through the public API ------------------------------------------------------------------ */

static void machine_accepts_any_tlb_geometry_that_divides(void **state)
{
    vml_config cfg;
    vml_machine *m = NULL;
    vml_tlb_geometry g;

    (void)state;
    vml_config_default(&cfg);
    cfg.ram_bytes = UINT64_C(4) << 20;
    cfg.tlb_entries = 48;
    cfg.tlb_ways = 4;
    cfg.tlb2_entries = 96;
    cfg.tlb2_ways = 8;
    assert_int_equal(VML_OK, vml_machine_create(&cfg, &m));
    vml_tlb_geometry_get(m, &g);
    assert_int_equal(12, g.sets);
    assert_int_equal(48, g.entries);
    assert_int_equal(12, g.l2_sets);
    assert_int_equal(96, g.l2_entries);
    vml_machine_destroy(m);

    cfg.tlb_entries = 7;
    cfg.tlb_ways = 2;
    assert_int_equal(VML_E_RANGE, vml_machine_create(&cfg, &m));
    assert_null(m);
    cfg.tlb_entries = 48;
    cfg.tlb_ways = 4;
    cfg.tlb2_entries = 12;
    cfg.tlb2_ways = 5;
    assert_int_equal(VML_E_RANGE, vml_machine_create(&cfg, &m));
}

/* vmlab.h: vml_tlb_invlpg with VML_ALL_CPUS is "every CPU, counted as a
** shootdown". */
static void invlpg_on_all_cpus_is_counted_as_a_shootdown(void **state)
{
    vml_config cfg;
    vml_machine *m;
    vml_proc *p;
    vml_va va;
    uint64_t before, after, inv0, inv1;
    uint8_t b = 1;

    (void)state;
    vml_config_default(&cfg);
    cfg.ram_bytes = UINT64_C(4) << 20;
    cfg.n_cpus = 2;
    assert_int_equal(VML_OK, vml_machine_create(&cfg, &m));
    assert_int_equal(VML_OK, vml_proc_create(m, "A", &p));
    assert_int_equal(0, vml_win_VirtualAlloc(p, 0, 0x1000, VML_MEM_RESERVE | VML_MEM_COMMIT,
                                             VML_PAGE_READWRITE, &va));
    assert_int_equal(VML_OK, vml_mem_write(p, 0, va, &b, 1, NULL));
    assert_int_equal(VML_OK, vml_mem_write(p, 1, va, &b, 1, NULL));
    assert_int_equal(VML_OK, vml_stat_get(m, VML_SCOPE_SYSTEM, 0, "shootdowns", &before));
    assert_int_equal(VML_OK, vml_tlb_invlpg(m, VML_ALL_CPUS, p, va));
    assert_int_equal(VML_OK, vml_stat_get(m, VML_SCOPE_SYSTEM, 0, "shootdowns", &after));
    assert_int_equal(VML_OK, vml_stat_get(m, VML_SCOPE_CPU, 0, "invlpgs", &inv0));
    assert_int_equal(VML_OK, vml_stat_get(m, VML_SCOPE_CPU, 1, "invlpgs", &inv1));
    assert_true(inv0 >= 1 && inv1 >= 1);
    assert_int_equal(before + 1, after);
    vml_machine_destroy(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(tlb_sets_need_not_be_a_power_of_two),
        cmocka_unit_test(tlb_geometry_must_divide_evenly),
        cmocka_unit_test(tlb_48x4_holds_48_consecutive_pages),
        cmocka_unit_test(tlb_evicts_the_least_recently_used_way_of_a_set),
        cmocka_unit_test(tlb_12x12_is_fully_associative),
        cmocka_unit_test(invlpg_drops_one_page_only),
        cmocka_unit_test(flush_keeps_global_entries_unless_told_to_drop_them),
        cmocka_unit_test(pcids_keep_address_spaces_apart),
        cmocka_unit_test(a_global_entry_matches_every_pcid),
        cmocka_unit_test(large_pages_live_in_their_own_array),
        cmocka_unit_test(second_level_catches_what_the_first_level_evicted),
        cmocka_unit_test_teardown(tlb_refill_after_a_hole_keeps_one_copy_of_the_key,
                                  hole_tlb_fini),
        cmocka_unit_test(walk_4level_translates_a_4k_page_and_sets_a_on_every_level),
        cmocka_unit_test(walk_sets_d_only_in_the_leaf_and_only_on_a_write),
        cmocka_unit_test(walk_4level_maps_a_2m_page_from_a_pde_with_ps),
        cmocka_unit_test(walk_4level_maps_a_1g_page_from_a_pdpte_with_ps),
        cmocka_unit_test(walk_legacy_maps_a_4m_page_from_a_pde_with_ps),
        cmocka_unit_test(walk_legacy_uses_4_byte_entries_and_has_no_nx),
        cmocka_unit_test(walk_pae_sets_no_a_bit_in_a_pdpte),
        cmocka_unit_test(walk_pae_maps_a_2m_page),
        cmocka_unit_test(walk_5level_goes_through_five_tables),
        cmocka_unit_test(rw_clear_in_a_pde_denies_writes_below_it),
        cmocka_unit_test(us_clear_in_the_pml4e_denies_user_access),
        cmocka_unit_test(nx_in_any_level_denies_instruction_fetches),
        cmocka_unit_test(a_missing_entry_faults_at_its_level),
        cmocka_unit_test(inspect_walks_without_side_effects),
        cmocka_unit_test(translate_walks_once_then_hits),
        cmocka_unit_test(a_write_through_a_clean_entry_walks_again_and_sets_d),
        cmocka_unit_test(a_stale_entry_is_used_until_invlpg),
        cmocka_unit_test(machine_accepts_any_tlb_geometry_that_divides),
        cmocka_unit_test(invlpg_on_all_cpus_is_counted_as_a_shootdown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
