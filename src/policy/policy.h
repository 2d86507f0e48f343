/*
** policy.h -- replacement policies: one small interface, one file per
** policy.  A policy manages `capacity` slots (dense ids 0..capacity-1):
** the standalone simulator's frames, or the machine's page frames (PFNs).
** It never sees pages, dirty bits or the memory manager; the caller tells
** it which slots were loaded, touched and removed, and asks for victims.
**
** The layer sits below mm/ (the machine can run a global policy) and
** trace/ (replay); it includes nothing of vmlab but this header and
** vmlab.h.
**
** CONTRACT (every policy; checked by test_policy):
**   Q1  choose_victim() is called only when at least one slot is
**       resident (inserted and not yet removed) and returns one of them;
**       it does not remove it: the caller calls on_remove() for it.  With
**       none resident (a caller's bug) it returns POLICY_NO_SLOT, which
**       callers' range checks catch.
**   Q2  on_insert() is called only for a slot not resident, on_access()
**       and on_remove() only for a resident one.
**   Q3  next_use is the position of the slot's page's next reference in
**       the reference string (POLICY_NEVER when there is none); policies
**       without POLICY_NEEDS_FUTURE ignore it and callers may pass 0.
*/
#ifndef VML_POLICY_H
#define VML_POLICY_H

#include <stddef.h>
#include <stdint.h>
#include "vmlab.h"

#define POLICY_NEVER UINT64_MAX
#define POLICY_NO_SLOT UINT32_MAX  /* never a slot: capacity stays below it */
#define POLICY_NEEDS_FUTURE 0x1u   /* on_insert/on_access need next_use */

struct policy_ops {
    vml_policy  id;
    unsigned    flags;             /* POLICY_* */
    /* Allocates the state for capacity slots; NULL when out of memory,
    ** or capacity is 0 or not below POLICY_NO_SLOT. */
    void     *(*create)(uint64_t capacity);
    void      (*destroy)(void *st);
    void      (*on_insert)(void *st, uint32_t slot, uint64_t next_use);
    void      (*on_access)(void *st, uint32_t slot, uint64_t next_use);
    void      (*on_remove)(void *st, uint32_t slot);
    uint32_t  (*choose_victim)(void *st);
};

/* NULL for VML_POLICY_WS (the machine's own mechanism) and unknown ids. */
const struct policy_ops *policy_find(vml_policy id);

extern const struct policy_ops policy_fifo, policy_lru, policy_mru, policy_clock,
    policy_clock0, policy_opt;

#endif
