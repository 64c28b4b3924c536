/* Reads the standard Prometheus process_* values (memory, CPU time, file descriptors, start time)
 * for the running process from procfs; metrics.c renders them. */
#ifndef FERRY_MONITOR_PROCESS_METRICS_H
#define FERRY_MONITOR_PROCESS_METRICS_H

#include <stdbool.h>

/* One reading. Each has_* flag says whether its value could be read; a value whose source is
 * missing or malformed is left out of the exposition rather than reported as 0. */
typedef struct process_metrics_sample {
    bool has_cpu_seconds;
    double cpu_seconds; /* user + system time */
    bool has_virtual_bytes;
    double virtual_bytes;
    bool has_resident_bytes;
    double resident_bytes;
    bool has_start_time;
    double start_time_seconds; /* since the Unix epoch */
    bool has_open_fds;
    double open_fds;
    bool has_max_fds;
    double max_fds; /* the soft RLIMIT_NOFILE */
} process_metrics_sample;

/* Fills *sample from proc_root ("/proc" in production; tests pass a fake tree holding self/stat,
 * self/fd/ and stat) and getrlimit. Never fails: what cannot be read has its has_* flag false.
 * Allocates nothing that outlives the call. */
void process_metrics_read(const char *proc_root, process_metrics_sample *sample);

#endif
