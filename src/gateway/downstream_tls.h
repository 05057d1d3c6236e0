/*
 * Attested TLS to a workflow's downstream deployments (docs/workflows.md, "Attested TLS between
 * deployments").
 *
 * A downstream gateway serves HTTPS under its enclave key, the key its evidence binds and its
 * passport's cnf names.  When a deployment's URL is https://, the downstream check
 * (deployment.c) takes the TLS server key the attestation came over, requires it to be the
 * attested enclave key, and pins it on the target; every connection the proxy then opens to
 * that deployment (upstream.c) completes its handshake only if the server presents exactly
 * that key.  No CA is involved: the attestation is what authenticates the key, so a
 * self-signed certificate is fine and a TLS terminator in front (another key) is refused.
 */
#ifndef VT_GW_DOWNSTREAM_TLS_H
#define VT_GW_DOWNSTREAM_TLS_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <event2/bufferevent.h>

#include "veritee/veritee.h"

/* The key one downstream deployment must present: set by its check, read by each handshake. */
typedef struct vt_gw_tls_pin {
    pthread_mutex_t mu;
    bool set;
    bool refused;            /* a handshake met another key since it was set: check again */
    uint8_t spki_sha256[32]; /* SHA-256 of the attested enclave key's SubjectPublicKeyInfo */
} vt_gw_tls_pin;

/* One client context for every downstream connection of a gateway. */
typedef struct vt_gw_tls_client vt_gw_tls_client;

VT_NODISCARD vt_status vt_gw_tls_client_new(vt_gw_tls_client **out, vt_err *err);
void vt_gw_tls_client_free(vt_gw_tls_client *c);

void vt_gw_tls_pin_init(vt_gw_tls_pin *p);
void vt_gw_tls_pin_destroy(vt_gw_tls_pin *p);
/* Pins the key (after a check that proved it is the attested enclave key). */
void vt_gw_tls_pin_set(vt_gw_tls_pin *p, const uint8_t spki_sha256[32]);
/* Whether a server presented another key since the pin was set (a restarted deployment has a
 * new enclave key; so does an impostor): its check must be made again before the next route. */
bool vt_gw_tls_pin_refused(vt_gw_tls_pin *p);

/*
 * A TLS client bufferevent, not yet connected (bufferevent_socket_connect connects it and the
 * handshake follows): the handshake fails unless the server's key is the one pin holds, and
 * fails while nothing is pinned.  sni: the host name to send (NULL for an address).  NULL when
 * out of memory.  The pin (borrowed) must outlive the bufferevent.
 */
struct bufferevent *vt_gw_tls_client_bev(vt_gw_tls_client *c, struct event_base *base, vt_gw_tls_pin *pin,
                                         const char *sni);
/* Whether bev's handshake failed because the server presented a key other than the pinned one. */
bool vt_gw_tls_client_key_refused(struct bufferevent *bev);

#endif
