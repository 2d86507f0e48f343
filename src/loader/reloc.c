/*
** reloc.c -- the relocation list of an image: sorting and checking it,
** indexing it by page, and applying it to one page at a time.
**
** Windows relocates an ASLR image's pages in the kernel as it brings each
** one in (the image section is relocated once, at the base chosen for it
** this boot), so the memory manager asks for one page at a time:
** ld_reloc_page_range() finds that page's relocations in O(1) through
** page_first (LD5) and ld_reloc_apply_page() writes them.
**
** A relocation may start near the end of a page and run into the next (a
** DIR64 at page offset 0xffc: four bytes in each page).  Applying the
** relocation table to the whole image at once (user-mode
** LdrProcessRelocationBlock, ld.so) writes the full value; relocating page
** by page must give the same bytes in each page, whichever page comes in
** first.  The page that holds the low bytes can compute them alone
** (addition carries upward), but the page holding the high bytes needs the
** carry out of the low ones: so the index keeps, for every straddling
** relocation, the value the file holds there (straddles, LD6), and each
** page writes only its own bytes of the relocated value.  Relocations may
** not overlap (LD4): real images never do, and it makes each byte's
** relocated value independent of the order pages come in.
*/
#include "ld.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

unsigned ld_reloc_width(const struct ld_reloc *rel)
{
    return rel->width ? rel->width : 1;
}

vml_status ld_reloc_push(struct ld_ctx *c, size_t *cap, const struct ld_reloc *rel)
{
    struct ld_image *img = c->img;
    /* Relocations of 4 bytes or more cannot overlap (LD4): an image has
    ** room for image_size / 4 of them.  More can only come from a file that
    ** repeats places (a DT_RELR table can name 4 per byte): refused before
    ** the list grows past what the image could hold. */
    size_t room = (size_t)(img->image_size / 4) + 64;

    if (img->n_relocs >= room)
        return ld_fail_at(c, VML_E_SYNTAX, "more than %zu relocations: the image (0x%" PRIx64
                          " bytes) has no room for them without overlap", room, img->image_size);
    if (ld_grow((void **)&img->relocs, cap, img->n_relocs + 1, sizeof *img->relocs,
                LD_MAX_RELOCS) != 0)
        return ld_fail_at(c, img->n_relocs + 1 > LD_MAX_RELOCS ? VML_E_RANGE : VML_E_NOMEM,
                          "more than %u relocations (or out of memory)", LD_MAX_RELOCS);
    img->relocs[img->n_relocs++] = *rel;
    return VML_OK;
}

/* Sorts relocs by rva: a natural merge sort, linear when the tables are
** sorted runs already (each REL/RELA/JMPREL table and each PE block
** usually is).  Stable; tmp holds n entries. */
static void ld_relocs_sort(struct ld_reloc *a, struct ld_reloc *tmp, size_t n)
{
    for (;;) {
        size_t runs = 0, i = 0;
        while (i < n) {
            size_t mid = i + 1, end;
            while (mid < n && a[mid - 1].rva <= a[mid].rva)
                mid++;
            end = mid < n ? mid + 1 : n;
            while (end < n && a[end - 1].rva <= a[end].rva)
                end++;
            /* merge a[i, mid) and a[mid, end) */
            size_t x = i, y = mid, k = i;
            while (x < mid && y < end)
                tmp[k++] = a[y].rva < a[x].rva ? a[y++] : a[x++];
            while (x < mid)
                tmp[k++] = a[x++];
            while (y < end)
                tmp[k++] = a[y++];
            memcpy(a + i, tmp + i, (end - i) * sizeof *a);
            runs++;
            i = end;
        }
        if (runs <= 1)
            return;
    }
}

static const char *ld_reloc_what(const struct ld_ctx *c)
{
    return c->img->pe ? "base relocation" : "relocation";
}

/* Every byte of each relocation inside a segment (adjacent segments may
** share one), no two relocations overlapping (LD4). */
static vml_status ld_relocs_check(struct ld_ctx *c)
{
    const struct ld_image *img = c->img;
    const struct ld_segment *s = NULL;

    for (size_t i = 0; i < img->n_relocs; i++) {
        const struct ld_reloc *rel = &img->relocs[i];
        uint64_t end = (uint64_t)rel->rva + ld_reloc_width(rel);
        /* relocations are sorted: the segment is usually the last one's */
        if (s == NULL || rel->rva < s->rva || rel->rva - s->rva >= s->mem_size)
            s = ld_segment_at(img, rel->rva);
        if (s == NULL)
            return ld_fail_at(c, VML_E_SYNTAX, "%s at RVA 0x%" PRIx32 " (type %u) is not inside"
                              " any %s", ld_reloc_what(c), rel->rva, rel->type,
                              img->pe ? "section" : "PT_LOAD segment");
        while (end > s->rva + s->mem_size) {
            const struct ld_segment *next = ld_segment_at(img, s->rva + s->mem_size);
            if (next == NULL)
                return ld_fail_at(c, VML_E_SYNTAX, "%s at RVA 0x%" PRIx32 " (%u bytes) runs past"
                                  " the end of its %s at 0x%" PRIx64, ld_reloc_what(c), rel->rva,
                                  ld_reloc_width(rel), img->pe ? "section" : "segment",
                                  s->rva + s->mem_size);
            s = next;
        }
        if (i > 0 && img->relocs[i - 1].rva + (uint64_t)ld_reloc_width(&img->relocs[i - 1]) > rel->rva)
            return ld_fail_at(c, VML_E_SYNTAX, "%ss at RVA 0x%" PRIx32 " (type %u, %u bytes) and"
                              " 0x%" PRIx32 " (type %u) overlap", ld_reloc_what(c),
                              img->relocs[i - 1].rva, img->relocs[i - 1].type,
                              ld_reloc_width(&img->relocs[i - 1]), rel->rva, rel->type);
    }
    return VML_OK;
}

/* page_first (LD5) and the straddle table (LD6). */
static vml_status ld_relocs_index(struct ld_ctx *c)
{
    struct ld_image *img = c->img;
    size_t n_straddles = 0, p = 0;

    img->page_first = malloc((img->n_pages + 1) * sizeof *img->page_first);
    if (img->page_first == NULL)
        return ld_fail_at(c, VML_E_NOMEM, "out of memory for the page index");
    for (size_t i = 0; i < img->n_relocs; i++) {
        const struct ld_reloc *rel = &img->relocs[i];
        uint64_t last = (uint64_t)rel->rva + ld_reloc_width(rel) - 1;
        while (p <= last / LD_PAGE_SIZE && p < img->n_pages)
            img->page_first[p++] = (uint32_t)i;
        if (rel->rva / LD_PAGE_SIZE != last / LD_PAGE_SIZE)
            n_straddles++;
    }
    while (p <= img->n_pages)
        img->page_first[p++] = (uint32_t)img->n_relocs;
    if (n_straddles == 0)
        return VML_OK;
    img->straddles = calloc(n_straddles, sizeof *img->straddles);
    if (img->straddles == NULL)
        return ld_fail_at(c, VML_E_NOMEM, "out of memory for the straddle table");
    for (size_t i = 0; i < img->n_relocs; i++) {
        const struct ld_reloc *rel = &img->relocs[i];
        unsigned w = ld_reloc_width(rel);
        uint8_t b[16] = {0};
        uint64_t v = 0;

        if (rel->rva / LD_PAGE_SIZE == (rel->rva + w - 1) / LD_PAGE_SIZE)
            continue;
        if (ld_image_read(img, c->r, rel->rva, b, w > sizeof b ? sizeof b : w) != VML_OK)
            return ld_fail_at(c, VML_E_IO, "%s at RVA 0x%" PRIx32 ": read error",
                              ld_reloc_what(c), rel->rva);
        for (unsigned j = 0; j < w && j < 8; j++)
            v |= (uint64_t)b[j] << (8 * j);
        img->straddles[img->n_straddles].reloc = (uint32_t)i;
        img->straddles[img->n_straddles].orig = v;
        img->n_straddles++;
    }
    return VML_OK;
}

vml_status ld_relocs_finish(struct ld_ctx *c)
{
    struct ld_image *img = c->img;
    vml_status st;
    int sorted = 1;

    for (size_t i = 1; i < img->n_relocs && sorted; i++)
        sorted = img->relocs[i - 1].rva <= img->relocs[i].rva;
    if (!sorted) {   /* equal RVAs are an overlap, refused below: order is moot */
        struct ld_reloc *tmp = malloc(img->n_relocs * sizeof *tmp);
        if (tmp == NULL)
            return ld_fail_at(c, VML_E_NOMEM, "out of memory to sort %zu relocations",
                              img->n_relocs);
        ld_relocs_sort(img->relocs, tmp, img->n_relocs);
        free(tmp);
    }
    if ((st = ld_relocs_check(c)) != VML_OK)
        return st;
    return ld_relocs_index(c);
}

/* ---- per page ----------------------------------------------------------------- */

void ld_reloc_page_range(const struct ld_image *img, uint64_t page_rva, size_t *first, size_t *n)
{
    size_t p = page_rva / LD_PAGE_SIZE, lo, hi;

    if (img->page_first == NULL || p >= img->n_pages) {
        *first = 0;
        *n = 0;
        return;
    }
    lo = img->page_first[p];
    hi = img->page_first[p + 1];
    if (hi < img->n_relocs && img->relocs[hi].rva < page_rva + LD_PAGE_SIZE)
        hi++;                            /* starts here, runs into the next page */
    *first = lo;
    *n = hi - lo;
}

static uint64_t ld_straddle_orig(const struct ld_image *img, size_t i)
{
    size_t lo = 0, hi = img->n_straddles;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (img->straddles[mid].reloc < i)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < img->n_straddles && img->straddles[lo].reloc == i ? img->straddles[lo].orig : 0;
}

/* The value at the relocation's place before relocation. */
/* Little-endian loads and stores of 4 and 8 bytes (the loaders' hot loop:
** one per relocation). */
static inline uint64_t le_load(const uint8_t *p, unsigned w)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    if (w == 8) {
        uint64_t v;
        memcpy(&v, p, 8);
        return v;
    }
    if (w == 4) {
        uint32_t v;
        memcpy(&v, p, 4);
        return v;
    }
#endif
    uint64_t v = 0;
    for (unsigned j = 0; j < w && j < 8; j++)
        v |= (uint64_t)p[j] << (8 * j);
    return v;
}

static inline void le_store(uint8_t *p, unsigned w, uint64_t v)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    if (w == 8) {
        memcpy(p, &v, 8);
        return;
    }
    if (w == 4) {
        uint32_t x = (uint32_t)v;
        memcpy(p, &x, 4);
        return;
    }
#endif
    for (unsigned j = 0; j < w && j < 8; j++)
        p[j] = (uint8_t)(v >> (8 * j));
}

static uint64_t ld_orig(const struct ld_image *img, size_t i, uint64_t page_rva, const uint8_t *page)
{
    const struct ld_reloc *rel = &img->relocs[i];
    unsigned w = ld_reloc_width(rel);

    if (rel->rva < page_rva || rel->rva + (uint64_t)w > page_rva + LD_PAGE_SIZE)
        return ld_straddle_orig(img, i);
    return le_load(page + (rel->rva - page_rva), w);
}

/* The relocated value; 0 when the relocation is left as the file has it. */
static int ld_value(const struct ld_image *img, size_t i, uint64_t page_rva, const uint8_t *page,
                    int64_t delta, ld_sym_resolver resolve, void *ctx, uint64_t *v)
{
    const struct ld_reloc *rel = &img->relocs[i];
    uint64_t s;

    switch ((enum ld_reloc_kind)rel->kind) {
    case LD_REL_ADD32:
    case LD_REL_ADD64:
        *v = ld_orig(img, i, page_rva, page) + (uint64_t)delta;
        return 1;
    case LD_REL_SET32:
    case LD_REL_SET64:
        *v = (uint64_t)delta + (uint64_t)rel->addend;
        return 1;
    case LD_REL_SYM32:
    case LD_REL_SYM64:
        if (resolve != NULL && resolve(ctx, img, rel, &s)) {
            *v = s + (uint64_t)rel->addend;
            return 1;
        }
        if (rel->flags & LD_RF_LAZY) {     /* ld.so's elf_machine_lazy_rel */
            *v = ld_orig(img, i, page_rva, page) + (uint64_t)delta;
            return 1;
        }
        return 0;
    case LD_REL_COPY:
    case LD_REL_IRELATIVE:
    case LD_REL_TLS:
        return 0;
    }
    return 0;
}

size_t ld_reloc_apply_page(const struct ld_image *img, uint64_t page_rva, int64_t delta,
                           uint8_t *page, ld_sym_resolver resolve, void *ctx)
{
    size_t first, n, applied = 0;

    ld_reloc_page_range(img, page_rva, &first, &n);
    for (size_t i = first; i < first + n; i++) {
        const struct ld_reloc *rel = &img->relocs[i];
        unsigned w = ld_reloc_width(rel);
        uint64_t v;

        if (!ld_value(img, i, page_rva, page, delta, resolve, ctx, &v))
            continue;
        if (rel->rva >= page_rva && rel->rva + (uint64_t)w <= page_rva + LD_PAGE_SIZE) {
            le_store(page + (rel->rva - page_rva), w, v);
            applied++;
            continue;
        }
        for (unsigned j = 0; j < w && j < 8; j++) {
            uint64_t at = (uint64_t)rel->rva + j;
            if (at >= page_rva && at < page_rva + LD_PAGE_SIZE)
                page[at - page_rva] = (uint8_t)(v >> (8 * j));
        }
        applied++;
    }
    return applied;
}
