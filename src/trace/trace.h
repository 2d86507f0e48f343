/*
** trace.h -- the trace layer's internal structures: the byte source with
** its decompressors, the readers (one file per format), the page-reference
** stream that turns accesses into dense page ids, and the pieces the
** replay engines share.  Included only by src/trace/ (and its unit tests).
**
** The layer sits above mm/ and os/ (the full-stack engine drives a
** machine through the public API only) and below view/ and the CLI.
**
** Data flow:
**   file/pipe -> struct src (raw bytes, decompressed in-process)
**             -> a reader (struct rd_ops): vml_trace_access records
**             -> struct prefs: page references "id << 1 | write", ids
**                dense in order of first reference (vmt files carry them)
**             -> the engines: policy cells (replay.c), MRC (mrc.c),
**                OPT's future (future.c), the machine (mreplay.c)
*/
#ifndef VML_TRACE_H
#define VML_TRACE_H

#include <stddef.h>
#include <stdint.h>
#include "vmlab.h"

/* ---- the byte source (source.c) -------------------------------------- */

#define SRC_WINDOW   (1u << 20)    /* decompressed bytes a reader sees at once */
#define SRC_LINE_MAX (64u << 10)   /* the longest line a text reader accepts */

struct src_codec;                  /* the decompressor's state (source.c) */

struct src {
    int       fd;
    int       own_fd;              /* close fd on src_close */
    char      name[200];           /* for messages: the path or "<stdin>" */
    unsigned  compression;         /* VML_COMPRESS_* */
    uint64_t  size;                /* the file's size; 0 unknown */
    uint64_t  raw_off;             /* bytes read from fd */
    uint8_t  *raw;                 /* compressed input (raw_len bytes, from raw_pos) */
    size_t    raw_len, raw_pos, raw_cap;
    int       raw_eof;             /* fd reached its end */
    struct src_codec *codec;       /* NULL without compression */
    /* The window: buf[pos..len) are decompressed bytes not yet consumed;
    ** buf[0] is at offset `off` of the decompressed stream. */
    uint8_t  *buf;
    size_t    pos, len, cap;
    uint64_t  off;
    int       eof;                 /* no byte after buf[len) */
    char      err[300];            /* the failure, "" while none */
};

/* 0, or -1 with err set ("NAME: problem"). */
int  src_open_path(struct src *s, const char *path, char *err, size_t size);
int  src_open_fd(struct src *s, int fd, const char *name, char *err, size_t size);
void src_close(struct src *s);
/* Makes at least want bytes available at buf[pos..] unless the stream
** ends first (then fewer, and eof is set).  0, or -1 on a read error or a
** corrupt or truncated compressed stream (s->err says which, and where). */
int  src_fill(struct src *s, size_t want);
/* The compressed bytes consumed so far (for progress against size). */
uint64_t src_bytes_in(const struct src *s);

/* ---- readers ------------------------------------------------------------ */

struct prefs;

struct rd_ops {
    vml_trace_format format;
    /* Reads the header, if any: VML_OK or a failure through tr_fail. */
    vml_status (*start)(vml_trace *t);
    vml_status (*read)(vml_trace *t, vml_trace_access *out, size_t max, size_t *n);
    /* Optional fast path straight to page references (vmt): as
    ** prefs_read(); NULL for the others. */
    vml_status (*read_refs)(vml_trace *t, struct prefs *ps, uint32_t *out, size_t max,
                            size_t *n);
};

extern const struct rd_ops rd_lackey, rd_text, rd_csv, rd_vmt, rd_oracle;

/* CSV columns (rd_csv.c), found from a header line or by position. */
#define CSV_MAX_COLS 32
enum csv_col { CSV_SKIP = 0, CSV_OP, CSV_ADDR, CSV_PAGE, CSV_PID, CSV_SIZE };

/* ---- vmt: the compact binary page trace (rd_vmt.c, docs/replay.md) ------- */

#define VMT_MAGIC       "\x89VMT\r\n\x1a\n"
#define VMT_MAGIC_LEN   8
#define VMT_VERSION     1
#define VMT_HEADER_LEN  16
#define VMT_KIND_READ   0u
#define VMT_KIND_WRITE  1u
#define VMT_KIND_IFETCH 2u
#define VMT_SHORT_END   0xC0u  /* bytes below: kind << 6 | (back - 1) */
#define VMT_BACK        64u    /* a short reference reaches this far back */
#define VMT_LONG        0xC0u  /* | kind: a varint id follows */
#define VMT_CTRL        0xC3u  /* a varint code follows */
#define VMT_CTRL_PID    0u     /* a varint pid follows */
#define VMT_CTRL_CONT   1u     /* the next reference continues a straddle */
#define VMT_CTRL_END    2u     /* varint references, varint pages follow */
#define VMT_MAX_RECORD  32     /* bytes: the longest record (ctrl + ref + page) */
#define VMT_MAX_IDS     (UINT32_MAX >> 1)   /* ids fit 31 bits (prefs) */

/* vmt decoder state (rd_vmt.c). */
struct vmt_state {
    uint32_t n_ids;        /* ids defined so far: the next new page gets n_ids */
    uint32_t pid;          /* the current process */
    uint64_t last_page;    /* page of the last new-page record (delta base) */
    uint64_t n_refs;       /* references decoded */
    uint64_t n_conts;      /* of which continuations of a straddle */
    uint32_t ring[VMT_BACK];  /* ids of the last references: ring[n & 63] */
    int      cont;         /* the next reference continues a straddle */
    int      ended;        /* the end record was read */
    uint64_t *page_of;     /* id -> page (for vml_trace_read) */
    uint32_t *pid_of;      /* id -> pid */
    size_t   cap;
};

struct vml_trace {
    struct src src;
    const struct rd_ops *rd;
    uint64_t  accesses;    /* returned so far */
    uint64_t  line;        /* text formats: the line being parsed (1-based) */
    vml_status st;         /* VML_OK until the first failure, then sticky */
    char      err[400];
    /* per-format state */
    enum csv_col csv_cols[CSV_MAX_COLS];
    unsigned  csv_n_cols;
    int       csv_header;  /* the columns came from a header line */
    struct vmt_state vmt;
};

/* Records a failure of t (sticky) and returns st.  The message is prefixed
** with the place: "NAME:LINE: " for text formats, "NAME: byte N: " for
** binary ones (pass line 0 and the offset). */
vml_status tr_fail_line(vml_trace *t, vml_status st, uint64_t line, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;
vml_status tr_fail_byte(vml_trace *t, vml_status st, uint64_t byte, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;
/* Copies the source's error into t (after src_fill failed). */
vml_status tr_fail_src(vml_trace *t);

/* The next line in the window: *line points at it (no '\n'), *len its
** length; 0, 1 at the end of the trace, or -1 after a failure (a read
** error, a line longer than SRC_LINE_MAX).  t->line counts lines. */
int tr_next_line(vml_trace *t, const char **line, size_t *len);
/* "'TEXT'" for messages: at most 40 bytes of a line, non-printables as \xNN. */
void tr_quote(char *out, size_t size, const char *text, size_t len);

/* Hex number (with or without 0x) at s[*i]: 0, or -1 (none, or more than
** 64 bits: *overflow set). */
int tr_hex(const char *s, size_t len, size_t *i, uint64_t *out, int *overflow);
int tr_dec(const char *s, size_t len, size_t *i, uint64_t *out, int *overflow);

/* Format detection (detect.c): from the first bytes of the decompressed
** stream.  VML_OK with *fmt set, or VML_E_SYNTAX with err naming what was
** seen. */
vml_status detect_format(struct src *s, vml_trace_format *fmt, char *err, size_t size);

/* ---- the page map: (pid, page) -> dense id (intern.c) --------------------- */

struct imap_entry {
    uint64_t page;
    uint32_t pid;
    uint32_t id1;          /* id + 1; 0 marks an empty entry */
};

struct imap {
    struct imap_entry *e;
    size_t   mask;         /* entries - 1, a power of two */
    uint32_t n;            /* ids given: ids are 0..n-1 in order of first use */
    uint64_t last_page;    /* the last lookup (consecutive accesses often */
    uint32_t last_pid;     /*   touch one page) */
    uint32_t last_id;
};

int  imap_init(struct imap *m);     /* 0, or -1 out of memory */
void imap_free(struct imap *m);
/* The id of (pid, page), given on first use: 0, or -1 when out of memory
** or past VMT_MAX_IDS ids.  *is_new says whether it was just given. */
int  imap_id(struct imap *m, uint32_t pid, uint64_t page, uint32_t *id, int *is_new);
/* IM1-IM2: 0, or -1 with the broken invariant in err. */
int  imap_check(const struct imap *m, char *err, size_t size);

/* ---- the page-reference stream (prefs.c) -------------------------------- */

#define PREF_ID(r)    ((r) >> 1)
#define PREF_WRITE(r) ((r) & 1u)

struct pid_set {
    uint32_t *v;
    size_t    n, cap;
    uint32_t  last;
};

struct prefs {
    vml_trace *t;
    unsigned   flags;          /* VML_REPLAY_NO_IFETCH | VML_REPLAY_STRADDLE */
    struct imap map;           /* formats without ids */
    vml_trace_access *acc;     /* accesses read, not yet turned into refs */
    size_t     acc_pos, acc_n;
    uint32_t   pending_ref[18];/* the references of a straddling access */
    uint32_t   pending_n, pending_pos;   /* (65535 bytes cover 17 pages) */
    uint32_t   n_ids;          /* ids given so far (arrays indexed by id fit n_ids) */
    uint64_t   refs;           /* references given */
    struct pid_set pids;
    uint32_t  *maybe;          /* PR3: pages defined by a dropped reference */
    size_t     n_maybe, cap_maybe;
};

vml_status prefs_init(struct prefs *ps, vml_trace *t, unsigned flags);
void       prefs_free(struct prefs *ps);
/* Up to max references "id << 1 | write"; *n == 0 at the end. */
vml_status prefs_read(struct prefs *ps, uint32_t *out, size_t max, size_t *n);
int        pid_set_add(struct pid_set *s, uint32_t pid);   /* 0, or -1 out of memory */
/* Records a page whose defining reference was dropped (vmt): 0 or -1. */
int        prefs_maybe(struct prefs *ps, uint32_t id);

/* ---- OPT's future: next-use positions (future.c) ------------------------ */

#define FUT_NEVER UINT64_MAX
#ifdef VML_TEST_BUILD
#define FUT_CHUNK (1u << 12)    /* small: the tests reach the temporary file */
#else
#define FUT_CHUNK (1u << 20)    /* references per chunk */
#endif

struct fut_chunk;

struct future {
    struct fut_chunk **chunk;  /* in memory: ids and next-use positions */
    size_t    n_chunks, cap_chunks, n_mem;   /* chunks [n_mem, n_chunks) are on disk */
    uint64_t  n;               /* references stored */
    uint64_t  mem_budget;      /* bytes */
    int       fd;              /* the temporary file, -1 until needed */
    char      tmp_dir[256];
    uint32_t *scratch_id;      /* a chunk's ids read back from disk */
    uint64_t *scratch_next;
    char      err[256];
};

int  fut_init(struct future *f, uint64_t mem_budget, const char *tmp_dir);  /* 0 / -1 */
void fut_free(struct future *f);
/* Appends references (ids only yet): 0, or -1 (err set). */
int  fut_append(struct future *f, const uint32_t *refs, size_t n);
/* The backward pass: every stored reference gets the position of its
** page's next reference (FUT_NEVER when none).  n_ids bounds the ids. */
int  fut_resolve(struct future *f, uint32_t n_ids);
/* Chunk k after fut_resolve: its references and next uses, *n of them. */
int  fut_chunk_get(struct future *f, size_t k, const uint32_t **refs, const uint64_t **next,
                   size_t *n);

/* ---- policy cells (replay.c) ---------------------------------------------- */

struct cell_run;
/* A policy with its frames, fed page references; NULL out of memory or an
** unknown policy.  vml_replay_cell's counts are filled by cell_finish. */
struct cell_run *cell_create(vml_policy policy, uint64_t frames, char *err, size_t size);
void cell_destroy(struct cell_run *c);
int  cell_needs_future(const struct cell_run *c);
/* Feeds n references; next[] (may be NULL without future) their next uses.
** 0, or -1 (out of memory growing to n_ids, or a broken policy: err). */
int  cell_feed(struct cell_run *c, const uint32_t *refs, const uint64_t *next, size_t n,
               uint32_t n_ids, char *err, size_t size);
void cell_results(const struct cell_run *c, vml_replay_cell *out);
int  cell_check(const struct cell_run *c, char *err, size_t size);   /* RP1-RP3 */

/* ---- miss-ratio curves (mrc.c) --------------------------------------------- */

struct lru_mrc;
struct opt_mrc;
struct lru_mrc *lru_mrc_create(void);
void lru_mrc_destroy(struct lru_mrc *m);
int  lru_mrc_feed(struct lru_mrc *m, const uint32_t *refs, size_t n, uint32_t n_ids);
/* faults[c - 1] for c = 1..footprint; the caller frees. */
int  lru_mrc_faults(const struct lru_mrc *m, uint64_t **faults, uint64_t *footprint);
struct opt_mrc *opt_mrc_create(void);
void opt_mrc_destroy(struct opt_mrc *m);
int  opt_mrc_feed(struct opt_mrc *m, const uint32_t *refs, const uint64_t *next, size_t n,
                  uint32_t n_ids);
int  opt_mrc_faults(const struct opt_mrc *m, uint64_t **faults, uint64_t *footprint);
/* MR1, MR2: 0, or -1 with the broken invariant in err. */
int  lru_mrc_check(const struct lru_mrc *m, char *err, size_t size);
int  opt_mrc_check(const struct opt_mrc *m, char *err, size_t size);

/* ---- output: the compressing byte sink (sink.c) ------------------------------ */

struct sink_codec;
struct sink {
    int       fd;
    char      name[200];
    unsigned  compression;
    struct sink_codec *codec;
    uint8_t  *buf;              /* uncompressed bytes waiting */
    size_t    len, cap;
    uint8_t  *out;              /* compressed bytes waiting to be written */
    size_t    out_cap;
    char      err[300];
};
int  sink_open(struct sink *k, const char *path, unsigned compression, char *err, size_t size);
int  sink_write(struct sink *k, const void *bytes, size_t n);   /* 0 / -1 (err) */
int  sink_close(struct sink *k);                                 /* finishes: 0 / -1 */
void sink_abort(struct sink *k);                                 /* closes, keeps nothing */

#endif
