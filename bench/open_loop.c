/* Open-loop HTTP load generator for bench/sweep.sh: sends POST requests at a fixed total rate over
 * keep-alive connections and records each latency from the request's intended send time, not from
 * when it was actually sent, so that a stalled server is charged for the requests it delayed (no
 * coordinated omission). `--threads N` event loops (epoll, a timerfd for the schedule) each own
 * C / N connections and every N-th request: request i of the run is due at start + i / rate. A due
 * request goes out on an idle connection of its thread, or waits (its clock running) until one
 * frees. Prints one line:
 *   open_loop rate=R threads=N connections=C sent=N ok=N errors=N achieved_rps=X p50_ms= p90_ms=
 *   p99_ms= p999_ms= max_ms=
 *
 *   open_loop --port P --path /v2/models/M/infer --body FILE --rate R --duration S
 *             [--connections C (32)] [--threads N (2)] [--host 127.0.0.1] */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#define MAX_CONNECTIONS 4096
#define MAX_THREADS     64
#define RESPONSE_MAX    (256 << 10)
#define GRACE_NS        2000000000ull /* answers awaited after the last request is due */

typedef struct options {
    const char *host, *path, *body_file;
    int port, connections, threads;
    double rate, duration;
} options;

/* One keep-alive connection with at most one request in flight. */
typedef struct conn {
    int fd;
    bool busy;
    uint64_t intended_ns; /* of the request in flight */
    size_t sent;          /* bytes of the request written so far */
    char *in;             /* the response read so far */
    size_t in_len;
} conn;

typedef struct loop {
    const options *o;
    const char *request;
    size_t request_len;
    int index; /* this thread's requests: index, index + threads, ... */
    uint64_t start_ns, count;
    uint64_t due;    /* requests of this thread due so far */
    uint64_t issued; /* of them, handed to a connection */
    conn *conns;
    int n_conns;
    int epoll_fd, timer_fd;
    uint64_t *latency_ns; /* one per answered request */
    uint64_t ok, errors;
    pthread_t thread;
} loop;

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* When this thread's k-th request is due. */
static uint64_t intended(const loop *l, uint64_t k)
{
    double i = (double)(k * (uint64_t)l->o->threads + (uint64_t)l->index);
    return l->start_ns + (uint64_t)(i * 1e9 / l->o->rate);
}

/* ------------------------------------------------------------------------------------------ */
/* Connections                                                                                  */
/* ------------------------------------------------------------------------------------------ */

static int fcntl_nonblock(int fd)
{
    int flags = fcntl(fd, F_GETFL);
    return flags < 0 ? -1 : fcntl(fd, F_SETFL, flags | O_NONBLOCK);
}

static int connect_to(const options *o)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)o->port)};
    if (inet_pton(AF_INET, o->host, &a.sin_addr) != 1)
        return -1;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    int one = 1;
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0 ||
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) != 0 ||
        fcntl_nonblock(fd) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* (Re)opens connection c and registers it; false when the server cannot be reached. */
static bool conn_open(loop *l, conn *c)
{
    c->fd = connect_to(l->o);
    c->busy = false;
    c->in_len = 0;
    if (c->fd < 0)
        return false;
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
    if (epoll_ctl(l->epoll_fd, EPOLL_CTL_ADD, c->fd, &ev) != 0) {
        close(c->fd);
        c->fd = -1;
        return false;
    }
    return true;
}

/* A connection that failed: its request in flight counts as an error; it reconnects. */
static void conn_fail(loop *l, conn *c)
{
    if (c->busy)
        l->errors++;
    if (c->fd >= 0)
        close(c->fd); /* also leaves the epoll set */
    if (!conn_open(l, c))
        c->fd = -1;
}

/* Writes what is left of the request; asks for EPOLLOUT when the socket is full. */
static void conn_write(loop *l, conn *c)
{
    while (c->sent < l->request_len) {
        ssize_t n = send(c->fd, l->request + c->sent, l->request_len - c->sent, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT, .data.ptr = c};
            if (epoll_ctl(l->epoll_fd, EPOLL_CTL_MOD, c->fd, &ev) != 0)
                conn_fail(l, c);
            return;
        }
        if (n <= 0) {
            conn_fail(l, c);
            return;
        }
        c->sent += (size_t)n;
    }
}

/* Length of a whole response at the start of c->in (0: not complete yet, -1: malformed). */
static long response_length(const conn *c, int *status)
{
    const char *end = memmem(c->in, c->in_len, "\r\n\r\n", 4);
    if (end == NULL)
        return c->in_len >= RESPONSE_MAX ? -1 : 0;
    size_t head = (size_t)(end - c->in) + 4;
    const char *cl = memmem(c->in, head, "\r\nContent-Length:", 17);
    if (cl == NULL)
        cl = memmem(c->in, head, "\r\ncontent-length:", 17);
    if (cl == NULL || sscanf(c->in, "HTTP/1.%*d %d", status) != 1)
        return -1;
    size_t total = head + strtoul(cl + 17, NULL, 10);
    if (total > RESPONSE_MAX)
        return -1;
    return c->in_len >= total ? (long)total : 0;
}

/* Reads what the server sent; records the request's latency once its response is whole. */
static void conn_read(loop *l, conn *c)
{
    for (;;) {
        ssize_t n = recv(c->fd, c->in + c->in_len, RESPONSE_MAX - c->in_len, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            break;
        if (n <= 0 || !c->busy) {
            conn_fail(l, c);
            return;
        }
        c->in_len += (size_t)n;
    }
    int status = 0;
    long len = response_length(c, &status);
    if (len < 0) {
        conn_fail(l, c);
        return;
    }
    if (len == 0)
        return;
    uint64_t latency = now_ns() - c->intended_ns;
    if (status == 200)
        l->latency_ns[l->ok++] = latency;
    else
        l->errors++;
    memmove(c->in, c->in + len, c->in_len - (size_t)len);
    c->in_len -= (size_t)len;
    c->busy = false;
}

/* ------------------------------------------------------------------------------------------ */
/* The event loop                                                                               */
/* ------------------------------------------------------------------------------------------ */

/* Hands waiting due requests to idle connections. */
static void issue(loop *l)
{
    for (int i = 0; i < l->n_conns && l->issued < l->due; i++) {
        conn *c = &l->conns[i];
        if (c->busy || c->fd < 0)
            continue;
        c->busy = true;
        c->sent = 0;
        c->intended_ns = intended(l, l->issued++);
        conn_write(l, c);
    }
}

/* Arms the timer for the next due request (none left: disarmed). */
static void arm(loop *l)
{
    struct itimerspec t = {0};
    if (l->due < l->count) {
        uint64_t at = intended(l, l->due);
        t.it_value.tv_sec = (time_t)(at / 1000000000u);
        t.it_value.tv_nsec = (long)(at % 1000000000u);
    }
    if (timerfd_settime(l->timer_fd, TFD_TIMER_ABSTIME, &t, NULL) != 0)
        perror("open_loop: timerfd_settime");
}

static bool in_flight(const loop *l)
{
    for (int i = 0; i < l->n_conns; i++)
        if (l->conns[i].busy)
            return true;
    return false;
}

static void on_event(loop *l, struct epoll_event *ev)
{
    if (ev->data.ptr == NULL) { /* the timer */
        uint64_t expirations;
        if (read(l->timer_fd, &expirations, sizeof expirations) < 0 && errno != EAGAIN)
            perror("open_loop: timerfd read");
        uint64_t now = now_ns();
        while (l->due < l->count && intended(l, l->due) <= now)
            l->due++;
        arm(l);
        return;
    }
    conn *c = ev->data.ptr;
    if (c->fd < 0)
        return;
    if ((ev->events & EPOLLOUT) && c->busy && c->sent < l->request_len) {
        conn_write(l, c);
        if (c->fd >= 0 && c->sent == l->request_len) {
            struct epoll_event in = {.events = EPOLLIN, .data.ptr = c};
            if (epoll_ctl(l->epoll_fd, EPOLL_CTL_MOD, c->fd, &in) != 0)
                conn_fail(l, c);
        }
    }
    if (c->fd >= 0 && (ev->events & (EPOLLIN | EPOLLERR | EPOLLHUP)))
        conn_read(l, c);
}

static void *loop_main(void *arg)
{
    loop *l = arg;
    uint64_t last = l->count > 0 ? intended(l, l->count - 1) : l->start_ns;
    arm(l);
    struct epoll_event events[64];
    while (l->issued < l->count || in_flight(l)) {
        if (now_ns() > last + GRACE_NS)
            break;
        int n = epoll_wait(l->epoll_fd, events, 64, 100);
        if (n < 0 && errno != EINTR) {
            perror("open_loop: epoll_wait");
            break;
        }
        for (int i = 0; i < n; i++)
            on_event(l, &events[i]);
        issue(l);
    }
    l->errors += l->count - l->issued; /* never sent: the server did not keep up */
    for (int i = 0; i < l->n_conns; i++)
        l->errors += l->conns[i].busy; /* unanswered within the grace period */
    return NULL;
}

/* ------------------------------------------------------------------------------------------ */
/* Setup and the report                                                                         */
/* ------------------------------------------------------------------------------------------ */

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
    long n = fseek(f, 0, SEEK_END) == 0 ? ftell(f) : -1;
    if (n >= 0 && fseek(f, 0, SEEK_SET) == 0 && (data = malloc((size_t)n + 1)) != NULL &&
        fread(data, 1, (size_t)n, f) != (size_t)n) {
        free(data);
        data = NULL;
    }
    if (data != NULL)
        *len = (size_t)n;
    fclose(f);
    return data;
}

static int parse(int argc, char **argv, options *o)
{
    *o = (options){.host = "127.0.0.1", .connections = 32, .threads = 2};
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
        else if (strcmp(k, "--threads") == 0)
            o->threads = atoi(v);
        else
            return -1;
    }
    if (o->threads > o->connections)
        o->threads = o->connections;
    return o->port > 0 && o->path != NULL && o->body_file != NULL && o->rate > 0 &&
                   o->duration > 0 && o->connections > 0 && o->connections <= MAX_CONNECTIONS &&
                   o->threads > 0 && o->threads <= MAX_THREADS
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

/* Thread t's share: every threads-th request from t, its connections, its epoll and timer. */
static int loop_init(loop *l, const options *o, int t, const char *req, size_t req_len,
                     uint64_t start, uint64_t total)
{
    *l = (loop){.o = o, .request = req, .request_len = req_len, .index = t, .start_ns = start};
    l->count = total > (uint64_t)t
                   ? (total - (uint64_t)t + (uint64_t)o->threads - 1) / (uint64_t)o->threads
                   : 0;
    l->n_conns = o->connections / o->threads + (t < o->connections % o->threads);
    l->conns = calloc((size_t)l->n_conns, sizeof *l->conns);
    l->latency_ns = calloc(l->count + 1, sizeof *l->latency_ns);
    l->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
    l->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    if (l->conns == NULL || l->latency_ns == NULL || l->epoll_fd < 0 || l->timer_fd < 0) {
        fprintf(stderr, "open_loop: thread %d: out of memory or descriptors\n", t);
        return -1;
    }
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
    if (epoll_ctl(l->epoll_fd, EPOLL_CTL_ADD, l->timer_fd, &ev) != 0) {
        perror("open_loop: epoll_ctl");
        return -1;
    }
    for (int i = 0; i < l->n_conns; i++) {
        l->conns[i].in = malloc(RESPONSE_MAX);
        if (l->conns[i].in == NULL || !conn_open(l, &l->conns[i])) {
            fprintf(stderr, "open_loop: cannot connect to %s:%d\n", o->host, o->port);
            return -1;
        }
    }
    return 0;
}

static void loop_free(loop *l)
{
    for (int i = 0; l->conns != NULL && i < l->n_conns; i++) {
        if (l->conns[i].fd >= 0)
            close(l->conns[i].fd);
        free(l->conns[i].in);
    }
    if (l->epoll_fd >= 0)
        close(l->epoll_fd);
    if (l->timer_fd >= 0)
        close(l->timer_fd);
    free(l->conns);
    free(l->latency_ns);
}

int main(int argc, char **argv)
{
    options o;
    if (parse(argc, argv, &o) != 0) {
        fprintf(stderr, "usage: open_loop --port P --path PATH --body FILE --rate R --duration S "
                        "[--connections C] [--threads N] [--host IPV4]\n");
        return 2;
    }
    size_t req_len = 0;
    char *req = build_request(&o, &req_len);
    uint64_t total = (uint64_t)(o.rate * o.duration);
    loop *ls = calloc((size_t)o.threads, sizeof *ls);
    uint64_t *lat = calloc(total + 1, sizeof *lat);
    if (req == NULL || ls == NULL || lat == NULL) {
        fprintf(stderr, "open_loop: cannot read %s or out of memory\n", o.body_file);
        return 1;
    }
    uint64_t start = now_ns() + 200000000u; /* 200 ms to connect */
    for (int t = 0; t < o.threads; t++)
        if (loop_init(&ls[t], &o, t, req, req_len, start, total) != 0)
            return 1;
    for (int t = 0; t < o.threads; t++)
        if (pthread_create(&ls[t].thread, NULL, loop_main, &ls[t]) != 0) {
            fprintf(stderr, "open_loop: cannot start thread %d\n", t);
            return 1;
        }
    uint64_t ok = 0, errors = 0;
    for (int t = 0; t < o.threads; t++) {
        pthread_join(ls[t].thread, NULL);
        memcpy(lat + ok, ls[t].latency_ns, ls[t].ok * sizeof *lat);
        ok += ls[t].ok;
        errors += ls[t].errors;
        loop_free(&ls[t]);
    }
    qsort(lat, ok, sizeof *lat, cmp_u64);
    printf("open_loop rate=%.0f threads=%d connections=%d sent=%llu ok=%llu errors=%llu "
           "achieved_rps=%.0f p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f p999_ms=%.3f max_ms=%.3f\n",
           o.rate, o.threads, o.connections, (unsigned long long)total, (unsigned long long)ok,
           (unsigned long long)errors, (double)ok / o.duration, pct_ms(lat, ok, 0.50),
           pct_ms(lat, ok, 0.90), pct_ms(lat, ok, 0.99), pct_ms(lat, ok, 0.999),
           ok ? (double)lat[ok - 1] / 1e6 : 0.0);
    free(lat);
    free(ls);
    free(req);
    return errors == 0 ? 0 : 1;
}
