/*
 * Internal: the Intel SGX extension (OID 1.2.840.113741.1.13.1) of a PCK
 * leaf certificate, read with a small bounded DER reader (vt_rd).
 */
#ifndef VT_TEE_TDX_PCK_H
#define VT_TEE_TDX_PCK_H

#include "veritee/base.h"

#define TDX_PCK_EXT_MAX 4096 /* the extension value is ~550 bytes in practice */

typedef struct vt__tdx_pck_ext {
    uint8_t ppid[16];
    uint8_t comp_svn[16]; /* SGX TCB components .2.1 .. .2.16 */
    uint16_t pcesvn;      /* .2.17 */
    uint8_t cpusvn[16];   /* .2.18 */
    uint8_t pceid[2];     /* .3 */
    uint8_t fmspc[6];     /* .4 */
    int sgx_type;         /* .5 (0 standard, 1 scalable, 2 scalable with integrity); -1 absent */
} vt__tdx_pck_ext;

/*
 * Parses the DER value of the extension (the contents of its OCTET STRING).
 * Requires PPID, TCB (all 16 components, PCESVN, CPUSVN), PCE-ID and FMSPC,
 * each exactly once; other children are skipped.  VT_E_FORMAT naming the
 * field on any problem; VT_E_LIMIT above TDX_PCK_EXT_MAX.
 */
VT_NODISCARD vt_status vt__tdx_pck_ext_parse(vt__tdx_pck_ext *out, const uint8_t *der, size_t len, vt_err *err);

/*
 * The bounded DER reader shared with the PCK leaf certificate reader
 * (tdx_pck_leaf.c).  Only single-byte tags and definite, minimal lengths up to
 * 64 KiB are accepted; anything else fails r (sticky, as every vt_rd).
 */
/* One TLV: its tag in *tag and a child reader over its contents (a failed child when r fails). */
vt_rd vt__tdx_der_tlv(vt_rd *r, uint8_t *tag);
/* One TLV that must have tag `want` (r fails otherwise). */
vt_rd vt__tdx_der_expect(vt_rd *r, uint8_t want);
/* The one element, of tag `inner`, of an EXPLICIT wrapper `wrapper` ([0], [3]):
 * r fails when the wrapper or its element is missing or anything else is inside. */
vt_rd vt__tdx_der_explicit(vt_rd *r, uint8_t wrapper, uint8_t inner);
/* The rest of c as a non-negative minimal INTEGER (or ENUMERATED) up to max; *ok false otherwise. */
uint32_t vt__tdx_der_uint(vt_rd *c, uint32_t max, bool *ok);

#endif
