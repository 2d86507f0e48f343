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
#include "policy/policy.h"

/* ---- PFN database (pfn.c) ------------------------------------------- */

#define PFN_NIL UINT32_MAX

/* One entry per frame, 32 bytes (Windows' MMPFN is 48 on x64). */
struct pfn_entry {
    uint32_t flink, blink;    /* list links (frame numbers), PFN_NIL ends;
                              ** an active data page keeps its working-set
                              ** list index in flink (Windows: u1.WsIndex) */
    uint64_t pte_pa;          /* PTE that maps the frame; 0 = none */
    uint64_t orig_pte;        /* software PTE to restore when the frame is
                              ** repurposed: demand-zero, or the pagefile
                              ** PTE of a clean copy in the pagefile */
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
    uint64_t hard_faults;         /* page-ins from the pagefile */
    uint64_t swap_pages;          /* pagefile PTEs (VmSwap) */
    uint64_t trimmed;             /* pages taken out of the working set */
    uint64_t failed_faults;       /* STATUS_NO_MEMORY / IN_PAGE_ERROR raised */
    uint64_t guard_page_faults;
    uint64_t access_violations;
    uint64_t ws_pages, peak_ws_pages;           /* valid user pages */
    uint64_t commit_pages, peak_commit_pages;   /* committed private pages */
    uint64_t virtual_pages, peak_virtual_pages; /* pages inside VADs */
    uint64_t pt_pages;            /* page-table frames, top level included */
};

/* The working-set list (Windows' MMWSL): slots holding a page each, or
** free and chained; the frame of a page keeps its slot index. */
#define WSL_NIL UINT32_MAX
#define WS_MAX_AGE 7
struct wsle {
    vml_va   va;          /* page; 0 = free slot */
    union {
        uint32_t pfn;         /* its frame, whose pte_pa finds the PTE */
        uint32_t next_free;   /* free slots: the next one */
    } u;
    uint8_t  age;
};

struct wsl {
    struct wsle *e;
    uint32_t     size, cap;     /* slots in use (valid or free) / allocated */
    uint32_t     free_head;
    uint32_t     hand;          /* where trimming's sweep resumes */
    uint64_t     min_pages, max_pages;
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
    unsigned          mem_priority;   /* 0..7, the standby priority of its pages */
    struct wsl        ws;
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
    uint64_t hard_faults;
    uint64_t commit_charge, commit_peak;   /* pages */
    uint64_t trimmed, evictions, writebacks, repurposed;
    uint64_t aging_passes, bg_runs;
    uint64_t oom_faults;          /* faults failed for want of a frame */
    uint64_t failed_faults;       /* STATUS_NO_MEMORY / IN_PAGE_ERROR raised */
};

/* The pagefile (pagefile.c): a host file of 4 KiB slots. */
struct pagefile {
    int       fd;               /* -1: none */
    char      path[256];        /* "" for a temporary file */
    uint64_t  n_slots, used, peak;
    uint64_t *bitmap;           /* 1 = slot in use */
    uint64_t  hint;             /* next-fit search start */
    uint64_t  reads, writes, clusters, read_errors, write_errors;
};

struct inject {
    int      err;
    uint64_t after, count;
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
    uint32_t              sb_tail[VML_STANDBY_PRIORITIES]; /* last standby frame of each */
    struct pagefile       pf;
    uint64_t              commit_limit;    /* pages: RAM + pagefile */
    uint64_t              low, high, zero_reserve, mod_high;
    uint64_t              n_accesses, next_bg;
    int                   bg_due;          /* a threshold was crossed */
    int                   in_bg;           /* the background work is running */
    const struct policy_ops *pol;          /* global policy; NULL: working sets */
    void                 *pol_st;
    uint64_t              pol_resident;    /* frames the policy holds */
    struct inject         inj[VML_N_INJECT];
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
** PFN_NEED_ZERO), then standby (repurposed); PFN_PAGE_IN prefers free to
** zeroed.  The frame comes back active with share/ref counts 0, and *from
** (may be NULL) names the list it came from.  VML_PFN_NONE when every
** list is empty. */
#define PFN_NEED_ZERO 1u
#define PFN_ANY       0u
#define PFN_PAGE_IN   2u   /* free before zeroed: the contents are read in */
vml_pfn    pfn_take(vml_machine *m, unsigned how, unsigned pid, vml_list *from);
/* How many frames pfn_take() can hand out now (standby pages are
** repurposed when zeroed and free run out). */
static inline uint64_t pfn_available(const vml_machine *m)
{
    return m->lists[VML_LIST_ZEROED].count + m->lists[VML_LIST_FREE].count +
           m->lists[VML_LIST_STANDBY].count;
}
/* Active frame no longer used: to the free list (contents dirty). */
void       pfn_free(vml_machine *m, vml_pfn pfn, unsigned pid);
/* Active -> standby (clean) or modified (dirty): a transition page. */
void       pfn_release(vml_machine *m, vml_pfn pfn, int dirty, unsigned pid);
/* Standby/modified -> active (a soft fault). */
void       pfn_reclaim(vml_machine *m, vml_pfn pfn, unsigned pid);
/* Modified -> standby: the modified page writer wrote it to the pagefile
** (orig_pte becomes the pagefile PTE naming its slot). */
void       pfn_written(vml_machine *m, vml_pfn pfn, uint64_t pagefile_pte);
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
/* The process and virtual address a user leaf PTE at pte_pa translates;
** -1 when pte_pa is not in a user page table. */
int        as_locate(vml_machine *m, vml_pa pte_pa, vml_proc **p, vml_va *va);
/* Rewrite an entry without changing whether it is zero (A-bit clearing,
** repurposing): no share-count change, no event. */
void       as_pte_update(vml_machine *m, vml_pa pte_pa, uint64_t pte);

/* ---- virtual.c: the personality-neutral operations --------------------- */

/* Committed?  And with what MM protection?  (From the PTE and the VAD.) */
int        vm_page_state(vml_proc *p, const struct vad *v, vml_va va, uint64_t pte,
                         unsigned *mmprot);
vml_status vm_reserve(vml_proc *p, vml_va va, uint64_t n_pages, unsigned mmprot,
                      unsigned origin, int mem_commit, struct vad **out);
/* VML_E_COMMIT when n_pages more would pass the commit limit. */
vml_status vm_charge_check(vml_proc *p, uint64_t n_pages);
/* Commit [va, va+n pages) inside VAD v with mmprot; counts new commits
** (VML_E_COMMIT past the commit limit: nothing changes). */
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

/* ---- wset.c: working sets, the background work, global policies -------- */

/* Room for one more working-set entry (a host allocation): call before
** the fault changes anything.  VML_E_NOMEM when the host refuses. */
vml_status ws_reserve(vml_proc *p);
/* A page just mapped valid joins p's working set (and the policy). */
void       ws_insert(vml_proc *p, vml_va va, vml_pfn pfn);
/* A valid page leaves p's working set (it is being unmapped, freed or
** made a transition page by the caller). */
void       ws_remove(vml_proc *p, vml_pfn pfn);
/* Take the valid page at va (frame pfn, PTE at pte_pa) out of the working
** set: a transition PTE with protection mmprot, the frame to standby
** (clean) or modified (dirty).  why: WS_TRIM, WS_EVICT (a global policy's
** victim) or WS_PROTECT (made inaccessible: not counted as a trim). */
enum ws_why { WS_TRIM, WS_EVICT, WS_PROTECT };
void       ws_evict(vml_proc *p, vml_va va, vml_pa pte_pa, vml_pfn pfn, unsigned mmprot,
                    enum ws_why why);
/* Before a fault adds a page to p: trims p to below its maximum. */
void       ws_make_room(vml_proc *p);
/* A frame for a fault, reclaiming memory (trimming, writing modified
** pages, evicting a global policy's victim) when none is available. */
vml_pfn    mm_take_frame(vml_machine *m, unsigned how, unsigned pid, vml_list *from);
/* Makes frames available the way the machine's policy says: trims working
** sets to the high threshold (and writes modified pages), or evicts the
** global policy's victims until want frames are available. */
void       mm_reclaim(vml_machine *m, uint64_t want);
/* Runs the background work now (called when a threshold or the interval
** says so). */
void       mm_background(vml_machine *m);
/* At a safe point: runs the background work when a threshold was crossed
** or the access interval has passed. */
static inline void mm_background_due(vml_machine *m)
{
    if (m->bg_due || (m->cfg.bg_interval && m->n_accesses >= m->next_bg))
        mm_background(m);
}
static inline void mm_count_accesses(vml_machine *m, uint64_t n)
{
    m->n_accesses += n;
}
/* The global policy sees an access of a frame (a stale TLB entry may
** name a frame that is no longer a resident user page: ignored). */
static inline void mm_policy_access(vml_machine *m, vml_pfn pfn)
{
    const struct pfn_entry *e = &m->pfn[pfn];
    if (e->list == VML_LIST_ACTIVE && e->flink != PFN_NIL)
        m->pol->on_access(m->pol_st, (uint32_t)pfn, 0, 0);
}
vml_status ws_init_machine(vml_machine *m);
void       ws_fini_proc(vml_proc *p);
int        ws_check(vml_machine *m, char *msg, size_t size);

/* ---- pagefile.c --------------------------------------------------------------- */

vml_status pf_open(vml_machine *m);
void       pf_close(vml_machine *m);
/* A run of up to want free slots (next fit); 0 when the pagefile is full
** or absent. */
uint64_t   pf_alloc_run(vml_machine *m, uint64_t want, uint64_t *first);
void       pf_free_slot(vml_machine *m, uint64_t slot);
/* Reads slot into frame pfn, counting the read or the error: 0 or an
** errno (VML_EIO...). */
int        pf_read(vml_machine *m, uint64_t slot, vml_pfn pfn);
/* Writes modified pages to the pagefile in clusters (all when max is 0);
** returns how many were written. */
uint64_t   mpw_run(vml_machine *m, uint64_t max);
/* Host allocations of the memory manager, through the injection point. */
void      *mm_calloc(vml_machine *m, size_t n, size_t size);
void      *mm_realloc(vml_machine *m, void *ptr, size_t size);
/* 0, or the injected error of the next operation of kind what. */
int        mm_injected(vml_machine *m, unsigned what);
int        pf_check(vml_machine *m, char *msg, size_t size);

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
