/*
 * The proxy core (see proxy.h).
 *
 * One event loop per thread, each with its own SO_REUSEPORT listener, evhttp
 * front and pool of keep-alive upstream connections, so a request never
 * crosses threads.  The upstream side is a small HTTP/1.1 client over a
 * bufferevent rather than evhttp's client: it needs a connect timeout apart
 * from the idle timeout, and it must stop reading the upstream while a slow
 * client drains a stream (evhttp's client offers neither).
 *
 * Lifetime of one exchange: handle() creates it; it ends in exactly one of
 * ex_complete (upstream answered), ex_fail (upstream failed: JSON error, or a
 * final error event once a stream has started), or client_closed (the client
 * went away: the upstream connection is closed, which cancels the upstream
 * request).  ex_finish frees it and calls the on_finish hook once.
 *
 * evhttp stops reading a client's connection once it has the request, so it
 * would notice a client that left only when it next writes to it: until the
 * reply starts, a watch of our own on the client's socket (client_watch)
 * notices the EOF and closes the connection, which ends the exchange through
 * client_closed.  Once a reply has started evhttp watches for the close itself.
 */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <sys/queue.h>

#include <event2/keyvalq_struct.h>
#include <event2/thread.h>
#include <jansson.h>

#include "gateway/deployment.h"
#include "gateway/mcp.h"
#include "gateway/proxy.h"
#include "gateway/transport.h"
#include "veritee/http.h"
#include "veritee/tls.h"

#define POOL_IDLE_SECS 60 /* an idle upstream connection is closed after this */
#define MAX_LINE 8192     /* one status, header or chunk-size line from the upstream */

struct gw_loop;

enum up_state {
    UP_IDLE,       /* in the pool */
    UP_STATUS,     /* waiting for the status line */
    UP_HEADERS,
    UP_BODY_LEN,   /* Content-Length body */
    UP_BODY_CLOSE, /* body delimited by the connection closing */
    UP_CHUNK_SIZE,
    UP_CHUNK_DATA,
    UP_CHUNK_CRLF,
    UP_TRAILERS,
};

struct upconn {
    struct gw_loop *loop;
    struct bufferevent *bev;
    struct upconn *next; /* pool list */
    struct exchange *ex; /* NULL while pooled */
    const vt_gw_target *tgt; /* a workflow's downstream deployment; NULL = the upstream */
    enum up_state st;
    bool connected;
    bool reused;    /* came from the pool: a failure before any byte may be a stale connection */
    bool got_bytes; /* some response byte arrived for the current request */
    bool keepalive;
    int status;
    struct evkeyvalq headers;
    size_t hdr_bytes;
    uint64_t remaining;
};

struct exchange {
    struct gw_loop *loop;
    struct evhttp_request *req;        /* NULL once the client is gone or answered */
    struct evhttp_connection *cevcon;  /* the client's connection */
    struct event *watch;               /* EOF on the client's socket before the reply starts */
    struct upconn *up;
    vt_gw_ctx ctx;
    char method[8];
    char path[256];
    vt_buf body;     /* request body as forwarded */
    char *target;    /* upstream request-target (owned) */
    struct evbuffer *resp; /* non-streamed body */
    struct evbuffer *out;  /* streamed events waiting to go to the client */
    vt_gw_sse sse;
    vt_buf scratch;
    bool streaming;
    bool paused;
    char why[256];   /* ctx.unauditable points here */
    const vt_gw_target *tgt; /* a workflow's downstream deployment; NULL = the upstream */
    char *deployments;       /* ctx.deployments (owned) */
    bool retried;
    bool answered;   /* on_response ran, or on_request blocked: on_error is not called */
};

struct gw_loop {
    vt_gw *gw;
    unsigned index;
    struct event_base *base;
    struct evhttp *http;
    evutil_socket_t fd;
    pthread_t thread;
    bool thread_started;
    struct upconn *idle;
    unsigned idle_count;
    struct event *sig[2];
    struct evhttp_bound_socket *bound;
    struct evhttp *http_plain; /* the plain listener beside an HTTPS one (cfg->listen_plain_host) */
    evutil_socket_t fd_plain;
    struct evhttp_bound_socket *bound_plain;
};

struct vt_gw {
    const vt_gw_config *cfg;
    const vt_gw_hooks *hooks;
    unsigned nloops;
    struct gw_loop *loops;
    uint16_t port;
    uint16_t plain_port;
    vt_gw_self self; /* how the gateway reaches itself (transport.c) */
    atomic_uint inflight;
    atomic_ulong next_id;
    vt_ratelimit *attest_rl; /* fresh quotes: one bucket for the whole gateway */
    struct sockaddr_storage up_addr;
    socklen_t up_addrlen;
    char host_header[300];
    struct timeval up_connect_tv, up_idle_tv, pool_tv;
    vt_connguard *guard; /* client connection caps and request deadline (shared with the verifier) */
};

static void up_read(struct bufferevent *bev, void *arg);
static void up_event(struct bufferevent *bev, short what, void *arg);
static void up_process(struct upconn *c);
static void ex_start_upstream(struct exchange *ex);

/* ---- logging: one JSON object per line on stderr ---- */

static void gw_log(const char *level, const char *event, const char *detail)
{
    json_t *o = json_object();
    char *s;
    char ts[32];

    if (o == NULL)
        return;
    vt_time_format(ts, vt_time_now());
    json_object_set_new(o, "ts", json_string(ts));
    json_object_set_new(o, "level", json_string(level));
    json_object_set_new(o, "component", json_string("gateway"));
    json_object_set_new(o, "event", json_string(event));
    if (detail != NULL)
        json_object_set_new(o, "detail", json_string(detail));
    s = json_dumps(o, JSON_COMPACT);
    if (s != NULL)
        fprintf(stderr, "%s\n", s);
    free(s);
    json_decref(o);
}

/* ---- OpenAI-shaped errors ---- */

static struct evbuffer *error_body(const char *type, const char *code, const char *msg)
{
    json_t *o = json_pack("{s:{s:s, s:s, s:n, s:s}}", "error", "message", msg, "type", type, "param", "code", code);
    struct evbuffer *b = evbuffer_new();
    char *s = o != NULL ? json_dumps(o, JSON_COMPACT) : NULL;

    if (b != NULL)
        evbuffer_add_printf(b, "%s\n", s != NULL ? s : "{\"error\":{\"message\":\"error\"}}");
    free(s);
    json_decref(o);
    return b;
}

/* extra: headers to add (NULL for none). */
static void reply_error_with(struct evhttp_request *req, int status, struct evbuffer *b, const vt_gw_headers *extra)
{
    struct evkeyvalq *h = evhttp_request_get_output_headers(req);

    evhttp_remove_header(h, "Content-Type");
    evhttp_add_header(h, "Content-Type", "application/json");
    for (size_t i = 0; extra != NULL && i < extra->count; i++)
        evhttp_add_header(h, extra->name[i], extra->value[i]);
    evhttp_send_reply(req, status, NULL, b);
}

static void reply_error(struct evhttp_request *req, int status, const char *type, const char *code, const char *msg)
{
    struct evbuffer *b = error_body(type, code, msg);

    reply_error_with(req, status, b, NULL);
    if (b != NULL)
        evbuffer_free(b);
}

/* ---- headers ---- */

static const char *view_get(const vt_gw_header_view *v, const char *name)
{
    return evhttp_find_header((const struct evkeyvalq *)v->impl, name);
}

/*
 * The reply's headers (docs/gateway.md): the upstream's headers are strings
 * the auditors do not see, so none passes except Retry-After as plain
 * delta-seconds; the gateway sets Content-Type itself (the body is the
 * audited JSON, or the audited event stream) and the hooks add
 * Veritee-Receipt.  An upstream's Veritee-Receipt, Set-Cookie,
 * Content-Encoding or X-... header never reaches the client.
 */
static void set_response_headers(struct evhttp_request *req, const struct evkeyvalq *from, bool stream)
{
    struct evkeyvalq *to = evhttp_request_get_output_headers(req);
    const char *ra = evhttp_find_header(from, "Retry-After");

    evhttp_clear_headers(to);
    if (ra != NULL && *ra != '\0' && strlen(ra) <= 9 && strspn(ra, "0123456789") == strlen(ra))
        evhttp_add_header(to, "Retry-After", ra);
    evhttp_add_header(to, "Content-Type", stream ? "text/event-stream" : "application/json");
    if (stream)
        evhttp_add_header(to, "Cache-Control", "no-cache");
}

/* Is the media type of a Content-Type value `type` (parameters ignored)? */
static bool media_type_is(const char *ct, const char *type)
{
    size_t n = strlen(type);

    return ct != NULL && strncasecmp(ct, type, n) == 0 && (ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ');
}

/* ---- upstream connections ---- */

static void up_free(struct upconn *c)
{
    if (c == NULL)
        return;
    if (c->bev != NULL)
        bufferevent_free(c->bev); /* closes the socket: the upstream sees the request cancelled */
    evhttp_clear_headers(&c->headers);
    free(c);
}

static void pool_remove(struct gw_loop *L, struct upconn *c)
{
    for (struct upconn **p = &L->idle; *p != NULL; p = &(*p)->next) {
        if (*p == c) {
            *p = c->next;
            L->idle_count--;
            return;
        }
    }
}

static struct upconn *up_new(struct gw_loop *L, const vt_gw_target *tgt)
{
    vt_gw *gw = L->gw;
    const struct sockaddr *sa = tgt != NULL ? (const struct sockaddr *)&tgt->addr : (const struct sockaddr *)&gw->up_addr;
    socklen_t salen = tgt != NULL ? tgt->addrlen : gw->up_addrlen;
    struct upconn *c = calloc(1, sizeof(*c));
    evutil_socket_t fd = -1;
    int one = 1;

    if (c == NULL)
        return NULL;
    TAILQ_INIT(&c->headers);
    c->loop = L;
    c->tgt = tgt;
    fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        goto fail;
    (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    c->bev = bufferevent_socket_new(L->base, fd, BEV_OPT_CLOSE_ON_FREE);
    if (c->bev == NULL) {
        close(fd);
        goto fail;
    }
    bufferevent_setcb(c->bev, up_read, NULL, up_event, c);
    bufferevent_set_timeouts(c->bev, &gw->up_connect_tv, &gw->up_connect_tv);
    if (bufferevent_socket_connect(c->bev, sa, (int)salen) != 0)
        goto fail;
    bufferevent_enable(c->bev, EV_READ | EV_WRITE);
    return c;
fail:
    up_free(c);
    return NULL;
}

static struct upconn *up_get(struct gw_loop *L, const vt_gw_target *tgt)
{
    struct upconn *c = L->idle;

    while (c != NULL && c->tgt != tgt)
        c = c->next;
    if (c == NULL)
        return up_new(L, tgt);
    pool_remove(L, c);
    c->next = NULL;
    c->reused = true;
    bufferevent_set_timeouts(c->bev, &L->gw->up_idle_tv, &L->gw->up_idle_tv);
    return c;
}

/* Back to the pool when the response ended cleanly and the upstream keeps the connection. */
static void up_release(struct upconn *c, bool reusable)
{
    struct gw_loop *L = c->loop;

    c->ex = NULL;
    evhttp_clear_headers(&c->headers);
    if (!reusable || !c->keepalive || evbuffer_get_length(bufferevent_get_input(c->bev)) != 0 ||
        L->idle_count >= L->gw->cfg->limits.upstream_keepalive) {
        up_free(c);
        return;
    }
    c->st = UP_IDLE;
    c->got_bytes = false;
    c->status = 0;
    c->hdr_bytes = 0;
    bufferevent_set_timeouts(c->bev, &L->gw->pool_tv, NULL);
    bufferevent_enable(c->bev, EV_READ); /* notices an upstream that closes it */
    c->next = L->idle;
    L->idle = c;
    L->idle_count++;
}

/* ---- exchanges ---- */

static void watch_stop(struct exchange *ex)
{
    if (ex->watch != NULL)
        event_free(ex->watch);
    ex->watch = NULL;
}

/* The client's socket became readable while the exchange waits for the upstream. */
static void client_watch(evutil_socket_t fd, short what, void *arg)
{
    struct exchange *ex = arg;
    char b;
    ssize_t n = recv(fd, &b, 1, MSG_PEEK | MSG_DONTWAIT);

    (void)what;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        return;
    watch_stop(ex);
    if (n > 0) /* more bytes (a pipelined request): evhttp reads them after the reply */
        return;
    /* EOF or a reset: the client is gone.  Closing its connection runs client_closed, which
     * ends the exchange and closes the upstream connection (the upstream request is cancelled). */
    evhttp_connection_free(ex->cevcon);
}

/* Watches the client's socket for EOF until the reply starts. */
static void watch_start(struct exchange *ex)
{
    struct bufferevent *bev = evhttp_connection_get_bufferevent(ex->cevcon);
    evutil_socket_t fd = bev != NULL ? bufferevent_getfd(bev) : -1;

    if (fd < 0 || ex->watch != NULL)
        return;
    ex->watch = event_new(ex->loop->base, fd, EV_READ | EV_PERSIST, client_watch, ex);
    if (ex->watch != NULL && event_add(ex->watch, NULL) != 0)
        watch_stop(ex);
    if (ex->watch == NULL)
        gw_log("warn", "client_watch", "gateway: cannot watch the client's connection");
}

static void ex_finish(struct exchange *ex)
{
    const vt_gw_hooks *hooks = ex->loop->gw->hooks;

    watch_stop(ex);
    if (ex->req != NULL && ex->cevcon != NULL)
        evhttp_connection_set_closecb(ex->cevcon, NULL, NULL);
    if (hooks->on_finish != NULL)
        hooks->on_finish(hooks->arg, &ex->ctx);
    if (ex->up != NULL)
        up_free(ex->up);
    atomic_fetch_sub(&ex->loop->gw->inflight, 1);
    vt_buf_free(&ex->body);
    vt_buf_free(&ex->scratch);
    vt_gw_sse_free(&ex->sse);
    free(ex->target);
    free(ex->deployments);
    if (ex->resp != NULL)
        evbuffer_free(ex->resp);
    if (ex->out != NULL)
        evbuffer_free(ex->out);
    free(ex);
}

/* Hands the request to evhttp for good: no close callback may reach us afterwards. */
static struct evhttp_request *ex_take_req(struct exchange *ex)
{
    struct evhttp_request *req = ex->req;

    watch_stop(ex);
    if (req != NULL)
        evhttp_connection_set_closecb(ex->cevcon, NULL, NULL);
    ex->req = NULL;
    return req;
}

static void stream_end(struct exchange *ex, bool complete)
{
    const vt_gw_hooks *hooks = ex->loop->gw->hooks;
    vt_err err;

    if (hooks->on_stream_end != NULL) {
        ex->scratch.len = 0;
        if (hooks->on_stream_end(hooks->arg, &ex->ctx, complete, &ex->scratch, &err) != VT_OK) {
            gw_log("error", "on_stream_end", err.msg);
            ex->scratch.len = 0;
        }
        if (ex->scratch.len > 0)
            evbuffer_add(ex->out, ex->scratch.data, ex->scratch.len);
    }
    if (evbuffer_get_length(ex->out) > 0)
        evhttp_send_reply_chunk(ex->req, ex->out);
    evhttp_send_reply_end(ex_take_req(ex));
}

/* A JSON error before any reply started; on_error adds the receipt. */
static void ex_fail_reply(struct exchange *ex, int status, const char *type, const char *code, const char *msg)
{
    const vt_gw_hooks *hooks = ex->loop->gw->hooks;
    struct evbuffer *b = error_body(type, code, msg);
    vt_gw_headers extra = { 0 };
    vt_buf body = { 0 };
    size_t n = b != NULL ? evbuffer_get_length(b) : 0;
    vt_err err;

    if (hooks->on_error != NULL && !ex->answered && n > 0) {
        vt_status rc = vt_buf_reserve(&body, n, &err);
        if (rc == VT_OK) {
            evbuffer_copyout(b, body.data, n);
            body.len = n;
            rc = hooks->on_error(hooks->arg, &ex->ctx, status, &body, &extra, &err);
        }
        if (rc != VT_OK) { /* the error still goes out, without what the hook would have added */
            gw_log("error", "on_error", err.msg);
            vt_gw_headers_free(&extra);
        }
        vt_buf_free(&body);
    }
    ex->answered = true;
    evhttp_clear_headers(evhttp_request_get_output_headers(ex->req));
    reply_error_with(ex_take_req(ex), status, b, &extra);
    vt_gw_headers_free(&extra);
    if (b != NULL)
        evbuffer_free(b);
}

/* The upstream failed, or a limit or hook refused: tell the client and end the exchange. */
static void ex_fail(struct exchange *ex, int status, const char *type, const char *code, const char *msg)
{
    if (ex->up != NULL) {
        up_free(ex->up);
        ex->up = NULL;
    }
    if (ex->req != NULL) {
        if (!ex->streaming) {
            ex_fail_reply(ex, status, type, code, msg);
        } else {
            /* Headers are gone; OpenAI clients raise an "error" member of a data event. */
            struct evbuffer *b = error_body(type, code, msg);
            size_t n = b != NULL ? evbuffer_get_length(b) : 0;
            vt_buf_free(&ex->scratch);
            if (n > 0 && vt_buf_reserve(&ex->scratch, n, NULL) == VT_OK) {
                evbuffer_remove(b, ex->scratch.data, n);
                while (n > 0 && ex->scratch.data[n - 1] == '\n')
                    n--;
                vt_buf sse = { 0 };
                if (vt_gw_sse_write_str(&sse, NULL, (const char *)ex->scratch.data, n, NULL) == VT_OK) {
                    const vt_gw_hooks *hooks = ex->loop->gw->hooks;
                    evbuffer_add(ex->out, sse.data, sse.len);
                    if (hooks->on_stream_bytes != NULL)
                        hooks->on_stream_bytes(hooks->arg, &ex->ctx, sse.data, sse.len);
                }
                vt_buf_free(&sse);
            }
            if (b != NULL)
                evbuffer_free(b);
            stream_end(ex, false);
        }
    }
    ex_finish(ex);
}

/* evhttp: the client's connection is going away while we still hold its request. */
static void client_closed(struct evhttp_connection *evcon, void *arg)
{
    struct exchange *ex = arg;

    (void)evcon;
    /* Detached requests (network failure while we hold them) are ours to free;
     * attached ones (server shutdown) evhttp frees right after this call. */
    if (ex->req != NULL && evhttp_request_get_connection(ex->req) == NULL)
        evhttp_request_free(ex->req);
    ex->req = NULL;
    ex_finish(ex); /* closes the upstream connection: the upstream request is cancelled */
}

static vt_status sse_event(void *arg, vt_gw_sse_event *ev, vt_err *err)
{
    struct exchange *ex = arg;
    const vt_gw_hooks *hooks = ex->loop->gw->hooks;
    vt_status rc;

    if (hooks->on_stream_event != NULL) {
        rc = hooks->on_stream_event(hooks->arg, &ex->ctx, ev, err);
        if (rc != VT_OK)
            return rc;
    }
    if (ev->drop)
        return VT_OK;
    ex->scratch.len = 0;
    rc = ev->raw ? vt_buf_append(&ex->scratch, ev->data.data, ev->data.len, err) : vt_gw_sse_write(&ex->scratch, ev, err);
    if (rc == VT_OK && evbuffer_add(ex->out, ex->scratch.data, ex->scratch.len) != 0)
        rc = vt_err_set(err, VT_E_NOMEM, "gateway: out of memory");
    if (rc == VT_OK && hooks->on_stream_bytes != NULL)
        hooks->on_stream_bytes(hooks->arg, &ex->ctx, ex->scratch.data, ex->scratch.len);
    return rc;
}

/* The client drained everything we gave it: read the upstream again. */
static void client_drained(struct evhttp_connection *evcon, void *arg)
{
    struct exchange *ex = arg;

    (void)evcon;
    if (!ex->paused || ex->up == NULL)
        return;
    ex->paused = false;
    bufferevent_enable(ex->up->bev, EV_READ);
    up_process(ex->up);
}

static void ex_complete(struct exchange *ex, bool reusable);

/* The upstream's reply cannot be audited: nothing of its body is forwarded. */
static void ex_unauditable(struct exchange *ex, const char *why)
{
    snprintf(ex->why, sizeof(ex->why), "%s", why);
    ex->ctx.unauditable = ex->why;
}

/* Upstream status line and headers are in. false: the exchange is gone. */
static bool ex_headers(struct exchange *ex, struct upconn *c)
{
    const vt_gw_limits *lim = &ex->loop->gw->cfg->limits;
    const char *ct = evhttp_find_header(&c->headers, "Content-Type");
    const char *ce = evhttp_find_header(&c->headers, "Content-Encoding");

    ex->ctx.upstream_status = c->status;
    /* Only bodies the gateway can read are forwarded: identity encoding (it asks for it),
     * JSON, or an event stream on a 2xx. */
    if (ce != NULL && strcasecmp(ce, "identity") != 0)
        ex_unauditable(ex, "gateway: the upstream's reply has a Content-Encoding other than identity");
    ex->streaming = ex->ctx.unauditable == NULL && c->status >= 200 && c->status < 300 &&
                    media_type_is(ct, "text/event-stream");
    if (!ex->streaming && ex->ctx.unauditable == NULL && !media_type_is(ct, "application/json"))
        ex_unauditable(ex, "gateway: the upstream's reply is not application/json (nor an event stream on a 2xx)");
    ex->ctx.streamed = ex->streaming;
    if (ex->ctx.unauditable != NULL) { /* the body is not needed: drop the connection */
        ex->resp = evbuffer_new();
        if (ex->resp == NULL) {
            ex_fail(ex, 500, "server_error", "gateway_error", "gateway: out of memory");
            return false;
        }
        ex_complete(ex, false);
        return false;
    }
    if (!ex->streaming) {
        ex->resp = evbuffer_new();
        if (ex->resp == NULL) {
            ex_fail(ex, 500, "server_error", "gateway_error", "gateway: out of memory");
            return false;
        }
        return true;
    }
    ex->out = evbuffer_new();
    if (ex->out == NULL) {
        ex_fail(ex, 500, "server_error", "gateway_error", "gateway: out of memory");
        return false;
    }
    vt_gw_sse_init_upstream(&ex->sse, lim->max_event_bytes, sse_event, ex);
    watch_stop(ex); /* evhttp watches a connection it writes to for the close */
    set_response_headers(ex->req, &c->headers, true);
    evhttp_send_reply_start(ex->req, c->status, NULL);
    return true;
}

/* n body bytes of the upstream's response are at the front of in.  false: the exchange is gone. */
static bool ex_body(struct exchange *ex, struct evbuffer *in, size_t n)
{
    const vt_gw_limits *lim = &ex->loop->gw->cfg->limits;
    struct evbuffer_iovec vec[16];
    vt_err err;

    if (!ex->streaming) {
        if (evbuffer_get_length(ex->resp) + n > lim->max_response_bytes) {
            char msg[160];
            snprintf(msg, sizeof(msg), "gateway: the upstream's response exceeds %zu bytes", lim->max_response_bytes);
            ex_unauditable(ex, msg);
            evbuffer_drain(ex->resp, evbuffer_get_length(ex->resp));
            ex_complete(ex, false);
            return false;
        }
        evbuffer_remove_buffer(in, ex->resp, n);
        return true;
    }
    while (n > 0) {
        int k = evbuffer_peek(in, (ev_ssize_t)n, NULL, vec, 16);
        size_t used = 0;
        for (int i = 0; i < k && i < 16 && used < n; i++) {
            size_t l = vec[i].iov_len < n - used ? vec[i].iov_len : n - used;
            vt_status frc = vt_gw_sse_feed(&ex->sse, vec[i].iov_base, l, &err);
            if (frc == VT_E_POLICY) { /* a response auditor ended the stream */
                ex_fail(ex, 403, "invalid_request_error", "content_blocked", err.msg);
                return false;
            }
            if (frc == VT_E_FORMAT || frc == VT_E_LIMIT) { /* an event the gateway cannot audit */
                gw_log("warn", "upstream_unauditable", err.msg);
                ex_unauditable(ex, err.msg);
                ex_fail(ex, 502, "server_error", "upstream_unauditable", err.msg);
                return false;
            }
            if (frc != VT_OK) {
                gw_log("warn", "upstream_stream", err.msg);
                ex_fail(ex, 502, "server_error", "upstream_bad_stream", err.msg);
                return false;
            }
            used += l;
        }
        evbuffer_drain(in, used);
        n -= used;
    }
    if (evbuffer_get_length(ex->out) == 0)
        return true;
    {
        struct bufferevent *cb = evhttp_connection_get_bufferevent(ex->cevcon);
        size_t pending = evbuffer_get_length(bufferevent_get_output(cb)) + evbuffer_get_length(ex->out);
        if (pending > lim->stream_buffer_bytes) {
            /* Slow client: stop reading the upstream until its output has drained. */
            ex->paused = true;
            bufferevent_disable(ex->up->bev, EV_READ);
            evhttp_send_reply_chunk_with_cb(ex->req, ex->out, client_drained, ex);
        } else {
            evhttp_send_reply_chunk(ex->req, ex->out);
        }
    }
    return true;
}

/* The upstream's response ended (framing complete). */
static void ex_complete(struct exchange *ex, bool reusable)
{
    const vt_gw_hooks *hooks = ex->loop->gw->hooks;
    struct upconn *c = ex->up;
    int status = c->status;
    vt_gw_headers extra = { 0 };
    vt_err err;

    if (ex->streaming) {
        ex->up = NULL;
        up_release(c, reusable);
        if (!vt_gw_sse_idle(&ex->sse)) { /* a partial line or event: never dispatched, never sent */
            ex_unauditable(ex, "gateway: the upstream's event stream ended inside an event");
            gw_log("warn", "upstream_unauditable", ex->why);
            ex_fail(ex, 502, "server_error", "upstream_unauditable", ex->why);
            return;
        }
        stream_end(ex, true);
        ex_finish(ex);
        return;
    }
    set_response_headers(ex->req, &c->headers, false);
    if (hooks->on_response != NULL) {
        vt_gw_header_view view = { view_get, &c->headers };
        size_t n = evbuffer_get_length(ex->resp);
        vt_buf body = { 0 };
        vt_status rc = vt_buf_reserve(&body, n, &err);
        ex->answered = true;
        if (rc == VT_OK) {
            evbuffer_remove(ex->resp, body.data, n);
            body.len = n;
            rc = hooks->on_response(hooks->arg, &ex->ctx, &status, &view, &body, &extra, &err);
        }
        if (rc == VT_OK)
            evbuffer_add(ex->resp, body.data, body.len);
        vt_buf_free(&body);
        if (rc != VT_OK) {
            vt_gw_headers_free(&extra);
            gw_log("error", "on_response", err.msg);
            evhttp_clear_headers(evhttp_request_get_output_headers(ex->req));
            ex_fail(ex, 500, "server_error", "gateway_error", "gateway: the response was refused");
            return;
        }
        for (size_t i = 0; i < extra.count; i++)
            evhttp_add_header(evhttp_request_get_output_headers(ex->req), extra.name[i], extra.value[i]);
        vt_gw_headers_free(&extra);
    }
    if (ex->ctx.unauditable != NULL) { /* no hook answered for the unauditable reply */
        gw_log("warn", "upstream_unauditable", ex->ctx.unauditable);
        evhttp_clear_headers(evhttp_request_get_output_headers(ex->req));
        ex_fail(ex, 502, "server_error", "upstream_unauditable", ex->ctx.unauditable);
        return;
    }
    ex->up = NULL;
    up_release(c, reusable);
    evhttp_send_reply(ex_take_req(ex), status, NULL, ex->resp);
    ex_finish(ex);
}

/* ---- upstream response parser ---- */

static void up_fail(struct upconn *c, bool timeout, const char *what)
{
    struct exchange *ex = c->ex;
    char msg[200];

    if (!timeout && c->reused && !c->got_bytes && !ex->retried) {
        /* A pooled connection the upstream closed just as we reused it: retry once on a fresh one. */
        ex->retried = true;
        ex->up = NULL;
        up_free(c);
        ex_start_upstream(ex);
        return;
    }
    snprintf(msg, sizeof(msg), "gateway: upstream %s", what);
    gw_log("warn", timeout ? "upstream_timeout" : "upstream_error", msg);
    if (timeout)
        ex_fail(ex, 504, "server_error", "upstream_timeout", msg);
    else
        ex_fail(ex, 502, "server_error", "upstream_error", msg);
}

static bool parse_status(struct upconn *c, const char *l)
{
    /* "HTTP/1.x NNN[ reason]" */
    if (strncmp(l, "HTTP/1.", 7) != 0 || (l[7] != '0' && l[7] != '1') || l[8] != ' ' || l[9] < '1' || l[9] > '5' ||
        l[10] < '0' || l[10] > '9' || l[11] < '0' || l[11] > '9' || (l[12] != ' ' && l[12] != '\0'))
        return false;
    c->status = (l[9] - '0') * 100 + (l[10] - '0') * 10 + (l[11] - '0');
    c->keepalive = l[7] == '1';
    return true;
}

static bool parse_header(struct upconn *c, char *l)
{
    char *colon = strchr(l, ':'), *v, *end;

    if (colon == NULL || colon == l)
        return false;
    for (char *p = l; p < colon; p++)
        if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 0x7f)
            return false;
    *colon = '\0';
    v = colon + 1;
    while (*v == ' ' || *v == '\t')
        v++;
    end = v + strlen(v);
    while (end > v && (end[-1] == ' ' || end[-1] == '\t'))
        *--end = '\0';
    return evhttp_add_header(&c->headers, l, v) == 0;
}

/* Chooses the body framing from the headers (RFC 9112 section 6.3). */
static bool framing(struct upconn *c, bool *no_body)
{
    const char *te = evhttp_find_header(&c->headers, "Transfer-Encoding");
    const char *cl = evhttp_find_header(&c->headers, "Content-Length");
    const char *conn = evhttp_find_header(&c->headers, "Connection");

    if (conn != NULL && strcasestr(conn, "close") != NULL)
        c->keepalive = false;
    *no_body = c->status == 204 || c->status == 304 || strcmp(c->ex->method, "HEAD") == 0;
    if (*no_body)
        return true;
    if (te != NULL) {
        if (strcasecmp(te, "chunked") != 0)
            return false;
        c->st = UP_CHUNK_SIZE;
        return true;
    }
    if (cl != NULL) {
        uint64_t v = 0;
        if (*cl == '\0' || strlen(cl) > 18)
            return false;
        for (const char *p = cl; *p != '\0'; p++) {
            if (*p < '0' || *p > '9')
                return false;
            v = v * 10 + (uint64_t)(*p - '0');
        }
        c->remaining = v;
        c->st = UP_BODY_LEN;
        *no_body = v == 0;
        return true;
    }
    c->st = UP_BODY_CLOSE;
    c->keepalive = false;
    return true;
}

/* Runs the response state machine over whatever is buffered. */
static void up_process(struct upconn *c)
{
    struct exchange *ex = c->ex;
    struct evbuffer *in = bufferevent_get_input(c->bev);
    const size_t max_hdr = c->loop->gw->cfg->limits.max_header_bytes;

    while (ex != NULL && !ex->paused) {
        size_t avail = evbuffer_get_length(in), n = 0;
        char *line = NULL;

        switch (c->st) {
        case UP_STATUS:
        case UP_HEADERS:
        case UP_CHUNK_SIZE:
        case UP_CHUNK_CRLF:
        case UP_TRAILERS:
            line = evbuffer_readln(in, &n, EVBUFFER_EOL_CRLF);
            if (line == NULL) {
                if (avail > MAX_LINE || c->hdr_bytes + avail > max_hdr)
                    up_fail(c, false, "sent an overlong header line");
                return;
            }
            if (c->st == UP_STATUS || c->st == UP_HEADERS || c->st == UP_TRAILERS) {
                c->hdr_bytes += n + 2;
                if (c->hdr_bytes > max_hdr) {
                    free(line);
                    up_fail(c, false, "sent too many header bytes");
                    return;
                }
            }
            break;
        default:
            if (avail == 0)
                return;
            break;
        }
        switch (c->st) {
        case UP_IDLE:
            free(line);
            return;
        case UP_STATUS:
            if (!parse_status(c, line)) {
                free(line);
                up_fail(c, false, "sent a malformed status line");
                return;
            }
            c->st = UP_HEADERS;
            break;
        case UP_HEADERS:
            if (n > 0) {
                if (!parse_header(c, line)) {
                    free(line);
                    up_fail(c, false, "sent a malformed header");
                    return;
                }
                break;
            }
            if (c->status < 200) { /* 100 Continue and friends: the real answer follows */
                evhttp_clear_headers(&c->headers);
                c->st = UP_STATUS;
                break;
            }
            {
                bool no_body = false;
                if (!framing(c, &no_body)) {
                    free(line);
                    up_fail(c, false, "sent a body framing the gateway does not accept");
                    return;
                }
                free(line);
                if (!ex_headers(ex, c))
                    return;
                if (no_body) {
                    ex_complete(ex, true);
                    return;
                }
                continue;
            }
        case UP_BODY_LEN:
        case UP_CHUNK_DATA:
            n = avail < c->remaining ? avail : (size_t)c->remaining;
            if (!ex_body(ex, in, n))
                return;
            c->remaining -= n;
            if (c->remaining == 0) {
                if (c->st == UP_BODY_LEN) {
                    ex_complete(ex, true);
                    return;
                }
                c->st = UP_CHUNK_CRLF;
            }
            break;
        case UP_BODY_CLOSE:
            if (!ex_body(ex, in, avail))
                return;
            break;
        case UP_CHUNK_SIZE: {
            uint64_t v = 0;
            size_t digits = 0;
            for (const char *p = line; *p != '\0' && *p != ';' && *p != ' ' && *p != '\t'; p++, digits++) {
                int d = (*p >= '0' && *p <= '9') ? *p - '0'
                        : (*p >= 'a' && *p <= 'f') ? *p - 'a' + 10
                        : (*p >= 'A' && *p <= 'F') ? *p - 'A' + 10
                                                     : -1;
                if (d < 0 || digits >= 15) {
                    free(line);
                    up_fail(c, false, "sent a malformed chunk size");
                    return;
                }
                v = v * 16 + (uint64_t)d;
            }
            if (digits == 0) {
                free(line);
                up_fail(c, false, "sent a malformed chunk size");
                return;
            }
            c->remaining = v;
            c->st = v == 0 ? UP_TRAILERS : UP_CHUNK_DATA;
            break;
        }
        case UP_CHUNK_CRLF:
            if (n != 0) {
                free(line);
                up_fail(c, false, "sent a chunk without its CRLF");
                return;
            }
            c->st = UP_CHUNK_SIZE;
            break;
        case UP_TRAILERS:
            if (n == 0) {
                free(line);
                ex_complete(ex, true);
                return;
            }
            break; /* trailers are dropped */
        }
        free(line);
    }
}

static void up_read(struct bufferevent *bev, void *arg)
{
    struct upconn *c = arg;

    (void)bev;
    if (c->ex == NULL) { /* a pooled connection must stay silent */
        pool_remove(c->loop, c);
        up_free(c);
        return;
    }
    c->got_bytes = true;
    up_process(c);
}

static void up_event(struct bufferevent *bev, short what, void *arg)
{
    struct upconn *c = arg;

    if (what & BEV_EVENT_CONNECTED) {
        c->connected = true;
        if (c->ex != NULL)
            c->ex->ctx.forwarded = true;
        bufferevent_set_timeouts(bev, &c->loop->gw->up_idle_tv, &c->loop->gw->up_idle_tv);
        return;
    }
    if (c->ex == NULL) {
        pool_remove(c->loop, c);
        up_free(c);
        return;
    }
    if ((what & BEV_EVENT_EOF) && c->st == UP_BODY_CLOSE) {
        struct exchange *ex = c->ex;
        size_t n = evbuffer_get_length(bufferevent_get_input(bev));
        if (n > 0 && !ex_body(ex, bufferevent_get_input(bev), n))
            return;
        c->keepalive = false;
        ex_complete(ex, false);
        return;
    }
    if (what & BEV_EVENT_TIMEOUT)
        up_fail(c, true, c->connected ? "sent nothing within the idle timeout" : "did not accept the connection in time");
    else if (!c->connected)
        up_fail(c, false, "refused the connection");
    else if (what & BEV_EVENT_EOF)
        up_fail(c, false, "closed the connection before the response ended");
    else
        up_fail(c, false, "connection failed");
}

/* Writes the request to an upstream connection (a pooled one, or a new one). */
static void ex_start_upstream(struct exchange *ex)
{
    vt_gw *gw = ex->loop->gw;
    struct upconn *c = up_get(ex->loop, ex->tgt);
    struct evbuffer *o;

    if (c == NULL) {
        ex_fail(ex, 502, "server_error", "upstream_error", "gateway: cannot open a connection to the upstream");
        return;
    }
    ex->up = c;
    c->ex = ex;
    ex->ctx.forwarded = c->connected;
    c->st = UP_STATUS;
    c->got_bytes = false;
    c->hdr_bytes = 0;
    evhttp_clear_headers(&c->headers);
    o = bufferevent_get_output(c->bev);
    /* Only the gateway's own headers: no client header reaches the upstream
     * (docs/gateway.md), so nothing the auditors did not see travels beside
     * the body.  Identity encoding: the response auditors read plaintext. */
    evbuffer_add_printf(o, "%s %s HTTP/1.1\r\nHost: %s\r\nAccept-Encoding: identity\r\n", ex->method, ex->target,
                        ex->tgt != NULL ? ex->tgt->host_header : gw->host_header);
    if (strcmp(ex->method, "POST") == 0) {
        evbuffer_add_printf(o, "Accept: application/json, text/event-stream\r\nContent-Type: application/json\r\n"
                               "Content-Length: %zu\r\n\r\n", ex->body.len);
        evbuffer_add(o, ex->body.data, ex->body.len);
    } else {
        evbuffer_add_printf(o, "Accept: application/json\r\n\r\n"); /* a GET has no body (handle() refuses one) */
    }
    bufferevent_enable(c->bev, EV_READ | EV_WRITE);
}

/* ---- the front ---- */

enum route { R_NONE, R_CHAT, R_COMPLETIONS, R_EMBEDDINGS, R_MODELS, R_MODEL, R_HEALTH, R_ATTESTATION };

/* A model id in /v1/models/{id}: 1-128 of [A-Za-z0-9._:-], not starting with
 * '.', so the upstream path can neither change directory nor carry escapes. */
#define MODEL_ID_MAX 128
static bool model_id_ok(const char *s)
{
    size_t n = strlen(s);

    if (n == 0 || n > MODEL_ID_MAX || s[0] == '.')
        return false;
    for (; *s != '\0'; s++) {
        unsigned char ch = (unsigned char)*s;
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '-' ||
              ch == '_' || ch == '.' || ch == ':'))
            return false;
    }
    return true;
}

static enum route route_of(const char *path, bool *post)
{
    *post = true;
    if (strcmp(path, "/v1/chat/completions") == 0)
        return R_CHAT;
    if (strcmp(path, "/v1/completions") == 0)
        return R_COMPLETIONS;
    if (strcmp(path, "/v1/embeddings") == 0)
        return R_EMBEDDINGS;
    *post = false;
    if (strcmp(path, "/v1/models") == 0)
        return R_MODELS;
    if (strncmp(path, "/v1/models/", 11) == 0)
        return R_MODEL; /* the id is checked by handle() */
    if (strcmp(path, "/healthz") == 0)
        return R_HEALTH;
    if (strcmp(path, "/v1/attestation") == 0)
        return R_ATTESTATION;
    return R_NONE;
}

/* Each GET /v1/attestation makes a fresh quote: a cheap way to load the TEE, so the gateway
 * makes at most limits.attestation_per_sec of them (a burst of one second's worth). */
static bool attestation_allowed(vt_gw *gw)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return vt_ratelimit_take(gw->attest_rl, "attestation", (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

static void handle(struct evhttp_request *req, void *arg)
{
    struct gw_loop *L = arg;
    vt_gw *gw = L->gw;
    const vt_gw_limits *lim = &gw->cfg->limits;
    const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
    const char *path = uri != NULL ? evhttp_uri_get_path(uri) : NULL;
    const char *query = uri != NULL ? evhttp_uri_get_query(uri) : NULL;
    enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
    struct evbuffer *in = evhttp_request_get_input_buffer(req);
    struct exchange *ex = NULL;
    enum route r;
    bool post;
    size_t tlen, node = SIZE_MAX;
    const vt_gw_target *tgt = NULL;
    vt_err err;

    if (path == NULL || *path == '\0')
        path = "/";
    if (strcmp(path, "/mcp") == 0 || strcmp(path, "/.well-known/mcp") == 0) {
        const char *h = gw->cfg->listen_host;
        vt_gw_mcp_env env = { L->base, h[0] == '\0' || strcmp(h, "0.0.0.0") == 0 ? "127.0.0.1" : strcmp(h, "::") == 0 ? "::1" : h,
                              gw->port, gw->hooks, gw->cfg, &gw->self };
        vt_gw_mcp_serve(req, &env, path[1] == '.'); /* mcp.c */
        return;
    }
    if (gw->hooks->on_front != NULL && gw->hooks->on_front(gw->hooks->front_arg, req, L->base, vt_gw_port(gw)))
        return; /* e.g. Oblivious HTTP (gateway/ohttp.c) */
    r = route_of(path, &post);
    if (r == R_NONE) {
        reply_error(req, 404, "invalid_request_error", "unknown_url", "gateway: unknown URL (the gateway serves /v1/chat/completions, /v1/completions, /v1/embeddings and /v1/models)");
        return;
    }
    if ((post && cmd != EVHTTP_REQ_POST) || (!post && cmd != EVHTTP_REQ_GET)) {
        evhttp_add_header(evhttp_request_get_output_headers(req), "Allow", post ? "POST" : "GET");
        reply_error(req, 405, "invalid_request_error", "method_not_allowed",
                    post ? "gateway: this URL takes POST" : "gateway: this URL takes GET");
        return;
    }
    if (r == R_MODEL && !model_id_ok(path + 11)) {
        reply_error(req, 400, "invalid_request_error", "invalid_model_id",
                    "gateway: a model id is 1-128 of [A-Za-z0-9._:-], not starting with '.'");
        return;
    }
    if (!post && evbuffer_get_length(in) > 0) {
        reply_error(req, 400, "invalid_request_error", "unexpected_body", "gateway: a GET request takes no body");
        return;
    }
    if (r == R_ATTESTATION) {
        int st = 404;
        vt_buf b = { 0 };
        struct evbuffer *eb = NULL;
        if (gw->hooks->on_attestation == NULL) {
            reply_error(req, 404, "invalid_request_error", "unknown_url", "gateway: attestation is not enabled");
            return;
        }
        if (!attestation_allowed(gw)) { /* a token comes back within 1 s (the rate is at least 1/s) */
            evhttp_add_header(evhttp_request_get_output_headers(req), "Retry-After", "1");
            reply_error(req, 429, "rate_limit_error", "rate_limited",
                        "gateway: too many attestation requests (limits.attestation_per_sec); retry later");
            return;
        }
        if (gw->hooks->on_attestation(gw->hooks->arg, query, &st, &b, &err) != VT_OK) {
            vt_buf_free(&b);
            gw_log("error", "on_attestation", err.msg);
            reply_error(req, 500, "server_error", "attestation_failed", "gateway: evidence could not be collected");
            return;
        }
        eb = evbuffer_new();
        if (eb != NULL)
            evbuffer_add(eb, b.data, b.len);
        vt_buf_free(&b);
        evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type", "application/json");
        evhttp_add_header(evhttp_request_get_output_headers(req), "Cache-Control", "no-store");
        evhttp_send_reply(req, st, NULL, eb);
        if (eb != NULL)
            evbuffer_free(eb);
        return;
    }
    if (r == R_HEALTH) {
        struct evbuffer *b = evbuffer_new();
        evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type", "application/json");
        if (b != NULL)
            evbuffer_add_printf(b, "{\"status\":\"ok\",\"inflight\":%u}\n", atomic_load(&gw->inflight));
        evhttp_send_reply(req, 200, "OK", b);
        if (b != NULL)
            evbuffer_free(b);
        return;
    }
    if (evbuffer_get_length(in) > lim->max_request_bytes) {
        char msg[128];
        snprintf(msg, sizeof(msg), "gateway: the request body exceeds %zu bytes", lim->max_request_bytes);
        evhttp_add_header(evhttp_request_get_output_headers(req), "Connection", "close");
        reply_error(req, 413, "invalid_request_error", "request_too_large", msg);
        return;
    }
    { /* what this deployment type serves, and the workflow's routes (deployment.c) */
        int st = 0;
        char code[64], msg[256];
        vt_gw_serve sv = vt_gw_deploy_route(gw->cfg->deploy, path, evbuffer_pullup(in, -1), evbuffer_get_length(in),
                                            &node, &st, code, msg);
        if (sv == VT_GW_SERVE_REFUSE) {
            reply_error(req, st, "invalid_request_error", code, msg);
            return;
        }
        if (sv == VT_GW_SERVE_MODELS) {
            char *s = vt_gw_deploy_models_json(gw->cfg->deploy);
            struct evbuffer *b = evbuffer_new();
            if (b != NULL && s != NULL && r == R_MODEL) { /* the one entry */
                json_t *doc = json_loads(s, 0, NULL), *e;
                size_t i;
                json_array_foreach(json_object_get(doc, "data"), i, e) {
                    if (strcmp(json_string_value(json_object_get(e, "id")), path + 11) == 0) {
                        free(s);
                        s = json_dumps(e, JSON_COMPACT);
                        break;
                    }
                }
                json_decref(doc);
            }
            evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type", "application/json");
            if (b != NULL && s != NULL)
                evbuffer_add_printf(b, "%s\n", s);
            evhttp_send_reply(req, 200, "OK", b);
            free(s);
            if (b != NULL)
                evbuffer_free(b);
            return;
        }
        if (sv == VT_GW_SERVE_NODE)
            tgt = &gw->cfg->deploy->nodes[node].tgt;
    }
    if (atomic_fetch_add(&gw->inflight, 1) >= lim->max_connections) {
        atomic_fetch_sub(&gw->inflight, 1);
        reply_error(req, 503, "server_error", "gateway_overloaded", "gateway: too many requests in flight; retry later");
        return;
    }
    ex = calloc(1, sizeof(*ex));
    /* The client's query string is not forwarded: none of the proxied routes
     * takes one, and no auditor reads it (docs/gateway.md). */
    tlen = strlen(tgt != NULL ? tgt->base : gw->cfg->upstream_base != NULL ? gw->cfg->upstream_base : "") + strlen(path) + 1;
    if (ex != NULL)
        ex->target = malloc(tlen);
    if (ex == NULL || ex->target == NULL ||
        vt_buf_reserve(&ex->body, evbuffer_get_length(in), &err) != VT_OK) {
        if (ex != NULL) {
            free(ex->target);
            vt_buf_free(&ex->body);
        }
        free(ex);
        atomic_fetch_sub(&gw->inflight, 1);
        reply_error(req, 500, "server_error", "gateway_error", "gateway: out of memory");
        return;
    }
    snprintf(ex->target, tlen, "%s%s", tgt != NULL ? tgt->base : gw->cfg->upstream_base != NULL ? gw->cfg->upstream_base : "", path);
    ex->tgt = tgt;
    ex->loop = L;
    ex->req = req;
    ex->cevcon = evhttp_request_get_connection(req);
    snprintf(ex->method, sizeof(ex->method), "%s", post ? "POST" : "GET");
    snprintf(ex->path, sizeof(ex->path), "%s", path);
    ex->ctx.method = ex->method;
    ex->ctx.path = ex->path;
    ex->ctx.id = atomic_fetch_add(&gw->next_id, 1) + 1;
    ex->ctx.loop = L->index;
    ex->body.len = evbuffer_get_length(in);
    if (ex->body.len > 0)
        evbuffer_remove(in, ex->body.data, ex->body.len);
    evhttp_connection_set_closecb(ex->cevcon, client_closed, ex);

    if (gw->hooks->on_request != NULL) {
        vt_gw_verdict v;
        memset(&v, 0, sizeof(v));
        if (gw->hooks->on_request(gw->hooks->arg, &ex->ctx, &ex->body, &v, &err) != VT_OK) {
            gw_log("error", "on_request", err.msg);
            vt_buf_free(&v.body);
            vt_gw_headers_free(v.headers);
            free(v.headers);
            ex_fail(ex, 500, "server_error", "gateway_error", "gateway: the request could not be checked");
            return;
        }
        if (v.block && v.body.len > 0) {
            struct evbuffer *eb = evbuffer_new();
            struct evkeyvalq *oh = evhttp_request_get_output_headers(req);
            for (size_t i = 0; v.headers != NULL && i < v.headers->count; i++)
                evhttp_add_header(oh, v.headers->name[i], v.headers->value[i]);
            evhttp_add_header(oh, "Content-Type", "application/json");
            if (eb != NULL)
                evbuffer_add(eb, v.body.data, v.body.len);
            evhttp_send_reply(ex_take_req(ex), v.status >= 400 && v.status <= 599 ? v.status : 403, NULL, eb);
            if (eb != NULL)
                evbuffer_free(eb);
            vt_buf_free(&v.body);
            vt_gw_headers_free(v.headers);
            free(v.headers);
            ex_finish(ex);
            return;
        }
        vt_buf_free(&v.body);
        vt_gw_headers_free(v.headers);
        free(v.headers);
        if (v.block) {
            ex->answered = true;
            ex_fail(ex, v.status >= 400 && v.status <= 599 ? v.status : 403,
                    v.type[0] ? v.type : "invalid_request_error", v.code[0] ? v.code : "request_blocked",
                    v.message[0] ? v.message : "gateway: the request was blocked");
            return;
        }
    }
    if (tgt != NULL) {
        /* Before a byte goes downstream: its passport and evidence, as `veritee chat` checks them. */
        vt_gw_deploy *d = gw->cfg->deploy;
        vt_gw_check_opts co = { d->verifier, d->state_dir, 15000 };
        char *entry = NULL;
        if (vt_gw_deploy_check(d, node, &co, &entry, &err) != VT_OK) {
            gw_log("warn", "downstream_refused", err.msg);
            ex_fail(ex, 502, "server_error", "downstream_untrusted", err.msg);
            return;
        }
        ex->deployments = malloc(strlen(entry) + 3);
        if (ex->deployments != NULL)
            snprintf(ex->deployments, strlen(entry) + 3, "[%s]", entry);
        free(entry);
        if (ex->deployments == NULL) {
            ex_fail(ex, 500, "server_error", "gateway_error", "gateway: out of memory");
            return;
        }
        ex->ctx.deployments = ex->deployments;
    }
    watch_start(ex);
    ex_start_upstream(ex);
}

/* ---- loops, listeners, lifecycle ---- */

static evutil_socket_t listen_socket(const struct sockaddr *sa, socklen_t len, vt_err *err)
{
    int one = 1;
    evutil_socket_t fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

    if (fd < 0) {
        vt_err_set(err, VT_E_IO, "gateway: socket: %s", strerror(errno));
        return -1;
    }
    (void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    (void)setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
    (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (bind(fd, sa, len) != 0 || listen(fd, 1024) != 0) {
        vt_err_set(err, VT_E_IO, "gateway: cannot listen: %s", strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
    (void)what;
    gw_log("info", "stop", sig == SIGINT ? "SIGINT" : "SIGTERM");
    vt_gw_stop(arg);
}

static void ms_tv(struct timeval *tv, unsigned ms)
{
    tv->tv_sec = ms / 1000;
    tv->tv_usec = (ms % 1000) * 1000;
}

/* One listener of loop L: a socket on ai (every loop binds the port the first one got), evhttp's
 * limits, and the connection guard's loop gidx; over TLS when tls is set. */
static vt_status loop_listen(vt_gw *gw, struct gw_loop *L, struct addrinfo *ai, uint16_t *port, struct evhttp *http,
                             evutil_socket_t *fd, struct evhttp_bound_socket **bound, unsigned gidx,
                             const vt_tls_server *tls, const struct timeval *client_tv, vt_err *err)
{
    const vt_gw_config *cfg = gw->cfg;
    vt_status rc;

    if (*port != 0) { /* port 0: every loop binds the port the first one got */
        if (ai->ai_family == AF_INET6)
            ((struct sockaddr_in6 *)ai->ai_addr)->sin6_port = htons(*port);
        else
            ((struct sockaddr_in *)ai->ai_addr)->sin_port = htons(*port);
    }
    *fd = listen_socket(ai->ai_addr, ai->ai_addrlen, err);
    if (*fd < 0)
        return VT_E_IO;
    if (*port == 0) {
        struct sockaddr_storage ss;
        socklen_t sl = sizeof(ss);
        if (getsockname(*fd, (struct sockaddr *)&ss, &sl) == 0)
            *port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                                   : ((struct sockaddr_in *)&ss)->sin_port);
    }
    *bound = evhttp_accept_socket_with_handle(http, *fd);
    if (*bound == NULL) {
        close(*fd);
        *fd = -1;
        return vt_err_set(err, VT_E_IO, "gateway: cannot accept on the listening socket");
    }
    /* Bodies between the limit and twice it get our JSON 413; beyond, evhttp answers 413 itself
     * without reading the rest (libevent 2.1 has no hook for its own error page). */
    evhttp_set_max_body_size(http, (ev_ssize_t)(cfg->limits.max_request_bytes * 2 + 65536));
    evhttp_set_max_headers_size(http, (ev_ssize_t)cfg->limits.max_header_bytes);
    evhttp_set_timeout_tv(http, client_tv);
    evhttp_set_default_content_type(http, "application/json");
    evhttp_set_allowed_methods(http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE |
                                         EVHTTP_REQ_HEAD | EVHTTP_REQ_OPTIONS | EVHTTP_REQ_PATCH);
    rc = vt_connguard_attach(gw->guard, gidx, L->base, http, *bound, handle, L, err);
    if (rc == VT_OK && tls != NULL)
        vt_connguard_set_bev(gw->guard, gidx, vt_tls_server_bev, (void *)tls);
    return rc;
}

vt_status vt_gw_new(vt_gw **out, const vt_gw_config *cfg, const vt_gw_hooks *hooks, vt_err *err)
{
    vt_gw *gw = NULL;
    struct addrinfo hints, *ai = NULL, *lai = NULL, *plai = NULL;
    char port[8];
    struct timeval client_tv;
    vt_status rc = VT_E_INTERNAL;
    long cores;
    int e;

    *out = NULL;
    rc = vt_gw_config_check(cfg, err);
    if (rc != VT_OK)
        return rc;
    if (evthread_use_pthreads() != 0)
        return vt_err_set(err, VT_E_INTERNAL, "gateway: libevent threading is unavailable");
    gw = calloc(1, sizeof(*gw));
    if (gw == NULL)
        return vt_err_set(err, VT_E_NOMEM, "gateway: out of memory");
    gw->cfg = cfg;
    gw->hooks = hooks != NULL ? hooks : &vt_gw_hooks_passthrough;
    rc = vt_ratelimit_new(&gw->attest_rl, cfg->limits.attestation_per_sec, cfg->limits.attestation_per_sec, 1, err);
    if (rc != VT_OK) {
        free(gw);
        return rc;
    }
    rc = VT_E_INTERNAL;
    cores = sysconf(_SC_NPROCESSORS_ONLN);
    gw->nloops = cfg->threads > 0 ? cfg->threads : (cores > 0 ? (unsigned)cores : 1);
    ms_tv(&gw->up_connect_tv, cfg->limits.upstream_connect_timeout_ms);
    ms_tv(&gw->up_idle_tv, cfg->limits.upstream_idle_timeout_ms);
    gw->pool_tv.tv_sec = POOL_IDLE_SECS;
    /* libevent 2.1's server has one idle timeout per connection: the smaller bound wins. */
    ms_tv(&client_tv, cfg->limits.client_header_timeout_ms < cfg->limits.client_body_timeout_ms
                          ? cfg->limits.client_header_timeout_ms
                          : cfg->limits.client_body_timeout_ms);

    memset(&hints, 0, sizeof(hints));
    hints.ai_socktype = SOCK_STREAM;
    snprintf(port, sizeof(port), "%u", (unsigned)cfg->upstream_port);
    /* An app deployment may have no upstream: its model routes go to its workflow's deployments. */
    e = cfg->upstream_host != NULL ? getaddrinfo(cfg->upstream_host, port, &hints, &ai) : 0;
    if (cfg->upstream_host == NULL) {
        snprintf(gw->host_header, sizeof(gw->host_header), "none");
    } else if (e != 0 || ai == NULL || ai->ai_addrlen > sizeof(gw->up_addr)) {
        rc = vt_err_set(err, VT_E_ARG, "gateway: cannot resolve upstream host %s: %s", cfg->upstream_host,
                        gai_strerror(e));
        goto out;
    }
    if (cfg->upstream_host != NULL) {
        memcpy(&gw->up_addr, ai->ai_addr, ai->ai_addrlen);
        gw->up_addrlen = ai->ai_addrlen;
        if (strchr(cfg->upstream_host, ':') != NULL)
            snprintf(gw->host_header, sizeof(gw->host_header), "[%s]:%u", cfg->upstream_host,
                     (unsigned)cfg->upstream_port);
        else
            snprintf(gw->host_header, sizeof(gw->host_header), "%s:%u", cfg->upstream_host,
                     (unsigned)cfg->upstream_port);
    }

    hints.ai_flags = AI_PASSIVE;
    snprintf(port, sizeof(port), "%u", (unsigned)cfg->listen_port);
    e = getaddrinfo(cfg->listen_host, port, &hints, &lai);
    if (e != 0 || lai == NULL) {
        rc = vt_err_set(err, VT_E_ARG, "gateway: cannot resolve listen address %s: %s", cfg->listen_host,
                        gai_strerror(e));
        goto out;
    }
    if (cfg->tls != NULL && cfg->listen_plain_host != NULL) {
        snprintf(port, sizeof(port), "%u", (unsigned)cfg->listen_plain_port);
        e = getaddrinfo(cfg->listen_plain_host, port, &hints, &plai);
        if (e != 0 || plai == NULL) {
            rc = vt_err_set(err, VT_E_ARG, "gateway: cannot resolve plain listen address %s: %s",
                            cfg->listen_plain_host, gai_strerror(e));
            goto out;
        }
    }
    gw->loops = calloc(gw->nloops, sizeof(*gw->loops));
    if (gw->loops == NULL) {
        rc = vt_err_set(err, VT_E_NOMEM, "gateway: out of memory");
        goto out;
    }
    {
        /* Whole-request deadline from accept, not reset by trickled bytes: headers and body budgets together. */
        vt_connguard_opts go = { .loops = gw->nloops,
                                 .max_connections = cfg->limits.max_client_connections,
                                 .max_per_client = cfg->limits.max_connections_per_client,
                                 .request_timeout_ms = cfg->limits.client_header_timeout_ms +
                                                       cfg->limits.client_body_timeout_ms,
                                 .fds_per_conn = 2, /* a request holds an upstream connection */
                                 .name = "gateway",
                                 .metrics = NULL };
        if (plai != NULL)
            go.loops *= 2; /* the plain listener's evhttp of loop i is guard loop nloops + i */
        rc = vt_connguard_new(&gw->guard, &go, err);
        if (rc != VT_OK)
            goto out;
    }
    for (unsigned i = 0; i < gw->nloops; i++)
        gw->loops[i].fd = gw->loops[i].fd_plain = -1;
    for (unsigned i = 0; i < gw->nloops; i++) {
        struct gw_loop *L = &gw->loops[i];
        L->gw = gw;
        L->index = i;
        {
            /* The changelist folds the enable/disable pairs evhttp and bufferevents make within one
             * loop pass into one epoll_ctl (6 calls per proxied request without it). */
            struct event_config *ec = event_config_new();
            if (ec != NULL)
                event_config_set_flag(ec, EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST);
            L->base = ec != NULL ? event_base_new_with_config(ec) : NULL;
            if (ec != NULL)
                event_config_free(ec);
        }
        L->http = L->base != NULL ? evhttp_new(L->base) : NULL;
        if (L->http == NULL) {
            rc = vt_err_set(err, VT_E_NOMEM, "gateway: cannot create event loop %u", i);
            goto out;
        }
        rc = loop_listen(gw, L, lai, &gw->port, L->http, &L->fd, &L->bound, i, cfg->tls, &client_tv, err);
        if (rc == VT_OK && plai != NULL) {
            L->http_plain = evhttp_new(L->base);
            rc = L->http_plain != NULL ? loop_listen(gw, L, plai, &gw->plain_port, L->http_plain, &L->fd_plain,
                                                     &L->bound_plain, gw->nloops + i, NULL, &client_tv, err)
                                       : vt_err_set(err, VT_E_NOMEM, "gateway: cannot create event loop %u", i);
        }
        if (rc != VT_OK)
            goto out;
    }
    vt_gw_self_init(&gw->self, cfg, gw->port, gw->plain_port);
    gw->loops[0].sig[0] = evsignal_new(gw->loops[0].base, SIGINT, on_signal, gw);
    gw->loops[0].sig[1] = evsignal_new(gw->loops[0].base, SIGTERM, on_signal, gw);
    if (gw->loops[0].sig[0] == NULL || gw->loops[0].sig[1] == NULL || event_add(gw->loops[0].sig[0], NULL) != 0 ||
        event_add(gw->loops[0].sig[1], NULL) != 0) {
        rc = vt_err_set(err, VT_E_INTERNAL, "gateway: cannot watch signals");
        goto out;
    }
    *out = gw;
    gw = NULL;
    rc = VT_OK;
out:
    if (ai != NULL)
        freeaddrinfo(ai);
    if (lai != NULL)
        freeaddrinfo(lai);
    if (plai != NULL)
        freeaddrinfo(plai);
    vt_gw_free(gw);
    return rc;
}

uint16_t vt_gw_port(const vt_gw *gw)
{
    return gw->port;
}

uint16_t vt_gw_plain_port(const vt_gw *gw)
{
    return gw->plain_port;
}

const vt_gw_self *vt_gw_self_of(const vt_gw *gw)
{
    return &gw->self;
}

unsigned vt_gw_loop_count(const vt_gw *gw)
{
    return gw->nloops;
}

static void *loop_main(void *arg)
{
    struct gw_loop *L = arg;

    event_base_dispatch(L->base);
    return NULL;
}

vt_status vt_gw_run(vt_gw *gw, vt_err *err)
{
    vt_status rc = VT_OK;

    for (unsigned i = 1; i < gw->nloops; i++) {
        if (pthread_create(&gw->loops[i].thread, NULL, loop_main, &gw->loops[i]) != 0) {
            rc = vt_err_set(err, VT_E_INTERNAL, "gateway: cannot start thread %u", i);
            vt_gw_stop(gw);
            break;
        }
        gw->loops[i].thread_started = true;
    }
    if (rc == VT_OK)
        event_base_dispatch(gw->loops[0].base);
    for (unsigned i = 1; i < gw->nloops; i++) {
        if (gw->loops[i].thread_started)
            pthread_join(gw->loops[i].thread, NULL);
        gw->loops[i].thread_started = false;
    }
    return rc;
}

void vt_gw_stop(vt_gw *gw)
{
    for (unsigned i = 0; i < gw->nloops; i++)
        if (gw->loops[i].base != NULL)
            event_base_loopbreak(gw->loops[i].base);
}

void vt_gw_free(vt_gw *gw)
{
    if (gw == NULL)
        return;
    vt_gw_mcp_free();
    for (unsigned i = 0; gw->loops != NULL && i < gw->nloops; i++) {
        struct gw_loop *L = &gw->loops[i];
        if (L->http != NULL)
            evhttp_free(L->http); /* closes client connections: open exchanges end via client_closed */
        else if (L->fd >= 0)
            close(L->fd);
        if (L->http_plain != NULL)
            evhttp_free(L->http_plain);
        if (L->bound_plain == NULL && L->fd_plain >= 0)
            close(L->fd_plain);
        while (L->idle != NULL) {
            struct upconn *c = L->idle;
            L->idle = c->next;
            up_free(c);
        }
        for (int s = 0; s < 2; s++)
            if (L->sig[s] != NULL)
                event_free(L->sig[s]);
    }
    vt_connguard_free(gw->guard); /* after evhttp_free, before the loops */
    for (unsigned i = 0; gw->loops != NULL && i < gw->nloops; i++)
        if (gw->loops[i].base != NULL)
            event_base_free(gw->loops[i].base);
    free(gw->loops);
    vt_ratelimit_free(gw->attest_rl);
    free(gw);
}
