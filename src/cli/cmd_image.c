/*
** cmd_image.c -- handlers of the commands of programs: Windows' images
** (CreateProcess, LoadLibrary, GetModuleHandle, GetProcAddress,
** FreeLibrary), Linux's (execve, dlopen) and their views (lm, !dh, vmmap).
**
** As in cmd_mem.c: every argument is evaluated and checked first (CLI1),
** then the library is called; a Win32 error or an errno is a result, not
** a script error, and a loader's failure carries its message (the file,
** the field, the offset).
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* A loader's failure: the Win32 error or the errno (kind), and the
** library's message with it. */
static void load_failed(struct interp *in, struct result *res, enum fail_kind kind, int code)
{
    if (kind == FAIL_WIN32) {
        result_win32(res, (uint32_t)code);
    } else {
        res->fail = FAIL_ERRNO;
        res->err = code;
    }
    snprintf(res->detail, sizeof res->detail, "%s", vml_last_error(in->m));
}

/* LoadLibrary and dlopen: PROC PATH, the call, and the module's base as
** the value (or the failure, kind FAIL_WIN32 or FAIL_ERRNO). */
typedef int (*load_module_fn)(vml_proc *p, const char *path, vml_va *base);

static enum rc load_module(struct interp *in, char **argv, struct result *res,
                           load_module_fn call, enum fail_kind kind)
{
    vml_proc *p;
    char *path = NULL;
    vml_va base = 0;
    if (arg_proc(in, argv[0], &p) || arg_file_name(in, argv[1], "PATH", &path))
        return RC_ERROR;
    int e = call(p, path, &base);
    free(path);
    if (e != 0)
        load_failed(in, res, kind, e);
    else
        value_set_num(&res->val, base);
    return RC_OK;
}

/* A process made from an image: value: its pid. */
static enum rc new_process(struct result *res, vml_proc *p)
{
    value_set_num(&res->val, vml_proc_pid(p));
    snprintf(res->note, sizeof res->note, "pid %u, cr3 0x%llx", vml_proc_pid(p),
             (unsigned long long)vml_proc_cr3(p));
    return RC_OK;
}

/* CreateProcess NAME PATH [SUSPENDED]: value: the pid */
CLI_HANDLER(h_createprocess)
{
    char *path = NULL;
    vml_proc *p;
    unsigned flags = 0;
    if (arg_new_proc_name(in, argv[0]) || arg_file_name(in, argv[1], "PATH", &path))
        return RC_ERROR;
    if (argc > 2) {
        if (strcmp(argv[2], "SUSPENDED") != 0 && strcmp(argv[2], "CREATE_SUSPENDED") != 0) {
            free(path);
            return cli_error(in, "CreateProcess: the third word is SUSPENDED, not '%s'", argv[2]);
        }
        flags |= VML_CREATE_SUSPENDED;
    }
    uint32_t e = vml_win_CreateProcess(in->m, argv[0], path, flags, &p);
    free(path);
    if (e != 0) {
        load_failed(in, res, FAIL_WIN32, (int)e);
        return RC_OK;
    }
    return new_process(res, p);
}

/* LoadLibrary PROC PATH: value: the module's base */
static int load_library(vml_proc *p, const char *path, vml_va *base)
{
    return (int)vml_win_LoadLibrary(p, path, base);
}

CLI_HANDLER(h_loadlibrary)
{
    (void)argc;
    return load_module(in, argv, res, load_library, FAIL_WIN32);
}

/* GetModuleHandle PROC [NAME]: value: the module's base */
CLI_HANDLER(h_getmodulehandle)
{
    vml_proc *p;
    char *name = NULL;
    vml_va base = 0;
    if (arg_proc(in, argv[0], &p) || (argc > 1 && arg_name(in, argv[1], "NAME", &name)))
        return RC_ERROR;
    uint32_t e = vml_win_GetModuleHandle(p, name, &base);
    free(name);
    if (e != 0)
        result_win32(res, e);
    else
        value_set_num(&res->val, base);
    return RC_OK;
}

/* GetProcAddress PROC MODULE NAME: value: the export's address */
CLI_HANDLER(h_getprocaddress)
{
    vml_proc *p;
    uint64_t mod;
    char *name = NULL;
    vml_va at = 0;
    (void)argc;
    if (arg_proc(in, argv[0], &p) || arg_num(in, argv[1], "MODULE", &mod) ||
        arg_name(in, argv[2], "NAME", &name))
        return RC_ERROR;
    uint32_t e = vml_win_GetProcAddress(p, mod, name, &at);
    free(name);
    if (e != 0)
        result_win32(res, e);
    else
        value_set_num(&res->val, at);
    return RC_OK;
}

/* FreeLibrary PROC MODULE */
CLI_HANDLER(h_freelibrary)
{
    vml_proc *p;
    uint64_t mod;
    (void)argc;
    if (arg_proc(in, argv[0], &p) || arg_num(in, argv[1], "MODULE", &mod))
        return RC_ERROR;
    result_win32(res, vml_win_FreeLibrary(p, mod));
    return RC_OK;
}

/* ---- Linux ---------------------------------------------------------------------------- */

/* execve NAME PATH [ARG...]: value: the pid.  argv is PATH then the ARGs
** (as a shell passes them); the environment is empty. */
CLI_HANDLER(h_execve)
{
    enum { MAX_ARGV = 64 };
    char *args[MAX_ARGV] = { NULL };
    vml_proc *p;
    int n = argc - 1, e = 0;
    if (n > MAX_ARGV)
        return cli_error(in, "execve: at most %d ARGs after PATH, not %d", MAX_ARGV - 1, n - 1);
    if (arg_new_proc_name(in, argv[0]) || arg_file_name(in, argv[1], "PATH", &args[0]))
        return RC_ERROR;
    for (int i = 1; i < n; i++)
        if (arg_name(in, argv[1 + i], "ARG", &args[i])) {
            while (i-- > 0)
                free(args[i]);
            return RC_ERROR;
        }
    e = vml_posix_execve_args(in->m, argv[0], args[0], (const char *const *)args, (size_t)n,
                              NULL, 0, &p);
    for (int i = 0; i < n; i++)
        free(args[i]);
    if (e != 0) {
        load_failed(in, res, FAIL_ERRNO, e);
        return RC_OK;
    }
    return new_process(res, p);
}

/* dlopen PROC PATH: value: the load address */
CLI_HANDLER(h_dlopen)
{
    (void)argc;
    return load_module(in, argv, res, vml_posix_dlopen, FAIL_ERRNO);
}

/* A POSIX call's errno, or its value (when it has one). */
static enum rc errno_or_value(struct result *res, int err, const uint64_t *value)
{
    if (err != 0) {
        res->fail = FAIL_ERRNO;
        res->err = err;
    } else if (value) {
        value_set_num(&res->val, *value);
    }
    return RC_OK;
}

/* dlclose PROC BASE */
CLI_HANDLER(h_dlclose)
{
    vml_proc *p;
    uint64_t base;
    (void)argc;
    if (arg_proc(in, argv[0], &p) || arg_num(in, argv[1], "BASE", &base))
        return RC_ERROR;
    return errno_or_value(res, vml_posix_dlclose(p, base), NULL);
}

/* dlsym PROC BASE NAME: value: the symbol's address */
CLI_HANDLER(h_dlsym)
{
    vml_proc *p;
    uint64_t base;
    char *name = NULL;
    vml_va at = 0;
    (void)argc;
    if (arg_proc(in, argv[0], &p) || arg_num(in, argv[1], "BASE", &base) ||
        arg_name(in, argv[2], "NAME", &name))
        return RC_ERROR;
    int e = vml_posix_dlsym(p, base, name, &at);
    free(name);
    return errno_or_value(res, e, &at);
}

/* ---- views ------------------------------------------------------------------------------ */

CLI_HANDLER(h_lm)
{
    (void)argc;
    return proc_view(in, argv[0], res, vml_view_lm);
}

CLI_HANDLER(h_vmmap)
{
    (void)argc;
    return proc_view(in, argv[0], res, vml_view_vmmap);
}

/* !dh PROC ADDRESS */
CLI_HANDLER(h_view_dh)
{
    vml_proc *p;
    uint64_t addr = 0;
    vml_text t = {0};
    (void)argc;
    if (arg_proc(in, argv[0], &p) || arg_num(in, argv[1], "ADDRESS", &addr))
        return RC_ERROR;
    vml_status st = vml_view_dh(p, addr, in->fmt, &t);
    if (st == VML_E_NOT_FOUND) {
        vml_text_free(&t);
        return cli_error(in, "!dh: no module starts at %#llx (lm lists them)",
                         (unsigned long long)addr);
    }
    return emit_view(in, st, &t, res);
}
