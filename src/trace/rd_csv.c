/*
** rd_csv.c -- a comma-separated trace.  The first line that is not empty
** and not a '#' comment is a header when one of its fields is a column
** name; the names (any case, blanks around them ignored) are
**
**   op, kind, type, rw, access       the access: R W I M, read write
**                                    ifetch modify (default: read)
**   addr, address, va, vaddr         a hex address, with or without 0x
**   page, vpn, obj_id, obj-id, id    a page number instead (decimal or 0x hex)
**   pid, process                     decimal (default 0)
**   size, len, bytes, obj_size       decimal bytes (default 1)
**
** and other columns are ignored; an address or a page column is required,
** and every row has the header's number of fields.  Without a header a
** row is op,address[,pid[,size]].
*/
#include <string.h>
#include <strings.h>

#include "trace.h"

static const struct {
    const char  *name;
    enum csv_col col;
} col_names[] = {
    { "op", CSV_OP },        { "kind", CSV_OP },      { "type", CSV_OP },
    { "rw", CSV_OP },        { "access", CSV_OP },    { "addr", CSV_ADDR },
    { "address", CSV_ADDR }, { "va", CSV_ADDR },      { "vaddr", CSV_ADDR },
    { "page", CSV_PAGE },    { "vpn", CSV_PAGE },     { "obj_id", CSV_PAGE },
    { "obj-id", CSV_PAGE },  { "objid", CSV_PAGE },   { "id", CSV_PAGE },
    { "pid", CSV_PID },      { "process", CSV_PID },  { "size", CSV_SIZE },
    { "len", CSV_SIZE },     { "bytes", CSV_SIZE },   { "obj_size", CSV_SIZE },
};

struct field {
    const char *s;
    size_t      len;
};

/* Splits a line at commas, trimming blanks: the number of fields, or
** CSV_MAX_COLS + 1 when there are more. */
static unsigned csv_split(const char *s, size_t len, struct field *f)
{
    unsigned n = 0;
    size_t i = 0;

    for (;;) {
        size_t start = i, end;
        while (i < len && s[i] != ',')
            i++;
        end = i;
        while (start < end && (s[start] == ' ' || s[start] == '\t'))
            start++;
        while (end > start && (s[end - 1] == ' ' || s[end - 1] == '\t'))
            end--;
        if (n == CSV_MAX_COLS)
            return CSV_MAX_COLS + 1;
        f[n].s = s + start;
        f[n].len = end - start;
        n++;
        if (i >= len)
            return n;
        i++;
    }
}

static int field_is(const struct field *f, const char *word)
{
    return f->len == strlen(word) && strncasecmp(f->s, word, f->len) == 0;
}

static int op_kind(const struct field *f, uint8_t *kind)
{
    static const struct { const char *word; uint8_t kind; } ops[] = {
        { "r", VML_TRACE_READ },  { "read", VML_TRACE_READ },  { "l", VML_TRACE_READ },
        { "load", VML_TRACE_READ }, { "w", VML_TRACE_WRITE }, { "write", VML_TRACE_WRITE },
        { "s", VML_TRACE_WRITE }, { "store", VML_TRACE_WRITE }, { "i", VML_TRACE_IFETCH },
        { "ifetch", VML_TRACE_IFETCH }, { "m", VML_TRACE_MODIFY }, { "modify", VML_TRACE_MODIFY },
    };
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
        if (field_is(f, ops[i].word)) {
            *kind = ops[i].kind;
            return 0;
        }
    return -1;
}

static enum csv_col col_of_name(const struct field *f, int *known)
{
    for (size_t i = 0; i < sizeof col_names / sizeof col_names[0]; i++)
        if (field_is(f, col_names[i].name)) {
            *known = 1;
            return col_names[i].col;
        }
    *known = 0;
    return CSV_SKIP;
}

static vml_status csv_bad(vml_trace *t, const char *line, size_t len, const char *why,
                          unsigned col)
{
    char q[64];

    tr_quote(q, sizeof q, line, len);
    if (col > 0)
        return tr_fail_line(t, VML_E_SYNTAX, t->line, "%s: field %u: %s", q, col, why);
    return tr_fail_line(t, VML_E_SYNTAX, t->line, "%s: %s", q, why);
}

/* The first line: a header (columns from names) or the first record
** (columns by position).  Returns 1 when the line was a header. */
static int csv_columns(vml_trace *t, const struct field *f, unsigned n)
{
    int any_name = 0, known;

    for (unsigned i = 0; i < n; i++) {
        t->csv_cols[i] = col_of_name(&f[i], &known);
        any_name |= known;
    }
    t->csv_n_cols = n;
    t->csv_header = any_name;
    if (any_name)
        return 1;
    static const enum csv_col by_position[] = { CSV_OP, CSV_ADDR, CSV_PID, CSV_SIZE };
    for (unsigned i = 0; i < CSV_MAX_COLS; i++)
        t->csv_cols[i] = i < 4 ? by_position[i] : CSV_SKIP;
    t->csv_n_cols = 4;
    return 0;
}

static vml_status csv_record(vml_trace *t, const char *s, size_t len, const struct field *f,
                             unsigned n, vml_trace_access *a)
{
    int have_addr = 0, overflow;

    if (t->csv_header ? n != t->csv_n_cols : n < 2 || n > 4)
        return csv_bad(t, s, len, t->csv_header ? "wrong number of fields for the header's columns"
                                                : "expected op,address[,pid[,size]]", 0);
    a->kind = VML_TRACE_READ;
    a->pid = 0;
    a->size = 1;
    a->flags = 0;
    for (unsigned c = 0; c < n; c++) {
        uint64_t v;
        size_t i = 0;
        int bad;
        switch (t->csv_cols[c]) {
        case CSV_SKIP:
            break;
        case CSV_OP:
            if (op_kind(&f[c], &a->kind) != 0)
                return csv_bad(t, s, len, "expected an access kind (R, W, I, M)", c + 1);
            break;
        case CSV_ADDR:
            if (tr_hex(f[c].s, f[c].len, &i, &v, &overflow) != 0 || i != f[c].len)
                return csv_bad(t, s, len, "expected a hex address", c + 1);
            a->va = v;
            have_addr = 1;
            break;
        case CSV_PAGE:
            bad = f[c].len > 1 && f[c].s[0] == '0' && (f[c].s[1] | 0x20) == 'x'
                      ? tr_hex(f[c].s, f[c].len, &i, &v, &overflow)
                      : tr_dec(f[c].s, f[c].len, &i, &v, &overflow);
            if (bad || i != f[c].len || v >> (64 - VML_PAGE_SHIFT))
                return csv_bad(t, s, len, "expected a page number below 2^52", c + 1);
            a->va = v << VML_PAGE_SHIFT;
            have_addr = 1;
            break;
        case CSV_PID:
            if (tr_dec(f[c].s, f[c].len, &i, &v, &overflow) != 0 || i != f[c].len
                || v > UINT32_MAX)
                return csv_bad(t, s, len, "expected a decimal PID", c + 1);
            a->pid = (uint32_t)v;
            break;
        case CSV_SIZE:
            if (tr_dec(f[c].s, f[c].len, &i, &v, &overflow) != 0 || i != f[c].len || v == 0
                || v > UINT16_MAX)
                return csv_bad(t, s, len, "expected a size of 1 to 65535", c + 1);
            a->size = (uint16_t)v;
            break;
        }
    }
    if (!have_addr)
        return csv_bad(t, s, len, "no address", 0);
    return VML_OK;
}

static vml_status csv_read(vml_trace *t, vml_trace_access *out, size_t max, size_t *n)
{
    struct field f[CSV_MAX_COLS];
    size_t k = 0;

    while (k < max) {
        const char *s;
        size_t len;
        unsigned nf;
        int r = tr_next_line(t, &s, &len);

        if (r > 0)
            break;
        if (r < 0)
            break;
        if (len == 0 || s[0] == '#')
            continue;
        nf = csv_split(s, len, f);
        if (nf > CSV_MAX_COLS) {
            csv_bad(t, s, len, "more than 32 fields", 0);
            break;
        }
        if (t->csv_n_cols == 0 && csv_columns(t, f, nf)) {
            int addr = 0;
            for (unsigned c = 0; c < nf; c++)
                addr |= t->csv_cols[c] == CSV_ADDR || t->csv_cols[c] == CSV_PAGE;
            if (!addr) {
                csv_bad(t, s, len, "the header names no address column "
                                   "(address, addr, va, page, vpn or obj_id)", 0);
                break;
            }
            continue;
        }
        if (csv_record(t, s, len, f, nf, &out[k]) != VML_OK)
            break;
        k++;
    }
    *n = k;
    return k > 0 ? VML_OK : t->st;   /* TR1: a failure comes after what came before it */
}

const struct rd_ops rd_csv = {
    .format = VML_TRACE_CSV,
    .start = NULL,
    .read = csv_read,
    .read_refs = NULL,
};
