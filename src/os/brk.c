/*
** brk.c -- the program break: brk(2) and sbrk(3) with Linux's rules
** (mm/mmap.c, SYSCALL_DEFINE1(brk), Linux 6.x), on the process's brk area:
**   - brk below start_brk is refused: the call returns the old break;
**   - shrinking always works: the pages above the new break are unmapped
**     (page-aligned; the [heap] VMA shrinks or goes);
**   - growing needs the pages between the old and the new break free, with
**     one page more before the next mapping (and stack_guard_gap before a
**     VM_GROWSDOWN one: vm_start_gap), and is refused past the commit limit
**     (__vm_enough_memory); the [heap] VMA that ends at the old break is
**     extended, or one is made;
**   - the raw call returns the break after it (the new one, or the old one
**     when refused); glibc's sbrk(increment) returns the old break, or
**     (void *)-1 with ENOMEM.
** start_brk is set by execve after the image (vml_posix_process_setup); a
** process made without one gets it at its first brk: ELF_ET_DYN_BASE, as
** Linux places the brk of a static PIE (load_elf_binary), randomized like
** any brk (arch_randomize_brk) when ASLR is on.
**
** INVARIANTS (brk_check(), through vm_set_os_check):
**   BRK1  start_brk is page aligned and start_brk <= brk, inside user space.
**   BRK2  A process with malloc state has a brk area, and the main arena
**         starts at or above start_brk.
**
** TRANSITIONS:
**   brk unset -> set (start_brk = brk)   brk_ensure()
**   brk grows -> the [heap] VMA extends or is made; shrinks -> unmapped
**                                        psx_brk()
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "mm/vm.h"
#include "aslr.h"
#include "brk.h"
#include "oscheck.h"

#define PAGE UINT64_C(0x1000)
#define STACK_GUARD_GAP (UINT64_C(256) * PAGE)

static uint64_t page_up(uint64_t x) { return (x + PAGE - 1) & ~(PAGE - 1); }

static int compat32(vml_proc *p)
{
    return vm_layout(vml_proc_machine(p))->va_bits == 32;
}

void brk_ensure(vml_proc *p)
{
    struct vm_osproc *os = vm_os(p);
    if (os->brk_set)
        return;
    vml_machine *m = vml_proc_machine(p);
    vml_va base = compat32(p) ? UINT64_C(0x400000) : UINT64_C(0x555555554000);
    os->start_brk = os->brk = aslr_linux_brk(m, base, compat32(p));
    os->brk_set = 1;
    os_check_install(m);
}

/* The [heap] VMA that ends at the page-aligned old break, if any. */
static struct vad *brk_vma(vml_proc *p, vml_va oldbrk)
{
    struct vad *v = oldbrk ? vad_find(vm_vads(p), (oldbrk >> 12) - 1) : NULL;
    if (v && v->usage == VML_USAGE_BRK && v->origin == VML_ORIGIN_POSIX && v->seg == NULL &&
        v->end_vpn + 1 == oldbrk >> 12 && v->prot == (VML_PROT_READ | VML_PROT_WRITE))
        return v;
    return NULL;
}

static int grow(vml_proc *p, vml_va oldbrk, vml_va newbrk)
{
    vml_machine *m = vml_proc_machine(p);
    const vml_layout *l = vm_layout(m);
    uint64_t n = (newbrk - oldbrk) >> 12;
    if (newbrk - 1 > l->user_highest || n > vm_commit_limit(m))
        return -1;
    /* the next mapping: one page, or stack_guard_gap below a stack, apart */
    struct vad *next = vad_lookup_ge(vm_vads(p), oldbrk >> 12);
    if (next) {
        vml_va start = next->start_vpn << 12;
        vml_va gap = next->origin == VML_ORIGIN_POSIX && (next->map_flags & VML_MAP_GROWSDOWN)
                   ? (start > STACK_GUARD_GAP ? start - STACK_GUARD_GAP : 0) : start;
        if (newbrk + PAGE > gap)
            return -1;
    }
    struct vad *v = brk_vma(p, oldbrk);
    if (v) {
        vm_extend(p, v, n);
        return 0;
    }
    v = vm_vad_alloc(m);
    if (v == NULL)
        return -1;
    vm_reserve(p, v, oldbrk, n, VML_PAGE_READWRITE, VML_ORIGIN_POSIX, 1);
    v->prot = VML_PROT_READ | VML_PROT_WRITE;
    v->map_flags = VML_MAP_PRIVATE | VML_MAP_ANONYMOUS;
    v->inherit = VAD_INHERIT_COPY;
    v->usage = VML_USAGE_BRK;
    snprintf(v->name, sizeof v->name, "[heap]");
    return 0;
}

int psx_brk(vml_proc *p, vml_va brk)
{
    struct vm_osproc *os = vm_os(p);
    brk_ensure(p);
    if (brk < os->start_brk || brk > vm_layout(vml_proc_machine(p))->user_highest)
        return -1;
    vml_va newbrk = page_up(brk), oldbrk = page_up(os->brk);
    if (newbrk == oldbrk) {
        os->brk = brk;
        return 0;
    }
    if (brk <= os->brk) {
        /* "Always allow shrinking brk": the VMA holding the pages must be
        ** there (do_vmi_align_munmap of [newbrk, oldbrk)) */
        struct vad *v = vad_overlap(vm_vads(p), newbrk >> 12, (oldbrk >> 12) - 1);
        if (v == NULL || v->start_vpn >= oldbrk >> 12)
            return -1;
        if (vml_posix_munmap(p, newbrk, oldbrk - newbrk) != 0)
            return -1;
        os->brk = brk;
        return 0;
    }
    if (grow(p, oldbrk, newbrk) != 0)
        return -1;
    os->brk = brk;
    return 0;
}

int vml_posix_brk(vml_proc *p, vml_va addr, vml_va *result)
{
    if (p == NULL || result == NULL)
        return VML_EINVAL;
    (void)psx_brk(p, addr);
    *result = vm_os(p)->brk;
    (void)vm_done(vml_proc_machine(p), VML_OK);
    return 0;
}

int vml_posix_sbrk(vml_proc *p, int64_t increment, vml_va *old)
{
    if (p == NULL || old == NULL)
        return VML_EINVAL;
    struct vm_osproc *os = vm_os(p);
    brk_ensure(p);
    vml_va cur = os->brk, want = cur + (uint64_t)increment;
    int err = 0;
    /* glibc's sbrk: ENOMEM for an increment that wraps, or a refused brk */
    if ((increment > 0 && want < cur) || (increment < 0 && want > cur))
        err = VML_ENOMEM;
    else if (increment != 0 && (psx_brk(p, want) != 0 || os->brk != want))
        err = VML_ENOMEM;
    if (err == 0)
        *old = cur;
    (void)vm_done(vml_proc_machine(p), VML_OK);
    return err;
}

int brk_check(vml_machine *m, char *msg, size_t size)
{
    const vml_layout *l = vm_layout(m);
    for (size_t k = 0; k < vml_proc_count(m); k++) {
        vml_proc *p = vml_proc_at(m, k);
        const struct vm_osproc *os = vm_os(p);
        if (os->brk_set && ((os->start_brk & (PAGE - 1)) || os->start_brk > os->brk ||
                            os->brk > l->user_highest + 1)) {
            snprintf(msg, size, "BRK1: pid %u start_brk %#llx brk %#llx", vml_proc_pid(p),
                     (unsigned long long)os->start_brk, (unsigned long long)os->brk);
            return -1;
        }
        if (os->mal.initialized && (!os->brk_set || os->mal.sbrk_base < os->start_brk)) {
            snprintf(msg, size, "BRK2: pid %u's main arena at %#llx is below start_brk %#llx",
                     vml_proc_pid(p), (unsigned long long)os->mal.sbrk_base,
                     (unsigned long long)os->start_brk);
            return -1;
        }
    }
    return 0;
}
