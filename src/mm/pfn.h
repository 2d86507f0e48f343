/*
** pfn.h -- the PFN database: one entry per simulated frame, and the page
** lists (Windows' MMPFN and MmZeroedPageListHead & co.).  Uses physical
** memory and core.h only: what a frame's old owner must be told when it
** is repurposed is the business of the code that takes the frame
** (reclaim.c), not of the lists.
*/
#ifndef VML_MM_PFN_H
#define VML_MM_PFN_H

#include <stdint.h>
#include "vmlab.h"
#include "hw/phys.h"

#define PFN_NIL UINT32_MAX

/* One entry per frame, 32 bytes (Windows' MMPFN is 48 on x64). */
struct pfn_entry {
    uint32_t flink, blink;    /* list links (frame numbers), PFN_NIL ends */
    uint64_t pte_pa;          /* a private page or a table: the physical
                              ** address of the PTE that maps it (0: none);
                              ** VML_PFN_PROTOTYPE: the address of its
                              ** prototype PTE (in the paged pool) */
    uint64_t orig_pte;        /* what the PTE (or prototype PTE) gets back
                              ** when the frame is repurposed: demand-zero
                              ** / "in the file" (0), or the pagefile PTE
                              ** of a clean copy in the pagefile */
    uint32_t share_count;     /* data: valid PTEs mapping it (RMAP1);
                              ** table: non-zero entries */
    union {
        uint8_t priority;     /* data frames: standby priority 0..7 */
        uint8_t pt_level;     /* VML_PFN_PAGETABLE frames: level 1..5 */
    };
    uint8_t  list;            /* vml_list */
    uint8_t  flags;           /* VML_PFN_* (public) */
    uint8_t  xflags;          /* PFNX_* (the memory manager's own) */
};
_Static_assert(sizeof(struct pfn_entry) == 32, "a PFN entry is 32 bytes");
/* (Windows' MMPFN also counts references: 1 while the page is mapped or
** in a transition, more while I/O holds it.  vmlab's I/O completes at
** once, so the count is 1 for an active frame and 0 otherwise: views
** derive it, and nothing stores it.) */

/* xflags */
#define PFNX_RESIDENT  0x01u  /* held by the machine's global policy */
#define PFNX_LAZYFREE  0x02u  /* MADV_FREE: dropped, not written, if still clean */
#define PFNX_ZERO_PAGE 0x04u  /* the shared zero page (posix reads) */

struct pfn_list {
    uint64_t count;
    uint32_t head, tail;
};

/* The database itself (the entries, the lists and their counts) lives in
** struct vml_machine (machine.h): m->pfn, m->lists, m->sb_tail. */
vml_status pfn_init(vml_machine *m);

/* How to take a frame. */
#define PFN_ANY       0u
#define PFN_NEED_ZERO 1u   /* zero-filled: zeroed first, a free one is zeroed */
#define PFN_PAGE_IN   2u   /* free before zeroed: the contents are read in */

/* The frame pfn_take() would hand out -- zeroed first (free first with
** PFN_PAGE_IN), then standby (its head: lowest priority, oldest) -- and
** its list; VML_PFN_NONE when every list is empty.  Nothing changes. */
vml_pfn    pfn_pick(const vml_machine *m, unsigned how, vml_list *list);
/* Takes frame pfn (zeroed, free or standby) for a use: unlinked, zeroed
** if how says so, its entry reset, active.  A standby frame's old owner
** must have been told first (reclaim.c's repurpose). */
void       pfn_take(vml_machine *m, vml_pfn pfn, unsigned how, unsigned pid);
/* A frame no longer used (active, standby or modified): to the free list,
** contents dirty.  Its pagefile copy, if any, is the caller's to free. */
void       pfn_free(vml_machine *m, vml_pfn pfn, unsigned pid);
/* Active -> standby (clean) or modified (dirty): a transition page. */
void       pfn_release(vml_machine *m, vml_pfn pfn, int dirty, unsigned pid);
/* Standby/modified -> active (a soft fault). */
void       pfn_reclaim(vml_machine *m, vml_pfn pfn, unsigned pid);
/* Modified -> standby: written to the pagefile or its file; orig_pte
** becomes the PTE to restore when repurposed. */
void       pfn_written(vml_machine *m, vml_pfn pfn, uint64_t orig_pte);
/* Free -> zeroed (the zero-page worker); 0 when no frame is free. */
int        pfn_zero_one(vml_machine *m);
int        pfn_check(vml_machine *m, char *msg, size_t size);

#endif
