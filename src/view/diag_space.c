/*
** diag_space.c -- `diagram space` (the address space as the seeds draw
** it, 000 §二 and 002: high addresses on top, the kernel half, the user
** regions by kind with their sizes, gaps compressed to one row) and
** `diagram vad` (the VAD tree with each node's height and balance), both
** from the VAD model (model_vad.c) that !vad renders.
*/
#include <stdio.h>
#include <string.h>

#include "view/diagram.h"
#include "view/view.h"

#define ADDR_W 18u           /* "0x" and 16 hex digits (10 on 32-bit modes) */
#define SIZE_W 10u

/* One band of the drawing, top to bottom. */
struct band {
    vml_va   start;          /* its first address (the label below it) */
    uint64_t bytes;          /* 0: 2^64 (the whole of a 64-bit half) */
    char     text[DG_LINE];
    char     more[DG_LINE];  /* a second row ("" none) */
    unsigned colour;
    int      gap;            /* a compressed gap: drawn with a vertical ellipsis */
};

struct space {
    struct canvas *c;
    size_t   y;
    unsigned box_w;
    unsigned addr_w;         /* the address column */
    int      wide;
};

static void label_addr(struct space *s, size_t y, vml_va a)
{
    char buf[32];
    if (s->wide)
        snprintf(buf, sizeof buf, "0x%016llx", (unsigned long long)a);
    else
        snprintf(buf, sizeof buf, "0x%08llx", (unsigned long long)a);
    cv_text(s->c, (long)(s->addr_w - strlen(buf)), y, buf, s->addr_w, DG_NOTE);
}

/* A band's row and the separator under it (labelled with its start). */
static void draw_band(struct space *s, const struct band *b, int last)
{
    struct canvas *c = s->c;
    long x0 = (long)s->addr_w + 1, x1 = x0 + (long)s->box_w - 1;
    char size[32];
    unsigned inner = s->box_w - 4;

    cv_line_at(c, x0, s->y, CV_UP | CV_DOWN, 0);
    cv_line_at(c, x1, s->y, CV_UP | CV_DOWN, 0);
    if (b->gap) {
        cv_put(c, x0 + 2, s->y, CV_G_VDOTS, DG_NOTE);
        cv_text(c, x0 + 4, s->y, b->text, inner - 2, b->colour);
    } else {
        cv_text(c, x0 + 2, s->y, b->text, inner, b->colour);
    }
    if (b->bytes == 0)
        snprintf(size, sizeof size, "16 EiB");
    else
        vw_size(b->bytes, size, sizeof size);
    cv_text(c, x1 + 2, s->y, size, SIZE_W, b->gap ? DG_NOTE : 0);
    s->y++;
    if (b->more[0] != '\0') {
        cv_line_at(c, x0, s->y, CV_UP | CV_DOWN, 0);
        cv_line_at(c, x1, s->y, CV_UP | CV_DOWN, 0);
        cv_text(c, x0 + 2, s->y, b->more, inner, DG_NOTE);
        s->y++;
    }
    cv_hline(c, x0, x1, s->y, 0);
    cv_line_at(c, x0, s->y, CV_UP | (last ? 0 : CV_DOWN), 0);
    cv_line_at(c, x1, s->y, CV_UP | (last ? 0 : CV_DOWN), 0);
    label_addr(s, s->y, b->start);
    s->y++;
}

static void region_text(const struct vw_vad_row *r, struct band *b)
{
    char prot[96];
    const char *name = r->v.name && r->v.name[0] == '[' ? "" : r->name;
    const char *pn = vml_win_protect_name(r->protect, prot, sizeof prot);
    uint64_t pages = r->v.end_vpn - r->v.start_vpn + 1;
    uint64_t committed = r->v.type == VML_VAD_PRIVATE ? r->v.commit_pages : pages;

    snprintf(b->text, sizeof b->text, "%.31s  %.40s%s%.100s", r->kind.label,
             strncmp(pn, "PAGE_", 5) == 0 ? pn + 5 : pn, name[0] ? "  " : "", name);
    snprintf(b->more, sizeof b->more, "%llu page%s: %llu committed%s, %llu resident",
             (unsigned long long)pages, pages == 1 ? "" : "s", (unsigned long long)committed,
             committed == 0 ? " (reserved)" : "", (unsigned long long)(r->use.rss >> VML_PAGE_SHIFT));
}

static void gap_band(struct band *b, vml_va start, vml_va end_incl, const char *what)
{
    memset(b, 0, sizeof *b);
    b->start = start;
    b->bytes = end_incl - start + 1;
    b->gap = 1;
    b->colour = DG_NOTE;
    snprintf(b->text, sizeof b->text, "%s", what);
}

VML_API vml_status vml_diagram_space(vml_proc *p, const vml_diagram_opts *o, vml_text *out)
{
    struct vw_vad_model mdl;
    struct canvas c;
    struct space s;
    vml_layout lo;
    struct band b;
    vml_status st;
    size_t i;
    vml_va top_user, below;
    char buf[64];

    if (p == NULL)
        return VML_E_INVALID;
    st = dg_begin(&c, o, out);
    if (st != VML_OK)
        return st;
    st = vw_vad_build(p, VW_VAD_USAGE, &mdl);
    if (st != VML_OK)
        return st;
    vml_machine_layout(vml_proc_machine(p), &lo);
    s.c = &c;
    s.y = 0;
    s.wide = lo.va_bits > 32;
    s.addr_w = s.wide ? ADDR_W : 10;
    /* what the address and size columns leave, 72 at most; on a narrow
    ** canvas at least 14 (the size column is then cut) */
    s.box_w = c.width > s.addr_w + 2 + SIZE_W + 14 ? c.width - s.addr_w - 2 - SIZE_W : 14;
    if (s.box_w > 72)
        s.box_w = 72;

    cv_textf(&c, 0, s.y++, c.width, 0, "Address space of %s (pid %u): %u-bit addresses, "
             "%zu VAD%s", vml_proc_name(p), vml_proc_pid(p), lo.va_bits, mdl.n,
             mdl.n == 1 ? "" : "s");
    cv_text(&c, 0, s.y++, "high addresses on top; a line's address: where the region above it "
            "starts",
            c.width, DG_NOTE);
    label_addr(&s, s.y, s.wide ? UINT64_MAX : UINT32_MAX);
    cv_hline(&c, (long)s.addr_w + 1, (long)(s.addr_w + s.box_w), s.y, 0);
    cv_line_at(&c, (long)s.addr_w + 1, s.y, CV_DOWN, 0);
    cv_line_at(&c, (long)(s.addr_w + s.box_w), s.y, CV_DOWN, 0);
    s.y++;

    /* The kernel half, the hole between the halves, the no-access top. */
    memset(&b, 0, sizeof b);
    b.start = lo.kernel_base;
    b.bytes = (s.wide ? UINT64_MAX : UINT32_MAX) - lo.kernel_base + 1;
    b.colour = DG_C(8);
    snprintf(b.text, sizeof b.text, "kernel space: shared by every process");
    draw_band(&s, &b, 0);
    top_user = lo.kernel_base - 1;
    if (s.wide) {
        vml_va canon = UINT64_C(1) << (lo.va_bits - 1);
        gap_band(&b, canon, lo.kernel_base - 1, "non-canonical: no address here");
        draw_band(&s, &b, 0);
        top_user = canon - 1;
    }
    if (lo.user_highest < top_user) {
        gap_band(&b, lo.user_highest + 1, top_user, "no access (above the highest user address)");
        draw_band(&s, &b, 0);
    }
    /* User regions, high to low, with the free gaps between them. */
    below = lo.user_highest;
    for (i = mdl.n; i-- > 0;) {
        const struct vw_vad_row *r = &mdl.rows[i];
        vml_va start = r->v.start_vpn << VML_PAGE_SHIFT;
        vml_va end = ((r->v.end_vpn + 1) << VML_PAGE_SHIFT) - 1;
        if (end < below) {
            gap_band(&b, end + 1, below, "free");
            draw_band(&s, &b, 0);
        }
        memset(&b, 0, sizeof b);
        b.start = start;
        b.bytes = end - start + 1;
        b.colour = DG_C(r->kind.colour);
        region_text(r, &b);
        draw_band(&s, &b, 0);
        below = start - 1;
    }
    if (below >= lo.user_lowest) {
        gap_band(&b, lo.user_lowest, below, "free");
        draw_band(&s, &b, 0);
    }
    gap_band(&b, 0, lo.user_lowest - 1, "no access: the NULL-pointer region");
    draw_band(&s, &b, 1);
    cv_textf(&c, 0, s.y++, c.width, DG_NOTE, "user space ends at %s",
             dg_hex(lo.user_highest, buf, sizeof buf));
    vw_vad_free(&mdl);
    return dg_end(&c, out);
}

/* ---- diagram vad ------------------------------------------------------------ */

struct vad_draw {
    struct canvas *c;
    const struct vw_vad_model *mdl;
    size_t y;
};

static void vad_node(struct vad_draw *d, size_t i, unsigned depth, const char *side)
{
    const struct vw_vad_row *r = &d->mdl->rows[i];
    long x = (long)depth * 4;
    char lo[32], hi[32], text[DG_LINE];
    size_t kids[2] = { r->left, r->right }, prow;
    static const char *const sides[2] = { "L", "R" };
    const char *name = r->v.name && r->v.name[0] == '[' ? "" : r->name;

    snprintf(text, sizeof text, "%s%s%s-%s  height %d, balance %+d  %s%s%.120s", side,
             side[0] ? " " : "", dg_hex(r->v.start_vpn << VML_PAGE_SHIFT, lo, sizeof lo),
             dg_hex(((r->v.end_vpn + 1) << VML_PAGE_SHIFT) - 1, hi, sizeof hi), r->height,
             r->balance, r->kind.label, name[0] ? " " : "", name);
    if ((unsigned long)x < d->c->width)
        cv_text(d->c, x, d->y, text, d->c->width - (unsigned)x, DG_C(r->kind.colour));
    prow = d->y++;
    for (int k = 0; k < 2; k++) {
        size_t row = d->y;
        if (kids[k] == VW_NONE)
            continue;
        /* from under the parent down to the child's row, then right */
        cv_vline(d->c, x + 1, prow + 1, row, 0);
        cv_line_at(d->c, x + 1, prow + 1, CV_UP, 0);
        cv_hline(d->c, x + 1, x + 3, row, 0);
        cv_line_at(d->c, x + 3, row, CV_RIGHT, 0);
        vad_node(d, kids[k], depth + 1, sides[k]);
    }
}

VML_API vml_status vml_diagram_vad(vml_proc *p, const vml_diagram_opts *o, vml_text *out)
{
    struct vw_vad_model mdl;
    struct canvas c;
    struct vad_draw d;
    vml_status st;

    if (p == NULL)
        return VML_E_INVALID;
    st = dg_begin(&c, o, out);
    if (st != VML_OK)
        return st;
    st = vw_vad_build(p, 0, &mdl);
    if (st != VML_OK)
        return st;
    d.c = &c;
    d.mdl = &mdl;
    d.y = 0;
    cv_textf(&c, 0, d.y++, c.width, 0, "VAD tree of %s (pid %u): %zu node%s, height %d",
             vml_proc_name(p), vml_proc_pid(p), mdl.n, mdl.n == 1 ? "" : "s",
             mdl.root == VW_NONE ? 0 : mdl.rows[mdl.root].height);
    cv_text(&c, 0, d.y++, "AVL tree by address (L lower, R higher); balance = height(R) - "
            "height(L)", c.width, DG_NOTE);
    if (mdl.root == VW_NONE)
        cv_text(&c, 0, d.y++, "(no VADs: nothing is reserved)", c.width, DG_NOTE);
    else
        vad_node(&d, mdl.root, 0, "");
    vw_vad_free(&mdl);
    return dg_end(&c, out);
}
