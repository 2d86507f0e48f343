/*
** test_mmu.c -- the page walker and the translate path (hw/mmu.c) on page
** tables built by hand in a small struct phys (testutil.h's hw_rig): the
** Accessed and Dirty bits, permissions combined over all levels (Intel SDM
** Vol. 3A, 4.6), faults at each level, side-effect-free inspection, and the
** TLB in front of the walker (stale entries included).
*/
#define TESTUTIL_HW
#include "testutil.h"

/* The page most tests walk: frame 0x30, present, writable, user. */
#define USER_PTE ((UINT64_C(0x30) << 12) | PG_P | PG_RW | PG_US)

/* A 4-level rig with va mapped by USER_PTE; the entry at link_level (none
** when 0) that leads to it is link instead of the rig's default. */
static void user_page_rig(struct hw_rig *r, vml_va va, unsigned link_level, uint64_t link,
                          vml_pa epa[6])
{
    hw_rig_init(r, VML_PAGING_4LEVEL);
    if (link_level)
        r->link[link_level] = link;
    hw_map(r, va, 1, USER_PTE, epa);
}

/* ---- A and D bits ------------------------------------------------------------------------- */

static void walk_4level_translates_a_4k_page_and_sets_a_on_every_level(void **state)
{
    struct hw_rig r;
    struct mmu_walk w;
    struct mmu_fault f;
    vml_pa epa[6];
    const vml_va va = UINT64_C(0x00007F1234567ABC);

    (void)state;
    user_page_rig(&r, va, 0, 0, epa);
    assert_int_equal(0, hw_walk(&r, va, VML_ACCESS_READ, 1, &w, &f));
    assert_int_equal((UINT64_C(0x30) << 12) | 0xABC, walk_pa(&w, va));
    assert_int_equal(1, w.leaf_level);
    assert_int_equal(epa[1], w.leaf_pa);
    assert_int_equal(TLB_4K, tlb_val_size(w.val));
    assert_int_equal(TLB_W | TLB_U | TLB_X, w.val & (TLB_W | TLB_U | TLB_X | TLB_D | TLB_G));
    /* SDM 4.8: A is set in every paging-structure entry used; a read
    ** sets no D anywhere. */
    for (unsigned l = 4; l >= 1; l--) {
        assert_true(hw_rd(&r, epa[l]) & PG_A);
        assert_false(hw_rd(&r, epa[l]) & PG_D);
    }
    hw_rig_fini(&r);
}

static void walk_sets_d_only_in_the_leaf_and_only_on_a_write(void **state)
{
    struct hw_rig r;
    struct mmu_walk w;
    struct mmu_fault f;
    vml_pa epa[6];
    const vml_va va = UINT64_C(0x10000);

    (void)state;
    user_page_rig(&r, va, 0, 0, epa);
    assert_int_equal(0, hw_walk(&r, va, VML_ACCESS_READ, 1, &w, &f));
    assert_false(hw_rd(&r, epa[1]) & PG_D);
    assert_false(w.val & TLB_D);
    assert_int_equal(0, hw_walk(&r, va, VML_ACCESS_WRITE, 1, &w, &f));
    assert_true(hw_rd(&r, epa[1]) & PG_D);
    assert_true(w.val & TLB_D);
    for (unsigned l = 4; l >= 2; l--)
        assert_false(hw_rd(&r, epa[l]) & PG_D);
    assert_int_equal(hw_rd(&r, epa[1]), w.leaf);
    hw_rig_fini(&r);
}

/* ---- permissions combine over all levels (SDM 4.6) ---------------------------------------- */

static void rw_clear_in_a_pde_denies_writes_below_it(void **state)
{
    struct hw_rig r;
    struct mmu_walk w;
    struct mmu_fault f;
    vml_pa epa[6];
    const vml_va va = UINT64_C(0x10000);

    (void)state;
    /* the PDE: read-only */
    user_page_rig(&r, va, 2, PG_P | PG_US, epa);
    assert_int_equal(-1, hw_walk(&r, va, VML_ACCESS_WRITE, 1, &w, &f));
    assert_int_equal(PF_P | PF_W | PF_U, f.error_code);
    assert_int_equal(0, f.level);
    assert_int_equal(va, f.va);
    /* MMU2: a walk that faults writes nothing -- no A bit anywhere. */
    for (unsigned l = 4; l >= 1; l--)
        assert_false(hw_rd(&r, epa[l]) & PG_A);
    /* CR0.WP = 1: the supervisor cannot write either. */
    assert_int_equal(-1, hw_walk(&r, va, VML_ACCESS_WRITE, 0, &w, &f));
    assert_int_equal(PF_P | PF_W, f.error_code);
    /* Reads are fine, and the cached rights say read-only. */
    assert_int_equal(0, hw_walk(&r, va, VML_ACCESS_READ, 1, &w, &f));
    assert_false(w.val & TLB_W);
    hw_rig_fini(&r);
}

static void us_clear_in_the_pml4e_denies_user_access(void **state)
{
    struct hw_rig r;
    struct mmu_walk w;
    struct mmu_fault f;
    vml_pa epa[6];
    const vml_va va = UINT64_C(0x10000);

    (void)state;
    /* the PML4E: supervisor only */
    user_page_rig(&r, va, 4, PG_P | PG_RW, epa);
    assert_int_equal(-1, hw_walk(&r, va, VML_ACCESS_READ, 1, &w, &f));
    assert_int_equal(PF_P | PF_U, f.error_code);
    assert_false(hw_rd(&r, epa[4]) & PG_A);
    /* The kernel may read it; the translation it caches is not user. */
    assert_int_equal(0, hw_walk(&r, va, VML_ACCESS_READ, 0, &w, &f));
    assert_false(w.val & TLB_U);
    assert_true(w.val & TLB_W);
    hw_rig_fini(&r);
}

static void nx_in_any_level_denies_instruction_fetches(void **state)
{
    struct hw_rig r;
    struct mmu_walk w;
    struct mmu_fault f;
    vml_pa epa[6];
    const vml_va va = UINT64_C(0x10000);

    (void)state;
    /* NX in the PDPTE only */
    user_page_rig(&r, va, 3, PG_P | PG_RW | PG_US | PG_NX, epa);
    assert_int_equal(-1, hw_walk(&r, va, VML_ACCESS_EXEC, 1, &w, &f));
    assert_int_equal(PF_P | PF_U | PF_I, f.error_code);
    assert_int_equal(0, hw_walk(&r, va, VML_ACCESS_READ, 1, &w, &f));
    assert_false(w.val & TLB_X);
    hw_rig_fini(&r);
}

static void a_missing_entry_faults_at_its_level(void **state)
{
    struct hw_rig r;
    struct mmu_walk w;
    struct mmu_fault f;
    vml_pa epa[6];
    const vml_va va = UINT64_C(0x10000), other = UINT64_C(0x40000000);

    (void)state;
    /* Same PML4E, a PDPTE that is not present. */
    user_page_rig(&r, va, 0, 0, epa);
    assert_int_equal(-1, hw_walk(&r, other, VML_ACCESS_WRITE, 1, &w, &f));
    assert_int_equal(3, f.level);
    assert_int_equal(PF_W | PF_U, f.error_code);             /* P = 0: not present */
    assert_int_equal(hw_entry_pa(&r, pg_frame(r.pm, hw_rd(&r, epa[4])), 3, other), f.entry_pa);
    assert_false(hw_rd(&r, epa[4]) & PG_A);                     /* MMU2 */
    /* A PTE that is not present: level 1, and its content is reported. */
    hw_wr(&r, epa[1], 0x80);                                    /* a software PTE */
    assert_int_equal(-1, hw_walk(&r, va, VML_ACCESS_READ, 1, &w, &f));
    assert_int_equal(1, f.level);
    assert_int_equal(epa[1], f.entry_pa);
    assert_int_equal(0x80, f.entry);
    /* An empty PML4: level 4. */
    assert_int_equal(-1, hw_walk(&r, UINT64_C(0x00007F0000000000), VML_ACCESS_READ, 1, &w, &f));
    assert_int_equal(4, f.level);
    hw_rig_fini(&r);
}

static void inspect_walks_without_side_effects(void **state)
{
    struct hw_rig r;
    vml_walk out;
    vml_pa epa[6];
    const vml_va va = UINT64_C(0x12345678);

    (void)state;
    user_page_rig(&r, va, 0, 0, epa);
    mmu_inspect(r.pm, &r.ph, r.cr3, va, &out);
    assert_int_equal(1, out.present);
    assert_int_equal(4, out.n_steps);
    assert_int_equal((UINT64_C(0x30) << 12) | 0x678, out.pa);
    assert_int_equal(4096, out.page_size);
    assert_int_equal(epa[1], out.step[3].entry_pa);
    assert_string_equal("PTE", out.step[3].name);
    for (unsigned l = 4; l >= 1; l--)
        assert_false(hw_rd(&r, epa[l]) & PG_A);
    hw_rig_fini(&r);
}

/* ---- the TLB in front of the walker --------------------------------------------------------- */

static int translate(struct hw_cpu_rig *cr, vml_va va, unsigned access, vml_pa *pa)
{
    struct mmu_fault f;
    struct mmu_walk w;
    int walked;

    return mmu_translate(cr->hw.pm, &cr->hw.ph, &cr->c, va, access, 1, pa, &f, &walked, &w, 0);
}

static void translate_walks_once_then_hits(void **state)
{
    struct hw_cpu_rig cr;
    vml_pa epa[6], pa = 0;

    (void)state;
    hw_cpu_rig_init(&cr, VML_PAGING_4LEVEL);
    hw_map(&cr.hw, 0x10000, 1, USER_PTE, epa);
    assert_int_equal(0, translate(&cr, 0x10123, VML_ACCESS_READ, &pa));
    assert_int_equal(0x30123, pa);
    assert_int_equal(0, translate(&cr, 0x10FFF, VML_ACCESS_READ, &pa));
    assert_int_equal(0x30FFF, pa);
    assert_int_equal(1, cr.c.st.tlb_misses);
    assert_int_equal(1, cr.c.st.page_walks);
    assert_int_equal(1, cr.c.st.tlb_hits);
    hw_cpu_rig_fini(&cr);
}

static void a_write_through_a_clean_entry_walks_again_and_sets_d(void **state)
{
    struct hw_cpu_rig cr;
    vml_pa epa[6], pa = 0;

    (void)state;
    hw_cpu_rig_init(&cr, VML_PAGING_4LEVEL);
    hw_map(&cr.hw, 0x10000, 1, USER_PTE, epa);
    assert_int_equal(0, translate(&cr, 0x10000, VML_ACCESS_READ, &pa));   /* cached clean */
    assert_false(hw_rd(&cr.hw, epa[1]) & PG_D);
    /* MMU3: the D bit must reach memory, so the write walks. */
    assert_int_equal(0, translate(&cr, 0x10000, VML_ACCESS_WRITE, &pa));
    assert_int_equal(2, cr.c.st.page_walks);
    assert_true(hw_rd(&cr.hw, epa[1]) & PG_D);
    /* Now cached dirty: the next write hits. */
    assert_int_equal(0, translate(&cr, 0x10000, VML_ACCESS_WRITE, &pa));
    assert_int_equal(2, cr.c.st.page_walks);
    assert_int_equal(1, cr.c.st.tlb_hits);
    assert_tlb_ok(&cr.c.tlb);
    hw_cpu_rig_fini(&cr);
}

static void a_stale_entry_is_used_until_invlpg(void **state)
{
    struct hw_cpu_rig cr;
    vml_pa epa[6], pa = 0;

    (void)state;
    hw_cpu_rig_init(&cr, VML_PAGING_4LEVEL);
    hw_map(&cr.hw, 0x10000, 1, USER_PTE, epa);
    assert_int_equal(0, translate(&cr, 0x10000, VML_ACCESS_WRITE, &pa));
    /* The OS clears R/W in memory and forgets to invalidate. */
    hw_wr(&cr.hw, epa[1], hw_rd(&cr.hw, epa[1]) & ~PG_RW);
    assert_int_equal(0, translate(&cr, 0x10000, VML_ACCESS_WRITE, &pa));
    assert_int_equal(1, cr.c.st.tlb_hits);
    tlb_invlpg(&cr.c.tlb, 0x10000, 0);
    assert_int_equal(-1, translate(&cr, 0x10000, VML_ACCESS_WRITE, &pa));
    /* A failed walk caches nothing. */
    assert_null(tlb_lookup_4k(&cr.c.tlb, 0x10, 0));
    hw_cpu_rig_fini(&cr);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(walk_4level_translates_a_4k_page_and_sets_a_on_every_level),
        cmocka_unit_test(walk_sets_d_only_in_the_leaf_and_only_on_a_write),
        cmocka_unit_test(rw_clear_in_a_pde_denies_writes_below_it),
        cmocka_unit_test(us_clear_in_the_pml4e_denies_user_access),
        cmocka_unit_test(nx_in_any_level_denies_instruction_fetches),
        cmocka_unit_test(a_missing_entry_faults_at_its_level),
        cmocka_unit_test(inspect_walks_without_side_effects),
        cmocka_unit_test(translate_walks_once_then_hits),
        cmocka_unit_test(a_write_through_a_clean_entry_walks_again_and_sets_d),
        cmocka_unit_test(a_stale_entry_is_used_until_invlpg),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
