/*
** aspace.c -- address spaces: page tables that live in simulated frames,
** the kernel half shared by every process, context switches, PCIDs and
** TLB invalidation (shootdowns).
**
** INVARIANTS (checked by as_check(); cite the ID in assertions):
**   AS1  Every page-table frame is active, flagged VML_PFN_PAGETABLE with
**        its level, and its share_count equals its number of non-zero
**        entries; a non-top table's pte_pa is the parent entry pointing
**        at it, a top table's orig_pte its process's pid.
**   AS2  A process's pt_pages counts its table frames, top one included;
**        the system's pt_pages is their sum plus the kernel's tables.
**   AS3  The kernel half of every process's top table equals the
**        template's.
**   MCH2 (as_pcid_check(), for machine.c) PCIDs: see there.
**
** TRANSITIONS:
**   no tables  -> top table        as_create()
**   top table  -> freed            as_destroy()
**   CPU CR3 A -> B                 as_switch()   (flushes without PCIDs)
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "machine.h"

#define KERNEL_IMAGE_PAGES 16

static uint64_t kernel_table_bits(const vml_machine *m, unsigned level)
{
    /* PAE PDPTEs take only P (RW/US are reserved there, SDM Table 4-8). */
    if (pg_is_pdpte_pae(m->pm, level + 1))
        return PG_P;
    return PG_P | PG_RW;
}

/* A zeroed frame for a page table of the given level. */
static vml_pfn table_alloc(vml_machine *m, unsigned level, unsigned flags, unsigned pid)
{
    vml_pfn pfn = m->take_table_frame(m, pid);
    if (pfn == VML_PFN_NONE)
        return pfn;
    m->pfn[pfn].flags = (uint8_t)(VML_PFN_PAGETABLE | flags);
    m->pfn[pfn].pt_level = (uint8_t)level;
    m->st.pt_pages++;
    return pfn;
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

/* ---- the kernel half ----------------------------------------------------------- */

/* The template top-level table: its kernel slots are copied into every
** process, so the tables below them are shared.  The kernel image is
** mapped global, supervisor-only: 8 pages of code (read-only, executable),
** 8 of data (read/write, NX). */
vml_status as_kernel_init(vml_machine *m)
{
    const struct pg_mode *pm = m->pm;
    vml_va image = m->layout.kernel_base +
                   (pm->va_bits == 32 ? 0x400000 : UINT64_C(0x780000000000));
    vml_pfn top = table_alloc(m, pm->levels, VML_PFN_KERNEL, 0);
    if (top == VML_PFN_NONE)
        return VML_E_NO_FRAMES;
    m->kernel_top_pfn = top;
    m->kernel_first = pg_index(pm, pm->levels, m->layout.kernel_base);
    m->kernel_last = (unsigned)pg_entries(pm, pm->levels) - 1;

    /* PAE: every kernel PDPTE gets its PD now, so all processes share them
    ** (a PDPTE cannot be added later without reloading every CR3). */
    if (pm->id == VML_PAGING_PAE)
        for (unsigned i = m->kernel_first; i <= m->kernel_last; i++) {
            vml_pfn pd = table_alloc(m, 2, VML_PFN_KERNEL, 0);
            if (pd == VML_PFN_NONE)
                return VML_E_NO_FRAMES;
            vml_pa epa = ((vml_pa)top << 12) + (vml_pa)i * 8;
            pt_entry_write(m, epa, ((uint64_t)pd << 12) | PG_P);
            m->pfn[top].share_count++;
            m->pfn[pd].pte_pa = epa;
        }

    for (unsigned i = 0; i < KERNEL_IMAGE_PAGES; i++) {
        vml_va va = image + (vml_va)i * VML_PAGE_SIZE;
        struct pt_pos pos;
        for (pt_find(m, top, va, &pos); pos.level > 1; pt_find(m, top, va, &pos)) {
            vml_pfn t = table_alloc(m, pos.level - 1, VML_PFN_KERNEL, 0);
            if (t == VML_PFN_NONE)
                return VML_E_NO_FRAMES;
            pt_entry_write(m, pos.slot, ((uint64_t)t << 12) | kernel_table_bits(m, pos.level - 1));
            m->pfn[pos.slot >> 12].share_count++;
            m->pfn[t].pte_pa = pos.slot;
        }
        vml_pfn page = m->take_table_frame(m, 0);
        if (page == VML_PFN_NONE)
            return VML_E_NO_FRAMES;
        vml_pa pte_pa = pos.slot;
        uint64_t pte = ((uint64_t)page << 12) | PG_P | PG_G | PG_A;
        if (i < KERNEL_IMAGE_PAGES / 2) {
            /* code: read-only, executable */
        } else {
            pte |= PG_RW | PG_D | (pm->has_nx ? PG_NX : 0);
        }
        pt_entry_write(m, pte_pa, pte);
        m->pfn[pte_pa >> 12].share_count++;
        m->pfn[page].pte_pa = pte_pa;
        m->pfn[page].share_count = 1;
        m->pfn[page].flags = VML_PFN_KERNEL;
        m->pfn[page].orig_pte = sw_demand_zero(i < KERNEL_IMAGE_PAGES / 2 ? MM_EXECUTE_READ
                                                                            : MM_READWRITE);
        /* Something recognisable in the image: its own address. */
        phys_write64(&m->phys, (vml_pa)page << 12, va);
        m->st.kernel_pages++;
    }
    return VML_OK;
}

/* ---- process tables ---------------------------------------------------------------- */

vml_status as_create(vml_proc *p)
{
    vml_machine *m = p->m;
    const struct pg_mode *pm = m->pm;
    vml_pfn top = table_alloc(m, pm->levels, 0, p->pid);
    if (top == VML_PFN_NONE)
        return VML_E_NO_FRAMES;
    vml_pa src = (vml_pa)m->kernel_top_pfn << 12, dst = (vml_pa)top << 12;
    for (unsigned i = m->kernel_first; i <= m->kernel_last; i++) {
        uint64_t e = pte_read(m, src + (vml_pa)i * pm->entry_size);
        if (e) {
            pt_entry_write(m, dst + (vml_pa)i * pm->entry_size, e);
            m->pfn[top].share_count++;
        }
    }
    p->top_pfn = top;
    m->pfn[top].orig_pte = p->pid;    /* AS1: the owner of every PTE below */
    /* PAE CR3 holds the PDPT's 32-byte aligned address; ours is page aligned. */
    p->cr3 = dst;
    p->st.pt_pages = 1;
    table_event(m, VML_EV_PT_ALLOC, p->pid, 0, top, pm->levels);
    return VML_OK;
}

void as_destroy(vml_proc *p)
{
    vml_machine *m = p->m;
    /* Callers have released every VAD, which freed every user table below
    ** the top.  What remains is the top table itself. */
    for (unsigned c = 0; c < m->n_cpus; c++)
        if (m->cpu_proc[c] == p) {
            m->cpus[c].cr3 = 0;
            m->cpu_proc[c] = NULL;
            m->cpus[c].st.flushes++;
            tlb_flush(&m->cpus[c].tlb, 0, 1, 0);
        }
    as_pcid_release(m, p);
    table_event(m, VML_EV_PT_FREE, p->pid, 0, p->top_pfn, m->pm->levels);
    m->pfn[p->top_pfn].share_count = 0;
    pfn_free(m, p->top_pfn, p->pid);
    m->st.pt_pages--;
    p->st.pt_pages = 0;
}

void as_invalidate(vml_proc *p, vml_va va)
{
    vml_machine *m = p->m;
    uint64_t mask = p->cpu_mask;
    int remote = 0;
    for (unsigned c = 0; mask && c < m->n_cpus; c++) {
        if (!(mask >> c & 1))
            continue;
        struct cpu *cpu = &m->cpus[c];
        tlb_invlpg(&cpu->tlb, va, p->pcid);
        cpu->st.invlpgs++;
        if (c != p->last_cpu) {
            cpu->st.ipis++;
            m->st.ipis++;
            remote = 1;
        }
        if (mm_tracing(m)) {
            vml_event ev = { .type = c != p->last_cpu ? VML_EV_IPI : VML_EV_TLB_INVLPG,
                             .pid = p->pid, .cpu = c, .va = va,
                             .what = c != p->last_cpu ? "shootdown" : "invlpg" };
            mm_emit(m, &ev);
        }
    }
    m->st.shootdowns += (unsigned)remote;
}

/* ---- PCIDs ---------------------------------------------------------------------- */

/* PCID 0 is never a process's: it tags the entries of a CPU with PCIDs off
** and stands for "none" in vml_proc.pcid.  Live processes hold distinct
** PCIDs (MCH2); with more than 4095 of them, the PCID of the process that
** ran least recently and is loaded on no CPU is taken back, its entries
** flushed on every CPU first -- as Linux recycles its per-CPU ASIDs with a
** flush (arch/x86/mm/tlb.c, choose_new_asid()), so no translation of one
** address space is ever found under another's tag. */
#define PCID_COUNT 4096u

static int pcid_held(const vml_machine *m, unsigned pcid)
{
    return (m->pcid_map[pcid / 64] >> (pcid % 64)) & 1;
}

unsigned as_pcid_take_free(vml_machine *m)
{
    for (unsigned w = 0; w < PCID_COUNT / 64; w++) {
        uint64_t free_bits = ~m->pcid_map[w] & (w == 0 ? ~UINT64_C(1) : UINT64_MAX);
        if (free_bits) {
            unsigned pcid = w * 64 + (unsigned)__builtin_ctzll(free_bits);
            m->pcid_map[w] |= UINT64_C(1) << (pcid % 64);
            /* A PCID given back by a process that died was flushed then;
            ** flush again so the rule is local: a new holder starts clean. */
            for (unsigned c = 0; c < m->n_cpus; c++)
                tlb_flush(&m->cpus[c].tlb, pcid, 0, 0);
            return pcid;
        }
    }
    return 0;
}

void as_pcid_release(vml_machine *m, vml_proc *p)
{
    if (p->pcid == 0)
        return;
    for (unsigned c = 0; c < m->n_cpus; c++)
        tlb_flush(&m->cpus[c].tlb, p->pcid, 0, 0);
    m->pcid_map[p->pcid / 64] &= ~(UINT64_C(1) << (p->pcid % 64));
    p->pcid = 0;
    p->cpu_mask = 0;    /* no CPU holds an entry of it any more */
}

static int loaded_anywhere(const vml_machine *m, const vml_proc *p)
{
    for (unsigned c = 0; c < m->n_cpus; c++)
        if (m->cpu_proc[c] == p)
            return 1;
    return 0;
}

/* p holds no PCID: a free one, or the least recently run idle holder's. */
static void pcid_assign(vml_machine *m, vml_proc *p)
{
    vml_proc *victim = NULL;
    p->pcid = as_pcid_take_free(m);
    if (p->pcid != 0)
        return;
    for (size_t i = 0; i < m->n_procs; i++) {
        vml_proc *q = m->procs[i];
        if (q->pcid != 0 && !loaded_anywhere(m, q) &&
            (victim == NULL || q->switched < victim->switched))
            victim = q;
    }
    /* (At most 64 CPUs hold a process each: with 4095 holders there is
    ** always an idle one.) */
    unsigned pcid = victim->pcid;
    as_pcid_release(m, victim);
    m->pcid_map[pcid / 64] |= UINT64_C(1) << (pcid % 64);
    p->pcid = pcid;
}

int as_pcid_check(vml_machine *m, char *msg, size_t size)
{
    uint64_t seen[PCID_COUNT / 64] = { 0 };
    int on = (m->cfg.flags & VML_CFG_PCID) != 0;
    for (size_t i = 0; i < m->n_procs; i++) {
        const vml_proc *p = m->procs[i];
        if (p->pcid == 0)
            continue;
        if (!on || p->pcid >= PCID_COUNT || (seen[p->pcid / 64] >> (p->pcid % 64)) & 1 ||
            !pcid_held(m, p->pcid)) {
            snprintf(msg, size, "MCH2: pid %u holds PCID %u, which %s", p->pid, p->pcid,
                     !on ? "a machine without PCIDs has no use for"
                     : p->pcid >= PCID_COUNT ? "does not exist"
                     : !pcid_held(m, p->pcid) ? "the PCID map says is free"
                     : "another live process holds too");
            return -1;
        }
        seen[p->pcid / 64] |= UINT64_C(1) << (p->pcid % 64);
    }
    for (unsigned w = 0; w < PCID_COUNT / 64; w++)
        if (seen[w] != m->pcid_map[w]) {
            snprintf(msg, size, "MCH2: the PCID map holds %#llx in word %u, live processes %#llx",
                     (unsigned long long)m->pcid_map[w], w, (unsigned long long)seen[w]);
            return -1;
        }
    for (unsigned c = 0; c < m->n_cpus; c++) {
        const vml_proc *p = m->cpu_proc[c];
        if (on && p != NULL && (p->pcid == 0 || m->cpus[c].pcid != p->pcid)) {
            snprintf(msg, size, "MCH2: cpu%u runs pid %u with PCID %u, the process holds %u", c,
                     p->pid, m->cpus[c].pcid, p->pcid);
            return -1;
        }
    }
    return 0;
}

/* ---- context switches ------------------------------------------------------------- */

void as_switch(vml_machine *m, unsigned cpu, vml_proc *p)
{
    struct cpu *c = &m->cpus[cpu];
    vml_proc *old = m->cpu_proc[cpu];
    p->last_cpu = cpu;
    if (old == p)
        return;
    int pcid = (m->cfg.flags & VML_CFG_PCID) != 0;
    p->switched = ++m->switch_clock;
    if (pcid && p->pcid == 0)
        pcid_assign(m, p);
    c->cr3 = p->cr3;
    c->pcid = p->pcid;
    c->st.cr3_loads++;
    m->cpu_proc[cpu] = p;
    if (!pcid) {
        /* MOV to CR3 without PCIDs drops every non-global entry (SDM 4.10.4.1). */
        tlb_flush(&c->tlb, 0, 1, 0);
        c->st.flushes++;
        if (old)
            old->cpu_mask &= ~(UINT64_C(1) << cpu);
    }
    p->cpu_mask |= UINT64_C(1) << cpu;
    if (mm_tracing(m)) {
        vml_event ev = { .type = VML_EV_CR3_LOAD, .pid = p->pid, .cpu = cpu,
                         .pte_pa = p->cr3, .what = pcid ? "pcid kept" : "non-global flushed" };
        mm_emit(m, &ev);
    }
}

/* ---- check ------------------------------------------------------------------------------ */

struct check_ctx {
    vml_machine *m;
    vml_proc    *p;
    as_leaf_fn   leaf;
    void        *leaf_ctx;
    char        *msg;
    size_t       size;
    uint64_t     pt;
};

static int check_table(struct check_ctx *cx, vml_pfn table, unsigned level, vml_va base,
                       vml_pa parent_epa)
{
    vml_machine *m = cx->m;
    const struct pg_mode *pm = m->pm;
    const struct pfn_entry *t = &m->pfn[table];
    unsigned n_entries = (unsigned)pg_entries(pm, level), nonzero = 0;
    int top = level == pm->levels;

    if (t->list != VML_LIST_ACTIVE || !(t->flags & VML_PFN_PAGETABLE) || t->pt_level != level ||
        (!top && t->pte_pa != parent_epa) || (top && t->orig_pte != cx->p->pid)) {
        snprintf(cx->msg, cx->size, "AS1: pid %u table pfn %#llx level %u: list %s flags %#x "
                 "level %u pte_pa %#llx (expected %#llx) owner %llu",
                 cx->p->pid, (unsigned long long)table, level, vml_list_name(t->list), t->flags,
                 t->pt_level, (unsigned long long)t->pte_pa, (unsigned long long)parent_epa,
                 (unsigned long long)t->orig_pte);
        return -1;
    }
    cx->pt++;
    for (unsigned i = 0; i < n_entries; i++) {
        vml_pa epa = ((vml_pa)table << 12) + (vml_pa)i * pm->entry_size;
        uint64_t e = pte_read(m, epa);
        if (e)
            nonzero++;
        if (top && i >= m->kernel_first) {
            uint64_t k = pte_read(m, ((vml_pa)m->kernel_top_pfn << 12) + (vml_pa)i * pm->entry_size);
            if (k != e) {
                snprintf(cx->msg, cx->size, "AS3: pid %u kernel slot %u is %#llx, template %#llx",
                         cx->p->pid, i, (unsigned long long)e, (unsigned long long)k);
                return -1;
            }
            continue;
        }
        vml_va va = base + (vml_va)i * pg_span(pm, level);
        if (level > 1) {
            if ((e & PG_P) && check_table(cx, pg_frame(pm, e) >> 12, level - 1, va, epa))
                return -1;
            continue;
        }
        if (e && cx->leaf && cx->leaf(cx->leaf_ctx, cx->p, va, epa, e))
            return -1;
    }
    if (nonzero != t->share_count) {
        snprintf(cx->msg, cx->size, "AS1: pid %u table pfn %#llx level %u has %u non-zero entries, "
                 "share_count %u", cx->p->pid, (unsigned long long)table, level, nonzero,
                 t->share_count);
        return -1;
    }
    return 0;
}

int as_check_proc(vml_machine *m, vml_proc *p, as_leaf_fn leaf, void *leaf_ctx, char *msg,
                  size_t size)
{
    struct check_ctx cx = { m, p, leaf, leaf_ctx, msg, size, 0 };
    if (check_table(&cx, p->top_pfn, m->pm->levels, 0, 0))
        return -1;
    if (cx.pt != p->st.pt_pages) {
        snprintf(msg, size, "AS2: pid %u counts %llu page tables, holds %llu", p->pid,
                 (unsigned long long)p->st.pt_pages, (unsigned long long)cx.pt);
        return -1;
    }
    return 0;
}

int as_check(vml_machine *m, char *msg, size_t size)
{
    uint64_t pt_total = 0, kernel_pt = 0;
    for (vml_pfn f = 0; f < m->n_frames; f++)
        if ((m->pfn[f].flags & (VML_PFN_PAGETABLE | VML_PFN_KERNEL)) ==
                (VML_PFN_PAGETABLE | VML_PFN_KERNEL) && m->pfn[f].list == VML_LIST_ACTIVE)
            kernel_pt++;
    for (size_t i = 0; i < m->n_procs; i++)
        pt_total += m->procs[i]->st.pt_pages;
    if (pt_total + kernel_pt != m->st.pt_pages) {
        snprintf(msg, size, "AS2: system counts %llu page tables, processes and kernel hold %llu",
                 (unsigned long long)m->st.pt_pages, (unsigned long long)(pt_total + kernel_pt));
        return -1;
    }
    return 0;
}
