/*
** umem.h -- what the personalities' user-mode code (ntdll's heap, glibc's
** malloc, the loader's PEB and TEB, the kernel's argument pages) reads and
** writes in a process: bytes, little-endian integers and pointers of the
** process's size, through the memory manager's copy (vm_copy: the MMU, page
** faults and all), so !db, the working set and the fault counters see
** every store.
**
** A struct umem collects the first failure: once one access fails, later
** ones do nothing and read zeros, and the caller checks um->failed once.
*/
#ifndef VML_OS_UMEM_H
#define VML_OS_UMEM_H

#include <stddef.h>
#include <stdint.h>
#include "mm/vm.h"

struct umem {
    vml_proc     *p;
    unsigned      psize;       /* 4 or 8: the process's pointers */
    int           failed;      /* an access raised an exception */
    vml_va        fail_va;
    vml_exception ex;
    int           peek;        /* a debugger's look: reads without faults
                               ** (vml_mem_peek), no writes */
};

void     um_init(struct umem *um, vml_proc *p, unsigned psize);
void     um_read(struct umem *um, vml_va va, void *buf, uint64_t n);
void     um_write(struct umem *um, vml_va va, const void *buf, uint64_t n);
uint64_t um_r8(struct umem *um, vml_va va);
uint64_t um_r16(struct umem *um, vml_va va);
uint64_t um_r32(struct umem *um, vml_va va);
uint64_t um_r64(struct umem *um, vml_va va);
uint64_t um_rptr(struct umem *um, vml_va va);
void     um_w8(struct umem *um, vml_va va, uint64_t v);
void     um_w16(struct umem *um, vml_va va, uint64_t v);
void     um_w32(struct umem *um, vml_va va, uint64_t v);
void     um_w64(struct umem *um, vml_va va, uint64_t v);
void     um_wptr(struct umem *um, vml_va va, uint64_t v);
/* n zero bytes at va. */
void     um_zero(struct umem *um, vml_va va, uint64_t n);
/* Copies n bytes from src to dst inside the process (memmove). */
void     um_move(struct umem *um, vml_va dst, vml_va src, uint64_t n);
/* Makes every page of [va, va+n) resident and written (each page's first
** byte is read and written back): a call that probes the pages it will
** write before it writes any fails, when memory is short, before it has
** changed anything.  0, or -1 with the exception in um. */
int      um_probe(struct umem *um, vml_va va, uint64_t n);
/* 1, with a message for vml_last_error() naming what, when p's machine
** keeps no page contents (machine data=off, MCH4): what the personalities
** keep in a process's memory (heap and chunk headers, the PEB and TEBs,
** the argument pages) cannot live there, so their calls refuse. */
int      um_no_data(vml_proc *p, const char *what);

#endif
