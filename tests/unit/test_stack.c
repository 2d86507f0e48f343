/*
** test_stack.c -- stacks that grow on faults (mm/stack.c): a Win32 thread
** stack's guard page moving down (MiCheckForUserStackOverflow) until
** STATUS_STACK_OVERFLOW, the TEB's StackLimit following it; a posix
** VM_GROWSDOWN VMA extending down (expand_downwards) within RLIMIT_STACK
** and outside stack_guard_gap of the mapping below it.
*/
#include "testutil.h"

#define KB(n) ((uint64_t)(n) << 10)

static void machine_aslr_off(struct rig *r)
{
    vml_config cfg;
    vml_config_default(&cfg);
    cfg.ram_bytes = MB(16);
    cfg.flags |= VML_CFG_NO_ASLR;
    rig_up_cfg(r, &cfg);
}

static vml_thread_info main_thread(vml_proc *p)
{
    vml_thread_info t[4];
    assert_true(vml_thread_list(p, t, 4) >= 1);
    return t[0];
}

static vml_status touch(vml_proc *p, vml_va va, vml_exception *ex)
{
    uint8_t b = 0x5A;
    return vml_mem_write(p, 0, va, &b, 1, ex);
}

/* BaseCreateStack: a 1 MiB reservation, its top page committed, the page
** below it a guard page; StackBase the top, StackLimit the lowest
** committed page above the guard. */
static void a_thread_stack_is_reserved_with_one_page_and_a_guard(void **state)
{
    struct rig *r = *state;
    machine_aslr_off(r);
    assert_int_equal(0, vml_win_process_setup(r->p, NULL));
    vml_thread_info t = main_thread(r->p);
    assert_int_equal(MB(1), t.stack_base - t.stack_alloc);
    assert_int_equal(t.stack_base - PAGE, t.stack_limit);
    vml_mbi mbi = query(r->p, t.stack_base - PAGE);
    assert_int_equal(VML_MEM_COMMIT, mbi.State);
    assert_int_equal(VML_PAGE_READWRITE, mbi.Protect);
    assert_int_equal(PAGE, mbi.RegionSize);
    mbi = query(r->p, t.stack_base - 2 * PAGE);
    assert_int_equal(VML_PAGE_READWRITE | VML_PAGE_GUARD, mbi.Protect);
    assert_int_equal(PAGE, mbi.RegionSize);
    mbi = query(r->p, t.stack_alloc);
    assert_int_equal(VML_MEM_RESERVE, mbi.State);
    assert_int_equal(MB(1) - 2 * PAGE, mbi.RegionSize);
    assert_int_equal(t.stack_alloc, mbi.AllocationBase);
}

/* A touch of the guard page raises nothing: the page becomes plain, the
** next one is the guard, StackLimit moves down to the touched page. */
static void touching_the_guard_grows_the_stack_without_an_exception(void **state)
{
    struct rig *r = *state;
    vml_exception ex;
    machine_aslr_off(r);
    assert_int_equal(0, vml_win_process_setup(r->p, NULL));
    vml_thread_info t = main_thread(r->p);
    vml_va guard = t.stack_base - 2 * PAGE;
    assert_int_equal(VML_OK, touch(r->p, guard + 0x800, &ex));
    assert_int_equal(1, proc_stat(r->p, "stack_growths"));
    assert_int_equal(0, proc_stat(r->p, "guard_page_faults"));
    assert_int_equal(VML_PAGE_READWRITE, query(r->p, guard).Protect);
    assert_int_equal(VML_PAGE_READWRITE | VML_PAGE_GUARD, query(r->p, guard - PAGE).Protect);
    assert_int_equal(guard, main_thread(r->p).stack_limit);
    vml_teb_info ti;
    assert_int_equal(VML_OK, vml_teb_get(r->p, 0, &ti));
    assert_int_equal(guard, ti.stack_limit);
    /* a touch below the guard, in the reservation, is an access violation */
    assert_int_equal(VML_FAULTED, touch(r->p, guard - 2 * PAGE, &ex));
    assert_int_equal(VML_STATUS_ACCESS_VIOLATION, ex.ntstatus);
    assert_int_equal(VML_AV_NOT_COMMITTED, ex.reason);
}

/* MiCheckForUserStackOverflow: when the next guard would be within a page
** of DeallocationStack, the page above the lowest becomes plain, the
** thread gets STATUS_STACK_OVERFLOW, and the lowest page is never
** committed.  A 64 KiB stack: 16 pages; growth stops at page 2. */
static void the_last_guard_raises_stack_overflow_and_the_bottom_page_stays_reserved(void **state)
{
    struct rig *r = *state;
    vml_exception ex;
    unsigned tid = 0;
    machine_aslr_off(r);
    assert_int_equal(0, vml_win_process_setup(r->p, NULL));
    assert_int_equal(0, vml_win_CreateThread(r->p, KB(64), VML_STACK_SIZE_PARAM_IS_A_RESERVATION,
                                             &tid));
    vml_thread_info t[4];
    assert_int_equal(2, vml_thread_list(r->p, t, 4));
    assert_int_equal(tid, t[1].tid);
    vml_va bottom = t[1].stack_alloc;
    assert_int_equal(KB(64), t[1].stack_base - bottom);
    vml_va va = t[1].stack_base - 1;
    for (; va > bottom; va -= PAGE)
        if (touch(r->p, va, &ex) != VML_OK)
            break;
    /* pages 15 (committed) and 14..3 (guards that moved): 12 growths */
    assert_int_equal(12, proc_stat(r->p, "stack_growths"));
    assert_int_equal(bottom + 2 * PAGE, va & ~(vml_va)0xFFF);
    assert_int_equal(VML_STATUS_STACK_OVERFLOW, ex.ntstatus);
    assert_int_equal(VML_AV_STACK_OVERFLOW, ex.reason);
    assert_int_equal(1, proc_stat(r->p, "stack_overflows"));
    vml_thread_list(r->p, t, 4);
    assert_int_equal(bottom + PAGE, t[1].stack_limit);
    /* the touched page and the one below it are usable now */
    assert_int_equal(VML_OK, touch(r->p, bottom + 2 * PAGE, &ex));
    assert_int_equal(VML_OK, touch(r->p, bottom + PAGE, &ex));
    assert_int_equal(VML_FAULTED, touch(r->p, bottom, &ex));
    assert_int_equal(VML_STATUS_ACCESS_VIOLATION, ex.ntstatus);
    assert_int_equal(VML_MEM_RESERVE, query(r->p, bottom).State);
}

/* BaseCreateStack's sizes: a commit at least the reserve takes the
** reserve to the next MiB; sizes round to pages and 64 KiB. */
static void createthread_rounds_sizes_as_basecreatestack(void **state)
{
    struct rig *r = *state;
    unsigned tid;
    vml_thread_info t[4];
    machine_aslr_off(r);
    assert_int_equal(0, vml_win_process_setup(r->p, NULL));
    assert_int_equal(0, vml_win_CreateThread(r->p, MB(1) + 1, 0, &tid));
    assert_int_equal(2, vml_thread_list(r->p, t, 4));
    assert_int_equal(MB(2), t[1].stack_base - t[1].stack_alloc);
    assert_int_equal(t[1].stack_base - MB(1) - PAGE, t[1].stack_limit);
    assert_int_equal(0, vml_win_CreateThread(r->p, KB(100), VML_STACK_SIZE_PARAM_IS_A_RESERVATION,
                                             &tid));
    assert_int_equal(3, vml_thread_list(r->p, t, 4));
    assert_int_equal(KB(128), t[2].stack_base - t[2].stack_alloc);
    assert_true(t[2].tid > t[1].tid);
    assert_int_equal(3, proc_stat(r->p, "threads"));
    /* without a Win32 environment there is no thread to make */
    vml_proc *q = new_proc(r->m, "plain");
    assert_int_equal(VML_ERROR_INVALID_HANDLE, vml_win_CreateThread(q, 0, 0, &tid));
    assert_int_equal(VML_ERROR_INVALID_PARAMETER, vml_win_CreateThread(r->p, 0, 0x4, &tid));
}

/* ---- Linux ------------------------------------------------------------------------- */

static vml_posix_process_info posix_up(struct rig *r)
{
    vml_posix_process_info pi;
    machine_aslr_off(r);
    assert_int_equal(0, vml_posix_process_setup(r->p, NULL, &pi));
    return pi;
}

/* expand_downwards: a fault below [stack] extends it to the faulting page
** in one step; the stack counts as VmStk. */
static void a_fault_below_the_stack_extends_it_to_the_page(void **state)
{
    struct rig *r = *state;
    vml_exception ex;
    vml_posix_process_info pi = posix_up(r);
    assert_int_equal(KB(132), pi.stack_end - pi.stack_start);
    vml_va va = pi.stack_start - 10 * PAGE + 5;
    assert_int_equal(VML_OK, touch(r->p, va, &ex));
    assert_int_equal(1, proc_stat(r->p, "stack_growths"));
    vml_vad_info v;
    assert_int_equal(VML_OK, vml_vad_next(r->p, pi.stack_start - 10 * PAGE, &v));
    assert_int_equal((pi.stack_start >> 12) - 10, v.start_vpn);
    assert_string_equal("[stack]", v.name);
    assert_int_equal(KB(132) + 10 * PAGE, (v.end_vpn - v.start_vpn + 1) << 12);
    /* the VMA and the commit charge grew by 10 pages */
    assert_int_equal(KB(132) + 10 * PAGE, proc_stat(r->p, "private_bytes"));
}

/* acct_stack_growth: the new size may not pass RLIMIT_STACK (8 MiB): a
** fault farther down is SIGSEGV/SEGV_MAPERR and nothing changes. */
static void growth_past_rlimit_stack_is_sigsegv(void **state)
{
    struct rig *r = *state;
    vml_exception ex;
    vml_posix_process_info pi = posix_up(r);
    vml_va lowest = pi.stack_end - MB(8);
    assert_int_equal(VML_FAULTED, touch(r->p, lowest - PAGE, &ex));
    assert_int_equal(VML_SIGSEGV, ex.signo);
    assert_int_equal(VML_SEGV_MAPERR, ex.si_code);
    assert_int_equal(0, proc_stat(r->p, "stack_growths"));
    assert_int_equal(KB(132), proc_stat(r->p, "private_bytes"));
    assert_int_equal(VML_OK, touch(r->p, lowest, &ex));     /* exactly 8 MiB: allowed */
    assert_int_equal(1, proc_stat(r->p, "stack_growths"));
}

/* stack_guard_gap: a stack does not grow within 256 pages above another
** mapping (a PROT_NONE one does not count). */
static void the_stack_keeps_its_guard_gap_from_the_mapping_below(void **state)
{
    struct rig *r = *state;
    vml_exception ex;
    vml_va got;
    vml_posix_process_info pi = posix_up(r);
    vml_va below = pi.stack_start - MB(2);
    assert_int_equal(0, vml_posix_mmap(r->p, below, PAGE, VML_PROT_READ | VML_PROT_WRITE,
                                       VML_MAP_PRIVATE | VML_MAP_ANONYMOUS | VML_MAP_FIXED, -1, 0,
                                       &got));
    /* 256 pages above the mapping's end is the lowest the stack may reach */
    vml_va limit = below + PAGE + 256 * PAGE;
    assert_int_equal(VML_FAULTED, touch(r->p, limit - PAGE, &ex));
    assert_int_equal(VML_SEGV_MAPERR, ex.si_code);
    assert_int_equal(0, proc_stat(r->p, "stack_growths"));
    assert_int_equal(VML_OK, touch(r->p, limit, &ex));
    assert_int_equal(1, proc_stat(r->p, "stack_growths"));
    /* a PROT_NONE mapping below is no obstacle (vma_is_accessible) */
    assert_int_equal(0, vml_posix_mprotect(r->p, below, PAGE, VML_PROT_NONE));
    assert_int_equal(VML_OK, touch(r->p, below + 2 * PAGE, &ex));
    assert_int_equal(2, proc_stat(r->p, "stack_growths"));
}

/* Any VM_GROWSDOWN mapping grows, not only [stack]. */
static void a_map_growsdown_mapping_grows_too(void **state)
{
    struct rig *r = *state;
    vml_exception ex;
    vml_va got;
    machine_aslr_off(r);
    assert_int_equal(0, vml_posix_mmap(r->p, 0x40000000, 4 * PAGE, VML_PROT_READ | VML_PROT_WRITE,
                                       VML_MAP_PRIVATE | VML_MAP_ANONYMOUS | VML_MAP_FIXED |
                                       VML_MAP_GROWSDOWN, -1, 0, &got));
    assert_int_equal(VML_OK, touch(r->p, 0x40000000 - 3 * PAGE, &ex));
    assert_int_equal(1, proc_stat(r->p, "stack_growths"));
    vml_vad_info v;
    assert_int_equal(VML_OK, vml_vad_next(r->p, 0x3FFFD000, &v));
    assert_int_equal(0x3FFFD, v.start_vpn);
    /* a plain mapping does not grow */
    assert_int_equal(0, vml_posix_mmap(r->p, 0x50000000, PAGE, VML_PROT_READ | VML_PROT_WRITE,
                                       VML_MAP_PRIVATE | VML_MAP_ANONYMOUS | VML_MAP_FIXED, -1, 0,
                                       &got));
    assert_int_equal(VML_FAULTED, touch(r->p, 0x50000000 - PAGE, &ex));
    assert_int_equal(1, proc_stat(r->p, "stack_growths"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(a_thread_stack_is_reserved_with_one_page_and_a_guard,
                                        rig_setup_empty, rig_teardown),
        cmocka_unit_test_setup_teardown(touching_the_guard_grows_the_stack_without_an_exception,
                                        rig_setup_empty, rig_teardown),
        cmocka_unit_test_setup_teardown(
            the_last_guard_raises_stack_overflow_and_the_bottom_page_stays_reserved,
            rig_setup_empty, rig_teardown),
        cmocka_unit_test_setup_teardown(createthread_rounds_sizes_as_basecreatestack,
                                        rig_setup_empty, rig_teardown),
        cmocka_unit_test_setup_teardown(a_fault_below_the_stack_extends_it_to_the_page,
                                        rig_setup_empty, rig_teardown),
        cmocka_unit_test_setup_teardown(growth_past_rlimit_stack_is_sigsegv,
                                        rig_setup_empty, rig_teardown),
        cmocka_unit_test_setup_teardown(the_stack_keeps_its_guard_gap_from_the_mapping_below,
                                        rig_setup_empty, rig_teardown),
        cmocka_unit_test_setup_teardown(a_map_growsdown_mapping_grows_too,
                                        rig_setup_empty, rig_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
