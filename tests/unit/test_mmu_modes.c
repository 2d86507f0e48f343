/*
** test_mmu_modes.c -- the page walker of every paging mode on tables built by
** hand, beyond what test_mmu.c shows: A and D set in the one walk (SDM Vol.
** 3A, 4.8), exactly the bits the SDM names and nothing else, large pages
** at every level that may map one, PAE PDPTEs left alone; and mmu_check()
** and pg_check(): what they catch, and that stale TLB entries (legal) are
** not reported.
*/
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "vmlab.h"
#include "hw/phys.h"
#include "hw/paging.h"
#include "hw/tlb.h"
#include "hw/mmu.h"

#define N_FRAMES 64

/* A machine-less rig: N_FRAMES frames, a mode, CR3 at frame 1, table
** frames from a bump allocator; a CPU with a 64-entry TLB. */
struct rig {
    struct phys           ph;
    const struct pg_mode *pm;
    vml_pa                cr3;
    vml_pfn               next;
    struct cpu            c;
};

static struct rig rig;   /* torn down even when a check fails */

static struct rig *rig_up(vml_paging mode)
{
    struct rig *r = &rig;

    memset(r, 0, sizeof *r);
    assert_int_equal(VML_OK, phys_init(&r->ph, N_FRAMES, 0));
    assert_int_equal(VML_OK, tlb_init(&r->c.tlb, 64, 4, 0, 0));
    r->pm = &pg_modes[mode];
    r->cr3 = UINT64_C(1) << 12;
    r->c.cr3 = r->cr3;
    r->next = 2;
    return r;
}

static int rig_down(void **state)
{
    (void)state;
    tlb_fini(&rig.c.tlb);
    phys_fini(&rig.ph);
    return 0;
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

/* The bits of an entry that points down at the given level: P, RW, US
** (a PAE PDPTE has only P: RW, US, A, D and NX are reserved there). */
static uint64_t link_bits(const struct rig *r, unsigned level)
{
    return r->pm->id == VML_PAGING_PAE && level == 3 ? PG_P : PG_P | PG_RW | PG_US;
}

/* Builds the tables of va down to leaf_level, writes leaf there, and
** returns every entry's address in epa[level]. */
static void map(struct rig *r, vml_va va, unsigned leaf_level, uint64_t leaf, vml_pa epa[6])
{
    vml_pa table = r->cr3;

    for (unsigned level = r->pm->levels; level >= leaf_level; level--) {
        epa[level] = table + (vml_pa)pg_index(r->pm, level, va) * r->pm->entry_size;
        if (level == leaf_level)
            break;
        uint64_t e = rd(r, epa[level]);
        if (!(e & PG_P)) {
            assert_true(r->next < N_FRAMES);
            e = (r->next++ << 12) | link_bits(r, level);
            wr(r, epa[level], e);
        }
        table = pg_frame(r->pm, e);
    }
    wr(r, epa[leaf_level], leaf);
}

static int walk(struct rig *r, vml_va va, unsigned access, struct mmu_walk *w,
                struct mmu_fault *f)
{
    memset(w, 0, sizeof *w);
    memset(f, 0, sizeof *f);
    return mmu_walk(r->pm, &r->ph, r->cr3, va, access, 1, w, f);
}

/* The entry at pa in a snapshot. */
static uint64_t snap_entry(const struct rig *r, const uint8_t *snap, vml_pa pa)
{
    uint64_t v = 0;

    memcpy(&v, snap + pa, r->pm->entry_size);
    return v;
}

/* The whole of physical memory, to show what a walk changed. */
static uint8_t *snapshot(const struct rig *r)
{
    uint8_t *copy = malloc(N_FRAMES * VML_PAGE_SIZE);

    assert_non_null(copy);
    memcpy(copy, phys_frame(&r->ph, 0), N_FRAMES * VML_PAGE_SIZE);
    return copy;
}

static void assert_check_ok(struct rig *r)
{
    char msg[300];

    if (mmu_check(r->pm, &r->ph, &r->c, msg, sizeof msg) != 0)
        fail_msg("mmu_check: %s", msg);
}

static void assert_check_says(struct rig *r, const char *id)
{
    char msg[300];

    assert_int_equal(-1, mmu_check(r->pm, &r->ph, &r->c, msg, sizeof msg));
    if (strstr(msg, id) == NULL)
        fail_msg("mmu_check said \"%s\", not %s", msg, id);
}

/* One address per mode, with a 4 KiB page at frame 0x30 and PTE bits. */
static const struct { vml_paging mode; vml_va va; } where[] = {
    { VML_PAGING_4LEVEL, UINT64_C(0x00007F1234567ABC) },
    { VML_PAGING_5LEVEL, UINT64_C(0x00ABCDEF12345678) },
    { VML_PAGING_PAE,    UINT64_C(0xB0123456) },
    { VML_PAGING_LEGACY, UINT64_C(0x7FFE1234) },
};

/* ---- A and D in the one walk ------------------------------------------------ */

static void a_walk_sets_a_on_the_path_and_d_in_the_leaf_of_a_write_in_every_mode(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof where / sizeof where[0]; i++) {
        struct rig *r = rig_up(where[i].mode);
        struct mmu_walk w;
        struct mmu_fault f;
        vml_pa epa[6];
        const vml_va va = where[i].va;
        const unsigned levels = r->pm->levels;

        map(r, va, 1, (UINT64_C(0x30) << 12) | PG_P | PG_RW | PG_US, epa);
        uint8_t *before = snapshot(r);
        assert_int_equal(0, walk(r, va, VML_ACCESS_WRITE, &w, &f));
        assert_int_equal((UINT64_C(0x30) << 12) | (va & 0xFFF),
                         (w.val & ~(uint64_t)TLB_FLAGS) | (va & 0xFFF));
        assert_true(w.val & TLB_D);
        /* Exactly A on every entry used, D on the leaf; PAE's PDPTE as it
        ** was (its bits 5 and 6 are reserved: SDM Table 4-8). */
        for (unsigned l = levels; l >= 1; l--) {
            uint64_t was = snap_entry(r, before, epa[l]);
            uint64_t want = r->pm->id == VML_PAGING_PAE && l == 3 ? was
                          : was | PG_A | (l == 1 ? PG_D : 0);
            assert_int_equal(want, rd(r, epa[l]));
        }
        /* ... and not one other byte of memory. */
        for (unsigned l = levels; l >= 1; l--)
            memcpy(before + epa[l], phys_frame(&r->ph, 0) + epa[l], r->pm->entry_size);
        assert_memory_equal(before, phys_frame(&r->ph, 0), N_FRAMES * VML_PAGE_SIZE);
        assert_int_equal(rd(r, epa[1]), w.leaf);
        free(before);
        rig_down(NULL);
    }
}

static void a_read_sets_a_but_no_d_in_every_mode(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof where / sizeof where[0]; i++) {
        struct rig *r = rig_up(where[i].mode);
        struct mmu_walk w;
        struct mmu_fault f;
        vml_pa epa[6];

        map(r, where[i].va, 1, (UINT64_C(0x30) << 12) | PG_P | PG_RW | PG_US, epa);
        assert_int_equal(0, walk(r, where[i].va, VML_ACCESS_READ, &w, &f));
        assert_false(w.val & TLB_D);
        for (unsigned l = r->pm->levels; l >= 1; l--) {
            int pdpte = r->pm->id == VML_PAGING_PAE && l == 3;
            assert_int_equal(!pdpte, (rd(r, epa[l]) & PG_A) != 0);
            assert_false(rd(r, epa[l]) & PG_D);
        }
        /* A second read changes nothing; a write then sets D, only in the leaf. */
        uint8_t *before = snapshot(r);
        assert_int_equal(0, walk(r, where[i].va, VML_ACCESS_READ, &w, &f));
        assert_memory_equal(before, phys_frame(&r->ph, 0), N_FRAMES * VML_PAGE_SIZE);
        assert_int_equal(0, walk(r, where[i].va, VML_ACCESS_WRITE, &w, &f));
        assert_true(rd(r, epa[1]) & PG_D);
        for (unsigned l = r->pm->levels; l >= 2; l--)
            assert_false(rd(r, epa[l]) & PG_D);
        free(before);
        rig_down(NULL);
    }
}

static void a_walk_sets_only_the_a_bits_that_are_missing(void **state)
{
    struct rig *r = rig_up(VML_PAGING_4LEVEL);
    struct mmu_walk w;
    struct mmu_fault f;
    vml_pa epa[6];
    const vml_va va = UINT64_C(0x10000);

    (void)state;
    map(r, va, 1, (UINT64_C(0x30) << 12) | PG_P | PG_RW | PG_US, epa);
    assert_int_equal(0, walk(r, va, VML_ACCESS_READ, &w, &f));
    /* The working-set manager clears A in the PDE only (and flushes). */
    wr(r, epa[2], rd(r, epa[2]) & ~PG_A);
    uint64_t pml4e = rd(r, epa[4]), pdpte = rd(r, epa[3]), pte = rd(r, epa[1]);
    assert_int_equal(0, walk(r, va, VML_ACCESS_READ, &w, &f));
    assert_true(rd(r, epa[2]) & PG_A);
    assert_int_equal(pml4e, rd(r, epa[4]));
    assert_int_equal(pdpte, rd(r, epa[3]));
    assert_int_equal(pte, rd(r, epa[1]));
}

/* SDM 4.8 lets a processor set A in the upper entries of a walk that then
** faults, or not (4.10.3.1: it "may" cache them); vmlab does not (MMU2). */
static void a_walk_that_faults_writes_nothing_in_any_mode(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof where / sizeof where[0]; i++) {
        struct rig *r = rig_up(where[i].mode);
        struct mmu_walk w;
        struct mmu_fault f;
        vml_pa epa[6];
        const vml_va va = where[i].va;

        map(r, va, 1, (UINT64_C(0x30) << 12) | PG_P | PG_US, epa);    /* read-only */
        uint8_t *before = snapshot(r);
        assert_int_equal(-1, walk(r, va, VML_ACCESS_WRITE, &w, &f));
        assert_int_equal(PF_P | PF_W | PF_U, f.error_code);
        wr(r, epa[1], 0);                                              /* not present */
        memcpy(before + epa[1], phys_frame(&r->ph, 0) + epa[1], r->pm->entry_size);
        assert_int_equal(-1, walk(r, va, VML_ACCESS_READ, &w, &f));
        assert_int_equal(1, f.level);
        assert_memory_equal(before, phys_frame(&r->ph, 0), N_FRAMES * VML_PAGE_SIZE);
        free(before);
        rig_down(NULL);
    }
}

/* ---- large pages --------------------------------------------------------------------- */

static void large_pages_map_at_every_level_that_allows_them(void **state)
{
    static const struct {
        vml_paging mode;
        unsigned level;
        vml_va va;
        vml_pa frame;
        enum tlb_size size;
    } big[] = {
        { VML_PAGING_4LEVEL, 2, UINT64_C(0x00007F0000312345), UINT64_C(0x200000), TLB_2M },
        { VML_PAGING_4LEVEL, 3, UINT64_C(0x0000004012345678), UINT64_C(0xC0000000), TLB_1G },
        { VML_PAGING_5LEVEL, 2, UINT64_C(0x00ABCDEF12345678), UINT64_C(0x400000), TLB_2M },
        { VML_PAGING_5LEVEL, 3, UINT64_C(0x00ABCDEF12345678), UINT64_C(0x40000000), TLB_1G },
        { VML_PAGING_PAE,    2, UINT64_C(0x40312345), UINT64_C(0x800000), TLB_2M },
        { VML_PAGING_LEGACY, 2, UINT64_C(0x4ABCD123), UINT64_C(0x00C00000), TLB_4M },
    };

    (void)state;
    for (size_t i = 0; i < sizeof big / sizeof big[0]; i++) {
        struct rig *r = rig_up(big[i].mode);
        struct mmu_walk w;
        struct mmu_fault f;
        vml_pa epa[6], pa;
        uint64_t size = UINT64_C(1) << tlb_size_shift[big[i].size];

        /* PAT (bit 12) and, in legacy mode, PSE-36 bits are not address bits. */
        map(r, big[i].va, big[i].level,
            big[i].frame | (UINT64_C(1) << 12) | PG_PS | PG_P | PG_RW | PG_US | PG_G, epa);
        assert_int_equal(0, walk(r, big[i].va, VML_ACCESS_WRITE, &w, &f));
        assert_int_equal(big[i].level, w.leaf_level);
        assert_int_equal(big[i].size, tlb_val_size(w.val));
        pa = (w.val & ~(uint64_t)TLB_FLAGS & ~(size - 1)) | (big[i].va & (size - 1));
        assert_int_equal(big[i].frame | (big[i].va & (size - 1)), pa);
        assert_true(w.val & TLB_G);
        assert_true(w.val & TLB_D);
        assert_int_equal(PG_A | PG_D, rd(r, epa[big[i].level]) & (PG_A | PG_D));
        for (unsigned l = r->pm->levels; l > big[i].level; l--)
            assert_int_equal(r->pm->id == VML_PAGING_PAE && l == 3 ? 0 : PG_A,
                             rd(r, epa[l]) & (PG_A | PG_D));
        /* The translate path caches it in the large-page array. */
        vml_pa tpa = 0;
        int walked;
        assert_int_equal(0, mmu_translate(r->pm, &r->ph, &r->c, big[i].va + 8, VML_ACCESS_READ,
                                          1, &tpa, &f, &walked, &w, 0));
        assert_int_equal(pa + 8, tpa);
        assert_int_equal(1, r->c.tlb.l1_large.n_size[big[i].size]);
        assert_check_ok(r);
        rig_down(NULL);
    }
}

/* ---- the check ------------------------------------------------------------------------------ */

static int translate(struct rig *r, vml_va va, unsigned access, vml_pa *pa)
{
    struct mmu_fault f;
    struct mmu_walk w;
    int walked;

    return mmu_translate(r->pm, &r->ph, &r->c, va, access, 1, pa, &f, &walked, &w, 0);
}

static void mmu_check_accepts_stale_entries(void **state)
{
    struct rig *r = rig_up(VML_PAGING_4LEVEL);
    vml_pa epa[6], pa;

    (void)state;
    map(r, 0x10000, 1, (UINT64_C(0x30) << 12) | PG_P | PG_RW | PG_US, epa);
    map(r, 0x11000, 1, (UINT64_C(0x31) << 12) | PG_P | PG_RW | PG_US, epa);
    assert_int_equal(0, translate(r, 0x10000, VML_ACCESS_WRITE, &pa));
    assert_int_equal(0, translate(r, 0x11000, VML_ACCESS_READ, &pa));
    assert_check_ok(r);
    /* The OS edits PTEs and invalidates nothing: legal, if unwise. */
    wr(r, epa[1] - 8, (UINT64_C(0x32) << 12) | PG_P | PG_US);     /* 0x10000: new frame */
    wr(r, epa[1], 0);                                              /* 0x11000: gone */
    wr(r, epa[2], rd(r, epa[2]) & ~(PG_A | PG_RW));                /* the PDE too */
    assert_check_ok(r);
    /* Clearing D without invalidating leaves a dirty entry on a clean PTE. */
    wr(r, epa[2], rd(r, epa[2]) | PG_RW);
    wr(r, epa[1] - 8, (UINT64_C(0x30) << 12) | PG_P | PG_RW | PG_US | PG_A);
    assert_check_ok(r);
}

static void mmu_check_catches_an_entry_its_unchanged_tables_contradict(void **state)
{
    struct rig *r = rig_up(VML_PAGING_4LEVEL);
    vml_pa epa[6], pa;

    (void)state;
    if (!TLB_SIGS)
        skip();
    map(r, 0x10000, 1, (UINT64_C(0x30) << 12) | PG_P | PG_US, epa);      /* read-only */
    assert_int_equal(0, translate(r, 0x10000, VML_ACCESS_READ, &pa));
    struct tlb_ent *e = tlb_lookup_4k(&r->c.tlb, 0x10, 0);
    assert_non_null(e);
    e->val |= TLB_W;                          /* a bug: rights the walk did not give */
    assert_check_says(r, "MMU4");
    e->val &= ~(uint64_t)TLB_W;
    e->val += UINT64_C(1) << 12;              /* a bug: another frame */
    assert_check_says(r, "MMU4");
    e->val -= UINT64_C(1) << 12;
    assert_check_ok(r);
}

static void mmu_check_catches_a_page_size_the_mode_has_not(void **state)
{
    struct rig *r = rig_up(VML_PAGING_4LEVEL);

    (void)state;
    tlb_fill(&r->c.tlb, UINT64_C(0x400000), 0,
             UINT64_C(0x400000) | TLB_W | ((uint64_t)TLB_4M << TLB_SZ_SHIFT));
    assert_check_says(r, "MMU5");
    rig_down(NULL);
    r = rig_up(VML_PAGING_PAE);
    tlb_fill(&r->c.tlb, UINT64_C(0x40000000), 0,
             UINT64_C(0x40000000) | TLB_W | ((uint64_t)TLB_1G << TLB_SZ_SHIFT));
    assert_check_says(r, "MMU5");
}

static void mmu_check_reports_a_walk_that_broke_an_invariant(void **state)
{
    struct rig *r = rig_up(VML_PAGING_4LEVEL);

    (void)state;
    /* What the test build's verification of each walk leaves behind. */
    strcpy(r->c.broken, "MMU3: the walk of 0x10000 left PTE 0x30027 (was 0x30007)");
    assert_check_says(r, "MMU3");
}

static void pg_check_accepts_every_mode_and_names_a_broken_table(void **state)
{
    char msg[200];
    struct pg_mode bad;

    (void)state;
    for (unsigned m = 0; m < VML_N_PAGING; m++)
        if (pg_check(&pg_modes[m], msg, sizeof msg) != 0)
            fail_msg("pg_check(%s): %s", pg_modes[m].name, msg);
    bad = pg_modes[VML_PAGING_4LEVEL];
    bad.shift[2] = 22;
    assert_int_equal(-1, pg_check(&bad, msg, sizeof msg));
    assert_non_null(strstr(msg, "PGM1"));
    bad = pg_modes[VML_PAGING_LEGACY];
    bad.frame_mask = PG_FRAME64;
    assert_int_equal(-1, pg_check(&bad, msg, sizeof msg));
    assert_non_null(strstr(msg, "PGM2"));
    bad = pg_modes[VML_PAGING_PAE];
    bad.large_levels |= 1u << 3;               /* PAE has no 1 GiB pages */
    assert_int_equal(-1, pg_check(&bad, msg, sizeof msg));
    assert_non_null(strstr(msg, "PGM3"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_walk_sets_a_on_the_path_and_d_in_the_leaf_of_a_write_in_every_mode),
        cmocka_unit_test(a_read_sets_a_but_no_d_in_every_mode),
        cmocka_unit_test_teardown(a_walk_sets_only_the_a_bits_that_are_missing, rig_down),
        cmocka_unit_test(a_walk_that_faults_writes_nothing_in_any_mode),
        cmocka_unit_test(large_pages_map_at_every_level_that_allows_them),
        cmocka_unit_test_teardown(mmu_check_accepts_stale_entries, rig_down),
        cmocka_unit_test_teardown(mmu_check_catches_an_entry_its_unchanged_tables_contradict,
                                  rig_down),
        cmocka_unit_test_teardown(mmu_check_catches_a_page_size_the_mode_has_not, rig_down),
        cmocka_unit_test_teardown(mmu_check_reports_a_walk_that_broke_an_invariant, rig_down),
        cmocka_unit_test(pg_check_accepts_every_mode_and_names_a_broken_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
