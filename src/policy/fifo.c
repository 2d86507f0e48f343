/*
** fifo.c -- FIFO replacement: the victim is the slot loaded longest ago.
** Touching a page changes nothing, which is why FIFO shows Belady's
** anomaly (more frames, more faults on 1,2,3,4,1,2,5,1,2,3,4,5).
**
** INVARIANTS (with L1-L2 of slotlist.h):
**   F1  The list holds the resident slots in load order: the head was
**       loaded first, the tail last.
**
** TRANSITIONS (and the only function that performs each):
**   not resident -> resident (tail)  fifo_insert()
**   resident -> not resident         fifo_remove()
*/
#include "policy.h"
#include "slotlist.h"

static void *fifo_create(uint64_t capacity)
{
    return sl_create(capacity);
}

static void fifo_destroy(void *st)
{
    sl_destroy(st);
}

static void fifo_insert(void *st, uint32_t slot, uint64_t next_use)
{
    (void)next_use;
    sl_push_tail(st, slot);
}

static void fifo_access(void *st, uint32_t slot, uint64_t next_use)
{
    (void)st;
    (void)slot;
    (void)next_use;
}

static void fifo_remove(void *st, uint32_t slot)
{
    sl_unlink(st, slot);
}

static uint32_t fifo_victim(void *st)
{
    const struct slot_list *l = st;

    return l->head;   /* F1: the oldest load */
}

const struct policy_ops policy_fifo = {
    .id = VML_POLICY_FIFO,
    .flags = 0,
    .create = fifo_create,
    .destroy = fifo_destroy,
    .on_insert = fifo_insert,
    .on_access = fifo_access,
    .on_remove = fifo_remove,
    .choose_victim = fifo_victim,
};
