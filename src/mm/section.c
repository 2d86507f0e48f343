/*
** section.c -- segments and their prototype PTEs, section objects and
** their namespace, the clone pool, handle tables (see section.h).
**
** INVARIANTS (checked by section_check(); the frames and PTEs that name
** prototype PTEs are checked from the other side by rmap.c):
**   SEC1  Segments are sorted by proto_base and their id ranges do not
**         overlap each other or the clone pool's.
**   SEC2  A segment's n_views is the length of its views chain, every view
**         maps it, and n_refs >= n_views.
**   SEC3  A segment's n_frames is the number of its prototype PTEs that
**         are valid or in transition.
**   SEC4  A clone page's n_refs is the length of its reference chain; free
**         pages and references are chained and counted (used, refs_used).
**   SEC5  Names are unique in the namespace; a section object holds a
**         reference on its segment.
**
** TRANSITIONS:
**   none -> segment (1 ref)      seg_create()
**   segment -> destroyed         seg_unref() of the last reference
**   none -> section object       section_create()
**   clone page free -> in use    clone_alloc(); back: clone_free()
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "machine.h"

vml_pte_kind proto_kind(uint64_t proto)
{
    return pte_kind(&pg_modes[VML_PAGING_4LEVEL], proto);
}

/* ---- proto ids ------------------------------------------------------------------- */

static size_t seg_index_of_id(const vml_machine *m, uint64_t id)
{
    size_t lo = 0, hi = m->n_segs;
    while (lo < hi) {          /* the first segment whose base is above id */
        size_t mid = (lo + hi) / 2;
        if (m->segs[mid]->proto_base <= id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;                 /* the candidate is lo - 1 */
}

struct segment *proto_segment(const vml_machine *m, uint64_t id, uint64_t *index)
{
    size_t i = seg_index_of_id(m, id);
    if (i == 0)
        return NULL;
    struct segment *seg = m->segs[i - 1];
    if (id - seg->proto_base >= seg->n_pages)
        return NULL;
    if (index)
        *index = id - seg->proto_base;
    return seg;
}

int proto_is_clone(const vml_machine *m, uint64_t id)
{
    return id >= m->clones.base && id - m->clones.base < m->clones.cap &&
           m->clones.n_refs[id - m->clones.base] != CLONE_FREE;
}

uint64_t *proto_ptr(const vml_machine *m, uint64_t id)
{
    uint64_t index;
    if (id >= m->clones.base)
        return proto_is_clone(m, id) ? &m->clones.proto[id - m->clones.base] : NULL;
    struct segment *seg = proto_segment(m, id, &index);
    return seg ? &seg->proto[index] : NULL;
}

uint64_t proto_va(const vml_machine *m, uint64_t id)
{
    return m->proto_va_base + id * 8;
}

int proto_id_of_va(const vml_machine *m, uint64_t va, uint64_t *id)
{
    if (va < m->proto_va_base || (va - m->proto_va_base) % 8)
        return -1;
    *id = (va - m->proto_va_base) / 8;
    return 0;
}

/* The lowest free range of n ids below the clone pool (first fit). */
static int ids_find(const vml_machine *m, uint64_t n, uint64_t *base, size_t *at)
{
    uint64_t next = 1;         /* id 0 stays unused: a zero field means none */
    for (size_t i = 0; i <= m->n_segs; i++) {
        uint64_t end = i < m->n_segs ? m->segs[i]->proto_base : m->clones.base;
        if (end >= next && end - next >= n) {
            *base = next;
            *at = i;
            return 0;
        }
        if (i < m->n_segs)
            next = m->segs[i]->proto_base + m->segs[i]->n_pages;
    }
    return -1;
}

/* ---- segments --------------------------------------------------------------------- */

vml_status seg_create(vml_machine *m, enum seg_kind kind, uint64_t n_pages, int reserve,
                      struct mm_file *file, struct segment **out)
{
    uint64_t base;
    size_t at;
    if (ids_find(m, n_pages ? n_pages : 1, &base, &at) != 0)
        return mm_fail(m, VML_E_RANGE, "no room for %llu more prototype PTEs (the machine's "
                       "sections hold too many pages)", (unsigned long long)n_pages);
    if (m->n_segs == m->cap_segs) {
        size_t cap = m->cap_segs ? 2 * m->cap_segs : 8;
        struct segment **ns = mm_realloc(m, m->segs, cap * sizeof *ns);
        if (ns == NULL)
            return VML_E_NOMEM;
        m->segs = ns;
        m->cap_segs = cap;
    }
    struct segment *seg = mm_calloc(m, 1, sizeof *seg);
    uint64_t *proto = seg && n_pages ? mm_calloc(m, n_pages, sizeof *proto) : NULL;
    if (seg == NULL || (n_pages && proto == NULL)) {
        free(seg);
        return VML_E_NOMEM;
    }
    seg->id = ++m->last_seg_id;
    seg->kind = (uint8_t)kind;
    seg->reserve = reserve != 0;
    seg->n_pages = n_pages;
    seg->proto_base = base;
    seg->proto = proto;
    seg->file = file;
    seg->n_refs = 1;
    if (reserve)
        for (uint64_t i = 0; i < n_pages; i++)
            proto[i] = PROTO_DECOMMIT;
    memmove(&m->segs[at + 1], &m->segs[at], (m->n_segs - at) * sizeof *m->segs);
    m->segs[at] = seg;
    m->n_segs++;
    *out = seg;
    return VML_OK;
}

vml_status seg_grow(vml_machine *m, struct segment *seg, uint64_t n_pages)
{
    if (n_pages <= seg->n_pages)
        return VML_OK;
    size_t i = seg_index_of_id(m, seg->proto_base);   /* seg is m->segs[i - 1] */
    uint64_t limit = i < m->n_segs ? m->segs[i]->proto_base : m->clones.base;
    if (limit - seg->proto_base < n_pages)
        return mm_fail(m, VML_E_RANGE, "the file's section cannot grow to %llu pages: its "
                       "prototype PTEs would meet the next section's", (unsigned long long)n_pages);
    uint64_t *proto = mm_realloc(m, seg->proto, n_pages * sizeof *proto);
    if (proto == NULL)
        return VML_E_NOMEM;
    memset(proto + seg->n_pages, 0, (n_pages - seg->n_pages) * sizeof *proto);
    seg->proto = proto;
    seg->n_pages = n_pages;
    return VML_OK;
}

void seg_ref(struct segment *seg)
{
    seg->n_refs++;
}

/* Gives back what one prototype PTE holds: a cached frame, a slot. */
static void proto_drop(vml_machine *m, struct segment *seg, uint64_t *proto)
{
    switch (proto_kind(*proto)) {
    case VML_PTE_TRANSITION: {
        vml_pfn pfn = proto_pfn(*proto);
        uint64_t slot = sw_slot(&pg_modes[VML_PAGING_4LEVEL], m->pfn[pfn].orig_pte);
        if (slot != UINT64_MAX)
            pf_free_slot(m, slot);
        pfn_free(m, pfn, 0);
        if (seg)
            seg->n_frames--;
        break;
    }
    case VML_PTE_PAGEFILE:
        pf_free_slot(m, proto_slot(*proto));
        break;
    case VML_PTE_VALID:
        mm_corrupt(m, "SEC3: dropping a prototype PTE whose page %#llx is still mapped",
                   (unsigned long long)proto_pfn(*proto));
        return;
    default:
        break;
    }
    *proto = seg && seg->reserve ? PROTO_DECOMMIT : 0;
}

void seg_unref(vml_machine *m, struct segment *seg)
{
    if (--seg->n_refs > 0)
        return;
    for (uint64_t i = 0; i < seg->n_pages; i++)
        proto_drop(m, seg, &seg->proto[i]);
    m->st.commit_charge -= seg->commit_pages;
    for (size_t i = 0; i < m->n_segs; i++)
        if (m->segs[i] == seg) {
            memmove(&m->segs[i], &m->segs[i + 1], (m->n_segs - i - 1) * sizeof *m->segs);
            m->n_segs--;
            break;
        }
    if (seg->file && seg->file->data == seg)
        seg->file->data = NULL;
    if (seg->file && seg->file->image == seg)
        seg->file->image = NULL;
    free(seg->page_prot);
    free(seg->proto);
    free(seg);
}

vml_status seg_of_file(vml_machine *m, struct mm_file *f, struct segment **out)
{
    uint64_t n_pages = (f->size + VML_PAGE_SIZE - 1) >> VML_PAGE_SHIFT;
    if (f->data == NULL) {
        vml_status st = seg_create(m, SEG_FILE, n_pages, 0, f, &f->data);
        if (st != VML_OK)
            return st;
    } else if (f->data->n_pages < n_pages) {
        vml_status st = seg_grow(m, f->data, n_pages);
        if (st != VML_OK)
            return st;
    }
    *out = f->data;
    return VML_OK;
}

vml_status seg_purge(vml_machine *m, struct segment *seg)
{
    if (seg->n_views)
        return mm_fail(m, VML_E_EXISTS, "the file is mapped by %u view%s", seg->n_views,
                       seg->n_views == 1 ? "" : "s");
    for (uint64_t i = 0; i < seg->n_pages; i++)
        if (proto_kind(seg->proto[i]) == VML_PTE_VALID)
            return mm_corrupt(m, "SEC2: page %#llx of a segment no view maps is valid",
                              (unsigned long long)i);
    for (uint64_t i = 0; i < seg->n_pages; i++)
        proto_drop(m, seg, &seg->proto[i]);
    return VML_OK;
}

void seg_view_add(struct segment *seg, struct vad *v)
{
    v->next_view = seg->views;
    seg->views = v;
    seg->n_views++;
}

void seg_view_del(struct segment *seg, struct vad *v)
{
    for (struct vad **pp = &seg->views; *pp; pp = &(*pp)->next_view)
        if (*pp == v) {
            *pp = v->next_view;
            v->next_view = NULL;
            seg->n_views--;
            return;
        }
}

/* ---- section objects --------------------------------------------------------------- */

vml_status section_create(vml_machine *m, struct segment *seg, uint64_t size, uint32_t protect,
                          uint32_t attrs, const char *name, struct section **out)
{
    if (m->n_sections == m->cap_sections) {
        size_t cap = m->cap_sections ? 2 * m->cap_sections : 8;
        struct section **ns = mm_realloc(m, m->sections, cap * sizeof *ns);
        if (ns == NULL)
            return VML_E_NOMEM;
        m->sections = ns;
        m->cap_sections = cap;
    }
    struct section *s = mm_calloc(m, 1, sizeof *s);
    char *copy = s && name ? strdup(name) : NULL;
    if (s == NULL || (name && copy == NULL)) {
        free(s);
        return VML_E_NOMEM;
    }
    s->id = ++m->last_section_id;
    s->n_refs = 1;
    s->seg = seg;
    s->size = size;
    s->protect = protect;
    s->attrs = attrs;
    s->name = copy;
    seg_ref(seg);
    m->sections[m->n_sections++] = s;
    *out = s;
    return VML_OK;
}

struct section *section_find(vml_machine *m, const char *name)
{
    for (size_t i = 0; i < m->n_sections; i++)
        if (m->sections[i]->name && strcmp(m->sections[i]->name, name) == 0)
            return m->sections[i];
    return NULL;
}

void section_ref(struct section *s)
{
    s->n_refs++;
}

void section_unref(vml_machine *m, struct section *s)
{
    if (--s->n_refs > 0)
        return;
    for (size_t i = 0; i < m->n_sections; i++)
        if (m->sections[i] == s) {
            memmove(&m->sections[i], &m->sections[i + 1],
                    (m->n_sections - i - 1) * sizeof *m->sections);
            m->n_sections--;
            break;
        }
    seg_unref(m, s->seg);
    free(s->name);
    free(s);
}

/* ---- the clone pool ------------------------------------------------------------------ */

static vml_status clone_grow_pages(vml_machine *m, uint32_t cap)
{
    struct clone_pool *c = &m->clones;
    uint64_t *proto = mm_realloc(m, c->proto, (size_t)cap * sizeof *proto);
    if (proto == NULL)
        return VML_E_NOMEM;
    c->proto = proto;
    uint32_t *n_refs = mm_realloc(m, c->n_refs, (size_t)cap * sizeof *n_refs);
    if (n_refs == NULL)
        return VML_E_NOMEM;
    c->n_refs = n_refs;
    uint32_t *first = mm_realloc(m, c->first_ref, (size_t)cap * sizeof *first);
    if (first == NULL)
        return VML_E_NOMEM;
    c->first_ref = first;
    for (uint32_t i = cap; i-- > c->cap;) {   /* new pages: free, lowest first */
        c->proto[i] = 0;
        c->n_refs[i] = CLONE_FREE;
        c->first_ref[i] = c->free_head;
        c->free_head = i;
    }
    c->cap = cap;
    return VML_OK;
}

static vml_status clone_grow_refs(vml_machine *m, uint32_t cap)
{
    struct clone_pool *c = &m->clones;
    struct clone_ref *refs = mm_realloc(m, c->refs, (size_t)cap * sizeof *refs);
    if (refs == NULL)
        return VML_E_NOMEM;
    c->refs = refs;
    for (uint32_t i = cap; i-- > c->refs_cap;) {
        c->refs[i].next = c->refs_free;
        c->refs_free = i;
    }
    c->refs_cap = cap;
    return VML_OK;
}

vml_status clone_reserve(vml_machine *m, uint64_t n_pages, uint64_t n_refs)
{
    struct clone_pool *c = &m->clones;
    uint64_t max = sw_max_protos(m->pm) - c->base;
    if (c->used + n_pages > max || c->refs_used + n_refs > UINT32_MAX - 1)
        return mm_fail(m, VML_E_RANGE, "no room for %llu more shared pages in the clone pool",
                       (unsigned long long)n_pages);
    if (c->used + n_pages > c->cap) {
        uint64_t cap = c->cap ? c->cap : 64;
        while (cap < c->used + n_pages)
            cap *= 2;
        if (cap > max)
            cap = max;
        vml_status st = clone_grow_pages(m, (uint32_t)cap);
        if (st != VML_OK)
            return st;
    }
    if (c->refs_used + n_refs > c->refs_cap) {
        uint64_t cap = c->refs_cap ? c->refs_cap : 128;
        while (cap < c->refs_used + n_refs)
            cap *= 2;
        if (cap > UINT32_MAX - 1)
            cap = UINT32_MAX - 1;
        return clone_grow_refs(m, (uint32_t)cap);
    }
    return VML_OK;
}

uint64_t clone_alloc(vml_machine *m, uint64_t proto)
{
    struct clone_pool *c = &m->clones;
    uint32_t i = c->free_head;
    c->free_head = c->first_ref[i];
    c->first_ref[i] = CLONE_NIL;
    c->n_refs[i] = 0;
    c->proto[i] = proto;
    c->used++;
    return c->base + i;
}

void clone_ref_add(vml_machine *m, uint64_t id, unsigned pid, vml_va va)
{
    struct clone_pool *c = &m->clones;
    va &= ~(vml_va)0xFFF;      /* a reference names the page (faults give the byte) */
    uint32_t i = (uint32_t)(id - c->base), r = c->refs_free;
    c->refs_free = c->refs[r].next;
    c->refs[r] = (struct clone_ref){ .pid = pid, .next = c->first_ref[i], .va = va };
    c->first_ref[i] = r;
    c->n_refs[i]++;
    c->refs_used++;
}

uint32_t clone_ref_del(vml_machine *m, uint64_t id, unsigned pid, vml_va va)
{
    struct clone_pool *c = &m->clones;
    va &= ~(vml_va)0xFFF;
    uint32_t i = (uint32_t)(id - c->base);
    for (uint32_t *pr = &c->first_ref[i]; *pr != CLONE_NIL; pr = &c->refs[*pr].next) {
        struct clone_ref *r = &c->refs[*pr];
        if (r->pid == pid && r->va == va) {
            uint32_t dead = *pr;
            *pr = r->next;
            c->refs[dead].next = c->refs_free;
            c->refs_free = dead;
            c->refs_used--;
            return --c->n_refs[i];
        }
    }
    mm_corrupt(m, "SEC4: clone page %#llx has no reference from pid %u va %#llx",
               (unsigned long long)id, pid, (unsigned long long)va);
    return c->n_refs[i];
}

void clone_free(vml_machine *m, uint64_t id)
{
    struct clone_pool *c = &m->clones;
    uint32_t i = (uint32_t)(id - c->base);
    c->proto[i] = 0;
    c->n_refs[i] = CLONE_FREE;
    c->first_ref[i] = c->free_head;
    c->free_head = i;
    c->used--;
}

uint32_t clone_refs(const vml_machine *m, uint64_t id)
{
    return proto_is_clone(m, id) ? m->clones.n_refs[id - m->clones.base] : 0;
}

/* ---- handles --------------------------------------------------------------------------- */

static void obj_ref(struct handle *h)
{
    if (h->kind == OBJ_FILE)
        ((struct mm_file *)h->obj)->n_open++;
    else if (h->kind == OBJ_SECTION)
        section_ref(h->obj);
}

vml_status handle_add(vml_machine *m, struct handle_table *t, enum obj_kind kind, void *obj,
                      uint32_t access, uint32_t *slot)
{
    uint32_t i;
    for (i = 0; i < t->n && t->h[i].kind != OBJ_NONE; i++)
        ;
    if (i == t->n && t->n == t->cap) {
        uint32_t cap = t->cap ? 2 * t->cap : 8;
        struct handle *h = mm_realloc(m, t->h, (size_t)cap * sizeof *h);
        if (h == NULL)
            return VML_E_NOMEM;
        t->h = h;
        t->cap = cap;
    }
    if (i == t->n)
        t->n++;
    t->h[i] = (struct handle){ .kind = (uint8_t)kind, .access = access, .obj = obj };
    obj_ref(&t->h[i]);
    *slot = i;
    return VML_OK;
}

struct handle *handle_get(struct handle_table *t, uint32_t slot, enum obj_kind kind)
{
    if (slot >= t->n || t->h[slot].kind == OBJ_NONE ||
        (kind != OBJ_NONE && t->h[slot].kind != kind))
        return NULL;
    return &t->h[slot];
}

void handle_close(vml_machine *m, struct handle_table *t, uint32_t slot)
{
    struct handle *h = &t->h[slot];
    if (h->kind == OBJ_FILE)
        ((struct mm_file *)h->obj)->n_open--;
    else if (h->kind == OBJ_SECTION)
        section_unref(m, h->obj);
    h->kind = OBJ_NONE;
    h->obj = NULL;
    while (t->n && t->h[t->n - 1].kind == OBJ_NONE)
        t->n--;
}

void handle_table_free(vml_machine *m, struct handle_table *t)
{
    for (uint32_t i = t->n; i-- > 0;)
        if (t->h[i].kind != OBJ_NONE)
            handle_close(m, t, i);
    free(t->h);
    *t = (struct handle_table){ 0 };
}

vml_status handle_table_dup(vml_machine *m, const struct handle_table *t, struct handle_table *out)
{
    *out = (struct handle_table){ 0 };
    if (t->n == 0)
        return VML_OK;
    out->h = mm_calloc(m, t->n, sizeof *out->h);
    if (out->h == NULL)
        return VML_E_NOMEM;
    out->n = out->cap = t->n;
    for (uint32_t i = 0; i < t->n; i++) {
        out->h[i] = t->h[i];
        obj_ref(&out->h[i]);
    }
    return VML_OK;
}

/* ---- check and teardown ----------------------------------------------------------------- */

int section_check(vml_machine *m, char *msg, size_t size)
{
    uint64_t prev_end = 1;
    for (size_t i = 0; i < m->n_segs; i++) {
        const struct segment *seg = m->segs[i];
        uint64_t frames = 0, views = 0;
        if (seg->proto_base < prev_end || seg->proto_base + seg->n_pages > m->clones.base) {
            snprintf(msg, size, "SEC1: segment %u holds ids %#llx+%#llx, overlapping its "
                     "neighbours", seg->id, (unsigned long long)seg->proto_base,
                     (unsigned long long)seg->n_pages);
            return -1;
        }
        prev_end = seg->proto_base + seg->n_pages;
        for (const struct vad *v = seg->views; v && views <= seg->n_views; v = v->next_view, views++)
            if (v->seg != seg) {
                snprintf(msg, size, "SEC2: segment %u lists a view that maps another", seg->id);
                return -1;
            }
        if (views != seg->n_views || seg->n_refs < seg->n_views) {
            snprintf(msg, size, "SEC2: segment %u has %llu views chained, counts %u (refs %u)",
                     seg->id, (unsigned long long)views, seg->n_views, seg->n_refs);
            return -1;
        }
        for (uint64_t k = 0; k < seg->n_pages; k++) {
            vml_pte_kind kind = proto_kind(seg->proto[k]);
            frames += kind == VML_PTE_VALID || kind == VML_PTE_TRANSITION;
        }
        if (frames != seg->n_frames) {
            snprintf(msg, size, "SEC3: segment %u counts %llu frames, its prototype PTEs hold %llu",
                     seg->id, (unsigned long long)seg->n_frames, (unsigned long long)frames);
            return -1;
        }
    }
    const struct clone_pool *c = &m->clones;
    uint64_t used = 0, refs = 0, free_pages = 0, free_refs = 0;
    for (uint32_t i = 0; i < c->cap; i++) {
        if (c->n_refs[i] == CLONE_FREE)
            continue;
        uint32_t n = 0;
        for (uint32_t r = c->first_ref[i]; r != CLONE_NIL && n <= c->n_refs[i]; r = c->refs[r].next)
            n++;
        if (n != c->n_refs[i]) {
            snprintf(msg, size, "SEC4: clone page %#llx counts %u references, chains %u",
                     (unsigned long long)(c->base + i), c->n_refs[i], n);
            return -1;
        }
        used++;
        refs += n;
    }
    for (uint32_t i = c->free_head; i != CLONE_NIL && free_pages <= c->cap; i = c->first_ref[i])
        free_pages++;
    for (uint32_t r = c->refs_free; r != CLONE_NIL && free_refs <= c->refs_cap; r = c->refs[r].next)
        free_refs++;
    if (used != c->used || refs != c->refs_used || used + free_pages != c->cap ||
        refs + free_refs != c->refs_cap) {
        snprintf(msg, size, "SEC4: clone pool: %llu pages used (counts %u) + %llu free of %u; "
                 "%llu references (counts %u) + %llu free of %u", (unsigned long long)used,
                 c->used, (unsigned long long)free_pages, c->cap, (unsigned long long)refs,
                 c->refs_used, (unsigned long long)free_refs, c->refs_cap);
        return -1;
    }
    for (size_t i = 0; i < m->n_sections; i++) {
        const struct section *s = m->sections[i];
        if (s->seg == NULL || s->seg->n_refs == 0) {
            snprintf(msg, size, "SEC5: section %u has no segment reference", s->id);
            return -1;
        }
        for (size_t j = i + 1; s->name && j < m->n_sections; j++)
            if (m->sections[j]->name && strcmp(s->name, m->sections[j]->name) == 0) {
                snprintf(msg, size, "SEC5: two sections are named %s", s->name);
                return -1;
            }
    }
    return 0;
}

void section_fini(vml_machine *m)
{
    /* Processes are gone: what is left are files' caches and sections
    ** held by nothing but this teardown. */
    while (m->n_sections) {
        m->sections[m->n_sections - 1]->n_refs = 1;
        section_unref(m, m->sections[m->n_sections - 1]);
    }
    while (m->n_segs) {
        m->segs[m->n_segs - 1]->n_refs = 1;
        seg_unref(m, m->segs[m->n_segs - 1]);
    }
    free(m->segs);
    free(m->sections);
    free(m->clones.proto);
    free(m->clones.n_refs);
    free(m->clones.first_ref);
    free(m->clones.refs);
}
