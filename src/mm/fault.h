/*
** fault.h -- the page-fault handler: what a fault the MMU reported means,
** decided from the PTE, the VAD and the prototype PTE.
*/
#ifndef VML_MM_FAULT_H
#define VML_MM_FAULT_H

#include "vmlab.h"
#include "hw/mmu.h"

struct vml_proc;

enum fault_outcome { FAULT_RETRY, FAULT_EXCEPTION };

/* On entry: f comes from the MMU for a user-mode access of p (on the CPU
** p last ran on).  On exit: FAULT_RETRY means the access can be retried
** (FLT1); FAULT_EXCEPTION filled *ex (may be NULL). */
enum fault_outcome fault_resolve(struct vml_proc *p, const struct mmu_fault *f, vml_exception *ex);
/* Raises the exception of reason r, counting it. */
void fault_exception(struct vml_proc *p, vml_va va, unsigned access, vml_av_reason r,
                     vml_exception *ex);

#endif
