/*
** vmlab.h -- the public API of libvmlab, the virtual memory laboratory.
**
** A vml_machine is a simulated x86 computer (physical frames, paging
** hardware, TLBs, CPUs) with a memory manager on top (PFN database, page
** lists, address spaces with VAD trees, a fault handler) and operating
** system personalities (win32: VirtualAlloc...; posix: mmap...).
** Everything hangs off the machine: there is no global state.
**
** Conventions
**   - Library calls return vml_status (VML_OK == 0) and change nothing on
**     failure; vml_last_error() then holds a detailed message.
**   - A simulated exception (access violation, guard page) is a result, not
**     an error: memory accesses return VML_FAULTED and fill a vml_exception.
**   - Personality calls return what the real system would: the win32 calls
**     a Win32 error code as GetLastError() would give it (0 = success), the
**     posix calls an errno value (0 = success).
**   - The library never prints and never exits.  Text comes back in a
**     vml_text the caller frees with vml_text_free().
*/
#ifndef VMLAB_H
#define VMLAB_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define VML_API __attribute__((visibility("default")))
#else
#define VML_API
#endif

typedef uint64_t vml_va;   /* virtual address */
typedef uint64_t vml_pa;   /* physical address */
typedef uint64_t vml_pfn;  /* page frame number */

#define VML_PAGE_SHIFT 12
#define VML_PAGE_SIZE  4096u
#define VML_PFN_NONE   UINT64_MAX
#define VML_ALL_CPUS   UINT32_MAX

typedef struct vml_machine vml_machine;
typedef struct vml_proc vml_proc;

/* ------------------------------------------------------------------ */
/* Status codes: one list, so names and texts cannot drift apart.      */

#define VML_STATUS_LIST(X)                                                   \
    X(VML_OK,            0, "success")                                       \
    X(VML_FAULTED,       1, "the access raised a simulated exception")       \
    X(VML_E_INVALID,    -1, "invalid argument")                              \
    X(VML_E_NOMEM,      -2, "host out of memory")                            \
    X(VML_E_NOT_FOUND,  -3, "no such object")                                \
    X(VML_E_EXISTS,     -4, "object already exists")                         \
    X(VML_E_RANGE,      -5, "value out of range")                            \
    X(VML_E_NOT_PRESENT,-6, "address has no valid translation")              \
    X(VML_E_NO_FRAMES,  -7, "no physical frame available")                   \
    X(VML_E_IO,         -8, "host I/O error")                                \
    X(VML_E_CORRUPT,    -9, "an invariant does not hold")                    \
    X(VML_E_UNSUPPORTED,-10, "not supported by this machine's configuration") \
    X(VML_E_SYNTAX,    -11, "malformed input")                              \
    X(VML_E_COMMIT,    -12, "commit limit reached (RAM + pagefile)")          \
    X(VML_E_ACCESS,    -13, "access denied")

typedef enum vml_status {
#define VML_X_ENUM(name, value, text) name = value,
    VML_STATUS_LIST(VML_X_ENUM)
#undef VML_X_ENUM
} vml_status;

VML_API const char *vml_strerror(vml_status st);     /* "invalid argument" */
VML_API const char *vml_status_name(vml_status st);  /* "VML_E_INVALID" */
/* The detailed message of the machine's last failed call ("" if none). */
VML_API const char *vml_last_error(const vml_machine *m);

/* ------------------------------------------------------------------ */
/* Machine                                                             */

typedef enum vml_paging {
    VML_PAGING_4LEVEL = 0,  /* x86-64 PML4, PDPT, PD, PT (default) */
    VML_PAGING_5LEVEL,      /* x86-64 LA57: PML5 on top */
    VML_PAGING_PAE,         /* 32-bit PAE, 2-9-9-12, 64-bit entries */
    VML_PAGING_LEGACY,      /* 32-bit, 10-10-12, 32-bit entries */
    VML_N_PAGING
} vml_paging;

/* Page replacement.  VML_POLICY_WS is the memory manager's own: each
** process has a working set, aged with the Accessed bit and trimmed when
** it passes its maximum or memory runs low (Windows' working-set manager).
** The others are global policies over every user page of the machine;
** OPT (Belady) and optclean need the future and so run only where the
** reference string is known up front (vml_policy_simulate, replay).
** docs/policies.md defines each and its parameters. */
#define VML_POLICY_LIST(X)                                                     \
    X(VML_POLICY_WS,     "ws",     "working-set manager: per-process working sets aged with the Accessed bit") \
    X(VML_POLICY_FIFO,   "fifo",   "first in, first out")                       \
    X(VML_POLICY_LRU,    "lru",    "least recently used")                       \
    X(VML_POLICY_MRU,    "mru",    "most recently used")                        \
    X(VML_POLICY_CLOCK,  "clock",  "second chance; reference bit set on load (as the Accessed bit)") \
    X(VML_POLICY_CLOCK0, "clock0", "second chance; reference bit clear on load (libCacheSim's Clock)") \
    X(VML_POLICY_OPT,    "opt",    "Belady's optimal: evict the page used farthest in the future") \
    X(VML_POLICY_LFU,    "lfu",    "least frequently used since loaded; ties: least recently used") \
    X(VML_POLICY_ARC,    "arc",    "adaptive replacement cache (Megiddo & Modha, FAST'03)") \
    X(VML_POLICY_2Q,     "2q",     "2Q full version: A1in FIFO, A1out ghosts, Am LRU (Johnson & Shasha)") \
    X(VML_POLICY_LRU2,   "lru2",   "LRU-K, K=2: oldest second-to-last reference (O'Neil et al.)") \
    X(VML_POLICY_CLOCKPRO, "clockpro", "CLOCK-Pro: hot/cold pages, test periods (Jiang et al., USENIX'05)") \
    X(VML_POLICY_SIEVE,  "sieve",  "SIEVE: FIFO, a visited bit, a hand that leaves survivors in place") \
    X(VML_POLICY_S3FIFO, "s3fifo", "S3-FIFO: small, main and ghost FIFO queues (Yang et al., SOSP'23)") \
    X(VML_POLICY_WSCLOCK, "wsclock", "WSClock: working-set clock, tau = frames refs (Carr & Hennessy)") \
    X(VML_POLICY_NRU,    "nru",    "not recently used: R/D classes, R cleared every frames references") \
    X(VML_POLICY_AGING,  "aging",  "aging: 8-bit counters shifted every frames references") \
    X(VML_POLICY_RANDOM, "random", "a resident page at random (fixed seed)") \
    X(VML_POLICY_OPTCLEAN, "optclean", "OPT, and of the pages never used again a clean one first")

typedef enum vml_policy {
#define VML_X_ENUM(name, text, desc) name,
    VML_POLICY_LIST(VML_X_ENUM)
#undef VML_X_ENUM
    VML_N_POLICIES
} vml_policy;

VML_API const char *vml_policy_name(vml_policy p);   /* "lru" */
VML_API const char *vml_policy_desc(vml_policy p);
VML_API vml_status  vml_policy_parse(const char *name, vml_policy *out);

/* vml_config.flags */
#define VML_CFG_PCID        0x1u  /* TLB entries tagged with PCIDs */
#define VML_CFG_CHECK       0x2u  /* run vml_machine_check() after every op */
#define VML_CFG_NO_ASLR     0x4u  /* images, heaps, stacks, PEB/TEB, the posix
                                  ** mmap base and brk at their fixed places
                                  ** (Linux's randomize_va_space=0, Windows'
                                  ** preferred bases); without it they are
                                  ** drawn from the seeded generator */
#define VML_CFG_STRICT_IMPORTS 0x8u  /* an image whose imported module is missing
                                  ** fails to load (STATUS_DLL_NOT_FOUND, ENOENT) */
#define VML_CFG_NO_DATA     0x10u /* frames keep no contents (page tables do):
                                  ** huge machines in little host memory; data
                                  ** reads give 0, files cannot be mapped */

typedef struct vml_config {
    uint64_t   ram_bytes;     /* physical memory; default 64 MiB */
    vml_paging paging;        /* default VML_PAGING_4LEVEL */
    unsigned   tlb_entries;   /* first-level TLB entries per CPU; default 64 */
    unsigned   tlb_ways;      /* its associativity; default 4 */
    unsigned   tlb2_entries;  /* second-level (STLB) entries; 0 = none */
    unsigned   tlb2_ways;
    unsigned   n_cpus;        /* 1..64; default 1 */
    uint64_t   seed;          /* the machine's random generator; default 1 */
    uint64_t   user_split;    /* 32-bit modes: 2 GiB (default) or 3 GiB */
    unsigned   flags;         /* VML_CFG_* */
    /* Paging to disk (0 = no pagefile: dirty pages can never leave RAM). */
    uint64_t   pagefile_bytes;   /* multiple of 4 KiB */
    const char *pagefile_path;   /* NULL: a temporary file, removed at once;
                                 ** else created or truncated (copied) */
    vml_policy policy;           /* default VML_POLICY_WS */
    /* Working sets (VML_POLICY_WS).  A new process gets ws_min/ws_max;
    ** ws_max 0 = no maximum (memory is the limit). */
    uint64_t   ws_min_pages;     /* default 50, as Windows */
    uint64_t   ws_max_pages;     /* default 0 */
    /* The memory manager trims working sets when zeroed+free+standby
    ** pages fall below low_pages, until they reach high_pages; the zero-
    ** page worker keeps zero_reserve zeroed pages.  0 = automatic
    ** (low: RAM/64, at least 16; high: 2 x low; reserve: low). */
    uint64_t   low_pages, high_pages, zero_reserve;
    /* The background work (working-set manager, modified page writer,
    ** zero-page worker) also runs every bg_interval accesses; 0 = never
    ** (only on thresholds and vml_tick).  Default 65536. */
    uint64_t   bg_interval;
    /* The machine's file directory (relative file names are in it); NULL:
    ** a temporary directory created with the machine and removed with it. */
    const char *files_path;
} vml_config;

VML_API void vml_config_default(vml_config *cfg);
/* VML_OK when vml_machine_create() would accept cfg; otherwise the status
** it would return, and a message naming the bad value in err. */
VML_API vml_status vml_config_check(const vml_config *cfg, char *err, size_t size);
VML_API const char *vml_paging_name(vml_paging mode);   /* "4level" ... */
VML_API vml_status vml_paging_parse(const char *name, vml_paging *out);

VML_API vml_status vml_machine_create(const vml_config *cfg, vml_machine **out);
/* The same, with a message naming what failed in err (a bad value, a
** pagefile that cannot be created). */
VML_API vml_status vml_machine_create_msg(const vml_config *cfg, vml_machine **out,
                                          char *err, size_t size);
VML_API void vml_machine_destroy(vml_machine *m);
VML_API void vml_machine_config(const vml_machine *m, vml_config *out);
/* Runs every module's invariant check.  VML_E_CORRUPT names the invariant
** in vml_last_error() ("P2: list standby counts 3, holds 2"). */
VML_API vml_status vml_machine_check(vml_machine *m);

/* Address-space layout of the machine's paging mode. */
typedef struct vml_layout {
    vml_va   user_lowest;     /* first usable user address (0x10000) */
    vml_va   user_highest;    /* last usable user address (0x7FFFFFFEFFFF) */
    vml_va   kernel_base;     /* first kernel address */
    vml_va   mmap_base;       /* where posix mmap's top-down search starts */
    unsigned va_bits;         /* 48, 57 or 32 */
    unsigned levels;          /* paging levels walked */
    unsigned entry_size;      /* 8, or 4 for legacy 32-bit */
    uint64_t granularity;     /* allocation granularity: 64 KiB */
} vml_layout;
VML_API void vml_machine_layout(const vml_machine *m, vml_layout *out);

/* ------------------------------------------------------------------ */
/* Processes                                                           */

VML_API vml_status vml_proc_create(vml_machine *m, const char *name, vml_proc **out);
/* Terminates a process: every page, page table and VAD is released. */
VML_API vml_status vml_proc_destroy(vml_proc *p);
VML_API vml_proc  *vml_proc_find(vml_machine *m, const char *name);
VML_API vml_proc  *vml_proc_by_pid(vml_machine *m, unsigned pid);
VML_API size_t     vml_proc_count(const vml_machine *m);
VML_API vml_proc  *vml_proc_at(vml_machine *m, size_t i);   /* creation order */
VML_API vml_machine *vml_proc_machine(const vml_proc *p);
VML_API const char *vml_proc_name(const vml_proc *p);
VML_API unsigned   vml_proc_pid(const vml_proc *p);
VML_API vml_pa     vml_proc_cr3(const vml_proc *p);

/* ------------------------------------------------------------------ */
/* Memory access through the MMU                                       */

#define VML_ACCESS_READ   0u
#define VML_ACCESS_WRITE  1u
#define VML_ACCESS_EXEC   2u

/* Why an access raised an exception. */
#define VML_REASON_LIST(X)                                                   \
    X(VML_AV_NONE,          "none")                                          \
    X(VML_AV_NOT_RESERVED,  "address not reserved (no VAD)")                 \
    X(VML_AV_NOT_COMMITTED, "address reserved but not committed")            \
    X(VML_AV_KERNEL,        "kernel address accessed from user mode")        \
    X(VML_AV_NONCANONICAL,  "non-canonical address")                         \
    X(VML_AV_READONLY,      "write to a read-only page")                     \
    X(VML_AV_NX,            "execute from a no-execute page")                \
    X(VML_AV_NOACCESS,      "page is PAGE_NOACCESS / PROT_NONE")             \
    X(VML_AV_GUARD,         "guard page (first touch)")                      \
    X(VML_AV_NO_MEMORY,     "no physical frame to resolve the fault")       \
    X(VML_AV_IN_PAGE_ERROR, "the page could not be read (pagefile or file I/O error)") \
    X(VML_AV_BEYOND_EOF,    "file page past the end of the file") \
    X(VML_AV_STACK_OVERFLOW, "the thread's stack reserve is used up (STATUS_STACK_OVERFLOW)")

typedef enum vml_av_reason {
#define VML_X_ENUM(name, text) name,
    VML_REASON_LIST(VML_X_ENUM)
#undef VML_X_ENUM
    VML_N_AV_REASONS
} vml_av_reason;

VML_API const char *vml_av_reason_text(vml_av_reason r);
VML_API const char *vml_av_reason_name(vml_av_reason r); /* "VML_AV_NX" */

#define VML_STATUS_ACCESS_VIOLATION     0xC0000005u
#define VML_STATUS_GUARD_PAGE_VIOLATION 0x80000001u
#define VML_STATUS_NO_MEMORY            0xC0000017u
#define VML_STATUS_IN_PAGE_ERROR        0xC0000006u
#define VML_STATUS_STACK_OVERFLOW       0xC00000FDu
#define VML_SIGBUS      7
#define VML_BUS_ADRERR  2
#define VML_SIGSEGV     11
#define VML_SEGV_MAPERR 1
#define VML_SEGV_ACCERR 2
#define VML_SI_KERNEL   0x80   /* si_code of a #GP (non-canonical address) */

typedef struct vml_exception {
    uint32_t      ntstatus;  /* 0xC0000005 or 0x80000001 */
    int           signo;     /* SIGSEGV (the Linux view of the same event) */
    int           si_code;   /* SEGV_MAPERR or SEGV_ACCERR */
    unsigned      access;    /* VML_ACCESS_* */
    vml_av_reason reason;
    vml_va        va;        /* the faulting address */
    /* EXCEPTION_RECORD.ExceptionInformation: [0] 0 read, 1 write, 8 DEP;
    ** [1] the address. */
    uint64_t      info[2];
} vml_exception;

/* Read, write or execute-fetch len bytes at va in process p on CPU cpu.
** Ranges may cross pages.  Returns VML_OK, or VML_FAULTED with *ex filled
** (ex may be NULL) when an exception is raised; bytes before the faulting
** page have been transferred, as on real hardware. */
VML_API vml_status vml_mem_read(vml_proc *p, unsigned cpu, vml_va va, void *buf, size_t len, vml_exception *ex);
VML_API vml_status vml_mem_write(vml_proc *p, unsigned cpu, vml_va va, const void *buf, size_t len, vml_exception *ex);
VML_API vml_status vml_mem_fetch(vml_proc *p, unsigned cpu, vml_va va, void *buf, size_t len, vml_exception *ex);

/* The debugger's read: copies what the process's pages hold now without
** a fault, a TLB fill or an Accessed bit (a committed page never touched
** reads as zeros).  Stops at a page that would need a fault to read (not
** committed, paged out, a file page not in memory): VML_E_NOT_PRESENT,
** with *n_done (may be NULL) the bytes copied. */
VML_API vml_status vml_mem_peek(vml_proc *p, vml_va va, void *buf, size_t len, size_t *n_done);

/* The batch access path: n accesses of 8 bytes (aligned down to 8) of kind
** access at vas[i].  Reads add the values read into *sum (may be NULL);
** writes store the address itself.  Stops at the first exception:
** *n_done (may be NULL) says how many completed. */
VML_API vml_status vml_mem_batch(vml_proc *p, unsigned cpu, const vml_va *vas, size_t n,
                                 unsigned access, uint64_t *sum, size_t *n_done,
                                 vml_exception *ex);

/* ------------------------------------------------------------------ */
/* Win32 personality: constants with their real values                 */

#define VML_MEM_COMMIT       0x00001000u
#define VML_MEM_RESERVE      0x00002000u
#define VML_MEM_DECOMMIT     0x00004000u
#define VML_MEM_RELEASE      0x00008000u
#define VML_MEM_FREE         0x00010000u
#define VML_MEM_PRIVATE      0x00020000u
#define VML_MEM_MAPPED       0x00040000u
#define VML_MEM_RESET        0x00080000u
#define VML_MEM_TOP_DOWN     0x00100000u
#define VML_MEM_IMAGE        0x01000000u

/* CreateFileMapping's section attributes (or'ed into flProtect) */
#define VML_SEC_IMAGE        0x01000000u
#define VML_SEC_RESERVE      0x04000000u
#define VML_SEC_COMMIT       0x08000000u
#define VML_SEC_NOCACHE      0x10000000u
/* MapViewOfFile's dwDesiredAccess */
#define VML_FILE_MAP_COPY       0x00000001u
#define VML_FILE_MAP_WRITE      0x00000002u
#define VML_FILE_MAP_READ       0x00000004u
#define VML_FILE_MAP_EXECUTE    0x00000020u
#define VML_FILE_MAP_ALL_ACCESS 0x000F001Fu
/* CreateFile */
#define VML_GENERIC_READ        0x80000000u
#define VML_GENERIC_WRITE       0x40000000u
#define VML_GENERIC_EXECUTE     0x20000000u
#define VML_GENERIC_ALL         0x10000000u
#define VML_CREATE_NEW          1u
#define VML_CREATE_ALWAYS       2u
#define VML_OPEN_EXISTING       3u
#define VML_OPEN_ALWAYS         4u
#define VML_TRUNCATE_EXISTING   5u
/* A HANDLE value; INVALID_HANDLE_VALUE is (HANDLE)-1. */
typedef uint64_t vml_handle;
#define VML_INVALID_HANDLE_VALUE UINT64_MAX

#define VML_PAGE_NOACCESS          0x001u
#define VML_PAGE_READONLY          0x002u
#define VML_PAGE_READWRITE         0x004u
#define VML_PAGE_WRITECOPY         0x008u
#define VML_PAGE_EXECUTE           0x010u
#define VML_PAGE_EXECUTE_READ      0x020u
#define VML_PAGE_EXECUTE_READWRITE 0x040u
#define VML_PAGE_EXECUTE_WRITECOPY 0x080u
#define VML_PAGE_GUARD             0x100u
#define VML_PAGE_NOCACHE           0x200u
#define VML_PAGE_WRITECOMBINE      0x400u

/* Win32 error codes (winerror.h) */
#define VML_ERROR_SUCCESS            0u
#define VML_ERROR_FILE_NOT_FOUND     2u
#define VML_ERROR_ACCESS_DENIED      5u
#define VML_ERROR_FILE_EXISTS        80u
#define VML_ERROR_DISK_FULL          112u
#define VML_ERROR_ALREADY_EXISTS     183u
#define VML_ERROR_FILE_INVALID       1006u
#define VML_ERROR_MAPPED_ALIGNMENT   1132u
#define VML_ERROR_IO_DEVICE          1117u
#define VML_ERROR_USER_MAPPED_FILE   1224u
#define VML_ERROR_INVALID_HANDLE     6u
#define VML_ERROR_MOD_NOT_FOUND      126u
#define VML_ERROR_PROC_NOT_FOUND     127u
#define VML_ERROR_BAD_EXE_FORMAT     193u
#define VML_ERROR_EXE_MACHINE_TYPE_MISMATCH 216u
#define VML_ERROR_NOT_SUPPORTED      50u
#define VML_ERROR_NOT_ENOUGH_MEMORY  8u
#define VML_ERROR_OUTOFMEMORY        14u
#define VML_ERROR_INVALID_PARAMETER  87u
#define VML_ERROR_PARTIAL_COPY       299u
#define VML_ERROR_INVALID_ADDRESS    487u
#define VML_ERROR_NOACCESS           998u
#define VML_ERROR_COMMITMENT_LIMIT   1455u

typedef struct vml_mbi {          /* MEMORY_BASIC_INFORMATION */
    vml_va   BaseAddress;
    vml_va   AllocationBase;
    uint32_t AllocationProtect;
    uint16_t PartitionId;
    uint64_t RegionSize;
    uint32_t State;               /* MEM_COMMIT, MEM_RESERVE, MEM_FREE */
    uint32_t Protect;
    uint32_t Type;                /* MEM_PRIVATE, MEM_MAPPED, MEM_IMAGE */
} vml_mbi;

/* Each returns a Win32 error code (0 = success, as if the call returned
** TRUE / non-NULL), and changes nothing when it fails. */
VML_API uint32_t vml_win_VirtualAlloc(vml_proc *p, vml_va addr, uint64_t size,
                                      uint32_t type, uint32_t protect, vml_va *out);
VML_API uint32_t vml_win_VirtualAllocEx(vml_proc *caller, vml_proc *target, vml_va addr,
                                        uint64_t size, uint32_t type, uint32_t protect,
                                        vml_va *out);
VML_API uint32_t vml_win_VirtualFree(vml_proc *p, vml_va addr, uint64_t size, uint32_t type);
VML_API uint32_t vml_win_VirtualProtect(vml_proc *p, vml_va addr, uint64_t size,
                                        uint32_t new_protect, uint32_t *old_protect);
VML_API uint32_t vml_win_VirtualQuery(vml_proc *p, vml_va addr, vml_mbi *mbi);
/* *n_done (may be NULL) receives NumberOfBytesRead/Written; a copy that
** stops at an inaccessible page fails with ERROR_PARTIAL_COPY. */
VML_API uint32_t vml_win_ReadProcessMemory(vml_proc *caller, vml_proc *target, vml_va addr,
                                           void *buf, uint64_t size, uint64_t *n_done);
VML_API uint32_t vml_win_WriteProcessMemory(vml_proc *caller, vml_proc *target, vml_va addr,
                                            const void *buf, uint64_t size, uint64_t *n_done);

/* Files and sections.  A HANDLE names a file or a section object in one
** process's handle table.  CreateFile opens a file of the machine
** (relative paths are in its file directory; others are read-only);
** CreateFileMapping makes a section of a file, or backed by the pagefile
** (file INVALID_HANDLE_VALUE), named in the machine-wide namespace when
** name is not NULL (an existing name is opened instead: *out names it and
** the call returns ERROR_ALREADY_EXISTS, as GetLastError() would after a
** successful CreateFileMapping).  size 0: the file's size. */
VML_API uint32_t vml_win_CreateFile(vml_proc *p, const char *path, uint32_t access,
                                    uint32_t disposition, vml_handle *out);
VML_API uint32_t vml_win_CreateFileMapping(vml_proc *p, vml_handle file, uint32_t protect,
                                           uint64_t size, const char *name, vml_handle *out);
VML_API uint32_t vml_win_OpenFileMapping(vml_proc *p, uint32_t access, const char *name,
                                         vml_handle *out);
/* MapViewOfFileEx (base 0: anywhere); offset a multiple of 64 KiB; size 0:
** to the end of the section. */
VML_API uint32_t vml_win_MapViewOfFile(vml_proc *p, vml_handle section, uint32_t access,
                                       uint64_t offset, uint64_t size, vml_va base,
                                       vml_va *out);
VML_API uint32_t vml_win_UnmapViewOfFile(vml_proc *p, vml_va base);
VML_API uint32_t vml_win_FlushViewOfFile(vml_proc *p, vml_va base, uint64_t size);
VML_API uint32_t vml_win_CloseHandle(vml_proc *p, vml_handle h);
/* ---- images (loader/) ---- */

/* CreateProcess: a process named name from the PE executable at path
** (relative: in the machine's file directory; absolute: a read-only host
** file), loaded as Windows' loader does (see docs/images.md): its image
** and the DLLs it imports that can be found (its directory, then the
** machine's), imports resolved or marked unresolved, the entry point's
** page fetched unless flags has VML_CREATE_SUSPENDED.  ERROR_FILE_NOT_FOUND,
** ERROR_BAD_EXE_FORMAT (malformed: vml_last_error() names the place),
** ERROR_EXE_MACHINE_TYPE_MISMATCH, ERROR_MOD_NOT_FOUND (imports=strict),
** ERROR_ALREADY_EXISTS (the name), ERROR_NOT_ENOUGH_MEMORY,
** ERROR_COMMITMENT_LIMIT; nothing is created on failure. */
#define VML_CREATE_SUSPENDED 0x4u
VML_API uint32_t vml_win_CreateProcess(vml_machine *m, const char *name, const char *path,
                                       unsigned flags, vml_proc **out);
/* LoadLibrary: *module is the image's base (HMODULE); a loaded module's
** count goes up.  ERROR_MOD_NOT_FOUND, ERROR_BAD_EXE_FORMAT,
** ERROR_INVALID_ADDRESS (no relocations and its base taken), ... */
VML_API uint32_t vml_win_LoadLibrary(vml_proc *p, const char *path, vml_va *module);
VML_API uint32_t vml_win_FreeLibrary(vml_proc *p, vml_va module);
/* name NULL or "": the executable.  ERROR_MOD_NOT_FOUND. */
VML_API uint32_t vml_win_GetModuleHandle(vml_proc *p, const char *name, vml_va *module);
/* name, or "#N" for ordinal N.  ERROR_PROC_NOT_FOUND, ERROR_MOD_NOT_FOUND. */
VML_API uint32_t vml_win_GetProcAddress(vml_proc *p, vml_va module, const char *name,
                                        vml_va *addr);

/* ---- loaded modules (lm, !dh, vmmap) ---- */

#define VML_IMAGE_PE32      1u
#define VML_IMAGE_PE32PLUS  2u
#define VML_IMAGE_ELF32     3u
#define VML_IMAGE_ELF64     4u
/* vml_module_info.flags */
#define VML_MODULE_DLL          0x1u  /* a DLL / shared object */
#define VML_MODULE_DYNAMIC_BASE 0x2u  /* may load anywhere (DYNAMICBASE, ET_DYN) */
#define VML_MODULE_REBASED      0x4u  /* not at its preferred base */
#define VML_MODULE_SECTION_BASE 0x8u  /* PE: at its image section's per-boot base */

typedef struct vml_module_info {
    vml_va      base;             /* its lowest address */
    vml_va      end;              /* one past its last page */
    const char *path;             /* the file as named (host files: real path) */
    const char *name;             /* its base name */
    unsigned    format;           /* VML_IMAGE_* */
    unsigned    flags;            /* VML_MODULE_* */
    uint64_t    preferred_base;   /* ImageBase; ELF: lowest p_vaddr, page aligned */
    int64_t     delta;            /* base - preferred_base */
    vml_va      entry;            /* its entry point, 0 when none */
    uint32_t    load_count;       /* the loader's references */
    size_t      n_imports;        /* PE: imported functions; ELF: needed objects */
    size_t      n_unresolved;     /* PE: imports left unresolved */
    size_t      n_missing;        /* imported modules / needed objects not loaded */
} vml_module_info;
/* The first module of p whose base is >= from (modules in address order);
** VML_E_NOT_FOUND past the last. */
VML_API vml_status vml_module_next(vml_proc *p, vml_va from, vml_module_info *out);
/* The name of missing module i (0..n_missing-1) of the module at base,
** or NULL. */
VML_API const char *vml_module_missing(vml_proc *p, vml_va base, size_t i);

/* !dh: an image's headers, as the format has them. */
typedef struct vml_image_header {
    unsigned format;                     /* VML_IMAGE_* */
    /* PE: IMAGE_FILE_HEADER and IMAGE_OPTIONAL_HEADER */
    uint16_t machine, number_of_sections, characteristics, magic, subsystem,
             dll_characteristics, size_of_optional_header;
    uint32_t time_date_stamp, pointer_to_symbol_table, number_of_symbols;
    uint8_t  major_linker_version, minor_linker_version;
    uint32_t size_of_code, size_of_initialized_data, size_of_uninitialized_data,
             address_of_entry_point, base_of_code, base_of_data, section_alignment,
             file_alignment, size_of_image, size_of_headers, check_sum, loader_flags,
             number_of_rva_and_sizes;
    uint16_t major_os_version, minor_os_version, major_image_version, minor_image_version,
             major_subsystem_version, minor_subsystem_version;
    uint64_t image_base, size_of_stack_reserve, size_of_stack_commit, size_of_heap_reserve,
             size_of_heap_commit;
    struct { uint32_t rva, size; } dirs[16];
    /* ELF: the ELF header */
    uint8_t  elf_class, osabi;
    uint16_t elf_type, elf_machine, phnum, shnum;
    uint64_t elf_entry, phoff, shoff;
    uint32_t elf_flags;
} vml_image_header;
/* An image section (PE) or program header (ELF). */
typedef struct vml_image_section {
    char     name[12];                   /* PE section name; ELF: "" */
    uint32_t type;                       /* ELF p_type; PE: 0 */
    uint32_t flags;                      /* PE Characteristics; ELF p_flags */
    uint64_t virtual_address;            /* PE VirtualAddress (RVA); ELF p_vaddr */
    uint64_t virtual_size;               /* PE VirtualSize; ELF p_memsz */
    uint64_t file_offset;                /* PointerToRawData; p_offset */
    uint64_t file_size;                  /* SizeOfRawData; p_filesz */
    uint64_t align;                      /* ELF p_align */
} vml_image_section;
VML_API vml_status vml_module_header(vml_proc *p, vml_va base, vml_image_header *out);
/* Section (PE) or program header (ELF) i; VML_E_NOT_FOUND past the last. */
VML_API vml_status vml_module_section(vml_proc *p, vml_va base, size_t i,
                                      vml_image_section *out);

/* The code the last failed Win32 call of p returned -- or the last
** CreateFile, CreateFileMapping or OpenFileMapping, which set it on
** success too (0, or ERROR_ALREADY_EXISTS for an object that existed). */
VML_API uint32_t vml_win_GetLastError(vml_proc *p);

/* ------------------------------------------------------------------ */
/* POSIX (Linux) personality                                           */

#define VML_PROT_NONE   0x0
#define VML_PROT_READ   0x1
#define VML_PROT_WRITE  0x2
#define VML_PROT_EXEC   0x4
#define VML_MAP_SHARED          0x01
#define VML_MAP_PRIVATE         0x02
#define VML_MAP_FIXED           0x10
#define VML_MAP_ANONYMOUS       0x20
#define VML_MAP_GROWSDOWN       0x0100
#define VML_MAP_NORESERVE       0x4000
#define VML_MAP_POPULATE        0x8000
#define VML_MAP_FIXED_NOREPLACE 0x100000
#define VML_PROT_GROWSDOWN      0x01000000
#define VML_PROT_GROWSUP        0x02000000
#define VML_O_RDONLY    00
#define VML_O_WRONLY    01
#define VML_O_RDWR      02
#define VML_O_CREAT     0100
#define VML_O_EXCL      0200
#define VML_O_TRUNC     01000
#define VML_MS_ASYNC      1
#define VML_MS_INVALIDATE 2
#define VML_MS_SYNC       4
#define VML_MADV_NORMAL     0
#define VML_MADV_RANDOM     1
#define VML_MADV_SEQUENTIAL 2
#define VML_MADV_WILLNEED   3
#define VML_MADV_DONTNEED   4
#define VML_MADV_FREE       8
#define VML_MADV_DONTFORK   10
#define VML_MADV_DOFORK     11

#define VML_EPERM   1
#define VML_EBADF   9
#define VML_ENOMEM  12
#define VML_EACCES  13
#define VML_EFAULT  14
#define VML_EEXIST  17
#define VML_EINVAL  22
#define VML_ENODEV  19
#define VML_EIO     5
#define VML_ENOSPC  28
#define VML_EOPNOTSUPP 95
#define VML_ENOENT  2
#define VML_ENOEXEC 8
#define VML_EBUSY   16
#define VML_EISDIR  21
#define VML_EMFILE  24
#define VML_ETXTBSY 26
#define VML_EOVERFLOW 75
#define VML_E2BIG   7

/* Each returns an errno value (0 = success) and changes nothing on failure
** (but mprotect over a hole, which changes what lies before it and fails
** ENOMEM, as Linux does). */
VML_API int vml_posix_mmap(vml_proc *p, vml_va addr, uint64_t len, int prot, int flags,
                           int fd, uint64_t offset, vml_va *out);
VML_API int vml_posix_munmap(vml_proc *p, vml_va addr, uint64_t len);
VML_API int vml_posix_mprotect(vml_proc *p, vml_va addr, uint64_t len, int prot);
/* open(2) of a file of the machine (relative paths are in its file
** directory, others read-only): *fd the lowest free descriptor (from 3). */
VML_API int vml_posix_open(vml_proc *p, const char *path, int flags, int *fd);
VML_API int vml_posix_close(vml_proc *p, int fd);
VML_API int vml_posix_msync(vml_proc *p, vml_va addr, uint64_t len, int flags);
VML_API int vml_posix_madvise(vml_proc *p, vml_va addr, uint64_t len, int advice);
/* fork(2): a child named child_name (its pid in *pid). */
VML_API int vml_posix_fork(vml_proc *parent, const char *child_name, unsigned *pid);
/* execve: a process named name from the ELF executable at path, loaded as
** Linux's kernel and ld.so do (docs/images.md): its segments, its
** interpreter, the shared objects it needs found in the system library
** directories, every object relocated in the process, RELRO read-only.
** ENOENT (the file, or its interpreter), ENOEXEC (malformed:
** vml_last_error() names the place), EEXIST (the name), ENOMEM. */
VML_API int vml_posix_execve(vml_machine *m, const char *name, const char *path,
                             vml_proc **out);
/* The same with the argument and environment strings (execve(2)'s argv
** and envp): the main stack holds them (vml_posix_process_setup), with the
** mmap base and the brk placed by ASLR.  vml_posix_execve passes argv =
** { path } and no environment.  E2BIG when the strings pass the stack's
** limit; EINVAL for a NULL string. */
VML_API int vml_posix_execve_args(vml_machine *m, const char *name, const char *path,
                                  const char *const *argv, size_t argc,
                                  const char *const *envp, size_t envc, vml_proc **out);
/* dlopen: a shared object and what it needs, mapped and relocated as
** ld.so does; *base is its load address (l_addr + preferred base).  A
** loaded object gets one more reference.  ENOENT, ENOEXEC, ENOMEM. */
VML_API int vml_posix_dlopen(vml_proc *p, const char *path, vml_va *base);
VML_API int vml_posix_dlclose(vml_proc *p, vml_va base);
VML_API int vml_posix_dlsym(vml_proc *p, vml_va base, const char *name, vml_va *addr);

/* ------------------------------------------------------------------ */
/* The machine's files                                                 */

/* The fill pattern: len bytes for addresses (or file offsets) addr.. */
VML_API void vml_pattern(uint64_t seed, uint64_t addr, void *buf, size_t len);
/* Creates or replaces a file of the file directory: size bytes of the
** pattern for seed (zeros when !seeded).  VML_E_EXISTS while a view maps
** it. */
VML_API vml_status vml_file_create(vml_machine *m, const char *name, uint64_t size,
                                   uint64_t seed, int seeded);
/* How many of the host file's bytes [offset, offset+len) differ from the
** pattern for seed at offsets offset.. . */
VML_API vml_status vml_file_check(vml_machine *m, const char *name, uint64_t offset,
                                  uint64_t len, uint64_t seed, uint64_t *n_diff);
VML_API const char *vml_files_dir(const vml_machine *m);

/* Symbolic constants by name ("MEM_COMMIT", "PAGE_READWRITE", "PROT_READ",
** "ERROR_INVALID_PARAMETER", "EINVAL", "STATUS_ACCESS_VIOLATION", ...):
** VML_OK and the value, or VML_E_NOT_FOUND. */
VML_API vml_status vml_const_lookup(const char *name, uint64_t *value);
/* Names of codes: NULL when unknown. */
VML_API const char *vml_win32_error_name(uint32_t code);  /* "ERROR_INVALID_ADDRESS" */
VML_API const char *vml_errno_name(int err);              /* "EINVAL" */
/* Win32 protection as text: "PAGE_READWRITE|PAGE_GUARD" into buf. */
VML_API const char *vml_win_protect_name(uint32_t protect, char *buf, size_t size);
/* The n-th constant (for help listings); NULL past the end. */
VML_API const char *vml_const_at(size_t i, uint64_t *value, const char **group);

/* ------------------------------------------------------------------ */
/* Page tables: inspection and raw edits (the debugger's view)          */

typedef struct vml_walk_step {
    const char *name;        /* "PML5E", "PML4E", "PDPTE", "PDE", "PTE" */
    unsigned    level;       /* 5..1; 1 is the PT */
    vml_pa      table_pa;    /* physical address of the table */
    unsigned    index;       /* index into it */
    vml_pa      entry_pa;    /* physical address of the entry */
    uint64_t    entry;       /* its raw value */
} vml_walk_step;

typedef struct vml_walk {
    vml_pa        cr3;
    unsigned      n_steps;
    vml_walk_step step[5];
    int           present;    /* 1: translation exists */
    unsigned      fail_level; /* when !present: level whose entry has P=0 */
    vml_pa        pa;         /* when present */
    uint64_t      page_size;  /* 4 KiB, 2 MiB, 4 MiB or 1 GiB */
    unsigned      entry_size; /* 8 or 4 */
} vml_walk;

/* The walk the MMU would do for va, without side effects (no A/D bits, no
** TLB fill).  Always VML_OK for a canonical va; w->present says the rest. */
VML_API vml_status vml_walk_va(vml_proc *p, vml_va va, vml_walk *w);

typedef enum vml_pte_kind {
    VML_PTE_VALID = 0,      /* P = 1 */
    VML_PTE_ZERO,           /* all zero: ask the VAD tree */
    VML_PTE_DEMAND_ZERO,    /* committed, never touched: protection only */
    VML_PTE_TRANSITION,     /* page on the standby or modified list */
    VML_PTE_PAGEFILE,       /* slot N of the pagefile */
    VML_PTE_PROTOTYPE,      /* look in the section's prototype PTE */
    VML_PTE_DECOMMITTED,    /* decommitted page inside a committed VAD */
    VML_N_PTE_KINDS
} vml_pte_kind;

typedef struct vml_pte_info {
    vml_pte_kind kind;
    /* hardware bits (kind == VALID) */
    unsigned p, rw, us, pwt, pcd, a, d, ps, g, nx;
    vml_pfn  pfn;            /* VALID and TRANSITION */
    /* software fields (kind != VALID) */
    uint32_t protect;        /* Win32 PAGE_* protection kept in the PTE */
    unsigned mm_protect;     /* ... as the PTE holds it: the 5-bit MM protection */
    uint64_t slot;           /* PAGEFILE: slot number */
    uint64_t proto_index;    /* PROTOTYPE */
} vml_pte_info;

/* Decodes an entry of table level (1 = PT) of the machine's paging mode. */
VML_API void vml_pte_decode(const vml_machine *m, uint64_t entry, unsigned level, vml_pte_info *out);
VML_API const char *vml_pte_kind_name(vml_pte_kind k);  /* "demand-zero" */
/* The 5-bit MM protection a software PTE holds for Win32 protection
** protect (4 for PAGE_READWRITE, 0x1C for PAGE_READWRITE|PAGE_WRITECOMBINE),
** or -1 for a combination Windows refuses. */
VML_API int vml_mm_protect(uint32_t protect);

/* The leaf entry for va (the PTE, or the PDE/PDPTE of a large page);
** VML_E_NOT_PRESENT when a table on the way is missing. */
VML_API vml_status vml_pte_get(vml_proc *p, vml_va va, uint64_t *pte);
/* Raw write of the leaf entry of a valid 4K user page with NO TLB
** invalidation: what the hardware sees when an OS forgets to flush.  The
** permission and status bits (RW, US, PWT, PCD, A, D, PAT, G, NX) may
** change, and the frame may become another frame this process maps (the
** two PTEs then share it: share count and reverse map follow; a private
** page left with no PTE is freed, its data lost as the overwritten PTE
** lost it).  P and the software bits belong to the memory manager.
** VML_E_INVALID otherwise. */
VML_API vml_status vml_pte_set_raw(vml_proc *p, vml_va va, uint64_t pte);

/* ------------------------------------------------------------------ */
/* CPUs and TLBs                                                       */

VML_API unsigned   vml_cpu_count(const vml_machine *m);
/* Load p's CR3 on cpu (a context switch): non-global entries are flushed
** unless PCIDs are enabled. */
VML_API vml_status vml_cpu_switch(vml_machine *m, unsigned cpu, vml_proc *p);
VML_API vml_proc  *vml_cpu_current(vml_machine *m, unsigned cpu);
/* invlpg of va on cpu (VML_ALL_CPUS: every CPU, counted as a shootdown).
** p names the address space (its PCID); NULL = the CPU's current one. */
VML_API vml_status vml_tlb_invlpg(vml_machine *m, unsigned cpu, vml_proc *p, vml_va va);
/* Flush: VML_TLB_FLUSH_NONGLOBAL is a CR3 reload, VML_TLB_FLUSH_ALL also
** drops global entries (CR4.PGE toggle). */
#define VML_TLB_FLUSH_NONGLOBAL 0u
#define VML_TLB_FLUSH_ALL       1u
VML_API vml_status vml_tlb_flush(vml_machine *m, unsigned cpu, unsigned how);

typedef struct vml_tlb_geometry {
    unsigned entries, ways, sets;        /* first level */
    unsigned l2_entries, l2_ways, l2_sets;
    int      pcid;
} vml_tlb_geometry;

typedef struct vml_tlb_entry_info {
    unsigned level;          /* 1 or 2 */
    unsigned set, way;
    vml_va   va;             /* page base */
    vml_pa   pa;             /* frame base */
    uint64_t page_size;
    unsigned pcid;
    unsigned writable, user, nx, dirty, global;
} vml_tlb_entry_info;

VML_API void   vml_tlb_geometry_get(const vml_machine *m, vml_tlb_geometry *g);
/* Copies up to max valid entries of cpu's TLBs; returns how many exist. */
VML_API size_t vml_tlb_entries(const vml_machine *m, unsigned cpu, vml_tlb_entry_info *out, size_t max);

/* ------------------------------------------------------------------ */
/* Physical frames and the PFN database                                */

#define VML_LIST_NAMES(X)                        \
    X(VML_LIST_ZEROED,   "Zeroed")               \
    X(VML_LIST_FREE,     "Free")                 \
    X(VML_LIST_STANDBY,  "Standby")              \
    X(VML_LIST_MODIFIED, "Modified")             \
    X(VML_LIST_MODNOWRITE, "ModifiedNoWrite")    \
    X(VML_LIST_BAD,      "Bad")                  \
    X(VML_LIST_ROM,      "Rom")                  \
    X(VML_LIST_ACTIVE,   "Active")

typedef enum vml_list {
#define VML_X_ENUM(name, text) name,
    VML_LIST_NAMES(VML_X_ENUM)
#undef VML_X_ENUM
    VML_N_LISTS
} vml_list;

VML_API const char *vml_list_name(vml_list l);

/* vml_pfn_info.flags */
#define VML_PFN_MODIFIED      0x01u
#define VML_PFN_READ_IO       0x02u
#define VML_PFN_WRITE_IO      0x04u
#define VML_PFN_PROTOTYPE     0x08u
#define VML_PFN_PAGETABLE     0x10u
#define VML_PFN_BAD           0x20u
#define VML_PFN_KERNEL        0x40u

/* What a frame holds, as Sysinternals RAMMap's "Use Counts" rows name it
** (vml_pfn_info.use).  A frame on the standby or modified list keeps the
** use of the page it holds; free, zeroed and bad frames are Unused. */
#define VML_USE_LIST(X)                                                          \
    X(VML_USE_PRIVATE,   "Process Private", "private memory of one process (and pages shared copy-on-write after fork)") \
    X(VML_USE_SHAREABLE, "Shareable",       "pages of pagefile-backed sections and shared anonymous memory") \
    X(VML_USE_FILE,      "Mapped File",     "pages of files mapped as data") \
    X(VML_USE_IMAGE,     "Image",           "pages of image sections (PE, ELF)") \
    X(VML_USE_PAGETABLE, "Page Table",      "page-table pages of every process and the kernel") \
    X(VML_USE_KERNEL,    "Kernel",          "the kernel's own frames and the shared zero page") \
    X(VML_USE_UNUSED,    "Unused",          "frames that hold no page: zeroed, free, bad")

typedef enum vml_use {
#define VML_X_ENUM(name, text, desc) name,
    VML_USE_LIST(VML_X_ENUM)
#undef VML_X_ENUM
    VML_N_USES
} vml_use;
VML_API const char *vml_use_name(vml_use u);   /* "Process Private" */
VML_API const char *vml_use_desc(vml_use u);

typedef struct vml_pfn_info {
    vml_pfn  pfn;
    vml_list list;
    vml_pfn  flink, blink;   /* list links (VML_PFN_NONE at the ends) */
    vml_pa   pte_pa;         /* PTE (or prototype PTE) that maps it; 0 none */
    uint64_t orig_pte;       /* the software PTE restored when repurposed */
    unsigned share_count;    /* mappings; for a page table: non-zero entries */
    unsigned ref_count;
    unsigned priority;       /* standby priority 0..7 */
    unsigned flags;          /* VML_PFN_* */
    unsigned owner_pid;      /* process whose tables map it; 0 = kernel/none */
    unsigned pt_level;       /* page tables: 1 = PT ... 5 = PML5 */
    unsigned use;            /* what the frame holds: VML_USE_* (RAMMap's "Use") */
    unsigned segment;        /* a section's page: its segment (control area); 0 none */
} vml_pfn_info;

VML_API uint64_t   vml_pfn_total(const vml_machine *m);
VML_API vml_status vml_pfn_get(const vml_machine *m, vml_pfn pfn, vml_pfn_info *out);
VML_API uint64_t   vml_list_count(const vml_machine *m, vml_list l);
VML_API vml_pfn    vml_list_head(const vml_machine *m, vml_list l);
/* Takes a frame out of service: a free or zeroed frame moves to the bad
** list; an active frame is refused (VML_E_INVALID). */
VML_API vml_status vml_pfn_mark_bad(vml_machine *m, vml_pfn pfn);
/* Runs the zero-page worker: zeroes up to max free frames (0 = all) and
** moves them to the zeroed list.  Returns how many it zeroed. */
VML_API uint64_t   vml_zero_pages(vml_machine *m, uint64_t max);
/* Copies len bytes of physical memory (debugger's !db). */
VML_API vml_status vml_phys_read(const vml_machine *m, vml_pa pa, void *buf, size_t len);

/* ------------------------------------------------------------------ */
/* Working sets, background work, pagefile, commit                     */

typedef struct vml_ws_info {
    uint64_t min_pages, max_pages;   /* max 0 = no maximum */
    uint64_t pages, peak_pages;      /* current and peak working set */
    uint64_t list_size;              /* working-set list slots (some free) */
    unsigned memory_priority;        /* 0..7 (Windows' default 5) */
} vml_ws_info;

VML_API vml_status vml_ws_get(const vml_proc *p, vml_ws_info *out);
/* SetProcessWorkingSetSize: min <= max, max 0 = no maximum.  Both
** UINT64_MAX (Win32's (SIZE_T)-1, -1) empties the working set and keeps
** the limits.  A working set above the new maximum is trimmed at once. */
VML_API vml_status vml_ws_set(vml_proc *p, uint64_t min_pages, uint64_t max_pages);
/* The memory priority (0..7) that p's pages carry on the standby list. */
VML_API vml_status vml_proc_set_memory_priority(vml_proc *p, unsigned priority);

/* One working-set list entry (WinDbg's !wsle). */
typedef struct vml_wsle {
    uint64_t index;       /* slot in the working-set list */
    vml_va   va;          /* page */
    vml_pfn  pfn;
    unsigned age;         /* background passes since the page was last
                          ** seen accessed (0..7) */
    unsigned accessed;    /* the PTE's A bit now */
    unsigned dirty;       /* the PTE's D bit now */
} vml_wsle;
/* Copies up to max valid entries in slot order; returns how many exist. */
VML_API size_t vml_wsle_list(const vml_proc *p, vml_wsle *out, size_t max);

/* Runs the memory manager's background work n times: the working-set
** manager (ages every working set; trims those over their maximum and,
** when memory is low, the oldest pages of all), the modified page writer
** (writes every modified page to the pagefile, in clusters) and the
** zero-page worker (zeroes free pages).  Deterministic. */
VML_API vml_status vml_tick(vml_machine *m, uint64_t n);

typedef struct vml_pagefile_info {
    int      present;
    char     path[256];     /* "" for a temporary file */
    uint64_t total_slots, used_slots, peak_slots;
    uint64_t reads, writes, write_clusters;   /* pages read / written */
    uint64_t read_errors, write_errors;
} vml_pagefile_info;
VML_API void vml_pagefile_get(const vml_machine *m, vml_pagefile_info *out);

/* Frames on the standby list with one page priority (0..7). */
#define VML_STANDBY_PRIORITIES 8
VML_API uint64_t vml_standby_count(const vml_machine *m, unsigned priority);

/* Fault injection for tests: after `after` more successful operations of
** the kind, the next `count` fail (pagefile I/O with errno err: VML_EIO,
** VML_ENOSPC; host allocations with VML_E_NOMEM).  count 0 cancels. */
#define VML_INJECT_PAGEFILE_WRITE 0u
#define VML_INJECT_PAGEFILE_READ  1u
#define VML_INJECT_HOST_ALLOC     2u
#define VML_INJECT_FILE_READ      3u   /* mapped files' page reads (EIO) */
#define VML_INJECT_FILE_WRITE     4u   /* mapped files' write-backs (EIO, ENOSPC) */
#define VML_N_INJECT              5u
VML_API vml_status vml_inject(vml_machine *m, unsigned what, int err, uint64_t after,
                              uint64_t count);

/* ------------------------------------------------------------------ */
/* A replacement policy alone, on a reference string                   */

typedef struct vml_ref {
    uint64_t page;
    unsigned write;          /* 1: the reference writes the page */
} vml_ref;

typedef struct vml_policy_result {
    uint64_t refs, hits, faults;
    uint64_t evictions, writebacks;   /* writebacks: dirty pages evicted, and
                                      ** pages the policy cleaned (wsclock) */
    uint64_t *resident;              /* the pages resident at the end, sorted */
    size_t   n_resident;
} vml_policy_result;

/* Simulates `frames` frames managed by policy over refs[0..n): every
** reference to a page not resident is a fault; a full memory evicts the
** policy's victim (a write-back when it was written since it was loaded).
** OPT's only ties are pages never used again: the one loaded into the
** lowest frame goes first.  VML_POLICY_WS is a machine mechanism and is
** refused (VML_E_UNSUPPORTED).
** Free the result with vml_policy_result_free(). */
VML_API vml_status vml_policy_simulate(vml_policy policy, uint64_t frames, const vml_ref *refs,
                                       size_t n, vml_policy_result *out);
VML_API void vml_policy_result_free(vml_policy_result *r);

/* ------------------------------------------------------------------ */
/* Address-space inspection: VADs                                      */

#define VML_VAD_PRIVATE 0u
#define VML_VAD_MAPPED  1u
#define VML_VAD_IMAGE   2u
#define VML_ORIGIN_WIN32 0u   /* created by VirtualAlloc & co. */
#define VML_ORIGIN_POSIX 1u   /* created by mmap & co. (VMA rules) */

/* What backs a VAD (vml_vad_info.backing). */
#define VML_BACKING_PRIVATE  0u   /* private memory: its PTEs are the only record */
#define VML_BACKING_PAGEFILE 1u   /* a pagefile-backed section, or posix shmem */
#define VML_BACKING_FILE     2u   /* a file's pages (its data section) */
#define VML_BACKING_IMAGE    3u   /* an image section */

/* What a personality made a VAD for (vml_vad_info.usage; VMMap's types). */
#define VML_USAGE_NONE    0u
#define VML_USAGE_HEAP    1u   /* a Win32 heap's segment or large block */
#define VML_USAGE_STACK   2u   /* a thread's stack (Win32), the main stack (posix) */
#define VML_USAGE_PEB     3u   /* the process environment block */
#define VML_USAGE_TEB     4u   /* a thread environment block */
#define VML_USAGE_PARAMS  5u   /* RTL_USER_PROCESS_PARAMETERS and its strings */
#define VML_USAGE_BRK     6u   /* the posix brk area ([heap]) */

typedef struct vml_vad_info {
    uint64_t start_vpn, end_vpn;  /* inclusive, as WinDbg prints them */
    unsigned level;               /* depth in the tree, root = 0 */
    uint64_t commit_pages;        /* committed pages charged to it */
    unsigned type;                /* VML_VAD_* */
    unsigned origin;              /* VML_ORIGIN_* */
    uint32_t protect;             /* Win32 protection it was created with */
    int      prot;                /* posix VMAs: PROT_*; win32: derived */
    int      map_flags;           /* posix VMAs: MAP_* */
    int      mem_commit;          /* whole range committed at creation */
    const char *name;             /* "" or a description ("[heap]") */
    /* views */
    unsigned backing;             /* VML_BACKING_* */
    int      cow;                 /* copy-on-write (FILE_MAP_COPY, MAP_PRIVATE) */
    int      shmem;               /* a posix MAP_SHARED|MAP_ANONYMOUS object */
    unsigned segment;             /* the segment (control area) number, 0 none */
    unsigned section;             /* the section object's number, 0 none */
    uint64_t offset;              /* bytes into the segment at start_vpn */
    const char *file;             /* the file's name as opened ("" none) */
    uint64_t inode;               /* the file's (or shmem object's) inode */
    int      inherit;             /* 0 copied by fork, 1 shared, 2 not inherited */
    unsigned usage;               /* VML_USAGE_*: what a personality made it for */
    uint64_t usage_tag;           /* HEAP: the heap's handle; STACK, TEB: the thread id */
} vml_vad_info;

/* The first VAD whose end is at or after va (iterate: va = end + 1 page).
** VML_E_NOT_FOUND past the last. */
VML_API vml_status vml_vad_next(vml_proc *p, vml_va va, vml_vad_info *out);
VML_API size_t     vml_vad_count(const vml_proc *p);

/* One page of a process, as /proc/PID/smaps and pagemap count it. */
typedef struct vml_page_info {
    vml_pte_kind kind;            /* of its PTE (VML_PTE_ZERO: none yet) */
    int      committed;
    uint32_t protect;             /* Win32 protection of the mapping (committed) */
    int      mapped;              /* valid in this process now */
    int      resident;            /* a frame holds it (mapped, or in transition) */
    int      swapped;             /* its only copy is in the pagefile */
    int      zero_page;           /* mapped to the shared zero page */
    vml_pfn  pfn;                 /* its frame, VML_PFN_NONE when none */
    unsigned share_count;         /* valid PTEs that map the frame */
    int      shared;              /* a page of a section or a clone page */
    int      dirty;               /* written since it was last saved */
    int      accessed;            /* the PTE's A bit */
    unsigned backing;             /* VML_BACKING_* (a clone page: PRIVATE) */
    uint64_t proto_id;            /* its prototype PTE, 0 none */
    vml_va   proto_va;            /* ... and where it is (the paged pool) */
} vml_page_info;
/* The state of the page at va of p (no side effects). */
VML_API vml_status vml_page_query(vml_proc *p, vml_va va, vml_page_info *out);

/* What /proc/PID/smaps counts of a range of one process (bytes), by
** Linux's rules (fs/proc/task_mmu.c, smaps_account): a mapped page counts
** in Rss, in Pss divided by its mappers, as Shared_* when another PTE maps
** it too, Private_* otherwise; Anonymous for private and clone pages;
** Swap for pages only in the pagefile.  The zero page counts nowhere. */
typedef struct vml_mem_usage {
    uint64_t rss, pss, pss_dirty;
    uint64_t shared_clean, shared_dirty, private_clean, private_dirty;
    uint64_t referenced, anonymous, lazyfree, swap, swap_pss;
} vml_mem_usage;
VML_API vml_status vml_mem_usage_get(vml_proc *p, vml_va start, vml_va end, vml_mem_usage *out);

/* A segment (control area and its prototype PTEs: WinDbg's !ca). */
typedef struct vml_segment_info {
    unsigned id;
    unsigned backing;             /* VML_BACKING_* */
    uint64_t n_pages;
    uint64_t proto_base;          /* id of its first prototype PTE */
    vml_va   proto_va;            /* address of its first prototype PTE */
    unsigned refs, views;         /* references (section objects, views...) */
    uint64_t commit_pages;        /* charged to the system */
    uint64_t resident_pages;      /* frames holding its pages */
    int      reserve, shmem;
    const char *file;             /* "" none */
    uint64_t file_size;
} vml_segment_info;
VML_API vml_status vml_segment_get(vml_machine *m, unsigned id, vml_segment_info *out);
/* Prototype PTE index of segment id (64-bit memory-manager format). */
VML_API vml_status vml_segment_proto(vml_machine *m, unsigned id, uint64_t index, uint64_t *proto);

/* ------------------------------------------------------------------ */
/* Counters                                                            */

typedef enum vml_scope { VML_SCOPE_SYSTEM, VML_SCOPE_PROC, VML_SCOPE_CPU } vml_scope;

/* One list per scope: each counter's name (as scripts and views spell it)
** and what it counts.  The enums below are made from the lists, so a
** counter a program names must exist (a compile error otherwise). */
#define VML_SYS_STAT_LIST(X) \
    X(total_pages,        "physical frames in the machine") \
    X(free_pages,         "frames on the free list (contents not zeroed)") \
    X(zeroed_pages,       "frames on the zeroed list") \
    X(standby_pages,      "frames on the standby list (clean, still holding data)") \
    X(modified_pages,     "frames on the modified list (dirty, to be written)") \
    X(modnowrite_pages,   "frames on the modified-no-write list") \
    X(bad_pages,          "frames on the bad list (out of service)") \
    X(active_pages,       "frames in use: working sets, page tables, kernel") \
    X(pagetable_pages,    "frames holding page tables (every process and the kernel)") \
    X(kernel_pages,       "frames of the kernel image and the shared zero page") \
    X(page_faults,        "page faults resolved") \
    X(demand_zero_faults, "faults resolved with a zero-filled frame") \
    X(transition_faults,  "soft faults resolved from the standby/modified lists") \
    X(guard_page_faults,  "STATUS_GUARD_PAGE_VIOLATION exceptions raised") \
    X(access_violations,  "access violations (0xC0000005) raised") \
    X(pages_zeroed,       "frames zeroed by the zero-page worker") \
    X(ipis,               "TLB shootdown interrupts sent to other CPUs") \
    X(shootdowns,         "invalidations that needed other CPUs") \
    X(processes,          "processes") \
    X(soft_faults,        "faults resolved from memory, no I/O (standby, modified, another mapper)") \
    X(hard_faults,        "faults that read the page from the pagefile or a file (pgmajfault)") \
    X(pagefile_reads,     "pages read from the pagefile (pswpin)") \
    X(pagefile_writes,    "pages written to the pagefile (pswpout)") \
    X(pagefile_write_clusters, "writes of the modified page writer (one per cluster)") \
    X(pagefile_read_errors,  "pagefile reads that failed (STATUS_IN_PAGE_ERROR)") \
    X(pagefile_write_errors, "pagefile writes that failed (pages stayed modified)") \
    X(pagefile_total_pages, "slots in the pagefile") \
    X(pagefile_used_pages, "pagefile slots holding a page") \
    X(pagefile_peak_pages, "highest pagefile_used_pages") \
    X(commit_charge,      "committed pages: private memory and pagefile-backed sections (Committed_AS)") \
    X(commit_limit,       "pages that can be committed: RAM + pagefile (CommitLimit)") \
    X(commit_peak,        "highest commit_charge") \
    X(available_pages,    "zeroed + free + standby pages (MemAvailable)") \
    X(pages_trimmed,      "pages the working-set manager took from working sets") \
    X(evictions,          "pages taken from working sets by trimming or a global policy") \
    X(writebacks,         "of those, dirty ones (they must be written before reuse)") \
    X(pages_repurposed,   "standby pages given to a new use") \
    X(aging_passes,       "working sets aged by the working-set manager") \
    X(background_runs,    "runs of the background work (tick, thresholds, interval)") \
    X(no_frame_faults,    "faults that found no frame even after reclaiming") \
    X(failed_faults,      "STATUS_NO_MEMORY and STATUS_IN_PAGE_ERROR exceptions raised") \
    X(cow_faults,         "copy-on-write faults (a private copy, or the page kept by its last user)") \
    X(prototype_faults,   "faults resolved through a prototype PTE (a shared page)") \
    X(file_faults,        "hard faults served from a mapped file") \
    X(image_faults,       "hard faults served from an image file (pages read from images)") \
    X(bus_errors,         "SIGBUS raised for file pages past the end of the file") \
    X(shared_pages,       "frames mapped by more than one PTE (share count > 1)") \
    X(file_reads,         "pages read from mapped files") \
    X(file_writes,        "pages written back to mapped files") \
    X(file_read_errors,   "file page reads that failed (STATUS_IN_PAGE_ERROR)") \
    X(file_write_errors,  "file write-backs that failed (pages stayed modified)") \
    X(zero_page_maps,     "PTEs mapping the shared zero page") \
    X(sections,           "section objects (CreateFileMapping)") \
    X(segments,           "segments of prototype PTEs (pagefile-backed, files, images)") \
    X(cached_pages,       "frames holding pages of files (active, standby and modified)") \
    X(shmem_pages,        "frames holding pages of pagefile-backed sections and shared anonymous memory") \
    X(clone_pages,        "pages shared copy-on-write after fork (clone prototype PTEs)") \
    X(forks,              "fork calls") \
    X(anon_pages,         "frames holding anonymous memory (private and clone pages), in use or in transition") \
    X(mapped_file_pages,  "frames of files and shared memory that some PTE maps now (Linux Mapped)") \
    X(dirty_pages,        "file pages written and not yet written back (Linux Dirty)") \
    X(swap_cached_pages,  "frames that also have a clean copy in the pagefile (SwapCached)") \
    X(stack_growths,      "stacks grown: a Win32 guard page moved down, a posix [stack] extended")

#define VML_PROC_STAT_LIST(X) \
    X(page_faults,        "page faults resolved (Task Manager: Page Faults)") \
    X(demand_zero_faults, "faults resolved with a zero-filled frame") \
    X(transition_faults,  "soft faults from the standby/modified lists") \
    X(guard_page_faults,  "guard-page exceptions raised") \
    X(access_violations,  "access violations (0xC0000005) raised") \
    X(working_set,        "bytes of resident pages (Working Set, VmRSS)") \
    X(peak_working_set,   "highest working_set (Peak Working Set, VmHWM)") \
    X(private_bytes,      "bytes of committed private memory (Private Bytes / Commit size)") \
    X(peak_private_bytes, "highest private_bytes") \
    X(virtual_size,       "bytes reserved, committed or not (Virtual Size, VmSize)") \
    X(peak_virtual_size,  "highest virtual_size (VmPeak)") \
    X(pagetable_pages,    "page-table frames of the process (VmPTE / 4K)") \
    X(vads,               "VADs (allocations) in the address space") \
    X(soft_faults,        "faults resolved from memory, no I/O") \
    X(hard_faults,        "faults that read the page from the pagefile or a file") \
    X(minflt,             "faults without I/O (Linux min_flt: page_faults - hard_faults)") \
    X(majflt,             "faults with I/O (Linux maj_flt)") \
    X(pagefile_pages,     "private pages of the process in the pagefile (VmSwap / 4K)") \
    X(pages_trimmed,      "pages taken from its working set") \
    X(ws_min_pages,       "working-set minimum (pages)") \
    X(ws_max_pages,       "working-set maximum (pages; 0 = none)") \
    X(memory_priority,    "priority of its pages on the standby list (0..7)") \
    X(failed_faults,      "STATUS_NO_MEMORY and STATUS_IN_PAGE_ERROR exceptions raised") \
    X(cow_faults,         "copy-on-write faults") \
    X(prototype_faults,   "faults resolved through a prototype PTE (a shared page)") \
    X(file_faults,        "hard faults served from a mapped file") \
    X(image_faults,       "hard faults served from an image file (pages read from images)") \
    X(bus_errors,         "SIGBUS raised for file pages past the end of the file") \
    X(ws_private,         "bytes of its working set no other process can share (WS Private)") \
    X(ws_shareable,       "bytes of its working set that are section or clone pages (WS Shareable)") \
    X(ws_shared,          "bytes of its shareable working set mapped by another PTE too (WS Shared)") \
    X(rss_anon,           "bytes of resident anonymous memory (RssAnon)") \
    X(rss_file,           "bytes of resident pages of files (RssFile)") \
    X(rss_shmem,          "bytes of resident shared anonymous memory (RssShmem)") \
    X(pss,                "proportional set size: each resident page divided by its mappers (bytes)") \
    X(zero_page_maps,     "PTEs mapping the shared zero page") \
    X(handles,            "open Win32 handles") \
    X(fds,                "open posix file descriptors") \
    X(stack_growths,      "times a stack grew: a guard page moved down (Win32), a VM_GROWSDOWN VMA extended (posix)") \
    X(stack_overflows,    "STATUS_STACK_OVERFLOW exceptions raised (a thread's stack reserve used up)") \
    X(threads,            "threads (Win32 CreateThread and the main thread)")

#define VML_CPU_STAT_LIST(X) \
    X(tlb_hits,     "translations found in the TLB") \
    X(tlb_misses,   "translations not in the TLB (each walks the tables)") \
    X(tlb_l2_hits,  "hits in the second-level TLB") \
    X(page_walks,   "page-table walks") \
    X(invlpgs,      "invlpg instructions executed") \
    X(flushes,      "TLB flushes (CR3 loads without PCIDs, explicit flushes)") \
    X(cr3_loads,    "address-space switches") \
    X(ipis,         "shootdown interrupts received")

typedef enum vml_sys_stat {
#define VML_X_ENUM(name, desc) VML_STAT_SYS_##name,
    VML_SYS_STAT_LIST(VML_X_ENUM)
#undef VML_X_ENUM
    VML_N_SYS_STATS
} vml_sys_stat;
typedef enum vml_proc_stat {
#define VML_X_ENUM(name, desc) VML_STAT_PROC_##name,
    VML_PROC_STAT_LIST(VML_X_ENUM)
#undef VML_X_ENUM
    VML_N_PROC_STATS
} vml_proc_stat;
typedef enum vml_cpu_stat {
#define VML_X_ENUM(name, desc) VML_STAT_CPU_##name,
    VML_CPU_STAT_LIST(VML_X_ENUM)
#undef VML_X_ENUM
    VML_N_CPU_STATS
} vml_cpu_stat;

/* A counter's value (0 for an id out of range). */
VML_API uint64_t vml_stat_sys(const vml_machine *m, vml_sys_stat s);
VML_API uint64_t vml_stat_proc(const vml_proc *p, vml_proc_stat s);
VML_API uint64_t vml_stat_cpu(const vml_machine *m, unsigned cpu, vml_cpu_stat s);

/* By name (scripts): id is the pid for VML_SCOPE_PROC and the CPU number
** for VML_SCOPE_CPU.  VML_E_NOT_FOUND for a name the scope does not have. */
VML_API vml_status vml_stat_get(vml_machine *m, vml_scope scope, unsigned id,
                                const char *name, uint64_t *out);
VML_API size_t     vml_stat_count(vml_scope scope);
/* The i-th counter of a scope: its name, and a description in *desc. */
VML_API const char *vml_stat_name(vml_scope scope, size_t i, const char **desc);

/* ------------------------------------------------------------------ */
/* Events (explain mode)                                               */

#define VML_EVENT_LIST(X)                              \
    X(VML_EV_FAULT,      "fault")                      \
    X(VML_EV_EXCEPTION,  "exception")                  \
    X(VML_EV_LIST_MOVE,  "pfn")                        \
    X(VML_EV_PTE_WRITE,  "pte")                        \
    X(VML_EV_PT_ALLOC,   "pt-alloc")                   \
    X(VML_EV_PT_FREE,    "pt-free")                    \
    X(VML_EV_TLB_FILL,   "tlb-fill")                   \
    X(VML_EV_TLB_INVLPG, "invlpg")                     \
    X(VML_EV_TLB_FLUSH,  "tlb-flush")                  \
    X(VML_EV_CR3_LOAD,   "cr3")                        \
    X(VML_EV_IPI,        "ipi")                        \
    X(VML_EV_VAD,        "vad")                        \
    X(VML_EV_TRIM,       "trim")                       \
    X(VML_EV_AGE,        "age")                        \
    X(VML_EV_PAGEFILE,   "pagefile")                   \
    X(VML_EV_REPURPOSE,  "repurpose")                  \
    X(VML_EV_EVICT,      "evict")                      \
    X(VML_EV_FILE,       "file")                       \
    X(VML_EV_FORK,       "fork")

typedef enum vml_event_type {
#define VML_X_ENUM(name, text) name,
    VML_EVENT_LIST(VML_X_ENUM)
#undef VML_X_ENUM
    VML_N_EVENTS
} vml_event_type;

typedef struct vml_event {
    vml_event_type type;
    unsigned  pid;        /* 0 = none / kernel */
    unsigned  cpu;
    vml_va    va;
    vml_pfn   pfn;
    vml_list  from, to;   /* LIST_MOVE */
    vml_pa    pte_pa;     /* PTE_WRITE, PT_ALLOC */
    uint64_t  old_pte, new_pte;
    unsigned  level;      /* PT_ALLOC/PT_FREE/PTE_WRITE: table level */
    uint64_t  slot;       /* PAGEFILE, REPURPOSE, EVICT: pagefile slot
                          ** (UINT64_MAX: none) */
    uint64_t  count;      /* PAGEFILE: pages in the cluster; AGE: pages aged */
    const char *what;     /* a short word: fault kind, VAD op, flush kind */
} vml_event;

typedef void (*vml_event_fn)(void *ctx, const vml_event *ev);
VML_API void   vml_set_event_handler(vml_machine *m, vml_event_fn fn, void *ctx);
/* One line, no newline: "fault demand-zero pid=1 va=0x10000 pfn=0x1a7 zeroed->active".
** Returns the length written (truncated to size - 1, unlike snprintf); a
** line is under 200 characters. */
VML_API size_t vml_event_format(const vml_machine *m, const vml_event *ev, char *buf, size_t size);

/* ------------------------------------------------------------------ */
/* Text output and views                                               */

typedef struct vml_text {
    char  *s;      /* NUL-terminated; NULL while empty */
    size_t len, cap;
    int    oom;    /* an append failed: the text is incomplete */
} vml_text;

VML_API void vml_text_free(vml_text *t);
VML_API void vml_text_vprintf(vml_text *t, const char *fmt, va_list ap);
/* Appends n bytes (NULs included); the text stays NUL-terminated. */
VML_API void vml_text_append(vml_text *t, const void *bytes, size_t n);
VML_API void vml_text_printf(vml_text *t, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

#define VML_FMT_TEXT 0u
#define VML_FMT_JSON 1u

/* Each appends the view to *out (text like the tool it imitates, or one
** JSON value followed by a newline). */
VML_API vml_status vml_view_vad(vml_proc *p, unsigned fmt, vml_text *out);           /* !vad */
VML_API vml_status vml_view_pte(vml_proc *p, vml_va va, unsigned fmt, vml_text *out); /* !pte */
VML_API vml_status vml_view_vtop(vml_proc *p, vml_va va, unsigned fmt, vml_text *out);/* !vtop */
VML_API vml_status vml_view_pfn(vml_machine *m, vml_pfn pfn, unsigned fmt, vml_text *out); /* !pfn */
VML_API vml_status vml_view_memusage(vml_machine *m, unsigned fmt, vml_text *out);    /* !memusage */
VML_API vml_status vml_view_maps(vml_proc *p, unsigned fmt, vml_text *out);          /* /proc/PID/maps */
VML_API vml_status vml_view_status(vml_proc *p, unsigned fmt, vml_text *out);        /* /proc/PID/status */
VML_API vml_status vml_view_taskmgr(vml_machine *m, unsigned fmt, vml_text *out);    /* Task Manager */
VML_API vml_status vml_view_tlb(vml_machine *m, unsigned cpu, unsigned fmt, vml_text *out);
VML_API vml_status vml_view_pagemap(vml_proc *p, vml_va va, uint64_t count, unsigned fmt, vml_text *out);
VML_API vml_status vml_view_query(vml_proc *p, vml_va va, unsigned fmt, vml_text *out); /* VirtualQuery */
VML_API vml_status vml_view_stats(vml_machine *m, vml_scope scope, unsigned id, unsigned fmt, vml_text *out);
VML_API vml_status vml_view_vm(vml_machine *m, unsigned fmt, vml_text *out);            /* !vm */
VML_API vml_status vml_view_wsle(vml_proc *p, unsigned fmt, vml_text *out);             /* !wsle */
VML_API vml_status vml_view_vmstat(vml_machine *m, unsigned fmt, vml_text *out);        /* /proc/vmstat */
VML_API vml_status vml_view_smaps(vml_proc *p, unsigned fmt, vml_text *out);            /* /proc/PID/smaps */
VML_API vml_status vml_view_pmap(vml_proc *p, unsigned fmt, vml_text *out);             /* pmap -x */
VML_API vml_status vml_view_lm(vml_proc *p, unsigned fmt, vml_text *out);               /* WinDbg lm */
/* WinDbg !dh of the module at base (ELF: readelf -h -l's fields);
** VML_E_NOT_FOUND when no module starts there. */
VML_API vml_status vml_view_dh(vml_proc *p, vml_va base, unsigned fmt, vml_text *out);
VML_API vml_status vml_view_vmmap(vml_proc *p, unsigned fmt, vml_text *out);            /* VMMap summary */
VML_API vml_status vml_view_meminfo(vml_machine *m, unsigned fmt, vml_text *out);       /* /proc/meminfo */
VML_API vml_status vml_view_free(vml_machine *m, unsigned fmt, vml_text *out);          /* free -k */
/* The control area of the section mapped at va (WinDbg's !ca), with its
** prototype PTEs; VML_E_NOT_FOUND when va is not in a view. */
VML_API vml_status vml_view_ca(vml_proc *p, vml_va va, unsigned fmt, vml_text *out);

/* ------------------------------------------------------------------ */
/* Traces and replay                                                   */
/*
** A trace is a stream of memory accesses of one or more processes, read
** from a file, a pipe or standard input, possibly compressed (zstd, xz,
** gzip: detected from the magic bytes, decompressed in-process).  It is
** never loaded whole: memory use does not grow with its length (OPT's
** future excepted, see vml_replay_opts.future_memory).  docs/replay.md
** describes the formats and the definitions that turn accesses into page
** references.
*/

#define VML_TRACE_FORMAT_LIST(X)                                               \
    X(VML_TRACE_AUTO,   "auto",   "detected from the content")                \
    X(VML_TRACE_LACKEY, "lackey", "Valgrind lackey --trace-mem=yes output")   \
    X(VML_TRACE_TEXT,   "text",   "one access per line: R|W ADDRESS [PID]")   \
    X(VML_TRACE_CSV,    "csv",    "comma-separated: op,address[,pid[,size]] or named columns") \
    X(VML_TRACE_VMT,    "vmt",    "vmlab's compact binary page trace")        \
    X(VML_TRACE_ORACLE, "oracle", "libCacheSim's oracleGeneral binary")

typedef enum vml_trace_format {
#define VML_X_ENUM(name, text, desc) name,
    VML_TRACE_FORMAT_LIST(VML_X_ENUM)
#undef VML_X_ENUM
    VML_N_TRACE_FORMATS
} vml_trace_format;

#define VML_COMPRESS_NONE 0u
#define VML_COMPRESS_ZSTD 1u
#define VML_COMPRESS_XZ   2u
#define VML_COMPRESS_GZIP 3u

VML_API const char *vml_trace_format_name(vml_trace_format f);   /* "lackey" */
VML_API const char *vml_trace_format_desc(vml_trace_format f);
VML_API vml_status  vml_trace_format_parse(const char *name, vml_trace_format *out);
VML_API const char *vml_compress_name(unsigned c);               /* "zstd" */
/* The compression a file name asks for by its extension (.zst, .xz, .gz),
** VML_COMPRESS_NONE otherwise. */
VML_API unsigned    vml_compress_from_name(const char *path);

/* Kinds of access (vml_trace_access.kind). */
#define VML_TRACE_READ   0u   /* lackey L */
#define VML_TRACE_WRITE  1u   /* lackey S */
#define VML_TRACE_IFETCH 2u   /* lackey I: an instruction fetch */
#define VML_TRACE_MODIFY 3u   /* lackey M: read and write of one datum */
/* vml_trace_access.flags */
#define VML_TRACE_CONT   0x1u /* page-level formats (vmt): another page of
                              ** the access before it, which straddled */

typedef struct vml_trace_access {
    vml_va   va;
    uint32_t pid;      /* 0 when the format has none */
    uint16_t size;     /* bytes; 0 when the format has none (page-level) */
    uint8_t  kind;     /* VML_TRACE_* */
    uint8_t  flags;    /* VML_TRACE_CONT */
} vml_trace_access;

typedef struct vml_trace vml_trace;

/* Opens a trace: path "-" is standard input.  fmt VML_TRACE_AUTO detects
** the format from the content (magic bytes, the first lines).  On failure
** err holds "FILE: problem" (unknown format, corrupt compressed header). */
VML_API vml_status vml_trace_open(const char *path, vml_trace_format fmt, vml_trace **out,
                                  char *err, size_t size);
/* The same on an open descriptor (a pipe); name is used in messages.  The
** descriptor is not closed by vml_trace_close. */
VML_API vml_status vml_trace_open_fd(int fd, const char *name, vml_trace_format fmt,
                                     vml_trace **out, char *err, size_t size);
VML_API void       vml_trace_close(vml_trace *t);
/* Reads up to max accesses into buf; *n == 0 at the end of the trace.
** VML_E_SYNTAX (malformed line, truncated record, bad field), VML_E_IO
** (read error, corrupt compressed stream): vml_trace_error() names the
** file, the line or byte offset and the problem; the trace stays failed.
** The accesses before a failure are returned first (VML_OK), the failure
** by the next call. */
VML_API vml_status vml_trace_read(vml_trace *t, vml_trace_access *buf, size_t max, size_t *n);
VML_API const char *vml_trace_error(const vml_trace *t);   /* "" when none */

typedef struct vml_trace_info {
    vml_trace_format format;       /* as detected */
    unsigned         compression;  /* VML_COMPRESS_* */
    uint64_t         bytes_in;     /* bytes of the file consumed so far */
    uint64_t         size_in;      /* the file's size; 0 when unknown (pipe) */
    uint64_t         accesses;     /* accesses returned so far */
} vml_trace_info;
VML_API void vml_trace_info_get(const vml_trace *t, vml_trace_info *out);

/* Writes a trace to path ("-": standard output): VML_TRACE_VMT,
** VML_TRACE_TEXT, VML_TRACE_CSV, VML_TRACE_LACKEY or VML_TRACE_ORACLE
** (whose next-access times need the whole trace: its records are written
** by vml_trace_writer_close, from OPT's future store).  compress is
** VML_COMPRESS_*.  flags (VML_REPLAY_NO_IFETCH, VML_REPLAY_STRADDLE below)
** choose the page references of the page-level formats: vmt drops fetches
** under NO_IFETCH and always keeps a straddle's further pages as
** continuations; oracle writes one record per page reference.  Nothing is
** complete until vml_trace_writer_close returns VML_OK. */
typedef struct vml_trace_writer vml_trace_writer;
VML_API vml_status vml_trace_writer_open(const char *path, vml_trace_format fmt, unsigned compress,
                                         unsigned flags, vml_trace_writer **out, char *err,
                                         size_t size);
VML_API vml_status vml_trace_write(vml_trace_writer *w, const vml_trace_access *a, size_t n);
/* Writes bytes as they are (lackey text passed through by vmlab record);
** only on a writer opened with VML_TRACE_LACKEY. */
VML_API vml_status vml_trace_write_raw(vml_trace_writer *w, const void *bytes, size_t n);
/* Finishes and closes (w is freed either way); err names what failed. */
VML_API vml_status vml_trace_writer_close(vml_trace_writer *w, char *err, size_t size);
VML_API const char *vml_trace_writer_error(const vml_trace_writer *w);

/* How accesses become page references (docs/policies.md): a page
** reference is (process, page of the access's first byte); a write or
** modify references the page for writing. */
#define VML_REPLAY_NO_IFETCH 0x1u  /* drop instruction fetches (lackey I) */
#define VML_REPLAY_STRADDLE  0x2u  /* an access crossing pages references each */
#define VML_REPLAY_AUTOCOMMIT 0x4u /* machine replay: commit a page on its first
                                   ** touch (vml_replay_machine) */

typedef struct vml_replay_progress {
    uint64_t accesses;     /* trace accesses read so far (every worker) */
    uint64_t refs;         /* page references simulated */
    uint64_t work_done;    /* work units done of work_total (for an ETA) */
    uint64_t work_total;   /* 0 when unknown (a pipe) */
    double   elapsed;      /* seconds */
} vml_replay_progress;
/* Called on the caller's thread about every progress_ms (200 ms); returning
** non-zero stops the replay (the results then say partial). */
typedef int (*vml_progress_fn)(void *ctx, const vml_replay_progress *p);
/* Called every sample_every accesses of a machine replay (vml_stat_get
** reads the counters), and once at the end.  (The machine replay's fast
** path for vmt traces is not taken while samples are asked for; the
** counters are the same.) */
typedef void (*vml_sample_fn)(void *ctx, vml_machine *m, uint64_t accesses);

typedef struct vml_replay_opts {
    unsigned        flags;          /* VML_REPLAY_* */
    vml_trace_format format;        /* of the trace files; VML_TRACE_AUTO */
    unsigned        jobs;           /* worker threads; 0 = 1 */
    vml_progress_fn progress;       /* may be NULL */
    void           *progress_ctx;
    unsigned        progress_ms;    /* between calls; 0 = 200 */
    /* OPT's future (each reference's next use: 8 bytes a reference, 12
    ** past 2^32 references) is kept in memory up to future_memory bytes,
    ** the rest in an unlinked temporary file in tmp_dir.  0 = 1 GiB;
    ** NULL = $TMPDIR or /tmp. */
    uint64_t        future_memory;
    const char     *tmp_dir;
    unsigned        cpu;            /* machine replay: the CPU (default 0) */
    uint64_t        sample_every;   /* machine replay: 0 = no samples */
    vml_sample_fn   sample;
    void           *sample_ctx;
} vml_replay_opts;

VML_API void vml_replay_opts_default(vml_replay_opts *o);

/* One replacement policy with a number of frames, on one trace. */
typedef struct vml_replay_cell {
    size_t     trace;        /* index into the traces of the sweep */
    vml_policy policy;
    uint64_t   frames;
    /* results */
    uint64_t   refs, faults, hits, evictions, writebacks;
    int        done;         /* 1: every reference of the trace reached it */
} vml_replay_cell;

typedef struct vml_replay_summary {
    uint64_t accesses;       /* trace accesses read */
    uint64_t refs;           /* page references after the definitions */
    uint64_t footprint;      /* distinct pages referenced */
    uint64_t n_pids;         /* distinct processes */
    int      done;           /* 1: read to its end (for vml_replay_mrc: and
                             ** every curve complete) */
    vml_status status;       /* the trace's error, VML_OK when none */
    char     error[512];
} vml_replay_summary;

/* Policy-only replay of a sweep: every cell's policy alone with its frames
** on its trace (a policy from VML_POLICY_LIST but ws).  The cells of one
** trace share one read of it per worker; jobs > 1 spreads them over
** threads.  Standard input ("-") is read once, by one worker.  sums[i]
** describes traces[i].  Returns VML_OK when everything ran to the end,
** VML_OK with some cell done == 0 when progress() stopped it, or the first
** trace error (the cells of other traces may be done). */
VML_API vml_status vml_replay_sweep(const char *const *traces, size_t n_traces,
                                    vml_replay_cell *cells, size_t n_cells,
                                    const vml_replay_opts *o, vml_replay_summary *sums);

/* Miss-ratio curves: faults for every number of frames from 1 to the
** footprint, in one pass per curve (LRU: exact stack distances over a
** Fenwick tree, O(n log footprint); OPT: Mattson's stack with next-use
** priorities, O(n + sum of OPT stack depths)).  jobs > 1 computes the two
** curves on two threads.  Free with vml_mrc_free (also after a failure). */
#define VML_MRC_LRU 0x1u
#define VML_MRC_OPT 0x2u
typedef struct vml_mrc {
    uint64_t  refs, footprint;
    uint64_t *lru_faults;    /* [c - 1]: faults with c frames; NULL unless asked */
    uint64_t *opt_faults;
    int       done;          /* 1: the whole trace */
} vml_mrc;
VML_API vml_status vml_replay_mrc(const char *trace, unsigned which, const vml_replay_opts *o,
                                  vml_mrc *out, vml_replay_summary *sum);
VML_API void vml_mrc_free(vml_mrc *mrc);

/* Full-stack replay: every access of trace t through machine m's TLB, page
** walker, fault handler, working sets and pagefile, on CPU o->cpu.  proc
** NULL: a process per trace PID, created on first use ("trace-pid-N"),
** whose instruction fetches are reads; else every access goes to proc and
** a fetch is an execute access.  With VML_REPLAY_AUTOCOMMIT an access to a
** page in no VAD maps it (posix mmap: anonymous, read-write-execute, fixed;
** neighbours merge) and one to a reserved page commits it (VirtualAlloc),
** then the access is retried; without, it counts as an exception and the
** replay goes on, as do other exceptions.  Consecutive accesses of one
** process and kind go through the batch path (vml_mem_batch), 8 bytes
** each.  VML_E_COMMIT: a commit beyond the commit limit stopped it. */
typedef struct vml_machine_replay {
    uint64_t accesses;       /* trace accesses read */
    uint64_t refs;           /* memory accesses issued (straddles counted) */
    uint64_t exceptions;     /* accesses that raised an exception */
    uint64_t pages_committed;/* by VML_REPLAY_AUTOCOMMIT */
    uint64_t n_procs;        /* processes created for trace PIDs */
    int      done;           /* 1: the whole trace */
    char     error[512];     /* what stopped it early */
} vml_machine_replay;
VML_API vml_status vml_replay_machine(vml_machine *m, vml_proc *proc, vml_trace *t,
                                      const vml_replay_opts *o, vml_machine_replay *out);

/* ------------------------------------------------------------------ */
/* Processes as the systems build them: threads and stacks, Win32     */
/* heaps, PEB and TEB; posix brk, malloc and the main stack.           */

/* HeapCreate options and HeapAlloc/HeapReAlloc/HeapFree flags (winnt.h) */
#define VML_HEAP_NO_SERIALIZE            0x00000001u
#define VML_HEAP_GROWABLE                0x00000002u
#define VML_HEAP_GENERATE_EXCEPTIONS     0x00000004u
#define VML_HEAP_ZERO_MEMORY             0x00000008u
#define VML_HEAP_REALLOC_IN_PLACE_ONLY   0x00000010u
#define VML_HEAP_CREATE_ENABLE_EXECUTE   0x00040000u
#define VML_STATUS_HEAP_CORRUPTION       0xC0000374u

/* Win32 heaps (ntdll's RtlCreateHeap/RtlAllocateHeap back end, on top of
** VirtualAlloc; their headers and free lists live in the process's memory:
** docs/views.md, !heap).  A heap is named by its handle, the base address
** of its first segment.  Each call returns 0 or the Win32 error code
** GetLastError() then holds (ERROR_NOT_ENOUGH_MEMORY, ERROR_INVALID_PARAMETER
** for a pointer that is not a busy block of the heap ...), except where
** Windows raises an exception: with HEAP_GENERATE_EXCEPTIONS (in flags or
** the heap's options) a failed allocation returns STATUS_NO_MEMORY
** (0xC0000017); a handle that names no heap of the process returns
** STATUS_ACCESS_VIOLATION (the real call faults reading it); a heap whose
** structures were overwritten returns STATUS_HEAP_CORRUPTION (0xC0000374).
** Codes >= 0xC0000000 are those exceptions.  Nothing changes on failure. */
VML_API uint32_t vml_win_HeapCreate(vml_proc *p, uint32_t options, uint64_t initial,
                                    uint64_t maximum, vml_va *heap);
VML_API uint32_t vml_win_HeapAlloc(vml_proc *p, vml_va heap, uint32_t flags, uint64_t size,
                                   vml_va *out);
VML_API uint32_t vml_win_HeapReAlloc(vml_proc *p, vml_va heap, uint32_t flags, vml_va ptr,
                                     uint64_t size, vml_va *out);
/* *size: the size asked for; (SIZE_T)-1 on failure (ERROR_INVALID_PARAMETER). */
VML_API uint32_t vml_win_HeapSize(vml_proc *p, vml_va heap, uint32_t flags, vml_va ptr,
                                  uint64_t *size);
/* A NULL ptr succeeds and does nothing. */
VML_API uint32_t vml_win_HeapFree(vml_proc *p, vml_va heap, uint32_t flags, vml_va ptr);
/* The process heap cannot be destroyed (ERROR_INVALID_HANDLE, as Wine). */
VML_API uint32_t vml_win_HeapDestroy(vml_proc *p, vml_va heap);
/* PEB.ProcessHeap; ERROR_INVALID_HANDLE for a process without a Win32
** environment (a plain `process`). */
VML_API uint32_t vml_win_GetProcessHeap(vml_proc *p, vml_va *heap);

/* What !heap shows (read without faults: vml_mem_peek). */
typedef struct vml_heap_info {
    vml_va   handle;               /* = the base of its first segment */
    uint32_t flags;                /* HEAP_GROWABLE | the HeapCreate options kept */
    unsigned ptr_size;             /* 8 (HEAP64) or 4 */
    unsigned granularity;          /* block unit: 16 or 8 bytes */
    int      process_heap;         /* PEB.ProcessHeap */
    unsigned n_segments;
    uint64_t reserved, committed;  /* bytes, over its segments */
    uint64_t max_size;             /* a fixed-size heap's maximum (0: growable) */
    uint64_t free_bytes;           /* TotalFreeSize */
    uint64_t n_busy, busy_bytes;   /* blocks in use (headers included) */
    uint64_t n_free;
    uint64_t n_large, large_bytes; /* VirtualAlloc'd blocks (reserved bytes) */
    uint64_t vm_threshold;         /* bytes: larger blocks get a VirtualAlloc */
    int      corrupt;              /* its structures do not hold together */
    char     problem[96];          /* ... what is wrong, and where */
} vml_heap_info;

typedef struct vml_heap_segment_info {
    vml_va   base;
    vml_va   first_entry, last_valid;   /* FirstEntry, LastValidEntry */
    uint64_t reserved, committed;       /* bytes */
} vml_heap_segment_info;

/* One block (HeapWalk's PROCESS_HEAP_ENTRY). */
typedef struct vml_heap_entry {
    vml_va   header;        /* its HEAP_ENTRY (or HEAP_VIRTUAL_ALLOC_ENTRY) */
    vml_va   user;          /* what HeapAlloc returned (0: a free block) */
    uint64_t size;          /* bytes of the block, header included */
    uint64_t requested;     /* busy: HeapSize */
    unsigned flags;         /* HEAP_ENTRY_* flags byte: 1 busy, 8 virtual alloc, 0x10 last */
    unsigned segment;       /* its segment (large blocks: 0xFF) */
} vml_heap_entry;

/* The process's heaps (GetProcessHeaps): up to max handles into heaps;
** returns how many there are. */
VML_API size_t     vml_heap_list(const vml_proc *p, vml_va *heaps, size_t max);
VML_API vml_status vml_heap_info_get(vml_proc *p, vml_va heap, vml_heap_info *out);
VML_API vml_status vml_heap_segment_get(vml_proc *p, vml_va heap, unsigned index,
                                        vml_heap_segment_info *out);
/* Copies up to max blocks in address order (segments, then large blocks);
** *n the number there are.  VML_E_CORRUPT is not returned: a walk that
** meets a broken header stops there (info.corrupt says so). */
VML_API vml_status vml_heap_walk(vml_proc *p, vml_va heap, vml_heap_entry *out, size_t max,
                                 size_t *n);

/* Threads (Win32).  A thread is its records -- an id, a TEB, a stack: vmlab
** runs no code, and accesses name a process, not a thread. */
typedef struct vml_thread_info {
    unsigned tid;
    vml_va   teb;              /* its TEB (0: none) */
    vml_va   stack_base;       /* NtTib.StackBase: the top of its stack */
    vml_va   stack_limit;      /* NtTib.StackLimit as the TEB holds it now */
    vml_va   stack_alloc;      /* DeallocationStack: the reservation's base */
} vml_thread_info;
/* The process's threads in creation order (the main thread first): up to
** max into out (may be NULL); returns how many there are. */
VML_API size_t     vml_thread_list(vml_proc *p, vml_thread_info *out, size_t max);

/* CreateThread's dwCreationFlags bit: dwStackSize is the reservation. */
#define VML_STACK_SIZE_PARAM_IS_A_RESERVATION 0x00010000u

/* CreateThread: a thread id (*tid), a TEB and a stack (BaseCreateStack):
** stack_size is the commit (0: the image's SizeOfStackCommit), or with
** VML_STACK_SIZE_PARAM_IS_A_RESERVATION the reservation (0: the image's
** SizeOfStackReserve, default 1 MiB); a commit at least the reserve makes
** the reserve the commit rounded up to 1 MiB.  The top pages are
** committed with a PAGE_GUARD page below them; a touch of the guard page
** moves it down one page (no exception), until the reserve is used up
** (STATUS_STACK_OVERFLOW).  Needs a Win32 environment
** (ERROR_INVALID_HANDLE without one). */
VML_API uint32_t vml_win_CreateThread(vml_proc *p, uint64_t stack_size, uint32_t flags,
                                      unsigned *tid);

/* What CreateProcess builds in a new Win32 process (vml_win_process_setup). */
typedef struct vml_win_process_params {
    unsigned    ptr_size;       /* 8: PEB64/TEB64 (a PE32+ image); 4: PEB32/TEB32;
                                ** 0: the machine's (8 on x64 paging) */
    vml_va      image_base;     /* PEB.ImageBaseAddress (0: none) */
    uint64_t    stack_reserve;  /* SizeOfStackReserve (0: 1 MiB) */
    uint64_t    stack_commit;   /* SizeOfStackCommit (0: 4 KiB) */
    uint64_t    heap_reserve;   /* SizeOfHeapReserve (0: 1 MiB) */
    uint64_t    heap_commit;    /* SizeOfHeapCommit (0: 4 KiB) */
    const char *image_path;     /* ProcessParameters.ImagePathName (NULL: "") */
    const char *command_line;   /* ProcessParameters.CommandLine (NULL: the path) */
} vml_win_process_params;

/* Builds a process's Win32 environment, as CreateProcess and ntdll's
** process initialization do: the PEB (ImageBaseAddress, ProcessHeap,
** ProcessParameters, the heap list, NumberOfProcessors ... at their real
** PEB64/PEB32 offsets), RTL_USER_PROCESS_PARAMETERS with the image path
** and command line, the main thread (its TEB: NtTib.StackBase/StackLimit,
** Self, ClientId, ProcessEnvironmentBlock, DeallocationStack) and its
** stack, and the process heap -- each placed by ASLR (machine aslr=).
** params may be NULL (every default).  A Win32 error code; on failure
** nothing is left.  ERROR_INVALID_PARAMETER when p has one already. */
VML_API uint32_t vml_win_process_setup(vml_proc *p, const vml_win_process_params *params);

/* The PEB as !peb shows it (read without faults). */
typedef struct vml_peb_info {
    vml_va   address;
    unsigned ptr_size;
    unsigned being_debugged;
    vml_va   image_base, ldr, process_parameters, process_heap;
    unsigned number_of_processors;
    uint32_t nt_global_flag;
    unsigned os_major, os_minor, os_build;
    unsigned number_of_heaps, maximum_number_of_heaps;
    vml_va   process_heaps;            /* the array */
    char     image_path[256];          /* ProcessParameters.ImagePathName */
    char     command_line[256];
} vml_peb_info;
/* VML_E_NOT_FOUND without a Win32 environment; VML_E_NOT_PRESENT when the
** PEB cannot be read without a fault (paged out). */
VML_API vml_status vml_peb_get(vml_proc *p, vml_peb_info *out);

/* A TEB as !teb shows it. */
typedef struct vml_teb_info {
    vml_va   address;
    unsigned ptr_size;
    vml_va   exception_list, stack_base, stack_limit, self, peb, deallocation_stack;
    uint64_t client_pid, client_tid;
    uint32_t last_error;
} vml_teb_info;
/* tid 0: the main thread.  VML_E_NOT_FOUND for a thread p does not have. */
VML_API vml_status vml_teb_get(vml_proc *p, unsigned tid, vml_teb_info *out);

/* The program break (Linux brk(2)): *result is what the system call
** returns -- the new break, or the old one when the kernel refused (below
** start_brk, into another mapping, past the commit limit); addr 0 asks
** for the current break.  Always returns 0 (the raw call has no errno). */
VML_API int vml_posix_brk(vml_proc *p, vml_va addr, vml_va *result);
/* glibc's sbrk(increment): *old the previous break; ENOMEM when brk
** refused (nothing changed). */
VML_API int vml_posix_sbrk(vml_proc *p, int64_t increment, vml_va *old);

/* glibc's malloc (ptmalloc2 of glibc 2.36, the main arena): chunks with
** their headers in the process's memory; a tcache (7 chunks of each size
** up to 1032 bytes) first; then the best fit among the free chunks, which
** coalesce with their free neighbours; then the top chunk, grown with brk
** (M_TOP_PAD 128 KiB) and trimmed back with brk when it passes
** M_TRIM_THRESHOLD (128 KiB); requests of M_MMAP_THRESHOLD (128 KiB) and
** more get an mmap of their own, and freeing one raises the threshold to
** its size (the dynamic threshold, up to 32 MiB).  docs/scripting.md says
** what is left out.  malloc returns 0 and *out, or ENOMEM; free, realloc
** and calloc check what glibc checks and, where glibc would abort ("free():
** invalid pointer", "double free or corruption (!prev)" ...), return EINVAL
** with glibc's message in vml_last_error() and change nothing. */
VML_API int vml_posix_malloc(vml_proc *p, uint64_t size, vml_va *out);
VML_API int vml_posix_free(vml_proc *p, vml_va ptr);
/* ptr 0: malloc; size 0: free, *out 0 (glibc's REALLOC_ZERO_BYTES_FREES). */
VML_API int vml_posix_realloc(vml_proc *p, vml_va ptr, uint64_t size, vml_va *out);
VML_API int vml_posix_calloc(vml_proc *p, uint64_t n, uint64_t size, vml_va *out);
/* malloc_usable_size(). */
VML_API int vml_posix_malloc_usable_size(vml_proc *p, vml_va ptr, uint64_t *size);

/* What execve builds in a new posix process (vml_posix_process_setup),
** after the kernel has mapped the image: the main stack as
** create_elf_tables() lays it out and the brk. */
typedef struct vml_posix_process_params {
    int         compat32;       /* a 32-bit process on an x64 machine (ELFCLASS32) */
    const char *const *argv;    /* argc strings (may be NULL when argc is 0) */
    size_t      argc;
    const char *const *envp;
    size_t      envc;
    const char *execfn;         /* AT_EXECFN (NULL: argv[0], or "") */
    vml_va      entry;          /* AT_ENTRY */
    vml_va      phdr;           /* AT_PHDR */
    unsigned    phent;          /* AT_PHENT (0: 56, 32 for compat32) */
    unsigned    phnum;          /* AT_PHNUM */
    vml_va      interp_base;    /* AT_BASE (0: no interpreter) */
    vml_va      image_end;      /* the end of the image's bss: brk starts at it
                                ** (randomized above it); 0: no image (the brk
                                ** of a static PIE: ELF_ET_DYN_BASE) */
    uint64_t    stack_rlimit;   /* RLIMIT_STACK (0: 8 MiB) */
} vml_posix_process_params;

typedef struct vml_posix_process_info {
    vml_va   stack_start, stack_end;   /* the [stack] VMA */
    vml_va   sp;                       /* mm->start_stack: where argc is */
    vml_va   argv, envp, auxv;         /* the pointer arrays */
    vml_va   arg_start, arg_end, env_start, env_end;   /* the strings */
    vml_va   execfn, platform, random; /* AT_EXECFN, AT_PLATFORM, AT_RANDOM */
    vml_va   start_brk;
    vml_va   mmap_base;
} vml_posix_process_info;

/* Builds the main stack ([stack], a VM_GROWSDOWN VMA that grows on faults
** below it up to RLIMIT_STACK, keeping stack_guard_gap from the mapping
** below) with the exec filename, the environment and argument strings, 16
** AT_RANDOM bytes, the platform string, argc, argv, envp and the auxiliary
** vector (AT_PHDR, AT_PHENT, AT_PHNUM, AT_PAGESZ, AT_BASE, AT_ENTRY,
** AT_RANDOM, AT_EXECFN, AT_PLATFORM, AT_NULL ...), and sets mmap_base and
** the brk, each placed by ASLR (machine aslr=).  params may be NULL
** (argv = { process name }).  An errno: E2BIG (strings past the limit),
** ENOMEM, EINVAL (the process has a stack already); nothing is left on
** failure.  out may be NULL. */
VML_API int vml_posix_process_setup(vml_proc *p, const vml_posix_process_params *params,
                                    vml_posix_process_info *out);
/* What the setup recorded (mm->start_stack, arg_start ... start_brk, brk,
** mmap_base): VML_E_NOT_FOUND for a process without it. */
VML_API vml_status vml_posix_process_get(vml_proc *p, vml_posix_process_info *out);

/* Views of what a process's runtime built (text like WinDbg's, or JSON):
** !heap (heap 0: every heap, as !heap -s; else one heap's segments and
** blocks), !peb, !teb (tid 0: the main thread). */
VML_API vml_status vml_view_heap(vml_proc *p, vml_va heap, unsigned fmt, vml_text *out);
VML_API vml_status vml_view_peb(vml_proc *p, unsigned fmt, vml_text *out);
VML_API vml_status vml_view_teb(vml_proc *p, unsigned tid, unsigned fmt, vml_text *out);

/* ------------------------------------------------------------------ */
/* Pictures: the recorder, terminal diagrams, SVG charts, the report   */
/* (docs/pictures.md)                                                  */

/* The recorder samples counters at a fixed interval of a clock: memory
** accesses through the MMU (every access the TLB or the page walker
** translates, counted from the machine's creation), or passes of the
** background work run by vml_tick.  The sample at clock value t is taken
** when the t-th access (or tick) has completed, so the same operations
** give the same samples.  At most max_samples are kept: when full, the
** samples whose clock is not a multiple of twice the interval are
** dropped and the interval doubles (so a long run keeps an even spread).
** A machine has at most one recording; it goes with the machine. */
#define VML_CLOCK_ACCESSES 0u
#define VML_CLOCK_TICKS    1u
#define VML_REC_EACH_PROC  UINT32_MAX   /* vml_rec_spec.id: a series per process */
#define VML_REC_MAX_SAMPLES 4096u       /* the default max_samples */

typedef struct vml_rec_spec {
    vml_scope   scope;
    unsigned    id;         /* the pid (or VML_REC_EACH_PROC), the CPU */
    const char *counter;    /* as vml_stat_get spells it: "working_set" */
} vml_rec_spec;

typedef struct vml_rec_config {
    unsigned clock;                 /* VML_CLOCK_* */
    uint64_t every;                 /* sample every this many (>= 1) */
    size_t   max_samples;           /* 0: VML_REC_MAX_SAMPLES; at least 2 */
    const vml_rec_spec *specs;      /* NULL: the default set (the page lists,
                                    ** commit, pagefile use, faults by kind,
                                    ** each process's working set) */
    size_t   n_specs;
} vml_rec_config;

/* Starts a recording, replacing the last one (its samples are dropped).
** VML_E_INVALID (every 0, a bad clock), VML_E_NOT_FOUND (a counter or a
** process that does not exist: vml_last_error() names it). */
VML_API vml_status vml_record_start(vml_machine *m, const vml_rec_config *cfg);
/* Stops sampling; the samples stay until the next start. */
VML_API vml_status vml_record_stop(vml_machine *m);

typedef struct vml_rec_info {
    int      active;        /* sampling now */
    unsigned clock;
    uint64_t every;         /* the interval now (doubled when it thinned) */
    uint64_t now;           /* the clock's value now */
    size_t   n_samples, n_series;
    uint64_t missed;        /* samples lost for want of host memory */
} vml_rec_info;
/* VML_E_NOT_FOUND when the machine never recorded. */
VML_API vml_status vml_record_info(const vml_machine *m, vml_rec_info *out);

typedef struct vml_rec_series {
    vml_scope   scope;
    unsigned    id;            /* pid or CPU (0 for the system) */
    const char *counter;
    const char *process;       /* the process's name, "" for other scopes */
    const uint64_t *values;    /* n_samples values; a process's series is 0
                               ** before it existed and after it ended */
} vml_rec_series;
/* The clock value of each sample (n_samples of them), and series i.
** The pointers stay valid until the machine's next operation. */
VML_API const uint64_t *vml_record_times(const vml_machine *m);
VML_API vml_status vml_record_series(const vml_machine *m, size_t i, vml_rec_series *out);

/* Terminal diagrams: box drawing (Unicode) or plain ASCII, fitted to a
** width, with ANSI colours when asked.  The library never looks at a
** terminal: the caller says what it has (the vmlab command: box drawing
** on a UTF-8 locale, its terminal's width, colour only on a terminal and
** never with NO_COLOR). */
#define VML_DIAG_ASCII 0x1u   /* + - | instead of box-drawing characters */
#define VML_DIAG_COLOR 0x2u   /* ANSI SGR colours */
typedef struct vml_diagram_opts {
    unsigned flags;           /* VML_DIAG_* */
    unsigned width;           /* columns; 0 = 80.  At least 40 */
} vml_diagram_opts;

/* The translation of va: CR3, each table with its physical address, the
** index used and the entry's decoded bits, then the frame; a stopped walk
** says where and why. */
VML_API vml_status vml_diagram_walk(vml_proc *p, vml_va va, const vml_diagram_opts *o, vml_text *out);
/* The address space from 0 to the top, kernel half included: regions by
** type (from what backs them and their names) with sizes; gaps compressed. */
VML_API vml_status vml_diagram_space(vml_proc *p, const vml_diagram_opts *o, vml_text *out);
/* The VAD tree: each node's range, type, height and balance. */
VML_API vml_status vml_diagram_vad(vml_proc *p, const vml_diagram_opts *o, vml_text *out);
/* Physical memory by page list: a bar, the counts, a frame map (one cell
** per frame, or per group of frames when they do not fit). */
VML_API vml_status vml_diagram_lists(vml_machine *m, const vml_diagram_opts *o, vml_text *out);
/* n (process, address) pairs: each page's PTE and the frame it maps, the
** processes that share a frame converging on it.  1 <= n <= 16. */
VML_API vml_status vml_diagram_share(vml_proc *const *procs, const vml_va *vas, size_t n,
                                     const vml_diagram_opts *o, vml_text *out);

/* Curves for a plot: miss-ratio curves of policies, counters over time.
** x must not decrease within a series; values must be finite. */
typedef struct vml_series {
    const char   *name;       /* the legend's entry */
    const double *x, *y;
    size_t        n;
} vml_series;

#define VML_PLOT_LOG_X 0x1u   /* a logarithmic x axis (x > 0) */
#define VML_PLOT_STEP  0x2u   /* steps between points (counts) */
typedef struct vml_plot {
    const char *id;           /* [a-z0-9_-]: the element id, the SVG file's name */
    const char *title;
    const char *x_label, *x_unit;   /* "memory", "frames" */
    const char *y_label, *y_unit;   /* "miss ratio", "" */
    unsigned    flags;              /* VML_PLOT_* */
    const vml_series *series;
    size_t      n_series;           /* 1..32 */
} vml_plot;

/* VML_OK when pl can be drawn; otherwise VML_E_INVALID and a message in
** err naming the plot, the series and the problem (a NaN, x decreasing). */
VML_API vml_status vml_plot_check(const vml_plot *pl, char *err, size_t size);
/* One plot as a standalone SVG document (axes, units, a legend, and the
** values as text in its <desc>).  VML_E_INVALID: see vml_plot_check. */
VML_API vml_status vml_plot_svg(const vml_plot *pl, vml_text *out);

/* The HTML report: one self-contained file (inline SVG and CSS, no script,
** no network) with RAMMap's Use Counts and physical pages, the standby
** list by priority, VMMap's view of every process, page-table and VAD
** trees, the recorder's timelines and the caller's plots.  VML_E_INVALID
** for a plot vml_plot_check refuses, or ids that repeat. */
typedef struct vml_report_opts {
    const char *title;        /* NULL: "vmlab report" */
    const vml_plot *plots;    /* extra plots (miss-ratio curves...) */
    size_t      n_plots;
    unsigned    max_cells;    /* cells of the frame map; 0 = 4096 */
} vml_report_opts;
VML_API vml_status vml_report_html(vml_machine *m, const vml_report_opts *o, vml_text *out);

/* The report's charts one by one, as standalone SVG documents: i from 0
** while it returns VML_OK (VML_E_NOT_FOUND past the last); *name is the
** chart's file name without ".svg" ("usecounts", "frames", "space-A"). */
VML_API vml_status vml_report_svg(vml_machine *m, const vml_report_opts *o, size_t i,
                                  vml_text *out, char *name, size_t name_size);

#ifdef __cplusplus
}
#endif
#endif /* VMLAB_H */
