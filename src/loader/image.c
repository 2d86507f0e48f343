/*
** image.c -- the format-neutral image description: creation and freeing,
** the helpers every parser shares (errors, bounded reads, strings,
** arrays), segments, and the invariants of a parsed image.
**
** INVARIANTS (checked by ld_image_check(); cite the ID in assertions):
**   LD1  image_size is a non-zero multiple of the page size, at most
**        LD_MAX_IMAGE_SIZE, and n_pages == image_size / page.
**   LD2  Every segment lies inside the image: rva + mem_size <= image_size,
**        file_size <= mem_size, and its file range lies inside the file.
**   LD3  Segments are sorted by rva and do not overlap.
**   LD4  Relocations are sorted by rva, do not overlap, and every byte of
**        each lies inside a segment (it may run from one segment into the
**        adjacent next, as a fixup at the end of a section may).
**   LD5  page_first[p] is the index of the first relocation whose last
**        byte is at or after page p's first byte (page_first[n_pages] ==
**        n_relocs); so the relocations touching page p are
**        [page_first[p], page_first[p + 1]), plus relocs[page_first[p + 1]]
**        when it starts in p and runs into p + 1 (see reloc.c).
**   LD6  straddles lists exactly the relocations whose bytes span two
**        pages, sorted by relocation index.
**   LD7  Every string offset (names, modules, interp, soname) is inside
**        the string pool and its string ends there.
**
** TRANSITIONS: an image is built by one parser (pe.c, elf.c) and is
** read-only afterwards; ld_image_free() frees all of it.
*/
#include "ld.h"
#include "pe.h"
#include "elf.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- errors ------------------------------------------------------------- */

static vml_status ld_vfail(struct ld_ctx *c, vml_status st, int has_off, uint64_t off,
                           const char *fmt, va_list ap)
{
    int n = 0;

    if (c->err == NULL || c->err_size == 0)
        return st;
    if (has_off)
        n = snprintf(c->err, c->err_size, "%s: offset 0x%" PRIx64 ": ", c->fmt, off);
    else
        n = snprintf(c->err, c->err_size, "%s: ", c->fmt);
    if (n >= 0 && (size_t)n < c->err_size)
        vsnprintf(c->err + n, c->err_size - (size_t)n, fmt, ap);
    return st;
}

vml_status ld_fail(struct ld_ctx *c, vml_status st, uint64_t off, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    ld_vfail(c, st, 1, off, fmt, ap);
    va_end(ap);
    return st;
}

vml_status ld_fail_at(struct ld_ctx *c, vml_status st, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    ld_vfail(c, st, 0, 0, fmt, ap);
    va_end(ap);
    return st;
}

/* ---- reading -------------------------------------------------------------- */

vml_status ld_get(struct ld_ctx *c, uint64_t off, size_t len, void *buf, const char *what)
{
    uint64_t end;

    if (ld_add(off, len, &end) != 0 || end > c->r->size)
        return ld_fail(c, VML_E_SYNTAX, off,
                       "%s (%zu bytes) runs past the end of the file (0x%" PRIx64
                       " > 0x%" PRIx64 ")", what, len, off + (uint64_t)len, c->r->size);
    if (len == 0)
        return VML_OK;
    if (c->r->read(c->r, off, buf, len) != VML_OK)
        return ld_fail(c, VML_E_IO, off, "%s: read error", what);
    return VML_OK;
}

int ld_range_mapped(const struct ld_image *img, uint64_t rva, uint64_t n)
{
    const struct ld_segment *s = ld_segment_at(img, rva);
    uint64_t end = rva + n;

    if (s == NULL || end < rva)
        return 0;
    while (end > s->rva + s->mem_size) {          /* into the adjacent segment */
        s = ld_segment_at(img, s->rva + s->mem_size);
        if (s == NULL)
            return 0;
    }
    return 1;
}

const struct ld_segment *ld_segment_at(const struct ld_image *img, uint64_t rva)
{
    size_t lo = 0, hi = img->n_segments;

    while (lo < hi) {                    /* first segment with rva > the rva */
        size_t mid = lo + (hi - lo) / 2;
        if (img->segments[mid].rva <= rva)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0)
        return NULL;
    const struct ld_segment *s = &img->segments[lo - 1];
    return rva - s->rva < s->mem_size ? s : NULL;
}

vml_status ld_image_read(const struct ld_image *img, const struct ld_reader *r,
                         uint64_t rva, void *buf, size_t n)
{
    uint8_t *out = buf;

    while (n > 0) {
        const struct ld_segment *s = ld_segment_at(img, rva);
        size_t chunk;

        if (s == NULL) {                 /* a gap: zeros up to the next segment */
            chunk = n;
            for (size_t i = 0; i < img->n_segments; i++)
                if (img->segments[i].rva > rva && img->segments[i].rva - rva < chunk)
                    chunk = (size_t)(img->segments[i].rva - rva);
            memset(out, 0, chunk);
        } else {
            uint64_t in = rva - s->rva, left = s->mem_size - in;
            chunk = left < n ? (size_t)left : n;
            if (in >= s->file_size) {
                memset(out, 0, chunk);
            } else {
                uint64_t fleft = s->file_size - in;
                size_t fchunk = fleft < chunk ? (size_t)fleft : chunk;
                if (r->read(r, s->file_off + in, out, fchunk) != VML_OK)
                    return VML_E_IO;
                memset(out + fchunk, 0, chunk - fchunk);
            }
        }
        out += chunk;
        rva += chunk;
        n -= chunk;
    }
    return VML_OK;
}

vml_status ld_get_rva(struct ld_ctx *c, uint64_t rva, size_t n, void *buf, const char *what)
{
    const struct ld_segment *s = ld_segment_at(c->img, rva);
    uint64_t end;

    if (s == NULL)
        return ld_fail_at(c, VML_E_SYNTAX, "%s at RVA 0x%" PRIx64 " is not inside any %s",
                          what, rva, c->img->pe ? "section" : "PT_LOAD segment");
    if (ld_add(rva, n, &end) != 0 || end > s->rva + s->mem_size)
        return ld_fail_at(c, VML_E_SYNTAX,
                          "%s at RVA 0x%" PRIx64 " (%zu bytes) runs past the end of its %s"
                          " (0x%" PRIx64 " > 0x%" PRIx64 ")", what, rva, n,
                          c->img->pe ? "section" : "segment", rva + (uint64_t)n,
                          s->rva + s->mem_size);
    if (ld_image_read(c->img, c->r, rva, buf, n) != VML_OK)
        return ld_fail_at(c, VML_E_IO, "%s at RVA 0x%" PRIx64 ": read error", what, rva);
    return VML_OK;
}

/* ---- strings and arrays ------------------------------------------------------ */

int ld_grow(void **p, size_t *cap, size_t need, size_t elem, size_t max)
{
    size_t ncap;
    void *np;

    if (need <= *cap)
        return 0;
    if (need > max)
        return -1;
    ncap = *cap ? *cap : 16;
    while (ncap < need)
        ncap = ncap > max / 2 ? max : ncap * 2;
    np = realloc(*p, ncap * elem);    /* ncap <= max, elem small: no overflow */
    if (np == NULL)
        return -1;
    *p = np;
    *cap = ncap;
    return 0;
}

vml_status ld_str_add(struct ld_ctx *c, const char *s, size_t n, uint32_t *off)
{
    struct ld_image *img = c->img;

    if (n > LD_MAX_NAME || ld_grow((void **)&img->strings, &img->strings_cap,
                                   img->strings_len + n + 1, 1, UINT32_MAX) != 0)
        return ld_fail_at(c, VML_E_NOMEM, "out of memory for names");
    memcpy(img->strings + img->strings_len, s, n);
    img->strings[img->strings_len + n] = '\0';
    *off = (uint32_t)img->strings_len;
    img->strings_len += n + 1;
    return VML_OK;
}

vml_status ld_str_rva(struct ld_ctx *c, uint64_t rva, const char *what, uint32_t *off)
{
    const struct ld_segment *s = ld_segment_at(c->img, rva);
    char buf[LD_MAX_NAME + 1];
    size_t n, have = 0;

    if (s == NULL)
        return ld_fail_at(c, VML_E_SYNTAX, "%s at RVA 0x%" PRIx64 " is not inside any %s",
                          what, rva, c->img->pe ? "section" : "PT_LOAD segment");
    n = s->rva + s->mem_size - rva;
    if (n > sizeof buf)
        n = sizeof buf;
    /* in small steps: most names are short, and the limit is 4 KiB */
    while (have < n) {
        size_t step = n - have < 64 ? n - have : 64;
        if (ld_image_read(c->img, c->r, rva + have, buf + have, step) != VML_OK)
            return ld_fail_at(c, VML_E_IO, "%s at RVA 0x%" PRIx64 ": read error", what, rva);
        const char *nul = memchr(buf + have, '\0', step);
        have += step;
        if (nul != NULL)
            return ld_str_add(c, buf, (size_t)(nul - buf), off);
    }
    return ld_fail_at(c, n > LD_MAX_NAME ? VML_E_RANGE : VML_E_SYNTAX,
                      n > LD_MAX_NAME ? "%s at RVA 0x%" PRIx64 " is longer than %u bytes"
                                      : "%s at RVA 0x%" PRIx64 " has no terminating NUL"
                                        " before the end of its segment",
                      what, rva, LD_MAX_NAME);
}

/* ---- the image ---------------------------------------------------------------- */

struct ld_image *ld_image_new(enum ld_format f)
{
    struct ld_image *img = calloc(1, sizeof *img);

    if (img == NULL)
        return NULL;
    img->format = f;
    img->strings = malloc(256);
    if (img->strings == NULL) {
        free(img);
        return NULL;
    }
    img->strings[0] = '\0';
    img->strings_len = 1;
    img->strings_cap = 256;
    return img;
}

void ld_image_free(struct ld_image *img)
{
    if (img == NULL)
        return;
    free(img->segments);
    free(img->relocs);
    free(img->page_first);
    free(img->straddles);
    free(img->modules);
    free(img->imports);
    free(img->exports);
    if (img->pe != NULL)
        free(img->pe->sections);
    free(img->pe);
    if (img->elf != NULL) {
        free(img->elf->phdrs);
        free(img->elf->dyn);
        free(img->elf->shdrs);
    }
    free(img->elf);
    free(img->strings);
    free(img);
}

static int ld_seg_cmp(const void *a, const void *b)
{
    const struct ld_segment *x = a, *y = b;
    return x->rva < y->rva ? -1 : x->rva > y->rva;
}

vml_status ld_segments_finish(struct ld_ctx *c)
{
    struct ld_image *img = c->img;

    qsort(img->segments, img->n_segments, sizeof *img->segments, ld_seg_cmp);
    for (size_t i = 0; i < img->n_segments; i++) {
        const struct ld_segment *s = &img->segments[i];
        if (s->rva + s->mem_size > img->image_size)    /* parsers bound both */
            return ld_fail_at(c, VML_E_SYNTAX, "segment at RVA 0x%" PRIx64 " (0x%" PRIx64
                              " bytes) ends past the image size 0x%" PRIx64,
                              s->rva, s->mem_size, img->image_size);
        if (i > 0) {
            const struct ld_segment *p = &img->segments[i - 1];
            if (p->rva + p->mem_size > s->rva)
                return ld_fail_at(c, VML_E_SYNTAX,
                                  "%s%s at RVA 0x%" PRIx64 "-0x%" PRIx64 " overlaps %s%s at RVA 0x%"
                                  PRIx64, p->name[0] ? "section " : "segment ", p->name[0] ? p->name : "",
                                  p->rva, p->rva + p->mem_size, s->name[0] ? "section " : "segment ",
                                  s->name[0] ? s->name : "", s->rva);
        }
    }
    return VML_OK;
}

/* ---- names ----------------------------------------------------------------------- */

const char *ld_format_name(enum ld_format f)
{
    switch (f) {
    case LD_PE32:     return "PE32";
    case LD_PE32PLUS: return "PE32+";
    case LD_ELF32:    return "ELF32";
    case LD_ELF64:    return "ELF64";
    }
    return "?";
}

const char *ld_reloc_kind_name(enum ld_reloc_kind k)
{
    switch (k) {
    case LD_REL_ADD32:     return "add32";
    case LD_REL_ADD64:     return "add64";
    case LD_REL_SET32:     return "set32";
    case LD_REL_SET64:     return "set64";
    case LD_REL_SYM32:     return "sym32";
    case LD_REL_SYM64:     return "sym64";
    case LD_REL_COPY:      return "copy";
    case LD_REL_IRELATIVE: return "irelative";
    case LD_REL_TLS:       return "tls";
    }
    return "?";
}

/* ---- parsing: dispatch on the magic -------------------------------------------- */

vml_status ld_image_parse(const struct ld_reader *r, struct ld_image **out,
                          char *err, size_t err_size)
{
    uint8_t magic[4] = {0};
    size_t n = r->size < 4 ? (size_t)r->size : 4;

    if (n > 0 && r->read(r, 0, magic, n) != VML_OK) {
        snprintf(err, err_size, "image: offset 0x0: read error");
        return VML_E_IO;
    }
    if (n >= 2 && magic[0] == 'M' && magic[1] == 'Z')
        return ld_pe_parse(r, out, err, err_size);
    if (n >= 4 && memcmp(magic, "\177ELF", 4) == 0)
        return ld_elf_parse(r, out, err, err_size);
    if (err != NULL && err_size > 0)
        snprintf(err, err_size, "image: offset 0x0: neither a PE (\"MZ\") nor an ELF"
                 " (\"\\x7fELF\") file (%zu bytes of %" PRIu64 " read: %02x %02x %02x %02x)",
                 n, r->size, magic[0], magic[1], magic[2], magic[3]);
    return VML_E_SYNTAX;
}

/* ---- invariants ------------------------------------------------------------------- */

static int ld_bad(char *msg, size_t size, const char *fmt, ...) LD_PRINTF(3, 4);
static int ld_bad(char *msg, size_t size, const char *fmt, ...)
{
    va_list ap;

    if (msg != NULL && size > 0) {
        va_start(ap, fmt);
        vsnprintf(msg, size, fmt, ap);
        va_end(ap);
    }
    return -1;
}

static int ld_str_ok(const struct ld_image *img, uint32_t off)
{
    return off < img->strings_len && memchr(img->strings + off, '\0',
                                            img->strings_len - off) != NULL;
}

int ld_image_check(const struct ld_image *img, char *msg, size_t size)
{
    if (img->image_size == 0 || img->image_size % LD_PAGE_SIZE != 0 ||
        img->image_size > LD_MAX_IMAGE_SIZE || img->n_pages != img->image_size / LD_PAGE_SIZE)
        return ld_bad(msg, size, "LD1: image_size 0x%" PRIx64 ", n_pages %zu",
                      img->image_size, img->n_pages);
    for (size_t i = 0; i < img->n_segments; i++) {
        const struct ld_segment *s = &img->segments[i];
        if (s->rva + s->mem_size > img->image_size || s->file_size > s->mem_size)
            return ld_bad(msg, size, "LD2: segment %zu at 0x%" PRIx64 " outside the image", i, s->rva);
        if (i > 0 && img->segments[i - 1].rva + img->segments[i - 1].mem_size > s->rva)
            return ld_bad(msg, size, "LD3: segment %zu overlaps segment %zu", i - 1, i);
    }
    size_t k = 0;
    for (size_t i = 0; i < img->n_relocs; i++) {
        const struct ld_reloc *rel = &img->relocs[i];
        unsigned w = ld_reloc_width(rel);
        if (!ld_range_mapped(img, rel->rva, w))
            return ld_bad(msg, size, "LD4: relocation %zu at 0x%" PRIx32 " outside a segment", i, rel->rva);
        if (i > 0 && img->relocs[i - 1].rva + ld_reloc_width(&img->relocs[i - 1]) > rel->rva)
            return ld_bad(msg, size, "LD4: relocations %zu and %zu overlap or are unsorted", i - 1, i);
        if ((rel->rva / LD_PAGE_SIZE) != (rel->rva + w - 1) / LD_PAGE_SIZE) {
            if (k >= img->n_straddles || img->straddles[k].reloc != i)
                return ld_bad(msg, size, "LD6: relocation %zu straddles a page but is not listed", i);
            k++;
        }
        if (!ld_str_ok(img, rel->name))
            return ld_bad(msg, size, "LD7: relocation %zu name offset %" PRIu32, i, rel->name);
    }
    if (k != img->n_straddles)
        return ld_bad(msg, size, "LD6: %zu straddles listed, %zu found", img->n_straddles, k);
    if (img->n_relocs > 0 || img->page_first != NULL) {
        if (img->page_first == NULL || img->page_first[img->n_pages] != img->n_relocs)
            return ld_bad(msg, size, "LD5: page_first[n_pages] != n_relocs");
        for (size_t p = 0; p < img->n_pages; p++) {
            size_t f = img->page_first[p];
            uint64_t lo = (uint64_t)p * LD_PAGE_SIZE;
            if (f > img->page_first[p + 1] ||
                (f < img->n_relocs && img->relocs[f].rva + ld_reloc_width(&img->relocs[f]) <= lo) ||
                (f > 0 && img->relocs[f - 1].rva + ld_reloc_width(&img->relocs[f - 1]) > lo))
                return ld_bad(msg, size, "LD5: page_first[%zu] = %zu is wrong", p, f);
        }
    }
    for (size_t i = 0; i < img->n_modules; i++)
        if (!ld_str_ok(img, img->modules[i]))
            return ld_bad(msg, size, "LD7: module %zu name offset", i);
    for (size_t i = 0; i < img->n_imports; i++)
        if (!ld_str_ok(img, img->imports[i].name) || img->imports[i].module >= img->n_modules)
            return ld_bad(msg, size, "LD7: import %zu name or module", i);
    for (size_t i = 0; i < img->n_exports; i++)
        if (!ld_str_ok(img, img->exports[i].name) || !ld_str_ok(img, img->exports[i].forwarder))
            return ld_bad(msg, size, "LD7: export %zu name offset", i);
    if (!ld_str_ok(img, img->interp) || !ld_str_ok(img, img->soname))
        return ld_bad(msg, size, "LD7: interp or soname offset");
    return 0;
}
