/*
** test_aslr.c -- placements by ASLR (os/aslr.c): one seed lays a process
** out the same way twice, two seeds differently; every draw within the
** range its source gives; machine aslr=off gives the systems' fixed
** places (Linux's randomize_va_space=0 values, checked on this machine
** with setarch -R; Windows' first fit and its PEB below the top).
*/
#include "testutil.h"

struct layout {
    vml_va peb, teb, stack, heap, params;           /* Win32 */
    vml_va lstack_end, sp, brk, mmap_base, random;  /* posix */
    uint8_t random_bytes[16];
};

static vml_machine *machine(uint64_t seed, unsigned aslr, vml_paging paging)
{
    vml_config cfg;
    vml_config_default(&cfg);
    cfg.ram_bytes = MB(16);
    cfg.seed = seed;
    if (!aslr)
        cfg.flags |= VML_CFG_NO_ASLR;
    cfg.paging = paging;
    return new_machine_cfg(&cfg);
}

static struct layout lay_out(uint64_t seed, unsigned aslr, vml_paging paging)
{
    struct layout l = { 0 };
    vml_machine *m = machine(seed, aslr, paging);
    vml_proc *w = new_proc(m, "W"), *x = new_proc(m, "X");
    vml_peb_info pi;
    vml_thread_info t;
    vml_posix_process_info xi;
    assert_int_equal(0, vml_win_process_setup(w, NULL));
    assert_int_equal(VML_OK, vml_peb_get(w, &pi));
    assert_int_equal(1, vml_thread_list(w, &t, 1));
    l.peb = pi.address;
    l.teb = t.teb;
    l.stack = t.stack_alloc;
    l.heap = pi.process_heap;
    l.params = pi.process_parameters;
    assert_int_equal(0, vml_posix_process_setup(x, NULL, &xi));
    l.lstack_end = xi.stack_end;
    l.sp = xi.sp;
    l.brk = xi.start_brk;
    l.mmap_base = xi.mmap_base;
    l.random = xi.random;
    assert_int_equal(VML_OK, vml_mem_read(x, 0, xi.random, l.random_bytes, 16, NULL));
    tu_assert_eq(VML_OK, vml_machine_check(m));
    vml_machine_destroy(m);
    return l;
}

static void one_seed_gives_one_layout_two_seeds_two(void **state)
{
    (void)state;
    struct layout a = lay_out(42, 1, VML_PAGING_4LEVEL), b = lay_out(42, 1, VML_PAGING_4LEVEL);
    struct layout c = lay_out(43, 1, VML_PAGING_4LEVEL);
    assert_memory_equal(&a, &b, sizeof a);
    assert_true(a.peb != c.peb);
    assert_true(a.heap != c.heap);
    assert_true(a.stack != c.stack);
    assert_true(a.lstack_end != c.lstack_end);
    assert_true(a.brk != c.brk);
    assert_true(a.mmap_base != c.mmap_base);
    assert_memory_not_equal(a.random_bytes, c.random_bytes, 16);
}

/* The ranges: Linux x86-64 -- the stack top within 16 GiB (22 bits of
** pages) below STACK_TOP, mmap_base within 2^28 pages below its highest,
** brk within 1 GiB above ELF_ET_DYN_BASE; Windows x64 -- everything below
** the 1 TiB bottom-up range plus the 5 bits above it. */
static void draws_stay_in_their_ranges(void **state)
{
    (void)state;
    for (uint64_t seed = 1; seed <= 20; seed++) {
        struct layout l = lay_out(seed, 1, VML_PAGING_4LEVEL);
        assert_true(l.lstack_end <= UINT64_C(0x7FFFFFFF0000));
        assert_true(l.lstack_end >= UINT64_C(0x7FFFFFFF0000) - (UINT64_C(0x400000) << 12) - 0x2000);
        uint64_t mmap_top = UINT64_C(0x7FFFFFFFF000) - UINT64_C(0x4008FF000);
        assert_true(l.mmap_base <= mmap_top);
        assert_true(l.mmap_base > mmap_top - (UINT64_C(1) << 40));
        assert_true(l.brk >= UINT64_C(0x555555554000));
        assert_true(l.brk < UINT64_C(0x555555554000) + (UINT64_C(1) << 30));
        assert_int_equal(0, l.brk & 0xFFF);
        assert_int_equal(0, l.sp & 15);
        assert_true(l.peb < (UINT64_C(1) << 40) + (UINT64_C(1) << 21));
        assert_int_equal(0, l.heap & 0xFFFF);
        assert_int_equal(0, l.stack & 0xFFFF);
    }
}

/* ASLR off: Linux's randomize_va_space=0 places (the mmap base
** 0x7ffff7fff000 and a PIE's 0x555555554000 as setarch -R shows them; the
** stack at vmlab's top of user space); Windows: first fit from the bottom
** and the PEB at 0x7FFFFFFDF000 (0x7FFDF000 on 32-bit). */
static void aslr_off_gives_the_fixed_places(void **state)
{
    (void)state;
    struct layout l = lay_out(42, 0, VML_PAGING_4LEVEL), k = lay_out(99, 0, VML_PAGING_4LEVEL);
    assert_int_equal(UINT64_C(0x7FFFF7FFF000), l.mmap_base);
    assert_int_equal(UINT64_C(0x7FFFFFFF0000), l.lstack_end);
    assert_int_equal(UINT64_C(0x555555554000), l.brk);
    assert_int_equal(UINT64_C(0x7FFFFFFDF000), l.peb);
    assert_int_equal(l.peb - 2 * PAGE, l.teb);
    assert_int_equal(0x10000, l.params);           /* first fit from the bottom */
    assert_int_equal(0x20000, l.stack);
    assert_int_equal(0x120000, l.heap);
    /* seeds do not matter then, but AT_RANDOM's bytes still come from them */
    assert_int_equal(l.peb, k.peb);
    assert_int_equal(l.sp, k.sp);
    assert_memory_not_equal(l.random_bytes, k.random_bytes, 16);
    struct layout p = lay_out(42, 0, VML_PAGING_PAE);
    assert_int_equal(0x7FFDF000, p.peb);
    assert_int_equal(0x7FFDE000, p.teb);
    assert_int_equal(0x77FFF000, p.mmap_base);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(one_seed_gives_one_layout_two_seeds_two),
        cmocka_unit_test(draws_stay_in_their_ranges),
        cmocka_unit_test(aslr_off_gives_the_fixed_places),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
