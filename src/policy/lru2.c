/*
** lru2.c -- LRU-K with K = 2 (O'Neil, O'Neil, Weikum, "The LRU-K Page
** Replacement Algorithm For Database Disk Buffering", SIGMOD 1993).
**
** The victim is the resident page whose second most recent reference
** (HIST(p, 2)) is the oldest: the largest backward 2-distance.  A page
** referenced only once has an infinite distance and goes first; among
** several such pages the subsidiary policy is LRU (the oldest single
** reference goes), as the paper suggests.  Time counts references.
**
** Choices the paper leaves to the implementation:
**   - Correlated Reference Period 0: every reference counts (a page
**     reference string has no transactions to correlate).
**   - Retained Information Period: the history (the last reference
**     time) of the `capacity` most recently evicted pages is kept; a
**     page that comes back while remembered continues its history, so
**     its second reference may predate its load.  The faulting page's
**     history is taken out before its victim's is added (Q1's
**     incoming), so that eviction cannot push it out.  libCacheSim has
**     no LRU-K to compare with (its LRU_K.cpp is empty).
**
** Pages with two references are in an indexed heap keyed by HIST(p, 2)
** (slotheap.h), so a reference costs O(log n); pages with one are in an
** LRU queue, O(1).
**
** INVARIANTS (with H1-H3 of slotheap.h, D1-D2 of dq.h, G1-G2 of ghost.h):
**   LK1  A resident slot is in exactly one of `once` (one reference
**       known) and the heap (two, keyed by ~HIST(p, 2), so the top has
**       the oldest); last[slot] is HIST(p, 1).
**   LK2  once is in order of last[]: its head was referenced longest ago.
**   K3  The ghost holds at most capacity evicted pages, none resident,
**       each valued with its last reference time.
**
** TRANSITIONS (and the only function that performs each):
**   not resident -> once, or heap (history kept)    lru2_insert()
**   once -> heap, heap key updated                  lru2_access()
**   resident -> ghost (evicted) or forgotten        lru2_remove()
**   ghost -> forgotten (the oldest)                 lru2_remove(), lru2_insert()
*/
#include <stdlib.h>

#include "policy.h"
#include "ghost.h"
#include "slotheap.h"

#define LRU2_GHOST 0

struct lru2 {
    uint64_t         now;       /* references so far */
    uint64_t         capacity;
    uint64_t        *key;       /* per slot */
    uint64_t        *last;      /* per slot: HIST(p, 1) (LK1) */
    struct sl_link  *link;      /* per slot: its place in once */
    struct dq        once;      /* LK2 */
    struct slot_heap twice;     /* LK1 */
    struct ghost     hist;      /* K3 */
    uint32_t         victim;    /* the last choose_victim() (Q2) */
    int              pend;      /* choose_victim() took the incoming page's history */
    uint64_t         pend_key, pend_last;
};

static void lru2_destroy(void *st)
{
    struct lru2 *l = st;

    if (l == NULL)
        return;
    free(l->key);
    free(l->last);
    free(l->link);
    sh_fini(&l->twice);
    gh_fini(&l->hist);
    free(l);
}

static void *lru2_create(uint64_t capacity)
{
    struct lru2 *l;

    if (capacity == 0 || capacity >= POLICY_NO_SLOT)
        return NULL;
    l = calloc(1, sizeof *l);
    if (l == NULL)
        return NULL;
    l->capacity = capacity;
    l->victim = POLICY_NO_SLOT;
    dq_init(&l->once);
    l->key = calloc((size_t)capacity, sizeof l->key[0]);
    l->last = calloc((size_t)capacity, sizeof l->last[0]);
    l->link = calloc((size_t)capacity, sizeof l->link[0]);
    if (l->key == NULL || l->last == NULL || l->link == NULL || sh_init(&l->twice, capacity) != 0
        || gh_init(&l->hist, (uint32_t)capacity) != 0) {
        lru2_destroy(l);
        return NULL;
    }
    return l;
}

/* slot's reference before this one (hist2) becomes HIST(p, 2). */
static void lru2_two(struct lru2 *l, uint32_t slot, uint64_t hist2)
{
    if (sh_member(&l->twice, slot))
        sh_update(&l->twice, slot, ~hist2);
    else
        sh_insert(&l->twice, slot, ~hist2);
}

static void lru2_insert(void *st, uint32_t slot, uint64_t key, uint64_t next_use, unsigned access)
{
    struct lru2 *l = st;
    uint32_t g = gh_find(&l->hist, key);
    int pend = l->pend && l->pend_key == key;

    (void)next_use;
    (void)access;
    l->victim = POLICY_NO_SLOT;
    l->pend = 0;
    l->key[slot] = key;
    l->last[slot] = ++l->now;
    if (pend) {
        lru2_two(l, slot, l->pend_last);
    } else if (g != GH_NIL) {
        lru2_two(l, slot, l->hist.val[g]);
        gh_drop(&l->hist, g);
    } else {
        dq_push(&l->once, l->link, slot);
    }
}

static void lru2_access(void *st, uint32_t slot, uint64_t next_use, unsigned access)
{
    struct lru2 *l = st;
    uint64_t hist2 = l->last[slot];

    (void)next_use;
    (void)access;
    if (!sh_member(&l->twice, slot))
        dq_unlink(&l->once, l->link, slot);
    l->last[slot] = ++l->now;
    lru2_two(l, slot, hist2);
}

static void lru2_remove(void *st, uint32_t slot)
{
    struct lru2 *l = st;
    int evicted = slot == l->victim;

    l->victim = POLICY_NO_SLOT;
    if (sh_member(&l->twice, slot))
        sh_remove(&l->twice, slot);
    else
        dq_unlink(&l->once, l->link, slot);
    if (!evicted)
        return;                                   /* Q2: freed, forgotten */
    if (l->hist.used >= l->capacity)
        gh_drop(&l->hist, gh_oldest(&l->hist, LRU2_GHOST));
    gh_add(&l->hist, LRU2_GHOST, l->key[slot], l->last[slot]);
}

/* An infinite distance first (LRU among them), else the oldest
** HIST(p, 2); POLICY_NO_SLOT with nothing resident (Q1). */
static uint32_t lru2_victim(void *st, const uint64_t *incoming)
{
    struct lru2 *l = st;
    uint32_t g = incoming != NULL ? gh_find(&l->hist, *incoming) : GH_NIL;

    if (g != GH_NIL) {
        l->pend = 1;
        l->pend_key = *incoming;
        l->pend_last = l->hist.val[g];
        gh_drop(&l->hist, g);
    } else if (incoming == NULL || l->pend_key != *incoming) {
        l->pend = 0;
    }
    l->victim = l->once.n > 0 ? l->once.head : sh_top(&l->twice);
    return l->victim;
}

const struct policy_ops policy_lru2 = {
    .id = VML_POLICY_LRU2,
    .flags = 0,
    .create = lru2_create,
    .destroy = lru2_destroy,
    .on_insert = lru2_insert,
    .on_access = lru2_access,
    .on_remove = lru2_remove,
    .choose_victim = lru2_victim,
};
