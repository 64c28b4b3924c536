/* Open-loop HTTP load generator for bench/sweep.sh: sends POST requests at a fixed total rate over
 * keep-alive connections (one thread each, request i of the run due at start + i / rate, dealt
 * round-robin to the connections) and records each latency from the request's intended send time,
 * not from when it was actually sent, so that a stalled server is charged for the requests it
 * delayed (no coordinated omission). Prints one line:
 *   open_loop rate=R sent=N ok=N errors=N achieved_rps=X p50_ms= p90_ms= p99_ms= max_ms=
 *
 *   open_loop --port P --path /v2/models/M/infer --body FILE --rate R --duration S
 *             [--connections C (32)] [--host 127.0.0.1] */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_CONNECTIONS 1024
#define RESPONSE_MAX    (1 << 20)

typedef struct options {
    const char *host, *path, *body_file;
    int port, connections;
    double rate, duration;
} options;

typedef struct conn {
    const options *o;
    const char *request;
    size_t request_len;
    uint64_t start_ns;
    uint64_t first, count; /* requests first, first + C, ... (count of them) */
    uint64_t *latency_ns;  /* one per request sent */
    uint64_t sent, ok, errors;
    pthread_t thread;
} conn;

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void sleep_until(uint64_t at)
{
    struct timespec ts = {.tv_sec = (time_t)(at / 1000000000u),
                          .tv_nsec = (long)(at % 1000000000u)};
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
        ;
}

static int connect_to(const options *o)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)o->port)};
    if (inet_pton(AF_INET, o->host, &a.sin_addr) != 1)
        return -1;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return -1;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static int send_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t k = send(fd, p, n, MSG_NOSIGNAL);
        if (k <= 0)
            return -1;
        p += k;
        n -= (size_t)k;
    }
    return 0;
}

/* Reads one response; returns its status code, or -1 when the connection failed. */
static int read_response(int fd, char *buf)
{
    size_t have = 0;
    char *end = NULL;
    while (end == NULL) {
        if (have == RESPONSE_MAX - 1)
            return -1;
        ssize_t k = recv(fd, buf + have, RESPONSE_MAX - 1 - have, 0);
        if (k <= 0)
            return -1;
        have += (size_t)k;
        buf[have] = '\0';
        end = strstr(buf, "\r\n\r\n");
    }
    int status = 0;
    if (sscanf(buf, "HTTP/1.%*d %d", &status) != 1)
        return -1;
    const char *cl = strcasestr(buf, "\r\ncontent-length:");
    size_t body = cl != NULL && cl < end ? strtoul(cl + 17, NULL, 10) : 0;
    size_t total = (size_t)(end + 4 - buf) + body;
    while (have < total) {
        size_t room = RESPONSE_MAX - 1 < total - have ? RESPONSE_MAX - 1 : total - have;
        ssize_t k = recv(fd, buf, room, 0);
        if (k <= 0)
            return -1;
        have += (size_t)k;
    }
    return status;
}

static void *conn_main(void *arg)
{
    conn *c = arg;
    char *buf = malloc(RESPONSE_MAX);
    int fd = buf != NULL ? connect_to(c->o) : -1;
    double gap_ns = 1e9 / c->o->rate;
    for (uint64_t i = 0; i < c->count && fd >= 0; i++) {
        uint64_t due =
            c->start_ns + (uint64_t)((double)(c->first + i * (uint64_t)c->o->connections) * gap_ns);
        sleep_until(due);
        int status = send_all(fd, c->request, c->request_len) == 0 ? read_response(fd, buf) : -1;
        c->latency_ns[c->sent++] = now_ns() - due;
        if (status == 200)
            c->ok++;
        else
            c->errors++;
        if (status < 0)
            break;
    }
    if (fd >= 0)
        close(fd);
    free(buf);
    return NULL;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    char *data = NULL;
    if (fseek(f, 0, SEEK_END) == 0) {
        long n = ftell(f);
        data = n >= 0 ? malloc((size_t)n + 1) : NULL;
        if (data != NULL &&
            (fseek(f, 0, SEEK_SET) != 0 || fread(data, 1, (size_t)n, f) != (size_t)n)) {
            free(data);
            data = NULL;
        }
        *len = n >= 0 ? (size_t)n : 0;
    }
    fclose(f);
    return data;
}

static int parse(int argc, char **argv, options *o)
{
    *o = (options){.host = "127.0.0.1", .connections = 32};
    for (int i = 1; i + 1 < argc; i += 2) {
        const char *k = argv[i], *v = argv[i + 1];
        if (strcmp(k, "--host") == 0)
            o->host = v;
        else if (strcmp(k, "--port") == 0)
            o->port = atoi(v);
        else if (strcmp(k, "--path") == 0)
            o->path = v;
        else if (strcmp(k, "--body") == 0)
            o->body_file = v;
        else if (strcmp(k, "--rate") == 0)
            o->rate = atof(v);
        else if (strcmp(k, "--duration") == 0)
            o->duration = atof(v);
        else if (strcmp(k, "--connections") == 0)
            o->connections = atoi(v);
        else
            return -1;
    }
    return o->port > 0 && o->path != NULL && o->body_file != NULL && o->rate > 0 &&
                   o->duration > 0 && o->connections > 0 && o->connections <= MAX_CONNECTIONS
               ? 0
               : -1;
}

static double pct_ms(const uint64_t *v, size_t n, double p)
{
    if (n == 0)
        return 0;
    size_t i = (size_t)(p * (double)(n - 1) + 0.5);
    return (double)v[i] / 1e6;
}

/* Builds the HTTP request; NULL when the body cannot be read. */
static char *build_request(const options *o, size_t *len)
{
    size_t body_len = 0;
    char *body = read_file(o->body_file, &body_len);
    if (body == NULL)
        return NULL;
    char *req = malloc(body_len + 512);
    if (req != NULL) {
        int n = snprintf(req, 512,
                         "POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\n"
                         "Content-Length: %zu\r\n\r\n",
                         o->path, o->host, body_len);
        memcpy(req + n, body, body_len);
        *len = (size_t)n + body_len;
    }
    free(body);
    return req;
}

int main(int argc, char **argv)
{
    options o;
    if (parse(argc, argv, &o) != 0) {
        fprintf(stderr, "usage: open_loop --port P --path PATH --body FILE --rate R --duration S "
                        "[--connections C] [--host IPV4]\n");
        return 2;
    }
    size_t req_len = 0;
    char *req = build_request(&o, &req_len);
    uint64_t total = (uint64_t)(o.rate * o.duration);
    conn *cs = calloc((size_t)o.connections, sizeof *cs);
    uint64_t *lat = calloc(total + 1, sizeof *lat);
    if (req == NULL || cs == NULL || lat == NULL) {
        fprintf(stderr, "open_loop: cannot read %s or out of memory\n", o.body_file);
        return 1;
    }
    uint64_t start = now_ns() + 100000000u, offset = 0; /* 100 ms to connect */
    for (int k = 0; k < o.connections; k++) {
        conn *c = &cs[k];
        *c = (conn){.o = &o,
                    .request = req,
                    .request_len = req_len,
                    .start_ns = start,
                    .first = (uint64_t)k};
        c->count = total > (uint64_t)k ? (total - (uint64_t)k + (uint64_t)o.connections - 1) /
                                             (uint64_t)o.connections
                                       : 0;
        c->latency_ns = lat + offset;
        offset += c->count;
        if (pthread_create(&c->thread, NULL, conn_main, c) != 0) {
            fprintf(stderr, "open_loop: cannot start a thread\n");
            return 1;
        }
    }
    uint64_t sent = 0, ok = 0, errors = 0;
    size_t n = 0;
    for (int k = 0; k < o.connections; k++) {
        pthread_join(cs[k].thread, NULL);
        memmove(lat + n, cs[k].latency_ns, cs[k].sent * sizeof *lat);
        n += cs[k].sent;
        sent += cs[k].sent;
        ok += cs[k].ok;
        errors += cs[k].errors + (cs[k].count - cs[k].sent);
    }
    double elapsed = (double)(now_ns() - start) / 1e9;
    qsort(lat, n, sizeof *lat, cmp_u64);
    printf("open_loop rate=%.0f sent=%llu ok=%llu errors=%llu achieved_rps=%.0f p50_ms=%.3f "
           "p90_ms=%.3f p99_ms=%.3f max_ms=%.3f\n",
           o.rate, (unsigned long long)sent, (unsigned long long)ok, (unsigned long long)errors,
           (double)ok / elapsed, pct_ms(lat, n, 0.50), pct_ms(lat, n, 0.90), pct_ms(lat, n, 0.99),
           n ? (double)lat[n - 1] / 1e6 : 0.0);
    free(lat);
    free(cs);
    free(req);
    return errors == 0 ? 0 : 1;
}
