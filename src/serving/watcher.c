/* inotify, an eventfd to wake the waiter, and poll(2) with a deadline; see watcher.h. */
#include "serving/watcher.h"

#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/log.h"

#define WATCH_MASK                                                                                 \
    (IN_CREATE | IN_DELETE | IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_ATTRIB |            \
     IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR)

struct watcher {
    int inotify_fd; /* -1 when polling only */
    int wake_fd;    /* eventfd */
    uint64_t poll_ns;
    uint64_t debounce_ns;
    uint64_t next_poll_ns; /* when the next poll is due */
    bool warned;           /* a failed watch was logged */
};

watcher *watcher_create(watcher_mode mode, unsigned poll_ms, unsigned debounce_ms)
{
    watcher *w = calloc(1, sizeof *w);
    if (w == NULL)
        return NULL;
    w->inotify_fd = -1;
    w->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (w->wake_fd < 0) {
        free(w);
        return NULL;
    }
    w->poll_ns = (uint64_t)(poll_ms ? poll_ms : 1) * 1000000u;
    w->debounce_ns = (uint64_t)debounce_ms * 1000000u;
    w->next_poll_ns = clock_now_ns() + w->poll_ns;
    if (mode == WATCHER_INOTIFY) {
        w->inotify_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
        if (w->inotify_fd < 0)
            log_warn(NULL, "inotify is unavailable (%s); polling the repository every %u ms",
                     strerror(errno), poll_ms);
    }
    return w;
}

void watcher_destroy(watcher *w)
{
    if (w == NULL)
        return;
    if (w->inotify_fd >= 0)
        close(w->inotify_fd);
    close(w->wake_fd);
    free(w);
}

bool watcher_uses_inotify(const watcher *w)
{
    return w->inotify_fd >= 0;
}

void watcher_watch(watcher *w, const char *path)
{
    if (w->inotify_fd < 0 || inotify_add_watch(w->inotify_fd, path, WATCH_MASK) >= 0)
        return;
    if (errno == ENOENT || errno == ENOTDIR || w->warned)
        return; /* gone already (the next pass notices), or said once */
    w->warned = true;
    log_fields f = {.file = path};
    log_warn(&f, "cannot watch the folder (%s); changes there are seen by polling",
             errno == ENOSPC ? "inotify watch limit reached: raise fs.inotify.max_user_watches"
                             : strerror(errno));
}

/* Reads and drops every queued event; true when there was at least one. */
static bool drain(int fd)
{
    char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
    bool any = false;
    while (read(fd, buf, sizeof buf) > 0)
        any = true;
    return any;
}

void watcher_wake(watcher *w)
{
    uint64_t one = 1;
    ssize_t n = write(w->wake_fd, &one, sizeof one);
    (void)n; /* EAGAIN: the counter is already non-zero, so a wake is pending anyway */
}

/* Milliseconds from now until deadline, rounded up, at least 0. */
static int ms_until(uint64_t deadline)
{
    uint64_t now = clock_now_ns();
    return deadline <= now ? 0 : (int)((deadline - now + 999999u) / 1000000u);
}

void watcher_wait(watcher *w)
{
    uint64_t burst_start = 0, settle = 0;
    for (;;) {
        uint64_t deadline = settle != 0 && settle < w->next_poll_ns ? settle : w->next_poll_ns;
        struct pollfd fds[2] = {{.fd = w->wake_fd, .events = POLLIN},
                                {.fd = w->inotify_fd, .events = POLLIN}};
        int n = poll(fds, w->inotify_fd >= 0 ? 2 : 1, ms_until(deadline));
        if (n > 0 && (fds[0].revents & POLLIN)) {
            drain(w->wake_fd);
            break;
        }
        if (n > 0 && (fds[1].revents & POLLIN) && drain(w->inotify_fd)) {
            uint64_t now = clock_now_ns();
            burst_start = burst_start ? burst_start : now;
            uint64_t cap = burst_start + 10 * w->debounce_ns;
            settle = now + w->debounce_ns < cap ? now + w->debounce_ns : cap;
            continue;
        }
        if (n == 0 && clock_now_ns() >= deadline)
            break;
    }
    w->next_poll_ns = clock_now_ns() + w->poll_ns;
}
