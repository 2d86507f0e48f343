/*
** fault.h -- the page-fault handler: what a fault the MMU reported means,
** decided from the PTE, the VAD and the prototype PTE.
*/
#ifndef VML_MM_FAULT_H
#define VML_MM_FAULT_H

#include "vmlab.h"
#include "hw/mmu.h"

struct vml_proc;

/* FAULT_GROW_DOWN: no VAD holds the address, and the one above it grows
** down (a posix VM_GROWSDOWN VMA); FAULT_STACK_GUARD: the guard page of a
** Win32 thread stack was touched (its guard is cleared).  Both are for
** stack.c to decide (stack_grow). */
enum fault_outcome { FAULT_RETRY, FAULT_EXCEPTION, FAULT_GROW_DOWN, FAULT_STACK_GUARD };

/* On entry: f comes from the MMU for a user-mode access of p (on the CPU
** p last ran on).  On exit: FAULT_RETRY means the access can be retried
** (FLT1); FAULT_EXCEPTION filled *ex (may be NULL); FAULT_GROW_DOWN and
** FAULT_STACK_GUARD changed nothing but the guard (FLT5). */
enum fault_outcome fault_resolve(struct vml_proc *p, const struct mmu_fault *f, vml_exception *ex);
/* Raises the exception of reason r, counting it. */
void fault_exception(struct vml_proc *p, vml_va va, unsigned access, vml_av_reason r,
                     vml_exception *ex);

#endif
