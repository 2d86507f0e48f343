/*
** load.h -- what the image loaders (winload.c: Windows' loader and image
** sections; elfload.c: Linux's execve and ld.so) share: a machine file's
** parsed image, kept with the file so that every later load of it parses
** nothing, with a hash of its exports; the modules a process has loaded.
**
** A module is a mapping the loader made and counts: on Windows the Image
** VAD of the image (one per module), on Linux the first mapping of an
** object (its other PT_LOAD mappings follow it).  The VAD's load_count
** holds the loader's references (LoadLibrary, dlopen; 0: not a module).
*/
#ifndef VML_LOADER_LOAD_H
#define VML_LOADER_LOAD_H

#include <stddef.h>
#include <stdint.h>
#include "vmlab.h"
#include "mm/vm.h"
#include "image.h"

/* What the loader keeps of a file (vm_file_aux()). */
struct ld_file {
    vml_machine     *m;
    struct mm_file  *file;
    struct ld_image *img;
    uint8_t         *bytes;          /* the file's bytes as parsed (what a loader
                                     ** computes pages from; page-ins read the file) */
    uint64_t         size;
    uint32_t        *exp_slot;       /* open addressing: export index + 1, 0 empty */
    uint32_t         exp_mask;
    /* Windows: the image section, relocated for sys_base (the base this
    ** image gets in every process this boot, when it can) */
    struct segment  *seg;
    uint64_t         sys_base;
    char             base_name[64];  /* "pedll64.dll", "libc.so.6" (lowercase for PE) */
    /* ELF: how its symbol relocations resolved in the scope sym_scope
    ** (the objects' files, in order) the last time: the object index or
    ** -1, and the symbol's address less that object's load bias.  A load
    ** with the same scope (every execve of one program) looks nothing up. */
    struct ld_file **sym_scope;
    size_t           sym_scope_n;
    int16_t         *sym_obj;
    uint64_t        *sym_addr;
};

/* The parsed image of the file at path (opened read-only: relative paths
** in the machine's file directory, others on the host), parsed on first
** use.  VML_E_NOT_FOUND, VML_E_SYNTAX / VML_E_UNSUPPORTED / VML_E_RANGE (a
** malformed or unsupported file: the parser's message in err), VML_E_IO,
** VML_E_NOMEM, VML_E_INVALID (a directory). */
vml_status ld_file_get(vml_machine *m, const char *path, struct ld_file **out, char *err,
                       size_t err_size);
/* The export named name, or NULL.  O(1). */
const struct ld_export *ld_file_export(const struct ld_file *lf, const char *name);
/* The export of biased ordinal ord (PE), or NULL. */
const struct ld_export *ld_file_export_ordinal(const struct ld_file *lf, uint32_t ord);
/* A reader over the file of lf (page-ins: through the machine's I/O). */
struct ld_mm_reader {
    struct ld_reader r;          /* first: the parsers see only this */
    vml_machine     *m;
    struct mm_file  *f;
};
void       ld_file_reader(const struct ld_file *lf, struct ld_mm_reader *r);

/* ---- modules -------------------------------------------------------------------------- */

/* The module whose first mapping starts at base, or NULL. */
struct vad *ld_module_at(vml_proc *p, vml_va base);
/* The module of process p whose file's base name is name (a PE name
** compares without case, and ".dll" may be left out), or NULL. */
struct vad *ld_module_named(vml_proc *p, const char *name);
/* The loader's record of a module VAD. */
struct ld_file *ld_module_file(const struct vad *v);

/* The value an import the loader could not resolve gets in its slot: a
** recognizable pattern naming the import (index k of the image's list). */
#define LD_UNRESOLVED64(k) (UINT64_C(0xBAD1000000000000) | (uint64_t)(k))
#define LD_UNRESOLVED32(k) (UINT32_C(0xBAD10000) | ((uint32_t)(k) & 0xFFFFu))

#endif
