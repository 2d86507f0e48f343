/*
** win32.c -- the Windows personality: VirtualAlloc(Ex), VirtualFree,
** VirtualProtect, VirtualQuery, ReadProcessMemory, WriteProcessMemory, with
** Windows' rounding rules and the GetLastError() codes Windows returns.
** Sources: the MSDN pages of each function; NtAllocateVirtualMemory and
** NtFreeVirtualMemory behaviour as ReactOS documents it (ntoskrnl/mm/ARM3/
** virtual.c); status-to-error mapping of RtlNtStatusToDosError.
**
** Each call validates everything first and changes nothing when it fails.
** INVARIANTS: none of its own (it goes through mm/virtual.c).
*/
#include <string.h>
#include "mm/mm.h"

#define GRAN  UINT64_C(0x10000)
#define PAGE  UINT64_C(0x1000)

static vml_va down(vml_va x, uint64_t a) { return x & ~(a - 1); }

/* [*lo, *hi) from addr and size, with overflow checks. */
static int page_range(vml_va addr, uint64_t size, uint64_t align, vml_va *lo, vml_va *hi)
{
    vml_va end = addr + size;
    if (end < addr || end > UINT64_MAX - PAGE)
        return -1;
    *lo = down(addr, align);
    *hi = down(end + PAGE - 1, PAGE);
    return 0;
}

static uint32_t done(vml_machine *m, uint32_t err)
{
    /* mm_done() runs the invariant check in test builds; a failure there is
    ** a bug, reported by the check itself. */
    (void)mm_done(m, VML_OK);
    return err;
}

/* The VAD holding every page of [lo, hi), or NULL. */
static struct vad *vad_covering(vml_proc *p, vml_va lo, vml_va hi)
{
    struct vad *v = vad_find(&p->vads, lo >> 12);
    if (v == NULL || ((hi - 1) >> 12) > v->end_vpn)
        return NULL;
    return v;
}

uint32_t vml_win_VirtualAlloc(vml_proc *p, vml_va addr, uint64_t size, uint32_t type,
                              uint32_t protect, vml_va *out)
{
    if (p == NULL || out == NULL)
        return VML_ERROR_INVALID_PARAMETER;
    vml_machine *m = p->m;
    const vml_layout *l = &m->layout;
    uint32_t known = VML_MEM_COMMIT | VML_MEM_RESERVE | VML_MEM_TOP_DOWN;
    int mmprot = mmprot_from_win32(protect);
    vml_va lo, hi;

    if (type & (VML_MEM_RESET | 0x20000000u /* MEM_LARGE_PAGES */ | 0x00400000u /* MEM_PHYSICAL */ |
                0x00200000u /* MEM_WRITE_WATCH */))
        return done(m, 50);   /* ERROR_NOT_SUPPORTED: not simulated (yet) */
    if (size == 0 || (type & ~known) || !(type & (VML_MEM_COMMIT | VML_MEM_RESERVE)) || mmprot < 0)
        return done(m, VML_ERROR_INVALID_PARAMETER);
    /* PAGE_WRITECOPY and PAGE_EXECUTE_WRITECOPY are for mapped views only. */
    if ((mmprot & MM_ACCESS_MASK) == MM_WRITECOPY || (mmprot & MM_ACCESS_MASK) == MM_EXECUTE_WRITECOPY)
        return done(m, VML_ERROR_INVALID_PARAMETER);

    int reserve = (type & VML_MEM_RESERVE) || addr == 0;  /* MEM_COMMIT at NULL reserves too */
    if (!reserve) {
        /* Commit inside an existing reservation: page granularity. */
        if (page_range(addr, size, PAGE, &lo, &hi) || hi - 1 > l->user_highest)
            return done(m, VML_ERROR_INVALID_PARAMETER);
        struct vad *v = vad_covering(p, lo, hi);
        if (v == NULL || v->type != VML_VAD_PRIVATE)
            return done(m, VML_ERROR_INVALID_ADDRESS);
        uint64_t n = (hi - lo) >> 12;
        vml_status st = vm_commit(p, v, lo, n, (unsigned)mmprot);
        if (st == VML_E_COMMIT)     /* STATUS_COMMITMENT_LIMIT */
            return done(m, VML_ERROR_COMMITMENT_LIMIT);
        if (st != VML_OK)
            return done(m, VML_ERROR_NOT_ENOUGH_MEMORY);
        *out = lo;
        return done(m, VML_ERROR_SUCCESS);
    }

    /* Reservation: the base rounds down to 64 KiB, the end up to a page. */
    if (page_range(addr, size, GRAN, &lo, &hi))
        return done(m, VML_ERROR_INVALID_PARAMETER);
    uint64_t n_pages = (hi - lo) >> 12;
    if (addr != 0) {
        /* A given address is where the region goes, never moved: inside
        ** the first 64 KiB (the NULL region) it cannot be reserved. */
        if (lo < l->user_lowest || hi - 1 > l->user_highest)
            return done(m, VML_ERROR_INVALID_PARAMETER);
        if (vad_overlap(&p->vads, lo >> 12, (hi - 1) >> 12))
            return done(m, VML_ERROR_INVALID_ADDRESS);
    } else {
        uint64_t start;
        if (n_pages > ((l->user_highest + 1 - l->user_lowest) >> 12))
            return done(m, VML_ERROR_NOT_ENOUGH_MEMORY);
        if (!vad_find_gap(&p->vads, l->user_lowest >> 12, l->user_highest >> 12, n_pages,
                          GRAN >> 12, (type & VML_MEM_TOP_DOWN) != 0, &start))
            return done(m, VML_ERROR_NOT_ENOUGH_MEMORY);
        lo = start << 12;
        hi = lo + (n_pages << 12);
    }
    if ((type & VML_MEM_COMMIT) && vm_charge_check(p, n_pages) != VML_OK)
        return done(m, VML_ERROR_COMMITMENT_LIMIT);
    struct vad *v = vm_vad_alloc(m);
    if (v == NULL)
        return done(m, VML_ERROR_NOT_ENOUGH_MEMORY);
    vm_reserve(p, v, lo, n_pages, protect, VML_ORIGIN_WIN32, (type & VML_MEM_COMMIT) != 0);
    *out = lo;
    return done(m, VML_ERROR_SUCCESS);
}

uint32_t vml_win_VirtualAllocEx(vml_proc *caller, vml_proc *target, vml_va addr, uint64_t size,
                                uint32_t type, uint32_t protect, vml_va *out)
{
    if (caller == NULL || target == NULL || caller->m != target->m)
        return VML_ERROR_INVALID_HANDLE;
    return vml_win_VirtualAlloc(target, addr, size, type, protect, out);
}

uint32_t vml_win_VirtualFree(vml_proc *p, vml_va addr, uint64_t size, uint32_t type)
{
    if (p == NULL)
        return VML_ERROR_INVALID_PARAMETER;
    vml_machine *m = p->m;
    vml_va lo, hi;
    if (type != VML_MEM_RELEASE && type != VML_MEM_DECOMMIT)
        return done(m, VML_ERROR_INVALID_PARAMETER);
    if (addr > m->layout.user_highest)
        return done(m, VML_ERROR_INVALID_PARAMETER);
    if (type == VML_MEM_RELEASE) {
        /* dwSize must be 0 and lpAddress the region's base
        ** (STATUS_FREE_VM_NOT_AT_BASE -> ERROR_INVALID_ADDRESS). */
        if (size != 0)
            return done(m, VML_ERROR_INVALID_PARAMETER);
        struct vad *v = vad_find(&p->vads, addr >> 12);
        if (v == NULL || (addr >> 12) != v->start_vpn || v->type != VML_VAD_PRIVATE ||
            v->alloc_base_vpn != v->start_vpn)
            return done(m, VML_ERROR_INVALID_ADDRESS);
        vm_release(p, v);
        return done(m, VML_ERROR_SUCCESS);
    }
    /* MEM_DECOMMIT: page granularity; dwSize 0 means to the region's end. */
    struct vad *v = vad_find(&p->vads, addr >> 12);
    if (v == NULL || v->type != VML_VAD_PRIVATE)
        return done(m, VML_ERROR_INVALID_ADDRESS);
    if (size == 0) {
        lo = down(addr, PAGE);
        hi = (v->end_vpn + 1) << 12;
    } else if (page_range(addr, size, PAGE, &lo, &hi) || vad_covering(p, lo, hi) != v) {
        return done(m, VML_ERROR_INVALID_ADDRESS);
    }
    if (pfn_available(m) < vm_decommit_tables_needed(p, v, lo, hi))
        return done(m, VML_ERROR_NOT_ENOUGH_MEMORY);
    vm_decommit(p, v, lo, (hi - lo) >> 12);
    return done(m, VML_ERROR_SUCCESS);
}

uint32_t vml_win_VirtualProtect(vml_proc *p, vml_va addr, uint64_t size, uint32_t new_protect,
                                uint32_t *old_protect)
{
    if (p == NULL)
        return VML_ERROR_INVALID_PARAMETER;
    vml_machine *m = p->m;
    int mmprot = mmprot_from_win32(new_protect);
    vml_va lo, hi;
    if (old_protect == NULL)
        return done(m, VML_ERROR_NOACCESS);   /* lpflOldProtect must be valid */
    if (mmprot < 0 || size == 0 || (mmprot & MM_ACCESS_MASK) == MM_WRITECOPY ||
        (mmprot & MM_ACCESS_MASK) == MM_EXECUTE_WRITECOPY)
        return done(m, VML_ERROR_INVALID_PARAMETER);
    if (page_range(addr, size, PAGE, &lo, &hi) || hi - 1 > m->layout.user_highest)
        return done(m, VML_ERROR_INVALID_PARAMETER);
    struct vad *v = vad_covering(p, lo, hi);
    if (v == NULL)
        return done(m, VML_ERROR_INVALID_ADDRESS);
    /* Every page must be committed (STATUS_NOT_COMMITTED -> ERROR_INVALID_ADDRESS). */
    if (vm_count_committed(p, v, lo, hi) != (hi - lo) >> 12)
        return done(m, VML_ERROR_INVALID_ADDRESS);
    if (pfn_available(m) < vm_protect_tables_needed(p, v, lo, hi, (unsigned)mmprot))
        return done(m, VML_ERROR_NOT_ENOUGH_MEMORY);
    int committed;
    unsigned first;
    vm_region_end(p, v, lo, lo + PAGE, &committed, &first);
    vm_protect(p, v, lo, (hi - lo) >> 12, (unsigned)mmprot);
    *old_protect = mmprot_to_win32(first);
    return done(m, VML_ERROR_SUCCESS);
}

uint32_t vml_win_VirtualQuery(vml_proc *p, vml_va addr, vml_mbi *mbi)
{
    if (p == NULL || mbi == NULL)
        return VML_ERROR_INVALID_PARAMETER;
    vml_machine *m = p->m;
    const vml_layout *l = &m->layout;
    if (addr > l->user_highest)
        return done(m, VML_ERROR_INVALID_PARAMETER);
    vml_va base = down(addr, PAGE);
    *mbi = (vml_mbi){ 0 };
    mbi->BaseAddress = base;
    const struct vad *v = vad_find(&p->vads, base >> 12);
    if (v == NULL) {
        /* A free region runs to the next VAD, or to the end of user space. */
        const struct vad *next = vad_lookup_ge(&p->vads, base >> 12);
        vml_va end = next ? next->start_vpn << 12 : down(l->user_highest + 1, PAGE);
        mbi->RegionSize = end - base;
        mbi->State = VML_MEM_FREE;
        mbi->Protect = VML_PAGE_NOACCESS;
        return done(m, VML_ERROR_SUCCESS);
    }
    int committed;
    unsigned mmprot;
    vml_va end = vm_region_end(p, v, base, (v->end_vpn + 1) << 12, &committed, &mmprot);
    mbi->AllocationBase = v->alloc_base_vpn << 12;
    mbi->AllocationProtect = v->protect;
    mbi->RegionSize = end - base;
    mbi->State = committed ? VML_MEM_COMMIT : VML_MEM_RESERVE;
    mbi->Protect = committed ? mmprot_to_win32(mmprot) : 0;
    mbi->Type = v->type == VML_VAD_IMAGE ? VML_MEM_IMAGE
              : v->type == VML_VAD_MAPPED ? VML_MEM_MAPPED : VML_MEM_PRIVATE;
    return done(m, VML_ERROR_SUCCESS);
}

/* The copy of ReadProcessMemory/WriteProcessMemory: the caller's CPU
** attaches to the target's address space (KeStackAttachProcess: a CR3
** load), copies page by page with user-mode rights, and comes back. */
static uint32_t copy_process_memory(vml_proc *caller, vml_proc *target, vml_va addr, uint8_t *buf,
                                    uint64_t size, uint64_t *n_done, unsigned access)
{
    if (caller == NULL || target == NULL || caller->m != target->m)
        return VML_ERROR_INVALID_HANDLE;
    vml_machine *m = target->m;
    unsigned cpu = caller->last_cpu;
    uint64_t copied = 0;
    uint32_t err = VML_ERROR_SUCCESS;
    if (n_done)
        *n_done = 0;
    if (buf == NULL && size)
        return done(m, VML_ERROR_NOACCESS);
    if (addr + size < addr)
        return done(m, VML_ERROR_PARTIAL_COPY);
    as_switch(m, cpu, target);
    while (copied < size) {
        vml_va va = addr + copied;
        uint64_t chunk = PAGE - (va & (PAGE - 1));
        vml_pa pa;
        vml_exception ex;
        if (chunk > size - copied)
            chunk = size - copied;
        uint32_t restore = 0;
        struct vad *v = NULL;
        if (access == VML_ACCESS_WRITE) {
            /* kernel32!WriteProcessMemory makes a read-only page writable for
            ** the copy and restores it: writing code into another process
            ** works without VirtualProtectEx. */
            v = vad_find(&target->vads, va >> 12);
            vml_pa pte_pa;
            unsigned cur;
            if (v && as_pte_slot(target, va, 0, &pte_pa) == VML_OK &&
                vm_page_state(target, v, va, pte_pa ? pte_read(m, pte_pa) : 0, &cur) &&
                !mmprot_noaccess(cur) && !mmprot_guard(cur) && !mmprot_writable(cur) &&
                pfn_available(m) >= vm_protect_tables_needed(target, v, down(va, PAGE),
                                                             down(va, PAGE) + PAGE, MM_READWRITE) + 1) {
                restore = cur | 0x100u;
                vm_protect(target, v, down(va, PAGE), 1,
                           mmprot_executable(cur) ? MM_EXECUTE_READWRITE : MM_READWRITE);
            }
        }
        int ok = acc_translate(target, cpu, va, access, &pa, &ex) == 0;
        if (ok) {
            if (access == VML_ACCESS_WRITE)
                memcpy(phys_ptr(&m->phys, pa), buf + copied, chunk);
            else
                memcpy(buf + copied, phys_ptr(&m->phys, pa), chunk);
        }
        if (restore)
            vm_protect(target, v, down(va, PAGE), 1, restore & 0xFFu);
        if (!ok) {
            err = VML_ERROR_PARTIAL_COPY;
            break;
        }
        copied += chunk;
    }
    as_switch(m, cpu, caller);
    if (n_done)
        *n_done = copied;
    return done(m, err);
}

uint32_t vml_win_ReadProcessMemory(vml_proc *caller, vml_proc *target, vml_va addr, void *buf,
                                   uint64_t size, uint64_t *n_done)
{
    return copy_process_memory(caller, target, addr, buf, size, n_done, VML_ACCESS_READ);
}

uint32_t vml_win_WriteProcessMemory(vml_proc *caller, vml_proc *target, vml_va addr,
                                    const void *buf, uint64_t size, uint64_t *n_done)
{
    return copy_process_memory(caller, target, addr, (uint8_t *)(uintptr_t)buf, size, n_done,
                               VML_ACCESS_WRITE);
}
