/*
** ghost.h -- pages a policy remembers after evicting them: a fixed pool
** of entries (a key and one 64-bit value each), on up to GH_LISTS queues
** in the order they were added, found by key through a keymap.  ARC's B1
** and B2, 2Q's A1out, S3-FIFO's ghost queue and LRU-2's retained history
** are ghosts.  Create sizes the pool; no operation allocates, and each is
** expected O(1).
**
** INVARIANTS:
**   G1  An entry is either free or on exactly one queue, and the keymap
**       holds key -> entry for exactly the entries on a queue: no key
**       twice.
**   G2  used == the sum of the queues' lengths <= cap.
*/
#ifndef VML_POLICY_GHOST_H
#define VML_POLICY_GHOST_H

#include <stdint.h>
#include "dq.h"
#include "keymap.h"

#define GH_LISTS 2
#define GH_NIL   SL_NIL

struct ghost {
    uint32_t        cap;          /* entries in the pool */
    uint32_t        used;         /* G2 */
    uint32_t        n_touched;    /* entries 0..n_touched-1 have been handed out */
    uint32_t        free_head;    /* freed entries, chained through link[].next */
    uint64_t       *key;
    uint64_t       *val;
    struct sl_link *link;
    uint8_t        *list;         /* the entry's queue + 1; 0: free */
    struct dq       q[GH_LISTS];  /* oldest at the head */
    struct keymap   map;          /* G1 */
};

int      gh_init(struct ghost *g, uint32_t cap);   /* 0; -1: out of memory */
void     gh_fini(struct ghost *g);
uint32_t gh_find(const struct ghost *g, uint64_t key);   /* the entry, or GH_NIL */
/* Adds key (not remembered yet) as the newest entry of queue `list`;
** used must be below cap.  Returns the entry. */
uint32_t gh_add(struct ghost *g, unsigned list, uint64_t key, uint64_t val);
void     gh_drop(struct ghost *g, uint32_t e);     /* the entry is forgotten */

static inline unsigned gh_list(const struct ghost *g, uint32_t e)
{
    return (unsigned)g->list[e] - 1;
}

static inline uint32_t gh_oldest(const struct ghost *g, unsigned list)
{
    return g->q[list].head;   /* GH_NIL when empty */
}

static inline uint32_t gh_count(const struct ghost *g, unsigned list)
{
    return g->q[list].n;
}

#endif
