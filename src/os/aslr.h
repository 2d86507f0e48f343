/*
** aslr.h -- randomized placements of the real systems, drawn from the
** machine's seeded generator (the same seed gives the same layout), and
** the fixed placements those systems use with ASLR off (machine aslr=off).
** Each function says where its numbers come from (aslr.c).
**
** Windows' placements depend on what is free; these functions give the
** candidate (a hint) and the caller finds room from it, as the system's
** allocator does from its randomized start.
*/
#ifndef VML_OS_ASLR_H
#define VML_OS_ASLR_H

#include <stdint.h>
#include "vmlab.h"

/* ---- Windows ------------------------------------------------------------------------ */

/* Image bases of DYNAMICBASE images; flags: ASLR_WIN_HIGH_ENTROPY for a
** PE32+ marked HIGH_ENTROPY_VA. */
enum { ASLR_WIN_HIGH_ENTROPY = 1 };
/* An EXE's base (aslr off: preferred, its ImageBase). */
vml_va   aslr_win_exe_base(vml_machine *m, vml_va preferred, unsigned flags);
/* The per-boot DLL image bias, in bytes (never 0): the caller draws it
** once per boot and only with ASLR on. */
uint64_t aslr_win_dll_bias(vml_machine *m, unsigned flags);

/* A process's bottom-up start (drawn once per process): 24 bits of 64 KiB
** for a 64-bit process, the lowest user address otherwise or when off. */
vml_va   aslr_win_bottom_up(vml_machine *m, unsigned ptr_size);
/* Where a bottom-up search for a new heap's, or a new thread stack's,
** reservation starts: from the process's bottom-up start, 5 more bits of
** 64 KiB (aslr off: the start itself: first fit). */
vml_va   aslr_win_heap_hint(vml_machine *m, vml_va bottom_up);
vml_va   aslr_win_stack_hint(vml_machine *m, vml_va bottom_up);
/* Where the PEB goes (a page): 64-bit processes search up from the hint,
** 32-bit ones down from it (aslr off: its fixed place below the top of
** user space, searched down).  *top_down says which. */
vml_va   aslr_win_peb_hint(vml_machine *m, unsigned ptr_size, vml_va bottom_up, int *top_down);

/* ---- Linux -------------------------------------------------------------------------- */

/* compat32: a 32-bit process (mmap_is_ia32()), or any process of a
** 32-bit paging mode. */

/* mm->mmap_base (arch/x86/mm/mmap.c, mmap_base()): the top of the mmap
** area, below the stack's gap and the random mmap offset. */
vml_va   aslr_linux_mmap_base(vml_machine *m, int compat32);
/* The top of the main stack: randomize_stack_top(STACK_TOP) (fs/exec.c,
** mm/util.c), page aligned. */
vml_va   aslr_linux_stack_top(vml_machine *m, int compat32);
/* arch_align_stack()'s random offset (arch/x86/kernel/process.c): bytes
** below the given stack pointer, 0..8191 (0 with ASLR off); the caller
** then aligns down to 16. */
uint64_t aslr_linux_stack_offset(vml_machine *m);
/* mm->start_brk for an image that ends at end (the page-aligned end of
** its bss): arch_randomize_brk() -- up to 1 GiB (32 MiB for compat32)
** above it; end itself with ASLR off. */
vml_va   aslr_linux_brk(vml_machine *m, vml_va end, int compat32);
/* arch_mmap_rnd(): random pages of mmap_rnd_bits (28; compat32: 8) bits,
** in bytes; 0 with ASLR off.  mmap_base() and the ET_DYN executable's load
** bias (src/loader/elfload.c, dyn_exec_bias()) both draw it. */
uint64_t aslr_linux_mmap_rnd(vml_machine *m, int compat32);
/* The 16 bytes of AT_RANDOM (get_random_bytes): always drawn. */
void     aslr_linux_random_bytes(vml_machine *m, uint8_t out[16]);

#endif
