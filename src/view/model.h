/*
** model.h -- view models: what a view shows, read once from the machine
** through the public API, then rendered by the text, JSON, diagram and
** HTML/SVG renderers.  No renderer reads the machine for a number another
** renderer shows from the model, so no format is a hand-kept copy of
** another.
**
**   model            built by            rendered by
**   vw_vad_model     vw_vad_build        !vad (text, JSON), diagram vad,
**                                        diagram space, the report's VAD
**                                        trees and address-space strips
**   vw_walk_model    vw_walk_build       !pte, vtop, diagram walk
**   vw_mem_model     vw_mem_build        !memusage, diagram lists, the
**                                        report's lists and standby
**   vw_tm_model      vw_tm_build         taskmgr, the report's processes
**   vw_frames_model  vw_frames_build     diagram lists' frame map, the
**                                        report's Use Counts and frame map
**   vw_vmm_model     vw_vmm_build        vmmap, the report's "By type"
**
** INVARIANTS (of every model; a builder returns VML_E_CORRUPT when the
** machine contradicts one, and the model is then empty):
**   VW1  A built model owns its memory: vw_*_free() releases all of it and
**        leaves an empty model (freeing twice is harmless).
**   VW2  A builder that fails leaves *out empty (nothing to free).
**   VW3  vw_vad_model: rows in address order; parent/left/right describe
**        the tree the levels imply (a child's level is its parent's + 1),
**        heights and balances follow from it (VAD4 seen from outside).
**   VW4  vw_frames_model: the use x list matrix adds up to n_frames, as
**        do the class counts.
*/
#ifndef VML_VIEW_MODEL_H
#define VML_VIEW_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "vmlab.h"

#define VW_NONE SIZE_MAX

/* ---- region kinds: what the pictures call an address range -------------- */

/* A region's kind comes from data, not from code: VMMap's type of the VAD
** (vw_vmm_type_of: Image, Mapped File, Shareable, Heap, Stack, Private
** Data), except that any other VAD named "[foo]" is of a kind foo of its
** own.  A kind nobody listed still gets a stable colour (a hash of its
** slug), so new kinds show without code changes. */
struct vw_kind {
    char     slug[24];       /* [a-z0-9-]: CSS class, legend key */
    char     label[32];      /* "Private Data", "Heap" */
    unsigned colour;         /* index into the palette (VW_N_COLOURS) */
};
#define VW_N_COLOURS 12
void vw_kind_of(vml_proc *p, const vml_vad_info *v, struct vw_kind *out);
/* The palette: an SVG/CSS colour and the nearest ANSI colour (30-37,
** 90-97) of each index. */
const char *vw_colour_css(unsigned colour);
unsigned    vw_colour_ansi(unsigned colour);

/* ---- the VAD tree --------------------------------------------------------- */

struct vw_vad_row {
    vml_vad_info v;          /* name and file point into the machine */
    uint64_t node;           /* !vad's made-up node address */
    uint32_t protect;        /* the creation protection as Win32 PAGE_* */
    uint64_t shared_commit;  /* what it adds to "Total shared commit" */
    char     name[300];      /* !vad's name column ("" none) */
    struct vw_kind kind;
    vml_mem_usage use;       /* with VW_VAD_USAGE: what smaps counts of it */
    size_t   parent, left, right;   /* rows, VW_NONE */
    int      height;         /* 1 for a leaf */
    int      balance;        /* height(right) - height(left) */
};

struct vw_vad_model {
    vml_proc *p;
    unsigned  pid;
    int       ptr;           /* 8 or 4 bytes */
    struct vw_vad_row *rows;
    size_t    n;
    size_t    root;          /* VW_NONE when empty */
    uint64_t  level_sum, max_level, avg_level;
    uint64_t  private_commit, shared_commit;
};
#define VW_VAD_USAGE 0x1u    /* vw_vad_build: also each VAD's vml_mem_usage */
vml_status vw_vad_build(vml_proc *p, unsigned flags, struct vw_vad_model *out);
void       vw_vad_free(struct vw_vad_model *mdl);

/* ---- a translation -------------------------------------------------------- */

struct vw_walk_level {
    vml_walk_step s;
    const char   *dbg_name;  /* WinDbg's: PXE, PPE, PDE, PTE, PML5E, PDPTE */
    vml_pte_info  pi;        /* the entry decoded */
    char          flags[12]; /* WinDbg's status letters (valid entries) */
};

struct vw_walk_model {
    vml_proc    *p;
    vml_machine *m;
    vml_va       va;
    vml_config   cfg;
    vml_layout   lo;
    int          wide;       /* 64-bit addresses */
    int          has_nx;     /* not legacy 32-bit */
    vml_walk     w;
    unsigned     n_shown;    /* levels up to the one that stops the walk */
    unsigned     stop;       /* index of that level, n_steps when complete */
    struct vw_walk_level lv[5];
    /* A zero entry is resolved from the VAD, as the memory manager does:
    ** committed with this protection, or not committed. */
    int          zero_committed;
    uint32_t     zero_protect;
    /* The frame the walk ends in (present), or a transition PTE names. */
    int          have_frame;
    vml_pfn_info frame;
};
vml_status vw_walk_build(vml_proc *p, vml_va va, struct vw_walk_model *out);

/* ---- the page lists --------------------------------------------------------- */

struct vw_mem_proc {
    unsigned    pid;
    const char *name;
    uint64_t    ws_bytes, pt_pages;
};

struct vw_mem_model {
    uint64_t total, unknown, pagetables;
    uint64_t list[VML_N_LISTS];
    uint64_t standby[VML_STANDBY_PRIORITIES];
    struct vw_mem_proc *procs;
    size_t   n_procs;
};
vml_status vw_mem_build(vml_machine *m, struct vw_mem_model *out);
void       vw_mem_free(struct vw_mem_model *mdl);

/* ---- Task Manager's columns --------------------------------------------------- */

#define VW_TM_N 9
#define VW_TM_SIZES 7        /* the first ones are sizes (bytes) */
extern const vml_proc_stat vw_tm_counters[VW_TM_N];
extern const char *const   vw_tm_keys[VW_TM_N];
extern const char *const   vw_tm_headers[VW_TM_N];

struct vw_tm_row {
    vml_proc   *p;
    unsigned    pid;
    const char *name;
    uint64_t    v[VW_TM_N];
};
struct vw_tm_model {
    struct vw_tm_row *rows;
    size_t n;
    size_t name_width;       /* the Name column, 4..40 */
};
vml_status vw_tm_build(vml_machine *m, struct vw_tm_model *out);
void       vw_tm_free(struct vw_tm_model *mdl);

/* ---- physical frames: lists x uses, the frame map ------------------------------ */

/* A frame's class in the pictures: its list, or for an active frame its
** use (what the colour and the letter of the frame map show). */
enum vw_fclass {
    VW_FC_PRIVATE, VW_FC_SHAREABLE, VW_FC_FILE, VW_FC_IMAGE, VW_FC_PAGETABLE, VW_FC_KERNEL,
    VW_FC_STANDBY, VW_FC_MODIFIED, VW_FC_MODNOWRITE, VW_FC_FREE, VW_FC_ZEROED, VW_FC_BAD,
    VW_FC_ROM, VW_N_FCLASSES
};
struct vw_fclass_def {
    const char *slug, *label;
    char        letter;      /* the frame map's ASCII cell */
    unsigned    colour;      /* palette index */
};
extern const struct vw_fclass_def vw_fclasses[VW_N_FCLASSES];

struct vw_frames_model {
    uint64_t  n_frames;
    uint8_t  *cls;                           /* n_frames classes */
    uint64_t  use_list[VML_N_USES][VML_N_LISTS];
    uint64_t  per_class[VW_N_FCLASSES];
};
vml_status vw_frames_build(vml_machine *m, struct vw_frames_model *out);
void       vw_frames_free(struct vw_frames_model *mdl);

/* Frames per cell when n_frames must fit in max_cells cells: a power of
** two, 1 when they fit. */
uint64_t   vw_frames_group(uint64_t n_frames, uint64_t max_cells);
/* The class a cell of `group` frames starting at first shows: the most
** common one (ties: the lower class). */
enum vw_fclass vw_frames_cell(const struct vw_frames_model *mdl, uint64_t first, uint64_t group);

/* ---- VMMap's summary of a process --------------------------------------------- */

/* Sysinternals VMMap's types, in its order (vmmap, the report's "By type"
** of each process). */
enum vw_vmm_type { VW_VMM_IMAGE, VW_VMM_MAPPED, VW_VMM_SHAREABLE, VW_VMM_HEAP, VW_VMM_STACK,
                   VW_VMM_PRIVATE, VW_VMM_PAGETABLE, VW_VMM_FREE, VW_VMM_TOTAL, VW_N_VMM };
extern const char *const vw_vmm_names[VW_N_VMM];

struct vw_vmm_row {
    uint64_t size, committed, ws, ws_private, ws_shareable, ws_shared, blocks;   /* bytes */
};
struct vw_vmm_model {
    struct vw_vmm_row r[VW_N_VMM];
};
/* The type of a VAD: an image's (or inside a loaded module), a heap or a
** stack by its name, else what backs it. */
enum vw_vmm_type vw_vmm_type_of(vml_proc *p, const vml_vad_info *v);
vml_status vw_vmm_build(vml_proc *p, struct vw_vmm_model *out);

/* ---- sizes ------------------------------------------------------------------ */

/* "12 KiB", "1.5 MiB", "128 TiB" (binary units, at most one decimal). */
const char *vw_size(uint64_t bytes, char *buf, size_t size);

#endif /* VML_VIEW_MODEL_H */
