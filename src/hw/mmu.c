/*
** mmu.c -- the page walker and the translate path (SDM Vol. 3A, 4.3-4.8).
**
** INVARIANTS (of the walk; the CPU state is checked through tlb_check()):
**   M1  A translation is cached only after a walk that succeeded, and it
**       carries the permissions the walk combined: writable only if RW is
**       set at every level, user only if US is set at every level,
**       executable only if NX is clear at every level.
**   M2  A walk that faults writes nothing to memory and fills nothing.
**   M3  A cached entry has D only if the leaf's D was set by or before the
**       walk that filled it; a write through an entry without D walks again.
**
** TRANSITIONS:
**   PTE.A 0 -> 1   mmu_walk() on every entry it uses (not PAE PDPTEs)
**   PTE.D 0 -> 1   mmu_walk() on the leaf of a write
*/
#include "mmu.h"

static inline uint64_t entry_read(const struct pg_mode *pm, const struct phys *ph, vml_pa pa)
{
    return pm->entry_size == 8 ? phys_read64(ph, pa) : phys_read32(ph, pa);
}
static inline void entry_write(const struct pg_mode *pm, struct phys *ph, vml_pa pa, uint64_t v)
{
    if (pm->entry_size == 8)
        phys_write64(ph, pa, v);
    else
        phys_write32(ph, pa, (uint32_t)v);
}

/* The table address CR3 points at: PAE's PDPT is 32-byte aligned, the
** others are 4 KiB aligned (SDM Table 4-3, 4-7, 4-12). */
static inline vml_pa cr3_table(const struct pg_mode *pm, vml_pa cr3)
{
    return pm->id == VML_PAGING_PAE ? (cr3 & ~(vml_pa)0x1F) : (cr3 & pm->frame_mask);
}

static enum tlb_size size_code(const struct pg_mode *pm, unsigned level)
{
    if (level == 1)
        return TLB_4K;
    if (level == 3)
        return TLB_1G;
    return pm->id == VML_PAGING_LEGACY ? TLB_4M : TLB_2M;
}

/* Sets A in every entry the walk of va uses, and D in its leaf on a write:
** a second pass, taken only when some bit was clear (rare once warm). */
static void walk_set_ad(const struct pg_mode *pm, struct phys *ph, vml_pa table, vml_va va,
                        unsigned access)
{
    for (unsigned level = pm->levels; ; level--) {
        vml_pa epa = table + (vml_pa)pg_index(pm, level, va) * pm->entry_size;
        uint64_t e = entry_read(pm, ph, epa);
        int leaf = level == 1 || ((pm->large_levels >> level) & 1 && (e & PG_PS));
        if (!pg_is_pdpte_pae(pm, level)) {
            uint64_t nv = e | PG_A | (leaf && access == VML_ACCESS_WRITE ? PG_D : 0);
            if (nv != e)
                entry_write(pm, ph, epa, nv);
        }
        if (leaf)
            return;
        table = pg_frame(pm, e);
    }
}

int mmu_walk(const struct pg_mode *pm, struct phys *ph, vml_pa cr3, vml_va va,
             unsigned access, unsigned user, struct mmu_walk *w, struct mmu_fault *f)
{
    const vml_pa root = cr3_table(pm, cr3);
    const unsigned es = pm->entry_size, large = pm->large_levels;
    const unsigned pae_pdpte = pm->id == VML_PAGING_PAE ? 3 : 0;
    const uint64_t nx_bit = pm->has_nx ? PG_NX : 0, frame_mask = pm->frame_mask;
    vml_pa table = root, epa;
    uint64_t e, rw = PG_RW, us = PG_US, nx = 0, missing_ad = 0;
    unsigned level = pm->levels;

    for (;;) {
        epa = table + ((va >> pm->shift[level]) & pm->index_mask[level]) * es;
        e = es == 8 ? phys_read64(ph, epa) : phys_read32(ph, epa);
        if (!(e & PG_P)) {
            f->va = va;
            f->access = access;
            f->user = user;
            f->error_code = (access == VML_ACCESS_WRITE ? PF_W : 0) | (user ? PF_U : 0) |
                            (access == VML_ACCESS_EXEC && pm->has_nx ? PF_I : 0);
            f->level = level;
            f->entry_pa = epa;
            f->entry = e;
            return -1;
        }
        if (level != pae_pdpte) {
            rw &= e;
            us &= e;
            nx |= e & nx_bit;
            missing_ad |= ~e & PG_A;
        }
        if (level == 1 || ((large >> level) & 1 && (e & PG_PS)))
            break;
        table = e & frame_mask;
        level--;
    }

    /* Permission check on the combined rights (SDM 4.6; CR0.WP = 1, so a
    ** supervisor write to a read-only page faults too). */
    if ((user && !us) || (access == VML_ACCESS_WRITE && !rw) ||
        (access == VML_ACCESS_EXEC && nx)) {
        f->va = va;
        f->access = access;
        f->user = user;
        f->error_code = PF_P | (access == VML_ACCESS_WRITE ? PF_W : 0) | (user ? PF_U : 0) |
                        (access == VML_ACCESS_EXEC && pm->has_nx ? PF_I : 0);
        f->level = 0;
        f->entry_pa = epa;
        f->entry = e;
        return -1;
    }
    if (missing_ad || (access == VML_ACCESS_WRITE && !(e & PG_D))) {
        walk_set_ad(pm, ph, root, va, access);
        e = entry_read(pm, ph, epa);
    }
    enum tlb_size sz = size_code(pm, level);
    vml_pa frame = pg_frame(pm, e) & ~(((vml_pa)1 << tlb_size_shift[sz]) - 1);
    if (pm->id == VML_PAGING_LEGACY && sz == TLB_4M)
        frame = e & UINT64_C(0xFFC00000);   /* PSE-36 high bits not modelled */
    w->val = frame | (rw ? TLB_W : 0) | (us ? TLB_U : 0) | (nx ? 0 : TLB_X) |
             ((e & PG_D) ? TLB_D : 0) | ((e & PG_G) ? TLB_G : 0) |
             ((uint64_t)sz << TLB_SZ_SHIFT);
    w->leaf_pa = epa;
    w->leaf = e;
    w->leaf_level = level;
    return 0;
}

void mmu_inspect(const struct pg_mode *pm, const struct phys *ph, vml_pa cr3,
                 vml_va va, vml_walk *out)
{
    vml_pa table = cr3_table(pm, cr3);
    out->cr3 = cr3;
    out->n_steps = 0;
    out->present = 0;
    out->fail_level = 0;
    out->pa = 0;
    out->page_size = 0;
    out->entry_size = pm->entry_size;
    for (unsigned level = pm->levels; level >= 1; level--) {
        vml_walk_step *s = &out->step[out->n_steps++];
        s->name = pm->level_name[level];
        s->level = level;
        s->table_pa = table;
        s->index = pg_index(pm, level, va);
        s->entry_pa = table + (vml_pa)s->index * pm->entry_size;
        s->entry = entry_read(pm, ph, s->entry_pa);
        if (!(s->entry & PG_P)) {
            out->fail_level = level;
            return;
        }
        if (level == 1 || ((pm->large_levels >> level) & 1 && (s->entry & PG_PS))) {
            enum tlb_size sz = size_code(pm, level);
            uint64_t size = (uint64_t)1 << tlb_size_shift[sz];
            vml_pa frame = pg_frame(pm, s->entry) & ~(size - 1);
            if (pm->id == VML_PAGING_LEGACY && sz == TLB_4M)
                frame = s->entry & UINT64_C(0xFFC00000);
            out->present = 1;
            out->page_size = size;
            out->pa = frame | (va & (size - 1));
            return;
        }
        table = pg_frame(pm, s->entry);
    }
}

int mmu_translate(const struct pg_mode *pm, struct phys *ph, struct cpu *c,
                  vml_va va, unsigned access, unsigned user, vml_pa *pa,
                  struct mmu_fault *f, int *walked, struct mmu_walk *w, unsigned flags)
{
    unsigned need = mmu_need(access, user);
    struct tlb_ent *e = (flags & MMU_L1_MISSED) ? NULL : tlb_lookup_4k(&c->tlb, va >> 12, c->pcid);
    int l2_hit = 0;
    *walked = 0;
    if (e == NULL && tlb_has_more(&c->tlb))
        e = tlb_lookup_slow(&c->tlb, va, c->pcid, &l2_hit);
    if (e != NULL && (e->val & need) == need) {
        enum tlb_size sz = tlb_val_size(e->val);
        uint64_t mask = ((uint64_t)1 << tlb_size_shift[sz]) - 1;
        c->st.tlb_hits++;
        c->st.tlb_l2_hits += (unsigned)l2_hit;
        *pa = (e->val & ~(uint64_t)TLB_FLAGS & ~mask) | (va & mask);
        return 0;
    }
    /* A miss, or an entry that does not allow the access (including a
    ** write through an entry not yet dirty): the CPU walks the tables. */
    c->st.tlb_misses++;
    c->st.page_walks++;
    *walked = 1;
    if (e != NULL)
        tlb_drop(&c->tlb, e);   /* the walk's result replaces it */
    if (mmu_walk(pm, ph, c->cr3, va, access, user, w, f) != 0)
        return -1;
    tlb_fill(&c->tlb, va, c->pcid, w->val);
    enum tlb_size sz = tlb_val_size(w->val);
    uint64_t mask = ((uint64_t)1 << tlb_size_shift[sz]) - 1;
    *pa = (w->val & ~(uint64_t)TLB_FLAGS & ~mask) | (va & mask);
    return 0;
}
