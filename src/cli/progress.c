/*
** progress.c -- Ctrl-C and the progress of long commands.
**
** SIGINT sets one flag; nothing else happens in the handler.  The shell's
** line editor sees the flag and cancels the line; a long command (touch,
** fill, verify, tick, a loop of the script language; loading and replay
** later) splits its work into chunks and calls progress_step() between
** them, which stops it with the error "interrupted" when the flag is set.
** The machine stays as the finished chunks left it: every chunk is whole
** library calls, each of which changed the machine completely or not at
** all.
**
** The flag is the CLI's one piece of global mutable state (a signal
** handler can reach nothing else); the library has none.
**
** INVARIANTS:
**   CLI4  The SIGINT handler only sets sigint_seen.
**   CLI5  A progress line is printed only when stderr is a terminal, at
**         most every PROGRESS_EVERY_MS, and erased (progress_end) before
**         the command returns, so no other output lands on it.
**
** Other long commands (image loading, trace replay) use the same three
** calls: progress_start, progress_step after each chunk (stop when it
** returns an error), progress_end.
*/
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

#define PROGRESS_EVERY_MS 200   /* between two progress lines */
#define PROGRESS_AFTER_MS 500   /* no line for a command shorter than this */

static volatile sig_atomic_t sigint_seen;

static void on_sigint(int signo)
{
    (void)signo;
    sigint_seen = 1;
}

/* Installs the handler, unless SIGINT is ignored (a background job, nohup):
** then it stays ignored, as a well-behaved command leaves it. */
void cli_sigint_install(void)
{
    struct sigaction sa, old;

    if (sigaction(SIGINT, NULL, &old) == 0 && old.sa_handler == SIG_IGN)
        return;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigint;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0;            /* no SA_RESTART: a blocked read returns EINTR */
    sigaction(SIGINT, &sa, NULL);
}

int cli_interrupted(void)
{
    return sigint_seen != 0;
}

void cli_interrupt_clear(void)
{
    sigint_seen = 0;
}

/* After an interrupted `vmlab run` has cleaned up: die of SIGINT, so that
** a calling shell loop stops too (it sees WIFSIGNALED, not an exit code). */
void cli_sigint_reraise(void)
{
    signal(SIGINT, SIG_DFL);
    raise(SIGINT);
}

/* ------------------------------------------------------------------ */
/* Progress                                                            */

static uint64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

void progress_start(struct interp *in, struct progress *pg, const char *what, uint64_t total,
                    const char *unit)
{
    memset(pg, 0, sizeof *pg);
    pg->what = what;
    pg->unit = unit;
    pg->total = total;
    pg->start_ms = now_ms();
    pg->last_ms = pg->start_ms;
    pg->tty = in->progress_tty;
}

enum rc progress_step(struct interp *in, struct progress *pg, uint64_t done)
{
    uint64_t t;

    if (in->max_steps != 0 && done > pg->done) {    /* the work counts (SCR11) */
        in->steps += done - pg->done;
        if (in->steps > in->max_steps) {
            progress_end(in, pg);
            return cli_error(in, "%s: more than %llu steps of work: the limit of this run",
                             pg->what, (unsigned long long)in->max_steps);
        }
    }
    pg->done = done;
    if (cli_interrupted()) {
        progress_end(in, pg);
        return cli_error(in, "interrupted (Ctrl-C) after %llu of %llu %s",
                         (unsigned long long)done, (unsigned long long)pg->total, pg->unit);
    }
    if (!pg->tty)
        return RC_OK;
    t = now_ms();
    if (t - pg->start_ms < PROGRESS_AFTER_MS || t - pg->last_ms < PROGRESS_EVERY_MS)
        return RC_OK;
    pg->last_ms = t;
    pg->shown = 1;
    fprintf(in->errout, "\r%s: %llu/%llu %s (%u%%)  Ctrl-C stops\033[K", pg->what,
            (unsigned long long)done, (unsigned long long)pg->total, pg->unit,
            pg->total ? (unsigned)(done * 100.0 / (double)pg->total) : 100u);
    fflush(in->errout);
    return RC_OK;
}

void progress_end(struct interp *in, struct progress *pg)
{
    if (pg->shown) {
        fputs("\r\033[K", in->errout);   /* erase the progress line */
        fflush(in->errout);
        pg->shown = 0;
    }
}
