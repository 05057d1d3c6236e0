/*
 * veritee appraisal: environments (reference values and policy of one
 * deployment), the appraisal of verified evidence + measurement log against
 * them, and AI Passports — EAR attestation results (draft-ietf-rats-ear,
 * profile "tag:ietf.org,2026:rats/ear#03") serialized as ES256 JWTs.
 * Documented in docs/passport.md.
 */
#ifndef VERITEE_PASSPORT_H
#define VERITEE_PASSPORT_H

#include "veritee/base.h"
#include "veritee/crypto.h"
#include "veritee/jws.h"
#include "veritee/mlog.h"
#include "veritee/tee.h"

#ifdef __cplusplus
extern "C" {
#endif

#define VT_EAR_PROFILE "tag:ietf.org,2026:rats/ear#03"
#define VT_PASSPORT_TYP "JWT"
#define VT_ENV_ID_MAX 64
#define VT_ENV_MAX_BYTES ((size_t)256 << 10)
#define VT_ENV_MAX_VALUES 64   /* per list: registers, digests of one component */

/* EAR trust tiers (their integer values are the draft's). */
typedef enum vt_ear_status {
    VT_EAR_NONE = 0,
    VT_EAR_AFFIRMING = 2,
    VT_EAR_WARNING = 32,
    VT_EAR_CONTRAINDICATED = 96,
} vt_ear_status;
VT_API const char *vt_ear_status_name(vt_ear_status s); /* "affirming", ... */
VT_NODISCARD VT_API vt_status vt_ear_status_parse(vt_ear_status *out, const char *name, vt_err *err);

/* AR4SI trustworthiness vector, in the draft's key order. */
typedef enum vt_ar4si {
    VT_AR4SI_INSTANCE_IDENTITY = 0,
    VT_AR4SI_CONFIGURATION = 1,
    VT_AR4SI_EXECUTABLES = 2,
    VT_AR4SI_FILE_SYSTEM = 3,
    VT_AR4SI_HARDWARE = 4,
    VT_AR4SI_RUNTIME_OPAQUE = 5,
    VT_AR4SI_STORAGE_OPAQUE = 6,
    VT_AR4SI_SOURCED_DATA = 7,
    VT_AR4SI_COUNT = 8,
} vt_ar4si;
VT_API const char *vt_ar4si_name(vt_ar4si k); /* "instance-identity", ... */
/* The tier of one vector value: |v| <= 1 none, 2..31 affirming, 32..95 warning, >= 96 contraindicated. */
VT_API vt_ear_status vt_ar4si_tier(int8_t v);

/* The passport's submodules, in this order. */
typedef enum vt_submod {
    VT_SUBMOD_TEE = 0,
    VT_SUBMOD_MODEL = 1,
    VT_SUBMOD_AUDITORS = 2,
    VT_SUBMOD_RUNTIME = 3,
    VT_SUBMOD_CONFIG = 4,
    VT_SUBMOD_COUNT = 5,
} vt_submod;
VT_API const char *vt_submod_name(vt_submod s); /* "tee", "model", ... */

/* ---- environments ----
 * JSON form (docs/passport.md):
 * {"id":"prod-llm","description":"...",
 *  "platforms":["tdx","sevsnp"],               allowed; empty/absent = any
 *  "registers":{"mrtd":"hex", "rtmr0":"hex"},   exact values required in the claims
 *  "components":{"model":["hex",...], "auditors":[...], "runtime":[...], "config":[...]},
 *                                               allowed digests per component; a component
 *                                               listed here is required in the log
 *  "min_tcb_status":"UpToDate",                 UpToDate | SWHardeningNeeded |
 *                                               ConfigurationNeeded | OutOfDate | any
 *  "allow_debug":false, "allow_simulated":false, (simulated/mock evidence is never
 *                                               hardware_attested; refused unless allowed)
 *  "max_evidence_age":300, "passport_lifetime":3600,   seconds
 *  "sevsnp_min_tcb":{"milan":{"bootloader":3,"tee":0,"snp":8,"microcode":115}, "turin":{"fmc":1,...}},
 *                                               minimum REPORTED_TCB per product line; absent:
 *                                               the SEV-SNP TCB status is Unknown
 *  "sevsnp_allow_smt":true, "sevsnp_max_vmpl":0, "sevsnp_allow_migration_agent":false,
 *  "tdx_td_attributes":"0000001000000000",       TD_ATTRIBUTES value (quote byte order) ...
 *  "tdx_td_attributes_mask":"0100001000000000",  ... compared under this mask
 *  "azure_tdx_td_attributes":"0000000000000000", the same for the TD beneath an Azure CVM's
 *  "azure_tdx_td_attributes_mask":"0100000000000000"}   HCL report (Azure's paravisor)
 * An environment that pins none of the platform's image registers (tdx: mrtd,
 * rtmr1, rtmr2; sevsnp: measurement; nitro: pcr0) appraises at most warning.
 */
typedef struct vt_env_register {
    char name[VT_CLAIM_NAME_MAX];
    uint8_t value[VT_CLAIM_VALUE_MAX];
    size_t len;
} vt_env_register;

typedef struct vt_env_digest {
    uint8_t value[VT_MD_MAX];
    size_t len;
} vt_env_digest;

/* vt_env_snp_tcb and VT_ENV_SNP_PRODUCTS (a minimum SEV-SNP TCB) are in tee.h. */
/* Default TD_ATTRIBUTES policy: DEBUG (bit 0) clear, SEPT_VE_DISABLE (bit 28) set. */
#define VT_ENV_TDX_ATTR_DEFAULT UINT64_C(0x0000000010000000)
#define VT_ENV_TDX_ATTR_MASK_DEFAULT UINT64_C(0x0000000010000001)
/* For an Azure CVM's TD (Azure's paravisor, docs/passport.md): DEBUG clear; SEPT_VE_DISABLE is
 * not judged (Azure's TDs report it clear). */
#define VT_ENV_AZURE_TDX_ATTR_DEFAULT UINT64_C(0x0000000000000000)
#define VT_ENV_AZURE_TDX_ATTR_MASK_DEFAULT UINT64_C(0x0000000000000001)

/* What a deployment serves (docs/workflows.md): "full" (app + model + auditors), "model"
 * (headless API + auditors), "app" (front end only: its model comes through a workflow),
 * "bridge" (a protocol adapter to the OpenAI-compatible API). */
#define VT_DEPLOYMENT_TYPE_MAX 8
VT_API bool vt_deployment_type_valid(const char *type);

typedef struct vt_env {
    char id[VT_ENV_ID_MAX];
    char description[256];
    char deployment_type[VT_DEPLOYMENT_TYPE_MAX]; /* default "full" */
    uint32_t platforms;  /* bit (1u << vt_tee_kind); 0 = any */
    vt_env_register registers[VT_ENV_MAX_VALUES];
    size_t register_count;
    vt_env_digest digests[VT_SUBMOD_COUNT][VT_ENV_MAX_VALUES]; /* [VT_SUBMOD_TEE] unused */
    size_t digest_count[VT_SUBMOD_COUNT];
    char min_tcb_status[32];
    bool allow_debug;
    bool allow_simulated;
    int64_t max_evidence_age;  /* seconds, > 0 */
    int64_t passport_lifetime; /* seconds, > 0 */
    vt_env_snp_tcb snp_min_tcb[VT_ENV_SNP_PRODUCTS]; /* [0] milan, [1] genoa, [2] turin */
    bool snp_allow_smt;              /* default true */
    uint32_t snp_max_vmpl;           /* default 0 */
    bool snp_allow_migration_agent;  /* default false */
    uint64_t tdx_attributes;         /* TD_ATTRIBUTES & mask must equal this & mask */
    uint64_t tdx_attributes_mask;
    uint64_t azure_tdx_attributes;   /* the same for the TD beneath an Azure CVM's HCL report */
    uint64_t azure_tdx_attributes_mask;
} vt_env;

/* Environment ids: 1..63 chars of [A-Za-z0-9._-], not starting with '.' or '-'. */
VT_API bool vt_env_id_valid(const char *id);
/* Parses and validates untrusted JSON (<= VT_ENV_MAX_BYTES); defaults:
 * min_tcb_status "UpToDate", max_evidence_age 300, passport_lifetime 3600,
 * no sevsnp_min_tcb, sevsnp_allow_smt true, sevsnp_max_vmpl 0,
 * sevsnp_allow_migration_agent false, TD_ATTRIBUTES VT_ENV_TDX_ATTR_DEFAULT
 * under VT_ENV_TDX_ATTR_MASK_DEFAULT, an Azure CVM's VT_ENV_AZURE_TDX_ATTR_DEFAULT
 * under VT_ENV_AZURE_TDX_ATTR_MASK_DEFAULT.
 * If id_override is non-NULL it must be a valid id and replaces/fills "id". */
VT_NODISCARD VT_API vt_status vt_env_parse(vt_env *out, const char *json, size_t len, const char *id_override,
                                           vt_err *err);
/* Canonical JSON form (every field present).  free() the string. */
VT_NODISCARD VT_API vt_status vt_env_to_json(char **json_out, const vt_env *env, vt_err *err);

/* ---- signed environments ----
 * What the verifier serves at GET /v1/environments/{id}/signed (docs/verifier.md): the
 * environment as a compact JWS signed by its passport signing key (the same key ring, the same
 * JWKS), header typ VT_ENV_TOKEN_TYP, payload
 *   {"iss": issuer, "iat": unix seconds, "sub": environment id, "rev": revision,
 *    "environment": {the document}}
 * "rev" is the environment's revision at the verifier: 1 at its first PUT, one more at each PUT
 * after.  A relying party takes reference values only from a token that verifies under the key
 * set it checks passports with, names the environment it asked for and is fresh; a long-lived one
 * also remembers the highest revision it took per (verifier, environment) (vt_env_revs) and
 * refuses a lower one: an older token, still fresh, that a relay replays. */
#define VT_ENV_TOKEN_TYP "veritee-environment+jwt"
#define VT_ENV_TOKEN_MAX_AGE 300 /* seconds a signed environment is taken after its iat */
#define VT_ENV_TOKEN_SKEW 60     /* seconds its iat may be ahead of now (clocks differ) */
#define VT_ENV_REV_MAX INT64_MAX  /* the highest revision a token may carry */
#define VT_ENV_REVS_MAX 1024      /* (verifier, environment) pairs a vt_env_revs remembers */

/* Signs env_json (len bytes, borrowed: an environment document, vt_env_parse must accept it and
 * its "id" is the token's "sub") as issuer at now, revision rev (1..VT_ENV_REV_MAX), with key
 * under kid.  The payload holds the document's bytes as given.  *token_out: free().  VT_E_FORMAT
 * when the document does not parse, VT_E_ARG for a revision out of range. */
VT_NODISCARD VT_API vt_status vt_env_token_issue(char **token_out, const char *env_json, size_t len,
                                                 const char *issuer, vt_time now, uint64_t rev,
                                                 const vt_pkey *key, const char *kid, vt_err *err);

/* The highest revision taken per (verifier URL, environment id), in memory, for a relying party
 * that reads signed environments more than once (the gateway's downstream checks).  Safe to use
 * from several threads.  A one-shot reader has none: only the freshness window protects it. */
typedef struct vt_env_revs vt_env_revs;
/* *out: free with vt_env_revs_free. */
VT_NODISCARD VT_API vt_status vt_env_revs_new(vt_env_revs **out, vt_err *err);
VT_API void vt_env_revs_free(vt_env_revs *r);
/* Takes revision rev of environment id from verifier (both borrowed for the call): VT_E_POLICY
 * "environment <id> revision <rev> is older than revision <seen> already seen: a replayed
 * environment" when a higher one was taken, else remembers max(rev, seen) and returns VT_OK (the
 * same revision again is taken).  VT_E_LIMIT when VT_ENV_REVS_MAX pairs are remembered already
 * and this one is new.  vt_env_token_verify calls it with o->revs; nothing else needs to. */
VT_NODISCARD VT_API vt_status vt_env_revs_take(vt_env_revs *r, const char *verifier, const char *id, uint64_t rev,
                                               vt_err *err);
/* The highest revision taken for (verifier, id), 0 when none. */
VT_API uint64_t vt_env_revs_seen(vt_env_revs *r, const char *verifier, const char *id);
/* Calls fn for each (verifier, id, revision) remembered, in the order first taken, under the
 * set's lock (fn must not use r); stops at, and returns, the first status fn does not return
 * VT_OK.  For a relying party that keeps its revisions across runs. */
VT_NODISCARD VT_API vt_status vt_env_revs_each(vt_env_revs *r,
                                               vt_status (*fn)(void *arg, const char *verifier, const char *id,
                                                               uint64_t rev, vt_err *err),
                                               void *arg, vt_err *err);

typedef struct vt_env_token_opts {
    const vt_jwks *jwks;      /* borrowed: the verifier's key set (the pinned one, or the one it serves) */
    const char *jwks_issuer;  /* borrowed: the issuer that set names ("" or NULL: none) */
    const char *verifier;     /* borrowed: the configured verifier's URL, NULL = none */
    const char *id;           /* borrowed: the environment asked for */
    vt_time now;
    int64_t max_age;          /* seconds after iat; 0 = VT_ENV_TOKEN_MAX_AGE */
    vt_env_revs *revs;        /* borrowed: the revisions this relying party took (keyed by
                                 verifier, "" when NULL), NULL = none (a one-shot reader) */
} vt_env_token_opts;

/*
 * Verifies a signed environment (token: len bytes, borrowed) and only then parses its document
 * into *out: header typ VT_ENV_TOKEN_TYP (VT_E_FORMAT), a signature by a key of o->jwks named by
 * its kid (VT_E_CRYPTO), "iss" the configured verifier (vt_passport_check_issuer's rule),
 * "sub" and the document's "id" equal to o->id, iat no more than VT_ENV_TOKEN_SKEW ahead of
 * o->now and no more than max_age behind it (VT_E_POLICY), "rev" an integer 1..VT_ENV_REV_MAX
 * (VT_E_FORMAT: a token without one is refused), then vt_env_parse; last, with o->revs, the
 * revision taken by vt_env_revs_take (VT_E_POLICY for one lower than already taken, nothing
 * remembered from a token refused before).  json_out (NULL: not wanted) gets the document's exact
 * signed bytes, NUL-terminated (free()); rev_out (NULL: not wanted) its revision.  On failure *out
 * is zeroed, *json_out NULL and *rev_out 0.
 */
VT_NODISCARD VT_API vt_status vt_env_token_verify(vt_env *out, char **json_out, uint64_t *rev_out, const char *token,
                                                  size_t len, const vt_env_token_opts *o, vt_err *err);

/* ---- appraisal ---- */
/* Events of one component a passport names (a gateway's chain has at most VT_AUDIT_MAX_AUDITORS
 * auditors).  A log with more is appraised contraindicated: a passport never names only some. */
#define VT_APPRAISAL_MAX_DIGESTS 16
/* measured: VT_APPRAISAL_MAX_DIGESTS hex digests of up to VT_MD_MAX bytes, commas, NUL */
#define VT_APPRAISAL_MEASURED_MAX (VT_APPRAISAL_MAX_DIGESTS * (2 * VT_MD_MAX + 1))

typedef struct vt_appraisal_sub {
    vt_ear_status status;
    int8_t tv[VT_AR4SI_COUNT];
    char reason[224];   /* why it is not affirming; "" when it is */
    /* For model/auditors/runtime/config: the measured digest(s) from the log,
     * hex, comma-separated when a component has several events (auditors); all
     * of them (VT_APPRAISAL_MAX_DIGESTS at most). */
    char measured[VT_APPRAISAL_MEASURED_MAX];
} vt_appraisal_sub;

typedef struct vt_appraisal {
    vt_ear_status status;             /* worst of the submodules */
    vt_appraisal_sub sub[VT_SUBMOD_COUNT];
    /* The TCB status the appraisal judged: the evidence's, except on SEV-SNP
     * where REPORTED_TCB is compared with env's sevsnp_min_tcb ("UpToDate",
     * "OutOfDate", or "Unknown" when env states no minimum for the product). */
    char tcb_status[48];
    /* The latest exp a passport from this appraisal may carry: now + env's passport_lifetime,
     * or the end of the evidence's validity window (claims.not_after: every certificate and
     * collateral item it was verified with) when that comes first.  0 in decoded passports. */
    vt_time expires;
} vt_appraisal;

/*
 * Appraises evidence that vt_evidence_verify() already checked (result) and
 * whose measurement log it replayed (log; NULL when none was given) against
 * env.  evidence_time is when the evidence was produced (the challenge's issue
 * time), compared with now and env->max_evidence_age.  The tee submodule
 * carries the evidence verdict, platform, TCB, debug, simulated and register
 * checks; each component submodule compares the log's events of that
 * component with env's digests.  A passport is affirming only when every
 * submodule is affirming or — for components env does not list — none.
 */
VT_NODISCARD VT_API vt_status vt_appraise(vt_appraisal *out, const vt_result *result, const vt_mlog *log,
                                          const vt_env *env, vt_time evidence_time, vt_time now, vt_err *err);

/* ---- passports ---- */
typedef struct vt_passport_claims {
    char id[48];                /* "pass-" + 32 hex; also the JWT "jti" */
    char environment[VT_ENV_ID_MAX];
    char deployment_type[VT_DEPLOYMENT_TYPE_MAX]; /* the environment's; "" in passports from before it existed */
    char issuer[128];           /* JWT "iss": the verifier's URL or name */
    vt_tee_kind tee_type;
    bool hardware_attested;
    char measurement_name[VT_CLAIM_NAME_MAX];   /* primary measurement: "mrtd", "measurement", "pcr0", "mr" */
    uint8_t measurement[VT_CLAIM_VALUE_MAX];
    size_t measurement_len;
    char *attester_jwk;         /* owned: public JWK JSON of the attester (enclave) key */
    uint8_t nonce[64];
    size_t nonce_len;
    vt_time iat;
    vt_time exp;
    char verifier_build[64];    /* ear_verifier_id.build */
    vt_appraisal appraisal;
    char *platform_claims;      /* owned, optional: vt_claims_to_json() of the evidence */
} vt_passport_claims;
VT_API void vt_passport_claims_clear(vt_passport_claims *c);

/* Fills c's primary launch measurement (measurement_name, measurement) from the evidence's
 * claims: the first of mrtd (TDX), measurement (SEV-SNP), pcr0 (Nitro, TPM), mr (mock), then the
 * same under "cpu." (composite evidence's CPU).  None of them: the name is left empty and the
 * passport carries no measurement (never another claim, such as a nonce or report_data). */
VT_API void vt_passport_measurement_set(vt_passport_claims *c, const vt_claims *cl);

/* A fresh passport id "pass-<32 hex>". */
VT_NODISCARD VT_API vt_status vt_passport_new_id(char out[48], vt_err *err);
/* Signs the EAR JWT with key (ES256) under kid.  free() the token. */
VT_NODISCARD VT_API vt_status vt_passport_issue(char **token_out, const vt_passport_claims *c, const vt_pkey *key,
                                                const char *kid, vt_err *err);
/*
 * Verifies a passport token (header typ must be "JWT"): JWS signature with the JWKS key named by its kid,
 * eat_profile, iat <= now + 60 s skew, now < exp; fills out (which the caller
 * clears).  Otherwise VT_E_CRYPTO (bad signature, unknown kid) or VT_E_POLICY
 * (profile, not yet valid, expired) with a message naming the failed check.
 * A validly signed but expired passport still fills out (so callers can show
 * it) and returns VT_E_POLICY with "expired" in the message.  A passport whose
 * ear_status is not "affirming" is refused (VT_E_POLICY, out filled): see
 * vt_passport_verify_with to accept "warning".
 */
VT_NODISCARD VT_API vt_status vt_passport_verify(vt_passport_claims *out, const char *token, size_t len,
                                                 const vt_jwks *jwks, vt_time now, vt_err *err);

typedef struct vt_passport_verify_opts {
    bool accept_warning; /* also accept ear_status "warning" (default: "affirming" only) */
} vt_passport_verify_opts;
/*
 * vt_passport_verify with options (opts NULL = defaults).  Both require the
 * passport's ear_status to be "affirming" (or "warning" with accept_warning):
 * any other status returns VT_E_POLICY with the status and the first reason
 * in the message, and — as for an expired passport — leaves out filled.
 */
VT_NODISCARD VT_API vt_status vt_passport_verify_with(vt_passport_claims *out, const char *token, size_t len,
                                                      const vt_jwks *jwks, vt_time now,
                                                      const vt_passport_verify_opts *opts, vt_err *err);
/* Decodes without verifying (for display only). */
VT_NODISCARD VT_API vt_status vt_passport_decode(vt_passport_claims *out, const char *token, size_t len,
                                                 vt_err *err);

/* ---- a gateway's own requests to its verifier, authenticated by its passport ----
 * (docs/verifier.md, "Gateway authentication").  The Authorization value is
 *
 *   Veritee-Gateway passport=<passport token>, ts=<unix seconds>, sig=<base64url r||s>
 *
 * sig: ES256 by the enclave key that the passport's cnf names, over the text
 * "veritee-gateway-request-v1\n" METHOD "\n" PATH "\n" TS "\n" hex(SHA-256(body)).
 * PATH is the request path without the query. */
#define VT_PASSPORT_AUTH_SCHEME "Veritee-Gateway"
#define VT_PASSPORT_AUTH_MAX ((size_t)32 << 10) /* bytes of the whole value */
#define VT_PASSPORT_AUTH_SKEW 300               /* seconds ts may differ from now */

/* Signs one request.  url_or_path: a URL (its path is taken) or a path; body
 * may be NULL.  *out is the Authorization value, free(). */
VT_NODISCARD VT_API vt_status vt_passport_auth_sign(char **out, const char *passport, const vt_pkey *key,
                                                    const char *method, const char *url_or_path,
                                                    const uint8_t *body, size_t body_len, vt_time now,
                                                    vt_err *err);

typedef struct vt_passport_auth {
    char *passport;      /* owned: the passport token (not yet checked) */
    vt_time ts;
    uint8_t sig[64];     /* r||s */
} vt_passport_auth;
VT_API void vt_passport_auth_clear(vt_passport_auth *a);
/* Parses an Authorization value.  VT_E_NOTFOUND when it is another scheme,
 * VT_E_FORMAT (naming the field) or VT_E_LIMIT when malformed; out cleared on failure. */
VT_NODISCARD VT_API vt_status vt_passport_auth_parse(vt_passport_auth *out, const char *value, size_t len,
                                                     vt_err *err);
/* Checks a's signature over the request with attester_jwk (the passport's cnf
 * key, which the caller takes from a passport it trusts) and that |ts - now| <=
 * VT_PASSPORT_AUTH_SKEW.  VT_E_CRYPTO / VT_E_POLICY otherwise. */
VT_NODISCARD VT_API vt_status vt_passport_auth_check(const vt_passport_auth *a, const char *attester_jwk,
                                                     const char *method, const char *path, const uint8_t *body,
                                                     size_t body_len, vt_time now, vt_err *err);

#ifdef __cplusplus
}
#endif
#endif /* VERITEE_PASSPORT_H */
