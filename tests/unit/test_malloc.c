/*
** test_malloc.c -- the program break (os/brk.c) and glibc's malloc
** (os/malloc.c).  The expected addresses are what glibc 2.36 gives on this
** machine (setarch -R, a C program printing sbrk(0) and malloc's
** pointers): the first malloc(1) at the break + 0x2a0 after the tcache's
** chunk, a 132 KiB [heap], malloc(100) 0x70 bytes later.
*/
#include "testutil.h"

#define KB(n) ((uint64_t)(n) << 10)

static vml_posix_process_info lx_up(struct rig *r)
{
    vml_config cfg;
    vml_posix_process_info pi;
    vml_config_default(&cfg);
    cfg.ram_bytes = MB(32);
    cfg.flags |= VML_CFG_NO_ASLR;
    rig_up_cfg(r, &cfg);
    assert_int_equal(0, vml_posix_process_setup(r->p, NULL, &pi));
    return pi;
}

static vml_va mal(vml_proc *p, uint64_t n)
{
    vml_va out = 0;
    assert_int_equal(0, vml_posix_malloc(p, n, &out));
    return out;
}

static vml_va cur_brk(vml_proc *p)
{
    vml_va b = 0;
    assert_int_equal(0, vml_posix_brk(p, 0, &b));
    return b;
}

/* brk(2): growth makes a [heap] VMA; shrinking unmaps; below start_brk
** the old break comes back; sbrk returns the old break. */
static void brk_grows_shrinks_and_refuses_below_its_start(void **state)
{
    struct rig *r = *state;
    vml_posix_process_info pi = lx_up(r);
    vml_va start = pi.start_brk, now = 0, old = 0;
    assert_int_equal(0x555555554000, start);       /* no image: ELF_ET_DYN_BASE, ASLR off */
    assert_int_equal(start, cur_brk(r->p));
    assert_int_equal(0, vml_posix_brk(r->p, start + 0x3000, &now));
    assert_int_equal(start + 0x3000, now);
    vml_vad_info v;
    assert_int_equal(VML_OK, vml_vad_next(r->p, start, &v));
    assert_string_equal("[heap]", v.name);
    assert_int_equal(3, v.end_vpn - v.start_vpn + 1);
    assert_int_equal(0, vml_posix_brk(r->p, start + 0x5800, &now));   /* extends */
    assert_int_equal(VML_OK, vml_vad_next(r->p, start, &v));
    assert_int_equal(6, v.end_vpn - v.start_vpn + 1);
    assert_int_equal(0, vml_posix_brk(r->p, start - PAGE, &now));      /* refused */
    assert_int_equal(start + 0x5800, now);
    assert_int_equal(0, vml_posix_sbrk(r->p, -0x4800, &old));          /* shrinks */
    assert_int_equal(start + 0x5800, old);
    assert_int_equal(VML_OK, vml_vad_next(r->p, start, &v));
    assert_int_equal(1, v.end_vpn - v.start_vpn + 1);
    assert_int_equal(start + PAGE, cur_brk(r->p));
    /* into another mapping (one page short of it): refused, ENOMEM from sbrk */
    vml_va got;
    assert_int_equal(0, vml_posix_mmap(r->p, start + 0x10000, PAGE, VML_PROT_READ,
                                       VML_MAP_PRIVATE | VML_MAP_ANONYMOUS | VML_MAP_FIXED, -1, 0,
                                       &got));
    assert_int_equal(VML_ENOMEM, vml_posix_sbrk(r->p, 0xF000, &old));
    assert_int_equal(0, vml_posix_sbrk(r->p, 0xE000, &old));
    assert_int_equal(start + 0xF000, cur_brk(r->p));
}

/* malloc as glibc 2.36 lays it out: the tcache first (0x290 bytes), the
** first pointer at +0x2a0, the first brk 132 KiB (top_pad). */
static void malloc_lays_out_chunks_as_glibc(void **state)
{
    struct rig *r = *state;
    vml_posix_process_info pi = lx_up(r);
    vml_va a = mal(r->p, 1), b = mal(r->p, 100), c = mal(r->p, 200);
    assert_int_equal(pi.start_brk + 0x2a0, a);
    assert_int_equal(a + 0x20, b);
    assert_int_equal(b + 0x70, c);
    assert_int_equal(pi.start_brk + KB(132), cur_brk(r->p));
    uint64_t size = 0, hdr = 0;
    assert_int_equal(0, vml_posix_malloc_usable_size(r->p, b, &size));
    assert_int_equal(0x68, size);
    assert_int_equal(VML_OK, vml_mem_read(r->p, 0, b - 8, &hdr, 8, NULL));
    assert_int_equal(0x71, hdr);                  /* 0x70 | PREV_INUSE */
    /* freed into the tcache, then given back for the same size */
    assert_int_equal(0, vml_posix_free(r->p, b));
    assert_int_equal(b, mal(r->p, 100));
}

/* free's checks: a second free of a tcache chunk, a pointer inside a
** chunk; EINVAL with glibc's message, nothing changed. */
static void free_refuses_what_glibc_aborts_on(void **state)
{
    struct rig *r = *state;
    lx_up(r);
    vml_va a = mal(r->p, 40);
    mal(r->p, 40);
    assert_int_equal(0, vml_posix_free(r->p, a));
    assert_int_equal(VML_EINVAL, vml_posix_free(r->p, a));
    assert_non_null(strstr(vml_last_error(vml_proc_machine(r->p)),
                           "free(): double free detected in tcache 2"));
    assert_int_equal(VML_EINVAL, vml_posix_free(r->p, a + 8));
    assert_non_null(strstr(vml_last_error(vml_proc_machine(r->p)), "free(): invalid pointer"));
    assert_int_equal(a, mal(r->p, 40));            /* the tcache was left as it was */
}

/* Past the tcache (7 per size) chunks coalesce with free neighbours and
** the top; a double free of such a chunk is "double free or corruption
** (!prev)". */
static void chunks_past_the_tcache_coalesce(void **state)
{
    struct rig *r = *state;
    lx_up(r);
    vml_va x[9], guard;
    for (int i = 0; i < 9; i++)
        x[i] = mal(r->p, 0x100);
    guard = mal(r->p, 0x10);
    for (int i = 0; i < 9; i++)
        assert_int_equal(0, vml_posix_free(r->p, x[i]));
    /* x[0..6] fill the tcache; x[7] and x[8] coalesce into one chunk */
    assert_int_equal(x[7], mal(r->p, 0x200));
    assert_int_equal(VML_EINVAL, vml_posix_free(r->p, x[8]));
    (void)guard;
}

/* M_MMAP_THRESHOLD: 128 KiB and more get an mmap of their own; freeing
** one raises the threshold to its size (and the trim threshold to
** twice), so the next one of that size comes from the heap. */
static void large_requests_use_mmap_and_the_threshold_moves(void **state)
{
    struct rig *r = *state;
    vml_posix_process_info pi = lx_up(r);
    mal(r->p, 1);
    mal(r->p, 0x2000);          /* the top (132 KiB less these) cannot hold 128 KiB now */
    vml_va big = mal(r->p, KB(128));
    assert_int_equal(0x10, big & 0xFFF);
    assert_true(big > pi.start_brk + MB(1));
    vml_va small = mal(r->p, KB(128) - 24);
    assert_true(small < pi.start_brk + MB(1));   /* below the threshold: brk */
    assert_int_equal(0, vml_posix_free(r->p, big));
    vml_va again = mal(r->p, KB(128));
    assert_true(again < pi.start_brk + MB(1));   /* the threshold is 0x21000 now */
}

/* The top is trimmed with brk when a free leaves it past trim_threshold. */
static void a_large_top_is_given_back_with_brk(void **state)
{
    struct rig *r = *state;
    vml_posix_process_info pi = lx_up(r);
    mal(r->p, 1);
    vml_va a = mal(r->p, KB(100)), b = mal(r->p, KB(100));
    vml_va high = cur_brk(r->p);
    assert_true(high > pi.start_brk + KB(200));
    assert_int_equal(0, vml_posix_free(r->p, b));
    assert_int_equal(0, vml_posix_free(r->p, a));
    /* top_pad (128 KiB) is kept: the break falls back */
    assert_true(cur_brk(r->p) < high);
    assert_true(cur_brk(r->p) >= pi.start_brk + KB(128));
}

/* calloc clears what may hold data (a chunk from the free list: not the
** tcache, which calloc skips); realloc grows into the top in place and
** moves when it must, keeping the bytes. */
static void calloc_and_realloc(void **state)
{
    struct rig *r = *state;
    vml_va p, q, t, out;
    lx_up(r);
    p = mal(r->p, 0x500);                         /* past the tcache's sizes */
    mal(r->p, 16);                                /* keeps p from the top */
    assert_int_equal(VML_OK, vml_mem_write(r->p, 0, p, "abcdefgh", 8, NULL));
    assert_int_equal(0, vml_posix_free(r->p, p));
    assert_int_equal(0, vml_posix_calloc(r->p, 0x50, 16, &q));
    assert_int_equal(p, q);
    uint64_t v = 1;
    assert_int_equal(VML_OK, vml_mem_read(r->p, 0, q, &v, 8, NULL));
    assert_int_equal(0, v);
    assert_int_equal(VML_ENOMEM, vml_posix_calloc(r->p, UINT64_MAX / 2, 4, &out));
    t = mal(r->p, 64);
    assert_int_equal(VML_OK, vml_mem_write(r->p, 0, t, "abcdefgh", 8, NULL));
    assert_int_equal(0, vml_posix_realloc(r->p, t, 0x1000, &out));
    assert_int_equal(t, out);                     /* the next chunk was the top */
    mal(r->p, 16);
    assert_int_equal(0, vml_posix_realloc(r->p, t, 0x3000, &out));
    assert_true(out != t);
    char buf[9] = { 0 };
    assert_int_equal(VML_OK, vml_mem_read(r->p, 0, out, buf, 8, NULL));
    assert_string_equal("abcdefgh", buf);
    assert_int_equal(0, vml_posix_realloc(r->p, out, 0, &q));
    assert_int_equal(0, q);
}

/* fork copies the arena's state: the child's malloc continues where the
** parent's was, in its own (copy-on-write) memory. */
static void fork_keeps_the_arena(void **state)
{
    struct rig *r = *state;
    unsigned pid;
    lx_up(r);
    vml_va a = mal(r->p, 32);
    assert_int_equal(0, vml_posix_fork(r->p, "child", &pid));
    vml_proc *c = vml_proc_by_pid(r->m, pid);
    vml_va b = 0, cb = 0;
    assert_int_equal(0, vml_posix_malloc(r->p, 32, &b));
    assert_int_equal(0, vml_posix_malloc(c, 32, &cb));
    assert_int_equal(b, cb);
    assert_int_equal(0, vml_posix_free(c, a));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(brk_grows_shrinks_and_refuses_below_its_start,
                                        rig_setup_empty, rig_teardown),
        cmocka_unit_test_setup_teardown(malloc_lays_out_chunks_as_glibc,
                                        rig_setup_empty, rig_teardown),
        cmocka_unit_test_setup_teardown(free_refuses_what_glibc_aborts_on,
                                        rig_setup_empty, rig_teardown),
        cmocka_unit_test_setup_teardown(chunks_past_the_tcache_coalesce,
                                        rig_setup_empty, rig_teardown),
        cmocka_unit_test_setup_teardown(large_requests_use_mmap_and_the_threshold_moves,
                                        rig_setup_empty, rig_teardown),
        cmocka_unit_test_setup_teardown(a_large_top_is_given_back_with_brk,
                                        rig_setup_empty, rig_teardown),
        cmocka_unit_test_setup_teardown(calloc_and_realloc, rig_setup_empty, rig_teardown),
        cmocka_unit_test_setup_teardown(fork_keeps_the_arena, rig_setup_empty, rig_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
