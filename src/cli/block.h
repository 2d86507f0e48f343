/*
** block.h -- the tree of a block of the script language, shared by block.c
** (parsing, running repeat/for/if) and def.c (the commands def defines).
** Internal to the CLI.
*/
#ifndef VMLAB_CLI_BLOCK_H
#define VMLAB_CLI_BLOCK_H

#include "cli.h"

enum node_kind { N_LINE, N_REPEAT, N_FOR, N_IF, N_DEF };

struct node {
    enum node_kind kind;
    unsigned       line;
    char          *text;        /* the line (N_LINE) or the block's header */
    struct words   ws;          /* a block: the header's words */
    struct node   *body;
    size_t         n_body;
    struct node   *alt;         /* N_IF: the else part */
    size_t         n_alt;
    int            has_else;
};

/* Frees n nodes and their children. */
void    nodes_free(struct node *v, size_t n);
/* A deep copy of n nodes (a def keeps its body past the block's life). */
enum rc nodes_copy(struct interp *in, const struct node *src, size_t n, struct node **out,
                   size_t *n_out);
/* Runs n nodes in order; stops at the first error (printed: RC_STOP) or quit. */
enum rc exec_seq(struct interp *in, const struct node *v, size_t n);
/* An error where it happened: printed with its context, then RC_STOP. */
enum rc block_stop_here(struct interp *in, enum rc rc);
/* Pushes a context entry (a block, a call) or fails: too deeply nested. */
enum rc block_ctx_push(struct interp *in, struct ctx c);
/* def.c: runs a def node (the command is (re)defined); frees the defs. */
enum rc exec_def(struct interp *in, const struct node *nd);
void    defs_free(struct interp *in);

#endif
