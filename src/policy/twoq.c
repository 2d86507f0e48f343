/*
** twoq.c -- 2Q, the "full version" of Johnson and Shasha ("2Q: A Low
** Overhead High Performance Buffer Management Replacement Algorithm",
** VLDB 1994, Fig. 3), with c = capacity frames.
**
** A page seen for the first time goes to A1in, a FIFO; a hit there
** changes nothing (its references are taken as correlated).  When a
** frame is needed: if |A1in| > Kin, the oldest page of A1in is evicted
** and its key joins A1out, a FIFO of Kout keys (the oldest key goes when
** it is full); otherwise the LRU page of Am is evicted and forgotten.  A
** fault on a page whose key is in A1out puts it in Am, an LRU list: it
** was re-referenced after its first burst, a sign of a long-lived page.
** A hit in Am makes the page its MRU page.
**
** Parameters, the paper's recommendation and libCacheSim's defaults:
** Kin = floor(c / 4) (25% of the frames), Kout = floor(c / 2) (as many
** keys as would fit in half of the frames).  With c < 4, Kin is 0 and
** A1in gives up its oldest page whenever it holds one.  c is the
** memory's size: the most pages resident at any choose_victim() (the
** capacity before the first) -- the frame count in the simulator, the
** frames user pages fill on a machine, whose slots are all its frames.
**
** Whether the faulting page is in A1out is decided before the eviction
** (the paper's order, and libCacheSim's): choose_victim() takes its key
** out of A1out, so the key the eviction adds cannot push it out first.
** Its key leaves A1out when it comes in (libCacheSim does the same; the
** paper does not say).  If A1in is not over Kin and Am is empty
** (possible only after frames were freed, not on a full simulator), the
** oldest page of A1in goes.  Every operation is O(1) expected.
**
** INVARIANTS (with D1-D2 of dq.h and G1-G2 of ghost.h):
**   TQ1  The resident slots are exactly the members of A1in and Am
**       (in_am[] says which).
**   TQ2  A1out holds at most Kout keys after every eviction, none of a
**       resident page.
**
** TRANSITIONS (and the only function that performs each):
**   not resident -> A1in (new) or Am (in A1out)     twoq_insert()
**   Am -> MRU of Am                                 twoq_access()
**   A1in -> A1out (evicted), A1in|Am -> forgotten   twoq_remove()
**   A1out -> forgotten (the oldest key)             twoq_remove()
*/
#include <stdlib.h>

#include "policy.h"
#include "ghost.h"

#define TWOQ_A1OUT 0   /* the ghost list */

struct twoq {
    uint64_t        kin, kout;
    uint64_t        seen;      /* the most pages resident at a choose_victim() */
    struct sl_link *link;      /* per slot: its place in A1in or Am */
    uint64_t       *key;       /* per slot */
    uint8_t        *in_am;     /* per slot (TQ1) */
    struct dq       a1in, am;  /* oldest (A1in) / LRU (Am) at the head */
    struct ghost    a1out;
    uint32_t        victim;    /* the last choose_victim() (Q2) */
    int             to_am;     /* choose_victim() found the incoming key in A1out */
    uint64_t        to_am_key;
};

static void twoq_destroy(void *st)
{
    struct twoq *q = st;

    if (q == NULL)
        return;
    free(q->link);
    free(q->key);
    free(q->in_am);
    gh_fini(&q->a1out);
    free(q);
}

static void *twoq_create(uint64_t capacity)
{
    struct twoq *q;

    if (capacity == 0 || capacity >= POLICY_NO_SLOT)
        return NULL;
    q = calloc(1, sizeof *q);
    if (q == NULL)
        return NULL;
    q->kin = capacity / 4;
    q->kout = capacity / 2;
    q->victim = POLICY_NO_SLOT;
    dq_init(&q->a1in);
    dq_init(&q->am);
    q->link = calloc((size_t)capacity, sizeof q->link[0]);
    q->key = calloc((size_t)capacity, sizeof q->key[0]);
    q->in_am = calloc((size_t)capacity, sizeof q->in_am[0]);
    if (q->link == NULL || q->key == NULL || q->in_am == NULL
        || gh_init(&q->a1out, (uint32_t)q->kout) != 0) {
        twoq_destroy(q);
        return NULL;
    }
    return q;
}

static void twoq_insert(void *st, uint32_t slot, uint64_t key, uint64_t next_use, unsigned access)
{
    struct twoq *q = st;
    uint32_t g = gh_find(&q->a1out, key);
    int to_am = g != GH_NIL || (q->to_am && q->to_am_key == key);

    (void)next_use;
    (void)access;
    q->victim = POLICY_NO_SLOT;
    q->to_am = 0;
    q->key[slot] = key;
    q->in_am[slot] = (uint8_t)to_am;
    if (g != GH_NIL)
        gh_drop(&q->a1out, g);
    if (to_am) {
        dq_push(&q->am, q->link, slot);
    } else {
        dq_push(&q->a1in, q->link, slot);
    }
}

static void twoq_access(void *st, uint32_t slot, uint64_t next_use, unsigned access)
{
    struct twoq *q = st;

    (void)next_use;
    (void)access;
    if (q->in_am[slot])
        dq_move_to_tail(&q->am, q->link, slot);
}

static void twoq_remove(void *st, uint32_t slot)
{
    struct twoq *q = st;
    int evicted = slot == q->victim;

    q->victim = POLICY_NO_SLOT;
    if (q->in_am[slot]) {
        dq_unlink(&q->am, q->link, slot);
        return;
    }
    dq_unlink(&q->a1in, q->link, slot);
    if (!evicted || q->kout == 0)
        return;                                   /* Q2: freed, forgotten */
    while (q->a1out.used >= q->kout)
        gh_drop(&q->a1out, gh_oldest(&q->a1out, TWOQ_A1OUT));
    gh_add(&q->a1out, TWOQ_A1OUT, q->key[slot], 0);
}

/* reclaimfor(): POLICY_NO_SLOT with nothing resident (Q1). */
static uint32_t twoq_victim(void *st, const uint64_t *incoming)
{
    struct twoq *q = st;
    uint32_t g = incoming != NULL ? gh_find(&q->a1out, *incoming) : GH_NIL;

    if (q->a1in.n + q->am.n > q->seen) {   /* memory is full at this size */
        q->seen = q->a1in.n + q->am.n;
        q->kin = q->seen / 4;
        q->kout = q->seen / 2;
    }
    if (g != GH_NIL) {                 /* X is in A1out: it will go to Am */
        gh_drop(&q->a1out, g);
        q->to_am = 1;
        q->to_am_key = *incoming;
    } else if (incoming == NULL || q->to_am_key != *incoming) {
        q->to_am = 0;
    }
    if (q->a1in.n > q->kin || q->am.n == 0)
        q->victim = q->a1in.head;
    else
        q->victim = q->am.head;
    return q->victim;
}

const struct policy_ops policy_2q = {
    .id = VML_POLICY_2Q,
    .flags = 0,
    .create = twoq_create,
    .destroy = twoq_destroy,
    .on_insert = twoq_insert,
    .on_access = twoq_access,
    .on_remove = twoq_remove,
    .choose_victim = twoq_victim,
};
