/*
** opt.c -- OPT (Belady's MIN): the victim is the resident slot whose page
** is needed farthest in the future; a page never used again (next_use
** POLICY_NEVER) counts as infinitely far.  No policy takes fewer faults,
** but it needs the whole reference string in advance, so it is the
** yardstick the others are measured against, not a policy a kernel can
** run.
**
** The resident slots are kept in an indexed binary max-heap keyed by
** next_use (slotheap.h); ties (in practice: several pages never used
** again) go to the lowest slot, so the result does not depend on the
** heap's history.  Every operation is O(log n).
**
** INVARIANTS (with H1-H3 of slotheap.h):
**   O1  The heap's members are exactly the resident slots, each keyed by
**       the next_use of its last insert or access; its top is the victim.
**
** TRANSITIONS (and the only function that performs each):
**   not resident -> resident   opt_insert()
**   next_use updated           opt_access()
**   resident -> not resident   opt_remove()
*/
#include <stdlib.h>

#include "policy.h"
#include "slotheap.h"

static void opt_destroy(void *st)
{
    struct slot_heap *h = st;

    if (h == NULL)
        return;
    sh_fini(h);
    free(h);
}

static void *opt_create(uint64_t capacity)
{
    struct slot_heap *h;

    if (capacity == 0 || capacity >= POLICY_NO_SLOT)
        return NULL;
    h = calloc(1, sizeof *h);
    if (h == NULL || sh_init(h, capacity) != 0) {
        free(h);
        return NULL;
    }
    return h;
}

static void opt_insert(void *st, uint32_t slot, uint64_t key, uint64_t next_use, unsigned access)
{
    (void)key;
    (void)access;
    sh_insert(st, slot, next_use);
}

static void opt_access(void *st, uint32_t slot, uint64_t next_use, unsigned access)
{
    (void)access;
    sh_update(st, slot, next_use);
}

static void opt_remove(void *st, uint32_t slot)
{
    sh_remove(st, slot);
}

/* POLICY_NO_SLOT when nothing is resident (Q1). */
static uint32_t opt_victim(void *st, const uint64_t *incoming)
{
    (void)incoming;
    return sh_top(st);
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
