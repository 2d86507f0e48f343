/*
** report.h -- the HTML report and its charts (report.c, report_proc.c,
** plot.c), for one another.
*/
#ifndef VML_VIEW_REPORT_H
#define VML_VIEW_REPORT_H

#include <stddef.h>
#include <stdint.h>

#include "view/model.h"
#include "view/svg.h"

/* What one report reads once. */
struct rpt {
    vml_machine *m;
    const vml_report_opts *o;
    vml_text    *t;
    vml_config   cfg;
    vml_layout   lo;
    struct vw_mem_model    mem;
    struct vw_tm_model     tm;
    struct vw_frames_model fr;
    vml_rec_info rec;
    int          have_rec;        /* samples to draw */
};

/* A plot vml_plot_check accepted; standalone, with its points in <desc>. */
void rpt_plot(struct sv *s, const vml_plot *pl);

/* report_proc.c: one process's charts and its section. */
void rpt_space_chart(struct rpt *r, struct sv *s, const struct vw_vad_model *vm);
void rpt_vad_chart(struct rpt *r, struct sv *s, const struct vw_vad_model *vm);
/* The process's section of the report (VMMap-like): the strip, the types,
** the VADs and their tree, the page tables. */
vml_status rpt_process(struct rpt *r, const struct vw_tm_row *row, int open);

/* report_time.c: the timelines (RPT_N_TIMELINES of them, those with a
** series drawn) and the tables beside plots. */
#define RPT_N_TIMELINES 5
int        rpt_timeline_has(struct rpt *r, size_t k);
vml_status rpt_timeline_chart(struct rpt *r, struct sv *s, size_t k, char *name, size_t size);
vml_status rpt_timelines(struct rpt *r, struct sv *s);
void       rpt_table_plot(struct rpt *r, const vml_plot *pl);

/* HTML helpers (report.c). */
void rpt_th_row(vml_text *t, const char *const *heads, size_t n);
/* <section id="id"><h2>title</h2> and a note (NULL: none). */
void rpt_section(vml_text *t, const char *id, const char *title, const char *note);
void rpt_td_u64(vml_text *t, uint64_t v, const char *key);
void rpt_td_str(vml_text *t, const char *s);

#endif
