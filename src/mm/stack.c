/*
** stack.c -- stacks that grow on faults, as each system grows them.
**
** Windows: a thread stack is a reservation whose top pages are committed
** with a PAGE_GUARD page below them (BaseCreateStack).  A touch of the
** guard page is a guard-page fault; MmAccessFault's caller runs
** MiCheckForUserStackOverflow, which moves the guard one page down and
** raises nothing, so the program never sees it.  Its rule (ReactOS
** ntoskrnl/mm/ARM3/pagfault.c, MiCheckForUserStackOverflow, with
** GuaranteedStackBytes 0, i.e. a guarantee of one page):
**     next = PAGE_ALIGN(address) - PAGE
**     if next - PAGE <= DeallocationStack:       the reserve is used up:
**         commit DeallocationStack + PAGE read-write (no guard),
**         StackLimit = that page, raise STATUS_STACK_OVERFLOW
**     else:
**         StackLimit = next + PAGE, commit next as PAGE_READWRITE|PAGE_GUARD
** so the lowest page of the reservation is never committed: a touch of it
** is an access violation.  The TEB's NtTib.StackLimit is written through
** the MMU like any store of the kernel into user memory (the VAD names the
** cell: vad.stack_cell).  vmlab's accesses name a process, not a thread,
** so a guard hit in any thread stack of the process grows that stack (on
** Windows only the owning thread's touch does).
**
** Linux: a VM_GROWSDOWN VMA (the main [stack], or mmap(MAP_GROWSDOWN))
** grows down to a faulting address below it, in one step, when
** expand_downwards() (mm/mmap.c, Linux 6.x) allows it:
**     address >= mmap_min_addr                         (else EPERM)
**     the VMA below is not within stack_guard_gap (256 pages) unless it
**         grows down too or is PROT_NONE               (else ENOMEM)
**     the new size vm_end - address <= RLIMIT_STACK    (acct_stack_growth)
** and otherwise the access gets SIGSEGV (SEGV_MAPERR: no VMA holds it).
**
** INVARIANTS (checked by stack_check()):
**   STK1  A guard-page stack VAD (VAD_STACK_GUARD) is private memory made
**         by VirtualAlloc (a Win32 reservation), and its cell is 0 or a
**         pointer of 4 or 8 bytes.
**   STK2  A process's stack_growths only grows, and counts no more
**         growths than the system's (the system counts every process).
**
** TRANSITIONS:
**   guard page touched -> page committed plain, the next one guarded
**                                          guard_hit()   (or STACK_OVERFLOW)
**   fault below a growsdown VMA -> the VMA starts at the faulting page
**                                          grow_down()
*/
#include <stdio.h>
#include "machine.h"

#define PAGE UINT64_C(0x1000)

int stack_grows_down(const struct vad *v)
{
    return v->origin == VML_ORIGIN_POSIX && (v->map_flags & VML_MAP_GROWSDOWN) != 0;
}

static void count_growth(vml_proc *p, const struct vad *v)
{
    p->st.stack_growths++;
    p->m->st.stack_growths++;
    vm_vad_event(p, v, "stack grow");
}

/* ---- Windows: the guard page moves down ------------------------------------------- */

/* StackLimit = limit, written into the TEB (v->stack_cell) through the
** MMU.  A cell that cannot be written (the TEB released, no frame) is
** left as it was: the growth itself stands. */
static void write_limit(vml_proc *p, const struct vad *v, vml_va limit)
{
    uint8_t b[8];
    vml_exception ex;
    if (v->stack_cell == 0 || (v->stack_cell_size != 4 && v->stack_cell_size != 8))
        return;
    for (unsigned i = 0; i < v->stack_cell_size; i++)
        b[i] = (uint8_t)(limit >> (8 * i));
    (void)vm_copy(p, p, v->stack_cell, b, v->stack_cell_size, VML_ACCESS_WRITE, 0, &ex);
}

/* Commits one page of v with mmprot; 0 or -1 (no commit, no table frame). */
static int commit_page(vml_proc *p, struct vad *v, vml_va va, unsigned mmprot)
{
    return vm_commit(p, v, va, 1, mmprot) == VML_OK ? 0 : -1;
}

static int guard_hit(vml_proc *p, const struct mmu_fault *f, vml_exception *ex)
{
    struct vad *v = vad_find(&p->vads, f->va >> 12);
    if (v == NULL || v->stack != VAD_STACK_GUARD) {
        fault_exception(p, f->va, f->access, VML_AV_GUARD, ex);
        return -1;
    }
    vml_va bottom = v->start_vpn << 12;             /* DeallocationStack */
    vml_va page = f->va & ~(PAGE - 1);
    unsigned rw = MM_READWRITE;
    if (page <= bottom + 2 * PAGE) {
        /* next - PAGE <= DeallocationStack: the last page the rule lets a
        ** thread have becomes plain read-write, and the thread is told. */
        vml_va last = bottom + PAGE;
        unsigned cur;
        if (last <= (v->end_vpn << 12) && !vm_page_protection(p, v, last, &cur))
            (void)commit_page(p, v, last, rw);
        write_limit(p, v, last);
        fault_exception(p, f->va, f->access, VML_AV_STACK_OVERFLOW, ex);
        return -1;
    }
    vml_va next = page - PAGE;
    if (commit_page(p, v, next, rw | MM_GUARD_PAGE) != 0) {
        /* no commit for the new guard: the thread cannot grow further */
        fault_exception(p, f->va, f->access, VML_AV_STACK_OVERFLOW, ex);
        return -1;
    }
    write_limit(p, v, page);
    count_growth(p, v);
    return 0;
}

/* ---- Linux: the VMA extends down -------------------------------------------------- */

/* vma_is_accessible(): any of read, write, exec. */
static int accessible(const struct vad *v)
{
    if (v->origin == VML_ORIGIN_POSIX)
        return v->prot != VML_PROT_NONE;
    int mmprot = mmprot_from_win32(v->protect);
    return mmprot >= 0 && !mmprot_noaccess((unsigned)mmprot);
}

static int grow_down(vml_proc *p, const struct mmu_fault *f, vml_exception *ex)
{
    vml_machine *m = p->m;
    uint64_t vpn = f->va >> 12;
    struct vad *v = vad_lookup_ge(&p->vads, vpn);
    struct vad *prev = v ? vad_prev(v) : NULL;
    uint64_t rlimit = p->os.stack_rlimit ? p->os.stack_rlimit : STACK_RLIMIT_DEFAULT;
    if (v == NULL || !stack_grows_down(v) || v->start_vpn <= vpn ||
        f->va < m->layout.user_lowest ||                    /* mmap_min_addr: EPERM */
        (prev && !stack_grows_down(prev) && accessible(prev) &&
         vpn - (prev->end_vpn + 1) < STACK_GUARD_GAP_PAGES) ||  /* the guard gap */
        ((v->end_vpn + 1 - vpn) << 12) > rlimit ||           /* RLIMIT_STACK */
        v->start_vpn - vpn > m->commit_limit) {              /* __vm_enough_memory */
        fault_exception(p, f->va, f->access, VML_AV_NOT_RESERVED, ex);
        return -1;
    }
    uint64_t grow = v->start_vpn - vpn;
    /* No node lies in [vpn, start): moving the start keeps the tree's order. */
    v->start_vpn = vpn;
    v->alloc_base_vpn = vpn;
    vm_stat_virtual(p, (int64_t)grow);
    if (v->mem_commit)
        vm_stat_commit(p, v, (int64_t)grow);
    count_growth(p, v);
    return 0;
}

int stack_grow(vml_proc *p, const struct mmu_fault *f, enum fault_outcome why, vml_exception *ex)
{
    return why == FAULT_STACK_GUARD ? guard_hit(p, f, ex) : grow_down(p, f, ex);
}

/* ---- check ------------------------------------------------------------------------------ */

int stack_check(vml_machine *m, char *msg, size_t size)
{
    uint64_t sum = 0;
    for (size_t i = 0; i < m->n_procs; i++) {
        vml_proc *p = m->procs[i];
        sum += p->st.stack_growths;
        for (struct vad *v = vad_first(&p->vads); v; v = vad_next(v)) {
            if (v->stack != VAD_STACK_GUARD)
                continue;
            if (v->origin != VML_ORIGIN_WIN32 || v->seg != NULL ||
                (v->stack_cell_size != 0 && v->stack_cell_size != 4 && v->stack_cell_size != 8)) {
                snprintf(msg, size, "STK1: pid %u stack VAD %#llx-%#llx is not a Win32 "
                         "reservation with a 4- or 8-byte cell", p->pid,
                         (unsigned long long)v->start_vpn, (unsigned long long)v->end_vpn);
                return -1;
            }
        }
    }
    if (sum > m->st.stack_growths) {
        snprintf(msg, size, "STK2: processes count %llu stack growths, the system %llu",
                 (unsigned long long)sum, (unsigned long long)m->st.stack_growths);
        return -1;
    }
    return 0;
}
