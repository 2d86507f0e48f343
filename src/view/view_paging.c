/*
** view_paging.c -- the views of paging under memory pressure: WinDbg's
** !vm (virtual memory usage: lists, commit, pagefile, per-process private
** commit) and !wsle (a working-set list), and Linux's /proc/vmstat.
**
** Everything is read through the public API (vml_list_count,
** vml_standby_count, vml_stat_get, vml_pagefile_get, vml_ws_get,
** vml_wsle_list, vml_machine_config).  Where WinDbg prints the address of
** a kernel structure, vmlab prints where Windows keeps it (the working-set
** list sits at one fixed virtual address in every process) or nothing.
**
** Every view here keeps the invariants VW5-VW8 of view.h (argument checks
** before output, rollback on failure, valid JSON, VML_E_NOMEM on oom).
*/
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "view/view.h"

/* ---- !vm ---------------------------------------------------------------- */

/* WinDbg's !vm (Debugger Reference sample, and Windows Internals 6th ed.):
**
**   *** Virtual Memory Usage ***
**         Physical Memory:     16270   (   65080 Kb)
**         Page File: \??\E:\pagefile.sys
**            Current:     98304Kb Free Space:     61044Kb
**            Minimum:     98304Kb Maximum:       196608Kb
**         Available Pages:      5543   (   22172 Kb)
**         Modified Pages:        714   (    2856 Kb)
**         ...
**         Committed pages:     21949   (   87796 Kb)
**         Commit limit:        36256   (  145024 Kb)
**         Total Private:       66073   (  264292 Kb)
**            0a30 CCC.exe      11078   (   44312 Kb)
**
** vmlab has no pools, system PTEs or sessions, so those lines are left
** out.  It adds the lines a learner needs and WinDbg spreads over other
** commands (the zeroed, free and standby counts of !memusage, the peak
** commit, the pagefile's peak use) and one "vmlab:" line of paging
** activity.  The process list is sorted as WinDbg sorts it: largest
** private commit first (ties: by pid). */
struct vm_proc {
    unsigned    pid;
    const char *name;
    uint64_t    private_pages, ws_pages, swap_pages, hard, soft;
};

static int vm_proc_cmp(const void *a, const void *b)
{
    const struct vm_proc *x = a, *y = b;

    if (x->private_pages != y->private_pages)
        return x->private_pages > y->private_pages ? -1 : 1;
    return x->pid < y->pid ? -1 : x->pid > y->pid;
}

static void vm_line(vml_text *out, const char *label, uint64_t pages)
{
    vml_text_printf(out, "\t%-24s%10llu (%10llu Kb)\n", label, (unsigned long long)pages,
                    (unsigned long long)(pages * VW_PAGE_KB));
}

static void vm_pagefile_text(vml_text *out, const vml_pagefile_info *pf)
{
    uint64_t free_slots = pf->total_slots - pf->used_slots;

    if (!pf->present) {
        vt_puts(out, "\tPage File: none (dirty pages cannot leave RAM)\n");
        return;
    }
    if (pf->path[0] != '\0')
        vml_text_printf(out, "\tPage File: %s\n", pf->path);
    else
        vt_puts(out, "\tPage File: (a temporary file, deleted when the machine goes)\n");
    vml_text_printf(out, "\t   Current: %10llu Kb  Free Space: %10llu Kb\n",
                    (unsigned long long)(pf->total_slots * VW_PAGE_KB),
                    (unsigned long long)(free_slots * VW_PAGE_KB));
    vml_text_printf(out, "\t   Minimum: %10llu Kb  Maximum:    %10llu Kb\n",
                    (unsigned long long)(pf->total_slots * VW_PAGE_KB),
                    (unsigned long long)(pf->total_slots * VW_PAGE_KB));
    vml_text_printf(out, "\t   Peak Use:%10llu Kb  Used:       %10llu Kb\n",
                    (unsigned long long)(pf->peak_slots * VW_PAGE_KB),
                    (unsigned long long)(pf->used_slots * VW_PAGE_KB));
}

static void vm_pagefile_json(struct jw *j, const vml_pagefile_info *pf)
{
    jw_obj(j, "pagefile");
    jw_bool(j, "present", pf->present);
    jw_str(j, "path", pf->path);
    jw_bool(j, "temporary", pf->present && pf->path[0] == '\0');
    jw_u64(j, "total_pages", pf->total_slots);
    jw_u64(j, "used_pages", pf->used_slots);
    jw_u64(j, "free_pages", pf->total_slots - pf->used_slots);
    jw_u64(j, "peak_pages", pf->peak_slots);
    jw_u64(j, "reads", pf->reads);
    jw_u64(j, "writes", pf->writes);
    jw_u64(j, "write_clusters", pf->write_clusters);
    jw_u64(j, "read_errors", pf->read_errors);
    jw_u64(j, "write_errors", pf->write_errors);
    jw_obj_end(j);
}

VML_API vml_status vml_view_vm(vml_machine *m, unsigned fmt, vml_text *out)
{
    vml_pagefile_info pf;
    vml_config cfg;
    struct vm_proc *procs = NULL;
    uint64_t total_private = 0, sb[VML_STANDBY_PRIORITIES];
    size_t i, n = 0, n_procs;
    unsigned k;
    struct jw j;

    if (m == NULL || out == NULL || fmt > VML_FMT_JSON)
        return VML_E_INVALID;
    n_procs = vml_proc_count(m);
    if (n_procs > 0) {
        procs = calloc(n_procs, sizeof *procs);
        if (procs == NULL) {
            return VML_E_NOMEM;          /* nothing appended (VW6) */
        }
    }
    for (i = 0; i < n_procs; i++) {
        vml_proc *p = vml_proc_at(m, i);
        struct vm_proc *v = &procs[n];

        if (p == NULL)
            continue;
        v->pid = vml_proc_pid(p);
        v->name = vml_proc_name(p);
        v->private_pages = vml_stat_proc(vml_proc_by_pid(m, v->pid), VML_STAT_PROC_private_bytes) / VML_PAGE_SIZE;
        v->ws_pages = vml_stat_proc(vml_proc_by_pid(m, v->pid), VML_STAT_PROC_working_set) / VML_PAGE_SIZE;
        v->swap_pages = vml_stat_proc(vml_proc_by_pid(m, v->pid), VML_STAT_PROC_pagefile_pages);
        v->hard = vml_stat_proc(vml_proc_by_pid(m, v->pid), VML_STAT_PROC_hard_faults);
        v->soft = vml_stat_proc(vml_proc_by_pid(m, v->pid), VML_STAT_PROC_soft_faults);
        total_private += v->private_pages;
        n++;
    }
    if (n > 1)
        qsort(procs, n, sizeof *procs, vm_proc_cmp);
    vml_pagefile_get(m, &pf);
    vml_machine_config(m, &cfg);
    for (k = 0; k < VML_STANDBY_PRIORITIES; k++)
        sb[k] = vml_standby_count(m, k);

    if (fmt == VML_FMT_TEXT) {
        vt_puts(out, "\n*** Virtual Memory Usage ***\n");
        vm_line(out, "Physical Memory:", vml_pfn_total(m));
        vm_pagefile_text(out, &pf);
        vm_line(out, "Available Pages:", vml_stat_sys(m, VML_STAT_SYS_available_pages));
        vm_line(out, "  Zeroed Pages:", vml_list_count(m, VML_LIST_ZEROED));
        vm_line(out, "  Free Pages:", vml_list_count(m, VML_LIST_FREE));
        vm_line(out, "  Standby Pages:", vml_list_count(m, VML_LIST_STANDBY));
        vm_line(out, "Modified Pages:", vml_list_count(m, VML_LIST_MODIFIED));
        vm_line(out, "Modified No Write Pages:", vml_list_count(m, VML_LIST_MODNOWRITE));
        vm_line(out, "Active Pages:", vml_list_count(m, VML_LIST_ACTIVE));
        vm_line(out, "Page Table Pages:", vml_stat_sys(m, VML_STAT_SYS_pagetable_pages));
        vm_line(out, "Committed pages:", vml_stat_sys(m, VML_STAT_SYS_commit_charge));
        vm_line(out, "Commit limit:", vml_stat_sys(m, VML_STAT_SYS_commit_limit));
        vm_line(out, "Peak Commit:", vml_stat_sys(m, VML_STAT_SYS_commit_peak));
        vm_line(out, "Total Private:", total_private);
        for (i = 0; i < n; i++)
            vml_text_printf(out, "\t   %04x %-16s %10llu (%10llu Kb)\n", procs[i].pid,
                            procs[i].name, (unsigned long long)procs[i].private_pages,
                            (unsigned long long)(procs[i].private_pages * VW_PAGE_KB));
        vml_text_printf(out, "\tvmlab: policy %s; hard faults %llu, soft faults %llu; "
                        "pagefile reads %llu, writes %llu in %llu clusters; trimmed %llu, "
                        "repurposed %llu\n",
                        vml_policy_name(cfg.policy),
                        (unsigned long long)vml_stat_sys(m, VML_STAT_SYS_hard_faults),
                        (unsigned long long)vml_stat_sys(m, VML_STAT_SYS_soft_faults),
                        (unsigned long long)pf.reads, (unsigned long long)pf.writes,
                        (unsigned long long)pf.write_clusters,
                        (unsigned long long)vml_stat_sys(m, VML_STAT_SYS_pages_trimmed),
                        (unsigned long long)vml_stat_sys(m, VML_STAT_SYS_pages_repurposed));
    } else {
        jw_begin(&j, out);
        jw_str(&j, "view", "vm");
        jw_u64(&j, "page_size", VML_PAGE_SIZE);
        jw_u64(&j, "physical_pages", vml_pfn_total(m));
        jw_u64(&j, "available_pages", vml_stat_sys(m, VML_STAT_SYS_available_pages));
        jw_u64(&j, "zeroed_pages", vml_list_count(m, VML_LIST_ZEROED));
        jw_u64(&j, "free_pages", vml_list_count(m, VML_LIST_FREE));
        jw_u64(&j, "standby_pages", vml_list_count(m, VML_LIST_STANDBY));
        jw_arr(&j, "standby_by_priority");
        for (k = 0; k < VML_STANDBY_PRIORITIES; k++)
            jw_u64(&j, NULL, sb[k]);
        jw_arr_end(&j);
        jw_u64(&j, "modified_pages", vml_list_count(m, VML_LIST_MODIFIED));
        jw_u64(&j, "modified_no_write_pages", vml_list_count(m, VML_LIST_MODNOWRITE));
        jw_u64(&j, "active_pages", vml_list_count(m, VML_LIST_ACTIVE));
        jw_u64(&j, "pagetable_pages", vml_stat_sys(m, VML_STAT_SYS_pagetable_pages));
        jw_u64(&j, "commit_charge", vml_stat_sys(m, VML_STAT_SYS_commit_charge));
        jw_u64(&j, "commit_limit", vml_stat_sys(m, VML_STAT_SYS_commit_limit));
        jw_u64(&j, "commit_peak", vml_stat_sys(m, VML_STAT_SYS_commit_peak));
        vm_pagefile_json(&j, &pf);
        jw_str(&j, "policy", vml_policy_name(cfg.policy));
        jw_u64(&j, "hard_faults", vml_stat_sys(m, VML_STAT_SYS_hard_faults));
        jw_u64(&j, "soft_faults", vml_stat_sys(m, VML_STAT_SYS_soft_faults));
        jw_u64(&j, "pages_trimmed", vml_stat_sys(m, VML_STAT_SYS_pages_trimmed));
        jw_u64(&j, "pages_repurposed", vml_stat_sys(m, VML_STAT_SYS_pages_repurposed));
        jw_u64(&j, "total_private_pages", total_private);
        jw_arr(&j, "processes");
        for (i = 0; i < n; i++) {
            jw_obj(&j, NULL);
            jw_u64(&j, "pid", procs[i].pid);
            jw_str(&j, "name", procs[i].name);
            jw_u64(&j, "private_pages", procs[i].private_pages);
            jw_u64(&j, "working_set_pages", procs[i].ws_pages);
            jw_u64(&j, "pagefile_pages", procs[i].swap_pages);
            jw_u64(&j, "hard_faults", procs[i].hard);
            jw_u64(&j, "soft_faults", procs[i].soft);
            jw_obj_end(&j);
        }
        jw_arr_end(&j);
        jw_finish(&j);
    }
    free(procs);
    return vt_done(out);
}

/* ---- !wsle -------------------------------------------------------------- */

/* WinDbg's !wsle (Debugger Reference sample, x86 Windows Server 2003):
**
**   Working Set @ c0503000
**       FirstFree:       a7  FirstDynamic:          4
**       LastEntry      23d  NextSlot:         4  LastInitialized      259
**       NonDirect       65  HashTable:        0  HashTableSize:         0
**
**   Reading the WSLE data...
**
**   Virtual Address           Age  Locked  ReferenceCount
**           c0300203          0        1        1
**
** The working-set list of the current process lives at one fixed virtual
** address in every process: 0xFFFFF70001080000 on x64 (Windows 7), in
** hyperspace at 0xC0503000 (PAE) or 0xC0502000 (x86) on 32-bit Windows.
** vmlab shows that address and, instead of the fields it has no use for
** (hash tables, locked entries), the numbers SetProcessWorkingSetSize and
** the trimmer work with: current, peak, minimum and maximum.  WinDbg packs
** flags into the low bits of the address; vmlab prints the page address
** and the flags in their own columns: the age (background passes since
** the page was last seen accessed, 0..7) and the PTE's A and D bits. */
static uint64_t wsl_addr(vml_machine *m)
{
    vml_config c;

    vml_machine_config(m, &c);
    if (c.paging == VML_PAGING_PAE)
        return 0xC0503000ull;
    if (c.paging == VML_PAGING_LEGACY)
        return 0xC0502000ull;
    return 0xFFFFF70001080000ull;
}

VML_API vml_status vml_view_wsle(vml_proc *p, unsigned fmt, vml_text *out)
{
    vml_machine *m;
    vml_ws_info ws;
    vml_wsle *e = NULL;
    size_t i, n, got;
    uint64_t last = 0;
    vml_status st;
    int ptr;
    struct jw j;

    if (p == NULL || out == NULL || fmt > VML_FMT_JSON)
        return VML_E_INVALID;
    m = vml_proc_machine(p);
    memset(&ws, 0, sizeof ws);
    st = vml_ws_get(p, &ws);
    if (st != VML_OK)
        return st;
    n = vml_wsle_list(p, NULL, 0);
    if (n > 0) {
        e = calloc(n, sizeof *e);
        if (e == NULL) {
            return VML_E_NOMEM;          /* nothing appended (VW6) */
        }
    }
    got = n ? vml_wsle_list(p, e, n) : 0;
    if (got < n)
        n = got;
    ptr = vw_ptr_bytes(m);
    for (i = 0; i < n; i++)
        if (e[i].index > last)
            last = e[i].index;

    if (fmt == VML_FMT_TEXT) {
        vml_text_printf(out, "\nWorking Set @ %0*llx  (%s, pid %u)\n", ptr * 2,
                        (unsigned long long)wsl_addr(m), vml_proc_name(p), vml_proc_pid(p));
        vml_text_printf(out, "    Current: %8llu  Peak:    %8llu  (pages)\n",
                        (unsigned long long)ws.pages, (unsigned long long)ws.peak_pages);
        vml_text_printf(out, "    Minimum: %8llu  Maximum: %8llu%s\n",
                        (unsigned long long)ws.min_pages, (unsigned long long)ws.max_pages,
                        ws.max_pages ? "" : "  (no maximum)");
        vml_text_printf(out, "    LastEntry %7llx  Slots:   %8llx  MemoryPriority %u\n",
                        (unsigned long long)last, (unsigned long long)ws.list_size,
                        ws.memory_priority);
        vt_puts(out, "\nReading the WSLE data...\n\n");
        vml_text_printf(out, "%8s  %-*s  Age  A D  %8s\n", "Index", ptr * 2, "Virtual Address",
                        "Pfn");
        for (i = 0; i < n; i++)
            vml_text_printf(out, "%8llx  %0*llx  %3u  %c %c  %8llx\n",
                            (unsigned long long)e[i].index, ptr * 2,
                            (unsigned long long)e[i].va, e[i].age, e[i].accessed ? 'A' : '-',
                            e[i].dirty ? 'D' : '-', (unsigned long long)e[i].pfn);
    } else {
        jw_begin_proc(&j, out, "wsle", p);
        jw_hex(&j, "working_set_list", wsl_addr(m));
        jw_u64(&j, "pages", ws.pages);
        jw_u64(&j, "peak_pages", ws.peak_pages);
        jw_u64(&j, "min_pages", ws.min_pages);
        jw_u64(&j, "max_pages", ws.max_pages);
        jw_u64(&j, "list_size", ws.list_size);
        jw_u64(&j, "last_entry", last);
        jw_u64(&j, "memory_priority", ws.memory_priority);
        jw_arr(&j, "entries");
        for (i = 0; i < n; i++) {
            jw_obj(&j, NULL);
            jw_u64(&j, "index", e[i].index);
            jw_hex(&j, "va", e[i].va);
            jw_u64(&j, "age", e[i].age);
            jw_bool(&j, "accessed", e[i].accessed);
            jw_bool(&j, "dirty", e[i].dirty);
            jw_u64(&j, "pfn", e[i].pfn);
            jw_obj_end(&j);
        }
        jw_arr_end(&j);
        jw_finish(&j);
    }
    free(e);
    return vt_done(out);
}

/* ---- /proc/vmstat ------------------------------------------------------- */

/* Linux's /proc/vmstat: one "name value" line per counter, in the kernel's
** order (zone counters, node counters, then events: mm/vmstat.c,
** vmstat_text[]).  Only the lines whose meaning vmlab reproduces exactly:
**
**   nr_free_pages        zeroed + free lists (the buddy allocator's free
**                        pages; Linux has no separate zeroed list)
**   pgpgin, pgpgout      KiB read from / written to disk: the pagefile is
**                        vmlab's only disk, so 4 x pswpin / pswpout
**   pswpin, pswpout      pages read from / written to swap (the pagefile)
**   pgfault              page faults resolved (soft, hard, demand-zero)
**   pgmajfault           faults that read from disk (hard faults)
**
** Lines with no exact counterpart (nr_page_table_pages, whose kernel
** accounting differs between versions; workingset_*, pgsteal_*, pgscan_*,
** nr_anon_pages ...) are left out rather than approximated.  One
** difference remains in pgfault and pgmajfault: Linux counts a fault that
** ends in SIGBUS (a failed swap read) too; vmlab counts resolved faults. */
static const char *const vmstat_names[] = {
    "nr_free_pages", "pgpgin", "pgpgout", "pswpin", "pswpout", "pgfault", "pgmajfault",
};
#define N_VMSTAT (sizeof vmstat_names / sizeof vmstat_names[0])

static void vmstat_values(vml_machine *m, uint64_t v[N_VMSTAT])
{
    v[0] = vml_list_count(m, VML_LIST_ZEROED) + vml_list_count(m, VML_LIST_FREE);
    v[1] = vml_stat_sys(m, VML_STAT_SYS_pagefile_reads) * VW_PAGE_KB;
    v[2] = vml_stat_sys(m, VML_STAT_SYS_pagefile_writes) * VW_PAGE_KB;
    v[3] = vml_stat_sys(m, VML_STAT_SYS_pagefile_reads);
    v[4] = vml_stat_sys(m, VML_STAT_SYS_pagefile_writes);
    v[5] = vml_stat_sys(m, VML_STAT_SYS_page_faults);
    v[6] = vml_stat_sys(m, VML_STAT_SYS_hard_faults);
}

VML_API vml_status vml_view_vmstat(vml_machine *m, unsigned fmt, vml_text *out)
{
    uint64_t v[N_VMSTAT];
    size_t i;
    struct jw j;

    if (m == NULL || out == NULL || fmt > VML_FMT_JSON)
        return VML_E_INVALID;
    vmstat_values(m, v);
    if (fmt == VML_FMT_TEXT) {
        for (i = 0; i < N_VMSTAT; i++)
            vml_text_printf(out, "%s %llu\n", vmstat_names[i], (unsigned long long)v[i]);
        return vt_done(out);
    }
    jw_begin(&j, out);
    jw_str(&j, "view", "vmstat");
    jw_obj(&j, "counters");
    for (i = 0; i < N_VMSTAT; i++)
        jw_u64(&j, vmstat_names[i], v[i]);
    jw_obj_end(&j);
    jw_finish(&j);
    return vt_done(out);
}
