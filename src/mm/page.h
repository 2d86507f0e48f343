/*
** page.h -- mapping and unmapping one page of a process: the three places
** a page lives (its PTE, its frame's PFN entry or prototype PTE, the
** working set) change together here, and nowhere else.
*/
#ifndef VML_MM_PAGE_H
#define VML_MM_PAGE_H

#include <stdint.h>
#include "vmlab.h"

struct vml_proc;

struct vad;

/* Is the page at va (whose PTE is pte, 0 when its table is missing)
** committed, and with what MM protection?  From the PTE when it says, the
** working-set entry of a valid page, the prototype PTE of a view's page
** (SEC_RESERVE pages are committed one by one), else the VAD. */
int  page_state(const struct vml_proc *p, const struct vad *v, vml_va va, uint64_t pte,
                unsigned *mmprot);
/* The prototype PTE id of the page at va of view v, or 0: not a view, or
** a page of a file mapping past the file's last page (posix lets a mapping
** run past the end of its file; touching such a page raises SIGBUS). */
uint64_t view_proto_id(const struct vad *v, vml_va va);
/* The PTE a page of v whose PTE is zero gets to carry a protection of its
** own: demand-zero for private memory, prototype for a view's page. */
uint64_t page_own_pte(const struct vad *v, vml_va va, unsigned mmprot);
/* The protection a VAD gives a page whose PTE is zero. */
unsigned vad_mmprot(const struct vad *v);

/* page_map(): a writable mapping made read-only with the copy-on-write
** bit (the page is shared copy-on-write). */
#define PAGE_MAP_COW 1u
/* page_map(): the caller wrote the valid PTE already (page_discard()'s
** new_pte, so that one write replaces a mapping). */
#define PAGE_MAP_PTE_WRITTEN 2u

/* Maps active frame pfn valid at va (PTE slot pte_pa) under the mapping's
** protection mmprot: the page joins p's working set (room reserved with
** ws_reserve()) and the global policy; the frame's share count grows; a
** private frame (not VML_PFN_PROTOTYPE) now names this PTE.  A and D are
** left to the walk that retries the access. */
void page_map(struct vml_proc *p, vml_va va, vml_pa pte_pa, vml_pfn pfn, unsigned mmprot,
              unsigned how);
/* Maps the shared zero page read-only at va (posix reads of untouched
** private memory); it joins no working set. */
void page_map_zero(struct vml_proc *p, vml_va va, vml_pa pte_pa, unsigned mmprot);

/* Why a valid page leaves a working set (and stays the process's). */
enum page_out {
    PAGE_TRIM,      /* trimmed by the working-set manager (counted) */
    PAGE_EVICT,     /* a global policy's victim (counted as an eviction) */
    PAGE_PROTECT    /* made inaccessible (not counted) */
};
/* The valid page at va (its WSLE at slot) leaves p's working set: its PTE
** becomes a transition PTE (a private page) or a prototype PTE (a shared
** one) with protection mmprot; the frame goes to standby (clean) or
** modified (dirty) when no other PTE maps it.  The TLBs are invalidated. */
void page_trim(struct vml_proc *p, vml_va va, vml_pa pte_pa, uint32_t slot, unsigned mmprot,
               enum page_out why);
/* The page at va stops being p's: what its PTE holds is given back -- a
** private frame or pagefile slot freed, a shared page's mapping dropped
** (its frame cached when it was the last; a clone page freed with its
** last reference) -- and the PTE becomes new_pte (0, demand-zero,
** decommitted, a prototype PTE).  The TLBs are invalidated. */
void page_discard(struct vml_proc *p, vml_va va, vml_pa pte_pa, uint64_t new_pte);
/* The frame of a shared page no PTE maps any more: to standby or
** modified, its prototype PTE a transition one. */
void page_cache(vml_machine *m, vml_pfn pfn, unsigned pid);
/* A frame leaves the global policy (it is no longer mapped). */
void page_policy_drop(vml_machine *m, vml_pfn pfn);
/* Frees a frame and its pagefile copy: the page is gone. */
void page_free_frame(vml_machine *m, vml_pfn pfn, unsigned pid);
/* Empties a clone page no PTE names any more and frees it. */
void page_clone_release(vml_machine *m, uint64_t id, unsigned pid);

#endif
