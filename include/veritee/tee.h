/*
 * veritee unified evidence API: one way to detect the TEE, collect evidence
 * bound to a nonce, and verify evidence from any supported platform.
 *
 * Platforms are plugins registered in src/lib/tee/registry.c.  Whatever the
 * platform, verification yields the same vt_result: normalized claims, the
 * outcome of each check, and a verdict.  Nonce binding, debug policy,
 * missing-collateral policy and --strict are enforced here once for all
 * platforms, after the plugin has run.
 */
#ifndef VERITEE_TEE_H
#define VERITEE_TEE_H

#include "veritee/base.h"
#include "veritee/crypto.h"

#ifdef __cplusplus
extern "C" {
#endif

struct vt_mlog;

typedef enum vt_tee_kind {
    VT_TEE_NONE = 0, /* "auto" where a kind is asked for */
    VT_TEE_MOCK = 1,
    VT_TEE_TDX = 2,
    VT_TEE_SEVSNP = 3,
    VT_TEE_NITRO = 4,
    VT_TEE_TPM = 5,
    VT_TEE_NVGPU = 6,
    VT_TEE_COMPOSITE = 7, /* a CPU report bound to device reports (composite.h) */
} vt_tee_kind;

/* "mock", "tdx", ...; "auto" for VT_TEE_NONE. */
VT_API const char *vt_tee_name(vt_tee_kind kind);
/* Parses a platform name ("auto" gives VT_TEE_NONE).  VT_E_ARG when unknown. */
VT_NODISCARD VT_API vt_status vt_tee_parse(vt_tee_kind *out, const char *name, vt_err *err);

/* EAR-style verdicts. */
typedef enum vt_verdict {
    VT_VERDICT_AFFIRMING = 0,
    VT_VERDICT_WARNING = 1,
    VT_VERDICT_CONTRAINDICATED = 2,
} vt_verdict;
VT_API const char *vt_verdict_name(vt_verdict v); /* "affirming", ... */

#define VT_REPORT_DATA_LEN 64
#define VT_CLAIM_NAME_MAX 24
#define VT_CLAIM_VALUE_MAX 64
#define VT_CLAIMS_MAX 40
#define VT_ADVISORIES_MAX 64
#define VT_SIGNERS_MAX 6
#define VT_FINDINGS_MAX 24

/* A claim under its platform name ("mrtd", "rtmr0", "fmspc", "driver_version", ...).
 * Binary claims are shown as hex; a text claim (`text`) holds printable ASCII only
 * (0x20..0x7e, no NUL) and is shown as that string.  `value` is the same bytes either way. */
typedef struct vt_claim {
    char name[VT_CLAIM_NAME_MAX];
    uint8_t value[VT_CLAIM_VALUE_MAX];
    size_t len;
    bool text;
} vt_claim;

/* A signer identity: which key or certificate vouched for the evidence. */
typedef struct vt_signer {
    char role[24];   /* "pck", "qe", "tcb_info", "mock_key", ... */
    char value[232]; /* subject DN, or hex measurement of the signer */
} vt_signer;

/* Normalized claims, identical in shape for every platform. */
typedef struct vt_claims {
    vt_tee_kind platform;
    bool hardware_attested; /* false for mock and for simulation roots */
    uint32_t version;       /* evidence format version (quote v4/v5, ...) */
    vt_claim fields[VT_CLAIMS_MAX]; /* registers, other binary claims, text claims */
    size_t field_count;
    uint8_t report_data[VT_REPORT_DATA_LEN];
    bool debug;
    char tcb_status[48];    /* "UpToDate", ..., or "unknown" without collateral */
    char advisory_ids[VT_ADVISORIES_MAX][24];
    size_t advisory_count;
    vt_signer signers[VT_SIGNERS_MAX];
    size_t signer_count;
    vt_time not_before;     /* window in which every certificate and */
    vt_time not_after;      /*  collateral item used was valid */
} vt_claims;

/* Borrowed pointer into claims, or NULL. */
VT_API const vt_claim *vt_claims_get(const vt_claims *c, const char *name);


/* One failed check (or warning): `check` is a stable identifier. */
typedef struct vt_finding {
    char check[32]; /* "quote_signature", "pck_chain", "report_data", "tcb_status", ... */
    char msg[224];
} vt_finding;

/* The outcome of verifying one piece of evidence. */
typedef struct vt_result {
    bool valid;            /* verdict is affirming or warning */
    vt_verdict verdict;
    bool signature_valid;  /* the evidence's own signature(s) verify */
    bool chain_valid;      /* the signing key chains to a trusted root */
    bool collateral_verified; /* TCB collateral present, signed, current */
    vt_claims claims;
    vt_finding errors[VT_FINDINGS_MAX];
    size_t error_count;
    vt_finding warnings[VT_FINDINGS_MAX];
    size_t warning_count;
} vt_result;

/* ---- collateral: named blobs, each recognized by its content ---- */
typedef struct vt_collateral vt_collateral; /* caller owns, vt_collateral_free() */
VT_NODISCARD VT_API vt_status vt_collateral_new(vt_collateral **out, vt_err *err);
/* Copies the bytes. */
VT_NODISCARD VT_API vt_status vt_collateral_add(vt_collateral *c, const char *name, const uint8_t *p,
                                                size_t len, vt_err *err);
/* Adds every regular file of a directory (not recursive; at most 64 files of 4 MiB). */
VT_NODISCARD VT_API vt_status vt_collateral_load_dir(vt_collateral *c, const char *dir, vt_err *err);
/* Writes every blob as dir/name. */
VT_NODISCARD VT_API vt_status vt_collateral_save_dir(const vt_collateral *c, const char *dir, vt_err *err);
VT_API size_t vt_collateral_count(const vt_collateral *c);
/* Borrowed, valid while c lives. */
VT_API const uint8_t *vt_collateral_get(const vt_collateral *c, size_t i, const char **name, size_t *len);
VT_API void vt_collateral_free(vt_collateral *c);

/*
 * Cache of verified certificate chains and verified collateral, keyed by a
 * SHA-256 of their bytes and by the validity window.  Thread-safe.  Optional:
 * pass NULL to verify everything every time.  Caller owns, vt_verify_cache_free().
 */
typedef struct vt_verify_cache vt_verify_cache;
VT_NODISCARD VT_API vt_status vt_verify_cache_new(vt_verify_cache **out, vt_err *err);
VT_API void vt_verify_cache_free(vt_verify_cache *c);

/* Minimum REPORTED_TCB of one AMD product line (SPL values). */
typedef struct vt_env_snp_tcb {
    bool set;
    uint8_t fmc; /* Turin only */
    uint8_t bootloader, tee, snp, microcode;
} vt_env_snp_tcb;

#define VT_ENV_SNP_PRODUCTS 3 /* milan, genoa, turin: the sevsnp plugin's amd_product claim */

typedef struct vt_verify_opts {
    vt_tee_kind platform;        /* VT_TEE_NONE: recognize from the bytes */
    vt_time now;                 /* verification time; required */
    const vt_collateral *collateral; /* borrowed; NULL = none */
    const uint8_t *expected_report_data; /* borrowed; NULL = not checked */
    size_t expected_report_data_len;     /* <= 64; zero-padded to 64 before comparing */
    bool allow_missing_collateral; /* without collateral: warning instead of rejection */
    bool allow_debug;              /* accept debug TEEs (insecure) */
    bool strict;                   /* warnings become rejections */
    bool trust_sim;                /* trust the simulation root and mock key in state_dir */
    const char *state_dir;         /* borrowed; where simulation roots live (needed for trust_sim) */
    vt_verify_cache *cache;        /* borrowed; optional */
    const struct vt_mlog *mlog;    /* borrowed; optional measurement log (mlog.h), replayed
                                      against the platform's runtime register */
    /* Collateral the evidence names but nobody passed (SEV-SNP: the VCEK and,
     * when the pinned ASK does not fit, the ASK/ARK chain from AMD KDS).
     * Whatever is fetched or cached is collateral like any other: it must
     * still chain to a pinned root. */
    bool fetch;                    /* may ask the vendor service over the network; off = offline */
    const char *fetch_cache_dir;   /* borrowed; on-disk cache of fetched collateral, read even when
                                      fetch is off; NULL = no cache (then fetch asks every time) */
    const char *kds_url;           /* borrowed; AMD KDS base URL (mirrors, tests);
                                      NULL = https://kdsintf.amd.com */
    /* Intel TDX: TCB info, TD QE identity, PCK CRL and Root CA CRL for the
     * quote's FMSPC from an Intel PCS v4-compatible service (Intel PCS, a
     * PCCS, a mirror), from fetch_cache_dir or, with fetch, the network;
     * used whenever pcs_url is set or fetch is on.  Verified exactly as
     * collateral passed by the caller (docs/collateral.md). */
    const char *pcs_url;           /* borrowed; NULL = https://api.trustedservices.intel.com */
    const char *root_crl_url;      /* borrowed; Intel SGX Root CA CRL; NULL = {pcs_url}/sgx/certification/v4/rootcacrl,
                                      or Intel's certificates host when pcs_url is Intel's PCS */
    int64_t refresh_before_s;      /* fetched collateral is fetched anew this long before its nextUpdate
                                      (the cached copy serves meanwhile); 0 = only once expired */
    long fetch_timeout_s;          /* whole-request limit for each fetch; 0 = 20 s */
    /* TPM: attestation keys trusted without a certificate or hardware report,
     * each by the SHA-256 of its DER SubjectPublicKeyInfo (vt_pkey_spki_sha256).
     * Borrowed; NULL = none.  A pinned AK makes chain_valid, never hardware_attested. */
    const uint8_t (*tpm_ak_sha256)[32];
    size_t tpm_ak_count;
    /* SEV-SNP: the minimum TCB per product line ([0] Milan, [1] Genoa, [2] Turin;
     * borrowed, VT_ENV_SNP_PRODUCTS entries; NULL = none).  The certified REPORTED_TCB
     * is compared with it: tcb_status UpToDate, OutOfDate (a warning) or Unknown (no
     * minimum for the product).  Without it the status is Unknown. */
    const vt_env_snp_tcb *sevsnp_min_tcb;
    /* NVIDIA GPU: the driver and VBIOS RIMs by ID from NVIDIA's RIM service
     * ({rim_url}/v1/rim/{id}) when none is passed as collateral, and OCSP for
     * the device certificate chain (POST to ocsp_url); asked when fetch is on
     * or the URL is set, cached in fetch_cache_dir (docs/formats/nvgpu.md). */
    const char *rim_url;           /* borrowed; NULL = https://rim.attestation.nvidia.com */
    const char *ocsp_url;          /* borrowed; NULL = https://ocsp.ndis.nvidia.com */
    /* With trust_sim: simulation roots of other state directories (PEM files
     * <state>/sim/root_ca.pem, borrowed, at most VT_SIM_ROOT_FILES_MAX), for a
     * prover whose simulation CA is not the one in state_dir (a gateway with
     * its own state).  Each must be a simulation root (CN "veritee Simulation
     * Root CA"); like state_dir's it is never reported as hardware_attested. */
    const char *const *sim_root_files;
    size_t sim_root_file_count;
} vt_verify_opts;

#define VT_SIM_ROOT_FILES_MAX 4

/*
 * SEV-SNP: compares the certified REPORTED_TCB claims of verified evidence
 * (amd_product, reported_tcb_bl/_tee/_snp/_ucode, and _fmc on Turin) with
 * min[product] (VT_ENV_SNP_PRODUCTS entries).  Returns "UpToDate", "OutOfDate"
 * or "Unknown" (min states nothing for the product, or a component claim is
 * missing), and NULL when the claims carry no certified TCB.  why (why_len > 0)
 * receives " (<reason>)" or "", naming the first component below its minimum;
 * who names the minimum's source in it ("environment prod").
 */
VT_API const char *vt_sevsnp_tcb_status(char *why, size_t why_len, const vt_claims *c,
                                        const vt_env_snp_tcb *min, const char *who);

/*
 * Verifies evidence.  Returns VT_OK when the evidence could be examined (the
 * verdict is then in out, accepted or not), VT_E_FORMAT / VT_E_LIMIT /
 * VT_E_UNSUPPORTED when the bytes are not evidence we can read (out then
 * holds a contraindicated result with the reason), VT_E_ARG for bad options.
 */
VT_NODISCARD VT_API vt_status vt_evidence_verify(vt_result *out, const uint8_t *evidence, size_t len,
                                                 const vt_verify_opts *opts, vt_err *err);

/* Parses without verifying: every field as a JSON object (caller frees with free()). */
VT_NODISCARD VT_API vt_status vt_evidence_inspect(char **json_out, vt_tee_kind platform,
                                                  const uint8_t *evidence, size_t len, vt_err *err);

/* Recognizes the platform of evidence bytes; VT_TEE_NONE when none matches. */
VT_API vt_tee_kind vt_evidence_probe(const uint8_t *evidence, size_t len);

/* The result as one JSON object (caller frees with free()).  Fields: valid,
 * verdict, platform, hardware_attested, signature_valid, chain_valid,
 * collateral_verified, tcb_status, advisory_ids, claims, signers,
 * validity, errors, warnings. */
VT_NODISCARD VT_API vt_status vt_result_to_json(char **json_out, const vt_result *r, vt_err *err);
/* Claims alone as a JSON object (caller frees with free()). */
VT_NODISCARD VT_API vt_status vt_claims_to_json(char **json_out, const vt_claims *c, vt_err *err);

/* report_data = SHA-512(nonce || public key): the binding every platform uses. */
VT_NODISCARD VT_API vt_status vt_report_data_bind(uint8_t out[VT_REPORT_DATA_LEN], const uint8_t *nonce,
                                                  size_t nonce_len, const uint8_t *pub, size_t pub_len,
                                                  vt_err *err);

/* ---- detection and collection ---- */
typedef struct vt_hw_entry {
    vt_tee_kind kind;
    bool present;
    char evidence[160]; /* what was found: device nodes, configfs provider */
} vt_hw_entry;

typedef struct vt_hw_info {
    vt_hw_entry entries[8];
    size_t count;
    vt_tee_kind selected; /* what collection would use; VT_TEE_MOCK when none */
} vt_hw_info;

/* Looks for TEE interfaces under sysroot ("" or NULL for "/"). */
VT_API void vt_tee_detect(vt_hw_info *out, const char *sysroot);

typedef struct vt_collect_opts {
    vt_tee_kind platform;      /* VT_TEE_NONE: the detected one, else mock */
    uint8_t report_data[VT_REPORT_DATA_LEN];
    const char *state_dir;     /* borrowed; mock key location */
    const char *sysroot;       /* borrowed; "" or NULL = "/" (tests use a stand-in tree) */
    const char *tsm_instance;  /* borrowed; NULL = a fresh configfs-tsm instance (tests pre-create one) */
    /* Borrowed; NULL = not wanted.  Certificates that come with the evidence
     * (SEV-SNP: the configfs-tsm auxblob certificate table) are added here as
     * DER blobs named vcek.der, vlek.der, ask.der, ark.der.  Never trusted by
     * themselves: they are verification collateral like any other. */
    vt_collateral *certs_out;
    /* Borrowed; NULL = null in the request.  Nitro only: the NSM request's
     * user_data and public_key (at most 1024 bytes each), signed into the
     * document beside the nonce (= report_data). */
    const uint8_t *user_data;
    size_t user_data_len;
    const uint8_t *public_key;
    size_t public_key_len;
    /* TPM: how many bytes of report_data become the quote's qualifyingData
     * (0 = all 64; a TPM without SHA-512 takes at most 48). */
    size_t report_data_len;
    /* TPM (docs/formats/tpm.md, "Collection"); zero = the default.  The CLI
     * fills them from $VERITEE_TPM_TCTI (or $TPM2TOOLS_TCTI), $VERITEE_TPM_PCRS,
     * $VERITEE_TPM_BANK, $VERITEE_TPM_AK_ALG, $VERITEE_TPM_AK_HANDLE. */
    const char *tpm_tcti;      /* borrowed; NULL = device:<sysroot>/dev/tpmrm0 */
    uint32_t tpm_pcrs;         /* PCRs to quote (bit i = PCR i); 0 = 0-23 */
    uint16_t tpm_bank;         /* TPM_ALG_SHA1/256/384; 0 = SHA-256 */
    bool tpm_ak_ecc;           /* P-256 AK instead of RSA-2048 */
    uint32_t tpm_ak_handle;    /* persistent AK handle 0x81xxxxxx to load (or create there); 0 = transient */
    /* Borrowed; NULL = none.  A file of the certificates of the HCL report's
     * hardware report (Azure: the VCEK chain from THIM; a simulated vTPM:
     * what `veritee sim tpm start --azure` wrote), carried in the evidence
     * when the TPM holds an HCL report ($VERITEE_TPM_HW_CERTS in the CLI). */
    const char *tpm_hw_certs;
} vt_collect_opts;

/* Collects evidence; appends it to out and tells which platform made it. */
VT_NODISCARD VT_API vt_status vt_evidence_collect(vt_buf *out, vt_tee_kind *kind_out,
                                                  const vt_collect_opts *opts, vt_err *err);

#ifdef __cplusplus
}
#endif
#endif /* VERITEE_TEE_H */
