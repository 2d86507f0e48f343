/*
** def.c -- the commands that def defines: def NAME [$a $b ...] ... end.
**
** A def keeps a copy of its body.  A call binds the parameters (each
** argument an expression, or a bare name that is no constant, passed as a
** string: a process name), runs the body with the call on the context
** stack, and gives the parameters their previous values back (or removes
** them); every other variable is global.
**
** INVARIANTS:
**   SCR9   (with block.c) Calls nest at most DEF_MAX_DEPTH deep.
**   SCR10  A running def's body stays alive when the def is redefined
**          (refs counts the table's reference and every running call).
*/
#include <stdlib.h>
#include <string.h>

#include "block.h"

#define DEF_MAX_DEPTH 64

struct def {
    char        *name;
    char       **params;        /* without the '$' */
    size_t       n_params;
    struct node *body;
    size_t       n_body;
    const char  *file;          /* kept by interp_keep */
    unsigned     line;
    unsigned     refs;          /* SCR10 */
};


static void def_release(struct def *d)
{
    size_t i;

    if (--d->refs > 0)
        return;
    free(d->name);
    for (i = 0; i < d->n_params; i++)
        free(d->params[i]);
    free(d->params);
    nodes_free(d->body, d->n_body);
    free(d);
}

static struct def *def_find(const struct interp *in, const char *name)
{
    size_t i;

    for (i = 0; i < in->n_defs; i++)
        if (strcmp(in->defs[i]->name, name) == 0)
            return in->defs[i];
    return NULL;
}

/* Runs a def node: the command is (re)defined. */
enum rc exec_def(struct interp *in, const struct node *nd)
{
    struct def *d = calloc(1, sizeof *d), *old;
    struct def **nv;
    size_t i;

    if (d == NULL)
        return block_stop_here(in, cli_error(in, "out of memory"));
    d->refs = 1;
    d->line = nd->line;
    d->file = interp_keep(in, in->file);
    d->name = strdup(nd->ws.w[1]);
    d->n_params = nd->ws.n - 2;
    d->params = calloc(d->n_params ? d->n_params : 1, sizeof *d->params);
    if (d->file == NULL || d->name == NULL || d->params == NULL)
        goto oom;
    for (i = 0; i < d->n_params; i++)
        if ((d->params[i] = strdup(nd->ws.w[i + 2] + 1)) == NULL)
            goto oom;
    if (nodes_copy(in, nd->body, nd->n_body, &d->body, &d->n_body) != RC_OK)
        goto fail;
    old = def_find(in, d->name);
    if (old != NULL) {
        for (i = 0; in->defs[i] != old; i++)
            ;
        in->defs[i] = d;
        def_release(old);
        return RC_OK;
    }
    nv = realloc(in->defs, (in->n_defs + 1) * sizeof *nv);
    if (nv == NULL)
        goto oom;
    in->defs = nv;
    in->defs[in->n_defs++] = d;
    return RC_OK;
oom:
    cli_error(in, "out of memory");
fail:
    def_release(d);
    return block_stop_here(in, RC_ERROR);
}

/* A call's argument: an expression, or a bare name that is no constant (a
** process name) as a string. */
static enum rc call_arg(struct interp *in, const char *word, struct value *out)
{
    uint64_t v;

    if (is_ident_word(word) && vml_const_lookup(word, &v) != VML_OK)
        return value_set_str(out, word, strlen(word)) == 0 ? RC_OK
               : cli_error(in, "out of memory");
    return expr_eval(in, word, out);
}

struct saved_var {
    int          had;
    struct value v;
};

static enum rc def_call(struct interp *in, struct def *d, size_t argc, char **argv)
{
    struct value *args;
    struct saved_var *saved;
    const char *caller_file = in->file;
    unsigned caller_line = in->line;
    size_t i;
    enum rc rc = RC_OK;

    if (argc != d->n_params) {
        vml_text b = {0};
        for (i = 0; i < d->n_params; i++)
            vml_text_printf(&b, " $%s", d->params[i]);
        rc = cli_error(in, "%s takes %zu argument%s%s%s, not %zu", d->name, d->n_params,
                       d->n_params == 1 ? "" : "s", d->n_params ? ":" : "", sb_str(&b), argc);
        vml_text_free(&b);
        return rc;
    }
    if (in->call_depth >= DEF_MAX_DEPTH)
        return cli_error(in, "%s: calls nested %d deep (a def that calls itself without "
                         "end?)", d->name, DEF_MAX_DEPTH);
    args = calloc(argc + 1, sizeof *args);
    saved = calloc(argc + 1, sizeof *saved);
    if (args == NULL || saved == NULL) {
        free(args);
        free(saved);
        return cli_error(in, "out of memory");
    }
    for (i = 0; i < argc; i++)
        saved[i].had = -1;               /* not bound yet */
    for (i = 0; i < argc && rc == RC_OK; i++)
        rc = call_arg(in, argv[i], &args[i]);
    for (i = 0; i < argc && rc == RC_OK; i++) {
        const struct value *old = var_get(in, d->params[i], strlen(d->params[i]));
        if ((old != NULL && value_copy(&saved[i].v, old) != 0) ||
            var_set(in, d->params[i], strlen(d->params[i]), &args[i]) != 0)
            rc = cli_error(in, "out of memory");
        else
            saved[i].had = old != NULL;
    }
    if (rc == RC_OK)
        rc = block_ctx_push(in, (struct ctx){ CTX_CALL, caller_file, caller_line, d->name, 0, 0 });
    if (rc == RC_OK) {
        d->refs++;
        in->call_depth++;
        in->file = d->file;
        rc = exec_seq(in, d->body, d->n_body);
        in->file = caller_file;
        in->line = caller_line;
        in->call_depth--;
        in->n_ctx--;
        def_release(d);
    }
    for (i = argc; i-- > 0;) {
        if (saved[i].had == 1)
            var_set(in, d->params[i], strlen(d->params[i]), &saved[i].v);
        else if (saved[i].had == 0)
            var_unset(in, d->params[i], strlen(d->params[i]));
        value_free(&saved[i].v);
        value_free(&args[i]);
    }
    free(args);
    free(saved);
    return rc;
}

int script_def_find(const struct interp *in, const char *name)
{
    return def_find(in, name) != NULL;
}

int script_call(struct interp *in, const char *name, size_t argc, char **argv, enum rc *rc)
{
    struct def *d = def_find(in, name);

    if (d == NULL)
        return 0;
    *rc = def_call(in, d, argc, argv);
    return 1;
}

size_t script_def_count(const struct interp *in)
{
    return in->n_defs;
}

const char *script_def_name(const struct interp *in, size_t i)
{
    return i < in->n_defs ? in->defs[i]->name : NULL;
}

void defs_free(struct interp *in)
{
    size_t i;

    for (i = 0; i < in->n_defs; i++)
        def_release(in->defs[i]);
    free(in->defs);
    in->defs = NULL;
    in->n_defs = 0;
}
