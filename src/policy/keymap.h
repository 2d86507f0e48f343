/*
** keymap.h -- a fixed-size hash map from 64-bit page keys to 32-bit
** values (a policy's entry for a page it remembers).  Open addressing,
** linear probing, backward-shift deletion (no tombstones); sized once by
** create for the most keys the policy ever holds, so no operation
** allocates.  Expected O(1) per operation.
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

#define KM_NONE UINT32_MAX

struct km_entry {
    uint64_t key;
    uint32_t val1;     /* value + 1; 0 marks an empty entry */
};

struct keymap {
    struct km_entry *e;
    size_t mask;       /* entries - 1; entries is a power of two */
    size_t n;          /* used entries (K1) */
};

int      km_init(struct keymap *m, uint64_t max_keys);   /* 0; -1: out of memory */
void     km_fini(struct keymap *m);
uint32_t km_get(const struct keymap *m, uint64_t key);           /* KM_NONE: absent */
void     km_put(struct keymap *m, uint64_t key, uint32_t val);   /* key absent, val < KM_NONE */
void     km_del(struct keymap *m, uint64_t key);                 /* key present */

#endif
