/*
** heap_info.c -- a Win32 heap looked at, as a debugger looks (WinDbg's
** !heap): through vml_mem_peek, so looking faults nothing in, sets no
** Accessed bit and changes no counter.  A structure that does not hold
** together stops the walk and is reported (vml_heap_info.corrupt).
**
** INVARIANTS: none of its own (no state).
*/
#include <stdio.h>
#include <string.h>
#include "mm/vm.h"
#include "heap.h"

#define PAGE UINT64_C(0x1000)

/* Walks every block of every segment, then the large blocks, calling fn
** on each (NULL: counting only); stops at the first broken one. */
typedef void (*walk_fn)(void *ctx, const vml_heap_entry *e);

static void walk(struct hp *h, walk_fn fn, void *ctx, vml_heap_info *info)
{
    for (unsigned i = 0; i < h->n_seg && !h->bad && !h->um.failed; i++) {
        const struct heap_seg *s = &h->seg[i];
        vml_va at = s->base;
        while (at < s->commit_end) {
            struct heap_ent e;
            if (hp_ent(h, at, &e) != 0)
                return;
            if (at + e.size * h->G > s->commit_end) {
                hp_corrupt(h, "a block past the committed part", at);
                return;
            }
            vml_heap_entry x = { at, (e.flags & HE_BUSY) ? at + h->G : 0, e.size * h->G,
                                 (e.flags & HE_BUSY) ? e.size * h->G - e.unused : 0,
                                 e.flags, s->index };
            if (at == s->base)
                x.user = 0;                     /* the segment's own header */
            if (info) {
                if (x.user) {
                    info->n_busy++;
                    info->busy_bytes += x.size;
                } else if (!(e.flags & HE_BUSY)) {
                    info->n_free++;
                }
            }
            if (fn)
                fn(ctx, &x);
            at += e.size * h->G;
        }
    }
    vml_va head = hp_va_head(h), v = hp_va_first(h);
    for (unsigned n = 0; v != head && !h->bad && !h->um.failed; n++) {
        struct heap_ent e;
        uint64_t commit = um_rptr(&h->um, v + h->o->va_commit);
        uint64_t reserve = um_rptr(&h->um, v + h->o->va_reserve);
        if (n > (1u << 20) || v % h->G || hp_ent(h, v + h->o->va_busy, &e) != 0 ||
            e.size > commit) {
            hp_corrupt(h, "a broken large block", v);
            return;
        }
        vml_heap_entry x = { v, v + h->o->va_size, commit, commit - e.size, e.flags, 0xFF };
        if (info) {
            info->n_large++;
            info->large_bytes += reserve;
        }
        if (fn)
            fn(ctx, &x);
        v = hp_va_next(h, v);
    }
}

static vml_status open_look(struct hp *h, vml_proc *p, vml_va heap)
{
    if (p == NULL)
        return VML_E_INVALID;
    if (hp_open(h, p, heap, 1) == 0)
        return VML_OK;
    if (h->bad || h->um.failed)
        return VML_OK;                /* reported in the info */
    return vm_fail(vml_proc_machine(p), VML_E_NOT_FOUND, "%#llx is not a heap of process '%s'",
                   (unsigned long long)heap, vml_proc_name(p));
}

vml_status vml_heap_info_get(vml_proc *p, vml_va heap, vml_heap_info *out)
{
    struct hp h;
    if (out == NULL)
        return VML_E_INVALID;
    vml_status st = open_look(&h, p, heap);
    if (st != VML_OK)
        return st;
    memset(out, 0, sizeof *out);
    out->handle = heap;
    out->flags = h.flags;
    out->ptr_size = h.P;
    out->granularity = h.G;
    out->process_heap = vm_os(p)->process_heap == heap;
    out->vm_threshold = h.threshold * h.G;
    out->n_segments = h.n_seg;
    for (unsigned i = 0; i < h.n_seg; i++) {
        out->reserved += h.seg[i].pages * PAGE;
        out->committed += (h.seg[i].pages - h.seg[i].uc_pages) * PAGE;
    }
    if (!(h.flags & VML_HEAP_GROWABLE))
        out->max_size = out->reserved;
    if (!h.bad && !h.um.failed) {
        out->free_bytes = um_rptr(&h.um, heap + h.o->total_free) * h.G;
        walk(&h, NULL, NULL, out);
    }
    if (h.bad || h.um.failed) {
        out->corrupt = 1;
        if (h.bad)
            snprintf(out->problem, sizeof out->problem, "%s", h.why);
        else
            snprintf(out->problem, sizeof out->problem, "%#llx cannot be read without a fault",
                     (unsigned long long)h.um.fail_va);
    }
    return VML_OK;
}

vml_status vml_heap_segment_get(vml_proc *p, vml_va heap, unsigned index,
                                vml_heap_segment_info *out)
{
    struct hp h;
    if (out == NULL)
        return VML_E_INVALID;
    vml_status st = open_look(&h, p, heap);
    if (st != VML_OK)
        return st;
    if (index >= h.n_seg)
        return vm_fail(vml_proc_machine(p), VML_E_NOT_FOUND, "heap %#llx has %u segments",
                       (unsigned long long)heap, h.n_seg);
    const struct heap_seg *s = &h.seg[index];
    *out = (vml_heap_segment_info){ s->base, s->first, s->last, s->pages * PAGE,
                                    (s->pages - s->uc_pages) * PAGE };
    return VML_OK;
}

struct copy_ctx {
    vml_heap_entry *out;
    size_t max, n;
};

static void copy_one(void *ctx, const vml_heap_entry *e)
{
    struct copy_ctx *c = ctx;
    if (c->n < c->max && c->out)
        c->out[c->n] = *e;
    c->n++;
}

vml_status vml_heap_walk(vml_proc *p, vml_va heap, vml_heap_entry *out, size_t max, size_t *n)
{
    struct hp h;
    struct copy_ctx c = { out, max, 0 };
    vml_status st = open_look(&h, p, heap);
    if (st != VML_OK)
        return st;
    if (!h.bad && !h.um.failed)
        walk(&h, copy_one, &c, NULL);
    if (n)
        *n = c.n;
    return VML_OK;
}
