/*
** pe.h -- a PE image's own headers, kept for the views (`!dh` prints the
** file header, the optional header, the data directories and the section
** table as WinDbg does).  Field names are the winnt.h ones.
*/
#ifndef VML_LOADER_PE_H
#define VML_LOADER_PE_H

#include <stdint.h>

#include "vmlab.h"

#define PE_MACHINE_I386   0x014cu
#define PE_MACHINE_AMD64  0x8664u
#define PE_MAGIC_PE32     0x010bu
#define PE_MAGIC_PE32PLUS 0x020bu

/* IMAGE_FILE_* (FileHeader.Characteristics) */
#define PE_FILE_RELOCS_STRIPPED     0x0001u
#define PE_FILE_EXECUTABLE_IMAGE    0x0002u
#define PE_FILE_LARGE_ADDRESS_AWARE 0x0020u
#define PE_FILE_DLL                 0x2000u

/* IMAGE_DLLCHARACTERISTICS_* */
#define PE_DLL_HIGH_ENTROPY_VA      0x0020u
#define PE_DLL_DYNAMIC_BASE         0x0040u
#define PE_DLL_FORCE_INTEGRITY      0x0080u
#define PE_DLL_NX_COMPAT            0x0100u
#define PE_DLL_NO_SEH               0x0400u
#define PE_DLL_GUARD_CF             0x4000u
#define PE_DLL_TERMINAL_SERVER      0x8000u

/* IMAGE_SCN_* (section Characteristics) */
#define PE_SCN_CNT_CODE             0x00000020u
#define PE_SCN_CNT_INITIALIZED      0x00000040u
#define PE_SCN_CNT_UNINITIALIZED    0x00000080u
#define PE_SCN_MEM_DISCARDABLE      0x02000000u
#define PE_SCN_MEM_SHARED           0x10000000u
#define PE_SCN_MEM_EXECUTE          0x20000000u
#define PE_SCN_MEM_READ             0x40000000u
#define PE_SCN_MEM_WRITE            0x80000000u

/* IMAGE_DIRECTORY_ENTRY_* */
enum pe_dir {
    PE_DIR_EXPORT, PE_DIR_IMPORT, PE_DIR_RESOURCE, PE_DIR_EXCEPTION,
    PE_DIR_SECURITY, PE_DIR_BASERELOC, PE_DIR_DEBUG, PE_DIR_ARCHITECTURE,
    PE_DIR_GLOBALPTR, PE_DIR_TLS, PE_DIR_LOAD_CONFIG, PE_DIR_BOUND_IMPORT,
    PE_DIR_IAT, PE_DIR_DELAY_IMPORT, PE_DIR_COM_DESCRIPTOR, PE_DIR_RESERVED,
    PE_N_DIRS
};

/* IMAGE_REL_BASED_* */
#define PE_REL_ABSOLUTE 0u
#define PE_REL_HIGHLOW  3u
#define PE_REL_DIR64    10u

/* IMAGE_SECTION_HEADER */
struct ld_pe_section {
    char     name[9];               /* 8 bytes, NUL added */
    uint32_t virtual_size;          /* Misc.VirtualSize */
    uint32_t virtual_address;
    uint32_t size_of_raw_data;
    uint32_t pointer_to_raw_data;
    uint32_t pointer_to_relocations;
    uint32_t pointer_to_linenumbers;
    uint16_t number_of_relocations;
    uint16_t number_of_linenumbers;
    uint32_t characteristics;
};

struct ld_pe_info {
    uint32_t e_lfanew;
    /* IMAGE_FILE_HEADER */
    uint16_t machine;
    uint16_t number_of_sections;
    uint32_t time_date_stamp;
    uint32_t pointer_to_symbol_table;
    uint32_t number_of_symbols;
    uint16_t size_of_optional_header;
    uint16_t characteristics;
    /* IMAGE_OPTIONAL_HEADER32/64 */
    uint16_t magic;
    uint8_t  major_linker_version, minor_linker_version;
    uint32_t size_of_code;
    uint32_t size_of_initialized_data;
    uint32_t size_of_uninitialized_data;
    uint32_t address_of_entry_point;
    uint32_t base_of_code;
    uint32_t base_of_data;          /* PE32 only */
    uint64_t image_base;
    uint32_t section_alignment;
    uint32_t file_alignment;
    uint16_t major_os_version, minor_os_version;
    uint16_t major_image_version, minor_image_version;
    uint16_t major_subsystem_version, minor_subsystem_version;
    uint32_t win32_version_value;
    uint32_t size_of_image;
    uint32_t size_of_headers;
    uint32_t check_sum;
    uint16_t subsystem;
    uint16_t dll_characteristics;
    uint64_t size_of_stack_reserve, size_of_stack_commit;
    uint64_t size_of_heap_reserve, size_of_heap_commit;
    uint32_t loader_flags;
    uint32_t number_of_rva_and_sizes;
    struct { uint32_t rva, size; } dirs[PE_N_DIRS];   /* past NumberOfRvaAndSizes: 0 */
    struct ld_pe_section *sections;                    /* number_of_sections */
    uint32_t tls_characteristics;
};

/* pe_dirs.c: the data directories, after the headers and sections. */
struct ld_ctx;
vml_status pe_parse_relocs(struct ld_ctx *c);
vml_status pe_parse_exports(struct ld_ctx *c);
vml_status pe_parse_imports(struct ld_ctx *c);
vml_status pe_parse_tls(struct ld_ctx *c);

#endif
