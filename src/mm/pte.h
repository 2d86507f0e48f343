/*
** pte.h -- the memory manager's software PTE formats.
**
** With P == 0 the CPU ignores every other bit of an entry (SDM 4.7), so the
** memory manager keeps its own state there, laid out as Windows' MMPTE
** variants (Windows Internals, 7th ed., ch. 5 "Invalid PTEs"):
**
**   bit  0      P = 0
**   bits 5-9    Protection: an MM protection code (MM_* below)
**   bit  10     Prototype: look in the section's prototype PTE
**   bit  11     Transition: the page is still in memory, on the standby
**               or modified list; bits 12.. hold its frame number
**   bits 32-63  PageFileHigh (64-bit entries): pagefile slot + 1
**               (bits 12-31 on 32-bit entries)
**
**   all zero              -> "ask the VAD tree"
**   protection only       -> demand-zero (committed, never touched)
**   protection MM_DECOMMIT-> decommitted page inside a committed VAD
**
** A prototype PTE (Prototype = 1) names the page's prototype PTE by its
** number ("proto id", see section.h): bits 32-63 of a 64-bit entry, bits
** 11-31 of a 32-bit one, with the mapping's protection in bits 5-9 as
** Windows x64's MMPTE_PROTOTYPE keeps it.
**
** In a VALID entry the CPU ignores bits 9-11 (SDM Table 4-19): bit 9 is
** the memory manager's copy-on-write bit (Windows' MMPTE_HARDWARE
** CopyOnWrite): the page is mapped read-only and a write takes a private
** copy.
*/
#ifndef VML_MM_PTE_H
#define VML_MM_PTE_H

#include <stdint.h>
#include "hw/paging.h"

/* MM protection codes (the 5-bit field; ReactOS/Windows mm.h values). */
#define MM_ZERO_ACCESS         0u
#define MM_READONLY            1u
#define MM_EXECUTE             2u
#define MM_EXECUTE_READ        3u
#define MM_READWRITE           4u
#define MM_WRITECOPY           5u
#define MM_EXECUTE_READWRITE   6u
#define MM_EXECUTE_WRITECOPY   7u
#define MM_ACCESS_MASK         7u
#define MM_NOCACHE             0x08u
#define MM_GUARD_PAGE          0x10u
#define MM_WRITECOMBINE        0x18u   /* with an access code != 0 */
#define MM_DECOMMIT            0x10u   /* guard with zero access */
#define MM_NOACCESS            0x18u   /* write-combine with zero access */

#define PTE_COW         (UINT64_C(1) << 9)

#define SW_PROT_SHIFT   5
#define SW_PROT_MASK    (UINT64_C(0x1F) << SW_PROT_SHIFT)
#define SW_PROTOTYPE    (UINT64_C(1) << 10)
#define SW_TRANSITION   (UINT64_C(1) << 11)

static inline unsigned sw_prot(uint64_t pte)
{
    return (unsigned)((pte & SW_PROT_MASK) >> SW_PROT_SHIFT);
}
static inline uint64_t sw_demand_zero(unsigned mmprot)
{
    return (uint64_t)mmprot << SW_PROT_SHIFT;
}
static inline uint64_t sw_transition(uint64_t pfn, unsigned mmprot)
{
    return (pfn << 12) | SW_TRANSITION | ((uint64_t)mmprot << SW_PROT_SHIFT);
}
/* The PageFileHigh field: slot + 1, 0 = no slot. */
static inline uint64_t sw_pagefile_field(const struct pg_mode *pm, uint64_t pte)
{
    return pm->entry_size == 8 ? pte >> 32 : (pte >> 12) & 0xFFFFF;
}
/* The slot a pagefile PTE (or a frame's original PTE) names; UINT64_MAX
** when none. */
static inline uint64_t sw_slot(const struct pg_mode *pm, uint64_t pte)
{
    return sw_pagefile_field(pm, pte) - 1;
}
static inline uint64_t sw_pagefile(const struct pg_mode *pm, uint64_t slot, unsigned mmprot)
{
    uint64_t field = slot + 1;
    return (pm->entry_size == 8 ? field << 32 : field << 12) | ((uint64_t)mmprot << SW_PROT_SHIFT);
}
/* A prototype PTE naming proto id with the mapping's protection. */
static inline uint64_t sw_proto(const struct pg_mode *pm, uint64_t id, unsigned mmprot)
{
    return (pm->entry_size == 8 ? id << 32 : id << 11) | SW_PROTOTYPE |
           ((uint64_t)mmprot << SW_PROT_SHIFT);
}
static inline uint64_t sw_proto_id(const struct pg_mode *pm, uint64_t pte)
{
    return pm->entry_size == 8 ? pte >> 32 : (pte >> 11) & 0x1FFFFF;
}
/* The most proto ids an entry of the format can name. */
static inline uint64_t sw_max_protos(const struct pg_mode *pm)
{
    return pm->entry_size == 8 ? UINT64_C(1) << 32 : UINT64_C(1) << 21;
}
/* The same entry with another protection. */
static inline uint64_t sw_with_prot(uint64_t pte, unsigned mmprot)
{
    return (pte & ~SW_PROT_MASK) | ((uint64_t)mmprot << SW_PROT_SHIFT);
}
/* Most slots a pagefile can have in this entry format. */
static inline uint64_t sw_max_slots(const struct pg_mode *pm)
{
    return pm->entry_size == 8 ? UINT32_MAX - 1 : 0xFFFFE;
}

/* 1 when the code grants no access at all (NOACCESS, DECOMMIT, 0). */
static inline int mmprot_noaccess(unsigned mmprot)
{
    return (mmprot & MM_ACCESS_MASK) == 0;
}
static inline int mmprot_guard(unsigned mmprot)
{
    return (mmprot & 0x18u) == MM_GUARD_PAGE && !mmprot_noaccess(mmprot);
}
static inline int mmprot_writable(unsigned mmprot)
{
    unsigned a = mmprot & MM_ACCESS_MASK;
    return a == MM_READWRITE || a == MM_EXECUTE_READWRITE;
}
/* WRITECOPY and EXECUTE_WRITECOPY: a write takes a private copy. */
static inline int mmprot_writecopy(unsigned mmprot)
{
    unsigned a = mmprot & MM_ACCESS_MASK;
    return !mmprot_noaccess(mmprot) && (a == MM_WRITECOPY || a == MM_EXECUTE_WRITECOPY);
}
/* The protection of a page's private copy: a copy-on-write protection
** becomes its writable one (WRITECOPY -> READWRITE, as VirtualQuery then
** shows), others stay. */
static inline unsigned mmprot_copied(unsigned mmprot)
{
    unsigned a = mmprot & MM_ACCESS_MASK;
    if (mmprot_noaccess(mmprot))
        return mmprot;
    if (a == MM_WRITECOPY)
        return (mmprot & ~MM_ACCESS_MASK) | MM_READWRITE;
    if (a == MM_EXECUTE_WRITECOPY)
        return (mmprot & ~MM_ACCESS_MASK) | MM_EXECUTE_READWRITE;
    return mmprot;
}
/* What a write may do: write in place, or through a copy. */
static inline int mmprot_can_write(unsigned mmprot)
{
    return mmprot_writable(mmprot) || mmprot_writecopy(mmprot);
}
static inline int mmprot_executable(unsigned mmprot)
{
    unsigned a = mmprot & MM_ACCESS_MASK;
    return a == MM_EXECUTE || a == MM_EXECUTE_READ || a == MM_EXECUTE_READWRITE ||
           a == MM_EXECUTE_WRITECOPY;
}

/* The hardware PTE mapping frame pfn under an MM protection.  PTE_MK_COW
** maps a writable protection read-only with the copy-on-write bit (a page
** shared copy-on-write); a WRITECOPY protection always is. */
#define PTE_MK_DIRTY 1u
#define PTE_MK_COW   2u
static inline uint64_t pte_make_valid(const struct pg_mode *pm, uint64_t pfn, unsigned mmprot,
                                      unsigned how)
{
    uint64_t pte = (pfn << 12) | PG_P | PG_US;
    if (mmprot_writecopy(mmprot) || ((how & PTE_MK_COW) && mmprot_writable(mmprot)))
        pte |= PTE_COW;
    else if (mmprot_writable(mmprot))
        pte |= PG_RW;
    if (pm->has_nx && !mmprot_executable(mmprot))
        pte |= PG_NX;
    if ((mmprot & 0x18u) == MM_NOCACHE)
        pte |= PG_PCD | PG_PWT;
    else if ((mmprot & 0x18u) == MM_WRITECOMBINE && !mmprot_noaccess(mmprot))
        pte |= PG_PWT;   /* PAT index 1, which Linux programs as write-combining
                         ** (arch/x86/mm/pat/memtype.c, pat_bp_init) */
    if (how & PTE_MK_DIRTY)
        pte |= PG_D;
    return pte;
}

/* Conversions between MM codes, Win32 PAGE_* and POSIX PROT_*.
** mmprot_from_win32 returns -1 for a protection Windows rejects. */
int      mmprot_from_win32(uint32_t protect);
uint32_t mmprot_to_win32(unsigned mmprot);
unsigned mmprot_from_posix(int prot);
int      mmprot_to_posix(unsigned mmprot);

/* Decode an entry of the machine's format (32-bit entries keep the page
** file slot in bits 12-31). */
vml_pte_kind pte_kind(const struct pg_mode *pm, uint64_t pte);

#endif
