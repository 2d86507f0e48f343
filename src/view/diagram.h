/*
** diagram.h -- helpers of the terminal diagrams (diagram.c) shared by
** diag_walk.c, diag_space.c and diag_mem.c: checked options, boxes of
** word-wrapped lines, and the end of every diagram (render, VW5-VW8).
**
** Every vml_diagram_* function keeps the views' invariants VW5-VW8 of
** view.h (checks before output, nothing appended on failure, VML_E_NOMEM
** on oom) and draws only what its model holds.
*/
#ifndef VML_VIEW_DIAGRAM_H
#define VML_VIEW_DIAGRAM_H

#include <stddef.h>
#include <stdint.h>

#include "view/canvas.h"
#include "view/model.h"

/* Colours of the diagrams: palette index + 1 (0 none). */
#define DG_C(i)    ((i) + 1u)
#define DG_FRAME   DG_C(4)      /* boxes of tables and frames */
#define DG_STOP    DG_C(5)      /* where a walk stops */
#define DG_NOTE    DG_C(7)      /* grey: secondary text */
#define DG_OK      DG_C(2)

#define DG_MAX_LINES 24
#define DG_LINE      256

/* Lines of a box, each with a colour. */
struct dg_lines {
    char     text[DG_MAX_LINES][DG_LINE];
    unsigned colour[DG_MAX_LINES];
    size_t   n;
};
void dg_add(struct dg_lines *l, unsigned colour, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
/* Rows a box of width w needs for l (lines wrapped at words). */
size_t dg_box_rows(unsigned w, const struct dg_lines *l);
/* Draws the box at (x, y); returns the row after it. */
size_t dg_box(struct canvas *c, long x, size_t y, unsigned w, const char *title,
              unsigned colour, const struct dg_lines *l);
/* A downward connector with an arrow head: rows y .. y + 1. */
void   dg_arrow_down(struct canvas *c, long x, size_t y, unsigned colour);

/* Checks o (NULL: the defaults) and out, starts the canvas. */
vml_status dg_begin(struct canvas *c, const vml_diagram_opts *o, const vml_text *out);
/* Renders, frees the canvas, and returns the status (VW6, VW8). */
vml_status dg_end(struct canvas *c, vml_text *out);

/* "0x7ffff7ffd000" */
const char *dg_hex(uint64_t v, char *buf, size_t size);

#endif /* VML_VIEW_DIAGRAM_H */
