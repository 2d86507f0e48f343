/*
** test_vad.c -- the VAD tree: lookups, AVL balance, gap search, and a
** property test against a brute-force reference (a sorted array and a
** page bitmap).
*/
#include "testutil.h"
#include "mm/vad.h"

/* Fails the test with vad_check()'s message when an invariant is broken. */
static void assert_tree_ok(const struct vad_tree *t)
{
    char msg[160];

    if (vad_check(t, msg, sizeof msg) != 0)
        fail_msg("vad_check: %s", msg);
}

static void vad_set(struct vad *v, uint64_t start_vpn, uint64_t end_vpn)
{
    memset(v, 0, sizeof *v);
    v->start_vpn = start_vpn;
    v->end_vpn = end_vpn;
}

/* Three allocations with holes between them:
**   [0x10-0x1f]  hole  [0x30-0x30]  hole  [0x40-0x7f] */
struct three {
    struct vad_tree t;
    struct vad a, b, c;
};

static void three_init(struct three *s)
{
    vad_tree_init(&s->t);
    vad_set(&s->a, 0x10, 0x1f);
    vad_set(&s->b, 0x30, 0x30);
    vad_set(&s->c, 0x40, 0x7f);
    vad_insert(&s->t, &s->c);
    vad_insert(&s->t, &s->a);
    vad_insert(&s->t, &s->b);
    assert_tree_ok(&s->t);
}

/* ---- lookups ------------------------------------------------------- */

static void empty_tree_has_no_nodes_and_passes_check(void **state)
{
    struct vad_tree t;
    uint64_t start = 0;

    (void)state;
    vad_tree_init(&t);
    assert_tree_ok(&t);
    assert_null(vad_first(&t));
    assert_null(vad_last(&t));
    assert_null(vad_find(&t, 0));
    assert_null(vad_lookup_ge(&t, 0));
    assert_null(vad_overlap(&t, 0, UINT64_MAX));
    assert_int_equal(1, vad_find_gap(&t, 0, 99, 10, 1, 0, &start));
    assert_int_equal(0, start);
}

static void lookup_finds_the_node_containing_a_page(void **state)
{
    struct three s;

    (void)state;
    three_init(&s);
    assert_ptr_equal(&s.a, vad_find(&s.t, 0x10));   /* first page */
    assert_ptr_equal(&s.a, vad_find(&s.t, 0x18));   /* middle */
    assert_ptr_equal(&s.a, vad_find(&s.t, 0x1f));   /* last page */
    assert_ptr_equal(&s.b, vad_find(&s.t, 0x30));   /* one-page node */
    assert_ptr_equal(&s.c, vad_find(&s.t, 0x7f));
    assert_null(vad_find(&s.t, 0x0f));              /* holes */
    assert_null(vad_find(&s.t, 0x20));
    assert_null(vad_find(&s.t, 0x2f));
    assert_null(vad_find(&s.t, 0x31));
    assert_null(vad_find(&s.t, 0x80));
}

static void lookup_ge_returns_the_first_node_ending_at_or_after_a_page(void **state)
{
    struct three s;

    (void)state;
    three_init(&s);
    assert_ptr_equal(&s.a, vad_lookup_ge(&s.t, 0));
    assert_ptr_equal(&s.a, vad_lookup_ge(&s.t, 0x1f));  /* inside a */
    assert_ptr_equal(&s.b, vad_lookup_ge(&s.t, 0x20));  /* in the hole */
    assert_ptr_equal(&s.c, vad_lookup_ge(&s.t, 0x31));
    assert_ptr_equal(&s.c, vad_lookup_ge(&s.t, 0x7f));
    assert_null(vad_lookup_ge(&s.t, 0x80));
}

static void overlap_reports_the_first_node_touching_a_range(void **state)
{
    struct three s;

    (void)state;
    three_init(&s);
    assert_null(vad_overlap(&s.t, 0x20, 0x2f));         /* exactly a hole */
    assert_ptr_equal(&s.a, vad_overlap(&s.t, 0x1f, 0x20));
    assert_ptr_equal(&s.b, vad_overlap(&s.t, 0x20, 0x30));
    assert_ptr_equal(&s.a, vad_overlap(&s.t, 0, UINT64_MAX));
    assert_ptr_equal(&s.c, vad_overlap(&s.t, 0x7f, 0x7f));
    assert_null(vad_overlap(&s.t, 0x80, UINT64_MAX));
}

static void next_and_prev_walk_nodes_in_address_order(void **state)
{
    struct three s;

    (void)state;
    three_init(&s);
    assert_ptr_equal(&s.a, vad_first(&s.t));
    assert_ptr_equal(&s.b, vad_next(&s.a));
    assert_ptr_equal(&s.c, vad_next(&s.b));
    assert_null(vad_next(&s.c));
    assert_ptr_equal(&s.c, vad_last(&s.t));
    assert_ptr_equal(&s.b, vad_prev(&s.c));
    assert_ptr_equal(&s.a, vad_prev(&s.b));
    assert_null(vad_prev(&s.a));
}

static void depth_of_root_is_zero(void **state)
{
    struct three s;

    (void)state;
    three_init(&s);
    /* Inserted c, a, b: a rotation makes b the root. */
    assert_ptr_equal(&s.b, s.t.root);
    assert_int_equal(0, vad_depth(&s.b));
    assert_int_equal(1, vad_depth(&s.a));
    assert_int_equal(1, vad_depth(&s.c));
}

/* ---- balance ------------------------------------------------------- */

enum { N_SEQ = 1023 };

/* An AVL tree of n nodes is less than 1.4405 * log2(n + 2) high: for
** 1023 nodes, at most 14; a perfectly balanced one is exactly 10. */
static void tree_stays_balanced_after_ascending_inserts(void **state)
{
    static struct vad nodes[N_SEQ];
    struct vad_tree t;
    uint64_t i;

    (void)state;
    vad_tree_init(&t);
    for (i = 0; i < N_SEQ; i++) {
        vad_set(&nodes[i], 16 * i, 16 * i + 15);
        vad_insert(&t, &nodes[i]);
        assert_tree_ok(&t);
    }
    assert_int_equal(N_SEQ, t.count);
    assert_true(t.root->height <= 14);
    assert_ptr_equal(&nodes[500], vad_find(&t, 16 * 500 + 7));
}

static void tree_stays_balanced_after_descending_inserts(void **state)
{
    static struct vad nodes[N_SEQ];
    struct vad_tree t;
    uint64_t i;

    (void)state;
    vad_tree_init(&t);
    for (i = N_SEQ; i-- > 0;) {
        vad_set(&nodes[i], 16 * i, 16 * i + 15);
        vad_insert(&t, &nodes[i]);
        assert_tree_ok(&t);
    }
    assert_true(t.root->height <= 14);
    /* Removing every other node keeps it balanced too. */
    for (i = 0; i < N_SEQ; i += 2) {
        vad_remove(&t, &nodes[i]);
        assert_tree_ok(&t);
    }
    assert_int_equal(N_SEQ / 2, t.count);
    assert_true(t.root->height <= 13);
    assert_null(vad_find(&t, 0));
    assert_ptr_equal(&nodes[1], vad_first(&t));
}

static void removing_a_node_with_two_children_keeps_address_order(void **state)
{
    struct vad nodes[7];
    struct vad_tree t;
    const struct vad *v;
    uint64_t i, expect;

    (void)state;
    vad_tree_init(&t);
    for (i = 0; i < 7; i++) {
        vad_set(&nodes[i], 0x100 * i, 0x100 * i + 0xff);
        vad_insert(&t, &nodes[i]);
    }
    assert_ptr_equal(&nodes[3], t.root);      /* a perfect 7-node tree */
    vad_remove(&t, &nodes[3]);                /* the root: two children */
    assert_tree_ok(&t);
    assert_null(nodes[3].parent);
    assert_null(vad_find(&t, 0x300));
    expect = 0;
    for (v = vad_first(&t); v != NULL; v = vad_next(v)) {
        if (expect == 3)
            expect++;
        assert_ptr_equal(&nodes[expect], v);
        expect++;
    }
    assert_int_equal(7, expect);
}

static void mark_freed(struct vad *v)
{
    v->name[0] = 'F';
}

static void clear_hands_every_node_to_free_fn_and_empties_the_tree(void **state)
{
    struct vad nodes[100];
    struct vad_tree t;
    int i;

    (void)state;
    vad_tree_init(&t);
    for (i = 0; i < 100; i++) {
        vad_set(&nodes[i], 10 * (uint64_t)i, 10 * (uint64_t)i + 4);
        vad_insert(&t, &nodes[i]);
    }
    vad_tree_clear(&t, mark_freed);
    assert_null(t.root);
    assert_int_equal(0, t.count);
    assert_tree_ok(&t);
    for (i = 0; i < 100; i++)
        assert_int_equal('F', nodes[i].name[0]);
}

/* ---- vad_check names the broken invariant -------------------------- */

static void check_names_the_broken_invariant(void **state)
{
    struct three s;
    char msg[160];

    (void)state;

    three_init(&s);                       /* VAD1: a now runs into b */
    s.a.end_vpn = 0x30;
    assert_int_equal(-1, vad_check(&s.t, msg, sizeof msg));
    assert_string_equal("VAD1: node 0x30-0x30 not after 0x10-0x30", msg);

    three_init(&s);                       /* VAD2 */
    s.c.start_vpn = 0x90;
    assert_int_equal(-1, vad_check(&s.t, msg, sizeof msg));
    assert_string_equal("VAD2: node 0x90-0x7f starts after it ends", msg);

    three_init(&s);                       /* VAD3 */
    s.a.parent = &s.c;
    assert_int_equal(-1, vad_check(&s.t, msg, sizeof msg));
    assert_memory_equal("VAD3:", msg, 5);

    three_init(&s);                       /* VAD4 */
    s.b.height = 3;
    assert_int_equal(-1, vad_check(&s.t, msg, sizeof msg));
    assert_string_equal("VAD4: node 0x30-0x30 height 3, children 1/1", msg);

    three_init(&s);                       /* VAD5 */
    s.t.count = 4;
    assert_int_equal(-1, vad_check(&s.t, msg, sizeof msg));
    assert_string_equal("VAD5: count 4 but 3 nodes in the tree", msg);

    three_init(&s);                       /* a cycle is caught, not followed */
    s.a.left = &s.b;
    assert_int_equal(-1, vad_check(&s.t, msg, sizeof msg));
    assert_memory_equal("VAD3:", msg, 5);
}

/* ---- gap search ---------------------------------------------------- */

static void gap_search_respects_alignment_bottom_up_and_top_down(void **state)
{
    struct three s;
    uint64_t start = 0;

    (void)state;
    three_init(&s);
    /* Holes: [0-0xf] [0x20-0x2f] [0x31-0x3f] [0x80-...] */
    assert_int_equal(1, vad_find_gap(&s.t, 0, 0xff, 0x10, 1, 0, &start));
    assert_int_equal(0x0, start);
    assert_int_equal(1, vad_find_gap(&s.t, 1, 0xff, 0x10, 1, 0, &start));
    assert_int_equal(0x20, start);           /* [1-0xf] is one page short */
    assert_int_equal(1, vad_find_gap(&s.t, 0, 0xff, 0xf, 1, 0, &start));
    assert_int_equal(0x0, start);
    assert_int_equal(1, vad_find_gap(&s.t, 0, 0xff, 0x8, 0x8, 0, &start));
    assert_int_equal(0x0, start);
    assert_int_equal(1, vad_find_gap(&s.t, 0x11, 0xff, 0x8, 0x8, 0, &start));
    assert_int_equal(0x20, start);
    /* 0x31..0x3f has 15 pages, but the only 8-aligned start is 0x38. */
    assert_int_equal(1, vad_find_gap(&s.t, 0x2a, 0xff, 0x8, 0x8, 0, &start));
    assert_int_equal(0x38, start);
    assert_int_equal(1, vad_find_gap(&s.t, 0x2a, 0xff, 0x9, 0x8, 0, &start));
    assert_int_equal(0x80, start);

    /* Top-down: the highest aligned start whose range ends <= hi. */
    assert_int_equal(1, vad_find_gap(&s.t, 0, 0xff, 0x10, 1, 1, &start));
    assert_int_equal(0xf0, start);
    assert_int_equal(1, vad_find_gap(&s.t, 0, 0xfe, 0x10, 0x10, 1, &start));
    assert_int_equal(0xe0, start);
    assert_int_equal(1, vad_find_gap(&s.t, 0, 0x7f, 0x8, 0x8, 1, &start));
    assert_int_equal(0x38, start);
    assert_int_equal(1, vad_find_gap(&s.t, 0, 0x7f, 0x9, 0x8, 1, &start));
    assert_int_equal(0x20, start);
    assert_int_equal(1, vad_find_gap(&s.t, 0, 0x7f, 0x10, 0x20, 1, &start));
    assert_int_equal(0x20, start);
    assert_int_equal(1, vad_find_gap(&s.t, 0, 0x7f, 0x10, 0x40, 1, &start));
    assert_int_equal(0x0, start);
    assert_int_equal(0, vad_find_gap(&s.t, 1, 0x7f, 0x10, 0x40, 1, &start));
}

static void gap_search_reports_no_room(void **state)
{
    struct three s;
    uint64_t start = 0x1234;

    (void)state;
    three_init(&s);
    /* The biggest hole inside [0x10, 0x7f] is [0x20-0x2f]: 16 pages. */
    assert_int_equal(0, vad_find_gap(&s.t, 0x10, 0x7f, 0x11, 1, 0, &start));
    assert_int_equal(0, vad_find_gap(&s.t, 0x10, 0x7f, 0x11, 1, 1, &start));
    assert_int_equal(0, vad_find_gap(&s.t, 0x40, 0x7f, 1, 1, 0, &start));
    assert_int_equal(0, vad_find_gap(&s.t, 0x40, 0x7f, 1, 1, 1, &start));
    assert_int_equal(0, vad_find_gap(&s.t, 0, 0xff, 0, 1, 0, &start));
    assert_int_equal(0, vad_find_gap(&s.t, 0x90, 0x80, 1, 1, 0, &start));
    assert_int_equal(0x1234, start);     /* untouched on failure */
}

/* 4-level paging: 2^36 user pages; the simulator allows vpns to 2^52.
** Sums near the top of uint64_t must not wrap. */
static void gap_search_does_not_overflow_at_the_top_of_the_address_space(void **state)
{
    const uint64_t top = (UINT64_C(1) << 52) - 1;
    struct vad_tree t;
    struct vad high, max;
    uint64_t start = 0;

    (void)state;
    vad_tree_init(&t);
    vad_set(&high, top - 0xf, top);
    vad_insert(&t, &high);
    assert_int_equal(1, vad_find_gap(&t, 0, top, 0x10, 0x10, 1, &start));
    assert_int_equal(top - 0x1f, start);
    assert_int_equal(1, vad_find_gap(&t, top - 0x1f, top, 0x10, 1, 0, &start));
    assert_int_equal(top - 0x1f, start);
    assert_int_equal(0, vad_find_gap(&t, top - 0x1e, top, 0x10, 1, 0, &start));

    /* A node ending at UINT64_MAX, and huge alignment and sizes. */
    vad_set(&max, UINT64_MAX - 0xf, UINT64_MAX);
    vad_insert(&t, &max);
    assert_tree_ok(&t);
    assert_int_equal(1, vad_find_gap(&t, 0, UINT64_MAX, 0x10, 1, 1, &start));
    assert_int_equal(UINT64_MAX - 0x1f, start);
    assert_int_equal(0, vad_find_gap(&t, UINT64_MAX - 0xf, UINT64_MAX, 1, 1, 0,
                                     &start));
    assert_int_equal(0, vad_find_gap(&t, UINT64_MAX - 0xf, UINT64_MAX, 1, 1, 1,
                                     &start));
    /* Aligning 2^63 + 1 up to 2^64 would wrap to 0. */
    assert_int_equal(0, vad_find_gap(&t, (UINT64_C(1) << 63) + 1, UINT64_MAX,
                                     1, UINT64_C(1) << 63, 0, &start));
    assert_int_equal(1, vad_find_gap(&t, top + 1, UINT64_MAX, 1,
                                     UINT64_C(1) << 63, 0, &start));
    assert_int_equal(UINT64_C(1) << 63, start);
    assert_int_equal(1, vad_find_gap(&t, 1, UINT64_MAX, 1,
                                     UINT64_C(1) << 63, 1, &start));
    assert_int_equal(UINT64_C(1) << 63, start);
    assert_int_equal(0, vad_find_gap(&t, 0, UINT64_MAX, UINT64_MAX, 1, 0,
                                     &start));
    assert_int_equal(1, vad_find_gap(&t, 0, UINT64_MAX, top - 0xf, 1, 0,
                                     &start));
    assert_int_equal(0, start);
}

/* ---- property test against a brute-force reference ----------------- */

enum {
    REF_POOL  = 128,    /* nodes available */
    REF_SPACE = 1024,   /* nodes live in pages [0, REF_SPACE) */
    REF_PAGES = 1200,   /* gap queries reach a little beyond */
    REF_OPS   = 4000
};

struct ref {
    struct vad_tree t;
    struct vad nodes[REF_POOL];
    int in_tree[REF_POOL];
    struct vad *sorted[REF_POOL];   /* the nodes in the tree, by start_vpn */
    int n_sorted;
    int taken[REF_PAGES];           /* page bitmap */
    int prefix[REF_PAGES + 1];      /* prefix[i] = taken pages below i */
    uint64_t rng;
};

static uint64_t rnd(struct ref *r, uint64_t n)
{
    return xorshift64(&r->rng) % n;
}

static void ref_mark(struct ref *r, const struct vad *v, int taken)
{
    uint64_t vpn;
    int i;

    for (vpn = v->start_vpn; vpn <= v->end_vpn; vpn++)
        r->taken[vpn] = taken;
    r->prefix[0] = 0;
    for (i = 0; i < REF_PAGES; i++)
        r->prefix[i + 1] = r->prefix[i] + r->taken[i];
}

static int ref_free(const struct ref *r, uint64_t lo, uint64_t hi)
{
    return r->prefix[hi + 1] - r->prefix[lo] == 0;
}

static void ref_insert(struct ref *r, int slot)
{
    struct vad *v = &r->nodes[slot];
    int i = r->n_sorted;

    while (i > 0 && r->sorted[i - 1]->start_vpn > v->start_vpn) {
        r->sorted[i] = r->sorted[i - 1];
        i--;
    }
    r->sorted[i] = v;
    r->n_sorted++;
    r->in_tree[slot] = 1;
    ref_mark(r, v, 1);
}

static void ref_remove(struct ref *r, int slot)
{
    struct vad *v = &r->nodes[slot];
    int i = 0;

    while (r->sorted[i] != v)
        i++;
    memmove(&r->sorted[i], &r->sorted[i + 1],
            (size_t)(r->n_sorted - i - 1) * sizeof r->sorted[0]);
    r->n_sorted--;
    r->in_tree[slot] = 0;
    ref_mark(r, v, 0);
}

static const struct vad *ref_find(const struct ref *r, uint64_t vpn)
{
    int i;

    for (i = 0; i < r->n_sorted; i++)
        if (r->sorted[i]->start_vpn <= vpn && vpn <= r->sorted[i]->end_vpn)
            return r->sorted[i];
    return NULL;
}

static const struct vad *ref_lookup_ge(const struct ref *r, uint64_t vpn)
{
    int i;

    for (i = 0; i < r->n_sorted; i++)
        if (r->sorted[i]->end_vpn >= vpn)
            return r->sorted[i];
    return NULL;
}

static const struct vad *ref_overlap(const struct ref *r, uint64_t lo, uint64_t hi)
{
    int i;

    for (i = 0; i < r->n_sorted; i++)
        if (r->sorted[i]->start_vpn <= hi && lo <= r->sorted[i]->end_vpn)
            return r->sorted[i];
    return NULL;
}

/* Tries every aligned start, lowest or highest first. */
static int ref_gap(const struct ref *r, uint64_t lo, uint64_t hi, uint64_t n,
                   uint64_t align, int top_down, uint64_t *start)
{
    uint64_t s;

    if (hi - lo + 1 < n)
        return 0;
    if (!top_down) {
        for (s = (lo + align - 1) / align * align; s + n - 1 <= hi; s += align)
            if (ref_free(r, s, s + n - 1)) {
                *start = s;
                return 1;
            }
        return 0;
    }
    for (s = (hi - n + 1) / align * align; s >= lo; s -= align) {
        if (ref_free(r, s, s + n - 1)) {
            *start = s;
            return 1;
        }
        if (s < align)
            break;
    }
    return 0;
}

static void ref_compare(struct ref *r)
{
    static const uint64_t aligns[] = { 1, 2, 4, 16, 64 };
    const struct vad *v;
    uint64_t vpn, lo, hi, n, align, got, want;
    int i, q, dir;

    assert_tree_ok(&r->t);
    assert_int_equal(r->n_sorted, r->t.count);

    /* vad_first/vad_next and vad_last/vad_prev walk the sorted array. */
    i = 0;
    for (v = vad_first(&r->t); v != NULL; v = vad_next(v))
        assert_ptr_equal(r->sorted[i++], v);
    assert_int_equal(r->n_sorted, i);
    for (v = vad_last(&r->t); v != NULL; v = vad_prev(v))
        assert_ptr_equal(r->sorted[--i], v);
    assert_int_equal(0, i);

    for (q = 0; q < 4; q++) {
        vpn = rnd(r, REF_PAGES);
        assert_ptr_equal(ref_find(r, vpn), vad_find(&r->t, vpn));
        assert_ptr_equal(ref_lookup_ge(r, vpn), vad_lookup_ge(&r->t, vpn));
        lo = rnd(r, REF_PAGES);
        hi = lo + rnd(r, 64);
        assert_ptr_equal(ref_overlap(r, lo, hi), vad_overlap(&r->t, lo, hi));
    }
    for (dir = 0; dir < 2; dir++) {
        lo = rnd(r, REF_PAGES);
        hi = lo + rnd(r, REF_PAGES - lo);
        n = 1 + rnd(r, 48);
        align = aligns[rnd(r, 5)];
        got = want = UINT64_MAX;
        assert_int_equal(ref_gap(r, lo, hi, n, align, dir, &want),
                         vad_find_gap(&r->t, lo, hi, n, align, dir, &got));
        assert_int_equal(want, got);
    }
}

static void random_insert_remove_matches_a_reference_array(void **state)
{
    static const uint64_t seeds[] = { 1, 0x9e3779b97f4a7c15u, 42, 20240601 };
    static struct ref r;
    size_t k;
    int op;

    (void)state;
    for (k = 0; k < sizeof seeds / sizeof seeds[0]; k++) {
        memset(&r, 0, sizeof r);
        r.rng = seeds[k];
        vad_tree_init(&r.t);
        for (op = 0; op < REF_OPS; op++) {
            int slot = (int)rnd(&r, REF_POOL);

            if (r.in_tree[slot]) {
                vad_remove(&r.t, &r.nodes[slot]);
                ref_remove(&r, slot);
            } else {
                uint64_t start = rnd(&r, REF_SPACE);
                uint64_t len = 1 + rnd(&r, 16);

                if (start + len > REF_SPACE)
                    len = REF_SPACE - start;
                if (ref_free(&r, start, start + len - 1)) {
                    vad_set(&r.nodes[slot], start, start + len - 1);
                    vad_insert(&r.t, &r.nodes[slot]);
                    ref_insert(&r, slot);
                }
            }
            ref_compare(&r);
        }
        vad_tree_clear(&r.t, NULL);
        assert_tree_ok(&r.t);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(empty_tree_has_no_nodes_and_passes_check),
        cmocka_unit_test(lookup_finds_the_node_containing_a_page),
        cmocka_unit_test(lookup_ge_returns_the_first_node_ending_at_or_after_a_page),
        cmocka_unit_test(overlap_reports_the_first_node_touching_a_range),
        cmocka_unit_test(next_and_prev_walk_nodes_in_address_order),
        cmocka_unit_test(depth_of_root_is_zero),
        cmocka_unit_test(tree_stays_balanced_after_ascending_inserts),
        cmocka_unit_test(tree_stays_balanced_after_descending_inserts),
        cmocka_unit_test(removing_a_node_with_two_children_keeps_address_order),
        cmocka_unit_test(clear_hands_every_node_to_free_fn_and_empties_the_tree),
        cmocka_unit_test(check_names_the_broken_invariant),
        cmocka_unit_test(gap_search_respects_alignment_bottom_up_and_top_down),
        cmocka_unit_test(gap_search_reports_no_room),
        cmocka_unit_test(gap_search_does_not_overflow_at_the_top_of_the_address_space),
        cmocka_unit_test(random_insert_remove_matches_a_reference_array),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
