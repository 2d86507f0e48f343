/*
** test_elf.c -- the ELF parser (src/loader/elf.c, elf_dyn.c, reloc.c):
** real binaries of this machine (/usr/bin/ls, libc.so.6, the 32-bit
** libc) and ones built for the tests (a static PIE, a 32-bit PIE)
** compared with `readelf -lW`, `readelf -dW` and `readelf -rW` of the same
** files; relocation page by page equal to the whole image; symbol
** relocations and lazy PLT slots as ld.so treats them; and every
** malformed-file error, with its exact message, on a small ELF64 built
** here.
*/
#include "ld_testutil.h"

#include <inttypes.h>
#include <unistd.h>

#include "loader/elf.h"

static const char *const elf_files[] = {
    "/usr/bin/ls", "/lib/x86_64-linux-gnu/libc.so.6", "/usr/lib32/libc.so.6",
    LD_IMAGES "/static_pie", LD_IMAGES "/pie32",
};
#define N_ELF_FILES (sizeof elf_files / sizeof elf_files[0])

/* ---- against readelf --------------------------------------------------------- */

static uint32_t elf_pt_by_name(const char *name)
{
    static const struct { const char *name; uint32_t type; } t[] = {
        {"NULL", 0}, {"LOAD", 1}, {"DYNAMIC", 2}, {"INTERP", 3}, {"NOTE", 4}, {"PHDR", 6},
        {"TLS", 7}, {"GNU_EH_FRAME", 0x6474e550}, {"GNU_STACK", 0x6474e551},
        {"GNU_RELRO", 0x6474e552}, {"GNU_PROPERTY", 0x6474e553},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
        if (strcmp(t[i].name, name) == 0)
            return t[i].type;
    fail_msg("readelf program header type %s not in the test's table", name);
    return 0;
}

/* "  LOAD  0x000000 0x... 0x... 0x0036c0 0x0036c0 R E 0x1000" */
static void elf_program_headers_match_readelf_l(void **state)
{
    (void)state;
    for (size_t k = 0; k < N_ELF_FILES; k++) {
        struct ld_file f;
        struct ld_image *img = ld_load(elf_files[k], &f);
        const struct ld_elf_info *e = img->elf;
        char *out = ld_run("readelf -lW %s", elf_files[k]);
        unsigned n = 0, n_loads = 0;

        for (char *line = strtok(out, "\n"); line != NULL; line = strtok(NULL, "\n")) {
            char type[32], flags[8] = "";
            uint64_t off, va, pa, fsz, msz, align;
            int used = 0;
            if (sscanf(line, " %31s 0x%" SCNx64 " 0x%" SCNx64 " 0x%" SCNx64 " 0x%" SCNx64
                       " 0x%" SCNx64 " %n", type, &off, &va, &pa, &fsz, &msz, &used) != 6)
                continue;
            const char *rest = line + used;
            size_t fl = strcspn(rest, "0");
            memcpy(flags, rest, fl < 7 ? fl : 7);
            align = strtoull(rest + fl, NULL, 16);
            assert_true(n < e->phnum);
            const struct ld_elf_phdr *ph = &e->phdrs[n];
            assert_int_equal(ph->type, elf_pt_by_name(type));
            assert_int_equal(ph->offset, off);
            assert_int_equal(ph->vaddr, va);
            assert_int_equal(ph->paddr, pa);
            assert_int_equal(ph->filesz, fsz);
            assert_int_equal(ph->memsz, msz);
            assert_int_equal(ph->align, align);
            assert_int_equal(!!(ph->flags & ELF_PF_R), strchr(flags, 'R') != NULL);
            assert_int_equal(!!(ph->flags & ELF_PF_W), strchr(flags, 'W') != NULL);
            assert_int_equal(!!(ph->flags & ELF_PF_X), strchr(flags, 'E') != NULL);
            if (ph->type == ELF_PT_LOAD) {
                const struct ld_segment *s = &img->segments[n_loads++];
                assert_int_equal(s->rva + img->preferred_base, va);
                assert_int_equal(s->file_off, off);
                assert_int_equal(s->file_size, fsz);
                assert_int_equal(s->mem_size, msz);
                assert_int_equal(s->prot, ph->flags & 7u);
            }
            n++;
        }
        assert_int_equal(n, e->phnum);
        assert_int_equal(n_loads, img->n_segments);
        free(out);
        ld_image_free(img);
        free(f.data);
    }
}

/* " 0x0000000000000001 (NEEDED)  Shared library: [libc.so.6]" */
static void elf_dynamic_section_matches_readelf_d(void **state)
{
    (void)state;
    for (size_t k = 0; k < N_ELF_FILES; k++) {
        struct ld_file f;
        struct ld_image *img = ld_load(elf_files[k], &f);
        const struct ld_elf_info *e = img->elf;
        char *out = ld_run("readelf -dW %s", elf_files[k]);
        size_t n = 0, needed = 0;

        for (char *line = strtok(out, "\n"); line != NULL; line = strtok(NULL, "\n")) {
            uint64_t tag;
            char name[64];
            int used = 0;
            if (sscanf(line, " 0x%" SCNx64 " (%63[^)]) %n", &tag, name, &used) != 2)
                continue;
            assert_true(n < e->n_dyn);
            assert_int_equal((uint64_t)e->dyn[n].tag & (e->elf_class == 2 ? UINT64_MAX : UINT32_MAX), tag);
            const char *val = line + used;
            if (strncmp(val, "0x", 2) == 0)
                assert_int_equal(e->dyn[n].val, strtoull(val, NULL, 16));
            if (strcmp(name, "NEEDED") == 0) {
                char lib[256];
                assert_int_equal(sscanf(val, "Shared library: [%255[^]]]", lib), 1);
                assert_string_equal(ld_str(img, img->modules[needed]), lib);
                needed++;
            }
            if (strcmp(name, "SONAME") == 0) {
                char so[256];
                assert_int_equal(sscanf(val, "Library soname: [%255[^]]]", so), 1);
                assert_string_equal(ld_str(img, img->soname), so);
            }
            n++;
        }
        assert_int_equal(n, e->n_dyn);
        assert_int_equal(needed, img->n_modules);
        free(out);
        ld_image_free(img);
        free(f.data);
    }
}

struct elf_rline {
    uint64_t off, info, addend;
    int has_addend;
    char type[40], sym[256];
};

static int elf_rline_cmp(const void *a, const void *b)
{
    const struct elf_rline *x = a, *y = b;
    return x->off < y->off ? -1 : x->off > y->off;
}

/* readelf -rW lists every table (a DT_RELR one as bare addresses); ours is
** one list sorted by address. */
static void elf_relocations_match_readelf_r(void **state)
{
    (void)state;
    for (size_t k = 0; k < N_ELF_FILES; k++) {
        struct ld_file f;
        struct ld_image *img = ld_load(elf_files[k], &f);
        int wide = img->format == LD_ELF64;
        char *out = ld_run("readelf -rW %s", elf_files[k]);
        struct elf_rline *rl = calloc(img->n_relocs + 1, sizeof *rl);
        size_t n = 0;

        assert_non_null(rl);
        for (char *line = strtok(out, "\n"); line != NULL; line = strtok(NULL, "\n")) {
            struct elf_rline r = {0};
            uint64_t symval;
            int used = 0;
            char tail;
            if (sscanf(line, "%" SCNx64 " %c", &r.off, &tail) == 1 && line[0] != ' ') {
                r.info = 8;                 /* a .relr.dyn address: as R_*_RELATIVE */
                assert_true(n < img->n_relocs);
                rl[n++] = r;
                continue;
            }
            if (sscanf(line, "%" SCNx64 " %" SCNx64 " %39s %n", &r.off, &r.info, r.type, &used) != 3 ||
                strncmp(r.type, "R_", 2) != 0)
                continue;
            const char *rest = line + used;
            char sym[256];
            if (sscanf(rest, "%" SCNx64 " %255s + %" SCNx64, &symval, sym, &r.addend) == 3) {
                r.has_addend = 1;
                strcpy(r.sym, sym);
            } else if (sscanf(rest, "%" SCNx64 " %255s", &symval, sym) == 2) {
                strcpy(r.sym, sym);
            } else if (sscanf(rest, "%" SCNx64, &r.addend) == 1) {
                r.has_addend = 1;
            }
            char *at = strchr(r.sym, '@');
            if (at != NULL)
                *at = '\0';
            assert_true(n < img->n_relocs);
            rl[n++] = r;
        }
        assert_int_equal(n, img->n_relocs);
        qsort(rl, n, sizeof *rl, elf_rline_cmp);
        for (size_t i = 0; i < n; i++) {
            const struct ld_reloc *rel = &img->relocs[i];
            if (rel->sym != (wide ? rl[i].info >> 32 : rl[i].info >> 8))
                fail_msg("%s: relocation %zu at 0x%" PRIx64 ": sym %u, readelf 0x%" PRIx64 " %s",
                         elf_files[k], i, rl[i].off, rel->sym, rl[i].info, rl[i].type);
            assert_int_equal(rel->rva + img->preferred_base, rl[i].off);
            assert_int_equal(rel->type, wide ? (rl[i].info & 0xffffffffu) : (rl[i].info & 0xffu));
            assert_int_equal(rel->sym, wide ? rl[i].info >> 32 : rl[i].info >> 8);
            assert_string_equal(ld_str(img, rel->name), rl[i].sym);
            if (rl[i].has_addend && rel->kind == LD_REL_SET64)
                assert_int_equal((uint64_t)rel->addend, rl[i].addend);
        }
        free(rl);
        free(out);
        ld_image_free(img);
        free(f.data);
    }
}

/* ---- what each file is ------------------------------------------------------- */

static void elf_ls_is_a_lazy_pie_with_an_interpreter(void **state)
{
    struct ld_file f;
    struct ld_image *img = ld_load("/usr/bin/ls", &f);
    size_t lazy = 0;

    (void)state;
    assert_int_equal(img->format, LD_ELF64);
    assert_true(img->flags & LD_F_PIE);
    assert_true(img->flags & LD_F_DYNAMIC_BASE);
    assert_true(img->flags & LD_F_NX_COMPAT);          /* GNU_STACK RW */
    assert_false(img->flags & (LD_F_EXEC_STACK | LD_F_DLL | LD_F_STATIC));
    assert_int_equal(img->preferred_base, 0);
    assert_string_equal(ld_str(img, img->interp), "/lib64/ld-linux-x86-64.so.2");
    assert_int_equal(img->entry_rva, img->elf->entry);
    for (size_t i = 0; i < img->n_relocs; i++)
        lazy += (img->relocs[i].flags & LD_RF_LAZY) != 0;
    if (img->flags & LD_F_BIND_NOW)
        assert_int_equal(lazy, 0);
    else
        assert_true(lazy > 0);
    assert_true(img->segments[img->n_segments - 1].flags & LD_SEG_RELRO);
    ld_image_free(img);
    free(f.data);
}

static void elf_static_pie_needs_no_interpreter_and_has_tls(void **state)
{
    struct ld_file f;
    struct ld_image *img = ld_load(LD_IMAGES "/static_pie", &f);

    (void)state;
    assert_true(img->flags & LD_F_PIE);
    assert_true(img->flags & LD_F_STATIC);
    assert_int_equal(img->interp, 0);
    assert_int_equal(img->n_modules, 0);
    assert_true(img->tls.present);
    assert_true(img->tls.zero_fill > 0);
    for (size_t i = 0; i < img->n_relocs; i++)
        assert_true(img->relocs[i].kind == LD_REL_SET64 || img->relocs[i].kind == LD_REL_IRELATIVE);
    ld_image_free(img);
    free(f.data);
}

static void elf_libc_is_a_shared_object_with_exports(void **state)
{
    struct ld_file f;
    struct ld_image *img = ld_load("/lib/x86_64-linux-gnu/libc.so.6", &f);
    char *out = ld_run("readelf -W --dyn-syms /lib/x86_64-linux-gnu/libc.so.6"
                       " | awk '$7 != \"UND\" && ($5 == \"GLOBAL\" || $5 == \"WEAK\") && $8 != \"\"' | wc -l");
    int found = 0;

    (void)state;
    assert_true(img->flags & LD_F_DLL);
    assert_string_equal(ld_str(img, img->soname), "libc.so.6");
    assert_int_equal(img->n_exports, strtoull(out, NULL, 10));
    for (size_t i = 0; i < img->n_exports; i++)
        found += strcmp(ld_str(img, img->exports[i].name), "malloc") == 0;
    assert_true(found >= 1);
    free(out);
    ld_image_free(img);
    free(f.data);
}

/* ---- relocation ------------------------------------------------------------------ */

static void elf_pages_relocate_alone_as_the_whole_image(void **state)
{
    static const int64_t deltas[] = {0x555555554000ll, 0x7f0000000000ll, 0x56555000, 0x1000};

    (void)state;
    for (size_t k = 0; k < N_ELF_FILES; k++) {
        struct ld_file f;
        struct ld_reader r;
        struct ld_image *img = ld_load(elf_files[k], &f);
        ld_reader_mem(&r, f.data, f.size);
        for (size_t d = 0; d < sizeof deltas / sizeof deltas[0]; d++)
            ld_assert_pages_match_whole(img, &r, img->format == LD_ELF32 ? (int32_t)deltas[d]
                                                                           : deltas[d]);
        ld_image_free(img);
        free(f.data);
    }
}

/* R_X86_64_RELATIVE: base + addend; unresolved GLOB_DAT left as in the
** file; a lazy JUMP_SLOT += base (it points back into the PLT). */
static int resolve_free(void *ctx, const struct ld_image *img, const struct ld_reloc *rel,
                        uint64_t *value)
{
    (void)ctx;
    if (strcmp(ld_str(img, rel->name), "free") != 0)
        return 0;
    *value = 0x7f1122334450ull;
    return 1;
}

static void elf_ls_relocations_write_what_ld_so_writes(void **state)
{
    struct ld_file f;
    struct ld_reader r;
    struct ld_image *img = ld_load("/usr/bin/ls", &f);
    const int64_t base = 0x555555554000ll;
    uint8_t page[LD_PAGE_SIZE], orig[LD_PAGE_SIZE];
    int seen_rel = 0, seen_free = 0, seen_unres = 0, seen_lazy = 0;

    (void)state;
    ld_reader_mem(&r, f.data, f.size);
    for (size_t i = 0; i < img->n_relocs; i++) {
        const struct ld_reloc *rel = &img->relocs[i];
        uint64_t prva = rel->rva & ~0xfffu, v, o;
        if (rel->rva + 8 > prva + LD_PAGE_SIZE)
            continue;
        assert_int_equal(ld_image_read(img, &r, prva, page, sizeof page), VML_OK);
        memcpy(orig, page, sizeof page);
        ld_reloc_apply_page(img, prva, base, page, resolve_free, NULL);
        memcpy(&v, page + (rel->rva - prva), 8);
        memcpy(&o, orig + (rel->rva - prva), 8);
        if (rel->kind == LD_REL_SET64) {
            assert_int_equal(v, (uint64_t)base + (uint64_t)rel->addend);
            seen_rel = 1;
        } else if (strcmp(ld_str(img, rel->name), "free") == 0) {
            assert_int_equal(v, 0x7f1122334450ull);
            seen_free = 1;
        } else if (rel->flags & LD_RF_LAZY) {
            assert_int_equal(v, o + (uint64_t)base);
            seen_lazy = 1;
        } else {
            assert_int_equal(v, o);                 /* unresolved: untouched */
            seen_unres = 1;
        }
    }
    assert_true(seen_rel && seen_free && seen_unres && seen_lazy);
    ld_image_free(img);
    free(f.data);
}

/* R_386_RELATIVE in a REL table: the addend is the value in the file. */
static void elf_i386_rel_addend_is_read_from_the_file(void **state)
{
    struct ld_file f;
    struct ld_reader r;
    struct ld_image *img = ld_load(LD_IMAGES "/pie32", &f);
    int seen = 0;

    (void)state;
    ld_reader_mem(&r, f.data, f.size);
    for (size_t i = 0; i < img->n_relocs; i++) {
        const struct ld_reloc *rel = &img->relocs[i];
        uint8_t b[4];
        int32_t v;
        if (rel->kind != LD_REL_SET32)
            continue;
        assert_int_equal(ld_image_read(img, &r, rel->rva, b, 4), VML_OK);
        memcpy(&v, b, 4);
        assert_int_equal(rel->addend, v);
        seen++;
    }
    assert_true(seen > 0);
    ld_image_free(img);
    free(f.data);
}

/* ---- a small ELF64 built here ----------------------------------------------------- */
/*
** 0x0000 Ehdr   0x0040 4 phdrs: LOAD R+X [0, 0x1100), LOAD RW off 0x2000
**        vaddr 0x2000 filesz 0x1100 memsz 0x3000, DYNAMIC at 0x2000, GNU_STACK
** 0x2000 dynamic  0x2100 RELA (3)  0x2200 strtab  0x2300 symtab  0x2400 hash
** relocations: RELATIVE at 0x2800, RELATIVE at 0x2ffc (runs into 0x3000),
** GLOB_DAT "sym" at 0x2810
*/
#define E_SIZE 0x3100u
#define E_PH(i) (0x40u + 56u * (i))

static void p16(uint8_t *b, size_t o, uint16_t v) { b[o] = (uint8_t)v; b[o + 1] = (uint8_t)(v >> 8); }
static void p32(uint8_t *b, size_t o, uint32_t v) { p16(b, o, (uint16_t)v); p16(b, o + 2, (uint16_t)(v >> 16)); }
static void p64(uint8_t *b, size_t o, uint64_t v) { p32(b, o, (uint32_t)v); p32(b, o + 4, (uint32_t)(v >> 32)); }

static void e_phdr(uint8_t *b, unsigned i, uint32_t type, uint32_t flags, uint64_t off,
                   uint64_t va, uint64_t fsz, uint64_t msz, uint64_t align)
{
    p32(b, E_PH(i), type);
    p32(b, E_PH(i) + 4, flags);
    p64(b, E_PH(i) + 8, off);
    p64(b, E_PH(i) + 16, va);
    p64(b, E_PH(i) + 24, va);
    p64(b, E_PH(i) + 32, fsz);
    p64(b, E_PH(i) + 40, msz);
    p64(b, E_PH(i) + 48, align);
}

static uint8_t *t_elf(void)
{
    uint8_t *b = calloc(1, E_SIZE);
    unsigned d = 0;

    assert_non_null(b);
    memcpy(b, "\177ELF\2\1\1", 7);
    p16(b, 16, ELF_ET_DYN);
    p16(b, 18, ELF_EM_X86_64);
    p32(b, 20, 1);
    p64(b, 24, 0x1000);           /* e_entry */
    p64(b, 32, 0x40);             /* e_phoff */
    p16(b, 52, 64);
    p16(b, 54, 56);
    p16(b, 56, 4);
    e_phdr(b, 0, ELF_PT_LOAD, ELF_PF_R | ELF_PF_X, 0, 0, 0x1100, 0x1100, 0x1000);
    e_phdr(b, 1, ELF_PT_LOAD, ELF_PF_R | ELF_PF_W, 0x2000, 0x2000, 0x1100, 0x3000, 0x1000);
    e_phdr(b, 2, ELF_PT_DYNAMIC, ELF_PF_R | ELF_PF_W, 0x2000, 0x2000, 0x100, 0x100, 8);
    e_phdr(b, 3, ELF_PT_GNU_STACK, ELF_PF_R | ELF_PF_W, 0, 0, 0, 0, 16);
#define DYN(tag, val) (p64(b, 0x2000 + 16 * d, (tag)), p64(b, 0x2008 + 16 * d, (val)), d++)
    DYN(7, 0x2100); DYN(8, 72); DYN(9, 24);          /* RELA, RELASZ, RELAENT */
    DYN(5, 0x2200); DYN(10, 0x20); DYN(1, 1);        /* STRTAB, STRSZ, NEEDED */
    DYN(6, 0x2300); DYN(11, 24); DYN(4, 0x2400);     /* SYMTAB, SYMENT, HASH */
    DYN(0, 0);
#undef DYN
    p64(b, 0x2100, 0x2800); p64(b, 0x2108, 8); p64(b, 0x2110, 0x1000);
    p64(b, 0x2118, 0x2ffc); p64(b, 0x2120, 8); p64(b, 0x2128, 0x1234);
    p64(b, 0x2130, 0x2810); p64(b, 0x2138, (1ull << 32) | 6); p64(b, 0x2140, 0);
    memcpy(b + 0x2200, "\0libx.so\0sym", 13);
    p32(b, 0x2318, 9); b[0x231c] = 0x12;             /* sym 1: "sym", GLOBAL FUNC, UND */
    p32(b, 0x2400, 1); p32(b, 0x2404, 2);            /* nbucket 1, nchain 2 */
    return b;
}

static struct ld_image *t_parse(const uint8_t *b, size_t size, struct ld_reader *r)
{
    struct ld_image *img = NULL;
    char err[512], msg[256];

    ld_reader_mem(r, b, size);
    if (ld_elf_parse(r, &img, err, sizeof err) != VML_OK)
        fail_msg("%s", err);
    if (ld_image_check(img, msg, sizeof msg) != 0)
        fail_msg("%s", msg);
    return img;
}

static void elf_small_image_parses_exactly(void **state)
{
    uint8_t *b = t_elf();
    struct ld_reader r;
    struct ld_image *img = t_parse(b, E_SIZE, &r);

    (void)state;
    ld_seed("elf", "small_valid", b, E_SIZE);
    assert_int_equal(img->image_size, 0x5000);
    assert_int_equal(img->n_segments, 2);
    assert_int_equal(img->segments[1].rva, 0x2000);
    assert_int_equal(img->segments[1].mem_size, 0x3000);
    assert_int_equal(img->segments[1].file_size, 0x1100);
    assert_int_equal(img->segments[1].prot, LD_R | LD_W);
    assert_true(img->flags & LD_F_DLL);
    assert_int_equal(img->n_modules, 1);
    assert_string_equal(ld_str(img, img->modules[0]), "libx.so");
    assert_int_equal(img->n_relocs, 3);
    assert_int_equal(img->relocs[1].kind, LD_REL_SYM64);
    assert_string_equal(ld_str(img, img->relocs[1].name), "sym");
    assert_int_equal(img->n_straddles, 1);
    ld_image_free(img);
    free(b);
}

static void elf_relative_across_a_page_boundary_relocates_exactly(void **state)
{
    uint8_t *b = t_elf();
    struct ld_reader r;
    struct ld_image *img = t_parse(b, E_SIZE, &r);
    uint8_t lo[LD_PAGE_SIZE], hi[LD_PAGE_SIZE];
    uint64_t v;

    (void)state;
    assert_int_equal(ld_image_read(img, &r, 0x3000, hi, sizeof hi), VML_OK);
    assert_int_equal(ld_reloc_apply_page(img, 0x3000, 0x7fff00000000ll, hi, NULL, NULL), 1);
    assert_int_equal(ld_image_read(img, &r, 0x2000, lo, sizeof lo), VML_OK);
    assert_int_equal(ld_reloc_apply_page(img, 0x2000, 0x7fff00000000ll, lo, NULL, NULL), 2);
    memcpy(&v, lo + 0xffc, 4);
    memcpy((uint8_t *)&v + 4, hi, 4);
    assert_int_equal(v, 0x7fff00001234ull);
    ld_assert_pages_match_whole(img, &r, 0x7fff00000000ll);
    ld_image_free(img);
    free(b);
}

#define E_ERR(name, size, st, msg) ld_expect_error(ld_elf_parse, "elf", name, b, size, st, msg)

static void elf_truncated_headers_name_what_runs_past_the_end(void **state)
{
    uint8_t *b = t_elf();

    (void)state;
    E_ERR("empty", 0, VML_E_SYNTAX,
          "ELF: offset 0x0: e_ident (16 bytes) runs past the end of the file (0x10 > 0x0)");
    E_ERR("trunc_ehdr", 0x30, VML_E_SYNTAX,
          "ELF: offset 0x0: Elf64_Ehdr (64 bytes) runs past the end of the file (0x40 > 0x30)");
    E_ERR("trunc_phdrs", 0x100, VML_E_SYNTAX,
          "ELF: offset 0x40: the program header table (e_phoff, e_phnum) (224 bytes) runs past the"
          " end of the file (0x120 > 0x100)");
    E_ERR("trunc_load", 0x2000, VML_E_SYNTAX,
          "ELF: offset 0x80: program header 1 (LOAD): p_offset 0x2000 + p_filesz 0x1100 runs past"
          " the end of the file (0x3100 > 0x2000)");
    for (size_t n = 0; n < 0x120; n++) {
        struct ld_reader r;
        struct ld_image *img = NULL;
        char err[512] = "";
        ld_reader_mem(&r, b, n);
        assert_int_not_equal(ld_elf_parse(&r, &img, err, sizeof err), VML_OK);
        assert_null(img);
        assert_true(strncmp(err, "ELF: ", 5) == 0);
    }
    free(b);
}

static void elf_bad_headers_are_refused(void **state)
{
    uint8_t *b;

    (void)state;
    b = t_elf(); b[1] = 'X';
    E_ERR("bad_magic", E_SIZE, VML_E_SYNTAX,
          "ELF: offset 0x0: bad magic 7f 58 4c 46 (expected 7f 45 4c 46)"); free(b);
    b = t_elf(); b[4] = 3;
    E_ERR("bad_class", E_SIZE, VML_E_SYNTAX,
          "ELF: offset 0x4: EI_CLASS 3 is neither 1 (ELFCLASS32) nor 2 (ELFCLASS64)"); free(b);
    b = t_elf(); b[5] = 2;
    E_ERR("big_endian", E_SIZE, VML_E_UNSUPPORTED,
          "ELF: offset 0x5: EI_DATA 2: only 1 (little-endian) is supported"); free(b);
    b = t_elf(); b[6] = 0;
    E_ERR("bad_version", E_SIZE, VML_E_SYNTAX, "ELF: offset 0x6: EI_VERSION 0 is not 1 (EV_CURRENT)");
    free(b);
    b = t_elf(); p16(b, 16, 1);
    E_ERR("et_rel", E_SIZE, VML_E_UNSUPPORTED,
          "ELF: offset 0x10: e_type 1 is not ET_EXEC (2) or ET_DYN (3): a relocatable object (ET_REL)");
    free(b);
    b = t_elf(); p16(b, 18, 183);
    E_ERR("aarch64", E_SIZE, VML_E_UNSUPPORTED,
          "ELF: offset 0x12: e_machine 183 with ELFCLASS64 is not supported (only EM_X86_64 (62) in"
          " ELF64 and EM_386 (3) in ELF32)"); free(b);
    b = t_elf(); p16(b, 54, 32);
    E_ERR("bad_phentsize", E_SIZE, VML_E_SYNTAX,
          "ELF: offset 0x36: e_phentsize 32 is not sizeof(Elf64_Phdr) (56)"); free(b);
    b = t_elf(); p16(b, 56, 0);
    E_ERR("no_phdrs", E_SIZE, VML_E_SYNTAX,
          "ELF: offset 0x38: e_phnum 0: no program headers, nothing to load"); free(b);
    b = t_elf(); p16(b, 56, 2000);
    E_ERR("too_many_phdrs", E_SIZE, VML_E_SYNTAX,
          "ELF: offset 0x38: e_phnum 2000: program headers exceed the kernel's 64 KiB limit"); free(b);
    b = t_elf(); p64(b, 24, 0x9000);
    E_ERR("entry_outside", E_SIZE, VML_E_SYNTAX,
          "ELF: offset 0x18: e_entry 0x9000 is outside the PT_LOAD segments (0x0-0x5000)"); free(b);
}

static void elf_bad_segments_are_refused(void **state)
{
    uint8_t *b;

    (void)state;
    b = t_elf(); p64(b, E_PH(1) + 32, 0x4000);
    E_ERR("filesz_gt_memsz", E_SIZE, VML_E_SYNTAX,
          "ELF: offset 0x98: program header 1 (LOAD): p_filesz 0x4000 is larger than p_memsz 0x3000");
    free(b);
    b = t_elf(); p64(b, E_PH(1) + 8, 0x1f00);
    E_ERR("incongruent", E_SIZE, VML_E_SYNTAX,
          "ELF: offset 0x88: program header 1 (LOAD): p_vaddr 0x2000 and p_offset 0x1f00 differ modulo"
          " the page size (mmap cannot map it)"); free(b);
    b = t_elf(); p64(b, E_PH(1) + 16, 0x1000); p64(b, E_PH(1) + 8, 0x1000);
    p64(b, E_PH(1) + 32, 0x100);
    E_ERR("overlap", E_SIZE, VML_E_SYNTAX,
          "ELF: segment  at RVA 0x0-0x1100 overlaps segment  at RVA 0x1000"); free(b);
    b = t_elf(); p64(b, E_PH(0) + 16, 0x3000); p64(b, E_PH(0) + 8, 0);
    E_ERR("unsorted", E_SIZE, VML_E_SYNTAX,
          "ELF: offset 0x88: program header 1 (LOAD): p_vaddr 0x2000 is below the previous PT_LOAD's"
          " 0x3000 (PT_LOAD entries must be sorted by p_vaddr)"); free(b);
    b = t_elf(); p32(b, E_PH(0), 4); p32(b, E_PH(1), 4);
    E_ERR("no_load", E_SIZE, VML_E_SYNTAX,
          "ELF: offset 0x40: no PT_LOAD program header with p_memsz > 0: nothing to map"); free(b);
    b = t_elf(); p64(b, E_PH(1) + 40, 0x80000000ull);
    E_ERR("span_too_big", E_SIZE, VML_E_RANGE,
          "ELF: offset 0x40: the PT_LOAD segments span 0x0-0x80002000, more than 1 GiB"); free(b);
    b = t_elf(); p64(b, E_PH(1) + 40, UINT64_MAX - 0x1000);
    E_ERR("memsz_overflow", E_SIZE, VML_E_SYNTAX,
          "ELF: offset 0xa0: program header 1 (LOAD): p_vaddr 0x2000 + p_memsz 0xffffffffffffefff"
          " overflows the address space"); free(b);
    b = t_elf(); p32(b, E_PH(3), ELF_PT_INTERP); p64(b, E_PH(3) + 8, 0x2200); p64(b, E_PH(3) + 32, 4);
    E_ERR("interp_unterminated", E_SIZE, VML_E_SYNTAX,
          "ELF: offset 0x2200: program header 3 (INTERP): the path is not one NUL-terminated string of"
          " p_filesz bytes"); free(b);
    b = t_elf(); p32(b, E_PH(3), ELF_PT_GNU_RELRO); p64(b, E_PH(3) + 16, 0x4000);
    p64(b, E_PH(3) + 40, 0x2000);
    E_ERR("relro_outside", E_SIZE, VML_E_SYNTAX,
          "ELF: offset 0xf8: program header 3 (GNU_RELRO): p_vaddr 0x4000 + p_memsz 0x2000 is outside"
          " the PT_LOAD segments (0x0-0x5000)"); free(b);
}

static void elf_bad_dynamic_sections_are_refused(void **state)
{
    uint8_t *b;

    (void)state;
    b = t_elf(); p64(b, 0x2000 + 16 * 9, 21);         /* DT_NULL -> DT_DEBUG */
    p64(b, E_PH(2) + 40, 0xa0);
    E_ERR("no_dt_null", E_SIZE, VML_E_SYNTAX,
          "ELF: the dynamic section at RVA 0x2000 (10 entries) has no DT_NULL"); free(b);
    b = t_elf(); p64(b, 0x2028, 16);
    E_ERR("bad_relaent", E_SIZE, VML_E_SYNTAX, "ELF: DT_RELA: entry size 16 is not 24"); free(b);
    b = t_elf(); p64(b, 0x2018, 70);
    E_ERR("bad_relasz", E_SIZE, VML_E_SYNTAX,
          "ELF: DT_RELA: size 0x46 is not a multiple of the entry size 24"); free(b);
    b = t_elf(); p64(b, 0x2108, 2);
    E_ERR("pc32", E_SIZE, VML_E_UNSUPPORTED,
          "ELF: DT_RELA entry 0 (r_offset 0x2800): relocation type 2 is not one a loader applies at"
          " load time (supported: RELATIVE, 64/32, GLOB_DAT, JUMP_SLOT, COPY, IRELATIVE, TLS)"); free(b);
    b = t_elf(); p64(b, 0x2100, 0x9000);
    E_ERR("reloc_outside", E_SIZE, VML_E_SYNTAX,
          "ELF: DT_RELA entry 0 (R_X86_64_RELATIVE): r_offset 0x9000 is outside the PT_LOAD segments");
    free(b);
    b = t_elf(); p64(b, 0x2100, 0x1ffc);
    E_ERR("reloc_in_gap", E_SIZE, VML_E_SYNTAX,
          "ELF: relocation at RVA 0x1ffc (type 8) is not inside any PT_LOAD segment"); free(b);
    b = t_elf(); p64(b, 0x2100, 0x280c);
    E_ERR("relocs_overlap", E_SIZE, VML_E_SYNTAX,
          "ELF: relocations at RVA 0x280c (type 8, 8 bytes) and 0x2810 (type 6) overlap"); free(b);
    b = t_elf(); p64(b, 0x2138, (5ull << 32) | 6);
    E_ERR("sym_past_table", E_SIZE, VML_E_SYNTAX,
          "ELF: symbol index 5 is past the symbol table (2 symbols)"); free(b);
    b = t_elf(); p64(b, 0x2058, 0x40);
    E_ERR("needed_outside_strtab", E_SIZE, VML_E_SYNTAX,
          "ELF: DT_NEEDED: string offset 0x40 is outside DT_STRTAB (DT_STRSZ 0x20)"); free(b);
    b = t_elf(); p64(b, 0x2008, 0x8000);
    E_ERR("rela_addr_outside", E_SIZE, VML_E_SYNTAX,
          "ELF: dynamic tag 7: address 0x8000 is outside the PT_LOAD segments"); free(b);
    b = t_elf(); p64(b, 0x2018, 0x3000);
    E_ERR("rela_past_segment", E_SIZE, VML_E_SYNTAX,
          "ELF: DT_RELA at RVA 0x2100 (size 0x3000) runs past the end of its segment (0x5100 > 0x5000)");
    free(b);
}

static void elf_bad_tables_and_program_headers_are_refused(void **state)
{
    uint8_t *b;

    (void)state;
    b = t_elf(); p64(b, 0x2000 + 16 * 9, 20); p64(b, 0x2008 + 16 * 9, 3);   /* DT_PLTREL 3 */
    p64(b, E_PH(2) + 40, 0x200); p64(b, 0x2000 + 16 * 10, 23); p64(b, 0x2008 + 16 * 10, 0x2100);
    E_ERR("bad_pltrel", E_SIZE, VML_E_SYNTAX,
          "ELF: DT_PLTREL 3 is neither DT_RELA (7) nor DT_REL (17)"); free(b);
    b = t_elf(); p64(b, 0x2078, 16);
    E_ERR("bad_syment", E_SIZE, VML_E_SYNTAX, "ELF: DT_SYMENT 16 is not 24"); free(b);
    b = t_elf(); p32(b, E_PH(3), ELF_PT_TLS); p64(b, E_PH(3) + 16, 0x2000);
    p64(b, E_PH(3) + 32, 0x20); p64(b, E_PH(3) + 40, 0x10);
    E_ERR("tls_filesz", E_SIZE, VML_E_SYNTAX,
          "ELF: offset 0x108: program header 3 (TLS): p_filesz 0x20 is larger than p_memsz 0x10"); free(b);
    b = t_elf(); p32(b, E_PH(3), ELF_PT_INTERP); p64(b, E_PH(3) + 8, 0x2200); p64(b, E_PH(3) + 32, 1);
    E_ERR("interp_short", E_SIZE, VML_E_SYNTAX,
          "ELF: offset 0x108: program header 3 (INTERP): p_filesz 1 is not between 2 and 4096"); free(b);
    /* DT_RELR replacing DT_RELA: an entry size and a table outside */
    b = t_elf(); p64(b, 0x2000, 36); p64(b, 0x2010, 35); p64(b, 0x2018, 8); p64(b, 0x2020, 37);
    p64(b, 0x2028, 4);
    E_ERR("bad_relrent", E_SIZE, VML_E_SYNTAX, "ELF: DT_RELRENT 4 is not 8"); free(b);
    b = t_elf(); p64(b, 0x2000, 36); p64(b, 0x2010, 35); p64(b, 0x2018, 0x10000); p64(b, 0x2020, 37);
    p64(b, 0x2028, 8);
    E_ERR("relr_past_segment", E_SIZE, VML_E_SYNTAX,
          "ELF: DT_RELR at RVA 0x2100 (size 0x10000) runs past the end of its segment"
          " (0x12100 > 0x5000)"); free(b);
}

static void elf_bad_strings_symbols_and_hashes_are_refused(void **state)
{
    uint8_t *b;

    (void)state;
    b = t_elf(); p64(b, 0x2048, 5);                   /* DT_STRSZ 5: "libx.so" runs past */
    E_ERR("needed_past_strsz", E_SIZE, VML_E_SYNTAX,
          "ELF: DT_NEEDED at DT_STRTAB offset 0x1 runs past DT_STRSZ 0x5"); free(b);
    b = t_elf(); p64(b, 0x2060, 21);                  /* DT_SYMTAB -> DT_DEBUG */
    E_ERR("no_symtab", E_SIZE, VML_E_SYNTAX, "ELF: symbol 1 is named but there is no DT_SYMTAB");
    free(b);
    b = t_elf(); p64(b, 0x2080, 0x6ffffef5); p32(b, 0x2400, 0xffffffffu);   /* DT_GNU_HASH */
    E_ERR("gnu_hash_buckets", E_SIZE, VML_E_RANGE,
          "ELF: DT_GNU_HASH: 4294967295 buckets, 0 bloom words: more than the limit"); free(b);
    b = t_elf(); p64(b, 0x2118, 0x4ffc);
    E_ERR("reloc_past_segment_end", E_SIZE, VML_E_SYNTAX,
          "ELF: relocation at RVA 0x4ffc (8 bytes) runs past the end of its segment at 0x5000"); free(b);
}

/* A reader that fails past an offset: the error names what was read. */
static vml_status failing_read(const struct ld_reader *r, uint64_t off, void *buf, size_t len)
{
    if (off + len > 0x2000)
        return VML_E_IO;
    memcpy(buf, r->data + off, len);
    return VML_OK;
}

static void elf_read_error_is_reported_with_the_place(void **state)
{
    uint8_t *b = t_elf();
    struct ld_reader r;
    struct ld_image *img = NULL;
    char err[256];

    (void)state;
    ld_reader_mem(&r, b, E_SIZE);
    r.read = failing_read;
    assert_int_equal(ld_elf_parse(&r, &img, err, sizeof err), VML_E_IO);
    assert_null(img);
    assert_string_equal(err, "ELF: dynamic entry at RVA 0x2000: read error");
    free(b);
}

/* DT_RELR: an address, then a bitmap (bits 1 and 3: the 1st and 3rd words
** after it). */
static void elf_relr_expands_to_relative_relocations(void **state)
{
    uint8_t *b = t_elf();
    struct ld_reader r;
    struct ld_image *img;

    (void)state;
    p64(b, 0x2000, 36); p64(b, 0x2010, 35); p64(b, 0x2018, 16); p64(b, 0x2020, 37); p64(b, 0x2028, 8);
    p64(b, 0x2100, 0x2800); p64(b, 0x2108, (1u << 1) | (1u << 3) | 1u);
    p64(b, 0x2800, 0x1111);
    img = t_parse(b, E_SIZE, &r);
    ld_seed("elf", "relr_valid", b, E_SIZE);
    assert_int_equal(img->n_relocs, 3);
    assert_int_equal(img->relocs[0].rva, 0x2800);
    assert_int_equal(img->relocs[1].rva, 0x2808);
    assert_int_equal(img->relocs[2].rva, 0x2818);
    assert_int_equal(img->relocs[0].kind, LD_REL_ADD64);
    ld_assert_pages_match_whole(img, &r, 0x7f0000000000ll);
    ld_image_free(img);
    free(b);
}

static void elf_fuzz_regressions_parse_or_fail_cleanly(void **state)
{
    DIR *d = opendir("tests/fuzz/regress/elf");
    struct dirent *e;

    (void)state;
    if (d == NULL)
        return;
    while ((e = readdir(d)) != NULL) {
        char path[512];
        struct ld_file f;
        struct ld_reader r;
        struct ld_image *img = NULL;
        char err[512] = "", msg[256];
        if (e->d_name[0] == '.')
            continue;
        snprintf(path, sizeof path, "tests/fuzz/regress/elf/%s", e->d_name);
        f = ld_file_read(path);
        ld_reader_mem(&r, f.data, f.size);
        if (ld_elf_parse(&r, &img, err, sizeof err) == VML_OK) {
            assert_int_equal(ld_image_check(img, msg, sizeof msg), 0);
            ld_image_free(img);
        } else {
            assert_true(err[0] != '\0');
        }
        free(f.data);
    }
    closedir(d);
}

/* A host file read through the fd reader gives the same image. */
static void elf_fd_reader_reads_what_the_memory_reader_reads(void **state)
{
    struct ld_file f;
    struct ld_image *a = ld_load("/usr/bin/ls", &f), *b = NULL;
    struct ld_reader r;
    char err[256];
    FILE *fp = fopen("/usr/bin/ls", "rb");

    (void)state;
    assert_non_null(fp);
    assert_int_equal(ld_reader_fd(&r, fileno(fp), err, sizeof err), VML_OK);
    assert_int_equal(ld_image_parse(&r, &b, err, sizeof err), VML_OK);
    assert_int_equal(a->n_relocs, b->n_relocs);
    assert_memory_equal(a->relocs, b->relocs, a->n_relocs * sizeof *a->relocs);
    assert_memory_equal(a->segments, b->segments, a->n_segments * sizeof *a->segments);
    fclose(fp);
    ld_image_free(a);
    ld_image_free(b);
    free(f.data);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(elf_program_headers_match_readelf_l),
        cmocka_unit_test(elf_dynamic_section_matches_readelf_d),
        cmocka_unit_test(elf_relocations_match_readelf_r),
        cmocka_unit_test(elf_ls_is_a_lazy_pie_with_an_interpreter),
        cmocka_unit_test(elf_static_pie_needs_no_interpreter_and_has_tls),
        cmocka_unit_test(elf_libc_is_a_shared_object_with_exports),
        cmocka_unit_test(elf_pages_relocate_alone_as_the_whole_image),
        cmocka_unit_test(elf_ls_relocations_write_what_ld_so_writes),
        cmocka_unit_test(elf_i386_rel_addend_is_read_from_the_file),
        cmocka_unit_test(elf_small_image_parses_exactly),
        cmocka_unit_test(elf_relative_across_a_page_boundary_relocates_exactly),
        cmocka_unit_test(elf_truncated_headers_name_what_runs_past_the_end),
        cmocka_unit_test(elf_bad_headers_are_refused),
        cmocka_unit_test(elf_bad_segments_are_refused),
        cmocka_unit_test(elf_bad_dynamic_sections_are_refused),
        cmocka_unit_test(elf_bad_tables_and_program_headers_are_refused),
        cmocka_unit_test(elf_relr_expands_to_relative_relocations),
        cmocka_unit_test(elf_bad_strings_symbols_and_hashes_are_refused),
        cmocka_unit_test(elf_read_error_is_reported_with_the_place),
        cmocka_unit_test(elf_fuzz_regressions_parse_or_fail_cleanly),
        cmocka_unit_test(elf_fd_reader_reads_what_the_memory_reader_reads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
