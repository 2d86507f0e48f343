/*
** elf.c -- ELF32 (i386) and ELF64 (x86-64) executables and shared objects
** (ET_EXEC, ET_DYN): the ELF header, the program headers (what the kernel
** and ld.so map) and, when present and sane, the section headers (which
** no loader reads: a stripped file has none).  The dynamic section and
** the relocations are in elf_dyn.c.
**
** Layout (System V gABI; elf.h):
**   0     e_ident: "\x7fELF", class, data (1 = little-endian), version, OS/ABI
**   16    e_type e_machine e_version e_entry e_phoff e_shoff e_flags
**         e_ehsize e_phentsize e_phnum e_shentsize e_shnum e_shstrndx
**         (52 bytes for ELF32, 64 for ELF64)
**   e_phoff  e_phnum program headers of e_phentsize (32 / 56) bytes
**
** INVARIANTS (of a parsed ELF image, on top of LD1..LD7):
**   ELF1  One segment per PT_LOAD with p_memsz > 0, in p_vaddr order: rva
**        p_vaddr - base, p_offset congruent to p_vaddr modulo the page
**        size, p_filesz <= p_memsz, file range inside the file; base is
**        the first PT_LOAD's p_vaddr rounded down to a page.
**   ELF2  The PT_GNU_RELRO range lies inside PT_LOAD segments, which carry
**        LD_SEG_RELRO.
**   ELF3  Every relocation is one the loader can describe (elf_dyn.c's
**        table), writes inside a PT_LOAD segment, and names a symbol
**        inside the symbol table when it names one.
*/
#include "ld.h"
#include "elf.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ELF_MAX_PHDR_BYTES 65536u   /* fs/binfmt_elf.c load_elf_phdrs() */
#define ELF_PATH_MAX 4096u          /* PT_INTERP: the kernel's PATH_MAX */

static const char *elf_pt_name(uint32_t type)
{
    switch (type) {
    case 0: return "NULL";
    case ELF_PT_LOAD: return "LOAD";
    case ELF_PT_DYNAMIC: return "DYNAMIC";
    case ELF_PT_INTERP: return "INTERP";
    case 4: return "NOTE";
    case ELF_PT_PHDR: return "PHDR";
    case ELF_PT_TLS: return "TLS";
    case ELF_PT_GNU_STACK: return "GNU_STACK";
    case ELF_PT_GNU_RELRO: return "GNU_RELRO";
    default: return "other";
    }
}

/* ---- the ELF header ----------------------------------------------------- */

static vml_status elf_header(struct ld_ctx *c, struct ld_elf_info *e)
{
    uint8_t b[64];
    int wide;
    vml_status st;

    if ((st = ld_get(c, 0, 16, b, "e_ident")) != VML_OK)
        return st;
    if (memcmp(b, "\177ELF", 4) != 0)
        return ld_fail(c, VML_E_SYNTAX, 0, "bad magic %02x %02x %02x %02x (expected 7f 45 4c 46)",
                       b[0], b[1], b[2], b[3]);
    e->elf_class = b[4];
    e->osabi = b[7];
    e->abiversion = b[8];
    if (e->elf_class != 1 && e->elf_class != 2)
        return ld_fail(c, VML_E_SYNTAX, 4, "EI_CLASS %u is neither 1 (ELFCLASS32) nor 2"
                       " (ELFCLASS64)", e->elf_class);
    if (b[5] != 1)
        return ld_fail(c, b[5] == 2 ? VML_E_UNSUPPORTED : VML_E_SYNTAX, 5, "EI_DATA %u: only 1"
                       " (little-endian) is supported", b[5]);
    if (b[6] != 1)
        return ld_fail(c, VML_E_SYNTAX, 6, "EI_VERSION %u is not 1 (EV_CURRENT)", b[6]);
    wide = e->elf_class == 2;
    c->img->format = wide ? LD_ELF64 : LD_ELF32;
    if ((st = ld_get(c, 0, wide ? 64 : 52, b, wide ? "Elf64_Ehdr" : "Elf32_Ehdr")) != VML_OK)
        return st;
    e->type = ld_le16(b + 16);
    e->machine = ld_le16(b + 18);
    e->version = ld_le32(b + 20);
    e->entry = wide ? ld_le64(b + 24) : ld_le32(b + 24);
    e->phoff = wide ? ld_le64(b + 32) : ld_le32(b + 28);
    e->shoff = wide ? ld_le64(b + 40) : ld_le32(b + 32);
    {
        const uint8_t *t = b + (wide ? 48 : 36);
        e->flags = ld_le32(t);
        e->ehsize = ld_le16(t + 4);
        e->phentsize = ld_le16(t + 6);
        e->phnum = ld_le16(t + 8);
        e->shentsize = ld_le16(t + 10);
        e->shnum = ld_le16(t + 12);
        e->shstrndx = ld_le16(t + 14);
    }
    if (e->type != ELF_ET_EXEC && e->type != ELF_ET_DYN)
        return ld_fail(c, VML_E_UNSUPPORTED, 16, "e_type %u is not ET_EXEC (2) or ET_DYN (3):"
                       " %s", e->type, e->type == 1 ? "a relocatable object (ET_REL)" :
                       e->type == 4 ? "a core file" : "nothing a loader maps");
    if (!((wide && e->machine == ELF_EM_X86_64) || (!wide && e->machine == ELF_EM_386)))
        return ld_fail(c, VML_E_UNSUPPORTED, 18, "e_machine %u with %s is not supported (only"
                       " EM_X86_64 (62) in ELF64 and EM_386 (3) in ELF32)", e->machine,
                       wide ? "ELFCLASS64" : "ELFCLASS32");
    if (e->phentsize != (wide ? 56 : 32))
        return ld_fail(c, VML_E_SYNTAX, wide ? 54 : 42, "e_phentsize %u is not sizeof(Elf%s_Phdr)"
                       " (%u)", e->phentsize, wide ? "64" : "32", wide ? 56u : 32u);
    if (e->phnum == 0 || (uint32_t)e->phnum * e->phentsize > ELF_MAX_PHDR_BYTES)
        return ld_fail(c, VML_E_SYNTAX, wide ? 56 : 44, "e_phnum %u: %s", e->phnum,
                       e->phnum == 0 ? "no program headers, nothing to load"
                                     : "program headers exceed the kernel's 64 KiB limit");
    c->img->machine = e->machine;
    return VML_OK;
}

/* ---- program headers ------------------------------------------------------ */

static vml_status elf_phdrs_read(struct ld_ctx *c, struct ld_elf_info *e)
{
    int wide = e->elf_class == 2;
    size_t len = (size_t)e->phnum * e->phentsize;
    uint8_t *b = malloc(len);
    vml_status st;

    e->phdrs = calloc(e->phnum, sizeof *e->phdrs);
    if (b == NULL || e->phdrs == NULL) {
        free(b);
        return ld_fail_at(c, VML_E_NOMEM, "out of memory for %u program headers", e->phnum);
    }
    if ((st = ld_get(c, e->phoff, len, b, "the program header table (e_phoff, e_phnum)")) != VML_OK) {
        free(b);
        return st;
    }
    for (unsigned i = 0; i < e->phnum; i++) {
        const uint8_t *p = b + (size_t)i * e->phentsize;
        struct ld_elf_phdr *ph = &e->phdrs[i];
        ph->type = ld_le32(p);
        if (wide) {
            ph->flags = ld_le32(p + 4);
            ph->offset = ld_le64(p + 8);
            ph->vaddr = ld_le64(p + 16);
            ph->paddr = ld_le64(p + 24);
            ph->filesz = ld_le64(p + 32);
            ph->memsz = ld_le64(p + 40);
            ph->align = ld_le64(p + 48);
        } else {
            ph->offset = ld_le32(p + 4);
            ph->vaddr = ld_le32(p + 8);
            ph->paddr = ld_le32(p + 12);
            ph->filesz = ld_le32(p + 16);
            ph->memsz = ld_le32(p + 20);
            ph->flags = ld_le32(p + 24);
            ph->align = ld_le32(p + 28);
        }
    }
    free(b);
    return VML_OK;
}

/* The file offset of program header i's field at byte field (for messages). */
static uint64_t elf_ph_off(const struct ld_elf_info *e, unsigned i, unsigned field64, unsigned field32)
{
    return e->phoff + (uint64_t)i * e->phentsize + (e->elf_class == 2 ? field64 : field32);
}

/* ELF1: each PT_LOAD checked; base and image size from their span. */
static vml_status elf_loads(struct ld_ctx *c, struct ld_elf_info *e)
{
    struct ld_image *img = c->img;
    uint64_t lo = UINT64_MAX, hi = 0, prev_vaddr = 0, end;
    size_t n_loads = 0;
    int seen = 0;

    for (unsigned i = 0; i < e->phnum; i++) {
        const struct ld_elf_phdr *ph = &e->phdrs[i];
        if (ph->type != ELF_PT_LOAD)
            continue;
        if (ph->filesz > ph->memsz)
            return ld_fail(c, VML_E_SYNTAX, elf_ph_off(e, i, 32, 16), "program header %u (LOAD):"
                           " p_filesz 0x%" PRIx64 " is larger than p_memsz 0x%" PRIx64, i,
                           ph->filesz, ph->memsz);
        if (ld_add(ph->offset, ph->filesz, &end) != 0 || end > c->r->size)
            return ld_fail(c, VML_E_SYNTAX, elf_ph_off(e, i, 8, 4), "program header %u (LOAD):"
                           " p_offset 0x%" PRIx64 " + p_filesz 0x%" PRIx64 " runs past the end of"
                           " the file (0x%" PRIx64 " > 0x%" PRIx64 ")", i, ph->offset, ph->filesz,
                           ph->offset + ph->filesz, c->r->size);
        if (ph->offset % LD_PAGE_SIZE != ph->vaddr % LD_PAGE_SIZE)
            return ld_fail(c, VML_E_SYNTAX, elf_ph_off(e, i, 16, 8), "program header %u (LOAD):"
                           " p_vaddr 0x%" PRIx64 " and p_offset 0x%" PRIx64 " differ modulo the"
                           " page size (mmap cannot map it)", i, ph->vaddr, ph->offset);
        if (ld_add(ph->vaddr, ph->memsz, &end) != 0 || (e->elf_class == 1 && end > UINT32_MAX + 1ull))
            return ld_fail(c, VML_E_SYNTAX, elf_ph_off(e, i, 40, 20), "program header %u (LOAD):"
                           " p_vaddr 0x%" PRIx64 " + p_memsz 0x%" PRIx64 " overflows the address"
                           " space", i, ph->vaddr, ph->memsz);
        if (seen && ph->vaddr < prev_vaddr)
            return ld_fail(c, VML_E_SYNTAX, elf_ph_off(e, i, 16, 8), "program header %u (LOAD):"
                           " p_vaddr 0x%" PRIx64 " is below the previous PT_LOAD's 0x%" PRIx64
                           " (PT_LOAD entries must be sorted by p_vaddr)", i, ph->vaddr, prev_vaddr);
        seen = 1;
        prev_vaddr = ph->vaddr;
        if (ph->memsz == 0)
            continue;
        n_loads++;
        if (ph->vaddr < lo)
            lo = ph->vaddr;
        if (end > hi)
            hi = end;
    }
    if (n_loads == 0)
        return ld_fail(c, VML_E_SYNTAX, e->phoff, "no PT_LOAD program header with p_memsz > 0:"
                       " nothing to map");
    lo &= ~(uint64_t)(LD_PAGE_SIZE - 1);
    hi = (hi + LD_PAGE_SIZE - 1) & ~(uint64_t)(LD_PAGE_SIZE - 1);   /* hi <= 2^64 - 1 - ... */
    if (hi == 0 || hi - lo > LD_MAX_IMAGE_SIZE)
        return ld_fail(c, VML_E_RANGE, e->phoff, "the PT_LOAD segments span 0x%" PRIx64 "-0x%" PRIx64
                       ", more than 1 GiB", lo, hi);
    img->preferred_base = lo;
    img->image_size = hi - lo;
    img->n_pages = img->image_size / LD_PAGE_SIZE;
    img->segments = calloc(n_loads, sizeof *img->segments);
    if (img->segments == NULL)
        return ld_fail_at(c, VML_E_NOMEM, "out of memory for %zu segments", n_loads);
    for (unsigned i = 0; i < e->phnum; i++) {
        const struct ld_elf_phdr *ph = &e->phdrs[i];
        struct ld_segment *s = &img->segments[img->n_segments];
        if (ph->type != ELF_PT_LOAD || ph->memsz == 0)
            continue;
        s->rva = ph->vaddr - lo;
        s->mem_size = ph->memsz;
        s->file_off = ph->offset;
        s->file_size = ph->filesz;
        s->prot = ph->flags & (LD_R | LD_W | LD_X);
        s->align = ph->align > UINT32_MAX ? UINT32_MAX : (uint32_t)ph->align;
        s->index = i;
        img->n_segments++;
    }
    return ld_segments_finish(c);
}

/* PT_INTERP, PT_GNU_STACK, PT_GNU_RELRO, PT_TLS, PT_PHDR, PT_DYNAMIC. */
static vml_status elf_other_phdrs(struct ld_ctx *c, struct ld_elf_info *e)
{
    struct ld_image *img = c->img;
    int has_stack = 0, has_interp = 0;
    vml_status st;

    img->flags |= LD_F_EXEC_STACK;
    for (unsigned i = 0; i < e->phnum; i++) {
        const struct ld_elf_phdr *ph = &e->phdrs[i];
        uint64_t end;

        if (ph->type == ELF_PT_GNU_STACK && !has_stack) {
            has_stack = 1;
            if (!(ph->flags & ELF_PF_X))
                img->flags = (img->flags & ~LD_F_EXEC_STACK) | LD_F_NX_COMPAT;
            continue;
        }
        if (ph->type != ELF_PT_INTERP && ph->type != ELF_PT_GNU_RELRO && ph->type != ELF_PT_TLS &&
            ph->type != ELF_PT_PHDR && ph->type != ELF_PT_DYNAMIC)
            continue;
        if (ph->type == ELF_PT_INTERP) {
            char path[ELF_PATH_MAX];
            if (has_interp)
                continue;                /* the kernel takes the first */
            has_interp = 1;
            if (ph->filesz < 2 || ph->filesz > ELF_PATH_MAX)
                return ld_fail(c, VML_E_SYNTAX, elf_ph_off(e, i, 32, 16), "program header %u"
                               " (INTERP): p_filesz %" PRIu64 " is not between 2 and %u", i,
                               ph->filesz, ELF_PATH_MAX);
            if ((st = ld_get(c, ph->offset, (size_t)ph->filesz, path, "the PT_INTERP path")) != VML_OK)
                return st;
            if (path[ph->filesz - 1] != '\0' || memchr(path, '\0', (size_t)ph->filesz - 1) != NULL)
                return ld_fail(c, VML_E_SYNTAX, ph->offset, "program header %u (INTERP): the path"
                               " is not one NUL-terminated string of p_filesz bytes", i);
            if ((st = ld_str_add(c, path, (size_t)ph->filesz - 1, &img->interp)) != VML_OK)
                return st;
            continue;
        }
        if (ld_add(ph->vaddr, ph->memsz, &end) != 0 || ph->vaddr < img->preferred_base ||
            end - img->preferred_base > img->image_size)
            return ld_fail(c, VML_E_SYNTAX, elf_ph_off(e, i, 16, 8), "program header %u (%s):"
                           " p_vaddr 0x%" PRIx64 " + p_memsz 0x%" PRIx64 " is outside the PT_LOAD"
                           " segments (0x%" PRIx64 "-0x%" PRIx64 ")", i, elf_pt_name(ph->type),
                           ph->vaddr, ph->memsz, img->preferred_base,
                           img->preferred_base + img->image_size);
        uint64_t rva = ph->vaddr - img->preferred_base;
        if (ph->type == ELF_PT_TLS) {
            if (ph->filesz > ph->memsz)
                return ld_fail(c, VML_E_SYNTAX, elf_ph_off(e, i, 32, 16), "program header %u (TLS):"
                               " p_filesz 0x%" PRIx64 " is larger than p_memsz 0x%" PRIx64, i,
                               ph->filesz, ph->memsz);
            img->tls.present = 1;
            img->tls.data_rva = rva;
            img->tls.data_size = ph->filesz;
            img->tls.zero_fill = ph->memsz - ph->filesz;
            img->tls.align = ph->align;
        } else if (ph->type == ELF_PT_PHDR) {
            e->phdr_rva = rva;
        } else if (ph->type == ELF_PT_DYNAMIC) {
            e->dynamic_rva = rva;
        } else if (ph->type == ELF_PT_GNU_RELRO) {
            e->relro_rva = rva;
            e->relro_size = ph->memsz;
            for (size_t k = 0; k < img->n_segments; k++) {
                struct ld_segment *s = &img->segments[k];
                if (s->rva < rva + ph->memsz && rva < s->rva + s->mem_size)
                    s->flags |= LD_SEG_RELRO;
            }
        }
    }
    if (!has_interp && e->type == ELF_ET_EXEC)
        img->flags |= LD_F_STATIC;
    return VML_OK;
}

/* ---- section headers (optional: ignored with a note when not sane) --------- */

static int elf_shdrs(struct ld_ctx *c, struct ld_elf_info *e)
{
    int wide = e->elf_class == 2;
    uint64_t end;
    uint8_t b[64];

    if (e->shoff == 0 || e->shnum == 0)
        return 0;
    if (e->shentsize != (wide ? 64 : 40) || ld_add(e->shoff, (uint64_t)e->shnum * e->shentsize, &end)
        || end > c->r->size) {
        snprintf(e->shdr_note, sizeof e->shdr_note, "section headers ignored: e_shoff 0x%" PRIx64
                 ", e_shnum %u, e_shentsize %u do not describe a table inside the file",
                 e->shoff, e->shnum, e->shentsize);
        return 0;
    }
    e->shdrs = calloc(e->shnum, sizeof *e->shdrs);
    if (e->shdrs == NULL)
        return -1;
    for (unsigned i = 0; i < e->shnum; i++) {
        struct ld_elf_shdr *s = &e->shdrs[i];
        if (c->r->read(c->r, e->shoff + (uint64_t)i * e->shentsize, b, e->shentsize) != VML_OK)
            return -1;
        s->name = ld_le32(b);
        s->type = ld_le32(b + 4);
        if (wide) {
            s->flags = ld_le64(b + 8);
            s->addr = ld_le64(b + 16);
            s->offset = ld_le64(b + 24);
            s->size = ld_le64(b + 32);
            s->link = ld_le32(b + 40);
            s->info = ld_le32(b + 44);
            s->addralign = ld_le64(b + 48);
            s->entsize = ld_le64(b + 56);
        } else {
            s->flags = ld_le32(b + 8);
            s->addr = ld_le32(b + 12);
            s->offset = ld_le32(b + 16);
            s->size = ld_le32(b + 20);
            s->link = ld_le32(b + 24);
            s->info = ld_le32(b + 28);
            s->addralign = ld_le32(b + 32);
            s->entsize = ld_le32(b + 36);
        }
    }
    e->n_shdrs = e->shnum;
    /* Names from the section-name string table, when it is inside the file. */
    const struct ld_elf_shdr *strtab = e->shstrndx < e->shnum ? &e->shdrs[e->shstrndx] : NULL;
    for (unsigned i = 0; i < e->shnum; i++) {
        struct ld_elf_shdr *s = &e->shdrs[i];
        uint32_t off = s->name;
        char name[64];
        size_t n;
        s->name = 0;
        if (strtab == NULL || off >= strtab->size || ld_add(strtab->offset, off, &end) ||
            end >= c->r->size)
            continue;
        n = c->r->size - end < sizeof name ? (size_t)(c->r->size - end) : sizeof name;
        if (strtab->size - off < n)
            n = (size_t)(strtab->size - off);
        if (c->r->read(c->r, end, name, n) != VML_OK)
            return -1;
        const char *nul = memchr(name, '\0', n);
        if (nul != NULL && ld_str_add(c, name, (size_t)(nul - name), &s->name) != VML_OK)
            return -1;
    }
    return 0;
}

/* ---- the whole file -------------------------------------------------------------- */

vml_status ld_elf_parse(const struct ld_reader *r, struct ld_image **out,
                        char *err, size_t err_size)
{
    struct ld_ctx c = { r, NULL, err, err_size, "ELF" };
    struct ld_elf_info *e;
    vml_status st;

    c.img = ld_image_new(LD_ELF64);
    e = calloc(1, sizeof *e);
    if (c.img == NULL || e == NULL) {
        free(e);
        ld_image_free(c.img);
        return ld_fail_at(&c, VML_E_NOMEM, "out of memory");
    }
    c.img->elf = e;
    st = elf_header(&c, e);
    if (st == VML_OK)
        st = elf_phdrs_read(&c, e);
    if (st == VML_OK)
        st = elf_loads(&c, e);
    if (st == VML_OK)
        st = elf_other_phdrs(&c, e);
    if (st == VML_OK) {
        struct ld_image *img = c.img;
        if (e->type == ELF_ET_DYN)
            img->flags |= LD_F_DYNAMIC_BASE;
        if (e->entry != 0) {
            if (e->entry < img->preferred_base || e->entry - img->preferred_base >= img->image_size)
                st = ld_fail(&c, VML_E_SYNTAX, 24, "e_entry 0x%" PRIx64 " is outside the PT_LOAD"
                             " segments (0x%" PRIx64 "-0x%" PRIx64 ")", e->entry,
                             img->preferred_base, img->preferred_base + img->image_size);
            else
                img->entry_rva = e->entry - img->preferred_base;
        }
        if (e->phdr_rva == 0 && e->phoff < r->size) {
            /* no PT_PHDR: where the kernel finds them for AT_PHDR */
            for (size_t k = 0; k < img->n_segments; k++) {
                const struct ld_segment *s = &img->segments[k];
                if (e->phoff >= s->file_off && e->phoff - s->file_off < s->file_size)
                    e->phdr_rva = s->rva + (e->phoff - s->file_off);
            }
        }
    }
    if (st == VML_OK)
        st = elf_parse_dynamic(&c);
    if (st == VML_OK && elf_shdrs(&c, e) != 0)
        st = ld_fail_at(&c, VML_E_NOMEM, "out of memory for section headers");
    if (st == VML_OK) {
        struct ld_image *img = c.img;
        /* A PIE says so (DF_1_PIE, binutils >= 2.31); an older one has an
        ** interpreter and no soname.  libc.so.6 has both: a library. */
        if (e->type == ELF_ET_DYN)
            img->flags |= (e->dt_flags_1 & 0x08000000u) || (img->interp && !img->soname)
                          ? LD_F_PIE : LD_F_DLL;
        if (e->type == ELF_ET_DYN && !img->interp && img->n_modules == 0 &&
            (e->dt_flags_1 & 0x08000000u))
            img->flags |= LD_F_STATIC;     /* static-pie */
        st = ld_relocs_finish(&c);
    }
    if (st != VML_OK) {
        ld_image_free(c.img);
        return st;
    }
    *out = c.img;
    return VML_OK;
}
