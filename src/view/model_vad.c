/*
** model_vad.c -- the VAD model (model.h: VW1-VW3) and the region kinds:
** one read of a process's VADs in address order, the tree their levels
** imply, and for each the name !vad prints and the kind the pictures draw.
**
** The tree comes back from the public API without a pointer: an in-order
** list of nodes with their depths determines a binary tree (the root is
** the one shallowest node; a subtree is the run between two shallower
** nodes), which a stack rebuilds in one pass as for a Cartesian tree.
*/
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "view/model.h"
#include "view/view.h"

/* ---- kinds ------------------------------------------------------------- */

/* Colours that stay apart for the common colour blindnesses (Okabe-Ito,
** then Tol's muted scheme), and the ANSI colour nearest each. */
static const struct { const char *css; unsigned ansi; } palette[VW_N_COLOURS] = {
    { "#E69F00", 33 }, { "#56B4E9", 36 }, { "#009E73", 32 }, { "#F0E442", 93 },
    { "#0072B2", 34 }, { "#D55E00", 31 }, { "#CC79A7", 35 }, { "#999999", 90 },
    { "#332288", 94 }, { "#88CCEE", 96 }, { "#117733", 92 }, { "#AA4499", 95 },
};

const char *vw_colour_css(unsigned colour)
{
    return palette[colour % VW_N_COLOURS].css;
}

unsigned vw_colour_ansi(unsigned colour)
{
    return palette[colour % VW_N_COLOURS].ansi;
}

/* VMMap's types as kinds: slug, label, colour. */
static const struct { const char *slug, *label; unsigned colour; } vmm_kinds[VW_N_VMM] = {
    [VW_VMM_IMAGE]     = { "image",     "Image",        4 },
    [VW_VMM_MAPPED]    = { "file",      "Mapped File",  2 },
    [VW_VMM_SHAREABLE] = { "shareable", "Shareable",    1 },
    [VW_VMM_HEAP]      = { "heap",      "Heap",         5 },
    [VW_VMM_STACK]     = { "stack",     "Stack",        6 },
    [VW_VMM_PRIVATE]   = { "private",   "Private Data", 0 },
};

static unsigned slug_colour(const char *slug)
{
    uint32_t h = 2166136261u;             /* FNV-1a: stable across runs */
    for (; *slug; slug++)
        h = (h ^ (unsigned char)*slug) * 16777619u;
    return h % VW_N_COLOURS;
}

void vw_kind_of(vml_proc *p, const vml_vad_info *v, struct vw_kind *out)
{
    const char *name = v->name ? v->name : "";
    size_t i, n = 0, len = strlen(name);
    enum vw_vmm_type t = vw_vmm_type_of(p, v);

    memset(out, 0, sizeof *out);
    if (t != VW_VMM_IMAGE && t != VW_VMM_HEAP && t != VW_VMM_STACK && len > 2 &&
        name[0] == '[' && name[len - 1] == ']') {
        /* a kind of its own, named by the data: "[vdso]", "[vvar]", ... */
        for (i = 1; i + 1 < len && n + 1 < sizeof out->slug; i++) {
            char c = name[i];
            if (c >= 'A' && c <= 'Z')
                c = (char)(c - 'A' + 'a');
            out->slug[n++] = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ? c : '-';
        }
        snprintf(out->label, sizeof out->label, "%.*s", (int)(len - 2), name + 1);
        out->colour = slug_colour(out->slug);
        return;
    }
    if ((unsigned)t >= VW_VMM_PAGETABLE)
        t = VW_VMM_PRIVATE;
    snprintf(out->slug, sizeof out->slug, "%s", vmm_kinds[t].slug);
    snprintf(out->label, sizeof out->label, "%s", vmm_kinds[t].label);
    out->colour = vmm_kinds[t].colour;
}

/* ---- !vad's columns -------------------------------------------------------- */

static uint32_t vad_protect(const vml_vad_info *v)
{
    if (v->protect != 0)
        return v->protect;
    return vw_protect_from_prot(v->prot);
}

/* The name column of a view: WinDbg prints the file's path, or for a
** pagefile-backed section "Pagefile section, shared commit 0x<pages>". */
static void vad_name(vml_machine *m, const vml_vad_info *v, char *buf, size_t size)
{
    vml_segment_info si;
    size_t n = 0;
    const char *f = v->file;

    buf[0] = '\0';
    if (v->name != NULL && v->name[0] != '\0') {
        snprintf(buf, size, "%s", v->name);
        return;
    }
    if (v->backing == VML_BACKING_PRIVATE || vml_segment_get(m, v->segment, &si) != VML_OK)
        return;
    if (v->backing == VML_BACKING_PAGEFILE) {
        snprintf(buf, size, "Pagefile section, shared commit %#llx",
                 (unsigned long long)si.commit_pages);
        return;
    }
    if (f[0] != '/' && n + 1 < size)
        buf[n++] = '\\';
    for (; *f && n + 1 < size; f++)
        buf[n++] = *f == '/' ? '\\' : *f;
    buf[n] = '\0';
}

/* What a view adds to "Total shared commit": the commit of the pagefile-
** backed section it maps (the figure of its name column); file-backed
** views charge nothing. */
static uint64_t vad_shared_commit(vml_machine *m, const vml_vad_info *v)
{
    vml_segment_info si;
    if (v->backing != VML_BACKING_PAGEFILE || vml_segment_get(m, v->segment, &si) != VML_OK)
        return v->commit_pages;
    return si.commit_pages;
}

/* ---- the tree --------------------------------------------------------------- */

static int subtree_height(struct vw_vad_row *rows, size_t i)
{
    int hl, hr;

    if (i == VW_NONE)
        return 0;
    hl = subtree_height(rows, rows[i].left);     /* AVL: depth is O(log n) */
    hr = subtree_height(rows, rows[i].right);
    rows[i].height = 1 + (hl > hr ? hl : hr);
    rows[i].balance = hr - hl;
    return rows[i].height;
}

/* VW3: the Cartesian tree of the levels (a min-heap on level, in order). */
static vml_status vad_tree(struct vw_vad_model *mdl)
{
    size_t *stack, top = 0, i;

    mdl->root = VW_NONE;
    if (mdl->n == 0)
        return VML_OK;
    stack = malloc(mdl->n * sizeof *stack);
    if (stack == NULL)
        return VML_E_NOMEM;
    for (i = 0; i < mdl->n; i++) {
        size_t last = VW_NONE;
        struct vw_vad_row *r = &mdl->rows[i];
        r->parent = r->left = r->right = VW_NONE;
        while (top > 0 && mdl->rows[stack[top - 1]].v.level > r->v.level)
            last = stack[--top];
        r->left = last;
        if (top > 0)
            mdl->rows[stack[top - 1]].right = i;
        stack[top++] = i;
    }
    mdl->root = stack[0];
    free(stack);
    for (i = 0; i < mdl->n; i++) {
        struct vw_vad_row *r = &mdl->rows[i];
        size_t kids[2] = { r->left, r->right };
        for (int k = 0; k < 2; k++) {
            if (kids[k] == VW_NONE)
                continue;
            mdl->rows[kids[k]].parent = i;
            if (mdl->rows[kids[k]].v.level != r->v.level + 1)
                return VML_E_CORRUPT;
        }
    }
    if (mdl->rows[mdl->root].v.level != 0)
        return VML_E_CORRUPT;
    subtree_height(mdl->rows, mdl->root);
    return VML_OK;
}

void vw_vad_free(struct vw_vad_model *mdl)
{
    free(mdl->rows);
    memset(mdl, 0, sizeof *mdl);
    mdl->root = VW_NONE;
}

vml_status vw_vad_build(vml_proc *p, unsigned flags, struct vw_vad_model *out)
{
    vml_machine *m = vml_proc_machine(p);
    vml_va cursor = 0;
    int done = 0;
    size_t cap = vml_vad_count(p) + 1;
    vml_status st;

    memset(out, 0, sizeof *out);
    out->root = VW_NONE;
    out->p = p;
    out->pid = vml_proc_pid(p);
    out->ptr = vw_ptr_bytes(m);
    out->rows = calloc(cap, sizeof *out->rows);
    if (out->rows == NULL)
        return VML_E_NOMEM;
    for (;;) {
        struct vw_vad_row *r;
        if (out->n == cap) {               /* more VADs than counted: a bug */
            vw_vad_free(out);
            return VML_E_CORRUPT;
        }
        r = &out->rows[out->n];
        if (!vw_vad_next(p, &cursor, &done, &r->v))
            break;
        out->n++;
        r->node = vw_vad_node_addr(out->pid, r->v.start_vpn, out->ptr);
        r->protect = vad_protect(&r->v);
        vad_name(m, &r->v, r->name, sizeof r->name);
        vw_kind_of(p, &r->v, &r->kind);
        if ((flags & VW_VAD_USAGE) &&
            vml_mem_usage_get(p, r->v.start_vpn << VML_PAGE_SHIFT,
                              (r->v.end_vpn + 1) << VML_PAGE_SHIFT, &r->use) != VML_OK) {
            vw_vad_free(out);
            return VML_E_CORRUPT;
        }
        out->level_sum += r->v.level;
        if (r->v.level > out->max_level)
            out->max_level = r->v.level;
        if (r->v.type == VML_VAD_PRIVATE) {
            out->private_commit += r->v.commit_pages;
        } else {
            r->shared_commit = vad_shared_commit(m, &r->v);
            out->shared_commit += r->shared_commit;
        }
    }
    /* "average level": the mean of level+1, truncated (WinDbg's sample) */
    out->avg_level = out->n ? (out->level_sum + out->n) / out->n : 0;
    st = vad_tree(out);
    if (st != VML_OK)
        vw_vad_free(out);
    return st;
}

/* ---- sizes -------------------------------------------------------------- */

const char *vw_size(uint64_t bytes, char *buf, size_t size)
{
    static const char *const units[] = { "bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
    unsigned u = 0;
    uint64_t whole = bytes, rem = 0;

    while (whole >= 1024 && u + 1 < sizeof units / sizeof units[0]) {
        rem = whole % 1024;
        whole /= 1024;
        u++;
    }
    if (u == 0)
        snprintf(buf, size, "%llu %s", (unsigned long long)bytes, bytes == 1 ? "byte" : "bytes");
    else if (rem == 0 || whole >= 100)
        snprintf(buf, size, "%llu %s", (unsigned long long)whole, units[u]);
    else
        snprintf(buf, size, "%llu.%llu %s", (unsigned long long)whole,
                 (unsigned long long)(rem * 10 / 1024), units[u]);
    return buf;
}
