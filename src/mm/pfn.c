/*
** pfn.c -- the PFN database: one struct pfn_entry per simulated frame, and
** the page lists (Windows' MMPFN and MmZeroedPageListHead & co.).
**
** INVARIANTS (checked by pfn_check(); cite the ID in assertions):
**   PFN1  Every frame is on exactly one page list, or is active; the
**         entry's list field names it, and the links of each list agree
**         both ways.
**   PFN2  lists[L].count equals the number of frames whose list is L.
**   PFN3  Zeroed, free and bad frames have share_count 0 and no PTE
**         back-pointer.
**   PFN4  Modified frames carry VML_PFN_MODIFIED; standby frames do not.
**   PFN5  Standby and modified frames have share_count 0
**         (that their PTE or prototype PTE is a transition PTE naming them
**         is RMAP3, checked with the page tables).
**   PFN6  The first frames of the zeroed list hold only zero bytes (sampled).
**   PFN7  The standby list is ordered by page priority, lowest first, and
**         sb_tail[k] is its last frame of priority k (PFN_NIL: none), so its
**         head is the page to repurpose first (Windows keeps eight standby
**         lists, one per priority, and repurposes from the lowest).
**
** TRANSITIONS (and the only function that performs each):
**   zeroed|free|standby -> active      pfn_take()      (a standby page's old
**                                      owner is told first, by reclaim.c)
**   active|standby|modified -> free    pfn_free()
**   active        -> standby|modified  pfn_release()   (clean | dirty)
**   standby|modified -> active         pfn_reclaim()   (soft fault)
**   modified      -> standby           pfn_written()   (modified page writer)
**   free          -> zeroed            pfn_zero_one()  (zero-page worker)
**   zeroed|free   -> bad               vml_pfn_mark_bad()
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "machine.h"

static void list_event(vml_machine *m, vml_pfn pfn, vml_list from, vml_list to, unsigned pid)
{
    if (!mm_tracing(m))
        return;
    vml_event ev = { .type = VML_EV_LIST_MOVE, .pid = pid, .pfn = pfn,
                     .from = from, .to = to };
    mm_emit(m, &ev);
}

/* Links pfn into list l after frame prev (PFN_NIL: at the head). */
static void list_insert_after(vml_machine *m, vml_list l, uint32_t prev, vml_pfn pfn)
{
    struct pfn_list *L = &m->lists[l];
    struct pfn_entry *e = &m->pfn[pfn];
    uint32_t next = prev == PFN_NIL ? L->head : m->pfn[prev].flink;
    e->list = (uint8_t)l;
    e->blink = prev;
    e->flink = next;
    if (prev != PFN_NIL)
        m->pfn[prev].flink = (uint32_t)pfn;
    else
        L->head = (uint32_t)pfn;
    if (next != PFN_NIL)
        m->pfn[next].blink = (uint32_t)pfn;
    else
        L->tail = (uint32_t)pfn;
    L->count++;
}

static void list_push_tail(vml_machine *m, vml_list l, vml_pfn pfn)
{
    if (l == VML_LIST_STANDBY) {
        /* PFN7: behind the last page of the same or a lower priority. */
        unsigned k = m->pfn[pfn].priority & 7;
        int j = (int)k;
        while (j >= 0 && m->sb_tail[j] == PFN_NIL)
            j--;
        list_insert_after(m, l, j < 0 ? PFN_NIL : m->sb_tail[j], pfn);
        m->sb_tail[k] = (uint32_t)pfn;
        return;
    }
    list_insert_after(m, l, m->lists[l].tail, pfn);
}

static void list_unlink(vml_machine *m, vml_pfn pfn)
{
    struct pfn_entry *e = &m->pfn[pfn];
    struct pfn_list *L = &m->lists[e->list];
    if (e->list == VML_LIST_STANDBY && m->sb_tail[e->priority & 7] == pfn)
        m->sb_tail[e->priority & 7] = e->blink != PFN_NIL &&
                                      m->pfn[e->blink].priority == e->priority ? e->blink : PFN_NIL;
    if (e->blink != PFN_NIL)
        m->pfn[e->blink].flink = e->flink;
    else
        L->head = e->flink;
    if (e->flink != PFN_NIL)
        m->pfn[e->flink].blink = e->blink;
    else
        L->tail = e->blink;
    L->count--;
    e->flink = e->blink = PFN_NIL;
}

/* An entry that maps nothing and belongs to no use. */
static void entry_reset(struct pfn_entry *e)
{
    e->share_count = 0;
    e->pte_pa = 0;
    e->orig_pte = 0;
    e->flags = 0;
    e->xflags = 0;
    e->priority = 0;
    e->pt_level = 0;
}

static void make_active(vml_machine *m, vml_pfn pfn)
{
    struct pfn_entry *e = &m->pfn[pfn];
    e->list = VML_LIST_ACTIVE;
    e->flink = e->blink = PFN_NIL;
    m->lists[VML_LIST_ACTIVE].count++;
}

vml_status pfn_init(vml_machine *m)
{
    m->pfn = calloc(m->n_frames, sizeof *m->pfn);
    if (m->pfn == NULL)
        return VML_E_NOMEM;
    for (unsigned l = 0; l < VML_N_LISTS; l++) {
        m->lists[l].count = 0;
        m->lists[l].head = m->lists[l].tail = PFN_NIL;
    }
    for (unsigned k = 0; k < VML_STANDBY_PRIORITIES; k++)
        m->sb_tail[k] = PFN_NIL;
    /* Physical memory starts as zero bytes (calloc), so every frame begins
    ** on the zeroed list, in address order. */
    for (vml_pfn pfn = 0; pfn < m->n_frames; pfn++)
        list_push_tail(m, VML_LIST_ZEROED, pfn);
    return VML_OK;
}

vml_pfn pfn_pick(const vml_machine *m, unsigned how, vml_list *list)
{
    vml_list first = (how & PFN_PAGE_IN) ? VML_LIST_FREE : VML_LIST_ZEROED;
    vml_list second = (how & PFN_PAGE_IN) ? VML_LIST_ZEROED : VML_LIST_FREE;
    vml_list from;
    if (m->lists[first].count)
        from = first;
    else if (m->lists[second].count)
        from = second;
    else if (m->lists[VML_LIST_STANDBY].count)
        from = VML_LIST_STANDBY;
    else
        return VML_PFN_NONE;
    *list = from;
    return m->lists[from].head;
}

void pfn_take(vml_machine *m, vml_pfn pfn, unsigned how, unsigned pid)
{
    vml_list from = (vml_list)m->pfn[pfn].list;
    list_unlink(m, pfn);
    if (from != VML_LIST_ZEROED && (how & PFN_NEED_ZERO) && !m->no_data)
        phys_zero_frame(&m->phys, pfn);     /* (data=off: zero already, MCH4) */
    entry_reset(&m->pfn[pfn]);
    make_active(m, pfn);
    list_event(m, pfn, from, VML_LIST_ACTIVE, pid);
}

void pfn_free(vml_machine *m, vml_pfn pfn, unsigned pid)
{
    struct pfn_entry *e = &m->pfn[pfn];
    vml_list from = (vml_list)e->list;
    if (from == VML_LIST_ACTIVE)
        m->lists[VML_LIST_ACTIVE].count--;
    else
        list_unlink(m, pfn);
    if (m->no_data && (e->flags & (VML_PFN_PAGETABLE | VML_PFN_KERNEL)))
        phys_zero_frame(&m->phys, pfn);     /* MCH4 */
    entry_reset(e);
    list_push_tail(m, VML_LIST_FREE, pfn);
    list_event(m, pfn, from, VML_LIST_FREE, pid);
}

void pfn_release(vml_machine *m, vml_pfn pfn, int dirty, unsigned pid)
{
    struct pfn_entry *e = &m->pfn[pfn];
    vml_list to = dirty ? VML_LIST_MODIFIED : VML_LIST_STANDBY;
    m->lists[VML_LIST_ACTIVE].count--;
    e->share_count = 0;
    if (dirty)
        e->flags |= VML_PFN_MODIFIED;
    else
        e->flags &= (uint8_t)~VML_PFN_MODIFIED;
    list_push_tail(m, to, pfn);
    list_event(m, pfn, VML_LIST_ACTIVE, to, pid);
}

void pfn_reclaim(vml_machine *m, vml_pfn pfn, unsigned pid)
{
    vml_list from = (vml_list)m->pfn[pfn].list;
    list_unlink(m, pfn);
    make_active(m, pfn);
    list_event(m, pfn, from, VML_LIST_ACTIVE, pid);
}

void pfn_written(vml_machine *m, vml_pfn pfn, uint64_t pagefile_pte)
{
    struct pfn_entry *e = &m->pfn[pfn];
    list_unlink(m, pfn);
    e->flags &= (uint8_t)~VML_PFN_MODIFIED;
    e->orig_pte = pagefile_pte;
    list_push_tail(m, VML_LIST_STANDBY, pfn);
    list_event(m, pfn, VML_LIST_MODIFIED, VML_LIST_STANDBY, 0);
}

int pfn_zero_one(vml_machine *m)
{
    if (m->lists[VML_LIST_FREE].count == 0)
        return 0;
    vml_pfn pfn = m->lists[VML_LIST_FREE].head;
    list_unlink(m, pfn);
    if (!m->no_data)
        phys_zero_frame(&m->phys, pfn);
    list_push_tail(m, VML_LIST_ZEROED, pfn);
    m->st.pages_zeroed++;
    list_event(m, pfn, VML_LIST_FREE, VML_LIST_ZEROED, 0);
    return 1;
}

/* ---- public ------------------------------------------------------------------ */

const char *vml_list_name(vml_list l)
{
    static const char *const names[] = {
#define VML_X_NAME(name, text) text,
        VML_LIST_NAMES(VML_X_NAME)
#undef VML_X_NAME
    };
    return (unsigned)l < VML_N_LISTS ? names[l] : "?";
}

uint64_t vml_pfn_total(const vml_machine *m)
{
    return m ? m->n_frames : 0;
}

uint64_t vml_list_count(const vml_machine *m, vml_list l)
{
    return m && (unsigned)l < VML_N_LISTS ? m->lists[l].count : 0;
}

vml_pfn vml_list_head(const vml_machine *m, vml_list l)
{
    if (m == NULL || (unsigned)l >= VML_N_LISTS || l == VML_LIST_ACTIVE ||
        m->lists[l].head == PFN_NIL)
        return VML_PFN_NONE;
    return m->lists[l].head;
}

uint64_t vml_standby_count(const vml_machine *m, unsigned priority)
{
    uint64_t n = 0;
    if (m == NULL || priority >= VML_STANDBY_PRIORITIES)
        return 0;
    for (uint32_t f = m->sb_tail[priority]; f != PFN_NIL && m->pfn[f].priority == priority;
         f = m->pfn[f].blink)
        n++;
    return n;
}

vml_status vml_pfn_mark_bad(vml_machine *m, vml_pfn pfn)
{
    if (m == NULL)
        return VML_E_INVALID;
    if (pfn >= m->n_frames)
        return mm_fail(m, VML_E_RANGE, "pfn %#llx is beyond the last frame %#llx",
                       (unsigned long long)pfn, (unsigned long long)(m->n_frames - 1));
    struct pfn_entry *e = &m->pfn[pfn];
    vml_list from = (vml_list)e->list;
    if (from == VML_LIST_BAD)
        return mm_done(m, VML_OK);
    if (from != VML_LIST_FREE && from != VML_LIST_ZEROED)
        return mm_fail(m, VML_E_INVALID,
                       "pfn %#llx is %s: only a free or zeroed frame can be taken out of service",
                       (unsigned long long)pfn, vml_list_name(from));
    list_unlink(m, pfn);
    e->flags = VML_PFN_BAD;
    list_push_tail(m, VML_LIST_BAD, pfn);
    list_event(m, pfn, from, VML_LIST_BAD, 0);
    return mm_done(m, VML_OK);
}

uint64_t vml_zero_pages(vml_machine *m, uint64_t max)
{
    uint64_t n = 0;
    if (m == NULL)
        return 0;
    while ((max == 0 || n < max) && pfn_zero_one(m))
        n++;
    mm_done(m, VML_OK);
    return n;
}

vml_status vml_phys_read(const vml_machine *m, vml_pa pa, void *buf, size_t len)
{
    if (m == NULL || (buf == NULL && len))
        return VML_E_INVALID;
    if (!phys_valid(&m->phys, pa, len))
        return mm_fail((vml_machine *)m, VML_E_RANGE,
                       "physical range %#llx+%#zx is outside memory",
                       (unsigned long long)pa, len);
    memcpy(buf, phys_ptr(&m->phys, pa), len);
    return VML_OK;
}

/* ---- check --------------------------------------------------------------------- */

int pfn_check(vml_machine *m, char *msg, size_t size)
{
    uint64_t seen[VML_N_LISTS] = { 0 };
    for (unsigned l = 0; l < VML_N_LISTS; l++) {
        if (l == VML_LIST_ACTIVE)
            continue;
        uint32_t prev = PFN_NIL;
        uint64_t n = 0;
        for (uint32_t f = m->lists[l].head; f != PFN_NIL; f = m->pfn[f].flink) {
            if (f >= m->n_frames || ++n > m->n_frames) {
                snprintf(msg, size, "PFN1: list %s is broken at pfn %#x", vml_list_name(l), f);
                return -1;
            }
            if (m->pfn[f].list != l || m->pfn[f].blink != prev) {
                snprintf(msg, size, "PFN1: pfn %#x is linked on %s but says %s (blink %#x, expected %#x)",
                         f, vml_list_name(l), vml_list_name(m->pfn[f].list), m->pfn[f].blink, prev);
                return -1;
            }
            prev = f;
        }
        if (prev != m->lists[l].tail) {
            snprintf(msg, size, "PFN1: list %s ends at %#x, tail says %#x", vml_list_name(l), prev,
                     m->lists[l].tail);
            return -1;
        }
        if (n != m->lists[l].count) {
            snprintf(msg, size, "PFN2: list %s counts %llu, holds %llu", vml_list_name(l),
                     (unsigned long long)m->lists[l].count, (unsigned long long)n);
            return -1;
        }
    }
    for (vml_pfn f = 0; f < m->n_frames; f++) {
        const struct pfn_entry *e = &m->pfn[f];
        if (e->list >= VML_N_LISTS) {
            snprintf(msg, size, "PFN1: pfn %#llx has list %u", (unsigned long long)f, e->list);
            return -1;
        }
        seen[e->list]++;
        switch (e->list) {
        case VML_LIST_ZEROED: case VML_LIST_FREE: case VML_LIST_BAD:
            if (e->share_count || e->pte_pa) {
                snprintf(msg, size, "PFN3: %s pfn %#llx has share %u pte %#llx",
                         vml_list_name(e->list), (unsigned long long)f, e->share_count,
                         (unsigned long long)e->pte_pa);
                return -1;
            }
            break;
        case VML_LIST_STANDBY: case VML_LIST_MODIFIED: case VML_LIST_MODNOWRITE: {
            int modified = (e->flags & VML_PFN_MODIFIED) != 0;
            if ((e->list == VML_LIST_STANDBY) == modified) {
                snprintf(msg, size, "PFN4: %s pfn %#llx has modified=%d", vml_list_name(e->list),
                         (unsigned long long)f, modified);
                return -1;
            }
            if (e->share_count || e->pte_pa == 0) {
                snprintf(msg, size, "PFN5: %s pfn %#llx: share %u, PTE at %#llx",
                         vml_list_name(e->list), (unsigned long long)f, e->share_count,
                         (unsigned long long)e->pte_pa);
                return -1;
            }
            break;
        }
        default:
            break;
        }
    }
    if (seen[VML_LIST_ACTIVE] != m->lists[VML_LIST_ACTIVE].count) {
        snprintf(msg, size, "PFN2: list Active counts %llu, holds %llu",
                 (unsigned long long)m->lists[VML_LIST_ACTIVE].count,
                 (unsigned long long)seen[VML_LIST_ACTIVE]);
        return -1;
    }
    {
        uint32_t last[VML_STANDBY_PRIORITIES];
        unsigned prio = 0;
        for (unsigned k = 0; k < VML_STANDBY_PRIORITIES; k++)
            last[k] = PFN_NIL;
        for (uint32_t f = m->lists[VML_LIST_STANDBY].head; f != PFN_NIL; f = m->pfn[f].flink) {
            unsigned k = m->pfn[f].priority;
            if (k >= VML_STANDBY_PRIORITIES || k < prio) {
                snprintf(msg, size, "PFN7: standby pfn %#x has priority %u after priority %u", f, k,
                         prio);
                return -1;
            }
            prio = k;
            last[k] = f;
        }
        for (unsigned k = 0; k < VML_STANDBY_PRIORITIES; k++)
            if (last[k] != m->sb_tail[k]) {
                snprintf(msg, size, "PFN7: the last standby page of priority %u is %#x, sb_tail "
                         "says %#x", k, last[k], m->sb_tail[k]);
                return -1;
            }
    }
    unsigned sampled = 0;
    for (uint32_t f = m->lists[VML_LIST_ZEROED].head; f != PFN_NIL && sampled < 4;
         f = m->pfn[f].flink, sampled++) {
        const uint8_t *b = phys_frame(&m->phys, f);
        for (unsigned i = 0; i < VML_PAGE_SIZE; i++)
            if (b[i]) {
                snprintf(msg, size, "PFN6: zeroed pfn %#x has byte %#x at offset %#x", f, b[i], i);
                return -1;
            }
    }
    return 0;
}
