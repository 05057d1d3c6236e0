/*
 * veritee JWS/JWK: compact JSON Web Signatures (RFC 7515) with ES256 and
 * ES384 (raw r||s signatures, RFC 7518 §3.4), public JWKs (RFC 7517) with
 * RFC 7638 thumbprints, JWK Sets, and the verifier's rotating signing key ring.
 *
 * Used by AI Passports (passport.h) and gateway receipts.  Tokens are
 * untrusted input: parsing is bounded (VT_JWS_MAX), "alg" must be one this
 * module knows and equal to the key's type ("none" and HMAC never pass).
 */
#ifndef VERITEE_JWS_H
#define VERITEE_JWS_H

#include "veritee/base.h"
#include "veritee/crypto.h"

#ifdef __cplusplus
extern "C" {
#endif

#define VT_JWS_MAX ((size_t)256 << 10) /* a compact token, bytes */
#define VT_JWS_KID_MAX 64

/* Signs payload as a compact JWS.  alg follows the key: P-256 → ES256,
 * P-384 → ES384.  kid and typ are optional (NULL = not in the header).
 * *token_out is a NUL-terminated string; caller frees with free(). */
VT_NODISCARD VT_API vt_status vt_jws_sign(char **token_out, const vt_pkey *key, const char *kid, const char *typ,
                                          const uint8_t *payload, size_t payload_len, vt_err *err);

/* A parsed, not yet verified token.  Clear with vt_jws_clear(). */
typedef struct vt_jws {
    char alg[16];
    char kid[VT_JWS_KID_MAX]; /* "" when absent */
    char typ[48];             /* "" when absent */
    vt_buf header;            /* decoded protected header JSON */
    vt_buf payload;           /* decoded payload bytes */
    vt_buf signature;         /* decoded signature (r||s) */
    vt_buf signing_input;     /* ASCII(BASE64URL(header) '.' BASE64URL(payload)) */
} vt_jws;

/* Parses a compact token (three base64url parts, canonical encoding only). */
VT_NODISCARD VT_API vt_status vt_jws_parse(vt_jws *out, const char *token, size_t len, vt_err *err);
/* VT_OK when the signature verifies with key and alg matches the key type. */
VT_NODISCARD VT_API vt_status vt_jws_verify(const vt_jws *j, const vt_pkey *key, vt_err *err);
VT_API void vt_jws_clear(vt_jws *j);

/* ---- JWK ---- */
/* The public JWK of an EC key as a JSON object string {"kty","crv","x","y"[,"kid","alg","use"]};
 * kid optional.  Caller frees with free(). */
VT_NODISCARD VT_API vt_status vt_jwk_from_pkey(char **json_out, const vt_pkey *key, const char *kid,
                                               vt_err *err);
/* Parses a public EC JWK (P-256 or P-384); the point must be on the curve. */
VT_NODISCARD VT_API vt_status vt_jwk_to_pkey(vt_pkey **out, const char *json, size_t len, vt_err *err);
/* RFC 7638 thumbprint: base64url(SHA-256(canonical JWK)), 43 chars + NUL. */
VT_NODISCARD VT_API vt_status vt_jwk_thumbprint(char out[44], const vt_pkey *key, vt_err *err);

/* ---- JWK Set ---- */
typedef struct vt_jwks vt_jwks; /* caller owns, vt_jwks_free() */
/* Parses {"keys":[...]}; keys of unknown kty/crv are skipped, a key without kid is refused. */
VT_NODISCARD VT_API vt_status vt_jwks_parse(vt_jwks **out, const char *json, size_t len, vt_err *err);
/* Like vt_jwks_parse; issuer (issuer_len bytes; NULL or 0: vt_jwks_parse alone) gets the set's
 * "issuer" member, the "iss" of the passports its verifier signs, or "" when it names none.
 * VT_E_FORMAT when the issuer is not a string or does not fit; on failure *out is NULL and
 * issuer "". */
VT_NODISCARD VT_API vt_status vt_jwks_parse_issuer(vt_jwks **out, char *issuer, size_t issuer_len, const char *json,
                                                   size_t len, vt_err *err);
/* Borrowed, valid while set lives; NULL when no key has that kid. */
VT_API const vt_pkey *vt_jwks_find(const vt_jwks *set, const char *kid);
VT_API size_t vt_jwks_count(const vt_jwks *set);
VT_API void vt_jwks_free(vt_jwks *set);

/* ---- the verifier's signing key ring ----
 * Keys live in a directory (one PEM per key, mode 0600, plus ring.json naming
 * the current kid and when each retired key stops being published).  Rotation
 * makes a new current key; retired keys stay in the JWKS for `keep` seconds
 * (at least the longest passport lifetime) so unexpired passports still verify;
 * revocation removes a key at once. */
typedef struct vt_keyring vt_keyring; /* caller owns, vt_keyring_free() */
/* Opens dir, creating it (0700) and a first P-256 key when empty.  kid = the
 * key's RFC 7638 thumbprint.  Open and rotate hold an flock on dir/.lock, so
 * processes may share dir; a ring sees another process's rotation when it is
 * opened again (rotate itself always starts from what is on disk).  A key
 * file readable by group/others is refused (VT_E_POLICY). */
VT_NODISCARD VT_API vt_status vt_keyring_open(vt_keyring **out, const char *dir, vt_err *err);
VT_NODISCARD VT_API vt_status vt_keyring_rotate(vt_keyring *kr, vt_time now, int64_t keep_seconds, vt_err *err);
/* Revokes kid at once (a key that may have leaked): it leaves ring.json, its
 * PEM file is deleted and it is never published again, so passports it signed
 * stop verifying against the served JWKS.  When kid is the current key, a new
 * key is made current first.  Starts from what is on disk, like rotate.
 * VT_E_NOTFOUND when the ring has no such kid.  *new_kid_out (optional) gets
 * the current kid afterwards (at least VT_JWS_KID_MAX bytes). */
VT_NODISCARD VT_API vt_status vt_keyring_revoke(vt_keyring *kr, const char *kid, vt_time now, char *new_kid_out,
                                                vt_err *err);
/* Borrowed, valid until the next rotate/revoke/free. */
VT_API const vt_pkey *vt_keyring_current(const vt_keyring *kr, const char **kid);
/* The published set at `now`: current plus retired keys still kept.  free() the string. */
VT_NODISCARD VT_API vt_status vt_keyring_jwks(char **json_out, const vt_keyring *kr, vt_time now, vt_err *err);
VT_API void vt_keyring_free(vt_keyring *kr);

#ifdef __cplusplus
}
#endif
#endif /* VERITEE_JWS_H */
