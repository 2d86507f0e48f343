/*
** view_hw.c -- the TLB view (geometry, per-CPU counters, valid entries)
** and the counters view (every counter of a scope with its value), from
** vml_tlb_geometry_get, vml_tlb_entries and vml_stat_*.
**
** Every view here keeps the invariants VW5-VW8 of view.h (argument checks
** before output, rollback on failure, valid JSON, VML_E_NOMEM on oom).
*/
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "view/view.h"

/* ---- tlb ---------------------------------------------------------------- */

static const char *size_name(uint64_t size, char *buf, size_t n)
{
    if (size >= (1ull << 30) && size % (1ull << 30) == 0)
        snprintf(buf, n, "%lluG", (unsigned long long)(size >> 30));
    else if (size >= (1ull << 20) && size % (1ull << 20) == 0)
        snprintf(buf, n, "%lluM", (unsigned long long)(size >> 20));
    else
        snprintf(buf, n, "%lluK", (unsigned long long)(size >> 10));
    return buf;
}

/* Copies cpu's valid entries into a fresh array (*out, freed by the
** caller).  VML_E_NOMEM when the host has no memory. */
static vml_status tlb_copy(const vml_machine *m, unsigned cpu, vml_tlb_entry_info **out,
                           size_t *n)
{
    size_t cap = vml_tlb_entries(m, cpu, NULL, 0);
    vml_tlb_entry_info *e;

    *out = NULL;
    *n = 0;
    if (cap == 0)
        return VML_OK;
    e = calloc(cap, sizeof *e);
    if (e == NULL)
        return VML_E_NOMEM;
    *n = vml_tlb_entries(m, cpu, e, cap);
    if (*n > cap)
        *n = cap;
    *out = e;
    return VML_OK;
}

static void tlb_cpu_text(vml_text *out, vml_machine *m, unsigned cpu,
                         const vml_tlb_entry_info *e, size_t n, int ptr)
{
    vml_proc *cur = vml_cpu_current(m, cpu);
    size_t i;
    char sz[24];

    vml_text_printf(out, "cpu %u: hits %llu  misses %llu  walks %llu  (cr3: %s",
                    cpu,
                    (unsigned long long)vml_stat_cpu(m, cpu, VML_STAT_CPU_tlb_hits),
                    (unsigned long long)vml_stat_cpu(m, cpu, VML_STAT_CPU_tlb_misses),
                    (unsigned long long)vml_stat_cpu(m, cpu, VML_STAT_CPU_page_walks),
                    cur ? vml_proc_name(cur) : "none");
    if (cur)
        vml_text_printf(out, " pid %u", vml_proc_pid(cur));
    vml_text_printf(out, ")\n  %zu valid entr%s\n", n, n == 1 ? "y" : "ies");
    if (n == 0)
        return;
    vml_text_printf(out, "  lvl  set way  %-*s  %-*s  size  pcid  flags\n",
                    ptr * 2 > 12 ? ptr * 2 : 12, "virtual page",
                    ptr * 2 > 14 ? ptr * 2 : 14, "physical frame");
    for (i = 0; i < n; i++) {
        char va[24], pa[24];

        snprintf(va, sizeof va, "%0*llx", ptr * 2, (unsigned long long)e[i].va);
        snprintf(pa, sizeof pa, "%0*llx", ptr * 2, (unsigned long long)e[i].pa);
        vml_text_printf(out, "  L%u  %4u %3u  %-12s  %-14s  %4s  %4u  %c %c %s %c %c\n",
                        e[i].level, e[i].set, e[i].way, va, pa,
                        size_name(e[i].page_size, sz, sizeof sz), e[i].pcid,
                        e[i].writable ? 'W' : 'R', e[i].user ? 'U' : 'K',
                        e[i].nx ? "NX" : "--", e[i].dirty ? 'D' : '-',
                        e[i].global ? 'G' : '-');
    }
}

static void tlb_cpu_json(struct jw *j, vml_machine *m, unsigned cpu,
                         const vml_tlb_entry_info *e, size_t n)
{
    vml_proc *cur = vml_cpu_current(m, cpu);
    size_t i;

    jw_obj(j, NULL);
    jw_u64(j, "cpu", cpu);
    jw_u64(j, "tlb_hits", vml_stat_cpu(m, cpu, VML_STAT_CPU_tlb_hits));
    jw_u64(j, "tlb_misses", vml_stat_cpu(m, cpu, VML_STAT_CPU_tlb_misses));
    jw_u64(j, "page_walks", vml_stat_cpu(m, cpu, VML_STAT_CPU_page_walks));
    if (cur)
        jw_u64(j, "current_pid", vml_proc_pid(cur));
    else
        jw_null(j, "current_pid");
    jw_arr(j, "entries");
    for (i = 0; i < n; i++) {
        jw_obj(j, NULL);
        jw_u64(j, "level", e[i].level);
        jw_u64(j, "set", e[i].set);
        jw_u64(j, "way", e[i].way);
        jw_hex(j, "va", e[i].va);
        jw_hex(j, "pa", e[i].pa);
        jw_u64(j, "page_size", e[i].page_size);
        jw_u64(j, "pcid", e[i].pcid);
        jw_bool(j, "writable", e[i].writable);
        jw_bool(j, "user", e[i].user);
        jw_bool(j, "nx", e[i].nx);
        jw_bool(j, "dirty", e[i].dirty);
        jw_bool(j, "global", e[i].global);
        jw_obj_end(j);
    }
    jw_arr_end(j);
    jw_obj_end(j);
}

VML_API vml_status vml_view_tlb(vml_machine *m, unsigned cpu, unsigned fmt, vml_text *out)
{
    vml_tlb_geometry g;
    unsigned c, first, last, n_cpus;
    size_t mark;
    struct jw j;
    int ptr;

    if (m == NULL || out == NULL || fmt > VML_FMT_JSON)
        return VML_E_INVALID;
    n_cpus = vml_cpu_count(m);
    if (cpu == VML_ALL_CPUS) {
        first = 0;
        last = n_cpus ? n_cpus - 1 : 0;
    } else if (cpu >= n_cpus) {
        return VML_E_RANGE;
    } else {
        first = last = cpu;
    }
    mark = out->len;
    memset(&g, 0, sizeof g);
    vml_tlb_geometry_get(m, &g);
    ptr = vw_ptr_bytes(m);

    if (fmt == VML_FMT_TEXT) {
        vml_text_printf(out, "TLB: L1 %u entries, %u-way, %u sets", g.entries, g.ways, g.sets);
        if (g.l2_entries)
            vml_text_printf(out, "; L2 %u entries, %u-way, %u sets", g.l2_entries, g.l2_ways,
                            g.l2_sets);
        else
            vt_puts(out, "; no L2");
        vml_text_printf(out, "; PCID %s\n", g.pcid ? "on" : "off");
    } else {
        jw_begin(&j, out);
        jw_str(&j, "view", "tlb");
        jw_obj(&j, "geometry");
        jw_u64(&j, "entries", g.entries);
        jw_u64(&j, "ways", g.ways);
        jw_u64(&j, "sets", g.sets);
        jw_u64(&j, "l2_entries", g.l2_entries);
        jw_u64(&j, "l2_ways", g.l2_ways);
        jw_u64(&j, "l2_sets", g.l2_sets);
        jw_bool(&j, "pcid", g.pcid);
        jw_obj_end(&j);
        jw_arr(&j, "cpus");
    }
    for (c = first; n_cpus && c <= last; c++) {
        vml_tlb_entry_info *e;
        size_t n;

        if (tlb_copy(m, c, &e, &n) != VML_OK) {
            vt_rollback(out, mark);           /* VW6 */
            return VML_E_NOMEM;
        }
        if (fmt == VML_FMT_TEXT)
            tlb_cpu_text(out, m, c, e, n, ptr);
        else
            tlb_cpu_json(&j, m, c, e, n);
        free(e);
    }
    if (fmt == VML_FMT_JSON) {
        jw_arr_end(&j);
        jw_finish(&j);
    }
    return vt_done(out);
}

/* ---- stats -------------------------------------------------------------- */

/* Every counter of the scope, one per line, like `vmstat -s` ("%13lu %s"):
** the value right-aligned, the name, and its description. */
VML_API vml_status vml_view_stats(vml_machine *m, vml_scope scope, unsigned id, unsigned fmt,
                                  vml_text *out)
{
    size_t i, n, namew = 0;
    vml_proc *p = NULL;
    struct jw j;

    if (m == NULL || out == NULL || fmt > VML_FMT_JSON)
        return VML_E_INVALID;
    switch (scope) {
    case VML_SCOPE_SYSTEM:
        id = 0;
        break;
    case VML_SCOPE_PROC:
        p = vml_proc_by_pid(m, id);
        if (p == NULL)
            return VML_E_NOT_FOUND;
        break;
    case VML_SCOPE_CPU:
        if (id >= vml_cpu_count(m))
            return VML_E_RANGE;
        break;
    default:
        return VML_E_INVALID;
    }
    n = vml_stat_count(scope);
    for (i = 0; i < n; i++) {
        const char *name = vml_stat_name(scope, i, NULL);
        if (name != NULL && strlen(name) > namew)
            namew = strlen(name);
    }

    if (fmt == VML_FMT_TEXT) {
        if (scope == VML_SCOPE_PROC)
            vml_text_printf(out, "process %s (pid %u) counters:\n", vml_proc_name(p), id);
        else if (scope == VML_SCOPE_CPU)
            vml_text_printf(out, "cpu%u counters:\n", id);
        else
            vt_puts(out, "system counters:\n");
    } else {
        jw_begin(&j, out);
        jw_str(&j, "view", "stats");
        jw_str(&j, "scope", vw_scope_name(scope));
        jw_u64(&j, "id", id);
        if (p != NULL)
            jw_str(&j, "process", vml_proc_name(p));
        jw_obj(&j, "counters");
    }
    for (i = 0; i < n; i++) {
        const char *desc = NULL;
        const char *name = vml_stat_name(scope, i, &desc);
        uint64_t v;

        if (name == NULL)
            continue;
        v = 0;
        (void)vml_stat_get(m, scope, id, name, &v);   /* the name comes from the list */
        if (fmt == VML_FMT_TEXT)
            vml_text_printf(out, "%13llu %-*s  %s\n", (unsigned long long)v, (int)namew, name,
                            desc ? desc : "");
        else
            jw_u64(&j, name, v);
    }
    if (fmt == VML_FMT_JSON) {
        jw_obj_end(&j);
        jw_finish(&j);
    }
    return vt_done(out);
}
