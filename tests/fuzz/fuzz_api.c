/*
** fuzz_api.c -- libFuzzer target for the library API: the input is a
** machine configuration and a sequence of calls (processes, VirtualAlloc/
** Free/Protect/Query/AllocEx, Read/WriteProcessMemory, mmap/munmap/
** mprotect, reads, writes, fetches, batch touches, working-set limits,
** memory priorities, ticks, TLB flushes, zeroing, bad frames, fault
** injection on and off) on a small machine with a pagefile.
**
** Checked after every call: vml_machine_check() (every invariant); after
** every successful read: each byte this process is known to have written
** there (a shadow of every byte written) is what the read returned.
**
** The shadow forgets (marks unknown) whatever a successful call may have
** changed: the range of a new reservation or mapping, a commit (pages
** committed already keep their data, new ones are zero), a decommit, a
** release, an unmap, the bytes before the faulting page of a write that
** faulted.  It never forgets on a failed call: the library promises that
** a failed call changes nothing.  Paging (trims, the modified page writer,
** the pagefile, repurposing, injected I/O errors) must keep every byte.
** Likewise a page read or written since the last successful call that
** could unmap it or change its protection must not fault as unreserved,
** uncommitted or inaccessible: a failed call that unmapped it (a failed
** MAP_FIXED mmap did) shows there.
**
** FUZZ_TRACE=1 prints the calls as a vmlab script (what a regression test
** of a crash starts from).
*/
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmlab.h"

#define N_PROCS   4
#define WIN_BASE  UINT64_C(0x10000000)
#define WIN_PAGES 64                      /* the window of each shadow */
#define MAX_OPS   96
#define PAGE      4096u

struct rd {
    const uint8_t *p;
    size_t         n;
};

static unsigned u8(struct rd *r)
{
    if (r->n == 0)
        return 0;
    r->n--;
    return *r->p++;
}

static unsigned u16(struct rd *r)
{
    return u8(r) | u8(r) << 8;
}

struct spage {                  /* the shadow of one page */
    uint8_t data[PAGE];
    uint8_t known[PAGE];        /* 1: data[i] is what the process wrote */
    int     readable;           /* a read or write succeeded here since the
                                   last successful call that could change
                                   the page's mapping or protection */
};

struct reservation {
    vml_va   base;
    uint64_t size;
};

struct fproc {
    vml_proc          *p;
    struct spage      *pg[WIN_PAGES];
    struct reservation res[16];  /* Win32 reservations in the window */
    size_t             n_res;
};

struct fz {
    vml_machine *m;
    struct fproc pr[N_PROCS];
    unsigned     n_cpus;
    int          trace;
};

static void trace(struct fz *f, const char *fmt, ...)
{
    va_list ap;

    if (!f->trace)
        return;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
}

static void die(struct fz *f, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    fprintf(stderr, "fuzz_api: ");
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n(library: %s)\n", f->m ? vml_last_error(f->m) : "");
    abort();
}

/* ---- the shadow ------------------------------------------------------- */

static struct spage *spage_of(struct fproc *fp, vml_va va, int create)
{
    uint64_t i;

    if (va < WIN_BASE || va >= WIN_BASE + (uint64_t)WIN_PAGES * PAGE)
        return NULL;
    i = (va - WIN_BASE) / PAGE;
    if (fp->pg[i] == NULL && create)
        fp->pg[i] = calloc(1, sizeof *fp->pg[i]);
    return fp->pg[i];
}

/* The process wrote buf at va (readable: the write was its own, through
** its own mapping, so the page is readable too). */
static void shadow_write_as(struct fproc *fp, vml_va va, const uint8_t *buf, size_t len,
                            int readable)
{
    size_t i;

    for (i = 0; i < len; i++) {
        struct spage *sp = spage_of(fp, va + i, 1);
        if (sp != NULL) {
            sp->data[(va + i) % PAGE] = buf[i];
            sp->known[(va + i) % PAGE] = 1;
            sp->readable |= readable;
        }
    }
}

static void shadow_write(struct fproc *fp, vml_va va, const uint8_t *buf, size_t len)
{
    shadow_write_as(fp, va, buf, len, 1);
}

/* The pages of [va, va + len) were read: they are readable until a call
** changes them. */
static void shadow_readable(struct fproc *fp, vml_va va, size_t len)
{
    vml_va a;

    for (a = va & ~(vml_va)(PAGE - 1); a < va + len; a += PAGE) {
        struct spage *sp = spage_of(fp, a, 1);
        if (sp != NULL)
            sp->readable = 1;
    }
}

/* A successful protection change: the data stays, readability is unknown. */
static void shadow_unready(struct fproc *fp, vml_va lo, vml_va hi)
{
    vml_va a;

    for (a = lo & ~(vml_va)(PAGE - 1); a < hi; a += PAGE) {
        struct spage *sp = spage_of(fp, a, 0);
        if (sp != NULL)
            sp->readable = 0;
        if (a + PAGE < a)
            break;
    }
}

/* Forgets [lo, hi): the bytes there may have changed. */
static void shadow_forget(struct fproc *fp, vml_va lo, vml_va hi)
{
    vml_va va;

    if (hi <= lo)
        return;
    if (lo < WIN_BASE)
        lo = WIN_BASE;
    lo &= ~(vml_va)(PAGE - 1);
    for (va = lo; va < hi && va < WIN_BASE + (uint64_t)WIN_PAGES * PAGE; va += PAGE) {
        uint64_t i = (va - WIN_BASE) / PAGE;
        free(fp->pg[i]);
        fp->pg[i] = NULL;
    }
}

static void shadow_forget_all(struct fproc *fp)
{
    shadow_forget(fp, WIN_BASE, WIN_BASE + (uint64_t)WIN_PAGES * PAGE);
    fp->n_res = 0;
}

static void shadow_compare(struct fz *f, struct fproc *fp, vml_va va, const uint8_t *buf,
                           size_t len, const char *how)
{
    size_t i;

    for (i = 0; i < len; i++) {
        struct spage *sp = spage_of(fp, va + i, 0);
        size_t o = (size_t)((va + i) % PAGE);
        if (sp != NULL && sp->known[o] && sp->data[o] != buf[i])
            die(f, "%s of %s at %#llx read %#x, but %#x was written there", how,
                vml_proc_name(fp->p), (unsigned long long)(va + i), buf[i], sp->data[o]);
    }
}

static void res_add(struct fproc *fp, vml_va base, uint64_t size)
{
    if (fp->n_res < sizeof fp->res / sizeof fp->res[0])
        fp->res[fp->n_res++] = (struct reservation){ base, size };
}

/* The recorded reservation holding va: forgets it (release) or its pages
** (decommit of the whole region); an unknown one forgets the window. */
static void res_forget(struct fproc *fp, vml_va va, int release)
{
    size_t i;

    for (i = 0; i < fp->n_res; i++)
        if (va >= fp->res[i].base && va - fp->res[i].base < fp->res[i].size) {
            shadow_forget(fp, fp->res[i].base, fp->res[i].base + fp->res[i].size);
            if (release)
                fp->res[i] = fp->res[--fp->n_res];
            return;
        }
    shadow_forget_all(fp);
}

/* ---- arguments -------------------------------------------------------- */

/* An address: mostly in the window, sometimes unaligned, sometimes odd. */
static vml_va pick_va(struct rd *r)
{
    unsigned b = u8(r), page = u8(r) % (WIN_PAGES + 4);

    switch (b % 16) {
    case 0:  return 0;
    case 1:  return WIN_BASE - PAGE;
    case 2:  return WIN_BASE + (vml_va)page * PAGE + u16(r) % PAGE;
    case 3:  return UINT64_C(0xFFFF800000000000);
    case 4:  return (vml_va)u16(r) << 12;
    default: return WIN_BASE + (vml_va)page * PAGE;
    }
}

static uint64_t pick_size(struct rd *r)
{
    unsigned b = u8(r);

    switch (b % 8) {
    case 0:  return 0;
    case 1:  return 1 + u16(r) % (3 * PAGE);
    case 2:  return (uint64_t)(1 + u8(r) % 16) << 16;   /* 64 KiB units */
    default: return (uint64_t)(1 + b % 16) * PAGE;
    }
}

static const uint32_t win_prots[] = {
    VML_PAGE_READWRITE, VML_PAGE_READONLY, VML_PAGE_NOACCESS, VML_PAGE_EXECUTE_READWRITE,
    VML_PAGE_EXECUTE_READ, VML_PAGE_READWRITE | VML_PAGE_GUARD, VML_PAGE_WRITECOPY,
    VML_PAGE_READWRITE | VML_PAGE_NOCACHE, VML_PAGE_READWRITE | VML_PAGE_WRITECOMBINE,
    VML_PAGE_EXECUTE, 0, 0x12345,
};

static uint32_t pick_win_prot(struct rd *r)
{
    return win_prots[u8(r) % (sizeof win_prots / sizeof win_prots[0])];
}

static int pick_posix_prot(struct rd *r)
{
    unsigned b = u8(r);

    return b % 16 == 15 ? 0x10 : (int)(b & 7);   /* sometimes an invalid bit */
}

static struct fproc *pick_proc(struct fz *f, struct rd *r)
{
    struct fproc *fp = &f->pr[u8(r) % N_PROCS];

    return fp->p != NULL ? fp : NULL;
}

static unsigned pick_cpu(struct fz *f, struct rd *r)
{
    return u8(r) % f->n_cpus;
}

static const char *name_of(const struct fproc *fp)
{
    return vml_proc_name(fp->p);
}

/* ---- the calls -------------------------------------------------------- */

static void op_proc(struct fz *f, struct rd *r)
{
    unsigned i = u8(r) % N_PROCS;
    struct fproc *fp = &f->pr[i];
    char name[8];

    if (fp->p == NULL) {
        snprintf(name, sizeof name, "P%u", i);
        trace(f, "process %s\n", name);
        if (vml_proc_create(f->m, name, &fp->p) != VML_OK)
            fp->p = NULL;
        return;
    }
    trace(f, "terminate %s\n", name_of(fp));
    if (vml_proc_destroy(fp->p) == VML_OK) {
        fp->p = NULL;
        shadow_forget_all(fp);
    }
}

static void op_valloc(struct fz *f, struct rd *r, int ex)
{
    struct fproc *fp = pick_proc(f, r), *caller = pick_proc(f, r);
    static const uint32_t types[] = {
        VML_MEM_RESERVE | VML_MEM_COMMIT, VML_MEM_RESERVE, VML_MEM_COMMIT,
        VML_MEM_RESERVE | VML_MEM_COMMIT | VML_MEM_TOP_DOWN, VML_MEM_COMMIT | VML_MEM_TOP_DOWN,
        VML_MEM_RELEASE, 0,
    };
    vml_va va = pick_va(r), out = 0;
    uint64_t size = pick_size(r);
    uint32_t type = types[u8(r) % (sizeof types / sizeof types[0])], prot = pick_win_prot(r);
    uint32_t err;

    if (fp == NULL || (ex && caller == NULL))
        return;
    trace(f, "%s %s%s%s %#llx %#llx %#x %#x\n", ex ? "VirtualAllocEx" : "VirtualAlloc",
          ex ? name_of(caller) : "", ex ? " " : "", name_of(fp), (unsigned long long)va,
          (unsigned long long)size, type, prot);
    err = ex ? vml_win_VirtualAllocEx(caller->p, fp->p, va, size, type, prot, &out)
             : vml_win_VirtualAlloc(fp->p, va, size, type, prot, &out);
    if (err != 0)
        return;
    {
        vml_va lo = (va && va < out ? va : out) & ~(vml_va)0xFFFF;
        vml_va hi = (va > out ? va : out) + size + PAGE;
        shadow_forget(fp, lo, hi);
        if (type & VML_MEM_RESERVE)      /* out: the 64 KiB-aligned base */
            res_add(fp, out, ((va > out ? va : out) + size - out + 0xFFFF) & ~(uint64_t)0xFFFF);
    }
}

static void op_vfree(struct fz *f, struct rd *r)
{
    static const uint32_t types[] = { VML_MEM_RELEASE, VML_MEM_DECOMMIT,
                                      VML_MEM_RELEASE | VML_MEM_DECOMMIT, 0 };
    struct fproc *fp = pick_proc(f, r);
    vml_va va = pick_va(r);
    uint64_t size = u8(r) % 2 ? 0 : pick_size(r);
    uint32_t type = types[u8(r) % 4];

    if (fp == NULL)
        return;
    trace(f, "VirtualFree %s %#llx %#llx %#x\n", name_of(fp), (unsigned long long)va,
          (unsigned long long)size, type);
    if (vml_win_VirtualFree(fp->p, va, size, type) != 0)
        return;
    if (type == VML_MEM_RELEASE || size == 0)
        res_forget(fp, va, type == VML_MEM_RELEASE);
    else
        shadow_forget(fp, va, va + size + PAGE);
}

static void op_vprotect(struct fz *f, struct rd *r)
{
    struct fproc *fp = pick_proc(f, r);
    vml_va va = pick_va(r);
    uint64_t size = pick_size(r);
    uint32_t prot = pick_win_prot(r), old = 0;

    if (fp == NULL)
        return;
    trace(f, "VirtualProtect %s %#llx %#llx %#x\n", name_of(fp), (unsigned long long)va,
          (unsigned long long)size, prot);
    if (vml_win_VirtualProtect(fp->p, va, size, prot, u8(r) % 8 ? &old : NULL) == 0)
        shadow_unready(fp, va, va + size + PAGE);
}

static void op_vquery(struct fz *f, struct rd *r)
{
    struct fproc *fp = pick_proc(f, r);
    vml_va va = pick_va(r);
    vml_mbi mbi;

    if (fp == NULL)
        return;
    trace(f, "VirtualQuery %s %#llx\n", name_of(fp), (unsigned long long)va);
    if (vml_win_VirtualQuery(fp->p, va, &mbi) != 0)
        return;
    if (mbi.BaseAddress != (va & ~(vml_va)0xFFF) || mbi.RegionSize == 0 ||
        mbi.RegionSize % PAGE != 0 ||
        (mbi.State != VML_MEM_COMMIT && mbi.State != VML_MEM_RESERVE &&
         mbi.State != VML_MEM_FREE))
        die(f, "VirtualQuery %#llx: base %#llx size %#llx state %#x", (unsigned long long)va,
            (unsigned long long)mbi.BaseAddress, (unsigned long long)mbi.RegionSize,
            mbi.State);
    {
        /* A page the process just read or wrote is committed. */
        struct spage *sp = spage_of(fp, va, 0);
        if (sp != NULL && sp->readable && mbi.State != VML_MEM_COMMIT)
            die(f, "VirtualQuery %#llx says state %#x of a page %s read or wrote",
                (unsigned long long)va, mbi.State, name_of(fp));
    }
}

static void op_mmap(struct fz *f, struct rd *r)
{
    static const int flags[] = {
        VML_MAP_PRIVATE | VML_MAP_ANONYMOUS,
        VML_MAP_PRIVATE | VML_MAP_ANONYMOUS | VML_MAP_FIXED,
        VML_MAP_PRIVATE | VML_MAP_ANONYMOUS | VML_MAP_FIXED,
        VML_MAP_PRIVATE | VML_MAP_ANONYMOUS | VML_MAP_FIXED_NOREPLACE,
        VML_MAP_ANONYMOUS, VML_MAP_PRIVATE,
    };
    struct fproc *fp = pick_proc(f, r);
    vml_va va = pick_va(r), out = 0;
    uint64_t len = pick_size(r);
    int prot = pick_posix_prot(r), fl = flags[u8(r) % (sizeof flags / sizeof flags[0])];

    if (fp == NULL)
        return;
    trace(f, "mmap %s %#llx %#llx %#x %#x\n", name_of(fp), (unsigned long long)va,
          (unsigned long long)len, prot, fl);
    if (vml_posix_mmap(fp->p, va, len, prot, fl, -1, 0, &out) == 0)
        shadow_forget(fp, out, out + len + PAGE);
}

static void op_munmap(struct fz *f, struct rd *r)
{
    struct fproc *fp = pick_proc(f, r);
    vml_va va = pick_va(r);
    uint64_t len = pick_size(r);

    if (fp == NULL)
        return;
    trace(f, "munmap %s %#llx %#llx\n", name_of(fp), (unsigned long long)va,
          (unsigned long long)len);
    if (vml_posix_munmap(fp->p, va, len) == 0)
        shadow_forget(fp, va, va + len + PAGE);
}

static void op_mprotect(struct fz *f, struct rd *r)
{
    struct fproc *fp = pick_proc(f, r);
    vml_va va = pick_va(r);
    uint64_t len = pick_size(r);
    int prot = pick_posix_prot(r);

    if (fp == NULL)
        return;
    trace(f, "mprotect %s %#llx %#llx %#x\n", name_of(fp), (unsigned long long)va,
          (unsigned long long)len, prot);
    if (vml_posix_mprotect(fp->p, va, len, prot) == 0)
        shadow_unready(fp, va, va + len + PAGE);
}

static size_t pick_len(struct rd *r)
{
    unsigned b = u8(r);

    return b % 8 == 0 ? 1 + u16(r) % (2 * PAGE) : 1 + b % 64;
}

static void op_write(struct fz *f, struct rd *r)
{
    struct fproc *fp = pick_proc(f, r);
    vml_va va = pick_va(r);
    size_t len = pick_len(r), i;
    unsigned cpu = pick_cpu(f, r), seed = u8(r);
    uint8_t *buf = malloc(len);
    vml_exception ex;
    vml_status st;

    if (fp == NULL || buf == NULL) {
        free(buf);
        return;
    }
    for (i = 0; i < len; i++)
        buf[i] = (uint8_t)(seed + i * 7);
    trace(f, "# write %s %#llx %zu bytes (%u + 7i) cpu=%u\n", name_of(fp),
          (unsigned long long)va, len, seed, cpu);
    st = vml_mem_write(fp->p, cpu, va, buf, len, &ex);
    if (st == VML_OK)
        shadow_write(fp, va, buf, len);
    else if (st == VML_FAULTED && ex.va > va)
        shadow_forget(fp, va, ex.va);          /* the pages before the fault */
    free(buf);
}

static void op_read(struct fz *f, struct rd *r, int fetch)
{
    struct fproc *fp = pick_proc(f, r);
    vml_va va = pick_va(r);
    size_t len = pick_len(r);
    unsigned cpu = pick_cpu(f, r);
    uint8_t *buf = malloc(len);
    vml_exception ex;

    if (fp == NULL || buf == NULL) {
        free(buf);
        return;
    }
    trace(f, "# %s %s %#llx %zu bytes cpu=%u\n", fetch ? "fetch" : "read", name_of(fp),
          (unsigned long long)va, len, cpu);
    if ((fetch ? vml_mem_fetch : vml_mem_read)(fp->p, cpu, va, buf, len, &ex) == VML_OK) {
        shadow_compare(f, fp, va, buf, len, fetch ? "a fetch" : "a read");
        if (!fetch)
            shadow_readable(fp, va, len);
    } else if (!fetch && (ex.reason == VML_AV_NOT_RESERVED || ex.reason == VML_AV_NOT_COMMITTED ||
                          ex.reason == VML_AV_NOACCESS)) {
        struct spage *sp = spage_of(fp, ex.va, 0);
        if (sp != NULL && sp->readable)
            die(f, "a read of %s at %#llx faults (%s), but nothing that succeeded since it "
                "was last read or written changed the page", name_of(fp),
                (unsigned long long)ex.va, vml_av_reason_name(ex.reason));
    }
    free(buf);
}

static void op_batch(struct fz *f, struct rd *r)
{
    struct fproc *fp = pick_proc(f, r);
    unsigned cpu = pick_cpu(f, r), access = u8(r) % 2 ? VML_ACCESS_WRITE : VML_ACCESS_READ;
    vml_va vas[16];
    size_t n = 1 + u8(r) % 16, i, done = 0;
    uint64_t sum = 0;
    vml_exception ex;

    if (fp == NULL)
        return;
    for (i = 0; i < n; i++)
        vas[i] = pick_va(r) + u8(r);
    trace(f, "# batch %s %s %zu accesses cpu=%u\n", name_of(fp),
          access == VML_ACCESS_WRITE ? "write" : "read", n, cpu);
    vml_mem_batch(fp->p, cpu, vas, n, access, &sum, &done, &ex);
    if (access == VML_ACCESS_WRITE)
        for (i = 0; i < done; i++) {
            vml_va a = vas[i] & ~(vml_va)7;
            uint8_t b[8];
            memcpy(b, &a, 8);                  /* it stores its own address */
            shadow_write(fp, a, b, 8);
        }
}

static void op_process_memory(struct fz *f, struct rd *r)
{
    struct fproc *caller = pick_proc(f, r), *target = pick_proc(f, r);
    vml_va va = pick_va(r);
    size_t len = pick_len(r), i;
    uint64_t done = 0;
    int write = u8(r) % 2;
    uint8_t *buf = malloc(len);

    if (caller == NULL || target == NULL || buf == NULL) {
        free(buf);
        return;
    }
    for (i = 0; i < len; i++)
        buf[i] = (uint8_t)(0xA5 ^ i);
    trace(f, "# %s %s -> %s %#llx %zu bytes\n", write ? "WriteProcessMemory"
          : "ReadProcessMemory", name_of(caller), name_of(target), (unsigned long long)va, len);
    if (write) {
        uint32_t err = vml_win_WriteProcessMemory(caller->p, target->p, va, buf, len, &done);
        if (err == 0)      /* another process wrote: it says nothing of access */
            shadow_write_as(target, va, buf, len, 0);
        else if (done > 0)
            shadow_forget(target, va, va + done + PAGE);
    } else if (vml_win_ReadProcessMemory(caller->p, target->p, va, buf, len, &done) == 0) {
        shadow_compare(f, target, va, buf, len, "ReadProcessMemory");
    }
    free(buf);
}

static void op_ws(struct fz *f, struct rd *r)
{
    struct fproc *fp = pick_proc(f, r);
    unsigned b = u8(r);
    uint64_t min = u8(r), max = u8(r);

    if (fp == NULL)
        return;
    if (b % 4 == 0) {
        trace(f, "SetProcessWorkingSetSize %s -1 -1\n", name_of(fp));
        vml_ws_set(fp->p, UINT64_MAX, UINT64_MAX);
    } else if (b % 4 == 1) {
        trace(f, "SetProcessMemoryPriority %s %u\n", name_of(fp), b / 4 % 9);
        vml_proc_set_memory_priority(fp->p, b / 4 % 9);
    } else {
        trace(f, "SetProcessWorkingSetSize %s %llu %llu\n", name_of(fp),
              (unsigned long long)min * PAGE, (unsigned long long)max * PAGE);
        vml_ws_set(fp->p, min, max);
    }
}

static void op_tick(struct fz *f, struct rd *r)
{
    unsigned n = 1 + u8(r) % 3;

    trace(f, "tick %u\n", n);
    vml_tick(f->m, n);
}

static void op_inject(struct fz *f, struct rd *r)
{
    static const int errs[] = { VML_EIO, VML_ENOSPC, VML_E_NOMEM };
    unsigned what = u8(r) % (VML_N_INJECT + 1), after = u8(r) % 4, count = u8(r) % 3;
    int err = errs[what < VML_N_INJECT ? (what == VML_INJECT_HOST_ALLOC ? 2 : u8(r) % 2) : 0];

    if (what == VML_INJECT_PAGEFILE_READ)
        err = VML_EIO;
    trace(f, "# inject %u err %d after %u count %u\n", what, err, after, count);
    vml_inject(f->m, what, err, after, count);
}

static void op_tlb(struct fz *f, struct rd *r)
{
    struct fproc *fp = pick_proc(f, r);
    unsigned b = u8(r), cpu = b % 2 ? VML_ALL_CPUS : pick_cpu(f, r);

    if (b % 4 < 2 && fp != NULL) {
        vml_va va = pick_va(r);
        trace(f, "invlpg %s %#llx%s\n", name_of(fp), (unsigned long long)va,
              cpu == VML_ALL_CPUS ? " all" : "");
        vml_tlb_invlpg(f->m, cpu, fp->p, va);
    } else if (b % 4 == 2 && fp != NULL) {
        cpu = pick_cpu(f, r);
        trace(f, "switch %s %u\n", name_of(fp), cpu);
        vml_cpu_switch(f->m, cpu, fp->p);
    } else {
        trace(f, "flushtlb%s\n", b & 8 ? " all" : "");
        vml_tlb_flush(f->m, pick_cpu(f, r), b & 8 ? VML_TLB_FLUSH_ALL : VML_TLB_FLUSH_NONGLOBAL);
    }
}

static void op_frames(struct fz *f, struct rd *r)
{
    unsigned b = u8(r);

    if (b % 2) {
        trace(f, "zeropages %u\n", b / 2 % 8);
        vml_zero_pages(f->m, b / 2 % 8);
    } else {
        vml_list l = b & 2 ? VML_LIST_FREE : VML_LIST_ZEROED;
        vml_pfn pfn = vml_list_head(f->m, l);
        if (pfn != VML_PFN_NONE && vml_list_count(f->m, VML_LIST_BAD) < 8) {
            trace(f, "markbad %#llx\n", (unsigned long long)pfn);
            vml_pfn_mark_bad(f->m, pfn);
        }
    }
}

/* ---- the machine -------------------------------------------------------- */

static int machine_up(struct fz *f, struct rd *r)
{
    static const vml_policy policies[] = { VML_POLICY_WS, VML_POLICY_WS, VML_POLICY_FIFO,
                                           VML_POLICY_LRU, VML_POLICY_CLOCK,
                                           VML_POLICY_CLOCK0, VML_POLICY_MRU };
    static const unsigned tlbs[][4] = { { 64, 4, 0, 0 }, { 6, 2, 0, 0 }, { 2, 1, 12, 3 },
                                        { 16, 16, 0, 0 } };
    unsigned a = u8(r), b = u8(r), c = u8(r);
    vml_config cfg;

    vml_config_default(&cfg);
    cfg.ram_bytes = (UINT64_C(1) << 20) + (uint64_t)(a % 4) * (UINT64_C(256) << 10);
    cfg.pagefile_bytes = (uint64_t)(a / 4 % 4) * (UINT64_C(256) << 10);
    cfg.paging = (vml_paging)(b % 4);
    cfg.n_cpus = 1 + b / 4 % 2;
    cfg.flags |= b / 8 % 2 ? VML_CFG_PCID : 0;
    cfg.policy = policies[b / 16 % 7];
    cfg.tlb_entries = tlbs[c % 4][0];
    cfg.tlb_ways = tlbs[c % 4][1];
    cfg.tlb2_entries = tlbs[c % 4][2];
    cfg.tlb2_ways = tlbs[c % 4][3];
    cfg.bg_interval = (uint64_t[]){ 65536, 0, 16, 64 }[c / 4 % 4];
    cfg.ws_min_pages = c / 16 % 2 ? 4 : 50;
    cfg.ws_max_pages = c / 32 % 2 ? 32 : 0;
    cfg.flags &= ~VML_CFG_CHECK;          /* checked below, after every call */
    f->n_cpus = cfg.n_cpus;
    trace(f, "machine ram=%lluK pagefile=%lluK paging=%s cpus=%u pcid=%s policy=%s "
          "tlb=%ux%u tlb2=%s%ux%u bginterval=%llu wsmin=%llu wsmax=%llu\n",
          (unsigned long long)(cfg.ram_bytes >> 10),
          (unsigned long long)(cfg.pagefile_bytes >> 10), vml_paging_name(cfg.paging),
          cfg.n_cpus, cfg.flags & VML_CFG_PCID ? "on" : "off", vml_policy_name(cfg.policy),
          cfg.tlb_entries, cfg.tlb_ways, cfg.tlb2_entries ? "" : "off # ", cfg.tlb2_entries,
          cfg.tlb2_ways, (unsigned long long)cfg.bg_interval,
          (unsigned long long)cfg.ws_min_pages, (unsigned long long)cfg.ws_max_pages);
    return vml_machine_create(&cfg, &f->m) == VML_OK ? 0 : -1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct rd r = { data, size };
    struct fz f;
    unsigned n_ops = 0, i;

    memset(&f, 0, sizeof f);
    f.trace = getenv("FUZZ_TRACE") != NULL;
    if (machine_up(&f, &r) != 0)
        return 0;
    f.pr[0].p = NULL;
    trace(&f, "process P0\n");
    if (vml_proc_create(f.m, "P0", &f.pr[0].p) != VML_OK)
        f.pr[0].p = NULL;
    /* The recorder on a third of the inputs (chosen by the length, so no
    ** byte of an input changes meaning): its sample points on every path. */
    if (size % 3 == 0) {
        vml_rec_config rc = { .clock = size % 2 ? VML_CLOCK_TICKS : VML_CLOCK_ACCESSES,
                              .every = 1 + size % 17, .max_samples = 2 + size % 64 };
        trace(&f, "record %s %u\n", rc.clock ? "ticks" : "accesses", (unsigned)rc.every);
        vml_record_start(f.m, &rc);
    }
    while (r.n > 0 && n_ops++ < MAX_OPS) {
        switch (u8(&r) % 20) {
        case 0:  op_proc(&f, &r); break;
        case 1:  op_valloc(&f, &r, 0); break;
        case 2:  op_valloc(&f, &r, 1); break;
        case 3:  op_vfree(&f, &r); break;
        case 4:  op_vprotect(&f, &r); break;
        case 5:  op_vquery(&f, &r); break;
        case 6:  op_mmap(&f, &r); break;
        case 7:  op_munmap(&f, &r); break;
        case 8:  op_mprotect(&f, &r); break;
        case 9:
        case 10: op_write(&f, &r); break;
        case 11:
        case 12: op_read(&f, &r, 0); break;
        case 13: op_read(&f, &r, 1); break;
        case 14: op_batch(&f, &r); break;
        case 15: op_process_memory(&f, &r); break;
        case 16: op_ws(&f, &r); break;
        case 17: op_tick(&f, &r); break;
        case 18: op_inject(&f, &r); break;
        default:
            if (u8(&r) % 2)
                op_tlb(&f, &r);
            else
                op_frames(&f, &r);
            break;
        }
        if (vml_machine_check(f.m) != VML_OK)
            die(&f, "vml_machine_check failed");
    }
    /* At the end, with injection off: every known byte once more. */
    vml_inject(f.m, VML_INJECT_PAGEFILE_WRITE, 0, 0, 0);
    vml_inject(f.m, VML_INJECT_PAGEFILE_READ, 0, 0, 0);
    vml_inject(f.m, VML_INJECT_HOST_ALLOC, 0, 0, 0);
    for (i = 0; i < N_PROCS; i++) {
        struct fproc *fp = &f.pr[i];
        unsigned k;
        for (k = 0; fp->p != NULL && k < WIN_PAGES; k++) {
            uint8_t page[PAGE];
            vml_va va = WIN_BASE + (vml_va)k * PAGE;
            if (fp->pg[k] != NULL && vml_mem_read(fp->p, 0, va, page, PAGE, NULL) == VML_OK)
                shadow_compare(&f, fp, va, page, PAGE, "the final read");
        }
        shadow_forget_all(fp);
    }
    /* The pictures of a fifth of the final states: every diagram and the
    ** report draw whatever state the operations left. */
    if (size % 5 == 0) {
        vml_diagram_opts o = { (unsigned)(size % 4), 40 + (unsigned)(size % 97) };
        vml_text t = {0};
        vml_status st = vml_diagram_lists(f.m, &o, &t);
        for (i = 0; i < N_PROCS && (st == VML_OK || st == VML_E_NOMEM); i++) {
            struct fproc *fp = &f.pr[i];
            vml_va va = WIN_BASE + (vml_va)(size % WIN_PAGES) * PAGE;
            if (fp->p == NULL)
                continue;
            st = vml_diagram_walk(fp->p, va, &o, &t);
            if (st == VML_OK)
                st = vml_diagram_space(fp->p, &o, &t);
            if (st == VML_OK)
                st = vml_diagram_vad(fp->p, &o, &t);
            if (st == VML_OK)
                st = vml_diagram_share(&fp->p, &va, 1, &o, &t);
        }
        if (st == VML_OK)
            st = vml_report_html(f.m, NULL, &t);
        if (st != VML_OK && st != VML_E_NOMEM)
            die(&f, "a picture failed");
        vml_text_free(&t);
    }
    vml_machine_destroy(f.m);
    return 0;
}
