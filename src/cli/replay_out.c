/*
** replay_out.c -- the results of vmlab replay as text, JSON and CSV, and
** vmlab merge, which reads the JSON of shards back and prints what one
** run of the whole sweep would have printed (byte for byte).
**
** The JSON of a sweep (docs/replay.md):
**   {"vmlab":"replay","version":1,
**    "sweep":{"traces":[...],"policies":[...],"frames":[...],"flags":[...],"cells":N},
**    "shard":[K,N],"complete":true|false,
**    "traces":[{"trace":I,"name":"...","accesses":..,"refs":..,"footprint":..,
**               "pids":..,"complete":..[,"error":"..."]},...],
**    "cells":[{"cell":I,"trace":T,"policy":"lru","frames":F,"refs":..,"faults":..,
**              "hits":..,"evictions":..,"writebacks":..,"fault_ratio":R,
**              "complete":..},...]}
**
** INVARIANTS: RS1-RS2 (replay.h).  Merge refuses shards of different
** sweeps, a shard twice, a missing shard and a cell twice.
*/
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "replay.h"

/* ---- the plan (RS1) ------------------------------------------------------------ */

size_t rp_total_cells(const struct rp_sweep *s)
{
    return s->n_traces * s->n_policies * s->n_frames;
}

int rp_plan(struct rp_sweep *s)
{
    size_t n = rp_total_cells(s), pf = s->n_policies * s->n_frames;

    s->first = n * (s->shard_k - 1) / s->shard_n;
    s->n_cells = n * s->shard_k / s->shard_n - s->first;
    s->cell = calloc(s->n_cells ? s->n_cells : 1, sizeof s->cell[0]);
    s->sum = calloc(s->n_traces ? s->n_traces : 1, sizeof s->sum[0]);
    s->sum_used = calloc(s->n_traces ? s->n_traces : 1, sizeof s->sum_used[0]);
    if (s->cell == NULL || s->sum == NULL || s->sum_used == NULL)
        return -1;
    for (size_t j = 0; j < s->n_cells; j++) {
        size_t i = s->first + j;
        s->cell[j].trace = i / pf;
        s->cell[j].policy = s->policies[(i / s->n_frames) % s->n_policies];
        s->cell[j].frames = s->frames[i % s->n_frames];
        s->sum_used[i / pf] = 1;
    }
    return 0;
}

void rp_free(struct rp_sweep *s)
{
    for (size_t i = 0; s->traces != NULL && i < s->n_traces; i++)
        free(s->traces[i]);
    free(s->traces);
    free(s->policies);
    free(s->frames);
    free(s->cell);
    free(s->sum);
    free(s->sum_used);
    memset(s, 0, sizeof *s);
}

int rp_complete(const struct rp_sweep *s)
{
    if (s->interrupted)
        return 0;
    for (size_t j = 0; j < s->n_cells; j++)
        if (!s->cell[j].done)
            return 0;
    for (size_t i = 0; i < s->n_traces; i++)
        if (s->sum_used[i] && (!s->sum[i].done || s->sum[i].status != VML_OK))
            return 0;
    return 1;
}

static double ratio(uint64_t a, uint64_t b)
{
    return b ? (double)a / (double)b : 0.0;
}

static const char *flag_names[] = { "no-ifetch", "straddle" };

/* ---- text ------------------------------------------------------------------------ */

static void print_partial(FILE *f, const struct rp_sweep *s)
{
    if (rp_complete(s))
        return;
    fprintf(f, "PARTIAL: %s; rows marked * cover only the part of the trace that ran\n",
            s->interrupted ? "interrupted (Ctrl-C)" : "stopped by an error");
    for (size_t i = 0; i < s->n_traces; i++)
        if (s->sum_used[i] && s->sum[i].status != VML_OK)
            fprintf(f, "PARTIAL: %s\n", s->sum[i].error);
}

void rp_print_text(FILE *f, const struct rp_sweep *s)
{
    size_t j = 0;

    if (s->shard_n > 1)
        fprintf(f, "shard %u/%u: cells %zu..%zu of %zu\n", s->shard_k, s->shard_n, s->first,
                s->first + s->n_cells - (s->n_cells > 0), rp_total_cells(s));
    print_partial(f, s);
    for (size_t tr = 0; tr < s->n_traces; tr++) {
        const vml_replay_summary *sum = &s->sum[tr];
        if (!s->sum_used[tr])
            continue;
        fprintf(f, "%s: %llu accesses, %llu page references, %llu pages, %llu process%s%s\n",
                s->traces[tr], (unsigned long long)sum->accesses, (unsigned long long)sum->refs,
                (unsigned long long)sum->footprint, (unsigned long long)sum->n_pids,
                sum->n_pids == 1 ? "" : "es", sum->done ? "" : " (partial)");
        fprintf(f, "%-8s %10s %14s %14s %12s %12s %12s\n", "policy", "frames", "faults", "hits",
                "evictions", "write-backs", "fault ratio");
        for (; j < s->n_cells && s->cell[j].trace == tr; j++) {
            const vml_replay_cell *c = &s->cell[j];
            fprintf(f, "%-8s %10llu %14llu %14llu %12llu %12llu %11.4f%%%s\n",
                    vml_policy_name(c->policy), (unsigned long long)c->frames,
                    (unsigned long long)c->faults, (unsigned long long)c->hits,
                    (unsigned long long)c->evictions, (unsigned long long)c->writebacks,
                    100.0 * ratio(c->faults, c->refs), c->done ? "" : " *");
        }
    }
}

/* ---- JSON -------------------------------------------------------------------------- */

static void json_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s != '\0'; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(f, "\\%c", c);
        else if (c < 0x20)
            fprintf(f, "\\u%04x", c);
        else
            fputc(c, f);
    }
    fputc('"', f);
}

void rp_print_json(FILE *f, const struct rp_sweep *s)
{
    int first = 1;

    fprintf(f, "{\"vmlab\":\"replay\",\"version\":1,\n\"sweep\":{\"traces\":[");
    for (size_t i = 0; i < s->n_traces; i++) {
        fputs(i ? "," : "", f);
        json_str(f, s->traces[i]);
    }
    fputs("],\"policies\":[", f);
    for (size_t i = 0; i < s->n_policies; i++)
        fprintf(f, "%s\"%s\"", i ? "," : "", vml_policy_name(s->policies[i]));
    fputs("],\"frames\":[", f);
    for (size_t i = 0; i < s->n_frames; i++)
        fprintf(f, "%s%llu", i ? "," : "", (unsigned long long)s->frames[i]);
    fputs("],\"flags\":[", f);
    for (unsigned b = 0; b < 2; b++)
        if (s->flags & (1u << b)) {
            fprintf(f, "%s\"%s\"", first ? "" : ",", flag_names[b]);
            first = 0;
        }
    fprintf(f, "],\"cells\":%zu},\n\"shard\":[%u,%u],\"complete\":%s,\n\"traces\":[",
            rp_total_cells(s), s->shard_k, s->shard_n, rp_complete(s) ? "true" : "false");
    first = 1;
    for (size_t i = 0; i < s->n_traces; i++) {
        const vml_replay_summary *sum = &s->sum[i];
        if (!s->sum_used[i])
            continue;
        fprintf(f, "%s\n{\"trace\":%zu,\"name\":", first ? "" : ",", i);
        json_str(f, s->traces[i]);
        fprintf(f, ",\"accesses\":%llu,\"refs\":%llu,\"footprint\":%llu,\"pids\":%llu,"
                   "\"complete\":%s", (unsigned long long)sum->accesses,
                (unsigned long long)sum->refs, (unsigned long long)sum->footprint,
                (unsigned long long)sum->n_pids,
                sum->done && sum->status == VML_OK ? "true" : "false");
        if (sum->status != VML_OK) {
            fputs(",\"error\":", f);
            json_str(f, sum->error);
        }
        fputc('}', f);
        first = 0;
    }
    fputs("],\n\"cells\":[", f);
    for (size_t j = 0; j < s->n_cells; j++) {
        const vml_replay_cell *c = &s->cell[j];
        fprintf(f, "%s\n{\"cell\":%zu,\"trace\":%zu,\"policy\":\"%s\",\"frames\":%llu,"
                   "\"refs\":%llu,\"faults\":%llu,\"hits\":%llu,\"evictions\":%llu,"
                   "\"writebacks\":%llu,\"fault_ratio\":%.9f,\"complete\":%s}",
                j ? "," : "", s->first + j, c->trace, vml_policy_name(c->policy),
                (unsigned long long)c->frames, (unsigned long long)c->refs,
                (unsigned long long)c->faults, (unsigned long long)c->hits,
                (unsigned long long)c->evictions, (unsigned long long)c->writebacks,
                ratio(c->faults, c->refs), c->done ? "true" : "false");
    }
    fputs("]}\n", f);
}

void rp_print_csv(FILE *f, const struct rp_sweep *s)
{
    fputs("trace,policy,frames,refs,faults,hits,evictions,writebacks,fault_ratio,complete\n", f);
    for (size_t j = 0; j < s->n_cells; j++) {
        const vml_replay_cell *c = &s->cell[j];
        const char *name = s->traces[c->trace];
        if (strpbrk(name, ",\"\n") != NULL) {        /* RFC 4180 quoting */
            fputc('"', f);
            for (const char *p = name; *p; p++) {
                if (*p == '"')
                    fputc('"', f);
                fputc(*p, f);
            }
            fputc('"', f);
        } else {
            fputs(name, f);
        }
        fprintf(f, ",%s,%llu,%llu,%llu,%llu,%llu,%llu,%.9f,%d\n", vml_policy_name(c->policy),
                (unsigned long long)c->frames, (unsigned long long)c->refs,
                (unsigned long long)c->faults, (unsigned long long)c->hits,
                (unsigned long long)c->evictions, (unsigned long long)c->writebacks,
                ratio(c->faults, c->refs), c->done && s->sum[c->trace].status == VML_OK);
    }
}

/* ---- miss-ratio curves ------------------------------------------------------------ */

/* The sizes shown in the text table: 1, 2, 4, ... and the footprint. */
static int shown_size(uint64_t c, uint64_t footprint)
{
    return c == footprint || (c & (c - 1)) == 0;
}

/* One character per log-spaced size from 1 frame to the footprint; the
** height is the fault ratio on a log scale between the curve's smallest
** and largest ratios (a linear scale would show only the first frames). */
static void sparkline(FILE *f, const char *label, const uint64_t *faults, uint64_t footprint,
                      uint64_t refs)
{
    static const char *const bars[8] = { "\u2581", "\u2582", "\u2583", "\u2584",
                                         "\u2585", "\u2586", "\u2587", "\u2588" };
    unsigned width = footprint < 64 ? (unsigned)footprint : 64;
    double lo = log(ratio(faults[footprint - 1] ? faults[footprint - 1] : 1, refs));
    double hi = log(ratio(faults[0] ? faults[0] : 1, refs));

    fprintf(f, "%-4s ", label);
    for (unsigned x = 0; x < width; x++) {
        double frac = width > 1 ? (double)x / (width - 1) : 0.0;
        uint64_t c = (uint64_t)llround(pow((double)footprint, frac));
        uint64_t n = faults[(c ? c : 1) - 1];
        int level = hi > lo && n > 0 ? (int)(8.0 * (log(ratio(n, refs)) - lo) / (hi - lo)) : 0;
        fputs(bars[level < 0 ? 0 : level > 7 ? 7 : level], f);
    }
    fputc('\n', f);
}

void mrc_print_text(FILE *f, const char *trace, const vml_mrc *m, const vml_replay_summary *sum)
{
    if (!m->done)
        fprintf(f, "PARTIAL: %s; the curve covers only the part of the trace that ran\n",
                sum->status != VML_OK ? sum->error : "interrupted (Ctrl-C)");
    fprintf(f, "%s: %llu accesses, %llu page references, %llu pages\n", trace,
            (unsigned long long)sum->accesses, (unsigned long long)m->refs,
            (unsigned long long)m->footprint);
    fprintf(f, "%10s", "frames");
    if (m->lru_faults)
        fprintf(f, " %14s %10s", "lru faults", "ratio");
    if (m->opt_faults)
        fprintf(f, " %14s %10s", "opt faults", "ratio");
    fputc('\n', f);
    for (uint64_t c = 1; c <= m->footprint; c++) {
        if (!shown_size(c, m->footprint))
            continue;
        fprintf(f, "%10llu", (unsigned long long)c);
        if (m->lru_faults)
            fprintf(f, " %14llu %9.4f%%", (unsigned long long)m->lru_faults[c - 1],
                    100.0 * ratio(m->lru_faults[c - 1], m->refs));
        if (m->opt_faults)
            fprintf(f, " %14llu %9.4f%%", (unsigned long long)m->opt_faults[c - 1],
                    100.0 * ratio(m->opt_faults[c - 1], m->refs));
        fputc('\n', f);
    }
    if (m->footprint > 1) {
        fprintf(f, "fault ratio (log scale) from 1 frame (left) to %llu (right, log scale):\n",
                (unsigned long long)m->footprint);
        if (m->lru_faults)
            sparkline(f, "lru", m->lru_faults, m->footprint, m->refs);
        if (m->opt_faults)
            sparkline(f, "opt", m->opt_faults, m->footprint, m->refs);
    }
}

void mrc_print_json(FILE *f, const char *trace, const vml_mrc *m, const vml_replay_summary *sum)
{
    fputs("{\"vmlab\":\"mrc\",\"version\":1,\"trace\":", f);
    json_str(f, trace);
    fprintf(f, ",\"accesses\":%llu,\"refs\":%llu,\"footprint\":%llu,\"complete\":%s",
            (unsigned long long)sum->accesses, (unsigned long long)m->refs,
            (unsigned long long)m->footprint, m->done ? "true" : "false");
    if (sum->status != VML_OK) {
        fputs(",\"error\":", f);
        json_str(f, sum->error);
    }
    for (int k = 0; k < 2; k++) {
        const uint64_t *v = k == 0 ? m->lru_faults : m->opt_faults;
        if (v == NULL)
            continue;
        fprintf(f, ",\n\"%s\":[", k == 0 ? "lru" : "opt");
        for (uint64_t c = 0; c < m->footprint; c++)
            fprintf(f, "%s%llu", c ? "," : "", (unsigned long long)v[c]);
        fputc(']', f);
    }
    fputs("}\n", f);
}

void mrc_print_csv(FILE *f, const vml_mrc *m)
{
    fputs("frames", f);
    if (m->lru_faults)
        fputs(",lru_faults,lru_ratio", f);
    if (m->opt_faults)
        fputs(",opt_faults,opt_ratio", f);
    fputc('\n', f);
    for (uint64_t c = 1; c <= m->footprint; c++) {
        fprintf(f, "%llu", (unsigned long long)c);
        if (m->lru_faults)
            fprintf(f, ",%llu,%.9f", (unsigned long long)m->lru_faults[c - 1],
                    ratio(m->lru_faults[c - 1], m->refs));
        if (m->opt_faults)
            fprintf(f, ",%llu,%.9f", (unsigned long long)m->opt_faults[c - 1],
                    ratio(m->opt_faults[c - 1], m->refs));
        fputc('\n', f);
    }
}
