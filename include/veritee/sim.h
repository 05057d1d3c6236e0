/*
 * veritee simulation: evidence in each platform's real binary format, signed
 * by a local simulation root that lives in the state directory and is made on
 * first use.  A verifier accepts it only with vt_verify_opts.trust_sim, and
 * even then reports hardware_attested = false.
 */
#ifndef VERITEE_SIM_H
#define VERITEE_SIM_H

#include "veritee/base.h"
#include "veritee/tee.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct vt_sim_tdx_opts {
    int version;          /* 4, or 5 (body type 3, TDX 1.5) */
    bool debug;           /* set TD_ATTRIBUTES.DEBUG */
    bool td_attributes_set; /* use td_attributes instead of SEPT_VE_DISABLE (| DEBUG) */
    uint64_t td_attributes;
    bool out_of_date;     /* collateral rates the platform TCB OutOfDate, with advisories */
    bool revoked;         /* the PCK CRL lists the simulated PCK certificate */
    bool no_crl;          /* leave the CRLs out of the collateral */
    uint8_t report_data[VT_REPORT_DATA_LEN];
    const uint8_t *rtmr3; /* borrowed, 48 bytes: RTMR3 as a measurement log replays; NULL = derived */
    vt_time now;          /* certificates and collateral are valid around this time */
    const char *state_dir; /* borrowed; the simulation root lives in <state_dir>/sim */
    bool same_machine;    /* one simulated machine per simulation root in this process: the PCK key
                             and certificate, and the collateral for up to an hour, are reused as a
                             real platform's are; false = a new machine (new PCK) on every call */
    uint32_t tcb_eval_num; /* tcbEvaluationDataNumber of the TCB info and QE identity; 0 = 17 */
} vt_sim_tdx_opts;

/*
 * Makes a TDX quote (appended to quote_out) and, when coll_out is non-NULL,
 * collateral in Intel PCS formats added to it (tcb_info_<fmspc>.json,
 * td_qe_identity.json, tcb_signing_chain.pem, pck_crl_platform.der,
 * root_ca_crl.der).
 */
VT_NODISCARD VT_API vt_status vt_sim_tdx(vt_buf *quote_out, vt_collateral *coll_out,
                                         const vt_sim_tdx_opts *opts, vt_err *err);

typedef struct vt_sim_sevsnp_opts {
    bool debug;            /* set POLICY.DEBUG (bit 19) */
    bool no_smt;           /* clear POLICY.SMT (bit 16) and PLATFORM_INFO.SMT_EN */
    bool migrate_ma;       /* set POLICY.MIGRATE_MA (bit 18) */
    uint32_t vmpl;         /* the report's VMPL, 0..3 */
    uint8_t report_data[VT_REPORT_DATA_LEN];
    vt_time now;           /* the VCEK is valid around this time */
    const char *state_dir; /* borrowed; the simulation root and ASK live in <state_dir>/sim */
} vt_sim_sevsnp_opts;

/*
 * Makes an AMD SEV-SNP attestation report (version 3, Milan layout, 1184
 * bytes, appended to report_out) signed by a fresh simulated VCEK (P-384)
 * whose TCB and hwID extensions match the report, and, when coll_out is
 * non-NULL, adds vcek.pem and ask.pem to it.  The ASK is issued by the
 * simulation root.
 */
VT_NODISCARD VT_API vt_status vt_sim_sevsnp(vt_buf *report_out, vt_collateral *coll_out,
                                            const vt_sim_sevsnp_opts *opts, vt_err *err);

typedef struct vt_sim_nitro_opts {
    bool debug;                  /* PCR0..15 all zero, as debug-mode enclaves report */
    const uint8_t *nonce;        /* borrowed; NULL = null in the document; <= 1024 bytes */
    size_t nonce_len;
    const uint8_t *user_data;    /* borrowed; NULL = null; <= 1024 bytes */
    size_t user_data_len;
    const uint8_t *public_key;   /* borrowed; NULL = null; <= 1024 bytes */
    size_t public_key_len;
    vt_time now;                 /* the document timestamp; the leaf is valid about 3 hours around it */
    const char *state_dir;       /* borrowed; the simulation root lives in <state_dir>/sim */
} vt_sim_nitro_opts;

/*
 * Makes an AWS Nitro Enclaves attestation document (appended to doc_out) in
 * the NSM's format: untagged COSE_Sign1, ES384, payload with 16 PCRs, a fresh
 * P-384 leaf and cabundle = [simulation root, a fresh simulated zonal CA].
 * The report_data the verifier derives is the nonce (docs/formats/nitro.md).
 */
VT_NODISCARD VT_API vt_status vt_sim_nitro(vt_buf *doc_out, const vt_sim_nitro_opts *opts, vt_err *err);

typedef struct vt_sim_nvgpu_opts {
    uint8_t nonce[32];           /* the SPDM request nonce (the verifier's report_data, zero-padded) */
    const char *driver_version;  /* borrowed; NULL = "570.00" */
    vt_time now;                 /* the certificates are valid around this time */
    const char *state_dir;       /* borrowed; the simulation root lives in <state_dir>/sim */
} vt_sim_nvgpu_opts;

/*
 * Makes NVIDIA GPU evidence in the driver's format (appended to
 * evidence_out): an SPDM 1.1 GET_MEASUREMENTS request with the nonce and the
 * signed MEASUREMENTS response (16 SHA-384 measurements, NVIDIA's opaque
 * TLVs with driver/VBIOS versions, project, SKUs and the FWID), signed with
 * ECDSA P-384 by a fresh device leaf whose TCG DICE extension carries the
 * FWID.  When coll_out is non-NULL, adds certchain.pem (leaf, a simulated
 * "GH100 BROM" device CA, the simulation root; leaf first, like the driver's)
 * and reference.json (veritee-nvgpu-ref-v1: the simulated golden values).
 */
VT_NODISCARD VT_API vt_status vt_sim_nvgpu(vt_buf *evidence_out, vt_collateral *coll_out,
                                           const vt_sim_nvgpu_opts *opts, vt_err *err);
typedef struct vt_sim_azure_opts {
    int version;                 /* the envelope's format: 0 (byte arrays), 1 or 2 (hex and base64url; 2 also
                                    puts the report data in the runtime data's "user-data") */
    uint8_t report_data[VT_REPORT_DATA_LEN]; /* the quote's extraData (the verifier's report data) */
    size_t report_data_len;      /* 0..64 bytes */
    bool tdx;                    /* an Azure TDX CVM (TDREPORT + TD quote; versions 1, 2) instead of SEV-SNP */
    vt_time now;                 /* the VCEK, PCK and collateral are valid around this time */
    const char *state_dir;       /* borrowed; the simulation root and CAs live in <state_dir>/sim */
    /* The hardware report's configuration; zero is what Azure's CVMs report (SEV-SNP POLICY with SMT
     * allowed, VMPL 0, the paravisor's; TD_ATTRIBUTES 0). */
    bool debug;                  /* SEV-SNP POLICY.DEBUG, or TD_ATTRIBUTES.DEBUG */
    bool no_smt;                 /* SEV-SNP: clear POLICY.SMT */
    bool migrate_ma;             /* SEV-SNP: set POLICY.MIGRATE_MA */
    uint32_t vmpl;               /* SEV-SNP: the report's VMPL, 0..3 */
    uint64_t td_attributes;      /* TDX: TD_ATTRIBUTES (DEBUG is added when debug is set) */
} vt_sim_azure_opts;

/*
 * Makes an Azure confidential VM evidence envelope (the attesters'
 * evidence.orig.json, docs/formats/azure-cvm.md; appended to envelope_out):
 * a fresh RSA attestation key as the HCLAkPub JWK in the runtime data, an HCL
 * report whose SEV-SNP report (as vt_sim_sevsnp makes it) or TDREPORT (with
 * its TD quote, as vt_sim_tdx makes it) binds SHA-256 of that runtime data,
 * and a TPM2 quote of 24 SHA-256 PCRs over report_data signed with the AK.
 * The VCEK or TD quote travels in the envelope; when coll_out is non-NULL,
 * what the verifier needs beside it is added (SNP: ask.pem; TDX: the PCS
 * collateral).
 */
VT_NODISCARD VT_API vt_status vt_sim_azure(vt_buf *envelope_out, vt_collateral *coll_out,
                                           const vt_sim_azure_opts *opts, vt_err *err);

/*
 * Provisions the TPM at tpm->tpm_tcti (a swtpm, `veritee sim tpm start
 * --azure`) as the vTPM of a simulated Azure SEV-SNP confidential VM: the AK
 * collection quotes with (tpm->tpm_ak_handle, or the default transient RSA
 * AK) becomes HCLAkPub in the runtime data, an SEV-SNP report (as
 * vt_sim_sevsnp makes it, under opts->state_dir's simulation root) binds
 * SHA-256 of that runtime data, and the HCL report is written to NV index
 * VT_TPM_HCL_NV_INDEX (veritee/tpm.h), where collection reads it.  The
 * report is made once: unlike Azure's it is not refreshed when user-data is
 * written (the simulated vTPM has no user-data index), so its user-data is
 * zero and freshness comes from the quote's extraData alone.  The hardware
 * report's certificates (vcek.pem, ask.pem) are added to certs_out, which
 * collection carries in the evidence (vt_collect_opts.tpm_hw_certs).
 * opts: state_dir and now; version 0 or 1, not tdx.
 */
VT_NODISCARD VT_API vt_status vt_sim_azure_tpm(vt_collateral *certs_out, const vt_collect_opts *tpm,
                                               const vt_sim_azure_opts *opts, vt_err *err);

/* Checks that path holds a simulation root certificate (PEM, CN "veritee
 * Simulation Root CA"), as vt_verify_opts.sim_root_files must. */
VT_NODISCARD VT_API vt_status vt_sim_root_check(const char *path, vt_err *err);

/* Path of the simulation root certificate (PEM) in the state directory,
 * creating the simulation CA on first use.  out gets a NUL-terminated path. */
VT_NODISCARD VT_API vt_status vt_sim_root_path(char *out, size_t out_len, const char *state_dir,
                                               vt_err *err);

/*
 * A software TPM (swtpm) has no vendor AK certificate: `veritee sim tpm start`
 * records its AK here, <state_dir>/sim/tpm_ak_sha256 (SHA-256 of the AK's
 * SubjectPublicKeyInfo, hex).  A verifier with trust_sim and this state_dir
 * then trusts that AK, as it trusts the simulation root; never as hardware.
 */
VT_NODISCARD VT_API vt_status vt_sim_tpm_pin_ak(const char *state_dir, const uint8_t ak_sha256[32], vt_err *err);

#ifdef __cplusplus
}
#endif
#endif /* VERITEE_SIM_H */
