/*
** names.c -- what the real tools call things: WinDbg's protection names and
** PTE status letters, !pfn page locations, and small lookups shared by the
** views.  Pure functions of their arguments (plus public-API reads).
*/
#include <stdint.h>
#include <string.h>

#include "view/view.h"

/* Windows' MM protection values (the 5-bit Protection field of a software
** PTE and of _MMVAD_FLAGS), as in the NT memory manager:
**   0 MM_ZERO_ACCESS  1 MM_READONLY  2 MM_EXECUTE  3 MM_EXECUTE_READ
**   4 MM_READWRITE    5 MM_WRITECOPY 6 MM_EXECUTE_READWRITE
**   7 MM_EXECUTE_WRITECOPY; +8 MM_NOCACHE, +0x10 MM_GUARD_PAGE,
**   0x18 MM_NOACCESS, 0x10 alone MM_DECOMMIT. */
#define MM_NOCACHE    0x08u
#define MM_GUARD_PAGE 0x10u
#define MM_NOACCESS   0x18u
#define MM_DECOMMIT   0x10u

/* What WinDbg prints after "Protect: 4 - " for a software PTE. */
const char *vw_mm_protect_name(unsigned mm)
{
    static const char *const base[8] = {
        "NoAccess", "ReadOnly", "Execute", "ExecuteRead", "ReadWrite",
        "WriteCopy", "ExecuteReadWrite", "ExecuteWriteCopy"
    };
    static const char *const guard[8] = {
        "Decommitted", "ReadOnly Guard", "Execute Guard", "ExecuteRead Guard",
        "ReadWrite Guard", "WriteCopy Guard", "ExecuteReadWrite Guard",
        "ExecuteWriteCopy Guard"
    };
    static const char *const nocache[8] = {
        "NoAccess", "ReadOnly NoCache", "Execute NoCache",
        "ExecuteRead NoCache", "ReadWrite NoCache", "WriteCopy NoCache",
        "ExecuteReadWrite NoCache", "ExecuteWriteCopy NoCache"
    };

    static const char *const writecombine[8] = {
        "NoAccess", "ReadOnly WriteCombine", "Execute WriteCombine",
        "ExecuteRead WriteCombine", "ReadWrite WriteCombine", "WriteCopy WriteCombine",
        "ExecuteReadWrite WriteCombine", "ExecuteWriteCopy WriteCombine"
    };

    if (mm == MM_NOACCESS)
        return "NoAccess";
    if (mm == MM_DECOMMIT)
        return "Decommitted";
    if ((mm & 0x18u) == 0x18u)
        return writecombine[mm & 7u];
    if (mm & MM_GUARD_PAGE)
        return guard[mm & 7u];
    if (mm & MM_NOCACHE)
        return nocache[mm & 7u];
    return base[mm & 7u];
}

/* The protection column of WinDbg's !vad ("READWRITE"...): the VAD's MM
** protection printed by name. */
const char *vw_vad_protect_name(uint32_t page_protect)
{
    switch (page_protect & 0xFFu) {
    case VML_PAGE_NOACCESS:          return "NO_ACCESS";
    case VML_PAGE_READONLY:          return "READONLY";
    case VML_PAGE_EXECUTE:           return "EXECUTE";
    case VML_PAGE_EXECUTE_READ:      return "EXECUTE_READ";
    case VML_PAGE_READWRITE:         return "READWRITE";
    case VML_PAGE_WRITECOPY:         return "WRITECOPY";
    case VML_PAGE_EXECUTE_READWRITE: return "EXECUTE_READWRITE";
    case VML_PAGE_EXECUTE_WRITECOPY: return "EXECUTE_WRITECOPY";
    default:                         return "NO_ACCESS";
    }
}

uint32_t vw_protect_from_prot(int prot)
{
    int r = prot & VML_PROT_READ, w = prot & VML_PROT_WRITE, x = prot & VML_PROT_EXEC;

    if (x)
        return w ? VML_PAGE_EXECUTE_READWRITE : r ? VML_PAGE_EXECUTE_READ : VML_PAGE_EXECUTE;
    if (w)
        return VML_PAGE_READWRITE;
    return r ? VML_PAGE_READONLY : VML_PAGE_NOACCESS;
}

/* WinDbg's !pfn names the page location with these words (kdexts). */
const char *vw_pfn_location(vml_list l)
{
    switch (l) {
    case VML_LIST_ZEROED:     return "Zeroed";
    case VML_LIST_FREE:       return "Free";
    case VML_LIST_STANDBY:    return "Standby";
    case VML_LIST_MODIFIED:   return "Modified";
    case VML_LIST_MODNOWRITE: return "ModNoWrite";
    case VML_LIST_BAD:        return "Bad";
    case VML_LIST_ROM:        return "Rom";
    case VML_LIST_ACTIVE:     return "Active";
    default:                  return "Unknown";
    }
}

/* WinDbg's status letters, in the order !pte prints them (documented in
** the Debugger Reference for !pte, learn.microsoft.com/.../debuggercmds/-pte:
** 0x200 C copy-on-write, 0x100 G global, 0x80 L large page, 0x40 D dirty,
** 0x20 A accessed, 0x10 N cache disabled, 0x8 T write-through, 0x4 U/K
** owner, 0x2 W/R writable, E executable, 0x1 V valid), e.g. "---DA--UWEV".
** Without NX hardware (legacy 32-bit paging) E is always shown, as WinDbg
** does on x86 systems without NX. */
const char *vw_pte_flags(const vml_pte_info *pi, uint64_t entry, unsigned level,
                         int has_nx, char *buf)
{
    buf[0]  = (entry & 0x200u) ? 'C' : '-';
    buf[1]  = pi->g ? 'G' : '-';
    buf[2]  = (level > 1 && pi->ps) ? 'L' : '-';
    buf[3]  = pi->d ? 'D' : '-';
    buf[4]  = pi->a ? 'A' : '-';
    buf[5]  = pi->pcd ? 'N' : '-';
    buf[6]  = pi->pwt ? 'T' : '-';
    buf[7]  = pi->us ? 'U' : 'K';
    buf[8]  = pi->rw ? 'W' : 'R';
    buf[9]  = (!has_nx || !pi->nx) ? 'E' : '-';
    buf[10] = pi->p ? 'V' : '-';
    buf[11] = '\0';
    return buf;
}

/* splitmix64: a good, stable mixer, so made-up node addresses look like
** pool addresses and differ for every (pid, start) pair. */
static uint64_t mix64(uint64_t x)
{
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

uint64_t vw_vad_node_addr(unsigned pid, uint64_t start_vpn, int ptr_bytes)
{
    uint64_t h = mix64(((uint64_t)pid << 44) ^ start_vpn);

    if (ptr_bytes == 4)                       /* x86 nonpaged pool: 8xxxxxxx */
        return 0x80000000ull | (h & 0x7FFFFFF8ull);
    return 0xFFFFE00000000000ull | (h & 0x00000FFFFFFFFFF0ull);
}

int vw_ptr_bytes(const vml_machine *m)
{
    vml_layout lo;

    vml_machine_layout(m, &lo);
    return lo.va_bits <= 32 ? 4 : 8;
}

int vw_vad_next(vml_proc *p, vml_va *cursor, int *done, vml_vad_info *v)
{
    vml_va end;

    if (*done || vml_vad_next(p, *cursor, v) != VML_OK)
        return 0;
    end = (v->end_vpn + 1) << VML_PAGE_SHIFT;
    if (end <= *cursor || v->end_vpn + 1 == 0)
        *done = 1;
    else
        *cursor = end;
    return 1;
}

unsigned vw_walk_stop(const vml_walk *w)
{
    unsigned i;

    if (w->present)
        return w->n_steps;
    for (i = 0; i < w->n_steps; i++)
        if (w->step[i].level == w->fail_level)
            return i;
    return w->n_steps ? w->n_steps - 1 : 0;
}

const char *vw_scope_name(vml_scope scope)
{
    switch (scope) {
    case VML_SCOPE_SYSTEM: return "system";
    case VML_SCOPE_PROC:   return "process";
    case VML_SCOPE_CPU:    return "cpu";
    }
    return "?";
}

const char *vw_mem_state_name(uint32_t v)
{
    switch (v) {
    case VML_MEM_COMMIT:  return "MEM_COMMIT";
    case VML_MEM_RESERVE: return "MEM_RESERVE";
    case VML_MEM_FREE:    return "MEM_FREE";
    }
    return NULL;
}

const char *vw_mem_type_name(uint32_t v)
{
    switch (v) {
    case VML_MEM_PRIVATE: return "MEM_PRIVATE";
    case VML_MEM_MAPPED:  return "MEM_MAPPED";
    case VML_MEM_IMAGE:   return "MEM_IMAGE";
    }
    return NULL;
}

/* Intel's name of the table at a level (SDM vol. 3, 4.5): level 2 is a
** page directory and level 1 a page table in every paging mode. */
const char *vw_table_name(unsigned level)
{
    switch (level) {
    case 5: return "PML5";
    case 4: return "PML4";
    case 3: return "PDPT";
    case 2: return "PD";
    default: return "PT";
    }
}
