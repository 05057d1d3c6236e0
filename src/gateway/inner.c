/*
 * The gateway's requests to itself (see inner.h): one dispatch for OHTTP and MCP.
 *
 * Pool: each event loop keeps up to POOL_MAX idle kept-alive connections to the
 * gateway's own listener.  A call takes one (or makes one), and its completion
 * puts it back when the exchange ended cleanly; a connection idle for more than
 * POOL_IDLE_SECS is closed rather than reused, well before the listener's own
 * idle timeout could close it under a request.  Connections in use are not in
 * the pool, so concurrent inner requests never queue behind one another.
 * evhttp reconnects a pooled connection the listener closed (connguard
 * eviction) on its next request.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/keyvalq_struct.h>

#include "gateway/client_watch.h"
#include "gateway/inner.h"
#include "gateway/transport.h"
#include "veritee/http.h"

#define POOL_MAX 8
#define POOL_IDLE_SECS 10

struct pool {
    struct event_base *base;
    struct evhttp_connection *conn[POOL_MAX];
    time_t since[POOL_MAX]; /* when each went idle */
    unsigned n;
    struct pool *next;
};

struct vt_gw_inner_call {
    struct event_base *base;
    struct evhttp_connection *conn;
    vt_gw_inner_cb cb;
    void *arg;
    bool cancelled; /* vt_gw_inner_cancel: the kill event owns the call now */
    bool finished;  /* done has run */
};

/* One pool per event loop, found by its base; the list changes only at loop start and end. */
static pthread_mutex_t pools_mu = PTHREAD_MUTEX_INITIALIZER;
static struct pool *pools;

static struct pool *pool_of(struct event_base *base, bool create)
{
    struct pool *p;

    pthread_mutex_lock(&pools_mu);
    for (p = pools; p != NULL && p->base != base; p = p->next)
        ;
    if (p == NULL && create) {
        p = calloc(1, sizeof(*p));
        if (p != NULL) {
            p->base = base;
            p->next = pools;
            pools = p;
        }
    }
    pthread_mutex_unlock(&pools_mu);
    return p;
}

static time_t now_secs(void)
{
    return (time_t)(vt_time_mono_ns() / 1000000000);
}

static struct evhttp_connection *take(const vt_gw_self *self, struct event_base *base)
{
    struct pool *p = pool_of(base, false);
    time_t now = now_secs();

    while (p != NULL && p->n > 0) {
        struct evhttp_connection *c = p->conn[--p->n];
        if (now - p->since[p->n] <= POOL_IDLE_SECS)
            return c;
        evhttp_connection_free(c); /* idle too long: outside any of its callbacks here */
    }
    return vt_gw_self_connect(self, base);
}

static void free_later(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    evhttp_connection_free(arg);
}

/* From a request's completion callback: the connection cannot be freed before it returns. */
static void put_back(struct event_base *base, struct evhttp_connection *c, bool reusable)
{
    struct pool *p = reusable ? pool_of(base, true) : NULL;
    struct timeval zero = { 0, 0 };

    if (p != NULL && p->n < POOL_MAX) {
        p->since[p->n] = now_secs();
        p->conn[p->n++] = c;
        return;
    }
    if (event_base_once(base, -1, EV_TIMEOUT, free_later, c, &zero) != 0)
        evhttp_connection_free_on_completion(c); /* out of memory: freed when it next closes */
}

/* done, exactly once. */
static void finish(vt_gw_inner_call *k, struct evhttp_request *ireq)
{
    if (k->finished)
        return;
    k->finished = true;
    k->cb.done(ireq, k->arg);
}

static int on_head(struct evhttp_request *ireq, void *arg)
{
    vt_gw_inner_call *k = arg;

    if (!k->cancelled)
        k->cb.head(ireq, k->arg);
    return 0;
}

static void on_chunk(struct evhttp_request *ireq, void *arg)
{
    vt_gw_inner_call *k = arg;

    if (!k->cancelled)
        k->cb.chunk(ireq, k->arg);
}

static void on_done(struct evhttp_request *ireq, void *arg)
{
    vt_gw_inner_call *k = arg;
    int status = ireq != NULL ? evhttp_request_get_response_code(ireq) : 0;

    if (k->cancelled) { /* the kill event frees the connection and the call */
        finish(k, NULL);
        return;
    }
    finish(k, ireq);
    /* A failed or timed-out exchange leaves the connection in an unknown state: not reused. */
    put_back(k->base, k->conn, status >= 100 && status <= 599);
    free(k);
}

/* A cancelled call, from the loop: outside every callback of its connection. */
static void kill_call(evutil_socket_t fd, short what, void *arg)
{
    vt_gw_inner_call *k = arg;

    (void)fd;
    (void)what;
    finish(k, NULL);
    evhttp_connection_free(k->conn); /* frees the request too, without its callback */
    free(k);
}

void vt_gw_inner_cancel(vt_gw_inner_call *k)
{
    struct timeval zero = { 0, 0 };

    if (k == NULL || k->cancelled || k->finished)
        return;
    k->cancelled = true;
    if (event_base_once(k->base, -1, EV_TIMEOUT, kill_call, k, &zero) != 0)
        k->cancelled = false; /* out of memory: the request runs to its end, as before */
}

/* ---- a client waiting for an inner request ---- */

/* The client's connection is being freed (evhttp, the guard, or waiter_left). */
static void waiter_gone(struct evhttp_connection *evcon, void *arg)
{
    vt_gw_inner_waiter *w = arg;

    (void)evcon;
    w->req = NULL;
    vt_gw_watch_free(w->watch);
    w->watch = NULL;
    vt_gw_inner_cancel(w->call);
}

/* The watch saw the client leave: closing its connection runs waiter_gone. */
static void waiter_left(void *arg)
{
    vt_gw_inner_waiter *w = arg;

    vt_gw_watch_free(w->watch);
    w->watch = NULL;
    evhttp_connection_free(w->cevcon);
}

void vt_gw_inner_wait(vt_gw_inner_waiter *w, struct event_base *base, vt_connguard *guard, struct evhttp_request *req)
{
    w->req = req;
    w->cevcon = evhttp_request_get_connection(req);
    w->guard = guard;
    w->call = NULL;
    vt_connguard_set_closecb(guard, w->cevcon, waiter_gone, w);
    w->watch = vt_gw_watch_start(base, w->cevcon, waiter_left, w);
}

void vt_gw_inner_wait_replying(vt_gw_inner_waiter *w)
{
    vt_gw_watch_free(w->watch);
    w->watch = NULL;
}

struct evhttp_request *vt_gw_inner_wait_end(vt_gw_inner_waiter *w)
{
    w->call = NULL;
    vt_gw_watch_free(w->watch);
    w->watch = NULL;
    if (w->req != NULL) /* gone: its connection, and the callback with it, are freed already */
        vt_connguard_set_closecb(w->guard, w->cevcon, NULL, NULL);
    return w->req;
}

bool vt_gw_inner_hop_by_hop(const char *name, size_t len)
{
    static const char *const skip[] = { "connection", "keep-alive", "transfer-encoding", "te", "upgrade",
                                        "content-length", "host", "proxy-connection", "trailer", "date" };
    for (size_t i = 0; i < sizeof(skip) / sizeof(skip[0]); i++)
        if (strlen(skip[i]) == len && strncasecmp(name, skip[i], len) == 0)
            return true;
    return false;
}

/* ---- plaintext kept out of libevent's buffers ---- */

static void wiped_free(const void *data, size_t len, void *block)
{
    vt_wipe(block, len); /* data == block: the chain's bytes, ours */
    (void)data;
    free(block);
}

bool vt_gw_inner_add_wiped(struct evbuffer *b, const void *p, size_t len)
{
    uint8_t *block;

    if (len == 0)
        return true;
    block = malloc(len);
    if (block == NULL)
        return false;
    memcpy(block, p, len);
    if (evbuffer_add_reference(b, block, len, wiped_free, block) != 0) {
        vt_wipe(block, len);
        free(block);
        return false;
    }
    return true;
}

static void add_header(struct evkeyvalq *h, const vt_bhttp_field *f)
{
    char name[256], *value;

    if (f->name_len == 0 || f->name_len >= sizeof(name) || vt_gw_inner_hop_by_hop(f->name, f->name_len))
        return;
    memcpy(name, f->name, f->name_len);
    name[f->name_len] = '\0';
    value = malloc(f->value_len + 1);
    if (value == NULL)
        return;
    memcpy(value, f->value, f->value_len);
    value[f->value_len] = '\0';
    evhttp_add_header(h, name, value);
    vt_wipe(value, f->value_len); /* may be an Authorization header */
    free(value);
}

bool vt_gw_inner_send(const vt_gw_self *self, struct event_base *base, const vt_gw_inner_req *r,
                      const vt_gw_inner_cb *cb, void *arg, vt_gw_inner_call **call)
{
    vt_gw_inner_call *k = calloc(1, sizeof(*k));
    struct evhttp_request *ireq = NULL;
    struct evkeyvalq *oh;

    if (call != NULL)
        *call = NULL;
    if (k == NULL)
        return false;
    k->base = base;
    k->cb = *cb;
    k->arg = arg;
    k->conn = take(self, base);
    ireq = k->conn != NULL ? evhttp_request_new(on_done, k) : NULL;
    if (ireq == NULL) {
        if (k->conn != NULL)
            evhttp_connection_free(k->conn);
        free(k);
        return false;
    }
    if (cb->head != NULL && cb->chunk != NULL) {
        evhttp_request_set_header_cb(ireq, on_head);
        evhttp_request_set_chunked_cb(ireq, on_chunk);
    }
    evhttp_connection_set_timeout(k->conn, r->timeout_secs);
    if (r->max_body > 0)
        evhttp_connection_set_max_body_size(k->conn, (ev_ssize_t)r->max_body);
    oh = evhttp_request_get_output_headers(ireq);
    evhttp_add_header(oh, "Host", r->host != NULL && r->host[0] != '\0' ? r->host : "localhost");
    for (size_t i = 0; i < r->field_count; i++)
        add_header(oh, &r->fields[i]);
    /* The body (a prompt) by reference to a block of ours, wiped when libevent lets go of it: evbuffer_add
     * would copy it into a libevent buffer freed unwiped once written. */
    if (!vt_gw_inner_add_wiped(evhttp_request_get_output_buffer(ireq), r->body, r->body_len)) {
        evhttp_request_free(ireq);
        evhttp_connection_free(k->conn);
        free(k);
        return false;
    }
    /* Set before: done may run inside evhttp_make_request (a connect refused at once) and free
     * what call points into, so nothing is written through it after a success. */
    if (call != NULL)
        *call = k;
    if (evhttp_make_request(k->conn, ireq, r->cmd, r->path) != 0) {
        /* libevent freed ireq; nothing was sent and no callback runs. */
        if (call != NULL)
            *call = NULL;
        evhttp_connection_free(k->conn);
        free(k);
        return false;
    }
    return true;
}

void vt_gw_inner_free(struct event_base *base)
{
    struct pool **pp, *p = NULL;

    pthread_mutex_lock(&pools_mu);
    for (pp = &pools; *pp != NULL; pp = &(*pp)->next) {
        if ((*pp)->base == base) {
            p = *pp;
            *pp = p->next;
            break;
        }
    }
    pthread_mutex_unlock(&pools_mu);
    if (p == NULL)
        return;
    while (p->n > 0)
        evhttp_connection_free(p->conn[--p->n]);
    free(p);
}
