/*
** clock.c -- CLOCK (second chance): the resident slots stand on a circle
** in load order with a hand sweeping over them.  Each slot has a
** reference bit, set by an access.  To choose a victim the hand looks at
** its slot: bit set -> clear it and move on (a second chance); bit clear
** -> that slot is the victim, and the hand stays on it, so after its
** removal the sweep continues with the slot that followed it.  A new slot
** goes just behind the hand: the last one the hand will reach.
**
** Two variants differ only on load:
**   clock   sets the bit on insert, as the hardware Accessed bit is set by
**           the access that faulted the page in;
**   clock0  leaves it clear on insert (libCacheSim's Clock): a page must
**           be touched again after its load to earn a second chance.
**
** The circle is kept as a slot list (slotlist.h) whose head is the slot
** under the hand and whose tail is the slot just behind it: moving the
** hand on is moving the head to the tail, O(1); a full sweep clears every
** bit it passes, so choosing a victim is O(1) amortized over the accesses
** that set the bits.
**
** INVARIANTS (with L1-L2 of slotlist.h):
**   CLK1  The list holds the resident slots in the order the hand will
**       reach them, starting with the slot under the hand (the head).
**   CLK2  CLOCK_REF is set only in the flags of resident slots.
**
** TRANSITIONS (and the only function that performs each):
**   not resident -> resident (behind the hand)  clock_insert_ref(),
**                                               sl_op_push_tail() (clock0)
**   bit clear -> bit set                        sl_op_mark()
**   bit set -> bit clear, hand moves on         clock_victim()
**   resident -> not resident                    sl_op_unlink(), which
**       clears the bit (CLK2) and, for the slot under the hand, moves the
**       hand to its successor
*/
#include "policy.h"
#include "slotlist.h"

#define CLOCK_REF SL_MARK   /* the reference bit, in slot_list.flags (L2) */

static void clock_insert_ref(void *st, uint32_t slot, uint64_t key, uint64_t next_use,
                             unsigned access)
{
    struct slot_list *l = st;

    (void)key;
    (void)next_use;
    (void)access;
    sl_push_tail(l, slot);           /* CLK1: just behind the hand */
    l->flags[slot] |= CLOCK_REF;
}

/* SL_NIL, which is POLICY_NO_SLOT, when nothing is resident (Q1). */
static uint32_t clock_victim(void *st, const uint64_t *incoming)
{
    struct slot_list *l = st;

    (void)incoming;
    while (l->head != SL_NIL && (l->flags[l->head] & CLOCK_REF)) {
        uint32_t slot = l->head;
        l->flags[slot] &= (uint8_t)~CLOCK_REF;
        sl_move_to_tail(l, slot);    /* the hand moves on */
    }
    return l->head;
}

const struct policy_ops policy_clock = {
    .id = VML_POLICY_CLOCK,
    .flags = 0,
    .create = sl_op_create,
    .destroy = sl_op_destroy,
    .on_insert = clock_insert_ref,
    .on_access = sl_op_mark,
    .on_remove = sl_op_unlink,
    .choose_victim = clock_victim,
};

const struct policy_ops policy_clock0 = {
    .id = VML_POLICY_CLOCK0,
    .flags = 0,
    .create = sl_op_create,
    .destroy = sl_op_destroy,
    .on_insert = sl_op_push_tail,   /* CLK1: just behind the hand, bit clear */
    .on_access = sl_op_mark,
    .on_remove = sl_op_unlink,
    .choose_victim = clock_victim,
};
