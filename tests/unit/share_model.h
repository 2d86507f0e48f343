/*
** share_model.h -- the shadow model of test_share_property.c: what every
** process's memory must hold (shared objects, mappings, copy-on-write
** copies, handles, descriptors), the host files' expected bytes, and the
** checks each operation of the property test runs against the machine:
** reads, writes, host files, share counts, Rss and Pss.
**
** Header-only, for the one test that uses it (as testutil.h: static
** functions).  A failed check names the seed and the operation.
*/
#ifndef VML_SHARE_MODEL_H
#define VML_SHARE_MODEL_H

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>
#include "testutil.h"

#define N_FILES      3
#define FILE_PAGES   40        /* > 16: views at 64 KiB offsets fit */
#define MAX_PROCS    5
#define MAX_REGIONS  10
#define MAX_HANDLES  8
#define MAX_FDS      6
#define MAX_OBJS     48
#define MAX_SECS     32
#define N_NAMES      4

static const char *const file_names[N_FILES] = { "f0.bin", "f1.bin", "f2.bin" };
static const char *const sec_names[N_NAMES] = { "Local\\s0", "Local\\s1", "Local\\s2", "Local\\s3" };

/* ---- the model ------------------------------------------------------------------------------ */

/* What backs shared pages: objects 0..N_FILES-1 are the files, the others
** pagefile-backed sections and shmem objects (zeros when made). */
struct obj {
    uint32_t n_pages;
    uint8_t *bytes;
};

/* A Win32 section object: it lives while a handle or a view names it. */
struct sec {
    int      obj;
    uint32_t n_pages;
    uint32_t rights;           /* FILE_MAP_* its protection grants */
    int      name;             /* index in sec_names, -1 none */
    unsigned refs;
};

enum api { API_VIEW, API_VALLOC, API_MMAP };

struct region {
    vml_va   va;
    uint32_t n_pages;
    enum api api;
    int      obj;              /* -1: private anonymous memory */
    uint32_t obj_off;          /* pages */
    int      sec;              /* views: the section object; else -1 */
    int      writable, cow;
    int      ro_file;          /* MAP_SHARED of a file open read-only: never writable */
    int      was_writable;     /* writable once: its PTEs may still be dirty */
    uint8_t **priv;            /* per page: the process's own copy, or NULL */
};

struct handle {
    vml_handle h;
    int        is_file;
    int        idx;            /* a file (obj) or a section */
    uint32_t   access;         /* GENERIC_* for files, FILE_MAP_* for sections */
};

struct mproc {
    vml_proc     *p;
    struct region r[MAX_REGIONS];
    unsigned      n_r;
    struct handle h[MAX_HANDLES];
    unsigned      n_h;
    struct { int fd, file, rdwr; } fd[MAX_FDS];
    unsigned      n_fd;
};

struct world {
    uint64_t     seed, rng;
    unsigned     op;
    char         what[200];
    int          trace;
    /* I/O errors injected (some seeds): reads of pages from a file or the
    ** pagefile may raise STATUS_IN_PAGE_ERROR; file writes may fail, so
    ** a page whose write-back failed reaches the host only later. */
    int          may_fail_reads, may_fail_writes;
    vml_machine *m;
    struct obj   obj[MAX_OBJS];
    unsigned     n_obj;
    struct sec   sec[MAX_SECS];
    unsigned     n_sec;
    struct mproc pr[MAX_PROCS];
    unsigned     n_pr, next_name;
    uint32_t    *pte_count;    /* per frame: PTEs the queries found */
};

/* For the abort handler: what ran when an invariant check aborted. */
static const struct world *current;

static void on_abort(int sig)
{
    char msg[400];
    (void)sig;
    if (current) {
        int n = snprintf(msg, sizeof msg, "\ntest_share_property: aborted at seed %llu op %u: %s\n"
                         "  replay: VMLAB_PROP_SEED=%llu VMLAB_PROP_TRACE=1\n",
                         (unsigned long long)current->seed, current->op, current->what,
                         (unsigned long long)current->seed);
        if (n > 0 && write(2, msg, (size_t)n) < 0)
            msg[0] = 0;
    }
    signal(SIGABRT, SIG_DFL);
    raise(SIGABRT);
}

static void prop_fail(const struct world *w, int line, const char *fmt, ...)
{
    char msg[300];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fail_msg("seed %llu op %u (%s), line %d: %s [last error: %s]\n"
             "  replay: VMLAB_PROP_SEED=%llu VMLAB_PROP_TRACE=1",
             (unsigned long long)w->seed, w->op, w->what, line, msg, vml_last_error(w->m),
             (unsigned long long)w->seed);
}

#define EXPECT(w, cond, ...) \
    do { if (!(cond)) prop_fail((w), __LINE__, __VA_ARGS__); } while (0)
#define EXPECT_EQ(w, want, got) \
    EXPECT((w), (uint64_t)(want) == (uint64_t)(got), "%s is %llu (%#llx), expected %llu (%#llx)", \
           #got, (unsigned long long)(got), (unsigned long long)(got), \
           (unsigned long long)(want), (unsigned long long)(want))

static uint64_t rnd(struct world *w, uint64_t n)
{
    return n ? xorshift64star(&w->rng) % n : 0;
}

static void say(struct world *w, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(w->what, sizeof w->what, fmt, ap);
    va_end(ap);
    if (w->trace)
        fprintf(stderr, "op %u: %s\n", w->op, w->what);
}

static int obj_new(struct world *w, uint32_t n_pages)
{
    struct obj *o = &w->obj[w->n_obj];
    o->n_pages = n_pages;
    o->bytes = calloc(n_pages, PAGE);
    assert_non_null(o->bytes);
    return (int)w->n_obj++;
}

static uint8_t *obj_page(struct world *w, int obj, uint32_t page)
{
    return w->obj[obj].bytes + (size_t)page * PAGE;
}

static int is_file(int obj) { return obj >= 0 && obj < N_FILES; }
static int shared_region(const struct region *r) { return r->obj >= 0 && !r->cow; }

/* The page the model writes for page i of r (a copy taken on first write). */
static uint8_t *model_page_for_write(struct world *w, struct region *r, uint32_t i)
{
    if (shared_region(r))
        return obj_page(w, r->obj, r->obj_off + i);
    if (r->priv[i] == NULL) {
        r->priv[i] = calloc(1, PAGE);
        assert_non_null(r->priv[i]);
        if (r->obj >= 0)
            memcpy(r->priv[i], obj_page(w, r->obj, r->obj_off + i), PAGE);
    }
    return r->priv[i];
}

/* ---- regions, handles, processes ------------------------------------------------------------ */

static struct region *region_add(struct world *w, struct mproc *mp, vml_va va, uint32_t n_pages,
                                 enum api api, int obj, uint32_t obj_off, int sec)
{
    EXPECT(w, mp->n_r < MAX_REGIONS, "too many regions");
    for (unsigned i = 0; i < mp->n_r; i++)
        EXPECT(w, va + (uint64_t)n_pages * PAGE <= mp->r[i].va ||
                  mp->r[i].va + (uint64_t)mp->r[i].n_pages * PAGE <= va,
               "new mapping %#llx overlaps %#llx", (unsigned long long)va,
               (unsigned long long)mp->r[i].va);
    struct region *r = &mp->r[mp->n_r++];
    *r = (struct region){ .va = va, .n_pages = n_pages, .api = api, .obj = obj,
                          .obj_off = obj_off, .sec = sec };
    r->priv = calloc(n_pages, sizeof *r->priv);
    assert_non_null(r->priv);
    if (sec >= 0)
        w->sec[sec].refs++;
    return r;
}

static void check_host_file(struct world *w, int file, uint32_t first, uint32_t n, int unmapped);

static void sec_unref(struct world *w, int sec)
{
    EXPECT(w, w->sec[sec].refs > 0, "section %d has no reference", sec);
    w->sec[sec].refs--;
}

/* Removes pages [a, b) of region k of mp from the model (the library
** unmapped them); a middle piece splits the region in two. */
static void region_cut(struct world *w, struct mproc *mp, unsigned k, uint32_t a, uint32_t b)
{
    struct region *r = &mp->r[k], right = *r;
    int obj = r->obj, writable_shared = shared_region(r) && r->was_writable;
    int has_right = b < r->n_pages;
    uint32_t file_first = r->obj_off + a;
    for (uint32_t i = a; i < b; i++) {
        free(r->priv[i]);
        r->priv[i] = NULL;
    }
    if (has_right) {                    /* the part after the cut */
        right.va = r->va + (uint64_t)b * PAGE;
        right.n_pages = r->n_pages - b;
        right.obj_off = r->obj_off + b;
        right.priv = calloc(right.n_pages, sizeof *right.priv);
        assert_non_null(right.priv);
        memcpy(right.priv, r->priv + b, right.n_pages * sizeof *right.priv);
        if (r->sec >= 0)
            w->sec[r->sec].refs++;
    }
    if (a > 0) {
        r->n_pages = a;                 /* the part before stays */
    } else {
        free(r->priv);
        if (r->sec >= 0)
            sec_unref(w, r->sec);
        mp->r[k] = mp->r[--mp->n_r];
    }
    if (has_right) {
        EXPECT(w, mp->n_r < MAX_REGIONS, "too many regions");
        mp->r[mp->n_r++] = right;
    }
    if (writable_shared && is_file(obj))
        check_host_file(w, obj, file_first, b - a, 1);
}

static void handle_drop(struct world *w, struct mproc *mp, unsigned k)
{
    if (!mp->h[k].is_file)
        sec_unref(w, mp->h[k].idx);
    mp->h[k] = mp->h[--mp->n_h];
}

static int sec_alive(const struct world *w, int s) { return w->sec[s].refs > 0; }

static int sec_by_name(const struct world *w, int name)
{
    for (unsigned s = 0; s < w->n_sec; s++)
        if (sec_alive(w, (int)s) && w->sec[s].name == name)
            return (int)s;
    return -1;
}

static struct mproc *new_mproc(struct world *w, vml_proc *p)
{
    struct mproc *mp = &w->pr[w->n_pr++];
    *mp = (struct mproc){ .p = p };
    return mp;
}

/* ---- the host files ------------------------------------------------------------------------- */

static void host_read(struct world *w, int file, uint32_t page, uint8_t *buf)
{
    char path[600];
    snprintf(path, sizeof path, "%s/%s", vml_files_dir(w->m), file_names[file]);
    int fd = open(path, O_RDONLY);
    EXPECT(w, fd >= 0, "cannot open %s", path);
    ssize_t n = pread(fd, buf, PAGE, (off_t)page * PAGE);
    close(fd);
    EXPECT(w, n == (ssize_t)PAGE, "short read of %s page %u", path, page);
}

static int covered_writable(const struct world *w, int file, uint32_t page)
{
    for (unsigned k = 0; k < w->n_pr; k++)
        for (unsigned i = 0; i < w->pr[k].n_r; i++) {
            const struct region *r = &w->pr[k].r[i];
            if (r->obj == file && shared_region(r) && r->was_writable && page >= r->obj_off &&
                page < r->obj_off + r->n_pages)
                return 1;
        }
    return 0;
}

/* Pages [first, first + n) of file must be on the host as the model has
** them: all of them after a flush, those no shared mapping that could
** write them covers any more after an unmap (unmapped). */
static void check_host_file(struct world *w, int file, uint32_t first, uint32_t n, int unmapped)
{
    uint8_t buf[PAGE];
    if (unmapped && w->may_fail_writes)
        return;                         /* a failed write-back is retried later */
    if (first >= FILE_PAGES)
        return;                         /* all past the end of the file */
    if (n > FILE_PAGES - first)
        n = FILE_PAGES - first;
    for (uint32_t page = first; page < first + n; page++) {
        if (unmapped && covered_writable(w, file, page))
            continue;
        host_read(w, file, page, buf);
        const uint8_t *want = obj_page(w, file, page);
        for (uint32_t off = 0; off < PAGE; off++)
            EXPECT(w, buf[off] == want[off], "%s page %u byte %#x on the host is %#x, the model "
                   "has %#x (after %s)", file_names[file], page, off, buf[off], want[off],
                   unmapped ? "the last writable mapping went" : "a flush");
    }
}

/* ---- reads, writes, verification ------------------------------------------------------------- */

/* How many of the len bytes at from in r come before a page past the end
** of r's file (a file mapping may reach past it: those pages raise
** SIGBUS). */
static uint32_t before_eof(const struct world *w, const struct region *r, uint32_t from,
                           uint32_t len)
{
    if (!is_file(r->obj))
        return len;
    for (uint32_t i = from / PAGE; i * PAGE < from + len; i++)
        if (r->obj_off + i >= w->obj[r->obj].n_pages)
            return i * PAGE > from ? i * PAGE - from : 0;
    return len;
}

/* The access at from of len bytes raised an exception that the model
** expects: SIGBUS at the first page past the file's end, or (when errors
** are injected) an in-page error.  How many bytes came before it. */
static uint32_t expected_fault(struct world *w, const struct region *r, uint32_t from,
                               uint32_t len, vml_status st, const vml_exception *ex)
{
    uint32_t good = before_eof(w, r, from, len);
    if (st == VML_FAULTED && ex->reason == VML_AV_IN_PAGE_ERROR && w->may_fail_reads) {
        /* the bytes before the page that could not be read came */
        vml_va stop = ex->va & ~(vml_va)(PAGE - 1);
        uint32_t n = stop > r->va + from ? (uint32_t)(stop - r->va - from) : 0;
        EXPECT(w, n <= good, "an in-page error past the end of the file");
        return n;
    }
    EXPECT(w, good < len, "an exception %s at %#llx where the model expects none",
           vml_av_reason_name(ex->reason), (unsigned long long)ex->va);
    EXPECT(w, ex->reason == VML_AV_BEYOND_EOF && ex->signo == VML_SIGBUS &&
              ex->si_code == VML_BUS_ADRERR && ex->va == r->va + from + good,
           "an access past the end of the file at %#llx: %s at %#llx, expected SIGBUS",
           (unsigned long long)(r->va + from + good), vml_av_reason_name(ex->reason),
           (unsigned long long)ex->va);
    return good;
}

/* ReadProcessMemory of mp's bytes by another process: the bytes that
** came, stopping (ERROR_PARTIAL_COPY) where the process's own read would
** fault.  *len becomes how many came. */
static void read_from_outside(struct world *w, struct mproc *mp, struct region *r, uint32_t from,
                              uint32_t *len, uint8_t *buf)
{
    vml_proc *caller = w->pr[rnd(w, w->n_pr)].p;
    uint64_t n_done = 0;
    uint32_t err = vml_win_ReadProcessMemory(caller, mp->p, r->va + from, buf, *len, &n_done);
    uint32_t good = before_eof(w, r, from, *len);
    if (err == VML_ERROR_PARTIAL_COPY && (good < *len || w->may_fail_reads)) {
        EXPECT(w, n_done <= good && (n_done == good || w->may_fail_reads),
               "ReadProcessMemory by %s copied %llu bytes, %u readable",
               vml_proc_name(caller), (unsigned long long)n_done, good);
        *len = (uint32_t)n_done;
        return;
    }
    EXPECT(w, err == VML_ERROR_SUCCESS && n_done == *len,
           "ReadProcessMemory by %s of %u bytes at %#llx: error %u, %llu copied",
           vml_proc_name(caller), *len, (unsigned long long)(r->va + from), err,
           (unsigned long long)n_done);
}

static void verify_range(struct world *w, struct mproc *mp, struct region *r, uint32_t from,
                         uint32_t len)
{
    uint8_t *buf = malloc(len);
    vml_exception ex;
    unsigned cpu = (unsigned)rnd(w, vml_cpu_count(w->m));
    assert_non_null(buf);
    vml_status st = VML_OK;
    if (rnd(w, 4) == 0)               /* another process reads it (vm_copy) */
        read_from_outside(w, mp, r, from, &len, buf);
    else
        st = vml_mem_read(mp->p, cpu, r->va + from, buf, len, &ex);
    if (st == VML_FAULTED) {
        len = expected_fault(w, r, from, len, st, &ex);
        st = VML_OK;
    }
    EXPECT(w, before_eof(w, r, from, len) == len, "a read past the end of the file: no SIGBUS");
    EXPECT(w, st == VML_OK, "read of %u bytes at %#llx: %s (%s)", len,
           (unsigned long long)(r->va + from), vml_status_name(st),
           st == VML_FAULTED ? vml_av_reason_name(ex.reason) : "");
    static const uint8_t zeros[PAGE];
    for (uint32_t k = 0; k < len; ) {
        uint32_t at = from + k, i = at / PAGE, n = PAGE - at % PAGE;
        const uint8_t *want = r->priv[i] ? r->priv[i] : r->obj >= 0
                            ? obj_page(w, r->obj, r->obj_off + i) : zeros;
        if (n > len - k)
            n = len - k;
        if (memcmp(buf + k, want + at % PAGE, n) != 0)
            for (uint32_t j = 0; j < n; j++)
                EXPECT(w, buf[k + j] == want[at % PAGE + j], "byte at %#llx (page %u of a %s%s "
                       "region of object %d) is %#x, the model has %#x",
                       (unsigned long long)(r->va + at + j), i, r->cow ? "copy-on-write " : "",
                       r->api == API_VIEW ? "view" : r->api == API_MMAP ? "mmap" : "VirtualAlloc",
                       r->obj, buf[k + j], want[at % PAGE + j]);
        k += n;
    }
    free(buf);
}

/* The whole region in one read (one access, one invariant check). */
static void verify_region(struct world *w, struct mproc *mp, struct region *r)
{
    verify_range(w, mp, r, 0, r->n_pages * PAGE);
}

/* Writes len random bytes at byte from of r; a read-only mapping faults
** on its first page (nothing is written). */
static void write_bytes(struct world *w, struct mproc *mp, struct region *r, uint32_t from,
                        uint32_t len)
{
    uint8_t *buf = malloc(len);
    vml_exception ex;
    unsigned cpu = (unsigned)rnd(w, vml_cpu_count(w->m));
    assert_non_null(buf);
    for (uint32_t k = 0; k < len; k++)
        buf[k] = (uint8_t)rnd(w, 256);
    vml_status st = vml_mem_write(mp->p, cpu, r->va + from, buf, len, &ex);
    if (!r->writable) {
        EXPECT(w, st == VML_FAULTED && ex.reason == VML_AV_READONLY &&
                  ex.va == r->va + from,
               "a write to a read-only mapping: %s (%s)", vml_status_name(st),
               st == VML_FAULTED ? vml_av_reason_name(ex.reason) : "no exception");
        free(buf);
        return;
    }
    if (st == VML_FAULTED) {
        len = expected_fault(w, r, from, len, st, &ex);
        st = VML_OK;
    }
    EXPECT(w, before_eof(w, r, from, len) == len, "a write past the end of the file: no SIGBUS");
    EXPECT(w, st == VML_OK, "write of %u bytes at %#llx: %s (%s)", len,
           (unsigned long long)(r->va + from), vml_status_name(st),
           st == VML_FAULTED ? vml_av_reason_name(ex.reason) : "");
    for (uint32_t k = 0; k < len; ) {
        uint32_t at = from + k, n = PAGE - at % PAGE;
        if (n > len - k)
            n = len - k;
        memcpy(model_page_for_write(w, r, at / PAGE) + at % PAGE, buf + k, n);
        k += n;
    }
    free(buf);
}

/* ---- the counters ------------------------------------------------------------------------------ */

static void check_counters(struct world *w)
{
    uint64_t n_frames = vml_pfn_total(w->m), mapped = 0, shared = 0, pss_sum = 0, n_ptes = 0;
    memset(w->pte_count, 0, n_frames * sizeof *w->pte_count);
    for (unsigned k = 0; k < w->n_pr; k++) {
        struct mproc *mp = &w->pr[k];
        vml_mem_usage sum = { 0 };
        for (unsigned i = 0; i < mp->n_r; i++) {
            struct region *r = &mp->r[i];
            vml_mem_usage u;
            for (uint32_t pg = 0; pg < r->n_pages; pg++) {
                vml_page_info pi;
                EXPECT_EQ(w, VML_OK, vml_page_query(mp->p, r->va + (uint64_t)pg * PAGE, &pi));
                if (before_eof(w, r, pg * PAGE, PAGE) == 0)     /* no such page */
                    EXPECT(w, !pi.mapped && !pi.resident && pi.proto_id == 0 &&
                              pi.pfn == VML_PFN_NONE,
                           "%s %#llx, past the end of its file, queries as resident (pfn %#llx, "
                           "prototype %#llx)", vml_proc_name(mp->p),
                           (unsigned long long)(r->va + (uint64_t)pg * PAGE),
                           (unsigned long long)pi.pfn, (unsigned long long)pi.proto_id);
                if (!pi.mapped || pi.zero_page)
                    continue;
                EXPECT(w, pi.pfn < n_frames, "pfn %#llx", (unsigned long long)pi.pfn);
                w->pte_count[pi.pfn]++;
                n_ptes++;
            }
            EXPECT_EQ(w, VML_OK, vml_mem_usage_get(mp->p, r->va,
                                                   r->va + (uint64_t)r->n_pages * PAGE, &u));
            sum.rss += u.rss;
            sum.pss += u.pss;
        }
        uint64_t ws = proc_stat(mp->p, "working_set"), pss = proc_stat(mp->p, "pss");
        EXPECT_EQ(w, ws, sum.rss);
        EXPECT_EQ(w, ws, proc_stat(mp->p, "ws_private") + proc_stat(mp->p, "ws_shareable"));
        EXPECT(w, proc_stat(mp->p, "ws_shared") <= proc_stat(mp->p, "ws_shareable"),
               "ws_shared > ws_shareable");
        /* the library rounds each call's Pss down once */
        EXPECT(w, pss >= sum.pss && pss - sum.pss <= mp->n_r,
               "%s: Pss %llu, its mappings' Pss sum to %llu", vml_proc_name(mp->p),
               (unsigned long long)pss, (unsigned long long)sum.pss);
        pss_sum += pss;
    }
    for (vml_pfn f = 0; f < n_frames; f++) {
        if (w->pte_count[f] == 0)
            continue;
        vml_pfn_info info;
        EXPECT_EQ(w, VML_OK, vml_pfn_get(w->m, f, &info));
        EXPECT(w, info.share_count == w->pte_count[f], "frame %#llx: share count %u, %u PTEs map it",
               (unsigned long long)f, info.share_count, w->pte_count[f]);
        EXPECT_EQ(w, VML_LIST_ACTIVE, info.list);
        mapped++;
        shared += w->pte_count[f] > 1;
    }
    EXPECT_EQ(w, shared, sys_stat(w->m, "shared_pages"));
    /* Each process's Pss is its pages' shares, each rounded down in units
    ** of 2^-12 bytes, summed, then rounded down to bytes. */
    uint64_t total = mapped * PAGE, slack = w->n_pr + n_ptes / 4096 + 1;
    EXPECT(w, pss_sum <= total && total - pss_sum < slack,
           "Pss of all processes sums to %llu, the %llu mapped frames are %llu bytes",
           (unsigned long long)pss_sum, (unsigned long long)mapped, (unsigned long long)total);
}

#endif
