/*
** script.c -- the scenario interpreter: lines, assignments, the small
** commands of the interpreter, and how an error is reported (its place and
** the blocks, calls and sourced files around it).  Input is in input.c,
** blocks in block.c, expect in expect.c.
**
** A line is one of
**   # comment                       (or empty)
**   $name = VALUE                   an expression's value
**   $name = COMMAND ARGS...         the command's value
**   expect ...                      an assertion (see h_expect)
**   COMMAND ARGS...                 prints its result line or failure line
**
** INVARIANTS:
**   SCR1  A script error stops the file (run) or the line (shell); the
**       message is "FILE:LINE: error: ..." and the exit status becomes 2.
**   SCR2  A simulated failure (Win32 error, errno, exception, status) is a
**       result, never a script error: the script goes on.
**   SCR3  VML_E_CORRUPT is fatal everywhere: "FILE:LINE: internal error:
**       ...", exit status 3.
**   SCR4  in->status only grows: 0 < EXIT_EXPECT < EXIT_SCRIPT < EXIT_INTERNAL.
*/
#include <stdlib.h>
#include <string.h>

#include "cli.h"

void script_raise_status(struct interp *in, int status)
{
    if (status > in->status)
        in->status = status;
}

/* ------------------------------------------------------------------ */
/* Small handlers that belong to the interpreter                        */

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
/* Lines                                                               */

static enum rc unknown_command(struct interp *in, const char *w)
{
    const char *best = NULL;
    size_t i, best_d = 3;

    for (i = 0; i < cmd_count(); i++) {
        size_t d = cli_distance(w, cmd_at(i)->name);
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

    if (!is_ident_word(name))
        return cli_error(in, "bad variable name '%s' ($ then letters, digits, _)", ws->w[0]);
    if (ws->n < 2 || strcmp(ws->w[1], "=") != 0)
        return cli_error(in, "expected '=' after %s ($name = VALUE or $name = COMMAND ...)",
                         ws->w[0]);
    if (ws->n < 3)
        return cli_error(in, "expected a value or a command after '%s ='", ws->w[0]);
    memset(&res, 0, sizeof res);
    c = cmd_find(ws->w[2]);
    if (c == NULL && script_def_find(in, ws->w[2]))
        return cli_error(in, "%s is a def: it gives no value to assign", ws->w[2]);
    if (c == NULL) {
        if (ws->n > 3)
            return is_ident_word(ws->w[2]) ? unknown_command(in, ws->w[2])
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
        if (!script_call(in, ws.w[0], ws.n - 1, ws.w + 1, &rc))
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
void script_print_at(struct interp *in, const char *kind, const char *msg)
{
    vml_text b = {0};

    sb_escaped(&b, in->file, strlen(in->file));      /* a file name may hold anything */
    vml_text_printf(&b, ":%u: %s: %s", in->line, kind, msg);
    sb_context(&b, in);
    fflush(in->out);
    fprintf(in->errout, "%s\n", sb_str(&b));
    fflush(in->errout);
    vml_text_free(&b);
}

/* Reports a line's outcome; 1 when the run must stop. */
int script_report(struct interp *in, enum rc rc)
{
    switch (rc) {
    case RC_OK:
        return in->done;
    case RC_FATAL:
        script_print_at(in, "internal error", sb_str(&in->err));
        script_raise_status(in, EXIT_INTERNAL);
        return 1;
    case RC_STOP:                  /* printed where it happened */
        script_raise_status(in, EXIT_SCRIPT);
        return !in->interactive || in->status == EXIT_INTERNAL;
    case RC_ERROR:
    default:
        script_print_at(in, "error", sb_str(&in->err));
        script_raise_status(in, EXIT_SCRIPT);
        return !in->interactive;
    }
}

