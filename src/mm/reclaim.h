/*
** reclaim.h -- where frames come from and how memory is made available:
** taking a frame (repurposing a standby page, whose old owner is told),
** the working-set manager (aging, trimming), a global replacement policy's
** evictions, the modified page writer and the background work.
*/
#ifndef VML_MM_RECLAIM_H
#define VML_MM_RECLAIM_H

#include <stdint.h>
#include "vmlab.h"

struct vml_proc;

/* A frame for a use: pfn_pick()'s choice, a standby page repurposed first
** (its PTE or prototype PTE gets the frame's original PTE back).  When
** none is available, memory is reclaimed once.  *from (may be NULL) names
** the list it came from.  VML_PFN_NONE when there is none even then. */
vml_pfn    frame_take(vml_machine *m, unsigned how, unsigned pid, vml_list *from);
/* A zeroed frame for a page table or a kernel page, without reclaiming
** (callers made sure frames are available): the machine's table source. */
vml_pfn    frame_take_table(vml_machine *m, unsigned pid);
/* Makes frames available the way the machine's policy says: trims working
** sets to the high threshold (and writes modified pages), or evicts the
** global policy's victims until want frames are available. */
void       mm_reclaim(vml_machine *m, uint64_t want);
/* Before a fault adds a page to p: trims p to below its maximum. */
void       ws_make_room(struct vml_proc *p);
/* Trims n pages of p, the oldest first; returns how many it trimmed. */
uint64_t   ws_trim(struct vml_proc *p, uint64_t n);
/* Runs the background work now (a threshold or the interval says so). */
void       mm_background(vml_machine *m);

/* The modified page writer (mpw.c): writes modified pages -- private and
** pagefile-backed ones to the pagefile in clusters, file pages to their
** file -- and moves them to standby; all of them when max is 0.  Returns
** how many it wrote. */
uint64_t   mpw_run(vml_machine *m, uint64_t max);
/* Writes one modified page of a file segment to its file now (a flush):
** an active page stays active, clean; a modified one goes to standby.
** 0 or an errno (the page stays modified: nothing is lost). */
int        mpw_write_file_page(vml_machine *m, vml_pfn pfn);

vml_status reclaim_init(vml_machine *m);

#endif
