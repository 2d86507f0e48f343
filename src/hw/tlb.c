/*
** tlb.c -- translation lookaside buffers: set-associative arrays with LRU
** replacement, any number of sets (not only powers of two), PCID tags,
** global entries, an optional second level.
**
** INVARIANTS (checked by tlb_check()):
**   T1  An array holds n_sets * ways slots; every slot is empty or a key
**       whose set index (of its page number) is the slot's set.
**   T2  No two valid slots of one array hold the same key.
**   T3  The large-page array holds no 4 KiB entry, and L1 no large one.
**
** TRANSITIONS:
**   empty -> valid       tlb_fill()        (after a successful walk)
**   valid -> empty       tlb_invlpg(), tlb_flush()
**   valid -> valid'      tlb_fill() evicting the set's LRU slot
*/
#include <stdio.h>
#include <stdlib.h>
#include "tlb.h"

static vml_status array_init(struct tlb_array *a, unsigned entries, unsigned ways)
{
    a->e = NULL;
    a->stamp = NULL;
    a->n_sets = 0;
    a->ways = 0;
    if (entries == 0)
        return VML_OK;
    if (ways == 0 || ways > entries || entries % ways != 0)
        return VML_E_INVALID;
    a->ways = ways;
    a->n_sets = entries / ways;
    a->pow2 = (a->n_sets & (a->n_sets - 1)) == 0;
    a->fastmod = UINT64_MAX / a->n_sets + 1;
    a->e = malloc(sizeof *a->e * entries);
    a->stamp = calloc(entries, sizeof *a->stamp);
    if (a->e == NULL || a->stamp == NULL) {
        free(a->e);
        free(a->stamp);
        a->e = NULL;
        a->stamp = NULL;
        return VML_E_NOMEM;
    }
    for (unsigned i = 0; i < entries; i++)
        a->e[i].key = TLB_EMPTY;
    return VML_OK;
}

static void array_fini(struct tlb_array *a)
{
    free(a->e);
    free(a->stamp);
    a->e = NULL;
    a->stamp = NULL;
}

vml_status tlb_init(struct tlb *t, unsigned entries, unsigned ways,
                    unsigned l2_entries, unsigned l2_ways)
{
    vml_status st;
    t->clock = 0;
    t->has_large = 0;
    t->l1.e = t->l1_large.e = t->l2.e = NULL;
    t->l1.stamp = t->l1_large.stamp = t->l2.stamp = NULL;
    if (entries == 0 || entries > (1u << 20) || (l2_entries > (1u << 22)))
        return VML_E_RANGE;
    if ((st = array_init(&t->l1, entries, ways)) != VML_OK)
        return st;
    /* Large pages: 32 entries, 4-way, as Skylake's L1 DTLB for 2M/4M. */
    if ((st = array_init(&t->l1_large, 32, 4)) != VML_OK ||
        (st = array_init(&t->l2, l2_entries, l2_entries ? l2_ways : 0)) != VML_OK) {
        tlb_fini(t);
        return st;
    }
    return VML_OK;
}

void tlb_fini(struct tlb *t)
{
    array_fini(&t->l1);
    array_fini(&t->l1_large);
    array_fini(&t->l2);
}

static struct tlb_ent *array_lookup(struct tlb_array *a, uint32_t *clock,
                                    uint64_t pn, enum tlb_size sz, unsigned pcid)
{
    if (a->n_sets == 0)
        return NULL;
    uint32_t base = tlb_set_of(a, pn) * a->ways;
    uint64_t key = tlb_key(pn, sz, pcid), gkey = tlb_key(pn, sz, 0);
    for (unsigned w = 0; w < a->ways; w++) {
        struct tlb_ent *e = &a->e[base + w];
        if (e->key == key || (e->key == gkey && (e->val & TLB_G))) {
            a->stamp[base + w] = ++*clock;
            return e;
        }
    }
    return NULL;
}

static void array_insert(struct tlb_array *a, uint32_t *clock, uint64_t pn,
                         uint64_t key, uint64_t val)
{
    if (a->n_sets == 0)
        return;
    uint32_t base = tlb_set_of(a, pn) * a->ways;
    unsigned victim = a->ways, empty = a->ways, lru = 0;
    for (unsigned w = 0; w < a->ways; w++) {
        uint64_t k = a->e[base + w].key;
        if (k == key) {
            victim = w;           /* the same translation: replace it (T2) */
            break;
        }
        if (k == TLB_EMPTY && empty == a->ways)
            empty = w;
        if (a->stamp[base + w] < a->stamp[base + lru])
            lru = w;
    }
    if (victim == a->ways)
        victim = empty < a->ways ? empty : lru;
    a->e[base + victim].key = key;
    a->e[base + victim].val = val;
    a->stamp[base + victim] = ++*clock;
}

struct tlb_ent *tlb_lookup_slow(struct tlb *t, vml_va va, unsigned pcid, int *l2_hit)
{
    static const enum tlb_size large[] = { TLB_2M, TLB_4M, TLB_1G };
    struct tlb_ent *e;
    *l2_hit = 0;
    for (unsigned i = 0; i < 3 && t->has_large; i++) {
        uint64_t pn = va >> tlb_size_shift[large[i]];
        if ((e = array_lookup(&t->l1_large, &t->clock, pn, large[i], pcid)) != NULL)
            return e;
    }
    if (t->l2.n_sets == 0)
        return NULL;
    for (unsigned s = TLB_4K; s <= (t->has_large ? TLB_1G : TLB_4K); s++) {
        uint64_t pn = va >> tlb_size_shift[s];
        if ((e = array_lookup(&t->l2, &t->clock, pn, (enum tlb_size)s, pcid)) != NULL) {
            uint64_t key = e->key, val = e->val;
            struct tlb_array *l1 = s == TLB_4K ? &t->l1 : &t->l1_large;
            array_insert(l1, &t->clock, pn, key, val);
            *l2_hit = 1;
            return array_lookup(l1, &t->clock, pn, (enum tlb_size)s, (unsigned)(key & 0xFFF));
        }
    }
    return NULL;
}

void tlb_fill(struct tlb *t, vml_va va, unsigned pcid, uint64_t val)
{
    enum tlb_size sz = tlb_val_size(val);
    uint64_t pn = va >> tlb_size_shift[sz];
    unsigned tag = (val & TLB_G) ? 0 : pcid;
    uint64_t key = tlb_key(pn, sz, tag);
    t->has_large |= sz != TLB_4K;
    array_insert(sz == TLB_4K ? &t->l1 : &t->l1_large, &t->clock, pn, key, val);
    array_insert(&t->l2, &t->clock, pn, key, val);
}

/* Empties the slots of a that match pred; returns how many. */
static unsigned array_drop(struct tlb_array *a, vml_va va, unsigned pcid, int mode)
{
    unsigned n = 0, total = a->n_sets * a->ways;
    for (unsigned i = 0; i < total; i++) {
        struct tlb_ent *e = &a->e[i];
        if (e->key == TLB_EMPTY)
            continue;
        unsigned e_pcid = (unsigned)(e->key & 0xFFF);
        int global = (e->val & TLB_G) != 0;
        int drop;
        if (mode == 0) {          /* invlpg: va's page of any size */
            enum tlb_size sz = (enum tlb_size)((e->key >> 12) & 3);
            drop = (e->key >> 16) == (va >> tlb_size_shift[sz]) &&
                   (global || e_pcid == pcid);
        } else if (mode == 1) {   /* non-global of one pcid */
            drop = !global && e_pcid == pcid;
        } else if (mode == 2) {   /* non-global of every pcid */
            drop = !global;
        } else {                  /* everything */
            drop = 1;
        }
        if (drop) {
            e->key = TLB_EMPTY;
            n++;
        }
    }
    return n;
}

unsigned tlb_invlpg(struct tlb *t, vml_va va, unsigned pcid)
{
    /* L1 holds only 4 KiB entries: probing va's set is enough.  The large
    ** array and L2 hold several sizes in different sets: they are scanned. */
    unsigned n = 0;
    struct tlb_array *a = &t->l1;
    uint64_t vpn = va >> 12;
    uint32_t base = tlb_set_of(a, vpn) * a->ways;
    for (unsigned w = 0; w < a->ways; w++) {
        struct tlb_ent *e = &a->e[base + w];
        if (e->key != TLB_EMPTY && (e->key >> 16) == vpn &&
            ((e->val & TLB_G) || (unsigned)(e->key & 0xFFF) == pcid)) {
            e->key = TLB_EMPTY;
            n++;
        }
    }
    n += array_drop(&t->l1_large, va, pcid, 0);
    if (t->l2.n_sets)
        n += array_drop(&t->l2, va, pcid, 0);
    return n;
}

unsigned tlb_flush(struct tlb *t, unsigned pcid, int all_pcids, int with_global)
{
    int mode = with_global ? 3 : all_pcids ? 2 : 1;
    unsigned n = array_drop(&t->l1, 0, pcid, mode);
    n += array_drop(&t->l1_large, 0, pcid, mode);
    if (t->l2.n_sets)
        n += array_drop(&t->l2, 0, pcid, mode);
    return n;
}

void tlb_visit(const struct tlb *t, tlb_visit_fn fn, void *ctx)
{
    const struct tlb_array *arrays[3] = { &t->l1, &t->l1_large, &t->l2 };
    for (unsigned k = 0; k < 3; k++) {
        const struct tlb_array *a = arrays[k];
        for (unsigned s = 0; s < a->n_sets; s++)
            for (unsigned w = 0; w < a->ways; w++) {
                const struct tlb_ent *e = &a->e[s * a->ways + w];
                if (e->key != TLB_EMPTY)
                    fn(ctx, k == 2 ? 2 : 1, s, w, e);
            }
    }
}

static int array_check(const struct tlb_array *a, const char *name, int large,
                       char *msg, size_t size)
{
    for (unsigned s = 0; s < a->n_sets; s++)
        for (unsigned w = 0; w < a->ways; w++) {
            const struct tlb_ent *e = &a->e[s * a->ways + w];
            if (e->key == TLB_EMPTY)
                continue;
            unsigned sz = (unsigned)((e->key >> 12) & 3);
            if (tlb_set_of(a, e->key >> 16) != s) {
                snprintf(msg, size, "T1: %s set %u way %u holds a key of set %u",
                         name, s, w, tlb_set_of(a, e->key >> 16));
                return -1;
            }
            if (large >= 0 && (sz != 0) != large) {
                snprintf(msg, size, "T3: %s set %u way %u holds size code %u",
                         name, s, w, sz);
                return -1;
            }
            for (unsigned w2 = w + 1; w2 < a->ways; w2++)
                if (a->e[s * a->ways + w2].key == e->key) {
                    snprintf(msg, size, "T2: %s set %u holds key %#llx twice",
                             name, s, (unsigned long long)e->key);
                    return -1;
                }
        }
    return 0;
}

int tlb_check(const struct tlb *t, char *msg, size_t size)
{
    if (array_check(&t->l1, "L1", 0, msg, size) ||
        array_check(&t->l1_large, "L1-large", 1, msg, size) ||
        array_check(&t->l2, "L2", -1, msg, size))
        return -1;
    return 0;
}
