/*
 * Internal: OCSP (RFC 6960) requests and responses over OpenSSL's OCSP API,
 * for revocation of device certificates (NVIDIA GPU / NVSwitch chains).
 * Requests carry one CertID (SHA-384, as NVIDIA's verifier asks) and no
 * nonce, so that the answer is cacheable until its nextUpdate (RFC 5019);
 * freshness comes from thisUpdate / nextUpdate instead.
 */
#ifndef VT_CRYPTO_OCSP_H
#define VT_CRYPTO_OCSP_H

#include "veritee/base.h"
#include "veritee/crypto.h"

#define VT_OCSP_RESPONSE_MAX (16u * 1024u) /* one response with a responder certificate: ~1-3 KiB */
#define VT_OCSP_SKEW_S 300                   /* clock skew allowed on thisUpdate / nextUpdate */
#define VT_OCSP_NO_NEXT_UPDATE_S 3600        /* a response without nextUpdate is good this long */

enum { VT_OCSP_GOOD = 0, VT_OCSP_REVOKED = 1, VT_OCSP_UNKNOWN = 2 };

typedef struct vt__ocsp_answer {
    int status;            /* VT_OCSP_GOOD / _REVOKED / _UNKNOWN */
    int reason;            /* CRL reason when revoked; -1 when none was given */
    vt_time this_update;
    vt_time next_update;   /* thisUpdate + VT_OCSP_NO_NEXT_UPDATE_S when the response gives none */
    vt_time revoked_at;    /* when revoked */
    char signer[232];      /* subject of the certificate that signed the response */
} vt__ocsp_answer;

/* The DER OCSPRequest for cert, issued by issuer, appended to der_out.  Both borrowed. */
VT_NODISCARD vt_status vt__ocsp_request(vt_buf *der_out, const vt_x509 *cert, const vt_x509 *issuer, vt_err *err);

/*
 * Parses a DER OCSPResponse without trusting it: it must be "successful", a
 * basic response, of at most VT_OCSP_RESPONSE_MAX bytes, and hold exactly
 * one single response.  *until gets its nextUpdate (or the fallback above).
 * For the fetcher's cache (fetch.h expiry); VT_E_FORMAT / VT_E_LIMIT.
 */
VT_NODISCARD vt_status vt__ocsp_response_expiry(vt_time *until, const uint8_t *der, size_t len, vt_err *err);
/* thisUpdate of the one single response in der (not verified); as vt__ocsp_response_expiry. */
VT_NODISCARD vt_status vt__ocsp_response_issued(vt_time *issued, const uint8_t *der, size_t len, vt_err *err);

/*
 * Verifies a DER OCSPResponse for cert (issued by issuer; both borrowed) at
 * now: successful and basic; signed by issuer itself or by a responder
 * certificate that issuer issued for id-kp-OCSPSigning (valid at now); one
 * single response, for cert's CertID; thisUpdate not after now and now not
 * after nextUpdate (each with VT_OCSP_SKEW_S).  VT_OK with *out filled
 * whatever the certificate status is (the caller decides); VT_E_CRYPTO when
 * the signature or signer is wrong, VT_E_POLICY when outside its window,
 * VT_E_FORMAT when malformed or for another certificate.  *out zeroed on failure.
 */
VT_NODISCARD vt_status vt__ocsp_response_verify(vt__ocsp_answer *out, const uint8_t *der, size_t len,
                                                const vt_x509 *cert, const vt_x509 *issuer, vt_time now,
                                                vt_err *err);

#endif
