/*
** elf.h -- an ELF image's own headers, kept for the views (`maps` prints
** the PT_LOAD segments with their file offsets as Linux does) and for the
** comparisons with readelf.  Field names are elf.h's, without prefixes.
*/
#ifndef VML_LOADER_ELF_H
#define VML_LOADER_ELF_H

#include <stddef.h>
#include <stdint.h>

#include "vmlab.h"

#define ELF_ET_EXEC 2u
#define ELF_ET_DYN  3u
#define ELF_EM_386    3u
#define ELF_EM_X86_64 62u

#define ELF_PT_LOAD      1u
#define ELF_PT_DYNAMIC   2u
#define ELF_PT_INTERP    3u
#define ELF_PT_PHDR      6u
#define ELF_PT_TLS       7u
#define ELF_PT_GNU_STACK 0x6474e551u
#define ELF_PT_GNU_RELRO 0x6474e552u

#define ELF_PF_X 1u
#define ELF_PF_W 2u
#define ELF_PF_R 4u

struct ld_elf_phdr {
    uint32_t type, flags;
    uint64_t offset, vaddr, paddr, filesz, memsz, align;
};

struct ld_elf_dyn {
    int64_t  tag;
    uint64_t val;
};

struct ld_elf_shdr {
    uint32_t name;          /* string offset in the image's pool */
    uint32_t type;
    uint64_t flags, addr, offset, size;
    uint32_t link, info;
    uint64_t addralign, entsize;
};

struct ld_elf_info {
    uint8_t  elf_class;     /* 1: ELFCLASS32, 2: ELFCLASS64 */
    uint8_t  osabi, abiversion;
    uint16_t type, machine;
    uint32_t version, flags;
    uint64_t entry, phoff, shoff;
    uint16_t ehsize, phentsize, phnum, shentsize, shnum, shstrndx;

    struct ld_elf_phdr *phdrs;      /* all phnum of them, in file order */
    size_t n_dyn;
    struct ld_elf_dyn *dyn;         /* the dynamic section up to DT_NULL */
    size_t n_shdrs;
    struct ld_elf_shdr *shdrs;      /* 0 when stripped or ignored */
    char shdr_note[160];            /* why section headers were ignored, or "" */

    uint64_t dynamic_rva;           /* PT_DYNAMIC (0 with none) */
    uint64_t phdr_rva;              /* PT_PHDR, or where the phdrs are loaded */
    uint64_t relro_rva, relro_size; /* PT_GNU_RELRO */
    uint32_t dt_flags, dt_flags_1;
};

/* elf_dyn.c: after the program headers. */
struct ld_ctx;
vml_status elf_parse_dynamic(struct ld_ctx *c);

#endif
