/*
** trace.c -- vml_trace: a byte source, the reader of its format, and what
** every reader shares (messages that name the place, lines, numbers).
**
** INVARIANTS:
**   TR1 t->st is VML_OK until the first failure; from then on every read
**       returns it again and t->err names the file, the line or byte
**       offset, and the problem.  A failed trace never reports its end:
**       results read from it are never complete.
**   TR2 t->accesses counts the accesses read: the records handed out by
**       vml_trace_read but a vmt straddle's continuations (part of the
**       access before them).
**
** TRANSITIONS: open -> reading -> at end | failed (sticky).
*/
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trace.h"

static const struct {
    const char *name, *desc;
} format_text[] = {
#define VML_X_TEXT(id, name, desc) [id] = { name, desc },
    VML_TRACE_FORMAT_LIST(VML_X_TEXT)
#undef VML_X_TEXT
};

const char *vml_trace_format_name(vml_trace_format f)
{
    return (unsigned)f < VML_N_TRACE_FORMATS ? format_text[f].name : "?";
}

const char *vml_trace_format_desc(vml_trace_format f)
{
    return (unsigned)f < VML_N_TRACE_FORMATS ? format_text[f].desc : "?";
}

vml_status vml_trace_format_parse(const char *name, vml_trace_format *out)
{
    if (name == NULL || out == NULL)
        return VML_E_INVALID;
    for (unsigned f = 0; f < VML_N_TRACE_FORMATS; f++)
        if (strcmp(name, format_text[f].name) == 0) {
            *out = (vml_trace_format)f;
            return VML_OK;
        }
    return VML_E_NOT_FOUND;
}

const char *vml_compress_name(unsigned c)
{
    switch (c) {
    case VML_COMPRESS_NONE: return "none";
    case VML_COMPRESS_ZSTD: return "zstd";
    case VML_COMPRESS_XZ:   return "xz";
    case VML_COMPRESS_GZIP: return "gzip";
    }
    return "?";
}

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);

    return n >= k && strcmp(s + n - k, suffix) == 0;
}

unsigned vml_compress_from_name(const char *path)
{
    if (path == NULL)
        return VML_COMPRESS_NONE;
    if (ends_with(path, ".zst") || ends_with(path, ".zstd"))
        return VML_COMPRESS_ZSTD;
    if (ends_with(path, ".xz"))
        return VML_COMPRESS_XZ;
    if (ends_with(path, ".gz"))
        return VML_COMPRESS_GZIP;
    return VML_COMPRESS_NONE;
}

/* ---- failures ----------------------------------------------------------------- */

static vml_status tr_vfail(vml_trace *t, vml_status st, const char *place, const char *fmt,
                           va_list ap)
{
    int n;

    if (t->st != VML_OK)
        return t->st;               /* TR1: the first failure stays */
    n = snprintf(t->err, sizeof t->err, "%s%s", t->src.name, place);
    if (n < 0 || (size_t)n >= sizeof t->err)
        n = 0;
    vsnprintf(t->err + n, sizeof t->err - (size_t)n, fmt, ap);
    t->st = st;
    return st;
}

vml_status tr_fail_line(vml_trace *t, vml_status st, uint64_t line, const char *fmt, ...)
{
    char place[32];
    va_list ap;
    vml_status r;

    snprintf(place, sizeof place, ":%llu: ", (unsigned long long)line);
    va_start(ap, fmt);
    r = tr_vfail(t, st, place, fmt, ap);
    va_end(ap);
    return r;
}

vml_status tr_fail_byte(vml_trace *t, vml_status st, uint64_t byte, const char *fmt, ...)
{
    char place[48];
    va_list ap;
    vml_status r;

    snprintf(place, sizeof place, ": byte %llu: ", (unsigned long long)byte);
    va_start(ap, fmt);
    r = tr_vfail(t, st, place, fmt, ap);
    va_end(ap);
    return r;
}

vml_status tr_fail_src(vml_trace *t)
{
    if (t->st == VML_OK) {
        /* The source's message already starts with the name. */
        snprintf(t->err, sizeof t->err, "%s", t->src.err);
        t->st = VML_E_IO;
    }
    return t->st;
}

void tr_quote(char *out, size_t size, const char *text, size_t len)
{
    size_t o = 0, show = len > 40 ? 40 : len;

    if (size < 8) {
        if (size > 0)
            out[0] = '\0';
        return;
    }
    out[o++] = '\'';
    for (size_t i = 0; i < show && o + 6 < size; i++) {
        unsigned char c = (unsigned char)text[i];
        if (isprint(c))
            out[o++] = (char)c;
        else
            o += (size_t)snprintf(out + o, size - o, "\\x%02x", c);
    }
    if (show < len && o + 4 < size) {
        memcpy(out + o, "...", 3);
        o += 3;
    }
    out[o++] = '\'';
    out[o] = '\0';
}

/* ---- lines and numbers ------------------------------------------------------------ */

int tr_next_line(vml_trace *t, const char **line, size_t *len)
{
    struct src *s = &t->src;

    for (;;) {
        const uint8_t *start = s->buf + s->pos;
        size_t avail = s->len - s->pos;
        const uint8_t *nl = avail ? memchr(start, '\n', avail) : NULL;

        if (nl != NULL) {
            *line = (const char *)start;
            *len = (size_t)(nl - start);
            if (*len > 0 && start[*len - 1] == '\r')
                (*len)--;
            s->pos += (size_t)(nl - start) + 1;
            t->line++;
            return 0;
        }
        if (s->eof) {
            if (avail == 0)
                return 1;
            *line = (const char *)start;       /* a last line without '\n' */
            *len = avail;
            if (start[avail - 1] == '\r')
                (*len)--;
            s->pos = s->len;
            t->line++;
            return 0;
        }
        if (avail >= SRC_LINE_MAX) {
            tr_fail_line(t, VML_E_SYNTAX, t->line + 1, "line longer than %u bytes (not a text trace?)",
                         SRC_LINE_MAX);
            return -1;
        }
        if (src_fill(s, avail + 1) != 0) {
            tr_fail_src(t);
            return -1;
        }
    }
}

static int hex_digit(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c |= 0x20;
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

int tr_hex(const char *s, size_t len, size_t *i, uint64_t *out, int *overflow)
{
    size_t k = *i;
    uint64_t v = 0;
    int d;

    *overflow = 0;
    if (k + 1 < len && s[k] == '0' && (s[k + 1] == 'x' || s[k + 1] == 'X')) {
        if (k + 2 >= len || hex_digit((unsigned char)s[k + 2]) < 0)
            return -1;                /* "0x" and no digit */
        k += 2;
    }
    if (k >= len || hex_digit((unsigned char)s[k]) < 0)
        return -1;
    while (k < len && (d = hex_digit((unsigned char)s[k])) >= 0) {
        if (v >> 60) {
            *overflow = 1;
            return -1;
        }
        v = v << 4 | (uint64_t)d;
        k++;
    }
    *out = v;
    *i = k;
    return 0;
}

int tr_dec(const char *s, size_t len, size_t *i, uint64_t *out, int *overflow)
{
    size_t k = *i;
    uint64_t v = 0;

    *overflow = 0;
    if (k >= len || s[k] < '0' || s[k] > '9')
        return -1;
    while (k < len && s[k] >= '0' && s[k] <= '9') {
        uint64_t d = (uint64_t)(s[k] - '0');
        if (v > (UINT64_MAX - d) / 10) {
            *overflow = 1;
            return -1;
        }
        v = v * 10 + d;
        k++;
    }
    *out = v;
    *i = k;
    return 0;
}

/* ---- vml_trace -------------------------------------------------------------------- */

static const struct rd_ops *reader_of(vml_trace_format f)
{
    switch (f) {
    case VML_TRACE_LACKEY: return &rd_lackey;
    case VML_TRACE_TEXT:   return &rd_text;
    case VML_TRACE_CSV:    return &rd_csv;
    case VML_TRACE_VMT:    return &rd_vmt;
    case VML_TRACE_ORACLE: return &rd_oracle;
    default:               return NULL;
    }
}

static vml_status trace_start(vml_trace *t, vml_trace_format fmt, char *err, size_t size)
{
    vml_status st;

    if (fmt == VML_TRACE_AUTO) {
        st = detect_format(&t->src, &fmt, err, size);
        if (st != VML_OK)
            return st;
    }
    t->rd = reader_of(fmt);
    if (t->rd == NULL) {
        snprintf(err, size, "%s: no reader for format %d", t->src.name, (int)fmt);
        return VML_E_INVALID;
    }
    st = t->rd->start != NULL ? t->rd->start(t) : VML_OK;
    if (st != VML_OK)
        snprintf(err, size, "%s", t->err);
    return st;
}

static vml_status trace_open(int fd, const char *path, vml_trace_format fmt, vml_trace **out,
                             char *err, size_t size)
{
    vml_trace *t;
    vml_status st;
    char dummy[8];

    if (err == NULL || size == 0) {
        err = dummy;
        size = sizeof dummy;
    }
    err[0] = '\0';
    if (out == NULL || (unsigned)fmt >= VML_N_TRACE_FORMATS) {
        snprintf(err, size, "invalid argument");
        return VML_E_INVALID;
    }
    *out = NULL;
    t = calloc(1, sizeof *t);
    if (t == NULL) {
        snprintf(err, size, "out of memory");
        return VML_E_NOMEM;
    }
    if ((path != NULL ? src_open_path(&t->src, path, err, size)
                      : src_open_fd(&t->src, fd, NULL, err, size)) != 0) {
        free(t);
        return VML_E_IO;
    }
    st = trace_start(t, fmt, err, size);
    if (st != VML_OK) {
        vml_trace_close(t);
        return st;
    }
    *out = t;
    return VML_OK;
}

vml_status vml_trace_open(const char *path, vml_trace_format fmt, vml_trace **out, char *err,
                          size_t size)
{
    if (path == NULL) {
        if (err != NULL && size > 0)
            snprintf(err, size, "no trace path");
        return VML_E_INVALID;
    }
    return trace_open(-1, path, fmt, out, err, size);
}

vml_status vml_trace_open_fd(int fd, const char *name, vml_trace_format fmt, vml_trace **out,
                             char *err, size_t size)
{
    vml_status st;

    if (fd < 0) {
        if (err != NULL && size > 0)
            snprintf(err, size, "bad file descriptor");
        return VML_E_INVALID;
    }
    st = trace_open(fd, NULL, fmt, out, err, size);
    if (st == VML_OK && name != NULL)
        snprintf((*out)->src.name, sizeof (*out)->src.name, "%s", name);
    return st;
}

void vml_trace_close(vml_trace *t)
{
    if (t == NULL)
        return;
    src_close(&t->src);
    free(t->vmt.page_of);
    free(t->vmt.pid_of);
    free(t);
}

vml_status vml_trace_read(vml_trace *t, vml_trace_access *buf, size_t max, size_t *n)
{
    vml_status st;

    if (n != NULL)
        *n = 0;
    if (t == NULL || n == NULL || (buf == NULL && max > 0))
        return VML_E_INVALID;
    if (t->st != VML_OK)
        return t->st;
    if (max == 0)
        return VML_OK;
    st = t->rd->read(t, buf, max, n);
    if (t->rd != &rd_vmt)                /* vmt counts its own (TR2) */
        t->accesses += *n;
    return st;
}

const char *vml_trace_error(const vml_trace *t)
{
    return t != NULL && t->st != VML_OK ? t->err : "";
}

void vml_trace_info_get(const vml_trace *t, vml_trace_info *out)
{
    if (out == NULL)
        return;
    memset(out, 0, sizeof *out);
    if (t == NULL)
        return;
    out->format = t->rd != NULL ? t->rd->format : VML_TRACE_AUTO;
    out->compression = t->src.compression;
    out->bytes_in = src_bytes_in(&t->src);
    out->size_in = t->src.size;
    out->accesses = t->accesses;
}
