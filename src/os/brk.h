/*
** brk.h -- the program break (brk.c), for malloc.c and the process setup.
*/
#ifndef VML_OS_BRK_H
#define VML_OS_BRK_H

#include "mm/vm.h"

/* Gives p its brk area if it has none yet (ELF_ET_DYN_BASE, randomized). */
void brk_ensure(vml_proc *p);
/* brk(2): 0 when the break is now brk, -1 when refused (unchanged). */
int  psx_brk(vml_proc *p, vml_va brk);

#endif
