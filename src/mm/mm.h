/*
** mm.h -- the memory manager's internal structures: the machine, the PFN
** database, processes, and the functions the mm modules share.  Included
** by mm/, os/ and view/ code inside the library; never installed.
*/
#ifndef VML_MM_H
#define VML_MM_H

#include <stdint.h>
#include <stddef.h>
#include "vmlab.h"
#include "hw/phys.h"
#include "hw/paging.h"
#include "hw/tlb.h"
#include "hw/mmu.h"
#include "pte.h"
#include "vad.h"

/* ---- PFN database (pfn.c) ------------------------------------------- */

#define PFN_NIL UINT32_MAX

/* One entry per frame, 32 bytes (Windows' MMPFN is 48 on x64). */
struct pfn_entry {
    uint32_t flink, blink;    /* list links (frame numbers), PFN_NIL ends */
    uint64_t pte_pa;          /* PTE that maps the frame; 0 = none */
    uint64_t orig_pte;        /* software PTE to restore (its protection) */
    uint16_t share_count;     /* data: PTEs mapping it; table: non-zero entries */
    uint16_t ref_count;       /* 1 while mapped or in a transition, + I/O locks */
    uint8_t  list;            /* vml_list */
    uint8_t  flags;           /* VML_PFN_* */
    uint8_t  priority;        /* standby priority 0..7 */
    uint8_t  pt_level;        /* page-table frames: level 1..5; else 0 */
};

struct pfn_list {
    uint64_t count;
    uint32_t head, tail;
};

/* ---- processes --------------------------------------------------------- */

struct proc_stats {
    uint64_t page_faults;         /* faults resolved (not exceptions) */
    uint64_t demand_zero_faults;
    uint64_t transition_faults;   /* soft faults from standby/modified */
    uint64_t guard_page_faults;
    uint64_t access_violations;
    uint64_t ws_pages, peak_ws_pages;           /* valid user pages */
    uint64_t commit_pages, peak_commit_pages;   /* committed private pages */
    uint64_t virtual_pages, peak_virtual_pages; /* pages inside VADs */
    uint64_t pt_pages;            /* page-table frames, top level included */
};

struct vml_proc {
    vml_machine      *m;
    unsigned          pid;
    char              name[32];
    vml_pfn           top_pfn;    /* PML5/PML4/PDPT/PD frame */
    vml_pa            cr3;
    unsigned          pcid;       /* 0 when PCIDs are off */
    struct vad_tree   vads;
    uint64_t          cpu_mask;   /* CPUs whose TLB may hold its entries */
    unsigned          last_cpu;
    struct proc_stats st;
};

/* ---- the machine ---------------------------------------------------------- */

struct sys_stats {
    uint64_t page_faults, demand_zero_faults, transition_faults;
    uint64_t guard_page_faults, access_violations;
    uint64_t pt_pages;            /* every page-table frame, kernel's too */
    uint64_t kernel_pages;        /* frames of the kernel image */
    uint64_t pages_zeroed;        /* by the zero-page worker */
    uint64_t ipis, shootdowns;
};

struct vml_machine {
    vml_config            cfg;
    const struct pg_mode *pm;
    vml_layout            layout;
    struct phys           phys;
    struct pfn_entry     *pfn;
    uint64_t              n_frames;
    struct pfn_list       lists[VML_N_LISTS];   /* ACTIVE: count only */
    struct cpu           *cpus;
    unsigned              n_cpus;
    vml_proc             *cpu_proc[64];   /* whose CR3 each CPU has loaded */
    vml_proc            **procs;
    size_t                n_procs, cap_procs;
    unsigned              next_pid;
    vml_pfn               kernel_top_pfn;  /* template with the kernel half */
    unsigned              kernel_first, kernel_last; /* top-level kernel slots */
    struct sys_stats      st;
    vml_event_fn          ev_fn;
    void                 *ev_ctx;
    int                   corrupt;         /* a check failed: a bug */
    char                  err[320];
};

/* ---- machine.c: errors, events, checks ------------------------------------- */

/* Records a detailed message for vml_last_error() and returns st. */
vml_status mm_fail(vml_machine *m, vml_status st, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
/* After every public operation: runs vml_machine_check() when the machine
** has VML_CFG_CHECK; a failure is a bug (test builds abort on it). */
vml_status mm_done(vml_machine *m, vml_status st);
/* A broken invariant (a bug): records the message naming it, marks the
** machine corrupt (every later call returns VML_E_CORRUPT), and in test
** builds stops the program there. */
vml_status mm_corrupt(vml_machine *m, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
void       mm_emit(vml_machine *m, const vml_event *ev);
static inline int mm_tracing(const vml_machine *m) { return m->ev_fn != NULL; }

/* ---- pfn.c --------------------------------------------------------------------- */

vml_status pfn_init(vml_machine *m);
/* Takes a frame for a use: zeroed first, then free (zeroed here when
** need_zero).  The frame comes back active with share/ref counts 0.
** VML_PFN_NONE when both lists are empty. */
#define PFN_NEED_ZERO 1u
#define PFN_ANY       0u
vml_pfn    pfn_take(vml_machine *m, unsigned how, unsigned pid);
/* How many frames pfn_take() can hand out now. */
static inline uint64_t pfn_available(const vml_machine *m)
{
    return m->lists[VML_LIST_ZEROED].count + m->lists[VML_LIST_FREE].count;
}
/* Active frame no longer used: to the free list (contents dirty). */
void       pfn_free(vml_machine *m, vml_pfn pfn, unsigned pid);
/* Active -> standby (clean) or modified (dirty): a transition page. */
void       pfn_release(vml_machine *m, vml_pfn pfn, int dirty, unsigned pid);
/* Standby/modified -> active (a soft fault). */
void       pfn_reclaim(vml_machine *m, vml_pfn pfn, unsigned pid);
/* Free -> zeroed (the zero-page worker). */
int        pfn_zero_one(vml_machine *m);
int        pfn_check(vml_machine *m, char *msg, size_t size);

/* ---- aspace.c: page tables, kernel half, processes ---------------------------- */

static inline uint64_t pte_read(const vml_machine *m, vml_pa pa)
{
    return m->pm->entry_size == 8 ? phys_read64(&m->phys, pa) : phys_read32(&m->phys, pa);
}
vml_status as_kernel_init(vml_machine *m);
vml_status as_create(vml_proc *p);
void       as_destroy(vml_proc *p);
/* The leaf PTE slot of va (4 KiB pages): 0 when a table on the way is
** missing and !create; with create, missing tables are allocated
** (VML_E_NO_FRAMES when there is no frame for one). */
vml_status as_pte_slot(vml_proc *p, vml_va va, int create, vml_pa *pte_pa);
/* Write a PTE: keeps the table's share count (non-zero entries), frees a
** user table that becomes empty, and emits the event.  It does NOT
** invalidate TLBs: callers changing a valid entry call as_invalidate(). */
void       as_pte_write(vml_proc *p, vml_va va, vml_pa pte_pa, uint64_t pte);
/* invlpg of va on every CPU that may cache p's translations. */
void       as_invalidate(vml_proc *p, vml_va va);
/* Load p's CR3 on cpu (a context switch). */
void       as_switch(vml_machine *m, unsigned cpu, vml_proc *p);
/* Build the hardware PTE for a frame under an MM protection. */
uint64_t   as_make_valid(const vml_machine *m, vml_pfn pfn, unsigned mmprot, int dirty);
/* Visit the existing leaf PTE slots of [va, end) (end exclusive, both page
** aligned).  Ranges with no table are skipped in one step.  fn may write
** the PTE (even to zero): the walk re-finds its table each step. */
typedef void (*as_visit_fn)(void *ctx, vml_proc *p, vml_va va, vml_pa pte_pa, uint64_t pte);
void       as_visit(vml_proc *p, vml_va va, vml_va end, as_visit_fn fn, void *ctx);
int        as_check(vml_machine *m, char *msg, size_t size);
/* Owner pid of a page-table or data frame mapped through pte_pa (0 kernel). */
unsigned   as_owner_of_pte(const vml_machine *m, vml_pa pte_pa);

/* ---- virtual.c: the personality-neutral operations --------------------- */

/* Committed?  And with what MM protection?  (From the PTE and the VAD.) */
int        vm_page_state(vml_proc *p, const struct vad *v, vml_va va, uint64_t pte,
                         unsigned *mmprot);
vml_status vm_reserve(vml_proc *p, vml_va va, uint64_t n_pages, unsigned mmprot,
                      unsigned origin, int mem_commit, struct vad **out);
/* Commit [va, va+n pages) inside VAD v with mmprot; counts new commits. */
vml_status vm_commit(vml_proc *p, struct vad *v, vml_va va, uint64_t n_pages, unsigned mmprot);
void       vm_decommit(vml_proc *p, struct vad *v, vml_va va, uint64_t n_pages);
void       vm_release(vml_proc *p, struct vad *v);
/* Set the protection of committed pages (resident ones are updated). */
void       vm_protect(vml_proc *p, struct vad *v, vml_va va, uint64_t n_pages, unsigned mmprot);
/* Drop every page of [va, end) of VAD v: frames freed, PTEs zeroed. */
void       vm_unmap_pages(vml_proc *p, vml_va va, vml_va end);
uint64_t   vm_count_committed(vml_proc *p, const struct vad *v, vml_va va, vml_va end);
/* Frames for page tables an operation would have to create (0 = none). */
uint64_t   vm_decommit_tables_needed(vml_proc *p, const struct vad *v, vml_va va, vml_va end);
uint64_t   vm_protect_tables_needed(vml_proc *p, const struct vad *v, vml_va va, vml_va end,
                                    unsigned mmprot);
/* The end of the run of pages from va (inside v, below limit) sharing va's
** state and protection (VirtualQuery's RegionSize). */
vml_va     vm_region_end(vml_proc *p, const struct vad *v, vml_va va, vml_va limit,
                         int *committed, unsigned *mmprot);
int        vm_check(vml_machine *m, char *msg, size_t size);

/* ---- fault.c ------------------------------------------------------------------- */

enum fault_outcome { FAULT_RETRY, FAULT_EXCEPTION };
enum fault_outcome fault_resolve(vml_proc *p, const struct mmu_fault *f, vml_exception *ex);
void       fault_exception(vml_proc *p, vml_va va, unsigned access, vml_av_reason r,
                           vml_exception *ex);

/* ---- access.c ------------------------------------------------------------------ */

/* Translate one user access of p on cpu, resolving faults; 0 and *pa, or
** -1 with *ex. */
int        acc_translate(vml_proc *p, unsigned cpu, vml_va va, unsigned access,
                         vml_pa *pa, vml_exception *ex);
/* The same after the caller's own L1 probe missed (MMU_L1_MISSED). */
int        acc_translate_flags(vml_proc *p, unsigned cpu, vml_va va, unsigned access,
                               vml_pa *pa, vml_exception *ex, unsigned mmu_flags);

#endif
