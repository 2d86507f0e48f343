/*
** slotheap.c -- the indexed max-heap of slots (invariants H1-H3 in
** slotheap.h).
**
** TRANSITIONS (and the only function that performs each):
**   not a member -> member     sh_insert()
**   key changed                sh_update()
**   member -> not a member     sh_remove()
*/
#include <stdlib.h>

#include "policy.h"
#include "slotheap.h"

/* H1's order: 1 when slot a belongs above slot b. */
static int sh_above(const struct slot_heap *h, uint32_t a, uint32_t b)
{
    if (h->key[a] != h->key[b])
        return h->key[a] > h->key[b];
    return a < b;
}

static void sh_place(struct slot_heap *h, uint32_t i, uint32_t slot)
{
    h->heap[i] = slot;
    h->pos[slot] = i + 1;
}

static void sh_sift_up(struct slot_heap *h, uint32_t i)
{
    uint32_t slot = h->heap[i];

    while (i > 0) {
        uint32_t parent = (i - 1) / 2;
        if (!sh_above(h, slot, h->heap[parent]))
            break;
        sh_place(h, i, h->heap[parent]);
        i = parent;
    }
    sh_place(h, i, slot);
}

static void sh_sift_down(struct slot_heap *h, uint32_t i)
{
    uint32_t slot = h->heap[i];

    for (;;) {
        uint64_t left = 2 * (uint64_t)i + 1, child;
        if (left >= h->n)
            break;
        child = left;
        if (left + 1 < h->n && sh_above(h, h->heap[left + 1], h->heap[left]))
            child = left + 1;
        if (!sh_above(h, h->heap[child], slot))
            break;
        sh_place(h, i, h->heap[child]);
        i = (uint32_t)child;
    }
    sh_place(h, i, slot);
}

int sh_init(struct slot_heap *h, uint64_t capacity)
{
    h->n = 0;
    h->heap = calloc((size_t)capacity, sizeof h->heap[0]);
    h->pos = calloc((size_t)capacity, sizeof h->pos[0]);
    h->key = calloc((size_t)capacity, sizeof h->key[0]);
    if (h->heap == NULL || h->pos == NULL || h->key == NULL) {
        sh_fini(h);
        return -1;
    }
    return 0;
}

void sh_fini(struct slot_heap *h)
{
    free(h->heap);
    free(h->pos);
    free(h->key);
    h->heap = h->pos = NULL;
    h->key = NULL;
}

void sh_insert(struct slot_heap *h, uint32_t slot, uint64_t key)
{
    h->key[slot] = key;
    sh_place(h, h->n++, slot);
    sh_sift_up(h, h->n - 1);
}

void sh_update(struct slot_heap *h, uint32_t slot, uint64_t key)
{
    h->key[slot] = key;
    sh_sift_up(h, h->pos[slot] - 1);
    sh_sift_down(h, h->pos[slot] - 1);
}

void sh_remove(struct slot_heap *h, uint32_t slot)
{
    uint32_t i = h->pos[slot] - 1;
    uint32_t last = h->heap[--h->n];

    h->pos[slot] = 0;
    if (last == slot)
        return;
    sh_place(h, i, last);        /* the last leaf fills the hole ... */
    sh_sift_up(h, i);            /* ... and moves whichever way H1 needs */
    sh_sift_down(h, h->pos[last] - 1);
}

uint32_t sh_top(const struct slot_heap *h)
{
    return h->n > 0 ? h->heap[0] : POLICY_NO_SLOT;
}
