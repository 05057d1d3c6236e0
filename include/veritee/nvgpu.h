/*
 * NVIDIA GPU confidential computing on this machine, through NVML
 * (libnvidia-ml.so.1, loaded at run time: no build-time dependency): the CC
 * state and GPU count, and per GPU the attestation report for a nonce and
 * the device certificate chain -- the evidence 'veritee verify' accepts
 * (docs/formats/nvgpu.md, "Collecting with NVML").
 */
#ifndef VERITEE_NVGPU_H
#define VERITEE_NVGPU_H

#include "veritee/base.h"

#ifdef __cplusplus
extern "C" {
#endif

#define VT_NVML_DEFAULT_LIBRARY "libnvidia-ml.so.1"
#define VT_NVGPU_NONCE_LEN 32

typedef enum vt_nvgpu_cc {
    VT_NVGPU_CC_UNKNOWN = 0, /* NVML missing, or too old to say */
    VT_NVGPU_CC_OFF = 1,
    VT_NVGPU_CC_ON = 2,
    VT_NVGPU_CC_DEVTOOLS = 3 /* on, in developer-tools mode: not for production secrets */
} vt_nvgpu_cc;

typedef struct vt_nvgpu_status {
    bool nvml;                 /* the library loaded and initialised */
    unsigned gpu_count;
    vt_nvgpu_cc cc;
    bool cc_production;        /* NVML says the CC environment is production (not simulation) */
    char driver_version[80];   /* "" when unknown */
    char message[256];         /* what is missing or off, for people */
} vt_nvgpu_status;

/* What NVML says about this machine.  library: a path or soname; NULL =
 * VT_NVML_DEFAULT_LIBRARY.  Never fails: out->message says why it knows nothing. */
VT_API void vt_nvgpu_status_get(vt_nvgpu_status *out, const char *library);

/*
 * The attestation report of GPU `index` for nonce (appended to report_out:
 * the SPDM GET_MEASUREMENTS request and signed response, as the driver gives
 * it) and its certificate chain (PEM, leaf first, appended to chain_pem_out).
 * The report must parse and carry nonce.  VT_E_UNSUPPORTED when NVML is
 * missing or CC is off (no evidence is made up); VT_E_ARG for an index past
 * the GPU count; VT_E_IO when NVML refuses; VT_E_FORMAT when what it gives
 * is not evidence for this nonce.  Outputs unchanged on failure.
 */
VT_NODISCARD VT_API vt_status vt_nvgpu_collect(vt_buf *report_out, vt_buf *chain_pem_out, unsigned index,
                                               const uint8_t nonce[VT_NVGPU_NONCE_LEN], const char *library,
                                               vt_err *err);

#ifdef __cplusplus
}
#endif
#endif /* VERITEE_NVGPU_H */
