/*
** report_time.c -- the report's timelines (what the recorder sampled,
** drawn as plots: page lists, faults by kind, commit and pagefile use,
** working sets, any other counter recorded) and the tables beside the
** plots.  The timelines are vml_plot values like the callers' plots, so
** one renderer (plot.c) draws both.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "view/report.h"
#include "view/view.h"

#define TABLE_CELLS_MAX 20000u   /* the full table of samples, when smaller */

/* ---- timelines --------------------------------------------------------------------------- */

/* A timeline: the recorded series whose counter is one of names (NULL:
** every series no other timeline takes), per process for working sets. */
struct timeline {
    const char *id, *title, *y_label, *y_unit;
    const char *const *names;
    int         kib;          /* bytes shown as KiB */
};
static const char *const tl_lists[] = { "zeroed_pages", "free_pages", "standby_pages",
                                        "modified_pages", "active_pages", NULL };
static const char *const tl_faults[] = { "demand_zero_faults", "transition_faults",
                                         "hard_faults", "cow_faults", NULL };
static const char *const tl_commit[] = { "commit_charge", "pagefile_used_pages", NULL };
static const char *const tl_ws[] = { "working_set", NULL };
static const struct timeline timelines[] = {
    { "timeline-lists", "Page lists over time", "frames", "", tl_lists, 0 },
    { "timeline-faults", "Faults by kind (so far)", "faults", "", tl_faults, 0 },
    { "timeline-commit", "Commit charge and pagefile use", "pages", "", tl_commit, 0 },
    { "timeline-ws", "Working sets", "working set", "KiB", tl_ws, 1 },
    { "timeline-other", "Other counters", "value", "", NULL, 0 },
};
#define TL_MAX_SERIES 8

static int in_names(const char *const *names, const char *counter)
{
    for (; *names; names++)
        if (strcmp(*names, counter) == 0)
            return 1;
    return 0;
}

static int tl_takes(const struct timeline *tl, const char *counter)
{
    size_t i;

    if (tl->names != NULL)
        return in_names(tl->names, counter);
    for (i = 0; i + 1 < RPT_N_TIMELINES; i++)
        if (in_names(timelines[i].names, counter))
            return 0;
    return 1;
}

/* The series of a timeline (at most TL_MAX_SERIES: those with the
** largest peak), as plot series over doubles.  Returns how many. */
struct tl_data {
    vml_series ser[TL_MAX_SERIES];
    char       names[TL_MAX_SERIES][64];
    double    *x, *y[TL_MAX_SERIES];
    size_t     n, n_all;      /* drawn, and the timeline's in all */
};

static void tl_free(struct tl_data *d)
{
    free(d->x);
    for (size_t k = 0; k < TL_MAX_SERIES; k++)
        free(d->y[k]);
    memset(d, 0, sizeof *d);
}

static vml_status tl_collect(struct rpt *r, const struct timeline *tl, struct tl_data *d)
{
    const uint64_t *times = vml_record_times(r->m);
    size_t i, k, pick[TL_MAX_SERIES];
    uint64_t peak[TL_MAX_SERIES];
    vml_rec_series rs;

    memset(d, 0, sizeof *d);
    for (i = 0; i < r->rec.n_series; i++) {
        uint64_t top = 0;
        if (vml_record_series(r->m, i, &rs) != VML_OK || !tl_takes(tl, rs.counter))
            continue;
        d->n_all++;
        for (k = 0; k < r->rec.n_samples; k++)
            if (rs.values[k] > top)
                top = rs.values[k];
        /* keep the TL_MAX_SERIES largest peaks, in series order among equals */
        if (d->n < TL_MAX_SERIES) {
            pick[d->n] = i;
            peak[d->n++] = top;
            continue;
        }
        size_t low = 0;
        for (k = 1; k < d->n; k++)
            if (peak[k] < peak[low])
                low = k;
        if (top > peak[low]) {
            memmove(&pick[low], &pick[low + 1], (d->n - low - 1) * sizeof pick[0]);
            memmove(&peak[low], &peak[low + 1], (d->n - low - 1) * sizeof peak[0]);
            pick[d->n - 1] = i;
            peak[d->n - 1] = top;
        }
    }
    if (d->n == 0)
        return VML_OK;
    d->x = malloc(r->rec.n_samples * sizeof *d->x + 1);
    if (d->x == NULL)
        return VML_E_NOMEM;
    for (k = 0; k < r->rec.n_samples; k++)
        d->x[k] = (double)times[k];
    for (i = 0; i < d->n; i++) {
        vml_record_series(r->m, pick[i], &rs);
        d->y[i] = malloc(r->rec.n_samples * sizeof *d->y[i] + 1);
        if (d->y[i] == NULL) {
            tl_free(d);
            return VML_E_NOMEM;
        }
        for (k = 0; k < r->rec.n_samples; k++)
            d->y[i][k] = tl->kib ? (double)(rs.values[k] >> 10) : (double)rs.values[k];
        if (rs.scope == VML_SCOPE_PROC)
            snprintf(d->names[i], sizeof d->names[i], "%s (pid %u)", rs.process, rs.id);
        else if (rs.scope == VML_SCOPE_CPU)
            snprintf(d->names[i], sizeof d->names[i], "cpu%u %s", rs.id, rs.counter);
        else
            snprintf(d->names[i], sizeof d->names[i], "%s", rs.counter);
        d->ser[i] = (vml_series){ d->names[i], d->x, d->y[i], r->rec.n_samples };
    }
    return VML_OK;
}

static vml_plot tl_plot(const struct rpt *r, const struct timeline *tl, const struct tl_data *d)
{
    vml_plot pl = { tl->id, tl->title,
                    r->rec.clock == VML_CLOCK_TICKS ? "ticks" : "memory accesses", "",
                    tl->y_label, tl->y_unit, VML_PLOT_STEP, d->ser, d->n };
    return pl;
}

static void table_timeline(struct rpt *r, const struct timeline *tl, const struct tl_data *d)
{
    vml_text *t = r->t;
    static const char *const heads[] = { "Series", "First", "Min", "Max", "Last" };
    size_t i, k;

    vml_text_printf(t, "<table class=\"data\" id=\"t-%s\"><caption>", tl->id);
    sv_esc(t, tl->title);
    if (d->n_all > d->n)
        vml_text_printf(t, " (the %zu largest of %zu)", d->n, d->n_all);
    vt_puts(t, "</caption>");
    rpt_th_row(t, heads, 5);
    for (i = 0; i < d->n; i++) {
        double lo = d->y[i][0], hi = d->y[i][0];
        for (k = 1; k < d->ser[i].n; k++) {
            if (d->y[i][k] < lo) lo = d->y[i][k];
            if (d->y[i][k] > hi) hi = d->y[i][k];
        }
        vt_puts(t, "<tr>");
        rpt_td_str(t, d->names[i]);
        rpt_td_u64(t, (uint64_t)d->y[i][0], NULL);
        rpt_td_u64(t, (uint64_t)lo, NULL);
        rpt_td_u64(t, (uint64_t)hi, NULL);
        rpt_td_u64(t, (uint64_t)d->y[i][d->ser[i].n - 1], NULL);
        vt_puts(t, "</tr>\n");
    }
    vt_puts(t, "</table>\n");
    if (d->n == 0 || r->rec.n_samples * (d->n + 1) > TABLE_CELLS_MAX)
        return;
    vt_puts(t, "<details><summary>every sample</summary><table class=\"data samples\"><tr><th>");
    sv_esc(t, r->rec.clock == VML_CLOCK_TICKS ? "tick" : "access");
    vt_puts(t, "</th>");
    for (i = 0; i < d->n; i++) {
        vt_puts(t, "<th>");
        sv_esc(t, d->names[i]);
        vt_puts(t, "</th>");
    }
    vt_puts(t, "</tr>\n");
    for (k = 0; k < r->rec.n_samples; k++) {
        vt_puts(t, "<tr>");
        rpt_td_u64(t, (uint64_t)d->x[k], NULL);
        for (i = 0; i < d->n; i++)
            rpt_td_u64(t, (uint64_t)d->y[i][k], NULL);
        vt_puts(t, "</tr>\n");
    }
    vt_puts(t, "</table></details>\n");
}

/* A plot's table: each series' points, first and last, its lowest and
** highest y; every point when they are few. */
void rpt_table_plot(struct rpt *r, const vml_plot *pl)
{
    vml_text *t = r->t;
    static const char *const heads[] = { "Series", "Points", "First x", "First y", "Last x",
                                         "Last y", "Min y", "Max y" };
    size_t i, k, total = 0;

    vml_text_printf(t, "<div><table class=\"data\" id=\"t-%s\"><caption>", pl->id);
    sv_esc(t, pl->title);
    vt_puts(t, "</caption>");
    rpt_th_row(t, heads, 8);
    for (k = 0; k < pl->n_series; k++) {
        const vml_series *se = &pl->series[k];
        double lo = se->n ? se->y[0] : 0, hi = lo;
        for (i = 1; i < se->n; i++) {
            if (se->y[i] < lo) lo = se->y[i];
            if (se->y[i] > hi) hi = se->y[i];
        }
        total += se->n;
        vt_puts(t, "<tr>");
        rpt_td_str(t, se->name);
        vml_text_printf(t, "<td class=\"n\">%zu</td>", se->n);
        if (se->n)
            vml_text_printf(t, "<td class=\"n\">%.6g</td><td class=\"n\">%.6g</td>"
                            "<td class=\"n\">%.6g</td><td class=\"n\">%.6g</td>",
                            se->x[0], se->y[0], se->x[se->n - 1], se->y[se->n - 1]);
        else
            vt_puts(t, "<td></td><td></td><td></td><td></td>");
        vml_text_printf(t, "<td class=\"n\">%.6g</td><td class=\"n\">%.6g</td></tr>\n", lo, hi);
    }
    vt_puts(t, "</table>");
    if (total > 0 && total <= TABLE_CELLS_MAX / 2) {
        vt_puts(t, "<details><summary>every point</summary><table class=\"data samples\">"
                   "<tr><th>Series</th><th>x</th><th>y</th></tr>\n");
        for (k = 0; k < pl->n_series; k++)
            for (i = 0; i < pl->series[k].n; i++) {
                vt_puts(t, "<tr>");
                rpt_td_str(t, pl->series[k].name);
                vml_text_printf(t, "<td class=\"n\">%.6g</td><td class=\"n\">%.6g</td></tr>\n",
                                pl->series[k].x[i], pl->series[k].y[i]);
            }
        vt_puts(t, "</table></details>");
    }
    vt_puts(t, "</div>\n");
}

int rpt_timeline_has(struct rpt *r, size_t k)
{
    struct tl_data d;
    size_t n;

    if (k >= RPT_N_TIMELINES || tl_collect(r, &timelines[k], &d) != VML_OK)
        return 0;
    n = d.n;
    tl_free(&d);
    return n > 0;
}

vml_status rpt_timeline_chart(struct rpt *r, struct sv *s, size_t k, char *name, size_t size)
{
    struct tl_data d;
    vml_plot pl;
    vml_status st;

    snprintf(name, size, "%s", timelines[k].id);
    st = tl_collect(r, &timelines[k], &d);
    if (st != VML_OK)
        return st;
    pl = tl_plot(r, &timelines[k], &d);
    rpt_plot(s, &pl);
    tl_free(&d);
    return VML_OK;
}

vml_status rpt_timelines(struct rpt *r, struct sv *s)
{
    vml_text *t = r->t;
    size_t k;

    rpt_section(t, "timelines", "Timelines", r->have_rec ? NULL :
                 "Nothing was recorded: run the script with vmlab report, or start the "
                 "recorder with record accesses N.");
    for (k = 0; r->have_rec && k < RPT_N_TIMELINES; k++) {
        struct tl_data d;
        vml_plot pl;
        vml_status st = tl_collect(r, &timelines[k], &d);
        if (st != VML_OK)
            return st;
        if (d.n == 0)
            continue;
        pl = tl_plot(r, &timelines[k], &d);
        vt_puts(t, "<div class=\"fig\">");
        rpt_plot(s, &pl);
        vt_puts(t, "<div>");
        table_timeline(r, &timelines[k], &d);
        vt_puts(t, "</div></div>\n");
        tl_free(&d);
    }
    if (r->have_rec)
        vml_text_printf(t, "<p class=\"note\">%zu samples, one every %llu %s (the interval "
                        "doubles each time the recording fills).</p>", r->rec.n_samples,
                        (unsigned long long)r->rec.every,
                        r->rec.clock == VML_CLOCK_TICKS ? "ticks" : "accesses");
    vt_puts(t, "</section>\n");
    return VML_OK;
}

