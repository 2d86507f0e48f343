/*
** mmu.h -- CPUs and the MMU: CR3, the page walker, permission checks, the
** TLB in front of them, and the fault record of a failed translation.
** The MMU knows nothing of processes or VADs: it walks tables in simulated
** physical memory from a CR3 and reports a fault; mm/ decides what the
** fault means.
*/
#ifndef VML_HW_MMU_H
#define VML_HW_MMU_H

#include "phys.h"
#include "paging.h"
#include "tlb.h"

/* x86 #PF error code bits (SDM Vol. 3A, 4.7). */
#define PF_P    0x01u   /* 0: not present; 1: protection violation */
#define PF_W    0x02u   /* write access */
#define PF_U    0x04u   /* user-mode access */
#define PF_RSVD 0x08u   /* reserved bit set */
#define PF_I    0x10u   /* instruction fetch */

struct mmu_fault {
    vml_va   va;
    unsigned access;     /* VML_ACCESS_* */
    unsigned user;
    uint32_t error_code; /* PF_* */
    unsigned level;      /* not present: level whose entry had P = 0 */
    vml_pa   entry_pa;   /* that entry (or the leaf, for protection) */
    uint64_t entry;
};

struct cpu_stats {
    uint64_t tlb_hits, tlb_misses, tlb_l2_hits, page_walks;
    uint64_t invlpgs, flushes, cr3_loads, ipis;
};

struct cpu {
    unsigned         id;
    vml_pa           cr3;      /* 0: no address space loaded */
    unsigned         pcid;
    struct tlb       tlb;
    struct cpu_stats st;
    char             broken[160]; /* MMU_VERIFY: the first walk that broke
                                  ** MMU1-MMU3 ("" if none); mmu_check() */
};

/* Test builds verify every walk of mmu_translate() against mmu_inspect()
** (mmu.c, MMU1-MMU3). */
#ifndef MMU_VERIFY
#ifdef VML_TEST_BUILD
#define MMU_VERIFY 1
#else
#define MMU_VERIFY 0
#endif
#endif

/* What a successful walk found (for the fill and for explain mode). */
struct mmu_walk {
    uint64_t val;        /* TLB value: frame base | TLB_* flags | size */
    vml_pa   leaf_pa;    /* the leaf entry's physical address */
    uint64_t leaf;       /* its value after A/D were set */
    unsigned leaf_level;
};

/* Permissions an access needs in a TLB value. */
static inline unsigned mmu_need(unsigned access, unsigned user)
{
    unsigned need = access == VML_ACCESS_WRITE ? (TLB_W | TLB_D)
                  : access == VML_ACCESS_EXEC  ? TLB_X : 0;
    return need | (user ? TLB_U : 0);
}

/* The hardware walk: reads entries from physical memory, combines
** permissions, sets A in every entry used and D in the leaf on a write,
** in one pass from CR3 (one walker per paging mode).
** Returns 0 and *w, or -1 and *f (nothing written on a fault). */
int mmu_walk(const struct pg_mode *pm, struct phys *ph, vml_pa cr3, vml_va va,
             unsigned access, unsigned user, struct mmu_walk *w, struct mmu_fault *f);

/* The debugger's walk: no side effects. */
void mmu_inspect(const struct pg_mode *pm, const struct phys *ph, vml_pa cr3,
                 vml_va va, vml_walk *out);

/* Translate through the TLB, walking and filling on a miss.  Returns 0
** with *pa, or -1 with *f.  *walked says whether a walk happened (and *w
** what it found).  MMU_L1_MISSED: the caller already probed the L1 4 KiB
** array for va and missed (the batch path), so it is not probed again. */
#define MMU_L1_MISSED 1u
int mmu_translate(const struct pg_mode *pm, struct phys *ph, struct cpu *c,
                  vml_va va, unsigned access, unsigned user, vml_pa *pa,
                  struct mmu_fault *f, int *walked, struct mmu_walk *w, unsigned flags);

/* MMU1-MMU5 for one CPU (mmu.c says what each checks and what cannot be
** checked).  0, or -1 and a message naming the invariant. */
int mmu_check(const struct pg_mode *pm, const struct phys *ph, const struct cpu *c,
              char *msg, size_t size);

#endif
