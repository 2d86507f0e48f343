/*
** file.c -- the machine's files: a directory of host files that sections
** map (a fresh temporary directory made with the machine and removed with
** it, or `machine files=PATH`), and host files outside it, which may be
** read and mapped but never written.  File pages are read and written
** through the injection points of core.c (VML_INJECT_FILE_READ/WRITE).
**
** A file is known once, by the host's (device, inode): two spellings of
** one file share its page cache.  Its inode number as vmlab shows it
** (maps, smaps) is the order in which the machine first opened it, so
** output does not depend on the host.
**
** INVARIANTS (checked by file_check()):
**   FL1  Every known file has an open host descriptor, writable only when
**        it lies inside the file directory.
**   FL2  No two known files are the same host file.
**
** TRANSITIONS:
**   unknown -> known         file_open()   (kept until the machine goes)
*/
#define _XOPEN_SOURCE 700   /* realpath() */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "machine.h"

#define FILE_INO_BASE 1000

const char *file_dir(const vml_machine *m)
{
    return m->files_dir ? m->files_dir : "";
}

vml_status file_dir_open(vml_machine *m, const char *path)
{
    struct stat sb;
    if (path == NULL || path[0] == 0) {
        const char *tmp = getenv("TMPDIR");
        char tmpl[300];
        snprintf(tmpl, sizeof tmpl, "%s/vmlab-files-XXXXXX", tmp && tmp[0] ? tmp : "/tmp");
        if (mkdtemp(tmpl) == NULL)
            return mm_fail(m, VML_E_IO, "cannot create a temporary file directory in %s: %s",
                           tmp && tmp[0] ? tmp : "/tmp", strerror(errno));
        m->files_dir = strdup(tmpl);
        m->files_dir_owned = 1;
    } else {
        if (stat(path, &sb) != 0 && (errno != ENOENT || mkdir(path, 0700) != 0))
            return mm_fail(m, VML_E_IO, "file directory %s: %s", path, strerror(errno));
        if (stat(path, &sb) != 0 || !S_ISDIR(sb.st_mode))
            return mm_fail(m, VML_E_INVALID, "file directory %s is not a directory", path);
        m->files_dir = strdup(path);
        m->files_dir_owned = 0;
    }
    if (m->files_dir == NULL)
        return VML_E_NOMEM;
    return VML_OK;
}

/* Removes the temporary directory and what the machine made in it (one
** level: vmlab makes no subdirectories). */
void file_dir_close(vml_machine *m)
{
    file_close_all(m);
    if (m->files_dir && m->files_dir_owned) {
        DIR *d = opendir(m->files_dir);
        struct dirent *de;
        if (d != NULL) {
            while ((de = readdir(d)) != NULL) {
                if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
                    continue;
                char p[4200];
                snprintf(p, sizeof p, "%s/%s", m->files_dir, de->d_name);
                unlink(p);
            }
            closedir(d);
        }
        rmdir(m->files_dir);
    }
    free(m->files_dir);
    m->files_dir = NULL;
}

void file_close_all(vml_machine *m)
{
    for (size_t i = 0; i < m->n_files; i++) {
        struct mm_file *f = m->files[i];
        if (f->fd >= 0)
            close(f->fd);
        if (f->aux_free)
            f->aux_free(f->aux);
        free(f->path);
        free(f->host);
        free(f);
    }
    free(m->files);
    m->files = NULL;
    m->n_files = m->cap_files = 0;
}

/* Inside the file directory: a relative path without a ".." component. */
static int inside_dir(const char *path)
{
    if (path[0] == '/')
        return 0;
    for (const char *s = path; *s; ) {
        const char *e = strchr(s, '/');
        size_t n = e ? (size_t)(e - s) : strlen(s);
        if (n == 2 && s[0] == '.' && s[1] == '.')
            return 0;
        s += n + (e != NULL);
    }
    return 1;
}

vml_status file_open(vml_machine *m, const char *path, unsigned how, struct mm_file **out)
{
    struct stat sb;
    int inside = inside_dir(path);
    if (path[0] == 0)
        return mm_fail(m, VML_E_INVALID, "a file needs a name");
    if (m->no_data)
        return mm_fail(m, VML_E_UNSUPPORTED, "%s: this machine keeps no page contents "
                       "(data=off), so it maps no files or images", path);
    size_t hlen = strlen(path) + (inside ? strlen(m->files_dir) + 2 : 1);
    char *host = malloc(hlen);
    if (host == NULL)
        return VML_E_NOMEM;
    if (inside)
        snprintf(host, hlen, "%s/%s", m->files_dir, path);
    else
        snprintf(host, hlen, "%s", path);
    if (!inside && (how & (FILE_WRITE | FILE_CREATE | FILE_TRUNC))) {
        free(host);
        return mm_fail(m, VML_E_ACCESS, "%s is outside the machine's file directory: it can be "
                       "read and mapped, never written", path);
    }
    int exists = stat(host, &sb) == 0;
    if (exists && S_ISDIR(sb.st_mode)) {
        free(host);
        return mm_fail(m, VML_E_INVALID, "%s is a directory, not a file", path);
    }
    if (exists && !S_ISREG(sb.st_mode)) {
        free(host);
        return mm_fail(m, VML_E_INVALID, "%s is not a regular file", path);
    }
    if (!exists && !(how & FILE_CREATE)) {
        free(host);
        return mm_fail(m, VML_E_NOT_FOUND, "no file %s%s%s", path, inside ? " in " : "",
                       inside ? m->files_dir : "");
    }
    if (exists && (how & FILE_EXCL)) {
        free(host);
        return mm_fail(m, VML_E_EXISTS, "file %s exists", path);
    }
    if (exists)
        for (size_t i = 0; i < m->n_files; i++) {
            struct mm_file *f = m->files[i];
            struct stat fs;
            if (fstat(f->fd, &fs) == 0 && fs.st_dev == sb.st_dev && fs.st_ino == sb.st_ino) {
                free(host);
                *out = f;
                return VML_OK;
            }
        }
    if (m->n_files == m->cap_files) {
        size_t cap = m->cap_files ? 2 * m->cap_files : 8;
        struct mm_file **nf = mm_realloc(m, m->files, cap * sizeof *nf);
        if (nf == NULL) {
            free(host);
            return VML_E_NOMEM;
        }
        m->files = nf;
        m->cap_files = cap;
    }
    struct mm_file *f = mm_calloc(m, 1, sizeof *f);
    /* a host file is named by its real path, as /proc/PID/maps names it
    ** (d_path(): symbolic links resolved, /lib64/ld-linux-x86-64.so.2 is
    ** /usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2 on Debian 12) */
    char *name = f ? (inside ? NULL : realpath(host, NULL)) : NULL;
    if (f && name == NULL)
        name = strdup(path);
    if (f == NULL || name == NULL) {
        free(f);
        free(host);
        return VML_E_NOMEM;
    }
    f->fd = open(host, inside ? O_RDWR | O_CREAT : O_RDONLY, 0644);
    if (f->fd < 0 || fstat(f->fd, &sb) != 0) {
        int e = errno;
        if (f->fd >= 0)
            close(f->fd);
        free(name);
        free(f);
        free(host);
        return mm_fail(m, e == EACCES ? VML_E_ACCESS : VML_E_IO, "cannot open %s: %s", path,
                       strerror(e));
    }
    f->path = name;
    f->host = host;
    f->writable = inside;
    f->size = (uint64_t)sb.st_size;
    f->ino = FILE_INO_BASE + m->n_files;
    m->files[m->n_files++] = f;
    *out = f;
    return VML_OK;
}

int file_read_page(vml_machine *m, struct mm_file *f, uint64_t offset, vml_pfn pfn)
{
    uint8_t *page = phys_frame(&m->phys, pfn);
    int err = mm_injected(m, VML_INJECT_FILE_READ);
    if (!err && offset < f->size) {
        uint64_t n = f->size - offset < VML_PAGE_SIZE ? f->size - offset : VML_PAGE_SIZE;
        err = bio_host_io(f->fd, 0, offset, page, (size_t)n);
        if (!err)
            memset(page + n, 0, VML_PAGE_SIZE - n);
    } else if (!err) {
        memset(page, 0, VML_PAGE_SIZE);
    }
    if (err) {
        m->st.file_read_errors++;
        return err;
    }
    f->reads++;
    m->st.file_reads++;
    return 0;
}

int file_write_page(vml_machine *m, struct mm_file *f, uint64_t offset, vml_pfn pfn)
{
    int err = mm_injected(m, VML_INJECT_FILE_WRITE);
    if (!err && !f->writable)
        err = VML_EACCES;
    if (!err && offset < f->size) {
        uint64_t n = f->size - offset < VML_PAGE_SIZE ? f->size - offset : VML_PAGE_SIZE;
        err = bio_host_io(f->fd, 1, offset, phys_frame(&m->phys, pfn), (size_t)n);
    }
    if (err) {
        m->st.file_write_errors++;
        return err;
    }
    f->writes++;
    m->st.file_writes++;
    return 0;
}

int file_pwrite(vml_machine *m, struct mm_file *f, uint64_t offset, const void *buf, size_t len)
{
    (void)m;
    if (!f->writable)
        return VML_EACCES;
    int err = bio_host_io(f->fd, 1, offset, (uint8_t *)(uintptr_t)buf, len);
    if (!err && offset + len > f->size)
        f->size = offset + len;
    return err;
}

int file_pread(vml_machine *m, struct mm_file *f, uint64_t offset, void *buf, size_t len)
{
    (void)m;
    return bio_host_io(f->fd, 0, offset, buf, len);
}

int file_resize(vml_machine *m, struct mm_file *f, uint64_t size)
{
    (void)m;
    if (!f->writable)
        return VML_EACCES;
    if (ftruncate(f->fd, (off_t)size) != 0)
        return errno == ENOSPC ? VML_ENOSPC : VML_EIO;
    f->size = size;
    return 0;
}

int file_check(vml_machine *m, char *msg, size_t size)
{
    for (size_t i = 0; i < m->n_files; i++) {
        const struct mm_file *f = m->files[i];
        struct stat a, b;
        int acc = f->fd >= 0 ? fcntl(f->fd, F_GETFL) & O_ACCMODE : -1;
        if (f->fd < 0 || fstat(f->fd, &a) != 0 || (acc == O_RDWR) != f->writable) {
            snprintf(msg, size, "FL1: file %s has descriptor %d (mode %d), writable %d", f->path,
                     f->fd, acc, f->writable);
            return -1;
        }
        for (size_t j = i + 1; j < m->n_files; j++)
            if (fstat(m->files[j]->fd, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino) {
                snprintf(msg, size, "FL2: files %s and %s are one host file", f->path,
                         m->files[j]->path);
                return -1;
            }
    }
    return 0;
}
