/*
 * Internal: NVIDIA GPU / NVSwitch confidential-computing evidence, i.e. the
 * SPDM 1.1 GET_MEASUREMENTS request followed by the MEASUREMENTS response as
 * the driver returns it.  Read with vt_rd into a struct that copies every
 * field (no pointer into the input survives the call).  Layout and limits
 * are in docs/formats/nvgpu.md.  Nothing here verifies a signature.
 */
#ifndef VT_TEE_NVGPU_SPDM_H
#define VT_TEE_NVGPU_SPDM_H

#include "veritee/base.h"

#define NVGPU_SPDM_VERSION 0x11u
#define NVGPU_CODE_GET_MEASUREMENTS 0xE0u
#define NVGPU_CODE_MEASUREMENTS 0x60u
#define NVGPU_REQ_LEN 37u          /* version, code, param1, param2, nonce[32], slot */
#define NVGPU_NONCE_LEN 32u
#define NVGPU_SIG_LEN 96u          /* ECDSA P-384 r||s, big-endian */
#define NVGPU_FWID_LEN 48u
#define NVGPU_MEAS_VALUE_MAX 64u   /* SHA-384 digests are 48 bytes; larger values are refused */
#define NVGPU_RECORD_MAX (255u * (7u + NVGPU_MEAS_VALUE_MAX))
#define NVGPU_OPAQUE_MAX 1024u     /* SPDM 1.1: OpaqueLength <= 1024 */
#define NVGPU_TLV_MAX 128u
#define NVGPU_EVIDENCE_MAX (NVGPU_REQ_LEN + 8u + NVGPU_RECORD_MAX + NVGPU_NONCE_LEN + 2u + NVGPU_OPAQUE_MAX + NVGPU_SIG_LEN)

/* GET_MEASUREMENTS Param1 bit 0: the requester asked for a signature. */
#define NVGPU_REQ_SIGNATURE 0x01u

/* NVIDIA opaque-data TLV types (docs/formats/nvgpu.md). */
#define NVGPU_TLV_DRIVER_VERSION 3u
#define NVGPU_TLV_VBIOS_VERSION 6u
#define NVGPU_TLV_FWID 20u

/* One DMTF measurement block. */
typedef struct vt__nvgpu_meas {
    uint8_t index;      /* SPDM index, 1-based */
    uint8_t spec;       /* MeasurementSpecification: 0x01 = DMTF */
    uint8_t type;       /* DMTFSpecMeasurementValueType (bit 7: raw bit stream) */
    uint16_t len;       /* value bytes */
    uint8_t value[NVGPU_MEAS_VALUE_MAX];
} vt__nvgpu_meas;

/* One opaque-data TLV: data lives in vt__nvgpu_evidence.opaque[off, off+len). */
typedef struct vt__nvgpu_tlv {
    uint16_t type;
    uint16_t len;
    uint16_t off;
} vt__nvgpu_tlv;

typedef struct vt__nvgpu_evidence {
    /* GET_MEASUREMENTS request */
    uint8_t req_version, req_code, req_param1, req_param2;
    uint8_t nonce[NVGPU_NONCE_LEN]; /* the verifier's freshness nonce */
    uint8_t slot;
    /* MEASUREMENTS response */
    uint8_t rsp_version, rsp_code, rsp_param1, rsp_param2;
    uint8_t block_count;
    uint32_t record_len;
    vt__nvgpu_meas meas[255];
    uint8_t rsp_nonce[NVGPU_NONCE_LEN];
    uint16_t opaque_len;
    uint8_t opaque[NVGPU_OPAQUE_MAX];
    vt__nvgpu_tlv tlv[NVGPU_TLV_MAX];
    size_t tlv_count;
    bool fwid_present;
    uint8_t fwid[NVGPU_FWID_LEN];
    uint8_t sig[NVGPU_SIG_LEN];
    size_t signed_len; /* the signature covers evidence[0, signed_len) */
} vt__nvgpu_evidence;

/* Cheap recognition: SPDM 1.1 GET_MEASUREMENTS then MEASUREMENTS. */
bool vt__nvgpu_probe(const uint8_t *p, size_t len);

/*
 * Parses evidence.  VT_E_FORMAT on any truncation, disagreement between a
 * length and the bytes, trailing bytes, or a malformed TLV; VT_E_LIMIT past
 * NVGPU_EVIDENCE_MAX / NVGPU_OPAQUE_MAX / NVGPU_TLV_MAX / NVGPU_MEAS_VALUE_MAX;
 * VT_E_UNSUPPORTED for another SPDM version, an unsigned request or a
 * non-DMTF measurement.  *out is fully written only on VT_OK (zeroed first).
 */
VT_NODISCARD vt_status vt__nvgpu_parse(vt__nvgpu_evidence *out, const uint8_t *p, size_t len, vt_err *err);

/* The first TLV of this type, or NULL; data is e->opaque + tlv->off. */
const vt__nvgpu_tlv *vt__nvgpu_tlv_find(const vt__nvgpu_evidence *e, uint16_t type);

/* VBIOS version as NVIDIA prints it ("96.00.9F.00.01"): 8 raw bytes are
 * byte-swapped, ASCII is copied.  out gets "" when absent. */
void vt__nvgpu_vbios_string(char *out, size_t out_len, const vt__nvgpu_evidence *e);
/* Driver version TLV as a string (printable ASCII up to the first NUL); "" when absent. */
void vt__nvgpu_driver_string(char *out, size_t out_len, const vt__nvgpu_evidence *e);

#endif
