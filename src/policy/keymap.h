/*
** keymap.h -- a hash map from 64-bit page keys to 64-bit values (a
** policy's entry for a page it remembers; sim.c's slot of a resident
** page and next reference of a page).  Open addressing, linear probing,
** backward-shift deletion (no tombstones); sized once by km_init for the
** most keys its user ever holds, so no operation but km_grow allocates.
** Expected O(1) per operation.
**
** INVARIANTS:
**   K1  Fewer than half of the entries are used.
**   K2  A used entry sits at its key's home or after it in an unbroken
**       run of used entries (what lookups and deletions rely on).
*/
#ifndef VML_POLICY_KEYMAP_H
#define VML_POLICY_KEYMAP_H

#include <stddef.h>
#include <stdint.h>

#define KM_NONE UINT64_MAX

struct km_entry {
    uint64_t key;
    uint64_t val1;     /* value + 1; 0 marks an empty entry */
};

struct keymap {
    struct km_entry *e;
    size_t mask;       /* entries - 1; entries is a power of two */
    size_t n;          /* used entries (K1) */
};

int      km_init(struct keymap *m, uint64_t max_keys);   /* 0; -1: out of memory */
void     km_fini(struct keymap *m);
uint64_t km_get(const struct keymap *m, uint64_t key);           /* KM_NONE: absent */
void     km_put(struct keymap *m, uint64_t key, uint64_t val);   /* key absent, val < KM_NONE */
int      km_set(struct keymap *m, uint64_t key, uint64_t val);   /* adds or replaces, growing
                                                                    (K1): 0; -1 out of memory,
                                                                    the map unchanged */
void     km_del(struct keymap *m, uint64_t key);                 /* key present */

#endif
