/*
** paging.c -- the table of paging modes (Intel SDM Vol. 3A, 4.1.1).
**
** INVARIANTS: the table is constant; pg_mode_check() in mmu.c's check is
** not needed.  Levels are numbered from the bottom: 1 = PT, 2 = PD,
** 3 = PDPT, 4 = PML4, 5 = PML5.
*/
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
