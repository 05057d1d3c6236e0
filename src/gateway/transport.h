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

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

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

/*
 * The listeners' addresses, bound before the boot is measured.  The "transport" event must name
 * the addresses the gateway serves on, and it is measured (and the first passport taken) before
 * the listeners exist, so each address is bound first (port 0 resolved to the port picked) and
 * held by a socket that is bound but not listening (SO_REUSEPORT, as the listeners are): nothing
 * else can take the port meanwhile, and a connection to it is refused until the gateway serves.
 * vt_gw_new's listeners then bind exactly those ports (vt_gw_listen_apply), and the reservation
 * is released once they do.
 */
typedef struct vt_gw_listen_reservation {
    int fd[2];         /* [0] --listen (HTTPS, or plain HTTP alone); [1] --listen-plain beside HTTPS; -1 none */
    uint16_t port[2];  /* as bound */
    char addr[2][80];  /* as bound (getsockname), numeric: "127.0.0.1:41234", "[::1]:41234"; "" none */
} vt_gw_listen_reservation;

/* A TCP socket bound to sa (SO_REUSEADDR and SO_REUSEPORT, so the listeners and a reservation can
 * bind one port side by side), not listening; nonblock as the listeners want it.  -1 and err. */
int vt_gw_bound_socket(const struct sockaddr *sa, socklen_t len, bool nonblock, vt_err *err);

/* Binds cfg's listen address and, when tls and cfg->listen_plain_host is set, the plain one (the
 * first address each resolves to, as vt_gw_new takes).  On failure nothing stays bound. */
VT_NODISCARD vt_status vt_gw_listen_reserve(vt_gw_listen_reservation *r, const vt_gw_config *cfg, bool tls,
                                            vt_err *err);
/* The bound ports into cfg (listen_port, listen_plain_port), for vt_gw_new to bind them. */
void vt_gw_listen_apply(const vt_gw_listen_reservation *r, vt_gw_config *cfg);
/* Closes the reserving sockets (the listeners hold the ports by then); safe to call twice. */
void vt_gw_listen_release(vt_gw_listen_reservation *r);

/* The listeners as canonical JSON (free()): {"https":"host:port"|null,
 * "plain":"host:port"|null,"tls":"TLSv1.3"|...,"tls_key":"enclave",
 * "certificate":"self-signed"|"configured"}.  The addresses are those r bound
 * (port 0 never appears): the event is what a client reads as the listeners
 * it may connect to. */
VT_NODISCARD vt_status vt_gw_transport_json(char **out, const vt_gw_listen_reservation *r, bool tls, bool tls12,
                                            bool cert_configured, vt_err *err);
/* --listen-plain HOST:PORT beside the HTTPS listener (as vt_gw_config_set_listen parses it). */
VT_NODISCARD vt_status vt_gw_config_set_listen_plain(vt_gw_config *c, const char *s, vt_err *err);

#endif
