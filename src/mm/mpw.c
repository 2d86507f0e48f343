/*
** mpw.c -- the modified page writer: modified pages go to their backing
** store and become standby pages.  A private page, a page of a
** pagefile-backed section and a clone page go to the pagefile, in
** clusters of consecutive slots; a page of a file goes back to its file,
** at its offset (never to the pagefile).
**
** INVARIANTS: a page whose write fails stays on the modified list with its
** data (no page is lost); PF1 holds for the slots it takes.
**
** TRANSITIONS:
**   modified -> standby        mpw_run()   (through pfn_written())
**   active modified -> clean   mpw_write_file_page()  (a flush)
*/
#include "machine.h"

static void pf_event(vml_machine *m, vml_pfn pfn, uint64_t slot, uint64_t n, const char *what)
{
    if (!mm_tracing(m))
        return;
    vml_event ev = { .type = VML_EV_PAGEFILE, .pfn = pfn, .slot = slot, .count = n, .what = what };
    mm_emit(m, &ev);
}

/* The file segment a page belongs to, with its page index (NULL: the
** page goes to the pagefile). */
static struct segment *file_segment_of(const vml_machine *m, vml_pfn pfn, uint64_t *index)
{
    const struct pfn_entry *e = &m->pfn[pfn];
    uint64_t id;
    if (!(e->flags & VML_PFN_PROTOTYPE) || proto_id_of_va(m, e->pte_pa, &id) != 0)
        return NULL;
    struct segment *seg = proto_segment(m, id, index);
    return seg && seg->kind == SEG_FILE ? seg : NULL;
}

int mpw_write_file_page(vml_machine *m, vml_pfn pfn)
{
    uint64_t index;
    struct segment *seg = file_segment_of(m, pfn, &index);
    struct pfn_entry *e = &m->pfn[pfn];
    int err = seg ? file_write_page(m, seg->file, index << VML_PAGE_SHIFT, pfn) : VML_EINVAL;
    if (mm_tracing(m)) {
        vml_event ev = { .type = VML_EV_FILE, .pfn = pfn, .slot = index, .count = 1,
                         .va = proto_va(m, seg ? seg->proto_base + index : 0),
                         .what = err ? "write failed" : "write" };
        mm_emit(m, &ev);
    }
    if (err)
        return err;
    if (e->list == VML_LIST_MODIFIED)
        pfn_written(m, pfn, 0);
    else
        e->flags &= (uint8_t)~VML_PFN_MODIFIED;
    return 0;
}

/* The pagefile PTE a written page's frame keeps as its clean copy. */
static uint64_t written_orig(vml_machine *m, vml_pfn pfn, uint64_t slot)
{
    const struct pfn_entry *e = &m->pfn[pfn];
    if (e->flags & VML_PFN_PROTOTYPE)
        return proto_pagefile(slot);
    return sw_pagefile(m->pm, slot, sw_prot(pte_read(m, e->pte_pa)));
}

/* Writes the first pages of pfns[0..n) that one run of consecutive free
** slots holds, in one host write; returns how many (0: the pagefile is
** full, absent or failing, and they stay modified). */
static uint64_t write_cluster(vml_machine *m, const vml_pfn *pfns, uint64_t n)
{
    uint64_t first, got = pf_alloc_run(m, n, &first);
    if (got == 0) {
        pf_event(m, pfns[0], UINT64_MAX, 0,
                 m->pf.fd < 0 ? "absent: modified pages stay" : "full: modified pages stay");
        return 0;
    }
    int err = pf_write(m, first, pfns, got);
    if (err) {
        /* The pages stay on the modified list with their data: no page is
        ** lost, the next run tries again. */
        for (uint64_t i = 0; i < got; i++)
            pf_free_slot(m, first + i);
        m->pf.write_errors++;
        pf_event(m, pfns[0], first, got, err == VML_ENOSPC ? "write failed: ENOSPC"
                                                           : "write failed: EIO");
        return 0;
    }
    for (uint64_t i = 0; i < got; i++)
        pfn_written(m, pfns[i], written_orig(m, pfns[i], first + i));
    m->pf.writes += got;
    m->pf.clusters++;
    pf_event(m, pfns[0], first, got, "write");
    return got;
}

uint64_t mpw_run(vml_machine *m, uint64_t max)
{
    uint64_t done = 0;
    /* Each page on the list now is looked at once per run: a page whose
    ** write fails is not retried in a loop. */
    uint64_t budget = m->lists[VML_LIST_MODIFIED].count;
    uint32_t f = m->lists[VML_LIST_MODIFIED].head;
    while (f != PFN_NIL && budget && (max == 0 || done < max)) {
        vml_pfn cluster[MPW_CLUSTER];
        uint64_t n = 0, want = max ? max - done : MPW_CLUSTER;
        if (want > MPW_CLUSTER)
            want = MPW_CLUSTER;
        while (f != PFN_NIL && budget && n < want) {
            uint32_t next = m->pfn[f].flink;
            uint64_t index;
            budget--;
            if (file_segment_of(m, f, &index) != NULL)
                done += mpw_write_file_page(m, f) == 0;
            else
                cluster[n++] = f;
            f = next;
        }
        if (n == 0)
            continue;
        uint64_t got = write_cluster(m, cluster, n);
        if (got == 0)
            break;
        done += got;
        if (got < n) {          /* the run was short: the rest start the next one */
            f = (uint32_t)cluster[got];
            budget += n - got;
        }
    }
    return done;
}
