/*
** umem.c -- user-mode memory accesses of the personalities (umem.h).
**
** INVARIANTS: none of its own (no state beyond the caller's struct umem).
*/
#include <string.h>
#include "umem.h"

#define PAGE UINT64_C(0x1000)

void um_init(struct umem *um, vml_proc *p, unsigned psize)
{
    memset(um, 0, sizeof *um);
    um->p = p;
    um->psize = psize == 4 ? 4 : 8;
}

static void copy(struct umem *um, vml_va va, void *buf, uint64_t n, unsigned access)
{
    if (um->failed || n == 0)
        return;
    if (um->peek) {
        size_t got = 0;
        if (access != VML_ACCESS_READ || vml_mem_peek(um->p, va, buf, n, &got) != VML_OK) {
            um->failed = 1;
            um->fail_va = va + got;
            um->ex = (vml_exception){ .ntstatus = VML_STATUS_ACCESS_VIOLATION, .va = va + got };
        }
        return;
    }
    uint64_t done = vm_copy(um->p, um->p, va, buf, n, access, 0, &um->ex);
    if (done != n) {
        um->failed = 1;
        um->fail_va = va + done;
    }
}

void um_read(struct umem *um, vml_va va, void *buf, uint64_t n)
{
    if (um->failed) {
        memset(buf, 0, n);
        return;
    }
    copy(um, va, buf, n, VML_ACCESS_READ);
    if (um->failed)
        memset(buf, 0, n);
}

void um_write(struct umem *um, vml_va va, const void *buf, uint64_t n)
{
    copy(um, va, (void *)(uintptr_t)buf, n, VML_ACCESS_WRITE);
}

static uint64_t rd(struct umem *um, vml_va va, unsigned n)
{
    uint8_t b[8];
    uint64_t v = 0;
    um_read(um, va, b, n);
    for (unsigned i = 0; i < n; i++)
        v |= (uint64_t)b[i] << (8 * i);
    return v;
}

static void wr(struct umem *um, vml_va va, uint64_t v, unsigned n)
{
    uint8_t b[8];
    for (unsigned i = 0; i < n; i++)
        b[i] = (uint8_t)(v >> (8 * i));
    um_write(um, va, b, n);
}

uint64_t um_r8(struct umem *um, vml_va va)   { return rd(um, va, 1); }
uint64_t um_r16(struct umem *um, vml_va va)  { return rd(um, va, 2); }
uint64_t um_r32(struct umem *um, vml_va va)  { return rd(um, va, 4); }
uint64_t um_r64(struct umem *um, vml_va va)  { return rd(um, va, 8); }
uint64_t um_rptr(struct umem *um, vml_va va) { return rd(um, va, um->psize); }
void um_w8(struct umem *um, vml_va va, uint64_t v)   { wr(um, va, v, 1); }
void um_w16(struct umem *um, vml_va va, uint64_t v)  { wr(um, va, v, 2); }
void um_w32(struct umem *um, vml_va va, uint64_t v)  { wr(um, va, v, 4); }
void um_w64(struct umem *um, vml_va va, uint64_t v)  { wr(um, va, v, 8); }
void um_wptr(struct umem *um, vml_va va, uint64_t v) { wr(um, va, v, um->psize); }

void um_zero(struct umem *um, vml_va va, uint64_t n)
{
    static const uint8_t zeros[4096];
    while (n && !um->failed) {
        uint64_t chunk = PAGE - (va & (PAGE - 1));
        if (chunk > n)
            chunk = n;
        um_write(um, va, zeros, chunk);
        va += chunk;
        n -= chunk;
    }
}

void um_move(struct umem *um, vml_va dst, vml_va src, uint64_t n)
{
    uint8_t buf[4096];
    if (dst == src || n == 0)
        return;
    if (dst < src || dst >= src + n) {
        for (uint64_t off = 0; off < n && !um->failed; off += sizeof buf) {
            uint64_t chunk = n - off < sizeof buf ? n - off : sizeof buf;
            um_read(um, src + off, buf, chunk);
            um_write(um, dst + off, buf, chunk);
        }
        return;
    }
    for (uint64_t left = n; left && !um->failed;) {     /* overlapping, upwards: from the end */
        uint64_t chunk = left < sizeof buf ? left : sizeof buf;
        left -= chunk;
        um_read(um, src + left, buf, chunk);
        um_write(um, dst + left, buf, chunk);
    }
}

int um_probe(struct umem *um, vml_va va, uint64_t n)
{
    if (n == 0)
        return um->failed ? -1 : 0;
    vml_va end = va + n, page = va & ~(PAGE - 1);
    for (; page < end && !um->failed; page += PAGE) {
        vml_va at = page < va ? va : page;
        uint8_t b;
        um_read(um, at, &b, 1);
        um_write(um, at, &b, 1);
        if (page + PAGE < page)
            break;
    }
    return um->failed ? -1 : 0;
}

int um_no_data(vml_proc *p, const char *what)
{
    vml_machine *m = vml_proc_machine(p);
    if (!(vm_flags(m) & VML_CFG_NO_DATA))
        return 0;
    (void)vm_fail(m, VML_E_UNSUPPORTED, "%s: this machine keeps no page contents (data=off), "
                  "and %s keeps its structures in the process's memory", vml_proc_name(p), what);
    return 1;
}
