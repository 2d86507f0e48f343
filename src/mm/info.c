/*
** info.c -- the public queries that read several modules: the debugger's
** walk and raw PTE edits, VADs, pages, segments and PFN entries.
**
** setpte may point a valid PTE at another frame the same process maps (the
** stale-TLB demonstration): the memory manager follows the raw write --
** the frame it names becomes a clone page with a reference for each PTE,
** the frame the PTE held is released -- so the reverse map and the share
** counts stay true (RMAP1-RMAP6).
**
** INVARIANTS: none of its own; it changes state only in vml_pte_set_raw().
*/
#include <stdlib.h>
#include <string.h>
#include "machine.h"

/* ---- page tables: inspection and raw edits --------------------------------------------------------- */

vml_status vml_walk_va(vml_proc *p, vml_va va, vml_walk *w)
{
    if (p == NULL || w == NULL)
        return VML_E_INVALID;
    if (!pg_canonical(p->m->pm, va))
        return mm_fail(p->m, VML_E_RANGE, "%#llx is not a canonical %u-bit address",
                       (unsigned long long)va, p->m->pm->va_bits);
    mmu_inspect(p->m->pm, &p->m->phys, p->cr3, va, w);
    return VML_OK;
}

vml_status vml_pte_get(vml_proc *p, vml_va va, uint64_t *pte)
{
    vml_walk w;
    vml_status st = vml_walk_va(p, va, &w);
    if (st != VML_OK)
        return st;
    const vml_walk_step *last = &w.step[w.n_steps - 1];
    if (!w.present && last->level != 1)
        return mm_fail(p->m, VML_E_NOT_PRESENT, "no page table maps %#llx: the %s is not present",
                       (unsigned long long)va, last->name);
    *pte = last->entry;
    return VML_OK;
}

/* The frame pfn, private to p's PTE at pte_pa (va), becomes a clone page
** referenced by that PTE (room reserved: clone_reserve, ws_reserve_shared). */
static uint64_t clone_private(vml_proc *p, vml_va va, vml_pfn pfn)
{
    vml_machine *m = p->m;
    struct pfn_entry *e = &m->pfn[pfn];
    uint64_t slot = frame_orig_slot(m, pfn);
    uint32_t ws_slot = ws_find(p, va, pfn);
    uint64_t id = clone_alloc(m, proto_valid(pfn));
    e->flags |= VML_PFN_PROTOTYPE;
    e->pte_pa = proto_va(m, id);
    e->orig_pte = slot != UINT64_MAX ? proto_pagefile(slot) : 0;
    ws_to_hash(p, ws_slot);
    clone_ref_add(m, id, p->pid, va);
    return id;
}

/* The PTE at va (slot ws_slot) stops naming frame old. */
static void drop_mapping(vml_proc *p, vml_va va, vml_pfn old)
{
    vml_machine *m = p->m;
    struct pfn_entry *e = &m->pfn[old];
    uint64_t id;
    if (!(e->flags & VML_PFN_PROTOTYPE)) {
        /* The page's only PTE now names another frame: its data is gone, as
        ** the PTE that kept it was overwritten. */
        e->share_count = 0;
        page_free_frame(m, old, p->pid);
        return;
    }
    proto_id_of_va(m, e->pte_pa, &id);
    if (--e->share_count == 0)
        page_cache(m, old, p->pid);
    if (clone_ref_del(m, id, p->pid, va) == 0)
        page_clone_release(m, id, p->pid);
}

/* A frame setpte may alias: a data page p maps that is private or a clone
** page (a section's page belongs to its views). */
static int aliasable(vml_proc *p, vml_pfn pfn, struct rmap_hit *owner)
{
    vml_machine *m = p->m;
    struct rmap_hit hits[8];
    uint64_t id;
    if (pfn >= m->n_frames || pfn == m->zero_pfn || m->pfn[pfn].list != VML_LIST_ACTIVE ||
        (m->pfn[pfn].flags & (VML_PFN_PAGETABLE | VML_PFN_KERNEL)))
        return 0;
    if (pfn_is_proto(m, pfn) && (proto_id_of_va(m, m->pfn[pfn].pte_pa, &id) != 0 ||
                                 !proto_is_clone(m, id)))
        return 0;
    size_t n = rmap_collect(m, pfn, hits, 8);
    for (size_t i = 0; i < n && i < 8; i++)
        if (hits[i].p == p) {
            *owner = hits[i];
            return 1;
        }
    return 0;
}

vml_status vml_pte_set_raw(vml_proc *p, vml_va va, uint64_t pte)
{
    vml_walk w;
    vml_status st = vml_walk_va(p, va, &w);
    if (st != VML_OK)
        return st;
    vml_machine *m = p->m;
    const vml_walk_step *last = &w.step[w.n_steps - 1];
    if (!w.present || last->level != 1 || va > m->layout.user_highest)
        return mm_fail(m, VML_E_INVALID, "setpte edits the valid 4K PTE of a user page; %#llx has none",
                       (unsigned long long)va);
    uint64_t editable = PG_RW | PG_US | PG_PWT | PG_PCD | PG_A | PG_D | PG_G | PG_PAT |
                        (m->pm->has_nx ? PG_NX : 0);
    if (m->pm->entry_size == 4)
        pte &= UINT32_MAX;
    uint64_t frame_bits = m->pm->frame_mask;
    if ((pte & ~editable & ~frame_bits) != (last->entry & ~editable & ~frame_bits) ||
        !(pte & PG_P))
        return mm_fail(m, VML_E_INVALID, "setpte may change the frame and RW, US, PWT, PCD, A, D, "
                       "PAT, G and NX of a valid PTE; P and the software bits belong to the "
                       "memory manager (%#llx -> %#llx)",
                       (unsigned long long)last->entry, (unsigned long long)pte);
    vml_pfn old = pg_frame(m->pm, last->entry) >> 12, pfn = pg_frame(m->pm, pte) >> 12;
    va &= ~(vml_va)0xFFF;
    if (pfn != old) {
        struct rmap_hit owner, self;
        if (!aliasable(p, old, &self))
            return mm_fail(m, VML_E_INVALID, "setpte moves a private page's PTE; %#llx maps %s",
                           (unsigned long long)va, old == m->zero_pfn ? "the zero page"
                                                                      : "a page of a section");
        if (!aliasable(p, pfn, &owner))
            return mm_fail(m, VML_E_INVALID, "setpte points a PTE at a frame the same process maps "
                           "(a private page of it): pfn %#llx is not one", (unsigned long long)pfn);
        int fresh = !pfn_is_proto(m, pfn);
        if ((st = clone_reserve(m, fresh, 1 + fresh)) != VML_OK ||
            (st = ws_reserve_shared(p, 2)) != VML_OK)
            return st;
        /* From here on nothing fails. */
        uint64_t id;
        uint32_t slot = ws_find(p, va, old);
        unsigned prot = p->ws.e[slot].prot;
        if (fresh)
            id = clone_private(p, owner.va, pfn);
        else
            proto_id_of_va(m, m->pfn[pfn].pte_pa, &id);
        ws_remove_slot(p, slot);
        drop_mapping(p, va, old);
        clone_ref_add(m, id, p->pid, va);
        m->pfn[pfn].share_count++;
        ws_insert(p, va, pfn, prot);
    }
    pt_write(p, va, last->entry_pa, pte);   /* no invalidation: that is the point */
    return mm_done(m, VML_OK);
}

/* ---- PTEs ----------------------------------------------------------------------------------- */

void vml_pte_decode(const vml_machine *m, uint64_t entry, unsigned level, vml_pte_info *out)
{
    const struct pg_mode *pm = m->pm;
    *out = (vml_pte_info){ 0 };
    if (pm->entry_size == 4)
        entry &= UINT32_MAX;
    out->kind = level == 1 || (entry & PG_P) ? pte_kind(pm, entry)
              : entry == 0 ? VML_PTE_ZERO : pte_kind(pm, entry);
    out->p = (entry & PG_P) != 0;
    out->rw = (entry & PG_RW) != 0;
    out->us = (entry & PG_US) != 0;
    out->pwt = (entry & PG_PWT) != 0;
    out->pcd = (entry & PG_PCD) != 0;
    out->a = (entry & PG_A) != 0;
    out->d = (entry & PG_D) != 0;
    out->ps = (entry & PG_PS) != 0;
    out->g = (entry & PG_G) != 0;
    out->nx = pm->has_nx && (entry & PG_NX) != 0;
    out->pfn = VML_PFN_NONE;
    if (out->kind == VML_PTE_VALID || out->kind == VML_PTE_TRANSITION)
        out->pfn = pg_frame(pm, entry) >> 12;
    if (out->kind != VML_PTE_VALID && out->kind != VML_PTE_ZERO) {
        out->protect = mmprot_to_win32(sw_prot(entry));
        out->mm_protect = sw_prot(entry);
    }
    if (out->kind == VML_PTE_PAGEFILE)
        out->slot = sw_pagefile_field(pm, entry) - 1;
    if (out->kind == VML_PTE_PROTOTYPE)
        out->proto_index = sw_proto_id(pm, entry);
}

/* ---- VADs ------------------------------------------------------------------------------------------------ */

/* Linux numbers a shmem object's inode in its own filesystem; vmlab's
** are the segment number above this base. */
#define SHMEM_INO_BASE 100000

static unsigned backing_of(const struct segment *seg)
{
    if (seg == NULL)
        return VML_BACKING_PRIVATE;
    switch (seg->kind) {
    case SEG_PAGEFILE: return VML_BACKING_PAGEFILE;
    case SEG_FILE:     return VML_BACKING_FILE;
    default:           return VML_BACKING_IMAGE;
    }
}

vml_status vml_vad_next(vml_proc *p, vml_va va, vml_vad_info *out)
{
    if (p == NULL || out == NULL)
        return VML_E_INVALID;
    const struct vad *v = vad_lookup_ge(&p->vads, va >> 12);
    if (v == NULL)
        return VML_E_NOT_FOUND;
    int prot = mmprot_from_win32(v->protect);
    out->start_vpn = v->start_vpn;
    out->end_vpn = v->end_vpn;
    out->level = vad_depth(v);
    out->commit_pages = v->commit_pages;
    out->type = v->type;
    out->origin = v->origin;
    out->protect = v->protect;
    out->prot = v->origin == VML_ORIGIN_POSIX ? v->prot
              : mmprot_to_posix(prot < 0 ? MM_NOACCESS : (unsigned)prot);
    out->map_flags = v->map_flags;
    out->mem_commit = v->mem_commit;
    out->name = v->name;
    out->backing = backing_of(v->seg);
    out->cow = v->cow;
    out->shmem = v->seg && v->seg->shmem;
    out->segment = v->seg ? v->seg->id : 0;
    out->section = v->section ? v->section->id : 0;
    out->offset = v->seg_offset << VML_PAGE_SHIFT;
    out->file = v->seg && v->seg->file ? v->seg->file->path : "";
    out->inode = v->seg && v->seg->file ? v->seg->file->ino
               : v->seg ? SHMEM_INO_BASE + v->seg->id : 0;
    out->inherit = v->inherit;
    out->usage = v->usage;
    out->usage_tag = v->usage_tag;
    return VML_OK;
}

size_t vml_vad_count(const vml_proc *p)
{
    return p ? p->vads.count : 0;
}

/* ---- PFN entries ------------------------------------------------------------------------- */

/* What a frame holds (RAMMap's use): a section's page by its segment's
** kind, a clone page (fork, setpte) as private memory. */
static unsigned frame_use(const vml_machine *m, vml_pfn pfn, unsigned *segment)
{
    const struct pfn_entry *e = &m->pfn[pfn];
    uint64_t id;
    const struct segment *seg;

    if (e->flags & VML_PFN_PAGETABLE)
        return VML_USE_PAGETABLE;
    if ((e->flags & VML_PFN_KERNEL) || pfn == m->zero_pfn)
        return VML_USE_KERNEL;
    switch (e->list) {
    case VML_LIST_ZEROED: case VML_LIST_FREE: case VML_LIST_BAD:
        return VML_USE_UNUSED;
    default:
        break;
    }
    if (!(e->flags & VML_PFN_PROTOTYPE))
        return e->pte_pa ? VML_USE_PRIVATE : VML_USE_UNUSED;
    if (proto_id_of_va(m, e->pte_pa, &id) != 0 || (seg = proto_segment(m, id, NULL)) == NULL)
        return VML_USE_PRIVATE;
    *segment = seg->id;
    switch (seg->kind) {
    case SEG_PAGEFILE: return VML_USE_SHAREABLE;
    case SEG_FILE:     return VML_USE_FILE;
    default:           return VML_USE_IMAGE;
    }
}

vml_status vml_pfn_get(const vml_machine *m, vml_pfn pfn, vml_pfn_info *out)
{
    if (m == NULL || out == NULL)
        return VML_E_INVALID;
    if (pfn >= m->n_frames)
        return mm_fail((vml_machine *)m, VML_E_RANGE,
                       "pfn %#llx is beyond the last frame %#llx",
                       (unsigned long long)pfn, (unsigned long long)(m->n_frames - 1));
    const struct pfn_entry *e = &m->pfn[pfn];
    out->pfn = pfn;
    out->list = (vml_list)e->list;
    out->flink = e->flink == PFN_NIL ? VML_PFN_NONE : e->flink;
    out->blink = e->blink == PFN_NIL ? VML_PFN_NONE : e->blink;
    out->pte_pa = e->pte_pa;
    out->orig_pte = e->orig_pte;
    out->share_count = e->share_count;
    out->ref_count = e->list == VML_LIST_ACTIVE;   /* see pfn.h */
    out->priority = (e->flags & VML_PFN_PAGETABLE) ? 0 : e->priority;
    out->flags = e->flags;
    out->pt_level = (e->flags & VML_PFN_PAGETABLE) ? e->pt_level : 0;
    out->owner_pid = e->pte_pa && !(e->flags & VML_PFN_PROTOTYPE) ? pt_owner(m, e->pte_pa) : 0;
    out->segment = 0;
    out->use = frame_use(m, pfn, &out->segment);
    return VML_OK;
}

static const char *const use_names[] = {
#define X(name, text, desc) text,
    VML_USE_LIST(X)
#undef X
};
static const char *const use_descs[] = {
#define X(name, text, desc) desc,
    VML_USE_LIST(X)
#undef X
};

const char *vml_use_name(vml_use u)
{
    return (unsigned)u < VML_N_USES ? use_names[u] : "?";
}

const char *vml_use_desc(vml_use u)
{
    return (unsigned)u < VML_N_USES ? use_descs[u] : "";
}


/* ---- pages ---------------------------------------------------------------------------------- */

/* What the frame holding a shared page says of it. */
static void frame_facts(const vml_machine *m, vml_pfn pfn, vml_page_info *out)
{
    const struct pfn_entry *e = &m->pfn[pfn];
    out->pfn = pfn;
    out->resident = 1;
    out->share_count = e->share_count;
    out->dirty |= (e->flags & VML_PFN_MODIFIED) != 0;
}

/* The page's prototype PTE, when it has one: the PTE names it, or the
** view it lies in does; or the frame it maps points at it. */
static uint64_t page_proto(const vml_machine *m, const struct vad *v, vml_va va, uint64_t pte)
{
    uint64_t id;
    switch (pte_kind(m->pm, pte)) {
    case VML_PTE_PROTOTYPE:
        return sw_proto_id(m->pm, pte);
    case VML_PTE_ZERO:
        return view_proto_id(v, va);
    case VML_PTE_VALID: {
        vml_pfn pfn = pg_frame(m->pm, pte) >> 12;
        if (pfn != m->zero_pfn && pfn_is_proto(m, pfn) &&
            proto_id_of_va(m, m->pfn[pfn].pte_pa, &id) == 0)
            return id;
        return 0;
    }
    default:
        return 0;
    }
}

vml_status vml_page_query(vml_proc *p, vml_va va, vml_page_info *out)
{
    if (p == NULL || out == NULL)
        return VML_E_INVALID;
    vml_machine *m = p->m;
    if (va > m->layout.user_highest)
        return mm_fail(m, VML_E_RANGE, "%#llx is not a user address", (unsigned long long)va);
    va &= ~(vml_va)0xFFF;
    *out = (vml_page_info){ .pfn = VML_PFN_NONE };
    const struct vad *v = vad_find(&p->vads, va >> 12);
    vml_pa pte_pa = pt_slot(p, va);
    uint64_t pte = pte_pa ? pte_read(m, pte_pa) : 0;
    unsigned mmprot = 0;
    out->kind = pte_kind(m->pm, pte);
    out->committed = v && page_state(p, v, va, pte, &mmprot);
    out->protect = out->committed ? mmprot_to_win32(mmprot) : 0;
    out->backing = v ? backing_of(v->seg) : VML_BACKING_PRIVATE;
    switch (out->kind) {
    case VML_PTE_VALID: {
        vml_pfn pfn = pg_frame(m->pm, pte) >> 12;
        out->mapped = 1;
        out->accessed = (pte & PG_A) != 0;
        out->dirty = (pte & PG_D) != 0;
        if (pfn == m->zero_pfn) {
            out->zero_page = 1;
            out->pfn = pfn;
            out->resident = 1;
            break;
        }
        frame_facts(m, pfn, out);
        break;
    }
    case VML_PTE_TRANSITION:
        frame_facts(m, pg_frame(m->pm, pte) >> 12, out);
        break;
    case VML_PTE_PAGEFILE:
        out->swapped = 1;
        break;
    default:
        break;
    }
    uint64_t id = v ? page_proto(m, v, va, pte) : 0;
    const uint64_t *proto = id ? proto_ptr(m, id) : NULL;
    if (proto) {
        out->shared = 1;
        out->proto_id = id;
        out->proto_va = proto_va(m, id);
        if (!out->mapped) {
            switch (proto_kind(*proto)) {
            case VML_PTE_VALID:
            case VML_PTE_TRANSITION:
                frame_facts(m, proto_pfn(*proto), out);
                break;
            case VML_PTE_PAGEFILE:
                out->swapped = 1;
                break;
            default:
                break;
            }
        }
        if (proto_is_clone(m, id))
            out->backing = VML_BACKING_PRIVATE;
    }
    return VML_OK;
}

vml_status vml_mem_peek(vml_proc *p, vml_va va, void *buf, size_t len, size_t *n_done)
{
    uint8_t *b = buf;
    size_t done = 0;
    if (n_done)
        *n_done = 0;
    if (p == NULL || (buf == NULL && len))
        return VML_E_INVALID;
    vml_machine *m = p->m;
    while (done < len) {
        vml_va at = va + done;
        size_t chunk = VML_PAGE_SIZE - (size_t)(at & 0xFFF);
        vml_page_info pg;
        if (chunk > len - done)
            chunk = len - done;
        if (at < va || at > m->layout.user_highest || vml_page_query(p, at, &pg) != VML_OK)
            break;
        if (pg.resident && pg.pfn != VML_PFN_NONE && !pg.zero_page)
            memcpy(b + done, phys_frame(&m->phys, pg.pfn) + (at & 0xFFF), chunk);
        else if (pg.zero_page || (pg.committed && !pg.swapped && !pg.shared))
            memset(b + done, 0, chunk);        /* never touched: zeros */
        else
            break;                             /* paged out, or not committed */
        done += chunk;
    }
    if (n_done)
        *n_done = done;
    if (done == len)
        return VML_OK;
    return mm_fail(m, VML_E_NOT_PRESENT, "%#llx cannot be read without a fault (not committed, "
                   "or paged out)", (unsigned long long)(va + done));
}

/* ---- segments ------------------------------------------------------------------------------ */

static const struct segment *segment_by_id(const vml_machine *m, unsigned id)
{
    for (size_t i = 0; i < m->n_segs; i++)
        if (m->segs[i]->id == id)
            return m->segs[i];
    return NULL;
}

vml_status vml_segment_get(vml_machine *m, unsigned id, vml_segment_info *out)
{
    if (m == NULL || out == NULL)
        return VML_E_INVALID;
    const struct segment *seg = segment_by_id(m, id);
    if (seg == NULL)
        return mm_fail(m, VML_E_NOT_FOUND, "no segment (control area) %u", id);
    *out = (vml_segment_info){
        .id = seg->id, .backing = backing_of(seg), .n_pages = seg->n_pages,
        .proto_base = seg->proto_base, .proto_va = proto_va(m, seg->proto_base),
        .refs = seg->n_refs, .views = seg->n_views, .commit_pages = seg->commit_pages,
        .resident_pages = seg->n_frames, .reserve = seg->reserve, .shmem = seg->shmem,
        .file = seg->file ? seg->file->path : "", .file_size = seg->file ? seg->file->size : 0,
    };
    return VML_OK;
}

vml_status vml_segment_proto(vml_machine *m, unsigned id, uint64_t index, uint64_t *proto)
{
    if (m == NULL || proto == NULL)
        return VML_E_INVALID;
    const struct segment *seg = segment_by_id(m, id);
    if (seg == NULL)
        return mm_fail(m, VML_E_NOT_FOUND, "no segment (control area) %u", id);
    if (index >= seg->n_pages)
        return mm_fail(m, VML_E_RANGE, "segment %u has %llu prototype PTEs", id,
                       (unsigned long long)seg->n_pages);
    *proto = seg->proto[index];
    return VML_OK;
}

/* ---- smaps' counts ------------------------------------------------------------------------ */

#define PSS_SHIFT 12          /* Linux's fixed point for Pss (fs/proc/task_mmu.c) */

struct usage_ctx {
    vml_mem_usage u;
    uint64_t pss, pss_dirty, swap_pss;    /* bytes << PSS_SHIFT */
};

static void usage_one(void *ctx, vml_proc *p, vml_va va, vml_pa pte_pa, uint64_t pte)
{
    struct usage_ctx *cx = ctx;
    vml_machine *m = p->m;
    const uint64_t size = VML_PAGE_SIZE;
    (void)va;
    (void)pte_pa;
    switch (pte_kind(m->pm, pte)) {
    case VML_PTE_VALID: {
        vml_pfn pfn = pg_frame(m->pm, pte) >> 12;
        if (pfn == m->zero_pfn)
            return;                    /* vm_normal_page(): no page to count */
        const struct pfn_entry *e = &m->pfn[pfn];
        uint64_t id;
        int dirty = (pte & PG_D) || (e->flags & VML_PFN_MODIFIED);
        int anon = !(e->flags & VML_PFN_PROTOTYPE) ||
                   (proto_id_of_va(m, e->pte_pa, &id) == 0 && proto_is_clone(m, id));
        unsigned mapcount = e->share_count ? e->share_count : 1;
        uint64_t pss = (size << PSS_SHIFT) / mapcount;
        cx->u.rss += size;
        cx->u.referenced += (pte & PG_A) ? size : 0;
        if (anon) {
            cx->u.anonymous += size;
            if ((e->xflags & PFNX_LAZYFREE) && !dirty)
                cx->u.lazyfree += size;
        }
        cx->pss += pss;
        if (dirty)
            cx->pss_dirty += pss;
        if (mapcount >= 2) {
            if (dirty)
                cx->u.shared_dirty += size;
            else
                cx->u.shared_clean += size;
        } else if (dirty) {
            cx->u.private_dirty += size;
        } else {
            cx->u.private_clean += size;
        }
        return;
    }
    case VML_PTE_PAGEFILE:
        cx->u.swap += size;
        cx->swap_pss += size << PSS_SHIFT;
        return;
    case VML_PTE_PROTOTYPE: {
        uint64_t id = sw_proto_id(m->pm, pte);
        const uint64_t *proto = proto_ptr(m, id);
        if (proto && proto_is_clone(m, id) && proto_kind(*proto) == VML_PTE_PAGEFILE) {
            /* a swap entry shared by fork: SwapPss divides it by its users */
            cx->u.swap += size;
            cx->swap_pss += (size << PSS_SHIFT) / (clone_refs(m, id) ? clone_refs(m, id) : 1);
        }
        return;
    }
    default:
        return;
    }
}

vml_status vml_mem_usage_get(vml_proc *p, vml_va start, vml_va end, vml_mem_usage *out)
{
    if (p == NULL || out == NULL)
        return VML_E_INVALID;
    vml_machine *m = p->m;
    if (start > end || end - 1 > m->layout.user_highest || (start | end) & 0xFFF)
        return mm_fail(m, VML_E_RANGE, "%#llx-%#llx is not a page-aligned user range",
                       (unsigned long long)start, (unsigned long long)end);
    struct usage_ctx cx = { 0 };
    if (end > start)
        pt_visit(p, start, end, usage_one, &cx);
    /* Pages of shared anonymous memory (a shmem object) that are only in the
    ** pagefile count as the mapping's swap (smaps_pte_hole ->
    ** shmem_partial_swap_usage). */
    for (const struct vad *v = end > start ? vad_lookup_ge(&p->vads, start >> 12) : NULL;
         v && v->start_vpn < (end >> 12); v = vad_next(v)) {
        if (v->seg == NULL || v->seg->kind != SEG_PAGEFILE)
            continue;
        uint64_t lo = v->start_vpn > (start >> 12) ? v->start_vpn : start >> 12;
        uint64_t hi = v->end_vpn < (end >> 12) - 1 ? v->end_vpn : (end >> 12) - 1;
        for (uint64_t vpn = lo; vpn <= hi; vpn++) {
            uint64_t index = v->seg_offset + (vpn - v->start_vpn);
            if (index < v->seg->n_pages && proto_kind(v->seg->proto[index]) == VML_PTE_PAGEFILE) {
                cx.u.swap += VML_PAGE_SIZE;
                cx.swap_pss += (uint64_t)VML_PAGE_SIZE << PSS_SHIFT;
            }
        }
    }
    cx.u.pss = cx.pss >> PSS_SHIFT;
    cx.u.pss_dirty = cx.pss_dirty >> PSS_SHIFT;
    cx.u.swap_pss = cx.swap_pss >> PSS_SHIFT;
    *out = cx.u;
    return VML_OK;
}

int vml_mm_protect(uint32_t protect)
{
    return mmprot_from_win32(protect);
}
