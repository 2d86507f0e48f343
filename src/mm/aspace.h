/*
** aspace.h -- address spaces: each process's top-level table, the kernel
** half shared by all of them, context switches, PCIDs and TLB
** invalidation (shootdowns).
*/
#ifndef VML_MM_ASPACE_H
#define VML_MM_ASPACE_H

#include <stddef.h>
#include <stdint.h>
#include "vmlab.h"

struct vml_proc;

vml_status as_kernel_init(vml_machine *m);
/* The top-level table of a new process (its kernel slots copied from the
** template); VML_E_NO_FRAMES when there is no frame. */
vml_status as_create(struct vml_proc *p);
/* Frees the top table (every user table below it is gone already) and
** the process's PCID; CPUs that ran it load no CR3. */
void       as_destroy(struct vml_proc *p);
/* invlpg of va on every CPU that may cache p's translations. */
void       as_invalidate(struct vml_proc *p, vml_va va);
/* Load p's CR3 on cpu (a context switch); with PCIDs, p gets a PCID
** first if it holds none. */
void       as_switch(vml_machine *m, unsigned cpu, struct vml_proc *p);
/* PCIDs (machine pcid=on): a free one for a new process (0 when all 4095
** are held: it gets one when first switched in), and back when it dies. */
unsigned   as_pcid_take_free(vml_machine *m);
void       as_pcid_release(vml_machine *m, struct vml_proc *p);
int        as_pcid_check(vml_machine *m, char *msg, size_t size);

/* Checks AS1-AS3 over p's tables, calling leaf(ctx, ...) for every
** non-zero user leaf PTE (the page checks of rmap.c).  0, or -1 with msg. */
typedef int (*as_leaf_fn)(void *ctx, struct vml_proc *p, vml_va va, vml_pa pte_pa, uint64_t pte);
int        as_check_proc(vml_machine *m, struct vml_proc *p, as_leaf_fn leaf, void *ctx,
                         char *msg, size_t size);
/* AS2's system total. */
int        as_check(vml_machine *m, char *msg, size_t size);

#endif
