/*
** cli.h -- the vmlab command: shared types of the scenario interpreter.
**
** The CLI links only the public API (include/vmlab.h) and libc.  There is
** no global mutable state: everything a script changes lives in a
** struct interp, one per file being run (or one for the shell).
**
** INVARIANTS:
**   C1  A command line either runs to completion or stops with a script
**       error before it changed anything that matters: handlers evaluate
**       and check every argument before the first library call.
**   C2  Every string the interpreter keeps is heap-allocated with its
**       length; no fixed buffer receives unbounded input.
**   C3  One table (commands.c) drives dispatch, `vmlab help` and
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

/* ------------------------------------------------------------------ */
/* Words of a line.                                                    */

struct words {
    char  **w;     /* each word's raw text as typed, NUL-terminated */
    size_t  n, cap;
};
void words_free(struct words *ws);

/* ------------------------------------------------------------------ */
/* Results of a command.                                               */

enum rc { RC_OK = 0, RC_ERROR, RC_FATAL };

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
    char           detail[160]; /* FAIL_STATUS: the library's message */
};
void result_reset(struct result *r);

/* ------------------------------------------------------------------ */
/* The interpreter.                                                    */

struct var {
    char        *name;   /* without the '$' */
    struct value val;
};

struct interp {
    vml_machine *m;          /* NULL until a command needs one */
    const char  *file;       /* for messages: "FILE:LINE: ..." */
    unsigned     line;
    unsigned     cpu;        /* CPU of later accesses (`cpu N`) */
    unsigned     cmd_cpu;    /* CPU of the command running (cpu=N) */
    unsigned     fmt;        /* VML_FMT_TEXT, or VML_FMT_JSON (--json) */
    int          events;     /* `events on` */
    int          quiet;      /* > 0 inside expect: no result lines */
    int          interactive;/* the shell: errors do not stop */
    int          done;       /* quit/exit seen */
    int          trace;      /* print each command line before running it */
    struct var  *vars;
    size_t       n_vars, cap_vars;
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
/* echo's words: text with $variables, (expressions) and "strings". */
enum rc expr_interpolate(struct interp *in, const char *word, vml_text *out);
int is_ident_start(int c);
int is_ident_char(int c);

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
enum rc arg_u32(struct interp *in, const char *word, const char *what, uint32_t *out);
enum rc arg_int(struct interp *in, const char *word, const char *what, int *out);
enum rc arg_value(struct interp *in, const char *word, struct value *out);
enum rc arg_proc(struct interp *in, const char *word, vml_proc **out);
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

/* Handlers (cmd_mem.c, cmd_view.c, cmd_paging.c, script.c). */
#define CLI_HANDLER(name) \
    enum rc name(struct interp *in, size_t argc, char **argv, struct result *res)
CLI_HANDLER(h_machine);   CLI_HANDLER(h_process);   CLI_HANDLER(h_terminate);
CLI_HANDLER(h_cpu);       CLI_HANDLER(h_switch);    CLI_HANDLER(h_events);
CLI_HANDLER(h_echo);      CLI_HANDLER(h_expect);    CLI_HANDLER(h_help);
CLI_HANDLER(h_quit);      CLI_HANDLER(h_check);     CLI_HANDLER(h_layout);
CLI_HANDLER(h_vars);
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
/* cmd_paging.c */
CLI_HANDLER(h_setwss);    CLI_HANDLER(h_setmemprio); CLI_HANDLER(h_tick);
CLI_HANDLER(h_touch);     CLI_HANDLER(h_fill);      CLI_HANDLER(h_verify);
CLI_HANDLER(h_inject);    CLI_HANDLER(h_view_vm);   CLI_HANDLER(h_view_wsle);
CLI_HANDLER(h_vmstat);
/* cmd_replay_machine.c */
CLI_HANDLER(h_replay);

/* ------------------------------------------------------------------ */
/* script.c: running lines, files, the shell.                          */

/* Runs one line; on RC_ERROR the message is in in->err. */
enum rc script_line(struct interp *in, const char *line);
/* Runs a file ("-" = stdin) or an array of lines in a fresh state:
** returns the exit code (0, EXIT_EXPECT, EXIT_SCRIPT, EXIT_INTERNAL). */
int script_run_file(const char *path, FILE *out, FILE *errout);
/* trace: print each command line ("vmlab> LINE") before running it. */
int script_run_lines(const char *name, const char *const *lines, size_t n,
                     int trace, FILE *out, FILE *errout);
int script_shell(FILE *in, FILE *out, FILE *errout);

/* cmd_policy.c: `vmlab policy`, a replacement policy on a reference
** string (argv[1] is "policy"); returns the exit code. */
int  cmd_policy(int argc, char **argv);
void help_policy(FILE *f);

/* tour.c */
int tour_run(FILE *out, FILE *errout);
extern const char *const tour_lines[];
extern const size_t tour_n_lines;

#endif /* VMLAB_CLI_H */
