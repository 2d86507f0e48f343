/*
** winload.c -- Windows' image loading: image sections relocated by the
** memory manager at a per-boot base, and the user-mode loader's work in a
** process (ntdll's Ldr*): map the image, rebase it when it cannot sit at
** that base, resolve its imports, touch what the loader touches.  Nothing
** runs: the entry point is fetched (the first instruction a thread or
** DllMain would execute), no code executes.
**
** What a load touches, as the loader does (Windows Internals, 7th ed.,
** ch. 3 "Image loader"): the headers page; with a rebase in the process,
** the .reloc pages and every page holding a relocated pointer (written:
** private copy-on-write copies); the import directory and the IAT
** (written: copies); the entry point's page.  Every other page stays
** unbacked until used.
**
** Where an image goes (ch. 5 "Address Space Layout Randomization"): an
** image marked DYNAMICBASE, with ASLR on, gets a base once per boot (per
** machine) for every process; the memory manager relocates the image
** section for that base as pages come in, so relocated pages are shared
** by every process that maps the image there, and are pagefile-backed
** (they differ from the file).  Without DYNAMICBASE, or with ASLR off,
** that base is ImageBase.  A process where the range is taken maps the
** image elsewhere and the loader relocates it there (relocation pages
** become private copies); an image without relocations then fails with
** STATUS_CONFLICTING_ADDRESSES.
**
** The bases drawn (from the machine's seeded generator, by os/aslr.c; ch. 5):
**   32-bit images, and 64-bit ones without HIGH_ENTROPY_VA: an EXE at
**     ImageBase + k * 64 KiB, k in 1..254; DLLs top-down from 0x78000000
**     below a per-boot image bias of 1..254 x 64 KiB;
**   64-bit HIGH_ENTROPY_VA: an EXE 64 KiB-aligned in [0x7FF600000000,
**     0x7FF800000000) (17 bits); DLLs top-down from 0x7FFFFFFF0000 below
**     a per-boot bias of 19 bits of 64 KiB units (bounded so the region
**     stays above 0x7FF800000000).
** Each new image section of a DLL takes the next free range below the
** previous one's, as MiImageBitmap hands them out.
**
** INVARIANTS: LD9 every Image VAD with a load_count maps the image
** section of its file whole (checked by ld_win_check()).
** TRANSITIONS:
**   file -> image section (sys_base chosen)      image_section()
**   process -> + module (load_count 1)           load_module()
**   module load_count n -> n + 1 / n - 1 -> gone LoadLibrary / FreeLibrary
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "load.h"
#include "pe.h"
#include "os/win32.h"
#include "os/aslr.h"

#define GRAN   UINT64_C(0x10000)
#define PAGE   UINT64_C(0x1000)
#define MAX_DEPTH 32            /* import chains deeper than this are refused */

/* vm_loader_words() slots */
enum { W_BIAS32, W_BIAS64, W_NEXT32, W_NEXT64 };

struct load {                   /* one LoadLibrary / CreateProcess */
    vml_proc *p;
    char     *err;              /* the first failure's message */
    size_t    err_size;
    unsigned  depth;
};

static int is_pe(const struct ld_image *img)
{
    return img->format == LD_PE32 || img->format == LD_PE32PLUS;
}

static uint32_t fail(struct load *ld, uint32_t code, const char *fmt, const char *a,
                     const char *b)
{
    if (ld->err[0] == '\0')
        snprintf(ld->err, ld->err_size, fmt, a, b);
    return code;
}

/* ---- the image section ----------------------------------------------------------------- */

static int image_read_page(void *ctx, uint64_t index, uint8_t *page, int *differs)
{
    struct ld_file *lf = ctx;
    struct ld_mm_reader r;
    ld_file_reader(lf, &r);
    if (ld_image_read(lf->img, &r.r, index * PAGE, page, PAGE) != VML_OK)
        return VML_EIO;
    int64_t delta = (int64_t)(lf->sys_base - lf->img->preferred_base);
    *differs = delta != 0 &&
               ld_reloc_apply_page(lf->img, index * PAGE, delta, page, NULL, NULL) > 0;
    return 0;
}

static const struct vm_image_ops image_ops = { image_read_page };

/* The base this image gets in every process this boot (the draws:
** os/aslr.c). */
static uint64_t sys_base(vml_machine *m, const struct ld_file *lf)
{
    const struct ld_image *img = lf->img;
    uint64_t *w = vm_loader_words(m), size = (img->image_size + GRAN - 1) & ~(GRAN - 1);
    int dll = (img->flags & LD_F_DLL) != 0;
    unsigned high = img->format == LD_PE32PLUS && (img->flags & LD_F_HIGH_ENTROPY_VA)
                    ? ASLR_WIN_HIGH_ENTROPY : 0;
    if (!vm_aslr(m) || !(img->flags & LD_F_DYNAMIC_BASE) || (img->flags & LD_F_RELOCS_STRIPPED))
        return img->preferred_base;
    if (!dll)
        return aslr_win_exe_base(m, img->preferred_base, high);
    if (high) {
        if (w[W_BIAS64] == 0) {
            w[W_BIAS64] = aslr_win_dll_bias(m, high);
            w[W_NEXT64] = UINT64_C(0x7FFFFFFF0000) - w[W_BIAS64];
        }
        if (w[W_NEXT64] < UINT64_C(0x7FF800000000) + size)
            w[W_NEXT64] = UINT64_C(0x7FFFFFFF0000);        /* wrapped: start over */
        w[W_NEXT64] -= size;
        return w[W_NEXT64];
    }
    if (w[W_BIAS32] == 0) {
        w[W_BIAS32] = aslr_win_dll_bias(m, high);
        w[W_NEXT32] = UINT64_C(0x78000000) - w[W_BIAS32];
    }
    if (w[W_NEXT32] < UINT64_C(0x50000000) + size)
        w[W_NEXT32] = UINT64_C(0x78000000);
    w[W_NEXT32] -= size;
    return w[W_NEXT32];
}

static uint32_t image_section(struct load *ld, struct ld_file *lf)
{
    vml_machine *m = vml_proc_machine(ld->p);
    if (lf->seg != NULL)
        return 0;
    const struct ld_image *img = lf->img;
    uint64_t n = img->image_size / PAGE;
    uint8_t *prot = malloc(n ? n : 1);
    if (prot == NULL)
        return VML_ERROR_NOT_ENOUGH_MEMORY;
    int noaccess = vm_prot_from_win32(VML_PAGE_NOACCESS);
    for (uint64_t k = 0; k < n; k++) {
        const struct ld_segment *s = ld_segment_at(img, k * PAGE);
        int pr = s ? vm_prot_from_win32(s->win_protect) : noaccess;
        prot[k] = (uint8_t)(pr < 0 ? noaccess : pr);
    }
    lf->sys_base = sys_base(m, lf);
    vml_status st = vm_image_segment(m, lf->file, n, prot, &image_ops, lf, &lf->seg);
    free(prot);
    if (st != VML_OK)
        return fail(ld, VML_ERROR_NOT_ENOUGH_MEMORY, "%s: no image section (%s)",
                    vm_file_path(lf->file), vml_last_error(m));
    return 0;
}

/* ---- mapping and relocating in a process ---------------------------------------------- */

/* Where the image goes in this process: its per-boot base when free there,
** else the highest free range (DLL) or the lowest above it (EXE). */
static int place(vml_proc *p, const struct ld_file *lf, vml_va *base)
{
    const vml_layout *l = vm_layout(vml_proc_machine(p));
    uint64_t n = lf->img->image_size / PAGE, lo = l->user_lowest >> 12;
    uint64_t hi = l->user_highest >> 12, start;
    /* a 32-bit image lives below 2 GiB (4 GiB when large-address aware) */
    if (lf->img->format == LD_PE32) {
        uint64_t top = (lf->img->flags & LD_F_LARGE_ADDRESS) ? UINT64_C(0xFFFEFFFF)
                                                              : UINT64_C(0x7FFEFFFF);
        if (hi > top >> 12)
            hi = top >> 12;
    }
    uint64_t want = lf->sys_base >> 12;
    if (want >= lo && want + n - 1 <= hi && !vad_overlap(vm_vads(p), want, want + n - 1)) {
        *base = lf->sys_base;
        return 0;
    }
    if ((lf->img->flags & LD_F_RELOCS_STRIPPED) ||
        !vad_find_gap(vm_vads(p), lo, hi, n, GRAN >> 12, (lf->img->flags & LD_F_DLL) != 0, &start))
        return -1;
    *base = start << 12;
    return 0;
}

static uint64_t touch(vml_proc *p, vml_va va, uint64_t n, unsigned access)
{
    uint8_t buf[64];
    vml_exception ex;
    uint64_t done = 0;
    for (vml_va at = va & ~(PAGE - 1); at < va + n; at += PAGE)
        done += vm_copy(p, p, at < va ? va : at, buf, 1, access, 0, &ex);
    return done;
}

/* Writes bytes into the image as the loader does (made writable for the
** write: a private copy of a shared page). */
static int poke(vml_proc *p, vml_va va, const void *bytes, uint64_t n)
{
    vml_exception ex;
    return vm_copy(p, p, va, (void *)(uintptr_t)bytes, n, VML_ACCESS_WRITE, 1, &ex) == n ? 0 : -1;
}

/* LdrRelocateImage: the .reloc pages are read, every page holding a
** relocated pointer is written with the image as it is at base. */
static int relocate(vml_proc *p, const struct ld_file *lf, vml_va base)
{
    const struct ld_image *img = lf->img;
    int64_t delta = (int64_t)(base - img->preferred_base);
    struct ld_mm_reader r;
    uint8_t page[PAGE];
    if (img->pe && img->pe->dirs[PE_DIR_BASERELOC].size)
        touch(p, base + img->pe->dirs[PE_DIR_BASERELOC].rva, img->pe->dirs[PE_DIR_BASERELOC].size,
              VML_ACCESS_READ);
    ld_file_reader(lf, &r);
    for (uint64_t rva = 0; rva < img->image_size; rva += PAGE) {
        size_t first, n;
        ld_reloc_page_range(img, rva, &first, &n);
        if (n == 0)
            continue;
        if (ld_image_read(img, &r.r, rva, page, PAGE) != VML_OK)
            return -1;
        if (ld_reloc_apply_page(img, rva, delta, page, NULL, NULL) == 0)
            continue;
        if (poke(p, base + rva, page, PAGE) != 0)
            return -1;
    }
    return 0;
}

static uint32_t load_module(struct load *ld, const char *path, const char *from_dir,
                            struct vad **out);

/* The directory part of path ("" for a bare name). */
static void dir_of(const char *path, char *dir, size_t size)
{
    const char *slash = strrchr(path, '/');
    size_t n = slash ? (size_t)(slash - path + 1) : 0;
    if (n >= size)
        n = 0;
    memcpy(dir, path, n);
    dir[n] = '\0';
}

/* The module an import names: loaded already, or loaded now from the
** importer's directory (then the machine's file directory), as the DLL
** search order starts with the application's directory. */
static struct vad *import_module(struct load *ld, const char *name, const char *dir, int *missing)
{
    struct vad *v = ld_module_named(ld->p, name);
    char path[1024];
    *missing = 0;
    if (v != NULL) {
        v->load_count++;
        return v;
    }
    if (ld->depth >= MAX_DEPTH)
        return NULL;
    if (dir[0]) {
        snprintf(path, sizeof path, "%s%s", dir, name);
        if (load_module(ld, path, dir, &v) == 0)
            return v;
        if (ld->err[0] && strstr(ld->err, "not found") == NULL)
            return NULL;            /* found but bad: the error stands */
        ld->err[0] = '\0';
    }
    if (load_module(ld, name, "", &v) == 0)
        return v;
    if (ld->err[0] && strstr(ld->err, "not found") == NULL)
        return NULL;
    ld->err[0] = '\0';
    *missing = 1;
    return NULL;
}

/* The address an export resolves to (following a forwarder), or 0. */
static uint64_t export_address(struct load *ld, struct vad *mod, const struct ld_export *e,
                               int hops)
{
    struct ld_file *lf = ld_module_file(mod);
    if (e->forwarder == 0)
        return (mod->start_vpn << 12) + e->rva;
    /* "OTHER.Func" or "OTHER.#12" */
    const char *fw = ld_str(lf->img, e->forwarder), *dot = strrchr(fw, '.');
    char dll[128];
    int missing;
    if (dot == NULL || hops > 8 || (size_t)(dot - fw) + 5 > sizeof dll)
        return 0;
    snprintf(dll, sizeof dll, "%.*s.dll", (int)(dot - fw), fw);
    struct vad *target = import_module(ld, dll, "", &missing);
    if (target == NULL)
        return 0;
    struct ld_file *tf = ld_module_file(target);
    const struct ld_export *te = dot[1] == '#' ? ld_file_export_ordinal(tf, (uint32_t)atoi(dot + 2))
                                               : ld_file_export(tf, dot + 1);
    return te ? export_address(ld, target, te, hops + 1) : 0;
}

/* LdrpSnapModule: every import-table entry gets its function's address,
** or the unresolved pattern; the IAT is written (its pages copied). */
static uint32_t snap_imports(struct load *ld, struct ld_file *lf, vml_va base, const char *path)
{
    const struct ld_image *img = lf->img;
    vml_machine *m = vml_proc_machine(ld->p);
    int wide = img->format == LD_PE32PLUS;
    char dir[1024];
    if (img->n_imports == 0)
        return 0;
    dir_of(path, dir, sizeof dir);
    if (img->pe && img->pe->dirs[PE_DIR_IMPORT].size)
        touch(ld->p, base + img->pe->dirs[PE_DIR_IMPORT].rva, img->pe->dirs[PE_DIR_IMPORT].size,
              VML_ACCESS_READ);
    struct vad **mods = calloc(img->n_modules ? img->n_modules : 1, sizeof *mods);
    if (mods == NULL)
        return VML_ERROR_NOT_ENOUGH_MEMORY;
    for (size_t i = 0; i < img->n_modules; i++) {
        int missing;
        const char *name = ld_str(img, img->modules[i]);
        ld->depth++;
        mods[i] = import_module(ld, name, dir, &missing);
        ld->depth--;
        if (mods[i] == NULL && !missing) {
            free(mods);
            return ld->err[0] ? VML_ERROR_BAD_EXE_FORMAT : VML_ERROR_NOT_ENOUGH_MEMORY;
        }
        if (mods[i] == NULL && (vm_flags(m) & VML_CFG_STRICT_IMPORTS)) {
            free(mods);
            return fail(ld, VML_ERROR_MOD_NOT_FOUND,
                        "STATUS_DLL_NOT_FOUND (0xC0000135): %s, imported by %s, was not found "
                        "(machine imports=strict)", name, path);
        }
    }
    for (size_t k = 0; k < img->n_imports; k++) {
        const struct ld_import *im = &img->imports[k];
        struct vad *mod = mods[im->module];
        uint64_t value = 0;
        if (mod != NULL) {
            struct ld_file *mf = ld_module_file(mod);
            const struct ld_export *e = im->by_ordinal ? ld_file_export_ordinal(mf, im->ordinal)
                                                       : ld_file_export(mf, ld_str(img, im->name));
            value = e ? export_address(ld, mod, e, 0) : 0;
        }
        if (value == 0)
            value = wide ? LD_UNRESOLVED64(k) : LD_UNRESOLVED32(k);
        uint8_t slot[8];
        for (int b = 0; b < 8; b++)
            slot[b] = (uint8_t)(value >> (8 * b));
        if (poke(ld->p, base + im->iat_rva, slot, wide ? 8 : 4) != 0) {
            free(mods);
            return fail(ld, VML_ERROR_NOT_ENOUGH_MEMORY, "%s: cannot write its import table%s",
                        path, "");
        }
    }
    free(mods);
    return 0;
}

static uint32_t load_module(struct load *ld, const char *path, const char *from_dir,
                            struct vad **out)
{
    vml_proc *p = ld->p;
    vml_machine *m = vml_proc_machine(p);
    struct ld_file *lf;
    char why[256];
    (void)from_dir;
    /* a module loaded under this name is the one (LdrpFindLoadedDllByName:
    ** names compare without case) */
    struct vad *named = ld_module_named(p, path);
    if (named != NULL && (ld_module_file(named)->img->format == LD_PE32 ||
                          ld_module_file(named)->img->format == LD_PE32PLUS)) {
        named->load_count++;
        *out = named;
        return 0;
    }
    vml_status st = ld_file_get(m, path, &lf, why, sizeof why);
    if (st == VML_E_NOT_FOUND || st == VML_E_INVALID)
        return fail(ld, VML_ERROR_MOD_NOT_FOUND, "%s: not found%s", path, "");
    if (st == VML_E_NOMEM)
        return VML_ERROR_NOT_ENOUGH_MEMORY;
    if (st != VML_OK)
        return fail(ld, VML_ERROR_BAD_EXE_FORMAT, "%s: %s", path, why);
    if (!is_pe(lf->img))
        return fail(ld, VML_ERROR_BAD_EXE_FORMAT, "%s: not a PE image (%s)", path,
                    ld_format_name(lf->img->format));
    /* a 64-bit image needs a 64-bit machine; a 32-bit one loads into a
    ** 64-bit machine's process as WOW64 would run it */
    if (lf->img->format == LD_PE32PLUS && vm_layout(m)->va_bits == 32)
        return fail(ld, VML_ERROR_EXE_MACHINE_TYPE_MISMATCH,
                    "%s: a 64-bit image on a 32-bit machine%s", path, "");
    struct vad *have = ld_module_named(p, lf->base_name);
    if (have != NULL && ld_module_file(have) == lf) {
        have->load_count++;
        *out = have;
        return 0;
    }
    uint32_t e = image_section(ld, lf);
    if (e)
        return e;
    vml_va base;
    if (place(p, lf, &base) != 0)
        return fail(ld, (lf->img->flags & LD_F_RELOCS_STRIPPED) ? VML_ERROR_INVALID_ADDRESS
                                                                 : VML_ERROR_NOT_ENOUGH_MEMORY,
                    "%s: no room at its base, and it %s", path,
                    (lf->img->flags & LD_F_RELOCS_STRIPPED)
                        ? "has no relocations (STATUS_CONFLICTING_ADDRESSES)"
                        : "does not fit anywhere else");
    if (vm_charge_check(p, lf->seg ? vm_image_charge(lf->seg) : 0) != VML_OK)
        return fail(ld, VML_ERROR_COMMITMENT_LIMIT, "%s: its writable pages pass the commit "
                    "limit%s", path, "");
    struct vad *node = vm_vad_alloc(m);
    if (node == NULL)
        return VML_ERROR_NOT_ENOUGH_MEMORY;
    vm_map_image(p, node, base, lf->seg, VML_ORIGIN_WIN32);
    node->load_count = 1;
    touch(p, base, 1, VML_ACCESS_READ);             /* the headers */
    if (base != lf->sys_base && relocate(p, lf, base) != 0)
        return fail(ld, VML_ERROR_NOT_ENOUGH_MEMORY, "%s: cannot relocate it%s", path, "");
    *out = node;            /* (a failure from here is rolled back by the caller) */
    return snap_imports(ld, lf, base, path);
}

/* ---- unloading, and undoing a failed load ------------------------------------------------ */

/* FreeLibrary's work: one reference less; the last one unmaps the image
** and drops the references its imports held. */
static void unload(vml_proc *p, struct vad *mod)
{
    if (--mod->load_count > 0)
        return;
    const struct ld_image *img = ld_module_file(mod)->img;
    for (size_t i = 0; i < img->n_modules; i++) {
        struct vad *dep = ld_module_named(p, ld_str(img, img->modules[i]));
        if (dep != NULL && dep != mod)
            unload(p, dep);
    }
    vm_release(p, mod);
}

/* The modules of a process and their counts before a load, to put back
** when it fails (a failed call changes nothing). */
struct snapshot {
    struct vad **v;
    uint32_t    *count;
    size_t       n;
};

static int snap_take(vml_proc *p, struct snapshot *s)
{
    size_t n = 0;
    for (struct vad *v = vad_first(vm_vads(p)); v; v = vad_next(v))
        n += v->load_count != 0;
    s->n = 0;
    s->v = malloc((n ? n : 1) * sizeof *s->v);
    s->count = malloc((n ? n : 1) * sizeof *s->count);
    if (s->v == NULL || s->count == NULL) {
        free(s->v);
        free(s->count);
        return -1;
    }
    for (struct vad *v = vad_first(vm_vads(p)); v; v = vad_next(v))
        if (v->load_count) {
            s->v[s->n] = v;
            s->count[s->n++] = v->load_count;
        }
    return 0;
}

static void snap_restore(vml_proc *p, struct snapshot *s)
{
    struct vad *v = vad_first(vm_vads(p));
    while (v != NULL) {
        struct vad *next = vad_next(v);
        if (v->load_count) {
            size_t i = 0;
            while (i < s->n && s->v[i] != v)
                i++;
            if (i == s->n)
                vm_release(p, v);          /* mapped by the failed load */
            else
                v->load_count = s->count[i];
        }
        v = next;
    }
    free(s->v);
    free(s->count);
}

static void snap_free(struct snapshot *s)
{
    free(s->v);
    free(s->count);
}

/* ---- the Win32 calls ------------------------------------------------------------------------ */

/* Runs one load with rollback; the message of a failure is the machine's
** last error. */
static uint32_t load_or_undo(struct load *ld, const char *path, struct vad **mod)
{
    vml_machine *m = vml_proc_machine(ld->p);
    struct snapshot s;
    if (snap_take(ld->p, &s) != 0)
        return VML_ERROR_NOT_ENOUGH_MEMORY;
    uint32_t e = load_module(ld, path, "", mod);
    if (e) {
        snap_restore(ld->p, &s);
        vm_fail(m, VML_E_INVALID, "%s", ld->err[0] ? ld->err : "the load failed");
        return e;
    }
    snap_free(&s);
    return 0;
}

static void fetch_entry(vml_proc *p, struct vad *mod)
{
    const struct ld_image *img = ld_module_file(mod)->img;
    if (img->entry_rva)
        touch(p, (mod->start_vpn << 12) + img->entry_rva, 1, VML_ACCESS_EXEC);
}

uint32_t vml_win_LoadLibrary(vml_proc *p, const char *path, vml_va *module)
{
    char err[512] = "";
    struct load ld = { p, err, sizeof err, 0 };
    struct vad *mod;
    if (p == NULL || path == NULL || module == NULL)
        return VML_ERROR_INVALID_PARAMETER;
    uint32_t e = load_or_undo(&ld, path, &mod);
    if (e == 0) {
        if (mod->load_count == 1)
            fetch_entry(p, mod);          /* DllMain(DLL_PROCESS_ATTACH) */
        *module = mod->start_vpn << 12;
    }
    return w32_last_error(p, w32_done(vml_proc_machine(p), e), 0);
}

uint32_t vml_win_FreeLibrary(vml_proc *p, vml_va module)
{
    if (p == NULL)
        return VML_ERROR_INVALID_PARAMETER;
    struct vad *mod = ld_module_at(p, module);
    uint32_t e = VML_ERROR_SUCCESS;
    if (mod == NULL || !is_pe(ld_module_file(mod)->img))
        e = VML_ERROR_MOD_NOT_FOUND;
    else
        unload(p, mod);
    return w32_last_error(p, w32_done(vml_proc_machine(p), e), 0);
}

uint32_t vml_win_GetModuleHandle(vml_proc *p, const char *name, vml_va *module)
{
    if (p == NULL || module == NULL)
        return VML_ERROR_INVALID_PARAMETER;
    struct vad *mod = NULL;
    if (name == NULL || name[0] == '\0') {       /* the EXE */
        for (struct vad *v = vad_first(vm_vads(p)); v && !mod; v = vad_next(v))
            if (v->load_count && !(ld_module_file(v)->img->flags & LD_F_DLL))
                mod = v;
    } else {
        mod = ld_module_named(p, name);
    }
    uint32_t e = mod ? VML_ERROR_SUCCESS : VML_ERROR_MOD_NOT_FOUND;
    if (mod)
        *module = mod->start_vpn << 12;
    return w32_last_error(p, w32_done(vml_proc_machine(p), e), 0);
}

uint32_t vml_win_GetProcAddress(vml_proc *p, vml_va module, const char *name, vml_va *addr)
{
    if (p == NULL || name == NULL || addr == NULL)
        return VML_ERROR_INVALID_PARAMETER;
    vml_machine *m = vml_proc_machine(p);
    struct vad *mod = ld_module_at(p, module);
    if (mod == NULL)
        return w32_last_error(p, w32_done(m, VML_ERROR_MOD_NOT_FOUND), 0);
    struct ld_file *lf = ld_module_file(mod);
    /* "#12": by ordinal (MAKEINTRESOURCE(12)) */
    const struct ld_export *ex = name[0] == '#' ? ld_file_export_ordinal(lf, (uint32_t)atoi(name + 1))
                                                : ld_file_export(lf, name);
    char err[512] = "";
    struct load ld = { p, err, sizeof err, 0 };
    struct snapshot s;
    uint64_t at = 0;
    if (ex != NULL && snap_take(p, &s) == 0) {
        at = export_address(&ld, mod, ex, 0);     /* a forwarder may load its DLL */
        if (at == 0)
            snap_restore(p, &s);
        else
            snap_free(&s);
    }
    if (at)
        *addr = at;
    return w32_last_error(p, w32_done(m, at ? VML_ERROR_SUCCESS : VML_ERROR_PROC_NOT_FOUND), 0);
}

/* The process's Win32 environment, as NtCreateUserProcess and ntdll's
** LdrpInitializeProcess build it for this image (os/win32_proc.c): the
** PEB (ImageBaseAddress), the process parameters (ImagePathName and
** CommandLine: the path, any byte that is not printable ASCII as '?'),
** the main thread's TEB and stack (SizeOfStackReserve/Commit), the process
** heap (SizeOfHeapReserve/Commit); PEB32/TEB32 for a PE32 image.  Each
** placed by ASLR (os/aslr.c). */
static uint32_t process_environment(vml_proc *p, struct vad *mod, const char *path)
{
    const struct ld_image *img = ld_module_file(mod)->img;
    char image_path[1025];
    size_t n = 0;
    for (; path[n] && n < sizeof image_path - 1; n++)
        image_path[n] = path[n] >= ' ' && path[n] <= '~' ? path[n] : '?';
    image_path[n] = '\0';
    vml_win_process_params pp = {
        .ptr_size = img->format == LD_PE32PLUS ? 8 : 4,
        .image_base = mod->start_vpn << 12,
        .stack_reserve = img->stack_reserve,
        .stack_commit = img->stack_commit,
        .heap_reserve = img->heap_reserve,
        .heap_commit = img->heap_commit,
        .image_path = image_path,
        .command_line = image_path,
    };
    return vml_win_process_setup(p, &pp);
}

uint32_t vml_win_CreateProcess(vml_machine *m, const char *name, const char *path,
                               unsigned flags, vml_proc **out)
{
    char err[512] = "";
    vml_proc *p;
    struct vad *mod;
    if (m == NULL || name == NULL || path == NULL || out == NULL)
        return VML_ERROR_INVALID_PARAMETER;
    /* CreateProcess looks at the file before it makes anything: a DLL or a
    ** non-PE file is not an executable */
    struct ld_file *lf;
    vml_status st = ld_file_get(m, path, &lf, err, sizeof err);
    if (st == VML_E_NOT_FOUND || st == VML_E_INVALID || st == VML_E_ACCESS)
        return w32_done(m, VML_ERROR_FILE_NOT_FOUND);
    if (st == VML_E_NOMEM)
        return w32_done(m, VML_ERROR_NOT_ENOUGH_MEMORY);
    if (st != VML_OK || !is_pe(lf->img) || (lf->img->flags & LD_F_DLL)) {
        vm_fail(m, VML_E_INVALID, "%s: %s", path,
                st != VML_OK ? err : !is_pe(lf->img) ? "not a PE image"
                                   : "a DLL, not an executable");
        return w32_done(m, VML_ERROR_BAD_EXE_FORMAT);
    }
    err[0] = '\0';
    if (vml_proc_create(m, name, &p) != VML_OK)
        return w32_done(m, vml_proc_find(m, name) ? VML_ERROR_ALREADY_EXISTS
                                                  : VML_ERROR_NOT_ENOUGH_MEMORY);
    struct load ld = { p, err, sizeof err, 0 };
    uint32_t e = load_or_undo(&ld, path, &mod);
    if (e != 0) {
        char keep[512];
        snprintf(keep, sizeof keep, "%s", vml_last_error(m));
        vml_proc_destroy(p);
        vm_fail(m, VML_E_INVALID, "%s", keep);
        return w32_done(m, e);
    }
    e = process_environment(p, mod, path);
    if (e != 0) {
        vml_proc_destroy(p);
        vm_fail(m, VML_E_NOMEM, "%s: no room for the PEB, the main thread's stack or the "
                "process heap", path);
        return w32_done(m, e);
    }
    if (!(flags & VML_CREATE_SUSPENDED))
        fetch_entry(p, mod);                       /* the initial thread starts there */
    *out = p;
    return w32_done(m, VML_ERROR_SUCCESS);
}
