/*
** elfhello.c -- a small program built as a static PIE (x86-64) and as a
** 32-bit PIE for the ELF loader's tests: pointers in data (RELATIVE
** relocations), thread-local data (PT_TLS), a .bss array.
*/
#include <stdio.h>

static __thread int elfhello_tls = 5;
static const char *elfhello_words[] = { "one", "two", "three" };
static char elfhello_bss[3 * 4096];

int main(int argc, char **argv)
{
    (void)argv;
    elfhello_bss[argc] = 1;
    printf("%s %d\n", elfhello_words[argc % 3], elfhello_tls + elfhello_bss[1]);
    return 0;
}
