/*
** stats.c -- the named counters of the system, of each process and of each
** CPU.  The lists in vmlab.h (VML_SYS_STAT_LIST & co.) give each counter
** its name and meaning; the switches below give its value, one case per
** enum member, so a counter cannot be listed without a value (-Wswitch)
** nor named without being listed (the enum).
**
** INVARIANTS: none of its own; the counters are kept by the modules that
** count (pfn.c, fault.c, page.c, virtual.c ...) and checked there.  The
** working-set split (private, shareable, shared), Pss and the Rss kinds are
** computed here from the working set when asked.
*/
#include <string.h>
#include "machine.h"

struct stat_def {
    const char *name;
    const char *desc;
};

#define DEF(name, desc) { #name, desc },
static const struct stat_def sys_defs[] = { VML_SYS_STAT_LIST(DEF) };
static const struct stat_def proc_defs[] = { VML_PROC_STAT_LIST(DEF) };
static const struct stat_def cpu_defs[] = { VML_CPU_STAT_LIST(DEF) };
#undef DEF

#define N(a) (sizeof a / sizeof a[0])

static const struct stat_def *defs_of(vml_scope scope, size_t *n)
{
    switch (scope) {
    case VML_SCOPE_SYSTEM: *n = N(sys_defs); return sys_defs;
    case VML_SCOPE_PROC:   *n = N(proc_defs); return proc_defs;
    case VML_SCOPE_CPU:    *n = N(cpu_defs); return cpu_defs;
    }
    *n = 0;
    return NULL;
}

size_t vml_stat_count(vml_scope scope)
{
    size_t n;
    defs_of(scope, &n);
    return n;
}

const char *vml_stat_name(vml_scope scope, size_t i, const char **desc)
{
    size_t n;
    const struct stat_def *d = defs_of(scope, &n);
    if (i >= n)
        return NULL;
    if (desc)
        *desc = d[i].desc;
    return d[i].name;
}

/* ---- derived counts -------------------------------------------------------------------- */

/* What kind of memory a frame holds. */
enum mem_kind { MEM_ANON, MEM_FILE, MEM_SHMEM };

static enum mem_kind frame_kind(const vml_machine *m, vml_pfn pfn)
{
    uint64_t id;
    struct segment *seg;
    if (!pfn_is_proto(m, pfn) || proto_id_of_va(m, m->pfn[pfn].pte_pa, &id) != 0 ||
        (seg = proto_segment(m, id, NULL)) == NULL)
        return MEM_ANON;               /* private, or a clone page (anonymous) */
    return seg->kind == SEG_PAGEFILE ? MEM_SHMEM : MEM_FILE;
}

struct ws_split {
    uint64_t private_pages, shareable, shared;
    uint64_t anon, file, shmem;
    uint64_t pss;                      /* bytes << PSS_SHIFT */
};
#define PSS_SHIFT 12                   /* Linux's fixed point (fs/proc/task_mmu.c) */

static void ws_split(const vml_proc *p, struct ws_split *out)
{
    const vml_machine *m = p->m;
    *out = (struct ws_split){ 0 };
    for (uint32_t s = 0; s < p->ws.size; s++) {
        const struct wsle *w = &p->ws.e[s];
        if (w->va == 0)
            continue;
        const struct pfn_entry *e = &m->pfn[w->pfn];
        unsigned share = e->share_count ? e->share_count : 1;
        if (e->flags & VML_PFN_PROTOTYPE) {
            out->shareable++;
            out->shared += share > 1;
        } else {
            out->private_pages++;
        }
        switch (frame_kind(m, w->pfn)) {
        case MEM_ANON:  out->anon++; break;
        case MEM_FILE:  out->file++; break;
        case MEM_SHMEM: out->shmem++; break;
        }
        out->pss += ((uint64_t)VML_PAGE_SIZE << PSS_SHIFT) / share;
    }
}

static uint64_t count_frames(const vml_machine *m, int (*want)(const vml_machine *, vml_pfn))
{
    uint64_t n = 0;
    for (vml_pfn f = 0; f < m->n_frames; f++)
        n += (uint64_t)want(m, f);
    return n;
}

static int frame_shared(const vml_machine *m, vml_pfn f)
{
    const struct pfn_entry *e = &m->pfn[f];
    return e->list == VML_LIST_ACTIVE && !(e->flags & (VML_PFN_PAGETABLE | VML_PFN_KERNEL)) &&
           e->share_count > 1;
}

static int frame_holds(const vml_machine *m, vml_pfn f, enum mem_kind kind)
{
    const struct pfn_entry *e = &m->pfn[f];
    int used = e->list == VML_LIST_ACTIVE || e->list == VML_LIST_STANDBY ||
               e->list == VML_LIST_MODIFIED || e->list == VML_LIST_MODNOWRITE;
    return used && pfn_is_proto(m, f) && frame_kind(m, f) == kind &&
           !(e->flags & (VML_PFN_PAGETABLE | VML_PFN_KERNEL));
}
static int frame_cached(const vml_machine *m, vml_pfn f) { return frame_holds(m, f, MEM_FILE); }

static int frame_in_use(const struct pfn_entry *e)
{
    return (e->list == VML_LIST_ACTIVE || e->list == VML_LIST_STANDBY ||
            e->list == VML_LIST_MODIFIED || e->list == VML_LIST_MODNOWRITE) &&
           !(e->flags & (VML_PFN_PAGETABLE | VML_PFN_KERNEL));
}
static int frame_anon(const vml_machine *m, vml_pfn f)
{
    return frame_in_use(&m->pfn[f]) && frame_kind(m, f) == MEM_ANON;
}
/* Linux's Mapped (NR_FILE_MAPPED): page-cache pages some PTE maps, shmem
** pages included (page_add_file_rmap() counts every non-anonymous folio). */
static int frame_mapped_file(const vml_machine *m, vml_pfn f)
{
    const struct pfn_entry *e = &m->pfn[f];
    return e->list == VML_LIST_ACTIVE && e->share_count &&
           (frame_holds(m, f, MEM_FILE) || frame_holds(m, f, MEM_SHMEM));
}
/* Linux's Dirty (NR_FILE_DIRTY): file pages written and not yet written
** back -- modified, or mapped by a PTE whose D bit says so (Linux marks
** the page dirty at the write fault; vmlab's CPU sets D).  Shmem and
** anonymous pages are not counted, as Linux does not. */
static int frame_dirty(const vml_machine *m, vml_pfn f)
{
    const struct pfn_entry *e = &m->pfn[f];
    if (!frame_holds(m, f, MEM_FILE))
        return 0;
    if (e->flags & VML_PFN_MODIFIED)
        return 1;
    return e->list == VML_LIST_ACTIVE && (rmap_pte_or(m, f) & PG_D);
}
static int frame_swap_cached(const vml_machine *m, vml_pfn f)
{
    return frame_in_use(&m->pfn[f]) && frame_orig_slot(m, f) != UINT64_MAX;
}
static int frame_shmem(const vml_machine *m, vml_pfn f) { return frame_holds(m, f, MEM_SHMEM); }

/* ---- values ------------------------------------------------------------------------------- */

uint64_t vml_stat_sys(const vml_machine *m, vml_sys_stat s)
{
    const struct sys_stats *st = &m->st;
    switch (s) {
    case VML_STAT_SYS_total_pages:        return m->n_frames;
    case VML_STAT_SYS_free_pages:         return m->lists[VML_LIST_FREE].count;
    case VML_STAT_SYS_zeroed_pages:       return m->lists[VML_LIST_ZEROED].count;
    case VML_STAT_SYS_standby_pages:      return m->lists[VML_LIST_STANDBY].count;
    case VML_STAT_SYS_modified_pages:     return m->lists[VML_LIST_MODIFIED].count;
    case VML_STAT_SYS_modnowrite_pages:   return m->lists[VML_LIST_MODNOWRITE].count;
    case VML_STAT_SYS_bad_pages:          return m->lists[VML_LIST_BAD].count;
    case VML_STAT_SYS_active_pages:       return m->lists[VML_LIST_ACTIVE].count;
    case VML_STAT_SYS_pagetable_pages:    return st->pt_pages;
    case VML_STAT_SYS_kernel_pages:       return st->kernel_pages;
    case VML_STAT_SYS_page_faults:        return st->page_faults;
    case VML_STAT_SYS_demand_zero_faults: return st->demand_zero_faults;
    case VML_STAT_SYS_transition_faults:  return st->transition_faults;
    case VML_STAT_SYS_guard_page_faults:  return st->guard_page_faults;
    case VML_STAT_SYS_access_violations:  return st->access_violations;
    case VML_STAT_SYS_pages_zeroed:       return st->pages_zeroed;
    case VML_STAT_SYS_ipis:               return st->ipis;
    case VML_STAT_SYS_shootdowns:         return st->shootdowns;
    case VML_STAT_SYS_processes:          return m->n_procs;
    case VML_STAT_SYS_soft_faults:        return st->transition_faults;
    case VML_STAT_SYS_hard_faults:        return st->hard_faults;
    case VML_STAT_SYS_pagefile_reads:     return m->pf.reads;
    case VML_STAT_SYS_pagefile_writes:    return m->pf.writes;
    case VML_STAT_SYS_pagefile_write_clusters: return m->pf.clusters;
    case VML_STAT_SYS_pagefile_read_errors:  return m->pf.read_errors;
    case VML_STAT_SYS_pagefile_write_errors: return m->pf.write_errors;
    case VML_STAT_SYS_pagefile_total_pages: return m->pf.n_slots;
    case VML_STAT_SYS_pagefile_used_pages: return m->pf.used;
    case VML_STAT_SYS_pagefile_peak_pages: return m->pf.peak;
    case VML_STAT_SYS_commit_charge:      return st->commit_charge;
    case VML_STAT_SYS_commit_limit:       return m->commit_limit;
    case VML_STAT_SYS_commit_peak:        return st->commit_peak;
    case VML_STAT_SYS_available_pages:    return pfn_available(m);
    case VML_STAT_SYS_pages_trimmed:      return st->trimmed;
    case VML_STAT_SYS_evictions:          return st->evictions;
    case VML_STAT_SYS_writebacks:         return st->writebacks;
    case VML_STAT_SYS_pages_repurposed:   return st->repurposed;
    case VML_STAT_SYS_aging_passes:       return st->aging_passes;
    case VML_STAT_SYS_background_runs:    return st->bg_runs;
    case VML_STAT_SYS_no_frame_faults:    return st->oom_faults;
    case VML_STAT_SYS_failed_faults:      return st->failed_faults;
    case VML_STAT_SYS_cow_faults:         return st->cow_faults;
    case VML_STAT_SYS_prototype_faults:   return st->prototype_faults;
    case VML_STAT_SYS_file_faults:        return st->file_faults;
    case VML_STAT_SYS_image_faults:       return st->image_faults;
    case VML_STAT_SYS_bus_errors:         return st->bus_errors;
    case VML_STAT_SYS_shared_pages:       return count_frames(m, frame_shared);
    case VML_STAT_SYS_file_reads:         return st->file_reads;
    case VML_STAT_SYS_file_writes:        return st->file_writes;
    case VML_STAT_SYS_file_read_errors:   return st->file_read_errors;
    case VML_STAT_SYS_file_write_errors:  return st->file_write_errors;
    case VML_STAT_SYS_zero_page_maps:     return st->zero_page_maps;
    case VML_STAT_SYS_sections:           return m->n_sections;
    case VML_STAT_SYS_segments:           return m->n_segs;
    case VML_STAT_SYS_cached_pages:       return count_frames(m, frame_cached);
    case VML_STAT_SYS_shmem_pages:        return count_frames(m, frame_shmem);
    case VML_STAT_SYS_clone_pages:        return m->clones.used;
    case VML_STAT_SYS_forks:              return st->forks;
    case VML_STAT_SYS_anon_pages:         return count_frames(m, frame_anon);
    case VML_STAT_SYS_mapped_file_pages:  return count_frames(m, frame_mapped_file);
    case VML_STAT_SYS_dirty_pages:        return count_frames(m, frame_dirty);
    case VML_STAT_SYS_swap_cached_pages:  return count_frames(m, frame_swap_cached);
    case VML_STAT_SYS_stack_growths:      return m->st.stack_growths;
    case VML_N_SYS_STATS:                 break;
    }
    return 0;
}

static uint64_t handles_open(const struct handle_table *t)
{
    uint64_t n = 0;
    for (uint32_t i = 0; i < t->n; i++)
        n += t->h[i].kind != OBJ_NONE;
    return n;
}

uint64_t vml_stat_proc(const vml_proc *p, vml_proc_stat s)
{
    const struct proc_stats *st = &p->st;
    struct ws_split w;
    switch (s) {
    case VML_STAT_PROC_page_faults:        return st->page_faults;
    case VML_STAT_PROC_demand_zero_faults: return st->demand_zero_faults;
    case VML_STAT_PROC_transition_faults:  return st->transition_faults;
    case VML_STAT_PROC_guard_page_faults:  return st->guard_page_faults;
    case VML_STAT_PROC_access_violations:  return st->access_violations;
    case VML_STAT_PROC_working_set:        return p->ws.n_valid << 12;
    case VML_STAT_PROC_peak_working_set:   return st->peak_ws_pages << 12;
    case VML_STAT_PROC_private_bytes:      return st->commit_pages << 12;
    case VML_STAT_PROC_peak_private_bytes: return st->peak_commit_pages << 12;
    case VML_STAT_PROC_virtual_size:       return st->virtual_pages << 12;
    case VML_STAT_PROC_peak_virtual_size:  return st->peak_virtual_pages << 12;
    case VML_STAT_PROC_pagetable_pages:    return st->pt_pages;
    case VML_STAT_PROC_vads:               return p->vads.count;
    case VML_STAT_PROC_soft_faults:        return st->transition_faults;
    case VML_STAT_PROC_hard_faults:        return st->hard_faults;
    case VML_STAT_PROC_minflt:             return st->page_faults - st->hard_faults;
    case VML_STAT_PROC_majflt:             return st->hard_faults;
    case VML_STAT_PROC_pagefile_pages:     return st->swap_pages;
    case VML_STAT_PROC_pages_trimmed:      return st->trimmed;
    case VML_STAT_PROC_ws_min_pages:       return p->ws.min_pages;
    case VML_STAT_PROC_ws_max_pages:       return p->ws.max_pages;
    case VML_STAT_PROC_memory_priority:    return p->mem_priority;
    case VML_STAT_PROC_failed_faults:      return st->failed_faults;
    case VML_STAT_PROC_cow_faults:         return st->cow_faults;
    case VML_STAT_PROC_prototype_faults:   return st->prototype_faults;
    case VML_STAT_PROC_file_faults:        return st->file_faults;
    case VML_STAT_PROC_image_faults:       return st->image_faults;
    case VML_STAT_PROC_bus_errors:         return st->bus_errors;
    case VML_STAT_PROC_ws_private:         ws_split(p, &w); return w.private_pages << 12;
    case VML_STAT_PROC_ws_shareable:       ws_split(p, &w); return w.shareable << 12;
    case VML_STAT_PROC_ws_shared:          ws_split(p, &w); return w.shared << 12;
    case VML_STAT_PROC_rss_anon:           ws_split(p, &w); return w.anon << 12;
    case VML_STAT_PROC_rss_file:           ws_split(p, &w); return w.file << 12;
    case VML_STAT_PROC_rss_shmem:          ws_split(p, &w); return w.shmem << 12;
    case VML_STAT_PROC_pss:                ws_split(p, &w); return w.pss >> PSS_SHIFT;
    case VML_STAT_PROC_zero_page_maps:     return st->zero_page_maps;
    case VML_STAT_PROC_handles:            return handles_open(&p->w32);
    case VML_STAT_PROC_fds:                return handles_open(&p->fds);
    case VML_STAT_PROC_stack_growths:      return p->st.stack_growths;
    case VML_STAT_PROC_stack_overflows:    return p->st.stack_overflows;
    case VML_STAT_PROC_threads:            return p->os.n_threads;
    case VML_N_PROC_STATS:                 break;
    }
    return 0;
}

uint64_t vml_stat_cpu(const vml_machine *m, unsigned cpu, vml_cpu_stat s)
{
    if (cpu >= m->n_cpus)
        return 0;
    const struct cpu_stats *st = &m->cpus[cpu].st;
    switch (s) {
    case VML_STAT_CPU_tlb_hits:    return st->tlb_hits;
    case VML_STAT_CPU_tlb_misses:  return st->tlb_misses;
    case VML_STAT_CPU_tlb_l2_hits: return st->tlb_l2_hits;
    case VML_STAT_CPU_page_walks:  return st->page_walks;
    case VML_STAT_CPU_invlpgs:     return st->invlpgs;
    case VML_STAT_CPU_flushes:     return st->flushes;
    case VML_STAT_CPU_cr3_loads:   return st->cr3_loads;
    case VML_STAT_CPU_ipis:        return st->ipis;
    case VML_N_CPU_STATS:          break;
    }
    return 0;
}

vml_status vml_stat_get(vml_machine *m, vml_scope scope, unsigned id, const char *name,
                        uint64_t *out)
{
    size_t n;
    if (m == NULL || name == NULL || out == NULL)
        return VML_E_INVALID;
    const struct stat_def *d = defs_of(scope, &n);
    if (d == NULL)
        return mm_fail(m, VML_E_INVALID, "scope %d does not exist", (int)scope);
    size_t i;
    for (i = 0; i < n && strcmp(d[i].name, name) != 0; i++)
        ;
    if (i == n)
        return mm_fail(m, VML_E_NOT_FOUND, "no %s counter named '%s' (vmlab help stat lists them)",
                       scope == VML_SCOPE_SYSTEM ? "system" : scope == VML_SCOPE_PROC ? "process"
                                                                                       : "cpu",
                       name);
    switch (scope) {
    case VML_SCOPE_SYSTEM:
        *out = vml_stat_sys(m, (vml_sys_stat)i);
        return VML_OK;
    case VML_SCOPE_PROC: {
        const vml_proc *p = mm_proc(m, id);
        if (p == NULL)
            return mm_fail(m, VML_E_NOT_FOUND, "no process with pid %u", id);
        *out = vml_stat_proc(p, (vml_proc_stat)i);
        return VML_OK;
    }
    case VML_SCOPE_CPU:
        if (id >= m->n_cpus)
            return mm_fail(m, VML_E_NOT_FOUND, "cpu %u does not exist (the machine has %u)", id,
                           m->n_cpus);
        *out = vml_stat_cpu(m, id, (vml_cpu_stat)i);
        return VML_OK;
    }
    return VML_E_INVALID;
}
