/*
** peexe.c -- a small EXE for the loader's tests: imports by name from
** pedll.dll, kernel32.dll and msvcrt.dll, one import by ordinal, a TLS
** callback, a large .bss, and a table of absolute pointers (relocations).
** Built with and without /DYNAMICBASE (tests/images rules in the Makefile).
*/
#include <windows.h>
#include <stdio.h>

__declspec(dllimport) int pedll_add(int a, int b);
__declspec(dllimport) int pedll_table_a;
__declspec(dllimport) int pedll_by_ordinal(int x);   /* NONAME @7: imported by ordinal */

static char peexe_bss[64 * 1024];
static const char *peexe_strings[] = { "alpha", "beta", "gamma", "delta" };

static void NTAPI peexe_tls_callback(PVOID h, DWORD reason, PVOID reserved)
{
    (void)h; (void)reserved;
    peexe_bss[0] = (char)reason;
}

/* The linker turns this into the TLS directory's AddressOfCallBacks. */
#ifdef _MSC_VER
#pragma section(".CRT$XLB", read)
#endif
__attribute__((section(".CRT$XLB"), used))
PIMAGE_TLS_CALLBACK peexe_tls_callbacks = peexe_tls_callback;

int main(int argc, char **argv)
{
    (void)argv;
    peexe_bss[argc] = 1;
    printf("%s %d %d\n", peexe_strings[argc & 3], pedll_add(argc, 2), pedll_table_a + pedll_by_ordinal(argc));
    Sleep(0);
    return 0;
}
