/*
** ptyexpect.c -- runs a program on a pseudo-terminal and plays a dialogue
** with it, for the tests of `vmlab shell` (line editing, history,
** completion, Ctrl-C, Ctrl-D), which behaves differently on a terminal.
** A dozen lines of expect(1) without needing Tcl.
**
** usage: ptyexpect PROGRAM [ARG...] < DIALOGUE
** DIALOGUE lines:
**   send TEXT      write TEXT (C escapes: \n \r \t \e \\ \xNN) to the terminal
**   expect TEXT    wait (up to 20 s) until the output since the last match
**                  contains TEXT (same escapes); the match consumes it
**   raw            wait until the terminal is out of canonical mode: the line
**                  editor is reading keys (it prints its prompt before it
**                  switches, and a Ctrl-D typed in between is the tty's EOF)
**   exit N         wait for the program to end; it must exit with status N
**   killed N       wait for the program to end; it must die of signal N
**   # ...          a comment
** Exit status 0 when every step held; otherwise 1, with what was seen.
*/
#include <errno.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#define WAIT_MS 20000

static char seen[1 << 16];
static size_t n_seen;

static long now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* Decodes the C escapes of s in place; returns the length. */
static size_t unescape(char *s)
{
    char *o = s, *p = s;

    while (*p != '\0') {
        if (*p != '\\' || p[1] == '\0') {
            *o++ = *p++;
            continue;
        }
        p++;
        switch (*p) {
        case 'n': *o++ = '\n'; p++; break;
        case 'r': *o++ = '\r'; p++; break;
        case 't': *o++ = '\t'; p++; break;
        case 'e': *o++ = '\033'; p++; break;
        case 'x': {
            unsigned v = 0;
            int k;
            p++;
            for (k = 0; k < 2 && strchr("0123456789abcdefABCDEF", *p) && *p; k++, p++)
                v = v * 16 + (unsigned)(*p <= '9' ? *p - '0' : (*p | 0x20) - 'a' + 10);
            *o++ = (char)v;
            break;
        }
        default: *o++ = *p++; break;
        }
    }
    *o = '\0';
    return (size_t)(o - s);
}

/* Reads what the program wrote, for up to ms milliseconds; 0 at its end. */
static int pump(int fd, int ms)
{
    struct pollfd pfd = { fd, POLLIN, 0 };
    char buf[4096];
    ssize_t n;

    if (poll(&pfd, 1, ms) <= 0)
        return 1;
    n = read(fd, buf, sizeof buf);
    if (n <= 0)
        return 0;
    if (n_seen + (size_t)n >= sizeof seen) {     /* keep the recent half */
        memmove(seen, seen + sizeof seen / 2, n_seen - sizeof seen / 2);
        n_seen -= sizeof seen / 2;
    }
    memcpy(seen + n_seen, buf, (size_t)n);
    n_seen += (size_t)n;
    return 1;
}

static void show_seen(void)
{
    size_t i;

    fprintf(stderr, "--- output since the last match:\n");
    for (i = 0; i < n_seen; i++) {
        unsigned char c = (unsigned char)seen[i];
        if (c == '\n' || (c >= 0x20 && c < 0x7F))
            fputc(c, stderr);
        else if (c != '\r')
            fprintf(stderr, "\\x%02x", c);
    }
    fprintf(stderr, "\n---\n");
}

static int expect(int fd, const char *want, size_t len)
{
    long end = now_ms() + WAIT_MS;

    for (;;) {
        size_t i;
        for (i = 0; len <= n_seen && i + len <= n_seen; i++)
            if (memcmp(seen + i, want, len) == 0) {
                memmove(seen, seen + i + len, n_seen - i - len);
                n_seen -= i + len;
                return 0;
            }
        if (now_ms() > end || !pump(fd, 100)) {
            if (now_ms() <= end) {                /* the program ended: one more look */
                for (i = 0; len <= n_seen && i + len <= n_seen; i++)
                    if (memcmp(seen + i, want, len) == 0)
                        return 0;
            }
            return -1;
        }
    }
}

int main(int argc, char **argv)
{
    char line[4096];
    int fd, status = 0;
    pid_t pid;
    unsigned lineno = 0;

    if (argc < 2) {
        fprintf(stderr, "usage: ptyexpect PROGRAM [ARG...] < DIALOGUE\n");
        return 2;
    }
    pid = forkpty(&fd, NULL, NULL, NULL);
    if (pid < 0) {
        perror("ptyexpect: forkpty");
        return 2;
    }
    if (pid == 0) {
        execvp(argv[1], argv + 1);
        perror("ptyexpect: exec");
        _exit(127);
    }
    while (fgets(line, sizeof line, stdin) != NULL) {
        size_t len = strlen(line);
        lineno++;
        while (len > 0 && line[len - 1] == '\n')
            line[--len] = '\0';
        if (len == 0 || line[0] == '#')
            continue;
        if (strncmp(line, "send ", 5) == 0) {
            size_t n = unescape(line + 5);
            if (write(fd, line + 5, n) != (ssize_t)n) {
                perror("ptyexpect: write");
                return 1;
            }
            pump(fd, 50);
        } else if (strncmp(line, "expect ", 7) == 0) {
            char shown[4096];
            size_t n;
            snprintf(shown, sizeof shown, "%s", line + 7);
            n = unescape(line + 7);
            if (expect(fd, line + 7, n) != 0) {
                fprintf(stderr, "ptyexpect: line %u: did not see '%s'\n", lineno, shown);
                show_seen();
                kill(pid, SIGKILL);
                waitpid(pid, NULL, 0);
                return 1;
            }
        } else if (strcmp(line, "raw") == 0) {
            struct termios t;
            long end = now_ms() + WAIT_MS;
            /* Linux: the master side reports the terminal's attributes. */
            while (tcgetattr(fd, &t) == 0 && (t.c_lflag & ICANON) && now_ms() < end)
                pump(fd, 10);
            if (now_ms() >= end) {
                fprintf(stderr, "ptyexpect: line %u: the terminal stayed canonical\n", lineno);
                kill(pid, SIGKILL);
                waitpid(pid, NULL, 0);
                return 1;
            }
        } else if (strncmp(line, "exit ", 5) == 0 || strncmp(line, "killed ", 7) == 0) {
            int killed = line[0] == 'k';
            int want = atoi(line + (killed ? 7 : 5));
            long end = now_ms() + WAIT_MS;
            pid_t r;
            while ((r = waitpid(pid, &status, WNOHANG)) == 0 && now_ms() < end)
                pump(fd, 50);
            if (r != pid || (killed ? !WIFSIGNALED(status) || WTERMSIG(status) != want
                                    : !WIFEXITED(status) || WEXITSTATUS(status) != want)) {
                fprintf(stderr, "ptyexpect: line %u: wanted exit status %d, got %s %d\n",
                        lineno, want, r != pid ? "no exit" : WIFEXITED(status) ? "exit"
                        : "signal", r != pid ? 0 : WIFEXITED(status) ? WEXITSTATUS(status)
                        : WTERMSIG(status));
                show_seen();
                if (r != pid) {
                    kill(pid, SIGKILL);
                    waitpid(pid, NULL, 0);
                }
                return 1;
            }
            return 0;
        } else {
            fprintf(stderr, "ptyexpect: line %u: unknown step '%s'\n", lineno, line);
            return 2;
        }
    }
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    return 0;
}
