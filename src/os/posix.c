/*
** posix.c -- the Linux personality: anonymous mmap, munmap and mprotect
** with Linux's VMA rules (split on a partial munmap/mprotect, merge of
** adjacent anonymous VMAs with equal flags, as mm/mmap.c and mm/mprotect.c
** do) and the errno values their man pages list.
**
** Memory VirtualAlloc reserved may be reached by these calls too (vmlab
** runs both personalities on one machine).  A Win32 reservation is one
** VAD, as on Windows, which cannot split one: mprotect changes its pages'
** protections the way VirtualProtect would, without splitting it; munmap
** (or a MAP_FIXED mapping) over part of it cuts it, and every piece left
** is a reservation of its own whose AllocationBase is its first page, so
** VirtualFree(MEM_RELEASE) of a piece's base releases that piece.
**
** Each call validates and allocates first, and changes nothing on failure.
** INVARIANTS: none of its own (it goes through mm/virtual.c).
*/
#include <stdlib.h>
#include <string.h>
#include "mm/mm.h"

#define PAGE UINT64_C(0x1000)

static int done(vml_machine *m, int err)
{
    (void)mm_done(m, VML_OK);
    return err;
}

/* Two VMAs merge only when nothing tells them apart: a zero PTE means the
** same in both (mem_commit: a VMA whose pages VirtualFree decommitted
** reads a zero PTE as "not committed", a fresh mapping as demand-zero). */
static int same_vma(const struct vad *a, const struct vad *b)
{
    return a->origin == VML_ORIGIN_POSIX && b->origin == VML_ORIGIN_POSIX &&
           a->mem_commit == b->mem_commit &&
           a->prot == b->prot && a->map_flags == b->map_flags && a->protect == b->protect &&
           a->type == b->type && a->section == NULL && b->section == NULL &&
           strcmp(a->name, b->name) == 0 && a->end_vpn + 1 == b->start_vpn;
}

/* Merge v with its neighbours where Linux's vma_merge() would. */
static void vma_merge(vml_proc *p, struct vad *v)
{
    struct vad *prev = vad_prev(v), *next = vad_next(v);
    if (next && same_vma(v, next)) {
        vad_remove(&p->vads, next);
        v->end_vpn = next->end_vpn;
        v->commit_pages += next->commit_pages;
        free(next);
    }
    if (prev && same_vma(prev, v)) {
        vad_remove(&p->vads, v);
        prev->end_vpn = v->end_vpn;
        prev->commit_pages += v->commit_pages;
        free(v);
    }
}

/* Split v so that a VAD starts at vpn (start_vpn < vpn <= end_vpn), using
** the preallocated node spare.  Returns the upper half. */
static struct vad *vma_split(vml_proc *p, struct vad *v, uint64_t vpn, struct vad *spare)
{
    *spare = *v;
    spare->left = spare->right = spare->parent = NULL;
    spare->start_vpn = vpn;
    spare->alloc_base_vpn = vpn;      /* a piece is its own reservation */
    uint64_t upper = vm_count_committed(p, v, vpn << 12, (v->end_vpn + 1) << 12);
    spare->commit_pages = upper;
    v->commit_pages -= upper;
    v->end_vpn = vpn - 1;
    vad_insert(&p->vads, spare);
    return spare;
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
    struct vad *a = vad_find(&p->vads, lo_vpn);
    struct vad *b = vad_find(&p->vads, hi_vpn);
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
        if ((spare[i] = mm_calloc(m, 1, sizeof **spare)) == NULL) {
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
    struct vad *a = vad_find(&p->vads, lo_vpn);
    if (splits_at(a, what) && a->start_vpn < lo_vpn)
        vma_split(p, a, lo_vpn, spare[used++]);
    struct vad *b = vad_find(&p->vads, hi_vpn);
    if (splits_at(b, what) && b->end_vpn > hi_vpn)
        vma_split(p, b, hi_vpn + 1, spare[used++]);
}

static void unmap_range(vml_proc *p, uint64_t lo_vpn, uint64_t hi_vpn)
{
    struct vad *v;
    while ((v = vad_overlap(&p->vads, lo_vpn, hi_vpn)) != NULL)
        vm_release(p, v);
}

int vml_posix_mmap(vml_proc *p, vml_va addr, uint64_t len, int prot, int flags, int fd,
                   uint64_t offset, vml_va *out)
{
    if (p == NULL || out == NULL)
        return VML_EINVAL;
    vml_machine *m = p->m;
    const vml_layout *l = &m->layout;
    int type = flags & (VML_MAP_SHARED | VML_MAP_PRIVATE);
    int known = VML_MAP_SHARED | VML_MAP_PRIVATE | VML_MAP_FIXED | VML_MAP_ANONYMOUS |
                VML_MAP_NORESERVE | VML_MAP_POPULATE | VML_MAP_FIXED_NOREPLACE | VML_MAP_GROWSDOWN;
    /* man 2 mmap: EINVAL for a zero length, a bad offset or flags without
    ** exactly one of MAP_SHARED and MAP_PRIVATE; EBADF for a file mapping
    ** with a descriptor the process does not have (it has none yet). */
    if (len == 0 || (offset & (PAGE - 1)) || (type != VML_MAP_SHARED && type != VML_MAP_PRIVATE) ||
        (flags & ~known) || (prot & ~(VML_PROT_READ | VML_PROT_WRITE | VML_PROT_EXEC)))
        return done(m, VML_EINVAL);
    if (!(flags & VML_MAP_ANONYMOUS))
        return done(m, VML_EBADF);
    (void)fd;                      /* ignored for anonymous mappings, as Linux does */
    uint64_t n_pages = (len + PAGE - 1) >> 12;
    if (len > UINT64_MAX - PAGE || n_pages > ((l->user_highest + 1) >> 12))
        return done(m, VML_ENOMEM);
    int fixed = (flags & (VML_MAP_FIXED | VML_MAP_FIXED_NOREPLACE)) != 0;
    vml_va lo = 0;
    if (fixed) {
        if (addr & (PAGE - 1))
            return done(m, VML_EINVAL);
        if (addr + (n_pages << 12) - 1 > l->user_highest || addr + (n_pages << 12) < addr)
            return done(m, VML_ENOMEM);
        if (addr < l->user_lowest)
            return done(m, VML_EPERM);      /* below vm.mmap_min_addr */
        if ((flags & VML_MAP_FIXED_NOREPLACE) &&
            vad_overlap(&p->vads, addr >> 12, (addr >> 12) + n_pages - 1))
            return done(m, VML_EEXIST);
        lo = addr;
    } else {
        /* A hint is taken when the range is free; else the top-down search
        ** below mmap_base (arch_get_unmapped_area_topdown). */
        vml_va hint = addr & ~(PAGE - 1);
        uint64_t start;
        if (hint >= l->user_lowest && hint + (n_pages << 12) > hint &&
            hint + (n_pages << 12) - 1 <= l->user_highest &&
            !vad_overlap(&p->vads, hint >> 12, (hint >> 12) + n_pages - 1))
            lo = hint;
        else if (vad_find_gap(&p->vads, l->user_lowest >> 12, (l->mmap_base >> 12) - 1, n_pages, 1, 1,
                              &start) ||
                 vad_find_gap(&p->vads, l->user_lowest >> 12, l->user_highest >> 12, n_pages, 1, 1,
                              &start))
            lo = start << 12;
        else
            return done(m, VML_ENOMEM);
    }
    /* Linux overcommits: with vm.overcommit_memory=0 (the default) a private
    ** writable mapping is refused only when it alone exceeds RAM + swap
    ** (__vm_enough_memory, OVERCOMMIT_GUESS). */
    if ((prot & VML_PROT_WRITE) && !(flags & (VML_MAP_SHARED | VML_MAP_NORESERVE)) &&
        n_pages > m->commit_limit)
        return done(m, VML_ENOMEM);
    uint64_t lo_vpn = lo >> 12, hi_vpn = lo_vpn + n_pages - 1;
    struct vad *spare[2], *v = vm_vad_alloc(m);
    if (v == NULL)
        return done(m, VML_ENOMEM);
    if (alloc_spares(m, spare, splits_needed(p, lo_vpn, hi_vpn, SPLIT_ALL))) {
        free(v);
        return done(m, VML_ENOMEM);
    }
    /* Everything allocated: from here on nothing fails. */
    if (fixed) {                              /* MAP_FIXED replaces what is there */
        split_around(p, lo_vpn, hi_vpn, spare, SPLIT_ALL);
        unmap_range(p, lo_vpn, hi_vpn);
    } else {
        free(spare[0]);
        free(spare[1]);
    }
    unsigned mmprot = mmprot_from_posix(prot);
    vm_reserve(p, v, lo, n_pages, mmprot_to_win32(mmprot), VML_ORIGIN_POSIX, 1);
    v->prot = prot;
    v->map_flags = flags & (VML_MAP_SHARED | VML_MAP_PRIVATE | VML_MAP_ANONYMOUS | VML_MAP_NORESERVE |
                            VML_MAP_GROWSDOWN);
    vma_merge(p, v);
    if (flags & VML_MAP_POPULATE) {
        /* Prefault, with write faults when writable (populate_vma_page_range). */
        unsigned access = (prot & VML_PROT_WRITE) ? VML_ACCESS_WRITE : VML_ACCESS_READ;
        for (uint64_t i = 0; i < n_pages && prot; i++) {
            vml_pa pa;
            vml_exception ex;
            as_switch(m, p->last_cpu, p);
            if (acc_translate(p, p->last_cpu, lo + (i << 12), access, &pa, &ex) != 0)
                break;
        }
    }
    *out = lo;
    return done(m, 0);
}

int vml_posix_munmap(vml_proc *p, vml_va addr, uint64_t len)
{
    if (p == NULL)
        return VML_EINVAL;
    vml_machine *m = p->m;
    if ((addr & (PAGE - 1)) || len == 0 || len > UINT64_MAX - PAGE)
        return done(m, VML_EINVAL);
    uint64_t n_pages = (len + PAGE - 1) >> 12;
    if (addr + (n_pages << 12) < addr || addr + (n_pages << 12) - 1 > m->layout.user_highest)
        return done(m, VML_EINVAL);
    uint64_t lo_vpn = addr >> 12, hi_vpn = lo_vpn + n_pages - 1;
    struct vad *spare[2];
    if (alloc_spares(m, spare, splits_needed(p, lo_vpn, hi_vpn, SPLIT_ALL)))
        return done(m, VML_ENOMEM);
    split_around(p, lo_vpn, hi_vpn, spare, SPLIT_ALL);
    unmap_range(p, lo_vpn, hi_vpn);
    return done(m, 0);
}

int vml_posix_mprotect(vml_proc *p, vml_va addr, uint64_t len, int prot)
{
    if (p == NULL)
        return VML_EINVAL;
    vml_machine *m = p->m;
    if ((addr & (PAGE - 1)) || (prot & ~(VML_PROT_READ | VML_PROT_WRITE | VML_PROT_EXEC)) ||
        len > UINT64_MAX - PAGE)
        return done(m, VML_EINVAL);
    if (len == 0)
        return done(m, 0);
    uint64_t n_pages = (len + PAGE - 1) >> 12;
    if (addr + (n_pages << 12) < addr)
        return done(m, VML_ENOMEM);
    uint64_t lo_vpn = addr >> 12, hi_vpn = lo_vpn + n_pages - 1;
    /* ENOMEM: the range is not fully mapped. */
    for (uint64_t vpn = lo_vpn; vpn <= hi_vpn;) {
        struct vad *v = vad_find(&p->vads, vpn);
        if (v == NULL)
            return done(m, VML_ENOMEM);
        vpn = v->end_vpn + 1;
        if (vpn == 0)
            break;
    }
    unsigned mmprot = mmprot_from_posix(prot);
    uint64_t tables = 0;
    for (struct vad *v = vad_find(&p->vads, lo_vpn); v && v->start_vpn <= hi_vpn; v = vad_next(v)) {
        uint64_t a = v->start_vpn > lo_vpn ? v->start_vpn : lo_vpn;
        uint64_t b = v->end_vpn < hi_vpn ? v->end_vpn : hi_vpn;
        /* (a posix VMA's zero PTEs take its new protection from the VMA:
        ** no PTE is written for them) */
        if (!v->mem_commit || v->origin != VML_ORIGIN_POSIX)
            tables += vm_protect_tables_needed(p, v, a << 12, (b + 1) << 12, mmprot);
    }
    if (tables > pfn_available(m))
        return done(m, VML_ENOMEM);
    struct vad *spare[2];
    if (alloc_spares(m, spare, splits_needed(p, lo_vpn, hi_vpn, SPLIT_POSIX_ONLY)))
        return done(m, VML_ENOMEM);
    split_around(p, lo_vpn, hi_vpn, spare, SPLIT_POSIX_ONLY);
    for (uint64_t vpn = lo_vpn; vpn <= hi_vpn;) {
        struct vad *v = vad_find(&p->vads, vpn);
        uint64_t end = v->end_vpn;
        if (v->origin != VML_ORIGIN_POSIX) {
            /* A Win32 reservation stays whole: its pages change as
            ** VirtualProtect would change them. */
            uint64_t a = v->start_vpn > lo_vpn ? v->start_vpn : lo_vpn;
            uint64_t b = end < hi_vpn ? end : hi_vpn;
            vm_protect(p, v, a << 12, b - a + 1, mmprot);
            vpn = end + 1;
            if (vpn == 0)
                break;
            continue;
        }
        if (v->mem_commit) {
            /* The VMA's protection is what its zero PTEs mean: change it
            ** first, then the pages that carry their own. */
            v->protect = mmprot_to_win32(mmprot);
            v->prot = prot;
        }
        vm_protect(p, v, v->start_vpn << 12, end - v->start_vpn + 1, mmprot);
        vma_merge(p, v);           /* may free v: end was saved */
        vpn = end + 1;
        if (vpn == 0)
            break;
    }
    return done(m, 0);
}
