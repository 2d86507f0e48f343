/*
** heap.c -- Win32 heaps: HeapCreate, HeapAlloc, HeapReAlloc, HeapSize,
** HeapFree, HeapDestroy and GetProcessHeap, as ntdll's back-end heap does
** them (the low-fragmentation front end is not modelled, as with
** HeapCompatibilityInformation 0), on top of the memory manager's
** reserve/commit.  Every header and free list lives in the process's
** memory and is read and written through the MMU (umem.h), so !db, the
** working set and the fault counters see the heap at work.
**
** The layout (fields at Windows 7's offsets, x64 / x86; heap.h's table):
**   a heap is one or more segments, each a reservation whose committed
**   part is a prefix [base, commit_end) tiled by blocks; a block is a
**   HEAP_ENTRY (16 / 8 bytes: Size and PreviousSize in 16 / 8-byte units,
**   Flags 1 busy 8 virtual-alloc 0x10 last, SmallTagIndex = Size lo ^
**   Size hi ^ Flags, SegmentOffset, UnusedBytes = block bytes - the size
**   asked) and, when free, a LIST_ENTRY right after it on the heap's
**   FreeLists, ordered by size (a best fit; among equal sizes the one freed
**   last comes first).  The segment's header (and in the first segment the
**   HEAP header) is a busy block of its own at the segment's base.  Blocks
**   of more than VirtualMemoryThreshold (0xFE00 units: 0xFE000 bytes on
**   x64, 0x7F000 on x86 -- MSDN HeapCreate's "slightly less than 1,024 KB /
**   512 KB") get a VirtualAlloc of their own (HEAP_VIRTUAL_ALLOC_ENTRY, on
**   VirtualAllocdBlocks) in a growable heap; a fixed-size heap refuses them.
**   Headers are not encoded (HEAP.EncodeFlagMask 0).
**
** Growth: a heap commits the pages a request needs at the end of a
** segment's committed part (RtlpExtendHeap); when no segment has room, a
** growable heap reserves a new one, twice the size of the last (at least
** the request), up to 64 segments; a fixed-size heap fails.  Free space
** goes back: a free block at the end of the committed part of at least
** DeCommitFreeBlockThreshold (4 KiB) when the heap's free space reaches
** DeCommitTotalFreeThreshold (64 KiB) has its whole pages decommitted
** (RtlpDeCommitFreeBlock; vmlab decommits only at a segment's end, so its
** committed part stays a prefix).  Error codes are Wine 8's (checked with
** a mingw-w64 program): a failed allocation sets ERROR_NOT_ENOUGH_MEMORY,
** or raises STATUS_NO_MEMORY with HEAP_GENERATE_EXCEPTIONS; HeapFree and
** HeapSize of a pointer that is not a busy block fail ERROR_INVALID_PARAMETER.
**
** Each call reads and checks what it needs first, then commits memory
** (which may fail cleanly), touches the pages it will write, and only then
** writes: a failed call changes nothing.
**
** INVARIANTS: the heap's state is in the process's memory (the program's:
** what it overwrites is reported as STATUS_HEAP_CORRUPTION by the call that
** meets it); the host-side list of heaps is heap_api.c's (HEAP1).  Every
** call checks what it reads: signatures, the SmallTagIndex checksum, sizes
** against the segment, PreviousSize against the block before, the whole
** free list's links before a change (hp_open_change).
**
** TRANSITIONS:
**   free block  -> busy block      carve()           busy -> free: hp_release()
**   uncommitted -> committed tail  extend()          committed -> uncommitted: hp_release()
**   no heap     -> heap            heap_create()
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "mm/vm.h"
#include "win32.h"
#include "aslr.h"
#include "heap.h"

#define PAGE      UINT64_C(0x1000)
#define GRAN      UINT64_C(0x10000)
#define HEAP_SIG  0xEEFFEEFFu
#define SEG_SIG   0xFFEEFFEEu
#define VM_THRESHOLD_UNITS 0xFE00u
#define MAX_FREE_UNITS     0xFE00u
#define SEG_RESERVE        UINT64_C(0x100000)   /* PEB.HeapSegmentReserve */
#define SEG_COMMIT         UINT64_C(0x2000)     /* PEB.HeapSegmentCommit */
#define DECOMMIT_BLOCK     UINT64_C(0x1000)     /* PEB.HeapDeCommitFreeBlockThreshold */
#define DECOMMIT_TOTAL     UINT64_C(0x10000)    /* PEB.HeapDeCommitTotalFreeThreshold */

static const struct heap_layout lay64 = {
    .seg_signature = 0x10, .seg_flags = 0x14, .seg_list = 0x18, .seg_heap = 0x28,
    .seg_base = 0x30, .seg_pages = 0x38, .seg_first = 0x40, .seg_last = 0x48,
    .seg_uc_pages = 0x50, .seg_uc_ranges = 0x54, .seg_ucr_list = 0x60, .seg_size = 0x70,
    .flags = 0x70, .force_flags = 0x74, .vm_threshold = 0x9c, .signature = 0xa0,
    .seg_reserve = 0xa8, .seg_commit = 0xb0, .decommit_block = 0xb8, .decommit_total = 0xc0,
    .total_free = 0xc8, .max_alloc = 0xd0, .va_blocks = 0x118, .segment_list = 0x128,
    .free_lists = 0x158, .heap_size = 0x208,
    .va_commit = 0x20, .va_reserve = 0x28, .va_busy = 0x30, .va_size = 0x40,
    .peb_heaps_n = 0xe8, .peb_heaps_max = 0xec, .peb_heaps = 0xf0, .peb_size = 0x380,
};
static const struct heap_layout lay32 = {
    .seg_signature = 0x08, .seg_flags = 0x0c, .seg_list = 0x10, .seg_heap = 0x18,
    .seg_base = 0x1c, .seg_pages = 0x20, .seg_first = 0x24, .seg_last = 0x28,
    .seg_uc_pages = 0x2c, .seg_uc_ranges = 0x30, .seg_ucr_list = 0x38, .seg_size = 0x40,
    .flags = 0x40, .force_flags = 0x44, .vm_threshold = 0x60, .signature = 0x64,
    .seg_reserve = 0x68, .seg_commit = 0x6c, .decommit_block = 0x70, .decommit_total = 0x74,
    .total_free = 0x78, .max_alloc = 0x7c, .va_blocks = 0xa0, .segment_list = 0xa8,
    .free_lists = 0xc4, .heap_size = 0x138,
    .va_commit = 0x10, .va_reserve = 0x14, .va_busy = 0x18, .va_size = 0x20,
    .peb_heaps_n = 0x88, .peb_heaps_max = 0x8c, .peb_heaps = 0x90, .peb_size = 0x248,
};

static uint64_t up(uint64_t x, uint64_t a) { return (x + a - 1) & ~(a - 1); }

unsigned w32_ptr_size(vml_proc *p)
{
    unsigned ps = vm_os(p)->ptr_size;
    if (ps)
        return ps;
    return vm_layout(vml_proc_machine(p))->va_bits > 32 ? 8 : 4;
}

vml_va w32_bottom_up(vml_proc *p)
{
    struct vm_osproc *os = vm_os(p);
    if (os->bottom_up == 0)
        os->bottom_up = aslr_win_bottom_up(vml_proc_machine(p), w32_ptr_size(p));
    return os->bottom_up;
}

vml_va w32_highest(vml_proc *p)
{
    vml_va hi = vm_layout(vml_proc_machine(p))->user_highest;
    return w32_ptr_size(p) == 4 && hi > UINT64_C(0x7FFEFFFF) ? UINT64_C(0x7FFEFFFF) : hi;
}

/* ---- reading ------------------------------------------------------------------------ */

int hp_corrupt(struct hp *h, const char *what, vml_va at)
{
    if (!h->bad) {
        h->bad = 1;
        snprintf(h->why, sizeof h->why, "%s at %#llx", what, (unsigned long long)at);
    }
    return -1;
}

static unsigned hdr_off(const struct hp *h) { return h->P == 8 ? 8 : 0; }

int hp_ent(struct hp *h, vml_va at, struct heap_ent *e)
{
    uint8_t b[8];
    um_read(&h->um, at + hdr_off(h), b, 8);
    if (h->um.failed)
        return -1;
    e->at = at;
    e->size = (uint64_t)b[0] | (uint64_t)b[1] << 8;
    e->flags = b[2];
    e->prev = (uint64_t)b[4] | (uint64_t)b[5] << 8;
    e->seg = b[6];
    e->unused = b[7];
    if (b[3] != (uint8_t)(b[0] ^ b[1] ^ b[2]) || e->size == 0)
        return hp_corrupt(h, "a HEAP_ENTRY whose checksum or size is wrong", at);
    return 0;
}

void hp_ent_put(struct hp *h, const struct heap_ent *e)
{
    uint8_t b[8];
    b[0] = (uint8_t)e->size;
    b[1] = (uint8_t)(e->size >> 8);
    b[2] = (uint8_t)e->flags;
    b[3] = (uint8_t)(b[0] ^ b[1] ^ b[2]);
    b[4] = (uint8_t)e->prev;
    b[5] = (uint8_t)(e->prev >> 8);
    b[6] = (uint8_t)e->seg;
    b[7] = (uint8_t)e->unused;
    um_write(&h->um, e->at + hdr_off(h), b, 8);
}

const struct heap_seg *hp_seg_of(const struct hp *h, vml_va at)
{
    for (unsigned i = 0; i < h->n_seg; i++)
        if (at >= h->seg[i].first && at < h->seg[i].commit_end)
            return &h->seg[i];
    return NULL;
}

static int seg_read(struct hp *h, vml_va base, unsigned index, struct heap_seg *s)
{
    const struct heap_layout *o = h->o;
    struct umem *um = &h->um;
    if (um_r32(um, base + o->seg_signature) != SEG_SIG || um_rptr(um, base + o->seg_base) != base ||
        um_rptr(um, base + o->seg_heap) != h->base)
        return um->failed ? -1 : hp_corrupt(h, "a segment without its signature", base);
    s->base = base;
    s->index = index;
    s->pages = um_r32(um, base + o->seg_pages);
    s->uc_pages = um_r32(um, base + o->seg_uc_pages);
    s->first = um_rptr(um, base + o->seg_first);
    s->last = um_rptr(um, base + o->seg_last);
    s->commit_end = base + (s->pages - s->uc_pages) * PAGE;
    if (um->failed)
        return -1;
    if (s->uc_pages >= s->pages || s->last != base + s->pages * PAGE ||
        s->first <= base || s->first >= s->commit_end || (s->first - base) % h->G)
        return hp_corrupt(h, "a segment whose sizes do not hold together", base);
    return 0;
}

static vml_va seg_list_head(const struct hp *h) { return h->base + h->o->segment_list; }

int hp_open(struct hp *h, vml_proc *p, vml_va heap, int peek)
{
    const struct vm_osproc *os = vm_os(p);
    size_t i;
    memset(h, 0, sizeof *h);
    h->p = p;
    h->P = w32_ptr_size(p);
    h->G = 2 * h->P;
    h->o = h->P == 8 ? &lay64 : &lay32;
    h->base = heap;
    um_init(&h->um, p, h->P);
    h->um.peek = peek;
    for (i = 0; i < os->n_heaps && os->heaps[i] != heap; i++)
        ;
    if (i == os->n_heaps)
        return -1;
    const struct heap_layout *o = h->o;
    if (um_r32(&h->um, heap + o->signature) != HEAP_SIG)
        return h->um.failed ? -1 : hp_corrupt(h, "a heap without its signature", heap);
    h->flags = (uint32_t)um_r32(&h->um, heap + o->flags);
    h->force = (uint32_t)um_r32(&h->um, heap + o->force_flags);
    h->threshold = um_r32(&h->um, heap + o->vm_threshold);
    /* the segments, in the order they were made (SegmentList) */
    vml_va head = seg_list_head(h), link = um_rptr(&h->um, head);
    while (link != head && !h->um.failed) {
        if (h->n_seg == HEAP_MAX_SEGMENTS)
            return hp_corrupt(h, "a segment list longer than 64", heap);
        if (seg_read(h, link - o->seg_list, h->n_seg, &h->seg[h->n_seg]) != 0)
            return -1;
        h->n_seg++;
        link = um_rptr(&h->um, link);
    }
    if (h->um.failed)
        return -1;
    if (h->n_seg == 0 || h->seg[0].base != heap)
        return hp_corrupt(h, "a segment list without the heap's first segment", heap);
    return 0;
}

vml_va hp_va_head(const struct hp *h) { return h->base + h->o->va_blocks; }
vml_va hp_va_first(struct hp *h) { return um_rptr(&h->um, hp_va_head(h)); }
vml_va hp_va_next(struct hp *h, vml_va entry) { return um_rptr(&h->um, entry); }

/* ---- the free list ------------------------------------------------------------------ */

static vml_va fl_head(const struct hp *h) { return h->base + h->o->free_lists; }

/* The next free block on the list after link (the list head's, or a
** block's LIST_ENTRY), checked: 0 at the end; -1 on a broken list. */
static int fl_next(struct hp *h, vml_va link, vml_va *blk, struct heap_ent *e)
{
    vml_va next = um_rptr(&h->um, link);
    if (h->um.failed)
        return -1;
    if (next == fl_head(h)) {
        *blk = 0;
        return 0;
    }
    *blk = next - h->G;
    if (next % h->G || hp_seg_of(h, *blk) == NULL)
        return hp_corrupt(h, "a free list link outside the heap", link);
    if (hp_ent(h, *blk, e) != 0)
        return -1;
    if (e->flags & HE_BUSY)
        return hp_corrupt(h, "a busy block on the free list", *blk);
    return 0;
}

/* The smallest free block of at least units (the first on the list). */
static int fl_best(struct hp *h, uint64_t units, vml_va *blk, struct heap_ent *e)
{
    vml_va link = fl_head(h);
    for (uint64_t n = 0;; n++) {
        if (n > (UINT64_C(1) << 24))
            return hp_corrupt(h, "a free list that does not end", fl_head(h));
        if (fl_next(h, link, blk, e) != 0)
            return -1;
        if (*blk == 0 || e->size >= units)
            return 0;
        link = *blk + h->G;
    }
}

void hp_fl_unlink(struct hp *h, vml_va blk)
{
    struct umem *um = &h->um;
    vml_va link = blk + h->G;
    vml_va f = um_rptr(um, link), b = um_rptr(um, link + h->P);
    um_wptr(um, b, f);
    um_wptr(um, f + h->P, b);
}

/* Inserts a free block of units before the first one at least as large. */
static int fl_insert(struct hp *h, vml_va blk, uint64_t units)
{
    struct umem *um = &h->um;
    vml_va at;
    struct heap_ent e;
    if (fl_best(h, units, &at, &e) != 0)
        return -1;
    vml_va next = at ? at + h->G : fl_head(h);
    vml_va prev = um_rptr(um, next + h->P);
    vml_va link = blk + h->G;
    um_wptr(um, link, next);
    um_wptr(um, link + h->P, prev);
    um_wptr(um, prev, link);
    um_wptr(um, next + h->P, link);
    return um->failed ? -1 : 0;
}

void hp_total_free_add(struct hp *h, int64_t units)
{
    vml_va at = h->base + h->o->total_free;
    um_wptr(&h->um, at, um_rptr(&h->um, at) + (uint64_t)units);
}

/* ---- laying out free space ---------------------------------------------------------- */

/* Makes [at, at + units) free blocks (none larger than MAX_FREE_UNITS) on
** the free list; prev the units of the block before; last: they end the
** committed part (else the block after them learns its new neighbour). */
int hp_lay_free(struct hp *h, const struct heap_seg *s, vml_va at, uint64_t units,
                    uint64_t prev, int last)
{
    while (units) {
        uint64_t piece = units;
        if (piece > MAX_FREE_UNITS)
            piece = units - MAX_FREE_UNITS >= MIN_FREE_UNITS ? MAX_FREE_UNITS
                                                             : MAX_FREE_UNITS - MIN_FREE_UNITS;
        int end = piece == units;
        struct heap_ent e = { at, piece, prev, end && last ? HE_LAST : 0, s->index, 0 };
        hp_ent_put(h, &e);
        if (fl_insert(h, at, piece) != 0)
            return -1;
        at += piece * h->G;
        prev = piece;
        units -= piece;
    }
    if (!last) {
        struct heap_ent n;
        if (hp_ent(h, at, &n) != 0)
            return -1;
        n.prev = prev;
        hp_ent_put(h, &n);
    }
    return h->um.failed ? -1 : 0;
}

/* ---- VM: segments and large blocks ------------------------------------------------- */

static struct vad *hp_vad(vml_proc *p, vml_va va)
{
    return vad_find(vm_vads(p), va >> 12);
}

/* A reservation of size bytes, bottom-up from hint (then from the bottom
** of user space), made a heap's VAD.  0 when there is no room. */
static vml_va reserve(vml_proc *p, vml_va hint, uint64_t size, uint32_t protect, vml_va heap,
                      struct vad *node)
{
    const vml_layout *l = vm_layout(vml_proc_machine(p));
    uint64_t n = size >> 12, start;
    uint64_t hi = w32_highest(p) >> 12;
    if (!vad_find_gap(vm_vads(p), hint >> 12, hi, n, GRAN >> 12, 0, &start) &&
        !vad_find_gap(vm_vads(p), l->user_lowest >> 12, hi, n, GRAN >> 12, 0, &start))
        return 0;
    vm_reserve(p, node, start << 12, n, protect, VML_ORIGIN_WIN32, 0);
    node->usage = VML_USAGE_HEAP;
    node->usage_tag = heap ? heap : start << 12;
    return start << 12;
}

static uint32_t commit_err(vml_status st)
{
    return st == VML_E_COMMIT ? VML_ERROR_COMMITMENT_LIMIT : ERR_NOMEM;
}

/* The segment's last block (its LAST_ENTRY): a walk of its chain. */
static int seg_last_block(struct hp *h, const struct heap_seg *s, struct heap_ent *e)
{
    vml_va at = s->base;
    for (;;) {
        if (hp_ent(h, at, e) != 0)
            return -1;
        if (at + e->size * h->G > s->commit_end)
            return hp_corrupt(h, "a block past the committed part", at);
        if (e->flags & HE_LAST)
            return 0;
        if (at + e->size * h->G == s->commit_end)
            return hp_corrupt(h, "a segment's last block without LAST_ENTRY", at);
        at += e->size * h->G;
    }
}

/* Commits pages at the end of segment s so that a free block of units
** ends it.  0; 1 when s has no room; -1 on failure (*err). */
static int extend_segment(struct hp *h, struct heap_seg *s, uint64_t units, uint32_t *err)
{
    struct heap_ent last;
    if (s->uc_pages == 0)
        return 1;
    if (seg_last_block(h, s, &last) != 0)
        return -1;
    int free_last = !(last.flags & HE_BUSY);
    uint64_t have = free_last ? last.size : 0;
    uint64_t pages = up((units - have) * h->G, PAGE) >> 12;
    if (pages > s->uc_pages)
        return 1;
    struct vad *v = hp_vad(h->p, s->base);
    unsigned mmprot = (unsigned)vm_prot_from_win32((h->flags & VML_HEAP_CREATE_ENABLE_EXECUTE)
                                                   ? VML_PAGE_EXECUTE_READWRITE : VML_PAGE_READWRITE);
    vml_status st;
    if (v == NULL)
        return hp_corrupt(h, "a segment without its reservation", s->base);
    if ((st = vm_commit(h->p, v, s->commit_end, pages, mmprot)) != VML_OK) {
        *err = commit_err(st);
        return -1;
    }
    /* the header written there (free_last: the block's own header page) */
    if (!free_last && um_probe(&h->um, s->commit_end, 2 * h->G) != 0) {
        vm_decommit(h->p, v, s->commit_end, pages);
        return -1;
    }
    vml_va start = free_last ? last.at : s->commit_end;
    uint64_t prev = free_last ? last.prev : last.size;
    uint64_t added = pages * PAGE / h->G;
    if (free_last) {
        hp_fl_unlink(h, last.at);
        hp_total_free_add(h, -(int64_t)last.size);
    } else {
        last.flags &= ~HE_LAST;
        hp_ent_put(h, &last);
    }
    s->uc_pages -= pages;
    s->commit_end += pages * PAGE;
    um_w32(&h->um, s->base + h->o->seg_uc_pages, s->uc_pages);
    um_w32(&h->um, s->base + h->o->seg_uc_ranges, s->uc_pages ? 1 : 0);
    if (hp_lay_free(h, s, start, have + added, prev, 1) != 0)
        return -1;
    hp_total_free_add(h, (int64_t)(have + added));
    return 0;
}

static void list_append(struct hp *h, vml_va head, vml_va link)
{
    struct umem *um = &h->um;
    vml_va tail = um_rptr(um, head + h->P);
    um_wptr(um, link, head);
    um_wptr(um, link + h->P, tail);
    um_wptr(um, tail, link);
    um_wptr(um, head + h->P, link);
}

void hp_list_unlink(struct hp *h, vml_va link)
{
    struct umem *um = &h->um;
    vml_va f = um_rptr(um, link), b = um_rptr(um, link + h->P);
    um_wptr(um, b, f);
    um_wptr(um, f + h->P, b);
}

/* Writes a segment's header block and header at base (reserved pages,
** commit bytes committed); for the first segment the HEAP header too. */
static void seg_init(struct hp *h, vml_va base, unsigned index, uint64_t reserved,
                     uint64_t committed, uint64_t hdr_bytes)
{
    const struct heap_layout *o = h->o;
    struct umem *um = &h->um;
    uint64_t hdr_units = up(hdr_bytes, h->G) / h->G;
    struct heap_ent e = { base, hdr_units, 0, HE_BUSY, index, 0 };
    hp_ent_put(h, &e);
    um_w32(um, base + o->seg_signature, SEG_SIG);
    um_w32(um, base + o->seg_flags, 0);
    um_wptr(um, base + o->seg_heap, h->base);
    um_wptr(um, base + o->seg_base, base);
    um_w32(um, base + o->seg_pages, reserved >> 12);
    um_wptr(um, base + o->seg_first, base + hdr_units * h->G);
    um_wptr(um, base + o->seg_last, base + reserved);
    um_w32(um, base + o->seg_uc_pages, (reserved - committed) >> 12);
    um_w32(um, base + o->seg_uc_ranges, reserved > committed);
    um_wptr(um, base + o->seg_ucr_list, base + o->seg_ucr_list);      /* empty */
    um_wptr(um, base + o->seg_ucr_list + h->P, base + o->seg_ucr_list);
}

/* A new segment for a growable heap with a free block of units. */
static int add_segment(struct hp *h, uint64_t units, uint32_t *err)
{
    vml_machine *m = vml_proc_machine(h->p);
    struct umem *um = &h->um;
    if (!(h->flags & VML_HEAP_GROWABLE) || h->n_seg == HEAP_MAX_SEGMENTS)
        return 1;
    uint64_t hdr = up(h->o->seg_size, h->G);
    uint64_t last_reserve = um_rptr(um, h->base + h->o->seg_reserve);
    uint64_t size = up(hdr + (units + 1) * h->G, GRAN);
    if (size < last_reserve * 2)
        size = last_reserve * 2;
    uint64_t commit = up(hdr + units * h->G, PAGE);
    if (vm_charge_check(h->p, commit >> 12) != VML_OK) {
        *err = VML_ERROR_COMMITMENT_LIMIT;
        return -1;
    }
    struct vad *node = vm_vad_alloc(m);
    uint32_t protect = (h->flags & VML_HEAP_CREATE_ENABLE_EXECUTE) ? VML_PAGE_EXECUTE_READWRITE
                                                                    : VML_PAGE_READWRITE;
    vml_va base = node ? reserve(h->p, aslr_win_heap_hint(m, w32_bottom_up(h->p)), size, protect, h->base, node) : 0;
    if (base == 0) {
        free(node);
        *err = ERR_NOMEM;
        return -1;
    }
    vml_status st = vm_commit(h->p, node, base, commit >> 12,
                              (unsigned)vm_prot_from_win32(protect));
    if (st != VML_OK || um_probe(um, base, hdr + 2 * h->G) != 0) {
        vm_release(h->p, node);
        *err = st != VML_OK ? commit_err(st) : ERR_NOMEM;
        return st != VML_OK ? -1 : -1;
    }
    unsigned index = h->n_seg;
    seg_init(h, base, index, size, commit, hdr);
    list_append(h, seg_list_head(h), base + h->o->seg_list);
    um_wptr(um, h->base + h->o->seg_reserve, size);
    struct heap_seg *s = &h->seg[h->n_seg++];
    if (seg_read(h, base, index, s) != 0)
        return -1;
    uint64_t n = (commit - hdr) / h->G;
    if (hp_lay_free(h, s, s->first, n, hdr / h->G, 1) != 0)
        return -1;
    hp_total_free_add(h, (int64_t)n);
    return 0;
}

/* Room for a block of units: commit in a segment, or a new segment. */
static int extend(struct hp *h, uint64_t units, uint32_t *err)
{
    for (unsigned i = 0; i < h->n_seg; i++) {
        int r = extend_segment(h, &h->seg[i], units, err);
        if (r <= 0)
            return r;
    }
    int r = add_segment(h, units, err);
    if (r > 0)
        *err = ERR_NOMEM;
    return r != 0 ? -1 : 0;
}

/* ---- blocks -------------------------------------------------------------------------- */

uint64_t hp_units(const struct hp *h, uint64_t size)
{
    return up(size ? size : 1, h->G) / h->G + 1;
}

/* Free block blk (off the list) of e becomes a busy block of units for a
** request of size bytes; what is left over is freed. */
static int carve(struct hp *h, struct heap_ent *e, uint64_t units, uint64_t size)
{
    const struct heap_seg *s = hp_seg_of(h, e->at);
    uint64_t rest = e->size - units;
    int last = (e->flags & HE_LAST) != 0;
    if (rest >= MIN_FREE_UNITS) {
        struct heap_ent b = { e->at, units, e->prev, HE_BUSY, s->index, 0 };
        b.unused = (unsigned)(units * h->G - size);
        hp_ent_put(h, &b);
        hp_total_free_add(h, -(int64_t)e->size);
        if (hp_lay_free(h, s, e->at + units * h->G, rest, units, last) != 0)
            return -1;
        hp_total_free_add(h, (int64_t)rest);
    } else {
        e->flags = HE_BUSY | (last ? HE_LAST : 0);
        e->unused = (unsigned)(e->size * h->G - size);
        hp_ent_put(h, e);
        hp_total_free_add(h, -(int64_t)e->size);
    }
    return h->um.failed ? -1 : 0;
}

/* The error of a call that met a broken heap or a fault. */
uint32_t hp_fail_code(const struct hp *h)
{
    if (h->bad)
        return VML_STATUS_HEAP_CORRUPTION;
    if (h->um.failed)
        return h->um.ex.ntstatus ? h->um.ex.ntstatus : VML_STATUS_ACCESS_VIOLATION;
    return VML_STATUS_ACCESS_VIOLATION;       /* not a heap of the process */
}

/* A large block of its own (HEAP_VIRTUAL_ALLOC_ENTRY). */
int hp_alloc_large(struct hp *h, uint64_t size, vml_va *out, uint32_t *err)
{
    vml_machine *m = vml_proc_machine(h->p);
    const struct heap_layout *o = h->o;
    if (size > vm_layout(m)->user_highest)
        return *err = ERR_NOMEM, -1;
    uint64_t commit = up(o->va_size + size, PAGE);
    if (vm_charge_check(h->p, commit >> 12) != VML_OK) {
        *err = VML_ERROR_COMMITMENT_LIMIT;
        return -1;
    }
    struct vad *node = vm_vad_alloc(m);
    uint32_t protect = (h->flags & VML_HEAP_CREATE_ENABLE_EXECUTE) ? VML_PAGE_EXECUTE_READWRITE
                                                                    : VML_PAGE_READWRITE;
    vml_va base = node ? reserve(h->p, vm_layout(m)->user_lowest, up(commit, PAGE), protect,
                                 h->base, node) : 0;
    if (base == 0) {
        free(node);
        return *err = ERR_NOMEM, -1;
    }
    if (vm_commit(h->p, node, base, commit >> 12, (unsigned)vm_prot_from_win32(protect)) != VML_OK ||
        um_probe(&h->um, base, o->va_size) != 0) {
        vm_release(h->p, node);
        return *err = ERR_NOMEM, -1;
    }
    list_append(h, hp_va_head(h), base);
    um_wptr(&h->um, base + o->va_commit, commit);
    um_wptr(&h->um, base + o->va_reserve, commit);
    struct heap_ent b = { base + o->va_busy, commit - size, 0, HE_BUSY | HE_VIRTUAL, 0xFF, 0 };
    hp_ent_put(h, &b);
    *out = base + o->va_size;      /* fresh pages are zero: HEAP_ZERO_MEMORY writes nothing */
    return h->um.failed ? -1 : 0;
}

/* The large block whose user pointer is ptr: its entry, or 0. */
vml_va hp_find_large(struct hp *h, vml_va ptr)
{
    vml_va head = hp_va_head(h), e = hp_va_first(h);
    for (unsigned n = 0; e != head && !h->um.failed; n++) {
        if (n > (1u << 20) || e % h->G || hp_vad(h->p, e) == NULL)
            return hp_corrupt(h, "a broken VirtualAllocdBlocks list", head), 0;
        if (e + h->o->va_size == ptr)
            return e;
        e = hp_va_next(h, e);
    }
    return 0;
}

int hp_alloc_small(struct hp *h, uint64_t size, uint32_t flags, vml_va *out, uint32_t *err)
{
    uint64_t units = hp_units(h, size);
    vml_va blk;
    struct heap_ent e;
    if (fl_best(h, units, &blk, &e) != 0)
        return -1;
    if (blk == 0) {
        if (extend(h, units, err) != 0 || fl_best(h, units, &blk, &e) != 0 || blk == 0)
            return -1;
    }
    if ((flags & VML_HEAP_ZERO_MEMORY) && um_probe(&h->um, blk + h->G, size) != 0)
        return -1;
    hp_fl_unlink(h, blk);
    if (carve(h, &e, units, size) != 0)
        return -1;
    if (flags & VML_HEAP_ZERO_MEMORY)
        um_zero(&h->um, blk + h->G, size);
    *out = blk + h->G;
    return h->um.failed ? -1 : 0;
}

/* The busy block of ptr, checked against its neighbours. */
int hp_busy_block(struct hp *h, vml_va ptr, struct heap_ent *e)
{
    vml_va blk = ptr - h->G;
    const struct heap_seg *s;
    struct heap_ent n;
    if (ptr % h->G || ptr < h->G || (s = hp_seg_of(h, blk)) == NULL || blk == s->base)
        return -1;
    if (hp_ent(h, blk, e) != 0 || !(e->flags & HE_BUSY) || (e->flags & HE_VIRTUAL) ||
        e->seg != s->index || blk + e->size * h->G > s->commit_end ||
        e->unused > e->size * h->G)
        return -1;
    if (e->prev && (blk - e->prev * h->G < s->base || hp_ent(h, blk - e->prev * h->G, &n) != 0 ||
                    n.size != e->prev))
        return -1;
    if (!(e->flags & HE_LAST) &&
        (hp_ent(h, blk + e->size * h->G, &n) != 0 || n.prev != e->size))
        return -1;
    return 0;
}

/* Frees busy block e: coalesced with free neighbours, put on the list;
** the whole pages of a large enough free end of the committed part are
** decommitted (RtlpDeCommitFreeBlock: the block keeps its header and list
** entry). */
int hp_release(struct hp *h, struct heap_ent *e)
{
    struct heap_seg *s = &h->seg[hp_seg_of(h, e->at)->index];
    vml_va start = e->at;
    uint64_t units = e->size, prev = e->prev;
    int last = (e->flags & HE_LAST) != 0;
    struct heap_ent pe, ne;
    int merge_prev = 0, merge_next = 0;
    if (e->prev && hp_ent(h, e->at - e->prev * h->G, &pe) == 0 && !(pe.flags & HE_BUSY))
        merge_prev = 1;
    if (!last && hp_ent(h, e->at + e->size * h->G, &ne) == 0 && !(ne.flags & HE_BUSY))
        merge_next = 1;
    if (h->bad || h->um.failed)
        return -1;
    if (merge_prev) {
        hp_fl_unlink(h, pe.at);
        start = pe.at;
        units += pe.size;
        prev = pe.prev;
        hp_total_free_add(h, -(int64_t)pe.size);
    }
    if (merge_next) {
        hp_fl_unlink(h, ne.at);
        units += ne.size;
        last = (ne.flags & HE_LAST) != 0;
        hp_total_free_add(h, -(int64_t)ne.size);
    }
    uint64_t total = um_rptr(&h->um, h->base + h->o->total_free) + units;
    vml_va keep = up(start + MIN_FREE_UNITS * h->G, PAGE);
    if (last && start + units * h->G != s->commit_end)
        return hp_corrupt(h, "a last block that does not end its segment", start);
    if (last && units * h->G >= DECOMMIT_BLOCK && total * h->G >= DECOMMIT_TOTAL &&
        keep < s->commit_end) {
        struct vad *v = hp_vad(h->p, s->base);
        uint64_t pages = (s->commit_end - keep) >> 12;
        if (v == NULL)
            return hp_corrupt(h, "a segment without its reservation", s->base);
        vm_decommit(h->p, v, keep, pages);
        s->uc_pages += pages;
        s->commit_end = keep;
        units = (keep - start) / h->G;
        um_w32(&h->um, s->base + h->o->seg_uc_pages, s->uc_pages);
        um_w32(&h->um, s->base + h->o->seg_uc_ranges, 1);
    }
    if (hp_lay_free(h, s, start, units, prev, last) != 0)
        return -1;
    hp_total_free_add(h, (int64_t)units);
    return h->um.failed ? -1 : 0;
}

/* Walks the whole free list before a change: every link in the heap,
** every block on it free, every back link right, the next block after
** each free one agreeing -- so the change meets nothing broken. */
static int check_free_list(struct hp *h)
{
    vml_va link = fl_head(h), blk;
    struct heap_ent e, n;
    for (uint64_t k = 0;; k++) {
        if (k > (UINT64_C(1) << 24))
            return hp_corrupt(h, "a free list that does not end", fl_head(h));
        if (fl_next(h, link, &blk, &e) != 0)
            return -1;
        vml_va next = blk ? blk + h->G : fl_head(h);
        if (um_rptr(&h->um, next + h->P) != link)
            return h->um.failed ? -1 : hp_corrupt(h, "a free list back link that is wrong", next);
        if (blk == 0)
            return 0;
        const struct heap_seg *s = hp_seg_of(h, blk);
        if (blk + e.size * h->G > s->commit_end || e.seg != s->index)
            return hp_corrupt(h, "a free block that leaves its segment", blk);
        if (!(e.flags & HE_LAST) &&
            (hp_ent(h, blk + e.size * h->G, &n) != 0 || n.prev != e.size))
            return h->bad ? -1 : hp_corrupt(h, "a block after a free one that disagrees", blk);
        link = next;
    }
}

int hp_open_change(struct hp *h, vml_proc *p, vml_va heap)
{
    return hp_open(h, p, heap, 0) != 0 || check_free_list(h) != 0 ? -1 : 0;
}

/* ---- the PEB's heap list -------------------------------------------------------------- */

void hp_peb_sync(vml_proc *p, struct umem *um)
{
    const struct vm_osproc *os = vm_os(p);
    const struct heap_layout *o = um->psize == 8 ? &lay64 : &lay32;
    if (os->peb == 0)
        return;
    vml_va arr = um_rptr(um, os->peb + o->peb_heaps);
    uint64_t max = um_r32(um, os->peb + o->peb_heaps_max), n = um_r32(um, os->peb + o->peb_heaps_n);
    if (um->failed || arr == 0)
        return;
    uint64_t k = os->n_heaps < max ? os->n_heaps : max;
    for (uint64_t i = 0; i < k; i++)
        um_wptr(um, arr + i * um->psize, os->heaps[i]);
    for (uint64_t i = k; i < n && i < max; i++)
        um_wptr(um, arr + i * um->psize, 0);
    um_w32(um, os->peb + o->peb_heaps_n, k);
}

/* ---- creating ------------------------------------------------------------------------- */

static int registry_room(vml_proc *p)
{
    struct vm_osproc *os = vm_os(p);
    if (os->n_heaps < os->cap_heaps)
        return 0;
    size_t cap = os->cap_heaps ? os->cap_heaps * 2 : 4;
    vml_va *a = realloc(os->heaps, cap * sizeof *a);
    if (a == NULL)
        return -1;
    os->heaps = a;
    os->cap_heaps = cap;
    return 0;
}

uint32_t heap_create(vml_proc *p, uint32_t flags, uint64_t commit, uint64_t reserve_bytes,
                     int growable, vml_va *out)
{
    vml_machine *m = vml_proc_machine(p);
    struct hp h;
    memset(&h, 0, sizeof h);
    h.p = p;
    h.P = w32_ptr_size(p);
    h.G = 2 * h.P;
    h.o = h.P == 8 ? &lay64 : &lay32;
    um_init(&h.um, p, h.P);
    const struct heap_layout *o = h.o;
    uint64_t hdr = up(o->heap_size, h.G), space = vm_layout(m)->user_highest;
    if (commit > space || reserve_bytes > space)
        return ERR_NOMEM;
    commit = up(commit ? commit : PAGE, PAGE);
    if (commit < up(hdr + MIN_FREE_UNITS * h.G, PAGE))
        commit = up(hdr + MIN_FREE_UNITS * h.G, PAGE);
    reserve_bytes = up(reserve_bytes, PAGE);
    if (growable && reserve_bytes < SEG_RESERVE)
        reserve_bytes = SEG_RESERVE;
    if (reserve_bytes < commit)
        reserve_bytes = growable ? up(commit, GRAN) : commit;
    if (vm_charge_check(p, commit >> 12) != VML_OK)
        return VML_ERROR_COMMITMENT_LIMIT;
    struct vad *node = vm_vad_alloc(m);
    if (node == NULL || registry_room(p) != 0) {
        free(node);
        return ERR_NOMEM;
    }
    uint32_t protect = (flags & VML_HEAP_CREATE_ENABLE_EXECUTE) ? VML_PAGE_EXECUTE_READWRITE
                                                                 : VML_PAGE_READWRITE;
    vml_va base = reserve(p, aslr_win_heap_hint(m, w32_bottom_up(p)), reserve_bytes, protect, 0, node);
    if (base == 0) {
        free(node);
        return ERR_NOMEM;
    }
    vml_status st = vm_commit(p, node, base, commit >> 12, (unsigned)vm_prot_from_win32(protect));
    if (st != VML_OK || um_probe(&h.um, base, hdr + 2 * h.G) != 0) {
        vm_release(p, node);
        return st != VML_OK ? commit_err(st) : ERR_NOMEM;
    }
    /* Everything is had: from here on the writes land on resident pages. */
    h.base = base;
    h.flags = flags | (growable ? VML_HEAP_GROWABLE : 0);
    h.threshold = VM_THRESHOLD_UNITS;
    seg_init(&h, base, 0, reserve_bytes, commit, hdr);
    struct umem *um = &h.um;
    um_w32(um, base + o->flags, h.flags);
    um_w32(um, base + o->force_flags, flags & (VML_HEAP_NO_SERIALIZE | VML_HEAP_GENERATE_EXCEPTIONS));
    um_w32(um, base + o->vm_threshold, VM_THRESHOLD_UNITS);
    um_w32(um, base + o->signature, HEAP_SIG);
    um_wptr(um, base + o->seg_reserve, reserve_bytes);
    um_wptr(um, base + o->seg_commit, SEG_COMMIT);
    um_wptr(um, base + o->decommit_block, DECOMMIT_BLOCK);
    um_wptr(um, base + o->decommit_total, DECOMMIT_TOTAL);
    um_wptr(um, base + o->total_free, 0);
    um_wptr(um, base + o->max_alloc, growable ? space : reserve_bytes);
    vml_va lists[3] = { base + o->va_blocks, base + o->segment_list, fl_head(&h) };
    for (int i = 0; i < 3; i++) {
        um_wptr(um, lists[i], lists[i]);
        um_wptr(um, lists[i] + h.P, lists[i]);
    }
    list_append(&h, lists[1], base + o->seg_list);
    node->usage_tag = base;
    struct vm_osproc *os = vm_os(p);
    os->heaps[os->n_heaps++] = base;
    if (seg_read(&h, base, 0, &h.seg[0]) == 0) {
        h.n_seg = 1;
        uint64_t n = (commit - hdr) / h.G;
        if (hp_lay_free(&h, &h.seg[0], h.seg[0].first, n, hdr / h.G, 1) == 0)
            hp_total_free_add(&h, (int64_t)n);
    }
    hp_peb_sync(p, um);
    *out = base;
    return 0;
}

