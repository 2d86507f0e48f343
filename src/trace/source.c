/*
** source.c -- the byte source under every trace reader: a file, a pipe or
** standard input, decompressed in-process when its first bytes are the
** magic of a zstd frame (28 B5 2F FD), an xz stream (FD 37 7A 58 5A 00)
** or a gzip member (1F 8B).  Concatenated frames, streams and members are
** read one after the other, as the command-line tools do.  Readers see a
** window of decompressed bytes; memory is the window and the compressed
** buffer, whatever the length of the trace.
**
** INVARIANTS:
**   SR1 pos <= len <= cap; buf[0] is at decompressed offset off.
**   SR2 eof is set only when the decompressor (or the file) has no byte
**       after buf[len): a stream that ends inside a frame, an xz block or
**       a gzip member is an error ("truncated"), never an end.
**   SR3 After a failure err is non-empty and src_fill keeps failing.
**
** TRANSITIONS: raw bytes -> window (src_fill), window -> consumed (the
** readers advance pos).
*/
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <lzma.h>
#include <zlib.h>
#include <zstd.h>

#include "trace.h"

#define RAW_CAP (256u << 10)

struct src_codec {
    ZSTD_DCtx  *zs;
    size_t      zs_hint;       /* last ZSTD_decompressStream return: 0 = frame complete */
    lzma_stream xz;
    int         xz_on;
    int         xz_done;       /* LZMA_STREAM_END seen */
    z_stream    gz;
    int         gz_on;
    int         gz_in_member;  /* inside a member: its end not yet seen */
};

static int src_fail(struct src *s, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
static int src_fail(struct src *s, const char *fmt, ...)
{
    va_list ap;
    int n;

    if (s->err[0] != '\0')
        return -1;             /* SR3: the first failure is the one reported */
    n = snprintf(s->err, sizeof s->err, "%s: ", s->name);
    if (n < 0 || (size_t)n >= sizeof s->err)
        n = 0;
    va_start(ap, fmt);
    vsnprintf(s->err + n, sizeof s->err - (size_t)n, fmt, ap);
    va_end(ap);
    return -1;
}

uint64_t src_bytes_in(const struct src *s)
{
    return s->raw_off - (s->raw_len - s->raw_pos);
}

/* Reads more raw bytes after the unconsumed ones: 0, or -1. */
static int raw_more(struct src *s)
{
    ssize_t got;

    if (s->raw_pos > 0) {
        memmove(s->raw, s->raw + s->raw_pos, s->raw_len - s->raw_pos);
        s->raw_len -= s->raw_pos;
        s->raw_pos = 0;
    }
    if (s->raw_eof || s->raw_len == s->raw_cap)
        return 0;
    do
        got = read(s->fd, s->raw + s->raw_len, s->raw_cap - s->raw_len);
    while (got < 0 && errno == EINTR);
    if (got < 0)
        return src_fail(s, "read error at byte %llu: %s", (unsigned long long)s->raw_off,
                        strerror(errno));
    if (got == 0)
        s->raw_eof = 1;
    s->raw_len += (size_t)got;
    s->raw_off += (uint64_t)got;
    return 0;
}

/* ---- decompressors: each appends to buf[len..cap) ------------------------ */

static int zstd_more(struct src *s)
{
    struct src_codec *c = s->codec;

    while (s->len < s->cap) {
        ZSTD_inBuffer in = { s->raw + s->raw_pos, s->raw_len - s->raw_pos, 0 };
        ZSTD_outBuffer out = { s->buf + s->len, s->cap - s->len, 0 };
        size_t r;

        if (in.size == 0) {
            if (raw_more(s) != 0)
                return -1;
            if (s->raw_len == s->raw_pos) {      /* the file ends */
                if (c->zs_hint != 0)
                    return src_fail(s, "truncated zstd stream: the file ends inside a frame "
                                    "(at byte %llu)", (unsigned long long)s->raw_off);
                s->eof = 1;
                return 0;
            }
            continue;
        }
        r = ZSTD_decompressStream(c->zs, &out, &in);
        s->raw_pos += in.pos;
        s->len += out.pos;
        if (ZSTD_isError(r))
            return src_fail(s, "corrupt zstd stream near byte %llu: %s",
                            (unsigned long long)src_bytes_in(s), ZSTD_getErrorName(r));
        c->zs_hint = r;
        if (out.pos > 0)
            return 0;
    }
    return 0;
}

static int xz_more(struct src *s)
{
    struct src_codec *c = s->codec;

    while (s->len < s->cap) {
        lzma_ret r;
        size_t avail_before;

        if (s->raw_pos == s->raw_len && !s->raw_eof && raw_more(s) != 0)
            return -1;
        c->xz.next_in = s->raw + s->raw_pos;
        c->xz.avail_in = s->raw_len - s->raw_pos;
        c->xz.next_out = s->buf + s->len;
        c->xz.avail_out = s->cap - s->len;
        avail_before = c->xz.avail_out;
        r = lzma_code(&c->xz, s->raw_eof ? LZMA_FINISH : LZMA_RUN);
        s->raw_pos = s->raw_len - c->xz.avail_in;
        s->len += avail_before - c->xz.avail_out;
        if (r == LZMA_STREAM_END) {
            s->eof = 1;
            return 0;
        }
        if (r == LZMA_BUF_ERROR && s->raw_eof)
            return src_fail(s, "truncated xz stream: the file ends inside it (at byte %llu)",
                            (unsigned long long)s->raw_off);
        if (r != LZMA_OK && r != LZMA_BUF_ERROR)
            return src_fail(s, "corrupt xz stream near byte %llu: %s",
                            (unsigned long long)src_bytes_in(s),
                            r == LZMA_DATA_ERROR ? "data error" :
                            r == LZMA_FORMAT_ERROR ? "not an xz stream" :
                            r == LZMA_OPTIONS_ERROR ? "unsupported options" :
                            r == LZMA_MEM_ERROR ? "out of memory" : "decoder error");
        if (avail_before != c->xz.avail_out)
            return 0;
    }
    return 0;
}

static int gz_more(struct src *s)
{
    struct src_codec *c = s->codec;

    while (s->len < s->cap) {
        int r;
        uInt avail_before;

        if (s->raw_pos == s->raw_len) {
            if (raw_more(s) != 0)
                return -1;
            if (s->raw_pos == s->raw_len) {
                if (c->gz_in_member)
                    return src_fail(s, "truncated gzip stream: the file ends inside a member "
                                    "(at byte %llu)", (unsigned long long)s->raw_off);
                s->eof = 1;
                return 0;
            }
        }
        if (!c->gz_in_member) {            /* another member follows */
            if (inflateReset(&c->gz) != Z_OK)
                return src_fail(s, "gzip decoder error");
            c->gz_in_member = 1;
        }
        c->gz.next_in = s->raw + s->raw_pos;
        c->gz.avail_in = (uInt)(s->raw_len - s->raw_pos);
        c->gz.next_out = s->buf + s->len;
        c->gz.avail_out = (uInt)(s->cap - s->len);
        avail_before = c->gz.avail_out;
        r = inflate(&c->gz, Z_NO_FLUSH);
        s->raw_pos = s->raw_len - c->gz.avail_in;
        s->len += avail_before - c->gz.avail_out;
        if (r == Z_STREAM_END)
            c->gz_in_member = 0;
        else if (r == Z_DATA_ERROR || r == Z_NEED_DICT || r == Z_MEM_ERROR || r == Z_STREAM_ERROR)
            return src_fail(s, "corrupt gzip stream near byte %llu: %s",
                            (unsigned long long)src_bytes_in(s),
                            c->gz.msg ? c->gz.msg : "inflate error");
        if (avail_before != c->gz.avail_out)
            return 0;
    }
    return 0;
}

static int plain_more(struct src *s)
{
    size_t n;

    /* Unconsumed raw bytes first (the ones read to look at the magic). */
    if (s->raw_pos < s->raw_len) {
        n = s->raw_len - s->raw_pos;
        if (n > s->cap - s->len)
            n = s->cap - s->len;
        memcpy(s->buf + s->len, s->raw + s->raw_pos, n);
        s->raw_pos += n;
        s->len += n;
        return 0;
    }
    for (;;) {
        ssize_t got = read(s->fd, s->buf + s->len, s->cap - s->len);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0)
            return src_fail(s, "read error at byte %llu: %s", (unsigned long long)s->raw_off,
                            strerror(errno));
        if (got == 0)
            s->eof = 1;
        s->len += (size_t)got;
        s->raw_off += (uint64_t)got;
        return 0;
    }
}

int src_fill(struct src *s, size_t want)
{
    if (s->err[0] != '\0')
        return -1;
    if (s->len - s->pos >= want || s->eof)
        return 0;
    if (s->pos > 0) {                 /* SR1: keep the unconsumed tail */
        memmove(s->buf, s->buf + s->pos, s->len - s->pos);
        s->off += s->pos;
        s->len -= s->pos;
        s->pos = 0;
    }
    if (want > s->cap) {
        uint8_t *nb = realloc(s->buf, want);
        if (nb == NULL)
            return src_fail(s, "out of memory");
        s->buf = nb;
        s->cap = want;
    }
    while (s->len - s->pos < want && !s->eof) {
        int r;
        switch (s->compression) {
        case VML_COMPRESS_ZSTD: r = zstd_more(s); break;
        case VML_COMPRESS_XZ:   r = xz_more(s); break;
        case VML_COMPRESS_GZIP: r = gz_more(s); break;
        default:                r = plain_more(s); break;
        }
        if (r != 0)
            return -1;
    }
    return 0;
}

/* ---- opening -------------------------------------------------------------------- */

static unsigned magic_compression(const uint8_t *b, size_t n)
{
    static const uint8_t zstd[4] = { 0x28, 0xB5, 0x2F, 0xFD };
    static const uint8_t xz[6] = { 0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00 };

    if (n >= 4 && memcmp(b, zstd, 4) == 0)
        return VML_COMPRESS_ZSTD;
    if (n >= 6 && memcmp(b, xz, 6) == 0)
        return VML_COMPRESS_XZ;
    if (n >= 2 && b[0] == 0x1F && b[1] == 0x8B)
        return VML_COMPRESS_GZIP;
    return VML_COMPRESS_NONE;
}

static int codec_start(struct src *s)
{
    struct src_codec *c = calloc(1, sizeof *c);

    if (c == NULL)
        return src_fail(s, "out of memory");
    s->codec = c;
    switch (s->compression) {
    case VML_COMPRESS_ZSTD:
        c->zs = ZSTD_createDCtx();
        if (c->zs == NULL)
            return src_fail(s, "out of memory");
        c->zs_hint = 0;
        return 0;
    case VML_COMPRESS_XZ: {
        lzma_stream init = LZMA_STREAM_INIT;
        c->xz = init;
        if (lzma_stream_decoder(&c->xz, UINT64_MAX, LZMA_CONCATENATED) != LZMA_OK)
            return src_fail(s, "cannot start the xz decoder");
        c->xz_on = 1;
        return 0;
    }
    case VML_COMPRESS_GZIP:
        if (inflateInit2(&c->gz, 15 + 16) != Z_OK)   /* gzip wrapper */
            return src_fail(s, "cannot start the gzip decoder");
        c->gz_on = 1;
        c->gz_in_member = 1;
        return 0;
    }
    return 0;
}

static int src_start(struct src *s, char *err, size_t size)
{
    struct stat sb;

    s->raw_cap = RAW_CAP;
    s->raw = malloc(s->raw_cap);
    s->cap = SRC_WINDOW;
    s->buf = malloc(s->cap);
    if (s->raw == NULL || s->buf == NULL) {
        src_fail(s, "out of memory");
        goto fail;
    }
    if (fstat(s->fd, &sb) == 0 && S_ISREG(sb.st_mode))
        s->size = (uint64_t)sb.st_size;
    /* Enough bytes to see a magic number (a pipe may give them one by one). */
    while (s->raw_len < 6 && !s->raw_eof)
        if (raw_more(s) != 0)
            goto fail;
    s->compression = magic_compression(s->raw, s->raw_len);
    if (s->compression != VML_COMPRESS_NONE && codec_start(s) != 0)
        goto fail;
    return 0;
fail:
    snprintf(err, size, "%s", s->err);
    return -1;
}

int src_open_path(struct src *s, const char *path, char *err, size_t size)
{
    memset(s, 0, sizeof *s);
    s->fd = -1;
    if (strcmp(path, "-") == 0)
        return src_open_fd(s, 0, "<stdin>", err, size);
    snprintf(s->name, sizeof s->name, "%s", path);
    s->fd = open(path, O_RDONLY);
    if (s->fd < 0) {
        snprintf(err, size, "%s: cannot open: %s", path, strerror(errno));
        return -1;
    }
    s->own_fd = 1;
    if (src_start(s, err, size) != 0) {
        src_close(s);
        return -1;
    }
    return 0;
}

int src_open_fd(struct src *s, int fd, const char *name, char *err, size_t size)
{
    memset(s, 0, sizeof *s);
    s->fd = fd;
    snprintf(s->name, sizeof s->name, "%s", name != NULL ? name : "<fd>");
    if (src_start(s, err, size) != 0) {
        src_close(s);
        return -1;
    }
    return 0;
}

void src_close(struct src *s)
{
    if (s->codec != NULL) {
        if (s->codec->zs != NULL)
            ZSTD_freeDCtx(s->codec->zs);
        if (s->codec->xz_on)
            lzma_end(&s->codec->xz);
        if (s->codec->gz_on)
            inflateEnd(&s->codec->gz);
        free(s->codec);
    }
    if (s->own_fd && s->fd >= 0)
        close(s->fd);
    free(s->raw);
    free(s->buf);
    s->codec = NULL;
    s->raw = s->buf = NULL;
    s->fd = -1;
}
