/*
** test_elf.c -- the ELF parser (src/loader/elf.c, elf_dyn.c, reloc.c):
** real binaries of this machine (/usr/bin/ls, libc.so.6, the 32-bit
** libc) and ones built for the tests (a static PIE, a 32-bit PIE)
** compared with `readelf -lW`, `readelf -dW` and `readelf -rW` of the same
** files; relocation page by page equal to the whole image; symbol
** relocations and lazy PLT slots as ld.so treats them; DT_RELR; the small
** ELF64 of elf_build.h; the fd reader.  The malformed files are in
** test_elf_bad.c.
*/
#include "elf_build.h"

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
        struct ld_bytes f;
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
        struct ld_bytes f;
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
        struct ld_bytes f;
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
    struct ld_bytes f;
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
    struct ld_bytes f;
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
    struct ld_bytes f;
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
        struct ld_bytes f;
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
    struct ld_bytes f;
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
    struct ld_bytes f;
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

/* A host file read through the fd reader gives the same image. */
static void elf_fd_reader_reads_what_the_memory_reader_reads(void **state)
{
    struct ld_bytes f;
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
        cmocka_unit_test(elf_relr_expands_to_relative_relocations),
        cmocka_unit_test(elf_fd_reader_reads_what_the_memory_reader_reads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
