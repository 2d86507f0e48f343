/*
** test_paging.c -- paging under memory pressure, through the public API:
** working sets and their aging, trimming to the standby and modified
** lists, the modified page writer and the pagefile, soft and hard faults,
** the commit limit, standby priorities, global policies on a machine, the
** injected failures -- and that no byte is ever lost on the way.
**
** The test build checks every invariant after every library call, so
** each test also exercises vml_machine_check() on the states it passes.
*/
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmlab.h"

#define PAGE VML_PAGE_SIZE
#define MB(n) ((uint64_t)(n) << 20)

struct rig {
    vml_machine *m;
    vml_proc    *p;
};

static vml_machine *machine(uint64_t ram, uint64_t pagefile, vml_policy policy)
{
    vml_config cfg;
    vml_machine *m;
    vml_config_default(&cfg);
    cfg.ram_bytes = ram;
    cfg.pagefile_bytes = pagefile;
    cfg.policy = policy;
    assert_int_equal(VML_OK, vml_machine_create(&cfg, &m));
    return m;
}

static void rig_up(struct rig *r, uint64_t ram, uint64_t pagefile)
{
    r->m = machine(ram, pagefile, VML_POLICY_WS);
    assert_int_equal(VML_OK, vml_proc_create(r->m, "A", &r->p));
}

static vml_va alloc(vml_proc *p, uint64_t size)
{
    vml_va va = 0;
    assert_int_equal(0, vml_win_VirtualAlloc(p, 0, size, VML_MEM_RESERVE | VML_MEM_COMMIT,
                                             VML_PAGE_READWRITE, &va));
    return va;
}

static uint64_t sys(vml_machine *m, const char *name)
{
    uint64_t v = 0;
    assert_int_equal(VML_OK, vml_stat_get(m, VML_SCOPE_SYSTEM, 0, name, &v));
    return v;
}

static uint64_t proc(vml_proc *p, const char *name)
{
    uint64_t v = 0;
    assert_int_equal(VML_OK, vml_stat_get(vml_proc_machine(p), VML_SCOPE_PROC, vml_proc_pid(p),
                                          name, &v));
    return v;
}

static vml_pte_info pte_at(vml_proc *p, vml_va va)
{
    uint64_t pte = 0;
    vml_pte_info info;
    assert_int_equal(VML_OK, vml_pte_get(p, va, &pte));
    vml_pte_decode(vml_proc_machine(p), pte, 1, &info);
    return info;
}

/* The pattern a page holds: a mix of the seed and each word's address. */
static uint64_t pattern(uint64_t seed, vml_va va)
{
    uint64_t x = (seed + 1) * UINT64_C(0x9E3779B97F4A7C15) ^ va;
    x ^= x >> 31;
    x *= UINT64_C(0xBF58476D1CE4E5B9);
    return x ^ (x >> 29);
}

static void fill_page(vml_proc *p, vml_va va, uint64_t seed)
{
    uint64_t buf[PAGE / 8];
    for (unsigned i = 0; i < PAGE / 8; i++)
        buf[i] = pattern(seed, va + i * 8);
    assert_int_equal(VML_OK, vml_mem_write(p, 0, va, buf, PAGE, NULL));
}

/* Bytes of the page that differ from the pattern (seed 0 = all zero
** bytes never written). */
static unsigned page_diff(vml_proc *p, vml_va va, uint64_t seed, int written)
{
    uint64_t buf[PAGE / 8];
    unsigned bad = 0;
    assert_int_equal(VML_OK, vml_mem_read(p, 0, va, buf, PAGE, NULL));
    for (unsigned i = 0; i < PAGE / 8; i++)
        bad += buf[i] != (written ? pattern(seed, va + i * 8) : 0);
    return bad;
}

static void read_byte(vml_proc *p, vml_va va)
{
    uint8_t b;
    assert_int_equal(VML_OK, vml_mem_read(p, 0, va, &b, 1, NULL));
}

static void write_byte(vml_proc *p, vml_va va, uint8_t b)
{
    assert_int_equal(VML_OK, vml_mem_write(p, 0, va, &b, 1, NULL));
}

static void empty_working_set(vml_proc *p)
{
    assert_int_equal(VML_OK, vml_ws_set(p, UINT64_MAX, UINT64_MAX));
}

/* ---- the transitions of the PFN module, one by one ------------------------------ */

static void trimmed_clean_page_goes_to_standby_dirty_to_modified(void **state)
{
    struct rig r;
    (void)state;
    rig_up(&r, MB(16), MB(16));
    vml_va va = alloc(r.p, 2 * PAGE);
    read_byte(r.p, va);                 /* demand-zero: zeroed -> active, clean */
    write_byte(r.p, va + PAGE, 7);      /* dirty */
    assert_int_equal(2 * PAGE, proc(r.p, "working_set"));
    uint64_t standby = sys(r.m, "standby_pages"), modified = sys(r.m, "modified_pages");

    empty_working_set(r.p);
    assert_int_equal(0, proc(r.p, "working_set"));
    assert_int_equal(2, proc(r.p, "pages_trimmed"));
    assert_int_equal(standby + 1, sys(r.m, "standby_pages"));
    assert_int_equal(modified + 1, sys(r.m, "modified_pages"));
    assert_int_equal(1, sys(r.m, "writebacks"));   /* one dirty page evicted */
    vml_pte_info a = pte_at(r.p, va), b = pte_at(r.p, va + PAGE);
    assert_int_equal(VML_PTE_TRANSITION, a.kind);
    assert_int_equal(VML_PTE_TRANSITION, b.kind);
    vml_pfn_info fa, fb;
    assert_int_equal(VML_OK, vml_pfn_get(r.m, a.pfn, &fa));
    assert_int_equal(VML_OK, vml_pfn_get(r.m, b.pfn, &fb));
    assert_int_equal(VML_LIST_STANDBY, fa.list);
    assert_int_equal(VML_LIST_MODIFIED, fb.list);
    assert_int_equal(5, fa.priority);   /* MEMORY_PRIORITY_NORMAL */
    vml_machine_destroy(r.m);
}

static void touch_of_a_trimmed_page_is_a_soft_fault(void **state)
{
    struct rig r;
    (void)state;
    rig_up(&r, MB(16), MB(16));
    vml_va va = alloc(r.p, 2 * PAGE);
    read_byte(r.p, va);
    write_byte(r.p, va + PAGE, 0x5A);
    empty_working_set(r.p);
    vml_pfn before = pte_at(r.p, va + PAGE).pfn;

    read_byte(r.p, va);                 /* standby -> active */
    write_byte(r.p, va + PAGE + 1, 1);  /* modified -> active */
    assert_int_equal(2, proc(r.p, "soft_faults"));
    assert_int_equal(0, proc(r.p, "hard_faults"));
    assert_int_equal(0, sys(r.m, "pagefile_reads"));
    assert_int_equal(before, pte_at(r.p, va + PAGE).pfn);   /* the same frame, no copy */
    uint8_t b;
    assert_int_equal(VML_OK, vml_mem_read(r.p, 0, va + PAGE, &b, 1, NULL));
    assert_int_equal(0x5A, b);
    vml_machine_destroy(r.m);
}

static void modified_page_writer_writes_in_clusters_and_frees_slots_on_rewrite(void **state)
{
    struct rig r;
    (void)state;
    rig_up(&r, MB(16), MB(16));
    vml_va va = alloc(r.p, 40 * PAGE);
    for (unsigned i = 0; i < 40; i++)
        fill_page(r.p, va + i * PAGE, i);
    empty_working_set(r.p);
    assert_int_equal(40, sys(r.m, "modified_pages"));

    assert_int_equal(VML_OK, vml_tick(r.m, 1));
    assert_int_equal(0, sys(r.m, "modified_pages"));
    assert_int_equal(40, sys(r.m, "pagefile_writes"));
    assert_int_equal(3, sys(r.m, "pagefile_write_clusters"));   /* 16 + 16 + 8 */
    assert_int_equal(40, sys(r.m, "pagefile_used_pages"));
    /* Written pages stay in memory as standby pages: touching one is
    ** still a soft fault, and its slot stays as its clean copy. */
    read_byte(r.p, va);
    assert_int_equal(1, proc(r.p, "soft_faults"));
    assert_int_equal(40, sys(r.m, "pagefile_used_pages"));
    /* Trimmed again while clean: standby, no second write. */
    empty_working_set(r.p);
    assert_int_equal(VML_OK, vml_tick(r.m, 1));
    assert_int_equal(40, sys(r.m, "pagefile_writes"));
    /* Written again: the copy is stale, the slot is freed at the trim. */
    write_byte(r.p, va, 1);
    empty_working_set(r.p);
    assert_int_equal(39, sys(r.m, "pagefile_used_pages"));
    assert_int_equal(1, sys(r.m, "modified_pages"));
    vml_machine_destroy(r.m);
}

static void repurposed_page_comes_back_by_a_hard_fault_intact(void **state)
{
    struct rig r;
    (void)state;
    rig_up(&r, MB(2), MB(8));
    const unsigned n = 1024;    /* 4 MiB: twice the machine's memory */
    vml_va va = alloc(r.p, (uint64_t)n * PAGE);
    for (unsigned i = 0; i < n; i++)
        fill_page(r.p, va + (uint64_t)i * PAGE, 1000 + i);
    assert_true(sys(r.m, "pages_repurposed") > 0);
    assert_true(sys(r.m, "pagefile_writes") > 0);
    assert_true(proc(r.p, "pagefile_pages") > 0);
    /* The first page left memory long ago. */
    assert_int_equal(VML_PTE_PAGEFILE, pte_at(r.p, va).kind);
    unsigned bad = 0;
    for (unsigned i = 0; i < n; i++)
        bad += page_diff(r.p, va + (uint64_t)i * PAGE, 1000 + i, 1);
    assert_int_equal(0, bad);
    assert_true(proc(r.p, "hard_faults") > 0);
    assert_int_equal(proc(r.p, "hard_faults"), proc(r.p, "majflt"));
    assert_int_equal(sys(r.m, "hard_faults"), sys(r.m, "pagefile_reads"));
    vml_machine_destroy(r.m);
}

static void never_written_page_returns_to_demand_zero_when_repurposed(void **state)
{
    struct rig r;
    (void)state;
    rig_up(&r, MB(2), MB(8));
    const unsigned n = 1024;
    vml_va va = alloc(r.p, (uint64_t)n * PAGE);
    for (unsigned i = 0; i < n; i++)
        read_byte(r.p, va + (uint64_t)i * PAGE);
    /* Clean zero pages are never written out: they come back zero-filled. */
    assert_true(sys(r.m, "pages_repurposed") > 0);
    assert_int_equal(0, sys(r.m, "pagefile_writes"));
    assert_int_equal(VML_PTE_DEMAND_ZERO, pte_at(r.p, va).kind);
    assert_int_equal(0, page_diff(r.p, va, 0, 0));
    assert_int_equal(0, proc(r.p, "hard_faults"));
    vml_machine_destroy(r.m);
}

static void zero_page_worker_zeroes_free_pages_on_tick(void **state)
{
    struct rig r;
    (void)state;
    rig_up(&r, MB(16), 0);
    vml_va va = alloc(r.p, 8 * PAGE);
    for (unsigned i = 0; i < 8; i++)
        write_byte(r.p, va + i * PAGE, 1);
    assert_int_equal(0, vml_win_VirtualFree(r.p, va, 0, VML_MEM_RELEASE));
    assert_true(sys(r.m, "free_pages") >= 8);
    assert_int_equal(VML_OK, vml_tick(r.m, 1));
    assert_int_equal(0, sys(r.m, "free_pages"));
    assert_true(sys(r.m, "pages_zeroed") >= 8);
    vml_machine_destroy(r.m);
}

/* ---- working sets ----------------------------------------------------------------------- */

static void working_set_is_trimmed_to_its_maximum(void **state)
{
    struct rig r;
    (void)state;
    rig_up(&r, MB(16), MB(16));
    vml_va va = alloc(r.p, 100 * PAGE);
    assert_int_equal(VML_OK, vml_ws_set(r.p, 10, 20));
    for (unsigned i = 0; i < 100; i++)
        write_byte(r.p, va + i * PAGE, (uint8_t)i);
    assert_int_equal(20 * PAGE, proc(r.p, "working_set"));
    assert_int_equal(80, proc(r.p, "pages_trimmed"));
    /* min above max is refused and changes nothing */
    assert_int_equal(VML_E_INVALID, vml_ws_set(r.p, 30, 20));
    assert_int_equal(20, proc(r.p, "ws_max_pages"));
    /* a lower maximum trims at once */
    assert_int_equal(VML_OK, vml_ws_set(r.p, 5, 8));
    assert_int_equal(8 * PAGE, proc(r.p, "working_set"));
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

static void standby_pages_of_low_priority_are_repurposed_first(void **state)
{
    vml_proc *lo, *hi;
    (void)state;
    vml_machine *m = machine(MB(16), 0, VML_POLICY_WS);
    assert_int_equal(VML_OK, vml_proc_create(m, "LOW", &lo));
    assert_int_equal(VML_OK, vml_proc_create(m, "HIGH", &hi));
    assert_int_equal(VML_OK, vml_proc_set_memory_priority(lo, 1));
    assert_int_equal(VML_E_RANGE, vml_proc_set_memory_priority(lo, 8));
    vml_va a = alloc(hi, 4 * PAGE), b = alloc(lo, 4 * PAGE);
    for (unsigned i = 0; i < 4; i++) {
        read_byte(hi, a + i * PAGE);    /* the high-priority pages trim first */
        read_byte(lo, b + i * PAGE);
    }
    empty_working_set(hi);
    empty_working_set(lo);
    assert_int_equal(4, vml_standby_count(m, 1));
    assert_int_equal(4, vml_standby_count(m, 5));
    vml_pfn_info info;
    assert_int_equal(VML_OK, vml_pfn_get(m, vml_list_head(m, VML_LIST_STANDBY), &info));
    assert_int_equal(vml_proc_pid(lo), info.owner_pid);
    assert_int_equal(1, info.priority);
    vml_machine_destroy(m);
}

/* ---- commit ----------------------------------------------------------------------------------- */

static void commit_beyond_ram_plus_pagefile_fails_with_commitment_limit(void **state)
{
    struct rig r;
    vml_va va = 0;
    (void)state;
    rig_up(&r, MB(4), 0);
    assert_int_equal(1024, sys(r.m, "commit_limit"));
    uint64_t charge = sys(r.m, "commit_charge");
    assert_int_equal(VML_ERROR_COMMITMENT_LIMIT,
                     vml_win_VirtualAlloc(r.p, 0, MB(5), VML_MEM_RESERVE | VML_MEM_COMMIT,
                                          VML_PAGE_READWRITE, &va));
    assert_int_equal(charge, sys(r.m, "commit_charge"));
    assert_int_equal(0, vml_vad_count(r.p));
    /* Reserving is free; committing inside the reservation is charged. */
    assert_int_equal(0, vml_win_VirtualAlloc(r.p, 0, MB(5), VML_MEM_RESERVE, VML_PAGE_READWRITE, &va));
    assert_int_equal(VML_ERROR_COMMITMENT_LIMIT,
                     vml_win_VirtualAlloc(r.p, va, MB(5), VML_MEM_COMMIT, VML_PAGE_READWRITE, &va));
    assert_int_equal(0, vml_win_VirtualAlloc(r.p, va, MB(2), VML_MEM_COMMIT, VML_PAGE_READWRITE, &va));
    assert_int_equal(512, sys(r.m, "commit_charge") - charge);
    assert_int_equal(512, sys(r.m, "commit_peak") - charge);
    /* Linux overcommits: an anonymous mapping larger than RAM is fine,
    ** one larger than RAM + swap is refused (OVERCOMMIT_GUESS). */
    vml_va m1 = 0;
    assert_int_equal(0, vml_posix_mmap(r.p, 0, MB(3), VML_PROT_READ | VML_PROT_WRITE,
                                       VML_MAP_PRIVATE | VML_MAP_ANONYMOUS, -1, 0, &m1));
    assert_int_equal(VML_ENOMEM, vml_posix_mmap(r.p, 0, MB(5), VML_PROT_READ | VML_PROT_WRITE,
                                                VML_MAP_PRIVATE | VML_MAP_ANONYMOUS, -1, 0, &m1));
    vml_machine_destroy(r.m);

    rig_up(&r, MB(4), MB(4));
    assert_int_equal(2048, sys(r.m, "commit_limit"));
    assert_int_equal(0, vml_win_VirtualAlloc(r.p, 0, MB(5), VML_MEM_RESERVE | VML_MEM_COMMIT,
                                             VML_PAGE_READWRITE, &va));
    vml_machine_destroy(r.m);
}

/* ---- injected failures ----------------------------------------------------------------- */

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
    assert_int_equal(8, sys(r.m, "modified_pages"));
    assert_int_equal(1, sys(r.m, "pagefile_write_errors"));
    assert_int_equal(0, sys(r.m, "pagefile_used_pages"));
    /* the next run succeeds */
    assert_int_equal(VML_OK, vml_tick(r.m, 1));
    assert_int_equal(0, sys(r.m, "modified_pages"));
    assert_int_equal(8, sys(r.m, "pagefile_writes"));
    for (unsigned i = 0; i < 8; i++)
        assert_int_equal(0, page_diff(r.p, va + i * PAGE, i, 1));
    /* ENOSPC the same way */
    empty_working_set(r.p);
    for (unsigned i = 0; i < 8; i++)
        fill_page(r.p, va + i * PAGE, 50 + i);
    empty_working_set(r.p);
    assert_int_equal(VML_OK, vml_inject(r.m, VML_INJECT_PAGEFILE_WRITE, VML_ENOSPC, 0, 1));
    assert_int_equal(VML_OK, vml_tick(r.m, 1));
    assert_int_equal(8, sys(r.m, "modified_pages"));
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
    uint64_t ws = proc(r.p, "working_set");

    assert_int_equal(VML_OK, vml_inject(r.m, VML_INJECT_PAGEFILE_READ, VML_EIO, 0, 1));
    assert_int_equal(VML_FAULTED, vml_mem_read(r.p, 0, va, &v, 8, &ex));
    assert_int_equal(VML_AV_IN_PAGE_ERROR, ex.reason);
    assert_int_equal(VML_STATUS_IN_PAGE_ERROR, ex.ntstatus);
    assert_int_equal(VML_SIGBUS, ex.signo);
    assert_int_equal(VML_PTE_PAGEFILE, pte_at(r.p, va).kind);   /* nothing changed */
    assert_int_equal(ws, proc(r.p, "working_set"));
    assert_int_equal(1, sys(r.m, "pagefile_read_errors"));
    for (unsigned i = 0; i < 16; i++)
        assert_int_equal(0, page_diff(r.p, va + i * PAGE, i, 1));
    assert_true(proc(r.p, "hard_faults") >= 1);
    vml_machine_destroy(r.m);
}

static void failed_host_allocation_fails_the_fault_cleanly(void **state)
{
    struct rig r;
    vml_exception ex;
    uint8_t b = 1;
    (void)state;
    rig_up(&r, MB(16), 0);
    vml_va va = alloc(r.p, PAGE);
    uint64_t zeroed = sys(r.m, "zeroed_pages");
    /* The first fault grows the working-set list: that allocation fails. */
    assert_int_equal(VML_OK, vml_inject(r.m, VML_INJECT_HOST_ALLOC, VML_E_NOMEM, 0, 1));
    assert_int_equal(VML_FAULTED, vml_mem_write(r.p, 0, va, &b, 1, &ex));
    assert_int_equal(VML_AV_NO_MEMORY, ex.reason);
    assert_int_equal(VML_STATUS_NO_MEMORY, ex.ntstatus);
    assert_int_equal(0, proc(r.p, "working_set"));
    assert_int_equal(zeroed, sys(r.m, "zeroed_pages"));
    /* the retry works */
    write_byte(r.p, va, 9);
    assert_int_equal(PAGE, proc(r.p, "working_set"));
    assert_int_equal(VML_E_RANGE, vml_inject(r.m, 99, VML_EIO, 0, 1));
    /* The VAD of a VirtualAlloc, the VMA split of an munmap, a process. */
    vml_va va2 = 0, mm = 0;
    size_t vads = vml_vad_count(r.p);
    assert_int_equal(VML_OK, vml_inject(r.m, VML_INJECT_HOST_ALLOC, VML_E_NOMEM, 0, 1));
    assert_int_equal(VML_ERROR_NOT_ENOUGH_MEMORY,
                     vml_win_VirtualAlloc(r.p, 0, PAGE, VML_MEM_RESERVE | VML_MEM_COMMIT,
                                          VML_PAGE_READWRITE, &va2));
    assert_int_equal(vads, vml_vad_count(r.p));
    assert_int_equal(0, vml_posix_mmap(r.p, 0, 4 * PAGE, VML_PROT_READ | VML_PROT_WRITE,
                                       VML_MAP_PRIVATE | VML_MAP_ANONYMOUS, -1, 0, &mm));
    assert_int_equal(VML_OK, vml_inject(r.m, VML_INJECT_HOST_ALLOC, VML_E_NOMEM, 0, 1));
    assert_int_equal(VML_ENOMEM, vml_posix_munmap(r.p, mm + PAGE, PAGE));
    assert_int_equal(0, vml_posix_munmap(r.p, mm + PAGE, PAGE));
    vml_proc *q = NULL;
    assert_int_equal(VML_OK, vml_inject(r.m, VML_INJECT_HOST_ALLOC, VML_E_NOMEM, 0, 1));
    assert_int_equal(VML_E_NOMEM, vml_proc_create(r.m, "B", &q));
    assert_null(vml_proc_find(r.m, "B"));
    assert_int_equal(VML_OK, vml_proc_create(r.m, "B", &q));
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
    assert_int_equal(64, sys(r.m, "pagefile_used_pages"));
    assert_true(sys(r.m, "modified_pages") > 0);
    assert_true(sys(r.m, "no_frame_faults") > 0);
    /* Give memory back: the last filled pages go; the rest is intact. */
    unsigned keep = filled / 2;
    assert_int_equal(0, vml_posix_munmap(r.p, va + (uint64_t)keep * PAGE,
                                         (uint64_t)(n - keep) * PAGE));
    for (unsigned i = 0; i < keep; i++)
        assert_int_equal(0, page_diff(r.p, va + (uint64_t)i * PAGE, i, 1));
    vml_machine_destroy(r.m);
}

/* ---- global policies on a machine -------------------------------------------------------- */

static void global_policy_evicts_without_trimming(void **state)
{
    (void)state;
    static const vml_policy pols[] = { VML_POLICY_FIFO, VML_POLICY_LRU, VML_POLICY_MRU,
                                       VML_POLICY_CLOCK, VML_POLICY_CLOCK0 };
    for (unsigned k = 0; k < sizeof pols / sizeof pols[0]; k++) {
        vml_proc *p;
        vml_machine *m = machine(MB(2), MB(8), pols[k]);
        assert_int_equal(VML_OK, vml_proc_create(m, "A", &p));
        vml_va va = alloc(p, 700 * PAGE);
        for (unsigned round = 0; round < 2; round++)
            for (unsigned i = 0; i < 700; i++)
                fill_page(p, va + i * PAGE, round * 1000 + i);
        for (unsigned i = 0; i < 700; i++)
            assert_int_equal(0, page_diff(p, va + i * PAGE, 1000 + i, 1));
        assert_int_equal(0, sys(m, "pages_trimmed"));
        assert_true(sys(m, "evictions") > 0);
        assert_true(sys(m, "writebacks") > 0);
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

/* ---- the property: no byte is ever lost ------------------------------------------------------ */

static uint64_t rnd(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

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
    cfg.ram_bytes = MB(1) + (rnd(&s) % 3) * MB(1) / 2;
    cfg.pagefile_bytes = MB(4);
    cfg.paging = modes[seed % 4];
    cfg.policy = pols[(seed / 4) % 7];
    cfg.n_cpus = 1 + seed % 2;
    cfg.bg_interval = 16 + rnd(&s) % 200;
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
        unsigned k = rnd(&s) % 2, page = (unsigned)(rnd(&s) % n_pages);
        vml_va va = base[k] + (uint64_t)page * PAGE;
        unsigned cpu = (unsigned)(rnd(&s) % cfg.n_cpus);
        unsigned op = (unsigned)(rnd(&s) % 100);
        if (op < 40) {
            uint64_t v = rnd(&s) | 1;
            uint64_t buf[PAGE / 8];
            for (unsigned i = 0; i < PAGE / 8; i++)
                buf[i] = pattern(v, va + i * 8);
            assert_int_equal(VML_OK, vml_mem_write(p[k], cpu, va, buf, PAGE, NULL));
            shadow[k][page] = v;
        } else if (op < 80) {
            uint64_t w;
            vml_va at = va + (rnd(&s) % (PAGE / 8)) * 8;
            assert_int_equal(VML_OK, vml_mem_read(p[k], cpu, at, &w, 8, NULL));
            assert_true(w == (shadow[k][page] ? pattern(shadow[k][page], at) : 0));
        } else if (op < 85) {
            assert_int_equal(VML_OK, vml_tick(m, 1 + rnd(&s) % 2));
        } else if (op < 90) {
            uint64_t max = rnd(&s) % 4 == 0 ? 0 : 8 + rnd(&s) % 200;
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
                                                rnd(&s) % 3, 1));
        } else {
            assert_int_equal(VML_OK, vml_proc_set_memory_priority(p[k], (unsigned)(rnd(&s) % 8)));
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
        cmocka_unit_test(trimmed_clean_page_goes_to_standby_dirty_to_modified),
        cmocka_unit_test(touch_of_a_trimmed_page_is_a_soft_fault),
        cmocka_unit_test(modified_page_writer_writes_in_clusters_and_frees_slots_on_rewrite),
        cmocka_unit_test(repurposed_page_comes_back_by_a_hard_fault_intact),
        cmocka_unit_test(never_written_page_returns_to_demand_zero_when_repurposed),
        cmocka_unit_test(zero_page_worker_zeroes_free_pages_on_tick),
        cmocka_unit_test(working_set_is_trimmed_to_its_maximum),
        cmocka_unit_test(aging_clears_accessed_and_the_next_touch_sets_it_again),
        cmocka_unit_test(trimming_takes_the_oldest_pages_first),
        cmocka_unit_test(standby_pages_of_low_priority_are_repurposed_first),
        cmocka_unit_test(commit_beyond_ram_plus_pagefile_fails_with_commitment_limit),
        cmocka_unit_test(failed_pagefile_write_keeps_pages_on_the_modified_list),
        cmocka_unit_test(failed_pagefile_read_raises_in_page_error_and_a_retry_succeeds),
        cmocka_unit_test(failed_host_allocation_fails_the_fault_cleanly),
        cmocka_unit_test(full_pagefile_keeps_dirty_pages_in_memory_and_loses_nothing),
        cmocka_unit_test(global_policy_evicts_without_trimming),
        cmocka_unit_test(bad_configurations_are_refused_with_a_reason),
        cmocka_unit_test(data_survives_paging_under_random_access),
        cmocka_unit_test(same_seed_same_run),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
