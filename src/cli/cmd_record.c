/*
** cmd_record.c -- `vmlab record` (a program's memory trace, by Valgrind's
** lackey tool) and `vmlab convert` (a trace from one format to another).
**
** record runs   valgrind --tool=lackey --trace-mem=yes --log-fd=N PROGRAM ARGS
** with N a pipe that vmlab reads: the program keeps its own stdin, stdout
** and stderr.  The output's name chooses the format and the compression:
** NAME.vmt[.zst|.xz|.gz] is the compact vmt (converted as it streams),
** anything else is lackey's text as Valgrind printed it; .zst, .xz and .gz
** compress in-process.
**
** INVARIANTS:
**   RE1 The output is complete only when the writer closed without error;
**       a failure removes nothing but says the file is incomplete.
*/
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "replay.h"

#define LOG_FD 1000              /* valgrind's log in the child: out of the way */

static int rec_error(const char *cmd, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
static int rec_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "vmlab %s: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return EXIT_SCRIPT;
}

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);

    return n >= k && strcmp(s + n - k, suffix) == 0;
}

vml_trace_format rp_format_from_name(const char *path)
{
    static const struct { const char *ext; vml_trace_format fmt; } ext[] = {
        { ".vmt", VML_TRACE_VMT },       { ".txt", VML_TRACE_TEXT },
        { ".text", VML_TRACE_TEXT },     { ".csv", VML_TRACE_CSV },
        { ".lackey", VML_TRACE_LACKEY }, { ".trace", VML_TRACE_LACKEY },
        { ".oracleGeneral", VML_TRACE_ORACLE }, { ".oracleGeneralBin", VML_TRACE_ORACLE },
        { ".oracle", VML_TRACE_ORACLE },
    };
    static const char *const comp[] = { "", ".zst", ".zstd", ".xz", ".gz" };
    char name[512];

    for (size_t c = 0; c < sizeof comp / sizeof comp[0]; c++) {
        if (!ends_with(path, comp[c]) || strlen(path) - strlen(comp[c]) >= sizeof name)
            continue;
        memcpy(name, path, strlen(path) - strlen(comp[c]));
        name[strlen(path) - strlen(comp[c])] = '\0';
        for (size_t i = 0; i < sizeof ext / sizeof ext[0]; i++)
            if (ends_with(name, ext[i].ext))
                return ext[i].fmt;
    }
    return VML_TRACE_AUTO;
}

/* ---- record -------------------------------------------------------------------------- */

void help_record(FILE *f)
{
    fprintf(f,
        "usage: vmlab record -o FILE [--format lackey|vmt] -- PROGRAM [ARGS...]\n"
        "\n"
        "Runs PROGRAM under Valgrind's lackey tool (valgrind --tool=lackey\n"
        "--trace-mem=yes; Debian package valgrind) and writes its memory trace to\n"
        "FILE: every instruction fetch (I), load (L), store (S) and modify (M) with\n"
        "its address and size.  The program keeps its own input and output.\n"
        "\n"
        "FILE's name chooses the format and the compression: NAME.vmt (vmlab's\n"
        "compact page trace, several times smaller and much faster to replay),\n"
        "anything else lackey's text as Valgrind prints it; a .zst, .xz or .gz\n"
        "suffix compresses it (zstd is fast and small: ls.vmt.zst).\n"
        "\n"
        "  -o, --output FILE   the trace file (- for standard output)\n"
        "  --format FMT        lackey or vmt, whatever the name says\n"
        "\n"
        "examples:\n"
        "  vmlab record -o ls.trace.zst -- ls -l /usr/bin\n"
        "  vmlab record -o ls.vmt.zst -- ls -l /usr/bin\n");
}

struct rec_counts {
    uint64_t lines, messages;      /* lackey passthrough: lines, == lines */
    uint64_t accesses;
};

/* Copies Valgrind's output to the writer as it is, counting lines. */
static vml_status rec_passthrough(int fd, vml_trace_writer *w, struct rec_counts *c)
{
    char buf[1 << 16];
    int bol = 1;

    for (;;) {
        ssize_t n = read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return n < 0 ? VML_E_IO : VML_OK;
        for (ssize_t i = 0; i < n; i++) {
            if (bol && buf[i] == '=')
                c->messages++;
            bol = buf[i] == '\n';
            c->lines += bol;
        }
        if (vml_trace_write_raw(w, buf, (size_t)n) != VML_OK)
            return VML_E_IO;
    }
}

/* Parses lackey's output and writes it in another format (vmt). */
static vml_status rec_convert(int fd, vml_trace_writer *w, struct rec_counts *c, char *err,
                              size_t size)
{
    vml_trace_access acc[4096];
    vml_trace *t = NULL;
    vml_status st = vml_trace_open_fd(fd, "valgrind's output", VML_TRACE_LACKEY, &t, err, size);

    while (st == VML_OK) {
        size_t n;
        st = vml_trace_read(t, acc, sizeof acc / sizeof acc[0], &n);
        if (st != VML_OK) {
            snprintf(err, size, "%s", vml_trace_error(t));
            break;
        }
        if (n == 0)
            break;
        c->accesses += n;
        st = vml_trace_write(w, acc, n);
        if (st != VML_OK)
            snprintf(err, size, "%s", vml_trace_writer_error(w));
    }
    vml_trace_close(t);
    return st;
}

static pid_t rec_spawn(char **prog, int pipe_w)
{
    pid_t pid = fork();

    if (pid != 0)
        return pid;
    if (dup2(pipe_w, LOG_FD) < 0)
        _exit(127);
    if (pipe_w != LOG_FD)
        close(pipe_w);
    {
        int n = 0;
        char **argv;
        while (prog[n] != NULL)
            n++;
        argv = calloc((size_t)n + 5, sizeof *argv);
        if (argv == NULL)
            _exit(127);
        argv[0] = "valgrind";
        argv[1] = "--tool=lackey";
        argv[2] = "--trace-mem=yes";
        argv[3] = "--log-fd=1000";
        for (int i = 0; i < n; i++)
            argv[4 + i] = prog[i];
        execvp("valgrind", argv);
        fprintf(stderr, "vmlab record: cannot run valgrind: %s (Debian: apt-get install "
                        "valgrind)\n", strerror(errno));
        _exit(127);
    }
}

int cmd_record(int argc, char **argv)
{
    const char *out = NULL;
    vml_trace_format fmt = VML_TRACE_AUTO;
    vml_trace_writer *w = NULL;
    struct rec_counts counts = { 0 };
    char err[512] = "";
    int fds[2], i, wstatus = 0;
    struct sigaction old_int;
    pid_t pid;
    vml_status st;

    for (i = 2; i < argc && strcmp(argv[i], "--") != 0; i++) {
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            help_record(stdout);
            return 0;
        }
        if ((strcmp(argv[i], "-o") == 0 || strcmp(argv[i], "--output") == 0) && i + 1 < argc)
            out = argv[++i];
        else if (strcmp(argv[i], "--format") == 0 && i + 1 < argc) {
            if (vml_trace_format_parse(argv[++i], &fmt) != VML_OK
                || (fmt != VML_TRACE_LACKEY && fmt != VML_TRACE_VMT))
                return rec_error("record", "--format: lackey or vmt, not '%s'", argv[i]);
        } else
            return rec_error("record", "unknown option '%s' (usage: vmlab record -o FILE -- "
                             "PROGRAM ARGS)", argv[i]);
    }
    if (out == NULL)
        return rec_error("record", "no output: -o FILE is missing");
    if (i + 1 >= argc)
        return rec_error("record", "no program: vmlab record -o FILE -- PROGRAM [ARGS...]");
    if (fmt == VML_TRACE_AUTO)
        fmt = rp_format_from_name(out) == VML_TRACE_VMT ? VML_TRACE_VMT : VML_TRACE_LACKEY;
    if (vml_trace_writer_open(out, fmt, vml_compress_from_name(out), 0, &w, err, sizeof err)
        != VML_OK)
        return rec_error("record", "%s", err);
    if (pipe(fds) != 0) {
        vml_trace_writer_close(w, NULL, 0);
        return rec_error("record", "pipe: %s", strerror(errno));
    }
    fflush(NULL);
    pid = rec_spawn(&argv[i + 1], fds[1]);
    close(fds[1]);
    /* Ctrl-C stops the program (valgrind gets it too): vmlab itself lives
    ** on to close the trace, which then ends where the program stopped. */
    {
        struct sigaction ign;
        memset(&ign, 0, sizeof ign);
        ign.sa_handler = SIG_IGN;
        sigaction(SIGINT, &ign, &old_int);
    }
    if (pid < 0) {
        close(fds[0]);
        vml_trace_writer_close(w, NULL, 0);
        return rec_error("record", "fork: %s", strerror(errno));
    }
    st = fmt == VML_TRACE_VMT ? rec_convert(fds[0], w, &counts, err, sizeof err)
                              : rec_passthrough(fds[0], w, &counts);
    close(fds[0]);
    while (waitpid(pid, &wstatus, 0) < 0 && errno == EINTR)
        ;
    sigaction(SIGINT, &old_int, NULL);
    if (st == VML_OK)
        st = vml_trace_writer_close(w, err, sizeof err);
    else
        vml_trace_writer_close(w, NULL, 0);
    if (st != VML_OK)
        return rec_error("record", "%s is incomplete: %s", out,
                         err[0] ? err : "reading valgrind's output failed");
    if (WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 127 && counts.lines + counts.accesses == 0)
        return rec_error("record", "valgrind did not run (is it installed?)");
    if (fmt == VML_TRACE_VMT)
        fprintf(stderr, "vmlab record: %llu accesses written to %s", (unsigned long long)counts.accesses, out);
    else
        fprintf(stderr, "vmlab record: %llu accesses written to %s",
                (unsigned long long)(counts.lines - counts.messages), out);
    if (WIFEXITED(wstatus))
        fprintf(stderr, " (%s exited with status %d)\n", argv[i + 1], WEXITSTATUS(wstatus));
    else
        fprintf(stderr, " (%s was killed by signal %d)\n", argv[i + 1],
                WIFSIGNALED(wstatus) ? WTERMSIG(wstatus) : 0);
    return 0;
}

/* ---- convert ---------------------------------------------------------------------------- */

void help_convert(FILE *f)
{
    fprintf(f,
        "usage: vmlab convert IN -o OUT [--to FORMAT] [--format FORMAT] [--no-ifetch]\n"
        "                     [--straddle]\n"
        "\n"
        "Rewrites a trace in another format, streamed.  OUT's name gives the format\n"
        "(.vmt, .txt, .csv, .lackey, .oracleGeneral) and the compression (.zst,\n"
        ".xz, .gz) unless --to says it.\n"
        "\n"
        "  --to FORMAT     vmt, text, csv, lackey or oracle\n"
        "  --format FMT    read IN as FMT instead of detecting it\n"
        "  --no-ifetch     page-level outputs (vmt, oracle): drop instruction fetches\n"
        "  --straddle      oracle: a record for each page an access covers\n"
        "\n"
        "oracle writes libCacheSim's oracleGeneral (for its cachesim): one record\n"
        "per page reference, object id = the page number, size 4096, next access\n"
        "time from a backward pass (held like OPT's future: memory, then a\n"
        "temporary file).\n"
        "\n"
        "examples:\n"
        "  vmlab convert ls.trace.zst -o ls.vmt.zst\n"
        "  vmlab convert ls.vmt.zst -o ls.oracleGeneral\n");
}

int cmd_convert(int argc, char **argv)
{
    const char *in = NULL, *out = NULL;
    vml_trace_format to = VML_TRACE_AUTO, from = VML_TRACE_AUTO;
    unsigned flags = 0;
    vml_trace *t = NULL;
    vml_trace_writer *w = NULL;
    vml_trace_access acc[4096];
    char err[512] = "";
    vml_status st;
    uint64_t total = 0;

    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            help_convert(stdout);
            return 0;
        }
        if (strcmp(argv[i], "-o") == 0 && i + 1 < argc)
            out = argv[++i];
        else if (strcmp(argv[i], "--to") == 0 && i + 1 < argc) {
            if (vml_trace_format_parse(argv[++i], &to) != VML_OK || to == VML_TRACE_AUTO)
                return rec_error("convert", "--to: vmt, text, csv, lackey or oracle, not '%s'",
                                 argv[i]);
        } else if (strcmp(argv[i], "--format") == 0 && i + 1 < argc) {
            if (vml_trace_format_parse(argv[++i], &from) != VML_OK)
                return rec_error("convert", "--format: unknown format '%s'", argv[i]);
        } else if (strcmp(argv[i], "--no-ifetch") == 0)
            flags |= VML_REPLAY_NO_IFETCH;
        else if (strcmp(argv[i], "--straddle") == 0)
            flags |= VML_REPLAY_STRADDLE;
        else if (argv[i][0] == '-' && argv[i][1] != '\0')
            return rec_error("convert", "unknown option '%s'", argv[i]);
        else if (in == NULL)
            in = argv[i];
        else
            return rec_error("convert", "one input trace only ('%s' is a second)", argv[i]);
    }
    if (in == NULL || out == NULL)
        return rec_error("convert", "usage: vmlab convert IN -o OUT [--to FORMAT]");
    if (to == VML_TRACE_AUTO)
        to = rp_format_from_name(out);
    if (to == VML_TRACE_AUTO)
        return rec_error("convert", "%s: the name does not say the format (.vmt, .txt, .csv, "
                         ".lackey, .oracleGeneral): use --to", out);
    if (vml_trace_open(in, from, &t, err, sizeof err) != VML_OK)
        return rec_error("convert", "%s", err);
    st = vml_trace_writer_open(out, to, vml_compress_from_name(out), flags, &w, err, sizeof err);
    while (st == VML_OK) {
        size_t n;
        st = vml_trace_read(t, acc, sizeof acc / sizeof acc[0], &n);
        if (st != VML_OK) {
            snprintf(err, sizeof err, "%s", vml_trace_error(t));
            break;
        }
        if (n == 0)
            break;
        total += n;
        st = vml_trace_write(w, acc, n);
        if (st != VML_OK)
            snprintf(err, sizeof err, "%s", vml_trace_writer_error(w));
    }
    vml_trace_close(t);
    if (w != NULL) {
        char cerr[512];
        vml_status cst = vml_trace_writer_close(w, cerr, sizeof cerr);
        if (st == VML_OK && cst != VML_OK) {
            st = cst;
            snprintf(err, sizeof err, "%s", cerr);
        }
    }
    if (st != VML_OK)
        return rec_error("convert", "%s%s", err, w != NULL ? " (the output is incomplete)" : "");
    fprintf(stderr, "vmlab convert: %llu accesses from %s written to %s (%s)\n",
            (unsigned long long)total, in, out, vml_trace_format_name(to));
    return 0;
}
