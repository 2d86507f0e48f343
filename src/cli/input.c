/*
** input.c -- where lines come from: files (vmlab run), stdin, a buffer
** (the fuzz target), the tour's array, the shell; and source FILE, which
** runs a file inside the session.
*/
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "cli.h"

/* ------------------------------------------------------------------ */
/* Input: lines of a file, a buffer, an array, the shell               */

const char *interp_keep(struct interp *in, const char *s)
{
    char **nn = realloc(in->names, (in->n_names + 1) * sizeof *nn);
    char *copy;

    if (nn == NULL)
        return NULL;
    in->names = nn;
    copy = strdup(s);
    if (copy == NULL)
        return NULL;
    in->names[in->n_names++] = copy;
    return copy;
}

/* One line read from a stream: the NUL check and the byte-order mark. */
static int stream_line(struct interp *in, const char *line, size_t n)
{
    if (strlen(line) != n)
        return script_report(in, cli_error(in, "the line contains a NUL byte"));
    if (in->line == 1 && strncmp(line, "\xEF\xBB\xBF", 3) == 0)
        line += 3;                            /* a UTF-8 byte-order mark */
    return script_input(in, line);
}

#define LINE_MAX_BYTES (1u << 20)   /* a longer line is not a script */

/* The next line of f into *buf (with its newline, NUL-terminated): its
** length, -1 at the end, -2 when it is longer than LINE_MAX_BYTES (the
** rest of it is not read: `vmlab run /dev/zero` stops, not the host). */
static ssize_t read_line(FILE *f, vml_text *buf)
{
    int c;

    buf->len = 0;
    if (buf->s != NULL)
        buf->s[0] = '\0';
    while ((c = getc(f)) != EOF) {
        char ch = (char)c;
        if (buf->len >= LINE_MAX_BYTES)
            return -2;
        vml_text_append(buf, &ch, 1);
        if (buf->oom)
            return -2;
        if (c == '\n')
            break;
    }
    if (c == EOF && buf->len == 0)
        return -1;
    return (ssize_t)buf->len;
}

void script_stream(struct interp *in, FILE *f)
{
    vml_text line = {0};
    ssize_t n;

    while ((n = read_line(f, &line)) >= 0 || n == -2) {
        in->line++;
        if (n == -2) {
            script_report(in, cli_error(in, "the line is longer than %u bytes (is this a "
                                        "script?)", LINE_MAX_BYTES));
            if (!in->interactive || in->terminal)
                break;
            while ((n = getc(f)) != EOF && n != '\n')
                ;                              /* skip the rest of it */
            if (n == EOF)
                break;
            continue;
        }
        if (stream_line(in, sb_str(&line), (size_t)n))
            break;
        fflush(in->out);
    }
    vml_text_free(&line);
}

/* A heap copy of the directory of path ("." when it has none). */
static const char *dir_of(struct interp *in, const char *path)
{
    const char *slash = strrchr(path, '/');
    char *d;
    const char *kept;

    if (slash == NULL)
        return NULL;
    d = strndup(path, slash == path ? 1 : (size_t)(slash - path));
    if (d == NULL)
        return NULL;
    kept = interp_keep(in, d);
    free(d);
    return kept;
}

/* fopen for reading, with the messages a user needs: a directory is not a
** script, a missing file names the path. */
static FILE *open_script(const char *path, vml_text *why)
{
    struct stat sb;
    FILE *f;

    if (stat(path, &sb) == 0 && S_ISDIR(sb.st_mode)) {
        vml_text_printf(why, "'%s' is a directory, not a script file", path);
        return NULL;
    }
    f = fopen(path, "r");
    if (f == NULL)
        vml_text_printf(why, "cannot open '%s': %s", path, strerror(errno));
    return f;
}

int script_run_file(const char *path, FILE *out, FILE *errout)
{
    return script_run_file_hooked(path, out, errout, NULL);
}

int script_run_file_hooked(const char *path, FILE *out, FILE *errout,
                           const struct run_hooks *hooks)
{
    struct interp in;
    FILE *f;
    int status;

    interp_init(&in, out, errout);
    if (hooks != NULL && hooks->before != NULL)
        hooks->before(&in, hooks->ctx);
    if (strcmp(path, "-") == 0) {
        f = stdin;
    } else {
        vml_text why = {0};
        f = open_script(path, &why);
        if (f == NULL) {
            vml_text shown = {0};
            sb_escaped(&shown, sb_str(&why), why.len);
            fprintf(errout, "vmlab: %s\n", sb_str(&shown));
            vml_text_free(&shown);
            vml_text_free(&why);
            interp_free(&in);
            return EXIT_SCRIPT;
        }
        in.srcdir = dir_of(&in, path);
    }
    in.file = path;
    script_stream(&in, f);
    if (f != stdin && ferror(f)) {
        fprintf(errout, "vmlab: error reading '%s'\n", path);
        script_raise_status(&in, EXIT_SCRIPT);
    }
    if (f != stdin)
        fclose(f);
    status = script_input_end(&in);
    if (hooks != NULL && hooks->after != NULL && status != EXIT_INTERNAL) {
        int st = hooks->after(&in, hooks->ctx);
        if (st > status)
            status = st;
    }
    fflush(out);
    interp_free(&in);
    return status;
}

int script_run_buffer(const char *name, const char *buf, size_t len, FILE *out, FILE *errout,
                      const struct run_limits *lim)
{
    struct interp in;
    vml_text line = {0};
    size_t i = 0;
    int status;

    interp_init(&in, out, errout);
    in.file = name;
    if (lim != NULL) {
        in.max_steps = lim->max_steps;
        in.max_ram = lim->max_ram;
        in.sandbox = lim->sandbox;
    }
    while (i < len && !in.done) {
        size_t end = i;
        int stop;
        while (end < len && buf[end] != '\n')
            end++;
        line.len = 0;
        vml_text_append(&line, buf + i, end - i);
        if (line.oom)
            break;
        in.line++;
        stop = stream_line(&in, sb_str(&line), end - i);
        i = end + 1;
        if (stop)
            break;
    }
    vml_text_free(&line);
    status = script_input_end(&in);
    fflush(out);
    interp_free(&in);
    return status;
}

int script_run_lines(const char *name, const char *const *lines, size_t n,
                     int trace, FILE *out, FILE *errout)
{
    struct interp in;
    size_t i;
    int status;

    interp_init(&in, out, errout);
    in.file = name;
    in.trace = trace;
    for (i = 0; i < n; i++) {
        in.line = (unsigned)(i + 1);
        if (script_input(&in, lines[i]))
            break;
        fflush(out);
    }
    status = script_input_end(&in);
    fflush(out);
    interp_free(&in);
    return status;
}

/* `vmlab shell`: on a terminal, the line editor (shell.c); otherwise the
** lines of stdin, as `vmlab run -` reads them but going on after errors. */
int script_shell(FILE *f, FILE *out, FILE *errout)
{
    struct interp in;
    int status;

    interp_init(&in, out, errout);
    in.file = "<stdin>";
    in.interactive = 1;
    if (isatty(fileno(f)) && isatty(fileno(out)) && f == stdin) {
        status = shell_interactive(&in);
    } else {
        script_stream(&in, f);
        status = script_input_end(&in);
    }
    fflush(out);
    interp_free(&in);
    return status;
}

/* ------------------------------------------------------------------ */
/* source FILE                                                         */

#define SOURCE_MAX_DEPTH 16

/* The path of source's argument: a "string", a $variable or (expression)
** holding one, or the word as typed. */
static enum rc source_path(struct interp *in, const char *word, vml_text *path)
{
    struct value v = {0};
    const char *p;

    if (word[0] == '"' || word[0] == '$' || word[0] == '(') {
        if (expr_eval(in, word, &v) != RC_OK)
            return RC_ERROR;
        if (v.kind != VAL_STR || memchr(v.str, '\0', v.len) != NULL) {
            value_free(&v);
            return cli_error(in, "source needs a file name, not a number ('%s')", word);
        }
        p = v.str;
    } else {
        p = word;
    }
    if (p[0] != '/' && in->srcdir != NULL)
        vml_text_printf(path, "%s/", in->srcdir);
    vml_text_printf(path, "%s", p);
    value_free(&v);
    return path->oom ? cli_error(in, "out of memory") : RC_OK;
}

CLI_HANDLER(h_source)
{
    vml_text path = {0}, why = {0};
    const char *saved_file = in->file, *saved_dir = in->srcdir, *name;
    unsigned saved_line = in->line;
    int saved_interactive = in->interactive, saved_status;
    struct src_line *saved_collected;
    size_t saved_n;
    unsigned saved_depth;
    FILE *f;
    enum rc rc = RC_OK;

    (void)argc;
    (void)res;
    if (in->sandbox)
        return cli_error(in, "source is not allowed in this run (no host files)");
    if (in->n_sources >= SOURCE_MAX_DEPTH || in->n_ctx >= CTX_MAX)
        return cli_error(in, "source nested too deeply (%d files: does a file source "
                         "itself?)", SOURCE_MAX_DEPTH);
    if (source_path(in, argv[0], &path) != RC_OK)
        return RC_ERROR;
    f = open_script(sb_str(&path), &why);
    if (f == NULL) {
        rc = cli_error(in, "%s", sb_str(&why));
        goto out;
    }
    name = interp_keep(in, sb_str(&path));
    if (name == NULL) {
        fclose(f);
        rc = cli_error(in, "out of memory");
        goto out;
    }
    in->ctx[in->n_ctx++] = (struct ctx){ CTX_SOURCE, saved_file, saved_line, NULL, 0, 0 };
    in->n_sources++;
    in->file = name;
    in->srcdir = dir_of(in, name);
    in->line = 0;
    in->interactive = 0;            /* an error stops the sourced file */
    saved_status = in->status;
    in->status = 0;
    saved_collected = in->collected;          /* the file's blocks are its own */
    saved_n = in->n_collected;
    saved_depth = in->collect_depth;
    in->collected = NULL;
    in->n_collected = 0;
    in->collect_depth = 0;
    script_stream(in, f);
    if (!in->done && in->status < EXIT_SCRIPT)
        script_input_end(in);                 /* a block without its end */
    script_cancel(in);
    in->collected = saved_collected;
    in->n_collected = saved_n;
    in->collect_depth = saved_depth;
    if (ferror(f))
        rc = cli_error(in, "error reading '%s'", name);
    else if (in->status >= EXIT_SCRIPT && !in->done)
        rc = RC_STOP;               /* reported with the file's own line */
    in->done = 0;                   /* quit ends the sourced file only */
    fclose(f);
    if (in->status < saved_status)
        in->status = saved_status;
    in->n_ctx--;
    in->n_sources--;
    in->file = saved_file;
    in->srcdir = saved_dir;
    in->line = saved_line;
    in->interactive = saved_interactive;
    if (in->status == EXIT_INTERNAL)
        rc = RC_STOP;
out:
    vml_text_free(&path);
    vml_text_free(&why);
    return rc;
}
