/*
** hello_machine.c -- the smallest vmlab program: a machine, a process,
** VirtualAlloc, a first touch, and two views of what happened.
**
**   cc hello_machine.c $(pkg-config --cflags --libs vmlab) -o hello_machine
**
** Committed memory has no frame until it is touched: the first write is a
** demand-zero fault that takes a frame from the zeroed list and builds the
** page tables on the way (!pte shows every level).
*/
#include <stdio.h>
#include <vmlab.h>

static int fail(const char *what, vml_machine *m)
{
    fprintf(stderr, "hello_machine: %s failed: %s\n", what, m ? vml_last_error(m) : "");
    return 1;
}

int main(void)
{
    vml_config cfg;
    vml_machine *m;
    vml_proc *p;
    vml_va va;
    vml_text t = {0};
    uint32_t value = 0x12345678;
    uint64_t faults = 0;

    vml_config_default(&cfg);
    cfg.ram_bytes = 16u << 20;                     /* 16 MiB of RAM */
    if (vml_machine_create(&cfg, &m) != VML_OK)
        return fail("vml_machine_create", NULL);
    if (vml_proc_create(m, "A", &p) != VML_OK)
        return fail("vml_proc_create", m);
    /* VirtualAlloc returns a Win32 error code: 0 is success. */
    if (vml_win_VirtualAlloc(p, 0, 0x2000, VML_MEM_RESERVE | VML_MEM_COMMIT,
                             VML_PAGE_READWRITE, &va) != 0)
        return fail("VirtualAlloc", m);
    printf("VirtualAlloc: 8 KiB at %#llx\n", (unsigned long long)va);

    if (vml_mem_write(p, 0, va, &value, sizeof value, NULL) != VML_OK)
        return fail("the first write", m);
    vml_stat_get(m, VML_SCOPE_PROC, vml_proc_pid(p), "demand_zero_faults", &faults);
    printf("after the first write: %llu demand-zero fault\n\n", (unsigned long long)faults);

    vml_view_pte(p, va, VML_FMT_TEXT, &t);         /* WinDbg's !pte */
    vml_view_vad(p, VML_FMT_TEXT, &t);             /* and !vad */
    fputs(t.s, stdout);
    vml_text_free(&t);
    vml_machine_destroy(m);
    return 0;
}
