/* Reads the process_* values of the running process from procfs (self/stat, self/fd, stat) and
 * getrlimit: the same sources the Prometheus Go client uses, so dashboards built for it work. */
#include "monitor/process_metrics.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

/* /proc/self/stat is a few hundred bytes: about 50 numbers and a command name of at most 64. */
#define PROCESS_STAT_MAX 4096

/* Fields of /proc/self/stat, numbered from 1 as in proc(5). Field 3 (state) is the first one after
 * the parenthesised command name, which may itself contain spaces and parentheses. */
enum {
    STAT_FIRST_FIELD = 3,
    STAT_UTIME = 14,
    STAT_STIME = 15,
    STAT_STARTTIME = 22,
    STAT_VSIZE = 23,
    STAT_RSS = 24,
};

typedef struct stat_fields {
    unsigned long long utime;     /* clock ticks */
    unsigned long long stime;     /* clock ticks */
    unsigned long long starttime; /* clock ticks after boot */
    unsigned long long vsize;     /* bytes */
    unsigned long long rss;       /* pages */
} stat_fields;

/* ======================== Files ======================== */

static bool join_path(char *out, size_t cap, const char *root, const char *rest)
{
    int n = snprintf(out, cap, "%s/%s", root, rest);
    return n >= 0 && (size_t)n < cap;
}

/* Reads a whole file into buf and NUL-terminates it. False when the file is missing, unreadable
 * or does not fit in cap - 1 bytes. */
static bool read_small_file(const char *path, char *buf, size_t cap)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    size_t len = 0;
    bool ok = true;
    for (;;) {
        if (len == cap - 1) {
            ok = false; /* too long to be what we expect */
            break;
        }
        ssize_t n = read(fd, buf + len, cap - 1 - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            ok = n == 0;
            break;
        }
        len += (size_t)n;
    }
    if (close(fd) != 0)
        ok = false;
    buf[len] = '\0';
    return ok;
}

/* A decimal token with nothing else in it; rejects signs, which strtoull would accept. */
static bool parse_unsigned(const char *token, unsigned long long *out)
{
    if (*token < '0' || *token > '9')
        return false;
    char *end;
    errno = 0;
    unsigned long long value = strtoull(token, &end, 10);
    if (errno != 0 || *end != '\0')
        return false;
    *out = value;
    return true;
}

/* ======================== /proc/self/stat ======================== */

static unsigned long long *stat_slot(stat_fields *fields, int field)
{
    switch (field) {
    case STAT_UTIME:
        return &fields->utime;
    case STAT_STIME:
        return &fields->stime;
    case STAT_STARTTIME:
        return &fields->starttime;
    case STAT_VSIZE:
        return &fields->vsize;
    case STAT_RSS:
        return &fields->rss;
    default:
        return NULL;
    }
}

/* Parses the fields we use out of text (which it tokenises in place). */
static bool parse_stat(char *text, stat_fields *fields)
{
    char *paren = strrchr(text, ')');
    if (paren == NULL)
        return false;
    char *save = NULL;
    int field = STAT_FIRST_FIELD;
    for (char *token = strtok_r(paren + 1, " \n", &save); token != NULL && field <= STAT_RSS;
         token = strtok_r(NULL, " \n", &save), field++) {
        unsigned long long *slot = stat_slot(fields, field);
        if (slot != NULL && !parse_unsigned(token, slot))
            return false;
    }
    return field > STAT_RSS;
}

/* The boot time in seconds since the epoch, from the "btime" line of <proc_root>/stat. That file
 * can be long (one "intr" line holds a number per interrupt), so it is read line by line. */
static bool read_boot_time(const char *proc_root, unsigned long long *btime)
{
    char path[PATH_MAX];
    if (!join_path(path, sizeof path, proc_root, "stat"))
        return false;
    FILE *file = fopen(path, "re");
    if (file == NULL)
        return false;
    char *line = NULL;
    size_t line_cap = 0;
    bool found = false;
    ssize_t n;
    while ((n = getline(&line, &line_cap, file)) >= 0) {
        if (strncmp(line, "btime ", 6) != 0)
            continue;
        if (n > 0 && line[n - 1] == '\n')
            line[n - 1] = '\0';
        found = parse_unsigned(line + 6, btime);
        break;
    }
    free(line);
    if (fclose(file) != 0)
        found = false;
    return found;
}

static void read_stat_values(const char *proc_root, process_metrics_sample *sample)
{
    char path[PATH_MAX];
    char text[PROCESS_STAT_MAX];
    stat_fields fields = {0};
    if (!join_path(path, sizeof path, proc_root, "self/stat") ||
        !read_small_file(path, text, sizeof text) || !parse_stat(text, &fields))
        return;

    sample->has_virtual_bytes = true;
    sample->virtual_bytes = (double)fields.vsize;

    long page_size = sysconf(_SC_PAGESIZE);
    if (page_size > 0) {
        sample->has_resident_bytes = true;
        sample->resident_bytes = (double)fields.rss * (double)page_size;
    }

    long ticks_per_second = sysconf(_SC_CLK_TCK);
    if (ticks_per_second <= 0)
        return;
    sample->has_cpu_seconds = true;
    sample->cpu_seconds = (double)(fields.utime + fields.stime) / (double)ticks_per_second;

    unsigned long long boot_time;
    if (read_boot_time(proc_root, &boot_time)) {
        sample->has_start_time = true;
        sample->start_time_seconds =
            (double)boot_time + (double)fields.starttime / (double)ticks_per_second;
    }
}

/* ======================== File descriptors ======================== */

/* Counts the entries of <proc_root>/self/fd, leaving out the descriptor that reading it uses. */
static void read_open_fds(const char *proc_root, process_metrics_sample *sample)
{
    char path[PATH_MAX];
    if (!join_path(path, sizeof path, proc_root, "self/fd"))
        return;
    DIR *dir = opendir(path);
    if (dir == NULL)
        return;
    char own[32];
    int own_len = snprintf(own, sizeof own, "%d", dirfd(dir));
    bool ok = own_len > 0 && (size_t)own_len < sizeof own;
    unsigned long count = 0;
    for (;;) {
        errno = 0;
        struct dirent *entry = readdir(dir);
        if (entry == NULL) {
            ok = ok && errno == 0;
            break;
        }
        if (entry->d_name[0] != '.' && strcmp(entry->d_name, own) != 0)
            count++;
    }
    if (closedir(dir) != 0)
        ok = false;
    if (ok) {
        sample->has_open_fds = true;
        sample->open_fds = (double)count;
    }
}

static void read_max_fds(process_metrics_sample *sample)
{
    struct rlimit limit;
    if (getrlimit(RLIMIT_NOFILE, &limit) != 0)
        return;
    sample->has_max_fds = true;
    sample->max_fds = (double)limit.rlim_cur; /* RLIM_INFINITY shows as 2^64, as in the Go client */
}

/* ======================== API ======================== */

void process_metrics_read(const char *proc_root, process_metrics_sample *sample)
{
    *sample = (process_metrics_sample){0};
    read_stat_values(proc_root, sample);
    read_open_fds(proc_root, sample);
    read_max_fds(sample);
}
