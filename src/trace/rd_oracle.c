/*
** rd_oracle.c -- libCacheSim's oracleGeneral binary trace: 24-byte
** little-endian records, no header (libCacheSim's oracleGeneralBin.h):
**
**   offset size
**      0    4   clock time (seconds)          ignored
**      4    8   object id                     the page number
**     12    4   object size (bytes)           ignored
**     16    8   next access (virtual time)    ignored: replay computes its own
**
** An object id is taken as a page number, so it must be below 2^52; every
** access is a read of pid 0.  A file whose length is not a multiple of 24
** ends in a truncated record: an error naming its byte offset.
*/
#include <string.h>

#include "trace.h"

#define ORACLE_RECORD 24

static uint64_t le64(const uint8_t *p)
{
    uint64_t v;

    memcpy(&v, p, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    v = __builtin_bswap64(v);
#endif
    return v;
}

static vml_status oracle_read(vml_trace *t, vml_trace_access *out, size_t max, size_t *n)
{
    struct src *s = &t->src;
    size_t k = 0;

    while (k < max) {
        const uint8_t *p;
        uint64_t id;

        if (s->len - s->pos < ORACLE_RECORD) {
            if (src_fill(s, ORACLE_RECORD) != 0) {
                tr_fail_src(t);
                break;
            }
            if (s->len - s->pos < ORACLE_RECORD) {
                if (s->len == s->pos)
                    break;
                tr_fail_byte(t, VML_E_SYNTAX, s->off + s->pos,
                             "truncated record: %zu of its 24 bytes", s->len - s->pos);
                break;
            }
        }
        p = s->buf + s->pos;
        id = le64(p + 4);
        if (id >> (64 - VML_PAGE_SHIFT)) {
            tr_fail_byte(t, VML_E_SYNTAX, s->off + s->pos,
                         "object id 0x%llx is not a page number (it must be below 2^52)",
                         (unsigned long long)id);
            break;
        }
        out[k].va = id << VML_PAGE_SHIFT;
        out[k].pid = 0;
        out[k].size = 0;
        out[k].kind = VML_TRACE_READ;
        out[k].flags = 0;
        s->pos += ORACLE_RECORD;
        k++;
    }
    *n = k;
    return k > 0 ? VML_OK : t->st;   /* TR1: a failure comes after what came before it */
}

const struct rd_ops rd_oracle = {
    .format = VML_TRACE_ORACLE,
    .start = NULL,
    .read = oracle_read,
    .read_refs = NULL,
};
