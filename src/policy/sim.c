/*
** sim.c -- vml_policy_simulate(): one replacement policy alone on a
** reference string, with `frames` frames and no machine around it.
**
** Frames are the policy's slots, numbered in the order they first fill
** (a frame reloaded after an eviction keeps its number).  A hash map
** (keymap.h: open addressing, linear probing) finds the slot of a resident page;
** slot_page[] goes back.  For a policy that needs the future (OPT,
** optclean) one backward pass first gives every position the position
** of its page's next reference, so the whole run is O(n) expected plus
** the policy's own cost per reference (Q7: O(1) amortized, or O(log
** frames) for the heaps of OPT, optclean, LRU-2, NRU, aging and
** WSClock); O(n log n) at most, with the final sort of the resident
** pages.  OPT's only ties are pages never
** used again (no two pages share a next reference); it breaks them by
** the lowest slot, so the page in the earliest-filled frame goes.
**
** Conventions (the textbook's): every reference to a page not resident
** is a fault, including the cold misses that fill free frames; a write
** makes the page dirty until it leaves, and evicting a dirty page is a
** write-back.  A policy that writes pages back without evicting them
** (WSClock, Q6 of policy.h) makes them clean, each a write-back too.
** Pages still resident at the end are not written back.  The policy
** sees each page's number as its key (Q4) and, with choose_victim, the
** page that faulted.
**
** INVARIANTS (of a run; SIM1 is checked on every eviction):
**   SIM1  Slots 0..n_used-1 are exactly the resident slots (a slot is only
**       freed by an eviction that reloads it at once), so a victim is
**       always below n_used.
**   SIM2  The map holds page -> slot for exactly the resident pages, and
**       slot_page[] is its inverse.
**   SIM3  hits + faults == the references seen so far, and
**       evictions == faults - n_used.
*/
#include <stdlib.h>
#include <string.h>

#include "keymap.h"
#include "policy.h"

/* ---- the run ------------------------------------------------------------ */

struct sim {
    const struct policy_ops *ops;
    void     *st;
    uint64_t  n_slots;
    uint64_t *slot_page;    /* SIM2 */
    uint8_t  *dirty;        /* written since loaded */
    uint64_t *next_use;     /* per position; only with POLICY_NEEDS_FUTURE */
    struct keymap resident; /* page -> slot (SIM2) */
};

static void sim_free(struct sim *s)
{
    if (s->st != NULL)
        s->ops->destroy(s->st);
    free(s->slot_page);
    free(s->dirty);
    free(s->next_use);
    km_fini(&s->resident);
}

/* Q3: next_use[i] is the position of the next reference to refs[i]'s
** page, POLICY_NEVER when there is none.  One backward pass.  An empty
** string needs no array (and malloc(0) may return NULL). */
static vml_status sim_future(struct sim *s, const vml_ref *refs, size_t n)
{
    struct keymap next;

    if (n == 0)
        return VML_OK;
    s->next_use = malloc(n * sizeof s->next_use[0]);
    if (s->next_use == NULL || km_init(&next, 64) != 0)
        return VML_E_NOMEM;
    for (size_t i = n; i-- > 0;) {
        uint64_t pos = km_get(&next, refs[i].page);
        s->next_use[i] = pos != KM_NONE ? pos : POLICY_NEVER;
        if (km_set(&next, refs[i].page, i) != 0) {
            km_fini(&next);
            return VML_E_NOMEM;
        }
    }
    km_fini(&next);
    return VML_OK;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

    return (x > y) - (x < y);
}

/* Q6: the pages the policy wrote back while choosing its victim are
** clean now; each that was dirty is a write-back.  0, or -1 when the
** policy names a slot that is not resident. */
static int sim_written(struct sim *s, uint64_t n_used, vml_policy_result *r)
{
    uint32_t slot;

    if (s->ops->next_written == NULL)
        return 0;
    while ((slot = s->ops->next_written(s->st)) != POLICY_NO_SLOT) {
        if (slot >= n_used)
            return -1;
        r->writebacks += s->dirty[slot];
        s->dirty[slot] = 0;
    }
    return 0;
}

static vml_status sim_run(struct sim *s, const vml_ref *refs, size_t n, vml_policy_result *r)
{
    uint64_t n_used = 0;

    for (size_t i = 0; i < n; i++) {
        uint64_t page = refs[i].page, next_use = s->next_use ? s->next_use[i] : 0;
        uint64_t slot = km_get(&s->resident, page);
        unsigned access = refs[i].write ? POLICY_WRITE : 0;

        if (slot != KM_NONE) {
            r->hits++;
            s->ops->on_access(s->st, (uint32_t)slot, next_use, access);
        } else {
            r->faults++;
            if (n_used < s->n_slots) {
                slot = n_used++;                  /* a free frame */
            } else {
                slot = s->ops->choose_victim(s->st, &page);
                if (slot >= n_used || sim_written(s, n_used, r) != 0)   /* Q1, Q6, SIM1 */
                    return VML_E_CORRUPT;
                s->ops->on_remove(s->st, (uint32_t)slot);
                r->evictions++;
                r->writebacks += s->dirty[slot];
                km_del(&s->resident, s->slot_page[slot]);
            }
            s->slot_page[slot] = page;
            s->dirty[slot] = 0;
            km_put(&s->resident, page, slot);   /* sized for n_slots (SIM2) */
            s->ops->on_insert(s->st, (uint32_t)slot, page, next_use, access);
        }
        if (access)
            s->dirty[slot] = 1;
    }
    r->refs = n;
    if (n_used > 0) {
        r->resident = malloc((size_t)n_used * sizeof r->resident[0]);
        if (r->resident == NULL)
            return VML_E_NOMEM;
        memcpy(r->resident, s->slot_page, (size_t)n_used * sizeof r->resident[0]);
        qsort(r->resident, (size_t)n_used, sizeof r->resident[0], cmp_u64);
        r->n_resident = (size_t)n_used;
    }
    return VML_OK;
}

vml_status vml_policy_simulate(vml_policy policy, uint64_t frames, const vml_ref *refs, size_t n,
                               vml_policy_result *out)
{
    struct sim s = { 0 };
    vml_policy_result r = { 0 };
    vml_status st;

    if (out == NULL)
        return VML_E_INVALID;
    memset(out, 0, sizeof *out);
    if (frames == 0 || (refs == NULL && n > 0) || (unsigned)policy >= VML_N_POLICIES)
        return VML_E_INVALID;
    if (policy == VML_POLICY_WS)
        return VML_E_UNSUPPORTED;
    s.ops = policy_find(policy);
    if (s.ops == NULL)
        return VML_E_INVALID;
    /* More frames than references can never fill up. */
    s.n_slots = frames < n ? frames : (n > 0 ? n : 1);
    if (s.n_slots >= POLICY_NO_SLOT)
        return VML_E_RANGE;

    s.st = s.ops->create(s.n_slots);
    s.slot_page = calloc((size_t)s.n_slots, sizeof s.slot_page[0]);
    s.dirty = calloc((size_t)s.n_slots, sizeof s.dirty[0]);
    if (s.st == NULL || s.slot_page == NULL || s.dirty == NULL
        || km_init(&s.resident, s.n_slots) != 0)
        st = VML_E_NOMEM;
    else if (s.ops->flags & POLICY_NEEDS_FUTURE)
        st = sim_future(&s, refs, n);
    else
        st = VML_OK;
    if (st == VML_OK)
        st = sim_run(&s, refs, n, &r);
    sim_free(&s);
    if (st != VML_OK) {
        vml_policy_result_free(&r);
        return st;
    }
    *out = r;
    return VML_OK;
}

void vml_policy_result_free(vml_policy_result *r)
{
    if (r == NULL)
        return;
    free(r->resident);
    memset(r, 0, sizeof *r);
}
