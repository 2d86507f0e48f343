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

/* The list's transitions (slotlist.c), inline here: trace replay's LRU
** hit loop runs sl_move_to_tail on every hit. */

/* Links slot (not on the list) in after the tail: its old links are not
** read (L1). */
static inline void sl_push_tail(struct slot_list *l, uint32_t slot)
{
    l->link[slot].prev = l->tail;
    l->link[slot].next = SL_NIL;
    if (l->tail != SL_NIL)
        l->link[l->tail].next = slot;
    else
        l->head = slot;
    l->tail = slot;
}

/* Joins slot's neighbours; slot's own links are left stale (L1). */
static inline void sl_link_out(struct slot_list *l, uint32_t slot)
{
    const struct sl_link *e = &l->link[slot];

    if (e->prev != SL_NIL)
        l->link[e->prev].next = e->next;
    else
        l->head = e->next;
    if (e->next != SL_NIL)
        l->link[e->next].prev = e->prev;
    else
        l->tail = e->prev;
}

/* LRU's and MRU's on_access: on the machine, every memory access.  slot
** is on the list, and keeps its flags. */
static inline void sl_move_to_tail(struct slot_list *l, uint32_t slot)
{
    if (l->tail == slot)
        return;
    sl_link_out(l, slot);
    sl_push_tail(l, slot);
}

/* The list as struct policy_ops's members (policy.h), st being a struct
** slot_list: FIFO, LRU and MRU are each a choice among these, CLOCK
** builds on them.  key, next_use, access and incoming are ignored. */
void    *sl_op_create(uint64_t capacity);   /* NULL: out of memory, capacity 0 or >= SL_NIL */
void     sl_op_destroy(void *st);
void     sl_op_push_tail(void *st, uint32_t slot, uint64_t key, uint64_t next_use,
                         unsigned access);
void     sl_op_move_to_tail(void *st, uint32_t slot, uint64_t next_use, unsigned access);
void     sl_op_ignore(void *st, uint32_t slot, uint64_t next_use, unsigned access);  /* nothing */
/* Sets SL_MARK in flags[slot] (CLOCK's reference bit), writing only when
** it was clear. */
#define SL_MARK 0x1u
void     sl_op_mark(void *st, uint32_t slot, uint64_t next_use, unsigned access);
void     sl_op_unlink(void *st, uint32_t slot);
uint32_t sl_op_head(void *st, const uint64_t *incoming);   /* SL_NIL when the list is empty */
uint32_t sl_op_tail(void *st, const uint64_t *incoming);   /* SL_NIL when the list is empty */

#endif
