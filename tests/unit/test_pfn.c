/*
** test_pfn.c -- the PFN database and its page lists, through the public
** API: every transition of a frame (zeroed -> active -> free -> zeroed,
** free/zeroed -> bad, active -> standby/modified on a trim or a protection
** change), the zero-page worker, and standby priorities.
*/
#include "testutil.h"

#include "mm/pfn.h"   /* only for sizeof(struct pfn_entry) */

/* ---- the PFN database -------------------------------------------------------- */

static void a_pfn_entry_fits_in_32_bytes(void **state)
{
    (void)state;
    /* Windows' MMPFN is 48 bytes on x64; the issue asks for at most 32. */
    assert_true(sizeof(struct pfn_entry) <= 32);
}

static void every_frame_starts_zeroed_or_in_use_by_the_kernel(void **state)
{
    struct rig r;

    (void)state;
    rig_up_paging(&r, UINT64_C(4) << 20, VML_PAGING_4LEVEL);
    uint64_t total = vml_pfn_total(r.m);
    assert_int_equal(1024, total);
    /* The kernel image and its tables, plus the process's PML4, are active;
    ** everything else is on the zeroed list (RAM starts as zero bytes). */
    assert_int_equal(total, vml_list_count(r.m, VML_LIST_ZEROED) +
                            vml_list_count(r.m, VML_LIST_ACTIVE));
    assert_int_equal(sys_stat(r.m, "kernel_pages") + sys_stat(r.m, "pagetable_pages"),
                     vml_list_count(r.m, VML_LIST_ACTIVE));
    assert_int_equal(0, vml_list_count(r.m, VML_LIST_FREE));
    assert_int_equal(0, vml_list_count(r.m, VML_LIST_STANDBY));
    assert_int_equal(0, vml_list_count(r.m, VML_LIST_MODIFIED));
    assert_int_equal(0, vml_list_count(r.m, VML_LIST_BAD));
    rig_down(&r);
}

static void first_touch_moves_a_frame_from_zeroed_to_active(void **state)
{
    struct rig r;
    vml_pfn_info info;
    vml_walk w;

    (void)state;
    rig_up_paging(&r, UINT64_C(4) << 20, VML_PAGING_4LEVEL);
    vml_va va = alloc_prot(r.p, 0x2000, VML_PAGE_READWRITE);
    poke(r.p, va, 1);                     /* builds the tables */
    uint64_t zeroed = vml_list_count(r.m, VML_LIST_ZEROED);
    uint64_t active = vml_list_count(r.m, VML_LIST_ACTIVE);
    vml_pfn next = vml_list_head(r.m, VML_LIST_ZEROED);
    assert_int_equal(VML_PFN_NONE, frame_of(r.p, va + 0x1000));

    poke(r.p, va + 0x1000, 0x5A);
    vml_pfn pfn = frame_of(r.p, va + 0x1000);
    assert_int_equal(next, pfn);         /* the head of the zeroed list */
    assert_int_equal(zeroed - 1, vml_list_count(r.m, VML_LIST_ZEROED));
    assert_int_equal(active + 1, vml_list_count(r.m, VML_LIST_ACTIVE));
    assert_int_equal(VML_OK, vml_pfn_get(r.m, pfn, &info));
    assert_int_equal(VML_LIST_ACTIVE, info.list);
    assert_int_equal(1, info.share_count);
    assert_int_equal(vml_proc_pid(r.p), info.owner_pid);
    assert_false(info.flags & VML_PFN_PAGETABLE);
    /* Its back-pointer is the PTE that maps it. */
    assert_int_equal(VML_OK, vml_walk_va(r.p, va + 0x1000, &w));
    assert_int_equal(w.step[w.n_steps - 1].entry_pa, info.pte_pa);
    /* A demand-zero page: zero apart from what was written. */
    assert_int_equal(0x5A, peek(r.p, va + 0x1000));
    assert_int_equal(0, peek(r.p, va + 0x1FFF));
    assert_int_equal(2, proc_stat(r.p, "demand_zero_faults"));
    rig_down(&r);
}

static void releasing_memory_puts_its_frames_on_the_free_list_unzeroed(void **state)
{
    struct rig r;
    uint8_t b = 0;

    (void)state;
    rig_up_paging(&r, UINT64_C(4) << 20, VML_PAGING_4LEVEL);
    vml_va keep = alloc_prot(r.p, 0x1000, VML_PAGE_READWRITE);
    poke(r.p, keep, 1);                   /* keeps the page tables alive */
    vml_va va = alloc_prot(r.p, 0x1000, VML_PAGE_READWRITE);
    poke(r.p, va, 0xAB);
    vml_pfn pfn = frame_of(r.p, va);
    uint64_t free0 = vml_list_count(r.m, VML_LIST_FREE);

    assert_int_equal(0, vml_win_VirtualFree(r.p, va, 0, VML_MEM_RELEASE));
    assert_int_equal(VML_LIST_FREE, list_of(r.m, pfn));
    assert_int_equal(free0 + 1, vml_list_count(r.m, VML_LIST_FREE));
    /* The free list holds frames whose old contents are still there: that
    ** is why a demand-zero fault must not hand one out unzeroed. */
    assert_int_equal(VML_OK, vml_phys_read(r.m, pfn << 12, &b, 1));
    assert_int_equal(0xAB, b);
    rig_down(&r);
}

static void the_zero_page_worker_moves_free_frames_to_the_zeroed_list(void **state)
{
    struct rig r;
    uint8_t page[4096];

    (void)state;
    rig_up_paging(&r, UINT64_C(4) << 20, VML_PAGING_4LEVEL);
    vml_va keep = alloc_prot(r.p, 0x1000, VML_PAGE_READWRITE);
    poke(r.p, keep, 1);
    vml_va va = alloc_prot(r.p, 0x3000, VML_PAGE_READWRITE);
    poke(r.p, va, 0x11);
    poke(r.p, va + 0x1000, 0x22);
    poke(r.p, va + 0x2000, 0x33);
    vml_pfn pfn = frame_of(r.p, va + 0x1000);
    assert_int_equal(0, vml_win_VirtualFree(r.p, va, 0, VML_MEM_RELEASE));
    assert_int_equal(3, vml_list_count(r.m, VML_LIST_FREE));

    /* A limited run zeroes that many, from the head of the free list. */
    assert_int_equal(1, vml_zero_pages(r.m, 1));
    assert_int_equal(2, vml_list_count(r.m, VML_LIST_FREE));
    assert_int_equal(1, sys_stat(r.m, "pages_zeroed"));
    /* max = 0: all of them. */
    assert_int_equal(2, vml_zero_pages(r.m, 0));
    assert_int_equal(0, vml_list_count(r.m, VML_LIST_FREE));
    assert_int_equal(VML_LIST_ZEROED, list_of(r.m, pfn));
    assert_int_equal(VML_OK, vml_phys_read(r.m, pfn << 12, page, sizeof page));
    for (unsigned i = 0; i < sizeof page; i++)
        assert_int_equal(0, page[i]);
    assert_int_equal(0, vml_zero_pages(r.m, 0));
    rig_down(&r);
}

static void free_and_zeroed_frames_can_be_marked_bad_active_ones_cannot(void **state)
{
    struct rig r;

    (void)state;
    rig_up_paging(&r, UINT64_C(4) << 20, VML_PAGING_4LEVEL);
    vml_va keep = alloc_prot(r.p, 0x1000, VML_PAGE_READWRITE);
    poke(r.p, keep, 1);
    vml_va va = alloc_prot(r.p, 0x1000, VML_PAGE_READWRITE);
    poke(r.p, va, 1);
    vml_pfn used = frame_of(r.p, keep);

    /* zeroed -> bad */
    vml_pfn z = vml_list_head(r.m, VML_LIST_ZEROED);
    assert_int_equal(VML_OK, vml_pfn_mark_bad(r.m, z));
    assert_int_equal(VML_LIST_BAD, list_of(r.m, z));
    /* free -> bad */
    vml_pfn f = frame_of(r.p, va);
    assert_int_equal(0, vml_win_VirtualFree(r.p, va, 0, VML_MEM_RELEASE));
    assert_int_equal(VML_LIST_FREE, list_of(r.m, f));
    assert_int_equal(VML_OK, vml_pfn_mark_bad(r.m, f));
    assert_int_equal(VML_LIST_BAD, list_of(r.m, f));
    assert_int_equal(2, sys_stat(r.m, "bad_pages"));
    /* Again: nothing to do, not an error. */
    assert_int_equal(VML_OK, vml_pfn_mark_bad(r.m, f));
    assert_int_equal(2, sys_stat(r.m, "bad_pages"));

    /* An active frame is refused, and nothing changes. */
    uint64_t active = vml_list_count(r.m, VML_LIST_ACTIVE);
    assert_int_equal(VML_E_INVALID, vml_pfn_mark_bad(r.m, used));
    assert_int_equal(VML_LIST_ACTIVE, list_of(r.m, used));
    assert_int_equal(active, vml_list_count(r.m, VML_LIST_ACTIVE));
    assert_int_equal(1, peek(r.p, keep));
    /* A page table is active too. */
    vml_walk w;
    assert_int_equal(VML_OK, vml_walk_va(r.p, keep, &w));
    assert_int_equal(VML_E_INVALID, vml_pfn_mark_bad(r.m, w.step[3].table_pa >> 12));
    /* Beyond the last frame. */
    assert_int_equal(VML_E_RANGE, vml_pfn_mark_bad(r.m, vml_pfn_total(r.m)));
    assert_int_equal(2, sys_stat(r.m, "bad_pages"));

    /* A bad frame is never handed out again. */
    for (int i = 0; i < 8; i++) {
        vml_va x = alloc_prot(r.p, 0x1000, VML_PAGE_READWRITE);
        poke(r.p, x, 1);
        assert_int_not_equal(z, frame_of(r.p, x));
        assert_int_not_equal(f, frame_of(r.p, x));
    }
    /* Nor zeroed and put back by the zero-page worker. */
    vml_zero_pages(r.m, 0);
    assert_int_equal(VML_LIST_BAD, list_of(r.m, f));
    rig_down(&r);
}

/* ---- transition pages: standby and modified ---------------------------------- */

static void noaccess_on_a_clean_resident_page_moves_it_to_standby(void **state)
{
    struct rig r;
    vml_pfn_info info;
    vml_pte_info pi;
    uint64_t pte;

    (void)state;
    rig_up_paging(&r, UINT64_C(4) << 20, VML_PAGING_4LEVEL);
    vml_va va = alloc_prot(r.p, 0x1000, VML_PAGE_READWRITE);
    assert_int_equal(0, peek(r.p, va));           /* resident, clean */
    vml_pfn pfn = frame_of(r.p, va);
    assert_int_equal(VML_PAGE_READWRITE, protect(r.p, va, 0x1000, VML_PAGE_NOACCESS));
    assert_int_equal(VML_OK, vml_pfn_get(r.m, pfn, &info));
    assert_int_equal(VML_LIST_STANDBY, info.list);
    assert_false(info.flags & VML_PFN_MODIFIED);
    assert_int_equal(1, sys_stat(r.m, "standby_pages"));
    assert_int_equal(0, proc_stat(r.p, "working_set"));
    /* The PTE is a transition PTE naming the frame. */
    assert_int_equal(VML_OK, vml_pte_get(r.p, va, &pte));
    vml_pte_decode(r.m, pte, 1, &pi);
    assert_int_equal(VML_PTE_TRANSITION, pi.kind);
    assert_int_equal(pfn, pi.pfn);
    assert_int_equal(VML_PAGE_NOACCESS, pi.protect);
    assert_int_equal(info.pte_pa != 0, 1);
    rig_down(&r);
}

static void noaccess_on_a_dirty_resident_page_moves_it_to_modified(void **state)
{
    struct rig r;
    vml_pfn_info info;

    (void)state;
    rig_up_paging(&r, UINT64_C(4) << 20, VML_PAGING_4LEVEL);
    vml_va va = alloc_prot(r.p, 0x1000, VML_PAGE_READWRITE);
    poke(r.p, va, 0x42);                          /* resident, dirty */
    vml_pfn pfn = frame_of(r.p, va);
    protect(r.p, va, 0x1000, VML_PAGE_NOACCESS);
    assert_int_equal(VML_OK, vml_pfn_get(r.m, pfn, &info));
    assert_int_equal(VML_LIST_MODIFIED, info.list);
    assert_true(info.flags & VML_PFN_MODIFIED);
    assert_int_equal(1, sys_stat(r.m, "modified_pages"));
    /* A guard is a way to make a page inaccessible too. */
    vml_va g = alloc_prot(r.p, 0x1000, VML_PAGE_READWRITE);
    assert_int_equal(0, peek(r.p, g));
    vml_pfn gp = frame_of(r.p, g);
    protect(r.p, g, 0x1000, VML_PAGE_READWRITE | VML_PAGE_GUARD);
    assert_int_equal(VML_LIST_STANDBY, list_of(r.m, gp));
    rig_down(&r);
}

static void freeing_a_transition_page_frees_its_frame(void **state)
{
    struct rig r;

    (void)state;
    rig_up_paging(&r, UINT64_C(4) << 20, VML_PAGING_4LEVEL);
    vml_va keep = alloc_prot(r.p, 0x1000, VML_PAGE_READWRITE);
    poke(r.p, keep, 1);
    vml_va a = alloc_prot(r.p, 0x2000, VML_PAGE_READWRITE);
    poke(r.p, a, 1);
    poke(r.p, a + 0x1000, 1);
    vml_pfn f0 = frame_of(r.p, a), f1 = frame_of(r.p, a + 0x1000);
    protect(r.p, a, 0x2000, VML_PAGE_NOACCESS);
    assert_int_equal(2, sys_stat(r.m, "modified_pages"));
    /* Decommit one: modified -> free. */
    assert_int_equal(0, vml_win_VirtualFree(r.p, a, 0x1000, VML_MEM_DECOMMIT));
    assert_int_equal(VML_LIST_FREE, list_of(r.m, f0));
    /* Release the region: the other one too. */
    assert_int_equal(0, vml_win_VirtualFree(r.p, a, 0, VML_MEM_RELEASE));
    assert_int_equal(VML_LIST_FREE, list_of(r.m, f1));
    assert_int_equal(0, sys_stat(r.m, "modified_pages"));
    rig_down(&r);
}

/* ---- trimming, zeroing on a tick, priorities --------------------------------- */

static void trimmed_clean_page_goes_to_standby_dirty_to_modified(void **state)
{
    struct rig r;
    (void)state;
    rig_up(&r, MB(16), MB(16));
    vml_va va = alloc(r.p, 2 * PAGE);
    read_byte(r.p, va);                 /* demand-zero: zeroed -> active, clean */
    write_byte(r.p, va + PAGE, 7);      /* dirty */
    assert_int_equal(2 * PAGE, proc_stat(r.p, "working_set"));
    uint64_t standby = sys_stat(r.m, "standby_pages"), modified = sys_stat(r.m, "modified_pages");

    empty_working_set(r.p);
    assert_int_equal(0, proc_stat(r.p, "working_set"));
    assert_int_equal(2, proc_stat(r.p, "pages_trimmed"));
    assert_int_equal(standby + 1, sys_stat(r.m, "standby_pages"));
    assert_int_equal(modified + 1, sys_stat(r.m, "modified_pages"));
    assert_int_equal(1, sys_stat(r.m, "writebacks"));   /* one dirty page evicted */
    vml_pte_info a = pte_at(r.p, va), b = pte_at(r.p, va + PAGE);
    assert_int_equal(VML_PTE_TRANSITION, a.kind);
    assert_int_equal(VML_PTE_TRANSITION, b.kind);
    vml_pfn_info fa, fb;
    assert_int_equal(VML_OK, vml_pfn_get(r.m, a.pfn, &fa));
    assert_int_equal(VML_OK, vml_pfn_get(r.m, b.pfn, &fb));
    assert_int_equal(VML_LIST_STANDBY, fa.list);
    assert_int_equal(VML_LIST_MODIFIED, fb.list);
    assert_int_equal(5, fa.priority);   /* MEMORY_PRIORITY_NORMAL */
    vml_machine_destroy(r.m);
}

static void zero_page_worker_zeroes_free_pages_on_tick(void **state)
{
    struct rig r;
    (void)state;
    rig_up(&r, MB(16), 0);
    vml_va va = alloc(r.p, 8 * PAGE);
    for (unsigned i = 0; i < 8; i++)
        write_byte(r.p, va + i * PAGE, 1);
    assert_int_equal(0, vml_win_VirtualFree(r.p, va, 0, VML_MEM_RELEASE));
    assert_true(sys_stat(r.m, "free_pages") >= 8);
    assert_int_equal(VML_OK, vml_tick(r.m, 1));
    assert_int_equal(0, sys_stat(r.m, "free_pages"));
    assert_true(sys_stat(r.m, "pages_zeroed") >= 8);
    vml_machine_destroy(r.m);
}

static void standby_pages_of_low_priority_are_repurposed_first(void **state)
{
    vml_proc *lo, *hi;
    (void)state;
    vml_machine *m = new_machine(MB(16), 0, VML_POLICY_WS);
    assert_int_equal(VML_OK, vml_proc_create(m, "LOW", &lo));
    assert_int_equal(VML_OK, vml_proc_create(m, "HIGH", &hi));
    assert_int_equal(VML_OK, vml_proc_set_memory_priority(lo, 1));
    assert_int_equal(VML_E_RANGE, vml_proc_set_memory_priority(lo, 8));
    vml_va a = alloc(hi, 4 * PAGE), b = alloc(lo, 4 * PAGE);
    for (unsigned i = 0; i < 4; i++) {
        read_byte(hi, a + i * PAGE);    /* the high-priority pages trim first */
        read_byte(lo, b + i * PAGE);
    }
    empty_working_set(hi);
    empty_working_set(lo);
    assert_int_equal(4, vml_standby_count(m, 1));
    assert_int_equal(4, vml_standby_count(m, 5));
    vml_pfn_info info;
    assert_int_equal(VML_OK, vml_pfn_get(m, vml_list_head(m, VML_LIST_STANDBY), &info));
    assert_int_equal(vml_proc_pid(lo), info.owner_pid);
    assert_int_equal(1, info.priority);
    vml_machine_destroy(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_pfn_entry_fits_in_32_bytes),
        cmocka_unit_test(every_frame_starts_zeroed_or_in_use_by_the_kernel),
        cmocka_unit_test(first_touch_moves_a_frame_from_zeroed_to_active),
        cmocka_unit_test(releasing_memory_puts_its_frames_on_the_free_list_unzeroed),
        cmocka_unit_test(the_zero_page_worker_moves_free_frames_to_the_zeroed_list),
        cmocka_unit_test(free_and_zeroed_frames_can_be_marked_bad_active_ones_cannot),
        cmocka_unit_test(noaccess_on_a_clean_resident_page_moves_it_to_standby),
        cmocka_unit_test(noaccess_on_a_dirty_resident_page_moves_it_to_modified),
        cmocka_unit_test(freeing_a_transition_page_frees_its_frame),
        cmocka_unit_test(trimmed_clean_page_goes_to_standby_dirty_to_modified),
        cmocka_unit_test(zero_page_worker_zeroes_free_pages_on_tick),
        cmocka_unit_test(standby_pages_of_low_priority_are_repurposed_first),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
