/*
** machine.h -- the aggregate of the memory manager: struct vml_machine and
** struct vml_proc, which hold the state of every mm module.  Every mm .c
** file includes it; no mm header does (module headers include only the
** headers of modules below them, so the include graph has no cycle:
** tests/check_includes.sh).  os/ and loader/ include vm.h instead.
**
** The modules, bottom up (a module calls only those before it):
**   core     errors, events, host allocation, fault injection, rng
**   handle   handle tables (declarations: section.c implements them)
**   pte      software PTE formats, protection codes (pure)
**   pfn      the PFN database and page lists
**   bio      backing I/O: the pagefile, the machine's files
**   pt       page tables: the walker, PTE writes
**   aspace   address spaces: top tables, kernel half, CR3, PCIDs, TLBs
**   vad      the VAD tree
**   section  segments, prototype PTEs, section objects, clones, handles
**   ws       working-set lists
**   rmap     the reverse map (every PTE that maps a frame) and page checks
**   page     mapping and unmapping one page (frames <-> PTEs <-> WSLEs)
**   reclaim  taking frames, trimming, aging, policies, the modified page
**            writer and the background work
**   fault    the page-fault handler
**   virtual  reserve/commit/protect/views/fork/copy (vm.h: for os/)
**   stack    stack growth: Win32 guard pages, posix VM_GROWSDOWN VMAs
**   access   memory accesses through the MMU
**   machine  creation, processes, checks, public glue (stats, info)
*/
#ifndef VML_MM_MACHINE_H
#define VML_MM_MACHINE_H

#include <stdint.h>
#include <stddef.h>
#include "vmlab.h"
#include "hw/phys.h"
#include "hw/paging.h"
#include "hw/tlb.h"
#include "hw/mmu.h"
#include "policy/policy.h"
#include "core.h"
#include "handle.h"
#include "pte.h"
#include "pfn.h"
#include "bio.h"
#include "pt.h"
#include "aspace.h"
#include "vad.h"
#include "section.h"
#include "ws.h"
#include "rmap.h"
#include "page.h"
#include "reclaim.h"
#include "fault.h"
#include "vm.h"
#include "record.h"
#include "stack.h"

/* ---- processes ------------------------------------------------------------ */

struct proc_stats {
    uint64_t page_faults;         /* faults resolved (not exceptions) */
    uint64_t demand_zero_faults;
    uint64_t transition_faults;   /* soft faults from standby/modified */
    uint64_t hard_faults;         /* page-ins from the pagefile or a file */
    uint64_t cow_faults;          /* copy-on-write faults (copies and reuses) */
    uint64_t prototype_faults;    /* faults resolved through a prototype PTE */
    uint64_t file_faults;         /* hard faults served from a mapped file */
    uint64_t image_faults;        /* hard faults served from an image file */
    uint64_t zero_page_maps;      /* PTEs mapping the shared zero page now */
    uint64_t swap_pages;          /* private pagefile PTEs (VmSwap) */
    uint64_t trimmed;             /* pages taken out of the working set */
    uint64_t failed_faults;       /* STATUS_NO_MEMORY / IN_PAGE_ERROR raised */
    uint64_t guard_page_faults;
    uint64_t access_violations;
    uint64_t bus_errors;          /* SIGBUS for file pages past the end */
    uint64_t peak_ws_pages;
    uint64_t commit_pages, peak_commit_pages;   /* committed private pages */
    uint64_t virtual_pages, peak_virtual_pages; /* pages inside VADs */
    uint64_t pt_pages;            /* page-table frames, top level included */
    uint64_t stack_growths;       /* guard pages moved down, growsdown VMAs extended */
    uint64_t stack_overflows;     /* STATUS_STACK_OVERFLOW raised */
};

struct vml_proc {
    vml_machine      *m;
    unsigned          pid;
    unsigned          ppid;       /* fork's parent (0: none) */
    char              name[32];
    vml_pfn           top_pfn;    /* PML5/PML4/PDPT/PD frame */
    vml_pa            cr3;
    unsigned          pcid;       /* 0 when PCIDs are off, or while it holds
                                  ** none (given one when next switched in) */
    uint64_t          switched;   /* machine switch clock at its last CR3 load */
    struct vad_tree   vads;
    uint64_t          cpu_mask;   /* CPUs whose TLB may hold its entries */
    unsigned          last_cpu;
    unsigned          mem_priority;   /* 0..7, the standby priority of its pages */
    struct wsl        ws;
    struct handle_table w32;      /* Win32 handles */
    struct handle_table fds;      /* posix descriptors */
    uint32_t          last_error;     /* Win32 GetLastError() */
    struct vm_osproc  os;         /* the personalities' kernel records (vm.h) */
    struct proc_stats st;
};

/* ---- the machine ---------------------------------------------------------- */

struct sys_stats {
    uint64_t page_faults, demand_zero_faults, transition_faults;
    uint64_t guard_page_faults, access_violations;
    uint64_t pt_pages;            /* every page-table frame, kernel's too */
    uint64_t kernel_pages;        /* frames of the kernel image and zero page */
    uint64_t pages_zeroed;        /* by the zero-page worker */
    uint64_t ipis, shootdowns;
    uint64_t hard_faults;
    uint64_t cow_faults, prototype_faults, file_faults, image_faults, bus_errors;
    uint64_t zero_page_maps;      /* PTEs mapping the zero page now */
    uint64_t file_reads, file_writes, file_read_errors, file_write_errors;
    uint64_t commit_charge, commit_peak;   /* pages */
    uint64_t trimmed, evictions, writebacks, repurposed;
    uint64_t aging_passes, bg_runs;
    uint64_t oom_faults;          /* faults failed for want of a frame */
    uint64_t failed_faults;       /* STATUS_NO_MEMORY / IN_PAGE_ERROR raised */
    uint64_t forks;
    uint64_t stack_growths;
};

struct vml_machine {
    struct mm_core        core;            /* first: see core.h */
    vml_config            cfg;
    const struct pg_mode *pm;
    vml_layout            layout;
    struct phys           phys;
    int                   no_data;         /* VML_CFG_NO_DATA: only page
                                           ** tables' bytes are kept (MCH4) */
    struct pfn_entry     *pfn;
    uint64_t              n_frames;
    struct pfn_list       lists[VML_N_LISTS];   /* ACTIVE: count only */
    uint32_t              sb_tail[VML_STANDBY_PRIORITIES]; /* last standby frame of each */
    vml_pfn               zero_pfn;        /* the shared zero page (posix reads) */
    /* A zeroed frame for a page table (reclaim's frame_take_table; pt.c
    ** calls it, being below reclaim). */
    vml_pfn             (*take_table_frame)(vml_machine *m, unsigned pid);
    struct cpu           *cpus;
    unsigned              n_cpus;
    vml_proc             *cpu_proc[64];    /* whose CR3 each CPU has loaded */
    vml_proc            **procs;           /* in pid order */
    size_t                n_procs, cap_procs;
    unsigned              next_pid;
    unsigned              next_tid;        /* thread ids (vm_new_tid) */
    vm_os_check_fn        os_check;        /* the personalities' checks, or NULL */
    uint64_t              pcid_map[4096 / 64];  /* PCIDs held by live processes */
    uint64_t              switch_clock;
    vml_pfn               kernel_top_pfn;  /* template with the kernel half */
    unsigned              kernel_first, kernel_last; /* top-level kernel slots */
    struct sys_stats      st;
    struct pagefile       pf;
    /* files and sections */
    char                 *files_dir;
    int                   files_dir_owned;
    struct mm_file      **files;
    size_t                n_files, cap_files;
    struct segment      **segs;            /* sorted by proto_base */
    size_t                n_segs, cap_segs;
    uint32_t              last_seg_id;
    struct section      **sections;
    size_t                n_sections, cap_sections;
    uint32_t              last_section_id;
    struct clone_pool     clones;
    uint64_t              proto_va_base;   /* prototype PTEs' paged-pool addresses */
    uint32_t              last_anon_id;
    /* reclaim */
    uint64_t              commit_limit;    /* pages: RAM + pagefile */
    uint64_t              low, high, zero_reserve, mod_high;
    uint64_t              n_accesses, next_bg;
    int                   bg_due;          /* a threshold was crossed */
    uint64_t              low_retry;       /* the next pass is due at this many
                                           ** available pages or fewer (< low) */
    int                   in_bg;           /* the background work is running */
    size_t                trim_proc;       /* where low-memory trimming resumes */
    const struct policy_ops *pol;          /* global policy; NULL: working sets */
    void                 *pol_st;
    uint64_t              pol_resident;    /* frames the policy holds */
    uint64_t              pol_want;        /* key of the page a fault wants a frame for, or 0 */
    uint64_t              loader_words[8]; /* vm.h's VM_LOADER_WORDS */
    /* the recorder (record.c): its sample points, UINT64_MAX when none */
    struct recorder      *rec;
    uint64_t              rec_next;        /* n_accesses of the next sample */
    uint64_t              rec_next_tick;   /* n_ticks of the next sample */
    uint64_t              n_ticks;         /* background passes of vml_tick */
};

/* ---- small helpers every module uses ------------------------------------- */

static inline uint64_t pte_read(const vml_machine *m, vml_pa pa)
{
    return m->pm->entry_size == 8 ? phys_read64(&m->phys, pa) : phys_read32(&m->phys, pa);
}

static inline uint64_t pfn_available(const vml_machine *m)
{
    return m->lists[VML_LIST_ZEROED].count + m->lists[VML_LIST_FREE].count +
           m->lists[VML_LIST_STANDBY].count;
}

static inline int pfn_is_proto(const vml_machine *m, vml_pfn pfn)
{
    return (m->pfn[pfn].flags & VML_PFN_PROTOTYPE) != 0;
}

/* The pagefile slot of a frame's clean copy (UINT64_MAX: none): a private
** frame keeps a process PTE in orig_pte, a prototype's page a prototype
** PTE (64-bit format). */
static inline uint64_t frame_orig_slot(const vml_machine *m, vml_pfn pfn)
{
    const struct pfn_entry *e = &m->pfn[pfn];
    return sw_slot((e->flags & VML_PFN_PROTOTYPE) ? &pg_modes[VML_PAGING_4LEVEL] : m->pm,
                   e->orig_pte);
}

/* ---- functions the mm modules share beyond their headers ------------------- */

/* The live process with pid (processes are kept in pid order: MCH3). */
vml_proc  *mm_proc(const vml_machine *m, unsigned pid);
/* A process with an empty address space, not yet checked (fork uses it). */
vml_status mm_proc_new(vml_machine *m, const char *name, vml_proc **out);
void       mm_proc_delete(vml_proc *p);
/* Frame pfn (zeroed, active) becomes the shared zero page: a kernel frame
** of zeros that posix reads of untouched memory map read-only.  Made by
** the first such read. */
void       zero_page_make(vml_machine *m, vml_pfn pfn);

/* access.c: translate one user access of p on cpu, resolving faults; 0
** and *pa, or -1 with *ex. */
int        acc_translate(vml_proc *p, unsigned cpu, vml_va va, unsigned access,
                         vml_pa *pa, vml_exception *ex);
int        acc_translate_flags(vml_proc *p, unsigned cpu, vml_va va, unsigned access,
                               vml_pa *pa, vml_exception *ex, unsigned mmu_flags);
/* Moves len bytes (within one page) between buf and the translated pa:
** a read or fetch copies out, a write copies in -- or, with data=off,
** stores nothing (MCH4). */
void       acc_copy(vml_machine *m, vml_pa pa, uint8_t *buf, size_t len, unsigned access);

/* virtual.c and views.c */
void       vm_insert(vml_proc *p, struct vad *v);
void       vm_stat_commit(vml_proc *p, struct vad *v, int64_t delta);
void       vm_stat_virtual(vml_proc *p, int64_t delta);
void       vm_vad_event(vml_proc *p, const struct vad *v, const char *what);
void       vm_unmap_pages(vml_proc *p, vml_va va, vml_va end);
vml_status vm_ensure_tables(vml_proc *p, vml_va va, vml_va end);
vml_status vm_commit_view(vml_proc *p, struct vad *v, vml_va va, uint64_t n_pages,
                          unsigned mmprot);
void       vm_view_gone(vml_proc *p, struct vad *v);
uint64_t   vm_view_charge(const struct vad *v);
int        vm_check(vml_machine *m, char *msg, size_t size);

#endif
