/*
** pedll.c -- a small DLL for the loader's tests (tests/unit/test_pe.c):
** exports by name, one by ordinal only and one forwarder (pedll.def),
** writable data holding absolute pointers (base relocations), a .bss
** array; the CRT adds a TLS directory with callbacks.
*/
#include <windows.h>

int pedll_tls_counter = 7;   /* the TLS directory comes from the CRT */

int pedll_table_a = 1;
int pedll_table_b = 2;
/* Absolute addresses: each needs a base relocation (HIGHLOW / DIR64). */
int *pedll_pointers[4] = { &pedll_table_a, &pedll_table_b, &pedll_table_a, 0 };
static char pedll_bss[3 * 4096 + 17];

int pedll_add(int a, int b)
{
    pedll_bss[a & 0xfff] = (char)b;
    return a + b + *pedll_pointers[0] + pedll_tls_counter;
}

int pedll_by_ordinal(int x)
{
    return x * 3;
}

BOOL WINAPI DllMain(HINSTANCE h, DWORD reason, LPVOID reserved)
{
    (void)h; (void)reason; (void)reserved;
    return TRUE;
}
