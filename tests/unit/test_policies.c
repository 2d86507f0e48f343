/*
** test_policies.c -- the policies after the textbook six (LFU, ARC, 2Q,
** LRU-2, CLOCK-Pro, SIEVE, S3-FIFO, WSClock, NRU, aging, RANDOM,
** clean-first OPT): small cases worked by hand below; each policy against
** its reference model (policy_models.h, the definition written plainly)
** on many random and adversarial strings, with exact fault, hit and
** write-back counts and the final resident pages; clean-first OPT's
** promise (OPT's faults, no more write-backs); the contract of policy.h
** for every policy on random operation sequences, including the
** machine's (pages freed at any time, victims for no page); every policy
** a machine can run, running one.
*/
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/policy.h"
#include "policy_models.h"

#define N_OF(a) (sizeof (a) / sizeof (a)[0])

static vml_policy policy_named(const char *name)
{
    vml_policy p;

    assert_int_equal(VML_OK, vml_policy_parse(name, &p));
    return p;
}

static vml_policy_result simulate(const char *name, uint64_t frames, const vml_ref *refs, size_t n)
{
    vml_policy_result r;

    assert_int_equal(VML_OK, vml_policy_simulate(policy_named(name), frames, refs, n, &r));
    assert_int_equal(n, r.hits + r.faults);
    assert_int_equal(r.faults - r.n_resident, r.evictions);
    return r;
}

/* "1 2w 3": pages with an optional w for a write. */
static size_t parse_refs(const char *s, vml_ref *refs, size_t max)
{
    size_t n = 0;
    char *end;

    while (*s != '\0') {
        if (*s == ' ') {
            s++;
            continue;
        }
        assert_true(n < max);
        refs[n].page = strtoull(s, &end, 10);
        refs[n].write = *end == 'w';
        s = end + (*end == 'w');
        n++;
    }
    return n;
}

struct counts {
    uint64_t faults, writebacks;
};

static struct counts run_str(const char *name, uint64_t frames, const char *str)
{
    vml_ref refs[256];
    size_t n = parse_refs(str, refs, N_OF(refs));
    vml_policy_result r = simulate(name, frames, refs, n);
    struct counts c = { r.faults, r.writebacks };

    vml_policy_result_free(&r);
    return c;
}

/* ---- small cases, worked by hand ------------------------------------------- */

static void lfu_keeps_the_page_used_most_and_breaks_ties_by_recency(void **state)
{
    (void)state;
    /* 2 frames.  1 1 1 2: 1 counted 3, 2 once.  3 evicts 2 (the fewest);
    ** 2 comes back and evicts 3 (1 against 1's 3); 4 evicts 2 again.
    ** 1 never leaves.  Faults: 1 2 3 2 4 = 5. */
    assert_int_equal(5, run_str("lfu", 2, "1 1 1 2 3 2 4").faults);
    /* A tie: 1 and 2 once each; 2 was touched more recently (its load),
    ** so 1 reached count 1 first and goes: then 1 faults again. */
    assert_int_equal(4, run_str("lfu", 2, "1 2 3 1").faults);
}

static void arc_remembers_evicted_pages_and_keeps_the_reused_ones(void **state)
{
    (void)state;
    /* 2 frames, p = 0.  1 2 fill T1.  3: |T1| + |B1| = 2 = c, B1 empty:
    ** 1 leaves unremembered; T1 = 2 3.  2 (hit) -> T2.  4: case IV.B
    ** (|L1| = 1 < 2, total 2 >= 2), REPLACE: |T1| = 1 > p: 3 -> B1.
    ** 3 (ghost in B1): p = 1, REPLACE: |T1| = 1 == p, 3 not in B2:
    ** T2's LRU 2 -> B2; 3 -> T2.  2 (in B2): p = 0, REPLACE: |T1| = 1 > 0:
    ** 4 -> B1; 2 -> T2.  Faults: 1 2 3 4 3 2 = 6. */
    assert_int_equal(6, run_str("arc", 2, "1 2 3 2 4 3 2").faults);
}

static void twoq_lets_a_scan_pass_through_a1in_without_flushing_am(void **state)
{
    (void)state;
    /* 4 frames: Kin 1, Kout 2.  1 2 3 4 fill A1in.  5: |A1in| 4 > 1:
    ** 1 -> A1out.  1 (in A1out) -> Am, evicting 2 (-> A1out; 1 left).
    ** Then a scan 6 7 8 9 goes through A1in; 1 in Am is never the
    ** victim while A1in holds more than Kin pages: the final 1 hits. */
    struct counts c = run_str("2q", 4, "1 2 3 4 5 1 6 7 8 9 1");
    assert_int_equal(10, c.faults);
}

static void lru2_evicts_the_page_with_the_oldest_second_reference(void **state)
{
    (void)state;
    /* 2 frames.  1 1 2 2: HIST2(1) = 1, HIST2(2) = 3.  3: 1 has the older
    ** second reference (larger backward 2-distance): 1 goes.  2 hits;
    ** 1 faults again, evicting 3 (one reference: infinite distance). */
    assert_int_equal(4, run_str("lru2", 2, "1 1 2 2 3 2 1").faults);
}

static void sieve_keeps_visited_pages_in_place(void **state)
{
    (void)state;
    /* 3 frames.  1 2 3, 1 hit (visited).  4: the hand from the oldest:
    ** 1 visited -> cleared, 2 unvisited: evicted; hand stays at 3's side.
    ** 2: hand at 3 (unvisited): evicted.  1 hits.  Faults 1 2 3 4 2 = 5. */
    assert_int_equal(5, run_str("sieve", 3, "1 2 3 1 4 2 1").faults);
}

static void s3fifo_sends_one_hit_wonders_out_through_the_small_queue(void **state)
{
    char s[512] = "";

    (void)state;
    /* 10 frames: S's share 1 page.  Pages 1..9 are each hit twice after
    ** loading; then a scan of 20 new pages.  Each scan page enters S and
    ** leaves it next fault (one hit at most), while 1..9 moved to M when
    ** S made room and stay: the last pass over 1..9 hits every page. */
    for (int p = 1; p <= 9; p++)
        snprintf(s + strlen(s), sizeof s - strlen(s), "%d %d %d ", p, p, p);
    for (int p = 100; p < 120; p++)
        snprintf(s + strlen(s), sizeof s - strlen(s), "%d ", p);
    for (int p = 1; p <= 9; p++)
        snprintf(s + strlen(s), sizeof s - strlen(s), "%d ", p);
    assert_int_equal(9 + 20, run_str("s3fifo", 10, s).faults);
}

static void wsclock_evicts_the_oldest_when_all_are_in_the_working_set(void **state)
{
    (void)state;
    /* 2 frames, tau 2.  1w 2w at times 0 1 (R set).  3 at time 2: the
    ** hand clears R of 1 and 2 (last use 2); nothing old: a full turn, no
    ** write: the oldest last use -- a tie, the first from the hand: 1,
    ** dirty: a write-back.  4 at 3: 2 (R clear, age 1 <= 2) passes, 3
    ** (R set) cleared; the oldest: 2 (last 2), dirty: a write-back.
    ** 5 at 4: 3 R clear (cleared at 3, age 1), 4 R set -> cleared; oldest
    ** 3 (last 3).  Faults 5, write-backs 2. */
    struct counts c = run_str("wsclock", 2, "1w 2w 3 4 5");
    assert_int_equal(5, c.faults);
    assert_int_equal(2, c.writebacks);
}

static void wsclock_writes_an_old_dirty_page_back_and_evicts_an_old_clean_one(void **state)
{
    vml_ref refs[16];
    size_t n = parse_refs("3 1w 2 4 4 4 4 5", refs, N_OF(refs));
    vml_policy_result r;

    (void)state;
    /* 3 frames, tau 3.  3 1w 2 fill frames 0 1 2 at times 0 1 2.  4 at
    ** time 3: the hand clears every R (last use 3), finds nothing old and
    ** evicts the oldest from the hand, 3; the hand moves to frame 1.  4 4
    ** 4 are hits.  5 at time 7: frame 1 (1w): R clear, age 4 > 3, dirty:
    ** written back and passed; frame 2 (2): old and clean: the victim.
    ** 1 stays resident, clean: its write-back was the hand's, not an
    ** eviction's. */
    r = simulate("wsclock", 3, refs, n);
    assert_int_equal(5, r.faults);
    assert_int_equal(1, r.writebacks);
    assert_int_equal(3, r.n_resident);
    assert_int_equal(1, r.resident[0]);
    vml_policy_result_free(&r);
}

static void nru_prefers_a_clean_unreferenced_page(void **state)
{
    (void)state;
    /* 2 frames, R cleared every 2 references.  1w 2: refresh, 1 is class
    ** 1 (dirty), 2 class 0.  3 evicts 2 (class 0) though 1 was loaded
    ** first; 1w stays: no write-back yet. */
    struct counts c = run_str("nru", 2, "1w 2 3 1");
    assert_int_equal(3, c.faults);
    assert_int_equal(0, c.writebacks);
}

static void aging_evicts_the_lowest_counter(void **state)
{
    (void)state;
    /* 2 frames, a tick every 2 references.  1 2: tick, counters 128 128.
    ** 1 (R), 3: 2 has (R 0, 128) < 1's (R 1, 128): 2 goes; tick: 1 192,
    ** 3 128.  2: 3 goes (128 < 192).  1 hits.  Faults 1 2 3 2 = 4. */
    assert_int_equal(4, run_str("aging", 2, "1 2 1 3 2 1").faults);
}

static void random_is_the_same_on_every_run(void **state)
{
    vml_ref refs[200];
    uint64_t first;

    (void)state;
    for (size_t i = 0; i < N_OF(refs); i++)
        refs[i] = (vml_ref){ .page = (i * 7919) % 37, .write = 0 };
    vml_policy_result r = simulate("random", 8, refs, N_OF(refs));
    first = r.faults;
    vml_policy_result_free(&r);
    r = simulate("random", 8, refs, N_OF(refs));
    assert_int_equal(first, r.faults);
    vml_policy_result_free(&r);
}

static void clockpro_turns_a_page_reused_in_its_test_period_hot(void **state)
{
    (void)state;
    /* 3 frames, mc 1: warm-up makes 1 and 2 hot, 3 cold in test.
    ** 4 evicts 3 (cold, bit clear), which stays as a non-resident page in
    ** its test period; 4 comes in cold, in test.  3 again: 4 is evicted
    ** (kept non-resident), and 3, faulted in its test period, is promoted:
    ** mc rises to 2, so one hot page at most: HANDhot demotes 1 and 2
    ** (bits clear) and 3 comes back hot.  2 is still resident (cold) and
    ** hits.  Faults 1 2 3 4 3 = 5. */
    assert_int_equal(5, run_str("clockpro", 3, "1 2 3 4 3 2").faults);
}

static void optclean_evicts_a_clean_dead_page_before_a_dirty_one(void **state)
{
    (void)state;
    /* 2 frames.  1w and 2 are never used again when 3 arrives: OPT takes
    ** the lowest frame, 1, dirty: a write-back; clean-first takes 2.
    ** When 4 arrives, 3 is dead too: OPT evicts 3 (frame 0, clean);
    ** clean-first evicts 3 as well, the clean one, and 1w stays to the
    ** end, never written back.  Same faults, one write-back less. */
    struct counts opt = run_str("opt", 2, "1w 2 3 3 4 4");
    struct counts clean = run_str("optclean", 2, "1w 2 3 3 4 4");
    assert_int_equal(opt.faults, clean.faults);
    assert_int_equal(1, opt.writebacks);
    assert_int_equal(0, clean.writebacks);
}

/* ---- against the reference models ------------------------------------------- */

struct model {
    const char *name;
    size_t      size;
    mstep       step;
};

static const struct model models[] = {
    { "lfu", sizeof(struct m_lfu), m_lfu },
    { "arc", sizeof(struct m_arc), m_arc },
    { "2q", sizeof(struct m_2q), m_2q },
    { "lru2", sizeof(struct m_lru2), m_lru2 },
    { "clockpro", sizeof(struct m_cp), m_cp },
    { "sieve", sizeof(struct m_sieve), m_sieve },
    { "s3fifo", sizeof(struct m_s3), m_s3 },
    { "wsclock", sizeof(struct m_ws), m_ws },
    { "nru", sizeof(struct m_nru), m_nru },
    { "aging", sizeof(struct m_aging), m_aging },
    { "random", sizeof(struct m_random), m_random },
    { "optclean", 1, m_optclean },
};

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

    return (x > y) - (x < y);
}

/* Runs name and its model on refs with frames frames; every count and
** the resident pages must agree. */
static void check_against_model(const struct model *md, uint64_t frames, const vml_ref *refs,
                                size_t n, const char *what)
{
    struct mrun mr = { .refs = refs, .n = n };
    vml_policy_result r = simulate(md->name, frames, refs, n);
    void *m = calloc(1, md->size);

    mr.cap = frames < n ? frames : (n > 0 ? n : 1);
    mr.page = calloc(mr.cap, sizeof mr.page[0]);
    mr.dirty = calloc(mr.cap, sizeof mr.dirty[0]);
    assert_non_null(m);
    assert_non_null(mr.page);
    assert_non_null(mr.dirty);
    mr_run(&mr, m, md->step);
    qsort(mr.page, mr.used, sizeof mr.page[0], cmp_u64);
    if (r.faults != mr.faults || r.writebacks != mr.writebacks || r.n_resident != mr.used
        || memcmp(r.resident, mr.page, mr.used * sizeof mr.page[0]) != 0)
        fail_msg("%s, %s, %llu frames, %zu refs: faults %llu (model %llu), write-backs %llu "
                 "(model %llu), %zu resident (model %llu)", md->name, what,
                 (unsigned long long)frames, n, (unsigned long long)r.faults,
                 (unsigned long long)mr.faults, (unsigned long long)r.writebacks,
                 (unsigned long long)mr.writebacks, r.n_resident, (unsigned long long)mr.used);
    vml_policy_result_free(&r);
    free(mr.page);
    free(mr.dirty);
    free(m);
}

static uint64_t rng_next(uint64_t *s)   /* xorshift64* */
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 0x2545f4914f6cdd1dull;
}

/* Random strings of several shapes; writes with probability wr/8. */
static size_t gen_string(uint64_t *seed, vml_ref *refs, size_t max, unsigned shape, unsigned wr)
{
    size_t n = 1 + rng_next(seed) % max;
    uint64_t pages = 1 + rng_next(seed) % 40;

    for (size_t i = 0; i < n; i++) {
        uint64_t p;
        switch (shape) {
        case 0:                           /* locality: repeat one of the last few */
            p = i >= 4 && rng_next(seed) % 2 ? refs[i - 1 - rng_next(seed) % 4].page
                                             : rng_next(seed) % pages;
            break;
        case 1: {                         /* skewed: u^3 */
            double u = (double)(rng_next(seed) >> 11) / 9007199254740992.0;
            p = (uint64_t)((double)pages * u * u * u);
            break;
        }
        case 2:                           /* a hot set, and a scan through it */
            p = rng_next(seed) % 3 ? rng_next(seed) % 4 : 1000 + i;
            break;
        default:                          /* phases: working sets that move */
            p = (i / 50) * 7 + rng_next(seed) % 9;
            break;
        }
        refs[i].page = p * 0x1000 + 3;    /* keys are not dense */
        refs[i].write = rng_next(seed) % 8 < wr;
    }
    return n;
}

static void every_policy_matches_its_model_on_random_strings(void **state)
{
    static const uint64_t frames[] = { 1, 2, 3, 4, 5, 7, 10, 16, 23 };
    uint64_t seed = 0x5eed5eed1234ull;
    static vml_ref refs[600];

    (void)state;
    for (unsigned trial = 0; trial < 48; trial++) {
        size_t n = gen_string(&seed, refs, N_OF(refs), trial % 4, trial % 5);
        char what[64];
        snprintf(what, sizeof what, "random trial %u", trial);
        for (size_t m = 0; m < N_OF(models); m++)
            for (size_t f = 0; f < N_OF(frames); f++)
                check_against_model(&models[m], frames[f], refs, n, what);
    }
}

/* Loops of k pages (LRU's worst case when k > frames), sawtooth, a scan
** through a loop, Belady's and the textbook string, with writes. */
static size_t adversarial(unsigned kind, uint64_t k, vml_ref *refs, size_t max)
{
    static const uint64_t belady[] = { 1, 2, 3, 4, 1, 2, 5, 1, 2, 3, 4, 5 };
    static const uint64_t textbook[] = { 7, 0, 1, 2, 0, 3, 0, 4, 2, 3,
                                         0, 3, 2, 1, 2, 0, 1, 7, 0, 1 };
    size_t n = 0;

    for (unsigned rep = 0; n < max && rep < 6; rep++) {
        switch (kind) {
        case 0:
            for (uint64_t p = 0; p < k && n < max; p++)
                refs[n++] = (vml_ref){ p, p % 3 == 0 };
            break;
        case 1:
            for (uint64_t p = 0; p < k && n < max; p++)
                refs[n++] = (vml_ref){ p, 0 };
            for (uint64_t p = k; p-- > 0 && n < max;)
                refs[n++] = (vml_ref){ p, rep % 2 };
            break;
        case 2:
            for (uint64_t p = 0; p < k && n < max; p++) {
                refs[n++] = (vml_ref){ p % 3, 1 };
                if (n < max)
                    refs[n++] = (vml_ref){ 100 + rep * k + p, 0 };
            }
            break;
        case 3:
            for (size_t i = 0; i < N_OF(belady) && n < max; i++)
                refs[n++] = (vml_ref){ belady[i] + rep % 2, (i + rep) % 4 == 0 };
            break;
        default:
            for (size_t i = 0; i < N_OF(textbook) && n < max; i++)
                refs[n++] = (vml_ref){ textbook[i], i % 5 == 0 };
            break;
        }
    }
    return n;
}

static void every_policy_matches_its_model_on_adversarial_strings(void **state)
{
    static vml_ref refs[400];

    (void)state;
    for (unsigned kind = 0; kind < 5; kind++)
        for (uint64_t frames = 1; frames <= 12; frames++)
            for (uint64_t k = frames > 1 ? frames - 1 : 1; k <= 2 * frames + 1; k++) {
                size_t n = adversarial(kind, k, refs, N_OF(refs));
                char what[64];
                snprintf(what, sizeof what, "adversarial kind %u, k %llu", kind,
                         (unsigned long long)k);
                for (size_t m = 0; m < N_OF(models); m++)
                    check_against_model(&models[m], frames, refs, n, what);
            }
}

/* S3-FIFO's 10%, 2Q's quarters, CLOCK-Pro's 1%: larger memories. */
static void every_policy_matches_its_model_with_larger_memories(void **state)
{
    static const uint64_t frames[] = { 20, 30, 47, 100, 150 };
    uint64_t seed = 77;
    static vml_ref refs[3000];

    (void)state;
    for (unsigned trial = 0; trial < 8; trial++) {
        size_t n = gen_string(&seed, refs, N_OF(refs), trial % 4, 2);
        for (size_t i = 0; i < n; i++)
            refs[i].page = refs[i].page * 7 % 211 + (trial % 2 ? i / 200 * 50 : 0);
        for (size_t m = 0; m < N_OF(models); m++)
            for (size_t f = 0; f < N_OF(frames); f++)
                check_against_model(&models[m], frames[f], refs, n, "larger memory");
    }
}

static void optclean_takes_opts_faults_and_no_more_write_backs(void **state)
{
    uint64_t seed = 4242;
    static vml_ref refs[400];

    (void)state;
    for (unsigned trial = 0; trial < 200; trial++) {
        size_t n = gen_string(&seed, refs, N_OF(refs), trial % 4, 1 + trial % 7);
        for (uint64_t frames = 1; frames <= 10; frames++) {
            vml_policy_result o = simulate("opt", frames, refs, n);
            vml_policy_result c = simulate("optclean", frames, refs, n);
            assert_int_equal(o.faults, c.faults);
            assert_true(c.writebacks <= o.writebacks);
            vml_policy_result_free(&o);
            vml_policy_result_free(&c);
        }
    }
}

/* ---- the contract, for every policy ------------------------------------------- */

/* Random insert/access/remove/victim sequences, some victims for no page
** (NULL, the machine), removals of any page (frees): Q1 (victims are
** resident; none with nothing resident), Q2, Q6 (written slots are
** resident), and two instances fed the same calls choose the same. */
static void contract_holds(const struct policy_ops *ops, uint64_t seed)
{
    for (unsigned trial = 0; trial < 30; trial++) {
        uint64_t capacity = 1 + rng_next(&seed) % 40;
        void *a = ops->create(capacity), *b = ops->create(capacity);
        uint8_t resident[64] = { 0 };
        uint64_t n_resident = 0, next_key = 1;

        assert_non_null(a);
        assert_non_null(b);
        assert_int_equal(POLICY_NO_SLOT, ops->choose_victim(a, NULL));   /* Q1 */
        assert_int_equal(POLICY_NO_SLOT, ops->choose_victim(b, NULL));
        for (unsigned step = 0; step < 3000; step++) {
            uint32_t slot = (uint32_t)(rng_next(&seed) % capacity);
            uint64_t next_use = rng_next(&seed) % 5 ? rng_next(&seed) % 64 : POLICY_NEVER;
            unsigned access = rng_next(&seed) % 3 == 0 ? POLICY_WRITE : 0;
            unsigned op = (unsigned)(rng_next(&seed) % 5);

            if (op <= 1 && !resident[slot]) {            /* Q2, Q4: a fresh key */
                uint64_t key = rng_next(&seed) % 4 ? next_key++ : next_key / 2 + 1000000;
                ops->on_insert(a, slot, key, next_use, access);
                ops->on_insert(b, slot, key, next_use, access);
                resident[slot] = 1;
                n_resident++;
            } else if (op == 2 && resident[slot]) {
                ops->on_access(a, slot, next_use, access);
                ops->on_access(b, slot, next_use, access);
            } else if (op == 3 && resident[slot]) {      /* a free: any page, any time */
                ops->on_remove(a, slot);
                ops->on_remove(b, slot);
                resident[slot] = 0;
                n_resident--;
            } else if (op == 4 && n_resident > 0) {
                uint64_t incoming = next_key;
                const uint64_t *in = rng_next(&seed) % 2 ? &incoming : NULL;
                uint32_t va = ops->choose_victim(a, in), vb = ops->choose_victim(b, in), w;
                if (va != vb)
                    fail_msg("%s: trial %u step %u: victims %u and %u from equal histories",
                             vml_policy_name(ops->id), trial, step, va, vb);
                assert_true(va < capacity && resident[va]);             /* Q1 */
                while (ops->next_written != NULL
                       && (w = ops->next_written(a)) != POLICY_NO_SLOT) {
                    assert_true(w < capacity && resident[w]);            /* Q6 */
                    assert_int_equal(w, ops->next_written(b));
                }
                if (rng_next(&seed) % 4) {               /* the caller evicts it */
                    ops->on_remove(a, va);
                    ops->on_remove(b, va);
                    resident[va] = 0;
                    n_resident--;
                }
            } else if (op == 4) {
                assert_int_equal(POLICY_NO_SLOT, ops->choose_victim(a, NULL));
                assert_int_equal(POLICY_NO_SLOT, ops->choose_victim(b, NULL));
            }
        }
        ops->destroy(a);
        ops->destroy(b);
    }
}

static void every_policy_keeps_the_contract(void **state)
{
    (void)state;
    for (unsigned p = 0; p < VML_N_POLICIES; p++) {
        const struct policy_ops *ops = policy_find((vml_policy)p);
        if (p == VML_POLICY_WS) {
            assert_null(ops);
            continue;
        }
        assert_non_null(ops);
        assert_int_equal(p, ops->id);
        /* Q3: only OPT and its clean-first variant need the future. */
        assert_int_equal(p == VML_POLICY_OPT || p == VML_POLICY_OPTCLEAN,
                         (ops->flags & POLICY_NEEDS_FUTURE) != 0);
        assert_null(ops->create(0));
        assert_null(ops->create(POLICY_NO_SLOT));
        contract_holds(ops, 9000 + p);
    }
}

/* The machine gives a policy one slot per frame: 2^24 of them must cost
** host memory only for what is touched. */
static void every_policy_sets_up_16m_slots_lazily(void **state)
{
    const uint64_t capacity = (uint64_t)1 << 24;
    const uint32_t last = (uint32_t)(capacity - 1);

    (void)state;
    for (unsigned p = 0; p < VML_N_POLICIES; p++) {
        const struct policy_ops *ops = policy_find((vml_policy)p);
        uint64_t key = 5;
        void *st;
        if (ops == NULL)
            continue;
        st = ops->create(capacity);
        assert_non_null(st);
        ops->on_insert(st, last, 1, 7, POLICY_WRITE);
        ops->on_insert(st, 0, 2, 3, 0);
        ops->on_access(st, last, 9, 0);
        ops->on_remove(st, 0);
        assert_int_equal(last, ops->choose_victim(st, &key));
        ops->destroy(st);
    }
}

/* ---- on a machine --------------------------------------------------------------- */

static uint64_t stat_of(vml_machine *m, vml_scope scope, unsigned id, const char *name)
{
    uint64_t v = 0;

    assert_int_equal(VML_OK, vml_stat_get(m, scope, id, name, &v));
    return v;
}

/* A machine under a global policy and the simulator agree: one process
** reads page 0, then pages 0..F twice, F being the frames left for data
** (page tables took the others): the machine's page faults are the
** simulator's on the string 0, 0..F, 0..F with F frames, for every policy
** whose choices depend neither on frame numbers nor on the memory's size
** before it first fills.  The others only run:
** NRU's and aging's ties and WSClock's circle go by frame number (PFNs on
** a machine, fill order in the simulator), their periods by the slot
** count (all the machine's frames); ARC (one fault apart here) and
** CLOCK-Pro size themselves by the memory, which a machine's page tables
** share (docs/policies.md); CLOCK-Pro's warm-up happens before it
** learns the memory's size (docs/policies.md). */
static void machine_and_simulator_agree_on_a_loop(void **state)
{
    static const char *const by_order[] = { "fifo", "lru", "mru", "clock", "clock0", "lfu",
                                            "2q", "lru2", "sieve", "s3fifo", "random",
                                            "arc", "clockpro", "nru", "aging", "wsclock" };
    const size_t n_exact = 11;

    (void)state;
    for (size_t i = 0; i < N_OF(by_order); i++) {
        vml_config cfg;
        vml_machine *m;
        vml_proc *proc;
        vml_va base;
        uint64_t frames, faults;
        static vml_ref refs[1024];
        size_t n = 0;
        uint8_t byte;
        vml_policy_result r;

        vml_config_default(&cfg);
        cfg.ram_bytes = 1 << 20;
        cfg.policy = policy_named(by_order[i]);
        assert_int_equal(VML_OK, vml_machine_create(&cfg, &m));
        assert_int_equal(VML_OK, vml_proc_create(m, "A", &proc));
        assert_int_equal(0, vml_win_VirtualAlloc(proc, 0, 1 << 20,
                                                 VML_MEM_RESERVE | VML_MEM_COMMIT,
                                                 VML_PAGE_READWRITE, &base));
        assert_int_equal(VML_OK, vml_mem_read(proc, 0, base, &byte, 1, NULL));
        frames = stat_of(m, VML_SCOPE_SYSTEM, 0, "available_pages") + 1;
        refs[n++] = (vml_ref){ 0, 0 };
        for (int pass = 0; pass < 2; pass++)
            for (uint64_t pg = 0; pg <= frames; pg++) {
                assert_true(n < N_OF(refs));
                refs[n++] = (vml_ref){ pg, 0 };
                assert_int_equal(VML_OK, vml_mem_read(proc, 0, base + pg * 4096, &byte, 1, NULL));
            }
        faults = stat_of(m, VML_SCOPE_PROC, vml_proc_pid(proc), "page_faults");
        r = simulate(by_order[i], frames, refs, n);
        if (i < n_exact && faults != r.faults)
            fail_msg("%s: the machine took %llu faults, the simulator %llu (%llu frames)",
                     by_order[i], (unsigned long long)faults, (unsigned long long)r.faults,
                     (unsigned long long)frames);
        vml_policy_result_free(&r);
        assert_int_equal(VML_OK, vml_machine_check(m));
        vml_machine_destroy(m);
    }
}

/* Every policy that does not need the future runs a machine through a
** loop over more pages than memory holds, twice, with every invariant
** checked after every operation (the test build's default); the others
** are refused with VML_E_UNSUPPORTED. */
static void every_live_policy_runs_a_machine_under_pressure(void **state)
{
    (void)state;
    for (unsigned p = 0; p < VML_N_POLICIES; p++) {
        const struct policy_ops *ops = policy_find((vml_policy)p);
        vml_config cfg;
        vml_machine *m;
        vml_proc *proc;
        vml_va base;
        vml_status st;

        if (ops == NULL)
            continue;
        vml_config_default(&cfg);
        cfg.ram_bytes = 1 << 20;
        cfg.pagefile_bytes = 2 << 20;
        cfg.policy = (vml_policy)p;
        st = vml_machine_create(&cfg, &m);
        if (ops->flags & POLICY_NEEDS_FUTURE) {
            assert_int_equal(VML_E_UNSUPPORTED, st);
            continue;
        }
        assert_int_equal(VML_OK, st);
        assert_int_equal(VML_OK, vml_proc_create(m, "A", &proc));
        assert_int_equal(0, vml_win_VirtualAlloc(proc, 0, 2 << 20,
                                                 VML_MEM_RESERVE | VML_MEM_COMMIT,
                                                 VML_PAGE_READWRITE, &base));
        for (int pass = 0; pass < 2; pass++)
            for (vml_va va = base; va < base + (3u << 19); va += 4096) {
                uint8_t byte = (uint8_t)(va >> 12);
                if (pass == 0)
                    assert_int_equal(VML_OK, vml_mem_write(proc, 0, va, &byte, 1, NULL));
                else {
                    uint8_t got = 0;
                    assert_int_equal(VML_OK, vml_mem_read(proc, 0, va, &got, 1, NULL));
                    if (got != byte)
                        fail_msg("%s: page %#llx read %u, wrote %u", vml_policy_name(ops->id),
                                 (unsigned long long)va, got, byte);
                }
            }
        assert_int_equal(VML_OK, vml_machine_check(m));
        vml_machine_destroy(m);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(lfu_keeps_the_page_used_most_and_breaks_ties_by_recency),
        cmocka_unit_test(arc_remembers_evicted_pages_and_keeps_the_reused_ones),
        cmocka_unit_test(twoq_lets_a_scan_pass_through_a1in_without_flushing_am),
        cmocka_unit_test(lru2_evicts_the_page_with_the_oldest_second_reference),
        cmocka_unit_test(sieve_keeps_visited_pages_in_place),
        cmocka_unit_test(s3fifo_sends_one_hit_wonders_out_through_the_small_queue),
        cmocka_unit_test(wsclock_evicts_the_oldest_when_all_are_in_the_working_set),
        cmocka_unit_test(wsclock_writes_an_old_dirty_page_back_and_evicts_an_old_clean_one),
        cmocka_unit_test(nru_prefers_a_clean_unreferenced_page),
        cmocka_unit_test(aging_evicts_the_lowest_counter),
        cmocka_unit_test(random_is_the_same_on_every_run),
        cmocka_unit_test(clockpro_turns_a_page_reused_in_its_test_period_hot),
        cmocka_unit_test(optclean_evicts_a_clean_dead_page_before_a_dirty_one),
        cmocka_unit_test(every_policy_matches_its_model_on_random_strings),
        cmocka_unit_test(every_policy_matches_its_model_on_adversarial_strings),
        cmocka_unit_test(every_policy_matches_its_model_with_larger_memories),
        cmocka_unit_test(optclean_takes_opts_faults_and_no_more_write_backs),
        cmocka_unit_test(every_policy_keeps_the_contract),
        cmocka_unit_test(every_policy_sets_up_16m_slots_lazily),
        cmocka_unit_test(every_live_policy_runs_a_machine_under_pressure),
        cmocka_unit_test(machine_and_simulator_agree_on_a_loop),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
