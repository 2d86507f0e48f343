/*
** reclaim.c -- taking frames and making them available: repurposing
** standby pages, the working-set manager (aging with the Accessed bit,
** trimming), a global replacement policy's evictions and the background
** work (working-set manager, modified page writer, zero-page worker).
**
** A background pass ages every entry of every working set (a set larger
** than WS_AGE_BUDGET a slice per pass, round the set): an entry whose
** PTE has A set is young again (age 0, A cleared -- and the TLB entry
** invalidated on every CPU that may hold it, or the CPU would never set A
** again); otherwise it grows one older.  Trimming takes the oldest pages
** first.
**
** When the background work runs (deterministic points, never a timer):
**   - when a frame taken for a fault leaves fewer than `low` pages
**     available (zeroed + free + standby), or the modified list reaches
**     mod_high (RAM/8) with a pagefile to write to: at the next access
**     (after a pass that could not bring memory back above low, when
**     another quarter of low is gone: a pass per fault would find nothing
**     more to free and cost the working set's size each time);
**   - every bg_interval accesses;
**   - on vml_tick();
**   - at once, when a fault finds no frame at all (frame_take).
**
** INVARIANTS: reclaim keeps none of its own; the pages it moves keep
** RMAP1-RMAP6 (page.c), the policy's holdings RMAP5.
**
** TRANSITIONS:
**   standby -> active (old owner's PTE or prototype PTE restored)  frame_take()
**   A set -> A clear, age 0 / age + 1                              ws_age()
**   valid -> transition / prototype (trim, eviction)               page_trim()
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "machine.h"

/* ---- taking frames ---------------------------------------------------------------- */

/* The standby page at pfn leaves its old owner: the owner's transition PTE
** (or the prototype PTE) becomes the frame's original PTE -- its pagefile
** slot, or demand-zero / "in the file" -- keeping the protection the PTE
** has now. */
static void repurpose(vml_machine *m, vml_pfn pfn)
{
    struct pfn_entry *e = &m->pfn[pfn];
    uint64_t now, pte, slot;
    unsigned pid = 0;
    vml_va va = 0;
    if (e->flags & VML_PFN_PROTOTYPE) {
        uint64_t id, index;
        uint64_t *proto = proto_id_of_va(m, e->pte_pa, &id) == 0 ? proto_ptr(m, id) : NULL;
        if (proto == NULL) {
            mm_corrupt(m, "RMAP3: standby pfn %#llx names no prototype PTE",
                       (unsigned long long)pfn);
            return;
        }
        now = *proto;
        pte = e->orig_pte;
        *proto = pte;
        slot = sw_slot(&pg_modes[VML_PAGING_4LEVEL], pte);
        struct segment *seg = proto_segment(m, id, &index);
        if (seg)
            seg->n_frames--;
        va = proto_va(m, id);
    } else {
        vml_proc *owner;
        if (pt_locate(m, e->pte_pa, &pid, &va) != 0 || (owner = mm_proc(m, pid)) == NULL) {
            mm_corrupt(m, "RMAP3: standby pfn %#llx has no owner PTE", (unsigned long long)pfn);
            return;
        }
        now = pte_read(m, e->pte_pa);
        pte = sw_with_prot(e->orig_pte, sw_prot(now));
        slot = sw_slot(m->pm, pte);
        pt_update(m, e->pte_pa, pte);
        if (slot != UINT64_MAX)
            owner->st.swap_pages++;
    }
    m->st.repurposed++;
    if (mm_tracing(m)) {
        vml_event ev = { .type = VML_EV_REPURPOSE, .pid = pid, .va = va, .pfn = pfn,
                         .pte_pa = e->pte_pa, .old_pte = now, .new_pte = pte, .slot = slot,
                         .what = slot != UINT64_MAX ? "pagefile"
                               : (e->flags & VML_PFN_PROTOTYPE) ? "backing" : "demand-zero" };
        mm_emit(m, &ev);
    }
}

static vml_pfn take_one(vml_machine *m, unsigned how, unsigned pid, vml_list *from)
{
    vml_list list;
    vml_pfn pfn = pfn_pick(m, how, &list);
    if (pfn == VML_PFN_NONE)
        return pfn;
    if (list == VML_LIST_STANDBY)
        repurpose(m, pfn);
    pfn_take(m, pfn, how, pid);
    if (from)
        *from = list;
    return pfn;
}

vml_pfn frame_take(vml_machine *m, unsigned how, unsigned pid, vml_list *from)
{
    vml_pfn pfn = take_one(m, how, pid, from);
    if (pfn == VML_PFN_NONE) {
        mm_reclaim(m, 1);
        pfn = take_one(m, how, pid, from);
        if (pfn == VML_PFN_NONE)
            m->st.oom_faults++;
    }
    if (pfn_available(m) <= m->low_retry && m->pol == NULL)
        m->bg_due = 1;
    return pfn;
}

vml_pfn frame_take_table(vml_machine *m, unsigned pid)
{
    return take_one(m, PFN_NEED_ZERO, pid, NULL);
}

/* ---- the working-set manager ------------------------------------------------------ */

/* The PTE of a working-set entry's page: a private frame names it, a
** shared page's is found by a walk. */
static vml_pa entry_pte_pa(const vml_proc *p, const struct wsle *w)
{
    const struct pfn_entry *e = &p->m->pfn[w->pfn];
    return (e->flags & VML_PFN_PROTOTYPE) ? pt_slot(p, w->va) : e->pte_pa;
}

static void evict_slot(vml_proc *p, uint32_t s, vml_pa pte_pa, enum page_out why)
{
    const struct wsle *w = &p->ws.e[s];
    page_trim(p, w->va, pte_pa, s, w->prot, why);
}

/* Clears A in a valid PTE and drops the TLB entries that cached it. */
static void clear_accessed(vml_proc *p, vml_va va, vml_pa pte_pa, uint64_t pte)
{
    pt_update(p->m, pte_pa, pte & ~(uint64_t)PG_A);
    as_invalidate(p, va);
}

/* Was w's page used since it was last looked at (A set in its PTE at
** pte_pa)?  Then A is cleared and the entry is young again: 1. */
static int was_used(vml_proc *p, struct wsle *w, vml_pa pte_pa)
{
    uint64_t pte = pte_read(p->m, pte_pa);
    if (!(pte & PG_A))
        return 0;
    clear_accessed(p, w->va, pte_pa, pte);
    w->age = 0;
    return 1;
}

/* Ages the next WS_AGE_BUDGET slots of p's working set from its age hand:
** every slot of a set no larger (the hand then comes back where it was,
** at 0 unless the set was once larger). */
static void ws_age(vml_proc *p)
{
    struct wsl *ws = &p->ws;
    uint64_t young = 0;
    uint32_t n = ws->size < WS_AGE_BUDGET ? ws->size : WS_AGE_BUDGET;
    uint32_t s = ws->age_hand < ws->size ? ws->age_hand : 0;
    for (; n; n--, s = s + 1 < ws->size ? s + 1 : 0) {
        struct wsle *w = &ws->e[s];
        if (w->va == 0)
            continue;
        if (was_used(p, w, entry_pte_pa(p, w)))
            young++;
        else if (w->age < WS_MAX_AGE)
            w->age++;
    }
    ws->age_hand = s;
    p->m->st.aging_passes++;
    if (mm_tracing(p->m)) {
        vml_event ev = { .type = VML_EV_AGE, .pid = p->pid, .pfn = VML_PFN_NONE,
                         .count = ws->n_valid, .new_pte = young, .what = "aged" };
        mm_emit(p->m, &ev);
    }
}

/* Trims up to n pages of p whose age is exactly age and whose A bit is
** clear (not used since the last pass), in slot order; returns how many. */
static uint64_t trim_age(vml_proc *p, unsigned age, uint64_t n)
{
    struct wsl *ws = &p->ws;
    uint64_t done = 0;
    for (uint32_t s = 0; s < ws->size && done < n; s++) {
        struct wsle *w = &ws->e[s];
        if (w->va == 0 || w->age != age)
            continue;
        vml_pa pte_pa = entry_pte_pa(p, w);
        if (pte_read(p->m, pte_pa) & PG_A)
            continue;
        evict_slot(p, s, pte_pa, PAGE_TRIM);
        done++;
    }
    return done;
}

/* Second chance with a sweeping hand: pages used since they were last
** looked at lose their A bit and stay; the first unused ones go. */
static uint64_t trim_clock(vml_proc *p, uint64_t n)
{
    struct wsl *ws = &p->ws;
    uint64_t done = 0;
    for (uint64_t steps = 0; done < n && ws->n_valid && steps < 2 * (uint64_t)ws->size; steps++) {
        uint32_t s = ws->hand < ws->size ? ws->hand : 0;
        ws->hand = s + 1;
        struct wsle *w = &ws->e[s];
        if (w->va == 0)
            continue;
        vml_pa pte_pa = entry_pte_pa(p, w);
        if (was_used(p, w, pte_pa))
            continue;
        evict_slot(p, s, pte_pa, PAGE_TRIM);
        done++;
    }
    return done;
}

uint64_t ws_trim(vml_proc *p, uint64_t n)
{
    uint64_t done = 0;
    for (int age = WS_MAX_AGE; age >= 1 && done < n; age--)
        done += trim_age(p, (unsigned)age, n - done);
    if (done < n)
        done += trim_clock(p, n - done);
    return done;
}

void ws_make_room(vml_proc *p)
{
    uint64_t max = p->ws.max_pages;
    if (p->m->pol == NULL && max && p->ws.n_valid >= max)
        ws_trim(p, p->ws.n_valid - max + 1);
}

/* ---- memory pressure ----------------------------------------------------------------- */

/* Pages that are free or on their way to be: available, and modified
** pages the writer can turn into standby ones. */
static uint64_t reclaimable(const vml_machine *m)
{
    return pfn_available(m) + m->lists[VML_LIST_MODIFIED].count;
}

/* How many of p's pages low-memory trimming may take toward target:
** never below its minimum. */
static uint64_t trim_budget(const vml_machine *m, const vml_proc *p, uint64_t target)
{
    uint64_t room = p->ws.n_valid > p->ws.min_pages ? p->ws.n_valid - p->ws.min_pages : 0;
    uint64_t need = target - reclaimable(m);
    return need < room ? need : room;
}

/* Low memory: trims the oldest pages of every working set (none below its
** minimum) until reclaimable pages reach target. */
static void trim_low(vml_machine *m, uint64_t target)
{
    for (int age = WS_MAX_AGE; age >= 0 && reclaimable(m) < target; age--)
        for (size_t i = 0; i < m->n_procs && reclaimable(m) < target; i++)
            trim_age(m->procs[i], (unsigned)age, trim_budget(m, m->procs[i], target));
    /* Everything was used since the last pass: a second-chance sweep. */
    for (size_t i = 0; i < m->n_procs && reclaimable(m) < target; i++)
        trim_clock(m->procs[i], trim_budget(m, m->procs[i], target));
}

/* A global policy's victim leaves memory: unmapped from every PTE that
** maps it (a shared frame leaves every working set). */
static int policy_evict_one(vml_machine *m)
{
    if (m->pol_resident == 0)
        return 0;
    /* Q1: for the page a fault takes a frame for, or for none in particular */
    vml_pfn pfn = m->pol->choose_victim(m->pol_st, m->pol_want ? &m->pol_want : NULL);
    struct rmap_hit one, *hits = &one;
    long n;
    if (pfn >= m->n_frames || m->pfn[pfn].list != VML_LIST_ACTIVE ||
        !(m->pfn[pfn].xflags & PFNX_RESIDENT)) {
        mm_corrupt(m, "POL1: policy %s chose pfn %#llx, which is not a resident page",
                   vml_policy_name(m->pol->id), (unsigned long long)pfn);
        return 0;
    }
    n = (long)rmap_collect(m, pfn, &one, 1);
    if (n > 1 && (n = rmap_collect_all(m, pfn, &hits)) < 0)
        return 0;
    for (long i = 0; i < n; i++) {
        uint32_t s = ws_find(hits[i].p, hits[i].va, pfn);
        evict_slot(hits[i].p, s, hits[i].pte_pa, PAGE_EVICT);
    }
    if (hits != &one)
        free(hits);
    return n > 0;
}

void mm_reclaim(vml_machine *m, uint64_t want)
{
    if (m->in_bg)
        return;
    m->in_bg = 1;
    if (m->pol) {
        /* Textbook replacement: the victim goes now; a dirty one is written
        ** first (a write-back).  Without a pagefile a dirty victim stays on
        ** the modified list and the next victim is tried. */
        while (pfn_available(m) < want && !mm_is_corrupt(m) && policy_evict_one(m))
            if (m->lists[VML_LIST_MODIFIED].count)
                mpw_run(m, 0);
    } else {
        trim_low(m, m->high);
        if (pfn_available(m) < m->high)
            mpw_run(m, m->high);
        if (pfn_available(m) == 0)   /* every process at its minimum */
            for (size_t i = 0; i < m->n_procs && pfn_available(m) == 0; i++) {
                trim_clock(m->procs[i], 1);
                mpw_run(m, 1);
            }
    }
    m->in_bg = 0;
}

/* ---- the background work ------------------------------------------------------------- */

static void background(vml_machine *m, int forced)
{
    if (m->in_bg)
        return;
    m->in_bg = 1;
    m->st.bg_runs++;
    if (m->pol == NULL) {
        for (size_t i = 0; i < m->n_procs; i++)
            ws_age(m->procs[i]);
        for (size_t i = 0; i < m->n_procs; i++) {
            vml_proc *p = m->procs[i];
            if (p->ws.max_pages && p->ws.n_valid > p->ws.max_pages)
                ws_trim(p, p->ws.n_valid - p->ws.max_pages);
        }
        if (pfn_available(m) < m->low)
            trim_low(m, m->high);
    }
    if (m->lists[VML_LIST_MODIFIED].count &&
        (forced || m->lists[VML_LIST_MODIFIED].count >= m->mod_high || pfn_available(m) < m->low))
        mpw_run(m, 0);
    uint64_t reserve = forced ? UINT64_MAX : m->zero_reserve;
    while (m->lists[VML_LIST_ZEROED].count < reserve && pfn_zero_one(m))
        ;
    /* A pass that left memory low freed what it could (nothing can be
    ** written without a pagefile, or every set is at its minimum): the
    ** next is due when another quarter of the watermark is gone, not at
    ** every fault. */
    uint64_t avail = pfn_available(m), step = m->low / 4 ? m->low / 4 : 1;
    m->low_retry = avail >= m->low ? m->low - 1 : avail > step ? avail - step : 0;
    m->bg_due = 0;
    m->next_bg = m->n_accesses + m->cfg.bg_interval;
    m->in_bg = 0;
}

void mm_background(vml_machine *m)
{
    background(m, 0);
}

vml_status vml_tick(vml_machine *m, uint64_t n)
{
    if (m == NULL)
        return VML_E_INVALID;
    if (mm_is_corrupt(m))
        return VML_E_CORRUPT;
    for (uint64_t i = 0; i < n && !mm_is_corrupt(m); i++) {
        background(m, 1);
        rec_tick(m);
    }
    return mm_done(m, VML_OK);
}

/* ---- setup ----------------------------------------------------------------------------- */

vml_status reclaim_init(vml_machine *m)
{
    const vml_config *c = &m->cfg;
    m->low = c->low_pages ? c->low_pages : m->n_frames / 64 > 16 ? m->n_frames / 64 : 16;
    m->high = c->high_pages ? c->high_pages : 2 * m->low;
    m->zero_reserve = c->zero_reserve ? c->zero_reserve : m->low;
    m->mod_high = m->n_frames / 8 > m->high ? m->n_frames / 8 : m->high;
    m->next_bg = c->bg_interval;
    m->low_retry = m->low - 1;         /* below low (low >= 1) */
    m->commit_limit = m->n_frames + (c->pagefile_bytes >> VML_PAGE_SHIFT);
    if (c->policy != VML_POLICY_WS) {
        m->pol = policy_find(c->policy);   /* vml_config_check() vetted it */
        m->pol_st = m->pol->create(m->n_frames);
        if (m->pol_st == NULL)
            return mm_fail(m, VML_E_NOMEM, "no host memory for the %s policy",
                           vml_policy_name(c->policy));
    }
    return VML_OK;
}

/* ---- public ------------------------------------------------------------------------------- */

vml_status vml_ws_get(const vml_proc *p, vml_ws_info *out)
{
    if (p == NULL || out == NULL)
        return VML_E_INVALID;
    out->min_pages = p->ws.min_pages;
    out->max_pages = p->ws.max_pages;
    out->pages = p->ws.n_valid;
    out->peak_pages = p->st.peak_ws_pages;
    out->list_size = p->ws.size;
    out->memory_priority = p->mem_priority;
    return VML_OK;
}

vml_status vml_ws_set(vml_proc *p, uint64_t min_pages, uint64_t max_pages)
{
    if (p == NULL)
        return VML_E_INVALID;
    vml_machine *m = p->m;
    if (min_pages == UINT64_MAX && max_pages == UINT64_MAX) {
        /* (SIZE_T)-1, (SIZE_T)-1: empty the working set (EmptyWorkingSet). */
        ws_trim(p, p->ws.n_valid);
        return mm_done(m, VML_OK);
    }
    if (max_pages > m->n_frames || min_pages > m->n_frames)
        return mm_fail(m, VML_E_RANGE, "working-set limits %llu..%llu pages exceed the machine's "
                       "%llu frames", (unsigned long long)min_pages,
                       (unsigned long long)max_pages, (unsigned long long)m->n_frames);
    if (max_pages && min_pages > max_pages)
        return mm_fail(m, VML_E_INVALID, "working-set minimum %llu is above the maximum %llu",
                       (unsigned long long)min_pages, (unsigned long long)max_pages);
    p->ws.min_pages = min_pages;
    p->ws.max_pages = max_pages;
    if (max_pages && p->ws.n_valid > max_pages)
        ws_trim(p, p->ws.n_valid - max_pages);
    return mm_done(m, VML_OK);
}

vml_status vml_proc_set_memory_priority(vml_proc *p, unsigned priority)
{
    if (p == NULL)
        return VML_E_INVALID;
    if (priority >= VML_STANDBY_PRIORITIES)
        return mm_fail(p->m, VML_E_RANGE, "memory priority %u is not 0..7", priority);
    p->mem_priority = priority;
    return mm_done(p->m, VML_OK);
}

size_t vml_wsle_list(const vml_proc *p, vml_wsle *out, size_t max)
{
    if (p == NULL)
        return 0;
    size_t n = 0;
    for (uint32_t s = 0; s < p->ws.size; s++) {
        const struct wsle *w = &p->ws.e[s];
        if (w->va == 0)
            continue;
        if (out && n < max) {
            uint64_t pte = pte_read(p->m, entry_pte_pa(p, w));
            out[n] = (vml_wsle){ .index = s, .va = w->va, .pfn = w->pfn,
                                 .age = w->age, .accessed = (pte & PG_A) != 0,
                                 .dirty = (pte & PG_D) != 0 };
        }
        n++;
    }
    return n;
}
