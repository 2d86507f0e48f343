/*
** lru.c -- LRU replacement: the victim is the resident slot whose last
** use (load or access) is the oldest.  A stack algorithm: with more
** frames it never takes more faults.
**
** INVARIANTS (with L1-L2 of slotlist.h):
**   U1  The list holds the resident slots in order of last use: the head
**       was used least recently, the tail most recently.
**
** TRANSITIONS (and the only function that performs each):
**   not resident -> resident (tail)  lru_insert()
**   resident -> tail                 lru_access()
**   resident -> not resident         lru_remove()
*/
#include "policy.h"
#include "slotlist.h"

static void *lru_create(uint64_t capacity)
{
    return sl_create(capacity);
}

static void lru_destroy(void *st)
{
    sl_destroy(st);
}

static void lru_insert(void *st, uint32_t slot, uint64_t next_use)
{
    (void)next_use;
    sl_push_tail(st, slot);
}

static void lru_access(void *st, uint32_t slot, uint64_t next_use)
{
    (void)next_use;
    sl_move_to_tail(st, slot);
}

static void lru_remove(void *st, uint32_t slot)
{
    sl_unlink(st, slot);
}

static uint32_t lru_victim(void *st)
{
    const struct slot_list *l = st;

    return l->head;   /* U1: the least recently used */
}

const struct policy_ops policy_lru = {
    .id = VML_POLICY_LRU,
    .flags = 0,
    .create = lru_create,
    .destroy = lru_destroy,
    .on_insert = lru_insert,
    .on_access = lru_access,
    .on_remove = lru_remove,
    .choose_victim = lru_victim,
};
