/*
** test_machine.c -- a vml_machine and its processes: configurations refused
** with a reason, and a destroyed process giving every frame back.
*/
#include "testutil.h"

/* ---- configurations ---------------------------------------------------------- */

static void bad_configurations_are_refused_with_a_reason(void **state)
{
    vml_config cfg;
    vml_machine *m = NULL;
    char err[200];
    (void)state;
    vml_config_default(&cfg);
    cfg.pagefile_bytes = 1000;
    assert_int_equal(VML_E_RANGE, vml_machine_create_msg(&cfg, &m, err, sizeof err));
    assert_non_null(strstr(err, "pagefile"));
    vml_config_default(&cfg);
    cfg.ws_min_pages = 100;
    cfg.ws_max_pages = 10;
    assert_int_equal(VML_E_INVALID, vml_machine_create_msg(&cfg, &m, err, sizeof err));
    vml_config_default(&cfg);
    cfg.pagefile_bytes = MB(1);
    cfg.pagefile_path = "/proc/self/nonexistent-dir/pagefile";
    assert_int_equal(VML_E_IO, vml_machine_create_msg(&cfg, &m, err, sizeof err));
    assert_non_null(strstr(err, "pagefile"));
    cfg.pagefile_path = "/dev/null";
    assert_int_equal(VML_E_INVALID, vml_machine_create_msg(&cfg, &m, err, sizeof err));
    assert_null(m);
}

/* ---- processes --------------------------------------------------------------- */

static void destroying_a_process_returns_every_frame(void **state)
{
    struct rig r;
    vml_proc *b;

    (void)state;
    rig_up_paging(&r, UINT64_C(4) << 20, VML_PAGING_4LEVEL);
    uint64_t active = vml_list_count(r.m, VML_LIST_ACTIVE);
    uint64_t tables = sys_stat(r.m, "pagetable_pages");
    assert_int_equal(VML_OK, vml_proc_create(r.m, "B", &b));
    vml_va va = 0;
    assert_int_equal(0, vml_win_VirtualAlloc(b, 0x40000000, 0x400000,
                                             VML_MEM_RESERVE | VML_MEM_COMMIT,
                                             VML_PAGE_READWRITE, &va));
    for (vml_va x = va; x < va + 0x400000; x += 0x40000) {
        uint8_t one = 1;
        assert_int_equal(VML_OK, vml_mem_write(b, 0, x, &one, 1, NULL));
    }
    assert_int_equal(0, vml_win_VirtualProtect(b, va, 0x1000, VML_PAGE_NOACCESS,
                                               &(uint32_t){ 0 }));   /* one on modified */
    assert_true(vml_list_count(r.m, VML_LIST_ACTIVE) > active + 16);
    assert_int_equal(VML_OK, vml_proc_destroy(b));
    assert_int_equal(active, vml_list_count(r.m, VML_LIST_ACTIVE));
    assert_int_equal(tables, sys_stat(r.m, "pagetable_pages"));
    assert_int_equal(0, sys_stat(r.m, "modified_pages"));
    assert_int_equal(1, sys_stat(r.m, "processes"));
    rig_down(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(bad_configurations_are_refused_with_a_reason),
        cmocka_unit_test(destroying_a_process_returns_every_frame),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
