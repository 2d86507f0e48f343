/*
** section.h -- what backs shared pages: segments (Windows' control area +
** segment: the prototype PTEs of a pagefile-backed section, of a file's
** data, of an image), section objects (what a handle names), the clone
** pool (pages shared copy-on-write after fork, or aliased by setpte), and
** handle tables (Win32 handles, posix descriptors).
**
** Prototype PTEs are numbered machine-wide ("proto ids"): a segment holds
** the range [proto_base, proto_base + n_pages), the clone pool the ids
** from clone_base up.  A process PTE names one by its id while the page is
** not valid in that process (pte.h's prototype format); a frame holding a
** prototype's page points back at it by its address in the paged pool
** (proto_va()), as Windows' MMPFN.PteAddress does.  Prototype PTEs hold
** 64-bit memory-manager entries whatever the paging mode:
**   P=1, frame       the page is in memory, valid in some process
**   transition       the page is on the standby or modified list
**   pagefile slot    the page is in the pagefile
**   0                the backing has it: the file (at the page's offset),
**                    or demand-zero for pagefile-backed memory
**   MM_DECOMMIT      SEC_RESERVE: not committed yet
*/
#ifndef VML_MM_SECTION_H
#define VML_MM_SECTION_H

#include <stddef.h>
#include <stdint.h>
#include "vmlab.h"
#include "hw/paging.h"
#include "pte.h"
#include "handle.h"

struct vad;
struct mm_file;
struct vml_proc;

enum seg_kind { SEG_PAGEFILE, SEG_FILE, SEG_IMAGE };

struct segment {
    uint32_t   id;              /* control area number (views print it) */
    uint8_t    kind;            /* enum seg_kind */
    uint8_t    reserve;         /* SEC_RESERVE: pages are committed one by one */
    uint8_t    shmem;           /* a posix MAP_SHARED|MAP_ANONYMOUS object */
    uint64_t   n_pages;
    uint64_t   proto_base;      /* id of its first prototype PTE */
    uint64_t  *proto;           /* n_pages prototype PTEs (the paged pool) */
    struct mm_file *file;       /* SEG_FILE, SEG_IMAGE */
    uint32_t   n_refs;          /* section objects, posix views, a file's cache */
    uint32_t   n_views;         /* VADs mapping it */
    struct vad *views;          /* those VADs, chained by vad->next_view */
    uint64_t   commit_pages;    /* pagefile-backed: pages charged to the system */
    uint64_t   n_frames;        /* frames holding its pages (any list) */
    /* SEG_IMAGE: how a page comes in (vm.h's vm_image_ops), each page's
    ** MM protection, and the pages a view may write (its commit charge) */
    const struct vm_image_ops *img_ops;
    void      *img_ctx;
    uint8_t   *page_prot;
    uint64_t   image_commit;
};

/* A section object: what CreateFileMapping's handle names. */
struct section {
    uint32_t   id;
    uint32_t   n_refs;          /* handles and views */
    struct segment *seg;
    uint64_t   size;            /* MaximumSize, bytes */
    uint32_t   protect;         /* PAGE_* of the section's pages */
    uint32_t   attrs;           /* VML_SEC_* */
    char      *name;            /* in the machine's namespace, or NULL */
};

/* ---- prototype PTEs -------------------------------------------------------------- */

static inline uint64_t proto_valid(vml_pfn pfn)      { return (pfn << 12) | PG_P; }
static inline uint64_t proto_transition(vml_pfn pfn) { return (pfn << 12) | SW_TRANSITION; }
static inline uint64_t proto_pagefile(uint64_t slot) { return (slot + 1) << 32; }
#define PROTO_DECOMMIT ((uint64_t)MM_DECOMMIT << SW_PROT_SHIFT)
/* VALID, ZERO ("in the backing"), TRANSITION, PAGEFILE or DECOMMITTED. */
vml_pte_kind proto_kind(uint64_t proto);
static inline vml_pfn  proto_pfn(uint64_t proto)  { return (proto & PG_FRAME64) >> 12; }
static inline uint64_t proto_slot(uint64_t proto) { return (proto >> 32) - 1; }

/* The prototype PTE of id, or NULL when no segment or clone page has it. */
uint64_t  *proto_ptr(const vml_machine *m, uint64_t id);
/* Its address in the paged pool (PFN back-pointers, views), and back. */
uint64_t   proto_va(const vml_machine *m, uint64_t id);
int        proto_id_of_va(const vml_machine *m, uint64_t va, uint64_t *id);
/* The segment and page index of a segment's proto id (NULL: a clone page). */
struct segment *proto_segment(const vml_machine *m, uint64_t id, uint64_t *index);
int        proto_is_clone(const vml_machine *m, uint64_t id);

/* ---- segments --------------------------------------------------------------------- */

/* A segment of n_pages prototype PTEs, all 0 (or PROTO_DECOMMIT when
** reserve), holding one reference.  VML_E_NOMEM; VML_E_RANGE when the
** proto ids are used up. */
vml_status seg_create(vml_machine *m, enum seg_kind kind, uint64_t n_pages, int reserve,
                      struct mm_file *file, struct segment **out);
/* Room for a segment of n_pages more pages (a file's segment grows with
** its file): VML_E_NOMEM, VML_E_RANGE. */
vml_status seg_grow(vml_machine *m, struct segment *seg, uint64_t n_pages);
void       seg_ref(struct segment *seg);
/* Drops a reference; the last one destroys it: its frames are freed, its
** pagefile slots and its commit charge given back. */
void       seg_unref(vml_machine *m, struct segment *seg);
/* The data segment of a file (created on first use; the file keeps it). */
vml_status seg_of_file(vml_machine *m, struct mm_file *f, struct segment **out);
/* Drops every cached page of a segment that no view maps (a file being
** replaced): frames freed, prototype PTEs back to 0.  Modified pages are
** discarded.  VML_E_EXISTS when a view maps it. */
vml_status seg_purge(vml_machine *m, struct segment *seg);
/* Views: a VAD now maps / no longer maps seg. */
void       seg_view_add(struct segment *seg, struct vad *v);
void       seg_view_del(struct segment *seg, struct vad *v);

/* ---- section objects --------------------------------------------------------------- */

vml_status section_create(vml_machine *m, struct segment *seg, uint64_t size, uint32_t protect,
                          uint32_t attrs, const char *name, struct section **out);
struct section *section_find(vml_machine *m, const char *name);
void       section_ref(struct section *s);
void       section_unref(vml_machine *m, struct section *s);

/* ---- the clone pool ------------------------------------------------------------------ */

struct clone_ref {
    unsigned pid;
    uint32_t next;            /* next reference of the page; CLONE_NIL ends */
    vml_va   va;
};
#define CLONE_NIL  UINT32_MAX
#define CLONE_FREE UINT32_MAX      /* n_refs of a page not in use */

struct clone_pool {
    uint64_t  base;           /* proto id of page 0 */
    uint64_t *proto;
    uint32_t *n_refs;         /* PTEs (valid or prototype) naming each page;
                              ** CLONE_FREE: a free page, chained by first_ref */
    uint32_t *first_ref;
    uint32_t  cap, used, free_head;
    struct clone_ref *refs;
    uint32_t  refs_cap, refs_used, refs_free;
};

/* Room for n_pages more clone pages and n_refs more references: after it,
** clone_alloc and clone_ref_add cannot fail for that many. */
vml_status clone_reserve(vml_machine *m, uint64_t n_pages, uint64_t n_refs);
/* A clone page holding proto (no references yet): its id. */
uint64_t   clone_alloc(vml_machine *m, uint64_t proto);
void       clone_ref_add(vml_machine *m, uint64_t id, unsigned pid, vml_va va);
/* Drops (pid, va)'s reference; returns the references left.  At 0 the
** page is the caller's to empty, then clone_free(). */
uint32_t   clone_ref_del(vml_machine *m, uint64_t id, unsigned pid, vml_va va);
void       clone_free(vml_machine *m, uint64_t id);
uint32_t   clone_refs(const vml_machine *m, uint64_t id);

int        section_check(vml_machine *m, char *msg, size_t size);
void       section_fini(vml_machine *m);

#endif
