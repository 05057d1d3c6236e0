/*
 * The relying party's checks of a veritee gateway (docs/receipts.md, "What a
 * client checks"): the steps `veritee chat` reports one by one and a gateway
 * serving a workflow makes before it routes to a downstream deployment.  No
 * I/O: the caller fetches GET <gateway>/v1/attestation?nonce=<nonce_hex>, the
 * verifier's JWK Set and, when it checks one, the environment.
 */
#ifndef VERITEE_RP_H
#define VERITEE_RP_H

#include "veritee/base.h"
#include "veritee/crypto.h"
#include "veritee/jws.h"
#include "veritee/mlog.h"
#include "veritee/passport.h"
#include "veritee/tee.h"

#ifdef __cplusplus
extern "C" {
#endif

/* One gateway check.  Zero it (or vt_rp_gateway_init), free with vt_rp_gateway_clear. */
typedef struct vt_rp_gateway {
    uint8_t nonce[32];          /* our challenge (vt_rp_gateway_init draws it) */
    char nonce_hex[65];
    /* set by the caller, optional: with trust_sim, simulation roots of other state
     * directories (vt_verify_opts.sim_root_files; borrowed) */
    const char *const *sim_root_files;
    size_t sim_root_file_count;
    /* from the attestation reply (vt_rp_attestation_parse); owned */
    vt_buf evidence;
    vt_collateral *collateral;
    vt_mlog *log;
    vt_pkey *enclave;           /* the attested enclave key */
    char enclave_tp[44];        /* its RFC 7638 thumbprint */
    char *passport;             /* the passport token the gateway serves under */
    char platform[16];          /* what the gateway says ("" when it does not) */
    char passport_id[48];       /* what the gateway names ("" when it does not) */
    char environment[VT_ENV_ID_MAX];
    /* results */
    vt_result result;           /* vt_rp_evidence_verify */
    vt_passport_claims pc;      /* vt_rp_passport_verify */
} vt_rp_gateway;

/* Zeroes g and draws a fresh random nonce. */
VT_NODISCARD VT_API vt_status vt_rp_gateway_init(vt_rp_gateway *g, vt_err *err);
VT_API void vt_rp_gateway_clear(vt_rp_gateway *g);

/* Parses the gateway's attestation reply (JSON text, borrowed): it must answer our nonce and
 * carry evidence, its log, the enclave key and the passport.  VT_E_POLICY for another nonce. */
VT_NODISCARD VT_API vt_status vt_rp_attestation_parse(vt_rp_gateway *g, const char *json, size_t len, vt_err *err);
/* The evidence verifies to a trusted root (the simulation root under state_dir only with
 * trust_sim), report_data = SHA-512(nonce || enclave key), the log replays to its runtime
 * register and the platform is the one the gateway names.  VT_E_POLICY naming the first finding. */
VT_NODISCARD VT_API vt_status vt_rp_evidence_verify(vt_rp_gateway *g, bool trust_sim, const char *state_dir,
                                                    vt_time now, vt_err *err);
/* The passport was issued by the configured verifier (vt_passport_check_issuer), verifies with
 * its keys, is unexpired and affirming, and is the passport and environment the gateway names. */
VT_NODISCARD VT_API vt_status vt_rp_passport_verify(vt_rp_gateway *g, const vt_jwks *jwks, const char *jwks_issuer,
                                                    const char *verifier, vt_time now, vt_err *err);
/* The passport's cnf key is the attested enclave key (vt_passport_check_key). */
VT_NODISCARD VT_API vt_status vt_rp_key_match(vt_rp_gateway *g, vt_err *err);
/* The evidence's primary measurement is the passport's, and the log's model, auditors, runtime and
 * config are those the passport appraised (vt_passport_check_log). */
VT_NODISCARD VT_API vt_status vt_rp_measurements(vt_rp_gateway *g, vt_err *err);
/* The passport is for env and every logged component digest is one of env's reference values;
 * detail (may be NULL) gets a one-line summary. */
VT_NODISCARD VT_API vt_status vt_rp_environment(vt_rp_gateway *g, const vt_env *env, char *detail, size_t detail_len,
                                                vt_err *err);

/* The passport's "iss" is the configured verifier: equal to jwks_issuer when the key set names
 * one, else, when iss is a URL and a verifier URL is configured, that URL.  A token never
 * chooses its own verifier.  VT_E_POLICY naming both otherwise. */
VT_NODISCARD VT_API vt_status vt_passport_check_issuer(const vt_passport_claims *c, const char *jwks_issuer,
                                                       const char *verifier, vt_err *err);
/* The passport's cnf key is key (borrowed), compared by RFC 7638 thumbprint: VT_E_POLICY when it
 * names another key or none.  For a relying party key is the attested enclave key; for a gateway,
 * its own, before it serves under a passport the verifier returned. */
VT_NODISCARD VT_API vt_status vt_passport_check_key(const vt_passport_claims *c, const vt_pkey *key, vt_err *err);
/* Each component's measured digests in the passport (model, auditors, runtime, config: its
 * appraisal's "measured") are exactly log's events of that component, in log order: VT_E_POLICY
 * naming the first component that differs, or when log holds more events of one than a passport
 * names (VT_APPRAISAL_MAX_DIGESTS).  The one comparison a relying party (vt_rp_measurements) and
 * a gateway checking the passport it was issued both make. */
VT_NODISCARD VT_API vt_status vt_passport_check_log(const vt_passport_claims *c, const vt_mlog *log, vt_err *err);
/* The passport is affirming (VT_E_POLICY naming the first submodule that is not). */
VT_NODISCARD VT_API vt_status vt_passport_affirming(const vt_passport_claims *c, vt_err *err);

#ifdef __cplusplus
}
#endif
#endif /* VERITEE_RP_H */
