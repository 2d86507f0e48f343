/*
** modinfo.c -- what the views see of a process's modules (vmlab.h's
** vml_module_*): where each sits, what it is, what it imports and could
** not find, its headers and its sections or program headers.  Reads only.
**
** INVARIANTS: none (no state of its own).
*/
#include <string.h>
#include "load.h"
#include "elf.h"
#include "pe.h"

static int elf(const struct ld_image *img)
{
    return img->format == LD_ELF32 || img->format == LD_ELF64;
}

/* The module whose first mapping is v: its span [lo, hi) in the process. */
static void module_span(const struct vad *v, const struct ld_image *img, vml_va *lo, vml_va *hi)
{
    *lo = v->start_vpn << 12;
    if (!elf(img)) {
        *hi = (v->end_vpn + 1) << 12;
        return;
    }
    uint64_t min = UINT64_MAX, max = 0;
    for (size_t i = 0; i < img->elf->phnum; i++) {
        const struct ld_elf_phdr *ph = &img->elf->phdrs[i];
        if (ph->type != ELF_PT_LOAD)
            continue;
        if ((ph->vaddr & ~UINT64_C(0xFFF)) < min)
            min = ph->vaddr & ~UINT64_C(0xFFF);
        if (((ph->vaddr + ph->memsz + 0xFFF) & ~UINT64_C(0xFFF)) > max)
            max = (ph->vaddr + ph->memsz + 0xFFF) & ~UINT64_C(0xFFF);
    }
    *hi = *lo + (max - min);
}

static const char *missing_name(vml_proc *p, const struct ld_image *img, size_t want, size_t *n)
{
    *n = 0;
    for (size_t i = 0; i < img->n_modules; i++) {
        const char *name = ld_str(img, img->modules[i]);
        if (ld_module_named(p, name) != NULL)
            continue;
        if ((*n)++ == want)
            return name;
    }
    return NULL;
}

vml_status vml_module_next(vml_proc *p, vml_va from, vml_module_info *out)
{
    if (p == NULL || out == NULL)
        return VML_E_INVALID;
    for (struct vad *v = vad_lookup_ge(vm_vads(p), from >> 12); v; v = vad_next(v)) {
        struct ld_file *lf;
        if (!v->load_count || (v->start_vpn << 12) < from || (lf = ld_module_file(v)) == NULL)
            continue;
        const struct ld_image *img = lf->img;
        memset(out, 0, sizeof *out);
        module_span(v, img, &out->base, &out->end);
        out->path = vm_file_path(lf->file);
        out->name = lf->base_name;
        out->format = img->format == LD_PE32 ? VML_IMAGE_PE32
                    : img->format == LD_PE32PLUS ? VML_IMAGE_PE32PLUS
                    : img->format == LD_ELF32 ? VML_IMAGE_ELF32 : VML_IMAGE_ELF64;
        out->preferred_base = img->preferred_base;
        out->delta = (int64_t)(out->base - img->preferred_base);
        out->entry = img->entry_rva ? out->base + img->entry_rva : 0;
        out->load_count = v->load_count;
        out->flags = ((img->flags & LD_F_DLL) ? VML_MODULE_DLL : 0) |
                     ((img->flags & LD_F_DYNAMIC_BASE) ? VML_MODULE_DYNAMIC_BASE : 0) |
                     (out->delta ? VML_MODULE_REBASED : 0) |
                     (!elf(img) && lf->seg && out->base == lf->sys_base ? VML_MODULE_SECTION_BASE
                                                                         : 0);
        missing_name(p, img, SIZE_MAX, &out->n_missing);
        out->n_imports = elf(img) ? img->n_modules : img->n_imports;
        for (size_t k = 0; !elf(img) && k < img->n_imports; k++) {
            const struct ld_import *im = &img->imports[k];
            struct vad *mod = ld_module_named(p, ld_str(img, img->modules[im->module]));
            struct ld_file *mf = mod ? ld_module_file(mod) : NULL;
            const struct ld_export *e =
                mf == NULL ? NULL
                : im->by_ordinal ? ld_file_export_ordinal(mf, im->ordinal)
                : ld_file_export(mf, ld_str(img, im->name));
            out->n_unresolved += e == NULL;
        }
        return VML_OK;
    }
    return VML_E_NOT_FOUND;
}

const char *vml_module_missing(vml_proc *p, vml_va base, size_t i)
{
    size_t n;
    struct vad *v = p ? ld_module_at(p, base) : NULL;
    struct ld_file *lf = v ? ld_module_file(v) : NULL;
    return lf ? missing_name(p, lf->img, i, &n) : NULL;
}

vml_status vml_module_header(vml_proc *p, vml_va base, vml_image_header *out)
{
    struct vad *v = p && out ? ld_module_at(p, base) : NULL;
    struct ld_file *lf = v ? ld_module_file(v) : NULL;
    if (lf == NULL)
        return p && out ? VML_E_NOT_FOUND : VML_E_INVALID;
    const struct ld_image *img = lf->img;
    memset(out, 0, sizeof *out);
    out->format = img->format == LD_PE32 ? VML_IMAGE_PE32
                : img->format == LD_PE32PLUS ? VML_IMAGE_PE32PLUS
                : img->format == LD_ELF32 ? VML_IMAGE_ELF32 : VML_IMAGE_ELF64;
    if (img->pe) {
        const struct ld_pe_info *pe = img->pe;
        out->machine = pe->machine;
        out->number_of_sections = pe->number_of_sections;
        out->time_date_stamp = pe->time_date_stamp;
        out->pointer_to_symbol_table = pe->pointer_to_symbol_table;
        out->number_of_symbols = pe->number_of_symbols;
        out->size_of_optional_header = pe->size_of_optional_header;
        out->characteristics = pe->characteristics;
        out->magic = pe->magic;
        out->major_linker_version = pe->major_linker_version;
        out->minor_linker_version = pe->minor_linker_version;
        out->size_of_code = pe->size_of_code;
        out->size_of_initialized_data = pe->size_of_initialized_data;
        out->size_of_uninitialized_data = pe->size_of_uninitialized_data;
        out->address_of_entry_point = pe->address_of_entry_point;
        out->base_of_code = pe->base_of_code;
        out->base_of_data = pe->base_of_data;
        out->image_base = pe->image_base;
        out->section_alignment = pe->section_alignment;
        out->file_alignment = pe->file_alignment;
        out->major_os_version = pe->major_os_version;
        out->minor_os_version = pe->minor_os_version;
        out->major_image_version = pe->major_image_version;
        out->minor_image_version = pe->minor_image_version;
        out->major_subsystem_version = pe->major_subsystem_version;
        out->minor_subsystem_version = pe->minor_subsystem_version;
        out->size_of_image = pe->size_of_image;
        out->size_of_headers = pe->size_of_headers;
        out->check_sum = pe->check_sum;
        out->subsystem = pe->subsystem;
        out->dll_characteristics = pe->dll_characteristics;
        out->size_of_stack_reserve = pe->size_of_stack_reserve;
        out->size_of_stack_commit = pe->size_of_stack_commit;
        out->size_of_heap_reserve = pe->size_of_heap_reserve;
        out->size_of_heap_commit = pe->size_of_heap_commit;
        out->loader_flags = pe->loader_flags;
        out->number_of_rva_and_sizes = pe->number_of_rva_and_sizes;
        for (int d = 0; d < 16; d++) {
            out->dirs[d].rva = pe->dirs[d].rva;
            out->dirs[d].size = pe->dirs[d].size;
        }
    }
    if (img->elf) {
        const struct ld_elf_info *e = img->elf;
        out->elf_class = e->elf_class;
        out->osabi = e->osabi;
        out->elf_type = e->type;
        out->elf_machine = e->machine;
        out->elf_entry = e->entry;
        out->phoff = e->phoff;
        out->shoff = e->shoff;
        out->phnum = e->phnum;
        out->shnum = e->shnum;
        out->elf_flags = e->flags;
    }
    return VML_OK;
}

vml_status vml_module_section(vml_proc *p, vml_va base, size_t i, vml_image_section *out)
{
    struct vad *v = p && out ? ld_module_at(p, base) : NULL;
    struct ld_file *lf = v ? ld_module_file(v) : NULL;
    if (lf == NULL)
        return p && out ? VML_E_NOT_FOUND : VML_E_INVALID;
    const struct ld_image *img = lf->img;
    memset(out, 0, sizeof *out);
    if (img->pe) {
        if (i >= img->pe->number_of_sections)
            return VML_E_NOT_FOUND;
        const struct ld_pe_section *s = &img->pe->sections[i];
        memcpy(out->name, s->name, sizeof s->name);
        out->flags = s->characteristics;
        out->virtual_address = s->virtual_address;
        out->virtual_size = s->virtual_size;
        out->file_offset = s->pointer_to_raw_data;
        out->file_size = s->size_of_raw_data;
        return VML_OK;
    }
    if (i >= img->elf->phnum)
        return VML_E_NOT_FOUND;
    const struct ld_elf_phdr *ph = &img->elf->phdrs[i];
    out->type = ph->type;
    out->flags = ph->flags;
    out->virtual_address = ph->vaddr;
    out->virtual_size = ph->memsz;
    out->file_offset = ph->offset;
    out->file_size = ph->filesz;
    out->align = ph->align;
    return VML_OK;
}
