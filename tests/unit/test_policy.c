/*
** test_policy.c -- the replacement policies: known results on small
** reference strings (computed by hand below), the properties that make
** them textbook material (Belady's anomaly for FIFO, OPT's optimality,
** the stack property of LRU and OPT), the simulator's bookkeeping, and
** the policy contract Q1-Q3 (policy.h) against a simple O(n) model of
** each textbook policy (FIFO, LRU, MRU, CLOCK, CLOCK0, OPT);
** test_policies.c does the same for the others.
*/
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "policy/policy.h"

#define N_OF(a) (sizeof (a) / sizeof (a)[0])

/* Belady's string, and Silberschatz's (Operating System Concepts). */
static const uint64_t belady[] = { 1, 2, 3, 4, 1, 2, 5, 1, 2, 3, 4, 5 };
static const uint64_t textbook[] = { 7, 0, 1, 2, 0, 3, 0, 4, 2, 3,
                                     0, 3, 2, 1, 2, 0, 1, 7, 0, 1 };

static vml_policy policy_named(const char *name)
{
    vml_policy p;

    assert_int_equal(VML_OK, vml_policy_parse(name, &p));
    return p;
}

/* Runs policy on pages (all reads); the result must be consistent. */
static vml_policy_result simulate(const char *name, uint64_t frames, const uint64_t *pages,
                                  size_t n)
{
    vml_ref *refs = calloc(n ? n : 1, sizeof *refs);
    vml_policy_result r;

    assert_non_null(refs);
    for (size_t i = 0; i < n; i++)
        refs[i].page = pages[i];
    assert_int_equal(VML_OK, vml_policy_simulate(policy_named(name), frames, refs, n, &r));
    free(refs);
    assert_int_equal(n, r.refs);
    assert_int_equal(n, r.hits + r.faults);
    assert_int_equal(r.faults - r.n_resident, r.evictions);
    for (size_t i = 1; i < r.n_resident; i++)
        assert_true(r.resident[i - 1] < r.resident[i]);
    return r;
}

static uint64_t replay_faults(const char *name, uint64_t frames, const uint64_t *pages, size_t n)
{
    vml_policy_result r = simulate(name, frames, pages, n);
    uint64_t faults = r.faults;

    vml_policy_result_free(&r);
    return faults;
}

static void assert_resident(const vml_policy_result *r, const uint64_t *want, size_t n)
{
    assert_int_equal(n, r->n_resident);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(want[i], r->resident[i]);
}

/* ---- known results ------------------------------------------------------ */

static void fifo_shows_beladys_anomaly(void **state)
{
    (void)state;
    /* Belady: FIFO takes more faults with more frames on this string.
    ** 3 frames: 1 2 3 4(-1) 1(-2) 2(-3) 5(-4) 1 2 3(-1) 4(-2) 5 = 9.
    ** 4 frames: 1 2 3 4 1 2 5(-1) 1(-2) 2(-3) 3(-4) 4(-5) 5(-1) = 10. */
    assert_int_equal(9, replay_faults("fifo", 3, belady, N_OF(belady)));
    assert_int_equal(10, replay_faults("fifo", 4, belady, N_OF(belady)));
}

static void lru_evicts_the_least_recently_used(void **state)
{
    static const uint64_t end3[] = { 3, 4, 5 }, end4[] = { 2, 3, 4, 5 };
    vml_policy_result r;

    (void)state;
    /* 3 frames: 1 2 3 4(-1) 1(-2) 2(-3) 5(-4) 1 2 3(-5) 4(-1) 5(-2) = 10. */
    r = simulate("lru", 3, belady, N_OF(belady));
    assert_int_equal(10, r.faults);
    assert_resident(&r, end3, N_OF(end3));
    vml_policy_result_free(&r);
    /* 4 frames: 1 2 3 4 1 2 5(-3) 1 2 3(-4) 4(-5) 5(-1) = 8: no anomaly. */
    r = simulate("lru", 4, belady, N_OF(belady));
    assert_int_equal(8, r.faults);
    assert_resident(&r, end4, N_OF(end4));
    vml_policy_result_free(&r);
}

static void mru_evicts_the_most_recently_used(void **state)
{
    static const uint64_t end[] = { 3, 4, 5 };
    vml_policy_result r;

    (void)state;
    /* 1 2 3 4(-3) 1 2 5(-2) 1 2(-1) 3(-2) 4 5: 7 faults, 5 hits. */
    r = simulate("mru", 3, belady, N_OF(belady));
    assert_int_equal(7, r.faults);
    assert_int_equal(5, r.hits);
    assert_resident(&r, end, N_OF(end));
    vml_policy_result_free(&r);
}

static void mru_beats_lru_on_a_loop_larger_than_memory(void **state)
{
    static const uint64_t loop[] = { 1, 2, 3, 4, 1, 2, 3, 4, 1, 2, 3, 4 };

    (void)state;
    /* LRU always evicts the page the loop needs next: every reference
    ** faults.  MRU: 1 2 3 4(-3) 1 2 3(-2) 4 1 2(-1) 3 4 = 6. */
    assert_int_equal(12, replay_faults("lru", 3, loop, N_OF(loop)));
    assert_int_equal(6, replay_faults("mru", 3, loop, N_OF(loop)));
}

/* 1 2 3 2 4 1 5 2 with 3 frames: the two CLOCKs differ only in whether
** the load of a page counts as a reference. */
static const uint64_t second_chance[] = { 1, 2, 3, 2, 4, 1, 5, 2 };

static void clock_sets_the_reference_bit_on_load(void **state)
{
    static const uint64_t end[] = { 1, 2, 5 };
    vml_policy_result r;

    (void)state;
    /* Circle from the hand, * = bit set:
    **   1 2 3     -> 1* 2* 3*          3 faults
    **   2 (hit)   -> 1* 2* 3*
    **   4: sweep clears 1 2 3, evicts 1  -> 2 3 4*
    **   1: evicts 2                      -> 3 4* 1*
    **   5: evicts 3                      -> 4* 1* 5*
    **   2: sweep clears 4 1 5, evicts 4  -> 1 5 2*    7 faults, 1 hit */
    r = simulate("clock", 3, second_chance, N_OF(second_chance));
    assert_int_equal(7, r.faults);
    assert_int_equal(1, r.hits);
    assert_resident(&r, end, N_OF(end));
    vml_policy_result_free(&r);
}

static void clock0_gives_a_second_chance_only_to_pages_touched_again(void **state)
{
    static const uint64_t end[] = { 1, 2, 5 };
    vml_policy_result r;

    (void)state;
    /*   1 2 3     -> 1 2 3             3 faults
    **   2 (hit)   -> 1 2* 3
    **   4: evicts 1                      -> 2* 3 4
    **   1: clears 2, evicts 3            -> 4 2 1
    **   5: evicts 4                      -> 2 1 5
    **   2 (hit)                          -> 2* 1 5     6 faults, 2 hits */
    r = simulate("clock0", 3, second_chance, N_OF(second_chance));
    assert_int_equal(6, r.faults);
    assert_int_equal(2, r.hits);
    assert_resident(&r, end, N_OF(end));
    vml_policy_result_free(&r);
}

static void opt_evicts_the_page_used_farthest_ahead(void **state)
{
    static const uint64_t end[] = { 2, 4, 5 };
    vml_policy_result r;

    (void)state;
    /* 1 2 3 4: next uses 1@4 2@5 3@9: evict 3.  1 2 hit.
    ** 5: 1@7 2@8 4@10: evict 4.  1 2 hit.
    ** 3: 1 and 2 never again, a tie: the lowest slot (1, in frame 0) goes.
    ** 4: 2 and 3 never again: 3 (now in frame 0) goes.  5 hits.  7 faults. */
    r = simulate("opt", 3, belady, N_OF(belady));
    assert_int_equal(7, r.faults);
    assert_resident(&r, end, N_OF(end));
    vml_policy_result_free(&r);
}

static void textbook_string_gives_the_textbook_numbers(void **state)
{
    (void)state;
    /* Silberschatz, Galvin, Gagne, "Page Replacement": 3 frames. */
    assert_int_equal(15, replay_faults("fifo", 3, textbook, N_OF(textbook)));
    assert_int_equal(12, replay_faults("lru", 3, textbook, N_OF(textbook)));
    assert_int_equal(9, replay_faults("opt", 3, textbook, N_OF(textbook)));
}

static void cold_misses_are_faults_and_more_frames_than_pages_never_evict(void **state)
{
    static const uint64_t pages[] = { 5, UINT64_MAX, 0, 5, 0 };
    static const uint64_t end[] = { 0, 5, UINT64_MAX };
    vml_policy_result r;

    (void)state;
    for (unsigned p = 0; p < VML_N_POLICIES; p++) {
        if (p == VML_POLICY_WS)
            continue;
        r = simulate(vml_policy_name((vml_policy)p), UINT64_MAX, pages, N_OF(pages));
        assert_int_equal(3, r.faults);
        assert_int_equal(0, r.evictions);
        assert_resident(&r, end, N_OF(end));
        vml_policy_result_free(&r);
    }
}

static void empty_string_gives_an_empty_result(void **state)
{
    vml_policy_result r;

    (void)state;
    assert_int_equal(VML_OK, vml_policy_simulate(VML_POLICY_OPT, 3, NULL, 0, &r));
    assert_int_equal(0, r.refs);
    assert_int_equal(0, r.faults);
    assert_null(r.resident);
    assert_int_equal(0, r.n_resident);
    vml_policy_result_free(&r);
}

/* ---- write-backs --------------------------------------------------------- */

static void writebacks_count_only_dirty_victims(void **state)
{
    /* One frame: every new page evicts the previous one. */
    static const vml_ref refs[] = {
        { 1, 1 },   /* 1 written                                      */
        { 2, 0 },   /* evicts 1: dirty, a write-back                  */
        { 1, 0 },   /* evicts 2: clean; 1 comes back clean            */
        { 2, 0 },   /* evicts 1: clean now, no write-back             */
        { 2, 1 },   /* a hit that writes: 2 dirty                     */
        { 3, 0 },   /* evicts 2: a write-back                         */
        { 3, 1 },   /* 3 dirty, but still resident at the end: none   */
    };
    vml_policy_result r;

    (void)state;
    assert_int_equal(VML_OK, vml_policy_simulate(VML_POLICY_FIFO, 1, refs, N_OF(refs), &r));
    assert_int_equal(5, r.faults);
    assert_int_equal(4, r.evictions);
    assert_int_equal(2, r.writebacks);
    assert_int_equal(1, r.n_resident);
    assert_int_equal(3, r.resident[0]);
    vml_policy_result_free(&r);
}

/* ---- properties on random strings ------------------------------------------ */

static uint64_t rng_next(uint64_t *s)   /* xorshift64* */
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 0x2545f4914f6cdd1dull;
}

/* A random string over n_pages pages, with some locality: half of the
** references repeat one of the last few. */
static void random_string(uint64_t *seed, uint64_t *pages, size_t n, uint64_t n_pages)
{
    for (size_t i = 0; i < n; i++) {
        if (i >= 4 && rng_next(seed) % 2 == 0)
            pages[i] = pages[i - 1 - rng_next(seed) % 4];
        else
            pages[i] = rng_next(seed) % n_pages * 0x1000;   /* not dense */
    }
}

static void opt_is_never_worse_than_any_policy(void **state)
{
    uint64_t seed = 0x9e3779b97f4a7c15ull, pages[300];

    (void)state;
    for (unsigned trial = 0; trial < 200; trial++) {
        size_t n = 1 + rng_next(&seed) % N_OF(pages);
        uint64_t n_pages = 1 + rng_next(&seed) % 24;
        random_string(&seed, pages, n, n_pages);
        for (uint64_t frames = 1; frames <= 10; frames++) {
            uint64_t opt = replay_faults("opt", frames, pages, n);
            for (unsigned p = 0; p < VML_N_POLICIES; p++) {
                if (p == VML_POLICY_WS || p == VML_POLICY_OPT)
                    continue;
                uint64_t other = replay_faults(vml_policy_name((vml_policy)p), frames, pages, n);
                if (opt > other)
                    fail_msg("trial %u, %llu frames: opt %llu faults, %s %llu", trial,
                             (unsigned long long)frames, (unsigned long long)opt,
                             vml_policy_name((vml_policy)p), (unsigned long long)other);
            }
        }
    }
}

/* LRU and OPT are stack algorithms: the pages resident with k frames are
** also resident with k+1, so more frames never means more faults. */
static void lru_and_opt_never_fault_more_with_more_frames(void **state)
{
    static const char *const stack[] = { "lru", "opt" };
    uint64_t seed = 42, pages[200];

    (void)state;
    for (unsigned trial = 0; trial < 100; trial++) {
        size_t n = 1 + rng_next(&seed) % N_OF(pages);
        random_string(&seed, pages, n, 1 + rng_next(&seed) % 16);
        for (size_t s = 0; s < N_OF(stack); s++) {
            uint64_t prev = UINT64_MAX;
            for (uint64_t frames = 1; frames <= 12; frames++) {
                uint64_t faults = replay_faults(stack[s], frames, pages, n);
                assert_true(faults <= prev);
                prev = faults;
            }
        }
    }
}

/* ---- the contract, against a model of each policy ---------------------------- */

#define MODEL_MAX 32

/* The O(n) model: each policy as its textbook definition over an array.
** CLOCK keeps an explicit ring with a hand index. */
struct model {
    vml_policy policy;
    uint64_t   capacity;
    int        resident[MODEL_MAX];
    uint64_t   loaded[MODEL_MAX], used[MODEL_MAX], next_use[MODEL_MAX];
    int        ref[MODEL_MAX];
    uint32_t   ring[MODEL_MAX];   /* CLOCK: resident slots in hand order */
    size_t     n_ring, hand;
    uint64_t   now;
};

static void model_insert(struct model *m, uint32_t slot, uint64_t next_use)
{
    m->resident[slot] = 1;
    m->loaded[slot] = m->used[slot] = ++m->now;
    m->next_use[slot] = next_use;
    m->ref[slot] = m->policy == VML_POLICY_CLOCK;
    /* Just behind the hand: the last slot the hand reaches. */
    memmove(&m->ring[m->hand + 1], &m->ring[m->hand], (m->n_ring - m->hand) * sizeof m->ring[0]);
    m->ring[m->hand] = slot;
    m->n_ring++;
    if (m->n_ring > 1)
        m->hand++;
}

static void model_access(struct model *m, uint32_t slot, uint64_t next_use)
{
    m->used[slot] = ++m->now;
    m->next_use[slot] = next_use;
    m->ref[slot] = 1;
}

static void model_remove(struct model *m, uint32_t slot)
{
    size_t i = 0;

    while (m->ring[i] != slot)
        i++;
    memmove(&m->ring[i], &m->ring[i + 1], (m->n_ring - i - 1) * sizeof m->ring[0]);
    m->n_ring--;
    if (i < m->hand)
        m->hand--;
    if (m->hand == m->n_ring)
        m->hand = 0;
    m->resident[slot] = 0;
}

static uint32_t model_victim(struct model *m)
{
    uint32_t best = UINT32_MAX;

    if (m->policy == VML_POLICY_CLOCK || m->policy == VML_POLICY_CLOCK0) {
        while (m->ref[m->ring[m->hand]]) {
            m->ref[m->ring[m->hand]] = 0;
            m->hand = (m->hand + 1) % m->n_ring;
        }
        return m->ring[m->hand];
    }
    for (uint32_t s = 0; s < m->capacity; s++) {
        if (!m->resident[s])
            continue;
        if (best == UINT32_MAX)
            best = s;
        else if (m->policy == VML_POLICY_FIFO && m->loaded[s] < m->loaded[best])
            best = s;
        else if (m->policy == VML_POLICY_LRU && m->used[s] < m->used[best])
            best = s;
        else if (m->policy == VML_POLICY_MRU && m->used[s] > m->used[best])
            best = s;
        else if (m->policy == VML_POLICY_OPT && m->next_use[s] > m->next_use[best])
            best = s;   /* equal next_use: the lower slot, met first, stays */
    }
    return best;
}

/* A next_use from a small range, so ties happen, or POLICY_NEVER. */
static uint64_t random_next_use(uint64_t *seed)
{
    return rng_next(seed) % 5 == 0 ? POLICY_NEVER : rng_next(seed) % 8;
}

static void contract_holds_against_the_model(const struct policy_ops *ops, uint64_t seed)
{
    for (unsigned trial = 0; trial < 50; trial++) {
        struct model m = { .policy = ops->id };
        uint32_t n_resident = 0;
        void *st;

        m.capacity = 1 + rng_next(&seed) % MODEL_MAX;
        st = ops->create(m.capacity);
        assert_non_null(st);
        assert_int_equal(POLICY_NO_SLOT, ops->choose_victim(st, NULL));   /* Q1: empty */
        for (unsigned step = 0; step < 2000; step++) {
            uint32_t slot = (uint32_t)(rng_next(&seed) % m.capacity);
            uint64_t next_use = random_next_use(&seed);
            unsigned op = (unsigned)(rng_next(&seed) % 4);

            if (op == 0 && !m.resident[slot]) {              /* Q2 */
                ops->on_insert(st, slot, 1000 + slot, next_use, 0);
                model_insert(&m, slot, next_use);
                n_resident++;
            } else if (op == 1 && m.resident[slot]) {
                ops->on_access(st, slot, next_use, 0);
                model_access(&m, slot, next_use);
            } else if (op == 2 && m.resident[slot]) {        /* any slot, any time */
                ops->on_remove(st, slot);
                model_remove(&m, slot);
                n_resident--;
            } else if (op == 3 && n_resident > 0) {
                uint32_t victim = ops->choose_victim(st, NULL);
                uint32_t want = model_victim(&m);
                if (victim != want)
                    fail_msg("%s: trial %u step %u: victim slot %u, model says %u",
                             vml_policy_name(ops->id), trial, step, victim, want);
                assert_true(m.resident[victim]);               /* Q1 */
                if (rng_next(&seed) % 2 == 0) {                /* the caller evicts it */
                    ops->on_remove(st, victim);
                    model_remove(&m, victim);
                    n_resident--;
                }
            } else if (op == 3) {                              /* Q1: none left */
                assert_int_equal(POLICY_NO_SLOT, ops->choose_victim(st, NULL));
            }
        }
        ops->destroy(st);
    }
}

/* The textbook six; test_policies.c holds the models of the others. */
static void textbook_policies_keep_the_contract(void **state)
{
    static const vml_policy modelled[] = { VML_POLICY_FIFO, VML_POLICY_LRU, VML_POLICY_MRU,
                                           VML_POLICY_CLOCK, VML_POLICY_CLOCK0, VML_POLICY_OPT };

    (void)state;
    assert_null(policy_find(VML_POLICY_WS));
    for (size_t i = 0; i < N_OF(modelled); i++) {
        const struct policy_ops *ops = policy_find(modelled[i]);
        assert_non_null(ops);
        assert_int_equal(modelled[i], ops->id);
        contract_holds_against_the_model(ops, 1000 + modelled[i]);
    }
}

/* The machine uses PFNs as slots: 2^28 of them must be cheap to set up
** (calloc'ed arrays: host memory only for the slots touched).  FIFO's
** slot list is also LRU's, MRU's and CLOCK's; OPT has its heap. */
static void state_for_2_to_the_28_slots_is_allocated_lazily(void **state)
{
    static const struct policy_ops *const each_structure[] = { &policy_fifo, &policy_opt };
    const uint64_t capacity = (uint64_t)1 << 28;
    const uint32_t last = (uint32_t)(capacity - 1);

    (void)state;
    for (size_t i = 0; i < N_OF(each_structure); i++) {
        const struct policy_ops *ops = each_structure[i];
        void *st = ops->create(capacity);
        assert_non_null(st);
        ops->on_insert(st, last, 1, 7, 0);
        ops->on_insert(st, 0, 2, 3, 0);
        ops->on_access(st, last, 9, 0);
        ops->on_remove(st, 0);
        assert_int_equal(last, ops->choose_victim(st, NULL));
        ops->destroy(st);
        assert_null(ops->create(POLICY_NO_SLOT));   /* the first capacity refused */
    }
    assert_null(policy_fifo.create((uint64_t)1 << 32));   /* slot ids are 32-bit */
    assert_null(policy_opt.create(0));
}

/* ---- names and refusals ------------------------------------------------------ */

static void names_parse_back_to_their_policy(void **state)
{
    vml_policy p;

    (void)state;
    for (unsigned i = 0; i < VML_N_POLICIES; i++) {
        assert_int_equal(VML_OK, vml_policy_parse(vml_policy_name((vml_policy)i), &p));
        assert_int_equal(i, p);
        assert_true(strlen(vml_policy_desc((vml_policy)i)) > 0);
    }
    assert_string_equal("lru", vml_policy_name(VML_POLICY_LRU));
    assert_string_equal("?", vml_policy_name(VML_N_POLICIES));
    assert_string_equal("?", vml_policy_desc((vml_policy)-1));
    assert_int_equal(VML_E_NOT_FOUND, vml_policy_parse("lru3", &p));
    assert_int_equal(VML_E_NOT_FOUND, vml_policy_parse("", &p));
    assert_int_equal(VML_E_INVALID, vml_policy_parse(NULL, &p));
    assert_int_equal(VML_E_INVALID, vml_policy_parse("lru", NULL));
}

static void bad_arguments_are_refused_and_leave_a_zeroed_result(void **state)
{
    static const vml_ref refs[] = { { 1, 0 }, { 2, 0 } };
    vml_policy_result r;

    (void)state;
    assert_int_equal(VML_E_INVALID, vml_policy_simulate(VML_POLICY_LRU, 0, refs, 2, &r));
    assert_null(r.resident);
    assert_int_equal(0, r.refs);
    assert_int_equal(VML_E_INVALID, vml_policy_simulate(VML_POLICY_LRU, 1, NULL, 2, &r));
    assert_int_equal(VML_E_INVALID, vml_policy_simulate(VML_POLICY_LRU, 1, refs, 2, NULL));
    assert_int_equal(VML_E_INVALID, vml_policy_simulate(VML_N_POLICIES, 1, refs, 2, &r));
    assert_int_equal(VML_E_INVALID, vml_policy_simulate((vml_policy)-1, 1, refs, 2, &r));
    /* The working-set manager belongs to the machine. */
    assert_int_equal(VML_E_UNSUPPORTED, vml_policy_simulate(VML_POLICY_WS, 1, refs, 2, &r));
    assert_int_equal(0, r.faults);
    vml_policy_result_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(fifo_shows_beladys_anomaly),
        cmocka_unit_test(lru_evicts_the_least_recently_used),
        cmocka_unit_test(mru_evicts_the_most_recently_used),
        cmocka_unit_test(mru_beats_lru_on_a_loop_larger_than_memory),
        cmocka_unit_test(clock_sets_the_reference_bit_on_load),
        cmocka_unit_test(clock0_gives_a_second_chance_only_to_pages_touched_again),
        cmocka_unit_test(opt_evicts_the_page_used_farthest_ahead),
        cmocka_unit_test(textbook_string_gives_the_textbook_numbers),
        cmocka_unit_test(cold_misses_are_faults_and_more_frames_than_pages_never_evict),
        cmocka_unit_test(empty_string_gives_an_empty_result),
        cmocka_unit_test(writebacks_count_only_dirty_victims),
        cmocka_unit_test(opt_is_never_worse_than_any_policy),
        cmocka_unit_test(lru_and_opt_never_fault_more_with_more_frames),
        cmocka_unit_test(textbook_policies_keep_the_contract),
        cmocka_unit_test(state_for_2_to_the_28_slots_is_allocated_lazily),
        cmocka_unit_test(names_parse_back_to_their_policy),
        cmocka_unit_test(bad_arguments_are_refused_and_leave_a_zeroed_result),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
