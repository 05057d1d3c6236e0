/*
 * Internal: NVIDIA Reference Integrity Manifests (RIMs) for the driver and the
 * VBIOS: ISO/IEC 19770-2 SWID tags whose Payload lists golden measurements by
 * index, signed with an enveloped XML-DSig (ECDSA-P384, C14N 1.1) whose
 * KeyInfo carries the signing chain up to NVIDIA's RIM root
 * (docs/formats/nvgpu.md, "Reference values: RIMs").  Canonicalisation and
 * signature checking are xmlsec1's (over libxml2 and OpenSSL), not ours.
 */
#ifndef VT_TEE_NVGPU_RIM_H
#define VT_TEE_NVGPU_RIM_H

#include "veritee/base.h"
#include "veritee/crypto.h"

#define VT_NVGPU_RIM_MAX (256u * 1024u) /* a RIM is ~20 KiB */
#define VT_NVGPU_RIM_MEAS_MAX 128       /* Resource entries (H100: 64) */
#define VT_NVGPU_RIM_ALT_MAX 4          /* alternatives per index */
#define VT_NVGPU_RIM_VALUE_MAX 64
#define VT_NVGPU_RIM_CERTS_MAX 6

typedef struct vt__nvgpu_rim_meas {
    unsigned index;  /* RIM index: 0-based (the SPDM block index minus one) */
    bool active;
    size_t len;      /* bytes of each alternative (the Resource's size) */
    size_t alt_count;
    uint8_t alt[VT_NVGPU_RIM_ALT_MAX][VT_NVGPU_RIM_VALUE_MAX];
} vt__nvgpu_rim_meas;

typedef struct vt__nvgpu_rim {
    char version[64];   /* Meta colloquialVersion: "545.00", "96.00.5E.00.01" */
    char product[32];   /* Meta product: "GH100" */
    size_t meas_count;
    vt__nvgpu_rim_meas meas[VT_NVGPU_RIM_MEAS_MAX];
    /* Filled by vt__nvgpu_rim_verify only: */
    char signer[232];   /* the signing certificate's subject */
    vt_time not_before, not_after; /* the signing chain's common validity */
} vt__nvgpu_rim;

/* Parses the SWID tag's Meta and Payload (no signature check: fuzzing, inspect).
 * Refuses a DTD, more than the maxima above, duplicate indices and bad hex.
 * *out is cleared first; VT_E_FORMAT / VT_E_LIMIT name the field. */
VT_NODISCARD vt_status vt__nvgpu_rim_parse(vt__nvgpu_rim *out, const uint8_t *p, size_t len, vt_err *err);

/* Parses, then verifies: the KeyInfo chain (signer first) chains to one of
 * roots at now, and the one enveloped signature (Reference URI="", no other
 * reference) verifies with the signer's key over the whole document.
 * VT_E_CRYPTO when a signature or the chain fails. */
VT_NODISCARD vt_status vt__nvgpu_rim_verify(vt__nvgpu_rim *out, const uint8_t *p, size_t len, vt_x509 *const *roots,
                                            size_t root_count, vt_time now, vt_err *err);

/* The measurement of index, or NULL. */
const vt__nvgpu_rim_meas *vt__nvgpu_rim_find(const vt__nvgpu_rim *rim, unsigned index);

#endif
