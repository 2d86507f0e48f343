/*
** cmd_replay_machine.c -- `vmlab replay TRACE --machine "KEY=VALUE ..."`:
** full-stack replay.  The configuration words are the `machine` command's
** keys, parsed by the same function (machine_config_words, on a temporary
** interpreter), so the two cannot drift apart.  One fresh machine per
** trace and policy (-p; by default the configuration's own policy),
** run one after another; every access goes through vml_replay_machine
** with VML_REPLAY_AUTOCOMMIT, so any address the program used is valid.
**
** --timeline N --timeline-out FILE writes the machine's counters every N
** accesses (and at the end) as CSV, one row per sample, for the report.
**
** INVARIANTS: RC1-RC2 of cmd_replay.c.
*/
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "replay.h"

#define OWN_POLICY ((vml_policy)VML_N_POLICIES)   /* the configuration's policy= */

/* The counters printed, and written to the timeline: system scope. */
static const char *const sys_counters[] = {
    "page_faults", "demand_zero_faults", "soft_faults", "hard_faults", "access_violations",
    "pagefile_reads", "pagefile_writes", "evictions", "writebacks", "pages_trimmed",
    "active_pages", "available_pages", "commit_charge", "commit_peak",
};
static const char *const cpu_counters[] = {
    "tlb_hits", "tlb_misses", "tlb_l2_hits", "page_walks", "cr3_loads",
};
#define N_OF(a) (sizeof (a) / sizeof (a)[0])

int replay_machine_policies(const char *list, struct rp_sweep *s)
{
    char *copy, *save = NULL, *w;

    s->policies = calloc(VML_N_POLICIES + 1 + (list ? strlen(list) : 0), sizeof s->policies[0]);
    s->frames = calloc(1, sizeof s->frames[0]);
    if (s->policies == NULL || s->frames == NULL)
        return EXIT_SCRIPT;
    s->n_frames = 1;                 /* ram= sets the memory: one "size" */
    if (list == NULL) {
        s->policies[s->n_policies++] = OWN_POLICY;
        return 0;
    }
    copy = strdup(list);
    if (copy == NULL)
        return EXIT_SCRIPT;
    for (w = strtok_r(copy, ",", &save); w != NULL; w = strtok_r(NULL, ",", &save)) {
        vml_policy p;
        if (vml_policy_parse(w, &p) != VML_OK || p == VML_POLICY_OPT) {
            fprintf(stderr, "vmlab replay: a machine runs ws, fifo, lru, mru, clock or clock0, "
                            "not '%s'\n", w);
            free(copy);
            return EXIT_SCRIPT;
        }
        s->policies[s->n_policies++] = p;
    }
    free(copy);
    return s->n_policies > 0 ? 0 : EXIT_SCRIPT;
}

/* The words of the configuration string into argv-like words (free *buf). */
static size_t split_words(const char *text, char **buf, char ***words)
{
    size_t n = 0, len = strlen(text);
    char *p;

    *buf = strdup(text);
    *words = calloc(len / 2 + 2, sizeof **words);
    if (*buf == NULL || *words == NULL)
        return (size_t)-1;
    for (p = strtok(*buf, " \t\n"); p != NULL; p = strtok(NULL, " \t\n"))
        (*words)[n++] = p;
    return n;
}

/* A machine of the configuration, with policy unless OWN_POLICY. */
static int make_machine(const char *config, vml_policy policy, vml_machine **m)
{
    struct interp in;
    vml_config cfg;
    char *buf = NULL, **words = NULL, *path = NULL, why[256] = "";
    size_t n = split_words(config, &buf, &words);
    int rc = 0;

    interp_init(&in, stdout, stderr);
    in.file = "--machine";
    if (n == (size_t)-1) {
        fprintf(stderr, "vmlab replay: out of memory\n");
        rc = EXIT_INTERNAL;
    } else if (machine_config_words(&in, n, words, &cfg, &path) != RC_OK) {
        fprintf(stderr, "vmlab replay: --machine: %s\n", sb_str(&in.err));
        rc = EXIT_SCRIPT;
    } else {
        if (policy != OWN_POLICY)
            cfg.policy = policy;
        if (vml_machine_create_msg(&cfg, m, why, sizeof why) != VML_OK) {
            fprintf(stderr, "vmlab replay: cannot create the machine: %s\n", why);
            rc = EXIT_SCRIPT;
        }
    }
    free(path);
    free(buf);
    free(words);
    interp_free(&in);
    return rc;
}

static uint64_t stat_of(vml_machine *m, vml_scope scope, unsigned id, const char *name)
{
    uint64_t v = 0;

    vml_stat_get(m, scope, id, name, &v);
    return v;
}

/* ---- the timeline ------------------------------------------------------------------ */

struct timeline {
    FILE       *f;
    const char *trace;
    const char *policy;
};

static void timeline_header(FILE *f)
{
    fputs("trace,policy,accesses", f);
    for (size_t i = 0; i < N_OF(cpu_counters); i++)
        fprintf(f, ",%s", cpu_counters[i]);
    for (size_t i = 0; i < N_OF(sys_counters); i++)
        fprintf(f, ",%s", sys_counters[i]);
    fputc('\n', f);
}

static void timeline_sample(void *ctx, vml_machine *m, uint64_t accesses)
{
    struct timeline *tl = ctx;

    fprintf(tl->f, "%s,%s,%llu", tl->trace, tl->policy, (unsigned long long)accesses);
    for (size_t i = 0; i < N_OF(cpu_counters); i++)
        fprintf(tl->f, ",%llu", (unsigned long long)stat_of(m, VML_SCOPE_CPU, 0, cpu_counters[i]));
    for (size_t i = 0; i < N_OF(sys_counters); i++)
        fprintf(tl->f, ",%llu",
                (unsigned long long)stat_of(m, VML_SCOPE_SYSTEM, 0, sys_counters[i]));
    fputc('\n', tl->f);
}

/* ---- output ---------------------------------------------------------------------- */

static const char *policy_label(vml_machine *m)
{
    vml_config cfg;

    vml_machine_config(m, &cfg);
    return vml_policy_name(cfg.policy);
}

static void print_text(FILE *f, vml_machine *m, const char *trace, const vml_machine_replay *r)
{
    uint64_t hits = stat_of(m, VML_SCOPE_CPU, 0, "tlb_hits");
    uint64_t misses = stat_of(m, VML_SCOPE_CPU, 0, "tlb_misses");

    if (!r->done)
        fprintf(f, "PARTIAL: %s; the counters cover only the part of the trace that ran\n",
                r->error[0] ? r->error : "interrupted (Ctrl-C)");
    fprintf(f, "%s (policy %s): %llu accesses, %llu memory accesses, %llu exceptions, "
               "%llu pages committed on first touch, %llu process%s\n",
            trace, policy_label(m), (unsigned long long)r->accesses, (unsigned long long)r->refs,
            (unsigned long long)r->exceptions, (unsigned long long)r->pages_committed,
            (unsigned long long)r->n_procs, r->n_procs == 1 ? "" : "es");
    fprintf(f, "  TLB        %llu hits, %llu misses (%.4f%%), %llu second-level hits, "
               "%llu page walks, %llu CR3 loads\n",
            (unsigned long long)hits, (unsigned long long)misses,
            hits + misses ? 100.0 * (double)misses / (double)(hits + misses) : 0.0,
            (unsigned long long)stat_of(m, VML_SCOPE_CPU, 0, "tlb_l2_hits"),
            (unsigned long long)stat_of(m, VML_SCOPE_CPU, 0, "page_walks"),
            (unsigned long long)stat_of(m, VML_SCOPE_CPU, 0, "cr3_loads"));
    /* Each page committed on first touch was first an access violation
    ** (no VAD, or not committed), then the access was retried. */
    fprintf(f, "  faults     %llu page faults: %llu demand-zero, %llu soft, %llu hard; "
               "%llu access violations (and %llu first touches committed)\n",
            (unsigned long long)stat_of(m, VML_SCOPE_SYSTEM, 0, "page_faults"),
            (unsigned long long)stat_of(m, VML_SCOPE_SYSTEM, 0, "demand_zero_faults"),
            (unsigned long long)stat_of(m, VML_SCOPE_SYSTEM, 0, "soft_faults"),
            (unsigned long long)stat_of(m, VML_SCOPE_SYSTEM, 0, "hard_faults"),
            (unsigned long long)(stat_of(m, VML_SCOPE_SYSTEM, 0, "access_violations")
                                 - r->pages_committed),
            (unsigned long long)r->pages_committed);
    fprintf(f, "  pagefile   %llu pages read, %llu written\n",
            (unsigned long long)stat_of(m, VML_SCOPE_SYSTEM, 0, "pagefile_reads"),
            (unsigned long long)stat_of(m, VML_SCOPE_SYSTEM, 0, "pagefile_writes"));
    fprintf(f, "  policy     %llu evictions (%llu dirty: write-backs), %llu pages trimmed\n",
            (unsigned long long)stat_of(m, VML_SCOPE_SYSTEM, 0, "evictions"),
            (unsigned long long)stat_of(m, VML_SCOPE_SYSTEM, 0, "writebacks"),
            (unsigned long long)stat_of(m, VML_SCOPE_SYSTEM, 0, "pages_trimmed"));
    fprintf(f, "  commit     peak %llu pages, now %llu\n",
            (unsigned long long)stat_of(m, VML_SCOPE_SYSTEM, 0, "commit_peak"),
            (unsigned long long)stat_of(m, VML_SCOPE_SYSTEM, 0, "commit_charge"));
    for (size_t i = 0; i < vml_proc_count(m); i++) {
        vml_proc *p = vml_proc_at(m, i);
        fprintf(f, "  %-10s peak working set %llu KiB, %llu page faults\n", vml_proc_name(p),
                (unsigned long long)stat_of(m, VML_SCOPE_PROC, vml_proc_pid(p),
                                            "peak_working_set") / 1024,
                (unsigned long long)stat_of(m, VML_SCOPE_PROC, vml_proc_pid(p), "page_faults"));
    }
}

static void print_json(FILE *f, vml_machine *m, const char *trace, const vml_machine_replay *r,
                       int first)
{
    fprintf(f, "%s\n{\"trace\":\"", first ? "" : ",");
    for (const char *p = trace; *p; p++)
        fprintf(f, (unsigned char)*p < 0x20 ? "\\u%04x" : *p == '"' || *p == '\\' ? "\\%c" : "%c",
                *p);
    fprintf(f, "\",\"policy\":\"%s\",\"accesses\":%llu,\"refs\":%llu,\"exceptions\":%llu,"
               "\"pages_committed\":%llu,\"processes\":%llu,\"complete\":%s",
            policy_label(m), (unsigned long long)r->accesses, (unsigned long long)r->refs,
            (unsigned long long)r->exceptions, (unsigned long long)r->pages_committed,
            (unsigned long long)r->n_procs, r->done ? "true" : "false");
    for (size_t i = 0; i < N_OF(cpu_counters); i++)
        fprintf(f, ",\"%s\":%llu", cpu_counters[i],
                (unsigned long long)stat_of(m, VML_SCOPE_CPU, 0, cpu_counters[i]));
    for (size_t i = 0; i < N_OF(sys_counters); i++)
        fprintf(f, ",\"%s\":%llu", sys_counters[i],
                (unsigned long long)stat_of(m, VML_SCOPE_SYSTEM, 0, sys_counters[i]));
    fputs(",\"processes_peak_working_set\":[", f);
    for (size_t i = 0; i < vml_proc_count(m); i++) {
        vml_proc *p = vml_proc_at(m, i);
        fprintf(f, "%s{\"name\":\"%s\",\"peak_working_set\":%llu}", i ? "," : "",
                vml_proc_name(p),
                (unsigned long long)stat_of(m, VML_SCOPE_PROC, vml_proc_pid(p),
                                            "peak_working_set"));
    }
    fputs("]}", f);
}

/* ---- the runs -------------------------------------------------------------------------- */

static int run_one(const char *machine, vml_policy policy, const char *trace,
                   vml_replay_opts *lib, int out, int quiet, struct timeline *tl, int *first,
                   int *interrupted)
{
    struct rp_progress pr;
    vml_machine *m = NULL;
    vml_trace *t = NULL;
    vml_machine_replay r;
    vml_status st;
    char err[512];
    int rc = make_machine(machine, policy, &m);

    if (rc != 0)
        return rc;
    if (vml_trace_open(trace, lib->format, &t, err, sizeof err) != VML_OK) {
        fprintf(stderr, "vmlab replay: %s\n", err);
        vml_machine_destroy(m);
        return EXIT_SCRIPT;
    }
    if (tl->f != NULL) {
        tl->trace = trace;
        tl->policy = policy_label(m);
        lib->sample = timeline_sample;
        lib->sample_ctx = tl;
    }
    rp_progress_start(&pr, quiet);
    lib->progress = rp_progress_cb;
    lib->progress_ctx = &pr;
    lib->flags |= VML_REPLAY_AUTOCOMMIT;
    st = vml_replay_machine(m, NULL, t, lib, &r);
    rp_progress_end(&pr);
    *interrupted |= pr.interrupted;
    if (st != VML_OK)
        fprintf(stderr, "vmlab replay: %s\n", r.error);
    if (out == OUT_JSON)
        print_json(stdout, m, trace, &r, *first);
    else
        print_text(stdout, m, trace, &r);
    *first = 0;
    vml_trace_close(t);
    vml_machine_destroy(m);
    if (r.done)
        return 0;
    return pr.interrupted ? EXIT_INTERRUPTED : st == VML_E_CORRUPT ? EXIT_INTERNAL : EXIT_SCRIPT;
}

int replay_machine(struct rp_sweep *s, const char *machine, vml_replay_opts *lib, int out,
                   int quiet, uint64_t timeline_every, const char *timeline_path)
{
    struct timeline tl = { 0 };
    int rc = 0, first = 1, interrupted = 0;

    if (out == OUT_CSV) {
        fprintf(stderr, "vmlab replay: --machine prints text or --json (the counters over "
                        "time go to --timeline-out as CSV)\n");
        return EXIT_SCRIPT;
    }
    {   /* RC1: the configuration is checked before any trace is read */
        vml_machine *m = NULL;
        for (size_t i = 0; i < s->n_policies; i++) {
            if ((rc = make_machine(machine, s->policies[i], &m)) != 0)
                return rc;
            vml_machine_destroy(m);
        }
    }
    if (rp_plan(s) != 0)
        return EXIT_INTERNAL;
    if (timeline_path != NULL) {
        tl.f = fopen(timeline_path, "w");
        if (tl.f == NULL) {
            fprintf(stderr, "vmlab replay: cannot create '%s'\n", timeline_path);
            return EXIT_SCRIPT;
        }
        timeline_header(tl.f);
        lib->sample_every = timeline_every;
    }
    if (out == OUT_JSON)
        fprintf(stdout, "{\"vmlab\":\"machine-replay\",\"version\":1,\"shard\":[%u,%u],\"runs\":[",
                s->shard_k, s->shard_n);
    for (size_t j = 0; j < s->n_cells && !interrupted; j++) {
        int r = run_one(machine, s->cell[j].policy, s->traces[s->cell[j].trace], lib, out, quiet,
                        &tl, &first, &interrupted);
        if (r > rc)
            rc = r;
    }
    if (out == OUT_JSON)
        fprintf(stdout, "],\n\"complete\":%s}\n", rc == 0 ? "true" : "false");
    if (tl.f != NULL && fclose(tl.f) != 0) {
        fprintf(stderr, "vmlab replay: cannot write '%s'\n", timeline_path);
        rc = rc ? rc : EXIT_SCRIPT;
    }
    return rc;
}

/* ---- the script command: replay PROCESS TRACE [commit] ------------------------------ */

CLI_HANDLER(h_replay)
{
    vml_replay_opts o;
    vml_machine_replay r;
    struct value path = { 0 };
    vml_trace *t = NULL;
    vml_proc *p;
    vml_status st;
    char err[512];

    if (arg_proc(in, argv[0], &p) != RC_OK || arg_value(in, argv[1], &path) != RC_OK)
        return RC_ERROR;
    if (path.kind != VAL_STR || path.len == 0 || strlen(path.str) != path.len) {
        value_free(&path);
        return cli_error(in, "replay: TRACE is a file name in quotes (\"trace.vmt.zst\")");
    }
    if (argc == 3 && strcmp(argv[2], "commit") != 0) {
        value_free(&path);
        return cli_error(in, "replay: the third word is 'commit' or nothing, not '%s'", argv[2]);
    }
    if (in->sandbox) {        /* a trace is a host file (or stdin) */
        value_free(&path);
        return cli_error(in, "replay is not allowed in this run (no host files)");
    }
    vml_replay_opts_default(&o);
    if (argc == 3)
        o.flags |= VML_REPLAY_AUTOCOMMIT;
    if (vml_trace_open(path.str, VML_TRACE_AUTO, &t, err, sizeof err) != VML_OK) {
        value_free(&path);
        return cli_error(in, "replay: %s", err);
    }
    value_free(&path);
    o.cpu = in->cpu;          /* where `cpu N` put later accesses */
    st = vml_replay_machine(in->m, p, t, &o, &r);
    vml_trace_close(t);
    if (st == VML_E_CORRUPT)
        return cli_fatal(in, r.error);
    if (st != VML_OK)
        return cli_error(in, "replay: %s (after %llu accesses)", r.error,
                         (unsigned long long)r.accesses);
    value_set_num(&res->val, r.accesses);
    snprintf(res->note, sizeof res->note, "%llu exceptions, %llu pages committed",
             (unsigned long long)r.exceptions, (unsigned long long)r.pages_committed);
    return RC_OK;
}
