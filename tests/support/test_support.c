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

void ts_server_read_log(ts_server *srv)
{
    char chunk[4096];
    for (;;) {
        ssize_t n = read(srv->stderr_fd, chunk, sizeof chunk);
        if (n <= 0)
            return;
        char *grown = realloc(srv->log, srv->log_len + (size_t)n + 1);
        assert_non_null(grown);
        srv->log = grown;
        memcpy(srv->log + srv->log_len, chunk, (size_t)n);
        srv->log_len += (size_t)n;
        srv->log[srv->log_len] = '\0';
    }
}

/* Finds "port":N on the line that says listening. */
static int port_from_log(const char *log)
{
    const char *line = strstr(log, "\"msg\":\"listening");
    if (line == NULL)
        return 0;
    const char *p = strstr(line, "\"port\":");
    return p ? atoi(p + 7) : 0;
}

bool ts_server_start(ts_server *srv, const char *const *args)
{
    memset(srv, 0, sizeof *srv);
    int pipefd[2];
    assert_int_equal(pipe(pipefd), 0);
    const char *argv[64] = {ts_ferry_bin(), "serve", "--http-port", "0"};
    int argc = 4;
    for (int i = 0; args != NULL && args[i] != NULL && argc < 62; i++)
        argv[argc++] = args[i];
    argv[argc] = NULL;
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        dup2(pipefd[1], STDERR_FILENO);
        close(pipefd[0]);
        close(pipefd[1]);
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    close(pipefd[1]);
    fcntl(pipefd[0], F_SETFL, O_NONBLOCK);
    srv->pid = pid;
    srv->stderr_fd = pipefd[0];
    for (int waited = 0; waited < 30000; waited += 10) {
        struct pollfd pfd = {.fd = srv->stderr_fd, .events = POLLIN};
        poll(&pfd, 1, 10);
        ts_server_read_log(srv);
        if (srv->log != NULL && (srv->port = port_from_log(srv->log)) > 0)
            return true;
        int status;
        if (waitpid(pid, &status, WNOHANG) == pid) {
            srv->pid = 0;
            ts_server_read_log(srv);
            return false;
        }
    }
    return false;
}

int ts_server_stop(ts_server *srv)
{
    int status = -1;
    if (srv->pid > 0) {
        kill(srv->pid, SIGTERM);
        for (int waited = 0; waited < 60000; waited += 10) {
            if (waitpid(srv->pid, &status, WNOHANG) == srv->pid)
                break;
            usleep(10000);
        }
        if (waitpid(srv->pid, &status, WNOHANG) == 0) {
            kill(srv->pid, SIGKILL);
            waitpid(srv->pid, &status, 0);
        }
        ts_server_read_log(srv);
    }
    close(srv->stderr_fd);
    free(srv->log);
    srv->log = NULL;
    srv->pid = 0;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
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
