/*
** prefs.c -- the page-reference stream: accesses of a trace become page
** references "id << 1 | write" under the definitions of docs/policies.md:
**
**   - the page of an access is the page of its first byte; with
**     VML_REPLAY_STRADDLE an access that crosses pages references each
**     page it covers, in address order;
**   - a write (lackey S) and a modify (M) reference the page for writing,
**     once; reads and instruction fetches (I) for reading;
**   - VML_REPLAY_NO_IFETCH drops instruction fetches;
**   - pages of different processes are different pages.
**
** Ids come from the page map in order of first reference; a vmt trace
** carries them already (its reader's read_refs), and hands them through.
**
** INVARIANTS:
**   PR1 Every id handed out is below n_ids.
**   PR2 refs counts the references handed out.
**   PR3 Every id below n_ids has been handed out, except those listed in
**       maybe[] (pages a vmt file defined by a reference the definitions
**       dropped: a fetch under NO_IFETCH, a continuation without
**       STRADDLE), which may have been: so the footprint is n_ids when
**       maybe[] is empty, and needs a look at maybe[]'s pages otherwise.
*/
#include <stdlib.h>
#include <string.h>

#include "trace.h"

#define PREF_ACC_BATCH 4096

int pid_set_add(struct pid_set *s, uint32_t pid)
{
    if (s->n > 0 && s->last == pid)
        return 0;
    for (size_t i = 0; i < s->n; i++)
        if (s->v[i] == pid) {
            s->last = pid;
            return 0;
        }
    if (s->n == s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 8;
        uint32_t *v = realloc(s->v, cap * sizeof *v);
        if (v == NULL)
            return -1;
        s->v = v;
        s->cap = cap;
    }
    s->v[s->n++] = pid;
    s->last = pid;
    return 0;
}

vml_status prefs_init(struct prefs *ps, vml_trace *t, unsigned flags)
{
    memset(ps, 0, sizeof *ps);
    ps->t = t;
    ps->flags = flags;
    if (t->rd->read_refs != NULL)
        return VML_OK;
    ps->acc = malloc(PREF_ACC_BATCH * sizeof ps->acc[0]);
    if (ps->acc == NULL || imap_init(&ps->map) != 0) {
        prefs_free(ps);
        return VML_E_NOMEM;
    }
    return VML_OK;
}

int prefs_maybe(struct prefs *ps, uint32_t id)
{
    if (ps->n_maybe == ps->cap_maybe) {
        size_t cap = ps->cap_maybe ? 2 * ps->cap_maybe : 16;
        uint32_t *v = realloc(ps->maybe, cap * sizeof *v);
        if (v == NULL)
            return -1;
        ps->maybe = v;
        ps->cap_maybe = cap;
    }
    ps->maybe[ps->n_maybe++] = id;
    return 0;
}

void prefs_free(struct prefs *ps)
{
    free(ps->maybe);
    ps->maybe = NULL;
    free(ps->acc);
    free(ps->pids.v);
    imap_free(&ps->map);
    ps->acc = NULL;
    ps->pids.v = NULL;
}

/* The references of an access that straddles pages into pending_ref[]:
** 0, or -1 out of memory / too many pages. */
static int access_refs(struct prefs *ps, const vml_trace_access *a, uint32_t *n_out)
{
    uint64_t first = a->va >> VML_PAGE_SHIFT, last = first;
    uint32_t w = a->kind == VML_TRACE_WRITE || a->kind == VML_TRACE_MODIFY;
    uint32_t n = 0;

    if ((ps->flags & VML_REPLAY_STRADDLE) && a->size > 1 && a->va + (a->size - 1u) > a->va)
        last = (a->va + (a->size - 1u)) >> VML_PAGE_SHIFT;
    for (uint64_t page = first; page <= last; page++) {
        uint32_t id;
        int is_new;
        if (imap_id(&ps->map, a->pid, page, &id, &is_new) != 0)
            return -1;
        ps->pending_ref[n++] = id << 1 | w;
    }
    ps->n_ids = ps->map.n;
    *n_out = n;
    return 0;
}

vml_status prefs_read(struct prefs *ps, uint32_t *out, size_t max, size_t *n)
{
    vml_trace *t = ps->t;
    size_t k = 0;

    *n = 0;
    if (t->st != VML_OK)
        return t->st;
    if (t->rd->read_refs != NULL) {
        vml_status st = t->rd->read_refs(t, ps, out, max, &k);
        ps->refs += k;
        *n = k;
        return st;
    }
    while (k < max) {
        const vml_trace_access *a;
        if (ps->pending_pos < ps->pending_n) {    /* the rest of a straddle */
            out[k++] = ps->pending_ref[ps->pending_pos++];
            continue;
        }
        if (ps->acc_pos == ps->acc_n) {
            size_t got;
            vml_status st = vml_trace_read(t, ps->acc, PREF_ACC_BATCH, &got);
            if (st != VML_OK && k > 0)
                break;               /* what came before the failure first */
            if (st != VML_OK)
                return st;
            ps->acc_pos = 0;
            ps->acc_n = got;
            if (got == 0)
                break;
        }
        a = &ps->acc[ps->acc_pos++];
        if (a->kind == VML_TRACE_IFETCH && (ps->flags & VML_REPLAY_NO_IFETCH))
            continue;
        if ((a->flags & VML_TRACE_CONT) && !(ps->flags & VML_REPLAY_STRADDLE))
            continue;
        if (a->pid != ps->pids.last || ps->pids.n == 0) {
            if (pid_set_add(&ps->pids, a->pid) != 0)
                return tr_fail_line(t, VML_E_NOMEM, t->line, "out of memory");
        }
        if (a->size <= 1 || !(ps->flags & VML_REPLAY_STRADDLE)
            || ((a->va & (VML_PAGE_SIZE - 1)) + a->size <= VML_PAGE_SIZE)) {
            /* the common case: one page */
            uint32_t id;
            int is_new;
            if (imap_id(&ps->map, a->pid, a->va >> VML_PAGE_SHIFT, &id, &is_new) != 0)
                return tr_fail_line(t, VML_E_NOMEM, t->line,
                                    "out of memory (or more than %u distinct pages)", VMT_MAX_IDS);
            out[k++] = id << 1 | (uint32_t)(a->kind == VML_TRACE_WRITE
                                            || a->kind == VML_TRACE_MODIFY);
            ps->n_ids = ps->map.n;
        } else {
            if (access_refs(ps, a, &ps->pending_n) != 0)
                return tr_fail_line(t, VML_E_NOMEM, t->line,
                                    "out of memory (or more than %u distinct pages)", VMT_MAX_IDS);
            ps->pending_pos = 0;
        }
    }
    ps->refs += k;
    *n = k;
    return VML_OK;
}
