/* Durable file-system operations for the repository: atomic file replacement (temporary file,
 * fsync, rename, fsync of the folder), file copies with fsync, folder creation and removal. */
#ifndef FERRY_CORE_FSUTIL_H
#define FERRY_CORE_FSUTIL_H

#include <stddef.h>

#include "ferry/status.h"

/* Replaces `path` with `len` bytes of `data` atomically: readers see the old or the new file,
 * never a partial one, and after return the change survives a crash. Fails with IO naming path. */
ferry_status fs_write_atomic(const char *path, const void *data, size_t len,
                             ferry_error *err) FERRY_MUST_CHECK;

/* Copies `from` to `to` (created, truncated) and fsyncs it. */
ferry_status fs_copy_file(const char *from, const char *to, ferry_error *err) FERRY_MUST_CHECK;

/* fsyncs a folder so that entries created or renamed in it are durable. */
ferry_status fs_fsync_dir(const char *dir, ferry_error *err) FERRY_MUST_CHECK;

/* Appends `len` bytes to `path` with O_APPEND (one write) and fsyncs it; creates the file. */
ferry_status fs_append_durable(const char *path, const void *data, size_t len,
                               ferry_error *err) FERRY_MUST_CHECK;

/* Removes a folder and everything in it (used to clean up temporary folders). Best effort. */
void fs_remove_tree(const char *path);

/* Reads a whole file into a malloc'ed NUL-terminated buffer the caller frees. NOT_FOUND when
 * missing. */
ferry_status fs_read_file(const char *path, char **data, size_t *len,
                          ferry_error *err) FERRY_MUST_CHECK;

#endif
