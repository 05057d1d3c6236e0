/*
 * Internal: Intel TDX collateral -- TCB Info v3 and TD QE Identity v2 JSON
 * (Intel PCS v4), their signatures over the exact bytes of the signed value
 * as served, and TCB level / QE identity matching (docs/formats/tdx.md).
 */
#ifndef VT_TEE_TDX_COLLATERAL_H
#define VT_TEE_TDX_COLLATERAL_H

#include "veritee/base.h"
#include "veritee/crypto.h"
#include "veritee/tee.h"
#include "tee/cache.h"
#include "tee/tdx_eval.h"

#define TDX_COLL_JSON_MAX (1024 * 1024) /* one TCB info / QE identity document */
#define TDX_TCB_LEVELS_MAX 64
#define TDX_MODULE_IDS_MAX 16
#define TDX_MODULE_LEVELS_MAX 32
#define TDX_QE_LEVELS_MAX 32
#define TDX_ADVISORY_POOL_MAX 1024
#define TDX_ADVISORY_LEN 24
#define TDX_TCB_SIGNER_CN "Intel SGX TCB Signing"

/* Ordered from best to worst (Revoked worst of the published ones). */
typedef enum vt__tdx_status {
    TDX_ST_UP_TO_DATE = 0,
    TDX_ST_SW_HARDENING_NEEDED,
    TDX_ST_CONFIGURATION_NEEDED,
    TDX_ST_CONFIGURATION_AND_SW_HARDENING_NEEDED,
    TDX_ST_OUT_OF_DATE,
    TDX_ST_OUT_OF_DATE_CONFIGURATION_NEEDED,
    TDX_ST_REVOKED,
    TDX_ST_NO_MATCH, /* evaluation result only: no TCB level applies */
} vt__tdx_status;

/* "UpToDate", ..., "Revoked", "NoMatchingTcbLevel". */
const char *vt__tdx_status_name(vt__tdx_status s);
/* Intel's convergence: Revoked dominates, out-of-date and configuration flags combine. */
vt__tdx_status vt__tdx_status_combine(vt__tdx_status a, vt__tdx_status b);

typedef struct vt__tdx_adv_range {
    uint16_t first, count; /* into the owner's advisory pool */
} vt__tdx_adv_range;

typedef struct vt__tdx_tcb_level {
    uint8_t sgx_comp[16];
    uint16_t pcesvn;
    uint8_t tdx_comp[16];
    vt__tdx_status status;
    vt_time tcb_date;
    vt__tdx_adv_range adv;
} vt__tdx_tcb_level;

typedef struct vt__tdx_module_level {
    uint8_t isvsvn;
    vt__tdx_status status;
    vt_time tcb_date;
    vt__tdx_adv_range adv;
} vt__tdx_module_level;

typedef struct vt__tdx_module_id {
    char id[16]; /* "TDX_01", as written */
    uint8_t mrsigner[48];
    uint8_t attributes[8];
    uint8_t attributes_mask[8];
    vt__tdx_module_level levels[TDX_MODULE_LEVELS_MAX];
    size_t level_count;
} vt__tdx_module_id;

typedef struct vt__tdx_tcb_info {
    uint32_t version;
    vt_time issue_date, next_update;
    uint8_t fmspc[6];
    uint8_t pceid[2];
    uint32_t tcb_type;
    uint32_t tcb_eval_num;
    uint8_t mod_mrsigner[48];
    uint8_t mod_attributes[8];
    uint8_t mod_attributes_mask[8];
    vt__tdx_tcb_level levels[TDX_TCB_LEVELS_MAX];
    size_t level_count;
    vt__tdx_module_id modules[TDX_MODULE_IDS_MAX];
    size_t module_count;
    char adv_pool[TDX_ADVISORY_POOL_MAX][TDX_ADVISORY_LEN];
    size_t adv_count;
} vt__tdx_tcb_info;

typedef struct vt__tdx_qe_level {
    uint16_t isvsvn;
    vt__tdx_status status;
    vt_time tcb_date;
    vt__tdx_adv_range adv;
} vt__tdx_qe_level;

typedef struct vt__tdx_qe_identity {
    char id[16]; /* "TD_QE" */
    uint32_t version;
    vt_time issue_date, next_update;
    uint32_t tcb_eval_num;
    uint8_t miscselect[4], miscselect_mask[4];
    uint8_t attributes[16], attributes_mask[16];
    uint8_t mrsigner[32];
    uint16_t isvprodid;
    vt__tdx_qe_level levels[TDX_QE_LEVELS_MAX];
    size_t level_count;
    char adv_pool[128][TDX_ADVISORY_LEN];
    size_t adv_count;
} vt__tdx_qe_identity;

/* A signed collateral document split into the signed value and its signature. */
typedef struct vt__tdx_signed_doc {
    const uint8_t *value; /* borrowed: exact bytes of the "tcbInfo"/"enclaveIdentity" value */
    size_t value_len;
    uint8_t sig[64];      /* r||s big-endian */
} vt__tdx_signed_doc;

/*
 * Finds the raw bytes of the top-level member `key` in JSON text and the
 * hex "signature" beside it.  VT_E_NOTFOUND when the document has no such
 * member (it is some other document), VT_E_FORMAT when it is malformed.
 */
VT_NODISCARD vt_status vt__tdx_signed_doc_split(vt__tdx_signed_doc *out, const uint8_t *json, size_t len,
                                                const char *key, vt_err *err);

/* Parse the signed value (the bytes of the "tcbInfo" / "enclaveIdentity" value). */
VT_NODISCARD vt_status vt__tdx_tcb_info_parse(vt__tdx_tcb_info *out, const uint8_t *value, size_t len,
                                              vt_err *err);
VT_NODISCARD vt_status vt__tdx_qe_identity_parse(vt__tdx_qe_identity *out, const uint8_t *value, size_t len,
                                                 vt_err *err);

/* What the quote and PCK certificate contribute to TCB evaluation. */
typedef struct vt__tdx_tcb_input {
    uint8_t pck_comp_svn[16];
    uint16_t pck_pcesvn;
    uint8_t tee_tcb_svn[16];
    uint8_t mrsignerseam[48];
    uint8_t seam_attributes[8];
    uint8_t qe_miscselect[4];
    uint8_t qe_attributes[16];
    uint8_t qe_mrsigner[32];
    uint16_t qe_isvprodid;
    uint16_t qe_isvsvn;
} vt__tdx_tcb_input;

typedef struct vt__tdx_tcb_eval {
    vt__tdx_status platform, module, qe, combined;
    char module_id[16];   /* "" when TEE_TCB_SVN[1] == 0 (TDX 1.0, no module identity) */
    bool module_ok;       /* MRSIGNERSEAM / SEAM attributes match tdxModule (and the module identity) */
    char module_problem[160];
    bool qe_ok;           /* QE report matches the TD_QE identity (miscselect, attributes, mrsigner, isvprodid) */
    char qe_problem[160];
    char advisories[64][TDX_ADVISORY_LEN];
    size_t advisory_count;
} vt__tdx_tcb_eval;

/* TCB level matching (platform, TDX module identity, QE identity). */
void vt__tdx_tcb_evaluate(vt__tdx_tcb_eval *out, const vt__tdx_tcb_info *tcb, const vt__tdx_qe_identity *qe,
                          const vt__tdx_tcb_input *in);


/* ---- collateral sets: blobs sorted by content, signers, verification ---- */

#define TDX_COLL_JSON_DOCS_MAX 32
#define TDX_COLL_CHAINS_MAX 16
#define TDX_COLL_CHAIN_LEN_MAX 4
#define TDX_COLL_CRLS_MAX 16

typedef struct vt__tdx_signer {
    bool tried, ok;
    vt_pkey *key;         /* owned; the leaf's key when ok */
    char subject[232];
    vt_time not_before, not_after;
    size_t root_index;
    char problem[200];    /* why it cannot sign, when !ok */
} vt__tdx_signer;

/* The collateral of one verification, recognized by content (never by name). */
typedef struct vt__tdx_coll_set {
    const uint8_t *json[TDX_COLL_JSON_DOCS_MAX]; /* borrowed from the vt_collateral */
    size_t json_len[TDX_COLL_JSON_DOCS_MAX];
    size_t json_count;
    vt_x509 *chains[TDX_COLL_CHAINS_MAX][TDX_COLL_CHAIN_LEN_MAX]; /* owned */
    size_t chain_len[TDX_COLL_CHAINS_MAX];
    size_t chain_count;
    vt__tdx_signer signers[TDX_COLL_CHAINS_MAX];
    vt_crl *crls[TDX_COLL_CRLS_MAX]; /* owned */
    size_t crl_count;
    size_t ignored;                  /* blobs that are none of the above */
} vt__tdx_coll_set;

/* Sorts every blob of c by content (JSON / PEM or DER certificates / CRLs).
 * VT_E_LIMIT past the per-kind maxima; VT_E_FORMAT for an unreadable PEM. */
VT_NODISCARD vt_status vt__tdx_coll_set_load(vt__tdx_coll_set *set, const vt_collateral *c, vt_err *err);
/* As load, adding to what set already holds (collateral fetched from a PCS
 * beside what the caller passed).  On failure the whole set is freed. */
VT_NODISCARD vt_status vt__tdx_coll_set_add(vt__tdx_coll_set *set, const vt_collateral *c, vt_err *err);
void vt__tdx_coll_set_free(vt__tdx_coll_set *set);

/* Verified collateral for one FMSPC / PCE-ID: immutable once built (cacheable). */
typedef struct vt__tdx_coll {
    vt__cached base;
    vt__tdx_tcb_info tcb;
    vt__tdx_qe_identity qe;
    char tcb_signer[232];
    char qe_signer[232];
    vt_time not_before, not_after; /* both documents and their signer chains */
} vt__tdx_coll;

void vt__tdx_coll_release(vt__tdx_coll *c);

/*
 * Selects the TCB info for fmspc/pceid and the TD_QE identity, verifies each
 * signature with an "Intel SGX TCB Signing" certificate that chains to one of
 * roots at now (CRLs of the set applied), and checks issueDate/nextUpdate.
 * roots[0..prod_root_count) are production roots; under any other root the
 * simulator's "veritee Simulation TCB Signing" name is accepted too.
 * Of several TCB infos (QE identities) that verify, the one with the highest
 * tcbEvaluationDataNumber (then the latest issueDate) is used, whatever their
 * order; one below tcb_floor (qe_floor) is refused as a rollback (tdx_eval.h;
 * NULL: no floor).  Each failure is recorded on res ("tcb_info",
 * "qe_identity"); *out is set only when both verify.
 */
void vt__tdx_coll_verify(vt__tdx_coll **out, vt__tdx_coll_set *set, const uint8_t fmspc[6], const uint8_t pceid[2],
                         vt_x509 *const *roots, size_t root_count, size_t prod_root_count, vt_time now,
                         const vt__tdx_eval_floor *tcb_floor, const vt__tdx_eval_floor *qe_floor, vt_result *res);

#endif
