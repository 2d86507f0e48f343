/*
** posix.c -- the Linux personality: mmap (anonymous or of a file, private
** or shared, fixed or not), munmap, mprotect, msync, madvise, open, close
** and fork, with Linux's VMA rules (split on a partial munmap/mprotect,
** merge of adjacent VMAs that nothing tells apart, as mm/mmap.c and
** mm/mprotect.c do) and the errno values their man pages list, checked
** against this machine's kernel.
**
** Merging (vma_merge): two adjacent VMAs merge when their flags and
** protection are equal and they map the same thing continuously -- two
** anonymous VMAs whose anon_vmas are compatible (at most one has touched
** memory of its own, or they share it: is_mergeable_anon_vma()), or two
** pieces of one file or shmem object at consecutive page offsets.  Each
** MAP_SHARED|MAP_ANONYMOUS mapping is its own shmem object, so two of them
** never merge.
**
** Memory VirtualAlloc reserved may be reached by these calls too (vmlab
** runs both personalities on one machine).  A Win32 reservation is one
** VAD, as on Windows, which cannot split one: mprotect changes its pages'
** protections the way VirtualProtect would, without splitting it; munmap
** (or a MAP_FIXED mapping) over part of it cuts it, and every piece left
** is a reservation of its own whose AllocationBase is its first page, so
** VirtualFree(MEM_RELEASE) of a piece's base releases that piece.
**
** Each call validates and allocates first, and changes nothing on failure
** -- but mprotect, msync and madvise over a range with a hole, which act
** on the part before the hole and then fail ENOMEM, as Linux's do.
** INVARIANTS: none of its own (it goes through mm/vm.h).
*/
#include <stdlib.h>
#include <string.h>
#include "mm/vm.h"

#define PAGE UINT64_C(0x1000)
#define FD_BASE 3            /* 0, 1, 2: stdin, stdout, stderr */

static int done(vml_machine *m, int err)
{
    (void)vm_done(m, VML_OK);
    return err;
}

/* ---- VMAs: merging and splitting --------------------------------------------------- */

static int mergeable_anon(const struct vad *a, const struct vad *b)
{
    return a->anon_id == 0 || b->anon_id == 0 || a->anon_id == b->anon_id;
}

/* Two VMAs merge only when nothing tells them apart: a zero PTE means the
** same in both (mem_commit: a VMA whose pages VirtualFree decommitted
** reads a zero PTE as "not committed", a fresh mapping as demand-zero). */
static int same_vma(const struct vad *a, const struct vad *b)
{
    if (a->origin != VML_ORIGIN_POSIX || b->origin != VML_ORIGIN_POSIX ||
        a->mem_commit != b->mem_commit || a->prot != b->prot || a->map_flags != b->map_flags ||
        a->protect != b->protect || a->type != b->type || a->inherit != b->inherit ||
        a->cow != b->cow || a->no_write != b->no_write || a->accounted != b->accounted ||
        a->seg != b->seg ||
        strcmp(a->name, b->name) != 0 ||
        a->end_vpn + 1 != b->start_vpn || !mergeable_anon(a, b))
        return 0;
    return a->seg == NULL || a->seg_offset + (a->end_vpn - a->start_vpn + 1) == b->seg_offset;
}

/* Merge v with its neighbours where Linux's vma_merge() would: with the
** one before first; then with the one after, if what came of the first
** merge may (so a VMA between two of different anon_vma histories joins
** the one before it). */
static void vma_merge(vml_proc *p, struct vad *v)
{
    struct vad *prev = vad_prev(v), *next = vad_next(v);
    if (prev && same_vma(prev, v)) {
        vm_merge(p, prev, v);
        v = prev;
    }
    if (next && same_vma(v, next))
        vm_merge(p, v, next);
}

/* Which VADs a call splits at its ends. */
enum split_what { SPLIT_ALL, SPLIT_POSIX_ONLY };

static int splits_at(const struct vad *v, enum split_what what)
{
    return v != NULL && (what == SPLIT_ALL || v->origin == VML_ORIGIN_POSIX);
}

/* Nodes that splitting the VADs around [lo, hi) needs (0, 1 or 2). */
static unsigned splits_needed(vml_proc *p, uint64_t lo_vpn, uint64_t hi_vpn, enum split_what what)
{
    unsigned n = 0;
    struct vad *a = vad_find(vm_vads(p), lo_vpn);
    struct vad *b = vad_find(vm_vads(p), hi_vpn);
    if (splits_at(a, what) && a->start_vpn < lo_vpn)
        n++;
    if (splits_at(b, what) && b->end_vpn > hi_vpn)
        n++;
    return n;
}

static int alloc_spares(vml_machine *m, struct vad **spare, unsigned n)
{
    spare[0] = spare[1] = NULL;
    for (unsigned i = 0; i < n; i++)
        if ((spare[i] = vm_vad_alloc(m)) == NULL) {
            free(spare[0]);
            spare[0] = NULL;
            return -1;
        }
    return 0;
}

/* Split so that [lo_vpn, hi_vpn] starts and ends on VAD boundaries. */
static void split_around(vml_proc *p, uint64_t lo_vpn, uint64_t hi_vpn, struct vad **spare,
                         enum split_what what)
{
    unsigned used = 0;
    struct vad *a = vad_find(vm_vads(p), lo_vpn);
    if (splits_at(a, what) && a->start_vpn < lo_vpn)
        vm_split(p, a, lo_vpn, spare[used++]);
    struct vad *b = vad_find(vm_vads(p), hi_vpn);
    if (splits_at(b, what) && b->end_vpn > hi_vpn)
        vm_split(p, b, hi_vpn + 1, spare[used++]);
}

static void unmap_range(vml_proc *p, uint64_t lo_vpn, uint64_t hi_vpn)
{
    struct vad *v;
    while ((v = vad_overlap(vm_vads(p), lo_vpn, hi_vpn)) != NULL)
        vm_release(p, v);
}

/* ---- descriptors ---------------------------------------------------------------------- */

static struct handle *fd_get(vml_proc *p, int fd)
{
    if (fd < FD_BASE)
        return NULL;
    return handle_get(vm_fds(p), (uint32_t)(fd - FD_BASE), OBJ_FILE);
}

int vml_posix_open(vml_proc *p, const char *path, int flags, int *fd)
{
    if (p == NULL || path == NULL || fd == NULL)
        return VML_EINVAL;
    vml_machine *m = vml_proc_machine(p);
    int acc = flags & 3;
    if (acc == 3 || (flags & ~(3 | VML_O_CREAT | VML_O_EXCL | VML_O_TRUNC)))
        return done(m, VML_EINVAL);
    unsigned how = (acc != VML_O_RDONLY ? VM_FILE_WRITE : 0) |
                   ((flags & VML_O_CREAT) ? VM_FILE_CREATE : 0) |
                   ((flags & VML_O_CREAT) && (flags & VML_O_EXCL) ? VM_FILE_EXCL : 0) |
                   ((flags & VML_O_TRUNC) && acc != VML_O_RDONLY ? VM_FILE_TRUNC : 0);
    struct mm_file *f;
    vml_status st = vm_file_open(m, path, how, &f);
    switch (st) {
    case VML_OK:          break;
    case VML_E_NOT_FOUND: return done(m, VML_ENOENT);
    case VML_E_EXISTS:    return done(m, (flags & VML_O_EXCL) ? VML_EEXIST : VML_ETXTBSY);
    case VML_E_ACCESS:    return done(m, VML_EACCES);
    case VML_E_INVALID:   return done(m, VML_EISDIR);
    default:              return done(m, VML_ENOMEM);
    }
    if (acc != VML_O_RDONLY && !vm_file_writable(f))
        return done(m, VML_EACCES);
    uint32_t slot;
    if (handle_add(m, vm_fds(p), OBJ_FILE, f, (uint32_t)acc, &slot) != VML_OK)
        return done(m, VML_ENOMEM);
    *fd = (int)slot + FD_BASE;
    return done(m, 0);
}

int vml_posix_close(vml_proc *p, int fd)
{
    if (p == NULL)
        return VML_EBADF;
    vml_machine *m = vml_proc_machine(p);
    if (fd_get(p, fd) == NULL)
        return done(m, VML_EBADF);
    handle_close(m, vm_fds(p), (uint32_t)(fd - FD_BASE));
    return done(m, 0);
}

/* ---- mmap ----------------------------------------------------------------------------- */

/* Where a mapping of n pages goes: the fixed address, the hint when it is
** free, else the top-down search below mmap_base
** (arch_get_unmapped_area_topdown).  -1: nowhere. */
static int place(vml_proc *p, vml_va addr, uint64_t n_pages, int fixed, vml_va *lo)
{
    const vml_layout *l = vm_layout(vml_proc_machine(p));
    struct vad_tree *t = vm_vads(p);
    uint64_t start;
    if (fixed) {
        *lo = addr;
        return 0;
    }
    vml_va hint = addr & ~(PAGE - 1);
    if (hint >= l->user_lowest && hint + (n_pages << 12) > hint &&
        hint + (n_pages << 12) - 1 <= l->user_highest &&
        !vad_overlap(t, hint >> 12, (hint >> 12) + n_pages - 1)) {
        *lo = hint;
        return 0;
    }
    /* mm->mmap_base: the process's (randomized by execve), or the layout's */
    vml_va base = vm_os(p)->mmap_base ? vm_os(p)->mmap_base : l->mmap_base;
    if (vad_find_gap(t, l->user_lowest >> 12, (base >> 12) - 1, n_pages, 1, 1, &start) ||
        vad_find_gap(t, l->user_lowest >> 12, l->user_highest >> 12, n_pages, 1, 1, &start)) {
        *lo = start << 12;
        return 0;
    }
    return -1;
}

/* What a mapping maps: nothing (private anonymous), a new shmem object,
** or a file's pages; checks the descriptor (*no_write: a shared mapping
** of a file not open for writing).  Returns an errno. */
static int mmap_backing(vml_proc *p, int prot, int flags, int fd, uint64_t offset,
                        uint64_t n_pages, struct segment **seg, int *no_write)
{
    vml_machine *m = vml_proc_machine(p);
    int shared = (flags & VML_MAP_SHARED) != 0;
    *seg = NULL;
    *no_write = 0;
    if (flags & VML_MAP_ANONYMOUS) {
        /* (fd is ignored for anonymous mappings, as Linux does) */
        if (!shared)
            return 0;
        return vm_shmem_create(m, n_pages, seg) == VML_OK ? 0 : VML_ENOMEM;
    }
    struct handle *h = fd_get(p, fd);
    if (h == NULL)
        return VML_EBADF;
    /* The file must be readable; a shared writable mapping needs it open
    ** for writing (man 2 mmap, EACCES). */
    if (h->access == VML_O_WRONLY || (shared && (prot & VML_PROT_WRITE) && h->access != VML_O_RDWR))
        return VML_EACCES;
    if ((offset >> 12) + n_pages < (offset >> 12))
        return VML_EOVERFLOW;
    *no_write = shared && h->access != VML_O_RDWR;
    return vm_file_segment(m, h->obj, seg) == VML_OK ? 0 : VML_ENOMEM;
}

int vml_posix_mmap(vml_proc *p, vml_va addr, uint64_t len, int prot, int flags, int fd,
                   uint64_t offset, vml_va *out)
{
    if (p == NULL || out == NULL)
        return VML_EINVAL;
    vml_machine *m = vml_proc_machine(p);
    const vml_layout *l = vm_layout(m);
    int type = flags & (VML_MAP_SHARED | VML_MAP_PRIVATE);
    int known = VML_MAP_SHARED | VML_MAP_PRIVATE | VML_MAP_FIXED | VML_MAP_ANONYMOUS |
                VML_MAP_NORESERVE | VML_MAP_POPULATE | VML_MAP_FIXED_NOREPLACE | VML_MAP_GROWSDOWN;
    /* man 2 mmap: EINVAL for a zero length, a bad offset or flags without
    ** MAP_SHARED, MAP_PRIVATE or MAP_SHARED_VALIDATE (both bits: shared,
    ** unknown flags refused with EOPNOTSUPP).  PROT_GROWSDOWN/UP are
    ** accepted and ignored by mmap (this machine's kernel does so). */
    prot &= ~(VML_PROT_GROWSDOWN | VML_PROT_GROWSUP);
    if (len == 0 || (offset & (PAGE - 1)) || type == 0 ||
        (prot & ~(VML_PROT_READ | VML_PROT_WRITE | VML_PROT_EXEC)))
        return done(m, VML_EINVAL);
    if (flags & ~known)
        return done(m, type == (VML_MAP_SHARED | VML_MAP_PRIVATE) ? VML_EOPNOTSUPP : VML_EINVAL);
    if (type == (VML_MAP_SHARED | VML_MAP_PRIVATE))
        flags &= ~VML_MAP_PRIVATE;          /* MAP_SHARED_VALIDATE */
    uint64_t n_pages = (len + PAGE - 1) >> 12;
    if (len > UINT64_MAX - PAGE || n_pages > ((l->user_highest + 1) >> 12))
        return done(m, VML_ENOMEM);
    int fixed = (flags & (VML_MAP_FIXED | VML_MAP_FIXED_NOREPLACE)) != 0;
    if (fixed) {
        if (addr & (PAGE - 1))
            return done(m, VML_EINVAL);
        if (addr + (n_pages << 12) - 1 > l->user_highest || addr + (n_pages << 12) < addr)
            return done(m, VML_ENOMEM);
        if (addr < l->user_lowest)
            return done(m, VML_EPERM);      /* below vm.mmap_min_addr */
        if ((flags & VML_MAP_FIXED_NOREPLACE) &&
            vad_overlap(vm_vads(p), addr >> 12, (addr >> 12) + n_pages - 1))
            return done(m, VML_EEXIST);
    }
    vml_va lo;
    if (place(p, addr, n_pages, fixed, &lo) != 0)
        return done(m, VML_ENOMEM);
    /* Linux overcommits: with vm.overcommit_memory=0 (the default) a private
    ** writable mapping is refused only when it alone exceeds RAM + swap
    ** (__vm_enough_memory, OVERCOMMIT_GUESS). */
    int anon = (flags & VML_MAP_ANONYMOUS) != 0, shared = (flags & VML_MAP_SHARED) != 0;
    if ((prot & VML_PROT_WRITE) && !(flags & VML_MAP_NORESERVE) && n_pages > vm_commit_limit(m) &&
        (!shared || anon))
        return done(m, VML_ENOMEM);
    struct segment *seg;
    int no_write;
    int err = mmap_backing(p, prot, flags, fd, offset, n_pages, &seg, &no_write);
    if (err)
        return done(m, err);
    uint64_t lo_vpn = lo >> 12, hi_vpn = lo_vpn + n_pages - 1;
    struct vad *spare[2], *v = vm_vad_alloc(m);
    if (v == NULL || alloc_spares(m, spare, fixed ? splits_needed(p, lo_vpn, hi_vpn, SPLIT_ALL)
                                                  : 0)) {
        free(v);
        if (seg)
            vm_segment_unref(m, seg);
        return done(m, VML_ENOMEM);
    }
    unsigned mmprot = vm_prot_from_posix(prot);
    int cow = seg && !shared;
    uint32_t protect = vm_prot_to_win32(cow && (prot & VML_PROT_WRITE)
                                        ? ((prot & VML_PROT_EXEC) ? 7u : 5u)  /* (EXECUTE_)WRITECOPY */
                                        : mmprot);
    /* Everything allocated: from here on nothing fails. */
    if (fixed) {                              /* MAP_FIXED replaces what is there */
        split_around(p, lo_vpn, hi_vpn, spare, SPLIT_ALL);
        unmap_range(p, lo_vpn, hi_vpn);
    }
    if (seg) {
        /* a private writable file mapping is charged whole (VM_ACCOUNT),
        ** checked above as Linux checks it: against the mapping alone */
        vm_map_view(p, v, lo, n_pages, seg, NULL, anon ? 0 : offset >> 12, protect, cow,
                    VML_ORIGIN_POSIX);
        vm_segment_unref(m, seg);           /* the view holds it */
    } else {
        vm_reserve(p, v, lo, n_pages, protect, VML_ORIGIN_POSIX, 1);
    }
    v->prot = prot;
    v->map_flags = flags & (VML_MAP_SHARED | VML_MAP_PRIVATE | VML_MAP_ANONYMOUS |
                            VML_MAP_NORESERVE | VML_MAP_GROWSDOWN);
    v->inherit = shared ? VAD_INHERIT_SHARE : VAD_INHERIT_COPY;
    v->no_write = (uint8_t)no_write;
    vma_merge(p, v);
    if ((flags & VML_MAP_POPULATE) && prot)
        vm_populate(p, lo, n_pages, (prot & VML_PROT_WRITE) != 0);
    *out = lo;
    return done(m, 0);
}

int vml_posix_munmap(vml_proc *p, vml_va addr, uint64_t len)
{
    if (p == NULL)
        return VML_EINVAL;
    vml_machine *m = vml_proc_machine(p);
    if ((addr & (PAGE - 1)) || len == 0 || len > UINT64_MAX - PAGE)
        return done(m, VML_EINVAL);
    uint64_t n_pages = (len + PAGE - 1) >> 12;
    if (addr + (n_pages << 12) < addr || addr + (n_pages << 12) - 1 > vm_layout(m)->user_highest)
        return done(m, VML_EINVAL);
    uint64_t lo_vpn = addr >> 12, hi_vpn = lo_vpn + n_pages - 1;
    struct vad *spare[2];
    if (alloc_spares(m, spare, splits_needed(p, lo_vpn, hi_vpn, SPLIT_ALL)))
        return done(m, VML_ENOMEM);
    split_around(p, lo_vpn, hi_vpn, spare, SPLIT_ALL);
    unmap_range(p, lo_vpn, hi_vpn);
    return done(m, 0);
}

/* ---- ranges with holes ------------------------------------------------------------------- */

/* The pages of [lo_vpn, hi_vpn] up to the first hole: *end_vpn the last
** mapped one before it; 1 when there is a hole (ENOMEM after the work). */
static int mapped_prefix(vml_proc *p, uint64_t lo_vpn, uint64_t hi_vpn, uint64_t *end_vpn)
{
    uint64_t vpn = lo_vpn;
    while (vpn <= hi_vpn) {
        struct vad *v = vad_find(vm_vads(p), vpn);
        if (v == NULL)
            break;
        if (v->end_vpn >= hi_vpn) {
            *end_vpn = hi_vpn;
            return 0;
        }
        vpn = v->end_vpn + 1;
    }
    *end_vpn = vpn - 1;
    return 1;
}

int vml_posix_mprotect(vml_proc *p, vml_va addr, uint64_t len, int prot)
{
    if (p == NULL)
        return VML_EINVAL;
    vml_machine *m = vml_proc_machine(p);
    int grows = prot & (VML_PROT_GROWSDOWN | VML_PROT_GROWSUP);
    prot &= ~grows;
    if ((addr & (PAGE - 1)) || (prot & ~(VML_PROT_READ | VML_PROT_WRITE | VML_PROT_EXEC)) ||
        len > UINT64_MAX - PAGE || grows == (VML_PROT_GROWSDOWN | VML_PROT_GROWSUP))
        return done(m, VML_EINVAL);
    if (len == 0)
        return done(m, 0);
    uint64_t n_pages = (len + PAGE - 1) >> 12;
    if (addr + (n_pages << 12) < addr)
        return done(m, VML_ENOMEM);
    uint64_t lo_vpn = addr >> 12, hi_vpn = lo_vpn + n_pages - 1, end_vpn;
    struct vad *first = vad_find(vm_vads(p), lo_vpn);
    if (first == NULL)
        return done(m, VML_ENOMEM);
    /* PROT_GROWSUP: no VMA grows up on x86 (VM_GROWSUP is 0); PROT_GROWSDOWN
    ** needs a VM_GROWSDOWN VMA and reaches down to its start
    ** (mm/mprotect.c, do_mprotect_pkey). */
    if (grows == VML_PROT_GROWSUP ||
        (grows == VML_PROT_GROWSDOWN && !(first->origin == VML_ORIGIN_POSIX &&
                                          (first->map_flags & VML_MAP_GROWSDOWN))))
        return done(m, VML_EINVAL);
    if (grows == VML_PROT_GROWSDOWN)
        lo_vpn = first->start_vpn;
    int hole = mapped_prefix(p, lo_vpn, hi_vpn, &end_vpn), denied = 0;
    /* A shared mapping of a file not open for writing cannot be made
    ** writable: the VMAs before it change, then EACCES (do_mprotect_pkey
    ** stops at a VMA without VM_MAYWRITE as at a hole). */
    for (struct vad *v = first; v && v->start_vpn <= end_vpn && (prot & VML_PROT_WRITE);
         v = vad_next(v))
        if (v->origin == VML_ORIGIN_POSIX && v->no_write) {
            end_vpn = v->start_vpn - 1;
            denied = 1;
            break;
        }
    if (denied && end_vpn < lo_vpn)
        return done(m, VML_EACCES);
    unsigned mmprot = vm_prot_from_posix(prot);
    uint64_t tables = 0, charge = 0;
    for (struct vad *v = first; v && v->start_vpn <= end_vpn; v = vad_next(v)) {
        uint64_t a = v->start_vpn > lo_vpn ? v->start_vpn : lo_vpn;
        uint64_t b = v->end_vpn < end_vpn ? v->end_vpn : end_vpn;
        /* (a posix VMA's zero PTEs take its new protection from the VMA:
        ** no PTE is written for them) */
        if ((!v->mem_commit && v->seg == NULL) || v->origin != VML_ORIGIN_POSIX)
            tables += vm_protect_tables_needed(p, v, a << 12, (b + 1) << 12, mmprot);
        /* a private file mapping made writable is charged (mprotect_fixup:
        ** VM_ACCOUNT), refused only when it alone passes RAM + swap */
        if (v->origin == VML_ORIGIN_POSIX && v->cow && !v->accounted && (prot & VML_PROT_WRITE))
            charge += b - a + 1;
    }
    if (tables > vm_available(m) || charge > vm_commit_limit(m))
        return done(m, VML_ENOMEM);
    struct vad *spare[2];
    if (alloc_spares(m, spare, splits_needed(p, lo_vpn, end_vpn, SPLIT_POSIX_ONLY)))
        return done(m, VML_ENOMEM);
    split_around(p, lo_vpn, end_vpn, spare, SPLIT_POSIX_ONLY);
    for (uint64_t vpn = lo_vpn; vpn <= end_vpn;) {
        struct vad *v = vad_find(vm_vads(p), vpn);
        uint64_t end = v->end_vpn;
        if (v->origin != VML_ORIGIN_POSIX) {
            /* A Win32 reservation stays whole: its pages change as
            ** VirtualProtect would change them. */
            uint64_t a = v->start_vpn > lo_vpn ? v->start_vpn : lo_vpn;
            uint64_t b = end < end_vpn ? end : end_vpn;
            vm_protect(p, v, a << 12, b - a + 1, mmprot);
        } else {
            if (v->mem_commit || v->seg) {
                /* The VMA's protection is what its zero PTEs mean: change
                ** it first, then the pages that carry their own.  A private
                ** file mapping that can write copies on write. */
                unsigned vprot = mmprot;
                if (v->cow && (prot & VML_PROT_WRITE)) {
                    vprot = (prot & VML_PROT_EXEC) ? 7u : 5u;
                    vm_view_account(p, v);     /* mprotect_fixup(): VM_ACCOUNT */
                }
                v->protect = vm_prot_to_win32(vprot);
                v->prot = prot;
            }
            vm_protect(p, v, v->start_vpn << 12, end - v->start_vpn + 1,
                       v->cow && (prot & VML_PROT_WRITE) ? (unsigned)vm_prot_from_win32(v->protect)
                                                         : mmprot);
            vma_merge(p, v);           /* may free v: end was saved */
        }
        vpn = end + 1;
        if (vpn == 0)
            break;
    }
    return done(m, denied ? VML_EACCES : hole ? VML_ENOMEM : 0);
}

int vml_posix_msync(vml_proc *p, vml_va addr, uint64_t len, int flags)
{
    if (p == NULL)
        return VML_EINVAL;
    vml_machine *m = vml_proc_machine(p);
    /* man 2 msync: EINVAL for an unaligned address, unknown flags, or both
    ** MS_SYNC and MS_ASYNC; ENOMEM for a range not fully mapped (what is
    ** mapped is synced first). */
    if ((addr & (PAGE - 1)) || (flags & ~(VML_MS_ASYNC | VML_MS_SYNC | VML_MS_INVALIDATE)) ||
        ((flags & VML_MS_SYNC) && (flags & VML_MS_ASYNC)) || len > UINT64_MAX - PAGE)
        return done(m, VML_EINVAL);
    if (len == 0)
        return done(m, 0);
    uint64_t lo_vpn = addr >> 12, hi_vpn = lo_vpn + ((len + PAGE - 1) >> 12) - 1, end_vpn;
    int hole = mapped_prefix(p, lo_vpn, hi_vpn, &end_vpn), err = 0;
    for (uint64_t vpn = lo_vpn; vpn <= end_vpn && end_vpn + 1 > lo_vpn;) {
        struct vad *v = vad_find(vm_vads(p), vpn);
        uint64_t b = v->end_vpn < end_vpn ? v->end_vpn : end_vpn;
        /* MS_SYNC writes the shared file pages now; MS_ASYNC only schedules
        ** them (since 2.6.19 Linux tracks dirty pages itself: the writer
        ** takes them); MS_INVALIDATE has nothing to drop in one page cache. */
        if (v->seg && !v->cow && (flags & VML_MS_SYNC)) {
            int e = vm_flush(p, v, vpn << 12, (b + 1) << 12);
            if (e && !err)
                err = VML_EIO;
        }
        vpn = b + 1;
    }
    return done(m, err ? err : hole ? VML_ENOMEM : 0);
}

int vml_posix_madvise(vml_proc *p, vml_va addr, uint64_t len, int advice)
{
    if (p == NULL)
        return VML_EINVAL;
    vml_machine *m = vml_proc_machine(p);
    if ((addr & (PAGE - 1)) || len > UINT64_MAX - PAGE ||
        (advice != VML_MADV_NORMAL && advice != VML_MADV_RANDOM && advice != VML_MADV_SEQUENTIAL &&
         advice != VML_MADV_WILLNEED && advice != VML_MADV_DONTNEED && advice != VML_MADV_FREE &&
         advice != VML_MADV_DONTFORK && advice != VML_MADV_DOFORK))
        return done(m, VML_EINVAL);
    if (len == 0)
        return done(m, 0);
    uint64_t lo_vpn = addr >> 12, hi_vpn = lo_vpn + ((len + PAGE - 1) >> 12) - 1, end_vpn;
    int hole = mapped_prefix(p, lo_vpn, hi_vpn, &end_vpn);
    if (end_vpn + 1 == lo_vpn)
        return done(m, VML_ENOMEM);
    if (advice == VML_MADV_FREE)
        /* only private anonymous memory (madvise_free_single_vma: EINVAL) */
        for (struct vad *v = vad_find(vm_vads(p), lo_vpn); v && v->start_vpn <= end_vpn;
             v = vad_next(v))
            if (v->seg || v->origin != VML_ORIGIN_POSIX)
                return done(m, VML_EINVAL);
    if (advice == VML_MADV_DONTFORK || advice == VML_MADV_DOFORK) {
        struct vad *spare[2];
        if (alloc_spares(m, spare, splits_needed(p, lo_vpn, end_vpn, SPLIT_POSIX_ONLY)))
            return done(m, VML_ENOMEM);
        split_around(p, lo_vpn, end_vpn, spare, SPLIT_POSIX_ONLY);
    }
    for (uint64_t vpn = lo_vpn; vpn <= end_vpn;) {
        struct vad *v = vad_find(vm_vads(p), vpn);
        uint64_t b = v->end_vpn < end_vpn ? v->end_vpn : end_vpn, end = v->end_vpn;
        vml_va va = vpn << 12, ve = (b + 1) << 12;
        switch (advice) {
        case VML_MADV_DONTNEED: vm_dontneed(p, v, va, ve); break;
        case VML_MADV_WILLNEED: vm_willneed(p, v, va, ve); break;
        case VML_MADV_FREE:     vm_lazyfree(p, v, va, ve); break;
        case VML_MADV_DONTFORK:
        case VML_MADV_DOFORK:
            if (v->origin == VML_ORIGIN_POSIX) {
                v->inherit = advice == VML_MADV_DONTFORK ? VAD_INHERIT_NONE
                           : v->map_flags & VML_MAP_SHARED ? VAD_INHERIT_SHARE : VAD_INHERIT_COPY;
                vma_merge(p, v);       /* may free v: end was saved */
            }
            break;
        default:
            break;                     /* access-pattern hints: nothing to do */
        }
        vpn = end + 1;
        if (vpn == 0)
            break;
    }
    return done(m, hole ? VML_ENOMEM : 0);
}

int vml_posix_fork(vml_proc *parent, const char *child_name, unsigned *pid)
{
    if (parent == NULL || child_name == NULL)
        return VML_EINVAL;
    vml_machine *m = vml_proc_machine(parent);
    vml_proc *c;
    switch (vm_fork(parent, child_name, &c)) {
    case VML_OK:
        if (pid)
            *pid = vml_proc_pid(c);
        return done(m, 0);
    case VML_E_EXISTS:
    case VML_E_INVALID:
        return done(m, VML_EINVAL);
    default:
        return done(m, VML_ENOMEM);   /* fork(2): ENOMEM, or EAGAIN for limits */
    }
}
