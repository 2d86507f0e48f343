/*
** cmd_policy.c -- `vmlab policy`: a replacement policy alone on a
** reference string, through vml_policy_simulate(); no machine.
**
**   vmlab policy -p NAME|all -f FRAMES REFS... [--json]
**
** REFS is a reference string: pages separated by commas and/or blanks,
** each a decimal or 0x hex number with an optional 'w' for a write
** ("1,2w,3" or "1 2w 3"); several REFS words are one string.  @FILE reads
** the same syntax from a file and - from stdin, where '#' starts a
** comment that runs to the end of the line.
**
** Exit status: 0, or EXIT_SCRIPT (2) for a usage or input error (the
** message names the reference and what is wrong with it), EXIT_INTERNAL
** (3) when the library reports a broken invariant.
**
** INVARIANTS:
**   CLI10  Every reference is parsed and checked before the first
**       simulation: bad input prints one message and nothing else.
**   CLI11  The policies offered are those vml_policy_simulate() accepts
**       (asked with an empty string), so the list cannot drift from the
**       library.
*/
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

#define POLICY_ALL VML_N_POLICIES   /* -p all */
#define TEXT_MAX_RESIDENT 64        /* text output lists at most this many */

struct policy_opts {
    vml_policy  policy;      /* or POLICY_ALL */
    uint64_t    frames;
    int         json;
    vml_trace_format format; /* --format: read @FILE as this trace format */
    unsigned    flags;       /* VML_REPLAY_NO_IFETCH | VML_REPLAY_STRADDLE (traces) */
    char      **words;       /* the REFS words */
    int         n_words;
};

/* The parsed reference string. */
struct refs {
    vml_ref *v;
    size_t   n, cap;
    int      hex;            /* a page was written in hex: print pages so */
};

static void policy_usage(FILE *f)
{
    fprintf(f, "usage: vmlab policy -p NAME|all -f FRAMES REFS... [--json]   "
               "(vmlab help policy)\n");
}

/* CLI11: a policy that runs on a reference string, not only in a machine. */
static int policy_runs_alone(vml_policy p)
{
    vml_policy_result r;
    int ok = vml_policy_simulate(p, 1, NULL, 0, &r) == VML_OK;

    if (ok)
        vml_policy_result_free(&r);
    return ok;
}

static void policy_list(FILE *f)
{
    for (unsigned p = 0; p < VML_N_POLICIES; p++)
        if (policy_runs_alone((vml_policy)p))
            fprintf(f, " %s", vml_policy_name((vml_policy)p));
}

void help_policy(FILE *f)
{
    fprintf(f,
        "usage: vmlab policy -p NAME|all -f FRAMES REFS... [--json]\n"
        "\n"
        "Runs a page replacement policy alone on a reference string with FRAMES\n"
        "frames and counts its faults.  Every reference to a page that is not\n"
        "resident is a fault, including the first ones that fill free frames;\n"
        "when all frames are used the policy chooses a victim to evict, and\n"
        "evicting a page written since it was loaded is a write-back.\n"
        "\n"
        "REFS  pages separated by commas and/or blanks: decimal or 0x hex numbers,\n"
        "      each with an optional 'w' for a write (1,2w,3).  Several words are\n"
        "      one string.  @FILE reads the same syntax from a file, - from stdin;\n"
        "      there, # starts a comment that runs to the end of the line.  @FILE\n"
        "      and - also read memory traces in vmlab replay's formats (lackey,\n"
        "      text, vmt, oracleGeneral; CSV with --format csv), compressed or not:\n"
        "      each access is a reference to its page (vmlab help replay).\n"
        "\n"
        "options:\n"
        "  -p, --policy NAME   a policy below, or all: one line per policy\n"
        "  -f, --frames N      the number of frames (1 or more)\n"
        "  --json              print one JSON object\n"
        "  --format FMT        read @FILE as a trace of this format\n"
        "  --no-ifetch         traces: drop instruction fetches\n"
        "  --straddle          traces: an access crossing pages references both\n"
        "\n"
        "policies:\n");
    for (unsigned p = 0; p < VML_N_POLICIES; p++)
        if (policy_runs_alone((vml_policy)p))
            fprintf(f, "  %-8s %s\n", vml_policy_name((vml_policy)p),
                    vml_policy_desc((vml_policy)p));
    fprintf(f,
        "\n"
        "Exit status 0; 2 for a usage or input error.\n"
        "\n"
        "examples:\n"
        "  vmlab policy -p fifo -f 3 1,2,3,4,1,2,5,1,2,3,4,5   (9 faults; 10 with -f 4)\n"
        "  vmlab policy -p all -f 3 @trace.txt --json\n");
}

/* ---- options -------------------------------------------------------- */

/* Prints "vmlab policy: MESSAGE" and the usage line; returns EXIT_SCRIPT. */
static int opt_error(const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 1, 2)))
#endif
    ;
static int opt_error(const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "vmlab policy: ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n");
    policy_usage(stderr);
    return EXIT_SCRIPT;
}

/* Decimal or 0x hex, the whole of s: 0, or -1 when s is not such a number
** or does not fit 64 bits (*overflow set). */
static int parse_u64(const char *s, size_t len, uint64_t *out, int *is_hex, int *overflow)
{
    unsigned base = 10;
    uint64_t v = 0;
    size_t i = 0;

    *is_hex = 0;
    *overflow = 0;
    if (len > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        base = 16;
        i = 2;
        *is_hex = 1;
    }
    if (i == len)
        return -1;
    for (; i < len; i++) {
        unsigned d;
        unsigned char c = (unsigned char)s[i];
        if (isdigit(c))
            d = c - '0';
        else if (base == 16 && isxdigit(c))
            d = (unsigned)(tolower(c) - 'a' + 10);
        else
            return -1;
        if (v > (UINT64_MAX - d) / base) {
            *overflow = 1;
            return -1;
        }
        v = v * base + d;
    }
    *out = v;
    return 0;
}

static int policy_opt_value(int argc, char **argv, int *i, const char **value)
{
    const char *eq = strchr(argv[*i], '=');

    if (strncmp(argv[*i], "--", 2) == 0 && eq != NULL) {
        *value = eq + 1;
        return 0;
    }
    if (*i + 1 >= argc)
        return -1;
    *value = argv[++*i];
    return 0;
}

static int is_opt(const char *arg, const char *short_name, const char *long_name)
{
    size_t n = strlen(long_name);

    return strcmp(arg, short_name) == 0 || strcmp(arg, long_name) == 0
        || (strncmp(arg, long_name, n) == 0 && arg[n] == '=');
}

/* 0, or the exit status after a message. */
static int policy_opts_parse(int argc, char **argv, struct policy_opts *o)
{
    const char *name = NULL, *frames = NULL;
    int i, is_hex, overflow;

    memset(o, 0, sizeof *o);
    o->words = calloc((size_t)argc, sizeof o->words[0]);
    if (o->words == NULL)
        return opt_error("host out of memory");
    for (i = 2; i < argc; i++) {
        const char *arg = argv[i];
        if (is_opt(arg, "-p", "--policy")) {
            if (policy_opt_value(argc, argv, &i, &name) != 0)
                return opt_error("%s needs a policy name", arg);
        } else if (is_opt(arg, "-f", "--frames")) {
            if (policy_opt_value(argc, argv, &i, &frames) != 0)
                return opt_error("%s needs a number of frames", arg);
        } else if (strcmp(arg, "--json") == 0) {
            o->json = 1;
        } else if (strcmp(arg, "--no-ifetch") == 0) {
            o->flags |= VML_REPLAY_NO_IFETCH;
        } else if (strcmp(arg, "--straddle") == 0) {
            o->flags |= VML_REPLAY_STRADDLE;
        } else if (is_opt(arg, "--format", "--format")) {
            const char *fmt;
            if (policy_opt_value(argc, argv, &i, &fmt) != 0
                || vml_trace_format_parse(fmt, &o->format) != VML_OK)
                return opt_error("--format needs a trace format (lackey, text, csv, vmt, oracle)");
        } else if (arg[0] == '-' && arg[1] != '\0') {
            return opt_error("unknown option '%s'", arg);
        } else {
            o->words[o->n_words++] = argv[i];
        }
    }
    if (name == NULL)
        return opt_error("no policy: -p NAME is missing (or -p all)");
    if (strcmp(name, "all") == 0) {
        o->policy = POLICY_ALL;
    } else if (vml_policy_parse(name, &o->policy) != VML_OK) {
        fprintf(stderr, "vmlab policy: unknown policy '%s'; choose one of:", name);
        policy_list(stderr);
        fprintf(stderr, ", or all\n");
        return EXIT_SCRIPT;
    } else if (!policy_runs_alone(o->policy)) {
        fprintf(stderr, "vmlab policy: %s (%s) runs only inside a machine; choose one of:",
                name, vml_policy_desc(o->policy));
        policy_list(stderr);
        fprintf(stderr, ", or all\n");
        return EXIT_SCRIPT;
    }
    if (frames == NULL)
        return opt_error("no frame count: -f FRAMES is missing");
    if (parse_u64(frames, strlen(frames), &o->frames, &is_hex, &overflow) != 0 || o->frames == 0)
        return opt_error("-f: expected a number of frames (1 or more), got '%s'", frames);
    if (o->n_words == 0)
        return opt_error("no reference string: REFS is missing");
    return 0;
}

/* ---- the reference string ---------------------------------------------- */

/* Where references come from, for messages: "" (the command line) or a
** file name ("<stdin>"), with the line of the reference being parsed. */
struct refs_src {
    const char *file;
    unsigned    line;
};

static int refs_error(const struct refs_src *src, size_t nth, const char *tok, size_t len,
                      const char *problem)
{
    fprintf(stderr, "vmlab policy: ");
    if (src->file != NULL)
        fprintf(stderr, "%s:%u: ", src->file, src->line);
    fprintf(stderr, "reference %zu", nth);
    if (tok != NULL) {
        size_t show = len > 40 ? 40 : len;
        fputs(" ('", stderr);
        for (size_t i = 0; i < show; i++) {
            unsigned char c = (unsigned char)tok[i];
            if (isprint(c))
                fputc(c, stderr);
            else
                fprintf(stderr, "\\x%02x", c);
        }
        fputs(len > show ? "...')" : "')", stderr);
    }
    fprintf(stderr, ": %s\n", problem);
    return EXIT_SCRIPT;
}

static int refs_push(struct refs *r, uint64_t page, unsigned write)
{
    if (r->n == r->cap) {
        size_t cap = r->cap ? 2 * r->cap : 256;
        vml_ref *v = cap < SIZE_MAX / sizeof *v ? realloc(r->v, cap * sizeof *v) : NULL;
        if (v == NULL)
            return -1;
        r->v = v;
        r->cap = cap;
    }
    r->v[r->n].page = page;
    r->v[r->n].write = write;
    r->n++;
    return 0;
}

static int is_separator(char c)
{
    return c == ',' || c == '#' || isspace((unsigned char)c);
}

/* Appends the references of text[0..len) to r (CLI10): 0, or the exit
** status after a message naming the reference. */
static int refs_parse(const char *text, size_t len, struct refs_src *src, struct refs *r)
{
    size_t i = 0;
    int comma = 0;   /* a ',' waits for the reference after it */

    while (i < len) {
        const char *tok = &text[i];
        size_t n = 0;
        uint64_t page;
        unsigned write = 0;
        int is_hex, overflow;

        if (text[i] == '\n') {
            src->line++;
            i++;
            continue;
        }
        if (isspace((unsigned char)text[i])) {
            i++;
            continue;
        }
        if (text[i] == '#' && src->file != NULL) {
            while (i < len && text[i] != '\n')
                i++;
            continue;
        }
        if (text[i] == ',') {
            if (comma || r->n == 0)
                return refs_error(src, r->n + 1, NULL, 0, "no page before this ','");
            comma = 1;
            i++;
            continue;
        }
        while (i + n < len && !is_separator(tok[n]))
            n++;
        if (n == 0)   /* '#' on the command line */
            n = 1;
        i += n;
        if (n > 1 && tok[n - 1] == 'w')
            write = 1;
        if (parse_u64(tok, n - write, &page, &is_hex, &overflow) != 0)
            return refs_error(src, r->n + 1, tok, n,
                              overflow ? "page number out of range (the largest is 0xffffffffffffffff)"
                                       : "expected a page number with an optional 'w'");
        if (refs_push(r, page, write) != 0) {
            fprintf(stderr, "vmlab policy: host out of memory\n");
            return EXIT_SCRIPT;
        }
        r->hex |= is_hex;
        comma = 0;
    }
    if (comma)
        return refs_error(src, r->n + 1, NULL, 0, "no page after the last ','");
    return 0;
}

/* Reads a whole file ("-": stdin) into t: 0, or the exit status after a
** message. */
static int read_file(const char *path, vml_text *t)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    char buf[65536];
    size_t got;
    int err;

    if (f == NULL) {
        fprintf(stderr, "vmlab policy: cannot open '%s': %s\n", path, strerror(errno));
        return EXIT_SCRIPT;
    }
    while ((got = fread(buf, 1, sizeof buf, f)) > 0)
        vml_text_append(t, buf, got);
    err = ferror(f);
    if (f != stdin)
        fclose(f);
    if (err || t->oom) {
        fprintf(stderr, "vmlab policy: cannot read '%s'%s\n", path,
                t->oom ? ": host out of memory" : "");
        return EXIT_SCRIPT;
    }
    return 0;
}

/* ---- traces (the formats of vmlab replay) ------------------------------------ */

/* The pages of a trace's accesses, under the definitions of
** docs/policies.md (vmlab replay's): 0, or the exit status after a message. */
static int refs_from_trace(vml_trace *t, const char *name, unsigned flags, struct refs *r)
{
    vml_trace_access acc[1024];
    uint32_t pid = 0;
    int have_pid = 0;

    for (;;) {
        size_t n;
        if (vml_trace_read(t, acc, sizeof acc / sizeof acc[0], &n) != VML_OK) {
            fprintf(stderr, "vmlab policy: %s\n", vml_trace_error(t));
            return EXIT_SCRIPT;
        }
        if (n == 0)
            return 0;
        for (size_t i = 0; i < n; i++) {
            const vml_trace_access *a = &acc[i];
            uint64_t first = a->va >> VML_PAGE_SHIFT, last = first;
            unsigned write = a->kind == VML_TRACE_WRITE || a->kind == VML_TRACE_MODIFY;
            if ((a->kind == VML_TRACE_IFETCH && (flags & VML_REPLAY_NO_IFETCH))
                || ((a->flags & VML_TRACE_CONT) && !(flags & VML_REPLAY_STRADDLE)))
                continue;
            if (have_pid && a->pid != pid) {
                fprintf(stderr, "vmlab policy: %s: accesses of processes %u and %u; vmlab "
                                "policy takes one process (vmlab replay takes several)\n",
                        name, pid, a->pid);
                return EXIT_SCRIPT;
            }
            pid = a->pid;
            have_pid = 1;
            if ((flags & VML_REPLAY_STRADDLE) && a->size > 1 && a->va + (a->size - 1u) > a->va)
                last = (a->va + (a->size - 1u)) >> VML_PAGE_SHIFT;
            for (uint64_t page = first; page <= last; page++)
                if (refs_push(r, page, write) != 0) {
                    fprintf(stderr, "vmlab policy: host out of memory\n");
                    return EXIT_SCRIPT;
                }
            r->hex = 1;
        }
    }
}

/* @FILE (or standard input, saved to a temporary file first) as a trace of
** one of vmlab replay's formats, when its content says it is one (CSV only
** with --format: "1,2,3" is a reference string).  1 when it is not a
** trace: the caller parses the reference string. */
static int refs_try_trace(const struct policy_opts *o, const char *path, const char *name,
                          struct refs *r)
{
    vml_trace *t = NULL;
    vml_trace_info info;
    char err[512];
    int st;

    int fd = open(path, O_RDONLY);

    if (fd < 0)
        return 1;        /* read_file says why */
    if (vml_trace_open_fd(fd, name, o->format, &t, err, sizeof err) != VML_OK) {
        close(fd);
        if (o->format == VML_TRACE_AUTO)
            return 1;
        fprintf(stderr, "vmlab policy: %s\n", err);
        return EXIT_SCRIPT;
    }
    vml_trace_info_get(t, &info);
    if (o->format == VML_TRACE_AUTO && info.format == VML_TRACE_CSV) {
        vml_trace_close(t);
        close(fd);
        return 1;
    }
    st = refs_from_trace(t, name, o->flags, r);
    vml_trace_close(t);
    close(fd);
    return st;
}

/* Standard input into a temporary file (it is read twice). */
static int save_stdin(char *path, size_t size, vml_text *t)
{
    const char *dir = getenv("TMPDIR");
    int fd, st;

    st = read_file("-", t);
    if (st != 0)
        return st;
    snprintf(path, size, "%s/vmlab-policy-XXXXXX", dir && dir[0] ? dir : "/tmp");
    fd = mkstemp(path);
    if (fd < 0 || write(fd, sb_str(t), t->len) != (ssize_t)t->len) {
        fprintf(stderr, "vmlab policy: cannot save standard input to a temporary file\n");
        if (fd >= 0) {
            close(fd);
            unlink(path);
        }
        return EXIT_SCRIPT;
    }
    close(fd);
    return 0;
}

/* The REFS words: @FILE, -, or the reference string itself. */
static int refs_load(const struct policy_opts *o, struct refs *r)
{
    const char *first = o->words[0];
    struct refs_src src = { NULL, 1 };
    vml_text t = { 0 };
    int st;

    if (first[0] == '@' || strcmp(first, "-") == 0) {
        const char *path = first[0] == '@' ? first + 1 : first;
        if (o->n_words > 1) {
            fprintf(stderr, "vmlab policy: %s must be the only REFS word\n", first);
            return EXIT_SCRIPT;
        }
        if (path[0] == '\0') {
            fprintf(stderr, "vmlab policy: '@' needs a file name (@FILE)\n");
            return EXIT_SCRIPT;
        }
        src.file = strcmp(path, "-") == 0 ? "<stdin>" : path;
        if (strcmp(path, "-") == 0) {
            char tmp[512];
            st = save_stdin(tmp, sizeof tmp, &t);
            if (st == 0) {
                st = refs_try_trace(o, tmp, src.file, r);
                unlink(tmp);
                if (st != 1) {
                    vml_text_free(&t);
                    return st;
                }
                st = 0;
            }
        } else {
            st = refs_try_trace(o, path, path, r);
            if (st != 1) {
                vml_text_free(&t);
                return st;
            }
            st = read_file(path, &t);
        }
    } else {
        for (int i = 0; i < o->n_words; i++) {
            vml_text_append(&t, o->words[i], strlen(o->words[i]));
            vml_text_append(&t, " ", 1);
        }
        st = 0;
        if (t.oom) {
            fprintf(stderr, "vmlab policy: host out of memory\n");
            st = EXIT_SCRIPT;
        }
    }
    if (st == 0)
        st = refs_parse(sb_str(&t), t.len, &src, r);
    vml_text_free(&t);
    return st;
}

/* ---- output ----------------------------------------------------------------- */

static void print_count(FILE *f, uint64_t n, const char *noun)
{
    fprintf(f, "%llu %s%s", (unsigned long long)n, noun, n == 1 ? "" : "s");
}

static void print_page(FILE *f, uint64_t page, int hex)
{
    fprintf(f, hex ? "0x%llx" : "%llu", (unsigned long long)page);
}

static double fault_rate(const vml_policy_result *res)
{
    return res->refs ? 100.0 * (double)res->faults / (double)res->refs : 0.0;
}

static void print_text(FILE *f, vml_policy p, uint64_t frames, const vml_policy_result *res,
                       int hex)
{
    size_t show = res->n_resident < TEXT_MAX_RESIDENT ? res->n_resident : TEXT_MAX_RESIDENT;

    fprintf(f, "%s, ", vml_policy_name(p));
    print_count(f, frames, "frame");
    fputs(", ", f);
    print_count(f, res->refs, "reference");
    fputs(": ", f);
    print_count(f, res->faults, "fault");
    fputs(", ", f);
    print_count(f, res->hits, "hit");
    fputs(", ", f);
    print_count(f, res->evictions, "eviction");
    fputs(", ", f);
    print_count(f, res->writebacks, "write-back");
    if (res->refs > 0)
        fprintf(f, " (fault rate %.1f%%)", fault_rate(res));
    fprintf(f, "\nresident (%zu):", res->n_resident);
    for (size_t i = 0; i < show; i++) {
        fputc(' ', f);
        print_page(f, res->resident[i], hex);
    }
    if (show < res->n_resident)
        fprintf(f, " ... (%zu more)", res->n_resident - show);
    fputc('\n', f);
}

static void print_json_fields(FILE *f, const vml_policy_result *res)
{
    fprintf(f, "\"faults\":%llu,\"hits\":%llu,\"evictions\":%llu,\"writebacks\":%llu,"
               "\"resident\":[",
            (unsigned long long)res->faults, (unsigned long long)res->hits,
            (unsigned long long)res->evictions, (unsigned long long)res->writebacks);
    for (size_t i = 0; i < res->n_resident; i++)
        fprintf(f, "%s%llu", i ? "," : "", (unsigned long long)res->resident[i]);
    fputc(']', f);
}

static void print_json(FILE *f, vml_policy p, uint64_t frames, const vml_policy_result *res)
{
    fprintf(f, "{\"policy\":\"%s\",\"frames\":%llu,\"refs\":%llu,", vml_policy_name(p),
            (unsigned long long)frames, (unsigned long long)res->refs);
    print_json_fields(f, res);
    fputs("}\n", f);
}

/* 0, or the exit status after a message. */
static int simulate(vml_policy p, const struct policy_opts *o, const struct refs *r,
                    vml_policy_result *res)
{
    vml_status st = vml_policy_simulate(p, o->frames, r->v, r->n, res);

    if (st == VML_OK)
        return 0;
    fprintf(stderr, "vmlab policy: %s: %s\n", vml_policy_name(p), vml_strerror(st));
    return st == VML_E_CORRUPT ? EXIT_INTERNAL : EXIT_SCRIPT;
}

static int run_one(const struct policy_opts *o, const struct refs *r)
{
    vml_policy_result res;
    int st = simulate(o->policy, o, r, &res);

    if (st != 0)
        return st;
    if (o->json)
        print_json(stdout, o->policy, o->frames, &res);
    else
        print_text(stdout, o->policy, o->frames, &res, r->hex);
    vml_policy_result_free(&res);
    return 0;
}

/* One line (or JSON element) per policy that runs alone (CLI11).  Every
** simulation runs before the first line is printed. */
static int run_all(const struct policy_opts *o, const struct refs *r)
{
    vml_policy_result res[VML_N_POLICIES] = { { 0 } };
    int ran[VML_N_POLICIES] = { 0 };
    int st = 0, first = 1;

    for (unsigned p = 0; p < VML_N_POLICIES && st == 0; p++) {
        ran[p] = policy_runs_alone((vml_policy)p);
        if (ran[p])
            st = simulate((vml_policy)p, o, r, &res[p]);
    }
    if (st == 0 && o->json) {
        printf("{\"frames\":%llu,\"refs\":%llu,\"policies\":[", (unsigned long long)o->frames,
               (unsigned long long)r->n);
        for (unsigned p = 0; p < VML_N_POLICIES; p++) {
            if (!ran[p])
                continue;
            printf("%s{\"policy\":\"%s\",", first ? "" : ",", vml_policy_name((vml_policy)p));
            print_json_fields(stdout, &res[p]);
            putchar('}');
            first = 0;
        }
        printf("]}\n");
    } else if (st == 0) {
        print_count(stdout, o->frames, "frame");
        fputs(", ", stdout);
        print_count(stdout, r->n, "reference");
        printf("\n%-8s %10s %10s %10s %11s %10s\n", "policy", "faults", "hits", "evictions",
               "write-backs", "fault rate");
        for (unsigned p = 0; p < VML_N_POLICIES; p++)
            if (ran[p])
                printf("%-8s %10llu %10llu %10llu %11llu %9.1f%%\n",
                       vml_policy_name((vml_policy)p), (unsigned long long)res[p].faults,
                       (unsigned long long)res[p].hits, (unsigned long long)res[p].evictions,
                       (unsigned long long)res[p].writebacks, fault_rate(&res[p]));
    }
    for (unsigned p = 0; p < VML_N_POLICIES; p++)
        vml_policy_result_free(&res[p]);
    return st;
}

int cmd_policy(int argc, char **argv)
{
    struct policy_opts o;
    struct refs r = { 0 };
    int st;

    for (int i = 2; i < argc; i++)
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            help_policy(stdout);
            return 0;
        }
    st = policy_opts_parse(argc, argv, &o);
    if (st == 0)
        st = refs_load(&o, &r);
    if (st == 0)
        st = o.policy == POLICY_ALL ? run_all(&o, &r) : run_one(&o, &r);
    free(r.v);
    free(o.words);
    return st;
}
