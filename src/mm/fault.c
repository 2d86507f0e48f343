/*
** fault.c -- the page-fault handler: what a fault reported by the MMU
** means, decided from the PTE and the VAD.
**
** INVARIANTS (the contract with access.c; the state it leaves behind is
** checked by pfn_check() and as_check()):
**   F1  FAULT_RETRY means the PTE for f->va is valid and permits the
**       access: the retried translation cannot fault again.
**   F2  FAULT_EXCEPTION changes nothing but the counters, except for a
**       guard page, whose guard is cleared (Windows' one-shot alarm).
**   F3  Every resolved fault is counted once per process and for the
**       system, by kind.
**
**   F4  A fault that fails for want of a frame, of host memory or of a
**       pagefile read leaves its PTE as it was and holds no frame (the
**       access can be retried), and raises STATUS_NO_MEMORY / IN_PAGE_ERROR.
**       (Memory reclaimed on the way -- trims, repurposed standby pages --
**       stays reclaimed: no data is lost by it.)
**
** TRANSITIONS:
**   zero/demand-zero PTE -> valid   fault_zero()   (frame zeroed|free|standby -> active)
**   transition PTE       -> valid   fault_soft()   (frame standby|modified -> active)
**   pagefile PTE         -> valid   fault_hard()   (frame free|zeroed|standby -> active,
**                                                   read from the slot, which the frame
**                                                   keeps as its clean copy)
**   guard protection     -> plain   fault_guard()  (raises GUARD_PAGE_VIOLATION)
*/
#include "mm.h"

static const char *fault_kind_zero = "demand-zero";
static const char *fault_kind_soft = "transition";
static const char *fault_kind_hard = "pagefile";

static void fault_event(vml_proc *p, vml_va va, vml_pfn pfn, vml_list from, const char *what)
{
    vml_event ev = { .type = VML_EV_FAULT, .pid = p->pid, .cpu = p->last_cpu, .va = va,
                     .pfn = pfn, .from = from, .to = VML_LIST_ACTIVE, .what = what };
    mm_emit(p->m, &ev);
}

void fault_exception(vml_proc *p, vml_va va, unsigned access, vml_av_reason r, vml_exception *ex)
{
    vml_machine *m = p->m;
    vml_exception e = { 0 };
    e.ntstatus = VML_STATUS_ACCESS_VIOLATION;
    e.signo = VML_SIGSEGV;
    e.access = access;
    e.reason = r;
    e.va = va;
    /* EXCEPTION_RECORD.ExceptionInformation[0]: 0 read, 1 write, 8 DEP. */
    e.info[0] = access == VML_ACCESS_WRITE ? 1 : access == VML_ACCESS_EXEC ? 8 : 0;
    e.info[1] = va;
    switch (r) {
    case VML_AV_NOT_RESERVED:
    case VML_AV_KERNEL:
        /* Linux: no VMA, or a kernel address from user mode (bad_area_nosemaphore). */
        e.si_code = VML_SEGV_MAPERR;
        break;
    case VML_AV_NONCANONICAL:
        /* A #GP, not a #PF: Windows reports the address as all ones; Linux
        ** sends SIGSEGV with si_code SI_KERNEL (0x80) and no address. */
        e.si_code = VML_SI_KERNEL;
        e.info[1] = UINT64_MAX;
        break;
    case VML_AV_GUARD:
        e.ntstatus = VML_STATUS_GUARD_PAGE_VIOLATION;
        e.signo = 0;          /* Linux has no guard pages */
        e.si_code = 0;
        break;
    case VML_AV_NO_MEMORY:
        /* Windows fails the fault with STATUS_NO_MEMORY; Linux's VM_FAULT_OOM
        ** would kill, VM_FAULT_SIGBUS sends SIGBUS/BUS_ADRERR. */
        e.ntstatus = VML_STATUS_NO_MEMORY;
        e.signo = VML_SIGBUS;
        e.si_code = VML_BUS_ADRERR;
        break;
    case VML_AV_IN_PAGE_ERROR:
        /* Windows: STATUS_IN_PAGE_ERROR, with the NTSTATUS of the failed
        ** I/O in ExceptionInformation[2]; Linux: a swap-in I/O error is
        ** VM_FAULT_SIGBUS (SIGBUS, BUS_ADRERR). */
        e.ntstatus = VML_STATUS_IN_PAGE_ERROR;
        e.signo = VML_SIGBUS;
        e.si_code = VML_BUS_ADRERR;
        break;
    default:
        e.si_code = VML_SEGV_ACCERR;
        break;
    }
    if (r == VML_AV_GUARD) {
        p->st.guard_page_faults++;
        m->st.guard_page_faults++;
    } else if (r == VML_AV_NO_MEMORY || r == VML_AV_IN_PAGE_ERROR) {
        p->st.failed_faults++;       /* not an access violation: no memory, or no I/O */
        m->st.failed_faults++;
    } else {
        p->st.access_violations++;
        m->st.access_violations++;
    }
    if (mm_tracing(m)) {
        vml_event ev = { .type = VML_EV_EXCEPTION, .pid = p->pid, .cpu = p->last_cpu, .va = va,
                         .what = vml_av_reason_name(r) };
        mm_emit(m, &ev);
    }
    if (ex)
        *ex = e;
}

/* Map an active frame at va with mmprot: the PFN entry points back at the
** PTE and keeps orig (what to restore when the frame is repurposed), the
** page joins the working set, the fault is counted.  A and D are left to
** the retried walk, which sets them as the CPU does. */
static void map_frame(vml_proc *p, vml_va va, vml_pa pte_pa, vml_pfn pfn, unsigned mmprot,
                      uint64_t orig, vml_list from, const char *kind)
{
    vml_machine *m = p->m;
    struct pfn_entry *e = &m->pfn[pfn];
    e->pte_pa = pte_pa;
    e->share_count = 1;
    e->ref_count = 1;
    e->orig_pte = sw_with_prot(orig, mmprot);
    e->priority = (uint8_t)p->mem_priority;
    if (mm_tracing(m))
        fault_event(p, va, pfn, from, kind);
    as_pte_write(p, va, pte_pa, as_make_valid(m, pfn, mmprot, 0));
    ws_insert(p, va, pfn);
    p->st.page_faults++;
    m->st.page_faults++;
}

/* Before a fault changes anything: the working set may grow (a host
** allocation, refused first) and must stay below its maximum.  On failure
** it raises STATUS_NO_MEMORY (F4). */
static int fault_prepare(vml_proc *p, vml_va va, unsigned access, vml_exception *ex)
{
    if (ws_reserve(p) != VML_OK) {
        fault_exception(p, va, access, VML_AV_NO_MEMORY, ex);
        return -1;
    }
    ws_make_room(p);
    return 0;
}

/* A frame for the fault at va and the PTE slot it goes in: *pte_pa is the
** slot the walk found, or 0 when page tables are missing (they are made
** here).  Memory is reclaimed first when the frames left could not cover
** the tables and the page.  On failure: STATUS_NO_MEMORY raised,
** VML_PFN_NONE, nothing taken (F4). */
static vml_pfn fault_frame(vml_proc *p, vml_va va, unsigned access, unsigned how,
                           vml_pa *pte_pa, vml_list *from, vml_exception *ex)
{
    vml_machine *m = p->m;
    if (fault_prepare(p, va, access, ex) != 0)
        return VML_PFN_NONE;
    /* (trimming and reclaiming write only non-zero PTEs: no table goes) */
    uint64_t want = *pte_pa ? 1 : m->pm->levels;
    if (pfn_available(m) < want)
        mm_reclaim(m, want);
    vml_pfn pfn = mm_take_frame(m, how, p->pid, from);
    if (pfn != VML_PFN_NONE && *pte_pa == 0 && as_pte_slot(p, va, 1, pte_pa) != VML_OK) {
        pfn_free(m, pfn, p->pid);
        pfn = VML_PFN_NONE;
    }
    if (pfn == VML_PFN_NONE)
        fault_exception(p, va, access, VML_AV_NO_MEMORY, ex);
    return pfn;
}

/* A committed page never touched: a zero-filled frame, zeroed list first. */
static enum fault_outcome fault_zero(vml_proc *p, vml_va va, vml_pa pte_pa, unsigned mmprot,
                                     unsigned access, vml_exception *ex)
{
    vml_machine *m = p->m;
    vml_list from;
    vml_pfn pfn = fault_frame(p, va, access, PFN_NEED_ZERO, &pte_pa, &from, ex);
    if (pfn == VML_PFN_NONE)
        return FAULT_EXCEPTION;
    map_frame(p, va, pte_pa, pfn, mmprot, 0, from, fault_kind_zero);
    p->st.demand_zero_faults++;
    m->st.demand_zero_faults++;
    return FAULT_RETRY;
}

/* The page is still in memory on the standby or modified list: a soft
** fault, no I/O. */
static enum fault_outcome fault_soft(vml_proc *p, vml_va va, vml_pa pte_pa, unsigned mmprot,
                                     unsigned access, vml_exception *ex)
{
    vml_machine *m = p->m;
    if (fault_prepare(p, va, access, ex) != 0)
        return FAULT_EXCEPTION;
    /* (trimming to make room touches valid pages only: the PTE still names
    ** the frame) */
    vml_pfn pfn = pg_frame(m->pm, pte_read(m, pte_pa)) >> 12;
    vml_list from = (vml_list)m->pfn[pfn].list;
    pfn_reclaim(m, pfn, p->pid);
    map_frame(p, va, pte_pa, pfn, mmprot, m->pfn[pfn].orig_pte, from, fault_kind_soft);
    p->st.transition_faults++;
    m->st.transition_faults++;
    return FAULT_RETRY;
}

/* The page is in the pagefile: a hard fault reads it back.  The frame
** keeps the slot as its clean copy, so trimming it again costs no write. */
static enum fault_outcome fault_hard(vml_proc *p, vml_va va, vml_pa pte_pa, unsigned mmprot,
                                     unsigned access, vml_exception *ex)
{
    vml_machine *m = p->m;
    vml_list from;
    vml_pfn pfn = fault_frame(p, va, access, PFN_PAGE_IN, &pte_pa, &from, ex);
    if (pfn == VML_PFN_NONE)
        return FAULT_EXCEPTION;
    uint64_t pte = pte_read(m, pte_pa);
    uint64_t slot = sw_slot(m->pm, pte);
    if (pf_read(m, slot, pfn) != 0) {
        pfn_free(m, pfn, p->pid);
        fault_exception(p, va, access, VML_AV_IN_PAGE_ERROR, ex);
        return FAULT_EXCEPTION;
    }
    p->st.swap_pages--;
    map_frame(p, va, pte_pa, pfn, mmprot, pte, from, fault_kind_hard);
    p->st.hard_faults++;
    m->st.hard_faults++;
    return FAULT_RETRY;
}

/* First touch of a guard page: raise STATUS_GUARD_PAGE_VIOLATION and drop
** the guard, so the next touch proceeds (MSDN, "Creating Guard Pages"). */
static enum fault_outcome fault_guard(vml_proc *p, vml_va va, unsigned access, vml_pa pte_pa,
                                      uint64_t pte, unsigned mmprot, vml_exception *ex)
{
    unsigned plain = mmprot & ~MM_GUARD_PAGE;
    if (pte != 0)       /* transition, pagefile or demand-zero: keep the rest */
        as_pte_write(p, va, pte_pa, sw_with_prot(pte, plain));
    else if (pte_pa != 0 || as_pte_slot(p, va, 1, &pte_pa) == VML_OK)
        as_pte_write(p, va, pte_pa, sw_demand_zero(plain));
    /* (without a frame for the table the guard stays: the alarm repeats) */
    fault_exception(p, va, access, VML_AV_GUARD, ex);
    return FAULT_EXCEPTION;
}

/* The walk found a valid PTE that does not permit the access. */
static enum fault_outcome fault_protection(vml_proc *p, const struct mmu_fault *f,
                                           vml_exception *ex)
{
    vml_av_reason r;
    if (!(f->entry & PG_US))
        r = VML_AV_NOACCESS;    /* a user page made supervisor-only (setpte) */
    else if (f->access == VML_ACCESS_WRITE)
        r = VML_AV_READONLY;    /* copy-on-write breaks come with sections */
    else if (f->access == VML_ACCESS_EXEC)
        r = VML_AV_NX;
    else
        r = VML_AV_NOACCESS;
    fault_exception(p, f->va, f->access, r, ex);
    return FAULT_EXCEPTION;
}

/* On entry: f comes from the MMU for a user-mode access of p (on the CPU
** p last ran on).
** On exit:  FAULT_RETRY means the PTE is valid and permits the access (F1). */
enum fault_outcome fault_resolve(vml_proc *p, const struct mmu_fault *f, vml_exception *ex)
{
    vml_machine *m = p->m;
    vml_va va = f->va;
    unsigned mmprot;

    if (va > m->layout.user_highest) {
        fault_exception(p, va, f->access,
                        va >= m->layout.kernel_base ? VML_AV_KERNEL : VML_AV_NOT_RESERVED, ex);
        return FAULT_EXCEPTION;
    }
    if (f->error_code & PF_P)
        return fault_protection(p, f, ex);

    const struct vad *v = vad_find(&p->vads, va >> 12);
    if (v == NULL) {
        fault_exception(p, va, f->access, VML_AV_NOT_RESERVED, ex);
        return FAULT_EXCEPTION;
    }
    vml_pa pte_pa = f->level == 1 ? f->entry_pa : 0;
    uint64_t pte = f->level == 1 ? f->entry : 0;
    if (!vm_page_state(p, v, va, pte, &mmprot)) {
        fault_exception(p, va, f->access, VML_AV_NOT_COMMITTED, ex);
        return FAULT_EXCEPTION;
    }
    if (mmprot_guard(mmprot))
        return fault_guard(p, va, f->access, pte_pa, pte, mmprot, ex);
    if (mmprot_noaccess(mmprot)) {
        fault_exception(p, va, f->access, VML_AV_NOACCESS, ex);
        return FAULT_EXCEPTION;
    }
    if (f->access == VML_ACCESS_WRITE && !mmprot_writable(mmprot)) {
        fault_exception(p, va, f->access, VML_AV_READONLY, ex);
        return FAULT_EXCEPTION;
    }
    if (f->access == VML_ACCESS_EXEC && m->pm->has_nx && !mmprot_executable(mmprot)) {
        fault_exception(p, va, f->access, VML_AV_NX, ex);
        return FAULT_EXCEPTION;
    }
    switch (pte_kind(m->pm, pte)) {
    case VML_PTE_ZERO:
    case VML_PTE_DEMAND_ZERO:
        return fault_zero(p, va, pte_pa, mmprot, f->access, ex);
    case VML_PTE_TRANSITION:
        return fault_soft(p, va, pte_pa, mmprot, f->access, ex);
    case VML_PTE_PAGEFILE:
        return fault_hard(p, va, pte_pa, mmprot, f->access, ex);
    case VML_PTE_PROTOTYPE:    /* sections come with their own issue */
    case VML_PTE_VALID:
    case VML_PTE_DECOMMITTED:
    case VML_N_PTE_KINDS:
        break;
    }
    mm_corrupt(m, "F1: fault at %#llx on PTE %#llx has no resolution",
               (unsigned long long)va, (unsigned long long)pte);
    fault_exception(p, va, f->access, VML_AV_NO_MEMORY, ex);
    return FAULT_EXCEPTION;
}
