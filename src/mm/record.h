/*
** record.h -- the recorder (record.c): counters sampled every N accesses
** or ticks.  The access path and vml_tick call in when the clock reaches
** the armed sample point (m->rec_next, m->rec_next_tick).
*/
#ifndef VML_MM_RECORD_H
#define VML_MM_RECORD_H

#include <stddef.h>
#include "vmlab.h"

struct recorder;

/* The clock reached the armed point: sample, and arm the next one. */
void rec_due(vml_machine *m);
/* One background pass of vml_tick has completed. */
void rec_tick(vml_machine *m);
/* The machine goes: the recording with it. */
void rec_free(vml_machine *m);
/* REC1-REC4; 0 when they hold, else 1 with msg naming the broken one. */
int  rec_check(const vml_machine *m, char *msg, size_t size);

#endif
