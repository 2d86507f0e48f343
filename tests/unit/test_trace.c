/*
** test_trace.c -- the trace readers (src/trace/rd_*.c) and writers: every
** format read from hand-written input, the bad inputs each reader must
** refuse with a message naming the line or byte offset, format detection
** from the content, compressed (zstd, xz, gzip) and plain forms giving the
** same accesses, and corrupt or truncated compressed streams refused.
*/
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vmlab.h"

#define N_OF(a) (sizeof (a) / sizeof (a)[0])

/* ---- helpers ------------------------------------------------------------------ */

static char tmpdir[64];

static int make_tmpdir(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/vmlab-test-trace-XXXXXX");
    return mkdtemp(tmpdir) != NULL ? 0 : -1;
}

static int remove_tmpdir(void **state)
{
    char cmd[128];

    (void)state;
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

static const char *path_of(const char *name)
{
    static char buf[4][256];
    static unsigned k;
    char *p = buf[k++ % 4];

    snprintf(p, 256, "%s/%s", tmpdir, name);
    return p;
}

static void write_bytes(const char *name, const void *data, size_t n)
{
    FILE *f = fopen(path_of(name), "wb");

    assert_non_null(f);
    assert_int_equal(n, fwrite(data, 1, n, f));
    assert_int_equal(0, fclose(f));
}

static void write_text(const char *name, const char *text)
{
    write_bytes(name, text, strlen(text));
}

/* Reads a whole trace: the accesses (up to max) and their count. */
static size_t read_all(const char *name, vml_trace_format fmt, vml_trace_access *out, size_t max,
                       vml_trace_format *detected)
{
    vml_trace *t;
    vml_trace_info info;
    char err[512];
    size_t total = 0, n;

    assert_int_equal(VML_OK, vml_trace_open(path_of(name), fmt, &t, err, sizeof err));
    do {
        vml_trace_access buf[7];          /* small: batches end anywhere */
        vml_status st = vml_trace_read(t, buf, N_OF(buf), &n);
        if (st != VML_OK)
            fail_msg("read failed: %s", vml_trace_error(t));
        for (size_t i = 0; i < n && total + i < max; i++)
            out[total + i] = buf[i];
        total += n;
    } while (n > 0);
    vml_trace_info_get(t, &info);
    if (detected != NULL)
        *detected = info.format;
    vml_trace_close(t);
    return total;
}

/* The message of the first failure reading a trace (open or read). */
static const char *read_error(const char *name, vml_trace_format fmt, vml_status *st_out)
{
    static char err[512];
    vml_trace *t;
    vml_status st = vml_trace_open(path_of(name), fmt, &t, err, sizeof err);
    size_t n;

    if (st != VML_OK) {
        *st_out = st;
        return err;
    }
    do {
        vml_trace_access buf[64];
        st = vml_trace_read(t, buf, N_OF(buf), &n);
    } while (st == VML_OK && n > 0);
    *st_out = st;
    snprintf(err, sizeof err, "%s", vml_trace_error(t));
    vml_trace_close(t);
    return err;
}

static void expect_error(const char *name, vml_trace_format fmt, const char *want)
{
    vml_status st;
    const char *err = read_error(name, fmt, &st);

    if (st == VML_OK || strstr(err, want) == NULL)
        fail_msg("%s: wanted an error with '%s', got status %d '%s'", name, want, (int)st, err);
}

static void expect_access(const vml_trace_access *a, unsigned kind, vml_va va, unsigned size,
                          unsigned pid)
{
    assert_int_equal(kind, a->kind);
    assert_int_equal(va, a->va);
    assert_int_equal(size, a->size);
    assert_int_equal(pid, a->pid);
}

/* ---- lackey ------------------------------------------------------------------------ */

static const char lackey_good[] =
    "==13334== Lackey, an example Valgrind tool\n"
    "==13334== Command: ls -l /usr/bin\n"
    "I  0401ab70,3\n"
    " S 1fff0006f8,8\n"
    " L 04229cc0,8\n"
    " M 0422a0e0,4\n"
    "\n"
    "--13334-- a debug line\n"
    "I  0401ab73,5";                         /* no final newline */

static void lackey_lines_become_accesses(void **state)
{
    vml_trace_access a[8];
    vml_trace_format f;

    (void)state;
    write_text("good.lackey", lackey_good);
    assert_int_equal(5, read_all("good.lackey", VML_TRACE_AUTO, a, 8, &f));
    assert_int_equal(VML_TRACE_LACKEY, f);
    expect_access(&a[0], VML_TRACE_IFETCH, 0x0401ab70, 3, 0);
    expect_access(&a[1], VML_TRACE_WRITE, 0x1fff0006f8, 8, 0);
    expect_access(&a[2], VML_TRACE_READ, 0x04229cc0, 8, 0);
    expect_access(&a[3], VML_TRACE_MODIFY, 0x0422a0e0, 4, 0);
    expect_access(&a[4], VML_TRACE_IFETCH, 0x0401ab73, 5, 0);
}

static void lackey_malformed_lines_name_their_line(void **state)
{
    static const struct { const char *text, *want; } bad[] = {
        { "I  0401ab70,3\n X 1000,8\n", ":2: ' X 1000,8': expected L, S or M" },
        { "I  0401ab70\n", ":1: 'I  0401ab70': expected ',' and a size" },
        { " L zz,8\n", "expected a hex address" },
        { " L 1000,0\n", "expected a size of 1 to 65535" },
        { " L 1000,8 x\n", "unexpected text after the size" },
        { "I  1000,4\nhello\n", ":2: 'hello': not a lackey record" },
        { " L 11112222333344445,8\n", "address wider than 64 bits" },
    };
    (void)state;
    for (size_t i = 0; i < N_OF(bad); i++) {
        write_text("bad.lackey", bad[i].text);
        expect_error("bad.lackey", VML_TRACE_LACKEY, bad[i].want);
    }
}

/* ---- text and CSV ------------------------------------------------------------------ */

static void text_lines_with_and_without_0x_and_pid(void **state)
{
    vml_trace_access a[8];
    vml_trace_format f;

    (void)state;
    write_text("good.txt", "# a comment\nR 0x1000\nW 2000 7\n  r 0X3fff\t12\n\nw 0x10 4294967295\n");
    assert_int_equal(4, read_all("good.txt", VML_TRACE_AUTO, a, 8, &f));
    assert_int_equal(VML_TRACE_TEXT, f);
    expect_access(&a[0], VML_TRACE_READ, 0x1000, 1, 0);
    expect_access(&a[1], VML_TRACE_WRITE, 0x2000, 1, 7);
    expect_access(&a[2], VML_TRACE_READ, 0x3fff, 1, 12);
    expect_access(&a[3], VML_TRACE_WRITE, 0x10, 1, 4294967295u);
}

static void text_malformed_lines_name_their_line(void **state)
{
    static const struct { const char *text, *want; } bad[] = {
        { "R 0x1000\nX 0x2000\n", ":2: 'X 0x2000': expected R or W" },
        { "R\n", ":1: 'R': expected a blank after the access kind" },
        { "R 0xg\n", "expected a hex address" },
        { "R 0x1000 pid\n", "expected a decimal PID" },
        { "R 0x1000 1 2\n", "unexpected text after the PID" },
        { "R 0x1000 4294967296\n", "expected a decimal PID" },
        { "R 0x1000z\n", "expected a blank after the address" },
    };
    (void)state;
    for (size_t i = 0; i < N_OF(bad); i++) {
        write_text("bad.txt", bad[i].text);
        expect_error("bad.txt", VML_TRACE_TEXT, bad[i].want);
    }
}

static void csv_columns_by_header_or_by_position(void **state)
{
    vml_trace_access a[8];
    vml_trace_format f;

    (void)state;
    write_text("h.csv", "time, PID ,op,address,size\n1,3,W,0x7000,16\n2,4,read,7ff0,2\n");
    assert_int_equal(2, read_all("h.csv", VML_TRACE_AUTO, a, 8, &f));
    assert_int_equal(VML_TRACE_CSV, f);
    expect_access(&a[0], VML_TRACE_WRITE, 0x7000, 16, 3);
    expect_access(&a[1], VML_TRACE_READ, 0x7ff0, 2, 4);
    write_text("p.csv", "R,0x1000\nM,0x2000,5,8\n");
    assert_int_equal(2, read_all("p.csv", VML_TRACE_CSV, a, 8, NULL));
    expect_access(&a[0], VML_TRACE_READ, 0x1000, 1, 0);
    expect_access(&a[1], VML_TRACE_MODIFY, 0x2000, 8, 5);
    /* libCacheSim's csv: an object id column is a page number */
    write_text("o.csv", "obj_id,obj_size\n5,4096\n0x10,4096\n");
    assert_int_equal(2, read_all("o.csv", VML_TRACE_AUTO, a, 8, NULL));
    expect_access(&a[0], VML_TRACE_READ, 5 << 12, 4096, 0);
    expect_access(&a[1], VML_TRACE_READ, 0x10 << 12, 4096, 0);
}

static void csv_malformed_rows_name_line_and_field(void **state)
{
    static const struct { const char *text, *want; } bad[] = {
        { "op,address\nR,0x1000\nQ,0x2000\n", ":3: 'Q,0x2000': field 1: expected an access kind" },
        { "op,address\nR,0x1000,7\n", ":2: 'R,0x1000,7': wrong number of fields" },
        { "op,pid\nR,1\n", ":1: 'op,pid': the header names no address column" },
        { "op,address,pid\nR,0x1000,x\n", "field 3: expected a decimal PID" },
        { "page\n0x10000000000000\n", "expected a page number below 2^52" },
    };
    (void)state;
    for (size_t i = 0; i < N_OF(bad); i++) {
        write_text("bad.csv", bad[i].text);
        expect_error("bad.csv", VML_TRACE_CSV, bad[i].want);
    }
}

/* ---- oracleGeneral --------------------------------------------------------------------- */

static void le(uint8_t *p, uint64_t v, int n)
{
    for (int i = 0; i < n; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static void oracle_records_are_page_reads(void **state)
{
    uint8_t rec[3 * 24] = { 0 };
    vml_trace_access a[4];
    vml_trace_format f;

    (void)state;
    for (int i = 0; i < 3; i++) {
        le(rec + 24 * i + 4, 100 + (uint64_t)i, 8);
        le(rec + 24 * i + 12, 4096, 4);
        le(rec + 24 * i + 16, i == 0 ? 2 : UINT64_MAX, 8);
    }
    write_bytes("t.oracleGeneral", rec, sizeof rec);
    assert_int_equal(3, read_all("t.oracleGeneral", VML_TRACE_AUTO, a, 4, &f));
    assert_int_equal(VML_TRACE_ORACLE, f);
    expect_access(&a[2], VML_TRACE_READ, (uint64_t)102 << 12, 0, 0);
    /* a truncated record, and an id that is no page number */
    write_bytes("t.oracleGeneral", rec, sizeof rec - 5);
    expect_error("t.oracleGeneral", VML_TRACE_ORACLE, "byte 48: truncated record: 19 of its 24");
    le(rec + 24 + 4, UINT64_MAX, 8);
    write_bytes("t.oracleGeneral", rec, sizeof rec);
    expect_error("t.oracleGeneral", VML_TRACE_ORACLE, "byte 24: object id 0xffffffffffffffff");
}

/* ---- vmt: written by the library, read back -------------------------------------------- */

static void write_trace(const char *name, vml_trace_format fmt, unsigned compress, unsigned flags,
                        const vml_trace_access *a, size_t n)
{
    vml_trace_writer *w;
    char err[512];

    assert_int_equal(VML_OK, vml_trace_writer_open(path_of(name), fmt, compress, flags, &w, err,
                                                   sizeof err));
    assert_int_equal(VML_OK, vml_trace_write(w, a, n));
    if (vml_trace_writer_close(w, err, sizeof err) != VML_OK)
        fail_msg("close: %s", err);
}

static size_t random_accesses(vml_trace_access *a, size_t n, uint64_t seed, unsigned n_pids)
{
    for (size_t i = 0; i < n; i++) {
        seed = seed * 6364136223846793005ull + 1442695040888963407ull;
        /* mostly nearby pages, sometimes far ones: short and long records */
        uint64_t page = (seed >> 60) < 12 ? (seed >> 33) % 40 : (seed >> 20) % 5000000;
        a[i].va = page << 12 | ((seed >> 8) & 0xfff);
        a[i].kind = (uint8_t)((seed >> 40) & 3);
        a[i].size = (uint16_t)(1 + ((seed >> 44) & 7));
        a[i].pid = n_pids > 1 ? (uint32_t)((seed >> 50) % n_pids) * 1000 : 0;
        a[i].flags = 0;
    }
    return n;
}

static void vmt_round_trip_keeps_pages_kinds_and_pids(void **state)
{
    enum { N = 20000 };
    vml_trace_access *a = calloc(N, sizeof *a), *b = calloc(2 * N, sizeof *b);
    size_t got, j = 0;
    vml_trace_format f;

    (void)state;
    assert_non_null(a);
    assert_non_null(b);
    random_accesses(a, N, 7, 3);
    write_trace("r.vmt", VML_TRACE_VMT, VML_COMPRESS_NONE, 0, a, N);
    got = read_all("r.vmt", VML_TRACE_AUTO, b, 2 * N, &f);
    assert_int_equal(VML_TRACE_VMT, f);
    /* vmt keeps pages: every access comes back as its page (a modify as a
    ** write), followed by continuations for the further pages it covers. */
    for (size_t i = 0; i < N; i++) {
        uint64_t first = a[i].va >> 12, last = (a[i].va + a[i].size - 1) >> 12;
        unsigned kind = a[i].kind == VML_TRACE_MODIFY ? VML_TRACE_WRITE : a[i].kind;
        for (uint64_t page = first; page <= last; page++, j++) {
            assert_true(j < got);
            assert_int_equal(page << 12, b[j].va);
            assert_int_equal(kind, b[j].kind);
            assert_int_equal(a[i].pid, b[j].pid);
            assert_int_equal(page != first ? VML_TRACE_CONT : 0, b[j].flags);
        }
    }
    assert_int_equal(j, got);
    free(a);
    free(b);
}

static void vmt_damage_is_named_by_byte_offset(void **state)
{
    vml_trace_access a[100];
    uint8_t buf[4096];
    size_t n;
    FILE *f;

    (void)state;
    random_accesses(a, 100, 3, 1);
    write_trace("d.vmt", VML_TRACE_VMT, VML_COMPRESS_NONE, 0, a, 100);
    f = fopen(path_of("d.vmt"), "rb");
    assert_non_null(f);
    n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    assert_true(n > 40 && n < sizeof buf);
    /* truncated: no end record */
    write_bytes("d2.vmt", buf, n - 3);
    expect_error("d2.vmt", VML_TRACE_VMT, "truncated");
    /* a header of another version */
    buf[8] = 9;
    write_bytes("d2.vmt", buf, n);
    expect_error("d2.vmt", VML_TRACE_AUTO, "byte 8: vmt version 9");
    buf[8] = 1;
    /* data after the end */
    memcpy(buf + n, "x", 1);
    write_bytes("d2.vmt", buf, n + 1);
    expect_error("d2.vmt", VML_TRACE_VMT, "data after the end record");
    /* a reserved record byte right after the header */
    buf[16] = 0xff;
    write_bytes("d2.vmt", buf, n);
    expect_error("d2.vmt", VML_TRACE_VMT, "byte 16: reserved record byte 0xff");
    /* a back-reference before the start */
    buf[16] = 0x05;
    write_bytes("d2.vmt", buf, n);
    expect_error("d2.vmt", VML_TRACE_VMT, "byte 16: reference 6 back, but only 0");
    /* an id not yet defined */
    buf[16] = 0xC0;
    buf[17] = 0x07;
    write_bytes("d2.vmt", buf, n);
    expect_error("d2.vmt", VML_TRACE_VMT, "reference to page id 7, but only 0 pages");
}

/* ---- compression -------------------------------------------------------------------------- */

static void compressed_and_plain_traces_read_the_same(void **state)
{
    static const struct { const char *name; unsigned c; } forms[] = {
        { "c.txt", VML_COMPRESS_NONE }, { "c.txt.zst", VML_COMPRESS_ZSTD },
        { "c.txt.xz", VML_COMPRESS_XZ }, { "c.txt.gz", VML_COMPRESS_GZIP },
        { "c.vmt.zst", VML_COMPRESS_ZSTD }, { "c.vmt.gz", VML_COMPRESS_GZIP },
    };
    enum { N = 30000 };
    vml_trace_access *a = calloc(N, sizeof *a), *plain = calloc(2 * N, sizeof *plain);
    vml_trace_access *b = calloc(2 * N, sizeof *b);
    size_t n_plain = 0, n_vmt = 0;

    (void)state;
    assert_non_null(a);
    assert_non_null(b);
    assert_non_null(plain);
    random_accesses(a, N, 11, 2);
    for (size_t i = 0; i < N_OF(forms); i++) {
        int vmt = strstr(forms[i].name, ".vmt") != NULL;
        vml_trace_format f;
        size_t n;
        write_trace(forms[i].name, vmt ? VML_TRACE_VMT : VML_TRACE_TEXT, forms[i].c, 0, a, N);
        n = read_all(forms[i].name, VML_TRACE_AUTO, b, 2 * N, &f);
        assert_int_equal(vmt ? VML_TRACE_VMT : VML_TRACE_TEXT, f);
        if (i == 0) {
            memcpy(plain, b, n * sizeof *b);
            n_plain = n;
        }
        if (vmt && n_vmt == 0)
            n_vmt = n;
        assert_int_equal(vmt ? n_vmt : n_plain, n);
        if (!vmt)
            assert_memory_equal(plain, b, n * sizeof *b);
    }
    free(a);
    free(b);
    free(plain);
}

static void corrupt_and_truncated_compressed_streams_are_refused(void **state)
{
    static const char *names[] = { "k.txt.zst", "k.txt.xz", "k.txt.gz" };
    static const unsigned comp[] = { VML_COMPRESS_ZSTD, VML_COMPRESS_XZ, VML_COMPRESS_GZIP };
    static const char *kind[] = { "zstd", "xz", "gzip" };
    vml_trace_access a[2000];
    uint8_t *buf = malloc(1 << 20);

    (void)state;
    assert_non_null(buf);
    random_accesses(a, 2000, 5, 1);
    for (size_t i = 0; i < N_OF(names); i++) {
        char want[64];
        size_t n;
        FILE *f;
        write_trace(names[i], VML_TRACE_TEXT, comp[i], 0, a, 2000);
        f = fopen(path_of(names[i]), "rb");
        assert_non_null(f);
        n = fread(buf, 1, 1 << 20, f);
        fclose(f);
        write_bytes("cut", buf, n / 2);
        snprintf(want, sizeof want, "truncated %s stream", kind[i]);
        expect_error("cut", VML_TRACE_AUTO, want);
        for (size_t k = 20; k < n - 20; k += 7)      /* damage the middle */
            buf[k] ^= 0x5a;
        write_bytes("bad", buf, n);
        snprintf(want, sizeof want, "%s stream", kind[i]);
        expect_error("bad", VML_TRACE_AUTO, want);
    }
    free(buf);
}

/* ---- detection --------------------------------------------------------------------------- */

static void unknown_formats_are_refused_with_what_was_seen(void **state)
{
    (void)state;
    write_text("u.txt", "# comment\nhello world\n");
    expect_error("u.txt", VML_TRACE_AUTO, "unknown trace format: the first line 'hello world'");
    write_bytes("u.bin", "\x01\x02\x00\x04\x05", 5);
    expect_error("u.bin", VML_TRACE_AUTO, "unknown binary trace format");
    expect_error("missing", VML_TRACE_AUTO, "cannot open");
}

static void an_empty_trace_has_no_accesses(void **state)
{
    vml_trace_access a[1];

    (void)state;
    write_text("e.txt", "");
    assert_int_equal(0, read_all("e.txt", VML_TRACE_AUTO, a, 1, NULL));
    write_text("e.lackey", "==1== Lackey\n==1== Command: true\n");
    assert_int_equal(0, read_all("e.lackey", VML_TRACE_AUTO, a, 1, NULL));
}

static void a_failed_trace_stays_failed(void **state)
{
    vml_trace *t;
    vml_trace_access a[8];
    char err[256];
    size_t n;

    (void)state;
    write_text("f.txt", "R 0x1\nbad\nR 0x2\n");
    assert_int_equal(VML_OK, vml_trace_open(path_of("f.txt"), VML_TRACE_TEXT, &t, err, sizeof err));
    /* the access before the bad line first, then the failure, for good */
    assert_int_equal(VML_OK, vml_trace_read(t, a, 8, &n));
    assert_int_equal(1, n);
    assert_int_equal(VML_E_SYNTAX, vml_trace_read(t, a, 8, &n));
    assert_int_equal(VML_E_SYNTAX, vml_trace_read(t, a, 8, &n));   /* TR1 */
    assert_int_equal(0, n);
    assert_non_null(strstr(vml_trace_error(t), "f.txt:2: 'bad'"));
    vml_trace_close(t);
}

static void format_and_compression_names_parse_back(void **state)
{
    vml_trace_format f;

    (void)state;
    for (unsigned i = 0; i < VML_N_TRACE_FORMATS; i++) {
        assert_int_equal(VML_OK, vml_trace_format_parse(vml_trace_format_name((vml_trace_format)i), &f));
        assert_int_equal(i, f);
    }
    assert_int_equal(VML_E_NOT_FOUND, vml_trace_format_parse("nope", &f));
    assert_int_equal(VML_COMPRESS_ZSTD, vml_compress_from_name("a.vmt.zst"));
    assert_int_equal(VML_COMPRESS_XZ, vml_compress_from_name("a.xz"));
    assert_int_equal(VML_COMPRESS_GZIP, vml_compress_from_name("a.gz"));
    assert_int_equal(VML_COMPRESS_NONE, vml_compress_from_name("a.vmt"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(lackey_lines_become_accesses),
        cmocka_unit_test(lackey_malformed_lines_name_their_line),
        cmocka_unit_test(text_lines_with_and_without_0x_and_pid),
        cmocka_unit_test(text_malformed_lines_name_their_line),
        cmocka_unit_test(csv_columns_by_header_or_by_position),
        cmocka_unit_test(csv_malformed_rows_name_line_and_field),
        cmocka_unit_test(oracle_records_are_page_reads),
        cmocka_unit_test(vmt_round_trip_keeps_pages_kinds_and_pids),
        cmocka_unit_test(vmt_damage_is_named_by_byte_offset),
        cmocka_unit_test(compressed_and_plain_traces_read_the_same),
        cmocka_unit_test(corrupt_and_truncated_compressed_streams_are_refused),
        cmocka_unit_test(unknown_formats_are_refused_with_what_was_seen),
        cmocka_unit_test(an_empty_trace_has_no_accesses),
        cmocka_unit_test(a_failed_trace_stays_failed),
        cmocka_unit_test(format_and_compression_names_parse_back),
    };
    return cmocka_run_group_tests(tests, make_tmpdir, remove_tmpdir);
}
