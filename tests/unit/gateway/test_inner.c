/* What an inner request (an OHTTP client's prompt, decrypted) and its answer leave in freed
 * memory (docs/transport.md, "What is wiped").  libevent's allocations go through a free that
 * looks for the prompt in every block it frees (event_set_mem_functions, before any libevent
 * call), and this program's own frees, the gateway's included, through the same check
 * (-Wl,--wrap=free): a block freed with the prompt still in it is counted. */
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "free_check.h"
#include "vt_test.h"

#include "gateway/inner.h"
#include "http/evwipe.h"
#include "gateway/transport.h"

#define MARK "zebra-prompt-4471"


/* A buffer of many blocks holding the prompt several times: added (several chains), prepended,
 * and by reference to the test's own bytes. */
static struct evbuffer *prompt_buffer(uint8_t *own, size_t own_len)
{
    struct evbuffer *b = evbuffer_new();
    char piece[3000];

    assert_non_null(b);
    memset(piece, 'x', sizeof(piece));
    memcpy(piece + 100, MARK, sizeof(MARK) - 1);
    for (int i = 0; i < 6; i++)
        assert_int_equal(evbuffer_add(b, piece, sizeof(piece)), 0);
    assert_int_equal(evbuffer_prepend(b, MARK, sizeof(MARK) - 1), 0);
    memset(own, 'y', own_len);
    memcpy(own + 10, MARK, sizeof(MARK) - 1);
    assert_int_equal(evbuffer_add_reference(b, own, own_len, NULL, NULL), 0);
    assert_int_equal(evbuffer_add(b, MARK, sizeof(MARK) - 1), 0);
    return b;
}

static bool all_zero(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != 0)
            return false;
    return true;
}

/* Every byte wiped where it lies: none in a block freed later, nor in the referenced bytes. */
static void test_gateway_inner__wipe_evbuffer_in_place(void **state)
{
    uint8_t own[64];
    struct evbuffer *b;
    size_t len;
    struct evbuffer_iovec v[64];
    int n;

    (void)state;
    vt_test_freed_reset();
    b = prompt_buffer(own, sizeof(own));
    len = evbuffer_get_length(b);
    assert_true(evbuffer_peek(b, -1, NULL, NULL, 0) > 2); /* several blocks */
    vt__http_evwipe(b);
    assert_int_equal(evbuffer_get_length(b), len);
    n = evbuffer_peek(b, -1, NULL, v, 64);
    assert_true(n > 0 && n <= 64);
    for (int i = 0; i < n; i++)
        assert_true(all_zero(v[i].iov_base, v[i].iov_len));
    assert_true(all_zero(own, sizeof(own)));
    evbuffer_free(b);
    assert_int_equal(vt_test_freed_unwiped(), 0);
    vt__http_evwipe(NULL);
}

/* The bytes reach a vt_buf (wiped when freed) whole and in order; the evbuffer is wiped. */
static void test_gateway_inner__take_wiped(void **state)
{
    uint8_t own[64];
    struct evbuffer *b;
    vt_buf out = { 0 };
    uint8_t *want;
    size_t len;

    (void)state;
    vt_test_freed_reset();
    b = prompt_buffer(own, sizeof(own));
    len = evbuffer_get_length(b);
    want = malloc(len);
    assert_non_null(want);
    assert_int_equal(evbuffer_copyout(b, want, len), (ev_ssize_t)len);
    assert_int_equal(vt__http_evwipe_take(&out, b, NULL), VT_OK);
    assert_int_equal(out.len, len);
    assert_memory_equal(out.data, want, len);
    assert_true(all_zero(own, sizeof(own)));
    evbuffer_free(b);
    vt_wipe(want, len);
    free(want);
    vt_buf_free(&out);
    assert_int_equal(vt_test_freed_unwiped(), 0);
}

/* The copy added by reference is the gateway's, and is wiped when libevent lets go of it. */
static void test_gateway_inner__add_wiped_freed_unsent(void **state)
{
    struct evbuffer *b = evbuffer_new();
    char body[200];

    (void)state;
    vt_test_freed_reset();
    memset(body, 'p', sizeof(body));
    memcpy(body + 50, MARK, sizeof(MARK) - 1);
    assert_true(vt_gw_inner_add_wiped(b, body, sizeof(body)));
    assert_true(vt_gw_inner_add_wiped(b, body, 0));
    assert_int_equal(evbuffer_get_length(b), sizeof(body));
    evbuffer_free(b);
    assert_int_equal(vt_test_freed_unwiped(), 0);
}

struct done {
    int status;
    bool ran;
};

static void on_done(struct evhttp_request *ireq, void *arg)
{
    struct done *d = arg;

    d->ran = true;
    d->status = ireq != NULL ? evhttp_request_get_response_code(ireq) : 0;
}

/* The head and a body of body_len bytes have arrived. */
static bool whole_request(const char *got, size_t got_len, size_t body_len)
{
    const char *end = memmem(got, got_len, "\r\n\r\n", 4);

    return end != NULL && got_len - (size_t)(end + 4 - got) >= body_len;
}

/* An inner request through a real connection (a listener of the test's own): the prompt in its
 * body goes out whole, and no block freed on the way (libevent's output buffers, written and
 * drained) still holds it. */
static void test_gateway_inner__request_body_never_in_a_freed_block(void **state)
{
    static const vt_gw_inner_cb cb = { NULL, NULL, on_done };
    struct sockaddr_in sa = { .sin_family = AF_INET };
    socklen_t sl = sizeof(sa);
    struct event_base *base = event_base_new();
    vt_gw_self self;
    vt_gw_inner_req r = { 0 };
    struct done d = { 0 };
    char body[5000], got[16384];
    size_t got_len = 0;
    int ls, cs = -1;

    (void)state;
    vt_test_freed_reset();
    assert_non_null(base);
    ls = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    assert_true(ls >= 0);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(ls, (struct sockaddr *)&sa, sizeof(sa)), 0);
    assert_int_equal(listen(ls, 4), 0);
    assert_int_equal(getsockname(ls, (struct sockaddr *)&sa, &sl), 0);
    memset(&self, 0, sizeof(self));
    snprintf(self.host, sizeof(self.host), "127.0.0.1");
    self.port = ntohs(sa.sin_port);
    memset(body, 'q', sizeof(body));
    memcpy(body + 4000, MARK, sizeof(MARK) - 1);
    r.cmd = EVHTTP_REQ_POST;
    r.path = "/v1/chat/completions";
    r.host = "gateway";
    r.body = (const uint8_t *)body;
    r.body_len = sizeof(body);
    r.timeout_secs = 5;
    assert_true(vt_gw_inner_send(&self, base, &r, &cb, &d, NULL));
    /* The loop writes the request; the test reads it whole, then answers. */
    for (int i = 0; i < 2000 && !whole_request(got, got_len, sizeof(body)); i++) {
        ssize_t n;
        event_base_loop(base, EVLOOP_NONBLOCK);
        if (cs < 0)
            cs = accept(ls, NULL, NULL);
        if (cs >= 0) {
            n = recv(cs, got + got_len, sizeof(got) - got_len, MSG_DONTWAIT);
            if (n > 0)
                got_len += (size_t)n;
        }
        usleep(1000);
    }
    assert_true(cs >= 0);
    assert_non_null(memmem(got, got_len, MARK, sizeof(MARK) - 1)); /* the prompt went out */
    assert_int_equal(send(cs, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", 40, 0), 40);
    for (int i = 0; i < 2000 && !d.ran; i++) {
        event_base_loop(base, EVLOOP_NONBLOCK);
        usleep(1000);
    }
    assert_true(d.ran);
    assert_int_equal(d.status, 200);
    vt_gw_inner_free(base);
    event_base_free(base);
    close(cs);
    close(ls);
    vt_wipe(got, sizeof(got));
    vt_wipe(body, sizeof(body));
    assert_int_equal(vt_test_freed_unwiped(), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gateway_inner__wipe_evbuffer_in_place),
        cmocka_unit_test(test_gateway_inner__take_wiped),
        cmocka_unit_test(test_gateway_inner__add_wiped_freed_unsent),
        cmocka_unit_test(test_gateway_inner__request_body_never_in_a_freed_block),
    };

    vt_test_free_marks(MARK, NULL);
    vt_test_free_check_libevent(); /* before any libevent allocation */
    return cmocka_run_group_tests(tests, NULL, NULL);
}
