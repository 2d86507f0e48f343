/*
** stack.h -- stacks that grow on faults: a Win32 thread stack's guard page
** that moves down (MiCheckForUserStackOverflow), a posix VM_GROWSDOWN VMA
** that extends down (expand_downwards).  See stack.c.
*/
#ifndef VML_MM_STACK_H
#define VML_MM_STACK_H

#include "vmlab.h"
#include "hw/mmu.h"
#include "fault.h"

struct vml_proc;
struct vad;

/* Linux's stack_guard_gap (mm/mmap.c): 256 pages, 1 MiB on x86. */
#define STACK_GUARD_GAP_PAGES 256u
/* RLIMIT_STACK's default soft limit (_STK_LIM, 8 MiB). */
#define STACK_RLIMIT_DEFAULT  (UINT64_C(8) << 20)

/* Does VAD v grow down on a fault below it (a posix VM_GROWSDOWN VMA)? */
int  stack_grows_down(const struct vad *v);
/* After fault_resolve() returned FAULT_GROW_DOWN or FAULT_STACK_GUARD for
** the fault f of p: grows the stack as the system would.  0: the access
** may be retried (no exception); -1: the exception is raised in *ex (may
** be NULL) -- SIGSEGV for a posix stack that may not grow, or
** STATUS_STACK_OVERFLOW when a thread's reserve is used up. */
int  stack_grow(struct vml_proc *p, const struct mmu_fault *f, enum fault_outcome why,
                vml_exception *ex);
/* STK1..STK2 over every process; 0 or -1 with a message. */
int  stack_check(vml_machine *m, char *msg, size_t size);

#endif
