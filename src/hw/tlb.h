/*
** tlb.h -- a CPU's translation lookaside buffers.
**
** An entry caches one translation as the walk found it: the frame, the
** combined permissions of every level and the leaf's dirty and global bits.
** Nothing updates an entry when the page tables change: a stale entry is
** used, as on real hardware, until invlpg or a flush removes it.
**
** Key of an entry: (page number << 16) | (size code << 12) | PCID, where
** the page number is va >> 12, 21, 22 or 30.  Global entries are filled
** with PCID 0 and match any PCID (SDM 4.10.2.4).  An empty slot holds
** TLB_EMPTY (and LRU stamp 0).  Value: frame base physical address |
** TLB_* flags.
*/
#ifndef VML_HW_TLB_H
#define VML_HW_TLB_H

#include <stdint.h>
#include "vmlab.h"

#define TLB_W   0x01u   /* writable at every level */
#define TLB_U   0x02u   /* user-accessible at every level */
#define TLB_X   0x04u   /* executable: NX clear at every level */
#define TLB_D   0x08u   /* leaf dirty */
#define TLB_G   0x10u   /* leaf global */
#define TLB_SZ_SHIFT 5  /* two bits: size code */
#define TLB_FLAGS 0xFFFu
#define TLB_EMPTY UINT64_MAX

enum tlb_size { TLB_4K = 0, TLB_2M = 1, TLB_4M = 2, TLB_1G = 3 };
#define TLB_N_SIZES 4
static const unsigned tlb_size_shift[TLB_N_SIZES] = { 12, 21, 22, 30 };

/* Test builds keep, beside every entry, the signature of the page-table
** path its walk read (mmu.c's MMU4 compares it with the tables). */
#ifndef TLB_SIGS
#ifdef VML_TEST_BUILD
#define TLB_SIGS 1
#else
#define TLB_SIGS 0
#endif
#endif

struct tlb_ent {
    uint64_t key;
    uint64_t val;
    uint64_t stamp;              /* LRU time of the last use; 0 = empty */
};

struct tlb_array {
    unsigned        n_sets, ways;
    int             pow2;        /* n_sets is a power of two: mask */
    uint64_t        fastmod;     /* otherwise Lemire's fastmod constant */
    struct tlb_ent *e;           /* n_sets * ways */
    uint64_t       *sig;         /* TLB_SIGS: path signatures, parallel to e */
    unsigned        n_valid;     /* valid slots */
    unsigned        n_size[TLB_N_SIZES]; /* valid slots of each size code */
};

struct tlb {
    struct tlb_array l1;        /* 4 KiB pages */
    struct tlb_array l1_large;  /* large pages: 32 entries, 4-way */
    struct tlb_array l2;        /* second level, all sizes; n_sets 0 = none */
    uint64_t         clock;     /* LRU time: 64 bits, so it never wraps */
};

vml_status tlb_init(struct tlb *t, unsigned entries, unsigned ways,
                    unsigned l2_entries, unsigned l2_ways);
void       tlb_fini(struct tlb *t);
int        tlb_check(const struct tlb *t, char *msg, size_t size);

static inline uint32_t tlb_set_of(const struct tlb_array *a, uint64_t pn)
{
    if (a->pow2)
        return (uint32_t)pn & (a->n_sets - 1);
    /* Lemire, Kaser, Kurz: "Faster remainder by direct computation" (2019). */
    uint32_t x = (uint32_t)pn;
    uint64_t low = a->fastmod * x;
    return (uint32_t)(((unsigned __int128)low * a->n_sets) >> 64);
}

static inline uint64_t tlb_key(uint64_t pn, enum tlb_size sz, unsigned pcid)
{
    return (pn << 16) | ((uint64_t)sz << 12) | pcid;
}

static inline enum tlb_size tlb_key_size(uint64_t key)
{
    return (enum tlb_size)((key >> 12) & 3);
}

/* First-level lookup of a 4 KiB translation: the hot path.  (Pointer
** steps over the set, so the loop is a load and two compares a way.) */
static inline struct tlb_ent *tlb_lookup_4k(struct tlb *t, uint64_t vpn, unsigned pcid)
{
    struct tlb_array *a = &t->l1;
    struct tlb_ent *e = a->e + (size_t)tlb_set_of(a, vpn) * a->ways, *end = e + a->ways;
    const uint64_t key = tlb_key(vpn, TLB_4K, pcid), gkey = tlb_key(vpn, TLB_4K, 0);
    for (; e < end; e++)
        if (e->key == key || (e->key == gkey && (e->val & TLB_G))) {
            e->stamp = ++t->clock;
            return e;
        }
    return NULL;
}

/* 1 when an entry other than a first-level 4 KiB one may translate some
** address: only then is tlb_lookup_slow() worth calling. */
static inline int tlb_has_more(const struct tlb *t)
{
    return t->l1_large.n_valid != 0 || t->l2.n_valid != 0;
}

/* The slower lookups: large pages in L1, then everything in L2 (an L2 hit
** is copied into L1).  Only the sizes some entry has are probed.  NULL on
** a miss. */
struct tlb_ent *tlb_lookup_slow(struct tlb *t, vml_va va, unsigned pcid, int *l2_hit);
/* Insert a translation found by a walk (size code in val), in its L1
** array and in L2.  tlb_fill_sig also records the walk's path signature. */
void tlb_fill(struct tlb *t, vml_va va, unsigned pcid, uint64_t val);
void tlb_fill_sig(struct tlb *t, vml_va va, unsigned pcid, uint64_t val, uint64_t sig);
/* Empty one L1 slot that a lookup returned (the walk's result replaces it). */
void tlb_drop(struct tlb *t, struct tlb_ent *e);
/* Drop every entry that translates va for pcid, and global ones (INVLPG). */
unsigned tlb_invlpg(struct tlb *t, vml_va va, unsigned pcid);
/* Drop non-global entries of pcid (MOV CR3 with PCIDs), of every PCID when
** all_pcids (MOV CR3 without PCIDs), or everything when with_global. */
unsigned tlb_flush(struct tlb *t, unsigned pcid, int all_pcids, int with_global);

/* Visit every valid entry (views). */
typedef void (*tlb_visit_fn)(void *ctx, unsigned level, unsigned set, unsigned way,
                             const struct tlb_ent *e);
void tlb_visit(const struct tlb *t, tlb_visit_fn fn, void *ctx);
/* The path signature kept beside e, a slot of a (0: none kept). */
static inline uint64_t tlb_sig_of(const struct tlb_array *a, const struct tlb_ent *e)
{
    return TLB_SIGS && a->sig ? a->sig[e - a->e] : 0;
}

static inline enum tlb_size tlb_val_size(uint64_t val)
{
    return (enum tlb_size)((val >> TLB_SZ_SHIFT) & 3);
}

#endif
