/* Durable file-system helpers; see fsutil.h. */
#define _GNU_SOURCE
#include "core/fsutil.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static ferry_status io_error(ferry_error *err, const char *what, const char *path)
{
    return ferry_error_set(err, errno == ENOENT ? FERRY_NOT_FOUND : FERRY_IO, "%s %s: %s", what,
                           path, strerror(errno));
}

static ferry_status write_all(int fd, const char *path, const void *data, size_t len,
                              ferry_error *err)
{
    const char *p = data;
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return io_error(err, "cannot write", path);
        p += n;
        len -= (size_t)n;
    }
    return FERRY_OK;
}

ferry_status fs_fsync_dir(const char *dir, ferry_error *err)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return io_error(err, "cannot open folder", dir);
    int rc = fsync(fd);
    close(fd);
    if (rc != 0)
        return io_error(err, "cannot fsync folder", dir);
    return FERRY_OK;
}

static void parent_of(const char *path, char *out, size_t len)
{
    char tmp[PATH_MAX];
    snprintf(tmp, sizeof tmp, "%s", path);
    snprintf(out, len, "%s", dirname(tmp));
}

ferry_status fs_write_atomic(const char *path, const void *data, size_t len, ferry_error *err)
{
    char tmp[PATH_MAX], dir[PATH_MAX];
    if (snprintf(tmp, sizeof tmp, "%s.tmp-XXXXXX", path) >= (int)sizeof tmp)
        return ferry_error_set(err, FERRY_INVALID_ARG, "%s: path too long", path);
    int fd = mkostemp(tmp, O_CLOEXEC);
    if (fd < 0)
        return io_error(err, "cannot create a temporary file beside", path);
    ferry_status st = write_all(fd, tmp, data, len, err);
    if (st == FERRY_OK && fchmod(fd, 0644) != 0)
        st = io_error(err, "cannot chmod", tmp);
    if (st == FERRY_OK && fsync(fd) != 0)
        st = io_error(err, "cannot fsync", tmp);
    if (close(fd) != 0 && st == FERRY_OK)
        st = io_error(err, "cannot close", tmp);
    if (st == FERRY_OK && rename(tmp, path) != 0)
        st = io_error(err, "cannot rename into", path);
    if (st != FERRY_OK) {
        unlink(tmp);
        return st;
    }
    parent_of(path, dir, sizeof dir);
    return fs_fsync_dir(dir, err);
}

ferry_status fs_copy_file(const char *from, const char *to, ferry_error *err)
{
    int in = open(from, O_RDONLY | O_CLOEXEC);
    if (in < 0)
        return io_error(err, "cannot open", from);
    int out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (out < 0) {
        ferry_status st = io_error(err, "cannot create", to);
        close(in);
        return st;
    }
    ferry_status st = FERRY_OK;
    char chunk[65536];
    for (;;) {
        ssize_t n = read(in, chunk, sizeof chunk);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            st = io_error(err, "cannot read", from);
            break;
        }
        if (n == 0)
            break;
        if ((st = write_all(out, to, chunk, (size_t)n, err)) != FERRY_OK)
            break;
    }
    if (st == FERRY_OK && fsync(out) != 0)
        st = io_error(err, "cannot fsync", to);
    if (close(out) != 0 && st == FERRY_OK)
        st = io_error(err, "cannot close", to);
    close(in);
    return st;
}

ferry_status fs_append_durable(const char *path, const void *data, size_t len, ferry_error *err)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0)
        return io_error(err, "cannot open", path);
    ssize_t n;
    do
        n = write(fd, data, len);
    while (n < 0 && errno == EINTR);
    ferry_status st = FERRY_OK;
    if (n < 0 || (size_t)n != len)
        st = n < 0 ? io_error(err, "cannot append to", path)
                   : ferry_error_set(err, FERRY_IO, "short append to %s", path);
    if (st == FERRY_OK && fsync(fd) != 0)
        st = io_error(err, "cannot fsync", path);
    close(fd);
    return st;
}

static int remove_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    remove(path);
    return 0;
}

void fs_remove_tree(const char *path)
{
    nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

ferry_status fs_read_file(const char *path, char **data, size_t *len, ferry_error *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return io_error(err, "cannot open", path);
    struct stat sb;
    if (fstat(fd, &sb) != 0) {
        ferry_status st = io_error(err, "cannot stat", path);
        close(fd);
        return st;
    }
    size_t size = (size_t)sb.st_size;
    char *buf = malloc(size + 1);
    size_t got = 0;
    ferry_status st =
        buf ? FERRY_OK : ferry_error_set(err, FERRY_NO_MEMORY, "%s: out of memory", path);
    while (st == FERRY_OK && got < size) {
        ssize_t n = read(fd, buf + got, size - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            st = io_error(err, "cannot read", path);
        else if (n == 0)
            break; /* the file shrank: return what is there */
        else
            got += (size_t)n;
    }
    close(fd);
    if (st != FERRY_OK) {
        free(buf);
        return st;
    }
    buf[got] = '\0';
    *data = buf;
    *len = got;
    return FERRY_OK;
}
