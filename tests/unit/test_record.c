/*
** test_record.c -- the recorder (mm/record.c): counters sampled every N
** accesses or ticks, deterministically, on the single-access and the
** batch paths alike; thinning when full; bad configurations refused with
** nothing changed.
*/
#include "testutil.h"

static size_t series_named(vml_machine *m, const char *counter, unsigned id)
{
    vml_rec_info info;
    vml_rec_series s;

    tu_assert_eq(VML_OK, vml_record_info(m, &info));
    for (size_t i = 0; i < info.n_series; i++) {
        tu_assert_eq(VML_OK, vml_record_series(m, i, &s));
        if (strcmp(s.counter, counter) == 0 && s.id == id)
            return i;
    }
    fail_msg("no series %s of %u", counter, id);
    return 0;
}

static const uint64_t *values_of(vml_machine *m, const char *counter, unsigned id)
{
    vml_rec_series s;

    tu_assert_eq(VML_OK, vml_record_series(m, series_named(m, counter, id), &s));
    return s.values;
}

/* Sampling every 4 accesses: one write per page of 16 fresh pages makes
** 16 demand-zero faults; a sample after the 4th, 8th, 12th, 16th access
** sees 4, 8, 12, 16 of them, and the working set grow with them. */
static void samples_every_n_accesses_see_the_faults_so_far(void **state)
{
    struct rig *r = *state;
    vml_rec_config cfg = { .clock = VML_CLOCK_ACCESSES, .every = 4 };
    vml_va va = alloc(r->p, 16 * PAGE);
    vml_rec_info info;
    uint64_t dz0 = sys_stat(r->m, "demand_zero_faults");

    tu_assert_eq(VML_OK, vml_record_start(r->m, &cfg));
    tu_assert_eq(VML_OK, vml_record_info(r->m, &info));
    uint64_t start = info.now;
    for (int i = 0; i < 16; i++)
        write_byte(r->p, va + (vml_va)i * PAGE, 1);
    tu_assert_eq(VML_OK, vml_record_info(r->m, &info));
    tu_assert_eq(start + 16, info.now);
    /* the first point is the first multiple of 4 after start */
    const uint64_t *t = vml_record_times(r->m);
    const uint64_t *dz = values_of(r->m, "demand_zero_faults", 0);
    const uint64_t *ws = values_of(r->m, "working_set", vml_proc_pid(r->p));
    tu_assert_eq(4, info.n_samples);
    for (size_t i = 0; i < info.n_samples; i++) {
        uint64_t done = t[i] - start;          /* accesses since the start */
        tu_assert_eq(0, t[i] % 4);
        tu_assert_eq(dz0 + done, dz[i]);
        tu_assert_eq(done * PAGE, ws[i]);
    }
    tu_assert_eq(VML_OK, vml_machine_check(r->m));
}

/* The batch path samples at the same access as the single-access path:
** the same accesses, one by one or in a batch, give the same samples. */
static void batch_and_single_accesses_sample_alike(void **state)
{
    (void)state;
    uint64_t times[2][64], vals[2][64];
    size_t n[2];

    for (int mode = 0; mode < 2; mode++) {
        struct rig r;
        vml_rec_config cfg = { .clock = VML_CLOCK_ACCESSES, .every = 7 };
        vml_rec_info info;
        vml_va vas[200];

        rig_up(&r, MB(8), 0);
        vml_va va = alloc(r.p, 40 * PAGE);
        for (int i = 0; i < 200; i++)
            vas[i] = va + (vml_va)(i * 13 % 40) * PAGE + (vml_va)(i % 8) * 8;
        tu_assert_eq(VML_OK, vml_record_start(r.m, &cfg));
        if (mode == 0) {
            for (int i = 0; i < 200; i++)
                tu_assert_eq(VML_OK, vml_mem_batch(r.p, 0, &vas[i], 1, VML_ACCESS_WRITE, NULL,
                                                   NULL, NULL));
        } else {
            tu_assert_eq(VML_OK, vml_mem_batch(r.p, 0, vas, 200, VML_ACCESS_WRITE, NULL, NULL,
                                               NULL));
        }
        tu_assert_eq(VML_OK, vml_record_info(r.m, &info));
        n[mode] = info.n_samples;
        tu_assert_eq(28, n[mode]);               /* 200 / 7 */
        const uint64_t *dz = values_of(r.m, "demand_zero_faults", 0);
        memcpy(times[mode], vml_record_times(r.m), n[mode] * sizeof times[0][0]);
        memcpy(vals[mode], dz, n[mode] * sizeof vals[0][0]);
        rig_down(&r);
    }
    tu_assert_eq(n[0], n[1]);
    assert_memory_equal(times[0], times[1], n[0] * sizeof times[0][0]);
    assert_memory_equal(vals[0], vals[1], n[0] * sizeof vals[0][0]);
}

/* By ticks: every 2 passes of the background work. */
static void samples_every_n_ticks(void **state)
{
    struct rig *r = *state;
    vml_rec_spec spec = { VML_SCOPE_SYSTEM, 0, "background_runs" };
    vml_rec_config cfg = { .clock = VML_CLOCK_TICKS, .every = 2, .specs = &spec, .n_specs = 1 };
    vml_rec_info info;

    tu_assert_eq(VML_OK, vml_record_start(r->m, &cfg));
    write_byte(r->p, alloc(r->p, PAGE), 1);     /* accesses do not count */
    tu_assert_eq(VML_OK, vml_tick(r->m, 7));
    tu_assert_eq(VML_OK, vml_record_info(r->m, &info));
    tu_assert_eq(3, info.n_samples);
    tu_assert_eq(7, info.now);
    const uint64_t *t = vml_record_times(r->m);
    tu_assert_eq(2, t[0]);
    tu_assert_eq(4, t[1]);
    tu_assert_eq(6, t[2]);
    const uint64_t *bg = values_of(r->m, "background_runs", 0);
    tu_assert_eq(bg[0] + 2, bg[1]);
    tu_assert_eq(bg[1] + 2, bg[2]);
}

/* Full: the interval doubles and the samples kept are the multiples of
** the new one, so a long run keeps max_samples at an even spread. */
static void a_full_recording_thins_to_twice_the_interval(void **state)
{
    struct rig *r = *state;
    vml_rec_spec spec = { VML_SCOPE_SYSTEM, 0, "page_faults" };
    vml_rec_config cfg = { .clock = VML_CLOCK_TICKS, .every = 1, .max_samples = 4,
                           .specs = &spec, .n_specs = 1 };
    vml_rec_info info;

    tu_assert_eq(VML_OK, vml_record_start(r->m, &cfg));
    tu_assert_eq(VML_OK, vml_tick(r->m, 10));
    tu_assert_eq(VML_OK, vml_record_info(r->m, &info));
    /* 1 2 3 4; full at 5: 2 4 kept, every 2; 6 8; full at 10: 4 8, every 4 */
    tu_assert_eq(4, info.every);
    const uint64_t *t = vml_record_times(r->m);
    tu_assert_eq(2, info.n_samples);
    tu_assert_eq(4, t[0]);
    tu_assert_eq(8, t[1]);
    tu_assert_eq(VML_OK, vml_machine_check(r->m));
}

/* A process created while recording gets its series, zero before it
** existed; one that ends keeps its name and reads zero afterwards. */
static void processes_come_and_go_in_their_series(void **state)
{
    struct rig *r = *state;
    vml_rec_config cfg = { .clock = VML_CLOCK_ACCESSES, .every = 1 };
    vml_rec_info info;
    vml_rec_series s;

    tu_assert_eq(VML_OK, vml_record_start(r->m, &cfg));
    write_byte(r->p, alloc(r->p, PAGE), 1);
    vml_proc *b = new_proc(r->m, "B");
    unsigned pid_b = vml_proc_pid(b);
    write_byte(b, alloc(b, PAGE), 1);
    tu_assert_eq(VML_OK, vml_proc_destroy(b));
    write_byte(r->p, alloc(r->p, PAGE), 1);
    tu_assert_eq(VML_OK, vml_record_info(r->m, &info));
    tu_assert_eq(3, info.n_samples);
    tu_assert_eq(VML_OK, vml_record_series(r->m, series_named(r->m, "working_set", pid_b), &s));
    assert_string_equal("B", s.process);
    tu_assert_eq(0, s.values[0]);
    tu_assert_eq(PAGE, s.values[1]);
    tu_assert_eq(0, s.values[2]);
}

/* Bad configurations fail naming the problem, and the recording that was
** there stays as it was. */
static void bad_configurations_change_nothing(void **state)
{
    struct rig *r = *state;
    vml_rec_config good = { .clock = VML_CLOCK_ACCESSES, .every = 2 };
    vml_rec_spec no_such = { VML_SCOPE_SYSTEM, 0, "no_such_counter" };
    vml_rec_spec no_proc = { VML_SCOPE_PROC, 99, "working_set" };
    vml_rec_config bad = good;
    vml_rec_info info;

    tu_assert_eq(VML_E_NOT_FOUND, vml_record_info(r->m, &info));
    tu_assert_eq(VML_OK, vml_record_start(r->m, &good));
    write_byte(r->p, alloc(r->p, PAGE), 1);
    write_byte(r->p, alloc(r->p, PAGE), 1);
    bad.every = 0;
    tu_assert_eq(VML_E_INVALID, vml_record_start(r->m, &bad));
    bad = good;
    bad.clock = 7;
    tu_assert_eq(VML_E_INVALID, vml_record_start(r->m, &bad));
    bad = good;
    bad.specs = &no_such;
    bad.n_specs = 1;
    tu_assert_eq(VML_E_NOT_FOUND, vml_record_start(r->m, &bad));
    assert_non_null(strstr(vml_last_error(r->m), "no_such_counter"));
    bad.specs = &no_proc;
    tu_assert_eq(VML_E_NOT_FOUND, vml_record_start(r->m, &bad));
    assert_non_null(strstr(vml_last_error(r->m), "pid 99"));
    tu_assert_eq(VML_OK, vml_record_info(r->m, &info));
    tu_assert_eq(1, info.n_samples);
    tu_assert_eq(2, info.every);
    tu_assert_eq(1, info.active);
    tu_assert_eq(VML_OK, vml_record_stop(r->m));
    write_byte(r->p, alloc(r->p, PAGE), 1);
    write_byte(r->p, alloc(r->p, PAGE), 1);
    tu_assert_eq(VML_OK, vml_record_info(r->m, &info));
    tu_assert_eq(1, info.n_samples);             /* stopped: no more */
    tu_assert_eq(VML_OK, vml_machine_check(r->m));
}

/* Every frame has a use, and the uses add up to the machine's frames; a
** private page is Process Private, a page table Page Table. */
static void every_frame_has_a_use(void **state)
{
    struct rig *r = *state;
    vml_va va = alloc(r->p, PAGE);
    uint64_t n[VML_N_USES] = {0}, total = vml_pfn_total(r->m);
    vml_pfn_info f;

    write_byte(r->p, va, 1);
    for (vml_pfn pfn = 0; pfn < total; pfn++) {
        tu_assert_eq(VML_OK, vml_pfn_get(r->m, pfn, &f));
        assert_true(f.use < VML_N_USES);
        n[f.use]++;
    }
    tu_assert_eq(VML_OK, vml_pfn_get(r->m, frame_of(r->p, va), &f));
    tu_assert_eq(VML_USE_PRIVATE, f.use);
    tu_assert_eq(1, n[VML_USE_PRIVATE]);
    tu_assert_eq(sys_stat(r->m, "pagetable_pages"), n[VML_USE_PAGETABLE]);
    tu_assert_eq(sys_stat(r->m, "zeroed_pages") + sys_stat(r->m, "free_pages"),
                 n[VML_USE_UNUSED]);
    assert_string_equal("Process Private", vml_use_name(VML_USE_PRIVATE));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(samples_every_n_accesses_see_the_faults_so_far,
                                        rig_setup, rig_teardown),
        cmocka_unit_test(batch_and_single_accesses_sample_alike),
        cmocka_unit_test_setup_teardown(samples_every_n_ticks, rig_setup, rig_teardown),
        cmocka_unit_test_setup_teardown(a_full_recording_thins_to_twice_the_interval,
                                        rig_setup, rig_teardown),
        cmocka_unit_test_setup_teardown(processes_come_and_go_in_their_series, rig_setup,
                                        rig_teardown),
        cmocka_unit_test_setup_teardown(bad_configurations_change_nothing, rig_setup,
                                        rig_teardown),
        cmocka_unit_test_setup_teardown(every_frame_has_a_use, rig_setup, rig_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
