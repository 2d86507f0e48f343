/*
** pairheap.c -- pairing heaps of slots (invariants PH1-PH2 in pairheap.h).
*/
#include "pairheap.h"

/* Two roots (or PH_NIL) become one heap: the higher slot becomes the
** first child of the lower. */
uint32_t ph_meld(struct ph_node *t, uint32_t a, uint32_t b)
{
    uint32_t top, sub;

    if (a == PH_NIL)
        return b;
    if (b == PH_NIL)
        return a;
    top = a < b ? a : b;
    sub = a < b ? b : a;
    t[sub].prev = top;
    t[sub].next = t[top].child;
    if (t[top].child != PH_NIL)
        t[t[top].child].prev = sub;
    t[top].child = sub;
    return top;
}

uint32_t ph_insert(struct ph_node *t, uint32_t root, uint32_t slot)
{
    t[slot].child = t[slot].next = t[slot].prev = PH_NIL;
    return ph_meld(t, root, slot);
}

/* The siblings from `first` on become one heap: melded in pairs left to
** right, then the pairs right to left (the two-pass rule whose amortized
** bound is O(log n)). */
static uint32_t ph_merge_pairs(struct ph_node *t, uint32_t first)
{
    uint32_t pairs = PH_NIL, root = PH_NIL;

    while (first != PH_NIL) {
        uint32_t a = first, b = t[a].next, m;
        first = b != PH_NIL ? t[b].next : PH_NIL;
        t[a].prev = t[a].next = PH_NIL;
        if (b != PH_NIL)
            t[b].prev = t[b].next = PH_NIL;
        m = ph_meld(t, a, b);
        t[m].next = pairs;            /* a stack: the rightmost pair on top */
        pairs = m;
    }
    while (pairs != PH_NIL) {
        uint32_t next = t[pairs].next;
        t[pairs].next = PH_NIL;
        root = ph_meld(t, root, pairs);
        pairs = next;
    }
    return root;
}

uint32_t ph_remove(struct ph_node *t, uint32_t root, uint32_t slot)
{
    uint32_t sub = ph_merge_pairs(t, t[slot].child);

    if (slot != root) {
        uint32_t p = t[slot].prev;
        if (t[p].child == slot)
            t[p].child = t[slot].next;
        else
            t[p].next = t[slot].next;
        if (t[slot].next != PH_NIL)
            t[t[slot].next].prev = p;
        sub = ph_meld(t, root, sub);
    }
    t[slot].child = t[slot].next = t[slot].prev = PH_NIL;
    return sub;
}
