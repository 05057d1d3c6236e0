/* Replies that wait (vt_http_reply_later) through a real server on 127.0.0.1:
 * the loop serves others while a reply waits, the body the handler saw is
 * still there when it finishes, a client that left does not break the loop,
 * a stopping server answers the replies that wait first (up to its request
 * timeout), and a server freed with replies still waiting releases each
 * exactly once. */
#include "vt_test.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#define MAX_WAITING 4

struct waiting {
    vt_http_later *later;
    const uint8_t *body; /* the handler's req->body, read again by finish */
    size_t body_len;
    char copy[64];       /* what the handler read from it */
};

static struct waiting waits[MAX_WAITING];
static atomic_int n_waiting, n_finished, n_released;

static void finish(vt_http_resp *resp, void *arg)
{
    struct waiting *w = arg;
    char body[160];

    if (resp == NULL) {
        atomic_fetch_add(&n_released, 1);
        return;
    }
    /* the body must still be the one the handler saw */
    snprintf(body, sizeof(body), "{\"saw\":\"%s\",\"still\":\"%.*s\"}", w->copy, (int)w->body_len,
             (const char *)w->body);
    assert_int_equal(vt_http_reply_json(resp, 201, body, NULL), VT_OK);
    atomic_fetch_add(&n_finished, 1);
}

static void h_wait(vt_http_resp *resp, const vt_http_req *req, void *ctx)
{
    int i = atomic_load(&n_waiting);
    struct waiting *w = &waits[i];

    (void)ctx;
    assert_true(i < MAX_WAITING);
    w->body = req->body;
    w->body_len = req->body_len;
    snprintf(w->copy, sizeof(w->copy), "%.*s", (int)req->body_len, (const char *)req->body);
    w->later = vt_http_reply_later(resp, req, finish, w);
    assert_non_null(w->later);
    assert_true(resp->later);
    atomic_fetch_add(&n_waiting, 1);
}

static void h_now(vt_http_resp *resp, const vt_http_req *req, void *ctx)
{
    (void)req;
    (void)ctx;
    assert_int_equal(vt_http_reply_json(resp, 200, "{\"now\":true}", NULL), VT_OK);
}

struct srv {
    vt_http_server *s;
    vt_http_router r;
    pthread_t th;
    int port;
};

static void *run(void *arg)
{
    struct srv *v = arg;
    vt_err e = { 0 };
    assert_int_equal(vt_http_server_run(v->s, &e), VT_OK);
    return NULL;
}

static void srv_start(struct srv *v)
{
    vt_http_server_opts o;
    vt_err e = { 0 };

    memset(&o, 0, sizeof(o));
    o.listen = "127.0.0.1:0";
    o.threads = 1; /* one loop: a waiting reply must not hold it */
    o.name = "test";
    o.timeout_s = 1; /* how long a stopping server waits for replies that wait */
    vt_http_router_init(&v->r);
    assert_int_equal(vt_http_router_add(&v->r, "POST", "/wait", h_wait, NULL, &e), VT_OK);
    assert_int_equal(vt_http_router_add(&v->r, "GET", "/now", h_now, NULL, &e), VT_OK);
    assert_int_equal(vt_http_server_new(&v->s, &o, &v->r, &e), VT_OK);
    v->port = vt_http_server_port(v->s);
    assert_int_equal(pthread_create(&v->th, NULL, run, v), 0);
}

static void srv_stop(struct srv *v)
{
    vt_http_server_stop(v->s);
    assert_int_equal(pthread_join(v->th, NULL), 0);
}

static int dial(int port)
{
    struct sockaddr_in a;
    struct timeval tv = { 5, 0 };
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    assert_true(fd >= 0);
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    return fd;
}

static void send_all(int fd, const char *s)
{
    size_t len = strlen(s);
    while (len > 0) {
        ssize_t n = send(fd, s, len, MSG_NOSIGNAL);
        assert_true(n > 0);
        s += n;
        len -= (size_t)n;
    }
}

/* Reads until the reply's body (Content-Length) is complete, or EOF/timeout. */
static void read_reply(int fd, char *out, size_t cap)
{
    size_t len = 0;
    out[0] = '\0';
    for (;;) {
        const char *hdr_end = strstr(out, "\r\n\r\n"), *cl = strstr(out, "Content-Length: ");
        ssize_t n;
        if (hdr_end != NULL && cl != NULL && len >= (size_t)(hdr_end + 4 - out) + strtoul(cl + 16, NULL, 10))
            return;
        n = recv(fd, out + len, cap - 1 - len, 0);
        if (n <= 0)
            return;
        len += (size_t)n;
        out[len] = '\0';
    }
}

static void post_wait(int fd, const char *body)
{
    char req[256];
    snprintf(req, sizeof(req), "POST /wait HTTP/1.1\r\nHost: t\r\nContent-Length: %zu\r\n\r\n%s", strlen(body), body);
    send_all(fd, req);
}

static void wait_for(atomic_int *v, int want)
{
    for (int i = 0; i < 500 && atomic_load(v) < want; i++)
        usleep(10000);
    assert_int_equal(atomic_load(v), want);
}

static void get_now(int port)
{
    char buf[2048];
    int fd = dial(port);
    send_all(fd, "GET /now HTTP/1.1\r\nHost: t\r\n\r\n");
    read_reply(fd, buf, sizeof(buf));
    assert_non_null(strstr(buf, "HTTP/1.1 200"));
    assert_non_null(strstr(buf, "{\"now\":true}"));
    close(fd);
}

struct waker {
    vt_http_later *l;
    useconds_t after_us;
};

/* Wakes a later from another thread (as the log's sequencer does), after a pause. */
static void *wake_from_thread(void *arg)
{
    struct waker *k = arg;
    usleep(k->after_us);
    vt_http_later_wake(k->l);
    return NULL;
}

static void reset(void)
{
    memset(waits, 0, sizeof(waits));
    atomic_store(&n_waiting, 0);
    atomic_store(&n_finished, 0);
    atomic_store(&n_released, 0);
}

/* A fresh server with one POST /wait from a new connection waiting: that connection. */
static int one_waiting(struct srv *v, const char *body)
{
    int fd;

    reset();
    srv_start(v);
    fd = dial(v->port);
    post_wait(fd, body);
    wait_for(&n_waiting, 1);
    return fd;
}

static void test_later__loop_serves_others_and_body_survives(void **state)
{
    struct srv v;
    struct waker k;
    pthread_t th;
    char buf[2048];
    int fd;

    (void)state;
    fd = one_waiting(&v, "hello-later");
    /* the only loop is free while that reply waits */
    get_now(v.port);
    get_now(v.port);
    assert_int_equal(atomic_load(&n_finished), 0);
    /* woken from another thread (as the log's sequencer does) */
    k = (struct waker){ .l = waits[0].later, .after_us = 0 };
    assert_int_equal(pthread_create(&th, NULL, wake_from_thread, &k), 0);
    assert_int_equal(pthread_join(th, NULL), 0);
    read_reply(fd, buf, sizeof(buf));
    assert_non_null(strstr(buf, "HTTP/1.1 201"));
    assert_non_null(strstr(buf, "{\"saw\":\"hello-later\",\"still\":\"hello-later\"}"));
    assert_non_null(strstr(buf, "X-Request-Id: "));
    /* the connection is kept alive for the next request */
    send_all(fd, "GET /now HTTP/1.1\r\nHost: t\r\n\r\n");
    read_reply(fd, buf, sizeof(buf));
    assert_non_null(strstr(buf, "{\"now\":true}"));
    close(fd);
    srv_stop(&v);
    vt_http_server_free(v.s);
    assert_int_equal(atomic_load(&n_finished), 1);
    assert_int_equal(atomic_load(&n_released), 0);
}

static void test_later__client_gone_before_wake(void **state)
{
    struct srv v;
    int fd;

    (void)state;
    fd = one_waiting(&v, "bye");
    close(fd); /* the client leaves while its reply waits */
    usleep(50000);
    vt_http_later_wake(waits[0].later);
    wait_for(&n_finished, 1); /* finish runs; the reply goes nowhere */
    get_now(v.port);          /* and the loop goes on */
    srv_stop(&v);
    vt_http_server_free(v.s);
    assert_int_equal(atomic_load(&n_released), 0);
}

static void test_later__server_freed_first_releases_each_once(void **state)
{
    struct srv v;
    int fd1, fd2;

    (void)state;
    fd1 = one_waiting(&v, "one");
    fd2 = dial(v.port);
    post_wait(fd2, "two");
    wait_for(&n_waiting, 2);
    srv_stop(&v);
    /* woken after its loop stopped: the free releases it */
    vt_http_later_wake(waits[0].later);
    assert_int_equal(atomic_load(&n_released), 0);
    vt_http_server_free(v.s);
    assert_int_equal(atomic_load(&n_released), 1);
    /* woken after the server is gone: the wake releases it */
    vt_http_later_wake(waits[1].later);
    assert_int_equal(atomic_load(&n_released), 2);
    assert_int_equal(atomic_load(&n_finished), 0);
    close(fd1);
    close(fd2);
}

/* Stopping while a reply waits (its log entry committing): the reply still goes out. */
static void test_later__stop_waits_for_the_reply(void **state)
{
    struct srv v;
    struct waker k;
    pthread_t th;
    char buf[2048];
    int fd;

    (void)state;
    fd = one_waiting(&v, "at-stop");
    k = (struct waker){ .l = waits[0].later, .after_us = 300000 };
    assert_int_equal(pthread_create(&th, NULL, wake_from_thread, &k), 0);
    vt_http_server_stop(v.s);
    read_reply(fd, buf, sizeof(buf));
    assert_non_null(strstr(buf, "HTTP/1.1 201"));
    assert_non_null(strstr(buf, "{\"saw\":\"at-stop\",\"still\":\"at-stop\"}"));
    assert_int_equal(pthread_join(v.th, NULL), 0);
    assert_int_equal(pthread_join(th, NULL), 0);
    vt_http_server_free(v.s);
    close(fd);
    assert_int_equal(atomic_load(&n_finished), 1);
    assert_int_equal(atomic_load(&n_released), 0);
}

static void test_later__no_server_behind_the_call(void **state)
{
    vt_http_resp resp;
    vt_http_req req;

    (void)state;
    memset(&resp, 0, sizeof(resp));
    memset(&req, 0, sizeof(req));
    req.method = "POST";
    req.path = "/wait";
    /* in-process calls have no server: the handler must finish at once */
    assert_null(vt_http_reply_later(&resp, &req, finish, NULL));
    assert_false(resp.later);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_later__loop_serves_others_and_body_survives),
        cmocka_unit_test(test_later__client_gone_before_wake),
        cmocka_unit_test(test_later__stop_waits_for_the_reply),
        cmocka_unit_test(test_later__server_freed_first_releases_each_once),
        cmocka_unit_test(test_later__no_server_behind_the_call),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
