/*
** malloc.c -- glibc's malloc, free, realloc and calloc (ptmalloc2 as in
** glibc 2.36, malloc/malloc.c: the main arena of a single-threaded
** process) on the process's brk and mmap, with every chunk header, free
** list link and the tcache in the process's memory.
**
** Chunks (64-bit: SIZE_SZ 8, MALLOC_ALIGNMENT 16, MINSIZE 32; 32-bit:
** 4, 8, 16 -- glibc's i386 layout before 2.26): prev_size, then size with
** PREV_INUSE (1) and IS_MMAPPED (2); the user's memory at +2*SIZE_SZ; a
** free chunk's fd and bk there, its size again as the next chunk's
** prev_size.  Request n takes max(MINSIZE, (n + SIZE_SZ + 15) & ~15).
**
** malloc(n): the first call makes the tcache (tcache_perthread_struct:
** 64 uint16_t counts and 64 entries, itself the arena's first chunk, so
** the first pointer malloc returns is the heap's start + 0x2a0, as on this
** machine); then a chunk of the exact size from the tcache; then the best
** fit among the free chunks (vmlab keeps them on one list ordered by size,
** then address, where glibc sorts them into small and large bins: both
** find the smallest that fits), split when the rest is a chunk; then the
** top chunk; then sysmalloc: a request of mmap_threshold or more gets an
** mmap of its own (ALIGN_UP(nb + SIZE_SZ, page)), else brk grows the top
** by nb + top_pad + MINSIZE less what the top has, page-aligned.
** free(p): glibc's checks (below); an mmapped chunk is unmapped and raises
** the threshold to its size when larger (mmap_threshold = size,
** trim_threshold = 2 * size, up to 32 MiB); a chunk of tcache size goes to
** the tcache when its bin has fewer than 7 (entries safe-linked: next =
** (&next >> 12) ^ ptr; key = the process's tcache_key); others coalesce
** with free neighbours or the top; when a chunk of 64 KiB or more is freed
** and the top is at least trim_threshold, brk gives back its whole pages
** but top_pad (systrim).
** Left out: fastbins (as with M_MXFAST 0: small chunks that miss the tcache
** coalesce at once), the unsorted bin and last_remainder (the best fit
** finds what they would, mostly), other arenas, mremap (a resized mmapped
** chunk is copied), and the mmap fallback when brk is refused or the
** break was moved behind malloc's back (then ENOMEM).
**
** glibc's checks that abort (SIGABRT) here refuse the call (EINVAL), name
** the message in vml_last_error(), and change nothing: "free(): invalid
** pointer", "free(): invalid size", "munmap_chunk(): invalid pointer",
** "free(): double free detected in tcache 2", "double free or corruption
** (top)", "(out)", "(!prev)", "free(): invalid next size (normal)",
** "corrupted size vs. prev_size while consolidating", "corrupted
** double-linked list", "malloc(): unaligned tcache chunk detected",
** "realloc(): invalid pointer", "realloc(): invalid old size".
**
** INVARIANTS: the state is the process's (chunks in its memory; the
** arena's fields in struct vm_malloc_state, checked by brk.c's BRK2).
**
** TRANSITIONS:
**   free|top -> in use       mal_alloc()      in use -> tcache|free|top: free_chunk()
**   top      -> brk given back               systrim()
*/
#include <stdio.h>
#include <string.h>
#include "mm/vm.h"
#include "aslr.h"
#include "brk.h"
#include "umem.h"

#define PAGE           UINT64_C(0x1000)
#define PREV_INUSE     1u
#define IS_MMAPPED     2u
#define SIZE_BITS      7u
#define TCACHE_BINS    64u
#define TCACHE_COUNT   7u
#define CONSOLIDATE    UINT64_C(65536)        /* FASTBIN_CONSOLIDATION_THRESHOLD */
#define THRESHOLD_DEF  UINT64_C(128 * 1024)   /* DEFAULT_MMAP_THRESHOLD_MIN */

struct mal {
    struct umem um;
    vml_proc *p;
    struct vm_malloc_state *st;
    unsigned SZ;               /* SIZE_SZ */
    uint64_t AL, MIN;          /* MALLOC_ALIGNMENT, MINSIZE */
    const char *why;           /* glibc's message when a check fails */
};

static uint64_t align_up(uint64_t x, uint64_t a) { return (x + a - 1) & ~(a - 1); }

static void mal_init(struct mal *a, vml_proc *p)
{
    memset(a, 0, sizeof *a);
    a->p = p;
    a->st = &vm_os(p)->mal;
    a->SZ = vm_layout(vml_proc_machine(p))->va_bits == 32 ? 4 : 8;
    a->AL = 2 * a->SZ;
    a->MIN = 4 * a->SZ;
    um_init(&a->um, p, a->SZ);
}

static int bad(struct mal *a, const char *why)
{
    if (a->why == NULL)
        a->why = why;
    return -1;
}

/* ---- chunks ------------------------------------------------------------------------- */

static uint64_t rd(struct mal *a, vml_va va) { return um_rptr(&a->um, va); }
static void wr(struct mal *a, vml_va va, uint64_t v) { um_wptr(&a->um, va, v); }
static uint64_t head(struct mal *a, vml_va c) { return rd(a, c + a->SZ); }
static uint64_t csize(struct mal *a, vml_va c) { return head(a, c) & ~(uint64_t)SIZE_BITS; }
static void set_head(struct mal *a, vml_va c, uint64_t v) { wr(a, c + a->SZ, v); }
static void set_foot(struct mal *a, vml_va c, uint64_t s) { wr(a, c + s, s); }
static vml_va mem(const struct mal *a, vml_va c) { return c + 2 * a->SZ; }
static vml_va fd_of(struct mal *a, vml_va c) { return rd(a, c + 2 * a->SZ); }
static vml_va bk_of(struct mal *a, vml_va c) { return rd(a, c + 3 * a->SZ); }

static uint64_t request2size(const struct mal *a, uint64_t n)
{
    uint64_t s = n + a->SZ + a->AL - 1;
    return s < a->MIN ? a->MIN : s & ~(a->AL - 1);
}

/* The arena: [sbrk_base, top + its size). */
static int in_arena(struct mal *a, vml_va c, uint64_t size)
{
    const struct vm_malloc_state *st = a->st;
    vml_va end = st->top ? st->top + csize(a, st->top) : 0;
    return st->top && c >= st->sbrk_base && c < end && size <= end - c;
}

/* ---- the free list (glibc's bins) ----------------------------------------------------- */

/* A free chunk on the list, checked as glibc's unlink_chunk checks it. */
static int chunk_free_ok(struct mal *a, vml_va c, uint64_t *size)
{
    uint64_t s = csize(a, c);
    if (a->um.failed || c % a->AL || s < a->MIN || s % a->AL || !in_arena(a, c, s) ||
        c + s >= a->st->top + csize(a, a->st->top))
        return bad(a, "corrupted double-linked list");
    if (rd(a, c + s) != s)
        return bad(a, "corrupted size vs. prev_size");
    if (head(a, c + s) & PREV_INUSE)
        return bad(a, "corrupted double-linked list");
    vml_va f = fd_of(a, c), b = bk_of(a, c);
    if ((f && bk_of(a, f) != c) || (b ? fd_of(a, b) != c : a->st->bins != c))
        return bad(a, "corrupted double-linked list");
    *size = s;
    return a->um.failed ? bad(a, "corrupted double-linked list") : 0;
}

/* The smallest free chunk of at least nb (lowest address among equals);
** *c 0 when none. */
static int bin_best(struct mal *a, uint64_t nb, vml_va *c, uint64_t *size)
{
    uint64_t limit = a->st->system_mem / a->MIN + 2;
    *c = 0;
    for (vml_va x = a->st->bins; x; x = fd_of(a, x)) {
        uint64_t s;
        if (limit-- == 0 || chunk_free_ok(a, x, &s) != 0)
            return bad(a, "corrupted double-linked list");
        if (s >= nb) {
            *c = x;
            *size = s;
            return 0;
        }
    }
    return a->um.failed ? -1 : 0;
}

static void bin_unlink(struct mal *a, vml_va c)
{
    vml_va f = fd_of(a, c), b = bk_of(a, c);
    if (f)
        wr(a, f + 3 * a->SZ, b);
    if (b)
        wr(a, b + 2 * a->SZ, f);
    else
        a->st->bins = f;
}

static int bin_insert(struct mal *a, vml_va c, uint64_t size)
{
    vml_va prev = 0, x = a->st->bins;
    uint64_t limit = a->st->system_mem / a->MIN + 2;
    while (x) {
        uint64_t s = csize(a, x);
        if (limit-- == 0)
            return bad(a, "corrupted double-linked list");
        if (s > size || (s == size && x > c))
            break;
        prev = x;
        x = fd_of(a, x);
    }
    wr(a, c + 2 * a->SZ, x);
    wr(a, c + 3 * a->SZ, prev);
    if (x)
        wr(a, x + 3 * a->SZ, c);
    if (prev)
        wr(a, prev + 2 * a->SZ, c);
    else
        a->st->bins = c;
    return a->um.failed ? -1 : 0;
}

/* ---- the tcache ----------------------------------------------------------------------- */

static uint64_t tidx(const struct mal *a, uint64_t csz)
{
    return (csz - a->MIN + a->AL - 1) / a->AL;
}

static vml_va t_count(const struct mal *a, uint64_t i) { return a->st->tcache + 2 * i; }
static vml_va t_entry(const struct mal *a, uint64_t i)
{
    return a->st->tcache + 2 * TCACHE_BINS + i * a->SZ;
}
static uint64_t protect_ptr(vml_va pos, vml_va ptr) { return (pos >> 12) ^ ptr; }

/* tcache_get: the first chunk of bin i (user pointer). */
static int tcache_get(struct mal *a, uint64_t i, vml_va *out)
{
    vml_va e = rd(a, t_entry(a, i));
    if (e % a->AL)
        return bad(a, "malloc(): unaligned tcache chunk detected");
    vml_va next = protect_ptr(e, rd(a, e));
    if (a->um.failed)
        return -1;
    wr(a, t_entry(a, i), next);
    um_w16(&a->um, t_count(a, i), um_r16(&a->um, t_count(a, i)) - 1);
    wr(a, e + a->SZ, 0);                    /* e->key = 0 */
    *out = e;
    return a->um.failed ? -1 : 0;
}

static void tcache_put(struct mal *a, vml_va e, uint64_t i)
{
    wr(a, e, protect_ptr(e, rd(a, t_entry(a, i))));
    wr(a, e + a->SZ, a->st->tcache_key);
    wr(a, t_entry(a, i), e);
    um_w16(&a->um, t_count(a, i), um_r16(&a->um, t_count(a, i)) + 1);
}

/* ---- the top and the system ----------------------------------------------------------- */

/* Splits nb off the top (which has at least nb + MINSIZE). */
static vml_va from_top(struct mal *a, uint64_t nb)
{
    vml_va c = a->st->top;
    uint64_t h = head(a, c), size = h & ~(uint64_t)SIZE_BITS;
    set_head(a, c, nb | (h & PREV_INUSE));
    a->st->top = c + nb;
    set_head(a, a->st->top, (size - nb) | PREV_INUSE);
    return c;
}

static int mmap_chunk(struct mal *a, uint64_t nb, vml_va *out)
{
    uint64_t size = align_up(nb + a->SZ, PAGE);
    vml_va mm;
    if (size < nb || vml_posix_mmap(a->p, 0, size, VML_PROT_READ | VML_PROT_WRITE,
                                    VML_MAP_PRIVATE | VML_MAP_ANONYMOUS, -1, 0, &mm) != 0)
        return -1;
    set_head(a, mm, size | IS_MMAPPED);     /* prev_size 0: no misalignment */
    if (a->um.failed) {
        (void)vml_posix_munmap(a->p, mm, size);
        a->um.failed = 0;
        return -1;
    }
    a->st->n_mmaps++;
    a->st->mmapped_mem += size;
    if (a->st->mmapped_mem > a->st->max_mmapped_mem)
        a->st->max_mmapped_mem = a->st->mmapped_mem;
    *out = mm;
    return 0;
}

/* sysmalloc: an mmap for a large request, else the top grown with brk. */
static int sysmalloc(struct mal *a, uint64_t nb, vml_va *out)
{
    struct vm_malloc_state *st = a->st;
    struct vm_osproc *os = vm_os(a->p);
    if (nb >= st->mmap_threshold && st->n_mmaps < 65536 && mmap_chunk(a, nb, out) == 0)
        return 0;
    uint64_t old_size = st->top ? csize(a, st->top) : 0;
    vml_va old_end = st->top + old_size;
    uint64_t size = nb + st->top_pad + a->MIN;
    if (st->top) {
        if (os->brk != old_end)
            return -1;      /* the break moved behind malloc's back */
        size -= old_size < size ? old_size : size;
    }
    size = align_up(size, PAGE);
    vml_va brk0 = os->brk;
    if (brk0 + size < brk0 || psx_brk(a->p, brk0 + size) != 0)
        return -1;
    vml_va top = st->top ? st->top : brk0;
    /* the headers go into the new pages: have them first */
    if (um_probe(&a->um, top, nb + 2 * a->SZ + a->SZ) != 0) {
        (void)psx_brk(a->p, brk0);
        a->um.failed = 0;
        return -1;
    }
    if (!st->top) {
        st->sbrk_base = brk0;
        st->top = brk0;
        set_head(a, top, size | PREV_INUSE);
    } else {
        set_head(a, top, (old_size + size) | PREV_INUSE);
    }
    st->system_mem += size;
    *out = from_top(a, nb);
    return a->um.failed ? -1 : 0;
}

/* glibc's systrim: the top's whole pages above top_pad go back to brk. */
static void systrim(struct mal *a)
{
    struct vm_malloc_state *st = a->st;
    uint64_t top_size = csize(a, st->top), area = top_size - a->MIN - 1;
    if (area <= st->top_pad)
        return;
    uint64_t extra = (area - st->top_pad) & ~(PAGE - 1);
    vml_va cur = vm_os(a->p)->brk;
    if (extra == 0 || cur != st->top + top_size || psx_brk(a->p, cur - extra) != 0)
        return;
    set_head(a, st->top, (top_size - extra) | PREV_INUSE);
    st->system_mem -= extra;
}

/* ---- allocating ----------------------------------------------------------------------- */

static void arena_init(struct mal *a)
{
    struct vm_malloc_state *st = a->st;
    if (st->initialized)
        return;
    brk_ensure(a->p);
    st->initialized = 1;
    st->mmap_threshold = THRESHOLD_DEF;
    st->trim_threshold = THRESHOLD_DEF;
    st->top_pad = THRESHOLD_DEF;      /* DEFAULT_TOP_PAD: the first brk is 132 KiB */
    st->tcache_key = vm_random(vml_proc_machine(a->p));
}

/* _int_malloc: a chunk of nb from the free chunks, the top, or the system. */
static int int_malloc(struct mal *a, uint64_t nb, vml_va *c)
{
    vml_va x;
    uint64_t size;
    if (bin_best(a, nb, &x, &size) != 0)
        return -1;
    if (x) {
        bin_unlink(a, x);
        uint64_t rest = size - nb;
        if (rest >= a->MIN) {
            vml_va r = x + nb;
            set_head(a, x, nb | (head(a, x) & PREV_INUSE));
            set_head(a, r, rest | PREV_INUSE);
            set_foot(a, r, rest);
            if (bin_insert(a, r, rest) != 0)
                return -1;
        } else {
            set_head(a, x + size, head(a, x + size) | PREV_INUSE);
        }
        *c = x;
        return a->um.failed ? -1 : 0;
    }
    if (a->st->top && csize(a, a->st->top) >= nb + a->MIN) {
        *c = from_top(a, nb);
        return a->um.failed ? -1 : 0;
    }
    return sysmalloc(a, nb, c);
}

static int tcache_init(struct mal *a)
{
    vml_va c;
    uint64_t size = 2 * TCACHE_BINS + TCACHE_BINS * a->SZ;   /* tcache_perthread_struct */
    if (a->st->tcache)
        return 0;
    if (int_malloc(a, request2size(a, size), &c) != 0)
        return -1;
    a->st->tcache = mem(a, c);
    um_zero(&a->um, a->st->tcache, size);
    return a->um.failed ? -1 : 0;
}

/* __libc_malloc */
static int mal_alloc(struct mal *a, uint64_t n, vml_va *out)
{
    if (n > (UINT64_MAX >> 1) - 2 * PAGE ||
        (a->SZ == 4 && n > UINT32_MAX - 2 * PAGE))
        return -1;
    arena_init(a);
    if (tcache_init(a) != 0)
        return -1;
    uint64_t nb = request2size(a, n), i = tidx(a, nb);
    if (i < TCACHE_BINS && um_r16(&a->um, t_count(a, i)) > 0)
        return tcache_get(a, i, out);
    vml_va c;
    if (int_malloc(a, nb, &c) != 0)
        return -1;
    *out = mem(a, c);
    return 0;
}

/* ---- freeing ---------------------------------------------------------------------------- */

/* munmap_chunk, with the dynamic threshold of free(). */
static int free_mmapped(struct mal *a, vml_va c, uint64_t size, int dyn)
{
    struct vm_malloc_state *st = a->st;
    uint64_t prev = rd(a, c), total = prev + size;
    vml_va block = c - prev;
    const struct vad *v = vad_find(vm_vads(a->p), block >> 12);
    if (((block | total) & (PAGE - 1)) || a->um.failed || v == NULL ||
        ((block + total - 1) >> 12) > v->end_vpn || v->seg != NULL)
        return bad(a, "munmap_chunk(): invalid pointer");
    uint64_t max = a->SZ == 8 ? UINT64_C(32) << 20 : UINT64_C(16) << 20;
    if (dyn && !st->no_dyn_threshold && size > st->mmap_threshold && size <= max) {
        st->mmap_threshold = size;
        st->trim_threshold = 2 * size;
    }
    if (vml_posix_munmap(a->p, block, total) != 0)
        return bad(a, "munmap_chunk(): invalid pointer");
    st->n_mmaps--;
    st->mmapped_mem -= total;
    return 0;
}

/* _int_free of chunk c of size (not mmapped, not for the tcache). */
static int int_free(struct mal *a, vml_va c, uint64_t size)
{
    struct vm_malloc_state *st = a->st;
    vml_va top = st->top;
    if (!in_arena(a, c, size))
        return bad(a, "free(): invalid pointer");
    if (c == top)
        return bad(a, "double free or corruption (top)");
    vml_va next = c + size;
    uint64_t top_size = csize(a, top);
    if (next >= top + top_size)
        return bad(a, "double free or corruption (out)");
    if (!(head(a, next) & PREV_INUSE))
        return bad(a, "double free or corruption (!prev)");
    uint64_t nsize = csize(a, next);
    if (nsize <= 2 * a->SZ || nsize >= st->system_mem)
        return bad(a, "free(): invalid next size (normal)");
    /* the neighbours to merge, checked before anything is written */
    vml_va start = c;
    uint64_t s, total = size;
    int merge_prev = !(head(a, c) & PREV_INUSE), merge_next = 0;
    if (merge_prev) {
        uint64_t psize = rd(a, c);
        if (psize > c - st->sbrk_base || psize % a->AL || csize(a, c - psize) != psize)
            return bad(a, "corrupted size vs. prev_size while consolidating");
        if (chunk_free_ok(a, c - psize, &s) != 0)
            return -1;
        start = c - psize;
        total += psize;
    }
    if (next != top) {
        merge_next = !(head(a, next + nsize) & PREV_INUSE);
        if (merge_next && chunk_free_ok(a, next, &s) != 0)
            return -1;
    }
    if (a->um.failed)
        return -1;
    if (merge_prev)
        bin_unlink(a, start);
    if (next == top) {
        total += top_size;
        set_head(a, start, total | PREV_INUSE);
        st->top = start;
    } else {
        if (merge_next) {
            bin_unlink(a, next);
            total += nsize;
        } else {
            set_head(a, next, head(a, next) & ~(uint64_t)PREV_INUSE);
        }
        set_head(a, start, total | PREV_INUSE);
        set_foot(a, start, total);
        if (bin_insert(a, start, total) != 0)
            return -1;
    }
    if (total >= CONSOLIDATE && csize(a, st->top) >= st->trim_threshold)
        systrim(a);
    return a->um.failed ? -1 : 0;
}

/* __libc_free's path for chunk c (user pointer m). */
static int free_chunk(struct mal *a, vml_va m)
{
    vml_va c = m - 2 * a->SZ;
    if (m < 2 * a->SZ)
        return bad(a, "free(): invalid pointer");
    uint64_t h = head(a, c), size = h & ~(uint64_t)SIZE_BITS;
    if (a->um.failed)
        return -1;
    if (h & IS_MMAPPED)                     /* __libc_free: munmap_chunk */
        return free_mmapped(a, c, size, 1);
    if (c + size < c || m % a->AL)
        return bad(a, "free(): invalid pointer");
    if (size < a->MIN || size % a->AL)
        return bad(a, "free(): invalid size");
    uint64_t i = tidx(a, size);
    if (a->st->tcache && i < TCACHE_BINS) {
        if (rd(a, m + a->SZ) == a->st->tcache_key) {
            /* maybe a double free: the bin is searched */
            vml_va e = rd(a, t_entry(a, i));
            for (unsigned k = 0; e && !a->um.failed; k++) {
                if (k >= TCACHE_COUNT)
                    return bad(a, "free(): too many chunks detected in tcache");
                if (e % a->AL)
                    return bad(a, "free(): unaligned chunk detected in tcache 2");
                if (e == m)
                    return bad(a, "free(): double free detected in tcache 2");
                e = protect_ptr(e, rd(a, e));
            }
        }
        if (um_r16(&a->um, t_count(a, i)) < TCACHE_COUNT) {
            tcache_put(a, m, i);
            return a->um.failed ? -1 : 0;
        }
    }
    return int_free(a, c, size);
}

/* ---- realloc ----------------------------------------------------------------------------- */

static int int_realloc(struct mal *a, vml_va c, uint64_t oldsize, uint64_t nb, vml_va *out)
{
    struct vm_malloc_state *st = a->st;
    vml_va next = c + oldsize, newp = c;
    uint64_t newsize = oldsize;
    if (oldsize < nb) {
        uint64_t nsize = csize(a, next);
        if (next == st->top && oldsize + nsize >= nb + a->MIN) {
            set_head(a, c, nb | (head(a, c) & PREV_INUSE));
            st->top = c + nb;
            set_head(a, st->top, (oldsize + nsize - nb) | PREV_INUSE);
            *out = mem(a, c);
            return a->um.failed ? -1 : 0;
        }
        uint64_t s;
        if (next != st->top && !(head(a, next + nsize) & PREV_INUSE) &&
            oldsize + nsize >= nb) {
            if (chunk_free_ok(a, next, &s) != 0)
                return -1;
            bin_unlink(a, next);
            newsize = oldsize + nsize;
        } else {
            /* _int_malloc (not the tcache), copy, _int_free */
            vml_va n;
            if (int_malloc(a, nb, &n) != 0)
                return -1;
            um_move(&a->um, mem(a, n), mem(a, c), oldsize - a->SZ);
            if (free_chunk(a, mem(a, c)) != 0)
                return -1;
            *out = mem(a, n);
            return a->um.failed ? -1 : 0;
        }
    }
    uint64_t rest = newsize - nb;
    if (rest < a->MIN) {
        set_head(a, newp, newsize | (head(a, newp) & PREV_INUSE));
        set_head(a, newp + newsize, head(a, newp + newsize) | PREV_INUSE);
    } else {
        vml_va r = newp + nb;
        set_head(a, newp, nb | (head(a, newp) & PREV_INUSE));
        set_head(a, r, rest | PREV_INUSE);
        set_head(a, r + rest, head(a, r + rest) | PREV_INUSE);
        if (free_chunk(a, mem(a, r)) != 0)
            return -1;
    }
    *out = mem(a, newp);
    return a->um.failed ? -1 : 0;
}

static int mal_realloc(struct mal *a, vml_va m, uint64_t n, vml_va *out)
{
    vml_va c = m - 2 * a->SZ;
    uint64_t h = head(a, c), oldsize = h & ~(uint64_t)SIZE_BITS;
    if (a->um.failed || m < 2 * a->SZ || c + oldsize < c || m % a->AL)
        return bad(a, "realloc(): invalid pointer");
    if (n > (UINT64_MAX >> 1) - 2 * PAGE)
        return -1;
    uint64_t nb = request2size(a, n);
    if (h & IS_MMAPPED) {
        if ((rd(a, c) | (oldsize + rd(a, c))) & (PAGE - 1))
            return bad(a, "realloc(): invalid pointer");
        if (align_up(nb + a->SZ, PAGE) == oldsize || oldsize - a->SZ >= nb) {
            *out = m;                  /* mremap_chunk: the same pages */
            return 0;
        }
        vml_va nm;
        if (mal_alloc(a, n, &nm) != 0)
            return -1;
        um_move(&a->um, nm, m, oldsize - 2 * a->SZ);
        if (free_mmapped(a, c, oldsize, 0) != 0)
            return -1;
        *out = nm;
        return 0;
    }
    if (oldsize <= 2 * a->SZ || oldsize >= a->st->system_mem || !in_arena(a, c, oldsize))
        return bad(a, "realloc(): invalid old size");
    return int_realloc(a, c, oldsize, nb, out);
}

/* ---- the calls ------------------------------------------------------------------------------ */

/* The errno of a failed call: EINVAL with glibc's message where glibc
** aborts, EFAULT where its own read of the process faulted, else ENOMEM. */
static int failed(struct mal *a, const char *call)
{
    vml_machine *m = vml_proc_machine(a->p);
    int err = VML_ENOMEM;
    if (a->why) {
        (void)vm_fail(m, VML_E_INVALID, "%s (glibc aborts the process: SIGABRT)", a->why);
        err = VML_EINVAL;
    } else if (a->um.failed) {
        (void)vm_fail(m, VML_E_INVALID, "%s: reading %#llx faults (the program would get "
                      "SIGSEGV)", call, (unsigned long long)a->um.fail_va);
        err = VML_EFAULT;
    }
    (void)vm_done(m, VML_OK);
    return err;
}

static int ok(struct mal *a)
{
    (void)vm_done(vml_proc_machine(a->p), VML_OK);
    return 0;
}

int vml_posix_malloc(vml_proc *p, uint64_t size, vml_va *out)
{
    struct mal a;
    if (p == NULL || out == NULL)
        return VML_EINVAL;
    if (um_no_data(p, "glibc's malloc"))
        return VML_EOPNOTSUPP;
    mal_init(&a, p);
    if (mal_alloc(&a, size, out) != 0)
        return failed(&a, "malloc");
    return ok(&a);
}

int vml_posix_free(vml_proc *p, vml_va ptr)
{
    struct mal a;
    if (p == NULL)
        return VML_EINVAL;
    if (ptr == 0)
        return 0;
    mal_init(&a, p);
    if (!a.st->initialized) {
        a.why = "free(): invalid pointer";
        return failed(&a, "free");
    }
    if (free_chunk(&a, ptr) != 0)
        return failed(&a, "free");
    return ok(&a);
}

int vml_posix_realloc(vml_proc *p, vml_va ptr, uint64_t size, vml_va *out)
{
    struct mal a;
    if (p == NULL || out == NULL)
        return VML_EINVAL;
    mal_init(&a, p);
    if (ptr == 0)
        return vml_posix_malloc(p, size, out);
    if (!a.st->initialized) {
        a.why = "realloc(): invalid pointer";
        return failed(&a, "realloc");
    }
    if (size == 0) {
        if (free_chunk(&a, ptr) != 0)
            return failed(&a, "realloc");
        *out = 0;
        return ok(&a);
    }
    if (mal_realloc(&a, ptr, size, out) != 0)
        return failed(&a, "realloc");
    return ok(&a);
}

int vml_posix_calloc(vml_proc *p, uint64_t n, uint64_t size, vml_va *out)
{
    struct mal a;
    vml_va c;
    if (p == NULL || out == NULL)
        return VML_EINVAL;
    if (um_no_data(p, "glibc's malloc"))
        return VML_EOPNOTSUPP;
    mal_init(&a, p);
    if (size && n > UINT64_MAX / size)
        return failed(&a, "calloc");
    uint64_t bytes = n * size;
    if (bytes > (UINT64_MAX >> 1) - 2 * PAGE)
        return failed(&a, "calloc");
    arena_init(&a);
    if (tcache_init(&a) != 0)
        return failed(&a, "calloc");
    /* __libc_calloc: _int_malloc (not the tcache); fresh memory is not
    ** cleared: an mmapped chunk, the part of the top brk just gave */
    vml_va oldtop = a.st->top;
    uint64_t oldtopsize = oldtop ? csize(&a, oldtop) : 0;
    if (int_malloc(&a, request2size(&a, bytes), &c) != 0)
        return failed(&a, "calloc");
    uint64_t h = head(&a, c), csz = h & ~(uint64_t)SIZE_BITS;
    if (!(h & IS_MMAPPED)) {
        if (c == oldtop && csz > oldtopsize)
            csz = oldtopsize;
        um_zero(&a.um, mem(&a, c), csz - a.SZ);
    }
    *out = mem(&a, c);
    if (a.um.failed)
        return failed(&a, "calloc");
    return ok(&a);
}

int vml_posix_malloc_usable_size(vml_proc *p, vml_va ptr, uint64_t *size)
{
    struct mal a;
    if (p == NULL || size == NULL)
        return VML_EINVAL;
    mal_init(&a, p);
    *size = 0;
    if (ptr == 0)
        return 0;
    uint64_t h = head(&a, ptr - 2 * a.SZ), s = h & ~(uint64_t)SIZE_BITS;
    if (a.um.failed || ptr % a.AL || s < a.MIN)
        return failed(&a, "malloc_usable_size");
    *size = s - ((h & IS_MMAPPED) ? 2 * a.SZ : a.SZ);
    return ok(&a);
}
