/*
** win32.h -- what the Windows personality's files share: the Win32 error
** of a call (after the machine's checks) and handle values.
*/
#ifndef VML_OS_WIN32_H
#define VML_OS_WIN32_H

#include "vmlab.h"
#include "mm/vm.h"

/* Runs the machine's after-call checks and returns err. */
uint32_t    w32_done(vml_machine *m, uint32_t err);
uint32_t    w32_last_error(vml_proc *p, uint32_t err, int on_success);
/* The VAD holding every page of [lo, hi), or NULL. */
struct vad *w32_vad_covering(vml_proc *p, vml_va lo, vml_va hi);

/* A HANDLE value names slot (value / 4 - 1) of the process's handle table:
** Windows hands out multiples of 4 from 4 up. */
static inline vml_handle w32_handle_of(uint32_t slot) { return ((vml_handle)slot + 1) * 4; }
static inline int w32_slot_of(vml_handle h, uint32_t *slot)
{
    if (h == 0 || h % 4 || h / 4 - 1 > UINT32_MAX)
        return -1;
    *slot = (uint32_t)(h / 4 - 1);
    return 0;
}

#endif
