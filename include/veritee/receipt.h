/*
 * veritee receipts: what the gateway signs for every response it serves.
 *
 * A receipt is a compact JWS (ES256, typ "veritee-receipt+jwt") signed by the
 * enclave key — the key whose public half the AI Passport carries in
 * cnf.jwk — over the passport id, the environment, the model digest, the
 * digests of the request as received and as forwarded, the digest of the
 * response as sent, the status and content type the client got, which phases
 * were audited (coverage), every auditor's verdict and finding counts, token
 * usage and times.  Format and verification steps: docs/receipts.md.
 */
#ifndef VERITEE_RECEIPT_H
#define VERITEE_RECEIPT_H

#include "veritee/audit.h"
#include "veritee/base.h"
#include "veritee/crypto.h"
#include "veritee/passport.h"

#ifdef __cplusplus
extern "C" {
#endif

#define VT_RECEIPT_TYP "veritee-receipt+jwt"
#define VT_RECEIPT_MAX ((size_t)64 << 10) /* a token, bytes */

typedef struct vt_receipt {
    char id[48];              /* "rcpt-" + 32 hex */
    char passport[48];        /* the passport under which the gateway served */
    char environment[VT_ENV_ID_MAX];
    char enclave_key[44];     /* RFC 7638 thumbprint of the signing key */
    uint8_t model[32];        /* measured model root (veritee-measure-v1) */
    uint8_t request_received[32];  /* SHA-256 of the request body as received */
    uint8_t request_forwarded[32]; /* ... as forwarded upstream (after redaction) */
    uint8_t response[32];     /* SHA-256 of the response body as sent (streams: every
                                 byte sent before the receipt event) */
    bool streamed;
    char endpoint[48];        /* "/v1/chat/completions", ... */
    int upstream_status;      /* 0 when the request never reached the upstream */
    int status;               /* HTTP status the client got (e.g. 502 for an unauditable reply) */
    char content_type[48];    /* media type the client got: "application/json", "text/event-stream" */
    /* Coverage (docs/receipts.md): VT_AUDIT_* phase bits (audit.h).  audited: every string the
     * model (request) or the client (response) reads passed the auditors.  failed: the body of
     * that phase could not be audited and was not forwarded. */
    unsigned audited;
    unsigned failed;
    char *unaudited;          /* owned: JSON array of field names the policy let through unaudited */
    char verdict[16];         /* "allow", "redact", "block", "annotate": the strongest */
    char *auditors;           /* owned: JSON array, one object per auditor run */
    int64_t prompt_tokens;    /* -1 when the upstream gave no usage */
    int64_t completion_tokens;
    int64_t total_tokens;
    int64_t received_ms;      /* unix milliseconds */
    int64_t completed_ms;
    /* owned, NULL when none: JSON array of the downstream deployments a workflow routed the
     * request through, in order, each {node, environment, deployment_type, passport, gateway}
     * (docs/receipts.md); absent from the payload when NULL. */
    char *deployments;
} vt_receipt;

/* Sets id to a fresh "rcpt-…" and everything else to empty / -1. */
VT_NODISCARD VT_API vt_status vt_receipt_init(vt_receipt *r, vt_err *err);
VT_API void vt_receipt_clear(vt_receipt *r);

/* Signs r with the enclave key; fills r->enclave_key.  free() the token. */
VT_NODISCARD VT_API vt_status vt_receipt_sign(char **token_out, vt_receipt *r, const vt_pkey *enclave_key,
                                              vt_err *err);
/* Like vt_receipt_sign, with "auditors" and "coverage.unaudited" taken from the auditor report
 * rep itself (r->auditors and r->unaudited are ignored): the gateway's path, one tree per
 * request and no JSON text round trip.  The same payload as vt_receipt_sign given
 * vt_audit_report_json's members. */
VT_NODISCARD VT_API vt_status vt_receipt_sign_report(char **token_out, vt_receipt *r, const vt_audit_report *rep,
                                                     const vt_pkey *enclave_key, vt_err *err);
/*
 * Verifies the signature with enclave_key (the passport's cnf key) and parses
 * the payload strictly into out (which the caller clears).  VT_E_CRYPTO when
 * the signature or key thumbprint does not match, VT_E_FORMAT for a malformed
 * token.
 */
VT_NODISCARD VT_API vt_status vt_receipt_verify(vt_receipt *out, const char *token, size_t len,
                                                const vt_pkey *enclave_key, vt_err *err);
/*
 * For a verifier that keeps many enclave keys: one parse of the token, then
 * key_for picks the key (and its RFC 7638 thumbprint, vt_jwk_thumbprint) from
 * the still unverified receipt — in practice by r->passport — and the
 * signature and enclave_key are checked as by vt_receipt_verify.  An error of
 * key_for is returned as it is (err filled by key_for); *key and *thumb are
 * borrowed from arg.
 */
typedef vt_status (*vt_receipt_key_fn)(const vt_pkey **key, const char **thumb, const vt_receipt *unverified,
                                       void *arg, vt_err *err);
VT_NODISCARD VT_API vt_status vt_receipt_verify_with(vt_receipt *out, const char *token, size_t len,
                                                     vt_receipt_key_fn key_for, void *arg, vt_err *err);
/* Parses without verifying (display only). */
VT_NODISCARD VT_API vt_status vt_receipt_decode(vt_receipt *out, const char *token, size_t len, vt_err *err);
/*
 * Checks a verified receipt against the passport it names: same passport id
 * and environment, the model digest among the passport's measured model
 * digests, and the receipt's times inside the passport's validity.
 * VT_E_POLICY naming the mismatch otherwise.
 */
VT_NODISCARD VT_API vt_status vt_receipt_check_passport(const vt_receipt *r, const vt_passport_claims *p,
                                                        vt_err *err);
/* The receipt's payload as pretty JSON (display).  free() the string. */
VT_NODISCARD VT_API vt_status vt_receipt_to_json(char **json_out, const vt_receipt *r, vt_err *err);

#ifdef __cplusplus
}
#endif
#endif /* VERITEE_RECEIPT_H */
