/*
** views.c -- views of sections: section objects and shared anonymous
** objects for the personalities, mapping a view, what happens to its
** pages when it goes, flushing a file view, madvise, and the machine's
** files as os/ sees them.
**
** A view is a VAD whose seg is set: a zero PTE in it means "the segment's
** page at seg_offset + (page - start)", reached through its prototype PTE.
** The view holds a reference on its segment (and on its section object,
** when it was made from one), and is chained on the segment's views.
**
** INVARIANTS: SEC2 (section.c) for the view chains; VM1 (virtual.c) for a
** view's charge.
**
** TRANSITIONS:
**   free -> view                 vm_map_view()
**   view -> free                 vm_release() -> vm_view_gone()
**   SEC_RESERVE page -> committed   vm_commit_view()
**   modified file page -> written   vm_flush(), unmapping
*/
#include <stdlib.h>
#include <string.h>
#include "machine.h"

/* ---- section objects --------------------------------------------------------------- */

vml_status vm_section_create(vml_machine *m, struct mm_file *file, uint64_t size, uint32_t protect,
                             uint32_t attrs, const char *name, struct section **out)
{
    struct segment *seg;
    vml_status st;
    uint64_t n_pages = (size + VML_PAGE_SIZE - 1) >> VML_PAGE_SHIFT;
    int reserve = (attrs & VML_SEC_RESERVE) != 0;
    if (file) {
        if ((st = seg_of_file(m, file, &seg)) != VML_OK)
            return st;
        seg_ref(seg);
    } else {
        if (!reserve && (n_pages > m->commit_limit ||
                         m->st.commit_charge > m->commit_limit - n_pages))
            return mm_fail(m, VML_E_COMMIT, "a section of %llu pages would take the commit "
                           "charge past the commit limit of %llu pages",
                           (unsigned long long)n_pages, (unsigned long long)m->commit_limit);
        if ((st = seg_create(m, SEG_PAGEFILE, n_pages, reserve, NULL, &seg)) != VML_OK)
            return st;
    }
    st = section_create(m, seg, size, protect, attrs, name, out);
    seg_unref(m, seg);                 /* the section object holds it now (or nothing) */
    if (st != VML_OK)
        return st;
    if (!file && !reserve) {
        seg->commit_pages = n_pages;   /* SEC_COMMIT: charged when created */
        m->st.commit_charge += n_pages;
        if (m->st.commit_charge > m->st.commit_peak)
            m->st.commit_peak = m->st.commit_charge;
    }
    return VML_OK;
}

struct section *vm_section_find(vml_machine *m, const char *name) { return section_find(m, name); }
void vm_section_ref(struct section *s) { section_ref(s); }
void vm_section_unref(vml_machine *m, struct section *s) { section_unref(m, s); }
uint64_t vm_section_size(const struct section *s) { return s->size; }
uint32_t vm_section_protect(const struct section *s) { return s->protect; }
uint32_t vm_section_attrs(const struct section *s) { return s->attrs; }
struct mm_file *vm_section_file(const struct section *s) { return s->seg->file; }
struct segment *vm_section_segment(const struct section *s) { return s->seg; }

vml_status vm_shmem_create(vml_machine *m, uint64_t n_pages, struct segment **out)
{
    vml_status st = seg_create(m, SEG_PAGEFILE, n_pages, 0, NULL, out);
    if (st == VML_OK)
        (*out)->shmem = 1;
    return st;
}

vml_status vm_file_segment(vml_machine *m, struct mm_file *f, struct segment **out)
{
    vml_status st = seg_of_file(m, f, out);
    if (st == VML_OK)
        seg_ref(*out);
    return st;
}

void vm_segment_unref(vml_machine *m, struct segment *seg)
{
    seg_unref(m, seg);
}

/* ---- views ------------------------------------------------------------------------------ */

/* A copy-on-write view that can write is charged whole; an image view,
** its writable pages (Windows' ImageCommitment). */
uint64_t vm_view_charge(const struct vad *v)
{
    if (v->seg->kind == SEG_IMAGE) {
        uint64_t n = 0;
        for (uint64_t i = v->seg_offset; i <= v->seg_offset + (v->end_vpn - v->start_vpn) &&
                                         i < v->seg->n_pages; i++)
            n += mmprot_writecopy(v->seg->page_prot[i]) != 0;
        return n;
    }
    if (v->origin == VML_ORIGIN_POSIX)
        return v->accounted ? v->end_vpn - v->start_vpn + 1 : 0;
    int prot = mmprot_from_win32(v->protect);
    return v->cow && prot >= 0 && mmprot_writecopy((unsigned)prot) ? v->end_vpn - v->start_vpn + 1
                                                                   : 0;
}

void vm_map_view(vml_proc *p, struct vad *v, vml_va va, uint64_t n_pages, struct segment *seg,
                 struct section *s, uint64_t offset, uint32_t protect, int cow, unsigned origin)
{
    v->start_vpn = va >> 12;
    v->end_vpn = v->start_vpn + n_pages - 1;
    v->alloc_base_vpn = v->start_vpn;
    v->protect = protect;
    v->origin = (uint8_t)origin;
    v->type = VML_VAD_MAPPED;
    v->cow = (uint8_t)(cow != 0);
    v->seg = seg;
    v->section = s;
    v->seg_offset = offset;
    v->inherit = VAD_INHERIT_SHARE;
    int mmprot = mmprot_from_win32(protect);
    v->accounted = origin == VML_ORIGIN_POSIX && cow && mmprot >= 0 &&
                   mmprot_writecopy((unsigned)mmprot);
    uint64_t charge = vm_view_charge(v);
    seg_ref(seg);
    seg_view_add(seg, v);
    if (s)
        section_ref(s);
    vm_insert(p, v);
    vm_stat_commit(p, v, (int64_t)charge);
    vm_vad_event(p, v, cow ? "map view (copy-on-write)" : "map view");
}

void vm_view_account(vml_proc *p, struct vad *v)
{
    if (v->accounted || v->origin != VML_ORIGIN_POSIX)
        return;
    v->accounted = 1;
    vm_stat_commit(p, v, (int64_t)(v->end_vpn - v->start_vpn + 1));
}

/* Writes the modified pages of segment pages [first, first + n) of a file
** to the file (unmapping, flushing).  0 or the first error. */
static int write_back(vml_machine *m, struct segment *seg, uint64_t first, uint64_t n)
{
    int err = 0;
    if (seg->kind != SEG_FILE || seg->n_frames == 0 || !seg->file->writable)
        return 0;       /* nothing in memory, or a read-only file: nothing to write */
    for (uint64_t i = first; i < first + n && i < seg->n_pages; i++) {
        uint64_t proto = seg->proto[i];
        vml_pte_kind kind = proto_kind(proto);
        if (kind != VML_PTE_VALID && kind != VML_PTE_TRANSITION)
            continue;
        vml_pfn pfn = proto_pfn(proto);
        if (!(m->pfn[pfn].flags & VML_PFN_MODIFIED))
            continue;
        int e = mpw_write_file_page(m, pfn);
        if (e && !err)
            err = e;
    }
    return err;
}

/* A view's VAD is gone (its pages released): modified file pages are
** written back (a failure leaves them modified, for the writer), and the
** references it held go. */
void vm_view_gone(vml_proc *p, struct vad *v)
{
    vml_machine *m = p->m;
    struct segment *seg = v->seg;
    seg_view_del(seg, v);
    write_back(m, seg, v->seg_offset, v->end_vpn - v->start_vpn + 1);
    if (v->section)
        section_unref(m, v->section);
    seg_unref(m, seg);
}

vml_status vm_commit_view(vml_proc *p, struct vad *v, vml_va va, uint64_t n_pages, unsigned mmprot)
{
    vml_machine *m = p->m;
    struct segment *seg = v->seg;
    uint64_t first = v->seg_offset + ((va >> 12) - v->start_vpn), added = 0;
    (void)mmprot;    /* a view's pages keep the view's protection */
    if (!seg->reserve)
        return VML_OK;                 /* every page is committed already */
    for (uint64_t i = first; i < first + n_pages; i++)
        added += seg->proto[i] == PROTO_DECOMMIT;
    if (added > m->commit_limit || m->st.commit_charge > m->commit_limit - added)
        return mm_fail(m, VML_E_COMMIT, "committing %llu section pages would pass the commit "
                       "limit", (unsigned long long)added);
    for (uint64_t i = first; i < first + n_pages; i++)
        if (seg->proto[i] == PROTO_DECOMMIT)
            seg->proto[i] = 0;
    seg->commit_pages += added;
    m->st.commit_charge += added;
    if (m->st.commit_charge > m->st.commit_peak)
        m->st.commit_peak = m->st.commit_charge;
    return VML_OK;
}

/* ---- flushing ----------------------------------------------------------------------------- */

/* Every PTE that maps pfn gives its Dirty bit to the frame (cleared, the
** TLB entries dropped): the frame's MODIFIED flag then says all. */
static void gather_dirty(vml_machine *m, vml_pfn pfn)
{
    struct rmap_hit one, *hits = &one;
    long n = (long)rmap_collect(m, pfn, &one, 1);
    if (n > 1 && (n = rmap_collect_all(m, pfn, &hits)) < 0)
        return;
    for (long i = 0; i < n; i++) {
        uint64_t pte = pte_read(m, hits[i].pte_pa);
        if (!(pte & PG_D))
            continue;
        pt_update(m, hits[i].pte_pa, pte & ~(uint64_t)PG_D);
        as_invalidate(hits[i].p, hits[i].va);
        m->pfn[pfn].flags |= VML_PFN_MODIFIED;
    }
    if (hits != &one)
        free(hits);
}

int vm_flush(vml_proc *p, struct vad *v, vml_va va, vml_va end)
{
    vml_machine *m = p->m;
    struct segment *seg = v->seg;
    uint64_t first = v->seg_offset + ((va >> 12) - v->start_vpn);
    uint64_t n = (end - va) >> 12;
    if (seg->kind != SEG_FILE)
        return 0;
    for (uint64_t i = first; i < first + n && i < seg->n_pages; i++)
        if (proto_kind(seg->proto[i]) == VML_PTE_VALID)
            gather_dirty(m, proto_pfn(seg->proto[i]));
    return write_back(m, seg, first, n);
}

/* ---- madvise ------------------------------------------------------------------------------ */

void vm_dontneed(vml_proc *p, struct vad *v, vml_va va, vml_va end)
{
    /* Private anonymous memory reads back as zeros; a private file mapping
    ** from its file (its copies go); a shared mapping keeps its data in the
    ** section (man 2 madvise, MADV_DONTNEED).  The zero PTE says each. */
    (void)v;
    vm_unmap_pages(p, va, end);
}

int vm_willneed(vml_proc *p, struct vad *v, vml_va va, vml_va end)
{
    vml_machine *m = p->m;
    struct segment *seg = v->seg;
    uint64_t first = seg ? v->seg_offset + ((va >> 12) - v->start_vpn) : 0;
    if (seg == NULL || seg->kind != SEG_FILE)
        return 0;           /* anonymous memory: nothing to read ahead here */
    for (uint64_t i = first; i < first + ((end - va) >> 12) && i < seg->n_pages; i++) {
        if (seg->proto[i] != 0 || (i << VML_PAGE_SHIFT) >= seg->file->size)
            continue;        /* resident, in the pagefile, or past the end */
        if (pfn_available(m) < m->low)
            break;           /* read-ahead is not worth reclaiming for */
        vml_pfn pfn = frame_take(m, PFN_PAGE_IN, p->pid, NULL);
        if (pfn == VML_PFN_NONE)
            break;
        if (file_read_page(m, seg->file, i << VML_PAGE_SHIFT, pfn) != 0) {
            pfn_free(m, pfn, p->pid);
            return VML_EIO;
        }
        struct pfn_entry *e = &m->pfn[pfn];
        e->flags |= VML_PFN_PROTOTYPE;
        e->pte_pa = proto_va(m, seg->proto_base + i);
        e->orig_pte = 0;
        seg->proto[i] = proto_valid(pfn);
        seg->n_frames++;
        page_cache(m, pfn, p->pid);     /* in the cache, mapped by no one */
    }
    return 0;
}

static void lazyfree_one(void *ctx, vml_proc *p, vml_va va, vml_pa pte_pa, uint64_t pte)
{
    vml_machine *m = p->m;
    (void)ctx;
    if (pte_kind(m->pm, pte) == VML_PTE_PAGEFILE) {
        page_discard(p, va, pte_pa, sw_demand_zero(sw_prot(pte)));   /* swapped: freed now */
        return;
    }
    if (!(pte & PG_P))
        return;
    vml_pfn pfn = pg_frame(m->pm, pte) >> 12;
    struct pfn_entry *e = &m->pfn[pfn];
    if (pfn == m->zero_pfn || (e->flags & VML_PFN_PROTOTYPE))
        return;            /* only private pages can be dropped (mm/madvise.c) */
    if (pte & PG_D) {
        pt_update(m, pte_pa, pte & ~(uint64_t)PG_D);
        as_invalidate(p, va);
    }
    uint64_t slot = frame_orig_slot(m, pfn);
    if (slot != UINT64_MAX) {
        pf_free_slot(m, slot);
        e->orig_pte = sw_demand_zero(sw_prot(e->orig_pte));
    }
    e->flags &= (uint8_t)~VML_PFN_MODIFIED;
    e->xflags |= PFNX_LAZYFREE;
}

void vm_lazyfree(vml_proc *p, struct vad *v, vml_va va, vml_va end)
{
    (void)v;
    pt_visit(p, va, end, lazyfree_one, NULL);
}

/* ---- files ---------------------------------------------------------------------------------- */

vml_status vm_file_open(vml_machine *m, const char *path, unsigned how, struct mm_file **out)
{
    unsigned fhow = ((how & VM_FILE_WRITE) ? FILE_WRITE : 0) |
                    ((how & VM_FILE_CREATE) ? FILE_CREATE : 0) |
                    ((how & VM_FILE_EXCL) ? FILE_EXCL : 0) |
                    ((how & VM_FILE_TRUNC) ? FILE_TRUNC : 0);
    struct mm_file *f;
    vml_status st = file_open(m, path, fhow, &f);
    if (st != VML_OK)
        return st;
    if ((how & VM_FILE_TRUNC) && f->size) {
        if (f->data && (st = seg_purge(m, f->data)) != VML_OK)
            return mm_fail(m, st, "%s is mapped: it cannot be emptied", path);
        if (file_resize(m, f, 0) != 0)
            return mm_fail(m, VML_E_IO, "cannot empty %s", path);
    }
    *out = f;
    return VML_OK;
}

/* ---- images ------------------------------------------------------------------------------ */

vml_status vm_image_segment(vml_machine *m, struct mm_file *f, uint64_t n_pages,
                            const uint8_t *page_mmprot, const struct vm_image_ops *ops,
                            void *ctx, struct segment **out)
{
    if (f->image != NULL)
        return mm_fail(m, VML_E_EXISTS, "%s has an image section already", f->path);
    uint8_t *prot = mm_calloc(m, n_pages ? n_pages : 1, 1);
    if (prot == NULL)
        return VML_E_NOMEM;
    struct segment *seg;
    vml_status st = seg_create(m, SEG_IMAGE, n_pages, 0, f, &seg);
    if (st != VML_OK) {
        free(prot);
        return st;
    }
    memcpy(prot, page_mmprot, n_pages);
    seg->page_prot = prot;
    seg->img_ops = ops;
    seg->img_ctx = ctx;
    for (uint64_t i = 0; i < n_pages; i++)
        seg->image_commit += mmprot_writecopy(prot[i]) != 0;
    f->image = seg;            /* the file's reference */
    *out = seg;
    return VML_OK;
}

struct segment *vm_file_image(const struct mm_file *f) { return f->image; }
uint64_t vm_image_charge(const struct segment *seg) { return seg->image_commit; }

void vm_map_image(vml_proc *p, struct vad *node, vml_va va, struct segment *seg, unsigned origin)
{
    vm_map_view(p, node, va, seg->n_pages, seg, NULL, 0, VML_PAGE_EXECUTE_WRITECOPY, 1, origin);
    node->type = VML_VAD_IMAGE;
}

void *vm_file_aux(const struct mm_file *f) { return f->aux; }

void vm_file_set_aux(struct mm_file *f, void *aux, void (*aux_free)(void *aux))
{
    f->aux = aux;
    f->aux_free = aux_free;
}

int vm_file_pread(vml_machine *m, struct mm_file *f, uint64_t offset, void *buf, size_t len)
{
    int err = mm_injected(m, VML_INJECT_FILE_READ);
    if (!err)
        err = file_pread(m, f, offset, buf, len);
    if (err)
        m->st.file_read_errors++;
    return err;
}

const char *vm_file_path(const struct mm_file *f) { return f->path; }
struct mm_file *vm_vad_file(const struct vad *v) { return v->seg ? v->seg->file : NULL; }

uint64_t vm_file_size(const struct mm_file *f) { return f->size; }
int vm_file_writable(const struct mm_file *f) { return f->writable; }

int vm_file_extend(vml_machine *m, struct mm_file *f, uint64_t size)
{
    return size > f->size ? file_resize(m, f, size) : 0;
}

/* ---- the public file commands ----------------------------------------------------------- */

vml_status vml_file_create(vml_machine *m, const char *name, uint64_t size, uint64_t seed,
                           int seeded)
{
    struct mm_file *f;
    vml_status st;
    if (m == NULL || name == NULL)
        return VML_E_INVALID;
    if ((st = file_open(m, name, FILE_WRITE | FILE_CREATE, &f)) != VML_OK)
        return st;
    if (f->data && (st = seg_purge(m, f->data)) != VML_OK)
        return mm_fail(m, st, "%s is mapped by %u view%s: it cannot be replaced", name,
                       f->data->n_views, f->data->n_views == 1 ? "" : "s");
    if (file_resize(m, f, 0) != 0 || file_resize(m, f, size) != 0)
        return mm_fail(m, VML_E_IO, "cannot size %s to %llu bytes", name,
                       (unsigned long long)size);
    if (seeded) {
        uint8_t buf[1 << 16];
        for (uint64_t off = 0; off < size; off += sizeof buf) {
            size_t n = size - off < sizeof buf ? (size_t)(size - off) : sizeof buf;
            vml_pattern(seed, off, buf, n);
            if (file_pwrite(m, f, off, buf, n) != 0)
                return mm_fail(m, VML_E_IO, "cannot write %s", name);
        }
    }
    return mm_done(m, VML_OK);
}

vml_status vml_file_check(vml_machine *m, const char *name, uint64_t offset, uint64_t len,
                          uint64_t seed, uint64_t *n_diff)
{
    struct mm_file *f;
    vml_status st;
    if (m == NULL || name == NULL || n_diff == NULL)
        return VML_E_INVALID;
    if ((st = file_open(m, name, 0, &f)) != VML_OK)
        return st;
    if (offset > f->size || len > f->size - offset)
        return mm_fail(m, VML_E_RANGE, "%s holds %llu bytes: %#llx+%#llx is past its end", name,
                       (unsigned long long)f->size, (unsigned long long)offset,
                       (unsigned long long)len);
    uint8_t got[1 << 14], want[1 << 14];
    uint64_t bad = 0;
    for (uint64_t at = 0; at < len; at += sizeof got) {
        size_t n = len - at < sizeof got ? (size_t)(len - at) : sizeof got;
        if (file_pread(m, f, offset + at, got, n) != 0)
            return mm_fail(m, VML_E_IO, "cannot read %s", name);
        vml_pattern(seed, offset + at, want, n);
        for (size_t i = 0; i < n; i++)
            bad += got[i] != want[i];
    }
    *n_diff = bad;
    return VML_OK;
}

const char *vml_files_dir(const vml_machine *m)
{
    return m ? file_dir(m) : "";
}
