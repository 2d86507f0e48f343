/*
** view_pte.c -- the page-table views: !pte (every level's entry, decoded,
** as WinDbg's x64 !pte shows it) and vtop (the walk step by step, as
** WinDbg's !vtop / "Amd64VtoP:" trace shows it).
**
** Both are built from vml_walk_va() (the MMU's walk without side effects)
** and vml_pte_decode(); a zero entry is explained with VirtualQuery, the
** way Windows resolves a zero PTE from the VAD.
**
** Entry addresses are PHYSICAL: vmlab's page tables live in simulated
** frames and have no self-map, so where WinDbg prints the virtual address
** of the PTE in the self-map ("PTE at FFFFF68000000080") we print the
** physical one; its frame number (address >> 12) works with !pfn.
**
** Every view here keeps the invariants V1-V4 of view.h (argument checks
** before output, rollback on failure, valid JSON, VML_E_NOMEM on oom).
*/
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "view/view.h"

/* WinDbg's x64 !pte prints four columns 27 characters wide:
**   "PXE at FFFFF6FB7DBED000    PPE at ..."        (name, " at ", address)
**   "contains 0A0000001A907867  contains ..."
**   "pfn 1a907     ---DA--UWEV  pfn ..."           (pfn %-10x, flags)
** (samples: learn.microsoft.com debugger reference for !pte, and kd
** transcripts such as gist.github.com/mvankuipers). */
#define PTE_COL 27

struct pte_ctx {
    vml_proc    *p;
    vml_machine *m;
    vml_config   cfg;
    vml_layout   lo;
    int          wide;       /* 64-bit addresses */
    int          has_nx;     /* not legacy 32-bit */
};

static void pte_ctx_init(struct pte_ctx *c, vml_proc *p)
{
    c->p = p;
    c->m = vml_proc_machine(p);
    vml_machine_config(c->m, &c->cfg);
    vml_machine_layout(c->m, &c->lo);
    c->wide = c->lo.va_bits > 32;
    c->has_nx = c->cfg.paging != VML_PAGING_LEGACY;
}

/* The name WinDbg gives each level's entry. */
static const char *pte_level_name(const struct pte_ctx *c, unsigned level)
{
    switch (c->cfg.paging) {
    case VML_PAGING_4LEVEL:
    case VML_PAGING_5LEVEL:
        switch (level) {
        case 5: return "PML5E";
        case 4: return "PXE";
        case 3: return "PPE";
        case 2: return "PDE";
        default: return "PTE";
        }
    case VML_PAGING_PAE:
        return level == 3 ? "PDPTE" : level == 2 ? "PDE" : "PTE";
    default:
        return level == 2 ? "PDE" : "PTE";
    }
}

static void fmt_addr(const struct pte_ctx *c, char *buf, size_t size, uint64_t a, int upper)
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

/* The steps both views show: every one up to the one that stops the walk. */
static unsigned walk_shown(const vml_walk *w)
{
    unsigned stop = vw_walk_stop(w);

    return stop < w->n_steps ? stop + 1 : w->n_steps;
}

/* For a zero entry the memory manager asks the VAD tree; so do we.
** Returns 1 with *protect when va is committed memory. */
static int zero_pte_protect(vml_proc *p, vml_va va, uint32_t *protect)
{
    vml_mbi mbi;

    if (vml_win_VirtualQuery(p, va, &mbi) != 0 || mbi.State != VML_MEM_COMMIT)
        return 0;
    *protect = mbi.Protect;
    return 1;
}

/* The lines WinDbg prints under "not valid" for a software PTE. */
static void pte_soft_lines(vml_text *out, const struct pte_ctx *c, const vml_pte_info *pi,
                           vml_va va, size_t indent)
{
    unsigned mm = pi->mm_protect;
    uint32_t protect;

    switch (pi->kind) {
    case VML_PTE_ZERO:
        if (!zero_pte_protect(c->p, va, &protect))
            return;
        mm = (unsigned)vml_mm_protect(protect);
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

static void pte_text(vml_text *out, const struct pte_ctx *c, vml_va va, const vml_walk *w)
{
    unsigned i, n = walk_shown(w), stop = vw_walk_stop(w);
    char a[32], cell[64], fl[12];
    size_t line;
    vml_pte_info pi;

    fmt_addr(c, a, sizeof a, va, 0);
    vt_spaces(out, c->wide ? 43 : 19);
    vml_text_printf(out, "VA %s\n", a);
    if (n == 0) {
        vt_puts(out, "not valid\n");
        return;
    }

    line = out->len;
    for (i = 0; i < n; i++) {
        fmt_addr(c, a, sizeof a, w->step[i].entry_pa, 1);
        snprintf(cell, sizeof cell, "%s at %s", pte_level_name(c, w->step[i].level), a);
        vt_pad_to(out, line, i * PTE_COL);
        vt_puts(out, cell);
    }
    vt_putc(out, '\n');

    line = out->len;
    for (i = 0; i < n; i++) {
        fmt_entry(w, a, sizeof a, w->step[i].entry);
        vt_pad_to(out, line, i * PTE_COL);
        vml_text_printf(out, "contains %s", a);
    }
    vt_putc(out, '\n');

    line = out->len;
    for (i = 0; i < n; i++) {
        vml_pte_decode(c->m, w->step[i].entry, w->step[i].level, &pi);
        vt_pad_to(out, line, i * PTE_COL);
        if (pi.kind == VML_PTE_VALID) {
            vw_pte_flags(&pi, w->step[i].entry, w->step[i].level, c->has_nx, fl);
            vml_text_printf(out, "pfn %-10llx%s", (unsigned long long)pi.pfn, fl);
        } else {
            vt_puts(out, "not valid");
        }
    }
    if (w->present && w->page_size > VML_PAGE_SIZE) {
        /* WinDbg: "LARGE PAGE pfn <pfn of the 4 KiB page holding va>" */
        vt_pad_to(out, line, n * PTE_COL);
        vml_text_printf(out, "LARGE PAGE pfn %llx",
                        (unsigned long long)(w->pa >> VML_PAGE_SHIFT));
    }
    vt_putc(out, '\n');

    if (!w->present && stop < w->n_steps) {
        vml_pte_decode(c->m, w->step[stop].entry, w->step[stop].level, &pi);
        pte_soft_lines(out, c, &pi, va, stop * PTE_COL + 1);
    }
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

static void pte_json_entry(struct jw *j, const struct pte_ctx *c, vml_proc *p, vml_va va,
                           const vml_walk_step *s, const char *name)
{
    vml_pte_info pi;
    char fl[12];
    uint32_t protect;

    vml_pte_decode(c->m, s->entry, s->level, &pi);
    jw_obj(j, NULL);
    step_json(j, s, name, &pi);
    jw_bool(j, "valid", pi.kind == VML_PTE_VALID);
    if (pi.kind == VML_PTE_VALID) {
        jw_u64(j, "pfn", pi.pfn);
        jw_str(j, "flags", vw_pte_flags(&pi, s->entry, s->level, c->has_nx, fl));
        jw_u64(j, "p", pi.p);
        jw_u64(j, "rw", pi.rw);
        jw_u64(j, "us", pi.us);
        jw_u64(j, "pwt", pi.pwt);
        jw_u64(j, "pcd", pi.pcd);
        jw_u64(j, "a", pi.a);
        jw_u64(j, "d", pi.d);
        jw_u64(j, "ps", pi.ps);
        jw_u64(j, "g", pi.g);
        jw_u64(j, "nx", pi.nx);
    } else {
        unsigned mm = pi.mm_protect;
        int have = pi.kind != VML_PTE_ZERO;

        if (pi.kind == VML_PTE_ZERO && zero_pte_protect(p, va, &protect)) {
            mm = (unsigned)vml_mm_protect(protect);
            have = 1;
            jw_str(j, "resolved_by", "vad");
        }
        if (pi.kind == VML_PTE_TRANSITION)
            jw_u64(j, "pfn", pi.pfn);
        if (pi.kind == VML_PTE_PAGEFILE) {
            jw_u64(j, "pagefile", 0);
            jw_u64(j, "slot", pi.slot);
        }
        if (pi.kind == VML_PTE_PROTOTYPE)
            jw_u64(j, "proto_index", pi.proto_index);
        if (have && pi.kind != VML_PTE_DECOMMITTED) {
            jw_u64(j, "protect", mm);
            jw_str(j, "protect_name", vw_mm_protect_name(mm));
        }
    }
    jw_obj_end(j);
}

static void pte_head_json(struct jw *j, const struct pte_ctx *c, const char *view, vml_va va)
{
    jw_str(j, "view", view);
    jw_u64(j, "pid", vml_proc_pid(c->p));
    jw_str(j, "process", vml_proc_name(c->p));
    jw_str(j, "paging", vml_paging_name(c->cfg.paging));
    jw_hex(j, "va", va);
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

/* What !pte and vtop both start from: checked arguments, the walk of va
** and the context for naming entries. */
static vml_status view_walk(vml_proc *p, vml_va va, unsigned fmt, const vml_text *out,
                            vml_walk *w, struct pte_ctx *c)
{
    vml_status st;

    if (p == NULL || out == NULL || fmt > VML_FMT_JSON)
        return VML_E_INVALID;
    memset(w, 0, sizeof *w);
    st = vml_walk_va(p, va, w);
    if (st != VML_OK)
        return st;
    if (w->n_steps > 5)
        return VML_E_CORRUPT;
    pte_ctx_init(c, p);
    return VML_OK;
}

VML_API vml_status vml_view_pte(vml_proc *p, vml_va va, unsigned fmt, vml_text *out)
{
    struct pte_ctx c;
    vml_walk w;
    vml_status st;
    unsigned i, n;

    st = view_walk(p, va, fmt, out, &w, &c);
    if (st != VML_OK)
        return st;

    if (fmt == VML_FMT_TEXT) {
        pte_text(out, &c, va, &w);
        return vt_done(out);
    }
    {
        struct jw j;

        jw_begin(&j, out);
        pte_head_json(&j, &c, "pte", va);
        jw_arr(&j, "levels");
        n = walk_shown(&w);
        for (i = 0; i < n; i++)
            pte_json_entry(&j, &c, p, va, &w.step[i], pte_level_name(&c, w.step[i].level));
        jw_arr_end(&j);
        pte_tail_json(&j, &w);
        jw_finish(&j);
    }
    return vt_done(out);
}

/* ---- vtop --------------------------------------------------------------- */

/* The trace prefix WinDbg's translation code prints: "Amd64VtoP:" on x64;
** "X86VtoP:" on 32-bit x86 (PAE or not). */
static const char *vtop_prefix(const struct pte_ctx *c)
{
    return c->wide ? "Amd64VtoP" : "X86VtoP";
}

static void vtop_text(vml_text *out, const struct pte_ctx *c, vml_va va, const vml_walk *w)
{
    const char *pre = vtop_prefix(c);
    unsigned i, n = walk_shown(w), stop = vw_walk_stop(w);
    char a[32], t[32], e[32];
    vml_pte_info pi;

    fmt_addr(c, a, sizeof a, va, 0);
    fmt_addr(c, t, sizeof t, w->cr3, 0);
    vml_text_printf(out, "%s: Virt %s, pagedir %s\n", pre, a, t);
    for (i = 0; i < n; i++) {
        const vml_walk_step *s = &w->step[i];

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
                        (unsigned long long)va, (unsigned long long)w->pa);
        return;
    }
    if (stop < w->n_steps) {
        const vml_walk_step *s = &w->step[stop];

        vml_pte_decode(c->m, s->entry, s->level, &pi);
        if (pi.kind == VML_PTE_ZERO)
            vml_text_printf(out, "%s: zero %s\n", pre, s->name);
        else
            vml_text_printf(out, "%s: %s not present (%s)\n", pre, s->name,
                            vml_pte_kind_name(pi.kind));
    }
    /* 0xD0000147: the NTSTATUS (as an HRESULT) WinDbg reports for a page
    ** that is not present. */
    vml_text_printf(out, "Virtual address %llx translation fails, error 0xD0000147.\n",
                    (unsigned long long)va);
}

VML_API vml_status vml_view_vtop(vml_proc *p, vml_va va, unsigned fmt, vml_text *out)
{
    struct pte_ctx c;
    vml_walk w;
    vml_status st;
    unsigned i, n;

    st = view_walk(p, va, fmt, out, &w, &c);
    if (st != VML_OK)
        return st;

    if (fmt == VML_FMT_TEXT) {
        vtop_text(out, &c, va, &w);
        return vt_done(out);
    }
    {
        struct jw j;
        vml_pte_info pi;

        jw_begin(&j, out);
        pte_head_json(&j, &c, "vtop", va);
        jw_hex(&j, "cr3", w.cr3);
        jw_u64(&j, "entry_size", w.entry_size);
        jw_arr(&j, "steps");
        n = walk_shown(&w);
        for (i = 0; i < n; i++) {
            const vml_walk_step *s = &w.step[i];

            vml_pte_decode(c.m, s->entry, s->level, &pi);
            jw_obj(&j, NULL);
            step_json(&j, s, s->name, &pi);
            jw_bool(&j, "present", pi.kind == VML_PTE_VALID);
            jw_obj_end(&j);
        }
        jw_arr_end(&j);
        pte_tail_json(&j, &w);
        jw_finish(&j);
    }
    return vt_done(out);
}
