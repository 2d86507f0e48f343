/*
** test_scale.c -- huge machines and background work at scale: data=off
** (frames without contents, page tables kept, files refused), the aging
** pass that visits a bounded slice of a large working set, and the
** low-memory pass that is not repeated at every fault when it can free
** nothing (no pagefile).
*/
#include "testutil.h"

static vml_machine *no_data_machine(uint64_t ram, uint64_t pagefile)
{
    vml_config cfg;
    vml_config_default(&cfg);
    cfg.ram_bytes = ram;
    cfg.pagefile_bytes = pagefile;
    cfg.flags |= VML_CFG_NO_DATA;
    return new_machine_cfg(&cfg);
}

/* Writes land nowhere, reads give zero, faults happen as with data. */
static void data_off_reads_zero_and_faults_as_usual(void **state)
{
    vml_machine *m = no_data_machine(UINT64_C(16) << 20, 0);
    vml_proc *p = new_proc(m, "A");
    vml_va va = alloc(p, 64 << 12);
    uint64_t v = 0x1122334455667788, got = 1;

    (void)state;
    assert_int_equal(VML_OK, vml_mem_write(p, 0, va + 8, &v, 8, NULL));
    assert_int_equal(VML_OK, vml_mem_read(p, 0, va + 8, &got, 8, NULL));
    assert_int_equal(0, got);
    assert_int_equal(1, sys_stat(m, "demand_zero_faults"));
    assert_int_equal(VML_OK, vml_machine_check(m));
    vml_machine_destroy(m);
}

/* A process's page tables are kept (the walk works), and zeroed when
** they are freed, so every frame a new use takes is zero (MCH4). */
static void data_off_tables_are_zeroed_when_freed(void **state)
{
    vml_machine *m = no_data_machine(UINT64_C(16) << 20, 0);
    vml_proc *p = new_proc(m, "A");
    vml_va va = alloc(p, 512 << 12);
    vml_va vas[512];

    (void)state;
    for (int i = 0; i < 512; i++)
        vas[i] = va + ((vml_va)i << 12);
    assert_int_equal(VML_OK, vml_mem_batch(p, 0, vas, 512, VML_ACCESS_WRITE, NULL, NULL, NULL));
    assert_int_equal(512, sys_stat(m, "demand_zero_faults"));
    assert_int_equal(VML_OK, vml_proc_destroy(p));
    assert_int_equal(VML_OK, vml_machine_check(m));
    /* the tables went to the free list's tail: a new process takes them */
    vml_proc *q = new_proc(m, "B");
    vml_va vb = alloc(q, 512 << 12);
    for (int i = 0; i < 512; i++)
        vas[i] = vb + ((vml_va)i << 12);
    assert_int_equal(VML_OK, vml_mem_batch(q, 0, vas, 512, VML_ACCESS_READ, NULL, NULL, NULL));
    uint64_t sum = 0;
    assert_int_equal(VML_OK, vml_mem_batch(q, 0, vas, 512, VML_ACCESS_READ, &sum, NULL, NULL));
    assert_int_equal(0, sum);
    assert_int_equal(VML_OK, vml_machine_check(m));
    vml_machine_destroy(m);
}

/* No file can be mapped: it would read nothing and write zeros back. */
static void data_off_refuses_files(void **state)
{
    vml_machine *m = no_data_machine(UINT64_C(16) << 20, 0);
    vml_proc *p = new_proc(m, "A");
    vml_handle h = 0;
    uint64_t before, after;

    (void)state;
    before = sys_stat(m, "commit_charge");
    assert_int_not_equal(VML_ERROR_SUCCESS,
                         vml_win_CreateFile(p, "data.bin", 0xC0000000u, 2 /* CREATE_ALWAYS */, &h));
    assert_non_null(strstr(vml_last_error(m), "data=off"));
    after = sys_stat(m, "commit_charge");
    assert_int_equal(before, after);
    assert_int_equal(VML_OK, vml_machine_check(m));
    vml_machine_destroy(m);
}

/* With a pagefile, pages go out and come back (counted) without bytes. */
static void data_off_pages_out_without_bytes(void **state)
{
    vml_machine *m = no_data_machine(UINT64_C(4) << 20, UINT64_C(16) << 20);
    vml_proc *p = new_proc(m, "A");
    const size_t n = 2048;                    /* 8 MiB through 4 MiB of RAM */
    vml_va va = alloc(p, n << 12);
    vml_va *vas = malloc(n * sizeof *vas);

    (void)state;
    for (size_t i = 0; i < n; i++)
        vas[i] = va + ((vml_va)i << 12);
    for (int round = 0; round < 2; round++)
        assert_int_equal(VML_OK, vml_mem_batch(p, 0, vas, n, VML_ACCESS_WRITE, NULL, NULL, NULL));
    assert_true(sys_stat(m, "pagefile_writes") > 0);
    assert_true(sys_stat(m, "hard_faults") > 0);
    assert_int_equal(VML_OK, vml_machine_check(m));
    free(vas);
    vml_machine_destroy(m);
}

/* Filling a machine without a pagefile past its low watermark: trimming
** can only move dirty pages to the modified list, so a pass cannot bring
** memory back; passes come every quarter of the watermark, not at every
** fault.  16 MiB: 4096 frames, low 64, high 128. */
static void low_memory_passes_are_spaced_when_they_free_nothing(void **state)
{
    struct rig r;
    const size_t n = 4020;
    vml_va *vas = malloc(n * sizeof *vas);
    vml_config cfg;

    (void)state;
    vml_config_default(&cfg);
    cfg.ram_bytes = UINT64_C(16) << 20;
    cfg.bg_interval = 0;                     /* only pressure runs the work */
    rig_up_cfg(&r, &cfg);
    vml_va va = alloc(r.p, n << 12);
    for (size_t i = 0; i < n; i++)
        vas[i] = va + ((vml_va)i << 12);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(VML_OK, vml_mem_batch(r.p, 0, &vas[i], 1, VML_ACCESS_WRITE, NULL, NULL,
                                               NULL));
    uint64_t runs = sys_stat(r.m, "background_runs");
    /* below low (64 available) the first pass trims 81 pages to the
    ** modified list (reclaimable reaches high, 128), then one pass per 16
    ** further frames taken: 2 passes in all (a pass at each of the ~60
    ** faults past the watermark before) */
    assert_int_equal(2, runs);
    assert_int_equal(81, sys_stat(r.m, "pages_trimmed"));
    assert_int_equal(VML_OK, vml_machine_check(r.m));
    free(vas);
    vml_machine_destroy(r.m);
}

/* A working set larger than the aging budget is aged a slice per pass:
** after one pass the first WS_AGE_BUDGET entries are older, the rest not
** yet; the next pass continues where it stopped. */
static void a_large_working_set_is_aged_a_slice_per_pass(void **state)
{
    vml_machine *m = no_data_machine(UINT64_C(256) << 20, 0);
    vml_proc *p = new_proc(m, "A");
    const size_t n = 20000;                   /* > 16384 */
    vml_va va = alloc(p, (uint64_t)n << 12);
    vml_va *vas = malloc(n * sizeof *vas);
    vml_wsle *ws = malloc(n * sizeof *ws);

    (void)state;
    for (size_t i = 0; i < n; i++)
        vas[i] = va + ((vml_va)i << 12);
    assert_int_equal(VML_OK, vml_mem_batch(p, 0, vas, n, VML_ACCESS_WRITE, NULL, NULL, NULL));
    assert_int_equal(VML_OK, vml_tick(m, 1));   /* A cleared on 16384 */
    assert_int_equal(VML_OK, vml_tick(m, 1));   /* 3616 + the first 12768 */
    size_t got = vml_wsle_list(p, ws, n);
    size_t aged = 0, young = 0;
    for (size_t i = 0; i < got; i++)
        if (ws[i].va >= va && ws[i].va < va + ((uint64_t)n << 12))
            ws[i].age ? aged++ : young++;
    /* pass 1 cleared A on slots 0..16383 (age 0); pass 2 cleared it on
    ** 16384..19999 and aged 0..12767 to 1 */
    assert_int_equal(n, aged + young);
    assert_int_equal(12768, aged);
    assert_int_equal(VML_OK, vml_machine_check(m));
    free(ws);
    free(vas);
    vml_machine_destroy(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(data_off_reads_zero_and_faults_as_usual),
        cmocka_unit_test(data_off_tables_are_zeroed_when_freed),
        cmocka_unit_test(data_off_refuses_files),
        cmocka_unit_test(data_off_pages_out_without_bytes),
        cmocka_unit_test(low_memory_passes_are_spaced_when_they_free_nothing),
        cmocka_unit_test(a_large_working_set_is_aged_a_slice_per_pass),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
