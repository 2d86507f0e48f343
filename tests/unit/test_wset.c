/*
** test_wset.c -- working sets and the global replacement policies on a
** machine: trimming to the maximum, aging with the Accessed bit, the
** oldest pages trimmed first, and FIFO/LRU/MRU/CLOCK evicting without
** trimming and without losing a byte.
*/
#include "testutil.h"

/* ---- working sets ------------------------------------------------------------ */

static void working_set_is_trimmed_to_its_maximum(void **state)
{
    struct rig r;
    (void)state;
    rig_up(&r, MB(16), MB(16));
    vml_va va = alloc(r.p, 100 * PAGE);
    assert_int_equal(VML_OK, vml_ws_set(r.p, 10, 20));
    for (unsigned i = 0; i < 100; i++)
        write_byte(r.p, va + i * PAGE, (uint8_t)i);
    assert_int_equal(20 * PAGE, proc_stat(r.p, "working_set"));
    assert_int_equal(80, proc_stat(r.p, "pages_trimmed"));
    /* min above max is refused and changes nothing */
    assert_int_equal(VML_E_INVALID, vml_ws_set(r.p, 30, 20));
    assert_int_equal(20, proc_stat(r.p, "ws_max_pages"));
    /* a lower maximum trims at once */
    assert_int_equal(VML_OK, vml_ws_set(r.p, 5, 8));
    assert_int_equal(8 * PAGE, proc_stat(r.p, "working_set"));
    for (unsigned i = 0; i < 100; i++) {
        uint8_t b;
        assert_int_equal(VML_OK, vml_mem_read(r.p, 0, va + i * PAGE, &b, 1, NULL));
        assert_int_equal((uint8_t)i, b);
    }
    vml_machine_destroy(r.m);
}

static void aging_clears_accessed_and_the_next_touch_sets_it_again(void **state)
{
    struct rig r;
    vml_wsle e[4];
    (void)state;
    rig_up(&r, MB(16), 0);
    vml_va va = alloc(r.p, 2 * PAGE);
    read_byte(r.p, va);
    read_byte(r.p, va + PAGE);
    assert_int_equal(2, vml_wsle_list(r.p, e, 4));
    assert_int_equal(1, e[0].accessed);
    assert_int_equal(VML_OK, vml_tick(r.m, 1));
    assert_int_equal(2, vml_wsle_list(r.p, e, 4));
    assert_int_equal(0, e[0].accessed);
    assert_int_equal(0, e[0].age);
    assert_int_equal(VML_OK, vml_tick(r.m, 2));
    vml_wsle_list(r.p, e, 4);
    assert_int_equal(2, e[0].age);
    /* The TLB entry went with the A bit: the touch walks and sets A. */
    read_byte(r.p, va);
    vml_wsle_list(r.p, e, 4);
    assert_int_equal(1, e[0].accessed);
    assert_int_equal(VML_OK, vml_tick(r.m, 1));
    vml_wsle_list(r.p, e, 4);
    assert_int_equal(0, e[0].age);
    assert_int_equal(3, e[1].age);
    vml_machine_destroy(r.m);
}

static void trimming_takes_the_oldest_pages_first(void **state)
{
    struct rig r;
    (void)state;
    rig_up(&r, MB(16), 0);
    vml_va va = alloc(r.p, 8 * PAGE);
    for (unsigned i = 0; i < 8; i++)
        read_byte(r.p, va + i * PAGE);
    assert_int_equal(VML_OK, vml_tick(r.m, 3));
    /* pages 4..7 used again: young; 0..3 are old */
    for (unsigned i = 4; i < 8; i++)
        read_byte(r.p, va + i * PAGE);
    assert_int_equal(VML_OK, vml_tick(r.m, 1));
    assert_int_equal(VML_OK, vml_ws_set(r.p, 0, 4));
    for (unsigned i = 0; i < 8; i++)
        assert_int_equal(i < 4 ? VML_PTE_TRANSITION : VML_PTE_VALID, pte_at(r.p, va + i * PAGE).kind);
    vml_machine_destroy(r.m);
}

/* ---- global policies on a machine -------------------------------------------- */

static void global_policy_evicts_without_trimming(void **state)
{
    (void)state;
    static const vml_policy pols[] = { VML_POLICY_FIFO, VML_POLICY_LRU, VML_POLICY_MRU,
                                       VML_POLICY_CLOCK, VML_POLICY_CLOCK0 };
    for (unsigned k = 0; k < sizeof pols / sizeof pols[0]; k++) {
        vml_proc *p;
        vml_machine *m = new_machine(MB(2), MB(8), pols[k]);
        assert_int_equal(VML_OK, vml_proc_create(m, "A", &p));
        vml_va va = alloc(p, 700 * PAGE);
        for (unsigned round = 0; round < 2; round++)
            for (unsigned i = 0; i < 700; i++)
                fill_page(p, va + i * PAGE, round * 1000 + i);
        for (unsigned i = 0; i < 700; i++)
            assert_int_equal(0, page_diff(p, va + i * PAGE, 1000 + i, 1));
        assert_int_equal(0, sys_stat(m, "pages_trimmed"));
        assert_true(sys_stat(m, "evictions") > 0);
        assert_true(sys_stat(m, "writebacks") > 0);
        vml_machine_destroy(m);
    }
    /* OPT needs the future: refused on a live machine, with a reason. */
    vml_config cfg;
    vml_machine *m = NULL;
    char err[200];
    vml_config_default(&cfg);
    cfg.policy = VML_POLICY_OPT;
    assert_int_equal(VML_E_UNSUPPORTED, vml_machine_create_msg(&cfg, &m, err, sizeof err));
    assert_null(m);
    assert_non_null(strstr(err, "future"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(working_set_is_trimmed_to_its_maximum),
        cmocka_unit_test(aging_clears_accessed_and_the_next_touch_sets_it_again),
        cmocka_unit_test(trimming_takes_the_oldest_pages_first),
        cmocka_unit_test(global_policy_evicts_without_trimming),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
