/*
** pt.c -- page tables in simulated frames: the memory manager's one walker
** (pt_find) and everything built on it -- leaf slots, table creation,
** range visits, table counts -- and the PTE writes that keep each table's
** share count.
**
** A table frame's PFN entry: VML_PFN_PAGETABLE, pt_level 1..5, pte_pa the
** parent entry pointing at it (a top-level table has none: its orig_pte
** holds the pid of the process it belongs to, so a PTE's owner is found
** without searching every process).
**
** INVARIANTS (checked with every process's tables by as_check()):
**   AS1 (see aspace.c) a table's share_count is its number of non-zero
**       entries; PT1 below is how pt_write() keeps it.
**   PT1 A user table other than the top one is freed as soon as its last
**       entry clears, and its parent entry is cleared with it.
**
** TRANSITIONS:
**   table missing -> present   pt_slot_make()   (PT_ALLOC event)
**   table present -> freed     pt_write() when its last entry clears;
**                              pt_prune() when it never had one
*/
#include "machine.h"

void pt_entry_write(vml_machine *m, vml_pa pa, uint64_t v)
{
    if (m->pm->entry_size == 8)
        phys_write64(&m->phys, pa, v);
    else
        phys_write32(&m->phys, pa, (uint32_t)v);
}

/* The walker.  Levels count from the bottom: 1 = PT ... levels = top. */
void pt_find(const vml_machine *m, vml_pfn top_pfn, vml_va va, struct pt_pos *pos)
{
    const struct pg_mode *pm = m->pm;
    vml_pa table = (vml_pa)top_pfn << 12;
    unsigned level = pm->levels;
    for (;;) {
        vml_pa epa = table + (vml_pa)pg_index(pm, level, va) * pm->entry_size;
        if (level == 1) {
            pos->level = 1;
            pos->slot = epa;
            return;
        }
        uint64_t e = pte_read(m, epa);
        if (!(e & PG_P)) {
            pos->level = level;
            pos->slot = epa;
            return;
        }
        table = pg_frame(pm, e);
        level--;
    }
}

vml_pa pt_slot(const struct vml_proc *p, vml_va va)
{
    struct pt_pos pos;
    pt_find(p->m, p->top_pfn, va, &pos);
    return pos.level == 1 ? pos.slot : 0;
}

unsigned pt_tables_missing(const struct vml_proc *p, vml_va va)
{
    struct pt_pos pos;
    pt_find(p->m, p->top_pfn, va, &pos);
    return pos.level - 1;
}

static uint64_t table_entry_bits(const vml_machine *m, unsigned level)
{
    /* PAE PDPTEs take only P (RW/US are reserved there, SDM Table 4-8). */
    if (pg_is_pdpte_pae(m->pm, level + 1))
        return PG_P;
    return PG_P | PG_RW | PG_US;
}

static void table_event(vml_machine *m, vml_event_type type, unsigned pid, vml_va va,
                        vml_pfn pfn, unsigned level)
{
    if (!mm_tracing(m))
        return;
    vml_event ev = { .type = type, .pid = pid, .va = va, .pfn = pfn, .level = level,
                     .what = m->pm->level_name[level] };
    mm_emit(m, &ev);
}

vml_status pt_slot_make(struct vml_proc *p, vml_va va, vml_pa *pte_pa)
{
    vml_machine *m = p->m;
    struct pt_pos pos;
    for (;;) {
        pt_find(m, p->top_pfn, va, &pos);
        if (pos.level == 1) {
            *pte_pa = pos.slot;
            return VML_OK;
        }
        vml_pfn t = m->take_table_frame(m, p->pid);
        if (t == VML_PFN_NONE) {
            *pte_pa = 0;
            return VML_E_NO_FRAMES;
        }
        struct pfn_entry *e = &m->pfn[t];
        e->flags = VML_PFN_PAGETABLE;
        e->pt_level = (uint8_t)(pos.level - 1) & 0xF;
        e->pte_pa = pos.slot;
        m->st.pt_pages++;
        p->st.pt_pages++;
        table_event(m, VML_EV_PT_ALLOC, p->pid, va, t, pos.level - 1);
        pt_write(p, va, pos.slot, ((uint64_t)t << 12) | table_entry_bits(m, pos.level - 1));
    }
}

void pt_prune(struct vml_proc *p, vml_va va)
{
    vml_machine *m = p->m;
    struct pt_pos pos;
    pt_find(m, p->top_pfn, va, &pos);
    vml_pfn table = pos.slot >> 12;
    struct pfn_entry *t = &m->pfn[table];
    if (t->share_count != 0 || t->pt_level == m->pm->levels || (t->flags & VML_PFN_KERNEL))
        return;
    /* PT1 for a table no entry was ever written to: it goes, and clearing
    ** its parent entry frees the parents it leaves empty. */
    vml_pa parent = t->pte_pa;
    table_event(m, VML_EV_PT_FREE, p->pid, va, table, t->pt_level);
    pfn_free(m, table, p->pid);
    m->st.pt_pages--;
    p->st.pt_pages--;
    pt_write(p, va, parent, 0);
}

void pt_write(struct vml_proc *p, vml_va va, vml_pa pte_pa, uint64_t pte)
{
    vml_machine *m = p->m;
    for (;;) {
        uint64_t old = pte_read(m, pte_pa);
        vml_pfn table = pte_pa >> 12;
        struct pfn_entry *t = &m->pfn[table];
        pt_entry_write(m, pte_pa, pte);
        if (mm_tracing(m)) {
            vml_event ev = { .type = VML_EV_PTE_WRITE, .pid = p->pid, .va = va,
                             .pte_pa = pte_pa, .old_pte = old, .new_pte = pte,
                             .level = t->pt_level, .what = m->pm->level_name[t->pt_level] };
            mm_emit(m, &ev);
        }
        if ((old == 0) == (pte == 0))
            return;
        if (pte != 0) {
            t->share_count++;
            return;
        }
        t->share_count--;
        if (t->share_count > 0 || t->pt_level == m->pm->levels || (t->flags & VML_PFN_KERNEL))
            return;
        /* PT1: the table is empty: free it and clear the entry that points at it. */
        vml_pa parent = t->pte_pa;
        table_event(m, VML_EV_PT_FREE, p->pid, va, table, t->pt_level);
        t->share_count = 0;
        pfn_free(m, table, p->pid);
        m->st.pt_pages--;
        p->st.pt_pages--;
        pte_pa = parent;
        pte = 0;
    }
}

void pt_update(vml_machine *m, vml_pa pte_pa, uint64_t pte)
{
    pt_entry_write(m, pte_pa, pte);
}

uint64_t pt_tables_needed(const struct vml_proc *p, vml_va va, vml_va end)
{
    const vml_machine *m = p->m;
    const struct pg_mode *pm = m->pm;
    uint64_t needed = 0, last[6];
    for (unsigned l = 0; l < 6; l++)
        last[l] = UINT64_MAX;
    vml_va span = pg_span(pm, 2);
    for (vml_va at = va & ~(span - 1); at < end; at += span) {
        struct pt_pos pos;
        pt_find(m, p->top_pfn, at, &pos);
        /* entries missing at this level and below: one table each, shared
        ** by every address with the same prefix */
        for (unsigned l = pos.level; l >= 2; l--) {
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

vml_va pt_next_mapped(const struct vml_proc *p, vml_va va, vml_va end)
{
    const struct pg_mode *pm = p->m->pm;
    while (va < end) {
        struct pt_pos pos;
        pt_find(p->m, p->top_pfn, va, &pos);
        if (pos.level == 1)
            return va;
        vml_va next = (va | (pg_span(pm, pos.level) - 1)) + 1;
        if (next <= va)
            return end;
        va = next;
    }
    return end;
}

void pt_visit(struct vml_proc *p, vml_va va, vml_va end, pt_visit_fn fn, void *ctx)
{
    vml_machine *m = p->m;
    const struct pg_mode *pm = m->pm;
    while ((va = pt_next_mapped(p, va, end)) < end) {
        vml_pa table = pt_slot(p, va) & ~(vml_pa)0xFFF;
        vml_pfn tpfn = table >> 12;
        vml_va pt_end = (va | (pg_span(pm, 2) - 1)) + 1;
        if (pt_end > end || pt_end <= va)
            pt_end = end;
        for (; va < pt_end; va += VML_PAGE_SIZE) {
            vml_pa pte_pa = table + (vml_pa)pg_index(pm, 1, va) * pm->entry_size;
            fn(ctx, p, va, pte_pa, pte_read(m, pte_pa));
            if (m->pfn[tpfn].list != VML_LIST_ACTIVE || !(m->pfn[tpfn].flags & VML_PFN_PAGETABLE) ||
                m->pfn[tpfn].pt_level != 1) {
                va += VML_PAGE_SIZE;   /* the table was freed: walk again */
                break;
            }
        }
    }
}

int pt_locate(const vml_machine *m, vml_pa pte_pa, unsigned *pid, vml_va *va_out)
{
    const struct pg_mode *pm = m->pm;
    vml_pa epa = pte_pa;
    vml_va va = 0;
    for (unsigned level = 1; level <= pm->levels; level++) {
        vml_pfn table = epa >> 12;
        if (table >= m->n_frames)
            return -1;
        const struct pfn_entry *t = &m->pfn[table];
        if (!(t->flags & VML_PFN_PAGETABLE) || (t->flags & VML_PFN_KERNEL) ||
            t->pt_level != level || t->list != VML_LIST_ACTIVE)
            return -1;
        va |= (vml_va)((epa & 0xFFF) / pm->entry_size) << pg_shift(pm, level);
        if (level == pm->levels) {
            *pid = (unsigned)t->orig_pte;
            *va_out = va;
            return 0;
        }
        epa = t->pte_pa;
    }
    return -1;
}

unsigned pt_owner(const vml_machine *m, vml_pa pte_pa)
{
    vml_pfn table = pte_pa >> 12;
    for (unsigned guard = 0; guard < 6 && table < m->n_frames; guard++) {
        const struct pfn_entry *t = &m->pfn[table];
        if (!(t->flags & VML_PFN_PAGETABLE) || (t->flags & VML_PFN_KERNEL))
            return 0;
        if (t->pt_level == m->pm->levels)
            return (unsigned)t->orig_pte;
        table = t->pte_pa >> 12;
    }
    return 0;
}
