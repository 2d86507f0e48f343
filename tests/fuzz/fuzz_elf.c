/*
** fuzz_elf.c -- libFuzzer target for the ELF parser (src/loader/); the body
** is fuzz_image.h's, shared with the other image format.
*/
#include "fuzz_image.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_image(data, size, ld_elf_parse);
}
