/*
** consts.c -- symbolic constants by name, with their real values: Win32
** allocation types, page protections and error codes, NTSTATUS codes,
** POSIX PROT_/MAP_ bits and errno values.  One table serves lookups by
** name, names of codes and `vmlab help constants`.
**
** INVARIANTS: the table is constant; names are unique (test_consts.c).
*/
#include <stdio.h>
#include <string.h>
#include "vmlab.h"

struct konst {
    const char *name;
    uint64_t    value;
    const char *group;
};

static const struct konst table[] = {
    { "MEM_COMMIT", VML_MEM_COMMIT, "alloc" },
    { "MEM_RESERVE", VML_MEM_RESERVE, "alloc" },
    { "MEM_DECOMMIT", VML_MEM_DECOMMIT, "alloc" },
    { "MEM_RELEASE", VML_MEM_RELEASE, "alloc" },
    { "MEM_FREE", VML_MEM_FREE, "alloc" },
    { "MEM_PRIVATE", VML_MEM_PRIVATE, "alloc" },
    { "MEM_MAPPED", VML_MEM_MAPPED, "alloc" },
    { "MEM_RESET", VML_MEM_RESET, "alloc" },
    { "MEM_TOP_DOWN", VML_MEM_TOP_DOWN, "alloc" },
    { "MEM_IMAGE", VML_MEM_IMAGE, "alloc" },
    { "PAGE_NOACCESS", VML_PAGE_NOACCESS, "protect" },
    { "PAGE_READONLY", VML_PAGE_READONLY, "protect" },
    { "PAGE_READWRITE", VML_PAGE_READWRITE, "protect" },
    { "PAGE_WRITECOPY", VML_PAGE_WRITECOPY, "protect" },
    { "PAGE_EXECUTE", VML_PAGE_EXECUTE, "protect" },
    { "PAGE_EXECUTE_READ", VML_PAGE_EXECUTE_READ, "protect" },
    { "PAGE_EXECUTE_READWRITE", VML_PAGE_EXECUTE_READWRITE, "protect" },
    { "PAGE_EXECUTE_WRITECOPY", VML_PAGE_EXECUTE_WRITECOPY, "protect" },
    { "PAGE_GUARD", VML_PAGE_GUARD, "protect" },
    { "PAGE_NOCACHE", VML_PAGE_NOCACHE, "protect" },
    { "PAGE_WRITECOMBINE", VML_PAGE_WRITECOMBINE, "protect" },
    { "ERROR_SUCCESS", VML_ERROR_SUCCESS, "win32-error" },
    { "ERROR_INVALID_HANDLE", VML_ERROR_INVALID_HANDLE, "win32-error" },
    { "ERROR_NOT_ENOUGH_MEMORY", VML_ERROR_NOT_ENOUGH_MEMORY, "win32-error" },
    { "ERROR_OUTOFMEMORY", VML_ERROR_OUTOFMEMORY, "win32-error" },
    { "ERROR_NOT_SUPPORTED", VML_ERROR_NOT_SUPPORTED, "win32-error" },
    { "ERROR_INVALID_PARAMETER", VML_ERROR_INVALID_PARAMETER, "win32-error" },
    { "ERROR_PARTIAL_COPY", VML_ERROR_PARTIAL_COPY, "win32-error" },
    { "ERROR_INVALID_ADDRESS", VML_ERROR_INVALID_ADDRESS, "win32-error" },
    { "ERROR_NOACCESS", VML_ERROR_NOACCESS, "win32-error" },
    { "ERROR_COMMITMENT_LIMIT", VML_ERROR_COMMITMENT_LIMIT, "win32-error" },
    { "STATUS_ACCESS_VIOLATION", VML_STATUS_ACCESS_VIOLATION, "ntstatus" },
    { "STATUS_GUARD_PAGE_VIOLATION", VML_STATUS_GUARD_PAGE_VIOLATION, "ntstatus" },
    { "STATUS_NO_MEMORY", VML_STATUS_NO_MEMORY, "ntstatus" },
    { "STATUS_IN_PAGE_ERROR", VML_STATUS_IN_PAGE_ERROR, "ntstatus" },
    /* winbase.h, for SetProcessInformation(ProcessMemoryPriority) */
    { "MEMORY_PRIORITY_VERY_LOW", 1, "memory-priority" },
    { "MEMORY_PRIORITY_LOW", 2, "memory-priority" },
    { "MEMORY_PRIORITY_MEDIUM", 3, "memory-priority" },
    { "MEMORY_PRIORITY_BELOW_NORMAL", 4, "memory-priority" },
    { "MEMORY_PRIORITY_NORMAL", 5, "memory-priority" },
    { "PROT_NONE", VML_PROT_NONE, "prot" },
    { "PROT_READ", VML_PROT_READ, "prot" },
    { "PROT_WRITE", VML_PROT_WRITE, "prot" },
    { "PROT_EXEC", VML_PROT_EXEC, "prot" },
    { "MAP_SHARED", VML_MAP_SHARED, "map" },
    { "MAP_PRIVATE", VML_MAP_PRIVATE, "map" },
    { "MAP_FIXED", VML_MAP_FIXED, "map" },
    { "MAP_ANONYMOUS", VML_MAP_ANONYMOUS, "map" },
    { "MAP_ANON", VML_MAP_ANONYMOUS, "map" },
    { "MAP_GROWSDOWN", VML_MAP_GROWSDOWN, "map" },
    { "MAP_NORESERVE", VML_MAP_NORESERVE, "map" },
    { "MAP_POPULATE", VML_MAP_POPULATE, "map" },
    { "MAP_FIXED_NOREPLACE", VML_MAP_FIXED_NOREPLACE, "map" },
    { "EPERM", VML_EPERM, "errno" },
    { "EBADF", VML_EBADF, "errno" },
    { "ENOMEM", VML_ENOMEM, "errno" },
    { "EACCES", VML_EACCES, "errno" },
    { "EFAULT", VML_EFAULT, "errno" },
    { "ENODEV", VML_ENODEV, "errno" },
    { "EEXIST", VML_EEXIST, "errno" },
    { "EINVAL", VML_EINVAL, "errno" },
    { "EOPNOTSUPP", VML_EOPNOTSUPP, "errno" },
    { "EIO", VML_EIO, "errno" },
    { "ENOSPC", VML_ENOSPC, "errno" },
    { "SIGSEGV", VML_SIGSEGV, "signal" },
    { "SIGBUS", VML_SIGBUS, "signal" },
    { "SEGV_MAPERR", VML_SEGV_MAPERR, "signal" },
    { "SEGV_ACCERR", VML_SEGV_ACCERR, "signal" },
    { "SI_KERNEL", VML_SI_KERNEL, "signal" },
    { "BUS_ADRERR", VML_BUS_ADRERR, "signal" },
    { "PAGE_SIZE", VML_PAGE_SIZE, "size" },
};

#define N_CONSTS (sizeof table / sizeof table[0])

vml_status vml_const_lookup(const char *name, uint64_t *value)
{
    if (name == NULL || value == NULL)
        return VML_E_INVALID;
    for (size_t i = 0; i < N_CONSTS; i++)
        if (strcmp(table[i].name, name) == 0) {
            *value = table[i].value;
            return VML_OK;
        }
    return VML_E_NOT_FOUND;
}

const char *vml_const_at(size_t i, uint64_t *value, const char **group)
{
    if (i >= N_CONSTS)
        return NULL;
    if (value)
        *value = table[i].value;
    if (group)
        *group = table[i].group;
    return table[i].name;
}

static const char *name_in(const char *group, uint64_t value)
{
    for (size_t i = 0; i < N_CONSTS; i++)
        if (table[i].value == value && strcmp(table[i].group, group) == 0)
            return table[i].name;
    return NULL;
}

const char *vml_win32_error_name(uint32_t code) { return name_in("win32-error", code); }
const char *vml_errno_name(int err) { return err < 0 ? NULL : name_in("errno", (uint64_t)err); }

const char *vml_win_protect_name(uint32_t protect, char *buf, size_t size)
{
    size_t used = 0;
    if (size == 0)
        return buf;
    buf[0] = 0;
    if (protect == 0) {
        snprintf(buf, size, "0");
        return buf;
    }
    for (size_t i = 0; i < N_CONSTS; i++) {
        if (strcmp(table[i].group, "protect") != 0 || !(protect & table[i].value))
            continue;
        int n = snprintf(buf + used, size - used, "%s%s", used ? "|" : "", table[i].name);
        if (n < 0 || (size_t)n >= size - used)
            break;
        used += (size_t)n;
        protect &= ~(uint32_t)table[i].value;
    }
    if (protect && used < size)
        snprintf(buf + used, size - used, "%s%#x", used ? "|" : "", protect);
    return buf;
}
