/*
** pe.c -- PE32 and PE32+ images: the DOS header, the NT headers and the
** section table, turned into segments with the protections the Windows
** image loader gives them.  The data directories are in pe_dirs.c.
**
** Layout (Microsoft PE/COFF specification; winnt.h):
**
**   0x00  IMAGE_DOS_HEADER   "MZ" ... e_lfanew (u32 at 0x3c)
**   e_lfanew
**         "PE\0\0"
**   +4    IMAGE_FILE_HEADER  (20 bytes)
**   +24   IMAGE_OPTIONAL_HEADER32 (96 + 8 * dirs) or 64 (112 + 8 * dirs),
**         SizeOfOptionalHeader bytes in all
**   +24+SizeOfOptionalHeader
**         IMAGE_SECTION_HEADER[NumberOfSections] (40 bytes each), inside
**         SizeOfHeaders
**
** INVARIANTS (of a parsed PE image, on top of LD1..LD7):
**   PE1  Segment 0 is the headers (rva 0, PAGE_READONLY); the others are
**        the sections in table order, each at a SectionAlignment multiple,
**        adjacent (each starts where the one before ends, aligned), and
**        the last one ends at or before SizeOfImage (rounded up to
**        SectionAlignment).  A low-alignment image (SectionAlignment
**        below the page size) is one flat PAGE_EXECUTE_WRITECOPY segment
**        whose file offsets equal its RVAs, as Windows maps it.
**   PE2  Each section's raw data [PointerToRawData, + SizeOfRawData) lies
**        inside the file.
**   PE3  Relocation entries are ABSOLUTE (dropped), HIGHLOW or DIR64, each
**        inside SizeOfImage and inside a block inside the directory.
*/
#include "ld.h"
#include "pe.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#define PE_SECTION_SIZE 40u
#define PE_OPT32_FIXED  96u    /* IMAGE_OPTIONAL_HEADER32 before DataDirectory */
#define PE_OPT64_FIXED  112u

/* Windows gives an image section the protection of its characteristics'
** top four bits (SHARED, EXECUTE, READ, WRITE): a writable section that is
** not shared is copy-on-write, so each process gets its own copy of what it
** writes (Windows Internals, "Image mapping"; ReactOS pe.c keeps the same
** table).  A section with none of the bits is PAGE_NOACCESS. */
uint32_t ld_pe_section_protect(uint32_t characteristics)
{
    static const uint32_t by_bits[16] = {
        /* W R X S */
        VML_PAGE_NOACCESS,          /* 0 0 0 0 */
        VML_PAGE_NOACCESS,          /* 0 0 0 1  shared */
        VML_PAGE_EXECUTE,           /* 0 0 1 0 */
        VML_PAGE_EXECUTE,           /* 0 0 1 1 */
        VML_PAGE_READONLY,          /* 0 1 0 0 */
        VML_PAGE_READONLY,          /* 0 1 0 1 */
        VML_PAGE_EXECUTE_READ,      /* 0 1 1 0 */
        VML_PAGE_EXECUTE_READ,      /* 0 1 1 1 */
        VML_PAGE_WRITECOPY,         /* 1 0 0 0 */
        VML_PAGE_READWRITE,         /* 1 0 0 1 */
        VML_PAGE_EXECUTE_WRITECOPY, /* 1 0 1 0 */
        VML_PAGE_EXECUTE_READWRITE, /* 1 0 1 1 */
        VML_PAGE_WRITECOPY,         /* 1 1 0 0 */
        VML_PAGE_READWRITE,         /* 1 1 0 1 */
        VML_PAGE_EXECUTE_WRITECOPY, /* 1 1 1 0 */
        VML_PAGE_EXECUTE_READWRITE, /* 1 1 1 1 */
    };
    return by_bits[characteristics >> 28];
}

static uint32_t pe_prot(uint32_t characteristics)
{
    return (characteristics & PE_SCN_MEM_READ ? LD_R : 0) |
           (characteristics & PE_SCN_MEM_WRITE ? LD_W : 0) |
           (characteristics & PE_SCN_MEM_EXECUTE ? LD_X : 0);
}

static int pe_pow2(uint64_t x)
{
    return x != 0 && (x & (x - 1)) == 0;
}

static uint64_t pe_round_up(uint64_t x, uint64_t align)   /* align: power of 2 */
{
    return (x + align - 1) & ~(align - 1);
}

/* ---- headers ------------------------------------------------------------- */

static vml_status pe_file_header(struct ld_ctx *c, struct ld_pe_info *pe)
{
    uint8_t b[24];
    uint8_t dos[64];
    vml_status st;

    if ((st = ld_get(c, 0, sizeof dos, dos, "IMAGE_DOS_HEADER")) != VML_OK)
        return st;
    pe->e_lfanew = ld_le32(dos + 0x3c);
    if (pe->e_lfanew < sizeof dos)
        return ld_fail(c, VML_E_SYNTAX, 0x3c, "e_lfanew 0x%" PRIx32 " points inside the DOS"
                       " header (below 0x40)", pe->e_lfanew);
    if ((st = ld_get(c, pe->e_lfanew, sizeof b, b, "PE signature and IMAGE_FILE_HEADER")) != VML_OK)
        return st;
    if (memcmp(b, "PE\0\0", 4) != 0)
        return ld_fail(c, VML_E_SYNTAX, pe->e_lfanew, "bad signature %02x %02x %02x %02x"
                       " (expected \"PE\\0\\0\")", b[0], b[1], b[2], b[3]);
    pe->machine = ld_le16(b + 4);
    pe->number_of_sections = ld_le16(b + 6);
    pe->time_date_stamp = ld_le32(b + 8);
    pe->pointer_to_symbol_table = ld_le32(b + 12);
    pe->number_of_symbols = ld_le32(b + 16);
    pe->size_of_optional_header = ld_le16(b + 20);
    pe->characteristics = ld_le16(b + 22);
    if (pe->machine != PE_MACHINE_I386 && pe->machine != PE_MACHINE_AMD64)
        return ld_fail(c, VML_E_UNSUPPORTED, pe->e_lfanew + 4, "Machine 0x%04x is not supported"
                       " (only 0x14c i386 and 0x8664 AMD64)", pe->machine);
    if (pe->number_of_sections > LD_MAX_SEGMENTS)
        return ld_fail(c, VML_E_RANGE, pe->e_lfanew + 6, "NumberOfSections %u is more than"
                       " the Windows loader's %u", pe->number_of_sections, LD_MAX_SEGMENTS);
    if (!(pe->characteristics & PE_FILE_EXECUTABLE_IMAGE))
        return ld_fail(c, VML_E_SYNTAX, pe->e_lfanew + 22, "Characteristics 0x%04x lacks"
                       " IMAGE_FILE_EXECUTABLE_IMAGE (0x0002): an object file, not an image",
                       pe->characteristics);
    return VML_OK;
}

static vml_status pe_optional_header(struct ld_ctx *c, struct ld_pe_info *pe)
{
    uint64_t off = (uint64_t)pe->e_lfanew + 24;
    uint8_t b[PE_OPT64_FIXED + 8 * PE_N_DIRS];
    unsigned fixed, wide;
    size_t len;
    vml_status st;

    if ((st = ld_get(c, off, 2, b, "OptionalHeader.Magic")) != VML_OK)
        return st;
    pe->magic = ld_le16(b);
    if (pe->magic != PE_MAGIC_PE32 && pe->magic != PE_MAGIC_PE32PLUS)
        return ld_fail(c, VML_E_SYNTAX, off, "OptionalHeader.Magic 0x%04x is neither 0x10b"
                       " (PE32) nor 0x20b (PE32+)", pe->magic);
    wide = pe->magic == PE_MAGIC_PE32PLUS;
    if ((wide && pe->machine != PE_MACHINE_AMD64) || (!wide && pe->machine != PE_MACHINE_I386))
        return ld_fail(c, VML_E_SYNTAX, off, "OptionalHeader.Magic 0x%04x (%s) does not match"
                       " Machine 0x%04x", pe->magic, wide ? "PE32+" : "PE32", pe->machine);
    fixed = wide ? PE_OPT64_FIXED : PE_OPT32_FIXED;
    if (pe->size_of_optional_header < fixed)
        return ld_fail(c, VML_E_SYNTAX, (uint64_t)pe->e_lfanew + 20, "SizeOfOptionalHeader 0x%x"
                       " is smaller than the %s optional header (0x%x)",
                       pe->size_of_optional_header, wide ? "PE32+" : "PE32", fixed);
    len = pe->size_of_optional_header < sizeof b ? pe->size_of_optional_header : sizeof b;
    memset(b, 0, sizeof b);
    if ((st = ld_get(c, off, len, b, "IMAGE_OPTIONAL_HEADER")) != VML_OK)
        return st;
    c->img->format = wide ? LD_PE32PLUS : LD_PE32;
    pe->major_linker_version = b[2];
    pe->minor_linker_version = b[3];
    pe->size_of_code = ld_le32(b + 4);
    pe->size_of_initialized_data = ld_le32(b + 8);
    pe->size_of_uninitialized_data = ld_le32(b + 12);
    pe->address_of_entry_point = ld_le32(b + 16);
    pe->base_of_code = ld_le32(b + 20);
    pe->base_of_data = wide ? 0 : ld_le32(b + 24);
    pe->image_base = wide ? ld_le64(b + 24) : ld_le32(b + 28);
    pe->section_alignment = ld_le32(b + 32);
    pe->file_alignment = ld_le32(b + 36);
    pe->major_os_version = ld_le16(b + 40);
    pe->minor_os_version = ld_le16(b + 42);
    pe->major_image_version = ld_le16(b + 44);
    pe->minor_image_version = ld_le16(b + 46);
    pe->major_subsystem_version = ld_le16(b + 48);
    pe->minor_subsystem_version = ld_le16(b + 50);
    pe->win32_version_value = ld_le32(b + 52);
    pe->size_of_image = ld_le32(b + 56);
    pe->size_of_headers = ld_le32(b + 60);
    pe->check_sum = ld_le32(b + 64);
    pe->subsystem = ld_le16(b + 68);
    pe->dll_characteristics = ld_le16(b + 70);
    if (wide) {
        pe->size_of_stack_reserve = ld_le64(b + 72);
        pe->size_of_stack_commit = ld_le64(b + 80);
        pe->size_of_heap_reserve = ld_le64(b + 88);
        pe->size_of_heap_commit = ld_le64(b + 96);
    } else {
        pe->size_of_stack_reserve = ld_le32(b + 72);
        pe->size_of_stack_commit = ld_le32(b + 76);
        pe->size_of_heap_reserve = ld_le32(b + 80);
        pe->size_of_heap_commit = ld_le32(b + 84);
    }
    pe->loader_flags = ld_le32(b + fixed - 8);
    pe->number_of_rva_and_sizes = ld_le32(b + fixed - 4);
    if ((uint64_t)pe->number_of_rva_and_sizes * 8 > pe->size_of_optional_header - fixed)
        return ld_fail(c, VML_E_SYNTAX, off + fixed - 4, "NumberOfRvaAndSizes %" PRIu32
                       " (0x%" PRIx64 " bytes) does not fit in SizeOfOptionalHeader 0x%x",
                       pe->number_of_rva_and_sizes, (uint64_t)pe->number_of_rva_and_sizes * 8,
                       pe->size_of_optional_header);
    for (unsigned i = 0; i < PE_N_DIRS && i < pe->number_of_rva_and_sizes; i++) {
        pe->dirs[i].rva = ld_le32(b + fixed + 8 * i);
        pe->dirs[i].size = ld_le32(b + fixed + 8 * i + 4);
    }
    return VML_OK;
}

/* Checks the optional header's layout fields and fills the image's. */
static vml_status pe_layout(struct ld_ctx *c, struct ld_pe_info *pe)
{
    struct ld_image *img = c->img;
    uint64_t opt = (uint64_t)pe->e_lfanew + 24;
    uint64_t end;

    if (!pe_pow2(pe->section_alignment))
        return ld_fail(c, VML_E_SYNTAX, opt + 32, "SectionAlignment 0x%" PRIx32
                       " is not a power of 2", pe->section_alignment);
    if (!pe_pow2(pe->file_alignment) || pe->file_alignment > pe->section_alignment)
        return ld_fail(c, VML_E_SYNTAX, opt + 36, "FileAlignment 0x%" PRIx32 " is not a power"
                       " of 2 at most SectionAlignment 0x%" PRIx32, pe->file_alignment,
                       pe->section_alignment);
    if (pe->section_alignment < LD_PAGE_SIZE && pe->file_alignment != pe->section_alignment)
        return ld_fail(c, VML_E_SYNTAX, opt + 36, "FileAlignment 0x%" PRIx32 " differs from"
                       " SectionAlignment 0x%" PRIx32 ", which is below the page size",
                       pe->file_alignment, pe->section_alignment);
    if (pe->size_of_image == 0 || pe->size_of_image > LD_MAX_IMAGE_SIZE)
        return ld_fail(c, pe->size_of_image ? VML_E_RANGE : VML_E_SYNTAX, opt + 56,
                       "SizeOfImage 0x%" PRIx32 " is %s", pe->size_of_image,
                       pe->size_of_image ? "more than 1 GiB" : "zero");
    if (pe->size_of_headers == 0 || pe->size_of_headers > pe->size_of_image)
        return ld_fail(c, VML_E_SYNTAX, opt + 60, "SizeOfHeaders 0x%" PRIx32 " is zero or more"
                       " than SizeOfImage 0x%" PRIx32, pe->size_of_headers, pe->size_of_image);
    if (pe->size_of_headers > c->r->size)
        return ld_fail(c, VML_E_SYNTAX, opt + 60, "SizeOfHeaders 0x%" PRIx32 " runs past the"
                       " end of the file (0x%" PRIx64 ")", pe->size_of_headers, c->r->size);
    if (ld_add(opt + pe->size_of_optional_header,
               (uint64_t)pe->number_of_sections * PE_SECTION_SIZE, &end) != 0 ||
        end > pe->size_of_headers)
        return ld_fail(c, VML_E_SYNTAX, opt + pe->size_of_optional_header, "the section table"
                       " (%u x 40 bytes) ends at 0x%" PRIx64 ", past SizeOfHeaders 0x%" PRIx32,
                       pe->number_of_sections, end, pe->size_of_headers);
    if (pe->address_of_entry_point >= pe->size_of_image)
        return ld_fail(c, VML_E_SYNTAX, opt + 16, "AddressOfEntryPoint 0x%" PRIx32 " is past"
                       " SizeOfImage 0x%" PRIx32, pe->address_of_entry_point, pe->size_of_image);
    if (pe->magic == PE_MAGIC_PE32 && pe->image_base + pe->size_of_image > UINT32_MAX + 1ull)
        return ld_fail(c, VML_E_SYNTAX, opt + 28, "ImageBase 0x%" PRIx64 " + SizeOfImage 0x%"
                       PRIx32 " runs past 4 GiB in a PE32 image", pe->image_base, pe->size_of_image);
    if (ld_add(pe->image_base, pe->size_of_image, &end) != 0)
        return ld_fail(c, VML_E_SYNTAX, opt + 24, "ImageBase 0x%" PRIx64 " + SizeOfImage 0x%"
                       PRIx32 " overflows", pe->image_base, pe->size_of_image);
    img->machine = pe->machine;
    img->preferred_base = pe->image_base;
    img->image_size = pe_round_up(pe->size_of_image, LD_PAGE_SIZE);
    img->n_pages = img->image_size / LD_PAGE_SIZE;
    img->entry_rva = pe->address_of_entry_point;
    img->stack_reserve = pe->size_of_stack_reserve;
    img->stack_commit = pe->size_of_stack_commit;
    img->heap_reserve = pe->size_of_heap_reserve;
    img->heap_commit = pe->size_of_heap_commit;
    img->subsystem = pe->subsystem;
    img->flags |= (pe->characteristics & PE_FILE_DLL ? LD_F_DLL : 0) |
                  (pe->characteristics & PE_FILE_RELOCS_STRIPPED ? LD_F_RELOCS_STRIPPED : 0) |
                  (pe->characteristics & PE_FILE_LARGE_ADDRESS_AWARE ? LD_F_LARGE_ADDRESS : 0) |
                  (pe->dll_characteristics & PE_DLL_DYNAMIC_BASE ? LD_F_DYNAMIC_BASE : 0) |
                  (pe->dll_characteristics & PE_DLL_HIGH_ENTROPY_VA ? LD_F_HIGH_ENTROPY_VA : 0) |
                  (pe->dll_characteristics & PE_DLL_NX_COMPAT ? LD_F_NX_COMPAT : 0) |
                  (pe->dll_characteristics & PE_DLL_FORCE_INTEGRITY ? LD_F_FORCE_INTEGRITY : 0) |
                  (pe->dll_characteristics & PE_DLL_NO_SEH ? LD_F_NO_SEH : 0) |
                  (pe->dll_characteristics & PE_DLL_GUARD_CF ? LD_F_GUARD_CF : 0) |
                  (pe->dll_characteristics & PE_DLL_TERMINAL_SERVER ? LD_F_TERMINAL_SERVER : 0) |
                  (pe->section_alignment < LD_PAGE_SIZE ? LD_F_LOW_ALIGNMENT : 0);
    return VML_OK;
}

/* ---- sections ------------------------------------------------------------ */

static void pe_section_decode(const uint8_t *b, struct ld_pe_section *s)
{
    memcpy(s->name, b, 8);
    s->name[8] = '\0';
    s->virtual_size = ld_le32(b + 8);
    s->virtual_address = ld_le32(b + 12);
    s->size_of_raw_data = ld_le32(b + 16);
    s->pointer_to_raw_data = ld_le32(b + 20);
    s->pointer_to_relocations = ld_le32(b + 24);
    s->pointer_to_linenumbers = ld_le32(b + 28);
    s->number_of_relocations = ld_le16(b + 32);
    s->number_of_linenumbers = ld_le16(b + 34);
    s->characteristics = ld_le32(b + 36);
}

/* One section -> one segment, checked against the file, the image and the
** section before it (PE1, PE2).  next_rva: where this section must start. */
static vml_status pe_section(struct ld_ctx *c, const struct ld_pe_info *pe, unsigned i,
                             uint64_t hdr_off, uint64_t *next_rva)
{
    const struct ld_pe_section *s = &pe->sections[i];
    struct ld_segment *seg = &c->img->segments[c->img->n_segments];
    uint64_t vsize = s->virtual_size ? s->virtual_size : s->size_of_raw_data;
    uint64_t raw_end = (uint64_t)s->pointer_to_raw_data + s->size_of_raw_data;
    uint64_t mem_end, limit = pe_round_up(pe->size_of_image, pe->section_alignment);

    if (s->size_of_raw_data > 0 && raw_end > c->r->size)
        return ld_fail(c, VML_E_SYNTAX, hdr_off + 20, "section %u (%s): PointerToRawData 0x%"
                       PRIx32 " + SizeOfRawData 0x%" PRIx32 " runs past the end of the file"
                       " (0x%" PRIx64 " > 0x%" PRIx64 ")", i + 1, s->name, s->pointer_to_raw_data,
                       s->size_of_raw_data, raw_end, c->r->size);
    if (s->virtual_address % pe->section_alignment != 0)
        return ld_fail(c, VML_E_SYNTAX, hdr_off + 12, "section %u (%s): VirtualAddress 0x%" PRIx32
                       " is not a multiple of SectionAlignment 0x%" PRIx32, i + 1, s->name,
                       s->virtual_address, pe->section_alignment);
    if (s->virtual_address != *next_rva)
        return ld_fail(c, VML_E_SYNTAX, hdr_off + 12, "section %u (%s): VirtualAddress 0x%" PRIx32
                       " %s (expected 0x%" PRIx64 ": sections must be in ascending order and"
                       " adjacent)", i + 1, s->name, s->virtual_address,
                       s->virtual_address < *next_rva ? "overlaps the section or headers before it"
                                                      : "leaves a gap after the section before it",
                       *next_rva);
    mem_end = s->virtual_address + pe_round_up(vsize, pe->section_alignment);
    if (vsize == 0)
        return ld_fail(c, VML_E_SYNTAX, hdr_off + 8, "section %u (%s): VirtualSize and"
                       " SizeOfRawData are both 0", i + 1, s->name);
    if (mem_end > limit)
        return ld_fail(c, VML_E_SYNTAX, hdr_off + 8, "section %u (%s): VirtualAddress 0x%" PRIx32
                       " + VirtualSize 0x%" PRIx64 " runs past SizeOfImage 0x%" PRIx32, i + 1,
                       s->name, s->virtual_address, vsize, pe->size_of_image);
    if (pe->section_alignment < LD_PAGE_SIZE && s->pointer_to_raw_data != s->virtual_address &&
        s->size_of_raw_data > 0)
        return ld_fail(c, VML_E_SYNTAX, hdr_off + 20, "section %u (%s): PointerToRawData 0x%"
                       PRIx32 " differs from VirtualAddress 0x%" PRIx32 " in an image with"
                       " SectionAlignment below the page size", i + 1, s->name,
                       s->pointer_to_raw_data, s->virtual_address);
    *next_rva = mem_end;
    if (pe->section_alignment < LD_PAGE_SIZE)
        return VML_OK;                   /* mapped flat: one segment, made by the caller */
    memset(seg, 0, sizeof *seg);
    seg->rva = s->virtual_address;
    seg->mem_size = mem_end - s->virtual_address;
    seg->file_off = s->pointer_to_raw_data;
    seg->file_size = s->size_of_raw_data < seg->mem_size ? s->size_of_raw_data : seg->mem_size;
    seg->prot = pe_prot(s->characteristics);
    seg->win_protect = ld_pe_section_protect(s->characteristics);
    seg->flags = (s->characteristics & PE_SCN_MEM_SHARED ? LD_SEG_SHARED : 0) |
                 (s->characteristics & PE_SCN_MEM_DISCARDABLE ? LD_SEG_DISCARDABLE : 0);
    seg->align = pe->section_alignment;
    seg->index = i + 1;
    memcpy(seg->name, s->name, sizeof s->name);
    c->img->n_segments++;
    return VML_OK;
}

static vml_status pe_sections(struct ld_ctx *c, struct ld_pe_info *pe)
{
    struct ld_image *img = c->img;
    uint64_t table = (uint64_t)pe->e_lfanew + 24 + pe->size_of_optional_header;
    uint8_t b[PE_SECTION_SIZE];
    uint64_t next_rva = pe_round_up(pe->size_of_headers, pe->section_alignment);
    struct ld_segment *hdr;
    vml_status st;

    pe->sections = calloc(pe->number_of_sections ? pe->number_of_sections : 1, sizeof *pe->sections);
    img->segments = calloc((size_t)pe->number_of_sections + 1, sizeof *img->segments);
    if (pe->sections == NULL || img->segments == NULL)
        return ld_fail_at(c, VML_E_NOMEM, "out of memory for the section table");
    hdr = &img->segments[0];
    hdr->rva = 0;
    hdr->file_off = 0;
    hdr->prot = LD_R;
    hdr->win_protect = VML_PAGE_READONLY;
    hdr->flags = LD_SEG_HEADERS;
    hdr->align = pe->section_alignment;
    img->n_segments = 1;
    if (pe->section_alignment < LD_PAGE_SIZE)
        next_rva = pe->size_of_headers;   /* flat: sections follow at file offsets */
    for (unsigned i = 0; i < pe->number_of_sections; i++) {
        uint64_t off = table + (uint64_t)i * PE_SECTION_SIZE;
        if ((st = ld_get(c, off, sizeof b, b, "IMAGE_SECTION_HEADER")) != VML_OK)
            return st;
        pe_section_decode(b, &pe->sections[i]);
        if ((st = pe_section(c, pe, i, off, &next_rva)) != VML_OK)
            return st;
    }
    if (pe->section_alignment < LD_PAGE_SIZE) {
        /* Windows maps a low-alignment image as one copy-on-write,
        ** executable view of the file: RVA == file offset. */
        hdr->mem_size = img->image_size;
        hdr->file_size = c->r->size < pe->size_of_image ? c->r->size : pe->size_of_image;
        hdr->prot = LD_R | LD_W | LD_X;
        hdr->win_protect = VML_PAGE_EXECUTE_WRITECOPY;
    } else {
        hdr->mem_size = pe_round_up(pe->size_of_headers, pe->section_alignment);
        if (hdr->mem_size > img->image_size)
            hdr->mem_size = img->image_size;
        hdr->file_size = pe->size_of_headers;
    }
    /* A section may end in SizeOfImage's last SectionAlignment unit, past
    ** its last page: clip it to the image (the loader maps whole pages). */
    for (size_t k = 1; k < img->n_segments; k++) {
        struct ld_segment *s = &img->segments[k];
        if (s->rva + s->mem_size > img->image_size)
            s->mem_size = img->image_size - s->rva;
        if (s->file_size > s->mem_size)
            s->file_size = s->mem_size;
    }
    return ld_segments_finish(c);
}

/* ---- the whole file ------------------------------------------------------- */

vml_status ld_pe_parse(const struct ld_reader *r, struct ld_image **out,
                       char *err, size_t err_size)
{
    struct ld_ctx c = { r, NULL, err, err_size, "PE" };
    struct ld_pe_info *pe;
    vml_status st;

    c.img = ld_image_new(LD_PE32);
    pe = calloc(1, sizeof *pe);
    if (c.img == NULL || pe == NULL) {
        free(pe);
        ld_image_free(c.img);
        return ld_fail_at(&c, VML_E_NOMEM, "out of memory");
    }
    c.img->pe = pe;
    uint8_t mz[2];
    if ((st = ld_get(&c, 0, 2, mz, "e_magic")) == VML_OK && (mz[0] != 'M' || mz[1] != 'Z'))
        st = ld_fail(&c, VML_E_SYNTAX, 0, "e_magic %02x %02x is not \"MZ\"", mz[0], mz[1]);
    if (st == VML_OK)
        st = pe_file_header(&c, pe);
    if (st == VML_OK)
        st = pe_optional_header(&c, pe);
    if (st == VML_OK)
        st = pe_layout(&c, pe);
    if (st == VML_OK)
        st = pe_sections(&c, pe);
    if (st == VML_OK)
        st = pe_parse_relocs(&c);
    if (st == VML_OK)
        st = pe_parse_exports(&c);
    if (st == VML_OK)
        st = pe_parse_imports(&c);
    if (st == VML_OK)
        st = pe_parse_tls(&c);
    if (st == VML_OK)
        st = ld_relocs_finish(&c);
    if (st != VML_OK) {
        ld_image_free(c.img);
        return st;
    }
    *out = c.img;
    return VML_OK;
}
