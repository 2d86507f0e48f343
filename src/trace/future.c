/*
** future.c -- OPT's future: for every page reference of a trace, the
** position of the next reference to the same page.  The references are
** stored as they stream by (fut_append), then one backward pass
** (fut_resolve) fills in the next uses with a last-seen position per page
** id: O(n) time, 12 bytes per reference.
**
** Storage: chunks of FUT_CHUNK references (4 bytes of reference and 8 of
** next use each, kept as 4 when the trace has fewer than 2^32 - 1
** references, so 8 bytes a reference in all).  Chunks stay in memory
** while the total is under the budget (vml_replay_opts.future_memory,
** 1 GiB by default); beyond it a full chunk goes to an unlinked temporary
** file (in tmp_dir, $TMPDIR or /tmp) at offset k * 12 * FUT_CHUNK, and is
** read back one chunk at a time.  So OPT on a streamed trace needs memory
** for the budget and the footprint only, and disk for the rest.  Full
** chunks are 2 MiB-aligned and asked to be huge pages (Linux
** MADV_HUGEPAGE): 8 bytes a reference would otherwise be a page fault
** every 512 references.
**
** INVARIANTS:
**   FU1 Chunks 0..n_chunks-2 hold FUT_CHUNK references each; the last
**       holds the rest.  A chunk is in memory (id != NULL) or on disk.
**   FU2 After fut_resolve, next[i] > i is the position of the next
**       reference to the page of reference i, or FUT_NEVER.
*/
#define _DEFAULT_SOURCE 1      /* MADV_HUGEPAGE (Linux), where it exists */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "trace.h"

#define FUT_DEFAULT_BUDGET (1ull << 30)
#define FUT_REF_BYTES      12u

struct fut_chunk {
    uint32_t *id;          /* NULL: on disk */
    uint32_t *next32;      /* next uses when every position fits 32 bits */
    uint64_t *next;        /* else */
    size_t    n, cap;
};

/* A full chunk's array: 2 MiB-aligned, huge pages asked for. */
static void *big_alloc(size_t bytes)
{
    void *p = NULL;

    if (bytes < (2u << 20))
        return malloc(bytes);
    if (posix_memalign(&p, 2u << 20, bytes) != 0)
        return NULL;
#ifdef MADV_HUGEPAGE
    madvise(p, bytes, MADV_HUGEPAGE);
#endif
    return p;
}

int fut_init(struct future *f, uint64_t mem_budget, const char *tmp_dir)
{
    memset(f, 0, sizeof *f);
    f->fd = -1;
    f->mem_budget = mem_budget ? mem_budget : FUT_DEFAULT_BUDGET;
    if (tmp_dir == NULL || tmp_dir[0] == '\0')
        tmp_dir = getenv("TMPDIR");
    snprintf(f->tmp_dir, sizeof f->tmp_dir, "%s",
             tmp_dir != NULL && tmp_dir[0] != '\0' ? tmp_dir : "/tmp");
    return 0;
}

void fut_free(struct future *f)
{
    for (size_t k = 0; k < f->n_chunks; k++) {
        if (f->chunk[k] == NULL)
            continue;
        free(f->chunk[k]->id);
        free(f->chunk[k]->next);
        free(f->chunk[k]->next32);
        free(f->chunk[k]);
    }
    free(f->chunk);
    free(f->scratch_id);
    free(f->scratch_next);
    if (f->fd >= 0)
        close(f->fd);
    memset(f, 0, sizeof *f);
    f->fd = -1;
}

static int fut_fail(struct future *f, const char *what)
{
    snprintf(f->err, sizeof f->err, "OPT's future store: %s%s%s", what, errno ? ": " : "",
             errno ? strerror(errno) : "");
    return -1;
}

static uint64_t chunk_off(size_t k)
{
    return (uint64_t)k * FUT_CHUNK * FUT_REF_BYTES;
}

static int io_all(int fd, void *buf, size_t n, uint64_t off, int writing)
{
    uint8_t *p = buf;

    while (n > 0) {
        ssize_t r = writing ? pwrite(fd, p, n, (off_t)off) : pread(fd, p, n, (off_t)off);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            if (r == 0)
                errno = EIO;
            return -1;
        }
        p += r;
        n -= (size_t)r;
        off += (uint64_t)r;
    }
    return 0;
}

static int fut_tmpfile(struct future *f)
{
    char path[300];

    if (f->fd >= 0)
        return 0;
    snprintf(path, sizeof path, "%s/vmlab-future-XXXXXX", f->tmp_dir);
    f->fd = mkstemp(path);
    if (f->fd < 0)
        return fut_fail(f, "cannot create a temporary file");
    unlink(path);
    f->scratch_id = malloc(FUT_CHUNK * sizeof f->scratch_id[0]);
    f->scratch_next = malloc(FUT_CHUNK * sizeof f->scratch_next[0]);
    if (f->scratch_id == NULL || f->scratch_next == NULL)
        return fut_fail(f, "out of memory");
    return 0;
}

/* A full chunk k over the budget goes to disk (FU1). */
static int fut_spill(struct future *f, size_t k)
{
    struct fut_chunk *c = f->chunk[k];

    if (fut_tmpfile(f) != 0)
        return -1;
    errno = 0;
    if (io_all(f->fd, c->id, c->n * sizeof c->id[0], chunk_off(k), 1) != 0)
        return fut_fail(f, "cannot write the temporary file");
    free(c->id);
    free(c->next);
    c->id = NULL;
    c->next = NULL;
    return 0;
}

static struct fut_chunk *fut_last(struct future *f)
{
    struct fut_chunk *c;

    if (f->n_chunks > 0 && f->chunk[f->n_chunks - 1]->n < FUT_CHUNK)
        return f->chunk[f->n_chunks - 1];
    if (f->n_chunks > 0 && (uint64_t)f->n_chunks * FUT_CHUNK * FUT_REF_BYTES > f->mem_budget
        && fut_spill(f, f->n_chunks - 1) != 0)
        return NULL;
    if (f->n_chunks == f->cap_chunks) {
        size_t cap = f->cap_chunks ? 2 * f->cap_chunks : 16;
        struct fut_chunk **v = realloc(f->chunk, cap * sizeof *v);
        if (v == NULL) {
            fut_fail(f, "out of memory");
            return NULL;
        }
        f->chunk = v;
        f->cap_chunks = cap;
    }
    c = calloc(1, sizeof *c);
    if (c == NULL) {
        fut_fail(f, "out of memory");
        return NULL;
    }
    f->chunk[f->n_chunks++] = c;
    return c;
}

int fut_append(struct future *f, const uint32_t *refs, size_t n)
{
    while (n > 0) {
        struct fut_chunk *c = fut_last(f);
        size_t take;
        if (c == NULL)
            return -1;
        if (c->n == c->cap) {     /* grow toward FUT_CHUNK (small traces stay small) */
            size_t cap = c->cap ? 4 * c->cap : 4096;
            uint32_t *id;
            if (cap >= FUT_CHUNK) {
                cap = FUT_CHUNK;
                id = big_alloc(cap * sizeof *id);
                if (id != NULL && c->n > 0)
                    memcpy(id, c->id, c->n * sizeof *id);
                if (id != NULL)
                    free(c->id);
            } else {
                id = realloc(c->id, cap * sizeof *id);
            }
            if (id == NULL)
                return fut_fail(f, "out of memory");
            c->id = id;
            c->cap = cap;
        }
        take = c->cap - c->n < n ? c->cap - c->n : n;
        memcpy(c->id + c->n, refs, take * sizeof *refs);
        c->n += take;
        f->n += take;
        refs += take;
        n -= take;
    }
    return 0;
}

int fut_chunk_get(struct future *f, size_t k, const uint32_t **refs, const uint64_t **next,
                  size_t *n)
{
    struct fut_chunk *c = f->chunk[k];

    *n = c->n;
    if (c->id != NULL && c->next32 != NULL) {
        if (f->scratch_next == NULL
            && (f->scratch_next = malloc(FUT_CHUNK * sizeof f->scratch_next[0])) == NULL)
            return fut_fail(f, "out of memory");
        for (size_t i = 0; i < c->n; i++)
            f->scratch_next[i] = c->next32[i] == UINT32_MAX ? FUT_NEVER : c->next32[i];
        *refs = c->id;
        *next = f->scratch_next;
        return 0;
    }
    if (c->id != NULL) {
        *refs = c->id;
        *next = c->next;
        return 0;
    }
    errno = 0;
    if (io_all(f->fd, f->scratch_id, c->n * sizeof f->scratch_id[0], chunk_off(k), 0) != 0
        || io_all(f->fd, f->scratch_next, c->n * sizeof f->scratch_next[0],
                  chunk_off(k) + (uint64_t)FUT_CHUNK * 4, 0) != 0)
        return fut_fail(f, "cannot read the temporary file back");
    *refs = f->scratch_id;
    *next = f->scratch_next;
    return 0;
}

int fut_resolve(struct future *f, uint32_t n_ids)
{
    uint64_t *last = malloc(((size_t)n_ids + 1) * sizeof *last);
    uint64_t pos = f->n;

    if (last == NULL)
        return fut_fail(f, "out of memory");
    for (size_t i = 0; i <= n_ids; i++)
        last[i] = FUT_NEVER;
    for (size_t k = f->n_chunks; k-- > 0;) {
        struct fut_chunk *c = f->chunk[k];
        const uint32_t *id = c->id;
        uint64_t *next = NULL;
        errno = 0;
        if (id == NULL) {
            if (io_all(f->fd, f->scratch_id, c->n * sizeof f->scratch_id[0], chunk_off(k), 0) != 0)
                goto io_fail;
            id = f->scratch_id;
            next = f->scratch_next;
        } else if (f->n < UINT32_MAX) {      /* 4 bytes a next use */
            c->next32 = c->cap == FUT_CHUNK ? big_alloc(c->cap * sizeof c->next32[0])
                                            : malloc(c->cap * sizeof c->next32[0]);
            if (c->next32 == NULL) {
                free(last);
                return fut_fail(f, "out of memory");
            }
            for (size_t i = c->n; i-- > 0;) {
                uint32_t page = PREF_ID(id[i]);
                pos--;
                c->next32[i] = last[page] == FUT_NEVER ? UINT32_MAX : (uint32_t)last[page];
                last[page] = pos;                 /* FU2 */
            }
            continue;
        } else {
            c->next = c->cap == FUT_CHUNK ? big_alloc(c->cap * sizeof c->next[0])
                                          : malloc(c->cap * sizeof c->next[0]);
            if (c->next == NULL) {
                free(last);
                return fut_fail(f, "out of memory");
            }
            next = c->next;
        }
        for (size_t i = c->n; i-- > 0;) {
            uint32_t page = PREF_ID(id[i]);
            pos--;
            next[i] = last[page];             /* FU2 */
            last[page] = pos;
        }
        if (c->id == NULL
            && io_all(f->fd, next, c->n * sizeof next[0], chunk_off(k) + (uint64_t)FUT_CHUNK * 4,
                      1) != 0)
            goto io_fail;
    }
    free(last);
    return 0;
io_fail:
    free(last);
    return fut_fail(f, "temporary file I/O failed");
}
