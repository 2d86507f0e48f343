/*
** stats.c -- the named counters of the system, of each process and of each
** CPU: one table per scope drives vml_stat_get(), `vmlab help stat` and the
** stats view, so names, meanings and values cannot drift apart.
**
** INVARIANTS: none of its own; the counters are kept by the modules that
** count (pfn.c, fault.c, aspace.c, virtual.c) and checked there.
*/
#include <string.h>
#include "mm.h"

struct stat_def {
    const char *name;
    const char *desc;
};

#define SYS_STATS(X) \
    X(total_pages,        "physical frames in the machine") \
    X(free_pages,         "frames on the free list (contents not zeroed)") \
    X(zeroed_pages,       "frames on the zeroed list") \
    X(standby_pages,      "frames on the standby list (clean, still holding data)") \
    X(modified_pages,     "frames on the modified list (dirty, to be written)") \
    X(modnowrite_pages,   "frames on the modified-no-write list") \
    X(bad_pages,          "frames on the bad list (out of service)") \
    X(active_pages,       "frames in use: working sets, page tables, kernel") \
    X(pagetable_pages,    "frames holding page tables (every process and the kernel)") \
    X(kernel_pages,       "frames of the kernel image") \
    X(page_faults,        "page faults resolved") \
    X(demand_zero_faults, "faults resolved with a zero-filled frame") \
    X(transition_faults,  "soft faults resolved from the standby/modified lists") \
    X(guard_page_faults,  "STATUS_GUARD_PAGE_VIOLATION exceptions raised") \
    X(access_violations,  "access violations (0xC0000005) raised") \
    X(pages_zeroed,       "frames zeroed by the zero-page worker") \
    X(ipis,               "TLB shootdown interrupts sent to other CPUs") \
    X(shootdowns,         "invalidations that needed other CPUs") \
    X(processes,          "processes") \
    X(soft_faults,        "faults resolved from the standby/modified lists, no I/O") \
    X(hard_faults,        "faults that read the page from the pagefile (pgmajfault)") \
    X(pagefile_reads,     "pages read from the pagefile (pswpin)") \
    X(pagefile_writes,    "pages written to the pagefile (pswpout)") \
    X(pagefile_write_clusters, "writes of the modified page writer (one per cluster)") \
    X(pagefile_read_errors,  "pagefile reads that failed (STATUS_IN_PAGE_ERROR)") \
    X(pagefile_write_errors, "pagefile writes that failed (pages stayed modified)") \
    X(pagefile_total_pages, "slots in the pagefile") \
    X(pagefile_used_pages, "pagefile slots holding a page") \
    X(pagefile_peak_pages, "highest pagefile_used_pages") \
    X(commit_charge,      "committed pages of every process (Committed_AS)") \
    X(commit_limit,       "pages that can be committed: RAM + pagefile (CommitLimit)") \
    X(commit_peak,        "highest commit_charge") \
    X(available_pages,    "zeroed + free + standby pages (MemAvailable)") \
    X(pages_trimmed,      "pages the working-set manager took from working sets") \
    X(evictions,          "pages taken from working sets by trimming or a global policy") \
    X(writebacks,         "of those, dirty ones (they must be written before reuse)") \
    X(pages_repurposed,   "standby pages given to a new use") \
    X(aging_passes,       "working sets aged by the working-set manager") \
    X(background_runs,    "runs of the background work (tick, thresholds, interval)") \
    X(no_frame_faults,    "faults that found no frame even after reclaiming") \
    X(failed_faults,      "STATUS_NO_MEMORY and STATUS_IN_PAGE_ERROR exceptions raised")

#define PROC_STATS(X) \
    X(page_faults,        "page faults resolved (Task Manager: Page Faults)") \
    X(demand_zero_faults, "faults resolved with a zero-filled frame") \
    X(transition_faults,  "soft faults from the standby/modified lists") \
    X(guard_page_faults,  "guard-page exceptions raised") \
    X(access_violations,  "access violations (0xC0000005) raised") \
    X(working_set,        "bytes of resident pages (Working Set, VmRSS)") \
    X(peak_working_set,   "highest working_set (Peak Working Set, VmHWM)") \
    X(private_bytes,      "bytes of committed private memory (Private Bytes / Commit size)") \
    X(peak_private_bytes, "highest private_bytes") \
    X(virtual_size,       "bytes reserved, committed or not (Virtual Size, VmSize)") \
    X(peak_virtual_size,  "highest virtual_size (VmPeak)") \
    X(pagetable_pages,    "page-table frames of the process (VmPTE / 4K)") \
    X(vads,               "VADs (allocations) in the address space") \
    X(soft_faults,        "faults resolved from the standby/modified lists, no I/O") \
    X(hard_faults,        "faults that read the page from the pagefile") \
    X(minflt,             "faults without I/O (Linux min_flt: page_faults - hard_faults)") \
    X(majflt,             "faults with I/O (Linux maj_flt)") \
    X(pagefile_pages,     "pages of the process in the pagefile (VmSwap / 4K)") \
    X(pages_trimmed,      "pages taken from its working set") \
    X(ws_min_pages,       "working-set minimum (pages)") \
    X(ws_max_pages,       "working-set maximum (pages; 0 = none)") \
    X(memory_priority,    "priority of its pages on the standby list (0..7)") \
    X(failed_faults,      "STATUS_NO_MEMORY and STATUS_IN_PAGE_ERROR exceptions raised")

#define CPU_STATS(X) \
    X(tlb_hits,     "translations found in the TLB") \
    X(tlb_misses,   "translations not in the TLB (each walks the tables)") \
    X(tlb_l2_hits,  "hits in the second-level TLB") \
    X(page_walks,   "page-table walks") \
    X(invlpgs,      "invlpg instructions executed") \
    X(flushes,      "TLB flushes (CR3 loads without PCIDs, explicit flushes)") \
    X(cr3_loads,    "address-space switches") \
    X(ipis,         "shootdown interrupts received")

#define DEF(name, desc) { #name, desc },
static const struct stat_def sys_defs[] = { SYS_STATS(DEF) };
static const struct stat_def proc_defs[] = { PROC_STATS(DEF) };
static const struct stat_def cpu_defs[] = { CPU_STATS(DEF) };
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

static uint64_t sys_value(const vml_machine *m, size_t i)
{
    const struct sys_stats *s = &m->st;
    const uint64_t v[] = {
        m->n_frames, m->lists[VML_LIST_FREE].count, m->lists[VML_LIST_ZEROED].count,
        m->lists[VML_LIST_STANDBY].count, m->lists[VML_LIST_MODIFIED].count,
        m->lists[VML_LIST_MODNOWRITE].count, m->lists[VML_LIST_BAD].count,
        m->lists[VML_LIST_ACTIVE].count, s->pt_pages, s->kernel_pages, s->page_faults,
        s->demand_zero_faults, s->transition_faults, s->guard_page_faults, s->access_violations,
        s->pages_zeroed, s->ipis, s->shootdowns, m->n_procs, s->transition_faults,
        s->hard_faults, m->pf.reads, m->pf.writes, m->pf.clusters, m->pf.read_errors,
        m->pf.write_errors, m->pf.n_slots, m->pf.used, m->pf.peak, s->commit_charge,
        m->commit_limit, s->commit_peak, pfn_available(m), s->trimmed, s->evictions,
        s->writebacks, s->repurposed, s->aging_passes, s->bg_runs, s->oom_faults,
        s->failed_faults,
    };
    _Static_assert(N(v) == N(sys_defs), "every system counter has a value");
    return v[i];
}

static uint64_t proc_value(const vml_proc *p, size_t i)
{
    const struct proc_stats *s = &p->st;
    const uint64_t v[] = {
        s->page_faults, s->demand_zero_faults, s->transition_faults, s->guard_page_faults,
        s->access_violations, s->ws_pages << 12, s->peak_ws_pages << 12, s->commit_pages << 12,
        s->peak_commit_pages << 12, s->virtual_pages << 12, s->peak_virtual_pages << 12,
        s->pt_pages, p->vads.count, s->transition_faults, s->hard_faults,
        s->page_faults - s->hard_faults, s->hard_faults, s->swap_pages, s->trimmed,
        p->ws.min_pages, p->ws.max_pages, p->mem_priority, s->failed_faults,
    };
    _Static_assert(N(v) == N(proc_defs), "every process counter has a value");
    return v[i];
}

static uint64_t cpu_value(const struct cpu *c, size_t i)
{
    const struct cpu_stats *s = &c->st;
    const uint64_t v[] = {
        s->tlb_hits, s->tlb_misses, s->tlb_l2_hits, s->page_walks, s->invlpgs, s->flushes,
        s->cr3_loads, s->ipis,
    };
    _Static_assert(N(v) == N(cpu_defs), "every CPU counter has a value");
    return v[i];
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
        *out = sys_value(m, i);
        return VML_OK;
    case VML_SCOPE_PROC: {
        const vml_proc *p = vml_proc_by_pid(m, id);
        if (p == NULL)
            return mm_fail(m, VML_E_NOT_FOUND, "no process with pid %u", id);
        *out = proc_value(p, i);
        return VML_OK;
    }
    case VML_SCOPE_CPU:
        if (id >= m->n_cpus)
            return mm_fail(m, VML_E_NOT_FOUND, "cpu %u does not exist (the machine has %u)", id,
                           m->n_cpus);
        *out = cpu_value(&m->cpus[id], i);
        return VML_OK;
    }
    return VML_E_INVALID;
}
