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
**   not resident -> resident (tail)  sl_op_push_tail()
**   resident -> tail                 sl_op_move_to_tail()
**   resident -> not resident         sl_op_unlink()
*/
#include "policy.h"
#include "slotlist.h"

const struct policy_ops policy_lru = {
    .id = VML_POLICY_LRU,
    .flags = 0,
    .create = sl_op_create,
    .destroy = sl_op_destroy,
    .on_insert = sl_op_push_tail,
    .on_access = sl_op_move_to_tail,
    .on_remove = sl_op_unlink,
    .choose_victim = sl_op_head,   /* U1: the least recently used */
};
