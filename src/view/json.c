/*
** json.c -- a minimal streaming JSON writer for the views' --json output.
**
** Compact output (no insignificant whitespace), one top-level object per
** view followed by "\n".  Keys are snake_case by convention of the callers.
**
** INVARIANTS:
**   J1  n_items[d] counts the values written in the container open at
**       depth d; a value is preceded by "," exactly when n_items[d] > 0.
**   J2  Every string goes through jw_escape(): '"', '\\' and control
**       characters are escaped and each byte that is not part of a valid
**       UTF-8 sequence becomes U+FFFD, so the output is always valid JSON.
*/
#include <stdint.h>
#include <string.h>

#include "view/view.h"

/* Length of the valid UTF-8 sequence at s (1..4), or 0 if invalid.
** Rejects overlong forms, surrogates and code points above U+10FFFF. */
static size_t utf8_seq_len(const unsigned char *s)
{
    unsigned c = s[0];

    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF)
        return (s[1] & 0xC0) == 0x80 ? 2 : 0;
    if (c >= 0xE0 && c <= 0xEF) {
        unsigned lo = 0x80, hi = 0xBF;
        if (c == 0xE0) lo = 0xA0;
        if (c == 0xED) hi = 0x9F;              /* no surrogates */
        if (s[1] < lo || s[1] > hi || (s[2] & 0xC0) != 0x80)
            return 0;
        return 3;
    }
    if (c >= 0xF0 && c <= 0xF4) {
        unsigned lo = 0x80, hi = 0xBF;
        if (c == 0xF0) lo = 0x90;
        if (c == 0xF4) hi = 0x8F;              /* <= U+10FFFF */
        if (s[1] < lo || s[1] > hi || (s[2] & 0xC0) != 0x80 ||
            (s[3] & 0xC0) != 0x80)
            return 0;
        return 4;
    }
    return 0;
}

void jw_escape(vml_text *t, const char *str)
{
    const unsigned char *s = (const unsigned char *)(str ? str : "");

    vt_putc(t, '"');
    while (*s) {
        size_t n = utf8_seq_len(s);

        if (n == 0) {                          /* J2: invalid byte */
            vt_puts(t, "\\ufffd");
            s++;
            continue;
        }
        if (n > 1) {
            char buf[5];
            memcpy(buf, s, n);
            buf[n] = '\0';
            vt_puts(t, buf);
            s += n;
            continue;
        }
        switch (*s) {
        case '"':  vt_puts(t, "\\\""); break;
        case '\\': vt_puts(t, "\\\\"); break;
        case '\n': vt_puts(t, "\\n"); break;
        case '\r': vt_puts(t, "\\r"); break;
        case '\t': vt_puts(t, "\\t"); break;
        default:
            if (*s < 0x20 || *s == 0x7F)
                vml_text_printf(t, "\\u%04x", *s);
            else
                vt_putc(t, (char)*s);
        }
        s++;
    }
    vt_putc(t, '"');
}

/* Comma and "key": before a value (J1). */
static void jw_prefix(struct jw *w, const char *key)
{
    unsigned d = w->depth ? w->depth - 1 : 0;

    if (w->n_items[d] > 0)
        vt_putc(w->t, ',');
    if (w->n_items[d] < 255)
        w->n_items[d]++;
    if (key != NULL) {
        jw_escape(w->t, key);
        vt_putc(w->t, ':');
    }
}

static void jw_open(struct jw *w, const char *key, char c)
{
    jw_prefix(w, key);
    vt_putc(w->t, c);
    if (w->depth < JW_MAX_DEPTH) {
        w->n_items[w->depth] = 0;
        w->closer[w->depth] = c == '{' ? '}' : ']';
        w->depth++;
    }
}

static void jw_close(struct jw *w, char c)
{
    vt_putc(w->t, c);
    if (w->depth > 0)
        w->depth--;
}

void jw_begin(struct jw *w, vml_text *t)
{
    memset(w, 0, sizeof *w);
    w->t = t;
    vt_putc(t, '{');
    w->closer[0] = '}';
    w->depth = 1;
}

void jw_begin_proc(struct jw *w, vml_text *t, const char *view, vml_proc *p)
{
    jw_begin(w, t);
    jw_str(w, "view", view);
    jw_u64(w, "pid", vml_proc_pid(p));
    jw_str(w, "process", vml_proc_name(p));
}

void jw_finish(struct jw *w)
{
    while (w->depth > 0)          /* close anything a caller left open */
        jw_close(w, w->closer[w->depth - 1]);
    vt_putc(w->t, '\n');
}

void jw_obj(struct jw *w, const char *key)     { jw_open(w, key, '{'); }
void jw_obj_end(struct jw *w)                  { jw_close(w, '}'); }
void jw_arr(struct jw *w, const char *key)     { jw_open(w, key, '['); }
void jw_arr_end(struct jw *w)                  { jw_close(w, ']'); }

void jw_str(struct jw *w, const char *key, const char *s)
{
    jw_prefix(w, key);
    jw_escape(w->t, s);
}

void jw_u64(struct jw *w, const char *key, uint64_t v)
{
    jw_prefix(w, key);
    vml_text_printf(w->t, "%llu", (unsigned long long)v);
}

void jw_i64(struct jw *w, const char *key, int64_t v)
{
    jw_prefix(w, key);
    vml_text_printf(w->t, "%lld", (long long)v);
}

void jw_hex(struct jw *w, const char *key, uint64_t v)
{
    jw_prefix(w, key);
    vml_text_printf(w->t, "\"0x%llx\"", (unsigned long long)v);
}

void jw_bool(struct jw *w, const char *key, int v)
{
    jw_prefix(w, key);
    vt_puts(w->t, v ? "true" : "false");
}

void jw_null(struct jw *w, const char *key)
{
    jw_prefix(w, key);
    vt_puts(w->t, "null");
}
