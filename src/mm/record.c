/*
** record.c -- the recorder: counters sampled at a fixed interval of a clock
** (memory accesses through the MMU, or background passes of vml_tick),
** for the timelines of the report and replay's counters over time.
**
** The access path calls rec_due() after the access that brings the clock
** to m->rec_next (access.c keeps that test to one compare per access on
** the batch path); vml_tick calls it after the pass that brings the tick
** count to m->rec_next_tick.  A sample reads each series' counter through
** the same functions as vml_stat_get, so it sees what a program would.
**
** INVARIANTS (checked by rec_check()):
**   REC1  n_samples <= max_samples, and every series holds n_samples
**         values (cap >= n_samples).
**   REC2  Sample clocks strictly increase, and each is a multiple of
**         every (thinning keeps the multiples of twice the old interval).
**   REC3  While active, the next sample point of the recorder's clock is
**         the first multiple of every above the clock's value; the other
**         clock's point (and both when stopped) is UINT64_MAX.
**   REC4  A per-process spec's series are in increasing pid order.
**
** TRANSITIONS (and the only function that performs each):
**   none -> active            vml_record_start()  (old samples dropped)
**   active -> stopped         vml_record_stop()
**   active: sample appended   rec_due()            (thinned when full)
**   any -> none               rec_free()           (the machine goes)
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "machine.h"

/* One counter to sample: a series, or a family of per-process series. */
struct rec_spec {
    vml_scope scope;
    unsigned  id;            /* pid, cpu, VML_REC_EACH_PROC */
    size_t    stat;          /* index in its scope's list */
    size_t   *series;        /* EACH_PROC: its series, in pid order (REC4) */
    size_t    n_series, cap_series;
};

struct rec_series {
    size_t    spec;
    unsigned  pid;           /* a process's series: its pid */
    char      process[32];
    uint64_t *values;        /* cap values */
};

struct recorder {
    int       active;
    unsigned  clock;
    uint64_t  every;
    size_t    max_samples;
    uint64_t  missed;
    size_t    n_samples, cap;
    uint64_t *times;
    struct rec_spec *specs;
    size_t    n_specs;
    struct rec_series *series;
    size_t    n_series, cap_series;
};

/* The default set: what the report's timelines draw. */
static const struct { vml_scope scope; unsigned id; const char *counter; } default_specs[] = {
    { VML_SCOPE_SYSTEM, 0, "zeroed_pages" },   { VML_SCOPE_SYSTEM, 0, "free_pages" },
    { VML_SCOPE_SYSTEM, 0, "standby_pages" },  { VML_SCOPE_SYSTEM, 0, "modified_pages" },
    { VML_SCOPE_SYSTEM, 0, "active_pages" },   { VML_SCOPE_SYSTEM, 0, "commit_charge" },
    { VML_SCOPE_SYSTEM, 0, "pagefile_used_pages" },
    { VML_SCOPE_SYSTEM, 0, "demand_zero_faults" }, { VML_SCOPE_SYSTEM, 0, "transition_faults" },
    { VML_SCOPE_SYSTEM, 0, "hard_faults" },    { VML_SCOPE_SYSTEM, 0, "cow_faults" },
    { VML_SCOPE_PROC, VML_REC_EACH_PROC, "working_set" },
};

static uint64_t clock_now(const vml_machine *m, unsigned clock)
{
    return clock == VML_CLOCK_TICKS ? m->n_ticks : m->n_accesses;
}

/* REC3: the next multiple of every above now. */
static void rec_arm(vml_machine *m)
{
    struct recorder *r = m->rec;
    m->rec_next = m->rec_next_tick = UINT64_MAX;
    if (r == NULL || !r->active)
        return;
    uint64_t now = clock_now(m, r->clock);
    uint64_t next = (now / r->every + 1) * r->every;
    if (next <= now)                  /* the clock cannot reach it */
        next = UINT64_MAX;
    if (r->clock == VML_CLOCK_TICKS)
        m->rec_next_tick = next;
    else
        m->rec_next = next;
}

static void rec_clear(struct recorder *r)
{
    for (size_t i = 0; i < r->n_series; i++)
        free(r->series[i].values);
    for (size_t i = 0; i < r->n_specs; i++)
        free(r->specs[i].series);
    free(r->series);
    free(r->specs);
    free(r->times);
    memset(r, 0, sizeof *r);
}

void rec_free(vml_machine *m)
{
    if (m->rec == NULL)
        return;
    rec_clear(m->rec);
    free(m->rec);
    m->rec = NULL;
}

static size_t stat_index(vml_scope scope, const char *name)
{
    size_t n = vml_stat_count(scope);
    for (size_t i = 0; i < n; i++)
        if (strcmp(vml_stat_name(scope, i, NULL), name) == 0)
            return i;
    return SIZE_MAX;
}

/* A new series of spec s (pid for a process's one); SIZE_MAX when the
** host has no memory.  Values before now are 0 (the process did not
** exist). */
static size_t series_add(vml_machine *m, struct recorder *r, size_t s, unsigned pid,
                         const char *process)
{
    if (r->n_series == r->cap_series) {
        size_t cap = r->cap_series ? 2 * r->cap_series : 16;
        struct rec_series *ns = mm_realloc(m, r->series, cap * sizeof *ns);
        if (ns == NULL)
            return SIZE_MAX;
        r->series = ns;
        r->cap_series = cap;
    }
    uint64_t *values = mm_calloc(m, r->cap ? r->cap : 1, sizeof *values);
    if (values == NULL)
        return SIZE_MAX;
    struct rec_series *se = &r->series[r->n_series];
    memset(se, 0, sizeof *se);
    se->spec = s;
    se->pid = pid;
    se->values = values;
    snprintf(se->process, sizeof se->process, "%s", process);
    return r->n_series++;
}

static vml_status spec_add(vml_machine *m, struct recorder *r, vml_scope scope, unsigned id,
                           const char *counter)
{
    size_t stat;
    if (counter == NULL)
        return mm_fail(m, VML_E_INVALID, "a recorded series names no counter");
    if (scope != VML_SCOPE_SYSTEM && scope != VML_SCOPE_PROC && scope != VML_SCOPE_CPU)
        return mm_fail(m, VML_E_INVALID, "bad scope %d for counter '%s'", (int)scope, counter);
    stat = stat_index(scope, counter);
    if (stat == SIZE_MAX)
        return mm_fail(m, VML_E_NOT_FOUND, "no %s counter '%s' to record",
                       scope == VML_SCOPE_SYSTEM ? "system" : scope == VML_SCOPE_PROC ? "process"
                                                                                     : "cpu",
                       counter);
    if (scope == VML_SCOPE_PROC && id != VML_REC_EACH_PROC && mm_proc(m, id) == NULL)
        return mm_fail(m, VML_E_NOT_FOUND, "no process with pid %u to record '%s' of", id,
                       counter);
    if (scope == VML_SCOPE_CPU && id >= m->n_cpus)
        return mm_fail(m, VML_E_NOT_FOUND, "no cpu %u to record '%s' of (the machine has %u)",
                       id, counter, m->n_cpus);
    struct rec_spec *sp = &r->specs[r->n_specs];
    memset(sp, 0, sizeof *sp);
    sp->scope = scope;
    sp->id = scope == VML_SCOPE_SYSTEM ? 0 : id;
    sp->stat = stat;
    r->n_specs++;
    if (scope == VML_SCOPE_PROC && id == VML_REC_EACH_PROC)
        return VML_OK;                /* its series come with the processes */
    vml_proc *p = scope == VML_SCOPE_PROC ? mm_proc(m, id) : NULL;
    if (series_add(m, r, r->n_specs - 1, p ? p->pid : 0, p ? p->name : "") == SIZE_MAX)
        return VML_E_NOMEM;
    return VML_OK;
}

vml_status vml_record_start(vml_machine *m, const vml_rec_config *cfg)
{
    if (m == NULL || cfg == NULL)
        return VML_E_INVALID;
    if (mm_is_corrupt(m))
        return VML_E_CORRUPT;
    if (cfg->clock != VML_CLOCK_ACCESSES && cfg->clock != VML_CLOCK_TICKS)
        return mm_fail(m, VML_E_INVALID, "recorder clock %u is not accesses (0) or ticks (1)",
                       cfg->clock);
    if (cfg->every == 0)
        return mm_fail(m, VML_E_INVALID, "the recorder's interval must be at least 1");
    if (cfg->max_samples == 1 || (cfg->specs == NULL && cfg->n_specs != 0))
        return mm_fail(m, VML_E_INVALID, "max_samples must be 0 or at least 2, and specs "
                       "given when n_specs is");
    size_t n_specs = cfg->specs ? cfg->n_specs : sizeof default_specs / sizeof default_specs[0];
    if (n_specs == 0 || n_specs > 256)
        return mm_fail(m, VML_E_INVALID, "a recording has 1 to 256 counters, not %zu", n_specs);
    /* Build the new recorder aside: on failure the old one stays. */
    struct recorder *r = mm_calloc(m, 1, sizeof *r);
    if (r == NULL)
        return VML_E_NOMEM;
    r->clock = cfg->clock;
    r->every = cfg->every;
    r->max_samples = cfg->max_samples ? cfg->max_samples : VML_REC_MAX_SAMPLES;
    r->specs = mm_calloc(m, n_specs, sizeof *r->specs);
    vml_status st = r->specs ? VML_OK : VML_E_NOMEM;
    for (size_t i = 0; st == VML_OK && i < n_specs; i++) {
        if (cfg->specs)
            st = spec_add(m, r, cfg->specs[i].scope, cfg->specs[i].id, cfg->specs[i].counter);
        else
            st = spec_add(m, r, default_specs[i].scope, default_specs[i].id,
                          default_specs[i].counter);
    }
    if (st != VML_OK) {
        rec_clear(r);
        free(r);
        return st;
    }
    r->active = 1;
    rec_free(m);
    m->rec = r;
    rec_arm(m);
    return mm_done(m, VML_OK);
}

vml_status vml_record_stop(vml_machine *m)
{
    if (m == NULL)
        return VML_E_INVALID;
    if (m->rec == NULL)
        return mm_fail(m, VML_E_NOT_FOUND, "the machine is not recording");
    m->rec->active = 0;
    rec_arm(m);
    return VML_OK;
}

/* REC2: keeps the samples whose clock is a multiple of twice the interval,
** and doubles it. */
static void rec_thin(struct recorder *r)
{
    uint64_t every2 = r->every * 2;
    size_t k = 0;
    if (every2 < r->every)            /* cannot double: drop the older half */
        every2 = r->every;
    for (size_t i = 0; i < r->n_samples; i++) {
        if (r->times[i] % every2 != 0)
            continue;
        r->times[k] = r->times[i];
        for (size_t s = 0; s < r->n_series; s++)
            r->series[s].values[k] = r->series[s].values[i];
        k++;
    }
    r->n_samples = k;
    r->every = every2;
}

/* Room for one more sample in every series. */
static int rec_grow(vml_machine *m, struct recorder *r)
{
    if (r->n_samples < r->cap)
        return 0;
    size_t cap = r->cap ? 2 * r->cap : 64;
    if (cap > r->max_samples)
        cap = r->max_samples;
    uint64_t *t = mm_realloc(m, r->times, cap * sizeof *t);
    if (t == NULL)
        return -1;
    r->times = t;
    for (size_t s = 0; s < r->n_series; s++) {
        uint64_t *v = mm_realloc(m, r->series[s].values, cap * sizeof *v);
        if (v == NULL)
            return -1;          /* the grown ones keep their larger block */
        r->series[s].values = v;
    }
    r->cap = cap;
    return 0;
}

/* The series of a per-process spec for each live process, added for new
** pids (both lists are in pid order: a merge).  -1: out of host memory. */
static int rec_track_procs(vml_machine *m, struct recorder *r, size_t s)
{
    struct rec_spec *sp = &r->specs[s];
    size_t k = 0;
    for (size_t i = 0; i < m->n_procs; i++) {
        vml_proc *p = m->procs[i];
        while (k < sp->n_series && r->series[sp->series[k]].pid < p->pid)
            k++;
        if (k < sp->n_series && r->series[sp->series[k]].pid == p->pid)
            continue;
        /* pids only grow: a new one is past every series of the spec */
        if (sp->n_series == sp->cap_series) {
            size_t cap = sp->cap_series ? 2 * sp->cap_series : 8;
            size_t *ns = mm_realloc(m, sp->series, cap * sizeof *ns);
            if (ns == NULL)
                return -1;
            sp->series = ns;
            sp->cap_series = cap;
        }
        size_t id = series_add(m, r, s, p->pid, p->name);
        if (id == SIZE_MAX)
            return -1;
        sp->series[sp->n_series++] = id;
        k = sp->n_series;
    }
    return 0;
}

static uint64_t series_value(vml_machine *m, const struct recorder *r, const struct rec_series *se)
{
    const struct rec_spec *sp = &r->specs[se->spec];
    switch (sp->scope) {
    case VML_SCOPE_SYSTEM:
        return vml_stat_sys(m, (vml_sys_stat)sp->stat);
    case VML_SCOPE_PROC: {
        vml_proc *p = mm_proc(m, se->pid);
        return p ? vml_stat_proc(p, (vml_proc_stat)sp->stat) : 0;
    }
    case VML_SCOPE_CPU:
        return vml_stat_cpu(m, sp->id, (vml_cpu_stat)sp->stat);
    }
    return 0;
}

void rec_due(vml_machine *m)
{
    struct recorder *r = m->rec;
    if (r == NULL || !r->active) {
        rec_arm(m);
        return;
    }
    uint64_t now = clock_now(m, r->clock);
    if (r->n_samples == r->max_samples)
        rec_thin(r);
    if (now % r->every == 0) {         /* after thinning, maybe not a point any more */
        int oom = 0;
        for (size_t s = 0; s < r->n_specs && !oom; s++)
            if (r->specs[s].scope == VML_SCOPE_PROC && r->specs[s].id == VML_REC_EACH_PROC)
                oom = rec_track_procs(m, r, s) != 0;
        if (oom || rec_grow(m, r) != 0) {
            r->missed++;
        } else {
            size_t i = r->n_samples++;
            r->times[i] = now;
            for (size_t s = 0; s < r->n_series; s++)
                r->series[s].values[i] = series_value(m, r, &r->series[s]);
        }
    }
    rec_arm(m);
}

void rec_tick(vml_machine *m)
{
    m->n_ticks++;
    if (m->n_ticks >= m->rec_next_tick)
        rec_due(m);
}

vml_status vml_record_info(const vml_machine *m, vml_rec_info *out)
{
    if (m == NULL || out == NULL)
        return VML_E_INVALID;
    const struct recorder *r = m->rec;
    if (r == NULL)
        return VML_E_NOT_FOUND;
    *out = (vml_rec_info){
        .active = r->active, .clock = r->clock, .every = r->every,
        .now = clock_now(m, r->clock), .n_samples = r->n_samples, .n_series = r->n_series,
        .missed = r->missed,
    };
    return VML_OK;
}

const uint64_t *vml_record_times(const vml_machine *m)
{
    return m && m->rec ? m->rec->times : NULL;
}

vml_status vml_record_series(const vml_machine *m, size_t i, vml_rec_series *out)
{
    if (m == NULL || out == NULL)
        return VML_E_INVALID;
    const struct recorder *r = m->rec;
    if (r == NULL || i >= r->n_series)
        return VML_E_NOT_FOUND;
    const struct rec_series *se = &r->series[i];
    const struct rec_spec *sp = &r->specs[se->spec];
    *out = (vml_rec_series){
        .scope = sp->scope, .id = sp->scope == VML_SCOPE_PROC ? se->pid : sp->id,
        .counter = vml_stat_name(sp->scope, sp->stat, NULL), .process = se->process,
        .values = se->values,
    };
    return VML_OK;
}

int rec_check(const vml_machine *m, char *msg, size_t size)
{
    const struct recorder *r = m->rec;
    if (r == NULL)
        return (m->rec_next != UINT64_MAX || m->rec_next_tick != UINT64_MAX) &&
               snprintf(msg, size, "REC3: no recording, but a sample point is armed") >= 0;
    if (r->n_samples > r->max_samples || r->n_samples > r->cap)
        return snprintf(msg, size, "REC1: %zu samples, at most %zu (room for %zu)",
                        r->n_samples, r->max_samples, r->cap) >= 0;
    for (size_t i = 0; i < r->n_samples; i++)
        if ((i > 0 && r->times[i] <= r->times[i - 1]) || r->times[i] % r->every != 0)
            return snprintf(msg, size, "REC2: sample %zu at clock %llu (interval %llu)", i,
                            (unsigned long long)r->times[i], (unsigned long long)r->every) >= 0;
    uint64_t now = clock_now(m, r->clock);
    uint64_t want = r->active ? (now / r->every + 1) * r->every : UINT64_MAX;
    if (want <= now)
        want = UINT64_MAX;
    uint64_t have = r->clock == VML_CLOCK_TICKS ? m->rec_next_tick : m->rec_next;
    uint64_t other = r->clock == VML_CLOCK_TICKS ? m->rec_next : m->rec_next_tick;
    if (have != want || other != UINT64_MAX)
        return snprintf(msg, size, "REC3: next sample at %llu, expected %llu (clock %llu)",
                        (unsigned long long)have, (unsigned long long)want,
                        (unsigned long long)now) >= 0;
    for (size_t s = 0; s < r->n_specs; s++)
        for (size_t k = 1; k < r->specs[s].n_series; k++)
            if (r->series[r->specs[s].series[k]].pid <= r->series[r->specs[s].series[k - 1]].pid)
                return snprintf(msg, size, "REC4: series of counter %zu out of pid order", s) >= 0;
    return 0;
}
