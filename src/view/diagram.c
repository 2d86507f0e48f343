/*
** diagram.c -- what every terminal diagram shares (diagram.h): options,
** boxes of word-wrapped lines, connectors, and the final rendering.
*/
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "view/diagram.h"
#include "view/view.h"

void dg_add(struct dg_lines *l, unsigned colour, const char *fmt, ...)
{
    va_list ap;

    if (l->n == DG_MAX_LINES)
        return;
    va_start(ap, fmt);
    vsnprintf(l->text[l->n], DG_LINE, fmt, ap);
    va_end(ap);
    l->colour[l->n++] = colour;
}

/* The length in bytes of the next piece of s that fits in `inner`
** columns, cut at a blank when there is one; *skip: blanks after it. */
static size_t wrap_piece(const char *s, unsigned inner, size_t *skip)
{
    size_t i = 0, cut = 0, cols = 0;

    *skip = 0;
    while (s[i] != '\0' && cols < inner) {
        if (s[i] == ' ')
            cut = i;
        i++;
        while ((s[i] & 0xC0) == 0x80)        /* the rest of a UTF-8 sequence */
            i++;
        cols++;
    }
    if (s[i] == '\0')
        return i;
    if (s[i] == ' ')
        cut = i;
    if (cut == 0)
        return i;                             /* one long word: cut it */
    *skip = 1;
    return cut;
}

static size_t line_rows(const char *s, unsigned inner)
{
    size_t rows = 0, skip;

    do {
        s += wrap_piece(s, inner, &skip);
        s += skip;
        rows++;
    } while (*s != '\0');
    return rows;
}

size_t dg_box_rows(unsigned w, const struct dg_lines *l)
{
    size_t rows = 2;
    unsigned inner = w > 4 ? w - 4 : 1;

    for (size_t i = 0; i < l->n; i++)
        rows += line_rows(l->text[i], inner);
    return rows;
}

size_t dg_box(struct canvas *c, long x, size_t y, unsigned w, const char *title,
              unsigned colour, const struct dg_lines *l)
{
    size_t rows = dg_box_rows(w, l), row = y + 1, skip;
    unsigned inner = w > 4 ? w - 4 : 1;
    char piece[DG_LINE];

    cv_box(c, x, y, w, rows, title, colour);
    for (size_t i = 0; i < l->n; i++) {
        const char *s = l->text[i];
        do {
            size_t n = wrap_piece(s, inner, &skip);
            memcpy(piece, s, n);
            piece[n] = '\0';
            cv_text(c, x + 2, row++, piece, inner, l->colour[i]);
            s += n + skip;
        } while (*s != '\0');
    }
    return y + rows;
}

void dg_arrow_down(struct canvas *c, long x, size_t y, unsigned colour)
{
    cv_line_at(c, x, y, CV_UP | CV_DOWN, colour);
    cv_put(c, x, y + 1, CV_G_ARROW_DOWN, colour);
}

vml_status dg_begin(struct canvas *c, const vml_diagram_opts *o, const vml_text *out)
{
    static const vml_diagram_opts defaults = { 0, 80 };

    if (out == NULL)
        return VML_E_INVALID;
    if (o == NULL)
        o = &defaults;
    if (o->flags & ~(VML_DIAG_ASCII | VML_DIAG_COLOR))
        return VML_E_INVALID;
    return cv_init(c, o);
}

vml_status dg_end(struct canvas *c, vml_text *out)
{
    size_t mark = out->len;
    char msg[160];

    if (c->oom) {
        cv_free(c);
        return VML_E_NOMEM;
    }
    if (cv_check(c, msg, sizeof msg)) {
        cv_free(c);
        return VML_E_CORRUPT;
    }
    cv_render(c, out);
    cv_free(c);
    if (out->oom) {
        vt_rollback(out, mark);
        return VML_E_NOMEM;
    }
    return VML_OK;
}

const char *dg_hex(uint64_t v, char *buf, size_t size)
{
    snprintf(buf, size, "0x%llx", (unsigned long long)v);
    return buf;
}
