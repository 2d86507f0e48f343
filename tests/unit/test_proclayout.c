/*
** test_proclayout.c -- the process around a program: CreateProcess builds
** the Win32 environment for its image (PEB, process parameters, the main
** thread's TEB and stack, the process heap: os/win32_proc.c) and execve
** the Linux one (the main stack with argv, envp and the auxiliary vector,
** the brk after the image, the mmap base: os/posix_proc.c), each placed
** by ASLR from the seed.  Exact values where the machine is deterministic:
** aslr=off gives what Linux's setarch -R gives on this machine for
** /bin/cat (the PIE at 0x555555554000, its [heap] right after it, the
** interpreter below 0x7ffff7fff000).
*/
#include <unistd.h>
#include "ld_testutil.h"
#include "testutil.h"

#define WIN64_DIR LD_IMAGES "/win64"
#define CAT       "/bin/cat"
#define PG        UINT64_C(0x1000)

static vml_machine *machine_with(uint64_t seed, unsigned flags)
{
    vml_config cfg;
    vml_config_default(&cfg);
    cfg.ram_bytes = MB(64);
    cfg.seed = seed;
    cfg.flags |= flags;
    cfg.files_path = WIN64_DIR;
    return new_machine_cfg(&cfg);
}

static uint64_t rd(vml_proc *p, vml_va va, unsigned width)
{
    uint8_t b[8] = {0};
    vml_exception ex;
    assert_int_equal(VML_OK, vml_mem_read(p, 0, va, b, width, &ex));
    uint64_t v = 0;
    for (unsigned i = 0; i < width; i++)
        v |= (uint64_t)b[i] << (8 * i);
    return v;
}

static void rd_str(vml_proc *p, vml_va va, char *out, size_t size)
{
    vml_exception ex;
    assert_int_equal(VML_OK, vml_mem_read(p, 0, va, out, size - 1, &ex));
    out[size - 1] = '\0';
}

static vml_proc *create_process(vml_machine *m, const char *name, const char *path)
{
    vml_proc *p = NULL;
    uint32_t e = vml_win_CreateProcess(m, name, path, 0, &p);
    if (e != 0)
        fail_msg("CreateProcess %s: %u: %s", path, e, vml_last_error(m));
    return p;
}

static vml_proc *exec(vml_machine *m, const char *name, const char *const *argv, size_t argc)
{
    vml_proc *p = NULL;
    int e = vml_posix_execve_args(m, name, CAT, argv, argc, NULL, 0, &p);
    if (e != 0)
        fail_msg("execve %s: %d: %s", CAT, e, vml_last_error(m));
    return p;
}

static vml_va module(vml_proc *p, const char *name)
{
    vml_va base = 0;
    assert_int_equal(0, vml_win_GetModuleHandle(p, name, &base));
    return base;
}

/* ---- Windows ---------------------------------------------------------------------------- */

/* peexe.exe (mingw-w64, PE32+): SizeOfStackReserve 2 MiB, commit 4 KiB;
** SizeOfHeapReserve 1 MiB, commit 4 KiB (ld's defaults). */
static void createprocess_builds_the_environment_of_its_image(void **state)
{
    (void)state;
    vml_machine *m = machine_with(3, 0);
    vml_proc *p = create_process(m, "A", "peexe.exe");
    vml_peb_info peb;
    vml_teb_info teb;
    assert_int_equal(VML_OK, vml_peb_get(p, &peb));
    assert_int_equal(8, peb.ptr_size);
    assert_int_equal(module(p, NULL), peb.image_base);
    assert_string_equal("peexe.exe", peb.image_path);
    assert_string_equal("peexe.exe", peb.command_line);
    assert_int_equal(1, peb.number_of_heaps);
    assert_int_equal(peb.process_heap, rd(p, peb.process_heaps, 8));
    assert_int_equal(VML_OK, vml_teb_get(p, 0, &teb));
    assert_int_equal(teb.address, teb.self);
    assert_int_equal(peb.address, teb.peb);
    assert_int_equal(vml_proc_pid(p), teb.client_pid);
    assert_int_equal(MB(2), teb.stack_base - teb.deallocation_stack);
    assert_int_equal(PG, teb.stack_base - teb.stack_limit);
    /* the heap's VAD: 1 MiB reserved, its first page committed */
    vml_mbi mbi;
    assert_int_equal(0, vml_win_VirtualQuery(p, peb.process_heap, &mbi));
    assert_int_equal(PG, mbi.RegionSize);
    assert_int_equal(VML_MEM_COMMIT, mbi.State);
    assert_int_equal(0, vml_win_VirtualQuery(p, peb.process_heap + PG, &mbi));
    assert_int_equal(VML_MEM_RESERVE, mbi.State);
    assert_int_equal(MB(1) - PG, mbi.RegionSize);
    /* a second thread's stack reserves what the image asks for too */
    unsigned tid;
    assert_int_equal(0, vml_win_CreateThread(p, 0, 0, &tid));
    assert_int_equal(VML_OK, vml_teb_get(p, tid, &teb));
    assert_int_equal(MB(2), teb.stack_base - teb.deallocation_stack);
    tu_assert_eq(VML_OK, vml_machine_check(m));
    vml_machine_destroy(m);
}

/* A PE32 image gets a PEB32 and TEB32 (the 32-bit ones of a WoW64 process). */
static void a_pe32_process_has_32_bit_blocks(void **state)
{
    (void)state;
    vml_config cfg;
    vml_config_default(&cfg);
    cfg.ram_bytes = MB(32);
    cfg.files_path = LD_IMAGES;
    vml_machine *m = new_machine_cfg(&cfg);
    vml_proc *p = create_process(m, "A", "peexe32.exe");
    vml_peb_info peb;
    vml_teb_info teb;
    assert_int_equal(VML_OK, vml_peb_get(p, &peb));
    assert_int_equal(4, peb.ptr_size);
    assert_true(peb.address < UINT64_C(0x80000000));
    assert_int_equal(VML_OK, vml_teb_get(p, 0, &teb));
    assert_int_equal(UINT32_MAX, teb.exception_list);      /* the end of the SEH chain */
    assert_int_equal(module(p, NULL), peb.image_base);
    tu_assert_eq(VML_OK, vml_machine_check(m));
    vml_machine_destroy(m);
}

struct win_layout { vml_va image, peb, teb, stack, heap; };

static struct win_layout win_layout(uint64_t seed, unsigned flags)
{
    vml_machine *m = machine_with(seed, flags);
    vml_proc *p = create_process(m, "A", "peexe.exe");
    vml_peb_info peb;
    vml_teb_info teb;
    assert_int_equal(VML_OK, vml_peb_get(p, &peb));
    assert_int_equal(VML_OK, vml_teb_get(p, 0, &teb));
    struct win_layout l = { peb.image_base, peb.address, teb.address, teb.deallocation_stack,
                            peb.process_heap };
    vml_machine_destroy(m);
    return l;
}

static void createprocess_layout_follows_the_seed(void **state)
{
    (void)state;
    struct win_layout a = win_layout(11, 0), b = win_layout(11, 0), c = win_layout(12, 0);
    assert_memory_equal(&a, &b, sizeof a);
    assert_true(a.image != c.image);
    assert_true(a.peb != c.peb);
    assert_true(a.stack != c.stack);
    assert_true(a.heap != c.heap);
    /* aslr=off: the image at its preferred base, the PEB at its fixed
    ** place, TEB below it, stack and heap first fit from 64 KiB (after
    ** the process parameters) */
    struct win_layout off = win_layout(11, VML_CFG_NO_ASLR);
    assert_int_equal(UINT64_C(0x140000000), off.image);
    assert_int_equal(UINT64_C(0x7FFFFFFDF000), off.peb);
    assert_int_equal(UINT64_C(0x7FFFFFFDD000), off.teb);
    assert_int_equal(0x20000, off.stack);
    assert_int_equal(0x220000, off.heap);
}

/* ---- Linux ------------------------------------------------------------------------------ */

/* auxv entry `type` of p's main stack */
static uint64_t auxv(vml_proc *p, vml_va at, uint64_t type)
{
    for (;; at += 16) {
        uint64_t t = rd(p, at, 8);
        if (t == type || t == 0)
            return t == type ? rd(p, at + 8, 8) : UINT64_MAX;
    }
}

static vml_va module_named(vml_proc *p, const char *part)
{
    vml_module_info mi;
    for (vml_va from = 0; vml_module_next(p, from, &mi) == VML_OK; from = mi.base + 1)
        if (strstr(mi.name, part))
            return mi.base;
    fail_msg("no module %s", part);
    return 0;
}

/* With aslr=off, the values setarch -R shows for /bin/cat on this machine:
** AT_PHDR 0x555555554040, the brk at 0x555555560000 (after .bss), the
** interpreter's base (AT_BASE) 0x7ffff7fca000 below mmap_base. */
static void execve_lays_out_argv_and_the_auxv(void **state)
{
    (void)state;
    vml_machine *m = machine_with(1, VML_CFG_NO_ASLR);
    const char *argv[] = { CAT, "-n", "/proc/self/maps" };
    vml_proc *p = exec(m, "A", argv, 3);
    vml_posix_process_info pi;
    char s[32];
    assert_int_equal(VML_OK, vml_posix_process_get(p, &pi));
    assert_int_equal(3, rd(p, pi.sp, 8));                       /* argc */
    vml_va av = pi.sp + 8;
    for (int i = 0; i < 3; i++) {
        rd_str(p, rd(p, av + 8 * i, 8), s, strlen(argv[i]) + 2);
        assert_string_equal(argv[i], s);
    }
    assert_int_equal(0, rd(p, av + 24, 8));                     /* argv[3] */
    assert_int_equal(0, rd(p, av + 32, 8));                     /* envp[0] */
    vml_va aux = av + 40;
    assert_int_equal(UINT64_C(0x555555554040), auxv(p, aux, 3));   /* AT_PHDR */
    assert_int_equal(56, auxv(p, aux, 4));                      /* AT_PHENT */
    assert_int_equal(module_named(p, "ld-linux"), auxv(p, aux, 7));   /* AT_BASE */
    assert_int_equal(UINT64_C(0x7ffff7fca000) >> 16, auxv(p, aux, 7) >> 16);
    assert_int_equal(4096, auxv(p, aux, 6));                    /* AT_PAGESZ */
    rd_str(p, auxv(p, aux, 31), s, sizeof CAT + 1);             /* AT_EXECFN */
    assert_string_equal(CAT, s);
    /* the brk after the image, the mmap base of randomize_va_space=0 */
    assert_int_equal(UINT64_C(0x555555560000), pi.start_brk);
    assert_int_equal(UINT64_C(0x7FFFF7FFF000), pi.mmap_base);
    assert_int_equal(UINT64_C(0x7FFFFFFF0000), pi.stack_end);
    assert_int_equal(UINT64_C(0x21000), pi.stack_end - pi.stack_start);
    /* malloc's first sbrk: [heap] 132 KiB from the brk, as glibc leaves it */
    vml_va ptr, brk;
    assert_int_equal(0, vml_posix_malloc(p, 16, &ptr));
    assert_true(ptr > pi.start_brk && ptr < pi.start_brk + PG);
    assert_int_equal(0, vml_posix_brk(p, 0, &brk));
    assert_int_equal(UINT64_C(0x555555581000), brk);
    tu_assert_eq(VML_OK, vml_machine_check(m));
    vml_machine_destroy(m);
}

struct lx_layout { vml_va exe, interp, sp, brk, mmap_base, stack_end; };

static struct lx_layout lx_layout(vml_machine *m, const char *name)
{
    const char *argv[] = { CAT };
    vml_proc *p = exec(m, name, argv, 1);
    vml_posix_process_info pi;
    assert_int_equal(VML_OK, vml_posix_process_get(p, &pi));
    struct lx_layout l = { module_named(p, "cat"), module_named(p, "ld-linux"), pi.sp,
                           pi.start_brk, pi.mmap_base, pi.stack_end };
    return l;
}

/* Linux randomizes per exec: two processes of one machine differ, one
** seed gives the same two, and every draw stays in its x86-64 range. */
static void execve_layout_is_drawn_per_exec(void **state)
{
    (void)state;
    vml_machine *m = machine_with(21, 0), *n = machine_with(21, 0);
    struct lx_layout a = lx_layout(m, "A"), b = lx_layout(m, "B");
    struct lx_layout a2 = lx_layout(n, "A"), b2 = lx_layout(n, "B");
    assert_memory_equal(&a, &a2, sizeof a);
    assert_memory_equal(&b, &b2, sizeof b);
    assert_true(a.exe != b.exe && a.interp != b.interp && a.sp != b.sp);
    assert_true(a.brk != b.brk && a.mmap_base != b.mmap_base && a.stack_end != b.stack_end);
    const struct lx_layout *ls[] = { &a, &b };
    for (int i = 0; i < 2; i++) {
        const struct lx_layout *l = ls[i];
        /* ELF_ET_DYN_BASE + 28 bits of pages; brk within 1 GiB from a page
        ** after the image (its end: 0xc000 past the base for cat); mmap_base below
        ** the 8 MiB + 1 MiB gap and 16 GiB of stack randomization, by up
        ** to 2^28 pages; the interpreter right below it */
        assert_true(l->exe >= UINT64_C(0x555555554000) &&
                    l->exe < UINT64_C(0x555555554000) + (UINT64_C(1) << 40));
        assert_true(l->brk >= l->exe + 0xd000 && l->brk < l->exe + 0xd000 + (UINT64_C(1) << 30));
        assert_true(l->mmap_base <= UINT64_C(0x7FFFFFFFF000) - UINT64_C(0x4008FF000));
        assert_true(l->mmap_base > UINT64_C(0x7FFFFFFFF000) - UINT64_C(0x4008FF000) -
                                   (UINT64_C(1) << 40));
        assert_true(l->interp < l->mmap_base && l->interp > l->mmap_base - MB(1));
        assert_true(l->stack_end <= UINT64_C(0x7FFFFFFF0000) &&
                    l->stack_end > UINT64_C(0x7FFFFFFF0000) - (UINT64_C(1) << 34) - 0x3000);
        assert_int_equal(0, l->sp & 15);
    }
    tu_assert_eq(VML_OK, vml_machine_check(m));
    vml_machine_destroy(m);
    vml_machine_destroy(n);
}

/* Strings past the limit (one of more than MAX_ARG_STRLEN, 128 KiB): E2BIG,
** and no process is left; a NULL string: EINVAL. */
static void execve_refuses_what_linux_refuses(void **state)
{
    (void)state;
    vml_machine *m = machine_with(1, 0);
    vml_proc *p = NULL;
    char *big = malloc(MB(1) / 8 + 2);
    assert_non_null(big);
    memset(big, 'x', MB(1) / 8 + 1);
    big[MB(1) / 8 + 1] = '\0';
    const char *argv[] = { CAT, big };
    assert_int_equal(VML_E2BIG, vml_posix_execve_args(m, "A", CAT, argv, 2, NULL, 0, &p));
    assert_null(vml_proc_find(m, "A"));
    assert_non_null(strstr(vml_last_error(m), "stack's limit"));
    const char *nul[] = { CAT, NULL };
    assert_int_equal(VML_EINVAL, vml_posix_execve_args(m, "A", CAT, nul, 2, NULL, 0, &p));
    assert_int_equal(VML_EINVAL, vml_posix_execve_args(m, "A", CAT, NULL, 1, NULL, 0, &p));
    assert_int_equal(0, vml_proc_count(m));
    /* the same string just under the limit goes */
    big[MB(1) / 8 - 1] = '\0';
    assert_int_equal(0, vml_posix_execve_args(m, "A", CAT, argv, 2, NULL, 0, &p));
    free(big);
    tu_assert_eq(VML_OK, vml_machine_check(m));
    vml_machine_destroy(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(createprocess_builds_the_environment_of_its_image),
        cmocka_unit_test(a_pe32_process_has_32_bit_blocks),
        cmocka_unit_test(createprocess_layout_follows_the_seed),
        cmocka_unit_test(execve_lays_out_argv_and_the_auxv),
        cmocka_unit_test(execve_layout_is_drawn_per_exec),
        cmocka_unit_test(execve_refuses_what_linux_refuses),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
