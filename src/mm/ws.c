/*
** ws.c -- working-set lists: slots holding a page each, or free and
** chained.  A private page's frame names its slot (its PFN entry's flink,
** unused while the frame is active: Windows' MMPFN.WsIndex); a shared
** page's slot is found by a hash from its address, as Windows finds a
** shared page's WSLE (MiLocateWsle), since its frame may be in many
** working sets at different slots.
**
** INVARIANTS (checked by ws_check(); WS3 with the page tables, rmap.c):
**   WS1  A valid slot of a private frame is named by the frame's flink; a
**        valid slot of a shared (prototype) frame is in the hash once;
**        every hash entry names a valid slot of a shared frame.
**   WS2  n_valid counts the valid slots, and the free chain holds every
**        other slot below size.
**   WS3  Each valid user PTE of a process -- but for the shared zero
**        page's -- has one entry, holding its frame.
**
** TRANSITIONS:
**   page mapped valid  -> in the working set    ws_insert()
**   in the working set -> out                   ws_remove_slot()
*/
#include <stdio.h>
#include <stdlib.h>
#include "machine.h"

static inline uint32_t hash_of(vml_va va)
{
    uint64_t h = (va >> 12) * UINT64_C(0x9E3779B97F4A7C15);
    return (uint32_t)(h >> 32);
}

static void hash_put(struct wsl *ws, vml_va va, uint32_t slot)
{
    uint32_t i = hash_of(va) & ws->hash_mask;
    while (ws->hash[i] != 0)
        i = (i + 1) & ws->hash_mask;
    ws->hash[i] = slot + 1;
}

/* Grows the hash to hold twice the shared entries it may get, and
** rebuilds it. */
static vml_status grow_hash(struct vml_proc *p, uint64_t shared)
{
    struct wsl *ws = &p->ws;
    uint64_t hsize = 16;
    while (hsize < 2 * shared)
        hsize *= 2;
    if (ws->hash && hsize <= (uint64_t)ws->hash_mask + 1)
        return VML_OK;
    if (hsize > UINT32_MAX)
        return VML_E_NOMEM;
    uint32_t *hash = mm_calloc(p->m, (size_t)hsize, sizeof *hash);
    if (hash == NULL)
        return VML_E_NOMEM;
    free(ws->hash);
    ws->hash = hash;
    ws->hash_mask = (uint32_t)(hsize - 1);
    for (uint32_t s = 0; s < ws->size; s++)
        if (ws->e[s].va != 0 && pfn_is_proto(p->m, ws->e[s].pfn))
            hash_put(ws, ws->e[s].va, s);
    return VML_OK;
}

static vml_status grow_slots(struct vml_proc *p, uint32_t cap)
{
    struct wsl *ws = &p->ws;
    struct wsle *e = mm_realloc(p->m, ws->e, (size_t)cap * sizeof *e);
    if (e == NULL)
        return VML_E_NOMEM;
    ws->e = e;
    ws->cap = cap;
    return VML_OK;
}

vml_status ws_reserve_n(struct vml_proc *p, uint64_t n)
{
    struct wsl *ws = &p->ws;
    uint64_t want = ws->n_valid + n;
    vml_status st = grow_hash(p, ws->n_hashed + n);
    if (st != VML_OK || want <= ws->cap)
        return st;
    if (want >= UINT32_MAX / 2)
        return VML_E_NOMEM;
    uint32_t cap = ws->cap ? ws->cap : 64;
    while (cap < want)
        cap *= 2;
    return grow_slots(p, cap);
}

vml_status ws_reserve_shared(struct vml_proc *p, uint64_t n)
{
    return grow_hash(p, p->ws.n_hashed + n);
}

vml_status ws_reserve(struct vml_proc *p)
{
    struct wsl *ws = &p->ws;
    if (ws->hash == NULL || 2 * (ws->n_hashed + 1) > (uint64_t)ws->hash_mask + 1) {
        vml_status st = grow_hash(p, ws->n_hashed + 1);
        if (st != VML_OK)
            return st;
    }
    if (ws->free_head != WSL_NIL || ws->size < ws->cap)
        return VML_OK;
    uint32_t cap = ws->cap ? ws->cap * 2 : 64;
    if (cap <= ws->cap)
        return VML_E_NOMEM;
    return grow_slots(p, cap);
}

void ws_insert(struct vml_proc *p, vml_va va, vml_pfn pfn, unsigned mmprot)
{
    struct wsl *ws = &p->ws;
    uint32_t slot;
    if (ws->free_head != WSL_NIL) {
        slot = ws->free_head;
        ws->free_head = ws->e[slot].pfn;
    } else if (ws->size < ws->cap) {
        slot = ws->size++;
    } else {
        mm_corrupt(p->m, "WS2: no working-set slot reserved for %#llx", (unsigned long long)va);
        return;
    }
    va &= ~(vml_va)0xFFF;
    ws->e[slot] = (struct wsle){ .va = va, .pfn = (uint32_t)pfn, .age = 0,
                                 .prot = (uint8_t)mmprot };
    if (pfn_is_proto(p->m, pfn)) {
        hash_put(ws, va, slot);
        ws->n_hashed++;
    } else {
        p->m->pfn[pfn].flink = slot;
    }
    ws->n_valid++;
}

uint32_t ws_find(const struct vml_proc *p, vml_va va, vml_pfn pfn)
{
    const struct wsl *ws = &p->ws;
    va &= ~(vml_va)0xFFF;
    if (!pfn_is_proto(p->m, pfn)) {
        uint32_t slot = p->m->pfn[pfn].flink;
        return slot < ws->size && ws->e[slot].va == va ? slot : WSL_NIL;
    }
    if (ws->hash == NULL)
        return WSL_NIL;
    for (uint32_t i = hash_of(va) & ws->hash_mask; ws->hash[i] != 0; i = (i + 1) & ws->hash_mask)
        if (ws->e[ws->hash[i] - 1].va == va)
            return ws->hash[i] - 1;
    return WSL_NIL;
}

/* Removes va's hash entry, shifting later entries of its probe run back
** so that lookups never cross a hole (Knuth's algorithm R, TAOCP 6.4). */
static void hash_del(struct wsl *ws, vml_va va)
{
    uint32_t i = hash_of(va) & ws->hash_mask;
    while (ws->e[ws->hash[i] - 1].va != va)
        i = (i + 1) & ws->hash_mask;
    for (uint32_t j = i;;) {
        ws->hash[i] = 0;
        for (;;) {
            j = (j + 1) & ws->hash_mask;
            if (ws->hash[j] == 0)
                return;
            uint32_t home = hash_of(ws->e[ws->hash[j] - 1].va) & ws->hash_mask;
            /* j's entry may move to i when its home is not cyclically in (i, j]. */
            if (i <= j ? (home <= i || home > j) : (home <= i && home > j))
                break;
        }
        ws->hash[i] = ws->hash[j];
        i = j;
    }
}

void ws_remove_slot(struct vml_proc *p, uint32_t slot)
{
    struct wsl *ws = &p->ws;
    vml_pfn pfn = ws->e[slot].pfn;
    if (pfn_is_proto(p->m, pfn)) {
        hash_del(ws, ws->e[slot].va);
        ws->n_hashed--;
    } else {
        p->m->pfn[pfn].flink = PFN_NIL;
    }
    ws->e[slot].va = 0;
    ws->e[slot].pfn = ws->free_head;
    ws->free_head = slot;
    ws->n_valid--;
}

void ws_to_hash(struct vml_proc *p, uint32_t slot)
{
    hash_put(&p->ws, p->ws.e[slot].va, slot);
    p->ws.n_hashed++;
}

void ws_to_frame(struct vml_proc *p, uint32_t slot)
{
    hash_del(&p->ws, p->ws.e[slot].va);
    p->ws.n_hashed--;
    p->m->pfn[p->ws.e[slot].pfn].flink = slot;
}

void ws_fini(struct vml_proc *p)
{
    free(p->ws.e);
    free(p->ws.hash);
    p->ws.e = NULL;
    p->ws.hash = NULL;
}

int ws_check(const struct vml_proc *p, char *msg, size_t size)
{
    const struct wsl *ws = &p->ws;
    uint64_t valid = 0, free_slots = 0, hashed = 0, shared = 0;
    for (uint32_t s = 0; s < ws->size; s++) {
        if (ws->e[s].va == 0)
            continue;
        valid++;
        shared += pfn_is_proto(p->m, ws->e[s].pfn);
        if (ws_find(p, ws->e[s].va, ws->e[s].pfn) != s) {
            snprintf(msg, size, "WS1: pid %u slot %#x holds %#llx (frame %#x), which is found at %#x",
                     p->pid, s, (unsigned long long)ws->e[s].va, ws->e[s].pfn,
                     ws_find(p, ws->e[s].va, ws->e[s].pfn));
            return -1;
        }
    }
    for (uint32_t i = 0; ws->hash && i <= ws->hash_mask; i++)
        if (ws->hash[i] != 0) {
            hashed++;
            if (ws->hash[i] - 1 >= ws->size || ws->e[ws->hash[i] - 1].va == 0 ||
                !pfn_is_proto(p->m, ws->e[ws->hash[i] - 1].pfn)) {
                snprintf(msg, size, "WS1: pid %u hash entry %u names slot %#x, which holds no page",
                         p->pid, i, ws->hash[i] - 1);
                return -1;
            }
        }
    for (uint32_t s = ws->free_head; s != WSL_NIL && free_slots <= ws->size; s = ws->e[s].pfn) {
        if (s >= ws->size || ws->e[s].va != 0) {
            snprintf(msg, size, "WS2: pid %u free working-set slot %#x is in use or out of range",
                     p->pid, s);
            return -1;
        }
        free_slots++;
    }
    if (valid != ws->n_valid || valid + free_slots != ws->size || hashed != shared ||
        shared != ws->n_hashed || (ws->hash && 2 * ws->n_hashed > (uint64_t)ws->hash_mask + 1)) {
        snprintf(msg, size, "WS2: pid %u working set: %llu valid + %llu free slots of %u, "
                 "n_valid %llu, %llu hashed", p->pid, (unsigned long long)valid,
                 (unsigned long long)free_slots, ws->size, (unsigned long long)ws->n_valid,
                 (unsigned long long)hashed);
        return -1;
    }
    return 0;
}
