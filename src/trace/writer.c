/*
** writer.c -- vml_trace_writer: accesses out to a file in one of the
** formats the readers read, through the (compressing) sink.
**
**   vmt     the compact page trace (rd_vmt.c describes it): a page id per
**           reference, new pages defined inline; an access that crosses
**           pages writes its further pages as continuation references, so
**           the replay decides whether to count them (--straddle).
**           Modify accesses are writes; VML_REPLAY_NO_IFETCH drops fetches.
**   text    "R|W|I|M 0xADDRESS [PID]" lines (sizes are not kept)
**   csv     "op,address,pid,size" with that header
**   lackey  lackey's own lines, or raw bytes passed through (vmlab record)
**   oracle  libCacheSim's oracleGeneral: one 24-byte record per page
**           reference (under the writer's flags), object id = page number
**           (pid << 52 | page for pid 1..4095), size 4096, next access =
**           the index of the page's next reference or -1.  The references
**           go to OPT's future store (memory, then a temporary file); the
**           records are written by vml_trace_writer_close.
**
** INVARIANTS:
**   WR1 After the first failure every call fails with it; the file is
**       then incomplete and says so by its missing end (the vmt end
**       record, the compressed stream's end).
*/
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trace.h"

struct vml_trace_writer {
    struct sink      sink;
    vml_trace_format format;
    unsigned         flags;
    vml_status       st;
    char             err[320];
    /* vmt and oracle */
    struct imap      map;
    uint32_t         pid;          /* vmt: the current process */
    uint64_t         last_page;    /* vmt: the previous new page */
    uint64_t         n_refs;
    uint32_t         ring[VMT_BACK];   /* vmt: the last references' ids */
    /* oracle */
    struct future    fut;
    uint64_t        *key;          /* id -> object id */
    size_t           key_cap;
    uint8_t          rec[32 * 256];
};

static vml_status wr_fail(vml_trace_writer *w, vml_status st, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
static vml_status wr_fail(vml_trace_writer *w, vml_status st, const char *fmt, ...)
{
    va_list ap;

    if (w->st != VML_OK)
        return w->st;
    va_start(ap, fmt);
    vsnprintf(w->err, sizeof w->err, fmt, ap);
    va_end(ap);
    w->st = st;
    return st;
}

static vml_status wr_sink_failed(vml_trace_writer *w)
{
    return wr_fail(w, VML_E_IO, "%s", w->sink.err);
}

static size_t put_varint(uint8_t *p, uint64_t v)
{
    size_t n = 0;

    while (v >= 0x80) {
        p[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    p[n++] = (uint8_t)v;
    return n;
}

/* ---- vmt ------------------------------------------------------------------------ */

static vml_status vmt_header(vml_trace_writer *w)
{
    uint8_t h[VMT_HEADER_LEN] = { 0 };

    memcpy(h, VMT_MAGIC, VMT_MAGIC_LEN);
    h[8] = VMT_VERSION;
    h[10] = VMT_HEADER_LEN;
    h[12] = VML_PAGE_SHIFT;
    return sink_write(&w->sink, h, sizeof h) == 0 ? VML_OK : wr_sink_failed(w);
}

/* One reference to (pid, page) at p: the bytes written.  A page among
** the last 64 references is a one-byte short reference (rd_vmt.c). */
static size_t vmt_ref(vml_trace_writer *w, uint8_t *p, uint32_t pid, uint64_t page, unsigned kind,
                      int cont, vml_status *st)
{
    size_t n = 0;
    uint32_t id, back = 0;
    int is_new;

    if (pid != w->pid) {
        p[n++] = VMT_CTRL;
        n += put_varint(p + n, VMT_CTRL_PID);
        n += put_varint(p + n, pid);
        w->pid = pid;
    }
    if (imap_id(&w->map, pid, page, &id, &is_new) != 0) {
        *st = wr_fail(w, VML_E_NOMEM, "out of memory (or more than %u pages)", VMT_MAX_IDS);
        return 0;
    }
    if (cont) {
        p[n++] = VMT_CTRL;
        n += put_varint(p + n, VMT_CTRL_CONT);
    }
    if (!is_new)
        for (uint32_t d = 1; d <= VMT_BACK && d <= w->n_refs; d++)
            if (w->ring[(w->n_refs - d) & (VMT_BACK - 1)] == id) {
                back = d;
                break;
            }
    if (back != 0) {
        p[n++] = (uint8_t)(kind << 6 | (back - 1));
    } else {
        p[n++] = (uint8_t)(VMT_LONG | kind);
        n += put_varint(p + n, id);
        if (is_new) {
            uint64_t d = page - w->last_page;     /* a signed delta, two's complement */
            n += put_varint(p + n, d << 1 ^ (d >> 63 ? UINT64_MAX : 0));   /* zigzag */
            w->last_page = page;
        }
    }
    w->ring[w->n_refs & (VMT_BACK - 1)] = id;
    w->n_refs++;
    return n;
}

static vml_status vmt_write(vml_trace_writer *w, const vml_trace_access *a, size_t n)
{
    static const unsigned kinds[4] = { VMT_KIND_READ, VMT_KIND_WRITE, VMT_KIND_IFETCH,
                                       VMT_KIND_WRITE };
    vml_status st = VML_OK;
    size_t used = 0;

    for (size_t i = 0; i < n && st == VML_OK; i++) {
        uint64_t first = a[i].va >> VML_PAGE_SHIFT, last = first;
        unsigned kind = kinds[a[i].kind & 3];

        if (kind == VMT_KIND_IFETCH && (w->flags & VML_REPLAY_NO_IFETCH))
            continue;
        if (a[i].size > 1 && a[i].va + (a[i].size - 1) > a[i].va)
            last = (a[i].va + (a[i].size - 1)) >> VML_PAGE_SHIFT;
        for (uint64_t page = first; page <= last && st == VML_OK; page++) {
            if (used + 3 * VMT_MAX_RECORD > sizeof w->rec) {
                if (sink_write(&w->sink, w->rec, used) != 0)
                    return wr_sink_failed(w);
                used = 0;
            }
            used += vmt_ref(w, w->rec + used, a[i].pid, page, kind,
                            page != first || (a[i].flags & VML_TRACE_CONT), &st);
        }
    }
    if (st == VML_OK && sink_write(&w->sink, w->rec, used) != 0)
        return wr_sink_failed(w);
    return st;
}

static vml_status vmt_finish(vml_trace_writer *w)
{
    uint8_t p[32];
    size_t n = 0;

    p[n++] = VMT_CTRL;
    n += put_varint(p + n, VMT_CTRL_END);

    n += put_varint(p + n, w->n_refs);
    n += put_varint(p + n, w->map.n);
    return sink_write(&w->sink, p, n) == 0 ? VML_OK : wr_sink_failed(w);
}

/* ---- text, csv, lackey ---------------------------------------------------------------- */

static vml_status lines_write(vml_trace_writer *w, const vml_trace_access *a, size_t n)
{
    static const char text_kind[4] = { 'R', 'W', 'I', 'M' };
    static const char *const lackey_kind[4] = { " L", " S", "I ", " M" };
    char line[96];

    for (size_t i = 0; i < n; i++) {
        unsigned k = a[i].kind & 3;
        int len;
        switch (w->format) {
        case VML_TRACE_TEXT:
            len = a[i].pid ? snprintf(line, sizeof line, "%c 0x%llx %u\n", text_kind[k],
                                      (unsigned long long)a[i].va, a[i].pid)
                           : snprintf(line, sizeof line, "%c 0x%llx\n", text_kind[k],
                                      (unsigned long long)a[i].va);
            break;
        case VML_TRACE_CSV:
            len = snprintf(line, sizeof line, "%c,0x%llx,%u,%u\n", text_kind[k],
                           (unsigned long long)a[i].va, a[i].pid, a[i].size ? a[i].size : 1u);
            break;
        default:   /* lackey */
            len = snprintf(line, sizeof line, "%s %08llx,%u\n", lackey_kind[k],
                           (unsigned long long)a[i].va, a[i].size ? a[i].size : 1u);
            break;
        }
        if (sink_write(&w->sink, line, (size_t)len) != 0)
            return wr_sink_failed(w);
    }
    return VML_OK;
}

/* ---- oracle --------------------------------------------------------------------------- */

static vml_status oracle_write(vml_trace_writer *w, const vml_trace_access *a, size_t n)
{
    uint32_t refs[64];
    size_t k = 0;

    for (size_t i = 0; i < n; i++) {
        uint64_t first = a[i].va >> VML_PAGE_SHIFT, last = first;
        int write = a[i].kind == VML_TRACE_WRITE || a[i].kind == VML_TRACE_MODIFY;

        if (a[i].kind == VML_TRACE_IFETCH && (w->flags & VML_REPLAY_NO_IFETCH))
            continue;
        if (a[i].flags & VML_TRACE_CONT) {
            if (!(w->flags & VML_REPLAY_STRADDLE))
                continue;
        } else if ((w->flags & VML_REPLAY_STRADDLE) && a[i].size > 1
                   && a[i].va + (a[i].size - 1) > a[i].va) {
            last = (a[i].va + (a[i].size - 1)) >> VML_PAGE_SHIFT;
        }
        if (a[i].pid >= 4096)
            return wr_fail(w, VML_E_RANGE, "pid %u does not fit an oracleGeneral object id "
                           "(pid << 52 | page; pids below 4096)", a[i].pid);
        for (uint64_t page = first; page <= last; page++) {
            uint32_t id;
            int is_new;
            if (imap_id(&w->map, a[i].pid, page, &id, &is_new) != 0)
                return wr_fail(w, VML_E_NOMEM, "out of memory");
            if (is_new) {
                if (id >= w->key_cap) {
                    size_t cap = w->key_cap ? 2 * w->key_cap : 1024;
                    uint64_t *key = realloc(w->key, cap * sizeof *key);
                    if (key == NULL)
                        return wr_fail(w, VML_E_NOMEM, "out of memory");
                    w->key = key;
                    w->key_cap = cap;
                }
                w->key[id] = (uint64_t)a[i].pid << 52 | page;
            }
            refs[k++] = id << 1 | (uint32_t)write;
            if (k == sizeof refs / sizeof refs[0]) {
                if (fut_append(&w->fut, refs, k) != 0)
                    return wr_fail(w, VML_E_IO, "%s", w->fut.err);
                k = 0;
            }
        }
    }
    if (k > 0 && fut_append(&w->fut, refs, k) != 0)
        return wr_fail(w, VML_E_IO, "%s", w->fut.err);
    return VML_OK;
}

static void le_put(uint8_t *p, uint64_t v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static vml_status oracle_finish(vml_trace_writer *w)
{
    uint64_t pos = 0;

    if (fut_resolve(&w->fut, w->map.n) != 0)
        return wr_fail(w, VML_E_IO, "%s", w->fut.err);
    for (size_t c = 0; c < w->fut.n_chunks; c++) {
        const uint32_t *refs;
        const uint64_t *next;
        size_t n, used = 0;
        if (fut_chunk_get(&w->fut, c, &refs, &next, &n) != 0)
            return wr_fail(w, VML_E_IO, "%s", w->fut.err);
        for (size_t i = 0; i < n; i++, pos++) {
            uint8_t *r = w->rec + used;
            le_put(r, 0, 4);           /* time: unknown (0 keeps cachesim quiet) */
            le_put(r + 4, w->key[PREF_ID(refs[i])], 8);
            le_put(r + 12, VML_PAGE_SIZE, 4);
            le_put(r + 16, next[i] == FUT_NEVER ? UINT64_MAX : next[i], 8);   /* -1: none */
            used += 24;
            if (used + 24 > sizeof w->rec) {
                if (sink_write(&w->sink, w->rec, used) != 0)
                    return wr_sink_failed(w);
                used = 0;
            }
        }
        if (sink_write(&w->sink, w->rec, used) != 0)
            return wr_sink_failed(w);
    }
    return VML_OK;
}

/* ---- the API -------------------------------------------------------------------------- */

vml_status vml_trace_writer_open(const char *path, vml_trace_format fmt, unsigned compress,
                                 unsigned flags, vml_trace_writer **out, char *err, size_t size)
{
    vml_trace_writer *w;
    char dummy[8];

    if (err == NULL || size == 0) {
        err = dummy;
        size = sizeof dummy;
    }
    err[0] = '\0';
    if (out == NULL || path == NULL) {
        snprintf(err, size, "invalid argument");
        return VML_E_INVALID;
    }
    *out = NULL;
    if (fmt == VML_TRACE_AUTO || (unsigned)fmt >= VML_N_TRACE_FORMATS) {
        snprintf(err, size, "%s: choose an output format (vmt, text, csv, lackey, oracle)", path);
        return VML_E_INVALID;
    }
    w = calloc(1, sizeof *w);
    if (w == NULL) {
        snprintf(err, size, "out of memory");
        return VML_E_NOMEM;
    }
    w->format = fmt;
    w->flags = flags;
    w->fut.fd = -1;
    if (imap_init(&w->map) != 0
        || (fmt == VML_TRACE_ORACLE && fut_init(&w->fut, 0, NULL) != 0)) {
        snprintf(err, size, "out of memory");
        imap_free(&w->map);
        fut_free(&w->fut);
        free(w);
        return VML_E_NOMEM;
    }
    if (sink_open(&w->sink, path, compress, err, size) != 0) {
        imap_free(&w->map);
        fut_free(&w->fut);
        free(w);
        return VML_E_IO;
    }
    if (fmt == VML_TRACE_VMT && vmt_header(w) != VML_OK)
        snprintf(err, size, "%s", w->err);
    else if (fmt == VML_TRACE_CSV && sink_write(&w->sink, "op,address,pid,size\n", 20) != 0)
        snprintf(err, size, "%s", w->sink.err);
    else {
        *out = w;
        return VML_OK;
    }
    sink_abort(&w->sink);
    imap_free(&w->map);
    fut_free(&w->fut);
    free(w);
    return VML_E_IO;
}

vml_status vml_trace_write(vml_trace_writer *w, const vml_trace_access *a, size_t n)
{
    if (w == NULL || (a == NULL && n > 0))
        return VML_E_INVALID;
    if (w->st != VML_OK)
        return w->st;
    switch (w->format) {
    case VML_TRACE_VMT:    return vmt_write(w, a, n);
    case VML_TRACE_ORACLE: return oracle_write(w, a, n);
    default:               return lines_write(w, a, n);
    }
}

vml_status vml_trace_write_raw(vml_trace_writer *w, const void *bytes, size_t n)
{
    if (w == NULL || (bytes == NULL && n > 0))
        return VML_E_INVALID;
    if (w->st != VML_OK)
        return w->st;
    if (w->format != VML_TRACE_LACKEY)
        return wr_fail(w, VML_E_INVALID, "raw bytes go only to a lackey writer");
    return sink_write(&w->sink, bytes, n) == 0 ? VML_OK : wr_sink_failed(w);
}

const char *vml_trace_writer_error(const vml_trace_writer *w)
{
    return w != NULL && w->st != VML_OK ? w->err : "";
}

vml_status vml_trace_writer_close(vml_trace_writer *w, char *err, size_t size)
{
    vml_status st;

    if (w == NULL)
        return VML_E_INVALID;
    st = w->st;
    if (st == VML_OK && w->format == VML_TRACE_VMT)
        st = vmt_finish(w);
    else if (st == VML_OK && w->format == VML_TRACE_ORACLE)
        st = oracle_finish(w);
    if (st == VML_OK) {
        if (sink_close(&w->sink) != 0)
            st = wr_sink_failed(w);
    } else {
        sink_abort(&w->sink);
    }
    if (err != NULL && size > 0)
        snprintf(err, size, "%s", st == VML_OK ? "" : w->err);
    imap_free(&w->map);
    fut_free(&w->fut);
    free(w->key);
    free(w);
    return st;
}
