/* The gateway's listeners and its connections to itself (transport.h, docs/transport.md). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <netdb.h>
#include <sys/socket.h>
#include <arpa/inet.h>

#include <event2/event.h>
#include <event2/http.h>
#include <jansson.h>

#include "gateway/transport.h"
#include "veritee/tls.h"

static const char *reachable(const char *h)
{
    if (h == NULL || h[0] == '\0' || strcmp(h, "0.0.0.0") == 0 || strcmp(h, "*") == 0)
        return "127.0.0.1";
    if (strcmp(h, "::") == 0)
        return "::1";
    return h;
}

void vt_gw_self_init(vt_gw_self *s, const vt_gw_config *cfg, uint16_t port, uint16_t plain_port)
{
    memset(s, 0, sizeof(*s));
    if (cfg->tls != NULL && cfg->listen_plain_host != NULL) {
        snprintf(s->host, sizeof(s->host), "%s", reachable(cfg->listen_plain_host));
        s->port = plain_port;
        return;
    }
    snprintf(s->host, sizeof(s->host), "%s", reachable(cfg->listen_host));
    s->port = port;
    s->tls = cfg->tls;
}

struct evhttp_connection *vt_gw_self_connect(const vt_gw_self *s, struct event_base *base)
{
    if (s->tls != NULL)
        return vt_tls_self_connection(s->tls, base, s->host, s->port);
    return evhttp_connection_base_new(base, NULL, s->host, s->port);
}

vt_status vt_gw_config_set_listen_plain(vt_gw_config *c, const char *s, vt_err *err)
{
    char *host = c->listen_host;
    uint16_t port = c->listen_port;
    vt_status rc;

    c->listen_host = strdup(host); /* the parser replaces it */
    if (c->listen_host == NULL) {
        c->listen_host = host;
        return vt_err_set(err, VT_E_NOMEM, "gateway: out of memory");
    }
    rc = vt_gw_config_set_listen(c, s, err);
    free(c->listen_plain_host);
    c->listen_plain_host = rc == VT_OK ? c->listen_host : NULL;
    c->listen_plain_port = rc == VT_OK ? c->listen_port : 0;
    if (rc != VT_OK)
        free(c->listen_host);
    c->listen_host = host;
    c->listen_port = port;
    return rc;
}

int vt_gw_bound_socket(const struct sockaddr *sa, socklen_t len, bool nonblock, vt_err *err)
{
    int one = 1, fd = socket(sa->sa_family, SOCK_STREAM | SOCK_CLOEXEC | (nonblock ? SOCK_NONBLOCK : 0), 0);

    if (fd < 0) {
        vt_err_set(err, VT_E_IO, "gateway: socket: %s", strerror(errno));
        return -1;
    }
    (void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    (void)setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
    if (bind(fd, sa, len) != 0) {
        vt_err_set(err, VT_E_IO, "gateway: cannot listen: %s", strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
}

/* One reserving socket: bound to the first address host:port resolves to, not listening. */
static vt_status reserve_one(int *fd, uint16_t *port, char *addr, size_t addr_len, const char *host, uint16_t want,
                             vt_err *err)
{
    struct addrinfo hints, *ai = NULL;
    struct sockaddr_storage ss;
    socklen_t sl = sizeof(ss);
    char ps[8], h[INET6_ADDRSTRLEN + 16], sv[8];
    int e;

    memset(&hints, 0, sizeof(hints));
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE;
    snprintf(ps, sizeof(ps), "%u", (unsigned)want);
    e = getaddrinfo(host, ps, &hints, &ai);
    if (e != 0 || ai == NULL) {
        if (ai != NULL)
            freeaddrinfo(ai);
        return vt_err_set(err, VT_E_ARG, "gateway: cannot resolve listen address %s: %s", host, gai_strerror(e));
    }
    *fd = vt_gw_bound_socket(ai->ai_addr, ai->ai_addrlen, false, err);
    freeaddrinfo(ai);
    if (*fd < 0) {
        char why[sizeof(((vt_err *)0)->msg)];
        snprintf(why, sizeof(why), "%s", err != NULL ? err->msg : "cannot listen");
        return vt_err_set(err, VT_E_IO, "%s (%s:%u)", why, host, (unsigned)want);
    }
    if (getsockname(*fd, (struct sockaddr *)&ss, &sl) != 0 ||
        getnameinfo((struct sockaddr *)&ss, sl, h, sizeof(h), sv, sizeof(sv), NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
        vt_status rc = vt_err_set(err, VT_E_IO, "gateway: cannot listen on %s:%u: %s", host, (unsigned)want,
                                  strerror(errno));
        close(*fd);
        *fd = -1;
        return rc;
    }
    *port = (uint16_t)strtoul(sv, NULL, 10);
    snprintf(addr, addr_len, strchr(h, ':') != NULL ? "[%s]:%s" : "%s:%s", h, sv);
    return VT_OK;
}

vt_status vt_gw_listen_reserve(vt_gw_listen_reservation *r, const vt_gw_config *cfg, bool tls, vt_err *err)
{
    vt_status rc;

    memset(r, 0, sizeof(*r));
    r->fd[0] = r->fd[1] = -1;
    rc = reserve_one(&r->fd[0], &r->port[0], r->addr[0], sizeof(r->addr[0]), cfg->listen_host, cfg->listen_port,
                     err);
    if (rc == VT_OK && tls && cfg->listen_plain_host != NULL)
        rc = reserve_one(&r->fd[1], &r->port[1], r->addr[1], sizeof(r->addr[1]), cfg->listen_plain_host,
                         cfg->listen_plain_port, err);
    if (rc != VT_OK)
        vt_gw_listen_release(r);
    return rc;
}

void vt_gw_listen_apply(const vt_gw_listen_reservation *r, vt_gw_config *cfg)
{
    cfg->listen_port = r->port[0];
    if (r->fd[1] >= 0)
        cfg->listen_plain_port = r->port[1];
}

void vt_gw_listen_release(vt_gw_listen_reservation *r)
{
    for (size_t i = 0; i < 2; i++) {
        if (r->fd[i] >= 0)
            close(r->fd[i]);
        r->fd[i] = -1;
    }
}

vt_status vt_gw_transport_json(char **out, const vt_gw_listen_reservation *r, bool tls, bool tls12,
                               bool cert_configured, vt_err *err)
{
    json_t *o = json_object();

    *out = NULL;
    if (o == NULL)
        return vt_err_set(err, VT_E_NOMEM, "gateway: out of memory");
    json_object_set_new(o, "https", tls ? json_string(r->addr[0]) : json_null());
    json_object_set_new(o, "plain", !tls ? json_string(r->addr[0]) : r->addr[1][0] ? json_string(r->addr[1])
                                                                                  : json_null());
    json_object_set_new(o, "tls", tls ? json_string(tls12 ? "TLSv1.2+TLSv1.3" : "TLSv1.3") : json_null());
    json_object_set_new(o, "tls_key", tls ? json_string("enclave") : json_null());
    json_object_set_new(o, "certificate", tls ? json_string(cert_configured ? "configured" : "self-signed")
                                              : json_null());
    *out = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(o);
    return *out != NULL ? VT_OK : vt_err_set(err, VT_E_NOMEM, "gateway: out of memory");
}
