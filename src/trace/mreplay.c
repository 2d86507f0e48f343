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
** VML_REPLAY_AUTOCOMMIT: an access that faults because its address is in
** no VAD maps its page (posix mmap, anonymous, read-write-execute, fixed:
** page-granular, and adjacent pages merge into one VMA); one that faults
** on a reserved page not committed commits the page (VirtualAlloc); the
** access is then retried.  So memory is committed on first touch of each
** page, as the traced program's own allocator did before its trace began.
** Any other exception (and these, without the flag) is counted and the
** replay goes on.  A commit refused by the commit limit stops the replay:
** the trace needs more RAM + pagefile than the machine has (mmap
** overcommits as Linux does: a machine out of frames raises
** STATUS_NO_MEMORY exceptions, counted).
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
#define MR_GRANULE  0x10000ull        /* the NULL region's end (mmap_min_addr) */

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
    uint32_t     cur_pid;      /* the trace PID of cur */
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
** it cannot be (count the exception), -1 when the replay must stop.  A page
** in no VAD is mapped by mmap (anonymous, private, read-write-execute,
** fixed without replacing: page-granular, and neighbouring pages merge
** into one VMA as on Linux, where lackey's traces come from); a page of a
** reserved region is committed by VirtualAlloc. */
static int mr_commit(struct mrun *r, vml_proc *p, const vml_exception *ex)
{
    vml_va page = ex->va & ~(vml_va)(VML_PAGE_SIZE - 1), got;
    uint32_t e;

    if (page < MR_GRANULE)
        return 0;       /* the NULL region (and address 0 would mean "anywhere") */
    if (ex->reason == VML_AV_NOT_RESERVED) {
        if (vml_posix_mmap(p, page, VML_PAGE_SIZE, VML_PROT_READ | VML_PROT_WRITE | VML_PROT_EXEC,
                           VML_MAP_PRIVATE | VML_MAP_ANONYMOUS | VML_MAP_FIXED_NOREPLACE, -1, 0,
                           &got) != 0)
            return 0;   /* the top of user space */
        r->out->pages_committed++;
        return 1;
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

/* The further pages of an access that crosses pages (VML_REPLAY_STRADDLE). */
static vml_status mr_straddle(struct mrun *r, const vml_trace_access *a)
{
    vml_va last = a->va + (a->size - 1u);

    for (vml_va page = (a->va >> VML_PAGE_SHIFT) + 1; page <= last >> VML_PAGE_SHIFT; page++) {
        if (r->n_run == MR_MAX_RUN && mr_flush(r) != VML_OK)
            return r->st;
        r->run[r->n_run++] = page << VML_PAGE_SHIFT;
    }
    return VML_OK;
}

/* Gathers the accesses of a batch into runs of one process and kind and
** issues them (MP1); stops early at a sample point.  Returns how many
** accesses it took.  The run's state lives in locals inside the loop (the
** stores to run[] could alias r's fields). */
static size_t mr_batch(struct mrun *r, const vml_trace_access *acc, size_t n, uint64_t limit)
{
    const unsigned flags = r->o->flags;
    /* A fetch is an execute access on a process given by the caller (its
    ** NX pages refuse it); on the processes of --machine, whose memory is
    ** all committed read-write-execute on first touch, it is a read (the
    ** same outcome, and longer runs for the batch path). */
    const unsigned access_of[4] = { VML_ACCESS_READ, VML_ACCESS_WRITE,
                                    r->fixed != NULL ? VML_ACCESS_EXEC : VML_ACCESS_READ,
                                    VML_ACCESS_WRITE };
    /* kinds dropped: fetches under NO_IFETCH */
    const unsigned drop_kind = (flags & VML_REPLAY_NO_IFETCH) ? VML_TRACE_IFETCH : 4u;
    const unsigned drop_cont = (flags & VML_REPLAY_STRADDLE) ? 0u : VML_TRACE_CONT;
    vml_va *const run = r->run;
    vml_proc *cur = r->cur;
    unsigned cur_access = r->cur_access;
    uint32_t cur_pid = r->cur_pid;
    size_t n_run = r->n_run, i;

    if (n > limit)
        n = (size_t)limit;
    for (i = 0; i < n; i++) {
        const vml_trace_access *a = &acc[i];
        unsigned access = access_of[a->kind & 3];
        vml_proc *p = cur;

        if (a->kind == drop_kind || (a->flags & drop_cont))
            continue;
        if (a->pid != cur_pid || p == NULL) {
            p = mr_proc(r, a->pid);
            if (p == NULL)
                break;
            cur_pid = a->pid;
        }
        if ((p != cur || access != cur_access || n_run == MR_MAX_RUN) && n_run > 0) {
            r->cur = cur;
            r->cur_access = cur_access;
            r->n_run = n_run;
            if (mr_flush(r) != VML_OK)
                break;
            n_run = 0;
        }
        cur = p;
        cur_access = access;
        run[n_run++] = a->va;
        if ((flags & VML_REPLAY_STRADDLE) && a->size > 1
            && (a->va & (VML_PAGE_SIZE - 1)) + a->size > VML_PAGE_SIZE
            && a->va + (a->size - 1u) > a->va) {
            r->cur = cur;
            r->cur_access = cur_access;
            r->n_run = n_run;
            if (mr_straddle(r, a) != VML_OK)
                break;
            n_run = r->n_run;
        }
    }
    r->cur = cur;
    r->cur_access = cur_access;
    r->cur_pid = cur_pid;
    r->n_run = n_run;
    for (size_t k = 0; k < i; k++)       /* a continuation is part of an access */
        r->out->accesses += !(acc[k].flags & VML_TRACE_CONT);
    return i;
}

static double mr_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Calls o->progress when progress_ms (200 by default) have passed since
** *last_report, after a flush so that the counts are whole.  1 when the
** run is to stop (the callback asked, or the flush failed: r->st says
** so), else 0.  The one report of both loops below. */
static int mr_progress(struct mrun *r, vml_trace *t, double t0, double *last_report)
{
    const vml_replay_opts *o = r->o;
    vml_trace_info info;
    vml_replay_progress p;

    if (o->progress == NULL
        || mr_now() - *last_report < (o->progress_ms ? o->progress_ms : 200) / 1000.0)
        return 0;
    if (mr_flush(r) != VML_OK)
        return 1;
    vml_trace_info_get(t, &info);
    *last_report = mr_now();
    p.accesses = r->out->accesses;
    p.refs = r->out->refs;
    p.work_done = info.bytes_in;
    p.work_total = info.size_in;
    p.elapsed = *last_report - t0;
    return o->progress(o->progress_ctx, &p) != 0;
}

/* The vmt fast path (--machine on a vmt trace, no straddles, no samples):
** page references straight from the decoder (its ids index the pages and
** processes it defined), no vml_trace_access in between.  A reference is
** an 8-byte read or write at its page's start. */
static vml_status mr_run_vmt(struct mrun *r, vml_trace *t, double t0)
{
    const vml_replay_opts *o = r->o;
    struct prefs ps;
    uint32_t *refs = malloc(MR_BATCH * sizeof *refs);
    double last_report = t0;
    int stopped = 0;

    if (refs == NULL || prefs_init(&ps, t, o->flags) != VML_OK) {
        free(refs);
        return mr_fail(r, VML_E_NOMEM, "out of memory");
    }
    while (r->st == VML_OK && !stopped) {
        const uint64_t *page_of;
        const uint32_t *pid_of;
        vml_proc *cur = r->cur;
        unsigned cur_access = r->cur_access;
        uint32_t cur_pid = r->cur_pid;
        size_t n, i, n_run = r->n_run;
        vml_status st = prefs_read(&ps, refs, MR_BATCH, &n);

        if (st != VML_OK) {
            mr_fail(r, st, "%s", vml_trace_error(t));
            break;
        }
        if (n == 0) {
            if (mr_flush(r) == VML_OK)
                r->out->done = 1;            /* MP2 */
            break;
        }
        page_of = t->vmt.page_of;            /* (the decoder may have grown them) */
        pid_of = t->vmt.pid_of;
        for (i = 0; i < n; i++) {
            uint32_t id = PREF_ID(refs[i]);
            unsigned access = PREF_WRITE(refs[i]) ? VML_ACCESS_WRITE : VML_ACCESS_READ;
            vml_proc *p = cur;
            if (pid_of[id] != cur_pid || p == NULL) {
                p = mr_proc(r, pid_of[id]);
                if (p == NULL)
                    break;
                cur_pid = pid_of[id];
            }
            if ((p != cur || access != cur_access || n_run == MR_MAX_RUN) && n_run > 0) {
                r->cur = cur;
                r->cur_access = cur_access;
                r->n_run = n_run;
                if (mr_flush(r) != VML_OK)
                    break;
                n_run = 0;
            }
            cur = p;
            cur_access = access;
            r->run[n_run++] = page_of[id] << VML_PAGE_SHIFT;
        }
        r->cur = cur;
        r->cur_access = cur_access;
        r->cur_pid = cur_pid;
        r->n_run = n_run;
        r->out->accesses = t->accesses;
        stopped = mr_progress(r, t, t0, &last_report);
    }
    r->out->accesses = t->accesses;
    prefs_free(&ps);
    free(refs);
    return r->st;
}

vml_status vml_replay_machine(vml_machine *m, vml_proc *proc, vml_trace *t,
                              const vml_replay_opts *o, vml_machine_replay *out)
{
    vml_replay_opts def;
    struct mrun r;
    vml_trace_access *acc;
    double t0 = mr_now(), last_report = t0;
    uint64_t next_sample = 0;
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
    if (o->sample != NULL && o->sample_every > 0)
        next_sample = o->sample_every;
    r.run = malloc(MR_MAX_RUN * sizeof r.run[0]);
    if (r.run != NULL && proc == NULL && next_sample == 0 && t->rd == &rd_vmt
        && !(o->flags & VML_REPLAY_STRADDLE)) {
        vml_status st = mr_run_vmt(&r, t, t0);
        free(r.run);
        free(r.pids);
        return st;
    }
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
            uint64_t limit = next_sample ? next_sample - out->accesses : UINT64_MAX;
            i += mr_batch(&r, acc + i, n - i, limit);
            if (next_sample && out->accesses == next_sample && mr_flush(&r) == VML_OK) {
                o->sample(o->sample_ctx, m, out->accesses);
                next_sample += o->sample_every;
            }
        }
        stopped = mr_progress(&r, t, t0, &last_report);
    }
    if (next_sample && out->accesses != next_sample - o->sample_every && r.n_run == 0)
        o->sample(o->sample_ctx, m, out->accesses);    /* the last point */
    free(r.run);
    free(acc);
    free(r.pids);
    return r.st;
}
