/*
** wset.c -- working sets and the memory manager's background work: the
** working-set manager (aging with the Accessed bit, trimming), the calls
** into the modified page writer and the zero-page worker, and the global
** replacement policies a machine may use instead of working sets.
**
** Each process has a working-set list (Windows' MMWSL): one slot per
** resident page, free slots chained; the page's frame keeps its slot
** (pfn_entry.flink), so leaving the working set is O(1).  A background
** pass ages every entry: an entry whose PTE has A set is young again (age
** 0, A cleared -- and the TLB entry invalidated on every CPU that may hold
** it, or the CPU would never set A again); otherwise it grows one older.
** Trimming takes the oldest pages first.
**
** When the background work runs (deterministic points, never a timer):
**   - when a frame taken for a fault leaves fewer than `low` pages
**     available (zeroed + free + standby), or the modified list reaches
**     mod_high (RAM/8) with a pagefile to write to: at the next access;
**   - every bg_interval accesses;
**   - on vml_tick();
**   - at once, when a fault finds no frame at all (mm_take_frame).
**
** INVARIANTS (checked by ws_check()):
**   W1  Each valid user page of a process is in its working-set list once:
**       the slot holds its address and frame, and the frame's flink names
**       the slot.
**   W2  A working set's valid slots number ws_pages, and the free chain
**       holds the other slots below size.
**   W3  With a global policy, the policy holds exactly the valid user
**       pages (pol_resident equals the sum of ws_pages).
**
** TRANSITIONS:
**   page mapped valid   -> in the working set       ws_insert()
**   in the working set  -> out (freed, unmapped)    ws_remove()
**   valid -> transition (trimmed, evicted, protected) ws_evict()
**   A set -> A clear, age 0 / age + 1               ws_age()
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "mm.h"

/* ---- the working-set list -------------------------------------------------------- */

vml_status ws_reserve(vml_proc *p)
{
    struct wsl *ws = &p->ws;
    if (ws->free_head != WSL_NIL || ws->size < ws->cap)
        return VML_OK;
    uint32_t cap = ws->cap ? ws->cap * 2 : 64;
    if (cap <= ws->cap)
        return VML_E_NOMEM;
    struct wsle *e = mm_realloc(p->m, ws->e, (size_t)cap * sizeof *e);
    if (e == NULL)
        return VML_E_NOMEM;
    ws->e = e;
    ws->cap = cap;
    return VML_OK;
}

void ws_insert(vml_proc *p, vml_va va, vml_pfn pfn)
{
    vml_machine *m = p->m;
    struct wsl *ws = &p->ws;
    uint32_t slot;
    if (ws->free_head != WSL_NIL) {
        slot = ws->free_head;
        ws->free_head = ws->e[slot].u.next_free;
    } else if (ws->size < ws->cap) {
        slot = ws->size++;
    } else {
        mm_corrupt(m, "W2: no working-set slot reserved for %#llx", (unsigned long long)va);
        return;
    }
    ws->e[slot] = (struct wsle){ .va = va & ~(vml_va)0xFFF, .u.pfn = (uint32_t)pfn, .age = 0 };
    m->pfn[pfn].flink = slot;
    if (++p->st.ws_pages > p->st.peak_ws_pages)
        p->st.peak_ws_pages = p->st.ws_pages;
    if (m->pol) {
        /* Q4: a stable key for the page (pid, vpn) */
        m->pol->on_insert(m->pol_st, (uint32_t)pfn, ((uint64_t)p->pid << 48) | (va >> 12), 0, 0);
        m->pol_resident++;
    }
}

void ws_remove(vml_proc *p, vml_pfn pfn)
{
    vml_machine *m = p->m;
    struct wsl *ws = &p->ws;
    uint32_t slot = m->pfn[pfn].flink;
    if (slot >= ws->size || ws->e[slot].va == 0) {
        mm_corrupt(m, "W1: pfn %#llx names working-set slot %#x, which holds no page",
                   (unsigned long long)pfn, slot);
        return;
    }
    ws->e[slot].va = 0;
    ws->e[slot].u.next_free = ws->free_head;
    ws->free_head = slot;
    m->pfn[pfn].flink = PFN_NIL;
    p->st.ws_pages--;
    if (m->pol) {
        m->pol->on_remove(m->pol_st, (uint32_t)pfn);
        m->pol_resident--;
    }
}

void ws_evict(vml_proc *p, vml_va va, vml_pa pte_pa, vml_pfn pfn, unsigned mmprot,
              enum ws_why why)
{
    vml_machine *m = p->m;
    struct pfn_entry *e = &m->pfn[pfn];
    uint64_t pte = pte_read(m, pte_pa);
    int dirty = (pte & PG_D) || (e->flags & VML_PFN_MODIFIED);
    uint64_t slot = sw_slot(m->pm, e->orig_pte);
    if (dirty && slot != UINT64_MAX) {
        /* The copy in the pagefile is stale now. */
        pf_free_slot(m, slot);
        e->orig_pte = sw_demand_zero(sw_prot(e->orig_pte));
    }
    ws_remove(p, pfn);
    as_pte_write(p, va, pte_pa, sw_transition(pfn, mmprot));
    as_invalidate(p, va);
    pfn_release(m, pfn, dirty, p->pid);
    if (dirty && m->pf.fd >= 0 && m->lists[VML_LIST_MODIFIED].count >= m->mod_high)
        m->bg_due = 1;    /* the modified page writer has work */
    if (why == WS_PROTECT)
        return;
    p->st.trimmed++;
    m->st.trimmed += why == WS_TRIM;
    m->st.evictions++;
    m->st.writebacks += (unsigned)dirty;
    if (mm_tracing(m)) {
        vml_event ev = { .type = why == WS_TRIM ? VML_EV_TRIM : VML_EV_EVICT, .pid = p->pid,
                         .va = va, .pfn = pfn, .from = VML_LIST_ACTIVE,
                         .to = dirty ? VML_LIST_MODIFIED : VML_LIST_STANDBY, .slot = UINT64_MAX,
                         .what = dirty ? "dirty" : "clean" };
        mm_emit(m, &ev);
    }
}

/* The PTE of a working-set entry's page, found through its frame: no
** page-table walk. */
static uint64_t entry_pte(const vml_proc *p, const struct wsle *w, vml_pa *pte_pa)
{
    *pte_pa = p->m->pfn[w->u.pfn].pte_pa;
    return pte_read(p->m, *pte_pa);
}

static void evict_entry(vml_proc *p, const struct wsle *w, vml_pa pte_pa)
{
    vml_pfn pfn = w->u.pfn;
    ws_evict(p, w->va, pte_pa, pfn, sw_prot(p->m->pfn[pfn].orig_pte), WS_TRIM);
}

/* Clears A in a valid PTE and drops the TLB entries that cached it. */
static void clear_accessed(vml_proc *p, vml_va va, vml_pa pte_pa, uint64_t pte)
{
    as_pte_update(p->m, pte_pa, pte & ~(uint64_t)PG_A);
    as_invalidate(p, va);
}

/* Ages every entry of p's working set. */
static void ws_age(vml_proc *p)
{
    struct wsl *ws = &p->ws;
    uint64_t young = 0;
    for (uint32_t s = 0; s < ws->size; s++) {
        struct wsle *w = &ws->e[s];
        if (w->va == 0)
            continue;
        vml_pa pte_pa;
        uint64_t pte = entry_pte(p, w, &pte_pa);
        if (pte & PG_A) {
            clear_accessed(p, w->va, pte_pa, pte);
            w->age = 0;
            young++;
        } else if (w->age < WS_MAX_AGE) {
            w->age++;
        }
    }
    p->m->st.aging_passes++;
    if (mm_tracing(p->m)) {
        vml_event ev = { .type = VML_EV_AGE, .pid = p->pid, .pfn = VML_PFN_NONE,
                         .count = p->st.ws_pages, .new_pte = young, .what = "aged" };
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
        vml_pa pte_pa;
        if (entry_pte(p, w, &pte_pa) & PG_A)
            continue;
        evict_entry(p, w, pte_pa);
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
    for (uint64_t steps = 0; done < n && p->st.ws_pages && steps < 2 * (uint64_t)ws->size; steps++) {
        uint32_t s = ws->hand < ws->size ? ws->hand : 0;
        ws->hand = s + 1;
        struct wsle *w = &ws->e[s];
        if (w->va == 0)
            continue;
        vml_pa pte_pa;
        uint64_t pte = entry_pte(p, w, &pte_pa);
        if (pte & PG_A) {
            clear_accessed(p, w->va, pte_pa, pte);
            w->age = 0;
            continue;
        }
        evict_entry(p, w, pte_pa);
        done++;
    }
    return done;
}

/* Trims n pages of p, the oldest first. */
static uint64_t ws_trim(vml_proc *p, uint64_t n)
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
    if (p->m->pol == NULL && max && p->st.ws_pages >= max)
        ws_trim(p, p->st.ws_pages - max + 1);
}

/* ---- memory pressure ---------------------------------------------------------------------- */

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
    uint64_t room = p->st.ws_pages > p->ws.min_pages ? p->st.ws_pages - p->ws.min_pages : 0;
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

/* A global policy's victim leaves memory. */
static int policy_evict_one(vml_machine *m)
{
    if (m->pol_resident == 0)
        return 0;
    vml_pfn pfn = m->pol->choose_victim(m->pol_st, NULL);   /* Q1: for no page in particular */
    vml_proc *p;
    vml_va va;
    if (pfn >= m->n_frames || m->pfn[pfn].list != VML_LIST_ACTIVE ||
        as_locate(m, m->pfn[pfn].pte_pa, &p, &va) != 0) {
        mm_corrupt(m, "Q1: policy %s chose pfn %#llx, which is not a resident page",
                   vml_policy_name(m->pol->id), (unsigned long long)pfn);
        return 0;
    }
    ws_evict(p, va, m->pfn[pfn].pte_pa, pfn, sw_prot(m->pfn[pfn].orig_pte), WS_EVICT);
    return 1;
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
        while (pfn_available(m) < want && !m->corrupt && policy_evict_one(m))
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

vml_pfn mm_take_frame(vml_machine *m, unsigned how, unsigned pid, vml_list *from)
{
    vml_pfn pfn = pfn_take(m, how, pid, from);
    if (pfn == VML_PFN_NONE) {
        mm_reclaim(m, 1);
        pfn = pfn_take(m, how, pid, from);
        if (pfn == VML_PFN_NONE)
            m->st.oom_faults++;
    }
    if (pfn_available(m) < m->low && m->pol == NULL)
        m->bg_due = 1;
    return pfn;
}

/* ---- the background work ------------------------------------------------------------------ */

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
            if (p->ws.max_pages && p->st.ws_pages > p->ws.max_pages)
                ws_trim(p, p->st.ws_pages - p->ws.max_pages);
        }
        if (pfn_available(m) < m->low)
            trim_low(m, m->high);
    }
    if (m->pf.fd >= 0 && m->lists[VML_LIST_MODIFIED].count &&
        (forced || m->lists[VML_LIST_MODIFIED].count >= m->mod_high || pfn_available(m) < m->low))
        mpw_run(m, 0);
    uint64_t reserve = forced ? UINT64_MAX : m->zero_reserve;
    while (m->lists[VML_LIST_ZEROED].count < reserve && pfn_zero_one(m))
        ;
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
    if (m->corrupt)
        return VML_E_CORRUPT;
    for (uint64_t i = 0; i < n && !m->corrupt; i++)
        background(m, 1);
    return mm_done(m, VML_OK);
}

/* ---- setup --------------------------------------------------------------------------------- */

vml_status ws_init_machine(vml_machine *m)
{
    const vml_config *c = &m->cfg;
    m->low = c->low_pages ? c->low_pages : m->n_frames / 64 > 16 ? m->n_frames / 64 : 16;
    m->high = c->high_pages ? c->high_pages : 2 * m->low;
    m->zero_reserve = c->zero_reserve ? c->zero_reserve : m->low;
    m->mod_high = m->n_frames / 8 > m->high ? m->n_frames / 8 : m->high;
    m->next_bg = c->bg_interval;
    m->commit_limit = m->n_frames + (c->pagefile_bytes >> VML_PAGE_SHIFT);
    if (c->policy != VML_POLICY_WS) {
        m->pol = policy_find(c->policy);   /* vml_config_check() vetted it */
        m->pol_st = m->pol->create(m->n_frames);
        if (m->pol_st == NULL)
            return mm_fail(m, VML_E_NOMEM, "no host memory for the %s policy",
                           vml_policy_name(c->policy));
    }
    return pf_open(m);
}

void ws_fini_proc(vml_proc *p)
{
    free(p->ws.e);
    p->ws.e = NULL;
}

/* ---- public ------------------------------------------------------------------------------- */

vml_status vml_ws_get(const vml_proc *p, vml_ws_info *out)
{
    if (p == NULL || out == NULL)
        return VML_E_INVALID;
    out->min_pages = p->ws.min_pages;
    out->max_pages = p->ws.max_pages;
    out->pages = p->st.ws_pages;
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
        ws_trim(p, p->st.ws_pages);
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
    if (max_pages && p->st.ws_pages > max_pages)
        ws_trim(p, p->st.ws_pages - max_pages);
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
            vml_pa pte_pa;
            uint64_t pte = entry_pte(p, w, &pte_pa);
            out[n] = (vml_wsle){ .index = s, .va = w->va, .pfn = w->u.pfn,
                                 .age = w->age, .accessed = (pte & PG_A) != 0,
                                 .dirty = (pte & PG_D) != 0 };
        }
        n++;
    }
    return n;
}

/* ---- check ------------------------------------------------------------------------------------ */

int ws_check(vml_machine *m, char *msg, size_t size)
{
    uint64_t resident = 0;
    for (size_t i = 0; i < m->n_procs; i++) {
        vml_proc *p = m->procs[i];
        struct wsl *ws = &p->ws;
        uint64_t valid = 0, free_slots = 0;
        for (uint32_t s = 0; s < ws->size; s++) {
            struct wsle *w = &ws->e[s];
            if (w->va == 0)
                continue;
            vml_pa pte_pa = 0;
            as_pte_slot(p, w->va, 0, &pte_pa);
            uint64_t pte = pte_pa ? pte_read(m, pte_pa) : 0;
            vml_pfn pfn = pg_frame(m->pm, pte) >> 12;
            if (!(pte & PG_P) || pfn >= m->n_frames || pfn != w->u.pfn ||
                m->pfn[pfn].flink != s || m->pfn[pfn].pte_pa != pte_pa) {
                snprintf(msg, size, "W1: pid %u working-set slot %#x holds %#llx, whose PTE is "
                         "%#llx (frame's slot %#x)", p->pid, s, (unsigned long long)w->va,
                         (unsigned long long)pte,
                         pfn < m->n_frames ? m->pfn[pfn].flink : PFN_NIL);
                return -1;
            }
            valid++;
        }
        for (uint32_t s = ws->free_head; s != WSL_NIL && free_slots <= ws->size;
             s = ws->e[s].u.next_free) {
            if (s >= ws->size || ws->e[s].va != 0) {
                snprintf(msg, size, "W2: pid %u free working-set slot %#x is in use or out of range",
                         p->pid, s);
                return -1;
            }
            free_slots++;
        }
        if (valid != p->st.ws_pages || valid + free_slots != ws->size) {
            snprintf(msg, size, "W2: pid %u working set: %llu valid + %llu free slots of %u, "
                     "ws_pages %llu", p->pid, (unsigned long long)valid,
                     (unsigned long long)free_slots, ws->size, (unsigned long long)p->st.ws_pages);
            return -1;
        }
        resident += valid;
    }
    if (m->pol && resident != m->pol_resident) {
        snprintf(msg, size, "W3: policy %s holds %llu pages, working sets %llu",
                 vml_policy_name(m->pol->id), (unsigned long long)m->pol_resident,
                 (unsigned long long)resident);
        return -1;
    }
    return 0;
}
