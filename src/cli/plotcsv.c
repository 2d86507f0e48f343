/*
** plotcsv.c -- a plot from a CSV file, for `vmlab report ... --plot FILE`:
** miss-ratio curves a replay wrote, counters a program sampled.  The
** library draws vml_plot values; this file reads them from text.
**
**   # title: Miss-ratio curves of ls      (optional; default: the file name)
**   # y: miss ratio                       (optional; default: value)
**   frames,fifo,lru,opt                   the header: x, then one column a series
**   1,1,1,1                               numbers; an empty cell: no point
**
** Other lines starting with '#' and blank lines are comments.  The CSV
** that `vmlab replay --csv` and `--mrc --csv` write is read too, turned
** into this form first (plotreplay.c).
**
** INVARIANTS:
**   CLI13  A file is read whole and checked before a plot is made of it:
**       a bad cell, a ragged row, a decreasing x or a header without
**       series gives one message naming the file, the line and the column,
**       and no plot.
*/
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define CSV_MAX_SERIES 32          /* what vml_plot_check accepts */
#define CSV_MAX_BYTES  (64u << 20)

struct col {
    char   *name;
    double *x, *y;
    size_t  n, cap;
};

static void set_err(char *err, size_t size, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
static void set_err(char *err, size_t size, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(err, size, fmt, ap);
    va_end(ap);
}

static char *dup_range(const char *s, size_t n)
{
    char *d = malloc(n + 1);

    if (d != NULL) {
        memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

/* The next line of [*s, end) without its '\n' (and '\r'); 0 at the end. */
int csv_next_line(const char **s, const char *end, const char **b, const char **e)
{
    if (*s >= end)
        return 0;
    const char *nl = memchr(*s, '\n', (size_t)(end - *s));
    *b = *s;
    *e = nl ? nl : end;
    *s = nl ? nl + 1 : end;
    if (*e > *b && (*e)[-1] == '\r')
        (*e)--;
    return 1;
}

/* The fields of line [b, e), split at commas (no quoting), as
** [fb[i], fe[i]); returns how many, at most max (what follows the max-th
** field's comma is not looked at). */
size_t csv_split(const char *b, const char *e, const char **fb, const char **fe, size_t max)
{
    size_t n = 0;
    while (n < max) {
        const char *c = memchr(b, ',', (size_t)(e - b));
        fb[n] = b;
        fe[n] = c ? c : e;
        n++;
        if (c == NULL)
            break;
        b = c + 1;
    }
    return n;
}

/* s without the blanks around it, as [*b, *e). */
static void trim(const char **b, const char **e)
{
    while (*b < *e && (**b == ' ' || **b == '\t' || **b == '\r'))
        (*b)++;
    while (*e > *b && ((*e)[-1] == ' ' || (*e)[-1] == '\t' || (*e)[-1] == '\r'))
        (*e)--;
}

static int col_push(struct col *c, double x, double y)
{
    if (c->n == c->cap) {
        size_t cap = c->cap ? 2 * c->cap : 64;
        double *nx = realloc(c->x, cap * sizeof *nx);
        if (nx == NULL)
            return -1;
        c->x = nx;
        double *ny = realloc(c->y, cap * sizeof *ny);
        if (ny == NULL)
            return -1;
        c->y = ny;
        c->cap = cap;
    }
    c->x[c->n] = x;
    c->y[c->n] = y;
    c->n++;
    return 0;
}

/* A number filling [b, e): 0, or -1. */
static int parse_num(const char *b, const char *e, double *out)
{
    char buf[64], *end;

    if (e - b <= 0 || (size_t)(e - b) >= sizeof buf)
        return -1;
    memcpy(buf, b, (size_t)(e - b));
    buf[e - b] = '\0';
    errno = 0;
    *out = strtod(buf, &end);
    return *end == '\0' && errno != ERANGE && isfinite(*out) ? 0 : -1;
}

void csv_plot_free(struct csv_plot *p)
{
    for (size_t k = 0; k < p->n_series; k++) {
        free((char *)p->series[k].name);
        free((double *)p->series[k].x);
        free((double *)p->series[k].y);
    }
    free(p->series);
    free(p->title);
    free(p->x_label);
    free(p->y_label);
    memset(p, 0, sizeof *p);
}

/* "# title: ..." and "# y: ...": 1 when line was one of them. */
static int meta_line(struct csv_plot *p, const char *b, const char *e)
{
    static const char *const keys[] = { "title:", "y:" };
    char **dst[] = { &p->title, &p->y_label };

    b++;                                        /* the '#' */
    trim(&b, &e);
    for (size_t i = 0; i < 2; i++) {
        size_t kl = strlen(keys[i]);
        if ((size_t)(e - b) >= kl && strncmp(b, keys[i], kl) == 0) {
            const char *vb = b + kl, *ve = e;
            trim(&vb, &ve);
            free(*dst[i]);
            *dst[i] = dup_range(vb, (size_t)(ve - vb));
            return 1;
        }
    }
    return 0;
}

/* The header: the x axis's name, then the series'; 0 or -1 (err set). */
static int header_line(const char *path, size_t lineno, const char *b, const char *e,
                       struct csv_plot *p, struct col *cols, size_t *n_cols, char *err,
                       size_t size)
{
    const char *fb[CSV_MAX_SERIES + 2], *fe[CSV_MAX_SERIES + 2];
    size_t n = csv_split(b, e, fb, fe, CSV_MAX_SERIES + 2), k;

    for (k = 0; k < n; k++) {
        const char *cb = fb[k], *ce = fe[k];
        trim(&cb, &ce);
        if (cb == ce) {
            set_err(err, size, "%s:%zu: column %zu of the header has no name", path, lineno,
                    k + 1);
            return -1;
        }
        if (k == 0) {
            p->x_label = dup_range(cb, (size_t)(ce - cb));
        } else if (k > CSV_MAX_SERIES) {
            set_err(err, size, "%s:%zu: more than %d series (columns after the first); a plot "
                    "holds at most %d", path, lineno, CSV_MAX_SERIES, CSV_MAX_SERIES);
            return -1;
        } else {
            cols[k - 1].name = dup_range(cb, (size_t)(ce - cb));
        }
    }
    if (k < 2) {
        set_err(err, size, "%s:%zu: the header names x and no series: at least two columns, "
                "separated by commas", path, lineno);
        return -1;
    }
    *n_cols = k - 1;
    return 0;
}

/* A row: x, then a y per series (empty: no point); 0 or -1 (err set). */
static int data_line(const char *path, size_t lineno, const char *b, const char *e,
                     struct col *cols, size_t n_cols, double *last_x, int *have_x, char *err,
                     size_t size)
{
    const char *fb[CSV_MAX_SERIES + 2], *fe[CSV_MAX_SERIES + 2];
    size_t n = csv_split(b, e, fb, fe, n_cols + 2), k;
    double x = 0;

    for (k = 0; k < n; k++) {
        const char *cb = fb[k], *ce = fe[k];
        double v;
        trim(&cb, &ce);
        if (k > n_cols) {
            set_err(err, size, "%s:%zu: more columns than the header's %zu", path, lineno,
                    n_cols + 1);
            return -1;
        }
        if (k == 0 && cb == ce) {
            set_err(err, size, "%s:%zu: column 1 (x) is empty", path, lineno);
            return -1;
        }
        if (cb != ce && parse_num(cb, ce, &v) != 0) {
            set_err(err, size, "%s:%zu: column %zu (%s): '%.*s' is not a finite number", path,
                    lineno, k + 1, k == 0 ? "x" : cols[k - 1].name,
                    (int)(ce - cb > 40 ? 40 : ce - cb), cb);
            return -1;
        }
        if (k == 0) {
            if (*have_x && v < *last_x) {
                set_err(err, size, "%s:%zu: x %g is less than the x before it (%g): rows go "
                        "by increasing x", path, lineno, v, *last_x);
                return -1;
            }
            x = *last_x = v;
            *have_x = 1;
        } else if (cb != ce && col_push(&cols[k - 1], x, v) != 0) {
            set_err(err, size, "%s: out of memory", path);
            return -1;
        }
    }
    if (k != n_cols + 1) {
        set_err(err, size, "%s:%zu: %zu column%s, the header has %zu", path, lineno, k,
                k == 1 ? "" : "s", n_cols + 1);
        return -1;
    }
    return 0;
}

static int parse_text(const char *path, const char *s, size_t len, struct csv_plot *p,
                      struct col *cols, size_t *n_cols, char *err, size_t size)
{
    const char *end = s + len, *lb, *le;
    size_t lineno = 0;
    int have_header = 0, have_x = 0;
    double last_x = 0;

    while (csv_next_line(&s, end, &lb, &le)) {
        lineno++;
        trim(&lb, &le);
        if (memchr(lb, '\0', (size_t)(le - lb)) != NULL) {
            set_err(err, size, "%s:%zu: a NUL byte: not a text file", path, lineno);
            return -1;
        }
        if (lb == le || (*lb == '#' && meta_line(p, lb, le)) || *lb == '#')
            continue;
        if (!have_header) {
            if (header_line(path, lineno, lb, le, p, cols, n_cols, err, size) != 0)
                return -1;
            have_header = 1;
        } else if (data_line(path, lineno, lb, le, cols, *n_cols, &last_x, &have_x, err,
                             size) != 0) {
            return -1;
        }
    }
    if (!have_header || !have_x) {
        set_err(err, size, "%s: %s", path, !have_header ? "no header line (x,series...)"
                                                         : "a header and no rows of numbers");
        return -1;
    }
    return 0;
}

/* Reads path whole (at most CSV_MAX_BYTES): 0, or -1 (err set). */
static int slurp(const char *path, vml_text *t, char *err, size_t size)
{
    FILE *f = fopen(path, "rb");
    char buf[65536];
    size_t n;

    if (f == NULL) {
        set_err(err, size, "cannot open the plot '%s': %s", path, strerror(errno));
        return -1;
    }
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) {
        vml_text_append(t, buf, n);
        if (t->len > CSV_MAX_BYTES || t->oom) {
            fclose(f);
            set_err(err, size, "%s: %s", path, t->oom ? "out of memory" : "larger than 64 MiB");
            return -1;
        }
    }
    if (ferror(f)) {
        fclose(f);
        set_err(err, size, "cannot read the plot '%s'", path);
        return -1;
    }
    fclose(f);
    return 0;
}

int csv_plot_parse(const char *name, const char *text, size_t len, unsigned k,
                   struct csv_plot *p, char *err, size_t size)
{
    struct col cols[CSV_MAX_SERIES + 1];
    size_t n_cols = 0, i;
    int rc;
    const char *base = strrchr(name, '/');

    vml_text conv = {0};

    memset(p, 0, sizeof *p);
    memset(cols, 0, sizeof cols);
    if (size > 0)
        err[0] = '\0';
    rc = replay_csv_to_plot(text, len, &conv);       /* replay's own CSV? */
    if (rc > 0) {
        text = conv.s ? conv.s : "";
        len = conv.len;
    }
    rc = rc < 0 ? -1 : parse_text(name, text, len, p, cols, &n_cols, err, size);
    vml_text_free(&conv);
    if (rc == 0 && p->title == NULL)
        p->title = dup_range(base ? base + 1 : name, strlen(base ? base + 1 : name));
    if (rc == 0 && p->y_label == NULL)
        p->y_label = dup_range("value", 5);
    if (rc == 0 && (p->series = calloc(n_cols, sizeof *p->series)) == NULL)
        rc = -1;
    if (rc == 0 && (p->title == NULL || p->y_label == NULL || p->x_label == NULL))
        rc = -1;
    for (i = 0; i < n_cols && rc == 0; i++)
        if (cols[i].name == NULL)
            rc = -1;
    if (rc != 0) {
        if (size > 0 && err[0] == '\0')
            set_err(err, size, "%s: out of memory", name);
        for (i = 0; i < CSV_MAX_SERIES + 1; i++) {
            free(cols[i].name);
            free(cols[i].x);
            free(cols[i].y);
        }
        csv_plot_free(p);
        return -1;
    }
    for (i = 0; i < n_cols; i++)
        p->series[i] = (vml_series){ cols[i].name, cols[i].x, cols[i].y, cols[i].n };
    p->n_series = n_cols;
    snprintf(p->id, sizeof p->id, "plot-%u", k);
    p->plot = (vml_plot){ p->id, p->title, p->x_label, "", p->y_label, "", 0,
                          p->series, p->n_series };
    return 0;
}

int csv_plot_read(const char *path, unsigned k, struct csv_plot *p, char *err, size_t size)
{
    vml_text t = {0};
    int rc;

    memset(p, 0, sizeof *p);
    if (size > 0)
        err[0] = '\0';
    rc = slurp(path, &t, err, size);
    if (rc == 0)
        rc = csv_plot_parse(path, t.s ? t.s : "", t.len, k, p, err, size);
    vml_text_free(&t);
    return rc;
}
