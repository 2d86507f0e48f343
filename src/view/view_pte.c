/*
** view_pte.c -- the page-table views: !pte (every level's entry, decoded,
** as WinDbg's x64 !pte shows it) and vtop (the walk step by step, as
** WinDbg's !vtop / "Amd64VtoP:" trace shows it).
**
** Both render the walk model (model_walk.c: vml_walk_va(), the MMU's walk
** without side effects, each entry decoded; a zero entry explained with
** VirtualQuery, the way Windows resolves a zero PTE from the VAD), as
** diagram walk does.
**
** Entry addresses are PHYSICAL: vmlab's page tables live in simulated
** frames and have no self-map, so where WinDbg prints the virtual address
** of the PTE in the self-map ("PTE at FFFFF68000000080") we print the
** physical one; its frame number (address >> 12) works with !pfn.
**
** Every view here keeps the invariants VW5-VW8 of view.h (argument checks
** before output, rollback on failure, valid JSON, VML_E_NOMEM on oom).
*/
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "view/model.h"
#include "view/view.h"

/* WinDbg's x64 !pte prints four columns 27 characters wide:
**   "PXE at FFFFF6FB7DBED000    PPE at ..."        (name, " at ", address)
**   "contains 0A0000001A907867  contains ..."
**   "pfn 1a907     ---DA--UWEV  pfn ..."           (pfn %-10x, flags)
** (samples: learn.microsoft.com debugger reference for !pte, and kd
** transcripts such as gist.github.com/mvankuipers). */
#define PTE_COL 27

static void fmt_addr(const struct vw_walk_model *c, char *buf, size_t size, uint64_t a, int upper)
{
    if (c->wide)
        snprintf(buf, size, upper ? "%016llX" : "%016llx", (unsigned long long)a);
    else
        snprintf(buf, size, upper ? "%08llX" : "%08llx", (unsigned long long)a);
}

static void fmt_entry(const vml_walk *w, char *buf, size_t size, uint64_t e)
{
    if (w->entry_size == 4)
        snprintf(buf, size, "%08llX", (unsigned long long)e);
    else
        snprintf(buf, size, "%016llX", (unsigned long long)e);
}

/* The lines WinDbg prints under "not valid" for a software PTE. */
static void pte_soft_lines(vml_text *out, const struct vw_walk_model *c, const vml_pte_info *pi,
                           size_t indent)
{
    unsigned mm = pi->mm_protect;

    switch (pi->kind) {
    case VML_PTE_ZERO:
        if (!c->zero_committed)
            return;
        mm = (unsigned)vml_mm_protect(c->zero_protect);
        vt_spaces(out, indent);
        vt_puts(out, "Proto: VAD\n");
        break;
    case VML_PTE_DEMAND_ZERO:
        vt_spaces(out, indent);
        vt_puts(out, "DemandZero\n");
        break;
    case VML_PTE_TRANSITION:
        vt_spaces(out, indent);
        vml_text_printf(out, "Transition: %llx\n", (unsigned long long)pi->pfn);
        break;
    case VML_PTE_PAGEFILE:
        vt_spaces(out, indent);
        vt_puts(out, "PageFile:  0\n");
        vt_spaces(out, indent);
        vml_text_printf(out, "Offset: %llx\n", (unsigned long long)pi->slot);
        break;
    case VML_PTE_PROTOTYPE:
        vt_spaces(out, indent);
        vml_text_printf(out, "Proto: %llx\n", (unsigned long long)pi->proto_index);
        break;
    case VML_PTE_DECOMMITTED:
        vt_spaces(out, indent);
        vt_puts(out, "Decommitted\n");
        return;
    default:
        return;
    }
    vt_spaces(out, indent);
    vml_text_printf(out, "Protect: %x - %s\n", mm, vw_mm_protect_name(mm));
}

static void pte_text(vml_text *out, const struct vw_walk_model *c)
{
    unsigned i, n = c->n_shown, stop = c->stop;
    const vml_walk *w = &c->w;
    char a[32], cell[64];
    size_t line;

    fmt_addr(c, a, sizeof a, c->va, 0);
    vt_spaces(out, c->wide ? 43 : 19);
    vml_text_printf(out, "VA %s\n", a);
    if (n == 0) {
        vt_puts(out, "not valid\n");
        return;
    }

    line = out->len;
    for (i = 0; i < n; i++) {
        fmt_addr(c, a, sizeof a, c->lv[i].s.entry_pa, 1);
        snprintf(cell, sizeof cell, "%s at %s", c->lv[i].dbg_name, a);
        vt_pad_to(out, line, i * PTE_COL);
        vt_puts(out, cell);
    }
    vt_putc(out, '\n');

    line = out->len;
    for (i = 0; i < n; i++) {
        fmt_entry(w, a, sizeof a, c->lv[i].s.entry);
        vt_pad_to(out, line, i * PTE_COL);
        vml_text_printf(out, "contains %s", a);
    }
    vt_putc(out, '\n');

    line = out->len;
    for (i = 0; i < n; i++) {
        const vml_pte_info *pi = &c->lv[i].pi;
        vt_pad_to(out, line, i * PTE_COL);
        if (pi->kind == VML_PTE_VALID)
            vml_text_printf(out, "pfn %-10llx%s", (unsigned long long)pi->pfn, c->lv[i].flags);
        else
            vt_puts(out, "not valid");
    }
    if (w->present && w->page_size > VML_PAGE_SIZE) {
        /* WinDbg: "LARGE PAGE pfn <pfn of the 4 KiB page holding va>" */
        vt_pad_to(out, line, n * PTE_COL);
        vml_text_printf(out, "LARGE PAGE pfn %llx",
                        (unsigned long long)(w->pa >> VML_PAGE_SHIFT));
    }
    vt_putc(out, '\n');

    if (!w->present && stop < w->n_steps)
        pte_soft_lines(out, c, &c->lv[stop].pi, stop * PTE_COL + 1);
}

/* The members every step has in both views' JSON. */
static void step_json(struct jw *j, const vml_walk_step *s, const char *name,
                      const vml_pte_info *pi)
{
    jw_str(j, "name", name);
    jw_u64(j, "level", s->level);
    jw_hex(j, "table_pa", s->table_pa);
    jw_u64(j, "index", s->index);
    jw_hex(j, "entry_pa", s->entry_pa);
    jw_hex(j, "entry", s->entry);
    jw_str(j, "kind", vml_pte_kind_name(pi->kind));
}

static void pte_json_entry(struct jw *j, const struct vw_walk_model *c,
                           const struct vw_walk_level *l)
{
    const vml_pte_info *pi = &l->pi;

    jw_obj(j, NULL);
    step_json(j, &l->s, l->dbg_name, pi);
    jw_bool(j, "valid", pi->kind == VML_PTE_VALID);
    if (pi->kind == VML_PTE_VALID) {
        jw_u64(j, "pfn", pi->pfn);
        jw_str(j, "flags", l->flags);
        jw_u64(j, "p", pi->p);
        jw_u64(j, "rw", pi->rw);
        jw_u64(j, "us", pi->us);
        jw_u64(j, "pwt", pi->pwt);
        jw_u64(j, "pcd", pi->pcd);
        jw_u64(j, "a", pi->a);
        jw_u64(j, "d", pi->d);
        jw_u64(j, "ps", pi->ps);
        jw_u64(j, "g", pi->g);
        jw_u64(j, "nx", pi->nx);
    } else {
        unsigned mm = pi->mm_protect;
        int have = pi->kind != VML_PTE_ZERO;

        if (pi->kind == VML_PTE_ZERO && c->zero_committed) {
            mm = (unsigned)vml_mm_protect(c->zero_protect);
            have = 1;
            jw_str(j, "resolved_by", "vad");
        }
        if (pi->kind == VML_PTE_TRANSITION)
            jw_u64(j, "pfn", pi->pfn);
        if (pi->kind == VML_PTE_PAGEFILE) {
            jw_u64(j, "pagefile", 0);
            jw_u64(j, "slot", pi->slot);
        }
        if (pi->kind == VML_PTE_PROTOTYPE)
            jw_u64(j, "proto_index", pi->proto_index);
        if (have && pi->kind != VML_PTE_DECOMMITTED) {
            jw_u64(j, "protect", mm);
            jw_str(j, "protect_name", vw_mm_protect_name(mm));
        }
    }
    jw_obj_end(j);
}

static void pte_head_json(struct jw *j, const struct vw_walk_model *c, const char *view)
{
    jw_str(j, "view", view);
    jw_u64(j, "pid", vml_proc_pid(c->p));
    jw_str(j, "process", vml_proc_name(c->p));
    jw_str(j, "paging", vml_paging_name(c->cfg.paging));
    jw_hex(j, "va", c->va);
}

static void pte_tail_json(struct jw *j, const vml_walk *w)
{
    jw_bool(j, "present", w->present);
    if (w->present) {
        jw_hex(j, "pa", w->pa);
        jw_u64(j, "page_size", w->page_size);
    } else {
        jw_u64(j, "fail_level", w->fail_level);
    }
}

VML_API vml_status vml_view_pte(vml_proc *p, vml_va va, unsigned fmt, vml_text *out)
{
    struct vw_walk_model c;
    vml_status st;
    unsigned i;

    if (p == NULL || out == NULL || fmt > VML_FMT_JSON)
        return VML_E_INVALID;
    st = vw_walk_build(p, va, &c);
    if (st != VML_OK)
        return st;

    if (fmt == VML_FMT_TEXT) {
        pte_text(out, &c);
        return vt_done(out);
    }
    {
        struct jw j;

        jw_begin(&j, out);
        pte_head_json(&j, &c, "pte");
        jw_arr(&j, "levels");
        for (i = 0; i < c.n_shown; i++)
            pte_json_entry(&j, &c, &c.lv[i]);
        jw_arr_end(&j);
        pte_tail_json(&j, &c.w);
        jw_finish(&j);
    }
    return vt_done(out);
}

/* ---- vtop --------------------------------------------------------------- */

/* The trace prefix WinDbg's translation code prints: "Amd64VtoP:" on x64;
** "X86VtoP:" on 32-bit x86 (PAE or not). */
static const char *vtop_prefix(const struct vw_walk_model *c)
{
    return c->wide ? "Amd64VtoP" : "X86VtoP";
}

static void vtop_text(vml_text *out, const struct vw_walk_model *c)
{
    const char *pre = vtop_prefix(c);
    const vml_walk *w = &c->w;
    unsigned i, n = c->n_shown, stop = c->stop;
    char a[32], t[32], e[32];

    fmt_addr(c, a, sizeof a, c->va, 0);
    fmt_addr(c, t, sizeof t, w->cr3, 0);
    vml_text_printf(out, "%s: Virt %s, pagedir %s\n", pre, a, t);
    for (i = 0; i < n; i++) {
        const vml_walk_step *s = &c->lv[i].s;

        fmt_addr(c, a, sizeof a, s->entry_pa, 0);
        fmt_addr(c, t, sizeof t, s->table_pa, 0);
        fmt_entry(w, e, sizeof e, s->entry);
        vml_text_printf(out, "%s: %-5s %s  table %s index %03x  contains %s\n",
                        pre, s->name, a, t, s->index, e);
    }
    if (w->present) {
        fmt_addr(c, a, sizeof a, w->pa, 0);
        if (w->page_size > VML_PAGE_SIZE)
            vml_text_printf(out, "%s: Large page mapped phys %s (%llu KB page)\n", pre, a,
                            (unsigned long long)(w->page_size >> 10));
        else
            vml_text_printf(out, "%s: Mapped phys %s\n", pre, a);
        vml_text_printf(out, "Virtual address %llx translates to physical address %llx.\n",
                        (unsigned long long)c->va, (unsigned long long)w->pa);
        return;
    }
    if (stop < w->n_steps) {
        const struct vw_walk_level *l = &c->lv[stop];

        if (l->pi.kind == VML_PTE_ZERO)
            vml_text_printf(out, "%s: zero %s\n", pre, l->s.name);
        else
            vml_text_printf(out, "%s: %s not present (%s)\n", pre, l->s.name,
                            vml_pte_kind_name(l->pi.kind));
    }
    /* 0xD0000147: the NTSTATUS (as an HRESULT) WinDbg reports for a page
    ** that is not present. */
    vml_text_printf(out, "Virtual address %llx translation fails, error 0xD0000147.\n",
                    (unsigned long long)c->va);
}

VML_API vml_status vml_view_vtop(vml_proc *p, vml_va va, unsigned fmt, vml_text *out)
{
    struct vw_walk_model c;
    vml_status st;
    unsigned i;

    if (p == NULL || out == NULL || fmt > VML_FMT_JSON)
        return VML_E_INVALID;
    st = vw_walk_build(p, va, &c);
    if (st != VML_OK)
        return st;

    if (fmt == VML_FMT_TEXT) {
        vtop_text(out, &c);
        return vt_done(out);
    }
    {
        struct jw j;

        jw_begin(&j, out);
        pte_head_json(&j, &c, "vtop");
        jw_hex(&j, "cr3", c.w.cr3);
        jw_u64(&j, "entry_size", c.w.entry_size);
        jw_arr(&j, "steps");
        for (i = 0; i < c.n_shown; i++) {
            const struct vw_walk_level *l = &c.lv[i];

            jw_obj(&j, NULL);
            step_json(&j, &l->s, l->s.name, &l->pi);
            jw_bool(&j, "present", l->pi.kind == VML_PTE_VALID);
            jw_obj_end(&j);
        }
        jw_arr_end(&j);
        pte_tail_json(&j, &c.w);
        jw_finish(&j);
    }
    return vt_done(out);
}
