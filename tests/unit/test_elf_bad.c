/*
** test_elf_bad.c -- every malformed-ELF error of the parser (src/loader/elf.c,
** elf_dyn.c, reloc.c), with its exact message and status, on the small
** ELF64 of elf_build.h broken one field at a time and truncated at every
** byte of its headers; a read error; and every input the fuzzer ever
** crashed on.
*/
#include "elf_build.h"

#include <inttypes.h>

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
    ld_expect_every_cut_fails(ld_elf_parse, b, 0x120, "ELF: ");
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

/* DT_RELR alternating "address 0" and an all-ones bitmap names the same
** places again and again: refused before the list outgrows the image. */
static void elf_relr_repeating_places_is_refused_early(void **state)
{
    uint8_t *b = t_elf();

    (void)state;
    p64(b, 0x2000, 36); p64(b, 0x2008, 0x2800); p64(b, 0x2010, 35); p64(b, 0x2018, 0x800);
    p64(b, 0x2020, 37); p64(b, 0x2028, 8);
    for (unsigned i = 0; i < 0x100; i += 2) {
        p64(b, 0x2800 + 8 * i, 0);
        p64(b, 0x2800 + 8 * (i + 1), UINT64_MAX);
    }
    E_ERR("relr_repeats", E_SIZE, VML_E_SYNTAX,
          "ELF: more than 5184 relocations: the image (0x5000 bytes) has no room for them without"
          " overlap");
    free(b);
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

static void elf_fuzz_regressions_parse_or_fail_cleanly(void **state)
{
    (void)state;
    ld_expect_regressions_parse_or_fail(ld_elf_parse, "tests/fuzz/regress/elf");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(elf_truncated_headers_name_what_runs_past_the_end),
        cmocka_unit_test(elf_bad_headers_are_refused),
        cmocka_unit_test(elf_bad_segments_are_refused),
        cmocka_unit_test(elf_bad_dynamic_sections_are_refused),
        cmocka_unit_test(elf_bad_tables_and_program_headers_are_refused),
        cmocka_unit_test(elf_bad_strings_symbols_and_hashes_are_refused),
        cmocka_unit_test(elf_relr_repeating_places_is_refused_early),
        cmocka_unit_test(elf_read_error_is_reported_with_the_place),
        cmocka_unit_test(elf_fuzz_regressions_parse_or_fail_cleanly),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
