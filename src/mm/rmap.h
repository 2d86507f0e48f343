/*
** rmap.h -- the reverse map: every valid PTE that maps a frame, found
** through the frame's one owner (a private page), through the views of
** its segment (a section page) or through its references (a clone page);
** and the checks of every page's state across PTEs, prototype PTEs,
** frames, working sets and the pagefile.
*/
#ifndef VML_MM_RMAP_H
#define VML_MM_RMAP_H

#include <stddef.h>
#include <stdint.h>
#include "vmlab.h"

struct vml_proc;

struct rmap_hit {
    struct vml_proc *p;
    vml_va           va;
    vml_pa           pte_pa;
};

/* The valid PTEs that map pfn, up to max into out; returns how many there
** are.  The shared zero page is not reverse-mapped (as in Linux). */
size_t rmap_collect(vml_machine *m, vml_pfn pfn, struct rmap_hit *out, size_t max);
/* Every PTE that maps pfn ORed together (e.g. & PG_D: is a mapping dirty?). */
uint64_t rmap_pte_or(const vml_machine *m, vml_pfn pfn);
/* The same into a heap array (*out, free() it); -1 when the host refuses. */
long   rmap_collect_all(vml_machine *m, vml_pfn pfn, struct rmap_hit **out);
/* Every page check (RMAP1..RMAP6, WS3, PF1); 0, or -1 with msg. */
int    rmap_check(vml_machine *m, char *msg, size_t size);

#endif
