/*
** text.c -- vml_text: the growable, NUL-terminated buffer every view
** appends to, and small helpers for lining text up in columns.
**
** INVARIANTS:
**   TXT1  s == NULL iff cap == 0; otherwise len < cap and s[len] == '\0'.
**   TXT2  Once oom is set nothing more is appended, so the text is always a
**       prefix of what the caller asked for; vml_text_free() clears it.
**   TXT3  An append never crashes: a failed allocation sets oom and keeps
**       the text as it was.
*/
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "view/view.h"

VML_API void vml_text_free(vml_text *t)
{
    if (t == NULL)
        return;
    free(t->s);
    t->s = NULL;
    t->len = 0;
    t->cap = 0;
    t->oom = 0;
}

/* Makes room for extra more bytes (plus the NUL).  0 and oom set when the
** host has no memory or the size would overflow (TXT3). */
static int text_reserve(vml_text *t, size_t extra)
{
    size_t need, cap;
    char *s;

    if (extra > SIZE_MAX - t->len - 1) {
        t->oom = 1;
        return 0;
    }
    need = t->len + extra + 1;
    if (need <= t->cap)
        return 1;
    cap = t->cap ? t->cap : 256;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    s = realloc(t->s, cap);
    if (s == NULL) {
        t->oom = 1;
        return 0;
    }
    t->s = s;
    t->cap = cap;
    return 1;
}

VML_API void vml_text_vprintf(vml_text *t, const char *fmt, va_list ap)
{
    va_list ap2;
    size_t avail;
    int n;

    if (t == NULL || fmt == NULL || t->oom)   /* TXT2 */
        return;
    avail = t->cap > t->len ? t->cap - t->len : 0;
    va_copy(ap2, ap);
    n = vsnprintf(avail ? t->s + t->len : NULL, avail, fmt, ap);
    if (n < 0) {                       /* encoding error: append nothing */
        if (avail)
            t->s[t->len] = '\0';
        va_end(ap2);
        return;
    }
    if ((size_t)n >= avail) {
        if (!text_reserve(t, (size_t)n)) {
            if (avail)
                t->s[t->len] = '\0';   /* undo the truncated attempt (TXT1) */
            va_end(ap2);
            return;
        }
        vsnprintf(t->s + t->len, t->cap - t->len, fmt, ap2);
    }
    va_end(ap2);
    t->len += (size_t)n;
}

VML_API void vml_text_printf(vml_text *t, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vml_text_vprintf(t, fmt, ap);
    va_end(ap);
}

VML_API void vml_text_append(vml_text *t, const void *bytes, size_t n)
{
    if (t == NULL || (bytes == NULL && n) || t->oom || !text_reserve(t, n))
        return;
    if (n)
        memcpy(t->s + t->len, bytes, n);
    t->len += n;
    t->s[t->len] = '\0';
}

void vt_puts(vml_text *t, const char *s)
{
    if (s != NULL)
        vml_text_append(t, s, strlen(s));
}

void vt_putc(vml_text *t, char c)
{
    if (t == NULL || t->oom || !text_reserve(t, 1))
        return;
    t->s[t->len++] = c;
    t->s[t->len] = '\0';
}

void vt_spaces(vml_text *t, size_t n)
{
    if (t == NULL || t->oom || n == 0 || !text_reserve(t, n))
        return;
    memset(t->s + t->len, ' ', n);
    t->len += n;
    t->s[t->len] = '\0';
}

void vt_pad_to(vml_text *t, size_t line_start, size_t col)
{
    if (t == NULL || t->len < line_start)
        return;
    if (t->len - line_start < col)
        vt_spaces(t, col - (t->len - line_start));
}

void vt_rollback(vml_text *t, size_t mark)
{
    if (t == NULL || mark > t->len)
        return;
    t->len = mark;
    if (t->s != NULL)
        t->s[mark] = '\0';
}

vml_status vt_done(const vml_text *t)
{
    return t->oom ? VML_E_NOMEM : VML_OK;
}

const char *vt_group(uint64_t v, char *buf, size_t size)
{
    char digits[32];
    size_t n, i, o = 0;

    n = (size_t)snprintf(digits, sizeof digits, "%llu", (unsigned long long)v);
    for (i = 0; i < n && o + 1 < size; i++) {
        if (i > 0 && (n - i) % 3 == 0) {
            buf[o++] = ',';
            if (o + 1 >= size)
                break;
        }
        buf[o++] = digits[i];
    }
    if (size)
        buf[o < size ? o : size - 1] = '\0';
    return buf;
}
