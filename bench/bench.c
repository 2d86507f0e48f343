/*
** bench.c -- `make bench`: operations per second of the hot paths, through
** the public API only.  Timings on a shared machine are noisy: compare
** ratios within one run, and use callgrind for instruction counts.
**
**   tlb-hit reads   batch reads of pages the TLB holds (target >= 100M/s)
**   page walks      batch reads that miss the TLB every time (>= 20M/s)
**   demand-zero     first touches of committed pages (>= 2M/s)
**   alloc+free      VirtualAlloc(reserve+commit 64K) + VirtualFree pairs
**   trimming        pages taken out of a working set (to standby/modified)
**   soft faults     touches of trimmed pages still in memory
**   hard faults     touches of pages in the pagefile (a temporary file in
**                   $TMPDIR or /tmp: the local disk)
**   thrash          random reads over a working set twice the RAM
**   cow faults      first writes to pages shared copy-on-write after fork
**   proto soft      touches of a section's pages another process holds
**                   resident (prototype-PTE soft faults)
**   fork 64 MiB     forks of a process with 64 MiB resident (forks/s)
**   file hard       first touches of a shared file mapping (read from the
**                   host file)
**   load ls         execve of /usr/bin/ls (program, interpreter, the shared
**                   objects it needs, relocations) at a random base, and
**                   dlopen-style loads of ls alone (target >= 10,000/s)
**   scaling         demand-zero faults filling a 1 GiB and a 16 GiB machine
**                   (data=off, no pagefile) to 1/256 short of the end,
**                   past the low watermark where trimming takes over: the
**                   16 GiB rate within 25% of the 1 GiB rate
**   policy NAME     vml_policy_simulate() per replacement policy: references
**                   per second on a fixed generated string (4Mi references:
**                   15 in 16 skewed over 16Ki pages, 1 in 16 a scan; a
**                   quarter writes) with 4096 frames, page lookup and
**                   write-back counting included (OPT: its backward
**                   next-use pass too)
*/
#include <time.h>
#define TESTUTIL_NO_CMOCKA      /* the tests' rig, failing with a message */
#include "testutil.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what, vml_machine *m)
{
    fprintf(stderr, "bench: %s failed: %s\n", what, m ? vml_last_error(m) : "");
    exit(1);
}

static vml_machine *machine_pf(uint64_t ram, unsigned tlb, uint64_t pagefile)
{
    vml_config cfg;
    vml_config_default(&cfg);
    cfg.ram_bytes = ram;
    cfg.pagefile_bytes = pagefile;
    cfg.tlb_entries = tlb;
    cfg.tlb_ways = 4;
    cfg.flags = 0;      /* no per-operation invariant checks in a benchmark */
    return new_machine_cfg(&cfg);
}

static vml_machine *machine(uint64_t ram, unsigned tlb)
{
    return machine_pf(ram, tlb, 0);
}

static void report(const char *name, double ops, double secs, double target)
{
    double rate = ops / secs;
    printf("%-22s %12.1f M/s   (%.0f ops in %.3f s)", name, rate / 1e6, ops, secs);
    if (target > 0)
        printf("   target %.0f M/s: %s", target / 1e6, rate >= target ? "met" : "NOT met");
    printf("\n");
}

/* A process "bench" with pages committed read-write: their base address. */
static vml_va committed_region(vml_machine *m, uint64_t pages, vml_proc **p)
{
    *p = new_proc(m, "bench");
    return alloc(*p, pages << 12);
}

/* The address of every page of [base, base + pages), in order. */
static vml_va *page_addresses(vml_va base, size_t pages)
{
    vml_va *vas = malloc(pages * sizeof *vas);
    if (vas == NULL)
        die("malloc", NULL);
    for (size_t i = 0; i < pages; i++)
        vas[i] = base + (i << 12);
    return vas;
}

static void bench_tlb_hits(void)
{
    vml_machine *m = machine(UINT64_C(64) << 20, 64);
    vml_proc *p;
    vml_va base;
    const size_t n = 1 << 16, pages = 32;
    uint64_t sum = 0;
    base = committed_region(m, pages, &p);
    vml_va *vas = malloc(n * sizeof *vas);
    for (size_t i = 0; i < n; i++)
        vas[i] = base + ((i % pages) << 12) + (i * 8 % 4096);
    if (vml_mem_batch(p, 0, vas, n, VML_ACCESS_WRITE, NULL, NULL, NULL) != VML_OK)
        die("touch", m);
    double t0 = now(), ops = 0;
    while (now() - t0 < 1.0) {
        for (int r = 0; r < 16; r++)
            vml_mem_batch(p, 0, vas, n, VML_ACCESS_READ, &sum, NULL, NULL);
        ops += 16.0 * (double)n;
    }
    report("tlb-hit reads", ops, now() - t0, 100e6);
    free(vas);
    vml_machine_destroy(m);
    if (sum == 42)
        printf("(sum)\n");
}

static void bench_walks(void)
{
    /* 2048 pages (8 MiB) in a random order through a 64-entry TLB: almost
    ** every access misses and walks the four levels, while the simulated
    ** memory stays in the host's caches (what is measured is the walk). */
    vml_machine *m = machine(UINT64_C(256) << 20, 64);
    vml_proc *p;
    vml_va base;
    const size_t pages = 2048, n = 1 << 16;
    uint64_t seed = 88172645463325252ULL, walks0, walks1;
    base = committed_region(m, pages, &p);
    vml_va *vas = malloc(n * sizeof *vas);
    for (size_t i = 0; i < pages; i++) {
        vml_va va = base + (i << 12);
        if (vml_mem_batch(p, 0, &va, 1, VML_ACCESS_WRITE, NULL, NULL, NULL) != VML_OK)
            die("touch", m);
    }
    for (size_t i = 0; i < n; i++)
        vas[i] = base + ((xorshift64(&seed) % pages) << 12);
    vml_stat_get(m, VML_SCOPE_CPU, 0, "page_walks", &walks0);
    double t0 = now(), ops = 0;
    uint64_t sum = 0;
    while (now() - t0 < 1.0) {
        vml_mem_batch(p, 0, vas, n, VML_ACCESS_READ, &sum, NULL, NULL);
        ops += (double)n;
    }
    double secs = now() - t0;
    vml_stat_get(m, VML_SCOPE_CPU, 0, "page_walks", &walks1);
    report("page walks", (double)(walks1 - walks0), secs, 20e6);
    printf("%-22s %12.1f%%\n", "  (of accesses walked)", 100.0 * (double)(walks1 - walks0) / ops);
    free(vas);
    vml_machine_destroy(m);
}

static void bench_demand_zero(void)
{
    /* Commit 256 MiB, touch every page once (each touch a demand-zero
    ** fault), release; the next round's frames come from the free list and
    ** are zeroed in the fault, as Windows does when the zeroed list is empty. */
    vml_machine *m = machine(UINT64_C(512) << 20, 64);
    vml_proc *p;
    const size_t pages = 65536;
    vml_va *vas = malloc(pages * sizeof *vas);
    double t_fault = 0, faults = 0;
    if (vml_proc_create(m, "bench", &p) != VML_OK)
        die("setup", m);
    /* Rounds 0 and 1 take the never-used zeroed frames, whose host memory
    ** the host kernel maps on first touch: warm-up, not timed. */
    for (int round = 0; round < 10 || t_fault < 0.5; round++) {
        vml_va base;
        if (vml_win_VirtualAlloc(p, 0, pages << 12, VML_MEM_RESERVE | VML_MEM_COMMIT,
                                 VML_PAGE_READWRITE, &base))
            die("VirtualAlloc", m);
        for (size_t i = 0; i < pages; i++)
            vas[i] = base + (i << 12);
        double t0 = now();
        if (vml_mem_batch(p, 0, vas, pages, VML_ACCESS_WRITE, NULL, NULL, NULL) != VML_OK)
            die("touch", m);
        if (round >= 2) {
            t_fault += now() - t0;
            faults += (double)pages;
        }
        if (vml_win_VirtualFree(p, base, 0, VML_MEM_RELEASE))
            die("VirtualFree", m);
        if (round > 64)
            break;
    }
    report("demand-zero faults", faults, t_fault, 2e6);
    free(vas);
    vml_machine_destroy(m);
}

/* Fills a machine of ram bytes (data=off, no pagefile) with one process's
** first touches until 1/256 of its frames is left: faults per second. */
static double fill_rate(uint64_t ram, uint64_t *trimmed)
{
    vml_config cfg;
    vml_config_default(&cfg);
    cfg.ram_bytes = ram;
    cfg.pagefile_bytes = 0;
    cfg.flags = VML_CFG_NO_DATA;
    vml_machine *m = new_machine_cfg(&cfg);
    vml_proc *p;
    const size_t batch = 4096;
    uint64_t frames = ram >> 12, pages = frames - frames / 256 - 1024;
    vml_va *vas = malloc(batch * sizeof *vas), base;
    if (vml_proc_create(m, "bench", &p) != VML_OK)
        die("setup", m);
    if (vml_win_VirtualAlloc(p, 0, pages << 12, VML_MEM_RESERVE | VML_MEM_COMMIT,
                             VML_PAGE_READWRITE, &base))
        die("VirtualAlloc", m);
    double t0 = now();
    for (uint64_t done = 0; done < pages; done += batch) {
        size_t n = pages - done < batch ? (size_t)(pages - done) : batch;
        for (size_t i = 0; i < n; i++)
            vas[i] = base + ((done + i) << 12);
        if (vml_mem_batch(p, 0, vas, n, VML_ACCESS_WRITE, NULL, NULL, NULL) != VML_OK)
            die("touch", m);
    }
    double secs = now() - t0;
    vml_stat_get(m, VML_SCOPE_SYSTEM, 0, "pages_trimmed", trimmed);
    free(vas);
    vml_machine_destroy(m);
    return (double)pages / secs;
}

static void bench_scaling(void)
{
    uint64_t t1, t16;
    double r1 = fill_rate(UINT64_C(1) << 30, &t1);
    printf("%-22s %12.2f M/s   (trimmed %llu)\n", "fill 1 GiB", r1 / 1e6, (unsigned long long)t1);
    fflush(stdout);
    double r16 = fill_rate(UINT64_C(16) << 30, &t16);
    printf("%-22s %12.2f M/s   (trimmed %llu)   %.0f%% of 1 GiB's, target >= 75%%: %s\n",
           "fill 16 GiB", r16 / 1e6, (unsigned long long)t16, 100 * r16 / r1,
           r16 >= 0.75 * r1 ? "met" : "NOT met");
}

static void bench_alloc_free(void)
{
    vml_machine *m = machine(UINT64_C(64) << 20, 64);
    vml_proc *p;
    if (vml_proc_create(m, "bench", &p) != VML_OK)
        die("setup", m);
    double t0 = now(), ops = 0;
    while (now() - t0 < 1.0) {
        for (int i = 0; i < 1000; i++) {
            vml_va base;
            if (vml_win_VirtualAlloc(p, 0, 0x10000, VML_MEM_RESERVE | VML_MEM_COMMIT,
                                     VML_PAGE_READWRITE, &base) ||
                vml_win_VirtualFree(p, base, 0, VML_MEM_RELEASE))
                die("alloc/free", m);
        }
        ops += 1000;
    }
    report("VirtualAlloc+Free", ops, now() - t0, 0);
    vml_machine_destroy(m);
}

static uint64_t stat_sys(vml_machine *m, const char *name)
{
    uint64_t v = 0;
    if (vml_stat_get(m, VML_SCOPE_SYSTEM, 0, name, &v) != VML_OK)
        die(name, m);
    return v;
}

static void bench_trim_soft(void)
{
    /* 64K pages (half read, half written) are trimmed from the working
    ** set and touched again: every touch is a soft fault from the standby
    ** or modified list. */
    vml_machine *m = machine(UINT64_C(512) << 20, 64);
    vml_proc *p;
    const size_t pages = 65536;
    vml_va *vas = page_addresses(committed_region(m, pages, &p), pages);
    double t_trim = 0, t_soft = 0, trimmed = 0, soft = 0;
    if (vml_mem_batch(p, 0, vas, pages / 2, VML_ACCESS_WRITE, NULL, NULL, NULL) != VML_OK ||
        vml_mem_batch(p, 0, vas + pages / 2, pages / 2, VML_ACCESS_READ, NULL, NULL, NULL))
        die("touch", m);
    for (int round = 0; round < 8 || t_soft < 0.5; round++) {
        uint64_t s0 = stat_sys(m, "soft_faults");
        double t0 = now();
        if (vml_ws_set(p, UINT64_MAX, UINT64_MAX) != VML_OK)
            die("trim", m);
        double t1 = now();
        if (vml_mem_batch(p, 0, vas, pages, VML_ACCESS_READ, NULL, NULL, NULL) != VML_OK)
            die("touch", m);
        t_trim += t1 - t0;
        t_soft += now() - t1;
        trimmed += (double)pages;
        soft += (double)(stat_sys(m, "soft_faults") - s0);
        if (round > 64)
            break;
    }
    report("trimming (pages)", trimmed, t_trim, 0);
    report("soft faults", soft, t_soft, 0);
    free(vas);
    vml_machine_destroy(m);
}

static void bench_hard(void)
{
    /* 64 MiB of RAM, 128 MiB written: most of it goes to the pagefile.
    ** Reading it back in order is one hard fault per page. */
    vml_machine *m = machine_pf(UINT64_C(64) << 20, 64, UINT64_C(256) << 20);
    vml_proc *p;
    const size_t pages = 32768;
    vml_va *vas = page_addresses(committed_region(m, pages, &p), pages);
    double t_hard = 0, hard = 0;
    for (int round = 0; round < 4 || t_hard < 0.5; round++) {
        if (vml_mem_batch(p, 0, vas, pages, VML_ACCESS_WRITE, NULL, NULL, NULL) != VML_OK)
            die("write", m);
        uint64_t h0 = stat_sys(m, "hard_faults");
        double t0 = now();
        if (vml_mem_batch(p, 0, vas, pages, VML_ACCESS_READ, NULL, NULL, NULL) != VML_OK)
            die("read back", m);
        t_hard += now() - t0;
        hard += (double)(stat_sys(m, "hard_faults") - h0);
        if (round > 32)
            break;
    }
    report("hard faults", hard, t_hard, 0);
    free(vas);
    vml_machine_destroy(m);
}

static void bench_cow(void)
{
    /* 64 MiB private memory written, forked; the child writes every page:
    ** one copy-on-write fault each. */
    vml_machine *m = machine(UINT64_C(512) << 20, 64);
    const size_t pages = 16384;
    double t = 0, faults = 0;
    for (int round = 0; round < 3 || t < 0.5; round++) {
        vml_proc *p = new_proc(m, "parent"), *c;
        vml_va base;
        unsigned pid;
        if (vml_posix_mmap(p, 0, pages << 12, VML_PROT_READ | VML_PROT_WRITE,
                           VML_MAP_PRIVATE | VML_MAP_ANONYMOUS, -1, 0, &base) != 0)
            die("mmap", m);
        vml_va *vas = page_addresses(base, pages);
        if (vml_mem_batch(p, 0, vas, pages, VML_ACCESS_WRITE, NULL, NULL, NULL) != VML_OK ||
            vml_posix_fork(p, "child", &pid) != 0)
            die("fork", m);
        c = vml_proc_find(m, "child");
        double t0 = now();
        if (vml_mem_batch(c, 0, vas, pages, VML_ACCESS_WRITE, NULL, NULL, NULL) != VML_OK)
            die("cow writes", m);
        t += now() - t0;
        faults += (double)proc_stat(c, "cow_faults");
        vml_proc_destroy(c);
        vml_proc_destroy(p);
        free(vas);
        if (round > 32)
            break;
    }
    report("cow faults", faults, t, 0);
    vml_machine_destroy(m);
}

static void bench_proto_soft(void)
{
    /* A 64 MiB section resident through process A; B maps it and touches
    ** every page: each is a prototype fault resolved from memory. */
    vml_machine *m = machine(UINT64_C(512) << 20, 64);
    const size_t pages = 16384;
    vml_proc *a = new_proc(m, "A");
    vml_handle s;
    vml_va va_a;
    if (vml_win_CreateFileMapping(a, VML_INVALID_HANDLE_VALUE, VML_PAGE_READWRITE,
                                  pages << 12, "Local\\bench", &s) != 0 ||
        vml_win_MapViewOfFile(a, s, VML_FILE_MAP_WRITE, 0, 0, 0, &va_a) != 0)
        die("section", m);
    vml_va *vas = page_addresses(va_a, pages);
    if (vml_mem_batch(a, 0, vas, pages, VML_ACCESS_WRITE, NULL, NULL, NULL) != VML_OK)
        die("fill", m);
    double t = 0, faults = 0;
    for (int round = 0; round < 3 || t < 0.5; round++) {
        vml_proc *b = new_proc(m, "B");
        vml_handle s2;
        vml_va va_b;
        if (vml_win_OpenFileMapping(b, VML_FILE_MAP_READ, "Local\\bench", &s2) != 0 ||
            vml_win_MapViewOfFile(b, s2, VML_FILE_MAP_READ, 0, 0, 0, &va_b) != 0)
            die("view", m);
        for (size_t i = 0; i < pages; i++)
            vas[i] = va_b + (i << 12);
        double t0 = now();
        if (vml_mem_batch(b, 0, vas, pages, VML_ACCESS_READ, NULL, NULL, NULL) != VML_OK)
            die("reads", m);
        t += now() - t0;
        faults += (double)proc_stat(b, "prototype_faults");
        vml_proc_destroy(b);
        if (round > 32)
            break;
    }
    report("proto soft faults", faults, t, 0);
    free(vas);
    vml_machine_destroy(m);
}

static void bench_fork(void)
{
    /* fork of a process with 64 MiB resident, then the child's exit. */
    vml_machine *m = machine(UINT64_C(512) << 20, 64);
    const size_t pages = 16384;
    vml_proc *p = new_proc(m, "parent");
    vml_va base;
    if (vml_posix_mmap(p, 0, pages << 12, VML_PROT_READ | VML_PROT_WRITE,
                       VML_MAP_PRIVATE | VML_MAP_ANONYMOUS, -1, 0, &base) != 0)
        die("mmap", m);
    vml_va *vas = page_addresses(base, pages);
    if (vml_mem_batch(p, 0, vas, pages, VML_ACCESS_WRITE, NULL, NULL, NULL) != VML_OK)
        die("fill", m);
    double t = 0, forks = 0;
    for (int round = 0; round < 5 || t < 0.5; round++) {
        unsigned pid;
        double t0 = now();
        if (vml_posix_fork(p, "child", &pid) != 0)
            die("fork", m);
        t += now() - t0;
        forks++;
        vml_proc_destroy(vml_proc_find(m, "child"));
        if (round > 200)
            break;
    }
    report("fork 64 MiB resident", forks, t, 0);
    printf("%-22s %12.1f forks/s\n", "", forks / t);
    free(vas);
    vml_machine_destroy(m);
}

static void bench_file_hard(void)
{
    /* A 64 MiB host file mapped shared; each first touch reads a page. */
    vml_machine *m = machine(UINT64_C(512) << 20, 64);
    const size_t pages = 16384;
    if (vml_file_create(m, "bench.bin", pages << 12, 7, 1) != VML_OK)
        die("file", m);
    double t = 0, faults = 0;
    for (int round = 0; round < 3 || t < 0.5; round++) {
        vml_proc *p = new_proc(m, "P");
        int fd;
        vml_va base;
        if (vml_posix_open(p, "bench.bin", VML_O_RDONLY, &fd) != 0 ||
            vml_posix_mmap(p, 0, pages << 12, VML_PROT_READ, VML_MAP_SHARED, fd, 0, &base) != 0)
            die("mmap file", m);
        vml_va *vas = page_addresses(base, pages);
        uint64_t f0 = sys_stat(m, "file_faults");
        double t0 = now();
        if (vml_mem_batch(p, 0, vas, pages, VML_ACCESS_READ, NULL, NULL, NULL) != VML_OK)
            die("file reads", m);
        t += now() - t0;
        faults += (double)(sys_stat(m, "file_faults") - f0);
        vml_proc_destroy(p);
        free(vas);
        /* drop the page cache so the next round reads the file again */
        if (vml_file_create(m, "bench.bin", pages << 12, 7, 1) != VML_OK)
            die("file again", m);
        if (round > 32)
            break;
    }
    report("file hard faults", faults, t, 0);
    vml_machine_destroy(m);
}

static void bench_load(void)
{
    /* /usr/bin/ls as Linux loads it, over and over, each in a new process
    ** (ASLR on: a new base each time): the program, ld.so, libselinux,
    ** libc and libpcre2 mapped, all their relocations written; then the
    ** process's exit. */
    vml_machine *m = machine(UINT64_C(256) << 20, 64);
    double t = 0, n = 0;
    for (int round = 0; round < 20 || t < 0.5; round++) {
        vml_proc *p;
        double t0 = now();
        if (vml_posix_execve(m, "ls", "/usr/bin/ls", &p) != 0)
            die("execve /usr/bin/ls", m);
        t += now() - t0;
        n++;
        vml_proc_destroy(p);
        if (round > 5000)
            break;
    }
    report("execve ls (+ libs)", n, t, 0);
    printf("%-22s %12.0f loads/s\n", "", n / t);
    printf("%-22s %12s target 10000 loads/s: %s\n", "", "", n / t >= 10000 ? "met" : "NOT met");
    /* a shared object of ls's size alone (libz: 120 KiB, 240 relocations),
    ** mapped and relocated at a random base and unmapped, in a process that
    ** has libc (glibc refuses to dlopen a PIE executable such as ls) */
    vml_proc *p = new_proc(m, "host");
    const char *lib = "/usr/lib/x86_64-linux-gnu/libz.so.1";
    vml_va libc;                           /* what libz needs, loaded once */
    if (vml_posix_dlopen(p, "/usr/lib/x86_64-linux-gnu/libc.so.6", &libc) != 0)
        die("dlopen libc.so.6", m);
    t = 0;
    n = 0;
    for (int round = 0; round < 100 || t < 0.5; round++) {
        vml_va base;
        double t0 = now();
        if (vml_posix_dlopen(p, lib, &base) != 0)
            die("dlopen libz.so.1", m);
        if (vml_posix_dlclose(p, base) != 0)
            die("dlclose", m);
        t += now() - t0;
        n++;
        if (round > 200000)
            break;
    }
    report("dlopen+close libz", n, t, 0);
    printf("%-22s %12.0f loads/s\n", "", n / t);
    vml_machine_destroy(m);
}

static void bench_thrash(void)
{
    /* Random reads and writes over 128 MiB on a 64 MiB machine. */
    vml_machine *m = machine_pf(UINT64_C(64) << 20, 64, UINT64_C(256) << 20);
    vml_proc *p;
    const size_t pages = 32768, n = 1 << 18;
    vml_va *vas = malloc(n * sizeof *vas);
    uint64_t seed = 42;
    vml_va base = committed_region(m, pages, &p);
    for (size_t i = 0; i < n; i++)
        vas[i] = base + ((xorshift64(&seed) % pages) << 12) + (xorshift64(&seed) & 0xFF8);
    double t = 0, ops = 0;
    uint64_t h0 = stat_sys(m, "hard_faults"), s0 = stat_sys(m, "soft_faults");
    for (int round = 0; round < 2 || t < 1.0; round++) {
        double t0 = now();
        if (vml_mem_batch(p, 0, vas, n / 2, VML_ACCESS_WRITE, NULL, NULL, NULL) != VML_OK ||
            vml_mem_batch(p, 0, vas + n / 2, n / 2, VML_ACCESS_READ, NULL, NULL, NULL) != VML_OK)
            die("thrash", m);
        t += now() - t0;
        ops += (double)n;
        if (round > 16)
            break;
    }
    report("thrash (2x RAM)", ops, t, 0);
    printf("%-22s %12.1f%% hard, %.1f%% soft\n", "  (of accesses)",
           100.0 * (double)(stat_sys(m, "hard_faults") - h0) / ops,
           100.0 * (double)(stat_sys(m, "soft_faults") - s0) / ops);
    free(vas);
    vml_machine_destroy(m);
}

/* A fixed string: 15 references in 16 from a skewed set (u^3 over 16Ki
** pages), 1 in 16 from a sequential scan over 1Mi pages; a quarter
** writes. */
static vml_ref *policy_string(size_t n)
{
    vml_ref *refs = malloc(n * sizeof *refs);
    uint64_t s = 0x243f6a8885a308d3ull, scan = 0;
    if (refs == NULL)
        die("policy string", NULL);
    for (size_t i = 0; i < n; i++) {
        uint64_t r = xorshift64(&s);
        if (r % 16 != 0) {
            double u = (double)(xorshift64(&s) >> 11) / 9007199254740992.0;
            refs[i].page = (uint64_t)(16384.0 * u * u * u);
        } else {
            refs[i].page = (1u << 20) + scan++ % (1u << 20);
        }
        refs[i].write = (r >> 8) % 4 == 0;
    }
    return refs;
}

static void bench_policies(void)
{
    const size_t n = (size_t)4 << 20;
    const uint64_t frames = 4096;
    vml_ref *refs = policy_string(n);
    for (unsigned p = 0; p < VML_N_POLICIES; p++) {
        vml_policy_result r;
        char name[32];
        double t0 = now();
        if (vml_policy_simulate((vml_policy)p, frames, refs, n, &r) != VML_OK)
            continue;                                /* ws: machine only */
        snprintf(name, sizeof name, "policy %s", vml_policy_name((vml_policy)p));
        report(name, (double)n, now() - t0, 0);
        printf("%-22s %12.1f%% faults, %llu write-backs\n", "", 100.0 * (double)r.faults / (double)n,
               (unsigned long long)r.writebacks);
        vml_policy_result_free(&r);
    }
    free(refs);
}

int main(int argc, char **argv)
{
    static const struct { const char *name; void (*fn)(void); } benches[] = {
        { "tlb", bench_tlb_hits }, { "walk", bench_walks },
        { "zero", bench_demand_zero }, { "alloc", bench_alloc_free },
        { "soft", bench_trim_soft }, { "hard", bench_hard }, { "thrash", bench_thrash },
        { "cow", bench_cow }, { "proto", bench_proto_soft }, { "fork", bench_fork },
        { "file", bench_file_hard }, { "load", bench_load }, { "scaling", bench_scaling },
        { "policy", bench_policies },
    };
    printf("vmlab benchmarks (operations per second; higher is better)\n");
    for (size_t i = 0; i < sizeof benches / sizeof benches[0]; i++) {
        int run = argc < 2;
        for (int a = 1; a < argc; a++)
            run |= strcmp(argv[a], benches[i].name) == 0;
        if (run)
            benches[i].fn();
    }
    return 0;
}
