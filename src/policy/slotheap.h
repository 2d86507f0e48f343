/*
** slotheap.h -- an indexed binary max-heap of slots ordered by a 64-bit
** key, the structure behind OPT, clean-first OPT and LRU-2.  A slot's
** position is kept, so updating or removing any member is O(log n);
** the arrays come from calloc, so a heap over 2^28 slots costs host
** memory only for the slots it touches.
**
** INVARIANTS (of a heap h):
**   H1  Heap order: no member is above its parent, where a is above b
**       when key[a] > key[b], or the keys are equal and a < b.  heap[0],
**       the top, is therefore the member with the largest key, and of
**       equal keys the lowest slot.
**   H2  pos[s] is 1 + s's index in heap[] for a member s and 0 for any
**       other slot: heap[pos[s] - 1] == s.
**   H3  heap[0..n) holds exactly the members.
*/
#ifndef VML_POLICY_SLOTHEAP_H
#define VML_POLICY_SLOTHEAP_H

#include <stdint.h>

struct slot_heap {
    uint32_t  n;          /* H3 */
    uint32_t *heap;       /* capacity entries: H1 */
    uint32_t *pos;        /* capacity entries: H2 */
    uint64_t *key;        /* capacity entries: the key of each member */
};

int      sh_init(struct slot_heap *h, uint64_t capacity);   /* 0; -1: out of memory */
void     sh_fini(struct slot_heap *h);
void     sh_insert(struct slot_heap *h, uint32_t slot, uint64_t key);   /* not a member */
void     sh_update(struct slot_heap *h, uint32_t slot, uint64_t key);   /* a member */
void     sh_remove(struct slot_heap *h, uint32_t slot);                 /* a member */
uint32_t sh_top(const struct slot_heap *h);   /* POLICY_NO_SLOT when empty */

static inline int sh_member(const struct slot_heap *h, uint32_t slot)
{
    return h->pos[slot] != 0;
}

#endif
