/* Test helpers; see test_support.h. Tests assert through cmocka, so helpers that cannot continue
 * fail the test with assert_true(false) plus a message on stderr. */
#include "test_support.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <setjmp.h>
#include <stddef.h>
#include <cmocka.h>

static const char *env_or_die(const char *name)
{
    const char *v = getenv(name);
    if (v == NULL || v[0] == '\0') {
        fprintf(stderr, "test: environment variable %s is not set (run through ctest)\n", name);
        abort();
    }
    return v;
}

const char *ts_shared(const char *rel)
{
    static char path[4096];
    snprintf(path, sizeof path, "%s/%s", env_or_die("FERRY_SHARED"), rel);
    return path;
}

const char *ts_source(const char *rel)
{
    static char path[4096];
    snprintf(path, sizeof path, "%s/%s", env_or_die("FERRY_SOURCE"), rel);
    return path;
}

const char *ts_ferry_bin(void)
{
    return env_or_die("FERRY_BIN");
}

char *ts_mkdtemp(void)
{
    char tmpl[] = "/tmp/ferry-test-XXXXXX";
    char *dir = mkdtemp(tmpl);
    assert_non_null(dir);
    char *copy = strdup(dir);
    assert_non_null(copy);
    return copy;
}

void ts_rmtree(const char *path)
{
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", path);
    assert_int_equal(system(cmd), 0);
}

static void mkdirs_for(const char *path)
{
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s", path);
    for (char *p = tmp + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        mkdir(tmp, 0755);
        *p = '/';
    }
}

void ts_write_file(const char *path, const char *text)
{
    mkdirs_for(path);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, strlen(text), f), strlen(text));
    assert_int_equal(fclose(f), 0);
}

void ts_copy_file(const char *from, const char *to)
{
    mkdirs_for(to);
    char cmd[8400];
    snprintf(cmd, sizeof cmd, "cp '%s' '%s'", from, to);
    assert_int_equal(system(cmd), 0);
}

json_t *ts_load_json(const char *path)
{
    json_error_t jerr;
    json_t *doc = json_load_file(path, 0, &jerr);
    if (doc == NULL)
        fprintf(stderr, "test: %s: %s\n", path, jerr.text);
    assert_non_null(doc);
    return doc;
}

bool ts_close(double actual, double expected)
{
    return fabs(actual - expected) <= 1e-6 + 1e-5 * fabs(expected);
}

/* ---------------------------------------------------------------------------------------- */
/* Server                                                                                      */
/* ---------------------------------------------------------------------------------------- */

/* Whether the log file holds a whole line past what ts_server_read_log took. */
static bool unread_line(int fd)
{
    char buf[4096];
    off_t at = lseek(fd, 0, SEEK_CUR);
    for (ssize_t n; at >= 0 && (n = pread(fd, buf, sizeof buf, at)) > 0; at += n)
        if (memchr(buf, '\n', (size_t)n) != NULL)
            return true;
    return false;
}

/* Waits up to 10 ms for the server to write a line to its log (returns at once when one is
 * there), so that loops counting 10 ms steps keep their timeout. */
static void wait_for_log(int fd)
{
    for (int ms = 0; ms < 10 && !unread_line(fd); ms++)
        usleep(1000);
}

/* The log is a file, and a write to a file shows page by page: while the server runs, a line it
 * may be halfway through writing (the bytes after the last newline) stays in the file for the next
 * call, so that srv->log only ever ends in a whole line. Once the server has exited (pid 0),
 * everything is read. The log grows once per call, by what the file holds past the last read: a
 * backlog of megabytes (a chatty server, a reader that fell behind) costs one copy, not one per
 * chunk. */
void ts_server_read_log(ts_server *srv)
{
    struct stat st;
    off_t at = lseek(srv->stderr_fd, 0, SEEK_CUR);
    if (at < 0 || fstat(srv->stderr_fd, &st) != 0 || st.st_size <= at)
        return;
    size_t want = (size_t)(st.st_size - at), start = srv->log_len;
    char *grown = realloc(srv->log, start + want + 1);
    assert_non_null(grown);
    srv->log = grown;
    while (srv->log_len < start + want) {
        ssize_t n = read(srv->stderr_fd, srv->log + srv->log_len, start + want - srv->log_len);
        if (n <= 0)
            break;
        srv->log_len += (size_t)n;
    }
    size_t whole = srv->log_len;
    while (srv->pid > 0 && whole > start && srv->log[whole - 1] != '\n')
        whole--;
    if (whole < srv->log_len)
        lseek(srv->stderr_fd, -(off_t)(srv->log_len - whole), SEEK_CUR);
    srv->log_len = whole;
    srv->log[whole] = '\0';
}

/* Finds "port":N on the line whose message starts with `msg` ("listening", "gRPC listening"). */
static int port_from_log(const char *log, const char *msg)
{
    char needle[64];
    snprintf(needle, sizeof needle, "\"msg\":\"%s", msg);
    const char *line = strstr(log, needle);
    if (line == NULL)
        return 0;
    const char *p = strstr(line, "\"port\":");
    const char *end = strchr(line, '\n');
    return p != NULL && (end == NULL || p < end) ? atoi(p + 7) : 0;
}

static bool start_server(ts_server *srv, const char *const *args, bool free_port)
{
    memset(srv, 0, sizeof *srv);
    /* The server's stderr is a file, not a pipe: a pipe holds 64 KiB, and a test that talks to the
     * server without reading its log in time (a loop of requests on raw sockets) would find the
     * server blocked in a log write, answering nothing. The file is unlinked at once; the test
     * reads it through its own descriptor. */
    char path[] = "/tmp/ferry-test-log-XXXXXX";
    int log_fd = mkstemp(path);
    assert_true(log_fd >= 0);
    int read_fd = open(path, O_RDONLY | O_CLOEXEC);
    unlink(path);
    assert_true(read_fd >= 0);
    const char *argv[64] = {ts_ferry_bin(), "serve"};
    int argc = 2;
    if (free_port) {
        argv[argc++] = "--http-port";
        argv[argc++] = "0";
        argv[argc++] = "--grpc-port";
        argv[argc++] = "0";
    }
    for (int i = 0; args != NULL && args[i] != NULL && argc < 62; i++)
        argv[argc++] = args[i];
    argv[argc] = NULL;
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        dup2(log_fd, STDERR_FILENO);
        close(log_fd);
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    close(log_fd);
    srv->pid = pid;
    srv->stderr_fd = read_fd;
    for (int waited = 0; waited < 30000; waited += 10) {
        wait_for_log(srv->stderr_fd);
        ts_server_read_log(srv);
        if (srv->log != NULL && (srv->port = port_from_log(srv->log, "listening")) > 0) {
            srv->grpc_port = port_from_log(srv->log, "gRPC listening");
            return true;
        }
        int status;
        if (waitpid(pid, &status, WNOHANG) == pid) {
            srv->pid = 0;
            ts_server_read_log(srv);
            return false;
        }
    }
    return false;
}

bool ts_server_start(ts_server *srv, const char *const *args)
{
    return start_server(srv, args, true);
}

void ts_server_start_ok(ts_server *srv, const char *const *args)
{
    if (!ts_server_start(srv, args))
        fail_msg("server did not start:\n%s", srv->log ? srv->log : "");
}

bool ts_server_start_args(ts_server *srv, const char *const *args)
{
    return start_server(srv, args, false);
}

int ts_server_stop(ts_server *srv)
{
    int status = -1;
    if (srv->pid > 0) {
        kill(srv->pid, SIGTERM);
        for (int waited = 0; waited < 60000; waited += 10) {
            if (waitpid(srv->pid, &status, WNOHANG) == srv->pid)
                break;
            wait_for_log(srv->stderr_fd);
            ts_server_read_log(srv);
        }
        if (waitpid(srv->pid, &status, WNOHANG) == 0) {
            kill(srv->pid, SIGKILL);
            waitpid(srv->pid, &status, 0);
        }
    }
    if (srv->stderr_fd <= 0) /* never started (a zeroed struct) or already stopped */
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    srv->pid = 0; /* exited: its last line is read even without a newline */
    ts_server_read_log(srv);
    char *log = srv->log;
    close(srv->stderr_fd);
    srv->stderr_fd = -1;
    srv->log = NULL;
    srv->log_len = 0;
    ts_assert_no_sanitizer_report(log);
    free(log);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int ts_server_wait(ts_server *srv, int timeout_ms)
{
    if (srv->pid <= 0)
        return -1;
    for (int waited = 0; waited <= timeout_ms; waited += 10) {
        int status;
        if (waitpid(srv->pid, &status, WNOHANG) == srv->pid) {
            srv->pid = 0;
            ts_server_read_log(srv);
            return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        }
        wait_for_log(srv->stderr_fd);
        ts_server_read_log(srv);
    }
    return -1;
}

bool ts_server_wait_log(ts_server *srv, const char *needle, int timeout_ms)
{
    for (int waited = 0; waited <= timeout_ms; waited += 10) {
        ts_server_read_log(srv);
        if (srv->log != NULL && strstr(srv->log, needle) != NULL)
            return true;
        wait_for_log(srv->stderr_fd);
    }
    return false;
}

bool ts_server_http(ts_server *srv, const char *method, const char *path, const char *extra_headers,
                    const char *body, size_t body_len, ts_response *resp)
{
    bool ok = ts_http(srv->port, method, path, extra_headers, body, body_len, resp);
    ts_server_read_log(srv);
    return ok;
}

void ts_assert_no_sanitizer_report(const char *log)
{
    static const char *const markers[] = {"ERROR: AddressSanitizer", "ERROR: LeakSanitizer",
                                          "runtime error:", "WARNING: ThreadSanitizer"};
    bool dirty = false;
    for (size_t i = 0; log != NULL && i < sizeof markers / sizeof markers[0]; i++)
        dirty = dirty || strstr(log, markers[i]) != NULL;
    if (dirty)
        fprintf(stderr, "test: sanitizer report in the server log:\n%s\n", log);
    assert_false(dirty);
}

/* ---------------------------------------------------------------------------------------- */
/* HTTP client                                                                                 */
/* ---------------------------------------------------------------------------------------- */

static int connect_local(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0) {
        close(fd);
        return -1;
    }
    struct timeval tv = {.tv_sec = 30};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    return fd;
}

static bool write_all(int fd, const char *data, size_t len)
{
    while (len > 0) {
        ssize_t n = send(fd, data, len, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        data += n;
        len -= (size_t)n;
    }
    return true;
}

static char *read_all(int fd, size_t *len)
{
    size_t cap = 65536, used = 0;
    char *buf = malloc(cap + 1);
    for (;;) {
        if (used == cap) {
            cap *= 2;
            buf = realloc(buf, cap + 1);
        }
        ssize_t n = recv(fd, buf + used, cap - used, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        used += (size_t)n;
    }
    buf[used] = '\0';
    *len = used;
    return buf;
}

static bool parse_response(char *raw, size_t len, ts_response *resp)
{
    char *end = strstr(raw, "\r\n\r\n");
    if (end == NULL || sscanf(raw, "HTTP/1.%*d %d", &resp->status) != 1)
        return false;
    size_t head = (size_t)(end - raw);
    snprintf(resp->headers, sizeof resp->headers, "%.*s", (int)head, raw);
    resp->body_len = len - head - 4;
    resp->body = malloc(resp->body_len + 1);
    memcpy(resp->body, end + 4, resp->body_len);
    resp->body[resp->body_len] = '\0';
    return true;
}

bool ts_http(int port, const char *method, const char *path, const char *extra_headers,
             const char *body, size_t body_len, ts_response *resp)
{
    memset(resp, 0, sizeof *resp);
    int fd = connect_local(port);
    if (fd < 0)
        return false;
    char head[8192];
    int n = snprintf(head, sizeof head,
                     "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n%s"
                     "Content-Length: %zu\r\n\r\n",
                     method, path, extra_headers ? extra_headers : "", body ? body_len : 0);
    bool ok = write_all(fd, head, (size_t)n) && (body == NULL || write_all(fd, body, body_len));
    size_t len = 0;
    char *raw = ok ? read_all(fd, &len) : NULL;
    close(fd);
    ok = raw != NULL && parse_response(raw, len, resp);
    free(raw);
    return ok;
}

const char *ts_header(const ts_response *resp, const char *name, char *buf, size_t len)
{
    const char *p = resp->headers;
    size_t n = strlen(name);
    while ((p = strstr(p, "\r\n")) != NULL) {
        p += 2;
        if (strncasecmp(p, name, n) == 0 && p[n] == ':') {
            const char *v = p + n + 1;
            while (*v == ' ')
                v++;
            size_t vlen = strcspn(v, "\r\n");
            snprintf(buf, len, "%.*s", (int)vlen, v);
            return buf;
        }
    }
    return NULL;
}

void ts_response_free(ts_response *resp)
{
    free(resp->body);
    resp->body = NULL;
}

int ts_run(const char *command, char **out)
{
    FILE *p = popen(command, "r");
    assert_non_null(p);
    size_t cap = 65536, used = 0;
    char *buf = malloc(cap + 1);
    size_t n;
    while ((n = fread(buf + used, 1, cap - used, p)) > 0) {
        used += n;
        if (used == cap) {
            cap *= 2;
            buf = realloc(buf, cap + 1);
        }
    }
    buf[used] = '\0';
    int status = pclose(p);
    if (out != NULL)
        *out = buf;
    else
        free(buf);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* ---------------------------------------------------------------------------------------- */
/* Integration helpers                                                                         */
/* ---------------------------------------------------------------------------------------- */

json_t *ts_response_json(const ts_response *resp)
{
    json_error_t jerr;
    json_t *doc = resp->body ? json_loadb(resp->body, resp->body_len, 0, &jerr) : NULL;
    if (doc == NULL)
        fprintf(stderr, "test: response body is not JSON (%s): %.500s\n",
                resp->body ? jerr.text : "no body", resp->body ? resp->body : "");
    assert_non_null(doc);
    return doc;
}

int ts_connect(int port)
{
    return connect_local(port);
}

bool ts_send_all(int fd, const char *data, size_t len)
{
    return write_all(fd, data, len);
}

bool ts_read_response(int fd, ts_response *resp)
{
    memset(resp, 0, sizeof *resp);
    size_t len = 0;
    char *raw = read_all(fd, &len);
    bool ok = parse_response(raw, len, resp);
    free(raw);
    return ok;
}

void ts_read_framed_response(int fd, ts_response *resp)
{
    char buf[65536];
    size_t used = 0;
    char *end = NULL;
    while (end == NULL) {
        assert_true(used < sizeof buf - 1);
        ssize_t n = recv(fd, buf + used, sizeof buf - 1 - used, 0);
        assert_true(n > 0);
        used += (size_t)n;
        buf[used] = '\0';
        end = strstr(buf, "\r\n\r\n");
    }
    memset(resp, 0, sizeof *resp);
    assert_int_equal(sscanf(buf, "HTTP/1.1 %d", &resp->status), 1);
    size_t head = (size_t)(end - buf);
    snprintf(resp->headers, sizeof resp->headers, "%.*s", (int)head, buf);
    char length[32];
    assert_non_null(ts_header(resp, "Content-Length", length, sizeof length));
    resp->body_len = (size_t)atol(length);
    while (used < head + 4 + resp->body_len) {
        ssize_t n = recv(fd, buf + used, sizeof buf - 1 - used, 0);
        assert_true(n > 0);
        used += (size_t)n;
    }
    assert_int_equal(used, head + 4 + resp->body_len); /* nothing beyond this response */
    resp->body = malloc(resp->body_len + 1);
    assert_non_null(resp->body);
    memcpy(resp->body, end + 4, resp->body_len);
    resp->body[resp->body_len] = '\0';
}

int ts_wait_closed(int fd, int timeout_ms)
{
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (;;) {
        clock_gettime(CLOCK_MONOTONIC, &t1);
        int elapsed = (int)((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000);
        if (elapsed > timeout_ms)
            return -1;
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        if (poll(&pfd, 1, timeout_ms - elapsed) <= 0)
            continue;
        char buf[4096];
        ssize_t n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
            clock_gettime(CLOCK_MONOTONIC, &t1);
            return (int)((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000);
        }
    }
}

char *ts_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    size_t cap = 65536, used = 0, n;
    char *buf = malloc(cap + 1);
    assert_non_null(buf);
    while ((n = fread(buf + used, 1, cap - used, f)) > 0) {
        used += n;
        if (used == cap) {
            cap *= 2;
            buf = realloc(buf, cap + 1);
            assert_non_null(buf);
        }
    }
    fclose(f);
    buf[used] = '\0';
    if (len != NULL)
        *len = used;
    return buf;
}

void ts_repo_add(const char *repo, const char *name, const char *version, const char *fixture,
                 const char *file)
{
    char from[4096], to[4096];
    snprintf(from, sizeof from, "%s/%s/%s", ts_shared("models"), fixture, file);
    snprintf(to, sizeof to, "%s/%s/%s/%s", repo, name, version, file);
    size_t len = 0;
    char *data = ts_read_file(from, &len);
    if (data == NULL)
        fprintf(stderr, "test: cannot read %s\n", from);
    assert_non_null(data);
    mkdirs_for(to);
    FILE *f = fopen(to, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
    free(data);
}

char *ts_fixture_request(const char *fixture)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s/test_inputs.json", ts_shared("models"), fixture);
    json_t *tensor = ts_load_json(path);
    json_t *req = json_pack("{s:[o]}", "inputs", tensor);
    assert_non_null(req);
    char *text = json_dumps(req, JSON_COMPACT);
    assert_non_null(text);
    json_decref(req);
    return text;
}

ts_cmd_result ts_cmd_v(const char *tmp_dir, const char *env_prefix, const char *fmt, va_list ap)
{
    char cmd[8192], err_path[4200], full[12800];
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    snprintf(err_path, sizeof err_path, "%s/stderr.txt", tmp_dir);
    snprintf(full, sizeof full, "%s %s 2>'%s'", env_prefix, cmd, err_path);
    ts_cmd_result r = {0};
    r.rc = ts_run(full, &r.out);
    r.err = ts_read_file(err_path, NULL);
    assert_non_null(r.err);
    ts_assert_no_sanitizer_report(r.err);
    return r;
}

void ts_cmd_free(ts_cmd_result *r)
{
    free(r->out);
    free(r->err);
}

void ts_uuid_v7_at(char *id, int64_t ms, unsigned r)
{
    snprintf(id, 37, "%08llx-%04llx-7%03x-8%03x-%012x", (unsigned long long)ms >> 16,
             (unsigned long long)ms & 0xffff, r & 0xfff, (r >> 12) & 0xfff, r);
}

long long ts_state_id_rows(const char *state_dir, const char *id)
{
    char path[4500];
    snprintf(path, sizeof path, "%s/ferry.db", state_dir);
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    assert_int_equal(
        sqlite3_prepare_v2(db, "SELECT count(*) FROM prediction_ids WHERE id = ?1", -1, &st, NULL),
        SQLITE_OK);
    assert_int_equal(sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    long long n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return n;
}
