/*
** access.c -- memory accesses of a process through the MMU: the TLB, the
** page walker, the fault handler and the retry, for single accesses, byte
** ranges crossing pages and the batch path.
**
** INVARIANTS:
**   ACC1  An access either completes with the translation the MMU produced
**         (possibly a stale TLB entry, as on hardware) or stops at the
**         first page whose fault the handler turns into an exception.
**   ACC2  An access is translated at most three times: a fault may be
**         resolved, or retried once more when memory reclaimed on the way
**         took the page again (FLT1); a fourth translation is a bug and
**         marks the machine corrupt -- but after a stack growth (stack.c),
**         which earns one more.
**
** TRANSITIONS: none of its own; faults go through fault.c, stack growth
** through stack.c.
*/
#include <string.h>
#include "machine.h"

/* At a safe point: runs the background work when a threshold was crossed
** or the access interval has passed. */
static inline void background_due(vml_machine *m)
{
    if (m->bg_due || (m->cfg.bg_interval && m->n_accesses >= m->next_bg))
        mm_background(m);
}

/* The global policy sees an access of a frame (a stale TLB entry may name
** a frame that is no longer a resident user page: ignored). */
static inline void policy_access(vml_machine *m, vml_pfn pfn, unsigned access)
{
    if (m->pfn[pfn].xflags & PFNX_RESIDENT)
        m->pol->on_access(m->pol_st, (uint32_t)pfn, 0,
                          access == VML_ACCESS_WRITE ? POLICY_WRITE : 0);
}

static inline void load_cr3(vml_machine *m, unsigned cpu, vml_proc *p)
{
    if (m->cpu_proc[cpu] != p)
        as_switch(m, cpu, p);
    else
        p->last_cpu = cpu;
}

int acc_translate(vml_proc *p, unsigned cpu, vml_va va, unsigned access, vml_pa *pa,
                  vml_exception *ex)
{
    return acc_translate_flags(p, cpu, va, access, pa, ex, 0);
}

int acc_translate_flags(vml_proc *p, unsigned cpu, vml_va va, unsigned access, vml_pa *pa,
                        vml_exception *ex, unsigned mmu_flags)
{
    vml_machine *m = p->m;
    struct cpu *c = &m->cpus[cpu];
    if (!pg_canonical(m->pm, va)) {
        fault_exception(p, va, access, VML_AV_NONCANONICAL, ex);
        return -1;
    }
    /* A safe point for the background work: no fault is in progress. */
    m->n_accesses++;
    background_due(m);
    int r = -1;
    /* A stack growth (stack.c) is a fault handled without retrying the
    ** walk: it earns the access one more translation. */
    unsigned limit = 3;
    for (unsigned tries = 0; tries < limit; tries++) {
        struct mmu_fault f;
        struct mmu_walk w;
        int walked;
        if (mmu_translate(m->pm, &m->phys, c, va, access, 1, pa, &f, &walked, &w, mmu_flags) == 0) {
            if (walked && mm_tracing(m)) {
                vml_event ev = { .type = VML_EV_TLB_FILL, .pid = p->pid, .cpu = cpu,
                                 .va = va & ~(vml_va)0xFFF, .pfn = pg_frame(m->pm, w.leaf) >> 12,
                                 .pte_pa = w.leaf_pa, .new_pte = w.leaf, .level = w.leaf_level,
                                 .what = m->pm->level_name[w.leaf_level] };
                mm_emit(m, &ev);
            }
            /* A global policy sees the access; after a fault the page was
            ** just loaded, and loading counted as its use. */
            if (m->pol && tries == 0)
                policy_access(m, *pa >> 12, access);
            r = 0;
            goto done;
        }
        enum fault_outcome fo = fault_resolve(p, &f, ex);
        if (fo == FAULT_GROW_DOWN || fo == FAULT_STACK_GUARD) {
            if (stack_grow(p, &f, fo, ex) != 0)
                goto done;
            if (limit == 3)
                limit = 4;
        } else if (fo != FAULT_RETRY) {
            goto done;
        }
        mmu_flags = 0;
    }
    mm_corrupt(m, "ACC2: access at %#llx still faults after its fault was resolved",
               (unsigned long long)va);
    fault_exception(p, va, access, VML_AV_NO_MEMORY, ex);
done:
    if (m->n_accesses >= m->rec_next)   /* the recorder's sample point (REC3) */
        rec_due(m);
    return r;
}

void acc_copy(vml_machine *m, vml_pa pa, uint8_t *buf, size_t len, unsigned access)
{
    if (access != VML_ACCESS_WRITE)
        memcpy(buf, phys_ptr(&m->phys, pa), len);
    else if (!m->no_data)
        memcpy(phys_ptr(&m->phys, pa), buf, len);
}

static vml_status check_args(vml_proc *p, unsigned cpu, const void *buf, size_t len)
{
    if (p == NULL)
        return VML_E_INVALID;
    if (cpu >= p->m->n_cpus)
        return mm_fail(p->m, VML_E_RANGE, "cpu %u does not exist (the machine has %u)",
                       cpu, p->m->n_cpus);
    if (buf == NULL && len)
        return mm_fail(p->m, VML_E_INVALID, "no buffer");
    if (mm_is_corrupt(p->m))
        return VML_E_CORRUPT;
    return VML_OK;
}

/* Copy between buf and [va, va+len) page by page. */
static vml_status transfer(vml_proc *p, unsigned cpu, vml_va va, uint8_t *buf, size_t len,
                           unsigned access, vml_exception *ex)
{
    vml_status st = check_args(p, cpu, buf, len);
    if (st != VML_OK)
        return st;
    vml_machine *m = p->m;
    load_cr3(m, cpu, p);
    while (len) {
        size_t chunk = VML_PAGE_SIZE - (size_t)(va & 0xFFF);
        vml_pa pa;
        if (chunk > len)
            chunk = len;
        if (acc_translate(p, cpu, va, access, &pa, ex) != 0)
            return mm_done(m, mm_is_corrupt(m) ? VML_E_CORRUPT : VML_FAULTED);
        acc_copy(m, pa, buf, chunk, access);
        buf += chunk;
        va += chunk;
        len -= chunk;
    }
    return mm_done(m, VML_OK);
}

vml_status vml_mem_read(vml_proc *p, unsigned cpu, vml_va va, void *buf, size_t len,
                        vml_exception *ex)
{
    return transfer(p, cpu, va, buf, len, VML_ACCESS_READ, ex);
}

vml_status vml_mem_write(vml_proc *p, unsigned cpu, vml_va va, const void *buf, size_t len,
                         vml_exception *ex)
{
    return transfer(p, cpu, va, (uint8_t *)(uintptr_t)buf, len, VML_ACCESS_WRITE, ex);
}

vml_status vml_mem_fetch(vml_proc *p, unsigned cpu, vml_va va, void *buf, size_t len,
                         vml_exception *ex)
{
    return transfer(p, cpu, va, buf, len, VML_ACCESS_EXEC, ex);
}

/* The index of the batch access after which the recorder samples
** (SIZE_MAX: none in this batch); accesses before `counted` are in
** m->n_accesses. */
static inline size_t rec_index(const vml_machine *m, size_t counted, size_t n)
{
    uint64_t left = m->rec_next - m->n_accesses;     /* >= 1 (REC3) */
    return left > n - counted ? SIZE_MAX : counted + (size_t)left - 1;
}

vml_status vml_mem_batch(vml_proc *p, unsigned cpu, const vml_va *vas, size_t n,
                         unsigned access, uint64_t *sum, size_t *n_done, vml_exception *ex)
{
    vml_status st = check_args(p, cpu, vas, n);
    if (n_done)
        *n_done = 0;
    if (st != VML_OK)
        return st;
    if (access > VML_ACCESS_EXEC)
        return mm_fail(p->m, VML_E_INVALID, "access %u is not read, write or execute", access);
    vml_machine *m = p->m;
    const struct pg_mode *pm = m->pm;
    struct cpu *c = &m->cpus[cpu];
    unsigned need = mmu_need(access, 1);
    const int pol = m->pol != NULL;   /* hoisted: the stores below may alias */
    uint64_t total = 0;
    size_t i, counted = 0;
    size_t rec_i = rec_index(m, counted, n);
    uint64_t rec_seen = m->rec_next;
    load_cr3(m, cpu, p);
    for (i = 0; i < n; i++) {
        vml_va va = vas[i] & ~(vml_va)7;
        vml_pa pa;
        /* The hot path: a first-level TLB hit with the rights the access
        ** needs.  Anything else takes the full path with its fault handling. */
        struct tlb_ent *e = pg_canonical(pm, va) ? tlb_lookup_4k(&c->tlb, va >> 12, c->pcid) : NULL;
        if (e != NULL && (e->val & need) == need) {
            c->st.tlb_hits++;
            pa = (e->val & ~(uint64_t)0xFFF) | (va & 0xFFF);
            if (pol)
                policy_access(m, pa >> 12, access);
        } else {
            /* (the slow path counts this access itself) */
            m->n_accesses += i - counted;
            counted = i + 1;
            if (acc_translate_flags(p, cpu, va, access, &pa, ex,
                                    e == NULL ? MMU_L1_MISSED : 0) != 0)
                break;
            /* counted and n_accesses moved together: rec_i holds unless
            ** the slow path sampled (and moved the point) */
            if (m->rec_next != rec_seen) {
                rec_seen = m->rec_next;
                rec_i = rec_index(m, counted, n);
            }
        }
        uint8_t *ptr = phys_ptr(&m->phys, pa);
        if (access == VML_ACCESS_WRITE) {
            if (!m->no_data)
                memcpy(ptr, &va, 8);
        } else {
            uint64_t v;
            memcpy(&v, ptr, 8);
            total += v;
        }
        if (i == rec_i) {               /* the recorder's sample point (REC3) */
            m->n_accesses += i + 1 - counted;
            counted = i + 1;
            rec_due(m);
            rec_seen = m->rec_next;
            rec_i = rec_index(m, counted, n);
        }
    }
    if (i > counted)
        m->n_accesses += i - counted;
    if (sum)
        *sum += total;
    if (n_done)
        *n_done = i;
    return mm_done(m, i == n ? VML_OK : mm_is_corrupt(m) ? VML_E_CORRUPT : VML_FAULTED);
}
