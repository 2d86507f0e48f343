/*
** test_pe.c -- the PE parser (src/loader/pe.c, pe_dirs.c, reloc.c): real
** images built with mingw-w64 (tests/images/, `make loader-images`)
** compared field by field with `objdump -h` and `objdump -p` of the same
** files; protections as the Windows loader gives them; relocation page by
** page equal to relocation of the whole image, on them and on the small
** PE32+ of pe_build.h (a DIR64 across a page boundary).  The malformed
** files are in test_pe_bad.c.
*/
#include "pe_build.h"

#include <inttypes.h>

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
        struct ld_bytes f;
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
        struct ld_bytes f;
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
        struct ld_bytes f;
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
        struct ld_bytes f;
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
        struct ld_bytes f;
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
    struct ld_bytes f;
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
    struct ld_bytes f1, f2, f3;
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
    struct ld_bytes f;
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
        struct ld_bytes f;
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
        struct ld_bytes f;
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
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
