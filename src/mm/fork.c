/*
** fork.c -- fork, and copies into and out of another process.
**
** fork shares every private page of the parent with the child
** copy-on-write: the page becomes a clone page (Windows' fork prototype
** PTE, MMCLONE_BLOCK) referenced by both processes' PTEs -- valid and
** read-only with the COW bit where the parent's was valid, so its share
** count is 2, as Linux's copy_present_pte() leaves it -- and the first
** write in either takes a private copy (or, for the last reference, the
** page itself).  Shared views stay shared: the child maps the same
** segment.  A page of a view is not copied into the child's tables: its
** first touch there finds it through the view (Linux's dup_mmap skips
** the PTEs of mappings without anonymous pages the same way).
**
** INVARIANTS: everything fork needs -- the child's top table, VAD nodes,
** page-table frames, clone pages and references, working-set room, the
** descriptor table -- is taken before the parent changes (FRK1), so a
** failed fork changes nothing.
**
** TRANSITIONS:
**   private page (valid, transition, pagefile) -> clone page   vm_fork()
*/
#include <stdlib.h>
#include <string.h>
#include "machine.h"

/* ---- counting what fork needs ----------------------------------------------------- */

struct fork_need {
    uint64_t clone_pages, clone_refs, ws, vads;
};

/* A page of a view that fork copies: a private copy (COW views), or a
** clone page a private copy became at an earlier fork. */
static int private_in_view(const vml_machine *m, uint64_t pte)
{
    uint64_t id;
    switch (pte_kind(m->pm, pte)) {
    case VML_PTE_VALID: {
        vml_pfn pfn = pg_frame(m->pm, pte) >> 12;
        if (pfn == m->zero_pfn)
            return 0;
        return !pfn_is_proto(m, pfn) ||
               (proto_id_of_va(m, m->pfn[pfn].pte_pa, &id) == 0 && proto_is_clone(m, id));
    }
    case VML_PTE_TRANSITION:
    case VML_PTE_PAGEFILE:
        return 1;
    case VML_PTE_PROTOTYPE:
        return proto_is_clone(m, sw_proto_id(m->pm, pte));
    default:
        return 0;
    }
}

static void count_page(void *ctx, vml_proc *p, vml_va va, vml_pa pte_pa, uint64_t pte)
{
    struct fork_need *n = ctx;
    vml_machine *m = p->m;
    (void)va;
    (void)pte_pa;
    switch (pte_kind(m->pm, pte)) {
    case VML_PTE_VALID: {
        vml_pfn pfn = pg_frame(m->pm, pte) >> 12;
        uint64_t id;
        if (pfn == m->zero_pfn)
            return;
        if (!pfn_is_proto(m, pfn)) {
            n->clone_pages++;
            n->clone_refs += 2;
            n->ws++;
        } else if (proto_id_of_va(m, m->pfn[pfn].pte_pa, &id) == 0 && proto_is_clone(m, id)) {
            n->clone_refs++;
            n->ws++;
        }
        return;
    }
    case VML_PTE_TRANSITION:
    case VML_PTE_PAGEFILE:
        n->clone_pages++;
        n->clone_refs += 2;
        return;
    case VML_PTE_PROTOTYPE:
        n->clone_refs += proto_is_clone(m, sw_proto_id(m->pm, pte));
        return;
    default:
        return;
    }
}

/* ---- copying one page -------------------------------------------------------------- */

struct fork_ctx {
    vml_proc         *child;
    const struct vad *v;
    int               failed;
};

/* The parent's private page at va becomes clone page id. */
static uint64_t make_clone(vml_proc *p, vml_va va, vml_pa pte_pa, uint64_t pte, unsigned prot)
{
    vml_machine *m = p->m;
    const struct pg_mode *pm = m->pm;
    vml_pfn pfn = pg_frame(pm, pte) >> 12;
    uint64_t id;
    switch (pte_kind(pm, pte)) {
    case VML_PTE_VALID: {
        struct pfn_entry *e = &m->pfn[pfn];
        uint64_t slot = frame_orig_slot(m, pfn);
        uint32_t ws_slot = ws_find(p, va, pfn);
        if (pte & PG_D) {         /* the page is dirty: its pagefile copy is stale */
            e->flags |= VML_PFN_MODIFIED;
            if (slot != UINT64_MAX)
                pf_free_slot(m, slot);
            slot = UINT64_MAX;
        }
        id = clone_alloc(m, proto_valid(pfn));
        e->flags |= VML_PFN_PROTOTYPE;
        e->pte_pa = proto_va(m, id);
        e->orig_pte = slot != UINT64_MAX ? proto_pagefile(slot) : 0;
        ws_to_hash(p, ws_slot);
        /* read-only, copy-on-write; A kept, D moved to the frame */
        pt_write(p, va, pte_pa, pte_make_valid(pm, pfn, prot, PTE_MK_COW) | (pte & PG_A));
        as_invalidate(p, va);
        break;
    }
    case VML_PTE_TRANSITION: {
        struct pfn_entry *e = &m->pfn[pfn];
        uint64_t slot = sw_slot(pm, e->orig_pte);
        id = clone_alloc(m, proto_transition(pfn));
        e->flags |= VML_PFN_PROTOTYPE;
        e->pte_pa = proto_va(m, id);
        e->orig_pte = slot != UINT64_MAX ? proto_pagefile(slot) : 0;
        pt_write(p, va, pte_pa, sw_proto(pm, id, prot));
        break;
    }
    default:   /* VML_PTE_PAGEFILE: the slot moves to the clone page */
        id = clone_alloc(m, proto_pagefile(sw_slot(pm, pte)));
        pt_write(p, va, pte_pa, sw_proto(pm, id, prot));
        p->st.swap_pages--;
        break;
    }
    clone_ref_add(m, id, p->pid, va);
    return id;
}

static void copy_page(void *ctx, vml_proc *p, vml_va va, vml_pa pte_pa, uint64_t pte)
{
    struct fork_ctx *fx = ctx;
    vml_proc *c = fx->child;
    vml_machine *m = p->m;
    const struct pg_mode *pm = m->pm;
    unsigned prot;
    uint64_t id, child_pte;
    vml_pa child_pa;
    int valid = 0;

    if (fx->failed || pte == 0)
        return;
    page_state(p, fx->v, va, pte, &prot);
    if (fx->v->seg && !private_in_view(m, pte)) {
        /* A view's shared page: the child finds it through its view, unless
        ** this page carries a protection of its own. */
        if ((pte & PG_P) || pte_kind(pm, pte) == VML_PTE_PROTOTYPE) {
            if (prot == vad_mmprot(fx->v))
                return;
            id = (pte & PG_P) ? 0 : sw_proto_id(pm, pte);
            if (id == 0 && proto_id_of_va(m, m->pfn[pg_frame(pm, pte) >> 12].pte_pa, &id) != 0)
                return;
            child_pte = sw_proto(pm, id, prot);
        } else {
            child_pte = pte;
        }
    } else {
        switch (pte_kind(pm, pte)) {
        case VML_PTE_VALID: {
            vml_pfn pfn = pg_frame(pm, pte) >> 12;
            if (pfn == m->zero_pfn) {
                child_pte = pte & ~(uint64_t)(PG_A | PG_D);
                c->st.zero_page_maps++;
                m->st.zero_page_maps++;
                break;
            }
            if (!pfn_is_proto(m, pfn))
                id = make_clone(p, va, pte_pa, pte, prot);
            else if (proto_id_of_va(m, m->pfn[pfn].pte_pa, &id) != 0)
                return;
            clone_ref_add(m, id, c->pid, va);
            valid = 1;
            child_pte = pfn;           /* mapped below */
            break;
        }
        case VML_PTE_TRANSITION:
        case VML_PTE_PAGEFILE:
            id = make_clone(p, va, pte_pa, pte, prot);
            clone_ref_add(m, id, c->pid, va);
            child_pte = sw_proto(pm, id, prot);
            break;
        case VML_PTE_PROTOTYPE:
            id = sw_proto_id(pm, pte);
            if (proto_is_clone(m, id))
                clone_ref_add(m, id, c->pid, va);
            child_pte = pte;
            break;
        default:
            child_pte = pte;           /* demand-zero, decommitted */
            break;
        }
    }
    if (pt_slot_make(c, va, &child_pa) != VML_OK) {
        fx->failed = 1;                /* (counted first: cannot happen) */
        return;
    }
    if (valid)     /* old and clean in the child (copy_present_pte: pte_mkold) */
        page_map(c, va, child_pa, (vml_pfn)child_pte, prot, PAGE_MAP_COW);
    else
        pt_write(c, va, child_pa, child_pte);
}

/* ---- fork -------------------------------------------------------------------------------- */

/* The personalities' records of a forked child: Linux's mm_struct fields
** and malloc state as the parent's; of the threads only the one that
** forked (the first); the heaps, whose memory the child has a copy of. */
static vml_status os_dup(vml_machine *m, const struct vm_osproc *from, struct vm_osproc *to)
{
    struct vm_thread *t = NULL;
    vml_va *h = NULL;
    if (from->n_threads && (t = mm_calloc(m, 1, sizeof *t)) == NULL)
        return VML_E_NOMEM;
    if (from->n_heaps && (h = mm_calloc(m, from->n_heaps, sizeof *h)) == NULL) {
        free(t);
        return VML_E_NOMEM;
    }
    *to = *from;
    to->threads = t;
    to->n_threads = to->cap_threads = from->n_threads ? 1 : 0;
    if (t) {
        *t = from->threads[0];
        t->tid = ++m->next_tid;        /* the child's thread is a new one */
    }
    to->heaps = h;
    to->n_heaps = to->cap_heaps = from->n_heaps;
    if (h)
        memcpy(h, from->heaps, from->n_heaps * sizeof *h);
    return VML_OK;
}

vml_status vm_fork(vml_proc *parent, const char *name, vml_proc **out)
{
    vml_machine *m = parent->m;
    struct fork_need need = { 0 };
    vml_proc *c;
    vml_status st;

    for (struct vad *v = vad_first(&parent->vads); v; v = vad_next(v)) {
        if (v->inherit == VAD_INHERIT_NONE)
            continue;
        need.vads++;
        if (v->seg && !v->cow)
            continue;                  /* shared: nothing of it is copied */
        pt_visit(parent, v->start_vpn << 12, (v->end_vpn + 1) << 12, count_page, &need);
    }
    /* FRK1: everything first.  Tables: the child needs at most the parent's. */
    if (pfn_available(m) < parent->st.pt_pages + 1)
        return mm_fail(m, VML_E_NO_FRAMES, "fork needs %llu frames for page tables, %llu are "
                       "available", (unsigned long long)(parent->st.pt_pages + 1),
                       (unsigned long long)pfn_available(m));
    struct vad **nodes = mm_calloc(m, need.vads + 1, sizeof *nodes);
    if (nodes == NULL)
        return VML_E_NOMEM;
    for (uint64_t i = 0; i < need.vads; i++)
        if ((nodes[i] = vm_vad_alloc(m)) == NULL) {
            st = VML_E_NOMEM;
            goto fail_nodes;
        }
    if ((st = clone_reserve(m, need.clone_pages, need.clone_refs)) != VML_OK ||
        (st = ws_reserve_shared(parent, need.ws)) != VML_OK)
        goto fail_nodes;
    if ((st = mm_proc_new(m, name, &c)) != VML_OK)
        goto fail_nodes;
    if ((st = ws_reserve_n(c, need.ws)) != VML_OK ||
        (st = handle_table_dup(m, &parent->fds, &c->fds)) != VML_OK ||
        (st = os_dup(m, &parent->os, &c->os)) != VML_OK) {
        mm_proc_delete(c);
        goto fail_nodes;
    }

    /* From here on nothing fails. */
    c->ppid = parent->pid;
    c->mem_priority = parent->mem_priority;
    c->ws.min_pages = parent->ws.min_pages;
    c->ws.max_pages = parent->ws.max_pages;
    uint64_t k = 0;
    for (struct vad *v = vad_first(&parent->vads); v; v = vad_next(v)) {
        if (v->inherit == VAD_INHERIT_NONE)
            continue;
        struct vad *cv = nodes[k++];
        *cv = *v;
        cv->left = cv->right = cv->parent = NULL;
        cv->next_view = NULL;
        cv->commit_pages = 0;
        vm_insert(c, cv);
        vm_stat_commit(c, cv, (int64_t)v->commit_pages);
        if (v->seg) {
            seg_ref(v->seg);
            seg_view_add(v->seg, cv);
            if (v->section)
                section_ref(v->section);
        }
        struct fork_ctx fx = { c, v, 0 };
        pt_visit(parent, v->start_vpn << 12, (v->end_vpn + 1) << 12, copy_page, &fx);
        if (fx.failed)
            mm_corrupt(m, "FRK1: fork ran out of what it had counted");
    }
    free(nodes);
    m->st.forks++;
    if (mm_tracing(m)) {
        vml_event ev = { .type = VML_EV_FORK, .pid = parent->pid, .pfn = VML_PFN_NONE,
                         .count = c->pid, .new_pte = need.clone_pages, .what = "fork" };
        mm_emit(m, &ev);
    }
    *out = c;
    return VML_OK;

fail_nodes:
    for (uint64_t i = 0; i < need.vads; i++)
        free(nodes[i]);
    free(nodes);
    return st;
}

/* ---- copies into and out of a process ---------------------------------------------------- */

uint64_t vm_copy(vml_proc *caller, vml_proc *target, vml_va addr, void *buf, uint64_t size,
                 unsigned access, int force, vml_exception *ex)
{
    vml_machine *m = target->m;
    unsigned cpu = caller->last_cpu;
    uint8_t *b = buf;
    uint64_t copied = 0;
    /* The caller's CPU attaches to the target's address space
    ** (KeStackAttachProcess: a CR3 load) and comes back at the end. */
    as_switch(m, cpu, target);
    while (copied < size) {
        vml_va va = addr + copied;
        uint64_t chunk = VML_PAGE_SIZE - (va & (VML_PAGE_SIZE - 1));
        vml_va page = va & ~(vml_va)(VML_PAGE_SIZE - 1);
        vml_pa pa;
        unsigned restore = 0, cur;
        struct vad *v = NULL;
        if (chunk > size - copied)
            chunk = size - copied;
        if (access == VML_ACCESS_WRITE && force && (v = vad_find(&target->vads, va >> 12)) &&
            vm_page_protection(target, v, va, &cur) && !mmprot_noaccess(cur) &&
            !mmprot_guard(cur) && !mmprot_can_write(cur) &&
            pfn_available(m) >= vm_protect_tables_needed(target, v, page, page + VML_PAGE_SIZE,
                                                         MM_READWRITE) + 1) {
            /* kernel32!WriteProcessMemory makes a read-only page writable
            ** for the copy and restores it: writing code into another
            ** process works without VirtualProtectEx.  A shared page is
            ** made copy-on-write, so the others keep theirs. */
            unsigned x = mmprot_executable(cur);
            unsigned tmp = v->seg ? (x ? MM_EXECUTE_WRITECOPY : MM_WRITECOPY)
                                  : (x ? MM_EXECUTE_READWRITE : MM_READWRITE);
            restore = cur | 0x100u;
            vm_protect(target, v, page, 1, tmp);
        }
        int ok = acc_translate(target, cpu, va, access, &pa, ex) == 0;
        if (ok)
            acc_copy(m, pa, b + copied, (size_t)chunk, access);
        if (restore)
            vm_protect(target, v, page, 1, restore & 0xFFu);
        if (!ok)
            break;
        copied += chunk;
    }
    as_switch(m, cpu, caller);
    return copied;
}

void vm_populate(vml_proc *p, vml_va va, uint64_t n_pages, int write)
{
    /* Prefault, with write faults when writable (populate_vma_page_range). */
    unsigned access = write ? VML_ACCESS_WRITE : VML_ACCESS_READ;
    for (uint64_t i = 0; i < n_pages; i++) {
        vml_pa pa;
        vml_exception ex;
        as_switch(p->m, p->last_cpu, p);
        if (acc_translate(p, p->last_cpu, va + (i << 12), access, &pa, &ex) != 0)
            break;
    }
}
