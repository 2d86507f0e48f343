/*
** phys.h -- simulated physical memory: n_frames frames of 4 KiB of real
** bytes.  Page tables live here too; the walker reads entries from it.
*/
#ifndef VML_HW_PHYS_H
#define VML_HW_PHYS_H

#include <stdint.h>
#include <string.h>
#include "vmlab.h"

struct phys {
    uint8_t *mem;        /* n_frames * 4096 bytes */
    uint64_t n_frames;
    int      mapped;     /* mem is an mmap reservation (PHYS_SPARSE) */
};

/* phys_init's how: frames whose bytes are mostly never written (machine
** data=off) -- address space reserved without the host's commit charge. */
#define PHYS_SPARSE 0x1u

vml_status phys_init(struct phys *ph, uint64_t n_frames, unsigned how);
void       phys_fini(struct phys *ph);
int        phys_check(const struct phys *ph, char *msg, size_t size);

static inline uint8_t *phys_frame(const struct phys *ph, vml_pfn pfn)
{
    return ph->mem + (pfn << VML_PAGE_SHIFT);
}
static inline uint8_t *phys_ptr(const struct phys *ph, vml_pa pa)
{
    return ph->mem + pa;
}
static inline int phys_valid(const struct phys *ph, vml_pa pa, uint64_t len)
{
    uint64_t size = ph->n_frames << VML_PAGE_SHIFT;
    return pa < size && len <= size - pa;
}
/* Entries are little-endian in memory, as on x86; the host is x86 too, but
** memcpy keeps the accesses free of alignment and aliasing trouble. */
static inline uint64_t phys_read64(const struct phys *ph, vml_pa pa)
{
    uint64_t v;
    memcpy(&v, ph->mem + pa, 8);
    return v;
}
static inline void phys_write64(struct phys *ph, vml_pa pa, uint64_t v)
{
    memcpy(ph->mem + pa, &v, 8);
}
static inline uint32_t phys_read32(const struct phys *ph, vml_pa pa)
{
    uint32_t v;
    memcpy(&v, ph->mem + pa, 4);
    return v;
}
static inline void phys_write32(struct phys *ph, vml_pa pa, uint32_t v)
{
    memcpy(ph->mem + pa, &v, 4);
}
static inline void phys_zero_frame(struct phys *ph, vml_pfn pfn)
{
    memset(phys_frame(ph, pfn), 0, VML_PAGE_SIZE);
}

#endif
