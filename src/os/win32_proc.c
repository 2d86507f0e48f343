/*
** win32_proc.c -- a Win32 process's environment: the PEB, the process
** parameters, threads (their TEBs and stacks: CreateThread) and the process
** heap, as CreateProcess, the kernel (MmCreatePeb, MmCreateTeb) and
** ntdll's process initialization build them.
**
** Layouts (the fields vmlab fills, x64 / x86, at the offsets WinDbg's
** dt ntdll!_PEB, _TEB and _RTL_USER_PROCESS_PARAMETERS show):
**   PEB   Mutant 0x8/0x4 (-1), ImageBaseAddress 0x10/0x8, Ldr 0x18/0xc,
**         ProcessParameters 0x20/0x10, ProcessHeap 0x30/0x18,
**         NumberOfProcessors 0xb8/0x64, HeapSegmentReserve 0xc8/0x78,
**         HeapSegmentCommit 0xd0/0x7c, HeapDeCommitTotalFreeThreshold
**         0xd8/0x80, HeapDeCommitFreeBlockThreshold 0xe0/0x84,
**         NumberOfHeaps 0xe8/0x88, MaximumNumberOfHeaps 0xec/0x8c,
**         ProcessHeaps 0xf0/0x90 (the array right after the PEB in its
**         page, as MmCreatePeb lays it out), OSMajorVersion 0x118/0xa4,
**         OSMinorVersion 0x11c/0xa8, OSBuildNumber 0x120/0xac,
**         OSPlatformId 0x124/0xb0 (Windows 10 22H2: 10.0.19045, 2).
**   TEB   NtTib.ExceptionList 0/0 (x86: -1, the end of the SEH chain),
**         StackBase 0x8/0x4, StackLimit 0x10/0x8, Self 0x30/0x18,
**         ClientId 0x40/0x20 (UniqueProcess, UniqueThread),
**         ProcessEnvironmentBlock 0x60/0x30, LastErrorValue 0x68/0x34,
**         DeallocationStack 0x1478/0xe0c; 2 pages on x64, 1 on x86.
**   RTL_USER_PROCESS_PARAMETERS  MaximumLength 0, Length 4, Flags 8
**         (NORMALIZED), ImagePathName 0x60/0x38, CommandLine 0x70/0x40
**         (UNICODE_STRING: Length, MaximumLength, Buffer at 8/4), the
**         UTF-16 strings right after it.
** The stack (BaseCreateStack): reserve SizeOfStackReserve (64 KiB aligned),
** commit SizeOfStackCommit at its top and one PAGE_GUARD page below;
** StackLimit is the lowest committed page above the guard.  The guard's
** growth is the memory manager's (mm/stack.c): the VAD names the TEB's
** StackLimit as the cell it rewrites.
**
** INVARIANTS (thread_check(), through vm_set_os_check):
**   THR1  Thread ids are unique in the machine; a process's threads are
**         in creation order (ids increase).
**   THR2  A process with threads has a Win32 environment (a PEB and a
**         pointer size of 4 or 8), and its first thread is the main one.
**
** TRANSITIONS:
**   no environment -> PEB, parameters, main thread, process heap
**                                              vml_win_process_setup()
**   -> one more thread (TEB, stack)            vml_win_CreateThread()
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "mm/vm.h"
#include "win32.h"
#include "aslr.h"
#include "heap.h"
#include "umem.h"
#include "oscheck.h"

#define PAGE UINT64_C(0x1000)
#define GRAN UINT64_C(0x10000)
#define MiB  (UINT64_C(1) << 20)

struct w32_layout {
    unsigned peb_mutant, peb_image, peb_ldr, peb_params, peb_heap, peb_nproc, peb_globalflag,
             peb_seg_reserve, peb_seg_commit, peb_decommit_total, peb_decommit_block,
             peb_heaps_n, peb_heaps_max, peb_heaps, peb_os_major, peb_os_minor, peb_os_build,
             peb_platform, peb_size;
    unsigned teb_except, teb_stack_base, teb_stack_limit, teb_self, teb_cid, teb_peb,
             teb_last_error, teb_dealloc, teb_pages;
    unsigned pp_image, pp_cmdline, pp_size;
};

static const struct w32_layout w64 = {
    0x8, 0x10, 0x18, 0x20, 0x30, 0xb8, 0xbc, 0xc8, 0xd0, 0xd8, 0xe0, 0xe8, 0xec, 0xf0,
    0x118, 0x11c, 0x120, 0x124, 0x380,
    0x0, 0x8, 0x10, 0x30, 0x40, 0x60, 0x68, 0x1478, 2,
    0x60, 0x70, 0x400,
};
static const struct w32_layout w32 = {
    0x4, 0x8, 0xc, 0x10, 0x18, 0x64, 0x68, 0x78, 0x7c, 0x80, 0x84, 0x88, 0x8c, 0x90,
    0xa4, 0xa8, 0xac, 0xb0, 0x248,
    0x0, 0x4, 0x8, 0x18, 0x20, 0x30, 0x34, 0xe0c, 1,
    0x38, 0x40, 0x2a0,
};

static const struct w32_layout *lay(unsigned ptr_size) { return ptr_size == 8 ? &w64 : &w32; }
static uint64_t up(uint64_t x, uint64_t a) { return (x + a - 1) & ~(a - 1); }

/* ---- placing ------------------------------------------------------------------------- */

/* What a setup or CreateThread made so far, released again on failure. */
struct undo {
    vml_proc   *p;
    struct vad *v[8];
    unsigned    n;
};

static void undo_all(struct undo *u)
{
    while (u->n)
        vm_release(u->p, u->v[--u->n]);
}

/* n_pages committed private pages at the first free place from hint:
** upwards, or downwards (top_down: the highest place at or below hint);
** align in pages.  0 when there is no room or no commit. */
static vml_va place(struct undo *u, vml_va hint, uint64_t n_pages, uint64_t commit_pages,
                    uint64_t align, int top_down, unsigned usage, uint64_t tag)
{
    vml_proc *p = u->p;
    vml_machine *m = vml_proc_machine(p);
    const vml_layout *l = vm_layout(m);
    uint64_t lo = l->user_lowest >> 12, hi = w32_highest(p) >> 12, start, h = hint >> 12;
    int ok;
    if (top_down)
        ok = (h + n_pages - 1 <= hi &&
              vad_find_gap(vm_vads(p), lo, h + n_pages - 1, n_pages, align, 1, &start)) ||
             vad_find_gap(vm_vads(p), lo, hi, n_pages, align, 1, &start);
    else
        ok = (h >= lo && vad_find_gap(vm_vads(p), h, hi, n_pages, align, 0, &start)) ||
             vad_find_gap(vm_vads(p), lo, hi, n_pages, align, 0, &start);
    if (!ok || u->n == sizeof u->v / sizeof u->v[0] || vm_charge_check(p, commit_pages) != VML_OK)
        return 0;
    struct vad *v = vm_vad_alloc(m);
    if (v == NULL)
        return 0;
    vm_reserve(p, v, start << 12, n_pages, VML_PAGE_READWRITE, VML_ORIGIN_WIN32,
               commit_pages == n_pages);
    v->usage = (uint8_t)usage;
    v->usage_tag = tag;
    u->v[u->n++] = v;
    return start << 12;
}

/* ---- threads ------------------------------------------------------------------------- */

static int threads_room(struct vm_osproc *os)
{
    if (os->n_threads < os->cap_threads)
        return 0;
    size_t cap = os->cap_threads ? os->cap_threads * 2 : 4;
    struct vm_thread *t = realloc(os->threads, cap * sizeof *t);
    if (t == NULL)
        return -1;
    os->threads = t;
    os->cap_threads = cap;
    return 0;
}

/* The stack's sizes as BaseCreateStack rounds them. */
static void stack_sizes(uint64_t *reserve, uint64_t *commit)
{
    if (*reserve == 0)
        *reserve = MiB;
    if (*commit == 0)
        *commit = PAGE;
    if (*commit >= *reserve)
        *reserve = up(*commit, MiB);
    *commit = up(*commit, PAGE);
    *reserve = up(*reserve, GRAN);
}

/* A new thread: its stack (reserve, commit: rounded already), its TEB, its
** record.  A Win32 error; nothing is left on failure. */
static uint32_t thread_create(vml_proc *p, uint64_t reserve, uint64_t commit, unsigned *tid_out)
{
    vml_machine *m = vml_proc_machine(p);
    struct vm_osproc *os = vm_os(p);
    const struct w32_layout *o = lay(os->ptr_size);
    struct undo u = { .p = p };
    struct umem um;
    unsigned P = os->ptr_size;
    int guard = reserve > commit;
    if (threads_room(os) != 0 || reserve > vm_layout(m)->user_highest)
        return VML_ERROR_NOT_ENOUGH_MEMORY;
    /* the stack */
    vml_va stack = place(&u, aslr_win_stack_hint(m, w32_bottom_up(p)), reserve >> 12, 0,
                         GRAN >> 12, 0, VML_USAGE_STACK, 0);
    if (stack == 0)
        return VML_ERROR_NOT_ENOUGH_MEMORY;
    struct vad *sv = u.v[0];
    vml_va top = stack + reserve, limit = top - commit;
    unsigned rw = (unsigned)vm_prot_from_win32(VML_PAGE_READWRITE);
    vml_status st = vm_commit(p, sv, limit, commit >> 12, rw);
    if (st == VML_OK && guard)
        st = vm_commit(p, sv, limit - PAGE, 1, (unsigned)vm_prot_from_win32(VML_PAGE_READWRITE |
                                                                             VML_PAGE_GUARD));
    if (st != VML_OK) {
        undo_all(&u);
        return st == VML_E_COMMIT ? VML_ERROR_COMMITMENT_LIMIT : VML_ERROR_NOT_ENOUGH_MEMORY;
    }
    /* the TEB, next to the PEB: above it (64-bit, ASLR), or below it */
    int up_from_peb = P == 8 && vm_aslr(m) && vm_layout(m)->va_bits > 32;
    uint64_t tp = o->teb_pages;
    vml_va hint = up_from_peb ? os->peb + PAGE : os->peb - tp * PAGE;
    unsigned tid = vm_new_tid(m);
    vml_va teb = place(&u, hint, tp, tp, 1, !up_from_peb, VML_USAGE_TEB, tid);
    um_init(&um, p, P);
    if (teb == 0 || um_probe(&um, teb, o->teb_dealloc + P) != 0) {
        undo_all(&u);
        return VML_ERROR_NOT_ENOUGH_MEMORY;
    }
    um_wptr(&um, teb + o->teb_except, P == 4 ? UINT32_MAX : 0);
    um_wptr(&um, teb + o->teb_stack_base, top);
    um_wptr(&um, teb + o->teb_stack_limit, limit);
    um_wptr(&um, teb + o->teb_self, teb);
    um_wptr(&um, teb + o->teb_cid, vml_proc_pid(p));
    um_wptr(&um, teb + o->teb_cid + P, tid);
    um_wptr(&um, teb + o->teb_peb, os->peb);
    um_wptr(&um, teb + o->teb_dealloc, stack);
    sv->usage_tag = tid;
    sv->stack = VAD_STACK_GUARD;
    sv->stack_cell = teb + o->teb_stack_limit;
    sv->stack_cell_size = (uint8_t)P;
    os->threads[os->n_threads++] = (struct vm_thread){ tid, teb, top, stack };
    *tid_out = tid;
    return 0;
}

uint32_t vml_win_CreateThread(vml_proc *p, uint64_t stack_size, uint32_t flags, unsigned *tid)
{
    unsigned t;
    if (p == NULL)
        return VML_ERROR_INVALID_PARAMETER;
    vml_machine *m = vml_proc_machine(p);
    struct vm_osproc *os = vm_os(p);
    if (um_no_data(p, "a thread (its TEB)"))
        return w32_last_error(p, w32_done(m, VML_ERROR_NOT_SUPPORTED), 0);
    if (os->ptr_size == 0) {
        (void)vm_fail(m, VML_E_NOT_FOUND, "process '%s' has no Win32 environment: create it "
                      "with `process NAME win32` or CreateProcess", vml_proc_name(p));
        return w32_last_error(p, w32_done(m, VML_ERROR_INVALID_HANDLE), 0);
    }
    if (flags & ~VML_STACK_SIZE_PARAM_IS_A_RESERVATION)
        return w32_last_error(p, w32_done(m, VML_ERROR_INVALID_PARAMETER), 0);
    uint64_t reserve = 0, commit = 0;
    if (flags & VML_STACK_SIZE_PARAM_IS_A_RESERVATION)
        reserve = stack_size;
    else
        commit = stack_size;
    if (reserve == 0)
        reserve = os->threads ? os->threads[0].stack_base - os->threads[0].stack_alloc : 0;
    if (reserve > vm_layout(m)->user_highest || commit > vm_layout(m)->user_highest)
        return w32_last_error(p, w32_done(m, VML_ERROR_NOT_ENOUGH_MEMORY), 0);
    stack_sizes(&reserve, &commit);
    uint32_t e = thread_create(p, reserve, commit, &t);
    if (e == 0 && tid)
        *tid = t;
    return w32_last_error(p, w32_done(m, e), 0);
}

size_t vml_thread_list(vml_proc *p, vml_thread_info *out, size_t max)
{
    if (p == NULL)
        return 0;
    const struct vm_osproc *os = vm_os(p);
    for (size_t i = 0; out && i < os->n_threads && i < max; i++) {
        const struct vm_thread *t = &os->threads[i];
        struct umem um;
        um_init(&um, p, os->ptr_size);
        um.peek = 1;
        out[i] = (vml_thread_info){ t->tid, t->teb, t->stack_base, 0, t->stack_alloc };
        out[i].stack_limit = um_rptr(&um, t->teb + lay(os->ptr_size)->teb_stack_limit);
    }
    return os->n_threads;
}

/* ---- the process ------------------------------------------------------------------------ */

/* An ASCII string as a UNICODE_STRING at us whose UTF-16 text goes at buf. */
static void put_ustring(struct umem *um, vml_va us, vml_va buf, const char *s)
{
    size_t n = strlen(s);
    for (size_t i = 0; i < n; i++)
        um_w16(um, buf + 2 * i, (uint8_t)s[i]);
    um_w16(um, buf + 2 * n, 0);
    um_w16(um, us, 2 * n);
    um_w16(um, us + 2, 2 * n + 2);
    um_wptr(um, us + um->psize, buf);
}

static vml_va params_create(struct undo *u, const struct w32_layout *o, unsigned P,
                            const char *image, const char *cmdline)
{
    vml_proc *p = u->p;
    size_t ni = strlen(image), nc = strlen(cmdline);
    uint64_t size = o->pp_size + 2 * (ni + 1) + 2 * (nc + 1);
    uint64_t pages = up(size, PAGE) >> 12;
    vml_va pp = place(u, aslr_win_heap_hint(vml_proc_machine(p), w32_bottom_up(p)), pages, pages,
                      GRAN >> 12, 0, VML_USAGE_PARAMS, 0);
    struct umem um;
    um_init(&um, p, P);
    if (pp == 0 || um_probe(&um, pp, size) != 0)
        return 0;
    um_w32(&um, pp, (uint32_t)size);           /* MaximumLength */
    um_w32(&um, pp + 4, (uint32_t)size);       /* Length */
    um_w32(&um, pp + 8, 1);                    /* RTL_USER_PROCESS_PARAMETERS_NORMALIZED */
    vml_va s = pp + o->pp_size;
    put_ustring(&um, pp + o->pp_image, s, image);
    put_ustring(&um, pp + o->pp_cmdline, s + 2 * (ni + 1), cmdline);
    return um.failed ? 0 : pp;
}

static int printable(const char *s)
{
    for (; *s; s++)
        if (*s < ' ' || *s > '~')
            return 0;
    return 1;
}

uint32_t vml_win_process_setup(vml_proc *p, const vml_win_process_params *params)
{
    vml_win_process_params d = { 0 };
    if (p == NULL)
        return VML_ERROR_INVALID_PARAMETER;
    vml_machine *m = vml_proc_machine(p);
    struct vm_osproc *os = vm_os(p);
    if (params)
        d = *params;
    unsigned machine_ps = vm_layout(m)->va_bits > 32 ? 8 : 4;
    if (d.ptr_size == 0)
        d.ptr_size = machine_ps;
    const char *image = d.image_path ? d.image_path : "";
    const char *cmdline = d.command_line ? d.command_line : image;
    if (os->ptr_size != 0 || (d.ptr_size != 4 && d.ptr_size != 8) ||
        (d.ptr_size == 8 && machine_ps == 4) || strlen(image) > 1024 || strlen(cmdline) > 4096 ||
        !printable(image) || !printable(cmdline) ||
        (d.ptr_size == 4 && d.image_base > UINT32_MAX))
        return w32_done(m, VML_ERROR_INVALID_PARAMETER);
    if (um_no_data(p, "the Win32 environment (PEB, TEB)"))
        return w32_done(m, VML_ERROR_NOT_SUPPORTED);
    uint64_t space = vm_layout(m)->user_highest;
    if (d.stack_reserve > space || d.stack_commit > space || d.heap_reserve > space ||
        d.heap_commit > space)
        return w32_done(m, VML_ERROR_NOT_ENOUGH_MEMORY);
    const struct w32_layout *o = lay(d.ptr_size);
    struct undo u = { .p = p };
    struct umem um;
    unsigned P = d.ptr_size;
    vml_va saved_bottom_up = os->bottom_up;
    os->ptr_size = P;
    os->bottom_up = 0;
    /* the PEB (MmCreatePeb) */
    int top_down;
    vml_va hint = aslr_win_peb_hint(m, P, w32_bottom_up(p), &top_down);
    vml_va peb = place(&u, hint, 1, 1, 1, top_down, VML_USAGE_PEB, 0);
    um_init(&um, p, P);
    if (peb == 0 || um_probe(&um, peb, PAGE) != 0)
        goto fail;
    os->peb = peb;
    um_wptr(&um, peb + o->peb_mutant, P == 8 ? UINT64_MAX : UINT32_MAX);
    um_wptr(&um, peb + o->peb_image, d.image_base);
    um_w32(&um, peb + o->peb_nproc, vml_cpu_count(m));
    um_wptr(&um, peb + o->peb_seg_reserve, MiB);
    um_wptr(&um, peb + o->peb_seg_commit, 0x2000);
    um_wptr(&um, peb + o->peb_decommit_total, 0x10000);
    um_wptr(&um, peb + o->peb_decommit_block, 0x1000);
    um_w32(&um, peb + o->peb_heaps_max, (PAGE - o->peb_size) / P);
    um_wptr(&um, peb + o->peb_heaps, peb + o->peb_size);
    um_w32(&um, peb + o->peb_os_major, 10);
    um_w32(&um, peb + o->peb_os_minor, 0);
    um_w16(&um, peb + o->peb_os_build, 19045);
    um_w32(&um, peb + o->peb_platform, 2);          /* VER_PLATFORM_WIN32_NT */
    /* the process parameters (RtlCreateProcessParameters, copied in) */
    vml_va pp = params_create(&u, o, P, image, cmdline);
    if (pp == 0)
        goto fail;
    os->params = pp;
    um_wptr(&um, peb + o->peb_params, pp);
    /* the main thread */
    uint64_t reserve = d.stack_reserve, commit = d.stack_commit;
    unsigned tid;
    stack_sizes(&reserve, &commit);
    if (thread_create(p, reserve, commit, &tid) != 0)
        goto fail;
    /* the process heap (LdrpInitializeProcess: RtlCreateHeap(HEAP_GROWABLE,
    ** SizeOfHeapReserve, SizeOfHeapCommit)) */
    vml_va heap;
    if (heap_create(p, 0, d.heap_commit ? d.heap_commit : PAGE,
                    d.heap_reserve ? d.heap_reserve : MiB, 1, &heap) != 0) {
        struct vm_thread *t = &os->threads[--os->n_threads];
        struct vad *v;
        while ((v = vad_find(vm_vads(p), t->stack_alloc >> 12)) != NULL ||
               (v = vad_find(vm_vads(p), t->teb >> 12)) != NULL)
            vm_release(p, v);
        goto fail;
    }
    os->process_heap = heap;
    um_wptr(&um, peb + o->peb_heap, heap);
    if (um.failed)
        goto fail;
    os_check_install(m);
    return w32_done(m, 0);
fail:
    undo_all(&u);
    os->ptr_size = 0;
    os->peb = os->params = 0;
    os->bottom_up = saved_bottom_up;
    return w32_done(m, VML_ERROR_NOT_ENOUGH_MEMORY);
}

/* ---- inspection --------------------------------------------------------------------------- */

static void get_ustring(struct umem *um, vml_va us, char *out, size_t size)
{
    uint64_t len = um_r16(um, us) / 2;
    vml_va buf = um_rptr(um, us + um->psize);
    size_t i;
    for (i = 0; i < len && i + 1 < size && !um->failed; i++) {
        uint64_t c = um_r16(um, buf + 2 * i);
        out[i] = c >= ' ' && c <= '~' ? (char)c : '?';
    }
    out[um->failed ? 0 : i] = 0;
}

vml_status vml_peb_get(vml_proc *p, vml_peb_info *out)
{
    if (p == NULL || out == NULL)
        return VML_E_INVALID;
    const struct vm_osproc *os = vm_os(p);
    vml_machine *m = vml_proc_machine(p);
    if (os->ptr_size == 0)
        return vm_fail(m, VML_E_NOT_FOUND, "process '%s' has no PEB (no Win32 environment)",
                       vml_proc_name(p));
    const struct w32_layout *o = lay(os->ptr_size);
    struct umem um;
    vml_va peb = os->peb;
    um_init(&um, p, os->ptr_size);
    um.peek = 1;
    memset(out, 0, sizeof *out);
    out->address = peb;
    out->ptr_size = os->ptr_size;
    out->being_debugged = (unsigned)um_r8(&um, peb + 2);
    out->image_base = um_rptr(&um, peb + o->peb_image);
    out->ldr = um_rptr(&um, peb + o->peb_ldr);
    out->process_parameters = um_rptr(&um, peb + o->peb_params);
    out->process_heap = um_rptr(&um, peb + o->peb_heap);
    out->number_of_processors = (unsigned)um_r32(&um, peb + o->peb_nproc);
    out->nt_global_flag = (uint32_t)um_r32(&um, peb + o->peb_globalflag);
    out->os_major = (unsigned)um_r32(&um, peb + o->peb_os_major);
    out->os_minor = (unsigned)um_r32(&um, peb + o->peb_os_minor);
    out->os_build = (unsigned)um_r16(&um, peb + o->peb_os_build);
    out->number_of_heaps = (unsigned)um_r32(&um, peb + o->peb_heaps_n);
    out->maximum_number_of_heaps = (unsigned)um_r32(&um, peb + o->peb_heaps_max);
    out->process_heaps = um_rptr(&um, peb + o->peb_heaps);
    if (um.failed)
        return vm_fail(m, VML_E_NOT_PRESENT, "the PEB at %#llx cannot be read without a fault",
                       (unsigned long long)peb);
    if (out->process_parameters) {
        get_ustring(&um, out->process_parameters + o->pp_image, out->image_path,
                    sizeof out->image_path);
        um.failed = 0;
        get_ustring(&um, out->process_parameters + o->pp_cmdline, out->command_line,
                    sizeof out->command_line);
    }
    return VML_OK;
}

vml_status vml_teb_get(vml_proc *p, unsigned tid, vml_teb_info *out)
{
    if (p == NULL || out == NULL)
        return VML_E_INVALID;
    const struct vm_osproc *os = vm_os(p);
    vml_machine *m = vml_proc_machine(p);
    const struct vm_thread *t = NULL;
    for (size_t i = 0; i < os->n_threads && t == NULL; i++)
        if (os->threads[i].tid == tid || (tid == 0 && i == 0))
            t = &os->threads[i];
    if (t == NULL)
        return vm_fail(m, VML_E_NOT_FOUND, "process '%s' has no thread %u", vml_proc_name(p), tid);
    const struct w32_layout *o = lay(os->ptr_size);
    struct umem um;
    um_init(&um, p, os->ptr_size);
    um.peek = 1;
    memset(out, 0, sizeof *out);
    out->address = t->teb;
    out->ptr_size = os->ptr_size;
    out->exception_list = um_rptr(&um, t->teb + o->teb_except);
    out->stack_base = um_rptr(&um, t->teb + o->teb_stack_base);
    out->stack_limit = um_rptr(&um, t->teb + o->teb_stack_limit);
    out->self = um_rptr(&um, t->teb + o->teb_self);
    out->client_pid = um_rptr(&um, t->teb + o->teb_cid);
    out->client_tid = um_rptr(&um, t->teb + o->teb_cid + os->ptr_size);
    out->peb = um_rptr(&um, t->teb + o->teb_peb);
    out->last_error = (uint32_t)um_r32(&um, t->teb + o->teb_last_error);
    out->deallocation_stack = um_rptr(&um, t->teb + o->teb_dealloc);
    if (um.failed)
        return vm_fail(m, VML_E_NOT_PRESENT, "the TEB at %#llx cannot be read without a fault",
                       (unsigned long long)t->teb);
    return VML_OK;
}

/* ---- checks ----------------------------------------------------------------------------------- */

int thread_check(vml_machine *m, char *msg, size_t size)
{
    for (size_t k = 0; k < vml_proc_count(m); k++) {
        vml_proc *p = vml_proc_at(m, k);
        const struct vm_osproc *os = vm_os(p);
        if (os->n_threads && ((os->ptr_size != 4 && os->ptr_size != 8) || os->peb == 0)) {
            snprintf(msg, size, "THR2: pid %u has threads and no Win32 environment",
                     vml_proc_pid(p));
            return -1;
        }
        for (size_t i = 0; i < os->n_threads; i++) {
            unsigned tid = os->threads[i].tid;
            if (i > 0 && tid <= os->threads[i - 1].tid) {
                snprintf(msg, size, "THR1: pid %u's thread %u follows thread %u", vml_proc_pid(p),
                         tid, os->threads[i - 1].tid);
                return -1;
            }
            for (size_t j = 0; j < k; j++) {
                const struct vm_osproc *qo = vm_os(vml_proc_at(m, j));
                for (size_t t = 0; t < qo->n_threads; t++)
                    if (qo->threads[t].tid == tid) {
                        snprintf(msg, size, "THR1: thread %u is in pids %u and %u", tid,
                                 vml_proc_pid(vml_proc_at(m, j)), vml_proc_pid(p));
                        return -1;
                    }
            }
        }
    }
    return 0;
}

static int os_check(vml_machine *m, char *msg, size_t size)
{
    return heap_check(m, msg, size) || thread_check(m, msg, size) || brk_check(m, msg, size);
}

void os_check_install(vml_machine *m)
{
    vm_set_os_check(m, os_check);
}
