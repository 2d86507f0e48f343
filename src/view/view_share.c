/*
** view_share.c -- the views of shared memory: /proc/PID/smaps, pmap -x,
** /proc/meminfo, free -k (Linux), and WinDbg's !ca (a section's control
** area with its prototype PTEs), each in its tool's exact format, built
** from the public API (vml_vad_next, vml_mem_usage_get, vml_stat_*,
** vml_segment_get, vml_segment_proto).
**
** Every view here keeps the invariants VW5-VW8 of view.h.
*/
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "view/view.h"

/* ---- smaps ---------------------------------------------------------------- */

/* fs/proc/task_mmu.c, show_smap(): the maps line, then each field as
** SEQ_PUT_DEC("Name:           ", kB) -- the name padded to 16 columns, the
** value right-aligned in 8, " kB" -- in this order (Linux 6.x), then
** THPeligible (%8u, no unit) and VmFlags (two letters and a space each,
** show_smap_vma_flags). */
static const char *const smaps_fields[] = {
    "Size", "KernelPageSize", "MMUPageSize", "Rss", "Pss", "Pss_Dirty", "Shared_Clean",
    "Shared_Dirty", "Private_Clean", "Private_Dirty", "Referenced", "Anonymous", "KSM",
    "LazyFree", "AnonHugePages", "ShmemPmdMapped", "FilePmdMapped", "Shared_Hugetlb",
    "Private_Hugetlb", "Swap", "SwapPss", "Locked",
};
#define N_SMAPS (sizeof smaps_fields / sizeof smaps_fields[0])

static void smaps_values(const vml_vad_info *v, const vml_mem_usage *u, uint64_t kb[N_SMAPS])
{
    memset(kb, 0, N_SMAPS * sizeof kb[0]);
    kb[0] = (v->end_vpn - v->start_vpn + 1) * VW_PAGE_KB;
    kb[1] = kb[2] = VW_PAGE_KB;
    kb[3] = u->rss >> 10;
    kb[4] = u->pss >> 10;
    kb[5] = u->pss_dirty >> 10;
    kb[6] = u->shared_clean >> 10;
    kb[7] = u->shared_dirty >> 10;
    kb[8] = u->private_clean >> 10;
    kb[9] = u->private_dirty >> 10;
    kb[10] = u->referenced >> 10;
    kb[11] = u->anonymous >> 10;
    kb[13] = u->lazyfree >> 10;
    kb[19] = u->swap >> 10;
    kb[20] = u->swap_pss >> 10;
}

/* VmFlags (show_smap_vma_flags): rd wr ex sh mr mw me ms gd dc ac nr, the
** ones a vmlab VMA can have.  mw: a private mapping may always become
** writable; a shared one when it is writable now (vmlab does not keep the
** descriptor's mode).  ac: memory charged to commit (VM_ACCOUNT). */
static void vm_flags(vml_text *out, const vml_vad_info *v)
{
    int prot = vw_vma_prot(v), shared = vw_vma_shared(v);
    vt_puts(out, "VmFlags:");
    if (prot & VML_PROT_READ)  vt_puts(out, " rd");
    if (prot & VML_PROT_WRITE) vt_puts(out, " wr");
    if (prot & VML_PROT_EXEC)  vt_puts(out, " ex");
    if (shared)                vt_puts(out, " sh");
    vt_puts(out, " mr");
    if (!shared || (prot & VML_PROT_WRITE))
        vt_puts(out, " mw");
    vt_puts(out, " me");
    if (shared)                vt_puts(out, " ms");
    if (vw_vma_stack(v))       vt_puts(out, " gd");
    if (v->inherit == 2)       vt_puts(out, " dc");
    if (v->commit_pages)       vt_puts(out, " ac");
    if (v->origin == VML_ORIGIN_POSIX && (v->map_flags & VML_MAP_NORESERVE))
        vt_puts(out, " nr");
    vt_puts(out, " \n");
}

VML_API vml_status vml_view_smaps(vml_proc *p, unsigned fmt, vml_text *out)
{
    vml_vad_info v;
    vml_va cursor = 0;
    int done = 0, ptr;
    struct jw j;
    size_t mark;

    if (p == NULL || out == NULL || fmt > VML_FMT_JSON)
        return VML_E_INVALID;
    mark = out->len;
    ptr = vw_ptr_bytes(vml_proc_machine(p));
    if (fmt == VML_FMT_JSON) {
        jw_begin_proc(&j, out, "smaps", p);
        jw_arr(&j, "vmas");
    }
    while (vw_vad_next(p, &cursor, &done, &v)) {
        vml_mem_usage u;
        uint64_t kb[N_SMAPS];
        vml_status st = vml_mem_usage_get(p, v.start_vpn << VML_PAGE_SHIFT,
                                          (v.end_vpn + 1) << VML_PAGE_SHIFT, &u);
        if (st != VML_OK) {
            vt_rollback(out, mark);
            return st;
        }
        smaps_values(&v, &u, kb);
        if (fmt == VML_FMT_TEXT) {
            vw_maps_line(out, &v, ptr);
            for (size_t i = 0; i < N_SMAPS; i++) {
                size_t line = out->len;
                vml_text_printf(out, "%s:", smaps_fields[i]);
                vt_pad_to(out, line, 16);
                vml_text_printf(out, "%8llu kB\n", (unsigned long long)kb[i]);
            }
            vml_text_printf(out, "THPeligible:    %8u\n", 0u);
            vm_flags(out, &v);
        } else {
            jw_obj(&j, NULL);
            jw_hex(&j, "start", v.start_vpn << VML_PAGE_SHIFT);
            jw_hex(&j, "end", (v.end_vpn + 1) << VML_PAGE_SHIFT);
            for (size_t i = 0; i < N_SMAPS; i++) {
                char key[40];
                size_t k;
                for (k = 0; smaps_fields[i][k] && k + 4 < sizeof key; k++)
                    key[k] = (char)(smaps_fields[i][k] >= 'A' && smaps_fields[i][k] <= 'Z'
                                    ? smaps_fields[i][k] - 'A' + 'a' : smaps_fields[i][k]);
                memcpy(key + k, "_kb", 4);
                jw_u64(&j, key, kb[i]);
            }
            jw_obj_end(&j);
        }
    }
    if (fmt == VML_FMT_JSON) {
        jw_arr_end(&j);
        jw_finish(&j);
    }
    return vt_done(out);
}

/* ---- pmap -x ------------------------------------------------------------------ */

/* procps-ng pmap -x (4.0):
**     1219:   bash
**     Address           Kbytes     RSS   Dirty Mode  Mapping
**     000055ca75613000     188     188       0 r---- bash
**     000055ca75748000      44      44      44 rw---   [ anon ]
**     ---------------- ------- ------- -------
**     total kB            5320    4388    1292
** Mode: r w x, s for a shared mapping, R for MAP_NORESERVE; Mapping: the
** file's base name, or "  [ anon ]" / "  [ stack ]".  Dirty is
** Shared_Dirty + Private_Dirty.  The address is 8 hex digits on 32-bit. */
VML_API vml_status vml_view_pmap(vml_proc *p, unsigned fmt, vml_text *out)
{
    vml_vad_info v;
    vml_va cursor = 0;
    int done = 0, ptr;
    struct jw j;
    size_t mark;
    uint64_t t_kb = 0, t_rss = 0, t_dirty = 0;

    if (p == NULL || out == NULL || fmt > VML_FMT_JSON)
        return VML_E_INVALID;
    mark = out->len;
    ptr = vw_ptr_bytes(vml_proc_machine(p));
    if (fmt == VML_FMT_TEXT) {
        vml_text_printf(out, "%u:   %s\n", vml_proc_pid(p), vml_proc_name(p));
        vml_text_printf(out, "%-*s %7s %7s %7s Mode  Mapping\n", ptr * 2, "Address", "Kbytes",
                        "RSS", "Dirty");
    } else {
        jw_begin_proc(&j, out, "pmap", p);
        jw_arr(&j, "mappings");
    }
    while (vw_vad_next(p, &cursor, &done, &v)) {
        vml_mem_usage u;
        vml_status st = vml_mem_usage_get(p, v.start_vpn << VML_PAGE_SHIFT,
                                          (v.end_vpn + 1) << VML_PAGE_SHIFT, &u);
        if (st != VML_OK) {
            vt_rollback(out, mark);
            return st;
        }
        uint64_t kb = (v.end_vpn - v.start_vpn + 1) * VW_PAGE_KB, rss = u.rss >> 10;
        uint64_t dirty = (u.shared_dirty + u.private_dirty) >> 10;
        int prot = vw_vma_prot(&v);
        char mode[6], mapping[300];
        mode[0] = (prot & VML_PROT_READ) ? 'r' : '-';
        mode[1] = (prot & VML_PROT_WRITE) ? 'w' : '-';
        mode[2] = (prot & VML_PROT_EXEC) ? 'x' : '-';
        mode[3] = vw_vma_shared(&v) ? 's' : '-';
        mode[4] = v.origin == VML_ORIGIN_POSIX && (v.map_flags & VML_MAP_NORESERVE) ? 'R' : '-';
        mode[5] = '\0';
        char path[512];
        const char *name = vw_vma_name(&v, path, sizeof path);
        if (name != NULL && name[0] == '/') {
            /* procps prints the base name: data.bin, "zero (deleted)" */
            snprintf(mapping, sizeof mapping, "%s", strrchr(name, '/') + 1);
        } else if (v.name != NULL && v.name[0] == '[') {
            snprintf(mapping, sizeof mapping, "  [ %.*s ]", (int)strcspn(v.name + 1, "]"),
                     v.name + 1);
        } else {
            snprintf(mapping, sizeof mapping, "%s",
                     vw_vma_stack(&v) ? "  [ stack ]" : "  [ anon ]");
        }
        t_kb += kb;
        t_rss += rss;
        t_dirty += dirty;
        if (fmt == VML_FMT_TEXT) {
            vml_text_printf(out, "%0*llx %7llu %7llu %7llu %s %s\n", ptr * 2,
                            (unsigned long long)(v.start_vpn << VML_PAGE_SHIFT),
                            (unsigned long long)kb, (unsigned long long)rss,
                            (unsigned long long)dirty, mode, mapping);
        } else {
            jw_obj(&j, NULL);
            jw_hex(&j, "address", v.start_vpn << VML_PAGE_SHIFT);
            jw_u64(&j, "kbytes", kb);
            jw_u64(&j, "rss_kb", rss);
            jw_u64(&j, "dirty_kb", dirty);
            jw_str(&j, "mode", mode);
            jw_str(&j, "mapping", mapping[0] == ' ' ? mapping + 2 : mapping);
            jw_obj_end(&j);
        }
    }
    if (fmt == VML_FMT_TEXT) {
        for (int i = 0; i < ptr * 2; i++)
            vt_putc(out, '-');
        vt_puts(out, " ------- ------- ------- \n");
        vml_text_printf(out, "total kB %*llu %7llu %7llu\n", ptr * 2 - 1,
                        (unsigned long long)t_kb, (unsigned long long)t_rss,
                        (unsigned long long)t_dirty);
    } else {
        jw_arr_end(&j);
        jw_u64(&j, "total_kb", t_kb);
        jw_u64(&j, "total_rss_kb", t_rss);
        jw_u64(&j, "total_dirty_kb", t_dirty);
        jw_finish(&j);
    }
    return vt_done(out);
}

/* ---- /proc/meminfo ------------------------------------------------------------- */

/* fs/proc/meminfo.c: show_val_kb() -- the label padded to 16 columns, the
** value in kB right-aligned in 8, " kB".  The lines vmlab can know, in the
** kernel's order.  Mapping Windows' lists onto Linux's words: MemFree is
** the zeroed and free lists; Cached the pages of files and of shared
** memory (Linux counts shmem in Cached too); Active the frames in working
** sets, Inactive those on the standby and modified lists; Dirty the pages
** written since last saved; Mapped the file pages some PTE maps. */
struct meminfo_line { const char *label; uint64_t pages; };

static size_t meminfo_lines(vml_machine *m, struct meminfo_line *l)
{
    uint64_t total = vml_stat_sys(m, VML_STAT_SYS_total_pages);
    uint64_t free_p = vml_stat_sys(m, VML_STAT_SYS_free_pages) +
                      vml_stat_sys(m, VML_STAT_SYS_zeroed_pages);
    uint64_t cached = vml_stat_sys(m, VML_STAT_SYS_cached_pages) +
                      vml_stat_sys(m, VML_STAT_SYS_shmem_pages);
    uint64_t inactive = vml_stat_sys(m, VML_STAT_SYS_standby_pages) +
                        vml_stat_sys(m, VML_STAT_SYS_modified_pages);
    uint64_t active = vml_stat_sys(m, VML_STAT_SYS_active_pages) -
                      vml_stat_sys(m, VML_STAT_SYS_pagetable_pages) -
                      vml_stat_sys(m, VML_STAT_SYS_kernel_pages);
    uint64_t swap_total = vml_stat_sys(m, VML_STAT_SYS_pagefile_total_pages);
    size_t n = 0;
    l[n++] = (struct meminfo_line){ "MemTotal:", total };
    l[n++] = (struct meminfo_line){ "MemFree:", free_p };
    l[n++] = (struct meminfo_line){ "MemAvailable:", vml_stat_sys(m, VML_STAT_SYS_available_pages) };
    l[n++] = (struct meminfo_line){ "Cached:", cached };
    l[n++] = (struct meminfo_line){ "SwapCached:", vml_stat_sys(m, VML_STAT_SYS_swap_cached_pages) };
    l[n++] = (struct meminfo_line){ "Active:", active };
    l[n++] = (struct meminfo_line){ "Inactive:", inactive };
    l[n++] = (struct meminfo_line){ "SwapTotal:", swap_total };
    l[n++] = (struct meminfo_line){ "SwapFree:",
                                    swap_total - vml_stat_sys(m, VML_STAT_SYS_pagefile_used_pages) };
    l[n++] = (struct meminfo_line){ "Dirty:", vml_stat_sys(m, VML_STAT_SYS_dirty_pages) };
    l[n++] = (struct meminfo_line){ "AnonPages:", vml_stat_sys(m, VML_STAT_SYS_anon_pages) };
    l[n++] = (struct meminfo_line){ "Mapped:", vml_stat_sys(m, VML_STAT_SYS_mapped_file_pages) };
    l[n++] = (struct meminfo_line){ "Shmem:", vml_stat_sys(m, VML_STAT_SYS_shmem_pages) };
    l[n++] = (struct meminfo_line){ "PageTables:", vml_stat_sys(m, VML_STAT_SYS_pagetable_pages) };
    l[n++] = (struct meminfo_line){ "CommitLimit:", vml_stat_sys(m, VML_STAT_SYS_commit_limit) };
    l[n++] = (struct meminfo_line){ "Committed_AS:", vml_stat_sys(m, VML_STAT_SYS_commit_charge) };
    return n;
}

VML_API vml_status vml_view_meminfo(vml_machine *m, unsigned fmt, vml_text *out)
{
    struct meminfo_line l[20];
    struct jw j;
    if (m == NULL || out == NULL || fmt > VML_FMT_JSON)
        return VML_E_INVALID;
    size_t n = meminfo_lines(m, l);
    if (fmt == VML_FMT_JSON) {
        jw_begin(&j, out);
        jw_str(&j, "view", "meminfo");
    }
    for (size_t i = 0; i < n; i++) {
        if (fmt == VML_FMT_TEXT) {
            vml_text_printf(out, "%-16s%8llu kB\n", l[i].label,
                            (unsigned long long)(l[i].pages * VW_PAGE_KB));
        } else {
            char key[24];
            size_t k = strcspn(l[i].label, ":");
            snprintf(key, sizeof key, "%.*s_kb", (int)k, l[i].label);
            jw_u64(&j, key, l[i].pages * VW_PAGE_KB);
        }
    }
    if (fmt == VML_FMT_JSON)
        jw_finish(&j);
    return vt_done(out);
}

/* ---- free -k ------------------------------------------------------------------------ */

/* procps-ng free (4.0), -k:
**                    total        used        free      shared  buff/cache   available
**     Mem:        24683664     1337700    21679140        9568     1967720    23345964
**     Swap:              0           0           0
** The label left-aligned in 8 columns, each number right-aligned in 12.
** used = total - free - buff/cache (procps's default since 3.3.10);
** shared = Shmem; buff/cache = Cached (no buffers in vmlab). */
VML_API vml_status vml_view_free(vml_machine *m, unsigned fmt, vml_text *out)
{
    if (m == NULL || out == NULL || fmt > VML_FMT_JSON)
        return VML_E_INVALID;
    uint64_t k = VW_PAGE_KB;
    uint64_t total = vml_stat_sys(m, VML_STAT_SYS_total_pages) * k;
    uint64_t free_kb = (vml_stat_sys(m, VML_STAT_SYS_free_pages) +
                        vml_stat_sys(m, VML_STAT_SYS_zeroed_pages)) * k;
    uint64_t shared = vml_stat_sys(m, VML_STAT_SYS_shmem_pages) * k;
    uint64_t cache = (vml_stat_sys(m, VML_STAT_SYS_cached_pages) +
                      vml_stat_sys(m, VML_STAT_SYS_shmem_pages)) * k;
    uint64_t avail = vml_stat_sys(m, VML_STAT_SYS_available_pages) * k;
    uint64_t used = total > free_kb + cache ? total - free_kb - cache : 0;
    uint64_t s_total = vml_stat_sys(m, VML_STAT_SYS_pagefile_total_pages) * k;
    uint64_t s_used = vml_stat_sys(m, VML_STAT_SYS_pagefile_used_pages) * k;
    if (fmt == VML_FMT_TEXT) {
        vml_text_printf(out, "%8s%12s%12s%12s%12s%12s%12s\n", "", "total", "used", "free",
                        "shared", "buff/cache", "available");
        vml_text_printf(out, "%-8s%12llu%12llu%12llu%12llu%12llu%12llu\n", "Mem:",
                        (unsigned long long)total, (unsigned long long)used,
                        (unsigned long long)free_kb, (unsigned long long)shared,
                        (unsigned long long)cache, (unsigned long long)avail);
        vml_text_printf(out, "%-8s%12llu%12llu%12llu\n", "Swap:", (unsigned long long)s_total,
                        (unsigned long long)s_used, (unsigned long long)(s_total - s_used));
    } else {
        struct jw j;
        jw_begin(&j, out);
        jw_str(&j, "view", "free");
        jw_obj(&j, "mem");
        jw_u64(&j, "total_kb", total);
        jw_u64(&j, "used_kb", used);
        jw_u64(&j, "free_kb", free_kb);
        jw_u64(&j, "shared_kb", shared);
        jw_u64(&j, "buff_cache_kb", cache);
        jw_u64(&j, "available_kb", avail);
        jw_obj_end(&j);
        jw_obj(&j, "swap");
        jw_u64(&j, "total_kb", s_total);
        jw_u64(&j, "used_kb", s_used);
        jw_u64(&j, "free_kb", s_total - s_used);
        jw_obj_end(&j);
        jw_finish(&j);
    }
    return vt_done(out);
}

/* ---- !ca ------------------------------------------------------------------------------ */

/* The state a prototype PTE describes (64-bit memory-manager entry, see
** the library's section.h): valid, transition, pagefile, or "the backing
** has it" (the file, or demand-zero), or not committed (SEC_RESERVE). */
static void proto_state(vml_machine *m, uint64_t proto, unsigned backing, char *buf, size_t size)
{
    vml_pfn_info f;
    if (proto & 1) {
        vml_pfn pfn = (proto & UINT64_C(0x000FFFFFFFFFF000)) >> 12;
        unsigned share = vml_pfn_get(m, pfn, &f) == VML_OK ? f.share_count : 0;
        snprintf(buf, size, "Valid       pfn %llx, share count %u%s", (unsigned long long)pfn,
                 share, vml_pfn_get(m, pfn, &f) == VML_OK && (f.flags & VML_PFN_MODIFIED)
                 ? ", modified" : "");
    } else if (proto & (1u << 11)) {
        vml_pfn pfn = (proto & UINT64_C(0x000FFFFFFFFFF000)) >> 12;
        const char *list = vml_pfn_get(m, pfn, &f) == VML_OK ? vml_list_name(f.list) : "?";
        snprintf(buf, size, "Transition  pfn %llx (%s)", (unsigned long long)pfn, list);
    } else if (proto >> 32) {
        snprintf(buf, size, "Pagefile    slot %llx", (unsigned long long)((proto >> 32) - 1));
    } else if (proto != 0) {
        snprintf(buf, size, "Reserved    (SEC_RESERVE: not committed)");
    } else {
        snprintf(buf, size, "%s", backing == VML_BACKING_PAGEFILE ? "Demand zero" : "In the file");
    }
}

/* WinDbg's !ca (control area, its segment, its subsection) and then, what
** WinDbg leaves to `dq` on the segment's prototype PTEs, one line each.
** The kernel addresses are made up the way !vad's are: stable, derived
** from the control area's number; the prototype PTEs' are their real
** (simulated) paged-pool addresses. */
VML_API vml_status vml_view_ca(vml_proc *p, vml_va va, unsigned fmt, vml_text *out)
{
    vml_machine *m;
    vml_vad_info v;
    vml_segment_info si;
    vml_status st;
    char state[96];

    if (p == NULL || out == NULL || fmt > VML_FMT_JSON)
        return VML_E_INVALID;
    m = vml_proc_machine(p);
    if (vml_vad_next(p, va, &v) != VML_OK || (va >> VML_PAGE_SHIFT) < v.start_vpn ||
        v.segment == 0)
        return VML_E_NOT_FOUND;
    if ((st = vml_segment_get(m, v.segment, &si)) != VML_OK)
        return st;
    int ptr = vw_ptr_bytes(m);
    uint64_t ca = ptr == 8 ? UINT64_C(0xFFFFE00100000000) + (uint64_t)si.id * 0x80
                           : UINT64_C(0x86000000) + (uint64_t)si.id * 0x40;
    uint64_t seg_addr = si.proto_va - (ptr == 8 ? 0x48 : 0x30);
    const char *kind = si.backing == VML_BACKING_PAGEFILE ? "Commit" : "File";
    if (fmt == VML_FMT_TEXT) {
        vml_text_printf(out, "ControlArea  @ %0*llx\n", ptr * 2, (unsigned long long)ca);
        vml_text_printf(out, "  Segment      %0*llx  Flink      %0*llx  Blink        %0*llx\n",
                        ptr * 2, (unsigned long long)seg_addr, ptr * 2, 0ull, ptr * 2, 0ull);
        vml_text_printf(out, "  Section Ref  %15u  Pfn Ref    %15llu  Mapped Views %15u\n",
                        si.refs, (unsigned long long)si.resident_pages, si.views);
        vml_text_printf(out, "  Flags (%x) %s%s\n\n", si.backing == VML_BACKING_PAGEFILE
                        ? 0x2000u : 0x8080u, kind, si.reserve ? " Reserve" : "");
        if (si.file[0]) {
            vml_text_printf(out, "      %s%s\n\n", si.file[0] == '/' ? "" : "\\", si.file);
        }
        vml_text_printf(out, "Segment @ %0*llx\n", ptr * 2, (unsigned long long)seg_addr);
        vml_text_printf(out, "  ControlArea       %0*llx\n", ptr * 2, (unsigned long long)ca);
        vml_text_printf(out, "  Total Ptes        %15llx\n", (unsigned long long)si.n_pages);
        vml_text_printf(out, "  Segment Size      %15llx\n",
                        (unsigned long long)(si.n_pages << VML_PAGE_SHIFT));
        vml_text_printf(out, "  Committed         %15llx\n", (unsigned long long)si.commit_pages);
        vml_text_printf(out, "\nPrototype PTEs (first at %0*llx):\n", ptr * 2,
                        (unsigned long long)si.proto_va);
    } else {
        struct jw j;
        jw_begin(&j, out);
        jw_str(&j, "view", "ca");
        jw_hex(&j, "control_area", ca);
        jw_u64(&j, "id", si.id);
        jw_str(&j, "kind", si.backing == VML_BACKING_PAGEFILE ? "pagefile"
                         : si.backing == VML_BACKING_FILE ? "file" : "image");
        jw_str(&j, "file", si.file);
        jw_u64(&j, "section_refs", si.refs);
        jw_u64(&j, "mapped_views", si.views);
        jw_u64(&j, "resident_pages", si.resident_pages);
        jw_u64(&j, "total_ptes", si.n_pages);
        jw_u64(&j, "committed", si.commit_pages);
        jw_hex(&j, "first_proto_pte", si.proto_va);
        jw_arr(&j, "prototype_ptes");
        for (uint64_t i = 0; i < si.n_pages; i++) {
            uint64_t proto = 0;
            vml_segment_proto(m, si.id, i, &proto);
            proto_state(m, proto, si.backing, state, sizeof state);
            jw_obj(&j, NULL);
            jw_u64(&j, "index", i);
            jw_hex(&j, "address", si.proto_va + i * 8);
            jw_hex(&j, "value", proto);
            jw_str(&j, "state", state);
            jw_obj_end(&j);
        }
        jw_arr_end(&j);
        jw_finish(&j);
        return vt_done(out);
    }
    for (uint64_t i = 0; i < si.n_pages; i++) {
        uint64_t proto = 0;
        vml_segment_proto(m, si.id, i, &proto);
        proto_state(m, proto, si.backing, state, sizeof state);
        vml_text_printf(out, "  %6llx  %0*llx  %016llx  %s\n", (unsigned long long)i, ptr * 2,
                        (unsigned long long)(si.proto_va + i * 8), (unsigned long long)proto,
                        state);
    }
    return vt_done(out);
}
