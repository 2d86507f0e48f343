/*
** view_image.c -- the views of programs: WinDbg's lm (the loaded modules)
** and !dh (an image's headers: PE as WinDbg prints them; ELF as readelf
** -h -l names the fields), and a VMMap-like summary of a process (its
** address space by kind of memory, as Sysinternals VMMap groups it).
** Built from the public API (vml_module_*, vml_vad_next, vml_page_query,
** vml_stat_*).
**
** Every view here keeps the invariants VW5-VW8 of view.h.
*/
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "view/model.h"
#include "view/view.h"

/* "00007ff6`1a2b0000": WinDbg's 64-bit addresses; 8 digits on 32-bit. */
static void windbg_addr(vml_text *out, uint64_t a, int ptr)
{
    if (ptr == 8)
        vml_text_printf(out, "%08llx`%08llx", (unsigned long long)(a >> 32),
                        (unsigned long long)(a & 0xFFFFFFFFu));
    else
        vml_text_printf(out, "%08llx", (unsigned long long)a);
}

/* The module name lm prints: the base name without its extension. */
static void module_short(const char *name, char *buf, size_t size)
{
    const char *dot = strrchr(name, '.');
    size_t n = dot && dot != name && strchr(name, '.') == dot ? (size_t)(dot - name) : strlen(name);
    if (n >= size)
        n = size - 1;
    memcpy(buf, name, n);
    buf[n] = '\0';
}

static const char *format_name(unsigned f)
{
    switch (f) {
    case VML_IMAGE_PE32:     return "PE32";
    case VML_IMAGE_PE32PLUS: return "PE32+";
    case VML_IMAGE_ELF32:    return "ELF32";
    default:                 return "ELF64";
    }
}

/* ---- lm ------------------------------------------------------------------- */

/* WinDbg's lm:
**     start             end                 module name
**     00007ff6`1a2b0000 00007ff6`1a2c1000   peexe      (deferred)
** then, vmlab's addition, each module's imports the loader could not
** resolve (a module it did not find). */
VML_API vml_status vml_view_lm(vml_proc *p, unsigned fmt, vml_text *out)
{
    vml_module_info mi;
    vml_va from = 0;
    struct jw j;
    if (p == NULL || out == NULL || fmt > VML_FMT_JSON)
        return VML_E_INVALID;
    int ptr = vw_ptr_bytes(vml_proc_machine(p));
    if (fmt == VML_FMT_TEXT) {
        vml_text_printf(out, "start%*send%*smodule name\n", ptr == 8 ? 13 : 4, "",
                        ptr == 8 ? 17 : 8, "");
    } else {
        jw_begin_proc(&j, out, "lm", p);
        jw_arr(&j, "modules");
    }
    while (vml_module_next(p, from, &mi) == VML_OK) {
        char shortname[64];
        module_short(mi.name, shortname, sizeof shortname);
        if (fmt == VML_FMT_TEXT) {
            windbg_addr(out, mi.base, ptr);
            vt_putc(out, ' ');
            windbg_addr(out, mi.end, ptr);
            vml_text_printf(out, "   %-10s (deferred)\n", shortname);
        } else {
            jw_obj(&j, NULL);
            jw_hex(&j, "start", mi.base);
            jw_hex(&j, "end", mi.end);
            jw_str(&j, "module", shortname);
            jw_str(&j, "path", mi.path);
            jw_str(&j, "format", format_name(mi.format));
            jw_hex(&j, "preferred_base", mi.preferred_base);
            jw_i64(&j, "delta", mi.delta);
            jw_hex(&j, "entry", mi.entry);
            jw_u64(&j, "load_count", mi.load_count);
            jw_bool(&j, "dll", (mi.flags & VML_MODULE_DLL) != 0);
            jw_bool(&j, "rebased_in_process",
                    (mi.flags & VML_MODULE_REBASED) && !(mi.flags & VML_MODULE_SECTION_BASE));
            jw_u64(&j, "imports", mi.n_imports);
            jw_u64(&j, "unresolved_imports", mi.n_unresolved);
            jw_arr(&j, "missing_modules");
            for (size_t i = 0; i < mi.n_missing; i++)
                jw_str(&j, NULL, vml_module_missing(p, mi.base, i));
            jw_arr_end(&j);
            jw_obj_end(&j);
        }
        from = mi.base + 1;
    }
    if (fmt == VML_FMT_JSON) {
        jw_arr_end(&j);
        jw_finish(&j);
        return vt_done(out);
    }
    /* the modules the loader did not find */
    int header = 0;
    for (from = 0; vml_module_next(p, from, &mi) == VML_OK; from = mi.base + 1) {
        if (mi.n_missing == 0)
            continue;
        if (!header)
            vml_text_printf(out, "\nUnresolved imports (modules not found):\n");
        header = 1;
        vml_text_printf(out, "    %-12s", mi.name);
        for (size_t i = 0; i < mi.n_missing; i++)
            vml_text_printf(out, "%s%s", i ? ", " : " ", vml_module_missing(p, mi.base, i));
        if (mi.format == VML_IMAGE_PE32 || mi.format == VML_IMAGE_PE32PLUS)
            vml_text_printf(out, "  (%zu of %zu functions unresolved)", mi.n_unresolved,
                            mi.n_imports);
        vt_putc(out, '\n');
    }
    return vt_done(out);
}

/* ---- !dh -------------------------------------------------------------------- */

static const struct { unsigned bit; const char *text; } file_chars[] = {
    { 0x0001, "Relocations stripped" }, { 0x0002, "Executable" },
    { 0x0004, "Line numbers stripped" }, { 0x0008, "Symbols stripped" },
    { 0x0020, "App can handle >2gb addresses" }, { 0x0100, "32 bit word machine" },
    { 0x0200, "Debug information stripped" }, { 0x2000, "DLL" },
};
static const struct { unsigned bit; const char *text; } dll_chars[] = {
    { 0x0020, "High entropy VA supported" }, { 0x0040, "Dynamic base" },
    { 0x0080, "Force integrity" }, { 0x0100, "NX compatible" },
    { 0x0400, "No structured exception handler" }, { 0x4000, "Guard" },
    { 0x8000, "Terminal server aware" },
};
static const char *const dir_names[16] = {
    "Export Directory", "Import Directory", "Resource Directory", "Exception Directory",
    "Security Directory", "Base Relocation Directory", "Debug Directory",
    "Description Directory", "Special Directory", "Thread Storage Directory",
    "Load Configuration Directory", "Bound Import Directory", "Import Address Table Directory",
    "Delay Import Directory", "COR20 Header Directory", "Reserved Directory",
};

static void dh_pe(vml_text *out, vml_proc *p, vml_va base, const vml_image_header *h)
{
    vml_image_section s;
    vml_text_printf(out, "\nFile Type: %s\n", (h->characteristics & 0x2000) ? "DLL"
                                                                          : "EXECUTABLE IMAGE");
    vml_text_printf(out, "FILE HEADER VALUES\n");
    vml_text_printf(out, "%8X machine (%s)\n", h->machine,
                    h->machine == 0x8664 ? "X64" : h->machine == 0x14c ? "i386" : "?");
    vml_text_printf(out, "%8X number of sections\n", h->number_of_sections);
    vml_text_printf(out, "%8X time date stamp\n", h->time_date_stamp);
    vml_text_printf(out, "\n%8X file pointer to symbol table\n", h->pointer_to_symbol_table);
    vml_text_printf(out, "%8X number of symbols\n", h->number_of_symbols);
    vml_text_printf(out, "%8X size of optional header\n", h->size_of_optional_header);
    vml_text_printf(out, "%8X characteristics\n", h->characteristics);
    for (size_t i = 0; i < sizeof file_chars / sizeof file_chars[0]; i++)
        if (h->characteristics & file_chars[i].bit)
            vml_text_printf(out, "            %s\n", file_chars[i].text);
    vml_text_printf(out, "\nOPTIONAL HEADER VALUES\n");
    vml_text_printf(out, "%8X magic #\n", h->magic);
    vml_text_printf(out, "%5u.%02u linker version\n", h->major_linker_version,
                    h->minor_linker_version);
    vml_text_printf(out, "%8X size of code\n", h->size_of_code);
    vml_text_printf(out, "%8X size of initialized data\n", h->size_of_initialized_data);
    vml_text_printf(out, "%8X size of uninitialized data\n", h->size_of_uninitialized_data);
    vml_text_printf(out, "%8X address of entry point\n", h->address_of_entry_point);
    vml_text_printf(out, "%8X base of code\n", h->base_of_code);
    vml_text_printf(out, "         ----- new -----\n");
    vml_text_printf(out, "%016llx image base\n", (unsigned long long)h->image_base);
    vml_text_printf(out, "%8X section alignment\n", h->section_alignment);
    vml_text_printf(out, "%8X file alignment\n", h->file_alignment);
    vml_text_printf(out, "%8X subsystem (%s)\n", h->subsystem,
                    h->subsystem == 2 ? "Windows GUI" : h->subsystem == 3 ? "Windows CUI" : "?");
    vml_text_printf(out, "%5u.%02u operating system version\n", h->major_os_version,
                    h->minor_os_version);
    vml_text_printf(out, "%5u.%02u image version\n", h->major_image_version,
                    h->minor_image_version);
    vml_text_printf(out, "%5u.%02u subsystem version\n", h->major_subsystem_version,
                    h->minor_subsystem_version);
    vml_text_printf(out, "%8X size of image\n", h->size_of_image);
    vml_text_printf(out, "%8X size of headers\n", h->size_of_headers);
    vml_text_printf(out, "%8X checksum\n", h->check_sum);
    vml_text_printf(out, "%016llx size of stack reserve\n",
                    (unsigned long long)h->size_of_stack_reserve);
    vml_text_printf(out, "%016llx size of stack commit\n",
                    (unsigned long long)h->size_of_stack_commit);
    vml_text_printf(out, "%016llx size of heap reserve\n",
                    (unsigned long long)h->size_of_heap_reserve);
    vml_text_printf(out, "%016llx size of heap commit\n",
                    (unsigned long long)h->size_of_heap_commit);
    vml_text_printf(out, "%8X  DLL characteristics\n", h->dll_characteristics);
    for (size_t i = 0; i < sizeof dll_chars / sizeof dll_chars[0]; i++)
        if (h->dll_characteristics & dll_chars[i].bit)
            vml_text_printf(out, "            %s\n", dll_chars[i].text);
    for (int d = 0; d < 16; d++)
        vml_text_printf(out, "%8X [%8X] address [size] of %s\n", h->dirs[d].rva, h->dirs[d].size,
                        dir_names[d]);
    for (size_t i = 0; vml_module_section(p, base, i, &s) == VML_OK; i++) {
        vml_text_printf(out, "\nSECTION HEADER #%zu\n", i + 1);
        vml_text_printf(out, "%8s name\n", s.name);
        vml_text_printf(out, "%8llX virtual size\n", (unsigned long long)s.virtual_size);
        vml_text_printf(out, "%8llX virtual address\n", (unsigned long long)s.virtual_address);
        vml_text_printf(out, "%8llX size of raw data\n", (unsigned long long)s.file_size);
        vml_text_printf(out, "%8llX file pointer to raw data\n", (unsigned long long)s.file_offset);
        vml_text_printf(out, "%8X flags\n", s.flags);
        if (s.flags & 0x20)
            vml_text_printf(out, "         Code\n");
        if (s.flags & 0x40)
            vml_text_printf(out, "         Initialized Data\n");
        if (s.flags & 0x80)
            vml_text_printf(out, "         Uninitialized Data\n");
        if (s.flags & 0x02000000)
            vml_text_printf(out, "         Discardable\n");
        if (s.flags & 0x10000000)
            vml_text_printf(out, "         Shared\n");
        vml_text_printf(out, "         %s%s%s\n", (s.flags & 0x20000000) ? "Execute " : "",
                        (s.flags & 0x40000000) ? "Read " : "",
                        (s.flags & 0x80000000) ? "Write" : "");
    }
}

static const char *pt_name(uint32_t t)
{
    switch (t) {
    case 0: return "NULL";     case 1: return "LOAD";        case 2: return "DYNAMIC";
    case 3: return "INTERP";   case 4: return "NOTE";        case 6: return "PHDR";
    case 7: return "TLS";      case 0x6474e550: return "GNU_EH_FRAME";
    case 0x6474e551: return "GNU_STACK"; case 0x6474e552: return "GNU_RELRO";
    case 0x6474e553: return "GNU_PROPERTY";
    default: return "?";
    }
}

static void dh_elf(vml_text *out, vml_proc *p, vml_va base, const vml_image_header *h)
{
    vml_image_section s;
    vml_text_printf(out, "\nELF Header:\n");
    vml_text_printf(out, "  Class:                             %s\n",
                    h->elf_class == 2 ? "ELF64" : "ELF32");
    vml_text_printf(out, "  Type:                              %s\n",
                    h->elf_type == 3 ? "DYN (Position-Independent Executable file)"
                    : h->elf_type == 2 ? "EXEC (Executable file)" : "?");
    vml_text_printf(out, "  Machine:                           %s\n",
                    h->elf_machine == 62 ? "Advanced Micro Devices X86-64"
                    : h->elf_machine == 3 ? "Intel 80386" : "?");
    vml_text_printf(out, "  Entry point address:               0x%llx\n",
                    (unsigned long long)h->elf_entry);
    vml_text_printf(out, "  Start of program headers:          %llu (bytes into file)\n",
                    (unsigned long long)h->phoff);
    vml_text_printf(out, "  Number of program headers:         %u\n", h->phnum);
    vml_text_printf(out, "\nProgram Headers:\n");
    vml_text_printf(out, "  Type           Offset   VirtAddr           PhysAddr           FileSiz  MemSiz   Flg Align\n");
    for (size_t i = 0; vml_module_section(p, base, i, &s) == VML_OK; i++)
        vml_text_printf(out, "  %-14s 0x%06llx 0x%016llx 0x%016llx 0x%06llx 0x%06llx %c%c%c 0x%llx\n",
                        pt_name(s.type), (unsigned long long)s.file_offset,
                        (unsigned long long)s.virtual_address, (unsigned long long)s.virtual_address,
                        (unsigned long long)s.file_size, (unsigned long long)s.virtual_size,
                        (s.flags & 4) ? 'R' : ' ', (s.flags & 2) ? 'W' : ' ',
                        (s.flags & 1) ? 'E' : ' ', (unsigned long long)s.align);
}

VML_API vml_status vml_view_dh(vml_proc *p, vml_va base, unsigned fmt, vml_text *out)
{
    vml_image_header h;
    vml_image_section s;
    vml_module_info mi;
    if (p == NULL || out == NULL || fmt > VML_FMT_JSON)
        return VML_E_INVALID;
    vml_status st = vml_module_header(p, base, &h);
    if (st != VML_OK)
        return st;
    /* (the module at base exists: vml_module_next finds it) */
    if (vml_module_next(p, base, &mi) != VML_OK)
        return VML_E_NOT_FOUND;
    int pe = h.format == VML_IMAGE_PE32 || h.format == VML_IMAGE_PE32PLUS;
    if (fmt == VML_FMT_TEXT) {
        vml_text_printf(out, "Image at %llx: %s, %s\n", (unsigned long long)base, mi.path,
                        format_name(h.format));
        if (pe)
            dh_pe(out, p, base, &h);
        else
            dh_elf(out, p, base, &h);
        return vt_done(out);
    }
    struct jw j;
    jw_begin(&j, out);
    jw_str(&j, "view", "dh");
    jw_hex(&j, "base", base);
    jw_str(&j, "path", mi.path);
    jw_str(&j, "format", format_name(h.format));
    if (pe) {
        jw_hex(&j, "machine", h.machine);
        jw_u64(&j, "number_of_sections", h.number_of_sections);
        jw_hex(&j, "characteristics", h.characteristics);
        jw_hex(&j, "magic", h.magic);
        jw_hex(&j, "address_of_entry_point", h.address_of_entry_point);
        jw_hex(&j, "image_base", h.image_base);
        jw_hex(&j, "section_alignment", h.section_alignment);
        jw_hex(&j, "file_alignment", h.file_alignment);
        jw_hex(&j, "size_of_image", h.size_of_image);
        jw_hex(&j, "size_of_headers", h.size_of_headers);
        jw_u64(&j, "subsystem", h.subsystem);
        jw_hex(&j, "dll_characteristics", h.dll_characteristics);
        jw_hex(&j, "size_of_stack_reserve", h.size_of_stack_reserve);
        jw_hex(&j, "size_of_stack_commit", h.size_of_stack_commit);
        jw_hex(&j, "size_of_heap_reserve", h.size_of_heap_reserve);
        jw_hex(&j, "size_of_heap_commit", h.size_of_heap_commit);
        jw_arr(&j, "directories");
        for (int d = 0; d < 16; d++) {
            jw_obj(&j, NULL);
            jw_str(&j, "name", dir_names[d]);
            jw_hex(&j, "rva", h.dirs[d].rva);
            jw_hex(&j, "size", h.dirs[d].size);
            jw_obj_end(&j);
        }
        jw_arr_end(&j);
    } else {
        jw_u64(&j, "type", h.elf_type);
        jw_u64(&j, "machine", h.elf_machine);
        jw_hex(&j, "entry", h.elf_entry);
    }
    jw_arr(&j, pe ? "sections" : "program_headers");
    for (size_t i = 0; vml_module_section(p, base, i, &s) == VML_OK; i++) {
        jw_obj(&j, NULL);
        if (pe)
            jw_str(&j, "name", s.name);
        else
            jw_str(&j, "type", pt_name(s.type));
        jw_hex(&j, "flags", s.flags);
        jw_hex(&j, "virtual_address", s.virtual_address);
        jw_hex(&j, "virtual_size", s.virtual_size);
        jw_hex(&j, "file_offset", s.file_offset);
        jw_hex(&j, "file_size", s.file_size);
        jw_obj_end(&j);
    }
    jw_arr_end(&j);
    jw_finish(&j);
    return vt_done(out);
}

/* ---- vmmap -------------------------------------------------------------------- */

/* VMMap's summary: the vmm model (model_vmmap.c), which the report's "By
** type" tables render too. */
VML_API vml_status vml_view_vmmap(vml_proc *p, unsigned fmt, vml_text *out)
{
    struct vw_vmm_model m;
    struct vw_vmm_row *r = m.r;
    vml_status st;
    if (p == NULL || out == NULL || fmt > VML_FMT_JSON)
        return VML_E_INVALID;
    st = vw_vmm_build(p, &m);
    if (st != VML_OK)
        return st;
    if (fmt == VML_FMT_TEXT) {
        char b[7][32];
        vml_text_printf(out, "%-14s %19s %14s %14s %14s %14s %14s %7s\n", "Type", "Size",
                        "Committed", "Working Set", "Private WS", "Shareable WS", "Shared WS",
                        "Blocks");
        for (int t = 0; t < VW_N_VMM; t++) {
            const uint64_t v6[6] = { r[t].size, r[t].committed, r[t].ws, r[t].ws_private,
                                     r[t].ws_shareable, r[t].ws_shared };
            for (int c = 0; c < 6; c++) {
                char g[32];
                snprintf(b[c], sizeof b[c], "%s K", vt_group(v6[c] >> 10, g, sizeof g));
            }
            vml_text_printf(out, "%-14s %19s %14s %14s %14s %14s %14s %7llu\n", vw_vmm_names[t],
                            b[0], b[1], b[2], b[3], b[4], b[5], (unsigned long long)r[t].blocks);
        }
        return vt_done(out);
    }
    struct jw j;
    jw_begin_proc(&j, out, "vmmap", p);
    jw_arr(&j, "types");
    for (int t = 0; t < VW_N_VMM; t++) {
        jw_obj(&j, NULL);
        jw_str(&j, "type", vw_vmm_names[t]);
        jw_u64(&j, "size_kb", r[t].size >> 10);
        jw_u64(&j, "committed_kb", r[t].committed >> 10);
        jw_u64(&j, "working_set_kb", r[t].ws >> 10);
        jw_u64(&j, "private_ws_kb", r[t].ws_private >> 10);
        jw_u64(&j, "shareable_ws_kb", r[t].ws_shareable >> 10);
        jw_u64(&j, "shared_ws_kb", r[t].ws_shared >> 10);
        jw_u64(&j, "blocks", r[t].blocks);
        jw_obj_end(&j);
    }
    jw_arr_end(&j);
    jw_finish(&j);
    return vt_done(out);
}
