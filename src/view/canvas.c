/*
** canvas.c -- the terminal diagrams' grid of cells (canvas.h: DG1-DG3).
**
** TRANSITIONS: none; a canvas is drawn on, rendered once, and freed.
*/
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "view/canvas.h"
#include "view/model.h"
#include "view/view.h"

#define CV_MIN_WIDTH 40u
#define CV_MAX_WIDTH 1000u
#define CV_MAX_ROWS  100000u

vml_status cv_init(struct canvas *c, const vml_diagram_opts *o)
{
    memset(c, 0, sizeof *c);
    c->width = o->width ? o->width : 80;
    c->flags = o->flags;
    if (c->width < CV_MIN_WIDTH || c->width > CV_MAX_WIDTH)
        return VML_E_RANGE;
    return VML_OK;
}

void cv_free(struct canvas *c)
{
    free(c->cells);
    c->cells = NULL;
    c->n_rows = c->cap_rows = 0;
}

void cv_rows(struct canvas *c, size_t y)
{
    if (y < c->n_rows || c->oom)
        return;
    if (y >= CV_MAX_ROWS) {
        c->oom = 1;
        return;
    }
    if (y >= c->cap_rows) {
        size_t cap = c->cap_rows ? c->cap_rows : 32;
        struct cv_cell *n;
        while (cap <= y)
            cap *= 2;
        n = realloc(c->cells, cap * c->width * sizeof *n);
        if (n == NULL) {
            c->oom = 1;
            return;
        }
        c->cells = n;
        c->cap_rows = cap;
    }
    memset(&c->cells[c->n_rows * c->width], 0, (y + 1 - c->n_rows) * c->width * sizeof *c->cells);
    c->n_rows = y + 1;
}

/* DG1: the cell at (x, y), or NULL outside. */
static struct cv_cell *cell(struct canvas *c, long x, size_t y)
{
    if (x < 0 || (unsigned long)x >= c->width)
        return NULL;
    cv_rows(c, y);
    if (c->oom)
        return NULL;
    return &c->cells[y * c->width + (size_t)x];
}

void cv_put(struct canvas *c, long x, size_t y, uint32_t cp, unsigned colour)
{
    struct cv_cell *e = cell(c, x, y);
    if (e == NULL)
        return;
    e->cp = cp;
    e->lines = 0;               /* DG3 */
    e->colour = (uint8_t)(colour <= VW_N_COLOURS ? colour : 0);
}

void cv_bold(struct canvas *c, long x, size_t y, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        struct cv_cell *e = cell(c, x + (long)i, y);
        if (e != NULL)
            e->bold = 1;
    }
}

/* The next code point of UTF-8 text (U+FFFD for a bad sequence). */
static uint32_t utf8_next(const char **sp)
{
    const unsigned char *s = (const unsigned char *)*sp;
    uint32_t cp;
    int n, i;

    if (s[0] < 0x80) {
        *sp += 1;
        return s[0] < 0x20 || s[0] == 0x7F ? 0xFFFDu : s[0];
    }
    if ((s[0] & 0xE0) == 0xC0) { cp = s[0] & 0x1Fu; n = 1; }
    else if ((s[0] & 0xF0) == 0xE0) { cp = s[0] & 0x0Fu; n = 2; }
    else if ((s[0] & 0xF8) == 0xF0) { cp = s[0] & 0x07u; n = 3; }
    else { *sp += 1; return 0xFFFDu; }
    for (i = 1; i <= n; i++) {
        if ((s[i] & 0xC0) != 0x80) {
            *sp += (size_t)i;
            return 0xFFFDu;
        }
        cp = cp << 6 | (s[i] & 0x3Fu);
    }
    *sp += (size_t)n + 1;
    if (cp < 0x80 || (cp >= 0xD800 && cp < 0xE000) || cp > 0x10FFFF)
        return 0xFFFDu;
    return cp;
}

unsigned cv_width(const char *s)
{
    unsigned n = 0;
    while (*s) {
        utf8_next(&s);
        n++;
    }
    return n;
}

unsigned cv_text(struct canvas *c, long x, size_t y, const char *s, unsigned max,
                 unsigned colour)
{
    unsigned n = 0, w = cv_width(s);
    if (max == 0)
        return 0;
    while (*s && n < max) {
        uint32_t cp = utf8_next(&s);
        if (w > max && n + 1 == max)
            cp = CV_G_ELLIPSIS;         /* cut: the last column says so */
        cv_put(c, x + (long)n, y, cp, colour);
        n++;
    }
    return n;
}

unsigned cv_textf(struct canvas *c, long x, size_t y, unsigned max, unsigned colour,
                  const char *fmt, ...)
{
    char buf[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    return cv_text(c, x, y, buf, max, colour);
}

void cv_line_at(struct canvas *c, long x, size_t y, unsigned sides, unsigned colour)
{
    struct cv_cell *e = cell(c, x, y);
    if (e == NULL)
        return;
    if (e->lines == 0)
        e->cp = 0;
    e->lines = (uint8_t)(e->lines | sides);
    if (colour)
        e->colour = (uint8_t)(colour <= VW_N_COLOURS ? colour : 0);
}

void cv_hline(struct canvas *c, long x0, long x1, size_t y, unsigned colour)
{
    for (long x = x0; x <= x1; x++)
        cv_line_at(c, x, y, (x > x0 ? CV_LEFT : 0u) | (x < x1 ? CV_RIGHT : 0u), colour);
}

void cv_vline(struct canvas *c, long x, size_t y0, size_t y1, unsigned colour)
{
    for (size_t y = y0; y <= y1; y++)
        cv_line_at(c, x, y, (y > y0 ? CV_UP : 0u) | (y < y1 ? CV_DOWN : 0u), colour);
}

void cv_box(struct canvas *c, long x, size_t y, unsigned w, size_t h, const char *title,
            unsigned colour)
{
    long x1 = x + (long)w - 1;
    size_t y1 = y + h - 1;

    if (w < 2 || h < 2)
        return;
    cv_hline(c, x, x1, y, colour);
    cv_hline(c, x, x1, y1, colour);
    cv_vline(c, x, y, y1, colour);
    cv_vline(c, x1, y, y1, colour);
    if (title != NULL && title[0] != '\0' && w > 6) {
        unsigned n = cv_text(c, x + 2, y, " ", 1, colour);
        n += cv_text(c, x + 2 + (long)n, y, title, w - 6, colour);
        cv_text(c, x + 2 + (long)n, y, " ", 1, colour);
    }
}

/* ---- rendering ------------------------------------------------------------- */

static const char *const glyph_utf8[CV_N_GLYPHS] = {
    [CV_G_ARROW_DOWN] = "\u25BC", [CV_G_ARROW_UP] = "\u25B2", [CV_G_ARROW_RIGHT] = "\u25B6",
    [CV_G_ARROW_LEFT] = "\u25C0", [CV_G_BLOCK] = "\u2588",    [CV_G_SHADE] = "\u2591",
    [CV_G_ELLIPSIS] = "\u2026",   [CV_G_VDOTS] = "\u22EE",     [CV_G_CROSS] = "\u2717",
    [CV_G_DOT] = "\u00B7",        [CV_G_TIMES] = "\u00D7",
};
static const char glyph_ascii[CV_N_GLYPHS] = {
    [CV_G_ARROW_DOWN] = 'v', [CV_G_ARROW_UP] = '^', [CV_G_ARROW_RIGHT] = '>',
    [CV_G_ARROW_LEFT] = '<', [CV_G_BLOCK] = '#',    [CV_G_SHADE] = '.',
    [CV_G_ELLIPSIS] = '~',   [CV_G_VDOTS] = ':',     [CV_G_CROSS] = 'X',
    [CV_G_DOT] = '.',        [CV_G_TIMES] = 'x',
};

/* Box drawing by sides (up, down, left, right): light and heavy. */
static const char *const lines_light[16] = {
    " ", "\u2575", "\u2577", "\u2502", "\u2574", "\u2518", "\u2510", "\u2524",
    "\u2576", "\u2514", "\u250C", "\u251C", "\u2500", "\u2534", "\u252C", "\u253C",
};
static const char *const lines_heavy[16] = {
    " ", "\u2579", "\u257B", "\u2503", "\u2578", "\u251B", "\u2513", "\u252B",
    "\u257A", "\u2517", "\u250F", "\u2523", "\u2501", "\u253B", "\u2533", "\u254B",
};

static void put_utf8(vml_text *out, uint32_t cp)
{
    char b[4];
    size_t n;
    if (cp < 0x80) { b[0] = (char)cp; n = 1; }
    else if (cp < 0x800) { b[0] = (char)(0xC0 | cp >> 6); b[1] = (char)(0x80 | (cp & 0x3F)); n = 2; }
    else if (cp < 0x10000) {
        b[0] = (char)(0xE0 | cp >> 12); b[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        b[2] = (char)(0x80 | (cp & 0x3F)); n = 3;
    } else {
        b[0] = (char)(0xF0 | cp >> 18); b[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        b[2] = (char)(0x80 | ((cp >> 6) & 0x3F)); b[3] = (char)(0x80 | (cp & 0x3F)); n = 4;
    }
    vml_text_append(out, b, n);
}

static void render_cell(const struct canvas *c, const struct cv_cell *e, vml_text *out)
{
    int ascii = (c->flags & VML_DIAG_ASCII) != 0;

    if (e->lines) {
        unsigned s = e->lines & 0xFu;
        if (!ascii) {
            vt_puts(out, (e->lines & CV_HEAVY) ? lines_heavy[s] : lines_light[s]);
            return;
        }
        if (s == CV_LEFT || s == CV_RIGHT || s == (CV_LEFT | CV_RIGHT))
            vt_putc(out, (e->lines & CV_HEAVY) ? '=' : '-');
        else if (s == CV_UP || s == CV_DOWN || s == (CV_UP | CV_DOWN))
            vt_putc(out, (e->lines & CV_HEAVY) ? '#' : '|');
        else
            vt_putc(out, '+');
        return;
    }
    if (e->cp == 0) {
        vt_putc(out, ' ');
    } else if (e->cp < CV_N_GLYPHS) {
        if (ascii)
            vt_putc(out, glyph_ascii[e->cp]);
        else
            vt_puts(out, glyph_utf8[e->cp]);
    } else if (ascii && e->cp >= 0x80) {
        vt_putc(out, '?');
    } else {
        put_utf8(out, e->cp);
    }
}

void cv_render(const struct canvas *c, vml_text *out)
{
    int colour = (c->flags & VML_DIAG_COLOR) != 0;

    for (size_t y = 0; y < c->n_rows; y++) {
        const struct cv_cell *row = &c->cells[y * c->width];
        unsigned end = c->width, cur = 0, bold = 0;
        while (end > 0 && row[end - 1].cp == 0 && row[end - 1].lines == 0)
            end--;
        for (unsigned x = 0; x < end; x++) {
            const struct cv_cell *e = &row[x];
            unsigned want = e->cp == 0 && e->lines == 0 ? 0 : e->colour;
            unsigned want_bold = e->cp != 0 && e->bold;
            if (colour && (want != cur || want_bold != bold)) {
                vt_puts(out, "\x1b[0m");
                if (want_bold)
                    vt_puts(out, "\x1b[1m");
                if (want)
                    vml_text_printf(out, "\x1b[%um", vw_colour_ansi(want - 1));
                cur = want;
                bold = want_bold;
            }
            render_cell(c, e, out);
        }
        if (colour && (cur || bold))
            vt_puts(out, "\x1b[0m");        /* DG2 */
        vt_putc(out, '\n');
    }
}

int cv_check(const struct canvas *c, char *msg, size_t size)
{
    if (c->n_rows > c->cap_rows || (c->n_rows && c->cells == NULL))
        return snprintf(msg, size, "DG1: %zu rows, room for %zu", c->n_rows, c->cap_rows) >= 0;
    for (size_t i = 0; i < c->n_rows * c->width; i++) {
        const struct cv_cell *e = &c->cells[i];
        if ((e->lines && e->cp) || e->colour > VW_N_COLOURS)
            return snprintf(msg, size, "DG3: cell %zu holds %#x and lines %#x, colour %u", i,
                            e->cp, e->lines, e->colour) >= 0;
    }
    return 0;
}
