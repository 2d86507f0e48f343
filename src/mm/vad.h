/*
** vad.h -- the VAD tree: one node per allocation of a process's user
** address space, kept in an AVL tree ordered by start page (Windows keeps
** its VADs in an AVL tree; Linux its VMAs in a red-black, now maple, tree).
** See vad.c for the invariants.
*/
#ifndef VML_MM_VAD_H
#define VML_MM_VAD_H

#include <stddef.h>
#include <stdint.h>

struct segment;
struct section;
struct vml_proc;

/* How fork passes a VAD to the child (Linux's VM_SHARED / VM_DONTCOPY;
** Windows' ViewShare/ViewUnmap inheritance of views). */
enum vad_inherit { VAD_INHERIT_COPY = 0, VAD_INHERIT_SHARE, VAD_INHERIT_NONE };

/* A VAD describes a range of one process's addresses and what backs it:
** private memory (seg == NULL: its PTEs are the only record of its pages),
** or a view of a segment at a page offset. */
struct vad {
    struct vad *left, *right, *parent;
    int         height;        /* AVL height; a leaf has height 1 */
    uint64_t    start_vpn;     /* first page, inclusive */
    uint64_t    end_vpn;       /* last page, inclusive (as WinDbg prints) */
    uint64_t    alloc_base_vpn;/* VirtualQuery's AllocationBase (win32) */
    uint64_t    commit_pages;  /* committed pages charged to this VAD */
    uint32_t    protect;       /* Win32 PAGE_* it was created with; a
                               ** zero PTE's protection */
    int         prot;          /* posix PROT_* (posix VMAs) */
    int         map_flags;     /* posix MAP_* (posix VMAs) */
    uint8_t     type;          /* VML_VAD_PRIVATE / MAPPED / IMAGE */
    uint8_t     origin;        /* VML_ORIGIN_WIN32 / POSIX */
    uint8_t     mem_commit;    /* whole range committed at creation: a zero
                               ** PTE inside it means demand-zero */
    uint8_t     inherit;       /* enum vad_inherit */
    uint8_t     cow;           /* a view whose writes take private copies
                               ** (FILE_MAP_COPY, MAP_PRIVATE) */
    uint8_t     no_write;      /* posix: MAP_SHARED of a file not open for
                               ** writing, which may never be made writable
                               ** (Linux: a VMA without VM_MAYWRITE) */
    uint8_t     accounted;     /* a posix view charged to commit (VM_ACCOUNT:
                               ** private and writable once; mprotect that
                               ** takes write away keeps the charge) */
    uint32_t    anon_id;       /* posix: its anon_vma (0: never faulted) */
    uint32_t    mmprot_of;     /* the protect value mmprot was computed for */
    uint8_t     mmprot;        /* MM protection of protect (a cache: page.c) */
    struct vml_proc *proc;     /* the process it belongs to */
    struct segment *seg;       /* views: what they map; NULL: private */
    struct section *section;   /* views made from a section object */
    uint64_t    seg_offset;    /* views: the segment page at start_vpn */
    struct vad *next_view;     /* the segment's other views */
    uint32_t    load_count;    /* a loaded module's first mapping: the
                               ** loader's references (LoadLibrary, dlopen) */
    char        name[48];      /* "" or a description ("[heap]") */
    /* How a stack grows (stack.c): VAD_STACK_GUARD, a Win32 thread stack
    ** whose guard page moves down; a posix VMA grows down when its
    ** map_flags have MAP_GROWSDOWN. */
    uint8_t     stack;
    uint8_t     stack_cell_size;   /* 4 or 8: the size of *stack_cell */
    uint8_t     usage;             /* VML_USAGE_*: what a personality made it for */
    uint64_t    stack_cell;    /* GUARD: where the lowest committed page's address
                               ** is written after a growth (TEB.NtTib.StackLimit);
                               ** 0: nowhere */
    uint64_t    usage_tag;     /* HEAP: the heap; STACK, TEB: the thread id */
};

/* vad.stack */
enum vad_stack { VAD_STACK_NONE = 0, VAD_STACK_GUARD };

struct vad_tree {
    struct vad *root;
    size_t      count;
};

void        vad_tree_init(struct vad_tree *t);
/* Inserts v (caller has checked that it overlaps no other node). O(log n). */
void        vad_insert(struct vad_tree *t, struct vad *v);
/* Unlinks v from the tree (does not free it). O(log n). */
void        vad_remove(struct vad_tree *t, struct vad *v);
/* The node containing vpn, or NULL. O(log n). */
struct vad *vad_find(const struct vad_tree *t, uint64_t vpn);
/* The first node whose end_vpn >= vpn, or NULL. O(log n). */
struct vad *vad_lookup_ge(const struct vad_tree *t, uint64_t vpn);
/* The first node overlapping [lo, hi] (inclusive), or NULL. O(log n). */
struct vad *vad_overlap(const struct vad_tree *t, uint64_t lo, uint64_t hi);
struct vad *vad_first(const struct vad_tree *t);
struct vad *vad_last(const struct vad_tree *t);
struct vad *vad_next(const struct vad *v);   /* in address order */
struct vad *vad_prev(const struct vad *v);
/* Depth of v (root = 0), as !vad's "Level" column. */
unsigned    vad_depth(const struct vad *v);
/* Finds n_pages free pages inside [lo_vpn, hi_vpn] whose start is a
** multiple of align_pages; top_down picks the highest such range.
** Returns 1 and *start_vpn, or 0 when there is no room. */
int         vad_find_gap(const struct vad_tree *t, uint64_t lo_vpn, uint64_t hi_vpn,
                         uint64_t n_pages, uint64_t align_pages, int top_down,
                         uint64_t *start_vpn);
/* Frees every node with free_fn (may be NULL) and empties the tree. */
void        vad_tree_clear(struct vad_tree *t, void (*free_fn)(struct vad *v));
/* Checks invariants VAD1-VAD5 (vad.c).  Returns 0 when they hold, else -1
** with a message naming the invariant in msg. */
int         vad_check(const struct vad_tree *t, char *msg, size_t size);

#endif
