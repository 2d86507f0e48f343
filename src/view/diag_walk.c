/*
** diag_walk.c -- `diagram walk`: the translation of one address drawn as
** the seeds draw it (000, 页表的层级; 002: CR3 -> PML4 -> PDPT -> PD -> PT
** -> frame), from the walk model (model_walk.c) that !pte and vtop render.
**
** Each table is a box: its physical address, the index the address
** selects (its bits of the address), the entry's physical address, raw
** value and decoded bits, and where it leads.  A walk that stops ends in
** a box saying why, in the words of the software PTE it found, and what
** the fault handler would do with it.
*/
#include <stdio.h>
#include <string.h>

#include "view/diagram.h"
#include "view/view.h"

/* The paging geometry from the public layout: index bits and shift of
** each level (1 = the PT). */
struct geo {
    unsigned levels;
    unsigned shift[6], bits[6];
};

static void geo_of(const struct vw_walk_model *mdl, struct geo *g)
{
    unsigned l;

    memset(g, 0, sizeof *g);
    g->levels = mdl->lo.levels;
    for (l = 1; l <= g->levels && l <= 5; l++) {
        if (mdl->cfg.paging == VML_PAGING_LEGACY) {
            g->bits[l] = 10;
            g->shift[l] = 12 + 10 * (l - 1);
        } else {
            g->bits[l] = mdl->cfg.paging == VML_PAGING_PAE && l == 3 ? 2 : 9;
            g->shift[l] = 12 + 9 * (l - 1);
        }
    }
}

static unsigned va_index(const struct geo *g, vml_va va, unsigned level)
{
    return (unsigned)((va >> g->shift[level]) & ((1u << g->bits[level]) - 1));
}

/* "P=1 RW=1 US=1 PWT=0 PCD=0 A=1 D=0 PS=0 G=0 NX=0" */
static void bits_line(const struct vw_walk_model *mdl, const vml_pte_info *pi, char *buf,
                      size_t size)
{
    int n = snprintf(buf, size, "P=%u RW=%u US=%u PWT=%u PCD=%u A=%u D=%u PS=%u G=%u", pi->p,
                     pi->rw, pi->us, pi->pwt, pi->pcd, pi->a, pi->d, pi->ps, pi->g);
    if (mdl->has_nx && n > 0 && (size_t)n < size)
        snprintf(buf + n, size - (size_t)n, " NX=%u", pi->nx);
}

/* Why the walk stopped at a software entry, and what happens next. */
static void stop_lines(const struct vw_walk_model *mdl, const struct geo *g,
                       const struct vw_walk_level *l, struct dg_lines *out)
{
    const vml_pte_info *pi = &l->pi;
    char a[32], b[32], prot[96];

    dg_add(out, DG_STOP, "%s not present (P=0): the walk stops here and the MMU raises a "
           "page fault", l->s.name);
    switch (pi->kind) {
    case VML_PTE_ZERO:
        if (l->s.level > 1)
            dg_add(out, 0, "a zero entry: no %s below it, nothing of these %s is mapped yet",
                   vw_table_name(l->s.level - 1),
                   vw_size(UINT64_C(1) << g->shift[l->s.level], a, sizeof a));
        else
            dg_add(out, 0, "a zero entry: the memory manager asks the VAD tree");
        if (mdl->zero_committed)
            dg_add(out, DG_OK, "the VAD says committed (%s): the fault builds what is missing "
                   "and maps a zeroed frame (demand-zero)",
                   vml_win_protect_name(mdl->zero_protect, prot, sizeof prot));
        else
            dg_add(out, DG_STOP, "the VAD says not committed: the access is an access "
                   "violation");
        break;
    case VML_PTE_DEMAND_ZERO:
        dg_add(out, DG_OK, "demand-zero: committed (%s), never touched; a touch maps a "
               "zeroed frame", vml_win_protect_name(pi->protect, prot, sizeof prot));
        break;
    case VML_PTE_TRANSITION:
        dg_add(out, DG_OK, "transition: the page is still in frame %s%s%s; a touch maps it "
               "again (a soft fault, no I/O)", dg_hex(pi->pfn, a, sizeof a),
               mdl->have_frame ? " on the " : "",
               mdl->have_frame ? vml_list_name(mdl->frame.list) : "");
        break;
    case VML_PTE_PAGEFILE:
        dg_add(out, DG_OK, "in the pagefile, slot %s: a touch reads it back (a hard fault)",
               dg_hex(pi->slot, a, sizeof a));
        break;
    case VML_PTE_PROTOTYPE:
        dg_add(out, DG_OK, "prototype: a section's page; prototype PTE %s says where it is "
               "(a touch maps the shared frame)", dg_hex(pi->proto_index, b, sizeof b));
        break;
    case VML_PTE_DECOMMITTED:
        dg_add(out, DG_STOP, "decommitted: the access is an access violation");
        break;
    default:
        break;
    }
}

static void header(struct canvas *c, const struct vw_walk_model *mdl, const struct geo *g,
                   size_t *y)
{
    char a[32], part[64], line[256];
    unsigned l;
    size_t n = 0;

    cv_textf(c, 0, (*y)++, c->width, 0, "Translation of %s in process %s (pid %u): %s paging",
             dg_hex(mdl->va, a, sizeof a), vml_proc_name(mdl->p), vml_proc_pid(mdl->p),
             vml_paging_name(mdl->cfg.paging));
    cv_bold(c, 0, *y - 1, 14);
    line[0] = '\0';
    for (l = g->levels; l >= 1; l--) {
        snprintf(part, sizeof part, "%s %u | ", vw_table_name(l),
                 va_index(g, mdl->va, l));
        n += (size_t)snprintf(line + n, sizeof line - n, "%s", part);
    }
    snprintf(line + n, sizeof line - n, "offset 0x%03llx",
             (unsigned long long)(mdl->va & 0xFFF));
    cv_text(c, 2, (*y)++, line, c->width - 2, DG_NOTE);
    (*y)++;
}

VML_API vml_status vml_diagram_walk(vml_proc *p, vml_va va, const vml_diagram_opts *o,
                                    vml_text *out)
{
    struct vw_walk_model mdl;
    struct canvas c;
    struct geo g;
    vml_status st;
    size_t y = 0;
    unsigned i, w;
    char a[32], b[32], t[64], bits[96];

    if (p == NULL)
        return VML_E_INVALID;
    st = dg_begin(&c, o, out);
    if (st != VML_OK)
        return st;
    st = vw_walk_build(p, va, &mdl);
    if (st != VML_OK)
        return st;
    geo_of(&mdl, &g);
    w = c.width > 100 ? 100 : c.width;
    header(&c, &mdl, &g, &y);
    cv_textf(&c, 0, y++, c.width, 0, "CR3 = %s: the top table of %s",
             dg_hex(mdl.w.cr3, a, sizeof a), vml_proc_name(p));
    for (i = 0; i < mdl.n_shown; i++) {
        const struct vw_walk_level *l = &mdl.lv[i];
        struct dg_lines lines = { .n = 0 };
        const char *tn = vw_table_name(l->s.level);
        int stops = !mdl.w.present && i == mdl.stop;

        dg_arrow_down(&c, 2, y, DG_FRAME);
        y += 2;
        dg_add(&lines, 0, "index %u (address bits %u-%u) -> entry at %s", l->s.index,
               g.shift[l->s.level] + g.bits[l->s.level] - 1, g.shift[l->s.level],
               dg_hex(l->s.entry_pa, a, sizeof a));
        dg_add(&lines, 0, "%s = 0x%0*llx", l->s.name, (int)mdl.w.entry_size * 2,
               (unsigned long long)l->s.entry);
        if (l->pi.kind == VML_PTE_VALID) {
            bits_line(&mdl, &l->pi, bits, sizeof bits);
            dg_add(&lines, DG_NOTE, "%s", bits);
            if (l->s.level > 1 && !l->pi.ps)
                dg_add(&lines, DG_OK, "-> %s at %s (frame %s)",
                       vw_table_name(l->s.level - 1),
                       dg_hex(l->pi.pfn << VML_PAGE_SHIFT, a, sizeof a),
                       dg_hex(l->pi.pfn, b, sizeof b));
            else
                dg_add(&lines, DG_OK, "-> a %s page at %s",
                       vw_size(mdl.w.page_size, t, sizeof t),
                       dg_hex(l->pi.pfn << VML_PAGE_SHIFT, a, sizeof a));
        } else {
            stop_lines(&mdl, &g, l, &lines);
        }
        snprintf(t, sizeof t, "%s at %s", tn, dg_hex(l->s.table_pa, a, sizeof a));
        y = dg_box(&c, 0, y, w, t, stops ? DG_STOP : DG_FRAME, &lines);
    }
    if (mdl.w.present) {
        struct dg_lines lines = { .n = 0 };
        uint64_t off = mdl.va & (mdl.w.page_size - 1);

        dg_arrow_down(&c, 2, y, DG_FRAME);
        y += 2;
        dg_add(&lines, 0, "%s + offset %s = physical address %s",
               dg_hex(mdl.w.pa - off, a, sizeof a), dg_hex(off, b, sizeof b),
               dg_hex(mdl.w.pa, t, sizeof t));
        if (mdl.have_frame)
            dg_add(&lines, DG_NOTE, "%s, share count %u, %s%s", vml_list_name(mdl.frame.list),
                   mdl.frame.share_count, vml_use_name((vml_use)mdl.frame.use),
                   (mdl.frame.flags & VML_PFN_MODIFIED) ? ", modified" : "");
        snprintf(t, sizeof t, "frame %s (%s page)",
                 dg_hex(mdl.w.pa >> VML_PAGE_SHIFT, a, sizeof a),
                 vw_size(mdl.w.page_size, bits, sizeof bits));
        y = dg_box(&c, 0, y, w, t, DG_OK, &lines);
    }
    return dg_end(&c, out);
}
