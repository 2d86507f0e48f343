/*
** test_pe.c -- the PE parser (src/loader/pe.c, pe_dirs.c, reloc.c): real
** images built with mingw-w64 (tests/images/, `make loader-images`)
** compared field by field with `objdump -h` and `objdump -p` of the same
** files; protections as the Windows loader gives them; relocation page by
** page equal to relocation of the whole image; and every malformed-file
** error, with its exact message, on a small PE32+ built here.
*/
#include "ld_testutil.h"

#include <inttypes.h>

#include "loader/pe.h"

static const char *const pe_images[] = {
    LD_IMAGES "/peexe64.exe", LD_IMAGES "/peexe64_fixed.exe", LD_IMAGES "/pedll64.dll",
    LD_IMAGES "/peexe32.exe", LD_IMAGES "/peexe32_fixed.exe", LD_IMAGES "/pedll32.dll",
};
#define N_PE_IMAGES (sizeof pe_images / sizeof pe_images[0])

/* ---- against objdump ------------------------------------------------------ */

/* The value after "key" at the start of a line of objdump -p, in hex. */
static uint64_t objdump_field(const char *out, const char *key)
{
    char pat[64];
    const char *p;

    snprintf(pat, sizeof pat, "\n%s", key);
    p = strstr(out, pat);
    if (p == NULL)
        fail_msg("objdump -p has no %s", key);
    p += strlen(pat);
    return strtoull(p, NULL, 16);
}

static void pe_headers_match_objdump_p(void **state)
{
    (void)state;
    for (size_t k = 0; k < N_PE_IMAGES; k++) {
        struct ld_file f;
        struct ld_image *img = ld_load(pe_images[k], &f);
        const struct ld_pe_info *pe = img->pe;
        char *out = ld_run("objdump -p %s", pe_images[k]);

        assert_non_null(pe);
        assert_int_equal(img->preferred_base, objdump_field(out, "ImageBase\t\t"));
        assert_int_equal(pe->section_alignment, objdump_field(out, "SectionAlignment\t"));
        assert_int_equal(pe->file_alignment, objdump_field(out, "FileAlignment\t\t"));
        assert_int_equal(pe->size_of_image, objdump_field(out, "SizeOfImage\t\t"));
        assert_int_equal(pe->size_of_headers, objdump_field(out, "SizeOfHeaders\t\t"));
        assert_int_equal(img->entry_rva, objdump_field(out, "AddressOfEntryPoint\t"));
        assert_int_equal(pe->dll_characteristics, objdump_field(out, "DllCharacteristics\t"));
        assert_int_equal(img->stack_reserve, objdump_field(out, "SizeOfStackReserve\t"));
        assert_int_equal(img->stack_commit, objdump_field(out, "SizeOfStackCommit\t"));
        assert_int_equal(img->heap_reserve, objdump_field(out, "SizeOfHeapReserve\t"));
        assert_int_equal(img->heap_commit, objdump_field(out, "SizeOfHeapCommit\t"));
        assert_int_equal(img->subsystem, objdump_field(out, "Subsystem\t\t"));
        assert_int_equal(pe->characteristics, objdump_field(out, "Characteristics "));
        assert_int_equal(img->image_size, (pe->size_of_image + 0xfffu) & ~0xfffu);
        free(out);
        ld_image_free(img);
        free(f.data);
    }
}

/* objdump -h: Idx Name Size(VirtualSize) VMA LMA File-off. */
static void pe_sections_match_objdump_h(void **state)
{
    (void)state;
    for (size_t k = 0; k < N_PE_IMAGES; k++) {
        struct ld_file f;
        struct ld_image *img = ld_load(pe_images[k], &f);
        char *out = ld_run("objdump -h %s", pe_images[k]);
        unsigned n = 0;

        for (char *line = strtok(out, "\n"); line != NULL; line = strtok(NULL, "\n")) {
            unsigned idx;
            char name[32];
            uint64_t size, vma, lma, off;
            if (sscanf(line, " %u %31s %" SCNx64 " %" SCNx64 " %" SCNx64 " %" SCNx64,
                       &idx, name, &size, &vma, &lma, &off) != 6)
                continue;
            const struct ld_pe_section *s = &img->pe->sections[idx];
            const struct ld_segment *seg = &img->segments[idx + 1];
            assert_string_equal(s->name, name);
            assert_string_equal(seg->name, name);
            assert_int_equal(s->virtual_size, size);
            assert_int_equal(img->preferred_base + seg->rva, vma);
            assert_int_equal(s->pointer_to_raw_data, off);
            n++;
        }
        assert_int_equal(n, img->pe->number_of_sections);
        assert_int_equal(img->n_segments, n + 1u);      /* + the headers */
        free(out);
        ld_image_free(img);
        free(f.data);
    }
}

/* "\treloc N offset X [RVA] TYPE" lines of objdump -p, minus ABSOLUTE. */
static void pe_relocs_match_objdump_p(void **state)
{
    (void)state;
    for (size_t k = 0; k < N_PE_IMAGES; k++) {
        struct ld_file f;
        struct ld_image *img = ld_load(pe_images[k], &f);
        char *out = ld_run("objdump -p %s", pe_images[k]);
        size_t n = 0;

        for (char *line = strtok(out, "\n"); line != NULL; line = strtok(NULL, "\n")) {
            unsigned idx;
            uint64_t off, rva;
            char type[32];
            if (sscanf(line, "\treloc %u offset %" SCNx64 " [%" SCNx64 "] %31s", &idx, &off, &rva,
                       type) != 4 || strcmp(type, "ABSOLUTE") == 0)
                continue;
            assert_true(n < img->n_relocs);
            assert_int_equal(img->relocs[n].rva, rva);
            assert_string_equal(type, img->relocs[n].type == PE_REL_DIR64 ? "DIR64" : "HIGHLOW");
            assert_int_equal(img->relocs[n].kind,
                             strcmp(type, "DIR64") == 0 ? LD_REL_ADD64 : LD_REL_ADD32);
            n++;
        }
        assert_true(n > 0);
        assert_int_equal(n, img->n_relocs);
        free(out);
        ld_image_free(img);
        free(f.data);
    }
}

/* Import tables: "DLL Name: X" then "\tvma  hint  name" or an ordinal line. */
static void pe_imports_match_objdump_p(void **state)
{
    (void)state;
    for (size_t k = 0; k < N_PE_IMAGES; k++) {
        struct ld_file f;
        struct ld_image *img = ld_load(pe_images[k], &f);
        char *out = ld_run("objdump -p %s | sed -n '/^The Import Tables/,/^$/p;/DLL Name/,/^$/p'",
                           pe_images[k]);
        size_t mod = 0, imp = 0;
        int in_dll = 0;

        for (char *line = strtok(out, "\n"); line != NULL; line = strtok(NULL, "\n")) {
            char name[256];
            uint64_t vma;
            unsigned hint;
            if (sscanf(line, "\tDLL Name: %255s", name) == 1) {
                if (mod > 0 && strcmp(name, ld_str(img, img->modules[mod - 1])) == 0)
                    continue;               /* sed printed the block twice */
                assert_true(mod < img->n_modules);
                assert_string_equal(name, ld_str(img, img->modules[mod]));
                mod++;
                in_dll = 1;
                continue;
            }
            if (!in_dll || strstr(line, "Hint/Ord") != NULL)
                continue;
            if (sscanf(line, "\t%" SCNx64 " %u %255s", &vma, &hint, name) != 3)
                continue;
            if (imp >= img->n_imports || img->imports[imp].module != mod - 1)
                continue;                   /* the repeated block */
            const struct ld_import *im = &img->imports[imp];
            if (strcmp(name, "<none>") == 0) {
                assert_true(im->by_ordinal);
                assert_int_equal(im->ordinal, hint);
            } else {
                assert_false(im->by_ordinal);
                assert_int_equal(im->ordinal, hint);
                assert_string_equal(ld_str(img, im->name), name);
            }
            imp++;
        }
        assert_int_equal(mod, img->n_modules);
        assert_int_equal(imp, img->n_imports);
        free(out);
        ld_image_free(img);
        free(f.data);
    }
}

static const struct ld_export *pe_export(const struct ld_image *img, const char *name)
{
    for (size_t i = 0; i < img->n_exports; i++)
        if (strcmp(ld_str(img, img->exports[i].name), name) == 0)
            return &img->exports[i];
    fail_msg("no export %s", name);
    return NULL;
}

/* pedll.def: four named exports (one a forwarder), one by ordinal only. */
static void pe_dll_exports_by_name_ordinal_and_forwarder(void **state)
{
    (void)state;
    for (int wide = 0; wide < 2; wide++) {
        struct ld_file f;
        const char *path = wide ? LD_IMAGES "/pedll64.dll" : LD_IMAGES "/pedll32.dll";
        struct ld_image *img = ld_load(path, &f);
        char *out = ld_run("objdump -p %s", path);
        unsigned n_rows = 0;

        assert_true(img->flags & LD_F_DLL);
        assert_string_equal(ld_str(img, img->soname), "pedll.dll");
        assert_int_equal(img->n_exports, 5);
        assert_string_equal(ld_str(img, pe_export(img, "pedll_sleep")->forwarder), "kernel32.Sleep");
        assert_int_equal(pe_export(img, "pedll_add")->forwarder, 0);
        const struct ld_export *by_ord = NULL;
        for (size_t i = 0; i < img->n_exports; i++)
            if (img->exports[i].ordinal == 7)
                by_ord = &img->exports[i];
        assert_non_null(by_ord);
        assert_int_equal(by_ord->name, 0);          /* NONAME */
        /* "\t[   1] +base[   5] 805e Forwarder RVA -- kernel32.Sleep" */
        for (char *line = strtok(out, "\n"); line != NULL; line = strtok(NULL, "\n")) {
            unsigned i, ord;
            uint64_t rva;
            if (sscanf(line, "\t[%u] +base[%u] %" SCNx64, &i, &ord, &rva) != 3)
                continue;
            assert_true(n_rows < img->n_exports);
            assert_int_equal(img->exports[n_rows].ordinal, ord);
            assert_int_equal(img->exports[n_rows].rva, rva);
            assert_int_equal(img->exports[n_rows].forwarder != 0,
                             strstr(line, "Forwarder") != NULL);
            n_rows++;
        }
        assert_int_equal(n_rows, img->n_exports);
        free(out);
        ld_image_free(img);
        free(f.data);
    }
}

/* Headers PAGE_READONLY; .text EXECUTE_READ; .data, .bss, .idata WRITECOPY
** (copy-on-write: each process writes its own copy); .rdata READONLY. */
static void pe_sections_get_the_windows_loader_protections(void **state)
{
    struct ld_file f;
    struct ld_image *img = ld_load(LD_IMAGES "/peexe64.exe", &f);

    (void)state;
    assert_int_equal(img->segments[0].win_protect, VML_PAGE_READONLY);
    assert_true(img->segments[0].flags & LD_SEG_HEADERS);
    for (size_t i = 1; i < img->n_segments; i++) {
        const struct ld_segment *s = &img->segments[i];
        uint32_t want = strcmp(s->name, ".text") == 0 ? VML_PAGE_EXECUTE_READ
                      : strcmp(s->name, ".data") == 0 || strcmp(s->name, ".bss") == 0 ||
                        strcmp(s->name, ".idata") == 0 || strcmp(s->name, ".tls") == 0 ||
                        strcmp(s->name, ".CRT") == 0 ? VML_PAGE_WRITECOPY
                      : VML_PAGE_READONLY;
        if (s->win_protect != want)
            fail_msg("%s: protect 0x%x, want 0x%x", s->name, s->win_protect, want);
    }
    ld_image_free(img);
    free(f.data);
    /* the whole table (WRITE|READ|EXECUTE|SHARED in the top bits) */
    assert_int_equal(ld_pe_section_protect(0), VML_PAGE_NOACCESS);
    assert_int_equal(ld_pe_section_protect(PE_SCN_MEM_READ), VML_PAGE_READONLY);
    assert_int_equal(ld_pe_section_protect(PE_SCN_MEM_READ | PE_SCN_MEM_EXECUTE), VML_PAGE_EXECUTE_READ);
    assert_int_equal(ld_pe_section_protect(PE_SCN_MEM_READ | PE_SCN_MEM_WRITE), VML_PAGE_WRITECOPY);
    assert_int_equal(ld_pe_section_protect(PE_SCN_MEM_READ | PE_SCN_MEM_WRITE | PE_SCN_MEM_EXECUTE),
                     VML_PAGE_EXECUTE_WRITECOPY);
    assert_int_equal(ld_pe_section_protect(PE_SCN_MEM_READ | PE_SCN_MEM_WRITE | PE_SCN_MEM_SHARED),
                     VML_PAGE_READWRITE);
    assert_int_equal(ld_pe_section_protect(PE_SCN_MEM_EXECUTE), VML_PAGE_EXECUTE);
    assert_int_equal(ld_pe_section_protect(PE_SCN_MEM_WRITE), VML_PAGE_WRITECOPY);
    assert_int_equal(ld_pe_section_protect(0xf0000000u), VML_PAGE_EXECUTE_READWRITE);
}

static void pe_dynamic_base_flags_follow_dll_characteristics(void **state)
{
    struct ld_file f1, f2, f3;
    struct ld_image *aslr = ld_load(LD_IMAGES "/peexe64.exe", &f1);
    struct ld_image *fixed = ld_load(LD_IMAGES "/peexe64_fixed.exe", &f2);
    struct ld_image *x86 = ld_load(LD_IMAGES "/peexe32.exe", &f3);

    (void)state;
    assert_true(aslr->flags & LD_F_DYNAMIC_BASE);
    assert_true(aslr->flags & LD_F_HIGH_ENTROPY_VA);
    assert_true(aslr->flags & LD_F_NX_COMPAT);
    assert_false(fixed->flags & LD_F_DYNAMIC_BASE);
    assert_false(fixed->flags & LD_F_HIGH_ENTROPY_VA);
    assert_int_equal(aslr->format, LD_PE32PLUS);
    assert_int_equal(x86->format, LD_PE32);
    assert_int_equal(x86->preferred_base, 0x400000);
    assert_int_equal(aslr->preferred_base, 0x140000000ull);
    ld_image_free(aslr);
    ld_image_free(fixed);
    ld_image_free(x86);
    free(f1.data);
    free(f2.data);
    free(f3.data);
}

/* The CRT's TLS directory: callbacks (ours is one), an index slot. */
static void pe_tls_directory_is_read(void **state)
{
    struct ld_file f;
    struct ld_image *img = ld_load(LD_IMAGES "/peexe64.exe", &f);

    (void)state;
    assert_true(img->tls.present);
    assert_true(img->tls.n_callbacks >= 2);   /* the CRT's and peexe_tls_callback */
    assert_true(img->tls.index_rva > 0 && img->tls.index_rva < img->image_size);
    assert_true(img->tls.callbacks_rva > 0 && img->tls.callbacks_rva < img->image_size);
    assert_non_null(ld_segment_at(img, img->tls.callbacks_rva));
    ld_image_free(img);
    free(f.data);
}

/* ---- relocation ----------------------------------------------------------- */

static void pe_pages_relocate_alone_as_the_whole_image(void **state)
{
    static const int64_t deltas[] = {0x10000, -0x10000, 0x7ff000000ll, 0x12340000, -0x400000};

    (void)state;
    for (size_t k = 0; k < N_PE_IMAGES; k++) {
        struct ld_file f;
        struct ld_reader r;
        struct ld_image *img = ld_load(pe_images[k], &f);
        ld_reader_mem(&r, f.data, f.size);
        for (size_t d = 0; d < sizeof deltas / sizeof deltas[0]; d++)
            ld_assert_pages_match_whole(img, &r, deltas[d]);
        ld_image_free(img);
        free(f.data);
    }
}

/* pedll_pointers[] = { &pedll_table_a, &pedll_table_b, &pedll_table_a, 0 }:
** after relocation each pointer is its target's address at the new base. */
static void pe_relocated_pointer_is_target_plus_delta(void **state)
{
    (void)state;
    for (int wide = 0; wide < 2; wide++) {
        struct ld_file f;
        struct ld_reader r;
        struct ld_image *img = ld_load(wide ? LD_IMAGES "/pedll64.dll" : LD_IMAGES "/pedll32.dll", &f);
        uint64_t new_base = wide ? 0x7ffa12340000ull : 0x10000000ull;
        int64_t delta = (int64_t)(new_base - img->preferred_base);
        uint32_t ptrs = pe_export(img, "pedll_pointers")->rva;
        uint32_t a = pe_export(img, "pedll_table_a")->rva;
        uint8_t page[LD_PAGE_SIZE];
        uint64_t page_rva = ptrs & ~0xfffu, v0 = 0, v3 = 0;
        unsigned w = wide ? 8 : 4;
        size_t first, n;

        ld_reader_mem(&r, f.data, f.size);
        ld_reloc_page_range(img, page_rva, &first, &n);
        assert_true(n >= 3);
        assert_int_equal(ld_image_read(img, &r, page_rva, page, sizeof page), VML_OK);
        assert_true(ld_reloc_apply_page(img, page_rva, delta, page, NULL, NULL) >= 3);
        memcpy(&v0, page + (ptrs - page_rva), w);
        memcpy(&v3, page + (ptrs - page_rva) + 3 * w, w);
        assert_int_equal(v0, new_base + a);
        assert_int_equal(v3, 0);                    /* NULL: no relocation */
        ld_image_free(img);
        free(f.data);
    }
}

/* ---- a small PE32+ built here ------------------------------------------------- */
/*
** 0x000 DOS header, e_lfanew 0x40   0x040 "PE\0\0" + FileHeader
** 0x058 OptionalHeader64 (0xf0)     0x148 4 section headers
** .text  VA 0x1000 raw 0x200 at 0x200      EXECUTE|READ|CODE
** .data  VA 0x2000 (2 pages) raw 0x1200 at 0x400   READ|WRITE
** .idata VA 0x4000 raw 0x200 at 0x1600     READ|WRITE: K.dll!F, K.dll!#9
** .reloc VA 0x5000 raw 0x200 at 0x1800     one block for page 0x2000:
**        DIR64 at 0x000, DIR64 at 0xffc (runs into page 0x3000), HIGHLOW
**        at 0x010, ABSOLUTE
*/
#define T_SIZE 0x1a00u
#define T_SEC(i) (0x148u + 40u * (i))

static void put16(uint8_t *b, size_t off, uint16_t v) { b[off] = (uint8_t)v; b[off + 1] = (uint8_t)(v >> 8); }
static void put32(uint8_t *b, size_t off, uint32_t v) { put16(b, off, (uint16_t)v); put16(b, off + 2, (uint16_t)(v >> 16)); }
static void put64(uint8_t *b, size_t off, uint64_t v) { put32(b, off, (uint32_t)v); put32(b, off + 4, (uint32_t)(v >> 32)); }

static void t_section(uint8_t *b, unsigned i, const char *name, uint32_t vs, uint32_t va,
                      uint32_t raw_size, uint32_t raw_ptr, uint32_t chars)
{
    memcpy(b + T_SEC(i), name, strlen(name));
    put32(b, T_SEC(i) + 8, vs);
    put32(b, T_SEC(i) + 12, va);
    put32(b, T_SEC(i) + 16, raw_size);
    put32(b, T_SEC(i) + 20, raw_ptr);
    put32(b, T_SEC(i) + 36, chars);
}

static uint8_t *t_pe(void)
{
    uint8_t *b = calloc(1, T_SIZE);

    assert_non_null(b);
    b[0] = 'M'; b[1] = 'Z';
    put32(b, 0x3c, 0x40);
    memcpy(b + 0x40, "PE\0\0", 4);
    put16(b, 0x44, PE_MACHINE_AMD64);
    put16(b, 0x46, 4);
    put16(b, 0x54, 0xf0);
    put16(b, 0x56, PE_FILE_EXECUTABLE_IMAGE | PE_FILE_LARGE_ADDRESS_AWARE);
    put16(b, 0x58, PE_MAGIC_PE32PLUS);
    put32(b, 0x68, 0x1000);               /* AddressOfEntryPoint */
    put64(b, 0x70, 0x180000000ull);       /* ImageBase */
    put32(b, 0x78, 0x1000);               /* SectionAlignment */
    put32(b, 0x7c, 0x200);                /* FileAlignment */
    put32(b, 0x90, 0x6000);               /* SizeOfImage */
    put32(b, 0x94, 0x200);                /* SizeOfHeaders */
    put16(b, 0x9c, 3);                    /* Subsystem: console */
    put16(b, 0x9e, PE_DLL_DYNAMIC_BASE | PE_DLL_NX_COMPAT | PE_DLL_HIGH_ENTROPY_VA);
    put64(b, 0xa0, 0x100000); put64(b, 0xa8, 0x1000);
    put64(b, 0xb0, 0x100000); put64(b, 0xb8, 0x1000);
    put32(b, 0xc4, 16);                   /* NumberOfRvaAndSizes */
    put32(b, 0xd0, 0x4000); put32(b, 0xd4, 0x28);    /* import */
    put32(b, 0xf0, 0x5000); put32(b, 0xf4, 0x10);    /* base relocations */
    t_section(b, 0, ".text", 0x100, 0x1000, 0x200, 0x200, 0x60000020);
    t_section(b, 1, ".data", 0x2000, 0x2000, 0x1200, 0x400, 0xc0000040);
    t_section(b, 2, ".idata", 0x100, 0x4000, 0x200, 0x1600, 0xc0000040);
    t_section(b, 3, ".reloc", 0x20, 0x5000, 0x200, 0x1800, 0x42000040);
    b[0x200] = 0xc3;                      /* ret */
    put64(b, 0x400, 0x180001000ull);      /* .data+0x000: &entry */
    put32(b, 0x410, 0x80001010u);         /* .data+0x010: a 32-bit pointer */
    put64(b, 0x400 + 0xffc, 0x00000001fffffff0ull);   /* .data+0xffc: across pages */
    /* .idata: descriptor, ILT at 0x4040, IAT at 0x4060, "K.dll", hint/name */
    put32(b, 0x1600, 0x4040); put32(b, 0x1600 + 12, 0x4080); put32(b, 0x1600 + 16, 0x4060);
    put64(b, 0x1640, 0x40a0); put64(b, 0x1648, 0x8000000000000009ull);
    put64(b, 0x1660, 0x40a0); put64(b, 0x1668, 0x8000000000000009ull);
    memcpy(b + 0x1680, "K.dll", 6);
    put16(b, 0x16a0, 0x12); memcpy(b + 0x16a2, "F", 2);
    /* .reloc */
    put32(b, 0x1800, 0x2000); put32(b, 0x1804, 0x10);
    put16(b, 0x1808, 0xa000); put16(b, 0x180a, 0xaffc); put16(b, 0x180c, 0x3010); put16(b, 0x180e, 0);
    return b;
}

static struct ld_image *t_parse(const uint8_t *b, size_t size, struct ld_reader *r)
{
    struct ld_image *img = NULL;
    char err[512], msg[256];

    ld_reader_mem(r, b, size);
    if (ld_pe_parse(r, &img, err, sizeof err) != VML_OK)
        fail_msg("%s", err);
    if (ld_image_check(img, msg, sizeof msg) != 0)
        fail_msg("%s", msg);
    return img;
}

static void pe_small_image_parses_exactly(void **state)
{
    uint8_t *b = t_pe();
    struct ld_reader r;
    struct ld_image *img = t_parse(b, T_SIZE, &r);

    (void)state;
    ld_seed("pe", "small_valid", b, T_SIZE);
    assert_int_equal(img->format, LD_PE32PLUS);
    assert_int_equal(img->image_size, 0x6000);
    assert_int_equal(img->n_segments, 5);
    assert_int_equal(img->segments[2].rva, 0x2000);
    assert_int_equal(img->segments[2].mem_size, 0x2000);
    assert_int_equal(img->segments[2].file_size, 0x1200);
    assert_int_equal(img->segments[2].win_protect, VML_PAGE_WRITECOPY);
    assert_int_equal(img->segments[4].flags, LD_SEG_DISCARDABLE);
    assert_int_equal(img->n_relocs, 3);                /* ABSOLUTE dropped */
    assert_int_equal(img->relocs[0].rva, 0x2000);
    assert_int_equal(img->relocs[1].rva, 0x2010);
    assert_int_equal(img->relocs[1].kind, LD_REL_ADD32);
    assert_int_equal(img->relocs[2].rva, 0x2ffc);
    assert_int_equal(img->n_straddles, 1);
    assert_int_equal(img->straddles[0].orig, 0x00000001fffffff0ull);
    assert_int_equal(img->n_modules, 1);
    assert_string_equal(ld_str(img, img->modules[0]), "K.dll");
    assert_int_equal(img->n_imports, 2);
    assert_string_equal(ld_str(img, img->imports[0].name), "F");
    assert_int_equal(img->imports[0].ordinal, 0x12);
    assert_int_equal(img->imports[0].iat_rva, 0x4060);
    assert_true(img->imports[1].by_ordinal);
    assert_int_equal(img->imports[1].ordinal, 9);
    assert_int_equal(img->imports[1].iat_rva, 0x4068);
    ld_image_free(img);
    free(b);
}

/* A DIR64 at page offset 0xffc: four bytes in each page.  Each page,
** relocated alone, holds its half of the relocated value, whichever comes
** in first; the carry out of the low half reaches the high half. */
static void pe_dir64_across_a_page_boundary_relocates_exactly(void **state)
{
    uint8_t *b = t_pe();
    struct ld_reader r;
    struct ld_image *img = t_parse(b, T_SIZE, &r);
    uint8_t lo[LD_PAGE_SIZE], hi[LD_PAGE_SIZE];
    uint64_t v;
    size_t first, n;

    (void)state;
    ld_reloc_page_range(img, 0x3000, &first, &n);
    assert_int_equal(n, 1);
    assert_int_equal(img->relocs[first].rva, 0x2ffc);
    ld_reloc_page_range(img, 0x2000, &first, &n);
    assert_int_equal(n, 3);
    assert_int_equal(ld_image_read(img, &r, 0x3000, hi, sizeof hi), VML_OK);
    assert_int_equal(ld_reloc_apply_page(img, 0x3000, 0x10000, hi, NULL, NULL), 1);
    assert_int_equal(ld_image_read(img, &r, 0x2000, lo, sizeof lo), VML_OK);
    assert_int_equal(ld_reloc_apply_page(img, 0x2000, 0x10000, lo, NULL, NULL), 3);
    memcpy(&v, lo + 0xffc, 4);
    memcpy((uint8_t *)&v + 4, hi, 4);
    assert_int_equal(v, 0x00000001fffffff0ull + 0x10000);
    assert_int_equal(hi[0], 2);                       /* the carry */
    memcpy(&v, lo, 8);
    assert_int_equal(v, 0x180011000ull);
    ld_assert_pages_match_whole(img, &r, 0x10000);
    ld_assert_pages_match_whole(img, &r, -0x180000000ll);
    ld_image_free(img);
    free(b);
}

/* ---- malformed files: each error names the place and the problem ----------- */

#define T_ERR(name, size, st, msg) \
    ld_expect_error(ld_pe_parse, "pe", name, b, size, st, msg)

static void pe_truncated_headers_name_what_runs_past_the_end(void **state)
{
    uint8_t *b = t_pe();

    (void)state;
    T_ERR("empty", 0, VML_E_SYNTAX,
          "PE: offset 0x0: e_magic (2 bytes) runs past the end of the file (0x2 > 0x0)");
    T_ERR("trunc_dos", 0x30, VML_E_SYNTAX,
          "PE: offset 0x0: IMAGE_DOS_HEADER (64 bytes) runs past the end of the file (0x40 > 0x30)");
    T_ERR("trunc_nt", 0x50, VML_E_SYNTAX,
          "PE: offset 0x40: PE signature and IMAGE_FILE_HEADER (24 bytes) runs past the end of the"
          " file (0x58 > 0x50)");
    T_ERR("trunc_magic", 0x59, VML_E_SYNTAX,
          "PE: offset 0x58: OptionalHeader.Magic (2 bytes) runs past the end of the file (0x5a > 0x59)");
    T_ERR("trunc_opt", 0x100, VML_E_SYNTAX,
          "PE: offset 0x58: IMAGE_OPTIONAL_HEADER (240 bytes) runs past the end of the file"
          " (0x148 > 0x100)");
    T_ERR("trunc_sections", 0x180, VML_E_SYNTAX,
          "PE: offset 0x94: SizeOfHeaders 0x200 runs past the end of the file (0x180)");
    T_ERR("trunc_raw", 0x1900, VML_E_SYNTAX,
          "PE: offset 0x1d4: section 4 (.reloc): PointerToRawData 0x1800 + SizeOfRawData 0x200 runs"
          " past the end of the file (0x1a00 > 0x1900)");
    /* every other cut inside the headers fails too, with a message */
    for (size_t n = 0; n < 0x200; n++) {
        struct ld_reader r;
        struct ld_image *img = NULL;
        char err[512] = "";
        ld_reader_mem(&r, b, n);
        assert_int_not_equal(ld_pe_parse(&r, &img, err, sizeof err), VML_OK);
        assert_null(img);
        assert_true(strncmp(err, "PE: ", 4) == 0);
    }
    free(b);
}

static void pe_bad_headers_are_refused(void **state)
{
    uint8_t *b;

    (void)state;
    b = t_pe(); b[1] = 'Y';
    T_ERR("bad_mz", T_SIZE, VML_E_SYNTAX, "PE: offset 0x0: e_magic 4d 59 is not \"MZ\""); free(b);
    b = t_pe(); put32(b, 0x3c, 0x10);
    T_ERR("lfanew_low", T_SIZE, VML_E_SYNTAX,
          "PE: offset 0x3c: e_lfanew 0x10 points inside the DOS header (below 0x40)"); free(b);
    b = t_pe(); b[0x41] = 'X';
    T_ERR("bad_pe_sig", T_SIZE, VML_E_SYNTAX,
          "PE: offset 0x40: bad signature 50 58 00 00 (expected \"PE\\0\\0\")"); free(b);
    b = t_pe(); put16(b, 0x44, 0xaa64);
    T_ERR("arm64", T_SIZE, VML_E_UNSUPPORTED,
          "PE: offset 0x44: Machine 0xaa64 is not supported (only 0x14c i386 and 0x8664 AMD64)"); free(b);
    b = t_pe(); put16(b, 0x46, 200);
    T_ERR("too_many_sections", T_SIZE, VML_E_RANGE,
          "PE: offset 0x46: NumberOfSections 200 is more than the Windows loader's 96"); free(b);
    b = t_pe(); put16(b, 0x56, 0x20);
    T_ERR("object_file", T_SIZE, VML_E_SYNTAX,
          "PE: offset 0x56: Characteristics 0x0020 lacks IMAGE_FILE_EXECUTABLE_IMAGE (0x0002): an"
          " object file, not an image"); free(b);
    b = t_pe(); put16(b, 0x58, 0x107);
    T_ERR("bad_opt_magic", T_SIZE, VML_E_SYNTAX,
          "PE: offset 0x58: OptionalHeader.Magic 0x0107 is neither 0x10b (PE32) nor 0x20b (PE32+)"); free(b);
    b = t_pe(); put16(b, 0x58, PE_MAGIC_PE32);
    T_ERR("magic_machine", T_SIZE, VML_E_SYNTAX,
          "PE: offset 0x58: OptionalHeader.Magic 0x010b (PE32) does not match Machine 0x8664"); free(b);
    b = t_pe(); put16(b, 0x54, 0x60);
    T_ERR("small_opt", T_SIZE, VML_E_SYNTAX,
          "PE: offset 0x54: SizeOfOptionalHeader 0x60 is smaller than the PE32+ optional header (0x70)");
    free(b);
    b = t_pe(); put32(b, 0xc4, 17);
    T_ERR("rva_and_sizes", T_SIZE, VML_E_SYNTAX,
          "PE: offset 0xc4: NumberOfRvaAndSizes 17 (0x88 bytes) does not fit in SizeOfOptionalHeader 0xf0");
    free(b);
    b = t_pe(); put32(b, 0x78, 0x1800);
    T_ERR("section_align", T_SIZE, VML_E_SYNTAX,
          "PE: offset 0x78: SectionAlignment 0x1800 is not a power of 2"); free(b);
    b = t_pe(); put32(b, 0x7c, 0x2000);
    T_ERR("file_align", T_SIZE, VML_E_SYNTAX,
          "PE: offset 0x7c: FileAlignment 0x2000 is not a power of 2 at most SectionAlignment 0x1000");
    free(b);
    b = t_pe(); put32(b, 0x90, 0);
    T_ERR("image_size_zero", T_SIZE, VML_E_SYNTAX, "PE: offset 0x90: SizeOfImage 0x0 is zero"); free(b);
    b = t_pe(); put32(b, 0x90, 0x80000000u);
    T_ERR("image_size_huge", T_SIZE, VML_E_RANGE,
          "PE: offset 0x90: SizeOfImage 0x80000000 is more than 1 GiB"); free(b);
    b = t_pe(); put32(b, 0x94, 0x7000);
    T_ERR("headers_past_image", T_SIZE, VML_E_SYNTAX,
          "PE: offset 0x94: SizeOfHeaders 0x7000 is zero or more than SizeOfImage 0x6000"); free(b);
    b = t_pe(); put32(b, 0x94, 0x180);
    T_ERR("table_past_headers", T_SIZE, VML_E_SYNTAX,
          "PE: offset 0x148: the section table (4 x 40 bytes) ends at 0x1e8, past SizeOfHeaders 0x180");
    free(b);
    b = t_pe(); put32(b, 0x68, 0x6000);
    T_ERR("entry_past_image", T_SIZE, VML_E_SYNTAX,
          "PE: offset 0x68: AddressOfEntryPoint 0x6000 is past SizeOfImage 0x6000"); free(b);
    b = t_pe(); put64(b, 0x70, 0xfffffffffffff000ull);
    T_ERR("base_overflow", T_SIZE, VML_E_SYNTAX,
          "PE: offset 0x70: ImageBase 0xfffffffffffff000 + SizeOfImage 0x6000 overflows"); free(b);
}

static void pe_bad_sections_are_refused(void **state)
{
    uint8_t *b;

    (void)state;
    b = t_pe(); put32(b, T_SEC(3) + 16, 0x400);
    T_ERR("raw_past_eof", T_SIZE, VML_E_SYNTAX,
          "PE: offset 0x1d4: section 4 (.reloc): PointerToRawData 0x1800 + SizeOfRawData 0x400 runs"
          " past the end of the file (0x1c00 > 0x1a00)"); free(b);
    b = t_pe(); put32(b, T_SEC(1) + 12, 0x2800);
    T_ERR("va_unaligned", T_SIZE, VML_E_SYNTAX,
          "PE: offset 0x17c: section 2 (.data): VirtualAddress 0x2800 is not a multiple of"
          " SectionAlignment 0x1000"); free(b);
    b = t_pe(); put32(b, T_SEC(2) + 12, 0x3000);
    T_ERR("overlap", T_SIZE, VML_E_SYNTAX,
          "PE: offset 0x1a4: section 3 (.idata): VirtualAddress 0x3000 overlaps the section or headers"
          " before it (expected 0x4000: sections must be in ascending order and adjacent)"); free(b);
    b = t_pe(); put32(b, T_SEC(2) + 12, 0x5000); put32(b, T_SEC(3) + 12, 0x6000);
    T_ERR("gap", T_SIZE, VML_E_SYNTAX,
          "PE: offset 0x1a4: section 3 (.idata): VirtualAddress 0x5000 leaves a gap after the section"
          " before it (expected 0x4000: sections must be in ascending order and adjacent)"); free(b);
    b = t_pe(); put32(b, T_SEC(3) + 8, 0x1001);
    T_ERR("past_image", T_SIZE, VML_E_SYNTAX,
          "PE: offset 0x1c8: section 4 (.reloc): VirtualAddress 0x5000 + VirtualSize 0x1001 runs past"
          " SizeOfImage 0x6000"); free(b);
    b = t_pe(); put32(b, T_SEC(0) + 8, 0); put32(b, T_SEC(0) + 16, 0);
    T_ERR("empty_section", T_SIZE, VML_E_SYNTAX,
          "PE: offset 0x150: section 1 (.text): VirtualSize and SizeOfRawData are both 0"); free(b);
}

static void pe_bad_relocations_are_refused(void **state)
{
    uint8_t *b;

    (void)state;
    b = t_pe(); put32(b, 0xf4, 0x1001);
    T_ERR("reloc_dir_past_image", T_SIZE, VML_E_SYNTAX,
          "PE: offset 0xf0: the base relocation directory (RVA 0x5000, size 0x1001) runs past"
          " SizeOfImage 0x6000"); free(b);
    b = t_pe(); put32(b, 0x1804, 0x20);
    T_ERR("block_past_dir", T_SIZE, VML_E_SYNTAX,
          "PE: relocation block at directory offset 0x0: SizeOfBlock 0x20 runs past the end of the"
          " directory (0x20 > 0x10)"); free(b);
    b = t_pe(); put32(b, 0x1804, 0x6);
    T_ERR("block_tiny", T_SIZE, VML_E_SYNTAX,
          "PE: relocation block at directory offset 0x0: SizeOfBlock 0x6 is smaller than its 8-byte"
          " header"); free(b);
    b = t_pe(); put32(b, 0x1804, 0xd);
    T_ERR("block_odd", T_SIZE, VML_E_SYNTAX,
          "PE: relocation block at directory offset 0x0: SizeOfBlock 0xd is odd"); free(b);
    b = t_pe(); put32(b, 0xf4, 0x14);
    T_ERR("header_past_dir", T_SIZE, VML_E_SYNTAX,
          "PE: relocation block header at directory offset 0x10 (8 bytes) runs past the end of the"
          " directory (size 0x14)"); free(b);
    b = t_pe(); put32(b, 0x1800, 0x9000);
    T_ERR("block_page_past_image", T_SIZE, VML_E_SYNTAX,
          "PE: relocation block at directory offset 0x0: VirtualAddress 0x9000 is past SizeOfImage"
          " 0x6000"); free(b);
    b = t_pe(); put16(b, 0x180c, 0x4010);
    T_ERR("highadj", T_SIZE, VML_E_UNSUPPORTED,
          "PE: base relocation at RVA 0x2010 (block at directory offset 0x0, entry 2): type 4"
          " (IMAGE_REL_BASED_HIGHADJ) is not supported (only ABSOLUTE, HIGHLOW and DIR64)"); free(b);
    b = t_pe(); put16(b, 0x180c, 0xa004);
    T_ERR("overlapping_fixups", T_SIZE, VML_E_SYNTAX,
          "PE: base relocations at RVA 0x2000 (type 10, 8 bytes) and 0x2004 (type 10) overlap"); free(b);
    b = t_pe(); put32(b, 0x1800, 0x5000); put16(b, 0x180a, 0xaffc);
    T_ERR("fixup_past_image", T_SIZE, VML_E_SYNTAX,
          "PE: base relocation at RVA 0x5ffc (block at directory offset 0x0, entry 1) runs past"
          " SizeOfImage 0x6000"); free(b);
}

static void pe_bad_directories_are_refused(void **state)
{
    uint8_t *b;

    (void)state;
    b = t_pe(); put32(b, 0x1600 + 12, 0x9000);
    T_ERR("import_name_outside", T_SIZE, VML_E_SYNTAX,
          "PE: imported module name at RVA 0x9000 is not inside any section"); free(b);
    /* .text's raw data made a whole page, its last bytes a name without NUL
    ** (past a section's raw data the image holds zeros: a NUL) */
    b = t_pe(); put32(b, T_SEC(0) + 16, 0x1000); memset(b + 0x11fc, 'k', 4);
    put32(b, 0x1600 + 12, 0x1ffc);
    T_ERR("import_name_unterminated", T_SIZE, VML_E_SYNTAX,
          "PE: imported module name at RVA 0x1ffc has no terminating NUL before the end of its"
          " segment"); free(b);
    b = t_pe(); put64(b, 0x1640, 0x7000);
    T_ERR("import_by_name_outside", T_SIZE, VML_E_SYNTAX,
          "PE: import thunk 0 at RVA 0x4040: IMAGE_IMPORT_BY_NAME RVA 0x7000 is past SizeOfImage"); free(b);
    /* an export directory in .idata's spare bytes: 0x10000 functions */
    b = t_pe(); put32(b, 0xc8, 0x4100); put32(b, 0xcc, 0x28); put32(b, 0x1700 + 20, 0x10001);
    T_ERR("exports_too_many", T_SIZE, VML_E_RANGE,
          "PE: export directory at RVA 0x4100: NumberOfFunctions 65537 / NumberOfNames 0 is more than"
          " the limit of 65536 exports"); free(b);
    b = t_pe(); put32(b, 0xc8, 0x4100); put32(b, 0xcc, 0x28);
    put32(b, 0x1700 + 20, 1); put32(b, 0x1700 + 24, 1); put32(b, 0x1700 + 28, 0x4140);
    put32(b, 0x1700 + 32, 0x4150); put32(b, 0x1700 + 36, 0x4160);
    put32(b, 0x1740, 0x1000); put32(b, 0x1750, 0x40a2); put16(b, 0x1760, 3);
    T_ERR("export_ordinal_index", T_SIZE, VML_E_SYNTAX,
          "PE: export name 0: ordinal index 3 is past NumberOfFunctions"); free(b);
    /* a TLS directory whose End is below its Start */
    b = t_pe(); put32(b, 0x110, 0x4100); put32(b, 0x114, 0x28);
    put64(b, 0x1700, 0x180004000ull); put64(b, 0x1708, 0x180003000ull);
    T_ERR("tls_end_below_start", T_SIZE, VML_E_SYNTAX,
          "PE: TLS directory at RVA 0x4100: EndAddressOfRawData 0x180003000 is below"
          " StartAddressOfRawData 0x180004000"); free(b);
    b = t_pe(); put32(b, 0x110, 0x4100); put32(b, 0x114, 0x28); put64(b, 0x1718, 0x80001000ull);
    T_ERR("tls_callbacks_outside", T_SIZE, VML_E_SYNTAX,
          "PE: TLS directory: AddressOfCallBacks 0x80001000 is outside the image (ImageBase"
          " 0x180000000, SizeOfImage 0x6000)"); free(b);
}

/* SectionAlignment below a page: FileAlignment must equal it, and the
** image is mapped flat (RVA == file offset), one EXECUTE_WRITECOPY view. */
static void pe_low_alignment_image_is_one_flat_view(void **state)
{
    uint8_t *b = calloc(1, 0x400);
    struct ld_reader r;
    struct ld_image *img;

    (void)state;
    b[0] = 'M'; b[1] = 'Z'; put32(b, 0x3c, 0x40); memcpy(b + 0x40, "PE\0\0", 4);
    put16(b, 0x44, PE_MACHINE_AMD64); put16(b, 0x46, 1); put16(b, 0x54, 0xf0); put16(b, 0x56, 0x22);
    put16(b, 0x58, PE_MAGIC_PE32PLUS); put32(b, 0x68, 0x200); put64(b, 0x70, 0x400000);
    put32(b, 0x78, 0x200); put32(b, 0x7c, 0x200); put32(b, 0x90, 0x400); put32(b, 0x94, 0x200);
    put32(b, 0xc4, 16);
    t_section(b, 0, ".text", 0x200, 0x200, 0x200, 0x200, 0xe0000020);
    img = t_parse(b, 0x400, &r);
    ld_seed("pe", "low_alignment_valid", b, 0x400);
    assert_true(img->flags & LD_F_LOW_ALIGNMENT);
    assert_int_equal(img->n_segments, 1);
    assert_int_equal(img->segments[0].win_protect, VML_PAGE_EXECUTE_WRITECOPY);
    assert_int_equal(img->segments[0].file_size, 0x400);
    assert_int_equal(img->image_size, 0x1000);
    ld_image_free(img);
    put32(b, T_SEC(0) + 20, 0x300); put32(b, T_SEC(0) + 16, 0x100);
    ld_expect_error(ld_pe_parse, "pe", "low_alignment_raw", b, 0x400, VML_E_SYNTAX,
                    "PE: offset 0x15c: section 1 (.text): PointerToRawData 0x300 differs from"
                    " VirtualAddress 0x200 in an image with SectionAlignment below the page size");
    put32(b, 0x7c, 0x100);
    ld_expect_error(ld_pe_parse, "pe", "low_alignment_file", b, 0x400, VML_E_SYNTAX,
                    "PE: offset 0x7c: FileAlignment 0x100 differs from SectionAlignment 0x200, which"
                    " is below the page size");
    free(b);
}

static void pe_bad_export_import_and_tls_limits_are_refused(void **state)
{
    uint8_t *b;

    (void)state;
    b = t_pe(); put32(b, 0xc8, 0x4100); put32(b, 0xcc, 0x28);
    put32(b, 0x1700 + 16, 0xffffffffu); put32(b, 0x1700 + 20, 2); put32(b, 0x1700 + 28, 0x4140);
    put32(b, 0x1740, 0x1000); put32(b, 0x1744, 0x1000);
    T_ERR("export_base_overflow", T_SIZE, VML_E_SYNTAX,
          "PE: export directory: Base 0xffffffff + function 1 overflows the ordinal"); free(b);
    b = t_pe(); put32(b, 0x1600 + 16, 0x5ffc);
    T_ERR("iat_past_image", T_SIZE, VML_E_SYNTAX,
          "PE: import address table at RVA 0x5ffc runs past SizeOfImage"); free(b);
    b = t_pe(); put32(b, 0x110, 0x4100); put32(b, 0x114, 0x28);
    put64(b, 0x1700, 0x180002000ull); put64(b, 0x1708, 0x180009000ull);
    T_ERR("tls_end_outside", T_SIZE, VML_E_SYNTAX,
          "PE: TLS directory: EndAddressOfRawData 0x180009000 is outside the image"); free(b);
    b = t_pe(); put32(b, 0x110, 0x4100); put32(b, 0x114, 0x28); put64(b, 0x1718, 0x180002000ull);
    for (unsigned i = 0; i < 300; i++)
        put64(b, 0x400 + 8 * i, 0x180001000ull);
    T_ERR("tls_callbacks_too_many", T_SIZE, VML_E_RANGE,
          "PE: TLS callbacks at RVA 0x2000: more than 256"); free(b);
}

/* Real PE32: ImageBase + SizeOfImage must stay below 4 GiB. */
static void pe32_image_past_4gib_is_refused(void **state)
{
    struct ld_file f = ld_file_read(LD_IMAGES "/peexe32.exe");
    uint32_t lfanew;

    (void)state;
    memcpy(&lfanew, f.data + 0x3c, 4);
    put32(f.data, lfanew + 24 + 28, 0xffff0000u);
    ld_expect_error(ld_pe_parse, "pe", "pe32_past_4g", f.data, f.size, VML_E_SYNTAX,
                    "PE: offset 0xb4: ImageBase 0xffff0000 + SizeOfImage 0x12000 runs past 4 GiB in a"
                    " PE32 image");
    free(f.data);
}

/* Every input the fuzzer ever crashed on (tests/fuzz/regress/pe/) now
** parses or fails with a message. */
static void pe_fuzz_regressions_parse_or_fail_cleanly(void **state)
{
    DIR *d = opendir("tests/fuzz/regress/pe");
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
        snprintf(path, sizeof path, "tests/fuzz/regress/pe/%s", e->d_name);
        f = ld_file_read(path);
        ld_reader_mem(&r, f.data, f.size);
        if (ld_pe_parse(&r, &img, err, sizeof err) == VML_OK) {
            assert_int_equal(ld_image_check(img, msg, sizeof msg), 0);
            ld_image_free(img);
        } else {
            assert_true(err[0] != '\0');
        }
        free(f.data);
    }
    closedir(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(pe_headers_match_objdump_p),
        cmocka_unit_test(pe_sections_match_objdump_h),
        cmocka_unit_test(pe_relocs_match_objdump_p),
        cmocka_unit_test(pe_imports_match_objdump_p),
        cmocka_unit_test(pe_dll_exports_by_name_ordinal_and_forwarder),
        cmocka_unit_test(pe_sections_get_the_windows_loader_protections),
        cmocka_unit_test(pe_dynamic_base_flags_follow_dll_characteristics),
        cmocka_unit_test(pe_tls_directory_is_read),
        cmocka_unit_test(pe_pages_relocate_alone_as_the_whole_image),
        cmocka_unit_test(pe_relocated_pointer_is_target_plus_delta),
        cmocka_unit_test(pe_small_image_parses_exactly),
        cmocka_unit_test(pe_dir64_across_a_page_boundary_relocates_exactly),
        cmocka_unit_test(pe_truncated_headers_name_what_runs_past_the_end),
        cmocka_unit_test(pe_bad_headers_are_refused),
        cmocka_unit_test(pe_bad_sections_are_refused),
        cmocka_unit_test(pe_bad_relocations_are_refused),
        cmocka_unit_test(pe_bad_directories_are_refused),
        cmocka_unit_test(pe_low_alignment_image_is_one_flat_view),
        cmocka_unit_test(pe_bad_export_import_and_tls_limits_are_refused),
        cmocka_unit_test(pe32_image_past_4gib_is_refused),
        cmocka_unit_test(pe_fuzz_regressions_parse_or_fail_cleanly),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
