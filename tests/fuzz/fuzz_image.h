/*
** fuzz_image.h -- the body of the PE and ELF parser targets (fuzz_pe.c,
** fuzz_elf.c): any bytes must give an image that passes ld_image_check()
** or an error message, never a crash, a leak or undefined behaviour; a
** parsed image is also relocated page by page at a delta taken from the
** input.
*/
#ifndef VML_FUZZ_IMAGE_H
#define VML_FUZZ_IMAGE_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "loader/image.h"

typedef vml_status (*fuzz_parse_fn)(const struct ld_reader *r, struct ld_image **out, char *err,
                                    size_t size);

static int fuzz_image(const uint8_t *data, size_t size, fuzz_parse_fn parse)
{
    struct ld_reader r;
    struct ld_image *img = NULL;
    char err[512], msg[256];
    uint8_t page[LD_PAGE_SIZE];

    ld_reader_mem(&r, data, size);
    err[0] = '\0';
    if (parse(&r, &img, err, sizeof err) != VML_OK) {
        if (err[0] == '\0')
            abort();                      /* every failure says why */
        return 0;
    }
    if (ld_image_check(img, msg, sizeof msg) != 0)
        abort();                          /* an invariant broken: a bug */
    int64_t delta = size >= 8 ? (int64_t)((uint64_t)data[size - 1] << 16 | 0x10000) : 0x10000;
    for (size_t p = 0; p < img->n_pages && p < 256; p++) {
        if (ld_image_read(img, &r, (uint64_t)p * LD_PAGE_SIZE, page, sizeof page) != VML_OK)
            abort();
        ld_reloc_apply_page(img, (uint64_t)p * LD_PAGE_SIZE, delta, page, NULL, NULL);
    }
    ld_image_free(img);
    return 0;
}

#endif
