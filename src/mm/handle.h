/*
** handle.h -- handle tables: what a process's Win32 handles and posix
** descriptors name (a file, a section object).  Kept in mm/ because the
** objects they hold references on are the memory manager's (section.c
** implements them); the personalities decide how a handle is numbered.
*/
#ifndef VML_MM_HANDLE_H
#define VML_MM_HANDLE_H

#include <stdint.h>
#include "vmlab.h"

enum obj_kind { OBJ_NONE = 0, OBJ_FILE, OBJ_SECTION };

struct handle {
    uint8_t  kind;           /* enum obj_kind */
    uint32_t access;         /* GENERIC_* / O_* bits, as the personality keeps them */
    void    *obj;
};

struct handle_table {
    struct handle *h;
    uint32_t       n, cap;
};

/* The lowest free slot holds obj (its reference is taken): VML_E_NOMEM. */
vml_status handle_add(vml_machine *m, struct handle_table *t, enum obj_kind kind, void *obj,
                      uint32_t access, uint32_t *slot);
struct handle *handle_get(struct handle_table *t, uint32_t slot, enum obj_kind kind);
/* Closes a slot, dropping its object's reference. */
void       handle_close(vml_machine *m, struct handle_table *t, uint32_t slot);
void       handle_table_free(vml_machine *m, struct handle_table *t);
/* A copy of t with every reference taken again (fork): VML_E_NOMEM. */
vml_status handle_table_dup(vml_machine *m, const struct handle_table *t, struct handle_table *out);

#endif
