/*
** wsclock.c -- WSClock (Carr and Hennessy, "WSCLOCK -- A Simple and
** Effective Algorithm for Virtual Memory Management", SOSP 1981; as in
** Tanenbaum, Modern Operating Systems, 3.4.9, and the CS 1550 simulators'
** "work" algorithm).
**
** The frames stand on a circle in frame (slot) order -- a loaded page
** takes its frame's place, as in the paper -- with a hand.  Each page has
** a referenced bit R (set by every reference, and by its load), a dirty
** bit, and the virtual time of its last use (time counts references; a
** load sets it).  To find a victim the hand goes round from where it
** stopped: R set -> clear it, last use := now, pass; R clear and age
** (now - last use) > tau -> a clean page is the victim, a dirty one is
** written back (scheduled, and in a simulator done at once: it is clean
** now, Q6) and passed; R clear and age <= tau (in the working set) ->
** pass.  After a full turn, the first page written in it is the victim
** (the next turn would stop there first); with none written, every page
** is in the working set, and the victim is the page with the oldest last
** use (the CS 1550 rule; Carr and Hennessy would deactivate a process, a
** simulator has one), the first from the hand of equal ones.  The hand
** stays on the victim; when the victim leaves, it moves one frame on.
**
** Parameter: tau = capacity references (a window no wider than memory).
** On a machine the policy sees no writes (Q5) and writes nothing back.
**
** The circle is a segment tree over the frames keyed by 0 for R set and
** last use + 1 for R clear (non-resident frames absent), so the hand
** jumps to the next frame whose key is <= now - tau in O(log n): a
** victim costs O(log n) amortized (each frame visited had its R set by a
** reference, or was written after a write, or is the victim), where a
** plain circle would walk past every page in the working set.  The tree
** stores ~key under max, so calloc's zeroes are "absent".
**
** INVARIANTS:
**   W1  The leaf of frame s holds ~key(s) for a resident s, 0 for any
**       other; every inner node holds the max of its children.
**   W2  ref[], dirty[] and last[] mean something only for resident
**       frames; hand < capacity.
**
** TRANSITIONS (and the only function that performs each):
**   not resident -> resident (R set, last use now)   ws_insert()
**   R clear -> R set, clean -> dirty                 ws_access()
**   R set -> R clear (last use now), dirty -> clean  ws_victim()
**   resident -> not resident                         ws_remove()
*/
#include <stdlib.h>

#include "policy.h"

struct wsclock {
    uint64_t  capacity, leaves;   /* leaves: a power of two >= capacity */
    uint64_t *tree;               /* 2 * leaves nodes, the root at 1 (W1) */
    uint64_t  now, tau;
    uint64_t *last;               /* per frame: last use */
    uint8_t  *ref, *dirty;        /* per frame */
    uint32_t  hand;               /* W2 */
    uint32_t  n_resident;
    uint32_t *written;            /* the frames written by the last choose_victim (Q6) */
    uint32_t  n_written, next_written;
};

#define WS_NONE UINT64_MAX

static void ws_set(struct wsclock *w, uint32_t frame, uint64_t inv_key)
{
    uint64_t i = w->leaves + frame;

    w->tree[i] = inv_key;
    for (i /= 2; i >= 1; i /= 2)
        w->tree[i] = w->tree[2 * i] > w->tree[2 * i + 1] ? w->tree[2 * i] : w->tree[2 * i + 1];
}

static void ws_rekey(struct wsclock *w, uint32_t frame)
{
    ws_set(w, frame, ~(w->ref[frame] ? 0 : w->last[frame] + 1));
}

/* The first frame >= from in node's range [lo, hi) whose ~key >= inv_t. */
static uint64_t ws_find_in(const struct wsclock *w, uint64_t node, uint64_t lo, uint64_t hi,
                           uint64_t from, uint64_t inv_t)
{
    uint64_t mid, r;

    if (hi <= from || w->tree[node] < inv_t || w->tree[node] == 0)
        return WS_NONE;
    if (hi - lo == 1)
        return lo;
    mid = lo + (hi - lo) / 2;
    r = ws_find_in(w, 2 * node, lo, mid, from, inv_t);
    return r != WS_NONE ? r : ws_find_in(w, 2 * node + 1, mid, hi, from, inv_t);
}

/* The first resident frame in [from, to) with key <= t, or WS_NONE. */
static uint64_t ws_find(const struct wsclock *w, uint64_t from, uint64_t to, uint64_t t)
{
    uint64_t f = ws_find_in(w, 1, 0, w->leaves, from, ~t);

    return f < to ? f : WS_NONE;
}

static void ws_destroy(void *st)
{
    struct wsclock *w = st;

    if (w == NULL)
        return;
    free(w->tree);
    free(w->last);
    free(w->ref);
    free(w->dirty);
    free(w->written);
    free(w);
}

static void *ws_create(uint64_t capacity)
{
    struct wsclock *w;

    if (capacity == 0 || capacity >= POLICY_NO_SLOT)
        return NULL;
    w = calloc(1, sizeof *w);
    if (w == NULL)
        return NULL;
    w->capacity = capacity;
    w->tau = capacity;
    for (w->leaves = 1; w->leaves < capacity; w->leaves *= 2)
        ;
    w->tree = calloc((size_t)(2 * w->leaves), sizeof w->tree[0]);
    w->last = calloc((size_t)capacity, sizeof w->last[0]);
    w->ref = calloc((size_t)capacity, sizeof w->ref[0]);
    w->dirty = calloc((size_t)capacity, sizeof w->dirty[0]);
    w->written = calloc((size_t)capacity, sizeof w->written[0]);
    if (w->tree == NULL || w->last == NULL || w->ref == NULL || w->dirty == NULL
        || w->written == NULL) {
        ws_destroy(w);
        return NULL;
    }
    return w;
}

static void ws_insert(void *st, uint32_t slot, uint64_t key, uint64_t next_use, unsigned access)
{
    struct wsclock *w = st;

    (void)key;
    (void)next_use;
    w->ref[slot] = 1;
    w->dirty[slot] = (access & POLICY_WRITE) != 0;
    w->last[slot] = w->now++;
    w->n_resident++;
    ws_rekey(w, slot);
}

static void ws_access(void *st, uint32_t slot, uint64_t next_use, unsigned access)
{
    struct wsclock *w = st;

    (void)next_use;
    if (access & POLICY_WRITE)
        w->dirty[slot] = 1;
    if (!w->ref[slot]) {
        w->ref[slot] = 1;
        ws_rekey(w, slot);
    }
    w->now++;
}

static void ws_remove(void *st, uint32_t slot)
{
    struct wsclock *w = st;

    ws_set(w, slot, 0);
    w->ref[slot] = w->dirty[slot] = 0;
    w->n_resident--;
    if (w->hand == slot)
        w->hand = (uint32_t)((slot + 1) % w->capacity);
}

/* The first resident frame on the circle from the hand with key <= t. */
static uint64_t ws_find_round(const struct wsclock *w, uint64_t from, uint64_t t)
{
    uint64_t f = ws_find(w, from, w->capacity, t);

    return f != WS_NONE ? f : ws_find(w, 0, from, t);
}

/* One turn of the hand from `start`: the victim, or WS_NONE after a turn
** that found none (having cleared every R and written old dirty pages). */
static uint64_t ws_turn(struct wsclock *w, uint64_t start)
{
    uint64_t t = w->now >= w->tau ? w->now - w->tau : 0, pos = start, to = w->capacity;
    int wrapped = 0;

    for (;;) {
        uint64_t f = ws_find(w, pos, to, t);
        if (f == WS_NONE) {
            if (wrapped)
                return WS_NONE;
            wrapped = 1;
            pos = 0;
            to = start;
            continue;
        }
        if (w->ref[f]) {                       /* a second chance */
            w->ref[f] = 0;
            w->last[f] = w->now;
            ws_rekey(w, (uint32_t)f);
        } else if (w->dirty[f]) {              /* old and dirty: write it */
            w->dirty[f] = 0;
            w->written[w->n_written++] = (uint32_t)f;
        } else {
            return f;                          /* old and clean */
        }
        pos = f + 1;
    }
}

static uint32_t ws_victim(void *st, const uint64_t *incoming)
{
    struct wsclock *w = st;
    uint64_t v;

    (void)incoming;
    w->n_written = w->next_written = 0;
    if (w->n_resident == 0)
        return POLICY_NO_SLOT;               /* Q1 */
    v = ws_turn(w, w->hand);
    if (v == WS_NONE && w->n_written > 0)
        v = w->written[0];
    if (v == WS_NONE)                        /* all in the working set: the oldest */
        v = ws_find_round(w, w->hand, ~w->tree[1]);
    w->hand = (uint32_t)v;
    return (uint32_t)v;
}

static uint32_t ws_next_written(void *st)
{
    struct wsclock *w = st;

    return w->next_written < w->n_written ? w->written[w->next_written++] : POLICY_NO_SLOT;
}

const struct policy_ops policy_wsclock = {
    .id = VML_POLICY_WSCLOCK,
    .flags = 0,
    .create = ws_create,
    .destroy = ws_destroy,
    .on_insert = ws_insert,
    .on_access = ws_access,
    .on_remove = ws_remove,
    .choose_victim = ws_victim,
    .next_written = ws_next_written,
};
