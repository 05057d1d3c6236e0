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
 * Lifetime of one exchange: gwp_handle() creates it; it ends in exactly one of
 * gwp_ex_complete (upstream answered), gwp_ex_fail (upstream failed: JSON error, or a
 * final error event once a stream has started), or gwp_client_closed (the client
 * went away: the upstream connection is closed, which cancels the upstream
 * request).  gwp_ex_finish frees it and calls the on_finish hook once.
 *
 * evhttp stops reading a client's connection once it has the request, so it
 * would notice a client that left only when it next writes to it: until the
 * reply starts, a watch of our own on the client's socket (client_watch)
 * notices the EOF and closes the connection, which ends the exchange through
 * gwp_client_closed.  Once a reply has started evhttp watches for the close itself.
 */
#include "http/evlog.h"
#include "gateway/proxy_int.h"

static evutil_socket_t listen_socket(const struct sockaddr *sa, socklen_t len, vt_err *err)
{
    int one = 1;
    evutil_socket_t fd = vt_gw_bound_socket(sa, len, true, err);

    if (fd < 0)
        return -1;
    (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (listen(fd, 1024) != 0) {
        vt_err_set(err, VT_E_IO, "gateway: cannot listen: %s", strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
    (void)what;
    vt__gw_log("info", "stop", sig == SIGINT ? "SIGINT" : "SIGTERM");
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
    rc = vt_connguard_attach(gw->guard, gidx, L->base, http, *bound, gwp_handle, L, err);
    if (rc == VT_OK && tls != NULL)
        vt_connguard_set_bev(gw->guard, gidx, vt_tls_server_bev, (void *)tls);
    return rc;
}

/* libevent's messages as operator log lines (http/evlog.h). */
static void gw_evlog(const char *level, const char *msg)
{
    vt__gw_log(level, "libevent", msg);
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
    vt__http_evlog_install("gateway", gw_evlog);
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
                                 .metrics = NULL,
                                 .origins = &cfg->origins,
                                 .cors = &gwp_cors };
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

struct vt_connguard *vt_gw_guard(const vt_gw *gw)
{
    return gw != NULL ? gw->guard : NULL;
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
            evhttp_free(L->http); /* closes client connections: open exchanges end via gwp_client_closed */
        else if (L->fd >= 0)
            close(L->fd);
        if (L->http_plain != NULL)
            evhttp_free(L->http_plain);
        if (L->bound_plain == NULL && L->fd_plain >= 0)
            close(L->fd_plain);
        if (L->base != NULL)
            vt_gw_inner_free(L->base); /* the loop's pooled connections to itself (inner.c) */
        while (L->idle != NULL) {
            struct upconn *c = L->idle;
            L->idle = c->next;
            gwp_up_free(c);
        }
        for (int s = 0; s < 2; s++)
            if (L->sig[s] != NULL)
                event_free(L->sig[s]);
        if (L->upreq != NULL)
            evbuffer_free(L->upreq);
    }
    vt_connguard_free(gw->guard); /* after evhttp_free, before the loops */
    for (unsigned i = 0; gw->loops != NULL && i < gw->nloops; i++)
        if (gw->loops[i].base != NULL)
            event_base_free(gw->loops[i].base);
    free(gw->loops);
    vt_ratelimit_free(gw->attest_rl);
    free(gw);
}
