/*
** machine.c -- a vml_machine: creation and destruction, processes, CPUs,
** the invariant check of every module, events, and the public glue that
** reads several modules (the walk, raw PTE edits, VADs, PFN entries).
**
** INVARIANTS (checked by vml_machine_check(), which runs every module's):
**   PHY1 phys_check()   PFN1-PFN7 pfn_check()   TLB1-TLB6 tlb_check() and
**   MMU1-MMU5, PGM1-PGM3 mmu_check() per CPU
**   AS1-AS3 as_check() (through rmap_check)   VAD1-VAD5 vad_check()
**   VM1-VM3 vm_check()   WS1-WS2 ws_check()   PF2 pf_check()   FL1-FL2
**   file_check()   SEC1-SEC5 section_check()   RMAP1-RMAP6, WS3, PF1
**   rmap_check()   MCH2 as_pcid_check()
**   MCH1  Each CPU's CR3 is 0 or the CR3 of the process it names.
**   MCH2  (as_pcid_check()) With PCIDs on, no two live processes hold one
**         PCID, the PCID map holds exactly the live processes' PCIDs, and
**         a CPU runs a process under that process's own PCID.
**   MCH3  Processes are kept in pid order (mm_proc() searches them).
**   MCH4  With data=off (m->no_data) the bytes of every frame that is not
**         a page table or a kernel page are zero: stores into data pages,
**         copies and page I/O are not made, a table is zeroed as it is
**         freed, so no frame is ever zeroed for a new use.  (Checked on the
**         first frames of the free and zeroed lists: a full scan per
**         operation would cost the machine's size.)
**
** TRANSITIONS:
**   no process -> process        vml_proc_create(), vm_fork()
**   process    -> gone           vml_proc_destroy()  (every VAD released)
*/
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "machine.h"

const char *vml_av_reason_text(vml_av_reason r)
{
    static const char *const texts[] = {
#define VML_X_TEXT(name, text) text,
        VML_REASON_LIST(VML_X_TEXT)
#undef VML_X_TEXT
    };
    return (unsigned)r < VML_N_AV_REASONS ? texts[r] : "?";
}

const char *vml_av_reason_name(vml_av_reason r)
{
    static const char *const names[] = {
#define VML_X_NAME(name, text) #name,
        VML_REASON_LIST(VML_X_NAME)
#undef VML_X_NAME
    };
    return (unsigned)r < VML_N_AV_REASONS ? names[r] : "?";
}

static const char *lower_list(vml_list l)
{
    static const char *const names[VML_N_LISTS] = {
        "zeroed", "free", "standby", "modified", "modified-nowrite", "bad", "rom", "active",
    };
    return (unsigned)l < VML_N_LISTS ? names[l] : "?";
}

size_t vml_event_format(const vml_machine *m, const vml_event *ev, char *buf, size_t size)
{
    int n = 0;
    unsigned long long va = ev->va, pfn = ev->pfn;
    (void)m;
    if (size == 0)
        return 0;
    switch (ev->type) {
    case VML_EV_FAULT:
        n = snprintf(buf, size, "fault %s pid=%u va=%#llx pfn=%#llx %s->%s", ev->what, ev->pid,
                     va, pfn, lower_list(ev->from), lower_list(ev->to));
        break;
    case VML_EV_EXCEPTION:
        n = snprintf(buf, size, "exception pid=%u va=%#llx %s", ev->pid, va, ev->what);
        break;
    case VML_EV_LIST_MOVE:
        n = snprintf(buf, size, "pfn %#llx %s->%s", pfn, lower_list(ev->from), lower_list(ev->to));
        break;
    case VML_EV_PTE_WRITE:
        n = snprintf(buf, size, "pte pid=%u va=%#llx %s at pa=%#llx %#llx -> %#llx", ev->pid, va,
                     ev->what ? ev->what : "?", (unsigned long long)ev->pte_pa,
                     (unsigned long long)ev->old_pte, (unsigned long long)ev->new_pte);
        break;
    case VML_EV_PT_ALLOC:
    case VML_EV_PT_FREE:
        n = snprintf(buf, size, "%s pid=%u va=%#llx %s table pfn=%#llx",
                     ev->type == VML_EV_PT_ALLOC ? "pt-alloc" : "pt-free", ev->pid, va,
                     ev->what ? ev->what : "?", pfn);
        break;
    case VML_EV_TLB_FILL:
        n = snprintf(buf, size, "tlb-fill cpu%u pid=%u va=%#llx -> pfn=%#llx (%s %#llx)", ev->cpu,
                     ev->pid, va, pfn, ev->what ? ev->what : "?", (unsigned long long)ev->new_pte);
        break;
    case VML_EV_TLB_INVLPG:
        n = snprintf(buf, size, "invlpg cpu%u pid=%u va=%#llx", ev->cpu, ev->pid, va);
        break;
    case VML_EV_TLB_FLUSH:
        n = snprintf(buf, size, "tlb-flush cpu%u %s", ev->cpu, ev->what ? ev->what : "");
        break;
    case VML_EV_CR3_LOAD:
        n = snprintf(buf, size, "cr3 cpu%u pid=%u cr3=%#llx (%s)", ev->cpu, ev->pid,
                     (unsigned long long)ev->pte_pa, ev->what ? ev->what : "");
        break;
    case VML_EV_IPI:
        n = snprintf(buf, size, "ipi cpu%u pid=%u va=%#llx (%s)", ev->cpu, ev->pid, va,
                     ev->what ? ev->what : "");
        break;
    case VML_EV_VAD:
        n = snprintf(buf, size, "vad %s pid=%u va=%#llx size=%#llx", ev->what, ev->pid, va,
                     (unsigned long long)ev->new_pte);
        break;
    case VML_EV_TRIM:
    case VML_EV_EVICT:
        n = snprintf(buf, size, "%s pid=%u va=%#llx pfn=%#llx %s active->%s",
                     ev->type == VML_EV_TRIM ? "trim" : "evict", ev->pid, va, pfn, ev->what,
                     lower_list(ev->to));
        break;
    case VML_EV_AGE:
        n = snprintf(buf, size, "age pid=%u %llu pages, %llu accessed since the last pass",
                     ev->pid, (unsigned long long)ev->count, (unsigned long long)ev->new_pte);
        break;
    case VML_EV_PAGEFILE:
        if (ev->slot == UINT64_MAX)
            n = snprintf(buf, size, "pagefile %s", ev->what);
        else
            n = snprintf(buf, size, "pagefile %s slot=%#llx pages=%llu pfn=%#llx", ev->what,
                         (unsigned long long)ev->slot, (unsigned long long)ev->count, pfn);
        break;
    case VML_EV_REPURPOSE:
        if (ev->pid == 0)
            n = snprintf(buf, size, "repurpose pfn=%#llx from prototype %#llx: -> %s %#llx", pfn,
                         va, ev->what, (unsigned long long)ev->new_pte);
        else
            n = snprintf(buf, size, "repurpose pfn=%#llx from pid=%u va=%#llx: pte -> %s %#llx",
                         pfn, ev->pid, va, ev->what, (unsigned long long)ev->new_pte);
        break;
    case VML_EV_FILE:
        n = snprintf(buf, size, "file %s page=%#llx pfn=%#llx (prototype %#llx)", ev->what,
                     (unsigned long long)ev->slot, pfn, va);
        break;
    case VML_EV_FORK:
        n = snprintf(buf, size, "fork pid=%u -> pid=%llu: %llu pages now shared copy-on-write",
                     ev->pid, (unsigned long long)ev->count, (unsigned long long)ev->new_pte);
        break;
    case VML_N_EVENTS:
        n = snprintf(buf, size, "?");
        break;
    }
    return n < 0 ? 0 : (size_t)n < size ? (size_t)n : size - 1;
}

/* ---- configuration and layout ------------------------------------------------------------- */

void vml_config_default(vml_config *cfg)
{
    *cfg = (vml_config){ 0 };
    cfg->ram_bytes = UINT64_C(64) << 20;
    cfg->paging = VML_PAGING_4LEVEL;
    cfg->tlb_entries = 64;
    cfg->tlb_ways = 4;
    cfg->n_cpus = 1;
    cfg->seed = 1;
    cfg->user_split = UINT64_C(2) << 30;
    cfg->policy = VML_POLICY_WS;
    cfg->ws_min_pages = 50;        /* Windows' default minimum working set */
    cfg->bg_interval = 65536;
#ifdef VML_TEST_BUILD
    cfg->flags = VML_CFG_CHECK;
#endif
}

vml_status vml_config_check(const vml_config *c, char *err, size_t size)
{
    char scratch[8];
    if (c == NULL)
        return VML_E_INVALID;
    if (err == NULL || size == 0) {
        err = scratch;
        size = sizeof scratch;
    }
    err[0] = 0;
    if ((unsigned)c->paging >= VML_N_PAGING)
        return snprintf(err, size, "paging mode %d does not exist", (int)c->paging), VML_E_INVALID;
    if (c->ram_bytes % VML_PAGE_SIZE || c->ram_bytes < (UINT64_C(1) << 20))
        return snprintf(err, size, "ram must be a multiple of 4K and at least 1M (got %llu bytes)",
                        (unsigned long long)c->ram_bytes), VML_E_RANGE;
    uint64_t max = c->paging == VML_PAGING_LEGACY ? UINT64_C(4) << 30 : UINT64_C(1) << 40;
    if (c->ram_bytes > max)
        return snprintf(err, size, "ram of %llu MiB exceeds what %s paging addresses (%llu MiB)",
                        (unsigned long long)(c->ram_bytes >> 20), vml_paging_name(c->paging),
                        (unsigned long long)(max >> 20)), VML_E_RANGE;
    if (c->n_cpus < 1 || c->n_cpus > 64)
        return snprintf(err, size, "cpus must be 1..64 (got %u)", c->n_cpus), VML_E_RANGE;
    if (c->tlb_entries < 1 || c->tlb_entries > (1u << 20) || c->tlb_ways < 1 ||
        c->tlb_ways > c->tlb_entries || c->tlb_entries % c->tlb_ways)
        return snprintf(err, size, "tlb %ux%u: entries must be 1..1048576 and a multiple of the "
                        "ways", c->tlb_entries, c->tlb_ways), VML_E_RANGE;
    if (c->tlb2_entries && (c->tlb2_ways < 1 || c->tlb2_ways > c->tlb2_entries ||
                            c->tlb2_entries % c->tlb2_ways || c->tlb2_entries > (1u << 22)))
        return snprintf(err, size, "tlb2 %ux%u: entries must be a multiple of the ways",
                        c->tlb2_entries, c->tlb2_ways), VML_E_RANGE;
    if (c->user_split != (UINT64_C(2) << 30) && c->user_split != (UINT64_C(3) << 30))
        return snprintf(err, size, "user split must be 2G or 3G"), VML_E_RANGE;
    if (c->flags & ~(unsigned)(VML_CFG_PCID | VML_CFG_CHECK | VML_CFG_NO_ASLR |
                               VML_CFG_STRICT_IMPORTS | VML_CFG_NO_DATA))
        return snprintf(err, size, "unknown flags %#x", c->flags), VML_E_INVALID;
    uint64_t max_slots = sw_max_slots(&pg_modes[c->paging]);
    if (c->pagefile_bytes % VML_PAGE_SIZE || (c->pagefile_bytes >> VML_PAGE_SHIFT) > max_slots)
        return snprintf(err, size, "pagefile size %llu must be a multiple of 4K and at most %llu "
                        "pages (what a %s PTE can name)", (unsigned long long)c->pagefile_bytes,
                        (unsigned long long)max_slots, vml_paging_name(c->paging)), VML_E_RANGE;
    if ((unsigned)c->policy >= VML_N_POLICIES)
        return snprintf(err, size, "policy %d does not exist", (int)c->policy), VML_E_INVALID;
    const struct policy_ops *pol = policy_find(c->policy);
    if (pol && (pol->flags & POLICY_NEEDS_FUTURE))
        return snprintf(err, size, "policy %s needs the future reference string: it runs in "
                        "`vmlab policy` and in replay, not on a live machine",
                        vml_policy_name(c->policy)), VML_E_UNSUPPORTED;
    uint64_t frames = c->ram_bytes >> VML_PAGE_SHIFT;
    if (c->ws_max_pages && c->ws_min_pages > c->ws_max_pages)
        return snprintf(err, size, "working-set minimum %llu is above the maximum %llu",
                        (unsigned long long)c->ws_min_pages,
                        (unsigned long long)c->ws_max_pages), VML_E_INVALID;
    if (c->ws_max_pages > frames || c->ws_min_pages > frames)
        return snprintf(err, size, "working-set limits exceed the machine's %llu frames",
                        (unsigned long long)frames), VML_E_RANGE;
    if (c->low_pages >= frames / 2 || c->high_pages >= frames / 2 || c->zero_reserve > frames)
        return snprintf(err, size, "low/high thresholds must be below half of the %llu frames",
                        (unsigned long long)frames), VML_E_RANGE;
    if (c->low_pages && c->high_pages && c->high_pages < c->low_pages)
        return snprintf(err, size, "high threshold %llu is below low %llu",
                        (unsigned long long)c->high_pages,
                        (unsigned long long)c->low_pages), VML_E_INVALID;
    return VML_OK;
}

static void layout_init(vml_machine *m)
{
    vml_layout *l = &m->layout;
    const struct pg_mode *pm = m->pm;
    l->user_lowest = 0x10000;           /* below: the NULL no-access region */
    l->granularity = 0x10000;           /* SYSTEM_INFO.dwAllocationGranularity */
    l->levels = pm->levels;
    l->entry_size = pm->entry_size;
    l->va_bits = pm->va_bits;
    if (pm->va_bits == 32) {
        /* The last 64 KiB below the split is a no-access guard region. */
        l->kernel_base = m->cfg.user_split;
        l->user_highest = m->cfg.user_split - 0x10001;
        l->mmap_base = m->cfg.user_split == (UINT64_C(3) << 30) ? 0xB7FFF000 : 0x77FFF000;
    } else if (pm->levels == 4) {
        l->user_highest = UINT64_C(0x7FFFFFFEFFFF);   /* MmHighestUserAddress */
        l->kernel_base = UINT64_C(0xFFFF800000000000);
        l->mmap_base = UINT64_C(0x7FFFF7FFF000);      /* Linux, ASLR off */
    } else {
        l->user_highest = UINT64_C(0x00FFFFFFFFFEFFFF);
        l->kernel_base = UINT64_C(0xFF00000000000000);
        l->mmap_base = UINT64_C(0x7FFFF7FFF000);      /* Linux keeps 47 bits by default */
    }
}

void vml_machine_config(const vml_machine *m, vml_config *out)
{
    *out = m->cfg;
}

void vml_machine_layout(const vml_machine *m, vml_layout *out)
{
    *out = m->layout;
}

/* ---- create and destroy ---------------------------------------------------------------------- */

vml_status vml_machine_create(const vml_config *cfg, vml_machine **out)
{
    return vml_machine_create_msg(cfg, out, NULL, 0);
}

vml_status vml_machine_create_msg(const vml_config *cfg, vml_machine **out, char *err, size_t size)
{
    char scratch[8];
    vml_status st;
    if (err == NULL || size == 0) {
        err = scratch;
        size = sizeof scratch;
    }
    err[0] = 0;
    if (cfg == NULL || out == NULL)
        return VML_E_INVALID;
    *out = NULL;
    if ((st = vml_config_check(cfg, err, size)) != VML_OK)
        return st;
    vml_machine *m = calloc(1, sizeof *m);
    if (m == NULL)
        return VML_E_NOMEM;
    m->cfg = *cfg;
    m->core.check_each_op = (cfg->flags & VML_CFG_CHECK) != 0;
    m->core.check = vml_machine_check;
    m->take_table_frame = frame_take_table;
    mm_rng_seed(m, cfg->seed);
    m->pm = &pg_modes[cfg->paging];
    /* Prototype PTEs live in the paged pool: Windows x64's starts at
    ** 0xFFFF8A00'00000000 (Windows Internals, 6th ed., table 10-8), 32-bit
    ** Windows' at 0xE1000000.  Clone pages take the upper half of the ids. */
    m->proto_va_base = m->pm->va_bits == 32 ? UINT64_C(0xE1000000)
                                            : UINT64_C(0xFFFF8A0000000000);
    m->clones.base = sw_max_protos(m->pm) / 2;
    m->clones.free_head = CLONE_NIL;
    m->clones.refs_free = CLONE_NIL;
    m->zero_pfn = VML_PFN_NONE;
    m->n_frames = cfg->ram_bytes >> VML_PAGE_SHIFT;
    m->no_data = (cfg->flags & VML_CFG_NO_DATA) != 0;
    m->next_pid = 1;
    m->rec_next = m->rec_next_tick = UINT64_MAX;   /* REC3: no recording */
    layout_init(m);
    m->n_cpus = cfg->n_cpus;
    m->cpus = calloc(m->n_cpus, sizeof *m->cpus);
    if (m->cpus == NULL || (st = phys_init(&m->phys, m->n_frames,
                                                      m->no_data ? PHYS_SPARSE : 0)) != VML_OK ||
        (st = pfn_init(m)) != VML_OK) {
        vml_machine_destroy(m);
        return st == VML_OK ? VML_E_NOMEM : st;
    }
    for (unsigned c = 0; c < m->n_cpus; c++) {
        m->cpus[c].id = c;
        st = tlb_init(&m->cpus[c].tlb, cfg->tlb_entries, cfg->tlb_ways, cfg->tlb2_entries,
                      cfg->tlb2_ways);
        if (st != VML_OK) {
            vml_machine_destroy(m);
            return st;
        }
    }
    m->pf.fd = -1;
    if ((st = as_kernel_init(m)) != VML_OK || (st = reclaim_init(m)) != VML_OK || (st = pf_open(m)) != VML_OK ||
        (st = file_dir_open(m, cfg->files_path)) != VML_OK) {
        snprintf(err, size, "%s", m->core.err[0] ? m->core.err : vml_strerror(st));
        vml_machine_destroy(m);
        return st;
    }
    m->cfg.pagefile_path = m->pf.path[0] ? m->pf.path : NULL;   /* not the caller's string */
    m->cfg.files_path = m->files_dir;
    *out = m;
    return VML_OK;
}

void vml_machine_destroy(vml_machine *m)
{
    if (m == NULL)
        return;
    while (m->n_procs)
        mm_proc_delete(m->procs[m->n_procs - 1]);
    free(m->procs);
    rec_free(m);
    section_fini(m);
    file_dir_close(m);
    if (m->cpus)
        for (unsigned c = 0; c < m->n_cpus; c++)
            tlb_fini(&m->cpus[c].tlb);
    free(m->cpus);
    free(m->pfn);
    phys_fini(&m->phys);
    pf_close(m);
    if (m->pol && m->pol_st)
        m->pol->destroy(m->pol_st);
    free(m);
}

/* MCH4 on the first frames of the lists a new use takes frames from. */
static int no_data_check(const vml_machine *m, char *msg, size_t size)
{
    static const vml_list lists[] = { VML_LIST_FREE, VML_LIST_ZEROED };
    for (size_t l = 0; l < sizeof lists / sizeof lists[0]; l++) {
        vml_pfn pfn = m->lists[lists[l]].head;
        for (int n = 0; n < 4 && pfn != PFN_NIL; n++, pfn = m->pfn[pfn].flink) {
            const uint64_t *w = (const uint64_t *)phys_frame(&m->phys, pfn);
            for (size_t i = 0; i < VML_PAGE_SIZE / 8; i++)
                if (w[i] != 0)
                    return snprintf(msg, size, "MCH4: data=off, yet free pfn %#llx holds %#llx "
                                    "at +%#zx", (unsigned long long)pfn,
                                    (unsigned long long)w[i], i * 8), -1;
        }
    }
    return 0;
}

vml_status vml_machine_check(vml_machine *m)
{
    char msg[sizeof m->core.err];
    if (m == NULL)
        return VML_E_INVALID;
    msg[0] = 0;
    int bad = phys_check(&m->phys, msg, sizeof msg) || pfn_check(m, msg, sizeof msg) ||
              as_check(m, msg, sizeof msg) || vm_check(m, msg, sizeof msg) ||
              pf_check(m, msg, sizeof msg) || file_check(m, msg, sizeof msg) ||
              section_check(m, msg, sizeof msg) || rmap_check(m, msg, sizeof msg) ||
              as_pcid_check(m, msg, sizeof msg) || rec_check(m, msg, sizeof msg) ||
              stack_check(m, msg, sizeof msg);
    for (size_t i = 0; !bad && i < m->n_procs; i++)
        bad = ws_check(m->procs[i], msg, sizeof msg) ||
              (i > 0 && m->procs[i - 1]->pid >= m->procs[i]->pid &&
               snprintf(msg, sizeof msg, "MCH3: pid %u follows pid %u", m->procs[i]->pid,
                        m->procs[i - 1]->pid) >= 0);
    if (!bad && m->no_data)
        bad = no_data_check(m, msg, sizeof msg);
    for (unsigned c = 0; !bad && c < m->n_cpus; c++) {
        bad = tlb_check(&m->cpus[c].tlb, msg, sizeof msg) ||
              mmu_check(m->pm, &m->phys, &m->cpus[c], msg, sizeof msg);
        vml_proc *p = m->cpu_proc[c];
        if (!bad && m->cpus[c].cr3 != (p ? p->cr3 : 0)) {
            snprintf(msg, sizeof msg, "MCH1: cpu%u CR3 %#llx is not its process's", c,
                     (unsigned long long)m->cpus[c].cr3);
            bad = 1;
        }
    }
    /* the personalities' records (registered by os/: vm_set_os_check) */
    if (!bad && m->os_check != NULL)
        bad = m->os_check(m, msg, sizeof msg) != 0;
    if (!bad)
        return VML_OK;
    return mm_corrupt(m, "%s", msg);
}

/* ---- processes ------------------------------------------------------------------------------------ */

vml_status mm_proc_new(vml_machine *m, const char *name, vml_proc **out)
{
    size_t len = strlen(name);
    if (len == 0 || len >= sizeof ((vml_proc *)0)->name)
        return mm_fail(m, VML_E_INVALID, "a process name has 1 to 31 characters");
    for (size_t i = 0; i < len; i++)
        if (name[i] <= ' ' || name[i] > '~')
            return mm_fail(m, VML_E_INVALID, "process name '%s' has a space or control character",
                           name);
    if (vml_proc_find(m, name))
        return mm_fail(m, VML_E_EXISTS, "a process named '%s' exists", name);
    if (m->n_procs == m->cap_procs) {
        size_t cap = m->cap_procs ? m->cap_procs * 2 : 8;
        vml_proc **np = mm_realloc(m, m->procs, cap * sizeof *np);
        if (np == NULL)
            return VML_E_NOMEM;
        m->procs = np;
        m->cap_procs = cap;
    }
    vml_proc *p = mm_calloc(m, 1, sizeof *p);
    if (p == NULL)
        return VML_E_NOMEM;
    p->m = m;
    p->pid = m->next_pid;
    memcpy(p->name, name, len + 1);
    vad_tree_init(&p->vads);
    p->mem_priority = 5;           /* MEMORY_PRIORITY_NORMAL */
    p->ws.free_head = WSL_NIL;
    p->ws.min_pages = m->cfg.ws_min_pages;
    p->ws.max_pages = m->cfg.ws_max_pages;
    vml_status st = as_create(p);
    if (st != VML_OK) {
        free(p);
        return mm_fail(m, st, "no frame for the page directory of '%s'", name);
    }
    if (m->cfg.flags & VML_CFG_PCID)
        p->pcid = as_pcid_take_free(m);   /* 0: none free, one comes at its first switch */
    m->next_pid++;
    m->procs[m->n_procs++] = p;    /* MCH3: pids only grow */
    *out = p;
    return VML_OK;
}

void mm_proc_delete(vml_proc *p)
{
    vml_machine *m = p->m;
    struct vad *v;
    while ((v = vad_first(&p->vads)) != NULL)
        vm_release(p, v);
    handle_table_free(m, &p->w32);
    handle_table_free(m, &p->fds);
    free(p->os.threads);
    free(p->os.heaps);
    as_destroy(p);
    ws_fini(p);
    for (size_t i = 0; i < m->n_procs; i++)
        if (m->procs[i] == p) {
            memmove(&m->procs[i], &m->procs[i + 1], (m->n_procs - i - 1) * sizeof *m->procs);
            m->n_procs--;
            break;
        }
    free(p);
}

vml_proc *mm_proc(const vml_machine *m, unsigned pid)
{
    size_t lo = 0, hi = m->n_procs;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (m->procs[mid]->pid < pid)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < m->n_procs && m->procs[lo]->pid == pid ? m->procs[lo] : NULL;
}

vml_status vml_proc_create(vml_machine *m, const char *name, vml_proc **out)
{
    vml_proc *p;
    if (m == NULL || name == NULL)
        return VML_E_INVALID;
    vml_status st = mm_proc_new(m, name, &p);
    if (st != VML_OK)
        return st;
    if (out)
        *out = p;
    return mm_done(m, VML_OK);
}

vml_status vml_proc_destroy(vml_proc *p)
{
    if (p == NULL)
        return VML_E_INVALID;
    vml_machine *m = p->m;
    mm_proc_delete(p);
    return mm_done(m, VML_OK);
}

vml_proc *vml_proc_find(vml_machine *m, const char *name)
{
    if (m == NULL || name == NULL)
        return NULL;
    for (size_t i = 0; i < m->n_procs; i++)
        if (strcmp(m->procs[i]->name, name) == 0)
            return m->procs[i];
    return NULL;
}

vml_proc *vml_proc_by_pid(vml_machine *m, unsigned pid)
{
    return m ? mm_proc(m, pid) : NULL;
}

size_t vml_proc_count(const vml_machine *m) { return m ? m->n_procs : 0; }
vml_proc *vml_proc_at(vml_machine *m, size_t i) { return m && i < m->n_procs ? m->procs[i] : NULL; }
vml_machine *vml_proc_machine(const vml_proc *p) { return p ? p->m : NULL; }
const char *vml_proc_name(const vml_proc *p) { return p ? p->name : ""; }
unsigned vml_proc_pid(const vml_proc *p) { return p ? p->pid : 0; }
vml_pa vml_proc_cr3(const vml_proc *p) { return p ? p->cr3 : 0; }

/* ---- CPUs and TLBs ------------------------------------------------------------------------------------- */

unsigned vml_cpu_count(const vml_machine *m) { return m ? m->n_cpus : 0; }

static vml_status no_such_cpu(vml_machine *m, unsigned cpu)
{
    return mm_fail(m, VML_E_RANGE, "cpu %u does not exist (the machine has %u)", cpu, m->n_cpus);
}

vml_status vml_cpu_switch(vml_machine *m, unsigned cpu, vml_proc *p)
{
    if (m == NULL || p == NULL || p->m != m)
        return VML_E_INVALID;
    if (cpu >= m->n_cpus)
        return no_such_cpu(m, cpu);
    as_switch(m, cpu, p);
    return mm_done(m, VML_OK);
}

vml_proc *vml_cpu_current(vml_machine *m, unsigned cpu)
{
    return m && cpu < m->n_cpus ? m->cpu_proc[cpu] : NULL;
}

vml_status vml_tlb_invlpg(vml_machine *m, unsigned cpu, vml_proc *p, vml_va va)
{
    if (m == NULL || (p && p->m != m))
        return VML_E_INVALID;
    if (cpu != VML_ALL_CPUS && cpu >= m->n_cpus)
        return no_such_cpu(m, cpu);
    /* On every CPU: the initiator (p's last CPU, else cpu 0) runs invlpg,
    ** the others get a shootdown IPI each. */
    unsigned self = p ? p->last_cpu : 0;
    int remote = 0;
    for (unsigned c = 0; c < m->n_cpus; c++) {
        if (cpu != VML_ALL_CPUS && c != cpu)
            continue;
        vml_proc *q = p ? p : m->cpu_proc[c];
        unsigned pcid = q ? q->pcid : m->cpus[c].pcid;
        tlb_invlpg(&m->cpus[c].tlb, va, pcid);
        m->cpus[c].st.invlpgs++;
        if (cpu == VML_ALL_CPUS && c != self) {
            m->cpus[c].st.ipis++;
            m->st.ipis++;
            remote = 1;
        }
        if (mm_tracing(m)) {
            vml_event ev = { .type = VML_EV_TLB_INVLPG, .pid = q ? q->pid : 0, .cpu = c, .va = va };
            mm_emit(m, &ev);
        }
    }
    m->st.shootdowns += (unsigned)remote;
    return mm_done(m, VML_OK);
}

vml_status vml_tlb_flush(vml_machine *m, unsigned cpu, unsigned how)
{
    if (m == NULL || how > VML_TLB_FLUSH_ALL)
        return VML_E_INVALID;
    if (cpu != VML_ALL_CPUS && cpu >= m->n_cpus)
        return no_such_cpu(m, cpu);
    for (unsigned c = 0; c < m->n_cpus; c++) {
        if (cpu != VML_ALL_CPUS && c != cpu)
            continue;
        /* A CR3 reload flushes the current PCID's non-global entries (every
        ** PCID's when PCIDs are off); VML_TLB_FLUSH_ALL drops globals too. */
        int pcid = (m->cfg.flags & VML_CFG_PCID) != 0;
        tlb_flush(&m->cpus[c].tlb, m->cpus[c].pcid, !pcid, how == VML_TLB_FLUSH_ALL);
        m->cpus[c].st.flushes++;
        if (mm_tracing(m)) {
            vml_event ev = { .type = VML_EV_TLB_FLUSH, .cpu = c,
                             .what = how == VML_TLB_FLUSH_ALL ? "all (global too)" : "non-global" };
            mm_emit(m, &ev);
        }
    }
    return mm_done(m, VML_OK);
}

void vml_tlb_geometry_get(const vml_machine *m, vml_tlb_geometry *g)
{
    const struct tlb *t = &m->cpus[0].tlb;
    g->entries = t->l1.n_sets * t->l1.ways;
    g->ways = t->l1.ways;
    g->sets = t->l1.n_sets;
    g->l2_entries = t->l2.n_sets * t->l2.ways;
    g->l2_ways = t->l2.ways;
    g->l2_sets = t->l2.n_sets;
    g->pcid = (m->cfg.flags & VML_CFG_PCID) != 0;
}

struct tlb_copy {
    vml_tlb_entry_info *out;
    size_t max, n;
};

static void tlb_copy_one(void *ctx, unsigned level, unsigned set, unsigned way,
                         const struct tlb_ent *e)
{
    struct tlb_copy *tc = ctx;
    if (tc->n < tc->max) {
        vml_tlb_entry_info *o = &tc->out[tc->n];
        enum tlb_size sz = (enum tlb_size)((e->key >> 12) & 3);
        o->level = level;
        o->set = set;
        o->way = way;
        o->va = (e->key >> 16) << tlb_size_shift[sz];
        o->pa = e->val & ~(uint64_t)TLB_FLAGS;
        o->page_size = UINT64_C(1) << tlb_size_shift[sz];
        o->pcid = (unsigned)(e->key & 0xFFF);
        o->writable = (e->val & TLB_W) != 0;
        o->user = (e->val & TLB_U) != 0;
        o->nx = (e->val & TLB_X) == 0;
        o->dirty = (e->val & TLB_D) != 0;
        o->global = (e->val & TLB_G) != 0;
    }
    tc->n++;
}

size_t vml_tlb_entries(const vml_machine *m, unsigned cpu, vml_tlb_entry_info *out, size_t max)
{
    if (m == NULL || cpu >= m->n_cpus)
        return 0;
    struct tlb_copy tc = { out, out ? max : 0, 0 };
    tlb_visit(&m->cpus[cpu].tlb, tlb_copy_one, &tc);
    /* Kernel addresses were stored without their sign extension. */
    for (size_t i = 0; i < tc.n && i < tc.max; i++) {
        vml_va va = out[i].va;
        if (m->pm->va_bits < 64 && m->pm->va_bits > 32 && (va >> (m->pm->va_bits - 1)) & 1)
            out[i].va = va | ~((UINT64_C(1) << m->pm->va_bits) - 1);
    }
    return tc.n;
}

