/*
** test_procsetup.c -- what CreateProcess and execve build (os/win32_proc.c,
** os/posix_proc.c): the PEB and TEB fields at their real offsets, the
** process parameters' strings, the posix main stack laid out as Linux's
** create_elf_tables() lays it out (checked on this machine: env -i X=1
** setarch -R ./sp a bb, a program printing where argv, environ and the
** auxv strings are), and setups that fail leaving nothing.
*/
#include "testutil.h"

static void up(struct rig *r, vml_paging paging)
{
    vml_config cfg;
    vml_config_default(&cfg);
    cfg.ram_bytes = MB(16);
    cfg.paging = paging;
    cfg.flags |= VML_CFG_NO_ASLR;
    rig_up_cfg(r, &cfg);
}

static uint64_t rd64(vml_proc *p, vml_va va)
{
    uint64_t v = 0;
    assert_int_equal(VML_OK, vml_mem_read(p, 0, va, &v, 8, NULL));
    return v;
}

static uint32_t rd32(vml_proc *p, vml_va va)
{
    uint32_t v = 0;
    assert_int_equal(VML_OK, vml_mem_read(p, 0, va, &v, 4, NULL));
    return v;
}

/* PEB64: ImageBaseAddress +0x10, ProcessParameters +0x20, ProcessHeap
** +0x30, NumberOfHeaps +0xe8, ProcessHeaps +0xf0; TEB64: StackBase +8,
** StackLimit +0x10, Self +0x30, ClientId +0x40, PEB +0x60,
** DeallocationStack +0x1478. */
static void peb64_and_teb64_fields_are_where_windows_has_them(void **state)
{
    struct rig *r = *state;
    up(r, VML_PAGING_4LEVEL);
    vml_win_process_params wp = { .image_base = 0x140000000, .image_path = "C:\\x\\app.exe",
                                  .command_line = "app.exe -v", .stack_reserve = 0x40000,
                                  .stack_commit = 0x2000, .heap_reserve = 0x200000 };
    assert_int_equal(0, vml_win_process_setup(r->p, &wp));
    vml_peb_info pi;
    vml_thread_info t;
    assert_int_equal(VML_OK, vml_peb_get(r->p, &pi));
    assert_int_equal(1, vml_thread_list(r->p, &t, 1));
    vml_va peb = pi.address, teb = t.teb;
    assert_int_equal(0x140000000, rd64(r->p, peb + 0x10));
    assert_int_equal(pi.process_parameters, rd64(r->p, peb + 0x20));
    assert_int_equal(pi.process_heap, rd64(r->p, peb + 0x30));
    assert_int_equal(1, rd32(r->p, peb + 0xe8));
    assert_int_equal(peb + 0x380, rd64(r->p, peb + 0xf0));
    assert_int_equal(pi.process_heap, rd64(r->p, peb + 0x380));
    assert_string_equal("C:\\x\\app.exe", pi.image_path);
    assert_string_equal("app.exe -v", pi.command_line);
    assert_int_equal(t.stack_base, rd64(r->p, teb + 0x8));
    assert_int_equal(t.stack_base - 0x2000, rd64(r->p, teb + 0x10));
    assert_int_equal(teb, rd64(r->p, teb + 0x30));
    assert_int_equal(vml_proc_pid(r->p), rd64(r->p, teb + 0x40));
    assert_int_equal(t.tid, rd64(r->p, teb + 0x48));
    assert_int_equal(peb, rd64(r->p, teb + 0x60));
    assert_int_equal(t.stack_alloc, rd64(r->p, teb + 0x1478));
    assert_int_equal(0x40000, t.stack_base - t.stack_alloc);
    vml_heap_info hi;
    assert_int_equal(VML_OK, vml_heap_info_get(r->p, pi.process_heap, &hi));
    assert_int_equal(0x200000, hi.reserved);
    /* a second setup is refused */
    assert_int_equal(VML_ERROR_INVALID_PARAMETER, vml_win_process_setup(r->p, NULL));
}

/* PEB32 / TEB32 on a 32-bit machine: ProcessHeap +0x18, StackLimit +8,
** the SEH chain's end (-1) in ExceptionList. */
static void peb32_and_teb32_fields(void **state)
{
    struct rig *r = *state;
    up(r, VML_PAGING_PAE);
    assert_int_equal(0, vml_win_process_setup(r->p, NULL));
    vml_peb_info pi;
    vml_teb_info ti;
    assert_int_equal(VML_OK, vml_peb_get(r->p, &pi));
    assert_int_equal(VML_OK, vml_teb_get(r->p, 0, &ti));
    assert_int_equal(4, pi.ptr_size);
    assert_int_equal(pi.process_heap, rd32(r->p, pi.address + 0x18));
    assert_int_equal(0xFFFFFFFF, rd32(r->p, ti.address));
    assert_int_equal(ti.stack_limit, rd32(r->p, ti.address + 0x8));
    assert_int_equal(pi.address, rd32(r->p, ti.address + 0x30));
    assert_int_equal(ti.deallocation_stack, rd32(r->p, ti.address + 0xe0c));
}

static void rd_str(vml_proc *p, vml_va va, char *buf, size_t n)
{
    assert_int_equal(VML_OK, vml_mem_read(p, 0, va, buf, n, NULL));
}

/* The stack from its top down, as Linux lays it out (offsets from the top
** measured on this machine for argv {"./sp", "a", "bb"}, envp {"X=1"}:
** execfn 0xd, env 0x11, argv[0] 0x1b, platform 0x27, AT_RANDOM 0x37; argc
** at 0x1e0 there, 0x1d0 here: vmlab has no vDSO, so no AT_SYSINFO_EHDR). */
static void the_posix_stack_is_laid_out_as_linux_does(void **state)
{
    struct rig *r = *state;
    up(r, VML_PAGING_4LEVEL);
    const char *argv[] = { "./sp", "a", "bb" }, *envp[] = { "X=1" };
    vml_posix_process_params pp = { .argv = argv, .argc = 3, .envp = envp, .envc = 1,
                                    .entry = 0x555555555040, .phdr = 0x555555554040,
                                    .phnum = 13, .interp_base = 0x7ffff7fc3000,
                                    .image_end = 0x555555559008 };
    vml_posix_process_info xi;
    assert_int_equal(0, vml_posix_process_setup(r->p, &pp, &xi));
    vml_va top = xi.stack_end;
    assert_int_equal(UINT64_C(0x7FFFFFFF0000), top);
    assert_int_equal(top - 0xd, xi.execfn);
    assert_int_equal(top - 0x11, xi.env_start);
    assert_int_equal(top - 0x1b, xi.arg_start);
    assert_int_equal(top - 0x27, xi.platform);
    assert_int_equal(top - 0x37, xi.random);
    assert_int_equal(top - 0x1d0, xi.sp);
    assert_int_equal(0x555555559000 + 0x1000, xi.start_brk);   /* the page after the bss */
    assert_int_equal(top - 0x21000, xi.stack_start);           /* one page and 128 KiB */
    char buf[16];
    assert_int_equal(3, rd64(r->p, xi.sp));
    assert_int_equal(xi.arg_start, rd64(r->p, xi.sp + 8));
    assert_int_equal(0, rd64(r->p, xi.sp + 32));               /* argv[3] */
    assert_int_equal(xi.env_start, rd64(r->p, xi.sp + 40));
    assert_int_equal(0, rd64(r->p, xi.sp + 48));               /* envp[1] */
    rd_str(r->p, rd64(r->p, xi.sp + 24), buf, 3);
    assert_string_equal("bb", buf);
    rd_str(r->p, xi.platform, buf, 7);
    assert_string_equal("x86_64", buf);
    rd_str(r->p, xi.execfn, buf, 5);
    assert_string_equal("./sp", buf);
    /* the auxv: pairs after envp's NULL, AT_NULL last */
    vml_va aux = xi.sp + 56;
    uint64_t seen = 0;
    for (int i = 0; i < 40; i++, aux += 16) {
        uint64_t type = rd64(r->p, aux), val = rd64(r->p, aux + 8);
        if (type == 0)
            break;
        switch (type) {
        case 3:  assert_int_equal(0x555555554040, val); seen |= 1; break;    /* AT_PHDR */
        case 4:  assert_int_equal(56, val); seen |= 2; break;                /* AT_PHENT */
        case 5:  assert_int_equal(13, val); seen |= 4; break;                /* AT_PHNUM */
        case 6:  assert_int_equal(4096, val); seen |= 8; break;              /* AT_PAGESZ */
        case 7:  assert_int_equal(0x7ffff7fc3000, val); seen |= 16; break;   /* AT_BASE */
        case 9:  assert_int_equal(0x555555555040, val); seen |= 32; break;   /* AT_ENTRY */
        case 25: assert_int_equal(xi.random, val); seen |= 64; break;        /* AT_RANDOM */
        case 31: assert_int_equal(xi.execfn, val); seen |= 128; break;       /* AT_EXECFN */
        case 15: assert_int_equal(xi.platform, val); seen |= 256; break;     /* AT_PLATFORM */
        default: break;
        }
    }
    assert_int_equal(511, seen);
    assert_true(aux + 16 <= xi.random);          /* the auxv ends below the strings */
}

/* bprm_stack_limits: strings past a quarter of RLIMIT_STACK (at least
** 128 KiB) are E2BIG; one string past 32 pages too.  Nothing is left. */
static void too_many_argument_bytes_are_e2big(void **state)
{
    struct rig *r = *state;
    up(r, VML_PAGING_4LEVEL);
    static char big[33 * 4096];
    memset(big, 'a', sizeof big - 1);
    const char *argv[] = { "x", big };
    vml_posix_process_params pp = { .argv = argv, .argc = 2 };
    size_t vads = vml_vad_count(r->p);
    assert_int_equal(VML_E2BIG, vml_posix_process_setup(r->p, &pp, NULL));
    assert_int_equal(vads, vml_vad_count(r->p));
    big[31 * 4096] = 0;                         /* 31 pages: fits one string */
    pp.stack_rlimit = MB(1);                    /* a quarter is 256 KiB */
    assert_int_equal(0, vml_posix_process_setup(r->p, &pp, NULL));
    assert_int_equal(VML_EINVAL, vml_posix_process_setup(r->p, &pp, NULL));
}

/* A Win32 setup that cannot be done leaves the process as it was. */
static void a_failed_win32_setup_leaves_nothing(void **state)
{
    struct rig *r = *state;
    vml_config cfg;
    vml_config_default(&cfg);
    cfg.ram_bytes = MB(1);
    cfg.flags |= VML_CFG_NO_ASLR;
    rig_up_cfg(r, &cfg);
    vml_win_process_params wp = { .heap_commit = MB(2), .heap_reserve = MB(4) };
    size_t vads = vml_vad_count(r->p);
    uint64_t commit = proc_stat(r->p, "private_bytes");
    assert_true(vml_win_process_setup(r->p, &wp) != 0);
    assert_int_equal(vads, vml_vad_count(r->p));
    assert_int_equal(commit, proc_stat(r->p, "private_bytes"));
    vml_peb_info pi;
    assert_int_equal(VML_E_NOT_FOUND, vml_peb_get(r->p, &pi));
    assert_int_equal(0, vml_thread_list(r->p, NULL, 0));
    assert_int_equal(0, vml_win_process_setup(r->p, NULL));   /* a smaller one fits */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(peb64_and_teb64_fields_are_where_windows_has_them,
                                        rig_setup_empty, rig_teardown),
        cmocka_unit_test_setup_teardown(peb32_and_teb32_fields, rig_setup_empty, rig_teardown),
        cmocka_unit_test_setup_teardown(the_posix_stack_is_laid_out_as_linux_does,
                                        rig_setup_empty, rig_teardown),
        cmocka_unit_test_setup_teardown(too_many_argument_bytes_are_e2big,
                                        rig_setup_empty, rig_teardown),
        cmocka_unit_test_setup_teardown(a_failed_win32_setup_leaves_nothing,
                                        rig_setup_empty, rig_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
