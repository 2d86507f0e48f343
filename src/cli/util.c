/*
** util.c -- values, growable strings, variables and the interpreter state.
**
** INVARIANTS:
**   CLI7  A struct value of kind VAL_STR owns str (len bytes and a NUL).
**   CLI8  A vml_text is either empty (s == NULL) or s[len] == '\0' and
**       len < cap; after a failed allocation oom is set and the text is
**       kept as it was.
**   CLI9  Variable names are unique in interp.vars.
**   CLI12 An error message (in->err) holds no control byte and only
**         UTF-8: cli_error escapes what it quotes.
*/
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

void value_free(struct value *v)
{
    if (v->kind == VAL_STR)
        free(v->str);
    v->kind = VAL_NONE;
    v->str = NULL;
    v->len = 0;
    v->num = 0;
}

void value_set_num(struct value *v, uint64_t num)
{
    value_free(v);
    v->kind = VAL_NUM;
    v->num = num;
}

void result_win32(struct result *res, uint32_t e)
{
    if (e != 0) {
        res->fail = FAIL_WIN32;
        res->win32 = e;
    }
}

int value_set_str(struct value *v, const char *s, size_t len)
{
    char *copy = malloc(len + 1);

    if (copy == NULL)
        return -1;
    if (len > 0)
        memcpy(copy, s, len);
    copy[len] = '\0';
    value_free(v);
    v->kind = VAL_STR;
    v->str = copy;
    v->len = len;
    return 0;
}

int value_copy(struct value *dst, const struct value *src)
{
    if (src->kind == VAL_STR)
        return value_set_str(dst, src->str, src->len);
    value_free(dst);
    *dst = *src;
    return 0;
}

/* ------------------------------------------------------------------ */

void sb_value(vml_text *b, const struct value *v, int quoted)
{
    size_t i;

    switch (v->kind) {
    case VAL_NONE:
        vml_text_printf(b, "(no value)");
        return;
    case VAL_NUM:
        vml_text_printf(b, "0x%llx", (unsigned long long)v->num);
        return;
    case VAL_STR:
        break;
    }
    if (quoted)
        vml_text_append(b, "\"", 1);
    for (i = 0; i < v->len; i++) {
        unsigned char c = (unsigned char)v->str[i];
        if (quoted && (c == '"' || c == '\\'))
            vml_text_printf(b, "\\%c", c);
        else if (quoted && c == '\n')
            vml_text_printf(b, "\\n");
        else if (quoted && c == '\t')
            vml_text_printf(b, "\\t");
        else if (c == '\n' || c == '\t' || isprint(c))
            vml_text_append(b, (const char *)&c, 1);
        else
            vml_text_printf(b, "\\x%02x", c);
    }
    if (quoted)
        vml_text_append(b, "\"", 1);
}

/* ------------------------------------------------------------------ */

void words_free(struct words *ws)
{
    size_t i;

    for (i = 0; i < ws->n; i++)
        free(ws->w[i]);
    free(ws->w);
    ws->w = NULL;
    ws->n = ws->cap = 0;
}

void result_reset(struct result *r)
{
    value_free(&r->val);
    memset(r, 0, sizeof *r);
    r->val.kind = VAL_NONE;
}

/* ------------------------------------------------------------------ */

void interp_init(struct interp *in, FILE *out, FILE *errout)
{
    memset(in, 0, sizeof *in);
    in->file = "<stdin>";
    in->out = out;
    in->errout = errout;
    in->fmt = VML_FMT_TEXT;
    in->progress_tty = errout != NULL && isatty(fileno(errout));
}

void interp_free(struct interp *in)
{
    size_t i;

    script_blocks_free(in);
    for (i = 0; i < in->n_vars; i++) {
        free(in->vars[i].name);
        value_free(&in->vars[i].val);
    }
    free(in->vars);
    in->vars = NULL;
    in->n_vars = in->cap_vars = 0;
    for (i = 0; i < in->n_names; i++)
        free(in->names[i]);
    free(in->names);
    in->names = NULL;
    in->n_names = 0;
    if (in->m != NULL)
        vml_machine_destroy(in->m);
    in->m = NULL;
    vml_text_free(&in->err);
}

/* The length of the UTF-8 character at s (at most n bytes), or 0 when the
** bytes there are not one (RFC 3629: no overlong forms, no surrogates,
** nothing above U+10FFFF). */
static size_t utf8_len(const unsigned char *s, size_t n)
{
    size_t len, i;
    unsigned lo = 0x80, hi = 0xBF;

    if (s[0] < 0x80)
        return 1;
    if (s[0] >= 0xC2 && s[0] <= 0xDF)
        len = 2;
    else if (s[0] >= 0xE0 && s[0] <= 0xEF)
        len = 3;
    else if (s[0] >= 0xF0 && s[0] <= 0xF4)
        len = 4;
    else
        return 0;
    if (len > n)
        return 0;
    if (s[0] == 0xE0)
        lo = 0xA0;
    else if (s[0] == 0xED)
        hi = 0x9F;
    else if (s[0] == 0xF0)
        lo = 0x90;
    else if (s[0] == 0xF4)
        hi = 0x8F;
    if (s[1] < lo || s[1] > hi)
        return 0;
    for (i = 2; i < len; i++)
        if (s[i] < 0x80 || s[i] > 0xBF)
            return 0;
    return len;
}

void sb_escaped(vml_text *b, const char *text, size_t n)
{
    const unsigned char *s = (const unsigned char *)text;
    size_t i = 0;

    while (i < n) {
        size_t len = utf8_len(s + i, n - i);
        int control = len == 1 ? s[i] < 0x20 || s[i] == 0x7F
                               : len == 2 && s[i] == 0xC2 && s[i + 1] < 0xA0;   /* C1 */
        if (len == 0 || control) {
            size_t k, end = len ? i + len : i + 1;
            for (k = i; k < end; k++) {
                if (s[k] == '\t')
                    vml_text_printf(b, "\\t");
                else if (s[k] == '\n')
                    vml_text_printf(b, "\\n");
                else if (s[k] == '\r')
                    vml_text_printf(b, "\\r");
                else
                    vml_text_printf(b, "\\x%02x", s[k]);
            }
            i = end;
        } else {
            vml_text_append(b, s + i, len);
            i += len;
        }
    }
}

enum rc cli_error(struct interp *in, const char *fmt, ...)
{
    vml_text raw = {0};
    va_list ap;

    va_start(ap, fmt);
    vml_text_vprintf(&raw, fmt, ap);
    va_end(ap);
    /* A message quotes what was typed: its control bytes (an escape
    ** sequence would act on the terminal) and bytes that are not UTF-8
    ** are shown escaped, never sent raw. */
    in->err.len = 0;
    in->err.oom = 0;
    if (in->err.s != NULL)
        in->err.s[0] = '\0';
    sb_escaped(&in->err, sb_str(&raw), raw.len);
    vml_text_free(&raw);
    return RC_ERROR;
}

enum rc cli_fatal(struct interp *in, const char *what)
{
    const char *msg = in->m ? vml_last_error(in->m) : NULL;

    cli_error(in, "%s", msg != NULL && *msg != '\0' ? msg : what);
    return RC_FATAL;
}

/* Edit distance ignoring case (Levenshtein), for "did you mean"; words
** of 47 characters or more are "far" (99). */
size_t cli_distance(const char *a, const char *b)
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

const char *cli_suggest_const(const char *word)
{
    const char *name, *group, *best = NULL;
    size_t i, d, best_d = 3;
    uint64_t v;

    for (i = 0; (name = vml_const_at(i, &v, &group)) != NULL; i++) {
        d = cli_distance(word, name);
        if (d < best_d) {
            best_d = d;
            best = name;
        }
    }
    return best_d <= (strlen(word) > 4 ? 2u : 1u) ? best : NULL;
}

/* ------------------------------------------------------------------ */

const struct value *var_get(const struct interp *in, const char *name, size_t len)
{
    size_t i;

    for (i = 0; i < in->n_vars; i++)
        if (strlen(in->vars[i].name) == len && memcmp(in->vars[i].name, name, len) == 0)
            return &in->vars[i].val;
    return NULL;
}

void var_unset(struct interp *in, const char *name, size_t len)
{
    size_t i;

    for (i = 0; i < in->n_vars; i++)
        if (strlen(in->vars[i].name) == len && memcmp(in->vars[i].name, name, len) == 0) {
            free(in->vars[i].name);
            value_free(&in->vars[i].val);
            memmove(&in->vars[i], &in->vars[i + 1], (in->n_vars - i - 1) * sizeof in->vars[i]);
            in->n_vars--;
            return;
        }
}

int var_set(struct interp *in, const char *name, size_t len, const struct value *v)
{
    size_t i;
    struct var *nv;
    char *copy;

    for (i = 0; i < in->n_vars; i++)
        if (strlen(in->vars[i].name) == len && memcmp(in->vars[i].name, name, len) == 0)
            return value_copy(&in->vars[i].val, v);
    if (in->n_vars == in->cap_vars) {
        size_t cap = in->cap_vars ? in->cap_vars * 2 : 16;
        nv = realloc(in->vars, cap * sizeof *nv);
        if (nv == NULL)
            return -1;
        in->vars = nv;
        in->cap_vars = cap;
    }
    copy = malloc(len + 1);
    if (copy == NULL)
        return -1;
    memcpy(copy, name, len);
    copy[len] = '\0';
    nv = &in->vars[in->n_vars];
    nv->name = copy;
    memset(&nv->val, 0, sizeof nv->val);
    if (value_copy(&nv->val, v) != 0) {
        free(copy);
        return -1;
    }
    in->n_vars++;
    return 0;
}
