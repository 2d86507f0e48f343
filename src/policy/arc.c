/*
** arc.c -- ARC, the Adaptive Replacement Cache of Megiddo and Modha
** ("ARC: A Self-Tuning, Low Overhead Replacement Cache", FAST 2003,
** Fig. 4), with c = capacity frames.
**
** T1 holds the pages seen once recently, T2 those seen at least twice,
** each in LRU order; B1 and B2 remember the keys of pages evicted from T1
** and T2 (the ghosts).  p, the target size of T1, adapts: a fault on a
** page in B1 says T1 was too small (p grows by max(|B2|/|B1|, 1), at
** most c), one in B2 says T2 was (p shrinks by max(|B1|/|B2|, 1), at
** least 0).  p is a real number, as in the paper (libCacheSim likewise
** keeps it a double).  REPLACE evicts the LRU page of T1 into B1 when
** T1 is not empty and |T1| > p, or |T1| == p and the faulting page is in
** B2; else the LRU page of T2 into B2.  On a miss everywhere (case IV):
** when |T1| + |B1| == c, the LRU ghost of B1 goes (or, with B1 empty,
** the LRU page of T1 is evicted and not remembered); else when all four
** lists hold 2c pages, the LRU ghost of B2 goes.
**
** REPLACE needs the faulting page (Q1's incoming): choose_victim() makes
** a plan -- the victim, where it goes, which ghost goes, the new p --
** and on_remove() and on_insert() carry it out, so that a choose_victim()
** without a removal changes nothing.  An eviction for no page in
** particular (incoming NULL: a machine making room for a page table) is
** REPLACE's with the current p,
** and when the page comes in a ghost hit adapts p, or else the LRU ghost
** that case IV drops goes then.  A page freed rather than evicted
** (Q2) is not remembered.  c is the memory's size: the most pages
** resident at any choose_victim() (the capacity before the first): in
** the simulator the frame count; on a machine, where the slots are all
** the frames but page tables hold some, the frames user pages fill.
** Every operation is O(1) expected.
**
** INVARIANTS (with D1-D2 of dq.h and G1-G2 of ghost.h):
**   A1  The resident slots are exactly the members of T1 and T2
**       (in_t2[] says which); 0 <= p <= c.
**   A2  |T1| + |T2| + |B1| + |B2| <= 2 * capacity, so the ghost pool
**       never overflows; with memory full at a steady size c (the
**       simulator), |T1| + |B1| <= c and the four lists hold at most 2c
**       after every insert, as in the paper.
**
** TRANSITIONS (and the only function that performs each):
**   not resident -> T1 (new) or T2 (a ghost hit)    arc_insert()
**   T1 -> T2, T2 -> MRU of T2                       arc_access()
**   T1|T2 -> B1|B2 (evicted) or forgotten           arc_remove()
**   B1|B2 -> forgotten (the LRU ghost)              arc_remove(), arc_insert()
*/
#include <stdlib.h>

#include "policy.h"
#include "ghost.h"

enum { ARC_B1, ARC_B2, ARC_FORGET };

struct arc_plan {
    int      valid, removed;   /* made by choose_victim; its victim removed */
    uint32_t victim;
    unsigned dest;             /* ARC_B1, ARC_B2 or ARC_FORGET */
    unsigned drop;             /* the ghost list whose LRU goes, or ARC_FORGET */
    int      has_key;
    uint64_t key;              /* the incoming page */
    double   p;                /* p after a ghost hit of key */
};

struct arc {
    uint64_t        c;         /* the memory's size (see above) */
    uint64_t        seen;      /* the most pages resident at a choose_victim() */
    double          p;
    struct sl_link *link;      /* per slot: its place in T1 or T2 */
    uint64_t       *key;       /* per slot */
    uint8_t        *in_t2;     /* per slot (A1) */
    struct dq       t1, t2;    /* LRU at the head */
    struct ghost    b;         /* list ARC_B1 is B1, ARC_B2 is B2 */
    struct arc_plan plan;
};

static void arc_destroy(void *st)
{
    struct arc *a = st;

    if (a == NULL)
        return;
    free(a->link);
    free(a->key);
    free(a->in_t2);
    gh_fini(&a->b);
    free(a);
}

static void *arc_create(uint64_t capacity)
{
    struct arc *a;

    if (capacity == 0 || capacity >= POLICY_NO_SLOT / 2)
        return NULL;
    a = calloc(1, sizeof *a);
    if (a == NULL)
        return NULL;
    a->c = capacity;
    dq_init(&a->t1);
    dq_init(&a->t2);
    a->link = calloc((size_t)capacity, sizeof a->link[0]);
    a->key = calloc((size_t)capacity, sizeof a->key[0]);
    a->in_t2 = calloc((size_t)capacity, sizeof a->in_t2[0]);
    /* Ghosts come only from evictions, which keep |T| + |B| <= 2c (A2). */
    if (a->link == NULL || a->key == NULL || a->in_t2 == NULL
        || gh_init(&a->b, (uint32_t)(2 * capacity)) != 0) {
        arc_destroy(a);
        return NULL;
    }
    return a;
}

/* Cases II and III: p after a fault on a page in ghost list `list`. */
static double arc_adapt(const struct arc *a, unsigned list)
{
    double b1 = gh_count(&a->b, ARC_B1), b2 = gh_count(&a->b, ARC_B2);

    if (list == ARC_B1) {
        double delta = b2 / b1 > 1 ? b2 / b1 : 1;
        return a->p + delta < (double)a->c ? a->p + delta : (double)a->c;
    }
    double delta = b1 / b2 > 1 ? b1 / b2 : 1;
    return a->p - delta > 0 ? a->p - delta : 0;
}

/* REPLACE(x, p): the victim and the ghost list it goes to.  A T2 that is
** empty leaves T1 (only when slots were freed, not evicted). */
static uint32_t arc_replace(const struct arc *a, int x_in_b2, double p, unsigned *dest)
{
    double t1 = a->t1.n;

    if ((a->t1.n > 0 && (t1 > p || (x_in_b2 && t1 == p))) || a->t2.n == 0) {
        *dest = ARC_B1;
        return a->t1.head;
    }
    *dest = ARC_B2;
    return a->t2.head;
}

static uint32_t arc_victim(void *st, const uint64_t *incoming)
{
    struct arc *a = st;
    struct arc_plan *pl = &a->plan;
    uint32_t g = incoming != NULL ? gh_find(&a->b, *incoming) : GH_NIL;
    uint64_t l1 = a->t1.n + gh_count(&a->b, ARC_B1);
    uint64_t all = l1 + a->t2.n + gh_count(&a->b, ARC_B2);

    if (a->t1.n + a->t2.n == 0)
        return POLICY_NO_SLOT;                  /* Q1 */
    if (a->t1.n + a->t2.n > a->seen) {          /* memory is full at this size */
        a->seen = a->c = a->t1.n + a->t2.n;
        if (a->p > (double)a->c)
            a->p = (double)a->c;
        l1 = a->t1.n + gh_count(&a->b, ARC_B1);
        all = l1 + a->t2.n + gh_count(&a->b, ARC_B2);
    }
    *pl = (struct arc_plan){ .valid = 1, .drop = ARC_FORGET, .has_key = incoming != NULL,
                             .key = incoming != NULL ? *incoming : 0, .p = a->p };
    if (g != GH_NIL) {                           /* cases II and III */
        pl->p = arc_adapt(a, gh_list(&a->b, g));
        pl->victim = arc_replace(a, gh_list(&a->b, g) == ARC_B2, pl->p, &pl->dest);
    } else if (l1 >= a->c && gh_count(&a->b, ARC_B1) == 0) {   /* IV.A, |T1| == c */
        pl->victim = a->t1.head;
        pl->dest = ARC_FORGET;
    } else {
        /* For no page in particular the ghost that goes is chosen when
        ** the page comes in, after its own ghost was looked for. */
        if (incoming != NULL && l1 >= a->c)                          /* IV.A */
            pl->drop = ARC_B1;
        else if (incoming != NULL && all >= 2 * a->c && gh_count(&a->b, ARC_B2) > 0)
            pl->drop = ARC_B2;                                       /* IV.B */
        pl->victim = arc_replace(a, 0, a->p, &pl->dest);
    }
    return pl->victim;
}

static void arc_drop_lru_ghost(struct arc *a, unsigned list)
{
    if (list != ARC_FORGET && gh_count(&a->b, list) > 0)
        gh_drop(&a->b, gh_oldest(&a->b, list));
}

static void arc_remove(void *st, uint32_t slot)
{
    struct arc *a = st;
    struct arc_plan *pl = &a->plan;

    dq_unlink(a->in_t2[slot] ? &a->t2 : &a->t1, a->link, slot);
    if (!pl->valid || pl->removed || pl->victim != slot)
        return;                                  /* Q2: freed, forgotten */
    pl->removed = 1;
    arc_drop_lru_ghost(a, pl->drop);
    if (pl->dest != ARC_FORGET)
        gh_add(&a->b, pl->dest, a->key[slot], 0);
}

static void arc_insert(void *st, uint32_t slot, uint64_t key, uint64_t next_use, unsigned access)
{
    struct arc *a = st;
    struct arc_plan pl = a->plan;
    int evicted = pl.valid && pl.removed;
    uint32_t g = gh_find(&a->b, key);

    (void)next_use;
    (void)access;
    a->plan.valid = 0;
    a->key[slot] = key;
    if (g != GH_NIL) {                           /* cases II and III */
        a->p = evicted && pl.has_key && pl.key == key ? pl.p : arc_adapt(a, gh_list(&a->b, g));
        gh_drop(&a->b, g);
        a->in_t2[slot] = 1;
        dq_push(&a->t2, a->link, slot);
        return;
    }
    if (!evicted || !pl.has_key) {               /* a free frame, or no plan: keep A2 */
        if (a->t1.n + gh_count(&a->b, ARC_B1) >= a->c)
            arc_drop_lru_ghost(a, ARC_B1);
        else if (a->t1.n + a->t2.n + a->b.used >= 2 * a->c)
            arc_drop_lru_ghost(a, ARC_B2);
    }
    a->in_t2[slot] = 0;
    dq_push(&a->t1, a->link, slot);
}

/* Case I: a hit makes the page the MRU page of T2. */
static void arc_access(void *st, uint32_t slot, uint64_t next_use, unsigned access)
{
    struct arc *a = st;

    (void)next_use;
    (void)access;
    if (a->in_t2[slot]) {
        dq_move_to_tail(&a->t2, a->link, slot);
        return;
    }
    dq_unlink(&a->t1, a->link, slot);
    a->in_t2[slot] = 1;
    dq_push(&a->t2, a->link, slot);
}

const struct policy_ops policy_arc = {
    .id = VML_POLICY_ARC,
    .flags = 0,
    .create = arc_create,
    .destroy = arc_destroy,
    .on_insert = arc_insert,
    .on_access = arc_access,
    .on_remove = arc_remove,
    .choose_victim = arc_victim,
};
