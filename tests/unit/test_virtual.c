/*
** test_virtual.c -- the memory manager's virtual-memory operations below
** the personalities: the commit limit (RAM + pagefile, Linux's
** overcommit), and a property test that runs random VirtualAlloc /
** VirtualFree / VirtualProtect / read / write / execute sequences against a
** reference model of every byte and every page's state, with
** vml_machine_check() after each step.
*/
#include "testutil.h"

/* ---- commit ------------------------------------------------------------------ */

static void commit_beyond_ram_plus_pagefile_fails_with_commitment_limit(void **state)
{
    struct rig r;
    vml_va va = 0;
    (void)state;
    rig_up(&r, MB(4), 0);
    assert_int_equal(1024, sys_stat(r.m, "commit_limit"));
    uint64_t charge = sys_stat(r.m, "commit_charge");
    assert_int_equal(VML_ERROR_COMMITMENT_LIMIT,
                     vml_win_VirtualAlloc(r.p, 0, MB(5), VML_MEM_RESERVE | VML_MEM_COMMIT,
                                          VML_PAGE_READWRITE, &va));
    assert_int_equal(charge, sys_stat(r.m, "commit_charge"));
    assert_int_equal(0, vml_vad_count(r.p));
    /* Reserving is free; committing inside the reservation is charged. */
    assert_int_equal(0, vml_win_VirtualAlloc(r.p, 0, MB(5), VML_MEM_RESERVE, VML_PAGE_READWRITE, &va));
    assert_int_equal(VML_ERROR_COMMITMENT_LIMIT,
                     vml_win_VirtualAlloc(r.p, va, MB(5), VML_MEM_COMMIT, VML_PAGE_READWRITE, &va));
    assert_int_equal(0, vml_win_VirtualAlloc(r.p, va, MB(2), VML_MEM_COMMIT, VML_PAGE_READWRITE, &va));
    assert_int_equal(512, sys_stat(r.m, "commit_charge") - charge);
    assert_int_equal(512, sys_stat(r.m, "commit_peak") - charge);
    /* Linux overcommits: an anonymous mapping larger than RAM is fine,
    ** one larger than RAM + swap is refused (OVERCOMMIT_GUESS). */
    vml_va m1 = 0;
    assert_int_equal(0, vml_posix_mmap(r.p, 0, MB(3), VML_PROT_READ | VML_PROT_WRITE,
                                       VML_MAP_PRIVATE | VML_MAP_ANONYMOUS, -1, 0, &m1));
    assert_int_equal(VML_ENOMEM, vml_posix_mmap(r.p, 0, MB(5), VML_PROT_READ | VML_PROT_WRITE,
                                                VML_MAP_PRIVATE | VML_MAP_ANONYMOUS, -1, 0, &m1));
    vml_machine_destroy(r.m);

    rig_up(&r, MB(4), MB(4));
    assert_int_equal(2048, sys_stat(r.m, "commit_limit"));
    assert_int_equal(0, vml_win_VirtualAlloc(r.p, 0, MB(5), VML_MEM_RESERVE | VML_MEM_COMMIT,
                                             VML_PAGE_READWRITE, &va));
    vml_machine_destroy(r.m);
}

/* ---- property test: random operations against a reference model ------------------------------ */

#define N_SLOTS    4
#define SLOT_PAGES 16
#define SLOT_SIZE  0x10000u
#define BASE       UINT64_C(0x10000000)

struct mpage {
    int      committed;
    uint32_t prot;           /* Win32 PAGE_* */
    uint8_t  data[4096];
};

struct mslot {
    int          reserved;
    unsigned     n;          /* pages reserved */
    struct mpage pg[SLOT_PAGES];
};

struct model {
    struct mslot s[N_SLOTS];
    uint64_t     rng;
    unsigned     bad;
    int          has_nx;     /* legacy 32-bit paging has no NX */
    unsigned     n_cpus;
    vml_proc    *b;          /* a second process: context switches */
    vml_va       b_page;
    uint8_t      b_byte;
};

static const uint32_t prots[] = {
    VML_PAGE_READONLY, VML_PAGE_READWRITE, VML_PAGE_NOACCESS,
    VML_PAGE_EXECUTE_READWRITE, VML_PAGE_READWRITE | VML_PAGE_GUARD,
};

/* TEST_MM_TRACE=1 in the environment prints every operation (to replay a
** failing seed by hand). */
static int tracing = -1;

static void trace(const char *fmt, ...)
{
    va_list ap;

    if (tracing < 0)
        tracing = getenv("TEST_MM_TRACE") != NULL;
    if (!tracing)
        return;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
}

static uint64_t rnd(struct model *md)
{
    return xorshift64star(&md->rng);
}

static unsigned pick(struct model *md, unsigned n)
{
    return (unsigned)(rnd(md) % n);
}

/* The model's page at va, or NULL when no reservation covers it. */
static struct mpage *mpage_at(struct model *md, vml_va va)
{
    if (va < BASE || va >= BASE + N_SLOTS * (uint64_t)SLOT_SIZE)
        return NULL;
    struct mslot *s = &md->s[(va - BASE) / SLOT_SIZE];
    unsigned i = (unsigned)(((va - BASE) % SLOT_SIZE) >> 12);
    return s->reserved && i < s->n ? &s->pg[i] : NULL;
}

/* What an access of kind acc to the page at va must do (fault.c's
** decision tree, as Windows documents each case). */
static vml_av_reason expected(struct model *md, vml_va va, unsigned acc)
{
    struct mpage *pg = mpage_at(md, va);

    if (pg == NULL)
        return VML_AV_NOT_RESERVED;
    if (!pg->committed)
        return VML_AV_NOT_COMMITTED;
    if (pg->prot & VML_PAGE_GUARD)
        return VML_AV_GUARD;
    if (pg->prot == VML_PAGE_NOACCESS)
        return VML_AV_NOACCESS;
    if (acc == VML_ACCESS_WRITE && pg->prot != VML_PAGE_READWRITE &&
        pg->prot != VML_PAGE_EXECUTE_READWRITE)
        return VML_AV_READONLY;
    if (acc == VML_ACCESS_EXEC && pg->prot != VML_PAGE_EXECUTE_READWRITE && md->has_nx)
        return VML_AV_NX;
    return VML_AV_NONE;
}

static void fail_at(unsigned seed, unsigned step, const char *what)
{
    fail_msg("seed %u step %u: %s", seed, step, what);
}

#define CHECK(cond, what) do { if (!(cond)) fail_at(seed, step, what); } while (0)

/* A read, write or fetch of len bytes at va, page by page, as the model
** says it must go. */
static void op_access(struct rig *r, struct model *md, unsigned seed, unsigned step)
{
    unsigned acc = pick(md, 5) < 2 ? VML_ACCESS_READ : pick(md, 4) ? VML_ACCESS_WRITE
                                                                   : VML_ACCESS_EXEC;
    unsigned slot = pick(md, N_SLOTS);
    vml_va va = BASE + slot * (uint64_t)SLOT_SIZE + pick(md, SLOT_PAGES + 1) * 4096 +
                (pick(md, 2) ? pick(md, 4096) : 4096 - 1 - pick(md, 16));
    size_t len = acc == VML_ACCESS_EXEC ? 1 : 1 + pick(md, 64);
    unsigned cpu = pick(md, md->n_cpus);
    uint8_t buf[64], got[64];
    vml_exception ex;

    for (size_t i = 0; i < len; i++)
        buf[i] = (uint8_t)rnd(md);
    memset(got, 0xCD, sizeof got);
    memset(&ex, 0, sizeof ex);
    trace("%s A %#llx len %zu cpu=%u\n", acc == VML_ACCESS_WRITE ? "write" : acc == VML_ACCESS_READ ? "read" : "exec",
          (unsigned long long)va, len, cpu);
    vml_status st = acc == VML_ACCESS_WRITE ? vml_mem_write(r->p, cpu, va, buf, len, &ex)
                  : acc == VML_ACCESS_READ  ? vml_mem_read(r->p, cpu, va, got, len, &ex)
                                            : vml_mem_fetch(r->p, cpu, va, got, len, &ex);
    /* Walk the pages of the access in the model. */
    size_t done = 0;
    vml_av_reason want = VML_AV_NONE;
    vml_va at = va;
    while (done < len) {
        size_t chunk = 4096 - (size_t)(at & 0xFFF);
        if (chunk > len - done)
            chunk = len - done;
        want = expected(md, at, acc);
        if (want != VML_AV_NONE)
            break;
        struct mpage *pg = mpage_at(md, at);
        if (acc == VML_ACCESS_WRITE)
            memcpy(pg->data + (at & 0xFFF), buf + done, chunk);
        else
            CHECK(memcmp(pg->data + (at & 0xFFF), got + done, chunk) == 0,
                  "bytes read differ from the model");
        done += chunk;
        at += chunk;
    }
    if (want == VML_AV_NONE) {
        CHECK(st == VML_OK, "access should have succeeded");
        return;
    }
    if (st != VML_FAULTED || ex.reason != want || ex.va != at) {
        char msg[160];
        snprintf(msg, sizeof msg, "access %u at %#llx len %zu: status %d reason %s va %#llx, "
                 "expected reason %s at %#llx", acc, (unsigned long long)va, len, (int)st,
                 vml_av_reason_name(ex.reason), (unsigned long long)ex.va,
                 vml_av_reason_name(want), (unsigned long long)at);
        fail_at(seed, step, msg);
    }
    if (want == VML_AV_GUARD) {
        /* The alarm went off: that page's guard is gone (one shot). */
        CHECK(ex.ntstatus == VML_STATUS_GUARD_PAGE_VIOLATION, "guard status");
        mpage_at(md, at)->prot &= ~VML_PAGE_GUARD;
    } else {
        CHECK(ex.ntstatus == VML_STATUS_ACCESS_VIOLATION, "access violation status");
    }
}

static void op_reserve(struct rig *r, struct model *md, unsigned seed, unsigned step)
{
    unsigned slot = pick(md, N_SLOTS), n = 1 + pick(md, SLOT_PAGES);
    int commit = pick(md, 2);
    uint32_t prot = prots[pick(md, 5)];
    struct mslot *s = &md->s[slot];
    vml_va base = BASE + slot * (uint64_t)SLOT_SIZE, out = 0;
    trace("VirtualAlloc A %#llx %#x MEM_RESERVE%s %#x\n", (unsigned long long)base, n * 4096,
          commit ? "|MEM_COMMIT" : "", prot);
    uint32_t err = vml_win_VirtualAlloc(r->p, base, n * 4096ull,
                                        VML_MEM_RESERVE | (commit ? VML_MEM_COMMIT : 0), prot, &out);
    if (s->reserved) {
        CHECK(err == VML_ERROR_INVALID_ADDRESS, "reserve over a reservation");
        return;
    }
    CHECK(err == 0 && out == base, "reserve at a free slot");
    s->reserved = 1;
    s->n = n;
    for (unsigned i = 0; i < SLOT_PAGES; i++) {
        s->pg[i].committed = commit && i < n;
        s->pg[i].prot = prot;
        memset(s->pg[i].data, 0, 4096);
    }
}

static void op_commit(struct rig *r, struct model *md, unsigned seed, unsigned step)
{
    unsigned slot = pick(md, N_SLOTS), first = pick(md, SLOT_PAGES), count = 1 + pick(md, 4);
    uint32_t prot = prots[pick(md, 5)];
    struct mslot *s = &md->s[slot];
    vml_va va = BASE + slot * (uint64_t)SLOT_SIZE + first * 4096ull, out = 0;
    int fits = s->reserved && first + count <= s->n;

    trace("VirtualAlloc A %#llx %#x MEM_COMMIT %#x\n", (unsigned long long)va, count * 4096, prot);
    uint32_t err = vml_win_VirtualAlloc(r->p, va, count * 4096ull, VML_MEM_COMMIT, prot, &out);
    if (!fits) {
        CHECK(err == VML_ERROR_INVALID_ADDRESS, "commit outside a reservation");
        return;
    }
    CHECK(err == 0 && out == va, "commit inside a reservation");
    /* New pages start zero-filled; pages committed already keep their data
    ** and take the new protection (WRK allocvm.c: "Make sure the protection
    ** for the page is right", then MiProtectVirtualMemory). */
    for (unsigned i = first; i < first + count; i++) {
        if (!s->pg[i].committed)
            memset(s->pg[i].data, 0, 4096);
        s->pg[i].committed = 1;
        s->pg[i].prot = prot;
    }
}

static void op_decommit(struct rig *r, struct model *md, unsigned seed, unsigned step)
{
    unsigned slot = pick(md, N_SLOTS), first = pick(md, SLOT_PAGES), count = 1 + pick(md, 4);
    struct mslot *s = &md->s[slot];
    vml_va va = BASE + slot * (uint64_t)SLOT_SIZE + first * 4096ull;
    trace("VirtualFree A %#llx %#x MEM_DECOMMIT\n", (unsigned long long)va, count * 4096);
    uint32_t err = vml_win_VirtualFree(r->p, va, count * 4096ull, VML_MEM_DECOMMIT);

    if (!s->reserved || first + count > s->n) {
        CHECK(err == VML_ERROR_INVALID_ADDRESS, "decommit outside a reservation");
        return;
    }
    CHECK(err == 0, "decommit inside a reservation");
    for (unsigned i = first; i < first + count; i++)
        s->pg[i].committed = 0;
}

static void op_release(struct rig *r, struct model *md, unsigned seed, unsigned step)
{
    unsigned slot = pick(md, N_SLOTS);
    int off = pick(md, 4) == 0;          /* sometimes not at the base */
    struct mslot *s = &md->s[slot];
    vml_va va = BASE + slot * (uint64_t)SLOT_SIZE + (off ? 0x1000 : 0);
    trace("VirtualFree A %#llx 0 MEM_RELEASE\n", (unsigned long long)va);
    uint32_t err = vml_win_VirtualFree(r->p, va, 0, VML_MEM_RELEASE);

    if (!s->reserved || off) {
        CHECK(err == VML_ERROR_INVALID_ADDRESS, "release not at a base");
        return;
    }
    CHECK(err == 0, "release at the base");
    s->reserved = 0;
    s->n = 0;
}

static void op_protect(struct rig *r, struct model *md, unsigned seed, unsigned step)
{
    unsigned slot = pick(md, N_SLOTS), first = pick(md, SLOT_PAGES), count = 1 + pick(md, 4);
    uint32_t prot = prots[pick(md, 5)], old = 0xDEAD;
    struct mslot *s = &md->s[slot];
    vml_va va = BASE + slot * (uint64_t)SLOT_SIZE + first * 4096ull;
    trace("VirtualProtect A %#llx %#x %#x\n", (unsigned long long)va, count * 4096, prot);
    uint32_t err = vml_win_VirtualProtect(r->p, va, count * 4096ull, prot, &old);
    int ok = s->reserved && first + count <= s->n;

    for (unsigned i = first; ok && i < first + count; i++)
        ok = s->pg[i].committed;
    if (!ok) {
        CHECK(err == VML_ERROR_INVALID_ADDRESS, "protect of uncommitted pages");
        return;
    }
    CHECK(err == 0, "protect of committed pages");
    CHECK(old == s->pg[first].prot, "old protection is the first page's");
    for (unsigned i = first; i < first + count; i++)
        s->pg[i].prot = prot;
}

static void op_query(struct rig *r, struct model *md, unsigned seed, unsigned step)
{
    vml_va va = BASE + pick(md, N_SLOTS * SLOT_PAGES) * 4096ull + pick(md, 4096);
    struct mpage *pg = mpage_at(md, va);
    vml_mbi mbi;

    CHECK(vml_win_VirtualQuery(r->p, va, &mbi) == 0, "VirtualQuery");
    CHECK(mbi.BaseAddress == (va & ~(vml_va)0xFFF), "BaseAddress");
    if (pg == NULL) {
        CHECK(mbi.State == VML_MEM_FREE, "State of a free page");
        return;
    }
    CHECK(mbi.AllocationBase == (va & ~(vml_va)(SLOT_SIZE - 1)), "AllocationBase");
    CHECK(mbi.Type == VML_MEM_PRIVATE, "Type");
    CHECK(mbi.State == (pg->committed ? VML_MEM_COMMIT : VML_MEM_RESERVE), "State");
    if (pg->committed)
        CHECK(mbi.Protect == pg->prot, "Protect");
}

/* The other process runs on some CPU: a context switch there. */
static void op_other(struct model *md, unsigned seed, unsigned step)
{
    unsigned cpu = pick(md, md->n_cpus);
    uint8_t v = 0;

    trace("read B %#llx cpu=%u; write B\n", (unsigned long long)md->b_page, cpu);
    CHECK(vml_mem_read(md->b, cpu, md->b_page, &v, 1, NULL) == VML_OK && v == md->b_byte,
          "the other process's byte");
    md->b_byte++;
    CHECK(vml_mem_write(md->b, cpu, md->b_page, &md->b_byte, 1, NULL) == VML_OK,
          "the other process's write");
}

static void op_frames(struct rig *r, struct model *md, unsigned seed, unsigned step)
{
    (void)seed;
    (void)step;
    if (pick(md, 2)) {
        trace("zeropages\n");
        vml_zero_pages(r->m, pick(md, 8));
    } else if (md->bad < 64) {
        vml_list l = pick(md, 2) ? VML_LIST_FREE : VML_LIST_ZEROED;
        vml_pfn pfn = vml_list_head(r->m, l);
        if (pfn != VML_PFN_NONE) {
            trace("markbad %#llx\n", (unsigned long long)pfn);
            assert_int_equal(VML_OK, vml_pfn_mark_bad(r->m, pfn));
            md->bad++;
        }
    }
}

static void random_operations_match_a_reference_model(void **state)
{
    static struct model model;   /* static: nothing to free when a check fails */
    struct model *md = &model;
    struct rig *r = *state;
    /* TEST_MM_SEEDS=N runs more seeds (a longer hunt); the default keeps
    ** the suite fast. */
    const char *env = getenv("TEST_MM_SEEDS");
    const unsigned n_seeds = env ? (unsigned)strtoul(env, NULL, 10) : 40, n_steps = 400;

    for (unsigned seed = 1; seed <= n_seeds; seed++) {
        memset(md, 0, sizeof *md);
        md->rng = UINT64_C(0x9E3779B97F4A7C15) * seed;
        /* Every seed its own machine: paging mode, CPUs, PCIDs and TLB
        ** geometry vary, so stale translations would show somewhere. */
        static const vml_paging modes[] = { VML_PAGING_4LEVEL, VML_PAGING_PAE,
                                            VML_PAGING_5LEVEL, VML_PAGING_LEGACY };
        static const unsigned tlbs[][4] = { { 64, 4, 0, 0 }, { 6, 2, 0, 0 },
                                            { 48, 3, 0, 0 }, { 2, 1, 12, 3 } };
        vml_config cfg;
        vml_config_default(&cfg);
        cfg.ram_bytes = UINT64_C(4) << 20;
        cfg.paging = modes[seed % 4];
        cfg.n_cpus = 1 + seed % 2;
        cfg.flags |= (seed / 2) % 2 ? VML_CFG_PCID : 0;
        cfg.tlb_entries = tlbs[(seed / 4) % 4][0];
        cfg.tlb_ways = tlbs[(seed / 4) % 4][1];
        cfg.tlb2_entries = tlbs[(seed / 4) % 4][2];
        cfg.tlb2_ways = tlbs[(seed / 4) % 4][3];
        assert_int_equal(VML_OK, vml_machine_create(&cfg, &r->m));
        assert_int_equal(VML_OK, vml_proc_create(r->m, "A", &r->p));
        assert_int_equal(VML_OK, vml_proc_create(r->m, "B", &md->b));
        md->has_nx = cfg.paging != VML_PAGING_LEGACY;
        md->n_cpus = cfg.n_cpus;
        assert_int_equal(0, vml_win_VirtualAlloc(md->b, 0, 0x1000, VML_MEM_RESERVE | VML_MEM_COMMIT,
                                                 VML_PAGE_READWRITE, &md->b_page));
        trace("# seed %u\nmachine ram=4M paging=%s cpus=%u pcid=%s tlb=%ux%u tlb2=%ux%u\n"
              "process A\nprocess B\n", seed, vml_paging_name(cfg.paging), cfg.n_cpus,
              cfg.flags & VML_CFG_PCID ? "on" : "off", cfg.tlb_entries, cfg.tlb_ways,
              cfg.tlb2_entries, cfg.tlb2_ways);
        for (unsigned step = 0; step < n_steps; step++) {
            unsigned op = pick(md, 20);
            if (op < 8)
                op_access(r, md, seed, step);
            else if (op < 10)
                op_reserve(r, md, seed, step);
            else if (op < 12)
                op_commit(r, md, seed, step);
            else if (op < 13)
                op_decommit(r, md, seed, step);
            else if (op < 14)
                op_release(r, md, seed, step);
            else if (op < 17)
                op_protect(r, md, seed, step);
            else if (op < 18)
                op_query(r, md, seed, step);
            else if (op < 19)
                op_other(md, seed, step);
            else
                op_frames(r, md, seed, step);
            if (vml_machine_check(r->m) != VML_OK)
                fail_at(seed, step, vml_last_error(r->m));
        }
        /* Every committed byte is still what the model says. */
        for (unsigned s = 0; s < N_SLOTS; s++)
            for (unsigned i = 0; md->s[s].reserved && i < md->s[s].n; i++) {
                struct mpage *pg = &md->s[s].pg[i];
                vml_va va = BASE + s * (uint64_t)SLOT_SIZE + i * 4096ull;
                uint8_t page[4096];
                if (!pg->committed || pg->prot == VML_PAGE_NOACCESS || (pg->prot & VML_PAGE_GUARD))
                    continue;
                assert_int_equal(VML_OK, vml_mem_read(r->p, 0, va, page, sizeof page, NULL));
                assert_memory_equal(pg->data, page, sizeof page);
            }
        vml_machine_destroy(r->m);
        r->m = NULL;
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(commit_beyond_ram_plus_pagefile_fails_with_commitment_limit),
        cmocka_unit_test_setup_teardown(random_operations_match_a_reference_model,
                                        rig_setup_empty, rig_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
