/*
** diag_mem.c -- `diagram lists` (physical memory by page list, as 001
** lists Windows' page lists: a bar, the counts, and a frame map of one
** cell per frame or group of frames) and `diagram share` (processes'
** pages converging on the frames they share, as 000 §三 draws process A
** and B's same address on two frames), from the frames and lists models
** (model_mem.c) and vml_page_query.
*/
#include <stdio.h>
#include <string.h>

#include "view/diagram.h"
#include "view/view.h"

#define MAP_ROWS_MAX 16u     /* rows of the frame map */

/* Cells of a bar of width w for counts n[0..k): proportional, largest
** remainders first, and every non-zero count at least one cell. */
static void bar_cells(const uint64_t *n, size_t k, uint64_t total, unsigned w, unsigned *cells)
{
    unsigned used = 0;
    size_t i;

    for (i = 0; i < k; i++) {
        cells[i] = total ? (unsigned)(n[i] * w / total) : 0;
        if (n[i] && cells[i] == 0)
            cells[i] = 1;
        used += cells[i];
    }
    while (used < w) {                        /* the largest remainder */
        size_t best = k;
        uint64_t best_rem = 0;
        for (i = 0; i < k; i++) {
            uint64_t rem = total ? n[i] * w % total : 0;
            if (n[i] && (best == k || rem > best_rem)) {
                best = i;
                best_rem = rem;
            }
        }
        if (best == k)
            break;
        cells[best]++;
        used++;
    }
    while (used > w) {                        /* minimums overflowed: take from the largest */
        size_t big = 0;
        for (i = 1; i < k; i++)
            if (cells[i] > cells[big])
                big = i;
        cells[big]--;
        used--;
    }
}

/* A cell of class fc: its letter; in colour a block of its colour. */
static void class_cell(struct canvas *c, long x, size_t y, enum vw_fclass fc, int blocks)
{
    const struct vw_fclass_def *d = &vw_fclasses[fc];
    cv_put(c, x, y, blocks ? CV_G_BLOCK : (uint32_t)(unsigned char)d->letter, DG_C(d->colour));
}

/* Classes [first, end) in two columns under a heading; returns the row
** after them. */
static size_t class_counts(struct canvas *c, size_t y, const struct vw_frames_model *fm,
                           unsigned first, unsigned end, const char *heading)
{
    unsigned k, col_w = c->width / 2;

    cv_text(c, 0, y++, heading, c->width, DG_NOTE);
    for (k = first; k < end; k++) {
        uint64_t n = fm->per_class[k];
        long x = (long)((k - first) % 2) * (long)col_w;
        class_cell(c, x + 1, y, (enum vw_fclass)k, 0);
        cv_textf(c, x + 3, y, col_w - 3, 0, "%-18s %8llu %5.1f%%", vw_fclasses[k].label,
                 (unsigned long long)n,
                 fm->n_frames ? 100.0 * (double)n / (double)fm->n_frames : 0.0);
        if ((k - first) % 2 == 1 || k + 1 == end)
            y++;
    }
    return y;
}

VML_API vml_status vml_diagram_lists(vml_machine *m, const vml_diagram_opts *o, vml_text *out)
{
    struct vw_frames_model fm;
    struct vw_mem_model mm;
    struct canvas c;
    vml_status st;
    size_t y = 0;
    unsigned cells[VW_N_FCLASSES], w, k, per_row, rows;
    uint64_t group, pfn;
    int blocks;
    char buf[32], buf2[32];

    if (m == NULL)
        return VML_E_INVALID;
    st = dg_begin(&c, o, out);
    if (st != VML_OK)
        return st;
    st = vw_frames_build(m, &fm);
    if (st != VML_OK)
        return st;
    st = vw_mem_build(m, &mm);
    if (st != VML_OK) {
        vw_frames_free(&fm);
        return st;
    }
    blocks = (c.flags & VML_DIAG_COLOR) != 0;
    cv_textf(&c, 0, y++, c.width, 0, "Physical memory: %llu frames (%s), by page list",
             (unsigned long long)fm.n_frames, vw_size(fm.n_frames * VML_PAGE_SIZE, buf, sizeof buf));
    /* the bar */
    w = c.width - 2;
    bar_cells(fm.per_class, VW_N_FCLASSES, fm.n_frames, w, cells);
    cv_box(&c, 0, y, c.width, 3, NULL, 0);
    {
        long x = 1;
        for (k = 0; k < VW_N_FCLASSES; k++)
            for (unsigned i = 0; i < cells[k]; i++)
                class_cell(&c, x++, y + 1, (enum vw_fclass)k, blocks);
    }
    y += 3;
    /* the counts: active frames by use, then the lists */
    y = class_counts(&c, y, &fm, 0, VW_FC_STANDBY, "In use (active), by what the frames hold:");
    y = class_counts(&c, y, &fm, VW_FC_STANDBY, VW_N_FCLASSES, "On the page lists:");
    {
        size_t n = 0;
        char line[160];
        for (k = VML_STANDBY_PRIORITIES; k-- > 0;)
            n += (size_t)snprintf(line + n, sizeof line - n, " %u:%llu", k,
                                  (unsigned long long)mm.standby[k]);
        cv_textf(&c, 0, y++, c.width, DG_NOTE, "Standby by priority (7 kept longest):%s", line);
    }
    /* the frame map */
    per_row = 8;
    while (per_row * 2 + 12 <= c.width && per_row < 128)
        per_row *= 2;
    group = vw_frames_group(fm.n_frames, (uint64_t)per_row * MAP_ROWS_MAX);
    rows = (unsigned)((fm.n_frames / group + (fm.n_frames % group != 0) + per_row - 1) / per_row);
    y++;
    if (group == 1)
        cv_textf(&c, 0, y++, c.width, 0, "Frame map: one cell per frame, %u per row (the "
                 "first frame number on the left)", per_row);
    else
        cv_textf(&c, 0, y++, c.width, 0, "Frame map: one cell per %llu frames (%s; the most "
                 "common class), %u per row", (unsigned long long)group,
                 vw_size(group * VML_PAGE_SIZE, buf2, sizeof buf2), per_row);
    pfn = 0;
    for (unsigned r = 0; r < rows; r++) {
        cv_textf(&c, 0, y, 9, DG_NOTE, "%8s", dg_hex(pfn, buf, sizeof buf));
        cv_line_at(&c, 9, y, CV_UP | CV_DOWN, 0);
        for (unsigned i = 0; i < per_row && pfn < fm.n_frames; i++, pfn += group)
            class_cell(&c, 10 + (long)i, y, vw_frames_cell(&fm, pfn, group), blocks);
        y++;
    }
    cv_text(&c, 0, y++, "P private  S shareable  F mapped file  I image  T page table  "
            "K kernel", c.width, DG_NOTE);
    cv_text(&c, 0, y++, "s standby  m modified  n modified no-write  - free  . zeroed  x bad",
            c.width, DG_NOTE);
    vw_frames_free(&fm);
    vw_mem_free(&mm);
    return dg_end(&c, out);
}

/* ---- diagram share --------------------------------------------------------------- */

#define BOX_W 28u

struct share_item {
    vml_proc     *p;
    vml_va        va;
    vml_page_info pi;
    uint64_t      pte;
    int           have_pte;
    size_t        group;
};

struct share_group {
    vml_pfn      pfn;        /* VML_PFN_NONE: pages with no frame */
    size_t       items[16];
    size_t       n;
    vml_pfn_info f;
    int          have_f;
};

/* What a page's PTE says, in a few words. */
static const char *pte_words(vml_pte_kind k)
{
    switch (k) {
    case VML_PTE_VALID:       return "PTE valid";
    case VML_PTE_ZERO:        return "zero PTE: not touched here";
    case VML_PTE_DEMAND_ZERO: return "demand-zero PTE";
    case VML_PTE_TRANSITION:  return "transition PTE: on a list";
    case VML_PTE_PAGEFILE:    return "PTE: in the pagefile";
    case VML_PTE_PROTOTYPE:   return "PTE -> prototype PTE";
    case VML_PTE_DECOMMITTED: return "decommitted";
    default:                  return "?";
    }
}

static void item_lines(const struct share_item *it, struct dg_lines *l)
{
    char a[32], prot[96];

    dg_add(l, 0, "VA %s", dg_hex(it->va, a, sizeof a));
    if (it->have_pte)
        dg_add(l, DG_NOTE, "PTE %s", dg_hex(it->pte, a, sizeof a));
    dg_add(l, it->pi.mapped ? DG_OK : DG_STOP, "%s%s", pte_words(it->pi.kind),
           it->pi.zero_page ? " (the zero page)" : "");
    if (it->pi.committed) {
        const char *pn = vml_win_protect_name(it->pi.protect, prot, sizeof prot);
        dg_add(l, 0, "%s", strncmp(pn, "PAGE_", 5) == 0 ? pn + 5 : pn);
    }
    dg_add(l, DG_NOTE, "%s", it->pi.shared && it->pi.backing == VML_BACKING_PRIVATE
           ? "clone page (fork, copy-on-write)" : it->pi.shared ? "section page (prototype PTE)"
           : "private page");
}

static void frame_lines(const struct share_group *g, struct dg_lines *l)
{
    char a[32];

    if (g->pfn == VML_PFN_NONE) {
        dg_add(l, DG_STOP, "no frame holds these pages");
        return;
    }
    dg_add(l, 0, "PA %s", dg_hex(g->pfn << VML_PAGE_SHIFT, a, sizeof a));
    if (g->have_f) {
        dg_add(l, 0, "share count %u", g->f.share_count);
        dg_add(l, DG_NOTE, "%s, %s", vml_list_name(g->f.list), vml_use_name((vml_use)g->f.use));
    }
}

/* One group: its pages' boxes side by side, converging on the frame. */
static size_t draw_group(struct canvas *c, long x, size_t y, const struct share_item *items,
                         const struct share_group *g, unsigned gw, size_t rows)
{
    size_t i, ybus, yf;
    struct dg_lines fl = { .n = 0 };
    long fx = x + (long)(gw - BOX_W) / 2, mid = fx + (long)BOX_W / 2;
    char title[64], hex[32];

    for (i = 0; i < g->n; i++) {
        const struct share_item *it = &items[g->items[i]];
        struct dg_lines l = { .n = 0 };
        long bx = x + (long)i * (long)(BOX_W + 1);
        item_lines(it, &l);
        snprintf(title, sizeof title, "%s (pid %u)", vml_proc_name(it->p), vml_proc_pid(it->p));
        while (l.n < DG_MAX_LINES && dg_box_rows(BOX_W, &l) < rows)
            dg_add(&l, 0, " ");
        dg_box(c, bx, y, BOX_W, title, DG_FRAME, &l);
        /* down from the box's bottom edge to the bus */
        cv_line_at(c, bx + (long)BOX_W / 2, y + rows - 1, CV_DOWN, DG_FRAME);
        cv_vline(c, bx + (long)BOX_W / 2, y + rows - 1, y + rows, DG_FRAME);
    }
    ybus = y + rows;
    {
        long first = x + (long)BOX_W / 2;
        long last = x + (long)(g->n - 1) * (long)(BOX_W + 1) + (long)BOX_W / 2;
        if (mid < first)
            first = mid;
        if (mid > last)
            last = mid;
        if (last > first)
            cv_hline(c, first, last, ybus, DG_FRAME);
    }
    cv_line_at(c, mid, ybus, CV_DOWN, DG_FRAME);
    cv_line_at(c, mid, ybus + 1, CV_UP | CV_DOWN, DG_FRAME);
    cv_put(c, mid, ybus + 2, CV_G_ARROW_DOWN, DG_FRAME);
    yf = ybus + 3;
    frame_lines(g, &fl);
    if (g->pfn == VML_PFN_NONE)
        snprintf(title, sizeof title, "no frame");
    else
        snprintf(title, sizeof title, "frame %s", dg_hex(g->pfn, hex, sizeof hex));
    return dg_box(c, fx, yf, BOX_W, title, g->pfn == VML_PFN_NONE ? DG_STOP : DG_OK, &fl);
}

VML_API vml_status vml_diagram_share(vml_proc *const *procs, const vml_va *vas, size_t n,
                                     const vml_diagram_opts *o, vml_text *out)
{
    struct share_item items[16];
    struct share_group groups[16];
    struct canvas c;
    vml_status st;
    size_t i, k, n_groups = 0, y = 0, band_h = 0, rows = 0;
    long x = 0;
    vml_machine *m;

    if (procs == NULL || vas == NULL || n == 0 || n > 16)
        return VML_E_INVALID;
    m = vml_proc_machine(procs[0]);
    for (i = 0; i < n; i++) {
        if (procs[i] == NULL || vml_proc_machine(procs[i]) != m)
            return VML_E_INVALID;
        items[i].p = procs[i];
        items[i].va = vas[i];
        st = vml_page_query(procs[i], vas[i], &items[i].pi);
        if (st != VML_OK)
            return st;
        items[i].have_pte = vml_pte_get(procs[i], vas[i], &items[i].pte) == VML_OK;
    }
    st = dg_begin(&c, o, out);
    if (st != VML_OK)
        return st;
    /* group by frame: resident pages by the frame that holds them */
    for (i = 0; i < n; i++) {
        vml_pfn pfn = items[i].pi.resident ? items[i].pi.pfn : VML_PFN_NONE;
        for (k = 0; k < n_groups && groups[k].pfn != pfn; k++)
            ;
        if (k == n_groups) {
            memset(&groups[k], 0, sizeof groups[k]);
            groups[k].pfn = pfn;
            groups[k].have_f = pfn != VML_PFN_NONE && vml_pfn_get(m, pfn, &groups[k].f) == VML_OK;
            n_groups++;
        }
        groups[k].items[groups[k].n++] = i;
    }
    for (i = 0; i < n; i++) {                  /* every box as tall as the tallest */
        struct dg_lines l = { .n = 0 };
        item_lines(&items[i], &l);
        if (dg_box_rows(BOX_W, &l) > rows)
            rows = dg_box_rows(BOX_W, &l);
    }
    cv_textf(&c, 0, y++, c.width, 0, "%zu page%s, %zu frame%s%s", n, n == 1 ? "" : "s",
             n_groups, n_groups == 1 ? "" : "s", n_groups < n ? ": the pages of one frame "
             "converge on it" : n > 1 ? ": each page on a frame of its own" : "");
    y++;
    for (k = 0; k < n_groups; k++) {
        unsigned per = (c.width + 1) / (BOX_W + 1);
        unsigned gw;
        size_t bottom;
        if (per == 0)
            per = 1;
        if (groups[k].n > per) {               /* too many for one row: split the group */
            struct share_group rest = groups[k];
            memmove(rest.items, rest.items + per, (rest.n - per) * sizeof rest.items[0]);
            rest.n -= per;
            groups[k].n = per;
            if (n_groups < 16) {
                memmove(&groups[k + 2], &groups[k + 1], (n_groups - k - 1) * sizeof groups[0]);
                groups[k + 1] = rest;
                n_groups++;
            }
        }
        gw = (unsigned)groups[k].n * (BOX_W + 1) - 1;
        if (x > 0 && x + (long)gw > (long)c.width) {   /* a new band */
            y += band_h + 1;
            x = 0;
            band_h = 0;
        }
        bottom = draw_group(&c, x, y, items, &groups[k], gw, rows);
        if (bottom - y > band_h)
            band_h = bottom - y;
        x += (long)gw + 3;
    }
    return dg_end(&c, out);
}
