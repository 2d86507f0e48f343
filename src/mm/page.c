/*
** page.c -- mapping and unmapping one page of a process (see page.h).
**
** A private page's frame names its PTE; a shared page's frame names its
** prototype PTE and counts the valid PTEs that map it.  A private page
** out of the working set is a transition PTE naming its frame; a shared
** one is a prototype PTE naming its prototype, which holds the frame
** (transition once no PTE maps it).
**
** INVARIANTS: page.c keeps RMAP1-RMAP6 and WS3 (rmap.c checks them):
** every change below moves a PTE, a frame and a WSLE together.
**
** TRANSITIONS:
**   frame active, PTE -> valid              page_map()
**   valid -> transition | prototype PTE     page_trim()   (frame to standby
**                                           or modified when unmapped)
**   any PTE -> released (new_pte)           page_discard()
*/
#include "machine.h"

/* ---- state --------------------------------------------------------------------------- */

unsigned vad_mmprot(const struct vad *v)
{
    struct vad *w = (struct vad *)(uintptr_t)v;     /* the cache only */
    if (v->mmprot_of != v->protect || v->protect == 0) {
        int prot = mmprot_from_win32(v->protect);
        w->mmprot = (uint8_t)(prot < 0 ? MM_NOACCESS : (unsigned)prot);
        w->mmprot_of = v->protect;
    }
    return v->mmprot;
}

/* A view's page: committed unless its section page waits for a commit. */
uint64_t view_proto_id(const struct vad *v, vml_va va)
{
    if (v == NULL || v->seg == NULL)
        return 0;
    uint64_t index = v->seg_offset + ((va >> 12) - v->start_vpn);
    return index < v->seg->n_pages ? v->seg->proto_base + index : 0;
}

uint64_t page_own_pte(const struct vad *v, vml_va va, unsigned mmprot)
{
    uint64_t id = view_proto_id(v, va);
    /* (a page past the end of a mapped file: any PTE that holds the
    ** protection; touching it raises SIGBUS before the PTE is read) */
    return id ? sw_proto(v->proc->m->pm, id, mmprot) : sw_demand_zero(mmprot);
}

/* A page of a file mapping past the file counts as committed: touching it
** raises SIGBUS, not SIGSEGV (fault_resolve()). */
static int view_committed(const struct vad *v, vml_va va)
{
    uint64_t index = v->seg_offset + ((va >> 12) - v->start_vpn);
    if (index >= v->seg->n_pages)
        return v->seg->kind == SEG_FILE;
    return v->seg->proto[index] != PROTO_DECOMMIT;
}

int page_state(const vml_proc *p, const struct vad *v, vml_va va, uint64_t pte, unsigned *mmprot)
{
    const vml_machine *m = p->m;
    switch (pte_kind(m->pm, pte)) {
    case VML_PTE_VALID: {
        vml_pfn pfn = pg_frame(m->pm, pte) >> 12;
        uint32_t slot = pfn == m->zero_pfn ? WSL_NIL : ws_find(p, va, pfn);
        *mmprot = slot != WSL_NIL ? p->ws.e[slot].prot : vad_mmprot(v);
        return 1;
    }
    case VML_PTE_ZERO:
        *mmprot = vad_mmprot(v);
        if (v->seg && v->seg->kind == SEG_IMAGE && view_proto_id(v, va))
            *mmprot = v->seg->page_prot[v->seg_offset + ((va >> 12) - v->start_vpn)];
        return v->seg ? view_committed(v, va) : v->mem_commit;
    case VML_PTE_DECOMMITTED:
        return 0;
    case VML_PTE_PROTOTYPE: {
        const uint64_t *proto = proto_ptr(m, sw_proto_id(m->pm, pte));
        *mmprot = sw_prot(pte);
        return proto == NULL || *proto != PROTO_DECOMMIT;
    }
    default:
        *mmprot = sw_prot(pte);
        return 1;
    }
}

/* ---- the zero page ----------------------------------------------------------------------- */

void zero_page_make(vml_machine *m, vml_pfn pfn)
{
    struct pfn_entry *e = &m->pfn[pfn];
    e->flags = VML_PFN_KERNEL;
    e->xflags = PFNX_ZERO_PAGE;
    m->zero_pfn = pfn;
    m->st.kernel_pages++;
}

/* ---- the global policy ------------------------------------------------------------ */

/* policy.h Q4: a page's key -- a section page's prototype PTE, else the
** (pid, vpn) that mapped it. */
static void policy_add(vml_machine *m, vml_pfn pfn, const vml_proc *p, vml_va va,
                       unsigned access)
{
    struct pfn_entry *e = &m->pfn[pfn];
    if (m->pol == NULL || (e->xflags & PFNX_RESIDENT))
        return;
    e->xflags |= PFNX_RESIDENT;
    uint64_t key = (e->flags & VML_PFN_PROTOTYPE) ? (1ull << 63) | e->pte_pa
                                                  : ((uint64_t)p->pid << 48) | (va >> 12);
    m->pol->on_insert(m->pol_st, (uint32_t)pfn, key, 0, access);
    m->pol_resident++;
}

void page_policy_drop(vml_machine *m, vml_pfn pfn)
{
    struct pfn_entry *e = &m->pfn[pfn];
    if (!(e->xflags & PFNX_RESIDENT))
        return;
    e->xflags &= (uint8_t)~PFNX_RESIDENT;
    m->pol->on_remove(m->pol_st, (uint32_t)pfn);
    m->pol_resident--;
}

/* ---- mapping ------------------------------------------------------------------------ */

void page_map(vml_proc *p, vml_va va, vml_pa pte_pa, vml_pfn pfn, unsigned mmprot, unsigned how)
{
    vml_machine *m = p->m;
    struct pfn_entry *e = &m->pfn[pfn];
    if (!(e->flags & VML_PFN_PROTOTYPE))
        e->pte_pa = pte_pa;
    e->share_count++;
    if (e->share_count == 1)
        e->priority = p->mem_priority & 7;
    if (!(how & PAGE_MAP_PTE_WRITTEN))
        pt_write(p, va, pte_pa, pte_make_valid(m->pm, pfn, mmprot,
                                               (how & PAGE_MAP_COW) ? PTE_MK_COW : 0));
    ws_insert(p, va, pfn, mmprot);
    if (p->ws.n_valid > p->st.peak_ws_pages)
        p->st.peak_ws_pages = p->ws.n_valid;
    policy_add(m, pfn, p, va, (how & PAGE_MAP_WRITE) ? POLICY_WRITE : 0);
}

void page_map_zero(vml_proc *p, vml_va va, vml_pa pte_pa, unsigned mmprot)
{
    vml_machine *m = p->m;
    /* read-only whatever the mapping allows: a write takes a private page */
    uint64_t pte = pte_make_valid(m->pm, m->zero_pfn, mmprot, 0) & ~(uint64_t)PG_RW;
    pt_write(p, va, pte_pa, pte);
    p->st.zero_page_maps++;
    m->st.zero_page_maps++;
}

/* ---- frames no PTE maps ------------------------------------------------------------ */

void page_free_frame(vml_machine *m, vml_pfn pfn, unsigned pid)
{
    uint64_t slot = frame_orig_slot(m, pfn);
    if (slot != UINT64_MAX)      /* the page is gone: so is its pagefile copy */
        pf_free_slot(m, slot);
    page_policy_drop(m, pfn);
    pfn_free(m, pfn, pid);
}

void page_cache(vml_machine *m, vml_pfn pfn, unsigned pid)
{
    struct pfn_entry *e = &m->pfn[pfn];
    uint64_t id;
    int dirty = (e->flags & VML_PFN_MODIFIED) != 0;
    page_policy_drop(m, pfn);
    pfn_release(m, pfn, dirty, pid);
    if (proto_id_of_va(m, e->pte_pa, &id) == 0) {
        uint64_t *proto = proto_ptr(m, id);
        *proto = proto_transition(pfn);
    }
    if (dirty && m->pf.fd >= 0 && m->lists[VML_LIST_MODIFIED].count >= m->mod_high)
        m->bg_due = 1;    /* the modified page writer has work */
}

void page_clone_release(vml_machine *m, uint64_t id, unsigned pid)
{
    uint64_t *proto = proto_ptr(m, id);
    switch (proto_kind(*proto)) {
    case VML_PTE_TRANSITION:
        page_free_frame(m, proto_pfn(*proto), pid);
        break;
    case VML_PTE_PAGEFILE:
        pf_free_slot(m, proto_slot(*proto));
        break;
    case VML_PTE_VALID:
        mm_corrupt(m, "RMAP6: clone page %#llx lost its last reference while mapped",
                   (unsigned long long)id);
        return;
    default:
        break;
    }
    clone_free(m, id);
}

/* A valid PTE's D bit moves to its frame: the page must be written before
** its frame is reused, and a copy of it in the pagefile is stale now. */
static int harvest_dirty(vml_machine *m, vml_pfn pfn, uint64_t pte)
{
    struct pfn_entry *e = &m->pfn[pfn];
    if (!(pte & PG_D))
        return (e->flags & VML_PFN_MODIFIED) != 0;
    e->flags |= VML_PFN_MODIFIED;
    e->xflags &= (uint8_t)~PFNX_LAZYFREE;
    uint64_t slot = frame_orig_slot(m, pfn);
    if (slot != UINT64_MAX) {
        pf_free_slot(m, slot);
        e->orig_pte = (e->flags & VML_PFN_PROTOTYPE) ? 0 : sw_demand_zero(sw_prot(e->orig_pte));
    }
    return 1;
}

/* ---- trimming ------------------------------------------------------------------------ */

static void trim_event(vml_proc *p, vml_va va, vml_pfn pfn, enum page_out why, int shared,
                       int dirty, vml_list to)
{
    vml_event ev = { .type = why == PAGE_TRIM ? VML_EV_TRIM : VML_EV_EVICT, .pid = p->pid,
                     .va = va, .pfn = pfn, .from = VML_LIST_ACTIVE, .to = to,
                     .slot = UINT64_MAX,
                     .what = shared ? (dirty ? "shared dirty" : "shared clean")
                                    : (dirty ? "dirty" : "clean") };
    mm_emit(p->m, &ev);
}

void page_trim(vml_proc *p, vml_va va, vml_pa pte_pa, uint32_t slot, unsigned mmprot,
               enum page_out why)
{
    vml_machine *m = p->m;
    uint64_t pte = pte_read(m, pte_pa);
    vml_pfn pfn = pg_frame(m->pm, pte) >> 12;
    struct pfn_entry *e = &m->pfn[pfn];
    int shared = (e->flags & VML_PFN_PROTOTYPE) != 0;
    int dirty = harvest_dirty(m, pfn, pte);
    vml_list to = VML_LIST_ACTIVE;

    ws_remove_slot(p, slot);
    if (shared) {
        uint64_t id = 0;
        proto_id_of_va(m, e->pte_pa, &id);
        pt_write(p, va, pte_pa, sw_proto(m->pm, id, mmprot));
        as_invalidate(p, va);
        if (--e->share_count == 0) {
            page_cache(m, pfn, p->pid);
            to = (vml_list)e->list;
        }
    } else if ((e->xflags & PFNX_LAZYFREE) && !dirty) {
        /* MADV_FREE'd and not written since: dropped, not saved. */
        pt_write(p, va, pte_pa, sw_demand_zero(mmprot));
        as_invalidate(p, va);
        e->share_count = 0;
        page_free_frame(m, pfn, p->pid);
        to = VML_LIST_FREE;
    } else {
        pt_write(p, va, pte_pa, sw_transition(pfn, mmprot));
        as_invalidate(p, va);
        e->share_count = 0;
        page_policy_drop(m, pfn);
        pfn_release(m, pfn, dirty, p->pid);
        to = dirty ? VML_LIST_MODIFIED : VML_LIST_STANDBY;
        if (dirty && m->pf.fd >= 0 && m->lists[VML_LIST_MODIFIED].count >= m->mod_high)
            m->bg_due = 1;
    }
    if (why == PAGE_PROTECT)
        return;
    p->st.trimmed++;
    m->st.trimmed += why == PAGE_TRIM;
    m->st.evictions++;
    m->st.writebacks += (unsigned)(dirty && to == VML_LIST_MODIFIED);
    if (mm_tracing(m))
        trim_event(p, va, pfn, why, shared, dirty, to);
}

/* ---- discarding ----------------------------------------------------------------------- */

/* A prototype PTE reference of p at va goes (clone pages count them). */
static void drop_proto_ref(vml_proc *p, vml_va va, uint64_t id)
{
    vml_machine *m = p->m;
    if (proto_is_clone(m, id) && clone_ref_del(m, id, p->pid, va) == 0)
        page_clone_release(m, id, p->pid);
}

void page_discard(vml_proc *p, vml_va va, vml_pa pte_pa, uint64_t new_pte)
{
    vml_machine *m = p->m;
    const struct pg_mode *pm = m->pm;
    uint64_t pte = pte_read(m, pte_pa);
    vml_pfn pfn = pg_frame(pm, pte) >> 12;

    switch (pte_kind(pm, pte)) {
    case VML_PTE_VALID: {
        struct pfn_entry *e = &m->pfn[pfn];
        if (pfn == m->zero_pfn) {
            p->st.zero_page_maps--;
            m->st.zero_page_maps--;
            pt_write(p, va, pte_pa, new_pte);
            as_invalidate(p, va);
            return;
        }
        ws_remove_slot(p, ws_find(p, va, pfn));
        pt_write(p, va, pte_pa, new_pte);
        as_invalidate(p, va);
        if (!(e->flags & VML_PFN_PROTOTYPE)) {
            e->share_count = 0;
            page_free_frame(m, pfn, p->pid);
            return;
        }
        harvest_dirty(m, pfn, pte);
        uint64_t id = 0;
        proto_id_of_va(m, e->pte_pa, &id);
        if (--e->share_count == 0)
            page_cache(m, pfn, p->pid);
        drop_proto_ref(p, va, id);
        return;
    }
    case VML_PTE_TRANSITION:
        pt_write(p, va, pte_pa, new_pte);
        page_free_frame(m, pfn, p->pid);
        return;
    case VML_PTE_PAGEFILE:
        pt_write(p, va, pte_pa, new_pte);
        pf_free_slot(m, sw_slot(pm, pte));
        p->st.swap_pages--;
        return;
    case VML_PTE_PROTOTYPE:
        pt_write(p, va, pte_pa, new_pte);
        drop_proto_ref(p, va, sw_proto_id(pm, pte));
        return;
    default:
        if (pte != new_pte)
            pt_write(p, va, pte_pa, new_pte);
        return;
    }
}
