/*
** test_tlb.c -- the TLB on its own (hw/tlb.c): any geometry, LRU within a
** set, invlpg, flushes, global pages, PCIDs, large pages and a second
** level; then the machine's TLB configuration and shootdowns through the
** public API.
*/
#define TESTUTIL_HW
#include "testutil.h"

/* ---- helpers --------------------------------------------------------- */

/* A TLB value for a 4 KiB translation of frame pfn with the given flags. */
static uint64_t val4k(vml_pfn pfn, unsigned flags)
{
    return (pfn << 12) | flags | ((uint64_t)TLB_4K << TLB_SZ_SHIFT);
}

/* How many valid slots of an array hold key. */
static unsigned copies_of(const struct tlb_array *a, uint64_t key)
{
    unsigned n = 0;

    for (unsigned i = 0; i < a->n_sets * a->ways; i++)
        n += a->e[i].key == key;
    return n;
}

static const unsigned RWUX = TLB_W | TLB_U | TLB_X;

/* ---- TLB geometry ------------------------------------------------------ */

static void tlb_sets_need_not_be_a_power_of_two(void **state)
{
    static const struct { unsigned entries, ways, sets; } g[] = {
        { 48, 4, 12 }, { 48, 3, 16 }, { 12, 12, 1 }, { 6, 2, 3 },
        { 96, 8, 12 }, { 1536, 12, 128 }, { 1000, 1, 1000 }, { 64, 4, 16 },
    };
    uint64_t seed = 42;

    (void)state;
    for (size_t i = 0; i < sizeof g / sizeof g[0]; i++) {
        struct tlb t;

        assert_int_equal(VML_OK, tlb_init(&t, g[i].entries, g[i].ways, 0, 0));
        assert_int_equal(g[i].sets, t.l1.n_sets);
        assert_int_equal(g[i].ways, t.l1.ways);
        /* The set of a page is its (32-bit) page number modulo the number
        ** of sets, whether computed with a mask or with Lemire's fastmod. */
        for (unsigned k = 0; k < 20000; k++) {
            uint64_t pn = k < 8 ? (uint64_t[]){ 0, 1, 2, 11, 12, UINT32_MAX, UINT32_MAX - 1,
                                                UINT64_C(0xFFFFFFFFF) }[k]
                                : xorshift64star(&seed) >> (k % 40);
            assert_int_equal((uint32_t)pn % g[i].sets, tlb_set_of(&t.l1, pn));
        }
        tlb_fini(&t);
    }
}

static void tlb_geometry_must_divide_evenly(void **state)
{
    struct tlb t;

    (void)state;
    assert_int_equal(VML_E_INVALID, tlb_init(&t, 7, 2, 0, 0));
    assert_int_equal(VML_E_INVALID, tlb_init(&t, 64, 4, 12, 5));
    assert_int_equal(VML_E_INVALID, tlb_init(&t, 4, 8, 0, 0));
    assert_int_equal(VML_E_RANGE, tlb_init(&t, 0, 1, 0, 0));
}

static void tlb_48x4_holds_48_consecutive_pages(void **state)
{
    struct tlb t;
    const uint64_t base = 0x7F000;   /* any page number */

    (void)state;
    assert_int_equal(VML_OK, tlb_init(&t, 48, 4, 0, 0));
    for (uint64_t i = 0; i < 48; i++)
        tlb_fill(&t, (base + i) << 12, 0, val4k(0x100 + i, RWUX));
    assert_tlb_ok(&t);
    /* Consecutive pages spread evenly over the 12 sets: all 48 fit. */
    for (uint64_t i = 0; i < 48; i++) {
        struct tlb_ent *e = tlb_lookup_4k(&t, base + i, 0);
        assert_non_null(e);
        assert_int_equal((0x100 + i) << 12, e->val & ~(uint64_t)TLB_FLAGS);
    }
    /* A 49th page evicts exactly one of them. */
    tlb_fill(&t, (base + 48) << 12, 0, val4k(0x200, RWUX));
    unsigned present = 0;
    for (uint64_t i = 0; i <= 48; i++)
        present += tlb_lookup_4k(&t, base + i, 0) != NULL;
    assert_int_equal(48, present);
    assert_tlb_ok(&t);
    tlb_fini(&t);
}

static void tlb_evicts_the_least_recently_used_way_of_a_set(void **state)
{
    struct tlb t;
    const uint64_t s = 5;            /* pages s + 12k all fall in set 5 */

    (void)state;
    assert_int_equal(VML_OK, tlb_init(&t, 48, 4, 0, 0));
    for (uint64_t k = 0; k < 4; k++)
        tlb_fill(&t, (s + 12 * k) << 12, 0, val4k(0x10 + k, RWUX));
    /* Use the oldest one: now page s + 12 is the least recently used. */
    assert_non_null(tlb_lookup_4k(&t, s, 0));
    tlb_fill(&t, (s + 48) << 12, 0, val4k(0x20, RWUX));
    assert_non_null(tlb_lookup_4k(&t, s, 0));
    assert_null(tlb_lookup_4k(&t, s + 12, 0));
    assert_non_null(tlb_lookup_4k(&t, s + 24, 0));
    assert_non_null(tlb_lookup_4k(&t, s + 36, 0));
    assert_non_null(tlb_lookup_4k(&t, s + 48, 0));
    /* Other sets were not touched by the eviction. */
    tlb_fill(&t, (s + 1) << 12, 0, val4k(0x30, RWUX));
    assert_non_null(tlb_lookup_4k(&t, s + 1, 0));
    assert_non_null(tlb_lookup_4k(&t, s + 24, 0));
    assert_tlb_ok(&t);
    tlb_fini(&t);
}

static void tlb_12x12_is_fully_associative(void **state)
{
    struct tlb t;
    static const uint64_t pages[12] = { 0, 1, 12, 144, 0x7FFFF, 3, 999, 0x123456,
                                        77, 78, 4096, 0xFFFFFFFFF };

    (void)state;
    assert_int_equal(VML_OK, tlb_init(&t, 12, 12, 0, 0));
    assert_int_equal(1, t.l1.n_sets);
    for (unsigned i = 0; i < 12; i++)
        tlb_fill(&t, pages[i] << 12, 0, val4k(i + 1, RWUX));
    for (unsigned i = 0; i < 12; i++)
        assert_non_null(tlb_lookup_4k(&t, pages[i], 0));
    /* All twelve were just used in order: pages[0] is the LRU one. */
    tlb_fill(&t, UINT64_C(0x555) << 12, 0, val4k(99, RWUX));
    assert_null(tlb_lookup_4k(&t, pages[0], 0));
    for (unsigned i = 1; i < 12; i++)
        assert_non_null(tlb_lookup_4k(&t, pages[i], 0));
    assert_tlb_ok(&t);
    tlb_fini(&t);
}

/* ---- invalidation ------------------------------------------------------------ */

static void invlpg_drops_one_page_only(void **state)
{
    struct tlb t;

    (void)state;
    assert_int_equal(VML_OK, tlb_init(&t, 48, 4, 0, 0));
    for (uint64_t i = 0; i < 3; i++)
        tlb_fill(&t, (0x400 + i) << 12, 0, val4k(0x10 + i, RWUX));
    /* Any address inside the page names it. */
    assert_int_equal(1, tlb_invlpg(&t, (UINT64_C(0x401) << 12) + 0x7FF, 0));
    assert_non_null(tlb_lookup_4k(&t, 0x400, 0));
    assert_null(tlb_lookup_4k(&t, 0x401, 0));
    assert_non_null(tlb_lookup_4k(&t, 0x402, 0));
    /* Nothing left to drop. */
    assert_int_equal(0, tlb_invlpg(&t, UINT64_C(0x401) << 12, 0));
    tlb_fini(&t);
}

static void flush_keeps_global_entries_unless_told_to_drop_them(void **state)
{
    struct tlb t;

    (void)state;
    assert_int_equal(VML_OK, tlb_init(&t, 64, 4, 0, 0));
    tlb_fill(&t, UINT64_C(0x10) << 12, 0, val4k(1, RWUX | TLB_G));   /* global */
    tlb_fill(&t, UINT64_C(0x11) << 12, 0, val4k(2, RWUX));           /* not */
    /* MOV to CR3 (SDM 4.10.4.1): non-global entries go, global ones stay. */
    assert_int_equal(1, tlb_flush(&t, 0, 1, 0));
    assert_non_null(tlb_lookup_4k(&t, 0x10, 0));
    assert_null(tlb_lookup_4k(&t, 0x11, 0));
    /* CR4.PGE toggle: everything goes. */
    assert_int_equal(1, tlb_flush(&t, 0, 1, 1));
    assert_null(tlb_lookup_4k(&t, 0x10, 0));
    tlb_fini(&t);
}

static void pcids_keep_address_spaces_apart(void **state)
{
    struct tlb t;
    const uint64_t v = 0x10;          /* the same page in two address spaces */

    (void)state;
    assert_int_equal(VML_OK, tlb_init(&t, 64, 4, 0, 0));
    tlb_fill(&t, v << 12, 1, val4k(0xA, RWUX));
    tlb_fill(&t, v << 12, 2, val4k(0xB, RWUX));
    assert_tlb_ok(&t);
    assert_int_equal(UINT64_C(0xA) << 12, tlb_lookup_4k(&t, v, 1)->val & ~(uint64_t)TLB_FLAGS);
    assert_int_equal(UINT64_C(0xB) << 12, tlb_lookup_4k(&t, v, 2)->val & ~(uint64_t)TLB_FLAGS);
    assert_null(tlb_lookup_4k(&t, v, 3));
    /* A CR3 load with PCID 1 (no-flush bit clear) drops PCID 1's entries only. */
    assert_int_equal(1, tlb_flush(&t, 1, 0, 0));
    assert_null(tlb_lookup_4k(&t, v, 1));
    assert_non_null(tlb_lookup_4k(&t, v, 2));
    /* INVLPG acts on the current PCID: PCID 3's invlpg leaves PCID 2's entry. */
    assert_int_equal(0, tlb_invlpg(&t, v << 12, 3));
    assert_non_null(tlb_lookup_4k(&t, v, 2));
    assert_int_equal(1, tlb_invlpg(&t, v << 12, 2));
    assert_null(tlb_lookup_4k(&t, v, 2));
    tlb_fini(&t);
}

static void a_global_entry_matches_every_pcid(void **state)
{
    struct tlb t;

    (void)state;
    assert_int_equal(VML_OK, tlb_init(&t, 64, 4, 0, 0));
    /* SDM 4.10.2.4: global translations are used whatever the PCID. */
    tlb_fill(&t, UINT64_C(0x20) << 12, 5, val4k(7, RWUX | TLB_G));
    assert_non_null(tlb_lookup_4k(&t, 0x20, 5));
    assert_non_null(tlb_lookup_4k(&t, 0x20, 9));
    assert_non_null(tlb_lookup_4k(&t, 0x20, 0));
    /* A flush of one PCID's non-global entries keeps it ... */
    tlb_flush(&t, 9, 0, 0);
    assert_non_null(tlb_lookup_4k(&t, 0x20, 9));
    /* ... INVLPG drops global entries for the page, whatever the PCID. */
    assert_int_equal(1, tlb_invlpg(&t, UINT64_C(0x20) << 12, 9));
    assert_null(tlb_lookup_4k(&t, 0x20, 5));
    tlb_fini(&t);
}

/* ---- large pages and the second level ---------------------------------------------- */

static void large_pages_live_in_their_own_array(void **state)
{
    struct tlb t;
    const vml_va va = UINT64_C(0x40000000);   /* a 2 MiB page */
    int l2_hit = 1;

    (void)state;
    assert_int_equal(VML_OK, tlb_init(&t, 64, 4, 0, 0));
    tlb_fill(&t, va, 0, UINT64_C(0x600000) | RWUX | ((uint64_t)TLB_2M << TLB_SZ_SHIFT));
    assert_tlb_ok(&t);   /* TLB3: not in the 4 KiB array */
    assert_null(tlb_lookup_4k(&t, va >> 12, 0));
    /* Every 4 KiB page inside the 2 MiB page hits the one entry. */
    struct tlb_ent *e = tlb_lookup_slow(&t, va + 0x1ABCDE, 0, &l2_hit);
    assert_non_null(e);
    assert_int_equal(0, l2_hit);
    assert_int_equal(TLB_2M, tlb_val_size(e->val));
    assert_null(tlb_lookup_slow(&t, va + 0x200000, 0, &l2_hit));
    /* invlpg of any address inside drops it. */
    assert_int_equal(1, tlb_invlpg(&t, va + 0x12345, 0));
    assert_null(tlb_lookup_slow(&t, va, 0, &l2_hit));
    tlb_fini(&t);
}

static void second_level_catches_what_the_first_level_evicted(void **state)
{
    struct tlb t;
    int l2_hit = 0;

    (void)state;
    /* L1: 2 entries, direct-mapped (2 sets); L2: 12 entries, 3-way. */
    assert_int_equal(VML_OK, tlb_init(&t, 2, 1, 12, 3));
    assert_int_equal(4, t.l2.n_sets);
    tlb_fill(&t, UINT64_C(0x0) << 12, 0, val4k(0x10, RWUX));
    tlb_fill(&t, UINT64_C(0x2) << 12, 0, val4k(0x12, RWUX));   /* evicts page 0 from L1 */
    assert_null(tlb_lookup_4k(&t, 0x0, 0));
    struct tlb_ent *e = tlb_lookup_slow(&t, 0x0, 0, &l2_hit);
    assert_non_null(e);
    assert_int_equal(1, l2_hit);
    assert_int_equal(UINT64_C(0x10) << 12, e->val & ~(uint64_t)TLB_FLAGS);
    /* The hit was copied into L1 (evicting page 2 there, not from L2). */
    assert_non_null(tlb_lookup_4k(&t, 0x0, 0));
    assert_null(tlb_lookup_4k(&t, 0x2, 0));
    assert_non_null(tlb_lookup_slow(&t, UINT64_C(0x2) << 12, 0, &l2_hit));
    assert_tlb_ok(&t);
    tlb_fini(&t);
}

/* Regression: array_insert() took the first empty way of a set before
** looking at the other ways for the key being inserted, so refilling a
** translation whose old copy sat behind a hole left two copies of one key
** (TLB2).  It happens in the MMU when a write goes through a clean entry:
** the L1 copy is dropped and the walk refills both levels, while L2 still
** holds the old copy behind the hole an invlpg left. */
static struct tlb hole_tlb;   /* freed by the teardown, even when a check fails */

static int hole_tlb_fini(void **state)
{
    (void)state;
    tlb_fini(&hole_tlb);
    return 0;
}

static void tlb_refill_after_a_hole_keeps_one_copy_of_the_key(void **state)
{
    struct tlb *t = &hole_tlb;
    const uint64_t x = 0x10, y = 0x11;    /* one set: both land in it */

    (void)state;
    assert_int_equal(VML_OK, tlb_init(t, 2, 2, 2, 2));    /* L1 and L2: 1 set, 2 ways */
    tlb_fill(t, x << 12, 0, val4k(1, RWUX));
    tlb_fill(t, y << 12, 0, val4k(2, RWUX));
    tlb_invlpg(t, x << 12, 0);                             /* way 0 empty in both */
    tlb_fill(t, y << 12, 0, val4k(2, RWUX | TLB_D));      /* refill y, now dirty */
    assert_int_equal(1, copies_of(&t->l1, tlb_key(y, TLB_4K, 0)));
    assert_int_equal(1, copies_of(&t->l2, tlb_key(y, TLB_4K, 0)));
    assert_tlb_ok(t);
}

/* ---- through the public API ------------------------------------------------------------------ */

static void machine_accepts_any_tlb_geometry_that_divides(void **state)
{
    vml_config cfg;
    vml_machine *m = NULL;
    vml_tlb_geometry g;

    (void)state;
    vml_config_default(&cfg);
    cfg.ram_bytes = UINT64_C(4) << 20;
    cfg.tlb_entries = 48;
    cfg.tlb_ways = 4;
    cfg.tlb2_entries = 96;
    cfg.tlb2_ways = 8;
    assert_int_equal(VML_OK, vml_machine_create(&cfg, &m));
    vml_tlb_geometry_get(m, &g);
    assert_int_equal(12, g.sets);
    assert_int_equal(48, g.entries);
    assert_int_equal(12, g.l2_sets);
    assert_int_equal(96, g.l2_entries);
    vml_machine_destroy(m);

    cfg.tlb_entries = 7;
    cfg.tlb_ways = 2;
    assert_int_equal(VML_E_RANGE, vml_machine_create(&cfg, &m));
    assert_null(m);
    cfg.tlb_entries = 48;
    cfg.tlb_ways = 4;
    cfg.tlb2_entries = 12;
    cfg.tlb2_ways = 5;
    assert_int_equal(VML_E_RANGE, vml_machine_create(&cfg, &m));
}

/* vmlab.h: vml_tlb_invlpg with VML_ALL_CPUS is "every CPU, counted as a
** shootdown". */
static void invlpg_on_all_cpus_is_counted_as_a_shootdown(void **state)
{
    vml_config cfg;
    vml_machine *m;
    vml_proc *p;
    vml_va va;
    uint64_t before, after, inv0, inv1;
    uint8_t b = 1;

    (void)state;
    vml_config_default(&cfg);
    cfg.ram_bytes = UINT64_C(4) << 20;
    cfg.n_cpus = 2;
    assert_int_equal(VML_OK, vml_machine_create(&cfg, &m));
    assert_int_equal(VML_OK, vml_proc_create(m, "A", &p));
    assert_int_equal(0, vml_win_VirtualAlloc(p, 0, 0x1000, VML_MEM_RESERVE | VML_MEM_COMMIT,
                                             VML_PAGE_READWRITE, &va));
    assert_int_equal(VML_OK, vml_mem_write(p, 0, va, &b, 1, NULL));
    assert_int_equal(VML_OK, vml_mem_write(p, 1, va, &b, 1, NULL));
    assert_int_equal(VML_OK, vml_stat_get(m, VML_SCOPE_SYSTEM, 0, "shootdowns", &before));
    assert_int_equal(VML_OK, vml_tlb_invlpg(m, VML_ALL_CPUS, p, va));
    assert_int_equal(VML_OK, vml_stat_get(m, VML_SCOPE_SYSTEM, 0, "shootdowns", &after));
    assert_int_equal(VML_OK, vml_stat_get(m, VML_SCOPE_CPU, 0, "invlpgs", &inv0));
    assert_int_equal(VML_OK, vml_stat_get(m, VML_SCOPE_CPU, 1, "invlpgs", &inv1));
    assert_true(inv0 >= 1 && inv1 >= 1);
    assert_int_equal(before + 1, after);
    vml_machine_destroy(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(tlb_sets_need_not_be_a_power_of_two),
        cmocka_unit_test(tlb_geometry_must_divide_evenly),
        cmocka_unit_test(tlb_48x4_holds_48_consecutive_pages),
        cmocka_unit_test(tlb_evicts_the_least_recently_used_way_of_a_set),
        cmocka_unit_test(tlb_12x12_is_fully_associative),
        cmocka_unit_test(invlpg_drops_one_page_only),
        cmocka_unit_test(flush_keeps_global_entries_unless_told_to_drop_them),
        cmocka_unit_test(pcids_keep_address_spaces_apart),
        cmocka_unit_test(a_global_entry_matches_every_pcid),
        cmocka_unit_test(large_pages_live_in_their_own_array),
        cmocka_unit_test(second_level_catches_what_the_first_level_evicted),
        cmocka_unit_test_teardown(tlb_refill_after_a_hole_keeps_one_copy_of_the_key,
                                  hole_tlb_fini),
        cmocka_unit_test(machine_accepts_any_tlb_geometry_that_divides),
        cmocka_unit_test(invlpg_on_all_cpus_is_counted_as_a_shootdown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
