/*
** cmd_paging.c -- handlers of the paging commands: working-set limits and
** memory priority, the background work (tick), touching, filling and
** verifying ranges of memory, fault injection, and the paging views (!vm,
** !wsle, vmstat).
**
** As in cmd_mem.c: every argument is evaluated and checked first (CLI1),
** then the library is called; a simulated failure (an exception, a status)
** is a result, not a script error.
**
** The fill pattern (fill, verify) is a function of the seed and of each
** byte's virtual address only, so a page that went to the pagefile and
** came back, in any order and in any chunk size, verifies the same
** (fill and verify move 64 pages per library call):
**   word(seed, a) = mix64(seed * 0x9E3779B97F4A7C15 ^ a)   for a = va & ~7
**   byte(seed, va) = (word(seed, va & ~7) >> (8 * (va & 7))) & 0xFF
** where mix64 is SplitMix64's finalizer (Steele, Lea, Flood 2014).
*/
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define TICK_MAX (1u << 20)

/* ------------------------------------------------------------------ */
/* Working sets and priority                                           */

/* SetProcessWorkingSetSize(hProcess, dwMinimumWorkingSetSize,
** dwMaximumWorkingSetSize): sizes in bytes, as SIZE_T; both (SIZE_T)-1
** empty the working set. */
CLI_HANDLER(h_setwss)
{
    vml_proc *p;
    uint64_t min = 0, max = 0;

    (void)argc;
    if (arg_proc(in, argv[0], &p) || arg_num(in, argv[1], "MIN", &min) ||
        arg_num(in, argv[2], "MAX", &max))
        return RC_ERROR;
    if (min == UINT64_MAX && max == UINT64_MAX)
        return lib_status(in, vml_ws_set(p, UINT64_MAX, UINT64_MAX), res);
    return lib_status(in, vml_ws_set(p, min >> VML_PAGE_SHIFT, max >> VML_PAGE_SHIFT), res);
}

/* SetProcessInformation(hProcess, ProcessMemoryPriority, &info, ...). */
CLI_HANDLER(h_setmemprio)
{
    vml_proc *p;
    uint32_t prio = 0;

    (void)argc;
    if (arg_proc(in, argv[0], &p) || arg_u32(in, argv[1], "PRIORITY", &prio))
        return RC_ERROR;
    return lib_status(in, vml_proc_set_memory_priority(p, prio), res);
}

/* ------------------------------------------------------------------ */
/* The background work                                                 */

#define TICK_CHUNK 64u            /* ticks per library call (progress, Ctrl-C) */

CLI_HANDLER(h_tick)
{
    uint64_t n = 1, done = 0;
    struct progress pg;
    enum rc rc = RC_OK;

    if (argc == 1 && arg_count(in, argv[0], "N", &n))
        return RC_ERROR;
    if (n > TICK_MAX)
        return cli_error(in, "tick: N must be 0 to %u, not %llu", TICK_MAX,
                         (unsigned long long)n);
    progress_start(in, &pg, "tick", n, "passes");
    while (done < n && rc == RC_OK && res->fail == FAIL_NONE) {
        uint64_t k = n - done < TICK_CHUNK ? n - done : TICK_CHUNK;
        rc = lib_status(in, vml_tick(in->m, k), res);
        done += k;
        if (rc == RC_OK && done < n)
            rc = progress_step(in, &pg, done);
    }
    progress_end(in, &pg);
    return rc;
}

/* ------------------------------------------------------------------ */
/* Ranges of memory: touch, fill, verify                               */

/* PROCESS ADDRESS LEN, with ADDRESS + LEN not wrapping around. */
static enum rc arg_range(struct interp *in, char **argv, vml_proc **p, uint64_t *va,
                         uint64_t *len)
{
    if (arg_proc(in, argv[0], p) || arg_num(in, argv[1], "ADDRESS", va) ||
        arg_size(in, argv[2], "LEN", len))
        return RC_ERROR;
    if (*va + *len < *va)
        return cli_error(in, "the range 0x%llx + 0x%llx wraps around the address space",
                         (unsigned long long)*va, (unsigned long long)*len);
    return RC_OK;
}

/* The pages that [va, va + len) touches. */
static uint64_t pages_in(uint64_t va, uint64_t len)
{
    if (len == 0)
        return 0;
    return ((va + len - 1) >> VML_PAGE_SHIFT) - (va >> VML_PAGE_SHIFT) + 1;
}

/* Bytes from va to the end of its page, at most left. */
static size_t chunk_len(uint64_t va, uint64_t left)
{
    uint64_t n = VML_PAGE_SIZE - (va & (VML_PAGE_SIZE - 1));

    return (size_t)(n < left ? n : left);
}

/* fill and verify move CHUNK_PAGES pages per library call, ending on page
** boundaries: an exception still stops them at the faulting page (the
** library transfers the bytes before it), and a test build, which checks
** every invariant after every call, stays fast on ranges of 64 MiB. */
#define CHUNK_PAGES 64u
#define CHUNK_BYTES (CHUNK_PAGES * VML_PAGE_SIZE)

static size_t big_chunk_len(uint64_t va, uint64_t left)
{
    uint64_t n = CHUNK_BYTES - (va & (VML_PAGE_SIZE - 1));

    return (size_t)(n < left ? n : left);
}

/* One access of a process's memory; RC_OK with res->fail set when it raised
** an exception or failed. */
static enum rc access_one(struct interp *in, vml_proc *p, int write, vml_va va, void *buf,
                          size_t len, struct result *res)
{
    vml_status st = write ? vml_mem_write(p, in->cmd_cpu, va, buf, len, &res->ex)
                          : vml_mem_read(p, in->cmd_cpu, va, buf, len, &res->ex);

    return lib_status(in, st, res);
}

/* touch PROCESS ADDRESS LEN r|w: one access per page of the range (the
** first at ADDRESS, the others at page starts).  r reads through the
** library's batch path (vml_mem_batch: 8 aligned bytes per access, many
** pages per call); w is a read-modify-write of the page's first byte (as
** `lock or byte [p], 0` would do): the page is dirtied, its contents stay. */
#define TOUCH_BATCH 4096u

static enum rc touch_reads(struct interp *in, vml_proc *p, uint64_t va, uint64_t end,
                           uint64_t *n_pages, struct progress *pg, struct result *res)
{
    vml_va *vas = malloc(TOUCH_BATCH * sizeof *vas);
    enum rc rc = RC_OK;

    if (vas == NULL)
        return cli_error(in, "out of memory");
    while (va < end && rc == RC_OK && res->fail == FAIL_NONE) {
        size_t n = 0, done = 0;
        vml_status st;
        for (; va < end && n < TOUCH_BATCH; va += chunk_len(va, end - va))
            vas[n++] = va;
        st = vml_mem_batch(p, in->cmd_cpu, vas, n, VML_ACCESS_READ, NULL, &done, &res->ex);
        *n_pages += done;
        rc = lib_status(in, st, res);
        if (rc == RC_OK && res->fail == FAIL_NONE && va < end)
            rc = progress_step(in, pg, *n_pages);
    }
    free(vas);
    return rc;
}

static enum rc touch_writes(struct interp *in, vml_proc *p, uint64_t va, uint64_t end,
                            uint64_t *n_pages, struct progress *pg, struct result *res)
{
    for (; va < end; va += chunk_len(va, end - va)) {
        unsigned char b = 0;
        enum rc rc = access_one(in, p, 0, va, &b, 1, res);
        if (rc == RC_OK && res->fail == FAIL_NONE)
            rc = access_one(in, p, 1, va, &b, 1, res);
        if (rc != RC_OK || res->fail != FAIL_NONE)
            return rc;
        (*n_pages)++;
        if (*n_pages % TOUCH_BATCH == 0 && (rc = progress_step(in, pg, *n_pages)) != RC_OK)
            return rc;
    }
    return RC_OK;
}

CLI_HANDLER(h_touch)
{
    vml_proc *p;
    struct progress pg;
    uint64_t va = 0, len = 0, end, n = 0;
    int write;
    enum rc rc;

    (void)argc;
    if (arg_range(in, argv, &p, &va, &len))
        return RC_ERROR;
    if (strcmp(argv[3], "r") == 0 || strcmp(argv[3], "read") == 0)
        write = 0;
    else if (strcmp(argv[3], "w") == 0 || strcmp(argv[3], "write") == 0)
        write = 1;
    else
        return cli_error(in, "touch: the access must be r or w, not '%s'", argv[3]);
    end = va + len;
    progress_start(in, &pg, "touch", pages_in(va, len), "pages");
    rc = write ? touch_writes(in, p, va, end, &n, &pg, res)
               : touch_reads(in, p, va, end, &n, &pg, res);
    progress_end(in, &pg);
    if (rc != RC_OK || res->fail != FAIL_NONE)
        return rc;
    value_set_num(&res->val, n);
    snprintf(res->note, sizeof res->note, "%llu page%s", (unsigned long long)n,
             n == 1 ? "" : "s");
    return RC_OK;
}

/* PROCESS ADDRESS LEN SEED [AS]: *as is the address whose pattern bytes
** go at ADDRESS (AS, or ADDRESS itself), so a view of a file made by
** `file NAME SIZE SEED` compares with AS = the view's file offset. */
static enum rc arg_seed(struct interp *in, size_t argc, char **argv, vml_proc **p, uint64_t *va,
                        uint64_t *len, uint64_t *seed, uint64_t *as)
{
    if (arg_range(in, argv, p, va, len) || arg_num(in, argv[3], "SEED", seed))
        return RC_ERROR;
    *as = *va;
    if (argc > 4 && arg_num(in, argv[4], "AS", as))
        return RC_ERROR;
    if (*as + *len < *as)
        return cli_error(in, "AS %#llx + LEN %#llx runs past the end of the address space",
                         (unsigned long long)*as, (unsigned long long)*len);
    return RC_OK;
}

/* fill and verify compare bytes: a machine that keeps none (data=off)
** would verify nothing. */
static enum rc arg_seed_data(struct interp *in, const char *cmd)
{
    vml_config c;
    vml_machine_config(in->m, &c);
    if (c.flags & VML_CFG_NO_DATA)
        return cli_error(in, "%s: this machine keeps no page contents (data=off); its reads "
                         "give zeros", cmd);
    return RC_OK;
}

/* fill PROCESS ADDRESS LEN SEED: write the pattern. */
CLI_HANDLER(h_fill)
{
    unsigned char *buf;
    struct progress pg;
    vml_proc *p;
    uint64_t va = 0, len = 0, seed = 0, as = 0, start, end;
    enum rc rc = RC_OK;

    if (arg_seed_data(in, "fill") || arg_seed(in, argc, argv, &p, &va, &len, &seed, &as))
        return RC_ERROR;
    buf = malloc(CHUNK_BYTES);
    if (buf == NULL)
        return cli_error(in, "out of memory");
    progress_start(in, &pg, "fill", pages_in(va, len), "pages");
    for (start = va, end = va + len; va < end && rc == RC_OK && res->fail == FAIL_NONE;) {
        size_t n = big_chunk_len(va, end - va);
        vml_pattern(seed, as + (va - start), buf, n);
        rc = access_one(in, p, 1, va, buf, n, res);
        va += n;
        if (rc == RC_OK && res->fail == FAIL_NONE && va < end)
            rc = progress_step(in, &pg, pages_in(start, va - start));
    }
    progress_end(in, &pg);
    free(buf);
    return rc;
}

/* verify PROCESS ADDRESS LEN SEED: value: the bytes that differ from the
** pattern. */
CLI_HANDLER(h_verify)
{
    unsigned char *buf, *want;
    struct progress pg;
    vml_proc *p;
    uint64_t va = 0, len = 0, seed = 0, as = 0, start, end, bad = 0;
    size_t i;
    enum rc rc = RC_OK;

    if (arg_seed_data(in, "verify") || arg_seed(in, argc, argv, &p, &va, &len, &seed, &as))
        return RC_ERROR;
    buf = malloc(2 * (size_t)CHUNK_BYTES);
    if (buf == NULL)
        return cli_error(in, "out of memory");
    want = buf + CHUNK_BYTES;
    progress_start(in, &pg, "verify", pages_in(va, len), "pages");
    for (start = va, end = va + len; va < end && rc == RC_OK && res->fail == FAIL_NONE;) {
        size_t n = big_chunk_len(va, end - va);
        rc = access_one(in, p, 0, va, buf, n, res);
        if (rc == RC_OK && res->fail == FAIL_NONE) {
            vml_pattern(seed, as + (va - start), want, n);
            for (i = 0; i < n; i++)
                bad += buf[i] != want[i];
        }
        va += n;
        if (rc == RC_OK && res->fail == FAIL_NONE && va < end)
            rc = progress_step(in, &pg, pages_in(start, va - start));
    }
    progress_end(in, &pg);
    free(buf);
    if (rc != RC_OK || res->fail != FAIL_NONE)
        return rc;
    value_set_num(&res->val, bad);
    snprintf(res->note, sizeof res->note, "%llu byte%s differ%s", (unsigned long long)bad,
             bad == 1 ? "" : "s", bad == 1 ? "s" : "");
    return RC_OK;
}

/* ------------------------------------------------------------------ */
/* Fault injection                                                     */

static const struct {
    const char *name;
    unsigned    what;
    const char *errors;     /* what the point accepts, for messages */
} inject_points[] = {
    { "pagefile-write", VML_INJECT_PAGEFILE_WRITE, "EIO or ENOSPC" },
    { "pagefile-read",  VML_INJECT_PAGEFILE_READ,  "EIO" },
    { "alloc",          VML_INJECT_HOST_ALLOC,     "NOMEM" },
    { "file-read",      VML_INJECT_FILE_READ,      "EIO" },
    { "file-write",     VML_INJECT_FILE_WRITE,     "EIO or ENOSPC" },
};
#define N_INJECT_POINTS (sizeof inject_points / sizeof inject_points[0])

/* after=N or count=N */
static enum rc inject_opt(struct interp *in, const char *w, uint64_t *after, uint64_t *count)
{
    if (strncmp(w, "after=", 6) == 0)
        return arg_count(in, w + 6, "after", after);
    if (strncmp(w, "count=", 6) == 0)
        return arg_count(in, w + 6, "count", count);
    return cli_error(in, "inject: expected after=N or count=N, not '%s'", w);
}

/* Cancels every injection point. */
static enum rc inject_off(struct interp *in, struct result *res)
{
    size_t i;
    vml_status st = VML_OK;

    for (i = 0; i < N_INJECT_POINTS && st == VML_OK; i++)
        st = vml_inject(in->m, inject_points[i].what, 0, 0, 0);
    return lib_status(in, st, res);
}

/* inject POINT ERROR [after=N] [count=N] | inject POINT off | inject off */
CLI_HANDLER(h_inject)
{
    size_t i, k;
    int err = 0;
    uint64_t after = 0, count = 1;

    if (argc == 1 && strcmp(argv[0], "off") == 0)
        return inject_off(in, res);
    for (i = 0; i < N_INJECT_POINTS; i++)
        if (strcmp(argv[0], inject_points[i].name) == 0)
            break;
    if (i == N_INJECT_POINTS)
        return cli_error(in, "inject: unknown injection point '%s' (pagefile-write, "
                         "pagefile-read, alloc, file-read, file-write; or off)", argv[0]);
    if (argc < 2)
        return cli_error(in, "inject %s needs an error (%s) or off", argv[0],
                         inject_points[i].errors);
    if (strcmp(argv[1], "off") == 0) {
        if (argc > 2)
            return cli_error(in, "inject %s off takes nothing more", argv[0]);
        return lib_status(in, vml_inject(in->m, inject_points[i].what, 0, 0, 0), res);
    }
    if (inject_points[i].what == VML_INJECT_HOST_ALLOC &&
        (strcmp(argv[1], "NOMEM") == 0 || strcmp(argv[1], "ENOMEM") == 0))
        err = (int)VML_E_NOMEM;
    else if (inject_points[i].what != VML_INJECT_HOST_ALLOC && strcmp(argv[1], "EIO") == 0)
        err = VML_EIO;
    else if ((inject_points[i].what == VML_INJECT_PAGEFILE_WRITE ||
              inject_points[i].what == VML_INJECT_FILE_WRITE) && strcmp(argv[1], "ENOSPC") == 0)
        err = VML_ENOSPC;
    else
        return cli_error(in, "inject %s: the error must be %s, not '%s'", argv[0],
                         inject_points[i].errors, argv[1]);
    for (k = 2; k < argc; k++)
        if (inject_opt(in, argv[k], &after, &count))
            return RC_ERROR;
    return lib_status(in, vml_inject(in->m, inject_points[i].what, err, after, count), res);
}

/* ------------------------------------------------------------------ */
/* Views                                                               */

CLI_HANDLER(h_view_vm)
{
    (void)argc;
    (void)argv;
    return machine_view(in, res, vml_view_vm);
}

CLI_HANDLER(h_view_wsle)
{
    (void)argc;
    return proc_view(in, argv[0], res, vml_view_wsle);
}

CLI_HANDLER(h_vmstat)
{
    (void)argc;
    (void)argv;
    return machine_view(in, res, vml_view_vmstat);
}
