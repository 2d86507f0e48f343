/*
** report_proc.c -- one process in the report, as Sysinternals VMMap shows
** it: the working set split, the address space by type (the vmm model
** vmmap prints), a strip of the
** address space (gaps compressed), every VAD and the tree they form, and
** the page tables as a tree of <details> read from simulated physical
** memory through the public API (vml_phys_read, vml_pte_decode).
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "view/report.h"
#include "view/view.h"

/* ---- the address-space strip ------------------------------------------------------ */

#define STRIP_W 680.0
#define STRIP_L 10.0
#define GAP_W   10.0

static double region_weight(uint64_t pages)
{
    return 6 + 3 * sv_log10((double)pages + 1) / 0.30103;   /* 6 + 3 log2 */
}

/* The kinds present, each once (the legend). */
static size_t kinds_present(const struct vw_vad_model *vm, const struct vw_kind **out, size_t max)
{
    size_t i, k, n = 0;

    for (i = 0; i < vm->n; i++) {
        for (k = 0; k < n && strcmp(out[k]->slug, vm->rows[i].kind.slug) != 0; k++)
            ;
        if (k == n && n < max)
            out[n++] = &vm->rows[i].kind;
    }
    return n;
}

void rpt_space_chart(struct rpt *r, struct sv *s, const struct vw_vad_model *vm)
{
    vml_text *t = s->t;
    const struct vw_kind *kinds[32];
    size_t i, n_kinds = kinds_present(vm, kinds, 32);
    double total = 0, x = STRIP_L, scale, h = 96 + (double)((n_kinds + 3) / 4) * 18;
    vml_va next = r->lo.user_lowest;
    char title[96], cls[16];

    for (i = 0; i < vm->n; i++) {
        vml_va start = vm->rows[i].v.start_vpn << VML_PAGE_SHIFT;
        total += region_weight(vm->rows[i].v.end_vpn - vm->rows[i].v.start_vpn + 1);
        if (start > next)
            total += GAP_W;
        next = (vm->rows[i].v.end_vpn + 1) << VML_PAGE_SHIFT;
    }
    if (next <= r->lo.user_highest)
        total += GAP_W;
    scale = total > 0 ? (STRIP_W - 2 * STRIP_L) / total : 1;
    snprintf(title, sizeof title, "Address space of %s (pid %u): %zu regions, gaps compressed",
             vml_proc_name(vm->p), vm->pid, vm->n);
    sv_open(s, "space", title, STRIP_W, h);
    vml_text_printf(t, "<text x=\"%.0f\" y=\"16\" text-anchor=\"middle\">", STRIP_W / 2);
    sv_esc(t, title);
    vt_puts(t, "</text>\n");
    next = r->lo.user_lowest;
    for (i = 0; i <= vm->n; i++) {
        vml_va start = i < vm->n ? vm->rows[i].v.start_vpn << VML_PAGE_SHIFT
                                 : r->lo.user_highest + 1;
        if (start > next) {
            vt_puts(t, "<rect class=\"free\" x=\"");
            sv_num(t, x);
            vt_puts(t, "\" y=\"30\" width=\"");
            sv_num(t, GAP_W * scale);
            vml_text_printf(t, "\" height=\"28\"><title>free 0x%llx-0x%llx</title></rect>",
                            (unsigned long long)next, (unsigned long long)(start - 1));
            x += GAP_W * scale;
        }
        if (i == vm->n)
            break;
        {
            const struct vw_vad_row *row = &vm->rows[i];
            uint64_t pages = row->v.end_vpn - row->v.start_vpn + 1;
            double w = region_weight(pages) * scale;
            char size[32];
            vml_text_printf(t, "<rect class=\"region c%u k-%s\" x=\"", row->kind.colour,
                            row->kind.slug);
            sv_num(t, x);
            vt_puts(t, "\" y=\"30\" width=\"");
            sv_num(t, w);
            vml_text_printf(t, "\" height=\"28\"><title>0x%llx-0x%llx ",
                            (unsigned long long)start,
                            (unsigned long long)(((row->v.end_vpn + 1) << VML_PAGE_SHIFT) - 1));
            sv_esc(t, row->kind.label);
            vml_text_printf(t, ", %s", vw_size(pages * VML_PAGE_SIZE, size, sizeof size));
            if (row->name[0] != '\0') {
                vt_puts(t, ", ");
                sv_esc(t, row->name);
            }
            vt_puts(t, "</title></rect>");
            x += w;
            next = (row->v.end_vpn + 1) << VML_PAGE_SHIFT;
        }
    }
    vml_text_printf(t, "\n<text x=\"%.0f\" y=\"74\" class=\"note\">0x%llx</text>"
                    "<text x=\"%.0f\" y=\"74\" text-anchor=\"end\" class=\"note\">0x%llx "
                    "(highest user address)</text>\n", STRIP_L,
                    (unsigned long long)r->lo.user_lowest, STRIP_W - STRIP_L,
                    (unsigned long long)r->lo.user_highest);
    for (i = 0; i < n_kinds; i++) {
        snprintf(cls, sizeof cls, "c%u", kinds[i]->colour);
        sv_legend(s, STRIP_L + (double)(i % 4) * 160, 96 + (double)(i / 4) * 18, cls,
                  kinds[i]->label);
    }
    sv_close(s);
}

/* ---- the VAD tree ---------------------------------------------------------------------- */

#define NODE_W 164.0
#define NODE_H 34.0
#define NODE_DX 172.0
#define NODE_DY 56.0

void rpt_vad_chart(struct rpt *r, struct sv *s, const struct vw_vad_model *vm)
{
    vml_text *t = s->t;
    double w = (double)vm->n * NODE_DX + 20, h = ((double)vm->max_level + 1) * NODE_DY + 40;
    size_t i;
    char title[96];

    (void)r;
    if (w < 320)
        w = 320;
    snprintf(title, sizeof title, "VAD tree of %s (pid %u): %zu nodes, height %d",
             vml_proc_name(vm->p), vm->pid, vm->n,
             vm->root == VW_NONE ? 0 : vm->rows[vm->root].height);
    sv_open(s, "vad", title, w, h);
    vt_puts(t, "<text x=\"10\" y=\"16\">");
    sv_esc(t, title);
    vt_puts(t, "</text>\n");
    for (i = 0; i < vm->n; i++) {           /* edges first, under the nodes */
        const struct vw_vad_row *row = &vm->rows[i];
        double x = 10 + (double)i * NODE_DX + NODE_W / 2, y = 30 + row->v.level * NODE_DY;
        size_t kids[2] = { row->left, row->right };
        for (int k = 0; k < 2; k++) {
            if (kids[k] == VW_NONE)
                continue;
            vt_puts(t, "<line class=\"edge\" x1=\"");
            sv_num(t, x);
            vt_puts(t, "\" y1=\"");
            sv_num(t, y + NODE_H);
            vt_puts(t, "\" x2=\"");
            sv_num(t, 10 + (double)kids[k] * NODE_DX + NODE_W / 2);
            vt_puts(t, "\" y2=\"");
            sv_num(t, 30 + vm->rows[kids[k]].v.level * NODE_DY);
            vt_puts(t, "\"/>");
        }
    }
    vt_putc(t, '\n');
    for (i = 0; i < vm->n; i++) {
        const struct vw_vad_row *row = &vm->rows[i];
        double x = 10 + (double)i * NODE_DX, y = 30 + row->v.level * NODE_DY;
        vml_va lo = row->v.start_vpn << VML_PAGE_SHIFT;
        vml_va hi = ((row->v.end_vpn + 1) << VML_PAGE_SHIFT) - 1;
        vml_text_printf(t, "<g class=\"vadnode\" data-level=\"%u\"><rect class=\"c%u\" x=\"",
                        row->v.level, row->kind.colour);
        sv_num(t, x);
        vt_puts(t, "\" y=\"");
        sv_num(t, y);
        vml_text_printf(t, "\" width=\"%.0f\" height=\"%.0f\" rx=\"4\"/>", NODE_W, NODE_H);
        vt_puts(t, "<text font-size=\"10\" x=\"");
        sv_num(t, x + 4);
        vt_puts(t, "\" y=\"");
        sv_num(t, y + 13);
        vml_text_printf(t, "\">0x%llx-0x%llx</text><text font-size=\"10\" x=\"",
                        (unsigned long long)lo, (unsigned long long)hi);
        sv_num(t, x + 4);
        vt_puts(t, "\" y=\"");
        sv_num(t, y + 27);
        vt_puts(t, "\">");
        sv_esc(t, row->kind.label);
        vml_text_printf(t, " h%d b%+d</text><title>", row->height, row->balance);
        sv_esc(t, row->kind.label);
        vml_text_printf(t, " 0x%llx-0x%llx, level %u, height %d, balance %+d</title></g>\n",
                        (unsigned long long)lo, (unsigned long long)hi, row->v.level,
                        row->height, row->balance);
    }
    sv_close(s);
}

/* ---- tables ------------------------------------------------------------------------------ */

/* VMMap's summary (the vmm model that vmmap prints), in K. */
static vml_status types_table(struct rpt *r, vml_proc *p, unsigned pid)
{
    static const char *const slugs[VW_N_VMM] = { "image", "file", "shareable", "heap", "stack",
                                                 "private", "pagetable", "free", "total" };
    static const char *const cols[] = { "size", "committed", "ws", "private_ws",
                                        "shareable_ws", "shared_ws", "blocks" };
    vml_text *t = r->t;
    struct vw_vmm_model m;
    vml_status st = vw_vmm_build(p, &m);
    char key[96];

    if (st != VML_OK)
        return st;
    vml_text_printf(t, "<table class=\"data\" id=\"t-types-%u\"><caption>By type, as VMMap "
                    "(K)</caption><tr><th>Type</th><th>Size</th><th>Committed</th>"
                    "<th>Working Set</th><th>Private WS</th><th>Shareable WS</th>"
                    "<th>Shared WS</th><th>Blocks</th></tr>\n", pid);
    for (unsigned k = 0; k < VW_N_VMM; k++) {
        const struct vw_vmm_row *row = &m.r[k];
        const uint64_t v[7] = { row->size >> 10, row->committed >> 10, row->ws >> 10,
                                row->ws_private >> 10, row->ws_shareable >> 10,
                                row->ws_shared >> 10, row->blocks };
        vml_text_printf(t, "<tr%s>", k == VW_VMM_TOTAL ? " class=\"total\"" : "");
        rpt_td_str(t, vw_vmm_names[k]);
        for (unsigned c = 0; c < 7; c++) {
            snprintf(key, sizeof key, "%u.%s.%s", pid, slugs[k], cols[c]);
            rpt_td_u64(t, v[c], key);
        }
        vt_puts(t, "</tr>\n");
    }
    vt_puts(t, "</table>\n");
    return VML_OK;
}

static void vads_table(struct rpt *r, const struct vw_vad_model *vm)
{
    vml_text *t = r->t;
    size_t i;
    char prot[96];

    vml_text_printf(t, "<table class=\"data\" id=\"t-vads-%u\"><caption>VADs</caption><tr>"
                    "<th>Start</th><th>End</th><th>Type</th><th>Name</th><th>Protection</th>"
                    "<th>Size K</th><th>Committed K</th><th>Resident K</th><th>Level</th>"
                    "<th>Height</th><th>Balance</th></tr>\n", vm->pid);
    for (i = 0; i < vm->n; i++) {
        const struct vw_vad_row *row = &vm->rows[i];
        uint64_t pages = row->v.end_vpn - row->v.start_vpn + 1;
        vml_text_printf(t, "<tr class=\"vad\"><td>0x%llx</td><td>0x%llx</td>",
                        (unsigned long long)(row->v.start_vpn << VML_PAGE_SHIFT),
                        (unsigned long long)(((row->v.end_vpn + 1) << VML_PAGE_SHIFT) - 1));
        rpt_td_str(t, row->kind.label);
        rpt_td_str(t, row->name);
        rpt_td_str(t, vml_win_protect_name(row->protect, prot, sizeof prot));
        rpt_td_u64(t, pages * VW_PAGE_KB, NULL);
        rpt_td_u64(t, (row->v.type == VML_VAD_PRIVATE ? row->v.commit_pages : pages) * VW_PAGE_KB,
                   NULL);
        rpt_td_u64(t, row->use.rss >> 10, NULL);
        rpt_td_u64(t, row->v.level, NULL);
        vml_text_printf(t, "<td class=\"n\">%d</td><td class=\"n\">%+d</td></tr>\n", row->height,
                        row->balance);
    }
    vt_puts(t, "</table>\n");
}

/* ---- page tables ------------------------------------------------------------------------ */

struct ptw {
    struct rpt *r;
    vml_text   *t;
    unsigned    levels, esize;
    unsigned    shift[6], bits[6];
    unsigned    kernel_index;       /* first top-level entry of the kernel half */
};

static uint64_t entry_at(const uint8_t *buf, unsigned i, unsigned esize)
{
    if (esize == 4) {
        uint32_t e;
        memcpy(&e, buf + (size_t)i * 4, 4);
        return e;
    }
    uint64_t e;
    memcpy(&e, buf + (size_t)i * 8, 8);
    return e;
}

/* A run of leaf entries of one kind: "0x10000-0x12fff: 3 valid". */
static void pt_run(struct ptw *w, vml_va lo, vml_va hi, unsigned n, vml_pte_kind kind,
                   uint64_t page)
{
    char size[32];
    vml_text_printf(w->t, "<li>0x%llx-0x%llx: %u %s", (unsigned long long)lo,
                    (unsigned long long)hi, n, vml_pte_kind_name(kind));
    if (kind == VML_PTE_VALID)
        vml_text_printf(w->t, " (%s page%s)", vw_size(page, size, sizeof size), n == 1 ? "" : "s");
    vt_puts(w->t, "</li>\n");
}

static vml_status pt_table(struct ptw *w, vml_pa pa, unsigned level, vml_va base)
{
    uint8_t buf[4096];
    unsigned n = level == w->levels && w->bits[level] == 2 ? 4 : 1u << w->bits[level], i;
    unsigned counts[VML_N_PTE_KINDS] = {0}, run_n = 0;
    vml_pte_kind run_kind = VML_PTE_ZERO;
    vml_va run_lo = 0, run_hi = 0;
    vml_status st;

    if ((st = vml_phys_read(w->r->m, pa, buf, (size_t)n * w->esize)) != VML_OK)
        return st;
    for (i = 0; i < n; i++) {
        vml_pte_info pi;
        vml_pte_decode(w->r->m, entry_at(buf, i, w->esize), level, &pi);
        if (!(level == w->levels && i >= w->kernel_index))
            counts[pi.kind]++;
    }
    vml_text_printf(w->t, "<details class=\"pt\" data-level=\"%u\"%s><summary>%s at 0x%llx "
                    "(from 0x%llx): %u valid", level, level == w->levels ? " open" : "",
                    vw_table_name(level), (unsigned long long)pa,
                    (unsigned long long)base, counts[VML_PTE_VALID]);
    for (i = 0; i < VML_N_PTE_KINDS; i++)
        if (i != VML_PTE_VALID && i != VML_PTE_ZERO && counts[i])
            vml_text_printf(w->t, ", %u %s", counts[i], vml_pte_kind_name((vml_pte_kind)i));
    vt_puts(w->t, "</summary><ul class=\"pt\">\n");
    for (i = 0; i < n; i++) {
        uint64_t e = entry_at(buf, i, w->esize);
        vml_va va = base + ((vml_va)i << w->shift[level]);
        uint64_t span = (uint64_t)1 << w->shift[level];
        vml_pte_info pi;
        int leaf;

        if (level == w->levels && i >= w->kernel_index && w->kernel_index < n) {
            unsigned valid = 0;
            for (; i < n; i++) {
                vml_pte_decode(w->r->m, entry_at(buf, i, w->esize), level, &pi);
                valid += pi.kind == VML_PTE_VALID;
            }
            vml_text_printf(w->t, "<li>the kernel half: %u valid entr%s, the same in every "
                            "process (not expanded)</li>\n", valid, valid == 1 ? "y" : "ies");
            break;
        }
        vml_pte_decode(w->r->m, e, level, &pi);
        leaf = level == 1 || (pi.kind == VML_PTE_VALID && pi.ps);
        if (pi.kind == VML_PTE_VALID && !leaf) {
            if (run_n) {
                pt_run(w, run_lo, run_hi, run_n, run_kind, span);
                run_n = 0;
            }
            vt_puts(w->t, "<li>");
            if ((st = pt_table(w, pi.pfn << VML_PAGE_SHIFT, level - 1, va)) != VML_OK)
                return st;
            vt_puts(w->t, "</li>\n");
            continue;
        }
        if (pi.kind == VML_PTE_ZERO) {
            if (run_n) {
                pt_run(w, run_lo, run_hi, run_n, run_kind, span);
                run_n = 0;
            }
            continue;
        }
        if (run_n && run_kind == pi.kind && run_hi + 1 == va) {
            run_hi = va + span - 1;
            run_n++;
            continue;
        }
        if (run_n)
            pt_run(w, run_lo, run_hi, run_n, run_kind, span);
        run_kind = pi.kind;
        run_lo = va;
        run_hi = va + span - 1;
        run_n = 1;
    }
    if (run_n)
        pt_run(w, run_lo, run_hi, run_n, run_kind, (uint64_t)1 << w->shift[level]);
    vt_puts(w->t, "</ul></details>");
    return VML_OK;
}

static vml_status page_tables(struct rpt *r, vml_proc *p)
{
    struct ptw w;
    unsigned l;

    memset(&w, 0, sizeof w);
    w.r = r;
    w.t = r->t;
    w.levels = r->lo.levels;
    w.esize = r->lo.entry_size;
    for (l = 1; l <= w.levels && l <= 5; l++) {
        if (r->cfg.paging == VML_PAGING_LEGACY) {
            w.bits[l] = 10;
            w.shift[l] = 12 + 10 * (l - 1);
        } else {
            w.bits[l] = r->cfg.paging == VML_PAGING_PAE && l == 3 ? 2 : 9;
            w.shift[l] = 12 + 9 * (l - 1);
        }
    }
    w.kernel_index = (unsigned)((r->lo.kernel_base >> w.shift[w.levels]) &
                                ((1u << w.bits[w.levels]) - 1));
    return pt_table(&w, vml_proc_cr3(p), w.levels, 0);
}

/* ---- the section ----------------------------------------------------------------------- */

vml_status rpt_process(struct rpt *r, const struct vw_tm_row *row, int open)
{
    vml_text *t = r->t;
    struct vw_vad_model vm;
    struct sv s = { t, 0, NULL };
    vml_status st;

    st = vw_vad_build(row->p, VW_VAD_USAGE, &vm);
    if (st != VML_OK)
        return st;
    vml_text_printf(t, "<details class=\"proc\" id=\"proc-%u\"%s><summary>", row->pid,
                    open ? " open" : "");
    sv_esc(t, row->name);
    vml_text_printf(t, " (pid %u): working set %llu K (private %llu K, shareable %llu K, "
                    "shared %llu K), commit %llu K, %zu VAD%s</summary>\n", row->pid,
                    (unsigned long long)(row->v[0] >> 10), (unsigned long long)(row->v[1] >> 10),
                    (unsigned long long)(row->v[2] >> 10), (unsigned long long)(row->v[3] >> 10),
                    (unsigned long long)(row->v[5] >> 10), vm.n, vm.n == 1 ? "" : "s");
    vt_puts(t, "<div class=\"fig\"><div class=\"scroll\">");
    rpt_space_chart(r, &s, &vm);
    vt_puts(t, "</div>");
    st = types_table(r, row->p, row->pid);
    vt_puts(t, "</div>\n<div class=\"fig\"><div class=\"scroll\">");
    rpt_vad_chart(r, &s, &vm);
    vt_puts(t, "</div>");
    vads_table(r, &vm);
    vt_puts(t, "</div>\n<h3>Page tables</h3>\n");
    if (st == VML_OK)
        st = page_tables(r, row->p);
    vt_puts(t, "\n</details>\n");
    vw_vad_free(&vm);
    return st;
}
