/*
** ldfile.c -- a machine file's parsed image, kept with the file: the first
** load of an image parses it (from one read of the whole file), every
** later one -- in this process or any other -- finds it ready, as Windows
** finds an image's section object ready.  With it, a hash of the export
** names, so that resolving an import or GetProcAddress is O(1).
**
** INVARIANTS (each ld_file):
**   LD8  img is a parsed image of file that passed ld_image_check(), and
**        every export with a name is in the hash, once.
** TRANSITIONS:
**   file -> file with its ld_file      ld_file_get() (first use)
**   ld_file -> freed                   with the machine (the file's aux_free)
*/
#include <stdlib.h>
#include <string.h>
#include <ctype.h>
#include <stdio.h>
#include <strings.h>
#include "load.h"

/* ---- reading a machine file ------------------------------------------------------- */

static vml_status mm_read(const struct ld_reader *r, uint64_t off, void *buf, size_t len)
{
    const struct ld_mm_reader *mr = (const struct ld_mm_reader *)r;   /* r is its first member */
    return vm_file_pread(mr->m, mr->f, off, buf, len) == 0 ? VML_OK : VML_E_IO;
}

void ld_file_reader(const struct ld_file *lf, struct ld_mm_reader *mr)
{
    memset(mr, 0, sizeof *mr);
    mr->r.size = vm_file_size(lf->file);
    mr->r.fd = -1;
    mr->r.read = mm_read;
    mr->m = lf->m;
    mr->f = lf->file;
}

/* ---- exports ----------------------------------------------------------------------- */

static uint32_t name_hash(const char *s)
{
    uint32_t h = 2166136261u;                 /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (uint8_t)*s) * 16777619u;
    return h;
}

static int exports_index(struct ld_file *lf)
{
    const struct ld_image *img = lf->img;
    uint32_t cap = 16;
    while (cap < 2 * img->n_exports + 16)
        cap *= 2;
    lf->exp_slot = calloc(cap, sizeof *lf->exp_slot);
    if (lf->exp_slot == NULL)
        return -1;
    lf->exp_mask = cap - 1;
    for (size_t i = 0; i < img->n_exports; i++) {
        const char *name = ld_str(img, img->exports[i].name);
        if (img->exports[i].name == 0 || ld_file_export(lf, name) != NULL)
            continue;                         /* by ordinal only, or a duplicate */
        uint32_t k = name_hash(name) & lf->exp_mask;
        while (lf->exp_slot[k])
            k = (k + 1) & lf->exp_mask;
        lf->exp_slot[k] = (uint32_t)i + 1;
    }
    return 0;
}

const struct ld_export *ld_file_export(const struct ld_file *lf, const char *name)
{
    const struct ld_image *img = lf->img;
    for (uint32_t k = name_hash(name) & lf->exp_mask; lf->exp_slot[k]; k = (k + 1) & lf->exp_mask) {
        const struct ld_export *e = &img->exports[lf->exp_slot[k] - 1];
        if (strcmp(ld_str(img, e->name), name) == 0)
            return e;
    }
    return NULL;
}

const struct ld_export *ld_file_export_ordinal(const struct ld_file *lf, uint32_t ord)
{
    /* PE exports are listed by ordinal: a binary search */
    const struct ld_image *img = lf->img;
    size_t lo = 0, hi = img->n_exports;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (img->exports[mid].ordinal < ord)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < img->n_exports && img->exports[lo].ordinal == ord ? &img->exports[lo] : NULL;
}

/* ---- the cache ----------------------------------------------------------------------- */

static void ld_file_free(void *aux)
{
    struct ld_file *lf = aux;
    if (lf == NULL)
        return;
    ld_image_free(lf->img);
    free(lf->bytes);
    free(lf->exp_slot);
    free(lf->sym_scope);
    free(lf->sym_obj);
    free(lf->sym_addr);
    free(lf);
}

static void set_base_name(struct ld_file *lf, const char *path)
{
    const char *slash = strrchr(path, '/');
    const char *name = slash ? slash + 1 : path;
    int pe = lf->img->format == LD_PE32 || lf->img->format == LD_PE32PLUS;
    size_t n = 0;
    for (; name[n] && n + 1 < sizeof lf->base_name; n++)
        lf->base_name[n] = pe ? (char)tolower((unsigned char)name[n]) : name[n];
    lf->base_name[n] = '\0';
}

vml_status ld_file_get(vml_machine *m, const char *path, struct ld_file **out, char *err,
                       size_t err_size)
{
    struct mm_file *f;
    vml_status st = vm_file_open(m, path, 0, &f);
    err[0] = '\0';
    if (st != VML_OK) {
        snprintf(err, err_size, "%s", vml_last_error(m));
        return st;
    }
    if ((*out = vm_file_aux(f)) != NULL)
        return VML_OK;
    uint64_t size = vm_file_size(f);
    if (size > LD_MAX_IMAGE_SIZE) {
        snprintf(err, err_size, "image: %s is %llu bytes, more than the loader's limit of %llu",
                 path, (unsigned long long)size, (unsigned long long)LD_MAX_IMAGE_SIZE);
        return VML_E_RANGE;
    }
    /* One read of the whole file; the parsers then read memory. */
    uint8_t *bytes = malloc(size ? (size_t)size : 1);
    struct ld_file *lf = calloc(1, sizeof *lf);
    if (bytes == NULL || lf == NULL) {
        free(bytes);
        free(lf);
        return VML_E_NOMEM;
    }
    if (size && vm_file_pread(m, f, 0, bytes, (size_t)size) != 0) {
        free(bytes);
        free(lf);
        snprintf(err, err_size, "image: cannot read %s", path);
        return VML_E_IO;
    }
    struct ld_reader r;
    ld_reader_mem(&r, bytes, (size_t)size);
    st = ld_image_parse(&r, &lf->img, err, err_size);
    if (st != VML_OK) {
        free(bytes);
        free(lf);
        return st;
    }
    lf->bytes = bytes;
    lf->size = size;
    lf->m = m;
    lf->file = f;
    set_base_name(lf, path);
    if (exports_index(lf) != 0) {
        ld_file_free(lf);
        return VML_E_NOMEM;
    }
    vm_file_set_aux(f, lf, ld_file_free);
    *out = lf;
    return VML_OK;
}

/* ---- modules -------------------------------------------------------------------------- */

struct ld_file *ld_module_file(const struct vad *v)
{
    struct mm_file *f = vm_vad_file(v);
    return f ? vm_file_aux(f) : NULL;
}

struct vad *ld_module_at(vml_proc *p, vml_va base)
{
    struct vad *v = vad_find(vm_vads(p), base >> 12);
    return v && v->load_count && (v->start_vpn << 12) == base ? v : NULL;
}

/* Does module file name mod answer to name (PE: no case, ".dll" optional)? */
static int name_matches(const struct ld_file *lf, const char *name)
{
    int pe = lf->img->format == LD_PE32 || lf->img->format == LD_PE32PLUS;
    const char *slash = strrchr(name, '/');
    const char *base = slash ? slash + 1 : name;
    if (!pe)
        return strcmp(lf->base_name, base) == 0;
    size_t n = strlen(base), k = strlen(lf->base_name);
    if (strncasecmp(lf->base_name, base, n) != 0)
        return 0;
    return n == k || (k == n + 4 && strcmp(lf->base_name + n, ".dll") == 0);
}

struct vad *ld_module_named(vml_proc *p, const char *name)
{
    for (struct vad *v = vad_first(vm_vads(p)); v; v = vad_next(v)) {
        struct ld_file *lf;
        if (v->load_count && (lf = ld_module_file(v)) != NULL && name_matches(lf, name))
            return v;
    }
    return NULL;
}
