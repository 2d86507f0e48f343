/*
** rd_text.c -- the plain text trace: one access per line,
**
**   R|W ADDRESS [PID]
**
** ADDRESS in hex with or without 0x, PID decimal (0 when absent), fields
** separated by blanks or tabs.  As extensions I (instruction fetch) and M
** (modify) are read too, lower case as well.  Empty lines and lines
** starting with '#' are skipped.
*/
#include "trace.h"

static vml_status text_bad(vml_trace *t, const char *line, size_t len, const char *why)
{
    char q[64];

    tr_quote(q, sizeof q, line, len);
    return tr_fail_line(t, VML_E_SYNTAX, t->line, "%s: %s", q, why);
}

static size_t skip_blanks(const char *s, size_t len, size_t i)
{
    while (i < len && (s[i] == ' ' || s[i] == '\t'))
        i++;
    return i;
}

static vml_status text_parse(vml_trace *t, const char *s, size_t len, vml_trace_access *a)
{
    size_t i = skip_blanks(s, len, 0);
    uint64_t va, pid = 0;
    int overflow;

    switch (s[i] | 0x20) {
    case 'r': a->kind = VML_TRACE_READ; break;
    case 'w': a->kind = VML_TRACE_WRITE; break;
    case 'i': a->kind = VML_TRACE_IFETCH; break;
    case 'm': a->kind = VML_TRACE_MODIFY; break;
    default:
        return text_bad(t, s, len, "expected R or W (or I, M) and an address");
    }
    i++;
    if (i >= len || (s[i] != ' ' && s[i] != '\t'))
        return text_bad(t, s, len, "expected a blank after the access kind");
    i = skip_blanks(s, len, i);
    if (tr_hex(s, len, &i, &va, &overflow) != 0)
        return text_bad(t, s, len, overflow ? "address wider than 64 bits"
                                            : "expected a hex address");
    if (i < len && s[i] != ' ' && s[i] != '\t')
        return text_bad(t, s, len, "expected a blank after the address");
    i = skip_blanks(s, len, i);
    if (i < len) {
        if (tr_dec(s, len, &i, &pid, &overflow) != 0 || pid > UINT32_MAX)
            return text_bad(t, s, len, "expected a decimal PID (0 to 4294967295) after the address");
        i = skip_blanks(s, len, i);
        if (i < len)
            return text_bad(t, s, len, "unexpected text after the PID");
    }
    a->va = va;
    a->pid = (uint32_t)pid;
    a->size = 1;
    a->flags = 0;
    return VML_OK;
}

static vml_status text_read(vml_trace *t, vml_trace_access *out, size_t max, size_t *n)
{
    size_t k = 0;

    while (k < max) {
        const char *s;
        size_t len, i;
        int r = tr_next_line(t, &s, &len);

        if (r > 0)
            break;
        if (r < 0)
            break;
        i = skip_blanks(s, len, 0);
        if (i == len || s[i] == '#')
            continue;
        if (text_parse(t, s, len, &out[k]) != VML_OK)
            break;
        k++;
    }
    *n = k;
    return k > 0 ? VML_OK : t->st;   /* TR1: a failure comes after what came before it */
}

const struct rd_ops rd_text = {
    .format = VML_TRACE_TEXT,
    .start = NULL,
    .read = text_read,
    .read_refs = NULL,
};
