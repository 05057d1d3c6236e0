/*
 * The gateway's listeners (docs/transport.md, "Attested TLS").
 *
 * `veritee gateway` serves HTTPS on --listen with the enclave key (the
 * passport's cnf key, made inside the TEE at boot and never written anywhere)
 * and a self-signed certificate for it, or a configured chain for that key
 * (--tls-cert); plain HTTP only on --listen-plain.  Which listeners exist is
 * a measurement-log event ("transport", component other) whose preimage
 * GET /v1/attestation returns as "transport", so a client sees them attested.
 */
#ifndef VT_GW_TRANSPORT_H
#define VT_GW_TRANSPORT_H

#include <stdint.h>

#include "gateway/config.h"
#include "veritee/veritee.h"

struct event_base;
struct evhttp_connection;

/* How the gateway reaches its own routes from inside (OHTTP and MCP replays):
 * the plain listener when there is one, else its HTTPS listener over TLS
 * pinned to its own key. */
typedef struct vt_gw_self {
    const struct vt_tls_server *tls; /* borrowed; NULL = plain */
    char host[256];
    uint16_t port;
} vt_gw_self;

/* Name of the measurement-log event that describes the listeners. */
#define VT_GW_TRANSPORT_EVENT "transport"

/* Fills s from the configuration and the bound ports. */
void vt_gw_self_init(vt_gw_self *s, const vt_gw_config *cfg, uint16_t port, uint16_t plain_port);
/* An evhttp client connection to the gateway itself; NULL when out of memory.
 * Caller owns it (evhttp_connection_free or free on completion). */
struct evhttp_connection *vt_gw_self_connect(const vt_gw_self *s, struct event_base *base);

/* The listeners as canonical JSON (free()): {"https":"host:port"|null,
 * "plain":"host:port"|null,"tls":"TLSv1.3"|...,"tls_key":"enclave",
 * "certificate":"self-signed"|"configured"}.  Addresses as configured (port
 * 0 stays 0): the event is made before the sockets are bound. */
VT_NODISCARD vt_status vt_gw_transport_json(char **out, const vt_gw_config *cfg, bool tls, bool tls12,
                                            bool cert_configured, vt_err *err);
/* --listen-plain HOST:PORT beside the HTTPS listener (as vt_gw_config_set_listen parses it). */
VT_NODISCARD vt_status vt_gw_config_set_listen_plain(vt_gw_config *c, const char *s, vt_err *err);

#endif
