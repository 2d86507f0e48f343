/*
** shell.c -- `vmlab shell` on a terminal: line editing, history kept across
** sessions, tab completion, Ctrl-C and Ctrl-D.
**
** The editor is libedit (Debian libedit-dev), through its own histedit.h
** interface rather than its readline emulation: it is BSD-licensed (GNU
** readline's GPL would bind every program that ships the vmlab binary),
** it is the line editor of the BSDs and macOS, and its interface passes a
** client pointer to every callback (EL_CLIENTDATA), so completion reaches
** the session's processes and variables without a global variable.
**
** Keys are libedit's emacs bindings (and ~/.editrc); on top of them:
**   Tab      completes the word at the cursor: the first word from the
**            commands, keywords and defs; $words from the variables;
**            others from the process names, constants and keywords of
**            arguments (system, cpuN, u8 ... , on, off); help's argument
**            from the commands and help topics.  One match is inserted,
**            several are listed.  A completed command or name gets a
**            blank after it; a constant or $variable does not (an
**            operator may follow: MEM_RESERVE|MEM_COMMIT).
**   Ctrl-C   cancels the line being typed (and a command that is running:
**            see progress.c); the machine and variables stay.
**   Ctrl-D   on an empty line leaves, as quit does.
**
** History: the file named by $VMLAB_HISTORY (empty: no file), else
** $XDG_STATE_HOME/vmlab/history when XDG_STATE_HOME is set, else
** ~/.vmlab_history; the last HISTORY_LINES distinct lines, saved after
** every line (a killed session loses nothing).
**
** INVARIANTS:
**   CLI6  The terminal is in the editor's mode only inside el_gets: the
**         output of a command is never written in raw mode.
*/
#include <errno.h>
#include <histedit.h>
#include <limits.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <wchar.h>

#include "cli.h"

#define HISTORY_LINES 1000

struct shell {
    struct interp *in;
    EditLine      *el;
    History       *hist;
    char          *hist_path;     /* NULL: no history file */
    int            fd;            /* the terminal we read */
};

/* ------------------------------------------------------------------ */
/* History file                                                        */

static char *path_join(const char *dir, const char *name)
{
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = malloc(n);

    if (p != NULL)
        snprintf(p, n, "%s/%s", dir, name);
    return p;
}

/* The history file's path (heap), or NULL for none. */
static char *history_path(void)
{
    const char *env = getenv("VMLAB_HISTORY");
    const char *state = getenv("XDG_STATE_HOME");
    const char *home = getenv("HOME");
    char *dir, *path;

    if (env != NULL)
        return env[0] != '\0' ? strdup(env) : NULL;
    if (state != NULL && state[0] == '/') {
        dir = path_join(state, "vmlab");
        if (dir == NULL)
            return NULL;
        /* XDG: "If the directory does not exist, it should be created
        ** with permissions 0700"; either may exist already. */
        (void)mkdir(state, 0700);
        (void)mkdir(dir, 0700);
        path = path_join(dir, "history");
        free(dir);
        return path;
    }
    if (home != NULL && home[0] != '\0')
        return path_join(home, ".vmlab_history");
    return NULL;
}

/* ------------------------------------------------------------------ */
/* Reading keys: Ctrl-C interrupts the read                           */

/* libedit's own reader retries a read interrupted by a signal; this one
** gives up when the signal was Ctrl-C, so el_gets returns and the line is
** dropped.  Bytes are decoded in the locale's encoding (UTF-8 usually). */
static int shell_getc(EditLine *el, wchar_t *wc)
{
    struct shell *sh;
    mbstate_t ps;

    el_get(el, EL_CLIENTDATA, &sh);
    memset(&ps, 0, sizeof ps);
    for (;;) {
        char c;
        ssize_t r;
        size_t k;

        if (cli_interrupted())          /* pressed before the editor read */
            return -1;
        r = read(sh->fd, &c, 1);
        if (r < 0 && errno == EINTR) {
            if (cli_interrupted())
                return -1;
            continue;
        }
        if (r <= 0)
            return r == 0 ? 0 : -1;
        k = mbrtowc(wc, &c, 1, &ps);
        if (k == (size_t)-2)
            continue;                      /* more bytes of one character */
        if (k == (size_t)-1) {
            memset(&ps, 0, sizeof ps);     /* not the locale's encoding: */
            *wc = (wchar_t)(unsigned char)c;   /* the byte as it is */
        }
        return 1;
    }
}

static char *shell_prompt(EditLine *el)
{
    struct shell *sh;

    el_get(el, EL_CLIENTDATA, &sh);
    return (char *)(script_pending(sh->in) ? "...> " : "vmlab> ");
}

/* ------------------------------------------------------------------ */
/* Completion                                                          */

struct cands {
    char  **v;
    size_t  n, cap;
    const char *prefix;      /* only words starting with it are kept */
    size_t  plen;
};

static void cand_add(struct cands *c, const char *word)
{
    size_t i;

    if (word == NULL || strncmp(word, c->prefix, c->plen) != 0)
        return;
    for (i = 0; i < c->n; i++)
        if (strcmp(c->v[i], word) == 0)
            return;
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 64;
        char **nv = realloc(c->v, cap * sizeof *nv);
        if (nv == NULL)
            return;
        c->v = nv;
        c->cap = cap;
    }
    if ((c->v[c->n] = strdup(word)) != NULL)
        c->n++;
}

static void cands_free(struct cands *c)
{
    size_t i;

    for (i = 0; i < c->n; i++)
        free(c->v[i]);
    free(c->v);
}

static void add_commands(struct cands *c, const struct interp *in)
{
    size_t i;

    for (i = 0; i < cmd_count(); i++) {
        cand_add(c, cmd_at(i)->name);
        cand_add(c, cmd_at(i)->alias);
    }
    for (i = 0; script_keywords[i] != NULL; i++)
        cand_add(c, script_keywords[i]);
    for (i = 0; i < script_def_count(in); i++)
        cand_add(c, script_def_name(in, i));
}

static void add_arguments(struct cands *c, struct interp *in, const char *first)
{
    static const char *const words[] = {
        "system", "u8", "u16", "u32", "u64", "str", "on", "off", "all", "r", "w",
        "--json", "fails", "in", "step", "else", NULL,
    };
    const char *name, *group;
    uint64_t v;
    size_t i;

    if (strcmp(first, "help") == 0) {
        static const char *const topics[] = {
            "expressions", "expect", "stat", "constants", "policy", "scripting", NULL,
        };
        add_commands(c, in);
        for (i = 0; topics[i] != NULL; i++)
            cand_add(c, topics[i]);
        return;
    }
    if (in->m != NULL) {
        char cpu[16];
        for (i = 0; i < vml_proc_count(in->m); i++)
            cand_add(c, vml_proc_name(vml_proc_at(in->m, i)));
        for (i = 0; i < vml_cpu_count(in->m); i++) {
            snprintf(cpu, sizeof cpu, "cpu%zu", i);
            cand_add(c, cpu);
        }
    }
    for (i = 0; words[i] != NULL; i++)
        cand_add(c, words[i]);
    for (i = 0; (name = vml_const_at(i, &v, &group)) != NULL; i++)
        cand_add(c, name);
    if (strcmp(first, "expect") == 0)   /* expect COMMAND ... */
        add_commands(c, in);
}

static void add_variables(struct cands *c, const struct interp *in)
{
    size_t i;

    for (i = 0; i < in->n_vars; i++) {
        char *w = malloc(strlen(in->vars[i].name) + 2);
        if (w == NULL)
            return;
        w[0] = '$';
        strcpy(w + 1, in->vars[i].name);
        cand_add(c, w);
        free(w);
    }
}

/* Characters that end a word being completed: blanks, and the operators
** of expressions (MEM_RESERVE|MEM_CO completes MEM_CO). */
static int breaks_word(char ch)
{
    return ch == ' ' || ch == '\t' || strchr("|&+-*/%()<>=!~^,\"", ch) != NULL;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Prints the candidates in columns under the line being edited. */
static void list_cands(FILE *out, struct cands *c)
{
    struct winsize ws;
    size_t i, width = 0, cols, rows, r;

    qsort(c->v, c->n, sizeof *c->v, by_name);
    for (i = 0; i < c->n; i++)
        if (strlen(c->v[i]) > width)
            width = strlen(c->v[i]);
    width += 2;
    cols = 80;
    if (ioctl(fileno(out), TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
        cols = ws.ws_col;
    cols = cols / width ? cols / width : 1;
    rows = (c->n + cols - 1) / cols;
    fputc('\n', out);
    for (r = 0; r < rows; r++) {
        for (i = r; i < c->n; i += rows)
            fprintf(out, "%-*s", (int)width, c->v[i]);
        fputc('\n', out);
    }
}

static unsigned char shell_complete(EditLine *el, int ch)
{
    struct shell *sh;
    const LineInfo *li = el_line(el);
    const char *start = li->cursor, *wstart, *p;
    char first[64] = "";
    size_t n_before = 0, common, i;
    struct cands c;
    unsigned char ret = CC_REFRESH;

    (void)ch;
    el_get(el, EL_CLIENTDATA, &sh);
    while (start > li->buffer && !breaks_word(start[-1]))
        start--;
    if (start > li->buffer && start[-1] == '$')
        start--;
    /* The blank-separated words before the one being completed: the
    ** first names the command (after "$v =", the third does). */
    wstart = li->cursor;
    while (wstart > li->buffer && wstart[-1] != ' ' && wstart[-1] != '\t')
        wstart--;
    for (p = li->buffer; p < wstart;) {
        const char *w;
        while (p < wstart && (*p == ' ' || *p == '\t'))
            p++;
        w = p;
        while (p < wstart && *p != ' ' && *p != '\t')
            p++;
        if (p == w)
            break;
        if (n_before == 0 || (n_before == 2 && first[0] == '$'))
            snprintf(first, sizeof first, "%.*s", (int)(p - w), w);
        n_before++;
    }
    memset(&c, 0, sizeof c);
    c.prefix = start;
    c.plen = (size_t)(li->cursor - start);
    {
        char *pre = strndup(start, c.plen);
        if (pre == NULL)
            return CC_ERROR;
        c.prefix = pre;
    }
    if (c.prefix[0] == '$')
        add_variables(&c, sh->in);
    else if (n_before == 0 || (first[0] == '$' && n_before == 2))
        add_commands(&c, sh->in);
    else
        add_arguments(&c, sh->in, first);

    if (c.n == 0) {
        ret = CC_REFRESH_BEEP;
    } else if (c.n == 1) {
        uint64_t v;
        el_insertstr(el, c.v[0] + c.plen);
        /* A word is done; a constant or variable may go on with |, +... */
        if (c.v[0][0] != '$' && vml_const_lookup(c.v[0], &v) != VML_OK)
            el_insertstr(el, " ");
    } else {
        common = strlen(c.v[0]);
        for (i = 1; i < c.n; i++) {
            size_t k = 0;
            while (k < common && c.v[i][k] == c.v[0][k])
                k++;
            common = k;
        }
        if (common > c.plen) {
            char *more = strndup(c.v[0] + c.plen, common - c.plen);
            if (more != NULL)
                el_insertstr(el, more);
            free(more);
        } else {
            list_cands(sh->in->out, &c);
            ret = CC_REDISPLAY;
        }
    }
    free((char *)c.prefix);
    cands_free(&c);
    return ret;
}

/* ------------------------------------------------------------------ */
/* The session                                                         */

static int shell_open(struct shell *sh, struct interp *in)
{
    HistEvent ev;

    memset(sh, 0, sizeof *sh);
    sh->in = in;
    sh->fd = fileno(stdin);
    sh->el = el_init("vmlab", stdin, in->out, in->errout);
    sh->hist = history_init();
    if (sh->el == NULL || sh->hist == NULL)
        return -1;
    history(sh->hist, &ev, H_SETSIZE, HISTORY_LINES);
    history(sh->hist, &ev, H_SETUNIQUE, 1);
    sh->hist_path = history_path();
    if (sh->hist_path != NULL)
        history(sh->hist, &ev, H_LOAD, sh->hist_path);   /* none yet: fine */
    el_set(sh->el, EL_CLIENTDATA, sh);
    el_set(sh->el, EL_EDITOR, "emacs");
    el_set(sh->el, EL_SIGNAL, 0);
    el_set(sh->el, EL_GETCFN, shell_getc);
    el_set(sh->el, EL_PROMPT, shell_prompt);
    el_set(sh->el, EL_HIST, history, sh->hist);
    /* The wide form: libedit keeps these strings (the narrow el_set makes
    ** wide copies that el_end never frees). */
    el_wset(sh->el, EL_ADDFN, L"vmlab-complete", L"complete a command, name or constant",
            shell_complete);
    el_wset(sh->el, EL_BIND, L"^I", L"vmlab-complete", NULL);
    el_source(sh->el, NULL);             /* ~/.editrc, as other libedit programs */
    return 0;
}

static void shell_close(struct shell *sh)
{
    if (sh->el != NULL)
        el_end(sh->el);
    if (sh->hist != NULL)
        history_end(sh->hist);
    free(sh->hist_path);
}

static void shell_remember(struct shell *sh, const char *line, size_t len)
{
    HistEvent ev;
    char *copy;

    if (len == 0 || strspn(line, " \t") == len)
        return;
    copy = strndup(line, len);
    if (copy == NULL)
        return;
    history(sh->hist, &ev, H_ENTER, copy);
    if (sh->hist_path != NULL)
        history(sh->hist, &ev, H_SAVE, sh->hist_path);
    free(copy);
}

int shell_interactive(struct interp *in)
{
    struct shell sh;
    int status;

    setlocale(LC_CTYPE, "");          /* the terminal's encoding, for editing */
    in->terminal = 1;
    if (shell_open(&sh, in) != 0) {
        shell_close(&sh);
        fprintf(in->errout, "vmlab: cannot start the line editor; reading lines plainly\n");
        script_stream(in, stdin);
        return script_input_end(in);
    }
    cli_sigint_install();
    fprintf(in->out, "vmlab %s shell: help lists the commands, Tab completes, "
                     "Ctrl-D or quit leaves.\n", VMLAB_VERSION);
    fflush(in->out);
    for (;;) {
        int count = 0;
        const char *line;
        size_t len;

        cli_interrupt_clear();
        line = el_gets(sh.el, &count);
        if (cli_interrupted()) {        /* Ctrl-C: drop the line */
            fputs("^C\n", in->out);
            script_cancel(in);
            continue;
        }
        if (line == NULL || count <= 0) {
            fputc('\n', in->out);       /* Ctrl-D */
            break;
        }
        len = strlen(line);
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            len--;
        shell_remember(&sh, line, len);
        in->line++;
        if (script_input(in, line))
            break;
        fflush(in->out);
    }
    status = script_input_end(in);
    shell_close(&sh);
    return status;
}
