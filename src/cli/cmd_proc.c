/*
** cmd_proc.c -- handlers of the commands of a process's runtime: Win32
** heaps (HeapCreate, HeapAlloc, HeapReAlloc, HeapSize, HeapFree,
** HeapDestroy, GetProcessHeap), threads (CreateThread), glibc's malloc
** (malloc, free, realloc, calloc), the break (brk, sbrk), the environment
** a `process NAME win32|posix` gets, and the views !heap, !peb and !teb.
**
** As in cmd_mem.c: every argument is evaluated and checked first (CLI1),
** then the library is called; a Win32 error, an errno or an exception is a
** result, not a script error.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* A heap call's code: 0, a Win32 error, or (>= 0xC0000000) the exception
** Windows raises (HEAP_GENERATE_EXCEPTIONS, a bad handle, corruption). */
static void heap_result(struct result *res, uint32_t e, uint64_t v, int has_value)
{
    if (e >= 0xC0000000u) {
        res->fail = FAIL_EXCEPTION;
        memset(&res->ex, 0, sizeof res->ex);
        res->ex.ntstatus = e;
        res->ex.reason = VML_AV_NONE;
        return;
    }
    if (e != 0) {
        result_win32(res, e);
        return;
    }
    if (has_value)
        value_set_num(&res->val, v);
}

/* An errno result; EINVAL from malloc's checks carries glibc's message. */
static void errno_result(struct interp *in, struct result *res, int err, uint64_t v,
                         int has_value)
{
    if (err == VML_EINVAL || err == VML_EFAULT) {
        res->fail = FAIL_STATUS;
        res->st = VML_E_INVALID;
        snprintf(res->detail, sizeof res->detail, "%s", vml_last_error(in->m));
        return;
    }
    if (err != 0) {
        res->fail = FAIL_ERRNO;
        res->err = err;
        if (err == VML_EOPNOTSUPP)              /* data=off: why */
            snprintf(res->detail, sizeof res->detail, "%s", vml_last_error(in->m));
        return;
    }
    if (has_value)
        value_set_num(&res->val, v);
}

/* ---- process NAME win32|posix ------------------------------------------------------ */

enum rc proc_personality(struct interp *in, vml_proc *p, const char *kind, struct result *res)
{
    if (strcmp(kind, "win32") == 0) {
        uint32_t e = vml_win_process_setup(p, NULL);
        if (e != 0) {
            result_win32(res, e);
            snprintf(res->detail, sizeof res->detail, "%s", vml_last_error(in->m));
        }
        return RC_OK;
    }
    if (strcmp(kind, "posix") == 0) {
        int err = vml_posix_process_setup(p, NULL, NULL);
        if (err != 0) {
            res->fail = FAIL_ERRNO;
            res->err = err;
            snprintf(res->detail, sizeof res->detail, "%s", vml_last_error(in->m));
        }
        return RC_OK;
    }
    return cli_error(in, "unknown environment '%s' (win32 or posix)", kind);
}

/* ---- Win32 heaps --------------------------------------------------------------------- */

CLI_HANDLER(h_getprocessheap)
{
    vml_proc *p;
    vml_va h = 0;
    (void)argc;
    if (arg_proc(in, argv[0], &p))
        return RC_ERROR;
    uint32_t e = vml_win_GetProcessHeap(p, &h);
    if (e != 0) {
        res->fail = FAIL_STATUS;
        res->st = VML_E_NOT_FOUND;
        snprintf(res->detail, sizeof res->detail, "%s", vml_last_error(in->m));
        return RC_OK;
    }
    value_set_num(&res->val, h);
    return RC_OK;
}

/* HeapCreate PROC OPTIONS INITIAL MAXIMUM */
CLI_HANDLER(h_heapcreate)
{
    vml_proc *p;
    uint32_t options = 0;
    uint64_t initial = 0, maximum = 0;
    vml_va h = 0;
    (void)argc;
    if (arg_proc(in, argv[0], &p) || arg_u32(in, argv[1], "OPTIONS", &options) ||
        arg_size(in, argv[2], "INITIAL", &initial) || arg_size(in, argv[3], "MAXIMUM", &maximum))
        return RC_ERROR;
    uint32_t e = vml_win_HeapCreate(p, options, initial, maximum, &h);
    heap_result(res, e, h, 1);
    if (e == VML_ERROR_NOT_SUPPORTED)           /* data=off: why */
        snprintf(res->detail, sizeof res->detail, "%s", vml_last_error(in->m));
    return RC_OK;
}

/* HeapAlloc PROC HEAP FLAGS SIZE */
CLI_HANDLER(h_heapalloc)
{
    vml_proc *p;
    uint64_t heap = 0, size = 0;
    uint32_t flags = 0;
    vml_va va = 0;
    (void)argc;
    if (arg_proc(in, argv[0], &p) || arg_num(in, argv[1], "HEAP", &heap) ||
        arg_u32(in, argv[2], "FLAGS", &flags) || arg_size(in, argv[3], "SIZE", &size))
        return RC_ERROR;
    uint32_t e = vml_win_HeapAlloc(p, heap, flags, size, &va);
    heap_result(res, e, va, 1);
    return RC_OK;
}

/* HeapReAlloc PROC HEAP FLAGS PTR SIZE */
CLI_HANDLER(h_heaprealloc)
{
    vml_proc *p;
    uint64_t heap = 0, ptr = 0, size = 0;
    uint32_t flags = 0;
    vml_va va = 0;
    (void)argc;
    if (arg_proc(in, argv[0], &p) || arg_num(in, argv[1], "HEAP", &heap) ||
        arg_u32(in, argv[2], "FLAGS", &flags) || arg_num(in, argv[3], "POINTER", &ptr) ||
        arg_size(in, argv[4], "SIZE", &size))
        return RC_ERROR;
    uint32_t e = vml_win_HeapReAlloc(p, heap, flags, ptr, size, &va);
    heap_result(res, e, va, 1);
    return RC_OK;
}

/* HeapSize PROC HEAP FLAGS PTR */
CLI_HANDLER(h_heapsize)
{
    vml_proc *p;
    uint64_t heap = 0, ptr = 0, size = 0;
    uint32_t flags = 0;
    (void)argc;
    if (arg_proc(in, argv[0], &p) || arg_num(in, argv[1], "HEAP", &heap) ||
        arg_u32(in, argv[2], "FLAGS", &flags) || arg_num(in, argv[3], "POINTER", &ptr))
        return RC_ERROR;
    uint32_t e = vml_win_HeapSize(p, heap, flags, ptr, &size);
    heap_result(res, e, size, 1);
    return RC_OK;
}

/* HeapFree PROC HEAP FLAGS PTR */
CLI_HANDLER(h_heapfree)
{
    vml_proc *p;
    uint64_t heap = 0, ptr = 0;
    uint32_t flags = 0;
    (void)argc;
    if (arg_proc(in, argv[0], &p) || arg_num(in, argv[1], "HEAP", &heap) ||
        arg_u32(in, argv[2], "FLAGS", &flags) || arg_num(in, argv[3], "POINTER", &ptr))
        return RC_ERROR;
    uint32_t e = vml_win_HeapFree(p, heap, flags, ptr);
    heap_result(res, e, 0, 0);
    return RC_OK;
}

/* HeapDestroy PROC HEAP */
CLI_HANDLER(h_heapdestroy)
{
    vml_proc *p;
    uint64_t heap = 0;
    (void)argc;
    if (arg_proc(in, argv[0], &p) || arg_num(in, argv[1], "HEAP", &heap))
        return RC_ERROR;
    uint32_t e = vml_win_HeapDestroy(p, heap);
    heap_result(res, e, 0, 0);
    return RC_OK;
}

/* CreateThread PROC [STACKSIZE [FLAGS]] */
CLI_HANDLER(h_createthread)
{
    vml_proc *p;
    uint64_t size = 0;
    uint32_t flags = 0;
    unsigned tid = 0;
    if (arg_proc(in, argv[0], &p) || (argc > 1 && arg_size(in, argv[1], "STACKSIZE", &size)) ||
        (argc > 2 && arg_u32(in, argv[2], "FLAGS", &flags)))
        return RC_ERROR;
    uint32_t e = vml_win_CreateThread(p, size, flags, &tid);
    heap_result(res, e, tid, 1);
    if (e == VML_ERROR_NOT_SUPPORTED)           /* data=off: why */
        snprintf(res->detail, sizeof res->detail, "%s", vml_last_error(in->m));
    if (e == 0) {
        vml_thread_info t[64];
        size_t n = vml_thread_list(p, t, 64);
        for (size_t i = 0; i < n && i < 64; i++)
            if (t[i].tid == tid)
                snprintf(res->note, sizeof res->note, "TEB %#llx, stack %#llx-%#llx",
                         (unsigned long long)t[i].teb, (unsigned long long)t[i].stack_alloc,
                         (unsigned long long)t[i].stack_base);
    }
    return RC_OK;
}

/* ---- glibc's malloc, brk ------------------------------------------------------------- */

CLI_HANDLER(h_malloc)
{
    vml_proc *p;
    uint64_t size = 0;
    vml_va va = 0;
    (void)argc;
    if (arg_proc(in, argv[0], &p) || arg_size(in, argv[1], "SIZE", &size))
        return RC_ERROR;
    int err = vml_posix_malloc(p, size, &va);
    errno_result(in, res, err, va, 1);
    return RC_OK;
}

CLI_HANDLER(h_free_ptr)
{
    vml_proc *p;
    uint64_t ptr = 0;
    if (argc != 2)
        return cli_error(in, "free takes no arguments (free -k) or 2: PROCESS POINTER; got %zu",
                         argc);
    if (arg_proc(in, argv[0], &p) || arg_num(in, argv[1], "POINTER", &ptr))
        return RC_ERROR;
    int err = vml_posix_free(p, ptr);
    errno_result(in, res, err, 0, 0);
    return RC_OK;
}

CLI_HANDLER(h_realloc)
{
    vml_proc *p;
    uint64_t ptr = 0, size = 0;
    vml_va va = 0;
    (void)argc;
    if (arg_proc(in, argv[0], &p) || arg_num(in, argv[1], "POINTER", &ptr) ||
        arg_size(in, argv[2], "SIZE", &size))
        return RC_ERROR;
    int err = vml_posix_realloc(p, ptr, size, &va);
    errno_result(in, res, err, va, 1);
    return RC_OK;
}

CLI_HANDLER(h_calloc)
{
    vml_proc *p;
    uint64_t n = 0, size = 0;
    vml_va va = 0;
    (void)argc;
    if (arg_proc(in, argv[0], &p) || arg_size(in, argv[1], "N", &n) ||
        arg_size(in, argv[2], "SIZE", &size))
        return RC_ERROR;
    int err = vml_posix_calloc(p, n, size, &va);
    errno_result(in, res, err, va, 1);
    return RC_OK;
}

CLI_HANDLER(h_brk)
{
    vml_proc *p;
    uint64_t addr = 0;
    vml_va now = 0;
    (void)argc;
    if (arg_proc(in, argv[0], &p) || arg_num(in, argv[1], "ADDRESS", &addr))
        return RC_ERROR;
    (void)vml_posix_brk(p, addr, &now);
    value_set_num(&res->val, now);
    if (addr != 0 && now != addr)
        snprintf(res->note, sizeof res->note, "refused: the break stays");
    return RC_OK;
}

CLI_HANDLER(h_sbrk)
{
    vml_proc *p;
    uint64_t inc = 0;
    vml_va old = 0;
    (void)argc;
    if (arg_proc(in, argv[0], &p) || arg_num(in, argv[1], "INCREMENT", &inc))
        return RC_ERROR;
    int err = vml_posix_sbrk(p, (int64_t)inc, &old);
    errno_result(in, res, err, old, 1);
    return RC_OK;
}

/* ---- views ------------------------------------------------------------------------------- */

CLI_HANDLER(h_view_heap)
{
    vml_proc *p;
    uint64_t heap = 0;
    vml_text t = {0};
    if (arg_proc(in, argv[0], &p) || (argc > 1 && arg_num(in, argv[1], "HEAP", &heap)))
        return RC_ERROR;
    return emit_view(in, vml_view_heap(p, heap, in->fmt, &t), &t, res);
}

CLI_HANDLER(h_view_peb)
{
    (void)argc;
    return proc_view(in, argv[0], res, vml_view_peb);
}

CLI_HANDLER(h_view_teb)
{
    vml_proc *p;
    uint64_t tid = 0;
    vml_text t = {0};
    if (arg_proc(in, argv[0], &p) || (argc > 1 && arg_count(in, argv[1], "TID", &tid)))
        return RC_ERROR;
    if (tid > UINT32_MAX)
        return cli_error(in, "TID %llu is out of range", (unsigned long long)tid);
    return emit_view(in, vml_view_teb(p, (unsigned)tid, in->fmt, &t), &t, res);
}
