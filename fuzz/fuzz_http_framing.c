/* libFuzzer: HTTP/1.1 request framing through our whole server stack.  The
 * input is the raw byte stream of one client connection (request line,
 * headers, Content-Length / Transfer-Encoding bodies, pipelined requests,
 * garbage), written over loopback TCP to a vt_http_server (evhttp with the
 * connection guard's accept counting, deadline and framing checks, the body
 * limit, routing and dispatch) running in this process.  The client then
 * half-closes and reads until the server closes.
 *
 * Checked: nothing crashes or leaks (ASan/UBSan), the handlers only ever see
 * a body within max_body that is NUL-terminated and a path that starts with
 * '/', the server's reply starts with a well-formed status line, it
 * closes every connection (no stall past the request deadline). */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "veritee/http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_BODY 4096
#define MAX_HEADERS 2048
#define READ_LIMIT_MS 15000 /* far past the 1 s request deadline: only a stall gets here */

static vt_http_router router;
static vt_http_server *server;
static int port;

static void check_req(const vt_http_req *req)
{
    if (req->path == NULL || req->path[0] != '/' || req->body == NULL || req->body_len > MAX_BODY ||
        req->body[req->body_len] != '\0' || req->method == NULL || req->client == NULL)
        __builtin_trap();
}

static void h_ok(vt_http_resp *resp, const vt_http_req *req, void *ctx)
{
    (void)ctx;
    check_req(req);
    (void)vt_http_reply_json(resp, 200, "{\"ok\":true}", NULL);
}

static void h_echo(vt_http_resp *resp, const vt_http_req *req, void *ctx)
{
    char buf[96];

    (void)ctx;
    check_req(req);
    snprintf(buf, sizeof(buf), "{\"len\":%zu,\"auth\":%s}", req->body_len, req->authorization != NULL ? "true" : "false");
    (void)vt_http_reply_json(resp, 201, buf, NULL);
}

static void h_item(vt_http_resp *resp, const vt_http_req *req, void *ctx)
{
    char v[64];

    (void)ctx;
    check_req(req);
    if (req->param_count != 1 || req->params[0][0] == '\0' || strchr(req->params[0], '/') != NULL)
        __builtin_trap();
    if (req->query != NULL)
        (void)vt_http_query_get(v, sizeof(v), req->query, "nonce", NULL);
    vt_http_reply_error(resp, 404, "not_found", "no item");
}

static void *serve(void *arg)
{
    vt_err e = { 0 };

    (void)arg;
    if (vt_http_server_run(server, &e) != VT_OK)
        __builtin_trap();
    return NULL;
}

static void setup(void)
{
    vt_http_server_opts o;
    vt_err e = { 0 };
    pthread_t t;

    signal(SIGPIPE, SIG_IGN); /* a peer that went away is an error return, as in the services */
    vt_http_router_init(&router);
    if (vt_http_router_add(&router, "GET", "/healthz", h_ok, NULL, &e) != VT_OK ||
        vt_http_router_add(&router, "POST", "/v1/echo", h_echo, NULL, &e) != VT_OK ||
        vt_http_router_add(&router, "PUT", "/v1/echo", h_echo, NULL, &e) != VT_OK ||
        vt_http_router_add(&router, "GET", "/v1/items/{id}", h_item, NULL, &e) != VT_OK)
        __builtin_trap();
    memset(&o, 0, sizeof(o));
    o.listen = "127.0.0.1:0";
    o.threads = 1;
    o.max_body = MAX_BODY;
    o.max_headers = MAX_HEADERS;
    o.timeout_s = 1;
    o.max_connections = 64;
    o.max_per_client = 64;
    o.name = "fuzz";
    if (vt_http_server_new(&server, &o, &router, &e) != VT_OK) {
        fprintf(stderr, "fuzz_http_framing: %s\n", e.msg);
        abort();
    }
    port = vt_http_server_port(server);
    if (pthread_create(&t, NULL, serve, NULL) != 0)
        abort();
    pthread_detach(t);
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The reply starts with a status line "HTTP/<major>.<minor> NNN ".  evhttp
 * echoes the request's version, whatever it was ("HTTP/0.1" gets "HTTP/0.1
 * 400", digits beyond a char wrap around, even to a negative number), so only
 * its shape is checked. */
static void check_reply(const char *r, size_t n)
{
    size_t i = 5, d;

    if (n == 0)
        return;
    if (n < 13 || memcmp(r, "HTTP/", 5) != 0)
        __builtin_trap();
    if (i < n && r[i] == '-')
        i++;
    for (d = 0; i < n && r[i] >= '0' && r[i] <= '9'; i++, d++)
        ;
    if (d == 0 || i >= n || r[i++] != '.')
        __builtin_trap();
    if (i < n && r[i] == '-')
        i++;
    for (d = 0; i < n && r[i] >= '0' && r[i] <= '9'; i++, d++)
        ;
    if (d == 0 || i + 4 >= n || r[i] != ' ' || r[i + 1] < '1' || r[i + 1] > '5' || r[i + 2] < '0' || r[i + 2] > '9' ||
        r[i + 3] < '0' || r[i + 3] > '9' || r[i + 4] != ' ')
        __builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    static char reply[1 << 16];
    struct sockaddr_in sa;
    struct linger lg = { 1, 0 };
    size_t got = 0, off = 0;
    int fd, one = 1;
    int64_t deadline;

    pthread_once(&once, setup);
    fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return 0;
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
        close(fd);
        return 0;
    }
    deadline = now_ms() + READ_LIMIT_MS;
    if (size == 0)
        shutdown(fd, SHUT_WR);
    /* Write what the server takes while reading what it answers (a reply to an
     * early request may come before the rest is written). */
    for (;;) {
        struct pollfd p = { fd, (short)(POLLIN | (off < size ? POLLOUT : 0)), 0 };
        int64_t left = deadline - now_ms();
        ssize_t k;

        if (left <= 0)
            __builtin_trap(); /* the server neither answered nor closed: a stalled connection */
        if (poll(&p, 1, (int)left) <= 0)
            continue;
        if ((p.revents & POLLOUT) && off < size) {
            k = send(fd, data + off, size - off, MSG_NOSIGNAL);
            if (k > 0)
                off += (size_t)k;
            else if (k < 0 && errno != EAGAIN && errno != EINTR)
                off = size; /* the server closed early: read what it said */
            if (off == size)
                shutdown(fd, SHUT_WR);
            continue;
        }
        if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
            k = recv(fd, reply + got, sizeof(reply) - got, 0);
            if (k > 0 && got + (size_t)k < sizeof(reply)) {
                got += (size_t)k;
                continue;
            }
            if (k < 0 && (errno == EAGAIN || errno == EINTR))
                continue;
            break; /* closed (or reset, or more reply than kept) */
        }
    }
    check_reply(reply, got);
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)); /* no TIME_WAIT pile-up over millions of runs */
    close(fd);
    return 0;
}
