/*
** cli.h -- the vmlab command: shared types of the scenario interpreter.
**
** The CLI links only the public API (include/vmlab.h) and libc.  There is
** no global mutable state: everything a script changes lives in a
** struct interp, one per file being run (or one for the shell).
**
** INVARIANTS:
**   CLI1  A command line either runs to completion or stops with a script
**       error before it changed anything that matters: handlers evaluate
**       and check every argument before the first library call.
**   CLI2  Every string the interpreter keeps is heap-allocated with its
**       length; no fixed buffer receives unbounded input.
**   CLI3  One table (commands.c) drives dispatch, `vmlab help` and
**       `vmlab help COMMAND`.
*/
#ifndef VMLAB_CLI_H
#define VMLAB_CLI_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "vmlab.h"

#ifndef VMLAB_VERSION
#define VMLAB_VERSION "0.1.0"
#endif

/* Exit codes of `vmlab run` (and of the shell). */
#define EXIT_EXPECT   1   /* an expect did not hold */
#define EXIT_SCRIPT   2   /* a script error (file:line: error: ...) */
#define EXIT_INTERNAL 3   /* the library reported a broken invariant */

/* ------------------------------------------------------------------ */
/* Values: what a variable holds and a command gives.                  */

enum val_kind { VAL_NONE = 0, VAL_NUM, VAL_STR };

struct value {
    enum val_kind kind;
    uint64_t num;      /* VAL_NUM */
    char    *str;      /* VAL_STR: heap, NUL-terminated, may hold NULs */
    size_t   len;      /* VAL_STR: bytes before the terminating NUL */
};

void value_free(struct value *v);
int  value_set_str(struct value *v, const char *s, size_t len);  /* 0 or -1 */
int  value_copy(struct value *dst, const struct value *src);     /* 0 or -1 */
void value_set_num(struct value *v, uint64_t num);

/* Messages and formatted values grow in the library's vml_text
** (vml_text_printf, vml_text_append, vml_text_free). */
static inline const char *sb_str(const vml_text *b)   /* "" while empty */
{
    return b->s ? b->s : "";
}
/* Appends v: numbers as 0x hex; strings raw (quoted: in "" with C escapes;
** raw: non-printable bytes as \xNN). */
void sb_value(vml_text *b, const struct value *v, int quoted);
/* Appends n bytes of text with control characters (C0, DEL, C1) and bytes
** that are not UTF-8 written as \xNN (\t \n \r as such): safe to print
** on a terminal. */
void sb_escaped(vml_text *b, const char *text, size_t n);

/* ------------------------------------------------------------------ */
/* Words of a line.                                                    */

struct words {
    char  **w;     /* each word's raw text as typed, NUL-terminated */
    size_t  n, cap;
};
void words_free(struct words *ws);

/* ------------------------------------------------------------------ */
/* Results of a command.                                               */

/* RC_STOP: the run must stop, and the reason was printed already (an
** error inside a sourced file, reported with its own FILE:LINE). */
enum rc { RC_OK = 0, RC_ERROR, RC_FATAL, RC_STOP };

enum fail_kind {
    FAIL_NONE = 0,
    FAIL_WIN32,      /* a Win32 error code (GetLastError) */
    FAIL_ERRNO,      /* an errno value */
    FAIL_EXCEPTION,  /* a simulated exception (access violation...) */
    FAIL_STATUS      /* a vml_status from the library */
};

struct result {
    struct value   val;        /* VAL_NONE when the command gives none */
    char           note[96];   /* printed after the value: "PAGE_READWRITE" */
    enum fail_kind fail;
    uint32_t       win32;
    int            err;
    vml_status     st;
    vml_exception  ex;
    char           detail[320]; /* the library's message (a status, a loader failure) */
};
void result_reset(struct result *r);
/* A Win32 call's result: 0, or the command fails with that error code. */
void result_win32(struct result *res, uint32_t e);

/* ------------------------------------------------------------------ */
/* The interpreter.                                                    */

struct var {
    char        *name;   /* without the '$' */
    struct value val;
};

/* Where a line runs: the blocks, def calls and sourced files around it,
** printed after an error or a failed expect ("(in the repeat block of
** line 5, pass 2 of 3)"). */
enum ctx_kind { CTX_SOURCE, CTX_REPEAT, CTX_FOR, CTX_IF, CTX_CALL };
struct ctx {
    enum ctx_kind kind;
    const char   *file;     /* CTX_SOURCE, CTX_CALL: where it was called from */
    unsigned      line;     /* the line of the block, or of the call */
    const char   *name;     /* CTX_CALL: the def; CTX_FOR: the variable */
    uint64_t      pass, passes;   /* CTX_REPEAT: pass of passes; CTX_FOR: value */
};
#define CTX_MAX 96          /* nesting of blocks, calls and sources */

struct src_line {            /* a line of a block being collected */
    char    *text;
    unsigned line;
};
struct def;

struct interp {
    vml_machine *m;          /* NULL until a command needs one */
    const char  *file;       /* for messages: "FILE:LINE: ..." */
    unsigned     line;
    const char  *srcdir;     /* source FILE is relative to it (NULL: cwd) */
    struct ctx   ctx[CTX_MAX];
    size_t       n_ctx;
    unsigned     n_sources;  /* CTX_SOURCE entries in ctx */
    char       **names;      /* file names and directories kept for messages */
    size_t       n_names;
    unsigned     cpu;        /* CPU of later accesses (`cpu N`) */
    unsigned     cmd_cpu;    /* CPU of the command running (cpu=N) */
    unsigned     fmt;        /* VML_FMT_TEXT, or VML_FMT_JSON (--json) */
    int          events;     /* `events on` */
    int          rec_on;     /* `record`: a recorder on every new machine */
    unsigned     rec_clock;  /* VML_CLOCK_* */
    uint64_t     rec_every;
    int          quiet;      /* > 0 inside expect: no result lines */
    int          interactive;/* the shell: errors do not stop */
    int          terminal;   /* a terminal session: errors do not count in
                                the exit status */
    int          done;       /* quit/exit seen */
    int          trace;      /* print each command line before running it */
    struct var  *vars;
    size_t       n_vars, cap_vars;
    struct src_line *collected;   /* the block being read (block.c) */
    size_t       n_collected;
    unsigned     collect_depth;   /* blocks open in it */
    struct def **defs;            /* commands defined by def */
    size_t       n_defs;
    unsigned     call_depth;
    uint64_t     max_steps;       /* 0, or the most lines, passes and units
                                     of long work to run (the fuzz target) */
    int          progress_tty;    /* stderr is a terminal: show progress */
    uint64_t     max_ram;         /* 0, or the largest ram and pagefile: a
                                     machine asking for more gets this */
    int          sandbox;         /* no host files: commands that would read
                                     or write one (source, pagefile=PATH,
                                     images, traces) refuse */
    uint64_t     steps;
    vml_text  err;        /* the message of the last script error */
    int          status;     /* worst exit code so far (0..3) */
    FILE        *out;        /* normal output */
    FILE        *errout;     /* errors and failed expects */
};

void interp_init(struct interp *in, FILE *out, FILE *errout);
void interp_free(struct interp *in);

/* Sets the script error message; returns RC_ERROR. */
enum rc cli_error(struct interp *in, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
/* Records a fatal library error (VML_E_CORRUPT); returns RC_FATAL. */
enum rc cli_fatal(struct interp *in, const char *what);

const struct value *var_get(const struct interp *in, const char *name, size_t len);
int  var_set(struct interp *in, const char *name, size_t len, const struct value *v);
void var_unset(struct interp *in, const char *name, size_t len);

/* ------------------------------------------------------------------ */
/* expr.c: splitting lines into words, numbers, expressions.           */

/* Splits a line into words: a word ends at blanks outside "strings" and
** (parentheses); '#' at the start of a word begins a comment. */
enum rc words_split(struct interp *in, const char *line, struct words *out);
/* Evaluates one word as an expression: numbers (decimal, 0x hex, 0b,
** K/M/G/T sizes), constants, $variables, "strings", ( ) and the C
** operators ~ ! - + * / % << >> < <= > >= == != & ^ | && ||. */
enum rc expr_eval(struct interp *in, const char *text, struct value *out);
/* Decodes a "string" literal starting at s[0] == '"'; *end is set past
** the closing quote. */
enum rc str_literal(struct interp *in, const char *s, const char **end, vml_text *out);
/* Decodes the escape at (*pp)[0] == '\\' of a string into *c; *pp is set
** past it. */
enum rc str_escape(struct interp *in, const char **pp, char *c);
/* Skips a (group) at s[0] == '('; NULL (and an error) when unbalanced. */
const char *expr_skip_group(struct interp *in, const char *s);
int is_ident_start(int c);
int is_ident_char(int c);
int is_ident_word(const char *w);     /* letters, digits, _; not a digit first */

/* ------------------------------------------------------------------ */
/* commands.c: the command table.                                      */

#define CMD_MACHINE 0x01u  /* needs a machine (the default one is created) */
#define CMD_JSON    0x02u  /* a view: accepts --json */
#define CMD_CPU     0x04u  /* accepts a trailing cpu=N */
#define CMD_VALUE   0x08u  /* gives a value ($v = CMD, expect CMD == V) */
#define CMD_NOEXPECT 0x10u /* cannot be used under expect */

typedef enum rc (*cmd_fn)(struct interp *in, size_t argc, char **argv, struct result *res);

struct cmd {
    const char *name;
    const char *alias;      /* another spelling ("!vtop"), or NULL */
    const char *group;      /* heading in `vmlab help` */
    int         min_args, max_args;   /* max -1: any number */
    const char *args;       /* "PROCESS ADDRESS SIZE TYPE PROTECT" */
    const char *summary;    /* one line */
    const char *help;       /* the description */
    const char *example;
    unsigned    flags;
    cmd_fn      fn;
};

const struct cmd *cmd_find(const char *name);
size_t            cmd_count(void);
const struct cmd *cmd_at(size_t i);
/* Runs one command (argument checks, cpu=, --json, the machine). */
enum rc cmd_run(struct interp *in, const struct cmd *c, size_t argc, char **argv,
                struct result *res);
/* Prints a command's result line or failure line. */
void cmd_print_result(struct interp *in, const struct cmd *c, const struct result *res);
/* Appends the failure of res ("ERROR_INVALID_PARAMETER (87)", "exception ..."). */
void sb_failure(vml_text *b, const struct result *res);

/* help.c */
void help_overview(FILE *f);
int  help_topic(FILE *f, const char *topic);   /* 0, or -1 if unknown */
void help_command(FILE *f, const struct cmd *c);

/* args.c: argument helpers shared by the handlers. */
enum rc arg_num(struct interp *in, const char *word, const char *what, uint64_t *out);
/* A count, frame number, CPU or key value: a negative value ($n = -1) is
** refused instead of wrapping to 2^64 - 1. */
enum rc arg_count(struct interp *in, const char *word, const char *what, uint64_t *out);
/* A size, length or offset of a personality call: a negative expression
** ('-1') is refused; a large value (0xFFFFFFFFFFFFFFFF) goes to the call,
** which fails as the real one does. */
enum rc arg_size(struct interp *in, const char *word, const char *what, uint64_t *out);
enum rc arg_u32(struct interp *in, const char *word, const char *what, uint32_t *out);
enum rc arg_int(struct interp *in, const char *word, const char *what, int *out);
enum rc arg_value(struct interp *in, const char *word, struct value *out);
enum rc arg_proc(struct interp *in, const char *word, vml_proc **out);
/* A name argument (a file, a section, a path): a "string", a $variable
** holding a string, or the word as typed.  *out is the caller's to free. */
enum rc arg_name(struct interp *in, const char *word, const char *what, char **out);
/* A name for a new process: well formed, not a scope word, not taken. */
enum rc arg_new_proc_name(struct interp *in, const char *word);
enum rc arg_file_name(struct interp *in, const char *word, const char *what, char **out);
/* "system" or "cpu" followed by digits */
int     is_scope_word(const char *s);
enum rc arg_cpu(struct interp *in, const char *word, unsigned *out);
enum rc need_machine(struct interp *in);
/* Converts a library status: VML_FAULTED becomes FAIL_EXCEPTION (a memory
** access filled res->ex), other failures FAIL_STATUS; VML_E_CORRUPT is
** fatal. */
enum rc lib_status(struct interp *in, vml_status st, struct result *res);
/* Prints a view's text (or reports its failure in res). */
enum rc emit_view(struct interp *in, vml_status st, vml_text *t, struct result *res);
/* Renders and prints a view of the machine, or of the process named by
** word, in the command's format (text or --json). */
enum rc machine_view(struct interp *in, struct result *res,
                     vml_status (*view)(vml_machine *, unsigned, vml_text *));
enum rc proc_view(struct interp *in, const char *word, struct result *res,
                  vml_status (*view)(vml_proc *, unsigned, vml_text *));
/* Parses machine KEY=VALUE words into *cfg (defaults for the rest) and
** checks it; *path is a heap copy of the pagefile path the config points
** at (free it after vml_machine_create), or NULL. */
enum rc machine_config_words(struct interp *in, size_t argc, char **argv, vml_config *cfg,
                             char **path);
/* The name of a constant of value v whose name starts with prefix. */
const char *const_name(uint64_t v, const char *prefix);
void events_apply(struct interp *in);
/* cmd_pictures.c: starts the recorder `record` asked for on a new machine. */
void record_apply(struct interp *in);
/* Edit distance ignoring case, for "did you mean". */
size_t cli_distance(const char *a, const char *b);
/* The constant a mistyped name most likely means (MEM_COMIT, page_readwrite),
** or NULL. */
const char *cli_suggest_const(const char *word);

/* Handlers (cmd_mem.c, cmd_view.c, cmd_paging.c, script.c). */
#define CLI_HANDLER(name) \
    enum rc name(struct interp *in, size_t argc, char **argv, struct result *res)
CLI_HANDLER(h_machine);   CLI_HANDLER(h_process);   CLI_HANDLER(h_terminate);
CLI_HANDLER(h_cpu);       CLI_HANDLER(h_switch);    CLI_HANDLER(h_events);
CLI_HANDLER(h_echo);      CLI_HANDLER(h_expect);    CLI_HANDLER(h_help);
CLI_HANDLER(h_quit);      CLI_HANDLER(h_check);     CLI_HANDLER(h_layout);
CLI_HANDLER(h_vars);      CLI_HANDLER(h_source);  CLI_HANDLER(h_format);
CLI_HANDLER(h_valloc);    CLI_HANDLER(h_vallocex);  CLI_HANDLER(h_vfree);
CLI_HANDLER(h_vprotect);  CLI_HANDLER(h_vquery);    CLI_HANDLER(h_rpm);
CLI_HANDLER(h_wpm);       CLI_HANDLER(h_mmap);      CLI_HANDLER(h_munmap);
CLI_HANDLER(h_mprotect);  CLI_HANDLER(h_read);      CLI_HANDLER(h_write);
CLI_HANDLER(h_exec);
CLI_HANDLER(h_vtop);      CLI_HANDLER(h_pte);       CLI_HANDLER(h_setpte);
CLI_HANDLER(h_invlpg);    CLI_HANDLER(h_flushtlb);  CLI_HANDLER(h_tlb);
CLI_HANDLER(h_pagemap);   CLI_HANDLER(h_view_pte);  CLI_HANDLER(h_view_vad);
CLI_HANDLER(h_view_pfn);  CLI_HANDLER(h_memusage);  CLI_HANDLER(h_maps);
CLI_HANDLER(h_status);    CLI_HANDLER(h_taskmgr);   CLI_HANDLER(h_stats);
CLI_HANDLER(h_query);     CLI_HANDLER(h_stat);      CLI_HANDLER(h_markbad);
CLI_HANDLER(h_zeropages); CLI_HANDLER(h_db);
/* cmd_share.c */
CLI_HANDLER(h_file);      CLI_HANDLER(h_filecheck); CLI_HANDLER(h_createfile);
CLI_HANDLER(h_createfilemapping); CLI_HANDLER(h_openfilemapping); CLI_HANDLER(h_mapview);
CLI_HANDLER(h_unmapview); CLI_HANDLER(h_flushview); CLI_HANDLER(h_closehandle);
CLI_HANDLER(h_getlasterror);
CLI_HANDLER(h_createprocess); CLI_HANDLER(h_loadlibrary); CLI_HANDLER(h_getmodulehandle);
CLI_HANDLER(h_getprocaddress); CLI_HANDLER(h_freelibrary);
CLI_HANDLER(h_execve); CLI_HANDLER(h_dlopen); CLI_HANDLER(h_dlclose); CLI_HANDLER(h_dlsym);
CLI_HANDLER(h_lm); CLI_HANDLER(h_vmmap); CLI_HANDLER(h_view_dh);
CLI_HANDLER(h_open);      CLI_HANDLER(h_close);     CLI_HANDLER(h_msync);
CLI_HANDLER(h_madvise);   CLI_HANDLER(h_fork);      CLI_HANDLER(h_view_ca);
CLI_HANDLER(h_smaps);     CLI_HANDLER(h_pmap);      CLI_HANDLER(h_meminfo);
CLI_HANDLER(h_free);
/* cmd_proc.c */
CLI_HANDLER(h_getprocessheap); CLI_HANDLER(h_heapcreate); CLI_HANDLER(h_heapalloc);
CLI_HANDLER(h_heaprealloc); CLI_HANDLER(h_heapsize); CLI_HANDLER(h_heapfree);
CLI_HANDLER(h_heapdestroy); CLI_HANDLER(h_createthread); CLI_HANDLER(h_malloc);
CLI_HANDLER(h_free_ptr);  CLI_HANDLER(h_realloc);   CLI_HANDLER(h_calloc);
CLI_HANDLER(h_brk);       CLI_HANDLER(h_sbrk);      CLI_HANDLER(h_view_heap);
CLI_HANDLER(h_view_peb);  CLI_HANDLER(h_view_teb);
/* `process NAME win32|posix`: the environment of kind (cmd_proc.c). */
enum rc proc_personality(struct interp *in, vml_proc *p, const char *kind, struct result *res);
/* cmd_pictures.c */
CLI_HANDLER(h_diagram);   CLI_HANDLER(h_record);    CLI_HANDLER(h_report);
/* cmd_paging.c */
CLI_HANDLER(h_setwss);    CLI_HANDLER(h_setmemprio); CLI_HANDLER(h_tick);
CLI_HANDLER(h_touch);     CLI_HANDLER(h_fill);      CLI_HANDLER(h_verify);
CLI_HANDLER(h_inject);    CLI_HANDLER(h_view_vm);   CLI_HANDLER(h_view_wsle);
CLI_HANDLER(h_vmstat);
/* cmd_replay_machine.c */
CLI_HANDLER(h_replay);

/* ------------------------------------------------------------------ */
/* script.c: running lines, files, the shell.                          */

/* Reports a line's outcome ("FILE:LINE: error: MSG (context)"); returns 1
** when the run must stop. */
int  script_report(struct interp *in, enum rc rc);
/* Prints "FILE:LINE: KIND: MSG (context)" on errout. */
void script_print_at(struct interp *in, const char *kind, const char *msg);
/* in->status = max(in->status, status). */
void script_raise_status(struct interp *in, int status);
/* Runs one line; on RC_ERROR the message is in in->err. */
enum rc script_line(struct interp *in, const char *line);
/* One line of input of the session (line number in->line): runs it, or
** adds it to the block being collected; prints an error with its place
** and context.  Returns 1 when the session must stop. */
int  script_input(struct interp *in, const char *line);
/* A command defined by def: 1 and *rc when NAME is one (the call ran),
** 0 when not. */
int  script_call(struct interp *in, const char *name, size_t argc, char **argv, enum rc *rc);
int  script_def_find(const struct interp *in, const char *name);   /* 1: a def */
/* Frees the defs and the block being collected (interp_free). */
void script_blocks_free(struct interp *in);
/* 1 while a block is being collected (the shell's prompt is "...> "). */
int  script_pending(const struct interp *in);
/* Ctrl-C in the shell: drops the block being collected. */
void script_cancel(struct interp *in);
/* The keywords of blocks (NULL-terminated) and the commands defined by
** def, for completion. */
extern const char *const script_keywords[];
size_t      script_def_count(const struct interp *in);
const char *script_def_name(const struct interp *in, size_t i);
/* The end of the input: an unfinished block is an error.  Returns the
** exit status of the session. */
int  script_input_end(struct interp *in);
/* A heap copy of s kept until interp_free (names in messages); NULL when
** out of memory. */
const char *interp_keep(struct interp *in, const char *s);
/* Runs the lines of f in the session until its end, an error (not in an
** interactive session) or quit. */
void script_stream(struct interp *in, FILE *f);
/* Runs a file ("-" = stdin) or an array of lines in a fresh state:
** returns the exit code (0, EXIT_EXPECT, EXIT_SCRIPT, EXIT_INTERNAL). */
int script_run_file(const char *path, FILE *out, FILE *errout);
/* The same with work before the first line and after the last (vmlab
** report: a recorder from the start, the report of the end); after()
** returns an exit code that can only worsen the status. */
struct run_hooks {
    void (*before)(struct interp *in, void *ctx);
    int  (*after)(struct interp *in, void *ctx);
    void *ctx;
};
int script_run_file_hooked(const char *path, FILE *out, FILE *errout,
                           const struct run_hooks *hooks);
/* trace: print each command line ("vmlab> LINE") before running it. */
int script_run_lines(const char *name, const char *const *lines, size_t n,
                     int trace, FILE *out, FILE *errout);
/* Limits of a run (the fuzz target): see max_steps, max_ram, sandbox. */
struct run_limits {
    uint64_t max_steps, max_ram;
    int      sandbox;
};
/* Runs a buffer of lines as `vmlab run -` would (the fuzz target's entry:
** nothing exits); lim may be NULL. */
int script_run_buffer(const char *name, const char *buf, size_t len, FILE *out, FILE *errout,
                      const struct run_limits *lim);
int script_shell(FILE *in, FILE *out, FILE *errout);
/* shell.c: the interactive session on a terminal (line editing, history,
** completion, Ctrl-C); returns the exit status. */
int shell_interactive(struct interp *in);

/* progress.c: Ctrl-C.  The handler only sets a flag (the CLI's one piece
** of global state); long work polls it. */
void cli_sigint_install(void);
int  cli_interrupted(void);
void cli_interrupt_clear(void);
void cli_sigint_reraise(void);

/* Long work: split it into chunks of whole library calls; after each one
** call progress_step with the units done so far.  It prints "WHAT: DONE/
** TOTAL UNIT (N%)" on a terminal's stderr (at most 5 times a second, after
** the first half second), and returns RC_ERROR ("interrupted") after
** Ctrl-C, or when the run's step budget (max_steps) is spent: stop then,
** with the machine as the finished chunks left it.  progress_end erases
** the line; call it on every way out. */
struct progress {
    const char *what, *unit;
    uint64_t    total, done;
    uint64_t    start_ms, last_ms;
    int         tty, shown;
};
void    progress_start(struct interp *in, struct progress *pg, const char *what,
                       uint64_t total, const char *unit);
enum rc progress_step(struct interp *in, struct progress *pg, uint64_t done);
void    progress_end(struct interp *in, struct progress *pg);

/* cmd_policy.c: `vmlab policy`, a replacement policy on a reference
** string (argv[1] is "policy"); returns the exit code. */
int  cmd_policy(int argc, char **argv);
void help_policy(FILE *f);

/* cmd_pictures.c: `vmlab report SCRIPT... -o FILE` (argv[1] is "report");
** returns the exit code. */
int  cmd_report(int argc, char **argv);

/* plotcsv.c: a plot read from a CSV file (report --plot FILE). */
struct csv_plot {
    vml_plot    plot;        /* points into the fields below */
    char        id[16];      /* "plot-K" */
    char       *title, *x_label, *y_label;
    vml_series *series;
    size_t      n_series;
};
/* Reads path as plot number k: 0, or -1 with err naming the file, line,
** column and problem (docs/pictures.md gives the format). */
int  csv_plot_read(const char *path, unsigned k, struct csv_plot *p, char *err, size_t size);
/* The same on text[0..len) read from a file called name. */
int  csv_plot_parse(const char *name, const char *text, size_t len, unsigned k,
                    struct csv_plot *p, char *err, size_t size);
void csv_plot_free(struct csv_plot *p);
/* The CSV line and field readers plotcsv.c and plotreplay.c share: the
** next line of [*s, end) without its "\n" and "\r" (0 at the end); the
** comma-separated fields of [b, e), at most max of them. */
int    csv_next_line(const char **s, const char *end, const char **b, const char **e);
size_t csv_split(const char *b, const char *e, const char **fb, const char **fe, size_t max);
/* Replay's --csv and --mrc --csv output as the plot's CSV in *out: 1; 0
** when text is neither; -1 out of memory (plotreplay.c). */
int  replay_csv_to_plot(const char *text, size_t len, vml_text *out);

/* tour.c */
int tour_run(FILE *out, FILE *errout);
extern const char *const tour_lines[];
extern const size_t tour_n_lines;

#endif /* VMLAB_CLI_H */
