/*
** win32_files.c -- the Windows personality's files and sections:
** CreateFile, CreateFileMapping, OpenFileMapping, MapViewOfFile(Ex),
** UnmapViewOfFile, FlushViewOfFile, CloseHandle, with the rules and
** GetLastError() codes of the MSDN pages of each function:
**   - a file must be opened with access compatible with the section's
**     protection (PAGE_READWRITE needs GENERIC_READ|GENERIC_WRITE ...),
**     else ERROR_ACCESS_DENIED;
**   - a writable section larger than its file grows the file; a read-only
**     one cannot (ERROR_NOT_ENOUGH_MEMORY); an empty file cannot be
**     mapped (ERROR_FILE_INVALID);
**   - a name already in the namespace opens that section:
**     ERROR_ALREADY_EXISTS with a valid handle;
**   - every view must be compatible with the section's protection
**     (FILE_MAP_WRITE needs a writable section: ERROR_ACCESS_DENIED), its
**     offset a multiple of 64 KiB (ERROR_MAPPED_ALIGNMENT), its size
**     within the section (ERROR_ACCESS_DENIED, STATUS_INVALID_VIEW_SIZE).
** Each code was checked against Wine 8 running the same calls (a mingw-w64
** program; the scenario share/win32_section_errors.vms makes them).
**
** INVARIANTS: none of its own (handles and sections are mm/'s).
*/
#include <stdlib.h>
#include <string.h>
#include "win32.h"

#define GRAN UINT64_C(0x10000)
#define PAGE UINT64_C(0x1000)
#define done w32_done

/* What a section handle may map (SECTION_MAP_* as FILE_MAP_* bits). */
#define MAP_RIGHTS (VML_FILE_MAP_READ | VML_FILE_MAP_WRITE | VML_FILE_MAP_EXECUTE | \
                    VML_FILE_MAP_COPY)

static uint32_t base_protect(uint32_t protect) { return protect & 0xFFu; }

static int protect_executes(uint32_t p)
{
    p = base_protect(p);
    return p == VML_PAGE_EXECUTE_READ || p == VML_PAGE_EXECUTE_READWRITE ||
           p == VML_PAGE_EXECUTE_WRITECOPY;
}

static int protect_writes(uint32_t p)
{
    p = base_protect(p);
    return p == VML_PAGE_READWRITE || p == VML_PAGE_EXECUTE_READWRITE;
}

/* The FILE_MAP_* rights a section of this protection grants its views. */
static uint32_t section_rights(uint32_t protect)
{
    return VML_FILE_MAP_READ | VML_FILE_MAP_COPY |
           (protect_writes(protect) ? VML_FILE_MAP_WRITE : 0) |
           (protect_executes(protect) ? VML_FILE_MAP_EXECUTE : 0);
}

static struct handle *get_handle(vml_proc *p, vml_handle h, enum obj_kind kind)
{
    uint32_t slot;
    if (w32_slot_of(h, &slot) != 0)
        return NULL;
    return handle_get(vm_handles(p), slot, kind);
}

static uint32_t add_handle(vml_proc *p, enum obj_kind kind, void *obj, uint32_t access,
                           vml_handle *out)
{
    uint32_t slot;
    if (handle_add(vml_proc_machine(p), vm_handles(p), kind, obj, access, &slot) != VML_OK)
        return VML_ERROR_NOT_ENOUGH_MEMORY;
    *out = w32_handle_of(slot);
    return VML_ERROR_SUCCESS;
}

static uint32_t status_error(vml_status st)
{
    switch (st) {
    case VML_E_NOT_FOUND: return VML_ERROR_FILE_NOT_FOUND;
    case VML_E_ACCESS:    return VML_ERROR_ACCESS_DENIED;
    case VML_E_EXISTS:    return VML_ERROR_USER_MAPPED_FILE;
    case VML_E_COMMIT:    return VML_ERROR_COMMITMENT_LIMIT;
    case VML_E_INVALID:   return VML_ERROR_ACCESS_DENIED;   /* a directory */
    default:              return VML_ERROR_NOT_ENOUGH_MEMORY;
    }
}

/* ---- CreateFile ------------------------------------------------------------------- */

static uint32_t w_CreateFile(vml_proc *p, const char *path, uint32_t access, uint32_t disposition,
                             vml_handle *out)
{
    if (p == NULL || out == NULL || path == NULL)
        return VML_ERROR_INVALID_PARAMETER;
    vml_machine *m = vml_proc_machine(p);
    uint32_t known = VML_GENERIC_READ | VML_GENERIC_WRITE | VML_GENERIC_EXECUTE | VML_GENERIC_ALL;
    if ((access & ~known) || disposition < VML_CREATE_NEW || disposition > VML_TRUNCATE_EXISTING)
        return done(m, VML_ERROR_INVALID_PARAMETER);
    if (access & VML_GENERIC_ALL)
        access |= VML_GENERIC_READ | VML_GENERIC_WRITE | VML_GENERIC_EXECUTE;
    int write = (access & VML_GENERIC_WRITE) != 0;
    unsigned how = write ? VM_FILE_WRITE : 0;
    struct mm_file *f;
    vml_status st;
    /* Does it exist?  (CREATE_NEW fails, the *_ALWAYS ones report it.) */
    int existed = vm_file_open(m, path, 0, &f) == VML_OK;
    switch (disposition) {
    case VML_CREATE_NEW:
        if (existed)
            return done(m, VML_ERROR_FILE_EXISTS);
        how |= VM_FILE_CREATE | VM_FILE_EXCL;
        break;
    case VML_CREATE_ALWAYS:
        how |= VM_FILE_CREATE | VM_FILE_TRUNC;
        break;
    case VML_OPEN_EXISTING:
        break;
    case VML_OPEN_ALWAYS:
        how |= VM_FILE_CREATE;
        break;
    default:          /* TRUNCATE_EXISTING needs GENERIC_WRITE */
        if (!write)
            return done(m, VML_ERROR_INVALID_PARAMETER);
        how |= VM_FILE_TRUNC;
        break;
    }
    if ((st = vm_file_open(m, path, how, &f)) != VML_OK)
        return done(m, status_error(st));
    if (write && !vm_file_writable(f))
        return done(m, VML_ERROR_ACCESS_DENIED);
    uint32_t err = add_handle(p, OBJ_FILE, f, access, out);
    if (err)
        return done(m, err);
    /* CREATE_ALWAYS and OPEN_ALWAYS succeed on an existing file and say so. */
    int report = existed && (disposition == VML_CREATE_ALWAYS || disposition == VML_OPEN_ALWAYS);
    return done(m, report ? VML_ERROR_ALREADY_EXISTS : VML_ERROR_SUCCESS);
}

uint32_t vml_win_CreateFile(vml_proc *p, const char *path, uint32_t access, uint32_t disposition,
                            vml_handle *out)
{
    return w32_last_error(p, w_CreateFile(p, path, access, disposition, out), 1);
}

static uint32_t w_CloseHandle(vml_proc *p, vml_handle h)
{
    uint32_t slot;
    if (p == NULL)
        return VML_ERROR_INVALID_HANDLE;
    vml_machine *m = vml_proc_machine(p);
    if (w32_slot_of(h, &slot) != 0 || handle_get(vm_handles(p), slot, OBJ_NONE) == NULL)
        return done(m, VML_ERROR_INVALID_HANDLE);
    handle_close(m, vm_handles(p), slot);
    return done(m, VML_ERROR_SUCCESS);
}

uint32_t vml_win_CloseHandle(vml_proc *p, vml_handle h)
{
    return w32_last_error(p, w_CloseHandle(p, h), 0);
}

/* ---- sections ----------------------------------------------------------------------- */

/* The GENERIC_* access a file needs for a section of this protection. */
static uint32_t file_access_needed(uint32_t protect)
{
    return VML_GENERIC_READ | (protect_writes(protect) ? VML_GENERIC_WRITE : 0) |
           (protect_executes(protect) ? VML_GENERIC_EXECUTE : 0);
}

static uint32_t w_CreateFileMapping(vml_proc *p, vml_handle file, uint32_t protect, uint64_t size,
                                    const char *name, vml_handle *out)
{
    if (p == NULL || out == NULL)
        return VML_ERROR_INVALID_PARAMETER;
    vml_machine *m = vml_proc_machine(p);
    uint32_t attrs = protect & 0xFF000000u, page = protect & 0x00FFFFFFu;
    uint32_t b = base_protect(page);
    struct mm_file *f = NULL;
    struct section *s;
    vml_status st;
    /* One page protection of the six a section may have, and at most one
    ** of SEC_COMMIT / SEC_RESERVE (SEC_COMMIT when neither). */
    if ((page & ~0xFFu) || (b != VML_PAGE_READONLY && b != VML_PAGE_READWRITE &&
                            b != VML_PAGE_WRITECOPY && b != VML_PAGE_EXECUTE_READ &&
                            b != VML_PAGE_EXECUTE_READWRITE && b != VML_PAGE_EXECUTE_WRITECOPY) ||
        (attrs & ~(VML_SEC_COMMIT | VML_SEC_RESERVE | VML_SEC_NOCACHE)) ||
        ((attrs & VML_SEC_COMMIT) && (attrs & VML_SEC_RESERVE)))
        return done(m, VML_ERROR_INVALID_PARAMETER);
    if (!(attrs & VML_SEC_RESERVE))
        attrs |= VML_SEC_COMMIT;
    if (name && name[0] && (s = vm_section_find(m, name)) != NULL) {
        uint32_t err = add_handle(p, OBJ_SECTION, s, section_rights(vm_section_protect(s)), out);
        return done(m, err ? err : VML_ERROR_ALREADY_EXISTS);
    }
    if (file != VML_INVALID_HANDLE_VALUE) {
        struct handle *h = get_handle(p, file, OBJ_FILE);
        if (h == NULL)
            return done(m, VML_ERROR_INVALID_HANDLE);
        if (attrs & VML_SEC_RESERVE)
            return done(m, VML_ERROR_INVALID_PARAMETER);   /* SEC_RESERVE: pagefile only */
        uint32_t need = file_access_needed(page);
        if ((h->access & need) != need)
            return done(m, VML_ERROR_ACCESS_DENIED);
        f = h->obj;
        if (size == 0)
            size = vm_file_size(f);
        if (size == 0)
            return done(m, VML_ERROR_FILE_INVALID);        /* an empty file */
        if (size > vm_file_size(f) && !protect_writes(page))
            return done(m, VML_ERROR_NOT_ENOUGH_MEMORY);   /* STATUS_SECTION_TOO_BIG */
    } else if (size == 0) {
        return done(m, VML_ERROR_INVALID_PARAMETER);
    }
    if (size > UINT64_MAX - PAGE)
        return done(m, VML_ERROR_NOT_ENOUGH_MEMORY);
    /* A writable section larger than its file grows the file first
    ** (CreateFileMapping's remarks), so the section sees its pages. */
    if (f && size > vm_file_size(f) && vm_file_extend(m, f, size) != 0)
        return done(m, VML_ERROR_DISK_FULL);
    st = vm_section_create(m, f, size, page, attrs, name && name[0] ? name : NULL, &s);
    if (st != VML_OK)
        return done(m, status_error(st));
    uint32_t err = add_handle(p, OBJ_SECTION, s, section_rights(page), out);
    vm_section_unref(m, s);            /* the handle holds it (or nothing does) */
    return done(m, err);
}

uint32_t vml_win_CreateFileMapping(vml_proc *p, vml_handle file, uint32_t protect, uint64_t size,
                                   const char *name, vml_handle *out)
{
    return w32_last_error(p, w_CreateFileMapping(p, file, protect, size, name, out), 1);
}

static uint32_t w_OpenFileMapping(vml_proc *p, uint32_t access, const char *name, vml_handle *out)
{
    if (p == NULL || out == NULL || name == NULL)
        return VML_ERROR_INVALID_PARAMETER;
    vml_machine *m = vml_proc_machine(p);
    if (access & ~VML_FILE_MAP_ALL_ACCESS)
        return done(m, VML_ERROR_INVALID_PARAMETER);
    struct section *s = vm_section_find(m, name);
    if (s == NULL)
        return done(m, VML_ERROR_FILE_NOT_FOUND);
    uint32_t rights = section_rights(vm_section_protect(s));
    uint32_t want = access == VML_FILE_MAP_ALL_ACCESS ? rights & ~VML_FILE_MAP_EXECUTE
                                                      : access & MAP_RIGHTS;
    if ((want & rights) != want)
        return done(m, VML_ERROR_ACCESS_DENIED);
    return done(m, add_handle(p, OBJ_SECTION, s, want | VML_FILE_MAP_READ, out));
}

uint32_t vml_win_OpenFileMapping(vml_proc *p, uint32_t access, const char *name, vml_handle *out)
{
    return w32_last_error(p, w_OpenFileMapping(p, access, name, out), 1);
}

/* The protection of a view mapped with desired access (MapViewOfFileEx's
** conversion of FILE_MAP_* to a page protection); 0 for an access that
** asks for nothing. */
static uint32_t view_protect(uint32_t access)
{
    int exec = (access & VML_FILE_MAP_EXECUTE) != 0;
    if (access & VML_FILE_MAP_COPY)
        return exec ? VML_PAGE_EXECUTE_WRITECOPY : VML_PAGE_WRITECOPY;
    if (access & VML_FILE_MAP_WRITE)
        return exec ? VML_PAGE_EXECUTE_READWRITE : VML_PAGE_READWRITE;
    if (access & VML_FILE_MAP_READ)
        return exec ? VML_PAGE_EXECUTE_READ : VML_PAGE_READONLY;
    return 0;
}

static uint32_t w_MapViewOfFile(vml_proc *p, vml_handle section, uint32_t access, uint64_t offset,
                                uint64_t size, vml_va base, vml_va *out)
{
    if (p == NULL || out == NULL)
        return VML_ERROR_INVALID_PARAMETER;
    vml_machine *m = vml_proc_machine(p);
    const vml_layout *l = vm_layout(m);
    struct handle *h = get_handle(p, section, OBJ_SECTION);
    if (h == NULL)
        return done(m, VML_ERROR_INVALID_HANDLE);
    struct section *s = h->obj;
    if (access == VML_FILE_MAP_ALL_ACCESS)
        access = VML_FILE_MAP_WRITE | VML_FILE_MAP_READ;
    uint32_t protect = view_protect(access);
    if (protect == 0 || (access & ~MAP_RIGHTS))
        return done(m, VML_ERROR_INVALID_PARAMETER);
    uint32_t want = access & (VML_FILE_MAP_WRITE | VML_FILE_MAP_EXECUTE);
    if ((want & h->access) != want)
        return done(m, VML_ERROR_ACCESS_DENIED);
    if (offset % GRAN)
        return done(m, VML_ERROR_MAPPED_ALIGNMENT);
    uint64_t ssize = vm_section_size(s);
    if (offset >= ssize || size > ssize - offset)
        return done(m, VML_ERROR_ACCESS_DENIED);          /* STATUS_INVALID_VIEW_SIZE */
    if (size == 0)
        size = ssize - offset;
    uint64_t n_pages = (size + PAGE - 1) / PAGE;
    vml_va lo;
    if (base != 0) {
        if (base % GRAN)
            return done(m, VML_ERROR_MAPPED_ALIGNMENT);
        if (base < l->user_lowest || base + n_pages * PAGE - 1 > l->user_highest ||
            base + n_pages * PAGE < base ||
            vad_overlap(vm_vads(p), base >> 12, (base >> 12) + n_pages - 1))
            return done(m, VML_ERROR_INVALID_ADDRESS);
        lo = base;
    } else {
        uint64_t start;
        if (!vad_find_gap(vm_vads(p), l->user_lowest >> 12, l->user_highest >> 12, n_pages,
                          GRAN >> 12, 0, &start))
            return done(m, VML_ERROR_NOT_ENOUGH_MEMORY);
        lo = start << 12;
    }
    /* A copy-on-write view is charged whole when it is mapped. */
    if ((access & VML_FILE_MAP_COPY) && vm_charge_check(p, n_pages) != VML_OK)
        return done(m, VML_ERROR_COMMITMENT_LIMIT);
    struct vad *v = vm_vad_alloc(m);
    if (v == NULL)
        return done(m, VML_ERROR_NOT_ENOUGH_MEMORY);
    vm_map_view(p, v, lo, n_pages, vm_section_segment(s), s, offset / PAGE, protect,
                (access & VML_FILE_MAP_COPY) != 0, VML_ORIGIN_WIN32);
    *out = lo;
    return done(m, VML_ERROR_SUCCESS);
}

uint32_t vml_win_MapViewOfFile(vml_proc *p, vml_handle section, uint32_t access, uint64_t offset,
                               uint64_t size, vml_va base, vml_va *out)
{
    return w32_last_error(p, w_MapViewOfFile(p, section, access, offset, size, base, out), 0);
}

/* The view VAD that holds base, or NULL. */
static struct vad *view_at(vml_proc *p, vml_va base)
{
    struct vad *v = vad_find(vm_vads(p), base >> 12);
    return v == NULL || v->seg == NULL ? NULL : v;
}

static uint32_t w_UnmapViewOfFile(vml_proc *p, vml_va base)
{
    if (p == NULL)
        return VML_ERROR_INVALID_PARAMETER;
    vml_machine *m = vml_proc_machine(p);
    /* Any address inside the view unmaps it (NtUnmapViewOfSection finds the
    ** view that holds it; so does Wine 8); elsewhere STATUS_NOT_MAPPED_VIEW
    ** -> ERROR_INVALID_ADDRESS. */
    struct vad *v = view_at(p, base);
    if (v == NULL || v->origin != VML_ORIGIN_WIN32)
        return done(m, VML_ERROR_INVALID_ADDRESS);
    vm_release(p, v);
    return done(m, VML_ERROR_SUCCESS);
}

uint32_t vml_win_UnmapViewOfFile(vml_proc *p, vml_va base)
{
    return w32_last_error(p, w_UnmapViewOfFile(p, base), 0);
}

static uint32_t w_FlushViewOfFile(vml_proc *p, vml_va base, uint64_t size)
{
    if (p == NULL)
        return VML_ERROR_INVALID_PARAMETER;
    vml_machine *m = vml_proc_machine(p);
    /* Outside a view, or past its end: ERROR_INVALID_PARAMETER (Wine 8). */
    struct vad *v = view_at(p, base);
    if (v == NULL)
        return done(m, VML_ERROR_INVALID_PARAMETER);
    vml_va lo = base & ~(PAGE - 1), end = (v->end_vpn + 1) << 12;
    if (size != 0) {
        if (base + size < base || base + size > end)
            return done(m, VML_ERROR_INVALID_PARAMETER);
        end = (base + size + PAGE - 1) & ~(PAGE - 1);
    }
    int err = vm_flush(p, v, lo, end);
    /* STATUS_IO_DEVICE_ERROR -> ERROR_IO_DEVICE; a full disk -> ERROR_DISK_FULL */
    return done(m, err == 0 ? VML_ERROR_SUCCESS
                   : err == VML_ENOSPC ? VML_ERROR_DISK_FULL : VML_ERROR_IO_DEVICE);
}

uint32_t vml_win_FlushViewOfFile(vml_proc *p, vml_va base, uint64_t size)
{
    return w32_last_error(p, w_FlushViewOfFile(p, base, size), 0);
}
