/*
** elf_build.h -- a small, valid ELF64 shared object built in memory for
** test_elf.c and test_elf_bad.c, to be broken one field at a time.
*/
#ifndef ELF_BUILD_H
#define ELF_BUILD_H

#include "ld_testutil.h"
#include "loader/elf.h"

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

static inline void p16(uint8_t *b, size_t o, uint16_t v) { b[o] = (uint8_t)v; b[o + 1] = (uint8_t)(v >> 8); }
static inline void p32(uint8_t *b, size_t o, uint32_t v) { p16(b, o, (uint16_t)v); p16(b, o + 2, (uint16_t)(v >> 16)); }
static inline void p64(uint8_t *b, size_t o, uint64_t v) { p32(b, o, (uint32_t)v); p32(b, o + 4, (uint32_t)(v >> 32)); }

static inline void e_phdr(uint8_t *b, unsigned i, uint32_t type, uint32_t flags, uint64_t off,
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

static inline uint8_t *t_elf(void)
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

static inline struct ld_image *t_parse(const uint8_t *b, size_t size, struct ld_reader *r)
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

#endif
