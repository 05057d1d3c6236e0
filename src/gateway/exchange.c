/*
 * The proxy's exchanges (see proxy_int.h): one client request and its upstream answer,
 * from the first upstream header to the reply (or error) sent to the client, plus the
 * JSON log line and error replies every part of the proxy shares.
 */
#include <event2/bufferevent_ssl.h>
#include <event2/bufferevent_struct.h> /* ev_write: see gwp_flush_now */

#include "gateway/proxy_int.h"

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
    evhttp_remove_header(h, "Cache-Control"); /* an error names what the request asked */
    evhttp_add_header(h, "Cache-Control", "no-store");
    for (size_t i = 0; extra != NULL && i < extra->count; i++)
        evhttp_add_header(h, extra->name[i], extra->value[i]);
    evhttp_send_reply(req, status, NULL, b);
}

void gwp_reply_error(struct evhttp_request *req, int status, const char *type, const char *code, const char *msg)
{
    struct evbuffer *b = error_body(type, code, msg);

    reply_error_with(req, status, b, NULL);
    if (b != NULL)
        evbuffer_free(b);
}

/* ---- headers ---- */

static const char *view_get(const vt_gw_header_view *v, const char *name)
{
    return gwp_uh_find((const vt_gw_upheaders *)v->impl, name);
}

/* The Date of the loop's replies: evhttp formats one for every reply it sends (gmtime_r and
 * a printf: 1.5% of the pass-through gateway) unless the reply has one, so the loop formats
 * it once a second, the same way (evutil_date_rfc1123). */
static const char *loop_date(struct gw_loop *L)
{
    time_t now = time(NULL);

    if (now != L->date_at || L->date[0] == '\0') {
        struct tm tm;
        if (gmtime_r(&now, &tm) == NULL || evutil_date_rfc1123(L->date, sizeof(L->date), &tm) == 0)
            return NULL;
        L->date_at = now;
    }
    return L->date;
}

/*
 * The reply's headers (docs/gateway.md): the upstream's headers are strings
 * the auditors do not see, so none passes except Retry-After as plain
 * delta-seconds; the gateway sets Content-Type itself (the body is the
 * audited JSON, or the audited event stream) and Cache-Control: no-store, and
 * the hooks add Veritee-Receipt.  An upstream's Veritee-Receipt, Set-Cookie,
 * Content-Encoding or X-... header never reaches the client.  The security
 * headers (http/sechdr.c) and an allowed page's CORS headers are the front's
 * (routes.c), set once for every answer: called once, just before the reply
 * starts, this adds to them and removes nothing.
 */
static void set_response_headers(struct gw_loop *L, struct evhttp_request *req, const vt_gw_upheaders *from,
                                 bool stream)
{
    struct evkeyvalq *to = evhttp_request_get_output_headers(req);
    const char *ra = gwp_uh_find(from, "Retry-After"), *date = loop_date(L);

    if (date != NULL)
        evhttp_add_header(to, "Date", date);
    if (ra != NULL && *ra != '\0' && strlen(ra) <= 9 && strspn(ra, "0123456789") == strlen(ra))
        evhttp_add_header(to, "Retry-After", ra);
    evhttp_add_header(to, "Content-Type", stream ? "text/event-stream" : "application/json");
    /* An answer is a result of the client's prompt: no cache may keep it (none of the
     * upstream's cache headers passes). */
    evhttp_add_header(to, "Cache-Control", "no-store");
}

/*
 * evhttp writes the status line and each header with a printf into the connection's output
 * buffer.  A line longer than the room left in the buffer's last chain (Veritee-Receipt is a
 * 2 KB token) is formatted twice, the first time through glibc's slow overflow path: `perf`
 * put that at 5% of the audited gateway.  Room for every header first makes it one pass.
 */
static void reserve_header_room(struct bufferevent *bev, struct evhttp_request *req)
{
    const struct evkeyvalq *h = evhttp_request_get_output_headers(req);
    const struct evkeyval *kv;
    size_t n = 256; /* the status line and what evhttp adds: Date, Content-Length, Connection */

    if (bev == NULL)
        return;
    TAILQ_FOREACH(kv, h, next)
        n += strlen(kv->key) + strlen(kv->value) + 4;
    if (n > 512) /* smaller fits the chain evhttp's first printf makes anyway */
        (void)evbuffer_expand(bufferevent_get_output(bev), n);
}

/* Is the media type of a Content-Type value `type` (parameters ignored)? */
static bool media_type_is(const char *ct, const char *type)
{
    size_t n = strlen(type);

    return ct != NULL && strncasecmp(ct, type, n) == 0 && (ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ');
}

/* ---- upstream connections ---- */

static void watch_stop(struct exchange *ex)
{
    vt_gw_watch_free(ex->watch);
    ex->watch = NULL;
}

/* Takes the watch off the exchange, for the caller to free after evhttp_send_reply
 * (client_watch.h: no epoll_ctl then). */
static vt_gw_watch *watch_detach(struct exchange *ex)
{
    vt_gw_watch *w = ex->watch;

    ex->watch = NULL;
    return w;
}

/* The client left while the exchange waits for the upstream.  Closing its connection runs
 * gwp_client_closed, which ends the exchange and closes the upstream connection (the
 * upstream request is cancelled). */
static void client_gone(void *arg)
{
    struct exchange *ex = arg;

    watch_stop(ex);
    evhttp_connection_free(ex->cevcon);
}

/* Watches the client's socket for EOF until the reply starts. */
void gwp_watch_start(struct exchange *ex)
{
    if (ex->watch == NULL)
        ex->watch = vt_gw_watch_start(ex->loop->base, ex->cevcon, client_gone, ex);
}

void gwp_ex_finish(struct exchange *ex)
{
    const vt_gw_hooks *hooks = ex->loop->gw->hooks;

    watch_stop(ex);
    if (ex->req != NULL && ex->cevcon != NULL)
        vt_connguard_set_closecb(ex->loop->gw->guard, ex->cevcon, NULL, NULL);
    if (hooks->on_finish != NULL)
        hooks->on_finish(hooks->arg, &ex->ctx);
    if (ex->up != NULL)
        gwp_up_free(ex->up);
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

/*
 * A reply evhttp has queued whole on a client connection is written now, in this loop pass,
 * instead of after an epoll round trip for EPOLLOUT.  The EPOLLOUT evhttp asked for is then
 * cancelled within the same pass, where libevent's epoll changelist folds the add and the
 * delete into nothing: no epoll_ctl pair and no extra epoll_wait per response.
 *  - Plain: the output is written here and evhttp told it went out (bufferevent_trigger runs
 *    its write callback, which ends the request and re-arms reading).
 *  - TLS: OpenSSL's bufferevent writes only when its write event runs (evhttp fills the output
 *    before enabling writes, so the output callback found writing disabled); the event is made
 *    active now, so its callback (SSL_write, then evhttp's write callback) runs in this pass.
 *    If the socket does not take it all, the event stays armed, as it would have anyway.
 * more: the reply goes on (a stream's chunk).  Otherwise nothing may use the connection
 * afterwards: evhttp may have ended it (a "Connection: close" reply); the bufferevent itself
 * stays valid under the connection guard's reference.
 */
void gwp_flush_now(struct bufferevent *bev, bool more)
{
    struct evbuffer *out;
    evutil_socket_t fd;

    if (bev == NULL || (fd = bufferevent_getfd(bev)) < 0 || !(bufferevent_get_enabled(bev) & EV_WRITE))
        return;
    out = bufferevent_get_output(bev);
    if (bufferevent_openssl_get_ssl(bev) != NULL) {
        if (evbuffer_get_length(out) > 0)
            event_active(&bev->ev_write, EV_WRITE, 1);
        return;
    }
    evbuffer_unfreeze(out, 1); /* as the bufferevent's own write callback does around its write */
    (void)evbuffer_write(out, fd); /* an error shows on the bufferevent's next write or read */
    evbuffer_freeze(out, 1);
    if (evbuffer_get_length(out) > 0)
        return;
    bufferevent_trigger(bev, EV_WRITE, 0);
    /* A reply that goes on (a stream's chunk): evhttp leaves writing enabled until its end, so
     * the bufferevent would wake for EPOLLOUT only to find nothing to write.  The next chunk
     * enables it again. */
    if (more)
        bufferevent_disable(bev, EV_WRITE);
}

/* Hands the request to evhttp for good: no close callback may reach us afterwards. */
struct evhttp_request *gwp_ex_take_req(struct exchange *ex)
{
    struct evhttp_request *req = ex->req;

    watch_stop(ex);
    if (req != NULL)
        vt_connguard_set_closecb(ex->loop->gw->guard, ex->cevcon, NULL, NULL);
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
            vt__gw_log("error", "on_stream_end", err.msg);
            ex->scratch.len = 0;
        }
        if (ex->scratch.len > 0)
            evbuffer_add(ex->out, ex->scratch.data, ex->scratch.len);
    }
    if (evbuffer_get_length(ex->out) > 0)
        evhttp_send_reply_chunk(ex->req, ex->out);
    evhttp_send_reply_end(gwp_ex_take_req(ex));
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
            vt__gw_log("error", "on_error", err.msg);
            vt_gw_headers_free(&extra);
        }
        vt_buf_free(&body);
    }
    ex->answered = true;
    /* The output headers are still the front's (security, CORS): set_response_headers runs only
     * right before the reply starts, after which an error goes into the body instead. */
    reply_error_with(gwp_ex_take_req(ex), status, b, &extra);
    vt_gw_headers_free(&extra);
    if (b != NULL)
        evbuffer_free(b);
}

/* The upstream failed, or a limit or hook refused: tell the client and end the exchange. */
void gwp_ex_fail(struct exchange *ex, int status, const char *type, const char *code, const char *msg)
{
    if (ex->up != NULL) {
        gwp_up_free(ex->up);
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
    gwp_ex_finish(ex);
}

/* evhttp: the client's connection is going away while we still hold its request. */
void gwp_client_closed(struct evhttp_connection *evcon, void *arg)
{
    struct exchange *ex = arg;

    (void)evcon;
    /* Detached requests (network failure while we hold them) are ours to free;
     * attached ones (server shutdown) evhttp frees right after this call. */
    if (ex->req != NULL && evhttp_request_get_connection(ex->req) == NULL)
        evhttp_request_free(ex->req);
    ex->req = NULL;
    gwp_ex_finish(ex); /* closes the upstream connection: the upstream request is cancelled */
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
    gwp_up_process(ex->up);
}


/* The upstream's reply cannot be audited: nothing of its body is forwarded. */
static void ex_unauditable(struct exchange *ex, const char *why)
{
    snprintf(ex->why, sizeof(ex->why), "%s", why);
    ex->ctx.unauditable = ex->why;
}

/* Upstream status line and headers are in. false: the exchange is gone. */
bool gwp_ex_headers(struct exchange *ex, struct upconn *c)
{
    const vt_gw_limits *lim = &ex->loop->gw->cfg->limits;
    const char *ct = gwp_uh_find(&c->headers, "Content-Type");
    const char *ce = gwp_uh_find(&c->headers, "Content-Encoding");

    ex->ctx.upstream_status = c->status;
    /* Only bodies the gateway can read are forwarded: identity encoding (it asks for it),
     * JSON, or an event stream on a 2xx to a POST (the model list of a GET is audited whole:
     * the stream hooks audit only the inference routes' events). */
    if (ce != NULL && strcasecmp(ce, "identity") != 0)
        ex_unauditable(ex, "gateway: the upstream's reply has a Content-Encoding other than identity");
    ex->streaming = ex->ctx.unauditable == NULL && c->status >= 200 && c->status < 300 &&
                    strcmp(ex->method, "POST") == 0 && media_type_is(ct, "text/event-stream");
    if (!ex->streaming && ex->ctx.unauditable == NULL && !media_type_is(ct, "application/json"))
        ex_unauditable(ex, strcmp(ex->method, "POST") == 0
                               ? "gateway: the upstream's reply is not application/json (nor an event stream on a 2xx)"
                               : "gateway: the upstream's reply is not application/json");
    ex->ctx.streamed = ex->streaming;
    if (ex->ctx.unauditable != NULL) { /* the body is not needed: drop the connection */
        ex->resp = evbuffer_new();
        if (ex->resp == NULL) {
            gwp_ex_fail(ex, 500, "server_error", "gateway_error", "gateway: out of memory");
            return false;
        }
        gwp_ex_complete(ex, false);
        return false;
    }
    if (!ex->streaming) {
        ex->resp = evbuffer_new();
        if (ex->resp == NULL) {
            gwp_ex_fail(ex, 500, "server_error", "gateway_error", "gateway: out of memory");
            return false;
        }
        return true;
    }
    ex->out = evbuffer_new();
    if (ex->out == NULL) {
        gwp_ex_fail(ex, 500, "server_error", "gateway_error", "gateway: out of memory");
        return false;
    }
    vt_gw_sse_init_upstream(&ex->sse, lim->max_event_bytes, sse_event, ex);
    {
        vt_gw_watch *watch = watch_detach(ex); /* evhttp watches a connection it writes to for the close */
        set_response_headers(ex->loop, ex->req, &c->headers, true);
        evhttp_send_reply_start(ex->req, c->status, NULL);
        vt_gw_watch_free(watch);
    }
    return true;
}

/* n body bytes of the upstream's response are at the front of in.  false: the exchange is gone. */
bool gwp_ex_body(struct exchange *ex, struct evbuffer *in, size_t n)
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
            gwp_ex_complete(ex, false);
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
            if (frc == VT_E_POLICY && ex->ctx.auditor_failed) { /* one failed closed */
                gwp_ex_fail(ex, 503, "server_error", "auditor_failed", err.msg);
                return false;
            }
            if (frc == VT_E_POLICY) { /* a response auditor ended the stream */
                gwp_ex_fail(ex, 403, "invalid_request_error", "content_blocked", err.msg);
                return false;
            }
            if (frc == VT_E_FORMAT || frc == VT_E_LIMIT) { /* an event the gateway cannot audit */
                vt__gw_log("warn", "upstream_unauditable", err.msg);
                ex_unauditable(ex, err.msg);
                gwp_ex_fail(ex, 502, "server_error", "upstream_unauditable", err.msg);
                return false;
            }
            if (frc != VT_OK) {
                vt__gw_log("warn", "upstream_stream", err.msg);
                gwp_ex_fail(ex, 502, "server_error", "upstream_bad_stream", err.msg);
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
            gwp_flush_now(cb, true); /* the event goes out now, not after a round trip for EPOLLOUT */
        }
    }
    return true;
}

/* The upstream's response ended (framing complete). */
void gwp_ex_complete(struct exchange *ex, bool reusable)
{
    const vt_gw_hooks *hooks = ex->loop->gw->hooks;
    struct upconn *c = ex->up;
    int status = c->status;
    vt_gw_headers extra = { 0 };
    vt_err err;

    if (ex->streaming) {
        ex->up = NULL;
        gwp_up_release(c, reusable);
        if (!vt_gw_sse_idle(&ex->sse)) { /* a partial line or event: never dispatched, never sent */
            ex_unauditable(ex, "gateway: the upstream's event stream ended inside an event");
            vt__gw_log("warn", "upstream_unauditable", ex->why);
            gwp_ex_fail(ex, 502, "server_error", "upstream_unauditable", ex->why);
            return;
        }
        stream_end(ex, true);
        gwp_ex_finish(ex);
        return;
    }
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
            vt__gw_log("error", "on_response", err.msg);
            gwp_ex_fail(ex, 500, "server_error", "gateway_error", "gateway: the response was refused");
            return;
        }
    }
    if (ex->ctx.unauditable != NULL) { /* no hook answered for the unauditable reply */
        vt_gw_headers_free(&extra);
        vt__gw_log("warn", "upstream_unauditable", ex->ctx.unauditable);
        gwp_ex_fail(ex, 502, "server_error", "upstream_unauditable", ex->ctx.unauditable);
        return;
    }
    /* The answer goes out: only now its own headers, so that a failure above still had the
     * front's alone to answer with. */
    set_response_headers(ex->loop, ex->req, &c->headers, false);
    for (size_t i = 0; i < extra.count; i++)
        evhttp_add_header(evhttp_request_get_output_headers(ex->req), extra.name[i], extra.value[i]);
    vt_gw_headers_free(&extra);
    ex->up = NULL;
    gwp_up_release(c, reusable);
    {
        struct bufferevent *cbev = evhttp_connection_get_bufferevent(ex->cevcon);
        vt_gw_watch *watch = watch_detach(ex); /* freed once evhttp reads the socket again */
        reserve_header_room(cbev, ex->req);
        evhttp_send_reply(gwp_ex_take_req(ex), status, NULL, ex->resp);
        gwp_ex_finish(ex);
        gwp_flush_now(cbev, false); /* last: evhttp may end the connection in it */
        vt_gw_watch_free(watch);
    }
}

/* ---- upstream response parser ---- */
