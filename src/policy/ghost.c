/*
** ghost.c -- remembered pages (invariants G1-G2 in ghost.h).
**
** TRANSITIONS (and the only function that performs each):
**   free -> on a queue   gh_add()
**   on a queue -> free   gh_drop()
*/
#include <stdlib.h>

#include "ghost.h"

int gh_init(struct ghost *g, uint32_t cap)
{
    size_t n = cap > 0 ? cap : 1;

    g->cap = cap;
    g->used = g->n_touched = 0;
    g->free_head = GH_NIL;
    for (unsigned i = 0; i < GH_LISTS; i++)
        dq_init(&g->q[i]);
    g->key = calloc(n, sizeof g->key[0]);
    g->val = calloc(n, sizeof g->val[0]);
    g->link = calloc(n, sizeof g->link[0]);
    g->list = calloc(n, sizeof g->list[0]);
    g->map.e = NULL;
    if (g->key == NULL || g->val == NULL || g->link == NULL || g->list == NULL
        || km_init(&g->map, cap) != 0) {
        gh_fini(g);
        return -1;
    }
    return 0;
}

void gh_fini(struct ghost *g)
{
    free(g->key);
    free(g->val);
    free(g->link);
    free(g->list);
    km_fini(&g->map);
    g->key = g->val = NULL;
    g->link = NULL;
    g->list = NULL;
}

uint32_t gh_find(const struct ghost *g, uint64_t key)
{
    uint64_t e = km_get(&g->map, key);

    return e != KM_NONE ? (uint32_t)e : GH_NIL;
}

uint32_t gh_add(struct ghost *g, unsigned list, uint64_t key, uint64_t val)
{
    uint32_t e;

    if (g->free_head != GH_NIL) {
        e = g->free_head;
        g->free_head = g->link[e].next;
    } else {
        e = g->n_touched++;      /* the pool is touched only as it fills */
    }
    g->key[e] = key;
    g->val[e] = val;
    g->list[e] = (uint8_t)(list + 1);
    dq_push(&g->q[list], g->link, e);
    km_put(&g->map, key, e);
    g->used++;
    return e;
}

void gh_drop(struct ghost *g, uint32_t e)
{
    dq_unlink(&g->q[gh_list(g, e)], g->link, e);
    km_del(&g->map, g->key[e]);
    g->list[e] = 0;
    g->link[e].next = g->free_head;
    g->free_head = e;
    g->used--;
}
