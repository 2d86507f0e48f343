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
    { "SEC_IMAGE", VML_SEC_IMAGE, "section" },
    { "SEC_RESERVE", VML_SEC_RESERVE, "section" },
    { "SEC_COMMIT", VML_SEC_COMMIT, "section" },
    { "SEC_NOCACHE", VML_SEC_NOCACHE, "section" },
    { "FILE_MAP_COPY", VML_FILE_MAP_COPY, "file-map" },
    { "FILE_MAP_WRITE", VML_FILE_MAP_WRITE, "file-map" },
    { "FILE_MAP_READ", VML_FILE_MAP_READ, "file-map" },
    { "FILE_MAP_EXECUTE", VML_FILE_MAP_EXECUTE, "file-map" },
    { "FILE_MAP_ALL_ACCESS", VML_FILE_MAP_ALL_ACCESS, "file-map" },
    { "GENERIC_READ", VML_GENERIC_READ, "file-access" },
    { "GENERIC_WRITE", VML_GENERIC_WRITE, "file-access" },
    { "GENERIC_EXECUTE", VML_GENERIC_EXECUTE, "file-access" },
    { "GENERIC_ALL", VML_GENERIC_ALL, "file-access" },
    { "CREATE_NEW", VML_CREATE_NEW, "file-disposition" },
    { "CREATE_ALWAYS", VML_CREATE_ALWAYS, "file-disposition" },
    { "OPEN_EXISTING", VML_OPEN_EXISTING, "file-disposition" },
    { "OPEN_ALWAYS", VML_OPEN_ALWAYS, "file-disposition" },
    { "TRUNCATE_EXISTING", VML_TRUNCATE_EXISTING, "file-disposition" },
    { "INVALID_HANDLE_VALUE", VML_INVALID_HANDLE_VALUE, "handle" },
    { "ERROR_SUCCESS", VML_ERROR_SUCCESS, "win32-error" },
    { "ERROR_FILE_NOT_FOUND", VML_ERROR_FILE_NOT_FOUND, "win32-error" },
    { "ERROR_ACCESS_DENIED", VML_ERROR_ACCESS_DENIED, "win32-error" },
    { "ERROR_FILE_EXISTS", VML_ERROR_FILE_EXISTS, "win32-error" },
    { "ERROR_DISK_FULL", VML_ERROR_DISK_FULL, "win32-error" },
    { "ERROR_ALREADY_EXISTS", VML_ERROR_ALREADY_EXISTS, "win32-error" },
    { "ERROR_FILE_INVALID", VML_ERROR_FILE_INVALID, "win32-error" },
    { "ERROR_IO_DEVICE", VML_ERROR_IO_DEVICE, "win32-error" },
    { "ERROR_MAPPED_ALIGNMENT", VML_ERROR_MAPPED_ALIGNMENT, "win32-error" },
    { "ERROR_USER_MAPPED_FILE", VML_ERROR_USER_MAPPED_FILE, "win32-error" },
    { "ERROR_INVALID_HANDLE", VML_ERROR_INVALID_HANDLE, "win32-error" },
    { "ERROR_MOD_NOT_FOUND", VML_ERROR_MOD_NOT_FOUND, "win32-error" },
    { "ERROR_PROC_NOT_FOUND", VML_ERROR_PROC_NOT_FOUND, "win32-error" },
    { "ERROR_BAD_EXE_FORMAT", VML_ERROR_BAD_EXE_FORMAT, "win32-error" },
    { "ERROR_EXE_MACHINE_TYPE_MISMATCH", VML_ERROR_EXE_MACHINE_TYPE_MISMATCH, "win32-error" },
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
    { "STATUS_STACK_OVERFLOW", VML_STATUS_STACK_OVERFLOW, "ntstatus" },
    { "STATUS_HEAP_CORRUPTION", VML_STATUS_HEAP_CORRUPTION, "ntstatus" },
    /* winnt.h: HeapCreate options, HeapAlloc/HeapReAlloc flags */
    { "HEAP_NO_SERIALIZE", VML_HEAP_NO_SERIALIZE, "heap" },
    { "HEAP_GROWABLE", VML_HEAP_GROWABLE, "heap" },
    { "HEAP_GENERATE_EXCEPTIONS", VML_HEAP_GENERATE_EXCEPTIONS, "heap" },
    { "HEAP_ZERO_MEMORY", VML_HEAP_ZERO_MEMORY, "heap" },
    { "HEAP_REALLOC_IN_PLACE_ONLY", VML_HEAP_REALLOC_IN_PLACE_ONLY, "heap" },
    { "HEAP_CREATE_ENABLE_EXECUTE", VML_HEAP_CREATE_ENABLE_EXECUTE, "heap" },
    { "STACK_SIZE_PARAM_IS_A_RESERVATION", VML_STACK_SIZE_PARAM_IS_A_RESERVATION, "thread" },
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
    { "MAP_SHARED_VALIDATE", VML_MAP_SHARED | VML_MAP_PRIVATE, "map" },
    { "PROT_GROWSDOWN", VML_PROT_GROWSDOWN, "prot" },
    { "PROT_GROWSUP", VML_PROT_GROWSUP, "prot" },
    { "O_RDONLY", VML_O_RDONLY, "open" },
    { "O_WRONLY", VML_O_WRONLY, "open" },
    { "O_RDWR", VML_O_RDWR, "open" },
    { "O_CREAT", VML_O_CREAT, "open" },
    { "O_EXCL", VML_O_EXCL, "open" },
    { "O_TRUNC", VML_O_TRUNC, "open" },
    { "MS_ASYNC", VML_MS_ASYNC, "msync" },
    { "MS_INVALIDATE", VML_MS_INVALIDATE, "msync" },
    { "MS_SYNC", VML_MS_SYNC, "msync" },
    { "MADV_NORMAL", VML_MADV_NORMAL, "madvise" },
    { "MADV_RANDOM", VML_MADV_RANDOM, "madvise" },
    { "MADV_SEQUENTIAL", VML_MADV_SEQUENTIAL, "madvise" },
    { "MADV_WILLNEED", VML_MADV_WILLNEED, "madvise" },
    { "MADV_DONTNEED", VML_MADV_DONTNEED, "madvise" },
    { "MADV_FREE", VML_MADV_FREE, "madvise" },
    { "MADV_DONTFORK", VML_MADV_DONTFORK, "madvise" },
    { "MADV_DOFORK", VML_MADV_DOFORK, "madvise" },
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
    { "ENOENT", VML_ENOENT, "errno" },
    { "ENOEXEC", VML_ENOEXEC, "errno" },
    { "EBUSY", VML_EBUSY, "errno" },
    { "EISDIR", VML_EISDIR, "errno" },
    { "EMFILE", VML_EMFILE, "errno" },
    { "ETXTBSY", VML_ETXTBSY, "errno" },
    { "EOVERFLOW", VML_EOVERFLOW, "errno" },
    { "E2BIG", VML_E2BIG, "errno" },
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
