/* The HTTP server: N event loops (workers) accept from one listening socket,
 * so a slow request (a P-384 chain) holds up only its own loop.  Every reply,
 * including limits, is JSON; every request is counted, timed and logged. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/thread.h>
#include <event2/util.h>
#include <jansson.h>

#include "http/evlog.h"
#include "http/evwipe.h"
#include "veritee/crypto.h"
#include "veritee/http.h"

#define MAX_WORKERS 32

struct worker {
    struct vt_http_server *s;
    unsigned index;
    pthread_t thread;
    bool started;
    struct event_base *base;
    struct evhttp *http;
    struct evhttp_bound_socket *bound;
    struct event *stop_ev, *drain_ev;
    void *tctx;
    struct vt_http_later *waiting; /* replies that wait (vt_http_reply_later), under later_mu */
    int64_t stop_by_ns;            /* stopping: the latest the loop waits for them */
};

/* What on_request keeps of a request while its handler runs (req->server_req). */
struct req_state {
    struct worker *w;
    struct evhttp_request *ev;
    vt_buf *body;
    double t0;
    struct vt_http_later *later;
    const char *origin;             /* the allowed Origin (borrowed from ev), NULL = none: CORS */
};

/* A reply that waits: the request's evhttp object, its body and the copies the
 * access log needs, until finish has run on the request's loop. */
struct vt_http_later {
    struct worker *w;               /* NULL once the server is gone (orphan) */
    struct evhttp_request *ev;
    struct event *wake_ev;          /* run on w's loop by vt_http_later_wake */
    vt_http_finish_fn finish;
    void *arg;
    vt_http_req r;                  /* body, client and request_id point below */
    vt_buf body;
    char client[64], rid[17];
    const char *origin;             /* as req_state's: ev's input headers live as long as ev */
    double t0;
    bool woken;
    struct vt_http_later *prev, *next;
};

/* One lock for every server's waiting replies: a wake may come after its
 * server is freed, so the lock cannot live in the server. */
static pthread_mutex_t later_mu = PTHREAD_MUTEX_INITIALIZER;

struct vt_http_server {
    vt_http_server_opts o;
    const vt_http_router *router;
    int fd;
    int port;
    unsigned n;
    struct worker w[MAX_WORKERS];
    vt_connguard *guard; /* connection caps and the request deadline (connguard.c) */
    /* Browsers (cors.c): the router's methods, the request headers on_request reads (and a JSON
     * body's Content-Type), the response header send_reply adds that a client needs. */
    char cors_methods[64];
    vt_cors cors;
};

static pthread_once_t evthread_once = PTHREAD_ONCE_INIT;
static int evthread_rc;
static void evthread_setup(void)
{
    vt__http_evwipe_frees(); /* before evthread allocates: a bearer token is in no freed block */
    evthread_rc = evthread_use_pthreads();
}

static double mono_s(void)
{
    return (double)vt_time_mono_ns() / 1e9;
}

static const char *reason(int status)
{
    switch (status) {
    case 200: return "OK";
    case 201: return "Created";
    case 204: return "No Content";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 409: return "Conflict";
    case 410: return "Gone";
    case 421: return "Misdirected Request";
    case 413: return "Payload Too Large";
    case 422: return "Unprocessable Entity";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    default: return status < 400 ? "OK" : "Error";
    }
}

static const char *method_name(enum evhttp_cmd_type t)
{
    switch (t) {
    case EVHTTP_REQ_GET: return "GET";
    case EVHTTP_REQ_POST: return "POST";
    case EVHTTP_REQ_HEAD: return "HEAD";
    case EVHTTP_REQ_PUT: return "PUT";
    case EVHTTP_REQ_DELETE: return "DELETE";
    case EVHTTP_REQ_OPTIONS: return "OPTIONS";
    case EVHTTP_REQ_TRACE: return "TRACE";
    case EVHTTP_REQ_CONNECT: return "CONNECT";
    case EVHTTP_REQ_PATCH: return "PATCH";
    default: return "OTHER";
    }
}

static void access_log(const vt_http_server *s, const vt_http_req *r, const vt_http_resp *resp, double secs,
                       size_t bytes)
{
    json_t *j;
    char *line, ts[32];

    if (!s->o.access_log)
        return;
    vt_time_format(ts, vt_time_now());
    j = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:i, s:s, s:I, s:f, s:s}", "ts", ts, "level", "info",
                  "service", s->o.name != NULL ? s->o.name : "http", "msg", "request", "request_id", r->request_id,
                  "method", r->method, "path", r->path, "route", r->route != NULL ? r->route : "unmatched", "status",
                  resp->status, "code", resp->code, "bytes", (json_int_t)bytes, "ms", secs * 1000.0, "client",
                  r->client);
    line = j != NULL ? json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    if (line != NULL)
        fprintf(stderr, "%s\n", line);
    free(line);
    json_decref(j);
}

static void record(const vt_http_server *s, const vt_http_req *r, const vt_http_resp *resp, double secs)
{
    char route[96], labels[160];

    if (s->o.metrics == NULL)
        return;
    vt_metrics_label_escape(route, sizeof(route), r->route != NULL ? r->route : "unmatched");
    snprintf(labels, sizeof(labels), "route=\"%s\",method=\"%s\",code=\"%d\"", route, r->method, resp->status);
    vt_metrics_inc(s->o.metrics, "http_requests_total", labels, 1);
    snprintf(labels, sizeof(labels), "route=\"%s\"", route);
    vt_metrics_observe(s->o.metrics, "http_request_duration_seconds", labels, secs);
}

/* Headers, body, metrics and the access log line of one reply; frees resp's body.  origin: the
 * request's allowed Origin (CORS), NULL = none. */
static void send_reply(const struct vt_http_server *s, struct evhttp_request *ev, const vt_http_req *r,
                       vt_http_resp *resp, double t0, const char *origin)
{
    struct evkeyvalq *oh = evhttp_request_get_output_headers(ev);
    struct evbuffer *out;

    evhttp_add_header(oh, "Content-Type", resp->content_type != NULL ? resp->content_type : "application/json");
    evhttp_add_header(oh, "X-Request-Id", r->request_id);
    evhttp_add_header(oh, "Cache-Control", resp->cache_control != NULL ? resp->cache_control : "no-store");
    vt_http_sechdr_add(oh);
    evhttp_add_header(oh, "Content-Security-Policy",
                      resp->csp != NULL ? resp->csp : "default-src 'none'; frame-ancestors 'none'");
    if (origin != NULL)
        vt_cors_add(&s->cors, oh, origin);
    else if (resp->cache_control != NULL) /* a cache may keep it (a tile, a page): not for a page of another origin */
        evhttp_add_header(oh, "Vary", "Origin");
    out = evbuffer_new();
    if (out != NULL && resp->body.len > 0)
        evbuffer_add(out, resp->body.data, resp->body.len);
    evhttp_send_reply(ev, resp->status, reason(resp->status), out);
    if (out != NULL)
        evbuffer_free(out);
    record(s, r, resp, mono_s() - t0);
    access_log(s, r, resp, mono_s() - t0, resp->body.len);
    vt_buf_free(&resp->body);
}

static void on_request(struct evhttp_request *ev, void *arg)
{
    struct worker *w = arg;
    const struct vt_http_server *s = w->s;
    struct evhttp_connection *evcon = evhttp_request_get_connection(ev);
    const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(ev);
    struct evbuffer *in = evhttp_request_get_input_buffer(ev);
    double t0 = mono_s();
    vt_http_req r;
    vt_http_resp resp;
    vt_buf body;
    struct req_state rs;
    char *peer = NULL, client[64] = "unknown", rid[17];
    uint8_t rnd[8] = { 0 };
    vt_err oe = { 0 };
    const char *origin = NULL;
    ev_uint16_t peer_port = 0;
    size_t in_len = evbuffer_get_length(in);
    const char *path = uri != NULL ? evhttp_uri_get_path(uri) : NULL;

    memset(&r, 0, sizeof(r));
    memset(&resp, 0, sizeof(resp));
    vt_buf_init(&body);
    if (vt_random_id(rnd, sizeof(rnd), NULL) != VT_OK)
        memset(rnd, 0, sizeof(rnd));
    vt_hex_encode(rid, rnd, sizeof(rnd));
    if (evcon != NULL) {
        evhttp_connection_get_peer(evcon, &peer, &peer_port);
        if (peer != NULL)
            snprintf(client, sizeof(client), "%s", peer);
    }
    r.method = method_name(evhttp_request_get_command(ev));
    r.path = path != NULL && *path != '\0' ? path : "/";
    r.query = uri != NULL ? evhttp_uri_get_query(uri) : NULL;
    r.client = client;
    r.request_id = rid;
    r.thread_ctx = w->tctx;
    r.authorization = evhttp_find_header(evhttp_request_get_input_headers(ev), "Authorization");
    r.mcp_protocol_version = evhttp_find_header(evhttp_request_get_input_headers(ev), "MCP-Protocol-Version");
    rs = (struct req_state){ .w = w, .ev = ev, .body = &body, .t0 = t0 };
    r.server_req = &rs;

    /* The body reaches the handler in a vt_buf wiped when freed, and libevent's copy is wiped
     * where it lies (a key registration's secret), not freed as it is: evbuffer_pullup copied it
     * into a new block and freed the old ones unwiped.
     *
     * Rate limits are the service's (the verifier's admission, admit.c: per
     * address for anonymous callers, per passport for gateways).  A page of
     * another site is refused before anything else (http/origin.c). */
    if (vt_host_check_request(s->o.hosts, ev, &oe) != VT_OK) { /* DNS rebinding (http/host.c) */
        vt_http_reply_error(&resp, 421, "host_not_allowed", "%s (this service answers only the names its operator "
                            "listed%s%s)", oe.msg, s->o.host_hint != NULL ? "; " : "",
                            s->o.host_hint != NULL ? s->o.host_hint : "");
    } else if (vt_origin_check_request(&origin, s->o.origins, ev, &oe) != VT_OK) {
        evhttp_add_header(evhttp_request_get_output_headers(ev), "Vary", "Origin");
        vt_http_reply_error(&resp, 403, "origin_not_allowed",
                            "%s (a page of another site may not call this service%s%s)", oe.msg,
                            s->o.origin_hint != NULL ? "; " : "", s->o.origin_hint != NULL ? s->o.origin_hint : "");
    } else if (origin != NULL && vt_cors_is_preflight(ev)) { /* an allowed page asks before it sends */
        if (vt_cors_preflight(&s->cors, ev, origin, &oe) != VT_OK)
            vt_http_reply_error(&resp, 403, "preflight_not_allowed", "%s (a page may send what this service reads)",
                                oe.msg);
        else
            resp.status = 204;
        origin = NULL; /* the preflight's own headers, not an answer's */
    } else if (in_len > s->o.max_body) {
        evhttp_add_header(evhttp_request_get_output_headers(ev), "Connection", "close");
        vt_http_reply_error(&resp, 413, "body_too_large", "request body of %zu bytes exceeds the %zu-byte limit",
                            in_len, s->o.max_body);
    } else if (vt__http_evwipe_take(&body, in, NULL) != VT_OK || vt_buf_terminate(&body, NULL) != VT_OK) {
        vt_http_reply_error(&resp, 503, "out_of_memory", "cannot hold the request body");
    } else {
        r.body = body.data != NULL ? body.data : (const uint8_t *)"";
        r.body_len = body.len;
        rs.origin = origin;
        vt_http_dispatch(&resp, s->router, &r);
    }
    /* The handler is done with it (a later reply keeps no Authorization): an admin's bearer
     * token or a gateway's signed authorization lives no longer than the call. */
    r.authorization = NULL;
    vt__http_evwipe_header(evhttp_request_get_input_headers(ev), "Authorization");
    if (rs.later != NULL) { /* its finish replies; the body went with it */
        vt_buf_free(&resp.body);
        return;
    }
    send_reply(s, ev, &r, &resp, t0, origin);
    vt_buf_free(&body);
}

static void on_wake(evutil_socket_t fd, short what, void *arg);

vt_http_later *vt_http_reply_later(vt_http_resp *resp, const vt_http_req *req, vt_http_finish_fn finish, void *arg)
{
    struct req_state *rs = req->server_req;
    struct vt_http_later *l;

    if (rs == NULL || rs->later != NULL || finish == NULL)
        return NULL;
    l = calloc(1, sizeof(*l));
    if (l == NULL)
        return NULL;
    l->wake_ev = event_new(rs->w->base, -1, 0, on_wake, l);
    if (l->wake_ev == NULL) {
        free(l);
        return NULL;
    }
    l->w = rs->w;
    l->ev = rs->ev;
    l->finish = finish;
    l->arg = arg;
    l->t0 = rs->t0;
    l->origin = rs->origin;
    l->body = *rs->body; /* the body moves: req->body stays valid until finish returns */
    vt_buf_init(rs->body);
    snprintf(l->client, sizeof(l->client), "%s", req->client);
    snprintf(l->rid, sizeof(l->rid), "%s", req->request_id);
    l->r = *req;
    l->r.client = l->client;
    l->r.request_id = l->rid;
    l->r.server_req = NULL;
    l->r.thread_ctx = NULL;
    l->r.authorization = NULL;
    l->r.mcp_protocol_version = NULL;
    memset(l->r.params, 0, sizeof(l->r.params));
    rs->later = l;
    resp->later = true;
    pthread_mutex_lock(&later_mu);
    l->next = l->w->waiting;
    if (l->next != NULL)
        l->next->prev = l;
    l->w->waiting = l;
    pthread_mutex_unlock(&later_mu);
    return l;
}

static void later_unlink_locked(struct vt_http_later *l)
{
    if (l->prev != NULL)
        l->prev->next = l->next;
    else if (l->w != NULL && l->w->waiting == l)
        l->w->waiting = l->next;
    if (l->next != NULL)
        l->next->prev = l->prev;
    l->prev = l->next = NULL;
}

static void later_release(struct vt_http_later *l)
{
    if (l->wake_ev != NULL)
        event_free(l->wake_ev);
    vt_buf_free(&l->body);
    free(l);
}

/* On the request's own loop: the handler's second half, then the reply. */
static void on_wake(evutil_socket_t fd, short what, void *arg)
{
    struct vt_http_later *l = arg;
    vt_http_resp resp;

    (void)fd;
    (void)what;
    pthread_mutex_lock(&later_mu);
    later_unlink_locked(l);
    pthread_mutex_unlock(&later_mu);
    memset(&resp, 0, sizeof(resp));
    l->finish(&resp, l->arg);
    if (resp.status == 0)
        vt_http_reply_error(&resp, 500, "internal", "the handler produced no reply");
    send_reply(l->w->s, l->ev, &l->r, &resp, l->t0, l->origin);
    later_release(l);
}

void vt_http_later_wake(vt_http_later *l)
{
    pthread_mutex_lock(&later_mu);
    if (l->w == NULL) { /* the server is gone: nobody to answer */
        pthread_mutex_unlock(&later_mu);
        l->finish(NULL, l->arg);
        later_release(l);
        return;
    }
    l->woken = true;
    event_active(l->wake_ev, EV_READ, 0);
    pthread_mutex_unlock(&later_mu);
}

/* After the loops stopped: replies still waiting are released (their evhttp
 * requests go with evhttp_free).  A woken one is finished here with nobody to
 * answer; one not yet woken is left to its wake, which finds it orphaned. */
static void later_orphan_all(struct worker *w)
{
    struct vt_http_later *done = NULL, *l;

    pthread_mutex_lock(&later_mu);
    while ((l = w->waiting) != NULL) {
        later_unlink_locked(l);
        event_free(l->wake_ev);
        l->wake_ev = NULL;
        l->w = NULL;
        if (l->woken) {
            l->next = done;
            done = l;
        }
    }
    pthread_mutex_unlock(&later_mu);
    while ((l = done) != NULL) {
        done = l->next;
        l->finish(NULL, l->arg);
        later_release(l);
    }
}

/* Stopping: once no reply of this loop waits (for the log's commit: its entry is
 * committed, so its client must get the answer), or after the request timeout,
 * the loop ends, letting replies in flight drain for 100 ms more. */
static void on_drain(evutil_socket_t fd, short what, void *arg)
{
    struct worker *w = arg;
    struct timeval drain = { 0, 100000 }, again = { 0, 10000 };
    bool waiting;

    (void)fd;
    (void)what;
    pthread_mutex_lock(&later_mu);
    waiting = w->waiting != NULL;
    pthread_mutex_unlock(&later_mu);
    if (!waiting || vt_time_mono_ns() >= w->stop_by_ns) {
        event_base_loopexit(w->base, &drain);
        return;
    }
    evtimer_add(w->drain_ev, &again);
}

static void on_stop(evutil_socket_t fd, short what, void *arg)
{
    struct worker *w = arg;

    if (w->bound != NULL) {
        vt_connguard_unlisten(w->s->guard, w->index);
        evhttp_del_accept_socket(w->http, w->bound);
        w->bound = NULL;
    }
    w->stop_by_ns = vt_time_mono_ns() + (int64_t)w->s->o.timeout_s * 1000000000;
    on_drain(fd, what, arg);
}

static vt_status parse_listen(char *host, size_t host_len, char *port, size_t port_len, const char *spec,
                              vt_err *err)
{
    const char *colon;
    size_t hl;

    if (spec == NULL || *spec == '\0')
        return vt_err_set(err, VT_E_ARG, "http: --spec needs HOST:PORT");
    if (spec[0] == '[') {
        const char *close = strchr(spec, ']');
        if (close == NULL || close[1] != ':')
            return vt_err_set(err, VT_E_ARG, "http: spec address %s: expected [IPv6]:PORT", spec);
        hl = (size_t)(close - spec - 1);
        colon = close + 1;
        spec++;
    } else {
        colon = strrchr(spec, ':');
        if (colon == NULL)
            return vt_err_set(err, VT_E_ARG, "http: spec address %s: expected HOST:PORT", spec);
        hl = (size_t)(colon - spec);
    }
    if (hl == 0 || hl >= host_len || strlen(colon + 1) == 0 || strlen(colon + 1) >= port_len ||
        strspn(colon + 1, "0123456789") != strlen(colon + 1))
        return vt_err_set(err, VT_E_ARG, "http: spec address: bad host or port");
    memcpy(host, spec, hl);
    host[hl] = '\0';
    snprintf(port, port_len, "%s", colon + 1);
    return VT_OK;
}

static vt_status bind_listen(int *fd_out, int *port_out, const char *addr, vt_err *err)
{
    char host[256], port[8];
    struct addrinfo hints, *res = NULL;
    struct sockaddr_storage ss;
    socklen_t sl = sizeof(ss);
    int fd = -1, one = 1, gai;
    vt_status rc;

    rc = parse_listen(host, sizeof(host), port, sizeof(port), addr, err);
    if (rc != VT_OK)
        return rc;
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    gai = getaddrinfo(host, port, &hints, &res);
    if (gai != 0)
        return vt_err_set(err, VT_E_ARG, "http: cannot resolve %s: %s", host, gai_strerror(gai));
    fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
        rc = vt_err_set(err, VT_E_IO, "http: socket: %s", strerror(errno));
        goto out;
    }
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(fd, res->ai_addr, res->ai_addrlen) != 0 || listen(fd, 511) != 0) {
        rc = vt_err_set(err, VT_E_IO, "http: cannot listen on %s: %s", addr, strerror(errno));
        goto out;
    }
    if (getsockname(fd, (struct sockaddr *)&ss, &sl) != 0) {
        rc = vt_err_set(err, VT_E_IO, "http: getsockname: %s", strerror(errno));
        goto out;
    }
    *port_out = ss.ss_family == AF_INET6 ? ntohs(((struct sockaddr_in6 *)&ss)->sin6_port)
                                         : ntohs(((struct sockaddr_in *)&ss)->sin_port);
    *fd_out = fd;
    fd = -1;
    rc = VT_OK;
out:
    if (fd >= 0)
        close(fd);
    freeaddrinfo(res);
    return rc;
}

static vt_status worker_setup(struct worker *w, vt_err *err)
{
    struct vt_http_server *s = w->s;
    int fd;

    w->base = event_base_new();
    w->http = w->base != NULL ? evhttp_new(w->base) : NULL;
    if (w->http == NULL)
        return vt_err_set(err, VT_E_NOMEM, "http: cannot create an event loop");
    /* libevent cuts off bodies beyond its own limit with a plain-text 413; ours
     * is below it, so a body between the two gets the JSON error. */
    evhttp_set_max_body_size(w->http, (ev_ssize_t)(s->o.max_body * 4 + 4096));
    evhttp_set_max_headers_size(w->http, (ev_ssize_t)s->o.max_headers);
    /* evhttp's idle timeout (also while replying) one second past the request
     * deadline, so that the guard's 408 goes out first for a silent client */
    evhttp_set_timeout(w->http, s->o.timeout_s + 1);
    evhttp_set_allowed_methods(w->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE |
                                            EVHTTP_REQ_HEAD | EVHTTP_REQ_OPTIONS | EVHTTP_REQ_PATCH);
    w->stop_ev = event_new(w->base, -1, 0, on_stop, w);
    w->drain_ev = evtimer_new(w->base, on_drain, w);
    if (w->stop_ev == NULL || w->drain_ev == NULL)
        return vt_err_set(err, VT_E_NOMEM, "http: cannot create the stop event");
    fd = dup(s->fd);
    if (fd < 0)
        return vt_err_set(err, VT_E_IO, "http: dup: %s", strerror(errno));
    w->bound = evhttp_accept_socket_with_handle(w->http, fd);
    if (w->bound == NULL) {
        close(fd);
        return vt_err_set(err, VT_E_IO, "http: cannot accept on the listening socket");
    }
    return vt_connguard_attach(s->guard, w->index, w->base, w->http, w->bound, on_request, w, err);
}

/* The server's CORS policy: Access-Control-Allow-Methods is the router's methods, in the order
 * first routed ("GET, POST, PUT" for the verifier); the request headers are the ones on_request
 * reads and a JSON body's Content-Type; X-Request-Id is the one header of send_reply's that a
 * page cannot read without being told. */
static void cors_of(struct vt_http_server *s)
{
    size_t used = 0;

    for (size_t i = 0; i < s->router->count; i++) {
        const char *m = s->router->routes[i].method;
        size_t n = strlen(m);
        bool seen = false;
        for (size_t j = 0; j < i && !seen; j++)
            seen = strcmp(s->router->routes[j].method, m) == 0;
        if (seen || used + n + 3 > sizeof(s->cors_methods)) /* ", " + NUL */
            continue;
        used += (size_t)snprintf(s->cors_methods + used, sizeof(s->cors_methods) - used, "%s%s",
                                 used > 0 ? ", " : "", m);
    }
    s->cors.methods = s->cors_methods;
    s->cors.headers = "authorization, content-type, mcp-protocol-version";
    s->cors.expose = "X-Request-Id";
}

vt_status vt_http_server_new(vt_http_server **out, const vt_http_server_opts *opts, const vt_http_router *router,
                             vt_err *err)
{
    vt_status rc = VT_E_INTERNAL;
    struct vt_http_server *s;

    *out = NULL;
    pthread_once(&evthread_once, evthread_setup);
    if (evthread_rc != 0)
        return vt_err_set(err, VT_E_INTERNAL, "http: libevent threading is unavailable");
    vt__http_evlog_install(opts->name, NULL);
    s = calloc(1, sizeof(*s));
    if (s == NULL)
        return vt_err_set(err, VT_E_NOMEM, "http: out of memory");
    s->fd = -1;
    s->o = *opts;
    s->router = router;
    cors_of(s);
    if (s->o.threads == 0)
        s->o.threads = 2;
    if (s->o.threads > MAX_WORKERS)
        s->o.threads = MAX_WORKERS;
    if (s->o.max_body == 0)
        s->o.max_body = (size_t)1 << 20;
    if (s->o.max_headers == 0)
        s->o.max_headers = 16384;
    if (s->o.timeout_s <= 0)
        s->o.timeout_s = 10;
    if (s->o.max_connections == 0)
        s->o.max_connections = 512;
    if (s->o.max_per_client == 0)
        s->o.max_per_client = 64;
    if (s->o.metrics != NULL) {
        rc = vt_metrics_declare(s->o.metrics, "http_requests_total", "counter",
                                "HTTP requests by route, method and status code.", err);
        if (rc == VT_OK)
            rc = vt_metrics_declare(s->o.metrics, "http_request_duration_seconds", "histogram",
                                    "Time from a complete request to its reply, by route.", err);
        if (rc != VT_OK)
            goto fail;
    }
    {
        vt_connguard_opts go = { .loops = s->o.threads,
                                 .max_connections = s->o.max_connections,
                                 .max_per_client = s->o.max_per_client,
                                 .request_timeout_ms = (unsigned)s->o.timeout_s * 1000u,
                                 .name = s->o.name,
                                 .metrics = s->o.metrics,
                                 .origins = s->o.origins,
                                 .cors = &s->cors };
        rc = vt_connguard_new(&s->guard, &go, err);
        if (rc != VT_OK)
            goto fail;
    }
    rc = bind_listen(&s->fd, &s->port, s->o.listen, err);
    if (rc != VT_OK)
        goto fail;
    s->n = s->o.threads;
    for (unsigned i = 0; i < s->n; i++) {
        s->w[i].s = s;
        s->w[i].index = i;
        rc = worker_setup(&s->w[i], err);
        if (rc != VT_OK)
            goto fail;
    }
    *out = s;
    return VT_OK;
fail:
    vt_http_server_free(s);
    return rc;
}

int vt_http_server_port(const vt_http_server *s)
{
    return s->port;
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    vt_err e = { 0 };

    if (w->s->o.thread_init != NULL && w->s->o.thread_init(&w->tctx, w->s->o.thread_arg, w->index, &e) != VT_OK) {
        fprintf(stderr, "{\"level\":\"error\",\"msg\":\"worker %u cannot start\"}\n", w->index);
        fprintf(stderr, "veritee: %s\n", e.msg);
        vt_http_server_stop(w->s);
        return NULL;
    }
    event_base_dispatch(w->base);
    if (w->s->o.thread_fini != NULL)
        w->s->o.thread_fini(w->tctx, w->s->o.thread_arg);
    w->tctx = NULL;
    return NULL;
}

vt_status vt_http_server_run(vt_http_server *s, vt_err *err)
{
    vt_status rc = VT_OK;

    for (unsigned i = 0; i < s->n; i++) {
        if (pthread_create(&s->w[i].thread, NULL, worker_main, &s->w[i]) != 0) {
            rc = vt_err_set(err, VT_E_INTERNAL, "http: cannot start worker %u", i);
            vt_http_server_stop(s);
            break;
        }
        s->w[i].started = true;
    }
    for (unsigned i = 0; i < s->n; i++)
        if (s->w[i].started) {
            pthread_join(s->w[i].thread, NULL);
            s->w[i].started = false;
        }
    return rc;
}

void vt_http_server_stop(vt_http_server *s)
{
    for (unsigned i = 0; i < s->n; i++)
        if (s->w[i].stop_ev != NULL)
            event_active(s->w[i].stop_ev, EV_READ, 0);
}

void vt_http_server_free(vt_http_server *s)
{
    if (s == NULL)
        return;
    /* evhttp first (it closes the connections), then the guard's events, then the loops */
    for (unsigned i = 0; i < MAX_WORKERS; i++) {
        struct worker *w = &s->w[i];
        later_orphan_all(w);
        if (w->stop_ev != NULL)
            event_free(w->stop_ev);
        if (w->drain_ev != NULL)
            event_free(w->drain_ev);
        if (w->http != NULL)
            evhttp_free(w->http);
    }
    vt_connguard_free(s->guard);
    for (unsigned i = 0; i < MAX_WORKERS; i++)
        if (s->w[i].base != NULL)
            event_base_free(s->w[i].base);
    if (s->fd >= 0)
        close(s->fd);
    free(s);
}
