/*
** test_rmap.c -- the reverse map and share counts (rmap.c, RMAP1-RMAP6):
** a frame's share count is the number of valid PTEs that map it, whoever
** maps it -- two processes through a section, a parent and its child
** after fork, one process twice through setpte -- and every change of
** mapping (unmap, copy-on-write break, trim) keeps it so.  Exact values:
** the simulator is deterministic.
*/
#include "testutil.h"

#define RW      (VML_PROT_READ | VML_PROT_WRITE)
#define PRIVATE (VML_MAP_PRIVATE | VML_MAP_ANONYMOUS)
#define PTE_FRAME UINT64_C(0x000FFFFFFFFFF000)

static unsigned share_count(vml_machine *m, vml_pfn pfn)
{
    vml_pfn_info info;

    assert_int_equal(VML_OK, vml_pfn_get(m, pfn, &info));
    return info.share_count;
}

static vml_pfn_info pfn_info(vml_machine *m, vml_pfn pfn)
{
    vml_pfn_info info;

    assert_int_equal(VML_OK, vml_pfn_get(m, pfn, &info));
    return info;
}

static vml_page_info page_at(vml_proc *p, vml_va va)
{
    vml_page_info pi;

    assert_int_equal(VML_OK, vml_page_query(p, va, &pi));
    return pi;
}

/* A pagefile-backed section of n pages mapped writable in a and, opened
** by name, read-only in b. */
static void section_in_two(vml_proc *a, vml_proc *b, uint64_t n_pages, vml_va *va_a, vml_va *va_b)
{
    vml_handle sa = 0, sb = 0;

    assert_int_equal(VML_ERROR_SUCCESS,
                     vml_win_CreateFileMapping(a, VML_INVALID_HANDLE_VALUE,
                                               VML_PAGE_READWRITE | VML_SEC_COMMIT,
                                               n_pages * PAGE, "Local\\rmap", &sa));
    assert_int_equal(VML_ERROR_SUCCESS,
                     vml_win_MapViewOfFile(a, sa, VML_FILE_MAP_WRITE, 0, 0, 0, va_a));
    assert_int_equal(VML_ERROR_SUCCESS,
                     vml_win_OpenFileMapping(b, VML_FILE_MAP_READ, "Local\\rmap", &sb));
    assert_int_equal(VML_ERROR_SUCCESS,
                     vml_win_MapViewOfFile(b, sb, VML_FILE_MAP_READ, 0, 0, 0, va_b));
}

/* P with n private pages written (byte 0x10 + i at page i), and its child C. */
static vml_va forked(struct rig *r, unsigned n_pages, vml_proc **child)
{
    vml_va a = 0;
    unsigned pid = 0;

    assert_int_equal(0, vml_posix_mmap(r->p, 0, n_pages * PAGE, RW, PRIVATE, -1, 0, &a));
    for (unsigned i = 0; i < n_pages; i++)
        poke(r->p, a + i * PAGE, (uint8_t)(0x10 + i));
    assert_int_equal(0, vml_posix_fork(r->p, "C", &pid));
    *child = vml_proc_by_pid(r->m, pid);
    assert_non_null(*child);
    return a;
}

/* ---- a section mapped by two processes ----------------------------------------------- */

static void a_section_frame_mapped_by_two_processes_has_share_count_two(void **state)
{
    struct rig *r = *state;
    vml_proc *b = new_proc(r->m, "B");
    vml_va va = 0, vb = 0;

    section_in_two(r->p, b, 1, &va, &vb);
    poke(r->p, va, 0x5A);
    assert_int_equal(0x5A, peek(b, vb));
    vml_pfn pfn = frame_of(r->p, va);
    /* both PTEs name the frame ... */
    assert_int_not_equal(VML_PFN_NONE, pfn);
    assert_int_equal(pfn, frame_of(b, vb));
    assert_int_equal(pfn, pte_at(r->p, va).pfn);
    assert_int_equal(pfn, pte_at(b, vb).pfn);
    assert_int_equal(1, pte_at(r->p, va).rw);
    assert_int_equal(0, pte_at(b, vb).rw);       /* protection is per mapping */
    /* ... and the frame names the prototype PTE, not either of them */
    vml_pfn_info info = pfn_info(r->m, pfn);
    vml_page_info pi = page_at(b, vb);
    assert_int_equal(2, info.share_count);
    assert_int_equal(VML_LIST_ACTIVE, info.list);
    assert_true(info.flags & VML_PFN_PROTOTYPE);
    assert_int_equal(pi.proto_va, info.pte_pa);
    assert_int_equal(pi.proto_id, page_at(r->p, va).proto_id);
    assert_int_equal(2, pi.share_count);
    assert_int_equal(1, sys_stat(r->m, "shared_pages"));
    assert_int_equal(PAGE, proc_stat(b, "ws_shared"));
    assert_int_equal(PAGE / 2, proc_stat(b, "pss"));
    /* one mapper goes: the other keeps the frame, alone */
    assert_int_equal(VML_ERROR_SUCCESS, vml_win_UnmapViewOfFile(b, vb));
    assert_int_equal(1, share_count(r->m, pfn));
    assert_int_equal(pfn, frame_of(r->p, va));
    assert_int_equal(0, sys_stat(r->m, "shared_pages"));
    assert_int_equal(PAGE, proc_stat(r->p, "pss"));
    assert_int_equal(0x5A, peek(r->p, va));
}

/* One file's page cache serves both personalities: a MAP_SHARED mapping
** and a view of a section of the same file map one frame. */
static void a_file_page_mapped_by_mmap_and_by_a_view_is_one_frame(void **state)
{
    struct rig *r = *state;
    vml_proc *b = new_proc(r->m, "B");
    vml_handle hf = 0, s = 0;
    vml_va m = 0, v = 0;
    int fd = -1;

    assert_int_equal(VML_OK, vml_file_create(r->m, "one.bin", 2 * PAGE, 3, 1));
    assert_int_equal(0, vml_posix_open(r->p, "one.bin", VML_O_RDWR, &fd));
    assert_int_equal(0, vml_posix_mmap(r->p, 0, 2 * PAGE, RW, VML_MAP_SHARED, fd, 0, &m));
    assert_int_equal(VML_ERROR_SUCCESS, vml_win_CreateFile(b, "one.bin", VML_GENERIC_READ,
                                                           VML_OPEN_EXISTING, &hf));
    assert_int_equal(VML_ERROR_SUCCESS, vml_win_CreateFileMapping(b, hf, VML_PAGE_READONLY, 0,
                                                                  NULL, &s));
    assert_int_equal(VML_ERROR_SUCCESS, vml_win_MapViewOfFile(b, s, VML_FILE_MAP_READ, 0, 0, 0,
                                                              &v));
    poke(r->p, m + PAGE, 0x42);
    assert_int_equal(0x42, peek(b, v + PAGE));
    vml_pfn pfn = frame_of(r->p, m + PAGE);
    assert_int_equal(pfn, frame_of(b, v + PAGE));
    assert_int_equal(2, share_count(r->m, pfn));
    assert_int_equal(1, sys_stat(r->m, "file_reads"));
    assert_int_equal(1, sys_stat(r->m, "shared_pages"));
    /* munmap: the other mapper keeps it, and the file gets the byte */
    assert_int_equal(0, vml_posix_munmap(r->p, m, 2 * PAGE));
    assert_int_equal(1, share_count(r->m, pfn));
    assert_int_equal(1, sys_stat(r->m, "file_writes"));
    assert_int_equal(0x42, peek(b, v + PAGE));
}

/* Linux maps reads of untouched private anonymous memory to the one zero
** page: no frame, no share count (it is the kernel's), no reverse map. */
static void reads_of_untouched_anonymous_memory_map_the_zero_page_outside_the_rmap(void **state)
{
    struct rig *r = *state;
    vml_proc *b = new_proc(r->m, "B");
    vml_va a = 0, c = 0;

    assert_int_equal(0, vml_posix_mmap(r->p, 0, 2 * PAGE, RW, PRIVATE, -1, 0, &a));
    assert_int_equal(0, vml_posix_mmap(b, 0, PAGE, RW, PRIVATE, -1, 0, &c));
    assert_int_equal(0, peek(r->p, a));
    assert_int_equal(0, peek(r->p, a + PAGE));
    assert_int_equal(0, peek(b, c));
    vml_pfn zero = frame_of(r->p, a);
    assert_int_equal(zero, frame_of(r->p, a + PAGE));
    assert_int_equal(zero, frame_of(b, c));
    assert_true(page_at(b, c).zero_page);
    assert_int_equal(3, sys_stat(r->m, "zero_page_maps"));
    assert_int_equal(0, sys_stat(r->m, "shared_pages"));
    assert_int_equal(0, proc_stat(r->p, "working_set"));
    assert_int_equal(0, proc_stat(r->p, "pss"));
    /* the first write replaces it with a page of its own */
    poke(r->p, a, 1);
    assert_int_not_equal(zero, frame_of(r->p, a));
    assert_int_equal(1, share_count(r->m, frame_of(r->p, a)));
    assert_int_equal(2, sys_stat(r->m, "zero_page_maps"));
    assert_int_equal(PAGE, proc_stat(r->p, "pss"));
    assert_int_equal(VML_OK, vml_machine_check(r->m));
}

/* ---- fork and copy-on-write ------------------------------------------------------------- */

static void fork_shares_every_private_resident_page_read_only(void **state)
{
    struct rig *r = *state;
    vml_proc *c;
    vml_va a = forked(r, 4, &c);

    for (unsigned i = 0; i < 4; i++) {
        vml_va va = a + i * PAGE;
        vml_pfn pfn = frame_of(r->p, va);
        assert_int_not_equal(VML_PFN_NONE, pfn);
        assert_int_equal(pfn, frame_of(c, va));
        assert_int_equal(2, share_count(r->m, pfn));
        assert_int_equal(0, pte_at(r->p, va).rw);
        assert_int_equal(0, pte_at(c, va).rw);
        assert_int_equal(0x10 + i, peek(c, va));
    }
    assert_int_equal(4, sys_stat(r->m, "shared_pages"));
    assert_int_equal(4, sys_stat(r->m, "clone_pages"));
    assert_int_equal(4 * PAGE, proc_stat(c, "ws_shared"));
    assert_int_equal(2 * PAGE, proc_stat(r->p, "pss"));
    assert_int_equal(2 * PAGE, proc_stat(c, "pss"));
}

static void a_cow_break_gives_each_process_its_own_frame(void **state)
{
    struct rig *r = *state;
    vml_proc *c;
    vml_va a = forked(r, 2, &c);
    vml_pfn old = frame_of(r->p, a);

    poke(c, a, 0xC1);
    vml_pfn mine = frame_of(c, a);
    assert_int_equal(1, proc_stat(c, "cow_faults"));
    assert_int_not_equal(old, mine);
    assert_int_equal(old, frame_of(r->p, a));    /* the parent keeps the original */
    assert_int_equal(1, share_count(r->m, old));
    assert_int_equal(1, share_count(r->m, mine));
    assert_int_equal(1, pte_at(c, a).rw);
    assert_int_equal(0, pte_at(r->p, a).rw);     /* still a clone page, until it writes */
    assert_int_equal(0x10, peek(r->p, a));
    assert_int_equal(0xC1, peek(c, a));
    assert_int_equal(1, sys_stat(r->m, "shared_pages"));   /* page 1 is still shared */
    assert_int_equal(VML_OK, vml_machine_check(r->m));
}

static void the_last_mappers_write_keeps_the_page_without_a_copy(void **state)
{
    struct rig *r = *state;
    vml_proc *c;
    vml_va a = forked(r, 2, &c);
    vml_pfn old = frame_of(r->p, a);

    poke(c, a, 0xC1);
    assert_int_equal(2, sys_stat(r->m, "clone_pages"));
    poke(r->p, a, 0xB1);
    /* the parent is the clone page's last reference: its write keeps the
    ** frame (Linux's do_wp_page reuse), one fault, no copy */
    assert_int_equal(1, proc_stat(r->p, "cow_faults"));
    assert_int_equal(old, frame_of(r->p, a));
    assert_int_equal(1, share_count(r->m, old));
    assert_int_equal(1, pte_at(r->p, a).rw);
    assert_false(pfn_info(r->m, old).flags & VML_PFN_PROTOTYPE);
    assert_int_equal(1, sys_stat(r->m, "clone_pages"));
    assert_int_equal(0xB1, peek(r->p, a));
    assert_int_equal(0xC1, peek(c, a));
}

/* Regression: a write inside a page shared by fork, not at its first
** byte, dropped a clone reference named by the faulting address (SEC4
** aborted).  Found by test_share_property, seed 1. */
static void a_write_inside_a_page_shared_by_fork_breaks_the_share(void **state)
{
    struct rig *r = *state;
    vml_proc *c;
    vml_va a = forked(r, 2, &c);

    poke(c, a + 0xC02, 0xC1);
    poke(r->p, a + PAGE + 0x7FF, 0xB1);
    poke(c, a + PAGE + 0x123, 0xC2);
    assert_int_equal(2, proc_stat(c, "cow_faults"));
    assert_int_equal(1, proc_stat(r->p, "cow_faults"));
    assert_int_equal(0, sys_stat(r->m, "shared_pages"));
    assert_int_equal(1, sys_stat(r->m, "clone_pages"));   /* the parent's page 0 */
    assert_int_equal(0x10, peek(r->p, a));
    assert_int_equal(0xC1, peek(c, a + 0xC02));
    assert_int_equal(0xB1, peek(r->p, a + PAGE + 0x7FF));
    assert_int_equal(0x11, peek(c, a + PAGE));
    assert_int_equal(VML_OK, vml_machine_check(r->m));
}

/* Regression: a second fork of a process with a private copy in a
** FILE_MAP_COPY view took the copy (a clone page since the first fork) for
** the section's page: the grandchild's PTE named the clone without a
** reference (RMAP4 aborted).  Found by test_share_property, seed 13. */
static void a_second_fork_copies_a_private_copy_in_a_copy_on_write_view(void **state)
{
    struct rig *r = *state;
    vml_handle s = 0;
    vml_va v = 0;
    unsigned pid1 = 0, pid2 = 0;

    assert_int_equal(VML_ERROR_SUCCESS,
                     vml_win_CreateFileMapping(r->p, VML_INVALID_HANDLE_VALUE, VML_PAGE_READWRITE,
                                               2 * PAGE, NULL, &s));
    assert_int_equal(VML_ERROR_SUCCESS, vml_win_MapViewOfFile(r->p, s, VML_FILE_MAP_COPY, 0, 0, 0,
                                                              &v));
    poke(r->p, v, 0xA1);                         /* a private copy */
    assert_int_equal(0, vml_posix_fork(r->p, "C1", &pid1));
    assert_int_equal(0, vml_posix_fork(r->p, "C2", &pid2));
    vml_proc *c1 = vml_proc_by_pid(r->m, pid1), *c2 = vml_proc_by_pid(r->m, pid2);
    vml_pfn pfn = frame_of(r->p, v);
    assert_int_equal(pfn, frame_of(c1, v));
    assert_int_equal(pfn, frame_of(c2, v));
    assert_int_equal(3, share_count(r->m, pfn));
    assert_int_equal(0xA1, peek(c2, v));
    /* trimmed from the parent, the copy is still the one a third child gets */
    empty_working_set(r->p);
    unsigned pid3 = 0;
    assert_int_equal(0, vml_posix_fork(r->p, "C3", &pid3));
    assert_int_equal(0xA1, peek(vml_proc_by_pid(r->m, pid3), v));
    assert_int_equal(0, peek(c1, v + PAGE));     /* the section's own page */
    assert_int_equal(VML_OK, vml_machine_check(r->m));
}

/* ---- working sets -------------------------------------------------------------------- */

static void trimming_a_shared_page_from_one_working_set_keeps_the_frame_active(void **state)
{
    struct rig *r = *state;
    vml_proc *b = new_proc(r->m, "B");
    vml_va va = 0, vb = 0;

    section_in_two(r->p, b, 1, &va, &vb);
    poke(r->p, va, 0x77);
    assert_int_equal(0x77, peek(b, vb));
    vml_pfn pfn = frame_of(r->p, va);
    empty_working_set(r->p);
    /* A's PTE points at the prototype now; B still maps the frame */
    assert_int_equal(VML_PTE_PROTOTYPE, pte_at(r->p, va).kind);
    assert_int_equal(pfn, frame_of(b, vb));
    assert_int_equal(VML_LIST_ACTIVE, list_of(r->m, pfn));
    assert_int_equal(1, share_count(r->m, pfn));
    assert_int_equal(0, proc_stat(r->p, "working_set"));
    assert_int_equal(PAGE, proc_stat(b, "working_set"));
    assert_int_equal(0, sys_stat(r->m, "shared_pages"));
    /* the last working set lets it go: a transition page, dirty */
    empty_working_set(b);
    assert_int_equal(VML_LIST_MODIFIED, list_of(r->m, pfn));
    assert_int_equal(0, share_count(r->m, pfn));
    /* and the first touch finds it again, no I/O */
    uint64_t hard = sys_stat(r->m, "hard_faults");
    assert_int_equal(0x77, peek(r->p, va));
    assert_int_equal(pfn, frame_of(r->p, va));
    assert_int_equal(VML_LIST_ACTIVE, list_of(r->m, pfn));
    assert_int_equal(1, share_count(r->m, pfn));
    assert_int_equal(hard, sys_stat(r->m, "hard_faults"));
    assert_int_equal(VML_OK, vml_machine_check(r->m));
}

/* ---- setpte ---------------------------------------------------------------------------- */

static void setpte_aliasing_a_frame_of_the_same_process_keeps_the_rmap_true(void **state)
{
    struct rig *r = *state;
    vml_va x = alloc(r->p, 2 * PAGE), y = x + PAGE;
    uint64_t pte_x = 0, pte_y = 0;

    poke(r->p, x, 0xAA);
    poke(r->p, y, 0xBB);
    vml_pfn fx = frame_of(r->p, x), fy = frame_of(r->p, y);
    uint64_t free_before = vml_list_count(r->m, VML_LIST_FREE) + vml_list_count(r->m, VML_LIST_ZEROED);
    assert_int_equal(VML_OK, vml_pte_get(r->p, x, &pte_x));
    assert_int_equal(VML_OK, vml_pte_get(r->p, y, &pte_y));
    /* point y's PTE at x's frame, without invlpg */
    assert_int_equal(VML_OK, vml_pte_set_raw(r->p, y, (pte_y & ~PTE_FRAME) | (pte_x & PTE_FRAME)));
    assert_int_equal(VML_OK, vml_machine_check(r->m));
    assert_int_equal(fx, frame_of(r->p, y));
    assert_int_equal(2, share_count(r->m, fx));
    assert_int_equal(1, sys_stat(r->m, "shared_pages"));
    /* y's old frame lost its only PTE: it is free again */
    assert_int_not_equal(VML_LIST_ACTIVE, list_of(r->m, fy));
    assert_int_equal(free_before + 1,
                     vml_list_count(r->m, VML_LIST_FREE) + vml_list_count(r->m, VML_LIST_ZEROED));
    /* the TLB still holds y's old translation: the stale read */
    assert_int_equal(0xBB, peek(r->p, y));
    assert_int_equal(VML_OK, vml_tlb_invlpg(r->m, 0, r->p, y));
    assert_int_equal(0xAA, peek(r->p, y));
    /* two writable PTEs, one frame: a write through one shows through the other */
    poke(r->p, x, 0xCC);
    assert_int_equal(0xCC, peek(r->p, y));
    assert_int_equal(VML_OK, vml_machine_check(r->m));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(a_section_frame_mapped_by_two_processes_has_share_count_two,
                                        rig_setup, rig_teardown),
        cmocka_unit_test_setup_teardown(a_file_page_mapped_by_mmap_and_by_a_view_is_one_frame,
                                        rig_setup, rig_teardown),
        cmocka_unit_test_setup_teardown(
            reads_of_untouched_anonymous_memory_map_the_zero_page_outside_the_rmap,
            rig_setup, rig_teardown),
        cmocka_unit_test_setup_teardown(fork_shares_every_private_resident_page_read_only,
                                        rig_setup, rig_teardown),
        cmocka_unit_test_setup_teardown(a_cow_break_gives_each_process_its_own_frame,
                                        rig_setup, rig_teardown),
        cmocka_unit_test_setup_teardown(the_last_mappers_write_keeps_the_page_without_a_copy,
                                        rig_setup, rig_teardown),
        cmocka_unit_test_setup_teardown(a_write_inside_a_page_shared_by_fork_breaks_the_share,
                                        rig_setup, rig_teardown),
        cmocka_unit_test_setup_teardown(a_second_fork_copies_a_private_copy_in_a_copy_on_write_view,
                                        rig_setup, rig_teardown),
        cmocka_unit_test_setup_teardown(
            trimming_a_shared_page_from_one_working_set_keeps_the_frame_active,
            rig_setup, rig_teardown),
        cmocka_unit_test_setup_teardown(
            setpte_aliasing_a_frame_of_the_same_process_keeps_the_rmap_true,
            rig_setup, rig_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
