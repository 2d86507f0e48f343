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
**         most every PROGRESS_EVERY_MS, and erased before anything else
**         is printed by the command's caller (progress_end).
*/
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

static volatile sig_atomic_t sigint_seen;

static void on_sigint(int signo)
{
    (void)signo;
    sigint_seen = 1;
}

void cli_sigint_install(void)
{
    struct sigaction sa;

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
