/*
** phys.c -- simulated physical memory.
**
** INVARIANTS (checked by phys_check()):
**   PHY1  mem holds n_frames * 4096 bytes and n_frames > 0.
**
** TRANSITIONS: none; frames change owner in mm/pfn.c, bytes change through
** the MMU (mm/access.c) and the memory manager's own writes.
*/
#define _DEFAULT_SOURCE      /* MAP_ANONYMOUS, MAP_NORESERVE */
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include "phys.h"

vml_status phys_init(struct phys *ph, uint64_t n_frames, unsigned how)
{
    ph->mem = NULL;
    ph->n_frames = 0;
    ph->mapped = 0;
    if (n_frames == 0 || n_frames > (UINT64_C(1) << 32))
        return VML_E_RANGE;
    if (how & PHYS_SPARSE) {
        /* 64 GiB of frames of which only the page tables are ever
        ** written: MAP_NORESERVE keeps the host's overcommit heuristic
        ** from refusing a reservation larger than its RAM (mmap(2)). */
        void *mem = mmap(NULL, n_frames * VML_PAGE_SIZE, PROT_READ | PROT_WRITE,
                         MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (mem == MAP_FAILED)
            return VML_E_NOMEM;
        ph->mem = mem;
        ph->n_frames = n_frames;
        ph->mapped = 1;
        return VML_OK;
    }
    /* calloc of a large block is mmap'd zero pages: host memory is only
    ** used for frames the simulation actually touches. */
    ph->mem = calloc(n_frames, VML_PAGE_SIZE);
    if (ph->mem == NULL)
        return VML_E_NOMEM;
    ph->n_frames = n_frames;
    return VML_OK;
}

void phys_fini(struct phys *ph)
{
    if (ph->mapped && ph->mem)
        munmap(ph->mem, ph->n_frames * VML_PAGE_SIZE);
    else
        free(ph->mem);
    ph->mem = NULL;
    ph->n_frames = 0;
}

int phys_check(const struct phys *ph, char *msg, size_t size)
{
    if (ph->mem == NULL || ph->n_frames == 0) {
        snprintf(msg, size, "PHY1: physical memory missing (%llu frames)",
                 (unsigned long long)ph->n_frames);
        return -1;
    }
    return 0;
}
