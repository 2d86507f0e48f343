/*
** lfu.c -- LFU (least frequently used): the victim is the resident page
** referenced the fewest times since it was loaded (its load counts as
** one); of those, the one that reached that count first -- which is the
** least recently used of them, since every reference raises the count.
** The count starts again at 1 when a page comes back.  This is
** libCacheSim's LFU.
**
** O(1) per operation (Shah, Mitra, Matani, "An O(1) algorithm for
** implementing the LFU cache eviction scheme", 2010): the resident slots
** sit in one queue per count, and the queues of the counts in use are
** nodes of a list in increasing count, so a reference moves its slot to
** the next node (made when missing) and the victim is the oldest slot of
** the first node.
**
** INVARIANTS (with D1-D2 of dq.h):
**   LFU1  The node list holds one node per count that some resident slot
**       has, in increasing count; min is its first node (SL_NIL: none).
**   F2  A resident slot is in the queue of the node of its count
**       (node_of[slot]), queued in the order the slots reached the count.
**   F3  A node's queue is never empty; free nodes are chained by next.
**
** TRANSITIONS (and the only function that performs each):
**   not resident -> count 1        lfu_insert()
**   count c -> count c + 1         lfu_access()
**   resident -> not resident       lfu_remove()
*/
#include <stdlib.h>

#include "policy.h"
#include "dq.h"

struct lfu_node {
    uint64_t  count;
    struct dq slots;          /* F2 */
    uint32_t  prev, next;     /* the node list (LFU1), or the free chain */
};

struct lfu {
    struct sl_link  *link;      /* per slot: its node's queue */
    uint32_t        *node_of;   /* per slot (F2) */
    struct lfu_node *node;      /* capacity + 1 nodes */
    uint32_t         n_touched; /* nodes handed out so far */
    uint32_t         free_node; /* F3 */
    uint32_t         min;       /* LFU1 */
};

static void lfu_destroy(void *st)
{
    struct lfu *f = st;

    if (f == NULL)
        return;
    free(f->link);
    free(f->node_of);
    free(f->node);
    free(f);
}

static void *lfu_create(uint64_t capacity)
{
    struct lfu *f;

    if (capacity == 0 || capacity >= POLICY_NO_SLOT)
        return NULL;
    f = calloc(1, sizeof *f);
    if (f == NULL)
        return NULL;
    f->link = calloc((size_t)capacity, sizeof f->link[0]);
    f->node_of = calloc((size_t)capacity, sizeof f->node_of[0]);
    /* At most one node per resident slot, and one more while a slot moves. */
    f->node = calloc((size_t)capacity + 1, sizeof f->node[0]);
    if (f->link == NULL || f->node_of == NULL || f->node == NULL) {
        lfu_destroy(f);
        return NULL;
    }
    f->free_node = f->min = SL_NIL;
    return f;
}

/* A new node for count, after node `after` (SL_NIL: first). */
static uint32_t lfu_node_new(struct lfu *f, uint64_t count, uint32_t after)
{
    uint32_t n, next = after != SL_NIL ? f->node[after].next : f->min;

    if (f->free_node != SL_NIL) {
        n = f->free_node;
        f->free_node = f->node[n].next;
    } else {
        n = f->n_touched++;
    }
    f->node[n].count = count;
    dq_init(&f->node[n].slots);
    f->node[n].prev = after;
    f->node[n].next = next;
    if (next != SL_NIL)
        f->node[next].prev = n;
    if (after != SL_NIL)
        f->node[after].next = n;
    else
        f->min = n;
    return n;
}

/* F3: an emptied node leaves the list. */
static void lfu_node_free_if_empty(struct lfu *f, uint32_t n)
{
    struct lfu_node *e = &f->node[n];

    if (e->slots.n > 0)
        return;
    if (e->prev != SL_NIL)
        f->node[e->prev].next = e->next;
    else
        f->min = e->next;
    if (e->next != SL_NIL)
        f->node[e->next].prev = e->prev;
    e->next = f->free_node;
    f->free_node = n;
}

static void lfu_insert(void *st, uint32_t slot, uint64_t key, uint64_t next_use, unsigned access)
{
    struct lfu *f = st;
    uint32_t n = f->min;

    (void)key;
    (void)next_use;
    (void)access;
    if (n == SL_NIL || f->node[n].count != 1)
        n = lfu_node_new(f, 1, SL_NIL);
    dq_push(&f->node[n].slots, f->link, slot);
    f->node_of[slot] = n;
}

static void lfu_access(void *st, uint32_t slot, uint64_t next_use, unsigned access)
{
    struct lfu *f = st;
    uint32_t n = f->node_of[slot], up = f->node[n].next;
    uint64_t count = f->node[n].count + 1;

    (void)next_use;
    (void)access;
    if (up == SL_NIL || f->node[up].count != count)
        up = lfu_node_new(f, count, n);
    dq_unlink(&f->node[n].slots, f->link, slot);
    dq_push(&f->node[up].slots, f->link, slot);
    f->node_of[slot] = up;
    lfu_node_free_if_empty(f, n);
}

static void lfu_remove(void *st, uint32_t slot)
{
    struct lfu *f = st;
    uint32_t n = f->node_of[slot];

    dq_unlink(&f->node[n].slots, f->link, slot);
    lfu_node_free_if_empty(f, n);
}

/* The oldest slot of the lowest count; POLICY_NO_SLOT with none (Q1). */
static uint32_t lfu_victim(void *st, const uint64_t *incoming)
{
    const struct lfu *f = st;

    (void)incoming;
    return f->min != SL_NIL ? f->node[f->min].slots.head : POLICY_NO_SLOT;
}

const struct policy_ops policy_lfu = {
    .id = VML_POLICY_LFU,
    .flags = 0,
    .create = lfu_create,
    .destroy = lfu_destroy,
    .on_insert = lfu_insert,
    .on_access = lfu_access,
    .on_remove = lfu_remove,
    .choose_victim = lfu_victim,
};
