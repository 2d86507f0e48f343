/*
** bench_report.c -- `make bench`: the speed target of the report (issue
** 11): a machine of 1 GiB (262,144 frames) with 100 processes, recorded
** while it was built, reported in under a second.  Writes the report to
** the path given (bench/report.sh then opens it in Chromium) and prints
** the time to build it next to the target.
**
** usage: bench_report OUT.html
*/
#include <time.h>
#define TESTUTIL_NO_CMOCKA      /* the tests' rig, failing with a message */
#include "testutil.h"

#define N_PROCS   100
#define PROC_MEM  (8u << 20)    /* each writes 8 MiB: 200K of the 256K frames */
#define VIEW_SIZE (64u << 10)   /* and maps a 64 KiB shared section */

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what, vml_machine *m)
{
    fprintf(stderr, "bench_report: %s failed: %s\n", what, m ? vml_last_error(m) : "");
    exit(1);
}

int main(int argc, char **argv)
{
    vml_config cfg;
    vml_machine *m;
    vml_rec_config rc = { .clock = VML_CLOCK_ACCESSES, .every = 1 };
    vml_text html = {0};
    vml_va *vas;
    size_t n_pages = PROC_MEM / PAGE, i;
    double t0, t1;
    FILE *f;

    if (argc != 2) {
        fprintf(stderr, "usage: bench_report OUT.html\n");
        return 2;
    }
    vml_config_default(&cfg);
    cfg.ram_bytes = UINT64_C(1) << 30;
    cfg.pagefile_bytes = UINT64_C(256) << 20;
    cfg.flags = 0;                       /* no per-operation invariant checks */
    m = new_machine_cfg(&cfg);
    if (vml_record_start(m, &rc) != VML_OK)
        die("vml_record_start", m);
    vas = malloc(n_pages * sizeof *vas);
    if (vas == NULL)
        die("malloc", NULL);
    for (unsigned p = 0; p < N_PROCS; p++) {
        char name[16];
        vml_proc *pr;
        vml_handle sec;
        vml_va base, view;
        snprintf(name, sizeof name, "P%03u", p);
        pr = new_proc(m, name);
        if (vml_win_VirtualAlloc(pr, 0, PROC_MEM, VML_MEM_RESERVE | VML_MEM_COMMIT,
                                 VML_PAGE_READWRITE, &base) != 0)
            die("VirtualAlloc", m);
        for (i = 0; i < n_pages; i++)
            vas[i] = base + i * PAGE;
        if (vml_mem_batch(pr, 0, vas, n_pages, VML_ACCESS_WRITE, NULL, NULL, NULL) != VML_OK)
            die("vml_mem_batch", m);
        vml_win_CreateFileMapping(pr, VML_INVALID_HANDLE_VALUE, VML_PAGE_READWRITE, VIEW_SIZE,
                                  "bench-shared", &sec);
        if (vml_win_MapViewOfFile(pr, sec, VML_FILE_MAP_ALL_ACCESS, 0, 0, 0, &view) != 0)
            die("MapViewOfFile", m);
        for (i = 0; i < VIEW_SIZE / PAGE; i++)
            vas[i] = view + i * PAGE;
        if (vml_mem_batch(pr, 0, vas, VIEW_SIZE / PAGE, VML_ACCESS_WRITE, NULL, NULL, NULL) !=
            VML_OK)
            die("vml_mem_batch (view)", m);
    }
    free(vas);
    t0 = now();
    if (vml_report_html(m, NULL, &html) != VML_OK || html.oom)
        die("vml_report_html", m);
    t1 = now();
    f = fopen(argv[1], "w");
    if (f == NULL || fwrite(html.s, 1, html.len, f) != html.len || fclose(f) != 0)
        die("writing the report", NULL);
    printf("report of 1 GiB (%llu frames), %u processes: %.1f MB of HTML\n",
           (unsigned long long)vml_pfn_total(m), N_PROCS, (double)html.len / 1e6);
    printf("  %-26s %6.3f s    target < 1 s   %s\n", "written in", t1 - t0,
           t1 - t0 < 1.0 ? "ok" : "MISSED");
    vml_text_free(&html);
    vml_machine_destroy(m);
    return 0;
}
