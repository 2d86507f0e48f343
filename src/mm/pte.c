/*
** pte.c -- decoding entries and converting protections between the MM
** codes kept in software PTEs, Win32 PAGE_* values and POSIX PROT_* bits.
**
** INVARIANTS: pure functions; mmprot_to_win32(mmprot_from_win32(x)) == x
** for every protection VirtualAlloc accepts (tested in test_pte.c).
*/
#include "pte.h"

static const uint32_t win32_of_access[8] = {
    VML_PAGE_NOACCESS, VML_PAGE_READONLY, VML_PAGE_EXECUTE, VML_PAGE_EXECUTE_READ,
    VML_PAGE_READWRITE, VML_PAGE_WRITECOPY, VML_PAGE_EXECUTE_READWRITE,
    VML_PAGE_EXECUTE_WRITECOPY,
};

int mmprot_from_win32(uint32_t protect)
{
    uint32_t base = protect & 0xFFu, mods = protect & ~0xFFu;
    int access = -1;
    for (int i = 0; i < 8 && access < 0; i++)
        if (win32_of_access[i] == base)
            access = i;
    /* Exactly one base protection; modifiers only GUARD, NOCACHE,
    ** WRITECOMBINE, never two of them, and never with NOACCESS. */
    if (access < 0 || (mods & ~(uint32_t)(VML_PAGE_GUARD | VML_PAGE_NOCACHE | VML_PAGE_WRITECOMBINE)))
        return -1;
    if (base == VML_PAGE_NOACCESS)
        return mods ? -1 : (int)MM_NOACCESS;
    unsigned n_mods = ((mods & VML_PAGE_GUARD) != 0) + ((mods & VML_PAGE_NOCACHE) != 0) +
                      ((mods & VML_PAGE_WRITECOMBINE) != 0);
    if (n_mods > 1)
        return -1;
    if (mods & VML_PAGE_GUARD)
        return access | (int)MM_GUARD_PAGE;
    if (mods & VML_PAGE_NOCACHE)
        return access | (int)MM_NOCACHE;
    if (mods & VML_PAGE_WRITECOMBINE)
        return access | (int)MM_WRITECOMBINE;
    return access;
}

uint32_t mmprot_to_win32(unsigned mmprot)
{
    if (mmprot == MM_NOACCESS || mmprot == MM_DECOMMIT || mmprot == 0)
        return VML_PAGE_NOACCESS;
    uint32_t w = win32_of_access[mmprot & MM_ACCESS_MASK];
    switch (mmprot & 0x18u) {
    case MM_NOCACHE:      w |= VML_PAGE_NOCACHE; break;
    case MM_GUARD_PAGE:   w |= VML_PAGE_GUARD; break;
    case MM_WRITECOMBINE: w |= VML_PAGE_WRITECOMBINE; break;
    default: break;
    }
    return w;
}

/* x86 cannot map write-only or execute-only pages: Linux maps PROT_WRITE
** as read/write and PROT_EXEC as read/execute (protection_map[] in mm/mmap.c). */
unsigned mmprot_from_posix(int prot)
{
    int r = prot & VML_PROT_READ, w = prot & VML_PROT_WRITE, x = prot & VML_PROT_EXEC;
    if (!r && !w && !x)
        return MM_NOACCESS;
    if (x)
        return w ? MM_EXECUTE_READWRITE : MM_EXECUTE_READ;
    return w ? MM_READWRITE : MM_READONLY;
}

int mmprot_to_posix(unsigned mmprot)
{
    if (mmprot_noaccess(mmprot))
        return VML_PROT_NONE;
    switch (mmprot & MM_ACCESS_MASK) {
    case MM_READONLY:          return VML_PROT_READ;
    case MM_EXECUTE:           return VML_PROT_EXEC;
    case MM_EXECUTE_READ:      return VML_PROT_READ | VML_PROT_EXEC;
    case MM_READWRITE:
    case MM_WRITECOPY:         return VML_PROT_READ | VML_PROT_WRITE;
    default:                   return VML_PROT_READ | VML_PROT_WRITE | VML_PROT_EXEC;
    }
}

vml_pte_kind pte_kind(const struct pg_mode *pm, uint64_t pte)
{
    if (pte & PG_P)
        return VML_PTE_VALID;
    if (pte == 0)
        return VML_PTE_ZERO;
    if (pte & SW_PROTOTYPE)
        return VML_PTE_PROTOTYPE;
    if (pte & SW_TRANSITION)
        return VML_PTE_TRANSITION;
    if (sw_pagefile_field(pm, pte))
        return VML_PTE_PAGEFILE;
    if (sw_prot(pte) == MM_DECOMMIT)
        return VML_PTE_DECOMMITTED;
    return VML_PTE_DEMAND_ZERO;
}

const char *vml_pte_kind_name(vml_pte_kind k)
{
    static const char *const names[VML_N_PTE_KINDS] = {
        "valid", "zero", "demand-zero", "transition", "pagefile", "prototype", "decommitted",
    };
    return (unsigned)k < VML_N_PTE_KINDS ? names[k] : "?";
}

