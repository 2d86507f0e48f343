/*
** workload.c -- the program whose memory trace `make bench` records with
** Valgrind's lackey (vmlab record) and replays: deterministic (its own
** xorshift generator, no input, no time), about 28 million accesses, a
** footprint of several thousand pages and the phases real programs have:
**
**   1. inserts into an 8 MiB open-addressing hash table (random pages)
**   2. lookups, mostly of recent keys (a drifting working set)
**   3. a merge sort of 64K integers (sequential streams, two buffers)
**   4. a column-major walk of a 2 MiB matrix (a page per access, a loop
**      over more pages than small memories hold)
*/
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define TABLE_SLOTS (1u << 20)        /* 8 MiB of uint64_t */
#define N_INSERTS   120000u
#define N_LOOKUPS   150000u
#define SORT_N      (1u << 16)
#define DIM         512u

static uint64_t table[TABLE_SLOTS];
static uint32_t keys[SORT_N], tmp[SORT_N];
static double matrix[DIM][DIM];

static uint64_t xorshift(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static void insert(uint64_t key)
{
    uint32_t i = (uint32_t)(key * 0x9e3779b97f4a7c15ull >> 44) & (TABLE_SLOTS - 1);

    while (table[i] != 0 && table[i] != key)
        i = (i + 1) & (TABLE_SLOTS - 1);
    table[i] = key;
}

static int lookup(uint64_t key)
{
    uint32_t i = (uint32_t)(key * 0x9e3779b97f4a7c15ull >> 44) & (TABLE_SLOTS - 1);

    while (table[i] != 0) {
        if (table[i] == key)
            return 1;
        i = (i + 1) & (TABLE_SLOTS - 1);
    }
    return 0;
}

static void merge_sort(uint32_t *a, uint32_t *b, size_t n)
{
    for (size_t width = 1; width < n; width *= 2) {
        for (size_t lo = 0; lo < n; lo += 2 * width) {
            size_t mid = lo + width < n ? lo + width : n, hi = lo + 2 * width < n ? lo + 2 * width : n;
            size_t i = lo, j = mid, k = lo;
            while (i < mid && j < hi)
                b[k++] = a[i] <= a[j] ? a[i++] : a[j++];
            while (i < mid)
                b[k++] = a[i++];
            while (j < hi)
                b[k++] = a[j++];
        }
        uint32_t *t = a;
        a = b;
        b = t;
    }
}

int main(void)
{
    uint64_t s = 88172645463325252ull, found = 0;
    double sum = 0;

    for (uint32_t i = 0; i < N_INSERTS; i++)
        insert(xorshift(&s) | 1);
    s = 88172645463325252ull;
    for (uint32_t i = 0; i < N_LOOKUPS; i++) {
        uint64_t k = xorshift(&s) | 1;
        /* mostly keys inserted recently (a working set), some misses */
        found += lookup(i % 4 == 0 ? k + 2 : k);
    }
    for (uint32_t i = 0; i < SORT_N; i++)
        keys[i] = (uint32_t)xorshift(&s);
    merge_sort(keys, tmp, SORT_N);
    for (unsigned pass = 0; pass < 3; pass++)
        for (uint32_t col = 0; col < DIM; col++)
            for (uint32_t row = 0; row < DIM; row++)
                sum += matrix[row][col] += row ^ col;
    printf("%llu %u %.0f\n", (unsigned long long)found, keys[SORT_N / 2], sum);
    return 0;
}
