/*
** echo.c -- echo: words with $variables, (expressions) and "strings"
** replaced by their values, and printf-like % directives.
**
**   echo at $p: (($n + 1) * 4K) bytes          numbers print as 0x hex
**   echo %d faults, %#x pages ($n) ($n / 8)     directives take the last words
**
** When the words hold % directives, the last words are their values, one
** per directive, in order; the words before them are the text (and hold
** exactly that many directives).  A
** directive is % [flags] [width] conversion:
**   flags       -  left-justify;  0  pad with zeros;  #  0x / 0X / 0 prefix
**   width       1 to 3 digits (at most 255)
**   conversion  d i  signed decimal     u  unsigned decimal
**               x X  hex                o  octal
**               s    a string as it is (a number: 0x hex, as echo prints it)
**   %%          a % sign
** A % followed by anything else (a blank, the end) is printed as it is, so
** "100% sure" needs no escape.  Directives count in "strings" too, except
** a % written as an escape (\x25).
**
** INVARIANTS:
**   SCR7  The number of directives counted before the values are split off
**         is the number rendered: count_directives and the renderer scan
**         the text with one function, directive_at().
*/
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define ECHO_MAX_WIDTH 255

struct directive {
    size_t len;         /* characters from the % to the conversion */
    char   flags[4];    /* some of "-0#" */
    unsigned width;
    char   conv;        /* d i u x X o s, or '%' */
};

/* The directive at p[0] == '%': 1 and *d, or 0 when it is a plain '%'. */
static int directive_at(const char *p, struct directive *d)
{
    const char *q = p + 1;
    size_t nf = 0;

    memset(d, 0, sizeof *d);
    if (*q == '%') {
        d->conv = '%';
        d->len = 2;
        return 1;
    }
    while ((*q == '-' || *q == '0' || *q == '#') && nf < sizeof d->flags - 1) {
        if (strchr(d->flags, *q) == NULL)
            d->flags[nf++] = *q;
        q++;
    }
    while (*q >= '0' && *q <= '9') {
        if (d->width <= 999)
            d->width = d->width * 10 + (unsigned)(*q - '0');
        q++;
    }
    if (!((*q >= 'a' && *q <= 'z') || (*q >= 'A' && *q <= 'Z')))
        return 0;
    d->conv = *q;
    d->len = (size_t)(q - p) + 1;
    return 1;
}

/* The directives (that take a value) in a word, as the renderer sees them. */
static size_t count_directives(struct interp *in, const char *w)
{
    size_t n = 0;
    int in_string = 0;

    while (*w != '\0') {
        struct directive d;
        if (in_string && *w == '\\' && w[1] != '\0') {
            w += 2;
        } else if (*w == '"') {
            in_string = !in_string;
            w++;
        } else if (!in_string && *w == '(') {
            const char *end = expr_skip_group(in, w);
            if (end == NULL)
                return n;      /* the renderer reports it */
            w = end;
        } else if (*w == '%' && directive_at(w, &d)) {
            n += d.conv != '%';
            w += d.len;
        } else {
            w++;
        }
    }
    return n;
}

struct echo_fmt {
    const struct value *vals;
    size_t n, next;
};

static enum rc render_directive(struct interp *in, const struct directive *d,
                                struct echo_fmt *f, vml_text *out)
{
    const struct value *v;
    char spec[16], buf[96];
    int left = strchr(d->flags, '-') != NULL;

    if (d->conv == '%') {
        vml_text_append(out, "%", 1);
        return RC_OK;
    }
    if (strchr("diuxXos", d->conv) == NULL)
        return cli_error(in, "echo: unknown directive '%%%c' (%%d %%u %%x %%X %%o %%s, or %%%% "
                         "for a %% sign)", d->conv);
    if (d->width > ECHO_MAX_WIDTH)
        return cli_error(in, "echo: a width of at most %d", ECHO_MAX_WIDTH);
    v = &f->vals[f->next++];
    if (d->conv == 's') {
        vml_text s = {0};
        size_t pad;
        sb_value(&s, v, 0);
        pad = d->width > s.len ? d->width - s.len : 0;
        if (!left)
            while (pad-- > 0)
                vml_text_append(out, " ", 1);
        vml_text_append(out, sb_str(&s), s.len);
        if (left)
            while (pad-- > 0)
                vml_text_append(out, " ", 1);
        vml_text_free(&s);
        return RC_OK;
    }
    if (v->kind != VAL_NUM)
        return cli_error(in, "echo: %%%c needs a number, not a string", d->conv);
    snprintf(spec, sizeof spec, "%%%s%ull%c", d->flags, d->width,
             d->conv == 'i' ? 'd' : d->conv);
    if (d->conv == 'd' || d->conv == 'i')
        snprintf(buf, sizeof buf, spec, (long long)(int64_t)v->num);
    else
        snprintf(buf, sizeof buf, spec, (unsigned long long)v->num);
    vml_text_printf(out, "%s", buf);
    return RC_OK;
}

/* Appends word with its $variables, (expressions) and "strings" replaced;
** with f, % directives take their values from f. */
static enum rc interpolate(struct interp *in, const char *word, struct echo_fmt *f,
                           vml_text *out)
{
    const char *p = word;
    int in_string = 0;
    struct directive d;
    enum rc rc;

    while (*p != '\0') {
        if (f != NULL && *p == '%' && directive_at(p, &d)) {
            if ((rc = render_directive(in, &d, f, out)) != RC_OK)
                return rc;
            p += d.len;
        } else if (*p == '"') {
            in_string = !in_string;
            p++;
        } else if (in_string) {
            char c;
            if (*p != '\\') {
                vml_text_append(out, p++, 1);
                continue;
            }
            if ((rc = str_escape(in, &p, &c)) != RC_OK)
                return rc;
            vml_text_append(out, &c, 1);
        } else if (*p == '$' && is_ident_start((unsigned char)p[1])) {
            const char *start = ++p;
            const struct value *v;
            while (is_ident_char((unsigned char)*p))
                p++;
            v = var_get(in, start, (size_t)(p - start));
            if (v == NULL)
                return cli_error(in, "undefined variable $%.*s", (int)(p - start), start);
            sb_value(out, v, 0);
        } else if (*p == '(') {
            const char *end = expr_skip_group(in, p);
            struct value v = {0};
            char *text;
            if (end == NULL)
                return RC_ERROR;
            text = strndup(p, (size_t)(end - p));
            if (text == NULL)
                return cli_error(in, "out of memory");
            rc = expr_eval(in, text, &v);
            free(text);
            if (rc != RC_OK)
                return rc;
            sb_value(out, &v, 0);
            value_free(&v);
            p = end;
        } else {
            vml_text_append(out, p++, 1);
        }
    }
    if (in_string)
        return cli_error(in, "unterminated string");
    if (out->oom)
        return cli_error(in, "out of memory");
    return RC_OK;
}

/* Splits echo's words: the last *n_vals are the values of the directives
** of the words before them.  0, or -1 with an error. */
static int split_values(struct interp *in, size_t argc, char **argv, size_t *n_vals)
{
    size_t k, total = 0, text_dirs, last = 0;

    for (k = 0; k < argc; k++) {
        size_t here = count_directives(in, argv[k]);
        total += here;
        if (here > 0)
            last = k;
    }
    *n_vals = 0;
    if (total == 0)
        return 0;
    /* Words are taken as values from the end while the text before them
    ** still holds more directives than there are values. */
    text_dirs = total;
    for (k = argc; k-- > 1;) {
        text_dirs -= count_directives(in, argv[k]);
        if (text_dirs == argc - k) {
            *n_vals = argc - k;
            return 0;
        }
    }
    cli_error(in, "echo: %zu %% directive%s need%s %zu value%s after the text, and %zu "
              "follow%s it (echo %%d faults ($n))", total, total == 1 ? "" : "s",
              total == 1 ? "s" : "", total, total == 1 ? "" : "s", argc - last - 1,
              argc - last - 1 == 1 ? "s" : "");
    return -1;
}

/* The text echo prints for its words (without the newline). */
static enum rc echo_render(struct interp *in, size_t argc, char **argv, vml_text *b)
{
    struct value *vals = NULL;
    struct echo_fmt f = { NULL, 0, 0 };
    size_t i, n_dir = 0, n_text;
    enum rc rc = RC_OK;

    if (split_values(in, argc, argv, &n_dir) != 0)
        return RC_ERROR;
    n_text = argc - n_dir;
    if (n_dir > 0) {
        vals = calloc(n_dir, sizeof *vals);
        if (vals == NULL)
            return cli_error(in, "out of memory");
        for (i = 0; i < n_dir && rc == RC_OK; i++)
            rc = expr_eval(in, argv[n_text + i], &vals[i]);
        f.vals = vals;
        f.n = n_dir;
    }
    for (i = 0; i < n_text && rc == RC_OK; i++) {
        if (i > 0)
            vml_text_append(b, " ", 1);
        rc = interpolate(in, argv[i], n_dir > 0 ? &f : NULL, b);
    }
    for (i = 0; i < n_dir; i++)
        value_free(&vals[i]);
    free(vals);
    return rc;
}

CLI_HANDLER(h_echo)
{
    vml_text b = {0};
    enum rc rc;

    (void)res;
    rc = echo_render(in, argc, argv, &b);
    if (rc == RC_OK && in->quiet == 0)
        fprintf(in->out, "%s\n", sb_str(&b));
    vml_text_free(&b);
    return rc;
}

/* format WORD...: value: the string echo would print (a name built from a
** number: $name = format P%d $i). */
CLI_HANDLER(h_format)
{
    vml_text b = {0};
    enum rc rc = echo_render(in, argc, argv, &b);

    if (rc == RC_OK && value_set_str(&res->val, sb_str(&b), b.len) != 0)
        rc = cli_error(in, "out of memory");
    vml_text_free(&b);
    return rc;
}
