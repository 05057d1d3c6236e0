/*
 * The proxy's upstream HTTP/1.1 client (see proxy_int.h): the per-loop pool of keep-alive
 * connections, the request writer and the response parser (status, headers, framing).
 */
#include "gateway/proxy_int.h"

static void up_read(struct bufferevent *bev, void *arg);
static void up_event(struct bufferevent *bev, short what, void *arg);

/* ---- upstream connections ---- */

void gwp_up_free(struct upconn *c)
{
    if (c == NULL)
        return;
    if (c->bev != NULL)
        bufferevent_free(c->bev); /* closes the socket: the upstream sees the request cancelled */
    gwp_uh_free(&c->headers);
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
    gwp_uh_init(&c->headers);
    c->loop = L;
    c->tgt = tgt;
    if (tgt != NULL && tgt->tls) {
        /* Attested TLS to a downstream deployment (downstream_tls.h): libevent makes the socket
         * as it connects; Nagle is turned off once connected (up_event). */
        c->bev = vt_gw_tls_client_bev(tgt->tls_client, L->base, tgt->pin, tgt->sni[0] ? tgt->sni : NULL);
        if (c->bev == NULL)
            goto fail;
        goto connect;
    }
    fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        goto fail;
    (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    c->bev = bufferevent_socket_new(L->base, fd, BEV_OPT_CLOSE_ON_FREE);
    if (c->bev == NULL) {
        close(fd);
        goto fail;
    }
connect:
    bufferevent_setcb(c->bev, up_read, NULL, up_event, c);
    bufferevent_set_timeouts(c->bev, &gw->up_connect_tv, &gw->up_connect_tv);
    if (bufferevent_socket_connect(c->bev, sa, (int)salen) != 0)
        goto fail;
    bufferevent_enable(c->bev, EV_READ | EV_WRITE);
    return c;
fail:
    gwp_up_free(c);
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
void gwp_up_release(struct upconn *c, bool reusable)
{
    struct gw_loop *L = c->loop;

    c->ex = NULL;
    gwp_uh_clear(&c->headers);
    if (!reusable || !c->keepalive || evbuffer_get_length(bufferevent_get_input(c->bev)) != 0 ||
        L->idle_count >= L->gw->cfg->limits.upstream_keepalive) {
        gwp_up_free(c);
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

static void up_fail(struct upconn *c, bool timeout, const char *what)
{
    struct exchange *ex = c->ex;
    char msg[200];

    if (!timeout && c->reused && !c->got_bytes && !ex->retried) {
        /* A pooled connection the upstream closed just as we reused it: retry once on a fresh one. */
        ex->retried = true;
        ex->up = NULL;
        gwp_up_free(c);
        gwp_ex_start_upstream(ex);
        return;
    }
    snprintf(msg, sizeof(msg), "gateway: upstream %s", what);
    vt__gw_log("warn", timeout ? "upstream_timeout" : "upstream_error", msg);
    if (timeout)
        gwp_ex_fail(ex, 504, "server_error", "upstream_timeout", msg);
    else
        gwp_ex_fail(ex, 502, "server_error", "upstream_error", msg);
}

bool gwp_parse_status(struct upconn *c, const char *l)
{
    /* "HTTP/1.x NNN[ reason]" */
    if (strncmp(l, "HTTP/1.", 7) != 0 || (l[7] != '0' && l[7] != '1') || l[8] != ' ' || l[9] < '1' || l[9] > '5' ||
        l[10] < '0' || l[10] > '9' || l[11] < '0' || l[11] > '9' || (l[12] != ' ' && l[12] != '\0'))
        return false;
    c->status = (l[9] - '0') * 100 + (l[10] - '0') * 10 + (l[11] - '0');
    c->keepalive = l[7] == '1';
    return true;
}

bool gwp_parse_header(struct upconn *c, char *l)
{
    char *colon = strchr(l, ':'), *v, *end;

    if (colon == NULL || colon == l)
        return false;
    for (char *p = l; p < colon; p++)
        if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 0x7f)
            return false;
    v = colon + 1;
    while (*v == ' ' || *v == '\t')
        v++;
    end = v + strlen(v);
    while (end > v && (end[-1] == ' ' || end[-1] == '\t'))
        end--;
    for (const char *p = v; p < end; p++) /* as evhttp_add_header refused them */
        if (*p == '\r' || *p == '\n')
            return false;
    return gwp_uh_add(&c->headers, l, (size_t)(colon - l), v, (size_t)(end - v));
}

/* Does every Content-Length header say what the first one (cl) says?  RFC 9112 section 6.3: lengths
 * that disagree are an unrecoverable error; the first alone would leave the rest of the body in the
 * pooled connection, to be read as the next request's response. */
static bool lengths_agree(const vt_gw_upheaders *h, const char *cl)
{
    for (size_t i = 0; i < h->n; i++) {
        const char *k = (const char *)h->text.data + h->at[i];
        if (strcasecmp(k, "Content-Length") == 0 && strcmp(k + strlen(k) + 1, cl) != 0)
            return false;
    }
    return true;
}

static size_t header_count(const vt_gw_upheaders *h, const char *name)
{
    size_t n = 0;

    for (size_t i = 0; i < h->n; i++)
        n += strcasecmp((const char *)h->text.data + h->at[i], name) == 0;
    return n;
}

/* Chooses the body framing from the headers (RFC 9112 section 6.3). */
bool gwp_framing(struct upconn *c, bool *no_body)
{
    const char *te = gwp_uh_find(&c->headers, "Transfer-Encoding");
    const char *cl = gwp_uh_find(&c->headers, "Content-Length");
    const char *conn = gwp_uh_find(&c->headers, "Connection");

    if (conn != NULL && strcasestr(conn, "close") != NULL)
        c->keepalive = false;
    *no_body = c->status == 204 || c->status == 304 || strcmp(c->ex->method, "HEAD") == 0;
    if (*no_body)
        return true;
    if (te != NULL) {
        /* Two Transfer-Encoding lines are one list whose final coding depends on how a reader
         * joins them: refused, like any list but "chunked". */
        if (strcasecmp(te, "chunked") != 0 || header_count(&c->headers, "Transfer-Encoding") > 1)
            return false;
        /* chunked overrides a length, but such a reply "ought to be handled as an error": read
         * it, and pool the connection for nobody else */
        if (cl != NULL)
            c->keepalive = false;
        c->st = UP_CHUNK_SIZE;
        return true;
    }
    if (cl != NULL) {
        uint64_t v = 0;
        if (*cl == '\0' || strlen(cl) > 18 || !lengths_agree(&c->headers, cl))
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

/*
 * One line of in, ended by CRLF or LF as evbuffer_readln(EVBUFFER_EOL_CRLF) reads it, copied into
 * buf (MAX_LINE + 1 bytes, NUL-terminated, without its end) instead of a heap copy per line.
 * Its length; -1 when no whole line is buffered yet; -2 when it is longer than MAX_LINE.
 */
static ptrdiff_t read_line(struct evbuffer *in, char *buf)
{
    size_t eol_len = 0;
    struct evbuffer_ptr at = evbuffer_search_eol(in, NULL, &eol_len, EVBUFFER_EOL_CRLF);

    if (at.pos < 0)
        return -1;
    if (at.pos > MAX_LINE)
        return -2;
    if (evbuffer_remove(in, buf, (size_t)at.pos) != at.pos)
        return -2;
    buf[at.pos] = '\0';
    evbuffer_drain(in, eol_len);
    return at.pos;
}

/* Runs the response state machine over whatever is buffered. */
void gwp_up_process(struct upconn *c)
{
    struct exchange *ex = c->ex;
    struct evbuffer *in = bufferevent_get_input(c->bev);
    const size_t max_hdr = c->loop->gw->cfg->limits.max_header_bytes;
    char buf[MAX_LINE + 1];

    while (ex != NULL && !ex->paused) {
        size_t avail = evbuffer_get_length(in), n = 0;
        char *line = NULL;
        ptrdiff_t got;

        switch (c->st) {
        case UP_STATUS:
        case UP_HEADERS:
        case UP_CHUNK_SIZE:
        case UP_CHUNK_CRLF:
        case UP_TRAILERS:
            got = read_line(in, buf);
            if (got < 0) {
                if (got == -2 || avail > MAX_LINE || c->hdr_bytes + avail > max_hdr)
                    up_fail(c, false, "sent an overlong header line");
                return;
            }
            line = buf;
            n = (size_t)got;
            if (c->st == UP_STATUS || c->st == UP_HEADERS || c->st == UP_TRAILERS) {
                c->hdr_bytes += n + 2;
                if (c->hdr_bytes > max_hdr) {
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
            return;
        case UP_STATUS:
            if (!gwp_parse_status(c, line)) {
                up_fail(c, false, "sent a malformed status line");
                return;
            }
            c->st = UP_HEADERS;
            break;
        case UP_HEADERS:
            if (n > 0) {
                if (!gwp_parse_header(c, line)) {
                    up_fail(c, false, "sent a malformed header");
                    return;
                }
                break;
            }
            if (c->status < 200) { /* 100 Continue and friends: the real answer follows */
                gwp_uh_clear(&c->headers);
                c->st = UP_STATUS;
                break;
            }
            {
                bool no_body = false;
                if (!gwp_framing(c, &no_body)) {
                    up_fail(c, false, "sent a body framing the gateway does not accept");
                    return;
                }
                if (!gwp_ex_headers(ex, c))
                    return;
                if (no_body) {
                    gwp_ex_complete(ex, true);
                    return;
                }
                continue;
            }
        case UP_BODY_LEN:
        case UP_CHUNK_DATA:
            n = avail < c->remaining ? avail : (size_t)c->remaining;
            if (!gwp_ex_body(ex, in, n))
                return;
            c->remaining -= n;
            if (c->remaining == 0) {
                if (c->st == UP_BODY_LEN) {
                    gwp_ex_complete(ex, true);
                    return;
                }
                c->st = UP_CHUNK_CRLF;
            }
            break;
        case UP_BODY_CLOSE:
            if (!gwp_ex_body(ex, in, avail))
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
                    up_fail(c, false, "sent a malformed chunk size");
                    return;
                }
                v = v * 16 + (uint64_t)d;
            }
            if (digits == 0) {
                up_fail(c, false, "sent a malformed chunk size");
                return;
            }
            c->remaining = v;
            c->st = v == 0 ? UP_TRAILERS : UP_CHUNK_DATA;
            break;
        }
        case UP_CHUNK_CRLF:
            if (n != 0) {
                up_fail(c, false, "sent a chunk without its CRLF");
                return;
            }
            c->st = UP_CHUNK_SIZE;
            break;
        case UP_TRAILERS:
            if (n == 0) {
                gwp_ex_complete(ex, true);
                return;
            }
            break; /* trailers are dropped */
        }
    }
}

static void up_read(struct bufferevent *bev, void *arg)
{
    struct upconn *c = arg;

    (void)bev;
    if (c->ex == NULL) { /* a pooled connection must stay silent */
        pool_remove(c->loop, c);
        gwp_up_free(c);
        return;
    }
    c->got_bytes = true;
    gwp_up_process(c);
}

static void up_event(struct bufferevent *bev, short what, void *arg)
{
    struct upconn *c = arg;

    if (what & BEV_EVENT_CONNECTED) {
        c->connected = true;
        if (c->tgt != NULL && c->tgt->tls) {
            int one = 1;
            (void)setsockopt(bufferevent_getfd(bev), IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        }
        if (c->ex != NULL)
            c->ex->ctx.forwarded = true;
        bufferevent_set_timeouts(bev, &c->loop->gw->up_idle_tv, &c->loop->gw->up_idle_tv);
        return;
    }
    if (c->ex == NULL) {
        pool_remove(c->loop, c);
        gwp_up_free(c);
        return;
    }
    if ((what & BEV_EVENT_EOF) && c->st == UP_BODY_CLOSE) {
        struct exchange *ex = c->ex;
        size_t n = evbuffer_get_length(bufferevent_get_input(bev));
        if (n > 0 && !gwp_ex_body(ex, bufferevent_get_input(bev), n))
            return;
        c->keepalive = false;
        gwp_ex_complete(ex, false);
        return;
    }
    if (what & BEV_EVENT_TIMEOUT)
        up_fail(c, true, c->connected ? "sent nothing within the idle timeout" : "did not accept the connection in time");
    else if (!c->connected && c->tgt != NULL && c->tgt->tls && vt_gw_tls_client_key_refused(bev))
        up_fail(c, false, "presented a TLS server key other than its attested enclave key: refused");
    else if (!c->connected && c->tgt != NULL && c->tgt->tls)
        up_fail(c, false, "refused the connection or its TLS handshake failed");
    else if (!c->connected)
        up_fail(c, false, "refused the connection");
    else if (what & BEV_EVENT_EOF)
        up_fail(c, false, "closed the connection before the response ended");
    else
        up_fail(c, false, "connection failed");
}

/* Writes the request to an upstream connection (a pooled one, or a new one). */
void gwp_ex_start_upstream(struct exchange *ex)
{
    vt_gw *gw = ex->loop->gw;
    struct upconn *c = up_get(ex->loop, ex->tgt);
    struct evbuffer *o;
    bool direct;

    if (c == NULL) {
        gwp_ex_fail(ex, 502, "server_error", "upstream_error", "gateway: cannot open a connection to the upstream");
        return;
    }
    ex->up = c;
    c->ex = ex;
    ex->ctx.forwarded = c->connected;
    c->st = UP_STATUS;
    c->got_bytes = false;
    c->hdr_bytes = 0;
    gwp_uh_clear(&c->headers);
    /* A kept-alive connection is written at once, from a scratch buffer (a bufferevent's own
     * output cannot be drained outside its write callback): only what the socket does not
     * take goes through the bufferevent, so a request costs no epoll_ctl pair switching
     * EPOLLOUT on and off.  A connection still connecting is written by the bufferevent. */
    direct = c->connected && (c->tgt == NULL || !c->tgt->tls) &&
             evbuffer_get_length(bufferevent_get_output(c->bev)) == 0 &&
             (ex->loop->upreq != NULL || (ex->loop->upreq = evbuffer_new()) != NULL);
    o = direct ? ex->loop->upreq : bufferevent_get_output(c->bev);
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
        evbuffer_add_printf(o, "Accept: application/json\r\n\r\n"); /* a GET has no body (gwp_handle() refuses one) */
    }
    if (direct) {
        /* An error here (the upstream closed the pooled connection) shows again on the read:
         * what is left is handed to the bufferevent, whose write or read then fails as before. */
        (void)evbuffer_write(o, bufferevent_getfd(c->bev));
        if (evbuffer_get_length(o) == 0) {
            bufferevent_enable(c->bev, EV_READ);
            return;
        }
        if (bufferevent_write_buffer(c->bev, o) != 0) {
            evbuffer_drain(o, evbuffer_get_length(o));
            up_fail(c, false, "could not be written to (out of memory)");
            return;
        }
    }
    bufferevent_enable(c->bev, EV_READ | EV_WRITE);
}
