/*
** test_pagefile.c -- the modified page writer and the pagefile, through
** the public API: clustered writes, slots freed when a copy goes stale,
** injected write and read failures, a full pagefile -- and the property
** that no byte is ever lost under random paging (every policy, every
** paging mode), with the same seed giving the same run.
**
** The test build checks every invariant after every library call, so
** each test also exercises vml_machine_check() on the states it passes.
*/
#include "testutil.h"

/* ---- the modified page writer ------------------------------------------------ */

static void modified_page_writer_writes_in_clusters_and_frees_slots_on_rewrite(void **state)
{
    struct rig r;
    (void)state;
    rig_up(&r, MB(16), MB(16));
    vml_va va = alloc(r.p, 40 * PAGE);
    for (unsigned i = 0; i < 40; i++)
        fill_page(r.p, va + i * PAGE, i);
    empty_working_set(r.p);
    assert_int_equal(40, sys_stat(r.m, "modified_pages"));

    assert_int_equal(VML_OK, vml_tick(r.m, 1));
    assert_int_equal(0, sys_stat(r.m, "modified_pages"));
    assert_int_equal(40, sys_stat(r.m, "pagefile_writes"));
    assert_int_equal(3, sys_stat(r.m, "pagefile_write_clusters"));   /* 16 + 16 + 8 */
    assert_int_equal(40, sys_stat(r.m, "pagefile_used_pages"));
    /* Written pages stay in memory as standby pages: touching one is
    ** still a soft fault, and its slot stays as its clean copy. */
    read_byte(r.p, va);
    assert_int_equal(1, proc_stat(r.p, "soft_faults"));
    assert_int_equal(40, sys_stat(r.m, "pagefile_used_pages"));
    /* Trimmed again while clean: standby, no second write. */
    empty_working_set(r.p);
    assert_int_equal(VML_OK, vml_tick(r.m, 1));
    assert_int_equal(40, sys_stat(r.m, "pagefile_writes"));
    /* Written again: the copy is stale, the slot is freed at the trim. */
    write_byte(r.p, va, 1);
    empty_working_set(r.p);
    assert_int_equal(39, sys_stat(r.m, "pagefile_used_pages"));
    assert_int_equal(1, sys_stat(r.m, "modified_pages"));
    vml_machine_destroy(r.m);
}

/* ---- injected failures ------------------------------------------------------- */

static void failed_pagefile_write_keeps_pages_on_the_modified_list(void **state)
{
    struct rig r;
    (void)state;
    rig_up(&r, MB(16), MB(16));
    vml_va va = alloc(r.p, 8 * PAGE);
    for (unsigned i = 0; i < 8; i++)
        fill_page(r.p, va + i * PAGE, i);
    empty_working_set(r.p);
    assert_int_equal(VML_OK, vml_inject(r.m, VML_INJECT_PAGEFILE_WRITE, VML_EIO, 0, 1));
    assert_int_equal(VML_OK, vml_tick(r.m, 1));
    assert_int_equal(8, sys_stat(r.m, "modified_pages"));
    assert_int_equal(1, sys_stat(r.m, "pagefile_write_errors"));
    assert_int_equal(0, sys_stat(r.m, "pagefile_used_pages"));
    /* the next run succeeds */
    assert_int_equal(VML_OK, vml_tick(r.m, 1));
    assert_int_equal(0, sys_stat(r.m, "modified_pages"));
    assert_int_equal(8, sys_stat(r.m, "pagefile_writes"));
    for (unsigned i = 0; i < 8; i++)
        assert_int_equal(0, page_diff(r.p, va + i * PAGE, i, 1));
    /* ENOSPC the same way */
    empty_working_set(r.p);
    for (unsigned i = 0; i < 8; i++)
        fill_page(r.p, va + i * PAGE, 50 + i);
    empty_working_set(r.p);
    assert_int_equal(VML_OK, vml_inject(r.m, VML_INJECT_PAGEFILE_WRITE, VML_ENOSPC, 0, 1));
    assert_int_equal(VML_OK, vml_tick(r.m, 1));
    assert_int_equal(8, sys_stat(r.m, "modified_pages"));
    for (unsigned i = 0; i < 8; i++)
        assert_int_equal(0, page_diff(r.p, va + i * PAGE, 50 + i, 1));
    vml_machine_destroy(r.m);
}

/* Pushes the pages of `victim` out of memory: its pages carry priority 0,
** and another process reads enough memory to repurpose them. */
static void push_out(vml_machine *m, vml_proc *victim)
{
    vml_proc *hog;
    empty_working_set(victim);
    assert_int_equal(VML_OK, vml_tick(m, 1));    /* written, now standby */
    assert_int_equal(VML_OK, vml_proc_create(m, "HOG", &hog));
    uint64_t n = vml_pfn_total(m);
    vml_va va = alloc(hog, n * PAGE);
    for (uint64_t i = 0; i < n; i++)
        read_byte(hog, va + i * PAGE);
}

static void failed_pagefile_read_raises_in_page_error_and_a_retry_succeeds(void **state)
{
    struct rig r;
    vml_exception ex;
    uint64_t v;
    (void)state;
    rig_up(&r, MB(2), MB(8));
    /* A page carries its process's memory priority from the fault that
    ** brought it in; priority 0 pages are repurposed first. */
    assert_int_equal(VML_OK, vml_proc_set_memory_priority(r.p, 0));
    vml_va va = alloc(r.p, 16 * PAGE);
    for (unsigned i = 0; i < 16; i++)
        fill_page(r.p, va + i * PAGE, i);
    push_out(r.m, r.p);
    assert_int_equal(VML_PTE_PAGEFILE, pte_at(r.p, va).kind);
    uint64_t ws = proc_stat(r.p, "working_set");

    assert_int_equal(VML_OK, vml_inject(r.m, VML_INJECT_PAGEFILE_READ, VML_EIO, 0, 1));
    assert_int_equal(VML_FAULTED, vml_mem_read(r.p, 0, va, &v, 8, &ex));
    assert_int_equal(VML_AV_IN_PAGE_ERROR, ex.reason);
    assert_int_equal(VML_STATUS_IN_PAGE_ERROR, ex.ntstatus);
    assert_int_equal(VML_SIGBUS, ex.signo);
    assert_int_equal(VML_PTE_PAGEFILE, pte_at(r.p, va).kind);   /* nothing changed */
    assert_int_equal(ws, proc_stat(r.p, "working_set"));
    assert_int_equal(1, sys_stat(r.m, "pagefile_read_errors"));
    for (unsigned i = 0; i < 16; i++)
        assert_int_equal(0, page_diff(r.p, va + i * PAGE, i, 1));
    assert_true(proc_stat(r.p, "hard_faults") >= 1);
    vml_machine_destroy(r.m);
}

static void full_pagefile_keeps_dirty_pages_in_memory_and_loses_nothing(void **state)
{
    struct rig r;
    vml_exception ex;
    (void)state;
    rig_up(&r, MB(2), 64 * PAGE);
    /* 2 MiB of RAM + 64 slots.  The commit limit (576 pages) keeps Windows
    ** allocations from ever filling the pagefile; Linux overcommits, so an
    ** mmap can: fill it until no frame is left. */
    const unsigned n = 570;
    vml_va va = 0;
    assert_int_equal(0, vml_posix_mmap(r.p, 0, (uint64_t)n * PAGE, VML_PROT_READ | VML_PROT_WRITE,
                                       VML_MAP_PRIVATE | VML_MAP_ANONYMOUS, -1, 0, &va));
    unsigned filled = 0;
    for (; filled < n; filled++) {
        uint64_t buf[PAGE / 8];
        for (unsigned i = 0; i < PAGE / 8; i++)
            buf[i] = pattern(filled, va + (uint64_t)filled * PAGE + i * 8);
        vml_status st = vml_mem_write(r.p, 0, va + (uint64_t)filled * PAGE, buf, PAGE, &ex);
        if (st != VML_OK) {
            assert_int_equal(VML_FAULTED, st);
            assert_int_equal(VML_AV_NO_MEMORY, ex.reason);
            break;
        }
    }
    assert_true(filled < n);
    assert_int_equal(64, sys_stat(r.m, "pagefile_used_pages"));
    assert_true(sys_stat(r.m, "modified_pages") > 0);
    assert_true(sys_stat(r.m, "no_frame_faults") > 0);
    /* Give memory back: the last filled pages go; the rest is intact. */
    unsigned keep = filled / 2;
    assert_int_equal(0, vml_posix_munmap(r.p, va + (uint64_t)keep * PAGE,
                                         (uint64_t)(n - keep) * PAGE));
    for (unsigned i = 0; i < keep; i++)
        assert_int_equal(0, page_diff(r.p, va + (uint64_t)i * PAGE, i, 1));
    vml_machine_destroy(r.m);
}

/* ---- the property: no byte is ever lost -------------------------------------- */

/* One random run; returns a digest of the system counters at the end so
** that two runs of the same seed can be compared (determinism). */
static uint64_t random_run(uint64_t seed, unsigned steps)
{
    static const vml_paging modes[] = { VML_PAGING_4LEVEL, VML_PAGING_PAE, VML_PAGING_LEGACY,
                                        VML_PAGING_5LEVEL };
    static const vml_policy pols[] = { VML_POLICY_WS, VML_POLICY_WS, VML_POLICY_FIFO,
                                       VML_POLICY_LRU, VML_POLICY_CLOCK, VML_POLICY_CLOCK0,
                                       VML_POLICY_MRU };
    uint64_t s = seed * UINT64_C(0x2545F4914F6CDD1D) + 1;
    vml_config cfg;
    vml_machine *m;
    vml_proc *p[2];
    vml_config_default(&cfg);
    cfg.ram_bytes = MB(1) + (xorshift64(&s) % 3) * MB(1) / 2;
    cfg.pagefile_bytes = MB(4);
    cfg.paging = modes[seed % 4];
    cfg.policy = pols[(seed / 4) % 7];
    cfg.n_cpus = 1 + seed % 2;
    cfg.bg_interval = 16 + xorshift64(&s) % 200;
    assert_int_equal(VML_OK, vml_machine_create(&cfg, &m));
    const unsigned n_pages = 300;
    uint64_t *shadow[2];
    vml_va base[2];
    for (unsigned k = 0; k < 2; k++) {
        char name[4] = { (char)('A' + k), 0 };
        assert_int_equal(VML_OK, vml_proc_create(m, name, &p[k]));
        base[k] = alloc(p[k], (uint64_t)n_pages * PAGE);
        shadow[k] = calloc(n_pages, sizeof *shadow[k]);   /* 0: never written */
        assert_non_null(shadow[k]);
    }
    for (unsigned step = 0; step < steps; step++) {
        unsigned k = xorshift64(&s) % 2, page = (unsigned)(xorshift64(&s) % n_pages);
        vml_va va = base[k] + (uint64_t)page * PAGE;
        unsigned cpu = (unsigned)(xorshift64(&s) % cfg.n_cpus);
        unsigned op = (unsigned)(xorshift64(&s) % 100);
        if (op < 40) {
            uint64_t v = xorshift64(&s) | 1;
            uint64_t buf[PAGE / 8];
            for (unsigned i = 0; i < PAGE / 8; i++)
                buf[i] = pattern(v, va + i * 8);
            assert_int_equal(VML_OK, vml_mem_write(p[k], cpu, va, buf, PAGE, NULL));
            shadow[k][page] = v;
        } else if (op < 80) {
            uint64_t w;
            vml_va at = va + (xorshift64(&s) % (PAGE / 8)) * 8;
            assert_int_equal(VML_OK, vml_mem_read(p[k], cpu, at, &w, 8, NULL));
            assert_true(w == (shadow[k][page] ? pattern(shadow[k][page], at) : 0));
        } else if (op < 85) {
            assert_int_equal(VML_OK, vml_tick(m, 1 + xorshift64(&s) % 2));
        } else if (op < 90) {
            uint64_t max = xorshift64(&s) % 4 == 0 ? 0 : 8 + xorshift64(&s) % 200;
            assert_int_equal(VML_OK, vml_ws_set(p[k], max ? max / 2 : 50, max));
        } else if (op < 92) {
            empty_working_set(p[k]);
        } else if (op < 96) {
            /* no access for a while: the page leaves the working set */
            uint32_t old;
            assert_int_equal(0, vml_win_VirtualProtect(p[k], va, PAGE, VML_PAGE_NOACCESS, &old));
            assert_int_equal(0, vml_win_VirtualProtect(p[k], va, PAGE, VML_PAGE_READWRITE, &old));
        } else if (op < 98) {
            assert_int_equal(VML_OK, vml_inject(m, VML_INJECT_PAGEFILE_WRITE, VML_EIO,
                                                xorshift64(&s) % 3, 1));
        } else {
            assert_int_equal(VML_OK, vml_proc_set_memory_priority(p[k], (unsigned)(xorshift64(&s) % 8)));
        }
    }
    /* Everything, once more, byte for byte. */
    for (unsigned k = 0; k < 2; k++)
        for (unsigned page = 0; page < n_pages; page++)
            assert_int_equal(0, page_diff(p[k], base[k] + (uint64_t)page * PAGE, shadow[k][page],
                                          shadow[k][page] != 0));
    assert_int_equal(VML_OK, vml_machine_check(m));
    uint64_t digest = 0;
    for (size_t i = 0; i < vml_stat_count(VML_SCOPE_SYSTEM); i++) {
        uint64_t v;
        assert_int_equal(VML_OK, vml_stat_get(m, VML_SCOPE_SYSTEM, 0,
                                              vml_stat_name(VML_SCOPE_SYSTEM, i, NULL), &v));
        digest = digest * 31 + v;
    }
    free(shadow[0]);
    free(shadow[1]);
    vml_machine_destroy(m);
    return digest;
}

static void data_survives_paging_under_random_access(void **state)
{
    (void)state;
    /* TEST_PAGING_SEEDS=N runs more seeds. */
    const char *env = getenv("TEST_PAGING_SEEDS");
    unsigned n = env ? (unsigned)strtoul(env, NULL, 10) : 28;
    for (unsigned seed = 1; seed <= n; seed++)
        random_run(seed, 1500);
}

static void same_seed_same_run(void **state)
{
    (void)state;
    for (unsigned seed = 3; seed <= 10; seed += 7)
        assert_true(random_run(seed, 800) == random_run(seed, 800));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(modified_page_writer_writes_in_clusters_and_frees_slots_on_rewrite),
        cmocka_unit_test(failed_pagefile_write_keeps_pages_on_the_modified_list),
        cmocka_unit_test(failed_pagefile_read_raises_in_page_error_and_a_retry_succeeds),
        cmocka_unit_test(full_pagefile_keeps_dirty_pages_in_memory_and_loses_nothing),
        cmocka_unit_test(data_survives_paging_under_random_access),
        cmocka_unit_test(same_seed_same_run),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
