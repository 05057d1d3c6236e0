/*
 * Internal: what NVIDIA GPU verification asks NVIDIA's services for, through
 * tee/fetch.c (timeouts, size caps, backoff, one request in flight, disk
 * cache): the driver and VBIOS RIMs from the RIM service by ID, and OCSP
 * answers for the device certificate chain (docs/formats/nvgpu.md,
 * "Fetching RIMs and OCSP").  Nothing fetched is trusted: RIMs are verified by
 * nvgpu_rim.c, OCSP responses by crypto/ocsp.c.
 */
#ifndef VT_TEE_NVGPU_FETCH_H
#define VT_TEE_NVGPU_FETCH_H

#include "tee/nvgpu_spdm.h"
#include "veritee/base.h"
#include "veritee/crypto.h"
#include "veritee/tee.h"

#define VT_NVGPU_RIM_DEFAULT_URL "https://rim.attestation.nvidia.com"
#define VT_NVGPU_OCSP_DEFAULT_URL "https://ocsp.ndis.nvidia.com"
#define VT_NVGPU_URL_MAX 256
#define VT_NVGPU_RIM_ID_MAX 96
#define VT_NVGPU_RIM_JSON_MAX (512u * 1024u) /* base64 of a RIM (<= 256 KiB) plus a few fields */

/*
 * The RIM service IDs of the evidence, as NVIDIA's verifier derives them:
 * driver "NV_GPU_DRIVER_GH100_<driver version>", VBIOS
 * "NV_GPU_VBIOS_<project>_<project SKU>_<chip SKU>_<VBIOS version without
 * dots>" (upper case) from the opaque TLVs.  An ID is "" when the evidence
 * lacks what it needs (an NVSwitch: no driver, no project TLVs).
 */
void vt__nvgpu_rim_ids(char driver[VT_NVGPU_RIM_ID_MAX], char vbios[VT_NVGPU_RIM_ID_MAX],
                       const vt__nvgpu_evidence *e);

/*
 * A RIM service answer: a JSON object (at most VT_NVGPU_RIM_JSON_MAX bytes)
 * whose "id" is want_id (when want_id is non-NULL) and whose "rim" is the
 * base64 of the RIM; a "sha256" field, when present, must be the SHA-256 of
 * the decoded RIM.  Appends the decoded RIM to xml (at most
 * VT_NVGPU_RIM_MAX bytes).  VT_E_FORMAT / VT_E_LIMIT name the field; xml is
 * unchanged on failure.
 */
VT_NODISCARD vt_status vt__nvgpu_rim_service_decode(vt_buf *xml, const uint8_t *json, size_t len,
                                                    const char *want_id, vt_err *err);

/* Fetches the RIM with this ID from o->rim_url (or the default) through the
 * fetcher and appends the decoded RIM to xml.  err names the URL. */
VT_NODISCARD vt_status vt__nvgpu_rim_fetch(vt_buf *xml, const char *id, const vt_verify_opts *o, vt_err *err);

/* Drops the cached answer for RIM id (it failed verification at the real
 * time as well as at the verification time) and remembers the failure, so that
 * the RIM service is asked again after the backoff instead of never. */
void vt__nvgpu_rim_forget(const char *id, const vt_verify_opts *o, const char *why);

typedef struct vt__nvgpu_ocsp_result {
    size_t checked;        /* certificates asked about */
    size_t good, revoked, unknown;
    vt_time until;         /* earliest nextUpdate of the answers */
    char first_bad[200];   /* the first certificate not "good", and why */
} vt__nvgpu_ocsp_result;

/*
 * Asks o->ocsp_url (or the default) about chain[1] .. chain[n-2], each
 * against its issuer chain[i+1]: the device-issued leaf chain[0] (made by
 * the device at boot; NVIDIA's responder never heard of it) and the root are
 * not asked about, as NVIDIA's verifier does.  chain: leaf first, verified.
 * VT_OK when every answer verified (the statuses are in *out); otherwise err
 * names the URL, the certificate and what failed.
 */
VT_NODISCARD vt_status vt__nvgpu_ocsp_check(vt__nvgpu_ocsp_result *out, vt_x509 *const *chain, size_t n,
                                            const vt_verify_opts *o, vt_err *err);

#endif
