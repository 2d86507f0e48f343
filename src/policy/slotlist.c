/*
** slotlist.c -- the list behind FIFO, LRU, MRU and CLOCK (invariants
** L1-L2 in slotlist.h).
**
** TRANSITIONS (and the only function that performs each; the sl_op_
** functions wrap them):
**   off the list -> tail        sl_push_tail()
**   on the list  -> off         sl_op_unlink()
**   on the list  -> tail        sl_move_to_tail()
** (sl_push_tail, sl_move_to_tail and sl_link_out are inline in slotlist.h.)
*/
#include <stdlib.h>

#include "policy.h"
#include "slotlist.h"

/* Q1: an empty list's head and tail are no slot, and so are its victims. */
_Static_assert(SL_NIL == POLICY_NO_SLOT, "SL_NIL must be POLICY_NO_SLOT");

/* ---- as struct policy_ops's members ------------------------------------- */

void *sl_op_create(uint64_t capacity)
{
    struct slot_list *l;

    if (capacity == 0 || capacity >= SL_NIL)
        return NULL;
    l = calloc(1, sizeof *l);
    if (l == NULL)
        return NULL;
    l->head = l->tail = SL_NIL;
    l->link = calloc((size_t)capacity, sizeof l->link[0]);
    l->flags = calloc((size_t)capacity, sizeof l->flags[0]);
    if (l->link == NULL || l->flags == NULL) {
        sl_op_destroy(l);
        return NULL;
    }
    return l;
}

void sl_op_destroy(void *st)
{
    struct slot_list *l = st;

    if (l == NULL)
        return;
    free(l->link);
    free(l->flags);
    free(l);
}

void sl_op_push_tail(void *st, uint32_t slot, uint64_t key, uint64_t next_use, unsigned access)
{
    (void)key;
    (void)next_use;
    (void)access;
    sl_push_tail(st, slot);
}

void sl_op_move_to_tail(void *st, uint32_t slot, uint64_t next_use, unsigned access)
{
    (void)next_use;
    (void)access;
    sl_move_to_tail(st, slot);
}

void sl_op_ignore(void *st, uint32_t slot, uint64_t next_use, unsigned access)
{
    (void)st;
    (void)slot;
    (void)next_use;
    (void)access;
}

/* CLOCK's on_access.  The bit is written only when it was clear: replayed
** traces touch one page many times in a row, and a store each time would
** make every access wait for the one before it. */
void sl_op_mark(void *st, uint32_t slot, uint64_t next_use, unsigned access)
{
    struct slot_list *l = st;

    (void)next_use;
    (void)access;
    if (!(l->flags[slot] & SL_MARK))
        l->flags[slot] |= SL_MARK;
}

void sl_op_unlink(void *st, uint32_t slot)
{
    struct slot_list *l = st;

    sl_link_out(l, slot);
    l->flags[slot] = 0;   /* L2 */
}

uint32_t sl_op_head(void *st, const uint64_t *incoming)
{
    const struct slot_list *l = st;

    (void)incoming;
    return l->head;
}

uint32_t sl_op_tail(void *st, const uint64_t *incoming)
{
    const struct slot_list *l = st;

    (void)incoming;
    return l->tail;
}
