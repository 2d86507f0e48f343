/*
** paging.c -- the table of paging modes (Intel SDM Vol. 3A, 4.1.1).
** Levels are numbered from the bottom: 1 = PT, 2 = PD, 3 = PDPT, 4 = PML4,
** 5 = PML5.  mmu.c's walkers have the same constants compiled in; its
** test-build check of every walk against mmu_inspect(), which reads this
** table, keeps the two in step.
**
** INVARIANTS (of the constant table; checked by pg_check()):
**   PGM1  Level L's index starts at va bit shift[L] = 12 + bits * (L - 1)
**         and has `bits` bits (top_bits at the top level, whose index ends
**         at va bit va_bits), and index_mask[L] has exactly those bits.
**   PGM2  Entries are 8 bytes with 52-bit frames and NX, or 4 bytes with
**         32-bit frames and no NX (legacy); a table of 2^bits entries fills
**         one 4 KiB frame.
**   PGM3  Only PDEs (level 2) and, with 4 or 5 levels, PDPTEs (level 3)
**         may map large pages.
**
** TRANSITIONS: none.
*/
#include <stdio.h>
#include <string.h>
#include "paging.h"

const struct pg_mode pg_modes[VML_N_PAGING] = {
    [VML_PAGING_4LEVEL] = {
        VML_PAGING_4LEVEL, "4level", 4, 8, 48, 9, 9,
        (1u << 2) | (1u << 3), 1, PG_FRAME64,
        { "", "PTE", "PDE", "PDPTE", "PML4E", "" },
        { 0, 12, 21, 30, 39, 48 }, { 0, 511, 511, 511, 511, 0 } },
    [VML_PAGING_5LEVEL] = {
        VML_PAGING_5LEVEL, "5level", 5, 8, 57, 9, 9,
        (1u << 2) | (1u << 3), 1, PG_FRAME64,
        { "", "PTE", "PDE", "PDPTE", "PML4E", "PML5E" },
        { 0, 12, 21, 30, 39, 48 }, { 0, 511, 511, 511, 511, 511 } },
    [VML_PAGING_PAE] = {
        VML_PAGING_PAE, "pae", 3, 8, 32, 9, 2,
        (1u << 2), 1, PG_FRAME64,
        { "", "PTE", "PDE", "PDPTE", "", "" },
        { 0, 12, 21, 30, 0, 0 }, { 0, 511, 511, 3, 0, 0 } },
    [VML_PAGING_LEGACY] = {
        VML_PAGING_LEGACY, "legacy", 2, 4, 32, 10, 10,
        (1u << 2), 0, PG_FRAME32,
        { "", "PTE", "PDE", "", "", "" },
        { 0, 12, 22, 0, 0, 0 }, { 0, 1023, 1023, 0, 0, 0 } },
};

int pg_check(const struct pg_mode *pm, char *msg, size_t size)
{
    for (unsigned level = 1; level <= pm->levels; level++) {
        unsigned bits = level == pm->levels ? pm->top_bits : pm->bits;
        if (pm->shift[level] != 12 + pm->bits * (level - 1) ||
            pm->index_mask[level] != (UINT64_C(1) << bits) - 1) {
            snprintf(msg, size, "PGM1: level %u of %s paging has shift %u, index mask %#llx",
                     level, pm->name, pm->shift[level],
                     (unsigned long long)pm->index_mask[level]);
            return -1;
        }
    }
    if (pm->shift[pm->levels] + pm->top_bits != pm->va_bits) {
        snprintf(msg, size, "PGM1: the top level of %s paging ends at bit %u, not %u",
                 pm->name, pm->shift[pm->levels] + pm->top_bits, pm->va_bits);
        return -1;
    }
    int wide = pm->entry_size == 8 && pm->frame_mask == PG_FRAME64 && pm->has_nx;
    int narrow = pm->entry_size == 4 && pm->frame_mask == PG_FRAME32 && !pm->has_nx;
    if ((!wide && !narrow) || ((size_t)pm->entry_size << pm->bits) != VML_PAGE_SIZE) {
        snprintf(msg, size, "PGM2: %s paging's %u-byte entries, frame mask %#llx and NX "
                 "disagree, or a table does not fill a frame", pm->name, pm->entry_size,
                 (unsigned long long)pm->frame_mask);
        return -1;
    }
    if (pm->large_levels & ~((1u << 2) | (pm->levels >= 4 ? 1u << 3 : 0))) {
        snprintf(msg, size, "PGM3: %s paging lets levels %#x map large pages", pm->name,
                 pm->large_levels);
        return -1;
    }
    return 0;
}

const char *vml_paging_name(vml_paging mode)
{
    return (unsigned)mode < VML_N_PAGING ? pg_modes[mode].name : "?";
}

vml_status vml_paging_parse(const char *name, vml_paging *out)
{
    static const struct { const char *name; vml_paging mode; } alias[] = {
        { "4level", VML_PAGING_4LEVEL }, { "4-level", VML_PAGING_4LEVEL },
        { "x64", VML_PAGING_4LEVEL },    { "5level", VML_PAGING_5LEVEL },
        { "5-level", VML_PAGING_5LEVEL },{ "la57", VML_PAGING_5LEVEL },
        { "pae", VML_PAGING_PAE },       { "legacy", VML_PAGING_LEGACY },
        { "32bit", VML_PAGING_LEGACY },  { "x86", VML_PAGING_LEGACY },
    };
    if (name == NULL || out == NULL)
        return VML_E_INVALID;
    for (size_t i = 0; i < sizeof alias / sizeof alias[0]; i++)
        if (strcmp(name, alias[i].name) == 0) {
            *out = alias[i].mode;
            return VML_OK;
        }
    return VML_E_NOT_FOUND;
}
