/*
** rd_lackey.c -- Valgrind lackey's memory trace (valgrind --tool=lackey
** --trace-mem=yes), as its lk_main.c prints it:
**
**   I  04016b30,3        an instruction fetch of 3 bytes ("I" and two blanks)
**    L 1ffefffd68,8      a load  (blank, letter, blank)
**    S 1ffefffd68,8      a store
**    M 0422a0e0,4        a modify: a load and a store of one datum
**   ==13334== ...        Valgrind's own messages: skipped (so are --PID-- lines)
**
** Addresses are hex without 0x, sizes decimal.  The trace carries no PID:
** every access is pid 0.  Empty lines are skipped; anything else is an
** error naming the line.
*/
#include <string.h>

#include "trace.h"

/* "==123==" or "--123--" at the start of a line: a Valgrind message. */
static int is_valgrind_message(const char *s, size_t len)
{
    size_t i = 2;

    if (len < 5 || (s[0] != '=' && s[0] != '-') || s[1] != s[0])
        return 0;
    while (i < len && s[i] >= '0' && s[i] <= '9')
        i++;
    return i > 2 && i + 1 < len && s[i] == s[0] && s[i + 1] == s[0];
}

static vml_status lackey_bad(vml_trace *t, const char *line, size_t len, const char *why)
{
    char q[64];

    tr_quote(q, sizeof q, line, len);
    return tr_fail_line(t, VML_E_SYNTAX, t->line, "%s: %s", q, why);
}

/* One record line into *a: VML_OK, or a failure naming the line. */
static vml_status lackey_parse(vml_trace *t, const char *s, size_t len, vml_trace_access *a)
{
    uint64_t va, size;
    size_t i;
    int overflow;

    if (s[0] == 'I' && len > 1 && s[1] == ' ') {
        a->kind = VML_TRACE_IFETCH;
        i = 1;
    } else if (s[0] == ' ' && len > 2 && s[2] == ' ') {
        switch (s[1]) {
        case 'L': a->kind = VML_TRACE_READ; break;
        case 'S': a->kind = VML_TRACE_WRITE; break;
        case 'M': a->kind = VML_TRACE_MODIFY; break;
        default:
            return lackey_bad(t, s, len, "expected L, S or M after the blank");
        }
        i = 2;
    } else {
        return lackey_bad(t, s, len, "not a lackey record (I, L, S or M ADDRESS,SIZE)");
    }
    while (i < len && s[i] == ' ')
        i++;
    if (tr_hex(s, len, &i, &va, &overflow) != 0)
        return lackey_bad(t, s, len, overflow ? "address wider than 64 bits"
                                              : "expected a hex address");
    if (i >= len || s[i] != ',')
        return lackey_bad(t, s, len, "expected ',' and a size after the address");
    i++;
    if (tr_dec(s, len, &i, &size, &overflow) != 0 || size == 0 || size > UINT16_MAX)
        return lackey_bad(t, s, len, "expected a size of 1 to 65535 bytes after ','");
    while (i < len && (s[i] == ' ' || s[i] == '\t'))
        i++;
    if (i != len)
        return lackey_bad(t, s, len, "unexpected text after the size");
    a->va = va;
    a->size = (uint16_t)size;
    a->pid = 0;
    a->flags = 0;
    return VML_OK;
}

static vml_status lackey_read(vml_trace *t, vml_trace_access *out, size_t max, size_t *n)
{
    size_t k = 0;

    while (k < max) {
        const char *s;
        size_t len;
        int r = tr_next_line(t, &s, &len);

        if (r > 0)
            break;
        if (r < 0)
            break;
        if (len == 0 || is_valgrind_message(s, len))
            continue;
        if (lackey_parse(t, s, len, &out[k]) != VML_OK)
            break;
        k++;
    }
    *n = k;
    return k > 0 ? VML_OK : t->st;   /* TR1: a failure comes after what came before it */
}

const struct rd_ops rd_lackey = {
    .format = VML_TRACE_LACKEY,
    .start = NULL,
    .read = lackey_read,
    .read_refs = NULL,
};
