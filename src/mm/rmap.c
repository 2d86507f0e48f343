/*
** rmap.c -- the reverse map and the page checks.
**
** A private page's frame names its one PTE (pte_pa); a page reached
** through a prototype PTE names the prototype (VML_PFN_PROTOTYPE), whose
** mappers are the views of its segment that cover it, or the (process,
** address) references of its clone page.  The checks below walk every PTE
** of every process and every prototype PTE once.
**
** INVARIANTS (checked by rmap_check()):
**   RMAP1 A data frame's share_count is the number of valid PTEs mapping
**         it; an active data frame has at least one (the zero page and
**         kernel pages aside).
**   RMAP2 A valid PTE maps an active data frame inside a VAD: a private
**         frame whose pte_pa is that PTE, or a frame whose prototype PTE
**         (valid, naming it) belongs to the VAD's segment at the page's
**         index, or to a clone page the PTE's (process, address)
**         references.  The zero page is mapped read-only.
**   RMAP3 A transition PTE (a process's or a prototype) names a standby or
**         modified frame that points back at it; every such frame is named
**         so once.
**   RMAP4 A prototype-kind PTE names an existing prototype PTE: of a clone
**         page it references, or of the segment its VAD maps, at its index.
**   RMAP5 Active frames = kernel pages + page tables + mapped data frames;
**         a process's swap_pages is its pagefile PTEs; the zero page's
**         mappings are counted per process and for the system; with a
**         global policy, it holds exactly the mapped data frames.
**   RMAP6 A clone page's references are the PTEs (valid or prototype)
**         that name it.
**   WS3   (ws.c) every valid user PTE but the zero page's has its WSLE.
**   PF1   (pagefile.c) every slot in use is named exactly once.
*/
#include <stdio.h>
#include <stdlib.h>
#include "machine.h"

/* ---- the reverse map ------------------------------------------------------------ */

struct collect {
    struct rmap_hit *out;
    size_t max, n;
    uint64_t pte_or;           /* every hit's PTE ORed */
};

static void hit(struct collect *c, vml_machine *m, vml_proc *p, vml_va va, vml_pfn pfn)
{
    vml_pa pte_pa = pt_slot(p, va);
    if (pte_pa == 0)
        return;
    uint64_t pte = pte_read(m, pte_pa);
    if (!(pte & PG_P) || pg_frame(m->pm, pte) >> 12 != pfn)
        return;
    if (c->n < c->max)
        c->out[c->n] = (struct rmap_hit){ p, va, pte_pa };
    c->n++;
    c->pte_or |= pte;
}

static size_t collect(const vml_machine *cm, vml_pfn pfn, struct collect *cc)
{
    vml_machine *m = (vml_machine *)(uintptr_t)cm;   /* nothing below writes */
    struct collect c = *cc;
    const struct pfn_entry *e = &m->pfn[pfn];
    if (e->list != VML_LIST_ACTIVE || (e->flags & (VML_PFN_PAGETABLE | VML_PFN_KERNEL)) ||
        pfn == m->zero_pfn)
        return 0;
    if (!(e->flags & VML_PFN_PROTOTYPE)) {
        unsigned pid;
        vml_va va;
        vml_proc *p;
        if (pt_locate(m, e->pte_pa, &pid, &va) == 0 && (p = mm_proc(m, pid)) != NULL)
            hit(&c, m, p, va, pfn);
        return *cc = c, c.n;
    }
    uint64_t id, index;
    if (proto_id_of_va(m, e->pte_pa, &id) != 0)
        return 0;
    if (proto_is_clone(m, id)) {
        const struct clone_pool *cp = &m->clones;
        for (uint32_t r = cp->first_ref[id - cp->base]; r != CLONE_NIL; r = cp->refs[r].next) {
            vml_proc *p = mm_proc(m, cp->refs[r].pid);
            if (p)
                hit(&c, m, p, cp->refs[r].va, pfn);
        }
        return *cc = c, c.n;
    }
    struct segment *seg = proto_segment(m, id, &index);
    for (struct vad *v = seg ? seg->views : NULL; v; v = v->next_view) {
        uint64_t n = v->end_vpn - v->start_vpn + 1;
        if (index >= v->seg_offset && index - v->seg_offset < n)
            hit(&c, m, v->proc, (v->start_vpn + index - v->seg_offset) << 12, pfn);
    }
    return *cc = c, c.n;
}

size_t rmap_collect(vml_machine *m, vml_pfn pfn, struct rmap_hit *out, size_t max)
{
    struct collect c = { out, out ? max : 0, 0, 0 };
    return collect(m, pfn, &c);
}

uint64_t rmap_pte_or(const vml_machine *m, vml_pfn pfn)
{
    struct collect c = { NULL, 0, 0, 0 };
    collect(m, pfn, &c);
    return c.pte_or;
}

long rmap_collect_all(vml_machine *m, vml_pfn pfn, struct rmap_hit **out)
{
    size_t n = rmap_collect(m, pfn, NULL, 0);
    *out = mm_calloc(m, n ? n : 1, sizeof **out);
    if (*out == NULL)
        return -1;
    return (long)rmap_collect(m, pfn, *out, n);
}

/* ---- the page checks ------------------------------------------------------------- */

struct page_check {
    vml_machine *m;
    char        *msg;
    size_t       size;
    uint32_t    *mapped;      /* valid PTEs per frame */
    uint32_t    *clone_seen;  /* PTEs per clone page */
    uint64_t    *slots;       /* pagefile slots named so far */
    uint64_t     slots_named;
    uint64_t     ws, swap, zero;  /* of the process being walked */
    uint64_t     zero_total;
};

static int fail(struct page_check *c, const char *fmt, unsigned long long a,
                unsigned long long b, unsigned long long d)
{
    snprintf(c->msg, c->size, fmt, a, b, d);
    return -1;
}

/* PF1: slot is in use and named once. */
static int note_slot(struct page_check *c, uint64_t slot, const char *by)
{
    const struct pagefile *pf = &c->m->pf;
    if (slot >= pf->n_slots || !((pf->bitmap[slot / 64] >> (slot % 64)) & 1) ||
        (c->slots[slot / 64] >> (slot % 64)) & 1) {
        snprintf(c->msg, c->size, "PF1: %s names pagefile slot %#llx, which is %s", by,
                 (unsigned long long)slot, slot >= pf->n_slots ? "past the end" :
                 (c->slots[slot / 64] >> (slot % 64)) & 1 ? "named twice" : "free");
        return -1;
    }
    c->slots[slot / 64] |= UINT64_C(1) << (slot % 64);
    c->slots_named++;
    return 0;
}

static int clone_has_ref(const vml_machine *m, uint64_t id, unsigned pid, vml_va va)
{
    const struct clone_pool *cp = &m->clones;
    for (uint32_t r = cp->first_ref[id - cp->base]; r != CLONE_NIL; r = cp->refs[r].next)
        if (cp->refs[r].pid == pid && cp->refs[r].va == va)
            return 1;
    return 0;
}

static int check_valid(struct page_check *c, vml_proc *p, vml_va va, vml_pa pte_pa, uint64_t pte,
                       const struct vad *v)
{
    vml_machine *m = c->m;
    vml_pfn f = pg_frame(m->pm, pte) >> 12;
    const struct pfn_entry *e = f < m->n_frames ? &m->pfn[f] : NULL;
    if (e == NULL || e->list != VML_LIST_ACTIVE || (e->flags & VML_PFN_PAGETABLE) || v == NULL)
        return fail(c, "RMAP2: va %#llx PTE %#llx maps a frame that is not an active data frame "
                    "(or no VAD covers it; pid %llu)", va, pte, p->pid);
    if (f == m->zero_pfn) {
        if (pte & PG_RW)
            return fail(c, "RMAP2: pid %llu va %#llx maps the zero page writable (%#llx)", p->pid,
                        va, pte);
        c->zero++;
        return 0;
    }
    if (e->flags & VML_PFN_KERNEL)
        return fail(c, "RMAP2: pid %llu va %#llx maps kernel frame %#llx", p->pid, va, f);
    c->mapped[f]++;
    c->ws++;
    uint32_t slot = ws_find(p, va, f);
    if (slot == WSL_NIL || p->ws.e[slot].pfn != f)
        return fail(c, "WS3: pid %llu va %#llx (frame %#llx) has no working-set entry holding "
                    "its frame", p->pid, va, f);
    if (!(e->flags & VML_PFN_PROTOTYPE)) {
        if (e->pte_pa != pte_pa)
            return fail(c, "RMAP2: private frame %#llx points at PTE %#llx, mapped at va %#llx",
                        f, e->pte_pa, va);
        return 0;
    }
    uint64_t id;
    uint64_t *proto = proto_id_of_va(m, e->pte_pa, &id) == 0 ? proto_ptr(m, id) : NULL;
    if (proto == NULL || proto_kind(*proto) != VML_PTE_VALID || proto_pfn(*proto) != f)
        return fail(c, "RMAP2: frame %#llx mapped at va %#llx points at prototype PTE %#llx, "
                    "which does not name it", f, va, e->pte_pa);
    if (proto_is_clone(m, id) ? !clone_has_ref(m, id, p->pid, va) : view_proto_id(v, va) != id)
        return fail(c, "RMAP2: va %#llx maps frame %#llx of prototype %#llx, which it does not "
                    "reference", va, f, id);
    if (proto_is_clone(m, id))
        c->clone_seen[id - m->clones.base]++;
    return 0;
}

static int check_leaf(void *ctx, vml_proc *p, vml_va va, vml_pa pte_pa, uint64_t pte)
{
    struct page_check *c = ctx;
    vml_machine *m = c->m;
    const struct vad *v = vad_find(&p->vads, va >> 12);
    switch (pte_kind(m->pm, pte)) {
    case VML_PTE_VALID:
        return check_valid(c, p, va, pte_pa, pte, v);
    case VML_PTE_TRANSITION: {
        vml_pfn f = pg_frame(m->pm, pte) >> 12;
        const struct pfn_entry *e = f < m->n_frames ? &m->pfn[f] : NULL;
        if (e == NULL || (e->list != VML_LIST_STANDBY && e->list != VML_LIST_MODIFIED &&
                          e->list != VML_LIST_MODNOWRITE) || e->pte_pa != pte_pa ||
            (e->flags & VML_PFN_PROTOTYPE))
            return fail(c, "RMAP3: va %#llx transition PTE %#llx names frame %#llx, which is not "
                        "a page in transition pointing back at it", va, pte, f);
        return 0;
    }
    case VML_PTE_PAGEFILE:
        c->swap++;
        return note_slot(c, sw_slot(m->pm, pte), "a process's pagefile PTE");
    case VML_PTE_PROTOTYPE: {
        uint64_t id = sw_proto_id(m->pm, pte);
        if (proto_ptr(m, id) == NULL)
            return fail(c, "RMAP4: pid %llu va %#llx names prototype %#llx, which does not exist",
                        p->pid, va, id);
        if (proto_is_clone(m, id)) {
            if (!clone_has_ref(m, id, p->pid, va))
                return fail(c, "RMAP4: pid %llu va %#llx names clone page %#llx without a "
                            "reference", p->pid, va, id);
            c->clone_seen[id - m->clones.base]++;
        } else if (view_proto_id(v, va) != id) {
            return fail(c, "RMAP4: pid %llu va %#llx names prototype %#llx, not its view's",
                        p->pid, va, id);
        }
        return 0;
    }
    default:
        return 0;
    }
}

/* Frames (RMAP1, RMAP3's other half, RMAP5) and prototype PTEs. */
static int check_frames(struct page_check *c)
{
    vml_machine *m = c->m;
    uint64_t active = 0, resident = 0;
    for (vml_pfn f = 0; f < m->n_frames; f++) {
        const struct pfn_entry *e = &m->pfn[f];
        int data = !(e->flags & (VML_PFN_PAGETABLE | VML_PFN_KERNEL));
        if (e->list == VML_LIST_ACTIVE && data) {
            active++;
            if (e->share_count != c->mapped[f] || e->share_count == 0)
                return fail(c, "RMAP1: frame %#llx has share count %llu, %llu valid PTEs map it",
                            f, e->share_count, c->mapped[f]);
            resident += (e->xflags & PFNX_RESIDENT) != 0;
        }
        int transition = e->list == VML_LIST_STANDBY || e->list == VML_LIST_MODIFIED ||
                         e->list == VML_LIST_MODNOWRITE;
        if (transition && (e->flags & VML_PFN_PROTOTYPE)) {
            uint64_t id;
            uint64_t *proto = proto_id_of_va(m, e->pte_pa, &id) == 0 ? proto_ptr(m, id) : NULL;
            if (proto == NULL || proto_kind(*proto) != VML_PTE_TRANSITION || proto_pfn(*proto) != f)
                return fail(c, "RMAP3: frame %#llx in transition points at prototype PTE %#llx, "
                            "which does not name it (%llu)", f, e->pte_pa, proto ? *proto : 0);
        } else if (transition) {
            uint64_t pte = pte_read(m, e->pte_pa);
            if (pte_kind(m->pm, pte) != VML_PTE_TRANSITION || pg_frame(m->pm, pte) >> 12 != f)
                return fail(c, "RMAP3: frame %#llx in transition points at PTE %#llx = %#llx",
                            f, e->pte_pa, pte);
        }
        uint64_t slot = frame_orig_slot(m, f);
        if ((e->list == VML_LIST_ACTIVE || transition) && data && slot != UINT64_MAX &&
            note_slot(c, slot, "a frame's clean copy"))
            return -1;
    }
    uint64_t accounted = m->st.kernel_pages + m->st.pt_pages + active;
    if (accounted != m->lists[VML_LIST_ACTIVE].count)
        return fail(c, "RMAP5: %llu active frames, but kernel + tables + mapped data = %llu "
                    "(data %llu)", m->lists[VML_LIST_ACTIVE].count, accounted, active);
    if (m->pol && resident != m->pol_resident)
        return fail(c, "RMAP5: policy holds %llu frames, %llu are flagged, %llu mapped",
                    m->pol_resident, resident, active);
    if (m->pol && resident != active)
        return fail(c, "RMAP5: policy holds %llu frames of the %llu mapped (%llu)", resident,
                    active, 0);
    return 0;
}

static int check_proto(struct page_check *c, uint64_t id, uint64_t proto)
{
    vml_machine *m = c->m;
    switch (proto_kind(proto)) {
    case VML_PTE_VALID:
    case VML_PTE_TRANSITION: {
        vml_pfn f = proto_pfn(proto);
        const struct pfn_entry *e = f < m->n_frames ? &m->pfn[f] : NULL;
        int valid = proto_kind(proto) == VML_PTE_VALID;
        if (e == NULL || !(e->flags & VML_PFN_PROTOTYPE) || e->pte_pa != proto_va(m, id) ||
            (valid ? e->list != VML_LIST_ACTIVE : e->list == VML_LIST_ACTIVE))
            return fail(c, "RMAP3: prototype %#llx = %#llx names frame %#llx, which does not "
                        "point back at it", id, proto, f);
        return 0;
    }
    case VML_PTE_PAGEFILE:
        return note_slot(c, proto_slot(proto), "a prototype PTE");
    default:
        return 0;
    }
}

int rmap_check(vml_machine *m, char *msg, size_t size)
{
    struct page_check c = { .m = m, .msg = msg, .size = size };
    int r = -1;
    c.mapped = calloc(m->n_frames, sizeof *c.mapped);
    c.clone_seen = calloc(m->clones.cap + 1, sizeof *c.clone_seen);
    c.slots = calloc((m->pf.n_slots + 63) / 64 + 1, sizeof *c.slots);
    if (c.mapped == NULL || c.clone_seen == NULL || c.slots == NULL) {
        snprintf(msg, size, "RMAP: no host memory to check the pages");
        goto out;
    }
    for (size_t i = 0; i < m->n_procs; i++) {
        vml_proc *p = m->procs[i];
        c.ws = c.swap = c.zero = 0;
        if (as_check_proc(m, p, check_leaf, &c, msg, size) != 0)
            goto out;
        if (c.ws != p->ws.n_valid) {
            fail(&c, "WS3: pid %llu has %llu valid pages, %llu working-set entries", p->pid, c.ws,
                 p->ws.n_valid);
            goto out;
        }
        if (c.swap != p->st.swap_pages || c.zero != p->st.zero_page_maps) {
            snprintf(msg, size, "RMAP5: pid %u counts %llu pagefile PTEs and %llu zero-page maps, "
                     "its PTEs hold %llu and %llu", p->pid,
                     (unsigned long long)p->st.swap_pages,
                     (unsigned long long)p->st.zero_page_maps, (unsigned long long)c.swap,
                     (unsigned long long)c.zero);
            goto out;
        }
        c.zero_total += c.zero;
    }
    if (c.zero_total != m->st.zero_page_maps) {
        fail(&c, "RMAP5: the system counts %llu zero-page maps, processes hold %llu (%llu)",
             m->st.zero_page_maps, c.zero_total, 0);
        goto out;
    }
    for (size_t i = 0; i < m->n_segs; i++) {
        const struct segment *seg = m->segs[i];
        for (uint64_t k = 0; k < seg->n_pages; k++)
            if (check_proto(&c, seg->proto_base + k, seg->proto[k]))
                goto out;
    }
    for (uint32_t k = 0; k < m->clones.cap; k++) {
        if (m->clones.n_refs[k] == CLONE_FREE)
            continue;
        if (check_proto(&c, m->clones.base + k, m->clones.proto[k]))
            goto out;
        if (c.clone_seen[k] != m->clones.n_refs[k]) {
            fail(&c, "RMAP6: clone page %#llx has %llu references, %llu PTEs name it",
                 m->clones.base + k, m->clones.n_refs[k], c.clone_seen[k]);
            goto out;
        }
    }
    if (check_frames(&c))
        goto out;
    if (c.slots_named != m->pf.used) {
        fail(&c, "PF1: %llu pagefile slots in use, pages name %llu (%llu)", m->pf.used,
             c.slots_named, 0);
        goto out;
    }
    r = 0;
out:
    free(c.mapped);
    free(c.clone_seen);
    free(c.slots);
    return r;
}
