/*
** clockpro.c -- CLOCK-Pro (Jiang, Chen, Zhang, "CLOCK-Pro: An Effective
** Improvement of the CLOCK Replacement", USENIX ATC 2005, section 3),
** with m = capacity frames.
**
** Pages are hot (a small reuse distance: kept) or cold (candidates for
** eviction).  Every page the policy knows stands on one clock in the
** order of its last placement at the list head: resident hot pages,
** resident cold pages, and non-resident cold pages -- evicted pages still
** in their test period.  A cold page's test period starts when it is
** loaded (or found referenced by HANDcold) and ends when the clock's
** oldest hot page is newer than it (its reuse distance would exceed every
** hot page's); a cold page referenced during its test period becomes
** hot.  A hit sets the page's reference bit.  mc, the target number of
** cold pages, adapts: +1 when a cold page is referenced in its test
** period, -1 when a test period ends without one.
**
**   HANDcold (for a free frame) at the oldest resident cold page: bit
**     clear -> the victim; it stays on the clock as a non-resident cold
**     page if in its test period, else it is forgotten.  Bit set -> clear
**     it; in its test period the page becomes hot (below), else it moves
**     to the head and starts a test period.  Then the next.
**   HANDhot (to make room for a new hot page while hot >= m - mc) at the
**     oldest hot page: bit set -> clear it, the page moves to the head;
**     bit clear -> it becomes cold (not in test), at the head, and the
**     hand stops.  Every cold page it passes ends its test period, a
**     non-resident one leaves the clock.  If the hand reaches the page
**     being promoted without demoting any, the promotion fails and that
**     page starts a new test period as a cold page (as Caffeine's
**     simulator, which follows the authors' code; the paper is silent).
**   HANDtest when more than m non-resident pages are kept: the oldest
**     page in its test period ends it.
**   A fault on a non-resident page in its test period: it becomes hot
**     (HANDhot first); any other fault: a cold page at the head, in test.
**     While memory has fewer than m - mc pages, new pages are hot (the
**     warm-up of LIRS and of the authors' code).
**
** Parameters: mc starts at max(1, m / 100) (LIRS's 1% of HIR pages) and
** stays within [1, m - 1]; non-resident pages at most m (the paper's).
** m is the memory's size: the most pages resident at any
** choose_victim() (the capacity before the first) -- the frame count in
** the simulator, the frames user pages fill on a machine, whose slots
** are all its frames.
** libCacheSim's ClockPro (added in 2025, after the snapshot we build)
** differs: docs/policies.md.
**
** The clock is kept as three queues in order of a stamp taken at every
** placement at the head: hot pages, resident cold pages, pages in test;
** each hand is the head of its queue, and the pages HANDhot passes are
** the test queue's pages older than the oldest hot page.  Every hand
** step is paid by the reference, load or placement that made it needed:
** O(1) amortized, expected (a hash map finds non-resident pages).
**
** INVARIANTS (with D1-D2 of dq.h, K1-K2 of keymap.h):
**   P1  Every entry in use is a resident hot page (in hot), a resident
**       cold page (in cold) or a non-resident page in test; q[] says
**       which of hot/cold holds it; each queue is in increasing stamp.
**   P2  The test queue holds exactly the entries in test: non-resident
**       pages and some resident cold ones; each is newer than the oldest
**       hot page.  The map holds key -> entry for exactly the
**       non-resident ones, at most m after every operation.
**   P3  ent[slot] is the entry of a resident slot; mc in [mc_min, mc_max].
**
** TRANSITIONS (and the only function that performs each):
**   not resident -> hot (warm-up, or a test hit) | cold in test   cp_insert()
**   cold in test -> hot                              cp_promote()
**   hot -> cold                                      cp_hot_hand()
**   in test -> not in test (non-resident: forgotten)  cp_test_end()
**   resident cold -> non-resident | forgotten        cp_remove()
**   bit clear -> bit set                             cp_access()
*/
#include <stdlib.h>

#include "policy.h"
#include "dq.h"
#include "keymap.h"

enum { CP_NOQ, CP_HOTQ, CP_COLDQ };

struct cp_entry {
    uint64_t key, stamp;
    uint32_t slot;                 /* SL_NIL when not resident */
    uint8_t  q;                    /* CP_* (P1) */
    uint8_t  in_test, ref;
};

struct clockpro {
    uint64_t         m, mc, mc_min, mc_max;
    uint64_t         seen;         /* the most pages resident at a choose_victim() */
    uint64_t         clock;        /* the last stamp */
    struct cp_entry *e;            /* 2m + 1 entries */
    struct sl_link  *la, *lb;      /* per entry: hot or cold queue; test queue */
    struct dq        hot, cold, test;
    uint32_t        *ent;          /* per slot (P3) */
    uint32_t         n_touched, free_head;   /* the pool; free chain through la[].next */
    uint32_t         n_nonres;
    struct keymap    nonres;       /* P2 */
    uint32_t         victim;       /* the last choose_victim() (Q2) */
};

static void cp_destroy(void *st)
{
    struct clockpro *p = st;

    if (p == NULL)
        return;
    free(p->e);
    free(p->la);
    free(p->lb);
    free(p->ent);
    km_fini(&p->nonres);
    free(p);
}

static void *cp_create(uint64_t capacity)
{
    struct clockpro *p;
    size_t n;

    if (capacity == 0 || capacity >= POLICY_NO_SLOT / 2)
        return NULL;
    p = calloc(1, sizeof *p);
    if (p == NULL)
        return NULL;
    n = (size_t)(2 * capacity + 2);
    p->m = capacity;
    p->mc_min = 1;
    p->mc_max = capacity > 1 ? capacity - 1 : 1;
    p->mc = capacity / 100 > 1 ? capacity / 100 : 1;
    p->free_head = p->victim = SL_NIL;
    dq_init(&p->hot);
    dq_init(&p->cold);
    dq_init(&p->test);
    p->e = calloc(n, sizeof p->e[0]);
    p->la = calloc(n, sizeof p->la[0]);
    p->lb = calloc(n, sizeof p->lb[0]);
    p->ent = calloc((size_t)capacity, sizeof p->ent[0]);
    if (p->e == NULL || p->la == NULL || p->lb == NULL || p->ent == NULL
        || km_init(&p->nonres, capacity + 1) != 0) {
        cp_destroy(p);
        return NULL;
    }
    return p;
}

static void cp_mc_add(struct clockpro *p, int up)
{
    if (up && p->mc < p->mc_max)
        p->mc++;
    else if (!up && p->mc > p->mc_min)
        p->mc--;
}

/* x takes its place at the head of the clock, in queue q (it is on none
** of hot and cold now). */
static void cp_place(struct clockpro *p, uint32_t x, uint8_t q)
{
    p->e[x].stamp = ++p->clock;
    p->e[x].q = q;
    dq_push(q == CP_HOTQ ? &p->hot : &p->cold, p->la, x);
}

static void cp_unqueue(struct clockpro *p, uint32_t x)
{
    if (p->e[x].q != CP_NOQ)
        dq_unlink(p->e[x].q == CP_HOTQ ? &p->hot : &p->cold, p->la, x);
    p->e[x].q = CP_NOQ;
}

static void cp_free(struct clockpro *p, uint32_t x)
{
    p->la[x].next = p->free_head;
    p->free_head = x;
}

/* x's test period ends: +1 to mc when it was referenced in it (a
** resident page with its bit set), -1 when not; a non-resident page
** leaves the clock. */
static void cp_test_end(struct clockpro *p, uint32_t x)
{
    struct cp_entry *e = &p->e[x];

    dq_unlink(&p->test, p->lb, x);
    e->in_test = 0;
    cp_mc_add(p, e->slot != SL_NIL && e->ref);
    if (e->slot == SL_NIL) {
        km_del(&p->nonres, e->key);
        p->n_nonres--;
        cp_free(p, x);
    }
}

static void cp_test_start(struct clockpro *p, uint32_t x)
{
    p->e[x].in_test = 1;
    dq_push(&p->test, p->lb, x);
}

/* HANDhot's wake (P2): the test periods of pages older than the oldest
** hot page end. */
static void cp_sync(struct clockpro *p)
{
    uint32_t h = p->hot.head;

    if (h == SL_NIL)
        return;
    while (p->test.head != SL_NIL && p->e[p->test.head].stamp < p->e[h].stamp)
        cp_test_end(p, p->test.head);
}

/* HANDhot: demotes one hot page older than `limit` (a stamp); 0 when it
** reaches limit first. */
static int cp_hot_hand(struct clockpro *p, uint64_t limit)
{
    for (;;) {
        uint32_t h = p->hot.head;
        if (h == SL_NIL || p->e[h].stamp > limit)
            return 0;
        cp_unqueue(p, h);
        if (p->e[h].ref) {
            p->e[h].ref = 0;
            cp_place(p, h, CP_HOTQ);
            cp_sync(p);
            continue;
        }
        cp_place(p, h, CP_COLDQ);
        cp_sync(p);
        return 1;
    }
}

/* x, in its test period and resident now, was referenced in it: it
** becomes hot if HANDhot makes room, else it starts a new test period. */
static void cp_promote(struct clockpro *p, uint32_t x)
{
    int ok = 1;

    dq_unlink(&p->test, p->lb, x);
    p->e[x].in_test = 0;
    cp_mc_add(p, 1);
    while (p->hot.n >= p->m - p->mc)
        if (!cp_hot_hand(p, p->e[x].stamp)) {
            ok = 0;
            break;
        }
    cp_unqueue(p, x);
    p->e[x].ref = 0;
    cp_place(p, x, ok ? CP_HOTQ : CP_COLDQ);
    if (!ok)
        cp_test_start(p, x);
    cp_sync(p);
}

static void cp_insert(void *st, uint32_t slot, uint64_t key, uint64_t next_use, unsigned access)
{
    struct clockpro *p = st;
    uint64_t found = km_get(&p->nonres, key);
    uint64_t resident = p->hot.n + p->cold.n;
    uint32_t x = (uint32_t)found;

    (void)next_use;
    (void)access;
    p->victim = SL_NIL;
    if (found != KM_NONE) {                    /* a fault in the test period */
        km_del(&p->nonres, key);
        p->n_nonres--;
        p->e[x].slot = slot;
        p->ent[slot] = x;
        cp_promote(p, x);
        return;
    }
    if (p->free_head != SL_NIL) {
        x = p->free_head;
        p->free_head = p->la[x].next;
    } else {
        x = p->n_touched++;
    }
    p->e[x] = (struct cp_entry){ .key = key, .slot = slot, .q = CP_NOQ };
    p->ent[slot] = x;
    if (resident < p->m - p->mc) {             /* warm-up */
        cp_place(p, x, CP_HOTQ);
    } else {
        cp_place(p, x, CP_COLDQ);
        cp_test_start(p, x);
    }
    cp_sync(p);
}

static void cp_access(void *st, uint32_t slot, uint64_t next_use, unsigned access)
{
    struct clockpro *p = st;

    (void)next_use;
    (void)access;
    p->e[p->ent[slot]].ref = 1;
}

static void cp_remove(void *st, uint32_t slot)
{
    struct clockpro *p = st;
    uint32_t x = p->ent[slot];
    struct cp_entry *e = &p->e[x];
    int evicted = slot == p->victim;

    p->victim = SL_NIL;
    cp_unqueue(p, x);
    e->slot = SL_NIL;
    e->ref = 0;
    if (evicted && e->in_test) {              /* stays as a non-resident page */
        km_put(&p->nonres, e->key, x);
        p->n_nonres++;
        while (p->n_nonres > p->m)            /* HANDtest */
            cp_test_end(p, p->test.head);
        cp_sync(p);
        return;
    }
    if (e->in_test)                           /* Q2: freed, forgotten */
        dq_unlink(&p->test, p->lb, x);
    e->in_test = 0;
    cp_free(p, x);
    cp_sync(p);
}

/* HANDcold; POLICY_NO_SLOT with nothing resident (Q1). */
static uint32_t cp_victim(void *st, const uint64_t *incoming)
{
    struct clockpro *p = st;

    (void)incoming;
    if (p->hot.n + p->cold.n == 0)
        return POLICY_NO_SLOT;
    if (p->hot.n + p->cold.n > p->seen) {  /* memory is full at this size */
        p->seen = p->m = p->hot.n + p->cold.n;
        p->mc_max = p->m > 1 ? p->m - 1 : 1;
        if (p->mc > p->mc_max)
            p->mc = p->mc_max;
    }
    for (;;) {
        uint32_t c = p->cold.head;
        if (c == SL_NIL) {                    /* only hot pages: demote one */
            cp_hot_hand(p, UINT64_MAX);
            continue;
        }
        if (!p->e[c].ref)
            return p->victim = p->e[c].slot;
        if (p->e[c].in_test) {                /* referenced in its test period */
            cp_promote(p, c);
            continue;
        }
        p->e[c].ref = 0;
        cp_unqueue(p, c);
        cp_place(p, c, CP_COLDQ);
        cp_test_start(p, c);
    }
}

const struct policy_ops policy_clockpro = {
    .id = VML_POLICY_CLOCKPRO,
    .flags = 0,
    .create = cp_create,
    .destroy = cp_destroy,
    .on_insert = cp_insert,
    .on_access = cp_access,
    .on_remove = cp_remove,
    .choose_victim = cp_victim,
};
