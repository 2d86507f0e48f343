/*
** aging.c -- aging (Tanenbaum, Modern Operating Systems, 3.4.7; the CS
** 1550 simulators' "aging" with an 8-bit counter and a refresh period):
** each page has an 8-bit counter and a referenced bit R, set by every
** reference.  Every `period` references a clock tick shifts each counter
** right by one and puts R into its top bit, then clears R.  The victim
** is the page with the lowest counter; the current interval's R is
** taken as the newest bit, above the counter (a page referenced since
** the last tick goes after every page that was not, as at the next tick
** it would), and of equal (R, counter) the lowest slot -- the first frame
** a simulator scanning its frame table finds.  A loaded page has counter
** 0 and R set.  Parameter: period = capacity references (the simulators'
** -r); the tick follows the period's last reference.
**
** The pages are kept in 512 pairing heaps of slots (pairheap.h), one per
** (R, counter) value, so a tick -- counter c becomes c >> 1, or 128 |
** c >> 1 with R -- melds pairs of heaps: 256 O(1) melds, whatever the
** number of pages.  A page's counter is computed from the counter it had
** when it was last referenced and the ticks since.  The first reference
** in an interval costs O(log n) amortized, a victim O(1) (a bitmap of
** the non-empty heaps).
**
** INVARIANTS (with PH1-PH2 of pairheap.h):
**   AG1  Each resident slot is in heap 256 + cnt[slot] when referenced in
**       the current epoch (ref_epoch == epoch), else in heap
**       aging_counter(slot); no other slot is in a heap.
**   AG2  Bit h of busy[] is set exactly when heap h is not empty.
**   G3  epoch == 1 + n_refs / period.
**
** TRANSITIONS (and the only function that performs each):
**   not resident -> (R, 0)                          aging_insert()
**   R clear -> R set (first reference this epoch)   aging_access()
**   tick: shift every counter, clear every R        aging_tick()
**   resident -> not resident                        aging_remove()
*/
#include <stdlib.h>

#include "policy.h"
#include "pairheap.h"

#define AGING_BITS   8
#define AGING_VALUES (1u << AGING_BITS)       /* counter values */
#define AGING_HEAPS  (2 * AGING_VALUES)       /* (R, counter) */
#define AGING_TOP    (AGING_VALUES >> 1)      /* the counter's top bit */

struct aging {
    uint64_t        period, n_refs, epoch;    /* G3 */
    uint64_t       *ref_epoch;                /* per slot: the epoch of its last reference */
    uint8_t        *cnt;                      /* per slot: its counter at the start of ref_epoch */
    struct ph_node *node;                     /* per slot */
    uint32_t        root[AGING_HEAPS];        /* AG1 */
    uint64_t        busy[AGING_HEAPS / 64];   /* AG2 */
};

/* The counter of a slot not referenced in the current epoch: the tick
** that ended its epoch put R (1) on top, each later one shifted. */
static unsigned aging_counter(const struct aging *a, uint32_t slot)
{
    uint64_t ticks = a->epoch - a->ref_epoch[slot];

    if (ticks > AGING_BITS)
        return 0;
    return ((a->cnt[slot] >> 1) | AGING_TOP) >> (ticks - 1);
}

static unsigned aging_heap(const struct aging *a, uint32_t slot)
{
    if (a->ref_epoch[slot] == a->epoch)
        return AGING_VALUES + a->cnt[slot];
    return aging_counter(a, slot);
}

static void aging_mark(struct aging *a, unsigned h)
{
    if (a->root[h] != PH_NIL)
        a->busy[h / 64] |= 1ull << (h % 64);
    else
        a->busy[h / 64] &= ~(1ull << (h % 64));
}

static void aging_put(struct aging *a, uint32_t slot)
{
    unsigned h = aging_heap(a, slot);

    a->root[h] = ph_insert(a->node, a->root[h], slot);
    aging_mark(a, h);
}

static void aging_take(struct aging *a, uint32_t slot)
{
    unsigned h = aging_heap(a, slot);

    a->root[h] = ph_remove(a->node, a->root[h], slot);
    aging_mark(a, h);
}

static void aging_destroy(void *st)
{
    struct aging *a = st;

    if (a == NULL)
        return;
    free(a->ref_epoch);
    free(a->cnt);
    free(a->node);
    free(a);
}

static void *aging_create(uint64_t capacity)
{
    struct aging *a;

    if (capacity == 0 || capacity >= POLICY_NO_SLOT)
        return NULL;
    a = calloc(1, sizeof *a);
    if (a == NULL)
        return NULL;
    a->period = capacity;
    a->epoch = 1;
    for (unsigned h = 0; h < AGING_HEAPS; h++)
        a->root[h] = PH_NIL;
    a->ref_epoch = calloc((size_t)capacity, sizeof a->ref_epoch[0]);
    a->cnt = calloc((size_t)capacity, sizeof a->cnt[0]);
    a->node = calloc((size_t)capacity, sizeof a->node[0]);
    if (a->ref_epoch == NULL || a->cnt == NULL || a->node == NULL) {
        aging_destroy(a);
        return NULL;
    }
    return a;
}

/* One more reference; after every period of them, a tick: counter c
** (R clear) becomes c >> 1, (R set) 128 | c >> 1.  Ascending w reads
** heaps 2w and 2w + 1 before anything overwrites them. */
static void aging_tick(struct aging *a)
{
    if (++a->n_refs % a->period != 0)
        return;
    a->epoch++;
    for (unsigned w = 0; w < AGING_TOP; w++)
        a->root[w] = ph_meld(a->node, a->root[2 * w], a->root[2 * w + 1]);
    for (unsigned w = 0; w < AGING_TOP; w++)
        a->root[AGING_TOP + w] = ph_meld(a->node, a->root[AGING_VALUES + 2 * w],
                                         a->root[AGING_VALUES + 2 * w + 1]);
    for (unsigned h = AGING_VALUES; h < AGING_HEAPS; h++)
        a->root[h] = PH_NIL;
    for (unsigned h = 0; h < AGING_HEAPS; h++)
        aging_mark(a, h);
}

static void aging_insert(void *st, uint32_t slot, uint64_t key, uint64_t next_use, unsigned access)
{
    struct aging *a = st;

    (void)key;
    (void)next_use;
    (void)access;
    a->ref_epoch[slot] = a->epoch;
    a->cnt[slot] = 0;
    aging_put(a, slot);
    aging_tick(a);
}

static void aging_access(void *st, uint32_t slot, uint64_t next_use, unsigned access)
{
    struct aging *a = st;

    (void)next_use;
    (void)access;
    if (a->ref_epoch[slot] != a->epoch) {
        aging_take(a, slot);
        a->cnt[slot] = (uint8_t)aging_counter(a, slot);
        a->ref_epoch[slot] = a->epoch;
        aging_put(a, slot);
    }
    aging_tick(a);
}

static void aging_remove(void *st, uint32_t slot)
{
    aging_take(st, slot);
}

/* The lowest slot of the lowest (R, counter); POLICY_NO_SLOT with none (Q1). */
static uint32_t aging_victim(void *st, const uint64_t *incoming)
{
    const struct aging *a = st;

    (void)incoming;
    for (unsigned i = 0; i < AGING_HEAPS / 64; i++)
        if (a->busy[i] != 0)
            return a->root[i * 64 + (unsigned)__builtin_ctzll(a->busy[i])];
    return POLICY_NO_SLOT;
}

const struct policy_ops policy_aging = {
    .id = VML_POLICY_AGING,
    .flags = 0,
    .create = aging_create,
    .destroy = aging_destroy,
    .on_insert = aging_insert,
    .on_access = aging_access,
    .on_remove = aging_remove,
    .choose_victim = aging_victim,
};
