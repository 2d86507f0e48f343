/*
** bio.h -- backing I/O: the pagefile (a host file of 4 KiB slots and its
** slot allocator) and the machine's files (a directory of host files that
** sections map), both read and written through one injectable I/O layer.
*/
#ifndef VML_MM_BIO_H
#define VML_MM_BIO_H

#include <stddef.h>
#include <stdint.h>
#include "vmlab.h"

/* ---- the pagefile (pagefile.c) --------------------------------------------- */

#define MPW_CLUSTER 16   /* pages per pagefile write (Windows writes up to 64 KiB too) */

/* The whole of len bytes at off of a host file, despite short transfers:
** 0 or an errno (VML_EIO for a read past the end). */
int bio_host_io(int fd, int write, uint64_t off, uint8_t *buf, size_t len);

struct pagefile {
    int       fd;               /* -1: none */
    char      path[256];        /* "" for a temporary file */
    uint64_t  n_slots, used, peak;
    uint64_t *bitmap;           /* 1 = slot in use */
    uint64_t  hint;             /* next-fit search start */
    uint64_t  reads, writes, clusters, read_errors, write_errors;
};

vml_status pf_open(vml_machine *m);
void       pf_close(vml_machine *m);
/* A run of up to want free slots (next fit); 0 when the pagefile is full
** or absent. */
uint64_t   pf_alloc_run(vml_machine *m, uint64_t want, uint64_t *first);
void       pf_free_slot(vml_machine *m, uint64_t slot);
/* Reads slot into frame pfn, counting the read or the error: 0 or an
** errno (VML_EIO...). */
int        pf_read(vml_machine *m, uint64_t slot, vml_pfn pfn);
/* Writes n frames to the consecutive slots from first in one host write
** (the injection point counts it once): 0 or an errno. */
int        pf_write(vml_machine *m, uint64_t first, const vml_pfn *pfns, uint64_t n);
int        pf_check(vml_machine *m, char *msg, size_t size);

/* ---- files (file.c) ---------------------------------------------------------- */

struct segment;

/* A host file the machine knows: one per path, kept while the machine
** lives (its data segment caches the file's pages, as a page cache). */
struct mm_file {
    char     *path;             /* as the script named it */
    char     *host;             /* the host path opened */
    int       fd;
    int       writable;         /* inside the file directory: read/write */
    uint64_t  size;             /* bytes (the file's size now) */
    uint64_t  ino;              /* a stable inode number for maps */
    unsigned  n_open;           /* handles and descriptors */
    struct segment *data;       /* its data section's segment, or NULL */
    struct segment *image;      /* its image section's segment, or NULL */
    uint64_t  reads, writes;    /* pages read and written back */
    void     *aux;              /* what a loader keeps of it (its parsed image) */
    void    (*aux_free)(void *aux);
};

/* The file directory of a new machine: cfg.files, or a fresh temporary
** directory removed with the machine. */
vml_status file_dir_open(vml_machine *m, const char *path);
void       file_dir_close(vml_machine *m);
/* Opens (and with FILE_CREATE creates, with FILE_TRUNC empties) path:
** relative paths are in the file directory, others read-only host files.
** VML_E_NOT_FOUND, VML_E_ACCESS (a write outside the file directory),
** VML_E_INVALID (a directory), VML_E_EXISTS (FILE_EXCL), VML_E_IO,
** VML_E_NOMEM, with a message.  FILE_TRUNC is the caller's to do
** (file_resize) once the pages a section caches are dropped. */
#define FILE_WRITE  1u
#define FILE_CREATE 2u
#define FILE_TRUNC  4u
#define FILE_EXCL   8u
vml_status file_open(vml_machine *m, const char *path, unsigned how, struct mm_file **out);
/* The file directory's host path (for messages). */
const char *file_dir(const vml_machine *m);
/* Reads the 4 KiB page at offset into frame pfn; bytes past the end of
** the file read as zero.  0 or an errno; counted (file_reads). */
int        file_read_page(vml_machine *m, struct mm_file *f, uint64_t offset, vml_pfn pfn);
/* Writes frame pfn to the file at offset, never past the file's end (a
** file mapping does not grow its file).  0 or an errno; counted. */
int        file_write_page(vml_machine *m, struct mm_file *f, uint64_t offset, vml_pfn pfn);
/* Writes bytes of the file's contents directly (the `file` command; the
** caller has dropped the pages a section caches).  0 or an errno. */
int        file_pwrite(vml_machine *m, struct mm_file *f, uint64_t offset, const void *buf,
                       size_t len);
int        file_pread(vml_machine *m, struct mm_file *f, uint64_t offset, void *buf, size_t len);
/* Sets the file's size (truncate or extend with zeros).  0 or an errno. */
int        file_resize(vml_machine *m, struct mm_file *f, uint64_t size);
void       file_close_all(vml_machine *m);
int        file_check(vml_machine *m, char *msg, size_t size);

#endif
