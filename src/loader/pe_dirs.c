/*
** pe_dirs.c -- a PE image's data directories: base relocations, exports,
** imports and TLS.  Every directory is read through the image's segments
** (ld_get_rva), as the Windows loader reads it from the mapped image:
** bytes past a section's raw data read as zeros, an RVA outside every
** section is an error.  Invariants: pe.c (PE3).
*/
#include "ld.h"
#include "pe.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

/* Ordinals are 16 bits (GetProcAddress takes MAKEINTRESOURCE): 65536 at most. */
#define PE_MAX_EXPORTS (1u << 16)

static const char *const pe_dir_names[PE_N_DIRS] = {
    "export", "import", "resource", "exception", "security", "base relocation",
    "debug", "architecture", "global pointer", "TLS", "load config",
    "bound import", "IAT", "delay import", "COM descriptor", "reserved",
};

/* The directory's (rva, size) if present and inside SizeOfImage; 0 when
** absent, -1 with an error when it runs past the image. */
static int pe_dir(struct ld_ctx *c, enum pe_dir d, uint64_t *rva, uint64_t *size, vml_status *st)
{
    const struct ld_pe_info *pe = c->img->pe;
    uint64_t end;

    *rva = pe->dirs[d].rva;
    *size = pe->dirs[d].size;
    if (*rva == 0 || *size == 0)
        return 0;
    if (ld_add(*rva, *size, &end) != 0 || end > pe->size_of_image) {
        *st = ld_fail(c, VML_E_SYNTAX, (uint64_t)pe->e_lfanew + 24 +
                      (pe->magic == PE_MAGIC_PE32PLUS ? 112 : 96) + 8 * (unsigned)d,
                      "the %s directory (RVA 0x%" PRIx64 ", size 0x%" PRIx64 ") runs past"
                      " SizeOfImage 0x%" PRIx32, pe_dir_names[d], *rva, *size, pe->size_of_image);
        return -1;
    }
    return 1;
}

/* ---- base relocations ------------------------------------------------------ */

static const char *pe_rel_name(unsigned type)
{
    static const char *const names[] = {
        "ABSOLUTE", "HIGH", "LOW", "HIGHLOW", "HIGHADJ", "MACHINE_SPECIFIC_5",
        "RESERVED", "MACHINE_SPECIFIC_7", "MACHINE_SPECIFIC_8", "MACHINE_SPECIFIC_9", "DIR64",
    };
    return type < sizeof names / sizeof names[0] ? names[type] : "unknown";
}

/* One block: SizeOfBlock bytes at dir offset pos, for the page page_rva. */
static vml_status pe_reloc_block(struct ld_ctx *c, uint64_t dir_rva, uint64_t pos,
                                 uint32_t page_rva, uint32_t block_size, size_t *cap)
{
    uint8_t buf[512];
    uint32_t n_entries = (block_size - 8) / 2;
    uint32_t done = 0;
    vml_status st;

    while (done < n_entries) {
        uint32_t n = n_entries - done < sizeof buf / 2 ? n_entries - done : sizeof buf / 2;
        uint64_t at = dir_rva + pos + 8 + 2ull * done;
        if ((st = ld_get_rva(c, at, 2 * n, buf, "relocation block entries")) != VML_OK)
            return st;
        for (uint32_t k = 0; k < n; k++) {
            uint16_t e = ld_le16(buf + 2 * k);
            unsigned type = e >> 12;
            uint64_t rva = (uint64_t)page_rva + (e & 0xfffu);
            struct ld_reloc rel = {0};

            if (type == PE_REL_ABSOLUTE)          /* padding: the loader skips it */
                continue;
            if (type != PE_REL_HIGHLOW && type != PE_REL_DIR64)
                return ld_fail_at(c, VML_E_UNSUPPORTED, "base relocation at RVA 0x%" PRIx64
                                  " (block at directory offset 0x%" PRIx64 ", entry %" PRIu32
                                  "): type %u (IMAGE_REL_BASED_%s) is not supported (only"
                                  " ABSOLUTE, HIGHLOW and DIR64)", rva, pos, done + k, type,
                                  pe_rel_name(type));
            if (rva + (type == PE_REL_DIR64 ? 8 : 4) > c->img->pe->size_of_image)
                return ld_fail_at(c, VML_E_SYNTAX, "base relocation at RVA 0x%" PRIx64
                                  " (block at directory offset 0x%" PRIx64 ", entry %" PRIu32
                                  ") runs past SizeOfImage 0x%" PRIx32, rva, pos, done + k,
                                  c->img->pe->size_of_image);
            rel.rva = (uint32_t)rva;
            rel.type = (uint16_t)type;
            rel.kind = type == PE_REL_DIR64 ? LD_REL_ADD64 : LD_REL_ADD32;
            rel.width = type == PE_REL_DIR64 ? 8 : 4;
            if ((st = ld_reloc_push(c, cap, &rel)) != VML_OK)
                return st;
        }
        done += n;
    }
    return VML_OK;
}

vml_status pe_parse_relocs(struct ld_ctx *c)
{
    uint64_t rva, size, pos = 0;
    size_t cap = 0;
    vml_status st = VML_OK;
    int present = pe_dir(c, PE_DIR_BASERELOC, &rva, &size, &st);

    if (present <= 0)
        return st;
    while (pos < size) {
        uint8_t h[8];
        uint32_t page_rva, block_size;

        if (size - pos < 8)
            return ld_fail_at(c, VML_E_SYNTAX, "relocation block header at directory offset 0x%"
                              PRIx64 " (8 bytes) runs past the end of the directory (size 0x%"
                              PRIx64 ")", pos, size);
        if ((st = ld_get_rva(c, rva + pos, 8, h, "relocation block header")) != VML_OK)
            return st;
        page_rva = ld_le32(h);
        block_size = ld_le32(h + 4);
        if (block_size < 8 || block_size % 2 != 0)
            return ld_fail_at(c, VML_E_SYNTAX, "relocation block at directory offset 0x%" PRIx64
                              ": SizeOfBlock 0x%" PRIx32 " is %s", pos, block_size,
                              block_size < 8 ? "smaller than its 8-byte header" : "odd");
        if (block_size > size - pos)
            return ld_fail_at(c, VML_E_SYNTAX, "relocation block at directory offset 0x%" PRIx64
                              ": SizeOfBlock 0x%" PRIx32 " runs past the end of the directory"
                              " (0x%" PRIx64 " > 0x%" PRIx64 ")", pos, block_size,
                              pos + block_size, size);
        if (page_rva % LD_PAGE_SIZE != 0 || page_rva >= c->img->pe->size_of_image)
            return ld_fail_at(c, VML_E_SYNTAX, "relocation block at directory offset 0x%" PRIx64
                              ": VirtualAddress 0x%" PRIx32 " is %s SizeOfImage 0x%" PRIx32, pos,
                              page_rva, page_rva % LD_PAGE_SIZE ? "not page-aligned; " : "past",
                              c->img->pe->size_of_image);
        if ((st = pe_reloc_block(c, rva, pos, page_rva, block_size, &cap)) != VML_OK)
            return st;
        pos += block_size;
    }
    return VML_OK;
}

/* ---- exports ------------------------------------------------------------------ */

static int pe_export_cmp(const void *a, const void *b)
{
    const struct ld_export *x = a, *y = b;
    return x->ordinal < y->ordinal ? -1 : x->ordinal > y->ordinal;
}

/* Reads n 32- or 16-bit values of an array at rva into out (as uint32). */
static vml_status pe_array(struct ld_ctx *c, uint64_t rva, uint32_t n, unsigned width,
                           uint32_t *out, const char *what)
{
    uint8_t buf[1024];
    uint32_t done = 0;
    vml_status st;

    while (done < n) {
        uint32_t k = n - done < sizeof buf / width ? n - done : (uint32_t)(sizeof buf / width);
        if ((st = ld_get_rva(c, rva + (uint64_t)done * width, (size_t)k * width, buf, what)) != VML_OK)
            return st;
        for (uint32_t i = 0; i < k; i++)
            out[done + i] = width == 4 ? ld_le32(buf + 4 * i) : ld_le16(buf + 2 * i);
        done += k;
    }
    return VML_OK;
}

static vml_status pe_export_table(struct ld_ctx *c, uint64_t dir_rva, uint64_t dir_size,
                                  const uint8_t *d, uint32_t *funcs, uint32_t *names,
                                  uint32_t *ords)
{
    struct ld_image *img = c->img;
    uint32_t base = ld_le32(d + 16), n_funcs = ld_le32(d + 20), n_names = ld_le32(d + 24);
    uint32_t *slot_of = NULL;   /* function index -> export index + 1 */
    vml_status st;

    if ((st = pe_array(c, ld_le32(d + 28), n_funcs, 4, funcs, "AddressOfFunctions")) != VML_OK ||
        (st = pe_array(c, ld_le32(d + 32), n_names, 4, names, "AddressOfNames")) != VML_OK ||
        (st = pe_array(c, ld_le32(d + 36), n_names, 2, ords, "AddressOfNameOrdinals")) != VML_OK)
        return st;
    slot_of = calloc(n_funcs ? n_funcs : 1, sizeof *slot_of);
    img->exports = calloc(n_funcs ? n_funcs : 1, sizeof *img->exports);
    if (slot_of == NULL || img->exports == NULL) {
        free(slot_of);
        return ld_fail_at(c, VML_E_NOMEM, "out of memory for %" PRIu32 " exports", n_funcs);
    }
    for (uint32_t i = 0; i < n_funcs && st == VML_OK; i++) {
        struct ld_export *e = &img->exports[img->n_exports];
        if (funcs[i] == 0)
            continue;                         /* an unused ordinal */
        if ((uint64_t)base + i > UINT32_MAX) {
            st = ld_fail_at(c, VML_E_SYNTAX, "export directory: Base 0x%" PRIx32 " + function %"
                            PRIu32 " overflows the ordinal", base, i);
            break;
        }
        e->ordinal = base + i;
        e->rva = funcs[i];
        if (funcs[i] >= dir_rva && funcs[i] - dir_rva < dir_size)
            st = ld_str_rva(c, funcs[i], "export forwarder", &e->forwarder);
        else if (funcs[i] >= img->pe->size_of_image)
            st = ld_fail_at(c, VML_E_SYNTAX, "export ordinal %" PRIu32 ": RVA 0x%" PRIx32
                            " is past SizeOfImage 0x%" PRIx32, e->ordinal, funcs[i],
                            img->pe->size_of_image);
        slot_of[i] = (uint32_t)++img->n_exports;
    }
    for (uint32_t i = 0; i < n_names && st == VML_OK; i++) {
        if (ords[i] >= n_funcs || slot_of[ords[i]] == 0) {
            st = ld_fail_at(c, VML_E_SYNTAX, "export name %" PRIu32 ": ordinal index %" PRIu32
                            " is %s", i, ords[i], ords[i] >= n_funcs ?
                            "past NumberOfFunctions" : "an unused function slot");
            break;
        }
        st = ld_str_rva(c, names[i], "export name", &img->exports[slot_of[ords[i]] - 1].name);
    }
    free(slot_of);
    if (st == VML_OK)
        qsort(img->exports, img->n_exports, sizeof *img->exports, pe_export_cmp);
    return st;
}

vml_status pe_parse_exports(struct ld_ctx *c)
{
    uint64_t rva, size;
    uint8_t d[40];
    uint32_t n_funcs, n_names, *funcs, *names, *ords;
    vml_status st = VML_OK;
    int present = pe_dir(c, PE_DIR_EXPORT, &rva, &size, &st);

    if (present <= 0)
        return st;
    if ((st = ld_get_rva(c, rva, sizeof d, d, "IMAGE_EXPORT_DIRECTORY")) != VML_OK)
        return st;
    n_funcs = ld_le32(d + 20);
    n_names = ld_le32(d + 24);
    if (n_funcs > PE_MAX_EXPORTS || n_names > n_funcs)
        return ld_fail_at(c, n_funcs > PE_MAX_EXPORTS ? VML_E_RANGE : VML_E_SYNTAX,
                          "export directory at RVA 0x%" PRIx64 ": NumberOfFunctions %" PRIu32
                          " / NumberOfNames %" PRIu32 " %s", rva, n_funcs, n_names,
                          n_funcs > PE_MAX_EXPORTS ? "is more than the limit of 65536 exports"
                                                   : "(more names than functions)");
    if (ld_le32(d + 12) != 0 &&
        (st = ld_str_rva(c, ld_le32(d + 12), "export directory Name", &c->img->soname)) != VML_OK)
        return st;
    funcs = calloc((size_t)n_funcs + 1, sizeof *funcs);
    names = calloc((size_t)n_names + 1, sizeof *names);
    ords = calloc((size_t)n_names + 1, sizeof *ords);
    if (funcs == NULL || names == NULL || ords == NULL)
        st = ld_fail_at(c, VML_E_NOMEM, "out of memory for the export directory");
    else
        st = pe_export_table(c, rva, size, d, funcs, names, ords);
    free(funcs);
    free(names);
    free(ords);
    return st;
}

/* ---- imports ------------------------------------------------------------------ */

/* The thunks of one descriptor: by name or by ordinal, with the IAT slot. */
static vml_status pe_import_thunks(struct ld_ctx *c, uint32_t module, uint64_t lookup_rva,
                                   uint64_t iat_rva, size_t *cap)
{
    struct ld_image *img = c->img;
    unsigned width = img->format == LD_PE32PLUS ? 8 : 4;
    uint64_t ord_flag = width == 8 ? 1ull << 63 : 1ull << 31;
    vml_status st;

    for (uint64_t i = 0;; i++) {
        uint8_t b[8];
        uint64_t v;
        struct ld_import *imp;

        if ((st = ld_get_rva(c, lookup_rva + i * width, width, b, "import thunk")) != VML_OK)
            return st;
        v = width == 8 ? ld_le64(b) : ld_le32(b);
        if (v == 0)
            return VML_OK;
        if (ld_grow((void **)&img->imports, cap, img->n_imports + 1, sizeof *img->imports,
                    LD_MAX_IMPORTS) != 0)
            return ld_fail_at(c, img->n_imports + 1 > LD_MAX_IMPORTS ? VML_E_RANGE : VML_E_NOMEM,
                              "import thunks at RVA 0x%" PRIx64 ": more than %u imported"
                              " functions (or out of memory)", lookup_rva, LD_MAX_IMPORTS);
        imp = &img->imports[img->n_imports];
        memset(imp, 0, sizeof *imp);
        imp->module = module;
        imp->iat_rva = (uint32_t)(iat_rva + i * width);
        if (iat_rva + i * width + width > img->pe->size_of_image)
            return ld_fail_at(c, VML_E_SYNTAX, "import address table at RVA 0x%" PRIx64
                              " runs past SizeOfImage", iat_rva);
        if (v & ord_flag) {
            imp->by_ordinal = 1;
            imp->ordinal = (uint32_t)(v & 0xffff);
        } else {
            uint8_t hint[2];
            if (v >= img->pe->size_of_image)
                return ld_fail_at(c, VML_E_SYNTAX, "import thunk %" PRIu64 " at RVA 0x%" PRIx64
                                  ": IMAGE_IMPORT_BY_NAME RVA 0x%" PRIx64 " is past SizeOfImage",
                                  i, lookup_rva + i * width, v);
            if ((st = ld_get_rva(c, v, 2, hint, "IMAGE_IMPORT_BY_NAME.Hint")) != VML_OK ||
                (st = ld_str_rva(c, v + 2, "imported function name", &imp->name)) != VML_OK)
                return st;
            imp->ordinal = ld_le16(hint);
        }
        img->n_imports++;
    }
}

vml_status pe_parse_imports(struct ld_ctx *c)
{
    struct ld_image *img = c->img;
    uint64_t rva, size;
    size_t mod_cap = 0, imp_cap = 0;
    vml_status st = VML_OK;
    int present = pe_dir(c, PE_DIR_IMPORT, &rva, &size, &st);

    if (present <= 0)
        return st;
    for (uint64_t i = 0;; i++) {
        uint8_t d[20];
        uint32_t lookup, name, iat;

        if ((st = ld_get_rva(c, rva + 20 * i, sizeof d, d, "IMAGE_IMPORT_DESCRIPTOR")) != VML_OK)
            return st;
        lookup = ld_le32(d);
        name = ld_le32(d + 12);
        iat = ld_le32(d + 16);
        if (name == 0 || iat == 0)            /* the terminator, as LdrpWalkImportDescriptor */
            return VML_OK;
        if (ld_grow((void **)&img->modules, &mod_cap, img->n_modules + 1, sizeof *img->modules,
                    LD_MAX_MODULES) != 0)
            return ld_fail_at(c, VML_E_RANGE, "import directory at RVA 0x%" PRIx64 ": more than"
                              " %u imported modules", rva, LD_MAX_MODULES);
        if ((st = ld_str_rva(c, name, "imported module name", &img->modules[img->n_modules])) != VML_OK)
            return st;
        img->n_modules++;
        st = pe_import_thunks(c, (uint32_t)(img->n_modules - 1), lookup ? lookup : iat, iat, &imp_cap);
        if (st != VML_OK)
            return st;
    }
}

/* ---- TLS -------------------------------------------------------------------- */

/* A VA of the TLS directory turned into an RVA inside the image. */
static vml_status pe_tls_rva(struct ld_ctx *c, uint64_t va, const char *field, uint64_t *rva)
{
    const struct ld_pe_info *pe = c->img->pe;

    if (va < pe->image_base || va - pe->image_base >= pe->size_of_image)
        return ld_fail_at(c, VML_E_SYNTAX, "TLS directory: %s 0x%" PRIx64 " is outside the image"
                          " (ImageBase 0x%" PRIx64 ", SizeOfImage 0x%" PRIx32 ")", field, va,
                          pe->image_base, pe->size_of_image);
    *rva = va - pe->image_base;
    return VML_OK;
}

vml_status pe_parse_tls(struct ld_ctx *c)
{
    struct ld_image *img = c->img;
    unsigned w = img->format == LD_PE32PLUS ? 8 : 4;
    uint64_t rva, size, start, end, index, callbacks;
    uint8_t d[40];
    vml_status st = VML_OK;
    int present = pe_dir(c, PE_DIR_TLS, &rva, &size, &st);

    if (present <= 0)
        return st;
    if ((st = ld_get_rva(c, rva, w == 8 ? 40 : 24, d, "IMAGE_TLS_DIRECTORY")) != VML_OK)
        return st;
    start = w == 8 ? ld_le64(d) : ld_le32(d);
    end = w == 8 ? ld_le64(d + 8) : ld_le32(d + 4);
    index = w == 8 ? ld_le64(d + 16) : ld_le32(d + 8);
    callbacks = w == 8 ? ld_le64(d + 24) : ld_le32(d + 12);
    img->tls.present = 1;
    img->tls.zero_fill = ld_le32(d + 4 * w);
    img->pe->tls_characteristics = ld_le32(d + 4 * w + 4);
    img->tls.align = (img->pe->tls_characteristics >> 20) & 0xf ?
                     1ull << (((img->pe->tls_characteristics >> 20) & 0xf) - 1) : 0;
    if (end < start)
        return ld_fail_at(c, VML_E_SYNTAX, "TLS directory at RVA 0x%" PRIx64 ": EndAddressOfRawData"
                          " 0x%" PRIx64 " is below StartAddressOfRawData 0x%" PRIx64, rva, end, start);
    if (start != 0 && (st = pe_tls_rva(c, start, "StartAddressOfRawData", &img->tls.data_rva)) != VML_OK)
        return st;
    if (end != start && (end - start > img->pe->size_of_image - img->tls.data_rva))
        return ld_fail_at(c, VML_E_SYNTAX, "TLS directory: EndAddressOfRawData 0x%" PRIx64
                          " is outside the image", end);
    img->tls.data_size = end - start;
    if (index != 0 && (st = pe_tls_rva(c, index, "AddressOfIndex", &img->tls.index_rva)) != VML_OK)
        return st;
    if (callbacks == 0)
        return VML_OK;
    if ((st = pe_tls_rva(c, callbacks, "AddressOfCallBacks", &img->tls.callbacks_rva)) != VML_OK)
        return st;
    for (uint32_t i = 0;; i++) {
        uint8_t b[8];
        uint64_t cb;
        if (i == LD_MAX_TLS_CALLBACKS)
            return ld_fail_at(c, VML_E_RANGE, "TLS callbacks at RVA 0x%" PRIx64 ": more than %u",
                              img->tls.callbacks_rva, LD_MAX_TLS_CALLBACKS);
        if ((st = ld_get_rva(c, img->tls.callbacks_rva + (uint64_t)i * w, w, b, "TLS callback"))
            != VML_OK)
            return st;
        cb = w == 8 ? ld_le64(b) : ld_le32(b);
        if (cb == 0)
            return VML_OK;
        img->tls.n_callbacks = i + 1;
    }
}
