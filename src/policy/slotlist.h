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

void sl_push_tail(struct slot_list *l, uint32_t slot);      /* slot not on the list */
void sl_move_to_tail(struct slot_list *l, uint32_t slot);   /* slot on the list */

/* The list as struct policy_ops's members (policy.h), st being a struct
** slot_list: FIFO, LRU and MRU are each a choice among these, CLOCK
** builds on them.  key, next_use, access and incoming are ignored. */
void    *sl_op_create(uint64_t capacity);   /* NULL: out of memory, capacity 0 or >= SL_NIL */
void     sl_op_destroy(void *st);
void     sl_op_push_tail(void *st, uint32_t slot, uint64_t key, uint64_t next_use,
                         unsigned access);
void     sl_op_move_to_tail(void *st, uint32_t slot, uint64_t next_use, unsigned access);
void     sl_op_ignore(void *st, uint32_t slot, uint64_t next_use, unsigned access);  /* nothing */
void     sl_op_unlink(void *st, uint32_t slot);
uint32_t sl_op_head(void *st, const uint64_t *incoming);   /* SL_NIL when the list is empty */
uint32_t sl_op_tail(void *st, const uint64_t *incoming);   /* SL_NIL when the list is empty */

#endif
