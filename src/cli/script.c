/*
** script.c -- the scenario interpreter: lines, assignments, expect, echo,
** files, the shell.
**
** A line is one of
**   # comment                       (or empty)
**   $name = VALUE                   an expression's value
**   $name = COMMAND ARGS...         the command's value
**   expect ...                      an assertion (see h_expect)
**   COMMAND ARGS...                 prints its result line or failure line
**
** INVARIANTS:
**   S1  A script error stops the file (run) or the line (shell); the
**       message is "FILE:LINE: error: ..." and the exit status becomes 2.
**   S2  A simulated failure (Win32 error, errno, exception, status) is a
**       result, never a script error: the script goes on.
**   S3  VML_E_CORRUPT is fatal everywhere: "FILE:LINE: internal error:
**       ...", exit status 3.
**   S4  in->status only grows: 0 < EXIT_EXPECT < EXIT_SCRIPT < EXIT_INTERNAL.
*/
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "cli.h"

static void raise_status(struct interp *in, int status)
{
    if (status > in->status)
        in->status = status;
}

/* ------------------------------------------------------------------ */
/* Small handlers that belong to the interpreter                        */

CLI_HANDLER(h_echo)
{
    vml_text b = {0};
    size_t i;
    enum rc rc = RC_OK;

    (void)res;
    for (i = 0; i < argc && rc == RC_OK; i++) {
        if (i > 0)
            vml_text_append(&b, " ", 1);
        rc = expr_interpolate(in, argv[i], &b);
    }
    if (rc == RC_OK && in->quiet == 0)
        fprintf(in->out, "%s\n", sb_str(&b));
    vml_text_free(&b);
    return rc;
}

CLI_HANDLER(h_events)
{
    (void)argc;
    (void)res;
    if (strcmp(argv[0], "on") == 0)
        in->events = 1;
    else if (strcmp(argv[0], "off") == 0)
        in->events = 0;
    else
        return cli_error(in, "events takes on or off, not '%s'", argv[0]);
    events_apply(in);
    return RC_OK;
}

CLI_HANDLER(h_help)
{
    (void)res;
    if (argc == 0) {
        help_overview(in->out);
        return RC_OK;
    }
    if (help_topic(in->out, argv[0]) != 0)
        return cli_error(in, "no help for '%s' (vmlab help lists the commands)", argv[0]);
    return RC_OK;
}

CLI_HANDLER(h_quit)
{
    (void)argc;
    (void)argv;
    (void)res;
    in->done = 1;
    return RC_OK;
}

CLI_HANDLER(h_vars)
{
    size_t i;

    (void)argc;
    (void)argv;
    (void)res;
    for (i = 0; i < in->n_vars && in->quiet == 0; i++) {
        vml_text b = {0};
        sb_value(&b, &in->vars[i].val, 1);
        fprintf(in->out, "$%s = %s\n", in->vars[i].name, sb_str(&b));
        vml_text_free(&b);
    }
    return RC_OK;
}

/* ------------------------------------------------------------------ */
/* expect                                                              */

enum rkind { RK_NTSTATUS, RK_SICODE, RK_AV, RK_WIN32, RK_ERRNO, RK_STATUS };

struct reason {
    enum rkind kind;
    uint64_t   code;
    int        signo;    /* RK_SICODE: SIGSEGV or SIGBUS */
};

static const struct { const char *name; vml_status st; } status_names[] = {
#define X_STATUS(name, value, text) { #name, name },
    VML_STATUS_LIST(X_STATUS)
#undef X_STATUS
};

static int name_is(const char *word, const char *full, const char *prefix)
{
    size_t n = strlen(prefix);

    return strcmp(word, full) == 0 ||
           (strncmp(full, prefix, n) == 0 && strcmp(word, full + n) == 0);
}

static enum rc reason_set(struct reason *r, enum rkind kind, uint64_t code, int signo)
{
    r->kind = kind;
    r->code = code;
    r->signo = signo;
    return RC_OK;
}

/* The REASON of expect ... fails REASON: two bare NTSTATUS names, a
** vmlab status, an exception reason, then the constant table's names
** (ERROR_*, STATUS_*, SEGV_*, BUS_*, errno). */
static enum rc parse_reason(struct interp *in, const char *w, struct reason *r)
{
    size_t i;
    uint64_t v;

    if (strcmp(w, "ACCESS_VIOLATION") == 0)
        return reason_set(r, RK_NTSTATUS, VML_STATUS_ACCESS_VIOLATION, 0);
    if (strcmp(w, "GUARD_PAGE_VIOLATION") == 0)
        return reason_set(r, RK_NTSTATUS, VML_STATUS_GUARD_PAGE_VIOLATION, 0);
    for (i = 0; i < sizeof status_names / sizeof status_names[0]; i++)
        if (status_names[i].st < 0 && name_is(w, status_names[i].name, "VML_E_"))
            return reason_set(r, RK_STATUS, (uint64_t)(int64_t)status_names[i].st, 0);
    for (i = 1; i < VML_N_AV_REASONS; i++)
        if (name_is(w, vml_av_reason_name((vml_av_reason)i), "VML_AV_"))
            return reason_set(r, RK_AV, i, 0);
    if (vml_const_lookup(w, &v) == VML_OK) {
        if (strncmp(w, "ERROR_", 6) == 0)
            return reason_set(r, RK_WIN32, v, 0);
        if (strncmp(w, "STATUS_", 7) == 0)
            return reason_set(r, RK_NTSTATUS, v, 0);
        if (strncmp(w, "SEGV_", 5) == 0)
            return reason_set(r, RK_SICODE, v, VML_SIGSEGV);
        if (strncmp(w, "BUS_", 4) == 0)
            return reason_set(r, RK_SICODE, v, VML_SIGBUS);
        if (w[0] == 'E')
            return reason_set(r, RK_ERRNO, v, 0);
    }
    return cli_error(in, "unknown failure reason '%s' (ACCESS_VIOLATION, GUARD_PAGE_VIOLATION, "
                     "STATUS_IN_PAGE_ERROR, SEGV_MAPERR, SEGV_ACCERR, BUS_ADRERR, an ERROR_* or "
                     "errno name, or a status like NOT_PRESENT)", w);
}

static int reason_matches(const struct reason *r, const struct result *res)
{
    switch (r->kind) {
    case RK_NTSTATUS:
        return res->fail == FAIL_EXCEPTION && res->ex.ntstatus == r->code;
    case RK_SICODE:
        return res->fail == FAIL_EXCEPTION && res->ex.signo == r->signo &&
               (uint64_t)(int64_t)res->ex.si_code == r->code;
    case RK_AV:
        return res->fail == FAIL_EXCEPTION && (uint64_t)res->ex.reason == r->code;
    case RK_WIN32:
        return res->fail == FAIL_WIN32 && res->win32 == r->code;
    case RK_ERRNO:
        return res->fail == FAIL_ERRNO && (uint64_t)(int64_t)res->err == r->code;
    case RK_STATUS:
        return res->fail == FAIL_STATUS && (uint64_t)(int64_t)res->st == r->code;
    }
    return 0;
}

static int is_op(const char *w)
{
    return strcmp(w, "==") == 0 || strcmp(w, "!=") == 0 || strcmp(w, "<") == 0 ||
           strcmp(w, "<=") == 0 || strcmp(w, ">") == 0 || strcmp(w, ">=") == 0;
}

static int all_digits(const char *w)
{
    if (*w == '\0')
        return 0;
    for (; *w != '\0'; w++)
        if (*w < '0' || *w > '9')
            return 0;
    return 1;
}

static int is_ident(const char *w)
{
    if (!is_ident_start((unsigned char)*w))
        return 0;
    for (; *w != '\0'; w++)
        if (!is_ident_char((unsigned char)*w))
            return 0;
    return 1;
}

/* a OP b: 1 holds, 0 does not, -1 cannot compare (string vs number). */
static int compare(const struct value *a, const char *op, const struct value *b)
{
    int c;

    if (a->kind != b->kind || a->kind == VAL_NONE)
        return -1;
    if (a->kind == VAL_NUM) {
        c = a->num < b->num ? -1 : a->num > b->num;
    } else {
        size_t n = a->len < b->len ? a->len : b->len;
        c = n ? memcmp(a->str, b->str, n) : 0;
        if (c == 0)
            c = a->len < b->len ? -1 : a->len > b->len;
    }
    if (strcmp(op, "==") == 0) return c == 0;
    if (strcmp(op, "!=") == 0) return c != 0;
    if (strcmp(op, "<") == 0)  return c < 0;
    if (strcmp(op, "<=") == 0) return c <= 0;
    if (strcmp(op, ">") == 0)  return c > 0;
    return c >= 0;
}

static void describe_got(vml_text *b, const struct result *r, int decimal)
{
    if (r->fail != FAIL_NONE) {
        sb_failure(b, r);
        return;
    }
    if (r->val.kind == VAL_NONE) {
        vml_text_printf(b, "success");
        return;
    }
    sb_value(b, &r->val, 1);
    if (r->val.kind == VAL_NUM && decimal && r->val.num >= 10)
        vml_text_printf(b, " (%llu)", (unsigned long long)r->val.num);
    else if (r->note[0] != '\0')
        vml_text_printf(b, " (%s)", r->note);
}

static void print_at(struct interp *in, const char *kind, const char *msg);

static void expect_failed(struct interp *in, const vml_text *want, const vml_text *got)
{
    vml_text b = {0};

    vml_text_printf(&b, "expected %s, got %s", sb_str(want), sb_str(got));
    print_at(in, "expect failed", sb_str(&b));
    vml_text_free(&b);
    raise_status(in, EXIT_EXPECT);
}

CLI_HANDLER(h_expect)
{
    enum { M_SUCCEED, M_CMP, M_FAILS } mode = M_SUCCEED;
    size_t nbody = argc;
    const char *op = NULL, *want_word = NULL;
    struct reason reason = { RK_NTSTATUS, 0, 0 };
    int has_reason = 0, held, decimal;
    struct value want = {0};
    struct result got;
    vml_text wb = {0}, gb = {0};
    const struct cmd *c;
    enum rc rc;

    (void)res;
    if (strcmp(argv[argc - 1], "fails") == 0) {
        mode = M_FAILS;
        nbody = argc - 1;
    } else if (argc >= 2 && strcmp(argv[argc - 2], "fails") == 0) {
        mode = M_FAILS;
        has_reason = 1;
        nbody = argc - 2;
    } else if (argc >= 3 && is_op(argv[argc - 2])) {
        mode = M_CMP;
        op = argv[argc - 2];
        want_word = argv[argc - 1];
        nbody = argc - 2;
    } else if (is_op(argv[argc - 1])) {
        return cli_error(in, "expect: a VALUE must follow '%s'", argv[argc - 1]);
    }
    if (nbody == 0)
        return cli_error(in, "expect needs a COMMAND or an (EXPRESSION) first");
    if (has_reason && parse_reason(in, argv[argc - 1], &reason) != RC_OK)
        return RC_ERROR;
    if (want_word != NULL && arg_value(in, want_word, &want) != RC_OK)
        return RC_ERROR;

    memset(&got, 0, sizeof got);
    c = cmd_find(argv[0]);
    if (c != NULL) {
        if (c->fn == h_expect || c->fn == h_quit || c->fn == h_machine || c->fn == h_source) {
            value_free(&want);
            return cli_error(in, "expect cannot run '%s'", argv[0]);
        }
        if (mode == M_CMP && !(c->flags & CMD_VALUE)) {
            value_free(&want);
            return cli_error(in, "%s gives no value to compare (expect %s ... fails, or "
                             "expect %s ... alone for success)", c->name, c->name, c->name);
        }
        in->quiet++;
        rc = cmd_run(in, c, nbody - 1, argv + 1, &got);
        in->quiet--;
    } else {
        if (nbody > 1)
            rc = is_ident(argv[0]) ? cli_error(in, "unknown command '%s'", argv[0])
                 : cli_error(in, "expect (EXPRESSION) takes one expression: put it in "
                             "parentheses");
        else if (mode == M_FAILS)
            rc = cli_error(in, "an expression cannot fail: 'fails' needs a command");
        else
            rc = arg_value(in, argv[0], &got.val);
    }
    if (rc != RC_OK) {
        value_free(&want);
        result_reset(&got);
        return rc;
    }

    decimal = want_word != NULL && all_digits(want_word);
    switch (mode) {
    case M_SUCCEED:
        held = got.fail == FAIL_NONE &&
               (c != NULL || (got.val.kind == VAL_NUM ? got.val.num != 0 : got.val.len != 0));
        vml_text_printf(&wb, c != NULL ? "success" : "a non-zero value");
        break;
    case M_FAILS:
        held = got.fail != FAIL_NONE && (!has_reason || reason_matches(&reason, &got));
        vml_text_printf(&wb, "failure%s%s", has_reason ? " " : "", has_reason ? argv[argc - 1] : "");
        break;
    case M_CMP:
    default:
        if (got.fail != FAIL_NONE) {
            held = 0;
        } else if (got.val.kind == VAL_NONE) {
            held = 0;
        } else {
            held = compare(&got.val, op, &want);
            if (held < 0) {
                rc = cli_error(in, "expect: cannot compare a %s with a %s",
                               got.val.kind == VAL_STR ? "string" : "number",
                               want.kind == VAL_STR ? "string" : "number");
                break;
            }
        }
        if (strcmp(op, "==") != 0)
            vml_text_printf(&wb, "%s ", op);
        sb_value(&wb, &want, 1);
        if (want.kind == VAL_NUM && is_ident(want_word))
            vml_text_printf(&wb, " (%s)", want_word);
        else if (want.kind == VAL_NUM && decimal && want.num >= 10)
            vml_text_printf(&wb, " (%llu)", (unsigned long long)want.num);
        break;
    }
    if (rc == RC_OK && !held) {
        describe_got(&gb, &got, decimal);
        expect_failed(in, &wb, &gb);
    }
    vml_text_free(&wb);
    vml_text_free(&gb);
    value_free(&want);
    result_reset(&got);
    return rc;
}

/* ------------------------------------------------------------------ */
/* Lines                                                               */

/* Edit distance, for "did you mean"; words are short (capped by callers). */
static size_t distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b), i, j;
    size_t row[48];

    if (la >= 47 || lb >= 47)
        return 99;
    for (j = 0; j <= lb; j++)
        row[j] = j;
    for (i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t best = diag + ((a[i - 1] | 0x20) == (b[j - 1] | 0x20) ? 0 : 1);
            if (up + 1 < best)
                best = up + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

static enum rc unknown_command(struct interp *in, const char *w)
{
    const char *best = NULL;
    size_t i, best_d = 3;

    for (i = 0; i < cmd_count(); i++) {
        size_t d = distance(w, cmd_at(i)->name);
        if (d < best_d) {
            best_d = d;
            best = cmd_at(i)->name;
        }
    }
    if (best != NULL)
        return cli_error(in, "unknown command '%s' (did you mean '%s'?)", w, best);
    return cli_error(in, "unknown command '%s' (vmlab help lists the commands)", w);
}

static enum rc run_assign(struct interp *in, const struct words *ws)
{
    const char *name = ws->w[0] + 1;
    const struct cmd *c;
    struct result res;
    enum rc rc;

    if (!is_ident(name))
        return cli_error(in, "bad variable name '%s' ($ then letters, digits, _)", ws->w[0]);
    if (ws->n < 2 || strcmp(ws->w[1], "=") != 0)
        return cli_error(in, "expected '=' after %s ($name = VALUE or $name = COMMAND ...)",
                         ws->w[0]);
    if (ws->n < 3)
        return cli_error(in, "expected a value or a command after '%s ='", ws->w[0]);
    memset(&res, 0, sizeof res);
    c = cmd_find(ws->w[2]);
    if (c == NULL) {
        if (ws->n > 3)
            return is_ident(ws->w[2]) ? unknown_command(in, ws->w[2])
                   : cli_error(in, "expected one value after '%s =' (put an expression with "
                               "blanks in parentheses)", ws->w[0]);
        rc = expr_eval(in, ws->w[2], &res.val);
    } else {
        if (!(c->flags & CMD_VALUE))
            return cli_error(in, "%s gives no value to assign", c->name);
        rc = cmd_run(in, c, ws->n - 3, ws->w + 3, &res);
        if (rc == RC_OK && res.fail != FAIL_NONE) {
            cmd_print_result(in, c, &res);    /* the variable is left as it was */
            result_reset(&res);
            return RC_OK;
        }
        if (rc == RC_OK && res.val.kind == VAL_NONE)
            rc = cli_error(in, "%s gives no value here (VirtualQuery needs a FIELD)", c->name);
    }
    if (rc == RC_OK && var_set(in, name, strlen(name), &res.val) != 0)
        rc = cli_error(in, "out of memory");
    result_reset(&res);
    return rc;
}

enum rc script_line(struct interp *in, const char *line)
{
    struct words ws = {0};
    struct result res;
    const struct cmd *c;
    enum rc rc;

    memset(&res, 0, sizeof res);
    rc = words_split(in, line, &ws);
    if (rc != RC_OK || ws.n == 0) {
        words_free(&ws);
        return rc;
    }
    if (in->trace && strcmp(ws.w[0], "echo") != 0) {
        size_t len = strlen(line);
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            len--;
        fprintf(in->out, "vmlab> %.*s\n", (int)len, line);
    }
    if (ws.w[0][0] == '$') {
        rc = run_assign(in, &ws);
    } else if ((c = cmd_find(ws.w[0])) == NULL) {
        rc = unknown_command(in, ws.w[0]);
    } else {
        rc = cmd_run(in, c, ws.n - 1, ws.w + 1, &res);
        if (rc == RC_OK)
            cmd_print_result(in, c, &res);
    }
    result_reset(&res);
    words_free(&ws);
    return rc;
}

/* ------------------------------------------------------------------ */
/* Where a line runs: the context after an error                       */

/* Appends " (in the repeat block of line 5, pass 2 of 3, sourced from
** main.vms:4)": every block, call and source around the line, innermost
** first. */
#define CTX_SHOWN 4     /* the innermost ones; then "and N more" */

static void sb_context(vml_text *b, const struct interp *in)
{
    size_t i;

    for (i = in->n_ctx; i-- > 0;) {
        const struct ctx *c = &in->ctx[i];
        if (in->n_ctx - i > CTX_SHOWN) {
            vml_text_printf(b, ", and %zu more", i + 1);
            break;
        }
        vml_text_append(b, i + 1 == in->n_ctx ? " (" : ", ", 2);
        switch (c->kind) {
        case CTX_SOURCE:
            vml_text_printf(b, "sourced from %s:%u", c->file, c->line);
            break;
        case CTX_REPEAT:
            vml_text_printf(b, "in the repeat block of line %u, pass %llu of %llu", c->line,
                            (unsigned long long)c->pass, (unsigned long long)c->passes);
            break;
        case CTX_FOR:
            vml_text_printf(b, "in the for block of line %u, $%s = %llu", c->line, c->name,
                            (unsigned long long)c->pass);
            break;
        case CTX_IF:
            vml_text_printf(b, "in the if block of line %u", c->line);
            break;
        case CTX_CALL:
            vml_text_printf(b, "in %s, called from %s:%u", c->name, c->file, c->line);
            break;
        }
    }
    if (in->n_ctx > 0)
        vml_text_append(b, ")", 1);
}

/* "FILE:LINE: KIND: MSG (context)" on errout. */
static void print_at(struct interp *in, const char *kind, const char *msg)
{
    vml_text b = {0};

    vml_text_printf(&b, "%s:%u: %s: %s", in->file, in->line, kind, msg);
    sb_context(&b, in);
    fflush(in->out);
    fprintf(in->errout, "%s\n", sb_str(&b));
    fflush(in->errout);
    vml_text_free(&b);
}

/* Reports a line's outcome; 1 when the run must stop. */
static int report(struct interp *in, enum rc rc)
{
    switch (rc) {
    case RC_OK:
        return in->done;
    case RC_FATAL:
        print_at(in, "internal error", sb_str(&in->err));
        raise_status(in, EXIT_INTERNAL);
        return 1;
    case RC_STOP:                  /* printed where it happened */
        raise_status(in, EXIT_SCRIPT);
        return !in->interactive;
    case RC_ERROR:
    default:
        print_at(in, "error", sb_str(&in->err));
        raise_status(in, EXIT_SCRIPT);
        return !in->interactive;
    }
}

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

int script_input(struct interp *in, const char *line)
{
    return report(in, script_line(in, line));
}

int script_input_end(struct interp *in)
{
    if (in->terminal && in->status < EXIT_INTERNAL)
        return 0;                 /* a typo at the keyboard is not a failure */
    return in->status;
}

/* Blocks of the script language (script_input collects them). */
const char *const script_keywords[] = { NULL };

int script_pending(const struct interp *in)
{
    (void)in;
    return 0;
}

void script_cancel(struct interp *in)
{
    (void)in;
}

size_t script_def_count(const struct interp *in)
{
    (void)in;
    return 0;
}

const char *script_def_name(const struct interp *in, size_t i)
{
    (void)in;
    (void)i;
    return NULL;
}

/* One line read from a stream: the NUL check and the byte-order mark. */
static int stream_line(struct interp *in, const char *line, size_t n)
{
    if (strlen(line) != n)
        return report(in, cli_error(in, "the line contains a NUL byte"));
    if (in->line == 1 && strncmp(line, "\xEF\xBB\xBF", 3) == 0)
        line += 3;                            /* a UTF-8 byte-order mark */
    return script_input(in, line);
}

void script_stream(struct interp *in, FILE *f)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;

    while ((n = getline(&line, &cap, f)) >= 0) {
        in->line++;
        if (stream_line(in, line, (size_t)n))
            break;
        fflush(in->out);
    }
    free(line);
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
    struct interp in;
    FILE *f;
    int status;

    interp_init(&in, out, errout);
    if (strcmp(path, "-") == 0) {
        f = stdin;
    } else {
        vml_text why = {0};
        f = open_script(path, &why);
        if (f == NULL) {
            fprintf(errout, "vmlab: %s\n", sb_str(&why));
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
        raise_status(&in, EXIT_SCRIPT);
    }
    if (f != stdin)
        fclose(f);
    status = script_input_end(&in);
    fflush(out);
    interp_free(&in);
    return status;
}

int script_run_buffer(const char *name, const char *buf, size_t len, FILE *out, FILE *errout)
{
    struct interp in;
    vml_text line = {0};
    size_t i = 0;
    int status;

    interp_init(&in, out, errout);
    in.file = name;
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
    FILE *f;
    enum rc rc = RC_OK;

    (void)argc;
    (void)res;
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
    script_stream(in, f);
    if (ferror(f))
        rc = cli_error(in, "error reading '%s'", name);
    else if (in->status >= EXIT_SCRIPT && !in->done)
        rc = RC_STOP;               /* reported with the file's own line */
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
