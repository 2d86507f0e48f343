/*
** model_walk.c -- the walk model (model.h: VW1, VW2): the MMU's walk of
** one address without side effects (vml_walk_va), each entry decoded,
** WinDbg's names for the levels, and, for a zero entry, what the VAD says
** of the address (the memory manager resolves a zero PTE from the VAD).
** !pte, vtop and diagram walk render it.
*/
#include <stdint.h>
#include <string.h>

#include "view/model.h"
#include "view/view.h"

/* The name WinDbg gives each level's entry. */
static const char *dbg_level_name(vml_paging paging, unsigned level)
{
    switch (paging) {
    case VML_PAGING_4LEVEL:
    case VML_PAGING_5LEVEL:
        switch (level) {
        case 5: return "PML5E";
        case 4: return "PXE";
        case 3: return "PPE";
        case 2: return "PDE";
        default: return "PTE";
        }
    case VML_PAGING_PAE:
        return level == 3 ? "PDPTE" : level == 2 ? "PDE" : "PTE";
    default:
        return level == 2 ? "PDE" : "PTE";
    }
}

vml_status vw_walk_build(vml_proc *p, vml_va va, struct vw_walk_model *out)
{
    vml_status st;
    vml_mbi mbi;
    unsigned i;

    memset(out, 0, sizeof *out);
    st = vml_walk_va(p, va, &out->w);
    if (st != VML_OK)
        return st;
    if (out->w.n_steps > 5) {
        memset(out, 0, sizeof *out);
        return VML_E_CORRUPT;
    }
    out->p = p;
    out->m = vml_proc_machine(p);
    out->va = va;
    vml_machine_config(out->m, &out->cfg);
    vml_machine_layout(out->m, &out->lo);
    out->wide = out->lo.va_bits > 32;
    out->has_nx = out->cfg.paging != VML_PAGING_LEGACY;
    out->stop = vw_walk_stop(&out->w);
    out->n_shown = out->stop < out->w.n_steps ? out->stop + 1 : out->w.n_steps;
    for (i = 0; i < out->w.n_steps; i++) {
        struct vw_walk_level *l = &out->lv[i];
        l->s = out->w.step[i];
        l->dbg_name = dbg_level_name(out->cfg.paging, l->s.level);
        vml_pte_decode(out->m, l->s.entry, l->s.level, &l->pi);
        if (l->pi.kind == VML_PTE_VALID)
            vw_pte_flags(&l->pi, l->s.entry, l->s.level, out->has_nx, l->flags);
    }
    /* Only for a zero entry, as the memory manager asks (VirtualQuery of a
    ** kernel address sets the process's last error). */
    if (out->stop < out->w.n_steps && out->lv[out->stop].pi.kind == VML_PTE_ZERO &&
        vml_win_VirtualQuery(p, va, &mbi) == 0 && mbi.State == VML_MEM_COMMIT) {
        out->zero_committed = 1;
        out->zero_protect = mbi.Protect;
    }
    {
        vml_pfn pfn = VML_PFN_NONE;
        if (out->w.present)
            pfn = out->w.pa >> VML_PAGE_SHIFT;
        else if (out->stop < out->w.n_steps && out->lv[out->stop].pi.kind == VML_PTE_TRANSITION)
            pfn = out->lv[out->stop].pi.pfn;
        if (pfn < vml_pfn_total(out->m) && vml_pfn_get(out->m, pfn, &out->frame) == VML_OK)
            out->have_frame = 1;
    }
    return VML_OK;
}
