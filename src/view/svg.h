/*
** svg.h -- SVG for the report and the standalone charts (svg.c): escaping,
** numbers, the shared stylesheet, and the few charts the report draws
** (line plots, bars, stacked bars), each with axes, units and a legend.
** No chart engine: each chart writes the SVG elements it needs directly.
**
** INVARIANTS:
**   RPT1  Everything written is well-formed XML: text and attributes go
**         through sv_esc (which also replaces invalid UTF-8 by U+FFFD);
**         every element opened is closed by the function that opened it.
**   RPT2  Numbers are written by sv_num only: finite, at most 6
**         significant digits, the same bytes for the same value (the
**         report of one state is the same file every time).
**   RPT3  Colours come from classes (c0..c11 of the palette, one per
**         kind, list or series; past twelve series, dashes d1..d3 too),
**         never from code at the drawing site, so the stylesheet alone
**         decides them and a new kind gets one.
*/
#ifndef VML_VIEW_SVG_H
#define VML_VIEW_SVG_H

#include <stddef.h>
#include <stdint.h>

#include "vmlab.h"

struct sv {
    vml_text   *t;
    int         standalone;   /* its own document: xmlns and the stylesheet */
    const char *desc;         /* a <desc> for the next sv_open, or NULL */
};

/* Text or an attribute value, escaped (RPT1). */
void sv_esc(vml_text *t, const char *s);
/* A number (RPT2): integers as such, others with up to 6 significant
** digits and no exponent for coordinates. */
void sv_num(vml_text *t, double v);
/* The stylesheet of the report and of standalone charts. */
void sv_css(vml_text *t);

/* <svg> with its accessible name; close with sv_close. */
void sv_open(struct sv *s, const char *chart, const char *title, double w, double h);
void sv_close(struct sv *s);
/* A legend entry at (x, y): a swatch of class cls and a label. */
void sv_legend(struct sv *s, double x, double y, const char *cls, const char *label);

/* log10 without libm (positions on a log axis). */
double sv_log10(double v);

/* ---- charts ---------------------------------------------------------------- */

struct sv_axis {
    double      lo, hi;       /* the data range (hi > lo after sv_axis_fit) */
    int         log;
    const char *label, *unit;
};
struct sv_series {
    const char   *name;
    const double *x, *y;
    size_t        n;
    unsigned      colour;     /* palette index */
};
#define SV_STEP 0x1u          /* steps between the points */

/* A line plot: axes with ticks, units, a legend, one polyline per series
** (class "series"). */
void sv_plot(struct sv *s, const char *chart, const char *title, struct sv_axis *x,
             struct sv_axis *y, const struct sv_series *ser, size_t n, unsigned flags);

/* Horizontal stacked bars: n_rows rows of n_parts parts (values[r *
** n_parts + p]); parts coloured by part_colour and named in the legend. */
void sv_stacked(struct sv *s, const char *chart, const char *title, const char *unit,
                const char *const *row_names, size_t n_rows, const char *const *part_names,
                const unsigned *part_colour, size_t n_parts, const uint64_t *values);

/* Vertical bars, one per value. */
void sv_bars(struct sv *s, const char *chart, const char *title, const char *x_label,
             const char *y_label, const char *const *names, const uint64_t *values, size_t n,
             unsigned colour);

#endif /* VML_VIEW_SVG_H */
