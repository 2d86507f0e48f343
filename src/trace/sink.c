/*
** sink.c -- the byte sink under the trace writers: a file (or standard
** output for "-"), compressed in-process with libzstd, liblzma or zlib
** when asked.  Bytes are buffered and compressed in 1 MiB blocks, so
** memory does not grow with what is written.
**
** INVARIANTS:
**   SK1 After a failure err is set and every later call fails; nothing
**       written after it reaches the file.
**   SK2 sink_close finishes the compressed stream (the zstd frame end,
**       the xz index, the gzip trailer) before closing: a file whose
**       sink_close failed, or that was aborted, is incomplete.
*/
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <lzma.h>
#include <zlib.h>
#include <zstd.h>

#include "trace.h"

#define SINK_BLOCK (1u << 20)

struct sink_codec {
    ZSTD_CCtx  *zs;
    lzma_stream xz;
    int         xz_on;
    z_stream    gz;
    int         gz_on;
};

static int sink_fail(struct sink *k, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
static int sink_fail(struct sink *k, const char *fmt, ...)
{
    va_list ap;
    int n;

    if (k->err[0] != '\0')
        return -1;
    n = snprintf(k->err, sizeof k->err, "%s: ", k->name);
    if (n < 0 || (size_t)n >= sizeof k->err)
        n = 0;
    va_start(ap, fmt);
    vsnprintf(k->err + n, sizeof k->err - (size_t)n, fmt, ap);
    va_end(ap);
    return -1;
}

static int write_all(struct sink *k, const uint8_t *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(k->fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return sink_fail(k, "write error: %s", strerror(errno));
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Compresses buf[0..len) (finishing the stream when last) and writes it. */
static int sink_flush(struct sink *k, int last)
{
    struct sink_codec *c = k->codec;

    if (k->err[0] != '\0')
        return -1;
    switch (k->compression) {
    case VML_COMPRESS_ZSTD: {
        ZSTD_inBuffer in = { k->buf, k->len, 0 };
        for (;;) {
            ZSTD_outBuffer out = { k->out, k->out_cap, 0 };
            size_t r = ZSTD_compressStream2(c->zs, &out, &in, last ? ZSTD_e_end : ZSTD_e_continue);
            if (ZSTD_isError(r))
                return sink_fail(k, "zstd: %s", ZSTD_getErrorName(r));
            if (write_all(k, k->out, out.pos) != 0)
                return -1;
            if (last ? r == 0 : in.pos == in.size)
                break;
        }
        break;
    }
    case VML_COMPRESS_XZ:
        c->xz.next_in = k->buf;
        c->xz.avail_in = k->len;
        for (;;) {
            lzma_ret r;
            c->xz.next_out = k->out;
            c->xz.avail_out = k->out_cap;
            r = lzma_code(&c->xz, last ? LZMA_FINISH : LZMA_RUN);
            if (r != LZMA_OK && r != LZMA_STREAM_END)
                return sink_fail(k, "xz encoder error %d", (int)r);
            if (write_all(k, k->out, k->out_cap - c->xz.avail_out) != 0)
                return -1;
            if (last ? r == LZMA_STREAM_END : c->xz.avail_in == 0)
                break;
        }
        break;
    case VML_COMPRESS_GZIP:
        c->gz.next_in = k->buf;
        c->gz.avail_in = (uInt)k->len;
        for (;;) {
            int r;
            c->gz.next_out = k->out;
            c->gz.avail_out = (uInt)k->out_cap;
            r = deflate(&c->gz, last ? Z_FINISH : Z_NO_FLUSH);
            if (r == Z_STREAM_ERROR)
                return sink_fail(k, "gzip encoder error");
            if (write_all(k, k->out, k->out_cap - c->gz.avail_out) != 0)
                return -1;
            if (last ? r == Z_STREAM_END : c->gz.avail_in == 0)
                break;
        }
        break;
    default:
        if (write_all(k, k->buf, k->len) != 0)
            return -1;
    }
    k->len = 0;
    return 0;
}

static int codec_start(struct sink *k)
{
    struct sink_codec *c = calloc(1, sizeof *c);

    if (c == NULL)
        return sink_fail(k, "out of memory");
    k->codec = c;
    switch (k->compression) {
    case VML_COMPRESS_ZSTD:
        c->zs = ZSTD_createCCtx();
        if (c->zs == NULL || ZSTD_isError(ZSTD_CCtx_setParameter(c->zs, ZSTD_c_compressionLevel, 3)))
            return sink_fail(k, "cannot start the zstd encoder");
        break;
    case VML_COMPRESS_XZ: {
        lzma_stream init = LZMA_STREAM_INIT;
        c->xz = init;
        if (lzma_easy_encoder(&c->xz, 3, LZMA_CHECK_CRC64) != LZMA_OK)
            return sink_fail(k, "cannot start the xz encoder");
        c->xz_on = 1;
        break;
    }
    case VML_COMPRESS_GZIP:
        if (deflateInit2(&c->gz, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
            return sink_fail(k, "cannot start the gzip encoder");
        c->gz_on = 1;
        break;
    }
    return 0;
}

static void codec_end(struct sink *k)
{
    struct sink_codec *c = k->codec;

    if (c == NULL)
        return;
    if (c->zs != NULL)
        ZSTD_freeCCtx(c->zs);
    if (c->xz_on)
        lzma_end(&c->xz);
    if (c->gz_on)
        deflateEnd(&c->gz);
    free(c);
    k->codec = NULL;
}

int sink_open(struct sink *k, const char *path, unsigned compression, char *err, size_t size)
{
    memset(k, 0, sizeof *k);
    k->fd = -1;
    snprintf(k->name, sizeof k->name, "%s", strcmp(path, "-") == 0 ? "<stdout>" : path);
    if (compression > VML_COMPRESS_GZIP) {
        snprintf(err, size, "%s: unknown compression %u", k->name, compression);
        return -1;
    }
    k->compression = compression;
    k->cap = SINK_BLOCK;
    k->out_cap = SINK_BLOCK / 2;
    k->buf = malloc(k->cap);
    k->out = malloc(k->out_cap);
    if (k->buf == NULL || k->out == NULL) {
        sink_fail(k, "out of memory");
        goto fail;
    }
    if (compression != VML_COMPRESS_NONE && codec_start(k) != 0)
        goto fail;
    if (strcmp(path, "-") == 0) {
        k->fd = 1;
    } else {
        k->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (k->fd < 0) {
            sink_fail(k, "cannot create: %s", strerror(errno));
            goto fail;
        }
    }
    return 0;
fail:
    snprintf(err, size, "%s", k->err);
    sink_abort(k);
    return -1;
}

int sink_write(struct sink *k, const void *bytes, size_t n)
{
    const uint8_t *p = bytes;

    if (k->err[0] != '\0')
        return -1;
    while (n > 0) {
        size_t room = k->cap - k->len, take = n < room ? n : room;
        memcpy(k->buf + k->len, p, take);
        k->len += take;
        p += take;
        n -= take;
        if (k->len == k->cap && sink_flush(k, 0) != 0)
            return -1;
    }
    return 0;
}

int sink_close(struct sink *k)
{
    int r = sink_flush(k, 1);

    if (k->fd > 1 && close(k->fd) != 0 && r == 0)
        r = sink_fail(k, "close: %s", strerror(errno));
    k->fd = -1;
    codec_end(k);
    free(k->buf);
    free(k->out);
    k->buf = k->out = NULL;
    return r;
}

void sink_abort(struct sink *k)
{
    if (k->fd > 1)
        close(k->fd);
    k->fd = -1;
    codec_end(k);
    free(k->buf);
    free(k->out);
    k->buf = k->out = NULL;
}
