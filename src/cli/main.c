/*
** main.c -- the vmlab command line: run, shell, tour, policy, replay, record,
** convert, merge, help, --version.
*/
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "replay.h"

/* A word of the command line, safe to print in a message. */
static void print_word(FILE *f, const char *fmt, const char *word)
{
    vml_text t = {0};

    sb_escaped(&t, word, strlen(word));
    fprintf(f, fmt, sb_str(&t));
    vml_text_free(&t);
}

static void usage_short(FILE *f)
{
    fprintf(f, "usage: vmlab run FILE [FILE...] | vmlab shell | vmlab tour | "
               "vmlab policy -p NAME -f FRAMES REFS | vmlab report SCRIPT -o FILE | "
               "vmlab help [COMMAND|TOPIC] | "
               "vmlab --version\n"
               "       vmlab replay TRACE... | vmlab record -o FILE -- PROGRAM | "
               "vmlab convert IN -o OUT | vmlab merge SHARD...\n");
}

static int cmd_help(int argc, char **argv)
{
    if (argc < 3) {
        help_overview(stdout);
        return 0;
    }
    if (argc > 3) {
        fprintf(stderr, "vmlab: help takes one COMMAND or TOPIC\n");
        return EXIT_SCRIPT;
    }
    if (help_topic(stdout, argv[2]) != 0) {
        print_word(stderr, "vmlab: no help for '%s' (vmlab help lists the commands and topics)\n",
                   argv[2]);
        return EXIT_SCRIPT;
    }
    return 0;
}

static int cmd_run_files(int argc, char **argv)
{
    int i, worst = 0;

    if (argc < 3) {
        fprintf(stderr, "vmlab: run needs at least one FILE\n");
        usage_short(stderr);
        return EXIT_SCRIPT;
    }
    cli_sigint_install();
    for (i = 2; i < argc && !cli_interrupted(); i++) {
        int st = script_run_file(argv[i], stdout, stderr);
        if (st > worst)
            worst = st;
        if (st == EXIT_INTERNAL)
            break;
    }
    if (cli_interrupted()) {          /* cleaned up: now die of the signal */
        fflush(stdout);
        cli_sigint_reraise();
    }
    return worst;
}

int main(int argc, char **argv)
{
    const char *cmd;
    int st;

    if (argc < 2) {
        usage_short(stderr);
        fprintf(stderr, "(vmlab --help for more; vmlab tour to start)\n");
        return EXIT_SCRIPT;
    }
    cmd = argv[1];
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0)
        return cmd_help(argc, argv);
    if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "version") == 0) {
        printf("vmlab %s\n", VMLAB_VERSION);
        return 0;
    }
    if (strcmp(cmd, "run") == 0)
        return cmd_run_files(argc, argv);
    if (strcmp(cmd, "shell") == 0) {
        if (argc > 2) {
            fprintf(stderr, "vmlab: shell takes no arguments\n");
            return EXIT_SCRIPT;
        }
        return script_shell(stdin, stdout, stderr);
    }
    if (strcmp(cmd, "policy") == 0)
        return cmd_policy(argc, argv);
    if (strcmp(cmd, "replay") == 0)
        return cmd_replay(argc, argv);
    if (strcmp(cmd, "record") == 0)
        return cmd_record(argc, argv);
    if (strcmp(cmd, "convert") == 0)
        return cmd_convert(argc, argv);
    if (strcmp(cmd, "merge") == 0)
        return cmd_merge(argc, argv);
    if (strcmp(cmd, "report") == 0)
        return cmd_report(argc, argv);
    if (strcmp(cmd, "tour") == 0) {
        if (argc > 2) {
            fprintf(stderr, "vmlab: tour takes no arguments\n");
            return EXIT_SCRIPT;
        }
        cli_sigint_install();
        st = tour_run(stdout, stderr);
        if (cli_interrupted())
            cli_sigint_reraise();
        return st;
    }
    print_word(stderr, "vmlab: unknown command '%s'\n", cmd);
    usage_short(stderr);
    return EXIT_SCRIPT;
}
