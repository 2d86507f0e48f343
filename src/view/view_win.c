/*
** view_win.c -- the Windows-flavoured views: !vad, !pfn and !memusage as
** WinDbg prints them, VirtualQuery's MEMORY_BASIC_INFORMATION, and Task
** Manager's Details columns.
**
** Everything is read through the public API (vml_vad_next, vml_pfn_get,
** vml_list_count, vml_stat_get, vml_win_VirtualQuery).  vmlab has no
** kernel pointers, so the addresses WinDbg shows for kernel structures
** (the VAD node, the MMPFN entry) are made up, stable and clearly fake;
** page-table addresses are physical (see view_pte.c).
**
** Every view here keeps the invariants VW5-VW8 of view.h (argument checks
** before output, rollback on failure, valid JSON, VML_E_NOMEM on oom).
*/
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "view/model.h"
#include "view/view.h"

static const char *vad_type_name(unsigned type)
{
    return type == VML_VAD_PRIVATE ? "Private" : "Mapped";
}

/* ---- !vad --------------------------------------------------------------- */

/* WinDbg's !vad over the whole tree (x64, Windows 10 kdexts):
**
**   VAD           Level     Start       End Commit
**   ffffe00185dae6b0  4        10        1f      0 Mapped       READWRITE          Pagefile...
**   ffffe0018695cc00  5  7ff7e52b0  7ff7e52ed      4 Mapped  Exe  EXECUTE_WRITECOPY  \Windows\...
**
**   Total VADs: 42, average level: 5, maximum depth: 7
**   Total private commit: 0xe3 pages (908 KB)
**   Total shared commit:  0x2ca pages (2856 KB)
**
** Rows in address order: node address, level, start and end VPN (hex,
** inclusive), commit (decimal pages), Private/Mapped, Exe for images,
** protection, name.  "average level" reproduces the Debugger Reference's
** sample (levels 1,2,0,2,1 -> "average level: 2", "maximum depth: 2"):
** the mean of level+1, truncated; maximum depth is the largest level.
** Both forms render the VAD model (model_vad.c). */
static void vad_row_text(vml_text *out, const struct vw_vad_row *r, int ptr)
{
    size_t line = out->len;
    const vml_vad_info *v = &r->v;

    vml_text_printf(out, "%0*llx %2u %9llx %9llx %6llu %-7s%-6s",
                    ptr * 2, (unsigned long long)r->node,
                    v->level, (unsigned long long)v->start_vpn,
                    (unsigned long long)v->end_vpn, (unsigned long long)v->commit_pages,
                    vad_type_name(v->type), v->type == VML_VAD_IMAGE ? " Exe" : "");
    vt_puts(out, vw_vad_protect_name(r->protect));
    if (r->name[0] != '\0') {
        vt_pad_to(out, line, (size_t)ptr * 2 + 44 + 19);
        vt_puts(out, r->name);
    }
    vt_putc(out, '\n');
}

static const char *backing_name(unsigned b)
{
    switch (b) {
    case VML_BACKING_PAGEFILE: return "pagefile";
    case VML_BACKING_FILE:     return "file";
    case VML_BACKING_IMAGE:    return "image";
    default:                   return "private";
    }
}

static void vad_row_json(struct jw *j, const struct vw_vad_row *r)
{
    const vml_vad_info *v = &r->v;
    char pbuf[96];

    jw_obj(j, NULL);
    jw_hex(j, "node", r->node);
    jw_u64(j, "level", v->level);
    jw_u64(j, "start_vpn", v->start_vpn);
    jw_u64(j, "end_vpn", v->end_vpn);
    jw_hex(j, "start", v->start_vpn << VML_PAGE_SHIFT);
    jw_hex(j, "end", ((v->end_vpn + 1) << VML_PAGE_SHIFT) - 1);
    jw_u64(j, "commit", v->commit_pages);
    jw_str(j, "type", vad_type_name(v->type));
    jw_bool(j, "image", v->type == VML_VAD_IMAGE);
    jw_str(j, "protection", vw_vad_protect_name(r->protect));
    jw_u64(j, "protect", r->protect);
    jw_str(j, "protect_name", vml_win_protect_name(r->protect, pbuf, sizeof pbuf));
    jw_str(j, "origin", v->origin == VML_ORIGIN_POSIX ? "posix" : "win32");
    jw_bool(j, "mem_commit", v->mem_commit);
    jw_str(j, "name", r->name);
    jw_str(j, "backing", backing_name(v->backing));
    if (v->backing != VML_BACKING_PRIVATE) {
        jw_u64(j, "control_area", v->segment);
        jw_u64(j, "section", v->section);
        jw_hex(j, "offset", v->offset);
        jw_bool(j, "copy_on_write", v->cow);
        jw_str(j, "file", v->file);
    }
    jw_obj_end(j);
}

VML_API vml_status vml_view_vad(vml_proc *p, unsigned fmt, vml_text *out)
{
    struct vw_vad_model mdl;
    struct jw j;
    size_t i;
    vml_status st;

    if (p == NULL || out == NULL || fmt > VML_FMT_JSON)
        return VML_E_INVALID;
    st = vw_vad_build(p, 0, &mdl);
    if (st != VML_OK)
        return st;

    if (fmt == VML_FMT_TEXT) {
        vt_puts(out, "VAD");
        vt_spaces(out, (size_t)mdl.ptr * 2 + 3 - 5 - 3);
        vt_puts(out, "Level     Start       End Commit\n");
        for (i = 0; i < mdl.n; i++)
            vad_row_text(out, &mdl.rows[i], mdl.ptr);
        vml_text_printf(out, "\nTotal VADs: %llu, average level: %llu, maximum depth: %llu\n",
                        (unsigned long long)mdl.n, (unsigned long long)mdl.avg_level,
                        (unsigned long long)mdl.max_level);
        vml_text_printf(out, "Total private commit: 0x%llx pages (%llu KB)\n",
                        (unsigned long long)mdl.private_commit,
                        (unsigned long long)mdl.private_commit * VW_PAGE_KB);
        vml_text_printf(out, "Total shared commit:  0x%llx pages (%llu KB)\n",
                        (unsigned long long)mdl.shared_commit,
                        (unsigned long long)mdl.shared_commit * VW_PAGE_KB);
    } else {
        jw_begin_proc(&j, out, "vad", p);
        jw_arr(&j, "vads");
        for (i = 0; i < mdl.n; i++)
            vad_row_json(&j, &mdl.rows[i]);
        jw_arr_end(&j);
        jw_u64(&j, "total_vads", mdl.n);
        jw_u64(&j, "average_level", mdl.avg_level);
        jw_u64(&j, "maximum_depth", mdl.max_level);
        jw_u64(&j, "private_commit_pages", mdl.private_commit);
        jw_u64(&j, "shared_commit_pages", mdl.shared_commit);
        jw_finish(&j);
    }
    vw_vad_free(&mdl);
    return vt_done(out);
}

/* ---- !pfn --------------------------------------------------------------- */

/* WinDbg's !pfn (Debugger Reference sample, x86; x64 adds the wider
** addresses and the used-entry / priority fields):
**
**       PFN 00000154 at address 82351FE0
**       flink       00000000  blink / share count 00000001  pteaddress C0200550
**       reference count 0001                                 color 0
**       restore pte 00000060  containing page        00003B  Active     M
**       Modified
**
** "blink / share count" is one field (a union in MMPFN): the share count
** of an active page, the backward link of a page on a list.  The MMPFN
** address is made up the way Windows lays the database out: a fixed base
** plus pfn * sizeof(MMPFN) (x64: 0xFFFFFA8000000000 + pfn * 0x30, as on
** Windows 7; x86: 0x81000000 + pfn * 0x18).  The PTE address is physical. */
static uint64_t pfn_entry_addr(vml_pfn pfn, int ptr)
{
    if (ptr == 4)
        return 0x81000000ull + pfn * 0x18u;
    return 0xFFFFFA8000000000ull + pfn * 0x30u;
}

static const struct { unsigned bit; const char *letter, *word, *key; } pfn_flags[] = {
    { VML_PFN_MODIFIED,  "M", "Modified",        "modified" },
    { VML_PFN_READ_IO,   "R", "ReadInProgress",  "read_in_progress" },
    { VML_PFN_WRITE_IO,  "W", "WriteInProgress", "write_in_progress" },
    { VML_PFN_PROTOTYPE, "P", "Shared",          "prototype" },
    { VML_PFN_PAGETABLE, "",  "PageTable",       "page_table" },
    { VML_PFN_BAD,       "",  "Bad",             "bad" },
    { VML_PFN_KERNEL,    "",  "Kernel",          "kernel" },
};
#define N_PFN_FLAGS (sizeof pfn_flags / sizeof pfn_flags[0])

static uint64_t pfn_link(vml_pfn v)
{
    return v == VML_PFN_NONE ? 0 : v;
}

/* The frame that holds the PTE mapping this one.  A prototype PTE lives in
** the section's segment, which vmlab keeps in its own memory at a paged
** pool address, not in a simulated frame: 0 then. */
static uint64_t pfn_containing(const vml_pfn_info *f)
{
    return (f->flags & VML_PFN_PROTOTYPE) ? 0 : f->pte_pa >> VML_PAGE_SHIFT;
}

static void pfn_text(vml_text *out, const vml_pfn_info *f, int ptr)
{
    int active = f->list == VML_LIST_ACTIVE;
    uint64_t u2 = active ? f->share_count : pfn_link(f->blink);
    uint64_t flink = active ? 0 : pfn_link(f->flink);
    size_t i, n_words = 0, line;

    vml_text_printf(out, "    PFN %08llX at address %0*llX\n", (unsigned long long)f->pfn,
                    ptr * 2, (unsigned long long)pfn_entry_addr(f->pfn, ptr));
    vml_text_printf(out, "    flink       %08llX  blink / share count %08llX  pteaddress %0*llX\n",
                    (unsigned long long)flink, (unsigned long long)u2, ptr * 2,
                    (unsigned long long)f->pte_pa);
    vml_text_printf(out, "    reference count %04X    used entry count  %04X      Cached    color 0   Priority %u\n",
                    f->ref_count & 0xFFFFu,
                    (f->flags & VML_PFN_PAGETABLE) ? f->share_count & 0xFFFFu : 0u,
                    f->priority);
    line = out->len;
    vml_text_printf(out, "    restore pte %08llX  containing page %06llX  %s",
                    (unsigned long long)f->orig_pte, (unsigned long long)pfn_containing(f),
                    vw_pfn_location(f->list));
    for (i = 0; i < N_PFN_FLAGS; i++) {
        if ((f->flags & pfn_flags[i].bit) && pfn_flags[i].letter[0]) {
            vt_pad_to(out, line, 52);     /* the letters after "Active    " */
            vml_text_printf(out, " %s", pfn_flags[i].letter);
        }
    }
    vt_putc(out, '\n');
    for (i = 0; i < N_PFN_FLAGS; i++) {
        if (!(f->flags & pfn_flags[i].bit))
            continue;
        vt_puts(out, n_words++ ? " " : "    ");
        vt_puts(out, pfn_flags[i].word);
    }
    if (n_words)
        vt_putc(out, '\n');
    /* What WinDbg would find elsewhere (the owning process, the level of a
    ** page-table page) on one extra line. */
    if (f->owner_pid != 0 || f->pt_level != 0) {
        vt_puts(out, "    vmlab:");
        if (f->owner_pid != 0)
            vml_text_printf(out, " owner pid %u", f->owner_pid);
        if (f->pt_level != 0)
            vml_text_printf(out, " page-table level %u", f->pt_level);
        vt_putc(out, '\n');
    }
}

VML_API vml_status vml_view_pfn(vml_machine *m, vml_pfn pfn, unsigned fmt, vml_text *out)
{
    vml_pfn_info f;
    vml_status st;
    int ptr;
    size_t i;

    if (m == NULL || out == NULL || fmt > VML_FMT_JSON)
        return VML_E_INVALID;
    if (pfn >= vml_pfn_total(m))
        return VML_E_RANGE;
    memset(&f, 0, sizeof f);
    st = vml_pfn_get(m, pfn, &f);
    if (st != VML_OK)
        return st;
    ptr = vw_ptr_bytes(m);
    if (fmt == VML_FMT_TEXT) {
        pfn_text(out, &f, ptr);
        return vt_done(out);
    }
    {
        struct jw j;

        jw_begin(&j, out);
        jw_str(&j, "view", "pfn");
        jw_u64(&j, "pfn", f.pfn);
        jw_hex(&j, "pfn_hex", f.pfn);
        jw_hex(&j, "pa", f.pfn << VML_PAGE_SHIFT);
        jw_str(&j, "list", vml_list_name(f.list));
        jw_str(&j, "location", vw_pfn_location(f.list));
        if (f.flink == VML_PFN_NONE) jw_null(&j, "flink"); else jw_u64(&j, "flink", f.flink);
        if (f.blink == VML_PFN_NONE) jw_null(&j, "blink"); else jw_u64(&j, "blink", f.blink);
        jw_u64(&j, "share_count", f.share_count);
        jw_u64(&j, "ref_count", f.ref_count);
        jw_hex(&j, "pte_pa", f.pte_pa);
        jw_u64(&j, "containing_page", pfn_containing(&f));
        jw_hex(&j, "orig_pte", f.orig_pte);
        jw_u64(&j, "priority", f.priority);
        jw_u64(&j, "flags_raw", f.flags);
        jw_arr(&j, "flags");
        for (i = 0; i < N_PFN_FLAGS; i++)
            if (f.flags & pfn_flags[i].bit)
                jw_str(&j, NULL, pfn_flags[i].key);
        jw_arr_end(&j);
        jw_u64(&j, "owner_pid", f.owner_pid);
        jw_u64(&j, "pt_level", f.pt_level);
        jw_finish(&j);
    }
    return vt_done(out);
}

/* ---- !memusage ---------------------------------------------------------- */

/* WinDbg's !memusage summary (Debugger Reference sample):
**                Zeroed:      218 (     872 kb)
**          Active/Valid:   321846 ( 1287384 kb)
**                 TOTAL:   503644 ( 2014576 kb)
** i.e. "%19s: %8u (%8u kb)".  Transition (pages with I/O in progress) is
** 0 in vmlab; Unknown is whatever no list accounts for (0 when P1 holds).
** Under Standby come its eight priorities (Windows keeps one standby list
** per page priority and repurposes the lowest first; WinDbg shows them in
** !pfn and MemInfo -s): only the non-empty ones, highest first.
** Page-table pages (part of Active/Valid) follow, then a per-process
** summary in the spirit of WinDbg's "Usage Summary (in Kb)". */
static const struct { vml_list list; const char *label, *key; } mu_rows[] = {
    { VML_LIST_ZEROED,     "Zeroed",          "zeroed" },
    { VML_LIST_FREE,       "Free",            "free" },
    { VML_LIST_STANDBY,    "Standby",         "standby" },
    { VML_LIST_MODIFIED,   "Modified",        "modified" },
    { VML_LIST_MODNOWRITE, "ModifiedNoWrite", "modified_no_write" },
    { VML_LIST_ACTIVE,     "Active/Valid",    "active" },
    { VML_N_LISTS,         "Transition",      "transition" },
    { VML_LIST_ROM,        "Rom",             "rom" },
    { VML_LIST_BAD,        "Bad",             "bad" },
};
#define N_MU_ROWS (sizeof mu_rows / sizeof mu_rows[0])

static void mu_line(vml_text *out, const char *label, uint64_t pages)
{
    vml_text_printf(out, "%19s: %8llu (%8llu kb)\n", label, (unsigned long long)pages,
                    (unsigned long long)(pages * VW_PAGE_KB));
}

static void mu_pages(struct jw *j, const char *key, uint64_t pages)
{
    jw_obj(j, key);
    jw_u64(j, "pages", pages);
    jw_u64(j, "kb", pages * VW_PAGE_KB);
    jw_obj_end(j);
}

VML_API vml_status vml_view_memusage(vml_machine *m, unsigned fmt, vml_text *out)
{
    struct vw_mem_model mdl;
    uint64_t counts[N_MU_ROWS];
    size_t i;
    unsigned k;
    struct jw j;
    vml_status st;

    if (m == NULL || out == NULL || fmt > VML_FMT_JSON)
        return VML_E_INVALID;
    st = vw_mem_build(m, &mdl);
    if (st != VML_OK)
        return st;
    for (i = 0; i < N_MU_ROWS; i++)
        counts[i] = mu_rows[i].list < VML_N_LISTS ? mdl.list[mu_rows[i].list] : 0;

    if (fmt == VML_FMT_TEXT) {
        for (i = 0; i < N_MU_ROWS; i++) {
            if (mu_rows[i].list != VML_LIST_ROM || counts[i] != 0)
                mu_line(out, mu_rows[i].label, counts[i]);
            if (mu_rows[i].list != VML_LIST_STANDBY)
                continue;
            for (k = VML_STANDBY_PRIORITIES; k-- > 0;) {   /* repurposed from the lowest */
                char label[32];
                if (mdl.standby[k] == 0)
                    continue;
                snprintf(label, sizeof label, "Standby Priority %u", k);
                mu_line(out, label, mdl.standby[k]);
            }
        }
        mu_line(out, "Unknown", mdl.unknown);
        mu_line(out, "TOTAL", mdl.total);
        vt_putc(out, '\n');
        mu_line(out, "PageTables", mdl.pagetables);
        vt_puts(out, "\nUsage Summary (in Kb):\n");
        vt_puts(out, "     Pid      Valid PageTables  name\n");
        for (i = 0; i < mdl.n_procs; i++)
            vml_text_printf(out, "%8u %10llu %10llu  %s\n", mdl.procs[i].pid,
                            (unsigned long long)(mdl.procs[i].ws_bytes >> 10),
                            (unsigned long long)(mdl.procs[i].pt_pages * VW_PAGE_KB),
                            mdl.procs[i].name);
    } else {
        jw_begin(&j, out);
        jw_str(&j, "view", "memusage");
        jw_u64(&j, "page_size", VML_PAGE_SIZE);
        jw_obj(&j, "lists");
        for (i = 0; i < N_MU_ROWS; i++)
            mu_pages(&j, mu_rows[i].key, counts[i]);
        mu_pages(&j, "unknown", mdl.unknown);
        jw_obj_end(&j);
        jw_arr(&j, "standby_by_priority");
        for (k = 0; k < VML_STANDBY_PRIORITIES; k++)
            jw_u64(&j, NULL, mdl.standby[k]);
        jw_arr_end(&j);
        mu_pages(&j, "total", mdl.total);
        mu_pages(&j, "pagetables", mdl.pagetables);
        jw_arr(&j, "processes");
        for (i = 0; i < mdl.n_procs; i++) {
            jw_obj(&j, NULL);
            jw_u64(&j, "pid", mdl.procs[i].pid);
            jw_str(&j, "name", mdl.procs[i].name);
            jw_u64(&j, "valid_kb", mdl.procs[i].ws_bytes >> 10);
            jw_u64(&j, "pagetables_kb", mdl.procs[i].pt_pages * VW_PAGE_KB);
            jw_obj_end(&j);
        }
        jw_arr_end(&j);
        jw_finish(&j);
    }
    vw_mem_free(&mdl);
    return vt_done(out);
}

/* ---- VirtualQuery ------------------------------------------------------- */

/* Every MEMORY_BASIC_INFORMATION field, in the structure's order, values in
** hex with the constants named (as WinDbg's !address names them):
**   State:             0x00001000  MEM_COMMIT */
static void mbi_named(vml_text *out, const char *field, uint32_t v, const char *name)
{
    vml_text_printf(out, "%-19s0x%08x", field, v);
    if (name != NULL && name[0] != '\0')
        vml_text_printf(out, "  %s", name);
    vt_putc(out, '\n');
}

VML_API vml_status vml_view_query(vml_proc *p, vml_va va, unsigned fmt, vml_text *out)
{
    vml_mbi mbi;
    uint32_t err;
    char ap[96], pr[96];

    if (p == NULL || out == NULL || fmt > VML_FMT_JSON)
        return VML_E_INVALID;
    memset(&mbi, 0, sizeof mbi);
    err = vml_win_VirtualQuery(p, va, &mbi);
    if (err != 0)                       /* ERROR_INVALID_PARAMETER: not user */
        return VML_E_RANGE;
    ap[0] = pr[0] = '\0';
    if (mbi.AllocationProtect)
        vml_win_protect_name(mbi.AllocationProtect, ap, sizeof ap);
    if (mbi.Protect)
        vml_win_protect_name(mbi.Protect, pr, sizeof pr);

    if (fmt == VML_FMT_TEXT) {
        vml_text_printf(out, "%-19s0x%llx\n", "BaseAddress:", (unsigned long long)mbi.BaseAddress);
        vml_text_printf(out, "%-19s0x%llx\n", "AllocationBase:",
                        (unsigned long long)mbi.AllocationBase);
        mbi_named(out, "AllocationProtect:", mbi.AllocationProtect, ap);
        vml_text_printf(out, "%-19s%u\n", "PartitionId:", mbi.PartitionId);
        vml_text_printf(out, "%-19s0x%llx\n", "RegionSize:", (unsigned long long)mbi.RegionSize);
        mbi_named(out, "State:", mbi.State, vw_mem_state_name(mbi.State));
        mbi_named(out, "Protect:", mbi.Protect, pr);
        mbi_named(out, "Type:", mbi.Type, vw_mem_type_name(mbi.Type));
        return vt_done(out);
    }
    {
        struct jw j;
        const char *s;

        jw_begin_proc(&j, out, "query", p);
        jw_hex(&j, "address", va);
        jw_hex(&j, "base_address", mbi.BaseAddress);
        jw_hex(&j, "allocation_base", mbi.AllocationBase);
        jw_u64(&j, "allocation_protect", mbi.AllocationProtect);
        jw_str(&j, "allocation_protect_name", ap);
        jw_u64(&j, "partition_id", mbi.PartitionId);
        jw_u64(&j, "region_size", mbi.RegionSize);
        jw_hex(&j, "region_size_hex", mbi.RegionSize);
        jw_u64(&j, "state", mbi.State);
        s = vw_mem_state_name(mbi.State);
        jw_str(&j, "state_name", s ? s : "");
        jw_u64(&j, "protect", mbi.Protect);
        jw_str(&j, "protect_name", pr);
        jw_u64(&j, "type", mbi.Type);
        s = vw_mem_type_name(mbi.Type);
        jw_str(&j, "type_name", s ? s : "");
        jw_finish(&j);
    }
    return vt_done(out);
}

/* ---- Task Manager ------------------------------------------------------- */

/* Task Manager's Details tab, one row per process, sizes in K with digit
** grouping ("1,234 K") as Task Manager shows them.  "Commit size" is the
** process's private bytes; "Virtual size" is Process Explorer's column
** (Task Manager has none).  Counters: working_set, peak_working_set,
** private_bytes, virtual_size (bytes), page_faults and hard_faults.
** "Page faults" is Task Manager's column (every resolved fault, soft or
** hard); "Hard faults" is the total behind Resource Monitor's
** "Hard Faults/sec" column: faults that read the page from the pagefile
** or a file.  The working set splits as Process Explorer's columns do:
** WS Private (pages only this process can have), WS Shareable (section
** and clone pages) and WS Shared (the shareable ones another PTE maps
** too); Private + Shareable = Working set. */
VML_API vml_status vml_view_taskmgr(vml_machine *m, unsigned fmt, vml_text *out)
{
    struct vw_tm_model mdl;
    size_t i, k, namew;
    struct jw j;
    vml_status st;

    if (m == NULL || out == NULL || fmt > VML_FMT_JSON)
        return VML_E_INVALID;
    st = vw_tm_build(m, &mdl);
    if (st != VML_OK)
        return st;
    namew = mdl.name_width;
    if (fmt == VML_FMT_TEXT) {
        vml_text_printf(out, "%-*s %7s", (int)namew, "Name", "PID");
        for (k = 0; k < VW_TM_N; k++)
            vml_text_printf(out, "  %*s", (int)strlen(vw_tm_headers[k]), vw_tm_headers[k]);
        vt_putc(out, '\n');
    } else {
        jw_begin(&j, out);
        jw_str(&j, "view", "taskmgr");
        jw_arr(&j, "processes");
    }
    for (i = 0; i < mdl.n; i++) {
        const struct vw_tm_row *r = &mdl.rows[i];
        char g[40], cell[48];

        if (fmt == VML_FMT_TEXT) {
            vml_text_printf(out, "%-*s %7u", (int)namew, r->name, r->pid);
            for (k = 0; k < VW_TM_N; k++) {
                if (k < VW_TM_SIZES)
                    snprintf(cell, sizeof cell, "%s K", vt_group(r->v[k] >> 10, g, sizeof g));
                else
                    snprintf(cell, sizeof cell, "%s", vt_group(r->v[k], g, sizeof g));
                vml_text_printf(out, "  %*s", (int)strlen(vw_tm_headers[k]), cell);
            }
            vt_putc(out, '\n');
        } else {
            jw_obj(&j, NULL);
            jw_str(&j, "name", r->name);
            jw_u64(&j, "pid", r->pid);
            for (k = 0; k < VW_TM_N; k++)
                jw_u64(&j, vw_tm_keys[k], r->v[k]);
            jw_u64(&j, "working_set_kb", r->v[0] >> 10);
            jw_u64(&j, "peak_working_set_kb", r->v[4] >> 10);
            jw_u64(&j, "commit_size_kb", r->v[5] >> 10);
            jw_u64(&j, "virtual_size_kb", r->v[6] >> 10);
            jw_obj_end(&j);
        }
    }
    if (fmt == VML_FMT_JSON) {
        jw_arr_end(&j);
        jw_finish(&j);
    }
    vw_tm_free(&mdl);
    return vt_done(out);
}
