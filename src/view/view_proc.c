/*
** view_proc.c -- what a process's runtime built, as WinDbg shows it: !heap
** (the heaps: a -s style summary, or one heap's segments and blocks), !peb
** and !teb.  Read through the public API (vml_heap_*, vml_peb_get,
** vml_teb_get), which reads the process's memory without faults.
**
** INVARIANTS: VW5-VW8 (view.h).
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "view/view.h"

#define KB(x) ((unsigned long long)((x) >> 10))

/* An address as WinDbg prints it: 16 hex digits on x64, 8 on x86. */
static void addr(vml_text *t, unsigned ptr, uint64_t v)
{
    vml_text_printf(t, ptr == 8 ? "%016llx" : "%08llx", (unsigned long long)v);
}

static const char *heap_flag_names(uint32_t f, char *buf, size_t size)
{
    buf[0] = 0;
    static const struct { uint32_t bit; const char *name; } names[] = {
        { VML_HEAP_GROWABLE, "HEAP_GROWABLE" },
        { VML_HEAP_NO_SERIALIZE, "HEAP_NO_SERIALIZE" },
        { VML_HEAP_GENERATE_EXCEPTIONS, "HEAP_GENERATE_EXCEPTIONS" },
        { VML_HEAP_CREATE_ENABLE_EXECUTE, "HEAP_CREATE_ENABLE_EXECUTE" },
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (f & names[i].bit) {
            size_t n = strlen(buf);
            snprintf(buf + n, size - n, "%s%s", n ? " | " : "", names[i].name);
        }
    return buf[0] ? buf : "none";
}

/* ---- !heap: every heap ------------------------------------------------------------ */

static vml_status heap_summary(vml_proc *p, unsigned fmt, vml_text *out)
{
    size_t n = vml_heap_list(p, NULL, 0);
    vml_va *heaps = n ? calloc(n, sizeof *heaps) : NULL;
    if (n && heaps == NULL)
        return VML_E_NOMEM;
    vml_heap_list(p, heaps, n);
    struct jw j;
    if (fmt == VML_FMT_JSON) {
        jw_begin(&j, out);
        jw_str(&j, "process", vml_proc_name(p));
        jw_arr(&j, "heaps");
    } else {
        vml_text_printf(out, "          Heap     Flags   Reserv  Commit  Virt   Free  List   UCR"
                        "  Virt\n                            (k)     (k)    (k)     (k) length"
                        "      blocks\n");
        vml_text_printf(out, "-------------------------------------------------------------------"
                        "-----\n");
    }
    for (size_t i = 0; i < n; i++) {
        vml_heap_info hi;
        vml_heap_info_get(p, heaps[i], &hi);
        unsigned ucr = 0;
        for (unsigned s = 0; s < hi.n_segments; s++) {
            vml_heap_segment_info si;
            if (vml_heap_segment_get(p, heaps[i], s, &si) == VML_OK && si.committed < si.reserved)
                ucr++;
        }
        if (fmt == VML_FMT_JSON) {
            jw_obj(&j, NULL);
            jw_hex(&j, "heap", hi.handle);
            jw_hex(&j, "flags", hi.flags);
            jw_bool(&j, "process_heap", hi.process_heap);
            jw_u64(&j, "segments", hi.n_segments);
            jw_u64(&j, "reserved", hi.reserved);
            jw_u64(&j, "committed", hi.committed);
            jw_u64(&j, "virtual", hi.large_bytes);
            jw_u64(&j, "free", hi.free_bytes);
            jw_u64(&j, "free_blocks", hi.n_free);
            jw_u64(&j, "busy_blocks", hi.n_busy);
            jw_u64(&j, "uncommitted_ranges", ucr);
            jw_u64(&j, "virtual_blocks", hi.n_large);
            jw_bool(&j, "corrupt", hi.corrupt);
            if (hi.corrupt)
                jw_str(&j, "problem", hi.problem);
            jw_obj_end(&j);
            continue;
        }
        addr(out, 8, hi.handle);
        vml_text_printf(out, " %08x %7llu %7llu %6llu %6llu %5llu %5u %5llu%s%s\n", hi.flags,
                        KB(hi.reserved), KB(hi.committed), KB(hi.large_bytes),
                        KB(hi.free_bytes), (unsigned long long)hi.n_free, ucr,
                        (unsigned long long)hi.n_large, hi.corrupt ? "  CORRUPT: " : "",
                        hi.corrupt ? hi.problem : "");
    }
    free(heaps);
    if (fmt == VML_FMT_JSON) {
        jw_arr_end(&j);
        jw_finish(&j);
    } else {
        vml_text_printf(out, "-------------------------------------------------------------------"
                        "-----\n");
    }
    return vt_done(out);
}

/* ---- !heap HEAP: one heap's segments and entries ------------------------------------ */

static void entry_text(vml_text *out, unsigned ptr, const vml_heap_entry *e, uint64_t prev)
{
    vml_text_printf(out, "        ");
    addr(out, ptr, e->header);
    vml_text_printf(out, ": %05llx . %05llx [%02x] - ", (unsigned long long)prev,
                    (unsigned long long)e->size, e->flags);
    if (e->flags & 0x08)
        vml_text_printf(out, "busy (%llx) virtual block\n", (unsigned long long)e->requested);
    else if (!(e->flags & 0x01))
        vml_text_printf(out, "free\n");
    else if (e->user == 0)
        vml_text_printf(out, "busy (segment header)\n");
    else
        vml_text_printf(out, "busy (%llx)\n", (unsigned long long)e->requested);
}

static vml_status heap_one(vml_proc *p, vml_va heap, unsigned fmt, vml_text *out)
{
    vml_heap_info hi;
    vml_status st = vml_heap_info_get(p, heap, &hi);
    if (st != VML_OK)
        return st;
    size_t n = 0;
    vml_heap_walk(p, heap, NULL, 0, &n);
    vml_heap_entry *es = n ? calloc(n, sizeof *es) : NULL;
    if (n && es == NULL)
        return VML_E_NOMEM;
    vml_heap_walk(p, heap, es, n, &n);
    char fb[128];
    unsigned ptr = hi.ptr_size;
    struct jw j;
    if (fmt == VML_FMT_JSON) {
        jw_begin(&j, out);
        jw_str(&j, "process", vml_proc_name(p));
        jw_hex(&j, "heap", hi.handle);
        jw_hex(&j, "flags", hi.flags);
        jw_bool(&j, "process_heap", hi.process_heap);
        jw_u64(&j, "granularity", hi.granularity);
        jw_u64(&j, "vm_threshold", hi.vm_threshold);
        jw_u64(&j, "reserved", hi.reserved);
        jw_u64(&j, "committed", hi.committed);
        jw_u64(&j, "max_size", hi.max_size);
        jw_u64(&j, "free", hi.free_bytes);
        jw_u64(&j, "busy_blocks", hi.n_busy);
        jw_u64(&j, "busy_bytes", hi.busy_bytes);
        jw_u64(&j, "free_blocks", hi.n_free);
        jw_u64(&j, "virtual_blocks", hi.n_large);
        jw_u64(&j, "virtual_bytes", hi.large_bytes);
        jw_bool(&j, "corrupt", hi.corrupt);
        if (hi.corrupt)
            jw_str(&j, "problem", hi.problem);
        jw_arr(&j, "segments");
        for (unsigned s = 0; s < hi.n_segments; s++) {
            vml_heap_segment_info si;
            if (vml_heap_segment_get(p, heap, s, &si) != VML_OK)
                continue;
            jw_obj(&j, NULL);
            jw_hex(&j, "base", si.base);
            jw_hex(&j, "first_entry", si.first_entry);
            jw_hex(&j, "last_valid_entry", si.last_valid);
            jw_u64(&j, "reserved", si.reserved);
            jw_u64(&j, "committed", si.committed);
            jw_obj_end(&j);
        }
        jw_arr_end(&j);
        jw_arr(&j, "entries");
        for (size_t i = 0; i < n; i++) {
            jw_obj(&j, NULL);
            jw_hex(&j, "header", es[i].header);
            jw_hex(&j, "user", es[i].user);
            jw_u64(&j, "size", es[i].size);
            jw_u64(&j, "requested", es[i].requested);
            jw_hex(&j, "flags", es[i].flags);
            jw_str(&j, "state", (es[i].flags & 1) ? "busy" : "free");
            jw_u64(&j, "segment", es[i].segment);
            jw_obj_end(&j);
        }
        jw_arr_end(&j);
        jw_finish(&j);
        free(es);
        return vt_done(out);
    }
    vml_text_printf(out, "Heap ");
    addr(out, ptr, hi.handle);
    vml_text_printf(out, "%s\n", hi.process_heap ? "  (process heap)" : "");
    vml_text_printf(out, "    Flags:            %08x  (%s)\n", hi.flags,
                    heap_flag_names(hi.flags, fb, sizeof fb));
    vml_text_printf(out, "    Reserved:         %llu KB%s\n", KB(hi.reserved),
                    hi.max_size ? "  (fixed size)" : "");
    vml_text_printf(out, "    Committed:        %llu KB\n", KB(hi.committed));
    vml_text_printf(out, "    Free:             %llu bytes in %llu blocks\n",
                    (unsigned long long)hi.free_bytes, (unsigned long long)hi.n_free);
    vml_text_printf(out, "    Busy:             %llu bytes in %llu blocks\n",
                    (unsigned long long)hi.busy_bytes, (unsigned long long)hi.n_busy);
    vml_text_printf(out, "    VirtualAllocd:    %llu blocks, %llu KB  (threshold %llx bytes)\n",
                    (unsigned long long)hi.n_large, KB(hi.large_bytes),
                    (unsigned long long)hi.vm_threshold);
    if (hi.corrupt)
        vml_text_printf(out, "    CORRUPT:          %s\n", hi.problem);
    size_t k = 0;
    for (unsigned s = 0; s < hi.n_segments; s++) {
        vml_heap_segment_info si;
        if (vml_heap_segment_get(p, heap, s, &si) != VML_OK)
            continue;
        vml_text_printf(out, "    Segment%02u at ", s);
        addr(out, ptr, si.base);
        vml_text_printf(out, " to ");
        addr(out, ptr, si.base + si.reserved);
        vml_text_printf(out, " (%08llx bytes committed)\n", (unsigned long long)si.committed);
        vml_text_printf(out, "         address: psize . size  flags   state (requested size)\n");
        uint64_t prev = 0;
        for (; k < n && es[k].segment == s; k++) {
            entry_text(out, ptr, &es[k], prev);
            prev = es[k].size;
        }
        if (si.committed < si.reserved) {
            vml_text_printf(out, "        ");
            addr(out, ptr, si.base + si.committed);
            vml_text_printf(out, ":      uncommitted bytes: %08llx\n",
                            (unsigned long long)(si.reserved - si.committed));
        }
    }
    if (k < n)
        vml_text_printf(out, "    Virtual blocks\n");
    for (; k < n; k++)
        entry_text(out, ptr, &es[k], 0);
    free(es);
    return vt_done(out);
}

vml_status vml_view_heap(vml_proc *p, vml_va heap, unsigned fmt, vml_text *out)
{
    if (p == NULL || out == NULL || fmt > VML_FMT_JSON)
        return VML_E_INVALID;
    size_t mark = out->len;
    vml_status st = heap == 0 ? heap_summary(p, fmt, out) : heap_one(p, heap, fmt, out);
    if (st != VML_OK && !out->oom)
        vt_rollback(out, mark);
    return st;
}

/* ---- !peb, !teb ------------------------------------------------------------------- */

static void field(vml_text *out, const char *name, unsigned ptr, uint64_t v)
{
    vml_text_printf(out, "    %-26s", name);
    addr(out, ptr, v);
    vml_text_printf(out, "\n");
}

vml_status vml_view_peb(vml_proc *p, unsigned fmt, vml_text *out)
{
    vml_peb_info pi;
    if (p == NULL || out == NULL || fmt > VML_FMT_JSON)
        return VML_E_INVALID;
    vml_status st = vml_peb_get(p, &pi);
    if (st != VML_OK)
        return st;
    if (fmt == VML_FMT_JSON) {
        struct jw j;
        jw_begin(&j, out);
        jw_str(&j, "process", vml_proc_name(p));
        jw_hex(&j, "peb", pi.address);
        jw_u64(&j, "ptr_size", pi.ptr_size);
        jw_bool(&j, "being_debugged", (int)pi.being_debugged);
        jw_hex(&j, "image_base", pi.image_base);
        jw_hex(&j, "ldr", pi.ldr);
        jw_hex(&j, "process_parameters", pi.process_parameters);
        jw_hex(&j, "process_heap", pi.process_heap);
        jw_u64(&j, "number_of_processors", pi.number_of_processors);
        jw_hex(&j, "nt_global_flag", pi.nt_global_flag);
        jw_u64(&j, "number_of_heaps", pi.number_of_heaps);
        jw_u64(&j, "maximum_number_of_heaps", pi.maximum_number_of_heaps);
        jw_hex(&j, "process_heaps", pi.process_heaps);
        jw_u64(&j, "os_major", pi.os_major);
        jw_u64(&j, "os_minor", pi.os_minor);
        jw_u64(&j, "os_build", pi.os_build);
        jw_str(&j, "image_file", pi.image_path);
        jw_str(&j, "command_line", pi.command_line);
        jw_finish(&j);
        return vt_done(out);
    }
    unsigned ptr = pi.ptr_size;
    vml_text_printf(out, "PEB at ");
    addr(out, ptr, pi.address);
    vml_text_printf(out, "\n    InheritedAddressSpace:    No\n"
                    "    ReadImageFileExecOptions: No\n"
                    "    BeingDebugged:            %s\n", pi.being_debugged ? "Yes" : "No");
    field(out, "ImageBaseAddress:", ptr, pi.image_base);
    vml_text_printf(out, "    NtGlobalFlag:             %x\n", pi.nt_global_flag);
    field(out, "Ldr", ptr, pi.ldr);
    vml_text_printf(out, "    NumberOfProcessors:       %u\n", pi.number_of_processors);
    vml_text_printf(out, "    OSVersion:                %u.%u.%u\n", pi.os_major, pi.os_minor,
                    pi.os_build);
    field(out, "ProcessHeap:", ptr, pi.process_heap);
    vml_text_printf(out, "    NumberOfHeaps:            %u (of %u)\n", pi.number_of_heaps,
                    pi.maximum_number_of_heaps);
    field(out, "ProcessHeaps:", ptr, pi.process_heaps);
    field(out, "ProcessParameters:", ptr, pi.process_parameters);
    vml_text_printf(out, "    ImageFile:    '%s'\n    CommandLine:  '%s'\n", pi.image_path,
                    pi.command_line);
    return vt_done(out);
}

vml_status vml_view_teb(vml_proc *p, unsigned tid, unsigned fmt, vml_text *out)
{
    vml_teb_info ti;
    if (p == NULL || out == NULL || fmt > VML_FMT_JSON)
        return VML_E_INVALID;
    vml_status st = vml_teb_get(p, tid, &ti);
    if (st != VML_OK)
        return st;
    if (fmt == VML_FMT_JSON) {
        struct jw j;
        jw_begin(&j, out);
        jw_str(&j, "process", vml_proc_name(p));
        jw_hex(&j, "teb", ti.address);
        jw_u64(&j, "ptr_size", ti.ptr_size);
        jw_hex(&j, "exception_list", ti.exception_list);
        jw_hex(&j, "stack_base", ti.stack_base);
        jw_hex(&j, "stack_limit", ti.stack_limit);
        jw_hex(&j, "deallocation_stack", ti.deallocation_stack);
        jw_hex(&j, "self", ti.self);
        jw_u64(&j, "client_pid", ti.client_pid);
        jw_u64(&j, "client_tid", ti.client_tid);
        jw_hex(&j, "peb", ti.peb);
        jw_u64(&j, "last_error", ti.last_error);
        jw_finish(&j);
        return vt_done(out);
    }
    unsigned ptr = ti.ptr_size;
    vml_text_printf(out, "TEB at ");
    addr(out, ptr, ti.address);
    vml_text_printf(out, "\n");
    field(out, "ExceptionList:", ptr, ti.exception_list);
    field(out, "StackBase:", ptr, ti.stack_base);
    field(out, "StackLimit:", ptr, ti.stack_limit);
    field(out, "DeallocationStack:", ptr, ti.deallocation_stack);
    field(out, "Self:", ptr, ti.self);
    vml_text_printf(out, "    %-26s", "ClientId:");
    addr(out, ptr, ti.client_pid);
    vml_text_printf(out, " . ");
    addr(out, ptr, ti.client_tid);
    vml_text_printf(out, "\n");
    field(out, "PEB Address:", ptr, ti.peb);
    vml_text_printf(out, "    LastErrorValue:           %u\n", ti.last_error);
    return vt_done(out);
}
