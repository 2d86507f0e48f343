/*
** ld_testutil.h -- what test_pe.c and test_elf.c share: reading files,
** running binutils and capturing their output, parsing a buffer and
** asserting the exact error, writing malformed inputs as fuzz seeds,
** and a reference relocator (the whole image at once) to compare the
** per-page one with.
*/
#ifndef LD_TESTUTIL_H
#define LD_TESTUTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "loader/image.h"

#define LD_IMAGES "build/test/images"
#define LD_SEEDS  "build/test/seeds"

struct ld_bytes {
    uint8_t *data;
    size_t size;
};

static inline struct ld_bytes ld_file_read(const char *path)
{
    struct ld_bytes f = {NULL, 0};
    FILE *fp = fopen(path, "rb");
    long n;

    if (fp == NULL)
        fail_msg("cannot open %s: %s (run `make loader-images`)", path, strerror(errno));
    fseek(fp, 0, SEEK_END);
    n = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    f.data = malloc((size_t)n + 1);
    assert_non_null(f.data);
    f.size = fread(f.data, 1, (size_t)n, fp);
    fclose(fp);
    assert_int_equal(f.size, (size_t)n);
    return f;
}

/* Parses a file of the machine or of build/test/images; fails the test
** with the parser's message on error, and checks the invariants. */
static inline struct ld_image *ld_load(const char *path, struct ld_bytes *keep)
{
    struct ld_reader r;
    struct ld_image *img = NULL;
    char err[512], msg[256];

    *keep = ld_file_read(path);
    ld_reader_mem(&r, keep->data, keep->size);
    if (ld_image_parse(&r, &img, err, sizeof err) != VML_OK)
        fail_msg("%s: %s", path, err);
    if (ld_image_check(img, msg, sizeof msg) != 0)
        fail_msg("%s: %s", path, msg);
    return img;
}

/* The output of a shell command (NUL-terminated; the caller frees). */
static inline char *ld_run(const char *fmt, ...)
{
    char cmd[1024];
    va_list ap;
    FILE *p;
    size_t len = 0, cap = 1 << 16;
    char *out = malloc(cap);

    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    p = popen(cmd, "r");
    if (p == NULL || out == NULL)
        fail_msg("cannot run %s", cmd);
    for (;;) {
        if (cap - len < 4096) {
            cap *= 2;
            out = realloc(out, cap);
            assert_non_null(out);
        }
        size_t n = fread(out + len, 1, cap - len - 1, p);
        if (n == 0)
            break;
        len += n;
    }
    out[len] = '\0';
    if (pclose(p) != 0)
        fail_msg("%s failed", cmd);
    return out;
}

/* Writes a malformed input where `make fuzz` takes its seeds from. */
static inline void ld_seed(const char *fmt, const char *name, const uint8_t *data, size_t size)
{
    char path[256];
    FILE *fp;

    mkdir("build", 0755);
    mkdir("build/test", 0755);
    mkdir(LD_SEEDS, 0755);
    snprintf(path, sizeof path, LD_SEEDS "/%s", fmt);
    mkdir(path, 0755);
    snprintf(path, sizeof path, LD_SEEDS "/%s/%s", fmt, name);
    fp = fopen(path, "wb");
    if (fp != NULL) {
        fwrite(data, 1, size, fp);
        fclose(fp);
    }
}

/* Parses data and asserts the status and the exact error message. */
static inline void ld_expect_error(vml_status (*parse)(const struct ld_reader *, struct ld_image **,
                                                 char *, size_t),
                            const char *fmt, const char *name, const uint8_t *data, size_t size,
                            vml_status want_st, const char *want_msg)
{
    struct ld_reader r;
    struct ld_image *img = NULL;
    char err[512] = "";
    vml_status st;

    ld_seed(fmt, name, data, size);
    ld_reader_mem(&r, data, size);
    st = parse(&r, &img, err, sizeof err);
    if (st == VML_OK) {
        ld_image_free(img);
        fail_msg("%s: parsed, wanted \"%s\"", name, want_msg);
    }
    assert_null(img);
    if (strcmp(err, want_msg) != 0)
        fail_msg("%s:\n  got  \"%s\"\n  want \"%s\"", name, err, want_msg);
    assert_int_equal(st, want_st);
}

/* Every cut of data shorter than n bytes fails to parse, with a message
** that starts with prefix ("PE: ", "ELF: "). */
static inline void ld_expect_every_cut_fails(vml_status (*parse)(const struct ld_reader *,
                                                                 struct ld_image **, char *, size_t),
                                             const uint8_t *data, size_t n, const char *prefix)
{
    for (size_t cut = 0; cut < n; cut++) {
        struct ld_reader r;
        struct ld_image *img = NULL;
        char err[512] = "";
        ld_reader_mem(&r, data, cut);
        assert_int_not_equal(parse(&r, &img, err, sizeof err), VML_OK);
        assert_null(img);
        assert_true(strncmp(err, prefix, strlen(prefix)) == 0);
    }
}

/* Every input the fuzzer ever crashed on (a directory of
** tests/fuzz/regress/) parses and passes ld_image_check(), or fails with
** a message. */
static inline void ld_expect_regressions_parse_or_fail(vml_status (*parse)(const struct ld_reader *,
                                                                           struct ld_image **,
                                                                           char *, size_t),
                                                       const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;

    if (d == NULL)
        return;
    while ((e = readdir(d)) != NULL) {
        char path[512];
        struct ld_bytes f;
        struct ld_reader r;
        struct ld_image *img = NULL;
        char err[512] = "", msg[256];
        if (e->d_name[0] == '.')
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        f = ld_file_read(path);
        ld_reader_mem(&r, f.data, f.size);
        if (parse(&r, &img, err, sizeof err) == VML_OK) {
            assert_int_equal(ld_image_check(img, msg, sizeof msg), 0);
            ld_image_free(img);
        } else {
            assert_true(err[0] != '\0');
        }
        free(f.data);
    }
    closedir(d);
}

/* The reference: every relocation applied, in list order, to a buffer
** holding the whole image (as LdrRelocateImage and ld.so do). */
static inline void ld_relocate_whole(const struct ld_image *img, uint8_t *image, int64_t delta)
{
    for (size_t i = 0; i < img->n_relocs; i++) {
        const struct ld_reloc *rel = &img->relocs[i];
        uint8_t *p = image + rel->rva;
        uint64_t v = 0;
        unsigned w = rel->width;

        for (unsigned j = 0; j < w && j < 8; j++)
            v |= (uint64_t)p[j] << (8 * j);
        switch (rel->kind) {
        case LD_REL_ADD32: case LD_REL_ADD64: v += (uint64_t)delta; break;
        case LD_REL_SET32: case LD_REL_SET64: v = (uint64_t)delta + (uint64_t)rel->addend; break;
        case LD_REL_SYM32: case LD_REL_SYM64:
            if (!(rel->flags & LD_RF_LAZY))
                continue;
            v += (uint64_t)delta;
            break;
        default: continue;
        }
        for (unsigned j = 0; j < w && j < 8; j++)
            p[j] = (uint8_t)(v >> (8 * j));
    }
}

/* Relocating every page alone (in reverse order, to show order does not
** matter) gives the same bytes as relocating the whole image at once. */
static inline void ld_assert_pages_match_whole(const struct ld_image *img, const struct ld_reader *r,
                                        int64_t delta)
{
    uint8_t *whole = malloc(img->image_size);
    uint8_t page[LD_PAGE_SIZE];

    assert_non_null(whole);
    assert_int_equal(ld_image_read(img, r, 0, whole, img->image_size), VML_OK);
    ld_relocate_whole(img, whole, delta);
    for (size_t p = img->n_pages; p-- > 0;) {
        assert_int_equal(ld_image_read(img, r, p * LD_PAGE_SIZE, page, sizeof page), VML_OK);
        ld_reloc_apply_page(img, p * LD_PAGE_SIZE, delta, page, NULL, NULL);
        if (memcmp(page, whole + p * LD_PAGE_SIZE, sizeof page) != 0)
            fail_msg("page 0x%zx differs after relocation by %lld", p * LD_PAGE_SIZE,
                     (long long)delta);
    }
    free(whole);
}

#endif
