/*
 * veritee key broker (docs/keys.md): the release request a gateway signs, and
 * the release policy a resource (a model key, a small secret) is registered
 * with.  The verifier releases a resource only to a caller that presents a
 * passport it issued, signs the request with the passport's cnf key
 * (Authorization: Veritee-Gateway, passport.h) over a body carrying a fresh
 * nonce, and whose passport satisfies the policy; the answer is a JWE to the
 * cnf key (jwe.h).
 *
 * Release request body:  {"nonce":"<base64url of 16..64 random bytes>"}
 * Policy (JSON object; all but environment optional):
 *   {"environment":"prod-llm",            the passport's environment (exact)
 *    "platforms":["tdx","sevsnp"],        allowed TEE types; empty = any
 *    "hardware_attested":true,            default true (simulated evidence never is)
 *    "allow_warning":false,               default: only "affirming" passports
 *    "min_tcb_status":"UpToDate",         UpToDate | SWHardeningNeeded | ConfigurationNeeded | OutOfDate | any
 *    "measurements":{"model":"hex", "auditors":"hex,hex", "runtime":"hex", "config":"hex"}}
 *                                         exact measured digests (as the passport's components show them)
 */
#ifndef VERITEE_KBS_H
#define VERITEE_KBS_H

#include "veritee/passport.h"

#ifdef __cplusplus
extern "C" {
#endif

#define VT_KBS_NONCE_MIN 16
#define VT_KBS_NONCE_MAX 64
#define VT_KBS_REQUEST_MAX 1024            /* bytes of a release request body */
#define VT_KBS_POLICY_MAX ((size_t)16 << 10) /* bytes of a policy */
#define VT_KBS_VALUE_MAX 4096              /* bytes of a resource */
#define VT_KBS_ID_MAX 64                   /* resource ids: as environment ids, 1..63 of [A-Za-z0-9._-] */

/* Parses a release request body (untrusted, at most VT_KBS_REQUEST_MAX bytes): its nonce (decoded) into
 * nonce, *nonce_len its length.  VT_E_FORMAT / VT_E_LIMIT naming the field. */
VT_NODISCARD VT_API vt_status vt_kbs_request_parse(uint8_t nonce[VT_KBS_NONCE_MAX], size_t *nonce_len,
                                                   const uint8_t *body, size_t len, vt_err *err);
/* A fresh release request body (32 random bytes of nonce).  *body_out: caller owns, free(). */
VT_NODISCARD VT_API vt_status vt_kbs_request_new(char **body_out, vt_err *err);

/* Validates a policy (untrusted JSON) and writes its canonical form (every field present, hex
 * lowercase).  *canon_out: caller owns, free().  VT_E_FORMAT naming the field. */
VT_NODISCARD VT_API vt_status vt_kbs_policy_parse(char **canon_out, const char *json, size_t len, vt_err *err);

/* What the verifier knows of the caller, from the passport it issued (all borrowed). */
typedef struct vt_kbs_subject {
    const char *environment;
    const char *tee_type;                 /* vt_tee_name() */
    bool hardware_attested;
    const char *status;                   /* "affirming", "warning", ... */
    const char *tcb_status;               /* the appraisal's */
    const char *measured[VT_SUBMOD_COUNT]; /* [VT_SUBMOD_MODEL..CONFIG]: the measured digests; NULL = none */
} vt_kbs_subject;

/* Checks subject against a canonical policy: VT_OK to release, else VT_E_POLICY with the first clause
 * that failed in clause ("environment", "platforms", "hardware_attested", "status", "min_tcb_status",
 * "measurements.model", ...) and the detail in err (for the admin log only, never for the caller). */
VT_NODISCARD VT_API vt_status vt_kbs_policy_check(const char *policy, const vt_kbs_subject *subject, char *clause,
                                                  size_t clause_len, vt_err *err);

#ifdef __cplusplus
}
#endif
#endif /* VERITEE_KBS_H */
