/*
** help.c -- `vmlab --help`, `vmlab help`, `vmlab help COMMAND|TOPIC`.
**
** Everything about commands comes from the command table (commands.c);
** the counters from vml_stat_count/vml_stat_name and the constants from
** vml_const_at, so help cannot drift from what runs.
*/
#include <string.h>

#include "cli.h"
#include "replay.h"

/* The trace commands: `vmlab help replay` shows the command line's replay
** and then the script command of the same name. */
static int help_trace_topic(FILE *f, const char *topic)
{
    if (strcmp(topic, "replay") == 0) {
        help_replay(f);
        fprintf(f, "\nIn scripts:\n");
        help_command(f, cmd_find("replay"));
    } else if (strcmp(topic, "record") == 0) {
        help_record(f);
        fprintf(f, "\nIn scripts (the recorder of counters, not a trace):\n");
        help_command(f, cmd_find("record"));
    } else if (strcmp(topic, "convert") == 0) {
        help_convert(f);
    } else if (strcmp(topic, "merge") == 0) {
        help_merge(f);
    } else {
        return -1;
    }
    return 0;
}

static void print_indented(FILE *f, const char *text, const char *indent)
{
    const char *p = text;

    while (*p != '\0') {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        fprintf(f, "%s%.*s\n", indent, (int)len, p);
        p += len;
        if (*p == '\n')
            p++;
    }
}

void help_overview(FILE *f)
{
    const char *group = NULL;
    size_t i, k, n_cpu;

    fprintf(f,
        "vmlab %s -- a virtual memory laboratory\n"
        "\n"
        "usage:\n"
        "  vmlab run FILE [FILE...]     run scenario scripts (- reads stdin)\n"
        "  vmlab shell                  type the same commands interactively\n"
        "  vmlab tour                   the guided tour (start here)\n"
        "  vmlab policy -p NAME -f FRAMES REFS [--json]\n"
        "                               a replacement policy on a reference string\n"
        "                               (vmlab help policy)\n"
        "  vmlab replay TRACE... -p POLICIES -f FRAMES | --mrc | --machine CONFIG\n"
        "                               replay memory traces (vmlab help replay)\n"
        "  vmlab record -o FILE -- PROGRAM [ARGS]\n"
        "                               record a program's trace with Valgrind\n"
        "  vmlab convert IN -o OUT      a trace in another format\n"
        "  vmlab merge SHARD.json...    combine the shards of a sweep\n"
        "  vmlab report SCRIPT -o FILE.html [--svg DIR] [--plot CSV]...\n"
        "               [--every N | --ticks N]\n"
        "                               run a script, recording counters, and write\n"
        "                               the HTML report of its end (vmlab help report)\n"
        "  vmlab help [COMMAND|TOPIC]   this text, one command, or a topic:\n"
        "                               expressions, scripting, expect, stat,\n"
        "                               constants, policy, replay, record,\n"
        "                               convert, merge\n"
        "  vmlab --version\n"
        "\n"
        "vmlab run exits 0 when every expect held, 1 when an expect failed,\n"
        "2 on a script error (FILE:LINE: error: ...), 3 on an internal error.\n"
        "\n"
        "Script commands (one per line; # starts a comment; $v = COMMAND ...\n"
        "stores a command's value; repeat, for, if and def blocks end with end:\n"
        "vmlab help scripting; views accept --json;\n",
        VMLAB_VERSION);
    /* The commands that take cpu=N, from the table (it cannot drift). */
    for (i = 0, n_cpu = 0; i < cmd_count(); i++)
        n_cpu += (cmd_at(i)->flags & CMD_CPU) != 0;
    for (i = 0, k = 0; i < cmd_count(); i++) {
        if (!(cmd_at(i)->flags & CMD_CPU))
            continue;
        k++;
        fprintf(f, "%s%s", cmd_at(i)->name, k == n_cpu ? "" : k + 1 == n_cpu ? " and " : ", ");
    }
    fprintf(f, " accept\na trailing cpu=N):\n");
    for (i = 0; i < cmd_count(); i++) {
        const struct cmd *c = cmd_at(i);
        char usage[96];
        if (group == NULL || strcmp(group, c->group) != 0) {
            group = c->group;
            fprintf(f, "\n %s\n", group);
        }
        snprintf(usage, sizeof usage, "%s%s%s", c->name, c->args[0] ? " " : "", c->args);
        if (strlen(usage) > 30)
            fprintf(f, "  %s\n  %-30s %s\n", usage, "", c->summary);
        else
            fprintf(f, "  %-30s %s\n", usage, c->summary);
    }
    fprintf(f, "\nvmlab help COMMAND shows a command's usage, description and example.\n");
}

void help_command(FILE *f, const struct cmd *c)
{
    fprintf(f, "usage: %s%s%s\n", c->name, c->args[0] ? " " : "", c->args);
    if (c->alias != NULL)
        fprintf(f, "alias: %s\n", c->alias);
    fprintf(f, "\n%s.\n\n", c->summary);
    print_indented(f, c->help, "  ");
    if (c->flags & (CMD_JSON | CMD_CPU)) {
        fprintf(f, "\noptions:\n");
        if (c->flags & CMD_JSON)
            fprintf(f, "  --json   print the view as one JSON value\n");
        if (c->flags & CMD_CPU)
            fprintf(f, "  cpu=N    (last word) run on CPU N instead of the current CPU\n");
    }
    fprintf(f, "\nexample:\n  %s\n", c->example);
}

static void help_stat(FILE *f)
{
    static const struct {
        vml_scope   scope;
        const char *title;
    } scopes[] = {
        { VML_SCOPE_PROC,   "per process (stat PROCESS COUNTER)" },
        { VML_SCOPE_CPU,    "per CPU (stat cpuN COUNTER)" },
        { VML_SCOPE_SYSTEM, "for the system (stat system COUNTER)" },
    };
    size_t s, i;

    help_command(f, cmd_find("stat"));
    fprintf(f, "\ncounters:\n");
    for (s = 0; s < sizeof scopes / sizeof scopes[0]; s++) {
        size_t n = vml_stat_count(scopes[s].scope);
        fprintf(f, "\n %s\n", scopes[s].title);
        for (i = 0; i < n; i++) {
            const char *desc = NULL;
            const char *name = vml_stat_name(scopes[s].scope, i, &desc);
            if (name != NULL)
                fprintf(f, "  %-26s %s\n", name, desc ? desc : "");
        }
    }
}

static void help_constants(FILE *f)
{
    const char *name, *group, *last = NULL;
    uint64_t v;
    size_t i;

    fprintf(f, "Symbolic constants (usable wherever a number is; join with |):\n");
    for (i = 0; (name = vml_const_at(i, &v, &group)) != NULL; i++) {
        if (group != NULL && (last == NULL || strcmp(group, last) != 0)) {
            fprintf(f, "\n %s\n", group);
            last = group;
        }
        fprintf(f, "  %-32s 0x%llx (%llu)\n", name, (unsigned long long)v,
                (unsigned long long)v);
    }
}

static void help_expressions(FILE *f)
{
    fputs(
        "Expressions\n"
        "\n"
        "Every argument is a value: a number, a constant, a $variable, a \"string\"\n"
        "or an expression.  An expression with blanks must be in parentheses;\n"
        "without blanks it may stand alone (MEM_RESERVE|MEM_COMMIT, $p+0x1000).\n"
        "\n"
        "  numbers     42  0x2a  0b101010  64K  4M  1G  2T  (K/M/G/T = 2^10/20/30/40)\n"
        "  constants   MEM_COMMIT PAGE_READWRITE PROT_READ MAP_PRIVATE EINVAL ...\n"
        "              (vmlab help constants lists them)\n"
        "  variables   $name, set by  $name = VALUE  or  $name = COMMAND ...\n"
        "  strings     \"text\" with \\\\ \\n \\t \\r \\0 \\\" \\xNN escapes\n"
        "  operators   as in C, from the tightest:  ~ ! - + (unary)\n"
        "              * / %   + -   << >>   < <= > >=   == !=   &   ^   |   &&   ||\n"
        "\n"
        "Arithmetic is unsigned 64-bit and wraps; a shift by 64 or more gives 0;\n"
        "comparisons give 1 or 0 (== and != also compare strings); && and ||\n"
        "short-circuit as in C; division by zero is an error.\n"
        "\n"
        "Nothing is replaced inside a \"string\": echo \"at\" $p prints at 0x10000.\n"
        "Numbers print as 0x hex everywhere (echo, result lines, vars); a result\n"
        "line adds a name or the decimal value in parentheses where that helps:\n"
        "VirtualProtect -> 0x4 (PAGE_READWRITE), stat -> 0xc (12).\n", f);
}

static void help_scripting(FILE *f)
{
    fputs(
        "Scripting: blocks, defs, echo directives, source\n"
        "\n"
        "  repeat N                       N passes\n"
        "  for $i in START..END [step S]  START, START+S, ... (END included;\n"
        "                                 START > END counts down by S)\n"
        "  if EXPR ... [else ...] end     EXPR not 0 (a string: not empty)\n"
        "  def NAME [$a $b ...]           defines the command NAME; then NAME ARG...\n"
        "  ... end                        each block ends at its end; blocks nest\n"
        "\n"
        "Everything after a keyword is one expression (if $n == 3).  A def's\n"
        "parameters are local to the call (their old values come back); other\n"
        "variables are global.  A call's argument is an expression, or a bare name\n"
        "that is no constant, passed as a string (a process name).  Calls nest at\n"
        "most 64 deep, blocks 96.  An error inside a block names its line and the\n"
        "blocks and calls around it, and stops the outermost block.\n"
        "\n"
        "  echo %d faults, %#x pages ($n) ($n * 16)\n"
        "      the last words are the values of the % directives, in order:\n"
        "      %d %i signed, %u unsigned, %x %X hex, %o octal, %s a string, %% a %;\n"
        "      flags - (left) 0 (zeros) # (0x), a width up to 255.\n"
        "\n"
        "  $s = format WORD...   the string echo would print, as a value:\n"
        "                 $name = format P%d $i; process $name\n"
        "\n"
        "  source FILE    run FILE's lines in this session (relative to the\n"
        "                 sourcing file); its variables and defs stay.\n"
        "\n"
        "In the shell, the prompt is ...> until a block's end; Ctrl-C drops the\n"
        "block being typed, or stops a running loop or long command.\n", f);
}

int help_topic(FILE *f, const char *topic)
{
    const struct cmd *c;

    if (strcmp(topic, "stat") == 0 || strcmp(topic, "counters") == 0) {
        help_stat(f);
        return 0;
    }
    if (strcmp(topic, "constants") == 0) {
        help_constants(f);
        return 0;
    }
    if (strcmp(topic, "expressions") == 0 || strcmp(topic, "expression") == 0) {
        help_expressions(f);
        return 0;
    }
    if (strcmp(topic, "scripting") == 0 || strcmp(topic, "blocks") == 0 ||
        strcmp(topic, "def") == 0 || strcmp(topic, "repeat") == 0 ||
        strcmp(topic, "for") == 0 || strcmp(topic, "if") == 0) {
        help_scripting(f);
        return 0;
    }
    if (strcmp(topic, "commands") == 0) {
        help_overview(f);
        return 0;
    }
    if (help_trace_topic(f, topic) == 0)
        return 0;
    c = cmd_find(topic);
    if (c != NULL) {
        help_command(f, c);
        return 0;
    }
    if (strcmp(topic, "policy") == 0 || strcmp(topic, "policies") == 0) {
        help_policy(f);   /* the top-level command `vmlab policy` */
        return 0;
    }
    return -1;
}
