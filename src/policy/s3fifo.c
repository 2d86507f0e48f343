/*
** s3fifo.c -- S3-FIFO (Yang, Zhang, Qiu, Yue, Vinayak, "FIFO Queues Are
** All You Need for Cache Eviction", SOSP 2023, Algorithm 1), with
** c = capacity frames.
**
** Three FIFO queues: S, small, for pages seen for the first time; M,
** main, for pages that proved themselves; G, ghost, the keys of pages
** evicted from S.  A hit raises the page's frequency, capped at 3; the
** pages never move on a hit.  A fault on a page whose key is in G loads
** it into M, any other into S, with frequency 0.  To make room: while
** |S| >= 10% of c, the oldest page of S goes -- into M when its
** frequency is above 1 (with frequency 0, and the next oldest of S is
** considered), else it is evicted and its key joins G; otherwise (and
** when S empties) the oldest page of M goes, unless its frequency is
** above 0: then it is reinserted as the newest of M with frequency - 1.
**
** Parameters (the paper's): S's share 10% (the test is 10 |S| >= c),
** G holds floor(9c / 10) keys (as many as M's share), the oldest going
** first; promotion from S needs frequency 2 (libCacheSim's default
** move-to-main-threshold=2).  c is the memory's size: the most pages
** resident at any choose_victim() (the capacity before the first) --
** the frame count in the simulator, the frames user pages fill on a
** machine, whose slots are all its frames.  Where libCacheSim differs (docs/policies.md):
** it chooses M when |M| > c - floor(c / 10) or S is empty, else S, which
** differs from 10 |S| >= c when c is not a multiple of 10; and it admits
** nothing when floor(c / 10) <= 1.
**
** A victim costs O(1) amortized: a page moves from S to M at most once
** per load, and each reinsertion in M spends one unit of frequency that
** a hit bought.
**
** INVARIANTS (with D1-D2 of dq.h and G1-G2 of ghost.h):
**   S3F1  The resident slots are exactly the members of S and M (in_m[]
**       says which), each queue oldest first; freq[] <= 3.
**   S3F2  G holds at most floor(9c / 10) keys after every eviction, none
**       of a resident page.
**
** TRANSITIONS (and the only function that performs each):
**   not resident -> S (new) or M (in G)             s3_insert()
**   freq + 1                                        s3_access()
**   S -> M, M -> newest of M with freq - 1          s3_victim()
**   S -> G (evicted), S|M -> forgotten              s3_remove()
**   G -> forgotten (the oldest key)                 s3_remove(), s3_insert()
*/
#include <stdlib.h>

#include "policy.h"
#include "ghost.h"

#define S3_G       0    /* the ghost list */
#define S3_MAX_FREQ 3
#define S3_PROMOTE 2    /* frequency that moves a page from S to M */

struct s3fifo {
    uint64_t        c, g_cap;
    uint64_t        seen;      /* the most pages resident at a choose_victim() */
    struct sl_link *link;      /* per slot: its place in S or M */
    uint64_t       *key;       /* per slot */
    uint8_t        *freq;      /* per slot */
    uint8_t        *in_m;      /* per slot (S3F1) */
    struct dq       s, m;      /* oldest at the head */
    struct ghost    g;         /* S3F2 */
    uint32_t        victim;    /* the last choose_victim() (Q2) */
};

static void s3_destroy(void *st)
{
    struct s3fifo *f = st;

    if (f == NULL)
        return;
    free(f->link);
    free(f->key);
    free(f->freq);
    free(f->in_m);
    gh_fini(&f->g);
    free(f);
}

static void *s3_create(uint64_t capacity)
{
    struct s3fifo *f;

    if (capacity == 0 || capacity >= POLICY_NO_SLOT)
        return NULL;
    f = calloc(1, sizeof *f);
    if (f == NULL)
        return NULL;
    f->c = capacity;
    f->g_cap = capacity * 9 / 10;
    f->victim = POLICY_NO_SLOT;
    dq_init(&f->s);
    dq_init(&f->m);
    f->link = calloc((size_t)capacity, sizeof f->link[0]);
    f->key = calloc((size_t)capacity, sizeof f->key[0]);
    f->freq = calloc((size_t)capacity, sizeof f->freq[0]);
    f->in_m = calloc((size_t)capacity, sizeof f->in_m[0]);
    if (f->link == NULL || f->key == NULL || f->freq == NULL || f->in_m == NULL
        || gh_init(&f->g, (uint32_t)f->g_cap) != 0) {
        s3_destroy(f);
        return NULL;
    }
    return f;
}

static void s3_insert(void *st, uint32_t slot, uint64_t key, uint64_t next_use, unsigned access)
{
    struct s3fifo *f = st;
    uint32_t g = gh_find(&f->g, key);

    (void)next_use;
    (void)access;
    f->victim = POLICY_NO_SLOT;
    f->key[slot] = key;
    f->freq[slot] = 0;
    f->in_m[slot] = g != GH_NIL;
    if (g != GH_NIL) {
        gh_drop(&f->g, g);
        dq_push(&f->m, f->link, slot);
    } else {
        dq_push(&f->s, f->link, slot);
    }
}

static void s3_access(void *st, uint32_t slot, uint64_t next_use, unsigned access)
{
    struct s3fifo *f = st;

    (void)next_use;
    (void)access;
    if (f->freq[slot] < S3_MAX_FREQ)
        f->freq[slot]++;
}

static void s3_remove(void *st, uint32_t slot)
{
    struct s3fifo *f = st;
    int evicted = slot == f->victim;

    f->victim = POLICY_NO_SLOT;
    f->freq[slot] = 0;
    if (f->in_m[slot]) {
        dq_unlink(&f->m, f->link, slot);
        return;
    }
    dq_unlink(&f->s, f->link, slot);
    if (!evicted || f->g_cap == 0)
        return;                                   /* Q2: freed, forgotten */
    while (f->g.used >= f->g_cap)
        gh_drop(&f->g, gh_oldest(&f->g, S3_G));
    gh_add(&f->g, S3_G, f->key[slot], 0);
}

/* EVICTS: the oldest page of S that was not hit twice, moving the others
** to M; SL_NIL when S empties. */
static uint32_t s3_victim_s(struct s3fifo *f)
{
    while (f->s.n > 0) {
        uint32_t t = f->s.head;
        if (f->freq[t] < S3_PROMOTE)
            return t;
        dq_unlink(&f->s, f->link, t);
        f->in_m[t] = 1;
        f->freq[t] = 0;
        dq_push(&f->m, f->link, t);
    }
    return SL_NIL;
}

/* EVICTM: the oldest page of M with frequency 0, reinserting the others
** with one less; SL_NIL when M is empty. */
static uint32_t s3_victim_m(struct s3fifo *f)
{
    while (f->m.n > 0) {
        uint32_t t = f->m.head;
        if (f->freq[t] == 0)
            return t;
        f->freq[t]--;
        dq_move_to_tail(&f->m, f->link, t);
    }
    return SL_NIL;
}

/* POLICY_NO_SLOT (SL_NIL) with nothing resident (Q1). */
static uint32_t s3_victim(void *st, const uint64_t *incoming)
{
    struct s3fifo *f = st;
    uint32_t v = SL_NIL;

    (void)incoming;
    if (f->s.n + f->m.n > f->seen) {       /* memory is full at this size */
        f->seen = f->c = f->s.n + f->m.n;
        f->g_cap = f->c * 9 / 10;
    }
    if (10 * (uint64_t)f->s.n >= f->c)
        v = s3_victim_s(f);
    if (v == SL_NIL)
        v = s3_victim_m(f);
    if (v == SL_NIL) {          /* M empty and S small: only after frees */
        v = s3_victim_s(f);
        if (v == SL_NIL)
            v = s3_victim_m(f);
    }
    f->victim = v;
    return v;
}

const struct policy_ops policy_s3fifo = {
    .id = VML_POLICY_S3FIFO,
    .flags = 0,
    .create = s3_create,
    .destroy = s3_destroy,
    .on_insert = s3_insert,
    .on_access = s3_access,
    .on_remove = s3_remove,
    .choose_victim = s3_victim,
};
