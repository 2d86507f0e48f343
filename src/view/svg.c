/*
** svg.c -- SVG writing for the report (svg.h: RPT1-RPT3): escaping,
** numbers, the stylesheet, line plots, bars and stacked bars.
**
** TRANSITIONS: none; every function appends to a text.
*/
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "view/model.h"
#include "view/svg.h"
#include "view/view.h"

/* ---- text and numbers --------------------------------------------------- */

/* The length of the UTF-8 sequence at s, 0 when it is not valid. */
static size_t utf8_len(const unsigned char *s)
{
    size_t n, i;
    uint32_t cp;

    if (s[0] < 0x80)
        return 1;
    if ((s[0] & 0xE0) == 0xC0) { n = 2; cp = s[0] & 0x1Fu; }
    else if ((s[0] & 0xF0) == 0xE0) { n = 3; cp = s[0] & 0x0Fu; }
    else if ((s[0] & 0xF8) == 0xF0) { n = 4; cp = s[0] & 0x07u; }
    else return 0;
    for (i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = cp << 6 | (s[i] & 0x3Fu);
    }
    if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
        (cp >= 0xD800 && cp < 0xE000) || cp > 0x10FFFF)
        return 0;
    return n;
}

void sv_esc(vml_text *t, const char *s)
{
    const unsigned char *p = (const unsigned char *)(s ? s : "");

    while (*p) {
        size_t n = utf8_len(p);
        switch (*p) {
        case '&': vt_puts(t, "&amp;"); break;
        case '<': vt_puts(t, "&lt;"); break;
        case '>': vt_puts(t, "&gt;"); break;
        case '"': vt_puts(t, "&quot;"); break;
        case '\'': vt_puts(t, "&#39;"); break;
        default:
            if (n == 0 || (*p < 0x20 && *p != '\n' && *p != '\t') || *p == 0x7F) {
                vt_puts(t, "\xEF\xBF\xBD");          /* U+FFFD */
                n = n ? n : 1;
            } else {
                vml_text_append(t, p, n);
            }
            p += n;
            continue;
        }
        p++;
    }
}

void sv_num(vml_text *t, double v)
{
    char buf[48];
    size_t n;

    if (!isfinite(v))
        v = 0;
    if (v < 1e15 && v > -1e15 && v == (double)(long long)v) {   /* in range first */
        vml_text_printf(t, "%lld", (long long)v);
        return;
    }
    snprintf(buf, sizeof buf, "%.2f", v);
    n = strlen(buf);
    while (n > 0 && buf[n - 1] == '0')
        buf[--n] = '\0';
    if (n > 0 && buf[n - 1] == '.')
        buf[--n] = '\0';
    vt_puts(t, strcmp(buf, "-0") == 0 ? "0" : buf);
}

/* A tick label: integers in full, others with up to 4 significant digits. */
static void tick_label(vml_text *t, double v)
{
    if (v < 1e15 && v > -1e15 && v == (double)(long long)v)
        vml_text_printf(t, "%lld", (long long)v);
    else
        vml_text_printf(t, "%.4g", v);
}

double sv_log10(double v)
{
    double z, z2, term, sum = 0;
    int k = 0, i;

    if (!(v > 0))
        return 0;
    while (v >= 10) { v /= 10; k++; }
    while (v < 1) { v *= 10; k--; }
    z = (v - 1) / (v + 1);                   /* ln v = 2 atanh z, z < 0.82 */
    z2 = z * z;
    term = z;
    for (i = 1; i < 80; i += 2) {
        sum += term / i;
        term *= z2;
    }
    return k + 2 * sum / 2.302585092994046;
}

static double floor_d(double x)
{
    double i;

    if (x > 9e18 || x < -9e18)
        return x;
    i = (double)(long long)x;
    return i > x ? i - 1 : i;
}

/* ---- the stylesheet ---------------------------------------------------------- */

void sv_css(vml_text *t)
{
    unsigned i;

    vt_puts(t,
        "svg.chart{font:12px system-ui,sans-serif;background:#fff}"
        "svg .axis{stroke:#444;stroke-width:1;fill:none}"
        "svg .grid{stroke:#ddd;stroke-width:1}"
        "svg .series{fill:none;stroke-width:2}"
        "svg text{fill:#222}svg .note{fill:#666}"
        "svg .cell{stroke:none}svg .region{stroke:#333;stroke-width:.5}"
        "svg .free{fill:#f4f4f4;stroke:#bbb;stroke-dasharray:2 2}"
        "svg .edge{stroke:#777;stroke-width:1}"
        "svg .vadnode rect{stroke:#333;stroke-width:.5}"
        /* past the palette's 12 colours, series differ by their dashes */
        "svg .d1{stroke-dasharray:8 4}svg .d2{stroke-dasharray:2 3}"
        "svg .d3{stroke-dasharray:8 3 2 3}");
    for (i = 0; i < VW_N_COLOURS; i++)
        vml_text_printf(t, ".c%u{fill:%s}.series.c%u{stroke:%s;fill:none}", i,
                        vw_colour_css(i), i, vw_colour_css(i));
}

/* ---- documents ---------------------------------------------------------------- */

void sv_open(struct sv *s, const char *chart, const char *title, double w, double h)
{
    vml_text *t = s->t;

    if (s->standalone)
        vt_puts(t, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    vt_puts(t, "<svg class=\"chart\" data-chart=\"");
    sv_esc(t, chart);
    vt_puts(t, "\" role=\"img\" aria-label=\"");
    sv_esc(t, title);
    vt_puts(t, "\" width=\"");
    sv_num(t, w);
    vt_puts(t, "\" height=\"");
    sv_num(t, h);
    vt_puts(t, "\" viewBox=\"0 0 ");
    sv_num(t, w);
    vt_putc(t, ' ');
    sv_num(t, h);
    vt_putc(t, '"');
    if (s->standalone)
        vt_puts(t, " xmlns=\"http://www.w3.org/2000/svg\"");
    vt_puts(t, "><title>");
    sv_esc(t, title);
    vt_puts(t, "</title>");
    if (s->desc != NULL) {
        vt_puts(t, "<desc>");
        sv_esc(t, s->desc);
        vt_puts(t, "</desc>");
        s->desc = NULL;
    }
    if (s->standalone) {
        vt_puts(t, "<style>");
        sv_css(t);
        vt_puts(t, "</style>");
    }
    vt_putc(t, '\n');
}

void sv_close(struct sv *s)
{
    vt_puts(s->t, "</svg>\n");
}

static void text_at(vml_text *t, double x, double y, const char *anchor, const char *cls,
                    const char *s)
{
    vt_puts(t, "<text x=\"");
    sv_num(t, x);
    vt_puts(t, "\" y=\"");
    sv_num(t, y);
    vml_text_printf(t, "\" text-anchor=\"%s\"", anchor);
    if (cls != NULL)
        vml_text_printf(t, " class=\"%s\"", cls);
    vt_putc(t, '>');
    sv_esc(t, s);
    vt_puts(t, "</text>");
}

static void rect(vml_text *t, double x, double y, double w, double h, const char *cls)
{
    vt_puts(t, "<rect x=\"");
    sv_num(t, x);
    vt_puts(t, "\" y=\"");
    sv_num(t, y);
    vt_puts(t, "\" width=\"");
    sv_num(t, w);
    vt_puts(t, "\" height=\"");
    sv_num(t, h);
    vml_text_printf(t, "\" class=\"%s\"/>", cls);
}

static void line(vml_text *t, double x1, double y1, double x2, double y2, const char *cls)
{
    vt_puts(t, "<line x1=\"");
    sv_num(t, x1);
    vt_puts(t, "\" y1=\"");
    sv_num(t, y1);
    vt_puts(t, "\" x2=\"");
    sv_num(t, x2);
    vt_puts(t, "\" y2=\"");
    sv_num(t, y2);
    vml_text_printf(t, "\" class=\"%s\"/>", cls);
}

void sv_legend(struct sv *s, double x, double y, const char *cls, const char *label)
{
    rect(s->t, x, y - 9, 10, 10, cls);
    text_at(s->t, x + 14, y, "start", NULL, label);
}

/* An axis's label with its unit: "memory (frames)". */
static void axis_title(char *buf, size_t size, const struct sv_axis *a)
{
    if (a->unit != NULL && a->unit[0] != '\0')
        snprintf(buf, size, "%s (%s)", a->label ? a->label : "", a->unit);
    else
        snprintf(buf, size, "%s", a->label ? a->label : "");
}

/* ---- axes and ticks ------------------------------------------------------------ */

#define MAX_TICKS 12

/* Ticks of a linear axis: a step of 1, 2 or 5 times a power of ten, the
** range widened to whole steps.  Returns the number of ticks. */
static size_t lin_ticks(struct sv_axis *a, double *ticks)
{
    double range = a->hi - a->lo, raw, mag = 1, step, v;
    size_t n = 0;

    if (!(range > 0)) {
        a->hi = a->lo + 1;
        range = 1;
    }
    raw = range / 5;
    while (mag * 10 <= raw)
        mag *= 10;
    while (mag > raw)
        mag /= 10;
    step = raw / mag <= 1 ? mag : raw / mag <= 2 ? 2 * mag : raw / mag <= 5 ? 5 * mag : 10 * mag;
    a->lo = floor_d(a->lo / step) * step;
    a->hi = -floor_d(-a->hi / step) * step;
    for (v = a->lo; v <= a->hi + step / 2 && n < MAX_TICKS; v += step)
        ticks[n++] = v;
    return n;
}

static size_t log_ticks(struct sv_axis *a, double *ticks)
{
    double v = 1;
    size_t n = 0;

    if (!(a->lo > 0))
        a->lo = 1;
    if (!(a->hi > a->lo))
        a->hi = a->lo * 10;
    while (v > a->lo)
        v /= 10;
    while (v * 10 <= a->lo)
        v *= 10;
    a->lo = v;
    for (; n < MAX_TICKS; v *= 10) {
        ticks[n++] = v;
        if (v >= a->hi)
            break;
    }
    a->hi = ticks[n - 1];
    return n;
}

static double axis_pos(const struct sv_axis *a, double v, double from, double len)
{
    double f;

    if (a->log) {
        double lo = sv_log10(a->lo), hi = sv_log10(a->hi);
        f = hi > lo ? (sv_log10(v > 0 ? v : a->lo) - lo) / (hi - lo) : 0;
    } else {
        f = a->hi > a->lo ? (v - a->lo) / (a->hi - a->lo) : 0;
    }
    return from + f * len;
}

/* ---- line plots -------------------------------------------------------------- */

#define PL_W 680.0
#define PL_H 300.0
#define PL_L 70.0
/* A series' classes: its colour, and past the palette a dash pattern
** (solid, dashed, dotted, dash-dot), so 48 series stay apart. */
static const char *series_class(char *buf, size_t size, unsigned colour)
{
    unsigned dash = (colour / VW_N_COLOURS) % 4;

    if (dash == 0)
        snprintf(buf, size, "c%u", colour % VW_N_COLOURS);
    else
        snprintf(buf, size, "c%u d%u", colour % VW_N_COLOURS, dash);
    return buf;
}

/* A plot's legend entry: a stroke of the series' line, and its name. */
static void legend_line(struct sv *s, double x, double y, const char *cls, const char *label)
{
    char c[24];

    snprintf(c, sizeof c, "series %s", cls);
    line(s->t, x, y - 4, x + 18, y - 4, c);
    text_at(s->t, x + 22, y, "start", NULL, label);
}

#define PL_R 20.0
#define PL_T 28.0
#define PL_B 48.0

void sv_plot(struct sv *s, const char *chart, const char *title, struct sv_axis *x,
             struct sv_axis *y, const struct sv_series *ser, size_t n, unsigned flags)
{
    vml_text *t = s->t;
    double xt[MAX_TICKS], yt[MAX_TICKS], pw = PL_W - PL_L - PL_R, ph = PL_H - PL_T - PL_B;
    size_t nx, ny, i, k, legend_rows = (n + 2) / 3;
    double h = PL_H + (double)legend_rows * 18 + 6;
    char buf[160], cls[16];

    nx = x->log ? log_ticks(x, xt) : lin_ticks(x, xt);
    ny = y->log ? log_ticks(y, yt) : lin_ticks(y, yt);
    sv_open(s, chart, title, PL_W, h);
    text_at(t, PL_W / 2, 16, "middle", NULL, title);
    for (i = 0; i < ny; i++) {
        double py = axis_pos(y, yt[i], PL_T + ph, -ph);
        line(t, PL_L, py, PL_L + pw, py, "grid");
        vt_puts(t, "<text x=\"");
        sv_num(t, PL_L - 6);
        vt_puts(t, "\" y=\"");
        sv_num(t, py + 4);
        vt_puts(t, "\" text-anchor=\"end\">");
        tick_label(t, yt[i]);
        vt_puts(t, "</text>");
    }
    for (i = 0; i < nx; i++) {
        double px = axis_pos(x, xt[i], PL_L, pw);
        line(t, px, PL_T + ph, px, PL_T + ph + 4, "axis");
        vt_puts(t, "<text x=\"");
        sv_num(t, px);
        vt_puts(t, "\" y=\"");
        sv_num(t, PL_T + ph + 16);
        vt_puts(t, "\" text-anchor=\"middle\">");
        tick_label(t, xt[i]);
        vt_puts(t, "</text>");
    }
    vt_puts(t, "<path class=\"axis\" d=\"M");
    sv_num(t, PL_L);
    vt_putc(t, ' ');
    sv_num(t, PL_T);
    vt_puts(t, "V");
    sv_num(t, PL_T + ph);
    vt_puts(t, "H");
    sv_num(t, PL_L + pw);
    vt_puts(t, "\"/>");
    axis_title(buf, sizeof buf, x);
    text_at(t, PL_L + pw / 2, PL_T + ph + 34, "middle", NULL, buf);
    axis_title(buf, sizeof buf, y);
    vt_puts(t, "<text transform=\"translate(14 ");
    sv_num(t, PL_T + ph / 2);
    vt_puts(t, ") rotate(-90)\" text-anchor=\"middle\">");
    sv_esc(t, buf);
    vt_puts(t, "</text>\n");
    for (k = 0; k < n; k++) {
        const struct sv_series *se = &ser[k];
        vml_text_printf(t, "<polyline class=\"series %s\" data-series=\"",
                        series_class(cls, sizeof cls, se->colour));
        sv_esc(t, se->name);
        vt_puts(t, "\" points=\"");
        for (i = 0; i < se->n; i++) {
            double px = axis_pos(x, se->x[i], PL_L, pw);
            double py = axis_pos(y, se->y[i], PL_T + ph, -ph);
            if ((flags & SV_STEP) && i > 0) {
                sv_num(t, px);
                vt_putc(t, ',');
                sv_num(t, axis_pos(y, se->y[i - 1], PL_T + ph, -ph));
                vt_putc(t, ' ');
            }
            sv_num(t, px);
            vt_putc(t, ',');
            sv_num(t, py);
            if (i + 1 < se->n)
                vt_putc(t, ' ');
        }
        vt_puts(t, "\"><title>");
        sv_esc(t, se->name);
        vt_puts(t, "</title></polyline>\n");
    }
    for (k = 0; k < n; k++)
        legend_line(s, PL_L + (double)(k % 3) * 200, PL_H + 6 + (double)(k / 3) * 18,
                    series_class(cls, sizeof cls, ser[k].colour), ser[k].name);
    sv_close(s);
}

/* ---- bars --------------------------------------------------------------------- */

void sv_stacked(struct sv *s, const char *chart, const char *title, const char *unit,
                const char *const *row_names, size_t n_rows, const char *const *part_names,
                const unsigned *part_colour, size_t n_parts, const uint64_t *values)
{
    vml_text *t = s->t;
    const double w = 680, left = 130, right = 20, row_h = 22, top = 28;
    double bw = w - left - right, ticks[MAX_TICKS];
    struct sv_axis a = { 0, 0, 0, NULL, NULL };
    size_t r, p, nt, legend_rows = (n_parts + 3) / 4;
    double h = top + (double)n_rows * row_h + 40 + (double)legend_rows * 18;
    char cls[16];

    for (r = 0; r < n_rows; r++) {
        uint64_t sum = 0;
        for (p = 0; p < n_parts; p++)
            sum += values[r * n_parts + p];
        if ((double)sum > a.hi)
            a.hi = (double)sum;
    }
    nt = lin_ticks(&a, ticks);
    sv_open(s, chart, title, w, h);
    text_at(t, w / 2, 16, "middle", NULL, title);
    for (p = 0; p < nt; p++) {
        double x = axis_pos(&a, ticks[p], left, bw);
        line(t, x, top, x, top + (double)n_rows * row_h, "grid");
        vt_puts(t, "<text x=\"");
        sv_num(t, x);
        vt_puts(t, "\" y=\"");
        sv_num(t, top + (double)n_rows * row_h + 14);
        vt_puts(t, "\" text-anchor=\"middle\">");
        tick_label(t, ticks[p]);
        vt_puts(t, "</text>");
    }
    text_at(t, left + bw / 2, top + (double)n_rows * row_h + 30, "middle", NULL, unit);
    for (r = 0; r < n_rows; r++) {
        double x = left, y = top + (double)r * row_h + 3;
        text_at(t, left - 6, y + 13, "end", NULL, row_names[r]);
        for (p = 0; p < n_parts; p++) {
            uint64_t v = values[r * n_parts + p];
            double len = axis_pos(&a, (double)v, 0, bw);
            if (v == 0)
                continue;
            snprintf(cls, sizeof cls, "c%u", part_colour[p] % VW_N_COLOURS);
            vt_puts(t, "<rect class=\"part ");
            vt_puts(t, cls);
            vt_puts(t, "\" x=\"");
            sv_num(t, x);
            vt_puts(t, "\" y=\"");
            sv_num(t, y);
            vt_puts(t, "\" width=\"");
            sv_num(t, len);
            vt_puts(t, "\" height=\"16\"><title>");
            sv_esc(t, row_names[r]);
            vt_puts(t, ", ");
            sv_esc(t, part_names[p]);
            vml_text_printf(t, ": %llu</title></rect>", (unsigned long long)v);
            x += len;
        }
        vt_putc(t, '\n');
    }
    line(t, left, top, left, top + (double)n_rows * row_h, "axis");
    for (p = 0; p < n_parts; p++) {
        snprintf(cls, sizeof cls, "c%u", part_colour[p] % VW_N_COLOURS);
        sv_legend(s, left + (double)(p % 4) * 130, top + (double)n_rows * row_h + 52 +
                  (double)(p / 4) * 18, cls, part_names[p]);
    }
    sv_close(s);
}

void sv_bars(struct sv *s, const char *chart, const char *title, const char *x_label,
             const char *y_label, const char *const *names, const uint64_t *values, size_t n,
             unsigned colour)
{
    vml_text *t = s->t;
    const double w = 420, h = 260, left = 60, bottom = 48, top = 28;
    double pw = w - left - 10, ph = h - top - bottom, ticks[MAX_TICKS], slot;
    struct sv_axis a = { 0, 0, 0, NULL, NULL };
    size_t i, nt;
    char cls[16];

    for (i = 0; i < n; i++)
        if ((double)values[i] > a.hi)
            a.hi = (double)values[i];
    nt = lin_ticks(&a, ticks);
    slot = n ? pw / (double)n : pw;
    snprintf(cls, sizeof cls, "bar c%u", colour % VW_N_COLOURS);
    sv_open(s, chart, title, w, h);
    text_at(t, w / 2, 16, "middle", NULL, title);
    for (i = 0; i < nt; i++) {
        double y = axis_pos(&a, ticks[i], top + ph, -ph);
        line(t, left, y, left + pw, y, "grid");
        vt_puts(t, "<text x=\"");
        sv_num(t, left - 6);
        vt_puts(t, "\" y=\"");
        sv_num(t, y + 4);
        vt_puts(t, "\" text-anchor=\"end\">");
        tick_label(t, ticks[i]);
        vt_puts(t, "</text>");
    }
    for (i = 0; i < n; i++) {
        double y = axis_pos(&a, (double)values[i], top + ph, -ph);
        vt_puts(t, "<rect class=\"");
        vt_puts(t, cls);
        vt_puts(t, "\" x=\"");
        sv_num(t, left + (double)i * slot + slot * 0.15);
        vt_puts(t, "\" y=\"");
        sv_num(t, y);
        vt_puts(t, "\" width=\"");
        sv_num(t, slot * 0.7);
        vt_puts(t, "\" height=\"");
        sv_num(t, top + ph - y);
        vt_puts(t, "\"><title>");
        sv_esc(t, names[i]);
        vml_text_printf(t, ": %llu</title></rect>", (unsigned long long)values[i]);
        text_at(t, left + ((double)i + 0.5) * slot, top + ph + 14, "middle", NULL, names[i]);
    }
    line(t, left, top + ph, left + pw, top + ph, "axis");
    line(t, left, top, left, top + ph, "axis");
    text_at(t, left + pw / 2, top + ph + 32, "middle", NULL, x_label);
    vt_puts(t, "<text transform=\"translate(14 ");
    sv_num(t, top + ph / 2);
    vt_puts(t, ") rotate(-90)\" text-anchor=\"middle\">");
    sv_esc(t, y_label);
    vt_puts(t, "</text>\n");
    sv_close(s);
}
