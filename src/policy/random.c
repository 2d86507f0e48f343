/*
** random.c -- RANDOM: the victim is a resident page drawn at random,
** from a generator with a fixed seed, so every run of the same string
** evicts the same pages.  The yardstick of "no information at all".
**
** The resident slots are kept in a dense array (a removed slot's place
** is taken by the last one); the victim is dense[r mod n] for the next
** number r of splitmix64 (Steele, Lea, Flood, "Fast Splittable
** Pseudorandom Number Generators", OOPSLA 2014) seeded with RANDOM_SEED.
** The modulo's bias is below n / 2^64.  Each call of choose_victim()
** draws a number.  O(1) per operation.  libCacheSim's Random uses its own
** generator, so its counts differ (docs/policies.md).
**
** INVARIANTS:
**   N1  dense[0..n) holds exactly the resident slots, and
**       dense[index[s]] == s for each of them.
**
** TRANSITIONS (and the only function that performs each):
**   not resident -> resident   rnd_insert()
**   resident -> not resident   rnd_remove()
*/
#include <stdlib.h>

#include "policy.h"

#define RANDOM_SEED 1u

struct rnd {
    uint32_t *dense, *index;   /* N1 */
    uint32_t  n;
    uint64_t  state;           /* splitmix64's */
};

static uint64_t rnd_next(uint64_t *state)   /* splitmix64 */
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ull);

    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static void rnd_destroy(void *st)
{
    struct rnd *r = st;

    if (r == NULL)
        return;
    free(r->dense);
    free(r->index);
    free(r);
}

static void *rnd_create(uint64_t capacity)
{
    struct rnd *r;

    if (capacity == 0 || capacity >= POLICY_NO_SLOT)
        return NULL;
    r = calloc(1, sizeof *r);
    if (r == NULL)
        return NULL;
    r->state = RANDOM_SEED;
    r->dense = calloc((size_t)capacity, sizeof r->dense[0]);
    r->index = calloc((size_t)capacity, sizeof r->index[0]);
    if (r->dense == NULL || r->index == NULL) {
        rnd_destroy(r);
        return NULL;
    }
    return r;
}

static void rnd_insert(void *st, uint32_t slot, uint64_t key, uint64_t next_use, unsigned access)
{
    struct rnd *r = st;

    (void)key;
    (void)next_use;
    (void)access;
    r->index[slot] = r->n;
    r->dense[r->n++] = slot;
}

static void rnd_access(void *st, uint32_t slot, uint64_t next_use, unsigned access)
{
    (void)st;
    (void)slot;
    (void)next_use;
    (void)access;
}

static void rnd_remove(void *st, uint32_t slot)
{
    struct rnd *r = st;
    uint32_t last = r->dense[--r->n];

    r->dense[r->index[slot]] = last;
    r->index[last] = r->index[slot];
}

/* POLICY_NO_SLOT with nothing resident (Q1). */
static uint32_t rnd_victim(void *st, const uint64_t *incoming)
{
    struct rnd *r = st;

    (void)incoming;
    if (r->n == 0)
        return POLICY_NO_SLOT;
    return r->dense[rnd_next(&r->state) % r->n];
}

const struct policy_ops policy_random = {
    .id = VML_POLICY_RANDOM,
    .flags = 0,
    .create = rnd_create,
    .destroy = rnd_destroy,
    .on_insert = rnd_insert,
    .on_access = rnd_access,
    .on_remove = rnd_remove,
    .choose_victim = rnd_victim,
};
