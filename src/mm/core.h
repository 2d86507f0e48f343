/*
** core.h -- the memory manager's leaf module: errors, events, host
** allocation, fault injection and the machine's random generator.  Every
** mm module may use it; it uses nothing of mm/.
**
** Its state is struct mm_core, the first member of struct vml_machine, so
** a vml_machine pointer is a pointer to its core (C11 6.7.2.1p15).
*/
#ifndef VML_MM_CORE_H
#define VML_MM_CORE_H

#include <stddef.h>
#include <stdint.h>
#include "vmlab.h"

struct inject {
    int      err;
    uint64_t after, count;
};

struct mm_core {
    int          corrupt;          /* a check failed: a bug; every call refuses */
    int          check_each_op;    /* VML_CFG_CHECK */
    /* vml_machine_check(), installed by the machine: mm_done() runs it
    ** after every public operation without calling upward. */
    vml_status (*check)(vml_machine *m);
    vml_event_fn ev_fn;
    void        *ev_ctx;
    struct inject inj[VML_N_INJECT];
    uint64_t     rng;              /* xorshift state (never 0) */
    char         err[320];
};

static inline struct mm_core *mm_core(vml_machine *m)
{
    return (struct mm_core *)(void *)m;
}
static inline const struct mm_core *mm_core_c(const vml_machine *m)
{
    return (const struct mm_core *)(const void *)m;
}

/* Records a detailed message for vml_last_error() and returns st. */
vml_status mm_fail(vml_machine *m, vml_status st, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
/* A broken invariant (a bug): records the message naming it, marks the
** machine corrupt (every later call returns VML_E_CORRUPT), and in test
** builds stops the program there. */
vml_status mm_corrupt(vml_machine *m, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
/* After every public operation: runs the machine's check when it has
** VML_CFG_CHECK (a failure is a bug: test builds abort on it). */
vml_status mm_done(vml_machine *m, vml_status st);
static inline int mm_is_corrupt(const vml_machine *m) { return mm_core_c(m)->corrupt; }

void mm_emit(vml_machine *m, const vml_event *ev);
static inline int mm_tracing(const vml_machine *m) { return mm_core_c(m)->ev_fn != NULL; }

/* 0, or the injected error of the next operation of kind what. */
int   mm_injected(vml_machine *m, unsigned what);
/* Host allocations of the memory manager, through the injection point. */
void *mm_calloc(vml_machine *m, size_t n, size_t size);
void *mm_realloc(vml_machine *m, void *ptr, size_t size);

/* The machine's random generator (xorshift64*), seeded from cfg.seed:
** deterministic for one seed. */
void     mm_rng_seed(vml_machine *m, uint64_t seed);
uint64_t mm_rng_next(vml_machine *m);

#endif
