/*
** nru.c -- NRU, not recently used, as the textbooks (Tanenbaum, Modern
** Operating Systems, 3.4.2) and the CS 1550 page-replacement simulators
** (vmsim -a nru -r REFRESH) define it: every page has a referenced bit R,
** set by each reference, and a dirty bit D, set by a write and cleared
** only when the page leaves; every `period` references a "clock
** interrupt" clears every R.  The victim comes from the lowest non-empty
** class: 0 (not referenced, clean), 1 (not referenced, dirty), 2
** (referenced, clean), 3 (referenced, dirty); within a class, the lowest
** slot -- the first frame a simulator scanning its frame table finds
** (Tanenbaum picks at random within the class; the lowest frame keeps
** runs reproducible without a seed).
**
** Parameter: period = capacity references (one refresh per memory's
** worth of references; the simulators take it as -r).  A load counts as
** a reference (R set); the refresh happens after the period's last
** reference.  On a machine the policy sees no writes (Q5): classes 0
** and 2 only.
**
** Each class is a pairing heap of slots (pairheap.h), so a refresh --
** class 2 joins class 0, class 3 joins class 1 -- is two O(1) melds, R is
** kept as the epoch of the page's last reference (R set when it is the
** current epoch), a reference that changes the class costs O(log n)
** amortized, a victim O(1).
**
** INVARIANTS (with PH1-PH2 of pairheap.h):
**   R1  Each resident slot is in the heap of its class: 2 * (ref_epoch ==
**       epoch) + dirty; no other slot is in a heap.
**   R2  n_refs counts the references; epoch == 1 + n_refs / period.
**
** TRANSITIONS (and the only function that performs each):
**   not resident -> class 2|3 (R set)          nru_insert()
**   class change on a reference                nru_access()
**   every R cleared (classes 2|3 -> 0|1)       nru_tick()
**   resident -> not resident                   nru_remove()
*/
#include <stdlib.h>

#include "policy.h"
#include "pairheap.h"

#define NRU_CLASSES 4

struct nru {
    uint64_t        period, n_refs, epoch;   /* R2 */
    uint64_t       *ref_epoch;               /* per slot: the epoch of its last reference */
    uint8_t        *dirty;                   /* per slot */
    struct ph_node *node;                    /* per slot */
    uint32_t        root[NRU_CLASSES];       /* R1 */
};

static unsigned nru_class(const struct nru *n, uint32_t slot)
{
    return 2u * (n->ref_epoch[slot] == n->epoch) + n->dirty[slot];
}

static void nru_destroy(void *st)
{
    struct nru *n = st;

    if (n == NULL)
        return;
    free(n->ref_epoch);
    free(n->dirty);
    free(n->node);
    free(n);
}

static void *nru_create(uint64_t capacity)
{
    struct nru *n;

    if (capacity == 0 || capacity >= POLICY_NO_SLOT)
        return NULL;
    n = calloc(1, sizeof *n);
    if (n == NULL)
        return NULL;
    n->period = capacity;
    n->epoch = 1;
    for (unsigned c = 0; c < NRU_CLASSES; c++)
        n->root[c] = PH_NIL;
    n->ref_epoch = calloc((size_t)capacity, sizeof n->ref_epoch[0]);
    n->dirty = calloc((size_t)capacity, sizeof n->dirty[0]);
    n->node = calloc((size_t)capacity, sizeof n->node[0]);
    if (n->ref_epoch == NULL || n->dirty == NULL || n->node == NULL) {
        nru_destroy(n);
        return NULL;
    }
    return n;
}

/* One more reference; after every period of them the clock interrupt
** clears every R bit. */
static void nru_tick(struct nru *n)
{
    if (++n->n_refs % n->period != 0)
        return;
    n->epoch++;
    n->root[0] = ph_meld(n->node, n->root[0], n->root[2]);
    n->root[1] = ph_meld(n->node, n->root[1], n->root[3]);
    n->root[2] = n->root[3] = PH_NIL;
}

static void nru_insert(void *st, uint32_t slot, uint64_t key, uint64_t next_use, unsigned access)
{
    struct nru *n = st;
    unsigned c;

    (void)key;
    (void)next_use;
    n->ref_epoch[slot] = n->epoch;
    n->dirty[slot] = (access & POLICY_WRITE) != 0;
    c = nru_class(n, slot);
    n->root[c] = ph_insert(n->node, n->root[c], slot);
    nru_tick(n);
}

static void nru_access(void *st, uint32_t slot, uint64_t next_use, unsigned access)
{
    struct nru *n = st;
    unsigned from = nru_class(n, slot), to;

    (void)next_use;
    n->ref_epoch[slot] = n->epoch;
    if (access & POLICY_WRITE)
        n->dirty[slot] = 1;
    to = nru_class(n, slot);
    if (to != from) {
        n->root[from] = ph_remove(n->node, n->root[from], slot);
        n->root[to] = ph_insert(n->node, n->root[to], slot);
    }
    nru_tick(n);
}

static void nru_remove(void *st, uint32_t slot)
{
    struct nru *n = st;
    unsigned c = nru_class(n, slot);

    n->root[c] = ph_remove(n->node, n->root[c], slot);
    n->dirty[slot] = 0;
}

/* The lowest slot of the lowest class; POLICY_NO_SLOT with none (Q1). */
static uint32_t nru_victim(void *st, const uint64_t *incoming)
{
    const struct nru *n = st;

    (void)incoming;
    for (unsigned c = 0; c < NRU_CLASSES; c++)
        if (n->root[c] != PH_NIL)
            return n->root[c];
    return POLICY_NO_SLOT;
}

const struct policy_ops policy_nru = {
    .id = VML_POLICY_NRU,
    .flags = 0,
    .create = nru_create,
    .destroy = nru_destroy,
    .on_insert = nru_insert,
    .on_access = nru_access,
    .on_remove = nru_remove,
    .choose_victim = nru_victim,
};
