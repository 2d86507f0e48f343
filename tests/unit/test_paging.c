/*
** test_paging.c -- the paging modes (hw/paging.c's table, Intel SDM Vol.
** 3A, 4.1-4.5) seen through the walker on page tables built by hand:
** large pages of every size, 32-bit paging's 4-byte entries and missing
** NX, PAE's PDPTEs, the fifth level; the names and canonical ranges of
** the modes.
*/
#define TESTUTIL_HW
#include "testutil.h"

/* ---- the table of modes ------------------------------------------------------------------- */

static void every_mode_has_a_name_that_parses_back(void **state)
{
    static const char *const names[VML_N_PAGING] = {
        [VML_PAGING_4LEVEL] = "4level", [VML_PAGING_5LEVEL] = "5level",
        [VML_PAGING_PAE] = "pae", [VML_PAGING_LEGACY] = "legacy",
    };
    vml_paging mode;

    (void)state;
    for (unsigned i = 0; i < VML_N_PAGING; i++) {
        assert_string_equal(names[i], vml_paging_name((vml_paging)i));
        assert_int_equal(VML_OK, vml_paging_parse(names[i], &mode));
        assert_int_equal(i, mode);
    }
    assert_string_equal("?", vml_paging_name(VML_N_PAGING));
    assert_int_not_equal(VML_OK, vml_paging_parse("3level", &mode));
}

/* SDM 4.1.1: levels, entry size and linear-address width of each mode. */
static void each_mode_has_its_levels_entry_size_and_width(void **state)
{
    (void)state;
    assert_int_equal(4, pg_modes[VML_PAGING_4LEVEL].levels);
    assert_int_equal(8, pg_modes[VML_PAGING_4LEVEL].entry_size);
    assert_int_equal(48, pg_modes[VML_PAGING_4LEVEL].va_bits);
    assert_int_equal(5, pg_modes[VML_PAGING_5LEVEL].levels);
    assert_int_equal(57, pg_modes[VML_PAGING_5LEVEL].va_bits);
    assert_int_equal(3, pg_modes[VML_PAGING_PAE].levels);
    assert_int_equal(8, pg_modes[VML_PAGING_PAE].entry_size);
    assert_int_equal(2, pg_modes[VML_PAGING_LEGACY].levels);
    assert_int_equal(4, pg_modes[VML_PAGING_LEGACY].entry_size);
    assert_int_equal(32, pg_modes[VML_PAGING_LEGACY].va_bits);
    /* Canonical: bits 63..47 equal in 4-level paging. */
    assert_true(pg_canonical(&pg_modes[VML_PAGING_4LEVEL], UINT64_C(0x00007FFFFFFFFFFF)));
    assert_true(pg_canonical(&pg_modes[VML_PAGING_4LEVEL], UINT64_C(0xFFFF800000000000)));
    assert_false(pg_canonical(&pg_modes[VML_PAGING_4LEVEL], UINT64_C(0x0000800000000000)));
}

/* ---- large pages and the 32-bit formats ---------------------------------------------------- */

static void walk_4level_maps_a_2m_page_from_a_pde_with_ps(void **state)
{
    struct hw_rig r;
    struct mmu_walk w;
    struct mmu_fault f;
    vml_pa epa[6];
    const vml_va va = UINT64_C(0x00007F0000312345);   /* offset 0x112345 in its 2 MiB page */

    (void)state;
    hw_rig_init(&r, VML_PAGING_4LEVEL);
    /* Bit 12 of a large-page entry is PAT, not part of the frame. */
    hw_map(&r, va, 2, UINT64_C(0x200000) | (UINT64_C(1) << 12) | PG_PS | PG_P | PG_RW | PG_US, epa);
    assert_int_equal(0, hw_walk(&r, va, VML_ACCESS_WRITE, 1, &w, &f));
    assert_int_equal(2, w.leaf_level);
    assert_int_equal(TLB_2M, tlb_val_size(w.val));
    assert_int_equal(UINT64_C(0x200000) | (va & 0x1FFFFF), walk_pa(&w, va));
    assert_true(hw_rd(&r, epa[2]) & PG_A);
    assert_true(hw_rd(&r, epa[2]) & PG_D);        /* the PDE is the leaf */
    assert_false(hw_rd(&r, epa[3]) & PG_D);
    assert_true(hw_rd(&r, epa[4]) & PG_A);
    hw_rig_fini(&r);
}

static void walk_4level_maps_a_1g_page_from_a_pdpte_with_ps(void **state)
{
    struct hw_rig r;
    struct mmu_walk w;
    struct mmu_fault f;
    vml_pa epa[6];
    const vml_va va = UINT64_C(0x0000004012345678);   /* 1 GiB page 0x40000000..., offset 0x12345678 */

    (void)state;
    hw_rig_init(&r, VML_PAGING_4LEVEL);
    hw_map(&r, va, 3, UINT64_C(0xC0000000) | PG_PS | PG_P | PG_RW | PG_US, epa);
    assert_int_equal(0, hw_walk(&r, va, VML_ACCESS_READ, 1, &w, &f));
    assert_int_equal(3, w.leaf_level);
    assert_int_equal(TLB_1G, tlb_val_size(w.val));
    assert_int_equal(UINT64_C(0xC0000000) | (va & 0x3FFFFFFF), walk_pa(&w, va));
    assert_true(hw_rd(&r, epa[3]) & PG_A);
    assert_true(hw_rd(&r, epa[4]) & PG_A);
    hw_rig_fini(&r);
}

static void walk_legacy_maps_a_4m_page_from_a_pde_with_ps(void **state)
{
    struct hw_rig r;
    struct mmu_walk w;
    struct mmu_fault f;
    vml_pa epa[6];
    const vml_va va = 0x4ABCD123;   /* PDE 0x12A, offset 0x3CD123 in the 4 MiB page */

    (void)state;
    hw_rig_init(&r, VML_PAGING_LEGACY);
    /* Bits 21-13 of a 4 MiB PDE are PSE-36 address bits (and bit 12 PAT):
    ** not part of the low 4 GiB frame address. */
    hw_map(&r, va, 2, UINT64_C(0x00C00000) | (UINT64_C(1) << 13) | PG_PS | PG_P | PG_RW | PG_US, epa);
    /* The neighbouring 4-byte PDE must survive the A-bit update. */
    hw_wr(&r, epa[2] + 4, 0xDEADB000);
    assert_int_equal(0, hw_walk(&r, va, VML_ACCESS_WRITE, 1, &w, &f));
    assert_int_equal(2, w.leaf_level);
    assert_int_equal(TLB_4M, tlb_val_size(w.val));
    assert_int_equal(UINT64_C(0x00C00000) | (va & 0x3FFFFF), walk_pa(&w, va));
    assert_true(hw_rd(&r, epa[2]) & PG_A);
    assert_true(hw_rd(&r, epa[2]) & PG_D);
    assert_int_equal(0xDEADB000, hw_rd(&r, epa[2] + 4));
    hw_rig_fini(&r);
}

static void walk_legacy_uses_4_byte_entries_and_has_no_nx(void **state)
{
    struct hw_rig r;
    struct mmu_walk w;
    struct mmu_fault f;
    vml_pa epa[6];
    const vml_va va = 0x7FFE1234;

    (void)state;
    hw_rig_init(&r, VML_PAGING_LEGACY);
    hw_map(&r, va, 1, (UINT64_C(0x30) << 12) | PG_P | PG_US, epa);
    assert_int_equal(epa[1] - ((epa[1] >> 12) << 12), (vml_pa)pg_index(r.pm, 1, va) * 4);
    /* 32-bit paging has no execute-disable bit: every readable page can
    ** be executed (SDM 4.3). */
    assert_int_equal(0, hw_walk(&r, va, VML_ACCESS_EXEC, 1, &w, &f));
    assert_true(w.val & TLB_X);
    assert_int_equal((UINT64_C(0x30) << 12) | 0x234, walk_pa(&w, va));
    /* R/W = 0 still denies writes. */
    assert_int_equal(-1, hw_walk(&r, va, VML_ACCESS_WRITE, 1, &w, &f));
    assert_int_equal(PF_P | PF_W | PF_U, f.error_code);
    hw_rig_fini(&r);
}

static void walk_pae_sets_no_a_bit_in_a_pdpte(void **state)
{
    struct hw_rig r;
    struct mmu_walk w;
    struct mmu_fault f;
    vml_pa epa[6];
    const vml_va va = 0xB0123456;   /* PDPTE 2 */

    (void)state;
    hw_rig_init(&r, VML_PAGING_PAE);
    hw_map(&r, va, 1, (UINT64_C(0x30) << 12) | PG_P | PG_RW | PG_US | PG_NX, epa);
    uint64_t pdpte = hw_rd(&r, epa[3]);
    assert_int_equal(0, hw_walk(&r, va, VML_ACCESS_WRITE, 1, &w, &f));
    assert_int_equal((UINT64_C(0x30) << 12) | 0x456, walk_pa(&w, va));
    /* PDPTE bits 5 and 6 are reserved in PAE paging (SDM Table 4-8): the
    ** walk leaves the entry as it was, while PDE and PTE get A. */
    assert_int_equal(pdpte, hw_rd(&r, epa[3]));
    assert_true(hw_rd(&r, epa[2]) & PG_A);
    assert_true(hw_rd(&r, epa[1]) & PG_A);
    assert_true(hw_rd(&r, epa[1]) & PG_D);
    /* ... and the PDPTE's missing RW/US bits restrict nothing. */
    assert_true(w.val & TLB_W);
    assert_true(w.val & TLB_U);
    /* PAE entries carry NX. */
    assert_false(w.val & TLB_X);
    assert_int_equal(-1, hw_walk(&r, va, VML_ACCESS_EXEC, 1, &w, &f));
    assert_int_equal(PF_P | PF_U | PF_I, f.error_code);
    hw_rig_fini(&r);
}

static void walk_pae_maps_a_2m_page(void **state)
{
    struct hw_rig r;
    struct mmu_walk w;
    struct mmu_fault f;
    vml_pa epa[6];
    const vml_va va = 0x40312345;

    (void)state;
    hw_rig_init(&r, VML_PAGING_PAE);
    hw_map(&r, va, 2, UINT64_C(0x800000) | PG_PS | PG_P | PG_RW | PG_US, epa);
    assert_int_equal(0, hw_walk(&r, va, VML_ACCESS_READ, 1, &w, &f));
    assert_int_equal(TLB_2M, tlb_val_size(w.val));
    assert_int_equal(UINT64_C(0x800000) | (va & 0x1FFFFF), walk_pa(&w, va));
    hw_rig_fini(&r);
}

static void walk_5level_goes_through_five_tables(void **state)
{
    struct hw_rig r;
    struct mmu_walk w;
    struct mmu_fault f;
    vml_pa epa[6];
    const vml_va va = UINT64_C(0x00ABCDEF12345678);   /* needs 57 bits */

    (void)state;
    hw_rig_init(&r, VML_PAGING_5LEVEL);
    hw_map(&r, va, 1, (UINT64_C(0x30) << 12) | PG_P | PG_RW | PG_US, epa);
    assert_int_equal(0, hw_walk(&r, va, VML_ACCESS_READ, 1, &w, &f));
    assert_int_equal((UINT64_C(0x30) << 12) | 0x678, walk_pa(&w, va));
    for (unsigned l = 5; l >= 1; l--)
        assert_true(hw_rd(&r, epa[l]) & PG_A);
    /* The same address under 4-level rules would not even be canonical. */
    assert_false(pg_canonical(&pg_modes[VML_PAGING_4LEVEL], va));
    assert_true(pg_canonical(&pg_modes[VML_PAGING_5LEVEL], va));
    hw_rig_fini(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_mode_has_a_name_that_parses_back),
        cmocka_unit_test(each_mode_has_its_levels_entry_size_and_width),
        cmocka_unit_test(walk_4level_maps_a_2m_page_from_a_pde_with_ps),
        cmocka_unit_test(walk_4level_maps_a_1g_page_from_a_pdpte_with_ps),
        cmocka_unit_test(walk_legacy_maps_a_4m_page_from_a_pde_with_ps),
        cmocka_unit_test(walk_legacy_uses_4_byte_entries_and_has_no_nx),
        cmocka_unit_test(walk_pae_sets_no_a_bit_in_a_pdpte),
        cmocka_unit_test(walk_pae_maps_a_2m_page),
        cmocka_unit_test(walk_5level_goes_through_five_tables),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
