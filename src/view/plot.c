/*
** plot.c -- plots of curves (vml_plot): miss-ratio curves of policies from
** trace replay, counters over time from the recorder.  The caller gives a
** C struct of series; this file checks it and draws it with sv_plot, as a
** standalone SVG or inside the report.
**
** INVARIANTS:
**   RPT4  A plot is drawn only when vml_plot_check accepts it: an id of
**         [a-z0-9_-], 1..32 series, every value finite, x never
**         decreasing within a series, x > 0 on a log axis.
*/
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "view/report.h"
#include "view/svg.h"
#include "view/view.h"

#define PLOT_MAX_SERIES 32
#define PLOT_MAX_POINTS 10000000u

static int id_ok(const char *id)
{
    size_t n = 0;

    if (id == NULL || id[0] == '\0')
        return 0;
    for (; id[n]; n++)
        if (!((id[n] >= 'a' && id[n] <= 'z') || (id[n] >= '0' && id[n] <= '9') || id[n] == '-' ||
              id[n] == '_'))
            return 0;
    return n <= 40;
}

vml_status vml_plot_check(const vml_plot *pl, char *err, size_t size)
{
    size_t i, k;
    char dummy[1];

    if (err == NULL) {
        err = dummy;
        size = sizeof dummy;
    }
    err[0] = '\0';
    if (pl == NULL) {
        snprintf(err, size, "no plot");
        return VML_E_INVALID;
    }
    if (!id_ok(pl->id)) {
        snprintf(err, size, "plot id '%s': 1 to 40 of a-z 0-9 - _", pl->id ? pl->id : "(null)");
        return VML_E_INVALID;
    }
    if (pl->title == NULL || pl->n_series == 0 || pl->n_series > PLOT_MAX_SERIES ||
        pl->series == NULL) {
        snprintf(err, size, "plot %s: a title and 1 to %d series", pl->id, PLOT_MAX_SERIES);
        return VML_E_INVALID;
    }
    if (pl->flags & ~(unsigned)(VML_PLOT_LOG_X | VML_PLOT_STEP)) {
        snprintf(err, size, "plot %s: unknown flags %#x", pl->id, pl->flags);
        return VML_E_INVALID;
    }
    for (k = 0; k < pl->n_series; k++) {
        const vml_series *s = &pl->series[k];
        if (s->name == NULL || (s->n > 0 && (s->x == NULL || s->y == NULL)) ||
            s->n > PLOT_MAX_POINTS) {
            snprintf(err, size, "plot %s, series %zu: a name, and x and y for its %zu points",
                     pl->id, k, s->n);
            return VML_E_INVALID;
        }
        for (i = 0; i < s->n; i++) {
            if (!isfinite(s->x[i]) || !isfinite(s->y[i])) {
                snprintf(err, size, "plot %s, series '%s', point %zu: not a finite number",
                         pl->id, s->name, i);
                return VML_E_INVALID;
            }
            if (i > 0 && s->x[i] < s->x[i - 1]) {
                snprintf(err, size, "plot %s, series '%s', point %zu: x %g is less than the "
                         "x before it (%g)", pl->id, s->name, i, s->x[i], s->x[i - 1]);
                return VML_E_INVALID;
            }
            if ((pl->flags & VML_PLOT_LOG_X) && !(s->x[i] > 0)) {
                snprintf(err, size, "plot %s, series '%s', point %zu: x must be > 0 on a "
                         "logarithmic axis", pl->id, s->name, i);
                return VML_E_INVALID;
            }
        }
    }
    return VML_OK;
}

/* The <desc>: every series' points as text (a screen reader's table). */
static char *plot_desc(const vml_plot *pl)
{
    vml_text d = {0};
    size_t i, k;

    for (k = 0; k < pl->n_series; k++) {
        const vml_series *s = &pl->series[k];
        vml_text_printf(&d, "%s%s:", k ? "\n" : "", s->name);
        for (i = 0; i < s->n; i++)
            vml_text_printf(&d, " (%.6g, %.6g)", s->x[i], s->y[i]);
    }
    if (d.oom) {
        vml_text_free(&d);
        return NULL;
    }
    return d.s != NULL ? d.s : calloc(1, 1);
}

static void plot_draw(struct sv *s, const vml_plot *pl);

/* A standalone plot carries its points as text in its <desc> (a table
** for a screen reader, the numbers for whoever takes the file alone). */
void rpt_plot(struct sv *s, const vml_plot *pl)
{
    char *desc = NULL;

    if (s->standalone && s->desc == NULL) {
        desc = plot_desc(pl);
        if (desc == NULL) {
            s->t->oom = 1;
            return;
        }
        s->desc = desc;
    }
    plot_draw(s, pl);
    free(desc);
}

static void plot_draw(struct sv *s, const vml_plot *pl)
{
    struct sv_series ser[PLOT_MAX_SERIES];
    struct sv_axis x = { 0, 0, (pl->flags & VML_PLOT_LOG_X) != 0, pl->x_label, pl->x_unit };
    struct sv_axis y = { 0, 0, 0, pl->y_label, pl->y_unit };
    size_t i, k;
    int first = 1;

    for (k = 0; k < pl->n_series; k++) {
        const vml_series *se = &pl->series[k];
        ser[k] = (struct sv_series){ se->name, se->x, se->y, se->n, (unsigned)k };
        for (i = 0; i < se->n; i++) {
            if (first || se->x[i] < x.lo) x.lo = se->x[i];
            if (first || se->x[i] > x.hi) x.hi = se->x[i];
            if (first || se->y[i] < y.lo) y.lo = se->y[i];
            if (first || se->y[i] > y.hi) y.hi = se->y[i];
            first = 0;
        }
    }
    if (y.lo > 0)
        y.lo = 0;                      /* counts and ratios from zero */
    sv_plot(s, pl->id, pl->title, &x, &y, ser, pl->n_series,
            (pl->flags & VML_PLOT_STEP) ? SV_STEP : 0);
}

vml_status vml_plot_svg(const vml_plot *pl, vml_text *out)
{
    struct sv s = { out, 1, NULL };
    size_t mark;

    if (out == NULL || vml_plot_check(pl, NULL, 0) != VML_OK)
        return VML_E_INVALID;
    mark = out->len;
    rpt_plot(&s, pl);
    if (out->oom) {
        vt_rollback(out, mark);
        return VML_E_NOMEM;
    }
    return VML_OK;
}
