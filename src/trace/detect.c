/*
** detect.c -- which format a trace is in, from its first (decompressed)
** bytes, never from its name:
**
**   the vmt magic (89 'V' 'M' 'T' ...)                     vmt
**   a NUL byte in the first 4 KiB, and no vmt magic        oracle, when its
**       first record looks like one (next access -1 or later than 0)
**   text: the first line that is not empty, a '#' comment or a Valgrind
**   message (==PID== / --PID--) decides:
**       "I  hex,size" or " L|S|M hex,size"                 lackey
**       "R|W|I|M [0x]hex [pid]"                            text
**       a line with a comma                                csv
**   an empty stream                                        text (no accesses)
**
** Anything else is an error that shows what was seen.
*/
#include <stdio.h>
#include <string.h>

#include "trace.h"

#define DETECT_BYTES 4096

static int is_blank(int c)
{
    return c == ' ' || c == '\t';
}

static int looks_lackey(const char *s, size_t len)
{
    size_t i;
    uint64_t v;
    int ovf;

    if (len > 2 && s[0] == 'I' && s[1] == ' ')
        i = 1;
    else if (len > 3 && s[0] == ' ' && (s[1] == 'L' || s[1] == 'S' || s[1] == 'M') && s[2] == ' ')
        i = 2;
    else
        return 0;
    while (i < len && s[i] == ' ')
        i++;
    return tr_hex(s, len, &i, &v, &ovf) == 0 && i < len && s[i] == ',';
}

static int looks_text(const char *s, size_t len)
{
    size_t i = 0;
    uint64_t v;
    int ovf;

    while (i < len && is_blank(s[i]))
        i++;
    if (i >= len || !strchr("RWIMrwim", s[i]) || s[i] == '\0')
        return 0;
    i++;
    if (i >= len || !is_blank(s[i]))
        return 0;
    while (i < len && is_blank(s[i]))
        i++;
    if (tr_hex(s, len, &i, &v, &ovf) != 0)
        return 0;
    return i == len || is_blank(s[i]);
}

static int is_valgrind_message(const char *s, size_t len)
{
    size_t i = 2;

    if (len < 5 || (s[0] != '=' && s[0] != '-') || s[1] != s[0])
        return 0;
    while (i < len && s[i] >= '0' && s[i] <= '9')
        i++;
    return i > 2 && i + 1 < len && s[i] == s[0] && s[i + 1] == s[0];
}

static int looks_oracle(const uint8_t *b, size_t n)
{
    int64_t next;

    if (n < 24)
        return 0;
    memcpy(&next, b + 16, 8);
    return next == -1 || next > 0;
}

vml_status detect_format(struct src *s, vml_trace_format *fmt, char *err, size_t size)
{
    const uint8_t *b;
    size_t n, i = 0;

    if (src_fill(s, DETECT_BYTES) != 0) {
        snprintf(err, size, "%s", s->err);
        return VML_E_IO;
    }
    b = s->buf + s->pos;
    n = s->len - s->pos;
    if (n >= VMT_MAGIC_LEN && memcmp(b, VMT_MAGIC, VMT_MAGIC_LEN) == 0) {
        *fmt = VML_TRACE_VMT;
        return VML_OK;
    }
    if (memchr(b, '\0', n) != NULL) {
        if (looks_oracle(b, n)) {
            *fmt = VML_TRACE_ORACLE;
            return VML_OK;
        }
        snprintf(err, size, "%s: unknown binary trace format (neither vmt nor oracleGeneral; "
                 "first bytes %02x %02x %02x %02x)", s->name, b[0], n > 1 ? b[1] : 0,
                 n > 2 ? b[2] : 0, n > 3 ? b[3] : 0);
        return VML_E_SYNTAX;
    }
    while (i < n) {
        const char *line = (const char *)b + i;
        const uint8_t *nl = memchr(b + i, '\n', n - i);
        size_t len = nl ? (size_t)(nl - (b + i)) : n - i;
        size_t j = 0;
        char q[64];

        if (nl == NULL && !s->eof)
            break;          /* a line cut by the window: not evidence */
        i += len + 1;
        if (len > 0 && line[len - 1] == '\r')
            len--;
        while (j < len && is_blank(line[j]))
            j++;
        if (looks_lackey(line, len)) {
            *fmt = VML_TRACE_LACKEY;
            return VML_OK;
        }
        if (j == len || line[j] == '#' || is_valgrind_message(line, len))
            continue;
        if (looks_text(line, len)) {
            *fmt = VML_TRACE_TEXT;
            return VML_OK;
        }
        if (memchr(line, ',', len) != NULL) {
            *fmt = VML_TRACE_CSV;
            return VML_OK;
        }
        tr_quote(q, sizeof q, line, len);
        snprintf(err, size, "%s: unknown trace format: the first line %s is neither lackey "
                 "(I|L|S|M ADDRESS,SIZE), text (R|W ADDRESS [PID]) nor CSV", s->name, q);
        return VML_E_SYNTAX;
    }
    /* Nothing but comments, Valgrind messages or nothing at all: lackey
    ** when Valgrind spoke (a program that touched no memory), else text. */
    *fmt = n >= 2 && (b[0] == '=' || b[0] == '-') ? VML_TRACE_LACKEY : VML_TRACE_TEXT;
    return VML_OK;
}
