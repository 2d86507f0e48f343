/*
** expect.c -- the expect command: an assertion about a command's value,
** its failure (and the reason), or an expression.
**
** A failed expect is not a script error: it prints "FILE:LINE: expect
** failed: expected X, got Y" (with the blocks around the line) and the
** run goes on; the exit status becomes at least EXIT_EXPECT.
*/
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* ------------------------------------------------------------------ */
/* expect                                                              */

enum rkind { RK_NTSTATUS, RK_SICODE, RK_AV, RK_WIN32, RK_ERRNO, RK_STATUS };

struct reason {
    enum rkind kind;
    uint64_t   code;
    int        signo;    /* RK_SICODE: SIGSEGV or SIGBUS */
};

static const struct { const char *name; vml_status st; } status_names[] = {
#define X_STATUS(name, value, text) { #name, name },
    VML_STATUS_LIST(X_STATUS)
#undef X_STATUS
};

static int name_is(const char *word, const char *full, const char *prefix)
{
    size_t n = strlen(prefix);

    return strcmp(word, full) == 0 ||
           (strncmp(full, prefix, n) == 0 && strcmp(word, full + n) == 0);
}

static enum rc reason_set(struct reason *r, enum rkind kind, uint64_t code, int signo)
{
    r->kind = kind;
    r->code = code;
    r->signo = signo;
    return RC_OK;
}

/* The REASON of expect ... fails REASON: two bare NTSTATUS names, a
** vmlab status, an exception reason, then the constant table's names
** (ERROR_*, STATUS_*, SEGV_*, BUS_*, errno). */
static enum rc parse_reason(struct interp *in, const char *w, struct reason *r)
{
    size_t i;
    uint64_t v;

    if (strcmp(w, "ACCESS_VIOLATION") == 0)
        return reason_set(r, RK_NTSTATUS, VML_STATUS_ACCESS_VIOLATION, 0);
    if (strcmp(w, "GUARD_PAGE_VIOLATION") == 0)
        return reason_set(r, RK_NTSTATUS, VML_STATUS_GUARD_PAGE_VIOLATION, 0);
    for (i = 0; i < sizeof status_names / sizeof status_names[0]; i++)
        if (status_names[i].st < 0 && name_is(w, status_names[i].name, "VML_E_"))
            return reason_set(r, RK_STATUS, (uint64_t)(int64_t)status_names[i].st, 0);
    for (i = 1; i < VML_N_AV_REASONS; i++)
        if (name_is(w, vml_av_reason_name((vml_av_reason)i), "VML_AV_"))
            return reason_set(r, RK_AV, i, 0);
    if (vml_const_lookup(w, &v) == VML_OK) {
        if (strncmp(w, "ERROR_", 6) == 0)
            return reason_set(r, RK_WIN32, v, 0);
        if (strncmp(w, "STATUS_", 7) == 0)
            return reason_set(r, RK_NTSTATUS, v, 0);
        if (strncmp(w, "SEGV_", 5) == 0)
            return reason_set(r, RK_SICODE, v, VML_SIGSEGV);
        if (strncmp(w, "BUS_", 4) == 0)
            return reason_set(r, RK_SICODE, v, VML_SIGBUS);
        if (w[0] == 'E')
            return reason_set(r, RK_ERRNO, v, 0);
    }
    return cli_error(in, "unknown failure reason '%s' (ACCESS_VIOLATION, GUARD_PAGE_VIOLATION, "
                     "STATUS_IN_PAGE_ERROR, SEGV_MAPERR, SEGV_ACCERR, BUS_ADRERR, an ERROR_* or "
                     "errno name, or a status like NOT_PRESENT)", w);
}

static int reason_matches(const struct reason *r, const struct result *res)
{
    switch (r->kind) {
    case RK_NTSTATUS:
        return res->fail == FAIL_EXCEPTION && res->ex.ntstatus == r->code;
    case RK_SICODE:
        return res->fail == FAIL_EXCEPTION && res->ex.signo == r->signo &&
               (uint64_t)(int64_t)res->ex.si_code == r->code;
    case RK_AV:
        return res->fail == FAIL_EXCEPTION && (uint64_t)res->ex.reason == r->code;
    case RK_WIN32:
        return res->fail == FAIL_WIN32 && res->win32 == r->code;
    case RK_ERRNO:
        return res->fail == FAIL_ERRNO && (uint64_t)(int64_t)res->err == r->code;
    case RK_STATUS:
        return res->fail == FAIL_STATUS && (uint64_t)(int64_t)res->st == r->code;
    }
    return 0;
}

static int is_op(const char *w)
{
    return strcmp(w, "==") == 0 || strcmp(w, "!=") == 0 || strcmp(w, "<") == 0 ||
           strcmp(w, "<=") == 0 || strcmp(w, ">") == 0 || strcmp(w, ">=") == 0;
}

static int all_digits(const char *w)
{
    if (*w == '\0')
        return 0;
    for (; *w != '\0'; w++)
        if (*w < '0' || *w > '9')
            return 0;
    return 1;
}

/* a OP b: 1 holds, 0 does not, -1 cannot compare (string vs number). */
static int compare(const struct value *a, const char *op, const struct value *b)
{
    int c;

    if (a->kind != b->kind || a->kind == VAL_NONE)
        return -1;
    if (a->kind == VAL_NUM) {
        c = a->num < b->num ? -1 : a->num > b->num;
    } else {
        size_t n = a->len < b->len ? a->len : b->len;
        c = n ? memcmp(a->str, b->str, n) : 0;
        if (c == 0)
            c = a->len < b->len ? -1 : a->len > b->len;
    }
    if (strcmp(op, "==") == 0) return c == 0;
    if (strcmp(op, "!=") == 0) return c != 0;
    if (strcmp(op, "<") == 0)  return c < 0;
    if (strcmp(op, "<=") == 0) return c <= 0;
    if (strcmp(op, ">") == 0)  return c > 0;
    return c >= 0;
}

static void describe_got(vml_text *b, const struct result *r, int decimal)
{
    if (r->fail != FAIL_NONE) {
        sb_failure(b, r);
        return;
    }
    if (r->val.kind == VAL_NONE) {
        vml_text_printf(b, "success");
        return;
    }
    sb_value(b, &r->val, 1);
    if (r->val.kind == VAL_NUM && decimal && r->val.num >= 10)
        vml_text_printf(b, " (%llu)", (unsigned long long)r->val.num);
    else if (r->note[0] != '\0')
        vml_text_printf(b, " (%s)", r->note);
}

static void expect_failed(struct interp *in, const vml_text *want, const vml_text *got)
{
    vml_text b = {0};

    vml_text_printf(&b, "expected %s, got %s", sb_str(want), sb_str(got));
    script_print_at(in, "expect failed", sb_str(&b));
    vml_text_free(&b);
    script_raise_status(in, EXIT_EXPECT);
}

CLI_HANDLER(h_expect)
{
    enum { M_SUCCEED, M_CMP, M_FAILS } mode = M_SUCCEED;
    size_t nbody = argc;
    const char *op = NULL, *want_word = NULL;
    struct reason reason = { RK_NTSTATUS, 0, 0 };
    int has_reason = 0, held, decimal;
    struct value want = {0};
    struct result got;
    vml_text wb = {0}, gb = {0};
    const struct cmd *c;
    enum rc rc;

    (void)res;
    if (strcmp(argv[argc - 1], "fails") == 0) {
        mode = M_FAILS;
        nbody = argc - 1;
    } else if (argc >= 2 && strcmp(argv[argc - 2], "fails") == 0) {
        mode = M_FAILS;
        has_reason = 1;
        nbody = argc - 2;
    } else if (argc >= 3 && is_op(argv[argc - 2])) {
        mode = M_CMP;
        op = argv[argc - 2];
        want_word = argv[argc - 1];
        nbody = argc - 2;
    } else if (is_op(argv[argc - 1])) {
        return cli_error(in, "expect: a VALUE must follow '%s'", argv[argc - 1]);
    }
    if (nbody == 0)
        return cli_error(in, "expect needs a COMMAND or an (EXPRESSION) first");
    if (has_reason && parse_reason(in, argv[argc - 1], &reason) != RC_OK)
        return RC_ERROR;
    if (want_word != NULL && arg_value(in, want_word, &want) != RC_OK)
        return RC_ERROR;

    memset(&got, 0, sizeof got);
    c = cmd_find(argv[0]);
    if (c != NULL) {
        if (c->fn == h_expect || c->fn == h_quit || c->fn == h_machine || c->fn == h_source) {
            value_free(&want);
            return cli_error(in, "expect cannot run '%s'", argv[0]);
        }
        if (mode == M_CMP && !(c->flags & CMD_VALUE)) {
            value_free(&want);
            return cli_error(in, "%s gives no value to compare (expect %s ... fails, or "
                             "expect %s ... alone for success)", c->name, c->name, c->name);
        }
        in->quiet++;
        rc = cmd_run(in, c, nbody - 1, argv + 1, &got);
        in->quiet--;
    } else if (script_def_find(in, argv[0])) {
        rc = cli_error(in, "expect cannot run the def '%s' (expect the commands inside it)",
                       argv[0]);
    } else {
        if (nbody > 1)
            rc = is_ident_word(argv[0]) ? cli_error(in, "unknown command '%s'", argv[0])
                 : cli_error(in, "expect (EXPRESSION) takes one expression: put it in "
                             "parentheses");
        else if (mode == M_FAILS)
            rc = cli_error(in, "an expression cannot fail: 'fails' needs a command");
        else
            rc = arg_value(in, argv[0], &got.val);
    }
    if (rc != RC_OK) {
        value_free(&want);
        result_reset(&got);
        return rc;
    }

    decimal = want_word != NULL && all_digits(want_word);
    switch (mode) {
    case M_SUCCEED:
        held = got.fail == FAIL_NONE &&
               (c != NULL || (got.val.kind == VAL_NUM ? got.val.num != 0 : got.val.len != 0));
        vml_text_printf(&wb, c != NULL ? "success" : "a non-zero value");
        break;
    case M_FAILS:
        held = got.fail != FAIL_NONE && (!has_reason || reason_matches(&reason, &got));
        vml_text_printf(&wb, "failure%s%s", has_reason ? " " : "", has_reason ? argv[argc - 1] : "");
        break;
    case M_CMP:
    default:
        if (got.fail != FAIL_NONE) {
            held = 0;
        } else if (got.val.kind == VAL_NONE) {
            held = 0;
        } else {
            held = compare(&got.val, op, &want);
            if (held < 0) {
                rc = cli_error(in, "expect: cannot compare a %s with a %s",
                               got.val.kind == VAL_STR ? "string" : "number",
                               want.kind == VAL_STR ? "string" : "number");
                break;
            }
        }
        if (strcmp(op, "==") != 0)
            vml_text_printf(&wb, "%s ", op);
        sb_value(&wb, &want, 1);
        if (want.kind == VAL_NUM && is_ident_word(want_word))
            vml_text_printf(&wb, " (%s)", want_word);
        else if (want.kind == VAL_NUM && decimal && want.num >= 10)
            vml_text_printf(&wb, " (%llu)", (unsigned long long)want.num);
        break;
    }
    if (rc == RC_OK && !held) {
        describe_got(&gb, &got, decimal);
        expect_failed(in, &wb, &gb);
    }
    vml_text_free(&wb);
    vml_text_free(&gb);
    value_free(&want);
    result_reset(&got);
    return rc;
}

