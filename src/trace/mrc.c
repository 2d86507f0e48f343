/*
** mrc.c -- miss-ratio curves: the faults of LRU and of OPT for every
** number of frames from 1 to the footprint, each in one pass.
**
** Both policies are stack algorithms (Mattson, Gecsei, Slutz and Traiger,
** "Evaluation techniques for storage hierarchies", IBM Systems Journal
** 9(2), 1970): the pages resident with c frames are the top c of one
** stack, so a reference found at depth d hits for every c >= d and faults
** for every c < d; a page never seen faults everywhere.  faults(c) =
** cold + #{references with d > c}.
**
** LRU: the stack is recency order.  Its top LRU_TOP pages are an array in
** MRU order (a real trace finds most references there: d is the position,
** no tree is touched).  Below, d - 1 is LRU_TOP plus the number of pages
** below the top referenced since this one, counted with a Fenwick tree
** over "time slots" holding a 1 for each page below the top: a page takes
** the next slot when it drops out of the top array (every page below the
** top was referenced before every page in it, so slots stay in recency
** order), and loses it when it comes back to the top.  O(log S) per
** reference that misses the top.  When the slots run out they are
** renumbered in order (compaction), and their number doubles when more
** than half are live, so memory is O(footprint) whatever the trace's
** length and the renumbering is amortized O(1).
**
** OPT: the stack is ordered by Mattson's priority rule with "next use
** sooner" as the priority.  A reference found at depth p moves to the top;
** the page that was on top is carried down, and at each depth k < p the
** page needed later of (carried, stk[k]) is carried on, the other stays;
** the last one carried takes depth p.  At every size c this evicts the
** page of the top c needed farthest ahead: Belady's choice.  Cost O(p)
** per reference, with one shortcut: a page never used again (next use
** FUT_NEVER) is needed later than anything, so once it is carried it goes
** straight to depth p.  Total O(n + sum of depths), at worst O(n *
** footprint) (each cold miss walks until the first dead page).
**
** INVARIANTS:
**   MR1 LRU: every page seen is either in top[] (in_top set, once) or
**       has exactly one slot whose bit is 1 (last[] names it); slots
**       below t are in recency order; t <= cap.
**   MR2 OPT: pos[stk[k].id] == k for k < depth, and the stack holds each
**       seen page once.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trace.h"

#define MRC_NONE UINT32_MAX

static int grow_u32(uint32_t **v, size_t *cap, size_t need, uint8_t fill)
{
    size_t n = *cap ? *cap : 1024;
    uint32_t *p;

    if (need <= *cap)
        return 0;
    while (n < need)
        n *= 2;
    p = realloc(*v, n * sizeof *p);
    if (p == NULL)
        return -1;
    memset(p + *cap, fill, (n - *cap) * sizeof *p);
    *v = p;
    *cap = n;
    return 0;
}

static int grow_u64(uint64_t **v, size_t *cap, size_t need)
{
    size_t n = *cap ? *cap : 1024;
    uint64_t *p;

    if (need <= *cap)
        return 0;
    while (n < need)
        n *= 2;
    p = realloc(*v, n * sizeof *p);
    if (p == NULL)
        return -1;
    memset(p + *cap, 0, (n - *cap) * sizeof *p);
    *v = p;
    *cap = n;
    return 0;
}

/* faults[c - 1] = cold + sum over d > c of hist[d], c = 1..footprint. */
static int curve(const uint64_t *hist, size_t n_hist, uint64_t cold, uint64_t footprint,
                 uint64_t **faults)
{
    uint64_t *f = malloc((footprint ? footprint : 1) * sizeof *f);
    uint64_t above = 0;

    if (f == NULL)
        return -1;
    for (uint64_t c = footprint; c >= 1; c--) {
        f[c - 1] = cold + above;
        if (c < n_hist)
            above += hist[c];
    }
    *faults = f;
    return 0;
}

/* ---- LRU ------------------------------------------------------------------------- */

#define LRU_TOP 16

struct lru_mrc {
    uint32_t  top[LRU_TOP];   /* the most recently used pages, MRU first */
    unsigned  n_top;
    uint8_t  *in_top;      /* id -> in top[] */
    uint32_t *last;        /* id -> its slot below the top, MRC_NONE */
    size_t    n_last;
    uint32_t *owner;       /* slot -> id */
    uint32_t *tree;        /* Fenwick tree, 1-based, cap + 1 entries */
    uint32_t  cap, t;      /* slots; the next free one */
    uint32_t  below;       /* pages with a slot (bits set) */
    uint64_t *hist;        /* hist[d]: references at stack depth d */
    size_t    n_hist;
    uint64_t  cold;
};

struct lru_mrc *lru_mrc_create(void)
{
    struct lru_mrc *m = calloc(1, sizeof(struct lru_mrc));

    if (m != NULL && grow_u64(&m->hist, &m->n_hist, LRU_TOP + 2) != 0) {
        free(m);
        return NULL;
    }
    return m;
}

void lru_mrc_destroy(struct lru_mrc *m)
{
    if (m == NULL)
        return;
    free(m->in_top);
    free(m->last);
    free(m->owner);
    free(m->tree);
    free(m->hist);
    free(m);
}

/* Ones at slots 0..n-1 and nothing else: tree[i] covers (i - lowbit, i]. */
static void fen_build(uint32_t *tree, uint32_t cap, uint32_t n)
{
    for (uint32_t i = 1; i <= cap; i++) {
        uint32_t lo = i - (i & -i);
        tree[i] = (i < n ? i : n) - (lo < n ? lo : n);
    }
}

static uint32_t fen_prefix(const uint32_t *tree, uint32_t slot)   /* ones in [0, slot] */
{
    uint32_t sum = 0;

    for (uint32_t i = slot + 1; i > 0; i -= i & -i)
        sum += tree[i];
    return sum;
}

static void fen_add(uint32_t *tree, uint32_t cap, uint32_t slot, int32_t v)
{
    for (uint32_t i = slot + 1; i <= cap; i += i & -i)
        tree[i] += (uint32_t)v;
}

/* Renumbers the slots with a bit 0..below-1 in order; doubles cap when more
** than half would be used (MR1). */
static int lru_compact(struct lru_mrc *m)
{
    uint32_t j = 0;

    for (uint32_t s = 0; s < m->t; s++) {
        uint32_t id = m->owner[s];
        if (m->last[id] == s) {
            m->last[id] = j;
            m->owner[j++] = id;
        }
    }
    m->t = j;
    if (m->cap == 0 || 2 * (uint64_t)m->below + 2 > m->cap) {
        uint32_t cap = m->cap ? 2 * m->cap : 4096;
        uint32_t *owner, *tree;
        if (cap > (UINT32_MAX >> 1))
            return -1;
        owner = realloc(m->owner, (size_t)cap * sizeof *owner);
        if (owner == NULL)
            return -1;
        m->owner = owner;
        tree = realloc(m->tree, ((size_t)cap + 1) * sizeof *tree);
        if (tree == NULL)
            return -1;
        m->tree = tree;
        m->cap = cap;
    }
    fen_build(m->tree, m->cap, m->t);
    return 0;
}

/* The page at the bottom of top[] drops below: it takes the next slot. */
static int lru_drop(struct lru_mrc *m, uint32_t id)
{
    if (m->t == m->cap && lru_compact(m) != 0)
        return -1;
    m->in_top[id] = 0;
    fen_add(m->tree, m->cap, m->t, 1);
    m->last[id] = m->t;
    m->owner[m->t++] = id;
    m->below++;
    return 0;
}

int lru_mrc_feed(struct lru_mrc *m, const uint32_t *refs, size_t n, uint32_t n_ids)
{
    size_t before = m->n_last;

    if (grow_u32(&m->last, &m->n_last, n_ids, 0xff) != 0)
        return -1;
    if (m->n_last != before) {
        uint8_t *v = realloc(m->in_top, m->n_last);
        if (v == NULL)
            return -1;
        memset(v + before, 0, m->n_last - before);
        m->in_top = v;
    }
    for (size_t i = 0; i < n; i++) {
        uint32_t id = PREF_ID(refs[i]), d;
        unsigned j;

        if (m->in_top[id]) {                      /* in the top: d = position */
            for (j = 0; m->top[j] != id; j++)
                ;
            m->hist[j + 1]++;
            memmove(&m->top[1], &m->top[0], j * sizeof m->top[0]);
            m->top[0] = id;
            continue;
        }
        if (m->last[id] == MRC_NONE) {
            m->cold++;
        } else {                                  /* below: top + newer below */
            uint32_t s = m->last[id];
            d = m->n_top + 1 + (m->below - fen_prefix(m->tree, s));
            if (d >= m->n_hist && grow_u64(&m->hist, &m->n_hist, (size_t)d + 1) != 0)
                return -1;
            m->hist[d]++;
            fen_add(m->tree, m->cap, s, -1);
            m->last[id] = MRC_NONE;
            m->below--;
        }
        if (m->n_top == LRU_TOP) {
            if (lru_drop(m, m->top[LRU_TOP - 1]) != 0)
                return -1;
            m->n_top--;
        }
        memmove(&m->top[1], &m->top[0], m->n_top * sizeof m->top[0]);
        m->top[0] = id;
        m->n_top++;
        m->in_top[id] = 1;
    }
    return 0;
}

int lru_mrc_faults(const struct lru_mrc *m, uint64_t **faults, uint64_t *footprint)
{
    *footprint = m->n_top + m->below;
    return curve(m->hist, m->n_hist, m->cold, *footprint, faults);
}

/* ---- OPT ------------------------------------------------------------------------ */

struct ostk {
    uint64_t nu;           /* next use: the priority (sooner = kept) */
    uint32_t id;
    uint32_t pad;
};

struct opt_mrc {
    struct ostk *stk;
    size_t    depth, cap;
    uint32_t *pos;         /* id -> depth (MR2), MRC_NONE when not seen */
    size_t    n_pos;
    uint64_t *hist;
    size_t    n_hist;
    uint64_t  cold;
};

struct opt_mrc *opt_mrc_create(void)
{
    return calloc(1, sizeof(struct opt_mrc));
}

void opt_mrc_destroy(struct opt_mrc *m)
{
    if (m == NULL)
        return;
    free(m->stk);
    free(m->pos);
    free(m->hist);
    free(m);
}

int opt_mrc_feed(struct opt_mrc *m, const uint32_t *refs, const uint64_t *next, size_t n,
                 uint32_t n_ids)
{
    if (grow_u32(&m->pos, &m->n_pos, n_ids, 0xff) != 0)
        return -1;
    for (size_t i = 0; i < n; i++) {
        uint32_t id = PREF_ID(refs[i]);
        size_t p = m->pos[id];
        struct ostk *stk, y;

        if (p == MRC_NONE) {
            if (m->depth == m->cap) {
                size_t cap = m->cap ? 2 * m->cap : 1024;
                struct ostk *v = realloc(m->stk, cap * sizeof *v);
                if (v == NULL)
                    return -1;
                m->stk = v;
                m->cap = cap;
            }
            m->cold++;
            p = m->depth++;
        } else {
            if (p + 1 >= m->n_hist && grow_u64(&m->hist, &m->n_hist, p + 2) != 0)
                return -1;
            m->hist[p + 1]++;
        }
        stk = m->stk;
        if (p > 0) {
            size_t k;
            y = stk[0];
            for (k = 1; k < p && y.nu != FUT_NEVER; k++)
                if (stk[k].nu > y.nu) {       /* stk[k] is needed later: carried on */
                    struct ostk z = stk[k];
                    stk[k] = y;
                    m->pos[y.id] = (uint32_t)k;
                    y = z;
                }
            stk[p] = y;
            m->pos[y.id] = (uint32_t)p;
        }
        stk[0].nu = next[i];
        stk[0].id = id;
        m->pos[id] = 0;
    }
    return 0;
}

int opt_mrc_faults(const struct opt_mrc *m, uint64_t **faults, uint64_t *footprint)
{
    *footprint = m->depth;
    return curve(m->hist, m->n_hist, m->cold, m->depth, faults);
}

/* ---- checks --------------------------------------------------------------------- */

int lru_mrc_check(const struct lru_mrc *m, char *err, size_t size)
{
    uint32_t bits = 0;

    if (m->t > m->cap) {
        snprintf(err, size, "MR1: slot %u past the %u slots", m->t, m->cap);
        return -1;
    }
    for (unsigned j = 0; j < m->n_top; j++)
        if (!m->in_top[m->top[j]] || m->last[m->top[j]] != MRC_NONE) {
            snprintf(err, size, "MR1: page %u in top[] is not marked so, or has a slot",
                     m->top[j]);
            return -1;
        }
    for (uint32_t s = 0; s < m->t; s++) {
        uint32_t bit = fen_prefix(m->tree, s) - (s ? fen_prefix(m->tree, s - 1) : 0);
        uint32_t id = m->owner[s];
        if (bit != (m->last[id] == s)) {
            snprintf(err, size, "MR1: slot %u has bit %u, its page %u's slot is %u", s, bit, id,
                     m->last[id]);
            return -1;
        }
        bits += bit;
    }
    if (bits != m->below) {
        snprintf(err, size, "MR1: %u bits set, %u pages below the top", bits, m->below);
        return -1;
    }
    return 0;
}

int opt_mrc_check(const struct opt_mrc *m, char *err, size_t size)
{
    for (size_t k = 0; k < m->depth; k++)
        if (m->stk[k].id >= m->n_pos || m->pos[m->stk[k].id] != k) {
            snprintf(err, size, "MR2: depth %zu holds page %u, whose depth is %u", k,
                     m->stk[k].id, m->stk[k].id < m->n_pos ? m->pos[m->stk[k].id] : MRC_NONE);
            return -1;
        }
    return 0;
}
