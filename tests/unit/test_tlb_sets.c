/*
** test_tlb_sets.c -- the TLB's invalidations and fills beyond what test_tlb.c
** shows: invlpg probes only the sets that can hold va, for every page
** size an array holds, in L1, the large-page array and L2, with PCIDs and
** global entries; the counts that let it skip sizes (TLB4); the LRU clock
** that never wraps (TLB5).  Intel SDM Vol. 3A, 4.10.4.1: INVLPG
** invalidates the entries for the page of va of every page size, for the
** current PCID and global ones.
*/
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "vmlab.h"
#include "hw/tlb.h"

static const unsigned RWUX = TLB_W | TLB_U | TLB_X;

static void assert_tlb_ok(const struct tlb *t)
{
    char msg[200];

    if (tlb_check(t, msg, sizeof msg) != 0)
        fail_msg("tlb_check: %s", msg);
}

/* A TLB value: frame base pa, flags, size code. */
static uint64_t val(vml_pa pa, unsigned flags, enum tlb_size sz)
{
    return pa | flags | ((uint64_t)sz << TLB_SZ_SHIFT);
}

/* Valid slots of an array, counted by hand. */
static unsigned n_valid(const struct tlb_array *a)
{
    unsigned n = 0;

    for (unsigned i = 0; i < a->n_sets * a->ways; i++)
        n += a->e[i].key != TLB_EMPTY;
    return n;
}

/* Whether va (of size sz) is cached for pcid in array a. */
static int holds(const struct tlb_array *a, vml_va va, enum tlb_size sz, unsigned pcid)
{
    uint64_t pn = va >> tlb_size_shift[sz];

    for (unsigned i = 0; i < a->n_sets * a->ways; i++)
        if (a->e[i].key == tlb_key(pn, sz, pcid))
            return 1;
    return 0;
}

static struct tlb tlb;   /* freed by the teardown, even when a check fails */

static int tlb_teardown(void **state)
{
    (void)state;
    tlb_fini(&tlb);
    return 0;
}

/* ---- invlpg ---------------------------------------------------------------- */

static void invlpg_of_a_4k_page_drops_the_large_page_that_covers_it(void **state)
{
    struct tlb *t = &tlb;
    const vml_va big = UINT64_C(0x40000000);         /* a 2 MiB page */
    int l2_hit;

    (void)state;
    assert_int_equal(VML_OK, tlb_init(t, 64, 4, 0, 0));
    tlb_fill(t, big, 0, val(0x600000, RWUX, TLB_2M));
    tlb_fill(t, big + 0x1000, 0, val(0x7000, RWUX, TLB_4K));          /* inside it */
    tlb_fill(t, big + 0x200000, 0, val(0x800000, RWUX, TLB_2M));      /* the next one */
    tlb_fill(t, big + 0x201000, 0, val(0x9000, RWUX, TLB_4K));
    assert_int_equal(2, t->l1.n_valid);
    assert_int_equal(2, t->l1_large.n_valid);
    /* One page of va, two sizes: both go; the neighbours stay. */
    assert_int_equal(2, tlb_invlpg(t, big + 0x1234, 0));
    assert_null(tlb_lookup_4k(t, (big + 0x1000) >> 12, 0));
    assert_null(tlb_lookup_slow(t, big + 0x1000, 0, &l2_hit));
    assert_non_null(tlb_lookup_4k(t, (big + 0x201000) >> 12, 0));
    assert_non_null(tlb_lookup_slow(t, big + 0x200000, 0, &l2_hit));
    /* A 4 KiB page inside the 2 MiB page that was not cached: the 2 MiB
    ** entry of its page goes all the same. */
    assert_int_equal(1, tlb_invlpg(t, big + 0x3FF000, 0));
    assert_null(tlb_lookup_slow(t, big + 0x200000, 0, &l2_hit));
    assert_int_equal(1, t->l1.n_valid);
    assert_int_equal(0, t->l1_large.n_valid);
    assert_tlb_ok(t);
}

static void invlpg_reaches_every_size_in_the_second_level(void **state)
{
    struct tlb *t = &tlb;
    const vml_va va = UINT64_C(0x7F0040000000);     /* 1 GiB aligned */
    int l2_hit;

    (void)state;
    /* L1: 8 entries, 2-way; L2: 96 entries in 12 sets of 8 (not a power of 2). */
    assert_int_equal(VML_OK, tlb_init(t, 8, 2, 96, 8));
    tlb_fill(t, va + 0x5000, 0, val(0x5000, RWUX, TLB_4K));
    tlb_fill(t, va, 0, val(0x200000, RWUX, TLB_2M));
    tlb_fill(t, va, 0, val(UINT64_C(0x40000000), RWUX, TLB_1G));
    /* Each fill goes to its L1 array and to L2. */
    assert_int_equal(3, n_valid(&t->l2));
    assert_int_equal(1, t->l2.n_size[TLB_4K]);
    assert_int_equal(1, t->l2.n_size[TLB_2M]);
    assert_int_equal(1, t->l2.n_size[TLB_1G]);
    /* va + 0x5000 lies in all three pages: six entries go. */
    assert_int_equal(6, tlb_invlpg(t, va + 0x5000, 0));
    assert_int_equal(0, n_valid(&t->l1) + n_valid(&t->l1_large) + n_valid(&t->l2));
    assert_null(tlb_lookup_slow(t, va + 0x5000, 0, &l2_hit));
    assert_tlb_ok(t);

    /* An entry only L2 holds (L1 evicted it) is found by invlpg too. */
    for (uint64_t i = 0; i < 3; i++)          /* pages 0, 4, 8: one L1 set of 2 */
        tlb_fill(t, va + (i << 14), 0, val((0x10 + i) << 12, RWUX, TLB_4K));
    assert_false(holds(&t->l1, va, TLB_4K, 0));
    assert_true(holds(&t->l2, va, TLB_4K, 0));
    assert_int_equal(1, tlb_invlpg(t, va, 0));
    assert_false(holds(&t->l2, va, TLB_4K, 0));
    assert_tlb_ok(t);
}

static void invlpg_in_l2_keeps_other_pcids_and_drops_globals(void **state)
{
    struct tlb *t = &tlb;
    const vml_va va = UINT64_C(0x10000), kva = UINT64_C(0x20000);

    (void)state;
    assert_int_equal(VML_OK, tlb_init(t, 16, 4, 64, 4));
    tlb_fill(t, va, 1, val(0xA000, RWUX, TLB_4K));
    tlb_fill(t, va, 2, val(0xB000, RWUX, TLB_4K));
    tlb_fill(t, kva, 1, val(0xC000, TLB_W | TLB_X | TLB_G, TLB_4K));   /* global: tag 0 */
    assert_true(holds(&t->l2, va, TLB_4K, 1));
    assert_true(holds(&t->l2, kva, TLB_4K, 0));
    /* PCID 1's invlpg: its own entry in L1 and L2, not PCID 2's. */
    assert_int_equal(2, tlb_invlpg(t, va, 1));
    assert_false(holds(&t->l1, va, TLB_4K, 1));
    assert_false(holds(&t->l2, va, TLB_4K, 1));
    assert_true(holds(&t->l1, va, TLB_4K, 2));
    assert_true(holds(&t->l2, va, TLB_4K, 2));
    /* A global entry goes whatever the PCID of the invlpg. */
    assert_int_equal(2, tlb_invlpg(t, kva, 7));
    assert_false(holds(&t->l1, kva, TLB_4K, 0));
    assert_false(holds(&t->l2, kva, TLB_4K, 0));
    assert_int_equal(1, t->l1.n_valid);
    assert_int_equal(1, t->l2.n_valid);
    assert_tlb_ok(t);
}

/* Regression: invlpg compared the key's page number (which keeps 48 bits)
** with va's (which keeps the sign extension of a kernel address), so it
** never dropped a kernel-half entry. */
static void invlpg_drops_kernel_half_entries(void **state)
{
    struct tlb *t = &tlb;
    const vml_va k4 = UINT64_C(0xFFFFF80000001000), k2m = UINT64_C(0xFFFFF80000200000);
    int l2_hit;

    (void)state;
    assert_int_equal(VML_OK, tlb_init(t, 64, 4, 0, 0));
    tlb_fill(t, k4, 0, val(0x1000, TLB_W | TLB_G, TLB_4K));
    tlb_fill(t, k2m, 0, val(0x400000, TLB_W | TLB_G, TLB_2M));
    assert_non_null(tlb_lookup_4k(t, k4 >> 12, 3));
    assert_int_equal(1, tlb_invlpg(t, k4 + 0x10, 3));
    assert_null(tlb_lookup_4k(t, k4 >> 12, 3));
    assert_int_equal(1, tlb_invlpg(t, k2m + 0x12345, 3));
    assert_null(tlb_lookup_slow(t, k2m, 3, &l2_hit));
    assert_tlb_ok(t);
}

static void invlpg_of_an_empty_tlb_drops_nothing(void **state)
{
    struct tlb *t = &tlb;

    (void)state;
    assert_int_equal(VML_OK, tlb_init(t, 1536, 12, 1536, 12));
    assert_int_equal(0, tlb_invlpg(t, 0x1000, 0));
    assert_int_equal(0, tlb_flush(t, 0, 1, 1));
    assert_tlb_ok(t);
}

/* ---- counts, drops, flushes -------------------------------------------------------- */

static void counts_follow_fills_evictions_drops_and_flushes(void **state)
{
    struct tlb *t = &tlb;

    (void)state;
    assert_int_equal(VML_OK, tlb_init(t, 4, 2, 0, 0));       /* 2 sets of 2 */
    for (uint64_t i = 0; i < 5; i++)                          /* all in set 0 */
        tlb_fill(t, (i * 2) << 12, 0, val(i << 12, RWUX, TLB_4K));
    assert_int_equal(2, t->l1.n_valid);                       /* 3 evicted */
    tlb_fill(t, UINT64_C(1) << 12, 0, val(0x1000, RWUX, TLB_4K));
    tlb_fill(t, UINT64_C(0x40000000), 0, val(0x200000, RWUX, TLB_2M));
    assert_int_equal(3, t->l1.n_valid);
    assert_int_equal(1, t->l1_large.n_size[TLB_2M]);
    assert_tlb_ok(t);
    /* The MMU drops an entry whose rights fell short, before walking. */
    tlb_drop(t, tlb_lookup_4k(t, 1, 0));
    assert_int_equal(2, t->l1.n_valid);
    assert_tlb_ok(t);
    assert_int_equal(3, tlb_flush(t, 0, 1, 0));
    assert_int_equal(0, t->l1.n_valid + t->l1_large.n_valid);
    assert_int_equal(0, t->l1_large.n_size[TLB_2M]);
    assert_tlb_ok(t);
}

/* Regression: the LRU clock was 32 bits; after 2^32 uses the newest
** entries looked the oldest and a set evicted its most recently used way. */
static void lru_survives_four_billion_uses(void **state)
{
    struct tlb *t = &tlb;

    (void)state;
    assert_int_equal(VML_OK, tlb_init(t, 4, 4, 0, 0));       /* one set of 4 */
    t->clock = UINT32_MAX - 2;                                /* as after ~4G uses */
    for (uint64_t p = 1; p <= 4; p++)
        tlb_fill(t, p << 12, 0, val(p << 12, RWUX, TLB_4K));  /* stamps cross 2^32 */
    assert_non_null(tlb_lookup_4k(t, 1, 0));                  /* now 2 is the LRU */
    tlb_fill(t, UINT64_C(5) << 12, 0, val(0x5000, RWUX, TLB_4K));
    assert_null(tlb_lookup_4k(t, 2, 0));
    assert_non_null(tlb_lookup_4k(t, 1, 0));
    assert_non_null(tlb_lookup_4k(t, 3, 0));
    assert_non_null(tlb_lookup_4k(t, 4, 0));
    assert_non_null(tlb_lookup_4k(t, 5, 0));
    assert_tlb_ok(t);
}

static void a_refill_takes_an_invalidated_way_before_the_lru_one(void **state)
{
    struct tlb *t = &tlb;

    (void)state;
    assert_int_equal(VML_OK, tlb_init(t, 4, 4, 0, 0));       /* one set of 4 */
    for (uint64_t p = 1; p <= 4; p++)
        tlb_fill(t, p << 12, 0, val(p << 12, RWUX, TLB_4K));
    tlb_invlpg(t, UINT64_C(3) << 12, 0);                      /* way 2 empty */
    tlb_fill(t, UINT64_C(9) << 12, 0, val(0x9000, RWUX, TLB_4K));
    /* Page 1, the least recently used, survives: the hole was taken. */
    for (uint64_t p = 1; p <= 4; p++)
        if (p != 3)
            assert_non_null(tlb_lookup_4k(t, p, 0));
    assert_non_null(tlb_lookup_4k(t, 9, 0));
    assert_int_equal(UINT64_C(9) << 16, t->l1.e[2].key);
    assert_tlb_ok(t);
}

static void tlb_check_names_a_broken_count(void **state)
{
    struct tlb *t = &tlb;
    char msg[200];

    (void)state;
    assert_int_equal(VML_OK, tlb_init(t, 8, 2, 0, 0));
    tlb_fill(t, 0x1000, 0, val(0x1000, RWUX, TLB_4K));
    t->l1.n_size[TLB_4K]++;
    assert_int_equal(-1, tlb_check(t, msg, sizeof msg));
    assert_non_null(strstr(msg, "TLB4"));
    t->l1.n_size[TLB_4K]--;
    t->l1.e[(0x1 % 4) * 2].stamp = 0;                         /* valid, stamp 0 */
    assert_int_equal(-1, tlb_check(t, msg, sizeof msg));
    assert_non_null(strstr(msg, "TLB5"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(invlpg_of_a_4k_page_drops_the_large_page_that_covers_it,
                                  tlb_teardown),
        cmocka_unit_test_teardown(invlpg_reaches_every_size_in_the_second_level, tlb_teardown),
        cmocka_unit_test_teardown(invlpg_in_l2_keeps_other_pcids_and_drops_globals,
                                  tlb_teardown),
        cmocka_unit_test_teardown(invlpg_drops_kernel_half_entries, tlb_teardown),
        cmocka_unit_test_teardown(invlpg_of_an_empty_tlb_drops_nothing, tlb_teardown),
        cmocka_unit_test_teardown(counts_follow_fills_evictions_drops_and_flushes, tlb_teardown),
        cmocka_unit_test_teardown(lru_survives_four_billion_uses, tlb_teardown),
        cmocka_unit_test_teardown(a_refill_takes_an_invalidated_way_before_the_lru_one,
                                  tlb_teardown),
        cmocka_unit_test_teardown(tlb_check_names_a_broken_count, tlb_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
