/* The connection guard (src/lib/http/connguard.c) on a real evhttp and real
 * loopback sockets, its loop driven here pass by pass, so the order of
 * accepts and reads is the test's.  The process runs with 80 descriptors
 * (soft and hard), which fits the waiting room to its minimum, ROOM. */
#include "vt_test.h"

#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/http.h>

#define ROOM 16        /* connguard.c WAIT_MIN: the waiting room with 80 descriptors */
#define FD_LIMIT 80
#define ATTEMPTS 5     /* a run the machine stalled past the room's 200 ms is run again */

struct server {
    struct event_base *base;
    struct evhttp *http;
    vt_connguard *g;
    int lfd;
    uint16_t port;
    unsigned answered;
};

static void on_req(struct evhttp_request *req, void *arg)
{
    struct server *s = arg;

    s->answered++;
    evhttp_send_reply(req, 200, "OK", NULL);
}

static void server_start_with(struct server *s, const vt_connguard_opts *o)
{
    struct evhttp_bound_socket *bound;
    struct sockaddr_in a;
    socklen_t alen = sizeof(a);
    vt_err e = { 0 };

    memset(s, 0, sizeof(*s));
    s->base = event_base_new();
    assert_non_null(s->base);
    s->http = evhttp_new(s->base);
    assert_non_null(s->http);
    bound = evhttp_bind_socket_with_handle(s->http, "127.0.0.1", 0);
    assert_non_null(bound);
    s->lfd = evhttp_bound_socket_get_fd(bound);
    assert_int_equal(getsockname(s->lfd, (struct sockaddr *)&a, &alen), 0);
    s->port = ntohs(a.sin_port);
    if (vt_connguard_new(&s->g, o, &e) != VT_OK)
        fail_msg("%s", e.msg);
    if (vt_connguard_attach(s->g, 0, s->base, s->http, bound, on_req, s, &e) != VT_OK)
        fail_msg("%s", e.msg);
}

static void server_start(struct server *s, unsigned max_connections, unsigned max_per_client)
{
    vt_connguard_opts o = { .loops = 1, .max_connections = max_connections, .max_per_client = max_per_client,
                            .request_timeout_ms = 60000, .name = "test" };

    server_start_with(s, &o);
}

static void server_stop(struct server *s)
{
    vt_connguard_unlisten(s->g, 0);
    evhttp_free(s->http);
    vt_connguard_free(s->g);
    event_base_free(s->base);
}

static bool readable(int fd, int ms)
{
    struct pollfd p = { .fd = fd, .events = POLLIN };

    return poll(&p, 1, ms) == 1;
}

/* Runs the loop until every connection made is accepted and the loop has
 * nothing left to do now (three quiet passes). */
static void settle(struct server *s)
{
    int quiet = 0;

    for (int i = 0; i < 10000 && quiet < 3; i++) {
        event_base_loop(s->base, EVLOOP_NONBLOCK);
        quiet = readable(s->lfd, 0) ? 0 : quiet + 1;
    }
    assert_int_equal(quiet, 3);
}

/* A connection to the server, made whole (blocking connect), then non-blocking. */
static int client(const struct server *s)
{
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(s->port) };
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct timeval tv = { 0, 0 };

    assert_true(fd >= 0);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), 0);
    return fd;
}

/* What the server sent on fd so far: 0 nothing (still open), 1 closed (what
 * it sent, if anything, in buf), -1 an error. */
static int peer_said(int fd, char *buf, size_t len)
{
    size_t got = 0;

    buf[0] = '\0';
    for (;;) {
        ssize_t n = recv(fd, buf + got, len - 1 - got, MSG_DONTWAIT);
        if (n > 0) {
            got += (size_t)n;
            buf[got] = '\0';
            if (got + 1 >= len)
                return 1;
            continue;
        }
        if (n == 0)
            return 1;
        if (errno == EAGAIN || errno == EWOULDBLOCK)
            return got > 0 ? 1 : 0;
        return errno == ECONNRESET ? 1 : -1;
    }
}

/* The server's end of the client connection cfd (both are in this process). */
static int server_end(int cfd)
{
    struct sockaddr_in me, peer, a, b;
    socklen_t l = sizeof(me);

    assert_int_equal(getsockname(cfd, (struct sockaddr *)&me, &l), 0);
    l = sizeof(peer);
    assert_int_equal(getpeername(cfd, (struct sockaddr *)&peer, &l), 0);
    for (int fd = 0; fd < FD_LIMIT; fd++) {
        socklen_t la = sizeof(a), lb = sizeof(b);
        if (fd == cfd || getsockname(fd, (struct sockaddr *)&a, &la) != 0 ||
            getpeername(fd, (struct sockaddr *)&b, &lb) != 0 || la != sizeof(a) || lb != sizeof(b))
            continue;
        if (a.sin_port == peer.sin_port && b.sin_port == me.sin_port)
            return fd;
    }
    fail_msg("no server end for descriptor %d", cfd);
    return -1;
}

/* Waits (driving the loop) until fd has been answered and closed. */
static void await_closed(struct server *s, int fd, char *buf, size_t len)
{
    for (int i = 0; i < 2000; i++) {
        if (peer_said(fd, buf, len) != 0)
            return;
        event_base_loop(s->base, EVLOOP_NONBLOCK);
        (void)readable(fd, 1);
    }
    fail_msg("descriptor %d was not closed", fd);
}

/*
 * One run: a silent connection c0 takes the one place of this address; the
 * probe p and ROOM-1 silent ones s[] wait in the room behind it, p the
 * oldest.  Then one more connection x arrives and p's complete request lands
 * in its receive queue, in that order, without the loop running: in the
 * loop's next pass it accepts x first (the listener was ready first), so the
 * full room must lose one while p's request is still unread.  With talk,
 * the others in the room have started a request too, unread as well, one of
 * them (s[QUIET]) a single byte of it.  Returns false when the machine stalled
 * long enough that the room gave up a connection before the overflow (the run
 * proves nothing then).
 */
#define QUIET 7
static bool overflow_with_request_unread(bool talk)
{
    static const char probe[] = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
    struct server s;
    int c0, p, x, sv[ROOM - 1], victim;
    char buf[512];
    bool ran = false;

    server_start(&s, 16, 1);
    c0 = client(&s);
    settle(&s);
    assert_int_equal(vt_connguard_open(s.g), 1);
    p = client(&s);
    settle(&s);
    for (int i = 0; i < ROOM - 1; i++)
        sv[i] = client(&s);
    settle(&s);
    /* everything is where the run needs it: nobody answered or closed yet */
    if (peer_said(c0, buf, sizeof(buf)) != 0 || peer_said(p, buf, sizeof(buf)) != 0)
        goto out;
    for (int i = 0; i < ROOM - 1; i++)
        if (peer_said(sv[i], buf, sizeof(buf)) != 0)
            goto out;
    ran = true;
    x = client(&s);
    assert_true(readable(s.lfd, 1000)); /* x waits to be accepted ... */
    assert_int_equal(send(p, probe, sizeof(probe) - 1, 0), (ssize_t)(sizeof(probe) - 1));
    assert_true(readable(server_end(p), 1000)); /* ... and then p's request to be read */
    for (int i = 0; talk && i < ROOM - 1; i++) {
        const char *part = i == QUIET ? "G" : "GET /v1/models HTTP/1.1\r\n";
        assert_int_equal(send(sv[i], part, strlen(part), 0), (ssize_t)strlen(part));
        assert_true(readable(server_end(sv[i]), 1000));
    }
    event_base_loop(s.base, EVLOOP_ONCE);

    /* The probe is answered, not evicted. */
    await_closed(&s, p, buf, sizeof(buf));
    if (strncmp(buf, "HTTP/1.1 200", 12) != 0)
        fail_msg("the probe whose request was waiting got: %.80s", buf);
    assert_int_equal(s.answered, 1);
    /* The oldest silent one in the room left instead (the one that sent least); the others stay. */
    victim = talk ? QUIET : 0;
    await_closed(&s, sv[victim], buf, sizeof(buf));
    if (strstr(buf, "HTTP/1.1 503") != buf || strstr(buf, "too_many_connections") == NULL)
        fail_msg("connection %d of the room got: %.80s", victim, buf);
    for (int i = 0; i < ROOM - 1; i++)
        if (i != victim && peer_said(sv[i], buf, sizeof(buf)) != 0)
            fail_msg("connection %d of the room was closed too: %.80s", i, buf);
    assert_int_equal(peer_said(x, buf, sizeof(buf)), 0);
    close(x);
out:
    close(c0);
    close(p);
    for (int i = 0; i < ROOM - 1; i++)
        close(sv[i]);
    server_stop(&s);
    return ran;
}

static void overflow(bool talk)
{
    int i;

    for (i = 0; i < ATTEMPTS && !overflow_with_request_unread(talk); i++)
        ;
    if (i == ATTEMPTS)
        fail_msg("the room gave up connections before the overflow in %d runs (machine too slow?)", ATTEMPTS);
}

/* The others are silent: the oldest of them leaves, not the probe. */
static void test_http_connguard__full_room_keeps_unread_request(void **state)
{
    (void)state;
    overflow(false);
}

/* Everybody has bytes unread: the one with the fewest leaves. */
static void test_http_connguard__full_room_closes_least_unread(void **state)
{
    (void)state;
    overflow(true);
}

/* The guard's 400 for ambiguous framing, to a request with origin_line ("Origin: ...\r\n" or ""),
 * from a guard given the allow-list l and the policy cors (each may be NULL); the answer in buf. */
static void framing_answer(const vt_origin_list *l, const vt_cors *cors, const char *origin_line, char *buf,
                           size_t len)
{
    vt_connguard_opts o = { .loops = 1, .max_connections = 16, .max_per_client = 16, .request_timeout_ms = 60000,
                            .name = "test", .origins = l, .cors = cors };
    struct server s;
    char req[256];
    int c, n;

    server_start_with(&s, &o);
    c = client(&s);
    n = snprintf(req, sizeof(req), "POST /x HTTP/1.1\r\nHost: 127.0.0.1\r\n%sContent-Length: 2\r\n"
                 "Content-Length: 40\r\n\r\n{}", origin_line);
    assert_int_equal(send(c, req, (size_t)n, 0), (ssize_t)n);
    await_closed(&s, c, buf, len);
    if (strncmp(buf, "HTTP/1.1 400", 12) != 0 || strstr(buf, "more than one Content-Length") == NULL)
        fail_msg("two Content-Length headers got: %.120s", buf);
    assert_int_equal(s.answered, 0);
    close(c);
    server_stop(&s);
}

static const vt_cors cors = { "GET, POST", "content-type", "X-Request-Id", NULL };

/* An allow-listed page and a loopback page see the 400: the CORS answer headers name them. */
static void test_http_connguard__framing_400_cors_for_allowed_origin(void **state)
{
    vt_origin_list l;
    char buf[1024];

    (void)state;
    vt_origin_list_init(&l);
    assert_int_equal(vt_origin_list_add(&l, "https://app.example", NULL), VT_OK);
    framing_answer(&l, &cors, "Origin: https://app.example\r\n", buf, sizeof(buf));
    assert_non_null(strstr(buf, "\r\nAccess-Control-Allow-Origin: https://app.example\r\n"));
    assert_non_null(strstr(buf, "\r\nVary: Origin\r\n"));
    assert_non_null(strstr(buf, "\r\nAccess-Control-Expose-Headers: X-Request-Id\r\n"));
    framing_answer(NULL, &cors, "Origin: http://localhost:3000\r\n", buf, sizeof(buf));
    assert_non_null(strstr(buf, "\r\nAccess-Control-Allow-Origin: http://localhost:3000\r\n"));
}

/* Another site, null, two Origin headers, none at all, or a guard without a policy: no CORS. */
static void test_http_connguard__framing_400_no_cors_for_refused_origin(void **state)
{
    static const char *const lines[] = { "Origin: https://evil.example\r\n", "Origin: null\r\n",
                                         "Origin: https://app.example/\r\n",
                                         "Origin: https://app.example\r\nOrigin: https://app.example\r\n", "" };
    vt_origin_list l;
    char buf[1024];

    (void)state;
    vt_origin_list_init(&l);
    assert_int_equal(vt_origin_list_add(&l, "https://app.example", NULL), VT_OK);
    for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
        framing_answer(&l, &cors, lines[i], buf, sizeof(buf));
        if (strstr(buf, "Access-Control-") != NULL)
            fail_msg("'%s' got CORS headers: %.300s", lines[i], buf);
    }
    framing_answer(&l, NULL, "Origin: https://app.example\r\n", buf, sizeof(buf));
    assert_null(strstr(buf, "Access-Control-"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_http_connguard__full_room_keeps_unread_request),
        cmocka_unit_test(test_http_connguard__full_room_closes_least_unread),
        cmocka_unit_test(test_http_connguard__framing_400_cors_for_allowed_origin),
        cmocka_unit_test(test_http_connguard__framing_400_no_cors_for_refused_origin),
    };
    struct rlimit rl = { FD_LIMIT, FD_LIMIT };

    /* the guard fits its waiting room to the open-file limit (minimum ROOM) */
    if (setrlimit(RLIMIT_NOFILE, &rl) != 0) {
        perror("setrlimit");
        return 1;
    }
    return cmocka_run_group_tests(tests, NULL, NULL);
}
