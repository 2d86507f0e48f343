/*
** fifo.c -- FIFO replacement: the victim is the slot loaded longest ago.
** Touching a page changes nothing, which is why FIFO shows Belady's
** anomaly (more frames, more faults on 1,2,3,4,1,2,5,1,2,3,4,5).
**
** INVARIANTS (with L1-L2 of slotlist.h):
**   FF1  The list holds the resident slots in load order: the head was
**       loaded first, the tail last.
**
** TRANSITIONS (and the only function that performs each):
**   not resident -> resident (tail)  sl_op_push_tail()
**   resident -> not resident         sl_op_unlink()
*/
#include "policy.h"
#include "slotlist.h"

const struct policy_ops policy_fifo = {
    .id = VML_POLICY_FIFO,
    .flags = 0,
    .create = sl_op_create,
    .destroy = sl_op_destroy,
    .on_insert = sl_op_push_tail,
    .on_access = sl_op_ignore,
    .on_remove = sl_op_unlink,
    .choose_victim = sl_op_head,   /* FF1: the oldest load */
};
