/*
** mrc_report.c -- miss-ratio curves of every policy on one plot, and the
** counters of a machine over time, in one HTML report.
**
**   cc mrc_report.c $(pkg-config --cflags --libs vmlab) -o mrc_report
**   ./mrc_report report.html      (no argument: print what it would hold)
**
** A reference string (a loop over 12 pages, interleaved with a hot set of
** 5) runs through every policy alone for 1 to 20 frames
** (vml_policy_simulate); the curves go to the report as one vml_plot.
** The same pages are then touched by a process of a machine whose
** recorder samples its counters every 50 accesses: the report draws them
** as timelines.  A program that replays traces hands its curves over the
** same way (vml_report_opts.plots).
*/
#include <stdio.h>
#include <vmlab.h>

#define N_REFS    600
#define MAX_FRAMES 20
#define PAGE      4096u

static void make_refs(vml_ref *refs)
{
    for (unsigned i = 0; i < N_REFS; i++) {
        uint64_t page = i % 3 == 0 ? (i / 3) % 12 : 100 + (i * 7u) % 5;
        refs[i] = (vml_ref){ page, i % 4 == 1 };
    }
}

/* y[f - 1]: the fraction of references that fault with f frames. */
static int curve(vml_policy pol, const vml_ref *refs, double *y)
{
    for (unsigned f = 1; f <= MAX_FRAMES; f++) {
        vml_policy_result r;
        if (vml_policy_simulate(pol, f, refs, N_REFS, &r) != VML_OK)
            return -1;                     /* ws runs only inside a machine */
        y[f - 1] = (double)r.faults / (double)r.refs;
        vml_policy_result_free(&r);
    }
    return 0;
}

/* The references as memory accesses of one process, recorded. */
static int run_machine(const vml_ref *refs, vml_machine **out)
{
    vml_config cfg;
    vml_rec_config rc = { .clock = VML_CLOCK_ACCESSES, .every = 50 };
    vml_machine *m;
    vml_proc *p;
    vml_va base;
    uint8_t byte = 1;

    vml_config_default(&cfg);
    cfg.ram_bytes = 4u << 20;
    if (vml_machine_create(&cfg, &m) != VML_OK)
        return -1;
    *out = m;
    if (vml_record_start(m, &rc) != VML_OK || vml_proc_create(m, "A", &p) != VML_OK)
        return -1;
    if (vml_win_VirtualAlloc(p, 0, 128 * PAGE, VML_MEM_RESERVE | VML_MEM_COMMIT,
                             VML_PAGE_READWRITE, &base) != 0)
        return -1;
    for (unsigned i = 0; i < N_REFS; i++) {
        vml_va va = base + refs[i].page * PAGE % (128 * PAGE);
        vml_status st = refs[i].write ? vml_mem_write(p, 0, va, &byte, 1, NULL)
                                      : vml_mem_read(p, 0, va, &byte, 1, NULL);
        if (st != VML_OK)
            return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    static vml_ref refs[N_REFS];
    static double x[MAX_FRAMES], y[VML_N_POLICIES][MAX_FRAMES];
    vml_series ser[VML_N_POLICIES];
    size_t n_ser = 0;
    vml_machine *m = NULL;
    vml_text html = {0};
    vml_rec_info ri;

    make_refs(refs);
    for (unsigned f = 1; f <= MAX_FRAMES; f++)
        x[f - 1] = f;
    printf("miss ratio%9s", "frames:");
    for (unsigned f = 1; f <= 16; f *= 2)
        printf("%6u", f);
    printf("\n");
    for (unsigned p = 0; p < VML_N_POLICIES; p++) {
        if (curve((vml_policy)p, refs, y[n_ser]) != 0)
            continue;
        ser[n_ser] = (vml_series){ vml_policy_name((vml_policy)p), x, y[n_ser], MAX_FRAMES };
        printf("%-19s", ser[n_ser].name);
        for (unsigned f = 1; f <= 16; f *= 2)
            printf("%6.3f", y[n_ser][f - 1]);
        printf("\n");
        n_ser++;
    }

    vml_plot mrc = { "mrc", "Miss-ratio curves of every policy", "memory", "frames",
                     "miss ratio", "", 0, ser, n_ser };
    vml_report_opts o = { "Miss-ratio curves and a recorded run", &mrc, 1, 0 };
    if (run_machine(refs, &m) != 0 || vml_report_html(m, &o, &html) != VML_OK || html.oom) {
        fprintf(stderr, "mrc_report: %s\n", m != NULL ? vml_last_error(m) : "no machine");
        vml_machine_destroy(m);
        return 1;
    }
    vml_record_info(m, &ri);
    printf("recorded: %zu samples of %zu series, every %llu accesses\n", ri.n_samples,
           ri.n_series, (unsigned long long)ri.every);
    printf("the report's charts:");
    for (size_t i = 0;; i++) {
        char name[64];
        vml_text s = {0};
        vml_status st = vml_report_svg(m, &o, i, &s, name, sizeof name);
        vml_text_free(&s);
        if (st != VML_OK)
            break;
        printf(" %s", name);
    }
    printf("\n");
    if (argc > 1) {
        FILE *f = fopen(argv[1], "w");
        if (f == NULL || fwrite(html.s, 1, html.len, f) != html.len || fclose(f) != 0) {
            perror(argv[1]);
            return 1;
        }
        printf("wrote %s\n", argv[1]);
    }
    vml_text_free(&html);
    vml_machine_destroy(m);
    return 0;
}
