/*
** model_mem.c -- the models of physical memory and of the processes'
** counters (model.h: VW1, VW2, VW4): the page lists (!memusage, diagram
** lists), Task Manager's columns (taskmgr, the report), and every frame's
** list and use (RAMMap's Use Counts, the frame maps).
*/
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "view/model.h"
#include "view/view.h"

/* ---- the page lists ---------------------------------------------------------- */

void vw_mem_free(struct vw_mem_model *mdl)
{
    free(mdl->procs);
    memset(mdl, 0, sizeof *mdl);
}

vml_status vw_mem_build(vml_machine *m, struct vw_mem_model *out)
{
    uint64_t sum = 0;
    size_t i, n;

    memset(out, 0, sizeof *out);
    for (i = 0; i < VML_N_LISTS; i++) {
        out->list[i] = vml_list_count(m, (vml_list)i);
        sum += out->list[i];
    }
    out->total = vml_pfn_total(m);
    out->unknown = out->total > sum ? out->total - sum : 0;
    out->pagetables = vml_stat_sys(m, VML_STAT_SYS_pagetable_pages);
    for (i = 0; i < VML_STANDBY_PRIORITIES; i++)
        out->standby[i] = vml_standby_count(m, (unsigned)i);
    n = vml_proc_count(m);
    if (n == 0)
        return VML_OK;
    out->procs = calloc(n, sizeof *out->procs);
    if (out->procs == NULL)
        return VML_E_NOMEM;
    for (i = 0; i < n; i++) {
        vml_proc *p = vml_proc_at(m, i);
        struct vw_mem_proc *r;
        if (p == NULL)
            continue;
        r = &out->procs[out->n_procs++];
        r->pid = vml_proc_pid(p);
        r->name = vml_proc_name(p);
        r->ws_bytes = vml_stat_proc(p, VML_STAT_PROC_working_set);
        r->pt_pages = vml_stat_proc(p, VML_STAT_PROC_pagetable_pages);
    }
    return VML_OK;
}

/* ---- Task Manager ------------------------------------------------------------ */

const vml_proc_stat vw_tm_counters[VW_TM_N] = {
    VML_STAT_PROC_working_set, VML_STAT_PROC_ws_private, VML_STAT_PROC_ws_shareable,
    VML_STAT_PROC_ws_shared, VML_STAT_PROC_peak_working_set, VML_STAT_PROC_private_bytes,
    VML_STAT_PROC_virtual_size, VML_STAT_PROC_page_faults, VML_STAT_PROC_hard_faults
};
const char *const vw_tm_keys[VW_TM_N] = {
    "working_set", "ws_private", "ws_shareable", "ws_shared", "peak_working_set",
    "private_bytes", "virtual_size", "page_faults", "hard_faults"
};
const char *const vw_tm_headers[VW_TM_N] = {
    "Working set (memory)", "WS Private", "WS Shareable", "WS Shared", "Peak working set",
    "Commit size", "Virtual size", "Page faults", "Hard faults"
};

void vw_tm_free(struct vw_tm_model *mdl)
{
    free(mdl->rows);
    memset(mdl, 0, sizeof *mdl);
}

vml_status vw_tm_build(vml_machine *m, struct vw_tm_model *out)
{
    size_t i, k, n = vml_proc_count(m);

    memset(out, 0, sizeof *out);
    out->name_width = 4;
    if (n == 0)
        return VML_OK;
    out->rows = calloc(n, sizeof *out->rows);
    if (out->rows == NULL)
        return VML_E_NOMEM;
    for (i = 0; i < n; i++) {
        vml_proc *p = vml_proc_at(m, i);
        struct vw_tm_row *r;
        size_t len;
        if (p == NULL)
            continue;
        r = &out->rows[out->n++];
        r->p = p;
        r->pid = vml_proc_pid(p);
        r->name = vml_proc_name(p);
        for (k = 0; k < VW_TM_N; k++)
            r->v[k] = vml_stat_proc(p, vw_tm_counters[k]);
        len = strlen(r->name);
        if (len > out->name_width)
            out->name_width = len > 40 ? 40 : len;
    }
    return VML_OK;
}

/* ---- frames -------------------------------------------------------------------- */

const struct vw_fclass_def vw_fclasses[VW_N_FCLASSES] = {
    [VW_FC_PRIVATE]    = { "private",    "Process Private",   'P', 0 },
    [VW_FC_SHAREABLE]  = { "shareable",  "Shareable",         'S', 1 },
    [VW_FC_FILE]       = { "file",       "Mapped File",       'F', 2 },
    [VW_FC_IMAGE]      = { "image",      "Image",             'I', 4 },
    [VW_FC_PAGETABLE]  = { "pagetable",  "Page Table",        'T', 6 },
    [VW_FC_KERNEL]     = { "kernel",     "Kernel",            'K', 8 },
    [VW_FC_STANDBY]    = { "standby",    "Standby",           's', 10 },
    [VW_FC_MODIFIED]   = { "modified",   "Modified",          'm', 5 },
    [VW_FC_MODNOWRITE] = { "modnowrite", "Modified No-Write", 'n', 11 },
    [VW_FC_FREE]       = { "free",       "Free",              '-', 7 },
    [VW_FC_ZEROED]     = { "zeroed",     "Zeroed",            '.', 3 },
    [VW_FC_BAD]        = { "bad",        "Bad",               'x', 9 },
    [VW_FC_ROM]        = { "rom",        "ROM",               'r', 9 },
};

static enum vw_fclass fclass_of(const vml_pfn_info *f)
{
    static const enum vw_fclass by_use[VML_N_USES] = {
        [VML_USE_PRIVATE] = VW_FC_PRIVATE,     [VML_USE_SHAREABLE] = VW_FC_SHAREABLE,
        [VML_USE_FILE] = VW_FC_FILE,           [VML_USE_IMAGE] = VW_FC_IMAGE,
        [VML_USE_PAGETABLE] = VW_FC_PAGETABLE, [VML_USE_KERNEL] = VW_FC_KERNEL,
        [VML_USE_UNUSED] = VW_FC_FREE,
    };
    switch (f->list) {
    case VML_LIST_ZEROED:     return VW_FC_ZEROED;
    case VML_LIST_FREE:       return VW_FC_FREE;
    case VML_LIST_STANDBY:    return VW_FC_STANDBY;
    case VML_LIST_MODIFIED:   return VW_FC_MODIFIED;
    case VML_LIST_MODNOWRITE: return VW_FC_MODNOWRITE;
    case VML_LIST_BAD:        return VW_FC_BAD;
    case VML_LIST_ROM:        return VW_FC_ROM;
    default:                  return f->use < VML_N_USES ? by_use[f->use] : VW_FC_PRIVATE;
    }
}

void vw_frames_free(struct vw_frames_model *mdl)
{
    free(mdl->cls);
    memset(mdl, 0, sizeof *mdl);
}

vml_status vw_frames_build(vml_machine *m, struct vw_frames_model *out)
{
    vml_pfn pfn;
    vml_pfn_info f;

    memset(out, 0, sizeof *out);
    out->n_frames = vml_pfn_total(m);
    out->cls = malloc(out->n_frames ? out->n_frames : 1);
    if (out->cls == NULL)
        return VML_E_NOMEM;
    for (pfn = 0; pfn < out->n_frames; pfn++) {
        enum vw_fclass c;
        if (vml_pfn_get(m, pfn, &f) != VML_OK || f.list >= VML_N_LISTS || f.use >= VML_N_USES) {
            vw_frames_free(out);
            return VML_E_CORRUPT;
        }
        c = fclass_of(&f);
        out->cls[pfn] = (uint8_t)c;
        out->per_class[c]++;
        out->use_list[f.use][f.list]++;
    }
    return VML_OK;
}

uint64_t vw_frames_group(uint64_t n_frames, uint64_t max_cells)
{
    uint64_t g = 1;

    if (max_cells == 0)
        max_cells = 1;
    while (n_frames / g + (n_frames % g != 0) > max_cells)
        g *= 2;
    return g;
}

enum vw_fclass vw_frames_cell(const struct vw_frames_model *mdl, uint64_t first, uint64_t group)
{
    uint64_t n[VW_N_FCLASSES] = {0}, end = first + group;
    unsigned c, best = 0;

    if (end > mdl->n_frames)
        end = mdl->n_frames;
    if (group == 1 && first < mdl->n_frames)
        return (enum vw_fclass)mdl->cls[first];
    for (uint64_t pfn = first; pfn < end; pfn++)
        n[mdl->cls[pfn]]++;
    for (c = 1; c < VW_N_FCLASSES; c++)
        if (n[c] > n[best])
            best = c;
    return (enum vw_fclass)best;
}
