/*
** mru.c -- MRU replacement: the victim is the resident slot used (loaded
** or accessed) most recently.  Bad for most programs, best for a loop
** over more pages than there are frames, where LRU always evicts the
** page needed next.
**
** INVARIANTS (with L1-L2 of slotlist.h):
**   M1  The list holds the resident slots in order of last use: the head
**       was used least recently, the tail most recently.
**
** TRANSITIONS (and the only function that performs each):
**   not resident -> resident (tail)  mru_insert()
**   resident -> tail                 mru_access()
**   resident -> not resident         mru_remove()
*/
#include "policy.h"
#include "slotlist.h"

static void *mru_create(uint64_t capacity)
{
    return sl_create(capacity);
}

static void mru_destroy(void *st)
{
    sl_destroy(st);
}

static void mru_insert(void *st, uint32_t slot, uint64_t next_use)
{
    (void)next_use;
    sl_push_tail(st, slot);
}

static void mru_access(void *st, uint32_t slot, uint64_t next_use)
{
    (void)next_use;
    sl_move_to_tail(st, slot);
}

static void mru_remove(void *st, uint32_t slot)
{
    sl_unlink(st, slot);
}

static uint32_t mru_victim(void *st)
{
    const struct slot_list *l = st;

    return l->tail;   /* M1: the most recently used */
}

const struct policy_ops policy_mru = {
    .id = VML_POLICY_MRU,
    .flags = 0,
    .create = mru_create,
    .destroy = mru_destroy,
    .on_insert = mru_insert,
    .on_access = mru_access,
    .on_remove = mru_remove,
    .choose_victim = mru_victim,
};
