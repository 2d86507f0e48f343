/*
** opt.c -- OPT (Belady's MIN): the victim is the resident slot whose page
** is needed farthest in the future; a page never used again (next_use
** POLICY_NEVER) counts as infinitely far.  No policy takes fewer faults,
** but it needs the whole reference string in advance, so it is the
** yardstick the others are measured against, not a policy a kernel can
** run.
**
** The resident slots are kept in an indexed binary max-heap ordered by
** next_use; ties (in practice: several pages never used again) go to the
** lowest slot, so the result does not depend on the heap's history.  The
** position array makes an update or a removal of any slot O(log n).
**
** INVARIANTS:
**   O1  Heap order: no slot in heap[] is above its parent, where a is
**       above b when next_use[a] > next_use[b], or they are equal and
**       a < b.  heap[0] is therefore the victim.
**   O2  pos[s] is 1 + s's index in heap[] for a resident slot s and 0 for
**       any other: heap[pos[s] - 1] == s.
**   O3  n is the number of resident slots; heap[0..n) holds exactly them.
**
** TRANSITIONS (and the only function that performs each):
**   not resident -> resident   opt_insert()
**   next_use updated           opt_access()
**   resident -> not resident   opt_remove()
*/
#include <stdlib.h>

#include "policy.h"

struct opt {
    uint32_t  n;          /* O3 */
    uint32_t *heap;       /* capacity entries: slots, heap-ordered (O1) */
    uint32_t *pos;        /* capacity entries: O2 */
    uint64_t *next_use;   /* capacity entries: the key of each slot */
};

/* O1's order: 1 when slot a belongs above slot b. */
static int opt_above(const struct opt *o, uint32_t a, uint32_t b)
{
    if (o->next_use[a] != o->next_use[b])
        return o->next_use[a] > o->next_use[b];
    return a < b;
}

static void opt_place(struct opt *o, uint32_t i, uint32_t slot)
{
    o->heap[i] = slot;
    o->pos[slot] = i + 1;
}

static void opt_sift_up(struct opt *o, uint32_t i)
{
    uint32_t slot = o->heap[i];

    while (i > 0) {
        uint32_t parent = (i - 1) / 2;
        if (!opt_above(o, slot, o->heap[parent]))
            break;
        opt_place(o, i, o->heap[parent]);
        i = parent;
    }
    opt_place(o, i, slot);
}

static void opt_sift_down(struct opt *o, uint32_t i)
{
    uint32_t slot = o->heap[i];

    for (;;) {
        uint64_t left = 2 * (uint64_t)i + 1, child;
        if (left >= o->n)
            break;
        child = left;
        if (left + 1 < o->n && opt_above(o, o->heap[left + 1], o->heap[left]))
            child = left + 1;
        if (!opt_above(o, o->heap[child], slot))
            break;
        opt_place(o, i, o->heap[child]);
        i = (uint32_t)child;
    }
    opt_place(o, i, slot);
}

static void opt_destroy(void *st)
{
    struct opt *o = st;

    if (o == NULL)
        return;
    free(o->heap);
    free(o->pos);
    free(o->next_use);
    free(o);
}

static void *opt_create(uint64_t capacity)
{
    struct opt *o;

    if (capacity == 0 || capacity >= POLICY_NO_SLOT)
        return NULL;
    o = calloc(1, sizeof *o);
    if (o == NULL)
        return NULL;
    o->heap = calloc((size_t)capacity, sizeof o->heap[0]);
    o->pos = calloc((size_t)capacity, sizeof o->pos[0]);
    o->next_use = calloc((size_t)capacity, sizeof o->next_use[0]);
    if (o->heap == NULL || o->pos == NULL || o->next_use == NULL) {
        opt_destroy(o);
        return NULL;
    }
    return o;
}

static void opt_insert(void *st, uint32_t slot, uint64_t next_use)
{
    struct opt *o = st;

    o->next_use[slot] = next_use;
    opt_place(o, o->n++, slot);
    opt_sift_up(o, o->n - 1);
}

/* A key that grows can only move up (O1), one that shrinks only down: on a
** replayed trace the next use of an accessed page always grows, so this
** is one sift per access, not two. */
static void opt_access(void *st, uint32_t slot, uint64_t next_use)
{
    struct opt *o = st;
    uint32_t i = o->pos[slot] - 1;
    uint64_t old = o->next_use[slot];

    o->next_use[slot] = next_use;
    if (next_use > old)
        opt_sift_up(o, i);
    else if (next_use < old)
        opt_sift_down(o, i);
}

static void opt_remove(void *st, uint32_t slot)
{
    struct opt *o = st;
    uint32_t i = o->pos[slot] - 1;
    uint32_t last = o->heap[--o->n];

    o->pos[slot] = 0;
    if (last == slot)
        return;
    opt_place(o, i, last);       /* the last leaf fills the hole ... */
    opt_sift_up(o, i);           /* ... and moves whichever way O1 needs */
    opt_sift_down(o, o->pos[last] - 1);
}

/* POLICY_NO_SLOT when nothing is resident (Q1). */
static uint32_t opt_victim(void *st)
{
    const struct opt *o = st;

    return o->n > 0 ? o->heap[0] : POLICY_NO_SLOT;
}

const struct policy_ops policy_opt = {
    .id = VML_POLICY_OPT,
    .flags = POLICY_NEEDS_FUTURE,
    .create = opt_create,
    .destroy = opt_destroy,
    .on_insert = opt_insert,
    .on_access = opt_access,
    .on_remove = opt_remove,
    .choose_victim = opt_victim,
};
