/*
** reader.c -- where the parsers' bytes come from: a buffer in memory or a
** host file descriptor.  The memory manager's I/O layer will add a reader
** of its own (the machine's file directory); the parsers see only
** struct ld_reader, so they do not change.
*/
#include "image.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static vml_status ld_mem_read(const struct ld_reader *r, uint64_t off, void *buf, size_t len)
{
    if (off > r->size || len > r->size - off)
        return VML_E_IO;
    memcpy(buf, r->data + off, len);
    return VML_OK;
}

void ld_reader_mem(struct ld_reader *r, const void *data, size_t size)
{
    memset(r, 0, sizeof *r);
    r->size = size;
    r->data = data;
    r->fd = -1;
    r->read = ld_mem_read;
}

static vml_status ld_fd_read(const struct ld_reader *r, uint64_t off, void *buf, size_t len)
{
    uint8_t *p = buf;

    while (len > 0) {
        ssize_t n = pread(r->fd, p, len, (off_t)off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return VML_E_IO;       /* an error, or the file shrank under us */
        p += n;
        off += (uint64_t)n;
        len -= (size_t)n;
    }
    return VML_OK;
}

vml_status ld_reader_fd(struct ld_reader *r, int fd, char *err, size_t err_size)
{
    struct stat st;

    if (fstat(fd, &st) != 0) {
        snprintf(err, err_size, "image: cannot stat the file: %s", strerror(errno));
        return VML_E_IO;
    }
    if (!S_ISREG(st.st_mode)) {
        snprintf(err, err_size, "image: not a regular file");
        return VML_E_INVALID;
    }
    memset(r, 0, sizeof *r);
    r->size = (uint64_t)st.st_size;
    r->fd = fd;
    r->read = ld_fd_read;
    return VML_OK;
}
