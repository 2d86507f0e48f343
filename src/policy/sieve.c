/*
** sieve.c -- SIEVE (Zhang, Yang, Yue, Vigfusson, Rashmi, "SIEVE is
** Simpler than LRU: an Efficient Turn-Key Eviction Algorithm for Web
** Caches", NSDI 2024, Fig. 2).
**
** The resident pages form a queue in load order and a hit only sets the
** page's visited bit: pages never move.  A hand walks from the oldest
** page towards the newest: a visited page loses its bit and is passed,
** the first unvisited one is the victim, and the hand stays at its
** place, so the walk goes on from the page loaded after it.  Past the
** newest page the hand starts again at the oldest.  New pages join at
** the newest end, so the hand reaches them last; unlike CLOCK, survivors
** are not moved behind new pages.  This is libCacheSim's Sieve.
**
** A victim costs O(1) amortized: each bit the hand clears was set by a
** hit.
**
** INVARIANTS (with D1-D2 of dq.h):
**   SV1  The queue holds the resident slots in load order (head: oldest).
**   SV2  hand is a resident slot or SL_NIL (start at the oldest).
**   SV3  visited[] is 0 for a slot not resident.
**
** TRANSITIONS (and the only function that performs each):
**   not resident -> newest, unvisited    sieve_insert()
**   unvisited -> visited                 sieve_access()
**   visited -> unvisited, hand passes    sieve_victim()
**   resident -> not resident             sieve_remove(), which moves the
**                                        hand on from a removed slot
*/
#include <stdlib.h>

#include "policy.h"
#include "dq.h"

struct sieve {
    struct sl_link *link;     /* per slot (SV1) */
    uint8_t        *visited;  /* per slot (SV3) */
    struct dq       q;
    uint32_t        hand;     /* SV2 */
};

static void sieve_destroy(void *st)
{
    struct sieve *s = st;

    if (s == NULL)
        return;
    free(s->link);
    free(s->visited);
    free(s);
}

static void *sieve_create(uint64_t capacity)
{
    struct sieve *s;

    if (capacity == 0 || capacity >= POLICY_NO_SLOT)
        return NULL;
    s = calloc(1, sizeof *s);
    if (s == NULL)
        return NULL;
    dq_init(&s->q);
    s->hand = SL_NIL;
    s->link = calloc((size_t)capacity, sizeof s->link[0]);
    s->visited = calloc((size_t)capacity, sizeof s->visited[0]);
    if (s->link == NULL || s->visited == NULL) {
        sieve_destroy(s);
        return NULL;
    }
    return s;
}

static void sieve_insert(void *st, uint32_t slot, uint64_t key, uint64_t next_use, unsigned access)
{
    struct sieve *s = st;

    (void)key;
    (void)next_use;
    (void)access;
    dq_push(&s->q, s->link, slot);
}

static void sieve_access(void *st, uint32_t slot, uint64_t next_use, unsigned access)
{
    struct sieve *s = st;

    (void)next_use;
    (void)access;
    s->visited[slot] = 1;
}

static void sieve_remove(void *st, uint32_t slot)
{
    struct sieve *s = st;

    if (s->hand == slot)
        s->hand = s->link[slot].next;   /* the next newer page, or SL_NIL */
    dq_unlink(&s->q, s->link, slot);
    s->visited[slot] = 0;
}

/* POLICY_NO_SLOT (SL_NIL) with nothing resident (Q1). */
static uint32_t sieve_victim(void *st, const uint64_t *incoming)
{
    struct sieve *s = st;
    uint32_t h = s->hand != SL_NIL ? s->hand : s->q.head;

    (void)incoming;
    while (h != SL_NIL && s->visited[h]) {
        s->visited[h] = 0;
        h = s->link[h].next != SL_NIL ? s->link[h].next : s->q.head;
    }
    s->hand = h;
    return h;
}

const struct policy_ops policy_sieve = {
    .id = VML_POLICY_SIEVE,
    .flags = 0,
    .create = sieve_create,
    .destroy = sieve_destroy,
    .on_insert = sieve_insert,
    .on_access = sieve_access,
    .on_remove = sieve_remove,
    .choose_victim = sieve_victim,
};
