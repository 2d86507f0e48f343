/*
** own_symbols.c -- a program that defines functions with the names of
** libvmlab's internal ones (tlb_flush, phys_init, vad_insert, pfn_check)
** links the static library and uses both: the library's internal symbols
** are local to it (make's ld -r + objcopy --localize-hidden), so neither
** the linker nor the library confuses them with these.
*/
#include <stdio.h>
#include <vmlab.h>

int tlb_flush(int x);
int phys_init(int x);
int vad_insert(int x);
int pfn_check(int x);

int tlb_flush(int x)  { return x + 1; }
int phys_init(int x)  { return x + 2; }
int vad_insert(int x) { return x + 3; }
int pfn_check(int x)  { return x + 4; }

int main(void)
{
    vml_config cfg;
    vml_machine *m;
    vml_proc *p;
    vml_va va;
    uint8_t b = 7;

    vml_config_default(&cfg);
    cfg.ram_bytes = 4u << 20;
    /* The library's own phys_init, vad_insert, tlb_flush and pfn_check run
    ** inside these calls. */
    if (vml_machine_create(&cfg, &m) != VML_OK || vml_proc_create(m, "A", &p) != VML_OK ||
        vml_win_VirtualAlloc(p, 0, 4096, VML_MEM_RESERVE | VML_MEM_COMMIT, VML_PAGE_READWRITE,
                             &va) != 0 ||
        vml_mem_write(p, 0, va, &b, 1, NULL) != VML_OK ||
        vml_tlb_flush(m, 0, VML_TLB_FLUSH_ALL) != VML_OK || vml_machine_check(m) != VML_OK)
        return 1;
    vml_machine_destroy(m);
    printf("%d %d %d %d\n", tlb_flush(0), phys_init(0), vad_insert(0), pfn_check(0));
    return tlb_flush(0) == 1 && phys_init(0) == 2 && vad_insert(0) == 3 && pfn_check(0) == 4
           ? 0 : 1;
}
