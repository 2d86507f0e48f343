/*
** test_view.c -- the views: each one rendered from a real machine (created,
** allocated and touched through the public API) in text and JSON; the
** text checked against the real tools' formats, the JSON checked to be
** valid by a small parser below.
*/
#include "testutil.h"
#include "view/view.h"   /* the JSON writer, tested directly */

/* ---- a minimal JSON validity checker (RFC 8259 grammar) -------------- */

struct jp {
    const char *s;
    int depth;
};

static void jp_ws(struct jp *p)
{
    while (*p->s == ' ' || *p->s == '\t' || *p->s == '\n' || *p->s == '\r')
        p->s++;
}

static int jp_value(struct jp *p);

static int jp_string(struct jp *p)
{
    if (*p->s != '"')
        return 0;
    p->s++;
    for (;;) {
        unsigned char c = (unsigned char)*p->s;

        if (c == '\0' || c < 0x20)
            return 0;
        if (c == '"') {
            p->s++;
            return 1;
        }
        if (c == '\\') {
            p->s++;
            if (strchr("\"\\/bfnrt", *p->s) && *p->s) {
                p->s++;
            } else if (*p->s == 'u') {
                int i;
                p->s++;
                for (i = 0; i < 4; i++, p->s++)
                    if (!strchr("0123456789abcdefABCDEF", *p->s) || !*p->s)
                        return 0;
            } else {
                return 0;
            }
            continue;
        }
        p->s++;
    }
}

static int jp_digits(struct jp *p)
{
    const char *start = p->s;

    while (*p->s >= '0' && *p->s <= '9')
        p->s++;
    return p->s > start;
}

static int jp_number(struct jp *p)
{
    if (*p->s == '-')
        p->s++;
    if (*p->s == '0')
        p->s++;
    else if (!jp_digits(p))
        return 0;
    if (*p->s == '.') {
        p->s++;
        if (!jp_digits(p))
            return 0;
    }
    if (*p->s == 'e' || *p->s == 'E') {
        p->s++;
        if (*p->s == '+' || *p->s == '-')
            p->s++;
        if (!jp_digits(p))
            return 0;
    }
    return 1;
}

static int jp_container(struct jp *p, char close)
{
    p->s++;
    if (++p->depth > 64)
        return 0;
    jp_ws(p);
    if (*p->s == close) {
        p->s++;
        p->depth--;
        return 1;
    }
    for (;;) {
        jp_ws(p);
        if (close == '}') {
            if (!jp_string(p))
                return 0;
            jp_ws(p);
            if (*p->s++ != ':')
                return 0;
            jp_ws(p);
        }
        if (!jp_value(p))
            return 0;
        jp_ws(p);
        if (*p->s == ',') {
            p->s++;
            continue;
        }
        if (*p->s == close) {
            p->s++;
            p->depth--;
            return 1;
        }
        return 0;
    }
}

static int jp_value(struct jp *p)
{
    switch (*p->s) {
    case '{': return jp_container(p, '}');
    case '[': return jp_container(p, ']');
    case '"': return jp_string(p);
    case 't': if (strncmp(p->s, "true", 4)) return 0; p->s += 4; return 1;
    case 'f': if (strncmp(p->s, "false", 5)) return 0; p->s += 5; return 1;
    case 'n': if (strncmp(p->s, "null", 4)) return 0; p->s += 4; return 1;
    default:  return jp_number(p);
    }
}

/* A view's JSON: exactly one object, then "\n", then nothing. */
static void assert_json_view(const vml_text *t)
{
    struct jp p;

    assert_non_null(t->s);
    assert_false(t->oom);
    p.s = t->s;
    p.depth = 0;
    if (*p.s != '{' || !jp_value(&p))
        fail_msg("invalid JSON near offset %ld: %s", (long)(p.s - t->s), t->s);
    assert_string_equal(p.s, "\n");
}

/* ---- fixture: a machine, process A, two pages committed, one written -- */

struct fx {
    vml_machine *m;
    vml_proc    *a;
    vml_va       p;        /* 2 pages MEM_COMMIT PAGE_READWRITE */
};

static int fx_setup(void **state)
{
    struct fx *f = calloc(1, sizeof *f);
    vml_config cfg;
    uint32_t v = 0x12345678;

    if (f == NULL)
        return -1;
    vml_config_default(&cfg);
    cfg.ram_bytes = 16u << 20;
    if (vml_machine_create(&cfg, &f->m) != VML_OK ||
        vml_proc_create(f->m, "A", &f->a) != VML_OK ||
        vml_win_VirtualAlloc(f->a, 0, 0x2000, VML_MEM_RESERVE | VML_MEM_COMMIT,
                             VML_PAGE_READWRITE, &f->p) != 0 ||
        vml_mem_write(f->a, 0, f->p, &v, sizeof v, NULL) != VML_OK)
        return -1;
    *state = f;
    return 0;
}

static int fx_teardown(void **state)
{
    struct fx *f = *state;

    vml_machine_destroy(f->m);
    free(f);
    return 0;
}

/* The line of t that contains needle, copied into line (without "\n"). */
static int find_line(const vml_text *t, const char *needle, char *line, size_t size)
{
    const char *hit = t->s ? strstr(t->s, needle) : NULL;
    const char *b, *e;

    if (hit == NULL)
        return 0;
    for (b = hit; b > t->s && b[-1] != '\n'; b--)
        ;
    e = strchr(hit, '\n');
    if (e == NULL)
        e = hit + strlen(hit);
    if ((size_t)(e - b) >= size)
        return 0;
    memcpy(line, b, (size_t)(e - b));
    line[e - b] = '\0';
    return 1;
}

static vml_pfn pfn_of(vml_proc *p, vml_va va)
{
    vml_walk w;

    assert_int_equal(vml_walk_va(p, va, &w), VML_OK);
    assert_true(w.present);
    return w.pa >> VML_PAGE_SHIFT;
}

/* ---- vml_text -------------------------------------------------------- */

static void text_printf_grows_and_stays_nul_terminated(void **state)
{
    vml_text t = {0};
    int i;

    (void)state;
    for (i = 0; i < 1000; i++)
        vml_text_printf(&t, "%04d,", i);
    assert_int_equal(t.len, 5000);
    assert_int_equal(strlen(t.s), 5000);
    assert_memory_equal(t.s, "0000,0001,", 10);
    assert_string_equal(t.s + 4995, "0999,");
    assert_false(t.oom);
    vml_text_free(&t);
    assert_null(t.s);
    assert_int_equal(t.len, 0);
    assert_int_equal(t.cap, 0);
}

static void text_after_oom_appends_nothing_more(void **state)
{
    vml_text t = {0};

    (void)state;
    vml_text_printf(&t, "kept");
    t.oom = 1;                       /* as if an allocation had failed */
    vml_text_printf(&t, "lost");
    assert_string_equal(t.s, "kept");
    vml_text_free(&t);
    assert_false(t.oom);
    vml_text_printf(NULL, "no crash");
}

/* ---- argument checks ------------------------------------------------- */

static void views_reject_bad_format_and_null_arguments(void **state)
{
    struct fx *f = *state;
    vml_text t = {0};

    assert_int_equal(vml_view_vad(f->a, 7, &t), VML_E_INVALID);
    assert_int_equal(vml_view_vad(NULL, VML_FMT_TEXT, &t), VML_E_INVALID);
    assert_int_equal(vml_view_vad(f->a, VML_FMT_TEXT, NULL), VML_E_INVALID);
    assert_int_equal(vml_view_pte(NULL, f->p, VML_FMT_TEXT, &t), VML_E_INVALID);
    assert_int_equal(vml_view_vtop(f->a, f->p, 2, &t), VML_E_INVALID);
    assert_int_equal(vml_view_pfn(NULL, 0, VML_FMT_TEXT, &t), VML_E_INVALID);
    assert_int_equal(vml_view_memusage(f->m, 9, &t), VML_E_INVALID);
    assert_int_equal(vml_view_maps(f->a, 2, &t), VML_E_INVALID);
    assert_int_equal(vml_view_status(NULL, VML_FMT_JSON, &t), VML_E_INVALID);
    assert_int_equal(vml_view_taskmgr(NULL, VML_FMT_TEXT, &t), VML_E_INVALID);
    assert_int_equal(vml_view_tlb(f->m, 0, 3, &t), VML_E_INVALID);
    assert_int_equal(vml_view_pagemap(f->a, f->p, 0, VML_FMT_TEXT, &t), VML_E_INVALID);
    assert_int_equal(vml_view_query(f->a, f->p, 5, &t), VML_E_INVALID);
    assert_int_equal(vml_view_stats(f->m, VML_SCOPE_SYSTEM, 0, 4, &t), VML_E_INVALID);
    assert_null(t.s);                /* nothing appended by a failed view */
}

static void views_reject_out_of_range_objects(void **state)
{
    struct fx *f = *state;
    vml_text t = {0};

    assert_int_equal(vml_view_pfn(f->m, vml_pfn_total(f->m), VML_FMT_TEXT, &t), VML_E_RANGE);
    assert_int_equal(vml_view_tlb(f->m, vml_cpu_count(f->m), VML_FMT_TEXT, &t), VML_E_RANGE);
    assert_int_equal(vml_view_stats(f->m, VML_SCOPE_PROC, 4242, VML_FMT_TEXT, &t),
                     VML_E_NOT_FOUND);
    assert_int_equal(vml_view_stats(f->m, VML_SCOPE_CPU, 99, VML_FMT_TEXT, &t), VML_E_RANGE);
    assert_null(t.s);
}

/* ---- !vad ------------------------------------------------------------ */

static void vad_view_shows_windbg_header_row_and_totals(void **state)
{
    struct fx *f = *state;
    vml_text t = {0};
    char line[256], vpn[32], node[32], type[16], prot[32];
    unsigned level, commit;
    char start[32], end[32];

    assert_int_equal(vml_view_vad(f->a, VML_FMT_TEXT, &t), VML_OK);
    assert_memory_equal(t.s, "VAD           Level     Start       End Commit\n", 47);
    snprintf(vpn, sizeof vpn, " %llx ", (unsigned long long)(f->p >> 12));
    assert_true(find_line(&t, vpn, line, sizeof line));
    assert_int_equal(sscanf(line, "%31s %u %31s %31s %u %15s %31s", node, &level, start, end,
                            &commit, type, prot), 7);
    assert_int_equal(strlen(node), 16);
    assert_memory_equal(node, "ffffe", 5);
    assert_int_equal(strtoull(start, NULL, 16), f->p >> 12);
    assert_int_equal(strtoull(end, NULL, 16), (f->p >> 12) + 1);
    assert_int_equal(commit, 2);
    assert_string_equal(type, "Private");
    assert_string_equal(prot, "READWRITE");
    /* the columns line up under the header */
    assert_int_equal(strstr(line, start) + strlen(start) - line, 29);
    assert_non_null(strstr(t.s, "\nTotal VADs: 1, average level: 1, maximum depth: 0\n"));
    assert_non_null(strstr(t.s, "Total private commit: 0x2 pages (8 KB)\n"));
    vml_text_free(&t);

    assert_int_equal(vml_view_vad(f->a, VML_FMT_JSON, &t), VML_OK);
    assert_json_view(&t);
    assert_non_null(strstr(t.s, "\"type\":\"Private\""));
    assert_non_null(strstr(t.s, "\"commit\":2"));
    vml_text_free(&t);
}

/* ---- !pte and vtop --------------------------------------------------- */

static void pte_view_decodes_every_level_with_windbg_letters(void **state)
{
    struct fx *f = *state;
    vml_text t = {0};
    char want[64];
    vml_pfn pfn = pfn_of(f->a, f->p);

    assert_int_equal(vml_view_pte(f->a, f->p, VML_FMT_TEXT, &t), VML_OK);
    snprintf(want, sizeof want, "VA %016llx\n", (unsigned long long)f->p);
    assert_non_null(strstr(t.s, want));
    assert_non_null(strstr(t.s, "PXE at "));
    assert_non_null(strstr(t.s, "    PPE at "));
    assert_non_null(strstr(t.s, "    PDE at "));
    assert_non_null(strstr(t.s, "    PTE at "));
    /* the written page: dirty, accessed, user, writable, NX, valid */
    snprintf(want, sizeof want, "pfn %-10llx---DA--UW-V\n", (unsigned long long)pfn);
    assert_non_null(strstr(t.s, want));
    /* the upper levels are user, writable, executable tables */
    assert_non_null(strstr(t.s, "--UWEV  pfn"));
    vml_text_free(&t);

    assert_int_equal(vml_view_pte(f->a, f->p, VML_FMT_JSON, &t), VML_OK);
    assert_json_view(&t);
    assert_non_null(strstr(t.s, "\"name\":\"PXE\""));
    assert_non_null(strstr(t.s, "\"flags\":\"---DA--UW-V\""));
    vml_text_free(&t);
}

static void pte_view_of_untouched_committed_page_is_not_valid(void **state)
{
    struct fx *f = *state;
    vml_text t = {0};
    vml_va second = f->p + VML_PAGE_SIZE;

    assert_int_equal(vml_view_pte(f->a, second, VML_FMT_TEXT, &t), VML_OK);
    assert_non_null(strstr(t.s, "not valid\n"));
    /* committed: either a demand-zero PTE or a zero PTE the VAD explains */
    assert_non_null(strstr(t.s, "Protect: 4 - ReadWrite\n"));
    vml_text_free(&t);
    assert_int_equal(vml_view_pte(f->a, second, VML_FMT_JSON, &t), VML_OK);
    assert_json_view(&t);
    assert_non_null(strstr(t.s, "\"present\":false"));
    vml_text_free(&t);
}

static void vtop_view_ends_with_the_translation(void **state)
{
    struct fx *f = *state;
    vml_text t = {0};
    vml_walk w;
    char want[128];

    assert_int_equal(vml_walk_va(f->a, f->p + 0x10, &w), VML_OK);
    assert_int_equal(vml_view_vtop(f->a, f->p + 0x10, VML_FMT_TEXT, &t), VML_OK);
    snprintf(want, sizeof want, "Amd64VtoP: Virt %016llx, pagedir %016llx\n",
             (unsigned long long)(f->p + 0x10), (unsigned long long)w.cr3);
    assert_memory_equal(t.s, want, strlen(want));
    assert_non_null(strstr(t.s, "Amd64VtoP: PML4E "));
    assert_non_null(strstr(t.s, "Amd64VtoP: PTE   "));
    snprintf(want, sizeof want, "Virtual address %llx translates to physical address %llx.\n",
             (unsigned long long)(f->p + 0x10), (unsigned long long)w.pa);
    assert_non_null(strstr(t.s, want));
    vml_text_free(&t);

    /* an address nobody mapped: the walk stops at a zero entry */
    assert_int_equal(vml_view_vtop(f->a, 0x7ff000000000ull, VML_FMT_TEXT, &t), VML_OK);
    assert_non_null(strstr(t.s, "Amd64VtoP: zero "));
    assert_non_null(strstr(t.s, "translation fails, error 0xD0000147.\n"));
    vml_text_free(&t);

    assert_int_equal(vml_view_vtop(f->a, f->p, VML_FMT_JSON, &t), VML_OK);
    assert_json_view(&t);
    vml_text_free(&t);
}

/* ---- !pfn and !memusage ---------------------------------------------- */

static void pfn_view_shows_an_active_page_and_its_pte(void **state)
{
    struct fx *f = *state;
    vml_text t = {0};
    vml_pfn pfn = pfn_of(f->a, f->p);
    vml_pfn_info fi;
    char want[128];

    assert_int_equal(vml_pfn_get(f->m, pfn, &fi), VML_OK);
    assert_int_equal(vml_view_pfn(f->m, pfn, VML_FMT_TEXT, &t), VML_OK);
    snprintf(want, sizeof want, "    PFN %08llX at address FFFFFA80", (unsigned long long)pfn);
    assert_memory_equal(t.s, want, strlen(want));
    snprintf(want, sizeof want, "pteaddress %016llX\n", (unsigned long long)fi.pte_pa);
    assert_non_null(strstr(t.s, want));
    snprintf(want, sizeof want, "containing page %06llX  Active",
             (unsigned long long)(fi.pte_pa >> 12));
    assert_non_null(strstr(t.s, want));
    assert_non_null(strstr(t.s, "blink / share count 00000001"));
    vml_text_free(&t);

    assert_int_equal(vml_view_pfn(f->m, pfn, VML_FMT_JSON, &t), VML_OK);
    assert_json_view(&t);
    assert_non_null(strstr(t.s, "\"list\":\"Active\""));
    vml_text_free(&t);
}

static void memusage_view_counts_match_the_page_lists(void **state)
{
    struct fx *f = *state;
    vml_text t = {0};
    char want[96];

    assert_int_equal(vml_view_memusage(f->m, VML_FMT_TEXT, &t), VML_OK);
    snprintf(want, sizeof want, "             Zeroed: %8llu (%8llu kb)\n",
             (unsigned long long)vml_list_count(f->m, VML_LIST_ZEROED),
             (unsigned long long)vml_list_count(f->m, VML_LIST_ZEROED) * 4);
    assert_non_null(strstr(t.s, want));
    snprintf(want, sizeof want, "       Active/Valid: %8llu (",
             (unsigned long long)vml_list_count(f->m, VML_LIST_ACTIVE));
    assert_non_null(strstr(t.s, want));
    snprintf(want, sizeof want, "              TOTAL: %8llu (%8llu kb)\n",
             (unsigned long long)vml_pfn_total(f->m),
             (unsigned long long)vml_pfn_total(f->m) * 4);
    assert_non_null(strstr(t.s, want));
    assert_non_null(strstr(t.s, "            Unknown:        0 (       0 kb)\n"));
    assert_non_null(strstr(t.s, "         PageTables: "));
    vml_text_free(&t);

    assert_int_equal(vml_view_memusage(f->m, VML_FMT_JSON, &t), VML_OK);
    assert_json_view(&t);
    vml_text_free(&t);
}

/* ---- Linux views ----------------------------------------------------- */

static void maps_view_prints_proc_pid_maps_lines_exactly(void **state)
{
    struct fx *f = *state;
    vml_text t = {0};
    char want[128];
    vml_va q;

    snprintf(want, sizeof want, "%08llx-%08llx rw-p 00000000 00:00 0 \n",
             (unsigned long long)f->p, (unsigned long long)(f->p + 0x2000));
    assert_int_equal(vml_view_maps(f->a, VML_FMT_TEXT, &t), VML_OK);
    assert_non_null(strstr(t.s, want));
    vml_text_free(&t);

    /* an mmap'd read-only region shows up with its own permissions */
    assert_int_equal(vml_posix_mmap(f->a, 0, 0x3000, VML_PROT_READ,
                                    VML_MAP_PRIVATE | VML_MAP_ANONYMOUS, -1, 0, &q), 0);
    snprintf(want, sizeof want, "%08llx-%08llx r--p 00000000 00:00 0 \n",
             (unsigned long long)q, (unsigned long long)(q + 0x3000));
    assert_int_equal(vml_view_maps(f->a, VML_FMT_TEXT, &t), VML_OK);
    assert_non_null(strstr(t.s, want));
    vml_text_free(&t);

    assert_int_equal(vml_view_maps(f->a, VML_FMT_JSON, &t), VML_OK);
    assert_json_view(&t);
    assert_non_null(strstr(t.s, "\"perms\":\"r--p\""));
    vml_text_free(&t);
}

static void maps_view_pads_names_to_column_73(void **state)
{
    struct fx *f = *state;
    vml_text t = {0};
    vml_va q;
    char want[64];
    char line[256];

    /* MAP_SHARED anonymous memory is a shmem file named /dev/zero (deleted) */
    if (vml_posix_mmap(f->a, 0, 0x1000, VML_PROT_READ | VML_PROT_WRITE,
                       VML_MAP_SHARED | VML_MAP_ANONYMOUS, -1, 0, &q) != 0)
        skip();
    snprintf(want, sizeof want, "%08llx-", (unsigned long long)q);
    assert_int_equal(vml_view_maps(f->a, VML_FMT_TEXT, &t), VML_OK);
    assert_true(find_line(&t, want, line, sizeof line));
    assert_int_equal(strlen(line), 73 + strlen("/dev/zero (deleted)"));
    assert_string_equal(line + 73, "/dev/zero (deleted)");
    assert_int_equal(line[72], ' ');
    assert_non_null(strstr(line, " rw-s 00000000 00:01 "));
    vml_text_free(&t);
}

static void status_view_prints_task_mem_lines(void **state)
{
    struct fx *f = *state;
    vml_text t = {0};
    char want[64];
    uint64_t vs = 0, ws = 0;
    unsigned pid = vml_proc_pid(f->a);

    assert_int_equal(vml_view_status(f->a, VML_FMT_TEXT, &t), VML_OK);
    assert_memory_equal(t.s, "Name:\tA\n", 8);
    if (vml_stat_get(f->m, VML_SCOPE_PROC, pid, "virtual_size", &vs) == VML_OK) {
        snprintf(want, sizeof want, "\nVmSize:\t%8llu kB\n", (unsigned long long)(vs >> 10));
        assert_non_null(strstr(t.s, want));
    }
    if (vml_stat_get(f->m, VML_SCOPE_PROC, pid, "working_set", &ws) == VML_OK) {
        snprintf(want, sizeof want, "\nVmRSS:\t%8llu kB\n", (unsigned long long)(ws >> 10));
        assert_non_null(strstr(t.s, want));
    }
    /* the only writable private memory is the 8 KiB allocation */
    assert_non_null(strstr(t.s, "\nVmData:\t       8 kB\n"));
    assert_non_null(strstr(t.s, "\nVmStk:\t       0 kB\n"));
    assert_non_null(strstr(t.s, "\nVmSwap:\t"));
    vml_text_free(&t);

    assert_int_equal(vml_view_status(f->a, VML_FMT_JSON, &t), VML_OK);
    assert_json_view(&t);
    assert_non_null(strstr(t.s, "\"vm_data_kb\":8"));
    vml_text_free(&t);
}

/* Bit layout of Documentation/admin-guide/mm/pagemap.rst. */
static uint64_t pagemap_entry(const vml_text *t, vml_va va)
{
    char key[32], line[256];

    snprintf(key, sizeof key, "%016llx  ", (unsigned long long)va);
    if (!find_line(t, key, line, sizeof line))
        fail_msg("no pagemap line for %s", key);
    return strtoull(line + 18, NULL, 16);
}

static void pagemap_view_encodes_present_and_absent_pages(void **state)
{
    struct fx *f = *state;
    vml_text t = {0};
    vml_pfn pfn = pfn_of(f->a, f->p);
    uint64_t e;

    assert_int_equal(vml_view_pagemap(f->a, f->p, 3, VML_FMT_TEXT, &t), VML_OK);
    e = pagemap_entry(&t, f->p);                 /* written: present */
    assert_true(e >> 63 & 1);
    assert_false(e >> 62 & 1);
    assert_true(e >> 56 & 1);                    /* exclusively mapped */
    assert_true(e >> 55 & 1);                    /* VM_SOFTDIRTY */
    assert_false(e >> 61 & 1);                   /* anonymous private */
    assert_int_equal(e & ((1ull << 55) - 1), pfn);
    e = pagemap_entry(&t, f->p + 0x1000);        /* committed, untouched */
    assert_int_equal(e, 1ull << 55);
    e = pagemap_entry(&t, f->p + 0x2000);        /* no VMA */
    assert_int_equal(e, 0);
    vml_text_free(&t);

    assert_int_equal(vml_view_pagemap(f->a, f->p, 3, VML_FMT_JSON, &t), VML_OK);
    assert_json_view(&t);
    vml_text_free(&t);
}

/* ---- Windows views --------------------------------------------------- */

static void query_view_prints_every_mbi_field(void **state)
{
    struct fx *f = *state;
    vml_text t = {0};
    char want[64];

    assert_int_equal(vml_view_query(f->a, f->p + 0x1000, VML_FMT_TEXT, &t), VML_OK);
    snprintf(want, sizeof want, "BaseAddress:       0x%llx\n",
             (unsigned long long)(f->p + 0x1000));
    assert_memory_equal(t.s, want, strlen(want));
    snprintf(want, sizeof want, "AllocationBase:    0x%llx\n", (unsigned long long)f->p);
    assert_non_null(strstr(t.s, want));
    assert_non_null(strstr(t.s, "PartitionId:       0\n"));
    assert_non_null(strstr(t.s, "RegionSize:        0x1000\n"));
    assert_non_null(strstr(t.s, "State:             0x00001000  MEM_COMMIT\n"));
    assert_non_null(strstr(t.s, "Type:              0x00020000  MEM_PRIVATE\n"));
    assert_non_null(strstr(t.s, "Protect:           0x00000004  PAGE_READWRITE\n"));
    vml_text_free(&t);

    assert_int_equal(vml_view_query(f->a, f->p, VML_FMT_JSON, &t), VML_OK);
    assert_json_view(&t);
    assert_non_null(strstr(t.s, "\"state_name\":\"MEM_COMMIT\""));
    vml_text_free(&t);
}

static void taskmgr_view_has_one_row_per_process(void **state)
{
    struct fx *f = *state;
    vml_text t = {0};
    vml_proc *b;
    char want[32];

    assert_int_equal(vml_proc_create(f->m, "second", &b), VML_OK);
    assert_int_equal(vml_view_taskmgr(f->m, VML_FMT_TEXT, &t), VML_OK);
    assert_non_null(strstr(t.s, "Working set (memory)"));
    assert_non_null(strstr(t.s, "Commit size"));
    snprintf(want, sizeof want, "\nA      %7u", vml_proc_pid(f->a));
    assert_non_null(strstr(t.s, want));
    snprintf(want, sizeof want, "\nsecond %7u", vml_proc_pid(b));
    assert_non_null(strstr(t.s, want));
    assert_non_null(strstr(t.s, " K"));
    vml_text_free(&t);

    assert_int_equal(vml_view_taskmgr(f->m, VML_FMT_JSON, &t), VML_OK);
    assert_json_view(&t);
    vml_text_free(&t);
}

/* ---- tlb and stats --------------------------------------------------- */

static void tlb_view_shows_geometry_counters_and_entries(void **state)
{
    struct fx *f = *state;
    vml_text t = {0};
    uint32_t v;
    char want[64];

    assert_int_equal(vml_mem_read(f->a, 0, f->p, &v, sizeof v, NULL), VML_OK);
    assert_int_equal(vml_view_tlb(f->m, 0, VML_FMT_TEXT, &t), VML_OK);
    assert_memory_equal(t.s, "TLB: L1 64 entries, 4-way, 16 sets", 34);
    assert_non_null(strstr(t.s, "cpu 0: hits "));
    if (vml_tlb_entries(f->m, 0, NULL, 0) > 0) {
        snprintf(want, sizeof want, "%016llx", (unsigned long long)f->p);
        assert_non_null(strstr(t.s, want));
    }
    vml_text_free(&t);

    assert_int_equal(vml_view_tlb(f->m, VML_ALL_CPUS, VML_FMT_JSON, &t), VML_OK);
    assert_json_view(&t);
    vml_text_free(&t);
}

static void stats_view_lists_every_counter_of_the_scope(void **state)
{
    struct fx *f = *state;
    vml_text t = {0};
    static const vml_scope scopes[3] = { VML_SCOPE_SYSTEM, VML_SCOPE_PROC, VML_SCOPE_CPU };
    int k;

    for (k = 0; k < 3; k++) {
        unsigned id = scopes[k] == VML_SCOPE_PROC ? vml_proc_pid(f->a) : 0;
        size_t i, n = vml_stat_count(scopes[k]);

        assert_int_equal(vml_view_stats(f->m, scopes[k], id, VML_FMT_TEXT, &t), VML_OK);
        for (i = 0; i < n; i++) {
            const char *name = vml_stat_name(scopes[k], i, NULL);
            uint64_t v = 0;
            char want[128];

            assert_int_equal(vml_stat_get(f->m, scopes[k], id, name, &v), VML_OK);
            snprintf(want, sizeof want, "%13llu %s", (unsigned long long)v, name);
            assert_non_null(strstr(t.s, want));
        }
        vml_text_free(&t);
        assert_int_equal(vml_view_stats(f->m, scopes[k], id, VML_FMT_JSON, &t), VML_OK);
        assert_json_view(&t);
        vml_text_free(&t);
    }
}

/* ---- JSON escaping and other paging modes ---------------------------- */

/* Process names are restricted by the CLI and the library, so the escaper
** is driven directly: quotes, backslashes, control characters, valid
** UTF-8 kept, invalid bytes replaced by U+FFFD (JSON must stay valid). */
static void json_escaper_keeps_output_valid_for_any_bytes(void **state)
{
    vml_text t = {0};
    struct jw j;

    (void)state;
    jw_begin(&j, &t);
    jw_str(&j, "name", "q\"uo\\te\t\x01\xff\xc3\xa9\xed\xa0\x80");
    jw_arr(&j, "list");
    jw_u64(&j, NULL, 1);
    jw_hex(&j, NULL, 0x1a7);
    jw_obj(&j, NULL);
    jw_bool(&j, "ok", 1);
    jw_null(&j, "none");
    jw_obj_end(&j);
    jw_arr_end(&j);
    jw_i64(&j, "neg", -5);
    jw_finish(&j);
    assert_json_view(&t);
    assert_string_equal(t.s, "{\"name\":\"q\\\"uo\\\\te\\t\\u0001\\ufffd\xc3\xa9\\ufffd\\ufffd\\ufffd\","
                             "\"list\":[1,\"0x1a7\",{\"ok\":true,\"none\":null}],\"neg\":-5}\n");
    vml_text_free(&t);
}

/* Renders every view of a machine in mode `mode` and checks the JSON. */
static void every_view_in_mode(vml_paging mode, const char *pte_col, const char *maps_fmt,
                               size_t name_col)
{
    vml_machine *m;
    vml_proc *p;
    vml_config cfg;
    vml_text t = {0};
    vml_va va, q;
    uint8_t b = 1;
    unsigned fmt;
    char want[64], line[256];

    vml_config_default(&cfg);
    cfg.ram_bytes = 8u << 20;
    cfg.paging = mode;
    assert_int_equal(vml_machine_create(&cfg, &m), VML_OK);
    assert_int_equal(vml_proc_create(m, "P", &p), VML_OK);
    assert_int_equal(vml_win_VirtualAlloc(p, 0, 0x1000, VML_MEM_RESERVE | VML_MEM_COMMIT,
                                          VML_PAGE_READWRITE, &va), 0);
    assert_int_equal(vml_mem_write(p, 0, va, &b, 1, NULL), VML_OK);

    assert_int_equal(vml_view_pte(p, va, VML_FMT_TEXT, &t), VML_OK);
    assert_non_null(strstr(t.s, pte_col));
    vml_text_free(&t);

    snprintf(want, sizeof want, maps_fmt, (unsigned long long)va,
             (unsigned long long)(va + 0x1000));
    assert_int_equal(vml_view_maps(p, VML_FMT_TEXT, &t), VML_OK);
    assert_non_null(strstr(t.s, want));
    vml_text_free(&t);
    if (vml_posix_mmap(p, 0, 0x1000, VML_PROT_READ | VML_PROT_WRITE,
                       VML_MAP_SHARED | VML_MAP_ANONYMOUS, -1, 0, &q) == 0) {
        snprintf(want, sizeof want, "%08llx-", (unsigned long long)q);
        assert_int_equal(vml_view_maps(p, VML_FMT_TEXT, &t), VML_OK);
        assert_true(find_line(&t, want, line, sizeof line));
        assert_string_equal(line + name_col, "/dev/zero (deleted)");
        vml_text_free(&t);
    }

    for (fmt = VML_FMT_TEXT; fmt <= VML_FMT_JSON; fmt++) {
        assert_int_equal(vml_view_vad(p, fmt, &t), VML_OK);
        assert_int_equal(vml_view_pte(p, va, fmt, &t), VML_OK);
        assert_int_equal(vml_view_vtop(p, va, fmt, &t), VML_OK);
        assert_int_equal(vml_view_pfn(m, pfn_of(p, va), fmt, &t), VML_OK);
        assert_int_equal(vml_view_memusage(m, fmt, &t), VML_OK);
        assert_int_equal(vml_view_maps(p, fmt, &t), VML_OK);
        assert_int_equal(vml_view_status(p, fmt, &t), VML_OK);
        assert_int_equal(vml_view_taskmgr(m, fmt, &t), VML_OK);
        assert_int_equal(vml_view_tlb(m, 0, fmt, &t), VML_OK);
        assert_int_equal(vml_view_pagemap(p, va, 2, fmt, &t), VML_OK);
        assert_int_equal(vml_view_query(p, va, fmt, &t), VML_OK);
        assert_int_equal(vml_view_stats(m, VML_SCOPE_SYSTEM, 0, fmt, &t), VML_OK);
        assert_false(t.oom);
        if (fmt == VML_FMT_JSON) {   /* twelve JSON lines, each valid */
            char *s = t.s, *nl;
            int n = 0;

            while ((nl = strchr(s, '\n')) != NULL) {
                vml_text one = {0};
                vml_text_printf(&one, "%.*s\n", (int)(nl - s), s);
                assert_json_view(&one);
                vml_text_free(&one);
                s = nl + 1;
                n++;
            }
            assert_int_equal(n, 12);
        }
        vml_text_free(&t);
    }
    vml_machine_destroy(m);
}

static void views_work_in_5level_mode(void **state)
{
    (void)state;
    every_view_in_mode(VML_PAGING_5LEVEL, "PML5E at ", "%08llx-%08llx rw-p 00000000 00:00 0 \n", 73);
}

static void views_work_in_pae_mode(void **state)
{
    (void)state;
    every_view_in_mode(VML_PAGING_PAE, "PDPTE at ", "%08llx-%08llx rw-p 00000000 00:00 0 \n", 49);
}

static void views_work_in_legacy_mode(void **state)
{
    (void)state;
    every_view_in_mode(VML_PAGING_LEGACY, "PDE at ", "%08llx-%08llx rw-p 00000000 00:00 0 \n", 49);
}

static void views_work_in_4level_mode(void **state)
{
    (void)state;
    every_view_in_mode(VML_PAGING_4LEVEL, "PXE at ", "%08llx-%08llx rw-p 00000000 00:00 0 \n", 73);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(text_printf_grows_and_stays_nul_terminated),
        cmocka_unit_test(text_after_oom_appends_nothing_more),
        cmocka_unit_test_setup_teardown(views_reject_bad_format_and_null_arguments, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(views_reject_out_of_range_objects, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(vad_view_shows_windbg_header_row_and_totals, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(pte_view_decodes_every_level_with_windbg_letters, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(pte_view_of_untouched_committed_page_is_not_valid, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(vtop_view_ends_with_the_translation, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(pfn_view_shows_an_active_page_and_its_pte, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(memusage_view_counts_match_the_page_lists, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(maps_view_prints_proc_pid_maps_lines_exactly, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(maps_view_pads_names_to_column_73, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(status_view_prints_task_mem_lines, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(pagemap_view_encodes_present_and_absent_pages, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(query_view_prints_every_mbi_field, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(taskmgr_view_has_one_row_per_process, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(tlb_view_shows_geometry_counters_and_entries, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(stats_view_lists_every_counter_of_the_scope, fx_setup, fx_teardown),
        cmocka_unit_test(json_escaper_keeps_output_valid_for_any_bytes),
        cmocka_unit_test(views_work_in_4level_mode),
        cmocka_unit_test(views_work_in_5level_mode),
        cmocka_unit_test(views_work_in_pae_mode),
        cmocka_unit_test(views_work_in_legacy_mode),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
