/*
** pt.h -- page tables that live in simulated frames: the one walker the
** memory manager uses to reach a leaf PTE, PTE writes that keep each
** table's count of non-zero entries and free a table that empties, and
** the physical-address-to-owner lookup of a PTE.  No TLB work here: a
** caller that changes a valid entry invalidates (aspace.h).
*/
#ifndef VML_MM_PT_H
#define VML_MM_PT_H

#include <stdint.h>
#include "vmlab.h"

struct vml_proc;

/* Where the walk toward va's leaf stopped. */
struct pt_pos {
    unsigned level;    /* 1: the leaf table exists (slot is its PTE); L > 1:
                       ** the level-L entry at slot is not present */
    vml_pa   slot;     /* physical address of that entry */
};

/* Walks p's tables toward va (4 KiB pages; no side effects). */
void       pt_find(const vml_machine *m, vml_pfn top_pfn, vml_va va, struct pt_pos *pos);
/* The leaf PTE slot of va, or 0 when a table on the way is missing. */
vml_pa     pt_slot(const struct vml_proc *p, vml_va va);
/* The same, making missing tables (zeroed frames from the machine's
** table-frame source, which reclaims when it must): VML_E_NO_FRAMES when
** no frame could be had (tables made on the way stay, empty). */
vml_status pt_slot_make(struct vml_proc *p, vml_va va, vml_pa *pte_pa);
/* Frees the tables on va's path that hold no entry (made for a fault that
** then failed, or left half made by a pt_slot_make() without frames). */
void       pt_prune(struct vml_proc *p, vml_va va);
/* Tables that writing a PTE for every page of [va, end) would create. */
uint64_t   pt_tables_needed(const struct vml_proc *p, vml_va va, vml_va end);
/* Tables missing on the way to va's leaf (0 .. levels - 1). */
unsigned   pt_tables_missing(const struct vml_proc *p, vml_va va);

/* Writes a user PTE: keeps the table's share count (non-zero entries),
** frees a table that becomes empty (and clears its parent entry), emits
** the event.  No TLB invalidation. */
void       pt_write(struct vml_proc *p, vml_va va, vml_pa pte_pa, uint64_t pte);
/* Rewrites an entry without changing whether it is zero (A-bit clearing,
** protection changes of a valid page): no count change, no event. */
void       pt_update(vml_machine *m, vml_pa pte_pa, uint64_t pte);
/* Raw write of an entry of a table being built (kernel half, new tables). */
void       pt_entry_write(vml_machine *m, vml_pa pa, uint64_t v);

/* Visits the existing leaf PTE slots of [va, end) (page aligned, end
** exclusive); spans without a table are skipped in one step.  fn may
** write the PTE (even to zero): the walk finds its table again. */
typedef void (*pt_visit_fn)(void *ctx, struct vml_proc *p, vml_va va, vml_pa pte_pa, uint64_t pte);
void       pt_visit(struct vml_proc *p, vml_va va, vml_va end, pt_visit_fn fn, void *ctx);
/* The next page at or after va that may have a PTE: va itself when its
** leaf table exists, else the start of the next span that might. */
vml_va     pt_next_mapped(const struct vml_proc *p, vml_va va, vml_va end);

/* The user PTE at pte_pa: its owner's pid and the page it translates;
** -1 when pte_pa is not the leaf entry of a process's user tables. */
int        pt_locate(const vml_machine *m, vml_pa pte_pa, unsigned *pid, vml_va *va);
/* The pid whose tables hold the entry at pte_pa (0: kernel or none). */
unsigned   pt_owner(const vml_machine *m, vml_pa pte_pa);

#endif
