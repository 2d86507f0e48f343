/*
** cmd_pictures.c -- the pictures: `diagram`, `record`, `report` in scripts
** and the shell, and `vmlab report SCRIPT... -o FILE`.
**
** The library draws; this file decides what the terminal gets: box
** drawing when the locale's character set is UTF-8 (--ascii and --unicode
** override), the terminal's width (--width=N overrides; COLUMNS or 80
** when the output is not a terminal), colour only when the output is a
** terminal and NO_COLOR is not set (https://no-color.org).  It also does
** the file I/O of reports, which the library leaves to its caller.
*/
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "cli.h"

#define WIDTH_MIN 40u
#define WIDTH_MAX 1000u

/* ------------------------------------------------------------------ */
/* What the terminal can show                                          */

static int locale_utf8(void)
{
    static const char *const vars[] = { "LC_ALL", "LC_CTYPE", "LANG" };
    size_t i;

    for (i = 0; i < sizeof vars / sizeof vars[0]; i++) {
        const char *v = getenv(vars[i]);
        if (v != NULL && v[0] != '\0')
            return strstr(v, "UTF-8") != NULL || strstr(v, "utf-8") != NULL ||
                   strstr(v, "UTF8") != NULL || strstr(v, "utf8") != NULL;
    }
    return 0;
}

static unsigned clamp_width(unsigned long w)
{
    return w < WIDTH_MIN ? WIDTH_MIN : w > WIDTH_MAX ? WIDTH_MAX : (unsigned)w;
}

static unsigned terminal_width(FILE *out)
{
    struct winsize ws;
    const char *cols = getenv("COLUMNS");
    char *end;
    unsigned long n;

    if (isatty(fileno(out)) && ioctl(fileno(out), TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
        return clamp_width(ws.ws_col);
    if (cols != NULL && cols[0] != '\0') {
        n = strtoul(cols, &end, 10);
        if (*end == '\0' && n > 0)
            return clamp_width(n);
    }
    return 80;
}

/* Takes the --ascii, --unicode and --width=N words out of argv (the
** others keep their order); fills o. */
static enum rc diagram_flags(struct interp *in, size_t *argc, char **argv, vml_diagram_opts *o)
{
    size_t i, k = 0;
    int ascii = -1, width_set = 0;
    const char *nc = getenv("NO_COLOR");

    o->flags = 0;
    o->width = 0;
    for (i = 0; i < *argc; i++) {
        if (strcmp(argv[i], "--ascii") == 0) {
            ascii = 1;
        } else if (strcmp(argv[i], "--unicode") == 0) {
            ascii = 0;
        } else if (strncmp(argv[i], "--width=", 8) == 0) {
            uint64_t w;
            if (arg_count(in, argv[i] + 8, "--width", &w))
                return RC_ERROR;
            if (w < WIDTH_MIN || w > WIDTH_MAX)
                return cli_error(in, "--width=%llu: a diagram is %u to %u columns wide",
                                 (unsigned long long)w, WIDTH_MIN, WIDTH_MAX);
            o->width = (unsigned)w;
            width_set = 1;
        } else if (strncmp(argv[i], "--", 2) == 0) {
            return cli_error(in, "unknown option '%s' (--ascii, --unicode, --width=N)", argv[i]);
        } else {
            argv[k++] = argv[i];
        }
    }
    *argc = k;
    if (ascii < 0)
        ascii = !locale_utf8();
    if (ascii)
        o->flags |= VML_DIAG_ASCII;
    if (!width_set)
        o->width = terminal_width(in->out);
    if (isatty(fileno(in->out)) && (nc == NULL || nc[0] == '\0'))
        o->flags |= VML_DIAG_COLOR;
    return RC_OK;
}

/* ------------------------------------------------------------------ */
/* diagram                                                             */

/* diagram share ITEM...: an ITEM is PROCESS ADDRESS, or an ADDRESS
** alone for every process with a VAD there. */
#define SHARE_MAX 16

static int has_vad_at(vml_proc *p, vml_va va)
{
    vml_vad_info v;

    return vml_vad_next(p, va, &v) == VML_OK && (va >> VML_PAGE_SHIFT) >= v.start_vpn;
}

static enum rc share_items(struct interp *in, size_t argc, char **argv, vml_proc **procs,
                           vml_va *vas, size_t *n)
{
    size_t i = 0, k;
    uint64_t va;

    *n = 0;
    if (argc == 0)
        return cli_error(in, "diagram share needs PROCESS ADDRESS pairs, or an ADDRESS for "
                         "every process that maps it");
    while (i < argc) {
        vml_proc *p = vml_proc_find(in->m, argv[i]);
        if (p != NULL) {
            if (i + 1 == argc)
                return cli_error(in, "diagram share: process %s needs an ADDRESS after it",
                                 argv[i]);
            if (arg_num(in, argv[i + 1], "ADDRESS", &va))
                return RC_ERROR;
            if (*n == SHARE_MAX)
                return cli_error(in, "diagram share draws at most %d pages", SHARE_MAX);
            procs[*n] = p;
            vas[(*n)++] = va;
            i += 2;
            continue;
        }
        if (arg_num(in, argv[i], "ADDRESS (or a PROCESS)", &va))
            return RC_ERROR;
        size_t before = *n;
        for (k = 0; k < vml_proc_count(in->m); k++) {
            vml_proc *q = vml_proc_at(in->m, k);
            if (q == NULL || !has_vad_at(q, va))
                continue;
            if (*n == SHARE_MAX)
                return cli_error(in, "diagram share draws at most %d pages", SHARE_MAX);
            procs[*n] = q;
            vas[(*n)++] = va;
        }
        if (*n == before)
            return cli_error(in, "diagram share: no process maps 0x%llx",
                             (unsigned long long)va);
        i++;
    }
    return RC_OK;
}

static const char *const diagram_kinds = "walk PROCESS ADDRESS, space PROCESS, vad PROCESS, "
                                         "lists, share [PROCESS] ADDRESS...";

CLI_HANDLER(h_diagram)
{
    vml_diagram_opts o;
    vml_text t = {0};
    vml_proc *p = NULL;
    const char *what = argv[0];
    size_t n = argc - 1;
    char **args = argv + 1;
    uint64_t va = 0;
    vml_status st;

    if (diagram_flags(in, &n, args, &o))
        return RC_ERROR;
    if (strcmp(what, "walk") == 0 || strcmp(what, "space") == 0 || strcmp(what, "vad") == 0) {
        size_t want = what[0] == 'w' ? 2 : 1;
        if (n != want)
            return cli_error(in, "diagram %s takes %s", what,
                             want == 2 ? "PROCESS ADDRESS" : "PROCESS");
        if (arg_proc(in, args[0], &p) || (want == 2 && arg_num(in, args[1], "ADDRESS", &va)))
            return RC_ERROR;
        st = what[0] == 'w' ? vml_diagram_walk(p, va, &o, &t)
           : what[0] == 's' ? vml_diagram_space(p, &o, &t) : vml_diagram_vad(p, &o, &t);
    } else if (strcmp(what, "lists") == 0) {
        if (n != 0)
            return cli_error(in, "diagram lists takes no arguments");
        st = vml_diagram_lists(in->m, &o, &t);
    } else if (strcmp(what, "share") == 0) {
        vml_proc *procs[SHARE_MAX];
        vml_va vas[SHARE_MAX];
        size_t n_items;
        if (share_items(in, n, args, procs, vas, &n_items))
            return RC_ERROR;
        st = vml_diagram_share(procs, vas, n_items, &o, &t);
    } else {
        return cli_error(in, "no diagram '%s' (%s)", what, diagram_kinds);
    }
    return emit_view(in, st, &t, res);
}

/* ------------------------------------------------------------------ */
/* record                                                              */

void record_apply(struct interp *in)
{
    vml_rec_config cfg;
    vml_rec_info info;

    if (in->m == NULL || !in->rec_on || vml_record_info(in->m, &info) == VML_OK)
        return;
    memset(&cfg, 0, sizeof cfg);
    cfg.clock = in->rec_clock;
    cfg.every = in->rec_every;
    vml_record_start(in->m, &cfg);      /* the default set cannot fail but for memory */
}

CLI_HANDLER(h_record)
{
    vml_rec_config cfg;
    vml_rec_info info;
    uint64_t every;

    (void)res;
    if (argc == 0) {
        if (vml_record_info(in->m, &info) != VML_OK) {
            if (in->quiet == 0)
                fprintf(in->out, "not recording\n");
            return RC_OK;
        }
        if (in->quiet == 0)
            fprintf(in->out, "%s every %llu %s: %zu samples of %zu series, %s %llu\n",
                    info.active ? "recording" : "recorded",
                    (unsigned long long)info.every,
                    info.clock == VML_CLOCK_TICKS ? "ticks" : "accesses", info.n_samples,
                    info.n_series, info.clock == VML_CLOCK_TICKS ? "tick" : "access",
                    (unsigned long long)info.now);
        return RC_OK;
    }
    if (strcmp(argv[0], "off") == 0) {
        if (argc != 1)
            return cli_error(in, "record off takes nothing after it");
        in->rec_on = 0;
        if (vml_record_info(in->m, &info) == VML_OK)
            vml_record_stop(in->m);
        return RC_OK;
    }
    if (argc != 2 || (strcmp(argv[0], "accesses") != 0 && strcmp(argv[0], "ticks") != 0))
        return cli_error(in, "record takes accesses N, ticks N or off, not '%s%s%s'", argv[0],
                         argc > 1 ? " " : "", argc > 1 ? argv[1] : "");
    if (arg_count(in, argv[1], "N", &every))
        return RC_ERROR;
    if (every == 0)
        return cli_error(in, "record %s 0: the interval must be at least 1", argv[0]);
    memset(&cfg, 0, sizeof cfg);
    cfg.clock = argv[0][0] == 't' ? VML_CLOCK_TICKS : VML_CLOCK_ACCESSES;
    cfg.every = every;
    if (lib_status(in, vml_record_start(in->m, &cfg), res) != RC_OK)
        return RC_ERROR;
    in->rec_on = 1;
    in->rec_clock = cfg.clock;
    in->rec_every = every;
    return RC_OK;
}

/* ------------------------------------------------------------------ */
/* report                                                              */

/* Writes text to path (replacing it); 0, or -1 with errno. */
static int write_file(const char *path, const vml_text *t)
{
    FILE *f = fopen(path, "w");
    int ok;

    if (f == NULL)
        return -1;
    ok = t->len == 0 || fwrite(t->s, 1, t->len, f) == t->len;
    if (fclose(f) != 0 || !ok)
        return -1;
    return 0;
}

#define REPORT_MAX_PLOTS 16

/* What a report is asked for: the file, an SVG directory, CSV plots. */
struct report_req {
    const char *out, *svg;
    const char *plots[REPORT_MAX_PLOTS];
    size_t      n_plots;
};

/* Takes "--svg DIR" or "--plot CSV" at argv[*i] (the value after it):
** 1 when it was one, 0 when not, -1 (why set) when it is wrong. */
static int report_option(struct report_req *q, int argc, char **argv, int *i, const char **why)
{
    const char *a = argv[*i];
    int is_svg = strcmp(a, "--svg") == 0, is_plot = strcmp(a, "--plot") == 0;

    if (!is_svg && !is_plot)
        return 0;
    if (*i + 1 >= argc || argv[*i + 1][0] == '\0') {
        *why = is_svg ? "--svg needs a DIR after it" : "--plot needs a CSV file after it";
        return -1;
    }
    (*i)++;
    if (is_svg) {
        q->svg = argv[*i];
        return 1;
    }
    if (q->n_plots == REPORT_MAX_PLOTS) {
        *why = "at most 16 --plot files";
        return -1;
    }
    q->plots[q->n_plots++] = argv[*i];
    return 1;
}

/* The CSV plots of q, read and checked: 0, or -1 with err set. */
static int read_plots(const struct report_req *q, struct csv_plot *cp, vml_plot *pl,
                      char *err, size_t size)
{
    size_t k;

    for (k = 0; k < q->n_plots; k++) {
        if (csv_plot_read(q->plots[k], (unsigned)k + 1, &cp[k], err, size) != 0 ||
            vml_plot_check(&cp[k].plot, err, size) != VML_OK) {
            for (size_t j = 0; j <= k; j++)
                csv_plot_free(&cp[j]);   /* a plot that failed to read is empty */
            return -1;
        }
        pl[k] = cp[k].plot;
    }
    return 0;
}

static enum rc write_report_plots(struct interp *in, const char *path, const char *svg_dir,
                                  const vml_plot *plots, size_t n_plots, struct result *res);

/* The report of in->m to q->out, and its charts as SVG files in q->svg
** (created when missing) when not NULL.  Messages go through cli_error. */
static enum rc write_report(struct interp *in, const struct report_req *q, struct result *res)
{
    struct csv_plot cp[REPORT_MAX_PLOTS];
    vml_plot pl[REPORT_MAX_PLOTS];
    enum rc rc;
    char err[512];
    size_t k;

    if (read_plots(q, cp, pl, err, sizeof err) != 0)
        return cli_error(in, "%s", err);
    rc = write_report_plots(in, q->out, q->svg, pl, q->n_plots, res);
    for (k = 0; k < q->n_plots; k++)
        csv_plot_free(&cp[k]);
    return rc;
}

static enum rc write_report_plots(struct interp *in, const char *path, const char *svg_dir,
                                  const vml_plot *plots, size_t n_plots, struct result *res)
{
    vml_report_opts o;
    vml_text t = {0};
    vml_status st;
    size_t i;

    memset(&o, 0, sizeof o);
    o.plots = plots;
    o.n_plots = n_plots;
    st = vml_report_html(in->m, &o, &t);
    if (st != VML_OK || t.oom) {
        vml_text_free(&t);
        return lib_status(in, st != VML_OK ? st : VML_E_NOMEM, res);
    }
    if (write_file(path, &t) != 0) {
        vml_text_free(&t);
        return cli_error(in, "cannot write the report to '%s': %s", path, strerror(errno));
    }
    vml_text_free(&t);
    if (svg_dir == NULL)
        return RC_OK;
    if (mkdir(svg_dir, 0777) != 0 && errno != EEXIST)
        return cli_error(in, "cannot create the directory '%s': %s", svg_dir, strerror(errno));
    for (i = 0;; i++) {
        char name[128], file[4200];
        vml_text s = {0};
        st = vml_report_svg(in->m, &o, i, &s, name, sizeof name);
        if (st == VML_E_NOT_FOUND) {
            vml_text_free(&s);
            break;
        }
        if (st != VML_OK || s.oom) {
            vml_text_free(&s);
            return lib_status(in, st != VML_OK ? st : VML_E_NOMEM, res);
        }
        snprintf(file, sizeof file, "%s/%s.svg", svg_dir, name);
        if (write_file(file, &s) != 0) {
            vml_text_free(&s);
            return cli_error(in, "cannot write '%s': %s", file, strerror(errno));
        }
        vml_text_free(&s);
    }
    return RC_OK;
}

CLI_HANDLER(h_report)
{
    struct report_req q;
    int i;

    memset(&q, 0, sizeof q);
    if (in->sandbox)
        return cli_error(in, "report writes a host file: not allowed here");
    if (argv[0][0] == '\0')
        return cli_error(in, "report needs a FILE name");
    q.out = argv[0];
    for (i = 1; i < (int)argc; i++) {
        const char *why = NULL;
        int r = report_option(&q, (int)argc, argv, &i, &why);
        if (r < 0)
            return cli_error(in, "report: %s", why);
        if (r == 0)
            return cli_error(in, "report FILE [--svg DIR] [--plot CSV]..., not '%s'", argv[i]);
    }
    return write_report(in, &q, res);
}

/* ------------------------------------------------------------------ */
/* vmlab report SCRIPT -o FILE [--svg DIR] [--every N | --ticks N]     */

struct report_run {
    struct report_req q;
    struct csv_plot cp[REPORT_MAX_PLOTS];   /* read before the script runs */
    vml_plot    pl[REPORT_MAX_PLOTS];
    unsigned    clock;
    uint64_t    every;
};

static void report_before(struct interp *in, void *ctx)
{
    const struct report_run *r = ctx;

    in->rec_on = 1;
    in->rec_clock = r->clock;
    in->rec_every = r->every;
}

/* The state the script left (after a failed expect or a script error
** too: the report shows where it stopped). */
static int report_after(struct interp *in, void *ctx)
{
    const struct report_run *r = ctx;
    struct result res;

    if (in->m == NULL && need_machine(in) != RC_OK) {
        fprintf(in->errout, "vmlab report: %s\n", sb_str(&in->err));
        return EXIT_SCRIPT;
    }
    result_reset(&res);
    if (write_report_plots(in, r->q.out, r->q.svg, r->pl, r->q.n_plots, &res) != RC_OK) {
        if (res.fail == FAIL_STATUS)
            fprintf(in->errout, "vmlab report: %s: %s\n", vml_strerror(res.st), res.detail);
        else
            fprintf(in->errout, "vmlab report: %s\n", sb_str(&in->err));
        return res.fail == FAIL_STATUS && res.st == VML_E_CORRUPT ? EXIT_INTERNAL : EXIT_SCRIPT;
    }
    return 0;
}

static int report_usage(const char *why)
{
    fprintf(stderr, "vmlab report: %s\n"
                    "usage: vmlab report SCRIPT -o FILE.html [--svg DIR] [--plot CSV]... "
                    "[--every N | --ticks N]\n", why);
    return EXIT_SCRIPT;
}

int cmd_report(int argc, char **argv)
{
    struct report_run r;
    struct run_hooks hooks = { report_before, report_after, &r };
    const char *script = NULL;
    char why_plot[512];
    int k, st;

    memset(&r, 0, sizeof r);
    r.clock = VML_CLOCK_ACCESSES;
    r.every = 1;
    for (k = 2; k < argc; k++) {
        const char *a = argv[k], *why = NULL;
        int opt = report_option(&r.q, argc, argv, &k, &why);
        if (opt < 0)
            return report_usage(why);
        if (opt > 0)
            continue;
        if (strcmp(a, "-o") == 0 || strcmp(a, "--every") == 0 || strcmp(a, "--ticks") == 0) {
            char *end;
            unsigned long long v;
            if (k + 1 == argc)
                return report_usage("an option needs a value after it");
            if (a[1] == 'o') {
                r.q.out = argv[++k];
                continue;
            }
            errno = 0;
            v = strtoull(argv[++k], &end, 0);
            if (*end != '\0' || v == 0 || argv[k][0] == '-' || errno != 0)
                return report_usage("--every and --ticks take a count of at least 1");
            r.every = v;
            r.clock = a[2] == 't' ? VML_CLOCK_TICKS : VML_CLOCK_ACCESSES;
        } else if (a[0] == '-' && a[1] != '\0') {
            return report_usage("unknown option");
        } else if (script != NULL) {
            return report_usage("one SCRIPT only");
        } else {
            script = a;
        }
    }
    if (script == NULL)
        return report_usage("no SCRIPT to run");
    if (r.q.out == NULL || r.q.out[0] == '\0')
        return report_usage("no -o FILE.html to write");
    if (read_plots(&r.q, r.cp, r.pl, why_plot, sizeof why_plot) != 0) {
        fprintf(stderr, "vmlab report: %s\n", why_plot);
        return EXIT_SCRIPT;               /* before the script: nothing ran */
    }
    cli_sigint_install();
    st = script_run_file_hooked(script, stdout, stderr, &hooks);
    for (k = 0; k < (int)r.q.n_plots; k++)
        csv_plot_free(&r.cp[k]);
    if (cli_interrupted()) {
        fflush(stdout);
        cli_sigint_reraise();
    }
    return st;
}
