/* The gateway's listeners and its connections to itself (transport.h, docs/transport.md). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

static json_t *addr_json(const char *host, uint16_t port)
{
    char a[300];

    if (strchr(host, ':') != NULL)
        snprintf(a, sizeof(a), "[%s]:%u", host, (unsigned)port);
    else
        snprintf(a, sizeof(a), "%s:%u", host, (unsigned)port);
    return json_string(a);
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

vt_status vt_gw_transport_json(char **out, const vt_gw_config *cfg, bool tls, bool tls12, bool cert_configured,
                               vt_err *err)
{
    json_t *o = json_object();

    *out = NULL;
    if (o == NULL)
        return vt_err_set(err, VT_E_NOMEM, "gateway: out of memory");
    json_object_set_new(o, "https", tls ? addr_json(cfg->listen_host, cfg->listen_port) : json_null());
    json_object_set_new(o, "plain", !tls ? addr_json(cfg->listen_host, cfg->listen_port)
                                  : cfg->listen_plain_host != NULL
                                      ? addr_json(cfg->listen_plain_host, cfg->listen_plain_port)
                                      : json_null());
    json_object_set_new(o, "tls", tls ? json_string(tls12 ? "TLSv1.2+TLSv1.3" : "TLSv1.3") : json_null());
    json_object_set_new(o, "tls_key", tls ? json_string("enclave") : json_null());
    json_object_set_new(o, "certificate", tls ? json_string(cert_configured ? "configured" : "self-signed")
                                              : json_null());
    *out = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(o);
    return *out != NULL ? VT_OK : vt_err_set(err, VT_E_NOMEM, "gateway: out of memory");
}
