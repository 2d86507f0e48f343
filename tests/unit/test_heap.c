/*
** test_heap.c -- Win32 heaps (os/heap.c, heap_api.c): blocks and free
** lists in the process's memory, growth by commit and by segments, large
** blocks of their own, decommit of free space, fixed-size heaps, the error
** codes Wine 8 returns, and corruption found instead of followed.
*/
#include "testutil.h"

#define KB(n) ((uint64_t)(n) << 10)

static void win_up(struct rig *r, vml_paging paging)
{
    vml_config cfg;
    vml_config_default(&cfg);
    cfg.ram_bytes = MB(32);
    cfg.paging = paging;
    cfg.flags |= VML_CFG_NO_ASLR;
    rig_up_cfg(r, &cfg);
    assert_int_equal(0, vml_win_process_setup(r->p, NULL));
}

static vml_va process_heap(vml_proc *p)
{
    vml_va h = 0;
    assert_int_equal(0, vml_win_GetProcessHeap(p, &h));
    return h;
}

static vml_va halloc(vml_proc *p, vml_va h, uint32_t flags, uint64_t size)
{
    vml_va out = 0;
    assert_int_equal(0, vml_win_HeapAlloc(p, h, flags, size, &out));
    return out;
}

static uint64_t hsize(vml_proc *p, vml_va h, vml_va ptr)
{
    uint64_t n = 0;
    assert_int_equal(0, vml_win_HeapSize(p, h, 0, ptr, &n));
    return n;
}

static vml_heap_info hinfo(vml_proc *p, vml_va h)
{
    vml_heap_info hi;
    assert_int_equal(VML_OK, vml_heap_info_get(p, h, &hi));
    return hi;
}

/* The heap's handle is its first segment's base; the HEAP header lies in
** the first block, at Windows 7's offsets (Signature 0xEEFFEEFF at 0xa0 on
** x64, SegmentSignature 0xFFEEFFEE at 0x10); blocks follow on 16 bytes. */
static void a_heap_keeps_its_headers_in_the_process(void **state)
{
    struct rig *r = *state;
    win_up(r, VML_PAGING_4LEVEL);
    vml_va h = process_heap(r->p);
    uint32_t sig = 0, segsig = 0;
    assert_int_equal(VML_OK, vml_mem_read(r->p, 0, h + 0xa0, &sig, 4, NULL));
    assert_int_equal(VML_OK, vml_mem_read(r->p, 0, h + 0x10, &segsig, 4, NULL));
    assert_int_equal(0xEEFFEEFF, sig);
    assert_int_equal(0xFFEEFFEE, segsig);
    vml_heap_info hi = hinfo(r->p, h);
    assert_int_equal(VML_HEAP_GROWABLE, hi.flags);
    assert_int_equal(16, hi.granularity);
    assert_int_equal(MB(1), hi.reserved);
    assert_int_equal(PAGE, hi.committed);
    assert_true(hi.process_heap);
    assert_int_equal(0xFE000, hi.vm_threshold);
    vml_va a = halloc(r->p, h, 0, 100);
    assert_int_equal(0, a & 15);
    assert_int_equal(100, hsize(r->p, h, a));
    /* the block's HEAP_ENTRY: Size in 16-byte units (8: 112 bytes and the
    ** header), Flags busy, SmallTagIndex = Size lo ^ Size hi ^ Flags,
    ** UnusedBytes = 112 - 100 */
    uint8_t e[8];
    assert_int_equal(VML_OK, vml_mem_read(r->p, 0, a - 8, e, 8, NULL));
    assert_int_equal(8, e[0] | e[1] << 8);
    assert_int_equal(1, e[2] & 1);
    assert_int_equal(e[0] ^ e[1] ^ e[2], e[3]);
    assert_int_equal(128 - 100, e[7]);
    hi = hinfo(r->p, h);
    assert_int_equal(1, hi.n_busy);
    assert_false(hi.corrupt);
}

/* HeapFree coalesces and HeapAlloc takes the best fit: freeing two
** neighbours and asking for both gives the first back. */
static void freed_neighbours_coalesce_and_best_fit_reuses_them(void **state)
{
    struct rig *r = *state;
    win_up(r, VML_PAGING_4LEVEL);
    vml_va h = process_heap(r->p);
    vml_va a = halloc(r->p, h, 0, 0x100), b = halloc(r->p, h, 0, 0x100);
    vml_va c = halloc(r->p, h, 0, 0x100);
    assert_int_equal(a + 0x110, b);
    assert_int_equal(0, vml_win_HeapFree(r->p, h, 0, a));
    assert_int_equal(0, vml_win_HeapFree(r->p, h, 0, b));
    assert_int_equal(a, halloc(r->p, h, 0, 0x200));       /* 0x220 bytes fit in 0x220 */
    /* a smaller request takes the smallest free block that fits */
    assert_int_equal(0, vml_win_HeapFree(r->p, h, 0, c));
    vml_heap_info hi = hinfo(r->p, h);
    assert_int_equal(1, hi.n_busy);
    assert_false(hi.corrupt);
}

/* Wine 8 (checked with a mingw-w64 program): a pointer that is not a busy
** block fails ERROR_INVALID_PARAMETER -- a double free, an inner pointer;
** HeapSize then answers (SIZE_T)-1; HeapFree(NULL) succeeds. */
static void bad_pointers_fail_invalid_parameter_and_change_nothing(void **state)
{
    struct rig *r = *state;
    win_up(r, VML_PAGING_4LEVEL);
    vml_va h = process_heap(r->p);
    vml_va a = halloc(r->p, h, 0, 64);
    uint64_t n = 0;
    assert_int_equal(0, vml_win_HeapFree(r->p, h, 0, a));
    assert_int_equal(VML_ERROR_INVALID_PARAMETER, vml_win_HeapFree(r->p, h, 0, a));
    assert_int_equal(VML_ERROR_INVALID_PARAMETER, vml_win_GetLastError(r->p));
    assert_int_equal(VML_ERROR_INVALID_PARAMETER, vml_win_HeapFree(r->p, h, 0, a + 8));
    assert_int_equal(VML_ERROR_INVALID_PARAMETER, vml_win_HeapSize(r->p, h, 0, a, &n));
    assert_int_equal(UINT64_MAX, n);
    assert_int_equal(0, vml_win_HeapFree(r->p, h, 0, 0));
    /* a handle that is no heap: the real call faults reading it */
    vml_va out;
    assert_int_equal(VML_STATUS_ACCESS_VIOLATION, vml_win_HeapAlloc(r->p, 0x12340000, 0, 8, &out));
    assert_int_equal(0, hinfo(r->p, h).n_busy);
}

/* A fixed-size heap (maximum != 0) fails when full: ERROR_NOT_ENOUGH_MEMORY,
** or STATUS_NO_MEMORY raised with HEAP_GENERATE_EXCEPTIONS -- in the call
** or in the heap's options. */
static void a_fixed_heap_fails_when_full(void **state)
{
    struct rig *r = *state;
    vml_va f, g, out;
    win_up(r, VML_PAGING_4LEVEL);
    assert_int_equal(0, vml_win_HeapCreate(r->p, 0, 0, 0x10000, &f));
    halloc(r->p, f, 0, 0x8000);
    assert_int_equal(VML_ERROR_NOT_ENOUGH_MEMORY, vml_win_HeapAlloc(r->p, f, 0, 0x8000, &out));
    assert_int_equal(VML_ERROR_NOT_ENOUGH_MEMORY, vml_win_GetLastError(r->p));
    assert_int_equal(VML_STATUS_NO_MEMORY,
                     vml_win_HeapAlloc(r->p, f, VML_HEAP_GENERATE_EXCEPTIONS, 0x8000, &out));
    /* a block past the threshold: a fixed heap has no large blocks */
    assert_int_equal(VML_ERROR_NOT_ENOUGH_MEMORY, vml_win_HeapAlloc(r->p, f, 0, MB(2), &out));
    assert_int_equal(0, vml_win_HeapCreate(r->p, VML_HEAP_GENERATE_EXCEPTIONS, 0, 0x10000, &g));
    halloc(r->p, g, 0, 0x8000);
    assert_int_equal(VML_STATUS_NO_MEMORY, vml_win_HeapAlloc(r->p, g, 0, 0x8000, &out));
    vml_heap_info hi = hinfo(r->p, f);
    assert_int_equal(0x10000, hi.max_size);
    assert_int_equal(1, hi.n_segments);
}

/* A growable heap commits as it grows, adds a segment (twice the last)
** when its segment is full, and decommits a free end of 64 KiB or more. */
static void a_growable_heap_commits_adds_segments_and_decommits(void **state)
{
    struct rig *r = *state;
    vml_va x[40];
    win_up(r, VML_PAGING_4LEVEL);
    vml_va h = process_heap(r->p);
    uint64_t before = proc_stat(r->p, "private_bytes");
    x[0] = halloc(r->p, h, 0, 0x8000);
    vml_heap_info hi = hinfo(r->p, h);
    /* the first page held 0xdf0 free bytes: 8 pages more hold the block */
    assert_int_equal(PAGE + 0x8000, hi.committed);
    assert_true(proc_stat(r->p, "private_bytes") > before);
    for (int i = 1; i < 40; i++)
        x[i] = halloc(r->p, h, 0, 0x8000);
    hi = hinfo(r->p, h);
    assert_int_equal(2, hi.n_segments);
    assert_int_equal(MB(3), hi.reserved);
    vml_heap_segment_info s1;
    assert_int_equal(VML_OK, vml_heap_segment_get(r->p, h, 1, &s1));
    assert_int_equal(MB(2), s1.reserved);
    for (int i = 0; i < 40; i++)
        assert_int_equal(0, vml_win_HeapFree(r->p, h, 0, x[i]));
    hi = hinfo(r->p, h);
    assert_int_equal(0, hi.n_busy);
    assert_int_equal(2 * PAGE, hi.committed);      /* each segment keeps its first page */
    assert_false(hi.corrupt);
}

/* Blocks above the threshold (0xFE000 bytes on x64) get a VirtualAlloc of
** their own: HEAP_VIRTUAL_ALLOC_ENTRY (0x40 bytes) before the block. */
static void a_large_block_gets_its_own_virtualalloc(void **state)
{
    struct rig *r = *state;
    win_up(r, VML_PAGING_4LEVEL);
    vml_va h = process_heap(r->p);
    uint64_t vads = vml_vad_count(r->p);
    vml_va big = halloc(r->p, h, VML_HEAP_ZERO_MEMORY, MB(1));
    assert_int_equal(0x40, big & 0xFFFF);
    assert_int_equal(vads + 1, vml_vad_count(r->p));
    assert_int_equal(MB(1), hsize(r->p, h, big));
    vml_mbi mbi = query(r->p, big);
    assert_int_equal(big - 0x40, mbi.AllocationBase);
    /* fresh pages are zero: HEAP_ZERO_MEMORY touched only the header's page */
    vml_page_info pg;
    assert_int_equal(VML_OK, vml_page_query(r->p, big, &pg));
    assert_true(pg.resident);
    assert_int_equal(VML_OK, vml_page_query(r->p, big + PAGE, &pg));
    assert_false(pg.resident);
    vml_heap_info hi = hinfo(r->p, h);
    assert_int_equal(1, hi.n_large);
    /* just below the threshold stays in the heap */
    vml_va edge = halloc(r->p, h, 0, 0xFE000 - 16);
    assert_true(edge < big - 0x40 || edge > big);
    assert_int_equal(1, hinfo(r->p, h).n_large);
    assert_int_equal(0, vml_win_HeapFree(r->p, h, 0, big));
    assert_int_equal(vads, vml_vad_count(r->p));          /* its VirtualAlloc went */
    assert_int_equal(0, hinfo(r->p, h).n_large);
}

/* HeapReAlloc: grows into the free block after it, shrinks in place, moves
** otherwise (keeping the bytes); HEAP_REALLOC_IN_PLACE_ONLY fails instead
** of moving. */
static void heaprealloc_grows_in_place_or_moves(void **state)
{
    struct rig *r = *state;
    vml_va out;
    win_up(r, VML_PAGING_4LEVEL);
    vml_va h = process_heap(r->p);
    vml_va a = halloc(r->p, h, 0, 0x40);
    assert_int_equal(VML_OK, vml_mem_write(r->p, 0, a, "hello", 6, NULL));
    assert_int_equal(0, vml_win_HeapReAlloc(r->p, h, VML_HEAP_REALLOC_IN_PLACE_ONLY, a, 0x400,
                                            &out));
    assert_int_equal(a, out);
    assert_int_equal(0x400, hsize(r->p, h, a));
    vml_va b = halloc(r->p, h, 0, 0x20);                 /* right after a */
    assert_int_equal(a + 0x410, b);
    assert_int_equal(VML_ERROR_NOT_ENOUGH_MEMORY,
                     vml_win_HeapReAlloc(r->p, h, VML_HEAP_REALLOC_IN_PLACE_ONLY, a, 0x800, &out));
    assert_int_equal(0x400, hsize(r->p, h, a));
    assert_int_equal(0, vml_win_HeapReAlloc(r->p, h, VML_HEAP_ZERO_MEMORY, a, 0x800, &out));
    assert_true(out != a);
    char buf[8] = { 0 };
    uint8_t z = 1;
    assert_int_equal(VML_OK, vml_mem_read(r->p, 0, out, buf, 6, NULL));
    assert_string_equal("hello", buf);
    assert_int_equal(VML_OK, vml_mem_read(r->p, 0, out + 0x7FF, &z, 1, NULL));
    assert_int_equal(0, z);
    assert_int_equal(VML_ERROR_INVALID_PARAMETER, vml_win_HeapSize(r->p, h, 0, a, &(uint64_t){0}));
    assert_int_equal(0, vml_win_HeapReAlloc(r->p, h, 0, out, 0x10, &a));
    assert_int_equal(out, a);                            /* shrunk in place */
    assert_int_equal(0x10, hsize(r->p, h, a));
    assert_false(hinfo(r->p, h).corrupt);
}

/* A program that writes past its block breaks the next header: the heap
** reports STATUS_HEAP_CORRUPTION instead of following it, and changes
** nothing. */
static void an_overwritten_header_is_heap_corruption(void **state)
{
    struct rig *r = *state;
    vml_va out;
    win_up(r, VML_PAGING_4LEVEL);
    vml_va h = process_heap(r->p);
    vml_va a = halloc(r->p, h, 0, 0x20), b = halloc(r->p, h, 0, 0x20);
    assert_int_equal(0, vml_win_HeapFree(r->p, h, 0, b));
    uint8_t junk[16];
    memset(junk, 0x41, sizeof junk);
    assert_int_equal(VML_OK, vml_mem_write(r->p, 0, a + 0x20, junk, sizeof junk, NULL));
    assert_int_equal(VML_STATUS_HEAP_CORRUPTION, vml_win_HeapAlloc(r->p, h, 0, 0x20, &out));
    vml_heap_info hi = hinfo(r->p, h);
    assert_true(hi.corrupt);
    assert_true(strlen(hi.problem) > 0);
    /* the handle's heap still frees what it can check: a's own header is good */
    assert_int_equal(VML_STATUS_HEAP_CORRUPTION, vml_win_HeapFree(r->p, h, 0, a));
}

/* HeapDestroy releases every segment and large block; the process heap
** cannot be destroyed (Wine 8: ERROR_INVALID_HANDLE); the PEB's heap list
** follows. */
static void heapdestroy_releases_everything_but_not_the_process_heap(void **state)
{
    struct rig *r = *state;
    vml_va g;
    win_up(r, VML_PAGING_4LEVEL);
    vml_va h = process_heap(r->p);
    size_t vads = vml_vad_count(r->p);
    assert_int_equal(0, vml_win_HeapCreate(r->p, 0, 0, 0, &g));
    halloc(r->p, g, 0, MB(2));
    halloc(r->p, g, 0, 0x100);
    vml_peb_info pi;
    assert_int_equal(VML_OK, vml_peb_get(r->p, &pi));
    assert_int_equal(2, pi.number_of_heaps);
    assert_int_equal(2, vml_heap_list(r->p, NULL, 0));
    assert_int_equal(0, vml_win_HeapDestroy(r->p, g));
    assert_int_equal(vads, vml_vad_count(r->p));
    assert_int_equal(VML_ERROR_INVALID_HANDLE, vml_win_HeapDestroy(r->p, g));
    assert_int_equal(VML_ERROR_INVALID_HANDLE, vml_win_HeapDestroy(r->p, h));
    assert_int_equal(VML_OK, vml_peb_get(r->p, &pi));
    assert_int_equal(1, pi.number_of_heaps);
    assert_int_equal(h, pi.process_heap);
}

/* A 32-bit process: 8-byte HEAP_ENTRYs, the threshold 0x7F000. */
static void a_32_bit_heap_has_8_byte_entries(void **state)
{
    struct rig *r = *state;
    win_up(r, VML_PAGING_PAE);
    vml_va h = process_heap(r->p);
    vml_heap_info hi = hinfo(r->p, h);
    assert_int_equal(8, hi.granularity);
    assert_int_equal(4, hi.ptr_size);
    assert_int_equal(0x7F000, hi.vm_threshold);
    vml_va a = halloc(r->p, h, 0, 1), b = halloc(r->p, h, 0, 1);
    assert_int_equal(a + 16, b);
    uint32_t sig = 0;
    assert_int_equal(VML_OK, vml_mem_read(r->p, 0, h + 0x64, &sig, 4, NULL));
    assert_int_equal(0xEEFFEEFF, sig);
    vml_va big = halloc(r->p, h, 0, 0x80000);
    assert_int_equal(0x20, big & 0xFFFF);
    assert_int_equal(1, hinfo(r->p, h).n_large);
}

/* A plain process has no process heap, but may create heaps. */
static void a_plain_process_has_no_process_heap(void **state)
{
    struct rig *r = *state;
    vml_va h = 1, g;
    rig_up(r, MB(16), 0);
    assert_int_equal(VML_ERROR_INVALID_HANDLE, vml_win_GetProcessHeap(r->p, &h));
    assert_int_equal(0, h);
    assert_int_equal(0, vml_win_HeapCreate(r->p, 0, 0, 0, &g));
    assert_int_equal(1, vml_heap_list(r->p, NULL, 0));
    halloc(r->p, g, 0, 10);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(a_heap_keeps_its_headers_in_the_process,
                                        rig_setup_empty, rig_teardown),
        cmocka_unit_test_setup_teardown(freed_neighbours_coalesce_and_best_fit_reuses_them,
                                        rig_setup_empty, rig_teardown),
        cmocka_unit_test_setup_teardown(bad_pointers_fail_invalid_parameter_and_change_nothing,
                                        rig_setup_empty, rig_teardown),
        cmocka_unit_test_setup_teardown(a_fixed_heap_fails_when_full,
                                        rig_setup_empty, rig_teardown),
        cmocka_unit_test_setup_teardown(a_growable_heap_commits_adds_segments_and_decommits,
                                        rig_setup_empty, rig_teardown),
        cmocka_unit_test_setup_teardown(a_large_block_gets_its_own_virtualalloc,
                                        rig_setup_empty, rig_teardown),
        cmocka_unit_test_setup_teardown(heaprealloc_grows_in_place_or_moves,
                                        rig_setup_empty, rig_teardown),
        cmocka_unit_test_setup_teardown(an_overwritten_header_is_heap_corruption,
                                        rig_setup_empty, rig_teardown),
        cmocka_unit_test_setup_teardown(heapdestroy_releases_everything_but_not_the_process_heap,
                                        rig_setup_empty, rig_teardown),
        cmocka_unit_test_setup_teardown(a_32_bit_heap_has_8_byte_entries,
                                        rig_setup_empty, rig_teardown),
        cmocka_unit_test_setup_teardown(a_plain_process_has_no_process_heap,
                                        rig_setup_empty, rig_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
