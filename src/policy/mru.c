/*
** mru.c -- MRU replacement: the victim is the resident slot used (loaded
** or accessed) most recently.  Bad for most programs, best for a loop
** over more pages than there are frames, where LRU always evicts the
** page needed next.  The list is LRU's; only the victim's end differs.
**
** INVARIANTS (with L1-L2 of slotlist.h):
**   M1  The list holds the resident slots in order of last use: the head
**       was used least recently, the tail most recently.
**
** TRANSITIONS (and the only function that performs each):
**   not resident -> resident (tail)  sl_op_push_tail()
**   resident -> tail                 sl_op_move_to_tail()
**   resident -> not resident         sl_op_unlink()
*/
#include "policy.h"
#include "slotlist.h"

const struct policy_ops policy_mru = {
    .id = VML_POLICY_MRU,
    .flags = 0,
    .create = sl_op_create,
    .destroy = sl_op_destroy,
    .on_insert = sl_op_push_tail,
    .on_access = sl_op_move_to_tail,
    .on_remove = sl_op_unlink,
    .choose_victim = sl_op_tail,   /* M1: the most recently used */
};
