/*
** icount.c -- instructions per operation of the hot paths, for callgrind
** (`make icount`): after one setup of SIZE pages, the operation N times;
** run under valgrind --tool=callgrind with N and 2N (SIZE the same), the
** difference of the two totals divided by N is the cost of one operation,
** free of setup.  Instruction counts are repeatable where timings on a
** shared machine are not.
**
**   icount MODE N SIZE    MODE: hit (TLB-hit batch reads), walk (batch reads
**                    that miss the TLB and walk), zero (demand-zero faults),
**                    cow (copy-on-write faults after fork), proto (soft
**                    faults on a shared section page mapped by another
**                    process), file (hard faults from a mapped file)
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "vmlab.h"

static void die(const char *what, vml_machine *m)
{
    fprintf(stderr, "icount: %s failed: %s\n", what, m ? vml_last_error(m) : "");
    exit(1);
}

static vml_machine *machine(uint64_t ram)
{
    vml_config cfg;
    vml_machine *m;
    vml_config_default(&cfg);
    cfg.ram_bytes = ram;
    cfg.flags = 0;
    cfg.bg_interval = 0;
    if (vml_machine_create(&cfg, &m) != VML_OK)
        die("machine", NULL);
    return m;
}

static vml_va region(vml_machine *m, vml_proc *p, uint64_t pages)
{
    vml_va base;
    if (vml_win_VirtualAlloc(p, 0, pages << 12, VML_MEM_RESERVE | VML_MEM_COMMIT,
                             VML_PAGE_READWRITE, &base))
        die("VirtualAlloc", m);
    return base;
}

int main(int argc, char **argv)
{
    if (argc != 4)
        return fprintf(stderr, "usage: icount hit|walk|zero|cow|proto|file N SIZE\n"), 2;
    const char *mode = argv[1];
    size_t n = (size_t)strtoull(argv[2], NULL, 0), size = (size_t)strtoull(argv[3], NULL, 0);
    if (n > size)
        return fprintf(stderr, "icount: N must not exceed SIZE\n"), 2;
    vml_machine *m = machine(UINT64_C(256) << 20);
    vml_proc *p;
    if (vml_proc_create(m, "A", &p) != VML_OK)
        die("process", m);
    vml_va *vas = malloc((size + 1) * sizeof *vas);
    uint64_t sum = 0;
    if (strcmp(mode, "hit") == 0) {
        vml_va base = region(m, p, 16);
        for (size_t i = 0; i < n; i++)
            vas[i] = base + ((i % 16) << 12) + (i * 8 % 4096);
        vml_mem_batch(p, 0, vas, n < 16 ? n : 16, VML_ACCESS_WRITE, NULL, NULL, NULL);
        vml_mem_batch(p, 0, vas, n, VML_ACCESS_READ, &sum, NULL, NULL);
    } else if (strcmp(mode, "walk") == 0) {
        /* 1024 pages in a stride that defeats a 64-entry TLB */
        vml_va base = region(m, p, 1024);
        for (size_t i = 0; i < 1024; i++) {
            vml_va va = base + (i << 12);
            vml_mem_batch(p, 0, &va, 1, VML_ACCESS_WRITE, NULL, NULL, NULL);
        }
        for (size_t i = 0; i < n; i++)
            vas[i] = base + (((i * 97) % 1024) << 12);
        vml_mem_batch(p, 0, vas, n, VML_ACCESS_READ, &sum, NULL, NULL);
    } else if (strcmp(mode, "zero") == 0) {
        vml_va base = region(m, p, size);
        for (size_t i = 0; i < size; i++)
            vas[i] = base + (i << 12);
        vml_mem_batch(p, 0, vas, n, VML_ACCESS_WRITE, NULL, NULL, NULL);
    } else if (strcmp(mode, "cow") == 0) {
        vml_va base;
        if (vml_posix_mmap(p, 0, (size + 1) << 12, VML_PROT_READ | VML_PROT_WRITE,
                           VML_MAP_PRIVATE | VML_MAP_ANONYMOUS, -1, 0, &base))
            die("mmap", m);
        for (size_t i = 0; i < size; i++)
            vas[i] = base + (i << 12);
        vml_mem_batch(p, 0, vas, size, VML_ACCESS_WRITE, NULL, NULL, NULL);
        unsigned pid;
        if (vml_posix_fork(p, "B", &pid))
            die("fork", m);
        vml_mem_batch(p, 0, vas, n, VML_ACCESS_WRITE, NULL, NULL, NULL);
    } else if (strcmp(mode, "proto") == 0) {
        vml_proc *q;
        vml_handle hs, hq;
        vml_va a, b;
        if (vml_proc_create(m, "B", &q) != VML_OK ||
            vml_win_CreateFileMapping(p, VML_INVALID_HANDLE_VALUE, VML_PAGE_READWRITE,
                                      (size + 1) << 12, "shm", &hs) ||
            vml_win_MapViewOfFile(p, hs, VML_FILE_MAP_WRITE, 0, 0, 0, &a) ||
            vml_win_OpenFileMapping(q, VML_FILE_MAP_ALL_ACCESS, "shm", &hq) ||
            vml_win_MapViewOfFile(q, hq, VML_FILE_MAP_READ, 0, 0, 0, &b))
            die("section", m);
        for (size_t i = 0; i < size; i++)
            vas[i] = a + (i << 12);
        vml_mem_batch(p, 0, vas, size, VML_ACCESS_WRITE, NULL, NULL, NULL);
        for (size_t i = 0; i < size; i++)
            vas[i] = b + (i << 12);
        vml_mem_batch(q, 0, vas, n, VML_ACCESS_READ, &sum, NULL, NULL);
    } else if (strcmp(mode, "file") == 0) {
        int fd;
        vml_va a;
        if (vml_file_create(m, "data.bin", (size + 1) << 12, 7, 1) != VML_OK ||
            vml_posix_open(p, "data.bin", VML_O_RDONLY, &fd) ||
            vml_posix_mmap(p, 0, (size + 1) << 12, VML_PROT_READ, VML_MAP_SHARED, fd, 0, &a))
            die("file", m);
        for (size_t i = 0; i < size; i++)
            vas[i] = a + (i << 12);
        vml_mem_batch(p, 0, vas, n, VML_ACCESS_READ, &sum, NULL, NULL);
    } else {
        return fprintf(stderr, "icount: unknown mode %s\n", mode), 2;
    }
    free(vas);
    vml_machine_destroy(m);
    return sum == 42;
}
