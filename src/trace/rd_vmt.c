/*
** rd_vmt.c -- vmt, vmlab's compact binary page trace (docs/replay.md has
** the full description; writer.c writes it).
**
**   header, 16 bytes, little-endian:
**     0  8  magic 89 'V' 'M' 'T' 0D 0A 1A 0A
**     8  2  version (1)
**    10  2  header length (16)
**    12  1  page shift (12)
**    13  1  flags (0)
**    14  2  reserved (0)
**   records, the first byte b saying which:
**     b < 0xC0   a short reference: kind b >> 6 (0 read, 1 write, 2
**                instruction fetch) to the page of the reference
**                (b & 63) + 1 references back (every reference counts)
**     0xC0 | k   a long reference of kind k (k < 3): a varint page id
**                follows.  Ids are dense, given in order of first
**                reference; the id equal to the number of ids given so far
**                defines a new page, whose number follows as a zigzag
**                varint delta from the previous new page's number.
**     0xC3       control: a varint code follows; 0 the process changes (a
**                varint pid follows); 1 the next reference continues a
**                straddling access (another page of the access before it);
**                2 end: varint references, varint pages, which must match
**                what was read, and nothing may follow.
**     others     reserved (an error)
**   Varints are unsigned LEB128.
**
** Real traces reuse a page within a few references most of the time (the
** code page, the stack page): 93% of the references of `ls -l` are short,
** one byte, decoded with a table lookup; the page-reference path
** (vmt_read_refs) hands the file's ids out as they are, so replay needs no
** hashing for this format.
**
** INVARIANTS:
**   VT1 Every id read is below n_ids; n_ids grows only by a new-page record.
**   VT2 A trace ends only at a valid end record followed by nothing; a
**       stream that stops anywhere else is truncated (an error).
**   VT3 ring[i & 63] is the id of reference i, for the last 64 references.
*/
#include <stdlib.h>
#include <string.h>

#include "trace.h"

/* One decoded record. */
struct vmt_rec {
    int      is_ref;       /* else a control record that was applied */
    uint32_t id;
    unsigned kind;         /* VMT_KIND_READ, WRITE, IFETCH */
    int      cont;         /* continues a straddling access */
    int      pid_record;   /* a control record that changed the process */
    int      new_page;     /* the reference defined its page */
};

static uint64_t vmt_offset(const vml_trace *t, const uint8_t *p)
{
    return t->src.off + (uint64_t)(p - t->src.buf);
}

/* LEB128 at *p, below end: 0 (advanced), 1 when it runs past end, -1 when
** longer than 10 bytes or above 64 bits. */
static int get_varint(const uint8_t **p, const uint8_t *end, uint64_t *v)
{
    const uint8_t *q = *p;
    uint64_t x = 0;

    for (unsigned shift = 0; shift < 64; shift += 7) {
        uint8_t b;
        if (q >= end)
            return 1;
        b = *q++;
        if (shift == 63 && b > 1)
            return -1;
        x |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *v = x;
            *p = q;
            return 0;
        }
    }
    return -1;
}

static vml_status vmt_start(vml_trace *t)
{
    struct src *s = &t->src;
    const uint8_t *h;
    unsigned version, hlen;

    if (src_fill(s, VMT_HEADER_LEN) != 0)
        return tr_fail_src(t);
    if (s->len - s->pos < VMT_HEADER_LEN)
        return tr_fail_byte(t, VML_E_SYNTAX, s->off + s->len,
                            "truncated vmt header (%zu of 16 bytes)", s->len - s->pos);
    h = s->buf + s->pos;
    if (memcmp(h, VMT_MAGIC, VMT_MAGIC_LEN) != 0)
        return tr_fail_byte(t, VML_E_SYNTAX, 0, "not a vmt trace (bad magic)");
    version = (unsigned)h[8] | (unsigned)h[9] << 8;
    hlen = (unsigned)h[10] | (unsigned)h[11] << 8;
    if (version != VMT_VERSION)
        return tr_fail_byte(t, VML_E_UNSUPPORTED, 8, "vmt version %u (this vmlab reads %u)",
                            version, VMT_VERSION);
    if (hlen != VMT_HEADER_LEN)
        return tr_fail_byte(t, VML_E_SYNTAX, 10, "vmt header length %u (expected 16)", hlen);
    if (h[12] != VML_PAGE_SHIFT)
        return tr_fail_byte(t, VML_E_UNSUPPORTED, 12, "page shift %u (vmlab pages are 4 KiB: 12)",
                            h[12]);
    if (h[13] != 0 || h[14] != 0 || h[15] != 0)
        return tr_fail_byte(t, VML_E_UNSUPPORTED, 13, "unknown vmt flags 0x%02x%02x%02x",
                            h[13], h[14], h[15]);
    s->pos += VMT_HEADER_LEN;
    return VML_OK;
}

/* Records a new page (VT1): its number and process. */
static vml_status vmt_new_page(vml_trace *t, const uint8_t *at, uint64_t delta)
{
    struct vmt_state *v = &t->vmt;
    uint64_t page = v->last_page + delta;     /* wraps: a negative delta */

    if (page >> (64 - VML_PAGE_SHIFT))
        return tr_fail_byte(t, VML_E_SYNTAX, vmt_offset(t, at),
                            "page number 0x%llx out of range (pages are below 2^52)",
                            (unsigned long long)page);
    if (v->n_ids >= VMT_MAX_IDS)
        return tr_fail_byte(t, VML_E_RANGE, vmt_offset(t, at), "more than %u distinct pages",
                            VMT_MAX_IDS);
    if (v->n_ids == v->cap) {
        size_t cap = v->cap ? 2 * v->cap : 1024;
        uint64_t *pg = realloc(v->page_of, cap * sizeof *pg);
        uint32_t *pd;
        if (pg == NULL)
            return tr_fail_byte(t, VML_E_NOMEM, vmt_offset(t, at), "out of memory");
        v->page_of = pg;
        pd = realloc(v->pid_of, cap * sizeof *pd);
        if (pd == NULL)
            return tr_fail_byte(t, VML_E_NOMEM, vmt_offset(t, at), "out of memory");
        v->pid_of = pd;
        v->cap = cap;
    }
    v->page_of[v->n_ids] = page;
    v->pid_of[v->n_ids] = v->pid;
    v->n_ids++;
    v->last_page = page;
    return VML_OK;
}

/* After the end record: VML_OK when the counts agree and nothing follows. */
static vml_status vmt_end(vml_trace *t, const uint8_t *at, uint64_t n_refs, uint64_t n_pages)
{
    struct src *s = &t->src;
    struct vmt_state *v = &t->vmt;

    if (v->cont)
        return tr_fail_byte(t, VML_E_SYNTAX, vmt_offset(t, at),
                            "end record right after a continuation record");
    if (n_refs != v->n_refs || n_pages != v->n_ids)
        return tr_fail_byte(t, VML_E_SYNTAX, vmt_offset(t, at),
                            "end record says %llu references and %llu pages, the trace has "
                            "%llu and %u (a damaged file)",
                            (unsigned long long)n_refs, (unsigned long long)n_pages,
                            (unsigned long long)v->n_refs, v->n_ids);
    if (src_fill(s, 1) != 0)
        return tr_fail_src(t);
    if (s->len > s->pos)
        return tr_fail_byte(t, VML_E_SYNTAX, s->off + s->pos, "data after the end record");
    v->ended = 1;
    return VML_OK;
}

/* Reads a varint of the record that starts at `rec`, for messages. */
static vml_status vmt_varint(vml_trace *t, const uint8_t **p, const uint8_t *end,
                             const uint8_t *rec, const char *what, uint64_t *v)
{
    int r = get_varint(p, end, v);

    if (r == 0)
        return VML_OK;
    if (r > 0)
        return tr_fail_byte(t, VML_E_SYNTAX, vmt_offset(t, rec),
                            "truncated record: the trace ends inside %s", what);
    return tr_fail_byte(t, VML_E_SYNTAX, vmt_offset(t, rec), "bad varint in %s", what);
}

/* Decodes the record at buf[pos]: VML_OK with *r (is_ref 0 for a control
** record), VML_OK with t->vmt.ended at the end, or a failure. */
static vml_status vmt_step(vml_trace *t, struct vmt_rec *r)
{
    struct src *s = &t->src;
    struct vmt_state *v = &t->vmt;
    const uint8_t *p, *rec, *end;
    uint64_t x, code, a, c;
    unsigned b;
    vml_status st;

    if (s->len - s->pos < VMT_MAX_RECORD && src_fill(s, VMT_MAX_RECORD) != 0)
        return tr_fail_src(t);
    rec = p = s->buf + s->pos;
    end = s->buf + s->len;
    if (p == end)           /* VT2 */
        return tr_fail_byte(t, VML_E_SYNTAX, vmt_offset(t, p),
                            "truncated: the trace stops without its end record (after %llu "
                            "references)", (unsigned long long)v->n_refs);
    b = *p++;
    r->is_ref = 0;
    r->pid_record = 0;
    r->new_page = 0;
    if (b == VMT_CTRL) {
        if ((st = vmt_varint(t, &p, end, rec, "a control record", &code)) != VML_OK)
            return st;
        switch (code) {
        case VMT_CTRL_PID:
            if ((st = vmt_varint(t, &p, end, rec, "a pid record", &a)) != VML_OK)
                return st;
            if (a > UINT32_MAX)
                return tr_fail_byte(t, VML_E_SYNTAX, vmt_offset(t, rec), "pid %llu out of range",
                                    (unsigned long long)a);
            v->pid = (uint32_t)a;
            r->pid_record = 1;
            break;
        case VMT_CTRL_CONT:
            if (v->cont)
                return tr_fail_byte(t, VML_E_SYNTAX, vmt_offset(t, rec),
                                    "two continuation records in a row");
            v->cont = 1;
            break;
        case VMT_CTRL_END:
            if ((st = vmt_varint(t, &p, end, rec, "the end record", &a)) != VML_OK
                || (st = vmt_varint(t, &p, end, rec, "the end record", &c)) != VML_OK)
                return st;
            s->pos = (size_t)(p - s->buf);
            return vmt_end(t, rec, a, c);
        default:
            return tr_fail_byte(t, VML_E_SYNTAX, vmt_offset(t, rec), "unknown control record %llu",
                                (unsigned long long)code);
        }
        s->pos = (size_t)(p - s->buf);
        return VML_OK;
    }
    if (b < VMT_SHORT_END) {
        unsigned back = (b & (VMT_BACK - 1)) + 1;
        if (back > v->n_refs)
            return tr_fail_byte(t, VML_E_SYNTAX, vmt_offset(t, rec),
                                "reference %u back, but only %llu references come before", back,
                                (unsigned long long)v->n_refs);
        r->id = v->ring[(v->n_refs - back) & (VMT_BACK - 1)];
        r->kind = b >> 6;
    } else if (b < VMT_CTRL) {
        if ((st = vmt_varint(t, &p, end, rec, "a reference", &x)) != VML_OK)
            return st;
        if (x > v->n_ids)        /* VT1 */
            return tr_fail_byte(t, VML_E_SYNTAX, vmt_offset(t, rec),
                                "reference to page id %llu, but only %u pages are defined",
                                (unsigned long long)x, v->n_ids);
        if (x == v->n_ids) {
            r->new_page = 1;
            if ((st = vmt_varint(t, &p, end, rec, "a new page's number", &a)) != VML_OK)
                return st;
            /* zigzag: 0, -1, 1, -2 ... as 0, 1, 2, 3 ... */
            if ((st = vmt_new_page(t, rec, a >> 1 ^ (a & 1 ? UINT64_MAX : 0))) != VML_OK)
                return st;
        }
        r->id = (uint32_t)x;
        r->kind = b & 3;
    } else {
        return tr_fail_byte(t, VML_E_SYNTAX, vmt_offset(t, rec), "reserved record byte 0x%02x",
                            b);
    }
    r->is_ref = 1;
    r->cont = v->cont;
    v->n_conts += (uint64_t)v->cont;
    v->cont = 0;
    v->ring[v->n_refs & (VMT_BACK - 1)] = r->id;     /* VT3 */
    v->n_refs++;
    s->pos = (size_t)(p - s->buf);
    return VML_OK;
}

static vml_status vmt_read(vml_trace *t, vml_trace_access *out, size_t max, size_t *n)
{
    static const uint8_t kinds[3] = { VML_TRACE_READ, VML_TRACE_WRITE, VML_TRACE_IFETCH };
    struct src *s = &t->src;
    struct vmt_state *v = &t->vmt;
    size_t k = 0;

    while (k < max && !v->ended) {
        struct vmt_rec r;
        const uint8_t *p = s->buf + s->pos, *end = s->buf + s->len;

        /* Fast path: short references (see vmt_read_refs). */
        if (end - p >= VMT_MAX_RECORD && !v->cont && v->n_refs >= VMT_BACK) {
            const uint8_t *stop = end - VMT_MAX_RECORD;
            const uint8_t *lim = (size_t)(stop - p) < max - k ? stop : p + (max - k);
            uint64_t nref = v->n_refs;
            while (p < lim && *p < VMT_SHORT_END) {
                unsigned b = *p++;
                uint32_t id = v->ring[(nref - 1 - (b & (VMT_BACK - 1))) & (VMT_BACK - 1)];
                v->ring[nref++ & (VMT_BACK - 1)] = id;
                out[k].va = v->page_of[id] << VML_PAGE_SHIFT;
                out[k].pid = v->pid_of[id];
                out[k].size = 0;
                out[k].kind = kinds[b >> 6];
                out[k].flags = 0;
                k++;
            }
            s->pos = (size_t)(p - s->buf);
            v->n_refs = nref;
            if (k == max)
                break;
        }
        if (vmt_step(t, &r) != VML_OK)
            break;
        if (!r.is_ref)
            continue;
        out[k].va = v->page_of[r.id] << VML_PAGE_SHIFT;
        out[k].pid = v->pid_of[r.id];
        out[k].size = 0;
        out[k].kind = kinds[r.kind];
        out[k].flags = r.cont ? VML_TRACE_CONT : 0;
        k++;
    }
    t->accesses = v->n_refs - v->n_conts;   /* TR2: a straddle's pages are one access */
    *n = k;
    return k > 0 ? VML_OK : t->st;   /* TR1: a failure comes after what came before it */
}

/* The page-reference path: the file's ids are the references' ids.  The
** loop decodes the common record (a known page, no control) inline and
** leaves everything else to vmt_step. */
static vml_status vmt_read_refs(vml_trace *t, struct prefs *ps, uint32_t *out, size_t max,
                                size_t *n)
{
    struct src *s = &t->src;
    struct vmt_state *v = &t->vmt;
    const int keep_ifetch = !(ps->flags & VML_REPLAY_NO_IFETCH);
    const int keep_cont = (ps->flags & VML_REPLAY_STRADDLE) != 0;
    size_t k = 0;

    while (k < max && !v->ended) {
        const uint8_t *p = s->buf + s->pos, *end = s->buf + s->len;
        const uint8_t *stop = end - VMT_MAX_RECORD;

        /* Fast path: short references, with whole records in the window
        ** and 64 references behind (VT3). */
        if (end - p >= VMT_MAX_RECORD && !v->cont && v->n_refs >= VMT_BACK) {
            /* Each byte gives at most one reference: bounding the bytes
            ** bounds k.  A dropped fetch is stored and not counted. */
            const uint8_t *lim = (size_t)(stop - p) < max - k ? stop : p + (max - k);
            const uint32_t inc[4] = { 1, 1, (uint32_t)keep_ifetch, 0 };
            uint64_t nref = v->n_refs;
            uint32_t *ring = v->ring;
            const uint32_t n_ids = v->n_ids;
            /* The last id stays in a register: "the page just referenced"
            ** (most short references) must not wait for the ring's store. */
            uint32_t last = ring[(nref - 1) & (VMT_BACK - 1)];
            while (p < lim) {
                unsigned b = *p, kind;
                uint32_t id;
                if (b < VMT_SHORT_END) {                /* short: 93% of real traces */
                    uint32_t older = ring[(nref - 1 - (b & (VMT_BACK - 1))) & (VMT_BACK - 1)];
                    id = (b & (VMT_BACK - 1)) == 0 ? last : older;
                    kind = b >> 6;
                    p++;
                } else if (b < VMT_CTRL && p[1] < 0x80 && p[1] < n_ids) {
                    id = p[1];                          /* long, a 1-byte id */
                    kind = b & 3;
                    p += 2;
                } else if (b < VMT_CTRL && p[1] >= 0x80 && p[2] < 0x80
                           && (id = (p[1] & 0x7fu) | (uint32_t)p[2] << 7) < n_ids) {
                    kind = b & 3;                       /* long, a 2-byte id */
                    p += 3;
                } else {
                    break;       /* a new page, a control record, a longer id */
                }
                ring[nref++ & (VMT_BACK - 1)] = id;
                last = id;
                out[k] = id << 1 | (kind & 1);
                k += inc[kind];
            }
            s->pos = (size_t)(p - s->buf);
            v->n_refs = nref;
            if (k == max)
                break;
        }
        /* The general path: one record. */
        {
            struct vmt_rec r;
            if (vmt_step(t, &r) != VML_OK)
                break;
            /* Processes: every pid record, and pid 0 when references come
            ** before any (the first reference always comes this way: it
            ** defines a page). */
            if ((r.pid_record || (r.is_ref && ps->pids.n == 0))
                && pid_set_add(&ps->pids, v->pid) != 0) {
                tr_fail_byte(t, VML_E_NOMEM, t->src.off + t->src.pos, "out of memory");
                break;
            }
            if (!r.is_ref)
                continue;
            if ((r.cont && !keep_cont) || (r.kind == VMT_KIND_IFETCH && !keep_ifetch)) {
                /* a page defined by a reference dropped here may never be
                ** referenced at all: the footprint must look (PR3) */
                if (r.new_page && prefs_maybe(ps, r.id) != 0) {
                    tr_fail_byte(t, VML_E_NOMEM, t->src.off + t->src.pos, "out of memory");
                    break;
                }
                continue;
            }
            out[k++] = r.id << 1 | (r.kind == VMT_KIND_WRITE);
        }
    }
    ps->n_ids = v->n_ids;
    t->accesses = v->n_refs - v->n_conts;   /* TR2: a straddle's pages are one access */
    *n = k;
    return k > 0 ? VML_OK : t->st;   /* TR1: a failure comes after what came before it */
}

const struct rd_ops rd_vmt = {
    .format = VML_TRACE_VMT,
    .start = vmt_start,
    .read = vmt_read,
    .read_refs = vmt_read_refs,
};
