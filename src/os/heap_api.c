/*
** heap_api.c -- the Win32 heap calls (HeapCreate, HeapAlloc, HeapReAlloc,
** HeapSize, HeapFree, HeapDestroy, GetProcessHeap) on heap.c's blocks,
** segments and free list; see heap.c for the layout and the rules.
**
** INVARIANTS (heap_check(), through vm_set_os_check):
**   HEAP1  A process's heap list holds distinct handles, and its process
**          heap (when it has one) is among them.
** (What lies in the process's memory is the program's: a heap the program
** overwrites is reported as STATUS_HEAP_CORRUPTION by the call that meets
** it, not as a broken invariant.)
**
** TRANSITIONS:
**   no heap -> heap        vml_win_HeapCreate (heap_create)
**   heap    -> no heap     vml_win_HeapDestroy (every VAD tagged with it released)
*/
#include <stdio.h>
#include <string.h>
#include "mm/vm.h"
#include "win32.h"
#include "heap.h"
#include "oscheck.h"

static struct vad *hp_vad(vml_proc *p, vml_va va)
{
    return vad_find(vm_vads(p), va >> 12);
}

/* ---- the calls ---------------------------------------------------------------------------- */

/* A heap call's end: a Win32 error is left for GetLastError (an
** exception code is not: the exception says it). */
static uint32_t heap_done(vml_proc *p, uint32_t code)
{
    if (code != 0 && code < 0xC0000000u)
        *vm_last_error(p) = code;
    return w32_done(vml_proc_machine(p), code);
}

/* The code of a failed allocation: the heap's fault, or err -- raised as
** STATUS_NO_MEMORY under HEAP_GENERATE_EXCEPTIONS. */
static uint32_t alloc_failed(const struct hp *h, uint32_t flags, uint32_t err)
{
    if (h->bad || h->um.failed)
        return hp_fail_code(h);
    return (flags & VML_HEAP_GENERATE_EXCEPTIONS) ? VML_STATUS_NO_MEMORY : err;
}

uint32_t vml_win_HeapCreate(vml_proc *p, uint32_t options, uint64_t initial, uint64_t maximum,
                            vml_va *heap)
{
    if (p == NULL || heap == NULL)
        return VML_ERROR_INVALID_PARAMETER;
    /* kernel32 keeps these options (the rest are ignored, as Wine does) */
    uint32_t flags = options & (VML_HEAP_NO_SERIALIZE | VML_HEAP_GENERATE_EXCEPTIONS |
                                VML_HEAP_CREATE_ENABLE_EXECUTE);
    if (um_no_data(p, "a Win32 heap"))
        return heap_done(p, VML_ERROR_NOT_SUPPORTED);
    uint32_t e = heap_create(p, flags, initial, maximum, maximum == 0, heap);
    if (e == 0)
        os_check_install(vml_proc_machine(p));
    return heap_done(p, e);
}

static int alloc_any(struct hp *h, uint64_t size, uint32_t flags, vml_va *out, uint32_t *err)
{
    uint64_t limit = vm_layout(vml_proc_machine(h->p))->user_highest;
    *err = ERR_NOMEM;
    if (size > limit)
        return -1;
    if (hp_units(h, size) > h->threshold)
        return (h->flags & VML_HEAP_GROWABLE) ? hp_alloc_large(h, size, out, err) : -1;
    return hp_alloc_small(h, size, flags, out, err);
}

uint32_t vml_win_HeapAlloc(vml_proc *p, vml_va heap, uint32_t flags, uint64_t size, vml_va *out)
{
    struct hp h;
    uint32_t err;
    if (p == NULL || out == NULL)
        return VML_ERROR_INVALID_PARAMETER;
    if (hp_open_change(&h, p, heap) != 0)
        return heap_done(p, hp_fail_code(&h));
    flags |= h.force;
    if (alloc_any(&h, size, flags, out, &err) != 0)
        return heap_done(p, alloc_failed(&h, flags, err));
    return heap_done(p, 0);
}

uint32_t vml_win_HeapSize(vml_proc *p, vml_va heap, uint32_t flags, vml_va ptr, uint64_t *size)
{
    struct hp h;
    struct heap_ent e;
    (void)flags;
    if (p == NULL || size == NULL)
        return VML_ERROR_INVALID_PARAMETER;
    *size = UINT64_MAX;
    if (hp_open(&h, p, heap, 0) != 0)
        return heap_done(p, hp_fail_code(&h));
    vml_va large = hp_find_large(&h, ptr);
    if (large) {
        uint64_t commit = um_rptr(&h.um, large + h.o->va_commit);
        if (hp_ent(&h, large + h.o->va_busy, &e) != 0 || e.size > commit)
            return heap_done(p, hp_fail_code(&h));
        *size = commit - e.size;       /* BusyBlock.Size: the bytes not asked for */
        return heap_done(p, 0);
    }
    if (h.bad || h.um.failed)
        return heap_done(p, hp_fail_code(&h));
    if (hp_busy_block(&h, ptr, &e) != 0)
        return heap_done(p, h.um.failed ? hp_fail_code(&h) : VML_ERROR_INVALID_PARAMETER);
    *size = e.size * h.G - e.unused;
    return heap_done(p, 0);
}

uint32_t vml_win_HeapFree(vml_proc *p, vml_va heap, uint32_t flags, vml_va ptr)
{
    struct hp h;
    struct heap_ent e;
    (void)flags;
    if (p == NULL)
        return VML_ERROR_INVALID_PARAMETER;
    if (ptr == 0)
        return heap_done(p, 0);
    if (hp_open_change(&h, p, heap) != 0)
        return heap_done(p, hp_fail_code(&h));
    vml_va large = hp_find_large(&h, ptr);
    if (large) {
        struct vad *v = hp_vad(p, large);
        hp_list_unlink(&h, large);
        if (h.um.failed)
            return heap_done(p, hp_fail_code(&h));
        vm_release(p, v);
        return heap_done(p, 0);
    }
    if (h.bad || h.um.failed)
        return heap_done(p, hp_fail_code(&h));
    if (hp_busy_block(&h, ptr, &e) != 0)
        return heap_done(p, h.um.failed ? hp_fail_code(&h) : VML_ERROR_INVALID_PARAMETER);
    if (hp_release(&h, &e) != 0)
        return heap_done(p, hp_fail_code(&h));
    return heap_done(p, 0);
}

/* ---- HeapReAlloc ---------------------------------------------------------------------- */

/* A large block resized where it is (within its committed pages). */
static int realloc_large_in_place(struct hp *h, vml_va entry, uint64_t size, uint32_t flags)
{
    struct heap_ent e;
    uint64_t commit = um_rptr(&h->um, entry + h->o->va_commit);
    if (hp_ent(h, entry + h->o->va_busy, &e) != 0 || e.size > commit)
        return -1;
    uint64_t old = commit - e.size;
    if (size > commit - h->o->va_size)
        return 1;
    if ((flags & VML_HEAP_ZERO_MEMORY) && size > old &&
        um_probe(&h->um, entry + h->o->va_size + old, size - old) != 0)
        return -1;
    e.size = commit - size;
    hp_ent_put(h, &e);
    if ((flags & VML_HEAP_ZERO_MEMORY) && size > old)
        um_zero(&h->um, entry + h->o->va_size + old, size - old);
    return h->um.failed ? -1 : 0;
}

/* A block resized where it is: shrunk (the rest freed), or grown into the
** free block after it.  0; 1 when it cannot be; -1 on failure. */
static int realloc_in_place(struct hp *h, struct heap_ent *e, uint64_t size, uint32_t flags)
{
    uint64_t units = hp_units(h, size), old = e->size * h->G - e->unused;
    const struct heap_seg *s = hp_seg_of(h, e->at);
    if (units > h->threshold)
        return 1;
    if (units > e->size) {
        struct heap_ent n;
        if ((e->flags & HE_LAST) || hp_ent(h, e->at + e->size * h->G, &n) != 0 ||
            (n.flags & HE_BUSY) || e->size + n.size < units)
            return h->bad || h->um.failed ? -1 : 1;
        if ((flags & VML_HEAP_ZERO_MEMORY) && um_probe(&h->um, e->at + h->G + old, size - old) != 0)
            return -1;
        hp_fl_unlink(h, n.at);
        hp_total_free_add(h, -(int64_t)n.size);
        uint64_t all = e->size + n.size, rest = all - units;
        int last = (n.flags & HE_LAST) != 0;
        struct heap_ent b = { e->at, rest >= MIN_FREE_UNITS ? units : all, e->prev,
                              HE_BUSY | (rest < MIN_FREE_UNITS && last ? HE_LAST : 0), s->index, 0 };
        b.unused = (unsigned)(b.size * h->G - size);
        hp_ent_put(h, &b);
        if (rest >= MIN_FREE_UNITS) {
            if (hp_lay_free(h, s, e->at + units * h->G, rest, units, last) != 0)
                return -1;
            hp_total_free_add(h, (int64_t)rest);
        } else if (!last) {
            struct heap_ent nn;
            if (hp_ent(h, e->at + all * h->G, &nn) != 0)
                return -1;
            nn.prev = all;
            hp_ent_put(h, &nn);
        }
    } else {
        uint64_t rest = e->size - units;
        if (rest >= MIN_FREE_UNITS) {
            /* the tail becomes a busy block of its own, then is freed */
            struct heap_ent b = { e->at, units, e->prev, HE_BUSY, s->index, 0 };
            struct heap_ent t = { e->at + units * h->G, rest, units,
                                  HE_BUSY | (e->flags & HE_LAST), s->index, 0 };
            b.unused = (unsigned)(units * h->G - size);
            hp_ent_put(h, &b);
            hp_ent_put(h, &t);
            if (!(e->flags & HE_LAST)) {
                struct heap_ent nn;
                if (hp_ent(h, e->at + e->size * h->G, &nn) != 0)
                    return -1;
                nn.prev = rest;
                hp_ent_put(h, &nn);
            }
            if (hp_release(h, &t) != 0)
                return -1;
        } else {
            e->unused = (unsigned)(e->size * h->G - size);
            hp_ent_put(h, e);
        }
    }
    if ((flags & VML_HEAP_ZERO_MEMORY) && size > old)
        um_zero(&h->um, e->at + h->G + old, size - old);
    return h->um.failed ? -1 : 0;
}

uint32_t vml_win_HeapReAlloc(vml_proc *p, vml_va heap, uint32_t flags, vml_va ptr, uint64_t size,
                             vml_va *out)
{
    struct hp h;
    struct heap_ent e;
    uint32_t err = ERR_NOMEM;
    int r;
    if (p == NULL || out == NULL)
        return VML_ERROR_INVALID_PARAMETER;
    if (hp_open_change(&h, p, heap) != 0)
        return heap_done(p, hp_fail_code(&h));
    flags |= h.force;
    if (ptr == 0)
        return heap_done(p, VML_ERROR_INVALID_PARAMETER);
    vml_va large = hp_find_large(&h, ptr);
    uint64_t old;
    if (large) {
        if (size > vm_layout(vml_proc_machine(p))->user_highest)
            return heap_done(p, alloc_failed(&h, flags, err));
        r = realloc_large_in_place(&h, large, size, flags);
        old = h.bad || h.um.failed ? 0 : um_rptr(&h.um, large + h.o->va_commit) -
              (hp_ent(&h, large + h.o->va_busy, &e) == 0 ? e.size : 0);
    } else {
        if (h.bad || h.um.failed || hp_busy_block(&h, ptr, &e) != 0)
            return heap_done(p, h.bad || h.um.failed ? hp_fail_code(&h) : VML_ERROR_INVALID_PARAMETER);
        old = e.size * h.G - e.unused;
        r = size > vm_layout(vml_proc_machine(p))->user_highest ? 1
          : realloc_in_place(&h, &e, size, flags);
    }
    if (r < 0)
        return heap_done(p, hp_fail_code(&h));
    if (r == 0) {
        *out = ptr;
        return heap_done(p, 0);
    }
    if (flags & VML_HEAP_REALLOC_IN_PLACE_ONLY)
        return heap_done(p, alloc_failed(&h, flags, err));
    /* elsewhere: a new block, the bytes copied, the old one freed */
    vml_va to;
    if (alloc_any(&h, size, flags & ~(uint32_t)VML_HEAP_ZERO_MEMORY, &to, &err) != 0)
        return heap_done(p, alloc_failed(&h, flags, err));
    uint64_t keep = old < size ? old : size;
    um_move(&h.um, to, ptr, keep);
    if ((flags & VML_HEAP_ZERO_MEMORY) && size > keep)
        um_zero(&h.um, to + keep, size - keep);
    if (large) {
        struct vad *v = hp_vad(p, large);
        hp_list_unlink(&h, large);
        if (!h.um.failed)
            vm_release(p, v);
    } else if (hp_busy_block(&h, ptr, &e) != 0 || hp_release(&h, &e) != 0) {
        return heap_done(p, hp_fail_code(&h));
    }
    if (h.um.failed)
        return heap_done(p, hp_fail_code(&h));
    *out = to;
    return heap_done(p, 0);
}

/* ---- HeapDestroy, GetProcessHeap -------------------------------------------------------- */

uint32_t vml_win_HeapDestroy(vml_proc *p, vml_va heap)
{
    if (p == NULL)
        return VML_ERROR_INVALID_PARAMETER;
    struct vm_osproc *os = vm_os(p);
    size_t i;
    for (i = 0; i < os->n_heaps && os->heaps[i] != heap; i++)
        ;
    if (i == os->n_heaps || heap == os->process_heap)
        return heap_done(p, VML_ERROR_INVALID_HANDLE);
    /* Every reservation of the heap goes: its segments and large blocks
    ** carry its handle (what the VADs say, whatever its memory holds). */
    struct vad *v = vad_first(vm_vads(p));
    while (v != NULL) {
        struct vad *next = vad_next(v);
        if (v->usage == VML_USAGE_HEAP && v->usage_tag == heap)
            vm_release(p, v);
        v = next;
    }
    memmove(&os->heaps[i], &os->heaps[i + 1], (os->n_heaps - i - 1) * sizeof *os->heaps);
    os->n_heaps--;
    struct umem um;
    um_init(&um, p, w32_ptr_size(p));
    hp_peb_sync(p, &um);
    return heap_done(p, 0);
}

uint32_t vml_win_GetProcessHeap(vml_proc *p, vml_va *heap)
{
    if (p == NULL || heap == NULL)
        return VML_ERROR_INVALID_PARAMETER;
    *heap = vm_os(p)->process_heap;
    if (*heap == 0) {
        (void)vm_fail(vml_proc_machine(p), VML_E_NOT_FOUND, "process '%s' has no Win32 "
                      "environment (no PEB, no process heap): create it with `process NAME "
                      "win32` or CreateProcess", vml_proc_name(p));
        return VML_ERROR_INVALID_HANDLE;
    }
    return 0;
}

size_t vml_heap_list(const vml_proc *p, vml_va *heaps, size_t max)
{
    if (p == NULL)
        return 0;
    const struct vm_osproc *os = vm_os_c(p);
    for (size_t i = 0; i < os->n_heaps && i < max && heaps; i++)
        heaps[i] = os->heaps[i];
    return os->n_heaps;
}

/* ---- check ------------------------------------------------------------------------------- */

int heap_check(vml_machine *m, char *msg, size_t size)
{
    for (size_t k = 0; k < vml_proc_count(m); k++) {
        vml_proc *p = vml_proc_at(m, k);
        const struct vm_osproc *os = vm_os(p);
        int has_ph = os->process_heap == 0;
        for (size_t i = 0; i < os->n_heaps; i++) {
            has_ph |= os->heaps[i] == os->process_heap;
            for (size_t j = 0; j < i; j++)
                if (os->heaps[i] == os->heaps[j]) {
                    snprintf(msg, size, "HEAP1: pid %u lists heap %#llx twice", vml_proc_pid(p),
                             (unsigned long long)os->heaps[i]);
                    return -1;
                }
        }
        if (!has_ph) {
            snprintf(msg, size, "HEAP1: pid %u's process heap %#llx is not among its heaps",
                     vml_proc_pid(p), (unsigned long long)os->process_heap);
            return -1;
        }
    }
    return 0;
}
