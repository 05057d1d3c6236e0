/* The key broker's release, callable in-process (keys.c, docs/keys.md). */
#ifndef VT_VERIFIER_KEYS_H
#define VT_VERIFIER_KEYS_H

#include "verifier/verifier.h"

/* What a release answers: the HTTP status, its error code, and on 200 the JWE. */
typedef struct vf_release {
    int status;          /* 200, 400, 401, 403 (refused or replay), 500, 503; 0 while its entry is logged */
    const char *code;    /* static: "not_released", "bad_request", "store_unavailable", ... ("" on 200) */
    char *jwe;           /* owned on 200 (vf_release_clear): the resource encrypted to the cnf key */
    /* Between vf_keys_release_start and vf_keys_release_finish (status 0): the outcome's
     * log entry, under kind "kbs" and ref, and what the audit line then says. */
    vf_service *svc;     /* borrowed */
    char *entry;         /* owned: the signed outcome token (docs/keys.md) */
    char ref[65];        /* the request's replay digest */
    bool released;
    char resource[64], passport[48], clause[64];
    uint64_t generation; /* the record's, checked against the log's again once the outcome is logged */
    vt_err why;          /* a refusal's reason (the admin log's, never the caller's) */
} vf_release;

/*
 * POST /v1/keys/{id}/release without the HTTP around it: call is what admission
 * learnt (call->gateway false: 401), body the signed request's {"nonce": ...},
 * st this worker's store.  Records the replay digest (the cnf key and the nonce),
 * verifies the stored passport under the served key set, checks the resource's
 * policy against its signed claims, unwraps (the wrap is bound to the id and
 * the policy), encrypts to the passport's cnf
 * key, logs the outcome and audits it.  Fills out (always) and, when not 200,
 * err with the message for the caller (only "not released" for a refusal: the
 * clause goes to the admin log).  Waits for the log's commit.
 */
void vf_keys_release(vf_release *out, const struct vf_call *call, vs_store *st, const char *id,
                     const uint8_t *body, size_t body_len, vt_err *err);
/* The same in two halves, so that a server's loop need not wait for the log: start does
 * everything before the log entry; when out->status is 0 the caller logs out->entry under
 * ("kbs", out->ref) and passes the append's outcome to finish, which audits and answers. */
void vf_keys_release_start(vf_release *out, const struct vf_call *call, vs_store *st, const char *id,
                           const uint8_t *body, size_t body_len, vt_err *err);
void vf_keys_release_finish(vf_release *out, vt_status logged, const vt_err *log_err, vt_err *err);
void vf_release_clear(vf_release *r);

#endif
