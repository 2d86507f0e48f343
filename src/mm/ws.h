/*
** ws.h -- working-set lists (Windows' MMWSL): one entry per valid user
** page of a process -- (address, frame, age, the mapping's protection) --
** held by the process, not by the frame, so one frame can be in many
** working sets.  An open-addressing hash finds a page's entry by address.
** Trimming and aging, which decide *which* entries go, are reclaim.c's.
*/
#ifndef VML_MM_WS_H
#define VML_MM_WS_H

#include <stddef.h>
#include <stdint.h>
#include "vmlab.h"

struct vml_proc;

#define WSL_NIL UINT32_MAX
#define WS_MAX_AGE 7
/* Entries one aging pass visits in one working set at most: a larger set
** is aged a slice per pass, resuming where the last pass stopped, so a
** pass costs the same on a 16 GiB machine as on a 64 MiB one. */
#define WS_AGE_BUDGET 16384u

struct wsle {
    vml_va   va;          /* page; 0 = free slot */
    uint32_t pfn;         /* its frame; free slots: the next free slot */
    uint8_t  age;         /* background passes since last seen accessed */
    uint8_t  prot;        /* the mapping's MM protection (Windows keeps a
                          ** shared page's in its WSLE too) */
    uint16_t pad;
};

struct wsl {
    struct wsle *e;
    uint32_t     size, cap;     /* slots in use (valid or free) / allocated */
    uint32_t     free_head;
    uint32_t     hand;          /* where the reclaim sweep resumes */
    uint32_t     age_hand;      /* where a budgeted aging pass resumes */
    uint32_t    *hash;          /* slot + 1 of each shared page, 0 = empty */
    uint32_t     hash_mask;     /* hash size - 1 (a power of two, at least
                                ** twice n_hashed) */
    uint64_t     n_valid;
    uint64_t     n_hashed;      /* valid slots of shared frames (in the hash) */
    uint64_t     min_pages, max_pages;
};

/* Room for one more entry (host allocations: call before the fault
** changes anything).  VML_E_NOMEM when the host refuses. */
vml_status ws_reserve(struct vml_proc *p);
/* Room for n more of its entries to become shared (fork). */
vml_status ws_reserve_shared(struct vml_proc *p, uint64_t n);
/* Room for n more entries (fork fills a working set at once). */
vml_status ws_reserve_n(struct vml_proc *p, uint64_t n);
/* A page just mapped valid joins the working set (room reserved). */
void       ws_insert(struct vml_proc *p, vml_va va, vml_pfn pfn, unsigned mmprot);
/* The slot of page va, mapped by frame pfn, or WSL_NIL. */
uint32_t   ws_find(const struct vml_proc *p, vml_va va, vml_pfn pfn);
/* The entry's frame became shared (fork, an alias) / private again (the
** last user kept a copy-on-write page): its slot is found the other way
** from now on.  Called after the frame's VML_PFN_PROTOTYPE changed. */
void       ws_to_hash(struct vml_proc *p, uint32_t slot);
void       ws_to_frame(struct vml_proc *p, uint32_t slot);
/* The entry at slot leaves the working set. */
void       ws_remove_slot(struct vml_proc *p, uint32_t slot);
void       ws_fini(struct vml_proc *p);
/* WS1, WS2 for one process (WS1's "every valid page is in it" is checked
** from the page tables by rmap.c). */
int        ws_check(const struct vml_proc *p, char *msg, size_t size);

#endif
