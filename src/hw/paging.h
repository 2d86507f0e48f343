/*
** paging.h -- the x86 paging formats: the four modes, their levels, and the
** bits of an entry, bit-exact to the Intel SDM Vol. 3A, chapter 4 (4.3
** 32-bit paging, 4.4 PAE paging, 4.5 4-level and 5-level paging).
**
** x86-64 (and PAE) entry, 4 KiB page:
**  63  62-59  58-52  51-12  11-9   8  7    6  5  4    3    2   1   0
**  NX  PKEY   avail  frame  avail  G  PAT  D  A  PCD  PWT  US  RW  P
** In a PDE/PDPTE bit 7 is PS: the entry maps a 2 MiB / 1 GiB page whose
** frame starts at bit 21 / 30 (bit 12 is then PAT).
** 32-bit (legacy) entries are 4 bytes: bits 31-12 frame, the same low bits,
** no NX; a PDE with PS maps a 4 MiB page (CR4.PSE), frame in bits 31-22.
** PAE PDPTEs (4 of them, SDM Table 4-8) have only P, PWT, PCD and the
** frame; RW, US, A, D and NX are reserved there, so the walker treats the
** level as read/write, user, executable and never sets A in it.
** With P == 0 the CPU ignores every other bit: mm/pte.h defines the
** memory manager's software formats in them.
*/
#ifndef VML_HW_PAGING_H
#define VML_HW_PAGING_H

#include <stddef.h>
#include <stdint.h>
#include "vmlab.h"

#define PG_P    (UINT64_C(1) << 0)
#define PG_RW   (UINT64_C(1) << 1)
#define PG_US   (UINT64_C(1) << 2)
#define PG_PWT  (UINT64_C(1) << 3)
#define PG_PCD  (UINT64_C(1) << 4)
#define PG_A    (UINT64_C(1) << 5)
#define PG_D    (UINT64_C(1) << 6)
#define PG_PS   (UINT64_C(1) << 7)   /* PDE/PDPTE: large page */
#define PG_PAT  (UINT64_C(1) << 7)   /* PTE: PAT index bit */
#define PG_G    (UINT64_C(1) << 8)
#define PG_NX   (UINT64_C(1) << 63)
#define PG_FRAME64 UINT64_C(0x000FFFFFFFFFF000)  /* bits 51..12 */
#define PG_FRAME32 UINT64_C(0xFFFFF000)          /* bits 31..12 */

struct pg_mode {
    vml_paging  id;
    const char *name;
    unsigned    levels;       /* tables walked: 5, 4, 3 (PAE) or 2 */
    unsigned    entry_size;   /* 8, or 4 for legacy */
    unsigned    va_bits;      /* 57, 48 or 32 */
    unsigned    bits;         /* index bits of every level but the top */
    unsigned    top_bits;     /* index bits of the top level (2 for PAE) */
    unsigned    large_levels; /* bit L set: level L may map a large page */
    int         has_nx;
    uint64_t    frame_mask;   /* frame bits of an entry */
    const char *level_name[6];/* [1] = "PTE" ... */
    unsigned    shift[6];     /* [L]: va bit where level L's index starts */
    uint64_t    index_mask[6];/* [L]: mask of level L's index */
};

extern const struct pg_mode pg_modes[VML_N_PAGING];

/* PGM1-PGM3 (paging.c) for one mode: 0, or -1 and a message. */
int pg_check(const struct pg_mode *pm, char *msg, size_t size);

static inline unsigned pg_shift(const struct pg_mode *pm, unsigned level)
{
    return pm->shift[level];
}
static inline unsigned pg_index(const struct pg_mode *pm, unsigned level, vml_va va)
{
    return (unsigned)((va >> pm->shift[level]) & pm->index_mask[level]);
}
static inline uint64_t pg_entries(const struct pg_mode *pm, unsigned level)
{
    return UINT64_C(1) << (level == pm->levels ? pm->top_bits : pm->bits);
}
/* Bytes mapped by one entry of the given level. */
static inline uint64_t pg_span(const struct pg_mode *pm, unsigned level)
{
    return UINT64_C(1) << pg_shift(pm, level);
}
static inline int pg_is_pdpte_pae(const struct pg_mode *pm, unsigned level)
{
    return pm->id == VML_PAGING_PAE && level == 3;
}
/* 1 when va is canonical for the mode (bits above va_bits copy the top
** bit on x86-64; 32-bit modes take 32-bit addresses only). */
static inline int pg_canonical(const struct pg_mode *pm, vml_va va)
{
    if (pm->va_bits == 32)
        return va <= UINT32_MAX;
    int64_t s = (int64_t)(va << (64 - pm->va_bits)) >> (64 - pm->va_bits);
    return (uint64_t)s == va;
}
static inline vml_pa pg_frame(const struct pg_mode *pm, uint64_t entry)
{
    return entry & pm->frame_mask;
}

#endif
