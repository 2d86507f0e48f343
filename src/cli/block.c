/*
** block.c -- the blocks of the script language and the commands that def
** defines.
**
**   repeat N                       N passes
**   for $i in START..END [step S]  START, START+S, ... up to END (inclusive);
**                                  counts down when START > END
**   if EXPR  ... [else ...]        EXPR not 0 (a string: not empty)
**   def NAME [$a $b ...]           defines the command NAME
**   ... end                        each of them ends at its `end`
**
** A line whose first word opens a block starts collecting lines (the
** shell prompts "...> ") until the matching `end`; the block is then
** parsed into a tree (a misplaced else or end is an error before anything
** runs) and run.  Header expressions are evaluated each time the block is
** entered.  A def's parameters are local: their previous values (or their
** absence) come back when the call returns; every other variable is
** global.  An argument of a call is an expression, or a bare name that is
** no constant (a process name), which the parameter then holds as a string.
**
** INVARIANTS:
**   SCR8   An error inside a block is printed where it happens, with the
**          blocks, calls and sourced files around it, and stops the
**          outermost block (RC_STOP travels up; nothing is printed twice).
**   SCR9   Blocks and calls together nest at most CTX_MAX deep (calls
**          alone DEF_MAX_DEPTH, def.c): no script exhausts the C stack.
**   SCR10  (def.c) A running def's body survives its redefinition.
**   SCR11  With in->max_steps set (the fuzz target), no run executes more
**          than that many lines and passes.
*/
#include <stdlib.h>
#include <string.h>

#include "block.h"

enum kw { KW_NONE, KW_REPEAT, KW_FOR, KW_IF, KW_DEF, KW_ELSE, KW_END };

static const char *const kw_names[] = { "", "repeat", "for", "if", "def", "else", "end" };

const char *const script_keywords[] = { "repeat", "for", "if", "def", "else", "end", NULL };

/* The keyword a line starts with, if any. */
static enum kw keyword(const char *line)
{
    size_t n, k;

    while (*line == ' ' || *line == '\t')
        line++;
    for (n = 0; line[n] >= 'a' && line[n] <= 'z'; n++)
        ;
    if (line[n] != '\0' && line[n] != ' ' && line[n] != '\t' && line[n] != '#' &&
        line[n] != '\r' && line[n] != '\n')
        return KW_NONE;
    for (k = KW_REPEAT; k <= KW_END; k++)
        if (strlen(kw_names[k]) == n && strncmp(line, kw_names[k], n) == 0)
            return (enum kw)k;
    return KW_NONE;
}

static int opens_block(enum kw k)
{
    return k == KW_REPEAT || k == KW_FOR || k == KW_IF || k == KW_DEF;
}

/* ------------------------------------------------------------------ */
/* Trees                                                               */

void nodes_free(struct node *v, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        free(v[i].text);
        words_free(&v[i].ws);
        nodes_free(v[i].body, v[i].n_body);
        nodes_free(v[i].alt, v[i].n_alt);
    }
    free(v);
}

static struct node *node_push(struct node **v, size_t *n)
{
    struct node *nv = realloc(*v, (*n + 1) * sizeof *nv);

    if (nv == NULL)
        return NULL;
    *v = nv;
    memset(&nv[*n], 0, sizeof nv[*n]);
    return &nv[(*n)++];
}

static enum rc node_copy(struct interp *in, const struct node *s, struct node *d)
{
    size_t i;

    memset(d, 0, sizeof *d);
    d->kind = s->kind;
    d->line = s->line;
    d->has_else = s->has_else;
    d->text = strdup(s->text);
    if (d->text == NULL)
        return cli_error(in, "out of memory");
    if (s->ws.n > 0) {
        d->ws.w = calloc(s->ws.n, sizeof *d->ws.w);
        if (d->ws.w == NULL)
            return cli_error(in, "out of memory");
        d->ws.cap = s->ws.n;
        for (i = 0; i < s->ws.n; i++) {
            if ((d->ws.w[i] = strdup(s->ws.w[i])) == NULL)
                return cli_error(in, "out of memory");
            d->ws.n++;
        }
    }
    if (nodes_copy(in, s->body, s->n_body, &d->body, &d->n_body) != RC_OK)
        return RC_ERROR;
    return nodes_copy(in, s->alt, s->n_alt, &d->alt, &d->n_alt);
}

enum rc nodes_copy(struct interp *in, const struct node *src, size_t n, struct node **out,
                   size_t *n_out)
{
    size_t i;

    *out = NULL;
    *n_out = 0;
    if (n == 0)
        return RC_OK;
    *out = calloc(n, sizeof **out);
    if (*out == NULL)
        return cli_error(in, "out of memory");
    for (i = 0; i < n; i++) {
        *n_out = i + 1;
        if (node_copy(in, &src[i], &(*out)[i]) != RC_OK)
            return RC_ERROR;
    }
    return RC_OK;
}

/* ------------------------------------------------------------------ */
/* Parsing a collected block                                           */

static int is_var_word(const char *w)
{
    return w[0] == '$' && is_ident_word(w + 1);
}

/* Checks a header's words (the values are evaluated when it runs). */
static enum rc check_header(struct interp *in, struct node *nd)
{
    const struct words *ws = &nd->ws;
    size_t i, j;

    switch (nd->kind) {
    case N_REPEAT:
        if (ws->n < 2)
            return cli_error(in, "repeat needs a count: repeat N ... end");
        return RC_OK;
    case N_IF:
        if (ws->n < 2)
            return cli_error(in, "if needs a condition: if EXPR ... [else ...] end");
        return RC_OK;
    case N_FOR:
        if (ws->n < 4 || !is_var_word(ws->w[1]) || strcmp(ws->w[2], "in") != 0)
            return cli_error(in, "expected for $VAR in START..END [step S]");
        for (i = 3; i < ws->n && strcmp(ws->w[i], "step") != 0; i++)
            ;
        if (i == 3)
            return cli_error(in, "for: expected START..END after 'in'");
        if (i < ws->n && i + 1 == ws->n)
            return cli_error(in, "for: expected a step after 'step'");
        return RC_OK;
    case N_DEF:
        if (ws->n < 2 || !is_ident_word(ws->w[1]))
            return cli_error(in, "expected def NAME [$PARAM...] (a name of letters, digits, _)");
        if (cmd_find(ws->w[1]) != NULL)
            return cli_error(in, "def cannot redefine the command '%s'", ws->w[1]);
        if (keyword(ws->w[1]) != KW_NONE)
            return cli_error(in, "def cannot define the keyword '%s'", ws->w[1]);
        for (i = 2; i < ws->n; i++) {
            if (!is_var_word(ws->w[i]))
                return cli_error(in, "def %s: parameters are $names, not '%s'", ws->w[1],
                                 ws->w[i]);
            for (j = 2; j < i; j++)
                if (strcmp(ws->w[i], ws->w[j]) == 0)
                    return cli_error(in, "def %s: %s is named twice", ws->w[1], ws->w[i]);
        }
        return RC_OK;
    case N_LINE:
    default:
        return RC_OK;
    }
}

static enum rc parse_seq(struct interp *in, const struct src_line *v, size_t n, size_t *i,
                         struct node **out, size_t *n_out, enum kw *stopped);

/* The block whose header is v[*i]; *i is left past its `end`. */
static enum rc parse_block(struct interp *in, const struct src_line *v, size_t n, size_t *i,
                           struct node *nd)
{
    static const enum node_kind kinds[] = {
        [KW_REPEAT] = N_REPEAT, [KW_FOR] = N_FOR, [KW_IF] = N_IF, [KW_DEF] = N_DEF,
    };
    enum kw k = keyword(v[*i].text), stop;
    unsigned header = v[*i].line;

    nd->kind = kinds[k];
    nd->line = header;
    in->line = header;
    nd->text = strdup(v[*i].text);
    if (nd->text == NULL)
        return cli_error(in, "out of memory");
    if (words_split(in, v[*i].text, &nd->ws) != RC_OK || check_header(in, nd) != RC_OK)
        return RC_ERROR;
    (*i)++;
    if (parse_seq(in, v, n, i, &nd->body, &nd->n_body, &stop) != RC_OK)
        return RC_ERROR;
    if (stop == KW_ELSE) {
        in->line = v[*i].line;
        if (nd->kind != N_IF)
            return cli_error(in, "'else' inside the %s block of line %u: only if has one",
                             kw_names[k], header);
        nd->has_else = 1;
        (*i)++;
        if (parse_seq(in, v, n, i, &nd->alt, &nd->n_alt, &stop) != RC_OK)
            return RC_ERROR;
        if (stop == KW_ELSE) {
            in->line = v[*i].line;
            return cli_error(in, "a second 'else' in the if block of line %u", header);
        }
    }
    if (stop != KW_END) {
        in->line = n > 0 ? v[n - 1].line : header;
        return cli_error(in, "the %s block of line %u has no 'end'", kw_names[k], header);
    }
    (*i)++;
    return RC_OK;
}

/* Lines up to an `else` or `end` (left at *i), or the end of v. */
static enum rc parse_seq(struct interp *in, const struct src_line *v, size_t n, size_t *i,
                         struct node **out, size_t *n_out, enum kw *stopped)
{
    *stopped = KW_NONE;
    while (*i < n) {
        enum kw k = keyword(v[*i].text);
        struct node *nd;
        if (k == KW_END || k == KW_ELSE) {
            *stopped = k;
            return RC_OK;
        }
        if ((nd = node_push(out, n_out)) == NULL)
            return cli_error(in, "out of memory");
        if (opens_block(k)) {
            if (parse_block(in, v, n, i, nd) != RC_OK)
                return RC_ERROR;
            continue;
        }
        nd->kind = N_LINE;
        nd->line = v[*i].line;
        if ((nd->text = strdup(v[*i].text)) == NULL)
            return cli_error(in, "out of memory");
        (*i)++;
    }
    return RC_OK;
}

/* ------------------------------------------------------------------ */
/* Running                                                             */

/* Prints an error where it happened (SCR8); the blocks around stop. */
enum rc block_stop_here(struct interp *in, enum rc rc)
{
    if (rc == RC_ERROR || rc == RC_FATAL) {
        script_report(in, rc);
        return RC_STOP;
    }
    return rc;
}

/* One more line or pass; SCR11 and Ctrl-C. */
static enum rc step(struct interp *in)
{
    if (cli_interrupted())
        return cli_error(in, "interrupted (Ctrl-C)");
    if (in->max_steps != 0 && ++in->steps > in->max_steps)
        return cli_error(in, "more than %llu lines and passes run: the limit of this run",
                         (unsigned long long)in->max_steps);
    return RC_OK;
}

/* The words from..to-1 of a header as one expression's text. */
static char *join_words(const struct words *ws, size_t from, size_t to)
{
    size_t i, len = 1;
    char *s;

    for (i = from; i < to; i++)
        len += strlen(ws->w[i]) + 1;
    s = malloc(len);
    if (s == NULL)
        return NULL;
    s[0] = '\0';
    for (i = from; i < to; i++) {
        if (i > from)
            strcat(s, " ");
        strcat(s, ws->w[i]);
    }
    return s;
}

/* The number the words from..to-1 evaluate to. */
static enum rc header_num(struct interp *in, const struct words *ws, size_t from, size_t to,
                          const char *what, uint64_t *out)
{
    char *text = join_words(ws, from, to);
    enum rc rc;

    if (text == NULL)
        return cli_error(in, "out of memory");
    rc = arg_count(in, text, what, out);
    free(text);
    return rc;
}

enum rc block_ctx_push(struct interp *in, struct ctx c)
{
    if (in->n_ctx >= CTX_MAX)
        return cli_error(in, "blocks and calls nested too deeply (%d)", CTX_MAX);
    in->ctx[in->n_ctx++] = c;
    return RC_OK;
}

static enum rc exec_repeat(struct interp *in, const struct node *nd)
{
    uint64_t n = 0, pass;
    enum rc rc;

    if (header_num(in, &nd->ws, 1, nd->ws.n, "repeat's count", &n) != RC_OK ||
        block_ctx_push(in, (struct ctx){ CTX_REPEAT, in->file, nd->line, NULL, 0, n }) != RC_OK)
        return block_stop_here(in, RC_ERROR);
    rc = RC_OK;
    for (pass = 1; pass <= n && rc == RC_OK && !in->done; pass++) {
        in->ctx[in->n_ctx - 1].pass = pass;
        in->line = nd->line;
        if ((rc = step(in)) != RC_OK)
            rc = block_stop_here(in, rc);
        else
            rc = exec_seq(in, nd->body, nd->n_body);
    }
    in->n_ctx--;
    return rc;
}

/* START..END: the two texts around the first ".." outside (groups) and
** "strings". */
static enum rc split_range(struct interp *in, const char *s, char **start, char **end)
{
    const char *p = s;

    while (*p != '\0') {
        if (*p == '(') {
            p = expr_skip_group(in, p);
            if (p == NULL)
                return RC_ERROR;
        } else if (*p == '"') {
            for (p++; *p != '\0' && *p != '"'; p++)
                if (*p == '\\' && p[1] != '\0')
                    p++;
            if (*p == '"')
                p++;
        } else if (p[0] == '.' && p[1] == '.') {
            break;
        } else {
            p++;
        }
    }
    if (*p == '\0' || p == s || p[2] == '\0')
        return cli_error(in, "for: expected START..END, not '%s'", s);
    *start = strndup(s, (size_t)(p - s));
    *end = strdup(p + 2);
    if (*start == NULL || *end == NULL)
        return cli_error(in, "out of memory");
    return RC_OK;
}

/* The values of for $i in START..END [step S]. */
static enum rc for_range(struct interp *in, const struct words *ws, uint64_t *a, uint64_t *b,
                         uint64_t *s)
{
    size_t k;
    char *range, *ta = NULL, *tb = NULL;
    enum rc rc;

    for (k = 3; k < ws->n && strcmp(ws->w[k], "step") != 0; k++)
        ;
    *s = 1;
    if (k < ws->n && header_num(in, ws, k + 1, ws->n, "for's step", s) != RC_OK) {
        if (*s > (uint64_t)INT64_MAX)      /* a negative step */
            cli_error(in, "for's step cannot be negative: a loop counts down when START > "
                      "END (for $i in 10..1)");
        return RC_ERROR;
    }
    if (*s == 0)
        return cli_error(in, "for: the step must not be 0");
    if ((range = join_words(ws, 3, k)) == NULL)
        return cli_error(in, "out of memory");
    rc = split_range(in, range, &ta, &tb);
    if (rc == RC_OK)
        rc = arg_num(in, ta, "for's START", a);
    if (rc == RC_OK)
        rc = arg_num(in, tb, "for's END", b);
    free(range);
    free(ta);
    free(tb);
    return rc;
}

static enum rc exec_for(struct interp *in, const struct node *nd)
{
    const char *var = nd->ws.w[1] + 1;
    uint64_t a = 0, b = 0, s = 1, v;
    struct value val = {0};
    int down;
    enum rc rc = RC_OK;

    if (for_range(in, &nd->ws, &a, &b, &s) != RC_OK ||
        block_ctx_push(in, (struct ctx){ CTX_FOR, in->file, nd->line, var, a, 0 }) != RC_OK)
        return block_stop_here(in, RC_ERROR);
    down = a > b;
    for (v = a; rc == RC_OK && !in->done;) {
        in->ctx[in->n_ctx - 1].pass = v;
        in->line = nd->line;
        value_set_num(&val, v);
        if ((rc = step(in)) != RC_OK || var_set(in, var, strlen(var), &val) != 0) {
            rc = block_stop_here(in, rc != RC_OK ? rc : cli_error(in, "out of memory"));
            break;
        }
        rc = exec_seq(in, nd->body, nd->n_body);
        if (down ? v - b < s : b - v < s)
            break;
        v = down ? v - s : v + s;
    }
    in->n_ctx--;
    return rc;
}

static enum rc exec_if(struct interp *in, const struct node *nd)
{
    struct value v = {0};
    char *text = join_words(&nd->ws, 1, nd->ws.n);
    int truth;
    enum rc rc;

    if (text == NULL)
        return block_stop_here(in, cli_error(in, "out of memory"));
    rc = expr_eval(in, text, &v);
    free(text);
    if (rc == RC_OK)
        rc = block_ctx_push(in, (struct ctx){ CTX_IF, in->file, nd->line, NULL, 0, 0 });
    if (rc != RC_OK) {
        value_free(&v);
        return block_stop_here(in, RC_ERROR);
    }
    truth = v.kind == VAL_NUM ? v.num != 0 : v.len != 0;
    value_free(&v);
    rc = truth ? exec_seq(in, nd->body, nd->n_body) : exec_seq(in, nd->alt, nd->n_alt);
    in->n_ctx--;
    return rc;
}

/* ------------------------------------------------------------------ */

static enum rc exec_node(struct interp *in, const struct node *nd)
{
    enum rc rc;

    in->line = nd->line;
    switch (nd->kind) {
    case N_REPEAT: return exec_repeat(in, nd);
    case N_FOR:    return exec_for(in, nd);
    case N_IF:     return exec_if(in, nd);
    case N_DEF:    return exec_def(in, nd);
    case N_LINE:
    default:
        rc = step(in);
        if (rc == RC_OK)
            rc = script_line(in, nd->text);
        return block_stop_here(in, rc);
    }
}

enum rc exec_seq(struct interp *in, const struct node *v, size_t n)
{
    size_t i;
    enum rc rc = RC_OK;

    for (i = 0; i < n && rc == RC_OK && !in->done; i++)
        rc = exec_node(in, &v[i]);
    return rc;
}

/* ------------------------------------------------------------------ */
/* Collecting lines                                                    */

static void collect_clear(struct interp *in)
{
    size_t i;

    for (i = 0; i < in->n_collected; i++)
        free(in->collected[i].text);
    free(in->collected);
    in->collected = NULL;
    in->n_collected = 0;
    in->collect_depth = 0;
}

static enum rc collect_run(struct interp *in)
{
    struct node *tree = NULL;
    size_t n_tree = 0, i = 0;
    enum kw stop;
    enum rc rc;

    rc = parse_seq(in, in->collected, in->n_collected, &i, &tree, &n_tree, &stop);
    if (rc == RC_OK && stop != KW_NONE) {
        in->line = in->collected[i].line;
        rc = cli_error(in, "'%s' without a block", kw_names[stop]);
    }
    collect_clear(in);
    if (rc == RC_OK)
        rc = exec_seq(in, tree, n_tree);
    nodes_free(tree, n_tree);
    return rc;
}

int script_input(struct interp *in, const char *line)
{
    enum kw k = keyword(line);
    struct src_line *nv;

    if (cli_interrupted())        /* vmlab run: Ctrl-C stops before any line */
        return script_report(in, cli_error(in, "interrupted (Ctrl-C)"));
    if (in->n_collected == 0 && !opens_block(k)) {
        if (k == KW_END || k == KW_ELSE)
            return script_report(in, cli_error(in, "'%s' without a block (repeat, for, if "
                                               "or def ... end)", kw_names[k]));
        return script_report(in, script_line(in, line));
    }
    if (opens_block(k) && in->collect_depth >= CTX_MAX) {
        collect_clear(in);            /* SCR9: the parser recurses per block */
        return script_report(in, cli_error(in, "blocks nested too deeply (%d)", CTX_MAX));
    }
    nv = realloc(in->collected, (in->n_collected + 1) * sizeof *nv);
    if (nv == NULL)
        return script_report(in, cli_error(in, "out of memory"));
    in->collected = nv;
    nv[in->n_collected].line = in->line;
    nv[in->n_collected].text = strdup(line);
    if (nv[in->n_collected].text == NULL)
        return script_report(in, cli_error(in, "out of memory"));
    in->n_collected++;
    if (opens_block(k))
        in->collect_depth++;
    else if (k == KW_END)
        in->collect_depth--;
    if (in->collect_depth > 0)
        return 0;
    {
        unsigned end_line = in->line;      /* the block's lines moved it */
        int stop = script_report(in, collect_run(in));
        in->line = end_line;
        return stop;
    }
}

int script_pending(const struct interp *in)
{
    return in->n_collected > 0;
}

void script_cancel(struct interp *in)
{
    collect_clear(in);
}

/* An input that ends inside a block: the block is an error, not run. */
int script_input_end(struct interp *in)
{
    if (in->n_collected > 0) {
        unsigned header = in->collected[0].line;
        enum kw k = keyword(in->collected[0].text);
        collect_clear(in);
        script_report(in, cli_error(in, "the %s block of line %u has no 'end'", kw_names[k],
                                    header));
    }
    if (in->terminal && in->status < EXIT_INTERNAL)
        return 0;                 /* a typo at the keyboard is not a failure */
    return in->status;
}

void script_blocks_free(struct interp *in)
{
    collect_clear(in);
    defs_free(in);
}
