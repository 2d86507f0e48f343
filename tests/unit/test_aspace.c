/*
** test_aspace.c -- address spaces, through the public API: page tables
** are active frames flagged with their level and counted per process, in
** every paging mode, and go back to the free list with the last page they
** map.
*/
#include "testutil.h"

/* ---- page tables are frames -------------------------------------------------- */

static void page_tables_are_active_frames_flagged_with_their_level(void **state)
{
    struct rig r;
    vml_walk w;
    vml_pfn_info info;

    (void)state;
    rig_up_paging(&r, UINT64_C(4) << 20, VML_PAGING_4LEVEL);
    vml_va va = alloc_prot(r.p, 0x1000, VML_PAGE_READWRITE);
    poke(r.p, va, 1);
    assert_int_equal(VML_OK, vml_walk_va(r.p, va, &w));
    assert_int_equal(4, w.n_steps);
    for (unsigned i = 0; i < w.n_steps; i++) {
        assert_int_equal(VML_OK, vml_pfn_get(r.m, w.step[i].table_pa >> 12, &info));
        assert_int_equal(VML_LIST_ACTIVE, info.list);
        assert_true(info.flags & VML_PFN_PAGETABLE);
        assert_int_equal(w.step[i].level, info.pt_level);
        /* share_count of a table: its non-zero entries (A1). */
        assert_true(info.share_count >= 1);
    }
    assert_int_equal(4, proc_stat(r.p, "pagetable_pages"));
    rig_down(&r);
}

static void every_paging_mode_accounts_its_tables(void **state)
{
    static const struct { vml_paging mode; unsigned tables; } modes[] = {
        { VML_PAGING_4LEVEL, 4 }, { VML_PAGING_5LEVEL, 5 },
        { VML_PAGING_PAE, 3 },    { VML_PAGING_LEGACY, 2 },
    };

    (void)state;
    for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++) {
        struct rig r;
        rig_up_paging(&r, UINT64_C(4) << 20, modes[i].mode);
        vml_va va = alloc_prot(r.p, 0x1000, VML_PAGE_READWRITE);
        poke(r.p, va, 9);
        assert_int_equal(modes[i].tables, proc_stat(r.p, "pagetable_pages"));
        assert_int_equal(sys_stat(r.m, "kernel_pages") + sys_stat(r.m, "pagetable_pages") + 1,
                         vml_list_count(r.m, VML_LIST_ACTIVE));
        assert_int_equal(0, vml_win_VirtualFree(r.p, va, 0, VML_MEM_RELEASE));
        assert_int_equal(1, proc_stat(r.p, "pagetable_pages"));
        rig_down(&r);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(page_tables_are_active_frames_flagged_with_their_level),
        cmocka_unit_test(every_paging_mode_accounts_its_tables),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
