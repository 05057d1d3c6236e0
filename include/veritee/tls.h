/*
 * TLS for the HTTP servers (docs/transport.md, "Attested TLS").
 *
 * A vt_tls_server holds one OpenSSL server context made for a key the caller
 * owns (the gateway's enclave key: made inside the TEE at boot, never written
 * anywhere) and a certificate for it: a self-signed one made here, or a
 * configured chain whose leaf must carry exactly that key.  TLS 1.3 only,
 * unless TLS 1.2 is asked for (then ECDHE with AEAD ciphers only).  Clients
 * trust the key, not the certificate: the key is bound to the attestation, so a
 * client pins its SPKI digest (vt_tls_server_pin) and no CA is involved.
 *
 * The connection guard asks vt_tls_server_bev for each accepted connection's
 * bufferevent (vt_connguard_set_bev); vt_tls_self_connection opens an evhttp
 * client connection to the same server from inside the process (the gateway
 * replays Oblivious HTTP and MCP requests to itself), refusing any other key.
 */
#ifndef VERITEE_TLS_H
#define VERITEE_TLS_H

#include <stdbool.h>
#include <stdint.h>

#include "veritee/crypto.h"

#ifdef __cplusplus
extern "C" {
#endif

struct bufferevent;
struct event_base;
struct evhttp_connection;

typedef struct vt_tls_server vt_tls_server; /* caller owns, vt_tls_server_free() */

typedef struct vt_tls_server_opts {
    const vt_pkey *key;        /* borrowed for the call (the server keeps a reference); P-256 or P-384 */
    const char *cert_path;     /* borrowed; PEM chain, leaf first, whose leaf key is `key`; NULL = self-signed */
    const char *name;          /* borrowed; the self-signed certificate's CN and DNS name; NULL = "veritee" */
    bool tls12;                /* also offer TLS 1.2 (ECDHE-ECDSA AEAD suites); default TLS 1.3 only */
    vt_time now;               /* the self-signed certificate's notBefore (minus a day); 0 = now */
} vt_tls_server_opts;

/* VT_E_ARG when the configured certificate does not carry the key, VT_E_FORMAT
 * when it is not PEM certificates, VT_E_IO when it cannot be read. */
VT_NODISCARD VT_API vt_status vt_tls_server_new(vt_tls_server **out, const vt_tls_server_opts *o, vt_err *err);
VT_API void vt_tls_server_free(vt_tls_server *t);

/* "sha256//<base64 SHA-256 of the key's SubjectPublicKeyInfo>" (curl's pin
 * format), borrowed while t lives. */
VT_API const char *vt_tls_server_pin(const vt_tls_server *t);
/* The certificate served (PEM), borrowed while t lives. */
VT_API const char *vt_tls_server_cert_pem(const vt_tls_server *t);
/* "TLSv1.3" or "TLSv1.2+TLSv1.3". */
VT_API const char *vt_tls_server_versions(const vt_tls_server *t);

/* A server-side TLS bufferevent for base, not yet bound to a socket (evhttp
 * sets it): the connection guard's bufferevent factory.  arg is the
 * vt_tls_server.  NULL when out of memory (the connection is dropped). */
VT_API struct bufferevent *vt_tls_server_bev(void *arg, struct event_base *base);

/* An evhttp client connection over TLS to host:port (this process's own TLS
 * listener) that completes the handshake only when the server presents t's
 * key.  Caller owns, evhttp_connection_free() (or free on completion). */
VT_API struct evhttp_connection *vt_tls_self_connection(const vt_tls_server *t, struct event_base *base,
                                                        const char *host, uint16_t port);

#ifdef __cplusplus
}
#endif
#endif /* VERITEE_TLS_H */
