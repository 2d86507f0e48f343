/*
** canvas.h -- a grid of character cells the terminal diagrams draw on
** (canvas.c), rendered as box drawing (Unicode) or plain ASCII, with or
** without ANSI colours.
**
** Lines are not characters but connections: a cell records which of its
** four sides a line leaves by, and rendering picks the glyph (─ │ ┌ ┼ ...,
** or - | +), so boxes and connectors that meet join by themselves.
**
** INVARIANTS (checked by cv_check()):
**   DG1  Every cell lies inside the canvas: width columns, n_rows rows;
**        drawing outside is clipped, never written.
**   DG2  A rendered line has at most width columns and no trailing blank;
**        colour sequences open and close on the same line.
**   DG3  A cell holds a character or line sides, not both (the last
**        drawing wins); a colour index is below VW_N_COLOURS + 1.
*/
#ifndef VML_VIEW_CANVAS_H
#define VML_VIEW_CANVAS_H

#include <stddef.h>
#include <stdint.h>

#include "vmlab.h"

#define CV_UP    0x1u
#define CV_DOWN  0x2u
#define CV_LEFT  0x4u
#define CV_RIGHT 0x8u
#define CV_HEAVY 0x10u      /* a heavy line (━ ┃ ...; ASCII = and #) */

/* Glyphs with an ASCII stand-in: code points below 0x20 name them. */
enum cv_glyph {
    CV_G_ARROW_DOWN = 1, CV_G_ARROW_UP, CV_G_ARROW_RIGHT, CV_G_ARROW_LEFT,
    CV_G_BLOCK, CV_G_SHADE, CV_G_ELLIPSIS, CV_G_VDOTS, CV_G_CROSS, CV_G_DOT,
    CV_G_TIMES, CV_N_GLYPHS
};

struct cv_cell {
    uint32_t cp;            /* a code point, or an enum cv_glyph; 0 blank */
    uint8_t  lines;         /* CV_UP|... when the cell is a line */
    uint8_t  colour;        /* 0 none, else palette index + 1 */
    uint8_t  bold;
};

struct canvas {
    unsigned width;
    unsigned flags;         /* VML_DIAG_* */
    size_t   n_rows, cap_rows;
    struct cv_cell *cells;
    int      oom;
};

/* VML_E_RANGE for a width under 40 or over 1000 (0 means 80). */
vml_status cv_init(struct canvas *c, const vml_diagram_opts *o);
void       cv_free(struct canvas *c);
/* Makes sure rows 0..y exist (drawing does it too). */
void       cv_rows(struct canvas *c, size_t y);

void     cv_put(struct canvas *c, long x, size_t y, uint32_t cp, unsigned colour);
/* Writes UTF-8 text at (x, y), at most max columns (cut with an ellipsis);
** returns the columns written. */
unsigned cv_text(struct canvas *c, long x, size_t y, const char *s, unsigned max,
                 unsigned colour);
unsigned cv_textf(struct canvas *c, long x, size_t y, unsigned max, unsigned colour,
                  const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 6, 7)))
#endif
    ;
/* Adds line sides to a cell (joining whatever is there). */
void cv_line_at(struct canvas *c, long x, size_t y, unsigned sides, unsigned colour);
void cv_hline(struct canvas *c, long x0, long x1, size_t y, unsigned colour);
void cv_vline(struct canvas *c, long x, size_t y0, size_t y1, unsigned colour);
/* A box with its corners at (x, y) and (x + w - 1, y + h - 1); an optional
** title in its top edge. */
void cv_box(struct canvas *c, long x, size_t y, unsigned w, size_t h, const char *title,
            unsigned colour);
void cv_bold(struct canvas *c, long x, size_t y, unsigned n);

/* Appends the canvas to out (DG2). */
void cv_render(const struct canvas *c, vml_text *out);
/* The columns a UTF-8 string takes (one per code point). */
unsigned cv_width(const char *s);
int  cv_check(const struct canvas *c, char *msg, size_t size);

#endif /* VML_VIEW_CANVAS_H */
