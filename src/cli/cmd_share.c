/*
** cmd_share.c -- handlers of the commands of shared memory: the machine's
** files (file, filecheck), Win32 files and sections (CreateFile,
** CreateFileMapping, OpenFileMapping, MapViewOfFile, UnmapViewOfFile,
** FlushViewOfFile, CloseHandle), posix files, msync, madvise and fork, and
** the views !ca, smaps, pmap, meminfo and free.
**
** As in cmd_mem.c: every argument is evaluated and checked first (CLI1),
** then the library is called; a Win32 error or an errno is a result, not
** a script error.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* Win32 results: a value on success; ERROR_ALREADY_EXISTS is a success
** that says so (CreateFileMapping of an existing name, CreateFile's
** *_ALWAYS on an existing file). */
static void win32_value(struct result *res, uint32_t e, uint64_t v)
{
    if (e == VML_ERROR_ALREADY_EXISTS) {
        value_set_num(&res->val, v);
        snprintf(res->note, sizeof res->note, "ERROR_ALREADY_EXISTS: it existed");
        return;
    }
    if (e != 0) {
        result_win32(res, e);
        return;
    }
    value_set_num(&res->val, v);
}

static void errno_value(struct result *res, int err, uint64_t v, int has_value)
{
    if (err != 0) {
        res->fail = FAIL_ERRNO;
        res->err = err;
    } else if (has_value) {
        value_set_num(&res->val, v);
    }
}

/* ---- the machine's files -------------------------------------------------------- */

/* file NAME SIZE [SEED] */
CLI_HANDLER(h_file)
{
    char *name = NULL;
    uint64_t size = 0, seed = 0;
    if (arg_file_name(in, argv[0], "NAME", &name) || arg_size(in, argv[1], "SIZE", &size) ||
        (argc > 2 && arg_num(in, argv[2], "SEED", &seed))) {
        free(name);
        return RC_ERROR;
    }
    if (in->max_ram != 0 && size > in->max_ram) {     /* the fuzz target's disk */
        free(name);
        return cli_error(in, "file: at most %lluK in this run",
                         (unsigned long long)(in->max_ram >> 10));
    }
    enum rc rc = lib_status(in, vml_file_create(in->m, name, size, seed, argc > 2), res);
    free(name);
    return rc;
}

/* filecheck NAME OFFSET LEN SEED: value: bytes that differ */
CLI_HANDLER(h_filecheck)
{
    char *name = NULL;
    uint64_t off = 0, len = 0, seed = 0, bad = 0;
    (void)argc;
    if (arg_file_name(in, argv[0], "NAME", &name) || arg_num(in, argv[1], "OFFSET", &off) ||
        arg_num(in, argv[2], "LEN", &len) || arg_num(in, argv[3], "SEED", &seed)) {
        free(name);
        return RC_ERROR;
    }
    vml_status st = vml_file_check(in->m, name, off, len, seed, &bad);
    free(name);
    if (st != VML_OK)
        return lib_status(in, st, res);
    value_set_num(&res->val, bad);
    snprintf(res->note, sizeof res->note, "%llu byte%s differ%s", (unsigned long long)bad,
             bad == 1 ? "" : "s", bad == 1 ? "s" : "");
    return RC_OK;
}

/* ---- Win32 files and sections ----------------------------------------------------- */

/* CreateFile PROCESS NAME ACCESS DISPOSITION */
CLI_HANDLER(h_createfile)
{
    vml_proc *p;
    char *name = NULL;
    uint32_t access = 0, disp = 0;
    vml_handle h = 0;
    (void)argc;
    if (arg_proc(in, argv[0], &p) || arg_file_name(in, argv[1], "NAME", &name) ||
        arg_u32(in, argv[2], "ACCESS", &access) || arg_u32(in, argv[3], "DISPOSITION", &disp)) {
        free(name);
        return RC_ERROR;
    }
    uint32_t e = vml_win_CreateFile(p, name, access, disp, &h);
    win32_value(res, e, h);
    free(name);
    return RC_OK;
}

/* CreateFileMapping PROCESS FILE PROTECT SIZE [NAME] */
CLI_HANDLER(h_createfilemapping)
{
    vml_proc *p;
    uint64_t file = 0, size = 0;
    uint32_t protect = 0;
    char *name = NULL;
    vml_handle h = 0;
    if (arg_proc(in, argv[0], &p) || arg_num(in, argv[1], "FILE", &file) ||
        arg_u32(in, argv[2], "PROTECT", &protect) || arg_num(in, argv[3], "SIZE", &size) ||
        (argc > 4 && arg_name(in, argv[4], "NAME", &name))) {
        free(name);
        return RC_ERROR;
    }
    uint32_t e = vml_win_CreateFileMapping(p, file, protect, size, name, &h);
    win32_value(res, e, h);
    free(name);
    return RC_OK;
}

/* OpenFileMapping PROCESS ACCESS NAME */
CLI_HANDLER(h_openfilemapping)
{
    vml_proc *p;
    uint32_t access = 0;
    char *name = NULL;
    vml_handle h = 0;
    (void)argc;
    if (arg_proc(in, argv[0], &p) || arg_u32(in, argv[1], "ACCESS", &access) ||
        arg_name(in, argv[2], "NAME", &name)) {
        free(name);
        return RC_ERROR;
    }
    uint32_t e = vml_win_OpenFileMapping(p, access, name, &h);
    win32_value(res, e, h);
    free(name);
    return RC_OK;
}

/* MapViewOfFile PROCESS SECTION ACCESS OFFSET SIZE [ADDRESS] */
CLI_HANDLER(h_mapview)
{
    vml_proc *p;
    uint64_t section = 0, off = 0, size = 0, base = 0;
    uint32_t access = 0;
    vml_va va = 0;
    if (arg_proc(in, argv[0], &p) || arg_num(in, argv[1], "SECTION", &section) ||
        arg_u32(in, argv[2], "ACCESS", &access) || arg_num(in, argv[3], "OFFSET", &off) ||
        arg_num(in, argv[4], "SIZE", &size) ||
        (argc > 5 && arg_num(in, argv[5], "ADDRESS", &base)))
        return RC_ERROR;
    uint32_t e = vml_win_MapViewOfFile(p, section, access, off, size, base, &va);
    win32_value(res, e, va);
    return RC_OK;
}

CLI_HANDLER(h_unmapview)
{
    vml_proc *p;
    uint64_t base = 0;
    (void)argc;
    if (arg_proc(in, argv[0], &p) || arg_num(in, argv[1], "ADDRESS", &base))
        return RC_ERROR;
    result_win32(res, vml_win_UnmapViewOfFile(p, base));
    return RC_OK;
}

CLI_HANDLER(h_flushview)
{
    vml_proc *p;
    uint64_t base = 0, size = 0;
    (void)argc;
    if (arg_proc(in, argv[0], &p) || arg_num(in, argv[1], "ADDRESS", &base) ||
        arg_num(in, argv[2], "SIZE", &size))
        return RC_ERROR;
    result_win32(res, vml_win_FlushViewOfFile(p, base, size));
    return RC_OK;
}

CLI_HANDLER(h_closehandle)
{
    vml_proc *p;
    uint64_t h = 0;
    (void)argc;
    if (arg_proc(in, argv[0], &p) || arg_num(in, argv[1], "HANDLE", &h))
        return RC_ERROR;
    result_win32(res, vml_win_CloseHandle(p, h));
    return RC_OK;
}

/* GetLastError PROCESS: value: the code */
CLI_HANDLER(h_getlasterror)
{
    vml_proc *p;
    (void)argc;
    if (arg_proc(in, argv[0], &p))
        return RC_ERROR;
    value_set_num(&res->val, vml_win_GetLastError(p));
    return RC_OK;
}

/* ---- posix ---------------------------------------------------------------------------- */

/* open PROCESS NAME FLAGS: value: the descriptor */
CLI_HANDLER(h_open)
{
    vml_proc *p;
    char *name = NULL;
    int flags = 0, fd = -1;
    (void)argc;
    if (arg_proc(in, argv[0], &p) || arg_file_name(in, argv[1], "NAME", &name) ||
        arg_int(in, argv[2], "FLAGS", &flags)) {
        free(name);
        return RC_ERROR;
    }
    int err = vml_posix_open(p, name, flags, &fd);
    free(name);
    errno_value(res, err, (uint64_t)fd, 1);
    return RC_OK;
}

CLI_HANDLER(h_close)
{
    vml_proc *p;
    int fd = 0;
    (void)argc;
    if (arg_proc(in, argv[0], &p) || arg_int(in, argv[1], "FD", &fd))
        return RC_ERROR;
    errno_value(res, vml_posix_close(p, fd), 0, 0);
    return RC_OK;
}

CLI_HANDLER(h_msync)
{
    vml_proc *p;
    uint64_t addr = 0, len = 0;
    int flags = 0;
    (void)argc;
    if (arg_proc(in, argv[0], &p) || arg_num(in, argv[1], "ADDRESS", &addr) ||
        arg_num(in, argv[2], "LENGTH", &len) || arg_int(in, argv[3], "FLAGS", &flags))
        return RC_ERROR;
    errno_value(res, vml_posix_msync(p, addr, len, flags), 0, 0);
    return RC_OK;
}

CLI_HANDLER(h_madvise)
{
    vml_proc *p;
    uint64_t addr = 0, len = 0;
    int advice = 0;
    (void)argc;
    if (arg_proc(in, argv[0], &p) || arg_num(in, argv[1], "ADDRESS", &addr) ||
        arg_num(in, argv[2], "LENGTH", &len) || arg_int(in, argv[3], "ADVICE", &advice))
        return RC_ERROR;
    errno_value(res, vml_posix_madvise(p, addr, len, advice), 0, 0);
    return RC_OK;
}

/* fork PARENT CHILD: value: the child's pid */
CLI_HANDLER(h_fork)
{
    vml_proc *p;
    unsigned pid = 0;
    (void)argc;
    if (arg_proc(in, argv[0], &p))
        return RC_ERROR;
    if (vml_proc_find(in->m, argv[1]) != NULL)
        return cli_error(in, "a process named '%s' already exists", argv[1]);
    int err = vml_posix_fork(p, argv[1], &pid);
    errno_value(res, err, pid, 1);
    if (err == 0)
        snprintf(res->note, sizeof res->note, "pid %u", pid);
    return RC_OK;
}

/* ---- views ------------------------------------------------------------------------------ */

CLI_HANDLER(h_view_ca)
{
    vml_proc *p;
    uint64_t addr = 0;
    vml_text t = {0};
    (void)argc;
    if (arg_proc(in, argv[0], &p) || arg_num(in, argv[1], "ADDRESS", &addr))
        return RC_ERROR;
    vml_status st = vml_view_ca(p, addr, in->fmt, &t);
    if (st == VML_E_NOT_FOUND) {
        vml_text_free(&t);
        return cli_error(in, "!ca: %#llx is not in a view of a section",
                         (unsigned long long)addr);
    }
    return emit_view(in, st, &t, res);
}

CLI_HANDLER(h_smaps)
{
    (void)argc;
    return proc_view(in, argv[0], res, vml_view_smaps);
}

CLI_HANDLER(h_pmap)
{
    (void)argc;
    return proc_view(in, argv[0], res, vml_view_pmap);
}

CLI_HANDLER(h_meminfo)
{
    (void)argc;
    (void)argv;
    return machine_view(in, res, vml_view_meminfo);
}

CLI_HANDLER(h_free)
{
    if (argc != 0)                      /* free PROCESS POINTER: glibc's (cmd_proc.c) */
        return h_free_ptr(in, argc, argv, res);
    return machine_view(in, res, vml_view_free);
}
