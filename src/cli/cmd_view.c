/*
** cmd_view.c -- handlers of the machine, process, page-table, TLB,
** physical-memory, view and counter commands.
**
** As in cmd_mem.c: arguments first, then one library call.  A view's text
** goes to the output unless the command runs under expect.
*/
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

/* ------------------------------------------------------------------ */
/* Machine and processes                                               */

static enum rc on_off(struct interp *in, const char *key, const char *v, int *out)
{
    if (strcmp(v, "on") == 0)
        *out = 1;
    else if (strcmp(v, "off") == 0)
        *out = 0;
    else
        return cli_error(in, "bad value for %s: '%s' (on or off)", key, v);
    return RC_OK;
}

/* "64x4" -> 64, 4 */
static enum rc geometry(struct interp *in, const char *key, const char *v,
                        unsigned *entries, unsigned *ways)
{
    uint64_t e = 0, w = 0;
    const char *x = strchr(v, 'x');
    char left[32];

    if (strcmp(key, "tlb2") == 0 && (strcmp(v, "off") == 0 || strcmp(v, "0") == 0)) {
        *entries = *ways = 0;
        return RC_OK;
    }
    if (x == NULL || (size_t)(x - v) >= sizeof left || x == v || x[1] == '\0')
        return cli_error(in, "bad value for %s: '%s' (ENTRIESxWAYS, e.g. %s=64x4)", key, v, key);
    memcpy(left, v, (size_t)(x - v));
    left[x - v] = '\0';
    if (arg_count(in, left, key, &e) || arg_count(in, x + 1, key, &w))
        return RC_ERROR;
    if (e == 0 || w == 0 || e > 1u << 20 || w > e)
        return cli_error(in, "bad value for %s: '%s' (1 <= WAYS <= ENTRIES <= 1048576)", key, v);
    *entries = (unsigned)e;
    *ways = (unsigned)w;
    return RC_OK;
}

#define MACHINE_KEYS "ram paging tlb tlb2 cpus seed split pcid check pagefile policy wsmin " \
                     "wsmax low high zeroreserve bginterval files aslr imports data"

/* pagefile=SIZE | pagefile=PATH,SIZE | pagefile=off.  The path is the text
** before the last comma, as typed (it is not an expression).  For
** PATH,SIZE cfg->pagefile_path is set to the whole word, which lives until
** the handler returns; h_machine cuts the path out of it. */
static enum rc pagefile_key(struct interp *in, vml_config *cfg, const char *v)
{
    const char *comma = strrchr(v, ',');
    const char *size_word = v;
    uint64_t n = 0;

    if (strcmp(v, "off") == 0 || strcmp(v, "none") == 0 || strcmp(v, "0") == 0) {
        cfg->pagefile_bytes = 0;
        cfg->pagefile_path = NULL;
        return RC_OK;
    }
    if (comma != NULL) {
        if (comma == v || comma[1] == '\0')
            return cli_error(in, "bad value for pagefile: '%s' (SIZE, PATH,SIZE or off; e.g. "
                             "pagefile=16M or pagefile=/tmp/vmlab.sys,16M)", v);
        size_word = comma + 1;
    }
    if (arg_count(in, size_word, "pagefile", &n))
        return RC_ERROR;
    if (n == 0 || n % VML_PAGE_SIZE != 0)
        return cli_error(in, "bad value for pagefile: '%s' (the size must be a non-zero "
                         "multiple of 4K; pagefile=off for none)", v);
    cfg->pagefile_bytes = n;
    cfg->pagefile_path = comma != NULL ? v : NULL;
    return RC_OK;
}

/* The pagefile path of pagefile=PATH,SIZE as its own string (the word holds
** the size too). */
static char *pagefile_path_copy(const char *word)
{
    const char *comma = strrchr(word, ',');
    size_t len = comma != NULL ? (size_t)(comma - word) : strlen(word);
    char *s = malloc(len + 1);

    if (s != NULL) {
        memcpy(s, word, len);
        s[len] = '\0';
    }
    return s;
}

static enum rc policy_key(struct interp *in, vml_config *cfg, const char *v)
{
    vml_text names = {0};
    unsigned i;

    if (vml_policy_parse(v, &cfg->policy) == VML_OK)
        return RC_OK;
    for (i = 0; i < VML_N_POLICIES; i++)
        vml_text_printf(&names, "%s%s", i ? ", " : "", vml_policy_name((vml_policy)i));
    cli_error(in, "bad value for policy: '%s' (%s)", v, sb_str(&names));
    vml_text_free(&names);
    return RC_ERROR;
}

/* Keys whose value is a count of pages or accesses. */
static const struct { const char *key; size_t off; } count_keys[] = {
    { "wsmin",       offsetof(vml_config, ws_min_pages) },
    { "wsmax",       offsetof(vml_config, ws_max_pages) },
    { "low",         offsetof(vml_config, low_pages) },
    { "high",        offsetof(vml_config, high_pages) },
    { "zeroreserve", offsetof(vml_config, zero_reserve) },
    { "bginterval",  offsetof(vml_config, bg_interval) },
};

static enum rc machine_key(struct interp *in, vml_config *cfg, const char *key, const char *v)
{
    uint64_t n = 0;
    int flag = 0;
    size_t i;

    for (i = 0; i < sizeof count_keys / sizeof count_keys[0]; i++)
        if (strcmp(key, count_keys[i].key) == 0)
            return arg_count(in, v, key, (uint64_t *)(void *)((char *)cfg + count_keys[i].off));

    if (strcmp(key, "ram") == 0) {
        if (arg_count(in, v, "ram", &n))
            return RC_ERROR;
        if (n < 1u << 20 || n % VML_PAGE_SIZE != 0)
            return cli_error(in, "bad value for ram: '%s' (at least 1M, a multiple of 4K)", v);
        cfg->ram_bytes = n;
    } else if (strcmp(key, "paging") == 0) {
        if (vml_paging_parse(v, &cfg->paging) != VML_OK)
            return cli_error(in, "bad value for paging: '%s' (4level, 5level, pae, legacy)", v);
    } else if (strcmp(key, "tlb") == 0) {
        return geometry(in, key, v, &cfg->tlb_entries, &cfg->tlb_ways);
    } else if (strcmp(key, "tlb2") == 0) {
        return geometry(in, key, v, &cfg->tlb2_entries, &cfg->tlb2_ways);
    } else if (strcmp(key, "cpus") == 0) {
        if (arg_count(in, v, "cpus", &n))
            return RC_ERROR;
        if (n < 1 || n > 64)
            return cli_error(in, "bad value for cpus: '%s' (1 to 64)", v);
        cfg->n_cpus = (unsigned)n;
    } else if (strcmp(key, "seed") == 0) {
        return arg_num(in, v, "seed", &cfg->seed);
    } else if (strcmp(key, "split") == 0) {
        if (arg_num(in, v, "split", &n))
            return RC_ERROR;
        if (n != 2ull << 30 && n != 3ull << 30)
            return cli_error(in, "bad value for split: '%s' (2G or 3G)", v);
        cfg->user_split = n;
    } else if (strcmp(key, "pcid") == 0 || strcmp(key, "check") == 0) {
        unsigned bit = key[0] == 'p' ? VML_CFG_PCID : VML_CFG_CHECK;
        if (on_off(in, key, v, &flag))
            return RC_ERROR;
        cfg->flags = flag ? cfg->flags | bit : cfg->flags & ~bit;
    } else if (strcmp(key, "aslr") == 0) {
        if (on_off(in, key, v, &flag))
            return RC_ERROR;
        cfg->flags = flag ? cfg->flags & ~VML_CFG_NO_ASLR : cfg->flags | VML_CFG_NO_ASLR;
    } else if (strcmp(key, "data") == 0) {
        if (on_off(in, key, v, &flag))
            return RC_ERROR;
        cfg->flags = flag ? cfg->flags & ~VML_CFG_NO_DATA : cfg->flags | VML_CFG_NO_DATA;
    } else if (strcmp(key, "imports") == 0) {
        if (strcmp(v, "strict") != 0 && strcmp(v, "lenient") != 0)
            return cli_error(in, "bad value for imports: '%s' (strict or lenient)", v);
        cfg->flags = v[0] == 's' ? cfg->flags | VML_CFG_STRICT_IMPORTS
                                 : cfg->flags & ~VML_CFG_STRICT_IMPORTS;
    } else if (strcmp(key, "pagefile") == 0) {
        return pagefile_key(in, cfg, v);
    } else if (strcmp(key, "policy") == 0) {
        return policy_key(in, cfg, v);
    } else if (strcmp(key, "files") == 0) {
        /* a directory path, as typed (not an expression); the library
        ** copies it when it creates the machine */
        if (v[0] == '\0')
            return cli_error(in, "files= needs a directory path");
        if (in->sandbox)         /* its files would be written: host files */
            return cli_error(in, "files=PATH is not allowed in this run (no host files)");
        cfg->files_path = v;
    } else {
        return cli_error(in, "unknown machine key '%s' (%s)", key, MACHINE_KEYS);
    }
    return RC_OK;
}

/* The machine keys a vml_config_check() message is about ("" if unknown):
** the library names the values, the script's author typed the keys. */
static const char *config_keys(const char *msg)
{
    static const struct { const char *word, *keys; } map[] = {
        { "working-set", "wsmin=, wsmax=" },
        { "threshold",   "low=, high=, zeroreserve=" },
        { "pagefile",    "pagefile=" },
        { "policy",      "policy=" },
        { "tlb2",        "tlb2=" },
        { "tlb",         "tlb=" },
        { "ram",         "ram=" },
        { "cpus",        "cpus=" },
        { "split",       "split=" },
    };
    size_t i;

    for (i = 0; i < sizeof map / sizeof map[0]; i++)
        if (strstr(msg, map[i].word) != NULL)
            return map[i].keys;
    return "";
}

static void print_machine(struct interp *in, vml_machine *m)
{
    vml_config c;
    vml_pagefile_info pf;

    vml_machine_config(m, &c);
    vml_pagefile_get(m, &pf);
    fprintf(in->out, "machine: ram %lluK (%llu frames), paging %s, tlb %ux%u",
            (unsigned long long)(c.ram_bytes >> 10),
            (unsigned long long)vml_pfn_total(m), vml_paging_name(c.paging),
            c.tlb_entries, c.tlb_ways);
    if (c.tlb2_entries)
        fprintf(in->out, " + %ux%u", c.tlb2_entries, c.tlb2_ways);
    fprintf(in->out, ", %u cpu%s, seed %llu%s", c.n_cpus, c.n_cpus == 1 ? "" : "s",
            (unsigned long long)c.seed, (c.flags & VML_CFG_PCID) ? ", pcid" : "");
    if (pf.present)
        fprintf(in->out, ", pagefile %lluK%s%s", (unsigned long long)(c.pagefile_bytes >> 10),
                pf.path[0] ? " at " : "", pf.path);
    if (c.policy != VML_POLICY_WS)
        fprintf(in->out, ", policy %s", vml_policy_name(c.policy));
    if (c.flags & VML_CFG_NO_ASLR)
        fprintf(in->out, ", aslr off");
    if (c.flags & VML_CFG_STRICT_IMPORTS)
        fprintf(in->out, ", imports strict");
    if (c.flags & VML_CFG_NO_DATA)
        fprintf(in->out, ", data off");
    fputc('\n', in->out);
}

/* Bytes of host memory per simulated frame beyond its 4 KiB: the PFN
** database entry (at most 32 bytes, DESIGN.md) and the frame's share of
** the working-set lists and page tables (a generous 32 more). */
#define HOST_BYTES_PER_FRAME 64u

static void sb_size(vml_text *b, uint64_t bytes)
{
    if (bytes >= UINT64_C(1) << 30)
        vml_text_printf(b, "%.1f GiB", (double)bytes / (double)(UINT64_C(1) << 30));
    else
        vml_text_printf(b, "%llu MiB", (unsigned long long)(bytes >> 20));
}

/* A machine whose RAM the host cannot hold is refused with what it needs
** (the frames are allocated lazily, but the host would fail one large
** allocation of them anyway, or later, half-way through the script). */
static enum rc host_memory_check(struct interp *in, const vml_config *cfg)
{
    long pages = sysconf(_SC_PHYS_PAGES), page_size = sysconf(_SC_PAGESIZE);
    uint64_t host, need, tables = (cfg->ram_bytes >> VML_PAGE_SHIFT) * HOST_BYTES_PER_FRAME;
    int no_data = (cfg->flags & VML_CFG_NO_DATA) != 0;
    vml_text r = {0}, a = {0}, b = {0}, t = {0};
    enum rc rc;

    if (pages <= 0 || page_size <= 0)
        return RC_OK;                      /* unknown: let the library try */
    host = (uint64_t)pages * (uint64_t)page_size;
    /* data=off: the frames' bytes are not kept (their page tables are, a
    ** small part counted in the generous per-frame figure) */
    need = (no_data ? 0 : cfg->ram_bytes) + tables;
    if (need <= host)
        return RC_OK;
    sb_size(&r, cfg->ram_bytes);
    sb_size(&a, need);
    sb_size(&b, host);
    sb_size(&t, tables);
    if (no_data)
        rc = cli_error(in, "machine: %s of RAM needs about %s of host memory (its PFN "
                       "database, with data=off); this host has %s", sb_str(&r), sb_str(&a),
                       sb_str(&b));
    else
        rc = cli_error(in, "machine: %s of RAM needs about %s of host memory (its frames and "
                       "their PFN database; %s with data=off); this host has %s", sb_str(&r),
                       sb_str(&a), sb_str(&t), sb_str(&b));
    vml_text_free(&r);
    vml_text_free(&a);
    vml_text_free(&b);
    vml_text_free(&t);
    return rc;
}

enum rc machine_config_words(struct interp *in, size_t argc, char **argv, vml_config *cfg,
                             char **path)
{
    char why[256];
    size_t i;

    *path = NULL;
    vml_config_default(cfg);
    for (i = 0; i < argc; i++) {
        const char *eq = strchr(argv[i], '=');
        char key[16];
        size_t k;
        if (eq == NULL)
            return cli_error(in, "machine takes KEY=VALUE words, not '%s' (keys: %s)", argv[i],
                             MACHINE_KEYS);
        if ((size_t)(eq - argv[i]) >= sizeof key)
            return cli_error(in, "unknown machine key '%.*s' (%s)", (int)(eq - argv[i]), argv[i],
                             MACHINE_KEYS);
        memcpy(key, argv[i], (size_t)(eq - argv[i]));
        key[eq - argv[i]] = '\0';
        for (k = 0; k < i; k++)          /* which value would win is not obvious */
            if (strncmp(argv[k], argv[i], (size_t)(eq - argv[i]) + 1) == 0)
                return cli_error(in, "machine: %s= is given twice ('%s' and '%s')", key,
                                 argv[k], argv[i]);
        if (machine_key(in, cfg, key, eq + 1) != RC_OK)
            return RC_ERROR;
    }
    if (vml_config_check(cfg, why, sizeof why) != VML_OK) {
        const char *keys = config_keys(why);
        return cli_error(in, "bad machine: %s%s%s%s", why, keys[0] ? " (" : "", keys,
                         keys[0] ? ")" : "");
    }
    if (in->max_ram != 0 && cfg->ram_bytes > in->max_ram)
        cfg->ram_bytes = in->max_ram;          /* the fuzz target's machines */
    if (host_memory_check(in, cfg) != RC_OK)
        return RC_ERROR;
    if (in->max_ram != 0 && cfg->pagefile_bytes > in->max_ram)
        cfg->pagefile_bytes = in->max_ram;
    if (in->sandbox && cfg->pagefile_path != NULL)
        return cli_error(in, "machine: pagefile=PATH,SIZE is not allowed in this run (no "
                         "host files); pagefile=SIZE is");
    if (cfg->pagefile_path != NULL) {
        *path = pagefile_path_copy(cfg->pagefile_path);
        if (*path == NULL)
            return cli_error(in, "out of memory");
        cfg->pagefile_path = *path;
    }
    return RC_OK;
}

CLI_HANDLER(h_machine)
{
    vml_config cfg;
    vml_machine *m = NULL;
    vml_status st;
    char why[256], *path = NULL;

    (void)res;
    if (machine_config_words(in, argc, argv, &cfg, &path) != RC_OK)
        return RC_ERROR;
    why[0] = '\0';
    st = vml_machine_create_msg(&cfg, &m, why, sizeof why);
    free(path);
    if (st != VML_OK)
        return cli_error(in, "cannot create the machine: %s", why[0] ? why : vml_strerror(st));
    if (in->m != NULL)
        vml_machine_destroy(in->m);
    in->m = m;
    in->cpu = 0;
    events_apply(in);
    record_apply(in);
    if (in->quiet == 0)
        print_machine(in, m);
    return RC_OK;
}

CLI_HANDLER(h_process)
{
    vml_proc *p = NULL;
    vml_status st;
    char *name = NULL;
    enum rc rc;

    if (arg_name(in, argv[0], "NAME", &name) != RC_OK)   /* as typed, or in a string */
        return RC_ERROR;
    rc = arg_new_proc_name(in, name);
    if (rc == RC_OK && argc > 1 && strcmp(argv[1], "win32") != 0 && strcmp(argv[1], "posix") != 0)
        rc = cli_error(in, "unknown environment '%s' (win32 or posix)", argv[1]);
    if (rc != RC_OK) {
        free(name);
        return rc;
    }
    st = vml_proc_create(in->m, name, &p);
    free(name);
    if (st != VML_OK)
        return lib_status(in, st, res);
    if (argc > 1) {
        rc = proc_personality(in, p, argv[1], res);
        if (rc != RC_OK || res->fail != FAIL_NONE) {
            (void)vml_proc_destroy(p);     /* nothing is left of a failed one */
            return rc;
        }
    }
    value_set_num(&res->val, vml_proc_pid(p));
    snprintf(res->note, sizeof res->note, "pid %u, cr3 0x%llx", vml_proc_pid(p),
             (unsigned long long)vml_proc_cr3(p));
    return RC_OK;
}

CLI_HANDLER(h_terminate)
{
    vml_proc *p;

    (void)argc;
    if (arg_proc(in, argv[0], &p))
        return RC_ERROR;
    return lib_status(in, vml_proc_destroy(p), res);
}

CLI_HANDLER(h_cpu)
{
    if (argc == 1 && arg_cpu(in, argv[0], &in->cpu))
        return RC_ERROR;
    value_set_num(&res->val, in->cpu);
    return RC_OK;
}

CLI_HANDLER(h_switch)
{
    vml_proc *p;
    unsigned cpu = in->cpu;

    if (arg_proc(in, argv[0], &p) || (argc == 2 && arg_cpu(in, argv[1], &cpu)))
        return RC_ERROR;
    return lib_status(in, vml_cpu_switch(in->m, cpu, p), res);
}

CLI_HANDLER(h_layout)
{
    vml_layout l;

    (void)argc;
    (void)argv;
    (void)res;
    vml_machine_layout(in->m, &l);
    if (in->quiet == 0 && in->fmt == VML_FMT_JSON)
        fprintf(in->out,
                "{\"view\":\"layout\",\"user_lowest\":\"0x%llx\",\"user_highest\":\"0x%llx\","
                "\"kernel_base\":\"0x%llx\",\"mmap_base\":\"0x%llx\",\"va_bits\":%u,"
                "\"levels\":%u,\"entry_size\":%u,\"granularity\":%llu}\n",
                (unsigned long long)l.user_lowest, (unsigned long long)l.user_highest,
                (unsigned long long)l.kernel_base, (unsigned long long)l.mmap_base,
                l.va_bits, l.levels, l.entry_size, (unsigned long long)l.granularity);
    else if (in->quiet == 0)
        fprintf(in->out,
                "  user range       0x%llx - 0x%llx\n"
                "  kernel base      0x%llx\n"
                "  mmap base        0x%llx\n"
                "  va bits          %u (%u levels, %u-byte entries)\n"
                "  granularity      0x%llx\n",
                (unsigned long long)l.user_lowest, (unsigned long long)l.user_highest,
                (unsigned long long)l.kernel_base, (unsigned long long)l.mmap_base,
                l.va_bits, l.levels, l.entry_size, (unsigned long long)l.granularity);
    return RC_OK;
}

CLI_HANDLER(h_check)
{
    vml_status st;

    (void)argc;
    (void)argv;
    st = vml_machine_check(in->m);
    if (st == VML_OK && in->quiet == 0)
        fprintf(in->out, "check: every invariant holds\n");
    return lib_status(in, st, res);
}

/* ------------------------------------------------------------------ */
/* Page tables and TLB                                                 */

CLI_HANDLER(h_vtop)
{
    vml_proc *p;
    uint64_t addr = 0;
    vml_walk w;
    vml_status st;
    enum rc rc;

    (void)argc;
    if (arg_proc(in, argv[0], &p) || arg_num(in, argv[1], "ADDRESS", &addr))
        return RC_ERROR;
    memset(&w, 0, sizeof w);
    st = vml_walk_va(p, addr, &w);
    if (st != VML_OK)
        return lib_status(in, st, res);
    if (in->quiet == 0) {
        vml_text t = {0};
        rc = emit_view(in, vml_view_vtop(p, addr, in->fmt, &t), &t, res);
        if (rc != RC_OK || res->fail != FAIL_NONE)
            return rc;
    }
    if (!w.present) {
        res->fail = FAIL_STATUS;
        res->st = VML_E_NOT_PRESENT;
        snprintf(res->detail, sizeof res->detail, "no translation for 0x%llx (level %u entry "
                 "not present)", (unsigned long long)addr, w.fail_level);
        return RC_OK;
    }
    value_set_num(&res->val, w.pa);
    return RC_OK;
}

CLI_HANDLER(h_pte)
{
    vml_proc *p;
    uint64_t addr = 0, pte = 0;
    vml_status st;
    vml_pte_info info;

    (void)argc;
    if (arg_proc(in, argv[0], &p) || arg_num(in, argv[1], "ADDRESS", &addr))
        return RC_ERROR;
    st = vml_pte_get(p, addr, &pte);
    if (st != VML_OK)
        return lib_status(in, st, res);
    value_set_num(&res->val, pte);
    memset(&info, 0, sizeof info);
    vml_pte_decode(in->m, pte, 1, &info);
    if (info.kind == VML_PTE_VALID)
        snprintf(res->note, sizeof res->note, "valid, pfn 0x%llx%s%s%s",
                 (unsigned long long)info.pfn, info.rw ? " RW" : " RO",
                 info.a ? " A" : "", info.d ? " D" : "");
    else
        snprintf(res->note, sizeof res->note, "%s", vml_pte_kind_name(info.kind));
    return RC_OK;
}

CLI_HANDLER(h_setpte)
{
    vml_proc *p;
    uint64_t addr = 0, pte = 0;

    (void)argc;
    if (arg_proc(in, argv[0], &p) || arg_num(in, argv[1], "ADDRESS", &addr) ||
        arg_num(in, argv[2], "VALUE", &pte))
        return RC_ERROR;
    return lib_status(in, vml_pte_set_raw(p, addr, pte), res);
}

CLI_HANDLER(h_invlpg)
{
    vml_proc *p;
    uint64_t addr = 0;
    unsigned cpu = in->cmd_cpu;

    if (arg_proc(in, argv[0], &p) || arg_num(in, argv[1], "ADDRESS", &addr))
        return RC_ERROR;
    if (argc == 3) {
        if (strcmp(argv[2], "all") != 0)
            return cli_error(in, "invlpg: expected 'all' (every CPU), not '%s'", argv[2]);
        cpu = VML_ALL_CPUS;
    }
    return lib_status(in, vml_tlb_invlpg(in->m, cpu, p, addr), res);
}

CLI_HANDLER(h_flushtlb)
{
    unsigned how = VML_TLB_FLUSH_NONGLOBAL;

    if (argc == 1) {
        if (strcmp(argv[0], "all") != 0)
            return cli_error(in, "flushtlb: expected 'all' (global entries too), not '%s'",
                             argv[0]);
        how = VML_TLB_FLUSH_ALL;
    }
    return lib_status(in, vml_tlb_flush(in->m, in->cmd_cpu, how), res);
}

CLI_HANDLER(h_tlb)
{
    unsigned cpu = in->cpu;
    vml_text t = {0};

    if (argc == 1 && arg_cpu(in, argv[0], &cpu))
        return RC_ERROR;
    return emit_view(in, vml_view_tlb(in->m, cpu, in->fmt, &t), &t, res);
}

CLI_HANDLER(h_pagemap)
{
    vml_proc *p;
    uint64_t addr = 0, count = 1;
    vml_text t = {0};

    if (arg_proc(in, argv[0], &p) || arg_num(in, argv[1], "ADDRESS", &addr) ||
        (argc == 3 && arg_count(in, argv[2], "COUNT", &count)))
        return RC_ERROR;
    if (count < 1 || count > 65536)
        return cli_error(in, "COUNT must be 1 to 65536, not %llu", (unsigned long long)count);
    return emit_view(in, vml_view_pagemap(p, addr, count, in->fmt, &t), &t, res);
}

/* ------------------------------------------------------------------ */
/* Views                                                               */

/* A view of one address of a process: PROCESS ADDRESS. */
static enum rc addr_view(struct interp *in, char **argv, struct result *res,
                         vml_status (*view)(vml_proc *, vml_va, unsigned, vml_text *))
{
    vml_proc *p;
    uint64_t addr = 0;
    vml_text t = {0};

    if (arg_proc(in, argv[0], &p) || arg_num(in, argv[1], "ADDRESS", &addr))
        return RC_ERROR;
    return emit_view(in, view(p, addr, in->fmt, &t), &t, res);
}

CLI_HANDLER(h_view_pte)
{
    (void)argc;
    return addr_view(in, argv, res, vml_view_pte);
}

CLI_HANDLER(h_query)
{
    (void)argc;
    return addr_view(in, argv, res, vml_view_query);
}

CLI_HANDLER(h_view_vad)
{
    (void)argc;
    return proc_view(in, argv[0], res, vml_view_vad);
}

CLI_HANDLER(h_maps)
{
    (void)argc;
    return proc_view(in, argv[0], res, vml_view_maps);
}

CLI_HANDLER(h_status)
{
    (void)argc;
    return proc_view(in, argv[0], res, vml_view_status);
}

CLI_HANDLER(h_memusage)
{
    (void)argc;
    (void)argv;
    return machine_view(in, res, vml_view_memusage);
}

CLI_HANDLER(h_taskmgr)
{
    (void)argc;
    (void)argv;
    return machine_view(in, res, vml_view_taskmgr);
}

/* PROCESS | system | cpuN */
static enum rc arg_scope(struct interp *in, const char *w, vml_scope *scope, unsigned *id)
{
    vml_proc *p;

    if (strcmp(w, "system") == 0) {
        *scope = VML_SCOPE_SYSTEM;
        *id = 0;
        return RC_OK;
    }
    if (is_scope_word(w)) {
        *scope = VML_SCOPE_CPU;
        return arg_cpu(in, w + 3, id);
    }
    if (arg_proc(in, w, &p))
        return RC_ERROR;
    *scope = VML_SCOPE_PROC;
    *id = vml_proc_pid(p);
    return RC_OK;
}

CLI_HANDLER(h_stats)
{
    vml_scope scope;
    unsigned id = 0;
    vml_text t = {0};

    (void)argc;
    if (arg_scope(in, argv[0], &scope, &id))
        return RC_ERROR;
    return emit_view(in, vml_view_stats(in->m, scope, id, in->fmt, &t), &t, res);
}

CLI_HANDLER(h_stat)
{
    static const char *const scope_names[] = { "the system", "a process", "a CPU" };
    vml_scope scope;
    unsigned id = 0;
    uint64_t v = 0;
    vml_status st;

    (void)argc;
    if (arg_scope(in, argv[0], &scope, &id))
        return RC_ERROR;
    st = vml_stat_get(in->m, scope, id, argv[1], &v);
    if (st == VML_E_NOT_FOUND)
        return cli_error(in, "unknown counter '%s' for %s (vmlab help stat lists them)",
                         argv[1], scope_names[scope]);
    if (st != VML_OK)
        return lib_status(in, st, res);
    value_set_num(&res->val, v);
    snprintf(res->note, sizeof res->note, "%llu", (unsigned long long)v);
    return RC_OK;
}

/* ------------------------------------------------------------------ */
/* Physical memory                                                     */

CLI_HANDLER(h_view_pfn)
{
    uint64_t pfn = 0;
    vml_text t = {0};

    (void)argc;
    if (arg_count(in, argv[0], "PFN", &pfn))
        return RC_ERROR;
    return emit_view(in, vml_view_pfn(in->m, pfn, in->fmt, &t), &t, res);
}

CLI_HANDLER(h_markbad)
{
    uint64_t pfn = 0;

    (void)argc;
    if (arg_count(in, argv[0], "PFN", &pfn))
        return RC_ERROR;
    return lib_status(in, vml_pfn_mark_bad(in->m, pfn), res);
}

CLI_HANDLER(h_zeropages)
{
    uint64_t max = 0, n = 0;

    if (argc == 1 && arg_count(in, argv[0], "N", &max))
        return RC_ERROR;
    n = vml_zero_pages(in->m, max);
    value_set_num(&res->val, n);
    snprintf(res->note, sizeof res->note, "%llu", (unsigned long long)n);
    return RC_OK;
}

CLI_HANDLER(h_db)
{
    unsigned char buf[4096];
    uint64_t pa = 0, count = 64, i = 0, j = 0;
    vml_status st;

    if (arg_num(in, argv[0], "PHYSADDR", &pa) ||
        (argc == 2 && arg_count(in, argv[1], "COUNT", &count)))
        return RC_ERROR;
    if (count < 1 || count > sizeof buf)
        return cli_error(in, "COUNT must be 1 to 4096, not %llu", (unsigned long long)count);
    st = vml_phys_read(in->m, pa, buf, (size_t)count);
    if (st != VML_OK || in->quiet > 0)
        return lib_status(in, st, res);
    if (in->fmt == VML_FMT_JSON) {
        fprintf(in->out, "{\"view\":\"db\",\"pa\":\"0x%llx\",\"bytes\":\"",
                (unsigned long long)pa);
        for (i = 0; i < count; i++)
            fprintf(in->out, "%02x", buf[i]);
        fprintf(in->out, "\"}\n");
        return RC_OK;
    }
    for (i = 0; i < count; i += 16) {
        fprintf(in->out, "  0x%010llx ", (unsigned long long)(pa + i));
        for (j = i; j < i + 16; j++) {
            if (j < count)
                fprintf(in->out, "%s%02x", j == i + 8 ? "-" : " ", buf[j]);
            else
                fprintf(in->out, "   ");
        }
        fprintf(in->out, "  ");
        for (j = i; j < i + 16 && j < count; j++)
            fputc(buf[j] >= 0x20 && buf[j] < 0x7f ? buf[j] : '.', in->out);
        fputc('\n', in->out);
    }
    return RC_OK;
}
