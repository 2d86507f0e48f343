/*
** heap.h -- Win32 heaps (heap.c): what the process setup (win32_proc.c)
** and the heap's inspection (heap_info.c) share.
*/
#ifndef VML_OS_HEAP_H
#define VML_OS_HEAP_H

#include <stdint.h>
#include "mm/vm.h"
#include "umem.h"

/* The process's pointer size: its Win32 environment's, else the
** machine's (8 on x64 paging, 4 on the 32-bit modes). */
unsigned w32_ptr_size(vml_proc *p);
/* The process's bottom-up start (ASLR), drawn at its first use. */
vml_va   w32_bottom_up(vml_proc *p);
/* The highest address the process's heaps, stacks, PEB and TEBs may use:
** a 32-bit (WoW64) process's below 2 GiB, whatever the machine. */
vml_va   w32_highest(vml_proc *p);

/* Creates a heap (RtlCreateHeap): reserve bytes reserved (0: the
** default segment reserve, growable), commit committed; flags the HEAP_*
** options kept.  Returns a Win32 error code. */
uint32_t heap_create(vml_proc *p, uint32_t flags, uint64_t commit, uint64_t reserve,
                     int growable, vml_va *out);

/* ---- reading a heap (heap.c; heap_info.c walks with it) ---------------------------- */

#define HEAP_MAX_SEGMENTS 64u

/* Offsets of the fields vmlab keeps, after Windows 7's _HEAP_SEGMENT,
** _HEAP and _HEAP_VIRTUAL_ALLOC_ENTRY (x64 / x86: dt ntdll!_HEAP). */
struct heap_layout {
    unsigned seg_signature, seg_flags, seg_list, seg_heap, seg_base, seg_pages, seg_first,
             seg_last, seg_uc_pages, seg_uc_ranges, seg_ucr_list, seg_size;
    unsigned flags, force_flags, vm_threshold, signature, seg_reserve, seg_commit,
             decommit_block, decommit_total, total_free, max_alloc, va_blocks, segment_list,
             free_lists, heap_size;
    unsigned va_commit, va_reserve, va_busy, va_size;
    unsigned peb_heaps_n, peb_heaps_max, peb_heaps, peb_size;   /* the PEB's heap array */
};

struct heap_seg {
    vml_va   base;
    unsigned index;
    vml_va   first, last;        /* FirstEntry, LastValidEntry */
    uint64_t pages, uc_pages;
    vml_va   commit_end;
};

/* A HEAP_ENTRY, unencoded. */
struct heap_ent {
    vml_va   at;
    uint64_t size, prev;         /* units */
    unsigned flags, seg, unused;
};

/* A heap being worked on (or looked at: um.peek). */
struct hp {
    struct umem um;
    vml_proc *p;
    const struct heap_layout *o;
    unsigned  P, G;              /* pointer size, block unit */
    vml_va    base;
    uint32_t  flags, force;
    uint64_t  threshold;         /* units */
    struct heap_seg seg[HEAP_MAX_SEGMENTS];
    unsigned  n_seg;
    int       bad;               /* a structure does not hold together */
    char      why[96];
};

#define HE_BUSY     0x01u
#define HE_VIRTUAL  0x08u
#define HE_LAST     0x10u

/* Opens heap for work (peek: a look without faults).  0; -1 when it is
** not a heap of p (not registered) or its header or segments are broken
** (h->bad, h->why) or unreadable (h->um.failed). */
int  hp_open(struct hp *h, vml_proc *p, vml_va heap, int peek);
int  hp_ent(struct hp *h, vml_va at, struct heap_ent *e);
/* The segment holding block address at, or NULL. */
const struct heap_seg *hp_seg_of(const struct hp *h, vml_va at);
/* The large blocks' list: the first entry's address (or the list head
** when empty); hp_va_next the next one. */
vml_va hp_va_head(const struct hp *h);
vml_va hp_va_first(struct hp *h);
vml_va hp_va_next(struct hp *h, vml_va entry);
/* A broken structure: records it, returns -1. */
int  hp_corrupt(struct hp *h, const char *what, vml_va at);

/* ---- working on a heap (heap.c; the calls are heap_api.c's) ----------------------- */

#define MIN_FREE_UNITS 2u          /* a free block: a header and a LIST_ENTRY */
#define ERR_NOMEM      VML_ERROR_NOT_ENOUGH_MEMORY

/* hp_open, and the whole free list checked: for a call that changes it. */
int      hp_open_change(struct hp *h, vml_proc *p, vml_va heap);
/* The code of a call that met a broken heap (STATUS_HEAP_CORRUPTION), a
** fault (its exception), or no heap (STATUS_ACCESS_VIOLATION). */
uint32_t hp_fail_code(const struct hp *h);
uint64_t hp_units(const struct hp *h, uint64_t size);
/* A block for size bytes: from the free list (the heap grows when it
** must), or a large block of its own.  *err the Win32 error of a plain
** failure. */
int      hp_alloc_small(struct hp *h, uint64_t size, uint32_t flags, vml_va *out, uint32_t *err);
int      hp_alloc_large(struct hp *h, uint64_t size, vml_va *out, uint32_t *err);
/* The large block whose user pointer is ptr: its entry, or 0. */
vml_va   hp_find_large(struct hp *h, vml_va ptr);
/* The busy block of ptr, checked against its neighbours: 0 or -1. */
int      hp_busy_block(struct hp *h, vml_va ptr, struct heap_ent *e);
/* Frees busy block e (coalescing; decommitting a large free end). */
int      hp_release(struct hp *h, struct heap_ent *e);
void     hp_ent_put(struct hp *h, const struct heap_ent *e);
void     hp_fl_unlink(struct hp *h, vml_va blk);
void     hp_total_free_add(struct hp *h, int64_t units);
int      hp_lay_free(struct hp *h, const struct heap_seg *s, vml_va at, uint64_t units,
                     uint64_t prev, int last);
void     hp_list_unlink(struct hp *h, vml_va link);
/* Writes the process's heap list into its PEB's ProcessHeaps array. */
void     hp_peb_sync(vml_proc *p, struct umem *um);

#endif
