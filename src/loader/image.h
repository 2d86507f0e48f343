/*
** image.h -- the loader's description of an executable image (PE32, PE32+,
** ELF32, ELF64), built by strict parsers from a file's bytes, for the
** memory manager to map later.  See image.c for the invariants (LD*),
** pe.c (PE*) and elf.c (ELF*) for each format.
**
** The description is format-neutral where the mapper needs it:
**   - segments: what to map at which RVA, from which file range, with
**     which protection (a PE section, the PE headers, an ELF PT_LOAD);
**   - relocations: sorted by RVA, indexed by page, so the fault path can
**     relocate one page as it brings it in (ld_reloc_apply_page());
**   - imports, exports, TLS, entry point, preferred base, flags;
** and keeps the format's own headers for the views (`!dh`, `lm`, `maps`).
**
** An RVA is an offset from the image's preferred base: for PE the
** ImageBase, for ELF the lowest PT_LOAD p_vaddr rounded down to a page
** (0 for PIEs and shared objects).  A delta is (actual base - preferred
** base).
**
** Nothing here touches page tables or physical memory, nothing prints, and
** no function keeps global state.  Parsing allocates the whole description
** or nothing: on failure *out is untouched and err holds one line naming the
** format, the place (byte offset, structure, field) and the problem.
*/
#ifndef VML_LOADER_IMAGE_H
#define VML_LOADER_IMAGE_H

#include <stddef.h>
#include <stdint.h>

#include "vmlab.h"   /* vml_status, VML_PAGE_* */

/* ---- reading a file ---------------------------------------------------- */

/* A file the parsers read from: size bytes, read at any offset.  The
** parsers never read past size and ask only for what they use. */
struct ld_reader {
    uint64_t size;
    /* Fills buf with len bytes at off (off + len <= size is checked by the
    ** caller).  VML_E_IO on a host error. */
    vml_status (*read)(const struct ld_reader *r, uint64_t off, void *buf, size_t len);
    const uint8_t *data;   /* memory reader: the bytes */
    int fd;                /* fd reader: the host file */
};

void       ld_reader_mem(struct ld_reader *r, const void *data, size_t size);
/* A reader over an open host file (not closed by the reader). */
vml_status ld_reader_fd(struct ld_reader *r, int fd, char *err, size_t err_size);

/* ---- limits (a file past them is refused, named in the error) ---------- */

#define LD_MAX_IMAGE_SIZE   (1ull << 30)  /* 1 GiB from base to last page */
#define LD_MAX_SEGMENTS     96u           /* PE: NumberOfSections max */
/* ELF program headers: the kernel's 64 KiB (load_elf_phdrs) */
#define LD_MAX_RELOCS       (1u << 22)    /* and image_size / 4 + 64 (reloc.c) */
#define LD_MAX_IMPORTS      (1u << 16)    /* functions, all modules */
#define LD_MAX_MODULES      1024u         /* imported / DT_NEEDED modules */
#define LD_MAX_EXPORTS      (1u << 20)
#define LD_MAX_NAME         4096u         /* one import/export/symbol name */
#define LD_MAX_DYN          4096u         /* ELF dynamic entries */
#define LD_MAX_TLS_CALLBACKS 256u

/* ---- the description ---------------------------------------------------- */

enum ld_format { LD_PE32 = 1, LD_PE32PLUS, LD_ELF32, LD_ELF64 };

/* Image flags (ld_image.flags). */
#define LD_F_DLL              0x0001u  /* PE DLL / ELF shared object */
#define LD_F_DYNAMIC_BASE     0x0002u  /* may load elsewhere: PE DYNAMIC_BASE, ELF ET_DYN */
#define LD_F_HIGH_ENTROPY_VA  0x0004u
#define LD_F_NX_COMPAT        0x0008u  /* PE NX_COMPAT; ELF: stack not executable */
#define LD_F_PIE              0x0010u  /* ELF ET_DYN executable: DF_1_PIE, or PT_INTERP and no DT_SONAME */
#define LD_F_RELOCS_STRIPPED  0x0020u  /* PE: IMAGE_FILE_RELOCS_STRIPPED */
#define LD_F_LARGE_ADDRESS    0x0040u  /* PE: IMAGE_FILE_LARGE_ADDRESS_AWARE */
#define LD_F_BIND_NOW         0x0080u  /* ELF: DF_BIND_NOW / DF_1_NOW */
#define LD_F_EXEC_STACK       0x0100u  /* ELF: PT_GNU_STACK has X, or no PT_GNU_STACK */
#define LD_F_TEXTREL          0x0200u  /* ELF: DT_TEXTREL / DF_TEXTREL */
#define LD_F_LOW_ALIGNMENT    0x0400u  /* PE: SectionAlignment < page: mapped flat */
#define LD_F_STATIC           0x0800u  /* ELF: ET_EXEC without PT_INTERP, or a static PIE */
#define LD_F_FORCE_INTEGRITY  0x1000u
#define LD_F_NO_SEH           0x2000u
#define LD_F_GUARD_CF         0x4000u
#define LD_F_TERMINAL_SERVER  0x8000u

/* Segment protection (ld_segment.prot), as ELF's p_flags bits. */
#define LD_X 1u
#define LD_W 2u
#define LD_R 4u

/* Segment flags (ld_segment.flags). */
#define LD_SEG_HEADERS     0x1u   /* PE: the headers page(s) */
#define LD_SEG_SHARED      0x2u   /* PE: IMAGE_SCN_MEM_SHARED */
#define LD_SEG_DISCARDABLE 0x4u   /* PE: IMAGE_SCN_MEM_DISCARDABLE */
#define LD_SEG_RELRO       0x8u   /* ELF: inside PT_GNU_RELRO (read-only after relocation) */

/* One range to map.  [rva, rva + mem_size) holds file bytes
** [file_off, file_off + file_size) then zeros (file_size <= mem_size).
** A PE segment is a section (its mem_size: VirtualSize, or SizeOfRawData
** when VirtualSize is 0); the mapper rounds to pages as both loaders do. */
struct ld_segment {
    uint64_t rva;
    uint64_t mem_size;
    uint64_t file_off;
    uint64_t file_size;
    uint32_t prot;          /* LD_R | LD_W | LD_X */
    uint32_t win_protect;   /* PE: the PAGE_* the Windows loader gives it */
    uint32_t flags;         /* LD_SEG_* */
    uint32_t align;         /* ELF p_align; PE SectionAlignment */
    uint32_t index;         /* PE section number (1-based; 0 headers), ELF phdr index */
    char     name[12];      /* PE section name ("" for ELF) */
};

/* Relocation kinds.  "Add" kinds add the delta to the bytes in place (PE,
** ELF REL); "set" kinds write delta + addend (ELF RELA); symbol kinds need
** a symbol's address the loader may not have (then they stay unresolved). */
enum ld_reloc_kind {
    LD_REL_ADD32 = 1,    /* PE HIGHLOW, RELR on ELF32: the stored value += delta */
    LD_REL_ADD64,        /* PE DIR64, RELR on ELF64, lazy JUMP_SLOT (see below) */
    LD_REL_SET32,        /* R_386_RELATIVE: delta + addend (REL: the stored value) */
    LD_REL_SET64,        /* R_X86_64_RELATIVE: delta + addend */
    LD_REL_SYM32,        /* R_386_32 / GLOB_DAT / JMP_SLOT: S + addend */
    LD_REL_SYM64,        /* R_X86_64_64 / GLOB_DAT / JUMP_SLOT: S + addend */
    LD_REL_COPY,         /* R_*_COPY: copies a symbol's bytes from a library */
    LD_REL_IRELATIVE,    /* R_*_IRELATIVE: needs its resolver run */
    LD_REL_TLS,          /* R_*_TPOFF*, DTPMOD*, DTPOFF*, TLSDESC: need the TLS layout */
};

#define LD_RF_LAZY   0x1u   /* a JUMP_SLOT ld.so binds lazily: unresolved, it gets
                            ** *slot += delta (points back into the PLT) */
#define LD_RF_PLT    0x2u   /* from DT_JMPREL */
#define LD_RF_RELR   0x4u   /* from DT_RELR */

/* One relocation.  COPY, IRELATIVE and TLS are listed, never applied (no
** code runs in vmlab); their width is the slot they name.  A REL table's
** implicit addend is read from the file into addend at parse time (for
** GLOB_DAT and JUMP_SLOT, which ignore it, addend is 0). */
struct ld_reloc {
    int64_t  addend;     /* RELA addend; REL: the value stored in the file */
    uint32_t rva;        /* where it writes */
    uint32_t sym;        /* ELF dynamic symbol index, else 0 */
    uint32_t name;       /* symbol name (string offset; 0 = none) */
    uint8_t  type;       /* the format's own number (IMAGE_REL_BASED_*, R_X86_64_*, R_386_*) */
    uint8_t  kind;       /* enum ld_reloc_kind */
    uint8_t  flags;      /* LD_RF_* */
    uint8_t  width;      /* bytes written: 4, 8 (16 for TLSDESC); COPY: 0 */
};

/* A relocation that runs across a page boundary, with the value the file
** holds there, so each page can be relocated alone (reloc.c). */
struct ld_straddle {
    uint32_t reloc;      /* index in relocs */
    uint64_t orig;       /* the little-endian value at its rva in the file */
};

/* An imported function (PE), one per import-table entry. */
struct ld_import {
    uint32_t module;     /* index in ld_image.modules */
    uint32_t name;       /* string offset; 0 when by ordinal */
    uint32_t ordinal;    /* by ordinal: the ordinal; by name: the hint */
    uint32_t iat_rva;    /* the IAT slot the loader writes */
    uint8_t  by_ordinal;
};

struct ld_export {
    uint32_t name;       /* string offset; 0 when exported by ordinal only */
    uint32_t ordinal;    /* biased ordinal, as GetProcAddress takes it */
    uint32_t rva;        /* ELF: st_value (an RVA too) */
    uint32_t forwarder;  /* PE: "DLL.Func" string offset, else 0 */
};

/* TLS: PE IMAGE_TLS_DIRECTORY (addresses turned into RVAs), ELF PT_TLS. */
struct ld_tls {
    int      present;
    uint64_t data_rva;       /* template start (PE StartAddressOfRawData - base) */
    uint64_t data_size;      /* initialised bytes (PE End - Start, ELF p_filesz) */
    uint64_t zero_fill;      /* PE SizeOfZeroFill; ELF p_memsz - p_filesz */
    uint64_t index_rva;      /* PE AddressOfIndex */
    uint64_t callbacks_rva;  /* PE AddressOfCallBacks (0 if none) */
    uint32_t n_callbacks;    /* PE: entries before the NULL */
    uint64_t align;          /* ELF p_align; PE from Characteristics */
};

struct ld_pe_info;   /* pe.h */
struct ld_elf_info;  /* elf.h */

struct ld_image {
    enum ld_format format;
    uint16_t machine;           /* IMAGE_FILE_MACHINE_* or EM_* */
    uint32_t flags;             /* LD_F_* */
    uint64_t preferred_base;
    uint64_t image_size;        /* bytes from base to the end of the last page */
    uint64_t entry_rva;         /* 0: no entry point (a DLL may have none) */
    uint64_t stack_reserve, stack_commit;   /* PE; ELF: 0 */
    uint64_t heap_reserve, heap_commit;     /* PE; ELF: 0 */
    uint16_t subsystem;         /* PE */
    uint32_t interp;            /* ELF PT_INTERP path (string offset; 0 none) */
    uint32_t soname;            /* ELF DT_SONAME; PE export-directory name */

    size_t n_segments;
    struct ld_segment *segments;     /* sorted by rva, non-overlapping (LD3) */

    size_t n_relocs;
    struct ld_reloc *relocs;         /* sorted by rva (LD4) */
    size_t n_pages;                  /* image_size / page */
    uint32_t *page_first;            /* n_pages + 1 entries: see reloc.c (LD5) */
    size_t n_straddles;
    struct ld_straddle *straddles;   /* relocations across a page boundary (LD6) */

    size_t n_modules;
    uint32_t *modules;               /* imported DLLs / DT_NEEDED (string offsets) */
    size_t n_imports;
    struct ld_import *imports;
    size_t n_exports;
    struct ld_export *exports;       /* PE: by ordinal; ELF: defined dynsyms */
    struct ld_tls tls;

    struct ld_pe_info *pe;           /* format details for the views, or NULL */
    struct ld_elf_info *elf;

    char  *strings;                  /* every name, NUL-terminated; offset 0 is "" */
    size_t strings_len, strings_cap;
};

/* The string at offset off of img's string pool ("" for 0). */
static inline const char *ld_str(const struct ld_image *img, uint32_t off)
{
    return img->strings + off;
}

/* Parses the file r reads; the format is taken from its magic (MZ or
** \x7fELF).  On success
** *out is a new image (ld_image_free()); on failure VML_E_SYNTAX (malformed),
** VML_E_UNSUPPORTED (valid but not supported: another machine, a relocation
** kind), VML_E_RANGE (past a limit above), VML_E_IO or VML_E_NOMEM, and err
** holds the one-line reason. */
vml_status ld_image_parse(const struct ld_reader *r, struct ld_image **out,
                          char *err, size_t err_size);
vml_status ld_pe_parse(const struct ld_reader *r, struct ld_image **out,
                       char *err, size_t err_size);
vml_status ld_elf_parse(const struct ld_reader *r, struct ld_image **out,
                        char *err, size_t err_size);
void       ld_image_free(struct ld_image *img);

/* Checks LD1..LD7 on a parsed image: 0, or -1 with the broken invariant's
** ID and the detail in msg. */
int        ld_image_check(const struct ld_image *img, char *msg, size_t size);

const char *ld_format_name(enum ld_format f);      /* "PE32+", "ELF64" ... */
const char *ld_reloc_kind_name(enum ld_reloc_kind k);
/* The Win32 PAGE_* the Windows image loader gives a PE section with these
** IMAGE_SCN_* characteristics (non-shared writable -> WRITECOPY). */
uint32_t    ld_pe_section_protect(uint32_t characteristics);
/* The segment containing rva, or NULL.  O(log n). */
const struct ld_segment *ld_segment_at(const struct ld_image *img, uint64_t rva);

/* ---- relocation ---------------------------------------------------------- */

/* The address of a symbol for a symbol relocation: return 1 and *value
** (S) when resolved, 0 to leave the relocation unresolved. */
typedef int (*ld_sym_resolver)(void *ctx, const struct ld_image *img,
                               const struct ld_reloc *rel, uint64_t *value);

/* The relocations that touch the page at page_rva (a multiple of the page
** size): *first and *n index img->relocs.  Includes a relocation that
** starts in the page before and runs into this one.  O(1). */
void ld_reloc_page_range(const struct ld_image *img, uint64_t page_rva,
                         size_t *first, size_t *n);

/* Applies the relocations touching one page, as the loader leaves it with
** the image at (preferred base + delta): page holds the page's bytes as
** read from the file (zeros past the file data).  A relocation that
** straddles the page boundary changes only this page's bytes, and the
** result equals relocating the whole image at once (LdrRelocateImage,
** ld.so): the bytes it needs from the other page are its original value,
** kept in the index (reloc.c).  Symbol kinds go to resolve (may be NULL:
** all unresolved; an unresolved lazy JUMP_SLOT gets += delta as ld.so
** does); COPY and IRELATIVE are never applied (there is no code to run).
** Returns the number of relocations applied to the page. */
size_t ld_reloc_apply_page(const struct ld_image *img, uint64_t page_rva, int64_t delta,
                           uint8_t *page, ld_sym_resolver resolve, void *ctx);

/* The bytes of the image at rva (n bytes) as the file gives them, zeros
** past a segment's file data and outside segments (what a page holds
** before relocation).  VML_E_IO on a read error. */
vml_status ld_image_read(const struct ld_image *img, const struct ld_reader *r,
                         uint64_t rva, void *buf, size_t n);

#define LD_PAGE_SIZE 4096u

#endif
