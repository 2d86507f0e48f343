/*
** test_mmu_modes.c -- the page walker of every paging mode on tables built by
** hand, beyond what test_mmu.c shows: A and D set in the one walk (SDM Vol.
** 3A, 4.8), exactly the bits the SDM names and nothing else, large pages
** at every level that may map one, PAE PDPTEs left alone; and mmu_check()
** and pg_check(): what they catch, and that stale TLB entries (legal) are
** not reported.
*/
#include <stdlib.h>

#define TESTUTIL_HW
#include "testutil.h"

#define N_FRAMES 64   /* hw_rig's */

static struct hw_cpu_rig the_rig;   /* torn down even when a check fails */

static struct hw_cpu_rig *mode_rig_up(vml_paging mode)
{
    hw_cpu_rig_init(&the_rig, mode);
    return &the_rig;
}

static int mode_rig_down(void **state)
{
    (void)state;
    hw_cpu_rig_fini(&the_rig);
    return 0;
}

/* The entry at pa in a snapshot. */
static uint64_t snap_entry(const struct hw_cpu_rig *r, const uint8_t *snap, vml_pa pa)
{
    uint64_t v = 0;

    memcpy(&v, snap + pa, r->hw.pm->entry_size);
    return v;
}

/* The whole of physical memory, to show what a walk changed. */
static uint8_t *snapshot(const struct hw_cpu_rig *r)
{
    uint8_t *copy = malloc(N_FRAMES * VML_PAGE_SIZE);

    assert_non_null(copy);
    memcpy(copy, phys_frame(&r->hw.ph, 0), N_FRAMES * VML_PAGE_SIZE);
    return copy;
}

static void assert_check_ok(struct hw_cpu_rig *r)
{
    char msg[300];

    if (mmu_check(r->hw.pm, &r->hw.ph, &r->c, msg, sizeof msg) != 0)
        fail_msg("mmu_check: %s", msg);
}

static void assert_check_says(struct hw_cpu_rig *r, const char *id)
{
    char msg[300];

    assert_int_equal(-1, mmu_check(r->hw.pm, &r->hw.ph, &r->c, msg, sizeof msg));
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
        struct hw_cpu_rig *r = mode_rig_up(where[i].mode);
        struct mmu_walk w;
        struct mmu_fault f;
        vml_pa epa[6];
        const vml_va va = where[i].va;
        const unsigned levels = r->hw.pm->levels;

        hw_map(&r->hw, va, 1, (UINT64_C(0x30) << 12) | PG_P | PG_RW | PG_US, epa);
        uint8_t *before = snapshot(r);
        assert_int_equal(0, hw_walk(&r->hw, va, VML_ACCESS_WRITE, 1, &w, &f));
        assert_int_equal((UINT64_C(0x30) << 12) | (va & 0xFFF),
                         (w.val & ~(uint64_t)TLB_FLAGS) | (va & 0xFFF));
        assert_true(w.val & TLB_D);
        /* Exactly A on every entry used, D on the leaf; PAE's PDPTE as it
        ** was (its bits 5 and 6 are reserved: SDM Table 4-8). */
        for (unsigned l = levels; l >= 1; l--) {
            uint64_t was = snap_entry(r, before, epa[l]);
            uint64_t want = r->hw.pm->id == VML_PAGING_PAE && l == 3 ? was
                          : was | PG_A | (l == 1 ? PG_D : 0);
            assert_int_equal(want, hw_rd(&r->hw, epa[l]));
        }
        /* ... and not one other byte of memory. */
        for (unsigned l = levels; l >= 1; l--)
            memcpy(before + epa[l], phys_frame(&r->hw.ph, 0) + epa[l], r->hw.pm->entry_size);
        assert_memory_equal(before, phys_frame(&r->hw.ph, 0), N_FRAMES * VML_PAGE_SIZE);
        assert_int_equal(hw_rd(&r->hw, epa[1]), w.leaf);
        free(before);
        mode_rig_down(NULL);
    }
}

static void a_read_sets_a_but_no_d_in_every_mode(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof where / sizeof where[0]; i++) {
        struct hw_cpu_rig *r = mode_rig_up(where[i].mode);
        struct mmu_walk w;
        struct mmu_fault f;
        vml_pa epa[6];

        hw_map(&r->hw, where[i].va, 1, (UINT64_C(0x30) << 12) | PG_P | PG_RW | PG_US, epa);
        assert_int_equal(0, hw_walk(&r->hw, where[i].va, VML_ACCESS_READ, 1, &w, &f));
        assert_false(w.val & TLB_D);
        for (unsigned l = r->hw.pm->levels; l >= 1; l--) {
            int pdpte = r->hw.pm->id == VML_PAGING_PAE && l == 3;
            assert_int_equal(!pdpte, (hw_rd(&r->hw, epa[l]) & PG_A) != 0);
            assert_false(hw_rd(&r->hw, epa[l]) & PG_D);
        }
        /* A second read changes nothing; a write then sets D, only in the leaf. */
        uint8_t *before = snapshot(r);
        assert_int_equal(0, hw_walk(&r->hw, where[i].va, VML_ACCESS_READ, 1, &w, &f));
        assert_memory_equal(before, phys_frame(&r->hw.ph, 0), N_FRAMES * VML_PAGE_SIZE);
        assert_int_equal(0, hw_walk(&r->hw, where[i].va, VML_ACCESS_WRITE, 1, &w, &f));
        assert_true(hw_rd(&r->hw, epa[1]) & PG_D);
        for (unsigned l = r->hw.pm->levels; l >= 2; l--)
            assert_false(hw_rd(&r->hw, epa[l]) & PG_D);
        free(before);
        mode_rig_down(NULL);
    }
}

static void a_walk_sets_only_the_a_bits_that_are_missing(void **state)
{
    struct hw_cpu_rig *r = mode_rig_up(VML_PAGING_4LEVEL);
    struct mmu_walk w;
    struct mmu_fault f;
    vml_pa epa[6];
    const vml_va va = UINT64_C(0x10000);

    (void)state;
    hw_map(&r->hw, va, 1, (UINT64_C(0x30) << 12) | PG_P | PG_RW | PG_US, epa);
    assert_int_equal(0, hw_walk(&r->hw, va, VML_ACCESS_READ, 1, &w, &f));
    /* The working-set manager clears A in the PDE only (and flushes). */
    hw_wr(&r->hw, epa[2], hw_rd(&r->hw, epa[2]) & ~PG_A);
    uint64_t pml4e = hw_rd(&r->hw, epa[4]), pdpte = hw_rd(&r->hw, epa[3]);
    uint64_t pte = hw_rd(&r->hw, epa[1]);
    assert_int_equal(0, hw_walk(&r->hw, va, VML_ACCESS_READ, 1, &w, &f));
    assert_true(hw_rd(&r->hw, epa[2]) & PG_A);
    assert_int_equal(pml4e, hw_rd(&r->hw, epa[4]));
    assert_int_equal(pdpte, hw_rd(&r->hw, epa[3]));
    assert_int_equal(pte, hw_rd(&r->hw, epa[1]));
}

/* SDM 4.8 lets a processor set A in the upper entries of a walk that then
** faults, or not (4.10.3.1: it "may" cache them); vmlab does not (MMU2). */
static void a_walk_that_faults_writes_nothing_in_any_mode(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof where / sizeof where[0]; i++) {
        struct hw_cpu_rig *r = mode_rig_up(where[i].mode);
        struct mmu_walk w;
        struct mmu_fault f;
        vml_pa epa[6];
        const vml_va va = where[i].va;

        hw_map(&r->hw, va, 1, (UINT64_C(0x30) << 12) | PG_P | PG_US, epa);    /* read-only */
        uint8_t *before = snapshot(r);
        assert_int_equal(-1, hw_walk(&r->hw, va, VML_ACCESS_WRITE, 1, &w, &f));
        assert_int_equal(PF_P | PF_W | PF_U, f.error_code);
        hw_wr(&r->hw, epa[1], 0);                                              /* not present */
        memcpy(before + epa[1], phys_frame(&r->hw.ph, 0) + epa[1], r->hw.pm->entry_size);
        assert_int_equal(-1, hw_walk(&r->hw, va, VML_ACCESS_READ, 1, &w, &f));
        assert_int_equal(1, f.level);
        assert_memory_equal(before, phys_frame(&r->hw.ph, 0), N_FRAMES * VML_PAGE_SIZE);
        free(before);
        mode_rig_down(NULL);
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
        struct hw_cpu_rig *r = mode_rig_up(big[i].mode);
        struct mmu_walk w;
        struct mmu_fault f;
        vml_pa epa[6], pa;
        uint64_t size = UINT64_C(1) << tlb_size_shift[big[i].size];

        /* PAT (bit 12) and, in legacy mode, PSE-36 bits are not address bits. */
        hw_map(&r->hw, big[i].va, big[i].level,
            big[i].frame | (UINT64_C(1) << 12) | PG_PS | PG_P | PG_RW | PG_US | PG_G, epa);
        assert_int_equal(0, hw_walk(&r->hw, big[i].va, VML_ACCESS_WRITE, 1, &w, &f));
        assert_int_equal(big[i].level, w.leaf_level);
        assert_int_equal(big[i].size, tlb_val_size(w.val));
        pa = (w.val & ~(uint64_t)TLB_FLAGS & ~(size - 1)) | (big[i].va & (size - 1));
        assert_int_equal(big[i].frame | (big[i].va & (size - 1)), pa);
        assert_true(w.val & TLB_G);
        assert_true(w.val & TLB_D);
        assert_int_equal(PG_A | PG_D, hw_rd(&r->hw, epa[big[i].level]) & (PG_A | PG_D));
        for (unsigned l = r->hw.pm->levels; l > big[i].level; l--)
            assert_int_equal(r->hw.pm->id == VML_PAGING_PAE && l == 3 ? 0 : PG_A,
                             hw_rd(&r->hw, epa[l]) & (PG_A | PG_D));
        /* The translate path caches it in the large-page array. */
        vml_pa tpa = 0;
        int walked;
        assert_int_equal(0, mmu_translate(r->hw.pm, &r->hw.ph, &r->c, big[i].va + 8,
                                          VML_ACCESS_READ, 1, &tpa, &f, &walked, &w, 0));
        assert_int_equal(pa + 8, tpa);
        assert_int_equal(1, r->c.tlb.l1_large.n_size[big[i].size]);
        assert_check_ok(r);
        mode_rig_down(NULL);
    }
}

/* ---- the check ------------------------------------------------------------------------------ */

static int translate(struct hw_cpu_rig *r, vml_va va, unsigned access, vml_pa *pa)
{
    struct mmu_fault f;
    struct mmu_walk w;
    int walked;

    return mmu_translate(r->hw.pm, &r->hw.ph, &r->c, va, access, 1, pa, &f, &walked, &w, 0);
}

static void mmu_check_accepts_stale_entries(void **state)
{
    struct hw_cpu_rig *r = mode_rig_up(VML_PAGING_4LEVEL);
    vml_pa epa[6], pa;

    (void)state;
    hw_map(&r->hw, 0x10000, 1, (UINT64_C(0x30) << 12) | PG_P | PG_RW | PG_US, epa);
    hw_map(&r->hw, 0x11000, 1, (UINT64_C(0x31) << 12) | PG_P | PG_RW | PG_US, epa);
    assert_int_equal(0, translate(r, 0x10000, VML_ACCESS_WRITE, &pa));
    assert_int_equal(0, translate(r, 0x11000, VML_ACCESS_READ, &pa));
    assert_check_ok(r);
    /* The OS edits PTEs and invalidates nothing: legal, if unwise. */
    hw_wr(&r->hw, epa[1] - 8, (UINT64_C(0x32) << 12) | PG_P | PG_US);     /* 0x10000: new frame */
    hw_wr(&r->hw, epa[1], 0);                                              /* 0x11000: gone */
    hw_wr(&r->hw, epa[2], hw_rd(&r->hw, epa[2]) & ~(PG_A | PG_RW));                /* the PDE too */
    assert_check_ok(r);
    /* Clearing D without invalidating leaves a dirty entry on a clean PTE. */
    hw_wr(&r->hw, epa[2], hw_rd(&r->hw, epa[2]) | PG_RW);
    hw_wr(&r->hw, epa[1] - 8, (UINT64_C(0x30) << 12) | PG_P | PG_RW | PG_US | PG_A);
    assert_check_ok(r);
}

static void mmu_check_catches_an_entry_its_unchanged_tables_contradict(void **state)
{
    struct hw_cpu_rig *r = mode_rig_up(VML_PAGING_4LEVEL);
    vml_pa epa[6], pa;

    (void)state;
    if (!TLB_SIGS)
        skip();
    hw_map(&r->hw, 0x10000, 1, (UINT64_C(0x30) << 12) | PG_P | PG_US, epa);      /* read-only */
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
    struct hw_cpu_rig *r = mode_rig_up(VML_PAGING_4LEVEL);

    (void)state;
    tlb_fill(&r->c.tlb, UINT64_C(0x400000), 0,
             UINT64_C(0x400000) | TLB_W | ((uint64_t)TLB_4M << TLB_SZ_SHIFT));
    assert_check_says(r, "MMU5");
    mode_rig_down(NULL);
    r = mode_rig_up(VML_PAGING_PAE);
    tlb_fill(&r->c.tlb, UINT64_C(0x40000000), 0,
             UINT64_C(0x40000000) | TLB_W | ((uint64_t)TLB_1G << TLB_SZ_SHIFT));
    assert_check_says(r, "MMU5");
}

static void mmu_check_reports_a_walk_that_broke_an_invariant(void **state)
{
    struct hw_cpu_rig *r = mode_rig_up(VML_PAGING_4LEVEL);

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
        cmocka_unit_test_teardown(a_walk_sets_only_the_a_bits_that_are_missing, mode_rig_down),
        cmocka_unit_test(a_walk_that_faults_writes_nothing_in_any_mode),
        cmocka_unit_test(large_pages_map_at_every_level_that_allows_them),
        cmocka_unit_test_teardown(mmu_check_accepts_stale_entries, mode_rig_down),
        cmocka_unit_test_teardown(mmu_check_catches_an_entry_its_unchanged_tables_contradict,
                                  mode_rig_down),
        cmocka_unit_test_teardown(mmu_check_catches_a_page_size_the_mode_has_not, mode_rig_down),
        cmocka_unit_test_teardown(mmu_check_reports_a_walk_that_broke_an_invariant, mode_rig_down),
        cmocka_unit_test(pg_check_accepts_every_mode_and_names_a_broken_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
