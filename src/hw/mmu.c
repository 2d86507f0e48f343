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
** Accessed flags on a faulting walk: SDM 4.8 says the processor sets A in
** an entry "whenever [it] uses a paging-structure entry as part of
** linear-address translation"; 4.10.3.1 says it sets A before caching an
** entry in a paging-structure cache, and "may" create such entries even
** when no translation results.  A walk that faults may therefore set A in
** the upper entries it read, or not: both are the SDM's.  vmlab models no
** paging-structure caches and sets A only for a translation that succeeds
** (M2), so a fault leaves the tables exactly as they were.
**
** TRANSITIONS:
**   PTE.A 0 -> 1   mmu_walk() on every entry it uses (not PAE PDPTEs)
**   PTE.D 0 -> 1   mmu_walk() on the leaf of a write
*/
#include "mmu.h"

#define ALWAYS_INLINE inline __attribute__((always_inline))

/* ---- one walker per paging mode --------------------------------------- */

/* The constants of a mode, folded at compile time in walk_mode(). */
#define MODE_LEVELS(m)  ((m) == VML_PAGING_5LEVEL ? 5u : (m) == VML_PAGING_4LEVEL ? 4u \
                         : (m) == VML_PAGING_PAE ? 3u : 2u)
#define MODE_ES(m)      ((m) == VML_PAGING_LEGACY ? 4u : 8u)          /* entry size */
#define MODE_BITS(m)    ((m) == VML_PAGING_LEGACY ? 10u : 9u)         /* index bits */
#define MODE_TOP_MASK(m) ((m) == VML_PAGING_PAE ? 3u : (1u << MODE_BITS(m)) - 1)
/* PDEs map 2 MiB (4 MiB legacy) pages; 4- and 5-level PDPTEs 1 GiB ones. */
#define MODE_LARGE(m, level) ((level) == 2 || ((level) == 3 && MODE_LEVELS(m) >= 4))

/* A not-present entry at level (SDM 4.7: P = 0 in the error code). */
static int fault_not_present(struct mmu_fault *f, vml_va va, unsigned access, unsigned user,
                             int has_nx, unsigned level, vml_pa epa, uint64_t e)
{
    f->va = va;
    f->access = access;
    f->user = user;
    f->error_code = (access == VML_ACCESS_WRITE ? PF_W : 0) | (user ? PF_U : 0) |
                    (access == VML_ACCESS_EXEC && has_nx ? PF_I : 0);
    f->level = level;
    f->entry_pa = epa;
    f->entry = e;
    return -1;
}

/* A translation whose combined rights deny the access (P = 1). */
static int fault_protection(struct mmu_fault *f, vml_va va, unsigned access, unsigned user,
                            int has_nx, vml_pa leaf_pa, uint64_t leaf)
{
    fault_not_present(f, va, access, user, has_nx, 0, leaf_pa, leaf);
    f->error_code |= PF_P;
    return -1;
}

/* Sets A in the entries epa[top..leaf] (not a PAE PDPTE) and D in the leaf
** on a write, each by a read-modify-write as the processor's locked update
** does; taken only when some bit was clear.  Returns the leaf's new value. */
static uint64_t set_ad(struct phys *ph, const vml_pa *epa, unsigned top, unsigned leaf_level,
                       unsigned es, int pae, int write)
{
    uint64_t v = 0;
    for (unsigned level = top; level >= leaf_level; level--) {
        if (pae && level == 3)
            continue;
        v = es == 8 ? phys_read64(ph, epa[level]) : phys_read32(ph, epa[level]);
        uint64_t nv = v | PG_A | (level == leaf_level && write ? PG_D : 0);
        if (nv != v) {
            if (es == 8)
                phys_write64(ph, epa[level], nv);
            else
                phys_write32(ph, epa[level], (uint32_t)nv);
        }
        v = nv;
    }
    return v;
}

/* The end of a walk whose leaf e is at level (a constant in each copy):
** the TLB value from the rights combined over the path (all: the AND of
** the entries, any: their OR), the permission check, A and D.  need is
** mmu_need() of the access: the TLB flags it needs. */
static ALWAYS_INLINE int walk_leaf(const vml_paging mode, const unsigned level,
                                   struct phys *ph, const vml_pa *epa, uint64_t e,
                                   uint64_t all, uint64_t any, vml_va va, unsigned need,
                                   unsigned access, unsigned user, struct mmu_walk *w,
                                   struct mmu_fault *f)
{
    const int has_nx = mode != VML_PAGING_LEGACY;
    const enum tlb_size sz = level == 1 ? TLB_4K : level == 3 ? TLB_1G
                           : mode == VML_PAGING_LEGACY ? TLB_4M : TLB_2M;
    /* A large page's frame starts at bit 21, 22 or 30: the bits below are
    ** PAT and (legacy) PSE-36 address bits, not modelled. */
    const uint64_t frame_mask = (MODE_ES(mode) == 8 ? PG_FRAME64 : PG_FRAME32) &
                                ~(((uint64_t)1 << tlb_size_shift[sz]) - 1);
    uint64_t val = (e & frame_mask) | ((all >> 1) & (TLB_W | TLB_U)) |
                   (has_nx ? (~any >> 61) & TLB_X : TLB_X) | ((e >> 3) & TLB_D) |
                   ((e >> 4) & TLB_G) | ((uint64_t)sz << TLB_SZ_SHIFT);
    const uint64_t missing = need & ~val;

    /* The permission check on the combined rights (SDM 4.6; CR0.WP = 1, so
    ** a supervisor write to a read-only page faults too); a write through
    ** a clean leaf is allowed and sets D. */
    if (missing & ~(uint64_t)TLB_D)
        return fault_protection(f, va, access, user, has_nx, epa[level], e);
    if (missing || !(all & PG_A)) {
        e = set_ad(ph, epa, MODE_LEVELS(mode), level, MODE_ES(mode),
                   mode == VML_PAGING_PAE, access == VML_ACCESS_WRITE);
        val = (val & ~(uint64_t)TLB_D) | ((e >> 3) & TLB_D);
    }
    w->val = val;
    w->leaf_pa = epa[level];
    w->leaf = e;
    w->leaf_level = level;
    return 0;
}
_Static_assert(PG_RW >> 1 == TLB_W && PG_US >> 1 == TLB_U && PG_NX >> 61 == TLB_X &&
               PG_D >> 3 == TLB_D && PG_G >> 4 == TLB_G,
               "walk_leaf moves the entry bits to the TLB flags");

/* The walk of one paging mode, written once and compiled once per mode
** with the mode a constant: the loop unrolls and every shift, mask, entry
** size and page size folds.  The rights and A are gathered on the way
** down with the path; A and D are written after the permission check, at
** the recorded entry addresses (no second walk from the root). */
static ALWAYS_INLINE int walk_mode(const vml_paging mode, struct phys *ph, vml_pa cr3,
                                   vml_va va, unsigned access, unsigned user,
                                   struct mmu_walk *w, struct mmu_fault *f)
{
    const unsigned need = mmu_need(access, user);
    const unsigned levels = MODE_LEVELS(mode), es = MODE_ES(mode), bits = MODE_BITS(mode);
    const int pae = mode == VML_PAGING_PAE;
    const uint64_t frame_mask = es == 8 ? PG_FRAME64 : PG_FRAME32;
    /* The table CR3 points at: PAE's PDPT is 32-byte aligned, the others
    ** are 4 KiB aligned (SDM Tables 4-3, 4-7, 4-12). */
    vml_pa table = pae ? cr3 & ~(vml_pa)0x1F : cr3 & frame_mask;
    vml_pa epa[6];
    uint64_t all = ~(uint64_t)0, any = 0;   /* AND and OR of the entries */

#pragma GCC unroll 5
    for (unsigned level = levels; level >= 1; level--) {
        const unsigned shift = 12 + bits * (level - 1);
        const uint64_t mask = level == levels ? MODE_TOP_MASK(mode) : (1u << bits) - 1;
        epa[level] = table + ((va >> shift) & mask) * es;
        uint64_t e = es == 8 ? phys_read64(ph, epa[level]) : phys_read32(ph, epa[level]);
        if (!(e & PG_P))
            return fault_not_present(f, va, access, user, mode != VML_PAGING_LEGACY, level,
                                     epa[level], e);
        if (!(pae && level == 3)) {
            all &= e;
            any |= e;
        }
        if (level == 1 || (MODE_LARGE(mode, level) && (e & PG_PS)))
            return walk_leaf(mode, level, ph, epa, e, all, any, va, need, access, user, w,
                             f);
        table = e & frame_mask;
    }
    return fault_not_present(f, va, access, user, 0, 0, 0, 0);   /* not reached */
}

/* The walker of the machine's mode: one switch, outside every loop;
** inlined in mmu_translate(), so a TLB miss makes no call to walk. */
static ALWAYS_INLINE int walk_any(vml_paging mode, struct phys *ph, vml_pa cr3, vml_va va,
                                  unsigned access, unsigned user, struct mmu_walk *w,
                                  struct mmu_fault *f)
{
    switch (mode) {
    case VML_PAGING_4LEVEL: return walk_mode(VML_PAGING_4LEVEL, ph, cr3, va, access, user, w, f);
    case VML_PAGING_5LEVEL: return walk_mode(VML_PAGING_5LEVEL, ph, cr3, va, access, user, w, f);
    case VML_PAGING_PAE:    return walk_mode(VML_PAGING_PAE, ph, cr3, va, access, user, w, f);
    case VML_PAGING_LEGACY: return walk_mode(VML_PAGING_LEGACY, ph, cr3, va, access, user, w, f);
    case VML_N_PAGING:      break;
    }
    return fault_not_present(f, va, access, user, 0, 0, 0, 0);
}

int mmu_walk(const struct pg_mode *pm, struct phys *ph, vml_pa cr3, vml_va va,
             unsigned access, unsigned user, struct mmu_walk *w, struct mmu_fault *f)
{
    return walk_any(pm->id, ph, cr3, va, access, user, w, f);
}

/* ---- the debugger's walk ------------------------------------------------- */

static inline uint64_t entry_read(const struct pg_mode *pm, const struct phys *ph, vml_pa pa)
{
    return pm->entry_size == 8 ? phys_read64(ph, pa) : phys_read32(ph, pa);
}

static enum tlb_size size_code(const struct pg_mode *pm, unsigned level)
{
    if (level == 1)
        return TLB_4K;
    if (level == 3)
        return TLB_1G;
    return pm->id == VML_PAGING_LEGACY ? TLB_4M : TLB_2M;
}

void mmu_inspect(const struct pg_mode *pm, const struct phys *ph, vml_pa cr3,
                 vml_va va, vml_walk *out)
{
    vml_pa table = pm->id == VML_PAGING_PAE ? (cr3 & ~(vml_pa)0x1F) : (cr3 & pm->frame_mask);
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
            out->present = 1;
            out->page_size = size;
            out->pa = frame | (va & (size - 1));
            return;
        }
        table = pg_frame(pm, s->entry);
    }
}

/* ---- translation --------------------------------------------------------- */

int mmu_translate(const struct pg_mode *pm, struct phys *ph, struct cpu *c,
                  vml_va va, unsigned access, unsigned user, vml_pa *pa,
                  struct mmu_fault *f, int *walked, struct mmu_walk *w, unsigned flags)
{
    const unsigned need = mmu_need(access, user);
    struct tlb *t = &c->tlb;
    struct tlb_ent *e = (flags & MMU_L1_MISSED) ? NULL : tlb_lookup_4k(t, va >> 12, c->pcid);
    int l2_hit = 0;
    uint64_t val;
    *walked = 0;
    if (e == NULL && tlb_has_more(t))
        e = tlb_lookup_slow(t, va, c->pcid, &l2_hit);
    if (e != NULL && (e->val & need) == need) {
        c->st.tlb_hits++;
        c->st.tlb_l2_hits += (unsigned)l2_hit;
        val = e->val;
    } else {
        /* A miss, or an entry that does not allow the access (including a
        ** write through an entry not yet dirty): the CPU walks the tables. */
        int rc;
        c->st.tlb_misses++;
        c->st.page_walks++;
        *walked = 1;
        if (e != NULL)
            tlb_drop(t, e);         /* the walk's result replaces it */
        rc = walk_any(pm->id, ph, c->cr3, va, access, user, w, f);
        if (rc != 0)
            return -1;
        val = w->val;
        tlb_fill(t, va, c->pcid, val);
    }
    const uint64_t mask = ((uint64_t)1 << tlb_size_shift[tlb_val_size(val)]) - 1;
    *pa = (val & ~(uint64_t)TLB_FLAGS & ~mask) | (va & mask);
    return 0;
}
