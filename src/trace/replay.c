/*
** replay.c -- policy-only replay: one "cell" is a replacement policy from
** the registry (policy_find, src/policy/) with a number of frames, fed
** page references "id << 1 | write" with dense ids.  No machine and no
** hashing: the page -> slot map is an array indexed by id.
**
** Counting is vml_policy_simulate's (docs/policies.md): every reference to
** a page not resident is a fault, cold misses included; a full memory
** evicts the policy's victim; a page written since it was loaded is dirty
** and its eviction is a write-back; frames are the policy's slots,
** numbered in the order they first fill.  A policy with
** POLICY_NEEDS_FUTURE (OPT) is given each reference's next use.  The
** policy sees as each page's key (Q4 of policy.h) its dense id, which
** names (pid, page) one to one, every write as POLICY_WRITE (Q5), and with
** choose_victim the id of the page that faulted; the pages a policy writes
** back while choosing (next_written, Q6: WSClock) are clean afterwards,
** each that was dirty a write-back.  Three
** on_access functions of the slot list (slotlist.h) are known for what
** they do and done inline on hits: sl_op_ignore (FIFO: nothing),
** sl_op_mark (CLOCK: the reference bit) and sl_op_move_to_tail (LRU, MRU:
** sl_move_to_tail, inline from slotlist.h).  Any
** other policy is called through its pointer.
**
** INVARIANTS (SIM1-SIM3 of sim.c, restated for ids):
**   RP1 Slots 0..n_used-1 are exactly the resident slots; a victim is
**       below n_used (a victim at or above it is a broken policy: error).
**   RP2 slot_of[id] is the slot of a resident id and CELL_NONE for any
**       other; slot_id[] is its inverse on the resident slots.
**   RP3 hits + faults == refs, evictions == faults - n_used.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/policy.h"
#include "policy/slotlist.h"
#include "trace.h"

#define CELL_NONE UINT32_MAX

/* What a hit does to the policy, found once per cell from its on_access
** (the three of the slot list done inline, above); with the future, the
** call is always through the pointer. */
enum hit_kind { HIT_CALL, HIT_CALL_FUTURE, HIT_IGNORE, HIT_MARK, HIT_TO_TAIL };

static enum hit_kind hit_kind_of(const struct policy_ops *ops)
{
    if (ops->on_access == sl_op_move_to_tail)   /* LRU, MRU */
        return HIT_TO_TAIL;
    if (ops->on_access == sl_op_mark)           /* CLOCK */
        return HIT_MARK;
    if (ops->on_access == sl_op_ignore)         /* FIFO: a hit changes nothing but dirt */
        return HIT_IGNORE;
    return HIT_CALL;
}

struct cell_run {
    vml_policy policy;
    const struct policy_ops *ops;
    void     *st;
    uint64_t  frames;
    uint32_t *slot_of;     /* RP2: id -> slot */
    size_t    n_slot_of;
    uint32_t *slot_id;     /* slot -> id */
    uint8_t  *dirty;       /* slot written since loaded */
    size_t    cap_slots;
    uint32_t  n_used;      /* RP1 */
    enum hit_kind hit;     /* hit_kind_of(ops), without the future */
    uint64_t  refs, hits, faults, evictions, writebacks;
};

struct cell_run *cell_create(vml_policy policy, uint64_t frames, char *err, size_t size)
{
    const struct policy_ops *ops = policy_find(policy);
    struct cell_run *c;

    if (ops == NULL) {
        snprintf(err, size, "policy %s runs only inside a machine", vml_policy_name(policy));
        return NULL;
    }
    if (frames == 0 || frames >= POLICY_NO_SLOT) {
        snprintf(err, size, "%llu frames: choose 1 to %u", (unsigned long long)frames,
                 POLICY_NO_SLOT - 1);
        return NULL;
    }
    c = calloc(1, sizeof *c);
    if (c == NULL) {
        snprintf(err, size, "out of memory");
        return NULL;
    }
    c->policy = policy;
    c->ops = ops;
    c->hit = hit_kind_of(ops);
    c->frames = frames;
    c->st = ops->create(frames);
    if (c->st == NULL) {
        snprintf(err, size, "out of memory for %s with %llu frames", vml_policy_name(policy),
                 (unsigned long long)frames);
        free(c);
        return NULL;
    }
    return c;
}

void cell_destroy(struct cell_run *c)
{
    if (c == NULL)
        return;
    c->ops->destroy(c->st);
    free(c->slot_of);
    free(c->slot_id);
    free(c->dirty);
    free(c);
}

int cell_needs_future(const struct cell_run *c)
{
    return (c->ops->flags & POLICY_NEEDS_FUTURE) != 0;
}

static int cell_grow_ids(struct cell_run *c, size_t n_ids)
{
    size_t cap = c->n_slot_of ? c->n_slot_of : 1024;
    uint32_t *v;

    while (cap < n_ids)
        cap *= 2;
    v = realloc(c->slot_of, cap * sizeof *v);
    if (v == NULL)
        return -1;
    memset(v + c->n_slot_of, 0xff, (cap - c->n_slot_of) * sizeof *v);   /* CELL_NONE */
    c->slot_of = v;
    c->n_slot_of = cap;
    return 0;
}

static int cell_grow_slots(struct cell_run *c)
{
    size_t cap = c->cap_slots ? 2 * c->cap_slots : 1024;
    uint32_t *id;
    uint8_t *dirty;

    if (cap > c->frames)
        cap = (size_t)c->frames;
    id = realloc(c->slot_id, cap * sizeof *id);
    if (id == NULL)
        return -1;
    c->slot_id = id;
    dirty = realloc(c->dirty, cap);
    if (dirty == NULL)
        return -1;
    c->dirty = dirty;
    c->cap_slots = cap;
    return 0;
}

/* Q6: the resident slots the policy wrote back while choosing its victim
** are clean now; each that was dirty is a write-back.  0, or -1 when the
** policy names a slot that is not resident (RP1). */
static int cell_written(struct cell_run *c, char *err, size_t size)
{
    uint32_t slot;

    if (c->ops->next_written == NULL)
        return 0;
    while ((slot = c->ops->next_written(c->st)) != POLICY_NO_SLOT) {
        if (slot >= c->n_used) {
            snprintf(err, size, "RP1: policy %s wrote back slot %u, not a resident one",
                     vml_policy_name(c->policy), slot);
            return -1;
        }
        c->writebacks += c->dirty[slot];
        c->dirty[slot] = 0;
    }
    return 0;
}

/* A reference to a page not resident: a free frame, or the victim's. */
static int cell_fault(struct cell_run *c, uint32_t ref, uint64_t next, char *err, size_t size)
{
    uint32_t id = PREF_ID(ref), slot;
    uint64_t key = id;

    c->faults++;
    if (c->n_used < c->frames) {
        if (c->n_used == c->cap_slots && cell_grow_slots(c) != 0) {
            snprintf(err, size, "out of memory");
            return -1;
        }
        slot = c->n_used++;
    } else {
        slot = c->ops->choose_victim(c->st, &key);
        if (slot >= c->n_used) {                          /* RP1 */
            snprintf(err, size, "RP1: policy %s chose slot %u, not a resident one",
                     vml_policy_name(c->policy), slot);
            return -1;
        }
        if (cell_written(c, err, size) != 0)
            return -1;
        c->ops->on_remove(c->st, slot);
        c->evictions++;
        c->writebacks += c->dirty[slot];
        c->slot_of[c->slot_id[slot]] = CELL_NONE;
    }
    c->slot_id[slot] = id;
    c->dirty[slot] = (uint8_t)PREF_WRITE(ref);
    c->slot_of[id] = slot;
    c->ops->on_insert(c->st, slot, key, next, PREF_WRITE(ref) ? POLICY_WRITE : 0);
    return 0;
}

/* The references i.. of a batch, as far as the next fault: the hits are
** the loop (next_use 0 for a policy without future, Q3).  Returns where
** it stopped.  Always inlined with a constant kind, so that each kind is
** a loop of its own with no switch in it. */
static inline __attribute__((always_inline)) size_t
feed_hits_as(struct cell_run *c, const uint32_t *refs, const uint64_t *next, size_t i, size_t n,
             enum hit_kind kind)
{
    void (*const on_access)(void *, uint32_t, uint64_t, unsigned) = c->ops->on_access;
    struct slot_list *const l = c->st;          /* only for the slot list's kinds */
    const uint32_t *const slot_of = c->slot_of;
    uint8_t *const dirty = c->dirty;

    for (; i < n; i++) {
        uint32_t r = refs[i], slot = slot_of[PREF_ID(r)];
        if (slot == CELL_NONE)
            break;
        switch (kind) {
        case HIT_CALL:
            on_access(c->st, slot, 0, PREF_WRITE(r) ? POLICY_WRITE : 0);
            break;
        case HIT_CALL_FUTURE:
            on_access(c->st, slot, next[i], PREF_WRITE(r) ? POLICY_WRITE : 0);
            break;
        case HIT_IGNORE:
            break;
        case HIT_MARK:      /* sl_op_mark: the bit written only when clear */
            if (!(l->flags[slot] & SL_MARK))
                l->flags[slot] |= SL_MARK;
            break;
        case HIT_TO_TAIL:   /* inline (slotlist.h) */
            sl_move_to_tail(l, slot);
            break;
        }
        if (PREF_WRITE(r))
            dirty[slot] = 1;
    }
    return i;
}

static size_t feed_hits(struct cell_run *c, const uint32_t *refs, const uint64_t *next, size_t i,
                        size_t n)
{
    switch (next != NULL ? HIT_CALL_FUTURE : c->hit) {
    case HIT_CALL:        return feed_hits_as(c, refs, next, i, n, HIT_CALL);
    case HIT_CALL_FUTURE: return feed_hits_as(c, refs, next, i, n, HIT_CALL_FUTURE);
    case HIT_IGNORE:      return feed_hits_as(c, refs, next, i, n, HIT_IGNORE);
    case HIT_MARK:        return feed_hits_as(c, refs, next, i, n, HIT_MARK);
    case HIT_TO_TAIL:     return feed_hits_as(c, refs, next, i, n, HIT_TO_TAIL);
    }
    return i;
}

int cell_feed(struct cell_run *c, const uint32_t *refs, const uint64_t *next, size_t n,
              uint32_t n_ids, char *err, size_t size)
{
    uint64_t faults = c->faults;
    size_t i = 0;

    if (n_ids > c->n_slot_of && cell_grow_ids(c, n_ids) != 0) {
        snprintf(err, size, "out of memory");
        return -1;
    }
    for (;;) {
        i = feed_hits(c, refs, next, i, n);
        if (i == n)
            break;
        if (cell_fault(c, refs[i], next != NULL ? next[i] : 0, err, size) != 0) {
            c->hits += i - (c->faults - faults);
            c->refs += i;
            return -1;
        }
        i++;
    }
    c->hits += n - (c->faults - faults);
    c->refs += n;
    return 0;
}

void cell_results(const struct cell_run *c, vml_replay_cell *out)
{
    out->refs = c->refs;
    out->hits = c->hits;
    out->faults = c->faults;
    out->evictions = c->evictions;
    out->writebacks = c->writebacks;
}

int cell_check(const struct cell_run *c, char *err, size_t size)
{
    uint32_t resident = 0;

    for (size_t id = 0; id < c->n_slot_of; id++) {
        uint32_t slot = c->slot_of[id];
        if (slot == CELL_NONE)
            continue;
        resident++;
        if (slot >= c->n_used || c->slot_id[slot] != id) {        /* RP1, RP2 */
            snprintf(err, size, "RP2: page %zu maps slot %u, whose page is %u", id, slot,
                     slot < c->n_used ? c->slot_id[slot] : UINT32_MAX);
            return -1;
        }
    }
    if (resident != c->n_used) {
        snprintf(err, size, "RP1: %u slots used, %u pages resident", c->n_used, resident);
        return -1;
    }
    if (c->hits + c->faults != c->refs || c->evictions != c->faults - c->n_used) {   /* RP3 */
        snprintf(err, size, "RP3: %llu hits + %llu faults, %llu refs, %llu evictions",
                 (unsigned long long)c->hits, (unsigned long long)c->faults,
                 (unsigned long long)c->refs, (unsigned long long)c->evictions);
        return -1;
    }
    return 0;
}
