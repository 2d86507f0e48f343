/*
** policy.h -- replacement policies: one small interface, one file per
** policy.  A policy manages `capacity` slots (dense ids 0..capacity-1):
** the standalone simulator's frames, or the machine's page frames (PFNs).
** It never sees the memory manager; the caller tells it which slots were
** loaded (with the page's key), touched and removed, and asks for
** victims.  The key lets a policy remember pages after they leave
** (ARC's ghosts, 2Q's A1out, LRU-2's history, CLOCK-Pro's non-resident
** cold pages, S3-FIFO's ghost queue).
**
** The layer sits below mm/ (the machine can run a global policy) and
** trace/ (replay); it includes nothing of vmlab but this header and
** vmlab.h.
**
** CONTRACT (every policy; checked by test_policy and test_policies):
**   Q1  choose_victim() is called only when at least one slot is
**       resident (inserted and not yet removed) and returns one of them;
**       it does not remove it: the caller calls on_remove() for it.  With
**       none resident (a caller's bug) it returns POLICY_NO_SLOT, which
**       callers' range checks catch.  `incoming` points at the key of
**       the page the victim's frame is for, or is NULL when the caller
**       frees frames ahead of any one page (the machine); ARC needs it.
**   Q2  on_insert() is called only for a slot not resident, on_access()
**       and on_remove() only for a resident one.  An on_remove() of the
**       slot the last choose_victim() returned is an eviction (a policy
**       may remember the page by its key); any other on_remove() is the
**       page leaving for good (freed, unmapped): it is forgotten.
**   Q3  next_use is the position of the slot's page's next reference in
**       the reference string (POLICY_NEVER when there is none); policies
**       without POLICY_NEEDS_FUTURE ignore it and callers may pass 0.
**   Q4  key names the page (the simulator: the page number; the machine:
**       (pid << 48) | vpn).  Two resident slots never share a key.
**   Q5  access is POLICY_WRITE when the reference writes the page, else
**       0; a caller that cannot tell (the machine) passes 0, and the
**       policy sees every page clean.
**   Q6  next_written (NULL for most policies) hands out, after a
**       choose_victim(), the resident slots the policy wrote back to make
**       them clean without evicting them (WSClock), one per call, then
**       POLICY_NO_SLOT.  The caller counts a write-back for each that was
**       dirty and marks it clean.  A caller may ignore it.
**   Q7  No call allocates memory except create(); every operation is
**       O(1) amortized, or O(log capacity) where the policy says so.
*/
#ifndef VML_POLICY_H
#define VML_POLICY_H

#include <stddef.h>
#include <stdint.h>
#include "vmlab.h"

#define POLICY_NEVER UINT64_MAX
#define POLICY_NO_SLOT UINT32_MAX  /* never a slot: capacity stays below it */
#define POLICY_NEEDS_FUTURE 0x1u   /* on_insert/on_access need next_use */
#define POLICY_WRITE 0x1u          /* access: the reference writes the page (Q5) */

struct policy_ops {
    vml_policy  id;
    unsigned    flags;             /* POLICY_* */
    /* Allocates the state for capacity slots; NULL when out of memory,
    ** or capacity is 0 or not below POLICY_NO_SLOT. */
    void     *(*create)(uint64_t capacity);
    void      (*destroy)(void *st);
    void      (*on_insert)(void *st, uint32_t slot, uint64_t key, uint64_t next_use,
                           unsigned access);
    void      (*on_access)(void *st, uint32_t slot, uint64_t next_use, unsigned access);
    void      (*on_remove)(void *st, uint32_t slot);
    uint32_t  (*choose_victim)(void *st, const uint64_t *incoming);
    uint32_t  (*next_written)(void *st);   /* Q6; NULL: never */
};

/* NULL for VML_POLICY_WS (the machine's own mechanism) and unknown ids. */
const struct policy_ops *policy_find(vml_policy id);

extern const struct policy_ops policy_fifo, policy_lru, policy_mru, policy_clock,
    policy_clock0, policy_opt, policy_lfu, policy_arc, policy_2q, policy_lru2,
    policy_clockpro, policy_sieve, policy_s3fifo, policy_wsclock, policy_nru, policy_aging,
    policy_random, policy_optclean;

#endif
