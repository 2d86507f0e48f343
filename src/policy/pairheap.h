/*
** pairheap.h -- pairing heaps of slots ordered by slot number, the
** lowest on top, several heaps sharing one node array: NRU's four
** classes and aging's counter values, where the victim is the lowest
** frame of the lowest class, as a simulator scanning its frame table
** would find it.  Melding two heaps is O(1), so a whole class changes
** class at once (a refresh, an aging tick) in O(1); insert is O(1),
** removal O(log n) amortized (Fredman, Sedgewick, Sleator, Tarjan 1986).
**
** INVARIANTS (of the nodes t[] of one family of heaps):
**   PH1 A heap is a tree rooted at a slot whose prev and next are
**       PH_NIL; a node's children hang from child, linked through next,
**       and prev is the left sibling, or the parent for a first child.
**   PH2 Heap order: every child's slot is above its parent's.
*/
#ifndef VML_POLICY_PAIRHEAP_H
#define VML_POLICY_PAIRHEAP_H

#include <stdint.h>

#define PH_NIL UINT32_MAX

struct ph_node {
    uint32_t child, next, prev;
};

/* Each returns the new root (PH_NIL: an empty heap). */
uint32_t ph_meld(struct ph_node *t, uint32_t a, uint32_t b);
uint32_t ph_insert(struct ph_node *t, uint32_t root, uint32_t slot);   /* slot in no heap */
uint32_t ph_remove(struct ph_node *t, uint32_t root, uint32_t slot);   /* slot in this heap */

#endif
