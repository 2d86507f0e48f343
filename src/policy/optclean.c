/*
** optclean.c -- clean-first OPT: Belady's MIN, and among the resident
** pages whose next use is farthest -- which, since no two pages share a
** next reference, are the pages never used again -- a clean page goes
** before a dirty one (then the lowest slot, as OPT).  Of the two
** variants the issue offered (this one, or evicting the clean page that
** minimises faults plus write-backs) this is the one whose cost we can
** state exactly: it takes exactly OPT's faults (evicting any page never
** used again leaves the same future), and never more write-backs than
** OPT's lowest-slot choice -- a page never used again is never written
** again, so evicting the clean ones first leaves the dirty ones to the
** end, where pages still resident are not written back.  Like OPT it
** needs the future, so it runs on reference strings, not on a machine.
**
** The heap is OPT's (slotheap.h) with the key next_use, or for a page
** never used again POLICY_NEVER when clean and POLICY_NEVER - 1 when
** dirty (a real next use is a position in the string, far below both).
** O(log n) per operation.
**
** INVARIANTS (with H1-H3 of slotheap.h):
**   C1  The heap's members are exactly the resident slots, each keyed as
**       above by its last next_use and dirty[] (written since loaded).
**
** TRANSITIONS (and the only function that performs each):
**   not resident -> resident      oc_insert()
**   next_use or dirty updated     oc_access()
**   resident -> not resident      oc_remove()
*/
#include <stdlib.h>

#include "policy.h"
#include "slotheap.h"

struct optclean {
    struct slot_heap h;
    uint8_t         *dirty;   /* per slot */
};

static uint64_t oc_key(uint64_t next_use, int dirty)
{
    if (next_use != POLICY_NEVER)
        return next_use;
    return dirty ? POLICY_NEVER - 1 : POLICY_NEVER;
}

static void oc_destroy(void *st)
{
    struct optclean *o = st;

    if (o == NULL)
        return;
    sh_fini(&o->h);
    free(o->dirty);
    free(o);
}

static void *oc_create(uint64_t capacity)
{
    struct optclean *o;

    if (capacity == 0 || capacity >= POLICY_NO_SLOT)
        return NULL;
    o = calloc(1, sizeof *o);
    if (o == NULL)
        return NULL;
    o->dirty = calloc((size_t)capacity, sizeof o->dirty[0]);
    if (o->dirty == NULL || sh_init(&o->h, capacity) != 0) {
        free(o->dirty);
        free(o);
        return NULL;
    }
    return o;
}

static void oc_insert(void *st, uint32_t slot, uint64_t key, uint64_t next_use, unsigned access)
{
    struct optclean *o = st;

    (void)key;
    o->dirty[slot] = (access & POLICY_WRITE) != 0;
    sh_insert(&o->h, slot, oc_key(next_use, o->dirty[slot]));
}

static void oc_access(void *st, uint32_t slot, uint64_t next_use, unsigned access)
{
    struct optclean *o = st;

    if (access & POLICY_WRITE)
        o->dirty[slot] = 1;
    sh_update(&o->h, slot, oc_key(next_use, o->dirty[slot]));
}

static void oc_remove(void *st, uint32_t slot)
{
    struct optclean *o = st;

    o->dirty[slot] = 0;
    sh_remove(&o->h, slot);
}

/* POLICY_NO_SLOT when nothing is resident (Q1). */
static uint32_t oc_victim(void *st, const uint64_t *incoming)
{
    struct optclean *o = st;

    (void)incoming;
    return sh_top(&o->h);
}

const struct policy_ops policy_optclean = {
    .id = VML_POLICY_OPTCLEAN,
    .flags = POLICY_NEEDS_FUTURE,
    .create = oc_create,
    .destroy = oc_destroy,
    .on_insert = oc_insert,
    .on_access = oc_access,
    .on_remove = oc_remove,
    .choose_victim = oc_victim,
};
