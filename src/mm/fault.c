/*
** fault.c -- the page-fault handler: what a fault reported by the MMU
** means, decided from the PTE, the VAD and the prototype PTE.
**
** INVARIANTS (the contract with access.c; the state it leaves behind is
** checked by rmap.c and pfn.c):
**   FLT1  FAULT_RETRY means the access can be retried: the PTE is valid
**         and permits it, or memory reclaimed on the way took the page
**         again (the retry faults afresh; see ACC2).
**   FLT2  FAULT_EXCEPTION changes nothing but the counters, except for a
**         guard page, whose guard is cleared (Windows' one-shot alarm).
**   FLT3  Every resolved fault is counted once per process and for the
**         system, by kind.
**   FLT4  A fault that fails for want of a frame, of host memory or of a
**         read leaves its PTE as it was and holds no frame (the access can
**         be retried), and raises STATUS_NO_MEMORY / IN_PAGE_ERROR.
**         (Memory reclaimed on the way -- trims, repurposed standby pages --
**         stays reclaimed: no data is lost by it.)
**   FLT5  FAULT_GROW_DOWN (a fault below a VM_GROWSDOWN VMA, in no VAD)
**         changes nothing; FAULT_STACK_GUARD (the guard page of a Win32
**         thread stack) only clears the guard, as for any guard page: the
**         growth is stack.c's (MiCheckForUserStackOverflow runs after the
**         guard fault, in MmAccessFault's caller).
**
** TRANSITIONS:
**   zero/demand-zero PTE -> valid     fault_zero()     (frame zeroed|free|standby
**                                                       -> active; posix reads
**                                                       map the zero page)
**   transition PTE       -> valid     fault_soft()     (frame standby|modified -> active)
**   pagefile PTE         -> valid     fault_hard()     (read from the slot, which
**                                                       the frame keeps as its clean copy)
**   zero PTE of a view, prototype PTE -> valid
**                                     fault_shared()   (the shared page brought in
**                                                       -- soft, from the pagefile,
**                                                       from the file, demand-zero --
**                                                       and mapped)
**   write to a copy-on-write page -> private copy (or the page itself, once
**                                     no one else has it)     fault_cow()
**   guard protection     -> plain     fault_guard()    (raises GUARD_PAGE_VIOLATION,
**                                                       or FAULT_STACK_GUARD in a
**                                                       thread stack)
*/
#include <string.h>
#include "machine.h"

static void fault_event(vml_proc *p, vml_va va, vml_pfn pfn, vml_list from, const char *what)
{
    if (!mm_tracing(p->m))
        return;
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
    case VML_AV_STACK_OVERFLOW:
        /* A Win32 thread stack's reserve is used up (the exception record
        ** carries no information: NumberParameters 0). */
        e.ntstatus = VML_STATUS_STACK_OVERFLOW;
        e.signo = 0;
        e.si_code = 0;
        e.info[0] = e.info[1] = 0;
        break;
    case VML_AV_NO_MEMORY:
        /* Windows fails the fault with STATUS_NO_MEMORY; Linux's VM_FAULT_OOM
        ** would kill, VM_FAULT_SIGBUS sends SIGBUS/BUS_ADRERR. */
        e.ntstatus = VML_STATUS_NO_MEMORY;
        e.signo = VML_SIGBUS;
        e.si_code = VML_BUS_ADRERR;
        break;
    case VML_AV_IN_PAGE_ERROR:
    case VML_AV_BEYOND_EOF:
        /* Windows: STATUS_IN_PAGE_ERROR, with the NTSTATUS of the failed
        ** I/O in ExceptionInformation[2]; Linux: a read error, or a file
        ** page past the end of the file, is VM_FAULT_SIGBUS (SIGBUS,
        ** BUS_ADRERR; mm/filemap.c, filemap_fault). */
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
    } else if (r == VML_AV_STACK_OVERFLOW) {
        p->st.stack_overflows++;
    } else if (r == VML_AV_NO_MEMORY || r == VML_AV_IN_PAGE_ERROR) {
        p->st.failed_faults++;       /* not an access violation: no memory, or no I/O */
        m->st.failed_faults++;
    } else if (r == VML_AV_BEYOND_EOF) {
        p->st.bus_errors++;
        m->st.bus_errors++;
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

/* ---- preparing ------------------------------------------------------------------------ */

/* A fault in progress. */
struct fault {
    vml_proc   *p;
    struct vad *v;
    vml_va      va;
    unsigned    access;
    vml_pa      pte_pa;    /* the leaf slot, 0 while tables are missing */
    uint64_t    pte;
    unsigned    mmprot;    /* the mapping's protection */
    uint64_t    want;      /* the policy key of the page a frame is taken for; 0: (pid, va) */
    vml_exception *ex;
};

static enum fault_outcome raise(struct fault *ft, vml_av_reason r)
{
    /* FLT4: tables made for a fault that fails do not stay behind empty
    ** (PT1), or nothing would ever free them. */
    if (ft->va <= ft->p->m->layout.user_highest)
        pt_prune(ft->p, ft->va);
    fault_exception(ft->p, ft->va, ft->access, r, ft->ex);
    return FAULT_EXCEPTION;
}

static void count_fault(vml_proc *p)
{
    p->st.page_faults++;
    p->m->st.page_faults++;
}

/* Before a fault changes anything: room in the working set (a host
** allocation, refused first), the working set below its maximum, and --
** when fewer than want frames are available -- memory reclaimed.  Memory
** reclaimed may have changed the page: its PTE is read again. */
static int fault_prepare(struct fault *ft, int make_room, uint64_t want)
{
    vml_machine *m = ft->p->m;
    if (ws_reserve(ft->p) != VML_OK) {
        raise(ft, VML_AV_NO_MEMORY);
        return -1;
    }
    uint64_t trimmed = m->st.trimmed + m->st.repurposed;
    if (make_room)
        ws_make_room(ft->p);
    if (want && pfn_available(m) < want)
        mm_reclaim(m, want);
    /* (trimming and repurposing write only non-zero PTEs: no table goes) */
    if (ft->pte_pa && m->st.trimmed + m->st.repurposed != trimmed)
        ft->pte = pte_read(m, ft->pte_pa);
    return 0;
}

/* A frame taken without reclaiming more (fault_prepare did): on failure
** STATUS_NO_MEMORY is raised and VML_PFN_NONE returned. */
static vml_pfn take(struct fault *ft, unsigned how, vml_list *from)
{
    /* A global policy choosing a victim learns which page it is for
    ** (policy.h Q1; page.c's keys). */
    vml_machine *m = ft->p->m;
    m->pol_want = ft->want ? ft->want : ((uint64_t)ft->p->pid << 48) | (ft->va >> 12);
    vml_pfn pfn = frame_take(m, how, ft->p->pid, from);
    m->pol_want = 0;
    if (pfn == VML_PFN_NONE)
        raise(ft, VML_AV_NO_MEMORY);
    return pfn;
}

/* The PTE slot, making missing tables (frames were made available). */
static int make_slot(struct fault *ft)
{
    if (ft->pte_pa == 0 && pt_slot_make(ft->p, ft->va, &ft->pte_pa) != VML_OK) {
        raise(ft, VML_AV_NO_MEMORY);
        return -1;
    }
    return 0;
}

/* Could VMA v take over its neighbour n's anon_vma?  Linux's
** anon_vma_compatible(): adjacent, the same backing, the same flags but
** for the access ones (read, write, exec). */
static int anon_compatible(const struct vad *v, const struct vad *n)
{
    return n != NULL && n->anon_id != 0 && n->origin == VML_ORIGIN_POSIX &&
           (n->end_vpn + 1 == v->start_vpn || v->end_vpn + 1 == n->start_vpn) &&
           n->seg == v->seg && n->cow == v->cow && n->map_flags == v->map_flags &&
           n->inherit == v->inherit && n->mem_commit == v->mem_commit;
}

/* page_map()'s flags for the page a fault maps: the global policy learns
** whether the access that brings it in writes. */
static unsigned map_how(const struct fault *ft, unsigned how)
{
    return how | (ft->access == VML_ACCESS_WRITE ? PAGE_MAP_WRITE : 0);
}

/* A posix VMA gets its anon_vma with its first private page (the merge
** rule of posix.c): its neighbour's when they are compatible, as
** find_mergeable_anon_vma() reuses it, else a new one. */
static void note_anon(struct fault *ft)
{
    struct vad *v = ft->v, *n;
    if (v->origin != VML_ORIGIN_POSIX || v->anon_id != 0)
        return;
    if (anon_compatible(v, n = vad_prev(v)) || anon_compatible(v, n = vad_next(v)))
        v->anon_id = n->anon_id;
    else
        v->anon_id = ++ft->p->m->last_anon_id;
}

/* ---- private pages ---------------------------------------------------------------------- */

/* A committed page never touched: a zero-filled frame, zeroed list first;
** a posix read maps the shared zero page instead (Linux's do_anonymous_page). */
static enum fault_outcome fault_zero(struct fault *ft)
{
    vml_proc *p = ft->p;
    vml_machine *m = p->m;
    vml_list from;
    int zero_page = ft->access != VML_ACCESS_WRITE && ft->v->origin == VML_ORIGIN_POSIX &&
                    ft->v->seg == NULL;
    int need_zero_page = zero_page && m->zero_pfn == VML_PFN_NONE;
    if (fault_prepare(ft, 1, ft->pte_pa ? (uint64_t)(!zero_page || need_zero_page)
                                        : m->pm->levels) != 0)
        return FAULT_EXCEPTION;
    if (zero_page) {
        if (need_zero_page) {           /* the first read that needs one makes it */
            vml_pfn zp = take(ft, PFN_NEED_ZERO, NULL);
            if (zp == VML_PFN_NONE)
                return FAULT_EXCEPTION;
            zero_page_make(m, zp);
        }
        if (make_slot(ft) != 0)
            return FAULT_EXCEPTION;
        fault_event(p, ft->va, m->zero_pfn, VML_LIST_ACTIVE, "zero-page");
        page_map_zero(p, ft->va, ft->pte_pa, ft->mmprot);
        count_fault(p);
        return FAULT_RETRY;
    }
    vml_pfn pfn = take(ft, PFN_NEED_ZERO, &from);
    if (pfn == VML_PFN_NONE)
        return FAULT_EXCEPTION;
    if (make_slot(ft) != 0) {
        pfn_free(m, pfn, p->pid);
        return FAULT_EXCEPTION;
    }
    fault_event(p, ft->va, pfn, from, "demand-zero");
    page_map(p, ft->va, ft->pte_pa, pfn, ft->mmprot, map_how(ft, 0));
    note_anon(ft);
    count_fault(p);
    p->st.demand_zero_faults++;
    m->st.demand_zero_faults++;
    return FAULT_RETRY;
}

/* The page is still in memory on the standby or modified list: a soft
** fault, no I/O. */
static enum fault_outcome fault_soft(struct fault *ft)
{
    vml_proc *p = ft->p;
    vml_machine *m = p->m;
    if (fault_prepare(ft, 1, 0) != 0)
        return FAULT_EXCEPTION;
    /* (trimming to make room touches valid pages only: the PTE still names
    ** the frame) */
    vml_pfn pfn = pg_frame(m->pm, ft->pte) >> 12;
    vml_list from = (vml_list)m->pfn[pfn].list;
    pfn_reclaim(m, pfn, p->pid);
    fault_event(p, ft->va, pfn, from, "transition");
    page_map(p, ft->va, ft->pte_pa, pfn, ft->mmprot, map_how(ft, 0));
    count_fault(p);
    p->st.transition_faults++;
    m->st.transition_faults++;
    return FAULT_RETRY;
}

/* The page is in the pagefile: a hard fault reads it back.  The frame
** keeps the slot as its clean copy, so trimming it again costs no write. */
static enum fault_outcome fault_hard(struct fault *ft)
{
    vml_proc *p = ft->p;
    vml_machine *m = p->m;
    vml_list from;
    if (fault_prepare(ft, 1, 1) != 0)
        return FAULT_EXCEPTION;
    if (pte_kind(m->pm, ft->pte) != VML_PTE_PAGEFILE)
        return FAULT_RETRY;            /* (cannot happen: pagefile PTEs stay) */
    vml_pfn pfn = take(ft, PFN_PAGE_IN, &from);
    if (pfn == VML_PFN_NONE)
        return FAULT_EXCEPTION;
    if (pf_read(m, sw_slot(m->pm, ft->pte), pfn) != 0) {
        pfn_free(m, pfn, p->pid);
        return raise(ft, VML_AV_IN_PAGE_ERROR);
    }
    p->st.swap_pages--;
    m->pfn[pfn].orig_pte = ft->pte;
    fault_event(p, ft->va, pfn, from, "pagefile");
    page_map(p, ft->va, ft->pte_pa, pfn, ft->mmprot, map_how(ft, 0));
    count_fault(p);
    p->st.hard_faults++;
    m->st.hard_faults++;
    return FAULT_RETRY;
}

/* ---- shared pages ------------------------------------------------------------------------ */

/* The frame of the shared page behind proto id, brought into memory if it
** is not (its prototype PTE then valid; the frame active, mapped by no
** one yet when it was not in use).  VML_PFN_NONE with the exception
** raised when it cannot be. */
static vml_pfn shared_page(struct fault *ft, uint64_t id, const char **kind)
{
    ft->want = (1ull << 63) | proto_va(ft->p->m, id);   /* page.c's key of a section page */
    vml_proc *p = ft->p;
    vml_machine *m = p->m;
    uint64_t *proto = proto_ptr(m, id), index = 0;
    struct segment *seg = proto_segment(m, id, &index);
    vml_pfn pfn;
    vml_list from = VML_LIST_ACTIVE;
    switch (proto_kind(*proto)) {
    case VML_PTE_VALID:
        *kind = "prototype";
        pfn = proto_pfn(*proto);
        p->st.transition_faults++;     /* a soft fault: the page is in memory */
        m->st.transition_faults++;
        fault_event(p, ft->va, pfn, from, *kind);
        return pfn;
    case VML_PTE_TRANSITION:
        *kind = "prototype transition";
        pfn = proto_pfn(*proto);
        from = (vml_list)m->pfn[pfn].list;
        pfn_reclaim(m, pfn, p->pid);
        p->st.transition_faults++;
        m->st.transition_faults++;
        break;
    case VML_PTE_PAGEFILE:
        *kind = "prototype pagefile";
        if ((pfn = take(ft, PFN_PAGE_IN, &from)) == VML_PFN_NONE)
            return pfn;
        if (pf_read(m, proto_slot(*proto), pfn) != 0) {
            pfn_free(m, pfn, p->pid);
            raise(ft, VML_AV_IN_PAGE_ERROR);
            return VML_PFN_NONE;
        }
        m->pfn[pfn].orig_pte = *proto;       /* its clean copy */
        p->st.hard_faults++;
        m->st.hard_faults++;
        if (seg)
            seg->n_frames++;
        break;
    case VML_PTE_ZERO:
        if (seg && seg->kind == SEG_IMAGE) {
            /* An image page: the loader's code reads it from the file
            ** and relocates it for the section's base. */
            *kind = "image";
            int differs = 0;
            if ((pfn = take(ft, PFN_PAGE_IN, &from)) == VML_PFN_NONE)
                return pfn;
            int err = mm_injected(m, VML_INJECT_FILE_READ);
            if (!err)
                err = seg->img_ops->read_page(seg->img_ctx, index,
                                              phys_frame(&m->phys, pfn), &differs);
            if (err) {
                m->st.file_read_errors++;
                pfn_free(m, pfn, p->pid);
                raise(ft, VML_AV_IN_PAGE_ERROR);
                return VML_PFN_NONE;
            }
            if (differs)           /* relocated: the pagefile keeps it from now on */
                m->pfn[pfn].flags |= VML_PFN_MODIFIED;
            seg->file->reads++;
            m->st.file_reads++;
            p->st.hard_faults++;
            m->st.hard_faults++;
            p->st.image_faults++;
            m->st.image_faults++;
        } else if (seg && seg->kind != SEG_PAGEFILE) {
            *kind = "file";
            if ((index << VML_PAGE_SHIFT) >= seg->file->size) {
                raise(ft, VML_AV_BEYOND_EOF);
                return VML_PFN_NONE;
            }
            if ((pfn = take(ft, PFN_PAGE_IN, &from)) == VML_PFN_NONE)
                return pfn;
            if (file_read_page(m, seg->file, index << VML_PAGE_SHIFT, pfn) != 0) {
                pfn_free(m, pfn, p->pid);
                raise(ft, VML_AV_IN_PAGE_ERROR);
                return VML_PFN_NONE;
            }
            p->st.hard_faults++;
            m->st.hard_faults++;
            p->st.file_faults++;
            m->st.file_faults++;
        } else {
            *kind = "prototype demand-zero";
            if ((pfn = take(ft, PFN_NEED_ZERO, &from)) == VML_PFN_NONE)
                return pfn;
            p->st.demand_zero_faults++;
            m->st.demand_zero_faults++;
        }
        m->pfn[pfn].orig_pte = 0;
        if (seg)
            seg->n_frames++;
        break;
    default:
        raise(ft, VML_AV_NOT_COMMITTED);
        return VML_PFN_NONE;
    }
    struct pfn_entry *e = &m->pfn[pfn];
    e->flags |= VML_PFN_PROTOTYPE;
    e->pte_pa = proto_va(m, id);
    e->priority = p->mem_priority & 7;
    *proto = proto_valid(pfn);
    fault_event(p, ft->va, pfn, from, *kind);
    return pfn;
}

/* A frame brought in for a fault that does not keep it mapped. */
static void shared_done(vml_machine *m, vml_pfn pfn, unsigned pid)
{
    if (m->pfn[pfn].share_count == 0)
        page_cache(m, pfn, pid);
}

/* Takes a private copy of frame src for a write to the page at va. */
static enum fault_outcome cow_copy(struct fault *ft, vml_pfn src)
{
    vml_proc *p = ft->p;
    vml_machine *m = p->m;
    vml_list from;
    vml_pfn pfn = take(ft, PFN_ANY, &from);
    if (pfn == VML_PFN_NONE)
        return FAULT_EXCEPTION;
    if (make_slot(ft) != 0) {
        pfn_free(m, pfn, p->pid);
        return FAULT_EXCEPTION;
    }
    if (!m->no_data)
        memcpy(phys_frame(&m->phys, pfn), phys_frame(&m->phys, src), VML_PAGE_SIZE);
    if (mm_tracing(m)) {
        vml_event ev = { .type = VML_EV_FAULT, .pid = p->pid, .cpu = p->last_cpu, .va = ft->va,
                         .pfn = pfn, .from = from, .to = VML_LIST_ACTIVE, .what = "cow copy" };
        mm_emit(m, &ev);
    }
    /* One PTE write replaces the old mapping with the copy (then the old
    ** frame's share goes, and the copy joins the working set).  The page's
    ** address: a clone page's references name pages, and the faulting
    ** address may lie inside one. */
    unsigned prot = mmprot_copied(ft->mmprot);
    page_discard(p, ft->va & ~(vml_va)0xFFF, ft->pte_pa, pte_make_valid(m->pm, pfn, prot, 0));
    if (m->pfn[src].list == VML_LIST_ACTIVE)
        shared_done(m, src, p->pid);
    page_map(p, ft->va, ft->pte_pa, pfn, prot, map_how(ft, PAGE_MAP_PTE_WRITTEN));
    note_anon(ft);
    p->st.cow_faults++;
    m->st.cow_faults++;
    return FAULT_RETRY;
}

/* The clone page id's only reference is (p, va): the page becomes p's
** own again, without a copy (Linux's do_wp_page reuse). */
static enum fault_outcome cow_reuse(struct fault *ft, uint64_t id, vml_pfn pfn)
{
    vml_proc *p = ft->p;
    vml_machine *m = p->m;
    struct pfn_entry *e = &m->pfn[pfn];
    uint64_t slot = frame_orig_slot(m, pfn);
    int mapped = e->share_count != 0;
    uint32_t ws_slot = mapped ? ws_find(p, ft->va, pfn) : WSL_NIL;
    clone_ref_del(m, id, p->pid, ft->va & ~(vml_va)0xFFF);   /* it names the page */
    *proto_ptr(m, id) = 0;
    clone_free(m, id);
    e->flags &= (uint8_t)~VML_PFN_PROTOTYPE;
    e->pte_pa = ft->pte_pa;
    e->orig_pte = slot != UINT64_MAX ? sw_pagefile(m->pm, slot, ft->mmprot) : 0;
    if (mapped) {
        uint64_t keep = ft->pte & (PG_A | PG_D);
        ws_to_frame(p, ws_slot);
        pt_write(p, ft->va, ft->pte_pa, pte_make_valid(m->pm, pfn, ft->mmprot, 0) | keep);
        as_invalidate(p, ft->va);
    } else {
        page_map(p, ft->va, ft->pte_pa, pfn, ft->mmprot, map_how(ft, 0));
    }
    fault_event(p, ft->va, pfn, VML_LIST_ACTIVE, "cow reuse");
    note_anon(ft);
    p->st.cow_faults++;
    m->st.cow_faults++;
    return FAULT_RETRY;
}

/* A fault on a shared page: through the view's prototype PTE (a zero
** PTE) or the PTE's own (a prototype PTE).  A write through a
** copy-on-write mapping, or to a clone page, takes a private copy. */
static enum fault_outcome fault_shared(struct fault *ft, uint64_t id)
{
    vml_proc *p = ft->p;
    vml_machine *m = p->m;
    int clone = proto_is_clone(m, id);
    int cow = ft->access == VML_ACCESS_WRITE && (clone || mmprot_writecopy(ft->mmprot));
    if (fault_prepare(ft, 1, (uint64_t)(1 + cow) + (ft->pte_pa ? 0 : m->pm->levels)) != 0)
        return FAULT_EXCEPTION;
    if (ft->pte_pa && pte_kind(m->pm, ft->pte) == VML_PTE_VALID)
        return FAULT_RETRY;            /* (cannot happen: trimming made it invalid) */
    if (!cow && make_slot(ft) != 0)
        return FAULT_EXCEPTION;
    const char *kind;
    vml_pfn pfn = shared_page(ft, id, &kind);
    ft->want = 0;                      /* a copy is (pid, va)'s */
    if (pfn == VML_PFN_NONE)
        return FAULT_EXCEPTION;
    count_fault(p);
    p->st.prototype_faults++;
    m->st.prototype_faults++;
    if (cow) {
        if (clone && clone_refs(m, id) == 1) {
            if (make_slot(ft) != 0) {
                shared_done(m, pfn, p->pid);
                return FAULT_EXCEPTION;
            }
            return cow_reuse(ft, id, pfn);
        }
        enum fault_outcome r = cow_copy(ft, pfn);
        if (r != FAULT_RETRY)
            shared_done(m, pfn, p->pid);
        return r;
    }
    page_map(p, ft->va, ft->pte_pa, pfn, ft->mmprot, map_how(ft, clone ? PAGE_MAP_COW : 0));
    return FAULT_RETRY;
}

/* ---- protection faults ------------------------------------------------------------------- */

/* First touch of a guard page: raise STATUS_GUARD_PAGE_VIOLATION and drop
** the guard, so the next touch proceeds (MSDN, "Creating Guard Pages"). */
static enum fault_outcome fault_guard(struct fault *ft)
{
    unsigned plain = ft->mmprot & ~MM_GUARD_PAGE;
    int cleared = 1;
    if (ft->pte != 0)       /* transition, pagefile, demand-zero, prototype: keep the rest */
        pt_write(ft->p, ft->va, ft->pte_pa, sw_with_prot(ft->pte, plain));
    else if (ft->pte_pa != 0 || pt_slot_make(ft->p, ft->va, &ft->pte_pa) == VML_OK)
        pt_write(ft->p, ft->va, ft->pte_pa, page_own_pte(ft->v, ft->va, plain));
    else
        cleared = 0;        /* no frame for the table: the guard stays, the alarm repeats */
    /* A thread stack's guard: the program sees no exception; the stack
    ** grows (stack.c, MiCheckForUserStackOverflow). */
    if (cleared && ft->v->stack == VAD_STACK_GUARD)
        return FAULT_STACK_GUARD;
    return raise(ft, VML_AV_GUARD);
}

/* A write through a valid PTE that forbids it: copy-on-write (the COW
** bit: a WRITECOPY view, a clone page; or the zero page), else an access
** violation. */
static enum fault_outcome fault_write_protected(struct fault *ft)
{
    vml_proc *p = ft->p;
    vml_machine *m = p->m;
    vml_pfn pfn = pg_frame(m->pm, ft->pte) >> 12;
    int zero = pfn == m->zero_pfn;
    if (!zero && !(ft->pte & PTE_COW))
        return raise(ft, VML_AV_READONLY);
    page_state(p, ft->v, ft->va, ft->pte, &ft->mmprot);
    if (!mmprot_can_write(ft->mmprot))
        return raise(ft, VML_AV_READONLY);
    /* (the zero page joins the working set as a new page: room is made;
    ** a copy takes its page's slot, whose page must not be trimmed now) */
    if (fault_prepare(ft, zero, 1) != 0)
        return FAULT_EXCEPTION;
    if (pte_kind(m->pm, ft->pte) != VML_PTE_VALID || pg_frame(m->pm, ft->pte) >> 12 != pfn)
        return FAULT_RETRY;            /* reclaim took the page: fault afresh */
    count_fault(p);
    if (zero) {
        vml_list from;
        vml_pfn page = take(ft, PFN_NEED_ZERO, &from);
        if (page == VML_PFN_NONE)
            return FAULT_EXCEPTION;
        page_discard(p, ft->va, ft->pte_pa, sw_demand_zero(ft->mmprot));
        fault_event(p, ft->va, page, from, "demand-zero");
        page_map(p, ft->va, ft->pte_pa, page, ft->mmprot, map_how(ft, 0));
        note_anon(ft);
        p->st.demand_zero_faults++;
        m->st.demand_zero_faults++;
        return FAULT_RETRY;
    }
    uint64_t id;
    if (proto_id_of_va(m, m->pfn[pfn].pte_pa, &id) == 0 && proto_is_clone(m, id) &&
        clone_refs(m, id) == 1)
        return cow_reuse(ft, id, pfn);
    return cow_copy(ft, pfn);
}

static enum fault_outcome fault_protection(struct fault *ft, const struct mmu_fault *f)
{
    if (!(f->entry & PG_US))
        return raise(ft, VML_AV_NOACCESS);   /* a user page made supervisor-only (setpte) */
    if (f->access == VML_ACCESS_WRITE && ft->v != NULL) {
        ft->pte_pa = f->entry_pa;
        ft->pte = f->entry;
        return fault_write_protected(ft);
    }
    if (f->access == VML_ACCESS_WRITE)
        return raise(ft, VML_AV_READONLY);
    if (f->access == VML_ACCESS_EXEC)
        return raise(ft, VML_AV_NX);
    return raise(ft, VML_AV_NOACCESS);
}

/* ---- the decision tree ------------------------------------------------------------------- */

enum fault_outcome fault_resolve(vml_proc *p, const struct mmu_fault *f, vml_exception *ex)
{
    vml_machine *m = p->m;
    struct fault ft = { .p = p, .va = f->va, .access = f->access, .ex = ex };

    if (ft.va > m->layout.user_highest)
        return raise(&ft, ft.va >= m->layout.kernel_base ? VML_AV_KERNEL : VML_AV_NOT_RESERVED);
    ft.v = vad_find(&p->vads, ft.va >> 12);
    if (f->error_code & PF_P)
        return fault_protection(&ft, f);
    if (ft.v == NULL) {
        /* Linux's lock_mm_and_find_vma(): the first VMA ending above the
        ** address may grow down to it (stack.c decides). */
        const struct vad *up = vad_lookup_ge(&p->vads, ft.va >> 12);
        if (up != NULL && stack_grows_down(up))
            return FAULT_GROW_DOWN;
        return raise(&ft, VML_AV_NOT_RESERVED);
    }
    ft.pte_pa = f->level == 1 ? f->entry_pa : 0;
    ft.pte = f->level == 1 ? f->entry : 0;
    if (!page_state(p, ft.v, ft.va, ft.pte, &ft.mmprot))
        return raise(&ft, VML_AV_NOT_COMMITTED);
    if (mmprot_guard(ft.mmprot))
        return fault_guard(&ft);
    if (mmprot_noaccess(ft.mmprot))
        return raise(&ft, VML_AV_NOACCESS);
    if (ft.access == VML_ACCESS_WRITE && !mmprot_can_write(ft.mmprot))
        return raise(&ft, VML_AV_READONLY);
    if (ft.access == VML_ACCESS_EXEC && m->pm->has_nx && !mmprot_executable(ft.mmprot))
        return raise(&ft, VML_AV_NX);
    if (ft.v->seg && view_proto_id(ft.v, ft.va) == 0)
        return raise(&ft, VML_AV_BEYOND_EOF);   /* a file page past the file's last page */
    switch (pte_kind(m->pm, ft.pte)) {
    case VML_PTE_ZERO:
        if (ft.v->seg)
            return fault_shared(&ft, view_proto_id(ft.v, ft.va));
        return fault_zero(&ft);
    case VML_PTE_DEMAND_ZERO:
        return fault_zero(&ft);
    case VML_PTE_TRANSITION:
        return fault_soft(&ft);
    case VML_PTE_PAGEFILE:
        return fault_hard(&ft);
    case VML_PTE_PROTOTYPE:
        return fault_shared(&ft, sw_proto_id(m->pm, ft.pte));
    case VML_PTE_VALID:
    case VML_PTE_DECOMMITTED:
    case VML_N_PTE_KINDS:
        break;
    }
    mm_corrupt(m, "FLT1: fault at %#llx on PTE %#llx has no resolution",
               (unsigned long long)ft.va, (unsigned long long)ft.pte);
    return raise(&ft, VML_AV_NO_MEMORY);
}
