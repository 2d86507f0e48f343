/*
** test_trace_replay.c -- the replay engines: policy-only replay of every
** policy against vml_policy_simulate (the reference implementation of the
** counting rules) on random and looping traces, in every format and with
** any number of threads; the miss-ratio curves against one run per size;
** OPT's future kept on disk giving what memory gives; the definitions
** (no-ifetch, straddle, modify, processes); stopping early (partial
** results); and full-stack replay through a machine.
*/
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vmlab.h"

#define N_OF(a) (sizeof (a) / sizeof (a)[0])

static char tmpdir[64];

static int make_tmpdir(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/vmlab-test-replay-XXXXXX");
    return mkdtemp(tmpdir) != NULL ? 0 : -1;
}

static int remove_tmpdir(void **state)
{
    char cmd[128];

    (void)state;
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

static const char *path_of(const char *name)
{
    static char buf[4][256];
    static unsigned k;
    char *p = buf[k++ % 4];

    snprintf(p, 256, "%s/%s", tmpdir, name);
    return p;
}

static void write_trace(const char *name, vml_trace_format fmt, unsigned compress,
                        const vml_trace_access *a, size_t n)
{
    vml_trace_writer *w;
    char err[512];

    assert_int_equal(VML_OK, vml_trace_writer_open(path_of(name), fmt, compress, 0, &w, err,
                                                   sizeof err));
    assert_int_equal(VML_OK, vml_trace_write(w, a, n));
    if (vml_trace_writer_close(w, err, sizeof err) != VML_OK)
        fail_msg("close: %s", err);
}

static uint64_t lcg(uint64_t *s)
{
    *s = *s * 6364136223846793005ull + 1442695040888963407ull;
    return *s >> 33;
}

/* A trace with locality: a working set that drifts, loops, writes.  Pages
** are single-process reads and writes, one page per access. */
static void locality_trace(vml_trace_access *a, size_t n, uint64_t seed, unsigned footprint)
{
    uint64_t s = seed, base = 0;

    for (size_t i = 0; i < n; i++) {
        uint64_t r = lcg(&s), page;
        if (r % 97 == 0)
            base = lcg(&s) % footprint;
        if (r % 5 == 0)
            page = lcg(&s) % footprint;                 /* anywhere */
        else if (r % 5 == 1)
            page = (i / 3) % (footprint / 2 + 1);       /* a loop */
        else
            page = (base + lcg(&s) % 8) % footprint;    /* near the working set */
        a[i].va = 0x400000 + (page << 12) + (r & 0xff8);
        a[i].kind = (uint8_t)(r % 7 == 0 ? VML_TRACE_WRITE : VML_TRACE_READ);
        a[i].size = 8;
        a[i].pid = 0;
        a[i].flags = 0;
    }
}

/* Makes the first reference to each page of a[] a write: private
** anonymous pages never read as Linux's shared zero page (a read of an
** untouched one maps it, taking no frame). */
static void first_touch_writes(vml_trace_access *a, size_t n)
{
    size_t n_seen = 0, cap = 1024;
    uint64_t *seen = malloc(cap * sizeof *seen);

    assert_non_null(seen);
    for (size_t i = 0; i < n; i++) {
        uint64_t page = a[i].va >> 12;
        size_t j = 0;
        while (j < n_seen && seen[j] != page)
            j++;
        if (j < n_seen)
            continue;
        if (n_seen == cap) {
            cap *= 2;
            seen = realloc(seen, cap * sizeof *seen);
            assert_non_null(seen);
        }
        seen[n_seen++] = page;
        a[i].kind = VML_TRACE_WRITE;
    }
    free(seen);
}

static int runs_alone(vml_policy p)
{
    vml_policy_result r;

    if (vml_policy_simulate(p, 1, NULL, 0, &r) != VML_OK)
        return 0;
    vml_policy_result_free(&r);
    return 1;
}

/* The reference: vml_policy_simulate on the trace's pages. */
static vml_policy_result reference(vml_policy p, uint64_t frames, const vml_trace_access *a,
                                   size_t n)
{
    vml_ref *refs = calloc(n ? n : 1, sizeof *refs);
    vml_policy_result r;

    assert_non_null(refs);
    for (size_t i = 0; i < n; i++) {
        refs[i].page = a[i].va >> 12;
        refs[i].write = a[i].kind == VML_TRACE_WRITE || a[i].kind == VML_TRACE_MODIFY;
    }
    assert_int_equal(VML_OK, vml_policy_simulate(p, frames, refs, n, &r));
    free(refs);
    return r;
}

/* ---- policy-only replay ----------------------------------------------------------------- */

static void every_policy_counts_as_the_simulator_in_every_format(void **state)
{
    enum { N = 6000 };
    static const uint64_t frames[] = { 1, 3, 8, 20, 64, 1000 };
    static const struct { const char *name; vml_trace_format f; unsigned c; } forms[] = {
        { "a.vmt", VML_TRACE_VMT, VML_COMPRESS_NONE },
        { "a.txt.zst", VML_TRACE_TEXT, VML_COMPRESS_ZSTD },
        { "a.csv.gz", VML_TRACE_CSV, VML_COMPRESS_GZIP },
        { "a.lackey.xz", VML_TRACE_LACKEY, VML_COMPRESS_XZ },
    };
    vml_trace_access *a = calloc(N, sizeof *a);
    vml_replay_cell cells[VML_N_POLICIES * N_OF(frames)];
    const char *traces[N_OF(forms)];
    vml_replay_summary sums[N_OF(forms)];
    vml_replay_opts o;
    size_t n_cells = 0;

    (void)state;
    assert_non_null(a);
    locality_trace(a, N, 42, 150);
    for (size_t f = 0; f < N_OF(forms); f++) {
        write_trace(forms[f].name, forms[f].f, forms[f].c, a, N);
        traces[f] = strdup(path_of(forms[f].name));
    }
    for (unsigned p = 0; p < VML_N_POLICIES; p++)
        for (size_t k = 0; k < N_OF(frames) && runs_alone((vml_policy)p); k++) {
            cells[n_cells].policy = (vml_policy)p;
            cells[n_cells].frames = frames[k];
            n_cells++;
        }
    for (size_t f = 0; f < N_OF(forms); f++) {
        for (size_t c = 0; c < n_cells; c++)
            cells[c].trace = 0;
        vml_replay_opts_default(&o);
        o.jobs = 1 + (unsigned)(f % 3);       /* 1, 2, 3 threads */
        assert_int_equal(VML_OK, vml_replay_sweep(&traces[f], 1, cells, n_cells, &o, sums));
        assert_int_equal(1, sums[0].done);
        assert_int_equal(N, sums[0].accesses);
        assert_int_equal(N, sums[0].refs);
        for (size_t c = 0; c < n_cells; c++) {
            vml_policy_result want = reference(cells[c].policy, cells[c].frames, a, N);
            if (cells[c].faults != want.faults || cells[c].writebacks != want.writebacks)
                fail_msg("%s %s %llu frames: %llu faults %llu write-backs, the simulator says "
                         "%llu and %llu", forms[f].name, vml_policy_name(cells[c].policy),
                         (unsigned long long)cells[c].frames, (unsigned long long)cells[c].faults,
                         (unsigned long long)cells[c].writebacks,
                         (unsigned long long)want.faults, (unsigned long long)want.writebacks);
            assert_int_equal(want.hits, cells[c].hits);
            assert_int_equal(want.evictions, cells[c].evictions);
            assert_int_equal(N, cells[c].refs);
            assert_int_equal(1, cells[c].done);
            vml_policy_result_free(&want);
        }
    }
    for (size_t f = 0; f < N_OF(forms); f++)
        free((char *)traces[f]);
    free(a);
}

static void several_traces_in_one_sweep_keep_their_own_counts(void **state)
{
    enum { N = 3000 };
    vml_trace_access *a = calloc(N, sizeof *a), *b = calloc(N, sizeof *b);
    vml_replay_cell cells[4] = {
        { .trace = 0, .policy = VML_POLICY_LRU, .frames = 10 },
        { .trace = 1, .policy = VML_POLICY_LRU, .frames = 10 },
        { .trace = 0, .policy = VML_POLICY_OPT, .frames = 10 },
        { .trace = 1, .policy = VML_POLICY_FIFO, .frames = 10 },
    };
    const char *traces[2];
    vml_replay_summary sums[2];
    vml_replay_opts o;

    (void)state;
    locality_trace(a, N, 1, 60);
    locality_trace(b, N, 2, 90);
    write_trace("s0.vmt", VML_TRACE_VMT, VML_COMPRESS_NONE, a, N);
    write_trace("s1.vmt", VML_TRACE_VMT, VML_COMPRESS_NONE, b, N);
    traces[0] = strdup(path_of("s0.vmt"));
    traces[1] = strdup(path_of("s1.vmt"));
    vml_replay_opts_default(&o);
    o.jobs = 4;
    assert_int_equal(VML_OK, vml_replay_sweep(traces, 2, cells, 4, &o, sums));
    for (size_t c = 0; c < 4; c++) {
        vml_policy_result want = reference(cells[c].policy, 10, cells[c].trace ? b : a, N);
        assert_int_equal(want.faults, cells[c].faults);
        vml_policy_result_free(&want);
    }
    free((char *)traces[0]);
    free((char *)traces[1]);
    free(a);
    free(b);
}

/* ---- the definitions ------------------------------------------------------------------ */

static uint64_t faults_of(const char *name, vml_policy p, uint64_t frames, unsigned flags,
                          vml_replay_summary *sum)
{
    const char *traces[1] = { path_of(name) };
    vml_replay_cell cell = { .trace = 0, .policy = p, .frames = frames };
    vml_replay_opts o;

    vml_replay_opts_default(&o);
    o.flags = flags;
    assert_int_equal(VML_OK, vml_replay_sweep(traces, 1, &cell, 1, &o, sum));
    return cell.faults;
}

static void fetches_straddles_modifies_and_processes_follow_the_definitions(void **state)
{
    /* page 1 fetched, page 2 modified (one reference, a write), an access
    ** straddling pages 3 and 4, and page 1 of another process */
    static const char lackey[] =
        "I  00001000,4\n M 00002000,8\n L 00003ffc,8\nI  00001004,2\n";
    static const char text[] = "R 0x1000\nR 0x1000 2\nW 0x5000 2\n";
    vml_replay_summary sum;
    FILE *f;

    (void)state;
    f = fopen(path_of("d.lackey"), "w");
    assert_non_null(f);
    fputs(lackey, f);
    fclose(f);
    /* LRU with plenty of frames: faults are the footprint */
    assert_int_equal(3, faults_of("d.lackey", VML_POLICY_LRU, 100, 0, &sum));
    assert_int_equal(4, sum.refs);
    assert_int_equal(3, sum.footprint);
    assert_int_equal(2, faults_of("d.lackey", VML_POLICY_LRU, 100, VML_REPLAY_NO_IFETCH, &sum));
    assert_int_equal(2, sum.refs);
    assert_int_equal(4, faults_of("d.lackey", VML_POLICY_LRU, 100, VML_REPLAY_STRADDLE, &sum));
    assert_int_equal(5, sum.refs);
    assert_int_equal(3, faults_of("d.lackey", VML_POLICY_LRU, 100,
                                  VML_REPLAY_STRADDLE | VML_REPLAY_NO_IFETCH, &sum));
    /* the same through vmt, whose continuations the flags keep or drop */
    {
        vml_trace *t;
        vml_trace_writer *w;
        vml_trace_access acc[8];
        char err[256];
        size_t n;
        assert_int_equal(VML_OK, vml_trace_open(path_of("d.lackey"), VML_TRACE_AUTO, &t, err,
                                                sizeof err));
        assert_int_equal(VML_OK, vml_trace_read(t, acc, 8, &n));
        vml_trace_close(t);
        assert_int_equal(VML_OK, vml_trace_writer_open(path_of("d.vmt"), VML_TRACE_VMT,
                                                       VML_COMPRESS_NONE, 0, &w, err, sizeof err));
        assert_int_equal(VML_OK, vml_trace_write(w, acc, n));
        assert_int_equal(VML_OK, vml_trace_writer_close(w, err, sizeof err));
    }
    assert_int_equal(3, faults_of("d.vmt", VML_POLICY_LRU, 100, 0, &sum));
    assert_int_equal(4, sum.accesses);
    assert_int_equal(3, sum.footprint);
    assert_int_equal(4, faults_of("d.vmt", VML_POLICY_LRU, 100, VML_REPLAY_STRADDLE, &sum));
    assert_int_equal(2, faults_of("d.vmt", VML_POLICY_LRU, 100, VML_REPLAY_NO_IFETCH, &sum));
    /* the modify was one reference, a write: a write-back when evicted */
    faults_of("d.lackey", VML_POLICY_FIFO, 1, 0, &sum);
    {
        const char *traces[1] = { path_of("d.lackey") };
        vml_replay_cell cell = { .trace = 0, .policy = VML_POLICY_FIFO, .frames = 1 };
        assert_int_equal(VML_OK, vml_replay_sweep(traces, 1, &cell, 1, NULL, &sum));
        assert_int_equal(1, cell.writebacks);
        assert_int_equal(4, cell.faults);
    }
    /* processes: page 1 of pid 0 and of pid 2 are two pages */
    f = fopen(path_of("p.txt"), "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    assert_int_equal(3, faults_of("p.txt", VML_POLICY_LRU, 10, 0, &sum));
    assert_int_equal(2, sum.n_pids);
}

/* ---- OPT's future on disk -------------------------------------------------------------- */

static void opt_with_its_future_on_disk_counts_as_in_memory(void **state)
{
    enum { N = 50000 };     /* test builds cut the future in 4096-reference chunks */
    vml_trace_access *a = calloc(N, sizeof *a);
    const char *traces[1];
    vml_replay_cell mem = { .policy = VML_POLICY_OPT, .frames = 30 }, disk = mem;
    vml_replay_summary sum;
    vml_replay_opts o;
    vml_policy_result want;

    (void)state;
    locality_trace(a, N, 9, 200);
    write_trace("f.vmt", VML_TRACE_VMT, VML_COMPRESS_NONE, a, N);
    traces[0] = path_of("f.vmt");
    vml_replay_opts_default(&o);
    assert_int_equal(VML_OK, vml_replay_sweep(traces, 1, &mem, 1, &o, &sum));
    o.future_memory = 1;           /* every full chunk to the temporary file */
    o.tmp_dir = tmpdir;
    assert_int_equal(VML_OK, vml_replay_sweep(traces, 1, &disk, 1, &o, &sum));
    want = reference(VML_POLICY_OPT, 30, a, N);
    assert_int_equal(want.faults, mem.faults);
    assert_int_equal(want.faults, disk.faults);
    assert_int_equal(want.writebacks, disk.writebacks);
    vml_policy_result_free(&want);
    free(a);
}

/* ---- miss-ratio curves -------------------------------------------------------------------- */

static void curves_equal_one_run_per_size(void **state)
{
    enum { N = 20000 };
    static const unsigned footprints[] = { 1, 7, 300, 5000 };   /* 5000: slots compact */
    vml_trace_access *a = calloc(N, sizeof *a);

    (void)state;
    assert_non_null(a);
    for (size_t t = 0; t < N_OF(footprints); t++) {
        vml_mrc mrc;
        vml_replay_summary sum;
        vml_replay_opts o;
        locality_trace(a, N, 100 + t, footprints[t]);
        write_trace("m.vmt", VML_TRACE_VMT, VML_COMPRESS_NONE, a, N);
        vml_replay_opts_default(&o);
        o.jobs = 1 + (unsigned)(t % 2);
        assert_int_equal(VML_OK, vml_replay_mrc(path_of("m.vmt"), VML_MRC_LRU | VML_MRC_OPT, &o,
                                                &mrc, &sum));
        assert_int_equal(1, mrc.done);
        assert_int_equal(N, mrc.refs);
        assert_true(mrc.footprint <= footprints[t]);
        for (uint64_t c = 1; c <= mrc.footprint; c += (c < 40 ? 1 : 1 + c / 7)) {
            vml_policy_result lru = reference(VML_POLICY_LRU, c, a, N);
            vml_policy_result opt = reference(VML_POLICY_OPT, c, a, N);
            if (mrc.lru_faults[c - 1] != lru.faults || mrc.opt_faults[c - 1] != opt.faults)
                fail_msg("footprint %u, %llu frames: curves say lru %llu opt %llu, runs say "
                         "%llu and %llu", footprints[t], (unsigned long long)c,
                         (unsigned long long)mrc.lru_faults[c - 1],
                         (unsigned long long)mrc.opt_faults[c - 1],
                         (unsigned long long)lru.faults, (unsigned long long)opt.faults);
            vml_policy_result_free(&lru);
            vml_policy_result_free(&opt);
        }
        /* with every page resident only the cold misses are left */
        assert_int_equal(mrc.footprint, mrc.lru_faults[mrc.footprint - 1]);
        assert_int_equal(mrc.footprint, mrc.opt_faults[mrc.footprint - 1]);
        vml_mrc_free(&mrc);
    }
    free(a);
}

/* ---- stopping, errors ----------------------------------------------------------------------- */

static int stop_at_once(void *ctx, const vml_replay_progress *p)
{
    int *calls = ctx;

    (void)p;
    (*calls)++;
    return 1;
}

static void a_stopped_sweep_says_its_results_are_partial(void **state)
{
    enum { N = 400000 };
    vml_trace_access *a = calloc(N, sizeof *a);
    const char *traces[1];
    vml_replay_cell cell = { .policy = VML_POLICY_OPT, .frames = 8 };
    vml_replay_summary sum;
    vml_replay_opts o;
    int calls = 0;

    (void)state;
    locality_trace(a, N, 5, 100);
    write_trace("big.txt.gz", VML_TRACE_TEXT, VML_COMPRESS_GZIP, a, N);
    traces[0] = path_of("big.txt.gz");
    vml_replay_opts_default(&o);
    o.progress = stop_at_once;
    o.progress_ctx = &calls;
    o.progress_ms = 1;
    assert_int_equal(VML_OK, vml_replay_sweep(traces, 1, &cell, 1, &o, &sum));
    assert_true(calls >= 1);
    assert_int_equal(0, cell.done);
    assert_int_equal(0, sum.done);
    free(a);
}

static void a_bad_trace_fails_with_its_line_and_keeps_partial_counts(void **state)
{
    const char *traces[1];
    vml_replay_cell cell = { .policy = VML_POLICY_LRU, .frames = 2 };
    vml_replay_summary sum;
    FILE *f = fopen(path_of("bad.txt"), "w");

    (void)state;
    assert_non_null(f);
    for (int i = 0; i < 100000; i++)
        fprintf(f, "R 0x%x\n", (i % 7) << 12);
    fputs("R 0xZZ\n", f);
    fclose(f);
    traces[0] = path_of("bad.txt");
    assert_int_equal(VML_E_SYNTAX, vml_replay_sweep(traces, 1, &cell, 1, NULL, &sum));
    assert_int_equal(VML_E_SYNTAX, sum.status);
    assert_non_null(strstr(sum.error, "bad.txt:100001: 'R 0xZZ'"));
    assert_int_equal(0, cell.done);
    assert_int_equal(0, sum.done);
    assert_true(cell.refs > 0 && cell.refs <= 100000);   /* what ran, marked partial */
}

static void bad_cells_are_refused_before_anything_runs(void **state)
{
    const char *traces[1] = { "/nonexistent" };
    vml_replay_cell cell = { .policy = VML_POLICY_WS, .frames = 2 };
    vml_replay_summary sum;

    (void)state;
    assert_int_equal(VML_E_INVALID, vml_replay_sweep(traces, 1, &cell, 1, NULL, &sum));
    cell.policy = VML_POLICY_LRU;
    cell.frames = 0;
    assert_int_equal(VML_E_INVALID, vml_replay_sweep(traces, 1, &cell, 1, NULL, &sum));
    cell.frames = 2;
    cell.trace = 1;
    assert_int_equal(VML_E_INVALID, vml_replay_sweep(traces, 1, &cell, 1, NULL, &sum));
    cell.trace = 0;
    assert_int_equal(VML_E_SYNTAX, vml_replay_sweep(traces, 1, &cell, 1, NULL, &sum));
    assert_non_null(strstr(sum.error, "/nonexistent: cannot open"));
}

/* ---- full-stack replay --------------------------------------------------------------------- */

static vml_machine *small_machine(vml_policy policy)
{
    vml_config cfg;
    vml_machine *m;

    vml_config_default(&cfg);
    cfg.ram_bytes = 4u << 20;
    cfg.pagefile_bytes = 16u << 20;
    cfg.policy = policy;
    assert_int_equal(VML_OK, vml_machine_create(&cfg, &m));
    return m;
}

static void a_machine_replay_commits_on_first_touch_and_counts(void **state)
{
    static const char text[] =
        "R 0x10000000\nW 0x10000008\nR 0x10001000\nW 0x7ffe0000 7\n"
        "R 0xffff800000000000\nR 0x10000000\nR 0x20\n";
    vml_machine *m = small_machine(VML_POLICY_WS);
    vml_machine_replay r;
    vml_replay_opts o;
    vml_trace *t;
    char err[256];
    uint64_t v;
    FILE *f = fopen(path_of("mm.txt"), "w");

    (void)state;
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    vml_replay_opts_default(&o);
    o.flags = VML_REPLAY_AUTOCOMMIT;
    assert_int_equal(VML_OK, vml_trace_open(path_of("mm.txt"), VML_TRACE_AUTO, &t, err, sizeof err));
    assert_int_equal(VML_OK, vml_replay_machine(m, NULL, t, &o, &r));
    vml_trace_close(t);
    assert_int_equal(1, r.done);
    assert_int_equal(7, r.accesses);
    assert_int_equal(2, r.n_procs);             /* pids 0 and 7 */
    assert_int_equal(3, r.pages_committed);     /* 0x10000000, 0x10001000, 0x7ffe0000 */
    assert_int_equal(2, r.exceptions);          /* a kernel address, the NULL region */
    /* Pages committed by mmap are private anonymous memory: as on Linux a
    ** read of one never touched maps the shared zero page (no frame, no
    ** demand-zero fault), and its first write gives it a zeroed frame.
    ** 0x10000000 is read then written: one demand-zero fault; 0x10001000
    ** only read: the zero page; 0x7ffe0000 written: one. */
    assert_int_equal(VML_OK, vml_stat_get(m, VML_SCOPE_SYSTEM, 0, "demand_zero_faults", &v));
    assert_int_equal(2, v);
    assert_int_equal(VML_OK, vml_stat_get(m, VML_SCOPE_SYSTEM, 0, "zero_page_maps", &v));
    assert_int_equal(1, v);
    assert_non_null(vml_proc_find(m, "trace-pid-7"));
    vml_machine_destroy(m);
}

static void a_machine_replay_matches_its_global_policy_alone(void **state)
{
    /* One process, a global LRU over user pages: the machine's policy sees
    ** the same page references as policy-only replay does, so its hard and
    ** demand-zero faults together are at least the policy's faults with as
    ** many frames as the machine leaves to user pages.  Each page's first
    ** reference is a write, so that no page is read as the shared zero page
    ** (which takes no frame: the policy would not see it). */
    enum { N = 30000 };
    vml_trace_access *a = calloc(N, sizeof *a);
    vml_machine *m = small_machine(VML_POLICY_LRU);
    vml_machine_replay r;
    vml_replay_opts o;
    vml_trace *t;
    char err[256];
    uint64_t dz, hard, total;

    (void)state;
    locality_trace(a, N, 77, 1500);       /* more pages than the 1024 frames */
    first_touch_writes(a, N);
    write_trace("mp.vmt", VML_TRACE_VMT, VML_COMPRESS_NONE, a, N);
    vml_replay_opts_default(&o);
    o.flags = VML_REPLAY_AUTOCOMMIT;
    assert_int_equal(VML_OK, vml_trace_open(path_of("mp.vmt"), VML_TRACE_AUTO, &t, err, sizeof err));
    assert_int_equal(VML_OK, vml_replay_machine(m, NULL, t, &o, &r));
    vml_trace_close(t);
    assert_int_equal(1, r.done);
    assert_int_equal(0, r.exceptions);
    vml_stat_get(m, VML_SCOPE_SYSTEM, 0, "demand_zero_faults", &dz);
    vml_stat_get(m, VML_SCOPE_SYSTEM, 0, "hard_faults", &hard);
    vml_stat_get(m, VML_SCOPE_SYSTEM, 0, "pagefile_reads", &total);
    assert_int_equal(hard, total);
    {
        vml_policy_result want = reference(VML_POLICY_LRU, 1024, a, N);
        assert_true(dz + hard >= want.faults);
        vml_policy_result_free(&want);
    }
    assert_int_equal(VML_OK, vml_machine_check(m));
    vml_machine_destroy(m);
    free(a);
}

static void a_machine_replay_without_commit_counts_exceptions(void **state)
{
    vml_machine *m = small_machine(VML_POLICY_WS);
    vml_machine_replay r;
    vml_proc *p;
    vml_trace *t;
    char err[256];
    vml_va base;
    FILE *f = fopen(path_of("nc.txt"), "w");

    (void)state;
    assert_non_null(f);
    assert_int_equal(VML_OK, vml_proc_create(m, "A", &p));
    assert_int_equal(0, vml_win_VirtualAlloc(p, 0x20000000, 0x2000, VML_MEM_RESERVE | VML_MEM_COMMIT,
                                             VML_PAGE_READONLY, &base));
    fprintf(f, "R 0x20000000\nW 0x20000000\nR 0x30000000\nI 0x20001000\n");
    fclose(f);
    assert_int_equal(VML_OK, vml_trace_open(path_of("nc.txt"), VML_TRACE_AUTO, &t, err, sizeof err));
    assert_int_equal(VML_OK, vml_replay_machine(m, p, t, NULL, &r));
    vml_trace_close(t);
    /* the write to a read-only page, the address with no VAD, the fetch
    ** from a read-only (no-execute) page: three exceptions */
    assert_int_equal(3, r.exceptions);
    assert_int_equal(0, r.pages_committed);
    assert_int_equal(1, r.done);
    vml_machine_destroy(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_policy_counts_as_the_simulator_in_every_format),
        cmocka_unit_test(several_traces_in_one_sweep_keep_their_own_counts),
        cmocka_unit_test(fetches_straddles_modifies_and_processes_follow_the_definitions),
        cmocka_unit_test(opt_with_its_future_on_disk_counts_as_in_memory),
        cmocka_unit_test(curves_equal_one_run_per_size),
        cmocka_unit_test(a_stopped_sweep_says_its_results_are_partial),
        cmocka_unit_test(a_bad_trace_fails_with_its_line_and_keeps_partial_counts),
        cmocka_unit_test(bad_cells_are_refused_before_anything_runs),
        cmocka_unit_test(a_machine_replay_commits_on_first_touch_and_counts),
        cmocka_unit_test(a_machine_replay_matches_its_global_policy_alone),
        cmocka_unit_test(a_machine_replay_without_commit_counts_exceptions),
    };
    return cmocka_run_group_tests(tests, make_tmpdir, remove_tmpdir);
}
