/*
 * Internal: Intel TDX quote v4/v5 layout constants (Intel DCAP
 * sgx_quote_4.h / sgx_quote_5.h; see docs/formats/tdx.md).  Shared by the
 * verifier (tdx.c) and the simulator (tdx_sim.c) so both speak exactly the
 * same format.  All integers little-endian unless noted.
 */
#ifndef VT_TEE_TDX_FORMAT_H
#define VT_TEE_TDX_FORMAT_H

#define TDX_HEADER_LEN 48
#define TDX_ATT_KEY_ECDSA_P256 2
#define TDX_TEE_TYPE 0x00000081u
#define TDX_QE_VENDOR_INTEL "\x93\x9a\x72\x33\xf7\x9c\x4c\xa9\x94\x0a\x0d\xb3\x95\x7f\x06\x07"

#define TDX_V5_BODY_TDX10 2 /* 584-byte TD report body */
#define TDX_V5_BODY_TDX15 3 /* 648-byte TD report body */
#define TDX_BODY10_LEN 584
#define TDX_BODY15_LEN 648

/* Offsets inside the TD report body. */
#define TDX_B_TEE_TCB_SVN 0     /* 16 */
#define TDX_B_MRSEAM 16         /* 48 */
#define TDX_B_MRSIGNERSEAM 64   /* 48 */
#define TDX_B_SEAM_ATTRIBUTES 112 /* 8 */
#define TDX_B_TD_ATTRIBUTES 120 /* 8 */
#define TDX_B_XFAM 128          /* 8 */
#define TDX_B_MRTD 136          /* 48 */
#define TDX_B_MRCONFIGID 184    /* 48 */
#define TDX_B_MROWNER 232       /* 48 */
#define TDX_B_MROWNERCONFIG 280 /* 48 */
#define TDX_B_RTMR0 328         /* 4 x 48 */
#define TDX_B_REPORTDATA 520    /* 64 */
#define TDX_B_TEE_TCB_SVN2 584  /* 16, body type 3 only */
#define TDX_B_MRSERVICETD 600   /* 48, body type 3 only */

#define TDX_TD_ATTR_DEBUG 0x1u  /* TD_ATTRIBUTES byte 0 bit 0 */
#define TDX_TD_ATTR_SEPT_VE_DISABLE 0x10000000u /* TD_ATTRIBUTES bit 28 (byte 3, 0x10) */

/* Signature data: quote sig (r||s BE) + attestation key (X||Y BE) + cert data. */
#define TDX_SIG_LEN 64
#define TDX_ATT_KEY_LEN 64
#define TDX_CERT_QE_REPORT 6
#define TDX_CERT_PCK_CHAIN 5
#define TDX_QE_REPORT_LEN 384
#define TDX_QE_REPORT_SIG_LEN 64

/* Offsets inside the 384-byte SGX report body of the QE. */
#define SGX_R_CPUSVN 0       /* 16 */
#define SGX_R_MISCSELECT 16  /* u32 */
#define SGX_R_ATTRIBUTES 48  /* 16 */
#define SGX_R_MRENCLAVE 64   /* 32 */
#define SGX_R_MRSIGNER 128   /* 32 */
#define SGX_R_ISVPRODID 256  /* u16 */
#define SGX_R_ISVSVN 258     /* u16 */
#define SGX_R_REPORTDATA 320 /* 64 */

/* Hard limits on what we accept before reading further. */
#define TDX_QUOTE_MAX (64 * 1024)
#define TDX_QE_AUTH_MAX 4096
#define TDX_PCK_CHAIN_MAX (16 * 1024)

/* Intel SGX PCK certificate extension (SGX Extensions) and its children. */
#define SGX_EXT_OID "1.2.840.113741.1.13.1"
#define SGX_EXT_TCB_OID "1.2.840.113741.1.13.1.2"
#define SGX_EXT_PCEID_OID "1.2.840.113741.1.13.1.3"
#define SGX_EXT_FMSPC_OID "1.2.840.113741.1.13.1.4"
#define SGX_EXT_PPID_OID "1.2.840.113741.1.13.1.1"
#define SGX_EXT_TYPE_OID "1.2.840.113741.1.13.1.5"
#define TDX_QE_AUTH_DATA_LEN 32 /* what Intel's QE emits (observed) */

#endif
