/*
** tlb.c -- translation lookaside buffers: set-associative arrays with LRU
** replacement, any number of sets (not only powers of two), PCID tags,
** global entries, an optional second level.
**
** INVARIANTS (checked by tlb_check()):
**   TLB1  An array holds n_sets * ways slots; every slot is empty or a key
**         whose set index (of its page number) is the slot's set.
**   TLB2  No two valid slots of one array hold the same key.
**   TLB3  The large-page array holds no 4 KiB entry, and L1 no large one.
**   TLB4  n_valid and n_size[] count an array's valid slots (of each size
**         code), so lookups and invlpg probe only the sizes that exist.
**   TLB5  A slot's LRU stamp is 0 exactly when the slot is empty, else in
**         1..clock.  A fill takes the slot with the same key, else the
**         set's first slot with the lowest stamp: an empty slot before any
**         valid one, else the least recently used.
**   TLB6  A global entry is tagged PCID 0 (it matches every PCID), and a
**         key's size code is its value's.
**
** TRANSITIONS:
**   empty -> valid       tlb_fill()        (after a successful walk)
**   valid -> empty       tlb_invlpg(), tlb_flush(), tlb_drop()
**   valid -> valid'      tlb_fill() evicting the set's LRU slot
*/
#include <stdio.h>
#include <stdlib.h>
#include "tlb.h"

static void array_fini(struct tlb_array *a)
{
    free(a->e);
    free(a->sig);
    a->e = NULL;
    a->sig = NULL;
}

static vml_status array_init(struct tlb_array *a, unsigned entries, unsigned ways)
{
    *a = (struct tlb_array){ .n_sets = 0 };
    if (entries == 0)
        return VML_OK;
    if (ways == 0 || ways > entries || entries % ways != 0)
        return VML_E_INVALID;
    a->ways = ways;
    a->n_sets = entries / ways;
    a->pow2 = (a->n_sets & (a->n_sets - 1)) == 0;
    a->fastmod = UINT64_MAX / a->n_sets + 1;
    a->e = malloc(sizeof *a->e * entries);
    if (TLB_SIGS)
        a->sig = calloc(entries, sizeof *a->sig);
    if (a->e == NULL || (TLB_SIGS && a->sig == NULL)) {
        array_fini(a);
        return VML_E_NOMEM;
    }
    for (unsigned i = 0; i < entries; i++)
        a->e[i] = (struct tlb_ent){ .key = TLB_EMPTY, .stamp = 0 };   /* TLB5 */
    return VML_OK;
}

vml_status tlb_init(struct tlb *t, unsigned entries, unsigned ways,
                    unsigned l2_entries, unsigned l2_ways)
{
    vml_status st;
    *t = (struct tlb){ .clock = 0 };
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

/* Slot i of a becomes empty (TLB4, TLB5). */
static inline void slot_empty(struct tlb_array *a, size_t i)
{
    uint64_t key = a->e[i].key;
    if (key == TLB_EMPTY)
        return;
    a->n_valid--;
    a->n_size[tlb_key_size(key)]--;
    a->e[i].key = TLB_EMPTY;
    a->e[i].stamp = 0;
}

/* The slot of a's set for pn that translates (pn, sz) for pcid, or a
** global one; NULL if none.  A hit is stamped as the most recent use. */
static struct tlb_ent *array_lookup(struct tlb_array *a, uint64_t *clock,
                                    uint64_t pn, enum tlb_size sz, unsigned pcid)
{
    struct tlb_ent *e = a->e + (size_t)tlb_set_of(a, pn) * a->ways, *end = e + a->ways;
    const uint64_t key = tlb_key(pn, sz, pcid), gkey = tlb_key(pn, sz, 0);
    for (; e < end; e++)
        if (e->key == key || (e->key == gkey && (e->val & TLB_G))) {
            e->stamp = ++*clock;
            return e;
        }
    return NULL;
}

/* Puts (key, val) in pn's set of a (TLB5 says which slot) in one pass over
** the ways; returns the slot. */
static inline __attribute__((always_inline)) struct tlb_ent *
array_insert(struct tlb_array *a, uint64_t *clock, uint64_t pn, uint64_t key, uint64_t val,
             uint64_t sig)
{
    struct tlb_ent *const set = a->e + (size_t)tlb_set_of(a, pn) * a->ways;
    struct tlb_ent *const end = set + a->ways, *e, *victim = set;
    uint64_t oldest = set->stamp;
    for (e = set; e < end; e++) {
        if (e->key == key)
            break;                /* the same translation: replace it (TLB2) */
        if (e->stamp < oldest) {
            oldest = e->stamp;
            victim = e;
        }
    }
    if (e == end) {
        e = victim;
        if (e->key == TLB_EMPTY)
            a->n_valid++;
        else
            a->n_size[tlb_key_size(e->key)]--;
        a->n_size[tlb_key_size(key)]++;
        e->key = key;
    }
    e->val = val;
    e->stamp = ++*clock;
    if (TLB_SIGS && a->sig)
        a->sig[e - a->e] = sig;
    return e;
}

struct tlb_ent *tlb_lookup_slow(struct tlb *t, vml_va va, unsigned pcid, int *l2_hit)
{
    static const enum tlb_size large[] = { TLB_2M, TLB_4M, TLB_1G };
    struct tlb_ent *e;
    *l2_hit = 0;
    for (unsigned i = 0; i < 3 && t->l1_large.n_valid; i++) {
        enum tlb_size sz = large[i];
        if (t->l1_large.n_size[sz] &&
            (e = array_lookup(&t->l1_large, &t->clock, va >> tlb_size_shift[sz], sz, pcid)))
            return e;
    }
    for (unsigned s = TLB_4K; s < TLB_N_SIZES && t->l2.n_valid; s++) {
        enum tlb_size sz = (enum tlb_size)s;
        uint64_t pn = va >> tlb_size_shift[sz];
        if (t->l2.n_size[sz] && (e = array_lookup(&t->l2, &t->clock, pn, sz, pcid))) {
            struct tlb_array *l1 = sz == TLB_4K ? &t->l1 : &t->l1_large;
            *l2_hit = 1;
            return array_insert(l1, &t->clock, pn, e->key, e->val, tlb_sig_of(&t->l2, e));
        }
    }
    return NULL;
}

/* The one fill: tlb_fill() and tlb_fill_sig() inline it. */
static inline __attribute__((always_inline)) void
fill(struct tlb *t, vml_va va, unsigned pcid, uint64_t val, uint64_t sig)
{
    enum tlb_size sz = tlb_val_size(val);
    uint64_t pn = va >> tlb_size_shift[sz];
    uint64_t key = tlb_key(pn, sz, (val & TLB_G) ? 0 : pcid);   /* TLB6 */
    array_insert(sz == TLB_4K ? &t->l1 : &t->l1_large, &t->clock, pn, key, val, sig);
    if (t->l2.n_sets)
        array_insert(&t->l2, &t->clock, pn, key, val, sig);
}

void tlb_fill(struct tlb *t, vml_va va, unsigned pcid, uint64_t val)
{
    fill(t, va, pcid, val, 0);
}

void tlb_fill_sig(struct tlb *t, vml_va va, unsigned pcid, uint64_t val, uint64_t sig)
{
    fill(t, va, pcid, val, sig);
}

void tlb_drop(struct tlb *t, struct tlb_ent *e)
{
    struct tlb_array *arrays[3] = { &t->l1, &t->l1_large, &t->l2 };
    for (unsigned k = 0; k < 3; k++) {
        struct tlb_array *a = arrays[k];
        uintptr_t first = (uintptr_t)a->e, at = (uintptr_t)e;
        if (a->e != NULL && at >= first &&
            at < first + (uintptr_t)a->n_sets * a->ways * sizeof *e) {
            slot_empty(a, (size_t)(e - a->e));
            return;
        }
    }
}

/* INVLPG in one array: empties the slots of pn's set that translate
** (pn, sz) for pcid, or globally; returns how many. */
static unsigned set_drop(struct tlb_array *a, uint64_t pn, enum tlb_size sz, unsigned pcid)
{
    const size_t base = (size_t)tlb_set_of(a, pn) * a->ways;
    const uint64_t key = tlb_key(pn, sz, pcid), gkey = tlb_key(pn, sz, 0);
    unsigned n = 0;
    for (size_t i = base; i < base + a->ways; i++) {
        const struct tlb_ent *e = &a->e[i];
        if (e->key == key || (e->key == gkey && (e->val & TLB_G))) {
            slot_empty(a, i);
            n++;
        }
    }
    return n;
}

/* Only va's set is probed for each size an array holds (TLB1, TLB4): an
** invlpg costs a few compares whatever the size of the TLB. */
unsigned tlb_invlpg(struct tlb *t, vml_va va, unsigned pcid)
{
    struct tlb_array *arrays[3] = { &t->l1, &t->l1_large, &t->l2 };
    unsigned n = 0;
    for (unsigned k = 0; k < 3; k++) {
        struct tlb_array *a = arrays[k];
        for (unsigned s = TLB_4K; s < TLB_N_SIZES && a->n_valid; s++)
            if (a->n_size[s])
                n += set_drop(a, va >> tlb_size_shift[s], (enum tlb_size)s, pcid);
    }
    return n;
}

enum flush_mode { FLUSH_PCID, FLUSH_NONGLOBAL, FLUSH_ALL };

/* Empties the slots of a that the flush drops; returns how many. */
static unsigned array_flush(struct tlb_array *a, unsigned pcid, enum flush_mode mode)
{
    unsigned n = 0;
    const size_t total = (size_t)a->n_sets * a->ways;
    for (size_t i = 0; i < total && a->n_valid; i++) {
        const struct tlb_ent *e = &a->e[i];
        if (e->key == TLB_EMPTY)
            continue;
        int global = (e->val & TLB_G) != 0;
        if (mode == FLUSH_ALL || (!global && (mode == FLUSH_NONGLOBAL ||
                                              (unsigned)(e->key & 0xFFF) == pcid))) {
            slot_empty(a, i);
            n++;
        }
    }
    return n;
}

unsigned tlb_flush(struct tlb *t, unsigned pcid, int all_pcids, int with_global)
{
    enum flush_mode mode = with_global ? FLUSH_ALL : all_pcids ? FLUSH_NONGLOBAL : FLUSH_PCID;
    return array_flush(&t->l1, pcid, mode) + array_flush(&t->l1_large, pcid, mode) +
           array_flush(&t->l2, pcid, mode);
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

/* TLB1-TLB3, TLB5 and TLB6 for one slot. */
static int slot_check(const struct tlb_array *a, const char *name, int large, uint64_t clock,
                      unsigned s, unsigned w, char *msg, size_t size)
{
    const struct tlb_ent *e = &a->e[(size_t)s * a->ways + w];
    if (e->key == TLB_EMPTY) {
        if (e->stamp != 0) {
            snprintf(msg, size, "TLB5: %s set %u way %u is empty with LRU stamp %llu",
                     name, s, w, (unsigned long long)e->stamp);
            return -1;
        }
        return 0;
    }
    unsigned sz = tlb_key_size(e->key);
    if (tlb_set_of(a, e->key >> 16) != s) {
        snprintf(msg, size, "TLB1: %s set %u way %u holds a key of set %u",
                 name, s, w, tlb_set_of(a, e->key >> 16));
        return -1;
    }
    if (large >= 0 && (sz != 0) != large) {
        snprintf(msg, size, "TLB3: %s set %u way %u holds size code %u", name, s, w, sz);
        return -1;
    }
    if (e->stamp == 0 || e->stamp > clock) {
        snprintf(msg, size, "TLB5: %s set %u way %u is valid with LRU stamp %llu (clock %llu)",
                 name, s, w, (unsigned long long)e->stamp, (unsigned long long)clock);
        return -1;
    }
    if (((e->val & TLB_G) && (e->key & 0xFFF) != 0) || tlb_val_size(e->val) != sz) {
        snprintf(msg, size, "TLB6: %s set %u way %u: key %#llx does not fit value %#llx",
                 name, s, w, (unsigned long long)e->key, (unsigned long long)e->val);
        return -1;
    }
    for (unsigned w2 = w + 1; w2 < a->ways; w2++)
        if (a->e[(size_t)s * a->ways + w2].key == e->key) {
            snprintf(msg, size, "TLB2: %s set %u holds key %#llx twice",
                     name, s, (unsigned long long)e->key);
            return -1;
        }
    return 0;
}

static int array_check(const struct tlb_array *a, const char *name, int large, uint64_t clock,
                       char *msg, size_t size)
{
    unsigned n_size[TLB_N_SIZES] = { 0 }, n_valid = 0;
    for (unsigned s = 0; s < a->n_sets; s++)
        for (unsigned w = 0; w < a->ways; w++) {
            uint64_t key = a->e[(size_t)s * a->ways + w].key;
            if (slot_check(a, name, large, clock, s, w, msg, size))
                return -1;
            if (key != TLB_EMPTY) {
                n_valid++;
                n_size[tlb_key_size(key)]++;
            }
        }
    for (unsigned sz = 0; sz < TLB_N_SIZES; sz++)
        if (n_size[sz] != a->n_size[sz] || n_valid != a->n_valid) {
            snprintf(msg, size, "TLB4: %s counts %u valid slots, %u of size code %u; "
                     "it holds %u, %u", name, a->n_valid, a->n_size[sz], sz, n_valid, n_size[sz]);
            return -1;
        }
    return 0;
}

int tlb_check(const struct tlb *t, char *msg, size_t size)
{
    if (array_check(&t->l1, "L1", 0, t->clock, msg, size) ||
        array_check(&t->l1_large, "L1-large", 1, t->clock, msg, size) ||
        array_check(&t->l2, "L2", -1, t->clock, msg, size))
        return -1;
    return 0;
}
