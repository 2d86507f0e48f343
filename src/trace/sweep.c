/*
** sweep.c -- running replays: vml_replay_sweep (policy cells over traces)
** and vml_replay_mrc (miss-ratio curves), on worker threads, with the
** progress callback and the stop request on the caller's thread.
**
** Work is cut into units: one trace and some of its cells (and/or curves).
** A unit reads its trace once, streaming: pass 1 feeds every cell that
** needs no future (and the LRU curve) batch by batch and, when a cell or
** curve needs OPT's future, stores the references; pass 2 resolves the
** next uses backward (future.c); pass 3 feeds the future's cells (and the
** OPT curve) chunk by chunk.  With jobs > 1 the cells of a trace are
** spread over several units (the ones needing the future stay together,
** so the future is built once per trace), and a thread takes the next
** unit when it finishes one.  Standard input and other non-regular files
** can be read once only: their cells form one unit.
**
** INVARIANTS:
**   SW1 A cell is done only when every reference of the trace reached it
**       (pass 1, or pass 3 for a cell that needs the future) without error
**       or stop; a trace's summary is done when pass 1 read it all.
**   SW2 progress() runs only on the caller's thread, about every 200 ms,
**       and its stop request is seen by every worker at its next batch.
*/
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "policy/policy.h"
#include "trace.h"

#define SWEEP_BATCH (1u << 16)

struct unit {
    size_t   trace;
    size_t  *cell;         /* indices into the caller's cells */
    size_t   n_cells;
    unsigned mrc;          /* VML_MRC_* curves computed by this unit */
    int      future;       /* some cell or curve needs OPT's future */
};

struct sweep {
    const char *const *traces;
    vml_replay_cell   *cells;
    vml_replay_summary *sums;
    const vml_replay_opts *o;
    struct unit *units;
    size_t   n_units;
    vml_mrc *mrc;          /* vml_replay_mrc's result */
    atomic_size_t   next_unit;
    atomic_int      stop;
    atomic_uint_fast64_t accesses, refs, work_done;
    uint64_t        work_total;
    pthread_mutex_t lock;
    pthread_cond_t  cond;
    unsigned        running;       /* workers not yet finished */
    vml_status      first_err;
};

void vml_replay_opts_default(vml_replay_opts *o)
{
    if (o == NULL)
        return;
    memset(o, 0, sizeof *o);
    o->format = VML_TRACE_AUTO;
    o->jobs = 1;
}

static double now_sec(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t file_size(const char *path, int *regular)
{
    struct stat sb;

    *regular = 0;
    if (strcmp(path, "-") == 0 || stat(path, &sb) != 0)
        return 0;
    *regular = S_ISREG(sb.st_mode);
    return *regular ? (uint64_t)sb.st_size : 0;
}

/* Copies a message, cut to size (messages are under 300 bytes). */
static void copy_msg(char *dst, size_t size, const char *src)
{
    size_t n = strlen(src);

    if (n >= size)
        n = size - 1;
    memcpy(dst, src, n);
    dst[n] = '\0';
}

/* A trace's error (the first of its units' stays) and the sweep's. */
static void unit_error(struct sweep *sw, const struct unit *u, vml_status st, const char *msg)
{
    vml_replay_summary *s = &sw->sums[u->trace];

    pthread_mutex_lock(&sw->lock);
    if (s->status == VML_OK) {
        s->status = st;
        copy_msg(s->error, sizeof s->error, msg);
    }
    if (sw->first_err == VML_OK)
        sw->first_err = st;
    pthread_mutex_unlock(&sw->lock);
}

/* The state of one running unit. */
struct run {
    struct sweep    *sw;
    const struct unit *u;
    vml_trace       *t;
    struct prefs     ps;
    struct cell_run **cell;
    struct lru_mrc  *lru;
    struct opt_mrc  *opt;
    struct future    fut;
    uint8_t         *seen;         /* id -> referenced (the footprint) */
    size_t           n_seen;
    uint64_t         size;         /* the trace file's size (work units) */
    char             err[320];
};

/* The footprint: every id handed out is a page referenced, but for the
** pages of ps.maybe[] (PR3), which count only when referenced; from the
** batch the first of them appeared in, the references are marked (a store
** each) so that the end can tell. */
static int run_seen(struct run *r, const uint32_t *refs, size_t n)
{
    if (r->ps.n_maybe == 0)
        return 0;
    if (r->ps.n_ids > r->n_seen) {
        size_t cap = r->n_seen ? r->n_seen : 4096;
        uint8_t *v;
        while (cap < r->ps.n_ids)
            cap *= 2;
        v = realloc(r->seen, cap);
        if (v == NULL)
            return -1;
        memset(v + r->n_seen, 0, cap - r->n_seen);
        r->seen = v;
        r->n_seen = cap;
    }
    for (size_t i = 0; i < n; i++)
        r->seen[PREF_ID(refs[i])] = 1;
    return 0;
}

static uint64_t run_footprint(const struct run *r)
{
    uint64_t n = r->ps.n_ids;

    for (size_t i = 0; i < r->ps.n_maybe; i++) {
        uint32_t id = r->ps.maybe[i];
        n -= id >= r->n_seen || !r->seen[id];
    }
    return n;
}

/* Pass 1: the trace, streamed.  0, or -1 with r->err (or a stop). */
static int run_pass1(struct run *r, uint32_t *buf)
{
    struct sweep *sw = r->sw;
    uint64_t bytes = 0;

    for (;;) {
        size_t n;
        vml_status st;
        uint64_t in;

        if (atomic_load(&sw->stop))
            return 1;
        st = prefs_read(&r->ps, buf, SWEEP_BATCH, &n);
        if (st != VML_OK) {
            copy_msg(r->err, sizeof r->err, vml_trace_error(r->t));
            unit_error(sw, r->u, st, r->err);
            return -1;
        }
        if (n == 0)
            return 0;
        if (run_seen(r, buf, n) != 0)
            goto oom;
        for (size_t c = 0; c < r->u->n_cells; c++)
            if (!cell_needs_future(r->cell[c])
                && cell_feed(r->cell[c], buf, NULL, n, r->ps.n_ids, r->err, sizeof r->err) != 0) {
                unit_error(sw, r->u, VML_E_CORRUPT, r->err);
                return -1;
            }
        if (r->lru != NULL && lru_mrc_feed(r->lru, buf, n, r->ps.n_ids) != 0)
            goto oom;
        if (r->u->future && fut_append(&r->fut, buf, n) != 0) {
            unit_error(sw, r->u, VML_E_IO, r->fut.err);
            return -1;
        }
        atomic_fetch_add(&sw->refs, n);
        in = src_bytes_in(&r->t->src);
        atomic_fetch_add(&sw->work_done, in - bytes);
        bytes = in;
    }
oom:
    unit_error(sw, r->u, VML_E_NOMEM, "out of memory");
    return -1;
}

/* Passes 2 and 3: OPT's future, then the cells and curve that need it. */
static int run_future(struct run *r)
{
    struct sweep *sw = r->sw;
    uint64_t done_refs = 0, credited = 0;

    if (fut_resolve(&r->fut, r->ps.n_ids) != 0) {
        unit_error(sw, r->u, VML_E_IO, r->fut.err);
        return -1;
    }
    for (size_t k = 0; k < r->fut.n_chunks; k++) {
        const uint32_t *refs;
        const uint64_t *next;
        size_t n;
        uint64_t credit;

        if (atomic_load(&sw->stop))
            return 1;
        if (fut_chunk_get(&r->fut, k, &refs, &next, &n) != 0) {
            unit_error(sw, r->u, VML_E_IO, r->fut.err);
            return -1;
        }
        for (size_t c = 0; c < r->u->n_cells; c++)
            if (cell_needs_future(r->cell[c])
                && cell_feed(r->cell[c], refs, next, n, r->ps.n_ids, r->err, sizeof r->err) != 0) {
                unit_error(sw, r->u, VML_E_CORRUPT, r->err);
                return -1;
            }
        if (r->opt != NULL && opt_mrc_feed(r->opt, refs, next, n, r->ps.n_ids) != 0) {
            unit_error(sw, r->u, VML_E_NOMEM, "out of memory");
            return -1;
        }
        done_refs += n;
        credit = r->fut.n ? r->size * done_refs / r->fut.n : 0;
        atomic_fetch_add(&sw->work_done, credit - credited);
        credited = credit;
    }
    return 0;
}

/* read: the trace was read to its end (pass 1); future_done: the cells
** that need the future saw all of it too (pass 3). */
static void run_results(struct run *r, int read, int future_done)
{
    struct sweep *sw = r->sw;
    vml_replay_summary *s = &sw->sums[r->u->trace];
    int done = read;

    for (size_t c = 0; c < r->u->n_cells; c++) {
        vml_replay_cell *cell = &sw->cells[r->u->cell[c]];
        cell_results(r->cell[c], cell);
        cell->done = cell_needs_future(r->cell[c]) ? future_done : read;
    }
    pthread_mutex_lock(&sw->lock);
    if (!s->done) {              /* several units read one trace: all agree */
        s->accesses = r->t->accesses;
        s->refs = r->ps.refs;
        s->footprint = run_footprint(r);
        s->n_pids = r->ps.pids.n;
        s->done = done;
    }
    pthread_mutex_unlock(&sw->lock);
    if (sw->mrc != NULL) {
        vml_mrc *m = sw->mrc;
        uint64_t fp;
        pthread_mutex_lock(&sw->lock);
        m->refs = r->ps.refs;
        if (r->lru != NULL && m->lru_faults == NULL && lru_mrc_faults(r->lru, &m->lru_faults, &fp) == 0)
            m->footprint = fp;
        if (r->opt != NULL && m->opt_faults == NULL && opt_mrc_faults(r->opt, &m->opt_faults, &fp) == 0)
            m->footprint = fp;
        if (r->opt != NULL && !future_done)
            s->done = 0;        /* vml_replay_mrc's done: every curve complete */
        pthread_mutex_unlock(&sw->lock);
    }
}

static void run_unit(struct sweep *sw, const struct unit *u, uint32_t *buf)
{
    struct run r;
    char err[320];
    int st = -1, read;

    memset(&r, 0, sizeof r);
    r.sw = sw;
    r.u = u;
    r.fut.fd = -1;
    {
        int regular;
        r.size = file_size(sw->traces[u->trace], &regular);
    }
    if (vml_trace_open(sw->traces[u->trace], sw->o->format, &r.t, err, sizeof err) != VML_OK) {
        unit_error(sw, u, VML_E_SYNTAX, err);
        return;
    }
    r.cell = calloc(u->n_cells ? u->n_cells : 1, sizeof r.cell[0]);
    if (r.cell == NULL || prefs_init(&r.ps, r.t, sw->o->flags) != VML_OK
        || (u->future && fut_init(&r.fut, sw->o->future_memory, sw->o->tmp_dir) != 0)
        || ((u->mrc & VML_MRC_LRU) && (r.lru = lru_mrc_create()) == NULL)
        || ((u->mrc & VML_MRC_OPT) && (r.opt = opt_mrc_create()) == NULL)) {
        unit_error(sw, u, VML_E_NOMEM, "out of memory");
        goto out;
    }
    for (size_t c = 0; c < u->n_cells; c++) {
        const vml_replay_cell *cell = &sw->cells[u->cell[c]];
        r.cell[c] = cell_create(cell->policy, cell->frames, err, sizeof err);
        if (r.cell[c] == NULL) {
            unit_error(sw, u, VML_E_INVALID, err);
            goto out;
        }
    }
    st = run_pass1(&r, buf);
    read = st == 0;
    if (st == 0 && u->future)
        st = run_future(&r);
    run_results(&r, read, st == 0);      /* SW1: partial counts say so */
out:
    for (size_t c = 0; r.cell != NULL && c < u->n_cells; c++)
        cell_destroy(r.cell[c]);
    free(r.cell);
    free(r.seen);
    lru_mrc_destroy(r.lru);
    opt_mrc_destroy(r.opt);
    fut_free(&r.fut);
    prefs_free(&r.ps);
    if (r.t != NULL) {
        atomic_fetch_add(&sw->accesses, r.t->accesses);
        vml_trace_close(r.t);
    }
}

static void *worker(void *arg)
{
    struct sweep *sw = arg;
    uint32_t *buf = malloc(SWEEP_BATCH * sizeof *buf);

    for (;;) {
        size_t u = atomic_fetch_add(&sw->next_unit, 1);
        if (u >= sw->n_units || atomic_load(&sw->stop))
            break;
        if (buf == NULL) {
            unit_error(sw, &sw->units[u], VML_E_NOMEM, "out of memory");
            continue;
        }
        run_unit(sw, &sw->units[u], buf);
    }
    free(buf);
    pthread_mutex_lock(&sw->lock);
    sw->running--;
    pthread_cond_signal(&sw->cond);
    pthread_mutex_unlock(&sw->lock);
    return NULL;
}

/* Runs the units on min(jobs, units) threads; the caller's thread reports
** progress (SW2). */
static vml_status sweep_run(struct sweep *sw)
{
    unsigned jobs = sw->o->jobs ? sw->o->jobs : 1;
    pthread_t *tid;
    unsigned started = 0;
    double t0 = now_sec();

    if (jobs > sw->n_units)
        jobs = sw->n_units ? (unsigned)sw->n_units : 1;
    tid = calloc(jobs, sizeof *tid);
    if (tid == NULL)
        return VML_E_NOMEM;
    pthread_mutex_lock(&sw->lock);
    for (unsigned j = 0; j < jobs; j++) {
        if (pthread_create(&tid[j], NULL, worker, sw) != 0)
            break;
        started++;
        sw->running++;
    }
    if (started == 0) {
        pthread_mutex_unlock(&sw->lock);
        free(tid);
        return VML_E_NOMEM;
    }
    while (sw->running > 0) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += (long)(sw->o->progress_ms ? sw->o->progress_ms : 200) % 1000 * 1000000;
        ts.tv_sec += (sw->o->progress_ms ? sw->o->progress_ms : 200) / 1000;
        if (ts.tv_nsec >= 1000000000) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000;
        }
        pthread_cond_timedwait(&sw->cond, &sw->lock, &ts);
        if (sw->running > 0 && sw->o->progress != NULL) {
            vml_replay_progress p = {
                .accesses = atomic_load(&sw->accesses), .refs = atomic_load(&sw->refs),
                .work_done = atomic_load(&sw->work_done), .work_total = sw->work_total,
                .elapsed = now_sec() - t0,
            };
            pthread_mutex_unlock(&sw->lock);
            if (sw->o->progress(sw->o->progress_ctx, &p) != 0)
                atomic_store(&sw->stop, 1);
            pthread_mutex_lock(&sw->lock);
        }
    }
    pthread_mutex_unlock(&sw->lock);
    for (unsigned j = 0; j < started; j++)
        pthread_join(tid[j], NULL);
    free(tid);
    return sw->first_err;
}

static void sweep_free(struct sweep *sw)
{
    for (size_t i = 0; i < sw->n_units; i++)
        free(sw->units[i].cell);
    free(sw->units);
    pthread_mutex_destroy(&sw->lock);
    pthread_cond_destroy(&sw->cond);
}

static int sweep_init(struct sweep *sw, const char *const *traces, vml_replay_cell *cells,
                      const vml_replay_opts *o, vml_replay_summary *sums, size_t n_units)
{
    memset(sw, 0, sizeof *sw);
    sw->traces = traces;
    sw->cells = cells;
    sw->o = o;
    sw->sums = sums;
    atomic_init(&sw->next_unit, 0);
    atomic_init(&sw->stop, 0);
    atomic_init(&sw->accesses, 0);
    atomic_init(&sw->refs, 0);
    atomic_init(&sw->work_done, 0);
    pthread_mutex_init(&sw->lock, NULL);
    pthread_cond_init(&sw->cond, NULL);
    sw->units = calloc(n_units ? n_units : 1, sizeof sw->units[0]);
    return sw->units != NULL ? 0 : -1;
}

/* Spreads the cells of trace tr over at most `jobs` units (see the head
** comment); returns the units added, or (size_t)-1 out of memory. */
static size_t plan_trace(struct sweep *sw, size_t tr, size_t n_cells, unsigned jobs, int regular)
{
    size_t mine = 0, n_future = 0, n_units, first = sw->n_units, k = 0;

    for (size_t c = 0; c < n_cells; c++)
        if (sw->cells[c].trace == tr) {
            const struct policy_ops *ops = policy_find(sw->cells[c].policy);
            mine++;
            n_future += ops != NULL && (ops->flags & POLICY_NEEDS_FUTURE);
        }
    if (mine == 0)
        return 0;
    n_units = regular ? (mine < jobs ? mine : jobs) : 1;
    if (n_units > 1 && n_future == mine)
        n_units = 1;          /* the future is built once */
    for (size_t i = 0; i < n_units; i++) {
        struct unit *u = &sw->units[first + i];
        u->trace = tr;
        u->cell = calloc(mine, sizeof u->cell[0]);
        if (u->cell == NULL)
            return (size_t)-1;
    }
    sw->n_units += n_units;
    for (size_t c = 0; c < n_cells; c++) {
        const struct policy_ops *ops;
        struct unit *u;
        if (sw->cells[c].trace != tr)
            continue;
        ops = policy_find(sw->cells[c].policy);
        if (n_units == 1)
            u = &sw->units[first];
        else if (ops != NULL && (ops->flags & POLICY_NEEDS_FUTURE))
            u = &sw->units[first];                       /* with the future */
        else
            u = &sw->units[first + (n_future ? 1 + k++ % (n_units - 1) : k++ % n_units)];
        u->future |= ops != NULL && (ops->flags & POLICY_NEEDS_FUTURE);
        u->cell[u->n_cells++] = c;
    }
    return n_units;
}

vml_status vml_replay_sweep(const char *const *traces, size_t n_traces, vml_replay_cell *cells,
                            size_t n_cells, const vml_replay_opts *o, vml_replay_summary *sums)
{
    vml_replay_opts def;
    struct sweep sw;
    unsigned jobs;
    vml_status st;

    if (traces == NULL || sums == NULL || (cells == NULL && n_cells > 0))
        return VML_E_INVALID;
    if (o == NULL) {
        vml_replay_opts_default(&def);
        o = &def;
    }
    for (size_t c = 0; c < n_cells; c++) {
        if (cells[c].trace >= n_traces || traces[cells[c].trace] == NULL
            || (unsigned)cells[c].policy >= VML_N_POLICIES || policy_find(cells[c].policy) == NULL
            || cells[c].frames == 0 || cells[c].frames >= POLICY_NO_SLOT)
            return VML_E_INVALID;
        cells[c].refs = cells[c].faults = cells[c].hits = 0;
        cells[c].evictions = cells[c].writebacks = 0;
        cells[c].done = 0;
    }
    memset(sums, 0, n_traces * sizeof sums[0]);
    jobs = o->jobs ? o->jobs : 1;
    if (sweep_init(&sw, traces, cells, o, sums, n_cells) != 0)
        return VML_E_NOMEM;
    for (size_t tr = 0; tr < n_traces; tr++) {
        int regular;
        uint64_t size;
        if (traces[tr] == NULL)          /* no cell of it in this run */
            continue;
        size = file_size(traces[tr], &regular);
        size_t before = sw.n_units, added = plan_trace(&sw, tr, n_cells, jobs, regular);
        if (added == (size_t)-1) {
            sweep_free(&sw);
            return VML_E_NOMEM;
        }
        for (size_t i = before; i < sw.n_units; i++)
            sw.work_total += size * (sw.units[i].future ? 2 : 1);
    }
    st = sweep_run(&sw);
    sweep_free(&sw);
    return st;
}

vml_status vml_replay_mrc(const char *trace, unsigned which, const vml_replay_opts *o,
                          vml_mrc *out, vml_replay_summary *sum)
{
    vml_replay_opts def;
    const char *traces[1] = { trace };
    struct sweep sw;
    int regular;
    uint64_t size;
    vml_status st;

    if (out != NULL)
        memset(out, 0, sizeof *out);
    if (trace == NULL || out == NULL || sum == NULL || which == 0
        || (which & ~(VML_MRC_LRU | VML_MRC_OPT)))
        return VML_E_INVALID;
    if (o == NULL) {
        vml_replay_opts_default(&def);
        o = &def;
    }
    memset(sum, 0, sizeof *sum);
    size = file_size(trace, &regular);
    if (sweep_init(&sw, traces, NULL, o, sum, 2) != 0)
        return VML_E_NOMEM;
    sw.mrc = out;
    if (which == (VML_MRC_LRU | VML_MRC_OPT) && o->jobs > 1 && regular) {
        sw.units[0].mrc = VML_MRC_LRU;        /* two threads, two reads */
        sw.units[1].mrc = VML_MRC_OPT;
        sw.units[1].future = 1;
        sw.n_units = 2;
    } else {
        sw.units[0].mrc = which;
        sw.units[0].future = (which & VML_MRC_OPT) != 0;
        sw.n_units = 1;
    }
    for (size_t i = 0; i < sw.n_units; i++)
        sw.work_total += size * (sw.units[i].future ? 2 : 1);
    st = sweep_run(&sw);
    sweep_free(&sw);
    out->done = sum->done;
    if (st == VML_OK && sum->done && (((which & VML_MRC_LRU) && out->lru_faults == NULL)
                                      || ((which & VML_MRC_OPT) && out->opt_faults == NULL)))
        st = VML_E_NOMEM;         /* a curve could not be allocated */
    return st;
}

void vml_mrc_free(vml_mrc *mrc)
{
    if (mrc == NULL)
        return;
    free(mrc->lru_faults);
    free(mrc->opt_faults);
    memset(mrc, 0, sizeof *mrc);
}
