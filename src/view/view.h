/*
** view.h -- helpers shared by the views (src/view/): text building, a tiny
** JSON writer, and the names real tools give to Windows and x86 things.
**
** The views read machine state ONLY through the public API of vmlab.h (the
** same functions every library user has); nothing here reaches into hw/,
** mm/ or os/ structures.  Views append to a caller's vml_text and never
** print, exit or keep state between calls.
**
** INVARIANTS (of every vml_view_* function):
**   VW5  A view rejects a bad fmt or NULL argument with VML_E_INVALID before
**       appending anything.
**   VW6  A view that fails after it started appending cuts the text back to
**       its length on entry (vt_rollback): failure appends nothing.
**   VW7  JSON output is one valid JSON value followed by "\n" (strings are
**       escaped, invalid UTF-8 is replaced by U+FFFD).
**   VW8  If an append ran out of host memory the view returns VML_E_NOMEM
**       and out->oom stays set; the text is a prefix of the full view.
*/
#ifndef VML_VIEW_H
#define VML_VIEW_H

#include <stddef.h>
#include <stdint.h>

#include "vmlab.h"

/* KiB in a page, for the views that show sizes in KB. */
#define VW_PAGE_KB (VML_PAGE_SIZE / 1024u)

/* ---- text.c: building text -------------------------------------------- */

void   vt_puts(vml_text *t, const char *s);
void   vt_putc(vml_text *t, char c);
void   vt_spaces(vml_text *t, size_t n);
/* Appends spaces until the current line (which began at line_start, an
** offset into t->s) is at least col characters long. */
void   vt_pad_to(vml_text *t, size_t line_start, size_t col);
/* VW6: cut t back to length mark (the length it had on entry). */
void   vt_rollback(vml_text *t, size_t mark);
/* The status a view returns once it has appended: VML_E_NOMEM if t->oom. */
vml_status vt_done(const vml_text *t);
/* "12,345" (Task Manager's digit grouping) into buf. */
const char *vt_group(uint64_t v, char *buf, size_t size);

/* ---- json.c: a minimal streaming JSON writer --------------------------- */

#define JW_MAX_DEPTH 12

struct jw {
    vml_text     *t;
    unsigned      depth;                  /* open containers */
    unsigned char n_items[JW_MAX_DEPTH];  /* values written at each depth */
    char          closer[JW_MAX_DEPTH];   /* '}' or ']' for each open one */
};

/* Opens the top-level object; jw_finish() closes it and adds "\n". */
void jw_begin(struct jw *w, vml_text *t);
void jw_finish(struct jw *w);
/* jw_begin() and a process view's first members:
** {"view":VIEW,"pid":N,"process":"NAME" */
void jw_begin_proc(struct jw *w, vml_text *t, const char *view, vml_proc *p);
/* key is the member name inside an object, NULL inside an array. */
void jw_obj(struct jw *w, const char *key);
void jw_obj_end(struct jw *w);
void jw_arr(struct jw *w, const char *key);
void jw_arr_end(struct jw *w);
void jw_str(struct jw *w, const char *key, const char *s);
void jw_u64(struct jw *w, const char *key, uint64_t v);
void jw_i64(struct jw *w, const char *key, int64_t v);
void jw_hex(struct jw *w, const char *key, uint64_t v);   /* "0x1a7" */
void jw_bool(struct jw *w, const char *key, int v);
void jw_null(struct jw *w, const char *key);
/* A JSON string literal of s (quotes included), escaped as VW7 says. */
void jw_escape(vml_text *t, const char *s);

/* ---- names.c: what real tools call things ------------------------------ */

/* Windows' 5-bit MM protection (MM_READWRITE = 4 ...) for a Win32 PAGE_*
** value, and the name WinDbg prints after "Protect: 4 - ". */
const char *vw_mm_protect_name(unsigned mm_protect);
/* The protection column of !vad ("READWRITE", "EXECUTE_WRITECOPY"). */
const char *vw_vad_protect_name(uint32_t page_protect);
/* Win32 PAGE_* equivalent of a posix PROT_* set. */
uint32_t    vw_protect_from_prot(int prot);
/* The page-location word of WinDbg's !pfn ("Active", "Zeroed"...). */
const char *vw_pfn_location(vml_list l);
/* Intel's name of the page table at a level: "PML5" "PML4" "PDPT" "PD" "PT". */
const char *vw_table_name(unsigned level);
/* WinDbg's 11-letter status string of a page-table entry: C G L D A N T
** U/K W/R E V, "-" for a clear bit ("---DA--UWEV"); buf >= 12 bytes. */
const char *vw_pte_flags(const vml_pte_info *pi, uint64_t entry, unsigned level,
                         int has_nx, char *buf);
/* A stable made-up kernel address for a VAD node (there are no kernel
** pointers in vmlab): derived from pid and start VPN, 16-byte aligned. */
uint64_t    vw_vad_node_addr(unsigned pid, uint64_t start_vpn, int ptr_bytes);
/* 8 on 64-bit paging modes, 4 on PAE and legacy 32-bit. */
int         vw_ptr_bytes(const vml_machine *m);
/* Iterates a process's VADs in address order, from *cursor = 0 and
** *done = 0: 1 with *v filled, 0 past the last one (a VAD that ends at the
** top of the address space ends the walk instead of wrapping around). */
int         vw_vad_next(vml_proc *p, vml_va *cursor, int *done, vml_vad_info *v);
/* Index of the step that stops a walk (its entry has P = 0), or n_steps
** when the walk completed. */
unsigned    vw_walk_stop(const vml_walk *w);
const char *vw_scope_name(vml_scope scope);
/* "MEM_COMMIT" / "MEM_PRIVATE" ..., NULL when v is not one of them. */
const char *vw_mem_state_name(uint32_t v);
const char *vw_mem_type_name(uint32_t v);

/* ---- view_linux.c: shared with view_share.c ---------------------------- */

/* One /proc/PID/maps line of a VAD (smaps begins each VMA with it). */
void        vw_maps_line(vml_text *out, const vml_vad_info *v, int ptr);
/* The r/w/x of a VMA as PROT_* bits; its 's' (VM_MAYSHARE). */
int         vw_vma_prot(const vml_vad_info *v);
int         vw_vma_shared(const vml_vad_info *v);
/* The name maps shows for a VMA (its own, a file's path, "/dev/zero
** (deleted)" for shared memory), or NULL; buf holds a built one. */
const char *vw_vma_name(const vml_vad_info *v, char *buf, size_t size);
int         vw_vma_stack(const vml_vad_info *v);

#endif /* VML_VIEW_H */
