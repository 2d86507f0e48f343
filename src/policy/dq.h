/*
** dq.h -- queues of ids threaded through one link array that several
** queues share, so an id (a slot, or a policy's own entry) moves between
** a policy's queues in O(1): ARC's T1/T2, 2Q's A1in/Am, S3-FIFO's S/M,
** CLOCK-Pro's hot, cold and test queues, the ghosts' lists.  The head is
** the oldest end, the tail the newest.
**
** INVARIANTS (of a queue q over links l):
**   D1  The links of q's members agree both ways, as L1 of slotlist.h;
**       q.head and q.tail are SL_NIL exactly when q is empty.
**   D2  q.n is the number of members.  An id is on at most one queue of
**       a link array at a time; its links mean nothing when it is on none.
*/
#ifndef VML_POLICY_DQ_H
#define VML_POLICY_DQ_H

#include <stdint.h>
#include "slotlist.h"

struct dq {
    uint32_t head, tail;   /* oldest, newest; SL_NIL when empty (D1) */
    uint32_t n;            /* D2 */
};

static inline void dq_init(struct dq *q)
{
    q->head = q->tail = SL_NIL;
    q->n = 0;
}

/* id (on no queue of l) becomes q's newest member. */
static inline void dq_push(struct dq *q, struct sl_link *l, uint32_t id)
{
    l[id].prev = q->tail;
    l[id].next = SL_NIL;
    if (q->tail != SL_NIL)
        l[q->tail].next = id;
    else
        q->head = id;
    q->tail = id;
    q->n++;
}

/* id (a member of q) leaves q. */
static inline void dq_unlink(struct dq *q, struct sl_link *l, uint32_t id)
{
    if (l[id].prev != SL_NIL)
        l[l[id].prev].next = l[id].next;
    else
        q->head = l[id].next;
    if (l[id].next != SL_NIL)
        l[l[id].next].prev = l[id].prev;
    else
        q->tail = l[id].prev;
    q->n--;
}

/* id (a member of q) becomes q's newest member. */
static inline void dq_move_to_tail(struct dq *q, struct sl_link *l, uint32_t id)
{
    if (q->tail == id)
        return;
    dq_unlink(q, l, id);
    dq_push(q, l, id);
}

#endif
