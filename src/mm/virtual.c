/*
** virtual.c -- the memory manager's virtual-memory operations, below any
** personality: reserve, commit, decommit, release, protect, and the state
** of a page (committed? with what protection?) from its PTE and VAD.
**
** A page's state lives in its PTE when the PTE is non-zero, and in its VAD
** when the PTE is zero (or its table is missing): a zero PTE in a VAD
** created committed (mem_commit) is committed with the VAD's protection,
** as Windows does for VirtualAlloc(MEM_RESERVE|MEM_COMMIT).
**
** INVARIANTS (checked by vm_check()):
**   V6  Each VAD's commit_pages equals the committed pages inside it, and
**       a process's commit_pages is their sum.
**   V7  A process's virtual_pages is the sum of its VADs' sizes.
**
** TRANSITIONS:
**   free       -> reserved            vm_reserve()
**   reserved   -> committed           vm_commit()     (demand-zero PTEs)
**   committed  -> reserved            vm_decommit()   (frames freed)
**   reserved|committed -> free        vm_release()
**   valid, protection -> NOACCESS/GUARD: the page leaves the working set
**                                     vm_protect()    (transition PTE)
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "mm.h"

int vm_page_state(vml_proc *p, const struct vad *v, vml_va va, uint64_t pte, unsigned *mmprot)
{
    vml_machine *m = p->m;
    (void)va;
    switch (pte_kind(m->pm, pte)) {
    case VML_PTE_VALID:
        *mmprot = sw_prot(m->pfn[pg_frame(m->pm, pte) >> 12].orig_pte);
        return 1;
    case VML_PTE_ZERO: {
        int prot = mmprot_from_win32(v->protect);
        *mmprot = prot < 0 ? MM_NOACCESS : (unsigned)prot;
        return v->mem_commit;
    }
    case VML_PTE_DECOMMITTED:
        return 0;
    default:
        *mmprot = sw_prot(pte);
        return 1;
    }
}

static void stat_virtual(vml_proc *p, int64_t delta)
{
    p->st.virtual_pages += (uint64_t)delta;
    if (p->st.virtual_pages > p->st.peak_virtual_pages)
        p->st.peak_virtual_pages = p->st.virtual_pages;
}

static void stat_commit(vml_proc *p, struct vad *v, int64_t delta)
{
    struct sys_stats *s = &p->m->st;
    v->commit_pages += (uint64_t)delta;
    p->st.commit_pages += (uint64_t)delta;
    if (p->st.commit_pages > p->st.peak_commit_pages)
        p->st.peak_commit_pages = p->st.commit_pages;
    s->commit_charge += (uint64_t)delta;
    if (s->commit_charge > s->commit_peak)
        s->commit_peak = s->commit_charge;
}

vml_status vm_charge_check(vml_proc *p, uint64_t n_pages)
{
    vml_machine *m = p->m;
    if (n_pages > m->commit_limit || m->st.commit_charge > m->commit_limit - n_pages)
        return mm_fail(m, VML_E_COMMIT, "committing %llu pages would take the commit charge to "
                       "%llu pages, past the commit limit of %llu (RAM + pagefile)",
                       (unsigned long long)n_pages,
                       (unsigned long long)(m->st.commit_charge + n_pages),
                       (unsigned long long)m->commit_limit);
    return VML_OK;
}

static void vad_event(vml_proc *p, const struct vad *v, const char *what)
{
    if (!mm_tracing(p->m))
        return;
    vml_event ev = { .type = VML_EV_VAD, .pid = p->pid, .va = v->start_vpn << 12,
                     .pfn = VML_PFN_NONE, .new_pte = (v->end_vpn - v->start_vpn + 1) << 12,
                     .what = what };
    mm_emit(p->m, &ev);
}

struct vad *vm_vad_alloc(vml_machine *m)
{
    return mm_calloc(m, 1, sizeof(struct vad));
}

void vm_reserve(vml_proc *p, struct vad *v, vml_va va, uint64_t n_pages, uint32_t protect,
                unsigned origin, int mem_commit)
{
    v->start_vpn = va >> 12;
    v->end_vpn = v->start_vpn + n_pages - 1;
    v->alloc_base_vpn = v->start_vpn;
    v->protect = protect;
    v->origin = (uint8_t)origin;
    v->type = VML_VAD_PRIVATE;
    v->mem_commit = (uint8_t)(mem_commit != 0);
    vad_insert(&p->vads, v);
    stat_virtual(p, (int64_t)n_pages);
    if (mem_commit)
        stat_commit(p, v, (int64_t)n_pages);
    vad_event(p, v, mem_commit ? "reserve+commit" : "reserve");
}

/* Page tables that writing a PTE for every page of [va, end) would create. */
static uint64_t tables_needed(vml_proc *p, vml_va va, vml_va end)
{
    vml_machine *m = p->m;
    const struct pg_mode *pm = m->pm;
    uint64_t needed = 0, last[6];
    for (unsigned l = 0; l < 6; l++)
        last[l] = UINT64_MAX;
    vml_va span = pg_span(pm, 2);
    for (vml_va at = va & ~(span - 1); at < end; at += span) {
        vml_pa table = (vml_pa)p->top_pfn << 12;
        unsigned level;
        for (level = pm->levels; level >= 2; level--) {
            uint64_t e = pte_read(m, table + (vml_pa)pg_index(pm, level, at) * pm->entry_size);
            if (!(e & PG_P))
                break;
            table = pg_frame(pm, e);
        }
        /* entries missing at this level and below: one table each, shared
        ** by every address with the same prefix */
        for (unsigned l = level; l >= 2; l--) {
            uint64_t prefix = at >> pg_shift(pm, l);
            if (last[l] != prefix) {
                last[l] = prefix;
                needed++;
            }
        }
        if (at + span < at)
            break;
    }
    return needed;
}

static vml_status ensure_frames_for_tables(vml_proc *p, vml_va va, vml_va end)
{
    vml_machine *m = p->m;
    uint64_t need = tables_needed(p, va, end);
    uint64_t have = pfn_available(m);
    if (need > have)
        return mm_fail(m, VML_E_NO_FRAMES, "%llu page-table frames needed, %llu available",
                       (unsigned long long)need, (unsigned long long)have);
    return VML_OK;
}

vml_status vm_commit(vml_proc *p, struct vad *v, vml_va va, uint64_t n_pages, unsigned mmprot)
{
    vml_va end = va + (n_pages << 12);
    vml_status st = ensure_frames_for_tables(p, va, end);
    int64_t added = 0;
    if (st != VML_OK)
        return st;
    if ((st = vm_charge_check(p, n_pages - vm_count_committed(p, v, va, end))) != VML_OK)
        return st;
    for (vml_va at = va; at < end; at += VML_PAGE_SIZE) {
        vml_pa pte_pa;
        unsigned cur;
        if (as_pte_slot(p, at, 0, &pte_pa) != VML_OK)
            return VML_E_CORRUPT;
        uint64_t pte = pte_pa ? pte_read(p->m, pte_pa) : 0;
        /* A committed page stays committed; its protection is set below. */
        if (vm_page_state(p, v, at, pte, &cur))
            continue;
        if (!pte_pa && as_pte_slot(p, at, 1, &pte_pa) != VML_OK)
            return VML_E_CORRUPT;   /* excluded by ensure_frames_for_tables() */
        as_pte_write(p, at, pte_pa, sw_demand_zero(mmprot));
        added++;
    }
    stat_commit(p, v, added);
    /* Pages that were committed already take the new protection and keep
    ** their data: NtAllocateVirtualMemory calls MiProtectVirtualMemory for
    ** them (Windows Research Kernel, base/ntos/mm/allocvm.c).  The tables
    ** this may need were counted by ensure_frames_for_tables() above. */
    vm_protect(p, v, va, n_pages, mmprot);
    return VML_OK;
}

/* Free what backs a PTE being removed: the frame and the TLB entries, or
** the pagefile slot. */
static void drop_page(vml_proc *p, vml_va va, uint64_t pte)
{
    vml_machine *m = p->m;
    vml_pfn pfn = pg_frame(m->pm, pte) >> 12;
    switch (pte_kind(m->pm, pte)) {
    case VML_PTE_VALID:
        as_invalidate(p, va);
        ws_remove(p, pfn);
        pfn_free(m, pfn, p->pid);
        break;
    case VML_PTE_TRANSITION:
        pfn_free(m, pfn, p->pid);
        break;
    case VML_PTE_PAGEFILE:
        pf_free_slot(m, sw_slot(m->pm, pte));
        p->st.swap_pages--;
        break;
    default:
        break;
    }
}

static void unmap_one(void *ctx, vml_proc *p, vml_va va, vml_pa pte_pa, uint64_t pte)
{
    (void)ctx;
    if (pte == 0)
        return;
    as_pte_write(p, va, pte_pa, 0);
    drop_page(p, va, pte);
}

void vm_unmap_pages(vml_proc *p, vml_va va, vml_va end)
{
    as_visit(p, va, end, unmap_one, NULL);
}

struct count_ctx {
    const struct vad *v;
    uint64_t visited, committed;
};

static void count_one(void *ctx, vml_proc *p, vml_va va, vml_pa pte_pa, uint64_t pte)
{
    struct count_ctx *cx = ctx;
    unsigned prot;
    (void)pte_pa;
    cx->visited++;
    cx->committed += (uint64_t)vm_page_state(p, cx->v, va, pte, &prot);
}

uint64_t vm_count_committed(vml_proc *p, const struct vad *v, vml_va va, vml_va end)
{
    struct count_ctx cx = { v, 0, 0 };
    as_visit(p, va, end, count_one, &cx);
    return cx.committed + (v->mem_commit ? ((end - va) >> 12) - cx.visited : 0);
}

struct decommit_ctx {
    const struct vad *v;
    uint64_t new_pte;
};

static void decommit_one(void *ctx, vml_proc *p, vml_va va, vml_pa pte_pa, uint64_t pte)
{
    struct decommit_ctx *cx = ctx;
    if (pte == cx->new_pte)
        return;
    as_pte_write(p, va, pte_pa, cx->new_pte);
    drop_page(p, va, pte);
}

void vm_decommit(vml_proc *p, struct vad *v, vml_va va, uint64_t n_pages)
{
    vml_va end = va + (n_pages << 12);
    uint64_t was = vm_count_committed(p, v, va, end);
    int whole = (va >> 12) == v->start_vpn && (end >> 12) == v->end_vpn + 1;
    if (whole && v->mem_commit)
        v->mem_commit = 0;     /* every page reserved: zero PTEs say so now */
    struct decommit_ctx cx = { v, v->mem_commit ? sw_demand_zero(MM_DECOMMIT) : 0 };
    as_visit(p, va, end, decommit_one, &cx);
    if (v->mem_commit) {
        /* Pages with no table (or a table this loop just made) are
        ** committed through the VAD: give them DECOMMIT PTEs (the caller
        ** checked there are frames for tables). */
        for (vml_va at = va; at < end; at += VML_PAGE_SIZE) {
            vml_pa pte_pa;
            if (as_pte_slot(p, at, 0, &pte_pa) == VML_OK && pte_pa && pte_read(p->m, pte_pa) != 0)
                continue;
            if (as_pte_slot(p, at, 1, &pte_pa) == VML_OK && pte_pa)
                as_pte_write(p, at, pte_pa, cx.new_pte);
        }
    }
    stat_commit(p, v, -(int64_t)was);
}

uint64_t vm_decommit_tables_needed(vml_proc *p, const struct vad *v, vml_va va, vml_va end)
{
    int whole = (va >> 12) == v->start_vpn && (end >> 12) == v->end_vpn + 1;
    if (!v->mem_commit || whole)
        return 0;
    return tables_needed(p, va, end);
}

void vm_release(vml_proc *p, struct vad *v)
{
    vml_va va = v->start_vpn << 12, end = (v->end_vpn + 1) << 12;
    vm_unmap_pages(p, va, end);
    stat_commit(p, v, -(int64_t)v->commit_pages);
    stat_virtual(p, -(int64_t)(v->end_vpn - v->start_vpn + 1));
    vad_event(p, v, "release");
    vad_remove(&p->vads, v);
    free(v);
}

struct protect_ctx {
    const struct vad *v;
    unsigned mmprot;
};

static void protect_one(void *ctx, vml_proc *p, vml_va va, vml_pa pte_pa, uint64_t pte)
{
    struct protect_ctx *cx = ctx;
    vml_machine *m = p->m;
    unsigned cur;
    /* Uncommitted pages keep no protection; unchanged ones need no write
    ** and no TLB invalidation. */
    if (!vm_page_state(p, cx->v, va, pte, &cur) || cur == cx->mmprot)
        return;
    if (pte & PG_P) {
        vml_pfn pfn = pg_frame(m->pm, pte) >> 12;
        if (mmprot_noaccess(cx->mmprot) || mmprot_guard(cx->mmprot)) {
            /* An inaccessible page cannot stay valid: it leaves the working
            ** set as a transition page that keeps the new protection. */
            ws_evict(p, va, pte_pa, pfn, cx->mmprot, WS_PROTECT);
        } else {
            uint64_t keep = pte & (PG_A | PG_D);
            as_pte_write(p, va, pte_pa, as_make_valid(m, pfn, cx->mmprot, 0) | keep);
            as_invalidate(p, va);
            m->pfn[pfn].orig_pte = sw_with_prot(m->pfn[pfn].orig_pte, cx->mmprot);
        }
    } else if (pte != 0) {
        /* transition, pagefile or demand-zero: only the protection changes */
        as_pte_write(p, va, pte_pa, sw_with_prot(pte, cx->mmprot));
    }
}

void vm_protect(vml_proc *p, struct vad *v, vml_va va, uint64_t n_pages, unsigned mmprot)
{
    vml_va end = va + (n_pages << 12);
    struct protect_ctx cx = { v, mmprot };
    as_visit(p, va, end, protect_one, &cx);
    int vad_prot = mmprot_from_win32(v->protect);
    if (!v->mem_commit || vad_prot == (int)mmprot)
        return;
    /* Zero PTEs take the VAD's protection: write the new one into them. */
    for (vml_va at = va; at < end; at += VML_PAGE_SIZE) {
        vml_pa pte_pa;
        if (as_pte_slot(p, at, 0, &pte_pa) == VML_OK && pte_pa && pte_read(p->m, pte_pa) != 0)
            continue;
        if (as_pte_slot(p, at, 1, &pte_pa) == VML_OK && pte_pa)
            as_pte_write(p, at, pte_pa, sw_demand_zero(mmprot));
    }
}

uint64_t vm_protect_tables_needed(vml_proc *p, const struct vad *v, vml_va va, vml_va end,
                                  unsigned mmprot)
{
    if (!v->mem_commit || mmprot_from_win32(v->protect) == (int)mmprot)
        return 0;
    return tables_needed(p, va, end);
}

/* ---- region scan (VirtualQuery) ------------------------------------------------ */

/* The end of the run of pages from va (inside v, up to limit) that share
** va's state and protection.  Spans without tables are stepped over whole. */
vml_va vm_region_end(vml_proc *p, const struct vad *v, vml_va va, vml_va limit,
                     int *committed, unsigned *mmprot)
{
    vml_machine *m = p->m;
    const struct pg_mode *pm = m->pm;
    int first = 1;
    while (va < limit) {
        vml_pa table = (vml_pa)p->top_pfn << 12;
        vml_va step = VML_PAGE_SIZE;
        uint64_t pte = 0;
        for (unsigned level = pm->levels; level >= 1; level--) {
            uint64_t e = pte_read(m, table + (vml_pa)pg_index(pm, level, va) * pm->entry_size);
            if (level == 1) {
                pte = e;
                break;
            }
            if (!(e & PG_P)) {
                step = ((va | (pg_span(pm, level) - 1)) + 1) - va;
                break;
            }
            table = pg_frame(pm, e);
        }
        unsigned prot = 0;
        int c = vm_page_state(p, v, va, pte, &prot);
        if (first) {
            *committed = c;
            *mmprot = prot;
            first = 0;
        } else if (c != *committed || (c && prot != *mmprot)) {
            return va;
        }
        if (va + step <= va)
            return limit;
        va += step;
    }
    return limit;
}

/* ---- check ------------------------------------------------------------------------- */

int vm_check(vml_machine *m, char *msg, size_t size)
{
    for (size_t i = 0; i < m->n_procs; i++) {
        vml_proc *p = m->procs[i];
        uint64_t commit = 0, virt = 0;
        if (vad_check(&p->vads, msg, size))
            return -1;
        for (struct vad *v = vad_first(&p->vads); v; v = vad_next(v)) {
            vml_va va = v->start_vpn << 12, end = (v->end_vpn + 1) << 12;
            uint64_t n = vm_count_committed(p, v, va, end);
            if (n != v->commit_pages) {
                snprintf(msg, size, "V6: pid %u VAD %#llx-%#llx charges %llu pages, holds %llu "
                         "committed", p->pid, (unsigned long long)v->start_vpn,
                         (unsigned long long)v->end_vpn, (unsigned long long)v->commit_pages,
                         (unsigned long long)n);
                return -1;
            }
            commit += n;
            virt += v->end_vpn - v->start_vpn + 1;
        }
        if (commit != p->st.commit_pages || virt != p->st.virtual_pages) {
            snprintf(msg, size, "V6/V7: pid %u counts commit %llu virtual %llu, VADs hold %llu/%llu",
                     p->pid, (unsigned long long)p->st.commit_pages,
                     (unsigned long long)p->st.virtual_pages, (unsigned long long)commit,
                     (unsigned long long)virt);
            return -1;
        }
    }
    return 0;
}
