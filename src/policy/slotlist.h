/*
** slotlist.h -- a doubly linked list of slots kept in arrays of uint32
** links, the common structure of FIFO, LRU, MRU and CLOCK.  Every
** operation is O(1); the arrays come from calloc, so a list over 2^28
** slots costs host memory only for the slots it touches.
**
** INVARIANTS:
**   L1  The links agree both ways: for each slot s on the list,
**       link[s].next is SL_NIL (s is the tail) or a slot whose prev is s,
**       and link[s].prev is SL_NIL (s is the head) or a slot whose next
**       is s.  The links of a slot off the list mean nothing.
**   L2  flags[s] is 0 for a slot off the list; on the list its bits are
**       the policy's own.
*/
#ifndef VML_POLICY_SLOTLIST_H
#define VML_POLICY_SLOTLIST_H

#include <stdint.h>

#define SL_NIL UINT32_MAX

struct sl_link {
    uint32_t prev, next;
};

struct slot_list {
    uint32_t        head, tail; /* SL_NIL when empty */
    struct sl_link *link;       /* capacity entries (L1) */
    uint8_t        *flags;      /* capacity entries (L2) */
};

/* NULL when out of memory or capacity is 0 or does not fit a slot id. */
struct slot_list *sl_create(uint64_t capacity);
void sl_destroy(struct slot_list *l);
void sl_push_tail(struct slot_list *l, uint32_t slot);   /* slot not on the list */
void sl_unlink(struct slot_list *l, uint32_t slot);      /* slot on the list */
/* Moves a slot already on the list to the tail. */
void sl_move_to_tail(struct slot_list *l, uint32_t slot);

#endif
