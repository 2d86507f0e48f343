/*
** event_handler.c -- a custom event handler: count what the memory
** manager does while a process touches more memory than the machine has.
**
**   cc event_handler.c $(pkg-config --cflags --libs vmlab) -o event_handler
**
** vml_set_event_handler() calls a function of yours for every event (the
** `events on` of the vmlab command); here it tallies faults by kind and
** prints the first hard fault the way vmlab prints it.
*/
#include <stdio.h>
#include <string.h>
#include <vmlab.h>

struct tally {
    vml_machine *m;
    unsigned long demand_zero, soft, hard, trims, pagefile_writes;
    int shown;
};

static void on_event(void *ctx, const vml_event *ev)
{
    struct tally *t = ctx;
    char line[256];

    switch (ev->type) {
    case VML_EV_FAULT:
        if (strcmp(ev->what, "demand-zero") == 0)
            t->demand_zero++;
        else if (strcmp(ev->what, "transition") == 0)
            t->soft++;
        else if (strcmp(ev->what, "pagefile") == 0) {
            t->hard++;
            if (!t->shown++) {
                vml_event_format(t->m, ev, line, sizeof line);
                printf("first hard fault: %s\n", line);
            }
        }
        break;
    case VML_EV_TRIM:
        t->trims++;
        break;
    case VML_EV_PAGEFILE:
        t->pagefile_writes += ev->count;
        break;
    default:
        break;
    }
}

int main(void)
{
    vml_config cfg;
    vml_machine *m;
    vml_proc *p;
    vml_va va;
    struct tally t;
    const uint64_t pages = 512;                    /* 2 MiB on a 1 MiB machine */

    vml_config_default(&cfg);
    cfg.ram_bytes = 1u << 20;
    cfg.pagefile_bytes = 4u << 20;
    if (vml_machine_create(&cfg, &m) != VML_OK || vml_proc_create(m, "A", &p) != VML_OK)
        return 1;
    memset(&t, 0, sizeof t);
    t.m = m;
    vml_set_event_handler(m, on_event, &t);
    if (vml_win_VirtualAlloc(p, 0, pages * 4096, VML_MEM_RESERVE | VML_MEM_COMMIT,
                             VML_PAGE_READWRITE, &va) != 0)
        return 1;
    for (int round = 0; round < 2; round++)        /* write every page, twice */
        for (uint64_t i = 0; i < pages; i++) {
            uint64_t v = i + 1000 * (uint64_t)round;
            if (vml_mem_write(p, 0, va + i * 4096, &v, sizeof v, NULL) != VML_OK)
                return 1;
        }
    vml_set_event_handler(m, NULL, NULL);
    printf("demand-zero faults %lu, soft faults %lu, hard faults %lu\n", t.demand_zero, t.soft,
           t.hard);
    printf("pages trimmed %lu, pages written to the pagefile %lu\n", t.trims,
           t.pagefile_writes);
    vml_machine_destroy(m);
    return 0;
}
