/*
** posix_proc.c -- what execve builds in a new posix process besides the
** image: the mmap base, the main stack with its strings, argc, argv,
** envp and the auxiliary vector, and the brk (Linux 6.x: fs/exec.c
** do_execveat_common, bprm_mm_init, setup_arg_pages; fs/binfmt_elf.c
** load_elf_binary, create_elf_tables; checked against LD_SHOW_AUXV=1 and
** /proc/self/maps on this machine).
**
** The stack, from its top down:
**   8 bytes of zero (bprm->p = vm_end - sizeof(void *));
**   the exec filename (AT_EXECFN), then the environment strings, then the
**   argument strings (copied last to first, so argv[0] is lowest) --
**   arg_start .. arg_end, env_start .. env_end;
**   arch_align_stack(): a random 0..8191 bytes less, aligned down to 16;
**   the platform string ("x86_64", "i686"), then the 16 AT_RANDOM bytes;
**   room for the auxv (ei_index words) and argc, argv[], NULL, envp[],
**   NULL, rounded down to 16 (STACK_ROUND): there sp (mm->start_stack)
**   points at argc; the auxv follows envp's NULL.
** The [stack] VMA covers the string pages plus 128 KiB below them
** (setup_arg_pages: stack_expand = 131072), read-write, VM_GROWSDOWN; its
** top is randomize_stack_top(STACK_TOP) page-aligned after arch_align_stack.
** The auxv, in create_elf_tables' order, with this machine's values where
** a CPU decides them: AT_MINSIGSTKSZ 3632, AT_HWCAP 0x1f8bfbff, AT_PAGESZ,
** AT_CLKTCK 100, AT_PHDR, AT_PHENT, AT_PHNUM, AT_BASE, AT_FLAGS 0, AT_ENTRY,
** AT_UID, AT_EUID, AT_GID, AT_EGID (0: root), AT_SECURE 0, AT_RANDOM,
** AT_HWCAP2 2, AT_EXECFN, AT_PLATFORM, AT_RSEQ_FEATURE_SIZE 28,
** AT_RSEQ_ALIGN 32, AT_NULL.  There is no vDSO: AT_SYSINFO_EHDR is left out.
** Limits (bprm_stack_limits): the strings and their pointers may take a
** quarter of RLIMIT_STACK (at least ARG_MAX, 128 KiB; at most 3/4 of
** _STK_LIM), each string at most MAX_ARG_STRLEN (32 pages): E2BIG.
**
** INVARIANTS: none beyond the records brk.c checks (BRK1) and the stack
** VMA's (mm/stack.c).
**
** TRANSITIONS:
**   no stack -> [stack] with the strings and tables, mmap_base, brk
**                                        vml_posix_process_setup()
*/
#include <stdio.h>
#include <string.h>
#include "mm/vm.h"
#include "aslr.h"
#include "brk.h"
#include "umem.h"
#include "oscheck.h"

#define PAGE          UINT64_C(0x1000)
#define STACK_EXPAND  UINT64_C(131072)
#define ARG_MAX       UINT64_C(131072)
#define MAX_ARG_STRLEN (32 * PAGE)
#define STK_LIM       (UINT64_C(8) << 20)

enum {
    AT_NULL = 0, AT_PHDR = 3, AT_PHENT = 4, AT_PHNUM = 5, AT_PAGESZ = 6, AT_BASE = 7,
    AT_FLAGS = 8, AT_ENTRY = 9, AT_UID = 11, AT_EUID = 12, AT_GID = 13, AT_EGID = 14,
    AT_PLATFORM = 15, AT_HWCAP = 16, AT_CLKTCK = 17, AT_SECURE = 23, AT_RANDOM = 25,
    AT_HWCAP2 = 26, AT_RSEQ_FEATURE_SIZE = 27, AT_RSEQ_ALIGN = 28, AT_EXECFN = 31,
    AT_MINSIGSTKSZ = 51,
};

static int has_stack(vml_proc *p)
{
    for (struct vad *v = vad_first(vm_vads(p)); v; v = vad_next(v))
        if (v->usage == VML_USAGE_STACK && v->origin == VML_ORIGIN_POSIX)
            return 1;
    return 0;
}

static void put_str(struct umem *um, vml_va at, const char *s)
{
    um_write(um, at, s, strlen(s) + 1);
}

int vml_posix_process_setup(vml_proc *p, const vml_posix_process_params *params,
                            vml_posix_process_info *out)
{
    vml_posix_process_params d = { 0 };
    vml_posix_process_info info = { 0 };
    if (p == NULL)
        return VML_EINVAL;
    vml_machine *m = vml_proc_machine(p);
    struct vm_osproc *os = vm_os(p);
    const char *name = vml_proc_name(p);
    if (um_no_data(p, "the main stack (argv, auxv)")) {
        (void)vm_done(m, VML_OK);
        return VML_EOPNOTSUPP;
    }
    if (params)
        d = *params;
    else {
        d.argv = &name;
        d.argc = 1;
    }
    int c32 = d.compat32 || vm_layout(m)->va_bits == 32;
    unsigned SZ = c32 ? 4 : 8;
    if (has_stack(p) || (d.argc && d.argv == NULL) || (d.envc && d.envp == NULL) ||
        d.argc > (1u << 20) || d.envc > (1u << 20)) {
        (void)vm_done(m, VML_OK);
        return VML_EINVAL;
    }
    const char *execfn = d.execfn ? d.execfn : d.argc ? d.argv[0] : "";
    const char *platform = c32 ? "i686" : "x86_64";
    uint64_t rlimit = d.stack_rlimit ? d.stack_rlimit : STK_LIM;
    /* bprm_stack_limits(): the strings and pointers against the limit */
    uint64_t strings = strlen(execfn) + 1, limit = rlimit / 4;
    if (limit > STK_LIM / 4 * 3)
        limit = STK_LIM / 4 * 3;
    if (limit < ARG_MAX)
        limit = ARG_MAX;
    for (size_t i = 0; i < d.argc + d.envc; i++) {
        const char *s = i < d.argc ? d.argv[i] : d.envp[i - d.argc];
        size_t n = s ? strlen(s) + 1 : 0;
        if (s == NULL || n > MAX_ARG_STRLEN) {
            (void)vm_done(m, VML_OK);
            return s == NULL ? VML_EINVAL : VML_E2BIG;
        }
        strings += n;
    }
    if (strings + (d.argc + d.envc + 2) * SZ > limit) {
        (void)vm_done(m, VML_OK);
        return VML_E2BIG;
    }
    /* the layout: the mmap base (arch_pick_mmap_layout), the stack's top */
    vml_va mmap_base = os->mmap_base ? os->mmap_base : aslr_linux_mmap_base(m, c32);
    vml_va top = aslr_linux_stack_top(m, c32);
    vml_va vm_end = ((top - aslr_linux_stack_offset(m)) & ~(vml_va)15);
    vm_end = (vm_end + PAGE - 1) & ~(PAGE - 1);
    vml_va sp = vm_end - SZ;                       /* bprm->p */
    sp -= strlen(execfn) + 1;
    info.execfn = sp;
    for (size_t i = d.envc; i-- > 0;)
        sp -= strlen(d.envp[i]) + 1;
    info.env_start = sp;
    for (size_t i = d.argc; i-- > 0;)
        sp -= strlen(d.argv[i]) + 1;
    info.arg_start = sp;
    vml_va str_bottom = sp & ~(PAGE - 1);
    /* create_elf_tables */
    vml_va q = (sp - aslr_linux_stack_offset(m)) & ~(vml_va)15;
    q -= strlen(platform) + 1;
    info.platform = q;
    q -= 16;
    info.random = q;
    unsigned n_aux = 22;                           /* the entries below, AT_NULL too */
    uint64_t ei_index = 2 * n_aux, items = (d.argc + 1) + (d.envc + 1) + 1;
    vml_va spx = q - ei_index * SZ;
    vml_va start_stack = (spx - items * SZ) & ~(vml_va)15;
    info.sp = start_stack;
    info.argv = start_stack + SZ;
    info.envp = info.argv + (d.argc + 1) * SZ;
    info.auxv = info.envp + (d.envc + 1) * SZ;
    /* the VMA: the string pages and 128 KiB (less when the limit is lower) */
    uint64_t stack_size = vm_end - str_bottom;
    uint64_t expand = stack_size + STACK_EXPAND < (rlimit & ~(PAGE - 1))
                    ? stack_size + STACK_EXPAND : (rlimit & ~(PAGE - 1));
    vml_va vm_start = vm_end - expand;
    if (vm_start > (start_stack & ~(PAGE - 1)))
        vm_start = start_stack & ~(PAGE - 1);       /* the tables need their pages */
    uint64_t n_pages = (vm_end - vm_start) >> 12;
    if (vm_start < vm_layout(m)->user_lowest ||
        vad_overlap(vm_vads(p), vm_start >> 12, (vm_end >> 12) - 1)) {
        (void)vm_done(m, VML_OK);
        return VML_ENOMEM;
    }
    struct vad *v = vm_vad_alloc(m);
    if (v == NULL) {
        (void)vm_done(m, VML_OK);
        return VML_ENOMEM;
    }
    vm_reserve(p, v, vm_start, n_pages, VML_PAGE_READWRITE, VML_ORIGIN_POSIX, 1);
    v->prot = VML_PROT_READ | VML_PROT_WRITE;
    v->map_flags = VML_MAP_PRIVATE | VML_MAP_ANONYMOUS | VML_MAP_GROWSDOWN;
    v->inherit = VAD_INHERIT_COPY;
    v->usage = VML_USAGE_STACK;
    snprintf(v->name, sizeof v->name, "[stack]");
    /* the kernel writes the pages it fills (they are resident, as Linux's) */
    struct umem um;
    um_init(&um, p, SZ);
    if (um_probe(&um, start_stack, vm_end - start_stack) != 0) {
        vm_release(p, v);
        (void)vm_done(m, VML_OK);
        return VML_ENOMEM;
    }
    uint8_t rnd[16];
    aslr_linux_random_bytes(m, rnd);
    um_wptr(&um, vm_end - SZ, 0);
    put_str(&um, info.execfn, execfn);
    vml_va at = info.arg_start;
    for (size_t i = 0; i < d.argc; i++) {
        put_str(&um, at, d.argv[i]);
        um_wptr(&um, info.argv + i * SZ, at);
        at += strlen(d.argv[i]) + 1;
    }
    info.arg_end = at;
    for (size_t i = 0; i < d.envc; i++) {
        put_str(&um, at, d.envp[i]);
        um_wptr(&um, info.envp + i * SZ, at);
        at += strlen(d.envp[i]) + 1;
    }
    info.env_end = at;
    um_wptr(&um, info.argv + d.argc * SZ, 0);
    um_wptr(&um, info.envp + d.envc * SZ, 0);
    um_wptr(&um, start_stack, d.argc);
    put_str(&um, info.platform, platform);
    um_write(&um, info.random, rnd, sizeof rnd);
    const uint64_t aux[22][2] = {
        { AT_MINSIGSTKSZ, 3632 }, { AT_HWCAP, 0x1f8bfbff }, { AT_PAGESZ, PAGE },
        { AT_CLKTCK, 100 }, { AT_PHDR, d.phdr }, { AT_PHENT, d.phent ? d.phent : c32 ? 32 : 56 },
        { AT_PHNUM, d.phnum }, { AT_BASE, d.interp_base }, { AT_FLAGS, 0 },
        { AT_ENTRY, d.entry }, { AT_UID, 0 }, { AT_EUID, 0 }, { AT_GID, 0 }, { AT_EGID, 0 },
        { AT_SECURE, 0 }, { AT_RANDOM, info.random }, { AT_HWCAP2, 2 },
        { AT_EXECFN, info.execfn }, { AT_PLATFORM, info.platform },
        { AT_RSEQ_FEATURE_SIZE, 28 }, { AT_RSEQ_ALIGN, 32 }, { AT_NULL, 0 },
    };
    for (unsigned i = 0; i < n_aux; i++) {
        um_wptr(&um, info.auxv + 2 * i * SZ, aux[i][0]);
        um_wptr(&um, info.auxv + (2 * i + 1) * SZ, aux[i][1]);
    }
    if (um.failed) {
        vm_release(p, v);
        (void)vm_done(m, VML_OK);
        return VML_ENOMEM;
    }
    /* the records (mm_struct) and the brk, after the image */
    os->mmap_base = mmap_base;
    os->stack_rlimit = rlimit;
    os->start_stack = start_stack;
    os->arg_start = info.arg_start;
    os->arg_end = info.arg_end;
    os->env_start = info.env_start;
    os->env_end = info.env_end;
    if (d.image_end) {
        os->start_brk = os->brk = aslr_linux_brk(m, d.image_end, c32);
        os->brk_set = 1;
    } else {
        brk_ensure(p);
    }
    info.stack_start = vm_start;
    info.stack_end = vm_end;
    info.start_brk = os->start_brk;
    info.mmap_base = os->mmap_base;
    if (out)
        *out = info;
    os_check_install(m);
    (void)vm_done(m, VML_OK);
    return 0;
}

vml_status vml_posix_process_get(vml_proc *p, vml_posix_process_info *out)
{
    if (p == NULL || out == NULL)
        return VML_E_INVALID;
    const struct vm_osproc *os = vm_os(p);
    memset(out, 0, sizeof *out);
    if (!os->start_stack && !os->brk_set)
        return vm_fail(vml_proc_machine(p), VML_E_NOT_FOUND, "process '%s' has no posix "
                       "environment (no stack, no brk)", vml_proc_name(p));
    out->sp = os->start_stack;
    out->arg_start = os->arg_start;
    out->arg_end = os->arg_end;
    out->env_start = os->env_start;
    out->env_end = os->env_end;
    out->start_brk = os->start_brk;
    out->mmap_base = os->mmap_base ? os->mmap_base : vm_layout(vml_proc_machine(p))->mmap_base;
    for (struct vad *v = vad_first(vm_vads(p)); v; v = vad_next(v))
        if (v->usage == VML_USAGE_STACK && v->origin == VML_ORIGIN_POSIX) {
            out->stack_start = v->start_vpn << 12;
            out->stack_end = (v->end_vpn + 1) << 12;
        }
    return VML_OK;
}
