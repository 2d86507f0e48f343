/*
** replay_merge.c -- `vmlab merge SHARD.json...`: reads the JSON that
** `vmlab replay --json --shard K/N` printed for each shard, checks that
** they are the N shards of one sweep, each once, and prints the JSON one
** run of the whole sweep prints (rp_print_json of the union).
**
** A small JSON reader for vmlab's own output: objects, arrays, strings
** (with \" \\ \/ \b \f \n \r \t \uXXXX below 0x80), integers, decimals,
** true, false, null.  Every error names the file and the byte offset.
**
** INVARIANTS:
**   JM1 A merged cell comes from exactly one shard, and a merged trace
**       summary equals every shard's summary of that trace.
*/
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "replay.h"

enum jkind { J_NULL, J_BOOL, J_NUM, J_STR, J_ARR, J_OBJ };

struct jval {
    enum jkind   kind;
    int          b;
    uint64_t     u;          /* J_NUM: the value when it is a non-negative integer */
    int          is_int;
    char        *s;          /* J_STR */
    struct jval *v;          /* J_ARR, J_OBJ: elements (values) */
    char       **k;          /* J_OBJ: keys */
    size_t       n;
};

struct jparse {
    const char *text, *file;
    size_t      pos, len;
    int         depth;
    char        err[300];
};

static void jfree(struct jval *v)
{
    for (size_t i = 0; i < v->n; i++) {
        jfree(&v->v[i]);
        if (v->k != NULL)
            free(v->k[i]);
    }
    free(v->v);
    free(v->k);
    free(v->s);
    memset(v, 0, sizeof *v);
}

static int jerr(struct jparse *p, const char *what)
{
    if (p->err[0] == '\0')
        snprintf(p->err, sizeof p->err, "%s: byte %zu: %s", p->file, p->pos, what);
    return -1;
}

static void jws(struct jparse *p)
{
    while (p->pos < p->len && strchr(" \t\r\n", p->text[p->pos]) != NULL && p->text[p->pos])
        p->pos++;
}

static int jvalue(struct jparse *p, struct jval *out);

static int jstring(struct jparse *p, char **out)
{
    vml_text t = { 0 };

    p->pos++;     /* the opening quote */
    while (p->pos < p->len && p->text[p->pos] != '"') {
        char c = p->text[p->pos++];
        if ((unsigned char)c < 0x20) {
            vml_text_free(&t);
            return jerr(p, "control character in a string");
        }
        if (c == '\\') {
            if (p->pos >= p->len)
                break;
            c = p->text[p->pos++];
            switch (c) {
            case '"': case '\\': case '/': break;
            case 'b': c = '\b'; break;
            case 'f': c = '\f'; break;
            case 'n': c = '\n'; break;
            case 'r': c = '\r'; break;
            case 't': c = '\t'; break;
            case 'u': {
                unsigned v = 0;
                for (int i = 0; i < 4; i++, p->pos++) {
                    char h = p->pos < p->len ? p->text[p->pos] : 0;
                    v = v * 16 + (unsigned)(h >= '0' && h <= '9' ? h - '0'
                                            : (h | 0x20) >= 'a' && (h | 0x20) <= 'f'
                                                  ? (h | 0x20) - 'a' + 10 : 99);
                }
                if (v >= 0x80 || v == 0) {
                    vml_text_free(&t);
                    return jerr(p, "unsupported \\u escape");
                }
                c = (char)v;
                break;
            }
            default:
                vml_text_free(&t);
                return jerr(p, "bad escape in a string");
            }
        }
        vml_text_append(&t, &c, 1);
    }
    if (p->pos >= p->len) {
        vml_text_free(&t);
        return jerr(p, "unterminated string");
    }
    p->pos++;
    if (t.oom) {
        vml_text_free(&t);
        return jerr(p, "out of memory");
    }
    *out = t.s != NULL ? t.s : calloc(1, 1);
    return *out != NULL ? 0 : jerr(p, "out of memory");
}

static int jlist(struct jparse *p, struct jval *out, int is_obj)
{
    char close = is_obj ? '}' : ']';

    out->kind = is_obj ? J_OBJ : J_ARR;
    p->pos++;
    if (++p->depth > 16)
        return jerr(p, "nested too deeply");
    jws(p);
    if (p->pos < p->len && p->text[p->pos] == close) {
        p->pos++;
        p->depth--;
        return 0;
    }
    for (;;) {
        struct jval *v = realloc(out->v, (out->n + 1) * sizeof *v);
        char *key = NULL;
        if (v == NULL)
            return jerr(p, "out of memory");
        out->v = v;
        memset(&out->v[out->n], 0, sizeof out->v[0]);
        if (is_obj) {
            char **k = realloc(out->k, (out->n + 1) * sizeof *k);
            if (k == NULL)
                return jerr(p, "out of memory");
            out->k = k;
            out->k[out->n] = NULL;
            jws(p);
            if (p->pos >= p->len || p->text[p->pos] != '"')
                return jerr(p, "expected a key");
            if (jstring(p, &key) != 0)
                return -1;
            out->k[out->n] = key;
            jws(p);
            if (p->pos >= p->len || p->text[p->pos] != ':')
                return jerr(p, "expected ':'");
            p->pos++;
        }
        out->n++;
        if (jvalue(p, &out->v[out->n - 1]) != 0)
            return -1;
        jws(p);
        if (p->pos < p->len && p->text[p->pos] == ',') {
            p->pos++;
            continue;
        }
        if (p->pos < p->len && p->text[p->pos] == close) {
            p->pos++;
            p->depth--;
            return 0;
        }
        return jerr(p, is_obj ? "expected ',' or '}'" : "expected ',' or ']'");
    }
}

static int jvalue(struct jparse *p, struct jval *out)
{
    char c;

    jws(p);
    if (p->pos >= p->len)
        return jerr(p, "unexpected end of the file");
    c = p->text[p->pos];
    if (c == '{' || c == '[')
        return jlist(p, out, c == '{');
    if (c == '"') {
        out->kind = J_STR;
        return jstring(p, &out->s);
    }
    if (strncmp(p->text + p->pos, "true", 4) == 0 || strncmp(p->text + p->pos, "false", 5) == 0) {
        out->kind = J_BOOL;
        out->b = c == 't';
        p->pos += out->b ? 4 : 5;
        return 0;
    }
    if (strncmp(p->text + p->pos, "null", 4) == 0) {
        out->kind = J_NULL;
        p->pos += 4;
        return 0;
    }
    if (c == '-' || (c >= '0' && c <= '9')) {
        size_t start = p->pos;
        out->kind = J_NUM;
        out->is_int = c != '-';
        while (p->pos < p->len && strchr("0123456789+-.eE", p->text[p->pos]) != NULL
               && p->text[p->pos]) {
            if (strchr(".eE-+", p->text[p->pos]))
                out->is_int = 0;
            p->pos++;
        }
        if (out->is_int) {
            char buf[32];
            size_t n = p->pos - start;
            if (n >= sizeof buf)
                return jerr(p, "number too long");
            memcpy(buf, p->text + start, n);
            buf[n] = '\0';
            errno = 0;
            out->u = strtoull(buf, NULL, 10);
            if (errno != 0)
                return jerr(p, "number out of range");
        }
        return 0;
    }
    return jerr(p, "expected a JSON value");
}

static const struct jval *jget(const struct jval *o, const char *key, enum jkind kind)
{
    if (o == NULL || o->kind != J_OBJ)
        return NULL;
    for (size_t i = 0; i < o->n; i++)
        if (strcmp(o->k[i], key) == 0)
            return o->v[i].kind == kind ? &o->v[i] : NULL;
    return NULL;
}

/* ---- merging --------------------------------------------------------------------- */

static int merge_fail(const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 1, 2)))
#endif
    ;
static int merge_fail(const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "vmlab merge: ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return EXIT_SCRIPT;
}

static int u64_field(const struct jval *o, const char *key, uint64_t *out)
{
    const struct jval *v = jget(o, key, J_NUM);

    if (v == NULL || !v->is_int)
        return -1;
    *out = v->u;
    return 0;
}

static int bool_field(const struct jval *o, const char *key, int *out)
{
    const struct jval *v = jget(o, key, J_BOOL);

    if (v == NULL)
        return -1;
    *out = v->b;
    return 0;
}

/* The sweep of a shard's JSON into s (first shard) or checked against s. */
static int merge_sweep(const char *file, const struct jval *root, struct rp_sweep *s, int first)
{
    const struct jval *sw = jget(root, "sweep", J_OBJ), *tr, *po, *fr, *fl, *sh;
    uint64_t n_cells;

    tr = jget(sw, "traces", J_ARR);
    po = jget(sw, "policies", J_ARR);
    fr = jget(sw, "frames", J_ARR);
    fl = jget(sw, "flags", J_ARR);
    sh = jget(root, "shard", J_ARR);
    if (jget(root, "vmlab", J_STR) == NULL || strcmp(jget(root, "vmlab", J_STR)->s, "replay") != 0
        || tr == NULL || po == NULL || fr == NULL || fl == NULL || sh == NULL || sh->n != 2
        || u64_field(sw, "cells", &n_cells) != 0)
        return merge_fail("%s: not the JSON of vmlab replay --json (a sweep and its shard)",
                          file);
    if (first) {
        s->n_traces = tr->n;
        s->n_policies = po->n;
        s->n_frames = fr->n;
        s->traces = calloc(tr->n ? tr->n : 1, sizeof s->traces[0]);
        s->policies = calloc(po->n ? po->n : 1, sizeof s->policies[0]);
        s->frames = calloc(fr->n ? fr->n : 1, sizeof s->frames[0]);
        if (s->traces == NULL || s->policies == NULL || s->frames == NULL)
            return merge_fail("out of memory");
        for (size_t i = 0; i < tr->n; i++) {
            if (tr->v[i].kind != J_STR || (s->traces[i] = strdup(tr->v[i].s)) == NULL)
                return merge_fail("%s: bad trace list", file);
        }
        for (size_t i = 0; i < po->n; i++)
            if (po->v[i].kind != J_STR || vml_policy_parse(po->v[i].s, &s->policies[i]) != VML_OK)
                return merge_fail("%s: unknown policy in the sweep", file);
        for (size_t i = 0; i < fr->n; i++) {
            if (fr->v[i].kind != J_NUM || !fr->v[i].is_int)
                return merge_fail("%s: bad frames list", file);
            s->frames[i] = fr->v[i].u;
        }
        for (size_t i = 0; i < fl->n; i++) {
            if (fl->v[i].kind == J_STR && strcmp(fl->v[i].s, "no-ifetch") == 0)
                s->flags |= VML_REPLAY_NO_IFETCH;
            else if (fl->v[i].kind == J_STR && strcmp(fl->v[i].s, "straddle") == 0)
                s->flags |= VML_REPLAY_STRADDLE;
            else
                return merge_fail("%s: unknown flag in the sweep", file);
        }
        if (sh->v[1].kind != J_NUM || sh->v[1].u == 0 || sh->v[1].u > 100000)
            return merge_fail("%s: bad shard count", file);
        s->shard_n = (unsigned)sh->v[1].u;
        s->shard_k = 1;
        if (n_cells != rp_total_cells(s))
            return merge_fail("%s: the cell count does not match the sweep", file);
        return 0;
    }
    /* the same sweep? */
    if (tr->n != s->n_traces || po->n != s->n_policies || fr->n != s->n_frames
        || sh->v[1].kind != J_NUM || sh->v[1].u != s->shard_n)
        return merge_fail("%s: a shard of another sweep (different traces, policies, frames or "
                          "shard count)", file);
    for (size_t i = 0; i < tr->n; i++)
        if (tr->v[i].kind != J_STR || strcmp(tr->v[i].s, s->traces[i]) != 0)
            return merge_fail("%s: a shard of another sweep (trace %zu differs)", file, i);
    for (size_t i = 0; i < po->n; i++)
        if (po->v[i].kind != J_STR || strcmp(po->v[i].s, vml_policy_name(s->policies[i])) != 0)
            return merge_fail("%s: a shard of another sweep (policy %zu differs)", file, i);
    for (size_t i = 0; i < fr->n; i++)
        if (fr->v[i].kind != J_NUM || fr->v[i].u != s->frames[i])
            return merge_fail("%s: a shard of another sweep (frames %zu differ)", file, i);
    return 0;
}

static int merge_shard(const char *file, const struct jval *root, struct rp_sweep *s,
                       unsigned char *shard_seen, unsigned char *cell_seen)
{
    const struct jval *sh = jget(root, "shard", J_ARR);
    const struct jval *traces = jget(root, "traces", J_ARR), *cells = jget(root, "cells", J_ARR);
    uint64_t k = sh->v[0].kind == J_NUM ? sh->v[0].u : 0;

    if (k == 0 || k > s->shard_n)
        return merge_fail("%s: bad shard number", file);
    if (shard_seen[k - 1]++)
        return merge_fail("%s: shard %llu/%u given twice", file, (unsigned long long)k,
                          s->shard_n);
    if (traces == NULL || cells == NULL)
        return merge_fail("%s: no traces or cells", file);
    for (size_t i = 0; i < traces->n; i++) {
        const struct jval *t = &traces->v[i], *err = jget(t, "error", J_STR);
        vml_replay_summary sum = { 0 };
        uint64_t idx;
        int done;
        if (u64_field(t, "trace", &idx) != 0 || idx >= s->n_traces
            || u64_field(t, "accesses", &sum.accesses) != 0 || u64_field(t, "refs", &sum.refs) != 0
            || u64_field(t, "footprint", &sum.footprint) != 0
            || u64_field(t, "pids", &sum.n_pids) != 0 || bool_field(t, "complete", &done) != 0)
            return merge_fail("%s: bad trace summary %zu", file, i);
        sum.done = done;
        if (err != NULL) {
            sum.status = VML_E_SYNTAX;
            snprintf(sum.error, sizeof sum.error, "%s", err->s);
            sum.done = 0;
        }
        if (s->sum_used[idx] && (s->sum[idx].accesses != sum.accesses
                                 || s->sum[idx].refs != sum.refs
                                 || s->sum[idx].footprint != sum.footprint)
            && s->sum[idx].done && sum.done)
            return merge_fail("%s: trace %llu was read differently by two shards (JM1)", file,
                              (unsigned long long)idx);
        if (!s->sum_used[idx] || !sum.done || sum.status != VML_OK)
            s->sum[idx] = sum;
        s->sum_used[idx] = 1;
    }
    for (size_t i = 0; i < cells->n; i++) {
        const struct jval *c = &cells->v[i], *pol = jget(c, "policy", J_STR);
        vml_replay_cell *cell;
        uint64_t idx;
        int done;
        if (u64_field(c, "cell", &idx) != 0 || idx >= s->n_cells || pol == NULL)
            return merge_fail("%s: bad cell %zu", file, i);
        if (cell_seen[idx]++)
            return merge_fail("%s: cell %llu is in two shards (JM1)", file,
                              (unsigned long long)idx);
        cell = &s->cell[idx];
        if (strcmp(pol->s, vml_policy_name(cell->policy)) != 0
            || u64_field(c, "frames", &cell->frames) != 0
            || cell->frames != s->frames[idx % s->n_frames]
            || u64_field(c, "refs", &cell->refs) != 0 || u64_field(c, "faults", &cell->faults) != 0
            || u64_field(c, "hits", &cell->hits) != 0
            || u64_field(c, "evictions", &cell->evictions) != 0
            || u64_field(c, "writebacks", &cell->writebacks) != 0
            || bool_field(c, "complete", &done) != 0)
            return merge_fail("%s: cell %llu does not match the sweep", file,
                              (unsigned long long)idx);
        cell->done = done;
    }
    return 0;
}

static int read_all(const char *path, vml_text *t)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    char buf[65536];
    size_t got;
    int bad;

    if (f == NULL)
        return merge_fail("cannot open '%s': %s", path, strerror(errno));
    while ((got = fread(buf, 1, sizeof buf, f)) > 0)
        vml_text_append(t, buf, got);
    bad = ferror(f) || t->oom;
    if (f != stdin)
        fclose(f);
    return bad ? merge_fail("cannot read '%s'", path) : 0;
}

void help_merge(FILE *f)
{
    fprintf(f,
        "usage: vmlab merge SHARD.json... [-o FILE]\n"
        "\n"
        "Combines the JSON outputs of the shards of one sweep (vmlab replay --json\n"
        "--shard K/N, K = 1..N) into the JSON that one run of the whole sweep\n"
        "prints.  Every shard must be given once; shards of different sweeps\n"
        "(traces, policies, frames, flags or shard count) are refused.  The\n"
        "result says \"complete\":false when a shard was partial.\n"
        "\n"
        "  -o FILE   write the merged JSON to FILE instead of standard output\n"
        "\n"
        "example:\n"
        "  vmlab replay t.vmt -p lru,opt -f 64,256 --json --shard 1/2 > s1.json\n"
        "  vmlab replay t.vmt -p lru,opt -f 64,256 --json --shard 2/2 > s2.json\n"
        "  vmlab merge s1.json s2.json\n");
}

int cmd_merge(int argc, char **argv)
{
    struct rp_sweep s;
    const char *out_path = NULL;
    unsigned char *shard_seen = NULL, *cell_seen = NULL;
    int st = 0, n_files = 0;
    FILE *out = stdout;

    memset(&s, 0, sizeof s);
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            help_merge(stdout);
            return 0;
        }
        if (strcmp(argv[i], "-o") == 0) {
            if (++i >= argc)
                return merge_fail("-o needs a file name");
            out_path = argv[i];
        } else {
            argv[2 + n_files++] = argv[i];
        }
    }
    if (n_files == 0)
        return merge_fail("no shard files (vmlab merge SHARD.json...)");
    for (int i = 0; i < n_files && st == 0; i++) {
        vml_text t = { 0 };
        struct jval root = { 0 };
        struct jparse p = { .file = argv[2 + i] };
        st = read_all(argv[2 + i], &t);
        if (st == 0) {
            p.text = sb_str(&t);
            p.len = t.len;
            if (jvalue(&p, &root) != 0 || (jws(&p), p.pos != p.len)) {
                if (p.err[0] == '\0')
                    jerr(&p, "data after the JSON value");
                st = merge_fail("%s", p.err);
            }
        }
        if (st == 0)
            st = merge_sweep(argv[2 + i], &root, &s, i == 0);
        if (st == 0 && i == 0) {
            unsigned k = s.shard_n;
            s.shard_k = 1;
            s.shard_n = 1;
            if (rp_plan(&s) != 0)
                st = merge_fail("out of memory");
            s.shard_n = k;
            memset(s.sum_used, 0, s.n_traces * sizeof s.sum_used[0]);
            shard_seen = calloc(k, 1);
            cell_seen = calloc(s.n_cells ? s.n_cells : 1, 1);
            if (shard_seen == NULL || cell_seen == NULL)
                st = merge_fail("out of memory");
        }
        if (st == 0)
            st = merge_shard(argv[2 + i], &root, &s, shard_seen, cell_seen);
        jfree(&root);
        vml_text_free(&t);
    }
    for (unsigned k = 0; st == 0 && k < s.shard_n; k++)
        if (!shard_seen[k])
            st = merge_fail("shard %u/%u is missing", k + 1, s.shard_n);
    for (size_t j = 0; st == 0 && j < s.n_cells; j++)
        if (!cell_seen[j])
            st = merge_fail("cell %zu is in no shard", j);
    if (st == 0) {
        s.shard_k = 1;
        s.shard_n = 1;
        if (out_path != NULL && (out = fopen(out_path, "w")) == NULL)
            st = merge_fail("cannot create '%s': %s", out_path, strerror(errno));
        else {
            rp_print_json(out, &s);
            if (out != stdout && fclose(out) != 0)
                st = merge_fail("cannot write '%s'", out_path);
        }
    }
    free(shard_seen);
    free(cell_seen);
    rp_free(&s);
    return st;
}
