/*
** pe_build.h -- a small, valid PE32+ image built in memory for test_pe.c and
** test_pe_bad.c, to be broken one field at a time.
*/
#ifndef PE_BUILD_H
#define PE_BUILD_H

#include "ld_testutil.h"
#include "loader/pe.h"

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

static inline void put16(uint8_t *b, size_t off, uint16_t v) { b[off] = (uint8_t)v; b[off + 1] = (uint8_t)(v >> 8); }
static inline void put32(uint8_t *b, size_t off, uint32_t v) { put16(b, off, (uint16_t)v); put16(b, off + 2, (uint16_t)(v >> 16)); }
static inline void put64(uint8_t *b, size_t off, uint64_t v) { put32(b, off, (uint32_t)v); put32(b, off + 4, (uint32_t)(v >> 32)); }

static inline void t_section(uint8_t *b, unsigned i, const char *name, uint32_t vs, uint32_t va,
                      uint32_t raw_size, uint32_t raw_ptr, uint32_t chars)
{
    memcpy(b + T_SEC(i), name, strlen(name));
    put32(b, T_SEC(i) + 8, vs);
    put32(b, T_SEC(i) + 12, va);
    put32(b, T_SEC(i) + 16, raw_size);
    put32(b, T_SEC(i) + 20, raw_ptr);
    put32(b, T_SEC(i) + 36, chars);
}

static inline uint8_t *t_pe(void)
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

static inline struct ld_image *t_parse(const uint8_t *b, size_t size, struct ld_reader *r)
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

#endif
