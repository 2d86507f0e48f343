/*
** pngcheck.c -- is a screenshot blank?  Decodes an 8-bit RGB or RGBA PNG
** (zlib's inflate and the five PNG row filters, RFC 2083) and prints
**   WIDTH HEIGHT COLOURS INK
** where COLOURS counts distinct colours (up to 65536) and INK the pixels
** that are not the most common colour (the background).  For the browser
** tests of the report (tests/cli/report_browser.sh).
**
** usage: pngcheck FILE.png      exit 0, or 1 with a message on bad input
*/
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int paeth(int a, int b, int c)
{
    int p = a + b - c, pa = abs(p - a), pb = abs(p - b), pc = abs(p - c);
    return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

static int die(const char *path, const char *why)
{
    fprintf(stderr, "pngcheck: %s: %s\n", path, why);
    return 1;
}

int main(int argc, char **argv)
{
    FILE *f;
    unsigned char *file = NULL, *idat = NULL, *raw = NULL;
    size_t size = 0, cap = 0, n_idat = 0, pos = 8;
    uint32_t w = 0, h = 0, x, y;
    int ctype = -1, bpp;
    uLongf raw_len;

    if (argc != 2)
        return die("usage", "pngcheck FILE.png");
    f = fopen(argv[1], "rb");
    if (f == NULL)
        return die(argv[1], "cannot open");
    for (;;) {
        if (size == cap) {
            cap = cap ? 2 * cap : 1 << 20;
            file = realloc(file, cap);
            if (file == NULL)
                return die(argv[1], "out of memory");
        }
        size_t n = fread(file + size, 1, cap - size, f);
        if (n == 0)
            break;
        size += n;
    }
    fclose(f);
    if (size < 8 || memcmp(file, "\x89PNG\r\n\x1a\n", 8) != 0)
        return die(argv[1], "not a PNG file");
    idat = malloc(size);
    if (idat == NULL)
        return die(argv[1], "out of memory");
    while (pos + 12 <= size) {
        uint32_t len = be32(file + pos);
        const unsigned char *type = file + pos + 4, *data = file + pos + 8;
        if (len > size - pos - 12)
            return die(argv[1], "a chunk runs past the end");
        if (memcmp(type, "IHDR", 4) == 0 && len >= 13) {
            w = be32(data);
            h = be32(data + 4);
            if (data[8] != 8 || data[12] != 0)
                return die(argv[1], "only 8-bit, non-interlaced images");
            ctype = data[9];
        } else if (memcmp(type, "IDAT", 4) == 0) {
            memcpy(idat + n_idat, data, len);
            n_idat += len;
        } else if (memcmp(type, "IEND", 4) == 0) {
            break;
        }
        pos += 12 + (size_t)len;
    }
    if (ctype != 2 && ctype != 6)
        return die(argv[1], "only RGB and RGBA images");
    if (w == 0 || h == 0 || w > 20000 || h > 20000)
        return die(argv[1], "bad dimensions");
    bpp = ctype == 6 ? 4 : 3;
    raw_len = (uLongf)h * (1 + (uLongf)w * (uLongf)bpp);
    raw = malloc(raw_len);
    if (raw == NULL)
        return die(argv[1], "out of memory");
    if (uncompress(raw, &raw_len, idat, n_idat) != Z_OK ||
        raw_len != (uLongf)h * (1 + (uLongf)w * (uLongf)bpp))
        return die(argv[1], "the image data does not inflate to its size");
    {
        size_t stride = (size_t)w * (size_t)bpp;
        unsigned char *prev = NULL;
        for (y = 0; y < h; y++) {
            unsigned char *row = raw + (size_t)y * (stride + 1);
            int filter = row[0];
            unsigned char *px = row + 1;
            for (size_t i = 0; i < stride; i++) {
                int a = i >= (size_t)bpp ? px[i - bpp] : 0;
                int b = prev ? prev[i] : 0;
                int c = prev && i >= (size_t)bpp ? prev[i - bpp] : 0;
                switch (filter) {
                case 0: break;
                case 1: px[i] = (unsigned char)(px[i] + a); break;
                case 2: px[i] = (unsigned char)(px[i] + b); break;
                case 3: px[i] = (unsigned char)(px[i] + (a + b) / 2); break;
                case 4: px[i] = (unsigned char)(px[i] + paeth(a, b, c)); break;
                default: return die(argv[1], "bad row filter");
                }
            }
            prev = px;
        }
    }
    {
        /* distinct colours: an open-addressing set of RGB values */
        enum { SET = 1 << 17 };
        uint32_t *keys = calloc(SET, sizeof *keys);
        uint64_t *counts = calloc(SET, sizeof *counts);
        size_t n_colours = 0, best = 0;
        uint64_t ink = 0;
        if (keys == NULL || counts == NULL)
            return die(argv[1], "out of memory");
        for (y = 0; y < h; y++) {
            const unsigned char *px = raw + (size_t)y * ((size_t)w * (size_t)bpp + 1) + 1;
            for (x = 0; x < w; x++, px += bpp) {
                uint32_t key = ((uint32_t)px[0] << 16 | (uint32_t)px[1] << 8 | px[2]) + 1;
                size_t slot = (key * 2654435761u) & (SET - 1);
                while (keys[slot] != 0 && keys[slot] != key)
                    slot = (slot + 1) & (SET - 1);
                if (keys[slot] == 0) {
                    if (n_colours == 65536)
                        continue;
                    keys[slot] = key;
                    n_colours++;
                }
                counts[slot]++;
                if (counts[slot] > counts[best])
                    best = slot;
            }
        }
        ink = (uint64_t)w * h - counts[best];
        printf("%u %u %zu %llu\n", w, h, n_colours, (unsigned long long)ink);
        free(keys);
        free(counts);
    }
    free(raw);
    free(idat);
    free(file);
    return 0;
}
