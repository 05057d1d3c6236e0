/*
 * Internal: NVML's confidential-computing structures, as the driver's nvml.h
 * lays them out (no build-time dependency on it), and the parser that turns
 * what NVML wrote into evidence (tee/nvgpu_collect.c).
 */
#ifndef VT_TEE_NVGPU_NVML_H
#define VT_TEE_NVGPU_NVML_H

#include "veritee/base.h"

#define VT_NVML_CERT_CHAIN_SIZE 0x1000u
#define VT_NVML_ATTESTATION_CERT_CHAIN_SIZE 0x1400u
#define VT_NVML_NONCE_SIZE 0x20u
#define VT_NVML_REPORT_SIZE 0x2000u
#define VT_NVML_CEC_REPORT_SIZE 0x1000u

typedef struct vt__nvml_cc_state {
    unsigned int environment;  /* 0 unavailable, 1 simulation, 2 production */
    unsigned int cc_feature;   /* 0 disabled, 1 enabled */
    unsigned int devtools;     /* 0 disabled, 1 enabled */
} vt__nvml_cc_state;

typedef struct vt__nvml_certificate {
    unsigned int cert_chain_size;
    unsigned int attestation_cert_chain_size;
    unsigned char cert_chain[VT_NVML_CERT_CHAIN_SIZE];
    unsigned char attestation_cert_chain[VT_NVML_ATTESTATION_CERT_CHAIN_SIZE];
} vt__nvml_certificate;

typedef struct vt__nvml_report {
    unsigned int cec_present;
    unsigned int report_size;
    unsigned int cec_report_size;
    unsigned char nonce[VT_NVML_NONCE_SIZE];
    unsigned char report[VT_NVML_REPORT_SIZE];
    unsigned char cec_report[VT_NVML_CEC_REPORT_SIZE];
} vt__nvml_report;

/*
 * What NVML wrote, as bytes (rep: a vt__nvml_report, cert: a
 * vt__nvml_certificate, each exactly that size; host byte order): the
 * report's declared size must fit its array and the bytes must parse as
 * NVIDIA SPDM evidence whose request nonce is `nonce`; the attestation chain
 * must fit and be PEM certificates.  Appends the report and the chain.
 * VT_E_FORMAT / VT_E_LIMIT name the field; outputs unchanged on failure.
 */
VT_NODISCARD vt_status vt__nvml_evidence(vt_buf *report_out, vt_buf *chain_pem_out, const uint8_t *rep,
                                         size_t rep_len, const uint8_t *cert, size_t cert_len,
                                         const uint8_t nonce[VT_NVML_NONCE_SIZE], vt_err *err);

#endif
