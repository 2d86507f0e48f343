/*
** replay.h -- the trace commands of the CLI (vmlab replay, record,
** convert, merge): what cmd_replay.c, cmd_record.c and replay_out.c share.
** Like every CLI file they link only include/vmlab.h.
**
** INVARIANTS:
**   RS1 A sweep's cells are traces x policies x frames in that order
**       (trace-major): cell index i is trace i / (P*F), policy
**       (i / F) % P, frames i % F.  A shard K/N holds the contiguous
**       block [(K-1)n/N, Kn/N) of the n cells; cell[j] is global cell
**       first + j.
**   RS2 Results are complete only when every cell's done is 1 and every
**       trace's summary is done with no error; every output says so
**       ("complete": true/false, a PARTIAL line).
*/
#ifndef VMLAB_CLI_REPLAY_H
#define VMLAB_CLI_REPLAY_H

#include <signal.h>
#include <stdio.h>
#include "vmlab.h"

struct rp_sweep {
    char      **traces;          /* the trace names, as given */
    size_t      n_traces;
    vml_policy *policies;
    size_t      n_policies;
    uint64_t   *frames;
    size_t      n_frames;
    unsigned    flags;           /* VML_REPLAY_NO_IFETCH | VML_REPLAY_STRADDLE */
    unsigned    shard_k, shard_n;
    size_t      first, n_cells;  /* RS1: this shard's cells */
    vml_replay_cell    *cell;    /* n_cells, .trace is the trace index */
    vml_replay_summary *sum;     /* n_traces */
    int        *sum_used;        /* the shard read trace i */
    int         interrupted;     /* stopped by Ctrl-C */
};

size_t rp_total_cells(const struct rp_sweep *s);
/* Fills first/n_cells and the cells' trace/policy/frames (RS1). */
int    rp_plan(struct rp_sweep *s);
void   rp_free(struct rp_sweep *s);
int    rp_complete(const struct rp_sweep *s);   /* RS2 */

void rp_print_text(FILE *f, const struct rp_sweep *s);
void rp_print_json(FILE *f, const struct rp_sweep *s);
void rp_print_csv(FILE *f, const struct rp_sweep *s);

/* MRC output. */
void mrc_print_text(FILE *f, const char *trace, const vml_mrc *m, const vml_replay_summary *sum);
void mrc_print_json(FILE *f, const char *trace, const vml_mrc *m, const vml_replay_summary *sum);
void mrc_print_csv(FILE *f, const vml_mrc *m);

/* `vmlab merge FILE...` (argv[1] is "merge"): the exit status. */
int  cmd_merge(int argc, char **argv);
void help_merge(FILE *f);

/* cmd_record.c */
int  cmd_record(int argc, char **argv);
int  cmd_convert(int argc, char **argv);
void help_record(FILE *f);
void help_convert(FILE *f);

/* Progress on stderr (when a terminal) and Ctrl-C (cmd_replay.c). */
#define EXIT_INTERRUPTED 130
#define OUT_TEXT 0
#define OUT_JSON 1
#define OUT_CSV  2
struct rp_progress {
    int      tty;
    int      interrupted;
    int      shown;
    sigset_t old_mask;
};
/* Blocks SIGINT (the library's threads inherit that) until _end. */
void rp_progress_start(struct rp_progress *pr, int quiet);
void rp_progress_end(struct rp_progress *pr);
/* vml_progress_fn: prints the progress line, returns 1 after a Ctrl-C. */
int  rp_progress_cb(void *ctx, const vml_replay_progress *p);

/* cmd_replay_machine.c: --machine.  The policies (-p LIST, NULL: the
** machine's own) become s->policies (a machine runs ws and the global
** policies, not opt). */
int  replay_machine_policies(const char *list, struct rp_sweep *s);
int  replay_machine(struct rp_sweep *s, const char *machine, vml_replay_opts *lib, int out,
                    int quiet, uint64_t timeline_every, const char *timeline_path);

/* cmd_replay.c */
int  cmd_replay(int argc, char **argv);
void help_replay(FILE *f);
/* A size with an optional K/M/G/T suffix, or a plain count: 0 or -1. */
int  rp_parse_size(const char *s, uint64_t *out);
/* The output format a file name asks for: .vmt, .txt, .csv, .lackey,
** .oracleGeneral (before a compression suffix); VML_TRACE_AUTO if none. */
vml_trace_format rp_format_from_name(const char *path);

#endif
