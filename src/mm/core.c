/*
** core.c -- errors, events, host allocation, fault injection and the
** random generator of a machine (see core.h).
**
** INVARIANTS: none that outlive a call; an injection point counts down
** `after` successful operations, then fails `count` of them.
**
** TRANSITIONS:
**   healthy -> corrupt        mm_corrupt() (never back)
*/
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core.h"

const char *vml_strerror(vml_status st)
{
    switch (st) {
#define VML_X_TEXT(name, value, text) case name: return text;
    VML_STATUS_LIST(VML_X_TEXT)
#undef VML_X_TEXT
    }
    return "unknown status";
}

const char *vml_status_name(vml_status st)
{
    switch (st) {
#define VML_X_NAME(name, value, text) case name: return #name;
    VML_STATUS_LIST(VML_X_NAME)
#undef VML_X_NAME
    }
    return "VML_UNKNOWN";
}

const char *vml_last_error(const vml_machine *m)
{
    return m ? mm_core_c(m)->err : "";
}

vml_status mm_fail(vml_machine *m, vml_status st, const char *fmt, ...)
{
    struct mm_core *c = mm_core(m);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->err, sizeof c->err, fmt, ap);
    va_end(ap);
    return st;
}

vml_status mm_corrupt(vml_machine *m, const char *fmt, ...)
{
    struct mm_core *c = mm_core(m);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->err, sizeof c->err, fmt, ap);
    va_end(ap);
    c->corrupt = 1;
#ifdef VML_TEST_BUILD
    fprintf(stderr, "vmlab: invariant broken: %s\n", c->err);
    abort();
#endif
    return VML_E_CORRUPT;
}

vml_status mm_done(vml_machine *m, vml_status st)
{
    struct mm_core *c = mm_core(m);
    if (c->corrupt)
        return VML_E_CORRUPT;
    if (!c->check_each_op || c->check == NULL)
        return st;
    char saved[sizeof c->err];
    memcpy(saved, c->err, sizeof saved);
    if (c->check(m) != VML_OK)
        return VML_E_CORRUPT;
    memcpy(c->err, saved, sizeof saved);
    return st;
}

void mm_emit(vml_machine *m, const vml_event *ev)
{
    struct mm_core *c = mm_core(m);
    if (c->ev_fn)
        c->ev_fn(c->ev_ctx, ev);
}

void vml_set_event_handler(vml_machine *m, vml_event_fn fn, void *ctx)
{
    if (m == NULL)
        return;
    mm_core(m)->ev_fn = fn;
    mm_core(m)->ev_ctx = ctx;
}

/* ---- injection ------------------------------------------------------------ */

int mm_injected(vml_machine *m, unsigned what)
{
    struct inject *in = &mm_core(m)->inj[what];
    if (in->count == 0)
        return 0;
    if (in->after > 0) {
        in->after--;
        return 0;
    }
    in->count--;
    return in->err;
}

void *mm_calloc(vml_machine *m, size_t n, size_t size)
{
    return mm_injected(m, VML_INJECT_HOST_ALLOC) ? NULL : calloc(n, size);
}

void *mm_realloc(vml_machine *m, void *ptr, size_t size)
{
    return mm_injected(m, VML_INJECT_HOST_ALLOC) ? NULL : realloc(ptr, size);
}

vml_status vml_inject(vml_machine *m, unsigned what, int err, uint64_t after, uint64_t count)
{
    if (m == NULL)
        return VML_E_INVALID;
    if (what >= VML_N_INJECT)
        return mm_fail(m, VML_E_RANGE, "injection point %u does not exist", what);
    if (count && err == 0)
        return mm_fail(m, VML_E_INVALID, "an injected failure needs an error code");
    mm_core(m)->inj[what] = (struct inject){ err, after, count };
    return VML_OK;
}

/* ---- random numbers -------------------------------------------------------- */

void mm_rng_seed(vml_machine *m, uint64_t seed)
{
    /* splitmix64 of the seed, so seeds 1, 2, 3 start far apart; never 0. */
    uint64_t z = seed + UINT64_C(0x9E3779B97F4A7C15);
    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
    z ^= z >> 31;
    mm_core(m)->rng = z ? z : 1;
}

uint64_t mm_rng_next(vml_machine *m)
{
    /* xorshift64* (Vigna, "An experimental exploration of Marsaglia's
    ** xorshift generators, scrambled", 2016). */
    uint64_t x = mm_core(m)->rng;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    mm_core(m)->rng = x;
    return x * UINT64_C(0x2545F4914F6CDD1D);
}

/* ---- the fill pattern -------------------------------------------------------- */

/* SplitMix64's finalizer (Steele, Lea, Flood 2014). */
static uint64_t mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
    return z ^ (z >> 31);
}

void vml_pattern(uint64_t seed, uint64_t addr, void *buf, size_t len)
{
    unsigned char *b = buf;
    uint64_t word = 0;
    for (size_t i = 0; i < len; i++, addr++) {
        if (i == 0 || (addr & 7) == 0)
            word = mix64((seed * UINT64_C(0x9E3779B97F4A7C15)) ^ (addr & ~(uint64_t)7));
        b[i] = (unsigned char)(word >> (8 * (addr & 7)));
    }
}
