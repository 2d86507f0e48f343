/*
** elfload.c -- Linux's program loading: the kernel's part of execve
** (fs/binfmt_elf.c load_elf_binary(): the executable's PT_LOAD segments
** mapped private from the file at their offsets, its .bss, the
** interpreter) and ld.so's part, done by vmlab since no code runs
** (elf/dl-load.c _dl_map_segments(), elf/dl-reloc.c): the shared objects
** the program needs mapped the same way, every object relocated in the
** process -- the pages it writes become private copies -- and its RELRO
** range made read-only.  dlopen does ld.so's part for one object.
**
** Every mapping goes through the posix personality (open, mmap, mprotect,
** munmap, close), so VMAs split and merge and maps prints them exactly as
** the calls a real loader makes would leave them.
**
** Where things go (ASLR from the machine's seeded generator; aslr=off
** gives the values of randomize_va_space=0):
**   an ET_DYN executable with an interpreter at ELF_ET_DYN_BASE
**   (0x555555554000 on x86-64, 0x56555000 on i386) plus, with ASLR,
**   arch_mmap_rnd() pages (28 bits on x86-64, 8 on i386), aligned to its
**   largest p_align; ET_EXEC at its addresses; the interpreter, an ET_DYN
**   without one, and every shared object top-down in the mmap area below
**   mm->mmap_base, drawn for each exec (arch_pick_mmap_layout(), os/aslr.c:
**   28 bits of pages on x86-64, 8 for a 32-bit program).
** The process's runtime (os/posix_proc.c, vml_posix_process_setup) comes
** between the kernel's mappings and ld.so's, as in load_elf_binary(): the
** main [stack] with argv, envp and the auxiliary vector (AT_PHDR, AT_ENTRY,
** AT_BASE of this load), and the brk after the executable's highest
** segment (with ASLR a page further, or at ELF_ET_DYN_BASE for a static
** PIE, and randomized above that: arch_randomize_brk(); brk_base()).
**
** A symbol relocation is resolved in the global scope (the executable,
** then the objects in load order) from their dynamic symbols; one that is
** not found stays as the file has it (a lazy PLT slot gets the load bias,
** as ld.so leaves it).  A needed object that is not found is listed as
** missing and the load goes on; with imports=strict it fails ENOENT.
**
** INVARIANTS: none of its own (the modules are VADs, checked by mm).
** TRANSITIONS:
**   none -> process with its program            vml_posix_execve()
**   process -> + shared object (load_count 1)   dlopen; load_count n -> n +- 1
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "load.h"
#include "elf.h"
#include "os/aslr.h"

#define PAGE   UINT64_C(0x1000)
#define PAGESTART(x) ((x) & ~(PAGE - 1))
#define PAGEALIGN(x) (((x) + PAGE - 1) & ~(PAGE - 1))
#define MAX_OBJECTS 256

enum { DT_NEEDED = 1, DT_PLTRELSZ = 2, DT_STRTAB = 5, DT_SYMTAB = 6, DT_RELA = 7,
       DT_RELASZ = 8, DT_STRSZ = 10, DT_REL = 17, DT_RELSZ = 18, DT_JMPREL = 23,
       DT_RELRSZ = 35, DT_RELR = 36 };

/* One object of a load: its file, where it sits, the head mapping. */
struct obj {
    struct ld_file *lf;
    char           *path;
    vml_va          bias;          /* load address - preferred base (l_addr) */
    struct vad     *head;
    int             fresh;         /* mapped by this load: to relocate */
    uint32_t        count0;        /* a loaded one: its load_count before this load */
};

struct load {
    vml_proc   *p;
    struct obj  o[MAX_OBJECTS];    /* the global scope, in load order */
    size_t      n;
    char       *err;
    size_t      err_size;
};

static int fail(struct load *ld, int err, const char *fmt, const char *a, const char *b)
{
    if (ld->err[0] == '\0')
        snprintf(ld->err, ld->err_size, fmt, a, b);
    return err;
}

static int wide(const struct ld_image *img) { return img->format == LD_ELF64; }

static int prot_of(uint32_t flags)
{
    return ((flags & ELF_PF_R) ? VML_PROT_READ : 0) | ((flags & ELF_PF_W) ? VML_PROT_WRITE : 0) |
           ((flags & ELF_PF_X) ? VML_PROT_EXEC : 0);
}

/* The span of the PT_LOAD segments, pages [lo, hi) in preferred addresses. */
static void span(const struct ld_image *img, uint64_t *lo, uint64_t *hi, uint64_t *align)
{
    const struct ld_elf_info *e = img->elf;
    *lo = UINT64_MAX;
    *hi = 0;
    *align = PAGE;
    for (size_t i = 0; i < e->phnum; i++) {
        const struct ld_elf_phdr *ph = &e->phdrs[i];
        if (ph->type != ELF_PT_LOAD)
            continue;
        if (PAGESTART(ph->vaddr) < *lo)
            *lo = PAGESTART(ph->vaddr);
        if (PAGEALIGN(ph->vaddr + ph->memsz) > *hi)
            *hi = PAGEALIGN(ph->vaddr + ph->memsz);
        if (ph->align > *align && (ph->align & (ph->align - 1)) == 0)
            *align = ph->align;
    }
}

/* Writes into the process as a loader does (the page made writable for
** the write: a private copy). */
static int poke(vml_proc *p, vml_va va, const void *bytes, uint64_t n)
{
    vml_exception ex;
    return vm_copy(p, p, va, (void *)(uintptr_t)bytes, n, VML_ACCESS_WRITE, 1, &ex) == n ? 0 : -1;
}

static void touch(vml_proc *p, vml_va va, uint64_t n, unsigned access)
{
    uint8_t b;
    vml_exception ex;
    for (vml_va at = va; at < va + n; at = PAGESTART(at) + PAGE)
        vm_copy(p, p, at, &b, 1, access, 0, &ex);
}

/* ---- mapping one object ------------------------------------------------------------------ */

/* Maps the PT_LOAD segments of o: at o->bias when fixed, else where mmap
** puts the whole span (o->bias set).  The span is mapped first with the
** first segment's protection from its offset; the kernel then unmaps what
** follows the first segment's file pages (load_elf_binary()), ld.so keeps
** it and makes the holes between segments PROT_NONE (_dl_map_segments());
** each later segment is mapped over it; every .bss is zeroed to its page's
** end and continued anonymous.  0 or an errno. */
static int map_segments(struct load *ld, struct obj *o, int kernel, int fixed)
{
    vml_proc *p = ld->p;
    const struct ld_image *img = o->lf->img;
    const struct ld_elf_info *e = img->elf;
    static const uint8_t zeros[PAGE];
    uint64_t lo, hi, align;
    int fd, err;
    span(img, &lo, &hi, &align);
    if ((err = vml_posix_open(p, o->path, VML_O_RDONLY, &fd)) != 0)
        return fail(ld, err, "%s: cannot open it (%s)", o->path, vml_errno_name(err));
    const struct ld_elf_phdr *first = NULL;
    for (size_t i = 0; i < e->phnum && !first; i++)
        if (e->phdrs[i].type == ELF_PT_LOAD)
            first = &e->phdrs[i];
    vml_va at = 0;
    err = vml_posix_mmap(p, fixed ? o->bias + lo : 0, hi - lo, prot_of(first->flags),
                         VML_MAP_PRIVATE | (fixed ? VML_MAP_FIXED : 0), fd,
                         PAGESTART(first->offset), &at);
    if (err == 0 && !fixed)
        o->bias = at - lo;
    uint64_t first_end = o->bias + PAGEALIGN(first->vaddr + first->filesz);
    if (err == 0 && kernel && first_end < o->bias + hi)
        err = vml_posix_munmap(p, first_end, o->bias + hi - first_end);
    for (size_t i = 0; i < e->phnum && err == 0; i++) {
        const struct ld_elf_phdr *ph = &e->phdrs[i];
        if (ph->type != ELF_PT_LOAD)
            continue;
        uint64_t start = o->bias + PAGESTART(ph->vaddr);
        uint64_t file_end = o->bias + PAGEALIGN(ph->vaddr + ph->filesz);
        uint64_t mem_end = o->bias + PAGEALIGN(ph->vaddr + ph->memsz);
        int prot = prot_of(ph->flags);
        if (ph != first && ph->filesz)
            err = vml_posix_mmap(p, start, file_end - start, prot,
                                 VML_MAP_PRIVATE | VML_MAP_FIXED, fd, PAGESTART(ph->offset), &at);
        if (err || ph->memsz <= ph->filesz)
            continue;
        /* .bss: the rest of the last file page zeroed (padzero(): a write,
        ** so that page becomes a private copy), then anonymous pages */
        uint64_t zero = o->bias + ph->vaddr + ph->filesz;
        uint64_t anon = ph->filesz ? file_end : start;
        if (ph->filesz && (zero & (PAGE - 1)) && (prot & VML_PROT_WRITE) &&
            poke(p, zero, zeros, file_end - zero) != 0)
            err = VML_ENOMEM;
        if (err == 0 && mem_end > anon)
            err = vml_posix_mmap(p, anon, mem_end - anon, prot,
                                 VML_MAP_PRIVATE | VML_MAP_FIXED | VML_MAP_ANONYMOUS, -1, 0, &at);
    }
    for (size_t i = 0, prev = SIZE_MAX; i < e->phnum && err == 0 && !kernel; i++) {
        const struct ld_elf_phdr *ph = &e->phdrs[i];
        if (ph->type != ELF_PT_LOAD)
            continue;
        if (prev != SIZE_MAX) {
            uint64_t gap_lo = o->bias + PAGEALIGN(e->phdrs[prev].vaddr + e->phdrs[prev].memsz);
            uint64_t gap_hi = o->bias + PAGESTART(ph->vaddr);
            if (gap_hi > gap_lo)
                err = vml_posix_mprotect(p, gap_lo, gap_hi - gap_lo, VML_PROT_NONE);
        }
        prev = i;
    }
    vml_posix_close(p, fd);
    if (err)
        return fail(ld, err, "%s: cannot map it (%s)", o->path, vml_errno_name(err));
    o->head = vad_find(vm_vads(p), (o->bias + lo) >> 12);
    o->head->load_count = 1;
    return 0;
}

/* ---- ld.so: relocating ---------------------------------------------------------------------- */

/* The bytes of the page at rva as the mappings give them (file pages at
** their offsets; a .bss page's tail zeroed), before relocation. */
static int page_bytes(const struct ld_file *lf, uint64_t rva, uint8_t *page)
{
    const struct ld_elf_info *e = lf->img->elf;
    uint64_t va = lf->img->preferred_base + rva;
    const struct ld_elf_phdr *ph = NULL;
    for (size_t i = e->phnum; i-- > 0 && ph == NULL;)     /* later mappings win */
        if (e->phdrs[i].type == ELF_PT_LOAD && va >= PAGESTART(e->phdrs[i].vaddr) &&
            va < PAGEALIGN(e->phdrs[i].vaddr + e->phdrs[i].memsz))
            ph = &e->phdrs[i];
    if (ph == NULL || va >= PAGEALIGN(ph->vaddr + ph->filesz)) {
        memset(page, 0, PAGE);
        return 0;
    }
    uint64_t off = PAGESTART(ph->offset) + (va - PAGESTART(ph->vaddr));
    uint64_t n = off < lf->size ? lf->size - off : 0;
    if (n > PAGE)
        n = PAGE;
    memcpy(page, lf->bytes + off, (size_t)n);
    memset(page + n, 0, (size_t)(PAGE - n));
    uint64_t end = ph->vaddr + ph->filesz;                /* padzero() */
    if (ph->memsz > ph->filesz && end < va + PAGE)
        memset(page + (end - va), 0, (size_t)(va + PAGE - end));
    return 0;
}

/* The symbol of rel in the global scope: the object that defines it
** first, or -1; *addr its address less that object's bias. */
static int lookup(const struct load *ld, const struct ld_image *img, const struct ld_reloc *rel,
                  uint64_t *addr)
{
    const char *name = ld_str(img, rel->name);
    if (rel->name == 0)
        return -1;
    for (size_t i = 0; i < ld->n; i++) {
        const struct ld_export *e = ld_file_export(ld->o[i].lf, name);
        if (e != NULL) {
            *addr = ld->o[i].lf->img->preferred_base + e->rva;
            return (int)i;
        }
    }
    return -1;
}

/* Fills o's symbol cache for this load's scope, unless it is for it. */
static int sym_cache(const struct load *ld, struct ld_file *lf)
{
    const struct ld_image *img = lf->img;
    int same = lf->sym_scope_n == ld->n && lf->sym_obj != NULL;
    for (size_t i = 0; same && i < ld->n; i++)
        same = lf->sym_scope[i] == ld->o[i].lf;
    if (same)
        return 0;
    struct ld_file **scope = malloc((ld->n ? ld->n : 1) * sizeof *scope);
    int16_t *obj = malloc((img->n_relocs ? img->n_relocs : 1) * sizeof *obj);
    uint64_t *addr = malloc((img->n_relocs ? img->n_relocs : 1) * sizeof *addr);
    if (scope == NULL || obj == NULL || addr == NULL) {
        free(scope);
        free(obj);
        free(addr);
        return -1;
    }
    for (size_t i = 0; i < ld->n; i++)
        scope[i] = ld->o[i].lf;
    for (size_t k = 0; k < img->n_relocs; k++) {
        const struct ld_reloc *rel = &img->relocs[k];
        obj[k] = -1;
        addr[k] = 0;
        if (rel->kind == LD_REL_SYM32 || rel->kind == LD_REL_SYM64)
            obj[k] = (int16_t)lookup(ld, img, rel, &addr[k]);
    }
    free(lf->sym_scope);
    free(lf->sym_obj);
    free(lf->sym_addr);
    lf->sym_scope = scope;
    lf->sym_scope_n = ld->n;
    lf->sym_obj = obj;
    lf->sym_addr = addr;
    return 0;
}

struct resolve_ctx {
    const struct load    *ld;
    const struct ld_file *lf;
};

static int resolve(void *ctx, const struct ld_image *img, const struct ld_reloc *rel,
                   uint64_t *value)
{
    const struct resolve_ctx *rc = ctx;
    size_t k = (size_t)(rel - img->relocs);
    int o = rc->lf->sym_obj[k];
    if (o < 0)
        return 0;
    *value = rc->ld->o[o].bias + rc->lf->sym_addr[k];
    return 1;
}

static uint64_t dyn(const struct ld_elf_info *e, int64_t tag)
{
    for (size_t i = 0; i < e->n_dyn; i++)
        if (e->dyn[i].tag == tag)
            return e->dyn[i].val;
    return 0;
}

/* _dl_relocate_object: ld.so reads the dynamic section and the relocation
** tables, writes every page that holds a relocation, then protects RELRO. */
static int relocate(struct load *ld, struct obj *o)
{
    vml_proc *p = ld->p;
    const struct ld_image *img = o->lf->img;
    const struct ld_elf_info *e = img->elf;
    vml_va base = o->bias + img->preferred_base;
    uint8_t page[PAGE];
    struct resolve_ctx rc = { ld, o->lf };
    if (sym_cache(ld, o->lf) != 0)
        return VML_ENOMEM;
    if (e->dynamic_rva)
        touch(p, base + e->dynamic_rva, e->n_dyn * (wide(img) ? 16 : 8), VML_ACCESS_READ);
    static const int64_t tables[][2] = { { DT_RELA, DT_RELASZ }, { DT_REL, DT_RELSZ },
                                         { DT_JMPREL, DT_PLTRELSZ }, { DT_RELR, DT_RELRSZ },
                                         { DT_STRTAB, DT_STRSZ } };
    for (size_t t = 0; t < sizeof tables / sizeof tables[0]; t++) {
        uint64_t at = dyn(e, tables[t][0]), size = dyn(e, tables[t][1]);
        if (at && size && at >= img->preferred_base)
            touch(p, o->bias + at, size, VML_ACCESS_READ);
    }
    /* every page a relocation writes (one may run into the next page) */
    uint64_t done = UINT64_MAX;
    for (size_t k = 0; k < img->n_relocs; k++) {
        const struct ld_reloc *rel = &img->relocs[k];
        uint64_t last = PAGESTART(rel->rva + (rel->width ? rel->width : 1) - 1);
        for (uint64_t rva = PAGESTART(rel->rva); rva <= last; rva += PAGE) {
            if (done != UINT64_MAX && rva <= done)
                continue;
            done = rva;
            size_t first, n;                   /* the page's relocations: skip past them */
            ld_reloc_page_range(img, rva, &first, &n);
            if (first + n > k + 1 && rva == PAGESTART(rel->rva))
                k = first + n - 1;
            if (page_bytes(o->lf, rva, page) != 0)
                return fail(ld, VML_EIO, "%s: cannot read it%s", o->path, "");
            if (ld_reloc_apply_page(img, rva, (int64_t)o->bias, page, resolve, &rc) == 0)
                continue;
            if (poke(p, base + rva, page, PAGE) != 0)
                return fail(ld, VML_ENOMEM, "%s: cannot write its relocations%s", o->path, "");
        }
    }
    /* _dl_protect_relro: whole pages of [l_addr + relro, + size) */
    if (e->relro_size) {
        uint64_t lo = PAGESTART(base + e->relro_rva), hi = PAGESTART(base + e->relro_rva + e->relro_size);
        if (hi > lo && vml_posix_mprotect(p, lo, hi - lo, VML_PROT_READ) != 0)
            return fail(ld, VML_ENOMEM, "%s: cannot protect its RELRO range%s", o->path, "");
    }
    return 0;
}

/* ---- finding objects --------------------------------------------------------------------- */

static int add_object(struct load *ld, struct ld_file *lf, const char *path, vml_va bias,
                      struct obj **out)
{
    if (ld->n == MAX_OBJECTS)
        return fail(ld, VML_ENOMEM, "%s: more than 256 objects in one load%s", path, "");
    struct obj *o = &ld->o[ld->n];
    memset(o, 0, sizeof *o);
    if ((o->path = strdup(path)) == NULL)
        return VML_ENOMEM;
    o->lf = lf;
    o->bias = bias;
    ld->n++;
    *out = o;
    return 0;
}

static int open_image(struct load *ld, const char *path, struct ld_file **lf)
{
    vml_machine *m = vml_proc_machine(ld->p);
    char why[256];
    vml_status st = ld_file_get(m, path, lf, why, sizeof why);
    if (st == VML_E_NOT_FOUND)
        return fail(ld, VML_ENOENT, "%s: not found%s", path, "");
    if (st == VML_E_ACCESS || st == VML_E_INVALID)
        return fail(ld, VML_EACCES, "%s: not a file that can be loaded%s", path, "");
    if (st == VML_E_NOMEM)
        return VML_ENOMEM;
    if (st != VML_OK)
        return fail(ld, VML_ENOEXEC, "%s: %s", path, why);
    if ((*lf)->img->format != LD_ELF32 && (*lf)->img->format != LD_ELF64)
        return fail(ld, VML_ENOEXEC, "%s: not an ELF image (%s)", path,
                    ld_format_name((*lf)->img->format));
    if ((*lf)->img->format == LD_ELF64 && vm_layout(m)->va_bits == 32)
        return fail(ld, VML_ENOEXEC, "%s: a 64-bit object on a 32-bit machine%s", path, "");
    return 0;
}

/* The file of needed object name: the loaded one, or found in the system
** library directories (ld.so's default search; no ld.so.cache, no
** RUNPATH). */
static const char *const dirs64[] = { "/lib/x86_64-linux-gnu/", "/usr/lib/x86_64-linux-gnu/",
                                      "/lib64/", "/usr/lib64/", "/lib/", "/usr/lib/", NULL };
static const char *const dirs32[] = { "/lib/i386-linux-gnu/", "/usr/lib/i386-linux-gnu/",
                                      "/lib32/", "/usr/lib32/", "/lib/", "/usr/lib/", NULL };

/* The object of this load's scope called name, or NULL. */
static struct obj *loaded(struct load *ld, const char *name)
{
    for (size_t i = 0; i < ld->n; i++)
        if (strcmp(ld->o[i].lf->base_name, name) == 0)
            return &ld->o[i];
    return NULL;
}

/* Maps every object needed by the objects from index from on, breadth
** first (ld.so's _dl_map_object_deps), each once. */
static int map_needed(struct load *ld, size_t from, int is64)
{
    vml_machine *m = vml_proc_machine(ld->p);
    for (size_t i = from; i < ld->n; i++) {
        const struct ld_image *img = ld->o[i].lf->img;
        for (size_t k = 0; k < img->n_modules; k++) {
            const char *name = ld_str(img, img->modules[k]);
            struct obj *have_obj = loaded(ld, name);
            if (have_obj != NULL) {
                /* each link from an object it maps holds a reference, which
                ** dlclose of that object drops */
                if (ld->o[i].fresh && have_obj->head)
                    have_obj->head->load_count++;
                continue;
            }
            struct vad *have = ld_module_named(ld->p, name);
            if (have != NULL) {                    /* loaded by an earlier dlopen */
                struct obj *o;
                if (add_object(ld, ld_module_file(have), name, 0, &o) != 0)
                    return VML_ENOMEM;
                o->count0 = have->load_count;
                have->load_count++;
                o->head = have;
                o->bias = (have->start_vpn << 12) - ld_module_file(have)->img->preferred_base;
                continue;
            }
            struct ld_file *lf = NULL;
            char path[1024];
            for (const char *const *d = is64 ? dirs64 : dirs32; *d && !lf; d++) {
                snprintf(path, sizeof path, "%s%s", *d, name);
                if (open_image(ld, path, &lf) != 0 || lf->img->format != ld->o[0].lf->img->format) {
                    lf = NULL;
                    ld->err[0] = '\0';
                }
            }
            if (lf == NULL) {
                if (vm_flags(m) & VML_CFG_STRICT_IMPORTS)
                    return fail(ld, VML_ENOENT, "%s: cannot open shared object file: No such "
                                "file or directory (needed by %s; machine imports=strict)",
                                name, ld->o[i].path);
                continue;                          /* missing: its symbols stay unresolved */
            }
            struct obj *o;
            int err = add_object(ld, lf, path, 0, &o);
            if (err == 0)
                err = map_segments(ld, o, 0, 0);
            if (err)
                return err;
            o->fresh = 1;
        }
    }
    return 0;
}

static int relocate_fresh(struct load *ld)
{
    /* dependencies first: the reverse of the load order, as ld.so does */
    for (size_t i = ld->n; i-- > 0;)
        if (ld->o[i].fresh) {
            int err = relocate(ld, &ld->o[i]);
            if (err)
                return err;
        }
    return 0;
}

static void load_free(struct load *ld)
{
    for (size_t i = 0; i < ld->n; i++)
        free(ld->o[i].path);
}

/* The objects a process has loaded, as a scope (the executable first). */
static int scope_of_process(struct load *ld)
{
    for (struct vad *v = vad_first(vm_vads(ld->p)); v; v = vad_next(v)) {
        struct ld_file *lf;
        struct obj *o;
        if (!v->load_count || (lf = ld_module_file(v)) == NULL ||
            (lf->img->format != LD_ELF32 && lf->img->format != LD_ELF64))
            continue;
        if (add_object(ld, lf, vm_file_path(lf->file), 0, &o) != 0)
            return VML_ENOMEM;
        uint64_t lo, hi, align;
        span(lf->img, &lo, &hi, &align);
        o->head = v;
        o->count0 = v->load_count;
        o->bias = (v->start_vpn << 12) - lo;
        if (!(lf->img->flags & LD_F_DLL) && ld->n > 1) {   /* the executable goes first */
            struct obj t = ld->o[ld->n - 1];
            memmove(&ld->o[1], &ld->o[0], (ld->n - 1) * sizeof *ld->o);
            ld->o[0] = t;
        }
    }
    return 0;
}

/* ---- undoing a failed load ---------------------------------------------------------------- */

/* Unmaps an object's whole span (every mapping of it). */
static void unmap_object(vml_proc *p, struct vad *head)
{
    struct ld_file *lf = ld_module_file(head);
    uint64_t lo, hi, align;
    span(lf->img, &lo, &hi, &align);
    vml_va bias = (head->start_vpn << 12) - lo;
    head->load_count = 0;
    vml_posix_munmap(p, bias + lo, hi - lo);
}

static void undo(struct load *ld)
{
    for (size_t i = ld->n; i-- > 0;) {
        struct obj *o = &ld->o[i];
        if (o->fresh && o->head)
            unmap_object(ld->p, o->head);
        else if (o->head)
            o->head->load_count = o->count0;       /* the references it had */
    }
}

/* ---- the calls -------------------------------------------------------------------------------- */

/* Where an ET_DYN executable with an interpreter goes (load_elf_binary():
** ELF_ET_DYN_BASE, plus arch_mmap_rnd() with ASLR, aligned to p_align). */
static vml_va dyn_exec_bias(vml_machine *m, const struct ld_image *img, uint64_t lo, uint64_t align)
{
    int is64 = img->format == LD_ELF64;
    /* observed with setarch -R on Linux 6.18 (x86-64 kernel) */
    uint64_t base = is64 ? UINT64_C(0x555555554000) : UINT64_C(0x56555000);
    if (vm_aslr(m))
        base = (base + aslr_linux_mmap_rnd(m, !is64)) & ~(align - 1);
    return base - lo;
}

/* Where the brk starts before arch_randomize_brk() (load_elf_binary(),
** Linux 6.2 on): the end of the highest segment; with randomization, one
** page after it ("leave a gap between .bss and brk"), or ELF_ET_DYN_BASE
** for a program run without an interpreter (a static PIE: its brk moves
** out of the mmap area). */
static vml_va brk_base(vml_machine *m, const struct obj *exe, const struct obj *interp, vml_va end)
{
    const struct ld_image *img = exe->lf->img;
    if (vm_flags(m) & VML_CFG_NO_ASLR)
        return end;
    if (img->elf->type == ELF_ET_DYN && interp == NULL)
        return wide(img) ? UINT64_C(0x555555554000) : UINT64_C(0x400000);
    return end + PAGE;
}

/* What create_elf_tables() and the brk need from this load. */
static int runtime(struct load *ld, const struct obj *exe, const struct obj *interp,
                   const char *path, const char *const *argv, size_t argc,
                   const char *const *envp, size_t envc)
{
    const struct ld_image *img = exe->lf->img;
    uint64_t lo, hi, align;
    span(img, &lo, &hi, &align);
    vml_posix_process_params pp = {
        .compat32 = !wide(img),
        .argv = argv, .argc = argc, .envp = envp, .envc = envc,
        .execfn = path,
        .entry = exe->bias + img->preferred_base + img->entry_rva,
        .phdr = img->elf->phdr_rva ? exe->bias + img->preferred_base + img->elf->phdr_rva : 0,
        .phent = img->elf->phentsize,
        .phnum = img->elf->phnum,
        .interp_base = interp ? interp->bias + interp->lf->img->preferred_base : 0,
        .image_end = brk_base(vml_proc_machine(ld->p), exe, interp, exe->bias + hi),
    };
    int e = vml_posix_process_setup(ld->p, &pp, NULL);
    if (e == VML_E2BIG)
        return fail(ld, e, "%s: the arguments and environment pass the stack's limit "
                    "(a quarter of RLIMIT_STACK, each string at most 128 KiB)%s", path, "");
    if (e != 0)
        return fail(ld, e, "%s: no room for the main stack%s", path, "");
    return 0;
}

int vml_posix_execve(vml_machine *m, const char *name, const char *path, vml_proc **out)
{
    const char *argv[1] = { path };
    return vml_posix_execve_args(m, name, path, argv, path ? 1 : 0, NULL, 0, out);
}

int vml_posix_execve_args(vml_machine *m, const char *name, const char *path,
                          const char *const *argv, size_t argc, const char *const *envp,
                          size_t envc, vml_proc **out)
{
    char err[512] = "";
    vml_proc *p;
    struct ld_file *lf, *interp_lf = NULL;
    struct obj *exe, *interp = NULL;
    if (m == NULL || name == NULL || path == NULL || out == NULL ||
        (argc && argv == NULL) || (envc && envp == NULL))
        return VML_EINVAL;
    for (size_t i = 0; i < argc + envc; i++)
        if ((i < argc ? argv[i] : envp[i - argc]) == NULL)
            return VML_EINVAL;
    if (vml_proc_create(m, name, &p) != VML_OK)
        return vml_proc_find(m, name) ? VML_EEXIST : VML_ENOMEM;
    struct load *ld = calloc(1, sizeof *ld);
    if (ld == NULL) {
        vml_proc_destroy(p);
        return VML_ENOMEM;
    }
    ld->p = p;
    ld->err = err;
    ld->err_size = sizeof err;
    int e = open_image(ld, path, &lf);
    const struct ld_image *img = e ? NULL : lf->img;
    if (e == 0 && (img->flags & LD_F_DLL) && !(img->flags & LD_F_PIE) && img->interp == 0 &&
        img->entry_rva == 0)
        e = fail(ld, VML_ENOEXEC, "%s: a shared object with no entry point%s", path, "");
    if (e == 0 && img->interp) {
        const char *ip = ld_str(img, img->interp);
        if (open_image(ld, ip, &interp_lf) != 0)
            e = fail(ld, VML_ENOENT, "%s: its interpreter %s is missing", path, ip);
    }
    uint64_t lo, hi, align;
    if (e == 0)                                    /* setup_new_exec(): the mmap layout */
        vm_os(p)->mmap_base = aslr_linux_mmap_base(m, !wide(img));
    if (e == 0) {
        span(img, &lo, &hi, &align);
        int dyn = img->elf->type == ELF_ET_DYN;
        vml_va bias = dyn && img->interp ? dyn_exec_bias(m, img, lo, align) : 0;
        e = add_object(ld, lf, path, bias, &exe);
        if (e == 0)
            e = map_segments(ld, exe, 1, !dyn || img->interp);
        if (e == 0)
            exe->fresh = 1;
    }
    if (e == 0 && interp_lf) {                     /* load_elf_interp() */
        e = add_object(ld, interp_lf, ld_str(img, img->interp), 0, &interp);
        if (e == 0)
            e = map_segments(ld, interp, 1, 0);
        if (e == 0)
            interp->fresh = 1;
    }
    if (e == 0)                                    /* create_elf_tables(), the brk */
        e = runtime(ld, exe, interp, path, argv, argc, envp, envc);
    /* ld.so: the needed objects, then every relocation (its own first) */
    if (e == 0 && interp)
        e = map_needed(ld, 0, img->format == LD_ELF64);
    if (e == 0)
        e = relocate_fresh(ld);
    if (e != 0) {
        vm_fail(m, VML_E_INVALID, "%s", err[0] ? err : "execve failed");
        load_free(ld);
        free(ld);
        char keep[512];
        snprintf(keep, sizeof keep, "%s", vml_last_error(m));
        vml_proc_destroy(p);
        vm_fail(m, VML_E_INVALID, "%s", keep);
        (void)vm_done(m, VML_OK);
        return e;
    }
    /* the first instructions: ld.so's entry, then the program's */
    if (interp && interp->lf->img->entry_rva)
        touch(p, interp->bias + interp->lf->img->preferred_base + interp->lf->img->entry_rva, 1,
              VML_ACCESS_EXEC);
    if (img->entry_rva)
        touch(p, exe->bias + img->preferred_base + img->entry_rva, 1, VML_ACCESS_EXEC);
    load_free(ld);
    free(ld);
    *out = p;
    (void)vm_done(m, VML_OK);
    return 0;
}

int vml_posix_dlopen(vml_proc *p, const char *path, vml_va *base)
{
    char err[512] = "";
    struct ld_file *lf;
    if (p == NULL || path == NULL || base == NULL)
        return VML_EINVAL;
    vml_machine *m = vml_proc_machine(p);
    struct load *ld = calloc(1, sizeof *ld);
    if (ld == NULL)
        return VML_ENOMEM;
    ld->p = p;
    ld->err = err;
    ld->err_size = sizeof err;
    int e = scope_of_process(ld);
    size_t from = ld->n;
    struct obj *o = NULL;
    if (e == 0)
        e = open_image(ld, path, &lf);
    if (e == 0 && (lf->img->flags & LD_F_PIE))       /* glibc 2.30 on (elf/dl-load.c) */
        e = fail(ld, VML_ENOEXEC, "%s: cannot dynamically load position-independent "
                 "executable%s", path, "");
    if (e == 0) {
        struct vad *have = NULL;
        for (size_t i = 0; i < ld->n && !have; i++)
            if (ld->o[i].lf == lf)
                have = ld->o[i].head;
        if (have != NULL) {                         /* loaded already: one more reference */
            have->load_count++;
            uint64_t lo, hi, align;
            span(lf->img, &lo, &hi, &align);
            *base = (have->start_vpn << 12) - lo + lf->img->preferred_base;
            load_free(ld);
            free(ld);
            (void)vm_done(m, VML_OK);
            return 0;
        }
        e = add_object(ld, lf, path, 0, &o);
        if (e == 0)
            e = map_segments(ld, o, 0, 0);
        if (e == 0)
            o->fresh = 1;
    }
    if (e == 0)
        e = map_needed(ld, from, lf->img->format == LD_ELF64);
    if (e == 0)
        e = relocate_fresh(ld);
    if (e == 0)
        touch(p, o->bias + lf->img->preferred_base, 1, VML_ACCESS_READ);
    if (e != 0) {
        undo(ld);
        vm_fail(m, VML_E_INVALID, "%s", err[0] ? err : "dlopen failed");
    } else {
        *base = o->bias + lf->img->preferred_base;
    }
    load_free(ld);
    free(ld);
    (void)vm_done(m, VML_OK);
    return e;
}

int vml_posix_dlclose(vml_proc *p, vml_va base)
{
    if (p == NULL)
        return VML_EINVAL;
    struct vad *head = ld_module_at(p, base);
    struct ld_file *lf = head ? ld_module_file(head) : NULL;
    if (lf == NULL || (lf->img->format != LD_ELF32 && lf->img->format != LD_ELF64) ||
        !(lf->img->flags & LD_F_DLL))
        return VML_EINVAL;
    if (--head->load_count == 0) {
        const struct ld_image *img = lf->img;
        head->load_count = 1;
        unmap_object(p, head);
        for (size_t k = 0; k < img->n_modules; k++) {   /* its needed objects' references */
            struct vad *dep = ld_module_named(p, ld_str(img, img->modules[k]));
            struct ld_file *df = dep ? ld_module_file(dep) : NULL;
            if (dep && (df->img->flags & LD_F_DLL))
                vml_posix_dlclose(p, dep->start_vpn << 12);
        }
    }
    (void)vm_done(vml_proc_machine(p), VML_OK);
    return 0;
}

int vml_posix_dlsym(vml_proc *p, vml_va base, const char *name, vml_va *addr)
{
    if (p == NULL || name == NULL || addr == NULL)
        return VML_EINVAL;
    struct vad *head = ld_module_at(p, base);
    struct ld_file *lf = head ? ld_module_file(head) : NULL;
    if (lf == NULL)
        return VML_EINVAL;
    const struct ld_export *e = ld_file_export(lf, name);
    if (e == NULL)
        return VML_ENOENT;
    uint64_t lo, hi, align;
    span(lf->img, &lo, &hi, &align);
    *addr = (head->start_vpn << 12) - lo + lf->img->preferred_base + e->rva;
    return 0;
}
