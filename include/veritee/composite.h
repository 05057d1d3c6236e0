/*
 * veritee composite evidence: one CPU TEE report plus the GPU/NVSwitch
 * reports collected with the same nonce, bound together.  A device report
 * proves nothing about who uses the device unless the CPU TEE it serves
 * commits to it: the CPU report_data is
 *
 *   SHA-512("veritee-composite-v1" || u32be(len nonce) || nonce
 *           || u32be(len pub) || pub || u32be(n) || SHA-384(device 1) || ... || SHA-384(device n))
 *
 * and every device's own nonce (SPDM request nonce) is the composite nonce.
 * Container format and checks: docs/formats/composite.md.  Composite
 * evidence verifies through vt_evidence_verify like any other platform
 * (VT_TEE_COMPOSITE); its report_data is SHA-512(nonce || pub), so the usual
 * --nonce/--pubkey expectation applies to it.
 */
#ifndef VERITEE_COMPOSITE_H
#define VERITEE_COMPOSITE_H

#include "veritee/base.h"
#include "veritee/tee.h"

#ifdef __cplusplus
extern "C" {
#endif

#define VT_COMPOSITE_FORMAT "veritee-composite-v1"
#define VT_COMPOSITE_NONCE_LEN 32     /* the SPDM nonce size: every device echoes it */
#define VT_COMPOSITE_PUB_MAX 1024     /* bytes of the bound public key */
#define VT_COMPOSITE_DEVICES_MAX 16
#define VT_COMPOSITE_DIGEST_LEN 48    /* SHA-384 of one device's evidence bytes */
#define VT_COMPOSITE_MAX (8u << 20)   /* whole container, checked before parsing */

/*
 * The binding value the CPU report_data must equal.  device_sha384 holds
 * device_count SHA-384 digests of the device evidence, in container order
 * (borrowed).  pub may be NULL when pub_len is 0.  VT_E_ARG for a nonce that
 * is not VT_COMPOSITE_NONCE_LEN bytes, a key over VT_COMPOSITE_PUB_MAX, or
 * more than VT_COMPOSITE_DEVICES_MAX devices.
 */
VT_NODISCARD VT_API vt_status vt_composite_binding(uint8_t out[VT_REPORT_DATA_LEN], const uint8_t *nonce,
                                                   size_t nonce_len, const uint8_t *pub, size_t pub_len,
                                                   const uint8_t (*device_sha384)[VT_COMPOSITE_DIGEST_LEN],
                                                   size_t device_count, vt_err *err);

/* One part of a composite: all pointers borrowed for the call. */
typedef struct vt_composite_part {
    vt_tee_kind platform;            /* VT_TEE_NONE: recognized from the bytes */
    const uint8_t *evidence;
    size_t len;
    const vt_collateral *collateral; /* NULL = nothing travels with it (an NVIDIA
                                        device needs its certchain.pem here) */
} vt_composite_part;

/*
 * Writes the composite container (JSON text, appended to out).  Checks the
 * shape only (sizes, platforms recognizable, nonce length): whether the CPU
 * report_data really is the binding is for the verifier to find out.
 */
VT_NODISCARD VT_API vt_status vt_composite_build(vt_buf *out, const vt_composite_part *cpu,
                                                 const vt_composite_part *devices, size_t device_count,
                                                 const uint8_t *nonce, size_t nonce_len, const uint8_t *pub,
                                                 size_t pub_len, vt_err *err);

#ifdef __cplusplus
}
#endif
#endif /* VERITEE_COMPOSITE_H */
