/*
** view_linux.c -- the Linux-flavoured views: /proc/PID/maps,
** /proc/PID/status (its memory lines) and /proc/PID/pagemap, each in the
** kernel's exact format, built from the public API (vml_vad_next,
** vml_walk_va, vml_pte_decode, vml_pfn_get, vml_stat_get).
**
** Every VAD is a VMA here, whichever personality created it: a win32 VAD
** shows with the PROT_* equivalent of its protection.
**
** Every view here keeps the invariants VW5-VW8 of view.h (argument checks
** before output, rollback on failure, valid JSON, VML_E_NOMEM on oom).
*/
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "view/view.h"

/* VM_MAYSHARE: MAP_SHARED mappings, and win32 views of sections that are
** not copy-on-write; private memory and images are 'p'. */
static int vma_shared(const vml_vad_info *v)
{
    if (v->origin == VML_ORIGIN_POSIX)
        return (v->map_flags & VML_MAP_SHARED) != 0;
    if (v->type != VML_VAD_MAPPED)
        return 0;
    return (v->protect & (VML_PAGE_WRITECOPY | VML_PAGE_EXECUTE_WRITECOPY)) == 0;
}

static int vma_prot(const vml_vad_info *v)
{
    if (v->origin == VML_ORIGIN_WIN32 && v->prot == 0 && v->protect != 0) {
        switch (v->protect & 0xFFu) {        /* in case prot was not derived */
        case VML_PAGE_READONLY:          return VML_PROT_READ;
        case VML_PAGE_READWRITE:
        case VML_PAGE_WRITECOPY:         return VML_PROT_READ | VML_PROT_WRITE;
        case VML_PAGE_EXECUTE:           return VML_PROT_EXEC;
        case VML_PAGE_EXECUTE_READ:      return VML_PROT_READ | VML_PROT_EXEC;
        case VML_PAGE_EXECUTE_READWRITE:
        case VML_PAGE_EXECUTE_WRITECOPY: return VML_PROT_READ | VML_PROT_WRITE | VML_PROT_EXEC;
        default:                         return VML_PROT_NONE;
        }
    }
    return v->prot;
}

static int vma_stack(const vml_vad_info *v)
{
    return (v->origin == VML_ORIGIN_POSIX && (v->map_flags & VML_MAP_GROWSDOWN)) ||
           (v->name != NULL && strcmp(v->name, "[stack]") == 0);
}

/* Name shown in maps: the VAD's; a file's path (vmlab's files live at the
** root of its file system: a relative name shows as /name); or, as Linux
** shows shared anonymous memory (a shmem file) and a pagefile-backed
** section has no better name, "/dev/zero (deleted)". */
const char *vw_vma_name(const vml_vad_info *v, char *buf, size_t size)
{
    if (v->name != NULL && v->name[0] != '\0')
        return v->name;
    if (v->backing == VML_BACKING_FILE || v->backing == VML_BACKING_IMAGE) {
        snprintf(buf, size, "%s%s", v->file[0] == '/' ? "" : "/", v->file);
        return buf;
    }
    if (v->backing == VML_BACKING_PAGEFILE)
        return "/dev/zero (deleted)";
    return NULL;
}

/* The device and inode maps shows: vmlab's file system is device 08:01
** (a first disk's first partition), shmem Linux's 00:01. */
static void vma_dev(const vml_vad_info *v, unsigned *major, unsigned *minor,
                    unsigned long long *ino)
{
    *major = *minor = 0;
    *ino = v->inode;
    if (v->backing == VML_BACKING_FILE || v->backing == VML_BACKING_IMAGE) {
        *major = 8;
        *minor = 1;
    } else if (v->backing == VML_BACKING_PAGEFILE) {
        *minor = 1;
    }
}

int vw_vma_prot(const vml_vad_info *v) { return vma_prot(v); }
int vw_vma_shared(const vml_vad_info *v) { return vma_shared(v); }
int vw_vma_stack(const vml_vad_info *v) { return vma_stack(v); }

static vml_va vma_start(const vml_vad_info *v) { return v->start_vpn << VML_PAGE_SHIFT; }
static vml_va vma_end(const vml_vad_info *v)   { return (v->end_vpn + 1) << VML_PAGE_SHIFT; }

/* ---- maps --------------------------------------------------------------- */

/* fs/proc/task_mmu.c, show_vma_header_prefix() and show_map_vma():
**     seq_setwidth(m, 25 + sizeof(void *) * 6 - 1);
**     seq_put_hex_ll(m, NULL, start, 8);  seq_put_hex_ll(m, "-", end, 8);
**     seq_putc(m, ' ');  r w x, then 's' if VM_MAYSHARE else 'p';
**     seq_put_hex_ll(m, " ", pgoff, 8);
**     seq_put_hex_ll(m, " ", MAJOR(dev), 2);  seq_put_hex_ll(m, ":", MINOR(dev), 2);
**     seq_put_decimal_ull(m, " ", ino);  seq_putc(m, ' ');
**     if (name) { seq_pad(m, ' '); seq_puts(m, name); }  seq_putc(m, '\n');
** i.e. printf("%08lx-%08lx %c%c%c%c %08llx %02x:%02x %lu ", ...), then
** for a named mapping spaces up to column 72 (48 on 32-bit kernels) and
** one more space, so the name starts at column 73 (49).  An unnamed line
** keeps the space after the inode.  Anonymous memory: offset 0, 00:00, 0;
** shared anonymous memory is a shmem file (device 00:01). */
void vw_maps_line(vml_text *out, const vml_vad_info *v, int ptr)
{
    size_t line = out->len;
    int prot = vma_prot(v);
    char nbuf[300];
    const char *name = vw_vma_name(v, nbuf, sizeof nbuf);
    unsigned major, minor;
    unsigned long long ino;

    vma_dev(v, &major, &minor, &ino);
    vml_text_printf(out, "%08llx-%08llx %c%c%c%c %08llx %02x:%02x %llu ",
                    (unsigned long long)vma_start(v), (unsigned long long)vma_end(v),
                    (prot & VML_PROT_READ) ? 'r' : '-', (prot & VML_PROT_WRITE) ? 'w' : '-',
                    (prot & VML_PROT_EXEC) ? 'x' : '-', vma_shared(v) ? 's' : 'p',
                    (unsigned long long)v->offset, major, minor, ino);
    if (name != NULL) {
        vt_pad_to(out, line, (size_t)(25 + ptr * 6 - 1));
        vt_putc(out, ' ');
        vt_puts(out, name);
    }
    vt_putc(out, '\n');
}

VML_API vml_status vml_view_maps(vml_proc *p, unsigned fmt, vml_text *out)
{
    vml_vad_info v;
    vml_va cursor = 0;
    int done = 0, ptr;
    struct jw j;

    if (p == NULL || out == NULL || fmt > VML_FMT_JSON)
        return VML_E_INVALID;
    ptr = vw_ptr_bytes(vml_proc_machine(p));
    if (fmt == VML_FMT_JSON) {
        jw_begin_proc(&j, out, "maps", p);
        jw_arr(&j, "maps");
    }
    while (vw_vad_next(p, &cursor, &done, &v)) {
        if (fmt == VML_FMT_TEXT) {
            vw_maps_line(out, &v, ptr);
        } else {
            int prot = vma_prot(&v);
            char perms[5], nbuf[300], dev[8];
            const char *name = vw_vma_name(&v, nbuf, sizeof nbuf);
            unsigned major, minor;
            unsigned long long ino;

            perms[0] = (prot & VML_PROT_READ) ? 'r' : '-';
            perms[1] = (prot & VML_PROT_WRITE) ? 'w' : '-';
            perms[2] = (prot & VML_PROT_EXEC) ? 'x' : '-';
            perms[3] = vma_shared(&v) ? 's' : 'p';
            perms[4] = '\0';
            jw_obj(&j, NULL);
            jw_hex(&j, "start", vma_start(&v));
            jw_hex(&j, "end", vma_end(&v));
            jw_u64(&j, "size", vma_end(&v) - vma_start(&v));
            jw_str(&j, "perms", perms);
            vma_dev(&v, &major, &minor, &ino);
            snprintf(dev, sizeof dev, "%02x:%02x", major & 0xFFu, minor & 0xFFu);
            jw_u64(&j, "offset", v.offset);
            jw_str(&j, "dev", dev);
            jw_u64(&j, "inode", ino);
            jw_str(&j, "pathname", name ? name : "");
            jw_obj_end(&j);
        }
    }
    if (fmt == VML_FMT_JSON) {
        jw_arr_end(&j);
        jw_finish(&j);
    }
    return vt_done(out);
}

/* ---- status ------------------------------------------------------------- */

/* fs/proc/task_mmu.c, task_mem(): each line is "Name:\t%8lu kB" --
**     SEQ_PUT_DEC("VmPeak:\t", hiwater_vm);  SEQ_PUT_DEC(" kB\nVmSize:\t", total_vm);
**     ... VmLck VmPin VmHWM VmRSS RssAnon RssFile RssShmem VmData VmStk,
**     VmExe VmLib VmPTE (seq_put_decimal_ull_width(.., 8)), VmSwap, " kB\n"
** then hugetlb_report_usage(): "HugetlbPages:\t%8lu kB".
** VmData/VmStk/VmExe/VmLib come from the VMAs as mm/mmap.c accounts them:
** data = (flags & (VM_WRITE|VM_SHARED|VM_STACK)) == VM_WRITE; stack =
** VM_GROWSDOWN; exec = (flags & (VM_EXEC|VM_WRITE|VM_STACK)) == VM_EXEC,
** split into VmExe (the program's own: task_mem()'s end_code - start_code,
** the executable mappings of the first module that is not a library) and
** VmLib (the rest). */
enum { ST_PEAK, ST_SIZE, ST_LCK, ST_PIN, ST_HWM, ST_RSS, ST_ANON, ST_FILE, ST_SHMEM,
       ST_DATA, ST_STK, ST_EXE, ST_LIB, ST_PTE, ST_SWAP, ST_HUGE, N_ST };

static const struct { const char *label, *key; } st_lines[N_ST] = {
    { "VmPeak",   "vm_peak_kb" },   { "VmSize",   "vm_size_kb" },
    { "VmLck",    "vm_lck_kb" },    { "VmPin",    "vm_pin_kb" },
    { "VmHWM",    "vm_hwm_kb" },    { "VmRSS",    "vm_rss_kb" },
    { "RssAnon",  "rss_anon_kb" },  { "RssFile",  "rss_file_kb" },
    { "RssShmem", "rss_shmem_kb" }, { "VmData",   "vm_data_kb" },
    { "VmStk",    "vm_stk_kb" },    { "VmExe",    "vm_exe_kb" },
    { "VmLib",    "vm_lib_kb" },    { "VmPTE",    "vm_pte_kb" },
    { "VmSwap",   "vm_swap_kb" },   { "HugetlbPages", "hugetlb_pages_kb" },
};

static void status_values(vml_proc *p, uint64_t kb[N_ST])
{
    uint64_t total_pages = 0, data = 0, stk = 0, exe = 0, lib = 0, v64;
    vml_vad_info v;
    vml_va cursor = 0, exe_lo = 0, exe_hi = 0;
    int done = 0;
    vml_module_info mi;
    for (vml_va from = 0; vml_module_next(p, from, &mi) == VML_OK; from = mi.base + 1)
        if (!(mi.flags & VML_MODULE_DLL)) {
            exe_lo = mi.base;
            exe_hi = mi.end;
            break;
        }

    while (vw_vad_next(p, &cursor, &done, &v)) {
        uint64_t pages = v.end_vpn - v.start_vpn + 1;
        int prot = vma_prot(&v), stack = vma_stack(&v), shared = vma_shared(&v);

        total_pages += pages;
        if (stack)
            stk += pages;
        else if ((prot & VML_PROT_WRITE) && !shared)
            data += pages;
        if ((prot & VML_PROT_EXEC) && !(prot & VML_PROT_WRITE) && !stack) {
            vml_va va = v.start_vpn << VML_PAGE_SHIFT;
            if (va >= exe_lo && va < exe_hi)
                exe += pages;
            else
                lib += pages;
        }
    }
    memset(kb, 0, sizeof(uint64_t) * N_ST);
    v64 = vml_stat_proc(p, VML_STAT_PROC_virtual_size);
    kb[ST_SIZE] = v64 ? v64 >> 10 : total_pages * VW_PAGE_KB;
    kb[ST_PEAK] = vml_stat_proc(p, VML_STAT_PROC_peak_virtual_size) >> 10;
    if (kb[ST_PEAK] < kb[ST_SIZE])      /* task_mem: hiwater_vm >= total_vm */
        kb[ST_PEAK] = kb[ST_SIZE];
    kb[ST_RSS] = vml_stat_proc(p, VML_STAT_PROC_working_set) >> 10;
    kb[ST_HWM] = vml_stat_proc(p, VML_STAT_PROC_peak_working_set) >> 10;
    if (kb[ST_HWM] < kb[ST_RSS])
        kb[ST_HWM] = kb[ST_RSS];
    kb[ST_FILE] = vml_stat_proc(p, VML_STAT_PROC_rss_file) >> 10;
    kb[ST_SHMEM] = vml_stat_proc(p, VML_STAT_PROC_rss_shmem) >> 10;
    /* VmRSS = RssAnon + RssFile + RssShmem */
    kb[ST_ANON] = vml_stat_proc(p, VML_STAT_PROC_rss_anon) >> 10;
    kb[ST_DATA] = data * VW_PAGE_KB;
    kb[ST_STK] = stk * VW_PAGE_KB;
    kb[ST_EXE] = exe * VW_PAGE_KB;
    kb[ST_LIB] = lib * VW_PAGE_KB;
    kb[ST_PTE] = vml_stat_proc(p, VML_STAT_PROC_pagetable_pages) * VW_PAGE_KB;
    kb[ST_SWAP] = vml_stat_proc(p, VML_STAT_PROC_pagefile_pages) * VW_PAGE_KB;
}

VML_API vml_status vml_view_status(vml_proc *p, unsigned fmt, vml_text *out)
{
    uint64_t kb[N_ST];
    unsigned pid;
    size_t i;

    if (p == NULL || out == NULL || fmt > VML_FMT_JSON)
        return VML_E_INVALID;
    pid = vml_proc_pid(p);
    status_values(p, kb);
    if (fmt == VML_FMT_TEXT) {
        vml_text_printf(out, "Name:\t%s\n", vml_proc_name(p));
        vml_text_printf(out, "Tgid:\t%u\n", pid);
        vml_text_printf(out, "Pid:\t%u\n", pid);
        for (i = 0; i < N_ST; i++)
            vml_text_printf(out, "%s:\t%8llu kB\n", st_lines[i].label, (unsigned long long)kb[i]);
        return vt_done(out);
    }
    {
        struct jw j;

        jw_begin(&j, out);
        jw_str(&j, "view", "status");
        jw_str(&j, "name", vml_proc_name(p));
        jw_u64(&j, "pid", pid);
        for (i = 0; i < N_ST; i++)
            jw_u64(&j, st_lines[i].key, kb[i]);
        jw_finish(&j);
    }
    return vt_done(out);
}

/* ---- pagemap ------------------------------------------------------------ */

/* Documentation/admin-guide/mm/pagemap.rst: one 64-bit entry per page,
**   bits 0-54  page frame number (PFN) if present
**   bits 0-4   swap type if swapped;  bits 5-54 swap offset if swapped
**   bit  55    pte is soft-dirty
**   bit  56    page exclusively mapped (since 4.2)
**   bit  57    pte is uffd-wp write-protected (since 5.13)
**   bits 58-60 zero
**   bit  61    page is file-page or shared-anon (since 3.5)
**   bit  62    page swapped
**   bit  63    page present
** Soft-dirty: a new VMA carries VM_SOFTDIRTY and every page of it reads as
** soft-dirty until someone writes "4" to clear_refs, which vmlab has no
** way to do; so every page inside a VMA has bit 55 set, holes outside any
** VMA read 0 (pagemap_pte_hole).  Exclusive: present and mapped once
** (share count 1).  The pagefile is swap type 0. */
#define PM_PFN_MASK      ((1ull << 55) - 1)
#define PM_SOFT_DIRTY    (1ull << 55)
#define PM_MMAP_EXCL     (1ull << 56)
#define PM_FILE          (1ull << 61)
#define PM_SWAP          (1ull << 62)
#define PM_PRESENT       (1ull << 63)
#define PM_SWAP_OFF_SHIFT 5

#define PAGEMAP_MAX_COUNT (1ull << 20)

struct pm_page {
    uint64_t entry;
    int      in_vma;
    vml_pte_kind kind;     /* of the entry that stops or ends the walk */
    vml_pfn  pfn;          /* present or transition */
    uint64_t slot;
    int      walk_ok;
};

static void pagemap_page(vml_proc *p, vml_va va, const vml_vad_info *v, int in_vma,
                         struct pm_page *pg)
{
    vml_machine *m = vml_proc_machine(p);
    vml_walk w;
    const vml_walk_step *stop;
    vml_pte_info pi;
    vml_pfn_info fi;

    memset(pg, 0, sizeof *pg);
    pg->in_vma = in_vma;
    pg->kind = VML_PTE_ZERO;
    pg->pfn = VML_PFN_NONE;
    if (in_vma)
        pg->entry |= PM_SOFT_DIRTY;
    memset(&w, 0, sizeof w);
    if (vml_walk_va(p, va, &w) != VML_OK || w.n_steps == 0 || w.n_steps > 5)
        return;
    pg->walk_ok = 1;
    if (w.present) {
        pg->kind = VML_PTE_VALID;
        pg->pfn = w.pa >> VML_PAGE_SHIFT;
        pg->entry |= PM_PRESENT | (pg->pfn & PM_PFN_MASK);
        if (vml_pfn_get(m, pg->pfn, &fi) == VML_OK && fi.share_count == 1)
            pg->entry |= PM_MMAP_EXCL;
        if (in_vma && (v->type != VML_VAD_PRIVATE || vma_shared(v)))
            pg->entry |= PM_FILE;
        return;
    }
    stop = &w.step[vw_walk_stop(&w)];
    vml_pte_decode(m, stop->entry, stop->level, &pi);
    pg->kind = pi.kind;
    if (pi.kind == VML_PTE_TRANSITION)
        pg->pfn = pi.pfn;
    if (pi.kind == VML_PTE_PAGEFILE) {
        pg->slot = pi.slot;
        pg->entry |= PM_SWAP | ((pi.slot << PM_SWAP_OFF_SHIFT) & PM_PFN_MASK);  /* type 0 */
    }
}

static void pagemap_decoded(vml_text *out, const struct pm_page *pg)
{
    if (pg->entry & PM_PRESENT) {
        vml_text_printf(out, "pfn 0x%llx", (unsigned long long)pg->pfn);
        return;
    }
    if (pg->entry & PM_SWAP) {
        vml_text_printf(out, "swap type 0 offset 0x%llx", (unsigned long long)pg->slot);
        return;
    }
    if (!pg->walk_ok) {
        vt_puts(out, "- (no translation)");
        return;
    }
    switch (pg->kind) {
    case VML_PTE_TRANSITION:
        vml_text_printf(out, "- (transition pte: pfn 0x%llx on a page list)",
                        (unsigned long long)pg->pfn);
        break;
    case VML_PTE_ZERO:
        vt_puts(out, pg->in_vma ? "- (pte none)" : "- (no vma)");
        break;
    default:
        vml_text_printf(out, "- (%s pte)", vml_pte_kind_name(pg->kind));
    }
}

VML_API vml_status vml_view_pagemap(vml_proc *p, vml_va va, uint64_t count, unsigned fmt,
                                    vml_text *out)
{
    vml_vad_info v;
    int have_v = 0, ptr;
    uint64_t i;
    struct jw j;

    if (p == NULL || out == NULL || fmt > VML_FMT_JSON || count == 0)
        return VML_E_INVALID;
    if (count > PAGEMAP_MAX_COUNT)
        return VML_E_RANGE;
    va &= ~(vml_va)(VML_PAGE_SIZE - 1);
    if (va + (count - 1) * VML_PAGE_SIZE < va)
        return VML_E_RANGE;
    ptr = vw_ptr_bytes(vml_proc_machine(p));

    if (fmt == VML_FMT_TEXT) {
        vml_text_printf(out, "/proc/%u/pagemap (%s): %llu entr%s from 0x%llx\n",
                        vml_proc_pid(p), vml_proc_name(p), (unsigned long long)count,
                        count == 1 ? "y" : "ies", (unsigned long long)va);
        vml_text_printf(out, "%-*s  %-16s  present swapped file excl soft-dirty  pfn/swap\n",
                        ptr * 2, "address", "entry");
    } else {
        jw_begin_proc(&j, out, "pagemap", p);
        jw_hex(&j, "va", va);
        jw_u64(&j, "count", count);
        jw_arr(&j, "pages");
    }
    for (i = 0; i < count; i++) {
        vml_va a = va + i * VML_PAGE_SIZE;
        struct pm_page pg;
        int in_vma;

        if (!have_v || (a >> VML_PAGE_SHIFT) > v.end_vpn)
            have_v = vml_vad_next(p, a, &v) == VML_OK;
        in_vma = have_v && (a >> VML_PAGE_SHIFT) >= v.start_vpn &&
                 (a >> VML_PAGE_SHIFT) <= v.end_vpn;
        pagemap_page(p, a, &v, in_vma, &pg);
        if (fmt == VML_FMT_TEXT) {
            vml_text_printf(out, "%0*llx  %016llx  %-7d %-7d %-4d %-4d %-10d  ",
                            ptr * 2, (unsigned long long)a, (unsigned long long)pg.entry,
                            !!(pg.entry & PM_PRESENT), !!(pg.entry & PM_SWAP),
                            !!(pg.entry & PM_FILE), !!(pg.entry & PM_MMAP_EXCL),
                            !!(pg.entry & PM_SOFT_DIRTY));
            pagemap_decoded(out, &pg);
            vt_putc(out, '\n');
        } else {
            jw_obj(&j, NULL);
            jw_hex(&j, "va", a);
            jw_hex(&j, "entry", pg.entry);
            jw_bool(&j, "present", !!(pg.entry & PM_PRESENT));
            jw_bool(&j, "swapped", !!(pg.entry & PM_SWAP));
            jw_bool(&j, "file_or_shared_anon", !!(pg.entry & PM_FILE));
            jw_bool(&j, "exclusive", !!(pg.entry & PM_MMAP_EXCL));
            jw_bool(&j, "soft_dirty", !!(pg.entry & PM_SOFT_DIRTY));
            if (pg.entry & PM_PRESENT)
                jw_u64(&j, "pfn", pg.pfn);
            if (pg.entry & PM_SWAP) {
                jw_u64(&j, "swap_type", 0);
                jw_u64(&j, "swap_offset", pg.slot);
            }
            jw_str(&j, "pte_kind", pg.walk_ok ? vml_pte_kind_name(pg.kind) : "none");
            jw_obj_end(&j);
        }
    }
    if (fmt == VML_FMT_JSON) {
        jw_arr_end(&j);
        jw_finish(&j);
    }
    return vt_done(out);
}
