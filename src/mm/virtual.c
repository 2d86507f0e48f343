/*
** virtual.c -- the memory manager's virtual-memory operations, below any
** personality: reserve, commit, decommit, release, protect, splitting and
** merging VADs, and the state of a page (committed? with what protection?).
**
** A page's state lives in its PTE when the PTE is non-zero, and in its VAD
** when the PTE is zero (or its table is missing): a zero PTE in a VAD
** created committed (mem_commit) is committed with the VAD's protection,
** as Windows does for VirtualAlloc(MEM_RESERVE|MEM_COMMIT); a zero PTE in
** a view is the section's page at that offset (views.c).
**
** INVARIANTS (checked by vm_check()):
**   VM1  A private VAD's commit_pages equals the committed pages inside
**        it; a view's is its charge (a copy-on-write view that can write
**        is charged whole, as both Windows and Linux charge it when it is
**        mapped); a process's commit_pages is their sum.
**   VM2  A process's virtual_pages is the sum of its VADs' sizes.
**   VM3  The system's commit charge is the processes' plus the sections'.
**
** TRANSITIONS:
**   free       -> reserved            vm_reserve()
**   reserved   -> committed           vm_commit()     (demand-zero PTEs)
**   committed  -> reserved            vm_decommit()   (pages released)
**   reserved|committed -> free        vm_release()
**   valid, protection -> NOACCESS/GUARD: the page leaves the working set
**                                     vm_protect()
**   one VAD -> two                    vm_split();  two -> one: vm_merge()
*/
#include <stdarg.h>
#include <stdio.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include "machine.h"

/* ---- the machine, for personalities ------------------------------------------------ */

struct vad_tree *vm_vads(vml_proc *p) { return &p->vads; }
const vml_layout *vm_layout(const vml_machine *m) { return &m->layout; }
uint64_t vm_available(const vml_machine *m) { return pfn_available(m); }
uint64_t vm_commit_limit(const vml_machine *m) { return m->commit_limit; }
vml_status vm_done(vml_machine *m, vml_status st) { return mm_done(m, st); }
void *vm_calloc(vml_machine *m, size_t n, size_t size) { return mm_calloc(m, n, size); }
struct handle_table *vm_handles(vml_proc *p) { return &p->w32; }
struct handle_table *vm_fds(vml_proc *p) { return &p->fds; }
uint32_t *vm_last_error(vml_proc *p) { return &p->last_error; }
uint64_t vm_random(vml_machine *m) { return mm_rng_next(m); }
unsigned vm_flags(const vml_machine *m) { return m->cfg.flags; }
uint64_t *vm_loader_words(vml_machine *m) { return m->loader_words; }

int vm_prot_from_win32(uint32_t protect) { return mmprot_from_win32(protect); }
uint32_t vm_prot_to_win32(unsigned mmprot) { return mmprot_to_win32(mmprot); }
unsigned vm_prot_from_posix(int prot) { return mmprot_from_posix(prot); }
int vm_prot_writecopy(unsigned mmprot) { return mmprot_writecopy(mmprot); }
struct vm_osproc *vm_os(vml_proc *p) { return &p->os; }
const struct vm_osproc *vm_os_c(const vml_proc *p) { return &p->os; }
unsigned vm_new_tid(vml_machine *m) { return ++m->next_tid; }
int vm_aslr(const vml_machine *m) { return !(m->cfg.flags & VML_CFG_NO_ASLR); }
void vm_set_os_check(vml_machine *m, vm_os_check_fn fn) { m->os_check = fn; }


vml_status vm_fail(vml_machine *m, vml_status st, const char *fmt, ...)
{
    char buf[sizeof mm_core(m)->err];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    return mm_fail(m, st, "%s", buf);
}

/* ---- counting ------------------------------------------------------------------------ */

void vm_stat_virtual(vml_proc *p, int64_t delta)
{
    p->st.virtual_pages += (uint64_t)delta;
    if (p->st.virtual_pages > p->st.peak_virtual_pages)
        p->st.peak_virtual_pages = p->st.virtual_pages;
}

void vm_stat_commit(vml_proc *p, struct vad *v, int64_t delta)
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

void vm_vad_event(vml_proc *p, const struct vad *v, const char *what)
{
    if (!mm_tracing(p->m))
        return;
    vml_event ev = { .type = VML_EV_VAD, .pid = p->pid, .va = v->start_vpn << 12,
                     .pfn = VML_PFN_NONE, .new_pte = (v->end_vpn - v->start_vpn + 1) << 12,
                     .what = what };
    mm_emit(p->m, &ev);
}

/* ---- reserving and committing ---------------------------------------------------------- */

struct vad *vm_vad_alloc(vml_machine *m)
{
    return mm_calloc(m, 1, sizeof(struct vad));
}

void vm_insert(vml_proc *p, struct vad *v)
{
    v->proc = p;
    vad_insert(&p->vads, v);
    vm_stat_virtual(p, (int64_t)(v->end_vpn - v->start_vpn + 1));
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
    vm_insert(p, v);
    if (mem_commit)
        vm_stat_commit(p, v, (int64_t)n_pages);
    vm_vad_event(p, v, mem_commit ? "reserve+commit" : "reserve");
}

vml_status vm_ensure_tables(vml_proc *p, vml_va va, vml_va end)
{
    vml_machine *m = p->m;
    uint64_t need = pt_tables_needed(p, va, end);
    uint64_t have = pfn_available(m);
    if (need > have)
        return mm_fail(m, VML_E_NO_FRAMES, "%llu page-table frames needed, %llu available",
                       (unsigned long long)need, (unsigned long long)have);
    return VML_OK;
}

/* The leaf slot of va, made if missing (frames were counted first). */
static vml_pa slot_made(vml_proc *p, vml_va va)
{
    vml_pa pte_pa = 0;
    if (pt_slot_make(p, va, &pte_pa) != VML_OK)
        mm_corrupt(p->m, "VM1: no frame for a page table that was counted as available");
    return pte_pa;
}

vml_status vm_commit(vml_proc *p, struct vad *v, vml_va va, uint64_t n_pages, unsigned mmprot)
{
    vml_va end = va + (n_pages << 12);
    if (v->seg)
        return vm_commit_view(p, v, va, n_pages, mmprot);
    vml_status st = vm_ensure_tables(p, va, end);
    int64_t added = 0;
    if (st != VML_OK)
        return st;
    if ((st = vm_charge_check(p, n_pages - vm_count_committed(p, v, va, end))) != VML_OK)
        return st;
    for (vml_va at = va; at < end; at += VML_PAGE_SIZE) {
        vml_pa pte_pa = pt_slot(p, at);
        unsigned cur;
        uint64_t pte = pte_pa ? pte_read(p->m, pte_pa) : 0;
        /* A committed page stays committed; its protection is set below. */
        if (page_state(p, v, at, pte, &cur))
            continue;
        if (!pte_pa && (pte_pa = slot_made(p, at)) == 0)
            return mm_corrupt(p->m, "VM1: vm_commit: no page table for %#llx, though "
                              "vm_ensure_tables() made them", (unsigned long long)at);
        pt_write(p, at, pte_pa, sw_demand_zero(mmprot));
        added++;
    }
    vm_stat_commit(p, v, added);
    /* Pages that were committed already take the new protection and keep
    ** their data: NtAllocateVirtualMemory calls MiProtectVirtualMemory for
    ** them (Windows Research Kernel, base/ntos/mm/allocvm.c).  The tables
    ** this may need were counted by vm_ensure_tables() above. */
    vm_protect(p, v, va, n_pages, mmprot);
    return VML_OK;
}

void vm_extend(vml_proc *p, struct vad *v, uint64_t n_pages)
{
    v->end_vpn += n_pages;
    vm_stat_virtual(p, (int64_t)n_pages);
    if (v->mem_commit)
        vm_stat_commit(p, v, (int64_t)n_pages);
    vm_vad_event(p, v, "extend");
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
    cx->committed += (uint64_t)page_state(p, cx->v, va, pte, &prot);
}

uint64_t vm_count_committed(vml_proc *p, const struct vad *v, vml_va va, vml_va end)
{
    if (v->seg) {
        uint64_t n = 0;
        for (vml_va at = va; at < end; at += VML_PAGE_SIZE) {
            unsigned prot;
            vml_pa pte_pa = pt_slot(p, at);
            n += (uint64_t)page_state(p, v, at, pte_pa ? pte_read(p->m, pte_pa) : 0, &prot);
        }
        return n;
    }
    struct count_ctx cx = { v, 0, 0 };
    pt_visit(p, va, end, count_one, &cx);
    return cx.committed + (v->mem_commit ? ((end - va) >> 12) - cx.visited : 0);
}

static void discard_one(void *ctx, vml_proc *p, vml_va va, vml_pa pte_pa, uint64_t pte)
{
    uint64_t new_pte = *(const uint64_t *)ctx;
    if (pte != new_pte)
        page_discard(p, va, pte_pa, new_pte);
}

/* Drop every page of [va, end): frames freed or unmapped, PTEs zeroed. */
void vm_unmap_pages(vml_proc *p, vml_va va, vml_va end)
{
    uint64_t zero = 0;
    pt_visit(p, va, end, discard_one, &zero);
}

void vm_decommit(vml_proc *p, struct vad *v, vml_va va, uint64_t n_pages)
{
    vml_va end = va + (n_pages << 12);
    uint64_t was = vm_count_committed(p, v, va, end);
    int whole = (va >> 12) == v->start_vpn && (end >> 12) == v->end_vpn + 1;
    if (whole && v->mem_commit)
        v->mem_commit = 0;     /* every page reserved: zero PTEs say so now */
    uint64_t new_pte = v->mem_commit ? sw_demand_zero(MM_DECOMMIT) : 0;
    pt_visit(p, va, end, discard_one, &new_pte);
    if (v->mem_commit) {
        /* Pages with no table (or a table this loop just made) are
        ** committed through the VAD: give them DECOMMIT PTEs (the caller
        ** checked there are frames for tables). */
        for (vml_va at = va; at < end; at += VML_PAGE_SIZE) {
            vml_pa pte_pa = pt_slot(p, at);
            if (pte_pa && pte_read(p->m, pte_pa) != 0)
                continue;
            if ((pte_pa = slot_made(p, at)) != 0)
                pt_write(p, at, pte_pa, new_pte);
        }
    }
    vm_stat_commit(p, v, -(int64_t)was);
}

uint64_t vm_decommit_tables_needed(vml_proc *p, const struct vad *v, vml_va va, vml_va end)
{
    int whole = (va >> 12) == v->start_vpn && (end >> 12) == v->end_vpn + 1;
    if (!v->mem_commit || whole)
        return 0;
    return pt_tables_needed(p, va, end);
}

void vm_release(vml_proc *p, struct vad *v)
{
    vml_va va = v->start_vpn << 12, end = (v->end_vpn + 1) << 12;
    vm_unmap_pages(p, va, end);
    vm_stat_commit(p, v, -(int64_t)v->commit_pages);
    vm_stat_virtual(p, -(int64_t)(v->end_vpn - v->start_vpn + 1));
    vm_vad_event(p, v, "release");
    vad_remove(&p->vads, v);
    if (v->seg)
        vm_view_gone(p, v);
    free(v);
}

/* ---- protection ------------------------------------------------------------------------ */

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
    if (!page_state(p, cx->v, va, pte, &cur) || cur == cx->mmprot)
        return;
    if (!(pte & PG_P)) {
        if (pte != 0)   /* transition, pagefile, demand-zero, prototype: only the protection */
            pt_write(p, va, pte_pa, sw_with_prot(pte, cx->mmprot));
        return;
    }
    vml_pfn pfn = pg_frame(m->pm, pte) >> 12;
    if (pfn == m->zero_pfn) {
        /* untouched memory: the page goes, the protection stays in the PTE */
        page_discard(p, va, pte_pa, sw_demand_zero(cx->mmprot));
        return;
    }
    uint32_t slot = ws_find(p, va, pfn);
    if (mmprot_noaccess(cx->mmprot) || mmprot_guard(cx->mmprot)) {
        /* An inaccessible page cannot stay valid: it leaves the working
        ** set, keeping the new protection. */
        page_trim(p, va, pte_pa, slot, cx->mmprot, PAGE_PROTECT);
        return;
    }
    uint64_t id, keep = pte & (PG_A | PG_D);
    int clone = pfn_is_proto(m, pfn) && proto_id_of_va(m, m->pfn[pfn].pte_pa, &id) == 0 &&
                proto_is_clone(m, id);
    pt_write(p, va, pte_pa, pte_make_valid(m->pm, pfn, cx->mmprot, clone ? PTE_MK_COW : 0) | keep);
    as_invalidate(p, va);
    p->ws.e[slot].prot = (uint8_t)cx->mmprot;
}

/* Do v's zero PTEs already mean mmprot?  (An image's pages each have
** their own protection: never all of them.) */
static int zero_ptes_mean(const struct vad *v, unsigned mmprot)
{
    return (v->seg == NULL || v->seg->kind != SEG_IMAGE) && vad_mmprot(v) == mmprot;
}

void vm_protect(vml_proc *p, struct vad *v, vml_va va, uint64_t n_pages, unsigned mmprot)
{
    vml_va end = va + (n_pages << 12);
    struct protect_ctx cx = { v, mmprot };
    pt_visit(p, va, end, protect_one, &cx);
    if ((!v->mem_commit && v->seg == NULL) || zero_ptes_mean(v, mmprot))
        return;
    /* Zero PTEs take the VAD's protection: write the new one into them. */
    for (vml_va at = va; at < end; at += VML_PAGE_SIZE) {
        unsigned cur;
        vml_pa pte_pa = pt_slot(p, at);
        if (pte_pa && pte_read(p->m, pte_pa) != 0)
            continue;
        if (v->seg && !page_state(p, v, at, 0, &cur))
            continue;                  /* a SEC_RESERVE page not committed */
        if ((pte_pa = slot_made(p, at)) != 0)
            pt_write(p, at, pte_pa, page_own_pte(v, at, mmprot));
    }
}

uint64_t vm_protect_tables_needed(vml_proc *p, const struct vad *v, vml_va va, vml_va end,
                                  unsigned mmprot)
{
    if ((!v->mem_commit && v->seg == NULL) || zero_ptes_mean(v, mmprot))
        return 0;
    return pt_tables_needed(p, va, end);
}

/* ---- region scan (VirtualQuery) ------------------------------------------------ */

vml_va vm_region_end(vml_proc *p, const struct vad *v, vml_va va, vml_va limit,
                     int *committed, unsigned *mmprot)
{
    int first = 1;
    while (va < limit) {
        vml_va next = pt_next_mapped(p, va, limit);
        vml_va step = next > va ? next - va : VML_PAGE_SIZE;
        vml_pa pte_pa = next > va ? 0 : pt_slot(p, va);
        uint64_t pte = pte_pa ? pte_read(p->m, pte_pa) : 0;
        unsigned prot = 0;
        int c = page_state(p, v, va, pte, &prot);
        if (v->seg && next > va)
            step = VML_PAGE_SIZE;      /* a view's pages differ without tables too */
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

int vm_page_protection(vml_proc *p, const struct vad *v, vml_va va, unsigned *mmprot)
{
    vml_pa pte_pa = pt_slot(p, va);
    return page_state(p, v, va, pte_pa ? pte_read(p->m, pte_pa) : 0, mmprot);
}

/* ---- splitting and merging --------------------------------------------------------------- */

struct vad *vm_split(vml_proc *p, struct vad *v, uint64_t vpn, struct vad *spare)
{
    uint64_t upper = v->seg ? 0 : vm_count_committed(p, v, vpn << 12, (v->end_vpn + 1) << 12);
    *spare = *v;
    spare->left = spare->right = spare->parent = NULL;
    spare->next_view = NULL;
    spare->start_vpn = vpn;
    spare->alloc_base_vpn = vpn;      /* a piece is its own reservation */
    spare->load_count = 0;            /* a module is known by its first mapping */
    if (v->seg) {
        spare->seg_offset = v->seg_offset + (vpn - v->start_vpn);
        /* a charged view's charge: its size, an image's writable pages */
        upper = v->commit_pages ? vm_view_charge(spare) : 0;
        seg_ref(v->seg);
        seg_view_add(v->seg, spare);
        if (v->section)
            section_ref(v->section);
    }
    spare->commit_pages = upper;
    v->commit_pages -= upper;
    v->end_vpn = vpn - 1;
    vad_insert(&p->vads, spare);
    return spare;
}

void vm_merge(vml_proc *p, struct vad *a, struct vad *b)
{
    vad_remove(&p->vads, b);
    a->end_vpn = b->end_vpn;
    a->commit_pages += b->commit_pages;
    a->load_count += b->load_count;
    if (a->anon_id == 0)
        a->anon_id = b->anon_id;
    if (b->seg)
        vm_view_gone(p, b);
    free(b);
}

/* ---- check --------------------------------------------------------------------------------- */

int vm_check(vml_machine *m, char *msg, size_t size)
{
    uint64_t charge = 0;
    for (size_t i = 0; i < m->n_procs; i++) {
        vml_proc *p = m->procs[i];
        uint64_t commit = 0, virt = 0;
        if (vad_check(&p->vads, msg, size))
            return -1;
        for (struct vad *v = vad_first(&p->vads); v; v = vad_next(v)) {
            vml_va va = v->start_vpn << 12, end = (v->end_vpn + 1) << 12;
            uint64_t n = v->seg ? vm_view_charge(v) : vm_count_committed(p, v, va, end);
            if (n != v->commit_pages || v->proc != p) {
                snprintf(msg, size, "VM1: pid %u VAD %#llx-%#llx charges %llu pages, holds %llu "
                         "committed", p->pid, (unsigned long long)v->start_vpn,
                         (unsigned long long)v->end_vpn, (unsigned long long)v->commit_pages,
                         (unsigned long long)n);
                return -1;
            }
            commit += n;
            virt += v->end_vpn - v->start_vpn + 1;
        }
        if (commit != p->st.commit_pages || virt != p->st.virtual_pages) {
            snprintf(msg, size, "VM1/VM2: pid %u counts commit %llu virtual %llu, VADs hold "
                     "%llu/%llu", p->pid, (unsigned long long)p->st.commit_pages,
                     (unsigned long long)p->st.virtual_pages, (unsigned long long)commit,
                     (unsigned long long)virt);
            return -1;
        }
        charge += commit;
    }
    for (size_t i = 0; i < m->n_segs; i++)
        charge += m->segs[i]->commit_pages;
    if (charge != m->st.commit_charge) {
        snprintf(msg, size, "VM3: the commit charge is %llu pages, processes and sections hold "
                 "%llu", (unsigned long long)m->st.commit_charge, (unsigned long long)charge);
        return -1;
    }
    return 0;
}
