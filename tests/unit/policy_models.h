/*
** policy_models.h -- reference models of the replacement policies that
** came after the textbook six, for test_policies.c: each the policy's
** definition (docs/policies.md, the paper it cites) written as plainly as
** possible -- arrays and linear scans, O(n * frames) -- and run on a
** whole reference string.  They share nothing with src/policy/ but the
** simulator's conventions, which they repeat: frames are numbered in the
** order they first fill and a frame keeps its number when reloaded; a
** write dirties the page until it leaves; evicting a dirty page, or a
** policy writing one back (WSClock), is a write-back; the policies'
** parameters derive from cap = min(frames, references).
*/
#ifndef VML_TEST_POLICY_MODELS_H
#define VML_TEST_POLICY_MODELS_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vmlab.h"

#define MNONE UINT64_MAX

struct mrun {
    const vml_ref *refs;
    size_t         n;
    uint64_t       cap, used;
    uint64_t       faults, hits, writebacks;
    uint64_t      *page;      /* per frame */
    uint8_t       *dirty;     /* per frame */
};

/* ---- small helpers --------------------------------------------------------- */

static uint64_t mr_find(const struct mrun *r, uint64_t page)
{
    for (uint64_t f = 0; f < r->used; f++)
        if (r->page[f] == page)
            return f;
    return MNONE;
}

/* A list of keys (pages or frames), oldest first. */
struct mlist {
    uint64_t v[4096];
    size_t   n;
};

static size_t ml_index(const struct mlist *l, uint64_t x)
{
    for (size_t i = 0; i < l->n; i++)
        if (l->v[i] == x)
            return i;
    return SIZE_MAX;
}

static int ml_has(const struct mlist *l, uint64_t x)
{
    return ml_index(l, x) != SIZE_MAX;
}

static uint64_t ml_take_at(struct mlist *l, size_t i)
{
    uint64_t x = l->v[i];

    memmove(&l->v[i], &l->v[i + 1], (l->n - i - 1) * sizeof l->v[0]);
    l->n--;
    return x;
}

static void ml_del(struct mlist *l, uint64_t x)
{
    ml_take_at(l, ml_index(l, x));
}

static void ml_push(struct mlist *l, uint64_t x)
{
    l->v[l->n++] = x;
}

/* The frame of a page known resident. */
static uint64_t mr_frame(const struct mrun *r, uint64_t page)
{
    return mr_find(r, page);
}

/* Runs `step` (the model's work for reference i: hit when frame is not
** MNONE) and the simulator's bookkeeping around it.  step returns the
** frame the faulting page goes to, evicting (via mr_evict) if needed. */
typedef uint64_t (*mstep)(void *m, struct mrun *r, size_t i, uint64_t frame);

static void mr_evict(struct mrun *r, uint64_t f)
{
    r->writebacks += r->dirty[f];
    r->dirty[f] = 0;
}

static void mr_run(struct mrun *r, void *m, mstep step)
{
    for (size_t i = 0; i < r->n; i++) {
        uint64_t f = mr_find(r, r->refs[i].page);
        if (f != MNONE) {
            r->hits++;
            step(m, r, i, f);
        } else {
            r->faults++;
            f = step(m, r, i, MNONE);
            if (f == r->used)
                r->used++;
            r->page[f] = r->refs[i].page;
            r->dirty[f] = 0;
        }
        if (r->refs[i].write)
            r->dirty[f] = 1;
    }
}

/* A free frame, or MNONE when memory is full. */
static uint64_t mr_free(const struct mrun *r)
{
    return r->used < r->cap ? r->used : MNONE;
}

/* ---- LFU: fewest references since load, then the earliest to reach it -- */

struct m_lfu {
    uint64_t count[4096], since[4096];
};

static uint64_t m_lfu(void *mv, struct mrun *r, size_t i, uint64_t f)
{
    struct m_lfu *m = mv;

    if (f == MNONE) {
        if ((f = mr_free(r)) == MNONE) {
            f = 0;
            for (uint64_t g = 1; g < r->cap; g++)
                if (m->count[g] < m->count[f]
                    || (m->count[g] == m->count[f] && m->since[g] < m->since[f]))
                    f = g;
            mr_evict(r, f);
        }
        m->count[f] = 0;
    }
    m->count[f]++;
    m->since[f] = i;
    return f;
}

/* ---- ARC: Fig. 4 of Megiddo & Modha, request by request ------------------- */

struct m_arc {
    struct mlist t1, t2, b1, b2;   /* pages, LRU first */
    double p;
};

/* REPLACE(x, p): evicts the LRU page of T1 or T2 into B1 or B2; its frame. */
static uint64_t m_arc_replace(struct m_arc *m, struct mrun *r, int x_in_b2)
{
    uint64_t y, f;

    if (m->t1.n >= 1 && ((x_in_b2 && (double)m->t1.n == m->p) || (double)m->t1.n > m->p)) {
        y = ml_take_at(&m->t1, 0);
        ml_push(&m->b1, y);
    } else {
        y = ml_take_at(&m->t2, 0);
        ml_push(&m->b2, y);
    }
    f = mr_frame(r, y);
    mr_evict(r, f);
    return f;
}

static uint64_t m_arc(void *mv, struct mrun *r, size_t i, uint64_t f)
{
    struct m_arc *m = mv;
    uint64_t x = r->refs[i].page, c = r->cap;
    double b1 = (double)m->b1.n, b2 = (double)m->b2.n;

    if (f != MNONE) {                                  /* case I */
        if (ml_has(&m->t1, x))
            ml_del(&m->t1, x);
        else
            ml_del(&m->t2, x);
        ml_push(&m->t2, x);
        return f;
    }
    if (ml_has(&m->b1, x)) {                           /* case II */
        m->p = m->p + (b1 >= b2 ? 1 : b2 / b1);
        if (m->p > (double)c)
            m->p = (double)c;
        f = m_arc_replace(m, r, 0);
        ml_del(&m->b1, x);
        ml_push(&m->t2, x);
        return f;
    }
    if (ml_has(&m->b2, x)) {                           /* case III */
        m->p = m->p - (b2 >= b1 ? 1 : b1 / b2);
        if (m->p < 0)
            m->p = 0;
        f = m_arc_replace(m, r, 1);
        ml_del(&m->b2, x);
        ml_push(&m->t2, x);
        return f;
    }
    f = mr_free(r);                                    /* case IV */
    if (m->t1.n + m->b1.n == c) {                      /* A */
        if (m->t1.n < c) {
            ml_take_at(&m->b1, 0);
            f = m_arc_replace(m, r, 0);
        } else {
            f = mr_frame(r, ml_take_at(&m->t1, 0));
            mr_evict(r, f);
        }
    } else if (m->t1.n + m->t2.n + m->b1.n + m->b2.n >= c) {   /* B */
        if (m->t1.n + m->t2.n + m->b1.n + m->b2.n == 2 * c)
            ml_take_at(&m->b2, 0);
        f = m_arc_replace(m, r, 0);
    }
    ml_push(&m->t1, x);
    return f;
}

/* ---- 2Q, full version: Fig. 3 of Johnson & Shasha -------------------------- */

struct m_2q {
    struct mlist a1in, am, a1out;   /* pages, oldest / LRU first */
};

static uint64_t m_2q(void *mv, struct mrun *r, size_t i, uint64_t f)
{
    struct m_2q *m = mv;
    uint64_t x = r->refs[i].page, kin = r->cap / 4, kout = r->cap / 2, y;
    int in_a1out;

    if (f != MNONE) {
        if (ml_has(&m->am, x)) {
            ml_del(&m->am, x);
            ml_push(&m->am, x);
        }
        return f;
    }
    in_a1out = ml_has(&m->a1out, x);
    if (in_a1out)
        ml_del(&m->a1out, x);
    if ((f = mr_free(r)) == MNONE) {                  /* reclaimfor(X) */
        if (m->a1in.n > kin) {
            y = ml_take_at(&m->a1in, 0);
            ml_push(&m->a1out, y);
            if (m->a1out.n > kout)
                ml_take_at(&m->a1out, 0);
        } else {
            y = ml_take_at(&m->am, 0);
        }
        f = mr_frame(r, y);
        mr_evict(r, f);
    }
    ml_push(in_a1out ? &m->am : &m->a1in, x);
    return f;
}

/* ---- LRU-2: O'Neil et al., K = 2, CRP 0, the last cap evictions kept ------- */

struct m_lru2 {
    uint64_t     last[4096], hist2[4096];   /* per frame; hist2 0: none */
    struct mlist kept;                      /* evicted pages, oldest first */
    uint64_t     kept_last[4096];           /* parallel to kept */
};

static uint64_t m_lru2(void *mv, struct mrun *r, size_t i, uint64_t f)
{
    struct m_lru2 *m = mv;
    uint64_t t = i + 1, x = r->refs[i].page, h = 0;
    size_t k;

    if (f != MNONE) {
        m->hist2[f] = m->last[f];
        m->last[f] = t;
        return f;
    }
    if ((k = ml_index(&m->kept, x)) != SIZE_MAX) {    /* its history, before evicting */
        h = m->kept_last[k];
        memmove(&m->kept_last[k], &m->kept_last[k + 1], (m->kept.n - k - 1) * sizeof h);
        ml_take_at(&m->kept, k);
    }
    if ((f = mr_free(r)) == MNONE) {
        f = 0;
        for (uint64_t g = 1; g < r->cap; g++) {
            int inf_g = m->hist2[g] == 0, inf_f = m->hist2[f] == 0;
            if (inf_g != inf_f ? inf_g
                               : (inf_g ? m->last[g] < m->last[f] : m->hist2[g] < m->hist2[f]))
                f = g;
        }
        mr_evict(r, f);
        if (m->kept.n == r->cap) {
            memmove(&m->kept_last[0], &m->kept_last[1], (m->kept.n - 1) * sizeof h);
            ml_take_at(&m->kept, 0);
        }
        m->kept_last[m->kept.n] = m->last[f];
        ml_push(&m->kept, r->page[f]);
    }
    m->hist2[f] = h;
    m->last[f] = t;
    return f;
}

/* ---- SIEVE: NSDI'24 Fig. 2 ------------------------------------------------- */

struct m_sieve {
    struct mlist q;           /* pages, oldest first */
    uint8_t      visited[4096];   /* per frame */
    size_t       hand;        /* an index into q, or SIZE_MAX: from the oldest */
};

static uint64_t m_sieve(void *mv, struct mrun *r, size_t i, uint64_t f)
{
    struct m_sieve *m = mv;
    size_t h;

    if (f != MNONE) {
        m->visited[f] = 1;
        return f;
    }
    if ((f = mr_free(r)) == MNONE) {
        h = m->hand != SIZE_MAX ? m->hand : 0;
        while (m->visited[mr_frame(r, m->q.v[h])]) {
            m->visited[mr_frame(r, m->q.v[h])] = 0;
            h = h + 1 < m->q.n ? h + 1 : 0;
        }
        f = mr_frame(r, ml_take_at(&m->q, h));
        m->hand = h < m->q.n ? h : SIZE_MAX;   /* the next newer page */
        mr_evict(r, f);
    }
    m->visited[f] = 0;
    ml_push(&m->q, r->refs[i].page);
    return f;
}

/* ---- S3-FIFO: SOSP'23 Algorithm 1 ------------------------------------------- */

struct m_s3 {
    struct mlist s, m, g;     /* pages, oldest first */
    uint8_t      freq[4096];  /* per frame */
};

/* EVICTS: the oldest page of S hit less than twice (into G); the others
** move to M with frequency 0.  MNONE when S empties. */
static uint64_t m_s3_evict_s(struct m_s3 *m, const struct mrun *r)
{
    while (m->s.n > 0) {
        uint64_t t = ml_take_at(&m->s, 0);
        if (m->freq[mr_frame(r, t)] > 1) {
            m->freq[mr_frame(r, t)] = 0;
            ml_push(&m->m, t);
            continue;
        }
        ml_push(&m->g, t);
        if (m->g.n > r->cap * 9 / 10)
            ml_take_at(&m->g, 0);
        return t;
    }
    return MNONE;
}

/* EVICTM: the oldest page of M with frequency 0; the others go round
** with one less.  MNONE when M is empty. */
static uint64_t m_s3_evict_m(struct m_s3 *m, const struct mrun *r)
{
    while (m->m.n > 0) {
        uint64_t t = ml_take_at(&m->m, 0);
        if (m->freq[mr_frame(r, t)] == 0)
            return t;
        m->freq[mr_frame(r, t)]--;
        ml_push(&m->m, t);
    }
    return MNONE;
}

static uint64_t m_s3(void *mv, struct mrun *r, size_t i, uint64_t f)
{
    struct m_s3 *m = mv;
    uint64_t x = r->refs[i].page, y = MNONE;

    if (f != MNONE) {
        if (m->freq[f] < 3)
            m->freq[f]++;
        return f;
    }
    if ((f = mr_free(r)) == MNONE) {
        if (10 * m->s.n >= r->cap)
            y = m_s3_evict_s(m, r);
        if (y == MNONE)
            y = m_s3_evict_m(m, r);
        f = mr_frame(r, y);
        mr_evict(r, f);
    }
    m->freq[f] = 0;
    if (ml_has(&m->g, x)) {          /* after the eviction, as the paper's INSERT */
        ml_del(&m->g, x);
        ml_push(&m->m, x);
    } else {
        ml_push(&m->s, x);
    }
    return f;
}

/* ---- WSClock: the hand walks the frames in order ------------------------------ */

struct m_ws {
    uint8_t  ref[4096], dirty[4096];
    uint64_t last[4096], now, hand;
};

static uint64_t m_ws(void *mv, struct mrun *r, size_t i, uint64_t f)
{
    struct m_ws *m = mv;
    uint64_t tau = r->cap, first_written = MNONE;

    (void)i;
    if (f != MNONE) {
        m->ref[f] = 1;
        m->dirty[f] |= (uint8_t)r->refs[i].write;
        m->now++;
        return f;
    }
    if ((f = mr_free(r)) == MNONE) {
        for (uint64_t k = 0; k < r->cap && f == MNONE; k++) {
            uint64_t g = (m->hand + k) % r->cap;
            if (m->ref[g]) {
                m->ref[g] = 0;
                m->last[g] = m->now;
            } else if (m->now - m->last[g] > tau) {
                if (!m->dirty[g])
                    f = g;
                else {
                    m->dirty[g] = 0;
                    r->writebacks += r->dirty[g];   /* written back, now clean */
                    r->dirty[g] = 0;
                    if (first_written == MNONE)
                        first_written = g;
                }
            }
        }
        if (f == MNONE)
            f = first_written;
        if (f == MNONE)                  /* all in the working set: the oldest */
            for (uint64_t k = 0; k < r->cap; k++) {
                uint64_t g = (m->hand + k) % r->cap;
                if (f == MNONE || m->last[g] < m->last[f])
                    f = g;
            }
        mr_evict(r, f);
        m->hand = (f + 1) % r->cap;
    }
    m->ref[f] = 1;
    m->dirty[f] = (uint8_t)r->refs[i].write;
    m->last[f] = m->now++;
    return f;
}

/* ---- NRU: classes by (R, D), R cleared every cap references ------------------ */

struct m_nru {
    uint8_t  ref[4096], dirty[4096];
    uint64_t count;
};

static uint64_t m_nru(void *mv, struct mrun *r, size_t i, uint64_t f)
{
    struct m_nru *m = mv;

    if (f == MNONE) {
        if ((f = mr_free(r)) == MNONE) {
            f = 0;
            for (uint64_t g = 1; g < r->cap; g++)
                if (2 * m->ref[g] + m->dirty[g] < 2 * m->ref[f] + m->dirty[f])
                    f = g;
            mr_evict(r, f);
        }
        m->dirty[f] = 0;
    }
    m->ref[f] = 1;
    m->dirty[f] |= (uint8_t)r->refs[i].write;
    if (++m->count % r->cap == 0)
        for (uint64_t g = 0; g < r->cap; g++)
            m->ref[g] = 0;
    return f;
}

/* ---- aging: 8-bit counters, a tick every cap references ---------------------- */

struct m_aging {
    uint8_t  ref[4096], counter[4096];
    uint64_t count;
};

static uint64_t m_aging(void *mv, struct mrun *r, size_t i, uint64_t f)
{
    struct m_aging *m = mv;

    (void)i;
    if (f == MNONE) {
        if ((f = mr_free(r)) == MNONE) {
            f = 0;
            for (uint64_t g = 1; g < r->cap; g++)
                if (256 * m->ref[g] + m->counter[g] < 256 * m->ref[f] + m->counter[f])
                    f = g;
            mr_evict(r, f);
        }
        m->counter[f] = 0;
    }
    m->ref[f] = 1;
    if (++m->count % r->cap == 0)
        for (uint64_t g = 0; g < r->cap; g++) {
            m->counter[g] = (uint8_t)((m->counter[g] >> 1) | (m->ref[g] << 7));
            m->ref[g] = 0;
        }
    return f;
}

/* ---- RANDOM: dense[r mod n], splitmix64 seeded with 1 ------------------------- */

struct m_random {
    uint64_t dense[4096], n, state;
    int      seeded;
};

static uint64_t m_random(void *mv, struct mrun *r, size_t i, uint64_t f)
{
    struct m_random *m = mv;

    (void)i;
    if (!m->seeded) {
        m->state = 1;             /* RANDOM_SEED */
        m->seeded = 1;
    }
    if (f != MNONE)
        return f;
    if ((f = mr_free(r)) == MNONE) {
        uint64_t z = (m->state += 0x9e3779b97f4a7c15ull), k;
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
        z ^= z >> 31;
        k = z % m->n;
        f = m->dense[k];
        m->dense[k] = m->dense[--m->n];   /* the last takes the victim's place */
        mr_evict(r, f);
    }
    m->dense[m->n++] = f;
    return f;
}

/* ---- clean-first OPT ----------------------------------------------------------- */

static uint64_t m_next_use(const struct mrun *r, size_t i, uint64_t page)
{
    for (size_t j = i + 1; j < r->n; j++)
        if (r->refs[j].page == page)
            return j;
    return MNONE;
}

static uint64_t m_optclean(void *mv, struct mrun *r, size_t i, uint64_t f)
{
    uint64_t best = MNONE;

    (void)mv;
    if (f != MNONE || (f = mr_free(r)) != MNONE)
        return f;
    for (uint64_t g = 0; g < r->cap; g++) {
        uint64_t ng = m_next_use(r, i, r->page[g]), nb;
        if (best == MNONE) {
            best = g;
            continue;
        }
        nb = m_next_use(r, i, r->page[best]);
        if (ng > nb || (ng == MNONE && nb == MNONE && !r->dirty[g] && r->dirty[best]))
            best = g;
    }
    mr_evict(r, best);
    return best;
}

/* ---- CLOCK-Pro: one clock as an array, oldest first; the hands are the
** oldest hot page, the oldest resident cold page, the oldest page in test -- */

struct m_cp_ent {
    uint64_t page;
    uint8_t  hot, resident, in_test, ref;
};

struct m_cp {
    struct m_cp_ent e[8192];
    size_t          n;
    uint64_t        mc, mc_min, mc_max, m;
};

static size_t m_cp_pos(const struct m_cp *c, uint64_t page, int resident)
{
    for (size_t j = 0; j < c->n; j++)
        if (c->e[j].page == page && c->e[j].resident == resident)
            return j;
    return SIZE_MAX;
}

static size_t m_cp_first(const struct m_cp *c, int hot, int resident_cold, int in_test)
{
    for (size_t j = 0; j < c->n; j++) {
        const struct m_cp_ent *e = &c->e[j];
        if ((hot && e->hot) || (resident_cold && e->resident && !e->hot) || (in_test && e->in_test))
            return j;
    }
    return SIZE_MAX;
}

static size_t m_cp_count(const struct m_cp *c, int hot, int resident, int nonres)
{
    size_t k = 0;

    for (size_t j = 0; j < c->n; j++)
        k += (hot && c->e[j].hot) || (resident && c->e[j].resident)
             || (nonres && !c->e[j].resident);
    return k;
}

static void m_cp_mc(struct m_cp *c, int up)
{
    if (up && c->mc < c->mc_max)
        c->mc++;
    else if (!up && c->mc > c->mc_min)
        c->mc--;
}

/* Moves entry j to the head (the end of the array). */
static void m_cp_to_head(struct m_cp *c, size_t j)
{
    struct m_cp_ent e = c->e[j];

    memmove(&c->e[j], &c->e[j + 1], (c->n - j - 1) * sizeof e);
    c->e[c->n - 1] = e;
}

static void m_cp_drop(struct m_cp *c, size_t j)
{
    memmove(&c->e[j], &c->e[j + 1], (c->n - j - 1) * sizeof c->e[0]);
    c->n--;
}

/* A test period ends; a non-resident page leaves the clock. */
static void m_cp_test_end(struct m_cp *c, size_t j)
{
    c->e[j].in_test = 0;
    m_cp_mc(c, c->e[j].resident && c->e[j].ref);
    if (!c->e[j].resident)
        m_cp_drop(c, j);
}

/* HANDhot's wake: pages older than the oldest hot page end their tests. */
static void m_cp_sync(struct m_cp *c)
{
    size_t h = m_cp_first(c, 1, 0, 0);

    if (h == SIZE_MAX)
        return;
    for (size_t j = 0; j < h;) {
        int gone = c->e[j].in_test && !c->e[j].resident;
        if (c->e[j].in_test)
            m_cp_test_end(c, j);
        if (gone)
            h--;            /* the entries after it moved down one */
        else
            j++;
    }
}

/* HANDhot: demotes one hot page older than x (any, when x is MNONE). */
static int m_cp_hot_hand(struct m_cp *c, uint64_t x_page, int x_resident)
{
    for (;;) {
        size_t h = m_cp_first(c, 1, 0, 0);
        size_t x = x_page != MNONE ? m_cp_pos(c, x_page, x_resident) : SIZE_MAX;
        if (h == SIZE_MAX || h > x)
            return 0;
        if (c->e[h].ref) {
            c->e[h].ref = 0;
            m_cp_to_head(c, h);
            m_cp_sync(c);
            continue;
        }
        c->e[h].hot = 0;
        m_cp_to_head(c, h);
        m_cp_sync(c);
        return 1;
    }
}

static void m_cp_promote(struct m_cp *c, uint64_t page)
{
    size_t j = m_cp_pos(c, page, 1);
    int ok = 1;

    c->e[j].in_test = 0;
    m_cp_mc(c, 1);
    while (m_cp_count(c, 1, 0, 0) >= c->m - c->mc)
        if (!m_cp_hot_hand(c, page, 1)) {
            ok = 0;
            break;
        }
    j = m_cp_pos(c, page, 1);
    c->e[j].ref = 0;
    c->e[j].hot = (uint8_t)ok;
    c->e[j].in_test = (uint8_t)!ok;
    m_cp_to_head(c, j);
    m_cp_sync(c);
}

static uint64_t m_cp(void *mv, struct mrun *r, size_t i, uint64_t f)
{
    struct m_cp *c = mv;
    uint64_t x = r->refs[i].page;
    size_t j;

    if (c->m == 0) {
        c->m = r->cap;
        c->mc_min = 1;
        c->mc_max = r->cap > 1 ? r->cap - 1 : 1;
        c->mc = r->cap / 100 > 1 ? r->cap / 100 : 1;
    }
    if (f != MNONE) {
        c->e[m_cp_pos(c, x, 1)].ref = 1;
        return f;
    }
    if ((f = mr_free(r)) == MNONE) {                  /* HANDcold */
        for (;;) {
            size_t k = m_cp_first(c, 0, 1, 0);
            if (k == SIZE_MAX) {
                m_cp_hot_hand(c, MNONE, 0);
                continue;
            }
            if (c->e[k].ref && c->e[k].in_test) {
                m_cp_promote(c, c->e[k].page);
                continue;
            }
            if (c->e[k].ref) {
                c->e[k].ref = 0;
                c->e[k].in_test = 1;
                m_cp_to_head(c, k);
                continue;
            }
            f = mr_frame(r, c->e[k].page);
            mr_evict(r, f);
            if (c->e[k].in_test)
                c->e[k].resident = 0;
            else
                m_cp_drop(c, k);
            while (m_cp_count(c, 0, 0, 1) > c->m)     /* HANDtest */
                m_cp_test_end(c, m_cp_first(c, 0, 0, 1));
            m_cp_sync(c);
            break;
        }
    }
    if ((j = m_cp_pos(c, x, 0)) != SIZE_MAX) {        /* in its test period */
        c->e[j].resident = 1;
        m_cp_promote(c, x);
        return f;
    }
    j = c->n++;
    c->e[j] = (struct m_cp_ent){ .page = x, .resident = 1 };
    if (m_cp_count(c, 0, 1, 0) - 1 < c->m - c->mc)
        c->e[j].hot = 1;
    else
        c->e[j].in_test = 1;
    m_cp_sync(c);
    return f;
}

#endif
