/* Helpers for ferry's tests: paths to the build and the shared fixtures, temporary folders, JSON
 * fixtures, and a running server with a tiny HTTP client over sockets. */
#ifndef FERRY_TESTS_TEST_SUPPORT_H
#define FERRY_TESTS_TEST_SUPPORT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* $FERRY_SHARED/rel (the read-only shared fixtures), $FERRY_SOURCE/rel, $FERRY_BIN. Static
 * buffers: copy before the next call. */
const char *ts_shared(const char *rel);
const char *ts_source(const char *rel);
const char *ts_ferry_bin(void);

/* Makes a fresh temporary folder; the caller removes it with ts_rmtree. Returns a malloc'ed path. */
char *ts_mkdtemp(void);
void ts_rmtree(const char *path);

/* Writes text to path (creating parent folders); asserts on failure. */
void ts_write_file(const char *path, const char *text);

/* Copies a file; asserts on failure. */
void ts_copy_file(const char *from, const char *to);

/* Loads a JSON file; asserts on failure. */
json_t *ts_load_json(const char *path);

/* True when |a - e| <= 1e-6 + 1e-5 * |e|. */
bool ts_close(double actual, double expected);

/* A ferry server started as a child process on a free port. */
typedef struct ts_server {
    pid_t pid;
    int port;
    int stderr_fd;  /* read end of the child's stderr */
    char *log;      /* everything read from stderr so far (malloc'ed) */
    size_t log_len;
} ts_server;

/* Starts `ferry serve --http-port 0 ARGS...` (NULL-terminated), waits for the "listening" log
 * line and reads the port from it. Returns false (with the log in srv->log) if it exits first. */
bool ts_server_start(ts_server *srv, const char *const *args);

/* Sends SIGTERM and waits; returns the exit status (or -1). Frees the log. */
int ts_server_stop(ts_server *srv);

/* Reads whatever the server wrote to stderr since the last call into srv->log. */
void ts_server_read_log(ts_server *srv);

/* An HTTP response. */
typedef struct ts_response {
    int status;
    char headers[4096];
    char *body; /* malloc'ed, NUL-terminated */
    size_t body_len;
} ts_response;

/* Sends one request on a new connection and reads the whole response (Connection: close).
 * extra_headers are raw "Name: value\r\n" lines or NULL. Returns false on a socket error. */
bool ts_http(int port, const char *method, const char *path, const char *extra_headers,
             const char *body, size_t body_len, ts_response *resp);

/* The value of header `name` in resp (case-insensitive), copied into buf; NULL when absent. */
const char *ts_header(const ts_response *resp, const char *name, char *buf, size_t len);

void ts_response_free(ts_response *resp);

/* Runs a shell command, captures stdout into a malloc'ed string; returns the exit status. */
int ts_run(const char *command, char **out);

#endif
