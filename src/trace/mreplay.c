/*
** mreplay.c -- full-stack replay: every access of a trace through a
** simulated machine (TLB, page walk with A/D bits, fault handler, working
** sets or a global policy, page lists, modified page writer, pagefile),
** through the public API only, as any program using libvmlab would.
**
** Accesses become machine accesses as page references do (prefs.c): a
** read, write or modify (a write) of 8 bytes at the address; an
** instruction fetch is an execute access (so an NX page refuses it);
** VML_REPLAY_NO_IFETCH drops fetches; VML_REPLAY_STRADDLE also touches the
** further pages of an access that crosses pages.  Consecutive accesses of
** one process and kind go to vml_mem_batch together.
**
** Processes: with proc given, every access goes to it; else each trace PID
** gets a process "trace-pid-N" on first use, and the accesses of several
** PIDs interleave on one CPU (opts.cpu; each change of process is a CR3
** load).
**
** VML_REPLAY_AUTOCOMMIT: an access that faults because its address is not
** reserved reserves the 64 KiB allocation-granularity region around it
** (PAGE_EXECUTE_READWRITE) and commits its page; one that faults on a
** reserved page not committed commits the page; the access is then
** retried.  So memory is committed on first touch of each page, as the
** traced program's own allocator did before its trace began.  Any other
** exception (and these, without the flag) is counted and the replay goes
** on.  A commit refused by the commit limit stops the replay: the trace
** needs more RAM + pagefile than the machine has.
**
** INVARIANTS:
**   MP1 Accesses are issued in trace order; a batch is flushed before the
**       process or the kind changes, before a sample and at the end.
**   MP2 out->done is 1 only when the trace was read to its end and every
**       access was issued.
*/
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "trace.h"

#define MR_BATCH    4096
#define MR_MAX_RUN  (MR_BATCH * 18)   /* a batch of straddling accesses */
#define MR_GRANULE  0x10000ull        /* Windows' allocation granularity */

struct mr_pid {
    uint32_t  pid;
    vml_proc *proc;
};

struct mrun {
    vml_machine *m;
    vml_proc    *fixed;        /* every access to it (replay PROC TRACE) */
    const vml_replay_opts *o;
    vml_machine_replay *out;
    struct mr_pid *pids;
    size_t       n_pids, cap_pids;
    vml_proc    *cur;          /* the run being gathered: its process */
    unsigned     cur_access;   /* and kind */
    vml_va      *run;
    size_t       n_run;
    vml_status   st;
};

static vml_status mr_fail(struct mrun *r, vml_status st, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
static vml_status mr_fail(struct mrun *r, vml_status st, const char *fmt, ...)
{
    va_list ap;

    if (r->st != VML_OK)
        return r->st;
    va_start(ap, fmt);
    vsnprintf(r->out->error, sizeof r->out->error, fmt, ap);
    va_end(ap);
    r->st = st;
    return st;
}

static vml_proc *mr_proc(struct mrun *r, uint32_t pid)
{
    char name[32];
    vml_proc *p;

    if (r->fixed != NULL)
        return r->fixed;
    for (size_t i = 0; i < r->n_pids; i++)
        if (r->pids[i].pid == pid)
            return r->pids[i].proc;
    if (r->n_pids == r->cap_pids) {
        size_t cap = r->cap_pids ? 2 * r->cap_pids : 8;
        struct mr_pid *v = realloc(r->pids, cap * sizeof *v);
        if (v == NULL) {
            mr_fail(r, VML_E_NOMEM, "out of memory");
            return NULL;
        }
        r->pids = v;
        r->cap_pids = cap;
    }
    snprintf(name, sizeof name, "trace-pid-%u", pid);
    p = vml_proc_find(r->m, name);
    if (p == NULL && vml_proc_create(r->m, name, &p) != VML_OK) {
        mr_fail(r, VML_E_INVALID, "cannot create process %s: %s", name, vml_last_error(r->m));
        return NULL;
    }
    r->pids[r->n_pids].pid = pid;
    r->pids[r->n_pids].proc = p;
    r->n_pids++;
    r->out->n_procs++;
    return p;
}

/* VML_REPLAY_AUTOCOMMIT: 1 when va's page is now committed (retry), 0 when
** it cannot be (count the exception), -1 when the replay must stop. */
static int mr_commit(struct mrun *r, vml_proc *p, const vml_exception *ex)
{
    vml_va page = ex->va & ~(vml_va)(VML_PAGE_SIZE - 1), got;
    uint32_t e;

    if (ex->reason == VML_AV_NOT_RESERVED) {
        e = vml_win_VirtualAlloc(p, page & ~(MR_GRANULE - 1), MR_GRANULE, VML_MEM_RESERVE,
                                 VML_PAGE_EXECUTE_READWRITE, &got);
        if (e != 0)
            return 0;   /* the NULL region, the top of user space, another VAD */
    }
    e = vml_win_VirtualAlloc(p, page, VML_PAGE_SIZE, VML_MEM_COMMIT, VML_PAGE_EXECUTE_READWRITE,
                             &got);
    if (e == VML_ERROR_COMMITMENT_LIMIT) {
        mr_fail(r, VML_E_COMMIT, "access %llu: committing page 0x%llx exceeds the commit limit "
                "(RAM + pagefile): the trace touches more memory than the machine has; give "
                "it a larger pagefile or more RAM", (unsigned long long)r->out->accesses,
                (unsigned long long)page);
        return -1;
    }
    if (e != 0)
        return 0;
    r->out->pages_committed++;
    return 1;
}

/* Issues the gathered run (MP1). */
static vml_status mr_flush(struct mrun *r)
{
    size_t i = 0, retried = SIZE_MAX;

    while (i < r->n_run && r->st == VML_OK) {
        vml_exception ex;
        size_t done = 0;
        vml_status st = vml_mem_batch(r->cur, r->o->cpu, r->run + i, r->n_run - i, r->cur_access, NULL,
                                      &done, &ex);
        r->out->refs += done;
        i += done;
        if (st == VML_OK)
            break;
        if (st != VML_FAULTED)
            return mr_fail(r, st, "access %llu: %s", (unsigned long long)r->out->accesses,
                           vml_last_error(r->m));
        if ((r->o->flags & VML_REPLAY_AUTOCOMMIT) && i != retried) {
            int c = (ex.reason == VML_AV_NOT_RESERVED || ex.reason == VML_AV_NOT_COMMITTED)
                        ? mr_commit(r, r->cur, &ex) : 0;
            if (c < 0)
                return r->st;
            if (c > 0) {
                retried = i;             /* retry the access, once */
                continue;
            }
        }
        r->out->exceptions++;
        r->out->refs++;
        i++;                             /* the access raised; go on */
    }
    r->n_run = 0;
    return r->st;
}

static vml_status mr_issue(struct mrun *r, vml_proc *p, unsigned access, vml_va va)
{
    if ((p != r->cur || access != r->cur_access || r->n_run == MR_MAX_RUN) && r->n_run > 0
        && mr_flush(r) != VML_OK)
        return r->st;
    r->cur = p;
    r->cur_access = access;
    r->run[r->n_run++] = va;
    return VML_OK;
}

static vml_status mr_access(struct mrun *r, const vml_trace_access *a)
{
    static const unsigned access_of[4] = { VML_ACCESS_READ, VML_ACCESS_WRITE, VML_ACCESS_EXEC,
                                           VML_ACCESS_WRITE };
    unsigned flags = r->o->flags;
    vml_proc *p;
    vml_va va = a->va, last = va;

    if (a->kind == VML_TRACE_IFETCH && (flags & VML_REPLAY_NO_IFETCH))
        return VML_OK;
    if ((a->flags & VML_TRACE_CONT) && !(flags & VML_REPLAY_STRADDLE))
        return VML_OK;
    p = mr_proc(r, a->pid);
    if (p == NULL)
        return r->st;
    if ((flags & VML_REPLAY_STRADDLE) && a->size > 1 && va + (a->size - 1u) > va)
        last = va + (a->size - 1u);
    if (mr_issue(r, p, access_of[a->kind & 3], va) != VML_OK)
        return r->st;
    for (vml_va page = (va >> VML_PAGE_SHIFT) + 1; page <= last >> VML_PAGE_SHIFT; page++)
        if (mr_issue(r, p, access_of[a->kind & 3], page << VML_PAGE_SHIFT) != VML_OK)
            return r->st;
    return VML_OK;
}

static double mr_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

vml_status vml_replay_machine(vml_machine *m, vml_proc *proc, vml_trace *t,
                              const vml_replay_opts *o, vml_machine_replay *out)
{
    vml_replay_opts def;
    struct mrun r;
    vml_trace_access *acc;
    double t0 = mr_now(), last_report = t0;
    int stopped = 0;

    if (out != NULL)
        memset(out, 0, sizeof *out);
    if (m == NULL || t == NULL || out == NULL || (proc != NULL && vml_proc_machine(proc) != m))
        return VML_E_INVALID;
    if (o == NULL) {
        vml_replay_opts_default(&def);
        o = &def;
    }
    if (o->cpu >= vml_cpu_count(m))
        return VML_E_RANGE;
    memset(&r, 0, sizeof r);
    r.m = m;
    r.fixed = proc;
    r.o = o;
    r.out = out;
    r.run = malloc(MR_MAX_RUN * sizeof r.run[0]);
    acc = malloc(MR_BATCH * sizeof acc[0]);
    if (r.run == NULL || acc == NULL) {
        free(r.run);
        free(acc);
        return VML_E_NOMEM;
    }
    while (r.st == VML_OK && !stopped) {
        size_t n, i = 0;
        vml_status st = vml_trace_read(t, acc, MR_BATCH, &n);
        if (st != VML_OK) {
            mr_fail(&r, st, "%s", vml_trace_error(t));
            break;
        }
        if (n == 0) {
            if (mr_flush(&r) == VML_OK)
                out->done = 1;               /* MP2 */
            break;
        }
        while (i < n && r.st == VML_OK) {
            if (mr_access(&r, &acc[i]) != VML_OK)
                break;
            out->accesses++;
            i++;
            if (o->sample != NULL && o->sample_every > 0 && out->accesses % o->sample_every == 0
                && mr_flush(&r) == VML_OK)
                o->sample(o->sample_ctx, m, out->accesses);
        }
        if (o->progress != NULL && mr_now() - last_report >= 0.2) {
            vml_trace_info info;
            vml_replay_progress p;
            if (mr_flush(&r) != VML_OK)
                break;
            vml_trace_info_get(t, &info);
            last_report = mr_now();
            p.accesses = out->accesses;
            p.refs = out->refs;
            p.work_done = info.bytes_in;
            p.work_total = info.size_in;
            p.elapsed = last_report - t0;
            stopped = o->progress(o->progress_ctx, &p) != 0;
            if (stopped)
                mr_flush(&r);
        }
    }
    if (o->sample != NULL && o->sample_every > 0 && out->accesses % o->sample_every != 0
        && r.n_run == 0)
        o->sample(o->sample_ctx, m, out->accesses);    /* the last point */
    free(r.run);
    free(acc);
    free(r.pids);
    return r.st;
}
