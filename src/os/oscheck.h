/*
** oscheck.h -- the personalities' invariant checks, run by
** vml_machine_check() after the memory manager's own (vm_set_os_check):
** installed by the first call that builds a record they check.
*/
#ifndef VML_OS_OSCHECK_H
#define VML_OS_OSCHECK_H

#include <stddef.h>
#include "mm/vm.h"

void os_check_install(vml_machine *m);
/* Each: 0, or -1 with a message naming the invariant. */
int  heap_check(vml_machine *m, char *msg, size_t size);
int  thread_check(vml_machine *m, char *msg, size_t size);
int  brk_check(vml_machine *m, char *msg, size_t size);

#endif
