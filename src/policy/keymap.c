/*
** keymap.c -- the hash map of keymap.h (invariants K1-K2).
*/
#include <stdlib.h>

#include "keymap.h"

static uint64_t km_hash(uint64_t x)   /* splitmix64's finalizer */
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ull;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

int km_init(struct keymap *m, uint64_t max_keys)
{
    size_t size = 16;

    m->e = NULL;
    m->n = 0;
    while ((uint64_t)size / 2 <= max_keys) {   /* K1 */
        if (size > SIZE_MAX / 4 / sizeof m->e[0])
            return -1;
        size *= 2;
    }
    m->e = calloc(size, sizeof m->e[0]);
    m->mask = size - 1;
    return m->e != NULL ? 0 : -1;
}

void km_fini(struct keymap *m)
{
    free(m->e);
    m->e = NULL;
}

/* The entry of key, or the empty entry where it would go. */
static struct km_entry *km_slot(const struct keymap *m, uint64_t key)
{
    size_t i = (size_t)km_hash(key) & m->mask;

    while (m->e[i].val1 != 0 && m->e[i].key != key)
        i = (i + 1) & m->mask;
    return &m->e[i];
}

uint64_t km_get(const struct keymap *m, uint64_t key)
{
    const struct km_entry *e = km_slot(m, key);

    return e->val1 != 0 ? e->val1 - 1 : KM_NONE;
}

void km_put(struct keymap *m, uint64_t key, uint64_t val)
{
    struct km_entry *e = km_slot(m, key);

    e->key = key;
    e->val1 = val + 1;
    m->n++;
}

/* Doubles the entries (K1 then holds for one key more): 0, or -1 when
** out of memory (the map unchanged). */
static int km_grow(struct keymap *m)
{
    struct keymap old = *m;

    if (km_init(m, old.mask) != 0) {
        *m = old;
        return -1;
    }
    for (size_t i = 0; i <= old.mask; i++)
        if (old.e[i].val1 != 0) {
            *km_slot(m, old.e[i].key) = old.e[i];
            m->n++;
        }
    km_fini(&old);
    return 0;
}

int km_set(struct keymap *m, uint64_t key, uint64_t val)
{
    struct km_entry *e = km_slot(m, key);

    if (e->val1 == 0) {
        if (2 * (m->n + 1) >= m->mask + 1) {   /* K1 */
            if (km_grow(m) != 0)
                return -1;
            e = km_slot(m, key);
        }
        m->n++;
    }
    e->key = key;
    e->val1 = val + 1;
    return 0;
}

/* Removes key and shifts back the entries of its probe run (K2). */
void km_del(struct keymap *m, uint64_t key)
{
    size_t i = (size_t)(km_slot(m, key) - m->e), j = i;

    for (;;) {
        size_t home;
        j = (j + 1) & m->mask;
        if (m->e[j].val1 == 0)
            break;
        home = (size_t)km_hash(m->e[j].key) & m->mask;
        /* e[j] stays when its home lies cyclically in (i, j]. */
        if (i <= j ? (i < home && home <= j) : (i < home || home <= j))
            continue;
        m->e[i] = m->e[j];
        i = j;
    }
    m->e[i].val1 = 0;
    m->n--;
}
