/*
** intern.c -- the page map: (pid, page) -> a dense id, given in order of
** first use, so the engines index plain arrays by id.  Open addressing
** with linear probing over 16-byte entries, at most half full; the last
** lookup is remembered, since consecutive accesses usually touch one page.
** Pages are never removed.
**
** INVARIANTS:
**   IM1 Ids 0..n-1 are given, each to exactly one (pid, page).
**   IM2 At most half of the entries are used (mask + 1 >= 2 n).
*/
#include <stdio.h>
#include <stdlib.h>

#include "trace.h"

#define IMAP_MIN 1024

static inline uint64_t imap_hash(uint32_t pid, uint64_t page)
{
    uint64_t x = page + (uint64_t)pid * 0x9e3779b97f4a7c15ull;   /* splitmix64 */

    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ull;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

int imap_init(struct imap *m)
{
    m->e = calloc(IMAP_MIN, sizeof m->e[0]);
    m->mask = IMAP_MIN - 1;
    m->n = 0;
    m->last_id = UINT32_MAX;
    m->last_page = 0;
    m->last_pid = 0;
    return m->e != NULL ? 0 : -1;
}

void imap_free(struct imap *m)
{
    free(m->e);
    m->e = NULL;
    m->n = 0;
}

static int imap_grow(struct imap *m)
{
    size_t size = 2 * (m->mask + 1);
    struct imap_entry *e = calloc(size, sizeof *e);

    if (e == NULL)
        return -1;
    for (size_t i = 0; i <= m->mask; i++) {
        size_t j;
        if (m->e[i].id1 == 0)
            continue;
        j = (size_t)imap_hash(m->e[i].pid, m->e[i].page) & (size - 1);
        while (e[j].id1 != 0)
            j = (j + 1) & (size - 1);
        e[j] = m->e[i];
    }
    free(m->e);
    m->e = e;
    m->mask = size - 1;
    return 0;
}

int imap_id(struct imap *m, uint32_t pid, uint64_t page, uint32_t *id, int *is_new)
{
    size_t i;

    *is_new = 0;
    if (m->last_id != UINT32_MAX && page == m->last_page && pid == m->last_pid) {
        *id = m->last_id;
        return 0;
    }
    i = (size_t)imap_hash(pid, page) & m->mask;
    while (m->e[i].id1 != 0) {
        if (m->e[i].page == page && m->e[i].pid == pid) {
            *id = m->e[i].id1 - 1;
            goto found;
        }
        i = (i + 1) & m->mask;
    }
    if (m->n >= VMT_MAX_IDS)
        return -1;
    if (2 * ((size_t)m->n + 1) > m->mask + 1) {      /* IM2 */
        if (imap_grow(m) != 0)
            return -1;
        i = (size_t)imap_hash(pid, page) & m->mask;
        while (m->e[i].id1 != 0)
            i = (i + 1) & m->mask;
    }
    m->e[i].page = page;
    m->e[i].pid = pid;
    m->e[i].id1 = m->n + 1;
    *id = m->n++;
    *is_new = 1;
found:
    m->last_page = page;
    m->last_pid = pid;
    m->last_id = *id;
    return 0;
}

int imap_check(const struct imap *m, char *err, size_t size)
{
    uint8_t *seen = calloc((size_t)m->n + 1, 1);
    uint32_t used = 0;

    if (seen == NULL) {
        snprintf(err, size, "out of memory");
        return -1;
    }
    for (size_t i = 0; i <= m->mask; i++) {
        if (m->e[i].id1 == 0)
            continue;
        used++;
        if (m->e[i].id1 > m->n || seen[m->e[i].id1 - 1]++) {
            snprintf(err, size, "IM1: id %u given twice or out of 0..%u", m->e[i].id1 - 1, m->n);
            free(seen);
            return -1;
        }
    }
    free(seen);
    if (used != m->n) {
        snprintf(err, size, "IM1: %u entries hold %u ids", used, m->n);
        return -1;
    }
    if (2 * (size_t)m->n > m->mask + 1) {
        snprintf(err, size, "IM2: %u ids in %zu entries", m->n, m->mask + 1);
        return -1;
    }
    return 0;
}
