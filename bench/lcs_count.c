/*
** lcs_count.c -- exact miss counts from libCacheSim, for `make bench` to
** compare with vmlab's fault counts (cachesim prints miss ratios with four
** decimals only).  Built by bench/libcachesim.sh against libCacheSim's
** own library and headers; it uses the library's public API as its
** example/cacheSimulator does, nothing more.
**
**   lcs_count TRACE.oracleGeneral ALGO SIZE...   (ALGO: lru fifo clock belady)
** prints one line per size: "ALGO SIZE requests misses".
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "libCacheSim.h"

static cache_t *make_cache(const char *algo, uint64_t size)
{
    common_cache_params_t cc = default_common_cache_params();

    cc.cache_size = size;
    if (strcasecmp(algo, "lru") == 0)
        return LRU_init(cc, NULL);
    if (strcasecmp(algo, "fifo") == 0)
        return FIFO_init(cc, NULL);
    if (strcasecmp(algo, "clock") == 0)
        return Clock_init(cc, NULL);
    if (strcasecmp(algo, "belady") == 0)
        return Belady_init(cc, NULL);
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: lcs_count TRACE.oracleGeneral lru|fifo|clock|belady SIZE...\n");
        return 2;
    }
    for (int i = 3; i < argc; i++) {
        reader_init_param_t params = default_reader_init_params();
        uint64_t size = strtoull(argv[i], NULL, 10), n_req = 0, n_miss = 0;
        reader_t *reader;
        request_t *req;
        cache_t *cache = make_cache(argv[2], size);

        if (cache == NULL) {
            fprintf(stderr, "lcs_count: unknown algorithm %s\n", argv[2]);
            return 2;
        }
        params.ignore_obj_size = true;
        reader = open_trace(argv[1], ORACLE_GENERAL_TRACE, &params);
        req = new_request();
        while (read_one_req(reader, req) == 0) {
            n_req++;
            n_miss += !cache->get(cache, req);
        }
        printf("%s %llu %llu %llu\n", argv[2], (unsigned long long)size,
               (unsigned long long)n_req, (unsigned long long)n_miss);
        free_request(req);
        cache->cache_free(cache);
        close_reader(reader);
    }
    return 0;
}
