/*
** test_images.c -- programs loaded as the real loaders load them
** (src/loader/winload.c, elfload.c), through the public API: the mingw-w64
** test images (tests/images/, built into build/test/images/win64 where
** the EXE finds its DLL) and this machine's /usr/bin/ls with its shared
** objects.  Every relocated pointer equals its target plus the load
** delta; pages without relocations stay shared and clean; relocation
** pages are dropped on trim without a write; clean code comes back from
** the file; imports are resolved or marked; bases follow the seed;
** failures change nothing.
*/
#include <strings.h>
#include <unistd.h>
#include "ld_testutil.h"
#include "loader/elf.h"
#include "testutil.h"

#define WIN64_DIR LD_IMAGES "/win64"
#define LS        "/usr/bin/ls"

static vml_machine *machine_with(uint64_t ram, uint64_t pagefile, uint64_t seed, unsigned flags)
{
    vml_config cfg;
    vml_config_default(&cfg);
    cfg.ram_bytes = ram;
    cfg.pagefile_bytes = pagefile;
    cfg.seed = seed;
    cfg.flags |= flags;
    cfg.files_path = WIN64_DIR;
    return new_machine_cfg(&cfg);
}

static vml_proc *create_process(vml_machine *m, const char *name, const char *path)
{
    vml_proc *p = NULL;
    uint32_t e = vml_win_CreateProcess(m, name, path, 0, &p);
    if (e != 0)
        fail_msg("CreateProcess %s: %u: %s", path, e, vml_last_error(m));
    return p;
}

static vml_va module(vml_proc *p, const char *name)
{
    vml_va base = 0;
    assert_int_equal(0, vml_win_GetModuleHandle(p, name, &base));
    return base;
}

static uint64_t rd(vml_proc *p, vml_va va, unsigned width)
{
    uint8_t b[8] = {0};
    vml_exception ex;
    assert_int_equal(VML_OK, vml_mem_read(p, 0, va, b, width, &ex));
    uint64_t v = 0;
    for (unsigned i = 0; i < width; i++)
        v |= (uint64_t)b[i] << (8 * i);
    return v;
}

/* Every relocation of img at base: the pointer in memory is the file's
** value plus (base - preferred base) (an "add" relocation), or delta +
** addend (a "set" one). */
static void assert_relocated(vml_proc *p, const struct ld_image *img, const struct ld_bytes *f,
                             vml_va base)
{
    uint64_t delta = base - img->preferred_base;
    size_t checked = 0;
    for (size_t i = 0; i < img->n_relocs; i++) {
        const struct ld_reloc *r = &img->relocs[i];
        uint64_t want, got;
        if (r->kind == LD_REL_ADD64 && !(r->flags & LD_RF_LAZY)) {
            uint8_t file[8];
            struct ld_reader rd_;
            ld_reader_mem(&rd_, f->data, f->size);
            assert_int_equal(VML_OK, ld_image_read(img, &rd_, r->rva, file, 8));
            uint64_t v = 0;
            for (int b = 0; b < 8; b++)
                v |= (uint64_t)file[b] << (8 * b);
            want = v + delta;
            got = rd(p, base + r->rva, 8);
        } else if (r->kind == LD_REL_SET64) {
            want = delta + (uint64_t)r->addend;
            got = rd(p, base + r->rva, 8);
        } else {
            continue;
        }
        if (want != got)
            fail_msg("relocation %zu at rva %#x: %#llx, want %#llx", i, r->rva,
                     (unsigned long long)got, (unsigned long long)want);
        checked++;
    }
    assert_true(checked > 0);
}

/* Takes the 64 KiB at va in p (so that an image cannot load there). */
static void reserve_at(vml_proc *p, vml_va va)
{
    vml_va got;
    uint32_t e = vml_win_VirtualAlloc(p, va, 0x10000, VML_MEM_RESERVE, VML_PAGE_READWRITE, &got);
    if (e != 0)
        fail_msg("VirtualAlloc at %#llx: %u: %s", (unsigned long long)va, e,
                 vml_last_error(vml_proc_machine(p)));
}

static int page_has_reloc(const struct ld_image *img, uint64_t rva)
{
    size_t first, n;
    ld_reloc_page_range(img, rva, &first, &n);
    return n != 0;
}

/* ---- Windows ------------------------------------------------------------------------------- */

static void pe_relocated_in_the_section_and_in_the_process(void **state)
{
    (void)state;
    vml_machine *m = machine_with(MB(32), 0, 5, 0);
    vml_proc *a = create_process(m, "A", "peexe.exe");
    vml_va exe = module(a, NULL), dll = module(a, "pedll");
    struct ld_bytes fe, fd;
    struct ld_image *ie = ld_load(WIN64_DIR "/peexe.exe", &fe);
    struct ld_image *id = ld_load(WIN64_DIR "/pedll.dll", &fd);
    /* ASLR: both are away from their preferred bases, relocated by the
    ** memory manager as their pages came in */
    assert_true(exe != ie->preferred_base && dll != id->preferred_base);
    assert_relocated(a, ie, &fe, exe);
    assert_relocated(a, id, &fd, dll);

    /* B cannot use the DLL's base (taken): the loader rebases it there */
    vml_proc *b = new_proc(m, "B");
    reserve_at(b, dll);
    vml_va dll_b;
    assert_int_equal(0, vml_win_LoadLibrary(b, "pedll.dll", &dll_b));
    assert_true(dll_b != dll);
    assert_relocated(b, id, &fd, dll_b);
    /* its relocated pages are B's own copies; the others are A's frames */
    for (uint64_t rva = 0; rva < id->image_size; rva += PAGE) {
        vml_page_info pa, pb;
        uint8_t byte;
        vml_exception ex;
        if (vml_mem_read(b, 0, dll_b + rva, &byte, 1, &ex) != VML_OK)
            continue;                       /* no access: a gap */
        assert_int_equal(VML_OK, vml_mem_read(a, 0, dll + rva, &byte, 1, &ex));
        assert_int_equal(VML_OK, vml_page_query(b, dll_b + rva, &pb));
        assert_int_equal(VML_OK, vml_page_query(a, dll + rva, &pa));
        if (page_has_reloc(id, rva)) {
            assert_false(pb.shared);
            assert_true(pb.pfn != pa.pfn);
        } else if (pa.shared) {
            assert_int_equal(pa.pfn, pb.pfn);      /* one frame, both processes */
        }
    }
    assert_int_equal(VML_OK, vml_machine_check(m));
    ld_image_free(ie);
    ld_image_free(id);
    free(fe.data);
    free(fd.data);
    vml_machine_destroy(m);
}

static void pe_pages_without_relocations_stay_shared_and_clean(void **state)
{
    (void)state;
    vml_machine *m = machine_with(MB(32), 0, 9, 0);
    vml_proc *a = create_process(m, "A", "peexe.exe");
    vml_proc *b = create_process(m, "B", "peexe.exe");
    vml_va exe = module(a, NULL);
    assert_int_equal(exe, module(b, NULL));       /* the per-boot base, in both */
    struct ld_bytes fe;
    struct ld_image *ie = ld_load(WIN64_DIR "/peexe.exe", &fe);
    unsigned shared = 0;
    for (uint64_t rva = 0; rva < ie->image_size; rva += PAGE) {
        uint8_t byte;
        vml_exception ex;
        vml_page_info pa, pb;
        if (vml_mem_read(a, 0, exe + rva, &byte, 1, &ex) != VML_OK)
            continue;
        assert_int_equal(VML_OK, vml_mem_read(b, 0, exe + rva, &byte, 1, &ex));
        assert_int_equal(VML_OK, vml_page_query(a, exe + rva, &pa));
        assert_int_equal(VML_OK, vml_page_query(b, exe + rva, &pb));
        if (!pa.shared)
            continue;                               /* the IAT: written by the loader */
        assert_int_equal(pa.pfn, pb.pfn);
        assert_int_equal(2, pa.share_count);
        if (!page_has_reloc(ie, rva))
            assert_false(pa.dirty);
        shared++;
    }
    assert_true(shared >= 5);
    ld_image_free(ie);
    free(fe.data);
    vml_machine_destroy(m);
}

/* The loader reads .reloc to rebase in the process; those pages are clean
** image pages: trimmed, they go to standby and are never written. */
static void pe_reloc_pages_are_dropped_without_a_write(void **state)
{
    (void)state;
    vml_machine *m = machine_with(MB(32), MB(16), 3, 0);
    vml_proc *a = create_process(m, "A", "peexe.exe");
    vml_proc *b = new_proc(m, "B");
    vml_va dll = module(a, "pedll"), dll_b;
    reserve_at(b, dll);
    assert_int_equal(0, vml_win_LoadLibrary(b, "pedll.dll", &dll_b));
    vml_image_header h;
    assert_int_equal(VML_OK, vml_module_header(b, dll_b, &h));
    vml_va reloc = dll_b + h.dirs[5].rva;
    vml_page_info pg;
    assert_int_equal(VML_OK, vml_page_query(b, reloc, &pg));
    assert_true(pg.mapped);                         /* the loader read it */
    assert_false(pg.dirty);
    vml_pfn pfn = pg.pfn;
    empty_working_set(a);
    empty_working_set(b);
    uint64_t writes = sys_stat(m, "pagefile_writes");
    assert_int_equal(VML_OK, vml_tick(m, 1));
    assert_int_equal(VML_LIST_STANDBY, list_of(m, pfn));
    /* what was written: only pages that differ from the file (the B's
    ** copies and the section's relocated pages), never .reloc */
    assert_int_equal(VML_OK, vml_page_query(b, reloc, &pg));
    assert_false(pg.swapped);
    assert_true(sys_stat(m, "pagefile_writes") >= writes);
    assert_int_equal(0, sys_stat(m, "file_writes"));
    vml_machine_destroy(m);
}

/* Clean code pages leave memory under pressure and come back from the
** image file (image faults, no pagefile read). */
static void pe_clean_code_comes_back_from_the_file(void **state)
{
    (void)state;
    vml_machine *m = machine_with(MB(4), 0, 3, VML_CFG_NO_ASLR);
    vml_proc *a = create_process(m, "A", "peexe.exe");
    vml_va exe = module(a, NULL);
    vml_image_section s;
    vml_va text = 0;
    uint64_t text_size = 0;
    for (size_t i = 0; vml_module_section(a, exe, i, &s) == VML_OK; i++)
        if (strcmp(s.name, ".text") == 0) {
            text = exe + s.virtual_address;
            text_size = s.virtual_size;
        }
    assert_true(text_size > 0);
    uint64_t pages = (text_size + PAGE - 1) / PAGE;
    for (uint64_t k = 0; k < pages; k++)
        read_byte(a, text + k * PAGE);
    /* A's pages leave its working set (clean ones to standby); another
    ** process takes frames until the standby list is empty: the code's
    ** frames went to it */
    empty_working_set(a);
    vml_proc *hog = new_proc(m, "HOG");
    vml_va big;
    assert_int_equal(0, vml_posix_mmap(hog, 0, MB(4), VML_PROT_READ | VML_PROT_WRITE,
                                       VML_MAP_PRIVATE | VML_MAP_ANONYMOUS | VML_MAP_NORESERVE,
                                       -1, 0, &big));
    uint64_t off = 0;
    for (; sys_stat(m, "standby_pages") > 0; off += PAGE)
        write_byte(hog, big + off, 1);
    assert_int_equal(0, vml_posix_munmap(hog, big, off));   /* room again */
    uint64_t faults = proc_stat(a, "image_faults");
    uint64_t pf_reads = sys_stat(m, "pagefile_reads");
    for (uint64_t k = 0; k < pages; k++)
        read_byte(a, text + k * PAGE);
    assert_int_equal(faults + pages, proc_stat(a, "image_faults"));
    assert_int_equal(pf_reads, sys_stat(m, "pagefile_reads"));
    assert_int_equal(VML_OK, vml_machine_check(m));
    vml_machine_destroy(m);
}

static void pe_imports_resolved_or_marked(void **state)
{
    (void)state;
    vml_machine *m = machine_with(MB(32), 0, 1, 0);
    vml_proc *a = create_process(m, "A", "peexe.exe");
    vml_va exe = module(a, NULL), dll = module(a, "pedll");
    struct ld_bytes fe;
    struct ld_image *ie = ld_load(WIN64_DIR "/peexe.exe", &fe);
    size_t resolved = 0, marked = 0;
    for (size_t k = 0; k < ie->n_imports; k++) {
        const struct ld_import *im = &ie->imports[k];
        uint64_t slot = rd(a, exe + im->iat_rva, 8);
        const char *mod = ld_str(ie, ie->modules[im->module]);
        if (strcasecmp(mod, "pedll.dll") == 0) {
            vml_va want;
            char name[32];
            if (im->by_ordinal)
                snprintf(name, sizeof name, "#%u", im->ordinal);
            else
                snprintf(name, sizeof name, "%s", ld_str(ie, im->name));
            assert_int_equal(0, vml_win_GetProcAddress(a, dll, name, &want));
            assert_int_equal(want, slot);
            resolved++;
        } else {
            assert_int_equal(UINT64_C(0xBAD1000000000000) | k, slot);  /* KERNEL32, msvcrt */
            marked++;
        }
    }
    assert_int_equal(3, resolved);
    assert_true(marked > 10);
    vml_module_info mi;
    assert_int_equal(VML_OK, vml_module_next(a, exe, &mi));
    assert_int_equal(2, mi.n_missing);
    assert_int_equal(marked, mi.n_unresolved);
    ld_image_free(ie);
    free(fe.data);
    vml_machine_destroy(m);
}

static void pe_loads_count_and_free(void **state)
{
    (void)state;
    vml_machine *m = machine_with(MB(32), 0, 1, 0);
    vml_proc *a = new_proc(m, "A");
    vml_va h1, h2, h;
    uint64_t vads = proc_stat(a, "vads");
    assert_int_equal(0, vml_win_LoadLibrary(a, "pedll.dll", &h1));
    assert_int_equal(0, vml_win_LoadLibrary(a, "PEDLL.DLL", &h2));
    assert_int_equal(h1, h2);
    assert_int_equal(0, vml_win_FreeLibrary(a, h1));
    assert_int_equal(0, vml_win_GetModuleHandle(a, "pedll", &h));
    assert_int_equal(VML_ERROR_PROC_NOT_FOUND, vml_win_GetProcAddress(a, h1, "no_such", &h));
    assert_int_equal(0, vml_win_FreeLibrary(a, h1));
    assert_int_equal(VML_ERROR_MOD_NOT_FOUND, vml_win_GetModuleHandle(a, "pedll", &h));
    assert_int_equal(VML_ERROR_MOD_NOT_FOUND, vml_win_FreeLibrary(a, h1));
    assert_int_equal(vads, proc_stat(a, "vads"));
    assert_int_equal(VML_ERROR_MOD_NOT_FOUND, vml_win_GetProcAddress(a, h1, "pedll_add", &h));
    vml_machine_destroy(m);
}

static void pe_failures_change_nothing(void **state)
{
    (void)state;
    vml_machine *m = machine_with(MB(32), 0, 1, VML_CFG_STRICT_IMPORTS);
    vml_proc *p = NULL;
    /* the EXE imports KERNEL32.dll, which vmlab does not have */
    assert_int_equal(VML_ERROR_MOD_NOT_FOUND, vml_win_CreateProcess(m, "A", "peexe.exe", 0, &p));
    assert_non_null(strstr(vml_last_error(m), "STATUS_DLL_NOT_FOUND"));
    assert_null(vml_proc_find(m, "A"));
    assert_int_equal(VML_ERROR_FILE_NOT_FOUND, vml_win_CreateProcess(m, "A", "nope.exe", 0, &p));
    assert_int_equal(VML_ERROR_BAD_EXE_FORMAT, vml_win_CreateProcess(m, "A", "pedll.dll", 0, &p));
    assert_null(vml_proc_find(m, "A"));
    vml_machine_destroy(m);

    /* a truncated image: the parser's message names the place */
    m = machine_with(MB(32), 0, 1, 0);
    struct ld_bytes f = ld_file_read(WIN64_DIR "/pedll.dll");
    char path[256];
    snprintf(path, sizeof path, "/tmp/vmlab_trunc_%d.dll", (int)getpid());
    FILE *out = fopen(path, "wb");
    assert_non_null(out);
    fwrite(f.data, 1, 0x200, out);
    fclose(out);
    vml_proc *a = new_proc(m, "A");
    uint64_t vads = proc_stat(a, "vads");
    vml_va h;
    assert_int_equal(VML_ERROR_BAD_EXE_FORMAT, vml_win_LoadLibrary(a, path, &h));
    assert_non_null(strstr(vml_last_error(m), "PE: "));
    assert_int_equal(vads, proc_stat(a, "vads"));
    unlink(path);
    free(f.data);
    vml_machine_destroy(m);
}

/* Windows draws an image's base once per boot: the same seed, the same
** bases; another seed, others; ASLR off, the preferred ones. */
static void pe_bases_follow_the_seed(void **state)
{
    (void)state;
    vml_va base[3][2];
    uint64_t seeds[3] = { 11, 11, 12 };
    for (int i = 0; i < 3; i++) {
        vml_machine *m = machine_with(MB(32), 0, seeds[i], 0);
        vml_proc *a = create_process(m, "A", "peexe.exe");
        base[i][0] = module(a, NULL);
        base[i][1] = module(a, "pedll");
        vml_machine_destroy(m);
    }
    assert_int_equal(base[0][0], base[1][0]);
    assert_int_equal(base[0][1], base[1][1]);
    assert_true(base[0][0] != base[2][0] || base[0][1] != base[2][1]);
    assert_true(base[0][0] >= UINT64_C(0x7FF600000000) && base[0][0] < UINT64_C(0x7FF800000000));
    assert_int_equal(0, base[0][0] & 0xFFFF);
    vml_machine *m = machine_with(MB(32), 0, 11, VML_CFG_NO_ASLR);
    vml_proc *a = create_process(m, "A", "peexe.exe");
    struct ld_bytes fe;
    struct ld_image *ie = ld_load(WIN64_DIR "/peexe.exe", &fe);
    assert_int_equal(ie->preferred_base, module(a, NULL));
    ld_image_free(ie);
    free(fe.data);
    vml_machine_destroy(m);
}

/* ---- Linux ----------------------------------------------------------------------------------- */

static vml_proc *exec(vml_machine *m, const char *name, const char *path)
{
    vml_proc *p = NULL;
    int e = vml_posix_execve(m, name, path, &p);
    if (e != 0)
        fail_msg("execve %s: %d: %s", path, e, vml_last_error(m));
    return p;
}

static vml_va elf_base(vml_proc *p, const char *name)
{
    vml_module_info mi;
    for (vml_va from = 0; vml_module_next(p, from, &mi) == VML_OK; from = mi.base + 1)
        if (strcmp(mi.name, name) == 0)
            return mi.base;
    fail_msg("no module %s", name);
    return 0;
}

static void elf_relocations_are_written_in_the_process(void **state)
{
    (void)state;
    vml_machine *m = machine_with(MB(64), 0, 21, 0);
    vml_proc *a = exec(m, "A", LS);
    vml_proc *b = exec(m, "B", LS);
    struct ld_bytes f;
    struct ld_image *img = ld_load(LS, &f);
    vml_va base = elf_base(a, "ls");
    assert_true(base >= UINT64_C(0x555555554000));
    assert_relocated(a, img, &f, base);
    /* ld.so's writes are each process's own pages; the code stays shared */
    vml_va bb = elf_base(b, "ls");
    for (uint64_t rva = 0; rva < img->image_size; rva += PAGE) {
        vml_page_info pa;
        assert_int_equal(VML_OK, vml_page_query(a, base + rva, &pa));
        if (!pa.mapped)
            continue;
        if (page_has_reloc(img, rva))
            assert_false(pa.shared);
    }
    /* RELRO is read-only after relocation */
    vml_exception ex;
    uint8_t byte = 0;
    assert_true(img->elf->relro_size > 0);
    assert_int_not_equal(VML_OK, vml_mem_write(a, 0, base + img->elf->relro_rva, &byte, 1, &ex));
    (void)bb;
    assert_int_equal(VML_OK, vml_machine_check(m));
    ld_image_free(img);
    free(f.data);
    vml_machine_destroy(m);
}

static void elf_bases_follow_the_seed(void **state)
{
    (void)state;
    vml_va b[3];
    uint64_t seeds[3] = { 4, 4, 5 };
    for (int i = 0; i < 3; i++) {
        vml_machine *m = machine_with(MB(64), 0, seeds[i], 0);
        b[i] = elf_base(exec(m, "A", LS), "ls");
        vml_machine_destroy(m);
    }
    assert_int_equal(b[0], b[1]);
    assert_true(b[0] != b[2]);
    vml_machine *m = machine_with(MB(64), 0, 4, VML_CFG_NO_ASLR);
    assert_int_equal(UINT64_C(0x555555554000), elf_base(exec(m, "A", LS), "ls"));
    vml_machine_destroy(m);
}

static void elf_failures_change_nothing(void **state)
{
    (void)state;
    vml_machine *m = machine_with(MB(64), 0, 1, 0);
    vml_proc *p;
    assert_int_equal(VML_ENOENT, vml_posix_execve(m, "A", "/no/such/file", &p));
    /* a PE is not an ELF executable */
    assert_int_equal(VML_ENOEXEC, vml_posix_execve(m, "A", "pedll.dll", &p));
    assert_null(vml_proc_find(m, "A"));
    vml_proc *a = new_proc(m, "A");
    uint64_t vads = proc_stat(a, "vads");
    vml_va base;
    assert_int_equal(VML_ENOEXEC, vml_posix_dlopen(a, "peexe.exe", &base));
    assert_int_equal(vads, proc_stat(a, "vads"));
    assert_int_equal(0, proc_stat(a, "fds"));
    vml_machine_destroy(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(pe_relocated_in_the_section_and_in_the_process),
        cmocka_unit_test(pe_pages_without_relocations_stay_shared_and_clean),
        cmocka_unit_test(pe_reloc_pages_are_dropped_without_a_write),
        cmocka_unit_test(pe_clean_code_comes_back_from_the_file),
        cmocka_unit_test(pe_imports_resolved_or_marked),
        cmocka_unit_test(pe_loads_count_and_free),
        cmocka_unit_test(pe_failures_change_nothing),
        cmocka_unit_test(pe_bases_follow_the_seed),
        cmocka_unit_test(elf_relocations_are_written_in_the_process),
        cmocka_unit_test(elf_bases_follow_the_seed),
        cmocka_unit_test(elf_failures_change_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
