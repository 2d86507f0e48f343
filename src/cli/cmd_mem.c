/*
** cmd_mem.c -- handlers of the personality and memory-access commands:
** VirtualAlloc & co., mmap & co., read, write, exec.
**
** Each handler first evaluates and checks every argument (a script error
** leaves the machine untouched), then makes exactly one library call and
** turns its outcome into a struct result: a value, or a failure (Win32
** error code, errno, simulated exception, vml_status).
*/
#include <string.h>

#include "cli.h"

#define STR_READ_MAX (64u * 1024u)   /* read ... str stops here */

/* u8 u16 u32 u64 -> 1 2 4 8, str -> 0, otherwise -1. */
static int type_size(const char *w)
{
    if (strcmp(w, "u8") == 0)  return 1;
    if (strcmp(w, "u16") == 0) return 2;
    if (strcmp(w, "u32") == 0) return 4;
    if (strcmp(w, "u64") == 0) return 8;
    if (strcmp(w, "str") == 0) return 0;
    return -1;
}

static enum rc arg_type(struct interp *in, const char *w, int *size)
{
    *size = type_size(w);
    if (*size < 0)
        return cli_error(in, "unknown TYPE '%s' (u8 u16 u32 u64 str)", w);
    return RC_OK;
}

/* ------------------------------------------------------------------ */
/* Data to write: [TYPE] VALUE                                         */

struct wdata {
    unsigned char  num[8];
    struct value   v;
    const void    *p;
    size_t         len;
};

static enum rc wdata_parse(struct interp *in, const char *type_word, const char *value_word,
                           struct wdata *d)
{
    int size = 0;
    enum rc rc;
    unsigned i = 0;

    memset(d, 0, sizeof *d);
    if (type_word != NULL && (rc = arg_type(in, type_word, &size)) != RC_OK)
        return rc;
    if ((rc = arg_value(in, value_word, &d->v)) != RC_OK)
        return rc;
    if (size == 0) {                 /* a string: its bytes and a NUL */
        if (d->v.kind != VAL_STR) {
            value_free(&d->v);
            if (type_word == NULL)
                return cli_error(in, "a number needs a TYPE before it (u8 u16 u32 u64): '%s'",
                                 value_word);
            return cli_error(in, "str needs a \"string\", not the number '%s'", value_word);
        }
        d->p = d->v.str;
        d->len = d->v.len + 1;
        return RC_OK;
    }
    if (d->v.kind != VAL_NUM) {
        value_free(&d->v);
        return cli_error(in, "%s needs a number, not a string", type_word);
    }
    if (size < 8) {
        uint64_t max = (1ull << (8 * size)) - 1;
        uint64_t sign = 1ull << (8 * size - 1);
        int negative = (d->v.num | max) == UINT64_MAX && (d->v.num & sign);
        if (d->v.num > max && !negative)
            return cli_error(in, "0x%llx does not fit in %s", (unsigned long long)d->v.num,
                             type_word);
    }
    for (i = 0; i < (unsigned)size; i++)
        d->num[i] = (unsigned char)(d->v.num >> (8 * i));
    d->p = d->num;
    d->len = (size_t)size;
    return RC_OK;
}

/* ------------------------------------------------------------------ */
/* Reading through the MMU or through ReadProcessMemory                */

struct msrc {
    struct interp *in;
    vml_proc      *caller;   /* ReadProcessMemory's caller, or NULL */
    vml_proc      *p;
};

/* RC_OK with res->fail set when the read failed. */
static enum rc msrc_read(struct msrc *s, vml_va va, void *buf, size_t len, struct result *res)
{
    if (s->caller != NULL) {
        uint64_t done = 0;
        result_win32(res, vml_win_ReadProcessMemory(s->caller, s->p, va, buf, len, &done));
        return RC_OK;
    }
    return lib_status(s->in, vml_mem_read(s->p, s->in->cmd_cpu, va, buf, len, &res->ex), res);
}

static enum rc read_typed(struct msrc *s, vml_va va, int size, struct result *res)
{
    unsigned char buf[VML_PAGE_SIZE];
    vml_text acc = {0};
    size_t total = 0;
    enum rc rc;
    int i = 0;

    if (size > 0) {
        uint64_t v = 0;
        rc = msrc_read(s, va, buf, (size_t)size, res);
        if (rc != RC_OK || res->fail != FAIL_NONE)
            return rc;
        for (i = size - 1; i >= 0; i--)
            v = (v << 8) | buf[i];
        value_set_num(&res->val, v);
        return RC_OK;
    }
    /* A string: page by page up to the NUL, as strlen would touch them. */
    while (total < STR_READ_MAX) {
        size_t chunk = VML_PAGE_SIZE - (size_t)(va & (VML_PAGE_SIZE - 1));
        const unsigned char *nul;
        if (chunk > STR_READ_MAX - total)
            chunk = STR_READ_MAX - total;
        rc = msrc_read(s, va, buf, chunk, res);
        if (rc != RC_OK || res->fail != FAIL_NONE) {
            vml_text_free(&acc);
            return rc;
        }
        nul = memchr(buf, 0, chunk);
        if (nul != NULL) {
            vml_text_append(&acc, (const char *)buf, (size_t)(nul - buf));
            break;
        }
        vml_text_append(&acc, (const char *)buf, chunk);
        total += chunk;
        va += chunk;
    }
    if (acc.oom || value_set_str(&res->val, sb_str(&acc), acc.len) != 0) {
        vml_text_free(&acc);
        return cli_error(s->in, "out of memory");
    }
    vml_text_free(&acc);
    return RC_OK;
}

/* The failure, or on success the value v. */
static void win32_result(struct result *res, uint32_t e, uint64_t v)
{
    result_win32(res, e);
    if (e == 0)
        value_set_num(&res->val, v);
}

/* ------------------------------------------------------------------ */
/* Win32                                                               */

CLI_HANDLER(h_valloc)
{
    vml_proc *p;
    uint64_t addr = 0, size = 0;
    uint32_t type = 0, protect = 0, e = 0;
    vml_va va = 0;

    (void)argc;
    if (arg_proc(in, argv[0], &p) || arg_num(in, argv[1], "ADDRESS", &addr) ||
        arg_size(in, argv[2], "SIZE", &size) || arg_u32(in, argv[3], "TYPE", &type) ||
        arg_u32(in, argv[4], "PROTECT", &protect))
        return RC_ERROR;
    e = vml_win_VirtualAlloc(p, addr, size, type, protect, &va);
    win32_result(res, e, va);
    return RC_OK;
}

CLI_HANDLER(h_vallocex)
{
    vml_proc *caller, *p;
    uint64_t addr = 0, size = 0;
    uint32_t type = 0, protect = 0, e = 0;
    vml_va va = 0;

    (void)argc;
    if (arg_proc(in, argv[0], &caller) || arg_proc(in, argv[1], &p) ||
        arg_num(in, argv[2], "ADDRESS", &addr) || arg_size(in, argv[3], "SIZE", &size) ||
        arg_u32(in, argv[4], "TYPE", &type) || arg_u32(in, argv[5], "PROTECT", &protect))
        return RC_ERROR;
    e = vml_win_VirtualAllocEx(caller, p, addr, size, type, protect, &va);
    win32_result(res, e, va);
    return RC_OK;
}

CLI_HANDLER(h_vfree)
{
    vml_proc *p;
    uint64_t addr = 0, size = 0;
    uint32_t type = 0;

    (void)argc;
    if (arg_proc(in, argv[0], &p) || arg_num(in, argv[1], "ADDRESS", &addr) ||
        arg_size(in, argv[2], "SIZE", &size) || arg_u32(in, argv[3], "TYPE", &type))
        return RC_ERROR;
    result_win32(res, vml_win_VirtualFree(p, addr, size, type));
    return RC_OK;
}

CLI_HANDLER(h_vprotect)
{
    vml_proc *p;
    uint64_t addr = 0, size = 0;
    uint32_t protect = 0, old = 0, e = 0;

    (void)argc;
    if (arg_proc(in, argv[0], &p) || arg_num(in, argv[1], "ADDRESS", &addr) ||
        arg_size(in, argv[2], "SIZE", &size) || arg_u32(in, argv[3], "PROTECT", &protect))
        return RC_ERROR;
    e = vml_win_VirtualProtect(p, addr, size, protect, &old);
    win32_result(res, e, old);
    if (e == 0)
        vml_win_protect_name(old, res->note, sizeof res->note);
    return RC_OK;
}

static const char *const mbi_fields[] = {
    "BaseAddress", "AllocationBase", "AllocationProtect", "PartitionId",
    "RegionSize", "State", "Protect", "Type",
};
#define N_MBI_FIELDS (sizeof mbi_fields / sizeof mbi_fields[0])

/* The value of field i and a name for it in note ("" if none). */
static uint64_t mbi_field(const vml_mbi *mbi, size_t i, char *note, size_t size)
{
    const char *name = NULL;
    uint64_t v = 0;

    note[0] = '\0';
    switch (i) {
    case 0: v = mbi->BaseAddress; break;
    case 1: v = mbi->AllocationBase; break;
    case 2: v = mbi->AllocationProtect; break;
    case 3: v = mbi->PartitionId; break;
    case 4: v = mbi->RegionSize; break;
    case 5: v = mbi->State; name = const_name(v, "MEM_"); break;
    case 6: v = mbi->Protect; break;
    case 7: v = mbi->Type; name = v ? const_name(v, "MEM_") : NULL; break;
    default: break;
    }
    if ((i == 2 || i == 6) && v != 0)
        vml_win_protect_name((uint32_t)v, note, size);
    else if (name != NULL)
        snprintf(note, size, "%s", name);
    return v;
}

CLI_HANDLER(h_vquery)
{
    vml_proc *p;
    uint64_t addr = 0;
    size_t field = N_MBI_FIELDS, i;
    vml_mbi mbi;
    uint32_t e = 0;

    if (arg_proc(in, argv[0], &p) || arg_num(in, argv[1], "ADDRESS", &addr))
        return RC_ERROR;
    if (argc == 3) {
        for (field = 0; field < N_MBI_FIELDS; field++)
            if (strcmp(argv[2], mbi_fields[field]) == 0)
                break;
        if (field == N_MBI_FIELDS)
            return cli_error(in, "unknown MEMORY_BASIC_INFORMATION field '%s' (BaseAddress "
                             "AllocationBase AllocationProtect RegionSize State Protect Type)",
                             argv[2]);
    } else if (in->fmt == VML_FMT_JSON) {
        vml_text t = {0};
        return emit_view(in, vml_view_query(p, addr, VML_FMT_JSON, &t), &t, res);
    }
    memset(&mbi, 0, sizeof mbi);
    e = vml_win_VirtualQuery(p, addr, &mbi);
    result_win32(res, e);
    if (e != 0)
        return RC_OK;
    if (field < N_MBI_FIELDS) {
        value_set_num(&res->val, mbi_field(&mbi, field, res->note, sizeof res->note));
        return RC_OK;
    }
    if (in->quiet > 0)
        return RC_OK;
    for (i = 0; i < N_MBI_FIELDS; i++) {
        char note[96];
        uint64_t v = 0;
        if (i == 3)
            continue;                 /* PartitionId: always 0 here */
        v = mbi_field(&mbi, i, note, sizeof note);
        fprintf(in->out, "  %-18s 0x%llx%s%s\n", mbi_fields[i], (unsigned long long)v,
                note[0] ? " " : "", note);
    }
    return RC_OK;
}

CLI_HANDLER(h_rpm)
{
    struct msrc s;
    uint64_t addr = 0;
    int size = 0;

    (void)argc;
    s.in = in;
    if (arg_proc(in, argv[0], &s.caller) || arg_proc(in, argv[1], &s.p) ||
        arg_num(in, argv[2], "ADDRESS", &addr) || arg_type(in, argv[3], &size))
        return RC_ERROR;
    return read_typed(&s, addr, size, res);
}

CLI_HANDLER(h_wpm)
{
    vml_proc *caller, *p;
    struct wdata d;
    uint64_t addr = 0, done = 0;
    uint32_t e = 0;

    if (arg_proc(in, argv[0], &caller) || arg_proc(in, argv[1], &p) ||
        arg_num(in, argv[2], "ADDRESS", &addr) ||
        wdata_parse(in, argc == 5 ? argv[3] : NULL, argv[argc - 1], &d))
        return RC_ERROR;
    e = vml_win_WriteProcessMemory(caller, p, addr, d.p, d.len, &done);
    value_free(&d.v);
    win32_result(res, e, done);
    return RC_OK;
}

/* ------------------------------------------------------------------ */
/* POSIX                                                               */

static void errno_result(struct result *res, int err)
{
    if (err != 0) {
        res->fail = FAIL_ERRNO;
        res->err = err;
    }
}

CLI_HANDLER(h_mmap)
{
    vml_proc *p;
    uint64_t addr = 0, len = 0, offset = 0;
    int prot = 0, flags = 0, fd = -1, err = 0;
    vml_va va = 0;

    if (arg_proc(in, argv[0], &p) || arg_num(in, argv[1], "ADDRESS", &addr) ||
        arg_size(in, argv[2], "LENGTH", &len) || arg_int(in, argv[3], "PROT", &prot) ||
        arg_int(in, argv[4], "FLAGS", &flags) ||
        (argc > 5 && arg_int(in, argv[5], "FD", &fd)) ||
        (argc > 6 && arg_size(in, argv[6], "OFFSET", &offset)))
        return RC_ERROR;
    err = vml_posix_mmap(p, addr, len, prot, flags, fd, offset, &va);
    errno_result(res, err);
    if (err == 0)
        value_set_num(&res->val, va);
    return RC_OK;
}

CLI_HANDLER(h_munmap)
{
    vml_proc *p;
    uint64_t addr = 0, len = 0;

    (void)argc;
    if (arg_proc(in, argv[0], &p) || arg_num(in, argv[1], "ADDRESS", &addr) ||
        arg_size(in, argv[2], "LENGTH", &len))
        return RC_ERROR;
    errno_result(res, vml_posix_munmap(p, addr, len));
    return RC_OK;
}

CLI_HANDLER(h_mprotect)
{
    vml_proc *p;
    uint64_t addr = 0, len = 0;
    int prot = 0;

    (void)argc;
    if (arg_proc(in, argv[0], &p) || arg_num(in, argv[1], "ADDRESS", &addr) ||
        arg_size(in, argv[2], "LENGTH", &len) || arg_int(in, argv[3], "PROT", &prot))
        return RC_ERROR;
    errno_result(res, vml_posix_mprotect(p, addr, len, prot));
    return RC_OK;
}

/* ------------------------------------------------------------------ */
/* Memory access through the MMU                                       */

CLI_HANDLER(h_read)
{
    struct msrc s;
    uint64_t addr = 0;
    int size = 0;

    (void)argc;
    s.in = in;
    s.caller = NULL;
    if (arg_proc(in, argv[0], &s.p) || arg_num(in, argv[1], "ADDRESS", &addr) ||
        arg_type(in, argv[2], &size))
        return RC_ERROR;
    return read_typed(&s, addr, size, res);
}

CLI_HANDLER(h_write)
{
    vml_proc *p;
    struct wdata d;
    uint64_t addr = 0;
    vml_status st;

    if (arg_proc(in, argv[0], &p) || arg_num(in, argv[1], "ADDRESS", &addr) ||
        wdata_parse(in, argc == 4 ? argv[2] : NULL, argv[argc - 1], &d))
        return RC_ERROR;
    st = vml_mem_write(p, in->cmd_cpu, addr, d.p, d.len, &res->ex);
    value_free(&d.v);
    return lib_status(in, st, res);
}

CLI_HANDLER(h_exec)
{
    vml_proc *p;
    uint64_t addr = 0;
    unsigned char byte = 0;
    vml_status st;

    (void)argc;
    if (arg_proc(in, argv[0], &p) || arg_num(in, argv[1], "ADDRESS", &addr))
        return RC_ERROR;
    st = vml_mem_fetch(p, in->cmd_cpu, addr, &byte, 1, &res->ex);
    if (st == VML_OK)
        value_set_num(&res->val, byte);
    return lib_status(in, st, res);
}
