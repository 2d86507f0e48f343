/*
** mmu.c -- the page walker and the translate path (SDM Vol. 3A, 4.3-4.8).
**
** INVARIANTS (checked by mmu_check(); see "What is checked" below):
**   MMU1  A translation is cached only after a walk that succeeded, and it
**         carries what the walk found: the leaf's frame, page size, D and G
**         bits, and the permissions combined over every level: writable
**         only if RW is set at every level, user only if US is set at every
**         level, executable only if NX is clear at every level (PAE PDPTEs
**         have none of these bits and restrict nothing).
**   MMU2  A walk that faults writes nothing to memory and fills nothing.
**   MMU3  A walk that succeeds sets A in every entry it used (not in PAE
**         PDPTEs, whose bit 5 is reserved) and D in its leaf on a write, and
**         changes no other bit.  So a cached entry has D only if the leaf's
**         D was set by or before the walk that filled it, and a write
**         through an entry without D walks again.
**   MMU4  A cached entry of the current address space whose page-table
**         path is unchanged since its walk (every entry on the way holds the
**         value that walk read, A and D aside) translates as a walk of the
**         tables does now, D aside.
**   MMU5  Every cached entry has a page size the paging mode has.
**
** What is checked.  Test builds (MMU_VERIFY) verify every walk of
** mmu_translate() against mmu_inspect(), the debugger's walk (separate,
** generic code over the pg_modes table): the same fault or the same
** translation (MMU1), memory unchanged after a fault (MMU2), only A and D
** set, where the SDM says (MMU3); the first violation is kept in the CPU
** and reported by mmu_check().  Test builds also keep beside every TLB
** entry a signature of the path its walk read, and mmu_check() re-walks the
** tables for every entry of the current PCID (or global) whose path still
** has that signature (MMU4).  MMU5 is checked in every build.
** What cannot be checked: whether a stale entry -- the tables changed and
** nobody invalidated -- should have been invalidated.  Stale entries are
** legal hardware state (the memory manager's duty is to invalidate, and
** scenarios make stale entries on purpose), so MMU4 skips every entry
** whose path changed, D in cached entries is never compared (software may
** clear D without invalidating), and entries of other PCIDs are skipped
** (the CR3 they were filled under is not recorded).
**
** Accessed flags on a faulting walk: SDM 4.8 says the processor sets A in
** an entry "whenever [it] uses a paging-structure entry as part of
** linear-address translation"; 4.10.3.1 says it sets A before caching an
** entry in a paging-structure cache, and "may" create such entries even
** when no translation results.  A walk that faults may therefore set A in
** the upper entries it read, or not: both are the SDM's.  vmlab models no
** paging-structure caches and sets A only for a translation that succeeds
** (MMU2), so a fault leaves the tables exactly as they were.
**
** TRANSITIONS:
**   PTE.A 0 -> 1   mmu_walk() on every entry it uses (not PAE PDPTEs)
**   PTE.D 0 -> 1   mmu_walk() on the leaf of a write
*/
#include <stdarg.h>
#include <stdio.h>
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

/* The fault record of a walk of va in mode that stopped at the entry e at
** epa: level is the level of a not-present entry (P = 0 in the error
** code, SDM 4.7), or 0 for a protection fault on the leaf (P = 1). */
static int walk_fault(struct mmu_fault *f, vml_paging mode, vml_va va, unsigned access,
                      unsigned user, unsigned level, vml_pa epa, uint64_t e)
{
    f->va = va;
    f->access = access;
    f->user = user;
    f->error_code = (level == 0 ? PF_P : 0) | (access == VML_ACCESS_WRITE ? PF_W : 0) |
                    (user ? PF_U : 0) |
                    (access == VML_ACCESS_EXEC && mode != VML_PAGING_LEGACY ? PF_I : 0);
    f->level = level;
    f->entry_pa = epa;
    f->entry = e;
    return -1;
}

/* Sets A in the entries epa[top..leaf_level] of a walk in mode (not in a
** PAE PDPTE) and D in the leaf of a write, each by a read-modify-write as
** the processor's locked update does; taken only when some bit was clear.
** Returns the leaf's new value. */
static uint64_t set_ad(struct phys *ph, const vml_pa *epa, vml_paging mode,
                       unsigned leaf_level, unsigned access)
{
    const unsigned es = MODE_ES(mode);
    uint64_t v = 0;
    for (unsigned level = MODE_LEVELS(mode); level >= leaf_level; level--) {
        if (mode == VML_PAGING_PAE && level == 3)
            continue;
        v = es == 8 ? phys_read64(ph, epa[level]) : phys_read32(ph, epa[level]);
        uint64_t nv = v | PG_A |
                      (level == leaf_level && access == VML_ACCESS_WRITE ? PG_D : 0);
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
        return walk_fault(f, mode, va, access, user, 0, epa[level], e);
    if (missing || !(all & PG_A)) {
        e = set_ad(ph, epa, mode, level, access);
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
            return walk_fault(f, mode, va, access, user, level, epa[level], e);
        if (!(pae && level == 3)) {
            all &= e;
            any |= e;
        }
        if (level == 1 || (MODE_LARGE(mode, level) && (e & PG_PS)))
            return walk_leaf(mode, level, ph, epa, e, all, any, va, need, access, user, w,
                             f);
        table = e & frame_mask;
    }
    return walk_fault(f, mode, va, access, user, 1, 0, 0);   /* not reached: level 1 is a leaf */
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
    return walk_fault(f, mode, va, access, user, 1, 0, 0);   /* not a paging mode */
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

/* ---- the reference for the checks ---------------------------------------- */

/* The TLB value a present inspected walk gives (D and G from the leaf). */
static uint64_t ref_val(const struct pg_mode *pm, const vml_walk *r)
{
    uint64_t rw = PG_RW, us = PG_US, nx = 0;
    for (unsigned i = 0; i < r->n_steps; i++) {
        if (pg_is_pdpte_pae(pm, r->step[i].level))
            continue;
        rw &= r->step[i].entry;
        us &= r->step[i].entry;
        nx |= pm->has_nx ? r->step[i].entry & PG_NX : 0;
    }
    uint64_t leaf = r->step[r->n_steps - 1].entry;
    enum tlb_size sz = size_code(pm, r->step[r->n_steps - 1].level);
    return (r->pa & ~(r->page_size - 1)) | (rw ? TLB_W : 0) | (us ? TLB_U : 0) |
           (nx ? 0 : TLB_X) | ((leaf & PG_D) ? TLB_D : 0) | ((leaf & PG_G) ? TLB_G : 0) |
           ((uint64_t)sz << TLB_SZ_SHIFT);
}

/* The signature of a present path: where each entry is and what it holds,
** A and D aside (MMU4).  Never 0 (0 means "not kept"). */
static uint64_t path_sig(const vml_walk *r)
{
    uint64_t h = UINT64_C(0x9E3779B97F4A7C15);
    for (unsigned i = 0; i < r->n_steps; i++) {
        h = (h ^ r->step[i].entry_pa) * UINT64_C(0xFF51AFD7ED558CCD);
        h = (h ^ (r->step[i].entry & ~(PG_A | PG_D))) * UINT64_C(0xC4CEB9FE1A85EC53);
        h ^= h >> 33;
    }
    return h ? h : 1;
}

/* Records the first broken invariant of a walk in the CPU. */
static void verify_fail(struct cpu *c, const char *fmt, ...)
{
    if (c->broken[0])
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->broken, sizeof c->broken, fmt, ap);
    va_end(ap);
}

/* The bits a successful walk may set in the entry at step i of ref: A
** unless it is a PAE PDPTE, D too in the leaf of a write (an entry that
** appears twice on the path, as with a self-map, may get both). */
static uint64_t may_set(const struct pg_mode *pm, const vml_walk *ref, unsigned i,
                        unsigned access)
{
    uint64_t may = 0;
    for (unsigned j = 0; j < ref->n_steps; j++)
        if (ref->step[j].entry_pa == ref->step[i].entry_pa &&
            !pg_is_pdpte_pae(pm, ref->step[j].level))
            may |= PG_A | (j == ref->n_steps - 1 && access == VML_ACCESS_WRITE ? PG_D : 0);
    return may;
}

/* MMU1-MMU3 for one walk of va, given the tables as they were before it
** (ref) and the walk's outcome. */
static void verify_walk(const struct pg_mode *pm, const struct phys *ph, struct cpu *c,
                        vml_va va, unsigned access, unsigned user, const vml_walk *ref,
                        int rc, const struct mmu_walk *w, const struct mmu_fault *f)
{
    const unsigned long long v = va;
    const vml_walk_step *last = &ref->step[ref->n_steps - 1];
    uint64_t want = ref->present ? ref_val(pm, ref) : 0;
    int denied = ref->present && ((access == VML_ACCESS_WRITE && !(want & TLB_W)) ||
                                  (user && !(want & TLB_U)) ||
                                  (access == VML_ACCESS_EXEC && !(want & TLB_X)));
    for (unsigned i = 0; i < ref->n_steps; i++) {
        const vml_walk_step *s = &ref->step[i];
        uint64_t now = entry_read(pm, ph, s->entry_pa);
        uint64_t may = rc == 0 ? may_set(pm, ref, i, access) : 0;
        if (now != (s->entry | may)) {
            verify_fail(c, "%s: the walk of %#llx left %s %#llx (was %#llx, should be %#llx)",
                        rc ? "MMU2" : "MMU3", v, s->name, (unsigned long long)now,
                        (unsigned long long)s->entry, (unsigned long long)(s->entry | may));
            return;
        }
    }
    if (rc != 0) {
        if ((ref->present && !denied) || f->level != (ref->present ? 0 : ref->fail_level) ||
            f->entry_pa != last->entry_pa || f->va != va ||
            !(f->error_code & PF_P) != !ref->present)
            verify_fail(c, "MMU1: the walk of %#llx faulted (level %u, entry %#llx) where "
                        "the tables say %s", v, f->level, (unsigned long long)f->entry_pa,
                        ref->present ? (denied ? "protection" : "present") : "not present");
        return;
    }
    if (!ref->present || denied) {
        verify_fail(c, "MMU1: the walk of %#llx succeeded where the tables say %s", v,
                    ref->present ? "protection fault" : "not present");
        return;
    }
    /* D as the leaf holds it after the walk. */
    uint64_t leaf_now = entry_read(pm, ph, last->entry_pa);
    want = (want & ~(uint64_t)TLB_D) | ((leaf_now & PG_D) ? TLB_D : 0);
    if (w->val != want || w->leaf_pa != last->entry_pa || w->leaf != leaf_now ||
        w->leaf_level != last->level)
        verify_fail(c, "MMU1: the walk of %#llx gave TLB value %#llx (leaf %#llx at %#llx); "
                    "the tables give %#llx (leaf %#llx at %#llx)", v,
                    (unsigned long long)w->val, (unsigned long long)w->leaf,
                    (unsigned long long)w->leaf_pa, (unsigned long long)want,
                    (unsigned long long)leaf_now, (unsigned long long)last->entry_pa);
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
        vml_walk ref;
        int rc;
        c->st.tlb_misses++;
        c->st.page_walks++;
        *walked = 1;
        if (e != NULL)
            tlb_drop(t, e);         /* the walk's result replaces it */
        if (MMU_VERIFY)
            mmu_inspect(pm, ph, c->cr3, va, &ref);
        rc = walk_any(pm->id, ph, c->cr3, va, access, user, w, f);
        if (MMU_VERIFY)
            verify_walk(pm, ph, c, va, access, user, &ref, rc, w, f);
        if (rc != 0)
            return -1;
        val = w->val;
        if (MMU_VERIFY)
            tlb_fill_sig(t, va, c->pcid, val, path_sig(&ref));
        else
            tlb_fill(t, va, c->pcid, val);
    }
    const uint64_t mask = ((uint64_t)1 << tlb_size_shift[tlb_val_size(val)]) - 1;
    *pa = (val & ~(uint64_t)TLB_FLAGS & ~mask) | (va & mask);
    return 0;
}

/* ---- the check ------------------------------------------------------------ */

/* The address a key's page starts at, sign-extended as the mode's
** canonical addresses are (keys keep 48 bits of the page number). */
static vml_va key_va(const struct pg_mode *pm, uint64_t key)
{
    vml_va va = (key >> 16) << tlb_size_shift[tlb_key_size(key)];
    if (pm->va_bits == 32)
        return va;
    return (vml_va)((int64_t)(va << (64 - pm->va_bits)) >> (64 - pm->va_bits));
}

static int size_allowed(const struct pg_mode *pm, enum tlb_size sz)
{
    switch (sz) {
    case TLB_4K: return 1;
    case TLB_2M: return pm->id != VML_PAGING_LEGACY;
    case TLB_4M: return pm->id == VML_PAGING_LEGACY;
    case TLB_1G: return (pm->large_levels >> 3) & 1;
    }
    return 0;
}

/* MMU4 and MMU5 for the entries of one array. */
static int array_check(const struct pg_mode *pm, const struct phys *ph, const struct cpu *c,
                       const struct tlb_array *a, const char *name, char *msg, size_t size)
{
    for (size_t i = 0; i < (size_t)a->n_sets * a->ways; i++) {
        const struct tlb_ent *e = &a->e[i];
        if (e->key == TLB_EMPTY)
            continue;
        if (!size_allowed(pm, tlb_key_size(e->key))) {
            snprintf(msg, size, "MMU5: cpu%u %s slot %zu caches a page of size code %u, "
                     "which %s paging has not", c->id, name, i, tlb_key_size(e->key), pm->name);
            return -1;
        }
        uint64_t sig = tlb_sig_of(a, e);
        unsigned tag = (unsigned)(e->key & 0xFFF);
        if (sig == 0 || c->cr3 == 0 || (tag != c->pcid && !(e->val & TLB_G)))
            continue;
        vml_va va = key_va(pm, e->key);
        vml_walk r;
        if (!pg_canonical(pm, va))
            continue;
        mmu_inspect(pm, ph, c->cr3, va, &r);
        if (!r.present || path_sig(&r) != sig)
            continue;                       /* stale: legal */
        uint64_t want = ref_val(pm, &r);
        if ((want ^ e->val) & ~(uint64_t)TLB_D) {
            snprintf(msg, size, "MMU4: cpu%u %s caches %#llx as %#llx; its unchanged tables "
                     "give %#llx", c->id, name, (unsigned long long)va,
                     (unsigned long long)e->val, (unsigned long long)want);
            return -1;
        }
    }
    return 0;
}

int mmu_check(const struct pg_mode *pm, const struct phys *ph, const struct cpu *c,
              char *msg, size_t size)
{
    if (pg_check(pm, msg, size))
        return -1;
    if (c->broken[0]) {
        snprintf(msg, size, "cpu%u: %s", c->id, c->broken);
        return -1;
    }
    if (array_check(pm, ph, c, &c->tlb.l1, "L1", msg, size) ||
        array_check(pm, ph, c, &c->tlb.l1_large, "L1-large", msg, size) ||
        array_check(pm, ph, c, &c->tlb.l2, "L2", msg, size))
        return -1;
    return 0;
}
