/*
** pagefile.c -- the pagefile: a real host file of 4 KiB slots and its slot
** allocator.  Its I/O goes through the injection points of core.c.
**
** A slot is owned by exactly one page: by a pagefile PTE or prototype PTE
** (the page is out of memory), or by the original PTE of the frame holding
** a clean copy of it (the page was read back, or written and not touched
** since).  When the copy goes stale -- the page is written again, or freed
** -- the slot is freed (Windows: MiReleasePageFileSpace).
**
** INVARIANTS (PF1 is checked with every PTE and prototype PTE by
** rmap.c's page check; PF2 by pf_check()):
**   PF1  Every slot in use is named by exactly one pagefile PTE (of a
**        process or a prototype) or one frame's original PTE, and `used`
**        counts them.
**   PF2  used <= n_slots, peak >= used, and the bitmap holds `used` ones.
**
** TRANSITIONS:
**   slot free -> in use     pf_alloc_run()   (the modified page writer)
**   slot in use -> free     pf_free_slot()   (page freed or rewritten)
*/
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "machine.h"


/* ---- the host file ---------------------------------------------------------------------- */

vml_status pf_open(vml_machine *m)
{
    struct pagefile *pf = &m->pf;
    uint64_t bytes = m->cfg.pagefile_bytes;
    pf->fd = -1;
    if (bytes == 0)
        return VML_OK;
    pf->n_slots = bytes >> VML_PAGE_SHIFT;
    pf->bitmap = calloc((pf->n_slots + 63) / 64, sizeof *pf->bitmap);
    if (pf->bitmap == NULL)
        return mm_fail(m, VML_E_NOMEM, "no host memory for the pagefile's slot map");
    const char *path = m->cfg.pagefile_path;
    if (path == NULL || path[0] == 0) {
        const char *dir = getenv("TMPDIR");
        char tmpl[300];
        snprintf(tmpl, sizeof tmpl, "%s/vmlab-pagefile-XXXXXX", dir && dir[0] ? dir : "/tmp");
        pf->fd = mkstemp(tmpl);
        if (pf->fd < 0)
            return mm_fail(m, VML_E_IO, "cannot create a temporary pagefile in %s: %s",
                           dir && dir[0] ? dir : "/tmp", strerror(errno));
        unlink(tmpl);   /* gone from the directory now; freed on close */
        pf->path[0] = 0;
    } else {
        struct stat sb;
        if (strlen(path) >= sizeof pf->path)
            return mm_fail(m, VML_E_INVALID, "pagefile path is longer than %zu characters",
                           sizeof pf->path - 1);
        if (stat(path, &sb) == 0 && !S_ISREG(sb.st_mode))
            return mm_fail(m, VML_E_INVALID, "pagefile %s exists and is not a regular file", path);
        pf->fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
        if (pf->fd < 0)
            return mm_fail(m, VML_E_IO, "cannot open pagefile %s: %s", path, strerror(errno));
        snprintf(pf->path, sizeof pf->path, "%s", path);
    }
    if (ftruncate(pf->fd, (off_t)bytes) != 0) {
        int e = errno;
        close(pf->fd);
        pf->fd = -1;
        return mm_fail(m, VML_E_IO, "cannot size the pagefile to %llu bytes: %s",
                       (unsigned long long)bytes, strerror(e));
    }
    return VML_OK;
}

void pf_close(vml_machine *m)
{
    if (m->pf.fd >= 0)
        close(m->pf.fd);
    m->pf.fd = -1;
    free(m->pf.bitmap);
    m->pf.bitmap = NULL;
}

static int slot_used(const struct pagefile *pf, uint64_t s)
{
    return (pf->bitmap[s / 64] >> (s % 64)) & 1;
}

uint64_t pf_alloc_run(vml_machine *m, uint64_t want, uint64_t *first)
{
    struct pagefile *pf = &m->pf;
    if (pf->fd < 0 || pf->used == pf->n_slots || want == 0)
        return 0;
    /* Next fit: the first free slot at or after the hint (wrapping), then
    ** as many free slots after it as wanted.  (A slot is free: the search
    ** ends.  Only whole words can be full: bits past n_slots stay 0.) */
    uint64_t s = pf->hint < pf->n_slots ? pf->hint : 0;
    while (slot_used(pf, s)) {
        s += s % 64 == 0 && pf->bitmap[s / 64] == UINT64_MAX ? 64 : 1;
        if (s >= pf->n_slots)
            s = 0;
    }
    uint64_t n = 0;
    while (n < want && s + n < pf->n_slots && !slot_used(pf, s + n)) {
        pf->bitmap[(s + n) / 64] |= UINT64_C(1) << ((s + n) % 64);
        n++;
    }
    pf->used += n;
    if (pf->used > pf->peak)
        pf->peak = pf->used;
    pf->hint = s + n;
    *first = s;
    return n;
}

void pf_free_slot(vml_machine *m, uint64_t slot)
{
    struct pagefile *pf = &m->pf;
    if (slot >= pf->n_slots || !slot_used(pf, slot)) {
        mm_corrupt(m, "PF1: freeing pagefile slot %#llx, which is not in use",
                   (unsigned long long)slot);
        return;
    }
    pf->bitmap[slot / 64] &= ~(UINT64_C(1) << (slot % 64));
    pf->used--;
}

/* The whole of len bytes at off, despite short transfers; 0 or errno. */
int bio_host_io(int fd, int write, uint64_t off, uint8_t *buf, size_t len)
{
    while (len) {
        ssize_t n = write ? pwrite(fd, buf, len, (off_t)off) : pread(fd, buf, len, (off_t)off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return errno;
        if (n == 0)
            return VML_EIO;   /* read past the end: the file was cut short */
        buf += n;
        off += (uint64_t)n;
        len -= (size_t)n;
    }
    return 0;
}

int pf_write(vml_machine *m, uint64_t first_slot, const vml_pfn *pfns, uint64_t n)
{
    uint8_t buf[MPW_CLUSTER * VML_PAGE_SIZE];
    if (n > MPW_CLUSTER)
        return VML_EIO;
    int err = mm_injected(m, VML_INJECT_PAGEFILE_WRITE);
    if (err || m->no_data)      /* data=off: slots without bytes (MCH4) */
        return err;
    for (uint64_t i = 0; i < n; i++)
        memcpy(buf + i * VML_PAGE_SIZE, phys_frame(&m->phys, pfns[i]), VML_PAGE_SIZE);
    return bio_host_io(m->pf.fd, 1, first_slot << VML_PAGE_SHIFT, buf, (size_t)n * VML_PAGE_SIZE);
}

int pf_read(vml_machine *m, uint64_t slot, vml_pfn pfn)
{
    int err = mm_injected(m, VML_INJECT_PAGEFILE_READ);
    if (!err && !m->no_data)
        err = bio_host_io(m->pf.fd, 0, slot << VML_PAGE_SHIFT, (uint8_t *)phys_frame(&m->phys, pfn),
                      VML_PAGE_SIZE);
    if (err)
        m->pf.read_errors++;
    else
        m->pf.reads++;
    return err;
}

/* ---- public ---------------------------------------------------------------------------------- */

void vml_pagefile_get(const vml_machine *m, vml_pagefile_info *out)
{
    const struct pagefile *pf = &m->pf;
    *out = (vml_pagefile_info){ 0 };
    out->present = pf->fd >= 0;
    snprintf(out->path, sizeof out->path, "%s", pf->path);
    out->total_slots = pf->n_slots;
    out->used_slots = pf->used;
    out->peak_slots = pf->peak;
    out->reads = pf->reads;
    out->writes = pf->writes;
    out->write_clusters = pf->clusters;
    out->read_errors = pf->read_errors;
    out->write_errors = pf->write_errors;
}

int pf_check(vml_machine *m, char *msg, size_t size)
{
    const struct pagefile *pf = &m->pf;
    uint64_t ones = 0;
    for (uint64_t w = 0; pf->bitmap && w < (pf->n_slots + 63) / 64; w++)
        ones += (uint64_t)__builtin_popcountll(pf->bitmap[w]);
    if (ones != pf->used || pf->used > pf->n_slots || pf->peak < pf->used) {
        snprintf(msg, size, "PF2: pagefile counts %llu slots used (peak %llu of %llu), bitmap holds "
                 "%llu", (unsigned long long)pf->used, (unsigned long long)pf->peak,
                 (unsigned long long)pf->n_slots, (unsigned long long)ones);
        return -1;
    }
    return 0;
}
