/*
** cmd_replay.c -- `vmlab replay`: traces through replacement policies
** alone (a sweep of traces x policies x frames), miss-ratio curves, or a
** whole simulated machine (--machine).  docs/replay.md is the manual.
**
** Long runs show progress on stderr when it is a terminal.  Ctrl-C stops
** cleanly: SIGINT is blocked while a replay runs and the progress callback
** (which the library calls on this thread) polls for it with
** sigtimedwait, so no handler and no global flag are needed; the results
** so far are printed, marked PARTIAL, and the exit status is 130.
**
** Exit status: 0 complete; 2 usage or input error (with partial results
** printed, marked); 3 internal error; 130 interrupted.
**
** INVARIANTS:
**   RC1 Every option is parsed and checked before the first trace is
**       opened: a usage error prints one message and nothing else.
**   RC2 Results that are not complete are never printed without the
**       PARTIAL mark (text) or "complete":false (JSON, CSV).
*/
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "replay.h"


struct replay_opts {
    struct rp_sweep sweep;
    vml_replay_opts lib;
    int         out;            /* OUT_* */
    int         mrc;            /* VML_MRC_* (0: no curves) */
    const char *machine;        /* --machine "KEY=VALUE ..." */
    int         quiet;
    uint64_t    timeline_every;
    const char *timeline_path;
    int         have_frames, have_policy;
    const char *policy_list;    /* -p, parsed once the mode is known */
};

/* ---- progress and Ctrl-C ---------------------------------------------------------- */

static void progress_line(struct rp_progress *pr, const vml_replay_progress *p)
{
    double rate = p->elapsed > 0 ? (double)p->accesses / p->elapsed : 0;
    int s = (int)p->elapsed;

    fprintf(stderr, "\r  %.1fM accesses  %.1f M/s  %d:%02d elapsed", (double)p->accesses / 1e6,
            rate / 1e6, s / 60, s % 60);
    if (p->work_total > 0 && p->work_done > 0 && p->work_done <= p->work_total) {
        double left = p->elapsed * (double)(p->work_total - p->work_done) / (double)p->work_done;
        fprintf(stderr, "  %3.0f%%  ETA %d:%02d", 100.0 * (double)p->work_done / (double)p->work_total,
                (int)left / 60, (int)left % 60);
    }
    fputs("   ", stderr);
    fflush(stderr);
    pr->shown = 1;
}

int rp_progress_cb(void *ctx, const vml_replay_progress *p)
{
    struct rp_progress *pr = ctx;
    struct timespec zero = { 0, 0 };
    sigset_t set;

    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    if (sigtimedwait(&set, NULL, &zero) == SIGINT)
        pr->interrupted = 1;
    if (pr->tty && !pr->interrupted)
        progress_line(pr, p);
    return pr->interrupted;
}

void rp_progress_start(struct rp_progress *pr, int quiet)
{
    sigset_t set;

    memset(pr, 0, sizeof *pr);
    pr->tty = !quiet && isatty(2);
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, &pr->old_mask);
}

void rp_progress_end(struct rp_progress *pr)
{
    struct timespec zero = { 0, 0 };
    sigset_t set;

    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    if (sigtimedwait(&set, NULL, &zero) == SIGINT)   /* Ctrl-C in the last moment */
        pr->interrupted = 1;
    pthread_sigmask(SIG_SETMASK, &pr->old_mask, NULL);
    if (pr->shown)
        fputs("\r\033[K", stderr);
}

/* ---- options ------------------------------------------------------------------------ */

static int usage_error(const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 1, 2)))
#endif
    ;
static int usage_error(const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "vmlab replay: ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nusage: vmlab replay TRACE... -p POLICIES -f FRAMES | --mrc | "
                    "--machine CONFIG [options]   (vmlab help replay)\n");
    return EXIT_SCRIPT;
}

int rp_parse_size(const char *s, uint64_t *out)
{
    char *end;
    uint64_t v, mul = 1;

    if (s == NULL || *s < '0' || *s > '9')
        return -1;
    errno = 0;
    v = strtoull(s, &end, 0);
    if (errno != 0)
        return -1;
    switch (*end) {
    case 'k': case 'K': mul = 1ull << 10; end++; break;
    case 'm': case 'M': mul = 1ull << 20; end++; break;
    case 'g': case 'G': mul = 1ull << 30; end++; break;
    case 't': case 'T': mul = 1ull << 40; end++; break;
    }
    if (*end != '\0' || (v != 0 && mul > UINT64_MAX / v))
        return -1;
    *out = v * mul;
    return 0;
}

static int policy_runs_alone(vml_policy p)
{
    vml_policy_result r;
    int ok = vml_policy_simulate(p, 1, NULL, 0, &r) == VML_OK;

    if (ok)
        vml_policy_result_free(&r);
    return ok;
}

/* "lru,fifo" or "all": 0, or the exit status after a message. */
static int parse_policies(const char *list, struct rp_sweep *s)
{
    char *copy = strdup(list), *save = NULL, *w;

    if (copy == NULL)
        return usage_error("out of memory");
    s->policies = calloc(VML_N_POLICIES * 4 + strlen(list), sizeof s->policies[0]);
    if (s->policies == NULL) {
        free(copy);
        return usage_error("out of memory");
    }
    for (w = strtok_r(copy, ",", &save); w != NULL; w = strtok_r(NULL, ",", &save)) {
        vml_policy p;
        if (strcmp(w, "all") == 0) {
            for (unsigned q = 0; q < VML_N_POLICIES; q++)
                if (policy_runs_alone((vml_policy)q))
                    s->policies[s->n_policies++] = (vml_policy)q;
            continue;
        }
        if (vml_policy_parse(w, &p) != VML_OK || !policy_runs_alone(p)) {
            fprintf(stderr, "vmlab replay: %s policy '%s'; choose from:",
                    vml_policy_parse(w, &p) == VML_OK ? "machine-only" : "unknown", w);
            for (unsigned q = 0; q < VML_N_POLICIES; q++)
                if (policy_runs_alone((vml_policy)q))
                    fprintf(stderr, " %s", vml_policy_name((vml_policy)q));
            fprintf(stderr, ", all\n");
            free(copy);
            return EXIT_SCRIPT;
        }
        s->policies[s->n_policies++] = p;
    }
    free(copy);
    return s->n_policies > 0 ? 0 : usage_error("-p: no policy in '%s'", list);
}

static int parse_frames(const char *list, struct rp_sweep *s)
{
    char *copy = strdup(list), *save = NULL, *w;

    if (copy == NULL)
        return usage_error("out of memory");
    s->frames = calloc(strlen(list) + 1, sizeof s->frames[0]);
    if (s->frames == NULL) {
        free(copy);
        return usage_error("out of memory");
    }
    for (w = strtok_r(copy, ",", &save); w != NULL; w = strtok_r(NULL, ",", &save)) {
        uint64_t v;
        if (rp_parse_size(w, &v) != 0 || v == 0 || v >= UINT32_MAX) {
            int st = usage_error("-f: '%s' is not a number of frames (1 to 4294967294)", w);
            free(copy);
            return st;
        }
        s->frames[s->n_frames++] = v;
    }
    free(copy);
    return s->n_frames > 0 ? 0 : usage_error("-f: no number in '%s'", list);
}

static int parse_shard(const char *v, struct rp_sweep *s)
{
    unsigned k, n;
    char tail;

    if (sscanf(v, "%u/%u%c", &k, &n, &tail) != 2 || n == 0 || k == 0 || k > n)
        return usage_error("--shard: expected K/N with 1 <= K <= N, got '%s'", v);
    s->shard_k = k;
    s->shard_n = n;
    return 0;
}

static int is_opt(const char *arg, const char *short_name, const char *long_name)
{
    size_t n = strlen(long_name);

    return (short_name != NULL && strcmp(arg, short_name) == 0) || strcmp(arg, long_name) == 0
        || (strncmp(arg, long_name, n) == 0 && arg[n] == '=');
}

/* The value of an option: "--x=V" or the next word. */
static const char *opt_value(int argc, char **argv, int *i)
{
    const char *eq = strchr(argv[*i], '=');

    if (strncmp(argv[*i], "--", 2) == 0 && eq != NULL)
        return eq + 1;
    return *i + 1 < argc ? argv[++*i] : NULL;
}

static unsigned online_cpus(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);

    return n > 0 ? (unsigned)n : 1;
}

static int replay_parse(int argc, char **argv, struct replay_opts *o)
{
    struct rp_sweep *s = &o->sweep;
    int st;

    vml_replay_opts_default(&o->lib);
    o->lib.jobs = online_cpus();
    s->shard_k = s->shard_n = 1;
    s->traces = calloc((size_t)argc, sizeof s->traces[0]);
    if (s->traces == NULL)
        return usage_error("out of memory");
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i], *v = NULL;
#define VALUE(what) do { if ((v = opt_value(argc, argv, &i)) == NULL) \
                             return usage_error("%s needs %s", a, what); } while (0)
        if (is_opt(a, "-p", "--policy")) {
            VALUE("a policy list (lru,fifo,... or all)");
            if (o->have_policy++)
                return usage_error("-p given twice");
            o->policy_list = v;
        } else if (is_opt(a, "-f", "--frames")) {
            VALUE("a list of frame counts (16,64,256)");
            if (o->have_frames++)
                return usage_error("-f given twice");
            if ((st = parse_frames(v, s)) != 0)
                return st;
        } else if (strcmp(a, "--mrc") == 0 || strncmp(a, "--mrc=", 6) == 0) {
            const char *w = a[5] == '=' ? a + 6 : "lru,opt";
            o->mrc = strcmp(w, "lru") == 0 ? VML_MRC_LRU : strcmp(w, "opt") == 0 ? VML_MRC_OPT
                   : strcmp(w, "lru,opt") == 0 || strcmp(w, "opt,lru") == 0 || strcmp(w, "both") == 0
                       ? VML_MRC_LRU | VML_MRC_OPT : 0;
            if (o->mrc == 0)
                return usage_error("--mrc=%s: choose lru, opt or both", w);
        } else if (is_opt(a, NULL, "--machine")) {
            VALUE("a machine configuration (\"ram=64M tlb=64x4 ...\")");
            o->machine = v;
        } else if (strcmp(a, "--json") == 0) {
            o->out = OUT_JSON;
        } else if (strcmp(a, "--csv") == 0) {
            o->out = OUT_CSV;
        } else if (strcmp(a, "--no-ifetch") == 0) {
            o->lib.flags |= VML_REPLAY_NO_IFETCH;
        } else if (strcmp(a, "--straddle") == 0) {
            o->lib.flags |= VML_REPLAY_STRADDLE;
        } else if (is_opt(a, NULL, "--format")) {
            VALUE("a trace format");
            if (vml_trace_format_parse(v, &o->lib.format) != VML_OK)
                return usage_error("--format: unknown format '%s' (auto, lackey, text, csv, vmt, "
                                   "oracle)", v);
        } else if (is_opt(a, "-j", "--jobs")) {
            uint64_t n;
            VALUE("a number of threads");
            if (rp_parse_size(v, &n) != 0 || n == 0 || n > 1024)
                return usage_error("--jobs: expected 1 to 1024, got '%s'", v);
            o->lib.jobs = (unsigned)n;
        } else if (is_opt(a, NULL, "--shard")) {
            VALUE("K/N");
            if ((st = parse_shard(v, s)) != 0)
                return st;
        } else if (is_opt(a, NULL, "--timeline")) {
            VALUE("N (record the counters every N accesses)");
            if (rp_parse_size(v, &o->timeline_every) != 0 || o->timeline_every == 0)
                return usage_error("--timeline: expected a number of accesses, got '%s'", v);
        } else if (is_opt(a, NULL, "--timeline-out")) {
            VALUE("a CSV file name");
            o->timeline_path = v;
        } else if (is_opt(a, NULL, "--future-memory")) {
            VALUE("a size (1G)");
            if (rp_parse_size(v, &o->lib.future_memory) != 0 || o->lib.future_memory == 0)
                return usage_error("--future-memory: expected a size like 512M, got '%s'", v);
        } else if (is_opt(a, NULL, "--tmpdir")) {
            VALUE("a directory");
            o->lib.tmp_dir = v;
        } else if (strcmp(a, "-q") == 0 || strcmp(a, "--quiet") == 0) {
            o->quiet = 1;
        } else if (a[0] == '-' && a[1] != '\0') {
            return usage_error("unknown option '%s'", a);
        } else {
            s->traces[s->n_traces] = strdup(a);
            if (s->traces[s->n_traces++] == NULL)
                return usage_error("out of memory");
        }
#undef VALUE
    }
    s->flags = o->lib.flags & (VML_REPLAY_NO_IFETCH | VML_REPLAY_STRADDLE);
    if (s->n_traces == 0)
        return usage_error("no trace (a file, or - for standard input)");
    if (o->machine != NULL && (o->mrc || o->have_frames))
        return usage_error("--machine replays through a machine: its ram= sets the memory "
                           "(no -f, no --mrc)");
    if (o->machine == NULL && (o->timeline_every || o->timeline_path))
        return usage_error("--timeline records a machine's counters: it needs --machine");
    if ((o->timeline_every != 0) != (o->timeline_path != NULL))
        return usage_error("--timeline N and --timeline-out FILE go together");
    if (o->mrc && (o->have_policy || o->have_frames || s->n_traces != 1 || s->shard_n > 1))
        return usage_error("--mrc computes the curves of one trace for every size: no -p, -f "
                           "or --shard");
    if (o->machine == NULL && !o->mrc && !o->have_frames)
        return usage_error("no frame counts: -f FRAMES is missing (or --mrc, or --machine)");
    if (o->machine != NULL)
        return replay_machine_policies(o->policy_list, s);
    if (!o->mrc && (st = parse_policies(o->have_policy ? o->policy_list : "all", s)) != 0)
        return st;
    for (size_t i = 0; i < s->n_traces; i++)
        if (strcmp(s->traces[i], "-") == 0 && s->n_traces > 1)
            return usage_error("standard input (-) must be the only trace");
    return 0;
}

/* ---- running ---------------------------------------------------------------------------- */

static int run_sweep(struct replay_opts *o)
{
    struct rp_sweep *s = &o->sweep;
    struct rp_progress pr;
    const char **names;
    vml_status st;
    int rc;

    if (rp_plan(s) != 0)
        return usage_error("out of memory");
    names = calloc(s->n_traces, sizeof names[0]);
    if (names == NULL)
        return usage_error("out of memory");
    for (size_t i = 0; i < s->n_traces; i++)
        names[i] = s->sum_used[i] ? s->traces[i] : NULL;
    rp_progress_start(&pr, o->quiet);
    o->lib.progress = rp_progress_cb;
    o->lib.progress_ctx = &pr;
    st = vml_replay_sweep(names, s->n_traces, s->cell, s->n_cells, &o->lib, s->sum);
    rp_progress_end(&pr);
    free(names);
    s->interrupted = pr.interrupted;
    if (st == VML_E_INVALID || st == VML_E_NOMEM) {
        fprintf(stderr, "vmlab replay: %s\n", vml_strerror(st));
        return st == VML_E_INVALID ? EXIT_SCRIPT : EXIT_INTERNAL;
    }
    for (size_t i = 0; i < s->n_traces; i++)
        if (s->sum_used[i] && s->sum[i].status != VML_OK)
            fprintf(stderr, "vmlab replay: %s\n", s->sum[i].error);
    if (o->out == OUT_JSON)
        rp_print_json(stdout, s);
    else if (o->out == OUT_CSV)
        rp_print_csv(stdout, s);
    else
        rp_print_text(stdout, s);
    rc = rp_complete(s) ? 0 : s->interrupted ? EXIT_INTERRUPTED
                                             : st == VML_E_CORRUPT ? EXIT_INTERNAL : EXIT_SCRIPT;
    if (rc == EXIT_INTERRUPTED)
        fprintf(stderr, "vmlab replay: interrupted; the results above are partial\n");
    return rc;
}

static int run_mrc(struct replay_opts *o)
{
    struct rp_progress pr;
    vml_replay_summary sum;
    vml_mrc m;
    vml_status st;
    int rc;

    rp_progress_start(&pr, o->quiet);
    o->lib.progress = rp_progress_cb;
    o->lib.progress_ctx = &pr;
    st = vml_replay_mrc(o->sweep.traces[0], (unsigned)o->mrc, &o->lib, &m, &sum);
    rp_progress_end(&pr);
    if (st == VML_E_INVALID || (st == VML_E_NOMEM && !m.done && sum.status == VML_OK)) {
        fprintf(stderr, "vmlab replay: %s\n", vml_strerror(st));
        vml_mrc_free(&m);
        return EXIT_INTERNAL;
    }
    if (sum.status != VML_OK)
        fprintf(stderr, "vmlab replay: %s\n", sum.error);
    if (o->out == OUT_JSON)
        mrc_print_json(stdout, o->sweep.traces[0], &m, &sum);
    else if (o->out == OUT_CSV)
        mrc_print_csv(stdout, &m);
    else
        mrc_print_text(stdout, o->sweep.traces[0], &m, &sum);
    rc = m.done ? 0 : pr.interrupted ? EXIT_INTERRUPTED : EXIT_SCRIPT;
    if (rc != 0 && o->out == OUT_CSV)
        fprintf(stderr, "vmlab replay: the curve is PARTIAL (%s)\n",
                pr.interrupted ? "interrupted" : "the trace failed");
    vml_mrc_free(&m);
    return rc;
}

void help_replay(FILE *f)
{
    fprintf(f,
        "usage: vmlab replay TRACE... [-p POLICIES] -f FRAMES [options]\n"
        "       vmlab replay TRACE --mrc[=lru|opt|both] [options]\n"
        "       vmlab replay TRACE... --machine \"KEY=VALUE ...\" [-p POLICIES] [options]\n"
        "\n"
        "Replays memory traces, streamed (never loaded whole) from files, pipes or\n"
        "standard input (-), compressed or not (zstd, xz, gzip).  The format is\n"
        "detected from the content: Valgrind lackey output, text (R|W ADDRESS [PID]),\n"
        "CSV, vmlab's compact vmt, libCacheSim's oracleGeneral.\n"
        "\n"
        "Policy-only replay (the default): every policy alone with every number of\n"
        "frames on every trace; prints faults (cold misses included), hits,\n"
        "evictions, write-backs (dirty evictions) and the fault ratio.  -p takes a\n"
        "comma list of policies or all (the default):");
    for (unsigned q = 0; q < VML_N_POLICIES; q++)
        if (policy_runs_alone((vml_policy)q))
            fprintf(f, " %s", vml_policy_name((vml_policy)q));
    fprintf(f,
        ".\n"
        "\n"
        "--mrc: the fault count of LRU and of OPT for every number of frames from 1\n"
        "to the trace's footprint, in one pass each (stack distances).\n"
        "\n"
        "--machine: every access through a simulated machine (the keys of the\n"
        "machine command: vmlab help machine); a process per trace PID; memory is\n"
        "committed on the first touch of each page.  Prints TLB, walk, fault,\n"
        "pagefile, working-set and commit counters.  -p runs one machine per policy.\n"
        "\n"
        "options:\n"
        "  -p, --policy LIST     policies (lru,fifo,clock,clock0,opt,... or all)\n"
        "  -f, --frames LIST     numbers of frames (16,64,256,4K)\n"
        "  --mrc[=lru|opt|both]  miss-ratio curves (default both)\n"
        "  --machine CONFIG      full-stack replay through a machine\n"
        "  --no-ifetch           drop instruction fetches (lackey I lines; by default\n"
        "                        they are reads)\n"
        "  --straddle            an access that crosses a page boundary references\n"
        "                        both pages (default: the page of its first byte)\n"
        "  --format FMT          read the traces as FMT instead of detecting it\n"
        "  -j, --jobs N          worker threads (default: the online CPUs)\n"
        "  --shard K/N           run only the K-th of N parts of the sweep (merge the\n"
        "                        JSON outputs with vmlab merge)\n"
        "  --json, --csv         results as JSON or CSV\n"
        "  --timeline N --timeline-out FILE\n"
        "                        (--machine) the counters every N accesses, as CSV\n"
        "  --future-memory SIZE  memory for OPT's next-use data before it spills to a\n"
        "                        temporary file (default 1G)\n"
        "  --tmpdir DIR          where that file goes (default $TMPDIR or /tmp)\n"
        "  -q, --quiet           no progress line\n"
        "\n"
        "Progress goes to stderr when it is a terminal.  Ctrl-C stops and prints\n"
        "the results so far, marked PARTIAL (exit status 130).  A bad trace stops\n"
        "with an error naming the file, the line or byte offset and the problem\n"
        "(exit status 2, results so far marked PARTIAL).\n"
        "\n"
        "examples:\n"
        "  vmlab record -o ls.vmt.zst -- ls -l /usr/bin\n"
        "  vmlab replay ls.vmt.zst -p lru,clock,opt -f 16,64,256\n"
        "  vmlab replay ls.vmt.zst --mrc --csv > mrc.csv\n"
        "  vmlab replay ls.vmt.zst --machine \"ram=16M tlb=64x4 pagefile=64M\"\n"
        "See docs/replay.md for the formats, the definitions and cluster runs.\n");
}

int cmd_replay(int argc, char **argv)
{
    struct replay_opts o;
    int rc;

    for (int i = 2; i < argc; i++)
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            help_replay(stdout);
            return 0;
        }
    memset(&o, 0, sizeof o);
    rc = replay_parse(argc, argv, &o);
    if (rc == 0) {
        if (o.machine != NULL)
            rc = replay_machine(&o.sweep, o.machine, &o.lib, o.out, o.quiet, o.timeline_every,
                                o.timeline_path);
        else if (o.mrc)
            rc = run_mrc(&o);
        else
            rc = run_sweep(&o);
    }
    rp_free(&o.sweep);
    return rc;
}
