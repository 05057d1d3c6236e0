/* Internals of JWS/JWK (crypto/jws.c, crypto/jwk.c) shared with the modules
 * above that build tokens and key sets (appraise/, audit/); never exported. */
#ifndef VT_CRYPTO_JOSE_INT_H
#define VT_CRYPTO_JOSE_INT_H

#include <jansson.h>

#include "veritee/jws.h"

/* Strict base64url (RFC 7515 §2): URL alphabet only, no padding, no
 * whitespace, zero trailing bits, so every byte string has exactly one
 * accepted encoding.  Appends at most max bytes to out. */
vt_status vt__b64url_decode(vt_buf *out, const char *s, size_t len, size_t max, const char *what, vt_err *err);
/* base64url of p as a new jansson string (NULL when out of memory). */
json_t *vt__b64url_json(const uint8_t *p, size_t len);
/* Lowercase hex of p as a new jansson string. */
json_t *vt__hex_json(const uint8_t *p, size_t len);

/* The JWS alg of a key type: "ES256", "ES384", or NULL. */
const char *vt__jws_alg_for_key(vt_key_type t);

/* Parses token into *out (clear with vt_jws_clear) and checks it is signed under set: header typ
 * equal to typ (VT_E_FORMAT otherwise), a kid that names a key of set and a signature that
 * verifies with it (VT_E_CRYPTO otherwise).  Messages start with what ("passport", "environment").
 * On failure *out is cleared.  The one check of a token the verifier signs with its key ring. */
vt_status vt__jws_verify_set(vt_jws *out, const char *token, size_t len, const char *typ, const vt_jwks *set,
                             const char *what, vt_err *err);

/* A public EC JWK as a jansson object (kty, crv, x, y[, kid, alg, use]). */
vt_status vt__jwk_object(json_t **out, const vt_pkey *key, const char *kid, vt_err *err);
/* A public EC key from a JWK object (members checked, point on the curve). */
vt_status vt__jwk_from_object(vt_pkey **out, const json_t *o, vt_err *err);

#endif
