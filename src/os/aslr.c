/*
** aslr.c -- address-space layout randomization as Windows and Linux do it,
** from the machine's seeded generator (vm_random: one stream per machine,
** so a script run twice with one seed lays everything out the same).  With
** machine aslr=off every function returns what the system uses without
** randomization (Linux: randomize_va_space=0; Windows: preferred image
** bases and first-fit placement).
**
** Windows (x64 processes are high-entropy, Windows 8 and later):
**   Entropy from M. Miller, K. Johnson, "Exploit Mitigation Improvements in
**   Windows 8", Black Hat USA 2012 (table "ASLR entropy"): 64-bit
**   high-entropy bottom-up allocations 24 bits of 64 KiB.  Image bases
**   (Windows Internals, 6th ed., ch. 5, "Address Space Layout
**   Randomization"): an EXE at ImageBase + k * 64 KiB, k in 1..254, or
**   with HIGH_ENTROPY_VA 64 KiB-aligned in [0x7FF600000000,
**   0x7FF800000000) (17 bits); the per-boot DLL bias 1..254 x 64 KiB, or
**   with HIGH_ENTROPY_VA 1..2^19-1 x 64 KiB (the loader, src/loader/
**   winload.c sys_base(), keeps it and hands DLL ranges out below it).
**   Windows Internals, 6th ed., ch. 10,
**   "Address Space Layout Randomization": the initial heap: "5 bits ...
**   multiplied by 64 KB" (ibid.: 0 to 0x1F0000 from where the bottom-up
**   search starts); a stack: "one of 32 possible stack locations separated
**   by 64 KB" (ibid.).  PEB: Windows XP SP2 and 32-bit processes, one of
**   16 pages below 0x7FFDF000's successor (the top of user space less
**   0x10000 for KUSER_SHARED_DATA); 64-bit processes, the bottom-up
**   randomization above.  vmlab models a 64-bit process's heaps, stacks and
**   PEB as bottom-up searches from a 24-bit random start (what the 2012
**   table gives bottom-up allocations) plus their own bits.
**   ASLR off: heaps and stacks first fit
**   from the bottom of user space, the PEB at 0x7FFDF000 (32-bit) or
**   0x7FFFFFFDF000 (x64: the top of user space less 0x21000, as Windows 7
**   x64's 0x7FFFFFDF000 sat below its 8 TiB top) and TEBs below it.
**
** Linux (arch/x86/mm/mmap.c, mm/util.c, fs/binfmt_elf.c, Linux 6.x;
** randomize_va_space=2 when on):
**   mmap_base   = PAGE_ALIGN(TASK_SIZE - gap - arch_mmap_rnd()), gap =
**                 clamp(RLIMIT_STACK + stack_guard_gap + stack_maxrandom,
**                 128 MiB, TASK_SIZE/6*5); arch_mmap_rnd() = random pages of
**                 mmap_rnd_bits = 28 (compat: 8)
**   stack top   = PAGE_ALIGN(STACK_TOP) - (random & STACK_RND_MASK) pages,
**                 STACK_RND_MASK 0x3fffff (compat: 0x7ff)
**   sp offset   = arch_align_stack(): sp - random % 8192, & ~0xf
**   brk         = randomize_page(end, 1 GiB (compat: 32 MiB))
**   ET_DYN base  = ELF_ET_DYN_BASE + arch_mmap_rnd() (the loader adds
**                 aslr_linux_mmap_rnd(): src/loader/elfload.c, dyn_exec_bias())
**   vmlab's user space ends 64 KiB below Windows' boundary for both
**   personalities (0x7FFFFFFEFFFF, or the 32-bit split less 0x10001), so
**   STACK_TOP is that boundary (0x7FFFFFFF0000) rather than Linux's
**   0x7FFFFFFFF000 (checked on this machine: setarch -R cat
**   /proc/self/maps shows [stack] ending at 0x7ffffffff000, the mmap base
**   at 0x7ffff7fff000, the PIE at 0x555555554000, [heap] right after it).
**
** INVARIANTS: none of its own (no state); tests/unit/test_aslr.c checks
** every value against the range its source gives, per seed.
*/
#include "mm/vm.h"
#include "aslr.h"

#define PAGE    UINT64_C(0x1000)
#define GRAN    UINT64_C(0x10000)
#define MiB     (UINT64_C(1) << 20)

/* A draw in [0, n). */
static uint64_t draw(vml_machine *m, uint64_t n)
{
    return n ? vm_random(m) % n : 0;
}

/* ---- Windows ------------------------------------------------------------------------ */


static int machine_is64(const vml_machine *m)
{
    return vm_layout(m)->va_bits > 32;
}

vml_va aslr_win_bottom_up(vml_machine *m, unsigned ptr_size)
{
    vml_va lo = vm_layout(m)->user_lowest;
    if (!vm_aslr(m) || ptr_size != 8 || !machine_is64(m))
        return lo;
    return lo + draw(m, UINT64_C(1) << 24) * GRAN;
}

vml_va aslr_win_exe_base(vml_machine *m, vml_va preferred, unsigned flags)
{
    if (!vm_aslr(m))
        return preferred;
    if (flags & ASLR_WIN_HIGH_ENTROPY)
        return UINT64_C(0x7FF600000000) + draw(m, UINT64_C(1) << 17) * GRAN;
    return preferred + (1 + draw(m, 254)) * GRAN;
}

uint64_t aslr_win_dll_bias(vml_machine *m, unsigned flags)
{
    if (flags & ASLR_WIN_HIGH_ENTROPY)
        return (1 + draw(m, (UINT64_C(1) << 19) - 1)) * GRAN;
    return (1 + draw(m, 254)) * GRAN;
}

vml_va aslr_win_heap_hint(vml_machine *m, vml_va bottom_up)
{
    if (!vm_aslr(m))
        return bottom_up;
    return bottom_up + draw(m, 32) * GRAN;          /* RtlCreateHeap's 5 bits */
}

vml_va aslr_win_stack_hint(vml_machine *m, vml_va bottom_up)
{
    if (!vm_aslr(m))
        return bottom_up;
    return bottom_up + draw(m, 32) * GRAN;          /* one of 32 locations */
}

vml_va aslr_win_peb_hint(vml_machine *m, unsigned ptr_size, vml_va bottom_up, int *top_down)
{
    const vml_layout *l = vm_layout(m);
    vml_va top = ptr_size == 4 && l->user_highest > UINT64_C(0x7FFEFFFF) ? UINT64_C(0x7FFEFFFF)
                                                                         : l->user_highest;
    vml_va fixed = ((top + 1) & ~(GRAN - 1)) - 0x11000;   /* 0x7FFDF000 */
    if (!vm_aslr(m)) {
        *top_down = 1;
        return fixed;
    }
    if (ptr_size == 8 && machine_is64(m)) {
        *top_down = 0;
        return bottom_up + draw(m, 16) * PAGE;
    }
    *top_down = 1;
    return fixed - draw(m, 16) * PAGE;              /* XP SP2: 16 pages */
}

/* ---- Linux -------------------------------------------------------------------------- */

#define LX_TASK_SIZE64   UINT64_C(0x7FFFFFFFF000)     /* DEFAULT_MAP_WINDOW */
#define LX_GAP_MIN       (UINT64_C(128) << 20)
#define LX_STACK_GUARD   (UINT64_C(256) * PAGE)      /* stack_guard_gap */
#define LX_RLIMIT_STACK  (UINT64_C(8) << 20)

static int compat(const vml_machine *m, int compat32)
{
    return compat32 || !machine_is64(m);
}

/* arch_mmap_rnd(): mmap_rnd_bits (28) or mmap_rnd_compat_bits (8) of pages. */
static uint64_t mmap_rnd(vml_machine *m, int c32)
{
    return draw(m, UINT64_C(1) << (c32 ? 8 : 28)) * PAGE;
}

uint64_t aslr_linux_mmap_rnd(vml_machine *m, int compat32)
{
    return vm_aslr(m) ? mmap_rnd(m, compat(m, compat32)) : 0;
}

/* stack_maxrandom_size(): STACK_RND_MASK pages. */
static uint64_t stack_rnd_mask(int c32)
{
    return c32 ? 0x7FF : 0x3FFFFF;
}

/* TASK_SIZE as mmap_base() sees it: vmlab's 32-bit layout keeps its mmap
** base 128 MiB below it. */
static uint64_t task_size(const vml_machine *m, int c32)
{
    const vml_layout *l = vm_layout(m);
    if (c32 && !machine_is64(m))
        return l->mmap_base + LX_GAP_MIN;
    return c32 ? UINT64_C(0xFFFFE000) : LX_TASK_SIZE64;   /* IA32_PAGE_OFFSET - page */
}

vml_va aslr_linux_mmap_base(vml_machine *m, int compat32)
{
    int c32 = compat(m, compat32);
    uint64_t ts = task_size(m, c32);
    if (!vm_aslr(m))
        return ts - LX_GAP_MIN;          /* the gap of 9 MiB is below the minimum */
    uint64_t gap = LX_RLIMIT_STACK + LX_STACK_GUARD + (stack_rnd_mask(c32) << 12);
    uint64_t gap_max = ts / 6 * 5;
    if (gap < LX_GAP_MIN)
        gap = LX_GAP_MIN;
    else if (gap > gap_max)
        gap = gap_max;
    uint64_t rnd = mmap_rnd(m, c32);
    return (ts - gap - rnd + PAGE - 1) & ~(PAGE - 1);
}

vml_va aslr_linux_stack_top(vml_machine *m, int compat32)
{
    int c32 = compat(m, compat32);
    const vml_layout *l = vm_layout(m);
    vml_va top = c32 && machine_is64(m) ? UINT64_C(0xFFFFE000)   /* IA32_PAGE_OFFSET */
                                         : (l->user_highest + 1) & ~(PAGE - 1);
    if (!vm_aslr(m))
        return top;
    return top - (draw(m, stack_rnd_mask(c32) + 1) << 12);
}

uint64_t aslr_linux_stack_offset(vml_machine *m)
{
    return vm_aslr(m) ? draw(m, 8192) : 0;
}

vml_va aslr_linux_brk(vml_machine *m, vml_va end, int compat32)
{
    vml_va start = (end + PAGE - 1) & ~(PAGE - 1);
    if (!vm_aslr(m))
        return start;
    uint64_t range = (compat(m, compat32) ? UINT64_C(32) << 20 : UINT64_C(1) << 30) >> 12;
    return start + (draw(m, range) << 12);
}

void aslr_linux_random_bytes(vml_machine *m, uint8_t out[16])
{
    for (int i = 0; i < 16; i += 8) {
        uint64_t r = vm_random(m);
        for (int k = 0; k < 8; k++)
            out[i + k] = (uint8_t)(r >> (8 * k));
    }
}
