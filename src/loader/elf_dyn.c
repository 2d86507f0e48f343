/*
** elf_dyn.c -- an ELF image's dynamic section: DT_NEEDED and DT_SONAME,
** the relocation tables ld.so (or a static-pie's own startup code) applies
** at load (DT_RELA, DT_REL, DT_JMPREL, DT_RELR), the dynamic symbols they
** name, and the defined dynamic symbols as exports.  Everything is read
** through the PT_LOAD segments by address, as ld.so reads it from the
** mapped image.  Invariant ELF3 (elf.c).
*/
#include "ld.h"
#include "elf.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

enum {
    DT_NULL = 0, DT_NEEDED = 1, DT_PLTRELSZ = 2, DT_HASH = 4, DT_STRTAB = 5, DT_SYMTAB = 6,
    DT_RELA = 7, DT_RELASZ = 8, DT_RELAENT = 9, DT_STRSZ = 10, DT_SYMENT = 11, DT_SONAME = 14,
    DT_REL = 17, DT_RELSZ = 18, DT_RELENT = 19, DT_PLTREL = 20, DT_TEXTREL = 22, DT_JMPREL = 23,
    DT_BIND_NOW = 24, DT_FLAGS = 30, DT_RELRSZ = 35, DT_RELR = 36, DT_RELRENT = 37,
};
#define DT_GNU_HASH 0x6ffffef5
#define DT_FLAGS_1  0x6ffffffb
#define DF_TEXTREL  0x4u
#define DF_BIND_NOW 0x8u
#define DF_1_NOW    0x1u

/* What the dynamic section says (addresses already turned into RVAs). */
struct elf_dt {
    uint64_t seen;                      /* bit t for each tag t < 64 present */
    uint64_t v[38];                     /* value of tags < 38 */
    uint64_t gnu_hash;
    int has_gnu_hash;
    uint64_t n_syms;                    /* from DT_HASH / DT_GNU_HASH; 0 unknown */
    int n_syms_exact;                   /* DT_HASH's nchain: the table's size */
    int wide;
};

static int dt_has(const struct elf_dt *dt, unsigned tag)
{
    return (dt->seen >> tag) & 1;
}

static const unsigned elf_addr_tags[] = {
    DT_HASH, DT_STRTAB, DT_SYMTAB, DT_RELA, DT_REL, DT_JMPREL, DT_RELR,
};

/* ---- reading the dynamic section --------------------------------------- */

static vml_status elf_dyn_read(struct ld_ctx *c, struct ld_elf_info *e, uint64_t memsz,
                               struct elf_dt *dt)
{
    struct ld_image *img = c->img;
    unsigned ent = dt->wide ? 16 : 8;
    uint64_t n = memsz / ent;
    uint8_t b[16];
    vml_status st;

    e->dyn = calloc(n < LD_MAX_DYN ? (size_t)n + 1 : LD_MAX_DYN + 1, sizeof *e->dyn);
    if (e->dyn == NULL)
        return ld_fail_at(c, VML_E_NOMEM, "out of memory for the dynamic section");
    for (uint64_t i = 0;; i++) {
        int64_t tag;
        uint64_t val;
        if (i == n)
            return ld_fail_at(c, VML_E_SYNTAX, "the dynamic section at RVA 0x%" PRIx64 " (%" PRIu64
                              " entries) has no DT_NULL", e->dynamic_rva, n);
        if (i == LD_MAX_DYN)
            return ld_fail_at(c, VML_E_RANGE, "the dynamic section at RVA 0x%" PRIx64 " has more"
                              " than %u entries", e->dynamic_rva, LD_MAX_DYN);
        if ((st = ld_get_rva(c, e->dynamic_rva + i * ent, ent, b, "dynamic entry")) != VML_OK)
            return st;
        tag = dt->wide ? (int64_t)ld_le64(b) : (int32_t)ld_le32(b);
        val = dt->wide ? ld_le64(b + 8) : ld_le32(b + 4);
        e->dyn[e->n_dyn].tag = tag;
        e->dyn[e->n_dyn].val = val;
        e->n_dyn++;
        if (tag == DT_NULL)
            break;
        if (tag >= 0 && tag < 38 && tag != DT_NEEDED) {
            dt->seen |= 1ull << tag;
            dt->v[tag] = val;
        } else if (tag == DT_NEEDED) {
            dt->seen |= 1ull << DT_NEEDED;
        } else if (tag == DT_GNU_HASH) {
            dt->has_gnu_hash = 1;
            dt->gnu_hash = val;
        } else if (tag == DT_FLAGS_1) {
            e->dt_flags_1 = (uint32_t)val;
        }
    }
    /* Addresses become RVAs; one below the base is outside the image. */
    for (size_t k = 0; k < sizeof elf_addr_tags / sizeof elf_addr_tags[0]; k++) {
        unsigned t = elf_addr_tags[k];
        if (!dt_has(dt, t))
            continue;
        if (dt->v[t] < img->preferred_base || dt->v[t] - img->preferred_base >= img->image_size)
            return ld_fail_at(c, VML_E_SYNTAX, "dynamic tag %u: address 0x%" PRIx64 " is outside"
                              " the PT_LOAD segments", t, dt->v[t]);
        dt->v[t] -= img->preferred_base;
    }
    if (dt->has_gnu_hash) {
        if (dt->gnu_hash < img->preferred_base || dt->gnu_hash - img->preferred_base >= img->image_size)
            return ld_fail_at(c, VML_E_SYNTAX, "DT_GNU_HASH 0x%" PRIx64 " is outside the PT_LOAD"
                              " segments", dt->gnu_hash);
        dt->gnu_hash -= img->preferred_base;
    }
    e->dt_flags = (uint32_t)dt->v[DT_FLAGS];
    if ((e->dt_flags & DF_BIND_NOW) || (e->dt_flags_1 & DF_1_NOW) || dt_has(dt, DT_BIND_NOW))
        img->flags |= LD_F_BIND_NOW;
    if ((e->dt_flags & DF_TEXTREL) || dt_has(dt, DT_TEXTREL))
        img->flags |= LD_F_TEXTREL;
    return VML_OK;
}

/* A name at offset off of DT_STRTAB, inside DT_STRSZ. */
static vml_status elf_dstr(struct ld_ctx *c, const struct elf_dt *dt, uint64_t off,
                           const char *what, uint32_t *out)
{
    vml_status st;

    if (!dt_has(dt, DT_STRTAB) || off >= dt->v[DT_STRSZ])
        return ld_fail_at(c, VML_E_SYNTAX, "%s: string offset 0x%" PRIx64 " is outside DT_STRTAB"
                          " (DT_STRSZ 0x%" PRIx64 ")", what, off, dt->v[DT_STRSZ]);
    if ((st = ld_str_rva(c, dt->v[DT_STRTAB] + off, what, out)) != VML_OK)
        return st;
    if (strlen(ld_str(c->img, *out)) >= dt->v[DT_STRSZ] - off)
        return ld_fail_at(c, VML_E_SYNTAX, "%s at DT_STRTAB offset 0x%" PRIx64 " runs past"
                          " DT_STRSZ 0x%" PRIx64, what, off, dt->v[DT_STRSZ]);
    return VML_OK;
}

static vml_status elf_needed(struct ld_ctx *c, const struct ld_elf_info *e, const struct elf_dt *dt)
{
    struct ld_image *img = c->img;
    size_t cap = 0;
    vml_status st;

    for (size_t i = 0; i < e->n_dyn; i++) {
        if (e->dyn[i].tag != DT_NEEDED)
            continue;
        if (ld_grow((void **)&img->modules, &cap, img->n_modules + 1, sizeof *img->modules,
                    LD_MAX_MODULES) != 0)
            return ld_fail_at(c, VML_E_RANGE, "more than %u DT_NEEDED entries", LD_MAX_MODULES);
        if ((st = elf_dstr(c, dt, e->dyn[i].val, "DT_NEEDED", &img->modules[img->n_modules])) != VML_OK)
            return st;
        img->n_modules++;
    }
    if (dt_has(dt, DT_SONAME))
        return elf_dstr(c, dt, dt->v[DT_SONAME], "DT_SONAME", &img->soname);
    return VML_OK;
}

/* ---- symbols ------------------------------------------------------------- */

struct elf_sym {
    uint32_t name;
    uint8_t info;
    uint16_t shndx;
    uint64_t value, size;
};

static vml_status elf_sym(struct ld_ctx *c, const struct elf_dt *dt, uint64_t idx,
                          struct elf_sym *s)
{
    unsigned ent = dt->wide ? 24 : 16;
    uint8_t b[24];
    uint64_t off;
    vml_status st;

    if (!dt_has(dt, DT_SYMTAB))
        return ld_fail_at(c, VML_E_SYNTAX, "symbol %" PRIu64 " is named but there is no DT_SYMTAB", idx);
    if ((dt->n_syms_exact && idx >= dt->n_syms) || ld_mul(idx, ent, &off) != 0)
        return ld_fail_at(c, VML_E_SYNTAX, "symbol index %" PRIu64 " is past the symbol table"
                          " (%" PRIu64 " symbols)", idx, dt->n_syms);
    if ((st = ld_get_rva(c, dt->v[DT_SYMTAB] + off, ent, b, "dynamic symbol")) != VML_OK)
        return st;
    s->name = ld_le32(b);
    if (dt->wide) {
        s->info = b[4];
        s->shndx = ld_le16(b + 6);
        s->value = ld_le64(b + 8);
        s->size = ld_le64(b + 16);
    } else {
        s->value = ld_le32(b + 4);
        s->size = ld_le32(b + 8);
        s->info = b[12];
        s->shndx = ld_le16(b + 14);
    }
    return VML_OK;
}

/* The number of dynamic symbols: DT_HASH's nchain, or the end of the
** highest DT_GNU_HASH chain (0 when neither is present).  GNU hash counts
** only the hashed (defined) symbols at the end of the table: enough for
** the exports, not a bound on the indexes relocations use. */
static vml_status elf_count_syms(struct ld_ctx *c, struct elf_dt *dt)
{
    uint8_t b[16];
    vml_status st;

    if (dt_has(dt, DT_HASH)) {
        if ((st = ld_get_rva(c, dt->v[DT_HASH], 8, b, "DT_HASH header")) != VML_OK)
            return st;
        dt->n_syms = ld_le32(b + 4);
        dt->n_syms_exact = 1;
        return VML_OK;
    }
    if (!dt->has_gnu_hash)
        return VML_OK;
    if ((st = ld_get_rva(c, dt->gnu_hash, 16, b, "DT_GNU_HASH header")) != VML_OK)
        return st;
    uint32_t nbuckets = ld_le32(b), symoffset = ld_le32(b + 4), bloom = ld_le32(b + 8);
    uint64_t buckets = dt->gnu_hash + 16 + (uint64_t)bloom * (dt->wide ? 8 : 4);
    uint32_t max = 0;
    if (nbuckets > LD_MAX_EXPORTS || bloom > LD_MAX_EXPORTS)
        return ld_fail_at(c, VML_E_RANGE, "DT_GNU_HASH: %" PRIu32 " buckets, %" PRIu32 " bloom"
                          " words: more than the limit", nbuckets, bloom);
    for (uint32_t i = 0; i < nbuckets; i++) {
        if ((st = ld_get_rva(c, buckets + 4ull * i, 4, b, "DT_GNU_HASH bucket")) != VML_OK)
            return st;
        if (ld_le32(b) > max)
            max = ld_le32(b);
    }
    if (max < symoffset || max == 0)
        return VML_OK;                      /* nothing hashed: no exports */
    for (uint64_t i = max;; i++) {
        if (i - symoffset > LD_MAX_EXPORTS)
            return ld_fail_at(c, VML_E_RANGE, "DT_GNU_HASH: a chain longer than %u", LD_MAX_EXPORTS);
        if ((st = ld_get_rva(c, buckets + 4ull * nbuckets + 4 * (i - symoffset), 4, b,
                             "DT_GNU_HASH chain")) != VML_OK)
            return st;
        if (ld_le32(b) & 1) {
            dt->n_syms = i + 1;
            return VML_OK;
        }
    }
}

/* Defined global and weak dynamic symbols become exports (ordinal: the
** symbol index). */
static vml_status elf_exports(struct ld_ctx *c, const struct elf_dt *dt)
{
    struct ld_image *img = c->img;
    size_t cap = 0;
    vml_status st;

    if (!dt_has(dt, DT_SYMTAB) || dt->n_syms == 0)
        return VML_OK;
    if (dt->n_syms > LD_MAX_EXPORTS)
        return ld_fail_at(c, VML_E_RANGE, "%" PRIu64 " dynamic symbols: more than %u",
                          dt->n_syms, LD_MAX_EXPORTS);
    for (uint64_t i = 1; i < dt->n_syms; i++) {
        struct elf_sym s;
        unsigned bind;
        if ((st = elf_sym(c, dt, i, &s)) != VML_OK)
            return st;
        bind = s.info >> 4;
        if (s.shndx == 0 || (bind != 1 && bind != 2 && bind != 10) || s.name == 0)
            continue;                      /* undefined, local, or unnamed */
        if (ld_grow((void **)&img->exports, &cap, img->n_exports + 1, sizeof *img->exports,
                    LD_MAX_EXPORTS) != 0)
            return ld_fail_at(c, VML_E_NOMEM, "out of memory for exports");
        struct ld_export *x = &img->exports[img->n_exports];
        memset(x, 0, sizeof *x);
        x->ordinal = (uint32_t)i;
        x->rva = s.shndx == 0xfff1 || s.value < img->preferred_base ? (uint32_t)s.value
                 : (uint32_t)(s.value - img->preferred_base);       /* SHN_ABS: as is */
        if ((st = elf_dstr(c, dt, s.name, "exported symbol name", &x->name)) != VML_OK)
            return st;
        img->n_exports++;
    }
    return VML_OK;
}

/* ---- relocations ------------------------------------------------------------ */

/* How the loader treats one relocation type: kind, width, whether the
** addend is used; 0 kind = refused. */
struct elf_rtype {
    uint8_t type, kind, width, no_addend;
    const char *name;
};

static const struct elf_rtype elf_x86_64_types[] = {
    {1, LD_REL_SYM64, 8, 0, "R_X86_64_64"},
    {5, LD_REL_COPY, 0, 1, "R_X86_64_COPY"},
    {6, LD_REL_SYM64, 8, 1, "R_X86_64_GLOB_DAT"},
    {7, LD_REL_SYM64, 8, 1, "R_X86_64_JUMP_SLOT"},
    {8, LD_REL_SET64, 8, 0, "R_X86_64_RELATIVE"},
    {16, LD_REL_TLS, 8, 0, "R_X86_64_DTPMOD64"},
    {17, LD_REL_TLS, 8, 0, "R_X86_64_DTPOFF64"},
    {18, LD_REL_TLS, 8, 0, "R_X86_64_TPOFF64"},
    {36, LD_REL_TLS, 16, 0, "R_X86_64_TLSDESC"},
    {37, LD_REL_IRELATIVE, 8, 0, "R_X86_64_IRELATIVE"},
    {0, 0, 0, 0, NULL},
};

static const struct elf_rtype elf_i386_types[] = {
    {1, LD_REL_SYM32, 4, 0, "R_386_32"},
    {5, LD_REL_COPY, 0, 1, "R_386_COPY"},
    {6, LD_REL_SYM32, 4, 1, "R_386_GLOB_DAT"},
    {7, LD_REL_SYM32, 4, 1, "R_386_JMP_SLOT"},
    {8, LD_REL_SET32, 4, 0, "R_386_RELATIVE"},
    {14, LD_REL_TLS, 4, 0, "R_386_TLS_TPOFF"},
    {35, LD_REL_TLS, 4, 0, "R_386_TLS_DTPMOD32"},
    {36, LD_REL_TLS, 4, 0, "R_386_TLS_DTPOFF32"},
    {37, LD_REL_TLS, 4, 0, "R_386_TLS_TPOFF32"},
    {41, LD_REL_TLS, 8, 0, "R_386_TLS_DESC"},
    {42, LD_REL_IRELATIVE, 4, 0, "R_386_IRELATIVE"},
    {0, 0, 0, 0, NULL},
};

static const struct elf_rtype *elf_rtype(const struct elf_dt *dt, unsigned type)
{
    const struct elf_rtype *t = dt->wide ? elf_x86_64_types : elf_i386_types;

    for (; t->name != NULL; t++)
        if (t->type == type)
            return t;
    return NULL;
}

/* One REL/RELA entry: offset, info, addend (RELA). */
static vml_status elf_reloc_one(struct ld_ctx *c, const struct elf_dt *dt, const char *table,
                                uint64_t idx, uint64_t r_offset, uint64_t r_info, int64_t addend,
                                int is_rela, unsigned flags, size_t *cap)
{
    struct ld_image *img = c->img;
    unsigned type = dt->wide ? (unsigned)(r_info & 0xffffffffu) : (unsigned)(r_info & 0xff);
    uint64_t sym = dt->wide ? r_info >> 32 : r_info >> 8;
    const struct elf_rtype *t;
    struct ld_reloc rel = {0};
    vml_status st;

    if (type == 0)
        return VML_OK;                                  /* R_*_NONE */
    t = elf_rtype(dt, type);
    if (t == NULL)
        return ld_fail_at(c, VML_E_UNSUPPORTED, "%s entry %" PRIu64 " (r_offset 0x%" PRIx64 "):"
                          " relocation type %u is not one a loader applies at load time"
                          " (supported: RELATIVE, 64/32, GLOB_DAT, JUMP_SLOT, COPY, IRELATIVE, TLS)",
                          table, idx, r_offset, type);
    if (r_offset < img->preferred_base || r_offset - img->preferred_base >= img->image_size)
        return ld_fail_at(c, VML_E_SYNTAX, "%s entry %" PRIu64 " (%s): r_offset 0x%" PRIx64
                          " is outside the PT_LOAD segments", table, idx, t->name, r_offset);
    rel.rva = (uint32_t)(r_offset - img->preferred_base);
    rel.type = (uint8_t)type;
    rel.kind = t->kind;
    rel.width = t->width;
    rel.flags = (uint8_t)flags;
    rel.sym = (uint32_t)sym;
    if (sym > UINT32_MAX)
        return ld_fail_at(c, VML_E_SYNTAX, "%s entry %" PRIu64 ": symbol index %" PRIu64
                          " is too large", table, idx, sym);
    if (t->kind == LD_REL_SYM32 || t->kind == LD_REL_SYM64) {
        if (type == 7 && (flags & LD_RF_PLT) && !(img->flags & LD_F_BIND_NOW))
            rel.flags |= LD_RF_LAZY;
    }
    if (!t->no_addend) {
        if (is_rela) {
            rel.addend = addend;
        } else if (t->kind == LD_REL_SET32 || t->kind == LD_REL_SYM32 || t->kind == LD_REL_SET64 ||
                   t->kind == LD_REL_SYM64) {
            uint8_t b[8] = {0};                         /* REL: the addend is in place */
            if ((st = ld_get_rva(c, rel.rva, t->width, b, "REL implicit addend")) != VML_OK)
                return st;
            rel.addend = t->width == 8 ? (int64_t)ld_le64(b) : (int64_t)(int32_t)ld_le32(b);
        }
    }
    if (sym != 0) {
        struct elf_sym s;
        if ((st = elf_sym(c, dt, sym, &s)) != VML_OK)
            return st;
        if (s.name != 0 && (st = elf_dstr(c, dt, s.name, "relocation symbol name", &rel.name)) != VML_OK)
            return st;
    }
    return ld_reloc_push(c, cap, &rel);
}

/* A whole table inside one PT_LOAD segment, checked before any entry is read. */
static vml_status elf_table_in_segment(struct ld_ctx *c, const char *table, uint64_t rva,
                                       uint64_t size)
{
    const struct ld_segment *s = ld_segment_at(c->img, rva);
    uint64_t end;

    if (size == 0)
        return VML_OK;
    if (s == NULL)
        return ld_fail_at(c, VML_E_SYNTAX, "%s at RVA 0x%" PRIx64 " is not inside any PT_LOAD"
                          " segment", table, rva);
    if (ld_add(rva, size, &end) != 0 || end > s->rva + s->mem_size)
        return ld_fail_at(c, VML_E_SYNTAX, "%s at RVA 0x%" PRIx64 " (size 0x%" PRIx64 ") runs past"
                          " the end of its segment (0x%" PRIx64 " > 0x%" PRIx64 ")", table, rva,
                          size, rva + size, s->rva + s->mem_size);
    return VML_OK;
}

/* A REL or RELA table of size bytes at rva. */
static vml_status elf_reloc_table(struct ld_ctx *c, const struct elf_dt *dt, const char *table,
                                  uint64_t rva, uint64_t size, uint64_t ent, int is_rela,
                                  unsigned flags, size_t *cap)
{
    unsigned want = (dt->wide ? 8u : 4u) * (is_rela ? 3u : 2u);
    uint8_t buf[24 * 64];
    vml_status st;

    if (ent != want)
        return ld_fail_at(c, VML_E_SYNTAX, "%s: entry size %" PRIu64 " is not %u", table, ent, want);
    if (size % ent != 0)
        return ld_fail_at(c, VML_E_SYNTAX, "%s: size 0x%" PRIx64 " is not a multiple of the entry"
                          " size %u", table, size, want);
    if ((st = elf_table_in_segment(c, table, rva, size)) != VML_OK)
        return st;
    for (uint64_t done = 0; done < size / ent;) {
        uint64_t n = size / ent - done < 64 ? size / ent - done : 64;
        if ((st = ld_get_rva(c, rva + done * ent, (size_t)(n * ent), buf, table)) != VML_OK)
            return st;
        for (uint64_t i = 0; i < n; i++) {
            const uint8_t *p = buf + i * ent;
            uint64_t off = dt->wide ? ld_le64(p) : ld_le32(p);
            uint64_t info = dt->wide ? ld_le64(p + 8) : ld_le32(p + 4);
            int64_t addend = !is_rela ? 0 : dt->wide ? (int64_t)ld_le64(p + 16)
                                                     : (int64_t)(int32_t)ld_le32(p + 8);
            if ((st = elf_reloc_one(c, dt, table, done + i, off, info, addend, is_rela, flags,
                                    cap)) != VML_OK)
                return st;
        }
        done += n;
    }
    return VML_OK;
}

/* DT_RELR: an address word (even) relocates one place and sets where the
** next bitmap starts; a bitmap word (odd) relocates, for each set bit
** i >= 1, the place (i - 1) words after that start. */
static vml_status elf_relr(struct ld_ctx *c, const struct elf_dt *dt, size_t *cap)
{
    struct ld_image *img = c->img;
    unsigned w = dt->wide ? 8 : 4;
    uint64_t rva = dt->v[DT_RELR], size = dt->v[DT_RELRSZ], where = 0;
    vml_status st;

    if (dt->v[DT_RELRENT] != w && dt_has(dt, DT_RELRENT))
        return ld_fail_at(c, VML_E_SYNTAX, "DT_RELRENT %" PRIu64 " is not %u", dt->v[DT_RELRENT], w);
    if (size % w != 0)
        return ld_fail_at(c, VML_E_SYNTAX, "DT_RELRSZ 0x%" PRIx64 " is not a multiple of %u", size, w);
    if ((st = elf_table_in_segment(c, "DT_RELR", rva, size)) != VML_OK)
        return st;
    for (uint64_t i = 0; i < size / w; i++) {
        uint8_t b[8];
        uint64_t entry;
        if ((st = ld_get_rva(c, rva + i * w, w, b, "DT_RELR entry")) != VML_OK)
            return st;
        entry = w == 8 ? ld_le64(b) : ld_le32(b);
        for (unsigned bit = 0; bit < 8 * w; bit++) {
            uint64_t at;
            struct ld_reloc rel = {0};
            if ((entry & 1) == 0) {              /* an address */
                at = entry;
                where = entry + w;
                bit = 8 * w;
            } else if (bit == 0 || !((entry >> bit) & 1)) {
                continue;
            } else {
                at = where + (uint64_t)(bit - 1) * w;
            }
            if (at < img->preferred_base || at - img->preferred_base >= img->image_size)
                return ld_fail_at(c, VML_E_SYNTAX, "DT_RELR entry %" PRIu64 ": address 0x%" PRIx64
                                  " is outside the PT_LOAD segments", i, at);
            rel.rva = (uint32_t)(at - img->preferred_base);
            rel.kind = w == 8 ? LD_REL_ADD64 : LD_REL_ADD32;
            rel.type = w == 8 ? 8 : 8;             /* as R_*_RELATIVE */
            rel.width = (uint8_t)w;
            rel.flags = LD_RF_RELR;
            if ((st = ld_reloc_push(c, cap, &rel)) != VML_OK)
                return st;
        }
        if (entry & 1)
            where += (uint64_t)(8 * w - 1) * w;
    }
    return VML_OK;
}

static vml_status elf_relocs(struct ld_ctx *c, struct elf_dt *dt)
{
    size_t cap = 0;
    vml_status st;
    uint64_t rela_sz = dt->v[DT_RELASZ], rel_sz = dt->v[DT_RELSZ];

    if (dt_has(dt, DT_JMPREL) && dt->v[DT_PLTREL] != DT_RELA && dt->v[DT_PLTREL] != DT_REL)
        return ld_fail_at(c, VML_E_SYNTAX, "DT_PLTREL %" PRIu64 " is neither DT_RELA (7) nor"
                          " DT_REL (17)", dt->v[DT_PLTREL]);
    /* ld.so: a DT_JMPREL table at the end of DT_RELA/DT_REL is not applied twice. */
    if (dt_has(dt, DT_JMPREL)) {
        unsigned t = (unsigned)dt->v[DT_PLTREL];
        uint64_t *sz = t == DT_RELA ? &rela_sz : &rel_sz;
        uint64_t start = dt->v[t];
        if (dt_has(dt, t) && start + *sz == dt->v[DT_JMPREL] + dt->v[DT_PLTRELSZ] &&
            *sz >= dt->v[DT_PLTRELSZ])
            *sz -= dt->v[DT_PLTRELSZ];
    }
    if (dt_has(dt, DT_RELA) && (st = elf_reloc_table(c, dt, "DT_RELA", dt->v[DT_RELA], rela_sz,
                                     dt->v[DT_RELAENT], 1, 0, &cap)) != VML_OK)
        return st;
    if (dt_has(dt, DT_REL) && (st = elf_reloc_table(c, dt, "DT_REL", dt->v[DT_REL], rel_sz,
                                    dt->v[DT_RELENT], 0, 0, &cap)) != VML_OK)
        return st;
    if (dt_has(dt, DT_JMPREL)) {
        int rela = dt->v[DT_PLTREL] == DT_RELA;
        uint64_t ent = (dt->wide ? 8u : 4u) * (rela ? 3u : 2u);
        if ((st = elf_reloc_table(c, dt, "DT_JMPREL", dt->v[DT_JMPREL], dt->v[DT_PLTRELSZ], ent,
                                  rela, LD_RF_PLT, &cap)) != VML_OK)
            return st;
    }
    if (dt_has(dt, DT_RELR) && (st = elf_relr(c, dt, &cap)) != VML_OK)
        return st;
    return VML_OK;
}

vml_status elf_parse_dynamic(struct ld_ctx *c)
{
    struct ld_elf_info *e = c->img->elf;
    struct elf_dt dt;
    uint64_t memsz = 0;
    vml_status st;

    memset(&dt, 0, sizeof dt);
    dt.wide = e->elf_class == 2;
    for (unsigned i = 0; i < e->phnum; i++)
        if (e->phdrs[i].type == ELF_PT_DYNAMIC) {
            memsz = e->phdrs[i].memsz;
            break;
        }
    if (memsz == 0)
        return VML_OK;                      /* static: nothing for a dynamic loader */
    if ((st = elf_dyn_read(c, e, memsz, &dt)) != VML_OK)
        return st;
    if (dt_has(&dt, DT_SYMTAB) && dt_has(&dt, DT_SYMENT) && dt.v[DT_SYMENT] != (dt.wide ? 24u : 16u))
        return ld_fail_at(c, VML_E_SYNTAX, "DT_SYMENT %" PRIu64 " is not %u", dt.v[DT_SYMENT],
                          dt.wide ? 24u : 16u);
    if ((st = elf_needed(c, e, &dt)) != VML_OK)
        return st;
    if ((st = elf_count_syms(c, &dt)) != VML_OK)
        return st;
    if ((st = elf_relocs(c, &dt)) != VML_OK)
        return st;
    return elf_exports(c, &dt);
}
