/*
 * veritee attester flow: the client side of the verifier's /v1/attest, shared
 * by `veritee attest --verifier` and the gateway's trusted boot.
 *
 *   POST /v1/challenge -> nonce
 *   evidence with report_data = vt_report_data_bind(nonce, raw public key X||Y)
 *   POST /v1/attest {evidence, platform, collateral, log, public_key (JWK), nonce, environment}
 *   -> the AI Passport (token, id, status, reasons)
 *
 * Blocking (libcurl); call it from a thread that may wait.
 */
#ifndef VERITEE_ATTESTER_H
#define VERITEE_ATTESTER_H
#include "veritee/base.h"
#include "veritee/crypto.h"
#include "veritee/http.h"
#include "veritee/mlog.h"
#include "veritee/tee.h"
#ifdef __cplusplus
extern "C" {
#endif

typedef struct vt_attester_opts {
    const char *verifier_url;  /* borrowed; base URL without a trailing '/' */
    const char *environment;   /* borrowed; environment id */
    vt_tee_kind platform;      /* VT_TEE_NONE = the detected TEE, else mock */
    bool simulate;             /* simulated evidence: tdx (RTMR3 = the log's replay), sevsnp, nitro (the
                                  simulated NSM's PCRs in state_dir), tpm (the TPM at tpm_tcti, swtpm) */
    bool debug;                /* simulated debug TD/guest */
    const char *state_dir;     /* borrowed; mock key, mock register, simulation root */
    const char *sysroot;       /* borrowed; NULL = "/" */
    const char *tpm_tcti;      /* borrowed; tpm: a tpm2-tss TCTI string, NULL = device:/dev/tpmrm0 */
    long timeout_ms;           /* per HTTP request; 0 = 30000 */
    /* Optional, for a gateway renewing its passport: each request is signed under the
     * current passport and its enclave key (Veritee-Gateway authorization, passport.h),
     * which the verifier limits per gateway instead of per address.  Both borrowed. */
    const char *auth_passport;
    const vt_pkey *auth_key;
    const char *tpm_hw_certs;  /* borrowed; tpm: vt_collect_opts.tpm_hw_certs (Azure: the VCEK chain) */
    vt_http_conn *conn;        /* borrowed; NULL = a connection of the run's own.  A client that attests
                                  again and again keeps one connection to the verifier across runs. */
} vt_attester_opts;

/*
 * Evidence bound to nonce and key: report_data = SHA-512(nonce || raw public
 * key).  Appends the evidence to ev_out, adds collateral that comes with it
 * (simulation: the Intel/AMD-format collateral) to coll_out (may be NULL),
 * and tells the platform in *kind_out.  log is needed for simulated TDX
 * (RTMR3 = its replay); on a platform without a register (sevsnp) it is bound
 * into report_data (vt_register_bind_report_data); it may be NULL otherwise.
 * All borrowed.
 */
VT_NODISCARD VT_API vt_status vt_attester_evidence(vt_buf *ev_out, vt_collateral *coll_out, vt_tee_kind *kind_out,
                                                   const vt_attester_opts *o, const vt_mlog *log,
                                                   const uint8_t *nonce, size_t nonce_len, const vt_pkey *key,
                                                   vt_err *err);

typedef struct vt_attester_result {
    char *token;         /* owned (free()): the passport token */
    char id[48];         /* "pass-…" */
    char status[24];     /* "affirming", "warning", "contraindicated" */
    char *reply_json;    /* owned (free()): the verifier's whole reply */
    char reason[256];    /* first non-affirming reason "component: reason", "" when none */
    vt_tee_kind kind;    /* platform of the evidence sent */
    uint8_t nonce[64];   /* the verifier's challenge the evidence answered (the passport's eat_nonce) */
    size_t nonce_len;    /* 0 when no evidence was sent */
} vt_attester_result;

/*
 * The whole flow.  VT_OK whenever the verifier issued a passport (look at
 * out->status: "affirming" or "warning").  A contraindicated appraisal gets no
 * passport: VT_E_POLICY, with out->status "contraindicated", out->reason and
 * out->reply_json (the appraisal) filled and out->token NULL.  VT_E_IO when
 * the verifier cannot be reached or answers 5xx/429, VT_E_POLICY for
 * 401/403/409/410/422, VT_E_ARG for other 4xx, with the verifier's error code
 * and message in err.  A verifier that answers nonce_unknown to the attest (a
 * SQLite verifier restarted since the challenge) is asked once more, with a
 * new challenge and new evidence.  Clear out with vt_attester_result_clear()
 * in every case.
 */
VT_NODISCARD VT_API vt_status vt_attester_run(vt_attester_result *out, const vt_attester_opts *o,
                                              const vt_mlog *log, const vt_pkey *key, vt_err *err);
VT_API void vt_attester_result_clear(vt_attester_result *r);

/* Collateral as a JSON object text {name: base64, ...}; free() the string. */
VT_NODISCARD VT_API vt_status vt_attester_collateral_json(char **json_out, const vt_collateral *c, vt_err *err);

#ifdef __cplusplus
}
#endif
#endif /* VERITEE_ATTESTER_H */
