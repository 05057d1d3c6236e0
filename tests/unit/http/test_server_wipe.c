/* What a request body leaves in freed memory after the services' server (server.c) has handed
 * it to a handler (a key registration's secret, docs/keys.md): libevent's allocations go through
 * a free that looks for a marker in every block it frees (event_set_mem_functions, before any
 * libevent call), and this program's own frees through the same check (-Wl,--wrap=free).  The
 * body arrives in several pieces, so libevent holds it in several blocks. */
#include "free_check.h"
#include "vt_test.h"

#include <arpa/inet.h>
#include <event2/event.h>
#include <malloc.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#define MARK "zebra-secret-8812"
#define TOKEN "zebra-token-5521-0123456789abcdef" /* an admin bearer token */

static atomic_int seen; /* bodies the handler got whole, MARK in them */
static atomic_int seen_token; /* requests whose Authorization the handler read, TOKEN in it */

static void h_put(vt_http_resp *resp, const vt_http_req *req, void *ctx)
{
    (void)ctx;
    if (memmem(req->body, req->body_len, MARK, sizeof(MARK) - 1) != NULL && req->body[req->body_len] == '\0')
        atomic_fetch_add(&seen, 1);
    if (req->authorization != NULL && strcmp(req->authorization, "Bearer " TOKEN) == 0)
        atomic_fetch_add(&seen_token, 1);
    assert_int_equal(vt_http_reply_json(resp, 200, "{\"ok\":true}", NULL), VT_OK);
}

struct srv {
    vt_http_server *s;
    vt_http_router r;
    pthread_t th;
};

static void *run(void *arg)
{
    struct srv *v = arg;
    vt_err e = { 0 };
    assert_int_equal(vt_http_server_run(v->s, &e), VT_OK);
    return NULL;
}

static void send_all(int fd, const char *s, size_t len)
{
    while (len > 0) {
        ssize_t n = send(fd, s, len, MSG_NOSIGNAL);
        assert_true(n > 0);
        s += n;
        len -= (size_t)n;
    }
}

/* A server on a port of its own, serving PUT /r with h_put on one thread. */
static void srv_start(struct srv *v)
{
    vt_http_server_opts o;
    vt_err e = { 0 };

    memset(v, 0, sizeof(*v));
    memset(&o, 0, sizeof(o));
    o.listen = "127.0.0.1:0";
    o.threads = 1;
    o.name = "test";
    vt_http_router_init(&v->r);
    assert_int_equal(vt_http_router_add(&v->r, "PUT", "/r", h_put, NULL, &e), VT_OK);
    assert_int_equal(vt_http_server_new(&v->s, &o, &v->r, &e), VT_OK);
    assert_int_equal(pthread_create(&v->th, NULL, run, v), 0);
}

static void srv_stop(struct srv *v)
{
    vt_http_server_stop(v->s);
    assert_int_equal(pthread_join(v->th, NULL), 0);
    vt_http_server_free(v->s);
}

/* A connection to v. */
static int srv_connect(const struct srv *v)
{
    struct sockaddr_in a;
    struct timeval tv = { 5, 0 };
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    assert_true(fd >= 0);
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)vt_http_server_port(v->s));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    return fd;
}

/* Reads the reply until its JSON body is there (or the connection ends) into reply. */
static void read_reply(int fd, char *reply, size_t len)
{
    size_t got = 0;

    reply[0] = '\0';
    while (got < len - 1 && strstr(reply, "{\"ok\":true}") == NULL) {
        ssize_t n = recv(fd, reply + got, len - 1 - got, 0);
        if (n <= 0)
            break;
        got += (size_t)n;
        reply[got] = '\0';
    }
}

/* The admin's bearer token, read by the handler from the Authorization header, is in no block
 * freed by the time the server is gone: not libevent's header list, nor the header line it
 * parsed, nor its input buffer. */
static void test_http_server_wipe__authorization_never_in_a_freed_block(void **state)
{
    struct srv v;
    char reply[2048];
    static const char req[] = "PUT /r HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer " TOKEN
                              "\r\nContent-Length: 2\r\n\r\n{}";
    int fd;

    (void)state;
    vt_test_freed_reset();
    srv_start(&v);
    for (int i = 0; i < 2; i++) { /* two requests on one connection, then one on another */
        fd = srv_connect(&v);
        send_all(fd, req, sizeof(req) - 1);
        read_reply(fd, reply, sizeof(reply));
        assert_non_null(strstr(reply, "HTTP/1.1 200"));
        if (i == 0) {
            send_all(fd, req, sizeof(req) - 1);
            read_reply(fd, reply, sizeof(reply));
            assert_non_null(strstr(reply, "HTTP/1.1 200"));
        }
        close(fd);
    }
    srv_stop(&v);
    assert_int_equal(atomic_load(&seen_token), 3);
    assert_int_equal(vt_test_freed_unwiped(), 0);
}

/* The body of a PUT, sent in pieces, is wiped in libevent's buffers and in the server's copy:
 * no block freed by the time the server is gone holds it. */
static void test_http_server_wipe__request_body_never_in_a_freed_block(void **state)
{
    struct srv v;
    vt_http_server_opts o;
    struct sockaddr_in a;
    struct timeval tv = { 5, 0 };
    char body[6000], head[128], reply[2048];
    size_t got = 0;
    vt_err e = { 0 };
    int fd;

    (void)state;
    vt_test_freed_reset();
    memset(&v, 0, sizeof(v));
    memset(&o, 0, sizeof(o));
    o.listen = "127.0.0.1:0";
    o.threads = 1;
    o.name = "test";
    vt_http_router_init(&v.r);
    assert_int_equal(vt_http_router_add(&v.r, "PUT", "/r", h_put, NULL, &e), VT_OK);
    assert_int_equal(vt_http_server_new(&v.s, &o, &v.r, &e), VT_OK);
    assert_int_equal(pthread_create(&v.th, NULL, run, &v), 0);

    memset(body, 'b', sizeof(body));
    for (size_t at = 100; at + sizeof(MARK) < sizeof(body); at += 1500)
        memcpy(body + at, MARK, sizeof(MARK) - 1);
    fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)vt_http_server_port(v.s));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    snprintf(head, sizeof(head), "PUT /r HTTP/1.1\r\nHost: t\r\nContent-Length: %zu\r\n\r\n", sizeof(body));
    send_all(fd, head, strlen(head));
    for (size_t off = 0; off < sizeof(body); off += 1000) { /* pieces the server reads one by one */
        send_all(fd, body + off, sizeof(body) - off < 1000 ? sizeof(body) - off : 1000);
        usleep(20000);
    }
    while (got < sizeof(reply) - 1 && strstr(reply, "{\"ok\":true}") == NULL) {
        ssize_t n = recv(fd, reply + got, sizeof(reply) - 1 - got, 0);
        if (n <= 0)
            break;
        got += (size_t)n;
        reply[got] = '\0';
    }
    assert_non_null(strstr(reply, "HTTP/1.1 200"));
    assert_int_equal(atomic_load(&seen), 1);
    close(fd);
    vt_http_server_stop(v.s);
    assert_int_equal(pthread_join(v.th, NULL), 0);
    vt_http_server_free(v.s);
    vt_wipe(body, sizeof(body));
    assert_int_equal(vt_test_freed_unwiped(), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_http_server_wipe__authorization_never_in_a_freed_block),
        cmocka_unit_test(test_http_server_wipe__request_body_never_in_a_freed_block),
    };

    vt_test_free_marks(MARK, TOKEN);
    vt_test_free_check_libevent(); /* before any libevent allocation */
    return cmocka_run_group_tests(tests, NULL, NULL);
}
