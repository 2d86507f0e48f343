/*
** report.c -- the HTML report (vml_report_html) and its charts as
** standalone SVG files (vml_report_svg): one self-contained document,
** inline SVG and CSS, no script and nothing fetched, readable from
** file://.  Without JavaScript on purpose: the trees collapse with
** <details>, the charts scale with the page, every chart has a table
** beside it (docs/pictures.md says why).
**
** Sections, as Sysinternals' tools and Linux's show the same state:
**   Use Counts       RAMMap: frames by use x page list, bars and a table
**   Physical pages   RAMMap's Physical Pages as a map: a cell per frame,
**                    or per group of frames past max_cells
**   Standby          RAMMap's Priority Summary: the standby list by priority
**   Processes        Task Manager's columns, then VMMap for each process
**                    (report_proc.c): types, a strip of the address space,
**                    the VADs and their tree, the page tables
**   Timelines        what the recorder sampled (report_time.c)
**   Plots            the caller's (replay's miss-ratio curves)
**
** INVARIANTS (with RPT1-RPT4 of svg.h and plot.c):
**   RPT5  Every number the report shows comes from a model of model.h or
**         from the recorder, as the text and JSON views show it.
**   RPT6  Chart i of vml_report_svg is the chart the HTML draws in its
**         place, standalone (the same function draws both).
**   RPT7  The document depends only on the machine's state: the same
**         state gives the same bytes (no time, no host names).
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "view/report.h"
#include "view/view.h"

#define DEFAULT_CELLS 4096u
#define GRID_COLS 64u
#define CELL 10.0
#define PITCH 11.0

/* ---- HTML helpers ----------------------------------------------------------- */

void rpt_td_u64(vml_text *t, uint64_t v, const char *key)
{
    vt_puts(t, "<td class=\"n\"");
    if (key != NULL) {
        vt_puts(t, " data-k=\"");
        sv_esc(t, key);
        vt_putc(t, '"');
    }
    vml_text_printf(t, ">%llu</td>", (unsigned long long)v);
}

void rpt_td_str(vml_text *t, const char *s)
{
    vt_puts(t, "<td>");
    sv_esc(t, s);
    vt_puts(t, "</td>");
}

void rpt_th_row(vml_text *t, const char *const *heads, size_t n)
{
    vt_puts(t, "<tr>");
    for (size_t i = 0; i < n; i++) {
        vt_puts(t, "<th>");
        sv_esc(t, heads[i]);
        vt_puts(t, "</th>");
    }
    vt_puts(t, "</tr>\n");
}

/* ---- Use Counts ------------------------------------------------------------------ */

/* RAMMap's columns, in its order (Transition: pages with I/O in
** progress, 0 in vmlab as in !memusage). */
static const struct { vml_list list; const char *label, *key; unsigned colour; } uc_cols[] = {
    { VML_LIST_ACTIVE,     "Active",            "active",     4 },
    { VML_LIST_STANDBY,    "Standby",           "standby",    10 },
    { VML_LIST_MODIFIED,   "Modified",          "modified",   5 },
    { VML_LIST_MODNOWRITE, "Modified No-Write", "modnowrite", 11 },
    { VML_N_LISTS,         "Transition",        "transition", 6 },
    { VML_LIST_ZEROED,     "Zeroed",            "zeroed",     3 },
    { VML_LIST_FREE,       "Free",              "free",       7 },
    { VML_LIST_BAD,        "Bad",               "bad",        9 },
};
#define N_UC (sizeof uc_cols / sizeof uc_cols[0])

static uint64_t uc_value(const struct rpt *r, unsigned use, size_t col)
{
    vml_list l = uc_cols[col].list;
    uint64_t v = l < VML_N_LISTS ? r->fr.use_list[use][l] : 0;
    if (l == VML_LIST_BAD)                    /* ROM frames count with the bad ones */
        v += r->fr.use_list[use][VML_LIST_ROM];
    return v;
}

static void chart_usecounts(struct rpt *r, struct sv *s)
{
    const char *rows[VML_N_USES], *parts[N_UC];
    unsigned colours[N_UC];
    uint64_t values[VML_N_USES * N_UC];
    size_t u, c;

    for (u = 0; u < VML_N_USES; u++) {
        rows[u] = vml_use_name((vml_use)u);
        for (c = 0; c < N_UC; c++)
            values[u * N_UC + c] = uc_value(r, (unsigned)u, c) * VW_PAGE_KB;
    }
    for (c = 0; c < N_UC; c++) {
        parts[c] = uc_cols[c].label;
        colours[c] = uc_cols[c].colour;
    }
    sv_stacked(s, "usecounts", "Use Counts: physical memory by use and page list", "KiB",
               rows, VML_N_USES, parts, colours, N_UC, values);
}

static void table_usecounts(struct rpt *r)
{
    vml_text *t = r->t;
    uint64_t col_total[N_UC] = {0}, all = 0;
    size_t u, c;
    char key[64];

    vt_puts(t, "<table class=\"data\" id=\"t-usecounts\"><caption>Use Counts (K)</caption>"
               "<tr><th>Usage</th><th>Total</th>");
    for (c = 0; c < N_UC; c++)
        vml_text_printf(t, "<th>%s</th>", uc_cols[c].label);
    vt_puts(t, "</tr>\n");
    for (u = 0; u < VML_N_USES; u++) {
        uint64_t total = 0;
        for (c = 0; c < N_UC; c++)
            total += uc_value(r, (unsigned)u, c);
        vt_puts(t, "<tr>");
        rpt_td_str(t, vml_use_name((vml_use)u));
        snprintf(key, sizeof key, "use%zu.total", u);
        rpt_td_u64(t, total * VW_PAGE_KB, key);
        for (c = 0; c < N_UC; c++) {
            uint64_t v = uc_value(r, (unsigned)u, c);
            col_total[c] += v;
            snprintf(key, sizeof key, "use%zu.%s", u, uc_cols[c].key);
            rpt_td_u64(t, v * VW_PAGE_KB, key);
        }
        all += total;
        vt_puts(t, "</tr>\n");
    }
    vt_puts(t, "<tr class=\"total\"><td>Total</td>");
    rpt_td_u64(t, all * VW_PAGE_KB, "total.total");
    for (c = 0; c < N_UC; c++) {
        snprintf(key, sizeof key, "total.%s", uc_cols[c].key);
        rpt_td_u64(t, col_total[c] * VW_PAGE_KB, key);
    }
    vt_puts(t, "</tr></table>\n");
}

/* ---- the frame map ----------------------------------------------------------------- */

static void chart_frames(struct rpt *r, struct sv *s)
{
    vml_text *t = s->t;
    uint64_t max_cells = r->o->max_cells ? r->o->max_cells : DEFAULT_CELLS;
    uint64_t group = vw_frames_group(r->fr.n_frames, max_cells);
    uint64_t cells = r->fr.n_frames / group + (r->fr.n_frames % group != 0), i;
    unsigned cols = cells < GRID_COLS ? (unsigned)cells : GRID_COLS, k;
    uint64_t rows = cols ? (cells + cols - 1) / cols : 0;
    double left = 70, top = 46, w = left + cols * PITCH + 10;
    double h = top + (double)rows * PITCH + 16 + ((VW_N_FCLASSES + 3) / 4) * 18.0;
    char title[96], buf[32];

    if (w < 560)
        w = 560;
    snprintf(title, sizeof title, "Physical pages: %llu frames, a cell per %llu frame%s",
             (unsigned long long)r->fr.n_frames, (unsigned long long)group, group == 1 ? "" : "s");
    sv_open(s, "frames", title, w, h);
    vt_puts(t, "<text x=\"");
    sv_num(t, w / 2);
    vt_puts(t, "\" y=\"16\" text-anchor=\"middle\">");
    sv_esc(t, title);
    vml_text_printf(t, "</text><text x=\"%u\" y=\"34\" class=\"note\">%s</text>\n", 0,
                    group == 1 ? "row labels: the first frame number of the row"
                               : "row labels: the first frame of the row; a cell shows its "
                                 "most common class");
    for (i = 0; i < cells; i++) {
        uint64_t first = i * group, last = first + group - 1;
        enum vw_fclass fc = vw_frames_cell(&r->fr, first, group);
        const struct vw_fclass_def *d = &vw_fclasses[fc];
        double x = left + (double)(i % cols) * PITCH, y = top + (double)(i / cols) * PITCH;
        if (i % cols == 0)
            vml_text_printf(t, "<text x=\"%u\" y=\"%.0f\" text-anchor=\"end\" class=\"note\">"
                            "0x%llx</text>", (unsigned)left - 4, y + 9,
                            (unsigned long long)first);
        if (last >= r->fr.n_frames)
            last = r->fr.n_frames - 1;
        vml_text_printf(t, "<rect class=\"cell c%u fc-%s\" x=\"", d->colour, d->slug);
        sv_num(t, x);
        vt_puts(t, "\" y=\"");
        sv_num(t, y);
        vt_puts(t, "\" width=\"10\" height=\"10\"><title>");
        if (group == 1)
            vml_text_printf(t, "pfn 0x%llx: %s", (unsigned long long)first, d->label);
        else
            vml_text_printf(t, "pfn 0x%llx-0x%llx: mostly %s", (unsigned long long)first,
                            (unsigned long long)last, d->label);
        vt_puts(t, "</title></rect>");
        if (i % cols == cols - 1)
            vt_putc(t, '\n');
    }
    for (k = 0; k < VW_N_FCLASSES; k++) {
        snprintf(buf, sizeof buf, "c%u", vw_fclasses[k].colour);
        sv_legend(s, left + (double)(k % 4) * 130, top + (double)rows * PITCH + 24 +
                  (double)(k / 4) * 18, buf, vw_fclasses[k].label);
    }
    sv_close(s);
}

static void table_frames(struct rpt *r)
{
    vml_text *t = r->t;
    static const char *const heads[] = { "", "Class", "Frames", "MiB", "%" };
    char key[48];

    vt_puts(t, "<table class=\"data\" id=\"t-frames\"><caption>Frames by class</caption>");
    rpt_th_row(t, heads, 5);
    for (unsigned k = 0; k < VW_N_FCLASSES; k++) {
        uint64_t n = r->fr.per_class[k];
        vml_text_printf(t, "<tr><td><svg width=\"10\" height=\"10\"><rect class=\"c%u\" "
                        "width=\"10\" height=\"10\"/></svg></td>", vw_fclasses[k].colour);
        rpt_td_str(t, vw_fclasses[k].label);
        snprintf(key, sizeof key, "frames.%s", vw_fclasses[k].slug);
        rpt_td_u64(t, n, key);
        vml_text_printf(t, "<td class=\"n\">%.1f</td><td class=\"n\">%.1f</td></tr>\n",
                        (double)n * VML_PAGE_SIZE / 1048576.0,
                        r->fr.n_frames ? 100.0 * (double)n / (double)r->fr.n_frames : 0.0);
    }
    vt_puts(t, "</table>\n");
}

/* ---- standby by priority -------------------------------------------------------------- */

static void chart_standby(struct rpt *r, struct sv *s)
{
    static const char *const names[VML_STANDBY_PRIORITIES] = { "0", "1", "2", "3", "4", "5",
                                                               "6", "7" };
    sv_bars(s, "standby", "Standby list by page priority", "priority (7 is kept longest)",
            "frames", names, r->mem.standby, VML_STANDBY_PRIORITIES, 10);
}

static void table_standby(struct rpt *r)
{
    vml_text *t = r->t;
    char key[32];

    vt_puts(t, "<table class=\"data\" id=\"t-standby\"><caption>Standby (frames)</caption>"
               "<tr><th>Priority</th><th>Frames</th></tr>\n");
    for (unsigned k = VML_STANDBY_PRIORITIES; k-- > 0;) {
        vml_text_printf(t, "<tr><td>%u</td>", k);
        snprintf(key, sizeof key, "standby.%u", k);
        rpt_td_u64(t, r->mem.standby[k], key);
        vt_puts(t, "</tr>\n");
    }
    vt_puts(t, "</table>\n");
}

/* ---- the charts, in order (RPT6) ----------------------------------------------------------- */

enum chart_kind { CH_USECOUNTS, CH_FRAMES, CH_STANDBY, CH_SPACE, CH_VAD, CH_TIMELINE, CH_PLOT };

/* Chart i: its kind and its index among its kind (process, timeline, plot). */
static int chart_at(struct rpt *r, size_t i, enum chart_kind *kind, size_t *index)
{
    size_t k;

    if (i < 3) {
        *kind = (enum chart_kind)i;
        *index = 0;
        return 1;
    }
    i -= 3;
    if (i < 2 * r->tm.n) {
        *kind = i % 2 ? CH_VAD : CH_SPACE;
        *index = i / 2;
        return 1;
    }
    i -= 2 * r->tm.n;
    for (k = 0; r->have_rec && k < RPT_N_TIMELINES; k++) {
        if (!rpt_timeline_has(r, k))
            continue;
        if (i == 0) {
            *kind = CH_TIMELINE;
            *index = k;
            return 1;
        }
        i--;
    }
    if (i < r->o->n_plots) {
        *kind = CH_PLOT;
        *index = i;
        return 1;
    }
    return 0;
}

static void rpt_free(struct rpt *r)
{
    vw_mem_free(&r->mem);
    vw_tm_free(&r->tm);
    vw_frames_free(&r->fr);
}

static vml_status rpt_build(struct rpt *r, vml_machine *m, const vml_report_opts *o, vml_text *out)
{
    static const vml_report_opts defaults;
    vml_status st;
    size_t i, k;

    memset(r, 0, sizeof *r);
    if (m == NULL || out == NULL)
        return VML_E_INVALID;
    r->m = m;
    r->o = o ? o : &defaults;
    r->t = out;
    if (r->o->n_plots && r->o->plots == NULL)
        return VML_E_INVALID;
    for (i = 0; i < r->o->n_plots; i++) {
        if (vml_plot_check(&r->o->plots[i], NULL, 0) != VML_OK)
            return VML_E_INVALID;
        for (k = 0; k < i; k++)
            if (strcmp(r->o->plots[i].id, r->o->plots[k].id) == 0)
                return VML_E_INVALID;
    }
    vml_machine_config(m, &r->cfg);
    vml_machine_layout(m, &r->lo);
    r->have_rec = vml_record_info(m, &r->rec) == VML_OK && r->rec.n_samples > 0;
    if ((st = vw_mem_build(m, &r->mem)) != VML_OK || (st = vw_tm_build(m, &r->tm)) != VML_OK ||
        (st = vw_frames_build(m, &r->fr)) != VML_OK) {
        rpt_free(r);
        return st;
    }
    return VML_OK;
}

/* Draws chart i on s; *name its file name.  VML_E_NOT_FOUND past the last. */
static vml_status draw_chart(struct rpt *r, size_t i, struct sv *s, char *name, size_t size)
{
    enum chart_kind kind;
    size_t index;
    vml_status st = VML_OK;

    if (!chart_at(r, i, &kind, &index))
        return VML_E_NOT_FOUND;
    switch (kind) {
    case CH_USECOUNTS: snprintf(name, size, "usecounts"); chart_usecounts(r, s); break;
    case CH_FRAMES:    snprintf(name, size, "frames"); chart_frames(r, s); break;
    case CH_STANDBY:   snprintf(name, size, "standby"); chart_standby(r, s); break;
    case CH_SPACE:
    case CH_VAD: {
        struct vw_vad_model vm;
        snprintf(name, size, "%s-%u", kind == CH_SPACE ? "space" : "vad", r->tm.rows[index].pid);
        st = vw_vad_build(r->tm.rows[index].p, VW_VAD_USAGE, &vm);
        if (st != VML_OK)
            return st;
        if (kind == CH_SPACE)
            rpt_space_chart(r, s, &vm);
        else
            rpt_vad_chart(r, s, &vm);
        vw_vad_free(&vm);
        break;
    }
    case CH_TIMELINE:
        st = rpt_timeline_chart(r, s, index, name, size);
        break;
    case CH_PLOT:
        snprintf(name, size, "%s", r->o->plots[index].id);
        rpt_plot(s, &r->o->plots[index]);
        break;
    }
    return st;
}

VML_API vml_status vml_report_svg(vml_machine *m, const vml_report_opts *o, size_t i,
                                  vml_text *out, char *name, size_t name_size)
{
    struct rpt r;
    struct sv s;
    vml_status st;
    size_t mark = out ? out->len : 0;

    if (name == NULL || name_size == 0)
        return VML_E_INVALID;
    st = rpt_build(&r, m, o, out);
    if (st != VML_OK)
        return st;
    s = (struct sv){ out, 1, NULL };
    st = draw_chart(&r, i, &s, name, name_size);
    rpt_free(&r);
    if (st == VML_OK && out->oom)
        st = VML_E_NOMEM;
    if (st != VML_OK)
        vt_rollback(out, mark);
    return st;
}

/* ---- the document ------------------------------------------------------------------------ */

static const char page_css[] =
    "body{font:14px/1.4 system-ui,sans-serif;margin:0 auto;max-width:1180px;padding:0 16px;"
    "color:#222;background:#fff}"
    "h1{font-size:22px;margin:16px 0 4px}h2{font-size:18px;margin:28px 0 8px;"
    "border-bottom:1px solid #ccc}h3{font-size:15px;margin:16px 0 6px}"
    "nav a{margin-right:12px}.fig{display:flex;flex-wrap:wrap;gap:16px;align-items:flex-start}"
    ".scroll{overflow-x:auto;max-width:100%}"
    "table.data{border-collapse:collapse;font-size:12px}"
    "table.data th,table.data td{border:1px solid #ccc;padding:2px 6px}"
    "table.data th{background:#f2f2f2}td.n{text-align:right;font-variant-numeric:tabular-nums}"
    "tr.total td{font-weight:bold}caption{text-align:left;font-weight:bold;padding:2px 0}"
    "details{margin:4px 0}summary{cursor:pointer}"
    "details.proc{border:1px solid #ddd;padding:4px 8px;margin:8px 0}"
    "details.proc>summary{font-weight:bold}ul.pt{font:12px monospace;margin:0;padding-left:18px}"
    ".note{color:#666}";

void rpt_section(vml_text *t, const char *id, const char *title, const char *note)
{
    vml_text_printf(t, "<section id=\"%s\"><h2>", id);
    sv_esc(t, title);
    vt_puts(t, "</h2>");
    if (note != NULL) {
        vt_puts(t, "<p class=\"note\">");
        sv_esc(t, note);
        vt_puts(t, "</p>");
    }
    vt_putc(t, '\n');
}

static void header(struct rpt *r)
{
    vml_text *t = r->t;
    char ram[32];
    const char *title = r->o->title ? r->o->title : "vmlab report";

    vt_puts(t, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"/>"
               "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\"/>"
               "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
               "style-src 'unsafe-inline'; img-src data:\"/><title>");
    sv_esc(t, title);
    vt_puts(t, "</title><style>");
    vt_puts(t, page_css);
    sv_css(t);
    vt_puts(t, "</style></head>\n<body><header><h1>");
    sv_esc(t, title);
    vml_text_printf(t, "</h1><p id=\"machine\">A machine of %s (%llu frames), %s paging, "
                    "%u CPU%s, %zu process%s; replacement: %s.</p>",
                    vw_size(r->fr.n_frames * VML_PAGE_SIZE, ram, sizeof ram),
                    (unsigned long long)r->fr.n_frames, vml_paging_name(r->cfg.paging),
                    r->cfg.n_cpus, r->cfg.n_cpus == 1 ? "" : "s", r->tm.n,
                    r->tm.n == 1 ? "" : "es", vml_policy_name(r->cfg.policy));
    vt_puts(t, "<nav><a href=\"#usecounts\">Use Counts</a><a href=\"#physical\">Physical "
               "pages</a><a href=\"#standby\">Standby</a><a href=\"#processes\">Processes</a>"
               "<a href=\"#timelines\">Timelines</a>");
    if (r->o->n_plots)
        vt_puts(t, "<a href=\"#plots\">Plots</a>");
    vt_puts(t, "</nav></header>\n");
}

static void processes_table(struct rpt *r)
{
    vml_text *t = r->t;
    size_t i, k;
    char key[64];

    vt_puts(t, "<div class=\"scroll\"><table class=\"data\" id=\"t-processes\"><caption>"
               "Processes (sizes in K)</caption><tr><th>Name</th><th>PID</th>");
    for (k = 0; k < VW_TM_N; k++) {
        vt_puts(t, "<th>");
        sv_esc(t, vw_tm_headers[k]);
        vt_puts(t, "</th>");
    }
    vt_puts(t, "<th>Page tables</th></tr>\n");
    for (i = 0; i < r->tm.n; i++) {
        const struct vw_tm_row *row = &r->tm.rows[i];
        vml_text_printf(t, "<tr><td><a href=\"#proc-%u\">", row->pid);
        sv_esc(t, row->name);
        vml_text_printf(t, "</a></td><td class=\"n\">%u</td>", row->pid);
        for (k = 0; k < VW_TM_N; k++) {
            snprintf(key, sizeof key, "%u.%s%s", row->pid, vw_tm_keys[k],
                     k < VW_TM_SIZES ? "_kb" : "");
            rpt_td_u64(t, k < VW_TM_SIZES ? row->v[k] >> 10 : row->v[k], key);
        }
        snprintf(key, sizeof key, "%u.pagetables_kb", row->pid);
        rpt_td_u64(t, vml_stat_proc(row->p, VML_STAT_PROC_pagetable_pages) * VW_PAGE_KB, key);
        vt_puts(t, "</tr>\n");
    }
    vt_puts(t, "</table></div>\n");
}

VML_API vml_status vml_report_html(vml_machine *m, const vml_report_opts *o, vml_text *out)
{
    struct rpt r;
    struct sv s;
    vml_status st;
    size_t i, mark = out ? out->len : 0;

    st = rpt_build(&r, m, o, out);
    if (st != VML_OK)
        return st;
    s = (struct sv){ out, 0, NULL };
    header(&r);
    rpt_section(out, "usecounts", "Use Counts", "What each physical frame holds, by page "
                 "list (Sysinternals RAMMap's Use Counts), in K.");
    vt_puts(out, "<div class=\"fig\">");
    chart_usecounts(&r, &s);
    table_usecounts(&r);
    vt_puts(out, "</div></section>\n");
    rpt_section(out, "physical", "Physical pages", "Every frame by its list, or by its use "
                 "when active; hover a cell for its frames.");
    vt_puts(out, "<div class=\"fig\"><div class=\"scroll\">");
    chart_frames(&r, &s);
    vt_puts(out, "</div>");
    table_frames(&r);
    vt_puts(out, "</div></section>\n");
    rpt_section(out, "standby", "Standby list by priority", "Clean pages kept for reuse; "
                 "the lowest priority is repurposed first (RAMMap's Priority Summary).");
    vt_puts(out, "<div class=\"fig\">");
    chart_standby(&r, &s);
    table_standby(&r);
    vt_puts(out, "</div></section>\n");
    rpt_section(out, "processes", "Processes", "Task Manager's columns; each process below "
                 "as VMMap shows it.");
    processes_table(&r);
    for (i = 0; st == VML_OK && i < r.tm.n; i++)
        st = rpt_process(&r, &r.tm.rows[i], i < 3);
    vt_puts(out, "</section>\n");
    if (st == VML_OK)
        st = rpt_timelines(&r, &s);
    if (st == VML_OK && r.o->n_plots) {
        rpt_section(out, "plots", "Plots", NULL);
        for (i = 0; i < r.o->n_plots; i++) {
            vt_puts(out, "<div class=\"fig\">");
            rpt_plot(&s, &r.o->plots[i]);
            rpt_table_plot(&r, &r.o->plots[i]);
            vt_puts(out, "</div>\n");
        }
        vt_puts(out, "</section>\n");
    }
    vt_puts(out, "<footer><p class=\"note\">Written by vmlab from the machine's state; no "
                 "script, nothing fetched.</p></footer>\n"
                 "</body></html>\n");
    rpt_free(&r);
    if (st == VML_OK && out->oom)
        st = VML_E_NOMEM;
    if (st != VML_OK)
        vt_rollback(out, mark);
    return st;
}
