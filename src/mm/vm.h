/*
** vm.h -- the memory manager's interface for the personalities (os/) and
** the loaders (loader/): address ranges, what backs them, and copies into
** and out of a process.  Nothing here reads or writes a PTE or physical
** memory; the structures named but not defined here (section, segment,
** mm_file, vml_proc) stay opaque to os/.
*/
#ifndef VML_MM_VM_H
#define VML_MM_VM_H

#include <stddef.h>
#include <stdint.h>
#include "vmlab.h"
#include "vad.h"
#include "handle.h"

struct section;
struct segment;
struct mm_file;

/* ---- what the kernel keeps of a process for the personalities ---------------------- */

/* A thread (ETHREAD and its TEB): vmlab runs no code, so a thread is its
** records -- an id, a TEB, a stack -- and accesses name the process. */
struct vm_thread {
    unsigned tid;
    vml_va   teb;            /* its TEB (0: none) */
    vml_va   stack_base;     /* NtTib.StackBase: the top of the stack (exclusive) */
    vml_va   stack_alloc;    /* DeallocationStack: the base of its reservation */
};

/* glibc's malloc state (struct malloc_state of main_arena and mp_): libc's
** data segment, which vmlab does not map, so it is kept here; the chunks,
** their headers and the tcache are in the process's memory (os/malloc.c). */
struct vm_malloc_state {
    int      initialized;
    vml_va   sbrk_base;        /* the first chunk of the main arena */
    vml_va   top;              /* the top chunk (0: none yet) */
    vml_va   bins;             /* the first free chunk (os/malloc.c orders them) */
    vml_va   tcache;           /* tcache_perthread_struct's user pointer (0: none) */
    uint64_t tcache_key;       /* the key freed tcache entries carry */
    uint64_t mmap_threshold, trim_threshold, top_pad;
    int      no_dyn_threshold;
    uint64_t n_mmaps, mmapped_mem, max_mmapped_mem;
    uint64_t system_mem;       /* bytes obtained with brk */
};

/* Linux's mm_struct fields and Windows' EPROCESS ones the personalities
** set and read; fork copies them (and no thread but the caller). */
struct vm_osproc {
    /* Linux */
    vml_va   mmap_base;        /* top of the mmap area (0: the layout's) */
    vml_va   start_brk, brk;   /* the brk area; brk_set 0: none yet */
    int      brk_set;
    vml_va   start_stack, arg_start, arg_end, env_start, env_end;
    uint64_t stack_rlimit;     /* RLIMIT_STACK in bytes (0: 8 MiB) */
    struct vm_malloc_state mal;
    /* Windows */
    unsigned ptr_size;         /* 8 (PEB64/TEB64) or 4; 0: no Win32 environment */
    vml_va   bottom_up;        /* where bottom-up placements start (ASLR; 0: not drawn) */
    vml_va   peb;
    vml_va   params;           /* RTL_USER_PROCESS_PARAMETERS */
    vml_va   process_heap;
    struct vm_thread *threads; /* in creation order; threads[0] the main one */
    size_t   n_threads, cap_threads;
    vml_va  *heaps;            /* every heap's handle (its base), creation order */
    size_t   n_heaps, cap_heaps;
};

struct vm_osproc *vm_os(vml_proc *p);
const struct vm_osproc *vm_os_c(const vml_proc *p);
/* A new thread id (machine-wide, from 1: Windows' client ids are unique
** across processes and threads). */
unsigned   vm_new_tid(vml_machine *m);
/* Is ASLR on (no VML_CFG_NO_ASLR in vml_config.flags)? */
int        vm_aslr(const vml_machine *m);
/* The personalities' invariant check, run by vml_machine_check() after
** the memory manager's own (registered by the first personality call that
** builds state it checks; 0 or -1 with a message naming the invariant). */
typedef int (*vm_os_check_fn)(vml_machine *m, char *msg, size_t size);
void       vm_set_os_check(vml_machine *m, vm_os_check_fn fn);

/* ---- the machine and the process -------------------------------------------------- */

struct vad_tree  *vm_vads(vml_proc *p);
const vml_layout *vm_layout(const vml_machine *m);
/* Frames that can be had now (zeroed + free + standby). */
uint64_t    vm_available(const vml_machine *m);
uint64_t    vm_commit_limit(const vml_machine *m);
/* After every public operation (runs the checks in test builds). */
vml_status  vm_done(vml_machine *m, vml_status st);
/* Records a detailed message for vml_last_error() and returns st. */
vml_status  vm_fail(vml_machine *m, vml_status st, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
/* The machine's seeded random generator (ASLR draws), its VML_CFG_* flags. */
uint64_t    vm_random(vml_machine *m);
unsigned    vm_flags(const vml_machine *m);
/* Words the loaders keep per machine (the per-boot image biases); zero
** at first. */
#define VM_LOADER_WORDS 8
uint64_t   *vm_loader_words(vml_machine *m);
void       *vm_calloc(vml_machine *m, size_t n, size_t size);
/* The process's Win32 handle table and its posix descriptor table. */
struct handle_table *vm_handles(vml_proc *p);
struct handle_table *vm_fds(vml_proc *p);
/* Where the Win32 personality keeps the process's GetLastError() code
** (vmlab's processes have one thread). */
uint32_t   *vm_last_error(vml_proc *p);
/* MM protection codes (pte.h) from and to Win32 and posix. */
int         vm_prot_from_win32(uint32_t protect);   /* -1: Windows refuses it */
uint32_t    vm_prot_to_win32(unsigned mmprot);
unsigned    vm_prot_from_posix(int prot);
int         vm_prot_writecopy(unsigned mmprot);

/* ---- private memory ----------------------------------------------------------------- */

/* A new VAD node (a host allocation: take it before changing anything). */
struct vad *vm_vad_alloc(vml_machine *m);
/* Inserts node (from vm_vad_alloc) as the VAD of [va, va + n pages). */
void       vm_reserve(vml_proc *p, struct vad *node, vml_va va, uint64_t n_pages,
                      uint32_t protect, unsigned origin, int mem_commit);
/* VML_E_COMMIT when n_pages more would pass the commit limit. */
vml_status vm_charge_check(vml_proc *p, uint64_t n_pages);
/* Commit [va, va+n pages) inside VAD v with mmprot; counts new commits
** (VML_E_COMMIT past the commit limit: nothing changes).  A view of a
** SEC_RESERVE section commits the section's pages. */
vml_status vm_commit(vml_proc *p, struct vad *v, vml_va va, uint64_t n_pages, unsigned mmprot);
void       vm_decommit(vml_proc *p, struct vad *v, vml_va va, uint64_t n_pages);
/* Unmaps and frees a VAD: its pages released, a view's section unref'd
** (its modified file pages written back first). */
void       vm_release(vml_proc *p, struct vad *v);
/* Grows VAD v up by n_pages (brk): a posix VMA created committed; the new
** pages are demand-zero.  The caller checked that they are free. */
void       vm_extend(vml_proc *p, struct vad *v, uint64_t n_pages);
/* Set the protection of committed pages (resident ones are updated). */
void       vm_protect(vml_proc *p, struct vad *v, vml_va va, uint64_t n_pages, unsigned mmprot);
uint64_t   vm_count_committed(vml_proc *p, const struct vad *v, vml_va va, vml_va end);
/* Frames for page tables an operation would have to create (0 = none). */
uint64_t   vm_decommit_tables_needed(vml_proc *p, const struct vad *v, vml_va va, vml_va end);
uint64_t   vm_protect_tables_needed(vml_proc *p, const struct vad *v, vml_va va, vml_va end,
                                    unsigned mmprot);
/* The end of the run of pages from va (inside v, below limit) sharing va's
** state and protection (VirtualQuery's RegionSize). */
vml_va     vm_region_end(vml_proc *p, const struct vad *v, vml_va va, vml_va limit,
                         int *committed, unsigned *mmprot);
/* Committed?  With what protection?  (One page.) */
int        vm_page_protection(vml_proc *p, const struct vad *v, vml_va va, unsigned *mmprot);

/* ---- VMAs: splitting and merging ---------------------------------------------------- */

/* Splits v so that a VAD starts at vpn (start < vpn <= end), using spare
** (from vm_vad_alloc); a view's upper part maps the segment further on.
** Returns the upper part. */
struct vad *vm_split(vml_proc *p, struct vad *v, uint64_t vpn, struct vad *spare);
/* Merges b (adjacent, after a) into a and frees b's node. */
void       vm_merge(vml_proc *p, struct vad *a, struct vad *b);

/* ---- views of sections -------------------------------------------------------------- */

/* The kinds of backing a view maps. */
enum vm_backing { VM_PAGEFILE, VM_FILE, VM_IMAGE };

/* Creates a section object: pagefile-backed of size bytes (SEC_COMMIT:
** charged now; SEC_RESERVE: pages committed later), or over a file
** (file != NULL).  name NULL: unnamed.  The caller holds one reference. */
vml_status vm_section_create(vml_machine *m, struct mm_file *file, uint64_t size,
                             uint32_t protect, uint32_t attrs, const char *name,
                             struct section **out);
struct section *vm_section_find(vml_machine *m, const char *name);
void       vm_section_ref(struct section *s);
void       vm_section_unref(vml_machine *m, struct section *s);
uint64_t   vm_section_size(const struct section *s);
uint32_t   vm_section_protect(const struct section *s);
uint32_t   vm_section_attrs(const struct section *s);
struct mm_file *vm_section_file(const struct section *s);

/* A shared anonymous object of n_pages (posix MAP_SHARED|MAP_ANONYMOUS:
** Linux's shmem file), charged when prot can write. */
vml_status vm_shmem_create(vml_machine *m, uint64_t n_pages, struct segment **out);
/* The data segment of a file (its page cache). */
vml_status vm_file_segment(vml_machine *m, struct mm_file *f, struct segment **out);
void       vm_segment_unref(vml_machine *m, struct segment *seg);

/* Maps a view: node becomes the VAD of [va, va + n pages) mapping seg
** from page offset (through section s, which it holds, when not NULL),
** with Win32 protection protect (a zero PTE's), copy-on-write when cow.
** A cow view that can write is charged whole to commit (the caller checks
** the limit first: vm_charge_check(), Windows; Linux overcommits). */
void       vm_map_view(vml_proc *p, struct vad *node, vml_va va, uint64_t n_pages,
                       struct segment *seg, struct section *s, uint64_t offset,
                       uint32_t protect, int cow, unsigned origin);
struct segment *vm_section_segment(const struct section *s);
/* mprotect gives a posix private view write: it is charged from now on
** (Linux's VM_ACCOUNT), and stays charged when write goes again. */
void       vm_view_account(vml_proc *p, struct vad *v);
/* Flush: every modified page of [va, end) of file view v -- the Dirty
** bits of every PTE that maps one gathered first -- written to its file.
** 0 or an errno (the pages that failed stay modified). */
int        vm_flush(vml_proc *p, struct vad *v, vml_va va, vml_va end);
/* madvise: MADV_DONTNEED drops the range's pages (private memory comes
** back zero-filled, a private file mapping from the file, a shared one
** keeps its data); MADV_WILLNEED reads a file's pages into its cache;
** MADV_FREE lets clean private pages be dropped instead of saved. */
void       vm_dontneed(vml_proc *p, struct vad *v, vml_va va, vml_va end);
int        vm_willneed(vml_proc *p, struct vad *v, vml_va va, vml_va end);
void       vm_lazyfree(vml_proc *p, struct vad *v, vml_va va, vml_va end);

/* ---- images ------------------------------------------------------------------------- */

/* How an image section's page comes in: the loader's code, called by the
** memory manager on a page-in (mm knows nothing of PE or ELF). */
struct vm_image_ops {
    /* Fills page (4 KiB) with page index of the image as mapped: file
    ** bytes at their place, zeros past them, relocated for the section's
    ** base.  *differs = 1 when the bytes differ from the file's (a
    ** relocated page): such a page is pagefile-backed once in memory.
    ** 0, or an errno (VML_EIO: an in-page error). */
    int (*read_page)(void *ctx, uint64_t index, uint8_t *page, int *differs);
};
/* The image section of file f (Windows' image control area): n_pages
** pages, page k coming in through ops (ctx) with MM protection
** page_mmprot[k] (copied).  The file keeps it (vm_file_image()) until the
** machine goes.  VML_E_EXISTS when f has one, VML_E_NOMEM, VML_E_RANGE. */
vml_status vm_image_segment(vml_machine *m, struct mm_file *f, uint64_t n_pages,
                            const uint8_t *page_mmprot, const struct vm_image_ops *ops,
                            void *ctx, struct segment **out);
struct segment *vm_file_image(const struct mm_file *f);
/* The commit charge of a view of image seg: its writable pages. */
uint64_t   vm_image_charge(const struct segment *seg);
/* Maps image section seg whole at va (node from vm_vad_alloc()): an Image
** VAD with Win32 protection PAGE_EXECUTE_WRITECOPY whose pages have the
** image's protections; its writable pages are copy-on-write and charged
** to commit (the caller checks the limit: vm_charge_check()). */
void       vm_map_image(vml_proc *p, struct vad *node, vml_va va, struct segment *seg,
                        unsigned origin);
/* What a loader keeps with a file (its parsed image), freed with the
** machine by aux_free. */
void      *vm_file_aux(const struct mm_file *f);
void       vm_file_set_aux(struct mm_file *f, void *aux, void (*aux_free)(void *aux));
/* Reads len bytes at offset of f (a loader parsing it), through the
** machine's I/O layer: VML_INJECT_FILE_READ applies.  0 or an errno. */
int        vm_file_pread(vml_machine *m, struct mm_file *f, uint64_t offset, void *buf,
                         size_t len);
const char *vm_file_path(const struct mm_file *f);
/* The file a view maps (its segment's), or NULL. */
struct mm_file *vm_vad_file(const struct vad *v);

/* ---- files ---------------------------------------------------------------------------- */

#define VM_FILE_WRITE  1u
#define VM_FILE_CREATE 2u
#define VM_FILE_TRUNC  4u
#define VM_FILE_EXCL   8u
/* Opens a file of the machine (see bio.h's file_open); VM_FILE_TRUNC
** empties it, refused (VML_E_EXISTS) while a view maps it. */
vml_status vm_file_open(vml_machine *m, const char *path, unsigned how, struct mm_file **out);
uint64_t   vm_file_size(const struct mm_file *f);
int        vm_file_writable(const struct mm_file *f);
/* Grows a file to size bytes (CreateFileMapping of a writable section
** larger than its file): 0 or an errno. */
int        vm_file_extend(vml_machine *m, struct mm_file *f, uint64_t size);

/* ---- processes ------------------------------------------------------------------------ */

/* fork: a child named name whose private memory shares every page with
** the parent copy-on-write, whose shared views stay shared, with a copy
** of the descriptor table.  VML_E_NOMEM, VML_E_NO_FRAMES, VML_E_EXISTS
** (the name), changing nothing on failure. */
vml_status vm_fork(vml_proc *parent, const char *name, vml_proc **child);
/* Copies between buf and [va, va+size) of target through the MMU on the
** caller's CPU (attached to target's address space).  A write may make a
** read-only page writable for the copy (WriteProcessMemory does), which
** takes a private copy of a shared page.  Returns the bytes copied; *ex
** the exception that stopped it. */
uint64_t   vm_copy(vml_proc *caller, vml_proc *target, vml_va va, void *buf, uint64_t size,
                   unsigned access, int force, vml_exception *ex);
/* Prefaults [va, va+n pages) (MAP_POPULATE), with writes when write. */
void       vm_populate(vml_proc *p, vml_va va, uint64_t n_pages, int write);

#endif
