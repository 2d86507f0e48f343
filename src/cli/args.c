/*
** args.c -- argument helpers shared by the command handlers: numbers,
** processes, CPUs, library statuses, views, events.
**
** Every helper either fills its output or sets a script error that names
** the argument ("SIZE must be a number, not a string") and returns
** RC_ERROR; none changes the machine.
*/
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

enum rc arg_value(struct interp *in, const char *word, struct value *out)
{
    return expr_eval(in, word, out);
}

enum rc arg_num(struct interp *in, const char *word, const char *what, uint64_t *out)
{
    struct value v = {0};
    enum rc rc = expr_eval(in, word, &v);

    if (rc != RC_OK)
        return rc;
    if (v.kind != VAL_NUM) {
        value_free(&v);
        return cli_error(in, "%s must be a number, not a string ('%s')", what, word);
    }
    *out = v.num;
    return RC_OK;
}

enum rc arg_count(struct interp *in, const char *word, const char *what, uint64_t *out)
{
    enum rc rc = arg_num(in, word, what, out);

    if (rc == RC_OK && *out > (uint64_t)INT64_MAX)
        return cli_error(in, "%s cannot be negative ('%s' is %lld)", what, word,
                         (long long)(int64_t)*out);
    return rc;
}

enum rc arg_size(struct interp *in, const char *word, const char *what, uint64_t *out)
{
    const char *p = word;

    while (*p == '(' || *p == ' ' || *p == '\t')
        p++;
    if (*p == '-' && p[1] != '-')
        return cli_error(in, "%s cannot be negative ('%s'; it is unsigned: the largest is "
                         "0xFFFFFFFFFFFFFFFF)", what, word);
    return arg_num(in, word, what, out);
}

enum rc arg_u32(struct interp *in, const char *word, const char *what, uint32_t *out)
{
    uint64_t v = 0;
    enum rc rc = arg_count(in, word, what, &v);          /* -1 is negative, not huge */

    if (rc != RC_OK)
        return rc;
    if (v > UINT32_MAX)
        return cli_error(in, "%s 0x%llx does not fit in 32 bits", what, (unsigned long long)v);
    *out = (uint32_t)v;
    return RC_OK;
}

enum rc arg_int(struct interp *in, const char *word, const char *what, int *out)
{
    uint64_t v = 0;
    enum rc rc = arg_num(in, word, what, &v);

    if (rc != RC_OK)
        return rc;
    if (v <= (uint64_t)INT_MAX)
        *out = (int)v;
    else if (v >= (uint64_t)0 - ((uint64_t)INT_MAX + 1))   /* -1, -2, ... */
        *out = (int)(-(int64_t)((uint64_t)0 - v));
    else
        return cli_error(in, "%s 0x%llx does not fit in an int", what, (unsigned long long)v);
    return RC_OK;
}

enum rc need_machine(struct interp *in)
{
    vml_config cfg;
    vml_status st;

    if (in->m != NULL)
        return RC_OK;
    vml_config_default(&cfg);
    if (in->max_ram != 0 && cfg.ram_bytes > in->max_ram)
        cfg.ram_bytes = in->max_ram;
    st = vml_machine_create(&cfg, &in->m);
    if (st != VML_OK) {
        in->m = NULL;
        return cli_error(in, "cannot create the default machine: %s", vml_strerror(st));
    }
    in->cpu = 0;
    events_apply(in);
    record_apply(in);
    return RC_OK;
}

enum rc arg_proc(struct interp *in, const char *word, vml_proc **out)
{
    const char *name = word;
    vml_proc *p;

    if (word[0] == '$') {
        const struct value *v = is_ident_start((unsigned char)word[1])
                                ? var_get(in, word + 1, strlen(word + 1)) : NULL;
        if (v == NULL)
            return cli_error(in, "undefined variable %s", word);
        if (v->kind != VAL_STR)
            return cli_error(in, "%s holds a number, not a process name", word);
        name = v->str;
    }
    if (need_machine(in) != RC_OK)
        return RC_ERROR;
    p = vml_proc_find(in->m, name);
    if (p == NULL)
        return cli_error(in, "no process named '%s'", name);
    *out = p;
    return RC_OK;
}

enum rc arg_cpu(struct interp *in, const char *word, unsigned *out)
{
    uint64_t v = 0;
    unsigned n;
    enum rc rc = arg_count(in, word, "CPU", &v);

    if (rc != RC_OK)
        return rc;
    if (need_machine(in) != RC_OK)
        return RC_ERROR;
    n = vml_cpu_count(in->m);
    if (v >= n)
        return cli_error(in, "there is no CPU %llu (the machine has %u: cpus=N in the machine line)",
                         (unsigned long long)v, n);
    *out = (unsigned)v;
    return RC_OK;
}

enum rc lib_status(struct interp *in, vml_status st, struct result *res)
{
    const char *msg;

    if (st == VML_OK)
        return RC_OK;
    if (st == VML_FAULTED) {          /* the access filled res->ex */
        res->fail = FAIL_EXCEPTION;
        return RC_OK;
    }
    if (st == VML_E_CORRUPT)
        return cli_fatal(in, "invariant check failed");
    res->fail = FAIL_STATUS;
    res->st = st;
    msg = in->m ? vml_last_error(in->m) : NULL;
    snprintf(res->detail, sizeof res->detail, "%s", msg ? msg : "");
    return RC_OK;
}

enum rc emit_view(struct interp *in, vml_status st, vml_text *t, struct result *res)
{
    enum rc rc = RC_OK;

    if (st == VML_OK) {
        if (t->oom)
            rc = cli_error(in, "out of memory while rendering the view");
        else if (in->quiet == 0 && t->s != NULL)
            fputs(t->s, in->out);
    } else {
        rc = lib_status(in, st, res);
    }
    vml_text_free(t);
    return rc;
}

enum rc machine_view(struct interp *in, struct result *res,
                     vml_status (*view)(vml_machine *, unsigned, vml_text *))
{
    vml_text t = {0};

    return emit_view(in, view(in->m, in->fmt, &t), &t, res);
}

enum rc proc_view(struct interp *in, const char *word, struct result *res,
                  vml_status (*view)(vml_proc *, unsigned, vml_text *))
{
    vml_proc *p;
    vml_text t = {0};

    if (arg_proc(in, word, &p))
        return RC_ERROR;
    return emit_view(in, view(p, in->fmt, &t), &t, res);
}

const char *const_name(uint64_t v, const char *prefix)
{
    size_t i, plen = strlen(prefix);
    const char *name, *group;
    uint64_t cv;

    for (i = 0; (name = vml_const_at(i, &cv, &group)) != NULL; i++)
        if (cv == v && strncmp(name, prefix, plen) == 0)
            return name;
    return NULL;
}

/* An event line is about 100 characters (numbers and one short word);
** vml_event_format() truncates to the buffer and always terminates it. */
static void on_event(void *ctx, const vml_event *ev)
{
    struct interp *in = ctx;
    char buf[256];

    vml_event_format(in->m, ev, buf, sizeof buf);
    fprintf(in->out, "  %s\n", buf);
}

void events_apply(struct interp *in)
{
    if (in->m != NULL)
        vml_set_event_handler(in->m, in->events ? on_event : NULL, in->events ? in : NULL);
}

static int valid_proc_name(const char *s)
{
    size_t i;

    if (!is_ident_char((unsigned char)s[0]) || strlen(s) > 64)
        return 0;
    for (i = 0; s[i] != '\0'; i++)
        if (!is_ident_char((unsigned char)s[i]) && s[i] != '.' && s[i] != '-')
            return 0;
    return 1;
}

/* "system" or "cpu" followed by digits */
int is_scope_word(const char *s)
{
    if (strcmp(s, "system") == 0)
        return 1;
    if (strncmp(s, "cpu", 3) != 0 || s[3] == '\0')
        return 0;
    for (s += 3; *s != '\0'; s++)
        if (*s < '0' || *s > '9')
            return 0;
    return 1;
}

enum rc arg_new_proc_name(struct interp *in, const char *word)
{
    if (!valid_proc_name(word))
        return cli_error(in, "bad process name '%s' (letters, digits, _ . -; at most 64)", word);
    if (is_scope_word(word))
        return cli_error(in, "'%s' names a counter scope; choose another process name", word);
    if (vml_proc_find(in->m, word) != NULL)
        return cli_error(in, "a process named '%s' already exists", word);
    return RC_OK;
}

/* A name argument (a file, a section): a "string", a $variable holding a
** string, or the word as typed (data.bin, Local\shm). */
enum rc arg_name(struct interp *in, const char *word, const char *what, char **out)
{
    struct value v = {0};
    if (word[0] == '"' || word[0] == '$' || word[0] == '(') {
        enum rc rc = arg_value(in, word, &v);
        if (rc != RC_OK)
            return rc;
        if (v.kind != VAL_STR) {
            value_free(&v);
            return cli_error(in, "%s must be a name, not a number ('%s')", what, word);
        }
        if (strlen(v.str) != v.len) {
            value_free(&v);
            return cli_error(in, "%s holds a NUL byte", what);
        }
        *out = v.str;            /* the caller frees it */
        return RC_OK;
    }
    if ((*out = strdup(word)) == NULL)
        return cli_error(in, "out of memory");
    return RC_OK;
}

/* A file name: as arg_name, but in a sandboxed run (the fuzz target) only
** a name inside the machine's file directory: no absolute path, no "..". */
enum rc arg_file_name(struct interp *in, const char *word, const char *what, char **out)
{
    if (arg_name(in, word, what, out) != RC_OK)
        return RC_ERROR;
    if (in->sandbox && ((*out)[0] == '/' || strstr(*out, "..") != NULL)) {
        free(*out);
        *out = NULL;
        return cli_error(in, "only files of the machine's file directory in this run (no "
                         "host files)");
    }
    return RC_OK;
}
