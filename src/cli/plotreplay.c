/*
** plotreplay.c -- replay's own CSV outputs as a plot's CSV (plotcsv.c), so
** `vmlab report ... --plot FILE` draws what `vmlab replay --csv` wrote:
**
**   vmlab replay T --mrc --csv    frames,lru_faults,lru_ratio,opt_faults,...
**                                 -> frames,lru,opt: the ratio columns
**   vmlab replay T -p ... --csv   trace,policy,frames,...,fault_ratio,...
**                                 -> frames,POLICY...: a series per policy
**                                    (per policy and trace for several
**                                    traces), a row per number of frames
**   vmlab replay T --machine C --timeline N --timeline-out F
**                                 trace,policy,accesses,COUNTER...
**                                 -> accesses,COUNTER...: the counters over
**                                    time of the first (trace, policy) run
**
** Anything else is left to plotcsv.c as it is.  Replay's text is not
** trusted: a row this file cannot place is left out here and the plot's
** own checks (CLI13) judge what remains.
**
** INVARIANTS:
**   CLI14  A sweep's table has a cell for every (frames, series) pair seen,
**       empty where the sweep had no such run; rows go by increasing frames.
*/
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define RP_MAX_FIELDS 64
#define RP_MAX_SERIES 32

static int field_is(const char *b, const char *e, const char *word)
{
    return (size_t)(e - b) == strlen(word) && memcmp(b, word, (size_t)(e - b)) == 0;
}

/* --mrc --csv: keep x and the NAME_ratio columns, named NAME. */
static void from_mrc(const char *s, const char *end, const char **fb, const char **fe, size_t n,
                     vml_text *out)
{
    int keep[RP_MAX_FIELDS] = {0};
    const char *b, *e;
    vml_text_printf(out, "# y: fault ratio (faults / references)\n%.*s", (int)(fe[0] - fb[0]),
                    fb[0]);
    for (size_t k = 1; k < n; k++) {
        size_t len = (size_t)(fe[k] - fb[k]);
        if (len > 6 && memcmp(fe[k] - 6, "_ratio", 6) == 0) {
            keep[k] = 1;
            vml_text_printf(out, ",%.*s", (int)(len - 6), fb[k]);
        }
    }
    vml_text_printf(out, "\n");
    while (csv_next_line(&s, end, &b, &e)) {
        const char *rb[RP_MAX_FIELDS], *re[RP_MAX_FIELDS];
        size_t m = csv_split(b, e, rb, re, RP_MAX_FIELDS);
        if (b == e || *b == '#')
            continue;
        vml_text_printf(out, "%.*s", (int)(re[0] - rb[0]), rb[0]);
        for (size_t k = 1; k < n; k++)
            if (keep[k])
                vml_text_printf(out, ",%.*s", k < m ? (int)(re[k] - rb[k]) : 0,
                                k < m ? rb[k] : "");
        vml_text_printf(out, "\n");
    }
}

struct cell { unsigned long long frames; size_t series; const char *b, *e; };

static int by_frames(const void *a, const void *b)
{
    const struct cell *x = a, *y = b;
    return x->frames < y->frames ? -1 : x->frames > y->frames;
}

/* The sweep's --csv: a series per policy (and trace), x the frames. */
static int from_sweep(const char *s, const char *end, size_t i_trace, size_t i_policy,
                      size_t i_frames, size_t i_ratio, vml_text *out)
{
    char names[RP_MAX_SERIES][160];
    size_t n_series = 0, n_cells = 0, cap = 0;
    struct cell *cells = NULL;
    const char *b, *e, *first_trace = NULL, *first_trace_e = NULL;
    int several_traces = 0;

    for (const char *t = s; csv_next_line(&t, end, &b, &e);) {     /* several traces? */
        const char *fb[RP_MAX_FIELDS], *fe[RP_MAX_FIELDS];
        if (csv_split(b, e, fb, fe, RP_MAX_FIELDS) <= i_trace)
            continue;
        if (first_trace == NULL) {
            first_trace = fb[i_trace];
            first_trace_e = fe[i_trace];
        } else if (fe[i_trace] - fb[i_trace] != first_trace_e - first_trace ||
                   memcmp(fb[i_trace], first_trace, (size_t)(first_trace_e - first_trace))) {
            several_traces = 1;
        }
    }
    while (csv_next_line(&s, end, &b, &e)) {
        const char *fb[RP_MAX_FIELDS], *fe[RP_MAX_FIELDS];
        size_t m = csv_split(b, e, fb, fe, RP_MAX_FIELDS), k;
        char name[160], *stop;
        if (m <= i_ratio || m <= i_frames || m <= i_policy || m <= i_trace)
            continue;
        if (several_traces) {
            const char *tb = fb[i_trace], *slash;
            while ((slash = memchr(tb, '/', (size_t)(fe[i_trace] - tb))) != NULL)
                tb = slash + 1;
            snprintf(name, sizeof name, "%.*s %.*s", (int)(fe[i_policy] - fb[i_policy]),
                     fb[i_policy], (int)(fe[i_trace] - tb), tb);
        } else {
            snprintf(name, sizeof name, "%.*s", (int)(fe[i_policy] - fb[i_policy]),
                     fb[i_policy]);
        }
        for (k = 0; k < n_series && strcmp(names[k], name) != 0; k++)
            ;
        if (k == n_series) {
            if (n_series == RP_MAX_SERIES)
                continue;                   /* (the plot holds no more) */
            snprintf(names[n_series++], sizeof names[0], "%s", name);
        }
        unsigned long long frames = strtoull(fb[i_frames], &stop, 10);
        if (stop != fe[i_frames] || stop == fb[i_frames])
            continue;
        if (n_cells == cap) {
            size_t ncap = cap ? 2 * cap : 64;
            struct cell *nc = realloc(cells, ncap * sizeof *nc);
            if (nc == NULL) {
                free(cells);
                return -1;
            }
            cells = nc;
            cap = ncap;
        }
        cells[n_cells++] = (struct cell){ frames, k, fb[i_ratio], fe[i_ratio] };
    }
    if (n_cells)
        qsort(cells, n_cells, sizeof *cells, by_frames);
    vml_text_printf(out, "# y: fault ratio (faults / references)\nframes");
    for (size_t k = 0; k < n_series; k++)
        vml_text_printf(out, ",%s", names[k]);
    vml_text_printf(out, "\n");
    for (size_t i = 0; i < n_cells;) {                           /* CLI14 */
        size_t j = i;
        vml_text_printf(out, "%llu", cells[i].frames);
        for (size_t k = 0; k < n_series; k++) {
            const struct cell *c = NULL;
            for (j = i; j < n_cells && cells[j].frames == cells[i].frames; j++)
                if (cells[j].series == k)
                    c = &cells[j];
            vml_text_printf(out, ",%.*s", c ? (int)(c->e - c->b) : 0, c ? c->b : "");
        }
        vml_text_printf(out, "\n");
        i = j;
    }
    free(cells);
    return 0;
}

/* --timeline-out: the counters of the first (trace, policy) pair over the
** accesses. */
static void from_timeline(const char *s, const char *end, const char **fb, const char **fe,
                          size_t n, vml_text *out)
{
    const char *b, *e, *run = NULL, *run_e = NULL;
    vml_text_printf(out, "# y: count\naccesses");
    for (size_t k = 3; k < n; k++)
        vml_text_printf(out, ",%.*s", (int)(fe[k] - fb[k]), fb[k]);
    vml_text_printf(out, "\n");
    while (csv_next_line(&s, end, &b, &e)) {
        const char *rb[RP_MAX_FIELDS], *re[RP_MAX_FIELDS];
        size_t m = csv_split(b, e, rb, re, RP_MAX_FIELDS);
        if (b == e || *b == '#' || m < 3)
            continue;
        if (run == NULL) {
            run = rb[0];
            run_e = re[1];
        } else if (re[1] - rb[0] != run_e - run || memcmp(rb[0], run, (size_t)(run_e - run))) {
            continue;                           /* another trace or policy */
        }
        vml_text_printf(out, "%.*s", (int)(e - rb[2]), rb[2]);
        vml_text_printf(out, "\n");
    }
}

int replay_csv_to_plot(const char *text, size_t len, vml_text *out)
{
    const char *s = text, *end = text + len, *b, *e;
    const char *fb[RP_MAX_FIELDS], *fe[RP_MAX_FIELDS];
    size_t n, i_trace = SIZE_MAX, i_policy = SIZE_MAX, i_frames = SIZE_MAX, i_ratio = SIZE_MAX;

    do {                                           /* the first line that is not a comment */
        if (!csv_next_line(&s, end, &b, &e))
            return 0;
    } while (b == e || *b == '#');
    n = csv_split(b, e, fb, fe, RP_MAX_FIELDS);
    if (n >= 3 && field_is(fb[0], fe[0], "frames") && field_is(fb[1], fe[1], "lru_faults")) {
        from_mrc(s, end, fb, fe, n, out);
        return out->oom ? -1 : 1;
    }
    if (n >= 4 && field_is(fb[0], fe[0], "trace") && field_is(fb[1], fe[1], "policy") &&
        field_is(fb[2], fe[2], "accesses")) {
        from_timeline(s, end, fb, fe, n, out);
        return out->oom ? -1 : 1;
    }
    for (size_t k = 0; k < n; k++) {
        if (field_is(fb[k], fe[k], "trace"))
            i_trace = k;
        else if (field_is(fb[k], fe[k], "policy"))
            i_policy = k;
        else if (field_is(fb[k], fe[k], "frames"))
            i_frames = k;
        else if (field_is(fb[k], fe[k], "fault_ratio"))
            i_ratio = k;
    }
    if (i_trace != 0 || i_policy == SIZE_MAX || i_frames == SIZE_MAX || i_ratio == SIZE_MAX)
        return 0;
    if (from_sweep(s, end, i_trace, i_policy, i_frames, i_ratio, out) != 0)
        return -1;
    return out->oom ? -1 : 1;
}
