/*
** model_vmmap.c -- VMMap's summary of a process (model.h): its address
** space by type (Image, Mapped File, Shareable, Heap, Stack, Private Data,
** Page Table, Free), with size, commit, working set split and blocks, read
** page by page through vml_page_query.  vmmap renders it, and so do the
** report's "By type" tables.
*/
#include <stdint.h>
#include <string.h>

#include "view/model.h"
#include "view/view.h"

const char *const vw_vmm_names[VW_N_VMM] = {
    "Image", "Mapped File", "Shareable", "Heap", "Stack", "Private Data", "Page Table",
    "Free", "Total",
};

static int name_starts(const char *name, const char *a, const char *b)
{
    return name && (strncmp(name, a, strlen(a)) == 0 || strncmp(name, b, strlen(b)) == 0);
}

/* The module (image) spans of p, to call their mappings Image (an ELF
** object's file and .bss mappings as much as a PE's Image VAD). */
static int in_module(vml_proc *p, vml_va va)
{
    vml_module_info mi;
    vml_va from = 0;
    while (vml_module_next(p, from, &mi) == VML_OK) {
        if (va >= mi.base && va < mi.end)
            return 1;
        from = mi.base + 1;
    }
    return 0;
}

enum vw_vmm_type vw_vmm_type_of(vml_proc *p, const vml_vad_info *v)
{
    vml_va start = v->start_vpn << VML_PAGE_SHIFT;
    if (v->backing == VML_BACKING_IMAGE || in_module(p, start))
        return VW_VMM_IMAGE;
    /* what the personality made it for: a Win32 heap's segments and large
    ** blocks, the brk area; thread stacks and the main [stack] */
    if (v->usage == VML_USAGE_HEAP || v->usage == VML_USAGE_BRK ||
        name_starts(v->name, "[heap", "Heap"))
        return VW_VMM_HEAP;
    if (v->usage == VML_USAGE_STACK || name_starts(v->name, "[stack", "Stack"))
        return VW_VMM_STACK;
    if (v->backing == VML_BACKING_FILE)
        return VW_VMM_MAPPED;
    if (v->backing == VML_BACKING_PAGEFILE)
        return VW_VMM_SHAREABLE;
    return VW_VMM_PRIVATE;
}

vml_status vw_vmm_build(vml_proc *p, struct vw_vmm_model *out)
{
    struct vw_vmm_row *r = out->r;
    vml_vad_info v;
    vml_va cursor = 0;
    int done = 0;
    vml_layout l;

    memset(out, 0, sizeof *out);
    vml_machine_layout(vml_proc_machine(p), &l);
    uint64_t used = 0;
    while (vw_vad_next(p, &cursor, &done, &v)) {
        enum vw_vmm_type t = vw_vmm_type_of(p, &v);
        uint64_t n = v.end_vpn - v.start_vpn + 1;
        r[t].size += n * VML_PAGE_SIZE;
        r[t].blocks++;
        used += n * VML_PAGE_SIZE;
        for (uint64_t k = 0; k < n; k++) {
            vml_page_info pg;
            if (vml_page_query(p, (v.start_vpn + k) << VML_PAGE_SHIFT, &pg) != VML_OK)
                continue;
            if (pg.committed)
                r[t].committed += VML_PAGE_SIZE;
            if (!pg.mapped || pg.zero_page)
                continue;
            r[t].ws += VML_PAGE_SIZE;
            if (!pg.shared)
                r[t].ws_private += VML_PAGE_SIZE;
            else {
                r[t].ws_shareable += VML_PAGE_SIZE;
                if (pg.share_count > 1)
                    r[t].ws_shared += VML_PAGE_SIZE;
            }
        }
    }
    uint64_t pt = vml_stat_proc(p, VML_STAT_PROC_pagetable_pages) * VML_PAGE_SIZE;
    r[VW_VMM_PAGETABLE].size = r[VW_VMM_PAGETABLE].committed = pt;
    r[VW_VMM_PAGETABLE].ws = r[VW_VMM_PAGETABLE].ws_private = pt;
    uint64_t space = l.user_highest + 1 - l.user_lowest;
    r[VW_VMM_FREE].size = space > used ? space - used : 0;
    for (int t = 0; t < VW_VMM_TOTAL; t++) {
        if (t == VW_VMM_FREE)
            continue;
        r[VW_VMM_TOTAL].size += r[t].size;
        r[VW_VMM_TOTAL].committed += r[t].committed;
        r[VW_VMM_TOTAL].ws += r[t].ws;
        r[VW_VMM_TOTAL].ws_private += r[t].ws_private;
        r[VW_VMM_TOTAL].ws_shareable += r[t].ws_shareable;
        r[VW_VMM_TOTAL].ws_shared += r[t].ws_shared;
        r[VW_VMM_TOTAL].blocks += r[t].blocks;
    }
    return VML_OK;
}
