/*
** aslr.c -- address-space layout randomization as Windows and Linux do it,
** from the machine's seeded generator (vm_rng: one stream per machine, so
** a script run twice with one seed lays everything out the same; per-boot
** values come from vm_rng_boot, a function of the seed alone).  With
** machine aslr=off every function returns what the system uses without
** randomization (Linux: randomize_va_space=0; Windows: preferred image
** bases and first-fit placement).
**
** Windows (x64 processes are high-entropy, Windows 8 and later):
**   Entropy from M. Miller, K. Johnson, "Exploit Mitigation Improvements in
**   Windows 8", Black Hat USA 2012 (table "ASLR entropy"): 64-bit
**   high-entropy bottom-up allocations 24 bits of 64 KiB; DLL images 19
**   bits, EXE images 17 bits; 32-bit processes 8 bits for images.  The
**   regions are those a Windows 10 x64 process shows: 64-bit DLLs in
**   [0x7FF8'0000'0000, 0x7FFF'FFFF'0000) (2^19 x 64 KiB), 64-bit EXEs in
**   [0x7FF6'0000'0000, 0x7FF8'0000'0000) (2^17 x 64 KiB); 32-bit DLLs
**   top-down from 0x78000000 less the bias.  A non-high-entropy EXE moves
**   by 1..254 x 64 KiB from its preferred base (Windows Internals, 6th
**   ed., ch. 10, "Address Space Layout Randomization": "a pseudo-random
**   8-bit number from 0x10000 to 0xFE0000").  The initial heap: "5 bits ...
**   multiplied by 64 KB" (ibid.: 0 to 0x1F0000 from where the bottom-up
**   search starts); a stack: "one of 32 possible stack locations separated
**   by 64 KB" (ibid.).  PEB: Windows XP SP2 and 32-bit processes, one of
**   16 pages below 0x7FFDF000's successor (the top of user space less
**   0x10000 for KUSER_SHARED_DATA); 64-bit processes, the bottom-up
**   randomization above.  vmlab models a 64-bit process's heaps, stacks and
**   PEB as bottom-up searches from a 24-bit random start (what the 2012
**   table gives bottom-up allocations) plus their own bits.
**   ASLR off: images at their preferred bases, heaps and stacks first fit
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
**   ET_DYN      = ELF_ET_DYN_BASE (DEFAULT_MAP_WINDOW/3*2 = 0x555555554aaa;
**                 compat 0x400000) + arch_mmap_rnd()
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
    return n ? vm_rng(m) % n : 0;
}

/* The boot values (vm_rng_boot's what). */
enum { BOOT_DLL_BIAS32 = 1, BOOT_DLL_BIAS64 = 2 };

/* ---- Windows ------------------------------------------------------------------------ */

#define WIN_DLL64_LO  UINT64_C(0x7FF800000000)
#define WIN_DLL64_HI  UINT64_C(0x7FFFFFFF0000)
#define WIN_EXE64_LO  UINT64_C(0x7FF600000000)
#define WIN_DLL32_HI  UINT64_C(0x78000000)

static int machine_is64(const vml_machine *m)
{
    return vm_layout(m)->va_bits > 32;
}

uint64_t aslr_win_dll_bias(const vml_machine *m, int is64)
{
    /* MiInitializeRelocations draws the image bias once per boot. */
    return is64 ? vm_rng_boot(m, BOOT_DLL_BIAS64) % (UINT64_C(1) << 19)
                : vm_rng_boot(m, BOOT_DLL_BIAS32) % 256;
}

vml_va aslr_win_image_base(vml_machine *m, vml_va preferred, uint64_t size, unsigned flags)
{
    uint64_t span = (size + GRAN - 1) & ~(GRAN - 1);
    int is64 = (flags & ASLR_IMG_64BIT) && machine_is64(m);
    if (!vm_aslr(m) || !(flags & ASLR_IMG_DYNAMIC_BASE) || span == 0)
        return preferred;
    if (flags & ASLR_IMG_DLL) {
        uint64_t bias = aslr_win_dll_bias(m, is64) * GRAN;
        if (is64) {
            /* the region wraps: a bias past its bottom starts again at the top */
            uint64_t room = WIN_DLL64_HI - WIN_DLL64_LO;
            uint64_t off = (bias + span) % room;
            return WIN_DLL64_HI - (off < span ? span : off);
        }
        vml_va top = WIN_DLL32_HI - bias;
        return top > span ? top - span : WIN_DLL32_HI - span;
    }
    if (is64 && (flags & ASLR_IMG_HIGH_ENTROPY))
        return WIN_EXE64_LO + draw(m, UINT64_C(1) << 17) * GRAN;
    /* delta 0x10000..0xFE0000 from the preferred base */
    uint64_t delta = (1 + draw(m, 254)) * GRAN;
    vml_va highest = vm_layout(m)->user_highest;
    if (preferred + delta + span - 1 > highest || preferred + delta < preferred)
        return preferred > delta ? preferred - delta : preferred;
    return preferred + delta;
}

vml_va aslr_win_bottom_up(vml_machine *m, unsigned ptr_size)
{
    vml_va lo = vm_layout(m)->user_lowest;
    if (!vm_aslr(m) || ptr_size != 8 || !machine_is64(m))
        return lo;
    return lo + draw(m, UINT64_C(1) << 24) * GRAN;
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
    vml_va fixed = ((l->user_highest + 1) & ~(GRAN - 1)) - 0x11000;   /* 0x7FFDF000 */
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
#define LX_ET_DYN_BASE64 UINT64_C(0x555555554AAA)     /* DEFAULT_MAP_WINDOW / 3 * 2 */
#define LX_ET_DYN_BASE32 UINT64_C(0x400000)
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

vml_va aslr_linux_et_dyn_bias(vml_machine *m, int compat32, uint64_t align, vml_va first_vaddr)
{
    int c32 = compat(m, compat32);
    vml_va bias = c32 ? LX_ET_DYN_BASE32 : LX_ET_DYN_BASE64;
    if (vm_aslr(m))
        bias += mmap_rnd(m, c32);
    if (align > PAGE && (align & (align - 1)) == 0)
        bias &= ~(align - 1);
    return (bias - first_vaddr) & ~(PAGE - 1);
}

void aslr_linux_random_bytes(vml_machine *m, uint8_t out[16])
{
    for (int i = 0; i < 16; i += 8) {
        uint64_t r = vm_rng(m);
        for (int k = 0; k < 8; k++)
            out[i + k] = (uint8_t)(r >> (8 * k));
    }
}
