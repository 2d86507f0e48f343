/*
** test_pe_bad.c -- every malformed-PE error of the parser (src/loader/pe.c,
** pe_dirs.c, reloc.c), with its exact message and status, on the small
** PE32+ of pe_build.h broken one field at a time, truncated at every
** byte of its headers, and on a real PE32; and every input the fuzzer
** ever crashed on.
*/
#include "pe_build.h"

#include <inttypes.h>

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
    ld_expect_every_cut_fails(ld_pe_parse, b, 0x200, "PE: ");
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
    struct ld_bytes f = ld_file_read(LD_IMAGES "/peexe32.exe");
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
    (void)state;
    ld_expect_regressions_parse_or_fail(ld_pe_parse, "tests/fuzz/regress/pe");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
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
