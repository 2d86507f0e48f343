/*
** expr.c -- words, numbers, strings and expressions of the scenario
** language.
**
** A line is split into words at blanks; blanks inside "strings" and
** inside (parentheses) do not split.  Every argument word is then an
** expression:
**
**   expr    := lor
**   lor     := land { '||' land }         precedence and associativity
**   land    := or   { '&&' or }           as in C (left to right)
**   or      := xor  { '|' xor }
**   xor     := and  { '^' and }
**   and     := eq   { '&' eq }
**   eq      := rel  { ('==' | '!=') rel }  (strings too)
**   rel     := shift { ('<' | '<=' | '>' | '>=') shift }
**   shift   := add  { ('<<' | '>>') add }
**   add     := mul  { ('+' | '-') mul }
**   mul     := unary { ('*' | '/' | '%') unary }
**   unary   := ('~' | '-' | '+' | '!') unary | primary
**   primary := NUMBER | CONSTANT | $VARIABLE | "STRING" | '(' expr ')'
**
** NUMBER is decimal (with an optional K, M, G or T size suffix: 64K), 0x
** hex or 0b binary.  Arithmetic is on unsigned 64-bit values and wraps;
** a shift by 64 or more gives 0; division by zero is an error (except on
** the side of && or || that C would not evaluate).  Comparisons give 0 or 1.
**
** INVARIANTS:
**   SCR5  Nesting (parentheses and unary operators) is bounded by
**       EXPR_MAX_DEPTH, so no input can exhaust the stack.
**   SCR6  The parser reads only up to the NUL of the text it was given.
*/
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define EXPR_MAX_DEPTH 256

int is_ident_start(int c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}

int is_ident_char(int c)
{
    return is_ident_start(c) || (c >= '0' && c <= '9');
}

int is_ident_word(const char *w)
{
    if (!is_ident_start((unsigned char)*w))
        return 0;
    for (; *w != '\0'; w++)
        if (!is_ident_char((unsigned char)*w))
            return 0;
    return 1;
}

static int is_blank(int c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* ------------------------------------------------------------------ */
/* Strings                                                             */

enum rc str_escape(struct interp *in, const char **pp, char *c)
{
    const char *p = *pp + 1;            /* past the backslash */

    switch (*p) {
    case '\\': *c = '\\'; break;
    case '"':  *c = '"';  break;
    case '\'': *c = '\''; break;
    case 'n':  *c = '\n'; break;
    case 't':  *c = '\t'; break;
    case 'r':  *c = '\r'; break;
    case '0':  *c = '\0'; break;
    case 'x': {
        int hi = hexval((unsigned char)p[1]), lo;
        if (hi < 0)
            return cli_error(in, "\\x in a string needs hex digits (\\x41)");
        lo = hexval((unsigned char)p[2]);
        if (lo >= 0) {
            *c = (char)(hi * 16 + lo);
            p += 2;
        } else {
            *c = (char)hi;
            p += 1;
        }
        break;
    }
    case '\0':
        return cli_error(in, "unterminated string");
    default:
        return cli_error(in, "unknown escape '\\%c' in a string (use \\\\ \\n \\t \\\" \\xNN)",
                         *p);
    }
    *pp = p + 1;
    return RC_OK;
}

enum rc str_literal(struct interp *in, const char *s, const char **end, vml_text *out)
{
    const char *p = s + 1;

    while (*p != '"') {
        char c;
        if (*p == '\0')
            return cli_error(in, "unterminated string");
        if (*p != '\\') {
            vml_text_append(out, p++, 1);
            continue;
        }
        if (str_escape(in, &p, &c) != RC_OK)
            return RC_ERROR;
        vml_text_append(out, &c, 1);
    }
    *end = p + 1;
    if (out->oom)
        return cli_error(in, "out of memory");
    return RC_OK;
}

/* Skips a "string" starting at s[0] == '"'; NULL when unterminated. */
static const char *skip_string(const char *s)
{
    const char *p = s + 1;

    while (*p != '"') {
        if (*p == '\0')
            return NULL;
        if (*p == '\\') {
            if (p[1] == '\0')
                return NULL;
            p++;
        }
        p++;
    }
    return p + 1;
}

/* Skips a (group) starting at s[0] == '('; sets an error when unbalanced. */
const char *expr_skip_group(struct interp *in, const char *s)
{
    const char *p = s;
    size_t depth = 0;

    for (;;) {
        if (*p == '\0') {
            cli_error(in, "missing ')': parentheses do not balance");
            return NULL;
        }
        if (*p == '"') {
            p = skip_string(p);
            if (p == NULL) {
                cli_error(in, "unterminated string");
                return NULL;
            }
            continue;
        }
        if (*p == '(')
            depth++;
        else if (*p == ')' && --depth == 0)
            return p + 1;
        p++;
    }
}

/* ------------------------------------------------------------------ */
/* Words                                                               */

enum rc words_split(struct interp *in, const char *line, struct words *out)
{
    const char *p = line;

    out->n = 0;
    for (;;) {
        const char *start;
        char *w;
        size_t len;

        while (is_blank((unsigned char)*p))
            p++;
        if (*p == '\0' || *p == '#')
            return RC_OK;
        start = p;
        while (*p != '\0' && !is_blank((unsigned char)*p)) {
            if (*p == '"') {
                p = skip_string(p);
                if (p == NULL)
                    return cli_error(in, "unterminated string");
            } else if (*p == '(') {
                p = expr_skip_group(in, p);
                if (p == NULL)
                    return RC_ERROR;
            } else if (*p == ')') {
                return cli_error(in, "unexpected ')': parentheses do not balance");
            } else {
                p++;
            }
        }
        len = (size_t)(p - start);
        if (out->n == out->cap) {
            size_t cap = out->cap ? out->cap * 2 : 8;
            char **nw = realloc(out->w, cap * sizeof *nw);
            if (nw == NULL)
                return cli_error(in, "out of memory");
            out->w = nw;
            out->cap = cap;
        }
        w = malloc(len + 1);
        if (w == NULL)
            return cli_error(in, "out of memory");
        memcpy(w, start, len);
        w[len] = '\0';
        out->w[out->n++] = w;
    }
}

/* ------------------------------------------------------------------ */
/* Numbers                                                             */

/* 0 and *out, or -1 (not a number) or -2 (does not fit in 64 bits). */
static int parse_number(const char *s, size_t n, uint64_t *out)
{
    uint64_t v = 0, mult = 1;
    unsigned base = 10;
    size_t i = 0;

    if (n == 0)
        return -1;
    if (n > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        base = 16;
        i = 2;
    } else if (n > 2 && s[0] == '0' && (s[1] == 'b' || s[1] == 'B')) {
        base = 2;
        i = 2;
    } else {
        switch (s[n - 1]) {
        case 'K': case 'k': mult = 1ull << 10; n--; break;
        case 'M': case 'm': mult = 1ull << 20; n--; break;
        case 'G': case 'g': mult = 1ull << 30; n--; break;
        case 'T': case 't': mult = 1ull << 40; n--; break;
        default: break;
        }
        if (n == 0)
            return -1;
    }
    for (; i < n; i++) {
        int d = hexval((unsigned char)s[i]);
        if (d < 0 || (unsigned)d >= base)
            return -1;
        if (v > (UINT64_MAX - (unsigned)d) / base)
            return -2;
        v = v * base + (unsigned)d;
    }
    if (mult > 1 && v > UINT64_MAX / mult)
        return -2;
    *out = v * mult;
    return 0;
}

/* ------------------------------------------------------------------ */
/* Expressions                                                         */

struct px {
    struct interp *in;
    const char    *text;   /* the whole expression, for messages */
    const char    *p;
    int            depth;
    int            noeval;  /* > 0: inside the unevaluated side of && || */
};

static void px_skip(struct px *x)
{
    while (is_blank((unsigned char)*x->p))
        x->p++;
}

static enum rc px_error_at(struct px *x, const char *what)
{
    if (*x->p == '\0')
        return cli_error(x->in, "expected %s at the end of '%s'", what, x->text);
    return cli_error(x->in, "expected %s at '%s' in '%s'", what, x->p, x->text);
}

static enum rc px_expr(struct px *x, int min_prec, struct value *out);

static enum rc px_primary(struct px *x, struct value *out)
{
    const char *start;
    enum rc rc;

    px_skip(x);
    start = x->p;
    if (*x->p == '(') {
        x->p++;
        rc = px_expr(x, 1, out);
        if (rc != RC_OK)
            return rc;
        px_skip(x);
        if (*x->p != ')') {
            value_free(out);
            return px_error_at(x, "an operator or ')'");
        }
        x->p++;
        return RC_OK;
    }
    if (*x->p == '$') {
        const struct value *v;
        x->p++;
        if (!is_ident_start((unsigned char)*x->p))
            return px_error_at(x, "a variable name after '$'");
        start = x->p;
        while (is_ident_char((unsigned char)*x->p))
            x->p++;
        v = var_get(x->in, start, (size_t)(x->p - start));
        if (v == NULL && x->noeval > 0) {
            value_set_num(out, 0);
            return RC_OK;
        }
        if (v == NULL)
            return cli_error(x->in, "undefined variable $%.*s", (int)(x->p - start), start);
        if (value_copy(out, v) != 0)
            return cli_error(x->in, "out of memory");
        return RC_OK;
    }
    if (*x->p == '"') {
        vml_text b = {0};
        rc = str_literal(x->in, x->p, &x->p, &b);
        if (rc == RC_OK && value_set_str(out, sb_str(&b), b.len) != 0)
            rc = cli_error(x->in, "out of memory");
        vml_text_free(&b);
        return rc;
    }
    if (isdigit((unsigned char)*x->p)) {
        uint64_t v;
        int r;
        while (is_ident_char((unsigned char)*x->p))
            x->p++;
        r = parse_number(start, (size_t)(x->p - start), &v);
        if (r == -1)
            return cli_error(x->in, "%.*s is not a number", (int)(x->p - start), start);
        if (r == -2)
            return cli_error(x->in, "%.*s does not fit in 64 bits", (int)(x->p - start), start);
        value_set_num(out, v);
        return RC_OK;
    }
    if (is_ident_start((unsigned char)*x->p)) {
        char name[128];
        uint64_t v;
        size_t len;
        while (is_ident_char((unsigned char)*x->p))
            x->p++;
        len = (size_t)(x->p - start);
        if (len >= sizeof name)
            return cli_error(x->in, "unknown constant '%.*s'", (int)len, start);
        memcpy(name, start, len);
        name[len] = '\0';
        if (vml_const_lookup(name, &v) != VML_OK) {
            const char *guess = cli_suggest_const(name);
            if (guess != NULL)
                return cli_error(x->in, "unknown constant '%s' (did you mean %s?)", name, guess);
            return cli_error(x->in, "unknown constant '%s' (vmlab help constants lists them)",
                             name);
        }
        value_set_num(out, v);
        return RC_OK;
    }
    return px_error_at(x, "a number, constant, $variable, \"string\" or '('");
}

static enum rc px_unary(struct px *x, struct value *out)
{
    char op;
    enum rc rc;

    px_skip(x);
    op = *x->p;
    if ((op != '~' && op != '-' && op != '+' && op != '!') || (op == '!' && x->p[1] == '='))
        return px_primary(x, out);
    if (++x->depth > EXPR_MAX_DEPTH)
        return cli_error(x->in, "expression nested too deeply");
    x->p++;
    rc = px_unary(x, out);
    x->depth--;
    if (rc != RC_OK)
        return rc;
    if (out->kind != VAL_NUM) {
        value_free(out);
        return cli_error(x->in, "a string cannot be used with '%c' in '%s'", op, x->text);
    }
    if (op == '~')
        out->num = ~out->num;
    else if (op == '!')
        out->num = !out->num;
    else if (op == '-')
        out->num = (uint64_t)0 - out->num;
    return RC_OK;
}

/* Binary operators, by C precedence (higher binds tighter). */
enum binop {
    OP_NONE, OP_OROR, OP_ANDAND, OP_OR, OP_XOR, OP_AND, OP_EQ, OP_NE,
    OP_LT, OP_LE, OP_GT, OP_GE, OP_SHL, OP_SHR, OP_ADD, OP_SUB,
    OP_MUL, OP_DIV, OP_MOD
};

/* The binary operator at p: its precedence (0 = none), kind and length. */
static int px_binop(const char *p, enum binop *op, size_t *len)
{
    *len = 1;
    switch (p[0]) {
    case '|':
        if (p[1] == '|') { *len = 2; *op = OP_OROR; return 1; }
        *op = OP_OR; return 3;
    case '&':
        if (p[1] == '&') { *len = 2; *op = OP_ANDAND; return 2; }
        *op = OP_AND; return 5;
    case '^': *op = OP_XOR; return 4;
    case '=':
        if (p[1] == '=') { *len = 2; *op = OP_EQ; return 6; }
        return 0;
    case '!':
        if (p[1] == '=') { *len = 2; *op = OP_NE; return 6; }
        return 0;
    case '<':
        if (p[1] == '<') { *len = 2; *op = OP_SHL; return 8; }
        if (p[1] == '=') { *len = 2; *op = OP_LE; return 7; }
        *op = OP_LT; return 7;
    case '>':
        if (p[1] == '>') { *len = 2; *op = OP_SHR; return 8; }
        if (p[1] == '=') { *len = 2; *op = OP_GE; return 7; }
        *op = OP_GT; return 7;
    case '+': *op = OP_ADD; return 9;
    case '-': *op = OP_SUB; return 9;
    case '*': *op = OP_MUL; return 10;
    case '/': *op = OP_DIV; return 10;
    case '%': *op = OP_MOD; return 10;
    default: return 0;
    }
}

static enum rc px_apply(struct px *x, enum binop op, uint64_t a, uint64_t b, uint64_t *out)
{
    switch (op) {
    case OP_OROR:   *out = a || b; break;
    case OP_ANDAND: *out = a && b; break;
    case OP_OR:     *out = a | b; break;
    case OP_XOR:    *out = a ^ b; break;
    case OP_AND:    *out = a & b; break;
    case OP_EQ:     *out = a == b; break;
    case OP_NE:     *out = a != b; break;
    case OP_LT:     *out = a < b; break;
    case OP_LE:     *out = a <= b; break;
    case OP_GT:     *out = a > b; break;
    case OP_GE:     *out = a >= b; break;
    case OP_SHL:    *out = b >= 64 ? 0 : a << b; break;
    case OP_SHR:    *out = b >= 64 ? 0 : a >> b; break;
    case OP_ADD:    *out = a + b; break;
    case OP_SUB:    *out = a - b; break;
    case OP_MUL:    *out = a * b; break;
    case OP_DIV:
    case OP_MOD:
        if (b == 0) {
            if (x->noeval > 0) {      /* the unevaluated side of && or || */
                *out = 0;
                break;
            }
            return cli_error(x->in, "division by zero in '%s'", x->text);
        }
        *out = op == OP_DIV ? a / b : a % b;
        break;
    case OP_NONE:
    default:
        return cli_error(x->in, "unknown operator in '%s'", x->text);
    }
    return RC_OK;
}

/* == and != also compare strings. */
static int px_str_compare(enum binop op, const struct value *a, const struct value *b,
                          uint64_t *out)
{
    int eq;

    if ((op != OP_EQ && op != OP_NE) || a->kind != VAL_STR || b->kind != VAL_STR)
        return 0;
    eq = a->len == b->len && (a->len == 0 || memcmp(a->str, b->str, a->len) == 0);
    *out = op == OP_EQ ? (uint64_t)eq : (uint64_t)!eq;
    return 1;
}

static enum rc px_expr(struct px *x, int min_prec, struct value *out)
{
    enum rc rc;

    if (++x->depth > EXPR_MAX_DEPTH)
        return cli_error(x->in, "expression nested too deeply");
    rc = px_unary(x, out);
    while (rc == RC_OK) {
        struct value rhs = {0};
        const char *op_at;
        enum binop op = OP_NONE;
        size_t len;
        uint64_t cmp = 0;
        int prec, skip;

        px_skip(x);
        op_at = x->p;
        prec = px_binop(x->p, &op, &len);
        if (prec == 0 || prec < min_prec)
            break;
        x->p += len;
        /* C's short circuit: the right side of 0 && ... or 1 || ... is
        ** parsed but not evaluated (no division-by-zero error there). */
        skip = out->kind == VAL_NUM && ((op == OP_ANDAND && out->num == 0) ||
                                        (op == OP_OROR && out->num != 0));
        x->noeval += skip;
        rc = px_expr(x, prec + 1, &rhs);
        x->noeval -= skip;
        if (rc != RC_OK)
            break;
        if (px_str_compare(op, out, &rhs, &cmp)) {
            value_free(&rhs);
            value_set_num(out, cmp);
            continue;
        }
        if (out->kind != VAL_NUM || rhs.kind != VAL_NUM) {
            value_free(&rhs);
            rc = cli_error(x->in, "a string cannot be used with '%.*s' in '%s'",
                           (int)len, op_at, x->text);
            break;
        }
        rc = px_apply(x, op, out->num, rhs.num, &out->num);
    }
    if (rc != RC_OK)
        value_free(out);
    x->depth--;
    return rc;
}

enum rc expr_eval(struct interp *in, const char *text, struct value *out)
{
    struct px x;
    enum rc rc;

    x.in = in;
    x.text = text;
    x.p = text;
    x.depth = 0;
    x.noeval = 0;
    value_free(out);
    rc = px_expr(&x, 1, out);
    if (rc != RC_OK) {
        size_t n = strlen(text);
        if (rc == RC_ERROR && n > 0 && (strchr("|&^*/%<>=", text[0]) != NULL ||
                                        strchr("|&^+-*/%<>=!~", text[n - 1]) != NULL)) {
            vml_text msg = {0};
            vml_text_printf(&msg, "%s", sb_str(&in->err));
            cli_error(in, "%s (did blanks split an expression? write A|B without blanks, or "
                      "(A | B))", sb_str(&msg));
            vml_text_free(&msg);
        }
        return rc;
    }
    px_skip(&x);
    if (*x.p != '\0') {
        value_free(out);
        if (*x.p == ')')
            return cli_error(in, "unexpected ')' in '%s'", text);
        return cli_error(in, "unexpected '%s' in '%s' (an operator was expected)", x.p, text);
    }
    return RC_OK;
}
