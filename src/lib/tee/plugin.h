/*
 * Internal: the platform plugin interface (HS-11).  Each tee/<platform>.c ends
 * with one `const vt__tee_ops`; tee/registry.c is the only file that lists
 * them.  No platform file includes another.
 */
#ifndef VT_TEE_PLUGIN_H
#define VT_TEE_PLUGIN_H

#include "veritee/tee.h"

#define VT_TEE_OPS_ABI 1u

#define VT_TEE_CAN_DETECT 0x1u
#define VT_TEE_CAN_COLLECT 0x2u
#define VT_TEE_CAN_VERIFY 0x4u
/* The plugin verifies its parts through vt_evidence_verify with the caller's
 * policy (debug, missing collateral, measurement log): the registry then only
 * checks report_data and derives the verdict from the findings. */
#define VT_TEE_POLICY_IN_PARTS 0x8u

/* Everything a plugin needs to verify one piece of evidence. */
typedef struct vt__verify_req {
    const uint8_t *evidence;
    size_t len;
    const vt_verify_opts *opts;     /* now, collateral, cache, trust_sim */
    vt_x509 *const *roots;          /* trusted roots for this platform (pinned, plus sim when trusted) */
    size_t root_count;
    size_t prod_root_count;         /* roots[0..prod_root_count) are pinned production roots */
} vt__verify_req;

typedef struct vt__collect_req {
    const vt_collect_opts *opts;
} vt__collect_req;

typedef struct vt__tee_ops {
    uint32_t abi;       /* VT_TEE_OPS_ABI */
    vt_tee_kind kind;
    const char *name;
    uint32_t caps;
    /* True when these bytes look like this platform's evidence (cheap, no crypto). */
    bool (*probe)(const uint8_t *p, size_t len);
    /* Fills hw with what this machine offers for the platform. */
    void (*detect)(vt_hw_entry *hw, const char *sysroot);
    vt_status (*collect)(const vt__collect_req *req, vt_buf *evidence_out, vt_err *err);
    /*
     * Parses and verifies.  Fills res->claims and the signature/chain/collateral
     * flags, and records every failed check with vt__result_fail() (or a
     * warning with vt__result_warn()).  Returns VT_OK when the evidence could
     * be examined, VT_E_FORMAT/LIMIT/UNSUPPORTED when it could not be read.
     * The registry computes the verdict afterwards.
     */
    vt_status (*verify)(const vt__verify_req *req, vt_result *res, vt_err *err);
    /* Every parsed field as JSON text (malloc'd). */
    vt_status (*inspect)(const uint8_t *p, size_t len, char **json_out, vt_err *err);
} vt__tee_ops;

/* Record a failed check / a warning on a result (messages are truncated to fit). */
void vt__result_fail(vt_result *r, const char *check, const char *fmt, ...) VT_PRINTF(3, 4);
/* Bytes as a lowercase hex JSON string, for the plugins' inspect output (JSON null on allocation failure). */
struct json_t;
struct json_t *vt__json_hex(const uint8_t *p, size_t n);
void vt__result_warn(vt_result *r, const char *check, const char *fmt, ...) VT_PRINTF(3, 4);
/* Add a binary claim; silently ignores overflow past VT_CLAIMS_MAX (a bug, asserted in debug). */
void vt__claims_add(vt_claims *c, const char *name, const uint8_t *value, size_t len);
/* A text claim (a version string, an id): kept as text when every byte is printable
 * ASCII, else added as a binary claim (shown as hex). */
void vt__claims_add_text(vt_claims *c, const char *name, const char *value);
/* Copies a claim as it is (text or binary) under a new name. */
void vt__claims_copy(vt_claims *c, const char *name, const vt_claim *from);
void vt__claims_add_signer(vt_claims *c, const char *role, const char *value);
/* Add an advisory ID once (duplicates ignored; silently capped at VT_ADVISORIES_MAX). */
void vt__claims_add_advisory(vt_claims *c, const char *id);
/* Narrow the validity window to [nb, na]. */
void vt__claims_window(vt_claims *c, vt_time nb, vt_time na);

/* Feeds u64le(len) || p to a digest: the framing every cache key uses, so
 * that two inputs can never run into each other. */
vt_status vt__digest_update_lp(vt_digest_ctx *d, const void *p, size_t len, vt_err *err);
/* SHA-256 over every collateral blob, length-prefixed: the cache key of a collateral set. */
vt_status vt__collateral_digest(uint8_t out[32], const vt_collateral *c, vt_err *err);

/* Pinned production roots (tee/roots.c).  Borrowed, parsed once, process-lifetime. */
vt_status vt__roots_intel_sgx(vt_x509 **out, vt_err *err);
/* AMD SEV-SNP, one per product line in the order Milan, Genoa, Turin: the
 * ARKs (trust anchors), and the ASKs then ASVKs (intermediates, anchored by
 * the ARKs like any other intermediate; pinned so that the collateral need
 * only carry the VCEK/VLEK).  Borrowed, parsed once, process-lifetime. */
#define VT_AMD_PRODUCTS 3
vt_status vt__roots_amd_arks(vt_x509 *out[VT_AMD_PRODUCTS], vt_err *err);
vt_status vt__roots_amd_intermediates(vt_x509 *out[2 * VT_AMD_PRODUCTS], vt_err *err);
vt_status vt__roots_aws_nitro(vt_x509 **out, vt_err *err);
/* NVIDIA Device Identity CA (GPU and NVSwitch chains).  Borrowed, parsed once, process-lifetime. */
vt_status vt__roots_nvidia_device(vt_x509 **out, vt_err *err);
/* The pinned NVIDIA CoRIM signing Root CA (signs the RIM signing chain); borrowed, process lifetime. */
vt_status vt__roots_nvidia_rim(vt_x509 **out, vt_err *err);

/* Google Compute Engine vTPM EK/AK CAs (tee/tpm_roots.c): the roots (2018
 * and 2022), then the intermediates that issue AK certificates.  Borrowed,
 * parsed once, process-lifetime. */
#define VT_GCE_TPM_ROOTS 2
#define VT_GCE_TPM_INTERMEDIATES 3
vt_status vt__roots_gce_tpm(vt_x509 *out[VT_GCE_TPM_ROOTS], vt_err *err);
vt_status vt__roots_gce_tpm_intermediates(vt_x509 *out[VT_GCE_TPM_INTERMEDIATES], vt_err *err);

/* Simulation root and mock key in the state directory (tee/sim_root.c). */
vt_status vt__sim_root_load(vt_x509 **out, const char *state_dir, vt_err *err);

extern const vt__tee_ops vt__tee_mock;
extern const vt__tee_ops vt__tee_tdx;
extern const vt__tee_ops vt__tee_sevsnp;
extern const vt__tee_ops vt__tee_nitro;
extern const vt__tee_ops vt__tee_nvgpu;
extern const vt__tee_ops vt__tee_tpm;
extern const vt__tee_ops vt__tee_composite;

#endif
