/*
** ld.h -- what the loader's parsers share (internal to src/loader/):
** the parse context, error messages that name the place, checked
** arithmetic, little-endian fields, bounded reads, the string pool and
** growable arrays.
*/
#ifndef VML_LOADER_LD_H
#define VML_LOADER_LD_H

#include <stddef.h>
#include <stdint.h>

#include "image.h"

/* One parse: where the bytes come from, what is being built, where the
** one error line goes. */
struct ld_ctx {
    const struct ld_reader *r;
    struct ld_image *img;
    char *err;
    size_t err_size;
    const char *fmt;        /* "PE" or "ELF": the first word of every message */
};

#if defined(__GNUC__)
#define LD_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define LD_PRINTF(a, b)
#endif

/* Writes "FMT: offset 0xOFF: MESSAGE" into the context's err and returns st. */
vml_status ld_fail(struct ld_ctx *c, vml_status st, uint64_t off, const char *fmt, ...)
    LD_PRINTF(4, 5);
/* The same without an offset (a problem of the whole file, or of an RVA). */
vml_status ld_fail_at(struct ld_ctx *c, vml_status st, const char *fmt, ...)
    LD_PRINTF(3, 4);

/* Checked arithmetic: 0 and *out on success, -1 on overflow. */
static inline int ld_add(uint64_t a, uint64_t b, uint64_t *out)
{
    return __builtin_add_overflow(a, b, out) ? -1 : 0;
}
static inline int ld_mul(uint64_t a, uint64_t b, uint64_t *out)
{
    return __builtin_mul_overflow(a, b, out) ? -1 : 0;
}

static inline uint16_t ld_le16(const uint8_t *p)
{
    return (uint16_t)(p[0] | (unsigned)p[1] << 8);
}
static inline uint32_t ld_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static inline uint64_t ld_le64(const uint8_t *p)
{
    return (uint64_t)ld_le32(p) | (uint64_t)ld_le32(p + 4) << 32;
}

/* Reads len bytes at off into buf; past the end of the file it fails with
** "<what> (len bytes at 0xOFF) runs past the end of the file (END > SIZE)". */
vml_status ld_get(struct ld_ctx *c, uint64_t off, size_t len, void *buf, const char *what);

/* 1 when every byte of [rva, rva + n) lies in a segment (adjacent segments
** may share the range), else 0. */
int ld_range_mapped(const struct ld_image *img, uint64_t rva, uint64_t n);

/* Reads n bytes of the image at rva (ld_image_read) after checking that
** [rva, rva + n) lies inside one segment; else names what. */
vml_status ld_get_rva(struct ld_ctx *c, uint64_t rva, size_t n, void *buf, const char *what);

/* Adds s[0..n) and a NUL to the string pool; *off is its offset. */
vml_status ld_str_add(struct ld_ctx *c, const char *s, size_t n, uint32_t *off);
/* Reads a NUL-terminated name of at most LD_MAX_NAME bytes at rva of the
** image and adds it to the pool. */
vml_status ld_str_rva(struct ld_ctx *c, uint64_t rva, const char *what, uint32_t *off);

/* Makes room for need elements of elem bytes in *p (capacity *cap, at most
** max): 0, or -1 when past max or out of memory (no error written). */
int ld_grow(void **p, size_t *cap, size_t need, size_t elem, size_t max);

/* A new, empty image with its string pool holding "" at offset 0. */
struct ld_image *ld_image_new(enum ld_format f);
/* Sorts segments by rva and checks they do not overlap and lie inside
** image_size (LD2, LD3). */
vml_status ld_segments_finish(struct ld_ctx *c);
/* Sorts relocations, refuses overlaps and relocations outside segments,
** builds the page index and the straddle table (reloc.c). */
vml_status ld_relocs_finish(struct ld_ctx *c);
/* Appends one relocation (checked against LD_MAX_RELOCS). */
vml_status ld_reloc_push(struct ld_ctx *c, size_t *cap, const struct ld_reloc *rel);

/* The width in bytes of what a relocation kind writes on a format. */
unsigned ld_reloc_width(const struct ld_reloc *rel);

#endif
