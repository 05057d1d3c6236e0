/*
 * Oblivious HTTP at the gateway (RFC 9458; docs/transport.md):
 *
 *   GET  /.well-known/ohttp-keys  the key configuration (application/ohttp-keys),
 *                                 with Veritee-Key-Binding: the enclave key's
 *                                 signature over it (the key the passport's cnf names)
 *   POST /v1/ohttp                message/ohttp-req carrying a Binary HTTP request
 *                                 for any gateway route; answered message/ohttp-res
 *
 * The inner request is replayed to this gateway's own listener on the loopback
 * address, so it passes exactly the same code as a plain request: limits, the
 * auditor chain and the receipt (a Veritee-Receipt header inside the
 * encapsulated response).  The HPKE key pair is made at start and lives only
 * in memory.
 */
#ifndef VT_GW_OHTTP_H
#define VT_GW_OHTTP_H

#include <stdbool.h>
#include <stdint.h>

#include "veritee/ohttp.h"
#include "veritee/veritee.h"

typedef struct vt_gw_ohttp vt_gw_ohttp;

/* Domain separation of the key binding signature: SHA-256 ECDSA over this
 * string (NUL included) followed by the application/ohttp-keys bytes. */
#define VT_GW_OHTTP_BINDING_CONTEXT "veritee ohttp-keys v1"

/*
 * Makes a fresh X25519 key and its configuration (key id 1; HKDF-SHA256 with
 * AES-128-GCM or ChaCha20-Poly1305).  enclave_key (borrowed; NULL when the
 * gateway does not attest) signs the configuration.  Inner requests go to
 * the gateway set with vt_gw_ohttp_set_self (gateway/inner.h).  Caller owns,
 * free with vt_gw_ohttp_free().
 */
VT_NODISCARD vt_status vt_gw_ohttp_new(vt_gw_ohttp **out, const vt_pkey *enclave_key, size_t max_request_bytes,
                                       vt_err *err);
void vt_gw_ohttp_free(vt_gw_ohttp *o);
/* Where inner requests go (transport.h; borrowed, outlives o): set once the gateway is bound. */
struct vt_gw_self;
void vt_gw_ohttp_set_self(vt_gw_ohttp *o, const struct vt_gw_self *self);
/* The guard of the gateway's listeners (proxy.h vt_gw_guard; borrowed, outlives o): a client's
 * connection waiting for its inner reply is watched through it. */
struct vt_connguard;
void vt_gw_ohttp_set_guard(vt_gw_ohttp *o, struct vt_connguard *guard);

/* Proxy front hook (hooks.h on_front): takes the two routes above and returns
 * true; anything else returns false untouched.  evreq is a struct
 * evhttp_request, base the loop's struct event_base; port is unused. */
bool vt_gw_ohttp_front(void *arg, void *evreq, void *base, uint16_t port);

/* The pure handlers under the front (HS-12), testable without sockets. */
/* The application/ohttp-keys body (borrowed, valid while o lives) and its binding (base64url, "" when none). */
const vt_buf *vt_gw_ohttp_keys(const vt_gw_ohttp *o, const char **binding);

/* Internal (send_chunk; tests): seals plain as the next chunk of ctx's chunked answer into out.
 * After a piece failed to seal (*failed set) the answer has ended there (vt_ohttp_chunked_res_seal):
 * nothing more is sealed and nothing more is logged, so a response logs its failure once, not once
 * per piece the inner answer still brings. */
bool vt__gw_ohttp_seal_chunk(vt_buf *out, vt_ohttp_ctx *ctx, bool *failed, const vt_buf *plain, bool final);

#endif
