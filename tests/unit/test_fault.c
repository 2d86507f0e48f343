/*
** test_fault.c -- the page-fault handler's decisions, through the public
** API: demand-zero fills (from a dirty free frame too), soft faults from
** the standby and modified lists, hard faults from the pagefile, a fault
** with no frame or no host memory left, and the exception record of each
** access-violation reason (Windows' EXCEPTION_RECORD, Linux's siginfo).
*/
#include "testutil.h"

/* ---- demand-zero and soft faults --------------------------------------------- */

static void a_demand_zero_fault_zeroes_a_frame_from_the_free_list(void **state)
{
    struct rig r;

    (void)state;
    rig_up_paging(&r, UINT64_C(4) << 20, VML_PAGING_4LEVEL);
    vml_va keep = alloc_prot(r.p, 0x1000, VML_PAGE_READWRITE);
    poke(r.p, keep, 1);
    vml_va va = alloc_prot(r.p, 0x1000, VML_PAGE_READWRITE);
    poke(r.p, va + 7, 0x77);
    assert_int_equal(0, vml_win_VirtualFree(r.p, va, 0, VML_MEM_RELEASE));
    /* Empty the zeroed list (mark its frames bad): the next fault must take
    ** the dirty frame from the free list, and zero it first. */
    while (vml_list_count(r.m, VML_LIST_ZEROED))
        assert_int_equal(VML_OK, vml_pfn_mark_bad(r.m, vml_list_head(r.m, VML_LIST_ZEROED)));
    vml_pfn dirty = vml_list_head(r.m, VML_LIST_FREE);
    vml_va again = alloc_prot(r.p, 0x1000, VML_PAGE_READWRITE);
    assert_int_equal(0, peek(r.p, again + 7));
    assert_int_equal(dirty, frame_of(r.p, again));
    rig_down(&r);
}

static void the_next_touch_after_access_returns_is_a_soft_fault_on_the_same_frame(void **state)
{
    struct rig r;

    (void)state;
    rig_up_paging(&r, UINT64_C(4) << 20, VML_PAGING_4LEVEL);
    vml_va dirty = alloc_prot(r.p, 0x1000, VML_PAGE_READWRITE);
    vml_va clean = alloc_prot(r.p, 0x1000, VML_PAGE_READWRITE);
    poke(r.p, dirty, 0x42);
    assert_int_equal(0, peek(r.p, clean));
    vml_pfn fd = frame_of(r.p, dirty), fc = frame_of(r.p, clean);
    protect(r.p, dirty, 0x1000, VML_PAGE_NOACCESS);
    protect(r.p, clean, 0x1000, VML_PAGE_NOACCESS);
    uint64_t dz = proc_stat(r.p, "demand_zero_faults");

    /* Restoring the protection does not bring the page back by itself. */
    assert_int_equal(VML_PAGE_NOACCESS, protect(r.p, dirty, 0x1000, VML_PAGE_READWRITE));
    assert_int_equal(VML_LIST_MODIFIED, list_of(r.m, fd));
    assert_int_equal(0x42, peek(r.p, dirty));     /* soft fault: modified -> active */
    assert_int_equal(fd, frame_of(r.p, dirty));
    assert_int_equal(VML_LIST_ACTIVE, list_of(r.m, fd));
    assert_int_equal(1, proc_stat(r.p, "transition_faults"));

    protect(r.p, clean, 0x1000, VML_PAGE_READONLY);
    assert_int_equal(0, peek(r.p, clean));        /* standby -> active */
    assert_int_equal(fc, frame_of(r.p, clean));
    assert_int_equal(VML_LIST_ACTIVE, list_of(r.m, fc));
    assert_int_equal(2, proc_stat(r.p, "transition_faults"));
    assert_int_equal(dz, proc_stat(r.p, "demand_zero_faults"));
    assert_int_equal(0, sys_stat(r.m, "standby_pages") + sys_stat(r.m, "modified_pages"));
    assert_int_equal(0x2000, proc_stat(r.p, "working_set"));
    /* A page that came back from the modified list is still dirty: made
    ** inaccessible again it returns to the modified list, not standby. */
    protect(r.p, dirty, 0x1000, VML_PAGE_NOACCESS);
    assert_int_equal(VML_LIST_MODIFIED, list_of(r.m, fd));
    rig_down(&r);
}

static void touch_of_a_trimmed_page_is_a_soft_fault(void **state)
{
    struct rig r;
    (void)state;
    rig_up(&r, MB(16), MB(16));
    vml_va va = alloc(r.p, 2 * PAGE);
    read_byte(r.p, va);
    write_byte(r.p, va + PAGE, 0x5A);
    empty_working_set(r.p);
    vml_pfn before = pte_at(r.p, va + PAGE).pfn;

    read_byte(r.p, va);                 /* standby -> active */
    write_byte(r.p, va + PAGE + 1, 1);  /* modified -> active */
    assert_int_equal(2, proc_stat(r.p, "soft_faults"));
    assert_int_equal(0, proc_stat(r.p, "hard_faults"));
    assert_int_equal(0, sys_stat(r.m, "pagefile_reads"));
    assert_int_equal(before, pte_at(r.p, va + PAGE).pfn);   /* the same frame, no copy */
    uint8_t b;
    assert_int_equal(VML_OK, vml_mem_read(r.p, 0, va + PAGE, &b, 1, NULL));
    assert_int_equal(0x5A, b);
    vml_machine_destroy(r.m);
}

/* ---- hard faults ------------------------------------------------------------- */

static void repurposed_page_comes_back_by_a_hard_fault_intact(void **state)
{
    struct rig r;
    (void)state;
    rig_up(&r, MB(2), MB(8));
    const unsigned n = 1024;    /* 4 MiB: twice the machine's memory */
    vml_va va = alloc(r.p, (uint64_t)n * PAGE);
    for (unsigned i = 0; i < n; i++)
        fill_page(r.p, va + (uint64_t)i * PAGE, 1000 + i);
    assert_true(sys_stat(r.m, "pages_repurposed") > 0);
    assert_true(sys_stat(r.m, "pagefile_writes") > 0);
    assert_true(proc_stat(r.p, "pagefile_pages") > 0);
    /* The first page left memory long ago. */
    assert_int_equal(VML_PTE_PAGEFILE, pte_at(r.p, va).kind);
    unsigned bad = 0;
    for (unsigned i = 0; i < n; i++)
        bad += page_diff(r.p, va + (uint64_t)i * PAGE, 1000 + i, 1);
    assert_int_equal(0, bad);
    assert_true(proc_stat(r.p, "hard_faults") > 0);
    assert_int_equal(proc_stat(r.p, "hard_faults"), proc_stat(r.p, "majflt"));
    assert_int_equal(sys_stat(r.m, "hard_faults"), sys_stat(r.m, "pagefile_reads"));
    vml_machine_destroy(r.m);
}

static void never_written_page_returns_to_demand_zero_when_repurposed(void **state)
{
    struct rig r;
    (void)state;
    rig_up(&r, MB(2), MB(8));
    const unsigned n = 1024;
    vml_va va = alloc(r.p, (uint64_t)n * PAGE);
    for (unsigned i = 0; i < n; i++)
        read_byte(r.p, va + (uint64_t)i * PAGE);
    /* Clean zero pages are never written out: they come back zero-filled. */
    assert_true(sys_stat(r.m, "pages_repurposed") > 0);
    assert_int_equal(0, sys_stat(r.m, "pagefile_writes"));
    assert_int_equal(VML_PTE_DEMAND_ZERO, pte_at(r.p, va).kind);
    assert_int_equal(0, page_diff(r.p, va, 0, 0));
    assert_int_equal(0, proc_stat(r.p, "hard_faults"));
    vml_machine_destroy(r.m);
}

/* ---- no frame, no host memory ------------------------------------------------ */

static void a_fault_with_no_frame_left_raises_status_no_memory(void **state)
{
    struct rig r;
    vml_exception ex;
    uint8_t b = 1;

    (void)state;
    rig_up_paging(&r, UINT64_C(4) << 20, VML_PAGING_4LEVEL);
    vml_va va = alloc_prot(r.p, 0x2000, VML_PAGE_READWRITE);
    poke(r.p, va, 1);
    while (vml_list_count(r.m, VML_LIST_ZEROED))
        assert_int_equal(VML_OK, vml_pfn_mark_bad(r.m, vml_list_head(r.m, VML_LIST_ZEROED)));
    uint64_t faults = proc_stat(r.p, "page_faults");
    memset(&ex, 0, sizeof ex);
    assert_int_equal(VML_FAULTED, vml_mem_write(r.p, 0, va + 0x1000, &b, 1, &ex));
    assert_int_equal(VML_AV_NO_MEMORY, ex.reason);
    assert_int_equal(VML_STATUS_NO_MEMORY, ex.ntstatus);
    assert_int_equal(faults, proc_stat(r.p, "page_faults"));
    assert_int_equal(VML_PFN_NONE, frame_of(r.p, va + 0x1000));
    /* The resident page is unaffected. */
    assert_int_equal(1, peek(r.p, va));
    rig_down(&r);
}

static void failed_host_allocation_fails_the_fault_cleanly(void **state)
{
    struct rig r;
    vml_exception ex;
    uint8_t b = 1;
    (void)state;
    rig_up(&r, MB(16), 0);
    vml_va va = alloc(r.p, PAGE);
    uint64_t zeroed = sys_stat(r.m, "zeroed_pages");
    /* The first fault grows the working-set list: that allocation fails. */
    assert_int_equal(VML_OK, vml_inject(r.m, VML_INJECT_HOST_ALLOC, VML_E_NOMEM, 0, 1));
    assert_int_equal(VML_FAULTED, vml_mem_write(r.p, 0, va, &b, 1, &ex));
    assert_int_equal(VML_AV_NO_MEMORY, ex.reason);
    assert_int_equal(VML_STATUS_NO_MEMORY, ex.ntstatus);
    assert_int_equal(0, proc_stat(r.p, "working_set"));
    assert_int_equal(zeroed, sys_stat(r.m, "zeroed_pages"));
    /* the retry works */
    write_byte(r.p, va, 9);
    assert_int_equal(PAGE, proc_stat(r.p, "working_set"));
    assert_int_equal(VML_E_RANGE, vml_inject(r.m, 99, VML_EIO, 0, 1));
    /* The VAD of a VirtualAlloc, the VMA split of an munmap, a process. */
    vml_va va2 = 0, mm = 0;
    size_t vads = vml_vad_count(r.p);
    assert_int_equal(VML_OK, vml_inject(r.m, VML_INJECT_HOST_ALLOC, VML_E_NOMEM, 0, 1));
    assert_int_equal(VML_ERROR_NOT_ENOUGH_MEMORY,
                     vml_win_VirtualAlloc(r.p, 0, PAGE, VML_MEM_RESERVE | VML_MEM_COMMIT,
                                          VML_PAGE_READWRITE, &va2));
    assert_int_equal(vads, vml_vad_count(r.p));
    assert_int_equal(0, vml_posix_mmap(r.p, 0, 4 * PAGE, VML_PROT_READ | VML_PROT_WRITE,
                                       VML_MAP_PRIVATE | VML_MAP_ANONYMOUS, -1, 0, &mm));
    assert_int_equal(VML_OK, vml_inject(r.m, VML_INJECT_HOST_ALLOC, VML_E_NOMEM, 0, 1));
    assert_int_equal(VML_ENOMEM, vml_posix_munmap(r.p, mm + PAGE, PAGE));
    assert_int_equal(0, vml_posix_munmap(r.p, mm + PAGE, PAGE));
    vml_proc *q = NULL;
    assert_int_equal(VML_OK, vml_inject(r.m, VML_INJECT_HOST_ALLOC, VML_E_NOMEM, 0, 1));
    assert_int_equal(VML_E_NOMEM, vml_proc_create(r.m, "B", &q));
    assert_null(vml_proc_find(r.m, "B"));
    assert_int_equal(VML_OK, vml_proc_create(r.m, "B", &q));
    vml_machine_destroy(r.m);
}

/* ---- the exception record of each reason ------------------------------------- */

static void each_access_violation_fills_the_exception_record(void **state)
{
    struct rig *r = *state;
    vml_exception ex;
    uint8_t v;
    uint32_t old;

    vml_va rw = va_mem(r->p, 0, 0x1000, VML_MEM_RESERVE | VML_MEM_COMMIT, VML_PAGE_READWRITE);
    vml_va ro = va_mem(r->p, 0, 0x1000, VML_MEM_RESERVE | VML_MEM_COMMIT, VML_PAGE_READONLY);
    vml_va res = va_mem(r->p, 0, 0x1000, VML_MEM_RESERVE, VML_PAGE_READWRITE);
    vml_va guard = va_mem(r->p, 0, 0x1000, VML_MEM_RESERVE | VML_MEM_COMMIT,
                          VML_PAGE_READWRITE | VML_PAGE_GUARD);
    assert_int_equal(VML_OK, wr8(r->p, rw, 0xC3, NULL));

    /* Unreserved: ExceptionInformation[0] = 0 (read), [1] = the address;
    ** Linux: SIGSEGV / SEGV_MAPERR. */
    memset(&ex, 0, sizeof ex);
    assert_int_equal(VML_FAULTED, rd8(r->p, 0x50000123, &v, &ex));
    assert_int_equal(VML_STATUS_ACCESS_VIOLATION, ex.ntstatus);
    assert_int_equal(VML_AV_NOT_RESERVED, ex.reason);
    assert_int_equal(0, ex.info[0]);
    assert_int_equal(0x50000123, ex.info[1]);
    assert_int_equal(0x50000123, ex.va);
    assert_int_equal(VML_SIGSEGV, ex.signo);
    assert_int_equal(VML_SEGV_MAPERR, ex.si_code);
    /* A write to a read-only page: [0] = 1; SEGV_ACCERR. */
    assert_int_equal(VML_FAULTED, wr8(r->p, ro + 8, 1, &ex));
    assert_int_equal(VML_AV_READONLY, ex.reason);
    assert_int_equal(1, ex.info[0]);
    assert_int_equal(ro + 8, ex.info[1]);
    assert_int_equal(VML_SEGV_ACCERR, ex.si_code);
    /* An instruction fetch from an NX page: [0] = 8, a DEP violation. */
    assert_int_equal(VML_FAULTED, vml_mem_fetch(r->p, 0, rw, &v, 1, &ex));
    assert_int_equal(VML_AV_NX, ex.reason);
    assert_int_equal(8, ex.info[0]);
    assert_int_equal(VML_SEGV_ACCERR, ex.si_code);
    /* Reserved, not committed: a mapping exists, so SEGV_ACCERR. */
    assert_int_equal(VML_FAULTED, rd8(r->p, res, &v, &ex));
    assert_int_equal(VML_AV_NOT_COMMITTED, ex.reason);
    assert_int_equal(VML_SEGV_ACCERR, ex.si_code);
    /* A kernel address from user mode: SEGV_MAPERR (bad_area_nosemaphore). */
    assert_int_equal(VML_FAULTED, rd8(r->p, UINT64_C(0xFFFFF80000000000), &v, &ex));
    assert_int_equal(VML_AV_KERNEL, ex.reason);
    assert_int_equal(VML_SEGV_MAPERR, ex.si_code);
    /* Non-canonical: a #GP, not a #PF.  Windows gives the address as -1;
    ** Linux sends SIGSEGV with si_code SI_KERNEL (0x80). */
    assert_int_equal(VML_FAULTED, rd8(r->p, UINT64_C(0x0000800000000000), &v, &ex));
    assert_int_equal(VML_AV_NONCANONICAL, ex.reason);
    assert_int_equal(VML_STATUS_ACCESS_VIOLATION, ex.ntstatus);
    assert_int_equal(UINT64_MAX, ex.info[1]);
    assert_int_equal(0x80, ex.si_code);
    /* PAGE_NOACCESS. */
    assert_int_equal(0, vml_win_VirtualProtect(r->p, rw, 0x1000, VML_PAGE_NOACCESS, &old));
    assert_int_equal(VML_FAULTED, rd8(r->p, rw, &v, &ex));
    assert_int_equal(VML_AV_NOACCESS, ex.reason);
    assert_int_equal(VML_SEGV_ACCERR, ex.si_code);
    /* A guard page: STATUS_GUARD_PAGE_VIOLATION, not an access violation,
    ** and no Linux signal (Linux has no guard pages). */
    assert_int_equal(VML_FAULTED, wr8(r->p, guard, 1, &ex));
    assert_int_equal(VML_AV_GUARD, ex.reason);
    assert_int_equal(VML_STATUS_GUARD_PAGE_VIOLATION, ex.ntstatus);
    assert_int_equal(0, ex.signo);
    assert_int_equal(VML_OK, wr8(r->p, guard, 1, NULL));
    assert_int_equal(1, proc_stat(r->p, "guard_page_faults"));
    assert_int_equal(7, proc_stat(r->p, "access_violations"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_demand_zero_fault_zeroes_a_frame_from_the_free_list),
        cmocka_unit_test(the_next_touch_after_access_returns_is_a_soft_fault_on_the_same_frame),
        cmocka_unit_test(touch_of_a_trimmed_page_is_a_soft_fault),
        cmocka_unit_test(repurposed_page_comes_back_by_a_hard_fault_intact),
        cmocka_unit_test(never_written_page_returns_to_demand_zero_when_repurposed),
        cmocka_unit_test(a_fault_with_no_frame_left_raises_status_no_memory),
        cmocka_unit_test(failed_host_allocation_fails_the_fault_cleanly),
        cmocka_unit_test_setup_teardown(each_access_violation_fills_the_exception_record,
                                        rig_setup, rig_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
