/*
** test_trace_internal.c -- the trace layer's structures with their
** invariants checked after every step: the page map (IM1-IM2), a policy
** cell (RP1-RP3), the LRU curve's top array and Fenwick slots through
** compactions (MR1), OPT's Mattson stack (MR2), and OPT's future against a
** direct computation of each next use (FU2).
*/
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trace/trace.h"

static uint64_t lcg(uint64_t *s)
{
    *s = *s * 6364136223846793005ull + 1442695040888963407ull;
    return *s >> 33;
}

#define CHECKED(fn, obj) do { char err_[256] = ""; \
        if (fn(obj, err_, sizeof err_) != 0) fail_msg("%s", err_); } while (0)

static void the_page_map_gives_dense_ids_once(void **state)
{
    struct imap m;
    uint64_t s = 1;

    (void)state;
    assert_int_equal(0, imap_init(&m));
    for (int i = 0; i < 50000; i++) {
        uint32_t id, again;
        int is_new;
        uint64_t page = lcg(&s) % 20000;
        uint32_t pid = (uint32_t)(lcg(&s) % 3);
        assert_int_equal(0, imap_id(&m, pid, page, &id, &is_new));
        assert_true(id < m.n);
        assert_int_equal(0, imap_id(&m, pid, page, &again, &is_new));
        assert_int_equal(id, again);
        assert_int_equal(0, is_new);
        if (i % 5000 == 0)
            CHECKED(imap_check, &m);
    }
    CHECKED(imap_check, &m);
    imap_free(&m);
}

static void a_cell_keeps_its_invariants(void **state)
{
    uint32_t refs[4096];
    uint64_t s = 3;
    char err[256];

    (void)state;
    for (unsigned p = VML_POLICY_FIFO; p <= VML_POLICY_CLOCK0; p++) {
        struct cell_run *c = cell_create((vml_policy)p, 37, err, sizeof err);
        assert_non_null(c);
        for (int round = 0; round < 20; round++) {
            for (size_t i = 0; i < 4096; i++)
                refs[i] = (uint32_t)(lcg(&s) % (round < 10 ? 50 : 300)) << 1 | (i % 9 == 0);
            assert_int_equal(0, cell_feed(c, refs, NULL, 4096, 300, err, sizeof err));
            CHECKED(cell_check, c);
        }
        cell_destroy(c);
    }
}

static void the_lru_curve_keeps_its_slots_through_compactions(void **state)
{
    struct lru_mrc *m = lru_mrc_create();
    uint32_t refs[2000];
    uint64_t s = 5;

    (void)state;
    assert_non_null(m);
    for (int round = 0; round < 60; round++) {
        uint32_t footprint = round < 20 ? 40 : round < 40 ? 9000 : 3000;
        for (size_t i = 0; i < 2000; i++)
            refs[i] = (uint32_t)(lcg(&s) % footprint) << 1;
        assert_int_equal(0, lru_mrc_feed(m, refs, 2000, 9000));
        CHECKED(lru_mrc_check, m);
    }
    lru_mrc_destroy(m);
}

static void the_future_gives_every_next_use(void **state)
{
    enum { N = 30000 };
    struct future f;
    uint32_t *refs = malloc(N * sizeof *refs);
    uint64_t s = 7, pos = 0;

    (void)state;
    assert_non_null(refs);
    for (size_t i = 0; i < N; i++)
        refs[i] = (uint32_t)(lcg(&s) % 500) << 1;
    assert_int_equal(0, fut_init(&f, 1, NULL));     /* chunks to disk */
    assert_int_equal(0, fut_append(&f, refs, N / 3));
    assert_int_equal(0, fut_append(&f, refs + N / 3, N - N / 3));
    assert_int_equal(0, fut_resolve(&f, 500));
    for (size_t k = 0; k < f.n_chunks; k++) {
        const uint32_t *r;
        const uint64_t *next;
        size_t n;
        assert_int_equal(0, fut_chunk_get(&f, k, &r, &next, &n));
        for (size_t i = 0; i < n; i++, pos++) {
            uint64_t want = FUT_NEVER;
            assert_int_equal(refs[pos], r[i]);
            for (size_t j = pos + 1; j < N; j++)
                if (refs[j] == refs[pos]) {
                    want = j;
                    break;
                }
            assert_int_equal(want, next[i]);         /* FU2 */
        }
    }
    assert_int_equal(N, pos);
    fut_free(&f);
    free(refs);
}

static void the_opt_stack_keeps_its_positions(void **state)
{
    enum { N = 20000 };
    struct opt_mrc *m = opt_mrc_create();
    uint32_t *refs = malloc(N * sizeof *refs);
    uint64_t *next = malloc(N * sizeof *next), s = 9;

    (void)state;
    assert_non_null(m);
    for (size_t i = 0; i < N; i++)
        refs[i] = (uint32_t)(lcg(&s) % 400) << 1;
    for (size_t i = 0; i < N; i++) {
        next[i] = FUT_NEVER;
        for (size_t j = i + 1; j < N; j++)
            if (refs[j] == refs[i]) {
                next[i] = j;
                break;
            }
    }
    for (size_t i = 0; i < N; i += 1000) {
        assert_int_equal(0, opt_mrc_feed(m, refs + i, next + i, 1000, 400));
        CHECKED(opt_mrc_check, m);
    }
    opt_mrc_destroy(m);
    free(refs);
    free(next);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(the_page_map_gives_dense_ids_once),
        cmocka_unit_test(a_cell_keeps_its_invariants),
        cmocka_unit_test(the_lru_curve_keeps_its_slots_through_compactions),
        cmocka_unit_test(the_future_gives_every_next_use),
        cmocka_unit_test(the_opt_stack_keeps_its_positions),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
