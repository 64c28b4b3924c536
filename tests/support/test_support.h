/* Helpers for ferry's tests: paths to the build and the shared fixtures, temporary folders, JSON
 * fixtures, and a running server with a tiny HTTP client over sockets. */
#ifndef FERRY_TESTS_TEST_SUPPORT_H
#define FERRY_TESTS_TEST_SUPPORT_H

#include <jansson.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* $FERRY_SHARED/rel (the read-only shared fixtures), $FERRY_SOURCE/rel, $FERRY_BIN. Static
 * buffers: copy before the next call. */
const char *ts_shared(const char *rel);
const char *ts_source(const char *rel);
const char *ts_ferry_bin(void);

/* Makes a fresh temporary folder; the caller removes it with ts_rmtree. Returns a malloc'ed path.
 */
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
    int port;      /* REST */
    int grpc_port; /* 0 when gRPC is off */
    int stderr_fd; /* reads the child's stderr (an unlinked file: the server never blocks on it) */
    char *log;     /* everything read from stderr so far (malloc'ed) */
    size_t log_len;
} ts_server;

/* Starts `ferry serve --http-port 0 --grpc-port 0 ARGS...` (NULL-terminated; a later --grpc-port
 * in ARGS wins), waits for the "listening" log line and reads the REST port from it (and the gRPC
 * port from the "gRPC listening" line before it). Returns false (with the log in srv->log) if it
 * exits first. */
bool ts_server_start(ts_server *srv, const char *const *args);

/* As ts_server_start, failing the test with the server's log when it does not start. */
void ts_server_start_ok(ts_server *srv, const char *const *args);

/* Sends SIGTERM and waits; returns the exit status (or -1). Fails the test when the log holds a
 * sanitizer report. Frees the log. Does nothing to a zeroed or already stopped server. */
int ts_server_stop(ts_server *srv);

/* Appends what the server wrote to stderr since the last call to srv->log: whole lines while it
 * runs (a line it is still writing waits for the next call), everything once it has exited. */
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

/* The result of one command run by ts_cmd_v: exit status, stdout and stderr (malloc'ed). */
typedef struct ts_cmd_result {
    int rc;
    char *out;
    char *err;
} ts_cmd_result;

/* Runs the shell command fmt (printf-style) with env_prefix before it ("USER=tester", or ""),
 * capturing stdout and stderr (through a file in tmp_dir); fails the test when stderr holds a
 * sanitizer report. Free the result with ts_cmd_free. */
ts_cmd_result ts_cmd_v(const char *tmp_dir, const char *env_prefix, const char *fmt, va_list ap);
void ts_cmd_free(ts_cmd_result *r);

/* Runs a shell command, captures stdout into a malloc'ed string; returns the exit status. */
int ts_run(const char *command, char **out);

/* ---- Integration helpers ---- */

/* Starts `ferry serve ARGS...` exactly as given (no --http-port 0 added, e.g. to test
 * FERRY_HTTP_PORT); otherwise as ts_server_start. */
bool ts_server_start_args(ts_server *srv, const char *const *args);

/* Waits up to timeout_ms for the server to exit on its own (after a signal the test sent). Returns
 * its exit status (the log is kept, the pid cleared), or -1 when it is still running or was killed
 * by a signal. */
int ts_server_wait(ts_server *srv, int timeout_ms);

/* Reads the server's log until it contains needle; false when it does not within timeout_ms. */
bool ts_server_wait_log(ts_server *srv, const char *needle, int timeout_ms);

/* ts_http to srv's port, then reads srv's log (ts_server_read_log). */
bool ts_server_http(ts_server *srv, const char *method, const char *path, const char *extra_headers,
                    const char *body, size_t body_len, ts_response *resp);

/* Fails the test when a log holds an AddressSanitizer, LeakSanitizer or UBSan report (printing
 * it). ts_server_stop checks every server's log with it. */
void ts_assert_no_sanitizer_report(const char *log);

/* Parses resp's body as JSON; asserts it is JSON. The caller json_decref's it. */
json_t *ts_response_json(const ts_response *resp);

/* A TCP connection to 127.0.0.1:port with a 30 s receive timeout, or -1. */
int ts_connect(int port);

/* Sends all of data on fd; false on an error. */
bool ts_send_all(int fd, const char *data, size_t len);

/* Reads from fd until the peer closes it and parses an HTTP response; false when none came. */
bool ts_read_response(int fd, ts_response *resp);

/* Reads one response framed by Content-Length from a kept-alive connection (the connection stays
 * open; asserts that nothing beyond it arrived). Free with ts_response_free. */
void ts_read_framed_response(int fd, ts_response *resp);

/* Waits up to timeout_ms for the peer to close fd (reading and dropping whatever it sends).
 * Returns the milliseconds it took, or -1 when fd is still open at the deadline. */
int ts_wait_closed(int fd, int timeout_ms);

/* The whole file as a malloc'ed NUL-terminated string (length in *len when not NULL); NULL when it
 * cannot be read. */
char *ts_read_file(const char *path, size_t *len);

/* Copies ../shared/models/FIXTURE/FILE to REPO/NAME/VERSION/FILE (a fresh, writable copy). */
void ts_repo_add(const char *repo, const char *name, const char *version, const char *fixture,
                 const char *file);

/* An inference request holding the fixture's whole test split: {"inputs": [test_inputs.json]}.
 * Returns malloc'ed JSON text. */
char *ts_fixture_request(const char *fixture);

/* How many prediction_ids rows (the id index of the prediction log) id has in STATE_DIR/ferry.db,
 * read with a read-only connection; fails the test when the database cannot be read. */
long long ts_state_id_rows(const char *state_dir, const char *id);

/* A UUID v7 in text form made at Unix time ms, its random bits from r, into id (37 bytes). */
void ts_uuid_v7_at(char *id, int64_t ms, unsigned r);

#endif
