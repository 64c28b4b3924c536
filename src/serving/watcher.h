/* Noticing changes to the model repository: inotify on the folders the reconciler names (the
 * repository, each model folder, the version folders it loads), with events debounced so that a
 * burst (a git checkout, a deploy writing model.yaml then history.jsonl) becomes one pass, and a
 * poll every poll interval that catches what inotify cannot see (network file systems, a watch
 * limit reached) and is the only trigger when inotify is unavailable or disabled. */
#ifndef FERRY_SERVING_WATCHER_H
#define FERRY_SERVING_WATCHER_H

#include <stdbool.h>

typedef enum watcher_mode {
    WATCHER_INOTIFY, /* inotify plus the poll (the default) */
    WATCHER_POLL,    /* the poll alone */
} watcher_mode;

typedef struct watcher watcher;

/* Creates a watcher. With WATCHER_INOTIFY and inotify unavailable it logs a warning and polls.
 * debounce_ms is the quiet time that ends a burst of events (a burst lasts at most 10 times that).
 * NULL when out of memory or out of file descriptors. */
watcher *watcher_create(watcher_mode mode, unsigned poll_ms, unsigned debounce_ms);

/* Frees the watcher. Accepts NULL. Not while another thread is in watcher_wait. */
void watcher_destroy(watcher *w);

/* True when inotify is in use. */
bool watcher_uses_inotify(const watcher *w);

/* Watches folder `path` for entries created, deleted, renamed, written or touched. Idempotent and
 * cheap for a folder already watched; a folder that is removed drops out on its own. Best effort:
 * a failure (watch limit) is logged once and left to the poll. */
void watcher_watch(watcher *w, const char *path);

/* Blocks until a burst of changes has settled, the poll interval has passed since the previous
 * return, or watcher_wake was called. One thread waits at a time. */
void watcher_wait(watcher *w);

/* Makes watcher_wait return now (or its next call return at once). Thread-safe. */
void watcher_wake(watcher *w);

#endif
