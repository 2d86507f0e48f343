/*
** win32.c -- the Windows personality: VirtualAlloc(Ex), VirtualFree,
** VirtualProtect, VirtualQuery, ReadProcessMemory, WriteProcessMemory, with
** Windows' rounding rules and the GetLastError() codes Windows returns.
** Sources: the MSDN pages of each function; NtAllocateVirtualMemory and
** NtFreeVirtualMemory behaviour as ReactOS documents it (ntoskrnl/mm/ARM3/
** virtual.c); status-to-error mapping of RtlNtStatusToDosError.
**
** Each call validates everything first and changes nothing when it fails.
** INVARIANTS: none of its own (it goes through mm/vm.h).
*/
#include <string.h>
#include "mm/vm.h"
#include "win32.h"

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

uint32_t w32_done(vml_machine *m, uint32_t err)
{
    /* vm_done() runs the invariant check in test builds; a failure there is
    ** a bug, reported by the check itself. */
    (void)vm_done(m, VML_OK);
    return err;
}
#define done w32_done

/* What a Win32 call leaves for GetLastError(): its error when it fails; on
** success, the functions that say they set it (CreateFile,
** CreateFileMapping, OpenFileMapping: 0 or ERROR_ALREADY_EXISTS) set it,
** the others leave it as it was (MSDN, "GetLastError": "Most functions
** that set the thread's last-error code set it when they fail"). */
uint32_t w32_last_error(vml_proc *p, uint32_t err, int on_success)
{
    if (p != NULL && (err != VML_ERROR_SUCCESS || on_success))
        *vm_last_error(p) = err;
    return err;
}

uint32_t vml_win_GetLastError(vml_proc *p)
{
    return p ? *vm_last_error(p) : VML_ERROR_INVALID_HANDLE;
}

/* The base protection of a Win32 PAGE_* value (modifiers dropped). */
static uint32_t base_protect(uint32_t protect)
{
    return protect & 0xFFu;
}

static int is_writecopy(uint32_t protect)
{
    return base_protect(protect) == VML_PAGE_WRITECOPY ||
           base_protect(protect) == VML_PAGE_EXECUTE_WRITECOPY;
}

static int is_writable(uint32_t protect)
{
    return base_protect(protect) == VML_PAGE_READWRITE ||
           base_protect(protect) == VML_PAGE_EXECUTE_READWRITE;
}

static int is_executable(uint32_t protect)
{
    uint32_t b = base_protect(protect);
    return b == VML_PAGE_EXECUTE || b == VML_PAGE_EXECUTE_READ ||
           b == VML_PAGE_EXECUTE_READWRITE || b == VML_PAGE_EXECUTE_WRITECOPY;
}

/* The VAD holding every page of [lo, hi), or NULL. */
struct vad *w32_vad_covering(vml_proc *p, vml_va lo, vml_va hi)
{
    struct vad *v = vad_find(vm_vads(p), lo >> 12);
    if (v == NULL || ((hi - 1) >> 12) > v->end_vpn)
        return NULL;
    return v;
}

static uint32_t w_VirtualAlloc(vml_proc *p, vml_va addr, uint64_t size, uint32_t type,
                               uint32_t protect, vml_va *out)
{
    if (p == NULL || out == NULL)
        return VML_ERROR_INVALID_PARAMETER;
    vml_machine *m = vml_proc_machine(p);
    const vml_layout *l = vm_layout(m);
    uint32_t known = VML_MEM_COMMIT | VML_MEM_RESERVE | VML_MEM_TOP_DOWN;
    int mmprot = vm_prot_from_win32(protect);
    vml_va lo, hi;

    if (type & (VML_MEM_RESET | 0x20000000u /* MEM_LARGE_PAGES */ | 0x00400000u /* MEM_PHYSICAL */ |
                0x00200000u /* MEM_WRITE_WATCH */))
        return done(m, 50);   /* ERROR_NOT_SUPPORTED: not simulated (yet) */
    if (size == 0 || (type & ~known) || !(type & (VML_MEM_COMMIT | VML_MEM_RESERVE)) || mmprot < 0)
        return done(m, VML_ERROR_INVALID_PARAMETER);
    /* PAGE_WRITECOPY and PAGE_EXECUTE_WRITECOPY are for mapped views only. */
    if (is_writecopy(protect))
        return done(m, VML_ERROR_INVALID_PARAMETER);

    int reserve = (type & VML_MEM_RESERVE) || addr == 0;  /* MEM_COMMIT at NULL reserves too */
    if (!reserve) {
        /* Commit inside an existing reservation (or a view of a SEC_RESERVE
        ** section): page granularity. */
        if (page_range(addr, size, PAGE, &lo, &hi) || hi - 1 > l->user_highest)
            return done(m, VML_ERROR_INVALID_PARAMETER);
        struct vad *v = w32_vad_covering(p, lo, hi);
        if (v == NULL || v->type == VML_VAD_IMAGE)
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
        if (vad_overlap(vm_vads(p), lo >> 12, (hi - 1) >> 12))
            return done(m, VML_ERROR_INVALID_ADDRESS);
    } else {
        uint64_t start;
        if (n_pages > ((l->user_highest + 1 - l->user_lowest) >> 12))
            return done(m, VML_ERROR_NOT_ENOUGH_MEMORY);
        if (!vad_find_gap(vm_vads(p), l->user_lowest >> 12, l->user_highest >> 12, n_pages,
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

uint32_t vml_win_VirtualAlloc(vml_proc *p, vml_va addr, uint64_t size, uint32_t type,
                              uint32_t protect, vml_va *out)
{
    return w32_last_error(p, w_VirtualAlloc(p, addr, size, type, protect, out), 0);
}

static uint32_t w_VirtualAllocEx(vml_proc *caller, vml_proc *target, vml_va addr, uint64_t size,
                                 uint32_t type, uint32_t protect, vml_va *out)
{
    if (caller == NULL || target == NULL || vml_proc_machine(caller) != vml_proc_machine(target))
        return VML_ERROR_INVALID_HANDLE;
    return w_VirtualAlloc(target, addr, size, type, protect, out);
}

uint32_t vml_win_VirtualAllocEx(vml_proc *caller, vml_proc *target, vml_va addr, uint64_t size,
                                uint32_t type, uint32_t protect, vml_va *out)
{
    return w32_last_error(caller, w_VirtualAllocEx(caller, target, addr, size, type, protect, out), 0);
}

static uint32_t w_VirtualFree(vml_proc *p, vml_va addr, uint64_t size, uint32_t type)
{
    if (p == NULL)
        return VML_ERROR_INVALID_PARAMETER;
    vml_machine *m = vml_proc_machine(p);
    vml_va lo, hi;
    if (type != VML_MEM_RELEASE && type != VML_MEM_DECOMMIT)
        return done(m, VML_ERROR_INVALID_PARAMETER);
    if (addr > vm_layout(m)->user_highest)
        return done(m, VML_ERROR_INVALID_PARAMETER);
    struct vad *v = vad_find(vm_vads(p), addr >> 12);
    /* A view is UnmapViewOfFile's: VirtualFree of one fails
    ** ERROR_INVALID_PARAMETER, release or decommit (as Wine 8 does). */
    if (v != NULL && v->type != VML_VAD_PRIVATE)
        return done(m, VML_ERROR_INVALID_PARAMETER);
    if (type == VML_MEM_RELEASE) {
        /* dwSize must be 0 and lpAddress the region's base
        ** (STATUS_FREE_VM_NOT_AT_BASE -> ERROR_INVALID_ADDRESS). */
        if (size != 0)
            return done(m, VML_ERROR_INVALID_PARAMETER);
        if (v == NULL || (addr >> 12) != v->start_vpn || v->alloc_base_vpn != v->start_vpn)
            return done(m, VML_ERROR_INVALID_ADDRESS);
        vm_release(p, v);
        return done(m, VML_ERROR_SUCCESS);
    }
    /* MEM_DECOMMIT: page granularity; dwSize 0 means to the region's end. */
    if (v == NULL)
        return done(m, VML_ERROR_INVALID_ADDRESS);
    if (size == 0) {
        lo = down(addr, PAGE);
        hi = (v->end_vpn + 1) << 12;
    } else if (page_range(addr, size, PAGE, &lo, &hi) || w32_vad_covering(p, lo, hi) != v) {
        return done(m, VML_ERROR_INVALID_ADDRESS);
    }
    if (vm_available(m) < vm_decommit_tables_needed(p, v, lo, hi))
        return done(m, VML_ERROR_NOT_ENOUGH_MEMORY);
    vm_decommit(p, v, lo, (hi - lo) >> 12);
    return done(m, VML_ERROR_SUCCESS);
}

uint32_t vml_win_VirtualFree(vml_proc *p, vml_va addr, uint64_t size, uint32_t type)
{
    return w32_last_error(p, w_VirtualFree(p, addr, size, type), 0);
}

/* May a view of protection view_protect (its AllocationProtect) be given
** new_protect?  Windows keeps a view within what it was mapped with
** (MiIsPteProtectionCompatible): no writing in a read-only view, no
** executing in one mapped without FILE_MAP_EXECUTE; WRITECOPY only in a
** view that can copy. */
static int view_allows(uint32_t view_protect, uint32_t new_protect)
{
    int v_write = is_writable(view_protect);
    return (!is_executable(new_protect) || is_executable(view_protect)) &&
           (!is_writable(new_protect) || v_write) &&
           (!is_writecopy(new_protect) || is_writecopy(view_protect) || v_write);
}

static uint32_t w_VirtualProtect(vml_proc *p, vml_va addr, uint64_t size, uint32_t new_protect,
                                 uint32_t *old_protect)
{
    if (p == NULL)
        return VML_ERROR_INVALID_PARAMETER;
    vml_machine *m = vml_proc_machine(p);
    int mmprot = vm_prot_from_win32(new_protect);
    vml_va lo, hi;
    if (old_protect == NULL)
        return done(m, VML_ERROR_NOACCESS);   /* lpflOldProtect must be valid */
    if (mmprot < 0 || size == 0)
        return done(m, VML_ERROR_INVALID_PARAMETER);
    if (page_range(addr, size, PAGE, &lo, &hi) || hi - 1 > vm_layout(m)->user_highest)
        return done(m, VML_ERROR_INVALID_PARAMETER);
    struct vad *v = w32_vad_covering(p, lo, hi);
    /* WRITECOPY is for views; a view stays within what it was mapped with
    ** (STATUS_SECTION_PROTECTION -> ERROR_INVALID_PARAMETER). */
    if (is_writecopy(new_protect) && (v == NULL || v->type == VML_VAD_PRIVATE))
        return done(m, VML_ERROR_INVALID_PARAMETER);
    if (v == NULL)
        return done(m, VML_ERROR_INVALID_ADDRESS);
    if (v->type != VML_VAD_PRIVATE && !view_allows(v->protect, new_protect))
        return done(m, VML_ERROR_INVALID_PARAMETER);
    /* Every page must be committed (STATUS_NOT_COMMITTED -> ERROR_INVALID_ADDRESS). */
    if (vm_count_committed(p, v, lo, hi) != (hi - lo) >> 12)
        return done(m, VML_ERROR_INVALID_ADDRESS);
    if (vm_available(m) < vm_protect_tables_needed(p, v, lo, hi, (unsigned)mmprot))
        return done(m, VML_ERROR_NOT_ENOUGH_MEMORY);
    unsigned first;
    vm_page_protection(p, v, lo, &first);
    vm_protect(p, v, lo, (hi - lo) >> 12, (unsigned)mmprot);
    *old_protect = vm_prot_to_win32(first);
    return done(m, VML_ERROR_SUCCESS);
}

uint32_t vml_win_VirtualProtect(vml_proc *p, vml_va addr, uint64_t size, uint32_t new_protect,
                                uint32_t *old_protect)
{
    return w32_last_error(p, w_VirtualProtect(p, addr, size, new_protect, old_protect), 0);
}

static uint32_t w_VirtualQuery(vml_proc *p, vml_va addr, vml_mbi *mbi)
{
    if (p == NULL || mbi == NULL)
        return VML_ERROR_INVALID_PARAMETER;
    vml_machine *m = vml_proc_machine(p);
    const vml_layout *l = vm_layout(m);
    if (addr > l->user_highest)
        return done(m, VML_ERROR_INVALID_PARAMETER);
    vml_va base = down(addr, PAGE);
    *mbi = (vml_mbi){ 0 };
    mbi->BaseAddress = base;
    const struct vad *v = vad_find(vm_vads(p), base >> 12);
    if (v == NULL) {
        /* A free region runs to the next VAD, or to the end of user space. */
        const struct vad *next = vad_lookup_ge(vm_vads(p), base >> 12);
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
    mbi->Protect = committed ? vm_prot_to_win32(mmprot) : 0;
    mbi->Type = v->type == VML_VAD_IMAGE ? VML_MEM_IMAGE
              : v->type == VML_VAD_MAPPED ? VML_MEM_MAPPED : VML_MEM_PRIVATE;
    return done(m, VML_ERROR_SUCCESS);
}

uint32_t vml_win_VirtualQuery(vml_proc *p, vml_va addr, vml_mbi *mbi)
{
    return w32_last_error(p, w_VirtualQuery(p, addr, mbi), 0);
}

/* ReadProcessMemory / WriteProcessMemory: the caller's CPU attaches to the
** target's address space and copies page by page with user-mode rights;
** WriteProcessMemory writes even read-only pages (kernel32 makes them
** writable for the copy). */
static uint32_t copy_process_memory(vml_proc *caller, vml_proc *target, vml_va addr, void *buf,
                                    uint64_t size, uint64_t *n_done, unsigned access)
{
    if (caller == NULL || target == NULL || vml_proc_machine(caller) != vml_proc_machine(target))
        return VML_ERROR_INVALID_HANDLE;
    vml_machine *m = vml_proc_machine(target);
    vml_exception ex;
    if (n_done)
        *n_done = 0;
    if (buf == NULL && size)
        return done(m, VML_ERROR_NOACCESS);
    if (addr + size < addr)
        return done(m, VML_ERROR_PARTIAL_COPY);
    uint64_t copied = vm_copy(caller, target, addr, buf, size, access, 1, &ex);
    if (n_done)
        *n_done = copied;
    return done(m, copied == size ? VML_ERROR_SUCCESS : VML_ERROR_PARTIAL_COPY);
}

static uint32_t w_ReadProcessMemory(vml_proc *caller, vml_proc *target, vml_va addr, void *buf,
                                    uint64_t size, uint64_t *n_done)
{
    return copy_process_memory(caller, target, addr, buf, size, n_done, VML_ACCESS_READ);
}

uint32_t vml_win_ReadProcessMemory(vml_proc *caller, vml_proc *target, vml_va addr, void *buf,
                                   uint64_t size, uint64_t *n_done)
{
    return w32_last_error(caller, w_ReadProcessMemory(caller, target, addr, buf, size, n_done), 0);
}

static uint32_t w_WriteProcessMemory(vml_proc *caller, vml_proc *target, vml_va addr,
                                     const void *buf, uint64_t size, uint64_t *n_done)
{
    return copy_process_memory(caller, target, addr, (void *)(uintptr_t)buf, size, n_done,
                               VML_ACCESS_WRITE);
}

uint32_t vml_win_WriteProcessMemory(vml_proc *caller, vml_proc *target, vml_va addr,
                                    const void *buf, uint64_t size, uint64_t *n_done)
{
    return w32_last_error(caller, w_WriteProcessMemory(caller, target, addr, buf, size, n_done), 0);
}
